#pragma once
// The trainer's side of data-parallel training: a c10d Gloo process group with its TCPStore rendezvous,
// bucketed gradient averaging overlapped with the backward pass, synchronised batch norm, and the worker
// processes rank 0 starts for --nproc.

#include <torch/torch.h>
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/distributed.h"

namespace distillery {

/** Local processes for ranks 1 … N−1 of a job whose rank 0 is this process. Their deaths are watched: a rank
 *  that ends before the job does is described by failure(), which the trainer puts in its error. */
class WorkerProcesses {
public:
    WorkerProcesses() = default;
    ~WorkerProcesses();  // waits a bounded time for the workers, then kills them
    WorkerProcesses(const WorkerProcesses&) = delete;
    WorkerProcesses& operator=(const WorkerProcesses&) = delete;

    /** Starts `program worker` for ranks 1 … options.worldSize − 1 with torchrun's variables. */
    void start(const DistributedOptions& options);
    /** "rank 1 (pid 123) was killed by signal 9", or empty while every worker runs or ended well. */
    std::string failure() const;
    /** Waits up to `seconds` for every worker to end, then kills the rest. True when all ended with 0. */
    bool finish(double seconds);

private:
    void watch();
    struct Worker {
        int rank = 0;
        int pid = -1;
        bool done = false;
        int status = 0;
    };
    mutable std::mutex mMutex;
    std::vector<Worker> mWorkers;
    DistributedOptions mOptions;
    std::string mFailure;
    std::atomic<bool> mStopping{false};
    std::thread mWatcher;
};

/** A c10d process group over Gloo, with the store it met through. All calls block until every rank makes
 *  them (or the timeout passes, which throws). */
class Collective {
public:
    /** Connects to (rank 0: serves) the rendezvous store; the group itself forms in joinGroup(). Throws
     *  Error for an address that cannot be reached or a port in use. */
    explicit Collective(const DistributedOptions& options);
    ~Collective();

    void joinGroup();
    /** Rank 0's bucket size, which every rank must use (the buckets' collectives pair by order and size). */
    void setBucketBytes(int64_t bytes) { mOptions.bucketBytes = bytes; }
    int rank() const { return mOptions.rank; }
    int worldSize() const { return mOptions.worldSize; }
    const DistributedOptions& options() const { return mOptions; }

    void setText(const std::string& key, const std::string& value);
    bool has(const std::string& key);
    /** Waits (up to the timeout) for a key another rank sets. */
    std::string text(const std::string& key);

    void allreduceSum(torch::Tensor& tensor);
    void broadcast(torch::Tensor& tensor, int root = 0);
    /** Every rank's bytes, in rank order. */
    std::vector<std::string> allgatherBytes(const std::string& bytes);
    /** Rank 0's parameters and buffers everywhere. */
    void broadcastModule(torch::nn::Module& module);
    /** Each floating-point buffer (batch norm's running statistics, observers) replaced by its mean over the
     *  ranks, so that every rank evaluates, and rank 0 saves, the same model. For running means this is the
     *  exponential average of the global batch's means, as one process would have kept it. */
    void averageBuffers(torch::nn::Module& module);

    c10d::ProcessGroup& group();

private:
    DistributedOptions mOptions;
    c10::intrusive_ptr<c10d::Store> mStore;
    c10::intrusive_ptr<c10d::ProcessGroup> mGroup;
};

/**
 * Sums gradients across the ranks in buckets of about options().bucketBytes, in the order the backward pass
 * produces them (the reverse of the parameter order): a bucket is sent as soon as all its gradients are
 * ready, while the backward pass goes on. Each rank scales its loss by its share of the global batch, so the
 * sum is the global batch's gradient.
 */
class GradientReducer {
public:
    /** `overlap`: hooks send each bucket during the backward pass (arm/finish); without, only reduceNow. */
    GradientReducer(Collective& collective, std::vector<torch::Tensor> parameters, bool overlap);
    ~GradientReducer();
    /** Before a backward pass whose gradients should be reduced (hooks ignore other passes, such as the
     *  term-balance measurement's). */
    void arm();
    /** After it: sends what is left, waits for every bucket and writes the sums into the gradients. */
    void finish();
    /** Without hooks: reduces the parameters' current gradients (the initialisation stage). */
    void reduceNow();
    /** Seconds spent waiting for communication in finish() since the last call. */
    double takeWaitSeconds();

private:
    struct Bucket {
        std::vector<size_t> members;  // parameter indices
        torch::Tensor flat;
        int64_t pending = 0;  // members whose gradient is not in `flat` yet
        c10::intrusive_ptr<c10d::Work> work;
    };
    void ready(size_t parameter, const torch::Tensor& grad);
    void launch(Bucket& bucket);
    /** Parameter `i`'s place in its bucket's flat buffer, shaped like the parameter. */
    torch::Tensor slot(size_t i);
    /** The bucket's sums into its parameters' gradients. */
    void writeBack(Bucket& bucket);

    Collective& mCollective;
    std::vector<torch::Tensor> mParams;
    std::vector<std::pair<size_t, int64_t>> mSlot;    // parameter → (bucket, offset)
    std::vector<bool> mFilled;                        // parameter → its gradient is in its bucket this pass
    std::vector<std::pair<size_t, unsigned>> mHooks;  // parameter, hook handle
    std::vector<Bucket> mBuckets;
    std::mutex mMutex;
    bool mArmed = false;
    double mWaitSeconds = 0.0;
};

/** Batch norm over the whole global batch: statistics summed across the ranks (forward and backward), the
 *  running estimates updated with the global mean and unbiased variance. A null collective: this process's
 *  batch alone (the same arithmetic as one rank of one). */
torch::Tensor syncBatchNorm(Collective* collective, torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x);

}  // namespace distillery
