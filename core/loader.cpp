#include "core/internal/loader.h"

#include "core/distributed.h"

#include "core/detection.h"

#include <sched.h>

#include <algorithm>
#include <cstring>
#include <numeric>
#include <thread>

namespace distillery {

namespace {
uint64_t splitmix(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/** The cores this process may run on (its CPU affinity, e.g. a container's share). */
int usableCores() {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) == 0) return std::max(1, CPU_COUNT(&set));
    return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}
}  // namespace

int loaderThreads(int requested) {
    const int spare = usableCores() - at::get_num_threads();
    return std::max(1, std::min(requested, spare));
}

uint64_t sampleSeed(uint64_t seed, int64_t epoch, int64_t index) {
    return splitmix(splitmix(splitmix(seed) ^ static_cast<uint64_t>(epoch)) ^ static_cast<uint64_t>(index));
}

Batch collate(std::vector<Sample>& samples, const std::vector<int64_t>& indices, Task task,
              int64_t numClasses) {
    Batch batch;
    batch.indices = indices;
    const auto n = static_cast<int64_t>(samples.size());
    const Image& first = samples.at(0).image;
    batch.images = torch::empty({n, first.channels, first.height, first.width}, torch::kFloat32);
    const size_t imageFloats = first.data.size();
    float* dst = batch.images.data_ptr<float>();
    const int mapH = detectionMapSize(first.height), mapW = detectionMapSize(first.width);
    const int64_t targetChannels = detectionTargetChannels(numClasses);
    if (task == Task::Classification) {
        batch.targets = torch::empty({n}, torch::kInt64);
    } else if (task == Task::Segmentation) {
        batch.targets = torch::empty({n, first.height, first.width}, torch::kInt64);
    } else {
        if (numClasses <= 0) throw Error("collate: detection targets need the number of classes");
        batch.targets = torch::empty({n, targetChannels, mapH, mapW}, torch::kFloat32);
    }
    int64_t* tgt = task == Task::Detection ? nullptr : batch.targets.data_ptr<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
        const Sample& s = samples[i];
        if (s.image.channels != first.channels || s.image.height != first.height ||
            s.image.width != first.width)
            throw Error("sample " + std::to_string(indices[i]) + " is " + std::to_string(s.image.channels) +
                        "x" + std::to_string(s.image.height) + "x" + std::to_string(s.image.width) +
                        " but sample " + std::to_string(indices[0]) + " is " +
                        std::to_string(first.channels) + "x" + std::to_string(first.height) + "x" +
                        std::to_string(first.width) + " (add a resize transform or set data.image_size)");
        std::memcpy(dst + i * imageFloats, s.image.data.data(), imageFloats * sizeof(float));
        if (task == Task::Classification) {
            tgt[i] = s.label;
        } else if (task == Task::Detection) {
            encodeCenterTargets(s.boxes, numClasses, mapH, mapW, kDetectionStride,
                                batch.targets.data_ptr<float>() + i * targetChannels * mapH * mapW);
            batch.boxes.push_back(s.boxes);
            batch.imageIds.push_back(s.imageId >= 0 ? s.imageId : indices[i]);
        } else {
            if (s.mask.height != first.height || s.mask.width != first.width)
                throw Error("mask of sample " + std::to_string(indices[i]) +
                            " does not match its image size");
            const size_t px = s.mask.data.size();
            for (size_t p = 0; p < px; ++p)
                tgt[i * px + p] = s.mask.data[p];
        }
    }
    return batch;
}

BatchLoader::BatchLoader(std::shared_ptr<Dataset> dataset, std::vector<TransformStep> transforms,
                         int batchSize, bool shuffle, bool dropLast, uint64_t seed, int workers)
    : mDataset(std::move(dataset)),
      mTransforms(std::move(transforms)),
      mBatchSize(std::max(1, batchSize)),
      mShuffle(shuffle),
      mDropLast(dropLast),
      mSeed(seed),
      mWorkers(loaderThreads(workers)) {}

BatchLoader::~BatchLoader() {
    stop();
}

int64_t BatchLoader::globalBatches() const {
    const int64_t n = mDataset->size();
    if (mDropLast && n >= mBatchSize) return n / mBatchSize;
    return (n + mBatchSize - 1) / mBatchSize;
}

void BatchLoader::setShard(int rank, int worldSize, Sharding mode) {
    if (worldSize < 1 || rank < 0 || rank >= worldSize)
        throw Error("internal: rank " + std::to_string(rank) + " of " + std::to_string(worldSize));
    stop();
    mRank = rank;
    mWorldSize = worldSize;
    mSharding = mode;
}

