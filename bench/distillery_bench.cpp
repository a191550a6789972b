// Micro and end-to-end measurements for docs/BENCHMARKS.md; bench/run_benchmarks.sh drives it.
//   distillery-bench sgemm [N]                      warm N×N sgemm GFLOP/s through LibTorch's BLAS
//   distillery-bench conv [--bf16]                  warm oneDNN 3×3 convolution GFLOP/s (best of a few
//                                                   shapes)
//   distillery-bench train RECIPE [--steps N] [--warmup W] [--threads T] [--set k=v]... [--profile
//   TRACE.json]
//                                                   images/s of the engine over N steps after W warm-up steps
//                                                   (--profile: LibTorch's op trace of the timed steps)
//   distillery-bench import MODEL.onnx [--input CxHxW] [--batch B] [--threads T] [--iters N] [--rounds R]
//                                                   ms per batch of an imported ONNX file's forward pass in
//                                                   the engine and in onnxruntime, alternated R times
//   distillery-bench int8 RUN [--batch B] [--threads T] [--iters N]
//                                                   ms per batch of a quantized run's student: fp32 (BN
//                                                   folded) vs LibTorch int8 kernels, same input
//   distillery-bench bn-relu [--arch A] [--bf16] [--size S] [--batch B] [--threads T]
//                                                   ms per training step of a zoo model (SGD, cross-entropy,
//                                                   random data) with batch norm + ReLU fused and not,
//                                                   alternating in one process, 16 blocks of 8 steps each
// Each prints one JSON line.

#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <sys/resource.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <ATen/autocast_mode.h>

#include "core/engine.h"
#include "core/internal/bn_relu.h"
#include "core/internal/checkpoint.h"
#include "core/internal/graph_net.h"
#include "core/internal/inference.h"
#include "core/internal/memory_format.h"
#include "core/internal/onnx_import.h"
#include "core/internal/quant_internal.h"
#include "core/zoo.h"
#include "verify/runtime_check.h"

using namespace distillery;
using Clock = std::chrono::steady_clock;

