#include "core/internal/losses.h"

#include <torch/csrc/autograd/autograd.h>

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>

#include "core/detection.h"
#include "core/zoo.h"

namespace distillery {

namespace F = torch::nn::functional;

namespace {

/** (N,C) vectors become (N,C,1,1) so that every feature loss works on 4-D maps. */
torch::Tensor as4d(const torch::Tensor& x) {
    return x.dim() == 2 ? x.view({x.size(0), x.size(1), 1, 1}) : x;
}

std::string shapeText(const std::vector<int64_t>& s) {
    std::string out;
    for (auto d : s)
        out += (out.empty() ? "" : "x") + std::to_string(d);
    return out;
}

}  // namespace

torch::Tensor resizeTo(const torch::Tensor& x, int64_t h, int64_t w) {
    if (x.size(2) == h && x.size(3) == w) return x;
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{h, w})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

torch::Tensor gaussianFocalLoss(const torch::Tensor& logits, const torch::Tensor& heat, double alpha,
                                double gamma) {
    auto p = torch::sigmoid(logits.to(torch::kFloat32)).clamp(1e-4, 1.0 - 1e-4);
    auto h = heat.to(torch::kFloat32);
    auto pos = h.eq(1.0).to(torch::kFloat32);
    auto posLoss = (torch::log(p) * torch::pow(1.0 - p, alpha) * pos).sum();
    auto negLoss =
        (torch::log(1.0 - p) * torch::pow(p, alpha) * torch::pow(1.0 - h, gamma) * (1.0 - pos)).sum();
    return -(posLoss + negLoss) / pos.sum().clamp_min(1.0);
}

torch::Tensor centreL1Loss(const torch::Tensor& prediction, const torch::Tensor& target,
                           const torch::Tensor& centres) {
    auto m = centres.to(torch::kFloat32).unsqueeze(1);
    auto diff = (prediction.to(torch::kFloat32) - target.to(torch::kFloat32)).abs() * m;
    return diff.sum() / (m.sum() * prediction.size(1) + 1e-4);
}

torch::Tensor detectionLoss(const torch::Tensor& output, const torch::Tensor& target) {
    const int64_t k = output.size(1) - 4;
    if (target.dim() != 4 || target.size(1) != k + 5 || target.size(2) != output.size(2) ||
        target.size(3) != output.size(3))
        throw Error("detection: the model's output " + shapeText(output.sizes().vec()) +
                    " does not fit the targets " + shapeText(target.sizes().vec()) +
                    " (K + 4 maps at stride 4 against K + 5)");
    auto centres = target.select(1, k + 4);
    return gaussianFocalLoss(output.narrow(1, 0, k), target.narrow(1, 0, k)) +
           kSizeLossWeight * centreL1Loss(output.narrow(1, k, 2), target.narrow(1, k, 2), centres) +
           centreL1Loss(output.narrow(1, k + 2, 2), target.narrow(1, k + 2, 2), centres);
}

torch::Tensor sigmoidPixelKdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau) {
    auto s = student.to(torch::kFloat32) / tau;
    auto t = teacher.to(torch::kFloat32) / tau;
    auto pt = torch::sigmoid(t);
    // KL(Bernoulli(p_t) ‖ Bernoulli(p_s)) through log-sigmoids: log σ(x) and log(1 − σ(x)) = log σ(−x).
    auto kl = pt * (F::logsigmoid(t) - F::logsigmoid(s)) + (1 - pt) * (F::logsigmoid(-t) - F::logsigmoid(-s));
    const double positions = static_cast<double>(s.size(0) * s.size(2) * s.size(3));
    return kl.sum() * (tau * tau / positions);
}

std::pair<torch::Tensor, torch::Tensor> fgdMasks(const std::vector<std::vector<Box>>& boxes, int64_t h,
                                                 int64_t w, int64_t imageH, int64_t imageW) {
    const auto n = static_cast<int64_t>(boxes.size());
    auto fg = torch::empty({n, h, w}, torch::kFloat32);
    auto bg = torch::empty({n, h, w}, torch::kFloat32);
    for (int64_t i = 0; i < n; ++i) {
        const auto mask =
            fgdForegroundMask(boxes[static_cast<size_t>(i)], static_cast<int>(h), static_cast<int>(w),
                              static_cast<int>(imageH), static_cast<int>(imageW));
        std::copy(mask.begin(), mask.end(), fg[i].data_ptr<float>());
        auto back = (fg[i] == 0).to(torch::kFloat32);
        const double count = back.sum().item<double>();
        bg[i] = count > 0 ? back / count : back;
    }
    return {fg, bg};
}

std::pair<torch::Tensor, torch::Tensor> fgdAttention(const torch::Tensor& map, double temperature) {
    auto value = map.to(torch::kFloat32).abs();
    const int64_t n = value.size(0), c = value.size(1), h = value.size(2), w = value.size(3);
    auto spatial =
        (static_cast<double>(h * w) * torch::softmax((value.mean(1) / temperature).view({n, -1}), 1))
            .view({n, h, w});
    auto channel = static_cast<double>(c) * torch::softmax(value.mean({2, 3}) / temperature, 1);
    return {spatial, channel};
}

std::array<torch::Tensor, 3> fgdFocalLosses(const torch::Tensor& student, const torch::Tensor& teacher,
                                            const torch::Tensor& fg, const torch::Tensor& bg,
                                            double temperature) {
    auto s = student.to(torch::kFloat32), t = teacher.to(torch::kFloat32);
    const double n = static_cast<double>(s.size(0));
    auto [spatialT, channelT] = fgdAttention(t, temperature);
    auto [spatialS, channelS] = fgdAttention(s, temperature);
    // (F_S·√A_S·√A_C·√M − F_T·√A_S·√A_C·√M)² = (F_S − F_T)²·A_S·A_C·M, all with the teacher's attention.
    auto weight = spatialT.unsqueeze(1) * channelT.unsqueeze(-1).unsqueeze(-1);
    auto sq = (s - t).square() * weight;
    auto fgLoss = (sq * fg.unsqueeze(1)).sum() / n;
    auto bgLoss = (sq * bg.unsqueeze(1)).sum() / n;
    auto attention = (channelS - channelT).abs().sum() / n + (spatialS - spatialT).abs().sum() / n;
    return {fgLoss, bgLoss, attention};
}

