// Real int8 execution of a quantized GraphNet with LibTorch's quantized kernels, reached through
// c10::Dispatcher (the quantized:: operators have no C++ API of their own). Boxed calls keep this file free
// of the packed-parameter class headers, which differ between LibTorch versions.

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cmath>

#include "core/internal/quant_internal.h"
#include "core/types.h"

namespace distillery {

namespace {

c10::QEngine pickEngine() {
    const auto& engines = at::globalContext().supportedQEngines();
    for (auto want : {c10::QEngine::ONEDNN, c10::QEngine::X86, c10::QEngine::FBGEMM, c10::QEngine::QNNPACK})
        if (std::find(engines.begin(), engines.end(), want) != engines.end()) return want;
    throw Error("this LibTorch build has no quantized engine (needs oneDNN, x86, FBGEMM or QNNPACK)");
}

c10::OperatorHandle op(const char* name, const char* overload = "") {
    return c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
}

c10::IValue callOne(const c10::OperatorHandle& handle, torch::jit::Stack stack) {
    handle.callBoxed(&stack);
    return stack.at(0);
}

}  // namespace

struct Int8Net::Impl {
    enum class Kind {
        Input,
        Alias,
        Conv,
        Linear,
        FloatLayer,
        Add,
        ReLU,
        ReLU6,
        MaxPool,
        AvgPool,
        Gap,
        Adaptive,
        Flatten,
        Resize,
        Concat,
        Reshape,
        Constant,
        FloatOp  // no int8 kernel: dequantize the inputs, run the float op, quantize the result
    };
    struct Step {
        Kind kind = Kind::Alias;
        std::vector<int> inputs;
        c10::IValue packed;  // conv / linear
        bool relu = false;   // fused conv/linear/add + relu
        double scale = 1.0;  // output quantization
        int64_t zeroPoint = 0;
        bool quantizeOut = false;  // FloatLayer / ReLU6: re-quantize the float result
        GraphNode node;
        torch::Tensor weight, bias;  // FloatLayer
    };
    std::vector<Step> steps;
    std::vector<int> lastUse;
    std::vector<char> fusedAway;  // the node's own value is never produced (a ReLU was fused into it)
    int output = -1;
    c10::QEngine engine;
    GraphNet net{nullptr};  // runs the FloatOp steps
};

std::string Int8Net::engineName() {
    return c10::toString(pickEngine());
}

Int8Net::~Int8Net() = default;

Int8Net::Int8Net(GraphNet& net) : d(std::make_unique<Impl>()) {
    if (!net->isQuantized()) throw Error("int8 execution needs a quantized model");
    d->engine = pickEngine();
    d->net = net;
    at::globalContext().setQEngine(d->engine);
    torch::NoGradGuard noGrad;
    // Biases are read on their int32 grid, which needs the quantizers switched on.
    const bool wasActive = net->quantActive();
    net->setQuantActive(true);
    const auto& nodes = net->nodes();
    const int count = static_cast<int>(nodes.size());
    // Folded BNs are aliases; a fused ReLU's producer writes the ReLU's quantization.
    auto source = [&](int i) {
        while (nodes[i].op == OpKind::BatchNorm && nodes[i].folded)
            i = nodes[i].inputs[0];
        return i;
    };
    std::vector<int> fusedInto(count, -1);  // producer → relu node that quantizes it
    for (int i = 0; i < count; ++i) {
        const GraphNode& n = nodes[i];
        if ((n.op == OpKind::ReLU || n.op == OpKind::ReLU6) && n.requant &&
            net->activationQuantizerNode(n.quant) == i) {
            const int src = source(n.inputs[0]);
            if (nodes[src].quant < 0) fusedInto[src] = i;
        }
    }
    d->steps.resize(count);
    for (int i = 0; i < count; ++i) {
        const GraphNode& n = nodes[i];
        Impl::Step& st = d->steps[i];
        st.node = n;
        st.inputs = n.inputs;
        auto outParams = [&](int quantNode) {
            const QuantParams p = net->activationParams(nodes[quantNode].quant);
            st.scale = p.scale;
            st.zeroPoint = p.zeroPoint;
        };
        switch (n.op) {
            case OpKind::Input:
                st.kind = Impl::Kind::Input;
                outParams(i);
                break;
            case OpKind::BatchNorm:
                if (n.folded) {
                    st.kind = Impl::Kind::Alias;
                } else {  // a standalone batch norm runs in float
                    st.kind = Impl::Kind::FloatOp;
                    if (n.quant >= 0) outParams(i);
                }
                break;
            case OpKind::Conv:
            case OpKind::Linear: {
                const int relu = fusedInto[i];
                st.relu = relu >= 0 && nodes[relu].op == OpKind::ReLU;
                const bool relu6 = relu >= 0 && nodes[relu].op == OpKind::ReLU6;
                outParams(relu >= 0 ? relu : i);
                // ReLU6 fused: the output range is [0, ≤ 6] so conv+relu into that range clamps at 6 too.
                if (relu6) st.relu = true;
                const int bits = net->weightBits(i);
                auto w = net->layerWeight(i).detach().to(torch::kCPU).contiguous();
                // On the int32 grid s_in·s_w, as the simulated model and ONNX's integer kernels add it.
                auto b = bits > 0 ? net->effectiveBias(i) : net->layerBias(i);
                if (b.defined()) b = b.detach().to(torch::kCPU).contiguous();
                if (bits == 0) {
                    st.kind = Impl::Kind::FloatLayer;
                    st.weight = w;
                    st.bias = b;
                    st.quantizeOut = true;
                    break;
                }
                const double qmax = static_cast<double>((int64_t{1} << (bits - 1)) - 1);
                auto scale = net->weightScale(i).detach().to(torch::kCPU).to(torch::kDouble);
                std::vector<int64_t> shape(w.dim(), 1);
                shape[0] = -1;
                auto limit = (scale * qmax).to(torch::kFloat).view(shape);
                auto clipped = torch::max(torch::min(w, limit), -limit);
                auto qw = torch::quantize_per_channel(clipped, scale, torch::zeros({w.size(0)}, torch::kLong),
                                                      0, torch::kQInt8);
                c10::optional<at::Tensor> bias;
                if (b.defined()) bias = b;
                if (n.op == OpKind::Conv) {
                    st.kind = Impl::Kind::Conv;
                    // Asymmetric pads are applied to the input before the kernel (see forward).
                    const bool sym = n.symmetricPads();
                    st.packed = callOne(op("quantized::conv2d_prepack"),
                                        {qw, bias, std::vector<int64_t>{n.stride[0], n.stride[1]},
                                         std::vector<int64_t>{sym ? n.pads[0] : 0, sym ? n.pads[1] : 0},
                                         std::vector<int64_t>{n.dilation[0], n.dilation[1]}, n.groups});
                } else {
                    st.kind = Impl::Kind::Linear;
                    st.packed = callOne(op("quantized::linear_prepack"), {qw, bias});
                }
                break;
            }
            case OpKind::Add: {
                // quantized::add needs two quantized inputs; a constant operand runs in float.
                if (nodes[n.inputs[0]].quant < 0 || nodes[n.inputs[1]].quant < 0) {
                    st.kind = Impl::Kind::FloatOp;
                    if (n.quant >= 0) outParams(i);
                    break;
                }
                st.kind = Impl::Kind::Add;
                const int relu = fusedInto[i];
                st.relu = relu >= 0;
                outParams(relu >= 0 ? relu : i);
                break;
            }
            case OpKind::ReLU:
                st.kind = fusedInto[source(n.inputs[0])] == i ? Impl::Kind::Alias : Impl::Kind::ReLU;
                break;
            case OpKind::ReLU6:
                if (fusedInto[source(n.inputs[0])] == i) {
                    st.kind = Impl::Kind::Alias;
                } else {
                    st.kind = Impl::Kind::ReLU6;
                    outParams(i);
                }
                break;
            case OpKind::MaxPool:
            case OpKind::AvgPool: {
                const bool native =
                    n.symmetricPads() && 2 * n.pads[0] <= n.kernel[0] && 2 * n.pads[1] <= n.kernel[1];
                if (native) {
                    st.kind = n.op == OpKind::MaxPool ? Impl::Kind::MaxPool : Impl::Kind::AvgPool;
                } else {
                    st.kind = Impl::Kind::FloatOp;
                    if (n.quant >= 0) outParams(i);
                }
                break;
            }
            case OpKind::GlobalAvgPool:
                st.kind = Impl::Kind::Gap;
                break;
            case OpKind::AdaptiveAvgPool:
                st.kind = Impl::Kind::Adaptive;
                break;
            case OpKind::Flatten:
                st.kind = Impl::Kind::Flatten;
                break;
            case OpKind::Resize: {
                // torch's quantized upsampling kernels cover the half-pixel and align-corners bilinear
                // modes and floor-nearest; other ONNX modes gather in float.
                const bool native =
                    n.sizeOf >= 0 ||
                    (n.resizeMode == ResizeMode::Bilinear && (n.resizeCoord == ResizeCoord::HalfPixel ||
                                                              n.resizeCoord == ResizeCoord::AlignCorners)) ||
                    (n.resizeMode == ResizeMode::Nearest && n.resizeCoord == ResizeCoord::Asymmetric &&
                     n.nearest == NearestRounding::Floor);
                if (native) {
                    st.kind = Impl::Kind::Resize;
                } else {
                    st.kind = Impl::Kind::FloatOp;
                    if (n.quant >= 0) outParams(i);
                }
                break;
            }
            case OpKind::Concat:
                st.kind = Impl::Kind::Concat;
                outParams(i);
                break;
            case OpKind::Reshape:
                st.kind = Impl::Kind::Reshape;
                break;
            case OpKind::Constant:
                st.kind = Impl::Kind::Constant;
                st.weight = net->constantValue(i).detach().to(torch::kCPU);
                break;
            case OpKind::Sub:
            case OpKind::Mul:
            case OpKind::Div:
            case OpKind::Sigmoid:
            case OpKind::HardSigmoid:
            case OpKind::HardSwish:
            case OpKind::LeakyReLU:
            case OpKind::Clip:
            case OpKind::Softmax:
            case OpKind::GlobalMaxPool:
            case OpKind::Pad:
            case OpKind::Transpose:
            case OpKind::Slice:
            case OpKind::Gather:
            case OpKind::ConvTranspose:
                st.kind = Impl::Kind::FloatOp;
                if (n.quant >= 0) outParams(i);
                break;
        }
    }
    d->fusedAway.assign(count, 0);
    for (int i = 0; i < count; ++i) {
        const int src = source(i);
        const int relu = fusedInto[src];
        if (relu >= 0 && relu != i) d->fusedAway[i] = 1;
    }
    net->setQuantActive(wasActive);
    d->output = net->outputNode();
    d->lastUse.assign(count, -1);
    for (int i = 0; i < count; ++i)
        for (int in : nodes[i].inputs)
            d->lastUse[in] = i;
}

std::string Int8Net::tapProblem(const std::string& name) const {
    if (!d->net->hasTap(name)) return "'" + name + "' is not a tap of the model";
    if (d->fusedAway.at(d->net->tapNode(name)))
        return "tap '" + name +
               "' is a pre-activation value, which the int8 kernels compute fused with the ReLU after it and "
               "never produce on their own; run the teacher in fp32 or bf16 to read it";
    return {};
}

torch::Tensor Int8Net::forward(const torch::Tensor& input) {
    return run(input, {}).output;
}

GraphNetImpl::Outputs Int8Net::run(const torch::Tensor& input, const std::vector<std::string>& taps) {
    torch::NoGradGuard noGrad;
    std::vector<std::pair<std::string, int>> wanted;
    std::vector<char> keep(d->steps.size(), 0);
    for (const auto& name : taps) {
        const std::string problem = tapProblem(name);
        if (!problem.empty()) throw Error("int8 execution: " + problem);
        wanted.emplace_back(name, d->net->tapNode(name));
        keep[wanted.back().second] = 1;
    }
    if (at::globalContext().qEngine() != d->engine) at::globalContext().setQEngine(d->engine);
    const int count = static_cast<int>(d->steps.size());
    std::vector<torch::Tensor> v(count);
    for (int i = 0; i < count; ++i) {
        const Impl::Step& st = d->steps[i];
        const GraphNode& n = st.node;
        const torch::Tensor& x = st.inputs.empty() ? input : v[st.inputs[0]];
        switch (st.kind) {
            case Impl::Kind::Input:
                v[i] = torch::quantize_per_tensor(input.to(torch::kCPU).contiguous(), st.scale, st.zeroPoint,
                                                  torch::kQUInt8);
                break;
            case Impl::Kind::Alias:
                v[i] = x;
                break;
            case Impl::Kind::Conv: {
                torch::Tensor in = x;
                if (!n.symmetricPads()) {
                    // Zero is on every activation grid (its zero point), so padding the float values and
                    // re-quantizing them is exact.
                    namespace F = torch::nn::functional;
                    in = torch::quantize_per_tensor(
                        F::pad(x.dequantize(),
                               F::PadFuncOptions({n.pads[1], n.pads[3], n.pads[0], n.pads[2]})),
                        x.q_scale(), x.q_zero_point(), torch::kQUInt8);
                }
                v[i] = callOne(op(st.relu ? "quantized::conv2d_relu" : "quantized::conv2d", "new"),
                               {in, st.packed, st.scale, st.zeroPoint})
                           .toTensor();
                break;
            }
            case Impl::Kind::Linear:
                v[i] = callOne(op(st.relu ? "quantized::linear_relu" : "quantized::linear"),
                               {x, st.packed, st.scale, st.zeroPoint})
                           .toTensor();
                break;
            case Impl::Kind::FloatLayer: {
                auto fx = x.dequantize();
                torch::Tensor y;
                if (n.op == OpKind::Conv) {
                    namespace F = torch::nn::functional;
                    const bool sym = n.symmetricPads();
                    if (!sym)
                        fx = F::pad(fx, F::PadFuncOptions({n.pads[1], n.pads[3], n.pads[0], n.pads[2]}));
                    y = torch::conv2d(fx, st.weight, st.bias, {n.stride[0], n.stride[1]},
                                      {sym ? n.pads[0] : 0, sym ? n.pads[1] : 0},
                                      {n.dilation[0], n.dilation[1]}, n.groups);
                } else
                    y = torch::linear(fx, st.weight, st.bias);
                if (st.relu) y = torch::relu(y);
                v[i] = torch::quantize_per_tensor(y, st.scale, st.zeroPoint, torch::kQUInt8);
                break;
            }
            case Impl::Kind::Add:
                v[i] = callOne(op(st.relu ? "quantized::add_relu" : "quantized::add"),
                               {x, v[st.inputs[1]], st.scale, st.zeroPoint})
                           .toTensor();
                break;
            case Impl::Kind::ReLU:
                v[i] = torch::relu(x);
                break;
            case Impl::Kind::ReLU6:
                v[i] = torch::quantize_per_tensor(torch::hardtanh(x.dequantize(), 0.0, 6.0), st.scale,
                                                  st.zeroPoint, torch::kQUInt8);
                break;
            case Impl::Kind::MaxPool:
                v[i] = torch::max_pool2d(x, {n.kernel[0], n.kernel[1]}, {n.stride[0], n.stride[1]},
                                         {n.pads[0], n.pads[1]}, {n.dilation[0], n.dilation[1]}, n.ceilMode);
                break;
            case Impl::Kind::AvgPool:
                v[i] = torch::avg_pool2d(x, {n.kernel[0], n.kernel[1]}, {n.stride[0], n.stride[1]},
                                         {n.pads[0], n.pads[1]}, n.ceilMode, n.countIncludePad);
                break;
            case Impl::Kind::Gap:
                v[i] = torch::adaptive_avg_pool2d(x, {1, 1});
                break;
            case Impl::Kind::Adaptive:
                v[i] = torch::adaptive_avg_pool2d(x, {n.bins, n.bins});
                break;
            case Impl::Kind::Flatten:
                v[i] = x.contiguous().flatten(1);
                break;
            case Impl::Kind::Resize: {
                // Without a quantizer of its own (the model's output) the resize runs in float.
                const torch::Tensor in = n.quant < 0 && x.is_quantized() ? x.dequantize() : x;
                v[i] = resizeValue(n, in, resizeOutputSize(n, in, v));
                break;
            }
            case Impl::Kind::Concat: {
                c10::List<at::Tensor> parts;
                for (int in : st.inputs)
                    parts.push_back(v[in]);
                v[i] = callOne(op("quantized::cat"), {parts, n.axis, c10::optional<double>(st.scale),
                                                      c10::optional<int64_t>(st.zeroPoint)})
                           .toTensor();
                break;
            }
            case Impl::Kind::Reshape:
                v[i] = reshapeValue(n, x.contiguous());
                break;
            case Impl::Kind::Constant:
                v[i] = st.weight;
                break;
            case Impl::Kind::FloatOp: {
                std::vector<torch::Tensor> floats(count);
                for (int in : st.inputs)
                    floats[in] = v[in].is_quantized() ? v[in].dequantize() : v[in];
                auto y = d->net->evalFloat(i, floats);
                v[i] = n.quant >= 0 ? torch::quantize_per_tensor(y.contiguous(), st.scale, st.zeroPoint,
                                                                 torch::kQUInt8)
                                    : y;
                break;
            }
        }
        for (int in : st.inputs)
            if (d->lastUse[in] == i && in != d->output && !keep[in]) v[in] = torch::Tensor();
    }
    auto toFloat = [](const torch::Tensor& t) { return t.is_quantized() ? t.dequantize() : t; };
    GraphNetImpl::Outputs out;
    out.output = toFloat(v[d->output]);
    for (const auto& [name, node] : wanted)
        out.taps[name] = toFloat(v[node]);
    return out;
}

}  // namespace distillery
