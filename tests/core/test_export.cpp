// ONNX export on small real students: the files pass the ONNX checker and read back with the protobuf,
// onnxruntime and OpenCV DNN reproduce the engine (fp32 to 1e-3; int8 agreeing with LibTorch's int8 kernels),
// the model card describes the run, bad requests are clear errors, and segmentation heads (FCN, PSP with
// overlapping adaptive bins and non-integer resize factors, DeepLabV3) export too.

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <QProcess>
#include <QtTest/QtTest>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/dataset.h"
#include "core/engine.h"
#include "core/install_paths.h"
#include "core/internal/checkpoint.h"
#include "core/internal/quant_internal.h"
#include "core/quantize.h"
#include "tests/core/suites.h"
#include "verify/runtime_check.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

const char* kStudent = R"(
name: export-student
job: train
seed: 11
threads: 2
data: {dataset: fashion_mnist, subset: 2048, workers: 2}
transforms:
  train: [{normalize: {mean: [0.286], std: [0.353]}}]
  eval: [{normalize: {mean: [0.286], std: [0.353]}}]
model: {arch: resnet8}
optim: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}
schedule: {name: cosine}
train: {epochs: 3, batch_size: 64, eval_batch_size: 256, log_every: 10}
)";

std::string scenesRecipe(const std::string& head, int canvas) {
    return "name: export-" + head +
           "\n"
           "job: train\n"
           "seed: 2\n"
           "threads: 2\n"
           "data: {dataset: fashion_scenes, canvas: " +
           std::to_string(canvas) +
           ", train_scenes: 64, val_scenes: 32, workers: 2}\n"
           "transforms:\n"
           "  train: [{normalize: {mean: [0.2], std: [0.35]}}]\n"
           "  eval: [{normalize: {mean: [0.2], std: [0.35]}}]\n"
           "model: {arch: resnet8, head: " +
           head +
           "}\n"
           "optim: {name: sgd, lr: 0.05, momentum: 0.9}\n"
           "train: {epochs: 1, batch_size: 16, eval_batch_size: 16, log_every: 10}\n";
}

using tests::exceptionOf;

void train(const std::string& recipe, const std::string& dir, int64_t maxSteps = 0) {
    Job job(parseRecipe(recipe, "export.yaml", fs::path(dir).parent_path().string()),
            JobOptions{dir, false, 2, maxSteps});
    job.start();
    const RunSummary s = job.wait();
    QVERIFY2(s.status == RunStatus::Finished, qPrintable(QString::fromStdString(s.message)));
}

onnx::ModelProto readModel(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    onnx::ModelProto model;
    if (!model.ParseFromIstream(&in)) throw Error(path + " does not parse as an ONNX model");
    return model;
}

int countOps(const onnx::ModelProto& model, const std::string& op) {
    int n = 0;
    for (const auto& node : model.graph().node())
        if (node.op_type() == op) ++n;
    return n;
}

const onnx::TensorProto* initializer(const onnx::ModelProto& model, const std::string& name) {
    for (const auto& t : model.graph().initializer())
        if (t.name() == name) return &t;
    return nullptr;
}

