#pragma once
// Teacher and student channels of one tap pair as heat-map tiles (student tile under its teacher tile),
// the per-channel KL(p_T || p_S) of CWD's spatial softmaxes as a sortable bar chart, and an enlarged
// teacher / student / difference view of the selected channel. It asks for snapshots by signal only, so the
// same view serves a live job (Job::requestSnapshot) and a finished run (snapshotRun on a worker thread).

#include <QImage>
#include <QList>
#include <QPair>
#include <QString>
#include <QVector>
#include <QWidget>
#include <vector>

#include "core/engine.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QCPBars;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;
class QTimer;

namespace distillery {

class ChannelGrid;

class ChannelInspectorView : public QWidget {
    Q_OBJECT

public:
    enum class Normalisation { Raw, PerChannel, Softmax };

    explicit ChannelInspectorView(QWidget* parent = nullptr);
    ~ChannelInspectorView() override;

    /** (teacherTap, studentTap) pairs offered in the combo; teacherTap is empty for train jobs. */
    void setTapPairs(const QList<QPair<QString, QString>>& pairs);
    QString teacherTap() const;
    QString studentTap() const;
    /** Upper bound of the sample spin box (the split's size). */
    void setSampleCount(qint64 count);
    void setSampleIndex(qint64 index);
    qint64 sampleIndex() const;
    /** "val" or "train". */
    void setSplit(const QString& split);
    QString split() const;

    /** While live, snapshotRequested is emitted every refreshInterval() ms (0 = never). */
    void setLive(bool live);
    bool isLive() const { return mLive; }
    void setRefreshInterval(int milliseconds);
    int refreshInterval() const;

    void setSnapshot(const ActivationSnapshot& snapshot);
    const ActivationSnapshot& snapshot() const { return mSnapshot; }
    /** A one-line message under the tiles, e.g. a snapshot error reported by the engine. */
    void showMessage(const QString& text);

    void setNormalisation(Normalisation mode);
    Normalisation normalisation() const { return mNormalisation; }
    void setTau(double tau);
    double tau() const { return mTau; }
    void setSortByKl(bool sorted);
    bool sortByKl() const { return mSortByKl; }
    void selectChannel(int channel);
    int selectedChannel() const { return mSelected; }

    /** Channels of the teacher (or student) grid whose values are not all equal. */
    int nonConstantTiles(bool teacher) const;
    /** KL(p_T || p_S) per channel at tau (no tau^2), as computed; empty without a comparable teacher. */
    QVector<double> channelKl() const { return mKl; }
    /** Channel shown by each bar, left to right (channel order, or KL descending when sorted). */
    QVector<int> barOrder() const { return mBarOrder; }
    /** CWD's loss on this sample: tau^2 * mean over channels of KL. */
    double cwdLoss() const;

public Q_SLOTS:
    /** Emits snapshotRequested for the current tap pair, sample and split. */
    void requestSnapshot();

Q_SIGNALS:
    void snapshotRequested(const QString& teacherTap, const QString& studentTap, qint64 sample,
                           const QString& split);
    /** "Distributions…": the tap pair's channel distributions over many samples, at `channel`. */
    void distributionsRequested(const QString& teacherTap, const QString& studentTap, int channel,
                                double tau);

private:
    struct Plane {
        float lo = 0, hi = 0;
        bool constant = true;
    };
    void recompute();
    void rebuildImages();
    void rebuildBars();
    void updateDetail();
    void updateTimer();
    void updateStatus();
    const float* teacherPlane(int c) const;
    const float* studentPlane(int c) const;
    bool hasTeacher() const;
    /** FGD's foreground mask of the snapshot's sample at h × w, empty unless shown (core/detection.h). */
    std::vector<float> foregroundMask(int h, int w) const;

    // Controls
    QComboBox* mTapCombo = nullptr;
    QComboBox* mSplitCombo = nullptr;
    QSpinBox* mSampleSpin = nullptr;
    QSpinBox* mIntervalSpin = nullptr;
    QComboBox* mNormCombo = nullptr;
    QDoubleSpinBox* mTauSpin = nullptr;
    QSlider* mZoomSlider = nullptr;
    QCheckBox* mSortBox = nullptr;
    QCheckBox* mFgdBox = nullptr;  // detection: FGD's foreground mask over the detail maps
    QLabel* mStatus = nullptr;
    QLabel* mMessage = nullptr;
    ChannelGrid* mGrid = nullptr;
    // Detail panel
    QLabel* mDetailTitle = nullptr;
    QLabel* mInputImage = nullptr;
    QLabel* mTeacherImage = nullptr;
    QLabel* mStudentImage = nullptr;
    QLabel* mDiffImage = nullptr;
    QLabel* mTeacherCaption = nullptr;
    QLabel* mStudentCaption = nullptr;
    QLabel* mDiffCaption = nullptr;
    QLabel* mHeatBar = nullptr;
    QLabel* mDiffBar = nullptr;
    QLabel* mHeatRange = nullptr;
    QLabel* mDiffRange = nullptr;
    QLabel* mDetailText = nullptr;
    QWidget* mDiffBox = nullptr;
    QWidget* mTeacherBox = nullptr;
    // KL chart
    QCustomPlot* mBarsPlot = nullptr;
    QCPBars* mBars = nullptr;
    QCPBars* mSelectedBar = nullptr;
    QTimer* mLiveTimer = nullptr;

    ActivationSnapshot mSnapshot;
    std::vector<float> mStudentResized;  // student resized to the teacher's H x W when they differ
    std::vector<float> mTeacherShown, mStudentShown;  // planes as displayed (softmax mode: probabilities)
    QVector<Plane> mTeacherPlanes, mStudentPlanes;    // raw ranges
    QVector<double> mKl;
    QVector<int> mBarOrder;
    Normalisation mNormalisation = Normalisation::Raw;
    double mTau = 4.0;
    bool mSortByKl = false;
    bool mLive = false;
    int mSelected = -1;
    bool mHaveSnapshot = false;
};

}  // namespace distillery
