#include "core/baseline.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>

#include "core/run_folder.h"

namespace distillery {

namespace {
/** The parts of a recipe a baseline must share, as YAML (every field the writer knows, so a field added to
 *  the data or the model later takes part without a change here). */
std::string comparedPart(const Recipe& r) {
    Recipe part;
    part.student = r.student;
    part.data = r.data;
    part.data.workers = 0;  // how fast it loads, not what
    part.trainTransforms = r.trainTransforms;
    part.evalTransforms = r.evalTransforms;
    part.optim = r.optim;
    part.schedule = r.schedule;
    part.epochs = r.epochs;
    part.batchSize = r.batchSize;
    return recipeToYaml(part);
}

std::string section(const Recipe& a, const Recipe& b) {
    // The first compared field that differs, for the message.
    auto same = [&](auto set) {
        Recipe x, y;
        set(x, a);
        set(y, b);
        return recipeToYaml(x) == recipeToYaml(y);
    };
    if (!same([](Recipe& o, const Recipe& r) { o.student = r.student; })) return "the student model";
    if (!same([](Recipe& o, const Recipe& r) {
            o.data = r.data;
            o.data.workers = 0;
        }))
        return "the data";
    if (!same([](Recipe& o, const Recipe& r) {
            o.trainTransforms = r.trainTransforms;
            o.evalTransforms = r.evalTransforms;
        }))
        return "the transforms";
    if (!same([](Recipe& o, const Recipe& r) {
            o.optim = r.optim;
            o.schedule = r.schedule;
        }))
        return "the optimiser or schedule";
    return "the epochs or batch size";
}
}  // namespace

std::string baselineMismatch(const Recipe& recipe, const Recipe& candidate) {
    if (candidate.job != JobKind::Train) return "it is a distillation";
    if (candidate.losses.size() != 1 || candidate.losses[0].method != LossMethod::Task)
        return "it trains with more than the task loss";
    if (candidate.quant.enabled) return "it is quantization-aware training";
    if (comparedPart(recipe) != comparedPart(candidate)) return "it differs in " + section(recipe, candidate);
    return {};
}

std::vector<std::string> findBaselineRuns(const std::string& runsDir, const Recipe& recipe,
                                          const std::string& exclude) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    std::error_code ec;
    if (runsDir.empty() || !fs::is_directory(runsDir, ec)) return out;
    const fs::path excluded = exclude.empty() ? fs::path() : fs::weakly_canonical(exclude, ec);
    for (const auto& entry : fs::directory_iterator(runsDir, ec)) {
        if (!entry.is_directory(ec)) continue;
        if (!excluded.empty() && fs::weakly_canonical(entry.path(), ec) == excluded) continue;
        const RunOverview o = RunFolder(entry.path().string()).overview();
        if (!o.recipe || !o.summary || o.summary->status != RunStatus::Finished) continue;
        if (RunFolder(o.root).isQuantized()) continue;
        if (baselineMismatch(recipe, *o.recipe).empty()) out.push_back(entry.path().string());
    }
    std::sort(out.begin(), out.end());
    return out;
}

namespace {
/** The index of `epoch` in the curve's ascending epochs, if it has it. */
std::optional<size_t> indexOf(const std::vector<int>& epochs, int epoch) {
    const auto it = std::lower_bound(epochs.begin(), epochs.end(), epoch);
    if (it == epochs.end() || *it != epoch) return std::nullopt;
    return static_cast<size_t>(it - epochs.begin());
}
}  // namespace

std::optional<double> BaselineCurve::at(int epoch) const {
    const auto i = indexOf(epochs, epoch);
    if (!i) return std::nullopt;
    return values[*i];
}

int BaselineCurve::runsAt(int epoch) const {
    const auto i = indexOf(epochs, epoch);
    return i ? counts[*i] : 0;
}

BaselineCurve readBaselineCurve(const std::vector<std::string>& runs, const std::string& metric) {
    BaselineCurve curve;
    curve.runs = runs;
    curve.metric = metric;
    if (runs.empty()) return curve;
    if (curve.metric.empty()) curve.metric = RunFolder(runs.front()).readSummary().mainMetric;
    std::map<int, std::pair<double, int>> sums;
    std::map<int, int64_t> steps;
    for (const auto& run : runs) {
        // An epoch evaluated twice (a run resumed mid-epoch) counts once, with its last value.
        std::map<int, std::pair<double, int64_t>> last;
        for (const auto& m : RunFolder(run).readMetrics())
            if (m.split == Split::Val && m.name == curve.metric && m.epoch > 0 && std::isfinite(m.value))
                last[m.epoch] = {m.value, m.step};
        for (const auto& [epoch, value] : last) {
            sums[epoch].first += value.first;
            sums[epoch].second += 1;
            steps.emplace(epoch, value.second);
        }
    }
    for (const auto& [epoch, sum] : sums) {
        curve.epochs.push_back(epoch);
        curve.values.push_back(sum.first / sum.second);
        curve.counts.push_back(sum.second);
        curve.steps.push_back(steps.at(epoch));
    }
    return curve;
}

std::optional<BaselineComparison> compareWithBaseline(const BaselineCurve& curve, int epoch, double value) {
    const auto b = curve.at(epoch);
    if (!b || !std::isfinite(value)) return std::nullopt;
    return BaselineComparison{epoch, value, *b};
}

std::string baselineMessage(const BaselineComparison& c, const BaselineCurve& curve) {
    const std::string name = metricDisplayName(curve.metric);
    const int runs = curve.runsAt(c.epoch);
    char buf[256];
    std::snprintf(buf, sizeof buf, "epoch %d: %s %.2f, %.2f %s the student alone (%.2f, %s)", c.epoch,
                  name.c_str(), c.value, std::abs(c.gap()), c.below() ? "below" : "above", c.baseline,
                  runs == 1 ? "one run" : ("mean of " + std::to_string(runs) + " runs").c_str());
    return buf;
}

}  // namespace distillery
