#pragma once
// The model zoo as seen from outside the engine: names, and a description (taps, params, MACs) of any
// architecture for a given input. No torch here.

#include <string>
#include <vector>

#include "core/recipe.h"
#include "core/types.h"

namespace distillery {

struct ArchitectureEntry {
    std::string name;
    std::string family;  // resnet, wrn, vgg, mobilenetv2
    std::string description;
};

std::vector<ArchitectureEntry> architectures();
std::vector<std::string> segmentationHeads();

/** Builds the model on the CPU and measures it with a dry run. Throws Error for unknown names. */
ModelInfo describeModel(const ModelSpec& spec, Task task, int inChannels, int numClasses, int height,
                        int width);

/** Taps sharing a resolution, for pickers: "natural" first (the named stages, prelogits, logits), then one
 *  group per spatial size (largest first), then vectors. */
struct TapGroup {
    std::string label;  // "named taps", "32x32", "vectors"
    std::vector<TapInfo> taps;
};
std::vector<TapGroup> groupTapsByResolution(const std::vector<TapInfo>& taps);
/** stem, stageN, features, head, prelogits, logits: the names zoo models and the importer give. */
bool isNaturalTapName(const std::string& name);

/**
 * Why a loss method cannot pair a teacher tap of `teacherShape` with a student tap of `studentShape` (shapes
 * without batch: (C) or (C, H, W)); empty when it can. The engine's loss terms and the GUI's tap pickers
 * share this rule.
 */
std::string tapPairProblem(LossMethod method, const std::vector<int64_t>& teacherShape,
                           const std::vector<int64_t>& studentShape);

}  // namespace distillery
