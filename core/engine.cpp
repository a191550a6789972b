#include "core/engine.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <ATen/autocast_mode.h>

#include "core/baseline.h"
#include "core/distributions.h"
#include "core/format.h"
#include "core/hardware.h"
#include "core/imaging.h"
#include "core/internal/checkpoint.h"
#include "core/internal/data_free.h"
#include "core/internal/distributed.h"
#include "core/internal/evaluation.h"
#include "core/internal/inference.h"
#include "core/internal/loader.h"
#include "core/internal/losses.h"
#include "core/internal/memory_format.h"
#include "core/internal/precision.h"
#include "core/internal/quant_internal.h"
#include "core/internal/teacher_cache.h"
#include "core/quantize.h"
#include "core/run_files.h"
#include "core/sha256.h"
#include "core/zoo.h"

namespace distillery {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
namespace F = torch::nn::functional;

namespace {

std::string tapNames(const ModelInfo& info) {
    std::string s;
    for (const auto& t : info.taps)
        s += (s.empty() ? "" : ", ") + t.name;
    return s;
}

const TapInfo* findTap(const ModelInfo& info, const std::string& name) {
    for (const auto& t : info.taps)
        if (t.name == name) return &t;
    return nullptr;
}

/** True when the train transforms give every sample the same input in every epoch. */
bool deterministicPipeline(const std::vector<TransformStep>& steps, int height, int width) {
    for (const auto& t : steps) {
        if (t.kind == TransformStep::Kind::HFlip && t.probability > 0.0 && t.probability < 1.0) return false;
        if (t.kind == TransformStep::Kind::RandomCrop) {
            const int size = t.size > 0 ? t.size : std::max(height, width);
            if (t.padding > 0 || size < height || size < width) return false;
        }
    }
    return true;
}

/** bf16 mixed precision for the forward passes in its scope, on this thread (autocast state is
 *  thread-local): convolutions and matrix products run in bfloat16 on the fp32 master weights; everything
 *  autocast keeps in fp32 stays there. The weight casts it caches are dropped when the scope ends. */
class MixedPrecisionScope {
public:
    explicit MixedPrecisionScope(bool enabled) : mEnabled(enabled) {
        if (!mEnabled) return;
        mWasEnabled = at::autocast::is_cpu_enabled();
        mPreviousType = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        at::autocast::set_cpu_enabled(true);
        at::autocast::increment_nesting();
    }
    ~MixedPrecisionScope() {
        if (!mEnabled) return;
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        at::autocast::set_cpu_enabled(mWasEnabled);
        at::autocast::set_autocast_cpu_dtype(mPreviousType);
    }
    MixedPrecisionScope(const MixedPrecisionScope&) = delete;
    MixedPrecisionScope& operator=(const MixedPrecisionScope&) = delete;

private:
    bool mEnabled;
    bool mWasEnabled = false;
    at::ScalarType mPreviousType = at::kBFloat16;
};

/** Losses, metrics and reductions in fp32: a bf16 forward pass's outputs as fp32 tensors (differentiable). */
void toFloat(GraphNetImpl::Outputs& outputs) {
    if (outputs.output.defined() && outputs.output.scalar_type() != torch::kFloat)
        outputs.output = outputs.output.to(torch::kFloat);
    for (auto& [name, tap] : outputs.taps)
        if (tap.defined() && tap.is_floating_point() && tap.scalar_type() != torch::kFloat)
            tap = tap.to(torch::kFloat);
}

}  // namespace

bool chooseBf16(const std::string& precision, bool cpu, const std::string& nativeFlags, double speedup,
                std::string* note) {
    if (precision == "fp32") return false;
    std::string text;
    bool bf16 = false;
    if (!cpu) {
        text = "bf16 mixed precision is implemented for the CPU only: training in fp32";
    } else if (nativeFlags.empty()) {
        text = "this CPU has no native bf16 (AVX512-BF16 or AMX): training in fp32, which is faster here";
    } else if (precision == "bf16" || std::isnan(speedup)) {  // asked for, or not measured (forced)
        bf16 = true;
        text = "bf16 mixed precision (the CPU has " + nativeFlags + ")";
    } else {
        std::ostringstream rate;
        rate.precision(2);
        rate << speedup;
        bf16 = speedup >= kBf16AutoSpeedup;
        text = bf16 ? "bf16 mixed precision (the CPU has " + nativeFlags + "; its bf16 convolutions ran " +
                          rate.str() + "x as fast as fp32 here)"
                    : "the CPU has " + nativeFlags + ", but its bf16 convolutions ran " + rate.str() +
                          "x as fast as fp32 here: computing in fp32";
    }
    if (note) *note = text;
    return bf16;
}

double measuredBf16Speedup(bool inference) {
    static std::once_flag once;
    static double forward = 1.0, training = 1.0;
    std::call_once(once, [] {
        const bool autocast = at::autocast::is_cpu_enabled();  // fp32 must run as fp32
        at::autocast::set_cpu_enabled(false);
        // fp32 and bf16 take turns, each keeping its fastest round, so that a burst of load from another
        // process (a build, a sweep's next run) lands on both rather than on whichever was being timed.
        // Under sustained load the answer is the loaded one, and rightly: bf16 steps suffer far more from
        // sharing the cores than fp32 steps (docs/BENCHMARKS.md).
        const auto timed = [](const std::function<void()>& f) {
            const auto t0 = std::chrono::steady_clock::now();
            f();
            return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        };
        double f32 = 0, f16 = 0, t32 = 0, t16 = 0;
        for (const auto& [channels, size] : {std::pair<int64_t, int64_t>{32, 28}, {64, 14}}) {
            auto x = torch::randn({64, channels, size, size}).contiguous(torch::MemoryFormat::ChannelsLast);
            auto w =
                torch::randn({channels, channels, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast) * 0.05;
            std::vector<std::function<void()>> work;  // forward fp32, step fp32, forward bf16, step bf16
            for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
                const auto xd = x.to(dtype), wd = w.to(dtype);
                work.push_back([xd, wd] {
                    torch::NoGradGuard noGrad;
                    torch::conv2d(xd, wd, {}, 1, 1);
                });
                work.push_back([xd, wd] {
                    auto xi = xd.detach().requires_grad_(), wi = wd.detach().requires_grad_();
                    torch::conv2d(xi, wi, {}, 1, 1).sum().backward();
                });
            }
            for (int i = 0; i < 2; ++i)
                for (auto& f : work)
                    f();  // oneDNN builds its kernels on the first calls
            std::vector<double> best(work.size(), std::numeric_limits<double>::infinity());
            for (int round = 0; round < 5; ++round)
                for (size_t k = 0; k < work.size(); ++k)
                    best[k] = std::min(best[k], timed(work[k]));
            f32 += best[0];
            t32 += best[1];
            f16 += best[2];
            t16 += best[3];
        }
        forward = f32 / std::max(f16, 1e-9);
        training = t32 / std::max(t16, 1e-9);
        at::autocast::set_cpu_enabled(autocast);
    });
    return inference ? forward : training;
}

bool useBf16(const std::string& precision, torch::Device device, std::string* note, bool inference) {
    if (precision == "fp32") return false;
    const bool cpu = device.is_cpu();
    const bool native = cpu && cpuHasNativeBf16();
    std::string flags = native ? nativeBf16Flags() : std::string();
    if (native && flags.empty()) flags = "native bf16";  // DISTILLERY_CPU_BF16=1
    const char* forced = std::getenv("DISTILLERY_CPU_BF16");
    const bool measure = native && precision == "auto" && !(forced && *forced);
    const double speedup =
        measure ? measuredBf16Speedup(inference) : std::numeric_limits<double>::quiet_NaN();
    return chooseBf16(precision, cpu, flags, speedup, note);
}

double scheduledLearningRate(const Recipe& r, int64_t step0, int64_t stepsPerEpoch) {
    const double base = r.optim.lr;
    const int64_t total = std::max<int64_t>(1, static_cast<int64_t>(r.epochs) * stepsPerEpoch);
    const auto warmup = static_cast<int64_t>(std::llround(r.schedule.warmupEpochs * stepsPerEpoch));
    if (step0 < warmup) return base * static_cast<double>(step0 + 1) / static_cast<double>(warmup);
    if (r.schedule.name == "cosine") {
        const double progress =
            static_cast<double>(step0 - warmup) / static_cast<double>(std::max<int64_t>(1, total - warmup));
        return r.schedule.minLr +
               (base - r.schedule.minLr) * 0.5 * (1.0 + std::cos(M_PI * std::min(1.0, progress)));
    }
    if (r.schedule.name == "step") {
        const int64_t epoch0 = step0 / std::max<int64_t>(1, stepsPerEpoch);
        double lr = base;
        for (int m : r.schedule.milestones)
            if (epoch0 >= m) lr *= r.schedule.gamma;
        return lr;
    }
    return base;
}

struct Job::Impl {
    Recipe recipe;
    JobOptions options;
    RunPaths paths;
    torch::Device device{torch::kCPU};

    std::shared_ptr<Dataset> trainData, valData;
    GraphNet student{nullptr};
    GraphNet teacher{nullptr};
    // The frozen teacher as the run executes it: fp32 or bf16 on oneDNN with packed weights, or int8.
    std::unique_ptr<InferenceRunner> teacherRunner;
    std::unique_ptr<Int8Net> teacherInt8;
    std::string studentPrecision;  // what train() resolved the recipe's precision to (empty before it ran)
    std::string teacherPrecision = "fp32";  // what it runs in after the device's capabilities were checked
    double teacherAgreement = -1.0;         // with its fp32 self on validation samples (bf16, int8)
    std::string teacherWeightsHash;         // SHA-256 of the files its weights came from (cache key)
    std::vector<LossTerm> terms;
    std::vector<std::string> studentTaps, teacherTaps;
    ModelInfo studentInfo, teacherInfo;
    std::string studentOnnxHash, teacherOnnxHash;  // content of imported files (summary.json)
    int64_t numClasses = 0;
    Task task = Task::Classification;

    std::thread thread;
    std::atomic<bool> cancelRequested{false};
    std::atomic<bool> running{false};
    bool pauseRequested = false;
    std::mutex pauseMutex;
    std::condition_variable pauseChanged;

    std::mutex observerMutex;
    std::vector<std::shared_ptr<Observer>> observers;
    // What the job logs before it starts (setup runs in the constructor, before anyone can observe it):
    // replayed to each observer as it attaches. Guarded by observerMutex.
    std::vector<std::pair<LogLevel, std::string>> earlyLog;
    bool keepEarlyLog = true;

    struct SnapshotRequest {
        std::string teacherTap, studentTap;
        Split split = Split::Val;
        int64_t sample = 0;
    };
    std::mutex snapshotMutex;
    std::optional<SnapshotRequest> pendingSnapshot;
    std::mutex modelMutex;   // the loop holds it while it uses the models; idle snapshots take it too
    std::mutex idleMutex;    // guards the idle worker below
    std::thread idleThread;  // serves snapshots while the job is not training
    bool idleWorkerBusy = false;
    int64_t currentStep = 0;

    RunSummary summary;
    bool started = false;
    // A resumed run: its checkpoints/last.pt's description, read once when the job is created.
    std::optional<CheckpointMeta> resumedFrom;

    ~Impl() {
        // Also when the constructor threw after creating it.
        if (!scratchDir.empty()) {
            std::error_code ec;
            fs::remove_all(scratchDir, ec);
        }
    }

    // ---- data-parallel training (options.distributed) ----
    std::unique_ptr<WorkerProcesses> workers;  // rank 0 with --nproc: ranks 1 … N−1
    std::unique_ptr<Collective> collective;
    std::string scratchDir;  // rank > 0: its run files, removed with the job
    /** The rank that writes the run folder and checkpoints (every rank of a single-process job). */
    bool primary() const { return !collective || collective->rank() == 0; }
    void joinJob();
    /** What a collective that failed means for the user: which rank stopped, where known. */
    std::string distributedFailure(const std::string& what) const;

    // ---- observers ----
    template <typename F>
    void emit(F&& f) {
        std::vector<std::shared_ptr<Observer>> copy;
        {
            std::lock_guard<std::mutex> lock(observerMutex);
            copy = observers;
        }
        for (auto& o : copy)
            f(*o);
    }
    void log(LogLevel level, const std::string& text) {
        {
            std::lock_guard<std::mutex> lock(observerMutex);
            if (keepEarlyLog) earlyLog.emplace_back(level, text);
        }
        emit([&](Observer& o) { o.onLog(level, text); });
    }

    void setup();
    /** `auto` in a resumed run: the precision its checkpoint records (the one it started in), so that a new
     *  measurement under other load cannot switch it half-way; anything else as the recipe says. */
    std::string resolvedOnResume(const std::string& wanted, bool teacher);
    void setupTeacherPrecision();
    std::string teacherCacheDescription() const;
    std::unordered_map<std::string, torch::Tensor> runTeacher(const torch::Tensor& images);
    void runLoop();
    void train();
    void serviceSnapshot();
    ActivationSnapshot takeSnapshot(const SnapshotRequest& request);
    ChannelDistributions distributions(const DistributionRequest& request);
    /** The recipe's optimiser over `params` (training: the student and the terms' trainParameters). */
    std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const std::vector<torch::Tensor>& params);
    void writeSummary(const RunSummary& s);
    void setupQuantization();
    void prepareQuantization();
    std::vector<int> vertical;  // once-QAT: the widths the student holds, top first (empty: not vertical)
    // Data-free distillation (recipe data_free): the conditional generator, and the teacher unfolded (its
    // batch norms intact) whose batch statistics and gradients the generator learns from.
    GraphNet generator{nullptr};
    GraphNet statsTeacher{nullptr};
    bool dataFree() const { return recipe.dataFree.enabled; }
    /** The train split: refused for data-free runs, which have none. */
    std::shared_ptr<Dataset> splitData(Split split, const char* what) const;
    /** The vertical-layered student evaluated at each of its widths, back at the top one afterwards. */
    EvalResult verticalEvaluation(BatchLoader& valLoader, Collective* collective);
};

