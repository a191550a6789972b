// The model zoo: shapes, taps, parameter and MAC counts against hand-derived values.

#include <ATen/autocast_mode.h>
#include <torch/torch.h>

#include <QtTest/QtTest>

#include "core/internal/bn_relu.h"
#include "core/internal/graph_net.h"
#include "core/internal/inference.h"
#include "core/internal/memory_format.h"
#include "core/internal/onnx_import.h"
#include "core/zoo.h"
#include "tests/core/suites.h"

using namespace distillery;

namespace {
const TapInfo* tap(const ModelInfo& info, const std::string& name) {
    for (const auto& t : info.taps)
        if (t.name == name) return &t;
    return nullptr;
}
}  // namespace

class ModelsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void registryListsTheZoo() {
        std::vector<std::string> names;
        for (const auto& a : architectures())
            names.push_back(a.name);
        for (const char* expected : {"resnet8", "resnet20", "resnet56", "resnet8x4", "resnet32x4", "wrn_16_2",
                                     "wrn_40_2", "vgg8", "vgg13", "mobilenetv2"})
            QVERIFY2(std::find(names.begin(), names.end(), expected) != names.end(), expected);
        QCOMPARE(segmentationHeads(), (std::vector<std::string>{"fcn", "psp", "deeplabv3"}));
    }

    void resnet20ParamsByHand() {
        // He et al.'s CIFAR ResNet-20 with 1×1-conv shortcuts: stem 464, stage1 14016, stage2 51648,
        // stage3 205696, classifier 650 → 272474 for RGB input and 10 classes.
        auto rgb = describeModel({"resnet20", "", 1.0, {}}, Task::Classification, 3, 10, 32, 32);
        QCOMPARE(rgb.params, int64_t{272474});
        auto gray = describeModel({"resnet20", "", 1.0, {}}, Task::Classification, 1, 10, 28, 28);
        QCOMPARE(gray.params, int64_t{272474 - 2 * 16 * 9});
        // Stem conv MACs on 28×28: 28·28·16 outputs × 1·3·3 each.
        QCOMPARE(gray.layers.at(1).op, std::string("conv"));
        QCOMPARE(gray.layers.at(1).macs, int64_t{28 * 28 * 16 * 9});
        // Classifier MACs = 64·10.
        QCOMPARE(gray.layers.back().macs, int64_t{640});
        int64_t sum = 0;
        for (const auto& l : gray.layers)
            sum += l.macs;
        QCOMPARE(gray.macs, sum);
        // The usual figure for CIFAR ResNet-20 is about 41M MACs at 32×32.
        QVERIFY(rgb.macs > 40'000'000 && rgb.macs < 42'000'000);
    }

    void tapsAndShapes() {
        auto info = describeModel({"resnet20", "", 1.0, {}}, Task::Classification, 1, 10, 28, 28);
        QCOMPARE(tap(info, "stem")->shape, (std::vector<int64_t>{16, 28, 28}));
        QCOMPARE(tap(info, "stage1")->shape, (std::vector<int64_t>{16, 28, 28}));
        QCOMPARE(tap(info, "stage2")->shape, (std::vector<int64_t>{32, 14, 14}));
        QCOMPARE(tap(info, "stage3")->shape, (std::vector<int64_t>{64, 7, 7}));
        QCOMPARE(tap(info, "prelogits")->shape, (std::vector<int64_t>{64}));
        QCOMPARE(tap(info, "logits")->shape, (std::vector<int64_t>{10}));
        auto wide = describeModel({"resnet8x4", "", 1.0, {}}, Task::Classification, 3, 100, 32, 32);
        QCOMPARE(tap(wide, "stage3")->shape, (std::vector<int64_t>{256, 8, 8}));
        QCOMPARE(tap(wide, "logits")->shape, (std::vector<int64_t>{100}));
    }

    void everyArchitectureRunsAndOrdersBySize() {
        std::map<std::string, int64_t> params;
        for (const auto& a : architectures()) {
            auto info = describeModel({a.name, "", 1.0, {}}, Task::Classification, 3, 10, 32, 32);
            params[a.name] = info.params;
            QVERIFY2(
                tap(info, "stem") && tap(info, "stage1") && tap(info, "prelogits") && tap(info, "logits"),
                a.name.c_str());
            QCOMPARE(tap(info, "logits")->shape, (std::vector<int64_t>{10}));
            // Tap shapes are what a real forward pass produces.
            torch::NoGradGuard g;
            auto net = buildModel({a.name, "", 1.0, {}}, Task::Classification, 3, 10);
            net->eval();
            std::vector<std::string> names;
            for (const auto& t : info.taps)
                names.push_back(t.name);
            auto out = net->run(torch::randn({2, 3, 32, 32}), names);
            for (const auto& t : info.taps) {
                auto sizes = out.taps.at(t.name).sizes().vec();
                sizes.erase(sizes.begin());
                QCOMPARE(sizes, t.shape);
            }
        }
        QVERIFY(params["resnet8"] < params["resnet20"] && params["resnet20"] < params["resnet56"]);
        QVERIFY(params["wrn_16_2"] < params["wrn_40_2"]);
        QVERIFY(params["resnet8x4"] < params["resnet32x4"]);
        QVERIFY(params["vgg8"] < params["vgg13"]);
        // Published sizes (CRD paper, CIFAR-100 variants differ only in the classifier): ResNet-56 0.86M,
        // WRN-40-2 2.2M, ResNet-32x4 7.4M.
        QVERIFY(params["resnet56"] > 840'000 && params["resnet56"] < 870'000);
        QVERIFY(params["wrn_40_2"] > 2'150'000 && params["wrn_40_2"] < 2'250'000);
        QVERIFY(params["resnet32x4"] > 7'350'000 && params["resnet32x4"] < 7'500'000);
    }

    void everyArchitectureTrainsUnderBf16Autocast_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<double>("width");
        for (const auto& a : architectures())
            QTest::newRow(a.name.c_str()) << QString::fromStdString(a.name) << 1.0;
        QTest::newRow("mobilenetv2 width 0.5") << QString("mobilenetv2") << 0.5;
    }

    void everyArchitectureTrainsUnderBf16Autocast() {
        // `precision: bf16` trains under CPU autocast, where every op's backward must exist in bf16
        // (LibTorch 1.13's hardtanh, PyTorch's ReLU6, has none on CPU). Every parameter gets a finite
        // gradient.
        QFETCH(QString, arch);
        QFETCH(double, width);
        torch::manual_seed(0);
        auto net = buildModel({arch.toStdString(), "", width, {}}, Task::Classification, 1, 10);
        net->train();
        at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
        at::autocast::set_cpu_enabled(true);
        torch::Tensor loss;
        try {
            auto logits = net->run(torch::randn({4, 1, 28, 28}), {}).output;
            QCOMPARE(logits.scalar_type(), torch::kBFloat16);
            loss = torch::cross_entropy_loss(logits.to(torch::kFloat), torch::tensor({0, 1, 2, 3}));
        } catch (...) {
            at::autocast::set_cpu_enabled(false);
            throw;
        }
        at::autocast::set_cpu_enabled(false);
        at::autocast::clear_cache();
        loss.backward();
        int64_t withGradient = 0;
        for (const auto& p : net->parameters()) {
            QVERIFY(p.grad().defined());
            QVERIFY(torch::isfinite(p.grad()).all().item<bool>());
            withGradient += p.grad().abs().sum().item<double>() > 0;
        }
        QVERIFY(withGradient > 0);
    }

    void mobilenetWidthScalesChannels() {
        auto half = describeModel({"mobilenetv2", "", 0.5, {}}, Task::Classification, 3, 10, 32, 32);
        auto full = describeModel({"mobilenetv2", "", 1.0, {}}, Task::Classification, 3, 10, 32, 32);
        QCOMPARE(tap(full, "stage1")->shape.at(0), int64_t{16});
        QCOMPARE(tap(half, "stage1")->shape.at(0), int64_t{8});
        QCOMPARE(tap(full, "stage5")->shape.at(0), int64_t{320});
        QCOMPARE(tap(half, "stage5")->shape.at(0), int64_t{160});
        QVERIFY(half.params < full.params);
        QVERIFY(half.macs < full.macs);
    }

    void segmentationModels_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("head");
        for (const char* arch : {"resnet8", "resnet20", "wrn_16_2", "vgg8", "mobilenetv2"})
            for (const char* head : {"fcn", "psp", "deeplabv3"})
                QTest::newRow((std::string(arch) + "/" + head).c_str()) << QString(arch) << QString(head);
    }

    void segmentationModels() {
        QFETCH(QString, arch);
        QFETCH(QString, head);
        ModelSpec spec{arch.toStdString(), head.toStdString(), 1.0, {}};
        auto info = describeModel(spec, Task::Segmentation, 1, 11, 64, 64);
        QCOMPARE(tap(info, "logits")->shape, (std::vector<int64_t>{11, 64, 64}));
        QVERIFY(tap(info, "head") != nullptr);
        QVERIFY(tap(info, "stage2") != nullptr);
        QCOMPARE(tap(info, "prelogits"), nullptr);
        bool hasConcat = false, hasResize = false;
        for (const auto& l : info.layers) {
            hasConcat |= l.op == "concat";
            hasResize |= l.op == "resize";
        }
        QVERIFY(hasResize);
        QCOMPARE(hasConcat, head != "fcn");
    }

    void unknownNamesAreClearErrors() {
        try {
            describeModel({"resnet9", "", 1.0, {}}, Task::Classification, 1, 10, 28, 28);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("resnet9") && QString(e.what()).contains("resnet20"),
                     e.what());
        }
        try {
            describeModel({"resnet8", "unet", 1.0, {}}, Task::Segmentation, 1, 11, 64, 64);
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("unet") && QString(e.what()).contains("deeplabv3"), e.what());
        }
        QVERIFY_THROWS_EXCEPTION(
            Error, describeModel({"resnet8", "psp", 1.0, {}}, Task::Classification, 1, 10, 28, 28));
    }

    void inferenceRunnerMatchesTheNetInBothPrecisions_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<QString>("head");
        QTest::newRow("resnet20 classifier") << "resnet20"
                                             << "";
        QTest::newRow("resnet8 pspnet") << "resnet8"
                                        << "psp";
        // Pre-activation blocks (a value feeds a batch norm and the residual add) and inverted residuals.
        QTest::newRow("wrn_16_2 classifier") << "wrn_16_2"
                                             << "";
        QTest::newRow("mobilenetv2 classifier") << "mobilenetv2"
                                                << "";
    }

    void inferenceRunnerMatchesTheNetInBothPrecisions() {
        // The frozen teacher's runner against the net's own forward pass (eval mode, trained-looking batch
        // norm statistics): fp32 equal up to float rounding; bf16 within bf16's precision (8-bit mantissa,
        // fp32 accumulation) but not equal, so the convolutions really ran in bf16. Outputs are fp32.
        QFETCH(QString, arch);
        QFETCH(QString, head);
        torch::manual_seed(3);
        const bool seg = !head.isEmpty();
        auto net = buildModel({arch.toStdString(), head.toStdString(), 1.0, {}},
                              seg ? Task::Segmentation : Task::Classification, 1, 10, 32, 32);
        for (auto& buffer : net->named_buffers()) {
            if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.2, 0.2);
            if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 2.0);
        }
        net->eval();
        const auto x = torch::randn({4, 1, 32, 32});
        torch::NoGradGuard noGrad;
        const auto expected = net->run(x, {"stage2"});
        InferenceRunner fp32(net), bf16(net, true);
        if (!fp32.accelerated()) QSKIP("no oneDNN in this LibTorch build");
        QVERIFY(bf16.bf16());
        const auto a = fp32.run(x, {"stage2"}), b = bf16.run(x, {"stage2"});
        for (const auto* out : {&a, &b}) {
            QCOMPARE(out->output.scalar_type(), torch::kFloat);
            QCOMPARE(out->taps.at("stage2").scalar_type(), torch::kFloat);
            QCOMPARE(out->output.sizes(), expected.output.sizes());
        }
        const double range = expected.output.abs().max().item<double>();
        const double fp32Error = (a.output - expected.output).abs().max().item<double>() / range;
        const double bf16Error = (b.output - expected.output).abs().max().item<double>() / range;
        QVERIFY2(fp32Error < 1e-4, qPrintable(QString::number(fp32Error)));
        QVERIFY2(bf16Error > 0 && bf16Error < 0.05, qPrintable(QString::number(bf16Error)));
        // Values the runner overwrites in place (a ReLU or an add that reads them last) are never a tap's:
        // each tap asked for alone (a pre-activation tap is read last by a ReLU) matches the net's, and
        // changes no bit of the output.
        std::vector<std::string> all;
        for (const auto& [name, node] : net->tapList())
            all.push_back(name);
        const auto every = net->run(x, all);
        // The largest difference from the unfolded net's tap, relative to the tap's range.
        auto tapError = [&](const std::string& name, const torch::Tensor& got) {
            const auto& want = every.taps.at(name);
            return (got - want).abs().max().item<double>() / std::max(want.abs().max().item<double>(), 1e-6);
        };
        for (const auto& name : all) {
            const auto alone = fp32.run(x, {name});
            const double err = tapError(name, alone.taps.at(name));
            QVERIFY2(err < 1e-4, qPrintable(QString::fromStdString(name) + ": " + QString::number(err)));
            QVERIFY2(torch::equal(alone.output, a.output), name.c_str());
        }
        QVERIFY(torch::equal(fp32.forward(x), a.output));
        QVERIFY(torch::equal(bf16.forward(x), b.output));
        // The frozen teacher's own fold (the engine's, before its runner) keeps every tap's value too.
        auto folded = buildModel({arch.toStdString(), head.toStdString(), 1.0, {}},
                                 seg ? Task::Segmentation : Task::Classification, 1, 10, 32, 32);
        std::stringstream weights;
        torch::save(net, weights);
        torch::load(folded, weights);
        folded->eval();
        folded->foldBatchNorm(/*keepTaps=*/true);
        InferenceRunner foldedRunner(folded);
        const auto fromFolded = folded->run(x, all);
        for (const auto& name : all) {
            const double netErr = tapError(name, fromFolded.taps.at(name));
            const double runErr = tapError(name, foldedRunner.run(x, {name}).taps.at(name));
            QVERIFY2(netErr < 1e-4 && runErr < 1e-4,
                     qPrintable(QString::fromStdString(name) + ": " + QString::number(netErr) + ", " +
                                QString::number(runErr)));
        }
        const double tapRange = expected.taps.at("stage2").abs().max().item<double>();
        QVERIFY((b.taps.at("stage2") - expected.taps.at("stage2")).abs().max().item<double>() <
                0.05 * tapRange);
        if (!seg) {  // the class the teacher predicts hardly ever changes
            const auto agree = (b.output.argmax(1) == expected.output.argmax(1)).to(torch::kFloat).mean();
            QVERIFY(agree.item<double>() >= 0.75);
        }
    }

    void fusedBatchNormReluMatchesTheModule_data() {
        QTest::addColumn<bool>("bf16");
        QTest::addColumn<QList<int>>("shape");
        QTest::addColumn<double>("offset");  // added to the input: the variance must not cancel
        QTest::addColumn<bool>("momentum");  // false: no momentum, a cumulative average
        QTest::addColumn<bool>("six");       // ReLU6 (hardtanh 0..6) instead of ReLU
        QTest::addColumn<bool>("residual");  // relu(bn(x) + r): a residual block's end
        QTest::newRow("fp32 4x16x7x5") << false << QList<int>{4, 16, 7, 5} << 0.0 << true << false << false;
        QTest::newRow("fp32 odd channels")
            << false << QList<int>{3, 33, 4, 4} << 0.0 << true << false << false;
        QTest::newRow("fp32 1x1 maps") << false << QList<int>{6, 8, 1, 1} << 0.0 << true << false << false;
        QTest::newRow("fp32 large batch")
            << false << QList<int>{64, 24, 14, 14} << 0.0 << true << false << false;
        QTest::newRow("fp32 offset 300")
            << false << QList<int>{8, 16, 6, 6} << 300.0 << true << false << false;
        QTest::newRow("fp32 no momentum")
            << false << QList<int>{4, 16, 5, 5} << 0.0 << false << false << false;
        QTest::newRow("fp32 relu6") << false << QList<int>{4, 40, 5, 5} << 0.0 << true << true << false;
        QTest::newRow("fp32 16x16x64x64")
            << false << QList<int>{16, 16, 64, 64} << 0.0 << true << false << false;
        QTest::newRow("fp32 128x16x28x28")
            << false << QList<int>{128, 16, 28, 28} << 0.0 << true << false << false;
        QTest::newRow("fp32 wide 1x1 relu")
            << false << QList<int>{6, 1280, 1, 1} << 0.0 << true << false << false;
        QTest::newRow("fp32 wide 1x1 relu6")
            << false << QList<int>{6, 1280, 1, 1} << 0.0 << true << true << false;
        QTest::newRow("fp32 2x2 relu6") << false << QList<int>{6, 96, 2, 2} << 0.0 << true << true << false;
        QTest::newRow("bf16 8x32x7x7") << true << QList<int>{8, 32, 7, 7} << 0.0 << true << false << false;
        QTest::newRow("bf16 odd channels")
            << true << QList<int>{5, 17, 3, 2} << 0.0 << true << false << false;
        QTest::newRow("bf16 relu6") << true << QList<int>{4, 24, 6, 6} << 0.0 << true << true << false;
        QTest::newRow("fp32 residual") << false << QList<int>{4, 16, 7, 5} << 0.0 << true << false << true;
        QTest::newRow("fp32 residual odd channels")
            << false << QList<int>{3, 33, 4, 4} << 0.0 << true << false << true;
        QTest::newRow("fp32 residual 128x16x28x28")
            << false << QList<int>{128, 16, 28, 28} << 0.0 << true << false << true;
        QTest::newRow("fp32 residual offset 300")
            << false << QList<int>{8, 16, 6, 6} << 300.0 << true << false << true;
        QTest::newRow("fp32 residual no momentum")
            << false << QList<int>{4, 16, 5, 5} << 0.0 << false << false << true;
        QTest::newRow("fp32 residual relu6")
            << false << QList<int>{4, 40, 5, 5} << 0.0 << true << true << true;
        QTest::newRow("fp32 residual 1x1 maps")
            << false << QList<int>{6, 8, 1, 1} << 0.0 << true << false << true;
        QTest::newRow("bf16 residual") << true << QList<int>{8, 32, 7, 7} << 0.0 << true << false << true;
        QTest::newRow("bf16 residual odd channels")
            << true << QList<int>{5, 17, 3, 2} << 0.0 << true << false << true;
    }

    void fusedBatchNormReluMatchesTheModule() {
        // Against LibTorch's own batch norm module followed by torch::relu (or hardtanh), in double precision
        // on the same input, twice (the running statistics move twice): the output, the gradients of the
        // input, the weight and the bias for a random upstream gradient, and the running mean, variance and
        // batch count. (LibTorch's fp32 kernel itself is off by 1e-3 in the weight's gradient at 100 000
        // values per channel; the fused one accumulates in double.) bf16: the same bf16 input and upstream
        // gradient, and the fused output must be the double value rounded to bf16. With a residual r the
        // reference is act(bn(x) + r), and r's gradient is compared too.
        QFETCH(bool, bf16);
        QFETCH(QList<int>, shape);
        QFETCH(double, offset);
        QFETCH(bool, momentum);
        QFETCH(bool, six);
        QFETCH(bool, residual);
        torch::manual_seed(11);
        const int64_t C = shape[1];
        auto options = torch::nn::BatchNorm2dOptions(C).eps(1e-5);
        if (!momentum) options.momentum(c10::nullopt);
        torch::nn::BatchNorm2d fused(options), reference(options);
        {
            torch::NoGradGuard noGrad;
            fused->weight.uniform_(0.5, six ? 5.0 : 1.5);  // ReLU6: many values above 6
            fused->bias.uniform_(-0.5, 0.5);
            fused->running_mean.uniform_(-1, 1);
            fused->running_var.uniform_(0.5, 2);
            reference->weight.copy_(fused->weight);
            reference->bias.copy_(fused->bias);
            reference->running_mean.copy_(fused->running_mean);
            reference->running_var.copy_(fused->running_var);
        }
        reference->to(torch::kDouble);  // the oracle: LibTorch's module in double precision
        const auto type = bf16 ? torch::kBFloat16 : torch::kFloat;
        for (int step = 0; step < 2; ++step) {
            const auto sizes = std::vector<int64_t>(shape.begin(), shape.end());
            const auto x =
                (torch::randn(sizes) * 2 + offset).to(type).contiguous(torch::MemoryFormat::ChannelsLast);
            const auto upstream = torch::randn(sizes).to(type).contiguous(torch::MemoryFormat::ChannelsLast);
            const auto r = (torch::randn(sizes) * 1.5).to(type).contiguous(torch::MemoryFormat::ChannelsLast);
            QVERIFY(fusedBatchNormReluApplies(*fused, x));
            QVERIFY(fusedBatchNormAddReluApplies(*fused, x, r));
            auto xf = x.clone().set_requires_grad(true);
            auto rf = r.clone().set_requires_grad(true);
            const double upper = six ? 6.0 : std::numeric_limits<double>::infinity();
            auto y = residual ? fusedBatchNormAddRelu(*fused, xf, rf, upper)
                     : six    ? fusedBatchNormRelu(*fused, xf, 6.0)
                              : fusedBatchNormRelu(*fused, xf);
            QCOMPARE(y.scalar_type(), type);
            QVERIFY(y.is_contiguous(torch::MemoryFormat::ChannelsLast));
            (y.to(torch::kFloat) * upstream.to(torch::kFloat)).sum().backward();

            auto xr = x.to(torch::kDouble).set_requires_grad(true);
            auto rr = r.to(torch::kDouble).set_requires_grad(true);
            const auto pre = residual ? reference->forward(xr) + rr : reference->forward(xr);
            auto yr = six ? torch::hardtanh(pre, 0.0, 6.0) : torch::relu(pre);
            if (six) QVERIFY((yr == 6).sum().item<int64_t>() > 10);
            (yr * upstream.to(torch::kDouble)).sum().backward();

            const auto maxDiff = [](const torch::Tensor& a, const torch::Tensor& b) {
                const double range = std::max(1e-6, b.abs().max().item<double>());
                return (a.to(torch::kFloat) - b).abs().max().item<double>() / range;
            };
            const QString row = QStringLiteral(" (step %1)").arg(step);
            if (bf16) {
                QVERIFY2(torch::equal(y, yr.detach().to(torch::kBFloat16)) ||
                             maxDiff(y, yr.detach()) < 1.0 / 128,  // at most a rounding step apart
                         qPrintable("output" + row));
            } else {
                QVERIFY2(maxDiff(y, yr) < (offset > 0 ? 1e-4 : 1e-5), qPrintable("output" + row));
            }
            const double tolerance = bf16 ? 2e-2 : 1e-4;
            // Where the batch norm's output is within rounding of the activation's kink (0, or 6), the two
            // may take different sides and pass or stop that one element's gradient: compared elsewhere.
            const auto awayFromKinks = (pre.abs() > 1e-4) & ((pre - 6).abs() > 1e-4);
            QVERIFY2(maxDiff(xf.grad().to(torch::kFloat).masked_select(awayFromKinks),
                             xr.grad().masked_select(awayFromKinks)) < tolerance,
                     qPrintable("input gradient" + row));
            if (residual)
                QVERIFY2(maxDiff(rf.grad().to(torch::kFloat).masked_select(awayFromKinks),
                                 rr.grad().masked_select(awayFromKinks)) < tolerance,
                         qPrintable("residual gradient" + row));
            else
                QVERIFY(!rf.grad().defined());
            QVERIFY2(maxDiff(fused->weight.grad(), reference->weight.grad()) < tolerance,
                     qPrintable("weight gradient" + row));
            QVERIFY2(maxDiff(fused->bias.grad(), reference->bias.grad()) < tolerance,
                     qPrintable("bias gradient" + row));
            QVERIFY2(maxDiff(fused->running_mean, reference->running_mean) < 1e-5,
                     qPrintable("running mean" + row));
            QVERIFY2(maxDiff(fused->running_var, reference->running_var) < (offset > 0 ? 1e-4 : 1e-5),
                     qPrintable("running variance" + row));
            QCOMPARE(fused->num_batches_tracked.item<int64_t>(),
                     reference->num_batches_tracked.item<int64_t>());
        }
        // Where it does not apply the caller runs the module: eval mode, NCHW, one value per channel, off.
        const auto cl = torch::randn({2, C, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast);
        QVERIFY(!fusedBatchNormReluApplies(*fused, torch::randn({2, C, 3, 3})));
        QVERIFY(!fusedBatchNormReluApplies(*fused, torch::randn({1, C, 1, 1})));
        QVERIFY(!fusedBatchNormReluApplies(*fused, cl.to(torch::kDouble)));
        fused->eval();
        QVERIFY(!fusedBatchNormReluApplies(*fused, cl));
        fused->train();
        const auto otherChannels =
            torch::randn({2, C + 1, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast);
        QVERIFY(!fusedBatchNormReluApplies(*fused, otherChannels));
        // The residual: of x's sizes, type and layout, or the caller adds as before.
        QVERIFY(fusedBatchNormAddReluApplies(*fused, cl, cl.clone()));
        QVERIFY(!fusedBatchNormAddReluApplies(*fused, cl, torch::randn({2, C, 3, 3})));
        QVERIFY(!fusedBatchNormAddReluApplies(*fused, cl, cl.to(torch::kBFloat16)));
        QVERIFY(!fusedBatchNormAddReluApplies(*fused, cl, torch::randn({1, C, 1, 1})));
        QVERIFY(!fusedBatchNormAddReluApplies(*fused, cl, torch::Tensor()));
        const bool was = fusedBatchNormReluEnabled();
        setFusedBatchNormRelu(false);
        QVERIFY(!fusedBatchNormReluApplies(*fused, cl));
        setFusedBatchNormRelu(true);
        QVERIFY(fusedBatchNormReluApplies(*fused, cl));
        setFusedBatchNormRelu(was);
        // No second derivatives through it: refused, not silently wrong.
        auto z = cl.clone().set_requires_grad(true);
        auto out = fusedBatchNormRelu(*fused, z);
        QVERIFY_THROWS_EXCEPTION(c10::Error, torch::autograd::grad({out.sum()}, {z}, {}, true, true));
        auto sum = fusedBatchNormAddRelu(*fused, z, cl);
        QVERIFY_THROWS_EXCEPTION(c10::Error, torch::autograd::grad({sum.sum()}, {z}, {}, true, true));
    }

    void fusedBatchNormReluLeavesTheNetUnchanged_data() {
        QTest::addColumn<QString>("arch");
        QTest::addColumn<bool>("preTaps");      // tap the blocks' sums too (stage*.pre), which stay unfused
        QTest::addColumn<int>("residualEnds");  // blocks ending in bn + shortcut → ReLU that are fused
        QTest::newRow("resnet8") << "resnet8" << false << 3;
        QTest::newRow("resnet20") << "resnet20" << true << 6;        // 9 blocks, each stage's last tapped
        QTest::newRow("wrn_16_2") << "wrn_16_2" << true << 0;        // pre-activation blocks
        QTest::newRow("mobilenetv2") << "mobilenetv2" << true << 0;  // no activation after its additions
    }

    void fusedBatchNormReluLeavesTheNetUnchanged() {
        // A training step of a zoo network with the fusion and without: every tap (a pre-activation tap is a
        // batch norm's output, which then must not be fused), the output, every parameter's gradient and the
        // running statistics agree up to float rounding. The autograd graph shows that the fused operation
        // ran where a ReLU (ResNet, WRN) or a ReLU6 (MobileNetV2) follows a batch norm, and the fused batch
        // norm + addition + ReLU where a ResNet block ends.
        QFETCH(QString, arch);
        QFETCH(bool, preTaps);
        QFETCH(int, residualEnds);
        auto build = [&] {
            torch::manual_seed(5);
            auto net = buildModel({arch.toStdString(), "", 1.0, {}}, Task::Classification, 3, 10, 32, 32);
            net->useChannelsLast();
            net->train();
            return net;
        };
        auto with = build(), without = build();
        const auto x = exactChannelsLast(torch::randn({6, 3, 32, 32}));
        std::vector<std::string> taps;
        for (const auto& [name, node] : with->tapList())
            if (preTaps || name.find(".pre") == std::string::npos) taps.push_back(name);
        const bool was = fusedBatchNormReluEnabled();
        auto step = [&](GraphNet& net, bool fuse) {
            setFusedBatchNormRelu(fuse);
            auto out = net->run(x, taps);
            (out.output * torch::arange(10).to(torch::kFloat)).sum().backward();
            setFusedBatchNormRelu(was);
            return out;
        };
        const auto a = step(with, true), b = step(without, false);
        const auto fusedNodes = [](const torch::Tensor& out, const std::string& kind = "BatchNormRelu") {
            int count = 0;
            std::vector<torch::autograd::Node*> todo{out.grad_fn().get()};
            std::set<torch::autograd::Node*> seen;
            while (!todo.empty()) {
                auto* node = todo.back();
                todo.pop_back();
                if (!node || !seen.insert(node).second) continue;
                if (node->name().find(kind) != std::string::npos) ++count;
                for (const auto& edge : node->next_edges())
                    todo.push_back(edge.function.get());
            }
            return count;
        };
        QCOMPARE(fusedNodes(b.output), 0);
        QVERIFY(fusedNodes(a.output) > 2);
        QCOMPARE(fusedNodes(b.output, "BatchNormAddRelu"), 0);
        QCOMPARE(fusedNodes(a.output, "BatchNormAddRelu"), residualEnds);
        const auto close = [](const torch::Tensor& u, const torch::Tensor& v, double tol) {
            const double range = std::max(1e-6, v.abs().max().item<double>());
            return (u - v).abs().max().item<double>() / range < tol;
        };
        QVERIFY(close(a.output, b.output, 1e-4));
        for (const auto& name : taps)
            QVERIFY2(close(a.taps.at(name), b.taps.at(name), 1e-4), name.c_str());
        const auto pa = with->named_parameters(), pb = without->named_parameters();
        // Gradients: an element whose batch-norm output lies within rounding of the ReLU's kink may fall on
        // the other side in one of the two (as between any two batch-norm kernels), and its change spreads
        // through the backward pass. So each parameter's gradient must point the same way (cosine) and the
        // whole gradient be close in norm, rather than equal element by element.
        std::vector<torch::Tensor> ga, gb;
        for (const auto& item : pa) {
            const auto u = item.value().grad(), v = pb[item.key()].grad();
            QVERIFY2(u.defined(), item.key().c_str());
            ga.push_back(u.flatten());
            gb.push_back(v.flatten());
            const double cosine = (u * v).sum().item<double>() / (u.norm() * v.norm()).item<double>();
            // (A batch norm's bias feeding, through a convolution, another batch norm in training mode has a
            // gradient of exactly zero but for rounding: no direction to compare.)
            if (u.dim() > 1) QVERIFY2(cosine > 0.99, item.key().c_str());
        }
        const auto all = torch::cat(ga), reference = torch::cat(gb);
        // (ResNet and WRN: 1e-6; MobileNetV2, whose last maps are 1×1, has batch norms over 6 values, where
        // one element on the other side of a kink moves a channel's statistics: 0.02.)
        QVERIFY(((all - reference).norm() / reference.norm()).item<double>() < 5e-2);
        const auto ba = with->named_buffers(), bb = without->named_buffers();
        for (const auto& item : ba)
            if (item.value().is_floating_point())
                // (Absolute below 1e-6: some running means are ~1e-7, rounding alone.)
                QVERIFY2((item.value() - bb[item.key()]).abs().max().item<double>() <
                             1e-6 + 1e-4 * bb[item.key()].abs().max().item<double>(),
                         item.key().c_str());
            else
                QVERIFY2(torch::equal(item.value(), bb[item.key()]), item.key().c_str());
    }

    void sameSeedSameWeights() {
        torch::manual_seed(7);
        auto a = buildModel({"resnet8", "", 1.0, {}}, Task::Classification, 1, 10);
        torch::manual_seed(7);
        auto b = buildModel({"resnet8", "", 1.0, {}}, Task::Classification, 1, 10);
        auto pa = a->parameters(), pb = b->parameters();
        QCOMPARE(pa.size(), pb.size());
        for (size_t i = 0; i < pa.size(); ++i)
            QVERIFY(torch::equal(pa[i], pb[i]));
    }

    void greyInputsRunChannelsLastThroughout() {
        // A one-channel batch and a one-input-channel weight are "contiguous" in both layouts, so
        // contiguous(ChannelsLast) leaves their NCHW strides, and the stem's convolution then answers in
        // NCHW.
        const auto clStrides = [](const torch::Tensor& t) {
            return t.strides() == c10::IntArrayRef(c10::get_channels_last_strides_2d(t.sizes()));
        };
        auto grey = torch::rand({4, 1, 6, 5});
        QVERIFY(!clStrides(grey.contiguous(torch::MemoryFormat::ChannelsLast)));  // why the helper exists
        auto cl = exactChannelsLast(grey);
        QVERIFY(clStrides(cl));
        QVERIFY(torch::equal(cl, grey));
        QCOMPARE(cl.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
        auto rgb = torch::rand({2, 3, 4, 4});
        QVERIFY(clStrides(exactChannelsLast(rgb)) && torch::equal(exactChannelsLast(rgb), rgb));
        QVERIFY(exactChannelsLast(cl).data_ptr() == cl.data_ptr());  // already exact: no copy
        QCOMPARE(exactChannelsLast(torch::rand({3, 4})).dim(), int64_t{2});

        // Every 4-D value of a training step on grey images is channels-last, from the stem on, and the
        // gradients reaching the parameters keep their layout.
        torch::manual_seed(3);
        auto net = buildModel({"resnet8", "", 1.0, {}}, Task::Classification, 1, 10);
        net->useChannelsLast();
        for (const auto& p : net->parameters())
            if (p.dim() == 4) QVERIFY(clStrides(p));
        net->train();
        auto x = exactChannelsLast(torch::rand({8, 1, 28, 28}));
        auto out = net->run(x, {"stem", "stage1", "stage2", "stage3"});
        for (const auto& [name, value] : out.taps)
            QVERIFY2(clStrides(value), name.c_str());
        out.output.sum().backward();
        for (const auto& p : net->parameters())
            if (p.dim() == 4) QVERIFY(clStrides(p.grad()));
        // The same numbers as the NCHW network.
        torch::manual_seed(3);
        auto plain = buildModel({"resnet8", "", 1.0, {}}, Task::Classification, 1, 10);
        plain->train();
        auto expected = plain->run(x.contiguous(), {"stage3"});
        QVERIFY(torch::allclose(out.taps.at("stage3"), expected.taps.at("stage3"), 1e-4, 1e-5));

        // An imported grey-scale model as the engine runs a teacher (folded, channels-last): the shipped ONNX
        // file from PyTorch, whose every 4-D tap and weight is NHWC too, with the file's numbers.
        auto file = importOnnx(DISTILLERY_SOURCE_DIR "/resources/teachers/fmnist_vgg_torch.onnx", 1, 28, 28);
        auto imported = file.net;
        auto reference = importOnnx(DISTILLERY_SOURCE_DIR "/resources/teachers/fmnist_vgg_torch.onnx").net;
        imported->foldBatchNorm();
        imported->useChannelsLast();
        for (const auto& p : imported->parameters())
            if (p.dim() == 4) QVERIFY(clStrides(p));
        std::vector<std::string> fourD;
        for (const auto& tap : file.report.model.taps)
            // C x H x W per sample; a 1 x 1 map (after global pooling) has no layout to keep.
            if (tap.shape.size() == 3 && tap.shape[1] * tap.shape[2] > 1) fourD.push_back(tap.name);
        QVERIFY(fourD.size() >= 3);
        torch::NoGradGuard noGrad;
        auto mine = imported->run(x, fourD);
        for (const auto& [name, value] : mine.taps)
            QVERIFY2(clStrides(value), name.c_str());
        QVERIFY(torch::allclose(mine.output, reference->forward(x.contiguous()), 1e-4, 1e-4));
    }
};

DISTILLERY_TEST_SUITE("models", ModelsTest);
#include "test_models.moc"
