#include "core/internal/graph_net.h"

#include "core/internal/bn_relu.h"
#include "core/internal/memory_format.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace distillery {

namespace F = torch::nn::functional;

namespace {
struct OpNameEntry {
    OpKind op;
    const char* name;
};
constexpr OpNameEntry kOpNames[] = {
    {OpKind::Input, "input"},
    {OpKind::Conv, "conv"},
    {OpKind::BatchNorm, "bn"},
    {OpKind::ReLU, "relu"},
    {OpKind::ReLU6, "relu6"},
    {OpKind::Add, "add"},
    {OpKind::MaxPool, "maxpool"},
    {OpKind::AvgPool, "avgpool"},
    {OpKind::GlobalAvgPool, "gap"},
    {OpKind::AdaptiveAvgPool, "adaptive_avgpool"},
    {OpKind::Flatten, "flatten"},
    {OpKind::Linear, "linear"},
    {OpKind::Resize, "resize"},
    {OpKind::Concat, "concat"},
    {OpKind::Constant, "constant"},
    {OpKind::LeakyReLU, "leaky_relu"},
    {OpKind::Clip, "clip"},
    {OpKind::Sigmoid, "sigmoid"},
    {OpKind::HardSigmoid, "hardsigmoid"},
    {OpKind::HardSwish, "hardswish"},
    {OpKind::Mul, "mul"},
    {OpKind::Sub, "sub"},
    {OpKind::Div, "div"},
    {OpKind::GlobalMaxPool, "global_maxpool"},
    {OpKind::Reshape, "reshape"},
    {OpKind::Pad, "pad"},
    {OpKind::Softmax, "softmax"},
    {OpKind::Transpose, "transpose"},
    {OpKind::Slice, "slice"},
    {OpKind::Gather, "gather"},
    {OpKind::ConvTranspose, "conv_transpose"},
};
}  // namespace

const char* opName(OpKind op) {
    for (const auto& e : kOpNames)
        if (e.op == op) return e.name;
    return "?";
}

bool opFromName(const std::string& name, OpKind& op) {
    for (const auto& e : kOpNames)
        if (name == e.name) {
            op = e.op;
            return true;
        }
    return false;
}

std::string GraphNetImpl::autoName(const char* prefix) {
    return std::string(prefix) + std::to_string(mCounter++);
}

std::string GraphNetImpl::uniqueModuleName(const std::string& nodeName) {
    // Dots separate submodules in torch's state dicts; other characters ONNX names carry ('/', ':') are
    // replaced too so that the saved keys stay plain. The zoo's names only have dots, so its checkpoints keep
    // their keys.
    std::string base = nodeName;
    for (char& c : base)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') c = '_';
    if (base.empty()) base = "m";
    std::string name = base;
    for (int k = 2; mModuleNames.count(name); ++k)
        name = base + "_" + std::to_string(k);
    mModuleNames.insert(name);
    return name;
}

int GraphNetImpl::append(GraphNode node) {
    for (int in : node.inputs)
        if (in < 0 || in >= static_cast<int>(mNodes.size()))
            throw Error("graph: node '" + node.name + "' reads a node that does not exist yet");
    mNodes.push_back(std::move(node));
    return static_cast<int>(mNodes.size()) - 1;
}

