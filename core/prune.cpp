#include "core/prune.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include "core/format.h"
#include "core/internal/checkpoint.h"
#include "core/internal/evaluation.h"
#include "core/internal/loader.h"
#include "core/internal/prune.h"

namespace distillery {

namespace fs = std::filesystem;

namespace {

/** Channel spaces joined by union-find: a conv's outputs start one; adding two tensors joins theirs. */
class Spaces {
public:
    int create(int64_t channels, const std::string& fixedBecause = {}) {
        mParent.push_back(static_cast<int>(mParent.size()));
        mChannels.push_back(channels);
        mFixed.push_back(fixedBecause);
        return mParent.back();
    }
    int find(int s) {
        while (mParent[s] != s)
            s = mParent[s] = mParent[mParent[s]];
        return s;
    }
    void unite(int a, int b) {
        a = find(a);
        b = find(b);
        if (a == b) return;
        mParent[b] = a;
        if (mFixed[a].empty()) mFixed[a] = mFixed[b];
    }
    void fix(int s, const std::string& why) {
        s = find(s);
        if (mFixed[s].empty()) mFixed[s] = why;
    }
    int64_t channels(int s) const { return mChannels[s]; }
    const std::string& fixedBecause(int root) const { return mFixed[root]; }
    size_t size() const { return mParent.size(); }

private:
    std::vector<int> mParent;
    std::vector<int64_t> mChannels;
    std::vector<std::string> mFixed;
};

int64_t sumChannels(const Spaces& spaces, const std::vector<int>& list) {
    int64_t c = 0;
    for (int s : list)
        c += spaces.channels(s);
    return c;
}

bool isDepthwise(const GraphNode& n, int64_t inChannels) {
    return n.op == OpKind::Conv && n.groups > 1 && n.groups == inChannels && n.channels == inChannels;
}

}  // namespace

ChannelAnalysis analyzeChannels(const GraphNetImpl& net, const std::vector<torch::Tensor>& values) {
    const auto& nodes = net.nodes();
    Spaces spaces;
    std::vector<std::vector<int>> prov(nodes.size());
    std::vector<std::vector<int>> producers, batchNorms, depthwise;  // per space
    auto fixAll = [&](const std::vector<int>& list, const std::string& why) {
        for (int s : list)
            spaces.fix(s, why);
    };
    auto newSpace = [&](int64_t channels, const std::string& why = {}) {
        producers.emplace_back();
        batchNorms.emplace_back();
        depthwise.emplace_back();
        return spaces.create(channels, why);
    };
    for (size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode& n = nodes[i];
        const std::string who = "'" + n.name + "' (" + opName(n.op) + ")";
        const std::vector<int> in = n.inputs.empty() ? std::vector<int>{} : prov[n.inputs[0]];
        switch (n.op) {
            case OpKind::Input:
                prov[i] = {newSpace(n.channels, "the model's input")};
                break;
            case OpKind::Conv: {
                const int64_t inC = sumChannels(spaces, in);
                if (n.groups == 1) {
                    prov[i] = {newSpace(n.channels)};
                    producers[prov[i][0]].push_back(static_cast<int>(i));
                } else if (isDepthwise(n, inC)) {
                    prov[i] = in;
                    for (int s : in)
                        depthwise[s].push_back(static_cast<int>(i));
                } else {
                    fixAll(in, "read by the grouped conv " + who);
                    prov[i] = {newSpace(n.channels, "outputs of the grouped conv " + who)};
                }
                break;
            }
            case OpKind::BatchNorm:
                prov[i] = in;
                for (int s : in)
                    batchNorms[s].push_back(static_cast<int>(i));
                break;
            // Channel by channel: the channels pass through.
            case OpKind::ReLU:
            case OpKind::ReLU6:
            case OpKind::LeakyReLU:
            case OpKind::Clip:
            case OpKind::Sigmoid:
            case OpKind::HardSigmoid:
            case OpKind::HardSwish:
            case OpKind::MaxPool:
            case OpKind::AvgPool:
            case OpKind::GlobalAvgPool:
            case OpKind::GlobalMaxPool:
            case OpKind::AdaptiveAvgPool:
            case OpKind::Pad:
            case OpKind::Resize:  // its second input only gives the size
                prov[i] = in;
                break;
            case OpKind::Flatten: {
                const auto& x = values.at(n.inputs[0]);
                const bool perChannel = x.dim() == 2 || (x.dim() == 4 && x.size(2) * x.size(3) == 1);
                if (perChannel && n.axis == 1) {
                    prov[i] = in;
                } else {
                    fixAll(in, "flattened with their spatial positions by " + who);
                    prov[i] = {newSpace(n.channels, "outputs of " + who)};
                }
                break;
            }
            case OpKind::Linear:
                prov[i] = {newSpace(n.channels, "the features of the linear layer " + who)};
                break;
            case OpKind::Add:
            case OpKind::Mul:
            case OpKind::Sub:
            case OpKind::Div: {
                const auto& a = prov[n.inputs.at(0)];
                const auto& b = prov[n.inputs.at(1)];
                bool same =
                    a.size() == b.size() && values.at(n.inputs[0]).sizes() == values.at(n.inputs[1]).sizes();
                for (size_t k = 0; same && k < a.size(); ++k)
                    same = spaces.channels(a[k]) == spaces.channels(b[k]);
                if (same) {  // elementwise: channel c meets channel c, so they go together
                    for (size_t k = 0; k < a.size(); ++k)
                        spaces.unite(a[k], b[k]);
                    prov[i] = a;
                } else {
                    fixAll(a, "broadcast against another layout by " + who);
                    fixAll(b, "broadcast against another layout by " + who);
                    prov[i] = {newSpace(n.channels, "outputs of " + who)};
                }
                break;
            }
            case OpKind::Concat:
                if (n.axis == 1) {
                    for (int x : n.inputs)
                        prov[i].insert(prov[i].end(), prov[x].begin(), prov[x].end());
                } else {
                    for (int x : n.inputs)
                        fixAll(prov[x], "concatenated along axis " + std::to_string(n.axis) + " by " + who);
                    prov[i] = {newSpace(n.channels, "outputs of " + who)};
                }
                break;
            default:  // constants, reshapes, softmax, transposes, slices, gathers, transposed convs
                for (int x : n.inputs)
                    fixAll(prov[x], "read by " + who + ", which needs every channel");
                prov[i] = {newSpace(n.channels, "outputs of " + who)};
                break;
        }
    }
    const int out = net.outputNode() >= 0 ? net.outputNode() : static_cast<int>(nodes.size()) - 1;
    fixAll(prov.at(out), "the model's output");

    // One group per union of spaces, numbered in graph order.
    ChannelAnalysis a;
    std::vector<int> groupOf(spaces.size(), -1);
    for (size_t s = 0; s < spaces.size(); ++s) {
        const int root = spaces.find(static_cast<int>(s));
        if (groupOf[root] < 0) {
            groupOf[root] = static_cast<int>(a.groups.size());
            ChannelGroup g;
            g.channels = spaces.channels(root);
            g.fixedBecause = spaces.fixedBecause(root);
            a.groups.push_back(g);
        }
        ChannelGroup& g = a.groups[groupOf[root]];
        g.producers.insert(g.producers.end(), producers[s].begin(), producers[s].end());
        g.batchNorms.insert(g.batchNorms.end(), batchNorms[s].begin(), batchNorms[s].end());
        g.depthwise.insert(g.depthwise.end(), depthwise[s].begin(), depthwise[s].end());
    }
    for (auto& g : a.groups) {
        g.prunable = g.fixedBecause.empty() && !g.producers.empty();
        if (!g.prunable && g.fixedBecause.empty()) g.fixedBecause = "no conv produces them";
        std::sort(g.producers.begin(), g.producers.end());
        std::sort(g.batchNorms.begin(), g.batchNorms.end());
        std::sort(g.depthwise.begin(), g.depthwise.end());
    }
    // Spaces joined after a group was taken read their final root's group.
    a.nodeGroups.resize(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i)
        for (int s : prov[i])
            a.nodeGroups[i].push_back(groupOf[spaces.find(s)]);
    return a;
}

std::vector<torch::Tensor> channelScores(GraphNetImpl& net, const ChannelAnalysis& analysis,
                                         const std::string& criterion, std::vector<std::string>* used) {
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> scores;
    if (used) used->clear();
    for (const auto& g : analysis.groups) {
        torch::Tensor s = torch::zeros({g.channels});
        std::string how = criterion;
        if (criterion == "bn" && !g.batchNorms.empty()) {
            for (int b : g.batchNorms)
                s += net.bnModule(b)->weight.detach().abs().to(torch::kCPU);
            s /= static_cast<double>(g.batchNorms.size());
        } else if (!g.producers.empty()) {
            how = "l1";
            for (int p : g.producers) {
                const auto w = net.moduleWeight(p).detach().to(torch::kCPU);
                s += w.abs().reshape({w.size(0), -1}).mean(1);
            }
            s /= static_cast<double>(g.producers.size());
        }
        scores.push_back(s);
        if (used) used->push_back(how);
    }
    return scores;
}

namespace {

int64_t keptChannels(const ChannelAnalysis& a, int node, const std::vector<int64_t>& kept) {
    int64_t c = 0;
    for (int g : a.nodeGroups[node])
        c += kept[g];
    return c;
}

}  // namespace

std::pair<int64_t, int64_t> prunedCost(const GraphNetImpl& net, const ChannelAnalysis& a,
                                       const std::vector<torch::Tensor>& values,
                                       const std::vector<int64_t>& kept) {
    const auto& nodes = net.nodes();
    int64_t params = 0, macs = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode& n = nodes[i];
        const int node = static_cast<int>(i);
        const int64_t out = keptChannels(a, node, kept);
        switch (n.op) {
            case OpKind::Conv: {
                const int64_t inOriginal = net.channelsOf(n.inputs[0]);
                const int64_t in = keptChannels(a, n.inputs[0], kept);
                const int64_t groups = isDepthwise(n, inOriginal) ? out : n.groups;
                const int64_t k = n.kernel[0] * n.kernel[1];
                params += out * (in / groups) * k + (n.bias ? out : 0);
                const int64_t pixels = values[i].numel() / std::max<int64_t>(1, values[i].size(1));
                macs += pixels * out * (in / groups) * k;
                break;
            }
            case OpKind::BatchNorm:
                params += 2 * out;
                break;
            case OpKind::Linear: {
                const int64_t in =
                    n.inFeatures - (net.channelsOf(n.inputs[0]) - keptChannels(a, n.inputs[0], kept));
                params += in * n.channels + (n.bias ? n.channels : 0);
                macs += values[i].numel() / std::max<int64_t>(1, n.channels) * in * n.channels;
                break;
            }
            default:
                params += net.nodeParams(node);
                if (n.op == OpKind::ConvTranspose)
                    macs += values[n.inputs[0]].numel() * (n.channels / n.groups) * n.kernel[0] * n.kernel[1];
                break;
        }
    }
    return {params, macs};
}

