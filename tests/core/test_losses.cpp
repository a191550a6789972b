// Losses against values from Debian's python3-torch running the reference implementations
// (tests/oracle/loss_oracle.py), and CWD's properties derived by hand.

#include <torch/torch.h>

#include <QtTest/QtTest>

#include "core/internal/losses.h"
#include "core/zoo.h"
#include "tests/core/suites.h"

using namespace distillery;
using Shape = std::vector<int64_t>;

namespace {

/** Same tensor as det() in tests/oracle/loss_oracle.py. */
torch::Tensor det(std::vector<int64_t> shape, double a, double b, double c = 1.0) {
    int64_t n = 1;
    for (auto s : shape)
        n *= s;
    auto t = torch::arange(n, torch::kFloat32).reshape(shape);
    return torch::sin(t * a + b) * c;
}

void near(const torch::Tensor& value, double expected, double relTol = 1e-5) {
    const double v = value.item<double>();
    QVERIFY2(std::abs(v - expected) <= relTol * std::max(1.0, std::abs(expected)),
             qPrintable(QString("got %1, expected %2").arg(v, 0, 'g', 10).arg(expected, 0, 'g', 10)));
}

}  // namespace

class LossesTest : public QObject {
    Q_OBJECT

    torch::Tensor s2 = det({4, 10}, 0.37, 0.1, 3.0), t2 = det({4, 10}, 0.23, 0.7, 2.5);
    torch::Tensor s4 = det({2, 3, 4, 5}, 0.31, 0.2, 2.0), t4 = det({2, 3, 4, 5}, 0.17, 0.9, 3.0);
    torch::Tensor sp = det({2, 6, 5, 7}, 0.13, 0.4, 1.5), tp = det({2, 4, 5, 7}, 0.29, 0.3, 2.0);

private Q_SLOTS:
    void crossEntropy() {
        near(taskLoss(s2, torch::tensor({3, 0, 9, 5}, torch::kInt64)), 4.04984856);
        auto target = (torch::arange(2 * 4 * 5, torch::kInt64).reshape({2, 4, 5}) % 3);
        target.index_put_({0, 0}, 255);
        near(taskLoss(s4, target), 1.10178876);
    }

    void kd() {
        near(kdLoss(s2, t2, 4.0), 3.66159034);
        near(kdLoss(s2, t2, 1.0), 2.70861101);
        near(kdLoss(t2, t2, 4.0), 0.0);
    }

    void cwdAgainstReference() {
        near(cwdLoss(s4, t4, 4.0), 2.89453149);
        near(cwdLoss(s4, t4, 1.0), 1.71712542);
    }

    void cwdIsZeroForIdenticalMaps() {
        near(cwdLoss(t4, t4, 4.0), 0.0, 1e-7);
        // Peaked maps: softmax().log() would give -inf here; log_softmax keeps the loss finite.
        auto peaked = t4 * 1000.0;
        auto v = cwdLoss(peaked * 0.5, peaked, 1.0);
        QVERIFY(std::isfinite(v.item<double>()));
        near(cwdLoss(peaked, peaked, 1.0), 0.0, 1e-6);
    }

    void cwdGradient() {
        auto s = s4.clone().requires_grad_(true);
        cwdLoss(s, t4, 4.0).backward();
        auto w = det({2, 3, 4, 5}, 0.11, 0.5, 1.0);
        near((s.grad() * w).sum(), 0.0802774578, 1e-4);
        near(s.grad()[0][0][0][0], -0.00742839463, 1e-4);
        // Hand-derived: dL/ds = τ/(N·C) · (softmax(s/τ) − softmax(t/τ)) over each channel's H·W positions.
        const double tau = 4.0;
        auto ps = torch::softmax(s4.reshape({6, 20}) / tau, 1);
        auto pt = torch::softmax(t4.reshape({6, 20}) / tau, 1);
        auto expected = ((ps - pt) * (tau / 6.0)).reshape({2, 3, 4, 5});
        QVERIFY(torch::allclose(s.grad(), expected, 1e-5, 1e-7));
        // The teacher's distribution is the target: KL(p_T || p_S), not the reverse. Its gradient with
        // respect to the teacher's logits, derived by hand, is τ/(N·C) · p_T ⊙ (log p_T − log p_S − KL) per
        // channel.
        auto t = t4.clone().requires_grad_(true);
        cwdLoss(s4, t, tau).backward();
        auto logPt = torch::log_softmax(t4.reshape({6, 20}) / tau, 1);
        auto logPs = torch::log_softmax(s4.reshape({6, 20}) / tau, 1);
        auto kl = (logPt.exp() * (logPt - logPs)).sum(1, true);
        auto expectedT = (logPt.exp() * (logPt - logPs - kl) * (tau / 6.0)).reshape({2, 3, 4, 5});
        QVERIFY(torch::allclose(t.grad(), expectedT, 1e-5, 1e-7));
    }

