#pragma once
// A model as a small graph of standard ops (conv, BN, ReLU/ReLU6, add, pooling, linear, bilinear resize,
// concat). Every architecture of the zoo is built through GraphNet's builder, so one interpreter runs them,
// one routine measures them, and a later exporter only has to translate this op set.

#include <torch/torch.h>

#include <array>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/recipe.h"
#include "core/types.h"

namespace distillery {

enum class OpKind {
    Input,
    Conv,
    BatchNorm,
    ReLU,
    ReLU6,
    Add,
    MaxPool,
    AvgPool,
    GlobalAvgPool,
    AdaptiveAvgPool,
    Flatten,
    Linear,
    Resize,
    Concat,
    // Ops that imported models need (core/onnx_import.cpp); the zoo builds none of them.
    Constant,   // a fixed tensor (buffer), broadcast against the values it meets
    LeakyReLU,  // alpha: negative slope
    Clip,       // [alpha, beta]
    Sigmoid,
    HardSigmoid,  // max(0, min(1, alpha·x + beta))
    HardSwish,    // x · relu6(x + 3) / 6
    Mul,
    Sub,
    Div,
    GlobalMaxPool,
    Reshape,       // shape: ONNX semantics (0 copies the input's dimension, -1 is inferred)
    Pad,           // pads (spatial), padMode, alpha = constant value
    Softmax,       // axis
    Transpose,     // shape: the permutation (the batch stays first)
    Slice,         // axis; shape: {start, end, step}
    Gather,        // axis; shape: the indices; bins 1: a scalar index (the axis is dropped)
    ConvTranspose  // like Conv; outputPadding; weights [in, out/groups, kh, kw] (stay float when quantized)
};

const char* opName(OpKind op);
/** The OpKind an opName() string names; false when none does. */
bool opFromName(const std::string& name, OpKind& op);

enum class ResizeMode { Bilinear, Nearest };
/** ONNX Resize's coordinate_transformation_mode (how an output pixel maps to a source coordinate). */
enum class ResizeCoord { HalfPixel, PytorchHalfPixel, AlignCorners, Asymmetric, TfHalfPixelForNearest };
/** ONNX Resize's nearest_mode. */
enum class NearestRounding { RoundPreferFloor, RoundPreferCeil, Floor, Ceil };
enum class PadMode { Constant, Reflect, Edge };

struct GraphNode {
    std::string name;
    OpKind op = OpKind::Input;
    std::vector<int> inputs;
    int64_t channels = 0;  // output channels (features for Linear; the last dimension of a 2-D value)
    // Conv and pooling windows, (height, width); pads are (top, left, bottom, right).
    std::array<int64_t, 2> kernel{1, 1}, stride{1, 1}, dilation{1, 1};
    std::array<int64_t, 4> pads{0, 0, 0, 0};
    std::array<int64_t, 2> outputPadding{0, 0};  // ConvTranspose
    int64_t groups = 1;
    bool bias = false;
    int64_t inFeatures = 0;       // Linear: input features
    bool ceilMode = false;        // pooling
    bool countIncludePad = true;  // AvgPool: padded zeros count in the divisor
    int64_t bins = 0;             // AdaptiveAvgPool output size
    int sizeOf = -1;              // Resize: match the spatial size of this node
    ResizeMode resizeMode = ResizeMode::Bilinear;
    ResizeCoord resizeCoord = ResizeCoord::PytorchHalfPixel;
    NearestRounding nearest = NearestRounding::Floor;
    std::array<int64_t, 2> outSize{0, 0};    // Resize to a fixed size (when sizeOf < 0 and set)
    std::array<double, 2> scales{0.0, 0.0};  // Resize by factors (when sizeOf < 0 and outSize unset)
    double alpha = 0.0, beta = 0.0;  // LeakyReLU slope; Clip bounds; HardSigmoid α, β; Pad value; BN eps
    int64_t axis = 1;                // Flatten, Concat, Softmax
    std::vector<int64_t> shape;      // Reshape target; Constant: its shape
    PadMode padMode = PadMode::Constant;
    int moduleIndex = -1;  // index into the node's conv/bn/linear/constant list
    // ---- quantization (set by foldBatchNorm / enableQuantization) ----
    bool folded = false;   // BatchNorm folded into the conv before it: the node passes its input through
    int quant = -1;        // activation quantizer whose grid this node's output lies on (-1: float)
    bool requant = false;  // the output is (fake-)quantized here with `quant`'s parameters
    int weightQuant = -1;  // conv/linear: index of its weight quantizer