GcBlockImpl::GcBlockImpl(int64_t channels) {
    const int64_t mid = std::max<int64_t>(1, channels / 2);
    mMask = register_module("conv_mask", torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, 1, 1)));
    auto last = torch::nn::Conv2d(torch::nn::Conv2dOptions(mid, channels, 1));
    mAdd = register_module(
        "channel_add", torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(channels, mid, 1)),
                                             torch::nn::LayerNorm(torch::nn::LayerNormOptions({mid, 1, 1})),
                                             torch::nn::ReLU(), last));
    torch::NoGradGuard noGrad;
    // The authors' reset_parameters: kaiming (fan_in) for the context conv, the last conv at zero.
    torch::nn::init::kaiming_normal_(mMask->weight, 0.0, torch::kFanIn);
    mMask->bias.zero_();
    last->weight.zero_();
    last->bias.zero_();
}

torch::Tensor GcBlockImpl::forward(const torch::Tensor& x) {
    const int64_t n = x.size(0), c = x.size(1);
    auto logits = mMask->forward(x).view({n, 1, -1});
    auto weights = torch::softmax(logits, 2).unsqueeze(-1);        // N, 1, HW, 1
    auto context = torch::matmul(x.view({n, 1, c, -1}), weights);  // N, 1, C, 1
    return x + mAdd->forward(context.view({n, c, 1, 1}));
}

torch::Tensor taskLoss(const torch::Tensor& logits, const torch::Tensor& target) {
    if (target.is_floating_point() && target.dim() == 4) return detectionLoss(logits, target);
    return F::cross_entropy(logits, target, F::CrossEntropyFuncOptions().ignore_index(kIgnoreIndex));
}

torch::Tensor kdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau) {
    auto logPs = torch::log_softmax(student / tau, 1);
    auto logPt = torch::log_softmax(teacher / tau, 1);
    auto kl = (logPt.exp() * (logPt - logPs)).sum(1);
    return kl.mean() * (tau * tau);
}

torch::Tensor fitnetLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    return (student - teacher).pow(2).mean();
}

torch::Tensor atLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    auto attention = [](const torch::Tensor& f) {
        auto a = f.pow(2).mean(1).flatten(1);
        return F::normalize(a, F::NormalizeFuncOptions().p(2).dim(1));
    };
    auto s = attention(student);
    auto t = attention(teacher);
    return (s - t).pow(2).sum(1).mean();
}

torch::Tensor pixelKdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau) {
    auto logPs = torch::log_softmax(student / tau, 1);
    auto logPt = torch::log_softmax(teacher / tau, 1);
    return (logPt.exp() * (logPt - logPs)).sum(1).mean();
}

torch::Tensor pairKdLoss(const torch::Tensor& student, const torch::Tensor& teacher, int64_t pool) {
    auto similarity = [pool](const torch::Tensor& f) {
        // Max pooling into nodes, as the structured-KD reference code does.
        auto p = pool > 1 ? F::max_pool2d(f, F::MaxPool2dFuncOptions(pool).stride(pool).ceil_mode(true)) : f;
        auto nodes = p.flatten(2);  // N, C, M
        nodes = F::normalize(nodes, F::NormalizeFuncOptions().p(2).dim(1));
        return torch::bmm(nodes.transpose(1, 2), nodes);  // N, M, M
    };
    return (similarity(student) - similarity(teacher)).pow(2).mean();
}

torch::Tensor cwdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double tau) {
    TORCH_CHECK(student.sizes() == teacher.sizes(), "cwd: student ", student.sizes(), " vs teacher ",
                teacher.sizes());
    const int64_t n = teacher.size(0), c = teacher.size(1);
    auto s = student.reshape({n * c, -1}) / tau;
    auto t = teacher.reshape({n * c, -1}) / tau;
    // log_softmax on both sides: softmax().log() underflows to -inf on peaked maps.
    auto logPt = torch::log_softmax(t, 1);
    auto logPs = torch::log_softmax(s, 1);
    auto kl = (logPt.exp() * (logPt - logPs)).sum();
    return kl * (tau * tau) / static_cast<double>(n * c);
}

namespace {

torch::Tensor flat(const torch::Tensor& x) {
    return x.reshape({x.size(0), -1});
}

/** Pairwise Euclidean distances with a zero diagonal (RKD). */
torch::Tensor pairwiseDistances(const torch::Tensor& e) {
    auto sq = e.pow(2).sum(1);
    auto d = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * e.matmul(e.t())).clamp_min(1e-12).sqrt();
    return d * (1 - torch::eye(e.size(0), e.options()));
}

torch::Tensor pearson(const torch::Tensor& a, const torch::Tensor& b) {
    auto ac = a - a.mean(1, true), bc = b - b.mean(1, true);
    return (ac * bc).sum(1) / (ac.norm(2, 1) * bc.norm(2, 1) + 1e-8);
}

}  // namespace

torch::Tensor spLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    auto gram = [](const torch::Tensor& f) {
        auto x = flat(f);
        return F::normalize(x.matmul(x.t()), F::NormalizeFuncOptions().p(2).dim(1));
    };
    const double n = static_cast<double>(student.size(0));
    return (gram(teacher) - gram(student)).pow(2).sum() / (n * n);
}

torch::Tensor ccLoss(const torch::Tensor& student, const torch::Tensor& teacher, double gamma, int order) {
    auto kernel = [&](const torch::Tensor& f) {
        auto x = F::normalize(flat(f), F::NormalizeFuncOptions().p(2).dim(1));
        auto g = x.matmul(x.t());
        // exp(−γ‖a−b‖²) = exp(−2γ)·exp(2γ a·b) for unit vectors; exp(2γ a·b) to order P.
        torch::Tensor k = torch::zeros_like(g);
        double coefficient = std::exp(-2.0 * gamma);
        torch::Tensor power = torch::ones_like(g);
        for (int p = 0; p <= order; ++p) {
            if (p > 0) {
                power = power * g;
                coefficient *= 2.0 * gamma / p;
            }
            k = k + coefficient * power;
        }
        return k;
    };
    const double n = static_cast<double>(student.size(0));
    return (kernel(student) - kernel(teacher)).pow(2).sum() / (n * n);
}

