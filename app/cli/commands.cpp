#include "app/cli/commands.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "app/cli/arguments.h"
#include "app/cli/progress.h"
#include "core/baseline.h"
#include "core/data_free.h"
#include "core/dataset.h"
#include "core/diagnostics.h"
#include "core/distributions.h"
#include "core/engine.h"
#include "core/format.h"
#include "core/imaging.h"
#include "core/install_paths.h"
#include "core/onnx_import.h"
#include "core/pipeline.h"
#include "core/recipe.h"
#include "core/run_files.h"
#include "core/teacher_cache.h"
#include "core/zoo.h"
#include "verify/runtime_check.h"

namespace distillery::cli {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

std::string recipeArgument(const std::string& given) {
    std::error_code ec;
    if (fs::is_regular_file(given, ec)) return given;
    const std::string shipped = shippedRecipePath(given);
    return shipped.empty() ? given : shipped;
}

namespace {

/** The description of a shipped recipe: the first sentence of the comment block that opens it. */
std::string recipeDescription(const std::string& path) {
    std::ifstream in(path);
    std::string line, text;
    while (std::getline(in, line)) {
        const size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] != '#') {
            if (text.empty() && start == std::string::npos) continue;
            break;
        }
        const size_t from = line.find_first_not_of("# \t", start);
        if (from == std::string::npos) break;
        text += (text.empty() ? "" : " ") + line.substr(from);
        const size_t end = text.find(". ");
        if (end != std::string::npos) return text.substr(0, end + 1);
    }
    return text;
}

constexpr int kExitFinished = 0;
constexpr int kExitFailed = 1;
constexpr int kExitCancelled = 130;

// `models` describes every architecture for a Fashion-MNIST sized problem.
constexpr int kModelChannels = 1;
constexpr int kModelSize = 28;
constexpr int kModelClasses = 10;

std::string joined(const std::vector<std::string>& items, const std::string& separator) {
    std::string out;
    for (size_t i = 0; i < items.size(); ++i)
        out += (i ? separator : "") + items[i];
    return out;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::vector<std::string> dims;
    for (auto d : shape)
        dims.push_back(std::to_string(d));
    return joined(dims, "x");
}

std::string plural(int64_t n, const std::string& word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

void checkNewRunFolder(const std::string& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) return;
    if (!fs::is_directory(dir, ec)) throw Error("run folder " + dir + " exists and is not a folder");
    if (!fs::is_empty(dir, ec))
        throw Error("run folder " + dir + " is not empty; continue it with 'distillery-cli resume " + dir +
                    "' or choose another --out");
}

void checkRunFolder(const std::string& dir) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) throw Error("run folder " + dir + " does not exist");
    if (!fs::is_directory(dir, ec)) throw Error(dir + " is not a run folder (not a folder)");
    if (!fs::exists(fs::path(dir) / "recipe.yaml", ec))
        throw Error(dir + " is not a run folder (no recipe.yaml)");
}

void checkCheckpoint(const std::string& dir, CheckpointChoice choice) {
    const std::string which = checkpointName(choice);
    std::error_code ec;
    const fs::path file = fs::path(dir) / "checkpoints" / (which + ".pt");
    if (!fs::exists(file, ec))
        throw Error("run folder " + dir + " has no " + which + " checkpoint (" + file.string() + ")");
}

/** Display names of the run's classes; indices when the data set cannot be opened (it is only cosmetic). */
std::vector<std::string> classNamesOf(const std::string& runDir, size_t count) {
    std::vector<std::string> names;
    try {
        names = openDataset(loadRunRecipe(runDir).data, Split::Val)->classNames();
    } catch (const std::exception&) {
    }
    names.resize(std::max(names.size(), count));
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i].empty()) names[i] = std::to_string(i);
    return names;
}

/** The COCO category id of each class of a run's data (empty: the class indices are the ids). */
std::vector<int64_t> categoryIdsOf(const std::string& runDir) {
    return openDataset(loadRunRecipe(runDir).data, Split::Val)->categoryIds();
}

// ---- running a job --------------------------------------------------------------------------------

volatile std::sig_atomic_t gInterrupted = 0;

void onInterrupt(int) {
    // The first Ctrl-C asks the job to stop cleanly (it stays resumable); a second one leaves at once.
    if (gInterrupted) ::_exit(kExitCancelled);
    gInterrupted = 1;
    const char message[] = "\ncancelling at the next step (Ctrl-C again to quit at once)\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, message, sizeof message - 1);
}

/** Routes SIGINT and SIGTERM to onInterrupt while a job runs. */
class InterruptHandler {
public:
    InterruptHandler() {
        gInterrupted = 0;
        struct sigaction action {};
        action.sa_handler = onInterrupt;
        sigemptyset(&action.sa_mask);
        ::sigaction(SIGINT, &action, &mOldInt);
        ::sigaction(SIGTERM, &action, &mOldTerm);
    }
    ~InterruptHandler() {
        ::sigaction(SIGINT, &mOldInt, nullptr);
        ::sigaction(SIGTERM, &mOldTerm, nullptr);
    }
    InterruptHandler(const InterruptHandler&) = delete;
    InterruptHandler& operator=(const InterruptHandler&) = delete;

private:
    struct sigaction mOldInt {};
    struct sigaction mOldTerm {};
};

std::string modelText(const ModelInfo& info) {
    std::string text = info.arch + (info.head.empty() ? "" : "+" + info.head);
    return text + " (" + formatCount(info.params) + " params, " + formatCount(info.macs) + " MACs)";
}

void printSummary(const RunSummary& summary, const std::string& runDir) {
    std::printf("%s: %s, %s in %s\n", statusName(summary.status), plural(summary.epochs, "epoch").c_str(),
                plural(summary.steps, "step").c_str(), formatDuration(summary.wallSeconds).c_str());
    if (!summary.finalMetrics.empty())
        std::printf("final: %s\n", formatMetrics(summary.finalMetrics).c_str());
    if (!summary.bestMetrics.empty()) std::printf("best:  %s\n", formatMetrics(summary.bestMetrics).c_str());
    if (summary.params > 0)
        std::printf("model: %s params, %s MACs\n", formatCount(summary.params).c_str(),
                    formatCount(summary.macs).c_str());
    std::printf("run folder: %s\n", runDir.c_str());
    std::fflush(stdout);
}

