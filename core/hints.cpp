#include "core/hints.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <set>

#include "core/internal/checkpoint.h"
#include "core/internal/evaluation.h"
#include "core/internal/graph_net.h"
#include "core/zoo.h"

namespace distillery {

std::vector<std::string> hintMetricNames() {
    return {"linear_cka", "rbf_cka", "rsa"};
}

namespace {

/** H K H with H = I − 11ᵀ/n. */
torch::Tensor centred(const torch::Tensor& k) {
    const auto rows = k.mean(1, true), cols = k.mean(0, true);
    return k - rows - cols + k.mean();
}

double ckaOfCentred(const torch::Tensor& kc, const torch::Tensor& lc) {
    const double den = (kc.norm() * lc.norm()).item<double>();
    return den > 0 ? (kc * lc).sum().item<double>() / den : 0.0;
}

/** Squared distances between the rows behind a Gram matrix. */
torch::Tensor squaredDistances(const torch::Tensor& k) {
    const auto d = k.diagonal();
    return (d.unsqueeze(1) + d.unsqueeze(0) - 2 * k).clamp_min(0.0);
}

/** The candidate hint layers of a model: its spatial taps (C×H×W), shallow to deep, one name per node (the
 *  natural name where a node has several), without pre-activations and the output. */
struct Candidate {
    std::string tap;
    int node = 0;
    std::vector<int64_t> shape;
};

std::vector<Candidate> candidateLayers(GraphNetImpl& net, int64_t c, int64_t h, int64_t w) {
    torch::NoGradGuard noGrad;
    net.eval();
    const auto values = net.runAll(torch::zeros({1, c, h, w}));
    std::vector<Candidate> out;
    for (const auto& [name, node] : net.tapList()) {
        const auto& v = values.at(node);
        if (v.dim() != 4 || name == "logits" || node == net.outputNode()) continue;
        if (name.size() > 4 && name.compare(name.size() - 4, 4, ".pre") == 0) continue;
        auto same = std::find_if(out.begin(), out.end(), [&](const Candidate& x) { return x.node == node; });
        if (same != out.end()) {
            if (isNaturalTapName(name) && !isNaturalTapName(same->tap)) same->tap = name;
            continue;
        }
        out.push_back({name, node, {v.size(1), v.size(2), v.size(3)}});
    }
    std::stable_sort(out.begin(), out.end(),
                     [](const Candidate& a, const Candidate& b) { return a.node < b.node; });
    return out;
}

double binomial(int n, int k) {
    double r = 1;
    for (int i = 1; i <= k; ++i)
        r = r * (n - k + i) / i;
    return r;
}

double medoidCost(const std::vector<std::vector<double>>& d, const std::vector<int>& medoids) {
    double cost = 0;
    for (size_t i = 0; i < d.size(); ++i) {
        double best = 1e300;
        for (int m : medoids)
            best = std::min(best, d[i][m]);
        cost += best;
    }
    return cost;
}

}  // namespace

double linearCkaFromGrams(const std::vector<double>& k, const std::vector<double>& l, int n) {
    const auto opts = torch::TensorOptions().dtype(torch::kDouble);
    const auto kt = torch::from_blob(const_cast<double*>(k.data()), {n, n}, opts).clone();
    const auto lt = torch::from_blob(const_cast<double*>(l.data()), {n, n}, opts).clone();
    return ckaOfCentred(centred(kt), centred(lt));
}

std::vector<int> kMedoids(const std::vector<std::vector<double>>& d, int k) {
    const int n = static_cast<int>(d.size());
    if (k <= 0) throw Error("hint selection: the number of clusters must be at least 1");
    if (k >= n) {
        std::vector<int> all(n);
        std::iota(all.begin(), all.end(), 0);
        return all;
    }
    std::vector<int> best;
    double bestCost = 1e300;
    if (binomial(n, k) <= 200000) {
        // Every set of k medoids, in lexicographic order: the optimum, the first of equals.
        std::vector<int> pick(k);
        std::iota(pick.begin(), pick.end(), 0);
        while (true) {
            const double cost = medoidCost(d, pick);
            if (cost < bestCost - 1e-12) {
                bestCost = cost;
                best = pick;
            }
            int i = k - 1;
            while (i >= 0 && pick[i] == n - k + i)
                --i;
            if (i < 0) break;
            ++pick[i];
            for (int j = i + 1; j < k; ++j)
                pick[j] = pick[j - 1] + 1;
        }
        return best;
    }
    // PAM: evenly spaced start, then the best single swap while one lowers the cost.
    for (int i = 0; i < k; ++i)
        best.push_back(static_cast<int>(std::lround((i + 0.5) * n / k - 0.5)));
    bestCost = medoidCost(d, best);
    for (bool improved = true; improved;) {
        improved = false;
        for (int m = 0; m < k; ++m)
            for (int c = 0; c < n; ++c) {
                if (std::find(best.begin(), best.end(), c) != best.end()) continue;
                auto trial = best;
                trial[m] = c;
                const double cost = medoidCost(d, trial);
                if (cost < bestCost - 1e-12) {
                    bestCost = cost;
                    best = trial;
                    improved = true;
                }
            }
    }
    std::sort(best.begin(), best.end());
    return best;
}

HintSuggestion suggestHints(const Recipe& recipe, const HintOptions& o) {
    if (recipe.job != JobKind::Distill || recipe.teacher.model.empty())
        throw Error(recipe.sourcePath +
                    ": hint selection measures the teacher: the recipe needs job: distill and a "
                    "teacher");
    for (const auto& m : o.metrics) {
        const auto names = hintMetricNames();
        if (std::find(names.begin(), names.end(), m) == names.end())
            throw Error("hint selection: unknown metric '" + m + "' (allowed: linear_cka, rbf_cka, rsa)");
    }
    if (o.metrics.empty()) throw Error("hint selection: no similarity metric given");
    if (o.samples < 8)
        throw Error("hint selection: at least 8 samples are needed, got " + std::to_string(o.samples));
    applyThreadCount(o.threads > 0 ? o.threads : recipe.threads);
    torch::NoGradGuard noGrad;

    auto data = openDataset(recipe.data, Split::Train);
    if (data->size() == 0) throw Error(recipe.sourcePath + ": the train split is empty");
    Sample probe = data->get(0);
    std::mt19937_64 rng(0);
    applyTransforms(recipe.evalTransforms, probe, rng);
    const int64_t c = probe.image.channels, h = probe.image.height, w = probe.image.width;
    GraphNet teacher = loadTeacher(recipe.teacher, data->task(), c, data->numClasses(), h, w, torch::kCPU);
    GraphNet student = buildModel(recipe.student, data->task(), c, data->numClasses(), h, w);
    const auto layers = candidateLayers(*teacher, c, h, w);
    const auto studentLayers = candidateLayers(*student, c, h, w);
    const int n = static_cast<int>(layers.size());
    if (n < 2) throw Error("hint selection: the teacher has fewer than two spatial taps to compare");
    if (studentLayers.empty()) throw Error("hint selection: the student has no spatial tap to pair with");

    // A seeded draw of training samples, through the eval transforms.
    std::vector<int64_t> order(data->size());
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(recipe.seed + 17));
    const int64_t count = std::min<int64_t>(o.samples, static_cast<int64_t>(order.size()));
    std::vector<std::string> taps;
    for (const auto& l : layers)
        taps.push_back(l.tap);
    std::vector<std::vector<torch::Tensor>> parts(n);
    teacher->eval();
    const int64_t batch = 64;
    for (int64_t start = 0; start < count; start += batch) {
        std::vector<torch::Tensor> images;
        for (int64_t i = start; i < std::min(count, start + batch); ++i)
            images.push_back(sampleTensor(data->get(order[i]), recipe.evalTransforms, torch::kCPU));
        const auto out = teacher->run(torch::cat(images), taps);
        for (int l = 0; l < n; ++l) {
            auto v = out.taps.at(taps[l]).to(torch::kFloat32);
            // Large maps are averaged down to at most 4 096 features (the Gram matrix is what counts).
            const int64_t ch = v.size(1);
            if (v.size(1) * v.size(2) * v.size(3) > 4096) {
                const int64_t side = std::max<int64_t>(1, static_cast<int64_t>(std::sqrt(4096.0 / ch)));
                v = torch::adaptive_avg_pool2d(v, {std::min(side, v.size(2)), std::min(side, v.size(3))});
            }
            parts[l].push_back(v.flatten(1).to(torch::kDouble));
        }
    }
    std::vector<torch::Tensor> grams(n);
    for (int l = 0; l < n; ++l) {
        auto x = torch::cat(parts[l]);
        x = x - x.mean(0, true);
        grams[l] = x.matmul(x.t());
        parts[l].clear();
    }

