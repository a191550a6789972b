// Clustering-based hint selection: linear CKA against the feature-space formula (numpy), k-medoids on
// distances with a known answer (exhaustive and PAM), the suggestion on the shipped ResNet-20 teacher against
// CKA computed here from its own tap outputs, and the recipe edit that applies the hints.

#include <QtTest/QtTest>
#include <set>

#include "core/hints.h"
#include "core/internal/checkpoint.h"
#include "core/internal/evaluation.h"
#include "core/zoo.h"
#include "tests/core/suites.h"

using namespace distillery;

namespace {

using tests::errorOf;

std::vector<double> gram(const std::vector<std::vector<double>>& rows) {
    const size_t n = rows.size();
    std::vector<double> k(n * n);
    for (size_t i = 0; i < n; ++i)
        for (size_t j = 0; j < n; ++j) {
            double s = 0;
            for (size_t d = 0; d < rows[i].size(); ++d)
                s += rows[i][d] * rows[j][d];
            k[i * n + j] = s;
        }
    return k;
}

/** Distances between points on a line in `groups` tight groups of `size`. */
std::vector<std::vector<double>> groupedDistances(int groups, int size) {
    std::vector<double> x;
    for (int g = 0; g < groups; ++g)
        for (int i = 0; i < size; ++i)
            x.push_back(10.0 * g +
                        (i - (size - 1) / 2.0) * 0.1);  // the middle point of each group is central
    std::vector<std::vector<double>> d(x.size(), std::vector<double>(x.size()));
    for (size_t i = 0; i < x.size(); ++i)
        for (size_t j = 0; j < x.size(); ++j)
            d[i][j] = std::abs(x[i] - x[j]);
    return d;
}

std::string recipeText(const std::string& losses) {
    return std::string(R"(
name: hints
job: distill
seed: 1
threads: 2
data: {dataset: fashion_mnist, subset: 64}
transforms:
  train: [{normalize: {mean: [0.286], std: [0.353]}}]
  eval: [{normalize: {mean: [0.286], std: [0.353]}}]
model: {arch: resnet8}
teacher: {arch: resnet20, checkpoint: )") +
           DISTILLERY_SOURCE_DIR + "/resources/teachers/fmnist_resnet20}\nlosses: " + losses + "\n";
}

}  // namespace

class HintsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { at::set_num_threads(2); }

    void linearCkaMatchesTheFeatureFormula() {
        const std::vector<std::vector<double>> x{{1, 2, 0}, {0, 1, 3}, {2, 2, 1}, {1, 0, 0}, {3, 1, 2}};
        const std::vector<std::vector<double>> y{{1, 0}, {2, 1}, {0, 1}, {1, 3}, {2, 2}};
        // numpy: ‖YcᵀXc‖²_F / (‖XcᵀXc‖_F ‖YcᵀYc‖_F) with column-centred X, Y.
        QVERIFY(std::abs(linearCkaFromGrams(gram(x), gram(y), 5) - 0.4176782776481369) < 1e-12);
        QVERIFY(std::abs(linearCkaFromGrams(gram(x), gram(x), 5) - 1.0) < 1e-12);
        // Invariant to isotropic scaling and to an orthogonal transform of the features.
        std::vector<std::vector<double>> rotated;
        const double c = std::cos(0.7), s = std::sin(0.7);
        for (const auto& r : y)
            rotated.push_back({3 * (c * r[0] - s * r[1]), 3 * (s * r[0] + c * r[1])});
        QVERIFY(std::abs(linearCkaFromGrams(gram(x), gram(rotated), 5) - 0.4176782776481369) < 1e-12);
    }

    void kMedoidsFindsTheGroupCentres() {
        // 4 groups of 5: exhaustive search (C(20,4) = 4 845).
        QCOMPARE(kMedoids(groupedDistances(4, 5), 4), (std::vector<int>{2, 7, 12, 17}));
        // 6 groups of 7: C(42,6) is too many, so PAM.
        QCOMPARE(kMedoids(groupedDistances(6, 7), 6), (std::vector<int>{3, 10, 17, 24, 31, 38}));
        QCOMPARE(kMedoids(groupedDistances(2, 3), 9), (std::vector<int>{0, 1, 2, 3, 4, 5}));
        QVERIFY(errorOf([] { kMedoids(groupedDistances(2, 3), 0); }).contains("at least 1"));
    }

