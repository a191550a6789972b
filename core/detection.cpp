#include "core/detection.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>

namespace distillery {

int detectionMapSize(int size, int stride) {
    return (size + stride - 1) / stride;
}

double gaussianRadius(double height, double width, double minOverlap) {
    // The three cases of CornerNet's derivation (both corners inside, both outside, one of each), each a
    // quadratic in the radius; CenterNet keeps the smallest root.
    const double b1 = height + width;
    const double c1 = width * height * (1 - minOverlap) / (1 + minOverlap);
    const double r1 = (b1 + std::sqrt(b1 * b1 - 4 * c1)) / 2;
    const double a2 = 4, b2 = 2 * (height + width), c2 = (1 - minOverlap) * width * height;
    const double r2 = (b2 + std::sqrt(b2 * b2 - 4 * a2 * c2)) / 2;
    const double a3 = 4 * minOverlap, b3 = -2 * minOverlap * (height + width);
    const double c3 = (minOverlap - 1) * width * height;
    const double r3 = (b3 + std::sqrt(b3 * b3 - 4 * a3 * c3)) / 2;
    return std::min({r1, r2, r3});
}

void encodeCenterTargets(const std::vector<Box>& boxes, int64_t numClasses, int mapH, int mapW, int stride,
                         float* out) {
    const size_t plane = static_cast<size_t>(mapH) * mapW;
    std::fill(out, out + plane * static_cast<size_t>(detectionTargetChannels(numClasses)), 0.f);
    float* sizeW = out + plane * numClasses;
    float* sizeH = sizeW + plane;
    float* offX = sizeH + plane;
    float* offY = offX + plane;
    float* centre = offY + plane;
    const double s = stride;
    for (const Box& b : boxes) {
        if (b.crowd || b.label < 0 || b.label >= numClasses) continue;
        const double w = b.width() / s, h = b.height() / s;
        if (!(w > 0.01) || !(h > 0.01)) continue;
        const double cx = (b.x1 + b.x2) / (2 * s), cy = (b.y1 + b.y2) / (2 * s);
        const int ix = std::clamp(static_cast<int>(std::floor(cx)), 0, mapW - 1);
        const int iy = std::clamp(static_cast<int>(std::floor(cy)), 0, mapH - 1);
        const int r = std::max(0, static_cast<int>(gaussianRadius(std::ceil(h), std::ceil(w))));
        const double sigma = (2 * r + 1) / 6.0;
        float* heat = out + plane * b.label;
        for (int y = std::max(0, iy - r); y <= std::min(mapH - 1, iy + r); ++y)
            for (int x = std::max(0, ix - r); x <= std::min(mapW - 1, ix + r); ++x) {
                const double dx = x - ix, dy = y - iy;
                const auto g = static_cast<float>(std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma)));
                float& v = heat[static_cast<size_t>(y) * mapW + x];
                v = std::max(v, g);
            }
        const size_t at = static_cast<size_t>(iy) * mapW + ix;
        sizeW[at] = static_cast<float>(w);
        sizeH[at] = static_cast<float>(h);
        offX[at] = static_cast<float>(cx - ix);
        offY[at] = static_cast<float>(cy - iy);
        centre[at] = 1.f;
    }
}

