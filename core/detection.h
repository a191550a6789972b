#pragma once
// Object detection without torch: the CenterNet-style targets the detector learns (per-class centre heat
// maps with Gaussian peaks, box size and centre offset at output stride 4), their decoding (3×3 peaks, top-K,
// no NMS) and COCO's box AP. The engine, the exporter's verification and the CLI share these.

#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

/** The detector's output stride: its maps are ceil(H/4) × ceil(W/4). */
constexpr int kDetectionStride = 4;
/** Detections kept per image (COCO's maxDets). */
constexpr int kMaxDetections = 100;

/** ceil(size / stride): the detector's map size for an input of `size` pixels. */
int detectionMapSize(int size, int stride = kDetectionStride);

/** Channels of the detector's output (and of its dense targets): K heat-map logits, then width and height,
 *  then the centre's x and y offsets (all in map cells); the targets add a fifth map, 1 at object centres. */
inline int64_t detectionOutputChannels(int64_t numClasses) {
    return numClasses + 4;
}
inline int64_t detectionTargetChannels(int64_t numClasses) {
    return numClasses + 5;
}

/** CenterNet's Gaussian radius (Zhou et al., "Objects as Points", after CornerNet): the largest shift of a
 *  box's corners that keeps its IoU with the true box at `minOverlap`, for a box of h × w map cells. */
double gaussianRadius(double height, double width, double minOverlap = 0.7);

/**
 * Dense targets for one image, (K + 5) × mapH × mapW floats written to `out`: per class a heat map holding
 * the maximum of exp(−(dx² + dy²)/(2σ²)) over that class's objects (σ = (2r + 1)/6, r the Gaussian radius,
 * 1 at each centre cell), then at each centre cell the box's width and height in cells, the centre's offset
 * from the cell's corner, and 1 in the last map. Crowd boxes and boxes smaller than a cell's hundredth are
 * skipped. Coordinates are in input pixels; cells are `stride` pixels.
 */
void encodeCenterTargets(const std::vector<Box>& boxes, int64_t numClasses, int mapH, int mapW, int stride,
                         float* out);

/**
 * Boxes from the detector's raw output for one image ((K + 4) × mapH × mapW floats: heat-map logits, size,
 * offset): cells whose sigmoid score no 3×3 neighbour exceeds, the `topK` best over all classes, each box
 * centred at (cell + offset)·stride with the predicted size, clipped to the image. Sorted by score (ties by
 * class, then position), so every reader of the same maps gets the same list.
 */
std::vector<Detection> decodeCenterMaps(const float* maps, int64_t numClasses, int mapH, int mapW, int stride,
                                        int topK, int imageH, int imageW);

/**
 * FGD's foreground mask for one image at an h × w feature map (Yang et al., the authors' code): each box
 * scaled to the map, its cells from floor(x1) to ceil(x2) inclusive (likewise y) set to at least 1/(cells it
 * spans), so small objects weigh more; 0 on the background. Row-major h·w floats.
 */
std::vector<float> fgdForegroundMask(const std::vector<Box>& boxes, int h, int w, int imageH, int imageW);

/** IoU of two boxes ([x1, x2) × [y1, y2)); 0 when either is empty. */
double boxIoU(const Detection& a, const Box& b);

/** COCO's box metrics, as percentages; -1 where no ground truth exists (e.g. no large objects). */
struct CocoMetrics {
    double ap = -1, ap50 = -1, ap75 = -1, apSmall = -1, apMedium = -1, apLarge = -1;
    double ar100 = -1;
    std::vector<double> perClassAP;  // AP@[.5:.95] per class; -1 for classes without ground truth
    int64_t images = 0;
};

/**
 * COCO's bbox evaluation (pycocotools' COCOeval, iouType "bbox"): per image and class the `maxDets` best
 * detections are matched greedily in score order to the unmatched ground truth of highest IoU ≥ t, for
 * t = .50:.05:.95; crowd boxes match any number of detections (IoU over the detection's area) and count
 * neither way; objects outside an area range (small < 32², medium < 96², large) are ignored there, as are
 * unmatched detections of that size. Precision is made monotone and read at 101 recall points.
 */
class CocoEvaluator {
public:
    explicit CocoEvaluator(int64_t numClasses, int maxDets = kMaxDetections);
    /** One image: its ground truth and the detector's boxes (any order; scores decide). */
    void add(const std::vector<Box>& truth, const std::vector<Detection>& detections);
    CocoMetrics compute() const;
    int64_t images() const { return static_cast<int64_t>(mImages.size()); }

private:
    struct ImageEntry {
        std::vector<Box> truth;
        std::vector<Detection> detections;
    };
    int64_t mNumClasses;
    int mMaxDets;
    std::vector<ImageEntry> mImages;
};

/** The metrics as EvalResult pairs: ap, ap50, ap75, ap_small, ap_medium, ap_large, ar100 (absent ranges
 *  left out). */
std::vector<std::pair<std::string, double>> cocoMetricPairs(const CocoMetrics& metrics);

/** Detections in COCO's results format ([{"image_id", "category_id", "bbox": [x, y, w, h], "score"}]), as
 *  JSON text; `categoryIds[label]` is the category id written for a class (empty: the label itself). */
struct ImageDetections {
    int64_t imageId = 0;
    std::vector<Detection> detections;
};
std::string cocoResultsJson(const std::vector<ImageDetections>& images,
                            const std::vector<int64_t>& categoryIds);

}  // namespace distillery
