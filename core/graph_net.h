#pragma once
// A model as a small graph of standard ops (conv, BN, ReLU/ReLU6, add, pooling, linear, bilinear resize,
// concat). Every architecture of the zoo is built through GraphNet's builder, so one interpreter runs them,
// one routine measures them, and a later exporter only has to translate this op set.

#include <torch/torch.h>

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
    Concat
};

const char* opName(OpKind op);

struct GraphNode {
    std::string name;
    OpKind op = OpKind::Input;
    std::vector<int> inputs;
    int64_t channels = 0;  // output channels (features for Linear)
    int64_t kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
    bool bias = false;
    int64_t bins = 0;      // AdaptiveAvgPool output size
    int sizeOf = -1;       // Resize: match the spatial size of this node
    int moduleIndex = -1;  // index into the node's conv/bn/linear module list
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
    void tap(const std::string& name, int node);
    void setOutput(int node);
    /** Must be called once after building: fixes buffer lifetimes. */
    void finalize();

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

    const std::vector<GraphNode>& nodes() const { return mNodes; }
    const std::vector<std::pair<std::string, int>>& tapList() const { return mTaps; }
    bool hasTap(const std::string& name) const;
    int64_t channelsOf(int node) const { return mNodes.at(node).channels; }
    int outputNode() const { return mOutput; }
    /** Parameters owned by one node (conv/bn/linear), 0 otherwise. */
    int64_t nodeParams(int node) const;

private:
    int append(GraphNode node);
    /** A single-input node that keeps its input's channel count, auto-named `prefix<n>`. */
    GraphNode sameChannels(OpKind op, int x, const char* prefix);
    torch::Tensor evalNode(const GraphNode& node, const std::vector<torch::Tensor>& values);
    std::string autoName(const char* prefix);

    std::vector<GraphNode> mNodes;
    std::vector<std::pair<std::string, int>> mTaps;
    std::vector<torch::nn::Conv2d> mConvs;
    std::vector<torch::nn::BatchNorm2d> mBns;
    std::vector<torch::nn::Linear> mLinears;
    std::vector<int> mLastUse;
    int mOutput = -1;
    int mCounter = 0;
};
TORCH_MODULE(GraphNet);

/** Builds a zoo model. Throws Error for unknown architectures or heads (message lists the allowed ones). */
GraphNet buildModel(const ModelSpec& spec, Task task, int64_t inChannels, int64_t numClasses);

/** Measures a built model with a dry run on a zero input of the given size. */
ModelInfo measureModel(GraphNet& net, const ModelSpec& spec, Task task, int64_t inChannels,
                       int64_t numClasses, int64_t height, int64_t width);

}  // namespace distillery
