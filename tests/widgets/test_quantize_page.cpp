// The Quantize & Export page driven headless on a tiny real teacher and distilled student: bit widths and
// their hand-computed size and BOPs, the budget (errors, sensitivity, fitting), calibration into a new run
// that joins the comparison, ONNX export with its card, and QAT started through the window.

#include <QComboBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QtTest/QtTest>

#include "core/engine.h"
#include "core/quantize.h"
#include "core/run_folder.h"
#include "widgets/main_window.h"
#include "widgets/project.h"
#include "widgets/quantize_page.h"
#include "widgets/views/loss_curves_view.h"
#include "widgets/views/runs_table_view.h"
#include "widgets/views/view_types.h"

using namespace distillery;

namespace {

constexpr int kTaskTimeoutMs = 180000;

const char* kTiny = R"(
name: tiny
job: train
threads: 2
data: {dataset: fashion_mnist, subset: 64, workers: 1}
transforms: {eval: [{normalize: {mean: [0.286], std: [0.353]}}], train: [{normalize: {mean: [0.286], std: [0.353]}}]}
model: {arch: resnet8}
train: {epochs: 1, batch_size: 32, eval_batch_size: 64, log_every: 1}
)";

// ResNet-8 on 1×28×28 inputs, by hand: conv weights 3×3 (1×1 for the shortcuts) plus one folded bias per
// output channel, and the 64→10 classifier.
constexpr double kStemParams = 16 * 9 + 16;                                           // 160
constexpr double kStemMacs = 16 * 9 * 28 * 28;                                        // 112896
constexpr double kParams = 144 + 2304 * 2 + 4608 + 9216 + 512 + 18432 + 36864 + 2048  // weights
                           + 16 * 3 + 32 * 3 + 64 * 3                                 // folded biases
                           + 650;                                                     // classifier
constexpr double kMacs = 112896 + 1806336 * 2 + 903168 + 1806336 + 100352 + 903168 + 1806336 + 100352 + 640;

bool runJob(const Recipe& recipe, const QString& dir) {
    Job job(recipe, {dir.toStdString()});
    job.start();
    return job.wait().status == RunStatus::Finished;
}

int rowOf(const QuantizePage& page, const QString& model) {
    for (int row = 0; row < page.comparisonRowCount(); ++row)
        if (page.comparisonText(row, QuantComparisonModel::Model) == model) return row;
    return -1;
}

}  // namespace

class QuantizePageTest : public QObject {
    Q_OBJECT

    QString mScratch;
    Project mProject;
    QString mTeacher;
    QString mStudent;
    QString mPtq;

    /** A page on the project with the student loaded. */
    void load(QuantizePage& page) {
        page.setThreads(2);
        page.setProject(mProject);
        QSignalSpy loaded(&page, &QuantizePage::layersLoaded);
        QVERIFY2(page.setSourceRun(mStudent), qPrintable(page.message()));
        QVERIFY2(loaded.wait(kTaskTimeoutMs), qPrintable(page.message()));
        QCOMPARE(page.layers().size(), size_t(10));
    }

