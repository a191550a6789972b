// ONNX export of a run's student. GraphNet's op set maps one to one onto ONNX opset 13: the fp32 file holds
// the BatchNorm-folded float weights; the int8 file puts a QuantizeLinear/DequantizeLinear pair ("QDQ") on
// every output the engine quantizes, stores conv/linear weights as int8 (per output channel) and biases as
// int32, so that onnxruntime, TensorRT and OpenVINO run it with integer kernels. A model card (JSON) beside
// the file says how to feed it and what it measured in Distillery.

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/dataset.h"
#include "core/detection.h"
#include "core/engine.h"
#include "core/imaging.h"
#include "core/internal/checkpoint.h"
#include "core/internal/evaluation.h"
#include "core/internal/quant_internal.h"
#include "core/quantize.h"
#include "core/run_files.h"
#include "core/run_folder.h"

namespace distillery {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int64_t kOpset = 13;
constexpr int64_t kIrVersion = 7;  // the IR of opset 13 (ONNX 1.8); every runtime of the last years reads it
const char* const kProducer = "Distillery";
const char* const kInputName = "input";
const char* const kOutputName = "output";
const char* const kBatchDim = "batch";

std::string firstLineOf(const std::string& text) {
    const size_t end = text.find_first_of("\r\n");
    return end == std::string::npos ? text : text.substr(0, end);
}

// ---- building the graph -----------------------------------------------------------------------------

void attrInt(onnx::NodeProto* node, const std::string& name, int64_t value) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(value);
}

void attrInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : values)
        a->add_ints(v);
}

void attrFloat(onnx::NodeProto* node, const std::string& name, float value) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
}

void attrString(onnx::NodeProto* node, const std::string& name, const std::string& value) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(value);
}

/** Appends nodes and initializers to a graph, keeping every tensor and node name unique. */
class GraphBuilder {
public:
    explicit GraphBuilder(onnx::GraphProto* graph) : mGraph(graph) {
        mUsed.insert(kInputName);
        mUsed.insert(kOutputName);
    }

    std::string unique(const std::string& base) {
        std::string name = base;
        for (int k = 1; !mUsed.insert(name).second; ++k)
            name = base + "_" + std::to_string(k);
        return name;
    }

    /** A node with one output named after `base`; returns the output's name. */
    std::string node(const std::string& op, const std::vector<std::string>& inputs, const std::string& base,
                     onnx::NodeProto** made = nullptr) {
        const std::string output = unique(base);
        auto* n = mGraph->add_node();
        n->set_op_type(op);
        // Node names are optional; leaving them out keeps int8 files small (outputs carry the names).
        for (const auto& in : inputs)
            n->add_input(in);
        n->add_output(output);
        if (made) *made = n;
        return output;
    }

    std::string initializer(const std::string& base, int32_t type, const std::vector<int64_t>& dims,
                            const void* data, size_t bytes) {
        const std::string name = unique(base);
        auto* t = mGraph->add_initializer();
        t->set_name(name);
        t->set_data_type(type);
        for (int64_t d : dims)
            t->add_dims(d);
        t->set_raw_data(std::string(static_cast<const char*>(data), bytes));
        return name;
    }

    /** A float tensor initializer (any shape). */
    std::string floats(const std::string& base, const torch::Tensor& value) {
        auto v = value.detach().to(torch::kCPU, torch::kFloat32).contiguous();
        return initializer(base, onnx::TensorProto::FLOAT, v.sizes().vec(), v.data_ptr<float>(),
                           v.numel() * sizeof(float));
    }

    std::string floatScalar(const std::string& base, float value) {
        return initializer(base, onnx::TensorProto::FLOAT, {}, &value, sizeof value);
    }

    std::string int64s(const std::string& base, const std::vector<int64_t>& values) {
        return initializer(base, onnx::TensorProto::INT64, {static_cast<int64_t>(values.size())},
                           values.data(), values.size() * sizeof(int64_t));
    }

    /** A float scalar shared by every node that needs the same constant (Clip bounds). */
    std::string sharedFloat(const std::string& base, float value) {
        const std::string key = base + "=" + std::to_string(value);
        auto it = mShared.find(key);
        if (it != mShared.end()) return it->second;
        return mShared[key] = floatScalar(base, value);
    }

    onnx::GraphProto* graph() { return mGraph; }

private:
    onnx::GraphProto* mGraph;
    std::set<std::string> mUsed;
    std::map<std::string, std::string> mShared;
};

void setTensorType(onnx::ValueInfoProto* info, const std::string& name,
                   const std::vector<int64_t>& staticDims) {
    info->set_name(name);
    auto* tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto::FLOAT);
    auto* shape = tensor->mutable_shape();
    shape->add_dim()->set_dim_param(kBatchDim);
    for (int64_t d : staticDims)
        shape->add_dim()->set_dim_value(d);
}

/** The float scale that maps `from` pixels to exactly `to` under floor(from · scale), in float and double. */
float resizeScale(int64_t from, int64_t to) {
    float s = static_cast<float>(to) / static_cast<float>(from);
    auto reaches = [&](float v) {
        return static_cast<int64_t>(v * static_cast<float>(from)) >= to &&
               static_cast<int64_t>(static_cast<double>(v) * static_cast<double>(from)) >= to;
    };
    while (!reaches(s))
        s = std::nextafter(s, std::numeric_limits<float>::infinity());
    return s;
}

/** Translates a folded GraphNet into ONNX nodes. */
class Exporter {
public:
    Exporter(GraphNet& net, bool int8, const std::vector<torch::Tensor>& shapes, onnx::GraphProto* graph)
        : mNet(net), mInt8(int8), mValues(shapes), mB(graph) {}