torch::Tensor rkdLoss(const torch::Tensor& student, const torch::Tensor& teacher, double distanceWeight,
                      double angleWeight) {
    auto s = flat(student), t = flat(teacher);
    torch::Tensor loss = torch::zeros({}, s.options());
    if (distanceWeight != 0.0) {
        auto normalised = [](const torch::Tensor& d) {
            // Over the mean of the non-zero distances (all equal embeddings, or one sample: none, and no
            // scale).
            auto positive = d.gt(0).to(d.scalar_type());
            auto mean = d.sum() / positive.sum().clamp_min(1.0);
            return d / mean.clamp_min(1e-12);
        };
        torch::Tensor td;
        {
            torch::NoGradGuard noGrad;
            td = normalised(pairwiseDistances(t.detach()));
        }
        loss = loss + distanceWeight * F::smooth_l1_loss(normalised(pairwiseDistances(s)), td);
    }
    if (angleWeight != 0.0) {
        auto angles = [](const torch::Tensor& e) {
            auto diff = F::normalize(e.unsqueeze(0) - e.unsqueeze(1), F::NormalizeFuncOptions().p(2).dim(2));
            return torch::bmm(diff, diff.transpose(1, 2)).reshape({-1});
        };
        torch::Tensor ta;
        {
            torch::NoGradGuard noGrad;
            ta = angles(t.detach());
        }
        loss = loss + angleWeight * F::smooth_l1_loss(angles(s), ta);
    }
    return loss;
}

torch::Tensor pktLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    constexpr double eps = 1e-7;
    auto conditional = [](const torch::Tensor& f) {
        auto x = flat(f);
        x = x / (x.pow(2).sum(1, true).sqrt() + eps);
        auto m = (x.matmul(x.t()) + 1.0) / 2.0;
        return m / m.sum(1, true);
    };
    auto ps = conditional(student), pt = conditional(teacher);
    return (pt * torch::log((pt + eps) / (ps + eps))).mean();
}

torch::Tensor nstLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    auto s = as4d(student), t = as4d(teacher);
    if (s.size(2) > t.size(2) || s.size(3) > t.size(3))
        s = F::adaptive_avg_pool2d(s, F::AdaptiveAvgPool2dFuncOptions({t.size(2), t.size(3)}));
    else if (s.size(2) < t.size(2) || s.size(3) < t.size(3))
        t = F::adaptive_avg_pool2d(t, F::AdaptiveAvgPool2dFuncOptions({s.size(2), s.size(3)}));
    auto maps = [](const torch::Tensor& f) {
        return F::normalize(f.reshape({f.size(0), f.size(1), -1}), F::NormalizeFuncOptions().p(2).dim(2));
    };
    s = maps(s);
    t = maps(t);
    // Mean of (a·b)² over every pair of channels of one sample, averaged over the batch.
    auto kernel = [](const torch::Tensor& a, const torch::Tensor& b) {
        return torch::bmm(a, b.transpose(1, 2)).pow(2).mean();
    };
    return kernel(t, t).detach() + kernel(s, s) - 2 * kernel(s, t);
}

torch::Tensor dkdLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& target,
                      double alpha, double beta, double tau) {
    const double n = static_cast<double>(target.size(0));
    auto gt = torch::zeros_like(student).scatter_(1, target.unsqueeze(1), 1.0);
    auto other = 1.0 - gt;
    auto ps = torch::softmax(student / tau, 1), pt = torch::softmax(teacher / tau, 1);
    auto binary = [&](const torch::Tensor& p) {
        return torch::cat({(p * gt).sum(1, true), (p * other).sum(1, true)}, 1);
    };
    auto bs = binary(ps), bt = binary(pt);
    // xlogy: a teacher probability that underflows to 0 contributes 0, as KL's definition (and F.kl_div) has
    // it.
    auto tckd = (torch::xlogy(bt, bt) - bt * torch::log(bs)).sum() * (tau * tau) / n;
    // The target class is masked out of both distributions (shifted by −1000 before the softmax).
    auto logPt2 = torch::log_softmax(teacher / tau - 1000.0 * gt, 1);
    auto logPs2 = torch::log_softmax(student / tau - 1000.0 * gt, 1);
    auto nckd = (logPt2.exp() * (logPt2 - logPs2)).sum() * (tau * tau) / n;
    return alpha * tckd + beta * nckd;
}

torch::Tensor distLoss(const torch::Tensor& student, const torch::Tensor& teacher, double beta, double gamma,
                       double tau) {
    auto ys = torch::softmax(student / tau, 1), yt = torch::softmax(teacher / tau, 1);
    auto inter = 1.0 - pearson(ys, yt).mean();
    auto intra = 1.0 - pearson(ys.t(), yt.t()).mean();
    return (tau * tau) * (beta * inter + gamma * intra);
}

torch::Tensor vidLoss(const torch::Tensor& mean, const torch::Tensor& teacher,
                      const torch::Tensor& variance) {
    auto v = variance.view({1, -1, 1, 1});
    return (0.5 * ((mean - teacher).pow(2) / v + torch::log(v))).mean();
}

torch::Tensor crdLoss(const torch::Tensor& vs, const torch::Tensor& vt, const torch::Tensor& idx,
                      torch::Tensor& memoryS, torch::Tensor& memoryT, torch::Tensor& z, double temperature,
                      double momentum, bool update) {
    const int64_t b = vs.size(0), d = vs.size(1), k1 = idx.size(1), rows = memoryS.size(0);
    const double n = static_cast<double>(rows);
    // ⟨bank[idx[i][k]], v_i⟩ for every sample i and drawn row k. Gathering the B·(K+1) rows moves B·(K+1)·D
    // values (1 GiB a step at RepDistiller's 16 384 negatives); scoring v against the whole bank and picking
    // the drawn columns moves n·(D + B), far less when the bank is no larger than the draws. (A copy of the
    // bank: the backward pass needs it as it was, and the update below changes it in place.)
    auto scores = [&](const torch::Tensor& memory, const torch::Tensor& v) {
        if (rows * (d + b) < b * k1 * d) return v.matmul(memory.detach().clone().t()).gather(1, idx);
        auto drawn = memory.index_select(0, idx.reshape({-1})).detach().view({b, k1, d});
        return torch::bmm(drawn, v.view({b, d, 1})).squeeze(2);
    };
    // Teacher embeddings scored against the student's bank and the other way round.
    auto outT = torch::exp(scores(memoryS, vt) / temperature);
    auto outS = torch::exp(scores(memoryT, vs) / temperature);
    {
        torch::NoGradGuard noGrad;
        if (z[0].item<double>() < 0) z[0] = outS.mean().item<double>() * n;
        if (z[1].item<double>() < 0) z[1] = outT.mean().item<double>() * n;
    }
    outS = outS / z[0].item<double>();
    outT = outT / z[1].item<double>();
    // NCE with m = K negatives drawn uniformly (P_n = 1/n).
    auto nce = [&](const torch::Tensor& x) {
        constexpr double eps = 1e-7;
        const double m = static_cast<double>(k1 - 1), pn = 1.0 / n;
        auto pos = x.select(1, 0);
        auto logD1 = torch::log(pos / (pos + m * pn + eps));
        auto neg = x.narrow(1, 1, k1 - 1);
        auto logD0 = torch::log((m * pn) / (neg + m * pn + eps));
        return -(logD1.sum() + logD0.sum()) / static_cast<double>(b);
    };
    auto loss = nce(outS) + nce(outT);
    if (update) {
        torch::NoGradGuard noGrad;
        auto own = idx.select(1, 0);
        auto move = [&](torch::Tensor& memory, const torch::Tensor& v) {
            auto rows = memory.index_select(0, own) * momentum + v.detach() * (1.0 - momentum);
            memory.index_copy_(0, own, rows / rows.pow(2).sum(1, true).sqrt());
        };
        move(memoryS, vs);
        move(memoryT, vt);
    }
    return loss;
}