namespace {

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

template <typename F>
double bestSeconds(F&& f, int repeats) {
    double best = 1e30;
    for (int i = 0; i < repeats; ++i) {
        auto t0 = Clock::now();
        f();
        best = std::min(best, seconds(t0, Clock::now()));
    }
    return best;
}

int sgemm(int n) {
    torch::NoGradGuard g;
    auto a = torch::randn({n, n}), b = torch::randn({n, n});
    torch::mm(a, b);  // warm-up
    const double s = bestSeconds([&] { torch::mm(a, b); }, 3);
    std::cout << nlohmann::json{{"n", n},
                                {"gflops", 2.0 * n * n * n / s / 1e9},
                                {"threads", at::get_num_threads()}}
              << std::endl;
    return 0;
}

int conv(bool bf16) {
    torch::NoGradGuard g;
    const auto type = bf16 ? torch::kBFloat16 : torch::kFloat32;
    struct Shape {
        int64_t n, c, h, k;
    };
    double best = 0;
    nlohmann::json shapes = nlohmann::json::array();
    // Both memory layouts: the engine trains channels-last, so the reference must include it.
    for (bool channelsLast : {false, true})
        for (Shape sh : {Shape{64, 64, 56, 64}, Shape{128, 64, 14, 64}, Shape{128, 32, 28, 32}}) {
            auto x = torch::randn({sh.n, sh.c, sh.h, sh.h}).to(type);
            auto w = torch::randn({sh.k, sh.c, 3, 3}).to(type);
            if (channelsLast) {
                x = x.contiguous(torch::MemoryFormat::ChannelsLast);
                w = w.contiguous(torch::MemoryFormat::ChannelsLast);
            }
            for (int i = 0; i < 3; ++i)
                torch::conv2d(x, w, {}, 1, 1);  // oneDNN's first calls are slow
            const double s = bestSeconds([&] { torch::conv2d(x, w, {}, 1, 1); }, 5);
            const double gflops = 2.0 * sh.n * sh.k * sh.h * sh.h * sh.c * 9 / s / 1e9;
            shapes.push_back({{"input", {sh.n, sh.c, sh.h, sh.h}},
                              {"out_channels", sh.k},
                              {"layout", channelsLast ? "NHWC" : "NCHW"},
                              {"gflops", gflops}});
            best = std::max(best, gflops);
        }
    std::cout << nlohmann::json{{"gflops", best},
                                {"shapes", shapes},
                                {"threads", at::get_num_threads()},
                                {"precision", bf16 ? "bf16" : "fp32"}}
              << std::endl;
    return 0;
}

/** Sums step-to-step intervals after the warm-up, skipping the evaluation pass between epochs. */
struct Timer : Observer {
    int64_t warmup = 10, steps = 100;
    Clock::time_point last;
    int lastEpoch = -1;
    double seconds = 0;
    int64_t timed = 0;
    /** With a path: LibTorch's op profiler records the timed steps into a Chrome trace there. Observers run
     *  on the training thread, so the profiler (thread-local) sees the step's ops. */
    std::string profilePath;
    std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
    void onStep(const StepEvent& e) override {
        if (e.init) return;  // an initialisation stage before training is not what is timed
        const auto now = Clock::now();
        if (e.step > warmup && e.epoch == lastEpoch && timed < steps) {
            seconds += std::chrono::duration<double>(now - last).count();
            ++timed;
        }
        if (!profilePath.empty()) {
            if (e.step == warmup && !profile)
                profile = std::make_unique<torch::autograd::profiler::RecordProfile>(profilePath);
            else if (timed >= steps)
                profile.reset();  // writes the trace
        }
        last = now;
        lastEpoch = e.epoch;
    }
};

/** The process's peak resident set size so far, in MiB (ru_maxrss is in KiB on Linux). */
double peakRssMb() {
    struct rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

int train(int argc, char** argv) {
    if (argc < 3) throw Error("usage: distillery-bench train RECIPE [--steps N] [--warmup W] [--threads T]");
    std::string recipePath = argv[2];
    int64_t steps = 100, warmup = 10;
    int threads = 2;
    std::vector<std::string> overrides;
    std::string profilePath;
    for (int i = 3; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) throw Error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--steps")
            steps = std::stoll(value());
        else if (a == "--warmup")
            warmup = std::stoll(value());
        else if (a == "--threads")
            threads = std::stoi(value());
        else if (a == "--set")
            overrides.push_back(value());
        else if (a == "--profile")
            profilePath = value();
        else
            throw Error("unknown option " + a);
    }
    // The PyTorch baselines measure no term balance; neither does the timed engine (a --set turns it back
    // on).
    overrides.insert(overrides.begin(), "diagnostics.every=0");
    Recipe recipe = loadRecipe(recipePath, overrides);
    // No evaluation pass inside the timed window: stop right after the last timed step.
    const auto dir =
        std::filesystem::temp_directory_path() / ("distillery-bench-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    auto timer = std::make_shared<Timer>();
    timer->warmup = warmup;
    timer->steps = steps;
    timer->profilePath = profilePath;
    RunSummary summary;
    ModelInfo student, teacher;
    {
        Job job(recipe, {dir.string(), false, threads, warmup + steps + 8});
        student = job.studentInfo();
        teacher = job.teacherInfo();
        job.addObserver(timer);
        job.start();
        summary = job.wait();
    }
    std::filesystem::remove_all(dir);
    if (summary.status == RunStatus::Failed) throw Error(summary.message);
    // Epoch boundaries are skipped, so a few more steps than timed may run.
    const double s = timer->seconds;
    if (timer->timed < steps) throw Error("only " + std::to_string(timer->timed) + " steps were timed");
    const double ips = steps * recipe.batchSize / s;
    // Training FLOPs per image: forward + backward (≈ 2× forward) of the student, forward of the teacher.
    const double flopsPerImage = 2.0 * (3.0 * student.macs + teacher.macs);
    std::cout
        << nlohmann::json{{"recipe", recipePath},           {"images_per_second", ips},
                          {"step_ms", 1000.0 * s / steps},  {"steps", steps},
                          {"batch_size", recipe.batchSize}, {"student_macs", student.macs},
                          {"teacher_macs", teacher.macs},   {"training_gflops", flopsPerImage * ips / 1e9},
                          {"precision", recipe.precision},  {"teacher_precision", recipe.teacher.precision},
                          {"peak_rss_mb", peakRssMb()}}
        << std::endl;
    return 0;
}

}  // namespace

int int8Latency(int argc, char** argv) {
    if (argc < 3) throw Error("usage: distillery-bench int8 RUN [--batch B] [--threads T] [--iters N]");
    const std::string run = argv[2];
    int batch = 64, threads = 2, iters = 30;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--batch")
            batch = std::stoi(argv[i + 1]);
        else if (opt == "--threads")
            threads = std::stoi(argv[i + 1]);
        else if (opt == "--iters")
            iters = std::stoi(argv[i + 1]);
        else
            throw Error("int8: unknown option " + opt);
    }
    at::set_num_threads(threads);
    torch::NoGradGuard noGrad;
    CheckpointMeta meta;
    GraphNet net = loadAnyModel(resolveCheckpoint(run), &meta, torch::kCPU);
    if (!net->isQuantized()) throw Error(run + " is not a quantized run");
    Int8Net int8(net);
    torch::manual_seed(0);
    auto x = torch::randn({batch, meta.inChannels, meta.inputH, meta.inputW});
    auto median = [&](auto&& f) {
        for (int i = 0; i < 5; ++i)
            f();
        std::vector<double> t;
        for (int i = 0; i < iters; ++i) {
            auto t0 = Clock::now();
            f();
            t.push_back(1e3 * seconds(t0, Clock::now()));
        }
        std::sort(t.begin(), t.end());
        return t[t.size() / 2];
    };
    net->setQuantActive(false);
    const double fp32 = median([&] { net->forward(x); });
    const double q = median([&] { int8.forward(x); });
    nlohmann::json j{{"run", run},
                     {"batch", batch},
                     {"threads", threads},
                     {"fp32_ms", fp32},
                     {"int8_ms", q},
                     {"speedup", fp32 / q},
                     {"engine", Int8Net::engineName()}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
}

int importLatency(int argc, char** argv) {
    if (argc < 3)
        throw Error(
            "usage: distillery-bench import MODEL.onnx [--input CxHxW] [--batch B] [--threads T] "
            "[--iters N] [--rounds R]");
    const std::string file = argv[2];
    int batch = 64, threads = 2, iters = 30, rounds = 2;
    int64_t c = 0, h = 0, w = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string opt = argv[i];
        if (opt == "--batch")
            batch = std::stoi(argv[i + 1]);
        else if (opt == "--threads")
            threads = std::stoi(argv[i + 1]);
        else if (opt == "--iters")
            iters = std::stoi(argv[i + 1]);
        else if (opt == "--rounds")
            rounds = std::stoi(argv[i + 1]);
        else if (opt == "--input") {
            if (std::sscanf(argv[i + 1], "%ldx%ldx%ld", &c, &h, &w) != 3)
                throw Error("--input: expected CxHxW");
        } else
            throw Error("import: unknown option " + opt);
    }
    at::set_num_threads(threads);
    torch::NoGradGuard noGrad;
    ImportedModel m = importOnnx(file, c, h, w);
    GraphNet net = m.net;
    net->eval();
    // As the engine runs a frozen model: oneDNN with weights packed once (InferenceRunner).
    InferenceRunner runner(net);
    const ModelInfo& info = m.report.model;
    torch::manual_seed(0);
    auto x = torch::randn({batch, info.inChannels, info.inputH, info.inputW});
    auto median = [&](auto&& f) {
        for (int i = 0; i < 5; ++i)
            f();
        std::vector<double> t;
        for (int i = 0; i < iters; ++i) {
            auto t0 = Clock::now();
            f();
            t.push_back(1e3 * seconds(t0, Clock::now()));
        }
        std::sort(t.begin(), t.end());
        return t[t.size() / 2];
    };
    nlohmann::json engine = nlohmann::json::array(), ort = nlohmann::json::array();
    for (int r = 0; r < rounds; ++r) {
        engine.push_back(median([&] { runner.forward(x); }));
        ort.push_back(ortLatencyMs(file, batch, iters, threads));
    }
    auto best = [](const nlohmann::json& a) {
        double b = 1e30;
        for (const auto& v : a)
            b = std::min(b, v.get<double>());
        return b;
    };
    nlohmann::json j{{"model", file},
                     {"input", {info.inChannels, info.inputH, info.inputW}},
                     {"batch", batch},
                     {"threads", threads},
                     {"macs_per_image", info.macs},
                     {"engine_ms", engine},
                     {"onnxruntime_ms", ort},
                     {"ratio", best(engine) / best(ort)},
                     {"onednn", runner.accelerated()}};
    std::printf("%s\n", j.dump().c_str());
    return 0;
}