int GraphNetImpl::addNode(GraphNode n) {
    if (n.name.empty()) n.name = autoName(opName(n.op));
    for (int in : n.inputs)
        if (in < 0 || in >= static_cast<int>(mNodes.size()))
            throw Error("graph: node '" + n.name + "' reads a node that does not exist yet");
    switch (n.op) {
        case OpKind::Conv: {
            if (n.inputs.size() != 1) throw Error("graph: conv '" + n.name + "' needs one input");
            const int64_t inChannels = mNodes[n.inputs[0]].channels;
            if (n.groups < 1 || inChannels % n.groups != 0 || n.channels % n.groups != 0)
                throw Error("graph: conv '" + n.name + "': " + std::to_string(inChannels) + " input and " +
                            std::to_string(n.channels) + " output channels do not split into " +
                            std::to_string(n.groups) + " groups");
            const bool sym = n.symmetricPads();
            auto options =
                torch::nn::Conv2dOptions(inChannels, n.channels, {n.kernel[0], n.kernel[1]})
                    .stride({n.stride[0], n.stride[1]})
                    .padding(sym ? std::vector<int64_t>{n.pads[0], n.pads[1]} : std::vector<int64_t>{0, 0})
                    .dilation({n.dilation[0], n.dilation[1]})
                    .groups(n.groups)
                    .bias(n.bias);
            n.moduleIndex = static_cast<int>(mConvs.size());
            auto module = register_module(uniqueModuleName(n.name), torch::nn::Conv2d(options));
            // Kaiming normal (fan_out), as torchvision's ResNets do; the default uniform init trains slower.
            torch::nn::init::kaiming_normal_(module->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (n.bias) torch::nn::init::zeros_(module->bias);
            mConvs.push_back(module);
            break;
        }
        case OpKind::ConvTranspose: {
            if (n.inputs.size() != 1) throw Error("graph: conv_transpose '" + n.name + "' needs one input");
            const int64_t inChannels = mNodes[n.inputs[0]].channels;
            if (n.groups < 1 || inChannels % n.groups != 0 || n.channels % n.groups != 0)
                throw Error("graph: conv_transpose '" + n.name + "': channels do not split into groups");
            const bool sym = n.symmetricPads();
            auto options =
                torch::nn::ConvTranspose2dOptions(inChannels, n.channels, {n.kernel[0], n.kernel[1]})
                    .stride({n.stride[0], n.stride[1]})
                    .padding(sym ? std::vector<int64_t>{n.pads[0], n.pads[1]} : std::vector<int64_t>{0, 0})
                    .output_padding(sym ? std::vector<int64_t>{n.outputPadding[0], n.outputPadding[1]}
                                        : std::vector<int64_t>{0, 0})
                    .dilation({n.dilation[0], n.dilation[1]})
                    .groups(n.groups)
                    .bias(n.bias);
            n.moduleIndex = static_cast<int>(mDeconvs.size());
            mDeconvs.push_back(
                register_module(uniqueModuleName(n.name), torch::nn::ConvTranspose2d(options)));
            break;
        }
        case OpKind::BatchNorm: {
            n.channels = mNodes.at(n.inputs.at(0)).channels;
            if (!(n.alpha > 0.0)) n.alpha = 1e-5;  // eps
            n.moduleIndex = static_cast<int>(mBns.size());
            mBns.push_back(register_module(
                uniqueModuleName(n.name),
                torch::nn::BatchNorm2d(torch::nn::BatchNorm2dOptions(n.channels).eps(n.alpha))));
            break;
        }
        case OpKind::Linear: {
            if (n.inFeatures <= 0) n.inFeatures = mNodes.at(n.inputs.at(0)).channels;
            n.moduleIndex = static_cast<int>(mLinears.size());
            mLinears.push_back(register_module(
                uniqueModuleName(n.name),
                torch::nn::Linear(torch::nn::LinearOptions(n.inFeatures, n.channels).bias(n.bias))));
            break;
        }
        case OpKind::Constant: {
            n.moduleIndex = static_cast<int>(mConsts.size());
            mConsts.push_back(register_buffer("const_" + uniqueModuleName(n.name), torch::zeros(n.shape)));
            break;
        }
        default:
            break;
    }
    return append(std::move(n));
}

int GraphNetImpl::input(int64_t channels) {
    GraphNode n;
    n.name = "input";
    n.op = OpKind::Input;
    n.channels = channels;
    return append(n);
}

int GraphNetImpl::conv(int x, int64_t outChannels, int64_t kernel, int64_t stride, int64_t groups,
                       int64_t dilation, bool bias, const std::string& name) {
    GraphNode n;
    n.name = name.empty() ? autoName("conv") : name;
    n.op = OpKind::Conv;
    n.inputs = {x};
    n.channels = outChannels;
    n.kernel = {kernel, kernel};
    n.stride = {stride, stride};
    n.groups = groups;
    n.dilation = {dilation, dilation};
    const int64_t pad = dilation * (kernel - 1) / 2;
    n.pads = {pad, pad, pad, pad};
    n.bias = bias;
    return addNode(n);
}

int GraphNetImpl::batchNorm(int x, const std::string& name) {
    GraphNode n;
    n.name = name.empty() ? autoName("bn") : name;
    n.op = OpKind::BatchNorm;
    n.inputs = {x};
    return addNode(n);
}

GraphNode GraphNetImpl::sameChannels(OpKind op, int x, const char* prefix) {
    GraphNode n;
    n.name = autoName(prefix);
    n.op = op;
    n.inputs = {x};
    n.channels = mNodes.at(x).channels;
    return n;
}

int GraphNetImpl::relu(int x) {
    return append(sameChannels(OpKind::ReLU, x, "relu"));
}

int GraphNetImpl::relu6(int x) {
    return append(sameChannels(OpKind::ReLU6, x, "relu6_"));
}

int GraphNetImpl::add(int a, int b) {
    if (mNodes.at(a).channels != mNodes.at(b).channels) throw Error("graph: add of unequal channel counts");
    GraphNode n;
    n.name = autoName("add");
    n.op = OpKind::Add;
    n.inputs = {a, b};
    n.channels = mNodes.at(a).channels;
    return append(n);
}

int GraphNetImpl::maxPool(int x, int64_t kernel, int64_t stride, int64_t padding) {
    GraphNode n = sameChannels(OpKind::MaxPool, x, "maxpool");
    n.kernel = {kernel, kernel};
    n.stride = {stride, stride};
    n.pads = {padding, padding, padding, padding};
    return append(n);
}

int GraphNetImpl::avgPool(int x, int64_t kernel, int64_t stride) {
    GraphNode n = sameChannels(OpKind::AvgPool, x, "avgpool");
    n.kernel = {kernel, kernel};
    n.stride = {stride, stride};
    return append(n);
}

int GraphNetImpl::globalAvgPool(int x) {
    return append(sameChannels(OpKind::GlobalAvgPool, x, "gap"));
}

int GraphNetImpl::adaptiveAvgPool(int x, int64_t bins) {
    GraphNode n = sameChannels(OpKind::AdaptiveAvgPool, x, "pool");
    n.bins = bins;
    return append(n);
}

int GraphNetImpl::flatten(int x) {
    return append(sameChannels(OpKind::Flatten, x, "flatten"));
}

int GraphNetImpl::linear(int x, int64_t outFeatures, const std::string& name) {
    GraphNode n;
    n.name = name.empty() ? autoName("fc") : name;
    n.op = OpKind::Linear;
    n.inputs = {x};
    n.channels = outFeatures;
    n.bias = true;
    return addNode(n);
}

int GraphNetImpl::resizeLike(int x, int reference) {
    GraphNode n;
    n.name = autoName("resize");
    n.op = OpKind::Resize;
    n.inputs = {x, reference};
    n.sizeOf = reference;
    n.channels = mNodes.at(x).channels;
    return append(n);
}

int GraphNetImpl::concat(const std::vector<int>& xs) {
    GraphNode n;
    n.name = autoName("concat");
    n.op = OpKind::Concat;
    n.inputs = xs;
    for (int x : xs)
        n.channels += mNodes.at(x).channels;
    return append(n);
}

int GraphNetImpl::constant(const torch::Tensor& value, const std::string& name) {
    GraphNode n;
    n.name = name;
    n.op = OpKind::Constant;
    n.shape = value.sizes().vec();
    n.channels = value.dim() >= 2 ? value.size(1) : (value.dim() == 1 ? value.size(0) : 1);
    const int index = addNode(n);
    torch::NoGradGuard noGrad;
    mConsts.back().copy_(value.to(torch::kFloat32));
    return index;
}

int GraphNetImpl::convBnAct(int x, int64_t outChannels, int64_t kernel, int64_t stride, int64_t groups,
                            int64_t dilation, bool relu6Act, const std::string& name) {
    int c = conv(x, outChannels, kernel, stride, groups, dilation, false,
                 name.empty() ? std::string() : name + ".conv");
    int b = batchNorm(c, name.empty() ? std::string() : name + ".bn");
    return relu6Act ? relu6(b) : relu(b);
}

void GraphNetImpl::tap(const std::string& name, int node) {
    if (hasTap(name)) throw Error("graph: duplicate tap '" + name + "'");
    mTaps.emplace_back(name, node);
}

void GraphNetImpl::setOutput(int node) {
    mOutput = node;
}

void GraphNetImpl::finalize() {
    // Free each intermediate after its last reader so that inference keeps only what is still needed.
    mLastUse.assign(mNodes.size(), -1);
    mConsumers.assign(mNodes.size(), 0);
    for (size_t i = 0; i < mNodes.size(); ++i)
        for (int in : mNodes[i].inputs) {
            mLastUse[in] = static_cast<int>(i);
            ++mConsumers[in];
        }
    if (mOutput < 0) mOutput = static_cast<int>(mNodes.size()) - 1;
}

bool GraphNetImpl::hasTap(const std::string& name) const {
    return std::any_of(mTaps.begin(), mTaps.end(), [&](const auto& t) { return t.first == name; });
}

int GraphNetImpl::tapNode(const std::string& name) const {
    auto it = std::find_if(mTaps.begin(), mTaps.end(), [&](const auto& t) { return t.first == name; });
    if (it == mTaps.end()) throw Error("unknown tap '" + name + "'");
    return it->second;
}

torch::Tensor& GraphNetImpl::moduleWeight(int node) {
    const GraphNode& n = mNodes.at(node);
    if (n.op == OpKind::Conv) return mConvs[n.moduleIndex]->weight;
    if (n.op == OpKind::ConvTranspose) return mDeconvs[n.moduleIndex]->weight;
    if (n.op == OpKind::Linear) return mLinears[n.moduleIndex]->weight;
    throw Error("layer '" + n.name + "' has no weights");
}

torch::Tensor& GraphNetImpl::moduleBias(int node) {
    const GraphNode& n = mNodes.at(node);
    if (!n.bias || (n.op != OpKind::Conv && n.op != OpKind::Linear && n.op != OpKind::ConvTranspose))
        throw Error("layer '" + n.name + "' has no bias");
    if (n.op == OpKind::ConvTranspose) return mDeconvs[n.moduleIndex]->bias;
    return n.op == OpKind::Conv ? mConvs[n.moduleIndex]->bias : mLinears[n.moduleIndex]->bias;
}

torch::nn::BatchNorm2d& GraphNetImpl::bnModule(int node) {
    const GraphNode& n = mNodes.at(node);
    if (n.op != OpKind::BatchNorm) throw Error("node '" + n.name + "' is not a batch norm");
    return mBns[n.moduleIndex];
}

torch::Tensor& GraphNetImpl::constantValue(int node) {
    const GraphNode& n = mNodes.at(node);
    if (n.op != OpKind::Constant) throw Error("node '" + n.name + "' is not a constant");
    return mConsts[n.moduleIndex];
}

int64_t GraphNetImpl::nodeParams(int node) const {
    const GraphNode& n = mNodes.at(node);
    int64_t count = 0;
    auto sum = [&](const torch::nn::Module& m) {
        for (const auto& p : m.parameters())
            count += p.numel();
    };
    switch (n.op) {
        case OpKind::Conv:
            sum(*mConvs[n.moduleIndex]);
            if (mFolded && mFoldBias[n.moduleIndex].defined()) count += mFoldBias[n.moduleIndex].numel();
            break;
        case OpKind::BatchNorm:
            if (!n.folded) sum(*mBns[n.moduleIndex]);
            break;
        case OpKind::Linear:
            sum(*mLinears[n.moduleIndex]);
            break;
        case OpKind::Constant:
            count += mConsts[n.moduleIndex].numel();
            break;
        case OpKind::ConvTranspose:
            sum(*mDeconvs[n.moduleIndex]);
            break;
        default:
            break;
    }
    return count;
}

namespace {

/** F::pad's order: (left, right, top, bottom). */
std::vector<int64_t> padArg(const std::array<int64_t, 4>& p) {
    return {p[1], p[3], p[0], p[2]};
}

bool anyPad(const std::array<int64_t, 4>& p) {
    return p[0] || p[1] || p[2] || p[3];
}

/** The input of a conv or pooling node whose pads torch cannot express (asymmetric): padded explicitly. */
torch::Tensor padExplicitly(const torch::Tensor& x, const GraphNode& n, double value = 0.0) {
    return F::pad(x, F::PadFuncOptions(padArg(n.pads)).mode(torch::kConstant).value(value));
}

/** torch's pooling takes symmetric pads of at most half the window. */
bool nativePoolPads(const GraphNode& n) {
    return n.symmetricPads() && 2 * n.pads[0] <= n.kernel[0] && 2 * n.pads[1] <= n.kernel[1];
}

torch::Tensor maxPoolValue(const GraphNode& n, const torch::Tensor& x) {
    const bool native = nativePoolPads(n);
    const torch::Tensor in = native ? x : padExplicitly(x, n, -std::numeric_limits<double>::infinity());
    return F::max_pool2d(
        in, F::MaxPool2dFuncOptions({n.kernel[0], n.kernel[1]})
                .stride({n.stride[0], n.stride[1]})
                .padding(native ? std::vector<int64_t>{n.pads[0], n.pads[1]} : std::vector<int64_t>{0, 0})
                .dilation({n.dilation[0], n.dilation[1]})
                .ceil_mode(n.ceilMode));
}

torch::Tensor avgPoolValue(const GraphNode& n, const torch::Tensor& x) {
    auto options = F::AvgPool2dFuncOptions({n.kernel[0], n.kernel[1]})
                       .stride({n.stride[0], n.stride[1]})
                       .ceil_mode(n.ceilMode);
    if (nativePoolPads(n))
        return F::avg_pool2d(x, options.padding({n.pads[0], n.pads[1]}).count_include_pad(n.countIncludePad));
    // Asymmetric pads: pool the zero-padded input; without count_include_pad divide by the share of real
    // pixels in each window instead of the whole window.
    auto sum = F::avg_pool2d(padExplicitly(x, n), options.padding(0));
    if (n.countIncludePad) return sum;
    auto ones = torch::ones({1, 1, x.size(2), x.size(3)}, x.options());
    auto share = F::avg_pool2d(padExplicitly(ones, n), options.padding(0));
    return sum / share.clamp_min(1e-12);
}

/** ONNX Resize's source coordinate for output pixel `i` along an axis of `in` → `out` pixels. */
double sourceCoordinate(ResizeCoord coord, int64_t i, int64_t in, int64_t out, double scale) {
    const double x = static_cast<double>(i);
    switch (coord) {
        case ResizeCoord::HalfPixel:
            return (x + 0.5) / scale - 0.5;
        case ResizeCoord::PytorchHalfPixel:
            return out > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
        case ResizeCoord::AlignCorners:
            return out > 1 ? x * static_cast<double>(in - 1) / static_cast<double>(out - 1) : 0.0;
        case ResizeCoord::Asymmetric:
            return x / scale;
        case ResizeCoord::TfHalfPixelForNearest:
            return (x + 0.5) / scale;
    }
    return x;
}

int64_t roundNearest(NearestRounding mode, double v) {
    switch (mode) {
        case NearestRounding::RoundPreferFloor:
            return static_cast<int64_t>(std::ceil(v - 0.5));
        case NearestRounding::RoundPreferCeil:
            return static_cast<int64_t>(std::floor(v + 0.5));
        case NearestRounding::Floor:
            return static_cast<int64_t>(std::floor(v));
        case NearestRounding::Ceil:
            return static_cast<int64_t>(std::ceil(v));
    }
    return static_cast<int64_t>(std::floor(v));
}

/** Resize along one axis by gathering (nearest) or blending two gathered rows (linear), exactly as the ONNX
 *  operator defines it for any coordinate mode. */
torch::Tensor resizeAxis(const torch::Tensor& x, int64_t dim, int64_t out, double scale, const GraphNode& n) {
    const int64_t in = x.size(dim);
    if (scale <= 0.0) scale = static_cast<double>(out) / static_cast<double>(in);
    std::vector<int64_t> i0(out), i1(out);
    std::vector<float> w(out);
    for (int64_t i = 0; i < out; ++i) {
        const double src = sourceCoordinate(n.resizeCoord, i, in, out, scale);
        if (n.resizeMode == ResizeMode::Nearest) {
            i0[i] = std::clamp<int64_t>(roundNearest(n.nearest, src), 0, in - 1);
        } else {
            const double v = std::clamp(src, 0.0, static_cast<double>(in - 1));
            i0[i] = static_cast<int64_t>(std::floor(v));
            i1[i] = std::min(i0[i] + 1, in - 1);
            w[i] = static_cast<float>(v - static_cast<double>(i0[i]));
        }
    }
    auto idx0 = torch::tensor(i0, torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
    auto a = x.index_select(dim, idx0);
    if (n.resizeMode == ResizeMode::Nearest) return a;
    auto idx1 = torch::tensor(i1, torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
    std::vector<int64_t> shape(x.dim(), 1);
    shape[dim] = out;
    auto weight = torch::tensor(w, x.options().dtype(torch::kFloat32)).to(x.scalar_type()).view(shape);
    return a + (x.index_select(dim, idx1) - a) * weight;
}

}  // namespace

std::array<int64_t, 2> resizeOutputSize(const GraphNode& n, const torch::Tensor& x,
                                        const std::vector<torch::Tensor>& values) {
    if (n.sizeOf >= 0) return {values.at(n.sizeOf).size(2), values.at(n.sizeOf).size(3)};
    if (n.outSize[0] > 0) return n.outSize;
    return {static_cast<int64_t>(std::floor(static_cast<double>(x.size(2)) * n.scales[0])),
            static_cast<int64_t>(std::floor(static_cast<double>(x.size(3)) * n.scales[1]))};
}

torch::Tensor resizeValue(const GraphNode& n, const torch::Tensor& x, std::array<int64_t, 2> size) {
    const int64_t oh = size[0], ow = size[1];
    if (oh == x.size(2) && ow == x.size(3) && n.resizeMode == ResizeMode::Bilinear &&
        n.resizeCoord != ResizeCoord::Asymmetric)
        return x;
    const bool byScale = n.sizeOf < 0 && n.outSize[0] <= 0;
    auto options = F::InterpolateFuncOptions();
    if (byScale)
        options.scale_factor(std::vector<double>{n.scales[0], n.scales[1]}).recompute_scale_factor(false);
    else
        options.size(std::vector<int64_t>{oh, ow});
    if (n.resizeMode == ResizeMode::Bilinear) {
        // torch's bilinear kernels are ONNX's half_pixel (and pytorch_half_pixel above one pixel) and
        // align_corners modes; the rest take the general path.
        const bool halfPixel = n.resizeCoord == ResizeCoord::HalfPixel ||
                               (n.resizeCoord == ResizeCoord::PytorchHalfPixel && oh > 1 && ow > 1);
        if (halfPixel) return F::interpolate(x, options.mode(torch::kBilinear).align_corners(false));
        if (n.resizeCoord == ResizeCoord::AlignCorners)
            return F::interpolate(x, F::InterpolateFuncOptions()
                                         .size(std::vector<int64_t>{oh, ow})
                                         .mode(torch::kBilinear)
                                         .align_corners(true));
    } else if (n.resizeCoord == ResizeCoord::Asymmetric && n.nearest == NearestRounding::Floor) {
        return F::interpolate(x, options.mode(torch::kNearest));
    }
    auto y = resizeAxis(x, 2, oh, byScale ? n.scales[0] : 0.0, n);
    return resizeAxis(y, 3, ow, byScale ? n.scales[1] : 0.0, n);
}

torch::Tensor reshapeValue(const GraphNode& n, const torch::Tensor& x) {
    std::vector<int64_t> shape = n.shape;
    for (size_t d = 0; d < shape.size(); ++d)
        if (shape[d] == 0) shape[d] = x.size(static_cast<int64_t>(d));
    return x.reshape(shape);
}

torch::Tensor GraphNetImpl::evalNode(const GraphNode& n, const std::vector<torch::Tensor>& v) {
    if (n.op == OpKind::Constant) return mConsts[n.moduleIndex];
    const torch::Tensor& x = n.inputs.empty() ? v[0] : v[n.inputs[0]];
    switch (n.op) {
        case OpKind::Input:
            return x;
        case OpKind::Conv: {
            const bool sym = n.symmetricPads();
            const torch::Tensor in = sym || !anyPad(n.pads) ? x : padExplicitly(x, n);
            if (!mFolded && !isQuantized()) return mConvs[n.moduleIndex]->forward(in);
            return F::conv2d(
                in, effectiveWeight(n),
                F::Conv2dFuncOptions()
                    .bias(effectiveBias(static_cast<int>(&n - mNodes.data())))
                    .stride({n.stride[0], n.stride[1]})
                    .padding(sym ? std::vector<int64_t>{n.pads[0], n.pads[1]} : std::vector<int64_t>{0, 0})
                    .dilation({n.dilation[0], n.dilation[1]})
                    .groups(n.groups));
        }
        case OpKind::BatchNorm:
            if (n.folded) return x;
            if (mBatchNormOverride && is_training()) return mBatchNormOverride(*mBns[n.moduleIndex], x);
            return mBns[n.moduleIndex]->forward(x);
        case OpKind::ReLU:
            return torch::relu(x);
        case OpKind::ReLU6:
            // LibTorch 1.13 has no bf16 hardtanh backward on CPU ("hardshrink_backward_cpu"); clamp has one
            // and differs only in the gradient at exactly 0 and 6. fp32 keeps PyTorch's ReLU6 bit for bit.
            if (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble)
                return torch::hardtanh(x, 0.0, 6.0);
            return torch::clamp(x, 0.0, 6.0);
        case OpKind::Add:
            return x + v[n.inputs[1]];
        case OpKind::Sub:
            return x - v[n.inputs[1]];
        case OpKind::Mul:
            return x * v[n.inputs[1]];
        case OpKind::Div:
            return x / v[n.inputs[1]];
        case OpKind::MaxPool:
            return maxPoolValue(n, x);
        case OpKind::AvgPool:
            return avgPoolValue(n, x);
        case OpKind::GlobalAvgPool:
            return x.mean({2, 3}, /*keepdim=*/true);
        case OpKind::GlobalMaxPool:
            return x.amax({2, 3}, /*keepdim=*/true);
        case OpKind::AdaptiveAvgPool:
            return F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(n.bins));
        case OpKind::Flatten:
            return x.flatten(1);
        case OpKind::Reshape:
            return reshapeValue(n, x);
        case OpKind::Linear:
            if (!isQuantized()) return mLinears[n.moduleIndex]->forward(x);
            return F::linear(x, effectiveWeight(n), effectiveBias(static_cast<int>(&n - mNodes.data())));
        case OpKind::Resize:
            return resizeValue(n, x, resizeOutputSize(n, x, v));
        case OpKind::Concat: {
            std::vector<torch::Tensor> parts;
            for (int in : n.inputs)
                parts.push_back(v[in]);
            return torch::cat(parts, n.axis);
        }
        case OpKind::LeakyReLU:
            return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(n.alpha));
        case OpKind::Clip:
            return torch::clamp(x, n.alpha, n.beta);
        case OpKind::Sigmoid:
            return torch::sigmoid(x);
        case OpKind::HardSigmoid:
            return torch::clamp(x * n.alpha + n.beta, 0.0, 1.0);
        case OpKind::HardSwish:
            return x * torch::clamp(x + 3.0, 0.0, 6.0) / 6.0;
        case OpKind::Pad: {
            auto options = F::PadFuncOptions(padArg(n.pads));
            if (n.padMode == PadMode::Reflect) return F::pad(x, options.mode(torch::kReflect));
            if (n.padMode == PadMode::Edge) return F::pad(x, options.mode(torch::kReplicate));
            return F::pad(x, options.mode(torch::kConstant).value(n.alpha));
        }
        case OpKind::Softmax:
            return torch::softmax(x, n.axis);
        case OpKind::Transpose:
            return x.permute(n.shape);
        case OpKind::Slice:
            return x.slice(n.axis, n.shape.at(0), n.shape.at(1), n.shape.at(2));
        case OpKind::Gather: {
            auto idx = torch::tensor(n.shape, torch::TensorOptions().dtype(torch::kInt64).device(x.device()));
            auto y = x.index_select(n.axis, idx);
            return n.bins == 1 ? y.squeeze(n.axis) : y;
        }
        case OpKind::ConvTranspose: {
            auto& m = mDeconvs[n.moduleIndex];
            if (n.symmetricPads()) return m->forward(x);
            // Asymmetric pads: the full transposed convolution, cropped (ONNX: pads remove output pixels).
            auto y = F::conv_transpose2d(x, m->weight,
                                         F::ConvTranspose2dFuncOptions()
                                             .bias(n.bias ? m->bias : torch::Tensor())
                                             .stride({n.stride[0], n.stride[1]})
                                             .output_padding({n.outputPadding[0], n.outputPadding[1]})
                                             .groups(n.groups)
                                             .dilation({n.dilation[0], n.dilation[1]}));
            return y.slice(2, n.pads[0], y.size(2) - n.pads[2]).slice(3, n.pads[1], y.size(3) - n.pads[3]);
        }
        case OpKind::Constant:
            break;
    }
    throw Error("graph: node '" + n.name + "' has an op this engine cannot run");
}

torch::Tensor GraphNetImpl::evalFloat(int node, const std::vector<torch::Tensor>& values) {
    return evalNode(mNodes.at(node), values);
}

std::vector<torch::Tensor> GraphNetImpl::runAll(const torch::Tensor& x) {
    std::vector<torch::Tensor> values(mNodes.size());
    values[0] = quantizeOutput(mNodes[0], x);
    for (size_t i = 1; i < mNodes.size(); ++i)
        values[i] = quantizeOutput(mNodes[i], evalNode(mNodes[i], values));
    return values;
}

GraphNetImpl::Outputs GraphNetImpl::run(const torch::Tensor& x, const std::vector<std::string>& taps) {
    std::vector<char> keep(mNodes.size(), 0);
    std::vector<std::pair<std::string, int>> wanted;
    for (const auto& name : taps) {
        wanted.emplace_back(name, tapNode(name));
        keep[wanted.back().second] = 1;
    }
    keep[mOutput] = 1;
    std::vector<torch::Tensor> values(mNodes.size());
    std::vector<char> fusedWithRelu(mNodes.size(), 0);
    // A residual block's end, bn(x) + r → ReLU, where the batch norm's output is read by the addition alone
    // and the sum by the activation alone: the batch norm waits for the addition, and the three run as one
    // operation (core/bn_relu.cpp) there. Its input must live until then: nothing after the batch norm reads
    // it.
    std::vector<char> deferred(mNodes.size(), 0);
    if (is_training() && !isQuantized() && !mBatchNormOverride && fusedBatchNormReluEnabled())
        for (size_t j = 1; j < mNodes.size(); ++j) {
            const GraphNode& add = mNodes[j];
            if (add.op != OpKind::Add || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1] ||
                keep[j] || mConsumers[j] != 1)
                continue;
            const OpKind act = mNodes[mLastUse[j]].op;
            if (act != OpKind::ReLU && act != OpKind::ReLU6) continue;
            for (int b : add.inputs) {
                const GraphNode& bnNode = mNodes[b];
                if (bnNode.op == OpKind::BatchNorm && !bnNode.folded && !keep[b] && mConsumers[b] == 1 &&
                    mLastUse[bnNode.inputs[0]] == b) {
                    deferred[b] = 1;
                    break;
                }
            }
        }
    values[0] = quantizeOutput(mNodes[0], x);
    for (size_t i = 1; i < mNodes.size(); ++i) {
        const GraphNode& n = mNodes[i];
        if (deferred[i]) continue;  // run at its addition
        if (n.op == OpKind::Add && n.inputs.size() == 2 && (deferred[n.inputs[0]] || deferred[n.inputs[1]])) {
            const int b = deferred[n.inputs[0]] ? n.inputs[0] : n.inputs[1];
            const int other = b == n.inputs[0] ? n.inputs[1] : n.inputs[0];
            const GraphNode& bnNode = mNodes[b];
            const int in = bnNode.inputs[0];
            torch::nn::BatchNorm2dImpl& bn = *mBns[bnNode.moduleIndex];
            if (fusedBatchNormAddReluApplies(bn, values[in], values[other])) {
                const bool six = mNodes[mLastUse[i]].op == OpKind::ReLU6;
                values[i] = six ? fusedBatchNormAddRelu(bn, values[in], values[other], 6.0)
                                : fusedBatchNormAddRelu(bn, values[in], values[other]);
                fusedWithRelu[i] = 1;
                if (!keep[in]) values[in] = torch::Tensor();
                if (mLastUse[other] == static_cast<int>(i) && !keep[other]) values[other] = torch::Tensor();
                continue;
            }
            // Not here (another type, layout or shape): the batch norm as it would have run, then the
            // addition.
            values[b] = evalNode(bnNode, values);
            if (!keep[in]) values[in] = torch::Tensor();
        }
        if (n.op == OpKind::BatchNorm && !n.folded && !isQuantized() && !mBatchNormOverride && !keep[i] &&
            i < mConsumers.size() && mConsumers[i] == 1 &&
            (mNodes[mLastUse[i]].op == OpKind::ReLU || mNodes[mLastUse[i]].op == OpKind::ReLU6)) {
            // Batch norm in training mode whose only reader is a ReLU or ReLU6: both in one operation
            // (core/bn_relu.cpp), and the activation passes the result on.
            const int in = n.inputs[0];
            torch::nn::BatchNorm2dImpl& bn = *mBns[n.moduleIndex];
            if (fusedBatchNormReluApplies(bn, values[in])) {
                const bool six = mNodes[mLastUse[i]].op == OpKind::ReLU6;
                values[i] =
                    six ? fusedBatchNormRelu(bn, values[in], 6.0) : fusedBatchNormRelu(bn, values[in]);
                fusedWithRelu[i] = 1;
                if (mLastUse[in] == static_cast<int>(i) && !keep[in]) values[in] = torch::Tensor();
                continue;
            }
        }
        if ((n.op == OpKind::ReLU || n.op == OpKind::ReLU6) && fusedWithRelu[n.inputs[0]]) {
            values[i] = std::move(values[n.inputs[0]]);
            values[n.inputs[0]] = torch::Tensor();
            continue;
        }
        if (n.op == OpKind::ReLU && !isQuantized()) {
            // A ReLU after a batch norm or an addition that nothing else reads runs in place: neither saves
            // its output for the backward pass, so autograd allows it, and the step writes one feature map
            // less.
            const int in = n.inputs[0];
            const GraphNode& producer = mNodes[in];
            const bool producerFree =
                (producer.op == OpKind::BatchNorm && !producer.folded) || producer.op == OpKind::Add;
            if (producerFree && in < static_cast<int>(mConsumers.size()) && mConsumers[in] == 1 &&
                !keep[in] && values[in].defined()) {
                values[i] = torch::relu_(values[in]);
                values[in] = torch::Tensor();
                continue;
            }
        }
        values[i] = quantizeOutput(n, evalNode(n, values));
        for (int in : mNodes[i].inputs)
            if (mLastUse[in] == static_cast<int>(i) && !keep[in]) values[in] = torch::Tensor();
    }
    Outputs out;
    out.output = values[mOutput];
    for (const auto& [name, node] : wanted)
        out.taps[name] = values[node];
    return out;
}