int64_t BatchLoader::batchesPerEpoch() const {
    const int64_t total = globalBatches();
    if (mWorldSize == 1) return total;
    if (mSharding == Sharding::WholeBatches)
        return total > mRank ? (total - mRank + mWorldSize - 1) / mWorldSize : 0;
    // Every rank needs a sample of every batch: a last batch smaller than the job is left out.
    const int64_t last = mDataset->size() - (total - 1) * mBatchSize;
    return total > 0 && last < mWorldSize ? total - 1 : total;
}

void BatchLoader::stop() {
    {
        std::lock_guard<std::mutex> lock(mMutex);
        mStopping = true;
    }
    mChanged.notify_all();
    for (auto& t : mThreads)
        t.join();
    mThreads.clear();
}

void BatchLoader::orderFor(int64_t epoch) {
    const auto n = static_cast<size_t>(mDataset->size());
    if (mOrdered && mEpoch == epoch && mOrder.size() == n) return;
    mEpoch = epoch;
    mOrder.resize(n);
    std::iota(mOrder.begin(), mOrder.end(), 0);
    if (mShuffle) {
        std::mt19937_64 rng(sampleSeed(mSeed, epoch, -1));
        std::shuffle(mOrder.begin(), mOrder.end(), rng);
    }
    mOrdered = true;
}

void BatchLoader::startEpoch(int64_t epoch, int64_t firstBatch) {
    stop();
    orderFor(epoch);
    mReady.clear();
    mError = nullptr;
    mStopping = false;
    mCursor = mClaimed = std::min(firstBatch, batchesPerEpoch());
    mEnd = batchesPerEpoch();
    for (int i = 0; i < mWorkers; ++i)
        mThreads.emplace_back([this] { work(); });
}

BatchLoader::Range BatchLoader::rangeOf(int64_t batchIndex) const {
    const int64_t n = mDataset->size();
    const int64_t global =
        mWorldSize > 1 && mSharding == Sharding::WholeBatches ? mRank + batchIndex * mWorldSize : batchIndex;
    int64_t begin = global * mBatchSize;
    int64_t end = std::min(n, begin + mBatchSize);
    const int64_t globalSize = end - begin;
    if (mWorldSize > 1 && mSharding == Sharding::SplitBatches) {
        const auto [first, last] = shardOfBatch(globalSize, mRank, mWorldSize);
        end = begin + last;
        begin += first;
    }
    return {begin, end, globalSize};
}

std::vector<int64_t> BatchLoader::indicesAt(int64_t epoch, int64_t batchIndex) {
    stop();
    orderFor(epoch);
    const Range r = rangeOf(batchIndex);
    return {mOrder.begin() + r.begin, mOrder.begin() + r.end};
}

Batch BatchLoader::batchAt(int64_t epoch, int64_t batchIndex) {
    stop();
    orderFor(epoch);
    return build(batchIndex);
}

Batch BatchLoader::build(int64_t batchIndex) {
    const auto [begin, end, globalSize] = rangeOf(batchIndex);
    std::vector<Sample> samples;
    std::vector<int64_t> indices;
    samples.reserve(end - begin);
    for (int64_t i = begin; i < end; ++i) {
        const int64_t index = mOrder[i];
        Sample s = mDataset->get(index);
        std::mt19937_64 rng(sampleSeed(mSeed, mEpoch, index));
        applyTransforms(mTransforms, s, rng);
        samples.push_back(std::move(s));
        indices.push_back(index);
    }
    Batch batch = collate(samples, indices, mDataset->task(), mDataset->numClasses());
    batch.globalSize = globalSize;
    return batch;
}

void BatchLoader::work() {
    // Workers run at most this many batches ahead of the consumer, bounding memory.
    const int64_t ahead = 2 * mWorkers + 2;
    for (;;) {
        int64_t index;
        {
            std::unique_lock<std::mutex> lock(mMutex);
            mChanged.wait(lock, [&] { return mStopping || mClaimed >= mEnd || mClaimed < mCursor + ahead; });
            if (mStopping || mClaimed >= mEnd) return;
            index = mClaimed++;
        }
        try {
            Batch b = build(index);
            std::lock_guard<std::mutex> lock(mMutex);
            mReady.emplace(index, std::move(b));
        } catch (...) {
            std::lock_guard<std::mutex> lock(mMutex);
            if (!mError) mError = std::current_exception();
        }
        mChanged.notify_all();
    }
}

bool BatchLoader::next(Batch& batch) {
    std::unique_lock<std::mutex> lock(mMutex);
    if (mCursor >= mEnd) return false;
    mChanged.wait(lock, [&] { return mError || mReady.count(mCursor); });
    if (mError) std::rethrow_exception(mError);
    auto it = mReady.find(mCursor);
    batch = std::move(it->second);
    mReady.erase(it);
    ++mCursor;
    lock.unlock();
    mChanged.notify_all();
    return true;
}

}  // namespace distillery
