#include "widgets/views/term_balance_view.h"

#include <qcustomplot.h>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

#include "core/recipe.h"
#include "core/run_files.h"

namespace distillery {

namespace {
// The loss plot's term colours, in the same order (terms keep their colour from view to view).
const QColor kColours[] = {QColor(0x1f77b4), QColor(0xff7f0e), QColor(0x2ca02c), QColor(0x9467bd),
                           QColor(0x8c564b), QColor(0xe377c2), QColor(0x17becf), QColor(0xbcbd22)};

QString percent(double share) {
    return QStringLiteral("%1 %").arg(100.0 * share, 0, 'f', share < 0.1 ? 2 : 1);
}

QString weightText(double w) {
    return QString::number(w, 'g', 3);
}

enum Column { Term, Weight, LossShare, GradShare, Status, Suggested, Columns };
}  // namespace

TermBalanceView::TermBalanceView(QWidget* parent) : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    mSummary = new QLabel(this);
    mSummary->setWordWrap(true);
    layout->addWidget(mSummary);

    mTable = new QTableWidget(0, Columns, this);
    mTable->setObjectName("termBalanceTable");
    mTable->setHorizontalHeaderLabels({tr("Term"), tr("Weight"), tr("Loss share"), tr("Gradient share"),
                                       tr("Status"), tr("Suggested weight")});
    mTable->horizontalHeaderItem(GradShare)->setToolTip(
        tr("Norm of the term's weighted gradient on the student's own parameters, as a share of "
           "the sum over all terms"));
    mTable->horizontalHeaderItem(Suggested)->setToolTip(
        tr("The weight that would give the term the target share of the gradient, the other terms "
           "unchanged"));
    mTable->verticalHeader()->hide();
    mTable->setEditTriggers(QAbstractItemView::NoEditTriggers);
    mTable->setSelectionMode(QAbstractItemView::NoSelection);
    mTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    mTable->horizontalHeader()->setStretchLastSection(true);
    layout->addWidget(mTable);

    auto* row = new QHBoxLayout;
    auto* targetLabel = new QLabel(tr("Target share:"), this);
    mTarget = new QDoubleSpinBox(this);
    mTarget->setObjectName("termBalanceTarget");
    mTarget->setRange(1.0, 99.0);
    mTarget->setDecimals(0);
    mTarget->setSuffix(QStringLiteral(" %"));
    mTarget->setToolTip(tr("The share of the student's gradient a suggested weight gives its term"));
    targetLabel->setBuddy(mTarget);
    mApply = new QPushButton(tr("Apply Suggested Weights"), this);
    mApply->setObjectName("applySuggestedWeights");
    mApply->setToolTip(
        tr("Writes the suggested weights of the flagged terms into the recipe, for the next run"));
    row->addWidget(targetLabel);
    row->addWidget(mTarget);
    row->addStretch(1);
    row->addWidget(mApply);
    layout->addLayout(row);

    mPlot = new QCustomPlot(this);
    mPlot->setObjectName("termBalancePlot");
    mPlot->setMinimumHeight(160);
    mPlot->xAxis->setLabel(tr("step"));
    mPlot->yAxis->setLabel(tr("gradient share (%)"));
    mPlot->yAxis->setScaleType(QCPAxis::stLogarithmic);
    mPlot->yAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    mPlot->yAxis->setRange(0.1, 100.0);
    mPlot->legend->setVisible(true);
    mPlot->legend->setBrush(QColor(255, 255, 255, 200));
    // The legend sits under the plot, outside the data.
    auto* legendRow = new QCPLayoutGrid;
    mPlot->plotLayout()->addElement(1, 0, legendRow);
    legendRow->setMargins(QMargins(5, 0, 5, 5));
    legendRow->addElement(0, 0, mPlot->legend);
    mPlot->legend->setFillOrder(QCPLegend::foColumnsFirst);
    mPlot->plotLayout()->setRowStretchFactor(1, 0.001);
    layout->addWidget(mPlot, 1);

    connect(mTarget, &QDoubleSpinBox::valueChanged, this, [this] { refresh(); });
    connect(mApply, &QPushButton::clicked, this, [this] {
        const auto weights = suggestions();
        if (!weights.isEmpty()) Q_EMIT weightsSuggested(weights);
    });
    clear();
}

void TermBalanceView::clear(const DiagnosticsSpec& spec) {
    mSpec = spec;
    mFromRun = false;
    mSamples.clear();
    const QSignalBlocker block(mTarget);
    mTarget->setValue(100.0 * spec.targetShare);
    refresh();
    replot();
}

double TermBalanceView::targetShare() const {
    return mTarget->value() / 100.0;
}

void TermBalanceView::setTargetShare(double share) {
    mTarget->setValue(100.0 * share);
}

void TermBalanceView::addSample(const BalanceSample& sample) {
    mSamples.push_back(sample);
    refresh();
    replot();
}

bool TermBalanceView::loadRun(const QString& runDir, QString* error) {
    DiagnosticsSpec spec;
    try {
        spec = loadRecipe(QDir(runDir).filePath("recipe.yaml").toStdString()).diagnostics;
    } catch (const std::exception&) {
        // A run whose recipe no longer loads (a teacher moved away) still shows its samples with the
        // defaults.
    }
    clear(spec);
    mFromRun = true;
    RunPaths paths{runDir.toStdString()};
    try {
        mSamples = readBalance(paths.diagnostics());
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        refresh();
        return false;
    }
    refresh();
    replot();
    return true;
}

