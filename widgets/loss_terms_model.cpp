#include "widgets/loss_terms_model.h"

#include <QBrush>
#include <QComboBox>
#include <QDoubleSpinBox>

#include "core/zoo.h"
#include "widgets/recipe_document.h"
#include "widgets/tap_rules.h"

namespace distillery {

namespace {

bool takesTaps(LossMethod method) {
    // dml compares the student's and its peer's predictions: no taps to choose (the peer is set in the YAML).
    return method != LossMethod::Task && method != LossMethod::Dml;
}
bool takesTau(LossMethod method) {
    return methodTakesTau(method);
}

QString methodText(LossMethod method) {
    return QString::fromLatin1(methodName(method));
}

QString methodDescription(LossMethod m) {
    switch (m) {
        case LossMethod::Task:
            return LossTermsModel::tr("Cross-entropy with the labels");
        case LossMethod::Kd:
            return LossTermsModel::tr("Hinton KD: match the teacher's softened class probabilities");
        case LossMethod::FitNet:
            return LossTermsModel::tr("FitNets hint: regress the teacher's feature map through a 1×1 conv");
        case LossMethod::At:
            return LossTermsModel::tr("Attention transfer: match where the feature maps are active");
        case LossMethod::PixelKd:
            return LossTermsModel::tr("Pixel-wise KD: match class probabilities at every pixel");
        case LossMethod::PairKd:
            return LossTermsModel::tr("Pair-wise KD: match the similarities between image regions");
        case LossMethod::Cwd:
            return LossTermsModel::tr("Channel-wise distillation: match where each channel puts its mass");
        case LossMethod::Sp:
            return LossTermsModel::tr(
                "Similarity-preserving KD: match how similar the samples of a batch are");
        case LossMethod::Cc:
            return LossTermsModel::tr(
                "Correlation congruence: match the kernel correlations between samples");
        case LossMethod::Rkd:
            return LossTermsModel::tr("Relational KD: match distances and angles between samples");
        case LossMethod::Pkt:
            return LossTermsModel::tr("Probabilistic transfer: match each sample's neighbour distribution");
        case LossMethod::Nst:
            return LossTermsModel::tr(
                "Neural selectivity transfer: match the channels' spatial patterns (MMD)");
        case LossMethod::Dkd:
            return LossTermsModel::tr("Decoupled KD: target-class and non-target-class KD, weighted apart");
        case LossMethod::Dist:
            return LossTermsModel::tr(
                "DIST: match the correlations of predictions across classes and samples");
        case LossMethod::Vid:
            return LossTermsModel::tr("VID: predict the teacher's map as a Gaussian with learned variance");
        case LossMethod::Crd:
            return LossTermsModel::tr(
                "CRD: contrast each sample's embedding with negatives from a memory bank");
        case LossMethod::Fsp:
            return LossTermsModel::tr(
                "FSP: match the Gram matrices between consecutive taps (the flow from one stage to the "
                "next)");
        case LossMethod::ReviewKd:
            return LossTermsModel::tr(
                "ReviewKD: fuse the student's stages deep-to-shallow and match every teacher stage");
        case LossMethod::Ab:
            return LossTermsModel::tr(
                "AB: teach which neurons fire (pre-activation signs), in a stage before training");
        case LossMethod::Ft:
            return LossTermsModel::tr(
                "FT: match the teacher's factors, from a paraphraser trained on the teacher first");
        case LossMethod::Fgd:
            return LossTermsModel::tr(
                "FGD (detection): match features inside and outside the boxes under the teacher's attention, "
                "and their global relations");
        case LossMethod::Dml:
            return LossTermsModel::tr(
                "DML: a peer model learns beside the student, each from the labels and the other's "
                "predictions");
        case LossMethod::Idd:
            return LossTermsModel::tr(
                "IDD (segmentation): match the distances between the classes' feature centres, and where "
                "each "
                "class lives in the image");
    }
    return {};
}

/** The taps a changed method keeps, or the deepest pair it accepts. */
void fitTaps(LossTermSpec& t, const ModelInfo& teacher, const ModelInfo& student) {
    if (!takesTaps(t.method)) {
        t.teacherTap.clear();
        t.studentTap.clear();
        t.teacherTaps.clear();
        t.studentTaps.clear();
        return;
    }
    if (methodTakesTapList(t.method)) {
        // A list method keeps lists that still fit and otherwise starts from the method's usual stages.
        bool fits = static_cast<int>(t.teacherTaps.size()) >= minimumTaps(t.method) &&
                    t.studentTaps.size() == t.teacherTaps.size();
        for (size_t i = 0; fits && i < t.teacherTaps.size() && !teacher.arch.empty(); ++i) {
            const TapInfo* a = findTap(teacher, t.teacherTaps[i]);
            const TapInfo* b = findTap(student, t.studentTaps[i]);
            fits = a && b && tapPairFits(t.method, *a, *b, student.numClasses);
        }
        if (!fits) defaultTapLists(t.method, teacher, student, &t.teacherTaps, &t.studentTaps);
        if (t.teacherTaps.empty()) {
            // Without model descriptions (no data yet): the zoo's stage names.
            t.teacherTaps = t.method == LossMethod::Fsp
                                ? std::vector<std::string>{"stem", "stage1", "stage2", "stage3"}
                            : t.method == LossMethod::Ab
                                ? std::vector<std::string>{"stage1.pre", "stage2.pre", "stage3.pre"}
                                : std::vector<std::string>{"stage1", "stage2", "stage3", "prelogits"};
            t.studentTaps = t.teacherTaps;
        }
        t.teacherTap = t.teacherTaps.front();
        t.studentTap = t.studentTaps.front();
        return;
    }
    t.teacherTaps.clear();
    t.studentTaps.clear();
    const auto tChoices = compatibleTaps(t.method, teacher);
    if (std::find(tChoices.begin(), tChoices.end(), t.teacherTap) == tChoices.end()) {
        // Prefer the deepest backbone stage: what the feature methods are usually applied to (imported models
        // offer every value; their named stages come first).
        std::string pick;
        for (const auto& name : tChoices)
            if (name != "logits" && name != "head" && isNaturalTapName(name)) pick = name;
        if (pick.empty() && !tChoices.empty()) pick = tChoices.back();
        t.teacherTap = pick;
    }
    const auto sChoices = compatibleStudentTaps(t.method, teacher, t.teacherTap, student);
    if (std::find(sChoices.begin(), sChoices.end(), t.studentTap) == sChoices.end()) {
        if (std::find(sChoices.begin(), sChoices.end(), t.teacherTap) != sChoices.end())
            t.studentTap = t.teacherTap;
        else if (!sChoices.empty())
            t.studentTap = sChoices.back();
    }
    // Without model descriptions (no data yet) fall back to the method's usual tap.
    if (t.teacherTap.empty())
        t.teacherTap = t.method == LossMethod::Kd || t.method == LossMethod::PixelKd ? "logits" : "stage3";
    if (t.studentTap.empty()) t.studentTap = t.teacherTap;
}

}  // namespace

LossTermsModel::LossTermsModel(RecipeDocument* document, QObject* parent)
    : QAbstractTableModel(parent), mDocument(document) {
    connect(mDocument, &RecipeDocument::changed, this, [this] {
        beginResetModel();
        endResetModel();
    });
}

void LossTermsModel::setModels(const ModelInfo& teacher, const ModelInfo& student) {
    beginResetModel();
    mTeacher = teacher;
    mStudent = student;
    endResetModel();
}

int LossTermsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(mDocument->recipe().losses.size());
}

int LossTermsModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString LossTermsModel::tapText(const ModelInfo& model, const std::string& tap) const {
    const TapInfo* info = findTap(model, tap);
    const QString name = QString::fromStdString(tap);
    return info ? QStringLiteral("%1  (%2)").arg(name, shapeText(info->shape)) : name;
}

QString LossTermsModel::tapListText(const std::vector<std::string>& taps) const {
    QStringList names;
    for (const auto& t : taps)
        names << QString::fromStdString(t);
    return names.join(QStringLiteral(", "));
}

QString LossTermsModel::problem(int row) const {
    const auto& terms = mDocument->recipe().losses;
    if (row < 0 || row >= static_cast<int>(terms.size())) return {};
    const LossTermSpec& t = terms[row];
    if (!takesTaps(t.method)) return {};
    if (mTeacher.arch.empty()) return tr("%1 needs a teacher").arg(methodText(t.method));
    if (mStudent.arch.empty()) return {};
    if (methodTakesTapList(t.method)) {
        const auto tNames = t.allTeacherTaps(), sNames = t.allStudentTaps();
        for (size_t i = 0; i < tNames.size() && i < sNames.size(); ++i) {
            const TapInfo* a = findTap(mTeacher, tNames[i]);
            const TapInfo* b = findTap(mStudent, sNames[i]);
            if (!a)
                return tr("the teacher %1 has no tap '%2'")
                    .arg(QString::fromStdString(mTeacher.arch), QString::fromStdString(tNames[i]));
            if (!b)
                return tr("the student %1 has no tap '%2'")
                    .arg(QString::fromStdString(mStudent.arch), QString::fromStdString(sNames[i]));
            if (!tapPairFits(t.method, *a, *b, mStudent.numClasses))
                return tr("%1 cannot pair the teacher's %2 with the student's %3")
                    .arg(methodText(t.method), QString::fromStdString(tNames[i]),
                         QString::fromStdString(sNames[i]));
        }
        return {};
    }
    const TapInfo* tt = findTap(mTeacher, t.teacherTap);
    const TapInfo* st = findTap(mStudent, t.studentTap);
    if (!tt)
        return tr("the teacher %1 has no tap '%2'")
            .arg(QString::fromStdString(mTeacher.arch), QString::fromStdString(t.teacherTap));
    if (!st)
        return tr("the student %1 has no tap '%2'")
            .arg(QString::fromStdString(mStudent.arch), QString::fromStdString(t.studentTap));
    if (!tapPairFits(t.method, *tt, *st, mStudent.numClasses)) {
        if (t.method == LossMethod::Kd) return tr("kd compares class-logit vectors of equal length");
        if (t.method == LossMethod::PixelKd)
            return tr("pixel_kd compares dense logits (segmentation) of equal classes");
        return tr("%1 compares spatial C×H×W feature maps").arg(methodText(t.method));
    }
    return {};
}

