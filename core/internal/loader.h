#pragma once
// Batches prepared on worker threads while the model trains. The content of every batch depends only on
// (seed, epoch, batch index), never on thread timing, so runs and resumed runs see the same data.

#include <torch/torch.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/dataset.h"

namespace distillery {

struct Batch {
    torch::Tensor images;  // N, C, H, W float
    /** N (classification) or N, H, W (segmentation), int64; detection: N, K + 5, H/4, W/4 float, the dense
     *  CenterNet targets (core/detection.h). */
    torch::Tensor targets;
    std::vector<int64_t> indices;
    std::vector<std::vector<Box>> boxes;  // detection: each image's objects, in input pixels
    std::vector<int64_t> imageIds;        // detection: COCO image ids (the sample index where none)
    /** Samples in the whole batch across the ranks of a data-parallel job (this batch's size otherwise). */
    int64_t globalSize = 0;
};

/** Turns samples into one batch; throws Error when sample sizes differ. `numClasses` sizes detection's
 *  heat maps. */
Batch collate(std::vector<Sample>& samples, const std::vector<int64_t>& indices, Task task,
              int64_t numClasses = 0);

/** Batch-preparation threads for a recipe's data.workers: as many as asked, but no more than the cores the
 *  intra-op threads leave free, and at least one (it overlaps with the model's work). More would only compete
 *  with the model for the cores: on 2 cores with 2 intra-op threads a second worker cost up to 30 %
 *  (docs/BENCHMARKS.md). Batches do not depend on the count (per-sample seeds). */
int loaderThreads(int requested);

/** Deterministic per-sample seed for random transforms. */
uint64_t sampleSeed(uint64_t seed, int64_t epoch, int64_t index);

class BatchLoader {
public:
    BatchLoader(std::shared_ptr<Dataset> dataset, std::vector<TransformStep> transforms, int batchSize,
                bool shuffle, bool dropLast, uint64_t seed, int workers);
    ~BatchLoader();
    BatchLoader(const BatchLoader&) = delete;
    BatchLoader& operator=(const BatchLoader&) = delete;

    /** Data-parallel training (core/distributed.h): this process builds only its share. SplitBatches: the
     *  same batches as one process, each cut into `worldSize` contiguous parts of which it takes part `rank`
     *  (a last batch with fewer samples than ranks is left out); WholeBatches: every worldSize-th whole batch
     *  from batch `rank` on (evaluation). Call before startEpoch. */
    enum class Sharding { SplitBatches, WholeBatches };
    void setShard(int rank, int worldSize, Sharding mode);

    /** Batches this loader hands out per epoch (with WholeBatches: this rank's). */
    int64_t batchesPerEpoch() const;
    /** Starts preparing `epoch` (1-based) from batch `firstBatch` on. */
    void startEpoch(int64_t epoch, int64_t firstBatch = 0);
    /** Next batch in order; false at the end of the epoch. Rethrows a worker's error. */
    bool next(Batch& batch);
    void stop();

    /** The samples of batch `batchIndex` of `epoch`, as next() would hand them out, without loading them.
     *  Stops the workers: call startEpoch before next() again. */
    std::vector<int64_t> indicesAt(int64_t epoch, int64_t batchIndex);
    /** That batch itself, built on the calling thread (the same content as next()'s). Stops the workers. */
    Batch batchAt(int64_t epoch, int64_t batchIndex);

    const Dataset& dataset() const { return *mDataset; }

private:
    void work();
    Batch build(int64_t batchIndex);
    /** Sets mOrder and mEpoch for `epoch` (shuffled when the loader shuffles). */
    void orderFor(int64_t epoch);
    /** Positions [begin, end) in mOrder of this process's part of batch `batchIndex`, and the whole batch's
     *  size across the ranks. */
    struct Range {
        int64_t begin, end, globalSize;
    };
    Range rangeOf(int64_t batchIndex) const;

    std::shared_ptr<Dataset> mDataset;
    std::vector<TransformStep> mTransforms;
    int mBatchSize;
    bool mShuffle;
    bool mDropLast;
    uint64_t mSeed;
    int mWorkers;
    int mRank = 0;
    int mWorldSize = 1;
    Sharding mSharding = Sharding::SplitBatches;

    int64_t globalBatches() const;

    std::vector<int64_t> mOrder;
    int64_t mEpoch = 0;
    bool mOrdered = false;  // mOrder is mEpoch's
    int64_t mCursor = 0;    // next batch handed out by next()
    int64_t mClaimed = 0;   // next batch a worker will build
    int64_t mEnd = 0;
    std::map<int64_t, Batch> mReady;
    std::exception_ptr mError;
    bool mStopping = false;
    std::mutex mMutex;
    std::condition_variable mChanged;
    std::vector<std::thread> mThreads;
};

}  // namespace distillery