/** Input or output shape with the symbolic batch as -1. */
std::vector<int64_t> shapeOf(const onnx::ValueInfoProto& info) {
    std::vector<int64_t> dims;
    for (const auto& d : info.type().tensor_type().shape().dim())
        dims.push_back(d.has_dim_param() ? -1 : d.dim_value());
    return dims;
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

QString describe(const ExportCheck& c) {
    QString s = QString("%1 (%2), %3 samples:")
                    .arg(QString::fromStdString(c.onnxFile), QString::fromStdString(c.format))
                    .arg(c.samples);
    for (const auto& [name, value] : c.metrics)
        s += QString(" %1=%2").arg(QString::fromStdString(name)).arg(value);
    for (const auto& r : c.comparisons)
        s += QString("; %1 vs %2: max %3, agree %4")
                 .arg(QString::fromStdString(r.runtime), QString::fromStdString(r.reference))
                 .arg(r.maxAbsDiff)
                 .arg(r.agreement);
    for (const auto& f : c.failures)
        s += "; FAILED " + QString::fromStdString(f);
    return s;
}

/**
 * Every quantized conv/linear bias the engine adds lies on the int32 grid s_in·s_w that integer kernels
 * (ONNX QLinearConv / QGemm, TensorRT) add it on: without that, onnxruntime's results differ by one step in a
 * few outputs per thousand, which cost the int8 file its 99 % agreement target before the engine snapped
 * them.
 */
bool biasesOnIntegerGrid(const std::string& runDir) {
    CheckpointMeta meta;
    GraphNet net = loadAnyModel(resolveCheckpoint(runDir), &meta, torch::kCPU);
    const auto& nodes = net->nodes();
    int checked = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
        const auto& n = nodes[i];
        if (n.op != OpKind::Conv && n.op != OpKind::Linear) continue;
        const int node = static_cast<int>(i), q = nodes[n.inputs.at(0)].quant;
        const auto b = net->effectiveBias(node);
        if (q < 0 || !b.defined() || net->weightBits(node) <= 0) continue;
        const auto grid = net->weightScale(node).to(torch::kFloat64) * net->activationParams(q).scale;
        const auto steps = b.detach().to(torch::kFloat64) / grid;
        // The engine computes the grid in float32: allow its rounding (relative 1e-6) on top of 1e-3 steps.
        if (((steps - steps.round()).abs() - steps.abs() * 1e-6).max().item<double>() > 1e-3) return false;
        ++checked;
    }
    return checked > 0;
}

/** The int8 targets: agreement with the engine's int8 model and the metric gap. */
void checkInt8Targets(const ExportCheck& c, const std::string& runDir) {
    QVERIFY2(!c.comparisons.empty(), qPrintable(describe(c)));
    const RuntimeComparison& target = c.comparisons.front();
    QCOMPARE(QString::fromStdString(target.reference), QString("engine int8"));
    QVERIFY2(std::abs(c.metricOf("onnxruntime") - c.metricOf("engine int8")) <= kExportInt8MaxMetricGap,
             qPrintable(describe(c)));
    QVERIFY(biasesOnIntegerGrid(runDir));
    QVERIFY2(target.agreement >= kExportInt8MinAgreement, qPrintable(describe(c)));
    QVERIFY2(c.passed(), qPrintable(describe(c)));
}

}  // namespace

class ExportTest : public QObject {
    Q_OBJECT
    std::string mDir, mFp32, mInt8;
    QuantizeResult mReport;

private Q_SLOTS:
    void initTestCase() {
        const fs::path runner = fs::path(ortRunnerDir()) / "node_modules" / "onnxruntime-node";
        QVERIFY2(fs::is_directory(runner),
                 qPrintable(QString::fromStdString(runner.string() + " is missing: run scripts/setup.sh")));
        at::set_num_threads(2);
        mDir = tests::scratchDir("export");
        mFp32 = mDir + "/fp32";
        train(kStudent, mFp32);
        QuantizeOptions o;
        o.runDir = mFp32;
        o.outDir = mDir + "/int8";
        o.threads = 2;
        o.latencyBatch = 16;
        o.spec.calibrationBatches = 4;
        mReport = quantizeRun(o);
        mInt8 = o.outDir;
        // The files several tests read, made here so that no test depends on another having run first.
        exportOnnx(mFp32, "onnx", mDir + "/student.onnx");
        exportOnnx(mInt8, "onnx-int8", mDir + "/student-int8.onnx");
        train(scenesRecipe("fcn", 48), mDir + "/seg-small", 1);
    }

