#pragma once
// What a data-free student learns from: the images its run's generator makes, one row per class, each framed
// in red where the teacher sees another class than the one asked for, with the teacher's and the student's
// view of them and how close their batch statistics come to the teacher's training data (core/data_free.h).
// The generator runs on a worker thread.

#include <QFutureWatcher>
#include <QString>
#include <QWidget>

#include "core/data_free.h"

class QLabel;
class QPushButton;
class QCheckBox;

namespace distillery {

class GeneratedGrid;

class GeneratedImagesView : public QWidget {
    Q_OBJECT

public:
    explicit GeneratedImagesView(QWidget* parent = nullptr);
    ~GeneratedImagesView() override;

    /** Generates perClass() images of every class with the run's generator (and, for comparison, with the
     *  generator as the run initialised it) on a worker thread; emits ready() or errorOccurred(). */
    void showRun(const QString& runDir);
    void clear();
    /** Shows images already generated (`initial`: the untrained generator's figures, for the summary). */
    void setImages(const GeneratedImages& images, const GeneratedImages* initial = nullptr);

    void setPerClass(int n) { mPerClass = std::max(1, n); }
    int perClass() const { return mPerClass; }
    QString runDir() const { return mRunDir; }
    bool isBusy() const { return mWatcher.isRunning(); }
    const GeneratedImages& images() const { return mImages; }
    QString summaryText() const;

Q_SIGNALS:
    void ready();
    void errorOccurred(const QString& message);

private:
    struct Outcome {
        GeneratedImages trained, initial;
        QString error;
        quint64 generation = 0;
    };
    void start();
    void onFinished();

    QLabel* mSummary = nullptr;
    QPushButton* mRedraw = nullptr;
    QCheckBox* mMismatchOnly = nullptr;
    GeneratedGrid* mGrid = nullptr;
    QFutureWatcher<Outcome> mWatcher;
    QString mRunDir;
    GeneratedImages mImages;
    quint64 mGeneration = 0;
    uint64_t mSeed = 1;
    int mPerClass = 12;
};

}  // namespace distillery