QVector<std::pair<QString, double>> TermBalanceView::suggestions() const {
    QVector<std::pair<QString, double>> out;
    if (mSamples.empty()) return out;
    const BalanceSample& s = mSamples.back();
    for (size_t i : termsToAdjust(s, mSpec)) {
        if (auto w = suggestedWeight(s, i, targetShare()))
            out.push_back({QString::fromStdString(s.terms[i].label), *w});
    }
    return out;
}

QString TermBalanceView::cellText(int row, int column) const {
    const QTableWidgetItem* item = mTable->item(row, column);
    return item ? item->text() : QString();
}

QString TermBalanceView::summaryText() const {
    return mSummary->text();
}

void TermBalanceView::refresh() {
    if (mSamples.empty()) {
        mSummary->setText(
            mFromRun
                ? tr("This run has no term balance: it trained with one loss term, stopped before its first "
                     "step, or its recipe turned it off (diagnostics.every: 0).")
            : mSpec.every > 0
                ? tr("No term balance yet: a distillation run measures it every %n step(s), from its first.",
                     "", mSpec.every)
                : tr("Term balance is off in this recipe (diagnostics.every: 0)."));
        mTable->setRowCount(0);
        mTable->setFixedHeight(mTable->horizontalHeader()->height() + 2 * mTable->frameWidth());
        mApply->setEnabled(false);
        return;
    }
    const BalanceSample& s = mSamples.back();
    int flagged = 0;
    const auto toAdjust = termsToAdjust(s, mSpec);
    mTable->setRowCount(static_cast<int>(s.terms.size()));
    for (size_t i = 0; i < s.terms.size(); ++i) {
        const TermBalance& t = s.terms[i];
        const BalanceFlag flag = balanceFlag(s, i, mSpec);
        const auto suggestion = suggestedWeight(s, i, targetShare());
        const int r = static_cast<int>(i);
        auto set = [&](int column, const QString& text) {
            auto* item = new QTableWidgetItem(text);
            if (column != Term && column != Status) item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (flag != BalanceFlag::None) item->setForeground(QColor(0xb00000));
            mTable->setItem(r, column, item);
        };
        set(Term, QString::fromStdString(t.label));
        mTable->item(r, Term)->setForeground(kColours[i % (sizeof(kColours) / sizeof(kColours[0]))]);
        set(Weight, weightText(t.weight));
        set(LossShare, percent(t.lossShare));
        set(GradShare, percent(t.gradShare));
        set(Status, flag == BalanceFlag::Dominant
                        ? tr("⚠ drowns the others (above %1)").arg(percent(mSpec.dominant))
                    : flag == BalanceFlag::Negligible
                        ? tr("⚠ hardly counts (below %1)").arg(percent(mSpec.negligible))
                        : tr("balanced"));
        const bool adjust = std::find(toAdjust.begin(), toAdjust.end(), i) != toAdjust.end();
        set(Suggested, suggestion && adjust ? weightText(*suggestion) : QString());
        if (suggestion)
            mTable->item(r, Suggested)
                ->setToolTip(tr("Weight %1 would give this term %2 of the gradient")
                                 .arg(weightText(*suggestion), percent(targetShare())));
        flagged += flag != BalanceFlag::None;
    }
    mSummary->setText(
        flagged > 0
            ? tr("Step %1 (epoch %2): %n term(s) out of balance.", "", flagged).arg(s.step).arg(s.epoch)
            : tr("Step %1 (epoch %2): every term between %3 and %4 of the gradient.")
                  .arg(s.step)
                  .arg(s.epoch)
                  .arg(percent(mSpec.negligible), percent(mSpec.dominant)));
    mApply->setEnabled(!suggestions().isEmpty());
    // The table as tall as its rows, so the plot below gets the rest.
    int height = mTable->horizontalHeader()->height() + 2 * mTable->frameWidth();
    for (int row = 0; row < mTable->rowCount(); ++row)
        height += mTable->rowHeight(row);
    mTable->setFixedHeight(std::max(height, 60));
}

void TermBalanceView::replot() {
    mPlot->clearGraphs();
    mPlot->clearItems();
    QStringList labels;
    for (const auto& s : mSamples)
        for (const auto& t : s.terms)
            if (!labels.contains(QString::fromStdString(t.label))) labels << QString::fromStdString(t.label);
    for (int i = 0; i < labels.size(); ++i) {
        QCPGraph* g = mPlot->addGraph();
        g->setName(labels[i]);
        g->setPen(QPen(kColours[i % (sizeof(kColours) / sizeof(kColours[0]))], 1.6));
        g->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, 4));
        for (const auto& s : mSamples)
            for (const auto& t : s.terms)
                if (QString::fromStdString(t.label) == labels[i])
                    g->addData(static_cast<double>(s.step), std::max(0.1, 100.0 * t.gradShare));
    }
    // The thresholds, dashed.
    for (double share : {mSpec.dominant, mSpec.negligible}) {
        auto* line = new QCPItemStraightLine(mPlot);
        line->point1->setCoords(0, 100.0 * share);
        line->point2->setCoords(1, 100.0 * share);
        line->setPen(QPen(QColor(0xb00000), 1, Qt::DashLine));
    }
    if (!mSamples.empty()) {
        const double last = static_cast<double>(mSamples.back().step);
        const double first = static_cast<double>(mSamples.front().step);
        mPlot->xAxis->setRange(first, std::max(last, first + 1.0));
    } else {
        mPlot->xAxis->setRange(0, 1);
    }
    mPlot->legend->setVisible(!labels.isEmpty());
    mPlot->replot(QCustomPlot::rpQueuedReplot);
}

}  // namespace distillery