int runJob(Job& job, bool resumed) {
    const Recipe& recipe = job.recipe();
    auto printer = std::make_shared<ProgressPrinter>(recipe.epochs, ProgressPrinter::stderrIsInteractive());
    job.addObserver(printer);

    std::string header = std::string(resumed ? "resuming " : "starting ") + jobName(recipe.job) + " run '" +
                         recipe.name + "': " + modelText(job.studentInfo());
    const ModelInfo teacher = job.teacherInfo();
    if (!teacher.arch.empty()) header += " taught by " + modelText(teacher);
    header += " on " + recipe.data.dataset + ", " + plural(recipe.epochs, "epoch") + ", into " + job.runDir();
    std::fprintf(stderr, "%s\n", header.c_str());

    InterruptHandler interrupts;
    std::atomic<bool> done{false};
    job.start();
    // cancel() takes locks, so the signal handler only raises a flag and this thread forwards it.
    std::thread watcher([&] {
        while (!done) {
            if (gInterrupted) {
                job.cancel();
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    RunSummary summary;
    try {
        summary = job.wait();
    } catch (...) {
        done = true;
        watcher.join();
        throw;
    }
    done = true;
    watcher.join();
    printer->finish();
    const auto errors = printer->takeErrors();

    if (summary.status == RunStatus::Finished || summary.status == RunStatus::Cancelled) {
        // Errors that did not stop the run (say, a summary that could not be written) still matter.
        for (const auto& error : errors)
            std::fprintf(stderr, "error: %s\n", firstLine(error).c_str());
    }
    if (summary.status == RunStatus::Finished) {
        printSummary(summary, job.runDir());
        return kExitFinished;
    }
    if (summary.status == RunStatus::Cancelled) {
        printSummary(summary, job.runDir());
        std::fprintf(stderr, "cancelled; continue with: distillery-cli resume %s\n", job.runDir().c_str());
        return kExitCancelled;
    }
    const std::string message = firstLine(summary.message.empty() ? "the run failed" : summary.message);
    for (const auto& error : errors)
        if (firstLine(error) != message) std::fprintf(stderr, "error: %s\n", firstLine(error).c_str());
    std::fprintf(stderr, "distillery-cli: %s\n", message.c_str());
    return kExitFailed;
}

// ---- models ---------------------------------------------------------------------------------------

struct Described {
    ArchitectureEntry entry;
    ModelInfo info;
    std::string error;  // describeModel() failed for this architecture
};

std::vector<Described> describeAll() {
    std::vector<Described> all;
    for (const auto& entry : architectures()) {
        Described d{entry, {}, {}};
        ModelSpec spec;
        spec.arch = entry.name;
        try {
            d.info = describeModel(spec, Task::Classification, kModelChannels, kModelClasses, kModelSize,
                                   kModelSize);
        } catch (const std::exception& e) {
            d.error = firstLine(e.what());
        }
        all.push_back(std::move(d));
    }
    return all;
}

Json modelJson(const Described& d, const std::vector<std::string>& heads) {
    Json j;
    j["name"] = d.entry.name;
    j["family"] = d.entry.family;
    j["description"] = d.entry.description;
    j["input"] = {kModelChannels, kModelSize, kModelSize};
    j["classes"] = kModelClasses;
    if (!d.error.empty()) {
        j["error"] = d.error;
    } else {
        j["params"] = d.info.params;
        j["macs"] = d.info.macs;
        j["taps"] = Json::array();
        for (const auto& tap : d.info.taps)
            j["taps"].push_back({{"name", tap.name}, {"shape", tap.shape}});
        j["layers"] = Json::array();
        for (const auto& layer : d.info.layers)
            j["layers"].push_back({{"name", layer.name},
                                   {"op", layer.op},
                                   {"inputs", layer.inputs},
                                   {"out_shape", layer.outShape},
                                   {"params", layer.params},
                                   {"macs", layer.macs}});
    }
    j["segmentation_heads"] = heads;
    return j;
}

void printModelTable(const std::vector<Described>& all, const std::vector<std::string>& heads) {
    std::vector<std::vector<std::string>> rows{{"ARCH", "FAMILY", "PARAMS", "MACS", "TAPS"}};
    for (const auto& d : all) {
        if (!d.error.empty()) {
            rows.push_back({d.entry.name, d.entry.family, "-", "-", "(" + d.error + ")"});
            continue;
        }
        std::vector<std::string> taps;
        for (const auto& tap : d.info.taps)
            taps.push_back(tap.name);
        rows.push_back({d.entry.name, d.entry.family, formatCount(d.info.params), formatCount(d.info.macs),
                        joined(taps, " ")});
    }
    std::vector<size_t> width(4, 0);
    for (const auto& row : rows)
        for (size_t c = 0; c < width.size(); ++c)
            width[c] = std::max(width[c], row[c].size());
    for (const auto& row : rows) {
        // Names left-aligned, numbers right-aligned.
        std::printf("%-*s  %-*s  %*s  %*s  %s\n", static_cast<int>(width[0]), row[0].c_str(),
                    static_cast<int>(width[1]), row[1].c_str(), static_cast<int>(width[2]), row[2].c_str(),
                    static_cast<int>(width[3]), row[3].c_str(), row[4].c_str());
    }
    std::printf("\nparams and MACs for a %dx%dx%d input and %d classes\n", kModelChannels, kModelSize,
                kModelSize, kModelClasses);
    std::printf("segmentation heads: %s\n", joined(heads, ", ").c_str());
}

// ---- usage ----------------------------------------------------------------------------------------

const std::map<std::string, std::string>& commandUsages() {
    static const std::map<std::string, std::string> usages{
        {"models",
         "usage: distillery-cli models [--json | --names]\n"
         "       distillery-cli models --onnx FILE [--input CxHxW] [--json] [--verify DATA_RECIPE]\n"
         "                             [--subset N] [--threads N]\n"
         "\n"
         "Lists the model zoo: each architecture's family, parameters, MACs and taps (named intermediate\n"
         "outputs usable in distillation losses) for a 1x28x28 input with 10 classes, and the segmentation\n"
         "heads. --json prints an array with each tap's shape and the per-layer costs; --names only the\n"
         "architectures' names, one per line.\n"
         "\n"
         "With --onnx, imports FILE (the file's input size, or --input) and prints its ONNX ops, "
         "parameters,\n"
         "MACs, input shape and taps grouped by resolution, or the reason it cannot be imported.\n"
         "  --verify R   also import it for recipe R's data and compare it with onnxruntime running the "
         "same\n"
         "               file on R's validation split (first --subset N samples); exit 1 if they differ\n"},
        {"train",
         "usage: distillery-cli train RECIPE --out DIR [--max-steps N] [--subset N] [--threads N]\n"
         "                            [--set dotted.key=value]... [--baseline RUN]... [--no-baseline]\n"
         "                            [--nproc N] [--dist-timeout S] [--bucket-mb M]\n"
         "\n"
         "Trains (or distils) as the YAML recipe says, writing the run folder DIR: recipe.yaml, "
         "metrics.jsonl,\n"
         "summary.json and checkpoints/. DIR must be new or empty. RECIPE is a file or the name of a\n"
         "shipped recipe ('distillery-cli recipes' lists them), e.g. fmnist_kd.\n"
         "  --max-steps N   stop after N optimisation steps (0 = as the recipe says)\n"
         "  --subset N      use only the first N samples of each split (same as --set data.subset=N)\n"
         "  --threads N     CPU threads (0 = as the recipe says)\n"
         "  --set K=V       override a recipe field, e.g. --set train.epochs=5 (repeatable)\n"
         "  --baseline RUN  a finished run of the student alone to compare a distillation with at every\n"
         "                  epoch (repeatable; the curve is their mean). Default: the finished runs beside "
         "DIR\n"
         "                  that trained the same student on the same data and schedule with labels only\n"
         "  --no-baseline   compare with none\n"
         "  --nproc N       data-parallel: N local processes, each taking 1/N of every batch (the threads\n"
         "                  are divided between them); the recipe trains the same on any N\n"
         "  --dist-timeout S  seconds a process waits for the others before the job ends with an error\n"
         "                  (default 300)\n"
         "  --bucket-mb M   gradients are averaged in buckets of about M MB (default 25)\n"
         "Under torchrun (or any launcher that sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and\n"
         "MASTER_PORT) each process joins the job as its rank; rank 0 writes DIR (docs/DISTRIBUTED.md).\n"
         "Ctrl-C stops at the next step; the run can then be continued with 'resume'.\n"},
        {"recipes",
         "usage: distillery-cli recipes [--json]\n"
         "\n"
         "Lists the recipes shipped with Distillery (name, job, description) and the folder they are in.\n"
         "'train', 'eval --data' and 'models --verify' accept these names in place of a file; copy one to\n"
         "change it.\n"},
        {"cache",
         "usage: distillery-cli cache [--json] [--clear] [--dir DIR]\n"
         "\n"
         "Lists the shared teacher cache: the frozen teachers' tap outputs that distillation runs with a\n"
         "deterministic input pipeline (no random crop or flip) store once and every later run with the "
         "same\n"
         "teacher, precision, taps, data and transforms reads instead of running the teacher (other seeds,\n"
         "other methods, resumed runs). Each entry is checked against the teacher on its first batch.\n"
         "  --clear      remove every entry (runs that opened one keep reading it)\n"
         "  --json       print the entries as JSON\n"
         "  --dir DIR    the cache folder (default: $DISTILLERY_TEACHER_CACHE, else\n"
         "               $XDG_CACHE_HOME/distillery/teacher, else ~/.cache/distillery/teacher)\n"
         "DISTILLERY_TEACHER_CACHE=off keeps runs from using it; DISTILLERY_TEACHER_CACHE_SIZE bounds it\n"
         "(default 8G): after each write the least recently used entries go.\n"},
        {"resume",
         "usage: distillery-cli resume DIR [--threads N] [--max-steps N] [--nproc N] [--dist-timeout S]\n"
         "                             [--bucket-mb M]\n"
         "\n"
         "Continues the run in DIR from its last checkpoint, with the recipe stored in DIR, on any number\n"
         "of processes (--nproc, or a launcher's RANK and WORLD_SIZE as for 'train'). A pipeline's folder\n"
         "(DIR/pipeline.yaml) continues its stages: finished ones are kept, a stopped one resumes.\n"},
        {"worker",
         "usage: distillery-cli worker\n"
         "\n"
         "Rank 1 or above of a data-parallel job whose rank 0 started it ('train --nproc', the workbench's\n"
         "processes setting): joins through RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT, takes the recipe\n"
         "and settings from rank 0, and trains its share of every batch. Not for use by hand.\n"},
        {"eval",
         "usage: distillery-cli eval DIR [--checkpoint best|last] [--subset N] [--threads N] [--json]\n"
         "                           [--detections FILE.json]\n"
         "       distillery-cli eval MODEL.onnx|MODEL.pt --data RECIPE [--subset N] [--threads N] [--json]\n"
         "\n"
         "Evaluates a run's checkpoint (default best) on its validation split and prints the metrics with\n"
         "per-class accuracy (classification), per-class IoU (segmentation) or COCO box AP (detection:\n"
         "AP@[.5:.95], AP50, AP75, AP small/medium/large, AR@100 and per-class AP), all in percent. An ONNX\n"
         "file is imported, and a checkpoint file (e.g. from 'prune') loaded, and evaluated on the\n"
         "validation split of the recipe --data names.\n"
         "  --detections FILE.json  detection: also write every image's top-100 boxes in COCO's results\n"
         "                          format ([{image_id, category_id, bbox: [x, y, w, h], score}])\n"},
        {"quantize",
         "usage: distillery-cli quantize DIR --out OUT [--method ptq|qat] [--observer "
         "minmax|percentile|mse]\n"
         "                               [--percentile P] [--calib-batches N] [--bits 8|6|4|2]\n"
         "                               [--layer-bits NAME=B[,NAME=B...]] [--budget size=40KB|bops=2.5G]\n"
         "                               [--teacher recipe|self|none] [--epochs N] [--lr LR] [--lsq]\n"
         "                               [--subset N] [--threads N] [--max-steps N] [--seed N] [--no-int8]\n"
         "       distillery-cli quantize DIR --out OUT --method qat --vertical 8,6,4,2 [...]\n"
         "       distillery-cli quantize DIR --sensitivity [--calib-batches N] [--threads N] [--json]\n"
         "\n"
         "Quantizes the fp32 student of run DIR into the new run folder OUT: BatchNorm folded, weights per\n"
         "output channel (symmetric), activations per tensor (8 bit) calibrated on train batches.\n"
         "  --method ptq    post-training quantization (default): calibrate, then evaluate the simulated\n"
         "                  model and the same model on LibTorch's int8 kernels\n"
         "  --method qat    quantization-aware training (straight-through gradient) for --epochs with the\n"
         "                  run's KD terms; --teacher recipe (the run's teacher), self (the student's own\n"
         "                  fp32 copy) or none (labels only); --lsq learns the step sizes; --lr defaults\n"
         "                  to 1 % of the run's (the BN-folded network diverges at training rates);\n"
         "                  --seed sets the QAT run's seed (default: the source run's)\n"
         "  --bits B        weight width of every layer; --layer-bits sets single layers (0 = float)\n"
         "  --budget        mixed precision: measure each layer's sensitivity at 6/4/2 bits and choose the\n"
         "                  widths that fit the model size (size=) or bit operations (bops=)\n"
         "  --sensitivity   only print the per-layer table with sensitivities\n"
         "  --vertical W,W  once-QAT: one model holding every listed width (top first). Each lower width\n"
         "                  is the top width's integer codes taken down by rounding right shifts; QAT sums\n"
         "                  every width's loss. 'extract' takes one width out as its own checkpoint\n"},
        {"extract",
         "usage: distillery-cli extract DIR --bits 8|6|4|2 --out OUT [--threads N]\n"
         "\n"
         "Takes one width out of the vertical-layered (once-QAT) run DIR into the new run folder OUT: each\n"
         "layer's weights become that width's codes times its step size. It is evaluated simulated and on\n"
         "LibTorch's int8 kernels, and eval, inspect and export read it like any quantized run, so\n"
         "'export OUT --format onnx-int8' writes that width's QDQ model.\n"},
        {"generate",
         "usage: distillery-cli generate DIR --out FILE.png [--per-class N] [--seed S] [--initial] [--json]\n"
         "                               [--threads N]\n"
         "\n"
         "Runs the generator of the data-free run DIR (its last checkpoint) for N images of every class\n"
         "(default 8) and writes them as a PNG grid, one row per class. Prints how often the teacher sees "
         "the\n"
         "class asked for, how often the student agrees with the teacher, and how far the images' batch\n"
         "statistics are from the running statistics of each teacher batch norm (in units of its running\n"
         "spread; 0 = as in the teacher's training data).\n"
         "  --initial   the generator as the run initialised it, before training (for comparison)\n"
         "  --json      print the figures as JSON\n"},
        {"diagnostics",
         "usage: distillery-cli diagnostics DIR [--target SHARE] [--json]\n"
         "\n"
         "Prints the term balance a run measured (DIR/diagnostics.jsonl, every diagnostics.every steps): at\n"
         "the last sample, each loss term's weight, its share of the loss and of the student's gradient "
         "(the\n"
         "norm of its weighted gradient on the student's own parameters over the sum of all terms' norms),\n"
         "a flag above diagnostics.dominant (90 %) or below diagnostics.negligible (1 %), and for the terms "
         "to\n"
         "change the weight that gives them the target share; then each term's gradient share over the run.\n"
         "  --target SHARE   the share suggested weights aim at, in (0, 1) (default "
         "diagnostics.target_share,\n"
         "                   0.5)\n"
         "  --json           print the last sample, flags and suggestions as JSON\n"},
        {"distributions",
         "usage: distillery-cli distributions DIR --tap NAME | --student-tap S [--teacher-tap T]\n"
         "                                    [--samples N] [--bins B] [--tau T] [--split val|train]\n"
         "                                    [--checkpoint best|last] [--out FILE.csv] [--json]\n"
         "\n"
         "Each channel's activations over the first N samples (default 64): teacher beside student (the "
         "student\n"
         "as the loss sees it, after its term's adapter and resize), histograms on shared bins, mean, std,\n"
         "quantiles 5/25/50/75/95 %, and the KL between their spatial softmax at T, as CWD compares them\n"
         "(worst first). A train run has the student's channels alone. --out writes every channel as CSV.\n"},
        {"inspect",
         "usage: distillery-cli inspect DIR --tap NAME --out PREFIX [--model student|teacher] [--sample N]\n"
         "                              [--split val|train] [--checkpoint best|last] [--tau T]\n"
         "\n"
         "Computes one tap's feature map for one sample and writes PREFIX.png (a heat map per channel) and\n"
         "PREFIX.csv (per-channel mean, std, min, max and spatial entropy of softmax(x/T) over H*W).\n"},
    };
    return usages;
}

}  // namespace

int runJobWithProgress(Job& job, bool resumed) {
    return runJob(job, resumed);
}

std::string firstLine(const std::string& message) {
    size_t begin = message.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return "unknown error";
    size_t end = message.find_first_of("\r\n", begin);
    std::string line = message.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    line.erase(line.find_last_not_of(" \t") + 1);
    return line;
}

std::string usage(const std::string& command) {
    if (command == "export") return exportUsage();
    if (command == "prune") return pruneUsage();
    if (command == "suggest-hints") return hintsUsage();
    if (command == "pipeline") return pipelineUsage();
    auto it = commandUsages().find(command);
    if (it != commandUsages().end()) return it->second;
    return "usage: distillery-cli COMMAND [OPTIONS]\n"
           "\n"
           "Distillery: train and distil compact vision models from YAML recipes.\n"
           "\n"
           "commands:\n"
           "  models [--json]          list architectures with params, MACs and taps\n"
           "  recipes                  list the shipped recipes\n"
           "  cache [--clear]          list or clear the shared teacher cache\n"
           "  train RECIPE --out DIR   train or distil as the recipe says\n"
           "  resume DIR               continue an interrupted run or pipeline\n"
           "  pipeline FILE --out DIR  stages of runs, each taught by the one before (TAKD, born-again)\n"
           "  eval DIR                 evaluate a run's best or last checkpoint\n"
           "  generate DIR --out FILE.png\n"
           "                           a data-free run's generated images, with the teacher's view of them\n"
           "  diagnostics DIR          a run's term balance: each loss term's share of the gradient\n"
           "  distributions DIR --tap NAME\n"
           "                           each channel's activations over many samples, teacher beside student\n"
           "  inspect DIR --tap NAME --out PREFIX\n"
           "                           write a tap's channels as a PNG grid and a CSV of statistics\n"
           "  suggest-hints RECIPE     propose hint points: the teacher's layers clustered by similarity\n"
           "  prune DIR --out FILE --budget params=50%\n"
           "                           remove whole channels of a trained model to a params/MACs budget\n"
           "  quantize DIR --out OUT   PTQ, QAT, once-QAT or mixed precision of a run's student\n"
           "  extract DIR --bits B --out OUT\n"
           "                           one width of a once-QAT (vertical-layered) model as its own "
           "checkpoint\n"
           "  export DIR --format onnx|onnx-int8 --out FILE [--verify]\n"
           "                           ONNX file and model card, checked in onnxruntime / OpenCV DNN\n"
           "\n"
           "'distillery-cli COMMAND --help' shows a command's options; --version prints the version.\n"
           "Exit status: 0 done, 1 the run failed, 2 bad input, 130 cancelled (resumable).\n";
}

/** "3x32x32" → {3, 32, 32}. */
std::vector<int64_t> parseInputSize(const Arguments& a, const std::string& text) {
    std::vector<int64_t> dims;
    size_t start = 0;
    while (true) {
        const size_t x = text.find('x', start);
        dims.push_back(
            parseInteger(text.substr(start, x == std::string::npos ? std::string::npos : x - start),
                         "--input " + text, 1, 65536));
        if (x == std::string::npos) break;
        start = x + 1;
    }
    if (dims.size() != 3) throw a.error("--input: expected CxHxW such as 3x32x32, got '" + text + "'");
    return dims;
}

Json tapsJson(const std::vector<TapInfo>& taps) {
    Json j = Json::array();
    for (const auto& tap : taps)
        j.push_back({{"name", tap.name}, {"shape", tap.shape}});
    return j;
}

Json checkJson(const ExportCheck& check) {
    Json metrics = Json::object();
    for (const auto& [name, value] : check.metrics)
        metrics[name] = value;
    Json comparisons = Json::array();
    for (const auto& c : check.comparisons) {
        comparisons.push_back({{"runtime", c.runtime},
                               {"version", c.version},
                               {"reference", c.reference},
                               {"max_abs_diff", c.maxAbsDiff},
                               {"mean_abs_diff", c.meanAbsDiff},
                               {"agreement_percent", c.agreement}});
        if (c.sameBoxes >= 0) comparisons.back()["same_boxes_percent"] = c.sameBoxes;
    }
    return {{"samples", check.samples},   {"metric", check.metric},   {"metrics", metrics},
            {"comparisons", comparisons}, {"passed", check.passed()}, {"failures", check.failures},
            {"notes", check.notes}};
}

void printCheck(const ExportCheck& check) {
    std::printf("\nverified on %s validation samples of %s:\n", std::to_string(check.samples).c_str(),
                check.runDir.c_str());
    for (const auto& [name, value] : check.metrics)
        std::printf("  %-18s %s %s\n", name.c_str(), check.metric.c_str(), formatValue(value).c_str());
    for (const auto& c : check.comparisons)
        std::printf("  %s %s vs %s: max |diff| %.3g, mean |diff| %.3g, %.2f %% same predictions\n",
                    c.runtime.c_str(), c.version.c_str(), c.reference.c_str(), c.maxAbsDiff, c.meanAbsDiff,
                    c.agreement);
    for (const auto& note : check.notes)
        std::printf("  note: %s\n", note.c_str());
    for (const auto& f : check.failures)
        std::printf("  FAILED: %s\n", f.c_str());
    std::printf("%s\n", check.passed() ? "  passed" : "  failed");
}

int runModelsOnnx(const Arguments& a, const std::string& file) {
    int64_t c = 0, h = 0, w = 0;
    if (auto text = a.value("--input")) {
        const auto dims = parseInputSize(a, *text);
        c = dims[0];
        h = dims[1];
        w = dims[2];
    }
    const OnnxImportReport r = describeOnnxModel(file, c, h, w);
    const ModelInfo& m = r.model;
    std::optional<ExportCheck> check;
    if (auto recipe = a.value("--verify")) {
        check = verifyImport(file, recipeArgument(*recipe),
                             static_cast<int>(a.integer("--subset", 0, 0, INT_MAX)),
                             static_cast<int>(a.integer("--threads", 0, 0, INT_MAX)));
    }
    if (a.has("--json")) {
        Json j;
        j["file"] = r.file;
        j["sha256"] = r.sha256;
        j["producer"] = r.producer;
        j["opset"] = r.opset;
        j["ir_version"] = r.irVersion;
        j["input_name"] = r.inputName;
        j["declared_input"] = r.declaredInput;
        j["channels_last_input"] = r.channelsLastInput;
        j["input"] = {m.inChannels, m.inputH, m.inputW};
        j["task"] = taskName(m.task);
        j["classes"] = m.numClasses;
        j["params"] = m.params;
        j["macs"] = m.macs;
        Json ops = Json::array();
        for (const auto& [op, count] : r.ops)
            ops.push_back({{"op", op}, {"count", count}});
        j["onnx_ops"] = ops;
        j["notes"] = r.notes;
        j["taps"] = tapsJson(m.taps);
        j["layers"] = Json::array();
        for (const auto& layer : m.layers)
            j["layers"].push_back({{"name", layer.name},
                                   {"op", layer.op},
                                   {"inputs", layer.inputs},
                                   {"out_shape", layer.outShape},
                                   {"params", layer.params},
                                   {"macs", layer.macs}});
        if (check) j["verification"] = checkJson(*check);
        std::printf("%s\n", j.dump(2).c_str());
        return check && !check->passed() ? kExitFailed : 0;
    }
    std::printf("%s\n", r.file.c_str());
    std::printf("  sha256    %s\n", r.sha256.c_str());
    std::printf("  producer  %s, opset %lld, IR %lld\n",
                r.producer.empty() ? "(unknown)" : r.producer.c_str(), static_cast<long long>(r.opset),
                static_cast<long long>(r.irVersion));
    std::vector<std::string> declared;
    for (auto d : r.declaredInput)
        declared.push_back(d < 0 ? "?" : std::to_string(d));
    std::printf("  input     '%s' declared %s%s; imported for %s\n", r.inputName.c_str(),
                joined(declared, "x").c_str(), r.channelsLastInput ? " (NHWC)" : "",
                shapeText({m.inChannels, m.inputH, m.inputW}).c_str());
    std::printf("  task      %s, %lld classes\n", taskName(m.task), static_cast<long long>(m.numClasses));
    std::printf("  params    %s (%lld)\n  MACs      %s (%lld)\n", formatCount(m.params).c_str(),
                static_cast<long long>(m.params), formatCount(m.macs).c_str(),
                static_cast<long long>(m.macs));
    std::vector<std::string> ops;
    for (const auto& [op, count] : r.ops)
        ops.push_back(op + " x" + std::to_string(count));
    std::printf("  ONNX ops  %s\n", joined(ops, ", ").c_str());
    std::map<std::string, int> kinds;
    for (const auto& layer : m.layers)
        ++kinds[layer.op];
    std::vector<std::string> graphOps;
    for (const auto& [op, count] : kinds)
        graphOps.push_back(op + " x" + std::to_string(count));
    std::printf("  graph     %s nodes: %s\n", std::to_string(m.layers.size()).c_str(),
                joined(graphOps, ", ").c_str());
    for (const auto& note : r.notes)
        std::printf("  note      %s\n", note.c_str());
    std::printf("\ntaps (%s):\n", std::to_string(m.taps.size()).c_str());
    for (const auto& group : groupTapsByResolution(m.taps)) {
        std::printf("  %s:\n", group.label.c_str());
        for (const auto& tap : group.taps)
            std::printf("    %-40s %s\n", tap.name.c_str(), shapeText(tap.shape).c_str());
    }
    if (check) printCheck(*check);
    return check && !check->passed() ? kExitFailed : 0;
}

int runModels(const std::vector<std::string>& args) {
    Arguments a("models", args, {"--json", "--names"},
                {"--onnx", "--input", "--verify", "--subset", "--threads"});
    a.positionals({});
    if (a.has("--names")) {
        if (a.has("--onnx") || a.has("--json")) throw a.error("--names takes no other option");
        for (const auto& entry : architectures())
            std::printf("%s\n", entry.name.c_str());
        return 0;
    }
    if (auto file = a.value("--onnx")) return runModelsOnnx(a, *file);
    for (const char* option : {"--input", "--verify", "--subset"})
        if (a.has(option)) throw a.error(std::string(option) + " needs --onnx FILE");
    const auto heads = segmentationHeads();
    const auto all = describeAll();
    if (a.has("--json")) {
        Json array = Json::array();
        for (const auto& d : all)
            array.push_back(modelJson(d, heads));
        std::printf("%s\n", array.dump(2).c_str());
    } else {
        printModelTable(all, heads);
    }
    return 0;
}

int runRecipes(const std::vector<std::string>& args) {
    Arguments a("recipes", args, {"--json"}, {});
    a.positionals({});
    const std::string dir = resourcesDir();
    if (dir.empty())
        throw Failure(
            "no shipped recipes found: Distillery's share/distillery/resources folder is missing "
            "(set DISTILLERY_RESOURCES_DIR to a folder with recipes/)");
    struct Row {
        std::string name, path, job, model, description, problem;
    };
    std::vector<Row> rows;
    for (const auto& name : shippedRecipeNames()) {
        const std::string path = shippedRecipePath(name);
        Row row{name, path, "", "", recipeDescription(path), ""};
        try {
            const Recipe r = loadRecipe(path);
            row.job = jobName(r.job);
            row.model = r.student.displayName();
        } catch (const std::exception& e) {
            row.problem = firstLine(e.what());
        }
        rows.push_back(std::move(row));
    }
    if (a.has("--json")) {
        Json array = Json::array();
        for (const auto& r : rows) {
            Json j{{"name", r.name},
                   {"path", r.path},
                   {"job", r.job},
                   {"model", r.model},
                   {"description", r.description}};
            if (!r.problem.empty()) j["problem"] = r.problem;
            array.push_back(j);
        }
        std::printf("%s\n", array.dump(2).c_str());
        return 0;
    }
    std::printf("shipped recipes in %s/recipes\n\n", dir.c_str());
    size_t width = 4;
    for (const auto& r : rows)
        width = std::max(width, r.name.size());
    std::printf("%-*s  %-7s  %-10s  %s\n", static_cast<int>(width), "name", "job", "model", "description");
    for (const auto& r : rows)
        std::printf("%-*s  %-7s  %-10s  %s\n", static_cast<int>(width), r.name.c_str(), r.job.c_str(),
                    r.model.c_str(),
                    r.problem.empty() ? r.description.c_str() : ("invalid: " + r.problem).c_str());
    std::printf("\nrun one with: distillery-cli train NAME --out DIR\n");
    return 0;
}

int runCache(const std::vector<std::string>& args) {
    Arguments a("cache", args, {"--json", "--clear"}, {"--dir"});
    a.positionals({});
    const std::string dir = a.has("--dir") ? a.required("--dir", "DIR") : defaultTeacherCacheDir();
    if (dir == "off") {
        std::printf("the shared teacher cache is off (DISTILLERY_TEACHER_CACHE=off)\n");
        return 0;
    }
    const int64_t budget = defaultTeacherCacheBytes();
    if (a.has("--clear")) {
        const int64_t freed = clearTeacherCache(dir);
        std::printf("cleared %s: %s freed\n", dir.c_str(), bytesText(freed).c_str());
        return 0;
    }
    const auto entries = listTeacherCache(dir);
    int64_t total = 0;
    for (const auto& e : entries)
        total += e.bytes;
    if (a.has("--json")) {
        Json j{{"dir", dir}, {"bytes", total}, {"max_bytes", budget}, {"entries", Json::array()}};
        for (const auto& e : entries)
            j["entries"].push_back({{"key", e.key},
                                    {"teacher", e.teacher},
                                    {"data", e.data},
                                    {"taps", e.taps},
                                    {"samples", e.samples},
                                    {"bytes", e.bytes},
                                    {"last_used", e.lastUsed}});
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("shared teacher cache in %s: %zu entr%s, %s of %s\n", dir.c_str(), entries.size(),
                entries.size() == 1 ? "y" : "ies", bytesText(total).c_str(), bytesText(budget).c_str());
    if (entries.empty()) return 0;
    std::printf("\n%-12s  %-24s  %-36s  %-16s  %9s  %s\n", "key", "teacher", "data", "taps", "size",
                "last used");
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {  // most recently used first
        std::string taps;
        for (const auto& t : it->taps)
            taps += (taps.empty() ? "" : ",") + t;
        char when[32] = "?";
        const std::time_t t = static_cast<std::time_t>(it->lastUsed);
        std::tm local{};
        if (localtime_r(&t, &local)) std::strftime(when, sizeof when, "%Y-%m-%d %H:%M", &local);
        std::printf("%-12s  %-24s  %-36s  %-16s  %9s  %s\n", it->key.substr(0, 12).c_str(),
                    it->teacher.c_str(), it->data.c_str(), taps.c_str(), bytesText(it->bytes).c_str(), when);
    }
    return 0;
}

/** The student-alone runs a distillation into `out` is compared with: those --baseline names (each must be a
 *  finished baseline for the recipe), else the finished baselines beside `out` (its parent folder, as a
 *  project's runs/ holds them). */
static std::vector<std::string> baselineRunsFor(const Arguments& a, const Recipe& recipe,
                                                const std::string& out) {
    const auto named = a.values("--baseline");
    if (named.empty()) return findBaselineRuns(fs::absolute(out).parent_path().string(), recipe, out);
    if (recipe.job != JobKind::Distill)
        throw a.error("--baseline applies to distillation recipes (job: distill)");
    for (const auto& dir : named) {
        checkRunFolder(dir);
        const RunFolder folder(dir);
        const auto summary = folder.readSummaryIfAny();
        if (!summary || summary->status != RunStatus::Finished)
            throw a.error("--baseline " + dir + " is not a finished run");
        const std::string why = baselineMismatch(recipe, folder.readRecipe());
        if (!why.empty())
            throw a.error("--baseline " + dir + " is not the student alone for this recipe: " + why);
    }
    return named;
}

namespace {
std::string selfProgram() {
    std::error_code ec;
    const auto path = fs::read_symlink("/proc/self/exe", ec);
    if (ec) throw Error("cannot find this program's path to start the other processes: " + ec.message());
    return path.string();
}

/** This process's place in a data-parallel job: --nproc N starts N − 1 local workers beside it; torchrun's
 *  variables make it one rank of a job started elsewhere. Divides the threads between local processes. */
void distributedFrom(const Arguments& a, JobOptions& options, const Recipe& recipe) {
    const auto environment = distributedFromEnvironment();
    const int nproc = static_cast<int>(a.integer("--nproc", 1, 1, 1024));
    const double timeout = a.number("--dist-timeout", 300.0);
    if (!(timeout > 0)) throw a.error("--dist-timeout expects a positive number of seconds");
    const int64_t bucketMb = a.integer("--bucket-mb", 25, 1, 65536);
    DistributedOptions d;
    if (environment && environment->enabled()) {
        if (a.has("--nproc"))
            throw a.error("--nproc starts its own processes; under a launcher (WORLD_SIZE is " +
                          std::to_string(environment->worldSize) + ") leave it out");
        d = *environment;
    } else if (nproc > 1) {
        d = localJob(nproc, options.threads > 0 ? options.threads : recipe.threads, selfProgram());
        options.threads = d.workerThreads;
    }
    d.timeoutSeconds = timeout;
    d.bucketBytes = bucketMb << 20;
    options.distributed = d;
}

/** What a rank other than 0 prints: only problems, with its rank. */
struct RankLog : Observer {
    int rank;
    explicit RankLog(int r) : rank(r) {}
    void onLog(LogLevel level, const std::string& text) override {
        if (level != LogLevel::Info)
            std::fprintf(stderr, "rank %d: %s%s\n", rank, level == LogLevel::Error ? "error: " : "",
                         firstLine(text).c_str());
    }
};

/** A rank above 0 outlives its terminal and its rank 0 long enough to stop cleanly: Ctrl-C reaches every
 *  process of the group, but rank 0 alone acts on it and tells the others; and when rank 0 dies, the stderr
 *  this rank inherited from it may be a closed pipe, whose SIGPIPE would kill it before it removes its
 *  scratch folder. */
void ignoreSignalsAsRank() {
    std::signal(SIGINT, SIG_IGN);
    std::signal(SIGPIPE, SIG_IGN);
}

/** Rank 1 or above of a job whose rank 0 sends the recipe and settings (`worker`; a launcher's `resume`). */
int joinAsWorker(const DistributedOptions& d) {
    ignoreSignalsAsRank();
    const RunSummary summary = runDistributedWorker(d, std::make_shared<RankLog>(d.rank));
    return summary.status == RunStatus::Failed ? kExitFailed : kExitFinished;
}

/** A rank other than 0: trains its share quietly. */
int runQuietRank(Job& job, int rank) {
    ignoreSignalsAsRank();
    job.addObserver(std::make_shared<RankLog>(rank));
    job.start();
    const RunSummary summary = job.wait();
    return summary.status == RunStatus::Failed ? kExitFailed : kExitFinished;
}
}  // namespace

int runWorker(const std::vector<std::string>& args) {
    Arguments a("worker", args, {}, {});
    a.positionals({});
    const auto environment = distributedFromEnvironment();
    if (!environment || !environment->enabled() || environment->rank == 0)
        throw a.error(
            "runs rank 1 or above of a job started by 'train --nproc' (RANK, WORLD_SIZE, MASTER_ADDR "
            "and MASTER_PORT are not set for that)");
    DistributedOptions d = *environment;
    if (const char* t = std::getenv("DISTILLERY_DIST_TIMEOUT"))
        d.timeoutSeconds = std::max(1.0, std::atof(t));
    return joinAsWorker(d);
}

int runTrain(const std::vector<std::string>& args) {
    Arguments a("train", args, {"--no-baseline"},
                {"--out", "--max-steps", "--subset", "--threads", "--set", "--baseline", "--nproc",
                 "--dist-timeout", "--bucket-mb"});
    const std::string recipePath = recipeArgument(a.positionals({"RECIPE"})[0]);
    const std::string out = a.required("--out", "DIR");
    const int64_t maxSteps = a.integer("--max-steps", 0);
    const int64_t subset = a.integer("--subset", 0, 0, INT_MAX);
    const int threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));
    std::vector<std::string> overrides;
    for (const auto& setting : a.values("--set")) {
        const auto eq = setting.find('=');
        if (eq == std::string::npos || eq == 0)
            throw a.error("--set expects dotted.key=value, got '" + setting + "'");
        overrides.push_back(setting);
    }
    // Last, so that --subset wins over a --set of the same field.
    if (a.has("--subset")) overrides.push_back("data.subset=" + std::to_string(subset));

    Recipe recipe = loadRecipe(recipePath, overrides);
    JobOptions options{out, false, threads, maxSteps};
    distributedFrom(a, options, recipe);
    const bool primary = options.distributed.rank == 0;
    // DIR belongs to rank 0; the other ranks of a launcher's job keep nothing there.
    if (primary) checkNewRunFolder(out);
    if (primary && !a.has("--no-baseline")) options.baselineRuns = baselineRunsFor(a, recipe, out);
    Job job(std::move(recipe), options);
    return primary ? runJob(job, false) : runQuietRank(job, options.distributed.rank);
}

int runResume(const std::vector<std::string>& args) {
    Arguments a("resume", args, {}, {"--threads", "--max-steps", "--nproc", "--dist-timeout", "--bucket-mb"});
    const std::string dir = a.positionals({"DIR"})[0];
    const int threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));
    const int64_t maxSteps = a.integer("--max-steps", 0);
    if (const auto environment = distributedFromEnvironment(); environment && environment->rank > 0) {
        // A launcher's rank 1 …: DIR may be on rank 0's machine only; rank 0 sends the recipe and checkpoint.
        JobOptions probe;
        distributedFrom(a, probe, Recipe{});
        return joinAsWorker(probe.distributed);
    }
    // A pipeline's folder: continue its stages.
    if (const std::string pipeline = pipelineFileIn(dir); !pipeline.empty()) {
        for (const char* option : {"--nproc", "--dist-timeout", "--bucket-mb"})
            if (a.has(option))
                throw a.error(std::string(option) + " applies to single runs, not to pipelines");
        return runPipelineIn(loadPipeline(pipeline), dir, threads, maxSteps);
    }
    checkRunFolder(dir);
    Recipe recipe = loadRunRecipe(dir);
    JobOptions options{dir, true, threads, maxSteps};
    distributedFrom(a, options, recipe);
    options.baselineRuns = findBaselineRuns(fs::absolute(dir).parent_path().string(), recipe, dir);
    Job job(std::move(recipe), options);
    return runJob(job, true);
}

