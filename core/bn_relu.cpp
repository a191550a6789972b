#include "core/internal/bn_relu.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

namespace distillery {
namespace {

// The loops below run over [rows][channels] (channels-last): the inner loop over channels is contiguous and
// vectorises. GCC builds each hot loop for AVX-512, AVX2 and plain x86-64 and picks one at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__)
#define DISTILLERY_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DISTILLERY_CLONES
#endif

// bf16 as its 16 bits, converted as c10::BFloat16 converts (round to nearest even, NaN kept quiet), written
// out so that the loops vectorise.
inline float load(float v) {
    return v;
}
inline float load(uint16_t v) {
    const uint32_t u = static_cast<uint32_t>(v) << 16;
    float f;
    std::memcpy(&f, &u, sizeof f);
    return f;
}
inline void store(float& dst, float v) {
    dst = v;
}
inline void store(uint16_t& dst, float v) {
    uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    dst = v != v ? uint16_t{0x7FC0} : static_cast<uint16_t>(rounded);
}

// The per-channel sums of one block of rows go to float accumulators, flushed to double every kBlock rows, so
// a large batch loses no precision.
constexpr int64_t kBlock = 64;

// The channels go in groups of kLanes (one AVX-512 register of floats), each group's accumulators held in
// registers while the rows stream past; the loops over a full group have a fixed length, so they unroll and
// vectorise without run-time checks. A last, narrower group (C not a multiple of kLanes) takes the same code
// with its own width.
constexpr int64_t kLanes = 16;

template <typename F>
inline void forEachGroup(int64_t C, F&& group) {
    for (int64_t c0 = 0; c0 < C; c0 += kLanes) {
        if (C - c0 >= kLanes)
            group(c0, std::integral_constant<int64_t, kLanes>{});
        else
            group(c0, C - c0);
    }
}

// Two per-channel sums over rows [begin, end), added to d1 and d2: terms(i, c) gives the two terms of element
// i (its offset in the [rows][C] data) of channel c.
template <typename Terms>
inline void sumPerChannel(int64_t begin, int64_t end, int64_t C, double* __restrict d1, double* __restrict d2,
                          Terms terms) {
    forEachGroup(C, [&](int64_t c0, auto width) {
        const int64_t n = width;
        for (int64_t r0 = begin; r0 < end; r0 += kBlock) {
            const int64_t r1 = std::min(end, r0 + kBlock);
            float s1[kLanes] = {}, s2[kLanes] = {};
            for (int64_t r = r0; r < r1; ++r)
                for (int64_t j = 0; j < n; ++j) {
                    const auto [t1, t2] = terms(r * C + c0 + j, c0 + j);
                    s1[j] += t1;
                    s2[j] += t2;
                }
            for (int64_t j = 0; j < n; ++j) {
                d1[c0 + j] += s1[j];
                d2[c0 + j] += s2[j];
            }
        }
    });
}

// Σ (x − k) and Σ (x − k)² per channel over rows [begin, end), shifted by k (the first row) so that the
// variance does not cancel; added to d1 and d2.
template <typename T>
DISTILLERY_CLONES void gatherStats(const T* __restrict x, const float* __restrict k, int64_t begin,
                                   int64_t end, int64_t C, double* __restrict d1, double* __restrict d2) {
    sumPerChannel(begin, end, C, d1, d2, [&](int64_t i, int64_t c) {
        const float d = load(x[i]) - k[c];
        return std::pair<float, float>(d, d * d);
    });
}

// The batch norm's output is v = a·(x − mean) + b per channel (a = γσ⁻¹, b = β; centred, so that a large mean
// does not cancel), computed the same way in all three passes that need it, so the backward mask is the
// forward's.
// y = min(max(0, v), hi), NaN passed through as torch::relu and hardtanh pass it.
template <typename T>
DISTILLERY_CLONES void normaliseRelu(const T* __restrict x, T* __restrict y, const float* __restrict mean,
                                     const float* __restrict a, const float* __restrict b, float hi,
                                     int64_t begin, int64_t end, int64_t C) {
    for (int64_t r = begin; r < end; ++r)
        forEachGroup(C, [&](int64_t c0, auto width) {
            const int64_t n = width;
            const T* __restrict in = x + r * C + c0;
            T* __restrict out = y + r * C + c0;
            for (int64_t j = 0; j < n; ++j) {
                const float v = (load(in[j]) - mean[c0 + j]) * a[c0 + j] + b[c0 + j];
                store(out[j], v < 0.f ? 0.f : (v > hi ? hi : v));
            }
        });
}

// dy where 0 < v ≤ top (the activation's mask: top is +∞ for ReLU, the float below 6 for ReLU6, whose
// gradient stops at 6), 0 elsewhere. Both values are loaded by the caller: a select, not a branch.
inline float maskedGrad(float xv, float gv, float mean, float a, float b, float top) {
    const float v = (xv - mean) * a + b;
    return (v > 0.f) & (v <= top) ? gv : 0.f;  // &, not &&: no branch
}

// Σ g and Σ g·(x − mean) per channel with g the masked gradient, added to d1 and d2.
template <typename T>
DISTILLERY_CLONES void reduceGrad(const T* __restrict x, const T* __restrict dy, const float* __restrict a,
                                  const float* __restrict b, float top, const float* __restrict mean,
                                  int64_t begin, int64_t end, int64_t C, double* __restrict d1,
                                  double* __restrict d2) {
    sumPerChannel(begin, end, C, d1, d2, [&](int64_t i, int64_t c) {
        const float xv = load(x[i]);
        const float g = maskedGrad(xv, load(dy[i]), mean[c], a[c], b[c], top);
        return std::pair<float, float>(g, g * (xv - mean[c]));
    });
}

// dx = a·g + p·(x − mean) + q (batch norm's input gradient in training mode, folded into two per-channel
// constants; centred, so that a large mean does not cancel).
template <typename T>
DISTILLERY_CLONES void inputGrad(const T* __restrict x, const T* __restrict dy, T* __restrict dx,
                                 const float* __restrict a, const float* __restrict b, float top,
                                 const float* __restrict mean, const float* __restrict p,
                                 const float* __restrict q, int64_t begin, int64_t end, int64_t C) {
    for (int64_t r = begin; r < end; ++r)
        forEachGroup(C, [&](int64_t c0, auto width) {
            const int64_t n = width;
            const T* __restrict xr = x + r * C + c0;
            const T* __restrict gr = dy + r * C + c0;
            T* __restrict out = dx + r * C + c0;
            for (int64_t j = 0; j < n; ++j) {
                const float xv = load(xr[j]);
                const float g = maskedGrad(xv, load(gr[j]), mean[c0 + j], a[c0 + j], b[c0 + j], top);
                store(out[j], a[c0 + j] * g + p[c0 + j] * (xv - mean[c0 + j]) + q[c0 + j]);
            }
        });
}

// y = min(max(0, v + r), hi) with v the batch norm's output and r the residual (a block's shortcut).
template <typename T>
DISTILLERY_CLONES void normaliseAddRelu(const T* __restrict x, const T* __restrict res, T* __restrict y,
                                        const float* __restrict mean, const float* __restrict a,
                                        const float* __restrict b, float hi, int64_t begin, int64_t end,
                                        int64_t C) {
    for (int64_t r = begin; r < end; ++r)
        forEachGroup(C, [&](int64_t c0, auto width) {
            const int64_t n = width;
            const T* __restrict in = x + r * C + c0;
            const T* __restrict add = res + r * C + c0;
            T* __restrict out = y + r * C + c0;
            for (int64_t j = 0; j < n; ++j) {
                const float v = (load(in[j]) - mean[c0 + j]) * a[c0 + j] + b[c0 + j] + load(add[j]);
                store(out[j], v < 0.f ? 0.f : (v > hi ? hi : v));
            }
        });
}

// With a residual the mask comes from the saved output y (the sum's activation, as LibTorch's ReLU backward
// takes it from its result): dy where 0 < y ≤ top.
inline float outputMaskedGrad(float yv, float gv, float top) {
    return (yv > 0.f) & (yv <= top) ? gv : 0.f;  // &, not &&: no branch
}

template <typename T>
DISTILLERY_CLONES void reduceGradFromOutput(const T* __restrict x, const T* __restrict y,
                                            const T* __restrict dy, float top, const float* __restrict mean,
                                            int64_t begin, int64_t end, int64_t C, double* __restrict d1,
                                            double* __restrict d2) {
    sumPerChannel(begin, end, C, d1, d2, [&](int64_t i, int64_t c) {
        const float g = outputMaskedGrad(load(y[i]), load(dy[i]), top);
        return std::pair<float, float>(g, g * (load(x[i]) - mean[c]));
    });
}

// dx as inputGrad writes it, and the residual's gradient dr = g (the masked gradient passes the addition
// unchanged).
template <typename T>
DISTILLERY_CLONES void inputGradFromOutput(const T* __restrict x, const T* __restrict y,
                                           const T* __restrict dy, T* __restrict dx, T* __restrict dr,
                                           const float* __restrict a, float top, const float* __restrict mean,
                                           const float* __restrict p, const float* __restrict q,
                                           int64_t begin, int64_t end, int64_t C) {
    for (int64_t r = begin; r < end; ++r)
        forEachGroup(C, [&](int64_t c0, auto width) {
            const int64_t n = width;
            const T* __restrict xr = x + r * C + c0;
            const T* __restrict yr = y + r * C + c0;
            const T* __restrict gr = dy + r * C + c0;
            T* __restrict outX = dx + r * C + c0;
            T* __restrict outR = dr + r * C + c0;
            for (int64_t j = 0; j < n; ++j) {
                const float xv = load(xr[j]);
                const float g = outputMaskedGrad(load(yr[j]), load(gr[j]), top);
                store(outX[j], a[c0 + j] * g + p[c0 + j] * (xv - mean[c0 + j]) + q[c0 + j]);
                store(outR[j], g);
            }
        });
}

template <typename T>
T* data(const torch::Tensor& t) {
    return reinterpret_cast<T*>(t.data_ptr());
}

int64_t grainRows(int64_t C) {
    return std::max<int64_t>(kBlock, 32768 / std::max<int64_t>(C, 1));
}

// Per-channel sums over all rows in a fixed number of row ranges, each into its own slot, then added up in
// double. The slots belong to the ranges, not to thread ids, so they hold however many threads the OpenMP
// runtime this file links starts (another runtime than LibTorch's may start more than at::get_num_threads()).
template <typename F>
void perChannelSums(int64_t M, int64_t C, std::vector<double>& sum1, std::vector<double>& sum2, F block) {
    const int64_t grain = grainRows(C);
    const int64_t ranges =
        std::max<int64_t>(1, std::min<int64_t>(at::get_num_threads(), (M + grain - 1) / grain));
    const int64_t rows = (M + ranges - 1) / ranges;
    std::vector<double> part(static_cast<size_t>(ranges) * 2 * C, 0.0);
    at::parallel_for(0, ranges, 1, [&](int64_t first, int64_t last) {
        for (int64_t r = first; r < last; ++r) {
            double* slot = part.data() + static_cast<size_t>(r) * 2 * C;
            const int64_t begin = r * rows, end = std::min(M, begin + rows);
            if (begin < end) block(begin, end, slot, slot + C);
        }
    });
    sum1.assign(C, 0.0);
    sum2.assign(C, 0.0);
    for (int64_t r = 0; r < ranges; ++r)
        for (int64_t c = 0; c < C; ++c) {
            sum1[c] += part[(static_cast<size_t>(r) * 2) * C + c];
            sum2[c] += part[(static_cast<size_t>(r) * 2 + 1) * C + c];
        }
}

// The largest activation value whose gradient passes: every value for ReLU (upper = +∞), below `upper` for a
// clamped one (hardtanh's gradient is zero at its bounds).
float maskTop(double upper) {
    const float hi = static_cast<float>(upper);
    return std::isinf(hi) ? hi : std::nextafter(hi, 0.f);
}

torch::Tensor floats(const std::vector<float>& v) {
    return torch::from_blob(const_cast<float*>(v.data()), {static_cast<int64_t>(v.size())}, torch::kFloat)
        .clone();
}

// The batch statistics of x ([N, C, H, W] channels-last) as the normalisation's per-channel constants, and
// the running mean and (unbiased) variance moved towards them, as the module does in training mode.
struct Normalisation {
    std::vector<float> mean, invstd, a, b;  // v = a·(x − mean) + b, a = γσ⁻¹, b = β
};

Normalisation batchNormalisation(const torch::Tensor& x, const torch::Tensor& weight,
                                 const torch::Tensor& bias, torch::Tensor& runningMean,
                                 torch::Tensor& runningVar, double momentum, double eps) {
    const int64_t C = x.size(1);
    const int64_t M = x.numel() / C;
    const bool bf16 = x.scalar_type() == torch::kBFloat16;
    std::vector<float> shift(C);
    for (int64_t c = 0; c < C; ++c)
        shift[c] = bf16 ? load(data<uint16_t>(x)[c]) : data<float>(x)[c];
    std::vector<double> s1, s2;
    perChannelSums(M, C, s1, s2, [&](int64_t b, int64_t e, double* d1, double* d2) {
        if (bf16)
            gatherStats(data<uint16_t>(x), shift.data(), b, e, C, d1, d2);
        else
            gatherStats(data<float>(x), shift.data(), b, e, C, d1, d2);
    });
    const torch::Tensor w = weight.to(torch::kFloat).contiguous();
    const torch::Tensor bi = bias.to(torch::kFloat).contiguous();
    Normalisation n{std::vector<float>(C), std::vector<float>(C), std::vector<float>(C),
                    std::vector<float>(C)};
    std::vector<float> var(C);
    for (int64_t c = 0; c < C; ++c) {
        const double m1 = s1[c] / M;
        const double v = std::max(0.0, s2[c] / M - m1 * m1);
        n.mean[c] = static_cast<float>(shift[c] + m1);
        var[c] = static_cast<float>(v);
        n.invstd[c] = static_cast<float>(1.0 / std::sqrt(v + eps));
        n.a[c] = w.data_ptr<float>()[c] * n.invstd[c];
        n.b[c] = bi.data_ptr<float>()[c];
    }
    torch::NoGradGuard noGrad;
    const torch::Tensor unbiased = floats(var).mul_(static_cast<double>(M) / static_cast<double>(M - 1));
    runningMean.mul_(1.0 - momentum).add_(floats(n.mean).to(runningMean.scalar_type()), momentum);
    runningVar.mul_(1.0 - momentum).add_(unbiased.to(runningVar.scalar_type()), momentum);
    return n;
}

// From the per-channel sums Σg and Σg·(x − mean) of the masked gradient g: the weight's and the bias's
// gradients, and p, q of the input gradient dx = a·g + p·(x − mean) + q.
struct GradientConstants {
    std::vector<float> gradWeight, gradBias, p, q;
};

GradientConstants gradientConstants(const std::vector<double>& s1, const std::vector<double>& s2,
                                    const float* a, const float* invstd, int64_t M) {
    const size_t C = s1.size();
    GradientConstants k{std::vector<float>(C), std::vector<float>(C), std::vector<float>(C),
                        std::vector<float>(C)};
    for (size_t c = 0; c < C; ++c) {
        k.gradBias[c] = static_cast<float>(s1[c]);
        k.gradWeight[c] = static_cast<float>(s2[c] * invstd[c]);
        // dx = γσ⁻¹ (g − Σg/M − x̂ Σ(g x̂)/M) with x̂ = (x − μ)σ⁻¹.
        k.p[c] = static_cast<float>(-static_cast<double>(a[c]) * invstd[c] * invstd[c] * s2[c] / M);
        k.q[c] = static_cast<float>(-static_cast<double>(a[c]) * s1[c] / M);
    }
    return k;
}

// The backward pass is not itself differentiable: refuse a graph of it (create_graph) rather than give second
// derivatives of nothing.
void refuseDoubleBackward() {
    TORCH_CHECK(!torch::GradMode::is_enabled(),
                "the fused batch norm + ReLU has no double backward; set DISTILLERY_FUSED_BN_RELU=0");
}

struct BatchNormRelu : torch::autograd::Function<BatchNormRelu> {
    // x: [N, C, H, W] channels-last; returns relu(bn(x)) and updates the running statistics in place.
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& weight, const torch::Tensor& bias,
                                 torch::Tensor runningMean, torch::Tensor runningVar, double momentum,
                                 double eps, double upper) {
        const int64_t C = x.size(1);
        const int64_t M = x.numel() / C;
        const bool bf16 = x.scalar_type() == torch::kBFloat16;
        const Normalisation n = batchNormalisation(x, weight, bias, runningMean, runningVar, momentum, eps);
        const float hi = static_cast<float>(upper);
        torch::Tensor y = torch::empty_like(x, x.options(), torch::MemoryFormat::ChannelsLast);
        at::parallel_for(0, M, grainRows(C), [&](int64_t begin, int64_t end) {
            if (bf16)
                normaliseRelu(data<uint16_t>(x), data<uint16_t>(y), n.mean.data(), n.a.data(), n.b.data(), hi,
                              begin, end, C);
            else
                normaliseRelu(data<float>(x), data<float>(y), n.mean.data(), n.a.data(), n.b.data(), hi,
                              begin, end, C);
        });
        ctx->save_for_backward({x, floats(n.mean), floats(n.invstd), floats(n.a), floats(n.b)});
        ctx->saved_data["upper"] = upper;
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        refuseDoubleBackward();
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor& x = saved[0];
        const float* mean = saved[1].data_ptr<float>();
        const float* invstd = saved[2].data_ptr<float>();
        const float* a = saved[3].data_ptr<float>();
        const float* b = saved[4].data_ptr<float>();
        const float top = maskTop(ctx->saved_data["upper"].toDouble());
        const torch::Tensor dy = grads[0].to(x.scalar_type()).contiguous(torch::MemoryFormat::ChannelsLast);
        const int64_t C = x.size(1);
        const int64_t M = x.numel() / C;
        const bool bf16 = x.scalar_type() == torch::kBFloat16;
        std::vector<double> s1, s2;
        perChannelSums(M, C, s1, s2, [&](int64_t be, int64_t e, double* d1, double* d2) {
            if (bf16)
                reduceGrad(data<uint16_t>(x), data<uint16_t>(dy), a, b, top, mean, be, e, C, d1, d2);
            else
                reduceGrad(data<float>(x), data<float>(dy), a, b, top, mean, be, e, C, d1, d2);
        });
        const GradientConstants k = gradientConstants(s1, s2, a, invstd, M);
        torch::Tensor dx;
        if (ctx->needs_input_grad(0)) {
            dx = torch::empty_like(x, x.options(), torch::MemoryFormat::ChannelsLast);
            at::parallel_for(0, M, grainRows(C), [&](int64_t begin, int64_t end) {
                if (bf16)
                    inputGrad(data<uint16_t>(x), data<uint16_t>(dy), data<uint16_t>(dx), a, b, top, mean,
                              k.p.data(), k.q.data(), begin, end, C);
                else
                    inputGrad(data<float>(x), data<float>(dy), data<float>(dx), a, b, top, mean, k.p.data(),
                              k.q.data(), begin, end, C);
            });
        }
        return {dx,
                floats(k.gradWeight),
                floats(k.gradBias),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor()};
    }
};

struct BatchNormAddRelu : torch::autograd::Function<BatchNormAddRelu> {
    // relu(bn(x) + residual), residual of x's shape, type and layout; updates the running statistics.
    static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x,
                                 const torch::Tensor& residual, const torch::Tensor& weight,
                                 const torch::Tensor& bias, torch::Tensor runningMean,
                                 torch::Tensor runningVar, double momentum, double eps, double upper) {
        const int64_t C = x.size(1);
        const int64_t M = x.numel() / C;
        const bool bf16 = x.scalar_type() == torch::kBFloat16;
        const Normalisation n = batchNormalisation(x, weight, bias, runningMean, runningVar, momentum, eps);
        const float hi = static_cast<float>(upper);
        torch::Tensor y = torch::empty_like(x, x.options(), torch::MemoryFormat::ChannelsLast);
        at::parallel_for(0, M, grainRows(C), [&](int64_t begin, int64_t end) {
            if (bf16)
                normaliseAddRelu(data<uint16_t>(x), data<uint16_t>(residual), data<uint16_t>(y),
                                 n.mean.data(), n.a.data(), n.b.data(), hi, begin, end, C);
            else
                normaliseAddRelu(data<float>(x), data<float>(residual), data<float>(y), n.mean.data(),
                                 n.a.data(), n.b.data(), hi, begin, end, C);
        });
        // The output is saved for the mask (the next layer keeps it anyway); autograd checks that nothing
        // changes it in place before the backward pass.
        ctx->save_for_backward({x, y, floats(n.mean), floats(n.invstd), floats(n.a)});
        ctx->saved_data["upper"] = upper;
        return y;
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        refuseDoubleBackward();
        const auto saved = ctx->get_saved_variables();
        const torch::Tensor& x = saved[0];
        const torch::Tensor& y = saved[1];
        const float* mean = saved[2].data_ptr<float>();
        const float* invstd = saved[3].data_ptr<float>();
        const float* a = saved[4].data_ptr<float>();
        const float top = maskTop(ctx->saved_data["upper"].toDouble());
        const torch::Tensor dy = grads[0].to(x.scalar_type()).contiguous(torch::MemoryFormat::ChannelsLast);
        const int64_t C = x.size(1);
        const int64_t M = x.numel() / C;
        const bool bf16 = x.scalar_type() == torch::kBFloat16;
        std::vector<double> s1, s2;
        perChannelSums(M, C, s1, s2, [&](int64_t be, int64_t e, double* d1, double* d2) {
            if (bf16)
                reduceGradFromOutput(data<uint16_t>(x), data<uint16_t>(y), data<uint16_t>(dy), top, mean, be,
                                     e, C, d1, d2);
            else
                reduceGradFromOutput(data<float>(x), data<float>(y), data<float>(dy), top, mean, be, e, C, d1,
                                     d2);
        });
        const GradientConstants k = gradientConstants(s1, s2, a, invstd, M);
        torch::Tensor dx, dr;
        if (ctx->needs_input_grad(0) || ctx->needs_input_grad(1)) {
            dx = torch::empty_like(x, x.options(), torch::MemoryFormat::ChannelsLast);
            dr = torch::empty_like(x, x.options(), torch::MemoryFormat::ChannelsLast);
            at::parallel_for(0, M, grainRows(C), [&](int64_t begin, int64_t end) {
                if (bf16)
                    inputGradFromOutput(data<uint16_t>(x), data<uint16_t>(y), data<uint16_t>(dy),
                                        data<uint16_t>(dx), data<uint16_t>(dr), a, top, mean, k.p.data(),
                                        k.q.data(), begin, end, C);
                else
                    inputGradFromOutput(data<float>(x), data<float>(y), data<float>(dy), data<float>(dx),
                                        data<float>(dr), a, top, mean, k.p.data(), k.q.data(), begin, end, C);
            });
            if (!ctx->needs_input_grad(0)) dx = torch::Tensor();
            if (!ctx->needs_input_grad(1)) dr = torch::Tensor();
        }
        return {dx,
                dr,
                floats(k.gradWeight),
                floats(k.gradBias),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor()};
    }
};