torch::Tensor exactChannelsLast(const torch::Tensor& t) {
    if (t.dim() != 4 || t.is_mkldnn() || t.is_quantized()) return t;
    const auto want = c10::get_channels_last_strides_2d(t.sizes());
    if (t.strides() == c10::IntArrayRef(want)) return t;
    return torch::empty(t.sizes(), t.options().memory_format(torch::MemoryFormat::ChannelsLast)).copy_(t);
}

void useChannelsLast(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    for (auto& p : module.parameters())
        if (p.dim() == 4) p.set_data(exactChannelsLast(p.data()));
}

void GraphNetImpl::useChannelsLast() {
    distillery::useChannelsLast(*this);
}

torch::Tensor GraphNetImpl::forward(const torch::Tensor& x) {
    return run(x, {}).output;
}

// ---- structure as JSON ----------------------------------------------------------------------------------

namespace {

template <typename E>
struct EnumNames {
    E value;
    const char* name;
};
constexpr EnumNames<ResizeMode> kResizeModes[] = {{ResizeMode::Bilinear, "linear"},
                                                  {ResizeMode::Nearest, "nearest"}};
constexpr EnumNames<ResizeCoord> kResizeCoords[] = {
    {ResizeCoord::HalfPixel, "half_pixel"},
    {ResizeCoord::PytorchHalfPixel, "pytorch_half_pixel"},
    {ResizeCoord::AlignCorners, "align_corners"},
    {ResizeCoord::Asymmetric, "asymmetric"},
    {ResizeCoord::TfHalfPixelForNearest, "tf_half_pixel_for_nearest"}};
constexpr EnumNames<NearestRounding> kNearestModes[] = {
    {NearestRounding::RoundPreferFloor, "round_prefer_floor"},
    {NearestRounding::RoundPreferCeil, "round_prefer_ceil"},
    {NearestRounding::Floor, "floor"},
    {NearestRounding::Ceil, "ceil"}};
constexpr EnumNames<PadMode> kPadModes[] = {
    {PadMode::Constant, "constant"}, {PadMode::Reflect, "reflect"}, {PadMode::Edge, "edge"}};

template <typename E, size_t N>
const char* enumName(const EnumNames<E> (&table)[N], E value) {
    for (const auto& e : table)
        if (e.value == value) return e.name;
    return "?";
}

template <typename E, size_t N>
E enumValue(const EnumNames<E> (&table)[N], const std::string& name, const std::string& what) {
    for (const auto& e : table)
        if (name == e.name) return e.value;
    throw Error("unknown " + what + " '" + name + "'");
}

}  // namespace

