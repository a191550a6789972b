// Data-free distillation: the batch-statistics loss and its gradient worked out by hand on a one-layer
// teacher, the generator's shape and normalisation, the recipe section's errors, and a student that learns
// from a real Fashion-MNIST teacher without a training image (its train folder holds none), with generated
// images whose batch statistics come close to the teacher's, and an exact resume.

#include <QtTest/QtTest>
#include <filesystem>
#include <opencv2/imgcodecs.hpp>

#include "core/data_free.h"
#include "core/engine.h"
#include "core/internal/data_free.h"
#include "core/run_files.h"
#include "tests/core/suites.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

using tests::errorOf;

double metric(const std::vector<std::pair<std::string, double>>& metrics, const std::string& name) {
    for (const auto& [k, v] : metrics)
        if (k == name) return v;
    return -1.0;
}

class StepCanceller : public Observer {
public:
    std::function<void(const StepEvent&)> onEachStep;
    void onStep(const StepEvent& e) override {
        if (onEachStep) onEachStep(e);
    }
};

const char* kNormalize = "[{normalize: {mean: [0.286], std: [0.353]}}]";

std::string teacherRecipe() {
    return std::string(R"(
name: df-teacher
job: train
seed: 3
threads: 2
data: {dataset: fashion_mnist, subset: 2048, workers: 1}
transforms: {train: )") +
           kNormalize + ", eval: " + kNormalize + R"(}
model: {arch: resnet8}
optim: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}
schedule: {name: cosine}
train: {epochs: 2, batch_size: 64, eval_batch_size: 256, log_every: 5}
)";
}

/** A data-free recipe whose train folder has class folders but not one image. */
std::string dataFreeRecipe(const std::string& extra = {}) {
    return std::string(R"(
name: df-student
job: distill
seed: 5
threads: 2
data: {dataset: image_folder, root: empty_train, val_root: val, image_channels: 1, workers: 1}
transforms: {train: )") +
           kNormalize + ", eval: " + kNormalize + R"(}
model: {arch: resnet8}
teacher: {arch: resnet8, checkpoint: teacher}
losses: [{method: kd, weight: 1.0, tau: 1}]
optim: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}
schedule: {name: cosine}
train: {epochs: 2, batch_size: 64, eval_batch_size: 256, log_every: 5}
data_free: {latent: 64, width: 32, lr: 0.001, bn: 1.0, ce: 1.0, adversarial: 1.0, steps_per_epoch: 40}
)" + extra;
}

}  // namespace

class DataFreeTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { at::set_num_threads(2); }

    void batchStatisticsLossByHand() {
        // A one-layer teacher: a 1×1 conv with weights 1 and 2, then a batch norm with running means (0.5, 1)
        // and variances (1, 4). On the image [[0, 1], [2, 3]] the channels have means 1.5 and 3 and (biased)
        // variances 1.25 and 5, so the loss is ‖(1, 2)‖ + ‖(0.25, 1)‖ = √5 + √1.0625.
        GraphNet net;
        int x = net->input(1);
        x = net->conv(x, 2, 1, 1, 1, 1, false, "c");
        const int bn = net->batchNorm(x, "bn");
        x = net->linear(net->flatten(net->globalAvgPool(bn)), 3, "fc");
        net->setOutput(x);
        net->finalize();
        {
            torch::NoGradGuard noGrad;
            net->moduleWeight(net->nodeIndex("c")).copy_(torch::tensor({1.f, 2.f}).view({2, 1, 1, 1}));
            auto& b = net->bnModule(bn);
            b->running_mean.copy_(torch::tensor({0.5f, 1.f}));
            b->running_var.copy_(torch::tensor({1.f, 4.f}));
            b->weight.copy_(torch::tensor({1.5f, -0.5f}));
            b->bias.copy_(torch::tensor({0.1f, 0.2f}));
        }
        net->eval();
        auto image = torch::tensor({0.f, 1.f, 2.f, 3.f}).view({1, 1, 2, 2});
        torch::Tensor expected;
        {
            torch::NoGradGuard noGrad;
            expected = net->forward(image);
        }
        auto input = image.clone().requires_grad_(true);
        torch::Tensor loss, output;
        std::vector<BatchStats> stats;
        {
            BatchStatsProbe probe(net);
            output = net->forward(input);
            stats = probe.take();
        }
        QVERIFY(!net->is_training());  // eval mode again
        // The probe leaves the outputs what eval mode computes.
        QVERIFY(torch::allclose(output, expected, 1e-6, 1e-6));
        QCOMPARE(stats.size(), size_t{1});
        QCOMPARE(QString::fromStdString(stats[0].layer), QString("bn"));
        loss = batchStatsLoss(stats);
        QVERIFY(std::abs(loss.item<double>() - (std::sqrt(5.0) + std::sqrt(1.0625))) < 1e-5);
        // d/dx: the mean part gives (1·¼ + 2·½)/√5 to every pixel; the variance part (0.25·1 + 1·4)/√1.0625
        // · (x − 1.5)/2.
        loss.backward();
        const double meanPart = 1.25 / std::sqrt(5.0), varPart = 4.25 / std::sqrt(1.0625) / 2.0;
        const auto grad = input.grad().flatten();
        for (int i = 0; i < 4; ++i)
            QVERIFY2(std::abs(grad[i].item<double>() - (meanPart + varPart * (i - 1.5))) < 1e-5,
                     qPrintable(QString::number(grad[i].item<double>())));
        // The gaps, in units of the running spread: |1.5 − 0.5|/1 and |3 − 1|/2; |log 1.25| for both.
        const auto gaps = batchStatsGaps(stats);
        QVERIFY(std::abs(gaps[0].mean - 1.0) < 1e-4);
        QVERIFY(std::abs(gaps[0].logVar - std::log(1.25)) < 1e-4);
        // A folded batch norm has no statistics to match.
        net->foldBatchNorm();
        QVERIFY(errorOf([&] { BatchStatsProbe probe(net); }).contains("folded"));
    }

    void generatorShapeAndNormalisation() {
        DataFreeSpec spec;
        spec.latent = 16;
        spec.width = 8;
        TransformStep normalize;
        normalize.mean = {0.286f};
        normalize.std = {0.353f};
        torch::manual_seed(0);
        GraphNet g = buildGenerator(spec, 10, 1, 28, 28, {normalize});
        g->train();
        const LatentDraw d = drawLatent(4, 16, 10, 7);
        QCOMPARE(d.z.sizes(), (torch::IntArrayRef{4, 16}));
        QVERIFY(d.labels.min().item<int64_t>() >= 0 && d.labels.max().item<int64_t>() < 10);
        // The same seed, the same draw; another seed, another.
        QVERIFY(torch::equal(drawLatent(4, 16, 10, 7).z, d.z));
        QVERIFY(!torch::equal(drawLatent(4, 16, 10, 8).z, d.z));
        const auto in = generatorInput(d.z, d.labels, 10);
        QCOMPARE(in.sizes(), (torch::IntArrayRef{4, 26}));
        QVERIFY(torch::equal(in.slice(1, 0, 16), d.z));
        QVERIFY(torch::equal(in.slice(1, 16).argmax(1), d.labels));  // one-hot classes
        QCOMPARE(in.slice(1, 16).sum(1).min().item<float>(), 1.f);
        QCOMPARE(in.slice(1, 16).sum(1).max().item<float>(), 1.f);
        auto out = g->run(in, {"pixels"});
        QCOMPARE(out.output.sizes(), (torch::IntArrayRef{4, 1, 28, 28}));
        const auto pixels = out.taps.at("pixels");
        QVERIFY(pixels.min().item<float>() >= 0.f && pixels.max().item<float>() <= 1.f);
        QVERIFY(torch::allclose(out.output, (pixels - 0.286) / 0.353, 1e-5, 1e-5));
        // A size that is not a multiple of 4, three channels, no normalisation: pixels are the output.
        GraphNet c = buildGenerator(spec, 3, 3, 30, 30, {});
        c->train();
        auto rgb = c->run(generatorInput(drawLatent(2, 16, 3, 1).z, torch::tensor({0, 2}), 3), {"pixels"});
        QCOMPARE(rgb.output.sizes(), (torch::IntArrayRef{2, 3, 30, 30}));
        QVERIFY(torch::equal(rgb.output, rgb.taps.at("pixels")));
    }

    void recipeSection() {
        const std::string dir = tests::scratchDir("df-recipe");
        const Recipe r = parseRecipe(dataFreeRecipe(), "df.yaml", dir);
        QVERIFY(r.dataFree.enabled);
        QCOMPARE(r.dataFree.latent, 64);
        QCOMPARE(r.dataFree.stepsPerEpoch, int64_t{40});
        const Recipe again = parseRecipe(recipeToYaml(r), "again.yaml", dir);
        QVERIFY(again.dataFree.enabled);
        QCOMPARE(again.dataFree.width, 32);
        QCOMPARE(again.dataFree.lr, 0.001);
        QVERIFY(!parseRecipe(dataFreeRecipe("").replace(dataFreeRecipe().find("data_free: {"), 12,
                                                        "data_free: {enabled: false, "),
                             "off.yaml", dir)
                     .dataFree.enabled);
        auto error = [&](const std::string& text) {
            return errorOf([&] { parseRecipe(text, "bad.yaml", dir); });
        };
        std::string train = dataFreeRecipe();
        train.replace(train.find("job: distill"), 12, "job: train");
        train.replace(train.find("teacher: {"), 45, "");
        train.replace(train.find("[{method: kd, weight: 1.0, tau: 1}]"), 35, "[{method: task}]");
        QVERIFY2(error(train).contains("data_free: needs job: distill"), qPrintable(error(train)));
        std::string crd = dataFreeRecipe();
        crd.replace(crd.find("[{method: kd, weight: 1.0, tau: 1}]"), 35,
                    "[{method: crd, teacher_tap: features, student_tap: features}]");
        QVERIFY2(error(crd).contains("cannot train a crd term"), qPrintable(error(crd)));
        QVERIFY(error(crd).contains("cannot train a crd term"));
        std::string ab = dataFreeRecipe();
        ab.replace(ab.find("[{method: kd, weight: 1.0, tau: 1}]"), 35,
                   "[{method: ab, teacher_tap: features, student_tap: features}]");
        QVERIFY2(error(ab).contains("initialisation stage runs over the train split"), qPrintable(error(ab)));
        QVERIFY(error(ab).contains("initialisation stage runs over the train split"));
        std::string int8 = dataFreeRecipe();
        int8.replace(int8.find("checkpoint: teacher}"), 20, "checkpoint: teacher, precision: int8}");
        QVERIFY(error(int8).contains("teacher.precision: int8"));
        QVERIFY(error(dataFreeRecipe().replace(dataFreeRecipe().find("bn: 1.0, ce: 1.0, adversarial: 1.0"),
                                               34, "bn: 0, ce: 0, adversarial: 0"))
                    .contains("nothing to learn"));
        QVERIFY(error(dataFreeRecipe().replace(dataFreeRecipe().find("latent: 64"), 10, "latent: 0"))
                    .contains("data_free.latent"));
    }

    void learnsWithoutTrainingImages() {
        const std::string dir = tests::scratchDir("data-free");
        {
            Job job(parseRecipe(teacherRecipe(), "teacher.yaml", dir), JobOptions{dir + "/teacher"});
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
        }
        // Real Fashion-MNIST test images as a folder data set for validation; the train folder has the class
        // folders and no image, so a run that read one would fail.
        DataConfig fashion;
        fashion.subset = 600;
        auto test = openDataset(fashion, Split::Val);
        for (int c = 0; c < 10; ++c) {
            fs::create_directories(dir + "/empty_train/c" + std::to_string(c));
            fs::create_directories(dir + "/val/c" + std::to_string(c));
        }
        for (int64_t i = 0; i < test->size(); ++i) {
            const Sample s = test->get(i);
            cv::Mat m(28, 28, CV_8UC1);
            for (int y = 0; y < 28; ++y)
                for (int x = 0; x < 28; ++x)
                    m.at<uint8_t>(y, x) = static_cast<uint8_t>(std::lround(s.image.at(0, y, x) * 255.f));
            QVERIFY(
                cv::imwrite(dir + "/val/c" + std::to_string(s.label) + "/" + std::to_string(i) + ".png", m));
        }
        const Recipe recipe = parseRecipe(dataFreeRecipe(), "df.yaml", dir);
        RunSummary full;
        {
            Job job(recipe, JobOptions{dir + "/a"});
            job.start();
            full = job.wait();
        }
        QVERIFY2(full.status == RunStatus::Finished, full.message.c_str());
        QCOMPARE(full.steps, int64_t{80});
        const double top1 = metric(full.finalMetrics, "top1");
        QVERIFY2(top1 > 20.0, qPrintable(QString::number(top1)));  // chance: 10 %

        // The generator's terms are curves of the run: its batch statistics came closer to the teacher's.
        std::map<std::string, std::vector<double>> curves;
        for (const auto& rec : readMetrics(RunPaths{dir + "/a"}.metrics()))
            curves[rec.name].push_back(rec.value);
        for (const char* name : {"loss/gen:bn", "loss/gen:ce", "loss/gen:adversarial", "loss/kd[logits]"})
            QVERIFY2(curves[name].size() == 16, name);
        QVERIFY(curves["loss/gen:bn"].back() < 0.5 * curves["loss/gen:bn"].front());

        // Generated images: the trained generator's batch statistics are near the teacher's running ones,
        // far nearer than the untrained generator's.
        const GeneratedImages before = generateImages(dir + "/a", 12, 1, true);
        const GeneratedImages after = generateImages(dir + "/a", 12, 1);
        QCOMPARE(after.samples.size(), size_t{120});
        QCOMPARE(after.samples[13].label, int64_t{1});
        QCOMPARE(after.layers.size(), before.layers.size());
        QVERIFY(after.layers.size() >= 7);  // every batch norm of resnet8
        const QString gaps =
            QString("mean gap %1 -> %2, log-variance gap %3 -> %4, teacher agreement %5 -> %6")
                .arg(before.meanGap)
                .arg(after.meanGap)
                .arg(before.logVarGap)
                .arg(after.logVarGap)
                .arg(before.teacherAgreement)
                .arg(after.teacherAgreement);
        qInfo("%s", qPrintable(gaps));
        QVERIFY2(after.meanGap < 0.5 && after.logVarGap < 0.5, qPrintable(gaps));
        QVERIFY2(after.meanGap < 0.5 * before.meanGap, qPrintable(gaps));
        QVERIFY(after.teacherAgreement >= 0.0 && after.teacherAgreement <= 1.0);
        // The workbench's call (models loaded once) gives both sets exactly as the two calls do.
        const GeneratedImagesBeforeAfter both = generateImagesBeforeAfter(dir + "/a", 12, 1);
        for (const auto& [one, alone] :
             {std::pair{&both.trained, &after}, std::pair{&both.initial, &before}}) {
            QCOMPARE(one->samples.size(), alone->samples.size());
            for (size_t i = 0; i < one->samples.size(); i += 17)
                QVERIFY(one->samples[i].image.data == alone->samples[i].image.data);
            QCOMPARE(one->teacherLabels, alone->teacherLabels);
            QCOMPARE(one->meanGap, alone->meanGap);
        }
        writeGeneratedGrid(after, dir + "/grid.png");
        const cv::Mat grid = cv::imread(dir + "/grid.png");
        QCOMPARE(grid.rows, 10 * (56 + 2) + 2);
        QCOMPARE(grid.cols, 12 * (56 + 2) + 2);

        // Cancelled in the middle of epoch 2 and resumed: every logged number as in the uninterrupted run.
        {
            Job job(recipe, JobOptions{dir + "/b"});
            auto canceller = std::make_shared<StepCanceller>();
            canceller->onEachStep = [&job](const StepEvent& e) {
                if (e.step == 53) job.cancel();
            };
            job.addObserver(canceller);
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Cancelled);
        }
        {
            Job job(loadRunRecipe(dir + "/b"), JobOptions{dir + "/b", true});
            job.start();
            const RunSummary resumed = job.wait();
            QCOMPARE(resumed.status, RunStatus::Finished);
            QCOMPARE(metric(resumed.finalMetrics, "top1"), top1);
        }
        const auto ma = readMetrics(RunPaths{dir + "/a"}.metrics()),
                   mb = readMetrics(RunPaths{dir + "/b"}.metrics());
        QCOMPARE(mb.size(), ma.size());
        for (size_t i = 0; i < ma.size(); ++i) {
            QCOMPARE(mb[i].name, ma[i].name);
            if (ma[i].name != "images_per_second") QCOMPARE(mb[i].value, ma[i].value);
        }
        // The train split is not there to look at.
        QVERIFY(errorOf([&] {
                    snapshotRun(dir + "/a", "logits", "logits", 0, Split::Train);
                }).contains("data-free run reads no training images"));
        QVERIFY(errorOf([&] { generateImages(dir + "/teacher", 2); }).contains("not a data-free run"));
    }
};

DISTILLERY_TEST_SUITE("datafree", DataFreeTest);
#include "test_data_free.moc"
