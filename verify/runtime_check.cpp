// Verification of exported ONNX files in real runtimes. onnxruntime runs in a Node.js child process
// (scripts/ort/run.js with onnxruntime-node) that reads the preprocessed inputs from a temporary file and
// writes the outputs to another; OpenCV DNN runs in process. Both are compared with the engine on the same
// float inputs.

#include "verify/runtime_check.h"

#include <fcntl.h>
#include <onnx/onnx_pb.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <sstream>

#include "core/detection.h"
#include "core/imaging.h"
#include "core/install_paths.h"
#include "core/internal/checkpoint.h"
#include "core/internal/evaluation.h"
#include "core/internal/loader.h"
#include "core/internal/onnx_import.h"
#include "core/internal/quant_internal.h"

extern char** environ;

namespace distillery {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const char* const kOrt = "onnxruntime";
const char* const kOpenCv = "opencv-dnn";
const char* const kEngineFp32 = "engine fp32";
const char* const kEngineInt8 = "engine int8";
const char* const kEngineSimulated = "engine simulated int8";

std::string firstLineOf(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    const size_t end = text.find_first_of("\r\n", begin);
    return text.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

std::string lastLineOf(const std::string& text) {
    size_t end = text.find_last_not_of(" \t\r\n");
    if (end == std::string::npos) return {};
    const size_t begin = text.find_last_of("\r\n", end);
    return text.substr(begin == std::string::npos ? 0 : begin + 1,
                       end + 1 - (begin == std::string::npos ? 0 : begin + 1));
}

std::string formatNumber(double value, const char* fmt = "%.3g") {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, value);
    return buf;
}

// ---- the file ---------------------------------------------------------------------------------------------

struct OnnxInfo {
    bool int8 = false;
    int64_t channels = 0, height = 0, width = 0;
};

OnnxInfo readOnnxInfo(const std::string& path) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw Error("ONNX file " + path + " not found");
    std::ifstream in(path, std::ios::binary);
    onnx::ModelProto model;
    if (!in || !model.ParseFromIstream(&in) || !model.has_graph())
        throw Error(path + " is not an ONNX file (cannot parse it as an ONNX model)");
    OnnxInfo info;
    for (const auto& node : model.graph().node())
        if (node.op_type() == "QuantizeLinear") info.int8 = true;
    if (model.graph().input_size() < 1) throw Error(path + " has no graph input");
    const auto& shape = model.graph().input(0).type().tensor_type().shape();
    if (shape.dim_size() != 4)
        throw Error(path + ": expected one NCHW input, the input has " + std::to_string(shape.dim_size()) +
                    " dimensions");
    auto dim = [&](int k) {
        if (!shape.dim(k).has_dim_value())
            throw Error(path + ": input dimension " + std::to_string(k) + " is not a fixed size");
        return shape.dim(k).dim_value();
    };
    info.channels = dim(1);
    info.height = dim(2);
    info.width = dim(3);
    return info;
}

// ---- the onnxruntime runner -----------------------------------------------------------------------------