namespace {

/** The larger of two maps average-pooled to the smaller's size, dimension by dimension (FSP, FT, VID). */
std::pair<torch::Tensor, torch::Tensor> poolToSmaller(torch::Tensor a, torch::Tensor b) {
    const int64_t h = std::min(a.size(2), b.size(2)), w = std::min(a.size(3), b.size(3));
    if (a.size(2) != h || a.size(3) != w)
        a = F::adaptive_avg_pool2d(a, F::AdaptiveAvgPool2dFuncOptions({h, w}));
    if (b.size(2) != h || b.size(3) != w)
        b = F::adaptive_avg_pool2d(b, F::AdaptiveAvgPool2dFuncOptions({h, w}));
    return {a, b};
}

torch::Tensor fspMatrix(const torch::Tensor& bottom, const torch::Tensor& top) {
    auto [b, t] = poolToSmaller(as4d(bottom), as4d(top));
    const double hw = static_cast<double>(b.size(2) * b.size(3));
    return torch::bmm(t.flatten(2), b.flatten(2).transpose(1, 2)) / hw;  // N, C_top, C_bottom
}

}  // namespace

torch::Tensor fspLoss(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher) {
    TORCH_CHECK(student.size() == teacher.size() && student.size() >= 2, "fsp: needs two or more tap pairs");
    torch::Tensor loss;
    for (size_t i = 0; i + 1 < student.size(); ++i) {
        auto d =
            (fspMatrix(student[i], student[i + 1]) - fspMatrix(teacher[i], teacher[i + 1])).pow(2).mean();
        loss = loss.defined() ? loss + d : d;
    }
    return loss;
}

torch::Tensor hclLoss(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher) {
    TORCH_CHECK(student.size() == teacher.size() && !student.empty(), "hcl: one teacher map per student map");
    torch::Tensor all;
    for (size_t i = 0; i < student.size(); ++i) {
        const auto& fs = student[i];
        const auto& ft = teacher[i];
        TORCH_CHECK(fs.sizes() == ft.sizes(), "hcl: student ", fs.sizes(), " vs teacher ", ft.sizes());
        auto loss = F::mse_loss(fs, ft);
        double weight = 1.0, total = 1.0;
        for (int64_t l : {4, 2, 1}) {
            if (l >= fs.size(2)) continue;
            weight /= 2.0;
            auto o = F::AdaptiveAvgPool2dFuncOptions({l, l});
            loss = loss + F::mse_loss(F::adaptive_avg_pool2d(fs, o), F::adaptive_avg_pool2d(ft, o)) * weight;
            total += weight;
        }
        loss = loss / total;
        all = all.defined() ? all + loss : loss;
    }
    return all;
}

torch::Tensor abLoss(const std::vector<torch::Tensor>& student, const std::vector<torch::Tensor>& teacher,
                     double margin) {
    TORCH_CHECK(student.size() == teacher.size() && !student.empty(), "ab: one teacher map per student map");
    const int64_t k = static_cast<int64_t>(student.size());
    torch::Tensor all;
    for (int64_t i = 0; i < k; ++i) {
        const auto& s = student[i];
        const auto& t = teacher[i];
        TORCH_CHECK(s.sizes() == t.sizes(), "ab: student ", s.sizes(), " vs teacher ", t.sizes());
        auto on = t.gt(0).to(s.scalar_type()), off = t.le(0).to(s.scalar_type());
        auto loss = ((s + margin).pow(2) * (s.gt(-margin).to(s.scalar_type()) * off) +
                     (s - margin).pow(2) * (s.le(margin).to(s.scalar_type()) * on))
                        .sum();
        const double weight = std::ldexp(1.0, static_cast<int>(i - k + 1));
        loss = loss * (weight / static_cast<double>(s.size(0)) / 1000.0 * 3.0);
        all = all.defined() ? all + loss : loss;
    }
    return all;
}

torch::Tensor ftLoss(const torch::Tensor& student, const torch::Tensor& teacher) {
    auto [s, t] = poolToSmaller(as4d(student), as4d(teacher));
    auto factor = [](const torch::Tensor& f) {
        return F::normalize(f.pow(2).mean(1).reshape({f.size(0), -1}), F::NormalizeFuncOptions().p(2).dim(1));
    };
    return (factor(s) - factor(t)).abs().mean();
}

torch::Tensor dmlLoss(const torch::Tensor& student, const torch::Tensor& peer, const torch::Tensor& target,
                      double tau, const torch::Tensor& teacher, double teacherKd) {
    auto loss =
        kdLoss(student, peer.detach(), tau) + taskLoss(peer, target) + kdLoss(peer, student.detach(), tau);
    if (teacher.defined() && teacherKd > 0.0) loss = loss + teacherKd * kdLoss(peer, teacher.detach(), tau);
    return loss;
}

