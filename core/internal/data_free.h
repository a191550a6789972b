#pragma once
// Data-free distillation's pieces (docs/METHODS.md §1.7d): the conditional generator, the teacher's batch
// statistics as a generated batch meets them, and the generator's loss.

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/internal/graph_net.h"
#include "core/recipe.h"

namespace distillery {

/**
 * The conditional generator as a graph of standard ops: its input is [z, one-hot(y)] (N × (latent +
 * classes)); linear → reshape to 2·width maps of a quarter of the image size → BN → (nearest ×2 → conv 3×3 →
 * BN → LeakyReLU 0.2) twice, the second halving the channels → conv 3×3 to the image's channels → resize
 * to the exact size when it is not a multiple of 4 → sigmoid (tap "pixels", in [0, 1]) → the eval transforms'
 * last normalisation (the output is what the models read).
 */
GraphNet buildGenerator(const DataFreeSpec& spec, int64_t numClasses, int64_t channels, int64_t height,
                        int64_t width, const std::vector<TransformStep>& evalTransforms);

/** The generator's input for latent codes z (N × latent) and classes y (N): z beside one-hot(y). */
torch::Tensor generatorInput(const torch::Tensor& z, const torch::Tensor& y, int64_t numClasses);

/** A batch of latent codes and classes drawn from `seed` alone (the same seed, the same draw). */
struct LatentDraw {
    torch::Tensor z;       // N × latent, standard normal
    torch::Tensor labels;  // N, uniform over the classes (int64)
};
LatentDraw drawLatent(int64_t batch, int64_t latent, int64_t numClasses, uint64_t seed);

/** One batch norm's input statistics over a batch (per channel, the biased variance as batch norm
 *  normalises with) beside its running statistics. */
struct BatchStats {
    std::string layer;
    torch::Tensor mean, var;                // of the batch (differentiable)
    torch::Tensor runningMean, runningVar;  // the layer's (constants)
};

/**
 * While alive, records the input statistics of every batch norm of `net` (which must not be folded) in each
 * forward pass, the outputs staying what eval mode computes: batch norm normalises with its running
 * statistics. The net runs in training mode meanwhile (GraphNet's batch-norm override works there); eval mode
 * and no override afterwards.
 */
class BatchStatsProbe {
public:
    explicit BatchStatsProbe(GraphNet net);
    ~BatchStatsProbe();
    BatchStatsProbe(const BatchStatsProbe&) = delete;
    BatchStatsProbe& operator=(const BatchStatsProbe&) = delete;
    /** The statistics recorded since the last call, in the order the layers ran. */
    std::vector<BatchStats> take();

private:
    GraphNet mNet;
    std::vector<BatchStats> mStats;
    std::vector<std::pair<const void*, std::string>> mNames;  // BN module → node name
};

/** DeepInversion's feature-statistics loss: Σ over layers of ‖μ − μ_running‖₂ + ‖σ² − σ²_running‖₂. */
torch::Tensor batchStatsLoss(const std::vector<BatchStats>& stats);

/** Per-layer distance of the batch statistics to the running ones, in units of the running spread: the mean
 *  over channels of |μ − μ_r| / σ_r, and of |log(σ² / σ²_r)| (0 for a batch with exactly the statistics the
 *  teacher saw in training). */
struct StatsGap {
    std::string layer;
    double mean = 0.0;
    double logVar = 0.0;
};
std::vector<StatsGap> batchStatsGaps(const std::vector<BatchStats>& stats);

}  // namespace distillery
