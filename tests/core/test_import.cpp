// ONNX import on real exports: the fixtures are made at test time by Debian's python3-torch /
// python3-torchvision (tests/oracle/onnx_fixtures.py: torchvision ResNet-18, MobileNetV2, MobileNetV3-small,
// a segmentation net that resizes its logits to x.shape[-2:], a net of the remaining ops, and a CNN trained
// briefly on Fashion-MNIST). Imported outputs must match PyTorch's, onnxruntime's and PyTorch's top-1;
// imported models must train, distil, survive checkpoints without their file, and export again (fp32 and
// int8, checked in onnxruntime); broken files are clear errors.

#include <QProcess>
#include <QtTest/QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/engine.h"
#include "core/internal/checkpoint.h"
#include "core/internal/onnx_import.h"
#include "core/quantize.h"
#include "core/zoo.h"
#include "tests/core/suites.h"
#include "verify/runtime_check.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

struct Cli {
    int exitCode = -1;
    QString out, err;
};

Cli runCli(const QStringList& args, int timeoutMs = 600000) {
    QProcess p;
    p.start(QStringLiteral(DISTILLERY_CLI), args);
    p.waitForFinished(timeoutMs);
    Cli r;
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

torch::Tensor readFloats(const std::string& path, std::vector<int64_t> shape) {
    auto t = torch::empty(shape, torch::kFloat32);
    std::ifstream in(path, std::ios::binary);
    in.read(reinterpret_cast<char*>(t.data_ptr<float>()), static_cast<std::streamsize>(t.numel() * 4));
    if (!in) throw std::runtime_error("cannot read " + path);
    return t;
}

std::string fmnistRecipe(const std::string& dir, const std::string& modelYaml,
                         const std::string& extra = "") {
    const std::string path = dir + "/recipe.yaml";
    std::ofstream(path) << "name: imported\n"
                           "job: train\n"
                           "seed: 3\n"
                           "threads: 2\n"
                           "data: {dataset: fashion_mnist, subset: 2048, workers: 2}\n"
                           "transforms:\n"
                           "  train: [{normalize: {mean: [0.2860], std: [0.3530]}}]\n"
                           "  eval: [{normalize: {mean: [0.2860], std: [0.3530]}}]\n"
                        << modelYaml
                        << "optim: {name: sgd, lr: 0.01, momentum: 0.9}\n"
                           "train: {epochs: 1, batch_size: 64, eval_batch_size: 256, log_every: 1}\n"
                        << extra;
    return path;
}

/** First train-step record of a term in metrics.jsonl. */
double firstStepValue(const std::string& runDir, const std::string& name) {
    std::ifstream in(runDir + "/metrics.jsonl");
    std::string line;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        if (j.value("split", "") == "train" && j.value("name", "") == "loss/" + name)
            return j["value"].get<double>();
    }
    return NAN;
}

}  // namespace

class ImportTest : public QObject {
    Q_OBJECT

    std::string mDir;
    nlohmann::json mFixtures;

    std::string file(const std::string& name) const { return mDir + "/" + name + ".onnx"; }
    std::vector<int64_t> shapeOf(const std::string& name, const char* key) const {
        return mFixtures.at(name).at(key).get<std::vector<int64_t>>();
    }

private Q_SLOTS:
    void initTestCase() {
        mDir = tests::scratchDir("import-fixtures");
        QProcess p;
        p.start("/usr/bin/python3", {QString(DISTILLERY_SOURCE_DIR) + "/tests/oracle/onnx_fixtures.py",
                                     QString::fromStdString(mDir)});
        QVERIFY2(p.waitForFinished(600000), "the fixture script did not finish");
        QVERIFY2(p.exitCode() == 0, qPrintable(p.readAllStandardError().right(3000)));
        std::ifstream in(mDir + "/fixtures.json");
        mFixtures = nlohmann::json::parse(in);
        torch::set_num_threads(2);
    }