std::shared_ptr<Dataset> Job::Impl::splitData(Split split, const char* what) const {
    if (split != Split::Train) return valData;
    if (!trainData)
        throw Error(std::string(what) + ": a data-free run reads no training images; use the val split");
    return trainData;
}

EvalResult Job::Impl::verticalEvaluation(BatchLoader& valLoader, Collective* collective) {
    EvalResult mean;
    std::vector<std::pair<std::string, double>> perWidth;
    for (int bits : vertical) {
        student->setVerticalBits(bits);
        valLoader.startEpoch(1);
        const EvalResult e = evaluateModel(student, valLoader, numClasses, device, {}, collective);
        if (mean.metrics.empty()) {
            mean.metrics = e.metrics;
            mean.perClassIoU = e.perClassIoU;
            for (auto& m : mean.metrics)
                m.second = 0.0;
            std::fill(mean.perClassIoU.begin(), mean.perClassIoU.end(), 0.0);
        }
        const double n = static_cast<double>(vertical.size());
        for (size_t i = 0; i < e.metrics.size() && i < mean.metrics.size(); ++i)
            mean.metrics[i].second += e.metrics[i].second / n;
        for (size_t c = 0; c < e.perClassIoU.size() && c < mean.perClassIoU.size(); ++c)
            mean.perClassIoU[c] += e.perClassIoU[c] / n;
        for (const auto& [k, v] : e.metrics)
            perWidth.emplace_back("w" + std::to_string(bits) + "/" + k, v);
    }
    student->setVerticalBits(vertical.front());
    mean.metrics.insert(mean.metrics.end(), perWidth.begin(), perWidth.end());
    return mean;
}

void Job::Impl::setupQuantization() {
    const QuantSpec& q = recipe.quant;
    const std::string where = recipe.sourcePath + ": quantize.from: ";
    std::string from;
    try {
        from = resolveCheckpoint(q.from);
    } catch (const Error& e) {
        throw Error(where + e.what());
    }
    if (!options.resume) {
        CheckpointMeta m;
        try {
            m = loadCheckpoint(from, student, nullptr, nullptr);
        } catch (const Error& e) {
            throw Error(where + e.what());
        }
        if (m.quantized)
            throw Error(where + from + " is already quantized (expected the fp32 student's run)");
    }
    student->eval();
    student->foldBatchNorm();
    std::map<std::string, int> bits;
    try {
        bits = resolveWeightBits(student, q);
    } catch (const Error& e) {
        throw Error(recipe.sourcePath + ": " + e.what());
    }
    if (!q.budget.empty()) parseBudget(q.budget);  // fail early on a malformed budget
    student->enableQuantization(bits, q.lsq);
    if (!q.vertical.empty()) {
        for (const auto& t : recipe.losses)
            if (t.method == LossMethod::Crd || t.method == LossMethod::Dml)
                throw Error(recipe.sourcePath + ": quantize.vertical: cannot train with a " +
                            methodName(t.method) + " term (it would update its state once per width)");
        student->enableVerticalLayering(q.vertical);
        vertical = q.vertical;
    }
}

// New QAT runs, on the job's thread: bits from the budget (if any), then activation calibration.
void Job::Impl::prepareQuantization() {
    const QuantSpec& q = recipe.quant;
    if (!q.budget.empty()) {
        log(LogLevel::Info, "measuring per-layer sensitivity for the budget " + q.budget);
        auto sens = measureSensitivity(q.from, q, options.threads > 0 ? options.threads : recipe.threads);
        auto bits = searchBitWidths(sens, parseBudget(q.budget));
        std::string text;
        for (const auto& [name, b] : bits) {
            student->setWeightBits(student->nodeIndex(name), b);
            text += (text.empty() ? "" : ", ") + name + "=" + std::to_string(b);
        }
        log(LogLevel::Info, "weight bits: " + text);
        applyThreadCount(options.threads > 0 ? options.threads : recipe.threads);
    }
    log(LogLevel::Info, "calibrating activations on " + std::to_string(q.calibrationBatches) +
                            " train batches (" + q.observer + ")");
    calibrateOn(student, calibrationBatches(trainData, recipe, q.calibrationBatches), q);
}

void Job::Impl::setup() {
    const Recipe& r = recipe;
    device = chooseDevice(r.device);
    // Data-parallel on CUDA: one GPU per local rank.
    if (device.is_cuda() && options.distributed.enabled() && torch::cuda::device_count() > 0)
        device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(options.distributed.localRank %
                                                                           torch::cuda::device_count()));
    // A data-free run opens the train split only to count its batches (when data_free.steps_per_epoch
    // is 0), and never reads an image of it.
    if (!dataFree() || r.dataFree.stepsPerEpoch == 0) {
        trainData = openDataset(r.data, Split::Train);
        if (trainData->size() == 0) throw Error("data: the train split of " + r.data.dataset + " is empty");
    }
    valData = openDataset(r.data, Split::Val);
    if (valData->size() == 0) throw Error("data: the val split of " + r.data.dataset + " is empty");
    task = valData->task();
    numClasses = valData->numClasses();
    if (dataFree() && task != Task::Classification)
        throw Error(r.sourcePath +
                    ": data_free: needs a classification data set (the generator is asked for "
                    "images of a class), but " +
                    r.data.dataset + " is for " + taskName(task));

    // Input size as the model sees it: one validation sample through the eval transforms.
    Sample probe = valData->get(0);
    std::mt19937_64 rng(0);
    applyTransforms(r.evalTransforms, probe, rng);
    const int inC = probe.image.channels, h = probe.image.height, w = probe.image.width;

    auto label = [&](const std::string& field) { return r.sourcePath + ": " + field + ": "; };
    torch::manual_seed(r.seed);
    try {
        student = buildModel(r.student, task, inC, numClasses, h, w);
        // A model from a checkpoint is called by the architecture the file records (e.g. resnet20-pruned).
        if (!r.student.checkpoint.empty() && r.student.arch.empty())
            recipe.student.arch = readCheckpointMeta(resolveCheckpoint(r.student.checkpoint)).model.arch;
    } catch (const Error& e) {
        throw Error(label(!r.student.checkpoint.empty() ? "model.checkpoint"
                          : r.student.onnx.empty()      ? "model"
                                                        : "model.onnx") +
                    e.what());
    }
    if (r.quant.enabled) setupQuantization();
    studentInfo = measureModel(student, r.student, task, inC, numClasses, h, w);
    if (!r.student.onnx.empty()) {
        studentOnnxHash = sha256File(r.student.onnx);
        // A resumed run must continue from the same file: the checkpoint's weights fit its graph only.
        if (options.resume) {
            const auto previous = RunFolder(paths.root).readSummaryIfAny();
            const std::string before = previous ? previous->student.onnxSha256 : std::string();
            if (!before.empty() && before != studentOnnxHash)
                throw Error(
                    label("model.onnx") + r.student.onnx +
                    " changed since the run started (its SHA-256 differs from summary.json's); resume "
                    "needs the file the run was started with");
        }
    }
    if (!r.teacher.model.onnx.empty() && r.job == JobKind::Distill &&
        fs::is_regular_file(r.teacher.model.onnx))
        teacherOnnxHash = sha256File(r.teacher.model.onnx);

    if (r.job == JobKind::Distill) {
        std::string ckpt;
        CheckpointMeta meta;
        if (!r.teacher.model.onnx.empty() && r.teacher.checkpoint.empty()) {
            ckpt = r.teacher.model.onnx;  // the imported file's own weights
            try {
                teacher = loadTeacher(r.teacher, task, inC, numClasses, h, w, torch::kCPU, &meta);
            } catch (const Error& e) {
                throw Error(label("teacher.onnx") + e.what());
            }
        } else {
            try {
                ckpt = resolveCheckpoint(r.teacher.checkpoint);
            } catch (const Error& e) {
                throw Error(label("teacher.checkpoint") + e.what());
            }
            teacher = loadModel(ckpt, &meta, torch::kCPU);
        }
        if (!r.teacher.model.arch.empty() && r.teacher.model.arch != meta.model.arch)
            throw Error(
                label("teacher.arch") + "'" + r.teacher.model.arch + "' but " + ckpt + " holds a " +
                (meta.model.arch.empty() ? meta.model.displayName() + " (imported)" : meta.model.arch));
        if (meta.task != task || meta.inChannels != inC || meta.numClasses != numClasses)
            throw Error(label("teacher.checkpoint") + ckpt + " was trained for " + taskName(meta.task) +
                        " with " + std::to_string(meta.inChannels) + " input channels and " +
                        std::to_string(meta.numClasses) + " classes, but the data has " +
                        std::to_string(inC) + " channels and " + std::to_string(numClasses) + " classes");
        teacherWeightsHash = sha256File(ckpt) + (teacherOnnxHash.empty() ? "" : "+" + teacherOnnxHash);
        for (auto& p : teacher->parameters())
            p.set_requires_grad(false);
        teacherInfo = measureModel(teacher, meta.model, task, inC, numClasses, h, w);
        if (dataFree()) {
            // A second copy of the teacher keeps its batch norms (the one the student learns from has them
            // folded into its convolutions): the generator matches their statistics and learns through it.
            statsTeacher = loadTeacher(r.teacher, task, inC, numClasses, h, w, torch::kCPU);
            for (auto& p : statsTeacher->parameters())
                p.set_requires_grad(false);
            bool hasBatchNorm = false;
            for (const auto& n : statsTeacher->nodes())
                hasBatchNorm = hasBatchNorm || (n.op == OpKind::BatchNorm && !n.folded);
            if (!hasBatchNorm && r.dataFree.bnWeight > 0.0)
                throw Error(label("data_free.bn") + "the teacher " + teacherInfo.arch +
                            " has no batch norm whose statistics the generator could match (an ONNX export "
                            "folds them into the convolutions); set bn: 0, or use the teacher's Distillery "
                            "checkpoint");
            torch::manual_seed(r.seed + 2000);
            generator = buildGenerator(r.dataFree, numClasses, inC, h, w, r.evalTransforms);
        }
    }

    std::set<std::string> sTaps, tTaps;
    // The shapes of a term's taps on one model (and the taps the run must compute), or an error naming the
    // recipe field.
    auto tapShapes = [&](const ModelInfo& info, const std::vector<std::string>& names,
                         const std::string& field, std::set<std::string>& used) {
        std::vector<std::vector<int64_t>> shapes;
        for (const auto& name : names) {
            const TapInfo* tap = findTap(info, name);
            if (!tap)
                throw Error(label(field) + "'" + name + "' is not a tap of " + info.arch +
                            " (taps: " + tapNames(info) + ")");
            shapes.push_back(tap->shape);
            used.insert(name);
        }
        return shapes;
    };
    for (size_t i = 0; i < r.losses.size(); ++i) {
        const LossTermSpec& spec = r.losses[i];
        const std::string field = "losses[" + std::to_string(i) + "]";
        std::vector<std::vector<int64_t>> tShapes, sShapes;
        if (spec.method == LossMethod::Dml) {
            // Deep mutual learning: the peer learns beside the student, with or without a teacher; with
            // teacher_kd the peer also learns the teacher's predictions (mixed learning).
            if (spec.param("teacher_kd") > 0.0) {
                if (!teacher)
                    throw Error(label(field + ".teacher_kd") +
                                "the peer's KD from the teacher needs job: distill "
                                "and a teacher");
                tapShapes(teacherInfo, {"logits"}, field + ".teacher_tap", tTaps);
            }
        } else if (spec.method != LossMethod::Task) {
            if (!teacher)
                throw Error(label(field + ".method") + methodName(spec.method) +
                            " needs job: distill and a teacher");
            tShapes = tapShapes(teacherInfo, spec.allTeacherTaps(), field + ".teacher_tap", tTaps);
            sShapes = tapShapes(studentInfo, spec.allStudentTaps(), field + ".student_tap", sTaps);
        }
        torch::manual_seed(r.seed + 1000 + i);
        try {
            terms.push_back(LossTerm(spec, task, tShapes, sShapes, trainData ? trainData->size() : 0));
            terms.back()->createPeer(task, inC, numClasses, h, w);
        } catch (const Error& e) {
            throw Error(label(field) + e.what());
        }
    }
    if (terms.empty()) throw Error(label("losses") + "no loss terms");
    studentTaps.assign(sTaps.begin(), sTaps.end());
    teacherTaps.assign(tTaps.begin(), tTaps.end());

    student->to(device);
    if (teacher) teacher->to(device);
    if (generator) generator->to(device);
    if (statsTeacher) statsTeacher->to(device);
    // The frozen teacher runs in eval mode: folding its batch norms into the convolutions is exact and
    // saves a pass over every feature map. Channels-last weights and inputs suit oneDNN's convolutions.
    if (teacher) teacher->foldBatchNorm(/*keepTaps=*/true);
    student->useChannelsLast();
    if (teacher) teacher->useChannelsLast();
    if (teacher) setupTeacherPrecision();
    for (auto& t : terms)
        useChannelsLast(*t);
    for (auto& t : terms)
        t->to(device);
}

std::string Job::Impl::resolvedOnResume(const std::string& wanted, bool forTeacher) {
    if (wanted != "auto" || !resumedFrom) return wanted;
    const std::string& recorded = forTeacher ? resumedFrom->teacherPrecision : resumedFrom->precision;
    if (recorded.empty()) return wanted;  // a checkpoint from before they were recorded
    log(LogLevel::Info, std::string(forTeacher ? "teacher: " : "") + "precision auto: resuming in " +
                            recorded + ", as the run started");
    return recorded;
}