class TempDir {
public:
    TempDir() {
        static std::atomic<int> counter{0};
        mPath = fs::temp_directory_path() /
                ("distillery-ort-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        fs::remove_all(mPath);
        fs::create_directories(mPath);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(mPath, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    fs::path file(const std::string& name) const { return mPath / name; }

private:
    fs::path mPath;
};

std::string readText(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/** Runs `node run.js ARGS...`; returns its stdout's last line parsed as JSON. Throws Error on failure. */
Json runNode(const std::vector<std::string>& args, const TempDir& tmp) {
    const std::string dir = ortRunnerDir();
    const fs::path script = fs::path(dir) / "run.js";
    std::error_code ec;
    if (!fs::is_regular_file(script, ec))
        throw Failure(
            "the onnxruntime runner " + script.string() +
            " is missing; reinstall Distillery or set DISTILLERY_ORT_DIR to its scripts/ort folder");
    if (!fs::is_regular_file(fs::path(dir) / "node_modules" / "onnxruntime-node" / "package.json", ec))
        throw Failure("onnxruntime-node is not installed in " + dir +
                      "; run scripts/setup.sh (it runs npm install there)");

    const char* nodeEnv = std::getenv("DISTILLERY_NODE");
    const std::string node = nodeEnv && *nodeEnv ? nodeEnv : "node";
    std::vector<std::string> argv{node, script.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> cargv;
    for (auto& a : argv)
        cargv.push_back(a.data());
    cargv.push_back(nullptr);

    const std::string outPath = tmp.file("node.out").string(), errPath = tmp.file("node.err").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, node.c_str(), &actions, nullptr, cargv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc == ENOENT)
        throw Failure("Node.js ('" + node + "') is not installed or not on PATH; run scripts/setup.sh");
    if (rc != 0) throw Failure("cannot start Node.js ('" + node + "'): " + std::strerror(rc));
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) throw Failure(std::string("waiting for Node.js failed: ") + std::strerror(errno));
    }
    const std::string out = readText(outPath), err = readText(errPath);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::string why = lastLineOf(err);
        if (why.empty())
            why = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                      : "exit status " + std::to_string(WEXITSTATUS(status));
        throw Failure("onnxruntime (node " + script.string() + ") failed: " + why);
    }
    try {
        return Json::parse(lastLineOf(out));
    } catch (const nlohmann::json::exception&) {
        throw Failure("onnxruntime runner " + script.string() + " printed no result (stdout: '" +
                      firstLineOf(out) + "')");
    }
}

// ---- comparisons ------------------------------------------------------------------------------------------

/** The same decoded boxes: equal classes, coordinates within 0.01 pixel, scores within 1e-3, in any order. */
bool sameDetections(std::vector<Detection> a, std::vector<Detection> b) {
    if (a.size() != b.size()) return false;
    auto key = [](const Detection& d) { return std::make_tuple(d.label, d.x1, d.y1, d.x2, d.y2); };
    auto order = [&](const Detection& x, const Detection& y) { return key(x) < key(y); };
    std::sort(a.begin(), a.end(), order);
    std::sort(b.begin(), b.end(), order);
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].label != b[i].label || std::abs(a[i].x1 - b[i].x1) > 0.01f ||
            std::abs(a[i].y1 - b[i].y1) > 0.01f || std::abs(a[i].x2 - b[i].x2) > 0.01f ||
            std::abs(a[i].y2 - b[i].y2) > 0.01f || std::abs(a[i].score - b[i].score) > 1e-3f)
            return false;
    return true;
}

struct Agreement {
    Task task = Task::Classification;
    int64_t classes = 0;
    int imageH = 0, imageW = 0;
    double maxAbs = 0.0, sumAbs = 0.0;
    int64_t values = 0, agree = 0, predictions = 0, images = 0, sameImages = 0;

    Agreement() = default;
    Agreement(Task t, int64_t k, int h, int w) : task(t), classes(k), imageH(h), imageW(w) {}

    void add(const torch::Tensor& a, const torch::Tensor& b) {
        auto d = (a - b).abs();
        const double m = d.max().item<double>();
        maxAbs = std::isfinite(m) ? std::max(maxAbs, m) : INFINITY;
        sumAbs += d.sum().item<double>();
        values += d.numel();
        // A detector's decision per map cell is its strongest class; its boxes are compared decoded.
        const bool detection = task == Task::Detection;
        auto pa = detection ? a.narrow(1, 0, classes).argmax(1) : a.argmax(1);
        auto pb = detection ? b.narrow(1, 0, classes).argmax(1) : b.argmax(1);
        agree += (pa == pb).sum().item<int64_t>();
        predictions += pa.numel();
        if (detection) {
            auto da = decodeBatch(a, classes, imageH, imageW), db = decodeBatch(b, classes, imageH, imageW);
            for (size_t i = 0; i < da.size(); ++i)
                sameImages += sameDetections(da[i], db[i]) ? 1 : 0;
            images += static_cast<int64_t>(da.size());
        }
    }

    RuntimeComparison result(const std::string& runtime, const std::string& version,
                             const std::string& reference) const {
        RuntimeComparison c;
        c.runtime = runtime;
        c.version = version;
        c.reference = reference;
        c.maxAbsDiff = maxAbs;
        c.meanAbsDiff = values ? sumAbs / static_cast<double>(values) : 0.0;
        c.agreement =
            predictions ? 100.0 * static_cast<double>(agree) / static_cast<double>(predictions) : 0.0;
        if (task == Task::Detection)
            c.sameBoxes =
                images ? 100.0 * static_cast<double>(sameImages) / static_cast<double>(images) : 0.0;
        return c;
    }
};