    void attentionTransfer() {
        // Student and teacher channel counts differ (6 vs 4): AT compares spatial maps only.
        near(atLoss(sp, tp), 0.0137187131, 1e-4);
        near(atLoss(tp, tp), 0.0, 1e-7);
    }

    void pixelWise() {
        near(pixelKdLoss(s4, t4, 1.0), 0.53519541);
        near(pixelKdLoss(s4, t4, 2.0), 0.288292825);
    }

    void pairWise() {
        near(pairKdLoss(sp, tp, 2), 0.467490822, 1e-4);
        near(pairKdLoss(sp, tp, 1), 1.00602663, 1e-4);
    }

    void fitnetMse() { near(fitnetLoss(s4, t4), 6.62916851); }

    void termAdaptsChannelsAndSize() {
        // CWD between a 6-channel 10×14 student map and a 4-channel 5×7 teacher map: adapter + resize.
        LossTermSpec spec;
        spec.method = LossMethod::Cwd;
        spec.teacherTap = "stage3";
        spec.studentTap = "stage3";
        spec.tau = 4.0;
        LossTerm term(spec, Task::Segmentation, Shape{4, 5, 7}, Shape{6, 10, 14});
        QVERIFY(term->hasAdapter());
        auto student = det({2, 6, 10, 14}, 0.05, 0.1, 1.0).requires_grad_(true);
        auto aligned = term->alignStudent(student, tp);
        QCOMPARE(aligned.sizes().vec(), tp.sizes().vec());
        auto loss = term->compute({{"stage3", tp}}, {{"stage3", student}}, {}, {});
        loss.backward();
        QVERIFY(std::isfinite(loss.item<double>()));
        // The adapter learns with the student.
        auto adapterParams = term->parameters();
        QVERIFY(!adapterParams.empty());
        QVERIFY(adapterParams[0].grad().defined());
        QVERIFY(student.grad().abs().sum().item<double>() > 0);

        // Equal channels and sizes: no adapter, the term is plain CWD.
        LossTerm plain(spec, Task::Segmentation, Shape{3, 4, 5}, Shape{3, 4, 5});
        QVERIFY(!plain->hasAdapter());
        near(plain->compute({{"stage3", t4}}, {{"stage3", s4}}, {}, {}), 2.89453149);
    }

    void tapPairRules() {
        QVERIFY(tapPairProblem(LossMethod::Cwd, Shape{64, 7, 7}, Shape{32, 14, 14}).empty());
        QVERIFY(!tapPairProblem(LossMethod::Cwd, Shape{64}, Shape{64}).empty());
        QVERIFY(tapPairProblem(LossMethod::Kd, Shape{10}, Shape{10}).empty());
        QVERIFY(!tapPairProblem(LossMethod::Kd, Shape{10}, Shape{7}).empty());
        QVERIFY(!tapPairProblem(LossMethod::Kd, Shape{11, 64, 64}, Shape{11, 64, 64}).empty());
        QVERIFY(tapPairProblem(LossMethod::PixelKd, Shape{11, 64, 64}, Shape{11, 32, 32}).empty());
        QVERIFY(tapPairProblem(LossMethod::FitNet, Shape{64}, Shape{32}).empty());
        QVERIFY(tapPairProblem(LossMethod::PairKd, Shape{128, 8, 8}, Shape{64, 8, 8}).empty());
        QVERIFY(!tapPairProblem(LossMethod::At, Shape{128, 8, 8}, Shape{64}).empty());
        QVERIFY(tapPairProblem(LossMethod::Task, Shape{}, Shape{}).empty());
    }

    void termRejectsIncompatibleTaps() {
        LossTermSpec spec;
        spec.method = LossMethod::Cwd;
        spec.teacherTap = "logits";
        spec.studentTap = "logits";
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Classification, Shape{10}, Shape{10}));
        spec.method = LossMethod::Kd;
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Classification, Shape{10}, Shape{7}));
        spec.method = LossMethod::PixelKd;
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Classification, Shape{10}, Shape{10}));
        try {
            spec.method = LossMethod::At;
            spec.teacherTap = "prelogits";
            LossTerm(spec, Task::Classification, Shape{64}, Shape{64});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("prelogits"), e.what());
        }
    }
};

DISTILLERY_TEST_SUITE("losses", LossesTest);
#include "test_losses.moc"
