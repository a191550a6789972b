// The ONNX importer. It walks the file's nodes in order and splits them in two:
//  - values that do not depend on the image (initializers, Constant nodes and the shape sub-graphs that
//    exporters emit for `interpolate(size=x.shape[-2:])` or `x.view(x.size(0), -1)`) are computed here, once,
//    for the input size the data has. The batch size stays symbolic: Shape marks its first element, and a
//    value built from that mark may only be passed on (Gather, Slice, Concat, ...), never computed with;
//  - ops on the image tensor become GraphNet nodes, with the file's weights, and are run on a small probe
//    input as they are added, so that every node's shape is known (for the next node, and for the taps).
// The result is the graph-of-ops model every other part of the engine already trains, taps, quantizes and
// exports.

#include "core/internal/onnx_import.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/format.h"
#include "core/sha256.h"

namespace distillery {

namespace {

namespace fs = std::filesystem;
namespace F = torch::nn::functional;

constexpr int64_t kProbeBatch = 2;  // not 1, so that a squeeze can never take the batch dimension away

const std::vector<std::string> kDataOps{"Conv",
                                        "BatchNormalization",
                                        "Relu",
                                        "LeakyRelu",
                                        "Clip",
                                        "Sigmoid",
                                        "HardSigmoid",
                                        "HardSwish",
                                        "Mul",
                                        "Add",
                                        "Sub",
                                        "Div",
                                        "MaxPool",
                                        "AveragePool",
                                        "GlobalAveragePool",
                                        "GlobalMaxPool",
                                        "ReduceMean",
                                        "ReduceMax",
                                        "Flatten",
                                        "Reshape",
                                        "Squeeze",
                                        "Unsqueeze",
                                        "Gemm",
                                        "MatMul",
                                        "Resize",
                                        "Upsample",
                                        "Concat",
                                        "Identity",
                                        "Dropout",
                                        "Softmax",
                                        "LogSoftmax",
                                        "Pad",
                                        "Cast",
                                        "Transpose",
                                        "Slice",
                                        "Split",
                                        "Gather",
                                        "ConvTranspose"};
const std::vector<std::string> kStaticOps{"Constant",
                                          "Shape",
                                          "Gather",
                                          "Slice",
                                          "Concat",
                                          "Unsqueeze",
                                          "Squeeze",
                                          "Cast",
                                          "ConstantOfShape",
                                          "Identity",
                                          "Reshape",
                                          "Add",
                                          "Sub",
                                          "Mul",
                                          "Div",
                                          "Floor",
                                          "Ceil",
                                          "Neg",
                                          "Range",
                                          "Transpose",
                                          "Flatten",
                                          "DequantizeLinear",
                                          "Sqrt",
                                          "Min",
                                          "Max"};

std::string joined(const std::vector<std::string>& items) {
    std::string s;
    for (const auto& i : items)
        s += (s.empty() ? "" : ", ") + i;
    return s;
}

/** Names from a file can hold anything: keep messages one printable line. */
std::string printable(const std::string& s, size_t max = 120) {
    std::string out;
    for (unsigned char c : s) {
        if (out.size() >= max) {
            out += "...";
            break;
        }
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    return out;
}

std::string shapeText(const std::vector<int64_t>& shape) {
    std::string s;
    for (auto d : shape)
        s += (s.empty() ? "" : "x") + std::to_string(d);
    return s.empty() ? "scalar" : s;
}

/** A value of the ONNX graph while importing. */
struct Value {
    bool isStatic = false;
    torch::Tensor tensor;     // static: the value
    std::vector<char> batch;  // static: per element (flat), whether it is the symbolic batch size
    int node = -1;            // data: the GraphNet node holding it
    bool anyBatch() const {
        return std::any_of(batch.begin(), batch.end(), [](char b) { return b != 0; });
    }
};

class Importer {
public:
    Importer(std::string file, int64_t channels, int64_t height, int64_t width)
        : mFile(std::move(file)), mChannels(channels), mHeight(height), mWidth(width), mG(*mNet) {}

    ImportedModel run();

private:
    // ---- messages ----
    [[noreturn]] void fail(const std::string& what) const { throw Error(mFile + ": " + what); }
    [[noreturn]] void fail(const onnx::NodeProto& node, const std::string& what) const {
        throw Error(mFile + ": node '" + printable(nodeLabel(node)) + "' (" + printable(opType(node)) +
                    "): " + what);
    }
    static std::string nodeLabel(const onnx::NodeProto& node) {
        if (!node.name().empty()) return node.name();
        return node.output_size() > 0 ? node.output(0) : std::string("?");
    }
    static std::string opType(const onnx::NodeProto& node) {
        const std::string& d = node.domain();
        return d.empty() || d == "ai.onnx" ? node.op_type() : d + ":" + node.op_type();
    }

    // ---- reading ----
    void readFile();
    torch::Tensor tensorOf(const onnx::TensorProto& t, const std::string& what) const;
    void setupInput();

    // ---- attributes ----
    const onnx::AttributeProto* attr(const onnx::NodeProto& n, const std::string& name) const {
        for (const auto& a : n.attribute())
            if (a.name() == name) return &a;
        return nullptr;
    }
    int64_t attrInt(const onnx::NodeProto& n, const std::string& name, int64_t fallback) const {
        const auto* a = attr(n, name);
        return a ? a->i() : fallback;
    }
    double attrFloat(const onnx::NodeProto& n, const std::string& name, double fallback) const {
        const auto* a = attr(n, name);
        return a ? static_cast<double>(a->f()) : fallback;
    }
    std::string attrString(const onnx::NodeProto& n, const std::string& name,
                           const std::string& fallback) const {
        const auto* a = attr(n, name);
        return a ? a->s() : fallback;
    }
    std::vector<int64_t> attrInts(const onnx::NodeProto& n, const std::string& name,
                                  std::vector<int64_t> fallback = {}) const {
        const auto* a = attr(n, name);
        if (!a) return fallback;
        return std::vector<int64_t>(a->ints().begin(), a->ints().end());
    }

    // ---- values ----
    bool hasInput(const onnx::NodeProto& n, int k) const { return k < n.input_size() && !n.input(k).empty(); }
    const Value& input(const onnx::NodeProto& n, int k) const;
    torch::Tensor staticInput(const onnx::NodeProto& n, int k, const std::string& what) const;
    std::vector<int64_t> staticInts(const onnx::NodeProto& n, int k, const std::string& what) const;
    void setStatic(const std::string& name, torch::Tensor t, std::vector<char> batch = {});
    void setData(const std::string& name, int node);
    /** The node holding a value: data as is, a static operand as a Constant node (made once per value). */
    int nodeOf(const onnx::NodeProto& n, int k);
    const torch::Tensor& probeOf(int node) const { return mProbe.at(node); }
    std::vector<int64_t> probeShape(int node) const { return mProbe.at(node).sizes().vec(); }

    // ---- building ----
    std::string uniqueName(const std::string& base);
    int add(GraphNode n, const onnx::NodeProto& src, const std::string& suffix = "");
    void probe(int node, const onnx::NodeProto& src);
    int unary(OpKind op, const onnx::NodeProto& n, double alpha = 0.0, double beta = 0.0);

    // ---- ops ----
    void process(const onnx::NodeProto& n);
    bool foldStatic(const onnx::NodeProto& n);
    void conv(const onnx::NodeProto& n);
    void batchNorm(const onnx::NodeProto& n);
    void clip(const onnx::NodeProto& n);
    void binary(const onnx::NodeProto& n, OpKind op);
    void pool(const onnx::NodeProto& n, bool max);
    void globalPool(const onnx::NodeProto& n, bool max);
    void reduce(const onnx::NodeProto& n, bool max);
    void reshape(const onnx::NodeProto& n);
    void squeeze(const onnx::NodeProto& n, bool unsqueeze);
    void gemm(const onnx::NodeProto& n);
    void matmul(const onnx::NodeProto& n);
    void resize(const onnx::NodeProto& n, bool upsample);
    void concat(const onnx::NodeProto& n);
    void softmax(const onnx::NodeProto& n);
    void pad(const onnx::NodeProto& n);
    void transpose(const onnx::NodeProto& n);
    void slice(const onnx::NodeProto& n);
    void split(const onnx::NodeProto& n);
    void gather(const onnx::NodeProto& n);
    void convTranspose(const onnx::NodeProto& n);
    int sliceNode(int x, int64_t axis, int64_t start, int64_t end, int64_t step, const onnx::NodeProto& src,
                  const std::string& suffix);
    int reshapeTo(int x, std::vector<int64_t> target, const onnx::NodeProto& src,
                  const std::string& suffix = "");
    std::array<int64_t, 4> spatialPads(const onnx::NodeProto& n, const std::vector<int64_t>& kernel,
                                       const std::vector<int64_t>& strides,
                                       const std::vector<int64_t>& dilations, int x);

    // ---- taps ----
    void nameTaps();

    std::string mFile, mDir;
    int64_t mChannels, mHeight, mWidth;
    onnx::ModelProto mModel;
    int64_t mOpset = 0;
    GraphNet mNet;
    GraphNetImpl& mG;
    std::vector<torch::Tensor> mProbe;
    std::map<std::string, Value> mValues;
    std::map<std::string, int> mConstNodes;  // static value name → its Constant node
    std::set<std::string> mNames;
    std::map<std::string, const onnx::NodeProto*> mFusedAdd;  // MatMul output → the Add that adds its bias
    std::set<const onnx::NodeProto*> mSkip;  // nodes already imported with another (MatMul's Add)
    std::string mOutputName;
    std::vector<std::pair<std::string, int>> mValueTaps;  // ONNX value name → node, in order
    OnnxImportReport mReport;
    int mOutputNode = -1;
};

// ---- reading ---------------------------------------------------------------------------------------------

void Importer::readFile() {
    std::error_code ec;
    if (!fs::is_regular_file(mFile, ec)) throw Error("ONNX file " + mFile + " not found");
    mDir = fs::path(mFile).parent_path().string();
    std::ifstream in(mFile, std::ios::binary);
    if (!in) throw Error("cannot read " + mFile);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    mReport.file = mFile;
    mReport.sha256 = sha256(bytes);
    if (bytes.empty()) fail("the file is empty (expected an ONNX model)");
    if (!mModel.ParseFromString(bytes))
        fail(
            "not an ONNX model: the protobuf cannot be parsed (a truncated or corrupt file, or another "
            "format)");
    if (!mModel.has_graph() || mModel.graph().node_size() == 0)
        fail("not an ONNX model: it holds no graph nodes (a truncated file, or another protobuf)");
    mReport.irVersion = mModel.ir_version();
    mReport.producer = printable(mModel.producer_name() +
                                 (mModel.producer_version().empty() ? "" : " " + mModel.producer_version()));
    for (const auto& o : mModel.opset_import())
        if (o.domain().empty() || o.domain() == "ai.onnx") mOpset = o.version();
    mReport.opset = mOpset;
    if (mOpset < 9 || mOpset > 18)
        fail(
            "opset " + std::to_string(mOpset) +
            " is not supported (supported: 11 to 17, and 9, 10 and 18 where the ops are the same); re-export "
            "with torch.onnx.export(..., opset_version=13)");
}

torch::Tensor Importer::tensorOf(const onnx::TensorProto& t, const std::string& what) const {
    std::vector<int64_t> dims(t.dims().begin(), t.dims().end());
    int64_t numel = 1;
    for (auto d : dims) {
        if (d < 0 || d > (int64_t{1} << 34)) fail(what + " has an impossible dimension " + std::to_string(d));
        numel *= d;
        if (numel > (int64_t{1} << 34))
            fail(what + " is larger than any model tensor (" + shapeText(dims) + ")");
    }
    torch::ScalarType type;
    size_t elem = 0;
    switch (t.data_type()) {
        case onnx::TensorProto::FLOAT:
            type = torch::kFloat32, elem = 4;
            break;
        case onnx::TensorProto::DOUBLE:
            type = torch::kFloat64, elem = 8;
            break;
        case onnx::TensorProto::FLOAT16:
            type = torch::kFloat16, elem = 2;
            break;
        case onnx::TensorProto::INT64:
            type = torch::kInt64, elem = 8;
            break;
        case onnx::TensorProto::INT32:
            type = torch::kInt32, elem = 4;
            break;
        case onnx::TensorProto::INT8:
            type = torch::kInt8, elem = 1;
            break;
        case onnx::TensorProto::UINT8:
            type = torch::kUInt8, elem = 1;
            break;
        case onnx::TensorProto::BOOL:
            type = torch::kBool, elem = 1;
            break;
        default:
            fail(what + " has data type " + std::to_string(t.data_type()) +
                 ", which the importer does not read (supported: float, double, float16, int64, int32, int8, "
                 "uint8, bool)");
    }
    const size_t bytes = static_cast<size_t>(numel) * elem;
    // The data must be in the file (or its external file) before anything is allocated for it.
    const size_t available =
        t.data_location() == onnx::TensorProto::EXTERNAL ? bytes
        : !t.raw_data().empty()                          ? t.raw_data().size()
        : t.data_type() == onnx::TensorProto::FLOAT      ? static_cast<size_t>(t.float_data_size()) * 4
        : t.data_type() == onnx::TensorProto::DOUBLE     ? static_cast<size_t>(t.double_data_size()) * 8
        : t.data_type() == onnx::TensorProto::INT64      ? static_cast<size_t>(t.int64_data_size()) * 8
                                                         : static_cast<size_t>(t.int32_data_size()) * elem;
    if (numel > (int64_t{1} << 34) || available != bytes)
        fail(what + " holds " + std::to_string(available) + " bytes, expected " + std::to_string(bytes) +
             " for shape " + shapeText(dims) + " (a truncated or corrupt file?)");
    auto out = torch::empty(dims, torch::TensorOptions().dtype(type));
    auto fill = [&](const void* src, size_t have) {
        if (have != bytes)
            fail(what + " holds " + std::to_string(have) + " bytes, expected " + std::to_string(bytes) +
                 " for shape " + shapeText(dims) + " (a truncated file?)");
        if (bytes) std::memcpy(out.data_ptr(), src, bytes);
    };
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
        std::string location;
        int64_t offset = 0, length = -1;
        for (const auto& kv : t.external_data()) {
            if (kv.key() == "location") location = kv.value();
            if (kv.key() == "offset") offset = std::stoll(kv.value());
            if (kv.key() == "length") length = std::stoll(kv.value());
        }
        const fs::path path = fs::path(mDir) / location;
        std::ifstream in(path, std::ios::binary);
        if (location.empty() || !in)
            fail(what + " keeps its data in the external file '" + printable(location) +
                 "', which cannot be read");
        in.seekg(offset);
        std::string data(length >= 0 ? static_cast<size_t>(length) : bytes, '\0');
        in.read(data.data(), static_cast<std::streamsize>(data.size()));
        fill(data.data(), static_cast<size_t>(in.gcount()));
    } else if (!t.raw_data().empty()) {
        fill(t.raw_data().data(), t.raw_data().size());
    } else if (t.data_type() == onnx::TensorProto::FLOAT) {
        fill(t.float_data().data(), static_cast<size_t>(t.float_data_size()) * 4);
    } else if (t.data_type() == onnx::TensorProto::DOUBLE) {
        fill(t.double_data().data(), static_cast<size_t>(t.double_data_size()) * 8);
    } else if (t.data_type() == onnx::TensorProto::INT64) {
        fill(t.int64_data().data(), static_cast<size_t>(t.int64_data_size()) * 8);
    } else {
        // int32_data carries int32, and widened int8 / uint8 / bool / float16 bits.
        if (t.int32_data_size() != numel)
            fail(what + " holds " + std::to_string(t.int32_data_size()) + " values, expected " +
                 std::to_string(numel));
        auto wide = torch::from_blob(const_cast<int32_t*>(t.int32_data().data()), dims, torch::kInt32);
        if (type == torch::kFloat16)
            out = wide.to(torch::kInt16).view(torch::kFloat16).clone();
        else
            out = wide.to(type);
    }
    if (type == torch::kFloat16 || type == torch::kFloat64) out = out.to(torch::kFloat32);
    return out;
}

void Importer::setupInput() {
    const auto& graph = mModel.graph();
    std::set<std::string> initializers;
    for (const auto& t : graph.initializer())
        initializers.insert(t.name());
    std::vector<const onnx::ValueInfoProto*> inputs;
    for (const auto& i : graph.input())
        if (!initializers.count(i.name())) inputs.push_back(&i);
    if (inputs.empty()) fail("the graph has no input");
    if (inputs.size() > 1) {
        std::string names;
        for (const auto* i : inputs)
            names += (names.empty() ? "" : ", ") + printable(i->name());
        fail("the graph has " + std::to_string(inputs.size()) + " inputs (" + names +
             "); Distillery models take one image tensor");
    }
    const auto& in = *inputs[0];
    mReport.inputName = printable(in.name());
    const auto& type = in.type().tensor_type();
    if (type.elem_type() != onnx::TensorProto::FLOAT && type.elem_type() != 0)
        fail("input '" + printable(in.name()) + "' has element type " + std::to_string(type.elem_type()) +
             " (expected float)");
    std::vector<int64_t> declared;
    for (const auto& d : type.shape().dim())
        declared.push_back(d.has_dim_value() ? d.dim_value() : -1);
    mReport.declaredInput = declared;
    if (declared.size() != 4)
        fail("input '" + printable(in.name()) + "' has " + std::to_string(declared.size()) +
             " dimensions (expected an image batch, N x C x H x W)");

    // A file that takes NHWC (tf2onnx) starts with Transpose(perm 0,3,1,2): absorb it, feed NCHW.
    std::vector<const onnx::NodeProto*> consumers;
    for (const auto& n : graph.node())
        for (const auto& i : n.input())
            if (i == in.name()) consumers.push_back(&n);
    bool nhwc = !consumers.empty();
    for (const auto* c : consumers)
        if (c->op_type() != "Transpose" || attrInts(*c, "perm") != std::vector<int64_t>{0, 3, 1, 2})
            nhwc = false;
    mReport.channelsLastInput = nhwc;
    const int64_t fileC = nhwc ? declared[3] : declared[1];
    const int64_t fileH = nhwc ? declared[1] : declared[2];
    const int64_t fileW = nhwc ? declared[2] : declared[3];
    if (mChannels > 0 && fileC > 0 && mChannels != fileC)
        fail("the model takes " + std::to_string(fileC) + "-channel images, the data has " +
             std::to_string(mChannels) + " channels");
    if (mChannels <= 0) mChannels = fileC;
    if (mHeight <= 0) mHeight = fileH;
    if (mWidth <= 0) mWidth = fileW;
    if (mChannels <= 0 || mHeight <= 0 || mWidth <= 0)
        fail("the input size is not fixed in the file (" + shapeText(declared) +
             "); give it, e.g. --input 3x32x32, or import it for a data set");
    if (nhwc)
        mReport.notes.push_back(
            "the file takes NHWC images: its leading Transpose is absorbed and "
            "Distillery feeds NCHW");

    mG.input(mChannels);
    torch::manual_seed(0);
    mProbe.push_back(torch::randn({kProbeBatch, mChannels, mHeight, mWidth}));
    mNames.insert("input");
    if (nhwc) {
        for (const auto* c : consumers)
            setData(c->output(0), 0);
        for (const auto* c : consumers)
            mSkip.insert(c);
    } else {
        setData(in.name(), 0);
    }
}

// ---- values ----------------------------------------------------------------------------------------------

const Value& Importer::input(const onnx::NodeProto& n, int k) const {
    if (!hasInput(n, k)) fail(n, "input " + std::to_string(k) + " is missing");
    auto it = mValues.find(n.input(k));
    if (it == mValues.end())
        fail(n, "reads '" + printable(n.input(k)) +
                    "', which no node or initializer produces (a truncated file?)");
    return it->second;
}

torch::Tensor Importer::staticInput(const onnx::NodeProto& n, int k, const std::string& what) const {
    const Value& v = input(n, k);
    if (!v.isStatic)
        fail(n, what + " (input " + std::to_string(k) +
                    ") must be a constant or computable from shapes; here it depends on the image");
    if (v.anyBatch()) fail(n, what + " depends on the batch size, which the importer cannot fix");
    return v.tensor;
}

std::vector<int64_t> Importer::staticInts(const onnx::NodeProto& n, int k, const std::string& what) const {
    auto t = staticInput(n, k, what).to(torch::kInt64).contiguous().view(-1);
    return std::vector<int64_t>(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
}

void Importer::setStatic(const std::string& name, torch::Tensor t, std::vector<char> batch) {
    Value v;
    v.isStatic = true;
    v.tensor = std::move(t);
    if (batch.empty()) batch.assign(static_cast<size_t>(v.tensor.numel()), 0);
    v.batch = std::move(batch);
    mValues[name] = std::move(v);
}

void Importer::setData(const std::string& name, int node) {
    Value v;
    v.node = node;
    mValues[name] = v;
    if (!name.empty()) mValueTaps.emplace_back(name, node);
}

int Importer::nodeOf(const onnx::NodeProto& n, int k) {
    const Value& v = input(n, k);
    if (!v.isStatic) return v.node;
    if (v.anyBatch()) fail(n, "an operand depends on the batch size, which the importer cannot fix");
    auto it = mConstNodes.find(n.input(k));
    if (it != mConstNodes.end()) return it->second;
    if (!v.tensor.is_floating_point() && v.tensor.scalar_type() != torch::kInt64 &&
        v.tensor.scalar_type() != torch::kInt32)
        fail(n, "operand '" + printable(n.input(k)) + "' is not numeric");
    GraphNode c;
    c.op = OpKind::Constant;
    c.name = uniqueName(n.input(k));
    c.shape = v.tensor.sizes().vec();
    c.channels = v.tensor.dim() >= 2 ? v.tensor.size(1) : 1;
    const int idx = mG.addNode(c);
    {
        torch::NoGradGuard noGrad;
        mG.constantValue(idx).copy_(v.tensor.to(torch::kFloat32));
    }
    mProbe.push_back(mG.constantValue(idx));
    mConstNodes[n.input(k)] = idx;
    return idx;
}

// ---- building
// ----------------------------------------------------------------------------------------------

std::string Importer::uniqueName(const std::string& base) {
    std::string name = printable(base.empty() ? std::string("node") : base, 200);
    const std::string stem = name;
    for (int k = 2; mNames.count(name); ++k)
        name = stem + "_" + std::to_string(k);
    mNames.insert(name);
    return name;
}

int Importer::add(GraphNode node, const onnx::NodeProto& src, const std::string& suffix) {
    std::string base = src.name().empty() ? (src.output_size() ? src.output(0) : std::string()) : src.name();
    node.name = uniqueName(base + suffix);
    int idx = -1;
    try {
        idx = mG.addNode(node);
    } catch (const Error& e) {
        fail(src, e.what());
    } catch (const c10::Error& e) {
        fail(src, firstLine(e.what_without_backtrace()));
    }
    if (node.op == OpKind::BatchNorm) mG.bnModule(idx)->eval();
    return idx;
}

void Importer::probe(int node, const onnx::NodeProto& src) {
    if (static_cast<int>(mProbe.size()) != node) fail(src, "internal: probe out of step");
    // Sizes an ordinary model never reaches are refused before anything is allocated for them (a corrupt or
    // hostile file could ask for terabytes).
    constexpr int64_t kMaxSide = 1 << 15;
    const GraphNode& n = mG.nodes().at(node);
    for (int a = 0; a < 2; ++a) {
        if (n.kernel[a] > kMaxSide || n.stride[a] > kMaxSide || n.dilation[a] > kMaxSide ||
            n.pads[a] > kMaxSide || n.pads[a + 2] > kMaxSide || n.outputPadding[a] > kMaxSide ||
            n.outSize[a] > kMaxSide || n.scales[a] > 1024.0)
            fail(src, "a window, stride, pad or resize factor is beyond any model's (a corrupt file?)");
    }
    if (!n.inputs.empty() && mProbe.at(n.inputs[0]).dim() == 4) {
        const auto& in = mProbe.at(n.inputs[0]);
        for (int a = 0; a < 2; ++a) {
            const double side = static_cast<double>(in.size(2 + a));
            double out = side;
            if (n.op == OpKind::Resize) out = n.outSize[a] > 0 ? n.outSize[a] : side * n.scales[a];
            if (n.op == OpKind::ConvTranspose)
                out = static_cast<double>(n.stride[a]) * (side - 1) +
                      static_cast<double>(n.kernel[a] * n.dilation[a]);
            if (n.op == OpKind::Pad) out = side + static_cast<double>(n.pads[a] + n.pads[a + 2]);
            if (out > kMaxSide)
                fail(src, "its output would be " + std::to_string(static_cast<int64_t>(out)) +
                              " pixels along an axis (more than any model's; a corrupt file?)");
        }
    }
    try {
        torch::NoGradGuard noGrad;
        mProbe.push_back(mNet->evalFloat(node, mProbe));
    } catch (const c10::Error& e) {
        fail(src, "cannot run at the input size " + std::to_string(mChannels) + "x" +
                      std::to_string(mHeight) + "x" + std::to_string(mWidth) + ": " +
                      printable(firstLine(e.what_without_backtrace()), 300));
    } catch (const std::exception& e) {
        fail(src, "cannot run at the input size " + std::to_string(mChannels) + "x" +
                      std::to_string(mHeight) + "x" + std::to_string(mWidth) + ": " +
                      printable(firstLine(e.what()), 300));
    }
    const auto& t = mProbe.back();
    mG.setNodeChannels(node, t.dim() >= 2 ? t.size(1) : 1);
}

int Importer::unary(OpKind op, const onnx::NodeProto& n, double alpha, double beta) {
    GraphNode g;
    g.op = op;
    g.inputs = {nodeOf(n, 0)};
    g.alpha = alpha;
    g.beta = beta;
    const int idx = add(g, n);
    probe(idx, n);
    setData(n.output(0), idx);
    return idx;
}

int Importer::reshapeTo(int x, std::vector<int64_t> target, const onnx::NodeProto& src,
                        const std::string& suffix) {
    GraphNode r;
    r.op = OpKind::Reshape;
    r.inputs = {x};
    r.shape = std::move(target);
    const int idx = add(r, src, suffix);
    probe(idx, src);
    return idx;
}

// ---- the walk
// ----------------------------------------------------------------------------------------------

ImportedModel Importer::run() {
    torch::NoGradGuard noGrad;
    readFile();
    const auto& graph = mModel.graph();
    if (graph.output_size() < 1) fail("the graph has no output");
    mOutputName = graph.output(0).name();
    if (graph.output_size() > 1)
        mReport.notes.push_back("the graph has " + std::to_string(graph.output_size()) +
                                " outputs; the first, '" + printable(mOutputName) +
                                "', is the model's output");
    setupInput();
    for (const auto& t : graph.initializer())
        setStatic(t.name(), tensorOf(t, "initializer '" + printable(t.name()) + "'"));

    // Consumers, for MatMul + Add (bias) fusion and to free probe values early.
    std::map<std::string, std::vector<const onnx::NodeProto*>> consumers;
    for (const auto& n : graph.node())
        for (const auto& i : n.input())
            if (!i.empty()) consumers[i].push_back(&n);
    for (const auto& n : graph.node()) {
        if (n.op_type() != "MatMul" || n.output_size() != 1) continue;
        const auto& c = consumers[n.output(0)];
        if (c.size() == 1 && c[0]->op_type() == "Add" && n.output(0) != mOutputName)
            mFusedAdd[n.output(0)] = c[0];
    }

    std::map<std::string, int> opCounts;
    std::vector<std::string> opOrder;
    for (const auto& n : graph.node()) {
        const std::string type = opType(n);
        if (!opCounts.count(type)) opOrder.push_back(type);
        ++opCounts[type];
    }
    for (const auto& t : opOrder)
        mReport.ops.emplace_back(printable(t), opCounts[t]);

    for (const auto& n : graph.node()) {
        if (mSkip.count(&n)) continue;
        process(n);
    }

    auto out = mValues.find(mOutputName);
    if (out == mValues.end()) fail("no node produces the graph output '" + printable(mOutputName) + "'");
    if (out->second.isStatic)
        fail("the graph output '" + printable(mOutputName) + "' does not depend on the image");
    mOutputNode = out->second.node;
    const auto outShape = probeShape(mOutputNode);
    mReport.fileOutputShape.assign(outShape.begin() + 1, outShape.end());
    Task task;
    int64_t classes = 0;
    if (outShape.size() == 2) {
        task = Task::Classification;
        classes = outShape[1];
    } else if (outShape.size() == 4) {
        task = Task::Segmentation;
        classes = outShape[1];
        if (outShape[2] != mHeight || outShape[3] != mWidth)
            mReport.notes.push_back("the output's maps are " + std::to_string(outShape[2]) + "x" +
                                    std::to_string(outShape[3]) + ", the input " + std::to_string(mHeight) +
                                    "x" + std::to_string(mWidth) + ": an upsampling node is added");
    } else {
        fail("the output '" + printable(mOutputName) + "' has shape " + shapeText(outShape) +
             " (expected class scores N x K, or per-pixel scores N x K x H x W)");
    }
    if (task == Task::Segmentation && (outShape[2] != mHeight || outShape[3] != mWidth)) {
        // The engine's segmentation losses and metrics compare the output with masks of the input's size.
        GraphNode r;
        r.op = OpKind::Resize;
        r.inputs = {mOutputNode, 0};
        r.sizeOf = 0;
        r.resizeMode = ResizeMode::Bilinear;
        r.resizeCoord = ResizeCoord::HalfPixel;
        r.name = uniqueName("logits_upsampled");
        mReport.upsampledOutput = true;
        mOutputNode = mG.addNode(r);
        mProbe.push_back(mNet->evalFloat(mOutputNode, mProbe));
    }
    mG.setOutput(mOutputNode);
    nameTaps();
    mG.finalize();
    mNet->eval();

    ImportedModel result;
    result.net = mNet;
    ModelSpec spec;
    spec.onnx = mFile;
    mReport.model = measureModel(mNet, spec, task, mChannels, classes, mHeight, mWidth);
    result.report = mReport;
    return result;
}

void Importer::process(const onnx::NodeProto& n) {
    const std::string& d = n.domain();
    if (!d.empty() && d != "ai.onnx")
        fail(n, "operators of domain '" + printable(d) +
                    "' are not supported (supported: the standard ONNX ops " + joined(kDataOps) + ")");
    if (n.output_size() < 1) fail(n, "the node has no output");
    for (int k = 0; k < n.input_size(); ++k)
        if (!n.input(k).empty()) input(n, k);  // every input must exist

    bool anyData = false;
    for (int k = 0; k < n.input_size(); ++k)
        if (!n.input(k).empty() && !mValues.at(n.input(k)).isStatic) anyData = true;
    const std::string& op = n.op_type();
    // Shape reads only the data value's shape: static.
    if (op == "Shape" || op == "Constant" || !anyData) {
        if (foldStatic(n)) return;
        if (!anyData && std::find(kDataOps.begin(), kDataOps.end(), op) == kDataOps.end())
            fail(n, "op type '" + printable(op) + "' is not supported (supported: " + joined(kDataOps) +
                        "; and, on constants and shapes, " + joined(kStaticOps) + ")");
        // A data op whose inputs are all constants (rare): compute it like any other node below.
    }

    if (op == "Conv") return conv(n);
    if (op == "BatchNormalization") return batchNorm(n);
    if (op == "Relu") {
        unary(OpKind::ReLU, n);
        return;
    }
    if (op == "LeakyRelu") {
        unary(OpKind::LeakyReLU, n, attrFloat(n, "alpha", 0.01));
        return;
    }
    if (op == "Clip") return clip(n);
    if (op == "Sigmoid") {
        unary(OpKind::Sigmoid, n);
        return;
    }
    if (op == "HardSigmoid") {
        unary(OpKind::HardSigmoid, n, attrFloat(n, "alpha", 0.2), attrFloat(n, "beta", 0.5));
        return;
    }
    if (op == "HardSwish") {
        unary(OpKind::HardSwish, n);
        return;
    }
    if (op == "Add") return binary(n, OpKind::Add);
    if (op == "Sub") return binary(n, OpKind::Sub);
    if (op == "Mul") return binary(n, OpKind::Mul);
    if (op == "Div") return binary(n, OpKind::Div);
    if (op == "MaxPool") return pool(n, true);
    if (op == "AveragePool") return pool(n, false);
    if (op == "GlobalAveragePool") return globalPool(n, false);
    if (op == "GlobalMaxPool") return globalPool(n, true);
    if (op == "ReduceMean") return reduce(n, false);
    if (op == "ReduceMax") return reduce(n, true);
    if (op == "Flatten") {
        const int x = nodeOf(n, 0);
        const int64_t rank = static_cast<int64_t>(probeShape(x).size());
        int64_t axis = attrInt(n, "axis", 1);
        if (axis < 0) axis += rank;
        if (axis != 1)
            fail(n, "axis " + std::to_string(axis) + " would merge the batch with other axes (supported: 1)");
        GraphNode f;
        f.op = OpKind::Flatten;
        f.inputs = {x};
        const int idx = add(f, n);
        probe(idx, n);
        setData(n.output(0), idx);
        return;
    }
    if (op == "Reshape") return reshape(n);
    if (op == "Squeeze") return squeeze(n, false);
    if (op == "Unsqueeze") return squeeze(n, true);
    if (op == "Gemm") return gemm(n);
    if (op == "MatMul") return matmul(n);
    if (op == "Resize") return resize(n, false);
    if (op == "Upsample") return resize(n, true);
    if (op == "Concat") return concat(n);
    if (op == "Identity" || op == "Dropout") {
        // Inference: Dropout passes its input on (a mask output, if any, is not a tensor models use).
        setData(n.output(0), nodeOf(n, 0));
        return;
    }
    if (op == "Cast") {
        const int64_t to = attrInt(n, "to", onnx::TensorProto::FLOAT);
        if (to != onnx::TensorProto::FLOAT && to != onnx::TensorProto::DOUBLE &&
            to != onnx::TensorProto::FLOAT16)
            fail(n, "casts the image tensor to type " + std::to_string(to) + " (supported: float types)");
        setData(n.output(0), nodeOf(n, 0));
        return;
    }
    if (op == "Softmax" || op == "LogSoftmax") return softmax(n);
    if (op == "Pad") return pad(n);
    if (op == "Transpose") return transpose(n);
    if (op == "Slice") return slice(n);
    if (op == "Split") return split(n);
    if (op == "Gather") return gather(n);
    if (op == "ConvTranspose") return convTranspose(n);
    fail(n, "op type '" + printable(op) +
                "' is not supported on the image tensor (supported: " + joined(kDataOps) + ")");
}

// ---- static values
// -----------------------------------------------------------------------------------------

bool Importer::foldStatic(const onnx::NodeProto& n) {
    const std::string& op = n.op_type();
    auto in = [&](int k) -> const Value& { return input(n, k); };
    auto noBatch = [&](int k) {
        if (in(k).anyBatch())
            fail(n,
                 "computes with the batch size, which the importer cannot fix (a shape that depends on the "
                 "batch "
                 "beyond passing it on)");
        return in(k).tensor;
    };
    const std::string out = n.output(0);
    auto ints = [&](const torch::Tensor& t) {
        auto c = t.to(torch::kInt64).contiguous().view(-1);
        return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
    };
    auto maskOf = [&](int k) { return in(k).batch; };
    auto maskTensor = [&](int k) {
        const auto& b = in(k).batch;
        auto m = torch::zeros({static_cast<int64_t>(b.size())}, torch::kUInt8);
        for (size_t i = 0; i < b.size(); ++i)
            m[static_cast<int64_t>(i)] = b[i];
        return m.view(in(k).tensor.sizes());
    };
    auto maskFrom = [](const torch::Tensor& m) {
        auto c = m.to(torch::kUInt8).contiguous().view(-1);
        return std::vector<char>(c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
    };

    if (op == "Constant") {
        torch::Tensor t;
        if (const auto* a = attr(n, "value")) {
            t = tensorOf(a->t(), "constant '" + printable(out) + "'");
        } else if (const auto* a = attr(n, "value_float")) {
            t = torch::tensor(a->f());
        } else if (const auto* a = attr(n, "value_floats")) {
            t = torch::tensor(std::vector<float>(a->floats().begin(), a->floats().end()));
        } else if (const auto* a = attr(n, "value_int")) {
            t = torch::tensor(a->i(), torch::kInt64);
        } else if (const auto* a = attr(n, "value_ints")) {
            t = torch::tensor(std::vector<int64_t>(a->ints().begin(), a->ints().end()), torch::kInt64);
        } else {
            fail(n, "has no value the importer reads (supported: value, value_float(s), value_int(s))");
        }
        setStatic(out, t);
        return true;
    }
    if (op == "Shape") {
        const Value& v = in(0);
        std::vector<int64_t> shape = v.isStatic ? v.tensor.sizes().vec() : probeShape(v.node);
        std::vector<char> batch(shape.size(), 0);
        if (!v.isStatic && !shape.empty()) batch[0] = 1;  // the data's first dimension is the batch
        int64_t start = attrInt(n, "start", 0), end = attrInt(n, "end", static_cast<int64_t>(shape.size()));
        const int64_t rank = static_cast<int64_t>(shape.size());
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = std::clamp<int64_t>(start, 0, rank);
        end = std::clamp<int64_t>(end, start, rank);
        std::vector<int64_t> s(shape.begin() + start, shape.begin() + end);
        std::vector<char> b(batch.begin() + start, batch.begin() + end);
        setStatic(out, torch::tensor(s, torch::kInt64), b);
        return true;
    }
    if (op == "Identity") {
        setStatic(out, in(0).tensor, maskOf(0));
        return true;
    }
    if (op == "Cast") {
        const int64_t to = attrInt(n, "to", onnx::TensorProto::FLOAT);
        torch::ScalarType type;
        switch (to) {
            case onnx::TensorProto::FLOAT:
            case onnx::TensorProto::FLOAT16:
            case onnx::TensorProto::DOUBLE:
                type = torch::kFloat32;
                break;
            case onnx::TensorProto::INT64:
            case onnx::TensorProto::INT32:
            case onnx::TensorProto::INT16:
            case onnx::TensorProto::INT8:
            case onnx::TensorProto::UINT8:
                type = torch::kInt64;
                break;
            case onnx::TensorProto::BOOL:
                type = torch::kBool;
                break;
            default:
                fail(n, "casts to type " + std::to_string(to) + ", which the importer does not handle");
        }
        setStatic(out, in(0).tensor.to(type), maskOf(0));
        return true;
    }
    if (op == "Gather") {
        const auto& data = in(0).tensor;
        auto idx = noBatch(1).to(torch::kInt64);
        int64_t axis = attrInt(n, "axis", 0);
        if (axis < 0) axis += data.dim();
        if (axis < 0 || axis >= data.dim()) fail(n, "axis out of range");
        idx = torch::where(idx < 0, idx + data.size(axis), idx);
        if ((idx < 0).any().item<bool>() || (idx >= data.size(axis)).any().item<bool>())
            fail(n, "an index is out of range");
        std::vector<int64_t> shape = data.sizes().vec();
        std::vector<int64_t> outShape(shape.begin(), shape.begin() + axis);
        for (auto s : idx.sizes())
            outShape.push_back(s);
        outShape.insert(outShape.end(), shape.begin() + axis + 1, shape.end());
        auto value = data.index_select(axis, idx.view(-1)).reshape(outShape);
        auto mask = maskTensor(0).index_select(axis, idx.view(-1)).reshape(outShape);
        setStatic(out, value, maskFrom(mask));
        return true;
    }
    if (op == "Slice") {
        auto data = in(0).tensor;
        auto mask = maskTensor(0);
        std::vector<int64_t> starts, ends, axes, steps;
        if (mOpset < 10) {
            starts = attrInts(n, "starts");
            ends = attrInts(n, "ends");
            axes = attrInts(n, "axes");
        } else {
            starts = ints(noBatch(1));
            ends = ints(noBatch(2));
            if (hasInput(n, 3)) axes = ints(noBatch(3));
            if (hasInput(n, 4)) steps = ints(noBatch(4));
        }
        if (axes.empty())
            for (size_t i = 0; i < starts.size(); ++i)
                axes.push_back(static_cast<int64_t>(i));
        if (steps.empty()) steps.assign(starts.size(), 1);
        for (size_t i = 0; i < starts.size(); ++i) {
            int64_t axis = axes.at(i);
            if (axis < 0) axis += data.dim();
            const int64_t dim = data.size(axis), step = steps.at(i);
            if (step == 0) fail(n, "a slice step of 0");
            int64_t s = starts[i], e = ends.at(i);
            if (s < 0) s += dim;
            if (e < 0) e += dim;
            if (step > 0) {
                s = std::clamp<int64_t>(s, 0, dim);
                e = std::clamp<int64_t>(e, 0, dim);
                if (e < s) e = s;
                data = data.slice(axis, s, e, step);
                mask = mask.slice(axis, s, e, step);
            } else {
                // Backwards (exporters reverse pad lists this way): start in [0, dim-1], end in [-1, dim-1].
                s = std::clamp<int64_t>(s, 0, dim - 1);
                e = std::clamp<int64_t>(e, -1, dim - 1);
                std::vector<int64_t> picked;
                for (int64_t k = s; k > e; k += step)
                    picked.push_back(k);
                auto idx = torch::tensor(picked, torch::kInt64);
                data = data.index_select(axis, idx);
                mask = mask.index_select(axis, idx);
            }
        }
        setStatic(out, data.contiguous(), maskFrom(mask));
        return true;
    }
    if (op == "Concat") {
        std::vector<torch::Tensor> parts, masks;
        for (int k = 0; k < n.input_size(); ++k) {
            if (n.input(k).empty()) continue;
            parts.push_back(in(k).tensor);
            masks.push_back(maskTensor(k));
        }
        int64_t axis = attrInt(n, "axis", 0);
        const auto type = parts.at(0).scalar_type();
        for (auto& p : parts)
            p = p.to(type);
        setStatic(out, torch::cat(parts, axis), maskFrom(torch::cat(masks, axis)));
        return true;
    }
    if (op == "Unsqueeze" || op == "Squeeze") {
        auto data = in(0).tensor;
        std::vector<int64_t> axes = mOpset >= 13 && hasInput(n, 1) ? ints(noBatch(1)) : attrInts(n, "axes");
        std::vector<int64_t> shape = data.sizes().vec();
        if (op == "Unsqueeze") {
            const int64_t rank = static_cast<int64_t>(shape.size() + axes.size());
            for (auto& a : axes)
                if (a < 0) a += rank;
            std::sort(axes.begin(), axes.end());
            for (auto a : axes)
                shape.insert(shape.begin() + a, 1);
        } else {
            const int64_t rank = static_cast<int64_t>(shape.size());
            std::set<int64_t> drop;
            for (auto a : axes)
                drop.insert(a < 0 ? a + rank : a);
            std::vector<int64_t> kept;
            for (int64_t d = 0; d < rank; ++d)
                if (!(drop.count(d) || (axes.empty() && shape[d] == 1))) kept.push_back(shape[d]);
            shape = kept;
        }
        setStatic(out, data.reshape(shape), maskOf(0));
        return true;
    }
    if (op == "Reshape") {
        auto data = in(0).tensor;
        std::vector<int64_t> shape = ints(noBatch(1));
        for (size_t d = 0; d < shape.size(); ++d)
            if (shape[d] == 0 && attrInt(n, "allowzero", 0) == 0)
                shape[d] = data.size(static_cast<int64_t>(d));
        setStatic(out, data.reshape(shape), maskOf(0));
        return true;
    }
    if (op == "Flatten") {
        auto data = in(0).tensor;
        int64_t axis = attrInt(n, "axis", 1);
        if (axis < 0) axis += data.dim();
        int64_t lead = 1;
        for (int64_t d = 0; d < axis; ++d)
            lead *= data.size(d);
        setStatic(out, data.reshape({lead, -1}), maskOf(0));
        return true;
    }
    if (op == "Transpose") {
        auto data = noBatch(0);
        std::vector<int64_t> perm = attrInts(n, "perm");
        if (perm.empty())
            for (int64_t d = data.dim() - 1; d >= 0; --d)
                perm.push_back(d);
        setStatic(out, data.permute(perm).contiguous());
        return true;
    }
    if (op == "ConstantOfShape") {
        auto shape = ints(noBatch(0));
        torch::Tensor value = torch::zeros({1});
        if (const auto* a = attr(n, "value")) value = tensorOf(a->t(), "value of '" + printable(out) + "'");
        setStatic(out, torch::full(shape, value.view(-1)[0].item(), value.options()));
        return true;
    }
    if (op == "Range") {
        auto start = noBatch(0), limit = noBatch(1), delta = noBatch(2);
        setStatic(out, torch::arange(start.item(), limit.item(), delta.item(), start.options()));
        return true;
    }
    if (op == "DequantizeLinear") {
        auto x = noBatch(0).to(torch::kFloat32);
        auto scale = noBatch(1).to(torch::kFloat32);
        auto zero = hasInput(n, 2) ? noBatch(2).to(torch::kFloat32) : torch::zeros_like(scale);
        if (scale.dim() == 1 && x.dim() > 1) {
            int64_t axis = attrInt(n, "axis", 1);
            if (axis < 0) axis += x.dim();
            std::vector<int64_t> view(x.dim(), 1);
            view[axis] = -1;
            scale = scale.view(view);
            zero = zero.view(view);
        }
        setStatic(out, (x - zero) * scale);
        return true;
    }
    static const std::set<std::string> arithmetic{"Add", "Sub", "Mul", "Div", "Min", "Max"};
    if (arithmetic.count(op)) {
        auto a = noBatch(0), b = noBatch(1);
        const bool integer = !a.is_floating_point() && !b.is_floating_point();
        torch::Tensor r;
        if (op == "Add") r = a + b;
        if (op == "Sub") r = a - b;
        if (op == "Mul") r = a * b;
        if (op == "Div")
            r = integer ? torch::div(a, b, "trunc") : a.to(torch::kFloat32) / b.to(torch::kFloat32);
        if (op == "Min") r = torch::minimum(a, b);
        if (op == "Max") r = torch::maximum(a, b);
        setStatic(out, r);
        return true;
    }
    if (op == "Floor" || op == "Ceil" || op == "Neg" || op == "Sqrt") {
        auto a = noBatch(0);
        setStatic(out, op == "Floor"  ? torch::floor(a)
                       : op == "Ceil" ? torch::ceil(a)
                       : op == "Neg"  ? -a
                                      : torch::sqrt(a));
        return true;
    }
    return false;
}

// ---- ops on the image tensor
// -------------------------------------------------------------------------------

std::array<int64_t, 4> Importer::spatialPads(const onnx::NodeProto& n, const std::vector<int64_t>& kernel,
                                             const std::vector<int64_t>& strides,
                                             const std::vector<int64_t>& dilations, int x) {
    const std::string autoPad = attrString(n, "auto_pad", "NOTSET");
    std::array<int64_t, 4> pads{0, 0, 0, 0};
    if (autoPad == "NOTSET") {
        auto p = attrInts(n, "pads", {0, 0, 0, 0});
        if (p.size() != 4) fail(n, "expected 4 pads for a 2-D window, got " + std::to_string(p.size()));
        for (auto v : p)
            if (v < 0) fail(n, "negative pads are not supported");
        return {p[0], p[1], p[2], p[3]};
    }
    if (autoPad == "VALID") return pads;
    if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
        fail(n, "auto_pad '" + printable(autoPad) +
                    "' is not supported (supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER)");
    const auto shape = probeShape(x);
    for (int a = 0; a < 2; ++a) {
        const int64_t in = shape.at(2 + a), s = strides[a];
        const int64_t out = (in + s - 1) / s;
        const int64_t total = std::max<int64_t>(0, (out - 1) * s + (kernel[a] - 1) * dilations[a] + 1 - in);
        const int64_t small = total / 2, large = total - small;
        pads[a] = autoPad == "SAME_UPPER" ? small : large;
        pads[a + 2] = autoPad == "SAME_UPPER" ? large : small;
    }
    return pads;
}

void Importer::conv(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const auto w = staticInput(n, 1, "the weight").to(torch::kFloat32);
    if (w.dim() != 4)
        fail(n,
             "a " + std::to_string(w.dim() - 2) + "-D convolution (supported: 2-D, weights of 4 dimensions)");
    if (probeShape(x).size() != 4) fail(n, "its input is not an image batch (N x C x H x W)");
    GraphNode c;
    c.op = OpKind::Conv;
    c.inputs = {x};
    c.channels = w.size(0);
    c.groups = attrInt(n, "group", 1);
    auto kernel = attrInts(n, "kernel_shape", {w.size(2), w.size(3)});
    auto strides = attrInts(n, "strides", {1, 1});
    auto dilations = attrInts(n, "dilations", {1, 1});
    if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2)
        fail(n, "expected 2-D kernel_shape, strides and dilations");
    if (kernel[0] != w.size(2) || kernel[1] != w.size(3)) fail(n, "kernel_shape does not match the weight");
    c.kernel = {kernel[0], kernel[1]};
    c.stride = {strides[0], strides[1]};
    c.dilation = {dilations[0], dilations[1]};
    c.pads = spatialPads(n, kernel, strides, dilations, x);
    const int64_t inC = probeShape(x)[1];
    if (w.size(1) * c.groups != inC)
        fail(n, "the weight expects " + std::to_string(w.size(1) * c.groups) +
                    " input channels, the input has " + std::to_string(inC));
    c.bias = hasInput(n, 2);
    const int idx = add(c, n);
    mG.moduleWeight(idx).copy_(w);
    if (c.bias) {
        auto b = staticInput(n, 2, "the bias").to(torch::kFloat32).view(-1);
        if (b.numel() != c.channels)
            fail(n, "the bias has " + std::to_string(b.numel()) + " values for " +
                        std::to_string(c.channels) + " channels");
        mG.moduleBias(idx).copy_(b);
    }
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::batchNorm(const onnx::NodeProto& n) {
    if (attrInt(n, "training_mode", 0) != 0) fail(n, "training_mode 1 (export the model in eval mode)");
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    if (shape.size() != 4)
        fail(n, "batch norm over " + std::to_string(shape.size()) + "-D values (supported: images)");
    GraphNode b;
    b.op = OpKind::BatchNorm;
    b.inputs = {x};
    b.alpha = attrFloat(n, "epsilon", 1e-5);
    const int idx = add(b, n);
    auto& bn = mG.bnModule(idx);
    auto load = [&](torch::Tensor& into, int k, const char* what) {
        auto v = staticInput(n, k, what).to(torch::kFloat32).view(-1);
        if (v.numel() != shape[1])
            fail(n, std::string(what) + " has " + std::to_string(v.numel()) + " values for " +
                        std::to_string(shape[1]) + " channels");
        into.copy_(v);
    };
    load(bn->weight, 1, "the scale");
    load(bn->bias, 2, "the bias");
    load(bn->running_mean, 3, "the mean");
    load(bn->running_var, 4, "the variance");
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::clip(const onnx::NodeProto& n) {
    double lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
    if (mOpset < 11) {
        lo = attrFloat(n, "min", lo);
        hi = attrFloat(n, "max", hi);
    } else {
        if (hasInput(n, 1)) lo = staticInput(n, 1, "min").to(torch::kFloat64).item<double>();
        if (hasInput(n, 2)) hi = staticInput(n, 2, "max").to(torch::kFloat64).item<double>();
    }
    // The zoo's ops where they fit, so that their int8 fusion applies (conv + ReLU / ReLU6).
    if (lo == 0.0 && hi == 6.0) {
        unary(OpKind::ReLU6, n);
    } else if (lo == 0.0 && std::isinf(hi)) {
        unary(OpKind::ReLU, n);
    } else {
        unary(OpKind::Clip, n, lo, hi);
    }
}

void Importer::binary(const onnx::NodeProto& n, OpKind op) {
    GraphNode g;
    g.op = op;
    g.inputs = {nodeOf(n, 0), nodeOf(n, 1)};
    const auto sa = probeShape(g.inputs[0]), sb = probeShape(g.inputs[1]);
    const int idx = add(g, n);
    probe(idx, n);
    // A constant operand may not widen the batch dimension.
    if (probeShape(idx).size() != std::max(sa.size(), sb.size()) || probeShape(idx).at(0) != kProbeBatch)
        fail(n,
             "broadcasting " + shapeText(sa) + " with " + shapeText(sb) + " does not keep the batch first");
    setData(n.output(0), idx);
}

void Importer::pool(const onnx::NodeProto& n, bool max) {
    if (n.output_size() > 1 && !n.output(1).empty()) fail(n, "the Indices output is not supported");
    const int x = nodeOf(n, 0);
    if (probeShape(x).size() != 4) fail(n, "pooling over a value that is not an image batch");
    GraphNode p;
    p.op = max ? OpKind::MaxPool : OpKind::AvgPool;
    p.inputs = {x};
    auto kernel = attrInts(n, "kernel_shape");
    auto strides = attrInts(n, "strides", {1, 1});
    auto dilations = attrInts(n, "dilations", {1, 1});
    if (kernel.size() != 2 || strides.size() != 2 || dilations.size() != 2)
        fail(n, "expected a 2-D window (kernel_shape, strides, dilations)");
    if (!max && (dilations[0] != 1 || dilations[1] != 1)) fail(n, "dilated average pooling is not supported");
    p.kernel = {kernel[0], kernel[1]};
    p.stride = {strides[0], strides[1]};
    p.dilation = {dilations[0], dilations[1]};
    p.pads = spatialPads(n, kernel, strides, dilations, x);
    p.ceilMode = attrInt(n, "ceil_mode", 0) != 0;
    p.countIncludePad = attrInt(n, "count_include_pad", 0) != 0;
    const int idx = add(p, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::globalPool(const onnx::NodeProto& n, bool max) {
    const int x = nodeOf(n, 0);
    if (probeShape(x).size() != 4) fail(n, "global pooling over a value that is not an image batch");
    GraphNode p;
    p.op = max ? OpKind::GlobalMaxPool : OpKind::GlobalAvgPool;
    p.inputs = {x};
    const int idx = add(p, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::reduce(const onnx::NodeProto& n, bool max) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    std::vector<int64_t> axes =
        mOpset >= 18 && hasInput(n, 1) ? staticInts(n, 1, "axes") : attrInts(n, "axes");
    for (auto& a : axes)
        if (a < 0) a += static_cast<int64_t>(shape.size());
    std::sort(axes.begin(), axes.end());
    if (shape.size() != 4 || axes != std::vector<int64_t>{2, 3})
        fail(n,
             "reduces over axes other than the spatial ones (supported: axes [2, 3] of an image batch, a "
             "global "
             "pooling)");
    GraphNode p;
    p.op = max ? OpKind::GlobalMaxPool : OpKind::GlobalAvgPool;
    p.inputs = {x};
    int idx = add(p, n);
    probe(idx, n);
    if (attrInt(n, "keepdims", 1) == 0) idx = reshapeTo(idx, {0, shape[1]}, n, ".squeeze");
    setData(n.output(0), idx);
}

void Importer::reshape(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const Value& sv = input(n, 1);
    if (!sv.isStatic) fail(n, "the target shape depends on the image values");
    auto t = sv.tensor.to(torch::kInt64).contiguous().view(-1);
    std::vector<int64_t> target(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
    if (attrInt(n, "allowzero", 0) != 0 && std::count(target.begin(), target.end(), 0) > 0)
        fail(n, "allowzero with a zero in the shape is not supported");
    for (size_t d = 1; d < target.size(); ++d)
        if (sv.batch.at(d))
            fail(n, "moves the batch size away from the first axis, which the importer cannot fix");
    if (target.empty()) fail(n, "reshapes the batch to a scalar");
    // The first axis is the batch: keep it whatever size the file was exported with (often a literal 1).
    if (target[0] != -1) target[0] = 0;
    const int idx = reshapeTo(x, target, n);
    setData(n.output(0), idx);
}

void Importer::squeeze(const onnx::NodeProto& n, bool unsqueeze) {
    const int x = nodeOf(n, 0);
    std::vector<int64_t> shape = probeShape(x);
    std::vector<int64_t> axes =
        mOpset >= 13 && hasInput(n, 1) ? staticInts(n, 1, "axes") : attrInts(n, "axes");
    std::vector<int64_t> target;
    if (unsqueeze) {
        const int64_t rank = static_cast<int64_t>(shape.size() + axes.size());
        for (auto& a : axes)
            if (a < 0) a += rank;
        std::sort(axes.begin(), axes.end());
        target = shape;
        for (auto a : axes) {
            if (a == 0) fail(n, "inserts an axis before the batch");
            target.insert(target.begin() + a, 1);
        }
    } else {
        const int64_t rank = static_cast<int64_t>(shape.size());
        std::set<int64_t> drop;
        for (auto a : axes)
            drop.insert(a < 0 ? a + rank : a);
        if (drop.count(0)) fail(n, "squeezes the batch axis");
        for (int64_t d = 0; d < rank; ++d)
            if (!(drop.count(d) || (axes.empty() && d > 0 && shape[d] == 1))) target.push_back(shape[d]);
    }
    target[0] = 0;
    setData(n.output(0), reshapeTo(x, target, n));
}

void Importer::gemm(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    if (attrInt(n, "transA", 0) != 0) fail(n, "transA 1 (transposes the batch) is not supported");
    const auto shape = probeShape(x);
    if (shape.size() != 2) fail(n, "its input has shape " + shapeText(shape) + " (expected N x features)");
    auto w = staticInput(n, 1, "the weight B").to(torch::kFloat32);
    if (w.dim() != 2) fail(n, "the weight B is not a matrix");
    if (attrInt(n, "transB", 0) == 0) w = w.t();  // torch's Linear keeps [out, in]
    const double alpha = attrFloat(n, "alpha", 1.0), beta = attrFloat(n, "beta", 1.0);
    if (w.size(1) != shape[1])
        fail(n, "the weight expects " + std::to_string(w.size(1)) + " input features, the input has " +
                    std::to_string(shape[1]) + " at the input size " + std::to_string(mChannels) + "x" +
                    std::to_string(mHeight) + "x" + std::to_string(mWidth));
    GraphNode l;
    l.op = OpKind::Linear;
    l.inputs = {x};
    l.channels = w.size(0);
    l.inFeatures = w.size(1);
    l.bias = hasInput(n, 2);
    const int idx = add(l, n);
    mG.moduleWeight(idx).copy_(w * alpha);
    if (l.bias) {
        auto c = staticInput(n, 2, "the bias C").to(torch::kFloat32);
        if (c.numel() != 1 && c.numel() != l.channels)
            fail(n,
                 "the bias C has shape " + shapeText(c.sizes().vec()) + " (expected one value per output)");
        mG.moduleBias(idx).copy_(c.reshape(-1).expand({l.channels}) * beta);
    }
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::matmul(const onnx::NodeProto& n) {
    if (input(n, 0).isStatic)
        fail(n, "a constant times the image tensor is not supported (supported: x · W)");
    if (!input(n, 1).isStatic)
        fail(n, "the product of two image-dependent values is not supported (supported: x · W)");
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    auto w = staticInput(n, 1, "the weight").to(torch::kFloat32);
    if (w.dim() != 2) fail(n, "the weight is not a matrix");
    if (w.size(0) != shape.back())
        fail(n, "the weight expects " + std::to_string(w.size(0)) + " input features, the input has " +
                    std::to_string(shape.back()));
    GraphNode l;
    l.op = OpKind::Linear;
    l.inputs = {x};
    l.channels = w.size(1);
    l.inFeatures = w.size(0);
    // MatMul followed by Add(bias): one linear layer.
    const onnx::NodeProto* addNode = nullptr;
    torch::Tensor bias;
    if (auto it = mFusedAdd.find(n.output(0)); it != mFusedAdd.end()) {
        const onnx::NodeProto* a = it->second;
        const int other = a->input(0) == n.output(0) ? 1 : 0;
        auto v = mValues.find(a->input(other));
        if (v != mValues.end() && v->second.isStatic && !v->second.anyBatch() &&
            v->second.tensor.numel() == l.channels) {
            addNode = a;
            bias = v->second.tensor.to(torch::kFloat32).reshape(-1);
        }
    }
    l.bias = addNode != nullptr;
    const int idx = add(l, n);
    mG.moduleWeight(idx).copy_(w.t());
    if (addNode) mG.moduleBias(idx).copy_(bias);
    probe(idx, n);
    if (addNode) {
        mSkip.insert(addNode);
        setData(addNode->output(0), idx);
    } else {
        setData(n.output(0), idx);
    }
}

void Importer::resize(const onnx::NodeProto& n, bool upsample) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    if (shape.size() != 4) fail(n, "resizes a value that is not an image batch");
    GraphNode r;
    r.op = OpKind::Resize;
    r.inputs = {x};
    const std::string mode = attrString(n, "mode", "nearest");
    if (mode == "nearest") {
        r.resizeMode = ResizeMode::Nearest;
    } else if (mode == "linear" || mode == "bilinear") {
        r.resizeMode = ResizeMode::Bilinear;
    } else {
        fail(n, "mode '" + printable(mode) + "' is not supported (supported: nearest, linear)");
    }
    std::vector<double> scales;
    std::vector<int64_t> sizes;
    if (upsample || mOpset < 11) {
        // Upsample (opset 7-9) and Resize-10: scales, asymmetric coordinates, floor for nearest.
        r.resizeCoord = ResizeCoord::Asymmetric;
        r.nearest = NearestRounding::Floor;
        torch::Tensor s;
        if (upsample && mOpset < 9) {
            const auto* at = attr(n, "scales");
            if (!at) fail(n, "no scales");
            s = torch::tensor(std::vector<float>(at->floats().begin(), at->floats().end()));
        } else {
            s = staticInput(n, 1, "scales");
        }
        auto d = s.to(torch::kFloat64).contiguous();
        scales.assign(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
    } else {
        const std::string coord = attrString(n, "coordinate_transformation_mode", "half_pixel");
        if (!resizeCoordFromName(coord, r.resizeCoord))
            fail(n, "coordinate_transformation_mode '" + printable(coord) +
                        "' is not supported (supported: half_pixel, pytorch_half_pixel, align_corners, "
                        "asymmetric, "
                        "tf_half_pixel_for_nearest)");
        const std::string nearest = attrString(n, "nearest_mode", "round_prefer_floor");
        if (!nearestRoundingFromName(nearest, r.nearest))
            fail(n, "nearest_mode '" + printable(nearest) + "' is not supported");
        if (hasInput(n, 3)) {
            const Value& v = input(n, 3);
            if (!v.isStatic) fail(n, "the output sizes depend on the image values");
            auto t = v.tensor.to(torch::kInt64).contiguous().view(-1);
            sizes.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
            for (size_t d = 1; d < v.batch.size(); ++d)
                if (v.batch[d]) fail(n, "the output sizes use the batch size beyond the first axis");
        }
        if (sizes.empty() && hasInput(n, 2)) {
            auto t = staticInput(n, 2, "scales").to(torch::kFloat64).contiguous().view(-1);
            scales.assign(t.data_ptr<double>(), t.data_ptr<double>() + t.numel());
        }
    }
    if (!sizes.empty()) {
        if (sizes.size() != 4)
            fail(n, "expected 4 output sizes (N, C, H, W), got " + std::to_string(sizes.size()));
        if (sizes[1] != shape[1]) fail(n, "resizes the channel axis");
        r.outSize = {sizes[2], sizes[3]};
        if (sizes[2] <= 0 || sizes[3] <= 0) fail(n, "an output size is not positive");
        // Resizing to the input's own size (interpolate(size=x.shape[-2:])): follow the input instead, so
        // the node stays right for any input size.
        if (sizes[2] == mHeight && sizes[3] == mWidth && r.resizeMode == ResizeMode::Bilinear &&
            (r.resizeCoord == ResizeCoord::HalfPixel || r.resizeCoord == ResizeCoord::PytorchHalfPixel)) {
            r.sizeOf = 0;
            r.inputs.push_back(0);
            r.resizeCoord = ResizeCoord::HalfPixel;
        }
    } else {
        if (scales.size() != 4) fail(n, "expected 4 scales (N, C, H, W) or output sizes");
        if (scales[0] != 1.0 || scales[1] != 1.0) fail(n, "resizes the batch or channel axis");
        if (!(scales[2] > 0.0) || !(scales[3] > 0.0)) fail(n, "a scale is not positive");
        r.scales = {scales[2], scales[3]};
    }
    if (r.resizeMode == ResizeMode::Bilinear && r.resizeCoord == ResizeCoord::TfHalfPixelForNearest)
        fail(n, "tf_half_pixel_for_nearest applies to nearest mode only");
    const int idx = add(r, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::concat(const onnx::NodeProto& n) {
    GraphNode c;
    c.op = OpKind::Concat;
    for (int k = 0; k < n.input_size(); ++k)
        if (!n.input(k).empty()) c.inputs.push_back(nodeOf(n, k));
    const int64_t rank = static_cast<int64_t>(probeShape(c.inputs.at(0)).size());
    int64_t axis = attrInt(n, "axis", 1);
    if (axis < 0) axis += rank;
    if (axis == 0) fail(n, "concatenates along the batch axis");
    c.axis = axis;
    const int idx = add(c, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::softmax(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    int64_t axis = attrInt(n, "axis", mOpset >= 13 ? -1 : 1);
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    const bool classAxis = axis == 1 && (shape.size() == 2 || mOpset >= 13 || shape.size() == 4);
    if (n.output(0) == mOutputName && classAxis) {
        // Distillation and cross-entropy work on logits: the final (log-)softmax is dropped.
        mReport.droppedOutputOp = n.op_type();
        mReport.notes.push_back("the final " + n.op_type() +
                                " is dropped: the engine trains on logits (apply softmax to the output for "
                                "probabilities)");
        Value v;
        v.node = x;
        mValues[n.output(0)] = v;
        return;
    }
    if (n.op_type() == "LogSoftmax")
        fail(n, "LogSoftmax inside the network is not supported (only as the output)");
    if (mOpset < 13 && static_cast<size_t>(axis) != shape.size() - 1)
        fail(n, "opset < 13 Softmax over several axes is not supported");
    GraphNode s;
    s.op = OpKind::Softmax;
    s.inputs = {x};
    s.axis = axis;
    const int idx = add(s, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::pad(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    if (probeShape(x).size() != 4) fail(n, "pads a value that is not an image batch");
    std::vector<int64_t> pads;
    double value = 0.0;
    if (mOpset < 11) {
        pads = attrInts(n, "pads");
        value = attrFloat(n, "value", 0.0);
    } else {
        pads = staticInts(n, 1, "pads");
        if (hasInput(n, 2))
            value = staticInput(n, 2, "the constant value").to(torch::kFloat64).item<double>();
        if (hasInput(n, 3)) fail(n, "padding selected axes is not supported");
    }
    if (pads.size() != 8) fail(n, "expected 8 pads for an image batch, got " + std::to_string(pads.size()));
    if (pads[0] || pads[1] || pads[4] || pads[5]) fail(n, "pads the batch or channel axis");
    for (auto p : pads)
        if (p < 0) fail(n, "negative pads (cropping) are not supported");
    GraphNode p;
    p.op = OpKind::Pad;
    p.inputs = {x};
    p.pads = {pads[2], pads[3], pads[6], pads[7]};
    p.alpha = value;
    const std::string mode = attrString(n, "mode", "constant");
    if (mode == "constant")
        p.padMode = PadMode::Constant;
    else if (mode == "reflect")
        p.padMode = PadMode::Reflect;
    else if (mode == "edge")
        p.padMode = PadMode::Edge;
    else
        fail(n, "mode '" + printable(mode) + "' is not supported (supported: constant, reflect, edge)");
    const int idx = add(p, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

void Importer::transpose(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    std::vector<int64_t> perm = attrInts(n, "perm");
    bool identity = true;
    for (size_t d = 0; d < perm.size(); ++d)
        if (perm[d] != static_cast<int64_t>(d)) identity = false;
    if (identity) {
        setData(n.output(0), x);
        return;
    }
    // A transpose that only moves axes of size 1 is a reshape.
    std::vector<int64_t> moved;
    for (auto p : perm)
        moved.push_back(shape.at(p));
    std::vector<int64_t> order;
    for (size_t d = 0; d < perm.size(); ++d)
        if (shape[perm[d]] != 1) order.push_back(perm[d]);
    if (!perm.empty() && perm[0] == 0 && std::is_sorted(order.begin(), order.end())) {
        moved[0] = 0;
        setData(n.output(0), reshapeTo(x, moved, n));
        return;
    }
    if (perm.size() != shape.size() || perm.empty() || perm[0] != 0)
        fail(n, "moves the batch axis (supported: permutations that keep the batch first)");
    GraphNode t;
    t.op = OpKind::Transpose;
    t.inputs = {x};
    t.shape = perm;
    const int idx = add(t, n);
    probe(idx, n);
    setData(n.output(0), idx);
}

int Importer::sliceNode(int x, int64_t axis, int64_t start, int64_t end, int64_t step,
                        const onnx::NodeProto& src, const std::string& suffix) {
    GraphNode g;
    g.op = OpKind::Slice;
    g.inputs = {x};
    g.axis = axis;
    g.shape = {start, end, step};
    const int idx = add(g, src, suffix);
    probe(idx, src);
    return idx;
}

void Importer::slice(const onnx::NodeProto& n) {
    int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    std::vector<int64_t> starts, ends, axes, steps;
    if (mOpset < 10) {
        starts = attrInts(n, "starts");
        ends = attrInts(n, "ends");
        axes = attrInts(n, "axes");
    } else {
        starts = staticInts(n, 1, "starts");
        ends = staticInts(n, 2, "ends");
        if (hasInput(n, 3)) axes = staticInts(n, 3, "axes");
        if (hasInput(n, 4)) steps = staticInts(n, 4, "steps");
    }
    if (axes.empty())
        for (size_t i = 0; i < starts.size(); ++i)
            axes.push_back(static_cast<int64_t>(i));
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() || steps.size() != starts.size())
        fail(n, "starts, ends, axes and steps differ in length");
    for (size_t i = 0; i < starts.size(); ++i) {
        const int64_t axis = axes[i] < 0 ? axes[i] + static_cast<int64_t>(shape.size()) : axes[i];
        if (axis < 0 || axis >= static_cast<int64_t>(shape.size())) fail(n, "an axis is out of range");
        const int64_t dim = shape[axis];
        int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
        int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
        b = std::clamp<int64_t>(b, 0, dim);
        e = std::clamp<int64_t>(e, 0, dim);
        if (steps[i] <= 0) fail(n, "backward slices of the image tensor are not supported");
        if (b == 0 && e >= dim && steps[i] == 1) continue;  // the whole axis
        if (axis == 0) fail(n, "slices the batch axis");
        x = sliceNode(x, axis, b, std::max(b, e), steps[i], n, i ? "." + std::to_string(i) : std::string());
    }
    setData(n.output(0), x);
}

void Importer::split(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    int64_t axis = attrInt(n, "axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    if (axis == 0) fail(n, "splits the batch axis");
    if (axis >= static_cast<int64_t>(shape.size())) fail(n, "the axis is out of range");
    std::vector<int64_t> sizes =
        mOpset >= 13 && hasInput(n, 1) ? staticInts(n, 1, "split") : attrInts(n, "split");
    const int64_t parts = n.output_size();
    if (sizes.empty()) {
        if (shape[axis] % parts != 0) fail(n, "the axis does not split evenly");
        sizes.assign(static_cast<size_t>(parts), shape[axis] / parts);
    }
    if (static_cast<int64_t>(sizes.size()) != parts) fail(n, "split sizes and outputs differ in number");
    int64_t begin = 0;
    for (int64_t k = 0; k < parts; ++k) {
        const int idx = sliceNode(x, axis, begin, begin + sizes[k], 1, n, "." + std::to_string(k));
        begin += sizes[k];
        if (!n.output(static_cast<int>(k)).empty()) setData(n.output(static_cast<int>(k)), idx);
    }
}

void Importer::gather(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    int64_t axis = attrInt(n, "axis", 0);
    if (axis < 0) axis += static_cast<int64_t>(shape.size());
    if (axis == 0) fail(n, "gathers along the batch axis");
    if (axis >= static_cast<int64_t>(shape.size())) fail(n, "the axis is out of range");
    auto idx = staticInput(n, 1, "the indices").to(torch::kInt64);
    if (idx.dim() > 1) fail(n, "indices of more than one dimension are not supported");
    idx = torch::where(idx < 0, idx + shape[axis], idx).contiguous();
    GraphNode g;
    g.op = OpKind::Gather;
    g.inputs = {x};
    g.axis = axis;
    g.shape.assign(idx.data_ptr<int64_t>(), idx.data_ptr<int64_t>() + idx.numel());
    g.bins = idx.dim() == 0 ? 1 : 0;
    for (auto v : g.shape)
        if (v < 0 || v >= shape[axis]) fail(n, "an index is out of range");
    const int node = add(g, n);
    probe(node, n);
    setData(n.output(0), node);
}

void Importer::convTranspose(const onnx::NodeProto& n) {
    const int x = nodeOf(n, 0);
    const auto shape = probeShape(x);
    const auto w = staticInput(n, 1, "the weight").to(torch::kFloat32);
    if (w.dim() != 4 || shape.size() != 4) fail(n, "only 2-D transposed convolutions are supported");
    GraphNode c;
    c.op = OpKind::ConvTranspose;
    c.inputs = {x};
    c.groups = attrInt(n, "group", 1);
    c.channels = w.size(1) * c.groups;
    if (w.size(0) != shape[1])
        fail(n, "the weight expects " + std::to_string(w.size(0)) + " input channels, the input has " +
                    std::to_string(shape[1]));
    auto strides = attrInts(n, "strides", {1, 1});
    auto dilations = attrInts(n, "dilations", {1, 1});
    auto outPad = attrInts(n, "output_padding", {0, 0});
    if (strides.size() != 2 || dilations.size() != 2 || outPad.size() != 2)
        fail(n, "expected 2-D attributes");
    c.kernel = {w.size(2), w.size(3)};
    c.stride = {strides[0], strides[1]};
    c.dilation = {dilations[0], dilations[1]};
    c.outputPadding = {outPad[0], outPad[1]};
    const std::string autoPad = attrString(n, "auto_pad", "NOTSET");
    const auto outputShape = attrInts(n, "output_shape");
    std::array<int64_t, 4> pads{0, 0, 0, 0};
    if (!outputShape.empty() || autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER") {
        // The pads that give the requested size: total = stride·(in−1) + outpad + (k−1)·d + 1 − out.
        for (int a = 0; a < 2; ++a) {
            const int64_t in = shape[2 + a];
            const int64_t want =
                !outputShape.empty() ? outputShape.at(outputShape.size() - 2 + a) : in * strides[a];
            const int64_t total =
                strides[a] * (in - 1) + outPad[a] + (c.kernel[a] - 1) * dilations[a] + 1 - want;
            if (total < 0) fail(n, "output_shape is larger than the operator can produce");
            const bool lower = autoPad == "SAME_LOWER";
            pads[a] = lower ? total - total / 2 : total / 2;
            pads[a + 2] = total - pads[a];
        }
    } else if (autoPad == "NOTSET") {
        const auto p = attrInts(n, "pads", {0, 0, 0, 0});
        if (p.size() != 4) fail(n, "expected 4 pads");
        pads = {p[0], p[1], p[2], p[3]};
    } else if (autoPad != "VALID") {
        fail(n, "auto_pad '" + printable(autoPad) + "' is not supported");
    }
    c.pads = pads;
    c.bias = hasInput(n, 2);
    const int idx = add(c, n);
    mG.moduleWeight(idx).copy_(w);
    if (c.bias) mG.moduleBias(idx).copy_(staticInput(n, 2, "the bias").to(torch::kFloat32).view(-1));
    probe(idx, n);
    setData(n.output(0), idx);
}

// ---- taps ------------------------------------------------------------------------------------------------

void Importer::nameTaps() {
    const auto& nodes = mG.nodes();
    const int count = static_cast<int>(nodes.size());
    // Dominators of the output among the nodes that depend on the image: the trunk every path goes through.
    const size_t words = (static_cast<size_t>(count) + 63) / 64;
    std::vector<std::vector<uint64_t>> dom(count);
    auto isData = [&](int i) { return nodes[i].op != OpKind::Constant; };
    for (int i = 0; i < count; ++i) {
        if (!isData(i)) continue;
        std::vector<uint64_t> d;
        for (int in : nodes[i].inputs) {
            if (!isData(in)) continue;
            if (d.empty()) {
                d = dom[in];
            } else {
                for (size_t w = 0; w < words; ++w)
                    d[w] &= dom[in][w];
            }
        }
        if (d.empty()) d.assign(words, 0);
        d[static_cast<size_t>(i) / 64] |= uint64_t{1} << (i % 64);
        dom[i] = std::move(d);
    }
    const auto& outDom = dom.at(mOutputNode);
    auto onTrunk = [&](int i) { return (outDom[static_cast<size_t>(i) / 64] >> (i % 64)) & 1; };

    auto isPooling = [](OpKind op) {
        return op == OpKind::GlobalAvgPool || op == OpKind::GlobalMaxPool || op == OpKind::AdaptiveAvgPool;
    };
    auto isActivation = [](OpKind op) {
        return op == OpKind::ReLU || op == OpKind::ReLU6 || op == OpKind::Clip || op == OpKind::LeakyReLU ||
               op == OpKind::HardSwish || op == OpKind::Sigmoid;
    };
    std::vector<std::pair<std::string, int>> natural;
    int stage = 0, stem = -1, firstConv = -1, groupLast = -1, pooled = -1;
    bool stemDone = false;
    std::array<int64_t, 2> groupSize{-1, -1};
    for (int i = 1; i < count; ++i) {
        if (!isData(i) || !onTrunk(i) || i == mOutputNode) continue;
        const auto& shape = mProbe.at(i);
        if (isPooling(nodes[i].op)) {
            pooled = i;
            break;
        }
        if (shape.dim() != 4) break;
        if (nodes[i].op == OpKind::Resize) break;  // upsampling on the trunk: a decoder begins
        if (nodes[i].op == OpKind::Pad) continue;  // a transient border for the next window
        const std::array<int64_t, 2> size{shape.size(2), shape.size(3)};
        // The stem: the first conv on the trunk and what directly follows it at its resolution (batch norm,
        // activation, a gating multiply), up to the next conv or pooling.
        if (!stemDone) {
            if (firstConv < 0) {
                if (nodes[i].op == OpKind::Conv) {
                    firstConv = i;
                    stem = i;
                }
            } else if (size == groupSize && (nodes[i].op == OpKind::BatchNorm || isActivation(nodes[i].op) ||
                                             nodes[i].op == OpKind::Mul)) {
                stem = i;
            } else {
                stemDone = true;
            }
        }
        if (groupLast >= 0 && size != groupSize)
            natural.emplace_back("stage" + std::to_string(++stage), groupLast);
        groupLast = i;
        groupSize = size;
    }
    if (groupLast >= 0) natural.emplace_back("stage" + std::to_string(++stage), groupLast);
    if (stem >= 0) natural.insert(natural.begin(), {"stem", stem});
    if (pooled >= 0) {
        // The pooled features: the first 2-D value after the pooling on the trunk, else the pooled map.
        int pre = pooled;
        for (int i = pooled + 1; i < count; ++i)
            if (isData(i) && onTrunk(i) && i != mOutputNode && mProbe.at(i).dim() == 2 &&
                (nodes[i].op == OpKind::Flatten || nodes[i].op == OpKind::Reshape)) {
                pre = i;
                break;
            }
        natural.emplace_back("prelogits", pre);
    }
    natural.emplace_back("logits", mOutputNode);

    std::set<std::string> used;
    for (const auto& [name, node] : natural) {
        mG.tap(name, node);
        used.insert(name);
    }
    // Every intermediate value by its ONNX name (a name that a natural tap took keeps a suffix).
    for (const auto& [value, node] : mValueTaps) {
        if (node <= 0 || !isData(node)) continue;
        std::string name = printable(value, 200);
        if (used.count(name)) {
            bool same = false;
            for (const auto& [n2, node2] : natural)
                if (n2 == name && node2 == node) same = true;
            if (same) continue;
            name += " (onnx)";
        }
        if (!used.insert(name).second) continue;
        mG.tap(name, node);
    }
}

}  // namespace

std::vector<std::string> supportedOnnxOps() {
    std::vector<std::string> ops = kDataOps;
    for (const auto& s : kStaticOps)
        if (std::find(ops.begin(), ops.end(), s) == ops.end()) ops.push_back(s);
    return ops;
}

ImportedModel importOnnx(const std::string& file, int64_t channels, int64_t height, int64_t width) {
    Importer importer(file, channels, height, width);
    return importer.run();
}

OnnxImportReport describeOnnxModel(const std::string& file, int64_t channels, int64_t height, int64_t width) {
    return importOnnx(file, channels, height, width).report;
}

}  // namespace distillery
