// The Quantize page's table models on hand-made layers, summaries and reports, against values worked out by
// hand; and what the page reads from run folders (source candidates, where a quantized run came from) on
// folders written here.

#include <QColor>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest/QtTest>
#include <cmath>

#include "core/recipe.h"
#include "core/run_folder.h"
#include "widgets/quant_comparison_model.h"
#include "widgets/quant_layers_model.h"
#include "widgets/quant_run_scan.h"

using namespace distillery;

namespace {

QuantLayer layer(const std::string& name, const std::string& op, int64_t params, int64_t macs) {
    QuantLayer l;
    l.name = name;
    l.op = op;
    l.params = params;
    l.macs = macs;
    return l;
}

QString text(const QAbstractItemModel& model, int row, int column, int role = Qt::DisplayRole) {
    return model.index(row, column).data(role).toString();
}

void writeText(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    f.write(content);
}

const char* kTrain = R"(
name: tiny
job: train
data: {dataset: fashion_mnist}
model: {arch: resnet8}
)";

}  // namespace

class QuantModelsTest : public QObject {
    Q_OBJECT

    /** A source run of ResNet-8 distilled from a ResNet-20 teacher, and two quantized runs of it. */
    static QuantComparison comparison() {
        QuantComparison c;
        c.sourceDir = "/project/runs/student";
        c.sourceModel = "resnet8";
        c.metric = "top1";
        RunOverview source;
        source.root = c.sourceDir.toStdString();
        source.mainMetric = "top1";
        source.bestMetric = 85.5;
        c.source = source;

        c.teacherDir = "/project/runs/teacher";
        RunOverview teacher;
        teacher.root = c.teacherDir.toStdString();
        RunSummaryRecord summary;
        summary.role = RunRole::Teacher;
        summary.mainMetric = "top1";
        summary.bestMetrics = {{"loss", 0.3}, {"top1", 91.25}};
        summary.params = 1000;
        summary.macs = 2000;
        summary.student.arch = "resnet20";
        teacher.summary = summary;
        c.teacher = teacher;

        c.fp32Cost = {4000.0, 2048000.0};  // the source's layers in float: 1000 params, 2000 MACs

        QuantizeResult ptq;
        ptq.outDir = "/project/runs/student-ptq";
        ptq.method = "ptq";
        ptq.observer = "minmax";
        ptq.metric = "top1";
        ptq.fp32Metric = 85.5;
        ptq.simulatedMetric = 84.0;
        ptq.int8Metric = 83.5;
        ptq.int8Agreement = 98.75;
        ptq.fp32LatencyMs = 12.34;
        ptq.int8LatencyMs = 5.0;
        ptq.layers = {layer("a", "conv", 400, 1000), layer("b", "linear", 600, 1000)};
        ptq.cost = {1000.0, 128000.0};
        ptq.fp32Cost = c.fp32Cost;

        QuantizeResult mixed;
        mixed.outDir = "/project/runs/student-qat";
        mixed.method = "qat-kd-mixed";
        mixed.metric = "top1";
        mixed.fp32Metric = 85.5;
        mixed.simulatedMetric = 84.25;
        mixed.layers = {layer("a", "conv", 400, 1000), layer("b", "linear", 600, 1000)};
        mixed.layers[1].weightBits = 4;
        mixed.cost = {600.0, 64000.0};
        mixed.fp32Cost = c.fp32Cost;
        c.quantized = {ptq, mixed};
        return c;
    }

private Q_SLOTS:
    // ---- layers --------------------------------------------------------------------------------------