// The fused batch norm + ReLU (core/bn_relu.cpp) against LibTorch's pair, in the same process and on the same
// model, switching every 8 steps so that a slow phase of the machine hits both.
int bnRelu(int argc, char** argv) {
    std::string arch = "resnet8";
    bool bf16 = false;
    int size = 28, batch = 128;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--arch" && i + 1 < argc)
            arch = argv[++i];
        else if (a == "--bf16")
            bf16 = true;
        else if (a == "--size" && i + 1 < argc)
            size = std::stoi(argv[++i]);
        else if (a == "--batch" && i + 1 < argc)
            batch = std::stoi(argv[++i]);
        else if (a == "--threads")
            ++i;
        else
            throw Error(
                "usage: distillery-bench bn-relu [--arch A] [--bf16] [--size S] [--batch B] [--threads T]");
    }
    torch::manual_seed(0);
    const int channels = size == 28 ? 1 : 3;
    auto net = buildModel({arch, "", 1.0, {}}, Task::Classification, channels, 10, size, size);
    net->useChannelsLast();
    net->train();
    torch::optim::SGD opt(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
    const auto x = exactChannelsLast(torch::randn({batch, channels, size, size}));
    const auto y = torch::randint(0, 10, {batch});
    if (bf16) {
        at::autocast::set_cpu_enabled(true);
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    }
    auto step = [&] {
        opt.zero_grad();
        auto loss = torch::nn::functional::cross_entropy(net->forward(x).to(torch::kFloat), y);
        loss.backward();
        opt.step();
        if (bf16) at::autocast::clear_cache();
    };
    for (int i = 0; i < 10; ++i)
        step();
    std::vector<double> ms[2];
    for (int block = 0; block < 16; ++block)
        for (int fused = 0; fused < 2; ++fused) {
            setFusedBatchNormRelu(fused == 1);
            step();
            const auto t0 = Clock::now();
            for (int i = 0; i < 8; ++i)
                step();
            ms[fused].push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / 8);
        }
    setFusedBatchNormRelu(true);
    auto median = [](std::vector<double> v) {
        std::sort(v.begin(), v.end());
        return v[v.size() / 2];
    };
    nlohmann::json out = {{"arch", arch},
                          {"precision", bf16 ? "bf16" : "fp32"},
                          {"size", size},
                          {"batch", batch},
                          {"separate_step_ms", median(ms[0])},
                          {"fused_step_ms", median(ms[1])},
                          {"speedup", median(ms[0]) / median(ms[1])}};
    std::cout << out.dump() << std::endl;
    return 0;
}

int main(int argc, char** argv) {
    try {
        if (argc < 2) throw Error("usage: distillery-bench sgemm|conv|train ...");
        const std::string cmd = argv[1];
        setThreadCount(2);
        for (int i = 2; i + 1 < argc; ++i)
            if (std::string(argv[i]) == "--threads") setThreadCount(std::stoi(argv[i + 1]));
        if (cmd == "sgemm") return sgemm(argc > 2 && argv[2][0] != '-' ? std::stoi(argv[2]) : 2048);
        if (cmd == "conv") return conv(argc > 2 && std::string(argv[2]) == "--bf16");
        if (cmd == "train") return train(argc, argv);
        if (cmd == "int8") return int8Latency(argc, argv);
        if (cmd == "import") return importLatency(argc, argv);
        if (cmd == "bn-relu") return bnRelu(argc, argv);
        throw Error("unknown command " + cmd);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "distillery-bench: %s\n", e.what());
        return 2;
    }
}
