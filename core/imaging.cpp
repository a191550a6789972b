#include "core/imaging.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <utility>

namespace distillery {

namespace {

constexpr int kGap = 2;
const cv::Scalar kBackground(40, 40, 40);

void checkMap(const FeatureMap& map) {
    if (map.channels < 0 || map.height < 0 || map.width < 0)
        throw Error("feature map '" + map.tap + "' has a negative dimension");
    const auto expected = static_cast<size_t>(map.channels * map.height * map.width);
    if (map.data.size() != expected)
        throw Error("feature map '" + map.tap + "' holds " + std::to_string(map.data.size()) +
                    " values, expected " + std::to_string(expected) + " for " + std::to_string(map.channels) +
                    "x" + std::to_string(map.height) + "x" + std::to_string(map.width));
}

/** Finite min and max of `count` values; lo > hi when there are none. */
std::pair<float, float> finiteRange(const float* values, size_t count) {
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (size_t i = 0; i < count; ++i) {
        if (!std::isfinite(values[i])) continue;
        lo = std::min(lo, values[i]);
        hi = std::max(hi, values[i]);
    }
    return {lo, hi};
}

/** One channel as an 8-bit image scaled from [lo, hi] to [0, 255]; non-finite values become 0. */
cv::Mat channelImage(const FeatureMap& map, int64_t c, float lo, float hi) {
    const int h = static_cast<int>(map.height), w = static_cast<int>(map.width);
    const float* src = map.data.data() + static_cast<size_t>(c) * h * w;
    cv::Mat out(h, w, CV_8UC1, cv::Scalar(0));
    // A flat channel carries no spatial information; show it uniformly dark rather than amplifying rounding.
    const float range = hi - lo;
    if (!(range > 0.0f)) return out;
    for (int y = 0; y < h; ++y) {
        auto* row = out.ptr<uint8_t>(y);
        for (int x = 0; x < w; ++x) {
            const float v = src[y * w + x];
            if (!std::isfinite(v)) continue;
            row[x] = cv::saturate_cast<uint8_t>((v - lo) / range * 255.0f);
        }
    }
    return out;
}

void drawLabel(cv::Mat& canvas, const std::string& text, cv::Point origin) {
    // Outline first so the index stays readable on both ends of the colour map.
    cv::putText(canvas, text, origin, cv::FONT_HERSHEY_PLAIN, 0.7, cv::Scalar(0, 0, 0), 2, cv::LINE_AA);
    cv::putText(canvas, text, origin, cv::FONT_HERSHEY_PLAIN, 0.7, cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

}  // namespace

std::vector<ChannelStats> channelStatistics(const FeatureMap& map, double tau) {
    checkMap(map);
    if (!(tau > 0.0) || !std::isfinite(tau))
        throw Error("temperature must be positive, got " + std::to_string(tau));
    std::vector<ChannelStats> result;
    const size_t n = static_cast<size_t>(map.height * map.width);
    if (n == 0) return result;
    result.reserve(static_cast<size_t>(map.channels));
    for (int64_t c = 0; c < map.channels; ++c) {
        const float* v = map.data.data() + static_cast<size_t>(c) * n;
        ChannelStats s;
        s.channel = static_cast<int>(c);
        double sum = 0, lo = v[0], hi = v[0];
        for (size_t i = 0; i < n; ++i) {
            sum += v[i];
            lo = std::min<double>(lo, v[i]);
            hi = std::max<double>(hi, v[i]);
        }
        s.mean = sum / static_cast<double>(n);
        double sq = 0;
        for (size_t i = 0; i < n; ++i)
            sq += (v[i] - s.mean) * (v[i] - s.mean);
        s.std = std::sqrt(sq / static_cast<double>(n));  // population std: the map is the whole population
        s.min = lo;
        s.max = hi;
        // With z_i = (x_i - max)/tau <= 0: H = log Z - sum(e^z_i * z_i)/Z, so no exp overflows and no log(0).
        double z = 0, weighted = 0;
        for (size_t i = 0; i < n; ++i) {
            const double zi = (v[i] - hi) / tau;
            const double e = std::exp(zi);
            z += e;
            weighted += e * zi;
        }
        s.spatialEntropy = std::log(z) - weighted / z;
        result.push_back(s);
    }
    return result;
}

void writeChannelGrid(const FeatureMap& map, const std::string& pngPath, int tileSize) {
    checkMap(map);
    if (map.channels == 0 || map.height == 0 || map.width == 0)
        throw Error("cannot draw " + pngPath + ": feature map '" + map.tap + "' is empty");
    if (tileSize < 1) throw Error("tile size must be positive, got " + std::to_string(tileSize));

    const int channels = static_cast<int>(map.channels);
    const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(channels))));
    const int rows = (channels + cols - 1) / cols;
    // Keep the map's aspect ratio inside a square tile; the longer side fills it.
    const double scale = static_cast<double>(tileSize) / static_cast<double>(std::max(map.height, map.width));
    const int tileW = std::max(1, static_cast<int>(std::lround(map.width * scale)));
    const int tileH = std::max(1, static_cast<int>(std::lround(map.height * scale)));