    static bool waitTask(QuantizePage& page, QuantizePage::Task task) {
        QSignalSpy finished(&page, &QuantizePage::taskFinished);
        if (!finished.wait(kTaskTimeoutMs)) return false;
        return finished.last().at(0).value<QuantizePage::Task>() == task && finished.last().at(1).toBool();
    }

private Q_SLOTS:
    void initTestCase() {
        registerEngineMetaTypes();
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("Distillery-test");
        QCoreApplication::setApplicationName("test_quantize_page");
        QSettings settings;
        settings.clear();
        settings.setValue("autosaveSeconds", 0);
        settings.setValue("welcomeDone", true);

        mScratch =
            QDir::temp().filePath(QString("distillery-quantize-%1").arg(QCoreApplication::applicationPid()));
        QDir(mScratch).removeRecursively();
        QVERIFY(QDir().mkpath(mScratch));
        settings.setValue("projectsRoot", mScratch + "/projects");

        QString error;
        const Recipe project = parseRecipe(kTiny, "tiny.yaml", mScratch.toStdString());
        QVERIFY2(Project::create(mScratch + "/project", project, &mProject, &error), qPrintable(error));

        // A teacher, and a student distilled from it with KD: a few steps each.
        mTeacher = mProject.runsDir() + "/teacher_tiny";
        QVERIFY(
            runJob(parseRecipe(kTiny, "tiny.yaml", mScratch.toStdString(), {"name=teacher_tiny"}), mTeacher));
        mStudent = mProject.runsDir() + "/student_kd";
        const std::string distill = std::string(kTiny) + R"(
teacher: {arch: resnet8, checkpoint: )" +
                                    mTeacher.toStdString() + R"(}
losses:
  - {method: task, weight: 1}
  - {method: kd, weight: 1, tau: 4}
)";
        QVERIFY(runJob(
            parseRecipe(distill, "kd.yaml", mScratch.toStdString(), {"job=distill", "name=student_kd"}),
            mStudent));
    }

    void cleanupTestCase() { QDir(mScratch).removeRecursively(); }

    void editingBitsUpdatesSizeAndBops() {
        QuantizePage page;
        load(page);
        QCOMPARE(page.cost().sizeBytes, kParams);  // 77418 bytes at 8 bit
        QCOMPARE(page.cost().bops, kMacs * 8 * 8);
        QCOMPARE(page.fp32Cost().sizeBytes, kParams * 4);
        QCOMPARE(page.fp32Cost().bops, kMacs * 32 * 32);
        QVERIFY2(page.totalsText().contains("77.4 KB") && page.totalsText().contains("309.7 KB") &&
                     page.totalsText().contains("598.1M") && page.totalsText().contains("9.6G") &&
                     page.totalsText().contains("4.0×") && page.totalsText().contains("16.0×"),
                 qPrintable(page.totalsText()));

        // The stem at 4 bit, chosen in the table's combo box as a user would.
        QAbstractItemModel* model = page.layerModel();
        QCOMPARE(model->index(0, QuantLayersModel::Name).data().toString(), QString("stem.conv"));
        QCOMPARE(model->index(0, QuantLayersModel::Params).data(Qt::ToolTipRole).toDouble(), kStemParams);
        QCOMPARE(model->index(0, QuantLayersModel::Macs).data(Qt::ToolTipRole).toDouble(), kStemMacs);
        page.resize(1200, 800);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        QTableView* table = page.layerTable();
        table->edit(model->index(0, QuantLayersModel::WeightBits));
        auto* combo = table->findChild<QComboBox*>();
        QVERIFY(combo);
        combo->setCurrentIndex(combo->findData(4));
        Q_EMIT combo->activated(combo->currentIndex());
        QTRY_COMPARE(model->index(0, QuantLayersModel::WeightBits).data(Qt::EditRole).toInt(), 4);
        QCOMPARE(page.cost().sizeBytes, kParams - kStemParams * 4 / 8);  // 77338 bytes
        QCOMPARE(page.cost().bops, kMacs * 64 - kStemMacs * 4 * 8);      // 594526208
        QVERIFY2(page.totalsText().contains("77.3 KB") && page.totalsText().contains("594.5M"),
                 qPrintable(page.totalsText()));

        // The classifier in float: 32-bit weights and activations.
        QVERIFY(page.setLayerBits("classifier", 0));
        QCOMPARE(page.cost().sizeBytes, kParams - 80 + 650 * 3);
        QCOMPARE(page.cost().bops, kMacs * 64 - kStemMacs * 32 + 640 * (1024 - 64));
        QCOMPARE(model->index(9, QuantLayersModel::WeightBits).data().toString(), QString("float"));
        const QuantSpec spec = page.spec();
        QCOMPARE(spec.weightBits, 8);
        QCOMPARE(spec.layerBits, (std::map<std::string, int>{{"stem.conv", 4}, {"classifier", 0}}));

        // An unknown layer and a width that does not exist are errors on the page, nothing changes.
        QVERIFY(!page.setLayerBits("stage9.conv", 4));
        QVERIFY(page.messageIsError());
        QVERIFY2(page.message().contains("stage9.conv") && page.message().contains("layer3.0.2.conv"),
                 qPrintable(page.message()));
        QVERIFY(!page.setLayerBits("stem.conv", 3));
        QVERIFY(page.messageIsError());
        QCOMPARE(model->index(0, QuantLayersModel::WeightBits).data(Qt::EditRole).toInt(), 4);

        page.setAllWeightBits(4);
        QCOMPARE(page.cost().sizeBytes, kParams / 2);
    }

    void sourceMustBeATrainedFp32Run() {
        QuantizePage page;
        page.setProject(mProject);
        QVERIFY(!page.setSourceRun(mScratch + "/nowhere"));
        QVERIFY(page.messageIsError());
        QVERIFY(!page.setSourceRun(mProject.runsDir()));
        QVERIFY2(page.message().contains("recipe.yaml"), qPrintable(page.message()));
        QVERIFY(!page.setSourceRun(mProject.dir()));  // a recipe, but nothing trained
        QVERIFY2(page.message().contains("checkpoint"), qPrintable(page.message()));
        QVERIFY(!page.isBusy());
    }

    void budgetSensitivityAndFit() {
        QuantizePage page;
        load(page);
        page.setCalibrationBatches(2);

        // The slider spans all 2-bit to all 8-bit weights, written as budget text.
        page.setBudgetSlider(0);
        QVERIFY2(std::abs(parseBudget(page.budgetText().toStdString()).value - kParams * 2 / 8) < 10,
                 qPrintable(page.budgetText()));  // "size=19.35KB"
        page.setBudgetSlider(1000);
        QVERIFY2(std::abs(parseBudget(page.budgetText().toStdString()).value - kParams) < 10,
                 qPrintable(page.budgetText()));
        QVERIFY2(page.budgetReadout().contains("77.4 KB"), qPrintable(page.budgetReadout()));

        QVERIFY(!page.setBudgetText("size=lots"));
        QVERIFY(page.messageIsError());
        QVERIFY2(page.message().contains("size=lots"), qPrintable(page.message()));

        // Fitting needs sensitivity.
        QVERIFY(page.setBudgetText("size=40KB"));
        QVERIFY(!page.fitToBudget());
        QVERIFY2(page.message().contains("sensitivity"), qPrintable(page.message()));

        QVERIFY(page.measureSensitivity());
        QVERIFY(page.isBusy());
        QVERIFY2(waitTask(page, QuantizePage::Task::Sensitivity), qPrintable(page.message()));
        for (int row = 0; row < page.layerModel()->rowCount(); ++row)
            for (int c : {QuantLayersModel::Sens6, QuantLayersModel::Sens4, QuantLayersModel::Sens2})
                QVERIFY(page.layerModel()->index(row, c).data().toString() != QString("—"));

        // Below the all-2-bit size: the core's message, shown on the page; the widths stay.
        QVERIFY(page.setBudgetText("size=10KB"));
        QVERIFY(!page.fitToBudget());
        QVERIFY(page.messageIsError());
        QVERIFY2(page.message().contains("smallest"), qPrintable(page.message()));
        QCOMPARE(page.cost().sizeBytes, kParams);

        QVERIFY(page.setBudgetText("size=40KB"));
        QVERIFY2(page.fitToBudget(), qPrintable(page.message()));
        QVERIFY(!page.messageIsError());
        QVERIFY(page.cost().sizeBytes <= 40000);
        QVERIFY(page.cost().sizeBytes > kParams / 4);
        QVERIFY(!page.spec().layerBits.empty() || page.spec().weightBits < 8);
    }

    void calibrateAddsTheRunToTheComparison() {
        QuantizePage page;
        load(page);
        page.setCalibrationBatches(2);
        QCOMPARE(rowOf(page, "Teacher"), 0);
        QCOMPARE(rowOf(page, "fp32 student"), 1);
        QVERIFY2(page.comparisonText(0, QuantComparisonModel::Metric)
                     .contains(QRegularExpression("^[0-9]+\\.[0-9]{2}$")),
                 qPrintable(page.comparisonText(0, QuantComparisonModel::Metric)));

        QSignalSpy created(&page, &QuantizePage::runCreated);
        QVERIFY(page.calibrate());
        QVERIFY2(waitTask(page, QuantizePage::Task::Calibrate), qPrintable(page.message()));
        QCOMPARE(created.count(), 1);
        mPtq = created.first().at(0).toString();
        QVERIFY(mPtq.startsWith(mProject.runsDir() + "/student_kd-ptq-"));
        QVERIFY(isQuantizedRun(mPtq.toStdString()));

        const int row = rowOf(page, "PTQ");
        QVERIFY2(row >= 0, qPrintable(page.message()));
        QCOMPARE(page.comparisonRunDir(row), mPtq);
        QVERIFY2(page.comparisonText(row, QuantComparisonModel::Metric).contains(QRegularExpression("[0-9]")),
                 qPrintable(page.comparisonText(row, QuantComparisonModel::Metric)));
        QVERIFY(
            page.comparisonText(row, QuantComparisonModel::Int8Metric).contains(QRegularExpression("[0-9]")));
        QCOMPARE(page.comparisonText(row, QuantComparisonModel::Bits), QString("W8 A8"));
        QCOMPARE(page.comparisonText(row, QuantComparisonModel::Size), QString("77.4 KB"));
        QCOMPARE(page.comparisonText(row, QuantComparisonModel::Compression), QString("4.00×"));

        // The quantized run cannot be a source itself.
        QVERIFY(!page.setSourceRun(mPtq));
        QVERIFY2(page.message().contains("already quantized"), qPrintable(page.message()));

        // Sorting by size puts the quantized run first, and the teacher back at the top by model order.
        page.comparisonTable()->sortByColumn(QuantComparisonModel::Size, Qt::AscendingOrder);
        QCOMPARE(page.comparisonText(0, QuantComparisonModel::Model), QString("PTQ"));
        page.comparisonTable()->sortByColumn(QuantComparisonModel::Model, Qt::AscendingOrder);
        QCOMPARE(page.comparisonText(0, QuantComparisonModel::Model), QString("Teacher"));
    }

    void exportWritesTheFileAndItsCard() {
        QVERIFY2(!mPtq.isEmpty(), "needs the run of calibrateAddsTheRunToTheComparison");
        QuantizePage page;
        load(page);
        QSignalSpy exported(&page, &QuantizePage::exported);

        // int8 needs a quantized run.
        const QString wrong = mScratch + "/student-int8.onnx";
        QVERIFY(!page.exportRun(mStudent, "onnx-int8", wrong));
        QVERIFY(page.messageIsError());
        QVERIFY2(page.message().contains("not quantized"), qPrintable(page.message()));
        QVERIFY(!QFileInfo::exists(wrong));

        const QString fp32 = mScratch + "/student.onnx";
        QVERIFY(page.exportRun(mStudent, "onnx", fp32));
        QVERIFY2(waitTask(page, QuantizePage::Task::Export), qPrintable(page.message()));
        QVERIFY(QFileInfo(fp32).size() > 1000);
        QVERIFY(QFileInfo::exists(mScratch + "/student.card.json"));
        QVERIFY2(page.message().contains("student.onnx") && page.message().contains("student.card.json"),
                 qPrintable(page.message()));

        const QString int8 = mScratch + "/ptq-int8.onnx";
        page.setEvalSubset(64);
        page.setVerifyExport(true);
        QVERIFY(page.exportRun(mPtq, "onnx-int8", int8));
        QVERIFY2(waitTask(page, QuantizePage::Task::Export), qPrintable(page.message()));
        QVERIFY(QFileInfo(int8).size() > 1000);
        QVERIFY(QFileInfo::exists(mScratch + "/ptq-int8.card.json"));
        QCOMPARE(exported.count(), 2);
        // The check ran in onnxruntime and says how well the file agrees with the engine.
        QVERIFY2(page.message().contains("onnxruntime") && page.message().contains("agreement"),
                 qPrintable(page.message()));
    }

    void qatRunsThroughTheWindow() {
        MainWindow w;
        w.show();
        QString error;
        QVERIFY2(w.openProject(mProject.dir(), &error), qPrintable(error));
        QuantizePage* page = w.quantizePage();
        page->setThreads(2);
        w.runsTable()->selectRunDirs({mStudent});
        QSignalSpy loaded(page, &QuantizePage::layersLoaded);
        w.action("quantize")->trigger();
        QVERIFY2(loaded.wait(kTaskTimeoutMs), qPrintable(page->message()));
        QCOMPARE(page->sourceRun(), mStudent);
        QVERIFY(page->comparisonRowCount() >= 3);  // teacher, student, the PTQ run

        auto* teacher = page->findChild<QComboBox*>("quantQatTeacher");
        QVERIFY(teacher);
        QCOMPARE(teacher->currentData().toString(), QString("recipe"));  // the student was distilled
        teacher->setCurrentIndex(teacher->findData("self"));
        page->findChild<QSpinBox*>("quantQatEpochs")->setValue(1);
        QSignalSpy started(&w, &MainWindow::runStarted);
        QSignalSpy finished(&w, &MainWindow::runFinished);
        QVERIFY(page->startQat());
        QVERIFY2(started.wait(kTaskTimeoutMs), qPrintable(page->message()));
        QCOMPARE(w.runKind(), MainWindow::RunKind::Qat);
        QVERIFY(w.action("pause")->isEnabled());
        QVERIFY(!page->findChild<QPushButton*>("quantStartQat")->isEnabled());
        QVERIFY(finished.wait(kTaskTimeoutMs));
        QCOMPARE(finished.last().at(1).value<RunStatus>(), RunStatus::Finished);
        QVERIFY(w.lossCurves()->pointCount("loss/total") > 0);
        const QString qatDir = finished.last().at(0).toString();
        QVERIFY(isQuantizedRun(qatDir.toStdString()));
        // The run was started as QAT, and its summary says so (not its folder's name).
        const RunOverview overview = RunFolder(qatDir.toStdString()).overview();
        QVERIFY(overview.kind == RunKind::Qat);
        QVERIFY(overview.role == RunRole::Student);
        // The learning rate left at its default: 1 % of the student's.
        const Recipe qat = loadRecipe((qatDir + "/recipe.yaml").toStdString());
        QVERIFY(qat.quant.enabled);
        QCOMPARE(qat.optim.lr, parseRecipe(kTiny, "tiny.yaml", mScratch.toStdString()).optim.lr * 0.01);
        // Its report and the comparison are read off the GUI thread; its row and a message follow.
        int row = -1;
        const auto findRow = [&] {
            row = -1;
            for (int r = 0; r < page->comparisonRowCount(); ++r)
                if (QDir(page->comparisonRunDir(r)) == QDir(qatDir)) row = r;
            return row >= 0 && page->message().contains("finished");
        };
        QTRY_VERIFY2_WITH_TIMEOUT(findRow(), qPrintable(page->message()), 30000);
        QVERIFY2(page->comparisonText(row, QuantComparisonModel::Model).startsWith("QAT"),
                 qPrintable(page->comparisonText(row, QuantComparisonModel::Model)));
        QVERIFY(
            page->comparisonText(row, QuantComparisonModel::Metric).contains(QRegularExpression("[0-9]")));
        QVERIFY2(!page->messageIsError() && page->message().contains("finished") &&
                     page->message().contains("LibTorch int8"),
                 qPrintable(page->message()));
    }

    // Once-QAT from the page: one model for 8, 4 and 2 bits, a curve per width live, a comparison row per
    // width, and the 4-bit row exported (taken out into RUN-w4 first).
    void onceQatThroughTheWindow() {
        MainWindow w;
        w.show();
        QString error;
        QVERIFY2(w.openProject(mProject.dir(), &error), qPrintable(error));
        QuantizePage* page = w.quantizePage();
        page->setThreads(2);
        w.runsTable()->selectRunDirs({mStudent});
        QSignalSpy loaded(page, &QuantizePage::layersLoaded);
        w.action("quantize")->trigger();
        QVERIFY2(loaded.wait(kTaskTimeoutMs), qPrintable(page->message()));
        auto* teacher = page->findChild<QComboBox*>("quantQatTeacher");
        teacher->setCurrentIndex(teacher->findData("self"));
        page->setQatWidths({8, 4, 2});
        QCOMPARE(page->qatWidths(), (std::vector<int>{8, 4, 2}));
        QSignalSpy finished(&w, &MainWindow::runFinished);
        QVERIFY(page->startQat());
        QVERIFY(finished.wait(kTaskTimeoutMs));
        QCOMPARE(finished.last().at(1).value<RunStatus>(), RunStatus::Finished);
        const QString onceDir = finished.last().at(0).toString();
        const Recipe once = loadRecipe((onceDir + "/recipe.yaml").toStdString());
        QVERIFY(once.quant.vertical == (std::vector<int>{8, 4, 2}));
        // Selected in the runs table, the run shows each width's loss and validation curve.
        const auto shown = [&] {
            w.runsTable()->selectRunDirs({onceDir});  // again until the refreshed table lists it
            return w.lossCurves()->pointCount("loss/w2:total") > 0;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(shown(), qPrintable(w.lossCurves()->curveNames().join(", ")), 10000);
        QCOMPARE(w.lossCurves()->pointCount("val/w4/top1"), 1);
        QCOMPARE(w.lossCurves()->pointCount("val/w8/top1"), 1);

        std::map<int, int> rowOfWidth;
        const auto findRows = [&] {
            rowOfWidth.clear();
            for (int r = 0; r < page->comparisonRowCount(); ++r)
                if (QDir(page->comparisonRunDir(r)) == QDir(onceDir))
                    rowOfWidth[page->comparisonWidth(r)] = r;
            return rowOfWidth.size() == 3;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(findRows(), qPrintable(page->message()), 30000);
        QVERIFY(rowOfWidth.count(8) && rowOfWidth.count(4) && rowOfWidth.count(2));
        QCOMPARE(page->comparisonText(rowOfWidth[4], QuantComparisonModel::Bits), QString("W4 A8"));
        QVERIFY2(page->comparisonText(rowOfWidth[2], QuantComparisonModel::Model).startsWith("Once-QAT"),
                 qPrintable(page->comparisonText(rowOfWidth[2], QuantComparisonModel::Model)));

        const QString file = mScratch + "/once-w4-int8.onnx";
        QVERIFY(page->exportRun(onceDir, "onnx-int8", file, 4));
        QVERIFY2(waitTask(*page, QuantizePage::Task::Export), qPrintable(page->message()));
        QVERIFY(QFileInfo(file).size() > 1000);
        QVERIFY(isQuantizedRun((onceDir + "-w4").toStdString()));
        const QuantizeResult four = readQuantReport((onceDir + "-w4").toStdString());
        QCOMPARE(four.layers.front().weightBits, 4);
    }
};

QTEST_MAIN(QuantizePageTest)
#include "test_quantize_page.moc"
