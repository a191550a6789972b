// GraphNet's quantization: BatchNorm folding, placement of activation / weight quantizers and the
// fake-quantized forward pass used by PTQ evaluation and quantization-aware training.

#include <algorithm>
#include <cmath>

#include "core/internal/graph_net.h"
#include "core/internal/quant_internal.h"

namespace distillery {

namespace {

// LSQ: the same step size, its gradient scaled by g (learned step sizes only).
torch::Tensor lsqGradientScaled(const torch::Tensor& s, double g) {
    if (!(g > 0.0) || !s.requires_grad()) return s;
    auto scaled = s * g;
    return (s - scaled).detach() + scaled;
}

}  // namespace

torch::Tensor fakeQuantize(const torch::Tensor& x, const torch::Tensor& scale, const torch::Tensor& zeroPoint,
                           double qmin, double qmax, double lsqGradScale) {
    const torch::Tensor s = lsqGradientScaled(scale, lsqGradScale);
    auto v = x / s + zeroPoint;
    // Straight-through rounding: the forward rounds, the backward passes the gradient unchanged; clamp then
    // zeroes it outside the representable range. With a learnable s this gives LSQ's step-size gradient.
    auto rounded = v + (torch::round(v) - v).detach();
    return (torch::clamp(rounded, qmin, qmax) - zeroPoint) * s;
}

namespace {

int64_t weightQmax(int bits) {
    return (int64_t{1} << (bits - 1)) - 1;
}

bool supportedWidth(int bits) {
    return bits == 8 || bits == 6 || bits == 4 || bits == 2;
}

/** Codes at `top` bits (straight-through rounding of w / s), then taken down 2 bits a step by rounding right
 *  shifts (to nearest, halves to even) to `bits`. The result is in units of s · 2^{top − bits}. */
torch::Tensor cascadeCodes(const torch::Tensor& w, const torch::Tensor& s, int top, int bits) {
    auto v = w / s;
    const double qTop = static_cast<double>(weightQmax(top));
    auto q = torch::clamp(v + (torch::round(v) - v).detach(), -qTop, qTop);
    for (int k = top; k > bits; k -= 2) {
        auto d = q * 0.25;
        // A right shift by 2 that rounds to nearest, halves to even. The plain (q + 2) >> 2 sends every half
        // up: over two or three steps that shifts all weights the same way, and the shift adds up over a
        // filter (a 4-bit ResNet-8 lost all its accuracy to it).
        auto r = torch::round(d);
        const double qk = static_cast<double>(weightQmax(k - 2));
        q = torch::clamp(d + (r - d).detach(), -qk, qk);
    }
    return q;
}

// Per-output-channel symmetric scales. 8 bit: max |w|. Below: the clip (a fraction of max |w|) that
// minimises the squared error per channel, which matters a lot at 4 and 2 bits.
// The per-channel scale max |w| / q_max × ratio (ratio 1.0 … 0.2) whose error(w, s [C,1]) → [C] is least;
// w is the weight flattened to [C, K]. `best` holds the scales to keep where no ratio does better.
template <typename ErrorFn>
torch::Tensor clipSearch(const torch::Tensor& w, double qmax, torch::Tensor best, ErrorFn error) {
    auto maxAbs = w.abs().amax(1).clamp_min(1e-8);
    auto bestErr = torch::full_like(maxAbs, std::numeric_limits<float>::infinity());
    for (int i = 0; i <= 40; ++i) {
        const double ratio = 1.0 - i * 0.02;  // 1.0 … 0.2
        auto s = (maxAbs * ratio / qmax).unsqueeze(1);
        auto err = error(w, s);
        auto better = err < bestErr;
        bestErr = torch::where(better, err, bestErr);
        best = torch::where(better, s.squeeze(1), best);
    }
    return best;
}

torch::Tensor channelScales(const torch::Tensor& weight, int bits) {
    torch::NoGradGuard noGrad;
    auto w = weight.detach().flatten(1);
    const double qmax = static_cast<double>(weightQmax(bits));
    auto best = w.abs().amax(1).clamp_min(1e-8) / qmax;
    if (bits >= 8) return best;
    return clipSearch(w, qmax, best, [qmax](const torch::Tensor& x, const torch::Tensor& s) {
        return (torch::clamp(torch::round(x / s), -qmax, qmax) * s - x).pow(2).sum(1);
    });
}

std::string quantizableLayers(const std::vector<GraphNode>& nodes) {
    std::string layers;
    for (const auto& n : nodes)
        if (n.op == OpKind::Conv || n.op == OpKind::Linear) layers += (layers.empty() ? "" : ", ") + n.name;
    return layers;
}

}  // namespace

std::map<std::string, int> resolveWeightBits(const GraphNet& net, const QuantSpec& spec) {
    std::map<std::string, int> bits;
    for (const auto& n : net->nodes())
        if (n.op == OpKind::Conv || n.op == OpKind::Linear) bits[n.name] = spec.weightBits;
    for (const auto& [name, b] : spec.layerBits) {
        if (!bits.count(name))
            throw Error("quantize.layer_bits: unknown layer '" + name +
                        "' (quantizable layers: " + quantizableLayers(net->nodes()) + ")");
        bits[name] = b;
    }
    return bits;
}

int GraphNetImpl::nodeIndex(const std::string& name) const {
    for (size_t i = 0; i < mNodes.size(); ++i)
        if (mNodes[i].name == name) return static_cast<int>(i);
    return -1;
}

std::vector<int> GraphNetImpl::batchNormFoldTargets(bool keepTaps) const {
    std::vector<int> readers(mNodes.size(), 0);
    for (const auto& n : mNodes)
        for (int in : n.inputs)
            ++readers[in];
    if (keepTaps)
        for (const auto& [name, node] : mTaps)
            ++readers[node];  // a tapped conv's output is read as it is
    // A batch norm that does not follow a conv it alone reads (pre-activation blocks) stays: in eval mode it
    // is a per-channel affine map of its own.
    std::vector<int> into(mNodes.size(), -1);
    for (size_t i = 0; i < mNodes.size(); ++i) {
        const GraphNode& n = mNodes[i];
        if (n.op != OpKind::BatchNorm) continue;
        const int src = n.inputs.at(0);
        if (mNodes[src].op == OpKind::Conv && readers[src] == 1) into[i] = src;
    }
    return into;
}

void GraphNetImpl::foldBatchNorm(bool keepTaps) {
    if (mFolded) return;
    torch::NoGradGuard noGrad;
    mFoldBias.assign(mConvs.size(), torch::Tensor());
    const std::vector<int> into = batchNormFoldTargets(keepTaps);
    for (size_t i = 0; i < mNodes.size(); ++i) {
        if (into[i] < 0) continue;
        GraphNode& n = mNodes[i];
        const GraphNode& src = mNodes[into[i]];
        auto& conv = mConvs[src.moduleIndex];
        auto& bn = mBns[n.moduleIndex];
        auto invStd = torch::rsqrt(bn->running_var + bn->options.eps());
        auto gamma = bn->options.affine() ? bn->weight : torch::ones_like(bn->running_mean);
        auto beta = bn->options.affine() ? bn->bias : torch::zeros_like(bn->running_mean);
        auto factor = gamma * invStd;
        conv->weight.mul_(factor.view({-1, 1, 1, 1}));
        auto oldBias =
            conv->options.bias() ? conv->bias.detach().clone() : torch::zeros_like(bn->running_mean);
        auto bias = (oldBias - bn->running_mean) * factor + beta;
        if (conv->options.bias()) {
            conv->bias.copy_(bias);
        } else {
            const std::string name = "foldbias_" + std::to_string(src.moduleIndex);
            mFoldBias[src.moduleIndex] = register_parameter(name, bias.detach().clone());
        }
        n.folded = true;
    }
    mFolded = true;
}

torch::Tensor GraphNetImpl::layerWeight(int node) const {
    const GraphNode& n = mNodes.at(node);
    if (n.op == OpKind::Conv) return mConvs[n.moduleIndex]->weight;
    if (n.op == OpKind::Linear) return mLinears[n.moduleIndex]->weight;
    throw Error("layer '" + n.name + "' has no weights");
}

torch::Tensor GraphNetImpl::layerBias(int node) const {
    const GraphNode& n = mNodes.at(node);
    if (n.op == OpKind::Linear) return mLinears[n.moduleIndex]->bias;
    if (n.op != OpKind::Conv) throw Error("layer '" + n.name + "' has no weights");
    const auto& conv = mConvs[n.moduleIndex];
    if (conv->options.bias()) return conv->bias;
    if (mFolded && static_cast<size_t>(n.moduleIndex) < mFoldBias.size()) return mFoldBias[n.moduleIndex];
    return torch::Tensor();
}

void GraphNetImpl::enableQuantization(const std::map<std::string, int>& weightBits, bool lsq) {
    if (!mFolded) throw Error("quantization needs folded batch norm (call foldBatchNorm first)");
    if (isQuantized()) throw Error("the model is already quantized");
    for (const auto& [name, bits] : weightBits) {
        const int node = nodeIndex(name);
        if (node < 0 || (mNodes[node].op != OpKind::Conv && mNodes[node].op != OpKind::Linear))
            throw Error("unknown layer '" + name + "' (quantizable layers: " + quantizableLayers(mNodes) +
                        ")");
        if (bits != 0 && bits != 2 && bits != 4 && bits != 6 && bits != 8)
            throw Error("layer '" + name + "': " + std::to_string(bits) +
                        " bits is not a supported weight width (expected 8, 6, 4, 2 or 0 for float)");
    }
    mLsq = lsq;
    const auto params = parameters();
    auto device = params.empty() ? torch::Device(torch::kCPU) : params.front().device();
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);

