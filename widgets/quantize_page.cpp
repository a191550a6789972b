#include "widgets/quantize_page.h"

#include <QAbstractTableModel>
#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMetaObject>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSlider>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardItemModel>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "core/engine.h"
#include "core/runtime_check.h"
#include "widgets/views/format.h"
#include "widgets/views/runs_table_view.h"

namespace distillery {

namespace {

constexpr int kSliderSteps = 1000;
constexpr int kSortRole = Qt::UserRole + 1;
constexpr int kRunDirRole = Qt::UserRole + 2;
const int kSensitivityBits[] = {6, 4, 2};

/** Bytes as the budget text writes them: 1 KB = 1000 bytes. */
QString formatBytes(double bytes) {
    if (bytes < 1e3) return QStringLiteral("%1 B").arg(bytes, 0, 'f', 0);
    if (bytes < 1e6) return QStringLiteral("%1 KB").arg(bytes / 1e3, 0, 'f', 1);
    return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 2);
}

QString formatOps(double ops) {
    return formatCount(static_cast<int64_t>(std::llround(ops)));
}

QString formatCost(const QString& kind, double value) {
    return kind == QLatin1String("size") ? formatBytes(value) : formatOps(value) + QStringLiteral(" BOPs");
}

QString bitsText(int bits) {
    return bits > 0 ? QString::number(bits) : QuantizePage::tr("float");
}

QString metricLabel(const QString& name) {
    if (name == QLatin1String("top1")) return QuantizePage::tr("top-1");
    if (name == QLatin1String("miou")) return QuantizePage::tr("mIoU");
    return name;
}

/** "ptq", "qat-kd-mixed" → "PTQ", "QAT + KD (mixed)". */
QString methodLabel(const QString& method) {
    const bool mixed = method.endsWith(QLatin1String("-mixed"));
    const QString base = mixed ? method.chopped(6) : method;
    QString label;
    if (base == QLatin1String("ptq"))
        label = QuantizePage::tr("PTQ");
    else if (base == QLatin1String("qat"))
        label = QuantizePage::tr("QAT");
    else if (base == QLatin1String("qat-kd"))
        label = QuantizePage::tr("QAT + KD");
    else if (base == QLatin1String("qat-self"))
        label = QuantizePage::tr("QAT, self-taught");
    else
        label = base.toUpper();
    return mixed ? QuantizePage::tr("%1 (mixed)").arg(label) : label;
}

/** "W8 A8", "W8/4/2 A8": the weight widths used, widest first. */
QString widthsText(const std::vector<QuantLayer>& layers) {
    std::set<int, std::greater<int>> weights, acts;
    for (const auto& l : layers) {
        weights.insert(l.weightBits > 0 ? l.weightBits : 32);
        acts.insert(l.weightBits > 0 ? l.activationBits : 32);
    }
    QStringList w, a;
    for (int b : weights)
        w << QString::number(b);
    for (int b : acts)
        a << QString::number(b);
    return QStringLiteral("W%1 A%2").arg(w.join('/'), a.join('/'));
}

bool hasCheckpoint(const QString& runDir) {
    return QFileInfo::exists(runDir + "/checkpoints/best.pt") ||
           QFileInfo::exists(runDir + "/checkpoints/last.pt");
}

/** A run folder from a run folder or a checkpoint inside one; empty when neither. */
QString runDirOf(const QString& path) {
    if (path.isEmpty()) return {};
    const QFileInfo fi(path);
    if (fi.isDir()) return fi.absoluteFilePath();
    if (fi.isFile() && fi.dir().dirName() == QLatin1String("checkpoints"))
        return QFileInfo(fi.dir().absolutePath()).absolutePath();
    return {};
}

QJsonObject readSummary(const QString& runDir) {
    QFile file(runDir + "/summary.json");
    if (!file.open(QIODevice::ReadOnly)) return {};
    return QJsonDocument::fromJson(file.readAll()).object();
}

/** One paragraph on how the exported file ran in the runtimes. */
QString verifyText(const ExportCheck& check) {
    QStringList parts;
    for (const auto& c : check.comparisons)
        parts << QuantizePage::tr("%1 %2 vs %3: max |Δ| %4, agreement %5 %")
                     .arg(QString::fromStdString(c.runtime), QString::fromStdString(c.version),
                          QString::fromStdString(c.reference))
                     .arg(c.maxAbsDiff, 0, 'g', 3)
                     .arg(c.agreement, 0, 'f', 2);
    QString text = QuantizePage::tr("Verified on %n sample(s): ", nullptr, static_cast<int>(check.samples)) +
                   parts.join(QStringLiteral("; ")) + QStringLiteral(". ");
    if (check.passed())
        text += QuantizePage::tr("Every target met.");
    else
        text += QuantizePage::tr("Targets missed: %1.").arg(QString::fromStdString([&] {
            std::string all;
            for (const auto& f : check.failures)
                all += (all.empty() ? "" : "; ") + f;
            return all;
        }()));
    for (const auto& n : check.notes)
        text += QStringLiteral(" (") + QString::fromStdString(n) + QStringLiteral(")");
    return text;
}

/** A label with its buddy in a grid: label at (row, column), the field after it over `span` columns. */
void addLabelled(QGridLayout* grid, int row, int column, const QString& text, QWidget* field, int span = 1) {
    auto* label = new QLabel(text, field->parentWidget());
    label->setBuddy(field);
    grid->addWidget(label, row, column);
    grid->addWidget(field, row, column + 1, 1, span);
}

bool sameDir(const QString& a, const QString& b) {
    return !a.isEmpty() && !b.isEmpty() && QDir(a).canonicalPath() == QDir(b).canonicalPath();
}

}  // namespace

// ---- the layer table --------------------------------------------------------------------------------------

class QuantLayersModel : public QAbstractTableModel {
public:
    using QAbstractTableModel::QAbstractTableModel;

    std::vector<QuantLayer> layers;

