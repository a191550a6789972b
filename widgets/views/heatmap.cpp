#include "widgets/views/heatmap.h"

#include <QFontMetrics>
#include <QPainter>

#include <QColor>
#include <algorithm>
#include <cmath>

namespace distillery {

namespace {
QVector<QRgb> interpolate(const std::vector<QRgb>& stops) {
    QVector<QRgb> out(256);
    const int segments = static_cast<int>(stops.size()) - 1;
    for (int i = 0; i < 256; ++i) {
        const double t = i / 255.0 * segments;
        const int k = std::min(static_cast<int>(t), segments - 1);
        const double f = t - k;
        const QRgb a = stops[k], b = stops[k + 1];
        const auto mix = [f](int x, int y) { return static_cast<int>(std::lround(x + (y - x) * f)); };
        out[i] = qRgb(mix(qRed(a), qRed(b)), mix(qGreen(a), qGreen(b)), mix(qBlue(a), qBlue(b)));
    }
    return out;
}
}  // namespace

const QVector<QRgb>& viridisTable() {
    // matplotlib's viridis sampled at 0.0, 0.1, ..., 1.0.
    static const QVector<QRgb> table =
        interpolate({0x440154, 0x482475, 0x414487, 0x355f8d, 0x2a788e, 0x21918c, 0x22a884, 0x44bf70, 0x7ad151,
                     0xbddf26, 0xfde725});
    return table;
}

const QVector<QRgb>& divergingTable() {
    static const QVector<QRgb> table = interpolate({0x3b4cc0, 0x8db0fe, 0xf7f7f7, 0xf4987a, 0xb40426});
    return table;
}

void paintPlane(QImage& dst, int x0, int y0, const float* src, int h, int w, double lo, double hi,
                const QVector<QRgb>& lut) {
    const double scale = hi > lo ? 255.0 / (hi - lo) : 0.0;
    const QRgb nanColour = qRgb(128, 128, 128);
    for (int y = 0; y < h; ++y) {
        if (y0 + y < 0 || y0 + y >= dst.height()) continue;
        auto* line = reinterpret_cast<QRgb*>(dst.scanLine(y0 + y));
        const float* row = src + static_cast<size_t>(y) * w;
        for (int x = 0; x < w; ++x) {
            if (x0 + x < 0 || x0 + x >= dst.width()) continue;
            const double v = row[x];
            if (std::isnan(v)) {
                line[x0 + x] = nanColour;
                continue;
            }
            const int idx = std::clamp(static_cast<int>((v - lo) * scale + 0.5), 0, 255);
            line[x0 + x] = lut[idx];
        }
    }
}

QImage planeToImage(const float* src, int h, int w, double lo, double hi, const QVector<QRgb>& lut) {
    QImage img(std::max(w, 1), std::max(h, 1), QImage::Format_RGB32);
    img.fill(Qt::black);
    if (h > 0 && w > 0) paintPlane(img, 0, 0, src, h, w, lo, hi, lut);
    return img;
}

QImage sampleToImage(const Image& image) {
    if (image.channels <= 0 || image.height <= 0 || image.width <= 0) return {};
    QImage img(image.width, image.height, QImage::Format_RGB32);
    const auto byte = [](float v) { return std::clamp(static_cast<int>(std::lround(v * 255.f)), 0, 255); };
    const bool rgb = image.channels == 3;
    for (int y = 0; y < image.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
        for (int x = 0; x < image.width; ++x) {
            if (rgb) {
                line[x] = qRgb(byte(image.at(0, y, x)), byte(image.at(1, y, x)), byte(image.at(2, y, x)));
            } else {
                const int g = byte(image.at(0, y, x));
                line[x] = qRgb(g, g, g);
            }
        }
    }
    return img;
}

QRgb classColor(int classIndex) {
    if (classIndex == 255 || classIndex < 0) return qRgb(0, 0, 0);
    // Class 0 is usually background: a dark neutral, so objects stand out. Then tab20's strong colours.
    static const QRgb palette[] = {0x4a4a58, 0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b,
                                   0xe377c2, 0xbcbd22, 0x17becf, 0xaec7e8, 0xffbb78, 0x98df8a, 0xff9896,
                                   0xc5b0d5, 0xc49c94, 0xf7b6d2, 0xdbdb8d, 0x9edae5, 0x7f7f7f};
    constexpr int n = sizeof(palette) / sizeof(palette[0]);
    if (classIndex < n) return palette[classIndex] | 0xff000000u;
    // Beyond the table: spread hues by the golden angle so neighbours differ.
    return QColor::fromHsv((classIndex * 137) % 360, 160, 220).rgb();
}

QImage maskToImage(const Mask& mask) {
    if (mask.height <= 0 || mask.width <= 0) return {};
    QImage img(mask.width, mask.height, QImage::Format_RGB32);
    QRgb lut[256];
    for (int i = 0; i < 256; ++i)
        lut[i] = classColor(i);
    for (int y = 0; y < mask.height; ++y) {
        auto* line = reinterpret_cast<QRgb*>(img.scanLine(y));
        const uint8_t* row = mask.data.data() + static_cast<size_t>(y) * mask.width;
        for (int x = 0; x < mask.width; ++x)
            line[x] = lut[row[x]];
    }
    return img;
}

QImage colorBarImage(const QVector<QRgb>& lut, int width, int height) {
    QImage img(std::max(width, 1), std::max(height, 1), QImage::Format_RGB32);
    for (int x = 0; x < img.width(); ++x) {
        const int idx = img.width() > 1 ? x * (lut.size() - 1) / (img.width() - 1) : 0;
        for (int y = 0; y < img.height(); ++y)
            img.setPixel(x, y, lut[idx]);
    }
    return img;
}

QImage boxesToImage(const Image& image, const std::vector<Box>& truth,
                    const std::vector<Detection>& detections, double minScore, const QStringList& classNames,
                    int scale) {
    const int k = std::max(1, scale);
    QImage base = sampleToImage(image);
    QImage out =
        base.scaled(base.width() * k, base.height() * k, Qt::IgnoreAspectRatio, Qt::FastTransformation)
            .convertToFormat(QImage::Format_RGB32);
    QPainter p(&out);
    p.setRenderHint(QPainter::Antialiasing, false);
    auto name = [&](int64_t c) {
        return c >= 0 && c < classNames.size() ? classNames[static_cast<int>(c)] : QString::number(c);
    };
    // Classes keep the segmentation palette's colours (index 0 there is background, so shift by one).
    auto colour = [](int64_t c) { return QColor(classColor(static_cast<int>(c) + 1)); };
    for (const Box& b : truth) {
        const QRectF r(b.x1 * k, b.y1 * k, b.width() * k, b.height() * k);
        p.setPen(QPen(Qt::white, 1));
        p.drawRect(r.adjusted(-1, -1, 1, 1));
        p.setPen(QPen(colour(b.label), 2, Qt::DashLine));
        p.drawRect(r);
    }
    QFont font = p.font();
    font.setPixelSize(std::max(9, 3 * k));
    p.setFont(font);
    const QFontMetrics fm(font);
    for (const Detection& d : detections) {
        if (d.score < minScore) continue;
        const QRectF r(d.x1 * k, d.y1 * k, (d.x2 - d.x1) * k, (d.y2 - d.y1) * k);
        p.setPen(QPen(colour(d.label), 2));
        p.drawRect(r);
        const QString text = QStringLiteral("%1 %2").arg(name(d.label)).arg(d.score, 0, 'f', 2);
        const QRectF tag(r.left(), std::max(0.0, r.top() - fm.height()), fm.horizontalAdvance(text) + 4,
                         fm.height());
        p.fillRect(tag, colour(d.label));
        p.setPen(Qt::black);
        p.drawText(tag, Qt::AlignCenter, text);
    }
    return out;
}

}  // namespace distillery