    /** Emits every node; returns the name of the model's output value. */
    std::string run() {
        const auto& nodes = mNet->nodes();
        mValue.assign(nodes.size(), {});
        mGrid.assign(nodes.size(), -1);
        mGridScale.assign(nodes.size(), 0.f);
        findSplits();
        for (size_t i = 0; i < nodes.size(); ++i) {
            const GraphNode& n = nodes[i];
            bool alias = false;
            mValue[i] = emit(static_cast<int>(i), n, alias);
            if (alias) {
                mGrid[i] = mGrid[n.inputs.at(0)];
                mGridScale[i] = mGridScale[n.inputs.at(0)];
            }
            if (mInt8 && n.quant >= 0 && !(alias && mGrid[i] == n.quant)) {
                // onnxruntime runs a Resize between a DequantizeLinear and a QuantizeLinear of equal
                // parameters on uint8, truncating where the engine rounds; a scale one float step larger
                // keeps it in float between the two (a relative change of 6e-8).
                const bool nudged = n.op == OpKind::Resize && !alias;
                mValue[i] = quantizeDequantize(mValue[i], n.quant, n.name, nudged, &mGridScale[i]);
                mGrid[i] = n.quant;
            }
        }
        return mValue.at(mNet->outputNode());
    }

private:
    std::vector<int64_t> spatial(int node) const {
        const auto& v = mValues.at(node);
        return {v.size(2), v.size(3)};
    }

    const std::string& in(const GraphNode& n, size_t k = 0) const { return mValue.at(n.inputs.at(k)); }

    /**
     * Slices that cut one value into consecutive pieces along an axis (a channel split) are written as one
     * Split: onnxruntime's optimizer fuses sibling Slices itself and gives every fused node the same name,
     * which its own loader then rejects.
     */
    void findSplits() {
        const auto& nodes = mNet->nodes();
        std::map<std::pair<int, int64_t>, std::vector<int>> groups;
        for (size_t i = 0; i < nodes.size(); ++i) {
            const GraphNode& n = nodes[i];
            if (n.op == OpKind::Slice && n.shape.at(2) == 1)
                groups[{n.inputs.at(0), n.axis}].push_back(static_cast<int>(i));
        }
        for (auto& [key, members] : groups) {
            if (members.size() < 2) continue;
            std::sort(members.begin(), members.end(),
                      [&](int a, int b) { return nodes[a].shape[0] < nodes[b].shape[0]; });
            const int64_t dim = mValues.at(key.first).size(key.second);
            int64_t next = 0;
            bool cover = true;
            for (int m : members) {
                if (nodes[m].shape[0] != next) cover = false;
                next = nodes[m].shape[1];
            }
            if (!cover || next != dim) continue;
            for (size_t k = 0; k < members.size(); ++k)
                mSplitOutput[members[k]] = {members, k};
        }
    }

    std::string splitOutput(int index, const GraphNode& n) {
        const auto& [members, position] = mSplitOutput.at(index);
        const auto& nodes = mNet->nodes();
        if (mSplitNames.count(index)) return mSplitNames.at(index);
        std::vector<int64_t> sizes;
        for (int m : members)
            sizes.push_back(nodes[m].shape[1] - nodes[m].shape[0]);
        onnx::NodeProto* node = nullptr;
        const std::string first =
            mB.node("Split", {in(n), mB.int64s(n.name + ".split", sizes)}, nodes[members[0]].name, &node);
        attrInt(node, "axis", n.axis);
        mSplitNames[members[0]] = first;
        for (size_t k = 1; k < members.size(); ++k) {
            const std::string name = mB.unique(nodes[members[k]].name);
            node->add_output(name);
            mSplitNames[members[k]] = name;
        }
        (void)position;
        return mSplitNames.at(index);
    }