    void setLayers(std::vector<QuantLayer> l) {
        beginResetModel();
        layers = std::move(l);
        endResetModel();
    }
    /** Sets every layer's width in one change. */
    void setAllBits(int bits) {
        for (auto& l : layers)
            l.weightBits = bits;
        if (!layers.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, QuantizePage::LayerColumnCount - 1));
    }
    void setBits(const std::map<std::string, int>& bits) {
        for (auto& l : layers) {
            const auto it = bits.find(l.name);
            if (it != bits.end()) l.weightBits = it->second;
        }
        if (!layers.empty())
            Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, QuantizePage::LayerColumnCount - 1));
    }
    void mergeSensitivity(const std::vector<QuantLayer>& measured) {
        for (auto& l : layers)
            for (const auto& m : measured)
                if (m.name == l.name) l.sensitivity = m.sensitivity;
        mMaxSensitivity.clear();
        if (!layers.empty())
            Q_EMIT dataChanged(index(0, QuantizePage::Sens6), index(rowCount() - 1, QuantizePage::Sens2));
    }
    bool hasSensitivity() const {
        if (layers.empty()) return false;
        for (const auto& l : layers)
            for (int b : kSensitivityBits)
                if (!l.sensitivity.count(b)) return false;
        return true;
    }

    int rowCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : static_cast<int>(layers.size());
    }
    int columnCount(const QModelIndex& parent = {}) const override {
        return parent.isValid() ? 0 : QuantizePage::LayerColumnCount;
    }

    QVariant headerData(int section, Qt::Orientation o, int role) const override {
        if (o != Qt::Horizontal) return {};
        if (role == Qt::DisplayRole) {
            switch (section) {
                case QuantizePage::LayerName:
                    return QuantizePage::tr("Layer");
                case QuantizePage::LayerOp:
                    return QuantizePage::tr("Op");
                case QuantizePage::LayerParams:
                    return QuantizePage::tr("Params");
                case QuantizePage::LayerMacs:
                    return QuantizePage::tr("MACs");
                case QuantizePage::WeightBits:
                    return QuantizePage::tr("Weight bits");
                case QuantizePage::ActBits:
                    return QuantizePage::tr("Act. bits");
                case QuantizePage::Sens6:
                    return QuantizePage::tr("Sens. 6 b");
                case QuantizePage::Sens4:
                    return QuantizePage::tr("Sens. 4 b");
                case QuantizePage::Sens2:
                    return QuantizePage::tr("Sens. 2 b");
                default:
                    return {};
            }
        }
        if (role == Qt::ToolTipRole) {
            if (section == QuantizePage::LayerParams)
                return QuantizePage::tr("Weights and bias after BatchNorm folding");
            if (section == QuantizePage::LayerMacs)
                return QuantizePage::tr("Multiply-accumulates for one input");
            if (section == QuantizePage::WeightBits)
                return QuantizePage::tr(
                    "Width of this layer's weights (per output channel, symmetric); click to change");
            if (section == QuantizePage::ActBits)
                return QuantizePage::tr("Width of the layer's input activations");
            if (section >= QuantizePage::Sens6)
                return QuantizePage::tr(
                           "Increase of the KL divergence between the fp32 and the quantized outputs when "
                           "only this layer has %1-bit weights (nats per sample)")
                    .arg(kSensitivityBits[section - QuantizePage::Sens6]);
        }
        return {};
    }

    QVariant data(const QModelIndex& index, int role) const override {
        if (!index.isValid() || index.row() >= rowCount()) return {};
        const QuantLayer& l = layers[index.row()];
        const int c = index.column();
        switch (role) {
            case Qt::DisplayRole:
                switch (c) {
                    case QuantizePage::LayerName:
                        return QString::fromStdString(l.name);
                    case QuantizePage::LayerOp:
                        return QString::fromStdString(l.op);
                    case QuantizePage::LayerParams:
                        return formatCount(l.params);
                    case QuantizePage::LayerMacs:
                        return formatCount(l.macs);
                    case QuantizePage::WeightBits:
                        return bitsText(l.weightBits);
                    case QuantizePage::ActBits:
                        return l.weightBits > 0 ? QString::number(l.activationBits)
                                                : QuantizePage::tr("float");
                    default: {
                        const auto it = l.sensitivity.find(kSensitivityBits[c - QuantizePage::Sens6]);
                        return it == l.sensitivity.end() ? QStringLiteral("—")
                                                         : QString::number(it->second, 'g', 3);
                    }
                }
            case Qt::EditRole:
                if (c == QuantizePage::WeightBits) return l.weightBits;
                return data(index, Qt::DisplayRole);
            case Qt::ToolTipRole:
                if (c == QuantizePage::LayerName) return QString::fromStdString(l.name);
                if (c == QuantizePage::LayerParams) return QString::number(l.params);
                if (c == QuantizePage::LayerMacs) return QString::number(l.macs);
                if (c >= QuantizePage::Sens6) return headerData(c, Qt::Horizontal, Qt::ToolTipRole);
                return {};
            case Qt::TextAlignmentRole:
                if (c == QuantizePage::LayerName || c == QuantizePage::LayerOp)
                    return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
                return QVariant(Qt::AlignRight | Qt::AlignVCenter);
            case Qt::BackgroundRole:
                if (c == QuantizePage::WeightBits) {
                    // Narrower weights, warmer colour: the table reads as a map of where the bits went.
                    switch (l.weightBits) {
                        case 6:
                            return QColor(0xfff3c4);
                        case 4:
                            return QColor(0xffd9a0);
                        case 2:
                            return QColor(0xffb3a0);
                        case 0:
                            return QColor(0xd8e6f5);
                        default:
                            return {};
                    }
                }
                if (c >= QuantizePage::Sens6) {
                    const int bits = kSensitivityBits[c - QuantizePage::Sens6];
                    const auto it = l.sensitivity.find(bits);
                    const double top = maxSensitivity(bits);
                    if (it == l.sensitivity.end() || !(top > 0)) return {};
                    const double t = std::clamp(it->second / top, 0.0, 1.0);
                    return QColor::fromRgbF(1.0, 1.0 - 0.45 * t, 1.0 - 0.55 * t);
                }
                return {};
            case Qt::ForegroundRole:
                if (c >= QuantizePage::Sens6 || c == QuantizePage::WeightBits) return QColor(Qt::black);
                return {};
            default:
                return {};
        }
    }

    Qt::ItemFlags flags(const QModelIndex& index) const override {
        Qt::ItemFlags f = QAbstractTableModel::flags(index);
        if (index.column() == QuantizePage::WeightBits) f |= Qt::ItemIsEditable;
        return f;
    }

    bool setData(const QModelIndex& index, const QVariant& value, int role) override {
        if (role != Qt::EditRole || index.column() != QuantizePage::WeightBits || index.row() >= rowCount())
            return false;
        bool ok = false;
        const int bits = value.toInt(&ok);
        if (!ok || !(bits == 8 || bits == 6 || bits == 4 || bits == 2 || bits == 0)) return false;
        QuantLayer& l = layers[index.row()];
        if (l.weightBits == bits) return true;
        l.weightBits = bits;
        Q_EMIT dataChanged(this->index(index.row(), QuantizePage::WeightBits),
                           this->index(index.row(), QuantizePage::ActBits));
        return true;
    }

private:
    double maxSensitivity(int bits) const {
        auto it = mMaxSensitivity.find(bits);
        if (it != mMaxSensitivity.end()) return it->second;
        double top = 0;
        for (const auto& l : layers) {
            const auto s = l.sensitivity.find(bits);
            if (s != l.sensitivity.end()) top = std::max(top, s->second);
        }
        mMaxSensitivity[bits] = top;
        return top;
    }
    mutable std::map<int, double> mMaxSensitivity;
};

namespace {

/** A combo box of the weight widths for the table's bits column; a choice commits at once. */
class BitsDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex&) const override {
        auto* combo = new QComboBox(parent);
        for (int b : weightBitChoices())
            combo->addItem(QString::number(b), b);
        combo->addItem(QuantizePage::tr("float"), 0);
        connect(combo, &QComboBox::activated, this, [this, combo] {
            auto* self = const_cast<BitsDelegate*>(this);
            Q_EMIT self->commitData(combo);
            Q_EMIT self->closeEditor(combo);
        });
        return combo;
    }
    void setEditorData(QWidget* editor, const QModelIndex& index) const override {
        auto* combo = static_cast<QComboBox*>(editor);
        combo->setCurrentIndex(std::max(0, combo->findData(index.data(Qt::EditRole).toInt())));
    }
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override {
        model->setData(index, static_cast<QComboBox*>(editor)->currentData(), Qt::EditRole);
    }
};

}  // namespace

// ---- the page
// -----------------------------------------------------------------------------------------------

QuantizePage::QuantizePage(QWidget* parent) : QWidget(parent) {
    setObjectName("quantizePage");
    qRegisterMetaType<QuantizePage::Task>();

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);

    // Source run.
    auto* sourceRow = new QHBoxLayout;
    auto* sourceLabel = new QLabel(tr("&Source (fp32 run):"), this);
    mSourceCombo = new QComboBox(this);
    mSourceCombo->setObjectName("quantSource");
    mSourceCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    mSourceCombo->setMinimumContentsLength(32);
    mSourceCombo->setToolTip(tr("A trained student (or teacher) run of the project, in float"));
    sourceLabel->setBuddy(mSourceCombo);
    mBrowse = new QPushButton(tr("Run &folder…"), this);
    mBrowse->setToolTip(tr("Quantize a trained run from another folder"));
    mSourceInfo = new QLabel(this);
    mSourceInfo->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mSourceInfo->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // cut, not widening
    sourceRow->addWidget(sourceLabel);
    sourceRow->addWidget(mSourceCombo, 1);
    sourceRow->addWidget(mBrowse);
    sourceRow->addWidget(mSourceInfo, 2);
    layout->addLayout(sourceRow);
    connect(mSourceCombo, &QComboBox::activated, this, [this](int i) {
        const QString dir = mSourceCombo->itemData(i).toString();
        if (!dir.isEmpty() && !sameDir(dir, mSource)) setSourceRun(dir);
    });
    connect(mBrowse, &QPushButton::clicked, this, [this] {
        const QString start = !mSource.isEmpty() ? QFileInfo(mSource).absolutePath() : runsDir();
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Trained run folder"), start);
        if (!dir.isEmpty()) setSourceRun(dir);
    });

    // Bits and settings on top, the comparison below.
    auto* top = new QSplitter(Qt::Horizontal, this);
    top->setChildrenCollapsible(false);
    top->addWidget(buildLayersBox());
    // The settings scroll on their own, so that both tables stay in view in a short dock.
    auto* settingsScroll = new QScrollArea(top);
    settingsScroll->setWidgetResizable(true);
    settingsScroll->setFrameShape(QFrame::NoFrame);
    auto* settings = new QWidget(settingsScroll);
    auto* settingsLayout = new QVBoxLayout(settings);
    settingsLayout->setContentsMargins(0, 0, 0, 0);
    settingsLayout->addWidget(buildBudgetBox());
    settingsLayout->addWidget(buildCalibrationBox());
    settingsLayout->addWidget(buildQatBox());
    settingsLayout->addStretch();
    settingsScroll->setWidget(settings);
    settingsScroll->setMinimumWidth(settings->minimumSizeHint().width() +
                                    settingsScroll->verticalScrollBar()->sizeHint().width());
    top->addWidget(settingsScroll);
    top->setStretchFactor(0, 3);
    top->setStretchFactor(1, 2);

    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->setChildrenCollapsible(false);
    vertical->addWidget(top);
    vertical->addWidget(buildComparisonBox());
    vertical->setStretchFactor(0, 3);
    vertical->setStretchFactor(1, 2);
    layout->addWidget(vertical, 1);

    // Progress and messages.
    auto* footer = new QHBoxLayout;
    mProgress = new QProgressBar(this);
    mProgress->setObjectName("quantProgress");
    mProgress->setRange(0, kSliderSteps);
    mProgress->setValue(0);
    mProgress->setMaximumWidth(220);
    mProgress->setTextVisible(true);
    mMessage = new QLabel(this);
    mMessage->setObjectName("quantMessage");
    mMessage->setWordWrap(true);
    mMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    footer->addWidget(mProgress);
    footer->addWidget(mMessage, 1);
    layout->addLayout(footer);

    connect(&mWatcher, &QFutureWatcher<TaskResult>::finished, this, &QuantizePage::onTaskFinished);

    showMessage(tr("Choose a trained fp32 run as the source."));
    refreshComparison();
    updateBudgetRange();
    updateTotals();
    updateButtons();
}