// −1: not decided yet (the environment decides), else 0 or 1.
std::atomic<int> gEnabled{-1};

}  // namespace

bool fusedBatchNormReluEnabled() {
    int on = gEnabled.load();
    if (on < 0) {
        const char* v = std::getenv("DISTILLERY_FUSED_BN_RELU");
        on = v && std::string(v) == "0" ? 0 : 1;
        gEnabled.store(on);
    }
    return on == 1;
}

void setFusedBatchNormRelu(bool on) {
    gEnabled.store(on ? 1 : 0);
}

bool fusedBatchNormReluApplies(const torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
    if (!fusedBatchNormReluEnabled() || !bn.is_training() || !bn.options.affine() ||
        !bn.options.track_running_stats())
        return false;
    if (!x.defined() || !x.device().is_cpu() || x.dim() != 4 || x.is_mkldnn() || x.is_quantized())
        return false;
    if (x.scalar_type() != torch::kFloat && x.scalar_type() != torch::kBFloat16) return false;
    if (!x.is_contiguous(torch::MemoryFormat::ChannelsLast) || x.numel() == 0) return false;
    if (x.numel() / x.size(1) < 2) return false;  // the module's own error ("more than 1 value per channel")
    if (x.size(1) != bn.options.num_features()) return false;  // and its error for a channel mismatch
    return bn.weight.scalar_type() == torch::kFloat && bn.bias.scalar_type() == torch::kFloat &&
           bn.running_mean.scalar_type() == torch::kFloat && bn.running_var.scalar_type() == torch::kFloat &&
           bn.weight.device().is_cpu();
}