std::vector<Detection> decodeCenterMaps(const float* maps, int64_t numClasses, int mapH, int mapW, int stride,
                                        int topK, int imageH, int imageW) {
    const size_t plane = static_cast<size_t>(mapH) * mapW;
    struct Peak {
        float logit;
        int64_t cls;
        int y, x;
    };
    std::vector<Peak> peaks;
    for (int64_t c = 0; c < numClasses; ++c) {
        const float* heat = maps + plane * c;
        for (int y = 0; y < mapH; ++y)
            for (int x = 0; x < mapW; ++x) {
                const float v = heat[static_cast<size_t>(y) * mapW + x];
                bool peak = true;
                for (int dy = -1; dy <= 1 && peak; ++dy)
                    for (int dx = -1; dx <= 1; ++dx) {
                        const int yy = y + dy, xx = x + dx;
                        if (yy < 0 || yy >= mapH || xx < 0 || xx >= mapW) continue;
                        if (heat[static_cast<size_t>(yy) * mapW + xx] > v) {
                            peak = false;
                            break;
                        }
                    }
                if (peak) peaks.push_back({v, c, y, x});
            }
    }
    // The sigmoid is monotone: ranking logits ranks scores.
    auto better = [](const Peak& a, const Peak& b) {
        if (a.logit != b.logit) return a.logit > b.logit;
        if (a.cls != b.cls) return a.cls < b.cls;
        if (a.y != b.y) return a.y < b.y;
        return a.x < b.x;
    };
    const size_t keep = std::min(peaks.size(), static_cast<size_t>(std::max(0, topK)));
    std::partial_sort(peaks.begin(), peaks.begin() + static_cast<std::ptrdiff_t>(keep), peaks.end(), better);
    peaks.resize(keep);
    const float* sizeW = maps + plane * numClasses;
    const float* sizeH = sizeW + plane;
    const float* offX = sizeH + plane;
    const float* offY = offX + plane;
    std::vector<Detection> out;
    out.reserve(keep);
    const auto fw = static_cast<float>(imageW), fh = static_cast<float>(imageH);
    for (const Peak& p : peaks) {
        const size_t at = static_cast<size_t>(p.y) * mapW + p.x;
        const float cx = (static_cast<float>(p.x) + offX[at]) * static_cast<float>(stride);
        const float cy = (static_cast<float>(p.y) + offY[at]) * static_cast<float>(stride);
        const float hw = std::max(0.f, sizeW[at]) * static_cast<float>(stride) / 2;
        const float hh = std::max(0.f, sizeH[at]) * static_cast<float>(stride) / 2;
        Detection d;
        d.x1 = std::clamp(cx - hw, 0.f, fw);
        d.y1 = std::clamp(cy - hh, 0.f, fh);
        d.x2 = std::clamp(cx + hw, 0.f, fw);
        d.y2 = std::clamp(cy + hh, 0.f, fh);
        d.label = p.cls;
        d.score = 1.f / (1.f + std::exp(-p.logit));
        out.push_back(d);
    }
    return out;
}

std::vector<float> fgdForegroundMask(const std::vector<Box>& boxes, int h, int w, int imageH, int imageW) {
    std::vector<float> mask(static_cast<size_t>(h) * w, 0.f);
    for (const Box& b : boxes) {
        const auto x1 = static_cast<int64_t>(std::floor(b.x1 / static_cast<double>(imageW) * w));
        const auto x2 = static_cast<int64_t>(std::ceil(b.x2 / static_cast<double>(imageW) * w));
        const auto y1 = static_cast<int64_t>(std::floor(b.y1 / static_cast<double>(imageH) * h));
        const auto y2 = static_cast<int64_t>(std::ceil(b.y2 / static_cast<double>(imageH) * h));
        const auto area = static_cast<float>(1.0 / static_cast<double>((y2 + 1 - y1) * (x2 + 1 - x1)));
        for (int64_t y = std::max<int64_t>(0, y1); y <= std::min<int64_t>(h - 1, y2); ++y)
            for (int64_t x = std::max<int64_t>(0, x1); x <= std::min<int64_t>(w - 1, x2); ++x) {
                float& v = mask[static_cast<size_t>(y) * w + static_cast<size_t>(x)];
                v = std::max(v, area);
            }
    }
    return mask;
}

namespace {

double intersection(const Detection& a, const Box& b) {
    const double w = std::min<double>(a.x2, b.x2) - std::max<double>(a.x1, b.x1);
    const double h = std::min<double>(a.y2, b.y2) - std::max<double>(a.y1, b.y1);
    return w > 0 && h > 0 ? w * h : 0.0;
}

double detectionArea(const Detection& d) {
    return std::max(0.0, static_cast<double>(d.x2) - d.x1) * std::max(0.0, static_cast<double>(d.y2) - d.y1);
}

/** IoU as COCO computes it: over the detection's area alone for a crowd box. */
double cocoIoU(const Detection& d, const Box& g) {
    const double inter = intersection(d, g);
    if (inter <= 0) return 0.0;
    const double denom = g.crowd ? detectionArea(d) : detectionArea(d) + g.boxArea() - inter;
    return denom > 0 ? inter / denom : 0.0;
}

constexpr int kThresholds = 10;  // IoU .50:.05:.95
constexpr int kRecallPoints = 101;
constexpr double kAreaRanges[4][2] = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

double threshold(int t) {
    return 0.5 + 0.05 * t;
}

}  // namespace

double boxIoU(const Detection& a, const Box& b) {
    Box plain = b;
    plain.crowd = false;
    return cocoIoU(a, plain);
}