    bool symmetricPads() const { return pads[0] == pads[2] && pads[1] == pads[3]; }
};

/** Parameters of one quantizer, as plain numbers. */
struct QuantParams {
    int bits = 8;
    double scale = 1.0;
    int64_t zeroPoint = 0;  // activations: unsigned, [0, 2^bits - 1]; weights: symmetric (0)
    int64_t qmin = 0, qmax = 255;
};

class GraphNetImpl : public torch::nn::Module {
public:
    GraphNetImpl() = default;

    // ---- builder: each call appends a node and returns its index ----
    int input(int64_t channels);
    int conv(int x, int64_t outChannels, int64_t kernel, int64_t stride = 1, int64_t groups = 1,
             int64_t dilation = 1, bool bias = false, const std::string& name = {});
    int batchNorm(int x, const std::string& name = {});
    int relu(int x);
    int relu6(int x);
    int add(int a, int b);
    int maxPool(int x, int64_t kernel, int64_t stride, int64_t padding = 0);
    int avgPool(int x, int64_t kernel, int64_t stride);
    int globalAvgPool(int x);
    int adaptiveAvgPool(int x, int64_t bins);
    int flatten(int x);
    int linear(int x, int64_t outFeatures, const std::string& name = {});
    int resizeLike(int x, int reference);
    int concat(const std::vector<int>& xs);
    /** conv → BN → ReLU (or ReLU6), the most common triple. */
    int convBnAct(int x, int64_t outChannels, int64_t kernel, int64_t stride = 1, int64_t groups = 1,
                  int64_t dilation = 1, bool relu6Act = false, const std::string& name = {});
    /**
     * Appends any node, creating the modules its op owns (conv, BN, linear: freshly initialised; Constant:
     * a zero buffer of node.shape) from the node's fields, the way every builder call above does. An empty
     * name is generated. Importers and the structure reader (graphFromJson) build through this.
     */
    int addNode(GraphNode node);
    /** A constant tensor (kept as a buffer, saved with the weights). */
    int constant(const torch::Tensor& value, const std::string& name = {});
    void tap(const std::string& name, int node);
    void setOutput(int node);
    /** Corrects a node's channel count once its output has been measured (importers). */
    void setNodeChannels(int node, int64_t channels) { mNodes.at(node).channels = channels; }
    /** Must be called once after building: fixes buffer lifetimes. */
    void finalize();

    // ---- weights of single nodes (importers) ----
    /** The conv/linear module's own weight and bias (before any folding), for copying weights in. */
    torch::Tensor& moduleWeight(int node);
    torch::Tensor& moduleBias(int node);
    torch::nn::BatchNorm2d& bnModule(int node);
    torch::Tensor& constantValue(int node);

    // ---- structure ----
    /** The graph's structure (nodes, taps, output; no weights) as JSON text; graphFromJson rebuilds it so
     *  that a saved state dict loads into the copy. */
    std::string structureJson() const;

    // ---- running ----
    struct Outputs {
        torch::Tensor output;
        std::unordered_map<std::string, torch::Tensor> taps;
    };
    torch::Tensor forward(const torch::Tensor& x);
    /** Runs the graph and also returns the named taps (unknown names throw Error). */
    Outputs run(const torch::Tensor& x, const std::vector<std::string>& taps);
    /** Runs the graph returning every node's output (for measuring). */
    std::vector<torch::Tensor> runAll(const torch::Tensor& x);
    /** Evaluates node `node` in float (no quantization of its output) on `values`, which holds (at least)
     *  its inputs at their node indices. The int8 runtime runs the ops it has no kernel for this way. */
    torch::Tensor evalFloat(int node, const std::vector<torch::Tensor>& values);

    const std::vector<GraphNode>& nodes() const { return mNodes; }
    const std::vector<std::pair<std::string, int>>& tapList() const { return mTaps; }
    bool hasTap(const std::string& name) const;
    /** The node a tap reads; throws Error "unknown tap 'NAME'" when the model has none of that name. */
    int tapNode(const std::string& name) const;
    int64_t channelsOf(int node) const { return mNodes.at(node).channels; }
    int outputNode() const { return mOutput; }
    /** Parameters owned by one node (conv/bn/linear), 0 otherwise. */
    int64_t nodeParams(int node) const;

    /** Stores 4-D weights channels-last (NHWC): oneDNN's convolutions run faster on that layout. */
    void useChannelsLast();

