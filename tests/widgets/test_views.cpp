// The views (loss curves, channel inspector, predictions, runs table) on hand-made data with known answers,
// and once end to end on two tiny real runs. Set DISTILLERY_VIEW_SHOTS=<folder> to also save screenshots.

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest/QtTest>
#include <cmath>
#include <functional>
#include <random>

#include "core/engine.h"
#include "core/recipe.h"
#include "core/run_folder.h"
#include "widgets/views/channel_distribution_view.h"
#include "widgets/views/channel_inspector_view.h"
#include "widgets/views/channel_math.h"
#include "widgets/views/format.h"
#include "widgets/views/generated_images_view.h"
#include "widgets/views/loss_curves_view.h"
#include "widgets/views/predictions_view.h"
#include "widgets/views/runs_table_view.h"
#include "widgets/views/term_balance_view.h"
#include "widgets/views/view_types.h"

using namespace distillery;

namespace {

StepEvent step(int64_t s, double a, double b) {
    StepEvent e;
    e.step = s;
    e.epoch = 1;
    e.terms = {{"task", a}, {"cwd[stage3]", b}};
    e.total = a + b;
    e.lr = 0.1 / s;
    return e;
}

QByteArray readAll(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

void writeText(const QString& path, const QByteArray& text) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    f.write(text);
}

/** KL(p_T || p_S) with p = softmax over H*W of x/tau, written out naively (the METHODS.md formula). */
double oracleKl(const std::vector<double>& t, const std::vector<double>& s, double tau) {
    double zt = 0, zs = 0;
    for (double v : t)
        zt += std::exp(v / tau);
    for (double v : s)
        zs += std::exp(v / tau);
    double kl = 0;
    for (size_t i = 0; i < t.size(); ++i) {
        const double pt = std::exp(t[i] / tau) / zt, ps = std::exp(s[i] / tau) / zs;
        kl += pt * std::log(pt / ps);
    }
    return kl;
}

FeatureMap featureMap(const std::string& tap, int c, int h, int w, const std::vector<float>& data) {
    FeatureMap m;
    m.tap = tap;
    m.channels = c;
    m.height = h;
    m.width = w;
    m.data = data;
    return m;
}

const char* kTinyTrain = R"(
name: tiny_teacher
job: train
threads: 2
data: {dataset: fashion_mnist, subset: 64, workers: 1}
transforms: {eval: [{normalize: {mean: [0.286], std: [0.353]}}], train: [{normalize: {mean: [0.286], std: [0.353]}}]}
model: {arch: resnet8}
train: {epochs: 1, batch_size: 32, eval_batch_size: 64, log_every: 1}
)";

}  // namespace

class ViewsTest : public QObject {
    Q_OBJECT

    QString mScratch;
    QString mShots;  // screenshot folder, empty = none

    void shot(QWidget& w, const QString& name, const std::function<void()>& whenShown = {}) {
        if (mShots.isEmpty()) return;
        w.resize(900, 600);
        w.show();
        QTest::qWait(250);  // queued replots and layouts
        if (whenShown) {
            whenShown();
            QTest::qWait(150);
        }
        QVERIFY(w.grab().save(QDir(mShots).filePath(name + QStringLiteral(".png"))));
    }

private Q_SLOTS:
    void initTestCase() {
        registerEngineMetaTypes();
        mScratch =
            QDir::temp().filePath(QString("distillery-views-%1").arg(QCoreApplication::applicationPid()));
        QDir(mScratch).removeRecursively();
        QVERIFY(QDir().mkpath(mScratch));
        mShots = qEnvironmentVariable("DISTILLERY_VIEW_SHOTS");
        if (!mShots.isEmpty()) QDir().mkpath(mShots);
    }
    void cleanupTestCase() { QDir(mScratch).removeRecursively(); }

    // ---- helpers ------------------------------------------------------------------------------------

    void formatsCountsAndDurations() {
        QCOMPARE(formatCount(950), QString("950"));
        QCOMPARE(formatCount(4500), QString("4.5K"));
        QCOMPARE(formatCount(272186), QString("272K"));
        QCOMPARE(formatCount(999700), QString("1.0M"));
        QCOMPARE(formatCount(31021952), QString("31.0M"));
        QCOMPARE(formatCount(2400000000LL), QString("2.4G"));
        QCOMPARE(formatDuration(41.2), QString("41 s"));
        QCOMPARE(formatDuration(192), QString("3 min 12 s"));
        QCOMPARE(formatDuration(4000), QString("1 h 06 min"));
    }

    // ---- loss curves --------------------------------------------------------------------------------

    void lossCurvesPlaceTheInitialisationStageBeforeTraining() {
        // init events count within the stage; the view draws them at step − stage length (≤ 0), with their
        // own total, as metrics.jsonl records them, and training's curves start at step 1.
        LossCurvesView view;
        for (int i = 1; i <= 4; ++i) {
            StepEvent e;
            e.init = true;
            e.step = i;
            e.epoch = 1;
            e.totalSteps = 4;
            e.terms = {{"init:ab[stage3.pre]", 10.0 / i}};
            e.total = 10.0 / i;
            e.lr = 0.1;
            view.addStep(e);
        }
        for (int i = 1; i <= 3; ++i)
            view.addStep(step(i, 1.0, 0.5));
        const QStringList names = view.curveNames();
        QVERIFY2(names.contains("loss/init:ab[stage3.pre]") && names.contains("loss/init:total"),
                 qPrintable(names.join(", ")));
        QCOMPARE(view.pointCount("loss/init:total"), 4);
        QCOMPARE(view.pointCount("loss/total"), 3);  // training's total does not continue the stage's
        view.showReadoutAt(-3.0);                    // the stage's first step
        QVERIFY2(view.readout().contains("step -3"), qPrintable(view.readout()));
        QVERIFY2(view.readout().contains("loss/init:total 10"), qPrintable(view.readout()));
    }

    void lossCurvesKeepTheirProportionsBeforeTheFirstStep() {
        // The loss rect has three times the validation rect's stretch; with no curve yet (the legend empty)
        // it must still get the larger share, as it does once curves are drawn.
        LossCurvesView view;
        view.resize(900, 420);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.plot()->replot();
        auto* loss = view.plot()->axisRect(0);
        auto* metric = view.plot()->axisRect(1);
        QVERIFY2(loss->outerRect().height() > 2 * metric->outerRect().height(),
                 qPrintable(QString("loss %1 px, validation %2 px")
                                .arg(loss->outerRect().height())
                                .arg(metric->outerRect().height())));
        QVERIFY(!view.plot()->legend->visible());  // no empty framed box
        for (int i = 1; i <= 3; ++i)
            view.addStep(step(i, 1.0, 0.5));
        QTest::qWait(250);  // the queued replot
        QVERIFY(view.plot()->legend->visible());
        QVERIFY(loss->outerRect().height() > 2 * metric->outerRect().height());
    }

