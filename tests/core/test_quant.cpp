// Quantization: fake quantization and its gradients against hand-computed values, BatchNorm folding,
// calibration observers, the mixed-precision budget search, LibTorch int8 execution, PTQ run folders and
// distillation-guided QAT on a small real Fashion-MNIST student.

#include <onnx/onnx_pb.h>

#include <QtTest/QtTest>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/engine.h"
#include "core/internal/checkpoint.h"
#include "core/internal/quant_internal.h"
#include "core/quantize.h"
#include "core/zoo.h"
#include "tests/core/suites.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

const char* kRecipe = R"(
name: qstudent
job: train
seed: 5
threads: 2
data: {dataset: fashion_mnist, subset: 1024, workers: 2}
transforms:
  train: [{normalize: {mean: [0.286], std: [0.353]}}]
  eval: [{normalize: {mean: [0.286], std: [0.353]}}]
model: {arch: resnet8}
optim: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}
schedule: {name: cosine}
train: {epochs: 2, batch_size: 64, eval_batch_size: 256, log_every: 5}
)";

using tests::errorOf;

}  // namespace

class QuantTest : public QObject {
    Q_OBJECT
    std::string mRun;

private Q_SLOTS:
    void initTestCase() {
        at::set_num_threads(2);
        const std::string dir = tests::scratchDir("quant");
        mRun = dir + "/fp32";
        Job job(parseRecipe(kRecipe, "quant.yaml", dir), JobOptions{mRun});
        job.start();
        const RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Finished);
    }

    void fakeQuantizeMatchesHandValues() {
        auto x = torch::tensor({-1.0f, 0.3f, 0.5f, 3.0f, 10.0f}).requires_grad_(true);
        auto s = torch::tensor({0.25f}).requires_grad_(true);
        auto z = torch::tensor({4.0f});
        auto y = fakeQuantize(x, s, z, 0, 15, 1.0);
        // q = clamp(round(x/s) + 4, 0, 15): 0, 5, 6, 16→15, 44→15; x̂ = (q − 4)·s
        const std::vector<float> expected{-1.0f, 0.25f, 0.5f, 2.75f, 2.75f};
        for (int i = 0; i < 5; ++i)
            QCOMPARE(y[i].item<float>(), expected[i]);
        y.sum().backward();
        // Straight-through inside [qmin, qmax], zero where clamped.
        const std::vector<float> gx{1, 1, 1, 0, 0};
        for (int i = 0; i < 5; ++i)
            QCOMPARE(x.grad()[i].item<float>(), gx[i]);
        // LSQ: d x̂/ds = (q − z) − x/s inside (0, −0.2, 0), q_max − z = 11 where clamped: 21.8 in all.
        QVERIFY(std::abs(s.grad().item<float>() - 21.8f) < 1e-4);
    }

    void activationRangeGivesScaleAndZeroPoint() {
        GraphNet net;
        int x = net->input(1);
        net->conv(x, 2, 1, 1, 1, 1, true, "c");
        net->finalize();
        net->foldBatchNorm();
        net->enableQuantization({}, false);
        net->setActivationRange(0, -1.0, 3.0);
        auto p = net->activationParams(0);
        QVERIFY(std::abs(p.scale - 4.0 / 255.0) < 1e-7);
        QCOMPARE(p.zeroPoint, int64_t{64});    // round(1 / (4/255)) = round(63.75)
        net->setActivationRange(0, 0.5, 2.0);  // widened to include 0
        p = net->activationParams(0);
        QVERIFY(std::abs(p.scale - 2.0 / 255.0) < 1e-7);
        QCOMPARE(p.zeroPoint, int64_t{0});
        // 8-bit weight scales are max |w| / 127 per output channel.
        auto w = net->layerWeight(1);
        auto expected = w.detach().abs().flatten(1).amax(1) / 127.0;
        QVERIFY(torch::allclose(net->weightScale(1), expected));
        QVERIFY(errorOf([&] { net->setWeightBits(1, 3); }).contains("expected 8, 6, 4, 2"));
    }

    void observersClipOutliers() {
        auto makeNet = [] {
            GraphNet net;
            int x = net->input(1);
            net->conv(x, 1, 1, 1, 1, 1, false, "c");
            net->finalize();
            net->foldBatchNorm();
            net->enableQuantization({}, false);
            return net;
        };
        // 10 000 values in [0, 1) and one outlier at 100.
        auto data = torch::rand({1, 1, 100, 100});
        data[0][0][0][0] = 100.0f;
        auto paramsOf = [&](const std::string& observer) {
            GraphNet net = makeNet();
            bool given = false;
            calibrateActivations(
                net,
                [&](torch::Tensor& t) {
                    if (given) return false;
                    given = true;
                    t = data;
                    return true;
                },
                observer, 99.9);
            return net->activationParams(0);
        };
        auto hiOf = [&](const std::string& observer) {
            auto p = paramsOf(observer);
            return p.scale * (p.qmax - p.zeroPoint);
        };
        auto errorWith = [&](const QuantParams& p) {
            auto q =
                (torch::clamp(torch::round(data / p.scale) + p.zeroPoint, 0, p.qmax) - p.zeroPoint) * p.scale;
            return (q - data).pow(2).mean().item<double>();
        };
        QVERIFY(std::abs(hiOf("minmax") - 100.0) < 1e-3);
        const double pct = hiOf("percentile");
        QVERIFY2(pct > 0.95 && pct < 1.01, qPrintable(QString::number(pct)));
        // MSE: never worse than min–max or the percentile clip on the data it saw.
        const double eMse = errorWith(paramsOf("mse"));
        QVERIFY(eMse <= errorWith(paramsOf("minmax")) + 1e-12);
        QVERIFY(eMse <= errorWith(paramsOf("percentile")) + 1e-12);
        // One value just past a dense [0, 1) bulk: clipping it to 0.98 of the range (error 0.021² once) costs
        // less than the coarser step spends on all 10 000 values (Δ(step²/12)·N ≈ 5.6e-4). MSE clips.
        data = torch::rand({1, 1, 100, 100});
        data[0][0][0][0] = 1.05f;
        const double mseHi = hiOf("mse");
        QVERIFY2(mseHi < hiOf("minmax") - 1e-6, qPrintable(QString::number(mseHi)));
        QVERIFY(errorWith(paramsOf("mse")) < errorWith(paramsOf("minmax")));
        QVERIFY(errorOf([&] { hiOf("median"); }).contains("expected minmax, percentile or mse"));
    }

    void foldingKeepsOutputs() {
        torch::manual_seed(1);
        for (const char* arch : {"resnet8", "mobilenetv2"}) {
            GraphNet net = buildModel({arch, "", 0.5, {}}, Task::Classification, 1, 10);
            // Non-trivial BN statistics and affine parameters.
            for (auto& item : net->named_buffers()) {
                torch::NoGradGuard g;
                if (item.key().find("running_mean") != std::string::npos) item.value().uniform_(-0.5, 0.5);
                if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
            }
            for (auto& item : net->named_parameters()) {
                torch::NoGradGuard g;
                if (item.key().find("bn") != std::string::npos) item.value().uniform_(0.5, 1.5);
            }
            net->eval();
            torch::NoGradGuard g;
            auto x = torch::randn({4, 1, 28, 28});
            auto before = net->forward(x);
            net->foldBatchNorm();
            auto after = net->forward(x);
            const double diff = (before - after).abs().max().item<double>();
            QVERIFY2(diff < 1e-4, qPrintable(QString("%1: %2").arg(arch).arg(diff)));
        }
    }

    void int8TapsMatchTheSimulatedModel() {
        // The int8 teacher's taps: each one dequantized from LibTorch's int8 kernels, against the same
        // fake-quantized model in float (within two quantization steps of the tap's grid); a pre-activation
        // value that the kernels fuse with its ReLU is refused by name.
        torch::manual_seed(4);
        GraphNet net = buildModel({"resnet8", "", 1.0, {}}, Task::Classification, 1, 10);
        net->tap("stem_preact", net->nodeIndex("stem.conv"));
        net->eval();
        net->foldBatchNorm();
        net->enableQuantization({}, false);
        std::vector<torch::Tensor> batches;
        for (int i = 0; i < 4; ++i)
            batches.push_back(torch::randn({16, 1, 28, 28}));
        calibrateOn(net, batches, QuantSpec{});
        Int8Net int8(net);
        const std::vector<std::string> taps{"stem", "stage2", "stage3", "prelogits", "logits"};
        auto x = torch::randn({8, 1, 28, 28});
        torch::NoGradGuard g;
        auto simulated = net->run(x, taps);
        auto real = int8.run(x, taps);
        for (const auto& tap : taps) {
            const auto& a = real.taps.at(tap);
            const auto& b = simulated.taps.at(tap);
            QCOMPARE(a.sizes(), b.sizes());
            QVERIFY(!a.is_quantized());
            const double range = b.abs().max().item<double>();
            const double diff = (a - b).abs().max().item<double>();
            QVERIFY2(diff <= 2.0 * range / 127.0,
                     qPrintable(QString("%1: %2 of %3").arg(tap.c_str()).arg(diff).arg(range)));
        }
        QVERIFY((real.output - int8.forward(x)).abs().max().item<double>() == 0.0);
        QVERIFY(int8.tapProblem("stage3").empty());
        QVERIFY(int8.tapProblem("stem_preact").find("pre-activation") != std::string::npos);
        QVERIFY(errorOf([&] { int8.run(x, {"stem_preact"}); }).contains("stem_preact"));
    }

    void qatGradientsFlow() {
        torch::manual_seed(2);
        GraphNet net = buildModel({"resnet8", "", 1.0, {}}, Task::Classification, 1, 10);
        net->eval();
        net->foldBatchNorm();
        net->enableQuantization({{"layer1.0.1.conv", 4}}, /*lsq=*/true);
        net->setActivationRange(0, -1.0, 3.0);
        for (int q = 1; q < net->activationQuantizerCount(); ++q)
            net->setActivationRange(q, 0.0, 4.0);
        net->train();
        auto x = torch::randn({8, 1, 28, 28});
        auto y = torch::randint(0, 10, {8});
        auto loss = torch::nn::functional::cross_entropy(net->forward(x), y);
        loss.backward();
        const int conv = net->nodeIndex("layer1.0.1.conv");
        auto g = net->layerWeight(conv).grad();
        QVERIFY(g.defined() && g.abs().sum().item<double>() > 0);
        auto steps = net->stepSizeParameters();
        QVERIFY(!steps.empty());
        int withGrad = 0;
        for (auto& s : steps)
            if (s.grad().defined() && s.grad().abs().sum().item<double>() > 0) ++withGrad;
        QVERIFY2(withGrad > static_cast<int>(steps.size()) / 2, qPrintable(QString::number(withGrad)));
    }

    void budgetSearchPicksCheapestSensitivity() {
        std::vector<QuantLayer> layers(2);
        layers[0].name = "a";
        layers[0].params = 1000;
        layers[0].macs = 1000000;
        layers[0].sensitivity = {{6, 0.01}, {4, 0.02}, {2, 1.0}};
        layers[1].name = "b";
        layers[1].params = 100;
        layers[1].macs = 1000000;
        layers[1].sensitivity = {{6, 0.5}, {4, 1.0}, {2, 2.0}};
        // 8 bit: 1100 bytes. 800 bytes: a 8→6 (saves 250 at 0.01) then 6→4 (250 at 0.01); b stays at 8.
        auto bits = searchBitWidths(layers, parseBudget("size=800"));
        QCOMPARE(bits.at("a"), 4);
        QCOMPARE(bits.at("b"), 8);
        layers[0].weightBits = 4;
        QCOMPARE(quantCost(layers).sizeBytes, 1000 * 0.5 + 100 * 1.0);
        QCOMPARE(quantCost(layers).bops, 1e6 * 4 * 8 + 1e6 * 8 * 8);
        QCOMPARE(floatCost(layers).sizeBytes, 4400.0);
        // BOPs: 128 M at 8 bit; 100 M needs a 8→4 step on one layer (both cost the same per bit): a.
        bits = searchBitWidths(layers, parseBudget("bops=100M"));
        QCOMPARE(bits.at("a"), 4);
        QCOMPARE(bits.at("b"), 8);
        const QString tooSmall = errorOf([&] { searchBitWidths(layers, parseBudget("size=100")); });
        QVERIFY2(tooSmall.contains("below the smallest reachable 0.275 KB"), qPrintable(tooSmall));
        QVERIFY(errorOf([&] { parseBudget("size=abc"); }).contains("expected size=<bytes>"));
        QVERIFY(errorOf([&] { parseBudget("watts=3"); }).contains("budget 'watts=3'"));
        QVERIFY(errorOf([&] { parseBudget("size=-5KB"); }).contains("positive"));
        QCOMPARE(parseBudget("size=40KB").value, 40000.0);
        QCOMPARE(parseBudget("bops=2.5G").value, 2.5e9);
        QCOMPARE(parseBudget("size=512B").value, 512.0);
        QCOMPARE(parseBudget("SIZE=1.5 mb").value, 1.5e6);
        QVERIFY(errorOf([&] { parseBudget("size=3GB"); }).contains("expected size=<bytes>[KB|MB]"));
        QVERIFY(errorOf([&] { parseBudget("bops=7X"); }).contains("[K|M|G|T]"));
        // Budget left over after the greedy descent goes back to the layers: c is cheap to lower early, a's
        // step then overshoots the budget by 50 bytes, which returns c to 8 bit (exactly 850 bytes).
        std::vector<QuantLayer> two(2);
        two[0].name = "a";
        two[0].params = 1000;
        two[0].sensitivity = {{6, 0.01}, {4, 0.02}, {2, 1.0}};
        two[1].name = "c";
        two[1].params = 100;
        two[1].sensitivity = {{6, 0.0001}, {4, 0.0002}, {2, 0.5}};
        bits = searchBitWidths(two, parseBudget("size=850"));
        QCOMPARE(bits.at("a"), 6);
        QCOMPARE(bits.at("c"), 8);
        layers[1].sensitivity.erase(2);
        QVERIFY(
            errorOf([&] { searchBitWidths(layers, parseBudget("size=300")); }).contains("no sensitivity"));
    }

    void ptqRunMatchesInt8AndReloads() {
        const std::string out = tests::scratchDir("quant-ptq") + "/ptq";
        QuantizeOptions o;
        o.runDir = mRun;
        o.outDir = out;
        o.threads = 2;
        o.latencyBatch = 16;
        const QuantizeResult r = quantizeRun(o);
        QVERIFY2(r.fp32Metric > 50, qPrintable(QString::number(r.fp32Metric)));
        QVERIFY2(std::abs(r.simulatedMetric - r.fp32Metric) < 3.0,
                 qPrintable(QString("%1 vs %2").arg(r.simulatedMetric).arg(r.fp32Metric)));
        QVERIFY2(r.int8Agreement >= 99.0, qPrintable(QString::number(r.int8Agreement)));
        QVERIFY(std::abs(r.int8Metric - r.simulatedMetric) <= 0.5);
        // All layers at 8 bit: a quarter of the float weights.
        QVERIFY(std::abs(r.cost.sizeBytes * 4 - r.fp32Cost.sizeBytes) < 1e-6);
        QCOMPARE(QString::fromStdString(r.method), QString("ptq"));
        // The folder is a run like any other: eval reproduces the simulated metric from the checkpoint.
        QVERIFY(isQuantizedRun(out));
        const EvalResult ev = evaluateRun(out, CheckpointChoice::Best, 2);
        QVERIFY(std::abs(ev.metrics.at(0).second - r.simulatedMetric) < 1e-9);
        const QuantizeResult back = readQuantReport(out);
        QCOMPARE(back.layers.size(), r.layers.size());
        QCOMPARE(back.simulatedMetric, r.simulatedMetric);
        // int8 evaluation from the folder alone.
        const Int8Eval e8 = evaluateInt8(out, 2, 0, 16);
        QVERIFY(std::abs(e8.eval.metrics.at(0).second - r.int8Metric) < 1e-9);
        // Quantizing a quantized run is refused with a clear message.
        o.runDir = out;
        o.outDir = out + "-again";
        QVERIFY(errorOf([&] { quantizeRun(o); }).contains("already quantized"));
    }

    void mixedPrecisionUnderBudget() {
        const std::string out = tests::scratchDir("quant-mixed") + "/mixed";
        QuantizeOptions o;
        o.runDir = mRun;
        o.outDir = out;
        o.threads = 2;
        o.realInt8 = true;
        o.spec.calibrationBatches = 2;
        const auto layers = quantLayers(mRun);
        const double full = quantCost(layers).sizeBytes;
        o.spec.budget = "size=" + std::to_string(static_cast<int64_t>(full * 0.6));
        const QuantizeResult r = quantizeRun(o);
        QVERIFY2(r.cost.sizeBytes <= full * 0.6 + 1e-6, qPrintable(QString::number(r.cost.sizeBytes)));
        QCOMPARE(QString::fromStdString(r.method), QString("ptq-mixed"));
        int below8 = 0;
        for (const auto& l : r.layers) {
            QCOMPARE(static_cast<int>(l.sensitivity.size()), 3);
            if (l.weightBits < 8) ++below8;
        }
        QVERIFY(below8 > 0);
        QVERIFY2(r.int8Agreement >= 98.0, qPrintable(QString::number(r.int8Agreement)));
    }

    void badLayerNamesAndBudgetsAreClear() {
        QuantSpec spec;
        spec.layerBits["nope"] = 4;
        const QString e = errorOf([&] { quantLayers(mRun, spec); });
        QVERIFY2(e.contains("unknown layer 'nope'") && e.contains("stem.conv"), qPrintable(e));
        QuantizeOptions o;
        o.runDir = mRun;
        o.outDir = tests::scratchDir("quant-bad") + "/x";
        o.spec.budget = "size=1";
        QVERIFY(errorOf([&] { quantizeRun(o); }).contains("below the smallest reachable"));
        QVERIFY(!fs::exists(o.outDir + "/quantization.json"));
        // The recipe section reports file, line and field.
        const QString r = errorOf([] {
            parseRecipe("model: {arch: resnet8}\nquantize: {enabled: true, from: x, weight_bits: 3}\n",
                        "q.yaml", "/tmp");
        });
        QVERIFY2(r.contains("q.yaml:2") && r.contains("weight_bits") && r.contains("expected 8, 6, 4 or 2"),
                 qPrintable(r));
    }

    void qatWithSelfTeacherRunsAsAJob() {
        const std::string out = tests::scratchDir("quant-qat") + "/qat";
        QuantSpec spec;
        spec.lsq = true;
        spec.calibrationBatches = 2;
        Recipe r = qatRecipe(mRun, spec, "self", 1, 0.002);
        QCOMPARE(r.job, JobKind::Distill);
        bool hasKd = false;
        for (const auto& t : r.losses)
            hasKd = hasKd || (t.method == LossMethod::Kd && t.teacherTap == "logits");
        QVERIFY(hasKd);
        // The recipe round-trips with its quantize section.
        const Recipe back = parseRecipe(recipeToYaml(r), "rt.yaml", "/");
        QVERIFY(back.quant.enabled && back.quant.lsq && back.quant.from == r.quant.from);
        Job job(r, JobOptions{out, false, 2, 6});
        struct Steps : Observer {
            std::vector<StepEvent> steps;
            std::mutex m;
            void onStep(const StepEvent& e) override {
                std::lock_guard<std::mutex> l(m);
                steps.push_back(e);
            }
        };
        auto obs = std::make_shared<Steps>();
        job.addObserver(obs);
        job.start();
        const RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Finished);
        QVERIFY(!obs->steps.empty());
        for (const auto& e : obs->steps)
            QVERIFY(std::isfinite(e.total));
        QVERIFY(isQuantizedRun(out));
        const QuantizeResult q = readQuantReport(out);
        QCOMPARE(QString::fromStdString(q.method), QString("qat-self"));
        QVERIFY2(q.int8Agreement >= 98.0, qPrintable(QString::number(q.int8Agreement)));
        // Resuming a QAT checkpoint rebuilds the quantized structure (fold + quantizers + LSQ scales).
        CheckpointMeta meta;
        GraphNet net = loadAnyModel(resolveCheckpoint(out, CheckpointChoice::Last), &meta, torch::kCPU);
        QVERIFY(meta.quantized && meta.lsq && net->isQuantized() && net->isFolded());
        QCOMPARE(static_cast<int>(net->stepSizeParameters().size()) > 0, true);
        // "recipe" needs a teacher in the source run.
        QVERIFY(errorOf([&] { qatRecipe(mRun, spec, "recipe", 1, 0.01); }).contains("without a teacher"));
    }

    // Once-QAT: the codes of each lower width are the top codes taken down by rounding right shifts, worked
    // out by hand for one 3×3 filter whose 8-bit scale is 0.01.
    void verticalCodesAreTheCascade() {
        GraphNet net;
        const int x = net->input(1);
        net->conv(x, 1, 3, 1, 1, 1, false, "c");
        net->finalize();
        const std::vector<float> code8{127, 100, 63, 62, 2, -2, -6, -10, 1};
        {
            torch::NoGradGuard g;
            net->layerWeight(1).copy_(torch::tensor(code8).view({1, 1, 3, 3}) * 0.01f);
        }
        net->foldBatchNorm();
        net->enableQuantization({}, false);
        net->setActivationRange(0, -4.0, 4.0);    // input
        net->setActivationRange(1, -20.0, 20.0);  // conv output
        net->enableVerticalLayering();
        QCOMPARE(net->verticalTopBits(), 8);
        QVERIFY(std::abs(net->weightScale(1).item<float>() - 0.01f) < 1e-8);
        // round(q/4), halves to even, clamped to ±(2^(b−1) − 1): 127 → 31.75 → 32 → 31; 62 → 15.5 → 16;
        // 2 → 0.5 → 0; −6 → −1.5 → −2; −10 → −2.5 → −2.
        const std::map<int, std::vector<int64_t>> expected{{8, {127, 100, 63, 62, 2, -2, -6, -10, 1}},
                                                           {6, {31, 25, 16, 16, 0, 0, -2, -2, 0}},
                                                           {4, {7, 6, 4, 4, 0, 0, 0, 0, 0}},
                                                           {2, {1, 1, 1, 1, 0, 0, 0, 0, 0}}};
        for (const auto& [bits, codes] : expected) {
            auto got = net->verticalCodes(1, bits).flatten();
            for (int i = 0; i < 9; ++i)
                QVERIFY2(got[i].item<int64_t>() == codes[static_cast<size_t>(i)],
                         qPrintable(
                             QString("%1 bits, weight %2: %3").arg(bits).arg(i).arg(got[i].item<int64_t>())));
        }
        // The forward pass at width b uses codes × 0.01 · 2^(8−b): a one-hot input reads each weight out, and
        // the straight-through gradient reaches every weight the clamps did not cut.
        for (const auto& [bits, codes] : expected) {
            net->setVerticalBits(bits);
            for (int i = 0; i < 9; ++i) {
                auto in = torch::zeros({1, 1, 3, 3});
                in.view({-1})[i] = 1.0f;
                const double step = 0.01 * std::ldexp(1.0, 8 - bits);
                const double want = static_cast<double>(codes[static_cast<size_t>(i)]) * step;
                // Padding 1: the centre output sees the whole filter.
                const double got = net->forward(in)[0][0][1][1].item<double>();
                // The output's 8-bit grid (40/255) rounds it: within half a step of it.
                QVERIFY2(
                    std::abs(got - want) <= 20.0 / 255.0 + 1e-6,
                    qPrintable(QString("%1 bits, weight %2: %3 vs %4").arg(bits).arg(i).arg(got).arg(want)));
            }
        }
        net->setVerticalBits(2);
        for (auto& p : net->parameters())
            if (p.grad().defined()) p.mutable_grad().zero_();
        auto in = torch::full({1, 1, 3, 3}, 0.5f);
        net->forward(in)[0][0][1][1].backward();
        auto grad = net->layerWeight(1).grad().flatten();
        // 127 is clamped going to 6 bits (31.75 → 32 > 31), 100 going to 2 bits (25 → 6 → 1.5 → 2 > 1); 63
        // ends at exactly 1 and every other weight inside every range: they get the input (0.5 on its 8-bit
        // grid).
        QCOMPARE(grad[0].item<float>(), 0.0f);
        QCOMPARE(grad[1].item<float>(), 0.0f);
        for (int i = 2; i < 9; ++i)
            QVERIFY2(std::abs(grad[i].item<float>() - 0.5f) < 0.01f, qPrintable(QString::number(i)));
        // Width 4 made ordinary: the weights are its codes × its step, the scale 0.16, vertical mode over.
        net->materializeVerticalBits(4);
        QVERIFY(!net->isVertical());
        QCOMPARE(net->weightBits(1), 4);
        QVERIFY(std::abs(net->weightScale(1).item<float>() - 0.16f) < 1e-7);  // 0.01 · 2^(8−4)
        auto w = net->layerWeight(1).detach().flatten();
        for (int i = 0; i < 9; ++i)
            QVERIFY(std::abs(w[i].item<float>() -
                             0.16f * static_cast<float>(expected.at(4)[static_cast<size_t>(i)])) < 1e-6);
        QVERIFY(errorOf([&] { net->setVerticalBits(4); }).contains("not vertical-layered"));
    }

    // One model trained for 8, 4 and 2 bits at once: each width evaluated from it, reported, taken out as its
    // own checkpoint and exported with exactly that width's codes.
    void onceQatHoldsEveryWidth() {
        const std::string dir = tests::scratchDir("quant-once");
        const std::string out = dir + "/once";
        QuantSpec spec;
        spec.calibrationBatches = 2;
        spec.vertical = {8, 4, 2};
        Recipe r = qatRecipe(mRun, spec, "self", 1, 0.002);
        QCOMPARE(r.quant.weightBits, 8);
        const Recipe back = parseRecipe(recipeToYaml(r), "rt.yaml", "/");
        QVERIFY(back.quant.vertical == spec.vertical);
        Job job(r, JobOptions{out, false, 2, 8});
        struct Steps : Observer {
            std::vector<StepEvent> steps;
            std::vector<EpochEvent> epochs;
            std::mutex m;
            void onStep(const StepEvent& e) override {
                std::lock_guard<std::mutex> l(m);
                steps.push_back(e);
            }
            void onEpoch(const EpochEvent& e) override {
                std::lock_guard<std::mutex> l(m);
                epochs.push_back(e);
            }
        };
        auto obs = std::make_shared<Steps>();
        job.addObserver(obs);
        job.start();
        const RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Finished);
        // Each step: the terms' mean over the widths, and one total per width, whose mean is the step's
        // total.
        QVERIFY(!obs->steps.empty());
        for (const auto& e : obs->steps) {
            double widths = 0.0;
            int perWidth = 0;
            for (const auto& [label, v] : e.terms)
                if (label.size() > 6 && label.compare(label.size() - 6, 6, ":total") == 0) {
                    widths += v;
                    ++perWidth;
                }
            QCOMPARE(perWidth, 3);
            QVERIFY2(std::abs(widths / 3.0 - e.total) < 1e-6 * std::max(1.0, e.total),
                     qPrintable(QString("%1 vs %2").arg(widths).arg(e.total)));
        }
        // Each width's metric, and their mean as the run's top1.
        QCOMPARE(static_cast<int>(obs->epochs.size()), 1);
        std::map<std::string, double> m(obs->epochs[0].metrics.begin(), obs->epochs[0].metrics.end());
        QVERIFY(m.count("w8/top1") && m.count("w4/top1") && m.count("w2/top1"));
        QVERIFY(std::abs(m["top1"] - (m["w8/top1"] + m["w4/top1"] + m["w2/top1"]) / 3.0) < 1e-9);
        // 8 steps keep the 8- and 4-bit models near the source (55.6 %; a cascade that rounded every half up
        // lost the 4-bit model to 30 %); the ternary 2-bit one needs far longer.
        QVERIFY2(m["w8/top1"] > 50.0, qPrintable(QString::number(m["w8/top1"])));
        QVERIFY2(m["w4/top1"] > 45.0, qPrintable(QString::number(m["w4/top1"])));

        // The report measures every width, each on LibTorch's int8 kernels too.
        const QuantizeResult q = readQuantReport(out);
        QCOMPARE(QString::fromStdString(q.method), QString("once-qat-self"));
        QCOMPARE(static_cast<int>(q.vertical.size()), 3);
        for (const auto& v : q.vertical) {
            QVERIFY(std::abs(v.simulatedMetric - m["w" + std::to_string(v.bits) + "/top1"]) < 1e-9 ||
                    s.bestMetrics != s.finalMetrics);
            if (v.bits == 8) QVERIFY2(v.int8Agreement >= 98.0, qPrintable(QString::number(v.int8Agreement)));
        }
        QVERIFY(q.vertical[2].cost.sizeBytes < q.vertical[1].cost.sizeBytes &&
                q.vertical[1].cost.sizeBytes < q.vertical[0].cost.sizeBytes);

        // The checkpoint says what it holds; a 4-bit model taken out of it is a run of its own whose
        // evaluation is the report's 4-bit figure and whose exported codes are the cascade's.
        CheckpointMeta meta;
        GraphNet once = loadAnyModel(resolveCheckpoint(out), &meta, torch::kCPU);
        QVERIFY(meta.vertical == std::vector<int>({8, 4, 2}));
        QVERIFY(once->isVertical());
        const std::string four = dir + "/w4";
        const QuantizeResult x = extractVerticalWidth(out, 4, four, 2);
        QVERIFY(std::abs(x.simulatedMetric - q.vertical[1].simulatedMetric) < 1e-9);
        QVERIFY(std::abs(x.int8Metric - q.vertical[1].int8Metric) < 1e-9);
        CheckpointMeta fourMeta;
        GraphNet w4 = loadAnyModel(resolveCheckpoint(four), &fourMeta, torch::kCPU);
        QVERIFY(fourMeta.vertical.empty() && !w4->isVertical());
        const EvalResult e4 = evaluateRun(four, CheckpointChoice::Best, 2);
        QVERIFY2(
            std::abs(e4.metrics.at(0).second - q.vertical[1].simulatedMetric) < 1e-9,
            qPrintable(QString("%1 vs %2").arg(e4.metrics.at(0).second).arg(q.vertical[1].simulatedMetric)));
        const std::string onnxFile = dir + "/w4.onnx";
        exportOnnx(four, "onnx-int8", onnxFile);
        onnx::ModelProto model;
        {
            std::ifstream in(onnxFile, std::ios::binary);
            QVERIFY(model.ParseFromIstream(&in));
        }
        int checked = 0;
        for (size_t i = 0; i < once->nodes().size(); ++i) {
            const auto& n = once->nodes()[i];
            if (n.weightQuant < 0) continue;
            const auto codes = once->verticalCodes(static_cast<int>(i), 4).flatten();
            for (const auto& t : model.graph().initializer()) {
                if (t.name() != n.name + ".weight_quantized") continue;
                QCOMPARE(static_cast<int64_t>(t.raw_data().size()), codes.numel());
                for (int64_t k = 0; k < codes.numel(); ++k) {
                    const int v = static_cast<int8_t>(t.raw_data()[static_cast<size_t>(k)]);
                    QVERIFY(v >= -7 && v <= 7);
                    QCOMPARE(static_cast<int64_t>(v), codes[k].item<int64_t>());
                }
                ++checked;
            }
        }
        QVERIFY(checked > 3);
        // Errors name what is wrong.
        QVERIFY(errorOf([&] {
                    extractVerticalWidth(out, 6, dir + "/w6", 2);
                }).contains("holds the widths 8, 4, 2"));
        QVERIFY(errorOf([&] {
                    extractVerticalWidth(mRun, 4, dir + "/x", 2);
                }).contains("not a vertical-layered"));
        QVERIFY(errorOf([&] { extractVerticalWidth(out, 4, four, 2); }).contains("already holds a run"));
        const QString bad = errorOf([] {
            parseRecipe("model: {arch: resnet8}\nquantize: {enabled: true, from: x, vertical: [8, 8, 2]}\n",
                        "v.yaml", "/tmp");
        });
        QVERIFY2(bad.contains("v.yaml:2") && bad.contains("decreasing"), qPrintable(bad));
        const QString mixed = errorOf([] {
            parseRecipe(
                "model: {arch: resnet8}\nquantize: {enabled: true, from: x, vertical: [8, 4], "
                "layer_bits: {stem.conv: 2}}\n",
                "v.yaml", "/tmp");
        });
        QVERIFY2(mixed.contains("layer_bits") && mixed.contains("vertical"), qPrintable(mixed));
    }
};

DISTILLERY_TEST_SUITE("quant", QuantTest);
#include "test_quant.moc"
