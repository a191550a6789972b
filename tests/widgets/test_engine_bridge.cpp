// The Qt bridge delivers the engine's events on the GUI thread as queued signals.

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QThread>
#include <QTimer>
#include <QtTest/QtTest>
#include <filesystem>

#include "widgets/engine_bridge.h"

using namespace distillery;

class EngineBridgeTest : public QObject {
    Q_OBJECT

    QString mScratch;

    Recipe recipe(const std::vector<std::string>& overrides = {}) {
        return parseRecipe(R"(
name: bridge
job: train
threads: 2
data: {dataset: fashion_mnist, subset: 128, workers: 1}
transforms: {eval: [{normalize: {mean: [0.286], std: [0.353]}}], train: [{normalize: {mean: [0.286], std: [0.353]}}]}
model: {arch: resnet8}
train: {epochs: 1, batch_size: 32, eval_batch_size: 64}
)",
                           "bridge.yaml", mScratch.toStdString(), overrides);
    }

private Q_SLOTS:
    void initTestCase() {
        mScratch =
            QDir::temp().filePath(QString("distillery-bridge-%1").arg(QCoreApplication::applicationPid()));
        QDir(mScratch).removeRecursively();
        QDir().mkpath(mScratch);
    }
    void cleanupTestCase() { QDir(mScratch).removeRecursively(); }

    void eventsArriveOnTheGuiThread() {
        EngineBridge bridge;
        int steps = 0;
        bool allOnGuiThread = true;
        connect(&bridge, &EngineBridge::stepReported, this, [&](const StepEvent& e) {
            ++steps;
            allOnGuiThread &= QThread::currentThread() == qApp->thread();
            QCOMPARE(e.step, int64_t(steps));
        });
        QSignalSpy epochs(&bridge, &EngineBridge::epochReported);
        QSignalSpy finished(&bridge, &EngineBridge::finished);
        QString error;
        QVERIFY2(bridge.start(recipe(), {(mScratch + "/run").toStdString()}, &error), qPrintable(error));
        QVERIFY(finished.wait(120000));
        QCOMPARE(steps, 4);  // 128 samples / 32
        QVERIFY(allOnGuiThread);
        QCOMPARE(epochs.count(), 1);
        const auto summary = finished.at(0).at(0).value<RunSummary>();
        QCOMPARE(summary.status, RunStatus::Finished);
        QVERIFY(!bridge.isRunning());
    }

    void theGuiThreadRunsWhileTheJobIsBuilt() {
        // Building a job reads the data and builds the models (seconds for a real data set and teacher): the
        // GUI thread must go on painting and running timers meanwhile, and the bridge counts as busy. A
        // blocking build lets no timer fire until start() returns.
        EngineBridge bridge;
        int ticks = 0;
        bool busyDuringBuild = true;
        QTimer timer;
        timer.setInterval(1);
        connect(&timer, &QTimer::timeout, this, [&] {
            ++ticks;
            busyDuringBuild &= bridge.isRunning();
        });
        timer.start();
        QElapsedTimer clock;
        clock.start();
        QString error;
        QVERIFY2(bridge.start(recipe({"data.subset=0"}), {(mScratch + "/built").toStdString()}, &error),
                 qPrintable(error));
        const qint64 buildMs = clock.elapsed();
        timer.stop();
        qInfo("the job took %lld ms to build; the GUI thread's timer fired %d times meanwhile", buildMs,
              ticks);
        QVERIFY2(ticks > 0, "no timer fired while the job was built");
        QVERIFY(busyDuringBuild);
        QSignalSpy finished(&bridge, &EngineBridge::finished);
        bridge.cancel();
        QVERIFY(finished.wait(120000));
    }

    void destroyingTheBridgeMidRunStopsTheJobCleanly() {
        // The window can go away while a run is going: the bridge cancels the job, waits for it, and nothing
        // it queued reaches a deleted object.
        auto* bridge = new EngineBridge;
        int stepsBefore = 0;
        int stepsAfter = 0;
        bool deleted = false;
        connect(bridge, &EngineBridge::stepReported, this,
                [&](const StepEvent&) { (deleted ? stepsAfter : stepsBefore)++; });
        QString error;
        const QString dir = mScratch + "/destroyed";
        QVERIFY2(bridge->start(recipe({"train.epochs=50", "train.checkpoint_every=0"}), {dir.toStdString()},
                               &error),
                 qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(stepsBefore >= 2, 120000);
        // A snapshot of the live job, requested just before the end, is in flight too.
        bridge->job()->requestSnapshot("stage3", "stage3", 0);
        QVERIFY(bridge->isRunning());
        delete bridge;
        deleted = true;
        // Let anything that was queued arrive (it must not: its target is gone).
        for (int i = 0; i < 20; ++i)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        QCOMPARE(stepsAfter, 0);
        // The job stopped as a cancelled run: resumable, with its summary written.
        const auto summary = RunFolder(dir.toStdString()).readSummary();
        QCOMPARE(summary.status, RunStatus::Cancelled);
        QVERIFY(summary.steps >= 2 && summary.steps < 200);
        QVERIFY(RunFolder(dir.toStdString()).hasCheckpoint(CheckpointChoice::Last));
    }

    void badRecipeIsAnErrorNotACrash() {
        EngineBridge bridge;
        QString error;
        QVERIFY(!bridge.start(recipe({"model.arch=resnet9"}), {(mScratch + "/bad").toStdString()}, &error));
        QVERIFY2(error.contains("resnet9"), qPrintable(error));
    }
};

QTEST_MAIN(EngineBridgeTest)
#include "test_engine_bridge.moc"