    void layersShowCountsWidthsAndBops() {
        QuantLayersModel model;
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        QuantLayer stem = layer("stem.conv", "conv", 160, 112896);
        stem.sensitivity = {{6, 0.01}, {4, 0.05}, {2, 0.4}};
        model.setLayers({stem, layer("classifier", "linear", 650, 640)});
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(QuantLayersModel::ColumnCount));
        QCOMPARE(model.headerData(QuantLayersModel::Bops, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QString("BOPs"));

        QCOMPARE(text(model, 0, QuantLayersModel::Name), QString("stem.conv"));
        QCOMPARE(text(model, 0, QuantLayersModel::Op), QString("conv"));
        QCOMPARE(text(model, 0, QuantLayersModel::Params), QString("160"));
        QCOMPARE(text(model, 0, QuantLayersModel::Macs), QString("113K"));
        QCOMPARE(text(model, 0, QuantLayersModel::Macs, Qt::ToolTipRole), QString("112896"));
        QCOMPARE(text(model, 0, QuantLayersModel::WeightBits), QString("8"));
        QCOMPARE(text(model, 0, QuantLayersModel::ActBits), QString("8"));
        // 112896 MACs × 8 × 8.
        QCOMPARE(text(model, 0, QuantLayersModel::Bops), QString("7.2M"));
        QCOMPARE(text(model, 0, QuantLayersModel::Bops, Qt::ToolTipRole), QString("7225344"));
        QCOMPARE(text(model, 0, QuantLayersModel::Sens6), QString("0.01"));
        QCOMPARE(text(model, 0, QuantLayersModel::Sens2), QString("0.4"));
        QCOMPARE(text(model, 1, QuantLayersModel::Sens4), QString("—"));

        // Size = Σ params · bits / 8, BOPs = Σ MACs · w · a: 160 + 650 bytes, (112896 + 640) · 64.
        QCOMPARE(model.cost().sizeBytes, 810.0);
        QCOMPARE(model.cost().bops, 7266304.0);
        QCOMPARE(model.fp32Cost().sizeBytes, 3240.0);
        QCOMPARE(model.fp32Cost().bops, 116260864.0);
    }

    void layerWidthsAreEditedOneAtATime() {
        QuantLayersModel model;
        model.setLayers({layer("stem.conv", "conv", 160, 112896), layer("classifier", "linear", 650, 640)});
        const QModelIndex stemBits = model.index(0, QuantLayersModel::WeightBits);
        QVERIFY(model.flags(stemBits) & Qt::ItemIsEditable);
        QVERIFY(!(model.flags(model.index(0, QuantLayersModel::Params)) & Qt::ItemIsEditable));

        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        QVERIFY(model.setData(stemBits, 4, Qt::EditRole));
        QCOMPARE(changed.count(), 1);
        // The change reaches the layer's BOPs: the totals and the budget follow the same signal.
        QCOMPARE(changed.first().at(0).toModelIndex().column(), int(QuantLayersModel::WeightBits));
        QCOMPARE(changed.first().at(1).toModelIndex().column(), int(QuantLayersModel::Bops));
        QCOMPARE(stemBits.data(Qt::EditRole).toInt(), 4);
        QCOMPARE(text(model, 0, QuantLayersModel::Bops, Qt::ToolTipRole), QString("3612672"));  // × 4 × 8

        // Widths that do not exist, and other columns, are refused; nothing changes.
        QVERIFY(!model.setData(stemBits, 3, Qt::EditRole));
        QVERIFY(!model.setData(stemBits, "eight", Qt::EditRole));
        QVERIFY(!model.setData(model.index(0, QuantLayersModel::Params), 4, Qt::EditRole));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(stemBits.data(Qt::EditRole).toInt(), 4);

        // Float: 32-bit weights and activations.
        QVERIFY(model.setData(model.index(1, QuantLayersModel::WeightBits), 0, Qt::EditRole));
        QCOMPARE(text(model, 1, QuantLayersModel::WeightBits), QString("float"));
        QCOMPARE(text(model, 1, QuantLayersModel::ActBits), QString("float"));
        QCOMPARE(text(model, 1, QuantLayersModel::Bops), QString("655K"));  // 640 × 32 × 32
        // 160 · 4/8 + 650 · 32/8 bytes; 112896 · 32 + 640 · 1024 BOPs.
        QCOMPARE(model.cost().sizeBytes, 2680.0);
        QCOMPARE(model.cost().bops, 4268032.0);
        QCOMPARE(model.cost().bops, QuantLayersModel::layerBops(model.layers()[0]) +
                                        QuantLayersModel::layerBops(model.layers()[1]));

        model.setBits({{"classifier", 2}, {"nowhere", 6}});
        QCOMPARE(model.layers()[1].weightBits, 2);
        QCOMPARE(model.layers()[0].weightBits, 4);
        model.setAllBits(6);
        QCOMPARE(model.cost().sizeBytes, (160 + 650) * 6 / 8.0);
        QCOMPARE(model.rowOf("classifier"), 1);
        QCOMPARE(model.rowOf("stage9"), -1);
    }