int runEval(const std::vector<std::string>& args) {
    Arguments a("eval", args, {"--json"},
                {"--checkpoint", "--subset", "--threads", "--data", "--detections"});
    const std::string dir = a.positionals({"DIR"})[0];
    const CheckpointChoice which =
        checkpointFrom(a.choice("--checkpoint", "best", checkpointNames()), "--checkpoint");
    const int subset = static_cast<int>(a.integer("--subset", 0, 0, INT_MAX));
    const int threads = static_cast<int>(a.integer("--threads", 0, 0, INT_MAX));
    // An ONNX file is evaluated as imported, on the data of the recipe --data names.
    std::error_code ec;
    const bool onnxFile = fs::is_regular_file(dir, ec);
    EvalResult result;
    std::vector<std::string> names;
    if (onnxFile) {
        const std::string recipe = recipeArgument(a.value("--data").value_or(""));
        if (recipe.empty())
            throw a.error(dir +
                          " is a file: evaluating an ONNX model or a checkpoint file needs --data RECIPE (a "
                          "recipe whose data and eval transforms to use)");
        if (a.has("--checkpoint"))
            throw a.error("--checkpoint applies to run folders, not to ONNX or checkpoint files");
        result = evaluateImported(dir, recipe, threads, subset);
        try {
            names = openDataset(loadRecipe(recipe).data, Split::Val)->classNames();
        } catch (const std::exception&) {
        }
        names.resize(std::max(names.size(), std::max(result.perClassIoU.size(), result.confusion.size())));
        for (size_t i = 0; i < names.size(); ++i)
            if (names[i].empty()) names[i] = std::to_string(i);
    } else {
        if (a.has("--data")) throw a.error("--data applies to ONNX files; a run folder has its own data");
        checkRunFolder(dir);
        checkCheckpoint(dir, which);
        result = evaluateRun(dir, which, threads, subset);
        names = classNamesOf(dir, std::max(result.perClassIoU.size(), result.confusion.size()));
    }
    const bool segmentation = !result.perClassIoU.empty();
    const bool detection = !result.perClassAP.empty();
    if (a.has("--detections")) {
        if (!detection) throw a.error("--detections applies to detectors; " + dir + " is not one");
        std::vector<int64_t> categoryIds;
        if (!onnxFile) categoryIds = categoryIdsOf(dir);
        writeFileAtomically(a.value("--detections").value(), cocoResultsJson(result.detections, categoryIds));
    }

    // Class-wise accuracy is the confusion matrix's diagonal over its row sums, in percent like top1 (NaN for
    // absent classes).
    std::vector<double> accuracy;
    std::vector<int64_t> support;
    for (size_t k = 0; k < result.confusion.size(); ++k) {
        int64_t total = 0;
        for (auto n : result.confusion[k])
            total += n;
        const int64_t hit = k < result.confusion[k].size() ? result.confusion[k][k] : 0;
        support.push_back(total);
        accuracy.push_back(total > 0 ? 100.0 * static_cast<double>(hit) / static_cast<double>(total)
                                     : std::nan(""));
    }

    if (a.has("--json")) {
        Json j;
        j[!onnxFile ? "run" : fs::path(dir).extension() == ".pt" ? "checkpoint" : "onnx"] = dir;
        if (!onnxFile) j["checkpoint"] = checkpointName(which);
        j["samples"] = result.samples;
        j["metrics"] = Json::object();
        for (const auto& [name, value] : result.metrics)
            j["metrics"][name] = value;  // NaN becomes null
        j["class_names"] = names;
        if (segmentation) j["per_class_iou"] = result.perClassIoU;
        if (detection) {
            j["per_class_ap"] = Json::array();
            for (double ap : result.perClassAP)
                j["per_class_ap"].push_back(ap < 0 ? Json() : Json(ap));  // null: no objects of the class
        }
        if (!result.confusion.empty()) {
            if (!segmentation) j["class_accuracy"] = accuracy;
            j["confusion"] = result.confusion;
        }
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }

    if (onnxFile)
        std::printf("%s %s, %s\n", fs::path(dir).extension() == ".pt" ? "checkpoint" : "imported",
                    dir.c_str(), plural(result.samples, "sample").c_str());
    else
        std::printf("run %s, %s checkpoint, %s\n", dir.c_str(), checkpointName(which),
                    plural(result.samples, "sample").c_str());
    for (const auto& [name, value] : result.metrics)
        std::printf("%-6s %s\n", name.c_str(), formatValue(value).c_str());
    size_t nameWidth = 0;
    for (const auto& n : names)
        nameWidth = std::max(nameWidth, n.size());
    if (detection) {
        std::printf("\nper-class AP@[.5:.95]:\n");
        for (size_t k = 0; k < result.perClassAP.size(); ++k) {
            const double ap = result.perClassAP[k];
            std::printf("  %3zu %-*s  %8s\n", k, static_cast<int>(nameWidth),
                        k < names.size() ? names[k].c_str() : "",
                        ap < 0 ? "absent" : formatValue(ap).c_str());
        }
    } else if (segmentation) {
        std::printf("\nper-class IoU:\n");
        for (size_t k = 0; k < result.perClassIoU.size(); ++k) {
            const double iou = result.perClassIoU[k];
            std::printf("  %3zu %-*s  %8s\n", k, static_cast<int>(nameWidth), names[k].c_str(),
                        std::isnan(iou) ? "absent" : formatValue(iou).c_str());
        }
    } else if (!accuracy.empty()) {
        std::printf("\nper-class accuracy:\n");
        for (size_t k = 0; k < accuracy.size(); ++k)
            std::printf("  %3zu %-*s  %8s  (%lld samples)\n", k, static_cast<int>(nameWidth),
                        names[k].c_str(), std::isnan(accuracy[k]) ? "n/a" : formatValue(accuracy[k]).c_str(),
                        static_cast<long long>(support[k]));
    }
    return 0;
}

