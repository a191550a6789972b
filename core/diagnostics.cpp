#include "core/diagnostics.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/baseline.h"
#include "core/run_files.h"
#include "core/types.h"

namespace distillery {

namespace {
std::string percent(double share) {
    char buf[32];
    std::snprintf(buf, sizeof buf, share < 0.1 ? "%.2f %%" : "%.1f %%", 100.0 * share);
    return buf;
}

std::string number(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3g", v);
    return buf;
}
}  // namespace

void fillShares(BalanceSample& sample) {
    double losses = 0.0, grads = 0.0;
    for (const auto& t : sample.terms) {
        losses += std::abs(t.loss);
        grads += t.gradNorm;
    }
    for (auto& t : sample.terms) {
        t.lossShare = losses > 0.0 ? std::abs(t.loss) / losses : 0.0;
        t.gradShare = grads > 0.0 ? t.gradNorm / grads : 0.0;
    }
}

BalanceFlag balanceFlag(const BalanceSample& sample, size_t term, const DiagnosticsSpec& spec) {
    if (sample.terms.size() < 2 || term >= sample.terms.size()) return BalanceFlag::None;
    const double share = sample.terms[term].gradShare;
    if (share > spec.dominant) return BalanceFlag::Dominant;
    if (share < spec.negligible) return BalanceFlag::Negligible;
    return BalanceFlag::None;
}

std::vector<size_t> termsToAdjust(const BalanceSample& sample, const DiagnosticsSpec& spec) {
    std::vector<size_t> dominant, negligible;
    for (size_t i = 0; i < sample.terms.size(); ++i) {
        const BalanceFlag flag = balanceFlag(sample, i, spec);
        if (flag == BalanceFlag::Dominant) dominant.push_back(i);
        if (flag == BalanceFlag::Negligible) negligible.push_back(i);
    }
    return dominant.empty() ? negligible : dominant;
}

std::optional<double> suggestedWeight(const BalanceSample& sample, size_t term, double targetShare) {
    if (term >= sample.terms.size() || !(targetShare > 0.0 && targetShare < 1.0)) return std::nullopt;
    const TermBalance& t = sample.terms[term];
    double others = 0.0;
    for (size_t j = 0; j < sample.terms.size(); ++j)
        if (j != term) others += sample.terms[j].gradNorm;
    if (!(t.gradNorm > 0.0) || !(others > 0.0) || t.weight == 0.0) return std::nullopt;
    return t.weight * targetShare / (1.0 - targetShare) * others / t.gradNorm;
}

std::string balanceWarning(const BalanceSample& sample, size_t term, const DiagnosticsSpec& spec) {
    const BalanceFlag flag = balanceFlag(sample, term, spec);
    if (flag == BalanceFlag::None) return {};
    const TermBalance& t = sample.terms[term];
    std::string text = "loss term " + t.label + " has " + percent(t.gradShare) +
                       " of the student's gradient at step " + std::to_string(sample.step) +
                       (flag == BalanceFlag::Dominant
                            ? " (above " + percent(spec.dominant) + "): it drowns the other terms"
                            : " (below " + percent(spec.negligible) + "): it hardly changes the student");
    if (auto w = suggestedWeight(sample, term, spec.targetShare))
        text += "; weight " + number(*w) + " (now " + number(t.weight) + ") would give it " +
                percent(spec.targetShare);
    return text;
}

std::string balanceToJson(const BalanceSample& sample) {
    nlohmann::json terms = nlohmann::json::array();
    for (const auto& t : sample.terms)
        terms.push_back({{"label", t.label},
                         {"weight", t.weight},
                         {"loss", t.loss},
                         {"grad_norm", t.gradNorm},
                         {"loss_share", t.lossShare},
                         {"grad_share", t.gradShare}});
    return nlohmann::json{
        {"kind", "balance"}, {"step", sample.step}, {"epoch", sample.epoch}, {"terms", terms}}
        .dump();
}

DiagnosticsLog::DiagnosticsLog(const std::string& path, std::optional<int64_t> keepUpToStep) {
    if (keepUpToStep) dropRecordsAfterStep(path, *keepUpToStep);
    mOut.open(path, std::ios::app);
    if (!mOut) throw Failure("cannot write " + path);
}

void DiagnosticsLog::append(const BalanceSample& sample) {
    std::lock_guard<std::mutex> lock(mMutex);
    mOut << balanceToJson(sample) << '\n';
    mOut.flush();
}

void DiagnosticsLog::appendBaseline(const BaselineComparison& c, int64_t step, const BaselineCurve& curve) {
    const int runs = curve.runsAt(c.epoch);
    std::lock_guard<std::mutex> lock(mMutex);
    mOut << nlohmann::json{{"kind", "baseline"}, {"step", step},
                           {"epoch", c.epoch},   {"metric", curve.metric},
                           {"value", c.value},   {"baseline", c.baseline},
                           {"runs", runs}}
                .dump()
         << '\n';
    mOut.flush();
}

namespace {
/** Each line of a diagnostics.jsonl of `kind`, parsed by `read`; a last line cut short by a kill is dropped.
 */
template <typename T, typename F>
std::vector<T> readRecords(const std::string& path, const std::string& kind, F read) {
    std::vector<T> out;
    std::ifstream in(path, std::ios::binary);
    if (!in) return out;
    std::ostringstream all;
    all << in.rdbuf();
    const std::string text = all.str();
    std::istringstream lines(text);
    std::string line;
    int lineNo = 0;
    while (std::getline(lines, line)) {
        ++lineNo;
        if (line.empty()) continue;
        const bool last = lines.peek() == std::char_traits<char>::eof();
        const bool cutShort = last && text.back() != '\n';
        try {
            auto j = nlohmann::json::parse(line);
            if (j.value("kind", std::string()) != kind) continue;
            out.push_back(read(j));
        } catch (const nlohmann::json::exception& e) {
            if (cutShort) break;
            throw Error(path + ":" + std::to_string(lineNo) + ": not a diagnostics record (" + e.what() +
                        ")");
        }
    }
    return out;
}
}  // namespace

std::vector<BaselineRecord> readBaselineRecords(const std::string& path) {
    return readRecords<BaselineRecord>(path, "baseline", [](const nlohmann::json& j) {
        BaselineRecord r;
        r.step = j.at("step").get<int64_t>();
        r.epoch = j.at("epoch").get<int>();
        r.metric = j.at("metric").get<std::string>();
        r.value = j.at("value").get<double>();
        r.baseline = j.at("baseline").get<double>();
        r.runs = j.at("runs").get<int>();
        return r;
    });
}

std::vector<BalanceSample> readBalance(const std::string& path) {
    return readRecords<BalanceSample>(path, "balance", [](const nlohmann::json& j) {
        BalanceSample s;
        s.step = j.at("step").get<int64_t>();
        s.epoch = j.at("epoch").get<int>();
        for (const auto& t : j.at("terms")) {
            TermBalance b;
            b.label = t.at("label").get<std::string>();
            b.weight = t.at("weight").get<double>();
            b.loss = t.at("loss").get<double>();
            b.gradNorm = t.at("grad_norm").get<double>();
            b.lossShare = t.at("loss_share").get<double>();
            b.gradShare = t.at("grad_share").get<double>();
            s.terms.push_back(std::move(b));
        }
        return s;
    });
}

}  // namespace distillery