struct MetricCounter {
    int64_t classes = 0;
    Task task = Task::Classification;
    torch::Tensor confusion;
    CocoEvaluator coco;

    int imageH = 0, imageW = 0;  // detection: the input's size (boxes are clipped to it)

    MetricCounter(int64_t k, Task t, int h = 0, int w = 0)
        : classes(k),
          task(t),
          confusion(torch::zeros({k * k}, torch::kInt64)),
          coco(k),
          imageH(h),
          imageW(w) {}

    /** `boxes`: detection's ground truth of these samples. */
    void add(const torch::Tensor& logits, const torch::Tensor& targets,
             const std::vector<std::vector<Box>>& boxes = {}) {
        if (task == Task::Detection) {
            auto decoded = decodeBatch(logits, classes, imageH, imageW);
            for (size_t i = 0; i < decoded.size(); ++i)
                coco.add(boxes.at(i), decoded[i]);
            return;
        }
        auto valid = targets != 255;
        auto t = targets.masked_select(valid);
        auto p = logits.argmax(1).masked_select(valid);
        confusion += torch::bincount(t * classes + p, {}, classes * classes);
    }

    double value() const {
        if (task == Task::Detection) return std::max(0.0, coco.compute().ap);
        EvalResult r;
        fillMetrics(r, task, confusion.view({classes, classes}), 0.0, 0);
        return r.metrics.at(0).second;  // top1 or miou
    }
};

/** Every sample of the validation split `val`, preprocessed exactly as the engine's evaluation does: inputs
 *  (N, C, H, W) in float32, their targets and (detection) their boxes. `owner` names the data in the error
 *  for an empty split. */
struct ValidationData {
    torch::Tensor inputs, targets;
    std::vector<std::vector<Box>> boxes;
};
ValidationData validationTensors(const std::shared_ptr<Dataset>& val, const Recipe& recipe,
                                 const std::string& owner) {
    if (val->size() == 0) throw Error(owner + ": the validation split is empty");
    BatchLoader loader(val, recipe.evalTransforms, recipe.evalBatchSize, false, false, recipe.seed,
                       recipe.data.workers);
    loader.startEpoch(1);
    ValidationData out;
    std::vector<torch::Tensor> images, labels;
    Batch batch;
    while (loader.next(batch)) {
        images.push_back(batch.images);
        labels.push_back(batch.targets);
        out.boxes.insert(out.boxes.end(), batch.boxes.begin(), batch.boxes.end());
    }
    loader.stop();
    out.inputs = torch::cat(images).to(torch::kFloat32).contiguous();
    out.targets = torch::cat(labels).contiguous();
    return out;
}

}  // namespace

double ExportCheck::metricOf(const std::string& model) const {
    for (const auto& [name, value] : metrics)
        if (name == model) return value;
    return -1.0;
}

