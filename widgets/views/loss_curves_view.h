#pragma once
// Live and recorded training curves: one per loss term, the total, the learning rate (right axis) and the
// validation metric (own axis rect below), with EMA smoothing, log scale, overlays of earlier runs,
// hover read-out, zoom/pan and PNG/CSV export. Live points are cheap: replots are batched by a timer.

#include <QColor>
#include <QHash>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <memory>
#include <vector>

#include "core/baseline.h"
#include "core/engine.h"

class QCustomPlot;
class QCPAxis;
class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCheckBox;
class QLabel;
class QSlider;
class QTimer;
class QMouseEvent;

namespace distillery {

class LossCurvesView : public QWidget {
    Q_OBJECT

public:
    explicit LossCurvesView(QWidget* parent = nullptr);
    ~LossCurvesView() override;

    /** Removes the current run's curves (overlays stay). */
    void clear();
    /** Adds one point to "loss/<term>" for each term, "loss/total" and "lr". */
    void addStep(const StepEvent& event);
    /** Adds the validation metric ("val/top1" or "val/miou") at the epoch's step. */
    void addEpoch(const EpochEvent& event);
    /** Replaces the curves with those of a run folder's metrics.jsonl; false (and *error) when unreadable. */
    bool loadRun(const QString& runDir, QString* error = nullptr);

    /** The student alone's validation curve (core/baseline.h), drawn dashed under the run's own, with the
     *  gap at the latest epoch both have above the plot; an empty curve removes it. */
    void setBaseline(const BaselineCurve& curve);
    bool hasBaseline() const { return !mBaseline.empty(); }
    /** "vs the student alone at epoch 3: +1.24" (empty without a common epoch). */
    QString baselineGapText() const;
    /** The run is below the student alone at the latest common epoch. */
    bool belowBaseline() const { return mBelowBaseline; }

    /** Draws an earlier run's curves dashed, for comparison; legend entries are prefixed with `label`. */
    bool addOverlay(const QString& runDir, const QString& label, QString* error = nullptr);
    void clearOverlays();
    int overlayCount() const { return mOverlayLabels.size(); }

    /** EMA weight of the past, 0 (off) .. 0.99; applies to loss curves, not to lr or the metric. */
    void setSmoothing(double alpha);
    double smoothing() const { return mSmoothing; }
    /** The user's choice (the check box): no automatic log axis afterwards. Without one, the loss axis is
     *  logarithmic while the terms' latest values differ by a factor of 100 or more. */
    void setLogScale(bool on);
    bool logScale() const { return mLogScale; }

    /** Writes the plot as PNG (width/height 0 = the widget's size, or 1200x700 when not laid out). */
    bool exportPng(const QString& path, int width = 0, int height = 0);
    /** Writes "step,<curve>,..." then one row per step with raw (unsmoothed) values; empty where absent. */
    bool exportCsv(const QString& path) const;

    /** The current run's curves in display order: loss terms, loss/total, lr, val metric. */
    QStringList curveNames() const;
    int pointCount(const QString& curve) const;
    /** Values as drawn (smoothed where smoothing applies); empty for an unknown curve. */
    QVector<double> displayedValues(const QString& curve) const;

    /** Fits all data and follows new points again (also on double-click). */
    void fitAll();
    /** The hover read-out as plain text, "step 120  loss/total 0.61  lr 0.01 ..." (tests, status bars). */
    QString readout() const;
    /** Shows the read-out for the point nearest to `step`, as hovering does. */
    void showReadoutAt(double step);
    QCustomPlot* plot() const { return mPlot; }

private:
    enum class Kind { Loss, Lr, Metric };
    struct Curve {
        QString name;
        Kind kind = Kind::Loss;
        QVector<double> keys, values;
        double ema = 0;
        QCPGraph* graph = nullptr;  // as displayed (smoothed for losses)
        QCPGraph* raw = nullptr;    // faint raw data, shown while smoothing is on (losses of the current run)
        bool overlay = false;
    };

    Curve& curve(const QString& name, Kind kind, bool overlay = false, const QString& label = {},
                 int overlayIndex = 0);
    void append(Curve& c, double key, double value);
    void restyle(Curve& c);
    void resmooth(Curve& c);
    QColor colourFor(const QString& name);
    static Kind kindOf(const QString& name);
    static bool parseRun(const QString& runDir, QVector<QPair<QString, QPair<double, double>>>* points,
                         QString* error);
    void scheduleReplot();
    void doReplot();
    void stopFollowing();
    void onMouseMove(QMouseEvent* event);
    void removeCurves(bool overlays);

    void updateBaselineGap();
    bool termsSpanDecades() const;
    void applyLogScale(bool on);

    BaselineCurve mBaseline;
    QCPGraph* mBaselineGraph = nullptr;
    QLabel* mBaselineGap = nullptr;
    bool mBelowBaseline = false;
    QCustomPlot* mPlot = nullptr;
    QCPAxisRect* mMetricRect = nullptr;
    QCPItemStraightLine* mCursorLoss = nullptr;
    QCPItemStraightLine* mCursorMetric = nullptr;
    QSlider* mSmoothingSlider = nullptr;
    QLabel* mSmoothingLabel = nullptr;
    QCheckBox* mLogBox = nullptr;
    QLabel* mReadout = nullptr;
    QTimer* mReplotTimer = nullptr;
    QString mReadoutPlain;

    std::vector<std::unique_ptr<Curve>> mCurves;  // current run first, then overlays
    QHash<QString, QColor> mColours;
    QStringList mOverlayLabels;
    double mSmoothing = 0.0;
    bool mLogScale = false;
    bool mLogChosen = false;  // the user ticked or cleared "Log scale": no automatic choice
    bool mFollow = true;      // auto-fit on new data until the user zooms or pans
};

}  // namespace distillery