QuantizePage::~QuantizePage() {
    // Work in flight only holds copies of its inputs; wait so that its result has somewhere to go.
    mWatcher.waitForFinished();
}

QWidget* QuantizePage::buildLayersBox() {
    auto* box = new QGroupBox(tr("Bit widths"), this);
    auto* v = new QVBoxLayout(box);
    auto* row = new QHBoxLayout;
    mAllBits = new QComboBox(box);
    mAllBits->setObjectName("quantAllBits");
    for (int b : weightBitChoices())
        mAllBits->addItem(tr("%1 bit").arg(b), b);
    mAllBits->addItem(tr("float"), 0);
    auto* allLabel = new QLabel(tr("All &weights:"), box);
    allLabel->setBuddy(mAllBits);
    auto* actLabel = new QLabel(tr("Activations: 8 bit per tensor; weights per output channel"), box);
    actLabel->setEnabled(false);
    actLabel->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    actLabel->setToolTip(actLabel->text());
    row->addWidget(allLabel);
    row->addWidget(mAllBits);
    row->addWidget(actLabel, 1);
    v->addLayout(row);
    connect(mAllBits, &QComboBox::activated, this,
            [this](int i) { setAllWeightBits(mAllBits->itemData(i).toInt()); });

    mLayers = new QuantLayersModel(this);
    mLayerTable = new QTableView(box);
    mLayerTable->setObjectName("quantLayers");
    mLayerTable->setModel(mLayers);
    mLayerTable->setItemDelegateForColumn(WeightBits, new BitsDelegate(mLayerTable));
    mLayerTable->setEditTriggers(QAbstractItemView::CurrentChanged | QAbstractItemView::SelectedClicked |
                                 QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    mLayerTable->setSelectionBehavior(QAbstractItemView::SelectItems);
    mLayerTable->setSelectionMode(QAbstractItemView::SingleSelection);
    mLayerTable->setAlternatingRowColors(true);
    mLayerTable->setWordWrap(false);
    mLayerTable->verticalHeader()->setVisible(false);
    mLayerTable->verticalHeader()->setDefaultSectionSize(mLayerTable->fontMetrics().height() + 8);
    mLayerTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    mLayerTable->horizontalHeader()->setSectionResizeMode(LayerName, QHeaderView::Stretch);
    mLayerTable->horizontalHeader()->setHighlightSections(false);
    v->addWidget(mLayerTable, 1);
    connect(mLayers, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex& a, const QModelIndex& b) {
                if (a.column() <= WeightBits && b.column() >= WeightBits) {
                    updateTotals();
                    updateBudgetReadout();
                }
            });
    connect(mLayers, &QAbstractItemModel::modelReset, this, [this] {
        updateBudgetRange();
        updateTotals();
    });

    mTotals = new QLabel(box);
    mTotals->setObjectName("quantTotals");
    mTotals->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mTotals->setWordWrap(true);
    v->addWidget(mTotals);
    return box;
}

QWidget* QuantizePage::buildBudgetBox() {
    auto* box = new QGroupBox(tr("Mixed-precision budget"), this);
    auto* grid = new QGridLayout(box);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    mBudgetKind = new QComboBox(box);
    mBudgetKind->setObjectName("quantBudgetKind");
    mBudgetKind->addItem(tr("Model size"), QStringLiteral("size"));
    mBudgetKind->addItem(tr("Bit operations (BOPs)"), QStringLiteral("bops"));
    mBudgetSlider = new QSlider(Qt::Horizontal, box);
    mBudgetSlider->setObjectName("quantBudgetSlider");
    mBudgetSlider->setRange(0, kSliderSteps);
    mBudgetSlider->setValue(kSliderSteps / 2);
    mBudgetSlider->setToolTip(tr("From every weight at 2 bit (left) to every weight at 8 bit (right)"));
    mBudgetEdit = new QLineEdit(box);
    mBudgetEdit->setObjectName("quantBudgetText");
    mBudgetEdit->setPlaceholderText(tr("size=40KB or bops=800M"));
    mBudgetEdit->setToolTip(tr("The budget as the recipe's quantize.budget writes it; Enter applies it"));
    mBudgetReadout = new QLabel(box);
    mBudgetReadout->setObjectName("quantBudgetReadout");
    mBudgetReadout->setWordWrap(true);
    mMeasure = new QPushButton(tr("&Measure sensitivity"), box);
    mMeasure->setObjectName("quantMeasure");
    mMeasure->setToolTip(
        tr("For each layer alone at 6, 4 and 2 bit: how far the outputs move (calibration "
           "batches of the train split)"));
    mFit = new QPushButton(tr("Fit to &budget"), box);
    mFit->setObjectName("quantFit");
    mFit->setToolTip(
        tr("Choose the widths that fit the budget and lose least, from the measured sensitivity"));
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(mMeasure);
    buttons->addWidget(mFit);
    buttons->addStretch();
    addLabelled(grid, 0, 0, tr("&Kind:"), mBudgetKind);
    addLabelled(grid, 0, 2, tr("&As text:"), mBudgetEdit);
    addLabelled(grid, 1, 0, tr("B&udget:"), mBudgetSlider, 3);
    grid->addWidget(mBudgetReadout, 2, 1, 1, 3);
    grid->addLayout(buttons, 3, 0, 1, 4);

    connect(mBudgetKind, &QComboBox::activated, this, [this] {
        updateBudgetRange();
        setBudgetSlider(mBudgetSlider->value());
    });
    connect(mBudgetSlider, &QSlider::valueChanged, this, [this](int v) {
        if (!mSyncing) setBudgetSlider(v);
    });
    connect(mBudgetEdit, &QLineEdit::returnPressed, this, [this] { setBudgetText(mBudgetEdit->text()); });
    connect(mMeasure, &QPushButton::clicked, this, [this] { measureSensitivity(); });
    connect(mFit, &QPushButton::clicked, this, [this] {
        if (mBudgetEdit->isModified() && !setBudgetText(mBudgetEdit->text())) return;
        fitToBudget();
    });
    return box;
}

QWidget* QuantizePage::buildCalibrationBox() {
    auto* box = new QGroupBox(tr("Post-training quantization"), this);
    auto* grid = new QGridLayout(box);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    mObserver = new QComboBox(box);
    mObserver->setObjectName("quantObserver");
    for (const auto& name : quantObserverNames())
        mObserver->addItem(QString::fromStdString(name), QString::fromStdString(name));
    mObserver->setToolTip(
        tr("How activation ranges are taken from the calibration batches: min–max, a "
           "percentile of the values, or the range with the least squared error"));
    mPercentile = new QDoubleSpinBox(box);
    mPercentile->setObjectName("quantPercentile");
    mPercentile->setRange(90.0, 100.0);
    mPercentile->setDecimals(3);
    mPercentile->setSingleStep(0.01);
    mPercentile->setValue(QuantSpec{}.percentile);
    mPercentile->setSuffix(QStringLiteral(" %"));
    mCalibBatches = new QSpinBox(box);
    mCalibBatches->setObjectName("quantCalibrationBatches");
    mCalibBatches->setRange(1, 1000);
    mCalibBatches->setValue(QuantSpec{}.calibrationBatches);
    mCalibBatches->setToolTip(
        tr("Train batches used to calibrate activation ranges and measure sensitivity"));
    mEvalSubset = new QSpinBox(box);
    mEvalSubset->setObjectName("quantEvalSubset");
    mEvalSubset->setRange(0, 10000000);
    mEvalSubset->setSpecialValueText(tr("all"));
    mEvalSubset->setToolTip(tr("Evaluate on the first N validation samples (all: the whole split)"));
    mRealInt8 = new QCheckBox(tr("Also run LibTorch's int8 kernels (accuracy, agreement, latency)"), box);
    mRealInt8->setChecked(true);
    mCalibrate = new QPushButton(tr("&Calibrate (PTQ)"), box);
    mCalibrate->setObjectName("quantCalibrate");
    mCalibrate->setToolTip(tr("Quantize the source with the table's widths into a new run folder"));
    addLabelled(grid, 0, 0, tr("&Observer:"), mObserver);
    addLabelled(grid, 0, 2, tr("&Percentile:"), mPercentile);
    addLabelled(grid, 1, 0, tr("Calibration &batches:"), mCalibBatches);
    addLabelled(grid, 1, 2, tr("&Validation samples:"), mEvalSubset);
    grid->addWidget(mRealInt8, 2, 0, 1, 4);
    auto* row = new QHBoxLayout;
    row->addWidget(mCalibrate);
    row->addStretch();
    grid->addLayout(row, 3, 0, 1, 4);
    connect(mObserver, &QComboBox::currentIndexChanged, this, [this] {
        mPercentile->setEnabled(mObserver->currentData().toString() == QLatin1String("percentile"));
    });
    mPercentile->setEnabled(mObserver->currentData().toString() == QLatin1String("percentile"));
    connect(mCalibrate, &QPushButton::clicked, this, [this] { calibrate(); });
    return box;
}

