#pragma once
// Term balance (docs/METHODS.md §5a): how much of the student's learning signal each loss term provides.
// Every `diagnostics.every` steps the engine measures, for each term at a non-zero weight, its weighted value
// and the L2 norm of its weighted gradient on the student's own parameters (not on adapters, embedding heads
// or other modules a single term owns), and writes them to the run's diagnostics.jsonl. The arithmetic on
// those numbers (shares, flags, the weight that would give a term a chosen share) is here, so that the
// engine, the CLI, the GUI and reports agree. No torch, no Qt.

#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace distillery {

struct TermBalance {
    std::string label;       // the term's label (LossTermSpec::label())
    double weight = 0.0;     // its recipe weight
    double loss = 0.0;       // its weighted value
    double gradNorm = 0.0;   // ‖∇θ (weight · term)‖₂ over the student's own parameters θ
    double lossShare = 0.0;  // |loss| / Σ|loss|
    double gradShare = 0.0;  // gradNorm / Σ gradNorm
};

struct BalanceSample {
    int64_t step = 0;  // the training step measured (1-based, as StepEvent)
    int epoch = 0;
    std::vector<TermBalance> terms;
};

/** The recipe's `diagnostics:` section. */
struct DiagnosticsSpec {
    int every = 50;            // steps between term-balance samples; 0 = off
    double dominant = 0.9;     // a term above this share of the gradient drowns the others
    double negligible = 0.01;  // a term below this share does (almost) nothing
    double targetShare = 0.5;  // the share a suggested weight aims at
};

enum class BalanceFlag { None, Dominant, Negligible };

/** Fills lossShare and gradShare from loss and gradNorm (0 where the sums are 0). */
void fillShares(BalanceSample& sample);
/** A term's flag from its gradient share; samples with fewer than two terms are never flagged. */
BalanceFlag balanceFlag(const BalanceSample& sample, size_t term, const DiagnosticsSpec& spec);
/** The terms whose weights should change: those that drown the others where any does (the others' "hardly
 *  counts" is the same imbalance seen from below, and correcting both would overshoot), else the negligible
 *  ones. */
std::vector<size_t> termsToAdjust(const BalanceSample& sample, const DiagnosticsSpec& spec);
/** The weight that gives `term` the gradient share `targetShare`, the other terms unchanged: gradient norms
 *  scale linearly with weights, so w' = w · s/(1−s) · Σ_{j≠i} n_j / n_i. Empty where no weight can (the term
 *  has no gradient, or it is the only one with any). */
std::optional<double> suggestedWeight(const BalanceSample& sample, size_t term, double targetShare);
/** The warning a flagged term gets, e.g. "loss term cwd[stage3] has 96.1 % of the student's gradient at step
 *  50 (above 90 %): it drowns the other terms; weight 12.3 would give it 50 %". Empty when not flagged. */
std::string balanceWarning(const BalanceSample& sample, size_t term, const DiagnosticsSpec& spec);

/** diagnostics.jsonl: one JSON object per line, `{"kind": "balance", "step": …, "epoch": …, "terms": […]}`.
 */
std::string balanceToJson(const BalanceSample& sample);

/** Appends samples to a run's diagnostics.jsonl, flushed per line; on resume first drops samples after
 *  `keepUpToStep` (they will be measured again). */
struct BaselineComparison;
struct BaselineCurve;

class DiagnosticsLog {
public:
    explicit DiagnosticsLog(const std::string& path, std::optional<int64_t> keepUpToStep = std::nullopt);
    void append(const BalanceSample& sample);
    /** `{"kind": "baseline", "step", "epoch", "metric", "value", "baseline", "runs"}` (core/baseline.h). */
    void appendBaseline(const BaselineComparison& comparison, int64_t step, const BaselineCurve& curve);

private:
    std::ofstream mOut;
    std::mutex mMutex;
};

/** A run's epochs against the student alone, as diagnostics.jsonl recorded them. */
struct BaselineRecord {
    int64_t step = 0;
    int epoch = 0;
    std::string metric;
    double value = 0.0, baseline = 0.0;
    int runs = 0;
};
/** The baseline records of a diagnostics.jsonl (none when the file is missing); throws Error naming the file
 *  and line on malformed input. */
std::vector<BaselineRecord> readBaselineRecords(const std::string& path);

/** The term-balance samples of a diagnostics.jsonl (none when the file is missing); throws Error naming the
 *  file and line on malformed input. Lines of other kinds are skipped. */
std::vector<BalanceSample> readBalance(const std::string& path);

}  // namespace distillery
