#pragma once
// `distillery --screenshots DIR`: runs a short demo in the window and saves each main view as a PNG, so the
// documentation's pictures come from the program itself.

#include <QObject>
#include <QString>
#include <string>
#include <vector>

class QTimer;
class QWidget;

namespace distillery {

class MainWindow;

class ScreenshotTour : public QObject {
    Q_OBJECT

public:
    /** `prefix` starts every file name (e.g. "zh_CN-"); `overrides` shorten the demo recipe (--set style). */
    ScreenshotTour(MainWindow* window, QString outDir, QString prefix, std::vector<std::string> overrides,
                   QObject* parent = nullptr);

    void start();
    QStringList written() const { return mWritten; }

Q_SIGNALS:
    void finished(int exitCode);

private:
    void shoot(QWidget* widget, const QString& name);
    void shootViews(const QString& studentRun);
    /** PTQ at 8 bit, sensitivity, a mixed-precision fit and QAT of the demo's student, then the page. */
    void shootQuantize(const QString& studentRun);
    void finish(int exitCode);

    MainWindow* mWindow;
    QString mOutDir;
    QString mPrefix;
    std::vector<std::string> mOverrides;
    QStringList mWritten;
    QTimer* mPoll = nullptr;
    bool mShotLoading = false;
    bool mShotTraining = false;
    bool mShotViews = false;
    bool mDone = false;
};

}  // namespace distillery