ExportCheck verifyExport(const std::string& runDir, const std::string& onnxFile, int subset, int threads) {
    ExportCheck check;
    check.runDir = runDir;
    check.onnxFile = onnxFile;
    const OnnxInfo info = readOnnxInfo(onnxFile);
    check.format = info.int8 ? "onnx-int8" : "onnx";
    applyThreadCount(threads);

    Recipe recipe = loadRunRecipe(runDir);
    if (subset > 0) recipe.data.subset = subset;
    torch::NoGradGuard noGrad;
    CheckpointMeta meta;
    GraphNet net = loadAnyModel(resolveCheckpoint(runDir), &meta, torch::kCPU);
    net->eval();
    if (!net->isFolded()) net->foldBatchNorm();
    if (info.int8 && !net->isQuantized())
        throw Error(onnxFile + " is an int8 (QDQ) file but " + runDir +
                    " is not a quantized run; verify it against the quantized run it was exported from");
    check.metric = mainMetric(meta.task);
    if (info.channels != meta.inChannels)
        throw Error(onnxFile + " takes " + std::to_string(info.channels) +
                    "-channel inputs but the model of " + runDir + " takes " +
                    std::to_string(meta.inChannels));

    const ValidationData data =
        validationTensors(openDataset(recipe.data, Split::Val), recipe, "run " + runDir);
    const torch::Tensor& inputs = data.inputs;
    const torch::Tensor& targets = data.targets;
    const int64_t n = inputs.size(0);
    if (inputs.size(1) != info.channels || inputs.size(2) != info.height || inputs.size(3) != info.width)
        throw Error(onnxFile + " expects " + std::to_string(info.channels) + "x" +
                    std::to_string(info.height) + "x" + std::to_string(info.width) +
                    " inputs but the validation data of " + runDir + " are " +
                    std::to_string(inputs.size(1)) + "x" + std::to_string(inputs.size(2)) + "x" +
                    std::to_string(inputs.size(3)));
    check.samples = n;

    // onnxruntime, in one child process over every input.
    TempDir tmp;
    const fs::path inFile = tmp.file("inputs.bin"), outFile = tmp.file("outputs.bin");
    {
        std::ofstream out(inFile, std::ios::binary);
        out.write(reinterpret_cast<const char*>(inputs.data_ptr<float>()),
                  static_cast<std::streamsize>(inputs.numel() * sizeof(float)));
        if (!out) throw Failure("cannot write " + inFile.string() + " (is the temporary folder full?)");
    }
    const Json ort = runNode({"--threads", std::to_string(std::max(0, threads)), onnxFile, inFile.string(),
                              std::to_string(n), std::to_string(info.channels), std::to_string(info.height),
                              std::to_string(info.width), outFile.string()},
                             tmp);
    const std::string ortVersion = ort.value("onnxruntime", std::string());
    std::ifstream ortOut(outFile, std::ios::binary);

    // OpenCV DNN reads fp32 files (its QDQ support is partial, so int8 files are left to onnxruntime).
    cv::dnn::Net cvNet;
    bool haveCv = false;
    if (!info.int8) {
        try {
            cvNet = cv::dnn::readNetFromONNX(onnxFile);
            cvNet.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
            cvNet.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
            haveCv = true;
        } catch (const cv::Exception& e) {
            // OpenCV's importer covers fewer ops than the ONNX standard: a file it cannot read is its limit,
            // not a wrong file (onnx::checker and onnxruntime judge that).
            check.notes.push_back(std::string(kOpenCv) + " cannot read " + onnxFile + ": " +
                                  firstLineOf(e.what()));
        }
        if (threads > 0) cv::setNumThreads(threads);
    } else {
        check.notes.push_back(std::string(kOpenCv) + ": not run on QDQ int8 files");
    }

    // The engine's models.
    std::unique_ptr<Int8Net> int8Net;
    if (info.int8) {
        net->setQuantActive(true);
        try {
            int8Net = std::make_unique<Int8Net>(net);
        } catch (const std::exception& e) {
            check.notes.push_back(std::string(kEngineInt8) + " unavailable (" + firstLineOf(e.what()) +
                                  "); onnxruntime is held to the simulated model instead");
        }
    } else if (net->isQuantized()) {
        net->setQuantActive(false);  // an fp32 file of a quantized run holds its float weights
    }

    const int64_t k = meta.numClasses;
    const Task task = meta.task;
    const int h = static_cast<int>(info.height), w = static_cast<int>(info.width);
    MetricCounter engineMetric(k, task, h, w), simMetric(k, task, h, w), ortMetric(k, task, h, w),
        cvMetric(k, task, h, w);
    const Agreement blank(task, k, h, w);
    Agreement ortVsEngine = blank, ortVsSim = blank, cvVsEngine = blank;
    const int64_t chunk = std::max(1, recipe.evalBatchSize);
    int64_t perSample = -1;
    for (int64_t first = 0; first < n; first += chunk) {
        const int64_t count = std::min(chunk, n - first);
        const auto x = inputs.narrow(0, first, count).contiguous();
        const auto t = targets.narrow(0, first, count);
        std::vector<std::vector<Box>> boxes;
        if (task == Task::Detection)
            boxes.assign(data.boxes.begin() + first, data.boxes.begin() + first + count);

        torch::Tensor reference, simulated;
        if (info.int8) {
            simulated = net->forward(x);
            simMetric.add(simulated, t, boxes);
            if (int8Net) reference = int8Net->forward(x).to(torch::kFloat32);
        } else {
            reference = net->forward(x);
        }
        const torch::Tensor& shapeOf = reference.defined() ? reference : simulated;
        if (perSample < 0) {
            perSample = shapeOf.numel() / count;
            std::error_code ec;
            const auto bytes = static_cast<int64_t>(fs::file_size(outFile, ec));
            if (ec || bytes != n * perSample * static_cast<int64_t>(sizeof(float)))
                throw Failure("onnxruntime's outputs for " + onnxFile + " hold " +
                              std::to_string(ec ? 0 : bytes) + " bytes, expected " +
                              std::to_string(n * perSample * 4) + " (" + std::to_string(perSample) +
                              " floats per sample as the engine gives)");
        }
        auto y = torch::empty(shapeOf.sizes(), torch::kFloat32);
        ortOut.read(reinterpret_cast<char*>(y.data_ptr<float>()),
                    static_cast<std::streamsize>(y.numel() * sizeof(float)));
        if (!ortOut) throw Failure("cannot read onnxruntime's outputs (" + outFile.string() + ")");
        ortMetric.add(y, t, boxes);
        if (reference.defined()) {
            engineMetric.add(reference, t, boxes);
            ortVsEngine.add(y, reference);
        }
        if (info.int8) ortVsSim.add(y, simulated);

        if (haveCv) {
            try {
                const int dims[4] = {static_cast<int>(count), static_cast<int>(info.channels),
                                     static_cast<int>(info.height), static_cast<int>(info.width)};
                cv::Mat blob(4, dims, CV_32F, const_cast<float*>(x.data_ptr<float>()));
                cvNet.setInput(blob);
                cv::Mat out = cvNet.forward();
                if (!out.isContinuous()) out = out.clone();
                if (static_cast<int64_t>(out.total()) != reference.numel())
                    throw Error("its output has " + std::to_string(out.total()) + " values, expected " +
                                std::to_string(reference.numel()));
                auto z = torch::from_blob(out.ptr<float>(), reference.sizes(), torch::kFloat32).clone();
                cvMetric.add(z, t, boxes);
                cvVsEngine.add(z, reference);
            } catch (const cv::Exception& e) {
                check.notes.push_back(std::string(kOpenCv) + " cannot run " + onnxFile + ": " +
                                      firstLineOf(e.what()));
                haveCv = false;
                cvVsEngine = blank;
            } catch (const std::exception& e) {
                check.failures.push_back(std::string(kOpenCv) + " failed on " + onnxFile + ": " +
                                         firstLineOf(e.what()));
                haveCv = false;
                cvVsEngine = blank;
            }
        }
    }

    if (info.int8) {
        if (int8Net) check.metrics.emplace_back(kEngineInt8, engineMetric.value());
        check.metrics.emplace_back(kEngineSimulated, simMetric.value());
        check.metrics.emplace_back(kOrt, ortMetric.value());
        if (int8Net) check.comparisons.push_back(ortVsEngine.result(kOrt, ortVersion, kEngineInt8));
        check.comparisons.push_back(ortVsSim.result(kOrt, ortVersion, kEngineSimulated));
        // Two int8 runtimes round a few values differently, so their decoded scores differ in the third
        // decimal: identical boxes are an fp32 criterion; an int8 file answers for its AP.
        for (auto& c : check.comparisons)
            c.sameBoxes = -1.0;

        const RuntimeComparison& target = check.comparisons.front();
        // A detector's cells mostly hold background, where the strongest class is a near-tie that one
        // quantization step flips: its int8 file is held to the AP instead (issue 11).
        if (task != Task::Detection && target.agreement < kExportInt8MinAgreement)
            check.failures.push_back(
                std::string(kOrt) + " agrees with the " + target.reference + " model on " +
                formatNumber(target.agreement, "%.2f") +
                " % of predictions (target >= " + formatNumber(kExportInt8MinAgreement, "%.0f") + " %)");
        const double gap = std::abs(check.metricOf(kOrt) - check.metricOf(target.reference));
        if (gap > kExportInt8MaxMetricGap)
            check.failures.push_back(std::string(kOrt) + " " + check.metric + " is " +
                                     formatNumber(gap, "%.2f") + " points from the " + target.reference +
                                     " model's (target <= " + formatNumber(kExportInt8MaxMetricGap, "%.1f") +
                                     ")");
    } else {
        check.metrics.emplace_back(kEngineFp32, engineMetric.value());
        check.metrics.emplace_back(kOrt, ortMetric.value());
        check.comparisons.push_back(ortVsEngine.result(kOrt, ortVersion, kEngineFp32));
        if (haveCv) {
            check.metrics.emplace_back(kOpenCv, cvMetric.value());
            check.comparisons.push_back(cvVsEngine.result(kOpenCv, CV_VERSION, kEngineFp32));
        }
        for (const auto& c : check.comparisons) {
            if (!(c.maxAbsDiff <= kExportFp32MaxAbsDiff))
                check.failures.push_back(c.runtime + ": max |difference| " + formatNumber(c.maxAbsDiff) +
                                         " from the " + c.reference + " model exceeds " +
                                         formatNumber(kExportFp32MaxAbsDiff));
            // A detector's fp32 file must give the engine's boxes, decoded the same way (core/detection.h).
            if (c.sameBoxes >= 0 && c.sameBoxes < 100.0)
                check.failures.push_back(c.runtime + ": the decoded boxes of " +
                                         formatNumber(100.0 - c.sameBoxes, "%.2f") +
                                         " % of images differ from the " + c.reference + " model's");
        }
    }
    return check;
}