void Job::Impl::setupTeacherPrecision() {
    const Recipe& r = recipe;
    const std::string wanted = resolvedOnResume(r.teacher.precision, /*teacher=*/true);
    teacher->eval();
    if (wanted == "int8" && !device.is_cpu()) {
        log(LogLevel::Warning, "teacher: int8 runs on the CPU's int8 kernels only: the teacher runs in fp32");
    } else if (wanted == "int8") {
        // Post-training quantization as `distillery-cli quantize` does it: per-channel int8 weights,
        // per-tensor uint8 activations calibrated (min-max) on train batches through the eval transforms.
        QuantSpec spec;
        teacher->enableQuantization(resolveWeightBits(teacher, spec), false);
        calibrateOn(teacher, calibrationBatches(trainData, r, spec.calibrationBatches), spec);
        teacher->setQuantActive(true);
        teacherInt8 = std::make_unique<Int8Net>(teacher);
        for (const auto& tap : teacherTaps) {
            const std::string problem = teacherInt8->tapProblem(tap);
            if (!problem.empty())
                throw Error(r.sourcePath + ": teacher.precision: int8: " + problem +
                            " (or run the teacher in bf16 or fp32)");
        }
        teacherPrecision = "int8";
        log(LogLevel::Info, "teacher: int8 on LibTorch's " + Int8Net::engineName() +
                                " kernels, calibrated on " + std::to_string(spec.calibrationBatches) +
                                " train batches");
    } else {
        std::string note;
        const bool bf16Teacher = useBf16(wanted, device, &note, /*inference=*/true);
        // auto falls back to fp32 silently where bf16 is not native, and says why where it is native but
        // measured slower; an explicit bf16 warns.
        if (wanted == "bf16" || (wanted == "auto" && device.is_cpu() && cpuHasNativeBf16()))
            log(bf16Teacher || wanted == "auto" ? LogLevel::Info : LogLevel::Warning, "teacher: " + note);
        teacherPrecision = bf16Teacher ? "bf16" : "fp32";
    }
    if (!teacherInt8) teacherRunner = std::make_unique<InferenceRunner>(teacher, teacherPrecision == "bf16");
    if (teacherPrecision == "fp32") return;

    // How far the teacher as run is from its fp32 self: its predictions (pixels for segmentation) on up to
    // 1 024 validation samples, against the same folded net in fp32.
    torch::NoGradGuard noGrad;
    BatchLoader loader(valData, r.evalTransforms, r.evalBatchSize, false, false, r.seed, r.data.workers);
    loader.startEpoch(1);
    Batch batch;
    int64_t same = 0, total = 0, samples = 0;
    while (samples < 1024 && loader.next(batch)) {
        auto images = exactChannelsLast(batch.images.to(device));
        torch::Tensor reference;
        if (teacherInt8) {
            teacher->setQuantActive(false);
            reference = teacher->forward(images);
            teacher->setQuantActive(true);
        } else {
            reference = teacher->forward(images);
        }
        auto mine = teacherInt8 ? teacherInt8->forward(images) : teacherRunner->forward(images);
        auto other = mine.to(reference.device());
        torch::Tensor agree;
        if (task == Task::Detection) {
            // A detector's decisions: the strongest class of the cells where the fp32 teacher sees an object
            // (score >= 0.3, as the predictions view draws), not the background's near-ties.
            auto heat = reference.narrow(1, 0, numClasses);
            auto object = heat.amax(1) >= std::log(0.3 / 0.7);
            agree = heat.argmax(1).eq(other.narrow(1, 0, numClasses).argmax(1)).masked_select(object);
        } else {
            agree = reference.argmax(1).eq(other.argmax(1));
        }
        same += agree.sum().item<int64_t>();
        total += agree.numel();
        samples += images.size(0);
    }
    loader.stop();
    if (total == 0) return;
    teacherAgreement = static_cast<double>(same) / static_cast<double>(total);
    char text[160];
    std::snprintf(text, sizeof text, "teacher: %s agrees with its fp32 self on %.2f %% of %lld validation %s",
                  teacherPrecision.c_str(), 100.0 * teacherAgreement, static_cast<long long>(total),
                  task == Task::Segmentation ? "pixels"
                  : task == Task::Detection  ? "object cells"
                                             : "predictions");
    log(LogLevel::Info, text);
}

