#pragma once
// Data sets as plain samples (no torch): the GUI's preview grid and the training loader share them.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

/** Every knob of a data set; unused ones are ignored by the set that does not need them. */
struct DataConfig {
    std::string dataset = "fashion_mnist";  // fashion_mnist, fashion_scenes(_det), image_folder, seg_folder,
                                            // coco_json, cifar10/100
    std::string root;                       // folder (resolved to an absolute path)
    std::string valRoot;  // image_folder / seg_folder / coco_json: optional separate val folder
    // coco_json: the images folder and the annotations file given apart (instead of root/images and
    // root/annotations.json), and the same for validation
    std::string images, annotations, valImages, valAnnotations;
    int subset = 0;   // use only the first N samples of each split (0 = all)
    int workers = 2;  // batch-preparation threads
    // fashion_scenes
    int canvas = 64;
    int minItems = 2;
    int maxItems = 4;
    double minScale = 0.8;
    double maxScale = 1.6;
    int trainScenes = 10000;
    int valScenes = 2000;
    uint64_t sceneSeed = 1;
    // image_folder / seg_folder: images are resized to this size (0 = keep)
    int imageSize = 0;
    int imageChannels = 3;     // 1 = grayscale, 3 = BGR->RGB
    double valFraction = 0.2;  // image_folder/seg_folder without valRoot: deterministic split
    int holdout = 0;     // > 0: validate on the last N training samples (for tuning) instead of the val split
    int numClasses = 0;  // seg_folder: number of classes (0 = infer from the masks)
    std::vector<std::string> classNames;  // optional display names (seg_folder, image_folder override)
};

/** Random-access data set. get() must be thread-safe: the loader calls it from worker threads. */
class Dataset {
public:
    virtual ~Dataset() = default;
    virtual int64_t size() const = 0;
    virtual Sample get(int64_t index) const = 0;
    virtual Task task() const = 0;
    virtual int channels() const = 0;
    virtual int height() const = 0;  // native sample height
    virtual int width() const = 0;
    virtual int numClasses() const = 0;
    virtual std::vector<std::string> classNames() const = 0;
    virtual std::string name() const = 0;
    /** Detection: the category id each class index stands for (COCO's ids); empty when the ids are the
     *  indices themselves. */
    virtual std::vector<int64_t> categoryIds() const { return {}; }
};

/** Opens the split of the data set described by the config. Throws Error naming the path and what is wrong.
 */
std::shared_ptr<Dataset> openDataset(const DataConfig& config, Split split);

/** Names accepted in DataConfig::dataset. */
std::vector<std::string> datasetNames();

/** Reads an IDX file (optionally gzip-compressed). Returns dims and raw bytes. */
struct IdxArray {
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;
};
IdxArray readIdx(const std::string& path);

// ---- transforms -----------------------------------------------------------------------------------

struct TransformStep {
    enum class Kind { Normalize, RandomCrop, HFlip, Resize } kind = Kind::Normalize;
    std::vector<float> mean, std;  // Normalize
    int size = 0;                  // RandomCrop (0 = input size) / Resize
    int height = 0, width = 0;     // Resize (explicit)
    int padding = 0;               // RandomCrop
    double probability = 0.5;      // HFlip
};

/** Applies the steps in order; `rng` drives random ones so that a (seed, epoch, index) gives the same result.
 */
void applyTransforms(const std::vector<TransformStep>& steps, Sample& sample, std::mt19937_64& rng);

}  // namespace distillery