    std::string emit(int index, const GraphNode& n, bool& alias) {
        switch (n.op) {
            case OpKind::Input:
                return kInputName;
            case OpKind::Conv:
                return conv(index, n);
            case OpKind::BatchNorm: {
                if (n.folded) {
                    alias = true;
                    return in(n);
                }
                // A batch norm no conv absorbs (pre-activation blocks) stays one, in inference form.
                auto& bn = mNet->bnModule(index);
                auto gamma = bn->options.affine() ? bn->weight : torch::ones_like(bn->running_mean);
                auto beta = bn->options.affine() ? bn->bias : torch::zeros_like(bn->running_mean);
                onnx::NodeProto* node = nullptr;
                const std::string out =
                    mB.node("BatchNormalization",
                            {in(n), mB.floats(n.name + ".scale", gamma), mB.floats(n.name + ".bias", beta),
                             mB.floats(n.name + ".mean", bn->running_mean),
                             mB.floats(n.name + ".var", bn->running_var)},
                            n.name, &node);
                attrFloat(node, "epsilon", static_cast<float>(bn->options.eps()));
                return out;
            }
            case OpKind::ReLU:
                return mB.node("Relu", {in(n)}, n.name);
            case OpKind::ReLU6:
                return mB.node("Clip",
                               {in(n), mB.sharedFloat("relu6.min", 0.f), mB.sharedFloat("relu6.max", 6.f)},
                               n.name);
            case OpKind::Add:
                return mB.node("Add", {in(n, 0), in(n, 1)}, n.name);
            case OpKind::MaxPool: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("MaxPool", {in(n)}, n.name, &node);
                attrInts(node, "kernel_shape", {n.kernel[0], n.kernel[1]});
                attrInts(node, "strides", {n.stride[0], n.stride[1]});
                attrInts(node, "pads", onnxPads(n));
                if (n.dilation[0] != 1 || n.dilation[1] != 1)
                    attrInts(node, "dilations", {n.dilation[0], n.dilation[1]});
                if (n.ceilMode) attrInt(node, "ceil_mode", 1);
                return out;
            }
            case OpKind::AvgPool: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("AveragePool", {in(n)}, n.name, &node);
                attrInts(node, "kernel_shape", {n.kernel[0], n.kernel[1]});
                attrInts(node, "strides", {n.stride[0], n.stride[1]});
                attrInts(node, "pads", onnxPads(n));
                if (n.ceilMode) attrInt(node, "ceil_mode", 1);
                if (n.countIncludePad) attrInt(node, "count_include_pad", 1);
                return out;
            }
            case OpKind::GlobalMaxPool:
                return mB.node("GlobalMaxPool", {in(n)}, n.name);
            case OpKind::Constant:
                return mB.floats(n.name, mNet->constantValue(index));
            case OpKind::Sub:
                return mB.node("Sub", {in(n, 0), in(n, 1)}, n.name);
            case OpKind::Mul:
                return mB.node("Mul", {in(n, 0), in(n, 1)}, n.name);
            case OpKind::Div:
                return mB.node("Div", {in(n, 0), in(n, 1)}, n.name);
            case OpKind::Sigmoid:
                return mB.node("Sigmoid", {in(n)}, n.name);
            case OpKind::LeakyReLU: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("LeakyRelu", {in(n)}, n.name, &node);
                attrFloat(node, "alpha", static_cast<float>(n.alpha));
                return out;
            }
            case OpKind::HardSigmoid: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("HardSigmoid", {in(n)}, n.name, &node);
                attrFloat(node, "alpha", static_cast<float>(n.alpha));
                attrFloat(node, "beta", static_cast<float>(n.beta));
                return out;
            }
            case OpKind::HardSwish: {
                // HardSwish arrives in opset 14; at 13 it is x · HardSigmoid(x; 1/6, 1/2), as torch writes
                // it.
                onnx::NodeProto* node = nullptr;
                const std::string gate = mB.node("HardSigmoid", {in(n)}, n.name + ".gate", &node);
                attrFloat(node, "alpha", 1.0f / 6.0f);
                attrFloat(node, "beta", 0.5f);
                return mB.node("Mul", {in(n), gate}, n.name);
            }
            case OpKind::Clip: {
                const float lo = static_cast<float>(n.alpha), hi = static_cast<float>(n.beta);
                return mB.node("Clip",
                               {in(n), std::isfinite(lo) ? mB.sharedFloat("clip.min", lo) : std::string(),
                                std::isfinite(hi) ? mB.sharedFloat("clip.max", hi) : std::string()},
                               n.name);
            }
            case OpKind::Reshape:
                return mB.node("Reshape", {in(n), mB.int64s(n.name + ".shape", n.shape)}, n.name);
            case OpKind::Pad: {
                onnx::NodeProto* node = nullptr;
                std::vector<std::string> inputs{in(n), mB.int64s(n.name + ".pads", onnxPadsInput(n))};
                if (n.padMode == PadMode::Constant && n.alpha != 0.0)
                    inputs.push_back(mB.floatScalar(n.name + ".value", static_cast<float>(n.alpha)));
                const std::string out = mB.node("Pad", inputs, n.name, &node);
                attrString(node, "mode", padModeName(n.padMode));
                return out;
            }
            case OpKind::Softmax: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("Softmax", {in(n)}, n.name, &node);
                attrInt(node, "axis", n.axis);
                return out;
            }
            case OpKind::Transpose: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("Transpose", {in(n)}, n.name, &node);
                attrInts(node, "perm", n.shape);
                return out;
            }
            case OpKind::Slice:
                if (auto it = mSplitOutput.find(index); it != mSplitOutput.end())
                    return splitOutput(index, n);
                return mB.node(
                    "Slice",
                    {in(n), mB.int64s(n.name + ".starts", {n.shape.at(0)}),
                     mB.int64s(n.name + ".ends", {n.shape.at(1)}), mB.int64s(n.name + ".axes", {n.axis}),
                     mB.int64s(n.name + ".steps", {n.shape.at(2)})},
                    n.name);
            case OpKind::Gather: {
                std::string indices;
                if (n.bins == 1) {
                    const int64_t v = n.shape.at(0);
                    indices = mB.initializer(n.name + ".index", onnx::TensorProto::INT64, {}, &v, sizeof v);
                } else {
                    indices = mB.int64s(n.name + ".indices", n.shape);
                }
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("Gather", {in(n), indices}, n.name, &node);
                attrInt(node, "axis", n.axis);
                return out;
            }
            case OpKind::ConvTranspose: {
                auto w = mNet->moduleWeight(index);
                std::vector<std::string> inputs{in(n), mB.floats(n.name + ".weight", w)};
                if (n.bias) inputs.push_back(mB.floats(n.name + ".bias", mNet->moduleBias(index)));
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("ConvTranspose", inputs, n.name, &node);
                attrInts(node, "kernel_shape", {w.size(2), w.size(3)});
                attrInts(node, "strides", {n.stride[0], n.stride[1]});
                attrInts(node, "pads", onnxPads(n));
                attrInts(node, "dilations", {n.dilation[0], n.dilation[1]});
                attrInts(node, "output_padding", {n.outputPadding[0], n.outputPadding[1]});
                attrInt(node, "group", n.groups);
                return out;
            }
            case OpKind::GlobalAvgPool:
                return mB.node("GlobalAveragePool", {in(n)}, n.name);
            case OpKind::AdaptiveAvgPool:
                return adaptivePool(n);
            case OpKind::Flatten: {
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("Flatten", {in(n)}, n.name, &node);
                attrInt(node, "axis", 1);
                return out;
            }
            case OpKind::Linear:
                return linear(index, n);
            case OpKind::Resize:
                return resize(index, n, alias);
            case OpKind::Concat: {
                std::vector<std::string> inputs;
                for (size_t k = 0; k < n.inputs.size(); ++k)
                    inputs.push_back(in(n, k));
                onnx::NodeProto* node = nullptr;
                const std::string out = mB.node("Concat", inputs, n.name, &node);
                attrInt(node, "axis", n.axis);
                return out;
            }
        }
        throw Error("export: node " + n.name + " has an op the exporter does not know");
    }

    /** The weight as a graph value: a float initializer, or int8 + DequantizeLinear per output channel. */
    std::string weight(int index, const GraphNode& n, const torch::Tensor& w, torch::Tensor* scaleOut) {
        const int bits = mInt8 ? mNet->weightBits(index) : 0;
        if (bits <= 0) return mB.floats(n.name + ".weight", w);
        auto scale =
            mNet->weightScale(index).detach().to(torch::kCPU, torch::kFloat32).contiguous().view({-1});
        if (scale.numel() != w.size(0))
            throw Error("export: layer " + n.name + " has " + std::to_string(scale.numel()) +
                        " weight scales for " + std::to_string(w.size(0)) + " output channels");
        // An all-zero channel may carry scale 0; any positive scale stores it exactly (as zeros).
        scale = torch::where(scale > 0, scale, torch::ones_like(scale));
        const double qmax = std::pow(2.0, bits - 1) - 1;
        std::vector<int64_t> view(w.dim(), 1);
        view[0] = -1;
        auto q = torch::round(w / scale.view(view)).clamp(-qmax, qmax).to(torch::kInt8).contiguous();
        const std::string qName = mB.initializer(n.name + ".weight_quantized", onnx::TensorProto::INT8,
                                                 q.sizes().vec(), q.data_ptr<int8_t>(), q.numel());
        const std::string sName = mB.floats(n.name + ".weight_scale", scale);
        // Symmetric, but the zero points stay explicit: onnxruntime's QGemm needs them shaped like the
        // scales.
        std::vector<int8_t> zeros(scale.numel(), 0);
        const std::string zName = mB.initializer(n.name + ".weight_zero_point", onnx::TensorProto::INT8,
                                                 {scale.numel()}, zeros.data(), zeros.size());
        onnx::NodeProto* node = nullptr;
        const std::string out = mB.node("DequantizeLinear", {qName, sName, zName}, n.name + ".weight", &node);
        attrInt(node, "axis", 0);
        *scaleOut = scale;
        return out;
    }

    /** The bias: int32 at scale s_in·s_w (what integer kernels add to their accumulators) when both the
     *  input activation and the weight are quantized, float otherwise. */
    std::string bias(const GraphNode& n, const torch::Tensor& b, const torch::Tensor& weightScale) {
        const int inputGrid = mGrid.at(n.inputs.at(0));
        if (!mInt8 || inputGrid < 0 || !weightScale.defined()) return mB.floats(n.name + ".bias", b);
        const double inScale = mGridScale.at(n.inputs.at(0));
        auto scale = (weightScale.to(torch::kFloat64) * inScale).to(torch::kFloat32);
        auto q = torch::round(b.detach().to(torch::kCPU, torch::kFloat64) / scale.to(torch::kFloat64));
        const double limit = static_cast<double>(std::numeric_limits<int32_t>::max());
        if (!(q.abs().max().item<double>() <= limit)) return mB.floats(n.name + ".bias", b);
        q = q.to(torch::kInt32).contiguous();
        const std::string qName =
            mB.initializer(n.name + ".bias_quantized", onnx::TensorProto::INT32, {q.numel()},
                           q.data_ptr<int32_t>(), q.numel() * sizeof(int32_t));
        const std::string sName = mB.floats(n.name + ".bias_scale", scale);
        onnx::NodeProto* node = nullptr;
        const std::string out = mB.node("DequantizeLinear", {qName, sName}, n.name + ".bias", &node);
        attrInt(node, "axis", 0);
        return out;
    }

    std::string conv(int index, const GraphNode& n) {
        torch::Tensor w = mNet->layerWeight(index), b = mNet->layerBias(index), scale;
        std::vector<std::string> inputs{in(n), weight(index, n, w, &scale)};
        if (b.defined()) inputs.push_back(bias(n, b, scale));
        onnx::NodeProto* node = nullptr;
        const std::string out = mB.node("Conv", inputs, n.name, &node);
        attrInts(node, "kernel_shape", {w.size(2), w.size(3)});
        attrInts(node, "strides", {n.stride[0], n.stride[1]});
        attrInts(node, "pads", onnxPads(n));
        attrInts(node, "dilations", {n.dilation[0], n.dilation[1]});
        attrInt(node, "group", n.groups);
        return out;
    }

    std::string linear(int index, const GraphNode& n) {
        torch::Tensor w = mNet->layerWeight(index), b = mNet->layerBias(index), scale;
        const std::string weightValue = weight(index, n, w, &scale);
        if (mValues.at(n.inputs.at(0)).dim() != 2) {
            // Gemm takes 2-D inputs only; a linear layer over the last axis of a larger value is MatMul +
            // Add.
            onnx::NodeProto* t = nullptr;
            const std::string wt = mB.node("Transpose", {weightValue}, n.name + ".weight_t", &t);
            attrInts(t, "perm", {1, 0});
            if (!b.defined()) return mB.node("MatMul", {in(n), wt}, n.name);
            const std::string product = mB.node("MatMul", {in(n), wt}, n.name + ".matmul");
            return mB.node("Add", {product, mB.floats(n.name + ".bias", b)}, n.name);
        }
        std::vector<std::string> inputs{in(n), weightValue};
        if (b.defined()) inputs.push_back(bias(n, b, scale));
        onnx::NodeProto* node = nullptr;
        const std::string out = mB.node("Gemm", inputs, n.name, &node);
        attrInt(node, "transB", 1);
        return out;
    }

    /** PyTorch's adaptive average pooling: bin i covers [floor(i·H/b), ceil((i+1)·H/b)). */
    std::string adaptivePool(const GraphNode& n) {
        const auto size = spatial(n.inputs.at(0));
        const int64_t h = size[0], w = size[1], bins = n.bins;
        if (bins == 1) return mB.node("GlobalAveragePool", {in(n)}, n.name);
        if (h % bins == 0 && w % bins == 0) {
            onnx::NodeProto* node = nullptr;
            const std::string out = mB.node("AveragePool", {in(n)}, n.name, &node);
            attrInts(node, "kernel_shape", {h / bins, w / bins});
            attrInts(node, "strides", {h / bins, w / bins});
            return out;
        }
        // Bins that do not divide the size overlap, which no ONNX pooling expresses: average with two
        // constant matrices instead, out = P_h · x · P_wᵀ (as MatMul on the last axis, transpose, MatMul,
        // transpose back, which OpenCV DNN also imports), P[j][x] = 1/len on the bin's pixels.
        const std::string rows = mB.floats(n.name + ".pool_w", poolMatrix(w, bins));
        const std::string cols = mB.floats(n.name + ".pool_h", poolMatrix(h, bins));
        const std::string y1 = mB.node("MatMul", {in(n), rows}, n.name + ".pool_w_out");
        onnx::NodeProto* t1 = nullptr;
        const std::string y2 = mB.node("Transpose", {y1}, n.name + ".transposed", &t1);
        attrInts(t1, "perm", {0, 1, 3, 2});
        const std::string y3 = mB.node("MatMul", {y2, cols}, n.name + ".pool_h_out");
        onnx::NodeProto* t2 = nullptr;
        const std::string out = mB.node("Transpose", {y3}, n.name, &t2);
        attrInts(t2, "perm", {0, 1, 3, 2});
        return out;
    }

    /** [size, bins]: column j averages PyTorch's adaptive bin j, [floor(j·size/bins), ceil((j+1)·size/bins)).
     */
    static torch::Tensor poolMatrix(int64_t size, int64_t bins) {
        auto m = torch::zeros({size, bins}, torch::kFloat32);
        for (int64_t j = 0; j < bins; ++j) {
            const int64_t begin = j * size / bins, end = ((j + 1) * size + bins - 1) / bins;
            m.narrow(0, begin, end - begin).select(1, j).fill_(1.0 / static_cast<double>(end - begin));
        }
        return m;
    }

    /** Resize in the node's mode. The zoo's resizeLike is bilinear with align_corners=false (ONNX: linear +
     *  half_pixel) to the spatial size of node.sizeOf. */
    std::string resize(int index, const GraphNode& n, bool& alias) {
        const auto from = spatial(n.inputs.at(0)), to = spatial(index);
        if (from == to && n.resizeMode == ResizeMode::Bilinear && n.resizeCoord != ResizeCoord::Asymmetric) {
            alias = true;
            return in(n);
        }
        // A constant scales input (the batch stays symbolic, so sizes cannot be constant). Runtimes size the
        // output as floor(in · scale), so a factor that is not a whole number is nudged up to the next float
        // that reaches the target size; PyTorch's source scale in/out equals 1/scale to float precision. A
        // node that resizes by factors keeps them.
        const bool byScale = n.sizeOf < 0 && n.outSize[0] <= 0;
        const float sh = byScale ? static_cast<float>(n.scales[0]) : resizeScale(from[0], to[0]);
        const float sw = byScale ? static_cast<float>(n.scales[1]) : resizeScale(from[1], to[1]);
        const std::vector<std::string> inputs{
            in(n), "", mB.floats(n.name + ".scales", torch::tensor({1.f, 1.f, sh, sw}))};
        onnx::NodeProto* node = nullptr;
        const std::string out = mB.node("Resize", inputs, n.name, &node);
        const bool zooMode = n.sizeOf >= 0;
        attrString(node, "mode", resizeModeName(n.resizeMode));
        // pytorch_half_pixel differs from half_pixel only for one-pixel outputs.
        attrString(node, "coordinate_transformation_mode",
                   zooMode ? "half_pixel" : resizeCoordName(n.resizeCoord));
        if (n.resizeMode == ResizeMode::Nearest)
            attrString(node, "nearest_mode", nearestRoundingName(n.nearest));
        return out;
    }

    static std::vector<int64_t> onnxPads(const GraphNode& n) {
        return {n.pads[0], n.pads[1], n.pads[2], n.pads[3]};  // ONNX: begins (top, left), then ends
    }

    /** Pad's pads input for NCHW: zeros for N and C. */
    static std::vector<int64_t> onnxPadsInput(const GraphNode& n) {
        return {0, 0, n.pads[0], n.pads[1], 0, 0, n.pads[2], n.pads[3]};
    }

    /** QuantizeLinear → DequantizeLinear with activation quantizer q's parameters (shared initializers). */
    std::string quantizeDequantize(const std::string& x, int q, const std::string& base, bool nudged,
                                   float* scaleUsed) {
        const QuantParams p = mNet->activationParams(q);
        auto it = mQuantInit.find({q, nudged});
        if (it == mQuantInit.end()) {
            const bool isUnsigned = p.qmin >= 0;
            const int64_t typeMin = isUnsigned ? 0 : -128, typeMax = isUnsigned ? 255 : 127;
            if (p.qmin < typeMin || p.qmax > typeMax)
                throw Error("export: activation quantizer " + std::to_string(q) + " has the range [" +
                            std::to_string(p.qmin) + ", " + std::to_string(p.qmax) +
                            "], wider than 8 bits; ONNX QDQ stores 8-bit activations only");
            if (p.zeroPoint < p.qmin || p.zeroPoint > p.qmax)
                throw Error("export: activation quantizer " + std::to_string(q) + " has zero point " +
                            std::to_string(p.zeroPoint) + " outside its range");
            const std::string prefix = "act" + std::to_string(q) + (nudged ? "_float_kernel" : "");
            QuantInit init;
            init.scaleValue = static_cast<float>(p.scale);
            if (nudged)
                init.scaleValue = std::nextafter(init.scaleValue, std::numeric_limits<float>::infinity());
            init.scale = mB.floatScalar(prefix + ".scale", init.scaleValue);
            if (isUnsigned) {
                const uint8_t z = static_cast<uint8_t>(p.zeroPoint);
                init.zeroPoint = mB.initializer(prefix + ".zero_point", onnx::TensorProto::UINT8, {}, &z, 1);
            } else {
                const int8_t z = static_cast<int8_t>(p.zeroPoint);
                init.zeroPoint = mB.initializer(prefix + ".zero_point", onnx::TensorProto::INT8, {}, &z, 1);
            }
            // Fewer than 8 bits: the grid is narrower than the storage type, so clip the dequantized value.
            if (p.qmin > typeMin || p.qmax < typeMax) {
                init.clipMin =
                    mB.floatScalar(prefix + ".min", static_cast<float>(p.scale * (p.qmin - p.zeroPoint)));
                init.clipMax =
                    mB.floatScalar(prefix + ".max", static_cast<float>(p.scale * (p.qmax - p.zeroPoint)));
            }
            it = mQuantInit.emplace(std::make_pair(q, nudged), init).first;
        }
        const QuantInit& init = it->second;
        *scaleUsed = init.scaleValue;
        const std::string quantized =
            mB.node("QuantizeLinear", {x, init.scale, init.zeroPoint}, base + ".quantized");
        std::string out =
            mB.node("DequantizeLinear", {quantized, init.scale, init.zeroPoint}, base + ".dequantized");
        if (!init.clipMin.empty())
            out = mB.node("Clip", {out, init.clipMin, init.clipMax}, base + ".clipped");
        return out;
    }

    struct QuantInit {
        std::string scale, zeroPoint, clipMin, clipMax;
        float scaleValue = 1.f;
    };

    std::map<int, std::pair<std::vector<int>, size_t>> mSplitOutput;  // slice node → its Split group
    std::map<int, std::string> mSplitNames;                           // slice node → the Split's output
    GraphNet& mNet;
    bool mInt8;
    const std::vector<torch::Tensor>& mValues;  // every node's output for one input (for spatial sizes)
    GraphBuilder mB;
    std::vector<std::string> mValue;  // the float value consumers of node i read
    std::vector<int> mGrid;           // activation quantizer that value has passed through (-1: none)
    std::map<std::pair<int, bool>, QuantInit> mQuantInit;  // (quantizer, nudged scale)
    std::vector<float>
        mGridScale;  // the scale of the DequantizeLinear that produced mValue (when mGrid >= 0)
};