QVariant LossTermsModel::data(const QModelIndex& index, int role) const {
    const auto& terms = mDocument->recipe().losses;
    if (!index.isValid() || index.row() >= static_cast<int>(terms.size())) return {};
    const LossTermSpec& t = terms[index.row()];
    const int c = index.column();
    if (role == ValueRole || role == Qt::EditRole) {
        switch (c) {
            case Method:
                return methodText(t.method);
            case TeacherTap:
                return QString::fromStdString(t.teacherTap);
            case StudentTap:
                return QString::fromStdString(t.studentTap);
            case Weight:
                return t.weight;
            case Tau:
                return t.tau;
        }
    }
    if (role == Qt::DisplayRole) {
        switch (c) {
            case Method:
                return methodText(t.method);
            case TeacherTap:
                if (methodTakesTapList(t.method)) return tapListText(t.allTeacherTaps());
                return takesTaps(t.method) ? tapText(mTeacher, t.teacherTap) : QStringLiteral("—");
            case StudentTap:
                if (methodTakesTapList(t.method)) return tapListText(t.allStudentTaps());
                return takesTaps(t.method) ? tapText(mStudent, t.studentTap) : QStringLiteral("—");
            case Weight:
                return QString::number(t.weight, 'g', 6);
            case Tau:
                return takesTau(t.method) ? QString::number(t.tau, 'g', 6) : QStringLiteral("—");
        }
    }
    const QString issue = (c == TeacherTap || c == StudentTap) ? problem(index.row()) : QString();
    if (role == Qt::ForegroundRole && !issue.isEmpty()) return QBrush(QColor(0xb0, 0x00, 0x20));
    if (role == Qt::ToolTipRole) {
        if (!issue.isEmpty()) return issue;
        if (c == Method) return methodDescription(t.method);
        if ((c == TeacherTap || c == StudentTap) && methodTakesTapList(t.method))
            return tr("%1 reads these taps in order; choosing the method again fills the usual ones (the "
                      "recipe's YAML sets others)")
                .arg(methodText(t.method));
        if (c == Tau) return tr("Temperature: higher values soften the distributions being matched");
        if (c == Weight) return tr("Multiplier of this term in the total loss");
    }
    if (role == Qt::TextAlignmentRole && (c == Weight || c == Tau))
        return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
    return {};
}