CocoEvaluator::CocoEvaluator(int64_t numClasses, int maxDets) : mNumClasses(numClasses), mMaxDets(maxDets) {}

void CocoEvaluator::add(const std::vector<Box>& truth, const std::vector<Detection>& detections) {
    mImages.push_back({truth, detections});
}

CocoMetrics CocoEvaluator::compute() const {
    // precision[area][class][threshold][recall point]; -1 where the class has no ground truth in the range.
    const auto K = static_cast<size_t>(mNumClasses);
    std::vector<std::vector<std::array<std::array<double, kRecallPoints>, kThresholds>>> precision(
        4, std::vector<std::array<std::array<double, kRecallPoints>, kThresholds>>(K));
    std::vector<std::vector<std::array<double, kThresholds>>> recall(
        4, std::vector<std::array<double, kThresholds>>(K));
    for (int a = 0; a < 4; ++a) {
        const double lo = kAreaRanges[a][0], hi = kAreaRanges[a][1];
        for (size_t c = 0; c < K; ++c) {
            struct Entry {
                float score;
                std::array<int8_t, kThresholds> matched, ignored;
            };
            std::vector<Entry> entries;
            int64_t truthCount = 0;
            for (const auto& image : mImages) {
                // Ground truth of the class, those counted first (COCOeval sorts by its ignore flag).
                std::vector<Box> gts;
                std::vector<int8_t> gtIgnore;
                for (int pass = 0; pass < 2; ++pass)
                    for (const Box& g : image.truth) {
                        if (g.label != static_cast<int64_t>(c)) continue;
                        const double area = g.evalArea();
                        const bool ignore = g.crowd || area < lo || area > hi;
                        if (ignore != (pass == 1)) continue;
                        gts.push_back(g);
                        gtIgnore.push_back(ignore ? 1 : 0);
                    }
                std::vector<Detection> dts;
                for (const Detection& d : image.detections)
                    if (d.label == static_cast<int64_t>(c)) dts.push_back(d);
                if (gts.empty() && dts.empty()) continue;
                std::stable_sort(dts.begin(), dts.end(),
                                 [](const Detection& x, const Detection& y) { return x.score > y.score; });
                if (static_cast<int>(dts.size()) > mMaxDets) dts.resize(static_cast<size_t>(mMaxDets));
                for (int8_t ig : gtIgnore)
                    truthCount += ig ? 0 : 1;
                std::vector<std::vector<double>> ious(dts.size(), std::vector<double>(gts.size()));
                for (size_t d = 0; d < dts.size(); ++d)
                    for (size_t g = 0; g < gts.size(); ++g)
                        ious[d][g] = cocoIoU(dts[d], gts[g]);
                std::vector<Entry> local(dts.size());
                for (size_t d = 0; d < dts.size(); ++d) {
                    local[d].score = dts[d].score;
                    local[d].matched.fill(0);
                    local[d].ignored.fill(0);
                }
                for (int t = 0; t < kThresholds; ++t) {
                    std::vector<int8_t> gtMatched(gts.size(), 0);
                    for (size_t d = 0; d < dts.size(); ++d) {
                        double best = std::min(threshold(t), 1 - 1e-10);
                        int m = -1;
                        for (size_t g = 0; g < gts.size(); ++g) {
                            if (gtMatched[g] && !gts[g].crowd) continue;
                            // Past the counted ground truth once one of it matched: stop.
                            if (m > -1 && gtIgnore[static_cast<size_t>(m)] == 0 && gtIgnore[g] == 1) break;
                            if (ious[d][g] < best) continue;
                            best = ious[d][g];
                            m = static_cast<int>(g);
                        }
                        if (m == -1) continue;
                        local[d].ignored[t] = gtIgnore[static_cast<size_t>(m)];
                        local[d].matched[t] = 1;
                        gtMatched[static_cast<size_t>(m)] = 1;
                    }
                    // Unmatched detections outside the area range are not counted against the detector.
                    for (size_t d = 0; d < dts.size(); ++d) {
                        const double area = detectionArea(dts[d]);
                        if (!local[d].matched[t] && (area < lo || area > hi)) local[d].ignored[t] = 1;
                    }
                }
                entries.insert(entries.end(), local.begin(), local.end());
            }
            auto& prec = precision[static_cast<size_t>(a)][c];
            auto& rec = recall[static_cast<size_t>(a)][c];
            if (truthCount == 0) {
                for (auto& row : prec)
                    row.fill(-1);
                rec.fill(-1);
                continue;
            }
            std::stable_sort(entries.begin(), entries.end(),
                             [](const Entry& x, const Entry& y) { return x.score > y.score; });
            for (int t = 0; t < kThresholds; ++t) {
                std::vector<double> rc, pr;
                double tp = 0, fp = 0;
                for (const Entry& e : entries) {
                    if (e.ignored[t]) continue;
                    (e.matched[t] ? tp : fp) += 1;
                    rc.push_back(tp / static_cast<double>(truthCount));
                    pr.push_back(tp / (tp + fp + 2.220446049250313e-16));
                }
                rec[static_cast<size_t>(t)] = rc.empty() ? 0.0 : rc.back();
                for (size_t i = pr.size(); i-- > 1;)
                    pr[i - 1] = std::max(pr[i - 1], pr[i]);
                auto& q = prec[static_cast<size_t>(t)];
                q.fill(0.0);
                for (int r = 0; r < kRecallPoints; ++r) {
                    const double point = r / 100.0;
                    // numpy's searchsorted(rc, point, side="left"): the first recall >= the point.
                    const auto it = std::lower_bound(rc.begin(), rc.end(), point);
                    if (it == rc.end()) break;
                    q[static_cast<size_t>(r)] = pr[static_cast<size_t>(it - rc.begin())];
                }
            }
        }
    }
    auto mean = [&](int area, int thresholdOnly, int64_t classOnly) {
        double sum = 0;
        int64_t n = 0;
        for (size_t c = 0; c < K; ++c) {
            if (classOnly >= 0 && static_cast<int64_t>(c) != classOnly) continue;
            for (int t = 0; t < kThresholds; ++t) {
                if (thresholdOnly >= 0 && t != thresholdOnly) continue;
                for (double v : precision[static_cast<size_t>(area)][c][static_cast<size_t>(t)])
                    if (v > -1) {
                        sum += v;
                        ++n;
                    }
            }
        }
        return n ? 100.0 * sum / static_cast<double>(n) : -1.0;
    };
    CocoMetrics m;
    m.images = images();
    m.ap = mean(0, -1, -1);
    m.ap50 = mean(0, 0, -1);
    m.ap75 = mean(0, 5, -1);
    m.apSmall = mean(1, -1, -1);
    m.apMedium = mean(2, -1, -1);
    m.apLarge = mean(3, -1, -1);
    double rsum = 0;
    int64_t rn = 0;
    for (size_t c = 0; c < K; ++c)
        for (double v : recall[0][c])
            if (v > -1) {
                rsum += v;
                ++rn;
            }
    m.ar100 = rn ? 100.0 * rsum / static_cast<double>(rn) : -1.0;
    for (size_t c = 0; c < K; ++c)
        m.perClassAP.push_back(mean(0, -1, static_cast<int64_t>(c)));
    return m;
}

