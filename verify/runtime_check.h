#pragma once
// The verification harness, a target of its own (distillery_verify) beside the engine library: it spawns
// Node.js for onnxruntime and links OpenCV DNN, neither of which the engine needs.
// Checks an exported ONNX file in real runtimes — onnxruntime (CPU, through Node.js and scripts/ort/run.js)
// and, for fp32 files, OpenCV DNN — against the engine on a run's validation split. Plain C++ (no torch,
// no Qt): the CLI and the GUI call these directly.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/quantize.h"

namespace distillery {

/** One runtime's outputs compared with one of the engine's models over the same inputs. */
struct RuntimeComparison {
    std::string runtime;       // onnxruntime, opencv-dnn
    std::string version;       // e.g. 1.20.1
    std::string reference;     // engine fp32, engine int8, engine simulated int8
    double maxAbsDiff = 0.0;   // largest |difference| over every output value
    double meanAbsDiff = 0.0;  // mean |difference|
    double agreement = 0.0;    // % of predictions (argmax per sample, or per pixel) that are equal
    /** Detection: % of images whose decoded boxes (top 100: class, box within 0.01 pixel, score within
     *  1e-3) are the same; -1 for other tasks. */
    double sameBoxes = -1.0;
};

struct ExportCheck {
    std::string runDir;
    std::string onnxFile;
    std::string format;  // onnx or onnx-int8 (a file with QuantizeLinear nodes)
    std::string metric;  // top1 or miou
    int64_t samples = 0;
    /** The metric (percent) of each model that ran: the engine's ("engine fp32", "engine int8",
     *  "engine simulated int8") and the runtimes' ("onnxruntime", "opencv-dnn"). */
    std::vector<std::pair<std::string, double>> metrics;
    std::vector<RuntimeComparison> comparisons;
    std::vector<std::string> notes;     // what was skipped and why
    std::vector<std::string> failures;  // targets missed; empty when every target is met
    bool passed() const { return failures.empty(); }
    double metricOf(const std::string& model) const;  // -1 when that model did not run
};

/** Targets: fp32 files match the engine's fp32 model to this max |logit difference| in every runtime; */
constexpr double kExportFp32MaxAbsDiff = 1e-3;
/** int8 files agree with the engine's int8 model on at least this % of predictions in onnxruntime (not for
 *  detectors, whose background cells' strongest class is a near-tie), */
constexpr double kExportInt8MinAgreement = 99.0;
/** and their metric is at most this many points from the engine int8 model's (detection: AP). */
constexpr double kExportInt8MaxMetricGap = 0.5;

/**
 * Runs the run's validation split (its first `subset` samples; 0 = all) through the exported file in
 * onnxruntime (and OpenCV DNN for fp32 files) and through the engine: the folded fp32 model for fp32 files,
 * the real int8 model (LibTorch kernels) and the simulated one for int8 files. Throws Error when the file
 * does not fit the run, or when Node.js / onnxruntime-node are missing (run scripts/setup.sh).
 */
ExportCheck verifyExport(const std::string& runDir, const std::string& onnxFile, int subset = 0,
                         int threads = 0);

/** Imported models match onnxruntime on the same file to this max |difference|, relative to the range of
 *  onnxruntime's outputs (max − min over the split). */
constexpr double kImportMaxRelativeDiff = 1e-4;

/**
 * Imports `onnxFile` for the data of `recipeFile` (its input size after the eval transforms) and runs the
 * validation split (its first `subset` samples; 0 = all) through both the imported model and the same file in
 * onnxruntime. `ExportCheck::runDir` holds the recipe; metrics "engine (imported)" and "onnxruntime".
 */
ExportCheck verifyImport(const std::string& onnxFile, const std::string& recipeFile, int subset = 0,
                         int threads = 0);

/** Median milliseconds per batch of `batch` random inputs over `iters` runs in onnxruntime (CPU) after a
 *  warm-up (the median, because machines shared with other work have slow outliers). */
double ortLatencyMs(const std::string& onnxFile, int batch, int iters, int threads = 0);

/** Adds (or replaces) the card's "verification" section. Throws Error naming the card. */
void addVerificationToCard(const std::string& cardPath, const ExportCheck& check);

}  // namespace distillery
