#pragma once
// The training engine's public face: start a job on its own thread, steer it, observe it. No torch here.

#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/detection.h"
#include "core/diagnostics.h"
#include "core/distributed.h"
#include "core/distributions.h"
#include "core/recipe.h"
#include "core/run_folder.h"
#include "core/types.h"

namespace distillery {

struct StepEvent {
    int64_t step = 0;  // global optimisation step, 1-based
    int epoch = 0;     // 1-based
    int64_t stepsPerEpoch = 0;
    int64_t totalSteps = 0;
    std::vector<std::pair<std::string, double>> terms;  // weighted value of each loss term, in recipe order
    double total = 0.0;
    double lr = 0.0;
    double imagesPerSecond = 0.0;
    double etaSeconds = 0.0;
    /** A step of the initialisation stage that some terms ask for before training (ab, fsp, ft): `step` and
     *  `epoch` count within the stage (1-based), `totalSteps` is its length, the terms are named
     *  "init:<label>". Its curves sit before training's step 1, at step − totalSteps. */
    bool init = false;
};

struct EpochEvent {
    int epoch = 0;
    int64_t step = 0;
    Split split = Split::Val;
    std::vector<std::pair<std::string, double>> metrics;  // top1 / miou, loss
    std::vector<double> perClassIoU;                      // segmentation only (NaN where a class is absent)
    bool best = false;
    /** The student alone's main metric at this epoch (JobOptions::baselineRuns), NaN without one. */
    double baseline = std::numeric_limits<double>::quiet_NaN();
};

struct ActivationSnapshot {
    int64_t step = 0;
    int64_t sampleIndex = 0;
    Split split = Split::Val;
    FeatureMap teacher;  // empty channels when the job has no teacher
    FeatureMap student;  // after the term's adapter when the student's channels differ from the teacher's
    Sample sample;       // the untransformed input
};

struct RunSummary {
    RunStatus status = RunStatus::Finished;
    std::string message;
    int epochs = 0;
    int64_t steps = 0;
    std::vector<std::pair<std::string, double>> finalMetrics;
    std::vector<std::pair<std::string, double>> bestMetrics;
    double wallSeconds = 0.0;
    int64_t params = 0;
    int64_t macs = 0;
};

enum class LogLevel { Info, Warning, Error };

/**
 * Receives events from the job's thread. Implementations must be quick and thread-safe (the GUI posts them
 * to its own thread as queued signals).
 */
class Observer {
public:
    virtual ~Observer() = default;
    virtual void onStep(const StepEvent&) {}
    virtual void onEpoch(const EpochEvent&) {}
    virtual void onLog(LogLevel, const std::string&) {}
    virtual void onSnapshot(const ActivationSnapshot&) {}
    /** A term-balance sample (recipe diagnostics.every); flagged terms also get a warning through onLog. */
    virtual void onBalance(const BalanceSample&) {}
    virtual void onFinished(const RunSummary&) {}
};

struct JobOptions {
    std::string runDir;        // created if missing; must be empty or absent for a new run
    bool resume = false;       // continue the run in runDir from checkpoints/last
    int threads = 0;           // overrides recipe.threads when > 0
    int64_t maxSteps = 0;      // overrides recipe.maxSteps when > 0
    bool cacheTeacher = true;  // keep teacher outputs when the train pipeline is deterministic
    /** The shared on-disk teacher cache (core/teacher_cache.h): empty = defaultTeacherCacheDir(), "off" =
     *  memory only. `teacherCacheBytes` bounds it (0 = defaultTeacherCacheBytes()). */
    std::string teacherCacheDir = {};
    int64_t teacherCacheBytes = 0;
    RunRole role = RunRole::Student;  // recorded in summary.json (the workbench's Train Teacher: teacher)
    /** Finished runs of the student alone (core/baseline.h findBaselineRuns): a distillation compares its
     *  validation metric with theirs at every epoch, warns when below, and records it in diagnostics.jsonl.
     */
    std::vector<std::string> baselineRuns = {};
    /** Data-parallel training (docs/DISTRIBUTED.md): this process's place in a job of several. Rank 0 owns
     *  runDir and reports to observers; other ranks keep their files in a scratch folder they remove. The
     *  constructor meets the other ranks (throwing Error when they cannot be reached or their recipes
     *  differ). */
    DistributedOptions distributed = {};
};

/**
 * Teacher/student feature maps of a finished (or stopped) run, the student through its term's adapter.
 * `teacherTap` is empty for train jobs.
 */
ActivationSnapshot snapshotRun(const std::string& runDir, const std::string& teacherTap,
                               const std::string& studentTap, int64_t sampleIndex, Split split = Split::Val,
                               CheckpointChoice checkpoint = CheckpointChoice::Best);

/** One training or distillation run. */
class Job {
public:
    /** Validates everything that can be checked before training (models, taps, files) and throws Error. */
    Job(Recipe recipe, JobOptions options);
    ~Job();
    Job(const Job&) = delete;
    Job& operator=(const Job&) = delete;