    void lossCurvesDrawTheStudentAlone() {
        LossCurvesView curves;
        BaselineCurve alone;
        alone.runs = {"a", "b"};
        alone.metric = "top1";
        alone.epochs = {1, 2};
        alone.values = {80.0, 85.0};
        alone.counts = {2, 2};
        alone.steps = {10, 20};
        const int graphs = curves.plot()->graphCount();
        curves.setBaseline(alone);
        QVERIFY(curves.hasBaseline());
        QCOMPARE(curves.plot()->graphCount(), graphs + 1);
        // "(2 runs)" with the English translation loaded, as the application has it.
        QVERIFY(curves.plot()->graph(graphs)->name().startsWith("student alone (2 run"));
        QCOMPARE(curves.plot()->graph(graphs)->dataCount(), 2);
        QCOMPARE(curves.baselineGapText(), QString("student alone: top-1 85.00 at the end"));
        EpochEvent e;
        e.epoch = 1;
        e.step = 10;
        e.metrics = {{"top1", 82.0}, {"loss", 0.5}};
        curves.addEpoch(e);
        QCOMPARE(curves.baselineGapText(), QString("top-1 vs the student alone at epoch 1: +2.00"));
        QVERIFY(!curves.belowBaseline());
        e.epoch = 2;
        e.step = 20;
        e.metrics = {{"top1", 84.0}, {"loss", 0.4}};
        curves.addEpoch(e);
        QCOMPARE(curves.baselineGapText(), QString("⚠ top-1 vs the student alone at epoch 2: -1.00"));
        QVERIFY(curves.belowBaseline());
        // A run stopped mid-epoch is compared at the last epoch both have.
        e.step = 25;
        e.metrics = {{"top1", 90.0}};
        curves.addEpoch(e);
        QVERIFY(curves.baselineGapText().contains("epoch 2: -1.00"));
        curves.setBaseline({});
        QVERIFY(!curves.hasBaseline());
        for (int g = 0; g < curves.plot()->graphCount(); ++g)
            QVERIFY(!curves.plot()->graph(g)->name().startsWith("student alone"));
        QCOMPARE(curves.baselineGapText(), QString());
    }

    void lossCurvesCountPointsPerCurve() {
        LossCurvesView view;
        const int n = 40;
        for (int i = 1; i <= n; ++i)
            view.addStep(step(i, 2.0 / i + (i % 3) * 0.1, 0.5 + (i % 2) * 0.2));
        const QStringList names = view.curveNames();
        QCOMPARE(names, (QStringList{"loss/task", "loss/cwd[stage3]", "loss/total", "lr"}));
        for (const QString& c : names)
            QCOMPARE(view.pointCount(c), n);

        // Smoothing changes values, never counts; 0 restores the raw data.
        const QVector<double> raw = view.displayedValues("loss/task");
        const QVector<double> rawLr = view.displayedValues("lr");
        QCOMPARE(rawLr.size(), n);
        view.setSmoothing(0.8);
        for (const QString& c : names)
            QCOMPARE(view.pointCount(c), n);
        const QVector<double> smooth = view.displayedValues("loss/task");
        QCOMPARE(smooth.size(), n);
        QVERIFY(smooth != raw);
        QCOMPARE(smooth.first(), raw.first());        // EMA starts at the first value
        QCOMPARE(view.displayedValues("lr"), rawLr);  // the learning rate is drawn as it is, never smoothed
        view.addStep(step(n + 1, 1.0, 1.0));          // incremental EMA agrees with a full recomputation
        const QVector<double> incremental = view.displayedValues("loss/task");
        view.setSmoothing(0.0);
        view.setSmoothing(0.8);
        QCOMPARE(view.displayedValues("loss/task"), incremental);
        view.setSmoothing(0.0);
        QCOMPARE(view.displayedValues("loss/task").mid(0, n), raw);

        EpochEvent epoch;
        epoch.epoch = 1;
        epoch.step = n;
        epoch.metrics = {{"top1", 71.5}, {"loss", 0.8}};
        view.addEpoch(epoch);
        QCOMPARE(view.pointCount("val/top1"), 1);
        view.showReadoutAt(n - 0.3);
        QVERIFY2(view.readout().contains(QString("step %1").arg(n)), qPrintable(view.readout()));
        QVERIFY(view.readout().contains("val/top1 71.5"));

        view.setLogScale(true);
        QVERIFY(view.logScale());
        QCOMPARE(view.plot()->yAxis->scaleType(), QCPAxis::stLogarithmic);
        view.clear();
        QVERIFY(view.curveNames().isEmpty());
    }

    // Mutual learning's peers and a once-QAT model's widths each get a validation curve beside the main one;
    // other prefixed metrics (per-class values, top5) do not, and the baseline gap reads the main curve only.
    void lossCurvesDrawPeersAndWidths() {
        LossCurvesView view;
        view.addStep(step(10, 1.0, 0.5));
        EpochEvent epoch;
        epoch.epoch = 1;
        epoch.step = 10;
        epoch.metrics = {{"top1", 70.0},       {"top5", 99.0},   {"w8/top1", 75.0}, {"w2/top1", 65.0},
                         {"peer1/top1", 68.0}, {"w8/loss", 0.7}, {"iou/3", 50.0},   {"peer1/top5", 98.0}};
        view.addEpoch(epoch);
        const QStringList names = view.curveNames();
        for (const char* drawn : {"val/top1", "val/w8/top1", "val/w2/top1", "val/peer1/top1"})
            QVERIFY2(names.contains(drawn), qPrintable(names.join(", ")));
        for (const char* not_drawn : {"val/top5", "val/w8/loss", "val/iou/3", "val/peer1/top5"})
            QVERIFY2(!names.contains(not_drawn), qPrintable(names.join(", ")));
        QCOMPARE(view.displayedValues("val/w2/top1"), QVector<double>{65.0});
        BaselineCurve base;
        base.metric = "top1";
        base.epochs = {1};
        base.steps = {10};
        base.values = {69.0};
        base.runs = {"alone"};
        base.counts = {1};
        view.setBaseline(base);
        QVERIFY2(view.baselineGapText().contains("+1.00"), qPrintable(view.baselineGapText()));
    }