torch::Tensor iddLoss(const torch::Tensor& student, const torch::Tensor& teacher, const torch::Tensor& labels,
                      double tau, double position) {
    const auto s = as4d(student).to(torch::kFloat32), t = as4d(teacher).to(torch::kFloat32);
    const int64_t n = t.size(0), h = t.size(2), w = t.size(3);
    auto lab = labels.to(t.device());
    if (lab.size(1) != h || lab.size(2) != w)
        lab =
            F::interpolate(lab.unsqueeze(1).to(torch::kFloat32),
                           F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest))
                .squeeze(1)
                .to(torch::kLong);
    lab = lab.flatten(1);
    const auto unit = F::NormalizeFuncOptions().p(2).dim(1);
    const auto fs = F::normalize(s, unit).flatten(2), ft = F::normalize(t, unit).flatten(2);  // N, C, P
    // Euclidean distances between the centres, pair by pair (k < l).
    auto distances = [](const torch::Tensor& c, const torch::Tensor& pairs) {
        const auto d = c.index_select(0, pairs[0]) - c.index_select(0, pairs[1]);
        return d.pow(2).sum(1).clamp_min(1e-12).sqrt();
    };
    torch::Tensor icd = torch::zeros({}, t.options()), pos = torch::zeros({}, t.options());
    int64_t icdImages = 0, posImages = 0;
    for (int64_t i = 0; i < n; ++i) {
        const auto li = lab[i];
        const auto classes = std::get<0>(at::_unique(li.masked_select(li != 255), true));
        const int64_t k = classes.numel();
        if (k == 0) continue;
        const auto onehot = (li.unsqueeze(0) == classes.unsqueeze(1)).to(torch::kFloat32);  // K, P
        const auto count = onehot.sum(1, true);
        const auto cs = onehot.matmul(fs[i].t()) / count, ct = onehot.matmul(ft[i].t()) / count;  // K, C
        if (k >= 2) {
            const auto pairs =
                torch::triu_indices(k, k, 1, torch::TensorOptions().dtype(torch::kLong).device(t.device()));
            icd = icd + (distances(cs, pairs) - distances(ct, pairs)).pow(2).mean();
            ++icdImages;
        }
        // Where each class lives: every pixel's cosine similarity to the class centre, as a spatial softmax.
        const auto logS = F::log_softmax(F::normalize(cs, unit).matmul(fs[i]) / tau, 1);
        const auto logT = F::log_softmax(F::normalize(ct, unit).matmul(ft[i]) / tau, 1);
        pos = pos + (logT.exp() * (logT - logS)).sum(1).mean();
        ++posImages;
    }
    return icd / static_cast<double>(std::max<int64_t>(1, icdImages)) +
           position * pos / static_cast<double>(std::max<int64_t>(1, posImages));
}

AbfImpl::AbfImpl(int64_t in, int64_t mid, int64_t out, bool fuse) {
    mConv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(in, mid, 1).bias(false)));
    mBn1 = register_module("bn1", torch::nn::BatchNorm2d(mid));
    mConv2 = register_module("conv2",
                             torch::nn::Conv2d(torch::nn::Conv2dOptions(mid, out, 3).padding(1).bias(false)));
    mBn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
    if (fuse) mAtt = register_module("att", torch::nn::Conv2d(torch::nn::Conv2dOptions(2 * mid, 2, 1)));
    // The reference initialises both convolutions with kaiming_uniform_(a=1).
    torch::NoGradGuard noGrad;
    for (auto* conv : {&mConv1, &mConv2})
        torch::nn::init::kaiming_uniform_((*conv)->weight, 1.0);
}

std::pair<torch::Tensor, torch::Tensor> AbfImpl::forward(const torch::Tensor& input,
                                                         const torch::Tensor& residual, int64_t outH,
                                                         int64_t outW) {
    auto nearest = [](const torch::Tensor& x, int64_t h, int64_t w) {
        if (x.size(2) == h && x.size(3) == w) return x;
        return F::interpolate(
            x, F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kNearest));
    };
    auto x = mBn1->forward(mConv1->forward(input));
    if (!mAtt.is_empty()) {
        auto y = nearest(residual, x.size(2), x.size(3));
        auto z = torch::sigmoid(mAtt->forward(torch::cat({x, y}, 1)));
        x = x * z.narrow(1, 0, 1) + y * z.narrow(1, 1, 1);
    }
    x = nearest(x, outH, outW);
    return {mBn2->forward(mConv2->forward(x)), x};
}

std::string tapPairProblem(LossMethod m, const std::vector<int64_t>& teacherShape,
                           const std::vector<int64_t>& studentShape) {
    if (m == LossMethod::Task) return {};
    if (teacherShape.empty() || studentShape.empty()) return "taps have no shape";
    const bool tSpatial = teacherShape.size() == 3, sSpatial = studentShape.size() == 3;
    const int64_t tc = teacherShape[0], sc = studentShape[0];
    if (m == LossMethod::Kd) {
        if (tSpatial || sSpatial) return "kd needs class logits vectors; use pixel_kd for dense maps";
        if (tc != sc) return "teacher and student class counts differ";
    } else if (m == LossMethod::PixelKd) {
        if (!tSpatial || !sSpatial) return "pixel_kd needs dense (C×H×W) logits";
        if (tc != sc) return "teacher and student class counts differ";
    } else if (m == LossMethod::Dkd || m == LossMethod::Dist || m == LossMethod::Dml) {
        if (tSpatial || sSpatial) return std::string(methodName(m)) + " needs class logits vectors";
        if (tc != sc) return "teacher and student class counts differ";
    } else if (m == LossMethod::At || m == LossMethod::PairKd || m == LossMethod::Cwd ||
               m == LossMethod::Nst || m == LossMethod::Vid || m == LossMethod::Fgd || m == LossMethod::Idd) {
        if (!tSpatial || !sSpatial) return std::string(methodName(m)) + " needs spatial (C×H×W) taps";
    } else if (m == LossMethod::Ab || m == LossMethod::Ft) {
        if (!tSpatial || !sSpatial) return std::string(methodName(m)) + " needs spatial (C×H×W) taps";
    } else if (m == LossMethod::Fsp) {
        if (tc != sc)
            return "fsp compares Gram matrices between channels: teacher and student taps need the same "
                   "channel counts";
    }
    // sp, cc, rkd and pkt compare batch×batch relations: any two taps.
    return {};
}

LossTermImpl::LossTermImpl(LossTermSpec spec, Task task, std::vector<int64_t> teacherShape,
                           std::vector<int64_t> studentShape, int64_t trainSamples)
    : LossTermImpl(std::move(spec), task, std::vector<std::vector<int64_t>>{std::move(teacherShape)},
                   std::vector<std::vector<int64_t>>{std::move(studentShape)}, trainSamples) {}

