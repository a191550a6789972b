#pragma once
// Data-free distillation's generator, looked at after (or during) a run: images it generates for each class,
// what the teacher and the student make of them, and how close their batch statistics come to those the
// teacher saw in training (docs/METHODS.md §1.7d). No torch here.

#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

/** One teacher batch norm: how far a generated batch's statistics are from its running statistics, in units
 *  of the running spread (0 = the statistics of the teacher's training data). */
struct BatchStatsGap {
    std::string layer;
    double mean = 0.0;    // mean over channels of |μ − μ_running| / σ_running
    double logVar = 0.0;  // mean over channels of |log(σ² / σ²_running)|
};

struct GeneratedImages {
    /** perClass images of each class in class order: the generator's pixels in [0, 1] (before the recipe's
     *  normalisation), `label` being the class asked for. */
    std::vector<Sample> samples;
    std::vector<std::string> classNames;
    std::vector<int64_t> teacherLabels;     // the teacher's prediction for each image
    std::vector<int64_t> studentLabels;     // the student's (the run's last checkpoint)
    double teacherAgreement = 0.0;          // share of images the teacher classifies as the class asked for
    double studentAgreement = 0.0;          // share on which the student predicts what the teacher does
    std::vector<BatchStatsGap> layers;      // every teacher batch norm, the images as one batch
    double meanGap = 0.0, logVarGap = 0.0;  // their means over the layers
};

/**
 * Runs the generator of a data-free run folder (checkpoints/generator.pt, the state of its last checkpoint)
 * for `perClass` images of every class, drawn from `seed`. `initial`: the generator as the run initialised
 * it, before any training (what training gained). Throws Error naming the folder when it holds no data-free
 * run.
 */
GeneratedImages generateImages(const std::string& runDir, int perClass, uint64_t seed = 1,
                               bool initial = false);

/** The trained generator's images and the initial one's from the same latent draw, the run folder's models
 *  loaded once (the workbench shows both). */
struct GeneratedImagesBeforeAfter {
    GeneratedImages trained, initial;
};
GeneratedImagesBeforeAfter generateImagesBeforeAfter(const std::string& runDir, int perClass,
                                                     uint64_t seed = 1);

/** The images as a PNG grid, one row per class (atomically). */
void writeGeneratedGrid(const GeneratedImages& images, const std::string& pngPath, int scale = 2);

}  // namespace distillery
