// Data-parallel training over c10d: rendezvous, collectives, gradient buckets, synchronised batch norm and
// the local worker processes of --nproc (docs/DISTRIBUTED.md).

#include "core/internal/distributed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include "core/format.h"
#include "core/types.h"

extern char** environ;

namespace distillery {

namespace {

std::chrono::milliseconds millis(double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.001, seconds) * 1000.0));
}

std::optional<std::string> environment(const char* name) {
    const char* v = std::getenv(name);
    if (!v) return std::nullopt;
    return std::string(v);
}

int64_t environmentInteger(const char* name, int64_t minimum, int64_t maximum) {
    const auto text = environment(name);
    if (!text)
        throw Error(std::string(name) + " is not set (torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, " +
                    "MASTER_ADDR and MASTER_PORT for each process)");
    char* end = nullptr;
    errno = 0;
    const long long v = std::strtoll(text->c_str(), &end, 10);
    if (text->empty() || errno != 0 || *end != '\0' || v < minimum || v > maximum)
        throw Error(std::string(name) + "='" + *text + "' is not a whole number from " +
                    std::to_string(minimum) + " to " + std::to_string(maximum));
    return v;
}

bool loopbackHost(const std::string& host) {
    return host == "127.0.0.1" || host == "localhost" || host == "::1";
}

}  // namespace

// ---- plain helpers ------------------------------------------------------------------------------------

std::optional<DistributedOptions> distributedFromEnvironment() {
    if (!environment("WORLD_SIZE")) return std::nullopt;
    DistributedOptions o;
    o.worldSize = static_cast<int>(environmentInteger("WORLD_SIZE", 1, 65536));
    o.rank = static_cast<int>(environmentInteger("RANK", 0, o.worldSize - 1));
    o.localRank =
        environment("LOCAL_RANK") ? static_cast<int>(environmentInteger("LOCAL_RANK", 0, 65535)) : 0;
    if (o.worldSize > 1) {
        const auto addr = environment("MASTER_ADDR");
        if (!addr || addr->empty())
            throw Error("MASTER_ADDR is not set (the host of rank 0, where the job meets; torchrun sets it)");
        o.masterAddr = *addr;
        o.masterPort = static_cast<int>(environmentInteger("MASTER_PORT", 1, 65535));
    }
    return o;
}