    HintSuggestion s;
    s.metrics = o.metrics;
    for (const auto& l : layers) {
        s.layers.push_back(l.tap);
        s.shapes.push_back(l.shape);
    }
    for (const auto& l : studentLayers)
        s.studentLayers.push_back(l.tap);
    // Per metric, each layer's own representation once: centred Gram (linear), centred RBF kernel, distances.
    for (const auto& metric : o.metrics) {
        std::vector<torch::Tensor> rep(n);
        for (int l = 0; l < n; ++l) {
            if (metric == "linear_cka") {
                rep[l] = centred(grams[l]);
            } else {
                const auto d2 = squaredDistances(grams[l]);
                const auto off = d2.masked_select(~torch::eye(count, torch::kBool));
                double sigma2 = off.median().item<double>();
                if (!(sigma2 > 0)) sigma2 = 1.0;
                if (metric == "rbf_cka") {
                    rep[l] = centred(torch::exp(-d2 / (2.0 * sigma2)));
                } else {  // rsa: the upper triangle of the distance matrix, standardised
                    auto tri = d2.sqrt().triu(1);
                    auto v = tri.masked_select(torch::ones_like(tri, torch::kBool).triu(1));
                    v = v - v.mean();
                    const double norm = v.norm().item<double>();
                    rep[l] = norm > 0 ? v / norm : v;
                }
            }
        }
        std::vector<std::vector<double>> sim(n, std::vector<double>(n, 1.0));
        for (int i = 0; i < n; ++i)
            for (int j = i + 1; j < n; ++j) {
                const double v =
                    metric == "rsa" ? (rep[i] * rep[j]).sum().item<double>() : ckaOfCentred(rep[i], rep[j]);
                sim[i][j] = sim[j][i] = std::clamp(v, 0.0, 1.0);
            }
        s.similarity.push_back(sim);
    }
    s.combined.assign(n, std::vector<double>(n, 0.0));
    for (const auto& sim : s.similarity)
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j)
                s.combined[i][j] += sim[i][j] / static_cast<double>(s.similarity.size());

    // Cluster on 1 − similarity; medoids are the centres, numbered shallow to deep.
    std::vector<std::vector<double>> distance(n, std::vector<double>(n));
    for (int i = 0; i < n; ++i)
        for (int j = 0; j < n; ++j)
            distance[i][j] = i == j ? 0.0 : 1.0 - s.combined[i][j];
    s.centres = kMedoids(distance, std::min(o.clusters, n));
    s.cluster.assign(n, 0);
    for (int i = 0; i < n; ++i) {
        double best = 1e300;
        for (size_t k = 0; k < s.centres.size(); ++k)
            if (distance[i][s.centres[k]] < best - 1e-12) {
                best = distance[i][s.centres[k]];
                s.cluster[i] = static_cast<int>(k);
            }
    }

    // Each centre's student partner: the nearest relative depth, at the same resolution where the student
    // has one, each student layer used once while others are left.
    const int m = static_cast<int>(studentLayers.size());
    std::set<int> used;
    for (int centre : s.centres) {
        const double rel = static_cast<double>(centre) / std::max(1, n - 1);
        const auto& shape = layers[centre].shape;
        auto choose = [&](bool sameSize, bool unused) {
            int best = -1;
            double bestGap = 1e300;
            for (int j = 0; j < m; ++j) {
                const auto& ss = studentLayers[j].shape;
                if (sameSize && (ss[1] != shape[1] || ss[2] != shape[2])) continue;
                if (unused && used.count(j)) continue;
                const double gap = std::abs(static_cast<double>(j) / std::max(1, m - 1) - rel);
                if (gap < bestGap - 1e-12) {
                    bestGap = gap;
                    best = j;
                }
            }
            return best;
        };
        int j = choose(true, true);
        if (j < 0) j = choose(false, true);
        if (j < 0) j = choose(true, false);
        if (j < 0) j = choose(false, false);
        used.insert(j);
        s.pairs.emplace_back(layers[centre].tap, studentLayers[j].tap);
    }
    return s;
}