    // ---- quantization ----
    /** Folds every BatchNorm that batchNormFoldTargets allows into its conv (the conv gains a bias; the BN
     *  node becomes a pass-through); the others stay as per-channel affine maps. Exact for eval-mode BN.
     *  Idempotent.
     *  `keepTaps`: a conv whose output is a tap keeps its BN, so that the tap still reads the conv's
     *  own output (a Wide ResNet's `stem`); for nets whose taps are read afterwards (the frozen teacher). */
    void foldBatchNorm(bool keepTaps = false);
    /** For each node: the conv a BatchNorm node may be folded into (it follows that conv and is its only
     *  reader; with `keepTaps`, the conv's output is no tap), else −1. The rule of foldBatchNorm and of the
     *  inference runner's own fold. */
    std::vector<int> batchNormFoldTargets(bool keepTaps) const;
    bool isFolded() const { return mFolded; }
    /**
     * Places activation quantizers (graph input; every conv, linear, add and concat output, after a ReLU /
     * ReLU6 that alone consumes it; pooling and resize re-quantize with their input's parameters) and
     * per-output-channel weight quantizers. `weightBits`: conv/linear name → bits (8/6/4/2); missing → 8.
     * Requires foldBatchNorm(). Scales are buffers, or parameters when `lsq` (learned step size).
     */
    void enableQuantization(const std::map<std::string, int>& weightBits, bool lsq);
    bool isQuantized() const { return !mActQuant.empty(); }

    /** Replaces batch norm in training mode (data-parallel training's synchronised statistics); an empty
     *  function restores the module's own. */
    using BatchNormOverride = std::function<torch::Tensor(torch::nn::BatchNorm2dImpl&, const torch::Tensor&)>;
    void setBatchNormOverride(BatchNormOverride f) { mBatchNormOverride = std::move(f); }
    bool learnsStepSizes() const { return mLsq; }
    /** When false the (folded) model runs in float although quantizers exist. */
    void setQuantActive(bool active) { mQuantActive = active; }
    bool quantActive() const { return mQuantActive; }
    /** Calibration hook: while set, runs in float and calls it with each quantizer's float input. */
    void setObserver(std::function<void(int quantizer, const torch::Tensor&)> observer) {
        mObserver = std::move(observer);
    }
    int activationQuantizerCount() const { return static_cast<int>(mActQuant.size()); }
    /** Sets quantizer `q`'s scale and zero point from a float range (widened to include 0). */
    void setActivationRange(int q, double lo, double hi);
    QuantParams activationParams(int q) const;
    /** The node that owns activation quantizer q (where its values are produced). */
    int activationQuantizerNode(int q) const { return mActQuantNode.at(q); }
    /** Conv/linear weight width; recomputes the per-channel scales (max |w| at 8 bit, MSE-optimal clip
     *  below 8 bit). 0 keeps the layer's weights in float. */
    void setWeightBits(int node, int bits);
    int weightBits(int node) const;
    /** Folded float weight / bias of a conv or linear node (bias may be undefined for a conv). */
    torch::Tensor layerWeight(int node) const;
    torch::Tensor layerBias(int node) const;
    /** The bias as integer kernels add it: rounded to the grid s_in·s_w[c] (int32 in ONNX) when the layer's
     *  weights and input are quantized and quantization is active; the float bias otherwise. */
    torch::Tensor effectiveBias(int node) const;
    /** Per-output-channel weight scales [C_out] (float). */
    torch::Tensor weightScale(int node) const;
    int nodeIndex(const std::string& name) const;  // -1 if absent
    /** The scales (LSQ parameters); empty without LSQ. */
    std::vector<torch::Tensor> stepSizeParameters() const;

    // ---- vertical-layered weights (once-QAT) ----
    /**
     * One model for several weight widths: each quantized layer stores only its integer code at the top
     * width (the width every quantized layer has now); width b takes it down by rounding right shifts of 2
     * bits a step, q_{k−2} = clamp(round(q_k / 4), ±(2^{k−3} − 1)) (halves to even), with the step size s_top
     * · 2^{top − b}. The forward pass uses the width set by setVerticalBits (the top one at first), with a
     * straight-through gradient, so a loss at any width trains the shared float weights. Requires
     * enableQuantization(). `widths`: the widths it will be used at; each channel's top scale then minimises
     * the summed squared error of all of them (empty: keep the top width's own scales, max |w| / q_max at 8
     * bits).
     */
    void enableVerticalLayering(const std::vector<int>& widths = {});
    bool isVertical() const { return mVerticalTop > 0; }
    int verticalTopBits() const { return mVerticalTop; }
    /** The width the forward pass uses: 8, 6, 4 or 2, at most the top one. */
    void setVerticalBits(int bits);
    int verticalBits() const { return mVerticalBits; }
    /** Layer `node`'s integer codes at `bits` (int64, the weight's shape). Vertical models only. */
    torch::Tensor verticalCodes(int node, int bits) const;
    /** Makes the model an ordinary quantized one at `bits`: each layer's weight becomes its codes at that
     *  width times the width's step size, which becomes its scale; vertical mode ends. Exporters and the
     *  int8 kernels then see exactly that width's codes. */
    void materializeVerticalBits(int bits);

private:
    int append(GraphNode node);
    /** A single-input node that keeps its input's channel count, auto-named `prefix<n>`. */
    GraphNode sameChannels(OpKind op, int x, const char* prefix);
    torch::Tensor evalNode(const GraphNode& node, const std::vector<torch::Tensor>& values);
    torch::Tensor quantizeOutput(const GraphNode& node, torch::Tensor value);
    torch::Tensor effectiveWeight(const GraphNode& node) const;
    std::string autoName(const char* prefix);
    /** A name torch accepts for a submodule or buffer (no dots), unique within this net. */
    std::string uniqueModuleName(const std::string& nodeName);

