#pragma once
// Checkpoints: one torch archive holding the model, the loss terms' adapters, optionally the optimiser, and a
// JSON description (architecture, data shape, position in training) so that a file alone rebuilds its model.

#include <torch/torch.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/internal/graph_net.h"
#include "core/internal/losses.h"

namespace distillery {

struct CheckpointMeta {
    ModelSpec model;
    Task task = Task::Classification;
    int64_t inChannels = 0;
    int64_t numClasses = 0;
    int64_t inputH = 0;
    int64_t inputW = 0;
    int epoch = 0;             // epochs completed (or the epoch in progress when batchInEpoch > 0)
    int64_t batchInEpoch = 0;  // batches of `epoch + 1` already done; 0 at an epoch boundary
    int64_t step = 0;
    double bestMetric = -1.0;
    int bestEpoch = 0;
    bool initDone = false;  // the terms' initialisation stage is over (or the run has none)
    // What the run computes in, as it resolved its recipe's `auto` (training: fp32 or bf16; the teacher:
    // fp32, bf16 or int8), so that a resumed run continues in it whatever a new measurement would say. Empty
    // in checkpoints written before these were recorded, and for a run without a teacher.
    std::string precision, teacherPrecision;
    std::vector<std::string> classNames;
    // Quantized students: BN folded, these weight widths (conv/linear name → bits, 0 = float), LSQ scales.
    bool quantized = false;
    bool lsq = false;
    std::map<std::string, int> weightBits;
    std::vector<int> vertical;  // vertical-layered (once-QAT): the widths it holds, top first; empty if not

    nlohmann::json toJson() const;
    static CheckpointMeta fromJson(const nlohmann::json& j, const std::string& path);
};

/** Writes atomically (temporary file + rename). `optimizer` may be null (weights-only checkpoint). */
void saveCheckpoint(const std::string& path, const CheckpointMeta& meta, GraphNet& model,
                    std::vector<LossTerm>& terms, torch::optim::Optimizer* optimizer);

/** Loads weights (and adapters/optimiser when given) into already-built modules; returns the description. */
CheckpointMeta loadCheckpoint(const std::string& path, GraphNet& model, std::vector<LossTerm>* terms,
                              torch::optim::Optimizer* optimizer);

/** The checkpoint's description alone (no weights); throws Error naming the file when it is not a readable
 *  Distillery checkpoint. */
CheckpointMeta readCheckpointMeta(const std::string& path);

/** A run folder (→ checkpoints/best.pt) or a checkpoint file; throws Error when neither exists. */
std::string resolveCheckpoint(const std::string& path, CheckpointChoice which = CheckpointChoice::Best);

/** Gives a freshly built model the structure a quantized checkpoint needs (fold BN, add quantizers). */
void prepareForCheckpoint(GraphNet& net, const CheckpointMeta& meta);

/** Builds the checkpoint's model and loads its weights, in eval mode on `device`. */
GraphNet loadModel(const std::string& checkpointPath, CheckpointMeta* meta, torch::Device device);

/** A recipe's teacher in eval mode: its checkpoint, or an imported file's own weights when it has none (the
 *  data's shape is needed to import it). `meta` describes what was loaded. */
GraphNet loadTeacher(const TeacherSpec& teacher, Task task, int64_t inChannels, int64_t numClasses,
                     int64_t height, int64_t width, torch::Device device, CheckpointMeta* meta = nullptr);

}  // namespace distillery
