#include "core/graph_net.h"

#include <algorithm>

namespace distillery {

namespace F = torch::nn::functional;

const char* opName(OpKind op) {
    switch (op) {
        case OpKind::Input:
            return "input";
        case OpKind::Conv:
            return "conv";
        case OpKind::BatchNorm:
            return "bn";
        case OpKind::ReLU:
            return "relu";
        case OpKind::ReLU6:
            return "relu6";
        case OpKind::Add:
            return "add";
        case OpKind::MaxPool:
            return "maxpool";
        case OpKind::AvgPool:
            return "avgpool";
        case OpKind::GlobalAvgPool:
            return "gap";
        case OpKind::AdaptiveAvgPool:
            return "adaptive_avgpool";
        case OpKind::Flatten:
            return "flatten";
        case OpKind::Linear:
            return "linear";
        case OpKind::Resize:
            return "resize";
        case OpKind::Concat:
            return "concat";
    }
    return "?";
}

namespace {
std::string moduleName(const std::string& nodeName) {
    std::string s = nodeName;
    std::replace(s.begin(), s.end(), '.', '_');
    return s;
}
}  // namespace

std::string GraphNetImpl::autoName(const char* prefix) {
    return std::string(prefix) + std::to_string(mCounter++);
}

int GraphNetImpl::append(GraphNode node) {
    for (int in : node.inputs)
        TORCH_CHECK(in >= 0 && in < static_cast<int>(mNodes.size()), "bad graph input");
    mNodes.push_back(std::move(node));
    return static_cast<int>(mNodes.size()) - 1;
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
    n.kernel = kernel;
    n.stride = stride;
    n.groups = groups;
    n.dilation = dilation;
    n.padding = dilation * (kernel - 1) / 2;
    n.bias = bias;
    const int64_t inChannels = mNodes.at(x).channels;
    auto options = torch::nn::Conv2dOptions(inChannels, outChannels, kernel)
                       .stride(stride)
                       .padding(n.padding)
                       .dilation(dilation)
                       .groups(groups)
                       .bias(bias);
    n.moduleIndex = static_cast<int>(mConvs.size());
    auto module = register_module(moduleName(n.name), torch::nn::Conv2d(options));
    // Kaiming normal (fan_out), as torchvision's ResNets do; the default uniform init trains slower.
    torch::nn::init::kaiming_normal_(module->weight, 0.0, torch::kFanOut, torch::kReLU);
    if (bias) torch::nn::init::zeros_(module->bias);
    mConvs.push_back(module);
    return append(n);
}

int GraphNetImpl::batchNorm(int x, const std::string& name) {
    GraphNode n;
    n.name = name.empty() ? autoName("bn") : name;
    n.op = OpKind::BatchNorm;
    n.inputs = {x};
    n.channels = mNodes.at(x).channels;
    n.moduleIndex = static_cast<int>(mBns.size());
    mBns.push_back(register_module(moduleName(n.name), torch::nn::BatchNorm2d(n.channels)));
    return append(n);
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
    TORCH_CHECK(mNodes.at(a).channels == mNodes.at(b).channels, "add: channel mismatch");
    GraphNode n;
    n.name = autoName("add");
    n.op = OpKind::Add;
    n.inputs = {a, b};
    n.channels = mNodes.at(a).channels;
    return append(n);
}

int GraphNetImpl::maxPool(int x, int64_t kernel, int64_t stride, int64_t padding) {
    GraphNode n = sameChannels(OpKind::MaxPool, x, "maxpool");
    n.kernel = kernel;
    n.stride = stride;
    n.padding = padding;
    return append(n);
}

int GraphNetImpl::avgPool(int x, int64_t kernel, int64_t stride) {
    GraphNode n = sameChannels(OpKind::AvgPool, x, "avgpool");
    n.kernel = kernel;
    n.stride = stride;
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
    n.moduleIndex = static_cast<int>(mLinears.size());
    mLinears.push_back(
        register_module(moduleName(n.name), torch::nn::Linear(mNodes.at(x).channels, outFeatures)));
    return append(n);
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

int GraphNetImpl::convBnAct(int x, int64_t outChannels, int64_t kernel, int64_t stride, int64_t groups,
                            int64_t dilation, bool relu6Act, const std::string& name) {
    int c = conv(x, outChannels, kernel, stride, groups, dilation, false,
                 name.empty() ? std::string() : name + ".conv");
    int b = batchNorm(c, name.empty() ? std::string() : name + ".bn");
    return relu6Act ? relu6(b) : relu(b);
}

void GraphNetImpl::tap(const std::string& name, int node) {
    TORCH_CHECK(!hasTap(name), "duplicate tap ", name);
    mTaps.emplace_back(name, node);
}

void GraphNetImpl::setOutput(int node) {
    mOutput = node;
}

void GraphNetImpl::finalize() {
    // Free each intermediate after its last reader so that inference keeps only what is still needed.
    mLastUse.assign(mNodes.size(), -1);
    for (size_t i = 0; i < mNodes.size(); ++i)
        for (int in : mNodes[i].inputs)
            mLastUse[in] = static_cast<int>(i);
    if (mOutput < 0) mOutput = static_cast<int>(mNodes.size()) - 1;
}

bool GraphNetImpl::hasTap(const std::string& name) const {
    return std::any_of(mTaps.begin(), mTaps.end(), [&](const auto& t) { return t.first == name; });
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
        default:
            break;
    }
    return count;
}

torch::Tensor GraphNetImpl::evalNode(const GraphNode& n, const std::vector<torch::Tensor>& v) {
    const torch::Tensor& x = n.inputs.empty() ? v[0] : v[n.inputs[0]];
    switch (n.op) {
        case OpKind::Input:
            return x;
        case OpKind::Conv: {
            if (!mFolded && !isQuantized()) return mConvs[n.moduleIndex]->forward(x);
            return F::conv2d(x, effectiveWeight(n),
                             F::Conv2dFuncOptions()
                                 .bias(effectiveBias(static_cast<int>(&n - mNodes.data())))
                                 .stride(n.stride)
                                 .padding(n.padding)
                                 .dilation(n.dilation)
                                 .groups(n.groups));
        }
        case OpKind::BatchNorm:
            if (n.folded) return x;
            return mBns[n.moduleIndex]->forward(x);
        case OpKind::ReLU:
            return torch::relu(x);
        case OpKind::ReLU6:
            return torch::hardtanh(x, 0.0, 6.0);
        case OpKind::Add:
            return x + v[n.inputs[1]];
        case OpKind::MaxPool:
            return F::max_pool2d(x, F::MaxPool2dFuncOptions(n.kernel).stride(n.stride).padding(n.padding));
        case OpKind::AvgPool:
            return F::avg_pool2d(x, F::AvgPool2dFuncOptions(n.kernel).stride(n.stride));
        case OpKind::GlobalAvgPool:
            return x.mean({2, 3}, /*keepdim=*/true);
        case OpKind::AdaptiveAvgPool:
            return F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(n.bins));
        case OpKind::Flatten:
            return x.flatten(1);
        case OpKind::Linear:
            if (!isQuantized()) return mLinears[n.moduleIndex]->forward(x);
            return F::linear(x, effectiveWeight(n), effectiveBias(static_cast<int>(&n - mNodes.data())));
        case OpKind::Resize: {
            const auto& ref = v[n.sizeOf];
            if (x.size(2) == ref.size(2) && x.size(3) == ref.size(3)) return x;
            return F::interpolate(x, F::InterpolateFuncOptions()
                                         .size(std::vector<int64_t>{ref.size(2), ref.size(3)})
                                         .mode(torch::kBilinear)
                                         .align_corners(false));
        }
        case OpKind::Concat: {
            std::vector<torch::Tensor> parts;
            for (int in : n.inputs)
                parts.push_back(v[in]);
            return torch::cat(parts, 1);
        }
    }
    TORCH_CHECK(false, "unknown op");
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
        auto it = std::find_if(mTaps.begin(), mTaps.end(), [&](const auto& t) { return t.first == name; });
        if (it == mTaps.end()) throw Error("unknown tap '" + name + "'");
        keep[it->second] = 1;
        wanted.push_back(*it);
    }
    keep[mOutput] = 1;
    std::vector<torch::Tensor> values(mNodes.size());
    values[0] = quantizeOutput(mNodes[0], x);
    for (size_t i = 1; i < mNodes.size(); ++i) {
        values[i] = quantizeOutput(mNodes[i], evalNode(mNodes[i], values));
        for (int in : mNodes[i].inputs)
            if (mLastUse[in] == static_cast<int>(i) && !keep[in]) values[in] = torch::Tensor();
    }
    Outputs out;
    out.output = values[mOutput];
    for (const auto& [name, node] : wanted)
        out.taps[name] = values[node];
    return out;
}

void useChannelsLast(torch::nn::Module& module) {
    torch::NoGradGuard noGrad;
    for (auto& p : module.parameters())
        if (p.dim() == 4) p.set_data(p.data().contiguous(torch::MemoryFormat::ChannelsLast));
}

void GraphNetImpl::useChannelsLast() {
    distillery::useChannelsLast(*this);
}

torch::Tensor GraphNetImpl::forward(const torch::Tensor& x) {
    return run(x, {}).output;
}

ModelInfo measureModel(GraphNet& net, const ModelSpec& spec, Task task, int64_t inChannels,
                       int64_t numClasses, int64_t height, int64_t width) {
    ModelInfo info;
    info.arch = spec.arch;
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
        layer.outShape.assign(sizes.begin() + 1, sizes.end());
        layer.params = net->nodeParams(static_cast<int>(i));
        if (n.op == OpKind::Conv) {
            const int64_t inC = nodes[n.inputs[0]].channels;
            layer.macs = values[i].numel() * (inC / n.groups) * n.kernel * n.kernel;
        } else if (n.op == OpKind::Linear) {
            layer.macs = nodes[n.inputs[0]].channels * n.channels;
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
