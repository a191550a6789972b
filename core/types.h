#pragma once
// Plain data that crosses from the engine to its users (CLI, GUI). No torch, no Qt.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distillery {

/** Any user-facing failure: bad recipe, missing file, unknown model. The message is complete and one line. */
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class Task { Classification, Segmentation };

inline const char* taskName(Task t) {
    return t == Task::Classification ? "classification" : "segmentation";
}

/** A named intermediate output of a model; shape without the batch dimension (C, H, W) or (C). */
struct TapInfo {
    std::string name;
    std::vector<int64_t> shape;
};

/** One node of a model's op graph with its cost for a given input size. */
struct LayerInfo {
    std::string name;
    std::string
        op;  // conv, bn, relu, relu6, add, maxpool, avgpool, gap, flatten, linear, resize, concat, ...
    std::vector<std::string> inputs;
    std::vector<int64_t> outShape;  // without batch
    int64_t params = 0;
    int64_t macs = 0;
};

struct ModelInfo {
    std::string arch;  // the zoo architecture, or the imported ONNX file's name
    std::string onnx;  // imported models: the ONNX file
    std::string head;  // segmentation head, empty for classification
    Task task = Task::Classification;
    int64_t inChannels = 0;
    int64_t numClasses = 0;
    int64_t inputH = 0;
    int64_t inputW = 0;
    int64_t params = 0;
    int64_t macs = 0;
    std::vector<TapInfo> taps;
    std::vector<LayerInfo> layers;
};

/** An image as planar floats, channel-major (C, H, W). */
struct Image {
    int channels = 0;
    int height = 0;
    int width = 0;
    std::vector<float> data;

    float& at(int c, int y, int x) { return data[(static_cast<size_t>(c) * height + y) * width + x]; }
    float at(int c, int y, int x) const { return data[(static_cast<size_t>(c) * height + y) * width + x]; }
};

/** Per-pixel class indices (H, W); 255 means "ignore". */
struct Mask {
    int height = 0;
    int width = 0;
    std::vector<uint8_t> data;
};

struct Sample {
    Image image;
    int64_t label = -1;  // classification
    Mask mask;           // segmentation
};

/** A feature map as plain floats, (C, H, W). A vector tap has H = W = 1. */
struct FeatureMap {
    std::string tap;
    int64_t channels = 0;
    int64_t height = 0;
    int64_t width = 0;
    std::vector<float> data;
};

}  // namespace distillery