    /** Adds an observer; the job keeps it alive. May be called from any thread. */
    void addObserver(std::shared_ptr<Observer> observer);
    void removeObserver(const std::shared_ptr<Observer>& observer);

    void start();
    void pause();
    void resume();
    void cancel();
    /** Blocks until the job's thread ends; returns its summary. */
    RunSummary wait();
    bool running() const;
    bool paused() const;

    /** Asks for one activation snapshot at the next step boundary (or now, if the job is not running). */
    void requestSnapshot(const std::string& teacherTap, const std::string& studentTap, int64_t sampleIndex,
                         Split split = Split::Val);

    const Recipe& recipe() const;
    const std::string& runDir() const;
    ModelInfo studentInfo() const;
    ModelInfo teacherInfo() const;  // arch empty when no teacher

private:
    friend ActivationSnapshot snapshotRun(const std::string&, const std::string&, const std::string&, int64_t,
                                          Split, CheckpointChoice);
    friend ChannelDistributions channelDistributions(const DistributionRequest&);
    struct Impl;
    std::unique_ptr<Impl> d;
};

/** `distillery-cli worker`: rank 1 … N−1 of a job whose rank 0 started this process (--nproc, the
 *  workbench's processes setting), found through torchrun's variables. Reads the recipe and settings rank 0
 *  publishes, trains its share of every batch and returns when the job ends; throws Error when it cannot
 *  join. */
RunSummary runDistributedWorker(const DistributedOptions& options, const std::shared_ptr<Observer>& observer);

/** Resolves the recipe stored in a run folder, for `resume`. */
Recipe loadRunRecipe(const std::string& runDir);

struct EvalResult {
    std::vector<std::pair<std::string, double>> metrics;
    std::vector<double> perClassIoU;
    std::vector<double> perClassAP;  // detection: AP@[.5:.95] per class, -1 where a class has no objects
    std::vector<ImageDetections> detections;      // detection: every image's decoded boxes (top 100)
    std::vector<std::vector<int64_t>> confusion;  // [truth][prediction]
    int64_t samples = 0;
};

/** Evaluates a run's best (or last) checkpoint on its validation split. */
EvalResult evaluateRun(const std::string& runDir, CheckpointChoice which = CheckpointChoice::Best,
                       int threads = 0, int subset = 0);

/** Evaluates an ONNX file, imported for the data of `recipeFile`, on that recipe's validation split. */
EvalResult evaluateImported(const std::string& onnxFile, const std::string& recipeFile, int threads = 0,
                            int subset = 0);

/** Computes one tap's feature map for one sample of a run's validation (or train) split. */
struct InspectRequest {
    std::string runDir;
    std::string tap;
    bool teacher = false;  // the run's teacher instead of its student
    int64_t sampleIndex = 0;
    Split split = Split::Val;
    CheckpointChoice checkpoint = CheckpointChoice::Best;
};
struct InspectResult {
    FeatureMap map;
    Sample sample;
    int64_t predicted = -1;
};
InspectResult inspectRun(const InspectRequest& request);

/** Per-sample predictions of a run's student (and its teacher, for distillation runs). */
struct SamplePrediction {
    int64_t index = 0;
    Sample sample;                    // untransformed input with its label / mask
    int64_t studentLabel = -1;        // classification
    std::vector<float> studentProbs;  // classification: softmax over classes
    int64_t teacherLabel = -1;
    Mask studentMask;                     // segmentation: argmax per pixel
    Mask teacherMask;                     // empty without a teacher
    std::vector<Detection> studentBoxes;  // detection: decoded boxes (top 100) in the sample's pixels
    std::vector<Detection> teacherBoxes;
};
std::vector<SamplePrediction> predictRun(const std::string& runDir, const std::vector<int64_t>& indices,
                                         Split split = Split::Val,
                                         CheckpointChoice checkpoint = CheckpointChoice::Best);

void setThreadCount(int threads);

/** The learning rate of 0-based step `step` (docs/METHODS.md §2): linear warm-up over schedule.warmup_epochs
 *  from lr/warmup to lr, then cosine to schedule.min_lr over the rest of training, step decay by gamma at
 * each milestone epoch, or constant. */
double scheduledLearningRate(const Recipe& recipe, int64_t step, int64_t stepsPerEpoch);

}  // namespace distillery