const char* resizeModeName(ResizeMode m) {
    return enumName(kResizeModes, m);
}
const char* resizeCoordName(ResizeCoord c) {
    return enumName(kResizeCoords, c);
}
const char* nearestRoundingName(NearestRounding r) {
    return enumName(kNearestModes, r);
}
const char* padModeName(PadMode m) {
    return enumName(kPadModes, m);
}
bool resizeCoordFromName(const std::string& name, ResizeCoord& out) {
    for (const auto& e : kResizeCoords)
        if (name == e.name) {
            out = e.value;
            return true;
        }
    return false;
}
bool nearestRoundingFromName(const std::string& name, NearestRounding& out) {
    for (const auto& e : kNearestModes)
        if (name == e.name) {
            out = e.value;
            return true;
        }
    return false;
}

std::string GraphNetImpl::structureJson() const {
    nlohmann::json nodes = nlohmann::json::array();
    for (const auto& n : mNodes) {
        nlohmann::json j = {
            {"name", n.name}, {"op", opName(n.op)}, {"inputs", n.inputs}, {"channels", n.channels}};
        if (n.op == OpKind::Conv || n.op == OpKind::MaxPool || n.op == OpKind::AvgPool ||
            n.op == OpKind::ConvTranspose) {
            j["kernel"] = n.kernel;
            j["stride"] = n.stride;
            j["dilation"] = n.dilation;
            j["pads"] = n.pads;
        }
        if (n.op == OpKind::Pad) j["pads"] = n.pads;
        if (n.op == OpKind::Conv || n.op == OpKind::ConvTranspose) j["groups"] = n.groups;
        if (n.op == OpKind::ConvTranspose) j["output_padding"] = n.outputPadding;
        if (n.op == OpKind::Conv || n.op == OpKind::Linear || n.op == OpKind::ConvTranspose)
            j["bias"] = n.bias;
        if (n.op == OpKind::Linear) j["in_features"] = n.inFeatures;
        if (n.op == OpKind::MaxPool || n.op == OpKind::AvgPool) {
            j["ceil_mode"] = n.ceilMode;
            j["count_include_pad"] = n.countIncludePad;
        }
        if (n.op == OpKind::AdaptiveAvgPool || n.op == OpKind::Gather) j["bins"] = n.bins;
        if (n.op == OpKind::Slice || n.op == OpKind::Gather) j["axis"] = n.axis;
        if (n.op == OpKind::Resize) {
            j["size_of"] = n.sizeOf;
            j["mode"] = resizeModeName(n.resizeMode);
            j["coordinate_transformation_mode"] = resizeCoordName(n.resizeCoord);
            j["nearest_mode"] = nearestRoundingName(n.nearest);
            j["out_size"] = n.outSize;
            j["scales"] = n.scales;
        }
        if (n.alpha != 0.0) j["alpha"] = n.alpha;
        if (n.beta != 0.0) j["beta"] = n.beta;
        if (n.op == OpKind::Concat || n.op == OpKind::Softmax) j["axis"] = n.axis;
        if (n.op == OpKind::Reshape || n.op == OpKind::Constant || n.op == OpKind::Transpose ||
            n.op == OpKind::Slice || n.op == OpKind::Gather)
            j["shape"] = n.shape;
        if (n.op == OpKind::Pad) j["pad_mode"] = padModeName(n.padMode);
        nodes.push_back(j);
    }
    nlohmann::json taps = nlohmann::json::array();
    for (const auto& [name, node] : mTaps)
        taps.push_back({name, node});
    return nlohmann::json{{"format", 1}, {"nodes", nodes}, {"taps", taps}, {"output", mOutput}}.dump();
}

