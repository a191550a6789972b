// The model zoo: CIFAR-style classification networks (as in the CRD/RepDistiller benchmark suite) and
// FCN / PSPNet / DeepLabV3 segmentation heads on their backbones, all built from GraphNet's op set.

#include <cmath>
#include <functional>
#include <map>

#include "core/detection.h"
#include "core/internal/checkpoint.h"
#include "core/internal/graph_net.h"
#include "core/internal/onnx_import.h"
#include "core/zoo.h"

namespace distillery {

namespace {

/** What a backbone leaves behind: the feature node at its deepest stage. */
struct Backbone {
    int features = -1;
};

std::string stageName(int i) {
    return "stage" + std::to_string(i);
}

// ---- ResNet (CIFAR BasicBlock) ----

int basicBlock(GraphNetImpl& g, int x, int64_t planes, int64_t stride, const std::string& name) {
    int y = g.convBnAct(x, planes, 3, stride, 1, 1, false, name + ".1");
    y = g.conv(y, planes, 3, 1, 1, 1, false, name + ".2.conv");
    y = g.batchNorm(y, name + ".2.bn");
    int shortcut = x;
    if (stride != 1 || g.channelsOf(x) != planes) {
        shortcut = g.conv(x, planes, 1, stride, 1, 1, false, name + ".down.conv");
        shortcut = g.batchNorm(shortcut, name + ".down.bn");
    }
    const int out = g.relu(g.add(y, shortcut));
    g.tap(name, out);  // every block's output, for hint selection (core/hints.h) and the inspector
    return out;
}

Backbone resnet(GraphNetImpl& g, int x, int depth, const std::vector<int64_t>& filters, int64_t stemStride) {
    const int n = (depth - 2) / 6;
    int y = g.convBnAct(x, filters[0], 3, stemStride, 1, 1, false, "stem");
    g.tap("stem", y);
    for (int s = 0; s < 3; ++s) {
        for (int b = 0; b < n; ++b) {
            const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
            y = basicBlock(g, y, filters[s + 1], stride,
                           "layer" + std::to_string(s + 1) + "." + std::to_string(b));
        }
        g.tap(stageName(s + 1), y);
        // The block's sum before its ReLU: the pre-activation that activation-boundary transfer reads.
        g.tap(stageName(s + 1) + ".pre", g.nodes()[y].inputs.at(0));
    }
    return {y};
}

// ---- Wide ResNet (pre-activation) ----

int wideBlock(GraphNetImpl& g, int x, int64_t planes, int64_t stride, const std::string& name) {
    const bool equalInOut = g.channelsOf(x) == planes && stride == 1;
    int o = g.relu(g.batchNorm(x, name + ".bn1"));
    int y = g.conv(o, planes, 3, stride, 1, 1, false, name + ".conv1");
    y = g.relu(g.batchNorm(y, name + ".bn2"));
    y = g.conv(y, planes, 3, 1, 1, 1, false, name + ".conv2");
    int shortcut = equalInOut ? x : g.conv(o, planes, 1, stride, 1, 1, false, name + ".shortcut");
    const int out = g.add(y, shortcut);
    g.tap(name, out);
    return out;
}

Backbone wideResnet(GraphNetImpl& g, int x, int depth, int widen, int64_t stemStride) {
    const int n = (depth - 4) / 6;
    const std::vector<int64_t> channels{16, 16 * widen, 32 * widen, 64 * widen};
    int y = g.conv(x, channels[0], 3, stemStride, 1, 1, false, "stem.conv");
    g.tap("stem", y);
    for (int s = 0; s < 3; ++s) {
        for (int b = 0; b < n; ++b) {
            const int64_t stride = (s > 0 && b == 0) ? 2 : 1;
            y = wideBlock(g, y, channels[s + 1], stride,
                          "block" + std::to_string(s + 1) + "." + std::to_string(b));
        }
        if (s < 2) g.tap(stageName(s + 1), y);
    }
    // The last stage is tapped after the final BN-ReLU, the representation the classifier sees.
    const int finalBn = g.batchNorm(y, "final.bn");
    y = g.relu(finalBn);
    g.tap(stageName(3), y);
    // Pre-activations (what a ReLU reads, as RepDistiller's WRN gives them): each stage's output through the
    // next block's first batch norm, the last through the final one.
    for (int s = 1; s <= 2; ++s)
        g.tap(stageName(s) + ".pre", g.nodeIndex("block" + std::to_string(s + 1) + ".0.bn1"));
    g.tap(stageName(3) + ".pre", finalBn);
    return {y};
}

// ---- VGG (CIFAR, with BN) ----

Backbone vgg(GraphNetImpl& g, int x, const std::vector<std::vector<int64_t>>& cfg, bool segmentation,
             int64_t stemStride) {
    int y = x;
    // Pools after blocks 1..4 halve the map; for segmentation only the first three do (output stride 8).
    const int pools = segmentation ? 3 : 4;
    for (size_t blk = 0; blk < cfg.size(); ++blk) {
        for (size_t i = 0; i < cfg[blk].size(); ++i) {
            const std::string name = "block" + std::to_string(blk + 1) + "." + std::to_string(i);
            y = g.convBnAct(y, cfg[blk][i], 3, blk == 0 && i == 0 ? stemStride : 1, 1, 1, false, name);
            if (blk == 0 && i == 0) g.tap("stem", y);
            g.tap(name, y);
        }
        g.tap(stageName(static_cast<int>(blk) + 1), y);
        g.tap(stageName(static_cast<int>(blk) + 1) + ".pre",
              g.nodes()[y].inputs.at(0));  // BN before the ReLU
        if (static_cast<int>(blk) < pools) y = g.maxPool(y, 2, 2);
    }
    return {y};
}

// ---- MobileNetV2 (CIFAR strides) ----

int64_t makeDivisible(double v, int64_t divisor = 8) {
    int64_t r = std::max<int64_t>(divisor, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
    if (r < 0.9 * v) r += divisor;
    return r;
}

Backbone mobilenetv2(GraphNetImpl& g, int x, double width, int64_t stemStride) {
    struct Setting {
        int t;
        int64_t c;
        int n, s;
    };
    // Strides follow the CIFAR adaptation: stem stride 1 and three stride-2 stages (output stride 8).
    const std::vector<Setting> settings{{1, 16, 1, 1}, {6, 24, 2, 1},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                        {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
    // Taps after the settings that end a resolution (and after the first), as stage1..stage5.
    const std::map<size_t, int> tapAfter{{0, 1}, {1, 2}, {2, 3}, {4, 4}, {6, 5}};
    int64_t inC = makeDivisible(32 * width);
    int y = g.convBnAct(x, inC, 3, stemStride, 1, 1, true, "stem");
    g.tap("stem", y);
    for (size_t si = 0; si < settings.size(); ++si) {
        const auto& st = settings[si];
        const int64_t outC = makeDivisible(st.c * width);
        for (int i = 0; i < st.n; ++i) {
            const std::string name = "ir" + std::to_string(si + 1) + "." + std::to_string(i);
            const int64_t stride = i == 0 ? st.s : 1;
            const int64_t hidden = inC * st.t;
            int h = y;
            if (st.t != 1) h = g.convBnAct(h, hidden, 1, 1, 1, 1, true, name + ".expand");
            h = g.convBnAct(h, hidden, 3, stride, hidden, 1, true, name + ".dw");
            h = g.conv(h, outC, 1, 1, 1, 1, false, name + ".project.conv");
            h = g.batchNorm(h, name + ".project.bn");
            y = (stride == 1 && inC == outC) ? g.add(y, h) : h;
            g.tap(name, y);
            inC = outC;
        }
        if (auto it = tapAfter.find(si); it != tapAfter.end()) g.tap(stageName(it->second), y);
    }
    const int64_t last = width > 1.0 ? makeDivisible(1280 * width) : 1280;
    y = g.convBnAct(y, last, 1, 1, 1, 1, true, "features");
    g.tap("features", y);
    return {y};
}

// ---- segmentation heads ----

int fcnHead(GraphNetImpl& g, int f, int64_t numClasses) {
    const int64_t mid = std::max<int64_t>(g.channelsOf(f) / 4, 16);
    int y = g.convBnAct(f, mid, 3, 1, 1, 1, false, "head.fcn");
    g.tap("head", y);
    return g.conv(y, numClasses, 1, 1, 1, 1, true, "head.classifier");
}

int pspHead(GraphNetImpl& g, int f, int64_t numClasses) {
    const int64_t c = g.channelsOf(f);
    const int64_t branch = std::max<int64_t>(c / 4, 16);
    std::vector<int> parts{f};
    // Bins 1, 2, 4, 8 divide the usual power-of-two feature sizes, so each pooling is a plain average pool.
    for (int64_t bins : {1, 2, 4, 8}) {
        int p = g.adaptiveAvgPool(f, bins);
        p = g.convBnAct(p, branch, 1, 1, 1, 1, false, "head.ppm" + std::to_string(bins));
        parts.push_back(g.resizeLike(p, f));
    }
    int y = g.concat(parts);
    y = g.convBnAct(y, std::max<int64_t>(c / 2, 32), 3, 1, 1, 1, false, "head.bottleneck");
    g.tap("head", y);
    return g.conv(y, numClasses, 1, 1, 1, 1, true, "head.classifier");
}

int deeplabHead(GraphNetImpl& g, int f, int64_t numClasses) {
    const int64_t c = g.channelsOf(f);
    const int64_t branch = std::max<int64_t>(c / 2, 32);
    // Atrous rates scaled to the small feature maps of CPU-sized inputs (the paper's 6/12/18 assume 65×65).
    std::vector<int> parts{g.convBnAct(f, branch, 1, 1, 1, 1, false, "head.aspp0")};
    for (int64_t rate : {2, 4, 6})
        parts.push_back(g.convBnAct(f, branch, 3, 1, 1, rate, false, "head.aspp" + std::to_string(rate)));
    int pooled = g.globalAvgPool(f);
    pooled = g.convBnAct(pooled, branch, 1, 1, 1, 1, false, "head.aspp_pool");
    parts.push_back(g.resizeLike(pooled, f));
    int y = g.concat(parts);
    y = g.convBnAct(y, branch, 1, 1, 1, 1, false, "head.project");
    y = g.convBnAct(y, branch, 3, 1, 1, 1, false, "head.refine");
    g.tap("head", y);
    return g.conv(y, numClasses, 1, 1, 1, 1, true, "head.classifier");
}

// ---- detection: an upsampling neck to stride 4 and CenterNet's heads ----

/** Each node's stride relative to the input, for the zoo's ops (pooling to a fixed size: 0, unknown). */
std::vector<int64_t> nodeStrides(const GraphNetImpl& g) {
    std::vector<int64_t> stride(g.nodes().size(), 1);
    for (size_t i = 0; i < g.nodes().size(); ++i) {
        const GraphNode& n = g.nodes()[i];
        const int64_t in = n.inputs.empty() ? 1 : stride[static_cast<size_t>(n.inputs[0])];
        switch (n.op) {
            case OpKind::Conv:
            case OpKind::MaxPool:
            case OpKind::AvgPool:
                stride[i] = in * n.stride[0];
                break;
            case OpKind::GlobalAvgPool:
            case OpKind::AdaptiveAvgPool:
                stride[i] = 0;
                break;
            case OpKind::Resize:
                stride[i] = n.sizeOf >= 0 ? stride[static_cast<size_t>(n.sizeOf)] : 0;
                break;
            default:
                stride[i] = in;
        }
    }
    return stride;
}

/**
 * The detector on a backbone: from the deepest feature map up to stride 4, each level the previous one
 * resized (bilinear) onto the backbone's deepest stage at that stride, added to that stage through a 1×1
 * conv (the skip connection), then a 3×3 conv, all `neckChannels` wide (taps neck_s16, neck_s8, neck_s4,
 * ...); on the stride-4 level three heads (3×3 conv with bias, ReLU, 1×1 conv): per-class centre heat-map
 * logits (bias −2.19, CenterNet's prior of 0.1), box width and height, centre offset (taps heatmap, size,
 * offset). The output concatenates them: N × (K + 4) × H/4 × W/4.
 */
int centerNetHead(GraphNetImpl& g, int features, int64_t numClasses, int64_t neckChannels) {
    const auto strides = nodeStrides(g);
    const int64_t deepest = strides.at(static_cast<size_t>(features));
    if (deepest < 2 * kDetectionStride)
        throw Error("detection: the backbone's deepest features are at stride " + std::to_string(deepest) +
                    "; the detector's neck needs stride " + std::to_string(2 * kDetectionStride) +
                    " or more to climb back to stride " + std::to_string(kDetectionStride));
    // The deepest stage tap at each stride the neck passes (stride → node).
    std::map<int64_t, int, std::greater<>> skips;
    for (const auto& [name, node] : g.tapList()) {
        if (!isNaturalTapName(name) || name.compare(0, 5, "stage") != 0) continue;
        const int64_t s = strides.at(static_cast<size_t>(node));
        if (s >= kDetectionStride && s < deepest) skips[s] = node;
    }
    int y = g.convBnAct(features, neckChannels, 1, 1, 1, 1, false, "neck.lateral" + std::to_string(deepest));
    g.tap("neck_s" + std::to_string(deepest), y);
    int64_t at = deepest;
    for (const auto& [s, skip] : skips) {
        const int up = g.resizeLike(y, skip);
        const int lateral =
            g.convBnAct(skip, neckChannels, 1, 1, 1, 1, false, "neck.lateral" + std::to_string(s));
        y = g.convBnAct(g.add(up, lateral), neckChannels, 3, 1, 1, 1, false, "neck.fuse" + std::to_string(s));
        g.tap("neck_s" + std::to_string(s), y);
        at = s;
    }
    if (at != kDetectionStride)
        throw Error("detection: the backbone has no stage at stride " + std::to_string(kDetectionStride) +
                    " for the neck to end on (deepest stage at stride " + std::to_string(deepest) + ")");
    auto head = [&](const std::string& name, int64_t out) {
        int h = g.relu(g.conv(y, neckChannels, 3, 1, 1, 1, true, "head." + name + ".conv"));
        int o = g.conv(h, out, 1, 1, 1, 1, true, "head." + name + ".out");
        g.tap(name, o);
        return o;
    };
    const int heat = head("heatmap", numClasses);
    const int size = head("size", 2);
    const int offset = head("offset", 2);
    {
        torch::NoGradGuard noGrad;
        g.moduleBias(heat).fill_(-2.19);
    }
    return g.concat({heat, size, offset});
}

/** Detection backbones start with a stride-2 stem, so that the deepest stage lies at stride 8 or more and
 *  the neck has levels to climb back to stride 4 (and the early stages run on a quarter of the pixels). */
int64_t stemStrideFor(Task task) {
    return task == Task::Detection ? 2 : 1;
}

using BackboneFn = std::function<Backbone(GraphNetImpl&, int, const ModelSpec&, Task task)>;

struct ArchDef {
    ArchitectureEntry entry;
    BackboneFn build;
};

const std::vector<ArchDef>& registry() {
    static const std::vector<ArchDef> defs = [] {
        std::vector<ArchDef> d;
        auto addResnet = [&](const std::string& name, int depth, std::vector<int64_t> filters,
                             const char* desc) {
            d.push_back({{name, "resnet", desc},
                         [depth, filters](GraphNetImpl& g, int x, const ModelSpec&, Task task) {
                             return resnet(g, x, depth, filters, stemStrideFor(task));
                         }});
        };
        addResnet("resnet8", 8, {16, 16, 32, 64}, "CIFAR ResNet, 1 block per stage, 16-32-64 channels");
        addResnet("resnet20", 20, {16, 16, 32, 64}, "CIFAR ResNet, 3 blocks per stage, 16-32-64 channels");
        addResnet("resnet56", 56, {16, 16, 32, 64}, "CIFAR ResNet, 9 blocks per stage, 16-32-64 channels");
        addResnet("resnet8x4", 8, {32, 64, 128, 256},
                  "CIFAR ResNet, 1 block per stage, 4x wide (64-128-256)");
        addResnet("resnet32x4", 32, {32, 64, 128, 256},
                  "CIFAR ResNet, 5 blocks per stage, 4x wide (64-128-256)");
        auto addWrn = [&](const std::string& name, int depth, int widen, const char* desc) {
            d.push_back(
                {{name, "wrn", desc}, [depth, widen](GraphNetImpl& g, int x, const ModelSpec&, Task task) {
                     return wideResnet(g, x, depth, widen, stemStrideFor(task));
                 }});
        };
        addWrn("wrn_16_2", 16, 2, "Wide ResNet depth 16, widen 2 (32-64-128 channels)");
        addWrn("wrn_40_2", 40, 2, "Wide ResNet depth 40, widen 2 (32-64-128 channels)");
        auto addVgg = [&](const std::string& name, std::vector<std::vector<int64_t>> cfg, const char* desc) {
            d.push_back({{name, "vgg", desc}, [cfg](GraphNetImpl& g, int x, const ModelSpec&, Task task) {
                             return vgg(g, x, cfg, task == Task::Segmentation, stemStrideFor(task));
                         }});
        };
        addVgg("vgg8", {{64}, {128}, {256}, {512}, {512}}, "CIFAR VGG-8 with BN, one conv per block");
        addVgg("vgg13", {{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}},
               "CIFAR VGG-13 with BN, two convs per block");
        d.push_back(
            {{"mobilenetv2", "mobilenetv2", "MobileNetV2 (CIFAR strides); model.width scales channels"},
             [](GraphNetImpl& g, int x, const ModelSpec& spec, Task task) {
                 return mobilenetv2(g, x, spec.width, stemStrideFor(task));
             }});
        return d;
    }();
    return defs;
}

template <typename T, typename F>
std::string joinNames(const std::vector<T>& items, F name) {
    std::string s;
    for (const auto& it : items)
        s += (s.empty() ? "" : ", ") + name(it);
    return s;
}

}  // namespace

std::vector<ArchitectureEntry> architectures() {
    std::vector<ArchitectureEntry> out;
    for (const auto& def : registry())
        out.push_back(def.entry);
    return out;
}

std::vector<std::string> segmentationHeads() {
    return {"fcn", "psp", "deeplabv3"};
}

GraphNet buildModel(const ModelSpec& spec, Task task, int64_t inChannels, int64_t numClasses, int64_t height,
                    int64_t width) {
    if (!spec.checkpoint.empty()) {
        // A Distillery model with its own structure (pruned, or a run to continue from): its weights too.
        CheckpointMeta meta;
        GraphNet net = loadModel(resolveCheckpoint(spec.checkpoint), &meta, torch::kCPU);
        if (meta.quantized)
            throw Error(spec.checkpoint +
                        " holds a quantized model; a model to train starts from an fp32 checkpoint (quantize "
                        "the result afterwards, or give it as quantize.from)");
        if (!spec.arch.empty() && spec.arch != meta.model.arch)
            throw Error("arch '" + spec.arch + "' but " + spec.checkpoint + " holds a " +
                        meta.model.displayName());
        if (meta.task != task || meta.inChannels != inChannels ||
            (numClasses > 0 && meta.numClasses != numClasses))
            throw Error(spec.checkpoint + " holds a model for " + taskName(meta.task) + " with " +
                        std::to_string(meta.inChannels) + " input channels and " +
                        std::to_string(meta.numClasses) + " classes, but the data has " +
                        std::to_string(inChannels) + " channels and " + std::to_string(numClasses) +
                        " classes");
        net->train();
        return net;
    }
    if (!spec.onnx.empty()) {
        ImportedModel imported = importOnnx(spec.onnx, inChannels, height, width);
        const ModelInfo& info = imported.report.model;
        if (info.task != task)
            throw Error(spec.onnx + ": the model does " + taskName(info.task) + " (its output is " +
                        (info.task == Task::Classification ? "N x K" : "N x K x H x W") + "), the data set " +
                        taskName(task));
        if (numClasses > 0 && info.numClasses != numClasses)
            throw Error(spec.onnx + ": the model outputs " + std::to_string(info.numClasses) +
                        " classes, the data has " + std::to_string(numClasses));
        return imported.net;
    }
    const auto& defs = registry();
    auto it =
        std::find_if(defs.begin(), defs.end(), [&](const ArchDef& d) { return d.entry.name == spec.arch; });
    if (it == defs.end())
        throw Error("unknown architecture '" + spec.arch +
                    "' (allowed: " + joinNames(defs, [](const ArchDef& d) { return d.entry.name; }) + ")");
    if (!(spec.width > 0.0) || spec.width > 8.0)
        throw Error("model width " + std::to_string(spec.width) + " out of range (expected 0 < width <= 8)");
    if (inChannels <= 0 || (numClasses <= 1 && task != Task::Detection))
        throw Error("model needs input channels > 0 and at least 2 classes (got " +
                    std::to_string(inChannels) + " channels, " + std::to_string(numClasses) + " classes)");
    const bool seg = task == Task::Segmentation;
    const bool det = task == Task::Detection;
    std::string head = spec.head;
    if (seg && head.empty()) head = "fcn";
    if (det && head.empty()) head = "centernet";
    if (task == Task::Classification && !head.empty())
        throw Error("model.head '" + head + "' is only valid for segmentation and detection data sets");
    auto heads = segmentationHeads();
    if (seg && std::find(heads.begin(), heads.end(), head) == heads.end())
        throw Error("unknown segmentation head '" + head + "' (allowed: fcn, psp, deeplabv3)");
    if (det && head != "centernet") throw Error("unknown detection head '" + head + "' (allowed: centernet)");
    if (det && numClasses < 1) throw Error("a detector needs at least one class");

    GraphNet net;
    GraphNetImpl& g = *net;
    int x = g.input(inChannels);
    Backbone bb = it->build(g, x, spec, task);
    int out;
    if (det) {
        out = centerNetHead(g, bb.features, numClasses, 64);
    } else if (!seg) {
        int p = g.flatten(g.globalAvgPool(bb.features));
        g.tap("prelogits", p);
        out = g.linear(p, numClasses, "classifier");
    } else {
        int scores = head == "fcn"   ? fcnHead(g, bb.features, numClasses)
                     : head == "psp" ? pspHead(g, bb.features, numClasses)
                                     : deeplabHead(g, bb.features, numClasses);
        out = g.resizeLike(scores, x);
    }
    g.tap("logits", out);
    g.setOutput(out);
    g.finalize();
    return net;
}

bool isNaturalTapName(const std::string& name) {
    if (name == "stem" || name == "features" || name == "head" || name == "prelogits" || name == "logits" ||
        name == "heatmap" || name == "size" || name == "offset")
        return true;
    if (name.size() > 6 && name.compare(0, 6, "neck_s") == 0)
        return std::all_of(name.begin() + 6, name.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (name.size() > 5 && name.compare(0, 5, "stage") == 0)
        return std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
    return false;
}

std::vector<TapGroup> groupTapsByResolution(const std::vector<TapInfo>& taps) {
    std::vector<TapGroup> groups;
    TapGroup natural{"named taps", {}}, vectors{"vectors", {}};
    std::map<std::pair<int64_t, int64_t>, TapGroup, std::greater<>> bySize;
    for (const auto& t : taps) {
        if (isNaturalTapName(t.name)) {
            natural.taps.push_back(t);
        } else if (t.shape.size() == 3) {
            auto& g = bySize[{t.shape[1] * t.shape[2], t.shape[1]}];
            g.label = std::to_string(t.shape[1]) + "x" + std::to_string(t.shape[2]);
            g.taps.push_back(t);
        } else {
            vectors.taps.push_back(t);
        }
    }
    if (!natural.taps.empty()) groups.push_back(natural);
    for (auto& [size, g] : bySize)
        groups.push_back(std::move(g));
    if (!vectors.taps.empty()) groups.push_back(vectors);
    return groups;
}

ModelInfo describeModel(const ModelSpec& spec, Task task, int inChannels, int numClasses, int height,
                        int width) {
    torch::NoGradGuard noGrad;
    GraphNet net = buildModel(spec, task, inChannels, numClasses, height, width);
    ModelSpec resolved = spec;
    if (task == Task::Segmentation && resolved.head.empty()) resolved.head = "fcn";
    if (task == Task::Detection && resolved.head.empty()) resolved.head = "centernet";
    return measureModel(net, resolved, task, inChannels, numClasses, height, width);
}

}  // namespace distillery
