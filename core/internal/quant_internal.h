#pragma once
// Tensor-level pieces of quantization shared by quantize.cpp, the int8 runtime, the exporter and the tests.

#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/internal/checkpoint.h"
#include "core/internal/graph_net.h"

namespace distillery {

/** Fake quantization with a straight-through gradient: s·(clamp(round(x/s)+z, qmin, qmax) − z). `scale` and
 *  `zeroPoint` broadcast against x (per tensor: [1]; per channel: [C,1,1,1] or [C,1]). With `lsqGradScale` >
 * 0 the gradient reaching `scale` is multiplied by it (LSQ's g = 1/sqrt(numel·qmax)). */
torch::Tensor fakeQuantize(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& zeroPoint,
                           double qmin, double qmax, double lsqGradScale = 0.0);

/** Calibrates every activation quantizer of a quantized net on the batches `next` yields (false = done).
 *  observer: minmax, percentile (upper `percentile` %, lower 100 − percentile %), mse. */
void calibrateActivations(GraphNet& net, const std::function<bool(torch::Tensor&)>& next,
                          const std::string& observer, double percentile);

/** Conv/linear name → weight bits: spec.weightBits everywhere, spec.layerBits on top. Throws Error
 *  "quantize.layer_bits: unknown layer '…' (quantizable layers: …)". */
std::map<std::string, int> resolveWeightBits(const GraphNet& net, const QuantSpec& spec);

/** Calibration input: the first `count` train batches through the eval transforms, shuffled with seed + 7. */
std::vector<torch::Tensor> calibrationBatches(std::shared_ptr<Dataset> train, const Recipe& recipe,
                                              int count);

/** Calibrates the net's activation quantizers on stored batches (moved to the net's device). */
void calibrateOn(GraphNet& net, const std::vector<torch::Tensor>& batches, const QuantSpec& spec);

/** Builds the checkpoint's model; a quantized checkpoint (meta "quant") comes back folded and quantized. */
GraphNet loadAnyModel(const std::string& checkpointPath, CheckpointMeta* meta, torch::Device device);

/** Measures a finished QAT run (simulated and LibTorch int8 metric, agreement, latency, layer table) and
 *  writes its quantization.json. `teacherMode`: none, recipe or self. */
void writeQatReport(const std::string& runDir, const std::string& teacherMode, int threads);

/**
 * A folded, quantized GraphNet executed with LibTorch's int8 kernels (quantized::conv2d / conv2d_relu /
 * linear / add / add_relu / cat reached through c10::Dispatcher; pooling and resize on quantized tensors) on
 * the oneDNN engine (QNNPACK when oneDNN is absent). Layers with float weights (bits 0) run dequantized.
 */
class Int8Net {
public:
    explicit Int8Net(GraphNet& net);
    ~Int8Net();
    /** Float NCHW input → float output (dequantized logits). CPU only. */
    torch::Tensor forward(const torch::Tensor& input);
    /** The output and the named taps, dequantized to dense fp32 (like GraphNetImpl::run in eval mode).
     *  Throws Error for a tap the int8 kernels do not produce (see tapProblem). */
    GraphNetImpl::Outputs run(const torch::Tensor& input, const std::vector<std::string>& taps);
    /** Empty when tap `name` is produced as is; otherwise why not: a pre-activation value that the int8
     *  kernels fuse with the ReLU after it never exists on its own. */
    std::string tapProblem(const std::string& name) const;
    static std::string engineName();

private:
    struct Impl;
    std::unique_ptr<Impl> d;
};

}  // namespace distillery