int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw Error(std::string("cannot open a socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        throw Error("cannot find a free port on the loopback interface: " + why);
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

int threadsPerProcess(int threads, int processes) {
    const int total =
        threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return std::max(1, total / std::max(1, processes));
}

DistributedOptions localJob(int processes, int threads, const std::string& workerProgram) {
    DistributedOptions d;
    d.worldSize = processes;
    d.masterAddr = "127.0.0.1";
    d.masterPort = freeLoopbackPort();
    d.workerProgram = workerProgram;
    d.workerThreads = threadsPerProcess(threads, processes);
    return d;
}

std::string scratchPrefix(int port, int rank) {
    return "distillery-port" + std::to_string(port) + "-rank" + std::to_string(rank) + "-";
}

std::pair<int64_t, int64_t> shardOfBatch(int64_t count, int rank, int worldSize) {
    const int64_t w = std::max(1, worldSize);
    return {count * rank / w, count * (rank + 1) / w};
}

// ---- worker processes ---------------------------------------------------------------------------------

WorkerProcesses::~WorkerProcesses() {
    finish(10.0);
}

void WorkerProcesses::start(const DistributedOptions& options) {
    mOptions = options;
    std::vector<std::string> inherited;
    for (char** e = environ; *e; ++e) {
        const std::string entry = *e;
        const std::string name = entry.substr(0, entry.find('='));
        if (name == "RANK" || name == "WORLD_SIZE" || name == "LOCAL_RANK" || name == "MASTER_ADDR" ||
            name == "MASTER_PORT" || name == "DISTILLERY_DIST_TIMEOUT")
            continue;
        inherited.push_back(entry);
    }
    for (int rank = 1; rank < options.worldSize; ++rank) {
        std::vector<std::string> env = inherited;
        env.push_back("RANK=" + std::to_string(rank));
        env.push_back("LOCAL_RANK=" + std::to_string(rank));
        env.push_back("WORLD_SIZE=" + std::to_string(options.worldSize));
        env.push_back("MASTER_ADDR=" + options.masterAddr);
        env.push_back("MASTER_PORT=" + std::to_string(options.masterPort));
        env.push_back("DISTILLERY_DIST_TIMEOUT=" + std::to_string(options.timeoutSeconds));
        std::vector<char*> envp, argv;
        for (auto& s : env)
            envp.push_back(s.data());
        envp.push_back(nullptr);
        std::string program = options.workerProgram, command = "worker";
        argv = {program.data(), command.data(), nullptr};
        pid_t pid = -1;
        const int rc = ::posix_spawn(&pid, program.c_str(), nullptr, nullptr, argv.data(), envp.data());
        if (rc != 0) {
            // The ranks already started would wait for a job that will not form: stopped and reaped now.
            std::lock_guard<std::mutex> lock(mMutex);
            for (auto& w : mWorkers) {
                ::kill(w.pid, SIGKILL);
                ::waitpid(w.pid, &w.status, 0);
                w.done = true;
            }
            throw Error("cannot start rank " + std::to_string(rank) + " (" + program +
                        " worker): " + std::strerror(rc));
        }
        std::lock_guard<std::mutex> lock(mMutex);
        mWorkers.push_back({rank, pid, false, 0});
    }
    mWatcher = std::thread([this] { watch(); });
}

void WorkerProcesses::watch() {
    while (!mStopping) {
        {
            std::lock_guard<std::mutex> lock(mMutex);
            for (auto& w : mWorkers) {
                if (w.done) continue;
                int status = 0;
                if (::waitpid(w.pid, &status, WNOHANG) != w.pid) continue;
                w.done = true;
                w.status = status;
                const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
                if (!ok && mFailure.empty())
                    mFailure =
                        "rank " + std::to_string(w.rank) + " (pid " + std::to_string(w.pid) + ") " +
                        (WIFSIGNALED(status) ? "was killed by signal " + std::to_string(WTERMSIG(status))
                                             : "exited with code " + std::to_string(WEXITSTATUS(status)));
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

std::string WorkerProcesses::failure() const {
    std::lock_guard<std::mutex> lock(mMutex);
    return mFailure;
}

bool WorkerProcesses::finish(double seconds) {
    if (!mWatcher.joinable()) return true;
    const auto deadline = std::chrono::steady_clock::now() + millis(seconds);
    for (;;) {
        bool all = true;
        {
            std::lock_guard<std::mutex> lock(mMutex);
            for (const auto& w : mWorkers)
                all = all && w.done;
        }
        if (all || std::chrono::steady_clock::now() >= deadline) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    mStopping = true;
    mWatcher.join();
    bool ok = true;
    std::lock_guard<std::mutex> lock(mMutex);
    for (auto& w : mWorkers) {
        if (!w.done) {
            ::kill(w.pid, SIGKILL);
            ::waitpid(w.pid, &w.status, 0);
            w.done = true;
            ok = false;
        }
        ok = ok && WIFEXITED(w.status) && WEXITSTATUS(w.status) == 0;
    }
    // A worker that was killed could not remove its scratch folder.
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(std::filesystem::temp_directory_path(), ec)) {
        const std::string name = entry.path().filename().string();
        for (const auto& w : mWorkers)
            if (name.rfind(scratchPrefix(mOptions.masterPort, w.rank), 0) == 0) {
                std::error_code ignored;
                std::filesystem::remove_all(entry.path(), ignored);
            }
    }
    return ok;
}

// ---- collective -----------------------------------------------------------------------------------------

Collective::Collective(const DistributedOptions& options) : mOptions(options) {
    // Under torchrun the launcher's agent already serves a store on MASTER_PORT and says so
    // (TORCHELASTIC_USE_AGENT_STORE): every rank joins it as a client, as PyTorch's env:// does. Otherwise
    // rank 0 serves it.
    const char* agent = std::getenv("TORCHELASTIC_USE_AGENT_STORE");
    const bool agentStore = agent && std::string(agent) == "True";
    c10d::TCPStoreOptions so;
    so.port = static_cast<uint16_t>(options.masterPort);
    so.isServer = options.rank == 0 && !agentStore;
    so.numWorkers = static_cast<size_t>(options.worldSize);
    so.waitWorkers = false;
    so.timeout = millis(options.timeoutSeconds);
    const std::string where = options.masterAddr + ":" + std::to_string(options.masterPort);
    c10::intrusive_ptr<c10d::Store> store;
    try {
        store = c10::make_intrusive<c10d::TCPStore>(options.masterAddr, so);
    } catch (const std::exception& e) {
        if (so.isServer)
            throw Error("rank 0 cannot serve the rendezvous on port " + std::to_string(options.masterPort) +
                        " (MASTER_PORT; is another job using it?): " + firstLine(e.what()));
        throw Error("rank " + std::to_string(options.rank) + " cannot reach the rendezvous at " + where +
                    " (MASTER_ADDR:MASTER_PORT) within " + std::to_string(int(options.timeoutSeconds)) +
                    " s: " + firstLine(e.what()));
    }
    // Our keys and the group's apart from anything else in a shared store, and from an earlier attempt of a
    // job the launcher restarted.
    const char* restart = std::getenv("TORCHELASTIC_RESTART_COUNT");
    mStore = c10::make_intrusive<c10d::PrefixStore>(
        std::string("distillery/") + (restart && *restart ? restart : "0"), store);
}

Collective::~Collective() = default;

void Collective::joinGroup() {
    auto opts = c10d::ProcessGroupGloo::Options::create(millis(mOptions.timeoutSeconds));
    try {
        if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
            opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
        else if (loopbackHost(mOptions.masterAddr))
            opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
        else
            opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
        mGroup = c10::make_intrusive<c10d::ProcessGroupGloo>(mStore, mOptions.rank, mOptions.worldSize, opts);
    } catch (const std::exception& e) {
        throw Error("rank " + std::to_string(mOptions.rank) + " could not form the process group of " +
                    std::to_string(mOptions.worldSize) + " within " +
                    std::to_string(int(mOptions.timeoutSeconds)) + " s: " + firstLine(e.what()));
    }
}

c10d::ProcessGroup& Collective::group() {
    if (!mGroup) throw Error("internal: the process group is not formed yet");
    return *mGroup;
}

void Collective::setText(const std::string& key, const std::string& value) {
    mStore->set(key, std::vector<uint8_t>(value.begin(), value.end()));
}

bool Collective::has(const std::string& key) {
    return mStore->check({key});
}

std::string Collective::text(const std::string& key) {
    const std::string& k = key;
    try {
        mStore->wait({k}, millis(mOptions.timeoutSeconds));
        const auto v = mStore->get(k);
        return std::string(v.begin(), v.end());
    } catch (const std::exception& e) {
        throw Error("rank " + std::to_string(mOptions.rank) + ": no word from rank 0 ('" + key +
                    "') within " + std::to_string(int(mOptions.timeoutSeconds)) +
                    " s: " + firstLine(e.what()));
    }
}

void Collective::allreduceSum(torch::Tensor& tensor) {
    std::vector<at::Tensor> v{tensor};
    group().allreduce(v)->wait();
}

void Collective::broadcast(torch::Tensor& tensor, int root) {
    std::vector<at::Tensor> v{tensor};
    c10d::BroadcastOptions o;
    o.rootRank = root;
    group().broadcast(v, o)->wait();
}

std::vector<std::string> Collective::allgatherBytes(const std::string& bytes) {
    auto length = torch::tensor({static_cast<int64_t>(bytes.size())}, torch::kInt64);
    std::vector<std::vector<at::Tensor>> lengths(1);
    for (int r = 0; r < worldSize(); ++r)
        lengths[0].push_back(torch::zeros({1}, torch::kInt64));
    std::vector<at::Tensor> in{length};
    group().allgather(lengths, in)->wait();
    int64_t longest = 1;
    for (const auto& l : lengths[0])
        longest = std::max(longest, l.item<int64_t>());
    auto mine = torch::zeros({longest}, torch::kUInt8);
    std::memcpy(mine.data_ptr<uint8_t>(), bytes.data(), bytes.size());
    std::vector<std::vector<at::Tensor>> all(1);
    for (int r = 0; r < worldSize(); ++r)
        all[0].push_back(torch::zeros({longest}, torch::kUInt8));
    std::vector<at::Tensor> in2{mine};
    group().allgather(all, in2)->wait();
    std::vector<std::string> out;
    for (int r = 0; r < worldSize(); ++r) {
        const auto* p = all[0][r].data_ptr<uint8_t>();
        out.emplace_back(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(lengths[0][r].item<int64_t>()));
    }
    return out;
}

void Collective::broadcastModule(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    auto sync = [&](torch::Tensor t) {
        if (!t.defined() || t.numel() == 0) return;
        auto flat = t.contiguous().clone();
        broadcast(flat);
        t.copy_(flat);
    };
    for (auto& p : module.parameters())
        sync(p);
    for (auto& b : module.buffers())
        sync(b);
}

void Collective::averageBuffers(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> buffers;
    for (auto& b : module.buffers())
        if (b.defined() && b.numel() > 0 && b.is_floating_point()) buffers.push_back(b);
    if (buffers.empty()) return;
    std::vector<torch::Tensor> flat;
    for (auto& b : buffers)
        flat.push_back(b.to(torch::kFloat64).reshape({-1}));
    auto all = torch::cat(flat).contiguous();
    allreduceSum(all);
    all.div_(static_cast<double>(worldSize()));
    int64_t offset = 0;
    for (auto& b : buffers) {
        b.copy_(all.narrow(0, offset, b.numel()).view(b.sizes()));
        offset += b.numel();
    }
}

// ---- gradient buckets -----------------------------------------------------------------------------------

GradientReducer::GradientReducer(Collective& collective, std::vector<torch::Tensor> parameters, bool overlap)
    : mCollective(collective), mParams(std::move(parameters)) {
    mSlot.resize(mParams.size());
    mFilled.assign(mParams.size(), false);
    const int64_t limit = std::max<int64_t>(1, collective.options().bucketBytes);
    // The backward pass produces gradients roughly from the last parameter to the first.
    std::vector<size_t> members;
    int64_t bytes = 0;
    auto close = [&] {
        if (members.empty()) return;
        Bucket b;
        int64_t offset = 0;
        for (size_t i : members) {
            mSlot[i] = {mBuckets.size(), offset};
            offset += mParams[i].numel();
        }
        b.members = members;
        // On the parameters' device (Gloo stages CUDA tensors through the host; NCCL would take them as they
        // are).
        b.flat = torch::zeros({offset}, mParams[members.front()].options().dtype(torch::kFloat32));
        b.pending = static_cast<int64_t>(members.size());
        mBuckets.push_back(std::move(b));
        members.clear();
        bytes = 0;
    };
    for (size_t k = mParams.size(); k-- > 0;) {
        if (mParams[k].scalar_type() != torch::kFloat32)
            throw Error("data-parallel training averages fp32 parameters; one is " +
                        std::string(c10::toString(mParams[k].scalar_type())));
        const int64_t size = mParams[k].numel() * 4;
        if (!members.empty() && bytes + size > limit) close();
        members.push_back(k);
        bytes += size;
    }
    close();
    if (!overlap) return;
    for (size_t i = 0; i < mParams.size(); ++i) {
        if (!mParams[i].requires_grad()) continue;
        const unsigned handle =
            mParams[i].register_hook([this, i](const torch::Tensor& grad) { ready(i, grad); });
        mHooks.emplace_back(i, handle);
    }
}

GradientReducer::~GradientReducer() {
    for (const auto& [i, handle] : mHooks)
        mParams[i].remove_hook(handle);
    // Any bucket still in flight is waited for.
    std::lock_guard<std::mutex> lock(mMutex);
    mArmed = false;
    for (auto& b : mBuckets)
        if (b.work) try {
                b.work->wait();
            } catch (...) {
            }
}

void GradientReducer::arm() {
    std::lock_guard<std::mutex> lock(mMutex);
    std::fill(mFilled.begin(), mFilled.end(), false);
    for (auto& b : mBuckets) {
        b.pending = static_cast<int64_t>(b.members.size());
        b.work.reset();
    }
    mArmed = true;
}

torch::Tensor GradientReducer::slot(size_t i) {
    const auto& p = mParams[i];
    return mBuckets[mSlot[i].first].flat.narrow(0, mSlot[i].second, p.numel()).view(p.sizes());
}

void GradientReducer::writeBack(Bucket& bucket) {
    for (size_t i : bucket.members) {
        auto& p = mParams[i];
        if (!p.requires_grad()) continue;
        if (p.grad().defined())
            p.mutable_grad().copy_(slot(i));
        else
            p.mutable_grad() = slot(i).clone();
    }
}

void GradientReducer::launch(Bucket& bucket) {
    std::vector<at::Tensor> v{bucket.flat};
    bucket.work = mCollective.group().allreduce(v);
}

void GradientReducer::ready(size_t parameter, const torch::Tensor& grad) {
    std::lock_guard<std::mutex> lock(mMutex);
    if (!mArmed) return;
    if (mFilled[parameter]) return;
    slot(parameter).copy_(grad.detach());
    mFilled[parameter] = true;
    --mBuckets[mSlot[parameter].first].pending;
    // Buckets go out in a fixed order, the same on every rank, however the backward pass interleaves them.
    for (auto& next : mBuckets) {
        if (next.work) continue;
        if (next.pending > 0) break;
        launch(next);
    }
}

void GradientReducer::finish() {
    std::unique_lock<std::mutex> lock(mMutex);
    if (!mArmed) return;
    for (auto& bucket : mBuckets) {
        if (bucket.work) continue;
        // A parameter the pass did not reach has no gradient on this rank: it contributes zeros.
        for (size_t i : bucket.members)
            if (!mFilled[i]) {
                slot(i).zero_();
                mFilled[i] = true;
            }
        bucket.pending = 0;
        launch(bucket);
    }
    mArmed = false;
    const auto start = std::chrono::steady_clock::now();
    for (auto& bucket : mBuckets)
        bucket.work->wait();
    mWaitSeconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    torch::NoGradGuard noGrad;
    for (auto& bucket : mBuckets) {
        writeBack(bucket);
        bucket.work.reset();
    }
}

void GradientReducer::reduceNow() {
    std::lock_guard<std::mutex> lock(mMutex);
    torch::NoGradGuard noGrad;
    for (auto& bucket : mBuckets) {
        for (size_t i : bucket.members) {
            if (mParams[i].grad().defined())
                slot(i).copy_(mParams[i].grad());
            else
                slot(i).zero_();
        }
        launch(bucket);
    }
    for (auto& bucket : mBuckets) {
        bucket.work->wait();
        bucket.work.reset();
        writeBack(bucket);
    }
}

double GradientReducer::takeWaitSeconds() {
    std::lock_guard<std::mutex> lock(mMutex);
    const double s = mWaitSeconds;
    mWaitSeconds = 0.0;
    return s;
}

// ---- synchronised batch norm ----------------------------------------------------------------------------

namespace {

// Normalisation with statistics of the global batch, given. The forward pass is LibTorch's batch norm in its
// inference form (one fused pass, the global statistics in place of the running ones); so is the first part
// of the backward pass, whose weight and bias gradients are the two per-channel sums training's backward
// needs (of dy, and of dy·(x − mean) times invstd). Those sums are added across the ranks in one collective
// and the statistics' part of the input gradient is applied in one more pass. The weight's and bias's
// gradients stay this rank's share; the gradient reducer sums them with the others.
struct SyncBatchNormFunction : public torch::autograd::Function<SyncBatchNormFunction> {
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& weight, const torch::Tensor& bias,
                                 const torch::Tensor& mean, const torch::Tensor& var, double eps,
                                 double count, int64_t collective) {
        ctx->save_for_backward({x, weight, mean, var});
        ctx->saved_data["eps"] = eps;
        ctx->saved_data["count"] = count;
        ctx->saved_data["collective"] = collective;
        return std::get<0>(at::native_batch_norm(x, weight, bias, mean, var, false, 0.0, eps));
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& x = saved[0];
        const auto& weight = saved[1];
        const auto& mean = saved[2];
        const auto& var = saved[3];
        const double eps = ctx->saved_data["eps"].toDouble();
        const double count = ctx->saved_data["count"].toDouble();
        auto* collective = reinterpret_cast<Collective*>(ctx->saved_data["collective"].toInt());
        const int64_t c = x.size(1);
        auto dy = grads[0].contiguous(x.suggest_memory_format());
        auto [dxFixed, gradWeight, gradBias] = at::native_batch_norm_backward(
            dy, x, weight, mean, var, torch::Tensor(), torch::Tensor(), false, eps, {true, true, true});
        auto invstd = torch::rsqrt(var + eps);
        auto sums = torch::cat({gradBias, gradWeight / invstd}).to(torch::kFloat32).contiguous();
        if (collective) collective->allreduceSum(sums);
        auto sumDy = sums.narrow(0, 0, c), sumDyXmu = sums.narrow(0, c, c);
        // dx = w·invstd·(dy − ΣDy/N − (x − mean)·invstd²·ΣDy(x − mean)/N): the first term is dxFixed.
        auto a = (weight * invstd.pow(3) * sumDyXmu / count).view({1, c, 1, 1});
        auto b = (weight * invstd * sumDy / count).view({1, c, 1, 1});
        // (x − mean) first: x·a − mean·a would cancel where the mean is large against the spread.
        auto dx = dxFixed - ((x - mean.view({1, c, 1, 1})) * a + b);
        return {dx.to(x.scalar_type()), gradWeight,      gradBias,        torch::Tensor(),
                torch::Tensor(),        torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};

}  // namespace

torch::Tensor syncBatchNorm(Collective* collective, torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
    const int64_t c = x.size(1);
    torch::Tensor mean, var;
    double total = 0;
    {
        torch::NoGradGuard noGrad;
        // Each rank's count, mean and sum of squared deviations, gathered in one collective (float64) and
        // combined exactly as one pass over the global batch would (Chan et al.'s parallel variance).
        // LibTorch's fused batch-norm statistics (a reduction over N, H, W with var_mean is several times
        // slower on channels-last maps); the variance comes back from its inverse standard deviation.
        const double eps = bn.options.eps();
        const double local = static_cast<double>(x.numel() / std::max<int64_t>(1, c));
        const auto localStats = at::native_batch_norm(x.detach(), {}, {}, {}, {}, true, 0.0, eps);
        auto m = std::get<1>(localStats).to(torch::kFloat64);
        auto v = (std::get<2>(localStats).to(torch::kFloat64).pow(-2) - eps).clamp_min(0.0);
        auto mine = torch::cat({torch::full({1}, local, m.options()), m, v * local});
        torch::Tensor stats = mine.unsqueeze(0);
        if (collective) {
            std::vector<std::vector<at::Tensor>> all(1);
            for (int r = 0; r < collective->worldSize(); ++r)
                all[0].push_back(torch::zeros_like(mine));
            std::vector<at::Tensor> in{mine};
            collective->group().allgather(all, in)->wait();
            stats = torch::stack(all[0]);
        }
        auto counts = stats.narrow(1, 0, 1);  // W, 1
        auto means = stats.narrow(1, 1, c);
        auto m2s = stats.narrow(1, 1 + c, c);
        total = counts.sum().item<double>();
        if (total < 2)
            throw Error("synchronised batch norm needs more than one value per channel across the ranks");
        auto globalMean = (counts * means).sum(0) / total;
        auto m2 = (m2s + counts * (means - globalMean).pow(2)).sum(0);
        mean = globalMean.to(torch::kFloat32);
        var = (m2 / total).to(torch::kFloat32);
    }
    torch::Tensor weight = bn.options.affine() ? bn.weight : torch::ones({c}, mean.options());
    torch::Tensor bias = bn.options.affine() ? bn.bias : torch::zeros({c}, mean.options());
    auto y = SyncBatchNormFunction::apply(x, weight, bias, mean, var, bn.options.eps(), total,
                                          reinterpret_cast<int64_t>(collective));
    if (bn.options.track_running_stats()) {
        torch::NoGradGuard noGrad;
        bn.num_batches_tracked.add_(1);
        // As BatchNorm2d: an exponential average, or the cumulative one when momentum is unset.
        const auto momentum = bn.options.momentum();
        const double mom = momentum ? *momentum : 1.0 / bn.num_batches_tracked.item<double>();
        bn.running_mean.mul_(1.0 - mom).add_(mean, mom);
        bn.running_var.mul_(1.0 - mom).add_(var * (total / (total - 1.0)), mom);
    }
    return y;
}

}  // namespace distillery