/** Renames the value `from` (produced by a node) to `to` everywhere in the graph. */
void renameValue(onnx::GraphProto* graph, const std::string& from, const std::string& to) {
    for (auto& node : *graph->mutable_node()) {
        for (auto& name : *node.mutable_input())
            if (name == from) name = to;
        for (auto& name : *node.mutable_output())
            if (name == from) name = to;
    }
}

// ---- the model card -----------------------------------------------------------------------------------

std::string channelOrder(int64_t channels) {
    if (channels == 1) return "CHW, grayscale";
    if (channels == 3) return "CHW, RGB";
    return "CHW, " + std::to_string(channels) + " channels";
}

/** A recipe's float as the shortest decimal that reads back as the same float (0.286f → 0.286). */
double shortest(float value) {
    for (int digits = 6; digits < 9; ++digits) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.*g", digits, static_cast<double>(value));
        const double parsed = std::strtod(buf, nullptr);
        if (static_cast<float>(parsed) == value) return parsed;
    }
    return static_cast<double>(value);
}

/** Per-channel values of a normalize step (one value applies to every channel). */
std::vector<double> perChannel(const std::vector<float>& values, int64_t channels, float fallback) {
    std::vector<double> out;
    for (int64_t c = 0; c < channels; ++c)
        out.push_back(shortest(values.empty() ? fallback : values.size() == 1 ? values[0] : values.at(c)));
    return out;
}