QWidget* QuantizePage::buildQatBox() {
    auto* box = new QGroupBox(tr("Quantization-aware training"), this);
    auto* grid = new QGridLayout(box);
    grid->setColumnStretch(1, 1);
    grid->setColumnStretch(3, 1);
    mQatTeacher = new QComboBox(box);
    mQatTeacher->setObjectName("quantQatTeacher");
    mQatTeacher->addItem(tr("the recipe's teacher"), QStringLiteral("recipe"));
    mQatTeacher->addItem(tr("itself in fp32 (self-distillation)"), QStringLiteral("self"));
    mQatTeacher->addItem(tr("none (labels only)"), QStringLiteral("none"));
    mQatEpochs = new QSpinBox(box);
    mQatEpochs->setObjectName("quantQatEpochs");
    mQatEpochs->setRange(1, 1000);
    mQatEpochs->setValue(1);
    mQatLr = new QDoubleSpinBox(box);
    mQatLr->setObjectName("quantQatLr");
    mQatLr->setDecimals(5);
    mQatLr->setRange(0.0, 1.0);
    mQatLr->setSingleStep(0.0001);
    mQatLr->setValue(0.0);  // 0: the core's default, 1 % of the run's (the folded network needs a small one)
    mQatLr->setSpecialValueText(tr("1 % of the run's"));
    mQatLr->setToolTip(
        tr("0 takes 1 % of the source run's learning rate: a BatchNorm-folded network diverges "
           "at its training rate"));
    mQatLsq = new QCheckBox(tr("Learn the step sizes (LSQ)"), box);
    mQat = new QPushButton(tr("Start &QAT"), box);
    mQat->setObjectName("quantStartQat");
    mQat->setToolTip(
        tr("Fine-tune the quantized student as a run: curves in Loss curves, Pause and Stop "
           "in the Run menu"));
    addLabelled(grid, 0, 0, tr("&Teacher:"), mQatTeacher, 3);
    addLabelled(grid, 1, 0, tr("&Epochs:"), mQatEpochs);
    addLabelled(grid, 1, 2, tr("&Learning rate:"), mQatLr);
    auto* row = new QHBoxLayout;
    row->addWidget(mQat);
    row->addWidget(mQatLsq);
    row->addStretch();
    grid->addLayout(row, 2, 0, 1, 4);
    connect(mQat, &QPushButton::clicked, this, [this] { startQat(); });
    return box;
}

QWidget* QuantizePage::buildComparisonBox() {
    auto* box = new QGroupBox(tr("Comparison"), this);
    auto* v = new QVBoxLayout(box);
    mCompare = new QStandardItemModel(0, CompareColumnCount, this);
    mCompareProxy = new QSortFilterProxyModel(this);
    mCompareProxy->setSourceModel(mCompare);
    mCompareProxy->setSortRole(kSortRole);
    mCompareTable = new QTableView(box);
    mCompareTable->setObjectName("quantComparison");
    mCompareTable->setModel(mCompareProxy);
    mCompareTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mCompareTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    mCompareTable->setSelectionMode(QAbstractItemView::SingleSelection);
    mCompareTable->setAlternatingRowColors(true);
    mCompareTable->setWordWrap(false);
    mCompareTable->setTextElideMode(Qt::ElideMiddle);
    mCompareTable->verticalHeader()->setVisible(false);
    mCompareTable->verticalHeader()->setDefaultSectionSize(mCompareTable->fontMetrics().height() + 8);
    mCompareTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    mCompareTable->horizontalHeader()->setSectionResizeMode(RunName, QHeaderView::Stretch);
    mCompareTable->horizontalHeader()->setHighlightSections(false);
    mCompareTable->setSortingEnabled(true);
    mCompareTable->sortByColumn(Model, Qt::AscendingOrder);
    v->addWidget(mCompareTable, 1);
    connect(mCompareTable->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &QuantizePage::updateButtons);

    auto* row = new QHBoxLayout;
    mExportFp32 = new QPushButton(tr("Export ONNX (&fp32)…"), box);
    mExportFp32->setObjectName("quantExportFp32");
    mExportFp32->setToolTip(tr("The selected row's model in float, BatchNorm folded (opset 13)"));
    mExportInt8 = new QPushButton(tr("Export ONNX &int8…"), box);
    mExportInt8->setObjectName("quantExportInt8");
    mExportInt8->setToolTip(tr("The selected quantized run as QDQ int8 (opset 13)"));
    mVerify = new QCheckBox(tr("&Verify in onnxruntime / OpenCV"), box);
    mVerify->setObjectName("quantVerify");
    mVerify->setToolTip(
        tr("Run the exported file in onnxruntime and OpenCV's DNN module on validation "
           "samples and compare with the engine"));
    row->addWidget(mExportFp32);
    row->addWidget(mExportInt8);
    row->addWidget(mVerify);
    row->addStretch();
    v->addLayout(row);
    connect(mExportFp32, &QPushButton::clicked, this, [this] { exportSelected(QStringLiteral("onnx")); });
    connect(mExportInt8, &QPushButton::clicked, this,
            [this] { exportSelected(QStringLiteral("onnx-int8")); });
    return box;
}

// ---- project and source
// -------------------------------------------------------------------------------------

void QuantizePage::setProject(const Project& project) {
    mProject = project;
    refreshSources();
    refreshComparison();
}

QString QuantizePage::runsDir() const {
    return mProject.isOpen() ? mProject.runsDir() : QString();
}

bool QuantizePage::isQuantizedFolder(const QString& runDir) {
    if (isQuantizedRun(runDir.toStdString())) return true;
    try {
        return loadRecipe((runDir + "/recipe.yaml").toStdString()).quant.enabled;
    } catch (const std::exception&) {
        return false;
    }
}

bool QuantizePage::isSourceCandidate(const QString& runDir) {
    return QFileInfo::exists(runDir + "/recipe.yaml") && hasCheckpoint(runDir) && !isQuantizedFolder(runDir);
}

QString QuantizePage::sourceOf(const QString& quantizedRunDir) {
    try {
        if (isQuantizedRun(quantizedRunDir.toStdString()))
            return QString::fromStdString(readQuantReport(quantizedRunDir.toStdString()).source);
        return runDirOf(
            QString::fromStdString(loadRecipe((quantizedRunDir + "/recipe.yaml").toStdString()).quant.from));
    } catch (const std::exception&) {
        return {};
    }
}

void QuantizePage::refresh() {
    refreshSources();
    refreshComparison();
}

void QuantizePage::qatFinished(const QString& runDir, RunStatus status) {
    refresh();
    const QString name = QFileInfo(runDir).fileName();
    if (status == RunStatus::Cancelled) {
        showMessage(tr("QAT %1 stopped; Run > Continue Stopped Run continues it.").arg(name));
        return;
    }
    if (status != RunStatus::Finished || !isQuantizedRun(runDir.toStdString())) {
        showError(tr("QAT %1 did not finish (%2); the log says why.")
                      .arg(name, QString::fromLatin1(statusName(status))));
        return;
    }
    selectComparisonRun(runDir);
    try {
        const QuantizeResult q = readQuantReport(runDir.toStdString());
        showMessage(tr("QAT %1 finished: %2 %3 % simulated, LibTorch int8 %4 % (fp32 %5 %)")
                        .arg(name, metricLabel(QString::fromStdString(q.metric)))
                        .arg(q.simulatedMetric, 0, 'f', 2)
                        .arg(q.int8Metric, 0, 'f', 2)
                        .arg(q.fp32Metric, 0, 'f', 2));
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
    }
}

void QuantizePage::setTrainingActive(bool active) {
    mTrainingActive = active;
    updateButtons();
}