int runGenerate(const std::vector<std::string>& args) {
    Arguments a("generate", args, {"--initial", "--json"}, {"--out", "--per-class", "--seed", "--threads"});
    const std::string dir = a.positionals({"DIR"})[0];
    const std::string out = a.required("--out", "FILE.png");
    const int perClass = static_cast<int>(a.integer("--per-class", 8, 1, 256));
    const auto seed = static_cast<uint64_t>(a.integer("--seed", 1, 0));
    checkRunFolder(dir);
    setThreadCount(static_cast<int>(a.integer("--threads", 0, 0, 1024)));
    const GeneratedImages g = generateImages(dir, perClass, seed, a.has("--initial"));
    writeGeneratedGrid(g, out);
    if (a.has("--json")) {
        Json j;
        j["images"] = g.samples.size();
        j["teacher_agreement"] = g.teacherAgreement;
        j["student_agreement"] = g.studentAgreement;
        j["mean_gap"] = g.meanGap;
        j["log_var_gap"] = g.logVarGap;
        j["layers"] = Json::array();
        for (const auto& l : g.layers)
            j["layers"].push_back({{"layer", l.layer}, {"mean_gap", l.mean}, {"log_var_gap", l.logVar}});
        j["png"] = out;
        std::printf("%s\n", j.dump(2).c_str());
        return 0;
    }
    std::printf("%s generator of %s: %zu images (%d per class, seed %llu)\n",
                a.has("--initial") ? "untrained" : "trained", dir.c_str(), g.samples.size(), perClass,
                static_cast<unsigned long long>(seed));
    std::printf("the teacher sees the class asked for in %.1f %%; the student agrees with it on %.1f %%\n",
                100.0 * g.teacherAgreement, 100.0 * g.studentAgreement);
    std::printf("\nbatch statistics against the teacher's running ones (0 = as in its training data)\n");
    std::printf("%-28s %10s %12s\n", "batch norm", "mean gap", "log-var gap");
    for (const auto& l : g.layers)
        std::printf("%-28s %10.3f %12.3f\n", l.layer.c_str(), l.mean, l.logVar);
    std::printf("%-28s %10.3f %12.3f\n", "mean", g.meanGap, g.logVarGap);
    std::string rows;
    for (const auto& name : g.classNames)
        rows += (rows.empty() ? "" : ", ") + name;
    std::printf("\nwrote %s (a row per class: %s)\n", out.c_str(), rows.c_str());
    return 0;
}

