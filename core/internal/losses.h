#pragma once
// Distillation losses (formulas and sources in docs/METHODS.md) and the recipe's loss terms built on them.

#include <torch/torch.h>

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/internal/graph_net.h"
#include "core/recipe.h"
#include "core/types.h"

namespace distillery {

constexpr int64_t kIgnoreIndex = 255;

/** Cross-entropy; (N,K) logits with (N) labels, or (N,K,H,W) with (N,H,W) labels ignoring 255; detection
 *  (float (N, K+5, h, w) targets): detectionLoss. */
torch::Tensor taskLoss(const torch::Tensor& logits, const torch::Tensor& target);

/** CenterNet's penalty-reduced focal loss on sigmoid heat maps: −1/N_pos·Σ [(1−p)^α·log p where the target
 *  is 1; (1−y)^γ·p^α·log(1−p) elsewhere], p clamped to [1e-4, 1 − 1e-4], N_pos the number of 1s (at least 1).
 */
torch::Tensor gaussianFocalLoss(const torch::Tensor& logits, const torch::Tensor& heat, double alpha = 2.0,
                                double gamma = 4.0);
/** L1 between (N,2,h,w) maps at the object centres (`centres` (N,h,w) is 1 there): Σ|p − t|·m / (2·Σm). */
torch::Tensor centreL1Loss(const torch::Tensor& prediction, const torch::Tensor& target,
                           const torch::Tensor& centres);
/** CenterNet's detection loss on the detector's output (K heat-map logits, size, offset) against the dense
 *  targets of core/detection.h: focal + 0.1·L1(size) + L1(offset). */
torch::Tensor detectionLoss(const torch::Tensor& output, const torch::Tensor& target);
constexpr double kSizeLossWeight = 0.1;
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

/** Similarity-preserving KD (Tung & Mori): batch Gram matrices of the flattened taps, rows L2-normalised,
 *  ‖G_T − G_S‖²_F / N². Widths may differ. */
torch::Tensor spLoss(const torch::Tensor& student, const torch::Tensor& teacher);
/** Correlation congruence (Peng et al.): batch correlation matrices of the L2-normalised flattened taps under
 *  a Gaussian RBF kernel exp(−γ‖a−b‖²) in its Taylor expansion of order P, ‖K_T − K_S‖²_F / N². */
torch::Tensor ccLoss(const torch::Tensor& student, const torch::Tensor& teacher, double gamma, int order);
/** Relational KD (Park et al.): distance-wise (pairwise distances over their mean, smooth L1) and angle-wise
 *  (cosines of the angles of all triplets, smooth L1) terms with their weights. */
torch::Tensor rkdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double distanceWeight,
                      double angleWeight);
/** Probabilistic knowledge transfer (Passalis & Tefas): cosine-kernel conditional distributions over the
 *  batch, mean of p_T·log(p_T / p_S). */
torch::Tensor pktLoss(const torch::Tensor& student, const torch::Tensor& teacher);
/** Neural selectivity transfer (Huang & Wang): MMD² between the channels' L2-normalised spatial maps with
 *  the polynomial kernel (x·y)²; the larger map is average-pooled to the smaller size. */
torch::Tensor nstLoss(const torch::Tensor& student, const torch::Tensor& teacher);
/** Decoupled KD (Zhao et al.): α·TCKD (binary target/non-target distributions) + β·NCKD (distribution among
 *  the non-target classes), both τ²·KL summed over classes, mean over the batch. */
torch::Tensor dkdLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& target,
                      double alpha, double beta, double tau);
/** DIST (Huang et al.): τ²·(β·(1 − mean Pearson correlation of each sample's class distribution) + γ·(1 −
 *  mean Pearson correlation of each class's distribution over the batch)). */
torch::Tensor distLoss(const torch::Tensor& student, const torch::Tensor& teacher, double beta, double gamma,
                       double tau);

/** Variational information distillation (Ahn et al.): the teacher's map as a Gaussian around a regressed
 *  mean with a learned per-channel variance, mean of ½·((μ − t)²/σ² + log σ²). `mean` is the regressor's
 *  output, `variance` (C_T) the positive variances; both sides already at one size. */
torch::Tensor vidLoss(const torch::Tensor& mean, const torch::Tensor& teacher, const torch::Tensor& variance);