namespace {

/** The positions (within a node's output) of the channels kept. */
torch::Tensor keptPositions(const ChannelAnalysis& a, int node, const std::vector<std::vector<int64_t>>& keep,
                            const std::vector<ChannelGroup>& groups) {
    std::vector<int64_t> out;
    int64_t offset = 0;
    for (int g : a.nodeGroups[node]) {
        for (int64_t c : keep[g])
            out.push_back(offset + c);
        offset += groups[g].channels;
    }
    return torch::tensor(out, torch::kLong);
}

}  // namespace

GraphNet prunedCopy(GraphNetImpl& net, const ChannelAnalysis& a,
                    const std::vector<std::vector<int64_t>>& keep) {
    if (net.isQuantized() || net.isFolded())
        throw Error("a quantized (or batch-norm folded) model cannot be pruned: prune the fp32 model");
    const auto& nodes = net.nodes();
    std::vector<int64_t> kept(a.groups.size());
    for (size_t g = 0; g < a.groups.size(); ++g)
        kept[g] = static_cast<int64_t>(keep.at(g).size());
    GraphNet copy;
    GraphNetImpl& c = *copy;
    for (size_t i = 0; i < nodes.size(); ++i) {
        GraphNode n = nodes[i];
        const int node = static_cast<int>(i);
        n.moduleIndex = -1;
        const int64_t newChannels = keptChannels(a, node, kept);
        if (n.op == OpKind::Conv && isDepthwise(n, net.channelsOf(n.inputs[0]))) n.groups = newChannels;
        if (n.op == OpKind::Linear) {
            n.inFeatures -= net.channelsOf(n.inputs[0]) - keptChannels(a, n.inputs[0], kept);
        } else if (n.op != OpKind::Constant) {
            n.channels = newChannels;
        }
        c.addNode(n);
    }
    for (const auto& [name, node] : net.tapList())
        c.tap(name, node);
    c.setOutput(net.outputNode());
    c.finalize();

    torch::NoGradGuard noGrad;
    for (size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode& n = nodes[i];
        const int node = static_cast<int>(i);
        switch (n.op) {
            case OpKind::Conv: {
                const auto outKeep = keptPositions(a, node, keep, a.groups);
                auto w = net.moduleWeight(node).detach().cpu().index_select(0, outKeep);
                if (n.groups == 1) w = w.index_select(1, keptPositions(a, n.inputs[0], keep, a.groups));
                c.moduleWeight(node).copy_(w);
                if (n.bias)
                    c.moduleBias(node).copy_(net.moduleBias(node).detach().cpu().index_select(0, outKeep));
                break;
            }
            case OpKind::BatchNorm: {
                const auto idx = keptPositions(a, node, keep, a.groups);
                auto& from = net.bnModule(node);
                auto& to = c.bnModule(node);
                to->weight.copy_(from->weight.detach().cpu().index_select(0, idx));
                to->bias.copy_(from->bias.detach().cpu().index_select(0, idx));
                to->running_mean.copy_(from->running_mean.cpu().index_select(0, idx));
                to->running_var.copy_(from->running_var.cpu().index_select(0, idx));
                to->num_batches_tracked.copy_(from->num_batches_tracked.cpu());
                break;
            }
            case OpKind::Linear: {
                auto w = net.moduleWeight(node).detach().cpu();
                if (n.inFeatures == net.channelsOf(n.inputs[0]))
                    w = w.index_select(1, keptPositions(a, n.inputs[0], keep, a.groups));
                c.moduleWeight(node).copy_(w);
                if (n.bias) c.moduleBias(node).copy_(net.moduleBias(node).detach().cpu());
                break;
            }
            case OpKind::ConvTranspose:
                c.moduleWeight(node).copy_(net.moduleWeight(node).detach().cpu());
                if (n.bias) c.moduleBias(node).copy_(net.moduleBias(node).detach().cpu());
                break;
            case OpKind::Constant:
                c.constantValue(node).copy_(net.constantValue(node).cpu());
                break;
            default:
                break;
        }
    }
    copy->eval();
    return copy;
}