int runDiagnostics(const std::vector<std::string>& args) {
    Arguments a("diagnostics", args, {"--json"}, {"--target"});
    const std::string dir = a.positionals({"DIR"})[0];
    checkRunFolder(dir);
    DiagnosticsSpec spec = loadRecipe((fs::path(dir) / "recipe.yaml").string()).diagnostics;
    if (a.has("--target")) {
        spec.targetShare = a.number("--target", spec.targetShare);
        if (!(spec.targetShare > 0.0 && spec.targetShare < 1.0))
            throw a.error("--target expects a share between 0 and 1 (0.5 = 50 %), got " +
                          a.value("--target").value_or(""));
    }
    const std::string path = RunPaths{dir}.diagnostics();
    const auto samples = readBalance(path);
    const auto baseline = readBaselineRecords(path);
    auto printBaseline = [&] {
        if (baseline.empty()) return;
        std::printf("%sagainst the student alone (%s)\n", samples.empty() ? "" : "\n",
                    metricDisplayName(baseline.front().metric).c_str());
        for (const auto& b : baseline)
            std::printf("epoch %-3d %8.2f %8.2f  %+7.2f%s\n", b.epoch, b.value, b.baseline,
                        b.value - b.baseline, b.value < b.baseline ? "  below" : "");
    };
    if (samples.empty() && baseline.empty())
        throw Error(path + ": no term-balance samples (the run has fewer than two loss terms, " +
                    (spec.every > 0 ? "or has not reached its first step"
                                    : "or its recipe turns them off with diagnostics.every: 0") +
                    ")");
    nlohmann::json epochs = nlohmann::json::array();
    for (const auto& b : baseline)
        epochs.push_back({{"epoch", b.epoch},
                          {"metric", b.metric},
                          {"value", b.value},
                          {"baseline", b.baseline},
                          {"runs", b.runs}});
    if (samples.empty()) {
        if (a.has("--json"))
            std::printf("%s\n", nlohmann::json({{"baseline", epochs}}).dump(2).c_str());
        else
            printBaseline();
        return 0;
    }
    const BalanceSample& last = samples.back();
    const auto adjust = termsToAdjust(last, spec);
    auto flagName = [](BalanceFlag f) {
        return f == BalanceFlag::Dominant ? "dominant" : f == BalanceFlag::Negligible ? "negligible" : "";
    };
    if (a.has("--json")) {
        nlohmann::json terms = nlohmann::json::array();
        for (size_t i = 0; i < last.terms.size(); ++i) {
            const TermBalance& t = last.terms[i];
            nlohmann::json j = {{"label", t.label},
                                {"weight", t.weight},
                                {"loss", t.loss},
                                {"grad_norm", t.gradNorm},
                                {"loss_share", t.lossShare},
                                {"grad_share", t.gradShare},
                                {"flag", flagName(balanceFlag(last, i, spec))}};
            const auto w = suggestedWeight(last, i, spec.targetShare);
            if (w && std::find(adjust.begin(), adjust.end(), i) != adjust.end()) j["suggested_weight"] = *w;
            terms.push_back(j);
        }
        std::printf("%s\n", nlohmann::json({{"baseline", epochs},
                                            {"step", last.step},
                                            {"epoch", last.epoch},
                                            {"samples", samples.size()},
                                            {"target_share", spec.targetShare},
                                            {"terms", terms}})
                                .dump(2)
                                .c_str());
        return 0;
    }
    std::printf("term balance at step %lld (epoch %d), %zu sample%s\n\n", static_cast<long long>(last.step),
                last.epoch, samples.size(), samples.size() == 1 ? "" : "s");
    size_t width = 4;
    for (const auto& t : last.terms)
        width = std::max(width, t.label.size());
    std::printf("%-*s %10s %10s %10s  %s\n", static_cast<int>(width), "term", "weight", "loss", "gradient",
                "");
    for (size_t i = 0; i < last.terms.size(); ++i) {
        const TermBalance& t = last.terms[i];
        std::string note;
        const BalanceFlag flag = balanceFlag(last, i, spec);
        if (flag == BalanceFlag::Dominant) note = "drowns the others";
        if (flag == BalanceFlag::Negligible) note = "hardly counts";
        const auto w = suggestedWeight(last, i, spec.targetShare);
        if (w && std::find(adjust.begin(), adjust.end(), i) != adjust.end()) {
            char buf[96];
            std::snprintf(buf, sizeof buf, "; weight %.3g gives it %.0f %%", *w, 100.0 * spec.targetShare);
            note += buf;
        }
        std::printf("%-*s %10.4g %9.1f%% %9.1f%%  %s\n", static_cast<int>(width), t.label.c_str(), t.weight,
                    100.0 * t.lossShare, 100.0 * t.gradShare, note.c_str());
    }
    // Over the run: each term's mean and range of gradient share, and in how many samples it was flagged.
    std::printf("\nover the run (gradient share: mean, min-max, samples flagged)\n");
    for (size_t i = 0; i < last.terms.size(); ++i) {
        const std::string& label = last.terms[i].label;
        double sum = 0, lo = 1, hi = 0;
        int n = 0, flagged = 0;
        for (const auto& s : samples)
            for (size_t k = 0; k < s.terms.size(); ++k)
                if (s.terms[k].label == label) {
                    const double g = s.terms[k].gradShare;
                    sum += g;
                    lo = std::min(lo, g);
                    hi = std::max(hi, g);
                    ++n;
                    flagged += balanceFlag(s, k, spec) != BalanceFlag::None;
                }
        std::printf("%-*s %9.1f%%  %5.1f-%.1f%%  %d/%d\n", static_cast<int>(width), label.c_str(),
                    100.0 * sum / std::max(1, n), 100.0 * lo, 100.0 * hi, flagged, n);
    }
    printBaseline();
    return 0;
}