    void matchesPyTorch_data() {
        QTest::addColumn<QString>("name");
        for (const char* n : {"resnet18", "mobilenet_v2", "mobilenet_v3_small", "segnet", "opzoo",
                              "fmnist_cnn", "shufflenet_v2", "googlenet", "unet_nhwc"})
            QTest::newRow(n) << n;
    }
    void matchesPyTorch() {
        QFETCH(QString, name);
        const std::string n = name.toStdString();
        const auto in = shapeOf(n, "input"), out = shapeOf(n, "output");
        const bool nhwc = mFixtures[n].value("layout", "") == "nhwc";  // a Keras-style file: fed NCHW here
        ImportedModel m =
            nhwc ? importOnnx(file(n), in[3], in[1], in[2]) : importOnnx(file(n), in[1], in[2], in[3]);
        QCOMPARE(m.report.channelsLastInput, nhwc);
        torch::NoGradGuard noGrad;
        auto x = readFloats(mDir + "/" + n + ".in.bin", in);
        if (nhwc) x = x.permute({0, 3, 1, 2}).contiguous();
        auto expected = readFloats(mDir + "/" + n + ".out.bin", out);
        auto y = m.net->forward(x);
        if (m.report.droppedOutputOp == "Softmax") y = torch::softmax(y, 1);
        QCOMPARE(y.sizes().vec(), expected.sizes().vec());
        const double range = (expected.max() - expected.min()).item<double>();
        const double diff = (y - expected).abs().max().item<double>();
        QVERIFY2(range > 0.0, "the reference output is constant");
        QVERIFY2(diff <= 1e-4 * range,
                 qPrintable(QString("max |diff| %1, output range %2").arg(diff).arg(range)));
        // Every value is a tap, with the shape the graph measures.
        for (const auto& tap : m.report.model.taps)
            QVERIFY(!tap.shape.empty());
        QVERIFY(m.report.model.taps.size() + 2 >= m.report.model.layers.size());
    }

    void pytorchOpsAreRecognised() {
        // opset 11 MobileNetV2: Clip(0, 6) with constant inputs becomes ReLU6 (fusable with the conv in
        // int8); opset 14 MobileNetV3: HardSwish; the final Softmax of the op net is dropped (logits are
        // trained).
        auto mv2 = describeOnnxModel(file("mobilenet_v2"));
        auto count = [](const ModelInfo& info, const std::string& op) {
            return std::count_if(info.layers.begin(), info.layers.end(),
                                 [&](const LayerInfo& l) { return l.op == op; });
        };
        QCOMPARE(count(mv2.model, "relu6"), 35);
        auto mv3 = describeOnnxModel(file("mobilenet_v3_small"));
        QCOMPARE(count(mv3.model, "hardswish"), 19);
        auto zoo = describeOnnxModel(file("opzoo"));
        QCOMPARE(zoo.droppedOutputOp, std::string("Softmax"));
        QCOMPARE(count(zoo.model, "softmax"), 0);
        QVERIFY(count(zoo.model, "pad") >= 1);    // F.pad, and torch's padding for ceil-mode pools
        QCOMPARE(count(zoo.model, "linear"), 1);  // MatMul + Add fused
        // The segmentation net's interpolate(size=x.shape[-2:]) follows the input, whatever its size.
        auto seg = describeOnnxModel(file("segnet"), 3, 52, 60);
        QCOMPARE(seg.model.task, Task::Segmentation);
        QCOMPARE(seg.model.numClasses, int64_t{5});
        QCOMPARE(seg.model.layers.back().outShape, (std::vector<int64_t>{5, 52, 60}));
    }