    void fp32FileMatchesTheEngineInOnnxruntimeAndOpenCv() {
        const std::string file = mDir + "/student.onnx";
        const std::string card = exportOnnx(mFp32, "onnx", file);
        QCOMPARE(QString::fromStdString(card), QString::fromStdString(mDir + "/student.card.json"));
        const onnx::ModelProto model = readModel(file);
        onnx::checker::check_model(model);  // throws on a bad model
        QCOMPARE(model.opset_import(0).version(), int64_t{13});
        QCOMPARE(QString::fromStdString(model.producer_name()), QString("Distillery"));
        QCOMPARE(model.graph().input_size(), 1);
        QCOMPARE(QString::fromStdString(model.graph().input(0).name()), QString("input"));
        QCOMPARE(shapeOf(model.graph().input(0)), (std::vector<int64_t>{-1, 1, 28, 28}));
        QCOMPARE(QString::fromStdString(model.graph().output(0).name()), QString("output"));
        QCOMPARE(shapeOf(model.graph().output(0)), (std::vector<int64_t>{-1, 10}));
        QCOMPARE(countOps(model, "QuantizeLinear"), 0);
        QCOMPARE(countOps(model, "BatchNormalization"), 0);  // folded
        QCOMPARE(countOps(model, "Conv"), 9);
        QCOMPARE(countOps(model, "Gemm"), 1);

        const ExportCheck c = verifyExport(mFp32, file, 0, 2);
        QVERIFY2(c.passed(), qPrintable(describe(c)));
        QCOMPARE(QString::fromStdString(c.format), QString("onnx"));
        QCOMPARE(c.samples, int64_t{2048});
        QCOMPARE(c.comparisons.size(), size_t{2});
        for (const auto& r : c.comparisons) {
            QVERIFY2(r.maxAbsDiff <= kExportFp32MaxAbsDiff, qPrintable(describe(c)));
            QVERIFY2(r.agreement >= 99.9, qPrintable(describe(c)));
        }
        QCOMPARE(QString::fromStdString(c.comparisons[0].runtime), QString("onnxruntime"));
        QCOMPARE(QString::fromStdString(c.comparisons[1].runtime), QString("opencv-dnn"));
        const double engine = c.metricOf("engine fp32");
        QVERIFY2(engine > 60, qPrintable(describe(c)));
        QVERIFY(std::abs(c.metricOf("onnxruntime") - engine) < 0.1);
        QVERIFY(std::abs(c.metricOf("opencv-dnn") - engine) < 0.1);
        // The folded model in the engine scores what training measured.
        QVERIFY2(std::abs(engine - mReport.fp32Metric) < 0.1,
                 qPrintable(QString("%1 vs %2").arg(engine).arg(mReport.fp32Metric)));
    }

    void int8FileAgreesWithLibTorchInt8() {
        const std::string file = mDir + "/student-int8.onnx";
        exportOnnx(mInt8, "onnx-int8", file);
        const onnx::ModelProto model = readModel(file);
        onnx::checker::check_model(model);
        QVERIFY(countOps(model, "QuantizeLinear") > 10);
        // Every conv/linear weight is int8 per output channel, every bias int32, behind DequantizeLinear.
        for (const auto& layer : mReport.layers) {
            const auto* w = initializer(model, layer.name + ".weight_quantized");
            QVERIFY2(w && w->data_type() == onnx::TensorProto::INT8, layer.name.c_str());
            const auto* s = initializer(model, layer.name + ".weight_scale");
            QVERIFY2(s && s->dims_size() == 1 && s->dims(0) == w->dims(0), layer.name.c_str());
            const auto* b = initializer(model, layer.name + ".bias_quantized");
            QVERIFY2(b && b->data_type() == onnx::TensorProto::INT32, layer.name.c_str());
        }
        for (const auto& t : model.graph().initializer())
            if (t.name().rfind("act", 0) == 0 && t.name().find(".zero_point") != std::string::npos)
                QCOMPARE(t.data_type(), static_cast<int32_t>(onnx::TensorProto::UINT8));
        QVERIFY(fs::file_size(file) * 3 < fs::file_size(mDir + "/student.onnx"));

        const ExportCheck c = verifyExport(mInt8, file, 0, 2);
        QCOMPARE(QString::fromStdString(c.format), QString("onnx-int8"));
        checkInt8Targets(c, mInt8);
        // The engine side is the model quantizeRun measured.
        QVERIFY2(std::abs(c.metricOf("engine int8") - mReport.int8Metric) < 1e-9, qPrintable(describe(c)));
        QVERIFY2(std::abs(c.metricOf("engine simulated int8") - mReport.simulatedMetric) < 1e-9,
                 qPrintable(describe(c)));

        // The card gets the verification.
        const std::string card = modelCardPath(file);
        addVerificationToCard(card, c);
        const auto j = readJson(card);
        QCOMPARE(j["verification"]["passed"].get<bool>(), c.passed());
        QCOMPARE(j["verification"]["samples"].get<int64_t>(), c.samples);
        QCOMPARE(j["verification"]["comparisons"][0]["agreement_percent"].get<double>(),
                 c.comparisons[0].agreement);
    }

