#include "widgets/views/channel_math.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace distillery {

namespace {
/** log-sum-exp of x/tau. */
double logSumExp(const float* x, size_t n, double tau, double& maxScaled) {
    maxScaled = -std::numeric_limits<double>::infinity();
    for (size_t i = 0; i < n; ++i)
        maxScaled = std::max(maxScaled, x[i] / tau);
    double sum = 0;
    for (size_t i = 0; i < n; ++i)
        sum += std::exp(x[i] / tau - maxScaled);
    return maxScaled + std::log(sum);
}
}  // namespace

std::vector<double> spatialSoftmax(const float* x, size_t n, double tau) {
    std::vector<double> p(n);
    if (n == 0) return p;
    double maxScaled = 0;
    const double lse = logSumExp(x, n, tau, maxScaled);
    for (size_t i = 0; i < n; ++i)
        p[i] = std::exp(x[i] / tau - lse);
    return p;
}

double spatialKl(const float* teacher, const float* student, size_t n, double tau) {
    if (n == 0) return 0.0;
    double mt = 0, ms = 0;
    const double lseT = logSumExp(teacher, n, tau, mt);
    const double lseS = logSumExp(student, n, tau, ms);
    double kl = 0;
    for (size_t i = 0; i < n; ++i) {
        const double logPt = teacher[i] / tau - lseT;
        const double pt = std::exp(logPt);
        if (pt <= 0) continue;
        kl += pt * (logPt - (student[i] / tau - lseS));
    }
    return std::max(kl, 0.0);  // rounding can give -1e-17 for identical planes
}

bool isConstantPlane(const float* x, size_t n) {
    for (size_t i = 1; i < n; ++i)
        if (x[i] != x[0]) return false;
    return true;
}

void planeRange(const float* x, size_t n, float& lo, float& hi) {
    lo = std::numeric_limits<float>::infinity();
    hi = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i) {
        if (std::isnan(x[i])) continue;
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
    }
    if (lo > hi) lo = hi = 0;
}

std::vector<float> resizePlanes(const float* x, int c, int h, int w, int oh, int ow) {
    std::vector<float> out(static_cast<size_t>(c) * oh * ow);
    const double sy = static_cast<double>(h) / oh, sx = static_cast<double>(w) / ow;
    for (int ch = 0; ch < c; ++ch) {
        const float* src = x + static_cast<size_t>(ch) * h * w;
        float* dst = out.data() + static_cast<size_t>(ch) * oh * ow;
        for (int y = 0; y < oh; ++y) {
            const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, h - 1.0);
            const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, h - 1);
            const double wy = fy - y0;
            for (int xx = 0; xx < ow; ++xx) {
                const double fx = std::clamp((xx + 0.5) * sx - 0.5, 0.0, w - 1.0);
                const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, w - 1);
                const double wx = fx - x0;
                const double top = src[y0 * w + x0] * (1 - wx) + src[y0 * w + x1] * wx;
                const double bottom = src[y1 * w + x0] * (1 - wx) + src[y1 * w + x1] * wx;
                dst[static_cast<size_t>(y) * ow + xx] = static_cast<float>(top * (1 - wy) + bottom * wy);
            }
        }
    }
    return out;
}

}  // namespace distillery
