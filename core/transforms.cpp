// Augmentations on plain planar buffers. Random draws use only raw rng() output (no std:: distributions,
// whose results differ between standard libraries), so a seed gives the same samples everywhere.

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <string>

#include "core/dataset.h"

namespace distillery {

namespace {

/** Uniform integer in [0, n); the modulo bias is below 2^-50 for the small n used here. */
int64_t drawIndex(std::mt19937_64& rng, int64_t n) {
    return static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
}

/** Uniform double in [0, 1) from the top 53 bits. */
double drawUnit(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

bool hasMask(const Sample& s) {
    return !s.mask.data.empty();
}

void checkSample(const Sample& s) {
    const Image& im = s.image;
    if (im.channels <= 0 || im.height <= 0 || im.width <= 0 ||
        im.data.size() != static_cast<size_t>(im.channels) * im.height * im.width)
        throw Error("transforms: the image buffer does not match its shape " + std::to_string(im.channels) +
                    "x" + std::to_string(im.height) + "x" + std::to_string(im.width));
    if (hasMask(s) && (s.mask.height != im.height || s.mask.width != im.width ||
                       s.mask.data.size() != static_cast<size_t>(s.mask.height) * s.mask.width))
        throw Error("transforms: the mask (" + std::to_string(s.mask.height) + "x" +
                    std::to_string(s.mask.width) + ") does not match the image (" +
                    std::to_string(im.height) + "x" + std::to_string(im.width) + ")");
}

/** Moves and scales every box (x' = x·sx + dx), clips it to the image and drops those left without area;
 *  a given COCO area scales with the box. */
void mapBoxes(Sample& s, double sx, double dx, double sy, double dy) {
    if (s.boxes.empty()) return;
    const auto w = static_cast<float>(s.image.width), h = static_cast<float>(s.image.height);
    std::vector<Box> kept;
    kept.reserve(s.boxes.size());
    for (Box b : s.boxes) {
        const float before = b.boxArea();
        float x1 = static_cast<float>(b.x1 * sx + dx), x2 = static_cast<float>(b.x2 * sx + dx);
        if (x1 > x2) std::swap(x1, x2);  // a mirroring map
        b.x1 = std::clamp(x1, 0.f, w);
        b.x2 = std::clamp(x2, 0.f, w);
        b.y1 = std::clamp(static_cast<float>(b.y1 * sy + dy), 0.f, h);
        b.y2 = std::clamp(static_cast<float>(b.y2 * sy + dy), 0.f, h);
        if (!(b.x2 - b.x1 > 0.f) || !(b.y2 - b.y1 > 0.f)) continue;
        if (b.area >= 0.f && before > 0.f) b.area *= b.boxArea() / before;
        kept.push_back(b);
    }
    s.boxes = std::move(kept);
}

void normalize(const TransformStep& step, Image& im) {
    const int c = im.channels;
    auto pick = [&](const std::vector<float>& v, const char* what, float fallback, int ch) {
        if (v.empty()) return fallback;
        if (v.size() == 1) return v[0];
        if (static_cast<int>(v.size()) != c)
            throw Error(std::string("normalize: ") + std::to_string(v.size()) + " " + what +
                        " values for an image with " + std::to_string(c) + " channels (give 1 or " +
                        std::to_string(c) + ")");
        return v[ch];
    };
    const size_t plane = static_cast<size_t>(im.height) * im.width;
    for (int ch = 0; ch < c; ++ch) {
        float m = pick(step.mean, "mean", 0.f, ch);
        float s = pick(step.std, "std", 1.f, ch);
        if (!(s > 0.f)) throw Error("normalize: std must be positive, got " + std::to_string(s));
        const float inv = 1.f / s;
        float* p = im.data.data() + ch * plane;
        for (size_t i = 0; i < plane; ++i)
            p[i] = (p[i] - m) * inv;
    }
}

void randomCrop(const TransformStep& step, Sample& s, std::mt19937_64& rng) {
    Image& im = s.image;
    if (step.size < 0 || step.padding < 0) throw Error("random_crop: size and padding must not be negative");
    const int pad = step.padding;
    const int outH = step.size > 0 ? step.size : im.height;
    const int outW = step.size > 0 ? step.size : im.width;
    const int paddedH = im.height + 2 * pad, paddedW = im.width + 2 * pad;
    if (outH > paddedH || outW > paddedW)
        throw Error("random_crop: crop " + std::to_string(outH) + "x" + std::to_string(outW) +
                    " is larger than the padded image " + std::to_string(paddedH) + "x" +
                    std::to_string(paddedW));
    // Offsets in padded coordinates; drawn even when there is a single choice so the rng stream does not
    // depend on the image size.
    const int oy = static_cast<int>(drawIndex(rng, paddedH - outH + 1)) - pad;
    const int ox = static_cast<int>(drawIndex(rng, paddedW - outW + 1)) - pad;
    // Source columns that land inside the image: [x0, x1) in output coordinates.
    const int x0 = std::clamp(-ox, 0, outW), x1 = std::clamp(im.width - ox, 0, outW);

    Image out;
    out.channels = im.channels;
    out.height = outH;
    out.width = outW;
    out.data.assign(static_cast<size_t>(im.channels) * outH * outW, 0.f);
    for (int c = 0; c < im.channels; ++c)
        for (int y = 0; y < outH; ++y) {
            const int sy = y + oy;
            if (sy < 0 || sy >= im.height || x1 <= x0) continue;
            const float* src = &im.data[(static_cast<size_t>(c) * im.height + sy) * im.width + ox + x0];
            std::copy(src, src + (x1 - x0), &out.data[(static_cast<size_t>(c) * outH + y) * outW + x0]);
        }
    im = std::move(out);
    mapBoxes(s, 1.0, -ox, 1.0, -oy);

    if (hasMask(s)) {
        Mask m;
        m.height = outH;
        m.width = outW;
        m.data.assign(static_cast<size_t>(outH) * outW, 255);  // padding is "ignore", not background
        for (int y = 0; y < outH; ++y) {
            const int sy = y + oy;
            if (sy < 0 || sy >= s.mask.height || x1 <= x0) continue;
            const uint8_t* src = &s.mask.data[static_cast<size_t>(sy) * s.mask.width + ox + x0];
            std::copy(src, src + (x1 - x0), &m.data[static_cast<size_t>(y) * outW + x0]);
        }
        s.mask = std::move(m);
    }
}

void hflip(const TransformStep& step, Sample& s, std::mt19937_64& rng) {
    if (!(drawUnit(rng) < step.probability)) return;
    Image& im = s.image;
    for (int c = 0; c < im.channels; ++c)
        for (int y = 0; y < im.height; ++y) {
            float* row = &im.data[(static_cast<size_t>(c) * im.height + y) * im.width];
            std::reverse(row, row + im.width);
        }
    mapBoxes(s, -1.0, im.width, 1.0, 0.0);
    if (hasMask(s))
        for (int y = 0; y < s.mask.height; ++y) {
            uint8_t* row = &s.mask.data[static_cast<size_t>(y) * s.mask.width];
            std::reverse(row, row + s.mask.width);
        }
}

void resize(const TransformStep& step, Sample& s) {
    const int h = step.height > 0 ? step.height : step.size;
    const int w = step.width > 0 ? step.width : step.size;
    if (h <= 0 || w <= 0) throw Error("resize: give a positive size, or height and width");
    Image& im = s.image;
    if (h == im.height && w == im.width) return;
    const double sx = static_cast<double>(w) / im.width, sy = static_cast<double>(h) / im.height;

    Image out;
    out.channels = im.channels;
    out.height = h;
    out.width = w;
    out.data.resize(static_cast<size_t>(im.channels) * h * w);
    for (int c = 0; c < im.channels; ++c) {
        cv::Mat src(im.height, im.width, CV_32F,
                    im.data.data() + static_cast<size_t>(c) * im.height * im.width);
        cv::Mat dst(h, w, CV_32F, out.data.data() + static_cast<size_t>(c) * h * w);
        cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_LINEAR);
    }
    im = std::move(out);
    mapBoxes(s, sx, 0.0, sy, 0.0);

    if (hasMask(s)) {
        Mask m;
        m.height = h;
        m.width = w;
        m.data.resize(static_cast<size_t>(h) * w);
        cv::Mat src(s.mask.height, s.mask.width, CV_8U, s.mask.data.data());
        cv::Mat dst(h, w, CV_8U, m.data.data());
        // NEAREST_EXACT samples at pixel centres like INTER_LINEAR does, so mask and image stay aligned
        // (plain INTER_NEAREST shifts by half a pixel).
        cv::resize(src, dst, dst.size(), 0, 0, cv::INTER_NEAREST_EXACT);
        s.mask = std::move(m);
    }
}

}  // namespace

void applyTransforms(const std::vector<TransformStep>& steps, Sample& sample, std::mt19937_64& rng) {
    if (steps.empty()) return;
    checkSample(sample);
    for (const TransformStep& step : steps) {
        switch (step.kind) {
            case TransformStep::Kind::Normalize:
                normalize(step, sample.image);
                break;
            case TransformStep::Kind::RandomCrop:
                randomCrop(step, sample, rng);
                break;
            case TransformStep::Kind::HFlip:
                hflip(step, sample, rng);
                break;
            case TransformStep::Kind::Resize:
                resize(step, sample);
                break;
        }
    }
}

}  // namespace distillery