/**
 * Contrastive representation distillation (Tian et al.), RepDistiller's ContrastMemory + ContrastLoss: `vs`,
 * `vt` are the L2-normalised student and teacher embeddings (B×D); `idx` (B×(K+1)) holds each sample's own
 * index in column 0 and K negatives after it; `memoryS`, `memoryT` (n×D) are the memory banks of student and
 * teacher embeddings and `z` (2) the normalisation constants (negative until the first batch sets them). The
 * NCE loss of both directions; with `update`, the banks' rows of the batch move towards the new embeddings by
 * (1 − momentum) and are re-normalised.
 */
torch::Tensor crdLoss(const torch::Tensor& vs, const torch::Tensor& vt, const torch::Tensor& idx,
                      torch::Tensor& memoryS, torch::Tensor& memoryT, torch::Tensor& z, double temperature,
                      double momentum, bool update);

/** Flow of solution procedure (Yim et al.), RepDistiller's FSP: for each pair of consecutive taps (the larger
 *  map average-pooled to the smaller) the Gram matrix G[c2][c1] = mean_hw(top_c2 · bottom_c1); the sum over
 *  the pairs of mean((G_S − G_T)²). Teacher and student taps must have the same channel counts. */
torch::Tensor fspLoss(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher);

/** ReviewKD's hierarchical context loss (Chen et al.): for each level, MSE of the maps plus the MSEs of
 *  their 4×4, 2×2 and 1×1 average pools (those smaller than the map's height) at weights ½, ¼, ⅛, all over
 * the sum of the weights; summed over the levels. Shapes match level by level. */
torch::Tensor hclLoss(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher);

/** Activation boundary transfer (Heo et al.), RepDistiller's ABLoss: per level the margin loss
 *  Σ (s + m)²·[s > −m ∧ t ≤ 0] + (s − m)²·[s ≤ m ∧ t > 0] over the student's connector outputs `s` and the
 *  teacher's pre-activations `t` (same shapes), divided by the batch size and scaled by 3/1000, weighted
 *  2^(i − k + 1) for level i of k (the deepest 1); summed over the levels. */
torch::Tensor abLoss(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher,
                     double margin);

/** Factor transfer (Kim et al.), RepDistiller's FactorTransfer: the larger map average-pooled to the smaller,
 *  factor(f) = L2-normalised mean_c(f²) per sample, mean |factor(s) − factor(t)|. `student` is the
 * translator's output, `teacher` the paraphraser's factor. */
torch::Tensor ftLoss(const torch::Tensor& student, const torch::Tensor& teacher);
/** Inter-class distance distillation (segmentation, docs/METHODS.md): per image, the centres of each class
 *  present in `labels` (N×H×W, 255 ignored, nearest-sampled to the maps' size) in the per-pixel
 *  L2-normalised features; the mean squared difference of the pairwise centre distances, plus `position` ×
 *  the mean KL, over classes, between the spatial softmax (at τ) of each pixel's cosine similarity to its
 *  class centre, teacher's to student's. Averaged over the images. Channel counts may differ. */
/** Deep mutual learning between the student and one peer (Zhang et al. 2018): the student's τ²·KL(peer ‖
 *  student) with the peer detached, plus the peer's own cross-entropy and τ²·KL(student ‖ peer) with the
 *  student detached (and `teacherKd` × τ²·KL(teacher ‖ peer) when teacher logits are given): each side
 *  learns only from its own part. */
torch::Tensor dmlLoss(const torch::Tensor& student, const torch::Tensor& peer, const torch::Tensor& target,
                      double tau, const torch::Tensor& teacher = {}, double teacherKd = 0.0);
torch::Tensor iddLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& labels,
                      double tau, double position);

/** Pixel-wise KD on sigmoid heat maps (detection): τ²·mean over N·H·W of Σ_c the binary KL of σ(t/τ) and
 *  σ(s/τ). */
torch::Tensor sigmoidPixelKdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau);

/**
 * FGD's masks (Yang et al., "Focal and Global Knowledge Distillation for Detectors", the authors' code): each
 * box scaled to an h × w map, its cells from floor(x1) to ceil(x2) inclusive (likewise y) set to at least
 * 1/(cells it spans), i.e. small objects weigh more; the background mask 1 elsewhere, divided by its count.
 * (N, h, w) each, for images of imageH × imageW pixels.
 */