Json preprocessingJson(const Recipe& recipe, int64_t channels) {
    Json steps = Json::array();
    Json normalize = nullptr, resize = nullptr;
    for (const auto& s : recipe.evalTransforms) {
        switch (s.kind) {
            case TransformStep::Kind::Normalize: {
                Json n = {{"mean", perChannel(s.mean, channels, 0.f)},
                          {"std", perChannel(s.std, channels, 1.f)}};
                steps.push_back({{"normalize", n}});
                normalize = n;
                break;
            }
            case TransformStep::Kind::Resize: {
                Json r = {{"height", s.height > 0 ? s.height : s.size},
                          {"width", s.width > 0 ? s.width : s.size},
                          {"interpolation", "bilinear"}};
                steps.push_back({{"resize", r}});
                resize = r;
                break;
            }
            case TransformStep::Kind::RandomCrop:
                steps.push_back({{"random_crop", {{"size", s.size}, {"padding", s.padding}}}});
                break;
            case TransformStep::Kind::HFlip:
                steps.push_back({{"hflip", s.probability}});
                break;
        }
    }
    Json j;
    j["layout"] = "NCHW float32";
    j["channel_order"] = channelOrder(channels);
    j["value_range"] = "[0, 1]: 8-bit pixel values divided by 255, before the steps";
    j["resize"] = resize;
    j["normalize"] = normalize;
    j["formula"] = "x = (pixel / 255 - mean[c]) / std[c]";
    j["steps"] = steps;
    return j;
}