QVariant LossTermsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
        case Method:
            return tr("Method");
        case TeacherTap:
            return tr("Teacher tap");
        case StudentTap:
            return tr("Student tap");
        case Weight:
            return tr("Weight");
        case Tau:
            return tr("τ");
    }
    return {};
}

Qt::ItemFlags LossTermsModel::flags(const QModelIndex& index) const {
    if (!index.isValid()) return Qt::NoItemFlags;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    const LossMethod m = mDocument->recipe().losses[index.row()].method;
    const int c = index.column();
    const bool editable = c == Method || c == Weight ||
                          ((c == TeacherTap || c == StudentTap) && takesTaps(m) && !methodTakesTapList(m)) ||
                          (c == Tau && takesTau(m));
    return editable ? f | Qt::ItemIsEditable : f;
}

bool LossTermsModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || role != Qt::EditRole) return false;
    const int row = index.row();
    const int c = index.column();
    const ModelInfo teacher = mTeacher, student = mStudent;
    QString text;
    switch (c) {
        case Method:
            text = tr("Change method to %1").arg(value.toString());
            break;
        case TeacherTap:
            text = tr("Change teacher tap to %1").arg(value.toString());
            break;
        case StudentTap:
            text = tr("Change student tap to %1").arg(value.toString());
            break;
        case Weight:
            text = tr("Change weight");
            break;
        case Tau:
            text = tr("Change τ");
            break;
    }
    return mDocument->edit(
        text,
        [&](Recipe& r) {
            if (row >= static_cast<int>(r.losses.size())) return;
            LossTermSpec& t = r.losses[row];
            switch (c) {
                case Method:
                    if (!parseMethod(value.toString().toStdString(), t.method)) return;
                    // τ means something else for each method: a new method starts from its own default.
                    t.tau = defaultTau(t.method);
                    t.hasTau = takesTau(t.method);
                    t.teacherTaps.clear();  // a list method starts from its own usual taps
                    t.studentTaps.clear();
                    // Parameters belong to their method: another method's would not read back.
                    for (auto it = t.params.begin(); it != t.params.end();) {
                        const auto& own = methodParams(t.method);
                        const bool keep = std::any_of(own.begin(), own.end(), [&](const MethodParam& p) {
                            return p.name == it->first;
                        });
                        it = keep ? std::next(it) : t.params.erase(it);
                    }
                    fitTaps(t, teacher, student);
                    break;
                case TeacherTap:
                    t.teacherTap = value.toString().toStdString();
                    fitTaps(t, teacher, student);
                    break;
                case StudentTap:
                    t.studentTap = value.toString().toStdString();
                    break;
                case Weight:
                    t.weight = value.toDouble();
                    break;
                case Tau:
                    t.tau = value.toDouble();
                    t.hasTau = true;
                    break;
            }
        },
        QStringLiteral("losses[%1].%2").arg(row).arg(c));
}

QStringList LossTermsModel::tapChoices(const QModelIndex& index) const {
    const auto& terms = mDocument->recipe().losses;
    if (!index.isValid() || index.row() >= static_cast<int>(terms.size())) return {};
    const LossTermSpec& t = terms[index.row()];
    std::vector<std::string> names = index.column() == TeacherTap
                                         ? compatibleTaps(t.method, mTeacher)
                                         : compatibleStudentTaps(t.method, mTeacher, t.teacherTap, mStudent);
    QStringList out;
    for (const auto& n : names)
        out << QString::fromStdString(n);
    return out;
}