bool takesHintPoints(LossMethod method) {
    return method == LossMethod::FitNet || method == LossMethod::At || method == LossMethod::Cwd ||
           method == LossMethod::Nst || method == LossMethod::Sp || method == LossMethod::Vid ||
           method == LossMethod::Ft;
}

LossMethod hintMethodOf(const std::vector<LossTermSpec>& losses) {
    for (const auto& t : losses)
        if (takesHintPoints(t.method)) return t.method;
    return LossMethod::FitNet;
}

std::vector<LossTermSpec> applyHints(const std::vector<LossTermSpec>& losses, const HintSuggestion& hints,
                                     LossMethod method) {
    if (!takesHintPoints(method))
        throw Error(std::string("hint selection: ") + methodName(method) +
                    " does not distil a single feature map (use fitnet, at, cwd, nst, sp, vid or ft)");
    std::vector<LossTermSpec> out;
    LossTermSpec base;
    base.method = method;
    base.tau = defaultTau(method);
    bool found = false;
    size_t insertAt = losses.size();
    for (const auto& t : losses) {
        if (t.method == method) {
            if (!found) {
                base = t;
                insertAt = out.size();
            }
            found = true;
            continue;
        }
        out.push_back(t);
    }
    if (!found) insertAt = out.size();
    std::vector<LossTermSpec> added;
    for (const auto& [t, s] : hints.pairs) {
        LossTermSpec term = base;
        term.teacherTap = t;
        term.studentTap = s;
        term.teacherTaps.clear();
        term.studentTaps.clear();
        added.push_back(term);
    }
    out.insert(out.begin() + static_cast<std::ptrdiff_t>(insertAt), added.begin(), added.end());
    return out;
}

}  // namespace distillery
