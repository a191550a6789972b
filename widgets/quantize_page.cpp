#include "widgets/quantize_page.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
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
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <set>

#include "core/engine.h"
#include "core/run_folder.h"
#include "verify/runtime_check.h"
#include "widgets/background_work.h"
#include "widgets/bit_width_delegate.h"
#include "widgets/views/format.h"

namespace distillery {

namespace {

constexpr int kSliderSteps = 1000;

QString formatOps(double ops) {
    return formatCount(static_cast<int64_t>(std::llround(ops)));
}

QString formatCost(const QString& kind, double value) {
    return kind == QLatin1String("size") ? formatBytes(value) : formatOps(value) + QStringLiteral(" BOPs");
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

}  // namespace

// ---- the page ---------------------------------------------------------------------------------------------

QuantizePage::QuantizePage(QWidget* parent) : QWidget(parent) {
    setObjectName("quantizePage");
    qRegisterMetaType<QuantizePage::Task>();
    mWork = new BackgroundWork(this);

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
        if (!dir.isEmpty() && !sameRunDir(dir, mSource)) setSourceRun(dir);
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

    showMessage(tr("Choose a trained fp32 run as the source."));
    updateBudgetRange();
    updateTotals();
    updateButtons();
}

QuantizePage::~QuantizePage() {
    // Work in flight only holds copies of its inputs; it ends before the page does.
    mWork->waitForDone();
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
    mLayerTable->setItemDelegateForColumn(QuantLayersModel::WeightBits, new BitWidthDelegate(mLayerTable));
    mLayerTable->setEditTriggers(QAbstractItemView::CurrentChanged | QAbstractItemView::SelectedClicked |
                                 QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);
    mLayerTable->setSelectionBehavior(QAbstractItemView::SelectItems);
    mLayerTable->setSelectionMode(QAbstractItemView::SingleSelection);
    mLayerTable->setAlternatingRowColors(true);
    mLayerTable->setWordWrap(false);
    mLayerTable->verticalHeader()->setVisible(false);
    mLayerTable->verticalHeader()->setDefaultSectionSize(mLayerTable->fontMetrics().height() + 8);
    mLayerTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    mLayerTable->horizontalHeader()->setSectionResizeMode(QuantLayersModel::Name, QHeaderView::Stretch);
    mLayerTable->horizontalHeader()->setHighlightSections(false);
    v->addWidget(mLayerTable, 1);
    connect(
        mLayers, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex& a, const QModelIndex& b) {
            if (a.column() <= QuantLayersModel::WeightBits && b.column() >= QuantLayersModel::WeightBits) {
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
    mQatWidths = new QComboBox(box);
    mQatWidths->setObjectName("quantQatWidths");
    mQatWidths->addItem(tr("one model at the table's widths"), QString());
    mQatWidths->addItem(tr("one model for 8, 6, 4 and 2 bits (once-QAT)"), QStringLiteral("8,6,4,2"));
    mQatWidths->addItem(tr("one model for 8, 4 and 2 bits (once-QAT)"), QStringLiteral("8,4,2"));
    mQatWidths->setToolTip(
        tr("Once-QAT trains a single set of weights whose lower widths are the top width's codes taken down "
           "by rounding right shifts; every width is evaluated and can be exported from it"));
    mQat = new QPushButton(tr("Start &QAT"), box);
    mQat->setObjectName("quantStartQat");
    mQat->setToolTip(
        tr("Fine-tune the quantized student as a run: curves in Loss curves, Pause and Stop "
           "in the Run menu"));
    addLabelled(grid, 0, 0, tr("&Teacher:"), mQatTeacher, 3);
    addLabelled(grid, 1, 0, tr("&Epochs:"), mQatEpochs);
    addLabelled(grid, 1, 2, tr("&Learning rate:"), mQatLr);
    addLabelled(grid, 2, 0, tr("&Widths:"), mQatWidths, 3);
    auto* row = new QHBoxLayout;
    row->addWidget(mQat);
    row->addWidget(mQatLsq);
    row->addStretch();
    grid->addLayout(row, 3, 0, 1, 4);
    connect(mQat, &QPushButton::clicked, this, [this] { startQat(); });
    return box;
}

QWidget* QuantizePage::buildComparisonBox() {
    auto* box = new QGroupBox(tr("Comparison"), this);
    auto* v = new QVBoxLayout(box);
    mCompare = new QuantComparisonModel(this);
    mCompareProxy = new QSortFilterProxyModel(this);
    mCompareProxy->setSourceModel(mCompare);
    mCompareProxy->setSortRole(QuantComparisonModel::SortRole);
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
    mCompareTable->horizontalHeader()->setSectionResizeMode(QuantComparisonModel::RunName,
                                                            QHeaderView::Stretch);
    mCompareTable->horizontalHeader()->setHighlightSections(false);
    mCompareTable->setSortingEnabled(true);
    mCompareTable->sortByColumn(QuantComparisonModel::Model, Qt::AscendingOrder);
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

// ---- project and source -----------------------------------------------------------------------------------

void QuantizePage::setProject(const Project& project) {
    mProject = project;
    showSources();
    rescan();
}

QString QuantizePage::runsDir() const {
    return mProject.isOpen() ? mProject.runsDir() : QString();
}

void QuantizePage::refresh() {
    rescan();
}

QuantizePage::Scan QuantizePage::readScan(const QString& runsDir, const QString& source,
                                          const Recipe& sourceRecipe, const QuantCost& fp32Cost) {
    Scan scan;
    scan.sources = findQuantSources(runsDir);
    scan.comparison = readQuantComparison(source, sourceRecipe, fp32Cost, runsDir);
    return scan;
}

void QuantizePage::rescan(std::function<void()> then) {
    if (then) mAfterScan.push_back(std::move(then));
    const int serial = ++mScanSerial;
    const QString runs = runsDir(), source = mSource;
    const Recipe recipe = mSourceRecipe;
    const QuantCost fp32 = fp32Cost();
    mWork->run<Scan>([runs, source, recipe, fp32] { return readScan(runs, source, recipe, fp32); },
                     [this, serial](Scan scan) {
                         // A newer read (or a task's) is on its way or shown: this one is stale.
                         if (serial == mScanSerial) applyScan(std::move(scan));
                     },
                     [this, serial](const QString& error) {
                         if (serial != mScanSerial) return;
                         showError(error);
                         applyScan({});
                     });
}

void QuantizePage::applyScan(Scan scan) {
    mSources = std::move(scan.sources);
    showSources();
    // A read started before the source changed describes the old source: its comparison is not shown.
    if (scan.comparison.sourceDir == mSource) {
        const QString selected = [&] {
            const QModelIndexList rows = mCompareTable->selectionModel()->selectedRows();
            return rows.isEmpty() ? QString() : comparisonRunDir(rows.first().row());
        }();
        const QStringList errors = scan.comparison.errors;
        mCompare->setComparison(std::move(scan.comparison));
        showSourceInfo(mCompare->comparison());
        if (!errors.isEmpty()) showError(errors.join('\n'));
        if (!selected.isEmpty()) selectComparisonRun(selected);
    }
    updateButtons();
    const auto after = std::move(mAfterScan);
    mAfterScan.clear();
    for (const auto& then : after)
        then();
    Q_EMIT comparisonUpdated();
}

void QuantizePage::showSources() {
    const QSignalBlocker block(mSourceCombo);
    mSourceCombo->clear();
    for (const QuantSource& source : mSources) {
        QString text = QFileInfo(source.dir).fileName();
        if (!source.metric.empty() && !std::isnan(source.best))
            text += QStringLiteral("  (%1 %2)").arg(metricText(source.metric)).arg(source.best, 0, 'f', 2);
        mSourceCombo->addItem(text, source.dir);
        mSourceCombo->setItemData(mSourceCombo->count() - 1, QDir::toNativeSeparators(source.dir),
                                  Qt::ToolTipRole);
    }
    if (!mSource.isEmpty()) {
        int i = -1;
        for (int k = 0; k < mSourceCombo->count(); ++k)
            if (sameRunDir(mSourceCombo->itemData(k).toString(), mSource)) i = k;
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

void QuantizePage::showSourceInfo(const QuantComparison& comparison) {
    if (mSource.isEmpty()) {
        mSourceInfo->clear();
        mSourceInfo->setToolTip(QString());
        return;
    }
    const ModelSpec& student = mSourceRecipe.student;
    QStringList info;
    info << QString::fromStdString(student.displayName() + (student.head.empty() ? "" : "/" + student.head))
         << QString::fromStdString(mSourceRecipe.data.dataset)
         << tr("%n layer(s)", nullptr, static_cast<int>(mLayers->layers().size()));
    if (comparison.source && !comparison.source->mainMetric.empty() &&
        !std::isnan(comparison.source->bestMetric))
        info << QStringLiteral("%1 %2 %")
                    .arg(metricText(comparison.source->mainMetric))
                    .arg(comparison.source->bestMetric, 0, 'f', 2);
    mSourceInfo->setText(info.join(QStringLiteral(" · ")));
    mSourceInfo->setToolTip(mSourceInfo->text());
}

void QuantizePage::qatFinished(const QString& runDir, RunStatus status) {
    const QString name = QFileInfo(runDir).fileName();
    if (status == RunStatus::Cancelled) {
        rescan();
        showMessage(tr("QAT %1 stopped; Run > Continue Stopped Run continues it.").arg(name));
        return;
    }
    if (status != RunStatus::Finished || !isQuantizedRun(runDir.toStdString())) {
        rescan();
        showError(tr("QAT %1 did not finish (%2); the log says why.")
                      .arg(name, QString::fromLatin1(statusName(status))));
        return;
    }
    // Its report is read off the GUI thread; then the comparison is re-read and the run's row selected.
    const std::string dir = runDir.toStdString();
    mWork->run<QuantizeResult>(
        [dir] { return readQuantReport(dir); },
        [this, runDir, name](QuantizeResult q) {
            rescan([this, runDir, name, q] {
                selectComparisonRun(runDir);
                showMessage(tr("QAT %1 finished: %2 %3 % simulated, LibTorch int8 %4 % (fp32 %5 %)")
                                .arg(name, metricText(q.metric))
                                .arg(q.simulatedMetric, 0, 'f', 2)
                                .arg(q.int8Metric, 0, 'f', 2)
                                .arg(q.fp32Metric, 0, 'f', 2));
            });
        },
        [this](const QString& error) {
            rescan();
            showError(error);
        });
}

void QuantizePage::setTrainingActive(bool active) {
    mTrainingActive = active;
    updateButtons();
}

bool QuantizePage::setSourceRun(const QString& path) {
    // Only cheap checks here (files that exist, the recipe); the layers and reports are read off the GUI
    // thread.
    const QString dir = runDirOf(path);
    if (dir.isEmpty()) {
        showError(tr("%1 is not a run folder").arg(QDir::toNativeSeparators(path)));
        return false;
    }
    const RunFolder folder(dir.toStdString());
    if (!folder.hasRecipe()) {
        showError(tr("%1 is not a run folder (no recipe.yaml)").arg(QDir::toNativeSeparators(dir)));
        return false;
    }
    if (isQuantizedFolder(dir)) {
        const QString from = quantSourceOf(dir);
        showError(from.isEmpty()
                      ? tr("%1 is already quantized: choose the fp32 student run it came from")
                            .arg(QFileInfo(dir).fileName())
                      : tr("%1 is already quantized: choose the fp32 student run it came from (%2)")
                            .arg(QFileInfo(dir).fileName(), QDir::toNativeSeparators(from)));
        return false;
    }
    if (!folder.hasAnyCheckpoint()) {
        showError(tr("%1 has no checkpoint yet: train it first").arg(QFileInfo(dir).fileName()));
        return false;
    }
    struct Loaded {
        Recipe recipe;
        std::vector<QuantLayer> layers;
        Scan scan;
    };
    const std::string runDir = dir.toStdString();
    const QString runs = runsDir();
    return startTask<Loaded>(
        Task::Layers, tr("Reading the layers of %1…").arg(QFileInfo(dir).fileName()),
        [runDir, dir, runs](const ProgressFn&) {
            Loaded l;
            l.recipe = loadRunRecipe(runDir);
            l.layers = quantLayers(runDir, QuantSpec{});
            l.scan = readScan(runs, dir, l.recipe, floatCost(l.layers));
            return l;
        },
        [this, dir](Loaded& l) {
            mSource = dir;
            mSourceRecipe = l.recipe;
            mLayers->setLayers(std::move(l.layers));
            mAllBits->setCurrentIndex(0);
            mQatTeacher->setCurrentIndex(mSourceRecipe.job == JobKind::Distill ? 0 : 1);
            mQatLr->setSpecialValueText(
                tr("1 % of the run's (%1)").arg(QString::number(mSourceRecipe.optim.lr * 0.01, 'g', 3)));
            ++mScanSerial;  // reads in flight describe the previous source
            applyScan(std::move(l.scan));
            setBudgetSlider(kSliderSteps / 2);
            showMessage(tr("%1: %n quantizable layer(s). Edit the widths, or measure sensitivity and fit a "
                           "budget.",
                           nullptr, mLayers->rowCount())
                            .arg(QFileInfo(mSource).fileName()));
            Q_EMIT layersLoaded();
            return true;
        },
        [this, dir](const QString& error) {
            showError(tr("Cannot read the layers of %1: %2").arg(QFileInfo(dir).fileName(), error));
            showSources();  // the combo goes back to the source still loaded
        });
}

// ---- bit widths -------------------------------------------------------------------------------------------

const std::vector<QuantLayer>& QuantizePage::layers() const {
    return mLayers->layers();
}

bool QuantizePage::setLayerBits(const QString& layer, int bits) {
    const int row = mLayers->rowOf(layer.toStdString());
    if (row >= 0) {
        if (!mLayers->setData(mLayers->index(row, QuantLayersModel::WeightBits), bits, Qt::EditRole)) {
            showError(tr("%1 bit is not a weight width (8, 6, 4, 2 or 0 for float)").arg(bits));
            return false;
        }
        return true;
    }
    QStringList names;
    for (const auto& l : mLayers->layers())
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
    return mLayers->cost();
}

QuantCost QuantizePage::fp32Cost() const {
    return mLayers->fp32Cost();
}

QString QuantizePage::totalsText() const {
    return mTotals->text();
}

void QuantizePage::updateTotals() {
    if (mLayers->layers().empty()) {
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
    for (const auto& l : mLayers->layers())
        if (l.weightBits > 0) ++counts[l.weightBits];
    int common = 8, most = 0;
    for (const auto& [bits, n] : counts)
        if (n > most || (n == most && bits > common)) {
            common = bits;
            most = n;
        }
    s.weightBits = common;
    for (const auto& l : mLayers->layers())
        if (l.weightBits != common) s.layerBits[l.name] = l.weightBits;
    return s;
}

// ---- budget -----------------------------------------------------------------------------------------------

void QuantizePage::updateBudgetRange() {
    const QString kind = mBudgetKind->currentData().toString();
    auto costAt = [&](int bits) {
        std::vector<QuantLayer> all = mLayers->layers();
        for (auto& l : all)
            l.weightBits = bits;
        const QuantCost c = quantCost(all);
        return kind == QLatin1String("size") ? c.sizeBytes : c.bops;
    };
    mBudgetMin = costAt(2);
    mBudgetMax = costAt(8);
    mBudgetSlider->setEnabled(!mLayers->layers().empty());
    mBudgetEdit->setEnabled(!mLayers->layers().empty());
}

void QuantizePage::setBudgetSlider(int position) {
    position = std::clamp(position, 0, kSliderSteps);
    {
        const QSignalBlocker block(mBudgetSlider);
        mBudgetSlider->setValue(position);
    }
    if (mLayers->layers().empty()) {
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
    if (mLayers->layers().empty()) {
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
    if (mLayers->layers().empty()) {
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
        bits = searchBitWidths(mLayers->layers(), budget, weightBitChoices());
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
                         QuantComparisonModel::widthsText(mLayers->layers())));
    return true;
}

// ---- work off the GUI thread ------------------------------------------------------------------------------

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

template <typename R>
bool QuantizePage::startTask(Task task, const QString& label, std::function<R(const ProgressFn&)> work,
                             std::function<bool(R&)> done, std::function<void(const QString&)> failed) {
    if (mTask != Task::None) {
        showError(tr("Busy: wait until the current step finishes."));
        return false;
    }
    mTask = task;
    mProgress->setRange(0, kSliderSteps);
    mProgress->setValue(0);
    mProgress->setFormat(QStringLiteral("%p%"));
    showMessage(label);
    // Progress comes from the worker: queue it to this thread. The page waits for its work when it is
    // destroyed, and queued calls to a deleted page are dropped by Qt.
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
    mWork->run<R>([work = std::move(work), progress] { return work(progress); },
                  [this, task, done = std::move(done)](R result) {
                      mTask = Task::None;  // the continuation may start the next step
                      finishTask(task, done(result));
                  },
                  [this, task, failed = std::move(failed)](const QString& error) {
                      mTask = Task::None;
                      failed(error);
                      finishTask(task, false);
                  });
    updateButtons();
    return true;
}

void QuantizePage::finishTask(Task task, bool ok) {
    mProgress->setValue(ok ? kSliderSteps : 0);
    updateButtons();
    Q_EMIT taskFinished(task, ok);
}

void QuantizePage::onProgress(const QString& text, double fraction) {
    if (mTask == Task::None) return;
    mProgress->setValue(static_cast<int>(std::lround(std::clamp(fraction, 0.0, 1.0) * kSliderSteps)));
    if (!text.isEmpty()) {
        mMessage->setStyleSheet(QString());
        mMessage->setText(text);
    }
}

bool QuantizePage::measureSensitivity() {
    if (mSource.isEmpty() || mLayers->layers().empty()) {
        showError(tr("Choose a trained source run first."));
        return false;
    }
    const std::string runDir = mSource.toStdString();
    const QuantSpec s = spec();
    const int threads = effectiveThreads();
    return startTask<std::vector<QuantLayer>>(
        Task::Sensitivity,
        tr("Measuring sensitivity on %n calibration batch(es)…", nullptr, s.calibrationBatches),
        [runDir, s, threads](const ProgressFn& progress) {
            return distillery::measureSensitivity(runDir, s, threads, progress);
        },
        [this](std::vector<QuantLayer>& measured) {
            mLayers->mergeSensitivity(measured);
            showMessage(tr("Sensitivity measured for %n layer(s); Fit to budget can use it now.", nullptr,
                           static_cast<int>(measured.size())));
            return true;
        },
        [this](const QString& error) { showError(tr("Measuring sensitivity failed: %1").arg(error)); });
}

bool QuantizePage::calibrate() {
    if (mSource.isEmpty() || mLayers->layers().empty()) {
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
    for (const auto& l : mLayers->layers())
        widths.insert(l.weightBits);
    const std::string name = mSourceRecipe.name + (widths.size() > 1 ? "-ptq-mixed" : "-ptq");
    const QString outDir = mProject.newRunDir(QString::fromStdString(name));
    options.outDir = outDir.toStdString();
    options.threads = effectiveThreads();
    options.subset = mEvalSubset->value();
    options.realInt8 = mRealInt8->isChecked();
    struct Calibrated {
        QuantizeResult quant;
        Scan scan;  // read after the new run was written, so that its row is there
    };
    const QString runs = runsDir(), source = mSource;
    const Recipe recipe = mSourceRecipe;
    const QuantCost fp32 = fp32Cost();
    return startTask<Calibrated>(
        Task::Calibrate,
        tr("Calibrating %1 (%2, %n batch(es))…", nullptr, options.spec.calibrationBatches)
            .arg(QFileInfo(mSource).fileName(), mObserver->currentText()),
        [options, runs, source, recipe, fp32](const ProgressFn& progress) {
            Calibrated c;
            c.quant = quantizeRun(options, progress);
            c.scan = readScan(runs, source, recipe, fp32);
            return c;
        },
        [this, outDir](Calibrated& c) {
            ++mScanSerial;
            applyScan(std::move(c.scan));
            selectComparisonRun(outDir);
            const QuantizeResult& q = c.quant;
            QString text = tr("%1: %2 %3 % simulated (fp32 %4 %)")
                               .arg(QFileInfo(outDir).fileName(), metricText(q.metric))
                               .arg(q.simulatedMetric, 0, 'f', 2)
                               .arg(q.fp32Metric, 0, 'f', 2);
            if (q.int8Metric >= 0) text += tr(", LibTorch int8 %1 %").arg(q.int8Metric, 0, 'f', 2);
            text += tr("; %1, %2× smaller")
                        .arg(formatBytes(q.cost.sizeBytes))
                        .arg(q.cost.sizeBytes > 0 ? q.fp32Cost.sizeBytes / q.cost.sizeBytes : 0.0, 0, 'f', 1);
            showMessage(text);
            Q_EMIT runCreated(outDir);
            return true;
        },
        [this, outDir](const QString& error) {
            // A folder the failed calibration created holds nothing worth keeping.
            if (!isQuantizedRun(outDir.toStdString()) && QDir(outDir).exists())
                QDir(outDir).removeRecursively();
            showError(tr("Calibration failed: %1").arg(error));
        });
}

bool QuantizePage::startQat() {
    if (mSource.isEmpty() || mLayers->layers().empty()) {
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
    s.vertical = qatWidths();
    if (!s.vertical.empty()) {  // every layer holds every width
        s.weightBits = s.vertical.front();
        s.layerBits.clear();
        s.budget.clear();
    }
    const std::string runDir = mSource.toStdString();
    const std::string mode = teacher.toStdString();
    const int epochs = mQatEpochs->value();
    const double lr = mQatLr->value();
    const int threads = mThreads;
    // qatRecipe reads the source's checkpoint: off the GUI thread like the rest.
    return startTask<Recipe>(
        Task::Qat, tr("Preparing QAT of %1…").arg(QFileInfo(mSource).fileName()),
        [runDir, s, mode, epochs, lr, threads](const ProgressFn&) {
            Recipe r = qatRecipe(runDir, s, mode, epochs, lr);
            if (threads > 0) r.threads = threads;
            return r;
        },
        [this](Recipe& recipe) {
            if (!mQatLauncher) {
                showError(tr("QAT needs the workbench window to run it."));
                return false;
            }
            QString error;
            if (!mQatLauncher(recipe, &error)) {
                showError(tr("Cannot start QAT: %1").arg(error));
                return false;
            }
            showMessage(tr("QAT of %1 started (%2): follow it in Loss curves; its row appears here when it "
                           "finishes.")
                            .arg(QFileInfo(mSource).fileName(), QString::fromStdString(recipe.name)));
            return true;
        },
        [this](const QString& error) { showError(tr("Cannot start QAT: %1").arg(error)); });
}

// ---- export -----------------------------------------------------------------------------------------------

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
    const int width = comparisonWidth(rows.first().row());
    const bool int8 = format == QLatin1String("onnx-int8");
    if (int8 && !isQuantizedRun(runDir.toStdString())) {
        showError(
            tr("%1 is not quantized: calibrate it (PTQ) or train it with QAT, then export that run as int8.")
                .arg(QFileInfo(runDir).fileName()));
        return;
    }
    const QString folder = mProject.isOpen() ? mProject.dir() : QFileInfo(runDir).absolutePath();
    const QString name = QFileInfo(runDir).fileName() +
                         (width > 0 ? QStringLiteral("-w%1").arg(width) : QString()) +
                         (int8 ? QStringLiteral("-int8.onnx") : QStringLiteral(".onnx"));
    const QString file =
        QFileDialog::getSaveFileName(this, int8 ? tr("Export ONNX int8") : tr("Export ONNX (fp32)"),
                                     folder + "/" + name, tr("ONNX models (*.onnx)"));
    if (file.isEmpty()) return;
    exportRun(runDir, format, file, width);
}

void QuantizePage::setQatWidths(const std::vector<int>& widths) {
    QStringList parts;
    for (int b : widths)
        parts << QString::number(b);
    const QString key = parts.join(QLatin1Char(','));
    int index = mQatWidths->findData(key);
    if (index < 0) {
        mQatWidths->addItem(tr("one model for %1 bits (once-QAT)").arg(parts.join(QStringLiteral(", "))),
                            key);
        index = mQatWidths->count() - 1;
    }
    mQatWidths->setCurrentIndex(index);
}

std::vector<int> QuantizePage::qatWidths() const {
    std::vector<int> widths;
    for (const QString& part :
         mQatWidths->currentData().toString().split(QLatin1Char(','), Qt::SkipEmptyParts))
        widths.push_back(part.toInt());
    return widths;
}

bool QuantizePage::exportRun(const QString& runDir, const QString& format, const QString& file, int width) {
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
    struct Exported {
        QString card;
        QString verify;     // how the file ran in the runtimes; empty when not verified
        QString extracted;  // a once-QAT width's run folder written for the export
    };
    const std::string source = runDir.toStdString(), fmt = format.toStdString(), out = file.toStdString();
    const std::string widthDir = width > 0 ? source + "-w" + std::to_string(width) : std::string();
    const bool verify = mVerify->isChecked();
    const int subset = mEvalSubset->value();
    const int threads = effectiveThreads();
    return startTask<Exported>(
        Task::Export, tr("Exporting %1…").arg(QFileInfo(file).fileName()),
        [source, widthDir, width, fmt, out, verify, subset, threads](const ProgressFn& progress) {
            Exported e;
            std::string dir = source;
            if (width > 0) {  // the width as a run of its own, once
                if (!isQuantizedRun(widthDir)) {
                    progress("taking the " + std::to_string(width) + "-bit model out of " + source, 0.1);
                    extractVerticalWidth(source, width, widthDir, threads);
                    e.extracted = QString::fromStdString(widthDir);
                }
                dir = widthDir;
            }
            e.card = QString::fromStdString(exportOnnx(dir, fmt, out));
            if (verify) {
                progress("verifying " + out, 0.5);
                const ExportCheck check = verifyExport(dir, out, subset, threads);
                addVerificationToCard(e.card.toStdString(), check);
                e.verify = verifyText(check);
            }
            return e;
        },
        [this, file](Exported& e) {
            if (!e.extracted.isEmpty()) Q_EMIT runCreated(e.extracted);
            showMessage(
                e.verify.isEmpty()
                    ? tr("Wrote %1 and its card %2")
                          .arg(QDir::toNativeSeparators(file), QDir::toNativeSeparators(e.card))
                    : tr("Wrote %1 and its card %2. %3")
                          .arg(QDir::toNativeSeparators(file), QDir::toNativeSeparators(e.card), e.verify));
            Q_EMIT exported(file, e.card);
            return true;
        },
        [this](const QString& error) { showError(tr("Export failed: %1").arg(error)); });
}

// ---- comparison -------------------------------------------------------------------------------------------

int QuantizePage::comparisonRowCount() const {
    return mCompareProxy->rowCount();
}

QString QuantizePage::comparisonText(int row, QuantComparisonModel::Column column) const {
    return mCompareProxy->index(row, column).data(Qt::DisplayRole).toString();
}

int QuantizePage::comparisonWidth(int row) const {
    return mCompareProxy->index(row, QuantComparisonModel::Model)
        .data(QuantComparisonModel::WidthRole)
        .toInt();
}

QString QuantizePage::comparisonRunDir(int row) const {
    return mCompareProxy->index(row, QuantComparisonModel::Model)
        .data(QuantComparisonModel::RunDirRole)
        .toString();
}

void QuantizePage::selectComparisonRun(const QString& runDir) {
    for (int row = 0; row < comparisonRowCount(); ++row) {
        if (sameRunDir(comparisonRunDir(row), runDir)) {
            mCompareTable->selectRow(row);
            mCompareTable->scrollTo(mCompareProxy->index(row, 0));
            return;
        }
    }
}

// ---- state ------------------------------------------------------------------------------------------------

void QuantizePage::updateButtons() {
    const bool idle = mTask == Task::None;
    const bool loaded = !mSource.isEmpty() && !mLayers->layers().empty();
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