    void modelCardDescribesTheRun() {
        const std::string file = mDir + "/card-int8.onnx";
        const std::string cardPath = exportOnnx(mInt8, "onnx-int8", file);
        QCOMPARE(QString::fromStdString(cardPath), QString::fromStdString(mDir + "/card-int8.card.json"));
        const auto card = readJson(cardPath);
        QCOMPARE(QString::fromStdString(card["format"].get<std::string>()), QString("onnx-int8"));
        QCOMPARE(card["opset"].get<int>(), 13);
        QCOMPARE(card["task"].get<std::string>(), std::string("classification"));
        QCOMPARE(card["input"]["name"].get<std::string>(), std::string("input"));
        QCOMPARE(card["input"]["shape"].dump(), std::string(R"(["batch",1,28,28])"));
        QCOMPARE(card["output"]["shape"].dump(), std::string(R"(["batch",10])"));
        QCOMPARE(card["preprocessing"]["normalize"]["mean"].dump(), std::string("[0.286]"));
        QCOMPARE(card["preprocessing"]["normalize"]["std"].dump(), std::string("[0.353]"));
        QCOMPARE(card["preprocessing"]["channel_order"].get<std::string>(), std::string("CHW, grayscale"));
        QVERIFY(card["preprocessing"]["resize"].is_null());
        const Recipe recipe = loadRunRecipe(mFp32);
        const auto names = openDataset(recipe.data, Split::Val)->classNames();
        QCOMPARE(card["class_names"].get<std::vector<std::string>>(), names);
        QCOMPARE(names.size(), size_t{10});
        QCOMPARE(card["architecture"]["arch"].get<std::string>(), std::string("resnet8"));
        QCOMPARE(card["file_size_bytes"].get<int64_t>(), static_cast<int64_t>(fs::file_size(file)));
        QVERIFY(!card.contains("verification"));

        // Layers, bits, sizes and accuracy are the quantized run's.
        const auto& layers = card["layers"];
        QCOMPARE(layers.size(), mReport.layers.size());
        for (size_t i = 0; i < layers.size(); ++i) {
            QCOMPARE(layers[i]["name"].get<std::string>(), mReport.layers[i].name);
            QCOMPARE(layers[i]["weight_bits"].get<int>(), mReport.layers[i].weightBits);
            QCOMPARE(layers[i]["activation_bits"].get<int>(), 8);
            QCOMPARE(layers[i]["params"].get<int64_t>(), mReport.layers[i].params);
            QCOMPARE(layers[i]["macs"].get<int64_t>(), mReport.layers[i].macs);
        }
        QCOMPARE(card["size_bytes"].get<double>(), mReport.cost.sizeBytes);
        QCOMPARE(card["fp32_size_bytes"].get<double>(), mReport.fp32Cost.sizeBytes);
        QCOMPARE(card["bops"].get<double>(), mReport.cost.bops);
        QCOMPARE(card["accuracy"]["metric"].get<std::string>(), std::string("top1"));
        QCOMPARE(card["accuracy"]["fp32"].get<double>(), mReport.fp32Metric);
        QCOMPARE(card["accuracy"]["simulated_int8"].get<double>(), mReport.simulatedMetric);
        QCOMPARE(card["accuracy"]["libtorch_int8"].get<double>(), mReport.int8Metric);

        // The fp32 card of the fp32 run: 32-bit layers, accuracy from summary.json.
        const auto fp32 = readJson(exportOnnx(mFp32, "onnx", mDir + "/card-fp32.onnx"));
        for (const auto& l : fp32["layers"])
            QCOMPARE(l["weight_bits"].get<int>(), 32);
        QCOMPARE(fp32["size_bytes"].get<double>(), mReport.fp32Cost.sizeBytes);
        const auto summary = readJson(mFp32 + "/summary.json");
        QCOMPARE(fp32["accuracy"]["fp32"].get<double>(), summary["best"]["top1"].get<double>());
    }