    std::vector<int> consumers(mNodes.size(), 0);
    std::vector<int> onlyConsumer(mNodes.size(), -1);
    // Folded BNs are pass-throughs: count consumers through them.
    auto source = [&](int i) {
        while (mNodes[i].op == OpKind::BatchNorm && mNodes[i].folded)
            i = mNodes[i].inputs[0];
        return i;
    };
    for (size_t i = 0; i < mNodes.size(); ++i) {
        if (mNodes[i].op == OpKind::BatchNorm && mNodes[i].folded) continue;
        for (int in : mNodes[i].inputs) {
            const int s = source(in);
            ++consumers[s];
            onlyConsumer[s] = static_cast<int>(i);
        }
    }
    auto newActQuant = [&](int node) {
        ActQuant q;
        const std::string base = "actq_" + std::to_string(mActQuant.size());
        auto scale = torch::ones({1}, opts);
        auto zp = torch::zeros({1}, opts);
        if (lsq) {
            q.scale = register_parameter(base + "_scale", scale);
        } else {
            q.scale = register_buffer(base + "_scale", scale);
        }
        q.zeroPoint = register_buffer(base + "_zp", zp);
        mActQuant.push_back(q);
        mActQuantNode.push_back(node);
        return static_cast<int>(mActQuant.size()) - 1;
    };

