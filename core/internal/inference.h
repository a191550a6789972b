#pragma once
// Fast inference of a GraphNet whose weights do not change while it runs (the frozen teacher, an evaluation
// pass, an imported model's forward): convolutions run on oneDNN ("MKLDNN") tensors with weights reordered
// once into oneDNN's blocked layout, so no call pays a weight reorder and activations stay in oneDNN's
// layout from one op to the next. Batch norms that follow a convolution are folded into the packed weights
// here, without touching the net. Ops oneDNN does not take run as usual on dense tensors. Falls back to the
// net's own forward pass where oneDNN is absent (another device, a LibTorch without it, a quantized net).
// Private to the core (includes torch).

#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/internal/graph_net.h"

namespace distillery {

class InferenceRunner {
public:
    /** Packs `net`'s current weights; the net must not change while the runner is used (eval mode). With
     *  `bf16`, the convolutions (and the oneDNN ops between them) run in bfloat16 with fp32 biases and
     *  accumulation; the other ops and every returned tensor stay fp32. */
    explicit InferenceRunner(GraphNet net, bool bf16 = false);

    /** The output and the named taps (dense tensors), like GraphNetImpl::run in eval mode. */
    GraphNetImpl::Outputs run(const torch::Tensor& x, const std::vector<std::string>& taps);
    torch::Tensor forward(const torch::Tensor& x) { return run(x, {}).output; }

    /** True when the oneDNN path is in use. */
    bool accelerated() const { return mAccelerated; }
    /** True when its convolutions run in bfloat16. */
    bool bf16() const { return mAccelerated && mBf16; }

private:
    struct Packed {
        torch::Tensor weight, bias;  // oneDNN-layout weight, dense bias (may be undefined)
        std::vector<int64_t> padding, stride, dilation;
        int64_t groups = 1;
    };
    GraphNet mNet;
    bool mAccelerated = false;
    bool mBf16 = false;
    std::vector<char> mFoldedBn;            // node → a batch norm folded into the conv before it
    std::unordered_map<int, Packed> mConv;  // conv node → packed weights
    std::vector<int> mLastUse;
};

/** Whether oneDNN inference applies on this build and device (CPU, float32). */
bool inferenceAccelerationAvailable(const torch::Device& device);

}  // namespace distillery