    void naturalTaps() {
        auto r = describeOnnxModel(file("resnet18"));
        std::map<std::string, std::vector<int64_t>> taps;
        for (const auto& t : r.model.taps)
            taps[t.name] = t.shape;
        // 32x32 input: conv1 16x16, maxpool and layer1 8x8, layer2 4x4, layer3 2x2, layer4 1x1.
        QCOMPARE(taps.at("stem"), (std::vector<int64_t>{64, 16, 16}));
        QCOMPARE(taps.at("stage1"), (std::vector<int64_t>{64, 16, 16}));
        QCOMPARE(taps.at("stage2"), (std::vector<int64_t>{64, 8, 8}));
        QCOMPARE(taps.at("stage3"), (std::vector<int64_t>{128, 4, 4}));
        QCOMPARE(taps.at("stage4"), (std::vector<int64_t>{256, 2, 2}));
        QCOMPARE(taps.at("stage5"), (std::vector<int64_t>{512, 1, 1}));
        QCOMPARE(taps.at("prelogits"), (std::vector<int64_t>{512}));
        QCOMPARE(taps.at("logits"), (std::vector<int64_t>{10}));
        // Stage taps are block outputs (after the residual add's ReLU), not values inside a block.
        auto m = importOnnx(file("resnet18"));
        const auto& nodes = m.net->nodes();
        for (const auto& [name, node] : m.net->tapList())
            if (name.rfind("stage", 0) == 0 && name != "stage1") {
                QCOMPARE(std::string(opName(nodes[node].op)), std::string("relu"));
                QCOMPARE(std::string(opName(nodes[nodes[node].inputs[0]].op)), std::string("add"));
            }
        // MobileNetV3's stem is the first hardswish, at the first resolution.
        auto v3 = describeOnnxModel(file("mobilenet_v3_small"));
        for (const auto& t : v3.model.taps)
            if (t.name == "stem") QCOMPARE(t.shape, (std::vector<int64_t>{16, 24, 24}));
        // Pickers group by resolution: named taps first, larger maps before smaller, vectors last.
        const auto groups = groupTapsByResolution(r.model.taps);
        QCOMPARE(groups.front().label, std::string("named taps"));
        QCOMPARE(groups.at(1).label, std::string("16x16"));
        QCOMPARE(groups.back().label, std::string("vectors"));
    }

    void structureRebuildsWithoutTheFile() {
        auto m = importOnnx(file("mobilenet_v3_small"), 3, 48, 48);
        GraphNet copy = graphFromJson(m.net->structureJson(), "test");
        torch::serialize::OutputArchive out;
        m.net->save(out);
        std::ostringstream bytes;
        out.save_to(bytes);
        torch::serialize::InputArchive in;
        std::istringstream read(bytes.str());
        in.load_from(read);
        copy->load(in);
        copy->eval();
        torch::NoGradGuard noGrad;
        auto x = torch::randn({2, 3, 48, 48});
        QVERIFY(torch::equal(copy->forward(x), m.net->forward(x)));
        QCOMPARE(copy->tapList().size(), m.net->tapList().size());
    }