    for (size_t i = 0; i < mNodes.size(); ++i) {
        GraphNode& n = mNodes[i];
        n.quant = -1;
        n.requant = false;
        switch (n.op) {
            case OpKind::Input:
            case OpKind::Add:
            case OpKind::Concat:
            case OpKind::Conv:
            case OpKind::Linear:
            // Ops whose results leave the input's grid get a quantizer of their own, like an add.
            case OpKind::Sub:
            case OpKind::Mul:
            case OpKind::Div:
            case OpKind::Sigmoid:
            case OpKind::HardSigmoid:
            case OpKind::HardSwish:
            case OpKind::LeakyReLU:
            case OpKind::Clip:
            case OpKind::Softmax:
            case OpKind::ConvTranspose: {  // float weights, quantized output
                const int c = onlyConsumer[i];
                const bool fused = consumers[i] == 1 && c >= 0 &&
                                   (mNodes[c].op == OpKind::ReLU || mNodes[c].op == OpKind::ReLU6) &&
                                   (n.op == OpKind::Conv || n.op == OpKind::Add || n.op == OpKind::Linear) &&
                                   static_cast<int>(i) != mOutput;
                if (!fused) {
                    n.quant = newActQuant(static_cast<int>(i));
                    n.requant = true;
                }
                break;
            }
            case OpKind::BatchNorm:
                if (n.folded) {
                    n.quant = mNodes[n.inputs[0]].quant;
                } else {  // a standalone batch norm is an affine map: its own quantizer
                    n.quant = newActQuant(static_cast<int>(i));
                    n.requant = true;
                }
                break;
            case OpKind::Constant:
                break;  // float, like weights
            case OpKind::ReLU:
            case OpKind::ReLU6: {
                const GraphNode& in = mNodes[source(n.inputs[0])];
                if (in.quant < 0) {  // fused with the conv / add before it
                    n.quant = newActQuant(static_cast<int>(i));
                    n.requant = true;
                } else {
                    n.quant = in.quant;  // clamping values on a grid keeps them on it
                    n.requant = n.op == OpKind::ReLU6;
                }
                break;
            }
            case OpKind::MaxPool:
            case OpKind::GlobalMaxPool:
            case OpKind::Flatten:
            case OpKind::Reshape:
            case OpKind::Transpose:
            case OpKind::Slice:
            case OpKind::Gather:
                // Selecting or moving values keeps them on their grid.
                n.quant = mNodes[n.inputs[0]].quant;
                break;
            case OpKind::Pad:
                n.quant = mNodes[n.inputs[0]].quant;
                n.requant = n.quant >= 0 && n.padMode == PadMode::Constant && n.alpha != 0.0;
                break;
            case OpKind::Resize:
                n.quant = mNodes[n.inputs[0]].quant;
                n.requant = n.quant >= 0 && n.resizeMode == ResizeMode::Bilinear;
                break;
            case OpKind::AvgPool:
            case OpKind::GlobalAvgPool:
            case OpKind::AdaptiveAvgPool:
                // Averages leave the grid: re-quantize with the input's parameters, as the int8 kernels do.
                n.quant = mNodes[n.inputs[0]].quant;
                n.requant = n.quant >= 0;
                break;
        }
    }