LossTermImpl::LossTermImpl(LossTermSpec spec, Task task, std::vector<std::vector<int64_t>> teacherShapes,
                           std::vector<std::vector<int64_t>> studentShapes, int64_t trainSamples)
    : mSpec(std::move(spec)), mTask(task) {
    const LossMethod m = mSpec.method;
    if (m == LossMethod::Task) return;
    const std::string where = "loss term " + mSpec.label() + ": ";
    if (m == LossMethod::Dml) {
        // The peer is built by createPeer once the data's shape is known; it needs class labels.
        if (task != Task::Classification)
            throw Error(where + "dml compares class predictions: it needs a classification task");
        return;
    }
    if (teacherShapes.empty() || teacherShapes.size() != studentShapes.size())
        throw Error(where + "expected one student tap for each teacher tap");
    if (methodTakesTapList(m)) {
        const auto tNames = mSpec.allTeacherTaps(), sNames = mSpec.allStudentTaps();
        if (static_cast<int>(teacherShapes.size()) < minimumTaps(m))
            throw Error(where + methodName(m) + " needs at least " + std::to_string(minimumTaps(m)) +
                        " taps");
        for (size_t i = 0; i < teacherShapes.size(); ++i) {
            const std::string problem = tapPairProblem(m, teacherShapes[i], studentShapes[i]);
            if (!problem.empty())
                throw Error(where + problem + " (teacher tap '" + tNames.at(i) + "' is " +
                            shapeText(teacherShapes[i]) + ", student tap '" + sNames.at(i) + "' is " +
                            shapeText(studentShapes[i]) + ")");
        }
        if (m == LossMethod::Ab) {
            // RepDistiller's Connector: none where the shapes agree, else its ConvReg without ReLU (a conv
            // with bias that maps the student's map onto the teacher's shape, then a batch norm).
            for (size_t i = 0; i < studentShapes.size(); ++i) {
                const auto& s = studentShapes[i];
                const auto& t = teacherShapes[i];
                if (s == t) {
                    mConnectors.emplace_back(nullptr);
                    continue;
                }
                const int64_t sc = s[0], sh = s[1], sw = s[2], tc = t[0], th = t[1], tw = t[2];
                torch::nn::Sequential c;
                if (sh == 2 * th)
                    c->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(sc, tc, 3).stride(2).padding(1)));
                else if (sh * 2 == th)
                    c->push_back(torch::nn::ConvTranspose2d(
                        torch::nn::ConvTranspose2dOptions(sc, tc, 4).stride(2).padding(1)));
                else if (sh >= th && sw >= tw)
                    c->push_back(
                        torch::nn::Conv2d(torch::nn::Conv2dOptions(sc, tc, {1 + sh - th, 1 + sw - tw})));
                else
                    throw Error(where + "ab maps a student tap of " + shapeText(s) + " onto the teacher's " +
                                shapeText(t) +
                                " only when it is as large, larger, or half as large (tap pair " +
                                std::to_string(i + 1) + ")");
                c->push_back(torch::nn::BatchNorm2d(tc));
                mConnectors.push_back(register_module("connector" + std::to_string(i), c));
            }
        }
        if (m == LossMethod::ReviewKd) {
            // Fusion modules from the deepest tap (the list's last) up; mid channels capped as the reference.
            const int64_t mid = std::min<int64_t>(static_cast<int64_t>(mSpec.param("mid_channels")),
                                                  studentShapes.back().at(0));
            for (size_t i = 0; i < studentShapes.size(); ++i) {
                const bool fuse = i + 1 < studentShapes.size();
                mAbfs.push_back(
                    register_module("abf" + std::to_string(i),
                                    Abf(studentShapes[i].at(0), mid, teacherShapes[i].at(0), fuse)));
            }
        }
        return;
    }
    const std::vector<int64_t>& teacherShape = teacherShapes.front();
    const std::vector<int64_t>& studentShape = studentShapes.front();
    const std::string shapes = " (teacher tap '" + mSpec.teacherTap + "' is " + shapeText(teacherShape) +
                               ", student tap '" + mSpec.studentTap + "' is " + shapeText(studentShape) + ")";
    const std::string problem = tapPairProblem(m, teacherShape, studentShape);
    if (!problem.empty()) throw Error(where + problem + shapes);
    if (m == LossMethod::Dkd && task != Task::Classification)
        throw Error(where + "dkd decouples the target class from the others: it needs a classification task");
    const int64_t tc = teacherShape.at(0), sc = studentShape.at(0);
    if (m == LossMethod::Fgd && task != Task::Detection)
        throw Error(where + "fgd weighs features by the objects' boxes: it needs a detection task");
    if (m == LossMethod::Idd && task != Task::Segmentation)
        throw Error(where + "idd takes class centres from the label masks: it needs a segmentation task");
    const bool needsAdapter =
        m == LossMethod::FitNet || ((m == LossMethod::Cwd || m == LossMethod::Fgd) && tc != sc);
    if (m == LossMethod::Fgd) {
        mGcStudent = register_module("gc_student", GcBlock(tc));
        mGcTeacher = register_module("gc_teacher", GcBlock(tc));
    }
    if (m == LossMethod::Crd) {
        if (trainSamples < 2)
            throw Error(where + "crd keeps a memory bank of the train split: it needs the split's size");
        int64_t ds = 1, dt = 1;
        for (auto v : studentShape)
            ds *= v;
        for (auto v : teacherShape)
            dt *= v;
        const auto dim = static_cast<int64_t>(mSpec.param("feat_dim"));
        const auto negatives = static_cast<int64_t>(mSpec.param("negatives"));
        mEmbedS = register_module("embed_s", torch::nn::Linear(ds, dim));
        mEmbedT = register_module("embed_t", torch::nn::Linear(dt, dim));
        // RepDistiller's initialisation of the banks: uniform in ±1/sqrt(D/3).
        const double stdv = 1.0 / std::sqrt(static_cast<double>(dim) / 3.0);
        mMemoryS = register_buffer("memory_s", torch::rand({trainSamples, dim}) * (2 * stdv) - stdv);
        mMemoryT = register_buffer("memory_t", torch::rand({trainSamples, dim}) * (2 * stdv) - stdv);
        mZ = register_buffer("z", torch::full({2}, -1.0, torch::kFloat64));
        mSeed = torch::randint(1 << 30, {1}, torch::kInt64).item<int64_t>();
        if (negatives >= trainSamples)
            throw Error(where + "crd draws " + std::to_string(negatives) +
                        " negatives from a train split of " + std::to_string(trainSamples) +
                        " samples; set negatives below the split's size");
    }
    if (m == LossMethod::Ft) {
        // RepDistiller's paraphraser (on the teacher, no batch norm) and translator (on the student, with
        // batch norm): 3×3 convs with LeakyReLU(0.1), to rate·C_T factor channels.
        const int64_t k =
            std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(tc) * mSpec.param("rate")));
        auto conv = [](int64_t in, int64_t out) {
            return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1));
        };
        auto deconv = [](int64_t in, int64_t out) {
            return torch::nn::ConvTranspose2d(torch::nn::ConvTranspose2dOptions(in, out, 3).padding(1));
        };
        auto leaky = [] { return torch::nn::LeakyReLU(torch::nn::LeakyReLUOptions().negative_slope(0.1)); };
        mParaphraserEncoder = register_module(
            "paraphraser_encoder",
            torch::nn::Sequential(conv(tc, tc), leaky(), conv(tc, k), leaky(), conv(k, k), leaky()));
        mParaphraserDecoder = register_module(
            "paraphraser_decoder",
            torch::nn::Sequential(deconv(k, k), leaky(), deconv(k, tc), leaky(), deconv(tc, tc), leaky()));
        mTranslator = register_module(
            "translator", torch::nn::Sequential(conv(sc, sc), torch::nn::BatchNorm2d(sc), leaky(),
                                                conv(sc, k), torch::nn::BatchNorm2d(k), leaky(), conv(k, k),
                                                torch::nn::BatchNorm2d(k), leaky()));
    }
    if (m == LossMethod::Vid) {
        // RepDistiller's VID regressor (bias-free 1×1 convs, C_S → C_T → C_T → C_T) and the variance's
        // softplus parameter, initialised so that the variance starts at init_variance.
        auto conv = [](int64_t in, int64_t out) {
            return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 1).bias(false));
        };
        mRegressor =
            register_module("regressor", torch::nn::Sequential(conv(sc, tc), torch::nn::ReLU(), conv(tc, tc),
                                                               torch::nn::ReLU(), conv(tc, tc)));
        const double init = mSpec.param("init_variance");
        mLogScale = register_parameter("log_scale",
                                       torch::full({tc}, std::log(std::expm1(std::max(init - 1e-5, 1e-6)))));
    }
    if (needsAdapter) {
        mAdapter = register_module("adapter", torch::nn::Conv2d(torch::nn::Conv2dOptions(sc, tc, 1).bias(
                                                  m == LossMethod::Cwd || m == LossMethod::Fgd)));
        if (m == LossMethod::FitNet) mAdapterBn = register_module("adapter_bn", torch::nn::BatchNorm2d(tc));
    }
}