std::vector<std::pair<std::string, double>> cocoMetricPairs(const CocoMetrics& m) {
    std::vector<std::pair<std::string, double>> out{{"ap", std::max(0.0, m.ap)}};
    auto put = [&](const char* name, double v) {
        if (v > -1) out.emplace_back(name, v);
    };
    put("ap50", m.ap50);
    put("ap75", m.ap75);
    put("ap_small", m.apSmall);
    put("ap_medium", m.apMedium);
    put("ap_large", m.apLarge);
    put("ar100", m.ar100);
    return out;
}

std::string cocoResultsJson(const std::vector<ImageDetections>& images,
                            const std::vector<int64_t>& categoryIds) {
    nlohmann::json out = nlohmann::json::array();
    auto round2 = [](double v) { return std::round(v * 100.0) / 100.0; };
    for (const auto& image : images)
        for (const Detection& d : image.detections) {
            const int64_t category = d.label >= 0 && d.label < static_cast<int64_t>(categoryIds.size())
                                         ? categoryIds[static_cast<size_t>(d.label)]
                                         : d.label;
            out.push_back({{"image_id", image.imageId},
                           {"category_id", category},
                           {"bbox", {round2(d.x1), round2(d.y1), round2(d.x2 - d.x1), round2(d.y2 - d.y1)}},
                           {"score", std::round(static_cast<double>(d.score) * 1e5) / 1e5}});
        }
    return out.dump() + "\n";
}

}  // namespace distillery
