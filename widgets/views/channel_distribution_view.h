#pragma once
// Channel distributions (core/distributions.h): each channel's activations over a batch of samples, teacher
// beside student as box plots (5-25-50-75-95 %), sortable by the per-channel KL of CWD's spatial softmax
// (bars behind the boxes), and for the selected channel both histograms on shared bins and both mean spatial
// softmax maps. Computed on a worker thread from a run folder's checkpoint; the channel inspector opens it on
// its selected channel.

#include <QFutureWatcher>
#include <QString>
#include <QWidget>
#include <vector>

#include "core/distributions.h"

class QCheckBox;
class QCustomPlot;
class QLabel;
class QPushButton;
class QSpinBox;

namespace distillery {

class ChannelDistributionView : public QWidget {
    Q_OBJECT

public:
    explicit ChannelDistributionView(QWidget* parent = nullptr);
    ~ChannelDistributionView() override;

    /** Computes the distributions of `teacherTap` (empty: student alone) and `studentTap` for the run, on a
     *  worker; `channel` is selected when they arrive. */
    void showRun(const QString& runDir, const QString& teacherTap, const QString& studentTap, int channel = 0,
                 double tau = 1.0);
    /** Shows distributions computed elsewhere (tests, screenshots). */
    void setDistributions(const ChannelDistributions& distributions);
    const ChannelDistributions& distributions() const { return mData; }
    bool isBusy() const { return mWatcher.isRunning(); }

    void setSortByKl(bool sorted);
    /** Channels in the box plot, left to right (channel order, or KL descending when sorted). */
    std::vector<int64_t> order() const { return mOrder; }
    void selectChannel(int channel);
    int selectedChannel() const { return mSelected; }
    QString summaryText() const;
    QCustomPlot* boxPlot() const { return mBoxes; }
    QCustomPlot* histogramPlot() const { return mHistogram; }

Q_SIGNALS:
    void ready();
    void errorOccurred(const QString& message);

private:
    void compute();
    void rebuild();
    void updateDetail();

    QString mRunDir, mTeacherTap, mStudentTap;
    double mTau = 1.0;
    int mPendingChannel = 0;
    ChannelDistributions mData;
    std::vector<int64_t> mOrder;
    int mSelected = -1;
    bool mSortByKl = true;
    QFutureWatcher<ChannelDistributions> mWatcher;
    QString mError;

    QLabel* mSummary;
    QSpinBox* mSamples;
    QSpinBox* mFirst;
    QCheckBox* mSort;
    QPushButton* mCompute;
    QCustomPlot* mBoxes;
    QCustomPlot* mHistogram;
    QLabel* mTeacherMap;
    QLabel* mStudentMap;
    QLabel* mDetail;
};

}  // namespace distillery
