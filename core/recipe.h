#pragma once
// A recipe describes one run completely. It is parsed from YAML with errors that name the file, the line,
// the field and what was expected. No torch here: the GUI edits recipes directly.

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/dataset.h"
#include "core/diagnostics.h"

namespace distillery {

struct ModelSpec {
    std::string arch;    // resnet8, resnet20, ..., mobilenetv2 (empty for an imported model)
    std::string head;    // segmentation: fcn, psp, deeplabv3 (empty for classification)
    double width = 1.0;  // mobilenetv2 width multiplier
    std::string onnx;    // an imported model: its ONNX file (absolute after resolution); arch is empty
    /** A model taken from a Distillery checkpoint, structure and weights (a pruned model from
     *  `distillery-cli prune`, or any run to continue training from): the file (absolute after
     *  resolution). arch, when given too, must be the file's (the engine fills it in from the file). */
    std::string checkpoint = {};
    /** What messages call the model: the architecture, or the ONNX (checkpoint) file's name. */
    std::string displayName() const;
    /** No model chosen (neither a zoo architecture, an ONNX file nor a checkpoint). */
    bool empty() const { return arch.empty() && onnx.empty() && checkpoint.empty(); }
};

struct TeacherSpec {
    ModelSpec model;
    std::string checkpoint;  // run folder or checkpoint file (absolute after resolution); optional for onnx
    /** The frozen teacher's arithmetic: fp32; bf16 (its convolutions in bfloat16 on oneDNN, outputs fp32)
     *  where the CPU computes bf16 natively, else fp32 with a warning; int8 (post-training quantized on 8
     *  train batches, run on LibTorch's int8 kernels; CPU only, else fp32 with a warning). It only needs to
     *  teach: the run logs and records its agreement with its fp32 self; auto: bf16 where the CPU computes
     *  it natively, fp32 elsewhere. */
    std::string precision = "fp32";
};

struct LossTermSpec {
    LossMethod method = LossMethod::Task;
    std::string teacherTap;
    std::string studentTap;
    /** Methods that compare several taps (methodTakesTapList: fsp, reviewkd): every tap in order, teacher's
     *  and student's lists of one length; teacherTap/studentTap are then their first entries (what the
     *  channel inspector opens). Empty for the other methods. */
    std::vector<std::string> teacherTaps = {};
    std::vector<std::string> studentTaps = {};
    double weight = 1.0;
    /** weight_schedule: cosine: the weight decays from `weight` to weight·weightFloor over the run along half
     *  a cosine (YOLOv6 decays its distillation weights so); constant otherwise. */
    bool cosineWeight = false;
    double weightFloor = 0.0;
    /** The weight at `fraction` (0..1) of the run's steps. */
    double weightAt(double fraction) const;
    double tau = 1.0;
    int poolSize = 2;  // pair_kd: β×β patches per node
    bool hasTau = false;
    /** dml: the peer model trained beside the student (deep mutual learning). */
    ModelSpec peer = {};
    /** The method's own parameters given in the recipe (see methodParams); the others take their defaults. */
    std::map<std::string, double> params = {};
    std::string label() const;  // e.g. "cwd[stage3]" — unique within a recipe
    /** A parameter of the term's method: the recipe's value or the method's default. Throws Error for a
     *  name that is not one of the method's parameters. */
    double param(const std::string& name) const;
    /** Every teacher (student) tap the term reads: the list of a multi-tap method, else the one tap. */
    std::vector<std::string> allTeacherTaps() const;
    std::vector<std::string> allStudentTaps() const;
};

/** True for the methods whose taps are lists (fsp: consecutive pairs of taps; reviewkd: the stages it fuses;
 *  ab: the stages whose activation boundaries it transfers). */
bool methodTakesTapList(LossMethod method);
/** The fewest taps a list method needs (fsp 2, reviewkd 1); 1 for the others. */
int minimumTaps(LossMethod method);

/** One parameter a loss method takes besides weight and tau (recipe key = name). */
struct MethodParam {
    std::string name;
    double defaultValue = 0.0;
    double minimum = 0.0;    // smallest value allowed
    bool integer = false;    // a whole number (e.g. cc's Taylor order)
    std::string meaning;     // for messages, docs and tooltips
    double maximum = 1e300;  // largest value allowed
};
/** The parameters of `method`: rkd distance/angle, dkd alpha/beta/warmup_epochs, dist beta/gamma,
 *  cc gamma/order, vid init_variance, crd feat_dim/negatives/temperature/momentum; none for the others. */
const std::vector<MethodParam>& methodParams(LossMethod method);

struct OptimSpec {
    std::string name = "sgd";  // sgd, adamw
    double lr = 0.05;
    double momentum = 0.9;
    bool nesterov = true;
    double weightDecay = 5e-4;
    double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

struct ScheduleSpec {
    std::string name = "cosine";  // cosine, step, constant
    double warmupEpochs = 0.0;
    std::vector<int> milestones;  // step: epochs where lr *= gamma
    double gamma = 0.1;
    double minLr = 0.0;  // cosine floor
};

/**
 * Quantization of the student (recipe section `quantize:`). With enabled = true the student starts from the
 * fp32 weights in `from`, BatchNorm is folded into the convolutions, weights are fake-quantized per output
 * channel (symmetric) and activations per tensor (8 bit, calibrated on the train split); a train/distill job
 * then does quantization-aware training with a straight-through gradient.
 */
struct QuantSpec {
    bool enabled = false;
    std::string from;                 // fp32 student: run folder or checkpoint (absolute after resolution)
    std::string observer = "minmax";  // minmax, percentile, mse (activation ranges)
    double percentile = 99.99;        // percentile observer: upper percentile kept
    int calibrationBatches = 8;       // train batches used to calibrate activation ranges
    int weightBits = 8;               // default weight width: 8, 6, 4 or 2
    std::map<std::string, int> layerBits;  // per conv/linear layer name, overrides weightBits
    bool lsq = false;                      // learn the step sizes during QAT (LSQ)
    std::string teacher = "recipe";  // QAT teacher: recipe (teacher section) or self (fp32 copy of `from`)
    std::string budget;  // mixed precision: "size=40KB" or "bops=2.5G"; bits chosen from sensitivity
    /** Once-QAT (vertical-layered weights): the widths one model holds, top first (e.g. 8, 6, 4, 2). Each
     *  lower width is the top integer code taken down by rounding right shifts; training takes the mean of
     *  every width's loss on the shared weights. Empty: an ordinary single-width model. */
    std::vector<int> vertical;
};

/**
 * Data-free distillation (recipe section `data_free:`, job distill, classification): the student never sees a
 * training image. Before each student step a conditional generator G(z, y) is trained against the frozen
 * teacher to produce images whose per-channel batch statistics match the running statistics of every
 * teacher batch norm (bn), that the teacher classifies as the class y asked for (ce), and on which the
 * student disagrees with the teacher (adversarial: the generator maximises the student's KL to the teacher).
 * The student then learns the recipe's terms on a fresh batch of generated images, the `task` term taking y
 * as the label. Real data is read only for validation (docs/METHODS.md §1.7d).
 */
struct DataFreeSpec {
    bool enabled = false;
    int latent = 128;                // z's dimension (the generator's input is z and the one-hot class)
    int width = 64;                  // the generator's base channel count (its first maps have twice that)
    double lr = 1e-3;                // the generator's Adam learning rate (betas 0.5, 0.999)
    int generatorSteps = 1;          // generator updates before each student step
    double bnWeight = 1.0;           // batch-norm statistics matching
    double ceWeight = 1.0;           // cross-entropy of the teacher's prediction to the class asked for
    double adversarialWeight = 1.0;  // student–teacher disagreement, maximised by the generator
    int64_t stepsPerEpoch = 0;       // student steps per epoch; 0: as many as the train split has batches
};

struct Recipe {
    std::string sourcePath;  // file it came from (for messages), empty if built in code
    std::string baseDir;     // folder relative paths resolve against
    std::string name = "run";
    JobKind job = JobKind::Train;
    uint64_t seed = 0;
    int threads = 0;              // 0 = all cores
    std::string device = "auto";  // auto, cpu, cuda
    /** Training arithmetic: fp32; bf16 (mixed precision: bf16 convolutions and matrix products, fp32 master
     *  weights, losses and reductions) where the device runs bf16 natively, else fp32 with a warning; auto
     *  is bf16 where the device runs it natively, fp32 elsewhere. */
    std::string precision = "fp32";
    DataConfig data;
    std::vector<TransformStep> trainTransforms;
    std::vector<TransformStep> evalTransforms;
    ModelSpec student;  // the model trained ("model" for train jobs)
    TeacherSpec teacher;
    std::vector<LossTermSpec> losses;
    OptimSpec optim;
    ScheduleSpec schedule;
    int epochs = 1;
    int batchSize = 128;
    int evalBatchSize = 256;
    int64_t maxSteps = 0;  // 0 = no limit
    int logEvery = 10;     // steps between metrics.jsonl step records
    /** Mid-epoch checkpoints (checkpoints/last.pt) besides the one at every epoch's end, so that a killed
     *  run loses at most this much: every N steps (`checkpoint_every: 500`) or every so many seconds
     *  (`checkpoint_every: 10min`, `90s`, `2h`); 0 for epoch ends only. Default: every 10 minutes. */
    int64_t checkpointEverySteps = 0;
    double checkpointEverySeconds = 600.0;
    /** Data-parallel training (several processes): batch norm normalises with the statistics of the whole
     *  global batch, gathered from every rank, instead of each rank's share. No effect on one process. */
    bool syncBn = false;
    QuantSpec quant;
    DiagnosticsSpec diagnostics;  // term balance sampled during training (core/diagnostics.h)
    DataFreeSpec dataFree;
};

/** Parses a recipe file. `overrides` are dotted.key=value pairs applied on top (like --set). */
Recipe loadRecipe(const std::string& path, const std::vector<std::string>& overrides = {});
/** Parses recipe text; `sourceName` is used in messages, `baseDir` for relative paths. */
Recipe parseRecipe(const std::string& yamlText, const std::string& sourceName, const std::string& baseDir,
                   const std::vector<std::string>& overrides = {});
/** Why the recipe's data_free section cannot run (job, terms, quantization, teacher precision), or empty.
 *  The parser and the engine (for recipes built in code, e.g. by the workbench) both check it. */
std::string dataFreeProblem(const Recipe& recipe);
/** Serialises a recipe back to YAML that parseRecipe accepts (paths as stored, i.e. resolved). */
std::string recipeToYaml(const Recipe& recipe);

/** The temperature a method uses when the recipe gives none (kd, cwd and dkd: 4; others: 1). */
double defaultTau(LossMethod method);
/** Whether a method's value depends on τ (kd, pixel_kd, cwd, dkd, dist). */
bool methodTakesTau(LossMethod method);

/** Allowed values, for messages and for the GUI. */
std::vector<std::string> lossMethodNames();
std::vector<std::string> quantObserverNames();  // minmax, percentile, mse
std::vector<int> weightBitChoices();            // 8, 6, 4, 2

}  // namespace distillery
