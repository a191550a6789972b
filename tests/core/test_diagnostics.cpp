// Term balance (core/diagnostics.h): gradient norms, shares, flags and suggested weights on hand-built cases
// whose answers are derived by hand; diagnostics.jsonl written, truncated on resume and read back.

#include <torch/torch.h>

#include <QtTest/QtTest>
#include <filesystem>
#include <fstream>

#include "core/baseline.h"
#include "core/diagnostics.h"
#include "core/internal/losses.h"
#include "core/recipe.h"
#include "core/run_files.h"
#include "core/run_folder.h"
#include "core/types.h"
#include "tests/core/suites.h"

using namespace distillery;

namespace {
BalanceSample sampleOf(std::vector<std::pair<double, double>> weightAndNorm) {
    BalanceSample s;
    s.step = 10;
    s.epoch = 1;
    int i = 0;
    for (const auto& [w, n] : weightAndNorm)
        s.terms.push_back({"t" + std::to_string(i++), w, w * 0.5, n, 0.0, 0.0});
    fillShares(s);
    return s;
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}
}  // namespace

class DiagnosticsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gradientNormsOfTwoTermsByHand() {
        // θ = (w ∈ R², u ∈ R). Term A = 3·(w·x) with x = (1, 1): ∇w = 3·(1, 1), ∇u = 0 → ‖·‖ = 3√2.
        // Term B = ½‖w‖² + 2u with w = (1, 2): ∇w = w = (1, 2), ∇u = 2 → ‖·‖ = √(1 + 4 + 4) = 3.
        // A term that reaches no parameter has norm 0. The graph survives: the sum still back-propagates, and
        // the norms left nothing in .grad.
        auto w = torch::tensor({1.0, 2.0}, torch::kFloat32).requires_grad_();
        auto u = torch::tensor({5.0}, torch::kFloat32).requires_grad_();
        auto hidden = w * 1.0;  // a shared intermediate, as the student's forward pass is for every term
        auto a = 3.0 * (hidden * torch::ones({2})).sum();
        auto b = 0.5 * hidden.square().sum() + 2.0 * u.sum();
        auto c = torch::tensor(7.0);
        const auto norms = gradientNorms({a, b, c}, {w, u});
        QCOMPARE(norms.size(), size_t{3});
        QVERIFY(std::abs(norms[0] - 3.0 * std::sqrt(2.0)) < 1e-6);
        QVERIFY(std::abs(norms[1] - 3.0) < 1e-6);
        QCOMPARE(norms[2], 0.0);
        QVERIFY(!w.grad().defined() && !u.grad().defined());
        (a + b).backward();
        QVERIFY(torch::allclose(w.grad(), torch::tensor({4.0, 5.0})));
        QVERIFY(torch::allclose(u.grad(), torch::tensor({2.0})));
    }

    void sharesFlagsAndSuggestedWeightsByHand() {
        // Norms 3 and 1: gradient shares 75 % and 25 %; losses w/2 = 1 and 0.25: loss shares 80 % and 20 %.
        BalanceSample s = sampleOf({{2.0, 3.0}, {0.5, 1.0}});
        QCOMPARE(s.terms[0].gradShare, 0.75);
        QCOMPARE(s.terms[1].gradShare, 0.25);
        QCOMPARE(s.terms[0].lossShare, 0.8);
        QCOMPARE(s.terms[1].lossShare, 0.2);
        // Term 0 at 50 %: its norm must equal the others' (1), a third of now: weight 2/3. Term 1 at 75 %:
        // its norm must be 3× the others' (9), 9× now: weight 4.5.
        QVERIFY(std::abs(*suggestedWeight(s, 0, 0.5) - 2.0 / 3.0) < 1e-12);
        QVERIFY(std::abs(*suggestedWeight(s, 1, 0.75) - 4.5) < 1e-12);
        // Re-measured with the suggested weight (norms scale with weights), the share is the target.
        BalanceSample again = sampleOf({{2.0, 3.0}, {4.5, 9.0}});
        QCOMPARE(again.terms[1].gradShare, 0.75);
        // No suggestion where none can work: a term without gradient, the only term with one, a bad target.
        BalanceSample dead = sampleOf({{1.0, 2.0}, {1.0, 0.0}});
        QVERIFY(!suggestedWeight(dead, 1, 0.5));
        QVERIFY(!suggestedWeight(dead, 0, 0.5));
        QVERIFY(!suggestedWeight(s, 0, 1.0));
        QVERIFY(!suggestedWeight(s, 0, 0.0));
        QVERIFY(!suggestedWeight(s, 5, 0.5));

        // Flags at the default thresholds, 90 % and 1 %, strictly beyond them.
        DiagnosticsSpec spec;
        BalanceSample swamped = sampleOf({{1.0, 95.0}, {1.0, 4.5}, {1.0, 0.5}});  // 95 %, 4.5 %, 0.5 %
        QCOMPARE(balanceFlag(swamped, 0, spec), BalanceFlag::Dominant);
        QCOMPARE(balanceFlag(swamped, 1, spec), BalanceFlag::None);
        QCOMPARE(balanceFlag(swamped, 2, spec), BalanceFlag::Negligible);
        BalanceSample edge = sampleOf({{1.0, 90.0}, {1.0, 9.0}, {1.0, 1.0}});  // exactly 90 % and 1 %
        QCOMPARE(balanceFlag(edge, 0, spec), BalanceFlag::None);
        QCOMPARE(balanceFlag(edge, 2, spec), BalanceFlag::None);
        spec.dominant = 0.7;
        spec.negligible = 0.3;
        QCOMPARE(balanceFlag(s, 0, spec), BalanceFlag::Dominant);
        QCOMPARE(balanceFlag(s, 1, spec), BalanceFlag::Negligible);
        // One term alone is never out of balance.
        QCOMPARE(balanceFlag(sampleOf({{1.0, 1.0}}), 0, DiagnosticsSpec{}), BalanceFlag::None);

        const std::string warning = balanceWarning(swamped, 0, DiagnosticsSpec{});
        QVERIFY2(
            warning.find("loss term t0 has 95.0 % of the student's gradient at step 10 (above 90.0 %)") !=
                std::string::npos,
            warning.c_str());
        // Norms 95 against 5 at a 50 % target: weight 1 · 5/95.
        QVERIFY2(warning.find("weight 0.0526 (now 1) would give it 50.0 %") != std::string::npos,
                 warning.c_str());
        QVERIFY(balanceWarning(swamped, 2, DiagnosticsSpec{}).find("below 1.00 %") != std::string::npos);
        QVERIFY(balanceWarning(swamped, 1, DiagnosticsSpec{}).empty());
    }

    void diagnosticsFileRoundTripsAndResumeDropsLaterSamples() {
        const std::string dir = tests::scratchDir("diagnostics");
        const std::string path = dir + "/diagnostics.jsonl";
        QVERIFY(readBalance(path).empty());  // no file: no samples
        {
            DiagnosticsLog log(path);
            for (int64_t step : {1, 50, 100}) {
                BalanceSample s = sampleOf({{1.0, 2.0}, {0.25, 0.5}});
                s.step = step;
                s.terms[1].label = "cwd[stage3]";
                log.append(s);
            }
        }
        auto read = readBalance(path);
        QCOMPARE(read.size(), size_t{3});
        QCOMPARE(read[1].step, int64_t{50});
        QCOMPARE(read[1].terms[1].label, std::string("cwd[stage3]"));
        QCOMPARE(read[1].terms[1].weight, 0.25);
        QCOMPARE(read[1].terms[1].gradNorm, 0.5);
        QCOMPARE(read[1].terms[0].gradShare, 0.8);
        // A run resumed from step 50 measures step 100 again.
        { DiagnosticsLog resumed(path, int64_t{50}); }
        QCOMPARE(readBalance(path).size(), size_t{2});
        // A last line cut short by a kill is dropped; other kinds of records are skipped.
        std::ifstream in(path);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        writeText(path, text + "{\"kind\": \"channels\", \"step\": 60}\n{\"kind\": \"balance\", \"st");
        QCOMPARE(readBalance(path).size(), size_t{2});
        // A malformed line elsewhere is an error naming the file and the line.
        writeText(path, text + "{\"kind\": \"balance\", \"step\": 3}\n" + text);
        try {
            readBalance(path);
            QFAIL("a malformed record was accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find(path + ":3: not a diagnostics record") != std::string::npos,
                     e.what());
        }
    }

    void baselineMatchingRule() {
        // The student alone: same student, data (but for workers), transforms, optimiser, schedule, epochs
        // and batch size, trained on labels; the seed may differ.
        const std::string common = R"(
data: {dataset: fashion_mnist, subset: 256, workers: 2}
transforms:
  train: [{hflip: 0.5}, {normalize: {mean: [0.286], std: [0.353]}}]
  eval: [{normalize: {mean: [0.286], std: [0.353]}}]
optim: {name: sgd, lr: 0.05}
train: {epochs: 2, batch_size: 32}
)";
        const Recipe distill = parseRecipe(
            "job: distill\nmodel: {arch: resnet8}\nteacher: {arch: resnet20, checkpoint: /t}\n"
            "losses: [{method: task}, {method: kd, weight: 1}]\nseed: 1\n" +
                common,
            "d.yaml", "/base");
        auto alone = [&](const std::vector<std::string>& overrides) {
            return parseRecipe("model: {arch: resnet8}\nseed: 2\n" + common, "a.yaml", "/base", overrides);
        };
        QCOMPARE(baselineMismatch(distill, alone({})), std::string());
        QCOMPARE(baselineMismatch(distill, alone({"data.workers=0", "seed=9", "precision=bf16"})),
                 std::string());
        QCOMPARE(baselineMismatch(distill, alone({"model.arch=resnet20"})),
                 std::string("it differs in the student model"));
        QCOMPARE(baselineMismatch(distill, alone({"model.width=0.5"})),
                 std::string("it differs in the student model"));
        QCOMPARE(baselineMismatch(distill, alone({"data.subset=512"})),
                 std::string("it differs in the data"));
        QCOMPARE(baselineMismatch(distill, alone({"data.holdout=64"})),
                 std::string("it differs in the data"));
        QCOMPARE(baselineMismatch(distill, alone({"transforms.eval=[]"})),
                 std::string("it differs in the transforms"));
        QCOMPARE(baselineMismatch(distill, alone({"optim.lr=0.1"})),
                 std::string("it differs in the optimiser or schedule"));
        QCOMPARE(baselineMismatch(distill, alone({"train.epochs=3"})),
                 std::string("it differs in the epochs or batch size"));
        // A distillation is no baseline, even of the same student (train jobs allow the task term alone).
        QCOMPARE(baselineMismatch(distill, distill), std::string("it is a distillation"));
    }

    void baselineCurveIsTheMeanOfTheFinishedMatchingRuns() {
        const std::string runs = tests::scratchDir("baseline");
        const std::string text = "model: {arch: resnet8}\ndata: {dataset: fashion_mnist, subset: 256}\n";
        const Recipe distill = parseRecipe(
            "job: distill\nteacher: {arch: resnet20, checkpoint: /t}\nlosses: [{method: task}, "
            "{method: kd}]\n" +
                text,
            "d.yaml", runs);
        // Two finished matches (epoch 2 of the second evaluated twice, by a resume: the last counts), a
        // cancelled match, a different student, and the distillation's own folder.
        auto makeRun = [&](const std::string& name, const std::string& recipeText, RunStatus status,
                           const std::vector<std::tuple<int, int64_t, double>>& top1) {
            const std::string dir = runs + "/" + name;
            std::filesystem::create_directories(dir);
            writeText(dir + "/recipe.yaml", recipeToYaml(parseRecipe(recipeText, "r.yaml", runs)));
            RunSummaryRecord summary;
            summary.status = status;
            summary.mainMetric = "top1";
            RunFolder(dir).writeSummary(summary);
            MetricsLog log(dir + "/metrics.jsonl");
            for (const auto& [epoch, step, value] : top1)
                log.append({{step, epoch, Split::Train, "loss/task", 1.0},
                            {step, epoch, Split::Val, "top1", value}});
        };
        makeRun("alone-s0", text, RunStatus::Finished, {{1, 8, 80.0}, {2, 16, 85.0}});
        makeRun("alone-s1", text + "seed: 1\n", RunStatus::Finished,
                {{1, 8, 82.0}, {2, 16, 86.0}, {2, 16, 87.0}});
        makeRun("alone-stopped", text, RunStatus::Cancelled, {{1, 8, 10.0}});
        makeRun("other-student", "model: {arch: resnet20}\ndata: {dataset: fashion_mnist, subset: 256}\n",
                RunStatus::Finished, {{1, 8, 10.0}});
        std::filesystem::create_directories(runs + "/kd");
        const auto found = findBaselineRuns(runs, distill, runs + "/kd");
        QCOMPARE(found, (std::vector<std::string>{runs + "/alone-s0", runs + "/alone-s1"}));

        const BaselineCurve curve = readBaselineCurve(found);
        QCOMPARE(curve.metric, std::string("top1"));
        QCOMPARE(curve.epochs, (std::vector<int>{1, 2}));
        QCOMPARE(curve.values, (std::vector<double>{81.0, 86.0}));
        QCOMPARE(curve.counts, (std::vector<int>{2, 2}));
        QCOMPARE(curve.steps, (std::vector<int64_t>{8, 16}));
        QVERIFY(!curve.at(3));

        const auto below = compareWithBaseline(curve, 2, 85.5);
        QVERIFY(below && below->below());
        QCOMPARE(below->gap(), -0.5);
        QCOMPARE(baselineMessage(*below, curve),
                 std::string("epoch 2: top-1 85.50, 0.50 below the student alone (86.00, mean of 2 runs)"));
        const auto above = compareWithBaseline(curve, 1, 83.0);
        QVERIFY(above && !above->below());
        QCOMPARE(baselineMessage(*above, curve),
                 std::string("epoch 1: top-1 83.00, 2.00 above the student alone (81.00, mean of 2 runs)"));
        QVERIFY(!compareWithBaseline(curve, 3, 90.0));
        QVERIFY(findBaselineRuns(runs + "/missing", distill).empty());
    }
};

DISTILLERY_TEST_SUITE("diagnostics", DiagnosticsTest);
#include "test_diagnostics.moc"