PruneBudget parsePruneBudget(const std::string& text) {
    const std::string bad = "budget '" + text +
                            "': expected params=<share or count> or macs=<share or count>, e.g. params=50%, "
                            "macs=0.4, params=120k, macs=3.5M";
    KindValue kv;
    if (!splitKindValue(text, kv) || (kv.kind != "params" && kv.kind != "macs")) throw Error(bad);
    PruneBudget b;
    b.kind = kv.kind;
    const double number = kv.number;
    if (!(number > 0) || !std::isfinite(number)) throw Error(bad + " (it must be positive)");
    if (kv.unit == "%") {
        if (number >= 100) throw Error("budget '" + text + "': a share must be below 100 %");
        b.fraction = number / 100.0;
    } else if (kv.unit.empty() && number < 1.0) {
        b.fraction = number;
    } else {
        const double factor = decimalFactor(kv.unit, "kmg");
        if (factor == 0.0) throw Error(bad);
        b.count = number * factor;
    }
    return b;
}

namespace {

double mainMetricOf(const EvalResult& r, const std::string& metric) {
    for (const auto& [name, value] : r.metrics)
        if (name == metric) return value;
    return -1.0;
}

/** Re-estimates every batch norm's running statistics as the plain average over `batches` train batches. */
void recalibrateBatchNorms(GraphNetImpl& net, BatchLoader& loader, int batches, torch::Device device) {
    torch::NoGradGuard noGrad;
    std::vector<c10::optional<double>> momenta;
    for (size_t i = 0; i < net.nodes().size(); ++i) {
        if (net.nodes()[i].op != OpKind::BatchNorm) continue;
        auto& bn = net.bnModule(static_cast<int>(i));
        momenta.push_back(bn->options.momentum());
        bn->reset_running_stats();
        bn->options.momentum(c10::nullopt);  // cumulative average
    }
    net.train();
    Batch batch;
    loader.startEpoch(1);
    for (int b = 0; b < batches && loader.next(batch); ++b)
        net.forward(batch.images.to(device));
    loader.stop();
    size_t k = 0;
    for (size_t i = 0; i < net.nodes().size(); ++i)
        if (net.nodes()[i].op == OpKind::BatchNorm)
            net.bnModule(static_cast<int>(i))->options.momentum(momenta[k++]);
    net.eval();
}

}  // namespace

