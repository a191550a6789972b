// The model zoo: CIFAR-style classification networks (as in the CRD/RepDistiller benchmark suite) and
// FCN / PSPNet / DeepLabV3 segmentation heads on their backbones, all built from GraphNet's op set.

#include <cmath>
#include <functional>
#include <map>

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
    return g.relu(g.add(y, shortcut));
}

Backbone resnet(GraphNetImpl& g, int x, int depth, const std::vector<int64_t>& filters) {
    const int n = (depth - 2) / 6;
    int y = g.convBnAct(x, filters[0], 3, 1, 1, 1, false, "stem");
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
    return g.add(y, shortcut);
}

Backbone wideResnet(GraphNetImpl& g, int x, int depth, int widen) {
    const int n = (depth - 4) / 6;
    const std::vector<int64_t> channels{16, 16 * widen, 32 * widen, 64 * widen};
    int y = g.conv(x, channels[0], 3, 1, 1, 1, false, "stem.conv");
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

Backbone vgg(GraphNetImpl& g, int x, const std::vector<std::vector<int64_t>>& cfg, bool segmentation) {
    int y = x;
    // Pools after blocks 1..4 halve the map; for segmentation only the first three do (output stride 8).
    const int pools = segmentation ? 3 : 4;
    for (size_t blk = 0; blk < cfg.size(); ++blk) {
        for (size_t i = 0; i < cfg[blk].size(); ++i) {
            y = g.convBnAct(y, cfg[blk][i], 3, 1, 1, 1, false,
                            "block" + std::to_string(blk + 1) + "." + std::to_string(i));
            if (blk == 0 && i == 0) g.tap("stem", y);
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

Backbone mobilenetv2(GraphNetImpl& g, int x, double width) {
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
    int y = g.convBnAct(x, inC, 3, 1, 1, 1, true, "stem");
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

using BackboneFn = std::function<Backbone(GraphNetImpl&, int, const ModelSpec&, bool segmentation)>;

struct ArchDef {
    ArchitectureEntry entry;
    BackboneFn build;
};

const std::vector<ArchDef>& registry() {
    static const std::vector<ArchDef> defs = [] {
        std::vector<ArchDef> d;
        auto addResnet = [&](const std::string& name, int depth, std::vector<int64_t> filters,
                             const char* desc) {
            d.push_back(
                {{name, "resnet", desc}, [depth, filters](GraphNetImpl& g, int x, const ModelSpec&, bool) {
                     return resnet(g, x, depth, filters);
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
            d.push_back({{name, "wrn", desc}, [depth, widen](GraphNetImpl& g, int x, const ModelSpec&, bool) {
                             return wideResnet(g, x, depth, widen);
                         }});
        };
        addWrn("wrn_16_2", 16, 2, "Wide ResNet depth 16, widen 2 (32-64-128 channels)");
        addWrn("wrn_40_2", 40, 2, "Wide ResNet depth 40, widen 2 (32-64-128 channels)");
        auto addVgg = [&](const std::string& name, std::vector<std::vector<int64_t>> cfg, const char* desc) {
            d.push_back({{name, "vgg", desc}, [cfg](GraphNetImpl& g, int x, const ModelSpec&, bool seg) {
                             return vgg(g, x, cfg, seg);
                         }});
        };
        addVgg("vgg8", {{64}, {128}, {256}, {512}, {512}}, "CIFAR VGG-8 with BN, one conv per block");
        addVgg("vgg13", {{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}},
               "CIFAR VGG-13 with BN, two convs per block");
        d.push_back(
            {{"mobilenetv2", "mobilenetv2", "MobileNetV2 (CIFAR strides); model.width scales channels"},
             [](GraphNetImpl& g, int x, const ModelSpec& spec, bool) {
                 return mobilenetv2(g, x, spec.width);
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
    if (inChannels <= 0 || numClasses <= 1)
        throw Error("model needs input channels > 0 and at least 2 classes (got " +
                    std::to_string(inChannels) + " channels, " + std::to_string(numClasses) + " classes)");
    const bool seg = task == Task::Segmentation;
    std::string head = spec.head;
    if (seg && head.empty()) head = "fcn";
    if (!seg && !head.empty())
        throw Error("model.head '" + head + "' is only valid for segmentation data sets");
    auto heads = segmentationHeads();
    if (seg && std::find(heads.begin(), heads.end(), head) == heads.end())
        throw Error("unknown segmentation head '" + head + "' (allowed: fcn, psp, deeplabv3)");

    GraphNet net;
    GraphNetImpl& g = *net;
    int x = g.input(inChannels);
    Backbone bb = it->build(g, x, spec, seg);
    int out;
    if (!seg) {
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
    if (name == "stem" || name == "features" || name == "head" || name == "prelogits" || name == "logits")
        return true;
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
    return measureModel(net, resolved, task, inChannels, numClasses, height, width);
}

}  // namespace distillery
