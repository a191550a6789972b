#pragma once
// What the Quantize page reads from run folders, all through the core (RunFolder, readQuantReport): which
// runs can be a source, where a quantized run came from, and the runs its comparison shows. Plain functions
// of copies of their inputs, safe off the GUI thread, where the page runs the ones that read many files.

#include <QString>
#include <cmath>
#include <string>
#include <vector>

#include "core/quantize.h"
#include "core/recipe.h"
#include "widgets/quant_comparison_model.h"

namespace distillery {

/** A trained fp32 run as the source picker lists it. */
struct QuantSource {
    QString dir;
    std::string metric;          // its main metric (top1, miou); empty when unknown
    double best = std::nan("");  // its best value so far
};

/** A run folder from a run folder or a checkpoint inside one; empty when neither. */
QString runDirOf(const QString& path);
/** Both name the same existing folder. */
bool sameRunDir(const QString& a, const QString& b);

/** A quantized run: a quantization report, or a recipe that quantizes (QAT, also while it runs). */
bool isQuantizedFolder(const QString& runDir);
/** A folder holding a trained run in float: a recipe, a checkpoint, not quantized. */
bool isQuantSourceCandidate(const QString& runDir);
/** The fp32 run a quantized run came from; empty when unknown. Reads recipe.yaml (quantization.json only for
 *  a recipe that does not say). */
QString quantSourceOf(const QString& quantizedRunDir);

/** The trained fp32 runs under a project's runs folder, with their best metric, sorted by path. */
std::vector<QuantSource> findQuantSources(const QString& runsDir);

/**
 * The comparison of a source run: its overview, its teacher's (from the recipe's teacher checkpoint), and
 * the quantization reports of the runs made from it under `runsDir` and beside the source. Reports that
 * cannot be read are listed in `errors`, not thrown.
 */
QuantComparison readQuantComparison(const QString& sourceDir, const Recipe& sourceRecipe,
                                    const QuantCost& fp32Cost, const QString& runsDir);

}  // namespace distillery