    // A pooling or resize node that is the model's output (segmentation logits upsampled to the input size)
    // needs no quantizer of its own: its float result is the output. Quantizing it would only add a
    // quantize/dequantize pass over the largest tensor of the model (11 × 64 × 64 per image for the scenes).
    if (mOutput >= 0) {
        GraphNode& o = mNodes[mOutput];
        if (o.requant && o.quant >= 0 && mActQuantNode[o.quant] != mOutput) {
            o.requant = false;
            o.quant = -1;
        }
    }

    mWeightQuant.clear();
    for (auto& n : mNodes) {
        if (n.op != OpKind::Conv && n.op != OpKind::Linear) continue;
        auto it = weightBits.find(n.name);
        WeightQuant wq;
        wq.bits = it == weightBits.end() ? 8 : it->second;
        const std::string base = "wq_" + std::to_string(mWeightQuant.size());
        auto w = layerWeight(static_cast<int>(&n - mNodes.data()));
        auto scale = wq.bits > 0 ? channelScales(w, wq.bits) : torch::ones({w.size(0)}, opts);
        wq.scale = lsq ? register_parameter(base + "_scale", scale.clone())
                       : register_buffer(base + "_scale", scale.clone());
        n.weightQuant = static_cast<int>(mWeightQuant.size());
        mWeightQuant.push_back(wq);
    }
}

void GraphNetImpl::setActivationRange(int q, double lo, double hi) {
    ActQuant& a = mActQuant.at(q);
    lo = std::min(lo, 0.0);
    hi = std::max(hi, 0.0);
    const double qmax = static_cast<double>((int64_t{1} << a.bits) - 1);
    double scale = (hi - lo) / qmax;
    if (!(scale > 1e-8)) scale = 1e-8;
    double zp = std::round(-lo / scale);
    zp = std::clamp(zp, 0.0, qmax);
    torch::NoGradGuard noGrad;
    a.scale.fill_(scale);
    a.zeroPoint.fill_(zp);
}

QuantParams GraphNetImpl::activationParams(int q) const {
    const ActQuant& a = mActQuant.at(q);
    QuantParams p;
    p.bits = a.bits;
    p.scale = a.scale.item<double>();
    p.zeroPoint = static_cast<int64_t>(std::llround(a.zeroPoint.item<double>()));
    p.qmin = 0;
    p.qmax = (int64_t{1} << a.bits) - 1;
    return p;
}

void GraphNetImpl::setWeightBits(int node, int bits) {
    const GraphNode& n = mNodes.at(node);
    if (mVerticalTop > 0)
        throw Error("layer '" + n.name + "': a vertical-layered model holds all its widths");
    if (n.weightQuant < 0) throw Error("layer '" + n.name + "' has no quantized weights");
    if (bits != 0 && bits != 2 && bits != 4 && bits != 6 && bits != 8)
        throw Error("layer '" + n.name + "': " + std::to_string(bits) +
                    " bits is not a supported weight width (expected 8, 6, 4, 2 or 0 for float)");
    WeightQuant& wq = mWeightQuant[n.weightQuant];
    wq.bits = bits;
    if (bits > 0) {
        torch::NoGradGuard noGrad;
        wq.scale.copy_(channelScales(layerWeight(node), bits));
    }
}

