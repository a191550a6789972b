#include "core/internal/losses.h"

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

torch::Tensor taskLoss(const torch::Tensor& logits, const torch::Tensor& target) {
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
    } else if (m == LossMethod::At || m == LossMethod::PairKd || m == LossMethod::Cwd) {
        if (!tSpatial || !sSpatial) return std::string(methodName(m)) + " needs spatial (C×H×W) taps";
    }
    return {};
}

LossTermImpl::LossTermImpl(LossTermSpec spec, Task task, std::vector<int64_t> teacherShape,
                           std::vector<int64_t> studentShape)
    : mSpec(std::move(spec)), mTask(task) {
    const LossMethod m = mSpec.method;
    if (m == LossMethod::Task) return;
    const std::string where = "loss term " + mSpec.label() + ": ";
    const std::string shapes = " (teacher tap '" + mSpec.teacherTap + "' is " + shapeText(teacherShape) +
                               ", student tap '" + mSpec.studentTap + "' is " + shapeText(studentShape) + ")";
    const std::string problem = tapPairProblem(m, teacherShape, studentShape);
    if (!problem.empty()) throw Error(where + problem + shapes);
    const int64_t tc = teacherShape.at(0), sc = studentShape.at(0);
    const bool needsAdapter = m == LossMethod::FitNet || (m == LossMethod::Cwd && tc != sc);
    if (needsAdapter) {
        mAdapter = register_module(
            "adapter", torch::nn::Conv2d(torch::nn::Conv2dOptions(sc, tc, 1).bias(m == LossMethod::Cwd)));
        if (m == LossMethod::FitNet) mAdapterBn = register_module("adapter_bn", torch::nn::BatchNorm2d(tc));
    }
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
    const torch::Tensor& t = teacherTaps.at(mSpec.teacherTap);
    const torch::Tensor& s = studentTaps.at(mSpec.studentTap);
    switch (m) {
        case LossMethod::Task:
            break;
        case LossMethod::Kd:
            return kdLoss(s, t, mSpec.tau);
        case LossMethod::PixelKd:
            return pixelKdLoss(resizeTo(s, t.size(2), t.size(3)), t, mSpec.tau);
        case LossMethod::At:
            return atLoss(resizeTo(s, t.size(2), t.size(3)), t);
        case LossMethod::PairKd:
            return pairKdLoss(resizeTo(s, t.size(2), t.size(3)), t, mSpec.poolSize);
        case LossMethod::FitNet:
            return fitnetLoss(alignStudent(s, t), as4d(t));
        case LossMethod::Cwd:
            return cwdLoss(alignStudent(s, t), t, mSpec.tau);
    }
    throw Error(std::string("loss method ") + methodName(m) + " has no implementation");
}

}  // namespace distillery
