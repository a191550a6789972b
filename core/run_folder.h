#pragma once
// A run folder, read and written through one API: recipe.yaml, metrics.jsonl, summary.json, checkpoints/,
// quantization.json (quantized runs), as typed structs. The engine writes through it; the CLI and the GUI
// read through it, so no other code parses summary.json or guesses a run's kind from its folder's name. No
// torch.

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/recipe.h"
#include "core/run_files.h"
#include "core/types.h"

namespace distillery {

/** What made a run folder: a training on labels, a distillation, post-training quantization, or
 *  quantization-aware training (a train or distill job with a `quantize:` section). */
enum class RunKind { Train, Distill, Ptq, Qat };
/** What the run's model is for: a student, or a teacher trained to teach later (the workbench's Train
 *  Teacher). Recorded by whoever starts the run. */
enum class RunRole { Student, Teacher };

const char* runKindName(RunKind kind);  // train, distill, ptq, qat
const char* runRoleName(RunRole role);  // student, teacher
bool parseRunKind(const std::string& text, RunKind& out);
bool parseRunRole(const std::string& text, RunRole& out);

/** A model as summary.json describes it. */
struct ModelRecord {
    std::string arch;  // zoo architecture, or the imported file's name
    std::string head;
    int64_t params = 0;
    int64_t macs = 0;
    std::string onnx;            // imported: the file
    std::string onnxSha256;      // imported: its content
    std::string checkpoint;      // teachers: the checkpoint they were loaded from
    std::string precision = {};  // what it computed in: the student trained in (fp32, bf16; empty in runs
                                 // from before it was recorded), teachers ran in (bf16, int8; empty = fp32)
    double agreement = -1.0;  // teachers in bf16/int8: share of validation predictions equal to fp32's (0–1)
    /** "resnet8", "resnet8/fcn". */
    std::string label() const { return head.empty() ? arch : arch + "/" + head; }
};

/** summary.json: how a run ended and what it measured. */
struct RunSummaryRecord {
    std::string name;
    RunKind kind = RunKind::Train;
    RunRole role = RunRole::Student;
    RunStatus status = RunStatus::Finished;
    std::string message;
    int epochs = 0;
    int64_t steps = 0;
    std::vector<std::pair<std::string, double>> finalMetrics, bestMetrics;  // NaN where a value was null
    std::string mainMetric;                                                 // top1, miou
    double wallSeconds = 0.0;
    ModelRecord student;
    std::optional<ModelRecord> teacher;
    int64_t params = 0;
    int64_t macs = 0;
    std::vector<std::string> lossTerms;
    std::string dataset;
    uint64_t seed = 0;
    std::string source;  // quantized runs: the fp32 run they came from
    int worldSize = 1;
    /** The value of `name` among the best (else final) metrics; NaN when absent. */
    double bestOf(const std::string& name) const;
};

/** run.json, written when a run starts: what it is, even if it never writes a summary (a killed run). */
struct RunStartRecord {
    RunKind kind = RunKind::Train;
    RunRole role = RunRole::Student;
    std::string source;  // QAT: the fp32 run it starts from
};

/** Everything a run folder holds, read without throwing: what could not be read is described in `error`. */
struct RunOverview {
    std::string root;
    bool hasRecipe = false;
    std::optional<Recipe> recipe;
    std::optional<RunSummaryRecord> summary;
    bool hasBest = false, hasLast = false;
    RunKind kind = RunKind::Train;  // from the summary, else from the recipe
    RunRole role = RunRole::Student;
    std::string mainMetric;                  // from the summary, else from the metrics
    double bestMetric = std::nan("");        // the best main metric so far (summary, else metrics.jsonl)
    int64_t metricsModifiedAgeSeconds = -1;  // how long ago metrics.jsonl was written (-1: absent)
    std::string error;  // the first thing that could not be read (recipe, summary, metrics), one line
    bool hasCheckpoint() const { return hasBest || hasLast; }
};

class RunFolder {
public:
    explicit RunFolder(std::string root);
    const std::string& root() const { return mRoot; }

    std::string recipePath() const { return mRoot + "/recipe.yaml"; }
    std::string metricsPath() const { return mRoot + "/metrics.jsonl"; }
    std::string summaryPath() const { return mRoot + "/summary.json"; }
    std::string checkpointsDir() const { return mRoot + "/checkpoints"; }
    std::string checkpointPath(CheckpointChoice which) const;
    std::string quantReportPath() const { return mRoot + "/quantization.json"; }
    std::string startPath() const { return mRoot + "/run.json"; }

    bool exists() const;
    bool hasRecipe() const;
    bool hasSummary() const;
    bool hasCheckpoint(CheckpointChoice which) const;
    bool hasAnyCheckpoint() const;
    bool isQuantized() const;  // holds quantization.json

    /** The recipe stored in the folder. Throws Error naming the folder when it is absent or malformed. */
    Recipe readRecipe() const;
    /** summary.json. Throws Error naming the file and what is wrong when it is absent or malformed. */
    RunSummaryRecord readSummary() const;
    /** nullopt when there is no summary.json; throws Error when it exists but is malformed. */
    std::optional<RunSummaryRecord> readSummaryIfAny() const;
    /** Writes summary.json atomically. */
    void writeSummary(const RunSummaryRecord& summary) const;
    /** run.json: nullopt when absent (runs started before it existed); throws Error when malformed. */
    std::optional<RunStartRecord> readStartIfAny() const;
    void writeStart(const RunStartRecord& start) const;
    /** metrics.jsonl (empty when absent); throws Error naming the file and line when malformed. */
    std::vector<MetricRecord> readMetrics() const;

    /** Reads everything, never throws (the runs table, pickers). */
    RunOverview overview() const;

private:
    std::string mRoot;
};

/** The run's kind from its recipe alone (a quantize section: QAT; else the job). */
RunKind kindOfRecipe(const Recipe& recipe);

/** The main metric's display name ("top-1", "mIoU"; other names as they are). */
std::string metricDisplayName(const std::string& metric);

}  // namespace distillery
