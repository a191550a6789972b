#pragma once
// The student alone: finished runs that trained the same student on the same data with the same schedule on
// labels only, whose validation curve a distillation is compared with epoch by epoch. A distilled student
// below it at the same epoch is flagged (docs/METHODS.md §5b). No torch, no Qt.

#include <optional>
#include <string>
#include <vector>

#include "core/recipe.h"

namespace distillery {

/** Why `candidate` (a run's recipe) is not a baseline for `recipe`, or empty when it is: a `job: train`
 *  recipe with the task term alone, no quantization, and the same student model, data (every data field but
 *  `workers`), train and eval transforms, optimiser, schedule, epochs and batch size. Seeds may differ. */
std::string baselineMismatch(const Recipe& recipe, const Recipe& candidate);

/** The finished baseline runs among the run folders directly inside `runsDir` (a project's runs/, or the
 *  folder a CLI run is written into), `exclude` left out; sorted by path. Unreadable folders are skipped. */
std::vector<std::string> findBaselineRuns(const std::string& runsDir, const Recipe& recipe,
                                          const std::string& exclude = {});

/** The baseline's validation metric per epoch, the mean over its runs (each epoch over the runs that have
 *  it). */
struct BaselineCurve {
    std::vector<std::string> runs;
    std::string metric;          // top1, miou
    std::vector<int> epochs;     // ascending
    std::vector<double> values;  // mean over runs, per epoch
    std::vector<int> counts;     // runs with that epoch
    std::vector<int64_t> steps;  // the step of each epoch's evaluation (the first run's)
    bool empty() const { return epochs.empty(); }
    /** The value at `epoch`, if any run has it. */
    std::optional<double> at(int epoch) const;
    /** How many runs the value at `epoch` is the mean of (0 when none has it). */
    int runsAt(int epoch) const;
};
/** Reads the runs' metrics.jsonl (validation records of `metric`, the last per epoch; an empty `metric` is
 *  the first run's main metric from its summary); throws Error naming a file it cannot read. */
BaselineCurve readBaselineCurve(const std::vector<std::string>& runs, const std::string& metric = {});

/** One epoch of a run against the baseline. */
struct BaselineComparison {
    int epoch = 0;
    double value = 0.0;     // the run's metric
    double baseline = 0.0;  // the baseline's at the same epoch
    double gap() const { return value - baseline; }
    bool below() const { return value < baseline; }
};
std::optional<BaselineComparison> compareWithBaseline(const BaselineCurve& curve, int epoch, double value);

/** "epoch 3: top-1 84.10, 0.52 below the student alone (84.62, mean of 3 runs)"; "… 1.20 above …". */
std::string baselineMessage(const BaselineComparison& c, const BaselineCurve& curve);

}  // namespace distillery