    void lossCurvesExportCsvAndPng() {
        LossCurvesView view;
        const int n = 25;
        for (int i = 1; i <= n; ++i)
            view.addStep(step(i, 1.0 / i, 0.25));
        const QString csv = mScratch + "/curves.csv";
        QVERIFY(view.exportCsv(csv));
        const QList<QByteArray> lines = readAll(csv).trimmed().split('\n');
        QCOMPARE(lines.size(), n + 1);
        QCOMPARE(lines[0], QByteArray("step,loss/task,loss/cwd[stage3],loss/total,lr"));
        QCOMPARE(lines[1], QByteArray("1,1,0.25,1.25,0.1"));
        QCOMPARE(lines[4].split(',').size(), 5);

        const QString png = mScratch + "/curves.png";
        QVERIFY(view.exportPng(png));
        QVERIFY(readAll(png).startsWith(QByteArray("\x89PNG\r\n\x1a\n", 8)));
    }

    void lossCurvesBatchReplots() {
        LossCurvesView view;
        view.resize(600, 400);
        view.show();
        QTest::qWait(150);
        int replots = 0;
        connect(view.plot(), &QCustomPlot::afterReplot, this, [&] { ++replots; });
        for (int i = 1; i <= 500; ++i)
            view.addStep(step(i, 1.0 / i, 0.5));
        QCOMPARE(replots, 0);  // nothing synchronous per step
        QTest::qWait(400);
        QVERIFY2(replots >= 1 && replots <= 3, qPrintable(QString::number(replots)));
        QCOMPARE(view.pointCount("loss/total"), 500);
    }

    void lossCurvesResumeReplacesRedoneSteps() {
        LossCurvesView view;
        for (int i = 1; i <= 10; ++i)
            view.addStep(step(i, 1.0, 1.0));
        view.addStep(step(7, 2.0, 2.0));  // resumed from a checkpoint at step 6
        QCOMPARE(view.pointCount("loss/task"), 7);
        QCOMPARE(view.displayedValues("loss/task").last(), 2.0);
    }

    void lossCurvesLoadRunAndOverlay() {
        const QString run = mScratch + "/metrics-run";
        QByteArray text;
        for (int s = 10; s <= 30; s += 10) {
            const QByteArray st = QByteArray::number(s);
            text += "{\"epoch\":1,\"name\":\"loss/task\",\"split\":\"train\",\"step\":" + st +
                    ",\"value\":" + QByteArray::number(3.0 / s) + "}\n";
            text += "{\"epoch\":1,\"name\":\"loss/total\",\"split\":\"train\",\"step\":" + st +
                    ",\"value\":" + QByteArray::number(3.0 / s) + "}\n";
            text += "{\"epoch\":1,\"name\":\"lr\",\"split\":\"train\",\"step\":" + st + ",\"value\":0.05}\n";
            text += "{\"epoch\":1,\"name\":\"images_per_second\",\"split\":\"train\",\"step\":" + st +
                    ",\"value\":250}\n";
        }
        text += "{\"epoch\":1,\"name\":\"top1\",\"split\":\"val\",\"step\":30,\"value\":81.25}\n";
        text += "{\"epoch\":1,\"name\":\"loss\",\"split\":\"val\",\"step\":30,\"value\":0.5}\n";
        writeText(run + "/metrics.jsonl", text);

        LossCurvesView view;
        QString error;
        QVERIFY2(view.loadRun(run, &error), qPrintable(error));
        QCOMPARE(view.curveNames(), (QStringList{"loss/task", "loss/total", "lr", "val/top1"}));
        QCOMPARE(view.pointCount("loss/task"), 3);
        QCOMPARE(view.pointCount("lr"), 3);
        QCOMPARE(view.pointCount("val/top1"), 1);
        QCOMPARE(view.displayedValues("val/top1"), QVector<double>{81.25});

        QVERIFY(view.addOverlay(run, "earlier"));
        QCOMPARE(view.overlayCount(), 1);
        QCOMPARE(view.curveNames().size(), 4);  // overlays are not the run's curves
        view.clearOverlays();
        QCOMPARE(view.overlayCount(), 0);

        QVERIFY(!view.loadRun(mScratch + "/no-such-run", &error));
        QVERIFY2(error.contains("no-such-run"), qPrintable(error));
        QCOMPARE(view.pointCount("loss/task"), 3);  // a failed load keeps what was shown
    }

    // ---- channel inspector --------------------------------------------------------------------------

    void channelMathMatchesTheCwdFormula() {
        const std::vector<float> t{1, 2, 3, 0, -1, 4};
        const std::vector<float> s{0.5f, 2, 1, 1, 0, 3};
        const double tau = 2.0;
        const std::vector<double> td(t.begin(), t.end()), sd(s.begin(), s.end());
        QVERIFY(std::abs(spatialKl(t.data(), s.data(), t.size(), tau) - oracleKl(td, sd, tau)) < 1e-12);
        const auto p = spatialSoftmax(t.data(), t.size(), tau);
        double sum = 0;
        for (double v : p)
            sum += v;
        QVERIFY(std::abs(sum - 1.0) < 1e-12);
        // Large activations do not overflow.
        const std::vector<float> big{1000, 1001, 999};
        QVERIFY(std::isfinite(spatialKl(big.data(), t.data(), 3, 1.0)));
    }