GraphNet graphFromJson(const std::string& text, const std::string& source) {
    GraphNet net;
    GraphNetImpl& g = *net;
    try {
        const auto j = nlohmann::json::parse(text);
        const auto& nodes = j.at("nodes");
        for (size_t i = 0; i < nodes.size(); ++i) {
            const auto& e = nodes[i];
            GraphNode n;
            n.name = e.at("name").get<std::string>();
            if (!opFromName(e.at("op").get<std::string>(), n.op))
                throw Error("node " + std::to_string(i) + " has the unknown op '" +
                            e.at("op").get<std::string>() + "'");
            n.inputs = e.at("inputs").get<std::vector<int>>();
            n.channels = e.at("channels").get<int64_t>();
            n.kernel = e.value("kernel", n.kernel);
            n.stride = e.value("stride", n.stride);
            n.dilation = e.value("dilation", n.dilation);
            n.pads = e.value("pads", n.pads);
            n.groups = e.value("groups", n.groups);
            n.outputPadding = e.value("output_padding", n.outputPadding);
            n.bias = e.value("bias", n.bias);
            n.inFeatures = e.value("in_features", n.inFeatures);
            n.ceilMode = e.value("ceil_mode", n.ceilMode);
            n.countIncludePad = e.value("count_include_pad", n.countIncludePad);
            n.bins = e.value("bins", n.bins);
            n.sizeOf = e.value("size_of", n.sizeOf);
            if (e.contains("mode"))
                n.resizeMode = enumValue(kResizeModes, e["mode"].get<std::string>(), "resize mode");
            if (e.contains("coordinate_transformation_mode"))
                n.resizeCoord =
                    enumValue(kResizeCoords, e["coordinate_transformation_mode"].get<std::string>(),
                              "coordinate_transformation_mode");
            if (e.contains("nearest_mode"))
                n.nearest = enumValue(kNearestModes, e["nearest_mode"].get<std::string>(), "nearest_mode");
            n.outSize = e.value("out_size", n.outSize);
            n.scales = e.value("scales", n.scales);
            n.alpha = e.value("alpha", n.alpha);
            n.beta = e.value("beta", n.beta);
            n.axis = e.value("axis", n.axis);
            n.shape = e.value("shape", n.shape);
            if (e.contains("pad_mode"))
                n.padMode = enumValue(kPadModes, e["pad_mode"].get<std::string>(), "pad mode");
            for (int in : n.inputs)
                if (in < 0 || in >= static_cast<int>(i))
                    throw Error("node " + std::to_string(i) + " reads node " + std::to_string(in));
            if (i == 0 && n.op != OpKind::Input) throw Error("the first node is not the input");
            if (n.op == OpKind::Input)
                g.input(n.channels);
            else
                g.addNode(n);
        }
        for (const auto& t : j.at("taps")) {
            const int node = t.at(1).get<int>();
            if (node < 0 || node >= static_cast<int>(nodes.size())) throw Error("a tap names a missing node");
            g.tap(t.at(0).get<std::string>(), node);
        }
        const int output = j.at("output").get<int>();
        if (output < 0 || output >= static_cast<int>(nodes.size())) throw Error("the output is not a node");
        g.setOutput(output);
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": the model structure is not valid (" + std::string(e.what()) + ")");
    } catch (const Error& e) {
        throw Error(source + ": the model structure is not valid (" + std::string(e.what()) + ")");
    }
    g.finalize();
    return net;
}