    void sensitivityIsMergedAndShadedByItsLargest() {
        QuantLayersModel model;
        model.setLayers({layer("a", "conv", 10, 100), layer("b", "conv", 10, 100)});
        QVERIFY(!model.hasSensitivity());
        QuantLayer a = layer("a", "conv", 10, 100), b = layer("b", "conv", 10, 100);
        a.sensitivity = {{6, 0.1}, {4, 0.2}, {2, 0.8}};
        model.mergeSensitivity({a});
        QVERIFY(!model.hasSensitivity());  // b has none yet
        b.sensitivity = {{6, 0.05}, {4, 0.1}, {2, 0.4}};
        model.mergeSensitivity({b});
        QVERIFY(model.hasSensitivity());
        // The largest value at a width is the strongest tint; half of it, half as strong.
        const QColor top = model.index(0, QuantLayersModel::Sens2).data(Qt::BackgroundRole).value<QColor>();
        const QColor half = model.index(1, QuantLayersModel::Sens2).data(Qt::BackgroundRole).value<QColor>();
        QCOMPARE(top, QColor::fromRgbF(1.0, 0.55, 0.45));
        QCOMPARE(half, QColor::fromRgbF(1.0, 1.0 - 0.45 * 0.5, 1.0 - 0.55 * 0.5));
    }

    // ---- comparison ------------------------------------------------------------------------------------

    void comparisonRowsFromSummariesAndReports() {
        QuantComparisonModel model;
        model.setComparison(comparison());
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.headerData(QuantComparisonModel::Metric, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QString("top-1 (%)"));
        using C = QuantComparisonModel;

        // The teacher: its summary's best top-1; 1000 parameters at 32 bit; 2000 MACs at 32 × 32 bit.
        QCOMPARE(text(model, 0, C::Model), QString("Teacher"));
        QCOMPARE(text(model, 0, C::Model, Qt::ToolTipRole), QString("resnet20"));
        QCOMPARE(text(model, 0, C::RunName), QString("teacher"));
        QCOMPARE(text(model, 0, C::Bits), QString("fp32"));
        QCOMPARE(text(model, 0, C::Metric), QString("91.25"));
        QCOMPARE(text(model, 0, C::Int8Metric), QString("—"));
        QCOMPARE(text(model, 0, C::Size), QString("4.0 KB"));
        QCOMPARE(text(model, 0, C::Compression), QString("1.00×"));  // 4000 B over 4000 B
        QCOMPARE(text(model, 0, C::Bops), QString("2.0M"));          // 2000 × 1024
        QCOMPARE(model.runDir(0), QString("/project/runs/teacher"));

        // The fp32 student: latency from the newest report that timed it.
        QCOMPARE(text(model, 1, C::Model), QString("fp32 student"));
        QCOMPARE(text(model, 1, C::Metric), QString("85.50"));
        QCOMPARE(text(model, 1, C::Size), QString("4.0 KB"));
        QCOMPARE(text(model, 1, C::Bops), QString("2.0M"));
        QCOMPARE(text(model, 1, C::LatencyFp32), QString("12.3"));
        QCOMPARE(text(model, 1, C::LatencyInt8), QString("—"));

        // PTQ at 8 bit: 4000 / 1000 bytes.
        QCOMPARE(text(model, 2, C::Model), QString("PTQ"));
        QCOMPARE(text(model, 2, C::Model, Qt::ToolTipRole), QString("ptq, observer minmax"));
        QCOMPARE(text(model, 2, C::RunName), QString("student-ptq"));
        QCOMPARE(text(model, 2, C::Bits), QString("W8 A8"));
        QCOMPARE(text(model, 2, C::Metric), QString("84.00"));
        QCOMPARE(text(model, 2, C::Metric, Qt::ToolTipRole),
                 QString("Simulated in the engine; the fp32 source had 85.50"));
        QCOMPARE(text(model, 2, C::Int8Metric), QString("83.50"));
        QCOMPARE(text(model, 2, C::Agreement), QString("98.75"));
        QCOMPARE(text(model, 2, C::Size), QString("1.0 KB"));
        QCOMPARE(text(model, 2, C::Compression), QString("4.00×"));
        QCOMPARE(text(model, 2, C::Bops), QString("128K"));
        QCOMPARE(text(model, 2, C::LatencyFp32), QString("12.3"));
        QCOMPARE(text(model, 2, C::LatencyInt8), QString("5.0"));

        // Mixed-precision QAT without the int8 measurement: 4000 / 600 bytes.
        QCOMPARE(text(model, 3, C::Model), QString("QAT + KD (mixed)"));
        QCOMPARE(text(model, 3, C::Bits), QString("W8/4 A8"));
        QCOMPARE(text(model, 3, C::Int8Metric), QString("—"));
        QCOMPARE(text(model, 3, C::Agreement), QString("—"));
        QCOMPARE(text(model, 3, C::Size), QString("600 B"));
        QCOMPARE(text(model, 3, C::Compression), QString("6.67×"));
        QCOMPARE(text(model, 3, C::Bops), QString("64K"));
        QCOMPARE(text(model, 3, C::LatencyFp32), QString("—"));
        QCOMPARE(model.runDir(3), QString("/project/runs/student-qat"));

        // Sorting: the Model column keeps the order read; a missing value sorts below every number.
        QCOMPARE(model.index(3, C::Model).data(C::SortRole).toInt(), 3);
        QCOMPARE(model.index(3, C::Size).data(C::SortRole).toDouble(), 600.0);
        QVERIFY(model.index(3, C::Int8Metric).data(C::SortRole).toDouble() <
                model.index(2, C::Int8Metric).data(C::SortRole).toDouble());
        QCOMPARE(model.index(2, C::Bops).data(C::RunDirRole).toString(),
                 QString("/project/runs/student-ptq"));
    }

