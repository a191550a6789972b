#pragma once
// Clustering-based hint selection: where to distil. The teacher's candidate layers are measured on a sample
// of the training data, compared pairwise with several similarity metrics (linear CKA, RBF CKA, RSA), and
// clustered; each cluster's centre (medoid) is proposed as a hint point, paired with the student layer at
// the same relative depth. No torch here.

#include <string>
#include <utility>
#include <vector>

#include "core/recipe.h"

namespace distillery {

struct HintOptions {
    int samples = 256;  // training samples the layers are measured on (eval transforms, a seeded draw)
    int clusters = 3;   // hint points proposed
    /** Similarity metrics, averaged: linear_cka, rbf_cka, rsa. */
    std::vector<std::string> metrics = {"linear_cka", "rbf_cka", "rsa"};
    int threads = 0;
};

/** The metric names suggestHints accepts. */
std::vector<std::string> hintMetricNames();

struct HintSuggestion {
    std::vector<std::string> layers;  // the teacher's candidate taps, shallow to deep
    std::vector<std::vector<int64_t>> shapes;
    std::vector<std::string> metrics;
    /** similarity[m][i][j]: metric m between layers i and j (1 on the diagonal); combined: their mean. */
    std::vector<std::vector<std::vector<double>>> similarity;
    std::vector<std::vector<double>> combined;
    std::vector<int> cluster;  // per layer: its cluster, numbered shallow to deep
    std::vector<int> centres;  // per cluster: the layer index of its medoid
    /** Per centre: (teacher tap, student tap at the same relative depth, same resolution where possible). */
    std::vector<std::pair<std::string, std::string>> pairs;
    std::vector<std::string> studentLayers;  // the student's candidate taps
};

/** Measures the recipe's teacher (job: distill) on `samples` training samples and proposes hint points.
 *  Throws Error for a recipe without a teacher, too few candidate layers or unknown metrics. */
HintSuggestion suggestHints(const Recipe& recipe, const HintOptions& options = {});

/** Whether hints can be applied to `method`: it distils one spatial feature map (fitnet, at, cwd, nst, sp,
 * vid, ft). */
bool takesHintPoints(LossMethod method);
/** The method suggested hints are for when none is named: the first term of `losses` that takes hint points,
 *  else fitnet. */
LossMethod hintMethodOf(const std::vector<LossTermSpec>& losses);

/** The recipe's loss terms with `method`'s terms replaced by one term per suggested pair (keeping the weight
 *  and τ of the first replaced term, or the method's defaults); other terms stay. `method` must take one
 *  spatial tap (fitnet, at, cwd, nst, sp, pixel_kd, vid, ft); throws Error otherwise. */
std::vector<LossTermSpec> applyHints(const std::vector<LossTermSpec>& losses, const HintSuggestion& hints,
                                     LossMethod method);

/** Pieces, exposed for tests: linear CKA of two Gram matrices (N×N, row-major); k-medoids over a distance
 *  matrix, exhaustive where the combinations are few, returning the medoids in ascending order. */
double linearCkaFromGrams(const std::vector<double>& k, const std::vector<double>& l, int n);
std::vector<int> kMedoids(const std::vector<std::vector<double>>& distance, int k);

}  // namespace distillery