std::string Job::Impl::teacherCacheDescription() const {
    // Everything that determines the teacher's outputs for training sample i: its weights and arithmetic,
    // the taps, the data set (its settings, its files' sizes and times, and a sample of its content) and the
    // train transforms. The key is this text's SHA-256.
    const Recipe& r = recipe;
    nlohmann::json j;
    j["format"] = "distillery teacher cache 2";  // 2: a tapped conv keeps its batch norm
    j["teacher"] =
        teacherInfo.arch + (teacherInfo.head.empty() ? "" : "/" + teacherInfo.head) + " " + teacherPrecision;
    j["teacher_weights"] = teacherWeightsHash;
    j["teacher_precision"] = teacherPrecision;
    j["device"] = device.str();
    if (teacherPrecision == "int8") {
        // Its calibration: the first train batches through the eval transforms, shuffled with the seed.
        Recipe calibration;
        calibration.evalTransforms = r.evalTransforms;
        j["int8_calibration"] = {{"seed", r.seed},
                                 {"batch_size", r.batchSize},
                                 {"batches", QuantSpec{}.calibrationBatches},
                                 {"engine", Int8Net::engineName()},
                                 {"eval_transforms", recipeToYaml(calibration)}};
    }
    for (const auto& tap : teacherTaps)
        j["taps"].push_back(tap);
    Recipe dataOnly;
    dataOnly.data = r.data;
    dataOnly.data.workers = 0;
    dataOnly.trainTransforms = r.trainTransforms;
    std::string yaml = recipeToYaml(dataOnly);
    j["data_recipe"] = yaml;
    j["data"] = trainData->name() + ", " + std::to_string(trainData->size()) + " train samples";
    j["input"] = {studentInfo.inputH, studentInfo.inputW};
    Sha256 files;
    std::error_code ec;
    for (const std::string& root : {r.data.root}) {
        if (root.empty() || !fs::exists(root, ec)) continue;
        int64_t seen = 0;
        std::vector<std::string> lines;
        for (auto it =
                 fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
             it != fs::recursive_directory_iterator() && seen < 200000; it.increment(ec), ++seen) {
            if (ec || !it->is_regular_file(ec)) continue;
            const auto time = it->last_write_time(ec).time_since_epoch().count();
            lines.push_back(it->path().string() + " " + std::to_string(it->file_size(ec)) + " " +
                            std::to_string(time));
        }
        std::sort(lines.begin(), lines.end());
        for (const auto& l : lines)
            files.update(l.data(), l.size());
    }
    j["data_files"] = files.hex();
    Sha256 content;
    const int64_t n = trainData->size();
    const int64_t probes = std::min<int64_t>(n, 64);
    for (int64_t k = 0; k < probes; ++k) {
        const int64_t i = probes > 1 ? k * (n - 1) / (probes - 1) : 0;
        const Sample smp = trainData->get(i);
        content.update(smp.image.data.data(), smp.image.data.size() * sizeof(float));
    }
    j["data_sample"] = content.hex();
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::unordered_map<std::string, torch::Tensor> Job::Impl::runTeacher(const torch::Tensor& images) {
    torch::NoGradGuard noGrad;
    if (teacherInt8) {
        auto taps = teacherInt8->run(images.to(torch::kCPU), teacherTaps).taps;
        for (auto& [name, value] : taps)
            value = value.to(device);
        return taps;
    }
    return teacherRunner->run(images, teacherTaps).taps;
}

std::unique_ptr<torch::optim::Optimizer> Job::Impl::makeOptimizer(const std::vector<torch::Tensor>& params) {
    const OptimSpec& o = recipe.optim;
    if (o.name == "adamw")
        return std::make_unique<torch::optim::AdamW>(params, torch::optim::AdamWOptions(o.lr)
                                                                 .betas({o.beta1, o.beta2})
                                                                 .eps(o.eps)
                                                                 .weight_decay(o.weightDecay));
    if (o.name == "sgd")
        return std::make_unique<torch::optim::SGD>(params, torch::optim::SGDOptions(o.lr)
                                                               .momentum(o.momentum)
                                                               .nesterov(o.nesterov)
                                                               .weight_decay(o.weightDecay));
    throw Error(recipe.sourcePath + ": optim.name: unknown optimiser '" + o.name + "' (allowed: sgd, adamw)");
}

void Job::Impl::writeSummary(const RunSummary& s) {
    RunSummaryRecord r;
    r.name = recipe.name;
    r.kind = kindOfRecipe(recipe);
    r.role = options.role;
    r.status = s.status;
    r.message = s.message;
    r.epochs = s.epochs;
    r.steps = s.steps;
    r.finalMetrics = s.finalMetrics;
    r.bestMetrics = s.bestMetrics;
    r.mainMetric = mainMetric(task);
    r.wallSeconds = s.wallSeconds;
    r.student = {studentInfo.arch,
                 studentInfo.head,
                 studentInfo.params,
                 studentInfo.macs,
                 studentOnnxHash.empty() ? std::string() : recipe.student.onnx,
                 studentOnnxHash,
                 {},
                 studentPrecision};
    if (teacher)
        r.teacher = ModelRecord{teacherInfo.arch,
                                teacherInfo.head,
                                teacherInfo.params,
                                teacherInfo.macs,
                                teacherOnnxHash.empty() ? std::string() : recipe.teacher.model.onnx,
                                teacherOnnxHash,
                                recipe.teacher.checkpoint,
                                teacherPrecision == "fp32" ? std::string() : teacherPrecision,
                                teacherAgreement};
    r.params = studentInfo.params;
    r.macs = studentInfo.macs;
    for (const auto& t : recipe.losses)
        r.lossTerms.push_back(t.label());
    r.dataset = recipe.data.dataset;
    r.seed = recipe.seed;
    r.worldSize = collective ? collective->worldSize() : 1;
    if (recipe.quant.enabled) r.source = recipe.quant.from;
    RunFolder(paths.root).writeSummary(r);
}

ActivationSnapshot Job::Impl::takeSnapshot(const SnapshotRequest& req) {
    ActivationSnapshot snap;
    snap.step = currentStep;
    snap.sampleIndex = req.sample;
    snap.split = req.split;
    auto data = splitData(req.split, "snapshot");
    if (req.sample < 0 || req.sample >= data->size())
        throw Error("snapshot: sample " + std::to_string(req.sample) + " out of range (" +
                    std::to_string(data->size()) + " samples)");
    if (!student->hasTap(req.studentTap))
        throw Error("snapshot: unknown student tap '" + req.studentTap + "'");
    if (!req.teacherTap.empty() && (!teacher || !teacher->hasTap(req.teacherTap)))
        throw Error("snapshot: unknown teacher tap '" + req.teacherTap + "'");
    snap.sample = data->get(req.sample);
    torch::NoGradGuard noGrad;
    auto input = sampleTensor(snap.sample, recipe.evalTransforms, device);
    const bool wasTraining = student->is_training();
    student->eval();
    for (auto& t : terms)
        t->eval();
    auto s = student->run(input, {req.studentTap}).taps.at(req.studentTap);
    if (teacher && !req.teacherTap.empty()) {
        auto t = teacher->run(input, {req.teacherTap}).taps.at(req.teacherTap);
        // Show the student as the loss sees it: the term that pairs these taps supplies adapter and resize.
        for (auto& term : terms) {
            if (term->spec().teacherTap == req.teacherTap && term->spec().studentTap == req.studentTap &&
                term->spec().method != LossMethod::Task) {
                s = term->alignStudent(s, t);
                break;
            }
        }
        snap.teacher = toFeatureMap(req.teacherTap, t);
    }
    snap.student = toFeatureMap(req.studentTap, s);
    student->train(wasTraining);
    for (auto& t : terms)
        t->train(wasTraining);
    return snap;
}

void Job::Impl::serviceSnapshot() {
    std::optional<SnapshotRequest> req;
    {
        std::lock_guard<std::mutex> lock(snapshotMutex);
        req.swap(pendingSnapshot);
    }
    if (!req) return;
    try {
        auto snap = takeSnapshot(*req);
        emit([&](Observer& o) { o.onSnapshot(snap); });
    } catch (const std::exception& e) {
        log(LogLevel::Warning, firstLine(e.what()));
    }
}

void Job::Impl::runLoop() {
    const auto t0 = Clock::now();
    RunSummary s;
    try {
        std::lock_guard<std::mutex> lock(modelMutex);
        train();
        s = summary;
    } catch (const Error& e) {
        s = summary;
        s.status = RunStatus::Failed;
        s.message = firstLine(e.what());
        log(LogLevel::Error, s.message);
    } catch (const std::exception& e) {
        s = summary;
        s.status = RunStatus::Failed;
        // A collective that failed means another rank stopped (or stopped answering): say which, if known.
        const std::string what = e.what();
        const bool communication = what.find("gloo") != std::string::npos ||
                                   what.find("Connection") != std::string::npos ||
                                   what.find("Timed out") != std::string::npos;
        s.message = collective && communication ? distributedFailure(what) : firstLine(what);
        log(LogLevel::Error, s.message);
    }
    // Local workers end with the job (a failed one: now).
    if (workers && !workers->finish(s.status == RunStatus::Failed ? 0.0 : 30.0) &&
        s.status != RunStatus::Failed) {
        s.status = RunStatus::Failed;
        s.message =
            workers->failure().empty() ? "a worker rank did not end after the job" : workers->failure();
        log(LogLevel::Error, s.message);
    }
    s.wallSeconds += std::chrono::duration<double>(Clock::now() - t0).count();
    s.params = studentInfo.params;
    s.macs = studentInfo.macs;
    try {
        writeSummary(s);
    } catch (const std::exception& e) {
        log(LogLevel::Error, firstLine(e.what()));
    }
    if (recipe.quant.enabled && s.status != RunStatus::Failed &&
        fs::is_regular_file(paths.checkpoint("best"))) {
        try {
            log(LogLevel::Info, "measuring the quantized student with LibTorch's int8 kernels");
            writeQatReport(paths.root, recipe.job == JobKind::Train ? "none" : recipe.quant.teacher,
                           options.threads > 0 ? options.threads : recipe.threads);
        } catch (const std::exception& e) {
            log(LogLevel::Warning, "int8 report: " + firstLine(e.what()));
        }
    }
    summary = s;
    running = false;
    {
        // A request that arrived after the loop's last look is still answered.
        std::lock_guard<std::mutex> lock(modelMutex);
        serviceSnapshot();
    }
    emit([&](Observer& o) { o.onFinished(s); });
}

void Job::Impl::train() {
    const Recipe& r = recipe;
    applyThreadCount(options.threads > 0 ? options.threads : r.threads);
    std::string precisionNote;
    const std::string precision = resolvedOnResume(r.precision, /*teacher=*/false);
    const bool bf16 = useBf16(precision, device, &precisionNote);
    if (precision != "fp32")
        log(bf16 || precision == "auto" ? LogLevel::Info : LogLevel::Warning, precisionNote);
    const int64_t maxSteps = options.maxSteps > 0 ? options.maxSteps : r.maxSteps;

    // A data-free run has no train loader: its batches come from the generator.
    std::unique_ptr<BatchLoader> trainLoader;
    if (!dataFree())
        trainLoader = std::make_unique<BatchLoader>(trainData, r.trainTransforms, r.batchSize, true,
                                                    trainData->size() >= r.batchSize, r.seed, r.data.workers);
    BatchLoader valLoader(valData, r.evalTransforms, r.evalBatchSize, false, false, r.seed, r.data.workers);
    if (collective) {
        // Every rank sees the batches one process would, each taking its part; evaluation splits whole
        // batches between the ranks.
        trainLoader->setShard(collective->rank(), collective->worldSize(),
                              BatchLoader::Sharding::SplitBatches);
        valLoader.setShard(collective->rank(), collective->worldSize(), BatchLoader::Sharding::WholeBatches);
    }
    const int64_t stepsPerEpoch = trainLoader ? trainLoader->batchesPerEpoch()
                                  : r.dataFree.stepsPerEpoch > 0
                                      ? r.dataFree.stepsPerEpoch
                                      : std::max<int64_t>(1, trainData->size() / r.batchSize);
    const int64_t plannedSteps = static_cast<int64_t>(r.epochs) * stepsPerEpoch;
    const int64_t totalSteps = maxSteps > 0 ? std::min(maxSteps, plannedSteps) : plannedSteps;

    std::vector<torch::Tensor> trainParams = student->parameters();
    for (auto& t : terms)
        for (auto& p : t->trainParameters())
            trainParams.push_back(p);
    auto optimizer = makeOptimizer(trainParams);
    // Data-free: the generator's own optimiser (Adam with β₁ = 0.5, as DFAD and CMI train theirs).
    std::unique_ptr<torch::optim::Adam> generatorOptimizer;
    if (generator)
        generatorOptimizer = std::make_unique<torch::optim::Adam>(
            generator->parameters(), torch::optim::AdamOptions(r.dataFree.lr).betas({0.5, 0.999}));
    int initEpochs = 0;
    for (auto& t : terms)
        initEpochs = std::max(initEpochs, t->initEpochs());
    const int64_t initSteps = static_cast<int64_t>(initEpochs) * stepsPerEpoch;
    bool initDone = initEpochs == 0;
    CheckpointMeta meta;
    meta.model = r.student;
    meta.precision = studentPrecision = bf16 ? "bf16" : "fp32";
    if (teacher) meta.teacherPrecision = teacherPrecision;
    if (task == Task::Segmentation && meta.model.head.empty() && meta.model.onnx.empty())
        meta.model.head = "fcn";
    if (task == Task::Detection && meta.model.head.empty() && meta.model.onnx.empty())
        meta.model.head = "centernet";
    meta.task = task;
    meta.inChannels = studentInfo.inChannels;
    meta.numClasses = numClasses;
    meta.inputH = studentInfo.inputH;
    meta.inputW = studentInfo.inputW;
    meta.classNames = valData->classNames();
    if (r.quant.enabled && !options.resume) prepareQuantization();
    if (r.quant.enabled) {
        meta.quantized = true;
        meta.lsq = r.quant.lsq;
        meta.vertical = r.quant.vertical;
        for (const auto& n : student->nodes())
            if (n.weightQuant >= 0) meta.weightBits[n.name] = student->weightBits(student->nodeIndex(n.name));
    }

    int startEpoch = 1;
    int64_t startBatch = 0;
    int64_t step = 0;
    // What the interrupted session had reported: its wall time and, if no epoch ends after the resume, its
    // best.
    std::optional<RunSummaryRecord> previousSummary;
    if (options.resume) {
        CheckpointMeta saved = loadCheckpoint(paths.checkpoint("last"), student, &terms, optimizer.get());
        if (generator) {
            if (!fs::is_regular_file(paths.checkpoint("generator")))
                throw Error(paths.root +
                            " is a data-free run without its generator (checkpoints/generator.pt)");
            loadCheckpoint(paths.checkpoint("generator"), generator, nullptr, generatorOptimizer.get());
        }
        step = saved.step;
        startEpoch = saved.epoch + 1;
        startBatch = saved.batchInEpoch;
        meta.bestMetric = saved.bestMetric;
        meta.bestEpoch = saved.bestEpoch;
        initDone = initDone || saved.initDone || saved.step > 0 || saved.epoch > 0;
        // A summary that cannot be read is an error, not a silent fresh start of the wall time and best.
        previousSummary = RunFolder(paths.root).readSummaryIfAny();
        log(LogLevel::Info,
            "resuming at epoch " + std::to_string(startEpoch) + ", step " + std::to_string(step));
    }
    summary.wallSeconds = previousSummary ? previousSummary->wallSeconds : 0.0;
    meta.initDone = initDone;
    // On resume, records after the checkpoint go (those steps run again), and so do a stage's records when
    // it repeats.
    std::optional<int64_t> keepUpTo;
    if (options.resume) keepUpTo = initDone ? step : -initSteps;
    MetricsLog metrics(paths.metrics(), keepUpTo);
    const std::string metricName = mainMetric(task);
    // The best epoch's metrics, for summary.json when no later epoch beats it: read back from the records
    // kept (a run killed before it wrote a summary has them only there).
    std::vector<std::pair<std::string, double>> resumedBestMetrics;
    if (options.resume && meta.bestEpoch > 0) {
        std::map<int64_t, std::vector<std::pair<std::string, double>>> valAt;  // step -> val metrics
        for (const auto& rec : readMetrics(paths.metrics()))
            if (rec.split == Split::Val && rec.epoch == meta.bestEpoch && rec.name.rfind("iou/", 0) != 0)
                valAt[rec.step].emplace_back(rec.name, rec.value);
        // The last evaluation of that epoch whose main metric is the best (one at a stop mid-epoch may come
        // before the epoch's own).
        for (auto it = valAt.rbegin(); it != valAt.rend() && resumedBestMetrics.empty(); ++it)
            for (const auto& [k, v] : it->second)
                if (k == metricName && std::abs(v - meta.bestMetric) <= 1e-9 * std::max(1.0, std::abs(v)))
                    resumedBestMetrics = it->second;
    }
    DiagnosticsLog diagnostics(paths.diagnostics(), keepUpTo);
    // Each term's flag at the last sample, and whether that flag has been warned about.
    std::map<std::string, std::pair<BalanceFlag, bool>> balanceFlags;

    // Data parallelism: the same starting weights everywhere, gradients summed across the ranks as the
    // backward pass produces them, and batch norm over the global batch where the recipe asks for it.
    std::unique_ptr<GradientReducer> reducer;
    if (collective) {
        if (!options.resume) {
            collective->broadcastModule(*student);
            for (auto& t : terms)
                collective->broadcastModule(*t);
        }
        // Only parameters that training's backward pass reaches: a bucket waiting for one that never gets a
        // gradient (a weight-0 term's after its initialisation stage, a batch norm folded for QAT, a frozen
        // one) would hold back every later bucket until the pass ends.
        std::set<const void*> unused;
        for (auto& t : terms)
            if (t->spec().weight == 0.0)
                for (auto& p : t->trainParameters())
                    unused.insert(p.unsafeGetTensorImpl());
        for (const auto& n : student->nodes())
            if (n.op == OpKind::BatchNorm && n.folded)
                for (auto& p : student->bnModule(student->nodeIndex(n.name))->parameters())
                    unused.insert(p.unsafeGetTensorImpl());
        std::vector<torch::Tensor> reduced;
        for (auto& p : trainParams)
            if (p.requires_grad() && !unused.count(p.unsafeGetTensorImpl())) reduced.push_back(p);
        reducer = std::make_unique<GradientReducer>(*collective, reduced, true);
    }
    // sync_bn: batch norm over the global batch, with the same arithmetic on one process as on several (the
    // statistics combined across ranks, the backward pass's sums added), so that a recipe trains the same on
    // any number of processes: LibTorch's training kernel rounds differently, and the difference grows over
    // the steps. On one process it costs about 15 % of a small model's step (docs/DISTRIBUTED.md).
    if (r.syncBn) {
        Collective* c = collective.get();
        student->setBatchNormOverride(
            [c](torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) { return syncBatchNorm(c, bn, x); });
    }
    // The override refers to this job's collective: gone with train(), however it ends.
    struct ClearBatchNormOverride {
        GraphNet& net;
        ~ClearBatchNormOverride() { net->setBatchNormOverride({}); }
    } clearBatchNormOverride{student};
    double gradientWait = 0.0;  // seconds spent waiting for other ranks' gradients since the last record
    int64_t gradientWaitSteps = 0;
    // This rank's part of the global batch: its loss is scaled by it, so that the sum over the ranks is the
    // global batch's mean, as one process computes it.
    auto shareOf = [&](const Batch& b) {
        return collective ? static_cast<double>(b.images.size(0)) /
                                static_cast<double>(std::max<int64_t>(1, b.globalSize))
                          : 1.0;
    };
    // Each term's value over the global batch (one collective for all terms).
    auto reportedValues = [&](const std::vector<torch::Tensor>& values, double share) {
        auto host = torch::stack(values).detach().to(torch::kCPU, torch::kFloat64);
        if (collective) {
            host = (host * share).contiguous();
            collective->allreduceSum(host);
        }
        return host;
    };

    auto saveAt = [&](const std::string& which, int epochDone, int64_t batchInEpoch, bool withOptimizer) {
        if (!primary()) return;  // rank 0 keeps the run's checkpoints
        meta.epoch = epochDone;
        meta.batchInEpoch = batchInEpoch;
        meta.step = step;
        // The generator of a data-free run goes with the last checkpoint (before it, so that a last.pt
        // never finds an older generator beside it).
        if (generator && which == "last") {
            CheckpointMeta g = meta;
            g.model = ModelSpec{};
            g.model.arch = "generator";  // never quantized: data_free refuses quantize
            std::vector<LossTerm> none;
            saveCheckpoint(paths.checkpoint("generator"), g, generator, none, generatorOptimizer.get());
        }
        saveCheckpoint(paths.checkpoint(which), meta, student, terms,
                       withOptimizer ? optimizer.get() : nullptr);
    };

    student->train();
    for (auto& t : terms)
        t->train();
    if (teacher) teacher->eval();
    // Teacher outputs per training sample, kept after their first computation when the input pipeline is
    // deterministic (from the second epoch on the frozen teacher does not run), and shared with later runs
    // through the on-disk cache. Stored in fp32, so a cached run computes what an uncached one does.
    TeacherCache teacherCache;
    const std::string cacheDir =
        options.teacherCacheDir.empty() ? defaultTeacherCacheDir() : options.teacherCacheDir;
    const bool diskCache = cacheDir != "off";
    std::string cacheKey, cacheDescription;  // the description is computed once: it hashes data files
    auto secondsSince = [](Clock::time_point start) {
        char text[32];
        std::snprintf(text, sizeof text, "%.1f s",
                      std::chrono::duration<double>(Clock::now() - start).count());
        return std::string(text);
    };
    bool cacheFromDisk = false, cacheStored = false, cacheToVerify = false;
    int64_t cacheMaxBytes = options.teacherCacheBytes;
    if (diskCache && cacheMaxBytes <= 0) {
        try {
            cacheMaxBytes = defaultTeacherCacheBytes();
        } catch (const Error& e) {
            cacheMaxBytes = int64_t{8} << 30;
            log(LogLevel::Warning,
                std::string(e.what()) + "; the shared teacher cache keeps its default bound (8 GiB)");
        }
    }
    // Not when data-parallel: every rank would hold the whole split's outputs while using its share, and its
    // cache would complete at a different epoch on each rank.
    if (teacher && options.cacheTeacher && !collective && !dataFree() &&
        (startEpoch < r.epochs || diskCache) &&
        deterministicPipeline(r.trainTransforms, studentInfo.inputH, studentInfo.inputW)) {
        std::vector<std::pair<std::string, std::vector<int64_t>>> shapes;
        for (const auto& tap : teacherTaps)
            shapes.emplace_back(tap, findTap(teacherInfo, tap)->shape);
        if (!teacherCache.enable(trainData->size(), shapes)) {
            log(LogLevel::Info, "teacher outputs would exceed the cache budget; the teacher runs every step");
        } else {
            if (diskCache) {
                // Nothing about the shared cache stops a run: problems are warnings and the teacher runs.
                const auto started = Clock::now();
                std::string problem;
                try {
                    cacheDescription = teacherCacheDescription();
                    cacheKey = sha256(cacheDescription);
                    cacheFromDisk = teacherCache.load(cacheDir, cacheKey, &problem);
                } catch (const std::exception& e) {
                    problem = e.what();
                    teacherCache.reset();
                    cacheFromDisk = false;
                }
                if (!problem.empty())
                    log(LogLevel::Warning,
                        "shared teacher cache: ignoring " + problem + "; the teacher runs");
                if (cacheFromDisk) {
                    log(LogLevel::Info, "teacher outputs read from the shared cache (" +
                                            bytesText(teacherCache.bytes()) + " in " + secondsSince(started) +
                                            ", " + cacheDir + "/" + cacheKey.substr(0, 12) +
                                            "…): the teacher does not run");
                    cacheToVerify = true;
                }
            }
            if (!cacheFromDisk)
                log(LogLevel::Info,
                    "input pipeline is deterministic: caching teacher outputs (" +
                        bytesText(teacherCache.bytes()) + ")" +
                        (diskCache ? ", shared with later runs in " + cacheDir : std::string()));
        }
    }
    // A resumed run refills the in-memory cache as the interrupted session had filled it: the same batches
    // through the teacher in the same order, from the first on. A sample's outputs depend in their last bits
    // on the batch they were computed in (the batch's rows share GEMM blocks), so outputs computed anew from
    // the resumed epoch's batches would end a resumed run a few ulps away from an uninterrupted one.
    if (options.resume && teacherCache.enabled() && !cacheFromDisk && trainLoader) {
        const auto started = Clock::now();
        int64_t ran = 0;
        auto replay = [&](int64_t epoch, int64_t batches) {
            for (int64_t b = 0; b < batches; ++b) {
                if (teacherCache.covers(trainLoader->indicesAt(epoch, b))) continue;
                Batch batch = trainLoader->batchAt(epoch, b);
                teacherCache.insert(batch.indices, runTeacher(exactChannelsLast(batch.images.to(device))));
                ++ran;
            }
        };
        // The initialisation stage's epochs (their own shuffles) came first, when it had finished; one that
        // had not runs again from its beginning and fills the cache itself.
        if (initEpochs > 0 && initDone)
            for (int e = 1; e <= initEpochs; ++e)
                replay(-e, stepsPerEpoch);
        for (int epoch = 1; epoch <= startEpoch && epoch <= r.epochs; ++epoch)
            replay(epoch, epoch == startEpoch ? startBatch : stepsPerEpoch);
        if (ran > 0)
            log(LogLevel::Info, "teacher outputs of the interrupted session recomputed in its batches (" +
                                    std::to_string(ran) + " batches in " + secondsSince(started) + ")");
    }
    auto storeTeacherCache = [&] {
        if (!diskCache || cacheKey.empty() || cacheFromDisk || cacheStored || !teacherCache.complete())
            return;
        cacheStored = true;
        const auto started = Clock::now();
        std::string problem;
        bool stored = false;
        try {
            stored = teacherCache.store(cacheDir, cacheKey, cacheDescription, cacheMaxBytes, &problem);
        } catch (const std::exception& e) {
            problem = e.what();
        }
        if (stored) {
            log(LogLevel::Info, "teacher outputs stored in the shared cache for later runs (" +
                                    bytesText(teacherCache.bytes()) + " in " + secondsSince(started) + ")");
        } else {
            log(LogLevel::Warning, "shared teacher cache: " + problem + "; this run goes on without it");
        }
    };

    std::vector<std::pair<std::string, double>> lastMetrics, bestMetrics;
    double throughputEma = 0.0;
    auto trainStart = Clock::now();
    int64_t stepsThisSession = 0;
    bool stopped = false;
    std::string stopReason;
    auto lastCheckpoint = Clock::now();

    // Cancel and pause are honoured between steps, so a step is never half applied: waits while paused
    // (serving snapshots) and tells whether the run was cancelled.
    auto pausedThenCancelled = [&] {
        {
            std::unique_lock<std::mutex> lock(pauseMutex);
            while (pauseRequested && !cancelRequested) {
                lock.unlock();
                serviceSnapshot();
                lock.lock();
                pauseChanged.wait_for(lock, std::chrono::milliseconds(50));
            }
        }
        if (!cancelRequested) return false;
        stopped = true;
        stopReason = "cancelled";
        return true;
    };
    // The same, for every rank of a data-parallel job at once: rank 0 says whether to go on, pause or stop
    // (while paused it says so again every half second, so that no collective waits long enough to time out).
    auto stepAllowed = [&] {
        if (!collective) return !pausedThenCancelled();
        for (;;) {
            int64_t state = 0;
            if (primary()) {
                std::lock_guard<std::mutex> lock(pauseMutex);
                state = cancelRequested ? 2 : pauseRequested ? 1 : 0;
            }
            auto word = torch::tensor({state}, torch::kInt64);
            try {
                collective->broadcast(word);
            } catch (const std::exception&) {
                // Ctrl-C reached every process and a worker died of it: rank 0 still stops as asked, with
                // its checkpoint (its state is whole between steps).
                if (!primary() || !cancelRequested) throw;
                stopped = true;
                stopReason = "cancelled";
                return false;
            }
            state = word.item<int64_t>();
            if (state == 0) return true;
            if (state == 2) {
                stopped = true;
                stopReason = "cancelled";
                return false;
            }
            if (primary()) {
                serviceSnapshot();
                std::unique_lock<std::mutex> lock(pauseMutex);
                pauseChanged.wait_for(lock, std::chrono::milliseconds(500));
            }
        }
    };
    // The student's forward pass, in bf16 where the recipe trains in it; taps and output come back in fp32.
    auto runStudent = [&](const torch::Tensor& images) {
        GraphNetImpl::Outputs out;
        {
            MixedPrecisionScope mixed(bf16);
            out = student->run(images, studentTaps);
        }
        if (bf16) toFloat(out);
        return out;
    };

    // The initialisation stage (docs/METHODS.md §1.7a): before training, the terms that ask for it are
    // optimised alone (ab and fsp train the student's layers and ab its connectors; ft trains its paraphraser
    // on the teacher) with the recipe's optimiser and no schedule, as RepDistiller's init() does. A run
    // stopped during the stage resumes from the state before it and runs the stage again.
    if (!initDone) {
        std::string names;
        for (auto& t : terms)
            if (t->initEpochs() > 0)
                names += (names.empty() ? "" : ", ") + t->spec().label() + " (" +
                         std::to_string(t->initEpochs()) + (t->initEpochs() == 1 ? " epoch)" : " epochs)");
        log(LogLevel::Info, "initialisation stage: " + names);
        // The state before the stage is the checkpoint a stop inside it resumes from: the stage then runs
        // again from its beginning, exactly as it would have.
        if (!options.resume) saveAt("last", 0, 0, true);
        const auto stageStart = Clock::now();
        int64_t j = 0;
        // What each epoch of the stage optimises: the terms whose own stage lasts that long (and the student
        // when one of them trains it); a term whose stage is over stops changing, momentum and decay
        // included.
        std::unique_ptr<torch::optim::Optimizer> initOptimizer;
        std::unique_ptr<GradientReducer> initReducer;
        double stageLr = r.optim.lr;
        int activeCount = -1;
        bool trainsStudent = false;
        for (int e = 1; e <= initEpochs && !stopped; ++e) {
            int active = 0;
            for (auto& t : terms)
                if (t->initEpochs() >= e) ++active;
            if (active != activeCount) {
                activeCount = active;
                std::vector<torch::Tensor> initParams;
                trainsStudent = false;
                for (auto& t : terms) {
                    if (t->initEpochs() < e) continue;
                    trainsStudent = trainsStudent || t->initTrainsStudent();
                    for (auto& p : t->initParameters())
                        initParams.push_back(p);
                }
                if (trainsStudent)
                    for (auto& p : student->parameters())
                        initParams.push_back(p);
                initOptimizer = makeOptimizer(initParams);
                if (collective)
                    initReducer = std::make_unique<GradientReducer>(*collective, initParams, false);
                // The recipe's base rate; a stage of ft terms alone uses their init_lr (RepDistiller trains
                // the paraphraser at 0.01).
                double lr = r.optim.lr;
                if (!trainsStudent) {
                    lr = 1e300;
                    for (auto& t : terms)
                        if (t->initEpochs() >= e) lr = std::min(lr, t->spec().param("init_lr"));
                }
                for (auto& group : initOptimizer->param_groups())
                    group.options().set_lr(lr);
                stageLr = lr;
            }
            trainLoader->startEpoch(-e);  // its own shuffles, apart from training's epochs
            Batch batch;
            for (;;) {
                if (!stepAllowed()) break;
                serviceSnapshot();
                if (!trainLoader->next(batch)) break;
                const auto stepStart = Clock::now();
                auto images = exactChannelsLast(batch.images.to(device));
                // A cache entry read from disk is verified on training's first step: until then the teacher
                // runs.
                std::unordered_map<std::string, torch::Tensor> tOut;
                if (cacheToVerify || !teacherCache.lookup(batch.indices, device, tOut)) {
                    tOut = runTeacher(images);
                    if (!cacheToVerify) teacherCache.insert(batch.indices, tOut);
                }
                std::unordered_map<std::string, torch::Tensor> sTaps;
                if (trainsStudent) sTaps = runStudent(images).taps;
                StepEvent ev;
                ev.init = true;
                ev.step = j + 1;
                ev.epoch = e;
                ev.stepsPerEpoch = stepsPerEpoch;
                ev.totalSteps = initSteps;
                ev.lr = stageLr;
                torch::Tensor total;
                std::vector<torch::Tensor> values;
                std::vector<const LossTermSpec*> specs;
                for (auto& term : terms) {
                    if (term->initEpochs() < e) continue;
                    auto v = term->initLoss(tOut, sTaps);
                    values.push_back(v);
                    specs.push_back(&term->spec());
                    total = total.defined() ? total + v : v;
                }
                // One device→host transfer for all terms, as in training.
                const double share = shareOf(batch);
                auto host = reportedValues(values, share);
                const double* hv = host.data_ptr<double>();
                for (size_t i = 0; i < specs.size(); ++i) {
                    if (!std::isfinite(hv[i]))
                        throw Error("loss term " + specs[i]->label() + " is " +
                                    (std::isnan(hv[i]) ? "NaN" : "Inf") +
                                    " in the initialisation stage (step " + std::to_string(j + 1) +
                                    "); lower optim.lr");
                    ev.terms.emplace_back("init:" + specs[i]->label(), hv[i]);
                    ev.total += hv[i];
                }
                initOptimizer->zero_grad();
                (collective ? total * share : total).backward();
                if (initReducer) initReducer->reduceNow();
                initOptimizer->step();
                ++j;
                const double stepSeconds = std::chrono::duration<double>(Clock::now() - stepStart).count();
                const double ips = static_cast<double>(collective ? batch.globalSize : batch.images.size(0)) /
                                   std::max(stepSeconds, 1e-9);
                throughputEma = throughputEma == 0.0 ? ips : 0.9 * throughputEma + 0.1 * ips;
                ev.imagesPerSecond = throughputEma;
                const double elapsed = std::chrono::duration<double>(Clock::now() - stageStart).count();
                ev.etaSeconds = elapsed / static_cast<double>(j) * static_cast<double>(initSteps - j);
                emit([&](Observer& o) { o.onStep(ev); });
                if (r.logEvery > 0 && (j % r.logEvery == 0 || j % stepsPerEpoch == 0)) {
                    // Steps −K+1 … 0: the stage's curves end where training's begin.
                    const int64_t at = j - initSteps;
                    std::vector<MetricRecord> recs;
                    for (const auto& [name, value] : ev.terms)
                        recs.push_back({at, 0, Split::Train, "loss/" + name, value});
                    recs.push_back({at, 0, Split::Train, "loss/init:total", ev.total});
                    recs.push_back({at, 0, Split::Train, "lr", ev.lr});
                    metrics.append(recs);
                }
            }
        }
        if (stopped) {
            log(LogLevel::Info,
                "cancelled in the initialisation stage; resume runs the stage again from its "
                "beginning");
        } else {
            initDone = true;
            meta.initDone = true;
            saveAt("last", 0, 0, true);
            log(LogLevel::Info, "initialisation stage done in " + secondsSince(stageStart));
        }
        throughputEma = 0.0;
        trainStart = Clock::now();
    }

    // The student alone (core/baseline.h), for a distillation: its validation curve, epoch by epoch.
    BaselineCurve baseline;
    if (r.job == JobKind::Distill && !options.baselineRuns.empty()) {
        try {
            baseline = readBaselineCurve(options.baselineRuns, metricName);
            std::string runs;
            for (const auto& run : options.baselineRuns)
                runs += (runs.empty() ? "" : ", ") + std::filesystem::path(run).filename().string();
            if (!baseline.empty())
                log(LogLevel::Info, "comparing with the student alone at each epoch: " + runs);
        } catch (const std::exception& e) {
            log(LogLevel::Warning, std::string("no comparison with the student alone: ") + e.what());
            baseline = {};
        }
    }

    // Term balance (core/diagnostics.h): each weighted term's gradient on the student's own parameters, one
    // extra backward pass per term through the retained graph; the optimiser's gradients are untouched.
    std::vector<torch::Tensor> ownParameters;
    for (const auto& p : student->parameters())
        if (p.requires_grad()) ownParameters.push_back(p);
    auto measureBalance = [&](const std::vector<torch::Tensor>& values, const std::vector<double>& weights,
                              const StepEvent& ev) {
        std::vector<size_t> measured;
        std::vector<torch::Tensor> measuredValues;
        for (size_t i = 0; i < terms.size(); ++i) {
            if (terms[i]->spec().weight == 0.0 || !values[i].requires_grad()) continue;
            measured.push_back(i);
            measuredValues.push_back(values[i]);
        }
        if (measured.size() < 2) return;  // one term: nothing to balance
        const auto norms = gradientNorms(measuredValues, ownParameters);
        BalanceSample sample;
        sample.step = ev.step;
        sample.epoch = ev.epoch;
        for (size_t k = 0; k < measured.size(); ++k) {
            // The weight in force at this step (a cosine schedule lowers it over the run), so that the
            // suggested weight is relative to what the gradient was measured with.
            sample.terms.push_back({terms[measured[k]]->spec().label(), weights[measured[k]],
                                    ev.terms[measured[k]].second, norms[k], 0.0, 0.0});
        }
        fillShares(sample);
        diagnostics.append(sample);
        emit([&](Observer& o) { o.onBalance(sample); });
        // A warning once a term's flag has held for two samples in a row (the first steps, before the
        // student has learned anything, often swing), for the terms whose weights should change.
        const auto adjust = termsToAdjust(sample, r.diagnostics);
        for (size_t k = 0; k < sample.terms.size(); ++k) {
            const BalanceFlag flag = balanceFlag(sample, k, r.diagnostics);
            auto& [last, warned] = balanceFlags[sample.terms[k].label];
            if (flag != last) warned = false;
            if (flag != BalanceFlag::None && flag == last && !warned &&
                std::find(adjust.begin(), adjust.end(), k) != adjust.end()) {
                log(LogLevel::Warning, balanceWarning(sample, k, r.diagnostics));
                warned = true;
            }
            last = flag;
        }
    };

    // Data-free (docs/METHODS.md §1.7d): before each student step the generator learns, against the unfolded
    // teacher, images of the classes it is asked for whose batch statistics are the teacher's running ones
    // and on which the student still disagrees with the teacher; the student's batch is then a fresh draw.
    // Every draw depends on the seed and the step alone, so a resumed run draws what it would have.
    std::vector<std::pair<std::string, double>> generatorTerms;
    auto drawSeed = [&](int64_t atStep, int k) {
        return static_cast<uint64_t>(r.seed) * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(atStep) * 1009u +
               static_cast<uint64_t>(k);
    };
    auto trainGenerator = [&](uint64_t seed) {
        const DataFreeSpec& spec = r.dataFree;
        LatentDraw d = drawLatent(r.batchSize, spec.latent, numClasses, seed);
        const auto labels = d.labels.to(device);
        generator->train();
        student->eval();
        torch::Tensor teacherLogits, studentLogits;
        std::vector<BatchStats> stats;
        {
            // The forward passes in bf16 where the recipe trains in it (the statistics and losses in fp32).
            MixedPrecisionScope mixed(bf16);
            auto x = generator->forward(generatorInput(d.z.to(device), labels, numClasses));
            BatchStatsProbe probe(statsTeacher);
            teacherLogits = statsTeacher->forward(x).to(torch::kFloat32);
            stats = probe.take();
            studentLogits = student->forward(x).to(torch::kFloat32);
        }
        student->train();
        const auto zero = torch::zeros({}, teacherLogits.options());
        const auto bn = spec.bnWeight > 0.0 ? batchStatsLoss(stats) * spec.bnWeight : zero;
        const auto ce = spec.ceWeight > 0.0 ? F::cross_entropy(teacherLogits, labels) * spec.ceWeight : zero;
        // KL(teacher ‖ student) on the images, which the generator maximises.
        const auto adv = spec.adversarialWeight > 0.0
                             ? F::kl_div(F::log_softmax(studentLogits, 1), F::log_softmax(teacherLogits, 1),
                                         F::KLDivFuncOptions(torch::kBatchMean).log_target(true)) *
                                   spec.adversarialWeight
                             : zero;
        generatorOptimizer->zero_grad();
        (bn + ce - adv).backward();
        generatorOptimizer->step();
        // The student's gradients from this pass are cleared before its own backward pass.
        auto host = torch::stack({bn, ce, adv}).detach().to(torch::kCPU, torch::kFloat64);
        const double* v = host.data_ptr<double>();
        for (int i = 0; i < 3; ++i)
            if (!std::isfinite(v[i]))
                throw Error(std::string("data-free generator: its ") +
                            (i == 0   ? "bn"
                             : i == 1 ? "ce"
                                      : "adversarial") +
                            " term is not finite at step " + std::to_string(step + 1) +
                            "; lower data_free.lr or the term's weight");
        generatorTerms = {{"gen:bn", v[0]}, {"gen:ce", v[1]}, {"gen:adversarial", v[2]}};
    };
    auto generateBatch = [&](int64_t batchInEpoch, Batch& b) {
        if (batchInEpoch >= stepsPerEpoch) return false;
        for (int k = 0; k < r.dataFree.generatorSteps; ++k)
            trainGenerator(drawSeed(step, k));
        LatentDraw d = drawLatent(r.batchSize, r.dataFree.latent, numClasses, drawSeed(step, 1 << 20));
        torch::NoGradGuard noGrad;
        generator->train();
        b = Batch{};
        {
            MixedPrecisionScope mixed(bf16);
            b.images = generator->forward(generatorInput(d.z.to(device), d.labels.to(device), numClasses))
                           .to(torch::kFloat32);
        }
        b.targets = d.labels;
        b.globalSize = r.batchSize;
        return true;
    };

    for (int epoch = startEpoch; epoch <= r.epochs && !stopped; ++epoch) {
        if (trainLoader) trainLoader->startEpoch(epoch, epoch == startEpoch ? startBatch : 0);
        int64_t batchInEpoch = epoch == startEpoch ? startBatch : 0;
        Batch batch;
        for (;;) {
            if (!stepAllowed()) break;
            if (maxSteps > 0 && step >= maxSteps) {
                stopped = true;
                stopReason = "max_steps";
                break;
            }
            serviceSnapshot();
            // A data-free step's time includes its generator's.
            const auto fetchStart = Clock::now();
            if (!(trainLoader ? trainLoader->next(batch) : generateBatch(batchInEpoch, batch))) break;
            const auto stepStart = trainLoader ? Clock::now() : fetchStart;
            const double lr = scheduledLearningRate(r, step, stepsPerEpoch);
            for (auto& group : optimizer->param_groups())
                group.options().set_lr(lr);

            auto images = exactChannelsLast(batch.images.to(device));
            auto targets = batch.targets.to(device);
            std::unordered_map<std::string, torch::Tensor> tOut;
            if (teacher && !teacherCache.lookup(batch.indices, device, tOut)) {
                tOut = runTeacher(images);
                teacherCache.insert(batch.indices, tOut);
            } else if (cacheToVerify) {
                // An entry read from disk is checked once against the teacher itself, so that nothing the
                // key missed (a data file replaced in place) can feed the student stale outputs.
                cacheToVerify = false;
                auto fresh = runTeacher(images);
                const double tolerance = teacherPrecision == "fp32" ? 1e-3 : 3e-2;
                for (const auto& [tap, value] : fresh) {
                    auto stored = tOut.at(tap);
                    const double scale = std::max(1.0, value.abs().max().item<double>());
                    const double diff = (stored - value).abs().max().item<double>();
                    if (diff > tolerance * scale) {
                        log(LogLevel::Warning, "shared teacher cache: entry " + cacheKey.substr(0, 12) +
                                                   " does not match the teacher on this data (tap " + tap +
                                                   "); recomputing it");
                        teacherCache.reset();
                        removeTeacherCacheEntry(cacheDir, cacheKey);
                        cacheFromDisk = false;
                        tOut = fresh;
                        teacherCache.insert(batch.indices, tOut);
                        break;
                    }
                }
            }
            const double progress =
                static_cast<double>(epoch - 1) +
                static_cast<double>(batchInEpoch) / static_cast<double>(std::max<int64_t>(1, stepsPerEpoch));
            const auto sampleIndices = torch::tensor(batch.indices, torch::kInt64);
            const double share = shareOf(batch);
            StepEvent ev;
            ev.step = step + 1;
            ev.epoch = epoch;
            ev.stepsPerEpoch = stepsPerEpoch;
            ev.totalSteps = totalSteps;
            ev.lr = lr;
            bool learned = false;
            // Once-QAT: the student runs once per width of its vertical-layered weights, each width's loss
            // adding its gradient to the shared weights; the terms report their mean over the widths, and
            // each width's total is a curve of its own (w8:total, …).
            std::vector<double> termSums(terms.size(), 0.0);
            std::vector<std::pair<std::string, double>> widthTotals;
            const std::vector<int> widths = vertical.empty() ? std::vector<int>{0} : vertical;
            for (size_t wi = 0; wi < widths.size(); ++wi) {
                if (widths[wi] > 0) student->setVerticalBits(widths[wi]);
                auto sRun = runStudent(images);
                std::vector<torch::Tensor> values;
                std::vector<double> weights;  // each term's weight at this step (weight_schedule)
                torch::Tensor total;
                for (auto& term : terms) {
                    if (term->spec().weight == 0.0) {
                        // A term at weight 0 (AB and FSP after their initialisation stage) adds nothing: not
                        // computed.
                        values.push_back(torch::zeros({}, sRun.output.options().dtype(torch::kFloat32)));
                        weights.push_back(0.0);
                        continue;
                    }
                    term->setProgress(progress);
                    term->setBatch(sampleIndices, step);
                    if (term->spec().method == LossMethod::Dml) term->setImages(images);
                    if (task == Task::Detection)
                        term->setBoxes(batch.boxes, batch.images.size(2), batch.images.size(3));
                    const double weight = term->spec().weightAt(
                        static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, plannedSteps)));
                    auto v = term->compute(tOut, sRun.taps, sRun.output, targets) * weight;
                    values.push_back(v);
                    weights.push_back(weight);
                    total = total.defined() ? total + v : v;
                }
                // One device→host transfer for all terms; they are reported anyway.
                auto host = reportedValues(values, share);
                const double* hv = host.data_ptr<double>();
                double widthTotal = 0.0;
                for (size_t i = 0; i < terms.size(); ++i) {
                    if (!std::isfinite(hv[i]))
                        throw Error("loss term " + terms[i]->spec().label() + " is " +
                                    (std::isnan(hv[i]) ? "NaN" : "Inf") + " at step " +
                                    std::to_string(step + 1) + " (epoch " + std::to_string(epoch) + ")" +
                                    (widths[wi] > 0 ? " at " + std::to_string(widths[wi]) + " bits" : "") +
                                    "; lower optim.lr or the term's weight");
                    termSums[i] += hv[i];
                    widthTotal += hv[i];
                }
                if (widths[wi] > 0)
                    widthTotals.emplace_back("w" + std::to_string(widths[wi]) + ":total", widthTotal);
                // Term balance on the first width (the top one of a vertical model).
                if (wi == 0 && total.defined() && r.diagnostics.every > 0 &&
                    (step == 0 || (step + 1) % r.diagnostics.every == 0)) {
                    StepEvent first = ev;  // this width's term values, before its graph is freed
                    for (size_t i = 0; i < terms.size(); ++i)
                        first.terms.emplace_back(terms[i]->spec().label(), hv[i]);
                    measureBalance(values, weights, first);
                }
                if (total.defined()) {  // undefined only when every term has weight 0: nothing to learn
                    // Several backward passes (vertical) reduce their summed gradients afterwards. Each width
                    // adds its share of the mean over the widths, so that a learning rate means for once-QAT
                    // what it means for one width.
                    if (!learned) optimizer->zero_grad();  // before the first width's backward pass
                    if (reducer && vertical.empty()) reducer->arm();
                    if (widths.size() > 1) total = total / static_cast<double>(widths.size());
                    (collective ? total * share : total).backward();
                    learned = true;
                }
            }
            if (!vertical.empty()) student->setVerticalBits(vertical.front());
            for (size_t i = 0; i < terms.size(); ++i) {  // the mean over the widths (one width: its value)
                const double value = termSums[i] / static_cast<double>(widths.size());
                ev.terms.emplace_back(terms[i]->spec().label(), value);
                ev.total += value;
            }
            for (const auto& wt : widthTotals)
                ev.terms.push_back(wt);
            for (const auto& gt : generatorTerms)  // data-free: the generator's terms, beside the student's
                ev.terms.push_back(gt);
            if (learned) {
                if (reducer && !vertical.empty()) {
                    reducer->reduceNow();
                } else if (reducer) {
                    reducer->finish();
                    gradientWait += reducer->takeWaitSeconds();
                    ++gradientWaitSteps;
                }
                optimizer->step();
            }
            ++step;
            ++batchInEpoch;
            ++stepsThisSession;
            currentStep = step;

            const double stepSeconds = std::chrono::duration<double>(Clock::now() - stepStart).count();
            const double ips = static_cast<double>(collective ? batch.globalSize : batch.images.size(0)) /
                               std::max(stepSeconds, 1e-9);
            throughputEma = throughputEma == 0.0 ? ips : 0.9 * throughputEma + 0.1 * ips;
            ev.imagesPerSecond = throughputEma;
            const double elapsed = std::chrono::duration<double>(Clock::now() - trainStart).count();
            ev.etaSeconds = elapsed / stepsThisSession * static_cast<double>(totalSteps - step);
            emit([&](Observer& o) { o.onStep(ev); });

            if (r.logEvery > 0 && (step % r.logEvery == 0 || batchInEpoch == stepsPerEpoch)) {
                std::vector<MetricRecord> recs;
                for (const auto& [name, value] : ev.terms)
                    recs.push_back({step, epoch, Split::Train, "loss/" + name, value});
                recs.push_back({step, epoch, Split::Train, "loss/total", ev.total});
                recs.push_back({step, epoch, Split::Train, "lr", lr});
                recs.push_back({step, epoch, Split::Train, "images_per_second", throughputEma});
                if (collective && gradientWaitSteps > 0) {
                    // The part of a step spent waiting for the other ranks' gradients (what overlapping the
                    // allreduce with the backward pass did not hide).
                    recs.push_back({step, epoch, Split::Train, "gradient_wait_ms",
                                    1000.0 * gradientWait / static_cast<double>(gradientWaitSteps)});
                    gradientWait = 0.0;
                    gradientWaitSteps = 0;
                }
                metrics.append(recs);
            }
            // Mid-epoch checkpoints bound what a kill loses (the epoch's end writes its own).
            if (batchInEpoch < stepsPerEpoch) {
                const bool stepsDue = r.checkpointEverySteps > 0 && step % r.checkpointEverySteps == 0;
                const bool timeDue = r.checkpointEverySeconds > 0 &&
                                     std::chrono::duration<double>(Clock::now() - lastCheckpoint).count() >=
                                         r.checkpointEverySeconds;
                if (stepsDue || timeDue) {
                    saveAt("last", epoch - 1, batchInEpoch, true);
                    lastCheckpoint = Clock::now();
                }
            }
        }

        if (stopped && batchInEpoch == (epoch == startEpoch ? startBatch : 0) && stopReason == "max_steps")
            break;
        if (stopped && stopReason == "cancelled") {
            saveAt("last", epoch - 1, batchInEpoch, true);
            log(LogLevel::Info, "cancelled at step " + std::to_string(step) + "; resume continues from here");
            break;
        }
        const bool epochComplete = batchInEpoch >= stepsPerEpoch;
        storeTeacherCache();
        // Evaluate after every full epoch, and once when max_steps ends training mid-epoch. Every rank of a
        // data-parallel job first holds the same running statistics (each kept its own share's).
        if (collective) {
            collective->averageBuffers(*student);
            for (auto& t : terms)
                collective->averageBuffers(*t);
        }
        EvalResult ev;
        if (vertical.empty()) {
            valLoader.startEpoch(1);
            ev = evaluateModel(student, valLoader, numClasses, device, {}, collective.get());
        } else {
            // Once-QAT: every width of the one model (metrics w8/top1, …); the unprefixed metrics are their
            // mean, which picks the best checkpoint.
            ev = verticalEvaluation(valLoader, collective.get());
        }
        // Mutual learning: every peer is evaluated too (metrics peerN/top1, …) and kept as its own
        // checkpoint (checkpoints/peerN.pt), which eval, export and quantize take like any model.
        int peerNumber = 0;
        for (auto& t : terms) {
            GraphNet peer = t->peer();
            if (peer.is_empty()) continue;
            const std::string prefix = "peer" + std::to_string(++peerNumber);
            peer->eval();
            valLoader.startEpoch(1);
            const EvalResult pe = evaluateModel(peer, valLoader, numClasses, device, {}, collective.get());
            peer->train();
            for (const auto& [k, v] : pe.metrics)
                ev.metrics.emplace_back(prefix + "/" + k, v);
            if (primary()) {
                CheckpointMeta peerMeta = meta;
                peerMeta.model = t->spec().peer;
                peerMeta.epoch = epoch;
                peerMeta.step = step;
                std::vector<LossTerm> none;
                saveCheckpoint(paths.checkpoint(prefix), peerMeta, peer, none, nullptr);
            }
        }
        lastMetrics = ev.metrics;
        double value = 0;
        for (const auto& [k, v] : ev.metrics)
            if (k == metricName) value = v;
        EpochEvent ee;
        ee.epoch = epoch;
        ee.step = step;
        ee.metrics = ev.metrics;
        ee.perClassIoU = ev.perClassIoU;
        ee.best = value > meta.bestMetric;
        std::vector<MetricRecord> recs;
        for (const auto& [k, v] : ev.metrics)
            recs.push_back({step, epoch, Split::Val, k, v});
        for (size_t c = 0; c < ev.perClassIoU.size(); ++c)
            recs.push_back({step, epoch, Split::Val, "iou/" + std::to_string(c), ev.perClassIoU[c]});
        metrics.append(recs);
        if (ee.best) {
            meta.bestMetric = value;
            meta.bestEpoch = epoch;
            bestMetrics = ev.metrics;
            saveAt("best", epochComplete ? epoch : epoch - 1, epochComplete ? 0 : batchInEpoch, false);
        }
        saveAt("last", epochComplete ? epoch : epoch - 1, epochComplete ? 0 : batchInEpoch, true);
        // Against the student alone: only at a full epoch (a run stopped mid-epoch has seen less).
        if (!baseline.empty() && epochComplete)
            if (auto c = compareWithBaseline(baseline, epoch, value)) {
                ee.baseline = c->baseline;
                diagnostics.appendBaseline(*c, step, baseline);
                log(c->below() ? LogLevel::Warning : LogLevel::Info,
                    baselineMessage(*c, baseline) + (c->below() ? ": distillation is not helping yet" : ""));
            }
        emit([&](Observer& o) { o.onEpoch(ee); });
        std::string line = "epoch " + std::to_string(epoch) + " val";
        for (const auto& [k, v] : ev.metrics)
            line += " " + k + "=" + std::to_string(v);
        log(LogLevel::Info, line);
    }

    if (bestMetrics.empty()) bestMetrics = resumedBestMetrics;
    if (bestMetrics.empty() && previousSummary) bestMetrics = previousSummary->bestMetrics;
    serviceSnapshot();
    summary.status = stopReason == "cancelled" ? RunStatus::Cancelled : RunStatus::Finished;
    summary.message = stopReason == "max_steps" ? "stopped at max_steps " + std::to_string(maxSteps) : "";
    summary.epochs = meta.epoch;
    summary.steps = step;
    summary.finalMetrics = lastMetrics;
    summary.bestMetrics = bestMetrics;
}

