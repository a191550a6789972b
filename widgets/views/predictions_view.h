#pragma once
// What a trained model gets right and wrong: for classification a confusion matrix and a grid of sample
// predictions (student and teacher, misclassified highlighted); for segmentation rows of
// image | ground truth | teacher | student masks with per-class IoU. Evaluation runs on a worker thread.

#include <QFutureWatcher>
#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>
#include <vector>

#include "core/engine.h"

class QCheckBox;
class QCustomPlot;
class QCPColorMap;
class QLabel;
class QPushButton;
class QScrollArea;
class QStackedWidget;

namespace distillery {

class SampleCards;
class SegmentationRows;

class PredictionsView : public QWidget {
    Q_OBJECT

public:
    explicit PredictionsView(QWidget* parent = nullptr);
    ~PredictionsView() override;

    /**
     * Evaluates the run's checkpoint on its validation split and predicts the first sampleCount() samples
     * on a worker thread; the view fills itself and emits ready(), or errorOccurred() with the engine's
     * message. A newer call supersedes a pending one.
     */
    void showRun(const QString& runDir, const QString& checkpoint = QStringLiteral("best"));
    /** Fills the view directly (class names may be empty: "class i" is shown). */
    void setResults(const EvalResult& result, const std::vector<SamplePrediction>& predictions, Task task,
                    const QStringList& classNames);
    void clear();

    /** Samples predicted by showRun (default 48). */
    void setSampleCount(int count);
    int sampleCount() const { return mSampleCount; }
    bool isBusy() const { return mWatcher.isRunning(); }
    QString runDir() const { return mRunDir; }
    Task task() const { return mTask; }

    int confusionSize() const { return mConfusion.size(); }
    qint64 confusionAt(int truth, int predicted) const;
    /** Samples listed in the grid / rows after filtering. */
    int shownSamples() const;
    /** Restricts the sample grid to true class `truth` predicted as `predicted` (-1, -1 = all). */
    void setCellFilter(int truth, int predicted);
    void setMisclassifiedOnly(bool on);

Q_SIGNALS:
    void ready();
    void errorOccurred(const QString& message);

private:
    struct Outcome {
        EvalResult eval;
        std::vector<SamplePrediction> predictions;
        Task task = Task::Classification;
        QStringList classNames;
        QString error;
        quint64 generation = 0;
    };
    void onFinished();
    void fillConfusion();
    void applyFilter();
    void updateSummary();
    QString className(int index) const;

    QLabel* mSummary = nullptr;
    QStackedWidget* mStack = nullptr;
    // classification page
    QCustomPlot* mMatrixPlot = nullptr;
    QCPColorMap* mMatrix = nullptr;
    QCheckBox* mWrongOnly = nullptr;
    QLabel* mFilterLabel = nullptr;
    QPushButton* mShowAll = nullptr;
    SampleCards* mCards = nullptr;
    // segmentation page
    QLabel* mIouLegend = nullptr;
    SegmentationRows* mRows = nullptr;

    QFutureWatcher<Outcome> mWatcher;
    quint64 mGeneration = 0;
    QString mRunDir;
    int mSampleCount = 48;

    EvalResult mResult;
    std::vector<SamplePrediction> mPredictions;
    Task mTask = Task::Classification;
    QStringList mClassNames;
    QVector<QVector<qint64>> mConfusion;
    int mFilterTruth = -1, mFilterPredicted = -1;
};

}  // namespace distillery