    void mixedPrecisionKeepsEachLayersWidth() {
        QuantizeOptions o;
        o.runDir = mFp32;
        o.outDir = mDir + "/mixed";
        o.threads = 2;
        o.latencyBatch = 16;
        o.spec.calibrationBatches = 4;
        o.spec.layerBits = {{"layer3.0.2.conv", 4}, {"layer2.0.1.conv", 6}, {"classifier", 0}};
        const QuantizeResult r = quantizeRun(o);
        const std::string file = mDir + "/mixed.onnx";
        exportOnnx(o.outDir, "onnx-int8", file);
        const onnx::ModelProto model = readModel(file);
        onnx::checker::check_model(model);
        // Float layer: plain float weights; 4 bit: int8 storage within [-7, 7].
        QVERIFY(initializer(model, "classifier.weight_quantized") == nullptr);
        const auto* fc = initializer(model, "classifier.weight");
        QVERIFY(fc && fc->data_type() == onnx::TensorProto::FLOAT);
        const auto* w4 = initializer(model, "layer3.0.2.conv.weight_quantized");
        QVERIFY(w4 && w4->data_type() == onnx::TensorProto::INT8);
        int maxAbs = 0;
        for (char v : w4->raw_data())
            maxAbs = std::max(maxAbs, std::abs(static_cast<int>(static_cast<int8_t>(v))));
        QVERIFY2(maxAbs > 0 && maxAbs <= 7, qPrintable(QString::number(maxAbs)));

        const ExportCheck c = verifyExport(o.outDir, file, 0, 2);
        checkInt8Targets(c, o.outDir);
        const auto card = readJson(modelCardPath(file));
        for (const auto& l : card["layers"]) {
            const std::string name = l["name"].get<std::string>();
            const int bits = name == "layer3.0.2.conv"   ? 4
                             : name == "layer2.0.1.conv" ? 6
                             : name == "classifier"      ? 0
                                                         : 8;
            QCOMPARE(l["weight_bits"].get<int>(), bits);
        }
        QCOMPARE(card["size_bytes"].get<double>(), r.cost.sizeBytes);
    }

    void segmentationHeadsExport_data() {
        QTest::addColumn<QString>("head");
        QTest::addColumn<int>("canvas");
        QTest::newRow("fcn") << "fcn" << 64;
        // 56 px: 14x14 features, so PSP's 4 and 8 bins overlap and two of its resizes have factors 3.5, 1.75.
        QTest::newRow("psp") << "psp" << 56;
        QTest::newRow("deeplabv3") << "deeplabv3" << 64;
    }