Json layersJson(const std::vector<QuantLayer>& layers) {
    Json table = Json::array();
    for (const auto& l : layers)
        table.push_back({{"name", l.name},
                         {"op", l.op},
                         {"params", l.params},
                         {"macs", l.macs},
                         {"weight_bits", l.weightBits},
                         {"activation_bits", l.activationBits}});
    return table;
}

}  // namespace

std::string modelCardPath(const std::string& onnxFile) {
    return fs::path(onnxFile).replace_extension(".card.json").string();
}

std::string exportOnnx(const std::string& runDir, const std::string& format, const std::string& outFile) {
    if (format != "onnx" && format != "onnx-int8")
        throw Error("export: unknown format '" + format + "' (allowed: onnx, onnx-int8)");
    const bool int8 = format == "onnx-int8";
    if (outFile.empty()) throw Error("export: no output file given (expected a path such as model.onnx)");
    std::error_code ec;
    if (fs::is_directory(outFile, ec))
        throw Error("export: " + outFile + " is a folder (expected a file name such as model.onnx)");
    const std::string cardFile = modelCardPath(outFile);

    const Recipe recipe = loadRunRecipe(runDir);
    const std::string checkpoint = resolveCheckpoint(runDir);
    // Everything the model card reads is read first: a run file that cannot be read stops the export before
    // it writes anything.
    RunFolder(runDir).readSummaryIfAny();
    if (isQuantizedRun(runDir)) readQuantReport(runDir);
    torch::NoGradGuard noGrad;
    CheckpointMeta meta;
    GraphNet net = loadAnyModel(checkpoint, &meta, torch::kCPU);
    net->eval();
    if (int8 && !net->isQuantized())
        throw Error("export --format onnx-int8: " + runDir +
                    " is not a quantized run; run `distillery-cli quantize` first");
    if (!net->isFolded()) net->foldBatchNorm();  // exact in eval mode
    const bool wasActive = net->quantActive();
    if (net->isQuantized()) net->setQuantActive(int8);

    // Spatial sizes of every node for the data's input size (the batch stays symbolic in the file).
    int64_t height = meta.inputH, width = meta.inputW;
    if (height <= 0 || width <= 0) {
        auto val = openDataset(recipe.data, Split::Val);
        auto x = sampleTensor(val->get(0), recipe.evalTransforms, torch::kCPU);
        height = x.size(2);
        width = x.size(3);
    }
    const auto values = net->runAll(torch::zeros({1, meta.inChannels, height, width}));
    const auto outSizes = values.at(net->outputNode()).sizes().vec();

    onnx::ModelProto model;
    model.set_ir_version(kIrVersion);
    model.set_producer_name(kProducer);
    model.set_domain("distillery");
    model.set_model_version(1);
    model.set_doc_string(meta.model.arch + (meta.model.head.empty() ? "" : "+" + meta.model.head) + " " +
                         taskName(meta.task) + " model from " + runDir + " (" + format + ")");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOpset);
    auto* graph = model.mutable_graph();
    graph->set_name(recipe.name.empty() ? "distillery" : recipe.name);
    setTensorType(graph->add_input(), kInputName, {meta.inChannels, height, width});

    Exporter exporter(net, int8, values, graph);
    std::string last = exporter.run();
    if (last == kInputName) {
        GraphBuilder(graph).node("Identity", {last}, "identity");
        last = graph->node(graph->node_size() - 1).output(0);
    }
    renameValue(graph, last, kOutputName);
    setTensorType(graph->add_output(), kOutputName,
                  std::vector<int64_t>(outSizes.begin() + 1, outSizes.end()));
    if (net->isQuantized()) net->setQuantActive(wasActive);

    auto addMeta = [&](const std::string& key, const std::string& value) {
        auto* p = model.add_metadata_props();
        p->set_key(key);
        p->set_value(value);
    };
    addMeta("distillery.format", format);
    addMeta("distillery.task", taskName(meta.task));
    addMeta("distillery.class_names", Json(meta.classNames).dump());
    addMeta("distillery.preprocessing", preprocessingJson(recipe, meta.inChannels).dump());

    try {
        onnx::checker::check_model(model);
        onnx::ModelProto inferred = model;
        onnx::shape_inference::InferShapes(inferred, onnx::OpSchemaRegistry::Instance(),
                                           onnx::ShapeInferenceOptions(true, 1, false));
    } catch (const std::exception& e) {
        throw Error("export: the ONNX checker rejects the " + format + " model of " + runDir + ": " +
                    firstLineOf(e.what()));
    }
    std::string bytes;
    if (!model.SerializeToString(&bytes))
        throw Error("export: cannot serialise the ONNX model for " + outFile);
    const fs::path parent = fs::path(outFile).parent_path();
    if (!parent.empty() && !fs::is_directory(parent, ec)) {
        fs::create_directories(parent, ec);
        if (ec) throw Error("export: cannot create folder " + parent.string() + ": " + ec.message());
    }
    writeFileAtomically(outFile, bytes);

    // ---- model card ----
    Json card;
    card["format"] = format;
    card["file"] = fs::path(outFile).filename().string();
    card["file_size_bytes"] = static_cast<int64_t>(bytes.size());
    card["opset"] = kOpset;
    card["ir_version"] = kIrVersion;
    card["producer"] = kProducer;
    card["run"] = fs::absolute(runDir, ec).lexically_normal().string();
    card["checkpoint"] = fs::path(checkpoint).filename().string();
    card["task"] = taskName(meta.task);
    card["architecture"] = {
        {"arch", meta.model.arch}, {"head", meta.model.head}, {"width", meta.model.width}};
    card["input"] = {
        {"name", kInputName}, {"shape", {kBatchDim, meta.inChannels, height, width}}, {"dtype", "float32"}};
    Json outShape = Json::array({kBatchDim});
    for (size_t d = 1; d < outSizes.size(); ++d)
        outShape.push_back(outSizes[d]);
    card["output"] = {
        {"name", kOutputName},
        {"shape", outShape},
        {"dtype", "float32"},
        {"meaning", meta.task == Task::Classification
                        ? "class logits (softmax over axis 1 gives probabilities)"
                    : meta.task == Task::Segmentation
                        ? "per-pixel class logits (argmax over axis 1 gives the mask)"
                        : "CenterNet maps at stride 4: K class heat-map logits, then box width and "
                          "height and the centre's x and y offset, all in map cells (see decoding)"}};
    if (meta.task == Task::Detection)
        card["decoding"] = {
            {"stride", kDetectionStride},
            {"top_k", kMaxDetections},
            {"steps",
             {"score = sigmoid(logit) of the K heat maps",
              "keep cells whose score no 3x3 neighbour exceeds (max-pool 3x3, stride 1, pad 1, equal to the "
              "input)",
              "take the top_k scores over every class and cell (no NMS)",
              "for a cell (x, y): centre = ((x + offset_x) * stride, (y + offset_y) * stride), "
              "width = w * stride, height = h * stride (channels K, K+1 are w, h; K+2, K+3 the offsets)",
              "box = centre -/+ size / 2, clipped to the input; COCO bbox = [x1, y1, x2 - x1, y2 - y1]"}}};
    card["preprocessing"] = preprocessingJson(recipe, meta.inChannels);
    card["class_names"] = meta.classNames;

    const std::string metric = mainMetric(meta.task);
    const bool quantizedRun = net->isQuantized();
    std::vector<QuantLayer> layers;
    Json accuracy = {{"metric", metric}};
    if (quantizedRun) {
        const QuantizeResult report = readQuantReport(runDir);
        layers = report.layers;
        accuracy["source"] = "quantization.json";
        accuracy["fp32"] = report.fp32Metric;
        accuracy["simulated_int8"] = report.simulatedMetric;
        accuracy["libtorch_int8"] = report.int8Metric >= 0 ? Json(report.int8Metric) : Json(nullptr);
        if (int8)
            card["quantization"] = {
                {"scheme",
                 "QDQ: activations uint8 per tensor (asymmetric), weights int8 symmetric per output channel, "
                 "biases int32 at scale s_in*s_w"},
                {"method", report.method},
                {"observer", report.observer},
                {"source_run", report.source}};
    } else {
        layers = quantLayers(runDir);
        // A run without summary (stopped before its end) exports without a measured accuracy; a summary
        // that cannot be read stops the export with its error.
        const auto summary = RunFolder(runDir).readSummaryIfAny();
        const double value = summary ? summary->bestOf(metric) : std::nan("");
        accuracy["source"] = "summary.json";
        accuracy["fp32"] = std::isfinite(value) ? Json(value) : Json(nullptr);
    }
    for (auto& layer : layers) {
        const int node = net->nodeIndex(layer.name);
        if (!int8) {
            layer.weightBits = 32;
            layer.activationBits = 32;
        } else if (node >= 0) {
            const int bits = net->weightBits(node);
            layer.weightBits = bits;  // 0: float weights (as in quantization.json)
        }
    }
    const QuantCost cost = quantCost(layers), fp32 = floatCost(layers);
    int64_t params = 0, macs = 0;
    for (const auto& l : layers) {
        params += l.params;
        macs += l.macs;
    }
    card["layers"] = layersJson(layers);
    card["params"] = params;
    card["macs"] = macs;
    card["bops"] = cost.bops;
    card["size_bytes"] = cost.sizeBytes;
    card["fp32_size_bytes"] = fp32.sizeBytes;
    card["accuracy"] = accuracy;
    writeFileAtomically(cardFile, card.dump(2) + "\n");
    return cardFile;
}

}  // namespace distillery