std::pair<torch::Tensor, torch::Tensor> fgdMasks(const std::vector<std::vector<Box>>& boxes, int64_t h,
                                                 int64_t w, int64_t imageH, int64_t imageW);
/** FGD's attention of a map at temperature T: spatial H·W·softmax_HW(mean_c|F| / T) (N, H, W) and channel
 *  C·softmax_C(mean_HW|F| / T) (N, C). */
std::pair<torch::Tensor, torch::Tensor> fgdAttention(const torch::Tensor& map, double temperature);
/** FGD's focal part: {foreground loss, background loss, attention loss}, the feature losses Σ((F_S − F_T)²·
 *  A_S^T·A_C^T·M)/N with the teacher's attention and the masks, the attention loss Σ|A_C^S − A_C^T|/N +
 *  Σ|A_S^S − A_S^T|/N. `student` is already aligned to the teacher's channels and size. */
std::array<torch::Tensor, 3> fgdFocalLosses(const torch::Tensor& student, const torch::Tensor& teacher,
                                            const torch::Tensor& fg, const torch::Tensor& bg,
                                            double temperature);

/** FGD's global part: a GcBlock per side (context by a softmax over a 1×1 conv's spatial logits, then a
 *  bottleneck 1×1 conv → LayerNorm → ReLU → 1×1 conv, added to every position); the loss is Σ(out_S −
 *  out_T)²/N. The last convs start at zero, as in the authors' code. */
class GcBlockImpl : public torch::nn::Module {
public:
    explicit GcBlockImpl(int64_t channels);
    torch::Tensor forward(const torch::Tensor& x);

private:
    torch::nn::Conv2d mMask{nullptr};
    torch::nn::Sequential mAdd{nullptr};
};
TORCH_MODULE(GcBlock);

/**
 * ReviewKD's attention-based fusion (ABF): a student stage through a 1×1 conv + BN to `mid` channels, fused
 * with the residual from the deeper stages (nearest-upsampled) by two sigmoid attention maps, resized to the
 * teacher's size (nearest) and mapped by a 3×3 conv + BN to the teacher's channels. The deepest stage has no
 * residual.
 */
class AbfImpl : public torch::nn::Module {
public:
    AbfImpl(int64_t in, int64_t mid, int64_t out, bool fuse);
    /** (output at the teacher's size, residual for the next shallower stage). */
    std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& residual,
                                                    int64_t outH, int64_t outW);

private:
    torch::nn::Conv2d mConv1{nullptr}, mConv2{nullptr}, mAtt{nullptr};
    torch::nn::BatchNorm2d mBn1{nullptr}, mBn2{nullptr};
};
TORCH_MODULE(Abf);

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
                 std::vector<int64_t> studentShape, int64_t trainSamples = 0);
    /** Every tap's shape, in the order of the spec's allTeacherTaps()/allStudentTaps() (none for task). */
    LossTermImpl(LossTermSpec spec, Task task, std::vector<std::vector<int64_t>> teacherShapes,
                 std::vector<std::vector<int64_t>> studentShapes, int64_t trainSamples = 0);

    /** Unweighted loss value. Taps are looked up by the spec's names; `output`/`target` serve the task term.
     */
    torch::Tensor compute(const std::unordered_map<std::string, torch::Tensor>& teacherTaps,
                          const std::unordered_map<std::string, torch::Tensor>& studentTaps,
                          const torch::Tensor& output, const torch::Tensor& target);

    /** Training progress in epochs (fractional), for terms with a warm-up (dkd). */
    void setProgress(double epochs) { mProgress = epochs; }
    /** The batch's sample indices in the train split and the optimisation step, for terms with a memory of
     *  the data set (crd: its memory bank rows and its negatives, drawn from a generator seeded by the step
     * so that a resumed run draws the same ones). */
    void setBatch(const torch::Tensor& indices, int64_t step) {
        mIndices = indices;
        mStep = step;
    }
    /** Detection: the batch's boxes in input pixels of images imageH × imageW (fgd's masks). */
    void setBoxes(std::vector<std::vector<Box>> boxes, int64_t imageH, int64_t imageW) {
        mBoxes = std::move(boxes);
        mImageH = imageH;
        mImageW = imageW;
    }

    /** dml: builds the peer (spec().peer, freshly initialised, in training mode) for the data's shape. */
    void createPeer(Task task, int64_t inChannels, int64_t numClasses, int64_t height, int64_t width);
    /** dml: the peer (null for other methods), and the batch's images it runs on (set before compute). */
    GraphNet peer() const { return mPeer; }
    void setImages(const torch::Tensor& images) { mImages = images; }

    /** The student's tap as the loss sees it: through the adapter and resized to the teacher's size. */
    torch::Tensor alignStudent(const torch::Tensor& student, const torch::Tensor& teacher);

    /** Epochs of the initialisation stage this term asks for (init_epochs of ab, fsp and ft; 0 otherwise).
     *  In that stage the run optimises the sum of the terms' initLoss alone, over initParameters and, when
     *  initTrainsStudent, the student. */
    int initEpochs() const;
    /** ab, fsp: the term's own loss; ft: the paraphraser's reconstruction error of the teacher's map (MSE).
     */
    torch::Tensor initLoss(const std::unordered_map<std::string, torch::Tensor>& teacherTaps,
                           const std::unordered_map<std::string, torch::Tensor>& studentTaps);
    bool initTrainsStudent() const { return mSpec.method != LossMethod::Ft; }
    /** What the initialisation stage trains besides the student: ab's connectors, ft's paraphraser. */
    std::vector<torch::Tensor> initParameters();
    /** What training after the stage optimises: every parameter but ft's paraphraser, which stays frozen. */
    std::vector<torch::Tensor> trainParameters();

    const LossTermSpec& spec() const { return mSpec; }
    bool hasAdapter() const {
        return !mAdapter.is_empty() || !mRegressor.is_empty() || !mAbfs.empty() ||
               std::any_of(mConnectors.begin(), mConnectors.end(),
                           [](const auto& c) { return !c.is_empty(); }) ||
               !mTranslator.is_empty() || !mGcStudent.is_empty();
    }