ModelInfo measureModel(GraphNet& net, const ModelSpec& spec, Task task, int64_t inChannels,
                       int64_t numClasses, int64_t height, int64_t width) {
    ModelInfo info;
    info.arch = spec.displayName();
    info.onnx = spec.onnx;
    info.head = spec.head;
    info.task = task;
    info.inChannels = inChannels;
    info.numClasses = numClasses;
    info.inputH = height;
    info.inputW = width;

    torch::NoGradGuard noGrad;
    const bool wasTraining = net->is_training();
    net->eval();
    auto device = net->parameters().empty() ? torch::Device(torch::kCPU) : net->parameters()[0].device();
    auto values =
        net->runAll(torch::zeros({1, inChannels, height, width}, torch::TensorOptions().device(device)));
    net->train(wasTraining);

    const auto& nodes = net->nodes();
    for (size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode& n = nodes[i];
        LayerInfo layer;
        layer.name = n.name;
        layer.op = opName(n.op);
        for (int in : n.inputs)
            layer.inputs.push_back(nodes[in].name);
        auto sizes = values[i].sizes();
        if (n.op == OpKind::Constant)  // no batch dimension: the constant as it is broadcast
            layer.outShape.assign(sizes.begin(), sizes.end());
        else if (!sizes.empty())
            layer.outShape.assign(sizes.begin() + 1, sizes.end());
        layer.params = net->nodeParams(static_cast<int>(i));
        if (n.op == OpKind::Conv) {
            const int64_t inC = nodes[n.inputs[0]].channels;
            layer.macs = values[i].numel() * (inC / n.groups) * n.kernel[0] * n.kernel[1];
        } else if (n.op == OpKind::ConvTranspose) {
            // Every input pixel scatters a kernel into (out / groups) channels.
            const int64_t inputs = values[n.inputs[0]].numel();
            layer.macs = inputs * (n.channels / n.groups) * n.kernel[0] * n.kernel[1];
        } else if (n.op == OpKind::Linear) {
            // Every output row (one per sample for 2-D inputs) costs in × out.
            layer.macs = values[i].numel() / std::max<int64_t>(1, n.channels) * n.inFeatures * n.channels;
        }
        info.params += layer.params;
        info.macs += layer.macs;
        info.layers.push_back(std::move(layer));
    }
    for (const auto& [name, node] : net->tapList()) {
        auto sizes = values[node].sizes();
        info.taps.push_back({name, std::vector<int64_t>(sizes.begin() + 1, sizes.end())});
    }
    return info;
}

}  // namespace distillery
