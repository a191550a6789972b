#pragma once
// Pieces shared by the trainer, `eval` and `inspect`: device choice, evaluation, single-sample inference.

#include <torch/torch.h>

#include <functional>

#include "core/engine.h"
#include "core/internal/graph_net.h"
#include "core/internal/loader.h"

namespace distillery {

/** "auto" → CUDA when this LibTorch build has a usable GPU, else CPU. Throws Error for unusable choices. */
torch::Device chooseDevice(const std::string& name);

/** "top1" for classification, "miou" for segmentation: the metric that picks the best checkpoint. */
const char* mainMetric(Task task);

/** Decoded boxes (top 100 per image) of a detector's output batch (N, K+4, h, w) for images of H × W. */
std::vector<std::vector<Detection>> decodeBatch(const torch::Tensor& output, int64_t numClasses, int imageH,
                                                int imageW);

class Collective;

/** Runs the model over every batch of the loader's current epoch (call startEpoch first). With a collective
 *  (data-parallel training; the loader sharded by whole batches) each rank evaluates its batches and every
 *  rank gets the metrics of the whole split. */
EvalResult evaluateModel(GraphNet& net, BatchLoader& loader, int64_t numClasses, torch::Device device,
                         const std::function<bool()>& cancelled = {}, Collective* collective = nullptr);

/** Metrics from a confusion matrix [truth][prediction] (percentages). */
void fillMetrics(EvalResult& result, Task task, const torch::Tensor& confusion, double lossSum,
                 int64_t lossCount);
/** Detection's twin of fillMetrics: COCO AP and its companions from the matched boxes, per-class AP, and the
 *  mean detection loss over `lossCount` images. */
void fillDetectionMetrics(EvalResult& result, const CocoEvaluator& coco, double lossSum, int64_t lossCount);

/** One sample through the eval transforms, as a (1,C,H,W) tensor on `device`. */
torch::Tensor sampleTensor(Sample sample, const std::vector<TransformStep>& transforms, torch::Device device);

/** Batch item 0 of a (N,C,H,W) or (N,C) tensor as plain floats. */
FeatureMap toFeatureMap(const std::string& tap, const torch::Tensor& value);

void applyThreadCount(int threads);

}  // namespace distillery