namespace {
std::string readWholeFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/** The recipe as every rank must hold it: threads may differ between ranks. */
std::string recipeForRanks(Recipe recipe) {
    recipe.threads = 0;
    return recipeToYaml(recipe);
}

std::string firstDifference(const std::string& a, const std::string& b) {
    std::istringstream x(a), y(b);
    std::string la, lb;
    for (int line = 1;; ++line) {
        const bool ha = static_cast<bool>(std::getline(x, la)), hb = static_cast<bool>(std::getline(y, lb));
        if (!ha && !hb) return "";
        if (!ha || !hb || la != lb)
            return "line " + std::to_string(line) + " of the canonical recipe: '" + (ha ? la : "") +
                   "' here, '" + (hb ? lb : "") + "' on rank 0";
    }
}
}  // namespace

void Job::Impl::joinJob() {
    if (!collective) return;
    const int rank = collective->rank(), world = collective->worldSize();
    const double timeout = collective->options().timeoutSeconds;
    const std::string canonical = recipeForRanks(recipe);
    if (rank == 0) {
        collective->setText("recipe_check", canonical);
        // Each rank's word that it is set up (or why not), failing fast when a local worker has died: within
        // one timeout for the whole job, and with the rank's own reason where it left one.
        const auto deadline = Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout * 1000));
        for (int k = 1; k < world; ++k) {
            const std::string key = "ready/" + std::to_string(k);
            while (!collective->has(key)) {
                if (workers && !workers->failure().empty()) {
                    for (int j = 1; j < world; ++j) {
                        const std::string other = "ready/" + std::to_string(j);
                        if (collective->has(other))
                            if (const std::string why = collective->text(other); !why.empty())
                                throw Error("rank " + std::to_string(j) + ": " + why);
                    }
                    throw Error(workers->failure() + " before the job started");
                }
                if (Clock::now() > deadline)
                    throw Error("rank " + std::to_string(k) + " of " + std::to_string(world) +
                                " did not join within " + std::to_string(static_cast<int>(timeout)) +
                                " s (is it started, with the same " + "MASTER_ADDR and MASTER_PORT?)");
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            const std::string word = collective->text(key);
            if (!word.empty()) throw Error("rank " + std::to_string(k) + ": " + word);
        }
    } else {
        // Settings that must agree (the bucket layout pairs the collectives) come from rank 0.
        try {
            const auto job = nlohmann::json::parse(collective->text("job"));
            collective->setBucketBytes(job.value("bucket_bytes", options.distributed.bucketBytes));
        } catch (const nlohmann::json::exception& e) {
            throw Error(std::string("rank 0's job settings cannot be read: ") + e.what());
        }
        const std::string theirs = collective->text("recipe_check");
        const std::string difference = firstDifference(canonical, theirs);
        if (!difference.empty()) {
            const std::string message = "its recipe differs from rank 0's (" + difference +
                                        "); every rank of a job must run the same recipe";
            collective->setText("ready/" + std::to_string(rank), message);
            throw Error("rank " + std::to_string(rank) + ": " + message);
        }
        collective->setText("ready/" + std::to_string(rank), "");
    }
    collective->joinGroup();
    log(LogLevel::Info, "data-parallel job: rank " + std::to_string(rank) + " of " + std::to_string(world) +
                            " processes, global batch " + std::to_string(recipe.batchSize) +
                            (recipe.syncBn ? ", synchronised batch norm" : ", batch norm per rank"));
}