void LossTermsModel::addTerm() {
    const ModelInfo teacher = mTeacher, student = mStudent;
    mDocument->edit(tr("Add loss term"), [&](Recipe& r) {
        if (r.losses.empty()) r.losses.push_back(LossTermSpec{LossMethod::Task, {}, {}});
        LossTermSpec t;
        t.method = LossMethod::Cwd;
        t.tau = 4.0;
        t.hasTau = true;
        fitTaps(t, teacher, student);
        // Labels must be unique: a second cwd goes to another tap when there is one.
        auto taken = [&r](const LossTermSpec& x) {
            for (const auto& o : r.losses)
                if (o.label() == x.label()) return true;
            return false;
        };
        if (taken(t)) {
            for (const auto& name : compatibleTaps(t.method, teacher)) {
                LossTermSpec candidate = t;
                candidate.teacherTap = candidate.studentTap = name;
                if (!taken(candidate) && findTap(student, name)) {
                    t = candidate;
                    break;
                }
            }
        }
        r.losses.push_back(t);
    });
}

void LossTermsModel::removeTerm(int row) {
    mDocument->edit(tr("Remove loss term"), [row](Recipe& r) {
        if (row >= 0 && row < static_cast<int>(r.losses.size())) r.losses.erase(r.losses.begin() + row);
    });
}

QWidget* LossTermDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                                        const QModelIndex& index) const {
    const auto* model = qobject_cast<const LossTermsModel*>(index.model());
    const int c = index.column();
    if (c == LossTermsModel::Method || c == LossTermsModel::TeacherTap || c == LossTermsModel::StudentTap) {
        auto* combo = new QComboBox(parent);
        if (c == LossTermsModel::Method) {
            for (const auto& m : lossMethodNames()) {
                combo->addItem(QString::fromStdString(m), QString::fromStdString(m));
                LossMethod method{};
                parseMethod(m, method);
                combo->setItemData(combo->count() - 1, methodDescription(method), Qt::ToolTipRole);
            }
        } else if (model) {
            const ModelInfo& info = c == LossTermsModel::TeacherTap ? model->teacher() : model->student();
            fillTapCombo(combo, info, model->tapChoices(index));
        }
        // A choice is one decision: commit it at once rather than when focus leaves.
        connect(combo, &QComboBox::activated, this, [this, combo] {
            auto* self = const_cast<LossTermDelegate*>(this);
            Q_EMIT self->commitData(combo);
            Q_EMIT self->closeEditor(combo);
        });
        return combo;
    }
    auto* spin = new QDoubleSpinBox(parent);
    if (c == LossTermsModel::Weight) {
        spin->setRange(0.0, 1e6);
        spin->setDecimals(4);
    } else {
        spin->setRange(0.01, 100.0);
        spin->setDecimals(2);
        spin->setSingleStep(0.5);
    }
    Q_UNUSED(option);
    return spin;
}

void LossTermDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    const QVariant value = index.data(LossTermsModel::ValueRole);
    if (auto* combo = qobject_cast<QComboBox*>(editor)) {
        const int i = combo->findData(value.toString());
        if (i >= 0) combo->setCurrentIndex(i);
    } else if (auto* spin = qobject_cast<QDoubleSpinBox*>(editor)) {
        spin->setValue(value.toDouble());
    }
}

void LossTermDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                    const QModelIndex& index) const {
    if (auto* combo = qobject_cast<QComboBox*>(editor)) {
        if (combo->currentIndex() >= 0) model->setData(index, combo->currentData(), Qt::EditRole);
    } else if (auto* spin = qobject_cast<QDoubleSpinBox*>(editor)) {
        spin->interpretText();
        model->setData(index, spin->value(), Qt::EditRole);
    }
}

}  // namespace distillery