    void brokenFilesAreClearErrors_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("garbage") << "garbage" << QStringList{"garbage.onnx", "not an ONNX model"};
        QTest::newRow("truncated") << "truncated" << QStringList{"truncated.onnx", "truncated"};
        QTest::newRow("two inputs") << "two_inputs" << QStringList{"two_inputs.onnx", "2 inputs", "x, y"};
        QTest::newRow("unsupported op")
            << "unsupported" << QStringList{"node '/Erf'", "(Erf)", "supported: Conv"};
        QTest::newRow("missing") << "missing" << QStringList{"missing.onnx", "not found"};
        QTest::newRow("dynamic shape")
            << "batch_dependent" << QStringList{"batch_dependent.onnx", "batch size"};
    }
    void brokenFilesAreClearErrors() {
        QFETCH(QString, name);
        QFETCH(QStringList, expected);
        const Cli r = runCli({"models", "--onnx", QString::fromStdString(file(name.toStdString()))});
        QCOMPARE(r.exitCode, 2);
        QCOMPARE(r.err.count('\n'), 1);
        for (const auto& e : expected)
            QVERIFY2(r.err.contains(e), qPrintable(r.err));
        // The engine API says the same.
        QVERIFY_THROWS_EXCEPTION(Error, importOnnx(file(name.toStdString())));
    }

    void cliDescribesTheModel() {
        const Cli r = runCli({"models", "--onnx", QString::fromStdString(file("resnet18")), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        auto j = nlohmann::json::parse(r.out.toStdString());
        QCOMPARE(j["params"].get<int64_t>(), int64_t{11176842});  // torchvision's count for 10 classes
        QCOMPARE(j["input"], nlohmann::json({3, 32, 32}));
        QCOMPARE(j["task"].get<std::string>(), std::string("classification"));
        QVERIFY(j["taps"].size() > 50);
        QCOMPARE(j["sha256"].get<std::string>().size(), size_t{64});
        const Cli text =
            runCli({"models", "--onnx", QString::fromStdString(file("segnet")), "--input", "3x64x64"});
        QVERIFY2(text.exitCode == 0, qPrintable(text.err));
        QVERIFY(text.out.contains("segmentation, 5 classes"));
        QVERIFY(text.out.contains("named taps:"));
        const Cli dynamic = runCli({"models", "--onnx", QString::fromStdString(file("segnet"))});
        QCOMPARE(dynamic.exitCode, 2);
        QVERIFY2(dynamic.err.contains("--input"), qPrintable(dynamic.err));
    }

    void agreesWithOnnxRuntimeOnTheTestSplit() {
        const std::string dir = tests::scratchDir("import-ort");
        const std::string recipe = fmnistRecipe(dir, "model: {arch: resnet8}\n");
        // The whole Fashion-MNIST test split (the recipe's subset applies to training runs only here).
        std::ofstream(dir + "/full.yaml") << "data: {dataset: fashion_mnist, workers: 2}\n"
                                             "transforms:\n"
                                             "  eval: [{normalize: {mean: [0.2860], std: [0.3530]}}]\n"
                                             "model: {arch: resnet8}\n"
                                             "train: {eval_batch_size: 500}\n";
        const ExportCheck c = verifyImport(file("fmnist_cnn"), dir + "/full.yaml", 0, 2);
        QCOMPARE(c.samples, int64_t{10000});
        QVERIFY2(c.passed(), qPrintable(QString::fromStdString(c.failures.empty() ? "" : c.failures[0])));
        QVERIFY(c.comparisons.at(0).agreement >= 99.9);
        QCOMPARE(c.metricOf("onnxruntime"), c.metricOf("engine (imported)"));
        // The CLI's evaluation gives PyTorch's top-1.
        const Cli r = runCli({"eval", QString::fromStdString(file("fmnist_cnn")), "--data",
                              QString::fromStdString(dir + "/full.yaml"), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const double top1 = nlohmann::json::parse(r.out.toStdString())["metrics"]["top1"].get<double>();
        const double torchTop1 = mFixtures["fmnist_cnn"]["top1"].get<double>();
        QVERIFY2(std::abs(top1 - torchTop1) <= 0.011,  // at most one sample of 10 000 on a rounding tie
                 qPrintable(QString("engine %1, PyTorch %2").arg(top1).arg(torchTop1)));
        // The CLI's --verify runs the same comparison.
        const Cli v = runCli({"models", "--onnx", QString::fromStdString(file("fmnist_cnn")), "--verify",
                              QString::fromStdString(recipe), "--subset", "500"});
        QVERIFY2(v.exitCode == 0, qPrintable(v.out + v.err));
        QVERIFY(v.out.contains("passed"));
    }

    void fineTunesDistilsAndExportsAgain() {
        const std::string dir = tests::scratchDir("import-train");
        // A copy that is deleted after training: checkpoints must not need the file.
        const std::string copy = dir + "/cnn.onnx";
        fs::copy_file(file("fmnist_cnn"), copy);
        const std::string recipe = fmnistRecipe(dir, "model: {onnx: cnn.onnx}\n");
        Cli r = runCli({"train", QString::fromStdString(recipe), "--out",
                        QString::fromStdString(dir + "/run"), "--max-steps", "12"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        // It starts from the imported weights: a first loss far below a fresh model's ln 10 = 2.30.
        const double first = firstStepValue(dir + "/run", "task");
        QVERIFY2(first < 1.6, qPrintable(QString::number(first)));
        std::ifstream summary(dir + "/run/summary.json");
        auto s = nlohmann::json::parse(summary);
        QCOMPARE(s["student"]["onnx"]["sha256"].get<std::string>(), describeOnnxModel(copy).sha256);

        // Distil a ResNet-8 from the imported file: KD, and CWD between natural taps (128 vs 64 channels at
        // 7x7, through the automatic adapter).
        const std::string distill =
            fmnistRecipe(dir, "model: {arch: resnet8}\n",
                         "teacher: {onnx: cnn.onnx}\n"
                         "losses:\n"
                         "  - {method: task}\n"
                         "  - {method: kd, weight: 1, tau: 4}\n"
                         "  - {method: cwd, teacher_tap: stage3, student_tap: stage3, "
                         "weight: 10, tau: 1}\n");
        const std::string distillRecipe = dir + "/distill.yaml";
        fs::rename(distill, distillRecipe);
        std::string text;
        {
            std::ifstream in(distillRecipe);
            text.assign(std::istreambuf_iterator<char>(in), {});
        }
        text.replace(text.find("job: train"), 10, "job: distill");
        std::ofstream(distillRecipe) << text;
        r = runCli({"train", QString::fromStdString(distillRecipe), "--out",
                    QString::fromStdString(dir + "/kd"), "--max-steps", "6"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        QVERIFY(std::isfinite(firstStepValue(dir + "/kd", "cwd[stage3]")));

        // Without the file: eval, the teacher side excepted, reads the checkpoint's own structure.
        fs::remove(copy);
        r = runCli({"eval", QString::fromStdString(dir + "/run"), "--json"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));

        // Round trip: fp32 and int8 ONNX out, both checked in onnxruntime.
        const std::string fp32 = dir + "/again.onnx";
        exportOnnx(dir + "/run", "onnx", fp32);
        ExportCheck c = verifyExport(dir + "/run", fp32, 512, 2);
        QVERIFY2(c.passed(), qPrintable(QString::fromStdString(c.failures.empty() ? "" : c.failures[0])));
        QuantizeOptions q;
        q.runDir = dir + "/run";
        q.outDir = dir + "/int8";
        q.subset = 512;
        q.threads = 2;
        const QuantizeResult result = quantizeRun(q);
        QVERIFY(result.int8Metric > 0);
        const std::string int8 = dir + "/again-int8.onnx";
        exportOnnx(q.outDir, "onnx-int8", int8);
        c = verifyExport(q.outDir, int8, 512, 2);
        QVERIFY2(c.passed(), qPrintable(QString::fromStdString(c.failures.empty() ? "" : c.failures[0])));
        // And the exported fp32 file imports again with the same outputs.
        auto back = importOnnx(fp32, 1, 28, 28);
        auto original = loadModel(resolveCheckpoint(dir + "/run"), nullptr, torch::kCPU);
        torch::NoGradGuard noGrad;
        auto x = torch::randn({4, 1, 28, 28});
        QVERIFY((back.net->forward(x) - original->forward(x)).abs().max().item<double>() < 1e-4);
    }

    void moreOpsThroughQuantizationAndExport_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("segmentation");
        // HardSwish and squeeze-excitation gates; channel shuffle and split; gathered input channels and
        // ceil-mode pools; NHWC input, transposed convolutions and a channel slice.
        QTest::newRow("mobilenet_v3_small") << "mobilenet_v3_small" << false;
        QTest::newRow("shufflenet_v2") << "shufflenet_v2" << false;
        QTest::newRow("googlenet") << "googlenet" << false;
        QTest::newRow("unet_nhwc") << "unet_nhwc" << true;
    }
    void moreOpsThroughQuantizationAndExport() {
        // Each imported model trains a step as a student on a small image folder, is quantized (PTQ), and
        // both of its exports are verified in onnxruntime.
        QFETCH(QString, name);
        QFETCH(bool, segmentation);
        const std::string n = name.toStdString();
        const std::string dir = tests::scratchDir("import-" + n);
        const int size = segmentation ? 28 : 48, classes = segmentation ? 4 : 10;
        cv::RNG rng(5);
        for (int i = 0; i < 40; ++i) {
            cv::Mat img(size, size, CV_8UC3);
            rng.fill(img, cv::RNG::UNIFORM, 0, 255);
            const int c = i % classes;
            cv::rectangle(img, {c * 2, c * 3, size / 3, size / 3}, cv::Scalar(60 * c, 255 - 60 * c, 128), -1);
            if (segmentation) {
                fs::create_directories(dir + "/images/images");
                fs::create_directories(dir + "/images/masks");
                cv::Mat mask(size, size, CV_8UC1, cv::Scalar(0));
                cv::rectangle(mask, {c * 2, c * 3, size / 3, size / 3}, cv::Scalar(c), -1);
                mask.at<uint8_t>(0, 0) = static_cast<uint8_t>(classes - 1);  // every class present somewhere
                cv::imwrite(dir + "/images/images/" + std::to_string(i) + ".png", img);
                cv::imwrite(dir + "/images/masks/" + std::to_string(i) + ".png", mask);
            } else {
                fs::create_directories(dir + "/images/c" + std::to_string(c));
                cv::imwrite(dir + "/images/c" + std::to_string(c) + "/" + std::to_string(i) + ".png", img);
            }
        }
        fs::copy_file(file(n), dir + "/model.onnx");
        std::ofstream(dir + "/recipe.yaml")
            << "name: " << n << "\njob: train\nseed: 1\nthreads: 2\n"
            << "data: {dataset: " << (segmentation ? "seg_folder" : "image_folder")
            << ", root: images, val_fraction: 0.5, workers: 2}\n"
               "transforms:\n"
               "  train: [{normalize: {mean: [0.5], std: [0.25]}}]\n"
               "  eval: [{normalize: {mean: [0.5], std: [0.25]}}]\n"
               "model: {onnx: model.onnx}\n"
               "optim: {name: sgd, lr: 0.001, momentum: 0.9}\n"
               "train: {epochs: 1, batch_size: 8, eval_batch_size: 8}\n";
        Cli r = runCli({"train", QString::fromStdString(dir + "/recipe.yaml"), "--out",
                        QString::fromStdString(dir + "/run"), "--max-steps", "2"});
        QVERIFY2(r.exitCode == 0, qPrintable(r.err));
        const std::string fp32 = dir + "/again.onnx";
        exportOnnx(dir + "/run", "onnx", fp32);
        ExportCheck c = verifyExport(dir + "/run", fp32, 0, 2);
        QVERIFY2(c.passed(), qPrintable(QString::fromStdString(c.failures.empty() ? "" : c.failures[0])));
        QuantizeOptions q;
        q.runDir = dir + "/run";
        q.outDir = dir + "/int8";
        q.threads = 2;
        q.spec.calibrationBatches = 2;
        quantizeRun(q);
        const std::string int8 = dir + "/again-int8.onnx";
        exportOnnx(q.outDir, "onnx-int8", int8);
        c = verifyExport(q.outDir, int8, 0, 2);
        QVERIFY2(c.passed(), qPrintable(QString::fromStdString(c.failures.empty() ? "" : c.failures[0])));
    }
};

DISTILLERY_TEST_SUITE("import", ImportTest);
#include "test_import.moc"