private:
    /** dkd, reviewkd: min(1, epochs done / warmup_epochs), 1 without a warm-up. */
    double warmupRamp() const;
    /** ft's paraphraser (encoder and decoder): trained in the stage, frozen afterwards. */
    std::vector<torch::Tensor> paraphraserParameters();

    LossTermSpec mSpec;
    Task mTask;
    double mProgress = 1e9;  // epochs done; no warm-up unless the engine says where training is
    torch::nn::Conv2d mAdapter{nullptr};
    torch::nn::BatchNorm2d mAdapterBn{nullptr};
    torch::nn::Sequential mRegressor{nullptr};  // vid: 1×1 conv → ReLU → 1×1 conv → ReLU → 1×1 conv
    torch::Tensor mLogScale;                    // vid: softplus(mLogScale) + ε is the per-channel variance
    torch::nn::Linear mEmbedS{nullptr}, mEmbedT{nullptr};  // crd: embeddings (then L2-normalised)
    torch::Tensor mMemoryS, mMemoryT, mZ;                  // crd: memory banks and NCE constants (buffers)
    int64_t mSeed = 0;                                     // crd: negatives' generator seed
    torch::Tensor mIndices;
    int64_t mStep = 0;
    std::vector<Abf> mAbfs;  // reviewkd: one fusion module per student tap, in tap order
    std::vector<torch::nn::Sequential>
        mConnectors;  // ab: per level, conv + BN onto the teacher's shape (empty where the shapes agree)
    torch::nn::Sequential mParaphraserEncoder{nullptr}, mParaphraserDecoder{nullptr};  // ft, on the teacher
    torch::nn::Sequential mTranslator{nullptr};                                        // ft, on the student
    GcBlock mGcStudent{nullptr}, mGcTeacher{nullptr};  // fgd's global part, one per side
    std::vector<std::vector<Box>> mBoxes;
    int64_t mImageH = 0, mImageW = 0;
    GraphNet mPeer{nullptr};  // dml
    torch::Tensor mImages;
};
TORCH_MODULE(LossTerm);

/** Term balance (core/diagnostics.h): the L2 norm of each scalar term's gradient on `parameters`, one norm
 *  per term (0 for a term that does not reach them), through the retained graph, so that the terms' sum can
 *  still be back-propagated; nothing is accumulated into the parameters' .grad. One device→host transfer. */
std::vector<double> gradientNorms(const std::vector<torch::Tensor>& terms,
                                  const std::vector<torch::Tensor>& parameters);

}  // namespace distillery