    std::vector<GraphNode> mNodes;
    std::vector<std::pair<std::string, int>> mTaps;
    std::vector<torch::nn::Conv2d> mConvs;
    std::vector<torch::nn::BatchNorm2d> mBns;
    BatchNormOverride mBatchNormOverride;
    std::vector<torch::nn::Linear> mLinears;
    std::vector<torch::nn::ConvTranspose2d> mDeconvs;
    std::vector<torch::Tensor> mConsts;
    std::set<std::string> mModuleNames;
    std::vector<int> mLastUse;
    std::vector<int> mConsumers;  // how many nodes read each node's value
    int mOutput = -1;
    int mCounter = 0;

    bool mFolded = false;
    std::vector<torch::Tensor> mFoldBias;  // per conv module: bias created by folding (undefined if none)
    struct ActQuant {
        torch::Tensor scale;      // [1] float
        torch::Tensor zeroPoint;  // [1] float holding an integer
        int bits = 8;
    };
    struct WeightQuant {
        torch::Tensor scale;  // [C_out] float
        int bits = 8;         // 0 = float
    };
    std::vector<ActQuant> mActQuant;
    std::vector<int> mActQuantNode;
    std::vector<WeightQuant> mWeightQuant;
    bool mLsq = false;
    int mVerticalTop = 0;   // vertical-layered: the top width (0: off)
    int mVerticalBits = 0;  // vertical-layered: the width the forward pass uses
    bool mQuantActive = true;
    std::function<void(int, const torch::Tensor&)> mObserver;
};
TORCH_MODULE(GraphNet);

/** Names of the resize and pad settings as ONNX spells them (structure JSON, exporter, messages). */
const char* resizeModeName(ResizeMode mode);
const char* resizeCoordName(ResizeCoord coord);
const char* nearestRoundingName(NearestRounding rounding);
const char* padModeName(PadMode mode);
bool resizeCoordFromName(const std::string& name, ResizeCoord& out);
bool nearestRoundingFromName(const std::string& name, NearestRounding& out);

/** A Resize node's output size for input x (`values` holds the node named by sizeOf, if any). */
std::array<int64_t, 2> resizeOutputSize(const GraphNode& n, const torch::Tensor& x,
                                        const std::vector<torch::Tensor>& values);
/** A Resize node's value: torch's kernels where they are the ONNX mode, the general gather otherwise. */
torch::Tensor resizeValue(const GraphNode& n, const torch::Tensor& x, std::array<int64_t, 2> size);
/** A Reshape node's value (0 copies the input's dimension, -1 is inferred). */
torch::Tensor reshapeValue(const GraphNode& n, const torch::Tensor& x);

/** Stores a module's 4-D parameters channels-last (GraphNet's useChannelsLast; loss-term adapters). */
void useChannelsLast(torch::nn::Module& module);

/** Builds a zoo model, or imports spec.onnx for the given input size (height/width 0: the file's own).
 *  Throws Error for unknown architectures or heads (message lists the allowed ones) and for files that
 *  cannot be imported. */
GraphNet buildModel(const ModelSpec& spec, Task task, int64_t inChannels, int64_t numClasses,
                    int64_t height = 0, int64_t width = 0);

/** Rebuilds a graph from GraphNetImpl::structureJson() (weights freshly initialised). Throws Error naming
 *  `source` when the text is not such a structure. */
GraphNet graphFromJson(const std::string& json, const std::string& source);

/** Measures a built model with a dry run on a zero input of the given size. */
ModelInfo measureModel(GraphNet& net, const ModelSpec& spec, Task task, int64_t inChannels,
                       int64_t numClasses, int64_t height, int64_t width);

}  // namespace distillery
