#pragma once
// Distillation losses (formulas and sources in docs/METHODS.md) and the recipe's loss terms built on them.

#include <torch/torch.h>

#include <string>
#include <unordered_map>

#include "core/recipe.h"
#include "core/types.h"

namespace distillery {

constexpr int64_t kIgnoreIndex = 255;

/** Cross-entropy; (N,K) logits with (N) labels, or (N,K,H,W) with (N,H,W) labels ignoring 255. */
torch::Tensor taskLoss(const torch::Tensor& logits, const torch::Tensor& target);
/** τ²·KL(softmax(t/τ) ‖ softmax(s/τ)), summed over classes, mean over the batch. */
torch::Tensor kdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau);
/** mean((s − t)²); `student` already mapped by the hint adapter. */
torch::Tensor fitnetLoss(const torch::Tensor& student, const torch::Tensor& teacher);
/** Attention transfer: mean over the batch of ‖A_S − A_T‖², A = L2-normalised mean_c(F²). */
torch::Tensor atLoss(const torch::Tensor& student, const torch::Tensor& teacher);
/** Pixel-wise KD: mean over N·H·W of KL over classes at temperature τ. */
torch::Tensor pixelKdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau);
/** Pair-wise KD: β×β max-pooled nodes, cosine-similarity matrices, mean squared difference. */
torch::Tensor pairKdLoss(const torch::Tensor& student, const torch::Tensor& teacher, int64_t pool);
/** Channel-wise distillation: τ²/(N·C)·Σ_{n,c} KL(softmax_HW(t/τ) ‖ softmax_HW(s/τ)). Shapes must match. */
torch::Tensor cwdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau);

/** Bilinear resize of (N,C,H,W) to (h,w); identity when already that size. */
torch::Tensor resizeTo(const torch::Tensor& x, int64_t h, int64_t w);

/**
 * One term of a recipe: its method, taps, weight, and the learned adapter that maps the student's tap to the
 * teacher's (FitNets always; CWD when channel counts differ). Adapters are parameters trained with the
 * student.
 */
class LossTermImpl : public torch::nn::Module {
public:
    /** `teacherShape`/`studentShape` are tap shapes without batch; throws Error when they cannot be matched.
     */
    LossTermImpl(LossTermSpec spec, Task task, std::vector<int64_t> teacherShape,
                 std::vector<int64_t> studentShape);

    /** Unweighted loss value. Taps are looked up by the spec's names; `output`/`target` serve the task term.
     */
    torch::Tensor compute(const std::unordered_map<std::string, torch::Tensor>& teacherTaps,
                          const std::unordered_map<std::string, torch::Tensor>& studentTaps,
                          const torch::Tensor& output, const torch::Tensor& target);

    /** The student's tap as the loss sees it: through the adapter and resized to the teacher's size. */
    torch::Tensor alignStudent(const torch::Tensor& student, const torch::Tensor& teacher);

    const LossTermSpec& spec() const { return mSpec; }
    bool hasAdapter() const { return !mAdapter.is_empty(); }

private:
    LossTermSpec mSpec;
    Task mTask;
    torch::nn::Conv2d mAdapter{nullptr};
    torch::nn::BatchNorm2d mAdapterBn{nullptr};
};
TORCH_MODULE(LossTerm);

}  // namespace distillery