    void segmentationHeadsExport() {
        QFETCH(QString, head);
        QFETCH(int, canvas);
        const std::string run = mDir + "/seg-" + head.toStdString();
        train(scenesRecipe(head.toStdString(), canvas), run, 3);
        const std::string file = run + ".onnx";
        exportOnnx(run, "onnx", file);
        const onnx::ModelProto model = readModel(file);
        onnx::checker::check_model(model);
        CheckpointMeta meta;
        loadModel(resolveCheckpoint(run), &meta, torch::kCPU);
        QCOMPARE(shapeOf(model.graph().output(0)),
                 (std::vector<int64_t>{-1, meta.numClasses, canvas, canvas}));
        QVERIFY(countOps(model, "Resize") > 0);
        if (head == "psp") QVERIFY(countOps(model, "MatMul") > 0);  // overlapping adaptive bins

        const ExportCheck c = verifyExport(run, file, 0, 2);
        QVERIFY2(c.passed(), qPrintable(describe(c)));
        QCOMPARE(QString::fromStdString(c.metric), QString("miou"));
        QCOMPARE(c.comparisons.size(), size_t{2});
        for (const auto& r : c.comparisons)
            QVERIFY2(r.maxAbsDiff <= kExportFp32MaxAbsDiff, qPrintable(describe(c)));

        if (head == "psp") {
            // The QDQ file of a quantized PSP runs in onnxruntime close to the engine's int8 model (the
            // barely trained model has many near-ties per pixel, so no 99 % target here). Its resizes stay
            // in float between DequantizeLinear and QuantizeLinear, as the engine rounds them.
            QuantizeOptions o;
            o.runDir = run;
            o.outDir = run + "-int8";
            o.threads = 2;
            o.latencyBatch = 4;
            o.spec.calibrationBatches = 2;
            quantizeRun(o);
            const std::string qfile = run + "-int8.onnx";
            exportOnnx(o.outDir, "onnx-int8", qfile);
            onnx::checker::check_model(readModel(qfile));
            const ExportCheck q = verifyExport(o.outDir, qfile, 0, 2);
            QVERIFY2(q.comparisons.front().agreement >= 90.0, qPrintable(describe(q)));
            QVERIFY2(std::abs(q.metricOf("onnxruntime") - q.metricOf("engine int8")) <= 1.0,
                     qPrintable(describe(q)));
        }
    }

    void badRequestsAreClearErrors() {
        const std::string file = mDir + "/bad.onnx";
        QString e = exceptionOf([&] { exportOnnx(mFp32, "tflite", file); });
        QVERIFY2(e.contains("'tflite'") && e.contains("onnx, onnx-int8"), qPrintable(e));
        e = exceptionOf([&] { exportOnnx(mFp32, "onnx-int8", file); });
        QVERIFY2(e.contains(QString::fromStdString(mFp32)) && e.contains("not a quantized run") &&
                     e.contains("distillery-cli quantize"),
                 qPrintable(e));
        e = exceptionOf([&] { exportOnnx(mDir + "/no-such-run", "onnx", file); });
        QVERIFY2(e.contains("no-such-run"), qPrintable(e));
        e = exceptionOf([&] { exportOnnx(mFp32, "onnx", mDir); });
        QVERIFY2(e.contains("is a folder"), qPrintable(e));
        QVERIFY(!fs::exists(file));
        QVERIFY(!fs::exists(mDir + "/bad.card.json"));

        e = exceptionOf([&] { verifyExport(mFp32, mDir + "/none.onnx"); });
        QVERIFY2(e.contains("none.onnx") && e.contains("not found"), qPrintable(e));
        { std::ofstream(mDir + "/garbage.onnx") << "not a model"; }
        e = exceptionOf([&] { verifyExport(mFp32, mDir + "/garbage.onnx"); });
        QVERIFY2(e.contains("is not an ONNX file"), qPrintable(e));
        const std::string int8File = mDir + "/student-int8.onnx";
        e = exceptionOf([&] { verifyExport(mFp32, int8File); });
        QVERIFY2(e.contains("not a quantized run"), qPrintable(e));
        e = exceptionOf([&] { verifyExport(mDir + "/seg-small", mDir + "/student.onnx"); });
        QVERIFY2(e.contains("expects 1x28x28 inputs"), qPrintable(e));

        // Missing runner pieces say what to do.
        const std::string runnerDir = mDir + "/runner";
        fs::create_directories(runnerDir);
        fs::copy_file(fs::path(ortRunnerDir()) / "run.js", runnerDir + "/run.js");
        ::setenv("DISTILLERY_ORT_DIR", runnerDir.c_str(), 1);
        e = exceptionOf([&] { verifyExport(mFp32, mDir + "/student.onnx", 64); });
        QVERIFY2(e.contains("onnxruntime-node is not installed") && e.contains("scripts/setup.sh"),
                 qPrintable(e));
        ::setenv("DISTILLERY_ORT_DIR", (mDir + "/nowhere").c_str(), 1);
        e = exceptionOf([&] { verifyExport(mFp32, mDir + "/student.onnx", 64); });
        QVERIFY2(e.contains("DISTILLERY_ORT_DIR"), qPrintable(e));
        ::unsetenv("DISTILLERY_ORT_DIR");
        ::setenv("DISTILLERY_NODE", (mDir + "/no-node").c_str(), 1);
        e = exceptionOf([&] { verifyExport(mFp32, mDir + "/student.onnx", 64); });
        ::unsetenv("DISTILLERY_NODE");
        QVERIFY2(e.contains("Node.js") && e.contains("scripts/setup.sh"), qPrintable(e));
    }

