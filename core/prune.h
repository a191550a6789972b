#pragma once
// Structured pruning: removes whole channels of a trained model, ranked by the |γ| of their batch norm or the
// L1 norm of their filters, per layer or over the whole model, until a parameter or MAC budget is met. The
// channels are really removed (every consumer loses its input slice), so the pruned model is smaller and
// faster, not masked. The result is a checkpoint that carries its own structure: a recipe's
// `model: {checkpoint: FILE}` trains it further, e.g. by distilling from the unpruned model. No torch here.

#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

struct PruneBudget {
    std::string kind;       // params, macs
    double fraction = 0.0;  // of the unpruned model's count, when > 0
    double count = 0.0;     // an absolute count, when fraction is 0
};
/** "params=50%", "macs=0.4", "params=120k", "macs=3.5M": throws Error naming the text otherwise. */
PruneBudget parsePruneBudget(const std::string& text);

struct PruneOptions {
    std::string source;                               // run folder or checkpoint file (fp32)
    CheckpointChoice which = CheckpointChoice::Best;  // a run folder's best or last checkpoint
    std::string output;                               // checkpoint file written (atomically)
    std::string criterion = "bn";  // bn: |γ| of the channel's batch norms; l1: filter L1 norm
    std::string scope = "global";  // global: one ranking over all layers; layer: the same share of each layer
    PruneBudget budget;
    double minKeep = 0.1;  // every layer keeps at least this share of its channels, and at least one
    /** A recipe whose data (and transforms) the model was trained on: with it, the unpruned and the pruned
     *  model are evaluated on its validation split, and the pruned model's batch-norm statistics are
     *  re-estimated on `calibrationBatches` train batches (0: not) before it is saved and evaluated again
     *  (removing channels shifts the statistics every later batch norm sees). */
    std::string dataRecipe;
    int calibrationBatches = 20;
    int subset = 0;   // evaluate on the first N validation samples (0: all)
    int threads = 0;  // 0: all cores
};

/** Channels that must be removed together: the outputs of one conv, or of several convs whose outputs are
 *  added (a residual stream), with the batch norms and depthwise convs that run on them. */
struct PrunedGroup {
    std::vector<std::string> layers;  // the convs that produce these channels
    int64_t channels = 0;
    int64_t kept = 0;
    std::string criterion;  // what ranked them (bn; l1 where the channels have no batch norm)
};

struct PruneResult {
    std::string output;
    std::string arch;  // the pruned model's name, e.g. resnet20-pruned
    int64_t paramsBefore = 0, paramsAfter = 0;
    int64_t macsBefore = 0, macsAfter = 0;
    std::vector<PrunedGroup> groups;  // every prunable group, in graph order
    std::vector<std::string> fixed;   // channels that cannot be pruned, each with the reason
    /** With PruneOptions::dataRecipe: the main metric (top1, miou, ap) of the unpruned model, the pruned one
     *  as cut, and the pruned one after re-estimating its batch-norm statistics; -1 where not measured. */
    std::string metric;
    double metricBefore = -1, metricPruned = -1, metricRecalibrated = -1;
};

/** Prunes a checkpoint's model and writes the pruned checkpoint; throws Error for bad options, a quantized
 *  model or a budget the model cannot meet (the message gives the smallest reachable count). */
PruneResult pruneCheckpoint(const PruneOptions& options);

}  // namespace distillery
