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

}  // namespace distillery