int GraphNetImpl::weightBits(int node) const {
    const GraphNode& n = mNodes.at(node);
    return n.weightQuant < 0 ? 0 : mWeightQuant[n.weightQuant].bits;
}

torch::Tensor GraphNetImpl::weightScale(int node) const {
    const GraphNode& n = mNodes.at(node);
    if (n.weightQuant < 0) throw Error("layer '" + n.name + "' has no quantized weights");
    return mWeightQuant[n.weightQuant].scale;
}

std::vector<torch::Tensor> GraphNetImpl::stepSizeParameters() const {
    std::vector<torch::Tensor> out;
    if (!mLsq) return out;
    for (const auto& a : mActQuant)
        out.push_back(a.scale);
    for (const auto& w : mWeightQuant)
        out.push_back(w.scale);
    return out;
}

torch::Tensor GraphNetImpl::effectiveWeight(const GraphNode& n) const {
    torch::Tensor w = n.op == OpKind::Conv ? mConvs[n.moduleIndex]->weight : mLinears[n.moduleIndex]->weight;
    if (!isQuantized() || !mQuantActive || mObserver || n.weightQuant < 0) return w;
    const WeightQuant& wq = mWeightQuant[n.weightQuant];
    if (wq.bits == 0) return w;
    const double qmax = static_cast<double>(weightQmax(wq.bits));
    std::vector<int64_t> shape(w.dim(), 1);
    shape[0] = -1;
    auto scale = wq.scale.view(shape);
    const double g = mLsq ? 1.0 / std::sqrt(static_cast<double>(w[0].numel()) * qmax) : 0.0;
    if (mVerticalTop > 0) {
        const torch::Tensor s = lsqGradientScaled(scale, g);
        return cascadeCodes(w, s, mVerticalTop, mVerticalBits) *
               (s * std::ldexp(1.0, mVerticalTop - mVerticalBits));
    }
    return fakeQuantize(w, scale, torch::zeros({1}, w.options()), -qmax, qmax, g);
}

namespace {

// The top scale per output channel that minimises Σ_b ‖ŵ_b − w‖² over the widths a vertical model will be
// used at (max |w| / q_max times a ratio 1.0 … 0.2): the low widths' steps are 2^(top−b) times the top one,
// so a scale that suits only the top width leaves them coarse.
torch::Tensor verticalScales(const torch::Tensor& weight, const torch::Tensor& current, int top,
                             const std::vector<int>& widths) {
    torch::NoGradGuard noGrad;
    auto w = weight.detach().flatten(1);
    return clipSearch(
        w, static_cast<double>(weightQmax(top)), current.detach().clone(),
        [&](const torch::Tensor& x, const torch::Tensor& s) {
            auto err = torch::zeros({x.size(0)}, x.options());
            for (int b : widths)
                err += (cascadeCodes(x, s, top, b) * (s * std::ldexp(1.0, top - b)) - x).pow(2).sum(1);
            return err;
        });
}

}  // namespace

void GraphNetImpl::enableVerticalLayering(const std::vector<int>& widths) {
    if (!isQuantized())
        throw Error("vertical-layered weights need a quantized model (enableQuantization first)");
    int top = 0;
    for (const auto& n : mNodes) {
        if (n.weightQuant < 0 || mWeightQuant[n.weightQuant].bits == 0) continue;
        const int b = mWeightQuant[n.weightQuant].bits;
        if (top != 0 && b != top)
            throw Error("vertical-layered weights need one width for every quantized layer; layer '" +
                        n.name + "' has " + std::to_string(b) + " bits, others " + std::to_string(top));
        top = b;
    }
    if (top == 0) throw Error("vertical-layered weights need at least one layer with quantized weights");
    for (int b : widths)
        if (!supportedWidth(b) || b > top)
            throw Error("weight width " + std::to_string(b) + " is not one a model with top width " +
                        std::to_string(top) + " can hold (expected 2, 4, 6 or 8, at most the top)");
    if (!widths.empty()) {
        torch::NoGradGuard noGrad;
        for (size_t i = 0; i < mNodes.size(); ++i) {
            const GraphNode& n = mNodes[i];
            if (n.weightQuant < 0 || mWeightQuant[n.weightQuant].bits == 0) continue;
            WeightQuant& wq = mWeightQuant[n.weightQuant];
            wq.scale.copy_(verticalScales(layerWeight(static_cast<int>(i)), wq.scale, top, widths));
        }
    }
    mVerticalTop = top;
    mVerticalBits = top;
}