void LossTermImpl::createPeer(Task task, int64_t inChannels, int64_t numClasses, int64_t height,
                              int64_t width) {
    if (mSpec.method != LossMethod::Dml) return;
    mPeer = register_module("peer", buildModel(mSpec.peer, task, inChannels, numClasses, height, width));
    mPeer->train();
}

torch::Tensor LossTermImpl::alignStudent(const torch::Tensor& student, const torch::Tensor& teacher) {
    auto s = as4d(student);
    auto t = as4d(teacher);
    if (!mAdapter.is_empty()) {
        s = mAdapter->forward(s);
        if (!mAdapterBn.is_empty()) s = mAdapterBn->forward(s);
    }
    return resizeTo(s, t.size(2), t.size(3));
}

torch::Tensor LossTermImpl::compute(const std::unordered_map<std::string, torch::Tensor>& teacherTaps,
                                    const std::unordered_map<std::string, torch::Tensor>& studentTaps,
                                    const torch::Tensor& output, const torch::Tensor& target) {
    const LossMethod m = mSpec.method;
    if (m == LossMethod::Task) return taskLoss(output, target);
    if (methodTakesTapList(m)) {
        std::vector<torch::Tensor> ts, ss;
        for (const auto& name : mSpec.allTeacherTaps())
            ts.push_back(as4d(teacherTaps.at(name)));
        for (const auto& name : mSpec.allStudentTaps())
            ss.push_back(as4d(studentTaps.at(name)));
        if (m == LossMethod::Fsp) return fspLoss(ss, ts);
        if (m == LossMethod::Ab) {
            std::vector<torch::Tensor> connected;
            for (size_t k = 0; k < ss.size(); ++k)
                connected.push_back(mConnectors[k].is_empty() ? ss[k] : mConnectors[k]->forward(ss[k]));
            return abLoss(connected, ts, mSpec.param("margin"));
        }
        // reviewkd: fuse from the deepest stage to the shallowest, each output at its teacher tap's size.
        std::vector<torch::Tensor> fused(ss.size());
        torch::Tensor residual;
        for (size_t k = ss.size(); k-- > 0;) {
            auto [out, res] = mAbfs[k]->forward(ss[k], residual, ts[k].size(2), ts[k].size(3));
            fused[k] = out;
            residual = res;
        }
        return warmupRamp() * hclLoss(fused, ts);
    }
    if (m == LossMethod::Dml) {
        if (mPeer.is_empty() || !mImages.defined())
            throw Error("dml needs its peer (createPeer) and the batch's images (setImages)");
        const auto it = teacherTaps.find("logits");
        return dmlLoss(output.to(torch::kFloat32), mPeer->forward(mImages).to(torch::kFloat32), target,
                       mSpec.tau, it != teacherTaps.end() ? it->second : torch::Tensor(),
                       mSpec.param("teacher_kd"));
    }
    const torch::Tensor& t = teacherTaps.at(mSpec.teacherTap);
    const torch::Tensor& s = studentTaps.at(mSpec.studentTap);
    switch (m) {
        case LossMethod::Task:
            break;
        case LossMethod::Kd:
            return kdLoss(s, t, mSpec.tau);
        case LossMethod::PixelKd:
            // Detection's heat maps are per-class sigmoids, not a softmax over classes.
            if (mTask == Task::Detection)
                return sigmoidPixelKdLoss(resizeTo(s, t.size(2), t.size(3)), t, mSpec.tau);
            return pixelKdLoss(resizeTo(s, t.size(2), t.size(3)), t, mSpec.tau);
        case LossMethod::At:
            return atLoss(resizeTo(s, t.size(2), t.size(3)), t);
        case LossMethod::PairKd:
            return pairKdLoss(resizeTo(s, t.size(2), t.size(3)), t, mSpec.poolSize);
        case LossMethod::FitNet:
            return fitnetLoss(alignStudent(s, t), as4d(t));
        case LossMethod::Cwd:
            return cwdLoss(alignStudent(s, t), t, mSpec.tau);
        case LossMethod::Dml:
            break;
        case LossMethod::Idd:
            return iddLoss(alignStudent(s, t), t, target, mSpec.tau, mSpec.param("position"));
        case LossMethod::Sp:
            return spLoss(s, t);
        case LossMethod::Cc:
            return ccLoss(s, t, mSpec.param("gamma"), static_cast<int>(mSpec.param("order")));
        case LossMethod::Rkd:
            return rkdLoss(s, t, mSpec.param("distance"), mSpec.param("angle"));
        case LossMethod::Pkt:
            return pktLoss(s, t);
        case LossMethod::Nst:
            return nstLoss(s, t);
        case LossMethod::Dkd: {
            if (mTask != Task::Classification) throw Error("dkd needs class labels (classification)");
            return warmupRamp() * dkdLoss(s, t, target, mSpec.param("alpha"), mSpec.param("beta"), mSpec.tau);
        }
        case LossMethod::Dist:
            return distLoss(s, t, mSpec.param("beta"), mSpec.param("gamma"), mSpec.tau);
        case LossMethod::Crd: {
            if (!mIndices.defined()) throw Error("crd needs the batch's sample indices (setBatch)");
            auto vs = F::normalize(mEmbedS->forward(flat(s)), F::NormalizeFuncOptions().p(2).dim(1));
            auto vt = F::normalize(mEmbedT->forward(flat(t)), F::NormalizeFuncOptions().p(2).dim(1));
            const int64_t b = vs.size(0), k = static_cast<int64_t>(mSpec.param("negatives"));
            // Negatives drawn uniformly over the split from a generator seeded by the step (exact resume).
            auto gen = at::make_generator<at::CPUGeneratorImpl>(static_cast<uint64_t>(mSeed + mStep));
            auto idx = torch::randint(0, mMemoryS.size(0), {b, k + 1}, gen, torch::kInt64);
            idx.select(1, 0).copy_(mIndices.to(torch::kInt64).cpu());
            idx = idx.to(vs.device());
            return crdLoss(vs, vt, idx, mMemoryS, mMemoryT, mZ, mSpec.param("temperature"),
                           mSpec.param("momentum"), is_training());
        }
        case LossMethod::Fgd: {
            if (mBoxes.size() != static_cast<size_t>(t.size(0)))
                throw Error("fgd needs the batch's boxes (setBoxes)");
            auto sa = alignStudent(s, t).to(torch::kFloat32);
            auto tf = as4d(t).to(torch::kFloat32);
            auto [fg, bg] = fgdMasks(mBoxes, tf.size(2), tf.size(3), mImageH, mImageW);
            const double temperature = mSpec.param("temperature");
            auto parts = fgdFocalLosses(sa, tf, fg.to(tf.device()), bg.to(tf.device()), temperature);
            auto relation = (mGcStudent->forward(sa) - mGcTeacher->forward(tf)).square().sum() /
                            static_cast<double>(tf.size(0));
            return mSpec.param("alpha") * parts[0] + mSpec.param("beta") * parts[1] +
                   mSpec.param("gamma") * parts[2] + mSpec.param("lambda") * relation;
        }
        case LossMethod::Fsp:
        case LossMethod::ReviewKd:
        case LossMethod::Ab:
            break;  // the list methods returned above
        case LossMethod::Ft: {
            // The paraphraser is frozen after the initialisation stage: the teacher's factor carries no
            // gradient.
            torch::Tensor factor;
            {
                torch::NoGradGuard noGrad;
                factor = mParaphraserEncoder->forward(as4d(t));
            }
            return ftLoss(mTranslator->forward(as4d(s)), factor);
        }
        case LossMethod::Vid: {
            // The larger map is average-pooled to the smaller size, as RepDistiller does.
            auto [sm, tm] = poolToSmaller(as4d(s), as4d(t));
            auto variance = torch::softplus(mLogScale) + 1e-5;
            return vidLoss(mRegressor->forward(sm), tm, variance);
        }
    }
    throw Error(std::string("loss method ") + methodName(m) + " has no implementation");
}

