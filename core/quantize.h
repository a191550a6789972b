#pragma once
// Quantization of a trained student: post-training quantization (PTQ), the per-layer table used by mixed
// precision, the budget search, real int8 execution and ONNX export. Plain C++ (no torch): the CLI and the
// GUI call these directly. Quantization-aware training runs as an ordinary Job whose recipe has
// `quantize.enabled` (see qatRecipe).

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/recipe.h"
#include "core/types.h"

namespace distillery {

/** One quantizable layer (conv or linear) of a student. */
struct QuantLayer {
    std::string name;    // node name, e.g. "stage1.0.conv1" — what QuantSpec::layerBits uses
    std::string op;      // conv, linear
    int64_t params = 0;  // weights + bias after BatchNorm folding
    int64_t macs = 0;    // for one input at the data's size
    int weightBits = 8;
    int activationBits = 8;
    /** Measured sensitivity: bits → increase of the KL divergence between the fp32 and the quantized model's
     *  outputs (nats per sample, mean over calibration batches) when only this layer has that width. */
    std::map<int, double> sensitivity;
};

/** Size and bit operations of a layer table: size = Σ params·b_w/8 bytes, BOPs = Σ MACs·b_w·b_a. */
struct QuantCost {
    double sizeBytes = 0.0;
    double bops = 0.0;
};
QuantCost quantCost(const std::vector<QuantLayer>& layers);
/** The same layers at 32-bit weights and activations. */
QuantCost floatCost(const std::vector<QuantLayer>& layers);

/** A mixed-precision budget: kind "size" (bytes) or "bops". */
struct QuantBudget {
    std::string kind;
    double value = 0.0;
};
/** Parses "size=40KB", "size=0.05MB", "size=40000", "bops=2.5G", "bops=800M". Throws Error naming the text.
 */
QuantBudget parseBudget(const std::string& text);
std::string formatBudget(const QuantBudget& budget);

/**
 * Chooses each layer's weight width from `choices` (activations stay 8 bit) so that the cost fits the budget
 * while the summed sensitivity stays smallest (greedy: repeatedly lower the layer whose next step costs the
 * least sensitivity per saved bit, then raise layers back where budget is left, most sensitivity per added
 * bit first). Layers need sensitivity for every choice below 8. Throws Error when the
 * budget is below what the lowest widths reach (the message gives that minimum) or not positive.
 */
std::map<std::string, int> searchBitWidths(const std::vector<QuantLayer>& layers, const QuantBudget& budget,
                                           const std::vector<int>& choices = {8, 6, 4, 2});

/** Per-layer table of a run's student at the bits a QuantSpec gives (no sensitivity). Throws Error for
 *  layer names in spec.layerBits that the model does not have (the message lists the layers). */
std::vector<QuantLayer> quantLayers(const std::string& runDir, const QuantSpec& spec = {});

using ProgressFn = std::function<void(const std::string& message, double fraction)>;

/** Measures each layer's sensitivity at 6/4/2 bits on `spec.calibrationBatches` train batches. */
std::vector<QuantLayer> measureSensitivity(const std::string& runDir, const QuantSpec& spec, int threads = 0,
                                           const ProgressFn& progress = {});

struct QuantizeOptions {
    std::string runDir;  // trained fp32 student (run folder or checkpoint's run)
    std::string outDir;  // new run folder for the quantized student (must be empty or absent)
    QuantSpec spec;      // observer, calibration, bits; spec.budget → sensitivity + search first
    int threads = 0;
    int subset = 0;         // evaluate on the first N validation samples (0 = all)
    bool realInt8 = true;   // also run the model with LibTorch's int8 kernels
    int latencyBatch = 64;  // batch for the fp32 / int8 latency figures
};

/** One width of a vertical-layered (once-QAT) model, as its run's quantization.json reports it. */
struct VerticalWidth {
    int bits = 8;
    double simulatedMetric = 0.0;
    double int8Metric = -1.0;
    double int8Agreement = -1.0;
    QuantCost cost;
};

struct QuantizeResult {
    std::string outDir;
    std::string method;  // ptq, qat (mixed precision when the layers' widths differ)
    std::string source;  // the fp32 student run it came from
    std::string observer;
    std::string metric;  // top1 or miou
    double fp32Metric = 0.0;
    double simulatedMetric = 0.0;  // fake-quantized model in the engine
    double int8Metric = -1.0;      // LibTorch int8 kernels (-1 when not run)
    double int8Agreement = -1.0;   // % of validation predictions where int8 and simulated agree
    double fp32LatencyMs = 0.0;    // per batch of latencyBatch, engine fp32 (BN folded)
    double int8LatencyMs = -1.0;   // per batch, LibTorch int8
    std::vector<QuantLayer> layers;
    QuantCost cost;
    QuantCost fp32Cost;
    std::vector<VerticalWidth> vertical;  // once-QAT: every width the one model holds (top first)
};

/**
 * Post-training quantization: folds BatchNorm, quantizes weights per channel, calibrates activations on
 * train batches with the spec's observer, evaluates the simulated model (and the real int8 one), and writes
 * a run folder (recipe.yaml with the quantize section, checkpoints, summary.json, quantization.json) that
 * eval / inspect / export / the GUI read like any other run.
 */
QuantizeResult quantizeRun(const QuantizeOptions& options, const ProgressFn& progress = {});

/** Reads a quantized run's quantization.json (written by quantizeRun and at the end of a QAT job).
 *  Throws Error naming the file when it is absent or malformed. */
QuantizeResult readQuantReport(const std::string& runDir);
bool isQuantizedRun(const std::string& runDir);

/**
 * The recipe for quantization-aware training of `runDir`'s student: its own recipe with `quantize` enabled
 * from that run, the given teacher mode ("recipe" keeps the run's teacher and KD terms, "self" distils from
 * the student's own fp32 copy with the same terms on its taps, "none" trains on labels only), a small lr and
 * `epochs`. lr 0 means 1 % of the run's learning rate: the BN-folded network needs a small one. Run it with
 * a Job like any recipe.
 */
Recipe qatRecipe(const std::string& runDir, const QuantSpec& spec, const std::string& teacher, int epochs,
                 double lr);

/** Result of running a quantized run's student with LibTorch's int8 kernels. */
struct Int8Eval {
    EvalResult eval;
    double agreement = 0.0;  // % of predictions (samples or pixels) equal to the simulated model's
    double latencyMs = 0.0;  // per batch of `batch`
    double fp32LatencyMs = 0.0;
};
Int8Eval evaluateInt8(const std::string& runDir, int threads = 0, int subset = 0, int batch = 64);

/**
 * Width `bits` of a vertical-layered (once-QAT) run as a quantized run folder of its own at `outDir` (each
 * layer's weights are that width's codes times its step size), evaluated simulated and on the int8 kernels,
 * which eval, inspect, export and the workbench read like any run. Throws Error when the source is not
 * vertical-layered, does not hold `bits`, or `outDir` already holds a run.
 */
QuantizeResult extractVerticalWidth(const std::string& sourceRun, int bits, const std::string& outDir,
                                    int threads = 0);

// ---- export ----

/** The model card written beside an exported file: FILE with its extension replaced by .card.json. */
std::string modelCardPath(const std::string& onnxFile);

/** Writes an ONNX file (format "onnx" = fp32, "onnx-int8" = QDQ int8, opset 13) checked with the ONNX
 *  checker, and a model card beside it (FILE with extension .card.json). Returns the card's path. */
std::string exportOnnx(const std::string& runDir, const std::string& format, const std::string& outFile);

}  // namespace distillery