void GraphNetImpl::setVerticalBits(int bits) {
    if (mVerticalTop == 0) throw Error("the model is not vertical-layered");
    if (!supportedWidth(bits) || bits > mVerticalTop)
        throw Error("weight width " + std::to_string(bits) +
                    " is not one this model holds (expected 2, 4, 6 or 8, "
                    "at most its top width " +
                    std::to_string(mVerticalTop) + ")");
    mVerticalBits = bits;
}

torch::Tensor GraphNetImpl::verticalCodes(int node, int bits) const {
    const GraphNode& n = mNodes.at(node);
    if (mVerticalTop == 0) throw Error("the model is not vertical-layered");
    if (n.weightQuant < 0 || mWeightQuant[n.weightQuant].bits == 0)
        throw Error("layer '" + n.name + "' has no quantized weights");
    if (!supportedWidth(bits) || bits > mVerticalTop)
        throw Error("weight width " + std::to_string(bits) + " is not one this model holds");
    torch::NoGradGuard noGrad;
    auto w = layerWeight(node).detach();
    std::vector<int64_t> shape(w.dim(), 1);
    shape[0] = -1;
    return cascadeCodes(w, mWeightQuant[n.weightQuant].scale.detach().view(shape), mVerticalTop, bits)
        .to(torch::kInt64);
}

void GraphNetImpl::materializeVerticalBits(int bits) {
    if (mVerticalTop == 0) throw Error("the model is not vertical-layered");
    setVerticalBits(bits);
    torch::NoGradGuard noGrad;
    const double factor = std::ldexp(1.0, mVerticalTop - bits);
    for (size_t i = 0; i < mNodes.size(); ++i) {
        const GraphNode& n = mNodes[i];
        if (n.weightQuant < 0 || mWeightQuant[n.weightQuant].bits == 0) continue;
        WeightQuant& wq = mWeightQuant[n.weightQuant];
        auto codes = verticalCodes(static_cast<int>(i), bits);
        auto w = layerWeight(static_cast<int>(i));
        std::vector<int64_t> shape(w.dim(), 1);
        shape[0] = -1;
        wq.scale.mul_(factor);
        w.copy_(codes.to(w.dtype()) * wq.scale.view(shape));
        wq.bits = bits;
    }
    mVerticalTop = 0;
    mVerticalBits = 0;
}

torch::Tensor GraphNetImpl::effectiveBias(int node) const {
    const GraphNode& n = mNodes.at(node);
    torch::Tensor b = layerBias(node);
    if (!b.defined() || !isQuantized() || !mQuantActive || mObserver || n.weightQuant < 0) return b;
    const WeightQuant& wq = mWeightQuant[n.weightQuant];
    const int q = mNodes.at(n.inputs.at(0)).quant;
    if (wq.bits == 0 || q < 0) return b;
    // Integer kernels (ONNX QLinearConv / QGemm, TensorRT) add an int32 bias at scale s_in·s_w: the float
    // bias rounded to that grid. Simulating it keeps the engine's predictions equal to theirs.
    // Straight-through for the bias; the grid itself gets no gradient.
    // A vertical-layered model's width b has the step size s_top · 2^{top − b}.
    const double factor = mVerticalTop > 0 ? std::ldexp(1.0, mVerticalTop - mVerticalBits) : 1.0;
    auto s = (mActQuant[q].scale * wq.scale * factor).detach();
    auto v = b / s;
    return (v + (torch::round(v) - v).detach()) * s;
}

torch::Tensor GraphNetImpl::quantizeOutput(const GraphNode& n, torch::Tensor value) {
    if (!n.requant || n.quant < 0) return value;
    if (mObserver) {
        // Calibrate only where a quantizer is owned: re-quantizing nodes reuse their input's range.
        if (mActQuantNode[n.quant] == static_cast<int>(&n - mNodes.data()))
            mObserver(n.quant, value.detach());
        return value;
    }
    if (!mQuantActive) return value;
    const ActQuant& a = mActQuant[n.quant];
    const double qmax = static_cast<double>((int64_t{1} << a.bits) - 1);
    const double g = mLsq ? 1.0 / std::sqrt(static_cast<double>(value[0].numel()) * qmax) : 0.0;
    return fakeQuantize(value, a.scale, a.zeroPoint, 0.0, qmax, g);
}

}  // namespace distillery