    void ortLatencyIsMeasured() {
        const double fp32 = ortLatencyMs(mDir + "/student.onnx", 4, 5, 1);
        const double int8 = ortLatencyMs(mDir + "/student-int8.onnx", 4, 5, 1);
        QVERIFY2(fp32 > 0 && int8 > 0, qPrintable(QString("%1 %2").arg(fp32).arg(int8)));
    }

    void cliExportsAndVerifies() {
        auto cli = [](const QStringList& args, QString* out, QString* err) {
            QProcess p;
            p.start(QStringLiteral(DISTILLERY_CLI), args);
            p.waitForFinished(300 * 1000);
            *out = QString::fromUtf8(p.readAllStandardOutput());
            *err = QString::fromUtf8(p.readAllStandardError());
            return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        };
        QString out, err;
        const QString file = QString::fromStdString(mDir + "/cli.onnx");
        int rc = cli({"export", QString::fromStdString(mFp32), "--format", "onnx", "--out", file, "--verify",
                      "--subset", "256", "--threads", "2"},
                     &out, &err);
        QVERIFY2(rc == 0, qPrintable(out + err));
        QVERIFY2(out.contains("targets met") && out.contains("onnxruntime") && out.contains("opencv-dnn"),
                 qPrintable(out));
        QVERIFY2(out.contains(QString::fromStdString(mDir + "/cli.card.json")), qPrintable(out));
        QVERIFY(readJson(mDir + "/cli.card.json")["verification"]["passed"].get<bool>());

        // Exit status 1 exactly when a target is missed (see checkInt8Targets for why that can happen).
        rc = cli({"export", QString::fromStdString(mInt8), "--format", "onnx-int8", "--out",
                  QString::fromStdString(mDir + "/cli-int8.onnx"), "--verify", "--threads", "2"},
                 &out, &err);
        QVERIFY2(out.contains("engine int8") && out.contains("onnxruntime"), qPrintable(out + err));
        QVERIFY2(rc == (out.contains("targets met") ? 0 : 1) && (rc == 0) != out.contains("target missed"),
                 qPrintable(out + err));

        rc = cli({"export", QString::fromStdString(mFp32), "--format", "onnx-int8", "--out", file}, &out,
                 &err);
        QVERIFY2(rc == 2 && err.trimmed().count('\n') == 0 && err.contains("quantize"), qPrintable(err));
        rc = cli({"export", QString::fromStdString(mFp32), "--out", file}, &out, &err);
        QVERIFY2(rc == 2 && err.contains("--format"), qPrintable(err));
        rc = cli({"export", "--help"}, &out, &err);
        QVERIFY2(rc == 0 && out.contains("onnx-int8") && out.contains("--verify"), qPrintable(out));
    }
};

DISTILLERY_TEST_SUITE("export", ExportTest);

#include "test_export.moc"