    void comparisonWithoutTeacherOrSource() {
        QuantComparison c = comparison();
        c.teacher->summary.reset();  // an unreadable teacher summary: no row, rather than zeros
        c.metric = "miou";
        c.source->mainMetric = "miou";
        QuantComparisonModel model;
        QSignalSpy header(&model, &QAbstractItemModel::headerDataChanged);
        model.setComparison(c);
        QCOMPARE(header.count(), 1);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(text(model, 0, QuantComparisonModel::Model), QString("fp32 student"));
        QCOMPARE(model.headerData(QuantComparisonModel::Metric, Qt::Horizontal, Qt::DisplayRole).toString(),
                 QString("mIoU (%)"));
        model.setComparison({});
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.runDir(0), QString());
    }

    // A once-QAT run holds several widths: a row for each, measured from the one model, each telling the page
    // which width it is (for export).
    void onceQatRunHasARowPerWidth() {
        QuantComparison c = comparison();
        QuantizeResult once;
        once.outDir = "/project/runs/student-once";
        once.method = "once-qat-self";
        once.metric = "top1";
        once.fp32Metric = 85.5;
        once.layers = {layer("a", "conv", 400, 1000), layer("b", "linear", 600, 1000)};
        once.cost = {1000.0, 128000.0};
        once.fp32Cost = c.fp32Cost;
        once.vertical = {{8, 84.5, 84.25, 99.5, {1000.0, 128000.0}},
                         {4, 82.0, 81.5, 97.0, {500.0, 64000.0}},
                         {2, 70.0, 69.0, 95.0, {250.0, 32000.0}}};
        c.quantized = {once};
        QuantComparisonModel model;
        model.setComparison(c);
        using C = QuantComparisonModel;
        QCOMPARE(model.rowCount(), 5);  // teacher, fp32 student, three widths
        QCOMPARE(text(model, 2, C::Model), QString("Once-QAT, self-taught · 8 bit"));
        QCOMPARE(text(model, 3, C::Model), QString("Once-QAT, self-taught · 4 bit"));
        QCOMPARE(text(model, 3, C::Bits), QString("W4 A8"));
        QCOMPARE(text(model, 3, C::Metric), QString("82.00"));
        QCOMPARE(text(model, 4, C::Int8Metric), QString("69.00"));
        QCOMPARE(text(model, 4, C::Compression), QString("16.00×"));  // 4000 / 250
        QCOMPARE(model.index(3, C::Metric).data(C::WidthRole).toInt(), 4);
        QCOMPARE(model.index(1, C::Metric).data(C::WidthRole).toInt(), 0);
        QCOMPARE(model.runDir(4), QString("/project/runs/student-once"));
        QVERIFY(model.index(2, C::Model).data(Qt::ToolTipRole).toString().contains("8/4/2"));
    }

    void labelsOfMethodsAndWidths() {
        QCOMPARE(QuantComparisonModel::methodLabel("once-qat-kd"), QString("Once-QAT + KD"));
        QCOMPARE(QuantComparisonModel::methodLabel("qat-self"), QString("QAT, self-taught"));
        QCOMPARE(QuantComparisonModel::methodLabel("ptq-mixed"), QString("PTQ (mixed)"));
        QCOMPARE(QuantComparisonModel::methodLabel("fancy"), QString("FANCY"));
        std::vector<QuantLayer> layers{layer("a", "conv", 1, 1), layer("b", "conv", 1, 1),
                                       layer("c", "linear", 1, 1)};
        layers[1].weightBits = 2;
        layers[2].weightBits = 0;  // float
        QCOMPARE(QuantComparisonModel::widthsText(layers), QString("W32/8/2 A32/8"));
    }

    // ---- what the page reads from run folders ------------------------------------------------------

    void sourcesAreTrainedFloatRuns() {
        QTemporaryDir scratch;
        const QString runs = scratch.path() + "/runs";
        const Recipe train = parseRecipe(kTrain, "tiny.yaml", scratch.path().toStdString());
        // A trained fp32 run with its summary.
        const QString trained = runs + "/trained";
        writeText(trained + "/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        writeText(trained + "/checkpoints/best.pt", "weights");
        RunSummaryRecord summary;
        summary.mainMetric = "top1";
        summary.bestMetrics = {{"top1", 81.5}};
        RunFolder(trained.toStdString()).writeSummary(summary);
        // Not trained yet.
        writeText(runs + "/fresh/recipe.yaml", QByteArray::fromStdString(recipeToYaml(train)));
        // QAT of the trained run, while it runs: its recipe quantizes and names its source.
        Recipe qat = train;
        qat.quant.enabled = true;
        qat.quant.from = trained.toStdString();
        const QString qatDir = runs + "/qat";
        writeText(qatDir + "/recipe.yaml", QByteArray::fromStdString(recipeToYaml(qat)));
        writeText(qatDir + "/checkpoints/last.pt", "weights");

        QVERIFY(isQuantSourceCandidate(trained));
        QVERIFY(!isQuantSourceCandidate(runs + "/fresh"));
        QVERIFY(isQuantizedFolder(qatDir));
        QVERIFY(!isQuantSourceCandidate(qatDir));
        QVERIFY(sameRunDir(quantSourceOf(qatDir), trained));
        QCOMPARE(quantSourceOf(trained), QString());

        const std::vector<QuantSource> sources = findQuantSources(runs);
        QCOMPARE(sources.size(), size_t(1));
        QCOMPARE(sources[0].dir, QDir(trained).absolutePath());
        QCOMPARE(sources[0].metric, std::string("top1"));
        QCOMPARE(sources[0].best, 81.5);

        // A checkpoint file stands for its run folder.
        QVERIFY(sameRunDir(runDirOf(trained + "/checkpoints/best.pt"), trained));
        QCOMPARE(runDirOf(scratch.path() + "/nowhere"), QString());

        // The comparison of the trained run: its own row, its best metric from the summary.
        const QuantComparison c = readQuantComparison(trained, train, {400.0, 1000.0}, runs);
        QVERIFY(c.source.has_value());
        QCOMPARE(c.metric, std::string("top1"));
        QCOMPARE(c.source->bestMetric, 81.5);
        QVERIFY(!c.teacher.has_value());
        QVERIFY(c.quantized.empty());
        QVERIFY(c.errors.isEmpty());
    }
};

QTEST_MAIN(QuantModelsTest)
#include "test_quant_models.moc"