    void suggestsHintsOnTheShippedTeacher() {
        const Recipe recipe =
            parseRecipe(recipeText("[{method: task}, {method: cwd, tap: stage3, weight: 50, tau: 1}]"),
                        "hints.yaml", ".");
        HintOptions o;
        o.samples = 64;  // the whole subset: CKA does not depend on the samples' order
        o.clusters = 3;
        const HintSuggestion s = suggestHints(recipe, o);
        // stem and the nine blocks, the stage outputs under their natural names.
        QCOMPARE(s.layers,
                 (std::vector<std::string>{"stem", "layer1.0", "layer1.1", "stage1", "layer2.0", "layer2.1",
                                           "stage2", "layer3.0", "layer3.1", "stage3"}));
        const int n = static_cast<int>(s.layers.size());
        QCOMPARE(s.similarity.size(), size_t{3});
        for (const auto& sim : s.similarity)
            for (int i = 0; i < n; ++i) {
                QCOMPARE(sim[i][i], 1.0);
                for (int j = 0; j < n; ++j) {
                    QCOMPARE(sim[i][j], sim[j][i]);
                    QVERIFY(sim[i][j] >= 0.0 && sim[i][j] <= 1.0);
                }
            }
        // Neighbours are more alike than the ends of the network.
        QVERIFY(s.combined[7][8] > s.combined[0][9]);
        QVERIFY(s.combined[0][1] > s.combined[0][9]);

        // Linear CKA between layer3.0 and stage3 (64×7×7: no pooling), from the teacher's outputs here.
        auto data = openDataset(recipe.data, Split::Train);
        GraphNet teacher = loadModel(resolveCheckpoint(recipe.teacher.checkpoint), nullptr, torch::kCPU);
        std::vector<torch::Tensor> images;
        for (int64_t i = 0; i < data->size(); ++i)
            images.push_back(sampleTensor(data->get(i), recipe.evalTransforms, torch::kCPU));
        torch::NoGradGuard noGrad;
        const auto out = teacher->run(torch::cat(images), {"layer3.0", "stage3"});
        auto x = out.taps.at("layer3.0").flatten(1).to(torch::kDouble);
        auto y = out.taps.at("stage3").flatten(1).to(torch::kDouble);
        x = x - x.mean(0, true);
        y = y - y.mean(0, true);
        const double cka = (y.t().matmul(x).norm().pow(2) / (x.t().matmul(x).norm() * y.t().matmul(y).norm()))
                               .item<double>();
        QVERIFY2(std::abs(s.similarity[0][7][9] - cka) < 1e-6,
                 qPrintable(QString("%1 vs %2").arg(s.similarity[0][7][9]).arg(cka)));

        // Three centres, shallow to deep, each in its own cluster; every layer in the cluster of its nearest.
        QCOMPARE(s.centres.size(), size_t{3});
        QVERIFY(std::is_sorted(s.centres.begin(), s.centres.end()));
        for (int k = 0; k < 3; ++k)
            QCOMPARE(s.cluster[s.centres[k]], k);
        for (int i = 0; i < n; ++i)
            for (int k = 0; k < 3; ++k)
                QVERIFY(s.combined[i][s.centres[s.cluster[i]]] >= s.combined[i][s.centres[k]] - 1e-12);
        // Student partners: ResNet-8's layers, distinct, at the centre's resolution.
        QCOMPARE(s.pairs.size(), size_t{3});
        std::set<std::string> partners;
        const ModelInfo student = describeModel(recipe.student, Task::Classification, 1, 10, 28, 28);
        for (size_t k = 0; k < 3; ++k) {
            QCOMPARE(s.pairs[k].first, s.layers[s.centres[k]]);
            auto tap = std::find_if(student.taps.begin(), student.taps.end(),
                                    [&](const TapInfo& t) { return t.name == s.pairs[k].second; });
            QVERIFY(tap != student.taps.end());
            QCOMPARE(tap->shape[1], s.shapes[s.centres[k]][1]);
            partners.insert(s.pairs[k].second);
        }
        QCOMPARE(partners.size(), size_t{3});

        // Applied to the recipe: the cwd term becomes one per hint, with its weight and τ, in its place.
        const auto losses = applyHints(recipe.losses, s, LossMethod::Cwd);
        QCOMPARE(losses.size(), size_t{4});
        QCOMPARE(losses[0].method, LossMethod::Task);
        for (size_t k = 0; k < 3; ++k) {
            QCOMPARE(losses[1 + k].method, LossMethod::Cwd);
            QCOMPARE(losses[1 + k].teacherTap, s.pairs[k].first);
            QCOMPARE(losses[1 + k].studentTap, s.pairs[k].second);
            QCOMPARE(losses[1 + k].weight, 50.0);
            QCOMPARE(losses[1 + k].tau, 1.0);
        }
        // A recipe with the hints runs (taps exist, adapters fit), and reads back from YAML.
        Recipe hinted = recipe;
        hinted.losses = losses;
        const Recipe back = parseRecipe(recipeToYaml(hinted), "back.yaml", ".");
        QCOMPARE(back.losses.size(), size_t{4});
        Job job(back, JobOptions{tests::scratchDir("hints") + "/run", false, 2, 2});
        job.start();
        QCOMPARE(job.wait().status, RunStatus::Finished);
        // A method without a single feature map is refused; a fitnet term is added when there is none.
        QVERIFY(errorOf([&] { applyHints(recipe.losses, s, LossMethod::Kd); }).contains("kd"));
        QCOMPARE(applyHints(recipe.losses, s, LossMethod::FitNet).size(), size_t{5});
    }

    void errors() {
        const Recipe train = parseRecipe(R"(
job: train
data: {dataset: fashion_mnist, subset: 64}
model: {arch: resnet8}
)",
                                         "train.yaml", ".");
        QVERIFY(errorOf([&] { suggestHints(train); }).contains("teacher"));
        const Recipe recipe = parseRecipe(recipeText("[{method: task}]"), "hints.yaml", ".");
        HintOptions bad;
        bad.metrics = {"cosine"};
        QVERIFY(errorOf([&] { suggestHints(recipe, bad); }).contains("cosine"));
        HintOptions few;
        few.samples = 4;
        QVERIFY(errorOf([&] { suggestHints(recipe, few); }).contains("8 samples"));
    }
};

DISTILLERY_TEST_SUITE("hints", HintsTest);
#include "test_hints.moc"