namespace {

// As the module does: count the batch, and without a momentum keep a cumulative average.
double countBatch(torch::nn::BatchNorm2dImpl& bn) {
    {
        torch::NoGradGuard noGrad;
        bn.num_batches_tracked.add_(1);
    }
    return bn.options.momentum().has_value()
               ? *bn.options.momentum()
               : 1.0 / static_cast<double>(bn.num_batches_tracked.item<int64_t>());
}

}  // namespace

torch::Tensor fusedBatchNormRelu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x, double upper) {
    const double momentum = countBatch(bn);
    return BatchNormRelu::apply(x, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum,
                                bn.options.eps(), upper);
}

bool fusedBatchNormAddReluApplies(const torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                  const torch::Tensor& residual) {
    if (!fusedBatchNormReluApplies(bn, x) || !residual.defined()) return false;
    return residual.device().is_cpu() && !residual.is_mkldnn() && !residual.is_quantized() &&
           residual.scalar_type() == x.scalar_type() && residual.sizes() == x.sizes() &&
           residual.is_contiguous(torch::MemoryFormat::ChannelsLast);
}

torch::Tensor fusedBatchNormAddRelu(torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x,
                                    const torch::Tensor& residual, double upper) {
    const double momentum = countBatch(bn);
    return BatchNormAddRelu::apply(x, residual, bn.weight, bn.bias, bn.running_mean, bn.running_var, momentum,
                                   bn.options.eps(), upper);
}

}  // namespace distillery