    cv::Mat canvas(rows * tileSize + (rows + 1) * kGap, cols * tileSize + (cols + 1) * kGap, CV_8UC3,
                   kBackground);
    const bool labelled = tileSize >= 24;
    // A vector tap (1x1 per channel) would be flat under per-channel scaling; compare its channels instead.
    const size_t plane = static_cast<size_t>(map.height * map.width);
    const auto shared = finiteRange(map.data.data(), map.data.size());
    for (int c = 0; c < channels; ++c) {
        const auto [lo, hi] = plane == 1 ? shared : finiteRange(map.data.data() + c * plane, plane);
        cv::Mat gray = channelImage(map, c, lo, hi), scaled, coloured;
        cv::resize(gray, scaled, cv::Size(tileW, tileH), 0, 0, cv::INTER_NEAREST);
        cv::applyColorMap(scaled, coloured, cv::COLORMAP_VIRIDIS);
        const int x0 = kGap + (c % cols) * (tileSize + kGap) + (tileSize - tileW) / 2;
        const int y0 = kGap + (c / cols) * (tileSize + kGap) + (tileSize - tileH) / 2;
        coloured.copyTo(canvas(cv::Rect(x0, y0, tileW, tileH)));
        if (labelled) drawLabel(canvas, std::to_string(c), cv::Point(x0 + 2, y0 + 11));
    }

    std::vector<uint8_t> png;
    try {
        if (!cv::imencode(".png", canvas, png)) throw Error("cannot encode " + pngPath + " as PNG");
    } catch (const cv::Exception& e) {
        throw Error("cannot encode " + pngPath + " as PNG: " + e.msg);
    }
    writeFileAtomically(pngPath, std::string(png.begin(), png.end()));
}

void writeChannelCsv(const std::vector<ChannelStats>& stats, const std::string& csvPath) {
    std::ostringstream out;
    out << std::setprecision(9);
    out << "channel,mean,std,min,max,spatial_entropy\n";
    for (const auto& s : stats)
        out << s.channel << ',' << s.mean << ',' << s.std << ',' << s.min << ',' << s.max << ','
            << s.spatialEntropy << '\n';
    writeFileAtomically(csvPath, out.str());
}

void writeFileAtomically(const std::string& path, const std::string& contents) {
    namespace fs = std::filesystem;
    if (path.empty()) throw Error("cannot write a file with an empty path");
    const fs::path target(path);
    if (!target.has_filename()) throw Error("cannot write " + path + ": not a file name");
    // Unique per process and call, in the target's folder so that rename() stays on one file system.
    static std::atomic<unsigned> counter{0};
    const fs::path temp =
        target.parent_path() / ("." + target.filename().string() + ".tmp-" + std::to_string(::getpid()) +
                                "-" + std::to_string(counter++));

    // A path that cannot be written (a missing folder, no permission) is the caller's input: Error. A disk
    // that fails or fills up while writing is a failure of the run: Failure.
    auto raise = [&](int err) {
        std::error_code ignored;
        fs::remove(temp, ignored);
        const std::string message = "cannot write " + path + ": " + std::strerror(err);
        const bool badPath = err == ENOENT || err == ENOTDIR || err == EISDIR || err == ENAMETOOLONG ||
                             err == EACCES || err == EROFS || err == EPERM;
        if (badPath) throw Error(message);
        throw Failure(message);
    };

    std::FILE* f = std::fopen(temp.c_str(), "wb");
    if (!f) raise(errno);
    const bool written = std::fwrite(contents.data(), 1, contents.size(), f) == contents.size();
    const int writeErrno = errno;
    const bool flushed = std::fflush(f) == 0 && ::fsync(::fileno(f)) == 0;
    const int flushErrno = errno;
    if (std::fclose(f) != 0 || !written || !flushed)
        raise(!written ? writeErrno : !flushed ? flushErrno : errno);

    std::error_code ec;
    fs::rename(temp, target, ec);
    if (ec) raise(ec.value());
}

}  // namespace distillery