std::string Job::Impl::distributedFailure(const std::string& what) const {
    std::string who = workers ? workers->failure() : std::string();
    if (who.empty() && workers) {
        // The watcher polls: give it a moment to see a worker that just died.
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        who = workers->failure();
    }
    if (!who.empty()) return who + "; the data-parallel job stopped (" + firstLine(what) + ")";
    return "the data-parallel job stopped: another rank ended or cannot be reached (" + firstLine(what) + ")";
}

Job::Job(Recipe recipe, JobOptions options) : d(std::make_unique<Impl>()) {
    d->recipe = std::move(recipe);
    d->options = std::move(options);
    if (d->options.maxSteps > 0) d->recipe.maxSteps = d->options.maxSteps;
    if (d->options.threads > 0) d->recipe.threads = d->options.threads;
    const DistributedOptions& dist = d->options.distributed;
    if (dist.enabled() && d->recipe.batchSize < dist.worldSize)
        throw Error(d->recipe.sourcePath + ": train.batch_size " + std::to_string(d->recipe.batchSize) +
                    " is smaller than the job's " + std::to_string(dist.worldSize) +
                    " processes: every process needs a sample of every batch");
    if (dist.enabled() && dist.rank > 0) {
        // Rank 0 owns the run folder: this rank's files go to a scratch folder removed with the job.
        std::string pattern =
            (fs::temp_directory_path() / (scratchPrefix(dist.masterPort, dist.rank) + "XXXXXX")).string();
        if (!::mkdtemp(pattern.data()))
            throw Error("cannot create a scratch folder in " + fs::temp_directory_path().string());
        d->scratchDir = pattern;
        d->options.runDir = d->scratchDir;
        d->collective = std::make_unique<Collective>(dist);
        if (d->options.resume) {
            // Rank 0's checkpoint, through the rendezvous: the run folder need not be shared.
            fs::create_directories(fs::path(d->scratchDir) / "checkpoints");
            writeFileAtomically((fs::path(d->scratchDir) / "checkpoints" / "last.pt").string(),
                                d->collective->text("checkpoint"));
        }
    }
    if (d->options.runDir.empty()) throw Error("no run folder given (--out DIR)");
    d->paths.root = fs::absolute(d->options.runDir).lexically_normal().string();
    if (d->options.resume) {
        if (!fs::is_regular_file(d->paths.checkpoint("last")))
            throw Error(d->paths.root + " is not a resumable run (no checkpoints/last.pt)");
        // Before anything is written: a run whose files cannot be read is refused, not overwritten with a
        // failed summary.
        d->resumedFrom = readCheckpointMeta(d->paths.checkpoint("last"));
        RunFolder(d->paths.root).readSummaryIfAny();
    } else if (fs::exists(d->paths.root) && !fs::is_empty(d->paths.root)) {
        throw Error("run folder " + d->paths.root +
                    " already exists and is not empty (choose another --out, or resume it)");
    }
    if (dist.enabled() && dist.rank == 0) {
        d->collective = std::make_unique<Collective>(dist);
        // What the ranks rank 0 starts itself need to know; others (torchrun) bring their own recipe, which
        // joinJob compares.
        nlohmann::json job = {{"threads", dist.workerThreads},
                              {"max_steps", d->options.maxSteps},
                              {"resume", d->options.resume},
                              {"cache_teacher", d->options.cacheTeacher},
                              {"teacher_cache_dir", d->options.teacherCacheDir},
                              {"teacher_cache_bytes", d->options.teacherCacheBytes},
                              {"bucket_bytes", dist.bucketBytes},
                              {"timeout", dist.timeoutSeconds}};
        d->collective->setText("job", job.dump());
        d->collective->setText("recipe", recipeToYaml(d->recipe));
        if (d->options.resume)
            d->collective->setText("checkpoint", readWholeFile(d->paths.checkpoint("last")));
        if (!dist.workerProgram.empty()) {
            d->workers = std::make_unique<WorkerProcesses>();
            d->workers->start(dist);
        }
    }
    applyThreadCount(d->recipe.threads);
    try {
        if (const std::string problem = dataFreeProblem(d->recipe); !problem.empty())
            throw Error(d->recipe.sourcePath + ": data_free: " + problem);
        if (dist.enabled() && d->recipe.dataFree.enabled)
            throw Error(d->recipe.sourcePath +
                        ": data_free: data-parallel training does not run it (each process would train a "
                        "generator of its own); train it on one process");
        if (dist.enabled())
            for (const auto& term : d->recipe.losses)
                if (term.method == LossMethod::Crd)
                    throw Error(
                        d->recipe.sourcePath + ": losses: " + term.label() +
                        ": CRD's memory bank of the train split would be updated by each process with only "
                        "its own samples; data-parallel training does not run it (train it on one process)");
        d->setup();
    } catch (const std::exception& e) {
        // The other ranks hear why instead of waiting for the group; local workers are stopped now.
        if (d->collective && d->collective->rank() > 0)
            d->collective->setText("ready/" + std::to_string(d->collective->rank()), firstLine(e.what()));
        if (d->workers) d->workers->finish(0.0);
        throw;
    }
    try {
        d->joinJob();
    } catch (const std::exception&) {
        if (d->workers) d->workers->finish(0.0);
        throw;
    }
    fs::create_directories(d->paths.checkpoints());
    if (!d->options.resume) {
        writeFileAtomically(d->paths.recipe(), recipeToYaml(d->recipe));
        // What the run is, from the start: a run killed before its summary keeps its role.
        RunFolder(d->paths.root)
            .writeStart({kindOfRecipe(d->recipe), d->options.role,
                         d->recipe.quant.enabled ? d->recipe.quant.from : std::string()});
    }
}

