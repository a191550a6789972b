#pragma once
// Term balance: how much of the student's learning signal each loss term provides (core/diagnostics.h). A
// table of the latest sample (weight, share of the loss, share of the gradient, a flag when a term drowns the
// others or hardly counts, the weight that would give it the chosen share) above the gradient shares over
// the run, live or from a run folder's diagnostics.jsonl. "Apply" writes the suggested weights into the
// recipe for the next run.

#include <QString>
#include <QVector>
#include <QWidget>
#include <utility>
#include <vector>

#include "core/diagnostics.h"

class QCustomPlot;
class QDoubleSpinBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace distillery {

class TermBalanceView : public QWidget {
    Q_OBJECT

public:
    explicit TermBalanceView(QWidget* parent = nullptr);

    /** Forgets the samples; `spec` gives the thresholds and the default target share. */
    void clear(const DiagnosticsSpec& spec = {});
    void addSample(const BalanceSample& sample);
    /** The samples of a run folder's diagnostics.jsonl, with the thresholds of its recipe.yaml; false (and
     *  *error) when the file is malformed. A run without the file shows an explanation. */
    bool loadRun(const QString& runDir, QString* error = nullptr);

    int sampleCount() const { return static_cast<int>(mSamples.size()); }
    const BalanceSample* latest() const { return mSamples.empty() ? nullptr : &mSamples.back(); }
    /** The share suggested weights aim at, 0..1. */
    double targetShare() const;
    void setTargetShare(double share);
    /** The latest sample's terms to adjust (core termsToAdjust) with the weight suggested for each. */
    QVector<std::pair<QString, double>> suggestions() const;
    QString cellText(int row, int column) const;
    QString summaryText() const;
    QCustomPlot* plot() const { return mPlot; }

Q_SIGNALS:
    /** "Apply suggested weights": each flagged term's label and its suggested weight. */
    void weightsSuggested(const QVector<std::pair<QString, double>>& weights);

private:
    void refresh();
    void replot();

    DiagnosticsSpec mSpec;
    bool mFromRun = false;  // the samples are a run folder's, not a live run's
    std::vector<BalanceSample> mSamples;
    QLabel* mSummary;
    QTableWidget* mTable;
    QDoubleSpinBox* mTarget;
    QPushButton* mApply;
    QCustomPlot* mPlot;
};

}  // namespace distillery
