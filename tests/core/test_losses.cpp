// Losses against values from Debian's python3-torch running the reference implementations
// (tests/oracle/loss_oracle.py), with gradients, zero for equal teacher and student, and CWD's properties
// derived by hand.

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

/** d/dε loss(x + ε·w) at ε = 0, i.e. Σ grad·w, against the oracle's value. */
template <typename Loss>
void gradientDot(const torch::Tensor& x, Loss loss, const torch::Tensor& w, double expected) {
    auto g = x.clone().requires_grad_(true);
    loss(g).backward();
    near((g.grad() * w).sum(), expected, 1e-4);
}

}  // namespace

class LossesTest : public QObject {
    Q_OBJECT

    torch::Tensor s2 = det({4, 10}, 0.37, 0.1, 3.0), t2 = det({4, 10}, 0.23, 0.7, 2.5);
    torch::Tensor s4 = det({2, 3, 4, 5}, 0.31, 0.2, 2.0), t4 = det({2, 3, 4, 5}, 0.17, 0.9, 3.0);
    torch::Tensor sp = det({2, 6, 5, 7}, 0.13, 0.4, 1.5), tp = det({2, 4, 5, 7}, 0.29, 0.3, 2.0);
    torch::Tensor fs = det({4, 6, 3, 3}, 0.21, 0.3, 1.7), ft = det({4, 5, 3, 3}, 0.27, 0.8, 2.2);
    torch::Tensor ns = det({2, 6, 4, 4}, 0.19, 0.6, 1.3), nt = det({2, 5, 2, 2}, 0.33, 0.1, 2.1);
    torch::Tensor labels = torch::tensor({3, 0, 9, 5}, torch::kInt64);

private Q_SLOTS:
    void mutualLearningEachSideLearnsItsPart() {
        // dml = τ²KL(p‖s) (peer detached) + CE(p) + τ²KL(s‖p) (student detached): the value is the sum of
        // the three, and each side's gradient is that of its own part alone.
        auto s = s2.clone().requires_grad_(true), p = t2.clone().requires_grad_(true);
        const auto target = torch::tensor({3, 0, 9, 5}, torch::kInt64);
        auto loss = dmlLoss(s, p, target, 2.0);
        near(loss, (kdLoss(s2, t2, 2.0) + taskLoss(t2, target) + kdLoss(t2, s2, 2.0)).item<double>());
        loss.backward();
        auto s1 = s2.clone().requires_grad_(true), p1 = t2.clone().requires_grad_(true);
        kdLoss(s1, t2, 2.0).backward();
        (taskLoss(p1, target) + kdLoss(p1, s2, 2.0)).backward();
        QVERIFY(torch::allclose(s.grad(), s1.grad(), 1e-6, 1e-7));
        QVERIFY(torch::allclose(p.grad(), p1.grad(), 1e-6, 1e-7));
        // With the teacher's logits at teacher_kd: the peer also learns them; the student's part is
        // unchanged.
        const auto teacher = det({4, 10}, 0.41, 0.5, 2.0);
        near(dmlLoss(s2, t2, target, 2.0, teacher, 0.5),
             (kdLoss(s2, t2, 2.0) + taskLoss(t2, target) + kdLoss(t2, s2, 2.0) +
              0.5 * kdLoss(t2, teacher, 2.0))
                 .item<double>());
        LossTermSpec spec;
        spec.method = LossMethod::Dml;
        spec.peer.arch = "resnet8";
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Segmentation, Shape{}, Shape{}));
    }

    void interClassDistance() {
        // Labels as idd_labels() in the oracle: 2×10×14, nearest-sampled onto the 5×7 maps; image 0 has
        // four classes and ignored rows, image 1 two classes and ignored pixels.
        auto labels =
            torch::floor_divide(torch::arange(2 * 10 * 14, torch::kInt64).reshape({2, 10, 14}), 3) % 4;
        labels.index_put_({0, torch::indexing::Slice(0, 2)}, 255);
        labels[1] = torch::where(labels[1] < 2, labels[1], torch::full_like(labels[1], 255));
        near(iddLoss(sp, tp, labels, 0.5, 1.0), 1.24406064);
        near(iddLoss(sp, tp, labels, 0.1, 0.0), 0.0398770384);
        gradientDot(
            sp, [&](const torch::Tensor& x) { return iddLoss(x, tp, labels, 0.5, 1.0); },
            det({2, 6, 5, 7}, 0.07, 0.2, 1.0), 0.00405548327);
        // Equal teacher and student: nothing to learn. Channel counts may differ (normalised features).
        near(iddLoss(tp, tp, labels, 0.5, 1.0), 0.0);
        // Only ignored pixels: no class, no loss.
        near(iddLoss(sp, tp, torch::full({2, 10, 14}, 255, torch::kInt64), 0.5, 1.0), 0.0);
        // The term needs a segmentation task and spatial taps.
        LossTermSpec spec;
        spec.method = LossMethod::Idd;
        spec.teacherTap = spec.studentTap = "stage3";
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Classification, Shape{4, 5, 7}, Shape{6, 5, 7}));
        LossTerm term(spec, Task::Segmentation, Shape{4, 5, 7}, Shape{6, 10, 14});
        QVERIFY(!term->hasAdapter());
        QVERIFY(!tapPairProblem(LossMethod::Idd, {4, 5, 7}, {6}).empty());
    }

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

    // ---- the RepDistiller and torchdistill classics, DKD, DIST, VID and CRD ----
    void relationLossesAgainstReference() {
        near(spLoss(fs, ft), 0.33705759);
        near(ccLoss(fs, ft, 0.4, 2), 0.11587362);
        near(rkdLoss(fs, ft, 25.0, 50.0), 3.31170392);
        near(rkdLoss(fs, ft, 1.0, 0.0), 0.017540168);
        near(pktLoss(fs, ft), 0.076194182);
        near(nstLoss(ns, nt), 0.238783002);
        const auto w = det({4, 6, 3, 3}, 0.07, 0.2, 1.0);
        gradientDot(
            fs, [&](const torch::Tensor& x) { return spLoss(x, ft); }, w, -0.0165473819);
        gradientDot(
            fs, [&](const torch::Tensor& x) { return ccLoss(x, ft, 0.4, 2); }, w, -0.00540333241);
        gradientDot(
            fs, [&](const torch::Tensor& x) { return rkdLoss(x, ft, 25.0, 50.0); }, w, -1.3447268);
        gradientDot(
            fs, [&](const torch::Tensor& x) { return pktLoss(x, ft); }, w, -0.00952907);
        gradientDot(
            ns, [&](const torch::Tensor& x) { return nstLoss(x, nt); }, det({2, 6, 4, 4}, 0.07, 0.2, 1.0),
            0.0306422785);
    }

    void logitLossesAgainstReference() {
        near(dkdLoss(s2, t2, labels, 1.0, 8.0, 4.0), 28.7907429);
        near(dkdLoss(s2, t2, labels, 2.0, 1.0, 1.0), 4.17996311);
        near(distLoss(s2, t2, 1.0, 1.0, 1.0), 2.51393175);
        near(distLoss(s2, t2, 2.0, 3.0, 4.0), 115.513351);
        const auto w = det({4, 10}, 0.07, 0.2, 1.0);
        gradientDot(
            s2, [&](const torch::Tensor& x) { return dkdLoss(x, t2, labels, 1.0, 8.0, 4.0); }, w,
            -0.460141182);
        gradientDot(
            s2, [&](const torch::Tensor& x) { return distLoss(x, t2, 1.0, 1.0, 1.0); }, w, 0.00114329159);
    }

    void newLossesAreZeroWhenStudentEqualsTeacher() {
        near(spLoss(ft, ft), 0.0, 1e-6);
        near(ccLoss(ft, ft, 0.4, 2), 0.0, 1e-6);
        near(rkdLoss(ft, ft, 25.0, 50.0), 0.0, 1e-6);
        near(pktLoss(ft, ft), 0.0, 1e-6);
        near(nstLoss(nt, nt), 0.0, 1e-6);
        near(dkdLoss(t2, t2, labels, 1.0, 8.0, 4.0), 0.0, 1e-6);
        near(distLoss(t2, t2, 1.0, 1.0, 1.0), 0.0, 1e-6);
        // Relations are invariant to a scale of the features (RKD normalises distances by their mean; SP, CC,
        // PKT and NST normalise each sample or channel): a student that is 3× the teacher is already there.
        near(spLoss(ft * 3.0, ft), 0.0, 1e-6);
        near(rkdLoss(ft * 3.0, ft, 25.0, 50.0), 0.0, 1e-5);
        near(pktLoss(ft * 3.0, ft), 0.0, 1e-6);
        near(nstLoss(nt * 3.0, nt), 0.0, 1e-6);
    }

    void edgeCasesStayFinite() {
        // A teacher so sure that a probability underflows to 0 (KL counts 0·log 0 as 0), one sample, and
        // identical embeddings (no non-zero distance to normalise by).
        auto sure = t2 * 1000.0;
        QVERIFY(std::isfinite(dkdLoss(s2, sure, labels, 1.0, 8.0, 1.0).item<double>()));
        auto one = fs.slice(0, 0, 1);
        QVERIFY(std::isfinite(rkdLoss(one, ft.slice(0, 0, 1), 25.0, 50.0).item<double>()));
        auto same = fs.slice(0, 0, 1).repeat({4, 1, 1, 1});
        QVERIFY(std::isfinite(rkdLoss(same, ft, 25.0, 50.0).item<double>()));
    }

    void dkdWarmsUpAndNeedsLabels() {
        LossTermSpec spec;
        spec.method = LossMethod::Dkd;
        spec.teacherTap = spec.studentTap = "logits";
        spec.tau = 4.0;
        spec.params["warmup_epochs"] = 2.0;
        LossTerm term(spec, Task::Classification, Shape{10}, Shape{10});
        const double full = dkdLoss(s2, t2, labels, 1.0, 8.0, 4.0).item<double>();
        term->setProgress(0.5);
        near(term->compute({{"logits", t2}}, {{"logits", s2}}, s2, labels), 0.25 * full);
        term->setProgress(3.0);
        near(term->compute({{"logits", t2}}, {{"logits", s2}}, s2, labels), full);
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Segmentation, Shape{10}, Shape{10}));
        // A recipe parameter another method owns is not this one's.
        QVERIFY_THROWS_EXCEPTION(Error, spec.param("angle"));
        QCOMPARE(spec.param("beta"), 8.0);
    }

    void fspAgainstReference() {
        // RepDistiller's FSP over three taps: the first pair pools 8×8 to 4×4; zero when the student is the
        // teacher; the term reads its taps by name in the recipe's order.
        std::vector<torch::Tensor> gs{det({2, 3, 8, 8}, 0.13, 0.2, 1.1), det({2, 4, 4, 4}, 0.29, 0.5, 1.4),
                                      det({2, 5, 4, 4}, 0.41, 0.8, 0.9)};
        std::vector<torch::Tensor> gt{det({2, 3, 8, 8}, 0.17, 0.6, 1.3), det({2, 4, 4, 4}, 0.23, 0.1, 1.2),
                                      det({2, 5, 4, 4}, 0.37, 0.4, 1.6)};
        near(fspLoss(gs, gt), 0.42363435);
        QCOMPARE(fspLoss(gt, gt).item<double>(), 0.0);
        gradientDot(
            gs[0],
            [&](const torch::Tensor& x) {
                return fspLoss({x, gs[1], gs[2]}, gt);
            },
            det({2, 3, 8, 8}, 0.07, 0.2, 1.0), 0.00236105453);
        LossTermSpec spec;
        spec.method = LossMethod::Fsp;
        spec.teacherTaps = spec.studentTaps = {"stem", "stage1", "stage2"};
        spec.teacherTap = spec.studentTap = "stem";
        LossTerm term(spec, Task::Classification, std::vector<Shape>{{3, 8, 8}, {4, 4, 4}, {5, 4, 4}},
                      std::vector<Shape>{{3, 8, 8}, {4, 4, 4}, {5, 4, 4}});
        QVERIFY(!term->hasAdapter());
        near(term->compute({{"stem", gt[0]}, {"stage1", gt[1]}, {"stage2", gt[2]}},
                           {{"stem", gs[0]}, {"stage1", gs[1]}, {"stage2", gs[2]}}, {}, {}),
             0.42363435);
        // Gram matrices between channels: the channel counts must match, pair by pair.
        QVERIFY_THROWS_EXCEPTION(
            Error, LossTerm(spec, Task::Classification, std::vector<Shape>{{3, 8, 8}, {4, 4, 4}, {5, 4, 4}},
                            std::vector<Shape>{{3, 8, 8}, {8, 4, 4}, {5, 4, 4}}));
    }

    void reviewKdAgainstReference() {
        // HCL as mdistiller computes it (4×4, 2×2, 1×1 pools below the map's height).
        auto rs0 = det({2, 4, 6, 6}, 0.13, 0.2, 1.1), rs1 = det({2, 6, 3, 3}, 0.29, 0.5, 1.4),
             rs2 = det({2, 8}, 0.41, 0.8, 0.9);
        auto rt0 = det({2, 5, 12, 12}, 0.17, 0.6, 1.3), rt1 = det({2, 7, 3, 3}, 0.23, 0.1, 1.2),
             rt2 = det({2, 9}, 0.37, 0.4, 1.6);
        using torch::indexing::Slice;
        near(hclLoss({rs0, rs1}, {rt0.index({Slice(), Slice(0, 4), Slice(0, 6), Slice(0, 6)}),
                                  rt1.index({Slice(), Slice(0, 6)})}),
             3.26196384);
        QCOMPARE(hclLoss({rs0}, {rs0}).item<double>(), 0.0);
        // The whole term with the oracle's fusion weights: three levels, the deepest a vector (1×1), the
        // shallowest upsampled to the teacher's 12×12; mid channels min(512, 8).
        LossTermSpec spec;
        spec.method = LossMethod::ReviewKd;
        spec.teacherTaps = spec.studentTaps = {"stage1", "stage2", "prelogits"};
        spec.teacherTap = spec.studentTap = "stage1";
        LossTerm term(spec, Task::Classification, std::vector<Shape>{{5, 12, 12}, {7, 3, 3}, {9}},
                      std::vector<Shape>{{4, 6, 6}, {6, 3, 3}, {8}});
        QVERIFY(term->hasAdapter());
        {
            torch::NoGradGuard g;
            auto params = term->named_parameters();
            const std::vector<std::pair<int64_t, int64_t>> io{{4, 5}, {6, 7}, {8, 9}};
            for (int k = 0; k < 3; ++k) {
                const std::string p = "abf" + std::to_string(k) + ".";
                params[p + "conv1.weight"].copy_(det({8, io[k].first, 1, 1}, 0.11 + 0.01 * k, 0.3 * k, 0.4));
                params[p + "conv2.weight"].copy_(det({io[k].second, 8, 3, 3}, 0.07 + 0.01 * k, 0.3 * k, 0.4));
                if (k < 2) {
                    params[p + "att.weight"].copy_(det({2, 16, 1, 1}, 0.19 + 0.01 * k, 0.5, 0.6));
                    params[p + "att.bias"].copy_(det({2}, 0.7, 0.1 * k, 0.2));
                } else {
                    QVERIFY(!params.contains(p + "att.weight"));  // the deepest level fuses nothing
                }
            }
        }
        auto value = [&](const torch::Tensor& x) {
            return term->compute({{"stage1", rt0}, {"stage2", rt1}, {"prelogits", rt2}},
                                 {{"stage1", x}, {"stage2", rs1}, {"prelogits", rs2}}, {}, {});
        };
        near(value(rs0), 3.15689182);
        gradientDot(rs0, value, det({2, 4, 6, 6}, 0.07, 0.2, 1.0), -0.0171627775);
        // warmup_epochs ramps the term linearly from 0.
        spec.params["warmup_epochs"] = 4.0;
        LossTerm ramped(spec, Task::Classification, std::vector<Shape>{{5, 12, 12}, {7, 3, 3}, {9}},
                        std::vector<Shape>{{4, 6, 6}, {6, 3, 3}, {8}});
        ramped->setProgress(0.0);
        QCOMPARE(ramped
                     ->compute({{"stage1", rt0}, {"stage2", rt1}, {"prelogits", rt2}},
                               {{"stage1", rs0}, {"stage2", rs1}, {"prelogits", rs2}}, {}, {})
                     .item<double>(),
                 0.0);
    }

    void abAndFtAgainstReference() {
        // RepDistiller's ABLoss on connector outputs (two levels, weights ½ and 1) and FactorTransfer.
        std::vector<torch::Tensor> as{det({2, 3, 4, 4}, 0.13, 0.2, 1.5), det({2, 5, 2, 2}, 0.29, 0.5, 1.4)};
        std::vector<torch::Tensor> at{det({2, 3, 4, 4}, 0.17, 0.6, 1.3), det({2, 5, 2, 2}, 0.23, 0.1, 1.2)};
        near(abLoss(as, at, 1.0), 0.312124252);
        near(abLoss(as, at, 0.5), 0.176976576);
        gradientDot(
            as[0],
            [&](const torch::Tensor& x) {
                return abLoss({x, as[1]}, at, 1.0);
            },
            det({2, 3, 4, 4}, 0.07, 0.2, 1.0), -0.0111285886);
        // Beyond the margin on the teacher's side of the boundary, nothing is left to learn.
        QCOMPARE(abLoss({at[0].sign() * 2.0}, {at[0]}, 1.0).item<double>(), 0.0);
        auto fs = det({2, 3, 8, 8}, 0.19, 0.3, 1.2), ft = det({2, 4, 4, 4}, 0.31, 0.7, 1.6);
        near(ftLoss(fs, ft), 0.0852447003);
        gradientDot(
            fs, [&](const torch::Tensor& x) { return ftLoss(x, ft); }, det({2, 3, 8, 8}, 0.07, 0.2, 1.0),
            -0.0500825904);
        QCOMPARE(ftLoss(ft, ft).item<double>(), 0.0);

        // FT's term: the paraphraser (rate 0.5, no BN) learns to reconstruct the teacher's map in the
        // initialisation stage and is frozen afterwards; the translator trains with the student.
        LossTermSpec spec;
        spec.method = LossMethod::Ft;
        spec.teacherTap = spec.studentTap = "stage3";
        LossTerm term(spec, Task::Classification, Shape{4, 5, 5}, Shape{6, 5, 5});
        QCOMPARE(term->initEpochs(), 1);
        QVERIFY(!term->initTrainsStudent());
        {
            torch::NoGradGuard g;
            auto params = term->named_parameters();
            const std::vector<std::pair<int64_t, int64_t>> enc{{4, 4}, {2, 4}, {2, 2}},
                dec{{2, 2}, {2, 4}, {4, 4}};
            for (int i = 0; i < 3; ++i) {
                const std::string e = "paraphraser_encoder." + std::to_string(2 * i) + ".";
                const std::string d = "paraphraser_decoder." + std::to_string(2 * i) + ".";
                params[e + "weight"].copy_(
                    det({enc[i].first, enc[i].second, 3, 3}, 0.03 + 0.01 * i, 0.2 * i, 0.1));
                params[e + "bias"].copy_(det({enc[i].first}, 0.5, 0.1 * i, 0.1));
                params[d + "weight"].copy_(
                    det({dec[i].first, dec[i].second, 3, 3}, 0.05 + 0.01 * i, 0.3 * i, 0.1));
                params[d + "bias"].copy_(det({dec[i].second}, 0.6, 0.2 * i, 0.1));
            }
        }
        auto teacherMap = det({2, 4, 5, 5}, 0.21, 0.4, 1.1);
        near(term->initLoss({{"stage3", teacherMap}}, {}), 0.631636024);
        // 6 paraphraser tensors (3 convs, 3 deconvs, with biases) twice: what the stage trains; training
        // afterwards optimises the translator only.
        QCOMPARE(term->initParameters().size(), size_t(12));
        QCOMPARE(term->trainParameters().size(), term->parameters().size() - 12);
        auto s = det({2, 6, 5, 5}, 0.11, 0.3, 1.0).requires_grad_(true);
        term->compute({{"stage3", teacherMap}}, {{"stage3", s}}, {}, {}).backward();
        for (auto& p : term->initParameters())
            QVERIFY(!p.grad().defined());
        QVERIFY(s.grad().defined());

        // AB's term: RepDistiller's Connector, none where the shapes agree, else a conv (with bias) onto the
        // teacher's shape and a batch norm; the stage trains the student and the connectors.
        LossTermSpec ab;
        ab.method = LossMethod::Ab;
        ab.teacherTaps = {"stage1.pre", "stage2.pre", "stage3.pre"};
        ab.studentTaps = {"stage1.pre", "stage2.pre", "stage3.pre"};
        ab.teacherTap = ab.studentTap = "stage1.pre";
        LossTerm same(ab, Task::Classification, std::vector<Shape>{{16, 28, 28}, {32, 14, 14}, {64, 7, 7}},
                      std::vector<Shape>{{16, 28, 28}, {32, 14, 14}, {64, 7, 7}});
        QVERIFY(same->initTrainsStudent());
        QCOMPARE(same->initEpochs(), 1);
        QVERIFY(same->initParameters().empty());
        QVERIFY(!same->hasAdapter());
        // The connected student equals the student itself: the loss is abLoss on the raw maps.
        std::vector<Shape> shapes{{16, 28, 28}, {32, 14, 14}, {64, 7, 7}};
        std::unordered_map<std::string, torch::Tensor> sm, tm;
        for (size_t k = 0; k < 3; ++k) {
            auto dims = shapes[k];
            dims.insert(dims.begin(), 2);
            sm[ab.studentTaps[k]] = det(dims, 0.1 + 0.05 * k, 0.2, 1.5);
            tm[ab.teacherTaps[k]] = det(dims, 0.13 + 0.05 * k, 0.7, 1.2);
        }
        near(same->compute(tm, sm, {}, {}),
             abLoss({sm["stage1.pre"], sm["stage2.pre"], sm["stage3.pre"]},
                    {tm["stage1.pre"], tm["stage2.pre"], tm["stage3.pre"]}, 1.0)
                 .item<double>());
        // Channels differ: a 1×1 conv; twice the teacher's size: 3×3 stride 2; half its size: a 4×4
        // transposed conv stride 2; each output has the teacher's shape.
        LossTerm mapped(ab, Task::Classification,
                        std::vector<Shape>{{32, 14, 14}, {64, 14, 14}, {64, 14, 14}},
                        std::vector<Shape>{{16, 14, 14}, {32, 28, 28}, {32, 7, 7}});
        QCOMPARE(mapped->initParameters().size(), size_t(12));  // conv weight and bias, BN weight and bias
        QVERIFY(mapped->hasAdapter());
        std::unordered_map<std::string, torch::Tensor> sx{{"stage1.pre", torch::randn({2, 16, 14, 14})},
                                                          {"stage2.pre", torch::randn({2, 32, 28, 28})},
                                                          {"stage3.pre", torch::randn({2, 32, 7, 7})}};
        std::unordered_map<std::string, torch::Tensor> tx{{"stage1.pre", torch::randn({2, 32, 14, 14})},
                                                          {"stage2.pre", torch::randn({2, 64, 14, 14})},
                                                          {"stage3.pre", torch::randn({2, 64, 14, 14})}};
        QVERIFY(std::isfinite(mapped->compute(tx, sx, {}, {}).item<double>()));
        // A student map smaller than the teacher's by another factor has no connector in the reference.
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(ab, Task::Classification,
                                                 std::vector<Shape>{{16, 28, 28}, {32, 14, 14}, {64, 7, 7}},
                                                 std::vector<Shape>{{16, 28, 28}, {32, 5, 5}, {64, 7, 7}}));
        // Terms without a stage ask for none.
        LossTermSpec cwd;
        cwd.method = LossMethod::Cwd;
        cwd.teacherTap = cwd.studentTap = "stage3";
        QCOMPARE(LossTerm(cwd, Task::Classification, Shape{64, 7, 7}, Shape{64, 7, 7})->initEpochs(), 0);
        QVERIFY(!tapPairProblem(LossMethod::Ab, Shape{64}, Shape{64, 7, 7}).empty());
        QVERIFY(!tapPairProblem(LossMethod::Ft, Shape{64, 7, 7}, Shape{64}).empty());
    }

    void vidAgainstReference() {
        // VID's regressor and variance are parameters of its term: given the oracle's weights, the term's
        // value and gradient match RepDistiller's VIDLoss; the larger map is pooled to the smaller one.
        LossTermSpec spec;
        spec.method = LossMethod::Vid;
        spec.teacherTap = spec.studentTap = "stage3";
        auto makeTerm = [&](Shape teacherShape, Shape studentShape) {
            LossTerm term(spec, Task::Classification, teacherShape, studentShape);
            torch::NoGradGuard g;
            auto params = term->named_parameters();
            params["regressor.0.weight"].copy_(det({5, 6, 1, 1}, 0.05, 0.1, 0.5));
            params["regressor.2.weight"].copy_(det({5, 5, 1, 1}, 0.09, 0.3, 0.5));
            params["regressor.4.weight"].copy_(det({5, 5, 1, 1}, 0.13, 0.7, 0.5));
            params["log_scale"].copy_(det({5}, 0.4, 0.2, 1.0));
            return term;
        };
        auto term = makeTerm(Shape{5, 3, 3}, Shape{6, 3, 3});
        QVERIFY(term->hasAdapter());
        near(term->compute({{"stage3", ft}}, {{"stage3", fs}}, {}, {}), 1.26643217);
        auto pooled = makeTerm(Shape{5, 2, 2}, Shape{6, 4, 4});
        near(pooled->compute({{"stage3", nt}}, {{"stage3", ns}}, {}, {}), 0.961312115);
        gradientDot(
            fs,
            [&](const torch::Tensor& x) {
                return term->compute({{"stage3", ft}}, {{"stage3", x}}, {}, {});
            },
            det({4, 6, 3, 3}, 0.07, 0.2, 1.0), -0.262513757);
        // A fresh term starts at the recipe's variance (default 5): softplus(log_scale) + ε.
        LossTerm fresh(spec, Task::Classification, Shape{5, 3, 3}, Shape{6, 3, 3});
        auto variance = torch::softplus(fresh->named_parameters()["log_scale"]) + 1e-5;
        QVERIFY((variance - 5.0).abs().max().item<double>() < 1e-4);
    }

    void crdAgainstReference() {
        // RepDistiller's ContrastMemory and ContrastLoss on given embeddings, negatives and banks: the loss,
        // its normalisation constants, its gradient and the banks' updated rows (rows outside the batch
        // unchanged).
        namespace F = torch::nn::functional;
        auto norm = [](const torch::Tensor& x) {
            return F::normalize(x, F::NormalizeFuncOptions().p(2).dim(1));
        };
        auto vs = norm(det({4, 5}, 0.23, 0.4, 1.0)), vt = norm(det({4, 5}, 0.31, 0.9, 1.0));
        auto idx = (torch::arange(28, torch::kInt64).reshape({4, 7}) * 5 + 1) % 12;
        idx.select(1, 0).copy_(torch::tensor({3, 0, 9, 5}, torch::kInt64));
        auto memS = norm(det({12, 5}, 0.17, 0.2, 1.0)), memT = norm(det({12, 5}, 0.11, 0.6, 1.0));
        auto z = torch::full({2}, -1.0, torch::kFloat64);
        auto g = vs.clone().requires_grad_(true);
        auto loss = crdLoss(g, vt, idx, memS, memT, z, 0.07, 0.5, true);
        near(loss, 23.9830093);
        near(z[0], 4369921.0);
        near(z[1], 2946303.5);
        loss.backward();
        near((g.grad() * det({4, 5}, 0.07, 0.2, 1.0)).sum(), 5.31329155, 1e-4);
        near(memS[3][0], 0.688997984);
        near(memT[9][4], -0.345912278);
        near(memS[1][2], 0.459816396);
        // A bank larger than the draws takes the other path (the drawn rows gathered, not the bank scored).
        auto bigS = norm(det({40, 5}, 0.17, 0.2, 1.0)), bigT = norm(det({40, 5}, 0.11, 0.6, 1.0));
        auto z2 = torch::full({2}, -1.0, torch::kFloat64);
        auto g2 = vs.clone().requires_grad_(true);
        auto big = crdLoss(g2, vt, idx, bigS, bigT, z2, 0.07, 0.5, true);
        near(big, 23.9830151);
        big.backward();
        near((g2.grad() * det({4, 5}, 0.07, 0.2, 1.0)).sum(), 5.3132906, 1e-4);
    }

    void crdTermKeepsItsBankInItsState() {
        // The term's banks and constants are buffers (saved with the checkpoint); the same step draws the
        // same negatives, so a term rebuilt from saved state continues exactly.
        LossTermSpec spec;
        spec.method = LossMethod::Crd;
        spec.teacherTap = spec.studentTap = "prelogits";
        spec.params["negatives"] = 16;
        spec.params["feat_dim"] = 8;
        torch::manual_seed(11);
        LossTerm a(spec, Task::Classification, Shape{5}, Shape{6}, 40);
        torch::manual_seed(11);
        LossTerm b(spec, Task::Classification, Shape{5}, Shape{6}, 40);
        auto sIn = det({4, 6}, 0.21, 0.3, 1.7), tIn = det({4, 5}, 0.27, 0.8, 2.2);
        const auto indices = torch::tensor({3, 0, 39, 5}, torch::kInt64);
        a->setBatch(indices, 7);
        b->setBatch(indices, 7);
        auto la = a->compute({{"prelogits", tIn}}, {{"prelogits", sIn}}, {}, {});
        auto lb = b->compute({{"prelogits", tIn}}, {{"prelogits", sIn}}, {}, {});
        QCOMPARE(la.item<double>(), lb.item<double>());
        auto buffers = a->named_buffers();
        QVERIFY(buffers.contains("memory_s") && buffers.contains("memory_t") && buffers.contains("z"));
        QCOMPARE(buffers["memory_s"].size(0), int64_t{40});
        QVERIFY(buffers["z"][0].item<double>() > 0);  // set by the first batch
        // Another step draws other negatives.
        b->setBatch(indices, 8);
        a->setBatch(indices, 7);
        QVERIFY(a->compute({{"prelogits", tIn}}, {{"prelogits", sIn}}, {}, {}).item<double>() !=
                b->compute({{"prelogits", tIn}}, {{"prelogits", sIn}}, {}, {}).item<double>());
        // More negatives than samples cannot be drawn without the positives: a clear error.
        spec.params["negatives"] = 40;
        QVERIFY_THROWS_EXCEPTION(Error, LossTerm(spec, Task::Classification, Shape{5}, Shape{6}, 40));
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
        // Relations compare batch×batch matrices: any two taps, vectors or maps, of any widths.
        for (LossMethod m : {LossMethod::Sp, LossMethod::Cc, LossMethod::Rkd, LossMethod::Pkt}) {
            QVERIFY(tapPairProblem(m, Shape{64, 7, 7}, Shape{16, 28, 28}).empty());
            QVERIFY(tapPairProblem(m, Shape{64}, Shape{32, 7, 7}).empty());
        }
        QVERIFY(tapPairProblem(LossMethod::Nst, Shape{64, 7, 7}, Shape{16, 14, 14}).empty());
        QVERIFY(tapPairProblem(LossMethod::Vid, Shape{64, 7, 7}, Shape{16, 14, 14}).empty());
        QVERIFY(!tapPairProblem(LossMethod::Vid, Shape{64}, Shape{16, 14, 14}).empty());
        QVERIFY(!tapPairProblem(LossMethod::Nst, Shape{64}, Shape{64, 7, 7}).empty());
        for (LossMethod m : {LossMethod::Dkd, LossMethod::Dist}) {
            QVERIFY(tapPairProblem(m, Shape{10}, Shape{10}).empty());
            QVERIFY(!tapPairProblem(m, Shape{10}, Shape{7}).empty());
            QVERIFY(!tapPairProblem(m, Shape{10, 8, 8}, Shape{10, 8, 8}).empty());
        }
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