int runInspect(const std::vector<std::string>& args) {
    Arguments a("inspect", args, {},
                {"--tap", "--model", "--sample", "--split", "--checkpoint", "--tau", "--out"});
    InspectRequest request;
    request.runDir = a.positionals({"DIR"})[0];
    request.tap = a.required("--tap", "NAME");
    const std::string prefix = a.required("--out", "PREFIX");
    const std::string model = a.choice("--model", "student", {"student", "teacher"});
    request.teacher = model == "teacher";
    request.sampleIndex = a.integer("--sample", 0);
    request.split = splitFrom(a.choice("--split", "val", {"val", "train"}), "--split");
    request.checkpoint = checkpointFrom(a.choice("--checkpoint", "best", checkpointNames()), "--checkpoint");
    const double tau = a.number("--tau", 1.0);
    if (!(tau > 0)) throw a.error("--tau must be positive");
    checkRunFolder(request.runDir);
    checkCheckpoint(request.runDir, request.checkpoint);

    const InspectResult result = inspectRun(request);
    const fs::path parent = fs::path(prefix).parent_path();
    std::error_code ec;
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec) throw Error("cannot create folder " + parent.string() + ": " + ec.message());
    }
    const std::string png = prefix + ".png", csv = prefix + ".csv";
    writeChannelGrid(result.map, png);
    writeChannelCsv(channelStatistics(result.map, tau), csv);

    const FeatureMap& map = result.map;
    std::printf("tap %s of the %s (%s sample %lld): %s\n", request.tap.c_str(), model.c_str(),
                splitName(request.split), static_cast<long long>(request.sampleIndex),
                shapeText({map.channels, map.height, map.width}).c_str());
    if (result.sample.label >= 0 || result.predicted >= 0)
        std::printf("label %lld, predicted %lld\n", static_cast<long long>(result.sample.label),
                    static_cast<long long>(result.predicted));
    std::printf("wrote %s\nwrote %s\n", png.c_str(), csv.c_str());
    return 0;
}