void QuantizePage::refreshSources() {
    const QSignalBlocker block(mSourceCombo);
    mSourceCombo->clear();
    for (const QString& dir : findRunDirs(runsDir())) {
        if (!isSourceCandidate(dir)) continue;
        const QJsonObject summary = readSummary(dir);
        QString text = QFileInfo(dir).fileName();
        const QString metric = summary.value(QStringLiteral("main_metric")).toString();
        const QJsonValue best = summary.value(QStringLiteral("best")).toObject().value(metric);
        if (best.isDouble())
            text += QStringLiteral("  (%1 %2)").arg(metricLabel(metric)).arg(best.toDouble(), 0, 'f', 2);
        mSourceCombo->addItem(text, dir);
        mSourceCombo->setItemData(mSourceCombo->count() - 1, QDir::toNativeSeparators(dir), Qt::ToolTipRole);
    }
    if (!mSource.isEmpty()) {
        int i = -1;
        for (int k = 0; k < mSourceCombo->count(); ++k)
            if (sameDir(mSourceCombo->itemData(k).toString(), mSource)) i = k;
        if (i < 0) {
            mSourceCombo->addItem(QFileInfo(mSource).fileName(), mSource);
            i = mSourceCombo->count() - 1;
        }
        mSourceCombo->setCurrentIndex(i);
    } else {
        mSourceCombo->setCurrentIndex(-1);
        mSourceCombo->setPlaceholderText(mSourceCombo->count() > 0 ? tr("choose a trained run")
                                                                   : tr("no trained run in this project"));
    }
}

