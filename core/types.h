#pragma once
// Plain data that crosses from the engine to its users (CLI, GUI). No torch, no Qt.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace distillery {

/** Bad input: a bad recipe, a missing or malformed file, an unknown model. The message is complete and one
 *  line; the CLI exits with status 2. */
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/** A run, quantization or export that could not be carried out although its input was valid (a disk that is
 *  full, a runtime that fails). The CLI exits with status 1. */
class Failure : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/** Text from a file or a user made safe for a one-line message: control bytes and invalid bytes are escaped
 *  (\x07), backslashes doubled, and the result cut at `maxLength` characters. */
std::string printable(const std::string& text, size_t maxLength = 200);

enum class Task { Classification, Segmentation, Detection };

inline const char* taskName(Task t) {
    return t == Task::Classification ? "classification"
           : t == Task::Segmentation ? "segmentation"
                                     : "detection";
}
/** The Task a taskName() string names; false when it names none. */
bool parseTask(const std::string& text, Task& out);

// ---- domain values: enums inside the program, strings only at the YAML / JSON / command-line boundary ----

/** What a recipe's run does: train a model on labels, or distil a student from a teacher. */
enum class JobKind { Train, Distill };
/** How a run ended (summary.json "status"). */
enum class RunStatus { Finished, Cancelled, Failed };
/** A data set's split. */
enum class Split { Train, Val };
/** Which checkpoint of a run folder. */
enum class CheckpointChoice { Best, Last };
/** A loss term's method. */
enum class LossMethod {
    Task,
    Kd,
    FitNet,
    At,
    PixelKd,
    PairKd,
    Cwd,
    Sp,
    Cc,
    Rkd,
    Pkt,
    Nst,
    Dkd,
    Dist,
    Vid,
    Crd,
    Fsp,
    ReviewKd,
    Ab,
    Ft,
    Fgd,
    Idd,
    Dml
};

const char* jobName(JobKind job);                // train, distill
const char* statusName(RunStatus status);        // finished, cancelled, failed
const char* splitName(Split split);              // train, val
const char* checkpointName(CheckpointChoice c);  // best, last
const char* methodName(LossMethod method);       // task, kd, fitnet, at, pixel_kd, pair_kd, cwd, sp, cc, ...

/** The value a string names; false when it names none (the caller reports the field and the choices). */
bool parseJob(const std::string& text, JobKind& out);
bool parseStatus(const std::string& text, RunStatus& out);
bool parseSplit(const std::string& text, Split& out);
bool parseCheckpoint(const std::string& text, CheckpointChoice& out);
bool parseMethod(const std::string& text, LossMethod& out);

/** Every name of each kind, in declaration order, for messages and pickers. */
std::vector<std::string> jobNames();
std::vector<std::string> splitNames();
std::vector<std::string> checkpointNames();
std::vector<std::string> methodNames();

/** The name, or throws Error "`what`: unknown value 'TEXT' (allowed: ...)". */
JobKind jobFrom(const std::string& text, const std::string& what);
Split splitFrom(const std::string& text, const std::string& what);
CheckpointChoice checkpointFrom(const std::string& text, const std::string& what);
LossMethod methodFrom(const std::string& text, const std::string& what);
RunStatus statusFrom(const std::string& text, const std::string& what);

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

/** An object's box in pixel coordinates of its image: the box covers [x1, x2) × [y1, y2) (a one-pixel object
 *  at column x has x2 = x + 1). COCO's [x, y, w, h] is (x1, y1, x2 − x1, y2 − y1). */
struct Box {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    int64_t label = 0;   // contiguous class index, 0-based
    bool crowd = false;  // COCO iscrowd: matched but never counted as missed or as a false positive
    float area = -1.f;   // COCO's area (of the segment); < 0: the box's area

    float width() const { return x2 - x1; }
    float height() const { return y2 - y1; }
    float boxArea() const { return width() * height(); }
    float evalArea() const { return area >= 0.f ? area : boxArea(); }
};

/** A detector's box with its class and confidence. */
struct Detection {
    float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
    int64_t label = 0;
    float score = 0;
};

struct Sample {
    Image image;
    int64_t label = -1;      // classification
    Mask mask;               // segmentation
    std::vector<Box> boxes;  // detection
    int64_t imageId = -1;    // detection: the COCO image id (-1: the sample's index)
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