int runDistributions(const std::vector<std::string>& args) {
    Arguments a("distributions", args, {"--json"},
                {"--teacher-tap", "--student-tap", "--tap", "--samples", "--bins", "--tau", "--split",
                 "--checkpoint", "--out"});
    DistributionRequest request;
    request.runDir = a.positionals({"DIR"})[0];
    checkRunFolder(request.runDir);
    const Recipe recipe = loadRecipe(RunPaths{request.runDir}.recipe());
    const std::string tap = a.value("--tap").value_or("");
    request.studentTap = a.value("--student-tap").value_or(tap);
    request.teacherTap = a.value("--teacher-tap").value_or(recipe.job == JobKind::Distill ? tap : "");
    if (request.studentTap.empty())
        throw a.error("--tap NAME (both models) or --student-tap NAME is required");
    request.samples = a.integer("--samples", 64, 1, 100000);
    request.bins = static_cast<int>(a.integer("--bins", 32, 2, 1000));
    request.tau = a.number("--tau", 1.0);
    if (!(request.tau > 0)) throw a.error("--tau must be positive");
    request.split = splitFrom(a.choice("--split", "val", {"val", "train"}), "--split");
    request.checkpoint = checkpointFrom(a.choice("--checkpoint", "best", checkpointNames()), "--checkpoint");
    checkCheckpoint(request.runDir, request.checkpoint);
    const ChannelDistributions d = channelDistributions(request);

    // Channels by KL (worst first) with a teacher, else in order.
    std::vector<size_t> order(d.channels.size());
    for (size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    if (d.withTeacher)
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t x, size_t y) { return d.channels[x].kl > d.channels[y].kl; });
    if (a.has("--out")) {
        std::ostringstream csv;
        auto num = [](double v) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.9g", v);
            return std::string(buf);
        };
        csv << "channel,kl,teacher_mean,teacher_std,teacher_q05,teacher_q25,teacher_q50,teacher_q75,teacher_"
               "q95,"
               "student_mean,student_std,student_q05,student_q25,student_q50,student_q75,student_q95\n";
        for (const auto& c : d.channels) {
            auto teacher = [&](double v) { return d.withTeacher ? num(v) : std::string(); };
            csv << c.channel << ',' << teacher(c.kl) << ',' << teacher(c.teacherMean) << ','
                << teacher(c.teacherStd);
            for (double q : c.teacherQuantiles)
                csv << ',' << teacher(q);
            csv << ',' << num(c.studentMean) << ',' << num(c.studentStd);
            for (double q : c.studentQuantiles)
                csv << ',' << num(q);
            csv << '\n';
        }
        writeFileAtomically(a.value("--out").value(), csv.str());
    }
    if (a.has("--json")) {
        nlohmann::json channels = nlohmann::json::array();
        for (const auto& c : d.channels) {
            nlohmann::json j = {{"channel", c.channel},
                                {"lo", c.lo},
                                {"hi", c.hi},
                                {"student_histogram", c.studentHistogram},
                                {"student_mean", c.studentMean},
                                {"student_std", c.studentStd},
                                {"student_quantiles", c.studentQuantiles}};
            if (d.withTeacher) {
                j["kl"] = c.kl;
                j["teacher_histogram"] = c.teacherHistogram;
                j["teacher_mean"] = c.teacherMean;
                j["teacher_std"] = c.teacherStd;
                j["teacher_quantiles"] = c.teacherQuantiles;
            }
            channels.push_back(j);
        }
        std::printf("%s\n", nlohmann::json({{"teacher_tap", d.teacherTap},
                                            {"student_tap", d.studentTap},
                                            {"samples", d.samples},
                                            {"tau", d.tau},
                                            {"channels", channels}})
                                .dump(2)
                                .c_str());
        return 0;
    }
    std::printf("%lld channel%s of %s%s%s over %lld %s samples (%lldx%lld)%s\n",
                static_cast<long long>(d.channels.size()), d.channels.size() == 1 ? "" : "s",
                d.withTeacher ? ("teacher " + d.teacherTap + " and student ").c_str() : "student ",
                d.studentTap.c_str(), "", static_cast<long long>(d.samples), splitName(request.split),
                static_cast<long long>(d.height), static_cast<long long>(d.width),
                d.withTeacher ? ", worst KL first" : "");
    std::printf("%7s %9s %21s %21s\n", "channel", d.withTeacher ? "KL" : "",
                d.withTeacher ? "teacher mean±std" : "", "student mean±std");
    const size_t shown = std::min<size_t>(order.size(), 16);
    for (size_t k = 0; k < shown; ++k) {
        const auto& c = d.channels[order[k]];
        char teacherText[64] = "", klText[32] = "";
        if (d.withTeacher) {
            std::snprintf(teacherText, sizeof teacherText, "%9.3f ± %-9.3f", c.teacherMean, c.teacherStd);
            std::snprintf(klText, sizeof klText, "%9.4f", c.kl);
        }
        std::printf("%7lld %9s %21s %9.3f ± %-9.3f\n", static_cast<long long>(c.channel), klText, teacherText,
                    c.studentMean, c.studentStd);
    }
    if (shown < order.size())
        std::printf("… %zu more (--out FILE.csv or --json for all)\n", order.size() - shown);
    if (a.has("--out")) std::printf("wrote %s\n", a.value("--out").value().c_str());
    return 0;
}

}  // namespace distillery::cli