int LossTermImpl::initEpochs() const {
    for (const auto& p : methodParams(mSpec.method))
        if (p.name == "init_epochs") return static_cast<int>(mSpec.param("init_epochs"));
    return 0;
}

torch::Tensor LossTermImpl::initLoss(const std::unordered_map<std::string, torch::Tensor>& teacherTaps,
                                     const std::unordered_map<std::string, torch::Tensor>& studentTaps) {
    if (mSpec.method == LossMethod::Ft) {
        auto t = as4d(teacherTaps.at(mSpec.teacherTap));
        return F::mse_loss(mParaphraserDecoder->forward(mParaphraserEncoder->forward(t)), t);
    }
    return compute(teacherTaps, studentTaps, {}, {});
}

double LossTermImpl::warmupRamp() const {
    const double warmup = mSpec.param("warmup_epochs");
    return warmup > 0.0 ? std::min(1.0, mProgress / warmup) : 1.0;
}

std::vector<torch::Tensor> LossTermImpl::paraphraserParameters() {
    std::vector<torch::Tensor> out;
    for (auto* part : {&mParaphraserEncoder, &mParaphraserDecoder})
        if (!part->is_empty())
            for (auto& p : (*part)->parameters())
                out.push_back(p);
    return out;
}

std::vector<torch::Tensor> LossTermImpl::initParameters() {
    std::vector<torch::Tensor> out;
    for (auto& c : mConnectors)
        if (!c.is_empty())
            for (auto& p : c->parameters())
                out.push_back(p);
    for (auto& p : paraphraserParameters())
        out.push_back(p);
    return out;
}

std::vector<torch::Tensor> LossTermImpl::trainParameters() {
    const std::vector<torch::Tensor> frozen = paraphraserParameters();
    std::vector<torch::Tensor> out;
    for (auto& p : parameters())
        if (std::none_of(frozen.begin(), frozen.end(), [&](const torch::Tensor& f) { return f.is_same(p); }))
            out.push_back(p);
    return out;
}

std::vector<double> gradientNorms(const std::vector<torch::Tensor>& terms,
                                  const std::vector<torch::Tensor>& parameters) {
    std::vector<torch::Tensor> norms;
    for (const auto& term : terms) {
        auto sum = torch::zeros({}, term.options().dtype(torch::kFloat64));
        if (term.requires_grad()) {
            auto grads = torch::autograd::grad({term}, parameters, {}, /*retain_graph=*/true,
                                               /*create_graph=*/false, /*allow_unused=*/true);
            for (const auto& g : grads)
                if (g.defined()) sum = sum + g.to(torch::kFloat64).square().sum();
        }
        norms.push_back(sum.sqrt());
    }
    if (norms.empty()) return {};
    auto host = torch::stack(norms).to(torch::kCPU).contiguous();
    return {host.data_ptr<double>(), host.data_ptr<double>() + host.numel()};
}

}  // namespace distillery