    void channelInspectorTilesAndKl() {
        // 4 channels of 3x3; channel 2 is constant in both models; student channel 0 equals the teacher's.
        std::vector<float> t(4 * 9), s(4 * 9);
        for (int i = 0; i < 9; ++i) {
            t[0 * 9 + i] = s[0 * 9 + i] = 0.3f * i;
            t[1 * 9 + i] = std::sin(0.7f * i);
            s[1 * 9 + i] = std::cos(0.4f * i);
            t[2 * 9 + i] = 1.5f;
            s[2 * 9 + i] = 0.0f;
            t[3 * 9 + i] = (i == 4) ? 3.0f : 0.0f;  // a peak in the centre
            s[3 * 9 + i] = (i == 0) ? 3.0f : 0.0f;  // ... which the student puts in a corner
        }
        ActivationSnapshot snap;
        snap.step = 12;
        snap.sampleIndex = 3;
        snap.split = Split::Val;
        snap.teacher = featureMap("stage3", 4, 3, 3, t);
        snap.student = featureMap("stage3", 4, 3, 3, s);
        snap.sample.image.channels = 1;
        snap.sample.image.height = snap.sample.image.width = 6;
        snap.sample.image.data.assign(36, 0.5f);

        ChannelInspectorView view;
        const double tau = 2.0;
        view.setTau(tau);
        view.setSnapshot(snap);
        QCOMPARE(view.nonConstantTiles(true), 3);
        QCOMPARE(view.nonConstantTiles(false), 3);
        const QVector<double> kl = view.channelKl();
        QCOMPARE(kl.size(), 4);
        QVERIFY(std::abs(kl[0]) < 1e-12);
        QVERIFY(std::abs(kl[2]) < 1e-12);  // two uniform distributions
        const auto plane = [](const std::vector<float>& v, int c) {
            return std::vector<double>(v.begin() + c * 9, v.begin() + (c + 1) * 9);
        };
        QVERIFY(std::abs(kl[1] - oracleKl(plane(t, 1), plane(s, 1), tau)) < 1e-9);
        QVERIFY(std::abs(kl[3] - oracleKl(plane(t, 3), plane(s, 3), tau)) < 1e-9);
        QVERIFY(kl[3] > kl[1]);
        QVERIFY(std::abs(view.cwdLoss() - tau * tau * (kl[0] + kl[1] + kl[2] + kl[3]) / 4) < 1e-12);
        QCOMPARE(view.selectedChannel(), 3);  // starts on the worst-matched channel

        QCOMPARE(view.barOrder(), (QVector<int>{0, 1, 2, 3}));
        view.setSortByKl(true);
        const QVector<int> order = view.barOrder();
        QCOMPARE(order.first(), 3);
        for (int i = 0; i + 1 < order.size(); ++i)
            QVERIFY(kl[order[i]] >= kl[order[i + 1]]);
        view.setSortByKl(false);
        QCOMPARE(view.barOrder(), (QVector<int>{0, 1, 2, 3}));

        // tau changes the KL; normalisation modes only change the pictures.
        view.setTau(1.0);
        QVERIFY(std::abs(view.channelKl()[1] - oracleKl(plane(t, 1), plane(s, 1), 1.0)) < 1e-9);
        for (auto mode :
             {ChannelInspectorView::Normalisation::PerChannel, ChannelInspectorView::Normalisation::Softmax,
              ChannelInspectorView::Normalisation::Raw}) {
            view.setNormalisation(mode);
            QCOMPARE(view.channelKl().size(), 4);
        }
        view.selectChannel(1);
        QCOMPARE(view.selectedChannel(), 1);

        // A train job's snapshot: student only.
        ActivationSnapshot studentOnly = snap;
        studentOnly.teacher = FeatureMap{};
        view.setSnapshot(studentOnly);
        QVERIFY(view.channelKl().isEmpty());
        QCOMPARE(view.nonConstantTiles(true), 0);
        QCOMPARE(view.nonConstantTiles(false), 3);
    }

    void channelInspectorRequestsSnapshots() {
        ChannelInspectorView view;
        QSignalSpy spy(&view, &ChannelInspectorView::snapshotRequested);
        view.setTapPairs({{"stage2", "stage2"}, {"stage3", "stage3"}});
        QCOMPARE(spy.count(), 0);  // setting the choices is not a request
        auto* taps = view.findChild<QComboBox*>();
        QVERIFY(taps);
        taps->setCurrentIndex(1);
        QCOMPARE(spy.count(), 1);
        QCOMPARE(spy.last().at(0).toString(), QString("stage3"));
        QCOMPARE(spy.last().at(1).toString(), QString("stage3"));
        QCOMPARE(spy.last().at(2).toLongLong(), qint64(0));
        QCOMPARE(spy.last().at(3).toString(), QString("val"));
        view.setSampleCount(100);
        for (auto* spin : view.findChildren<QSpinBox*>())
            if (spin->maximum() == 99) spin->setValue(7);
        QCOMPARE(spy.count(), 2);
        QCOMPARE(spy.last().at(2).toLongLong(), qint64(7));

        // Live: one request per interval; none when not live or interval 0.
        view.setRefreshInterval(40);
        view.setLive(true);
        QTest::qWait(300);
        const int live = spy.count() - 2;
        QVERIFY2(live >= 3 && live <= 9, qPrintable(QString::number(live)));
        view.setLive(false);
        const int stopped = spy.count();
        QTest::qWait(150);
        QCOMPARE(spy.count(), stopped);
        view.setLive(true);
        view.setRefreshInterval(0);
        QTest::qWait(150);
        QCOMPARE(spy.count(), stopped);
    }

    // ---- runs table ---------------------------------------------------------------------------------