Job::~Job() {
    cancel();
    if (d->thread.joinable()) d->thread.join();
    if (d->workers) d->workers->finish(10.0);
    // Joined without holding idleMutex: the worker takes it after each snapshot it serves.
    std::thread idle;
    {
        std::lock_guard<std::mutex> lock(d->idleMutex);
        idle = std::move(d->idleThread);
    }
    if (idle.joinable()) idle.join();
}

void Job::addObserver(std::shared_ptr<Observer> observer) {
    std::vector<std::pair<LogLevel, std::string>> early;
    {
        std::lock_guard<std::mutex> lock(d->observerMutex);
        d->observers.push_back(observer);
        early = d->earlyLog;
    }
    for (const auto& [level, text] : early)
        observer->onLog(level, text);
}

void Job::removeObserver(const std::shared_ptr<Observer>& observer) {
    std::lock_guard<std::mutex> lock(d->observerMutex);
    d->observers.erase(std::remove(d->observers.begin(), d->observers.end(), observer), d->observers.end());
}

void Job::start() {
    if (d->started) throw Error("job already started");
    d->started = true;
    {
        std::lock_guard<std::mutex> lock(d->observerMutex);
        d->keepEarlyLog = false;  // observers attached from now on hear from the run itself
    }
    d->running = true;
    d->thread = std::thread([this] { d->runLoop(); });
}

