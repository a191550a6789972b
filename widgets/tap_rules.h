#pragma once
// Which taps a loss method can compare (the engine's tapPairProblem, narrowed to the taps each method is
// meant for), so the recipe editor offers only pairs that will start; and the presets of the recipe editor.

#include <QString>
#include <QStringList>
#include <vector>

#include "core/recipe.h"
#include "core/types.h"

class QComboBox;

namespace distillery {

/** True when `method` accepts `tap` on one side: kd, dkd and dist want class-logit vectors, pixel_kd dense
 *  logits, the feature methods (fitnet, at, pair_kd, cwd, nst) spatial C×H×W maps, the relation methods (sp,
 *  cc, rkd, pkt) any feature tap. */
bool tapFits(LossMethod method, const TapInfo& tap, int64_t numClasses);

/** True when the two taps also fit together (kd and pixel_kd compare class distributions: same classes). */
bool tapPairFits(LossMethod method, const TapInfo& teacher, const TapInfo& student, int64_t numClasses);

/** Names of the model's taps that `method` accepts, in the model's order. */
std::vector<std::string> compatibleTaps(LossMethod method, const ModelInfo& model);

/** Student taps that pair with the teacher's `teacherTap` for `method`. */
std::vector<std::string> compatibleStudentTaps(LossMethod method, const ModelInfo& teacher,
                                               const std::string& teacherTap, const ModelInfo& student);

/** The tap lists a list method (fsp, reviewkd) starts from on these models: FSP every feature tap from the
 *  stem on with equal channel counts on both sides, ReviewKD the stages after the stem and the prelogits
 *  embedding; different families pair by position from the deepest stage. False when there are too few. */
bool defaultTapLists(LossMethod method, const ModelInfo& teacher, const ModelInfo& student,
                     std::vector<std::string>* teacherTaps, std::vector<std::string>* studentTaps);

/** Looks a tap up by name; nullptr when the model has none of that name. */
const TapInfo* findTap(const ModelInfo& model, const std::string& name);

/** "64×7×7" or "10". */
QString shapeText(const std::vector<int64_t>& shape);

/** A tap group's label for display: "named taps", "32×32", "vectors", translated. */
QString tapGroupLabel(const std::string& label);

/** Fills a tap picker with `names` (taps of `model`) grouped by resolution: each group under a disabled
 *  header when there is more than one; item data is the tap name. */
void fillTapCombo(QComboBox* combo, const ModelInfo& model, const QStringList& names);

enum class Preset {
    Kd,
    FitNets,
    Attention,
    PixelWise,
    PairWise,
    CwdLogits,
    CwdFeatures,
    Dkd,
    Dist,
    Sp,
    Cc,
    Rkd,
    Pkt,
    Nst,
    Vid,
    Crd,
    Fsp,
    ReviewKd,
    Ab,
    Ft,
    CwdNeck,
    Fgd
};

std::vector<Preset> allPresets();
QString presetName(Preset preset);

/**
 * The loss terms of a preset for these two models: the task term plus the preset's terms with the weights and
 * temperatures of the methods' papers (docs/METHODS.md). Returns false with a reason when the models
 * have no taps the preset can use (e.g. pixel-wise KD on a classifier).
 */
bool presetTerms(Preset preset, const ModelInfo& teacher, const ModelInfo& student,
                 std::vector<LossTermSpec>* terms, QString* reason);

}  // namespace distillery