ExportCheck verifyImport(const std::string& onnxFile, const std::string& recipeFile, int subset,
                         int threads) {
    ExportCheck check;
    check.runDir = recipeFile;
    check.onnxFile = onnxFile;
    check.format = "onnx";
    applyThreadCount(threads);
    Recipe recipe = loadRecipe(recipeFile);
    if (subset > 0) recipe.data.subset = subset;
    torch::NoGradGuard noGrad;

    auto val = openDataset(recipe.data, Split::Val);
    const ValidationData data = validationTensors(val, recipe, recipeFile);
    const torch::Tensor& inputs = data.inputs;
    const torch::Tensor& targets = data.targets;
    const int64_t n = inputs.size(0), c = inputs.size(1), h = inputs.size(2), w = inputs.size(3);

    ImportedModel imported = importOnnx(onnxFile, c, h, w);
    const OnnxImportReport& report = imported.report;
    GraphNet net = imported.net;
    net->eval();
    check.metric = mainMetric(report.model.task);
    if (report.model.numClasses != val->numClasses())
        throw Error(onnxFile + ": the model outputs " + std::to_string(report.model.numClasses) +
                    " classes, the data of " + recipeFile + " has " + std::to_string(val->numClasses()));
    check.samples = n;
    for (const auto& note : report.notes)
        check.notes.push_back(note);

    // onnxruntime, fed the file's own layout.
    TempDir tmp;
    const fs::path inFile = tmp.file("inputs.bin"), outFile = tmp.file("outputs.bin");
    {
        const auto fed = report.channelsLastInput ? inputs.permute({0, 2, 3, 1}).contiguous() : inputs;
        std::ofstream out(inFile, std::ios::binary);
        out.write(reinterpret_cast<const char*>(fed.data_ptr<float>()),
                  static_cast<std::streamsize>(fed.numel() * sizeof(float)));
        if (!out) throw Failure("cannot write " + inFile.string() + " (is the temporary folder full?)");
    }
    const std::vector<int64_t> dims =
        report.channelsLastInput ? std::vector<int64_t>{h, w, c} : std::vector<int64_t>{c, h, w};
    const Json ort = runNode(
        {"--threads", std::to_string(std::max(0, threads)), onnxFile, inFile.string(), std::to_string(n),
         std::to_string(dims[0]), std::to_string(dims[1]), std::to_string(dims[2]), outFile.string()},
        tmp);
    const std::string ortVersion = ort.value("onnxruntime", std::string());
    int64_t filePerSample = 1;
    for (auto d : report.fileOutputShape)
        filePerSample *= d;
    std::error_code ec;
    const auto bytes = static_cast<int64_t>(fs::file_size(outFile, ec));
    if (ec || bytes != n * filePerSample * static_cast<int64_t>(sizeof(float)))
        throw Failure("onnxruntime's outputs for " + onnxFile + " hold " + std::to_string(ec ? 0 : bytes) +
                      " bytes, expected " + std::to_string(n * filePerSample * 4));
    std::ifstream ortOut(outFile, std::ios::binary);

    const int64_t k = report.model.numClasses;
    MetricCounter engineMetric(k, report.model.task), ortMetric(k, report.model.task);
    Agreement agreement;
    double lo = INFINITY, hi = -INFINITY;
    const int64_t chunk = std::max(1, recipe.evalBatchSize);
    for (int64_t first = 0; first < n; first += chunk) {
        const int64_t count = std::min(chunk, n - first);
        auto y = net->forward(inputs.narrow(0, first, count).contiguous());
        // Compare like with like: the file's dropped final (log-)softmax is applied to the engine's logits.
        if (report.droppedOutputOp == "Softmax") y = torch::softmax(y, 1);
        if (report.droppedOutputOp == "LogSoftmax") y = torch::log_softmax(y, 1);
        std::vector<int64_t> fileShape{count};
        fileShape.insert(fileShape.end(), report.fileOutputShape.begin(), report.fileOutputShape.end());
        auto z = torch::empty(fileShape, torch::kFloat32);
        ortOut.read(reinterpret_cast<char*>(z.data_ptr<float>()),
                    static_cast<std::streamsize>(z.numel() * 4));
        if (!ortOut) throw Failure("cannot read onnxruntime's outputs (" + outFile.string() + ")");
        if (report.upsampledOutput)  // the engine upsamples small maps to the input's size; do the same here
            z = torch::nn::functional::interpolate(z, torch::nn::functional::InterpolateFuncOptions()
                                                          .size(std::vector<int64_t>{y.size(2), y.size(3)})
                                                          .mode(torch::kBilinear)
                                                          .align_corners(false));
        const auto t = targets.narrow(0, first, count);
        engineMetric.add(y, t);
        ortMetric.add(z, t);
        agreement.add(z, y);
        lo = std::min(lo, z.min().item<double>());
        hi = std::max(hi, z.max().item<double>());
    }
    check.metrics.emplace_back("engine (imported)", engineMetric.value());
    check.metrics.emplace_back(kOrt, ortMetric.value());
    check.comparisons.push_back(agreement.result(kOrt, ortVersion, "engine (imported)"));
    const double range = std::max(hi - lo, 1e-12);
    const double relative = agreement.maxAbs / range;
    check.notes.push_back("onnxruntime output range " + formatNumber(lo) + " .. " + formatNumber(hi) +
                          "; max |difference| / range = " + formatNumber(relative));
    if (!(relative <= kImportMaxRelativeDiff))
        check.failures.push_back(
            "max |difference| " + formatNumber(agreement.maxAbs) + " is " + formatNumber(relative) +
            " of the output range (target <= " + formatNumber(kImportMaxRelativeDiff) + ")");
    return check;
}

