#include "widgets/screenshot_tour.h"

#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QEventLoop>
#include <QFileInfo>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>

#include "widgets/data_dock.h"
#include "widgets/documentation_viewer.h"
#include "widgets/main_window.h"
#include "widgets/models_dock.h"
#include "widgets/prune_dialog.h"
#include "widgets/quantize_page.h"
#include "widgets/recipe_dock.h"
#include "widgets/recipe_document.h"
#include "widgets/resource_paths.h"
#include "widgets/run_controller.h"
#include "widgets/settings_dialog.h"
#include "widgets/views/channel_distribution_view.h"
#include "widgets/views/channel_inspector_view.h"
#include "widgets/views/loss_curves_view.h"
#include "widgets/views/predictions_view.h"
#include "widgets/views/runs_table_view.h"
#include "widgets/views/term_balance_view.h"

namespace distillery {

namespace {
constexpr int kWindowWidth = 1440;
constexpr int kWindowHeight = 900;
constexpr int kTourLimitMs = 9 * 60 * 1000;

/** Lets queued events (repaints, replot timers) run for a while. */
void settle(int ms) {
    QElapsedTimer t;
    t.start();
    while (t.elapsed() < ms)
        QApplication::processEvents(QEventLoop::AllEvents, 50);
}
}  // namespace

ScreenshotTour::ScreenshotTour(MainWindow* window, QString outDir, QString prefix,
                               std::vector<std::string> overrides, QObject* parent)
    : QObject(parent),
      mWindow(window),
      mOutDir(std::move(outDir)),
      mPrefix(std::move(prefix)),
      mOverrides(std::move(overrides)) {}

void ScreenshotTour::start() {
    QDir().mkpath(mOutDir);
    mWindow->resize(kWindowWidth, kWindowHeight);
    mWindow->resetLayout();
    mWindow->show();
    mWindow->showWelcome(true);
    settle(800);
    shoot(mWindow, "welcome");

    connect(mWindow->runController(), &RunController::runFinished, this,
            [this](const QString& runDir, const RunSummary& summary, RunController::RunKind kind) {
                // The demo may train its teacher first; the pictures are of the distillation. The window
                // knows which run it started as what.
                if (kind == RunController::RunKind::Teacher) return;
                if (mShotViews) return;  // the tour's own later runs (QAT) end here too
                mShotViews = true;
                if (summary.status != RunStatus::Finished) {
                    finish(1);
                    return;
                }
                shootViews(runDir);
                finish(0);
            });
    // Mid-run picture: once the curves have some length.
    mPoll = new QTimer(this);
    connect(mPoll, &QTimer::timeout, this, [this] {
        // The status bar's: the Quantize page has a progress bar of its own.
        auto* bar = mWindow->statusBar()->findChild<QProgressBar*>();
        // While the job is built the bar is a busy indicator beside "Loading the data and the models…".
        if (!mShotLoading && bar && bar->maximum() == 0 && mWindow->isRunning()) {
            mShotLoading = true;
            shoot(mWindow, "loading");
        }
        if (!mShotTraining && bar && bar->maximum() > 1 && bar->value() >= bar->maximum() / 3 &&
            mWindow->runKind() == MainWindow::RunKind::Student) {
            mShotTraining = true;
            settle(300);
            shoot(mWindow, "training");
        }
    });
    mPoll->start(250);
    QTimer::singleShot(kTourLimitMs, this, [this] { finish(2); });
    if (!mWindow->runDemo(mOverrides)) finish(1);
}

void ScreenshotTour::shoot(QWidget* widget, const QString& name) {
    const QString path = mOutDir + "/" + mPrefix + name + ".png";
    if (widget->grab().save(path)) mWritten << path;
}

void ScreenshotTour::shootViews(const QString& studentRun) {
    // Predictions are computed after the run; give them and the final snapshot time to arrive.
    QEventLoop wait;
    connect(mWindow->predictions(), &PredictionsView::ready, &wait, &QEventLoop::quit);
    connect(mWindow->predictions(), &PredictionsView::errorOccurred, &wait, &QEventLoop::quit);
    QTimer::singleShot(8000, &wait, &QEventLoop::quit);
    wait.exec();
    settle(1500);
    shoot(mWindow, "main_window");

    // The live views are shown floating at a generous size, as a user would enlarge them to study them.
    auto dockShot = [this](QWidget* view, const QString& name, QSize floating = {}) {
        QDockWidget* dock = mWindow->dockFor(view);
        if (!dock) return;
        dock->raise();
        if (floating.isValid()) {
            dock->setFloating(true);
            dock->resize(floating);
        }
        settle(600);
        shoot(dock, name);
        if (floating.isValid()) dock->setFloating(false);
    };
    dockShot(mWindow->lossCurves(), "loss_curves", QSize(1100, 620));
    dockShot(mWindow->inspector(), "channel_inspector", QSize(1200, 860));
    // The inspector's "Distributions…" on its selected channel: every channel over 64 samples.
    if (auto* button = mWindow->inspector()->findChild<QPushButton*>("showDistributions")) {
        QEventLoop computed;
        connect(mWindow->distributions(), &ChannelDistributionView::ready, &computed, &QEventLoop::quit);
        connect(mWindow->distributions(), &ChannelDistributionView::errorOccurred, &computed,
                &QEventLoop::quit);
        QTimer::singleShot(60000, &computed, &QEventLoop::quit);
        button->click();
        computed.exec();
        dockShot(mWindow->distributions(), "channel_distributions", QSize(1200, 860));
    }
    dockShot(mWindow->predictions(), "predictions", QSize(1100, 760));
    dockShot(mWindow->termBalance(), "term_balance", QSize(900, 640));
    dockShot(mWindow->runsTable(), "runs");
    dockShot(mWindow->modelsDock(), "models");
    // The shipped imported teacher (a CNN trained in PyTorch), as Import ONNX… shows it; then undone.
    const QString onnx = resourcesFolder() + "/teachers/fmnist_vgg_torch.onnx";
    QString importError;
    if (QFileInfo::exists(onnx) && mWindow->modelsDock()->importModel(true, onnx, &importError)) {
        dockShot(mWindow->modelsDock(), "models_onnx", QSize(520, 900));
        mWindow->document()->undoStack()->undo();
    }
    dockShot(mWindow->dataDock(), "data");
    if (auto* tabs = mWindow->recipeDock()->findChild<QTabWidget*>()) {
        const QStringList names{"recipe_terms", "recipe_training", "recipe_yaml"};
        for (int i = 0; i < tabs->count() && i < names.size(); ++i) {
            tabs->setCurrentIndex(i);
            dockShot(mWindow->recipeDock(), names[i]);
        }
        tabs->setCurrentIndex(0);
    }
    shootQuantize(studentRun);

    // Segmentation samples with their masks, after everything else (it changes the recipe).
    QEventLoop dataReady;
    connect(mWindow->dataDock(), &DataDock::previewReady, &dataReady, &QEventLoop::quit);
    QTimer::singleShot(60000, &dataReady, &QEventLoop::quit);
    mWindow->dataDock()->selectDataset("fashion_scenes");
    dataReady.exec();
    dockShot(mWindow->dataDock(), "data_segmentation");
    // Detection: scenes with their boxes, and the shipped detector's boxes against the ground truth.
    QTimer::singleShot(60000, &dataReady, &QEventLoop::quit);
    mWindow->dataDock()->selectDataset("fashion_scenes_det");
    dataReady.exec();
    dockShot(mWindow->dataDock(), "data_detection");
    const QString detector = resourcesFolder() + "/teachers/det_centernet_resnet20";
    if (QFileInfo::exists(detector + "/checkpoints/best.pt")) {
        QEventLoop predicted;
        connect(mWindow->predictions(), &PredictionsView::ready, &predicted, &QEventLoop::quit);
        connect(mWindow->predictions(), &PredictionsView::errorOccurred, &predicted, &QEventLoop::quit);
        QTimer::singleShot(120000, &predicted, &QEventLoop::quit);
        mWindow->predictions()->showRun(detector, "best");
        predicted.exec();
        dockShot(mWindow->predictions(), "predictions_detection", QSize(1100, 900));
    }

    SettingsDialog dialog(AppSettings::load(), mWindow);
    dialog.show();
    settle(300);
    shoot(&dialog, "settings");
    dialog.close();

    // Run > Prune Model on the shipped teacher.
    PruneDialog prune(resourcesFolder() + "/teachers/fmnist_resnet20", mWindow);
    prune.show();
    settle(300);
    shoot(&prune, "prune");
    prune.close();

    // Help > Documentation, on the README's guide to the methods.
    DocumentationViewer* documentation = mWindow->showDocumentation();
    documentation->resize(1100, 760);
    documentation->showPage("docs/METHODS.md");
    settle(500);
    shoot(documentation, "documentation");
    documentation->close();
}

void ScreenshotTour::shootQuantize(const QString& studentRun) {
    QuantizePage* page = mWindow->quantizePage();
    // Waits for the page's work in flight; false when it failed or took too long.
    auto done = [page]() {
        if (!page->isBusy()) return false;
        QEventLoop loop;
        bool ok = false;
        connect(page, &QuantizePage::taskFinished, &loop, [&](QuantizePage::Task, bool success) {
            ok = success;
            loop.quit();
        });
        QTimer::singleShot(180000, &loop, &QEventLoop::quit);
        loop.exec();
        return ok;
    };
    // As a user would: select the student in the Runs table, then Run > Quantize and Export.
    mWindow->runsTable()->selectRunDirs({studentRun});
    mWindow->action("quantize")->trigger();
    if (!done()) return;
    // Deselected, so that the runs table does not swap the QAT curves for the student's when it refreshes.
    mWindow->runsTable()->selectRunDirs({});
    if (!page->calibrate() || !done()) return;
    if (!page->measureSensitivity() || !done()) return;
    page->setBudgetSlider(300);
    if (page->fitToBudget() && (!page->calibrate() || !done())) return;
    // Once-QAT for one epoch (one model for 8, 4 and 2 bits: a comparison row per width), watched in the loss
    // curves above the page.
    QEventLoop qat;
    connect(mWindow, &MainWindow::runFinished, &qat, &QEventLoop::quit);
    QTimer::singleShot(240000, &qat, &QEventLoop::quit);
    if (auto* epochs = page->findChild<QSpinBox*>("quantQatEpochs")) epochs->setValue(1);
    page->setQatWidths({8, 4, 2});
    if (page->startQat() && done() && mWindow->isRunning()) qat.exec();
    settle(1000);
    mWindow->dockFor(page)->raise();
    settle(600);
    shoot(mWindow, "quantize_window");
    QDockWidget* dock = mWindow->dockFor(page);
    dock->setFloating(true);
    dock->resize(1320, 900);
    settle(800);
    shoot(dock, "quantize");
    dock->setFloating(false);
}

void ScreenshotTour::finish(int exitCode) {
    if (mDone) return;
    mDone = true;
    if (mPoll) mPoll->stop();
    if (mWindow->isRunning()) {
        mWindow->stopRun();
        QEventLoop wait;
        connect(mWindow, &MainWindow::runFinished, &wait, &QEventLoop::quit);
        QTimer::singleShot(30000, &wait, &QEventLoop::quit);
        wait.exec();
    }
    Q_EMIT finished(exitCode);
}

}  // namespace distillery