void Job::pause() {
    std::lock_guard<std::mutex> lock(d->pauseMutex);
    d->pauseRequested = true;
}

void Job::resume() {
    {
        std::lock_guard<std::mutex> lock(d->pauseMutex);
        d->pauseRequested = false;
    }
    d->pauseChanged.notify_all();
}

void Job::cancel() {
    d->cancelRequested = true;
    d->pauseChanged.notify_all();
}

RunSummary Job::wait() {
    if (d->thread.joinable()) d->thread.join();
    return d->summary;
}

bool Job::running() const {
    return d->running;
}

bool Job::paused() const {
    std::lock_guard<std::mutex> lock(d->pauseMutex);
    return d->pauseRequested;
}

void Job::requestSnapshot(const std::string& teacherTap, const std::string& studentTap, int64_t sampleIndex,
                          Split split) {
    {
        std::lock_guard<std::mutex> lock(d->snapshotMutex);
        d->pendingSnapshot = Impl::SnapshotRequest{teacherTap, studentTap, split, sampleIndex};
    }
    if (!d->running) {
        // Not training: answer on a worker of the job's own, never on the caller's thread (the workbench
        // calls this from its GUI thread, which must not wait on a forward pass). Requests that arrive
        // while it works replace the pending one and are served by the same worker.
        std::lock_guard<std::mutex> lock(d->idleMutex);
        if (d->idleWorkerBusy) return;
        if (d->idleThread.joinable()) d->idleThread.join();
        d->idleWorkerBusy = true;
        d->idleThread = std::thread([impl = d.get()] {
            for (;;) {
                {
                    std::lock_guard<std::mutex> models(impl->modelMutex);
                    impl->serviceSnapshot();
                }
                std::lock_guard<std::mutex> idle(impl->idleMutex);
                std::lock_guard<std::mutex> pending(impl->snapshotMutex);
                if (!impl->pendingSnapshot) {
                    impl->idleWorkerBusy = false;
                    return;
                }
            }
        });
    }
}

const Recipe& Job::recipe() const {
    return d->recipe;
}
const std::string& Job::runDir() const {
    return d->paths.root;
}
ModelInfo Job::studentInfo() const {
    return d->studentInfo;
}
ModelInfo Job::teacherInfo() const {
    return d->teacherInfo;
}

ActivationSnapshot snapshotRun(const std::string& runDir, const std::string& teacherTap,
                               const std::string& studentTap, int64_t sampleIndex, Split split,
                               CheckpointChoice checkpoint) {
    Job::Impl impl;
    impl.recipe = loadRunRecipe(runDir);
    impl.paths.root = runDir;
    impl.setup();
    loadCheckpoint(resolveCheckpoint(runDir, checkpoint), impl.student, &impl.terms, nullptr);
    return impl.takeSnapshot({teacherTap, studentTap, split, sampleIndex});
}

ChannelDistributions Job::Impl::distributions(const DistributionRequest& req) {
    auto data = splitData(req.split, "distributions");
    if (!student->hasTap(req.studentTap))
        throw Error("distributions: unknown student tap '" + req.studentTap + "'");
    const bool withTeacher = !req.teacherTap.empty();
    if (withTeacher && (!teacher || !teacher->hasTap(req.teacherTap)))
        throw Error("distributions: unknown teacher tap '" + req.teacherTap + "'");
    const int64_t n = std::min<int64_t>(req.samples, data->size());
    torch::NoGradGuard noGrad;
    student->eval();
    for (auto& t : terms)
        t->eval();
    // The first n samples, in batches; the student as the loss sees it (its term's adapter and resize).
    std::vector<torch::Tensor> teacherParts, studentParts;
    for (int64_t begin = 0; begin < n; begin += 64) {
        std::vector<torch::Tensor> inputs;
        for (int64_t i = begin; i < std::min(n, begin + 64); ++i)
            inputs.push_back(sampleTensor(data->get(i), recipe.evalTransforms, device));
        auto input = torch::cat(inputs);
        auto s = student->run(input, {req.studentTap}).taps.at(req.studentTap);
        if (s.dim() != 4)
            throw Error("distributions: student tap '" + req.studentTap + "' is not a feature map (C×H×W)");
        if (withTeacher) {
            auto t = teacher->run(input, {req.teacherTap}).taps.at(req.teacherTap);
            if (t.dim() != 4)
                throw Error("distributions: teacher tap '" + req.teacherTap +
                            "' is not a feature map (C×H×W)");
            bool aligned = false;
            for (auto& term : terms)
                if (term->spec().teacherTap == req.teacherTap && term->spec().studentTap == req.studentTap &&
                    term->spec().method != LossMethod::Task) {
                    s = term->alignStudent(s, t);
                    aligned = true;
                    break;
                }
            if (!aligned && s.sizes().slice(2) != t.sizes().slice(2))
                s = torch::nn::functional::interpolate(s,
                                                       torch::nn::functional::InterpolateFuncOptions()
                                                           .size(std::vector<int64_t>{t.size(2), t.size(3)})
                                                           .mode(torch::kBilinear)
                                                           .align_corners(false));
            teacherParts.push_back(t.to(torch::kCPU, torch::kFloat32));
        }
        studentParts.push_back(s.to(torch::kCPU, torch::kFloat32));
    }
    student->train();
    for (auto& t : terms)
        t->train();

    ChannelDistributions out;
    out.teacherTap = req.teacherTap;
    out.studentTap = req.studentTap;
    out.samples = n;
    out.tau = req.tau;
    out.withTeacher = withTeacher;
    const auto S = torch::cat(studentParts);
    const auto T = withTeacher ? torch::cat(teacherParts) : torch::Tensor();
    out.height = S.size(2);
    out.width = S.size(3);
    const int64_t channels = withTeacher ? std::min(T.size(1), S.size(1)) : S.size(1);
    const auto q = torch::tensor({0.05, 0.25, 0.5, 0.75, 0.95}, torch::kFloat64);
    auto perChannel = [&](const torch::Tensor& x) {  // [N, C, H, W] -> [C, N·H·W] in float64
        return x.narrow(1, 0, channels).transpose(0, 1).reshape({channels, -1}).to(torch::kFloat64);
    };
    auto spatialLogSoftmax = [&](const torch::Tensor& x) {  // [N, C, H·W]
        return torch::log_softmax(
            x.narrow(1, 0, channels).reshape({x.size(0), channels, -1}).to(torch::kFloat64) / req.tau, -1);
    };
    const auto sFlat = perChannel(S);
    const auto sQ = torch::quantile(sFlat, q, 1).transpose(0, 1).contiguous();  // [C, 5]
    const auto sLog = spatialLogSoftmax(S);
    const auto sSoft = sLog.exp().mean(0).to(torch::kFloat32).contiguous();  // [C, H·W]
    torch::Tensor tFlat, tQ, tSoft, kl;
    if (withTeacher) {
        tFlat = perChannel(T);
        tQ = torch::quantile(tFlat, q, 1).transpose(0, 1).contiguous();
        const auto tLog = spatialLogSoftmax(T);
        tSoft = tLog.exp().mean(0).to(torch::kFloat32).contiguous();
        kl = (tLog.exp() * (tLog - sLog)).sum(-1).mean(0).contiguous();  // [C]
    }
    for (int64_t c = 0; c < channels; ++c) {
        ChannelDistribution d;
        d.channel = c;
        const auto sv = sFlat[c];
        double lo = sv.min().item<double>(), hi = sv.max().item<double>();
        if (withTeacher) {
            lo = std::min(lo, tFlat[c].min().item<double>());
            hi = std::max(hi, tFlat[c].max().item<double>());
        }
        if (hi <= lo) hi = lo + 1e-6;  // a constant channel: one bin takes it all
        d.lo = lo;
        d.hi = hi;
        auto histogram = [&](const torch::Tensor& v) {
            auto h = torch::histc(v, req.bins, lo, hi);
            h = h / std::max<double>(1.0, static_cast<double>(v.numel()));
            return std::vector<double>(h.data_ptr<double>(), h.data_ptr<double>() + h.numel());
        };
        d.studentHistogram = histogram(sv.contiguous());
        d.studentMean = sv.mean().item<double>();
        d.studentStd = sv.std(/*unbiased=*/false).item<double>();
        for (int k = 0; k < 5; ++k)
            d.studentQuantiles[k] = sQ[c][k].item<double>();
        d.studentSoftmax.assign(sSoft[c].data_ptr<float>(), sSoft[c].data_ptr<float>() + sSoft.size(1));
        if (withTeacher) {
            const auto tv = tFlat[c].contiguous();
            d.teacherHistogram = histogram(tv);
            d.teacherMean = tv.mean().item<double>();
            d.teacherStd = tv.std(/*unbiased=*/false).item<double>();
            for (int k = 0; k < 5; ++k)
                d.teacherQuantiles[k] = tQ[c][k].item<double>();
            d.teacherSoftmax.assign(tSoft[c].data_ptr<float>(), tSoft[c].data_ptr<float>() + tSoft.size(1));
            d.kl = std::max(0.0, kl[c].item<double>());
        }
        out.channels.push_back(std::move(d));
    }
    return out;
}

ChannelDistributions channelDistributions(const DistributionRequest& request) {
    if (request.samples < 1)
        throw Error("distributions: samples must be at least 1, got " + std::to_string(request.samples));
    if (request.bins < 2)
        throw Error("distributions: bins must be at least 2, got " + std::to_string(request.bins));
    if (!(request.tau > 0.0)) throw Error("distributions: tau must be > 0");
    Job::Impl impl;
    impl.recipe = loadRunRecipe(request.runDir);
    impl.paths.root = request.runDir;
    impl.setup();
    loadCheckpoint(resolveCheckpoint(request.runDir, request.checkpoint), impl.student, &impl.terms, nullptr);
    return impl.distributions(request);
}

RunSummary runDistributedWorker(const DistributedOptions& distributed,
                                const std::shared_ptr<Observer>& observer) {
    if (!distributed.enabled() || distributed.rank == 0)
        throw Error("worker: this process is not rank 1 or above of a job (RANK and WORLD_SIZE from rank 0)");
    std::string recipeText, jobText;
    {
        Collective store(distributed);
        jobText = store.text("job");
        recipeText = store.text("recipe");
    }
    nlohmann::json job;
    try {
        job = nlohmann::json::parse(jobText);
    } catch (const std::exception& e) {
        throw Error(std::string("worker: rank 0's job settings cannot be read: ") + e.what());
    }
    // Paths in rank 0's recipe are as it resolved them, from the folder both started in.
    Recipe recipe = parseRecipe(recipeText, "rank 0's recipe", fs::current_path().string());
    JobOptions options;
    options.threads = job.value("threads", 0);
    options.maxSteps = job.value("max_steps", int64_t{0});
    options.resume = job.value("resume", false);
    options.cacheTeacher = job.value("cache_teacher", true);
    options.teacherCacheDir = job.value("teacher_cache_dir", std::string());
    options.teacherCacheBytes = job.value("teacher_cache_bytes", int64_t{0});
    options.distributed = distributed;
    options.distributed.bucketBytes = job.value("bucket_bytes", distributed.bucketBytes);
    options.distributed.timeoutSeconds = job.value("timeout", distributed.timeoutSeconds);
    Job worker(std::move(recipe), options);
    if (observer) worker.addObserver(observer);
    worker.start();
    return worker.wait();
}

Recipe loadRunRecipe(const std::string& runDir) {
    RunPaths paths{runDir};
    if (!fs::is_directory(runDir)) throw Error("run folder " + runDir + " not found");
    if (!fs::is_regular_file(paths.recipe())) throw Error(runDir + " is not a run folder (no recipe.yaml)");
    return loadRecipe(paths.recipe());
}

}  // namespace distillery