double ortLatencyMs(const std::string& onnxFile, int batch, int iters, int threads) {
    if (batch < 1 || iters < 1) throw Error("ortLatencyMs: batch and iterations must be positive");
    const OnnxInfo info = readOnnxInfo(onnxFile);
    TempDir tmp;
    const Json result =
        runNode({"--bench", "--threads", std::to_string(std::max(0, threads)), onnxFile,
                 std::to_string(batch), std::to_string(info.channels), std::to_string(info.height),
                 std::to_string(info.width), std::to_string(iters)},
                tmp);
    if (!result.contains("median_ms") || !result["median_ms"].is_number())
        throw Failure("onnxruntime runner printed no median_ms for " + onnxFile);
    return result["median_ms"].get<double>();
}

void addVerificationToCard(const std::string& cardPath, const ExportCheck& check) {
    Json card;
    {
        std::ifstream in(cardPath);
        if (!in) throw Error("model card " + cardPath + " not found");
        try {
            card = Json::parse(in);
        } catch (const nlohmann::json::exception& e) {
            throw Error("model card " + cardPath + " is not valid JSON");
        }
    }
    Json metrics = Json::object();
    for (const auto& [name, value] : check.metrics)
        metrics[name] = value;
    Json comparisons = Json::array();
    for (const auto& c : check.comparisons)
        comparisons.push_back(
            {{"runtime", c.runtime},
             {"version", c.version},
             {"reference", c.reference},
             {"max_abs_diff", std::isfinite(c.maxAbsDiff) ? Json(c.maxAbsDiff) : Json("inf")},
             {"mean_abs_diff", c.meanAbsDiff},
             {"agreement_percent", c.agreement}});
    Json targets = check.format == "onnx-int8" ? Json{{"min_agreement_percent", kExportInt8MinAgreement},
                                                      {"max_metric_gap_points", kExportInt8MaxMetricGap}}
                                               : Json{{"max_abs_diff", kExportFp32MaxAbsDiff}};
    card["verification"] = {{"samples", check.samples},   {"split", "val"},
                            {"metric", check.metric},     {"metrics", metrics},
                            {"comparisons", comparisons}, {"targets", targets},
                            {"passed", check.passed()},   {"failures", check.failures},
                            {"notes", check.notes}};
    writeFileAtomically(cardPath, card.dump(2) + "\n");
}

}  // namespace distillery