PruneResult pruneCheckpoint(const PruneOptions& o) {
    if (o.criterion != "bn" && o.criterion != "l1")
        throw Error("prune: criterion '" + o.criterion + "' (allowed: bn, l1)");
    if (o.scope != "global" && o.scope != "layer")
        throw Error("prune: scope '" + o.scope + "' (allowed: global, layer)");
    if (!(o.minKeep > 0.0 && o.minKeep <= 1.0))
        throw Error("prune: the least share of channels a layer keeps must be in (0, 1], got " +
                    std::to_string(o.minKeep));
    if (o.budget.kind != "params" && o.budget.kind != "macs")
        throw Error("prune: no budget (expected e.g. params=50% or macs=0.4)");
    if (o.output.empty()) throw Error("prune: no output file given (expected e.g. pruned.pt)");
    if (fs::is_directory(o.output))
        throw Error("prune: " + o.output + " is a folder (expected a file name such as pruned.pt)");
    const std::string source = resolveCheckpoint(o.source, o.which);
    CheckpointMeta meta;
    GraphNet net = loadModel(source, &meta, torch::kCPU);
    if (meta.quantized)
        throw Error("prune: " + source + " holds a quantized model; prune the fp32 model, then quantize it");
    if (meta.inputH <= 0 || meta.inputW <= 0)
        throw Error("prune: " + source + " does not record its input size");

    torch::NoGradGuard noGrad;
    net->eval();
    const auto values = net->runAll(torch::zeros({1, meta.inChannels, meta.inputH, meta.inputW}));
    const ChannelAnalysis a = analyzeChannels(*net, values);
    std::vector<std::string> used;
    const auto scores = channelScores(*net, a, o.criterion, &used);

    const size_t G = a.groups.size();
    std::vector<int64_t> full(G), least(G);
    for (size_t g = 0; g < G; ++g) {
        full[g] = a.groups[g].channels;
        least[g] = a.groups[g].prunable
                       ? std::max<int64_t>(1, static_cast<int64_t>(std::ceil(o.minKeep * full[g] - 1e-9)))
                       : full[g];
    }
    const auto before = prunedCost(*net, a, values, full);
    const bool byParams = o.budget.kind == "params";
    auto costOf = [&](const std::vector<int64_t>& kept) {
        const auto c = prunedCost(*net, a, values, kept);
        return byParams ? c.first : c.second;
    };
    const double original = static_cast<double>(byParams ? before.first : before.second);
    const double target = o.budget.fraction > 0 ? o.budget.fraction * original : o.budget.count;
    const int64_t smallest = costOf(least);
    auto count = [](double v) { return countText(static_cast<int64_t>(std::llround(v))); };
    if (target >= original)
        throw Error("prune: the budget " + o.budget.kind + " " + count(target) +
                    " is not below the model's " + count(original));
    if (static_cast<double>(smallest) > target)
        throw Error("prune: the budget " + o.budget.kind + " " + count(target) + " cannot be met: keeping " +
                    std::to_string(std::lround(100.0 * o.minKeep)) +
                    " % of every prunable layer's channels leaves " + count(static_cast<double>(smallest)) +
                    " (lower --min-keep, or give a larger budget)");

    // Which channels of each group go: the lowest-scored ones.
    std::vector<std::vector<int64_t>> order(G);  // channel indices, least important first
    for (size_t g = 0; g < G; ++g) {
        auto sorted = std::get<1>(scores[g].sort(0, false));
        order[g] =
            std::vector<int64_t>(sorted.data_ptr<int64_t>(), sorted.data_ptr<int64_t>() + sorted.numel());
    }
    std::vector<int64_t> kept = full;
    if (o.scope == "layer") {
        // The same share of every prunable group: the largest share that fits, by bisection.
        auto at = [&](double share) {
            std::vector<int64_t> k(G);
            for (size_t g = 0; g < G; ++g)
                k[g] = a.groups[g].prunable
                           ? std::max(least[g], static_cast<int64_t>(std::llround(share * full[g])))
                           : full[g];
            return k;
        };
        double lo = 0.0, hi = 1.0;
        for (int it = 0; it < 50; ++it) {
            const double mid = 0.5 * (lo + hi);
            (static_cast<double>(costOf(at(mid))) <= target ? lo : hi) = mid;
        }
        kept = at(lo);
    } else {
        // One ranking over every prunable channel. BN scales compare across layers as they are (network
        // slimming); L1 norms are divided by their layer's mean, since fan-in changes their scale.
        struct Candidate {
            double score;
            size_t group;
        };
        std::vector<Candidate> all;
        for (size_t g = 0; g < G; ++g) {
            if (!a.groups[g].prunable) continue;
            auto s = scores[g].to(torch::kDouble);
            if (used[g] == "l1") s = s / std::max(1e-12, s.mean().item<double>());
            for (int64_t c : order[g])
                all.push_back({s[c].item<double>(), g});
        }
        std::stable_sort(all.begin(), all.end(),
                         [](const Candidate& x, const Candidate& y) { return x.score < y.score; });
        for (const auto& cand : all) {
            if (static_cast<double>(costOf(kept)) <= target) break;
            if (kept[cand.group] > least[cand.group]) --kept[cand.group];
        }
    }
    std::vector<std::vector<int64_t>> keep(G);
    for (size_t g = 0; g < G; ++g) {
        keep[g].assign(order[g].end() - kept[g], order[g].end());  // the highest-scored
        std::sort(keep[g].begin(), keep[g].end());
    }
    GraphNet pruned = prunedCopy(*net, a, keep);

    PruneResult result;
    if (!o.dataRecipe.empty()) {
        applyThreadCount(o.threads);
        Recipe recipe = loadRecipe(o.dataRecipe);
        DataConfig valData = recipe.data;
        if (o.subset > 0) valData.subset = o.subset;
        auto val = openDataset(valData, Split::Val);
        if (val->task() != meta.task || val->numClasses() != meta.numClasses)
            throw Error("prune: " + o.dataRecipe + ": its data is " + taskName(val->task()) + " with " +
                        std::to_string(val->numClasses()) + " classes, the model does " +
                        taskName(meta.task) + " with " + std::to_string(meta.numClasses));
        const auto device = chooseDevice(recipe.device);
        auto evaluate = [&](GraphNet& model) {
            model->to(device);
            model->eval();
            BatchLoader loader(val, recipe.evalTransforms, recipe.evalBatchSize, false, false, recipe.seed,
                               recipe.data.workers);
            loader.startEpoch(1);
            const double m =
                mainMetricOf(evaluateModel(model, loader, meta.numClasses, device), mainMetric(meta.task));
            model->to(torch::kCPU);
            return m;
        };
        result.metric = mainMetric(meta.task);
        result.metricBefore = evaluate(net);
        result.metricPruned = evaluate(pruned);
        if (o.calibrationBatches > 0) {
            BatchLoader train(openDataset(recipe.data, Split::Train), recipe.trainTransforms,
                              recipe.batchSize, true, true, recipe.seed, recipe.data.workers);
            pruned->to(device);
            recalibrateBatchNorms(*pruned, train, o.calibrationBatches, device);
            pruned->to(torch::kCPU);
            result.metricRecalibrated = evaluate(pruned);
        }
    }

    result.output = o.output;
    result.arch = meta.model.displayName() + "-pruned";
    if (meta.model.displayName().size() > 7 &&
        meta.model.displayName().compare(meta.model.displayName().size() - 7, 7, "-pruned") == 0)
        result.arch = meta.model.displayName();
    ModelSpec spec = meta.model;
    spec.arch = result.arch;
    spec.onnx.clear();
    spec.checkpoint = fs::absolute(source).lexically_normal().string();
    const ModelInfo infoBefore =
        measureModel(net, meta.model, meta.task, meta.inChannels, meta.numClasses, meta.inputH, meta.inputW);
    const ModelInfo infoAfter =
        measureModel(pruned, spec, meta.task, meta.inChannels, meta.numClasses, meta.inputH, meta.inputW);
    result.paramsBefore = infoBefore.params;
    result.macsBefore = infoBefore.macs;
    result.paramsAfter = infoAfter.params;
    result.macsAfter = infoAfter.macs;
    const auto& nodes = net->nodes();
    for (size_t g = 0; g < G; ++g) {
        const auto& group = a.groups[g];
        if (group.prunable) {
            PrunedGroup pg;
            for (int p : group.producers)
                pg.layers.push_back(nodes[p].name);
            pg.channels = group.channels;
            pg.kept = kept[g];
            pg.criterion = used[g];
            result.groups.push_back(pg);
        } else if (!group.producers.empty()) {
            std::string layers;
            for (int p : group.producers)
                layers += (layers.empty() ? "" : ", ") + nodes[p].name;
            result.fixed.push_back(layers + ": " + group.fixedBecause);
        }
    }

    CheckpointMeta out = meta;
    out.model = spec;
    out.epoch = 0;
    out.batchInEpoch = 0;
    out.step = 0;
    out.bestMetric = -1.0;
    out.bestEpoch = 0;
    out.initDone = false;
    std::vector<LossTerm> none;
    if (fs::path(o.output).has_parent_path()) fs::create_directories(fs::path(o.output).parent_path());
    saveCheckpoint(o.output, out, pruned, none, nullptr);
    return result;
}

}  // namespace distillery
