#pragma once
// Colour maps and conversions from the engine's plain images, masks and feature planes to QImage.

#include <QtGui/qrgb.h>
#include <QImage>
#include <QStringList>
#include <QVector>

#include "core/types.h"

namespace distillery {

/** 256-entry viridis lookup table (perceptually uniform, readable in grey print). */
const QVector<QRgb>& viridisTable();
/** 256-entry blue-white-red table for signed differences; entry 128 is white (zero). */
const QVector<QRgb>& divergingTable();

/**
 * Maps a row-major h x w float plane through `lut` ([lo, hi] -> first..last entry) into `dst` (RGB32) at
 * (x0, y0). NaN pixels are grey; lo == hi maps everything to the first entry.
 */
void paintPlane(QImage& dst, int x0, int y0, const float* src, int h, int w, double lo, double hi,
                const QVector<QRgb>& lut);
QImage planeToImage(const float* src, int h, int w, double lo, double hi, const QVector<QRgb>& lut);

/** The sample image as RGB32: one channel as grey, three as RGB, others as their first channel; [0, 1]. */
QImage sampleToImage(const Image& image);

/** Fixed palette for class indices, identical in every view; 255 (ignore) is black. */
QRgb classColor(int classIndex);
QImage maskToImage(const Mask& mask);

/**
 * The sample image `scale` times enlarged with boxes drawn on it: ground truth as dashed white-edged boxes in
 * its class colour, detections with score >= minScore as solid boxes labelled "class score". Classes are
 * named from `classNames` (indices when absent).
 */
QImage boxesToImage(const Image& image, const std::vector<Box>& truth,
                    const std::vector<Detection>& detections, double minScore, const QStringList& classNames,
                    int scale);

/** A horizontal colour bar (left = low) for legends. */
QImage colorBarImage(const QVector<QRgb>& lut, int width, int height);

}  // namespace distillery
