#include "widgets/tap_rules.h"

#include "core/zoo.h"

#include <QComboBox>
#include <QCoreApplication>
#include <QFont>
#include <QStandardItemModel>
#include <algorithm>

namespace distillery {

namespace {

bool isSpatial(const TapInfo& tap) {
    return tap.shape.size() == 3;
}

/** A detector's output maps (core/models.cpp's CenterNet heads): heads, not features. */
bool isDetectionHead(const std::string& name) {
    return name == "heatmap" || name == "size" || name == "offset";
}

/** The dense class logits a pixel-wise method compares: a detector's heat maps, else the logits. */
const char* denseLogitsTap(const ModelInfo& model) {
    return model.task == Task::Detection ? "heatmap" : "logits";
}

/** The detector's neck levels both models have, deepest first (neck_s8 before neck_s4). */
std::vector<std::string> commonNeckTaps(const ModelInfo& teacher, const ModelInfo& student) {
    std::vector<std::string> names;
    for (const auto& tap : teacher.taps)
        if (tap.name.rfind("neck_s", 0) == 0 && findTap(student, tap.name)) names.push_back(tap.name);
    return names;
}

/** Spatial taps of the backbone: what the feature methods are meant for (logits and head maps excluded).
 *  Imported models tap every value; their named stages are the ones presets choose from. */
std::vector<std::string> featureTaps(const ModelInfo& model) {
    std::vector<std::string> names;
    for (const auto& tap : model.taps)
        if (isSpatial(tap) && tap.name != "logits" && tap.name != "head" && !isDetectionHead(tap.name) &&
            isNaturalTapName(tap.name))
            names.push_back(tap.name);
    return names;
}

/** Feature taps both models have by name, in the teacher's order. */
std::vector<std::string> commonFeatureTaps(const ModelInfo& teacher, const ModelInfo& student) {
    std::vector<std::string> common;
    const auto studentTaps = featureTaps(student);
    for (const auto& name : featureTaps(teacher))
        if (std::find(studentTaps.begin(), studentTaps.end(), name) != studentTaps.end())
            common.push_back(name);
    return common;
}

LossTermSpec term(LossMethod method, const std::string& teacherTap, const std::string& studentTap,
                  double weight, double tau) {
    LossTermSpec spec;
    spec.method = method;
    spec.teacherTap = teacherTap;
    spec.studentTap = studentTap;
    spec.weight = weight;
    spec.tau = tau;
    spec.hasTau = methodTakesTau(method);
    return spec;
}

}  // namespace

bool tapFits(LossMethod method, const TapInfo& tap, int64_t numClasses) {
    if (tap.shape.empty()) return false;
    switch (method) {
        case LossMethod::Task:
            return false;
        case LossMethod::Kd:
            return tap.name == "logits" && tap.shape.size() == 1 && tap.shape[0] == numClasses;
        case LossMethod::PixelKd:
            return (tap.name == "logits" || tap.name == "heatmap") && isSpatial(tap) &&
                   tap.shape[0] == numClasses;
        case LossMethod::Dkd:
        case LossMethod::Dist:
        case LossMethod::Dml:
            return tap.name == "logits" && tap.shape.size() == 1 && tap.shape[0] == numClasses;
        case LossMethod::FitNet:
        case LossMethod::At:
        case LossMethod::PairKd:
        case LossMethod::Cwd:
        case LossMethod::Nst:
        case LossMethod::Vid:
        case LossMethod::Ab:
        case LossMethod::Ft:
        case LossMethod::Fgd:
        case LossMethod::Idd:
            return isSpatial(tap);
        case LossMethod::Sp:
        case LossMethod::Cc:
        case LossMethod::Rkd:
        case LossMethod::Pkt:
        case LossMethod::Crd:
        case LossMethod::Fsp:
        case LossMethod::ReviewKd:
            // Relations between the samples of a batch: any feature tap, maps or embeddings (not the logits).
            return tap.name != "logits";
    }
    return false;
}

bool tapPairFits(LossMethod method, const TapInfo& teacher, const TapInfo& student, int64_t numClasses) {
    // The engine's own rule decides; tapFits only narrows the offer to the taps each method is meant for.
    return tapFits(method, teacher, numClasses) && tapFits(method, student, numClasses) &&
           tapPairProblem(method, teacher.shape, student.shape).empty();
}

std::vector<std::string> compatibleTaps(LossMethod method, const ModelInfo& model) {
    std::vector<std::string> names;
    for (const auto& tap : model.taps)
        if (tapFits(method, tap, model.numClasses)) names.push_back(tap.name);
    return names;
}

std::vector<std::string> compatibleStudentTaps(LossMethod method, const ModelInfo& teacher,
                                               const std::string& teacherTap, const ModelInfo& student) {
    const TapInfo* t = findTap(teacher, teacherTap);
    std::vector<std::string> names;
    for (const auto& tap : student.taps) {
        const bool fits =
            t ? tapPairFits(method, *t, tap, student.numClasses) : tapFits(method, tap, student.numClasses);
        if (fits) names.push_back(tap.name);
    }
    return names;
}

bool defaultTapLists(LossMethod method, const ModelInfo& teacher, const ModelInfo& student,
                     std::vector<std::string>* teacherTaps, std::vector<std::string>* studentTaps) {
    if (!methodTakesTapList(method)) return false;
    // FSP: every block output from the stem on (RepDistiller's feat[:-1]); ReviewKD: the stages after the
    // stem and the pooled embedding (mdistiller's feats[1:] + pooled_feat). Different families pair by
    // position, from the deepest stage up.
    // Pre-activations (stageN.pre) where the model taps them: AB's on both sides, ReviewKD's on the
    // teacher's (mdistiller compares the fused student stages with the teacher's pre-activations).
    auto pick = [&](const ModelInfo& m, bool preActivations) {
        std::vector<std::string> names;
        for (const auto& name : featureTaps(m)) {
            if (method != LossMethod::Fsp && name == "stem") continue;
            const std::string pre = name + ".pre";
            names.push_back(preActivations && findTap(m, pre) ? pre : name);
        }
        return names;
    };
    std::vector<std::string> t = pick(teacher, method != LossMethod::Fsp),
                             s = pick(student, method == LossMethod::Ab);
    const size_t n = std::min(t.size(), s.size());
    t.erase(t.begin(), t.end() - static_cast<std::ptrdiff_t>(n));
    s.erase(s.begin(), s.end() - static_cast<std::ptrdiff_t>(n));
    if (method == LossMethod::ReviewKd && findTap(teacher, "prelogits") && findTap(student, "prelogits")) {
        t.push_back("prelogits");
        s.push_back("prelogits");
    }
    if (method == LossMethod::Fsp) {
        // Pairs whose channel counts differ cannot be compared: keep the longest run that matches.
        std::vector<std::string> bt, bs, ct, cs;
        for (size_t i = 0; i < t.size(); ++i) {
            const TapInfo* a = findTap(teacher, t[i]);
            const TapInfo* b = findTap(student, s[i]);
            if (a && b && a->shape.front() == b->shape.front()) {
                ct.push_back(t[i]);
                cs.push_back(s[i]);
                if (ct.size() > bt.size()) bt = ct, bs = cs;
            } else {
                ct.clear();
                cs.clear();
            }
        }
        t = bt;
        s = bs;
    }
    if (static_cast<int>(t.size()) < minimumTaps(method)) return false;
    if (teacherTaps) *teacherTaps = t;
    if (studentTaps) *studentTaps = s;
    return true;
}

const TapInfo* findTap(const ModelInfo& model, const std::string& name) {
    for (const auto& tap : model.taps)
        if (tap.name == name) return &tap;
    return nullptr;
}

QString shapeText(const std::vector<int64_t>& shape) {
    QStringList parts;
    for (int64_t d : shape)
        parts << QString::number(d);
    return parts.join(QChar(0x00D7));
}

QString tapGroupLabel(const std::string& label) {
    if (label == "named taps") return QCoreApplication::translate("TapGroup", "named taps");
    if (label == "vectors") return QCoreApplication::translate("TapGroup", "vectors");
    return QString::fromStdString(label).replace('x', QChar(0x00D7));
}

void fillTapCombo(QComboBox* combo, const ModelInfo& model, const QStringList& names) {
    std::vector<TapInfo> offered;
    for (const QString& name : names) {
        const TapInfo* tap = findTap(model, name.toStdString());
        offered.push_back(tap ? *tap : TapInfo{name.toStdString(), {}});
    }
    const auto groups = groupTapsByResolution(offered);
    for (const auto& group : groups) {
        if (groups.size() > 1) {
            combo->addItem(tapGroupLabel(group.label));
            auto* items = qobject_cast<QStandardItemModel*>(combo->model());
            if (items) {
                QStandardItem* header = items->item(combo->count() - 1);
                header->setFlags(header->flags() & ~(Qt::ItemIsSelectable | Qt::ItemIsEnabled));
                QFont bold = header->font();
                bold.setBold(true);
                header->setFont(bold);
            }
        }
        for (const auto& tap : group.taps) {
            const QString name = QString::fromStdString(tap.name);
            combo->addItem(
                tap.shape.empty() ? name : QStringLiteral("%1  (%2)").arg(name, shapeText(tap.shape)), name);
        }
    }
}

std::vector<Preset> allPresets() {
    return {Preset::Kd,        Preset::FitNets,     Preset::Attention, Preset::PixelWise, Preset::PairWise,
            Preset::CwdLogits, Preset::CwdFeatures, Preset::Dkd,       Preset::Dist,      Preset::Sp,
            Preset::Cc,        Preset::Rkd,         Preset::Pkt,       Preset::Nst,       Preset::Vid,
            Preset::Crd,       Preset::Fsp,         Preset::ReviewKd,  Preset::Ab,        Preset::Ft,
            Preset::CwdNeck,   Preset::Fgd};
}

QString presetName(Preset preset) {
    switch (preset) {
        case Preset::Kd:
            return QCoreApplication::translate("Preset", "KD (logits)");
        case Preset::FitNets:
            return QCoreApplication::translate("Preset", "FitNets (hint)");
        case Preset::Attention:
            return QCoreApplication::translate("Preset", "Attention transfer");
        case Preset::PixelWise:
            return QCoreApplication::translate("Preset", "Pixel-wise KD");
        case Preset::PairWise:
            return QCoreApplication::translate("Preset", "Pair-wise KD");
        case Preset::CwdLogits:
            return QCoreApplication::translate("Preset", "CWD on logits");
        case Preset::CwdFeatures:
            return QCoreApplication::translate("Preset", "CWD on features");
        case Preset::Dkd:
            return QCoreApplication::translate("Preset", "Decoupled KD (DKD)");
        case Preset::Dist:
            return QCoreApplication::translate("Preset", "DIST (correlation of predictions)");
        case Preset::Sp:
            return QCoreApplication::translate("Preset", "Similarity-preserving (SP)");
        case Preset::Cc:
            return QCoreApplication::translate("Preset", "Correlation congruence (CC)");
        case Preset::Rkd:
            return QCoreApplication::translate("Preset", "Relational KD (RKD)");
        case Preset::Pkt:
            return QCoreApplication::translate("Preset", "Probabilistic transfer (PKT)");
        case Preset::Nst:
            return QCoreApplication::translate("Preset", "Neural selectivity transfer (NST)");
        case Preset::Vid:
            return QCoreApplication::translate("Preset", "Variational information (VID)");
        case Preset::Crd:
            return QCoreApplication::translate("Preset", "Contrastive representation (CRD)");
        case Preset::Fsp:
            return QCoreApplication::translate("Preset", "Flow of solution procedure (FSP)");
        case Preset::ReviewKd:
            return QCoreApplication::translate("Preset", "Knowledge review (ReviewKD)");
        case Preset::Ab:
            return QCoreApplication::translate("Preset", "Activation boundaries (AB)");
        case Preset::Ft:
            return QCoreApplication::translate("Preset", "Factor transfer (FT)");
        case Preset::CwdNeck:
            return QCoreApplication::translate("Preset", "CWD on the neck (detection)");
        case Preset::Fgd:
            return QCoreApplication::translate("Preset", "FGD, focal and global (detection)");
    }
    return {};
}

bool presetTerms(Preset preset, const ModelInfo& teacher, const ModelInfo& student,
                 std::vector<LossTermSpec>* terms, QString* reason) {
    std::vector<LossTermSpec> out{term(LossMethod::Task, "", "", 1.0, 1.0)};
    out.front().hasTau = false;
    const auto common = commonFeatureTaps(teacher, student);
    const auto teacherFeatures = featureTaps(teacher), studentFeatures = featureTaps(student);
    const TapInfo* tLogits = findTap(teacher, denseLogitsTap(teacher));
    const TapInfo* sLogits = findTap(student, denseLogitsTap(student));
    const bool detectors = teacher.task == Task::Detection && student.task == Task::Detection;
    const bool logitsPair = tLogits && sLogits && tLogits->shape.size() == sLogits->shape.size() &&
                            tLogits->shape.front() == sLogits->shape.front();
    const bool denseLogits = logitsPair && tLogits->shape.size() == 3;

    // The deepest backbone stage both have; different families pair their last stages by position.
    std::string tLast, sLast;
    if (!common.empty())
        tLast = sLast = common.back();
    else if (!teacherFeatures.empty() && !studentFeatures.empty()) {
        tLast = teacherFeatures.back();
        sLast = studentFeatures.back();
    }

    switch (preset) {
        case Preset::Kd:
            if (!logitsPair || denseLogits) {
                if (reason)
                    *reason = QCoreApplication::translate(
                        "Preset", "KD needs class-logit vectors (a classification data set)");
                return false;
            }
            out.push_back(term(LossMethod::Kd, "logits", "logits", 1.0, 4.0));
            break;
        case Preset::PixelWise:
            if (!denseLogits) {
                if (reason)
                    *reason = QCoreApplication::translate(
                        "Preset", "pixel-wise KD needs dense logits (a segmentation data set)");
                return false;
            }
            // A detector's heat maps: per-class binary KL at τ 2 (resources/recipes/det_pixel_kd.yaml).
            if (detectors)
                out.push_back(term(LossMethod::PixelKd, "heatmap", "heatmap", 5.0, 2.0));
            else
                out.push_back(term(LossMethod::PixelKd, "logits", "logits", 10.0, 1.0));
            break;
        case Preset::CwdLogits:
            if (!denseLogits) {
                if (reason)
                    *reason = QCoreApplication::translate(
                        "Preset", "CWD on logits needs dense logits (a segmentation data set)");
                return false;
            }
            out.push_back(term(LossMethod::Cwd, denseLogitsTap(teacher), denseLogitsTap(student), 3.0, 4.0));
            break;
        case Preset::CwdNeck:
        case Preset::Fgd: {
            const auto neck = commonNeckTaps(teacher, student);
            if (!detectors || neck.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "%1 needs two detectors (a detection data set)")
                            .arg(presetName(preset));
                return false;
            }
            // Every neck level: CWD at YOLOv6's τ 1 and weight 10, decayed along a cosine to a tenth; FGD at
            // the paper's α, β, γ, λ, weighted for these small maps (resources/recipes/det_*.yaml).
            for (const auto& level : neck) {
                if (preset == Preset::CwdNeck) {
                    out.push_back(term(LossMethod::Cwd, level, level, 10.0, 1.0));
                    out.back().cosineWeight = true;
                    out.back().weightFloor = 0.1;
                } else {
                    out.push_back(term(LossMethod::Fgd, level, level, 100.0, 1.0));
                    out.back().hasTau = false;
                }
            }
            break;
        }
        case Preset::FitNets: {
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            // The hint sits in the middle of the network, as in the paper.
            const std::string hint = common.size() >= 3 ? common[common.size() / 2] : tLast;
            out.push_back(term(LossMethod::FitNet, common.size() >= 3 ? hint : tLast,
                               common.size() >= 3 ? hint : sLast, 10.0, 1.0));
            out.back().hasTau = false;
            break;
        }
        case Preset::Attention: {
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            // AT matches every stage; the stem sees only edges and is left out.
            std::vector<std::string> stages;
            for (const auto& name : common)
                if (name != "stem") stages.push_back(name);
            if (stages.empty()) out.push_back(term(LossMethod::At, tLast, sLast, 500.0, 1.0));
            for (const auto& name : stages)
                out.push_back(term(LossMethod::At, name, name, 500.0, 1.0));
            for (auto& t : out)
                t.hasTau = false;
            break;
        }
        case Preset::PairWise:
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            out.push_back(term(LossMethod::PairKd, tLast, sLast, 1.0, 1.0));
            out.back().hasTau = false;
            break;
        case Preset::CwdFeatures:
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            out.push_back(term(LossMethod::Cwd, tLast, sLast, 50.0, 4.0));
            break;
        case Preset::Dkd:
        case Preset::Dist:
            if (!logitsPair || denseLogits) {
                if (reason)
                    *reason = QCoreApplication::translate(
                                  "Preset", "%1 needs class-logit vectors (a classification data set)")
                                  .arg(presetName(preset));
                return false;
            }
            // DKD: α = 1, β = 8, τ = 4 (the paper's CIFAR setting); DIST: β = γ = 1, τ = 1.
            out.push_back(preset == Preset::Dkd ? term(LossMethod::Dkd, "logits", "logits", 1.0, 4.0)
                                                : term(LossMethod::Dist, "logits", "logits", 1.0, 1.0));
            break;
        case Preset::Vid:
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            // Every stage but the stem, as RepDistiller applies VID (weight 1 each).
            for (const auto& name : common)
                if (name != "stem") out.push_back(term(LossMethod::Vid, name, name, 1.0, 1.0));
            if (out.size() == 1) out.push_back(term(LossMethod::Vid, tLast, sLast, 1.0, 1.0));
            for (auto& t : out)
                t.hasTau = false;
            break;
        case Preset::Sp:
        case Preset::Nst:
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            // The last stage's maps, with RepDistiller's weights (SP 3000, NST 50).
            out.push_back(term(preset == Preset::Sp ? LossMethod::Sp : LossMethod::Nst, tLast, sLast,
                               preset == Preset::Sp ? 3000.0 : 50.0, 1.0));
            out.back().hasTau = false;
            break;
        case Preset::Cc:
        case Preset::Rkd:
        case Preset::Pkt:
        case Preset::Crd: {
            // The embedding before the classifier, where RepDistiller applies them; the last stage otherwise.
            const bool embeddings = findTap(teacher, "prelogits") && findTap(student, "prelogits");
            const std::string t = embeddings ? "prelogits" : tLast, s = embeddings ? "prelogits" : sLast;
            if (t.empty()) {
                if (reason)
                    *reason = QCoreApplication::translate("Preset", "the models have no feature taps");
                return false;
            }
            const LossMethod m = preset == Preset::Cc    ? LossMethod::Cc
                                 : preset == Preset::Rkd ? LossMethod::Rkd
                                 : preset == Preset::Crd ? LossMethod::Crd
                                                         : LossMethod::Pkt;
            // RKD's distance and angle weights (25, 50) are inside the term; PKT's and CRD's weights are
            // RepDistiller's (30000, 0.8).
            const double weight = m == LossMethod::Pkt ? 30000.0 : m == LossMethod::Crd ? 0.8 : 1.0;
            out.push_back(term(m, t, s, weight, 1.0));
            out.back().hasTau = false;
            break;
        }
        case Preset::Ft:
            if (tLast.empty()) {
                if (reason)
                    *reason =
                        QCoreApplication::translate("Preset", "the models have no spatial feature taps");
                return false;
            }
            // The last stage, RepDistiller's weight 200, one epoch of the paraphraser's training first.
            out.push_back(term(LossMethod::Ft, tLast, sLast, 200.0, 1.0));
            out.back().hasTau = false;
            break;
        case Preset::Fsp:
        case Preset::Ab:
        case Preset::ReviewKd: {
            const LossMethod m = preset == Preset::Fsp  ? LossMethod::Fsp
                                 : preset == Preset::Ab ? LossMethod::Ab
                                                        : LossMethod::ReviewKd;
            LossTermSpec t = term(m, "", "", 1.0, 1.0);
            if (!defaultTapLists(m, teacher, student, &t.teacherTaps, &t.studentTaps)) {
                if (reason)
                    *reason =
                        m == LossMethod::Fsp
                            ? QCoreApplication::translate(
                                  "Preset",
                                  "FSP needs two consecutive feature taps with the same channel counts on "
                                  "both models")
                        : m == LossMethod::Ab
                            ? QCoreApplication::translate("Preset", "the models have no spatial feature taps")
                            : QCoreApplication::translate("Preset", "the models have no feature taps");
                return false;
            }
            t.teacherTap = t.teacherTaps.front();
            t.studentTap = t.studentTaps.front();
            // FSP and AB as RepDistiller runs them: an initialisation stage (one epoch here) trains the
            // student by the term alone, then training has the task loss only (weight 0). ReviewKD: weight 1,
            // ramped up over the first epoch (the paper ramps over 20 of 240 epochs).
            if (m == LossMethod::Fsp || m == LossMethod::Ab) {
                t.weight = 0.0;
                t.params["init_epochs"] = 1.0;
            }
            if (m == LossMethod::ReviewKd) t.params["warmup_epochs"] = 1.0;
            out.push_back(t);
            break;
        }
    }
    if (terms) *terms = out;
    return true;
}

}  // namespace distillery