bool QuantizePage::setSourceRun(const QString& path) {
    const QString dir = runDirOf(path);
    if (dir.isEmpty()) {
        showError(tr("%1 is not a run folder").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    if (!QFileInfo::exists(dir + "/recipe.yaml")) {
        showError(tr("%1 is not a run folder (no recipe.yaml)").arg(QDir::toNativeSeparators(dir)));
        return false;
    }
    if (isQuantizedFolder(dir)) {
        const QString from = sourceOf(dir);
        showError(from.isEmpty()
                      ? tr("%1 is already quantized: choose the fp32 student run it came from")
                            .arg(QFileInfo(dir).fileName())
                      : tr("%1 is already quantized: choose the fp32 student run it came from (%2)")
                            .arg(QFileInfo(dir).fileName(), QDir::toNativeSeparators(from)));
        return false;
    }
    if (!hasCheckpoint(dir)) {
        showError(tr("%1 has no checkpoint yet: train it first").arg(QFileInfo(dir).fileName()));
        return false;
    }
    const std::string runDir = dir.toStdString();
    QuantSpec spec;
    return startTask(Task::Layers, tr("Reading the layers of %1…").arg(QFileInfo(dir).fileName()),
                     [runDir, spec](const ProgressFn&) {
                         TaskResult r;
                         r.runDir = QString::fromStdString(runDir);
                         r.recipe = loadRunRecipe(runDir);
                         r.layers = quantLayers(runDir, spec);
                         return r;
                     });
}

// ---- bit widths -------------------------------------------------------------------------------------------

const std::vector<QuantLayer>& QuantizePage::layers() const {
    return mLayers->layers;
}

QAbstractItemModel* QuantizePage::layerModel() const {
    return mLayers;
}

bool QuantizePage::setLayerBits(const QString& layer, int bits) {
    for (int row = 0; row < mLayers->rowCount(); ++row) {
        if (QString::fromStdString(mLayers->layers[row].name) != layer) continue;
        if (!mLayers->setData(mLayers->index(row, WeightBits), bits, Qt::EditRole)) {
            showError(tr("%1 bit is not a weight width (8, 6, 4, 2 or 0 for float)").arg(bits));
            return false;
        }
        return true;
    }
    QStringList names;
    for (const auto& l : mLayers->layers)
        names << QString::fromStdString(l.name);
    showError(names.isEmpty() ? tr("Unknown layer %1: no source run is loaded").arg(layer)
                              : tr("Unknown layer %1 (layers: %2)").arg(layer, names.join(", ")));
    return false;
}

void QuantizePage::setAllWeightBits(int bits) {
    mAllBits->setCurrentIndex(std::max(0, mAllBits->findData(bits)));
    mLayers->setAllBits(bits);
}

QuantCost QuantizePage::cost() const {
    return quantCost(mLayers->layers);
}

QuantCost QuantizePage::fp32Cost() const {
    return floatCost(mLayers->layers);
}

QString QuantizePage::totalsText() const {
    return mTotals->text();
}

void QuantizePage::updateTotals() {
    if (mLayers->layers.empty()) {
        mTotals->setText(tr("No layers: choose a trained run."));
        return;
    }
    const QuantCost q = cost(), f = fp32Cost();
    const double sizeRatio = q.sizeBytes > 0 ? f.sizeBytes / q.sizeBytes : 0.0;
    const double bopsRatio = q.bops > 0 ? f.bops / q.bops : 0.0;
    mTotals->setText(tr("Size %1 of %2 in fp32 (%3× smaller) · BOPs %4 of %5 in fp32 (%6× fewer)")
                         .arg(formatBytes(q.sizeBytes), formatBytes(f.sizeBytes))
                         .arg(sizeRatio, 0, 'f', 1)
                         .arg(formatOps(q.bops), formatOps(f.bops))
                         .arg(bopsRatio, 0, 'f', 1));
}

QuantSpec QuantizePage::spec() const {
    QuantSpec s;
    s.observer = mObserver->currentData().toString().toStdString();
    s.percentile = mPercentile->value();
    s.calibrationBatches = mCalibBatches->value();
    s.lsq = mQatLsq->isChecked();
    s.teacher = mQatTeacher->currentData().toString() == QLatin1String("self") ? "self" : "recipe";
    // The most common width is the default (it must be 8, 6, 4 or 2); the others are per-layer overrides.
    std::map<int, int> counts;
    for (const auto& l : mLayers->layers)
        if (l.weightBits > 0) ++counts[l.weightBits];
    int common = 8, most = 0;
    for (const auto& [bits, n] : counts)
        if (n > most || (n == most && bits > common)) {
            common = bits;
            most = n;
        }
    s.weightBits = common;
    for (const auto& l : mLayers->layers)
        if (l.weightBits != common) s.layerBits[l.name] = l.weightBits;
    return s;
}

// ---- budget
// ---------------------------------------------------------------------------------------------------

void QuantizePage::updateBudgetRange() {
    const QString kind = mBudgetKind->currentData().toString();
    auto costAt = [&](int bits) {
        std::vector<QuantLayer> all = mLayers->layers;
        for (auto& l : all)
            l.weightBits = bits;
        const QuantCost c = quantCost(all);
        return kind == QLatin1String("size") ? c.sizeBytes : c.bops;
    };
    mBudgetMin = costAt(2);
    mBudgetMax = costAt(8);
    mBudgetSlider->setEnabled(!mLayers->layers.empty());
    mBudgetEdit->setEnabled(!mLayers->layers.empty());
}

void QuantizePage::setBudgetSlider(int position) {
    position = std::clamp(position, 0, kSliderSteps);
    {
        const QSignalBlocker block(mBudgetSlider);
        mBudgetSlider->setValue(position);
    }
    if (mLayers->layers.empty()) {
        updateBudgetReadout();
        return;
    }
    mBudgetValue = mBudgetMin + (mBudgetMax - mBudgetMin) * position / kSliderSteps;
    QuantBudget b;
    b.kind = mBudgetKind->currentData().toString().toStdString();
    b.value = mBudgetValue;
    mBudgetEdit->setText(QString::fromStdString(formatBudget(b)));
    mBudgetEdit->setModified(false);
    updateBudgetReadout();
}

bool QuantizePage::setBudgetText(const QString& text) {
    QuantBudget b;
    try {
        b = parseBudget(text.trimmed().toStdString());
    } catch (const std::exception& e) {
        showError(tr("Bad budget: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    mBudgetKind->setCurrentIndex(std::max(0, mBudgetKind->findData(QString::fromStdString(b.kind))));
    updateBudgetRange();
    mBudgetValue = b.value;
    const double span = mBudgetMax - mBudgetMin;
    const int position =
        span > 0 ? static_cast<int>(std::lround((b.value - mBudgetMin) / span * kSliderSteps)) : kSliderSteps;
    {
        const QSignalBlocker block(mBudgetSlider);
        mBudgetSlider->setValue(std::clamp(position, 0, kSliderSteps));
    }
    {
        const QSignalBlocker block(mBudgetEdit);
        mBudgetEdit->setText(text.trimmed());
        mBudgetEdit->setModified(false);
    }
    updateBudgetReadout();
    return true;
}

QString QuantizePage::budgetText() const {
    return mBudgetEdit->text();
}

QString QuantizePage::budgetReadout() const {
    return mBudgetReadout->text();
}

void QuantizePage::updateBudgetReadout() {
    if (mLayers->layers.empty()) {
        mBudgetReadout->setText(tr("Load a source run to set a budget."));
        return;
    }
    const QString kind = mBudgetKind->currentData().toString();
    const QuantCost c = cost();
    const double now = kind == QLatin1String("size") ? c.sizeBytes : c.bops;
    const bool fits = now <= mBudgetValue * (1 + 1e-9);
    const QString state =
        fits ? tr("the table fits (%1)").arg(formatCost(kind, now))
             : tr("<span style=\"color:#b3261e\">the table needs %1</span>").arg(formatCost(kind, now));
    mBudgetReadout->setText(tr("<b>%1</b> — %2<br><small>all 2-bit %3 · all 8-bit %4</small>")
                                .arg(formatCost(kind, mBudgetValue), state, formatCost(kind, mBudgetMin),
                                     formatCost(kind, mBudgetMax)));
}

bool QuantizePage::fitToBudget() {
    if (mLayers->layers.empty()) {
        showError(tr("Choose a trained source run first."));
        return false;
    }
    QuantBudget budget;
    try {
        budget = parseBudget(mBudgetEdit->text().trimmed().toStdString());
    } catch (const std::exception& e) {
        showError(tr("Bad budget: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    if (!mLayers->hasSensitivity()) {
        showError(tr("Measure sensitivity first: fitting lowers the widths of the layers that lose least."));
        return false;
    }
    std::map<std::string, int> bits;
    try {
        bits = searchBitWidths(mLayers->layers, budget, weightBitChoices());
    } catch (const std::exception& e) {
        showError(tr("Cannot fit the budget: %1").arg(QString::fromStdString(e.what())));
        return false;
    }
    mLayers->setBits(bits);
    const QString kind = QString::fromStdString(budget.kind);
    const QuantCost c = cost();
    showMessage(tr("Fitted to %1: the table now needs %2 (%3)")
                    .arg(formatCost(kind, budget.value),
                         formatCost(kind, kind == QLatin1String("size") ? c.sizeBytes : c.bops),
                         widthsText(mLayers->layers)));
    return true;
}

// ---- work off the GUI thread
// ----------------------------------------------------------------------------------

int QuantizePage::effectiveThreads() const {
    return mThreads > 0 ? mThreads : mSourceRecipe.threads;
}

void QuantizePage::setEvalSubset(int samples) {
    mEvalSubset->setValue(samples);
}

void QuantizePage::setCalibrationBatches(int batches) {
    mCalibBatches->setValue(batches);
}

void QuantizePage::setVerifyExport(bool verify) {
    mVerify->setChecked(verify);
}

bool QuantizePage::startTask(Task task, const QString& label, Work work) {
    if (mTask != Task::None) {
        showError(tr("Busy: wait until the current step finishes."));
        return false;
    }
    mTask = task;
    mProgress->setRange(0, kSliderSteps);
    mProgress->setValue(0);
    mProgress->setFormat(QStringLiteral("%p%"));
    showMessage(label);
    // Progress comes from the worker: queue it to this thread. The destructor waits for the worker, so the
    // page outlives every call; queued calls to a deleted page are dropped by Qt.
    QPointer<QuantizePage> self(this);
    ProgressFn progress = [self](const std::string& message, double fraction) {
        const QString text = QString::fromStdString(message);
        QMetaObject::invokeMethod(
            self.data(),
            [self, text, fraction] {
                if (self) self->onProgress(text, fraction);
            },
            Qt::QueuedConnection);
    };
    mWatcher.setFuture(QtConcurrent::run([task, work = std::move(work), progress] {
        TaskResult r;
        try {
            r = work(progress);
        } catch (const std::exception& e) {
            r = TaskResult{};
            r.error = QString::fromStdString(e.what());
        }
        r.task = task;
        return r;
    }));
    updateButtons();
    return true;
}

void QuantizePage::onProgress(const QString& text, double fraction) {
    if (mTask == Task::None) return;
    mProgress->setValue(static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * kSliderSteps)));
    if (!text.isEmpty()) {
        mMessage->setStyleSheet(QString());
        mMessage->setText(text);
    }
}

void QuantizePage::onTaskFinished() {
    const TaskResult r = mWatcher.result();
    const Task task = mTask;
    mTask = Task::None;
    mProgress->setValue(r.error.isEmpty() ? kSliderSteps : 0);
    const bool ok = r.error.isEmpty();
    switch (task) {
        case Task::Layers:
            if (!ok) {
                showError(
                    tr("Cannot read the layers of %1: %2").arg(QFileInfo(r.runDir).fileName(), r.error));
                refreshSources();  // the combo goes back to the source still loaded
                break;
            }
            mSource = r.runDir;
            mSourceRecipe = r.recipe;
            mLayers->setLayers(r.layers);
            mAllBits->setCurrentIndex(0);
            mQatTeacher->setCurrentIndex(mSourceRecipe.job == JobKind::Distill ? 0 : 1);
            mQatLr->setSpecialValueText(
                tr("1 % of the run's (%1)").arg(QString::number(mSourceRecipe.optim.lr * 0.01, 'g', 3)));
            refreshSources();
            {
                const QJsonObject summary = readSummary(mSource);
                const QString metric = summary.value(QStringLiteral("main_metric")).toString();
                const QJsonValue best = summary.value(QStringLiteral("best")).toObject().value(metric);
                QStringList info;
                info << QString::fromStdString(mSourceRecipe.student.displayName() +
                                               (mSourceRecipe.student.head.empty()
                                                    ? std::string()
                                                    : "/" + mSourceRecipe.student.head))
                     << QString::fromStdString(mSourceRecipe.data.dataset)
                     << tr("%n layer(s)", nullptr, static_cast<int>(r.layers.size()));
                if (best.isDouble())
                    info
                        << QStringLiteral("%1 %2 %").arg(metricLabel(metric)).arg(best.toDouble(), 0, 'f', 2);
                mSourceInfo->setText(info.join(QStringLiteral(" · ")));
                mSourceInfo->setToolTip(mSourceInfo->text());
            }
            setBudgetSlider(kSliderSteps / 2);
            refreshComparison();
            showMessage(tr("%1: %n quantizable layer(s). Edit the widths, or measure sensitivity and fit a "
                           "budget.",
                           nullptr, static_cast<int>(r.layers.size()))
                            .arg(QFileInfo(mSource).fileName()));
            Q_EMIT layersLoaded();
            break;
        case Task::Sensitivity:
            if (!ok) {
                showError(tr("Measuring sensitivity failed: %1").arg(r.error));
                break;
            }
            mLayers->mergeSensitivity(r.layers);
            showMessage(tr("Sensitivity measured for %n layer(s); Fit to budget can use it now.", nullptr,
                           static_cast<int>(r.layers.size())));
            break;
        case Task::Calibrate:
            if (!ok) {
                // A folder the failed calibration created holds nothing worth keeping.
                if (!r.runDir.isEmpty() && !isQuantizedRun(r.runDir.toStdString()) && QDir(r.runDir).exists())
                    QDir(r.runDir).removeRecursively();
                showError(tr("Calibration failed: %1").arg(r.error));
                break;
            }
            refreshComparison();
            selectComparisonRun(r.runDir);
            {
                const QString metric = metricLabel(QString::fromStdString(r.quant.metric));
                QString text = tr("%1: %2 %3 % simulated (fp32 %4 %)")
                                   .arg(QFileInfo(r.runDir).fileName(), metric)
                                   .arg(r.quant.simulatedMetric, 0, 'f', 2)
                                   .arg(r.quant.fp32Metric, 0, 'f', 2);
                if (r.quant.int8Metric >= 0)
                    text += tr(", LibTorch int8 %1 %").arg(r.quant.int8Metric, 0, 'f', 2);
                text +=
                    tr("; %1, %2× smaller")
                        .arg(formatBytes(r.quant.cost.sizeBytes))
                        .arg(r.quant.cost.sizeBytes > 0 ? r.quant.fp32Cost.sizeBytes / r.quant.cost.sizeBytes
                                                        : 0.0,
                             0, 'f', 1);
                showMessage(text);
            }
            Q_EMIT runCreated(r.runDir);
            break;
        case Task::Export:
            if (!ok) {
                showError(tr("Export failed: %1").arg(r.error));
                break;
            }
            showMessage(
                r.verify.isEmpty()
                    ? tr("Wrote %1 and its card %2")
                          .arg(QDir::toNativeSeparators(r.file), QDir::toNativeSeparators(r.card))
                    : tr("Wrote %1 and its card %2. %3")
                          .arg(QDir::toNativeSeparators(r.file), QDir::toNativeSeparators(r.card), r.verify));
            Q_EMIT exported(r.file, r.card);
            break;
        case Task::Qat:
            if (!ok) {
                showError(tr("Cannot start QAT: %1").arg(r.error));
                break;
            }
            if (!mQatLauncher) {
                showError(tr("QAT needs the workbench window to run it."));
                break;
            }
            {
                QString error;
                if (!mQatLauncher(r.recipe, &error)) {
                    showError(tr("Cannot start QAT: %1").arg(error));
                    break;
                }
                showMessage(tr("QAT of %1 started (%2): follow it in Loss curves; its row appears here when "
                               "it finishes.")
                                .arg(QFileInfo(mSource).fileName(), QString::fromStdString(r.recipe.name)));
            }
            break;
        case Task::None:
            break;
    }
    updateButtons();
    Q_EMIT taskFinished(task, ok);
}

bool QuantizePage::measureSensitivity() {
    if (mSource.isEmpty() || mLayers->layers.empty()) {
        showError(tr("Choose a trained source run first."));
        return false;
    }
    const std::string runDir = mSource.toStdString();
    const QuantSpec s = spec();
    const int threads = effectiveThreads();
    return startTask(Task::Sensitivity,
                     tr("Measuring sensitivity on %n calibration batch(es)…", nullptr, s.calibrationBatches),
                     [runDir, s, threads](const ProgressFn& progress) {
                         TaskResult r;
                         r.layers = distillery::measureSensitivity(runDir, s, threads, progress);
                         return r;
                     });
}

bool QuantizePage::calibrate() {
    if (mSource.isEmpty() || mLayers->layers.empty()) {
        showError(tr("Choose a trained source run first."));
        return false;
    }
    if (!mProject.isOpen()) {
        showError(tr("Open or create a project first: the quantized run is written to its runs folder."));
        return false;
    }
    QuantizeOptions options;
    options.runDir = mSource.toStdString();
    options.spec = spec();
    std::set<int> widths;
    for (const auto& l : mLayers->layers)
        widths.insert(l.weightBits);
    const std::string name = mSourceRecipe.name + (widths.size() > 1 ? "-ptq-mixed" : "-ptq");
    const QString outDir = mProject.newRunDir(QString::fromStdString(name));
    options.outDir = outDir.toStdString();
    options.threads = effectiveThreads();
    options.subset = mEvalSubset->value();
    options.realInt8 = mRealInt8->isChecked();
    return startTask(Task::Calibrate,
                     tr("Calibrating %1 (%2, %n batch(es))…", nullptr, options.spec.calibrationBatches)
                         .arg(QFileInfo(mSource).fileName(), mObserver->currentText()),
                     [options, outDir](const ProgressFn& progress) {
                         TaskResult r;
                         r.runDir = outDir;
                         try {
                             r.quant = quantizeRun(options, progress);
                         } catch (const std::exception& e) {
                             r.error = QString::fromStdString(e.what());
                         }
                         return r;
                     });
}

bool QuantizePage::startQat() {
    if (mSource.isEmpty() || mLayers->layers.empty()) {
        showError(tr("Choose a trained source run first."));
        return false;
    }
    if (mTrainingActive) {
        showError(tr("A run is already in progress; QAT can start when it ends."));
        return false;
    }
    const QString teacher = mQatTeacher->currentData().toString();
    if (teacher == QLatin1String("recipe") && mSourceRecipe.job != JobKind::Distill) {
        showError(tr("%1 was trained without a teacher: choose itself (self-distillation) or none as the QAT "
                     "teacher.")
                      .arg(QFileInfo(mSource).fileName()));
        return false;
    }
    QuantSpec s = spec();
    s.teacher = teacher == QLatin1String("self") ? "self" : "recipe";
    const std::string runDir = mSource.toStdString();
    const std::string mode = teacher.toStdString();
    const int epochs = mQatEpochs->value();
    const double lr = mQatLr->value();
    const int threads = mThreads;
    // qatRecipe reads the source's checkpoint: off the GUI thread like the rest.
    return startTask(Task::Qat, tr("Preparing QAT of %1…").arg(QFileInfo(mSource).fileName()),
                     [runDir, s, mode, epochs, lr, threads](const ProgressFn&) {
                         TaskResult r;
                         r.recipe = qatRecipe(runDir, s, mode, epochs, lr);
                         if (threads > 0) r.recipe.threads = threads;
                         return r;
                     });
}

// ---- export
// -------------------------------------------------------------------------------------------------

void QuantizePage::exportSelected(const QString& format) {
    const QModelIndexList rows =
        mCompareTable->selectionModel() ? mCompareTable->selectionModel()->selectedRows() : QModelIndexList();
    if (rows.isEmpty()) {
        showError(tr("Select a row of the comparison to export."));
        return;
    }
    const QString runDir = comparisonRunDir(rows.first().row());
    if (runDir.isEmpty()) {
        showError(tr("This row has no run folder to export."));
        return;
    }
    const bool int8 = format == QLatin1String("onnx-int8");
    if (int8 && !isQuantizedRun(runDir.toStdString())) {
        showError(
            tr("%1 is not quantized: calibrate it (PTQ) or train it with QAT, then export that run as int8.")
                .arg(QFileInfo(runDir).fileName()));
        return;
    }
    const QString folder = mProject.isOpen() ? mProject.dir() : QFileInfo(runDir).absolutePath();
    const QString name =
        QFileInfo(runDir).fileName() + (int8 ? QStringLiteral("-int8.onnx") : QStringLiteral(".onnx"));
    const QString file =
        QFileDialog::getSaveFileName(this, int8 ? tr("Export ONNX int8") : tr("Export ONNX (fp32)"),
                                     folder + "/" + name, tr("ONNX models (*.onnx)"));
    if (file.isEmpty()) return;
    exportRun(runDir, format, file);
}

bool QuantizePage::exportRun(const QString& runDir, const QString& format, const QString& file) {
    if (format != QLatin1String("onnx") && format != QLatin1String("onnx-int8")) {
        showError(tr("Unknown export format %1 (onnx or onnx-int8)").arg(format));
        return false;
    }
    if (format == QLatin1String("onnx-int8") && !isQuantizedRun(runDir.toStdString())) {
        showError(
            tr("%1 is not quantized: calibrate it (PTQ) or train it with QAT, then export that run as int8.")
                .arg(QFileInfo(runDir).fileName()));
        return false;
    }
    if (file.isEmpty()) {
        showError(tr("Choose a file to export to."));
        return false;
    }
    const std::string dir = runDir.toStdString(), fmt = format.toStdString(), out = file.toStdString();
    const bool verify = mVerify->isChecked();
    const int subset = mEvalSubset->value();
    const int threads = effectiveThreads();
    return startTask(Task::Export, tr("Exporting %1…").arg(QFileInfo(file).fileName()),
                     [dir, fmt, out, verify, subset, threads](const ProgressFn& progress) {
                         TaskResult r;
                         r.runDir = QString::fromStdString(dir);
                         r.file = QString::fromStdString(out);
                         r.card = QString::fromStdString(exportOnnx(dir, fmt, out));
                         if (verify) {
                             progress("verifying " + out, 0.5);
                             const ExportCheck check = verifyExport(dir, out, subset, threads);
                             addVerificationToCard(r.card.toStdString(), check);
                             r.verify = verifyText(check);
                         }
                         return r;
                     });
}

// ---- comparison
// ---------------------------------------------------------------------------------------------

namespace {

struct Cell {
    QString text;
    QVariant sort;
    QString tip;
};

Cell numberCell(double value, bool valid, const QString& text) {
    return valid ? Cell{text, value, {}} : Cell{QStringLiteral("—"), -1e300, {}};
}

}  // namespace

void QuantizePage::refreshComparison() {
    const QString selected = [&] {
        const QModelIndexList rows = mCompareTable->selectionModel()->selectedRows();
        return rows.isEmpty() ? QString() : comparisonRunDir(rows.first().row());
    }();
    mCompare->removeRows(0, mCompare->rowCount());

    QString metricName = QStringLiteral("top1");
    const QJsonObject sourceSummary = mSource.isEmpty() ? QJsonObject() : readSummary(mSource);
    if (sourceSummary.contains(QStringLiteral("main_metric")))
        metricName = sourceSummary.value(QStringLiteral("main_metric")).toString();
    const QStringList headers{tr("Model"),
                              tr("Run"),
                              tr("Bits"),
                              tr("%1 (%)").arg(metricLabel(metricName)),
                              tr("LibTorch int8 (%)"),
                              tr("Agreement (%)"),
                              tr("Size"),
                              tr("× smaller"),
                              tr("BOPs"),
                              tr("fp32 (ms)"),
                              tr("int8 (ms)")};
    mCompare->setHorizontalHeaderLabels(headers);
    const QStringList headerTips{
        QString(),
        QString(),
        tr("Weight and activation widths (W/A) of the conv and linear layers"),
        tr("Validation metric; for quantized runs of the fake-quantized model in the engine"),
        tr("The same quantized model run with LibTorch's int8 kernels"),
        tr("Share of validation predictions where LibTorch int8 and the simulated model agree"),
        tr("Conv and linear weights at their widths (1 KB = 1000 bytes)"),
        tr("The fp32 student's size over this one's"),
        tr("Bit operations: Σ MACs × weight bits × activation bits"),
        tr("Time per batch of 64 in fp32 (BatchNorm folded)"),
        tr("Time per batch of 64 with LibTorch's int8 kernels")};
    for (int c = 0; c < CompareColumnCount; ++c)
        if (QStandardItem* h = mCompare->horizontalHeaderItem(c)) h->setToolTip(headerTips[c]);
    if (mSource.isEmpty()) return;

    int order = 0;
    auto addRow = [&](const QString& runDir, const Cell(&cells)[CompareColumnCount]) {
        QList<QStandardItem*> items;
        for (int c = 0; c < CompareColumnCount; ++c) {
            auto* item = new QStandardItem(cells[c].text);
            item->setData(c == Model ? QVariant(order) : cells[c].sort, kSortRole);
            item->setData(runDir, kRunDirRole);
            item->setEditable(false);
            if (!cells[c].tip.isEmpty()) item->setToolTip(cells[c].tip);
            if (c != Model && c != RunName && c != Bits)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            items << item;
        }
        mCompare->appendRow(items);
        ++order;
    };
    auto pct = [](double v) { return QString::number(v, 'f', 2); };
    auto ms = [](double v) { return QString::number(v, 'f', 1); };
    const QuantCost fp32 = fp32Cost();

    // Teacher: its run's summary, at 32 bit.
    const QString teacherDir = runDirOf(QString::fromStdString(mSourceRecipe.teacher.checkpoint));
    const QJsonObject teacherSummary = teacherDir.isEmpty() ? QJsonObject() : readSummary(teacherDir);
    if (!teacherSummary.isEmpty()) {
        const QJsonValue best = teacherSummary.value(QStringLiteral("best")).toObject().value(metricName);
        const double params = teacherSummary.value(QStringLiteral("params")).toDouble(-1);
        const double macs = teacherSummary.value(QStringLiteral("macs")).toDouble(-1);
        const double size = params * 4, bops = macs * 32 * 32;
        const QString arch =
            teacherSummary.value(QStringLiteral("student")).toObject().value("arch").toString();
        Cell cells[CompareColumnCount] = {
            {tr("Teacher"), {}, arch},
            {QFileInfo(teacherDir).fileName(), QFileInfo(teacherDir).fileName().toLower(),
             QDir::toNativeSeparators(teacherDir)},
            {QStringLiteral("fp32"), 32, {}},
            numberCell(best.toDouble(), best.isDouble(), pct(best.toDouble())),
            numberCell(0, false, {}),
            numberCell(0, false, {}),
            numberCell(size, params > 0, formatBytes(size)),
            numberCell(fp32.sizeBytes > 0 ? fp32.sizeBytes / size : 0, params > 0 && fp32.sizeBytes > 0,
                       QStringLiteral("%1×").arg(fp32.sizeBytes / size, 0, 'f', 2)),
            numberCell(bops, macs > 0, formatOps(bops)),
            numberCell(0, false, {}),
            numberCell(0, false, {})};
        cells[Size].tip = tr("All parameters at 32 bit, from the teacher's summary");
        addRow(teacherDir, cells);
    }

    // The quantized runs of this source, in the project (and the source's own folder's neighbours).
    QStringList quantDirs;
    QStringList scan = findRunDirs(runsDir());
    for (const QString& dir : findRunDirs(QFileInfo(mSource).absolutePath()))
        if (!scan.contains(dir)) scan << dir;
    std::vector<QuantizeResult> reports;
    QStringList reportErrors;
    for (const QString& dir : scan) {
        if (!isQuantizedRun(dir.toStdString())) continue;
        try {
            QuantizeResult q = readQuantReport(dir.toStdString());
            if (!sameDir(QString::fromStdString(q.source), mSource)) continue;
            q.outDir = dir.toStdString();
            reports.push_back(std::move(q));
        } catch (const std::exception& e) {
            reportErrors << QString::fromStdString(e.what());
        }
    }

    // The fp32 student: its summary; latency from the newest report that timed it.
    {
        const QJsonValue best = sourceSummary.value(QStringLiteral("best")).toObject().value(metricName);
        double latency = -1;
        for (const auto& q : reports)
            if (q.fp32LatencyMs > 0) latency = q.fp32LatencyMs;
        Cell cells[CompareColumnCount] = {
            {tr("fp32 student"), {}, QString::fromStdString(mSourceRecipe.student.displayName())},
            {QFileInfo(mSource).fileName(), QFileInfo(mSource).fileName().toLower(),
             QDir::toNativeSeparators(mSource)},
            {QStringLiteral("fp32"), 32, {}},
            numberCell(best.toDouble(), best.isDouble(), pct(best.toDouble())),
            numberCell(0, false, {}),
            numberCell(0, false, {}),
            numberCell(fp32.sizeBytes, fp32.sizeBytes > 0, formatBytes(fp32.sizeBytes)),
            numberCell(1.0, fp32.sizeBytes > 0, QStringLiteral("1.00×")),
            numberCell(fp32.bops, fp32.bops > 0, formatOps(fp32.bops)),
            numberCell(latency, latency > 0, ms(latency)),
            numberCell(0, false, {})};
        addRow(mSource, cells);
    }

    for (const auto& q : reports) {
        const QString dir = QString::fromStdString(q.outDir);
        const double ratio = q.cost.sizeBytes > 0 ? q.fp32Cost.sizeBytes / q.cost.sizeBytes : 0;
        Cell cells[CompareColumnCount] = {
            {methodLabel(QString::fromStdString(q.method)), {}, QString::fromStdString(q.method)},
            {QFileInfo(dir).fileName(), QFileInfo(dir).fileName().toLower(), QDir::toNativeSeparators(dir)},
            {widthsText(q.layers), q.cost.sizeBytes, {}},
            numberCell(q.simulatedMetric, true, pct(q.simulatedMetric)),
            numberCell(q.int8Metric, q.int8Metric >= 0, pct(q.int8Metric)),
            numberCell(q.int8Agreement, q.int8Agreement >= 0, pct(q.int8Agreement)),
            numberCell(q.cost.sizeBytes, q.cost.sizeBytes > 0, formatBytes(q.cost.sizeBytes)),
            numberCell(ratio, ratio > 0, QStringLiteral("%1×").arg(ratio, 0, 'f', 2)),
            numberCell(q.cost.bops, q.cost.bops > 0, formatOps(q.cost.bops)),
            numberCell(q.fp32LatencyMs, q.fp32LatencyMs > 0, ms(q.fp32LatencyMs)),
            numberCell(q.int8LatencyMs, q.int8LatencyMs > 0, ms(q.int8LatencyMs))};
        cells[Metric].tip = tr("Simulated in the engine; the fp32 source had %1").arg(pct(q.fp32Metric));
        if (!q.observer.empty())
            cells[Model].tip += tr(", observer %1").arg(QString::fromStdString(q.observer));
        addRow(dir, cells);
    }
    if (!reportErrors.isEmpty()) showError(reportErrors.join('\n'));
    if (!selected.isEmpty()) selectComparisonRun(selected);
    updateButtons();
}

int QuantizePage::comparisonRowCount() const {
    return mCompareProxy->rowCount();
}

QString QuantizePage::comparisonText(int row, CompareColumn column) const {
    return mCompareProxy->index(row, column).data(Qt::DisplayRole).toString();
}

QString QuantizePage::comparisonRunDir(int row) const {
    return mCompareProxy->index(row, Model).data(kRunDirRole).toString();
}

void QuantizePage::selectComparisonRun(const QString& runDir) {
    for (int row = 0; row < comparisonRowCount(); ++row) {
        if (sameDir(comparisonRunDir(row), runDir)) {
            mCompareTable->selectRow(row);
            mCompareTable->scrollTo(mCompareProxy->index(row, 0));
            return;
        }
    }
}

// ---- state
// ----------------------------------------------------------------------------------------------------

void QuantizePage::updateButtons() {
    const bool idle = mTask == Task::None;
    const bool loaded = !mSource.isEmpty() && !mLayers->layers.empty();
    const bool selected = mCompareTable->selectionModel() && mCompareTable->selectionModel()->hasSelection();
    mSourceCombo->setEnabled(idle);
    mBrowse->setEnabled(idle);
    mMeasure->setEnabled(idle && loaded);
    mFit->setEnabled(loaded);
    mCalibrate->setEnabled(idle && loaded);
    mQat->setEnabled(idle && loaded && !mTrainingActive);
    mExportFp32->setEnabled(idle && selected);
    mExportInt8->setEnabled(idle && selected);
    mProgress->setVisible(!idle || mProgress->value() > 0);
}

void QuantizePage::showMessage(const QString& text, bool error) {
    mMessageText = text;
    mMessageError = error;
    mMessage->setStyleSheet(error ? QStringLiteral("color:#b3261e") : QString());
    mMessage->setText(text);
    if (error)
        Q_EMIT errorOccurred(text);
    else
        Q_EMIT statusMessage(text);
}

}  // namespace distillery
