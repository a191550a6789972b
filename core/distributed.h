#pragma once
// Data-parallel training over LibTorch's c10d (docs/DISTRIBUTED.md): who this process is in a job of several,
// and how it finds the others. Plain C++; the process group itself lives in core/distributed.cpp.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace distillery {

struct DistributedOptions {
    int worldSize = 1;  // processes in the job; 1 = no data parallelism
    int rank = 0;       // 0 … worldSize − 1; rank 0 writes the run folder and is the one observers hear
    int localRank = 0;  // rank among the processes of this machine
    /** Rendezvous (c10d's TCPStore, served by rank 0), as torchrun's MASTER_ADDR and MASTER_PORT. */
    std::string masterAddr = "127.0.0.1";
    int masterPort = 29500;
    /** Bound on the rendezvous and on every collective: a rank that stops answering ends the job with an
     *  error after this long, not a hang. */
    double timeoutSeconds = 300.0;
    /** Gradients are averaged in buckets of about this many bytes, each sent as soon as its gradients are
     *  ready during the backward pass. */
    int64_t bucketBytes = int64_t{25} << 20;
    /** Set on rank 0 when it starts the other ranks itself (`--nproc`, the workbench's processes setting):
     *  the program that runs them (distillery-cli), started as `PROGRAM worker` with torchrun's variables.
     *  Empty: the others are started by someone else (torchrun or a cluster launcher). */
    std::string workerProgram;
    /** Intra-op threads of each worker rank started through workerProgram (0 = as rank 0). */
    int workerThreads = 0;

    bool enabled() const { return worldSize > 1; }
};

/** torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) when WORLD_SIZE is set;
 *  nullopt otherwise. Throws Error naming the variable when one is malformed or missing. */
std::optional<DistributedOptions> distributedFromEnvironment();

/** A TCP port on the loopback interface that nothing listens on now (for --nproc's rendezvous). */
int freeLoopbackPort();

/** A job of `processes` on this machine whose rank 0 is this process (--nproc, the workbench's processes
 *  setting): a free loopback port, `workerProgram` for ranks 1 … N−1, and `threads` (0 = every core) divided
 *  between the processes, each taking `workerThreads`. Throws Error when no port is free. */
DistributedOptions localJob(int processes, int threads, const std::string& workerProgram);

/** Intra-op threads for each of `processes` local ranks sharing `threads` (0 = every core): at least one. */
int threadsPerProcess(int threads, int processes);

/** The start of the name of the scratch folder (in the temporary directory) of rank `rank` of the job that
 *  meets on `port`: rank 0 removes its local workers' folders when they end, even when it had to kill them.
 */
std::string scratchPrefix(int port, int rank);

/** Samples [first, last) of a batch of `count` that rank `rank` of `worldSize` takes: contiguous, as equal as
 *  they can be, and together exactly the batch. */
std::pair<int64_t, int64_t> shardOfBatch(int64_t count, int rank, int worldSize);

}  // namespace distillery