    void runsTableListsRuns() {
        const QString project = mScratch + "/project";
        const Recipe train = parseRecipe(kTinyTrain, "tiny.yaml", mScratch.toStdString());
        const Recipe distill = parseRecipe(R"(
name: tiny_cwd
job: distill
data: {dataset: fashion_mnist}
model: {arch: resnet8}
teacher: {arch: resnet20, checkpoint: /nowhere/teacher}
losses: [{method: task}, {method: cwd, teacher_tap: stage3, student_tap: stage3, weight: 50, tau: 4}]
)",
                                           "cwd.yaml", mScratch.toStdString());
        writeText(project + "/runs/a/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        writeText(project + "/runs/a/summary.json", R"({
  "best": {"loss": 0.41, "top1": 85.3125}, "final": {"loss": 0.45, "top1": 84.0},
  "job": "train", "loss_terms": ["task"], "macs": 31021952, "main_metric": "top1",
  "name": "tiny_teacher", "params": 272186, "status": "finished", "message": "",
  "student": {"arch": "resnet20", "head": "", "macs": 31021952, "params": 272186}, "wall_seconds": 192.4})");
        writeText(project + "/runs/b/recipe.yaml", QByteArray::fromStdString(recipeToYaml(distill)));
        writeText(project + "/notes/readme.txt", "not a run");

        RunsTableView view;
        QSignalSpy selected(&view, &RunsTableView::runsSelected);
        view.setProjectDir(project);
        QCOMPARE(view.rowCount(), 2);
        QCOMPARE(view.runDirAt(0), QDir(project + "/runs/a").absolutePath());
        QCOMPARE(view.textAt(0, RunsTableView::Metric), QString("top-1 85.31 %"));
        QCOMPARE(view.textAt(0, RunsTableView::Params), QString("272K"));
        QCOMPARE(view.textAt(0, RunsTableView::Macs), QString("31.0M"));
        QCOMPARE(view.textAt(0, RunsTableView::WallTime), QString("3 min 12 s"));
        QCOMPARE(view.textAt(0, RunsTableView::Status), QString("finished"));
        QCOMPARE(view.textAt(0, RunsTableView::Student), QString("resnet20"));
        QCOMPARE(view.textAt(0, RunsTableView::Teacher), QString("—"));
        QCOMPARE(view.textAt(1, RunsTableView::Job), QString("distill"));
        QCOMPARE(view.textAt(1, RunsTableView::Teacher), QString("resnet20"));
        QCOMPARE(view.textAt(1, RunsTableView::LossTerms), QString("task, cwd[stage3]"));
        QCOMPARE(view.textAt(1, RunsTableView::Metric), QString());
        QCOMPARE(view.textAt(1, RunsTableView::Status), QString("incomplete"));

        // Sorting by metric descending puts the run without a metric last; selection reports run folders.
        view.tableView()->sortByColumn(RunsTableView::Metric, Qt::DescendingOrder);
        QCOMPARE(view.runDirAt(0), QDir(project + "/runs/a").absolutePath());
        view.selectRunDirs({view.runDirAt(1)});
        QVERIFY(selected.count() >= 1);
        QCOMPARE(selected.last().at(0).toStringList(), QStringList{QDir(project + "/runs/b").absolutePath()});

        // A third run appears: the watcher (or refresh) picks it up and the selection survives.
        writeText(project + "/runs/c/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        QTRY_COMPARE_WITH_TIMEOUT(view.rowCount(), 3, 5000);
        QCOMPARE(view.selectedRunDirs(), QStringList{QDir(project + "/runs/b").absolutePath()});
        shot(view, "runs_table");
    }

    void runsTableSaysWhatItCannotRead() {
        const QString project = mScratch + "/unreadable";
        const Recipe train = parseRecipe(kTinyTrain, "tiny.yaml", mScratch.toStdString());
        // A summary cut short (a full disk, a crash while writing), and one with a status no engine writes.
        writeText(project + "/runs/cut/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        // (Plain literals: moc misreads raw strings with unbalanced braces.)
        writeText(project + "/runs/cut/summary.json",
                  "{\"best\": {\"top1\": 85.3}, \"params\": 272186, \"stat");
        writeText(project + "/runs/odd/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        writeText(project + "/runs/odd/summary.json", "{\"status\": \"exploded\", \"params\": 272186}");

        RunsTableView view;
        view.setProjectDir(project);
        QCOMPARE(view.rowCount(), 2);
        const auto tip = [&](int row, RunsTableView::Column column) {
            return view.tableView()->model()->index(row, column).data(Qt::ToolTipRole).toString();
        };
        QCOMPARE(view.runDirAt(0), QDir(project + "/runs/cut").absolutePath());
        QCOMPARE(view.textAt(0, RunsTableView::Status), QString("unreadable"));
        QVERIFY2(tip(0, RunsTableView::Status).contains("summary.json") &&
                     tip(0, RunsTableView::Status).contains("not valid JSON"),
                 qPrintable(tip(0, RunsTableView::Status)));
        // Nothing from the broken file is shown as if it had been read; the recipe still tells what it is.
        QCOMPARE(view.textAt(0, RunsTableView::Params), QString());
        QCOMPARE(view.textAt(0, RunsTableView::Macs), QString());
        QCOMPARE(view.textAt(0, RunsTableView::WallTime), QString());
        QCOMPARE(view.textAt(0, RunsTableView::Metric), QString());
        QCOMPARE(view.textAt(0, RunsTableView::Job), QString("train"));
        QCOMPARE(view.textAt(0, RunsTableView::Student), QString("resnet8"));

        QCOMPARE(view.textAt(1, RunsTableView::Status), QString("unreadable"));
        QVERIFY2(tip(1, RunsTableView::Status).contains("status") &&
                     tip(1, RunsTableView::Status).contains("exploded"),
                 qPrintable(tip(1, RunsTableView::Status)));
        QCOMPARE(view.textAt(1, RunsTableView::Params), QString());
    }

    void runsTableShowsKindAndRoleFromTheSummary() {
        const QString project = mScratch + "/roles";
        const Recipe train = parseRecipe(kTinyTrain, "tiny.yaml", mScratch.toStdString());
        // The folder's name says student; the summary says teacher, and wins.
        const QString dir = project + "/runs/student_lookalike";
        writeText(dir + "/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        RunSummaryRecord summary;
        summary.name = "tiny_teacher";
        summary.role = RunRole::Teacher;
        summary.mainMetric = "top1";
        summary.bestMetrics = {{"top1", 90.0}};
        summary.params = 272186;
        summary.wallSeconds = 192.4;
        RunFolder(dir.toStdString()).writeSummary(summary);
        // A PTQ run: its kind from its summary.
        const QString ptq = project + "/runs/teacher_lookalike";
        writeText(ptq + "/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        RunSummaryRecord quantized;
        quantized.kind = RunKind::Ptq;
        quantized.mainMetric = "miou";
        quantized.bestMetrics = {{"miou", 41.0}};
        RunFolder(ptq.toStdString()).writeSummary(quantized);

        RunsTableView view;
        view.setProjectDir(project);
        QCOMPARE(view.rowCount(), 2);
        QCOMPARE(view.textAt(0, RunsTableView::Job), QString("train (teacher)"));
        QCOMPARE(view.textAt(0, RunsTableView::Metric), QString("top-1 90.00 %"));
        QCOMPARE(view.textAt(0, RunsTableView::WallTime), QString("3 min 12 s"));
        QCOMPARE(view.textAt(1, RunsTableView::Job), QString("ptq"));
        QCOMPARE(view.textAt(1, RunsTableView::Metric), QString("mIoU 41.00 %"));
        QCOMPARE(view.textAt(1, RunsTableView::Status), QString("finished"));
    }

    // ---- predictions --------------------------------------------------------------------------------

    void predictionsFillConfusionMatrix() {
        EvalResult result;
        result.confusion = {{5, 1, 0}, {0, 4, 2}, {1, 0, 6}};
        result.metrics = {{"top1", 15.0 / 19 * 100}, {"loss", 0.7}};
        result.samples = 19;
        std::vector<SamplePrediction> predictions;
        for (int i = 0; i < 6; ++i) {
            SamplePrediction p;
            p.index = i;
            p.sample.image.channels = 1;
            p.sample.image.height = p.sample.image.width = 8;
            p.sample.image.data.assign(64, i / 6.0f);
            p.sample.label = i % 3;
            p.studentLabel = (i == 4) ? 2 : i % 3;  // sample 4: true 1, predicted 2
            p.studentProbs = {0.2f, 0.3f, 0.5f};
            p.teacherLabel = i % 3;
            predictions.push_back(p);
        }
        PredictionsView view;
        QSignalSpy ready(&view, &PredictionsView::ready);
        view.setResults(result, predictions, Task::Classification, {"cat", "dog", "bird"});
        QCOMPARE(ready.count(), 1);
        QCOMPARE(view.confusionSize(), 3);
        QCOMPARE(view.confusionAt(0, 0), qint64(5));
        QCOMPARE(view.confusionAt(1, 2), qint64(2));
        QCOMPARE(view.confusionAt(2, 0), qint64(1));
        QCOMPARE(view.shownSamples(), 6);
        view.setMisclassifiedOnly(true);
        QCOMPARE(view.shownSamples(), 1);
        view.setMisclassifiedOnly(false);
        view.setCellFilter(1, 2);
        QCOMPARE(view.shownSamples(), 1);
        view.setCellFilter(-1, -1);
        QCOMPARE(view.shownSamples(), 6);
        shot(view, "predictions_synthetic");

        // Segmentation: rows of masks.
        std::vector<SamplePrediction> seg(2);
        for (auto& p : seg) {
            p.sample.image.channels = 1;
            p.sample.image.height = p.sample.image.width = 4;
            p.sample.image.data.assign(16, 0.5f);
            p.sample.mask = Mask{4, 4, std::vector<uint8_t>(16, 1)};
            p.sample.mask.data[0] = 255;
            p.studentMask = Mask{4, 4, std::vector<uint8_t>(16, 1)};
            p.teacherMask = Mask{4, 4, std::vector<uint8_t>(16, 2)};
        }
        EvalResult segResult;
        segResult.confusion = {{1, 0}, {0, 1}};
        segResult.metrics = {{"miou", 50.0}, {"pixel_acc", 90.0}, {"loss", 0.3}};
        segResult.perClassIoU = {std::nan(""), 100.0};
        view.setResults(segResult, seg, Task::Segmentation, {});
        QCOMPARE(view.shownSamples(), 2);
        QCOMPARE(ready.count(), 2);
    }

    void predictionsReportErrorsFromTheWorker() {
        PredictionsView view;
        QSignalSpy error(&view, &PredictionsView::errorOccurred);
        view.showRun(mScratch + "/no-such-run");
        QVERIFY(error.wait(30000));
        QVERIFY2(error.at(0).at(0).toString().contains("no-such-run"),
                 qPrintable(error.at(0).at(0).toString()));
    }

    void generatedImagesShowTheGeneratorAndTheTeachersView() {
        // Synthetic: 3 classes × 2 images, the teacher seeing another class in one of them.
        GeneratedImages g;
        g.classNames = {"cat", "dog", "bird"};
        for (int i = 0; i < 6; ++i) {
            Sample s;
            s.label = i / 2;
            s.image.channels = 1;
            s.image.height = s.image.width = 8;
            s.image.data.assign(64, static_cast<float>(i) / 6.f);
            g.samples.push_back(s);
            g.teacherLabels.push_back(i == 3 ? 0 : i / 2);
            g.studentLabels.push_back(i / 2);
        }
        g.teacherAgreement = 5.0 / 6.0;
        g.studentAgreement = 4.0 / 6.0;
        g.meanGap = 0.042;
        g.logVarGap = 0.125;
        GeneratedImages initial = g;
        initial.meanGap = 1.5;
        GeneratedImagesView view;
        view.setImages(g, &initial);
        const QString text = view.summaryText();
        QVERIFY2(text.contains("83.3 %") && text.contains("66.7 %") && text.contains("0.042") &&
                     text.contains("0.125") && text.contains("1.500"),
                 qPrintable(text));
        shot(view, "generated_images_synthetic");

        // A real data-free run: its generator's images, one row per class, from a worker thread.
        const QString teacherDir = mScratch + "/df/teacher", studentDir = mScratch + "/df/student";
        {
            Job job(parseRecipe(kTinyTrain, "tiny.yaml", mScratch.toStdString()), {teacherDir.toStdString()});
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
        }
        {
            const std::string text = std::string(kTinyTrain) +
                                     "teacher: {arch: resnet8, checkpoint: " + teacherDir.toStdString() + R"(}
losses: [{method: kd, tau: 1}]
data_free: {latent: 16, width: 8, steps_per_epoch: 3}
)";
            Job job(parseRecipe(text, "df.yaml", mScratch.toStdString(), {"job=distill", "name=tiny_df"}),
                    {studentDir.toStdString()});
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
        }
        QSignalSpy ready(&view, &GeneratedImagesView::ready);
        QSignalSpy failed(&view, &GeneratedImagesView::errorOccurred);
        view.setPerClass(3);
        view.showRun(studentDir);
        QVERIFY2(ready.wait(120000),
                 failed.isEmpty() ? "timeout" : qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(view.images().samples.size(), size_t{30});
        QCOMPARE(view.images().classNames.size(), size_t{10});
        QCOMPARE(view.images().samples[29].label, int64_t{9});
        QVERIFY(view.images().layers.size() >= 7);
        // A run without a generator says so.
        view.showRun(teacherDir);
        QVERIFY(failed.wait(60000));
        QVERIFY2(failed.at(0).at(0).toString().contains("not a data-free run"),
                 qPrintable(failed.at(0).at(0).toString()));
    }

    void termBalanceFlagsAndSuggestsWeights() {
        TermBalanceView view;
        DiagnosticsSpec spec;
        spec.every = 10;
        view.clear(spec);
        QCOMPARE(view.sampleCount(), 0);
        QVERIFY2(view.summaryText().contains("every 10 step"), qPrintable(view.summaryText()));
        // Balanced: 60 % / 40 %, nothing flagged, nothing to apply.
        BalanceSample s;
        s.step = 10;
        s.epoch = 1;
        s.terms = {{"task", 1.0, 0.6, 6.0, 0, 0}, {"cwd[stage3]", 50.0, 0.4, 4.0, 0, 0}};
        fillShares(s);
        view.addSample(s);
        QCOMPARE(view.cellText(1, 3), QString("40.0 %"));
        QCOMPARE(view.cellText(1, 4), QString("balanced"));
        QVERIFY(view.suggestions().isEmpty());
        QVERIFY(view.summaryText().contains("every term between 1.00 % and 90.0 %"));
        // CWD at 99.5 %, the task term at 0.5 %: only CWD is to change (50 · 0.5/99.5 at the 50 % target;
        // 50 · 1/3 · 0.5/99.5 at 25 %).
        s.step = 20;
        s.terms = {{"task", 1.0, 0.1, 0.5, 0, 0}, {"cwd[stage3]", 50.0, 3.0, 99.5, 0, 0}};
        fillShares(s);
        view.addSample(s);
        QCOMPARE(view.sampleCount(), 2);
        QVERIFY(view.cellText(1, 4).contains("drowns"));
        QVERIFY(view.cellText(0, 4).contains("hardly counts"));
        QCOMPARE(view.cellText(0, 5), QString());  // the task term's weight stays
        QCOMPARE(view.cellText(1, 5), QString("0.251"));
        view.setTargetShare(0.25);
        QCOMPARE(view.cellText(1, 5), QString("0.0838"));
        QSignalSpy applied(&view, &TermBalanceView::weightsSuggested);
        QTest::mouseClick(view.findChild<QPushButton*>("applySuggestedWeights"), Qt::LeftButton);
        QCOMPARE(applied.size(), 1);
        const auto weights = applied.at(0).at(0).value<QVector<std::pair<QString, double>>>();
        QCOMPARE(weights.size(), 1);
        QCOMPARE(weights[0].first, QString("cwd[stage3]"));
        QVERIFY(std::abs(weights[0].second - 50.0 / 3.0 * 0.5 / 99.5) < 1e-12);
        // One curve per term over the samples, drawn in percent on the log axis.
        QCOMPARE(view.plot()->graphCount(), 2);
        QCOMPARE(view.plot()->graph(1)->dataCount(), 2);
        QCOMPARE(view.plot()->graph(1)->data()->at(1)->value, 99.5);
        if (!mShots.isEmpty()) shot(view, "term_balance");
    }

    void channelDistributionsSortAndShowTheSelectedChannel() {
        ChannelDistributions d;
        d.teacherTap = "stage3";
        d.studentTap = "stage3";
        d.samples = 4;
        d.height = d.width = 2;
        d.tau = 1.0;
        d.withTeacher = true;
        for (int c = 0; c < 40; ++c) {
            ChannelDistribution ch;
            ch.channel = c;
            ch.lo = 0;
            ch.hi = 4;
            ch.teacherHistogram = {0.25, 0.25, 0.25, 0.25};
            ch.studentHistogram = {1.0, 0.0, 0.0, 0.0};
            ch.teacherQuantiles = {0.2, 1, 2, 3, 3.8};
            ch.studentQuantiles = {0.1, 0.2, 0.3, 0.4, 0.5};
            ch.teacherSoftmax = {0.25f, 0.25f, 0.25f, 0.25f};
            ch.studentSoftmax = {0.7f, 0.1f, 0.1f, 0.1f};
            ch.kl = (c * 7) % 40 / 10.0;  // a permutation of 0 … 3.9
            d.channels.push_back(ch);
        }
        d.channels[5].studentStd = 0.0;
        ChannelDistributionView view;
        view.setDistributions(d);
        // Worst KL first: 7·c mod 40 = 39 at c = 17.
        QCOMPARE(view.order().front(), int64_t{17});
        QCOMPARE(view.order().size(), size_t{40});
        for (size_t i = 1; i < view.order().size(); ++i)
            QVERIFY(d.channels[view.order()[i - 1]].kl >= d.channels[view.order()[i]].kl);
        QCOMPARE(view.selectedChannel(), 17);
        // One page of 32 boxes per model, and the KL bars behind them.
        QCOMPARE(view.boxPlot()->plottableCount(), 3);
        auto* teacherBoxes = qobject_cast<QCPStatisticalBox*>(view.boxPlot()->plottable(0));
        QVERIFY(teacherBoxes);
        QCOMPARE(teacherBoxes->dataCount(), 32);
        // The selected channel's histograms on its bins, in percent.
        QCOMPARE(view.histogramPlot()->graphCount(), 2);
        QCOMPARE(view.histogramPlot()->graph(1)->dataCount(), 4);
        QCOMPARE(view.histogramPlot()->graph(1)->data()->at(0)->value, 100.0);
        QCOMPARE(view.histogramPlot()->graph(0)->data()->at(2)->key, 2.5);  // bin centre
        // A channel on the second page turns the page.
        const int late = static_cast<int>(view.order()[35]);
        view.selectChannel(late);
        QCOMPARE(view.selectedChannel(), late);
        QCOMPARE(qobject_cast<QCPStatisticalBox*>(view.boxPlot()->plottable(0))->dataCount(), 8);
        view.setSortByKl(false);
        QCOMPARE(view.order()[3], int64_t{3});
        QVERIFY(view.summaryText().contains("40 channels over 4 samples"));
        if (!mShots.isEmpty()) shot(view, "channel_distributions");
    }

    // ---- end to end on real (tiny) runs ---------------------------------------------------------------

    void realRunsEndToEnd() {
        const QString project = mScratch + "/real";
        const QString teacherDir = project + "/runs/teacher";
        const QString studentDir = project + "/runs/cwd";
        {
            Job job(parseRecipe(kTinyTrain, "tiny.yaml", mScratch.toStdString()), {teacherDir.toStdString()});
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
        }
        {
            const std::string text = std::string(kTinyTrain) + R"(
teacher: {arch: resnet8, checkpoint: )" +
                                     teacherDir.toStdString() + R"(}
losses: [{method: task}, {method: cwd, teacher_tap: stage3, student_tap: stage3, weight: 50, tau: 4}]
)";
            Recipe r =
                parseRecipe(text, "cwd.yaml", mScratch.toStdString(), {"job=distill", "name=tiny_cwd"});
            Job job(r, {studentDir.toStdString()});
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
        }

        LossCurvesView curves;
        QString error;
        QVERIFY2(curves.loadRun(studentDir, &error), qPrintable(error));
        QCOMPARE(curves.curveNames(),
                 (QStringList{"loss/task", "loss/cwd[stage3]", "loss/total", "lr", "val/top1"}));
        QCOMPARE(curves.pointCount("loss/total"), 2);  // 64 samples / 32, logged every step
        QVERIFY(curves.addOverlay(teacherDir, "teacher"));

        const ActivationSnapshot snap = snapshotRun(studentDir.toStdString(), "stage3", "stage3", 3);
        ChannelInspectorView inspector;
        inspector.setTapPairs({{"stage3", "stage3"}});
        inspector.setSnapshot(snap);
        const QVector<double> kl = inspector.channelKl();
        QCOMPARE(kl.size(), static_cast<int>(snap.teacher.channels));
        for (double v : kl)
            QVERIFY(std::isfinite(v) && v >= 0);
        QVERIFY(inspector.nonConstantTiles(true) > 0);

        PredictionsView predictions;
        QSignalSpy ready(&predictions, &PredictionsView::ready);
        QSignalSpy failed(&predictions, &PredictionsView::errorOccurred);
        predictions.showRun(studentDir);
        QVERIFY(predictions.isBusy());
        QVERIFY2(ready.wait(180000),
                 failed.isEmpty() ? "timeout" : qPrintable(failed.at(0).at(0).toString()));
        QCOMPARE(predictions.confusionSize(), 10);
        QCOMPARE(predictions.shownSamples(), 48);
        qint64 total = 0;
        for (int t = 0; t < 10; ++t)
            for (int p = 0; p < 10; ++p)
                total += predictions.confusionAt(t, p);
        QCOMPARE(total, qint64(64));

        // The distributions of the run's channels, computed on a worker from its checkpoint.
        ChannelDistributionView distributions;
        QSignalSpy distributionsReady(&distributions, &ChannelDistributionView::ready);
        distributions.showRun(studentDir, "stage3", "stage3", 5, 4.0);
        QVERIFY(distributionsReady.wait(120000));
        QCOMPARE(distributions.distributions().channels.size(), size_t{64});
        QCOMPARE(distributions.selectedChannel(), 5);
        QVERIFY(distributions.distributions().withTeacher);

        // The run measured its term balance at step 1; the view reads it back from diagnostics.jsonl.
        TermBalanceView balance;
        QVERIFY2(balance.loadRun(studentDir, &error), qPrintable(error));
        QCOMPARE(balance.sampleCount(), 1);
        QCOMPARE(balance.latest()->step, int64_t{1});
        QCOMPARE(balance.cellText(0, 0), QString("task"));
        QCOMPARE(balance.cellText(1, 0), QString("cwd[stage3]"));

        RunsTableView runs;
        runs.setProjectDir(project);
        QCOMPARE(runs.rowCount(), 2);
        for (int r = 0; r < 2; ++r) {
            QCOMPARE(runs.textAt(r, RunsTableView::Status), QString("finished"));
            QVERIFY(runs.textAt(r, RunsTableView::Metric).startsWith("top-1 "));
        }

        if (!mShots.isEmpty()) {
            shot(predictions, "predictions_real");
            inspector.setSortByKl(true);
            shot(inspector, "channel_inspector_real");
            shot(runs, "runs_table_real");
        }
    }

    // ---- screenshots of synthetic but realistic data ---------------------------------------------------

    void screenshots() {
        if (mShots.isEmpty()) QSKIP("set DISTILLERY_VIEW_SHOTS=<folder> to render the views");
        LossCurvesView curves;
        std::mt19937 rng(1);
        std::normal_distribution<double> noise(0, 0.08);
        const int steps = 1400, perEpoch = 280;
        for (int i = 1; i <= steps; ++i) {
            StepEvent e;
            e.step = i;
            e.epoch = (i - 1) / perEpoch + 1;
            const double task = 0.35 + 1.9 * std::exp(-i / 250.0) + noise(rng) * 0.6;
            const double cwd = 0.2 + 0.9 * std::exp(-i / 400.0) + noise(rng) * 0.3;
            e.terms = {{"task", task}, {"cwd[stage3]", cwd}};
            e.total = task + cwd;
            e.lr = 0.05 * 0.5 * (1 + std::cos(M_PI * i / steps));
            curves.addStep(e);
            if (i % perEpoch == 0) {
                EpochEvent ep;
                ep.epoch = e.epoch;
                ep.step = i;
                ep.metrics = {{"top1", 92 - 14 * std::exp(-i / 350.0)}, {"loss", 0.3}};
                curves.addEpoch(ep);
            }
        }
        curves.setSmoothing(0.6);
        shot(curves, "loss_curves", [&] { curves.showReadoutAt(700); });

        // 64 channels of 8x8: gaussian blobs at channel-dependent places; the student is a noisy, shifted
        // copy.
        const int c = 64, h = 8, w = 8;
        std::vector<float> t(c * h * w), s(c * h * w);
        for (int k = 0; k < c; ++k)
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    const double cy = (k * 3) % h, cx = (k * 5) % w, shift = (k % 7 == 0) ? 3 : 0.5;
                    const double d = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    const double ds = (y - cy - shift) * (y - cy - shift) + (x - cx) * (x - cx);
                    t[(k * h + y) * w + x] = k == 5 ? 0.f : static_cast<float>(3 * std::exp(-d / 6));
                    s[(k * h + y) * w + x] = static_cast<float>(2.5 * std::exp(-ds / 5) + noise(rng));
                }
        ActivationSnapshot snap;
        snap.step = 840;
        snap.sampleIndex = 7;
        snap.split = Split::Val;
        snap.teacher = featureMap("stage3", c, h, w, t);
        snap.student = featureMap("stage3", c, h, w, s);
        snap.sample.image.channels = 1;
        snap.sample.image.height = snap.sample.image.width = 28;
        for (int y = 0; y < 28; ++y)
            for (int x = 0; x < 28; ++x)
                snap.sample.image.data.push_back((std::abs(x - 14) < 8 && std::abs(y - 14) < 11) ? 0.8f
                                                                                                 : 0.05f);
        ChannelInspectorView inspector;
        inspector.setTapPairs({{"stage3", "stage3"}, {"stage2", "stage2"}});
        inspector.setSnapshot(snap);
        shot(inspector, "channel_inspector");
        inspector.setSortByKl(true);
        inspector.setNormalisation(ChannelInspectorView::Normalisation::Softmax);
        shot(inspector, "channel_inspector_softmax");
        ActivationSnapshot studentOnly = snap;
        studentOnly.teacher = FeatureMap{};
        ChannelInspectorView trainJob;
        trainJob.setTapPairs({{"", "stage3"}});
        trainJob.setSnapshot(studentOnly);
        shot(trainJob, "channel_inspector_student_only");
        ChannelInspectorView empty;
        shot(empty, "channel_inspector_empty");

        // Segmentation: 64x64 scenes with two objects; the student misses part of one.
        std::vector<SamplePrediction> seg;
        for (int i = 0; i < 6; ++i) {
            SamplePrediction p;
            p.index = i;
            p.sample.image = Image{1, 64, 64, std::vector<float>(64 * 64, 0.05f)};
            p.sample.mask = Mask{64, 64, std::vector<uint8_t>(64 * 64, 0)};
            for (int y = 0; y < 64; ++y)
                for (int x = 0; x < 64; ++x) {
                    uint8_t cls = 0;
                    if (std::abs(x - 18 - i * 2) < 10 && std::abs(y - 20) < 14) cls = 1 + i % 3;
                    if (std::abs(x - 46) < 12 && std::abs(y - 44 + i) < 9) cls = 4 + i % 2;
                    p.sample.mask.data[y * 64 + x] = cls;
                    if (cls) p.sample.image.data[y * 64 + x] = 0.4f + 0.1f * cls;
                    if (cls && (x + y) % 17 == 0) p.sample.mask.data[y * 64 + x] = 255;
                }
            p.teacherMask = p.sample.mask;
            p.studentMask = p.sample.mask;
            for (auto* m : {&p.teacherMask, &p.studentMask})
                for (auto& v : m->data)
                    if (v == 255) v = 0;
            for (int y = 30; y < 64; ++y)
                for (int x = 0; x < 32; ++x)
                    p.studentMask.data[y * 64 + x] = p.sample.mask.data[14 * 64 + 18] ? 2 : 0;
            seg.push_back(p);
        }
        EvalResult segResult;
        segResult.metrics = {{"miou", 61.4}, {"pixel_acc", 93.2}, {"loss", 0.31}};
        segResult.perClassIoU = {95.1, 60.3, 55.0, 48.2, 71.9, std::nan("")};
        segResult.samples = 2000;
        PredictionsView segView;
        segView.setResults(segResult, seg, Task::Segmentation,
                           {"background", "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat"});
        shot(segView, "predictions_segmentation");
    }
};

QTEST_MAIN(ViewsTest)
#include "test_views.moc"
