// Detection (issue 11): CenterNet targets and their decoding, the detector's losses against CenterNet's own
// code run in Debian's python3-torch, COCO AP on hand-built cases whose answers are derived by hand, the
// fashion_scenes_det generator with box-consistent transforms, the detector's graph, and a short training
// whose AP rises.

#include <torch/torch.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest/QtTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "core/dataset.h"
#include "core/detection.h"
#include "core/engine.h"
#include "core/internal/graph_net.h"
#include "core/internal/loader.h"
#include "core/internal/losses.h"
#include "core/quantize.h"
#include "core/recipe.h"
#include "core/types.h"
#include "verify/runtime_check.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif
#include "tests/core/suites.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {
const char* const kFashionRoot = "/usr/share/datasets/fashion-mnist";

Box box(float x1, float y1, float x2, float y2, int64_t label = 0) {
    Box b;
    b.x1 = x1;
    b.y1 = y1;
    b.x2 = x2;
    b.y2 = y2;
    b.label = label;
    return b;
}

Detection det(float x1, float y1, float x2, float y2, float score, int64_t label = 0) {
    Detection d;
    d.x1 = x1;
    d.y1 = y1;
    d.x2 = x2;
    d.y2 = y2;
    d.score = score;
    d.label = label;
    return d;
}

DataConfig detConfig() {
    DataConfig c;
    c.dataset = "fashion_scenes_det";
    c.root = kFashionRoot;
    c.trainScenes = 64;
    c.valScenes = 32;
    return c;
}

void compareAll(const std::vector<double>& got, const std::vector<double>& expected) {
    QCOMPARE(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
        QVERIFY2(std::abs(got[i] - expected[i]) < 1e-9,
                 qPrintable(QString("item %1: %2, expected %3").arg(i).arg(got[i]).arg(expected[i])));
}

void writeText(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

struct EpochRecorder : Observer {
    std::mutex mutex;
    std::vector<EpochEvent> epochs;
    void onEpoch(const EpochEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex);
        epochs.push_back(e);
    }
};

double metricOf(const std::vector<std::pair<std::string, double>>& metrics, const std::string& name) {
    for (const auto& [k, v] : metrics)
        if (k == name) return v;
    return -1.0;
}

/** Foreground pixels (above the generator's 0.1) of an image inside a box, and in the whole image. */
std::pair<int64_t, int64_t> foregroundInside(const Image& im, const Box& b) {
    int64_t inside = 0, all = 0;
    for (int y = 0; y < im.height; ++y)
        for (int x = 0; x < im.width; ++x)
            if (im.at(0, y, x) > 0.1f) {
                ++all;
                if (x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2) ++inside;
            }
    return {inside, all};
}
}  // namespace

class DetectionTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void gaussianRadiusMatchesCenterNet() {
        // CenterNet's gaussian_radius((h, w), min_overlap) run in python.
        QCOMPARE(gaussianRadius(10, 6), 2.0604675634006213);
        QVERIFY(std::abs(gaussianRadius(3, 3) - 0.8199601592044532) < 1e-12);
        QVERIFY(std::abs(gaussianRadius(7.5, 12, 0.5) - 3.853767860412791) < 1e-12);
    }

    void targetsPutAPeakAtEachCentre() {
        // A 20×12-pixel box at (8, 4): centre (18, 10) → cell (4.5, 2.5) at stride 4, so cell (4, 2) with
        // offset (0.5, 0.5), size (5, 3) cells; radius of a 3×5 box: floor(gaussianRadius(3, 5)) = 1.
        const int64_t k = 3;
        const int mh = 8, mw = 10;
        std::vector<float> t(static_cast<size_t>(detectionTargetChannels(k)) * mh * mw);
        encodeCenterTargets({box(8, 4, 28, 16, 2)}, k, mh, mw, 4, t.data());
        auto at = [&](int c, int y, int x) { return t[(static_cast<size_t>(c) * mh + y) * mw + x]; };
        QCOMPARE(at(2, 2, 4), 1.f);
        QCOMPARE(static_cast<int>(gaussianRadius(3, 5)), 1);
        // σ = (2·1 + 1)/6 = 0.5: a neighbour one cell away has exp(−1/(2·0.25)) = e^−2.
        QVERIFY(std::abs(at(2, 2, 5) - std::exp(-2.0)) < 1e-6);
        QVERIFY(std::abs(at(2, 3, 5) - std::exp(-4.0)) < 1e-6);
        QCOMPARE(at(2, 2, 6), 0.f);  // outside the radius
        QCOMPARE(at(0, 2, 4), 0.f);  // other classes untouched
        QCOMPARE(at(k, 2, 4), 5.f);
        QCOMPARE(at(k + 1, 2, 4), 3.f);
        QCOMPARE(at(k + 2, 2, 4), 0.5f);
        QCOMPARE(at(k + 3, 2, 4), 0.5f);
        QCOMPARE(at(k + 4, 2, 4), 1.f);
        float centres = 0;
        for (int y = 0; y < mh; ++y)
            for (int x = 0; x < mw; ++x)
                centres += at(k + 4, y, x);
        QCOMPARE(centres, 1.f);
    }

    void encodedBoxesDecodeBack() {
        // Heat-map logits from the targets (a sharp logit where the target is 1), size and offset copied:
        // decoding must give back every box, exactly where no two share a cell.
        const int64_t k = 4;
        const int h = 64, w = 48, mh = detectionMapSize(h), mw = detectionMapSize(w);
        std::vector<Box> boxes{box(3, 5, 20, 30, 0), box(30, 2, 47, 15, 3), box(10.5f, 40.25f, 40, 63.5f, 1)};
        std::vector<float> t(static_cast<size_t>(detectionTargetChannels(k)) * mh * mw);
        encodeCenterTargets(boxes, k, mh, mw, kDetectionStride, t.data());
        std::vector<float> maps(static_cast<size_t>(detectionOutputChannels(k)) * mh * mw);
        const size_t plane = static_cast<size_t>(mh) * mw;
        for (size_t i = 0; i < plane * k; ++i)
            maps[i] = t[i] >= 1.f ? 6.f : (t[i] > 0 ? -3.f : -8.f);
        std::copy(t.begin() + plane * k, t.begin() + plane * (k + 4), maps.begin() + plane * k);
        auto got = decodeCenterMaps(maps.data(), k, mh, mw, kDetectionStride, 100, h, w);
        QVERIFY(got.size() >= boxes.size());
        for (size_t i = 0; i < boxes.size(); ++i) {
            QVERIFY(std::abs(got[i].score - 1.f / (1.f + std::exp(-6.f))) < 1e-6f);
            bool found = false;
            for (size_t j = 0; j < boxes.size(); ++j) {
                const Box& b = boxes[j];
                if (got[i].label == b.label && std::abs(got[i].x1 - b.x1) < 1e-4f &&
                    std::abs(got[i].y1 - b.y1) < 1e-4f && std::abs(got[i].x2 - b.x2) < 1e-4f &&
                    std::abs(got[i].y2 - b.y2) < 1e-4f)
                    found = true;
            }
            QVERIFY2(found, qPrintable(QString("decoded box %1 is none of the encoded ones").arg(i)));
        }
        // Only peaks: the Gaussian's shoulders (−3, beside a 6) are not reported.
        for (size_t i = boxes.size(); i < got.size(); ++i)
            QVERIFY(got[i].score < 0.01f);
    }

    void decodingKeepsOnlyPeaksAndTopK() {
        // One class, 3×3 map (row-major): two equal maxima side by side both survive, as with a 3×3 max-pool
        // compared for equality; their smaller neighbour (cell 2) does not; cell 8 (0.5) is a peak, and so
        // is cell 6, a 0 whose neighbours are all 0.
        std::vector<float> maps(5 * 9, 0.f);
        float* heat = maps.data();
        heat[0] = 2.f;
        heat[1] = 2.f;
        heat[2] = 1.f;
        heat[8] = 0.5f;
        auto got = decodeCenterMaps(maps.data(), 1, 3, 3, 4, 100, 12, 12);
        QCOMPARE(got.size(), size_t{4});
        QCOMPARE(got[0].x1, 0.f);  // cell (0, 0) before cell (0, 1): ties go by position
        QCOMPARE(got[1].x1, 4.f);
        QCOMPARE(got[2].score, 1.f / (1.f + std::exp(-0.5f)));
        QCOMPARE(got[3].score, 0.5f);
        QCOMPARE(got[3].y1, 8.f);
        QCOMPARE(decodeCenterMaps(maps.data(), 1, 3, 3, 4, 2, 12, 12).size(), size_t{2});
    }

    void focalAndL1LossesMatchCenterNet() {
        // CenterNet's _neg_loss and RegL1Loss on these tensors (python3-torch, float64).
        auto logits = torch::tensor({0.5, -1.0, 0.3, 2.0, -3.0, 0.0, -2.0, 1.5, -0.5, 0.25, -0.75, 1.0},
                                    torch::kFloat32)
                          .view({1, 2, 2, 3});
        auto heat =
            torch::tensor({1.0, 0.5, 0.0, 0.2, 0.0, 0.9, 0.0, 0.3, 1.0, 0.6, 0.1, 0.0}, torch::kFloat32)
                .view({1, 2, 2, 3});
        QVERIFY(std::abs(gaussianFocalLoss(logits, heat).item<double>() - 1.206931167938202) < 1e-5);
        QVERIFY(std::abs(gaussianFocalLoss(logits, heat * 0.5).item<double>() - 2.807928727701464) < 1e-5);
        auto p = torch::tensor({1.0, 2.0, 3.0, 4.0, 0.5, -0.5, 1.5, 2.5}, torch::kFloat32).view({1, 2, 2, 2});
        auto t = torch::tensor({1.5, 0.0, 3.0, 1.0, 0.0, 0.0, 2.0, 2.0}, torch::kFloat32).view({1, 2, 2, 2});
        auto m = torch::tensor({1.0, 0.0, 1.0, 1.0}, torch::kFloat32).view({1, 2, 2});
        QVERIFY(std::abs(centreL1Loss(p, t, m).item<double>() - 0.8333194446759221) < 1e-5);
        // A perfect prediction costs only the focal term's floor (p clamped at 1 − 1e-4).
        auto out = torch::cat({torch::full({1, 1, 2, 2}, -20.0), p, p}, 1);
        out.index_put_({0, 0, 0, 0}, 20.0);
        auto target = torch::zeros({1, 6, 2, 2});
        target.index_put_({0, 0, 0, 0}, 1.0);
        target.narrow(1, 1, 2).copy_(p);
        target.narrow(1, 3, 2).copy_(p);
        target.index_put_({0, 5, 0, 0}, 1.0);
        QVERIFY(detectionLoss(out, target).item<double>() < 1e-3);
    }

    void apOfAPerfectDetectorIs100() {
        CocoEvaluator coco(2);
        coco.add({box(0, 0, 10, 10, 0), box(20, 20, 60, 70, 1)},
                 {det(0, 0, 10, 10, 0.9f, 0), det(20, 20, 60, 70, 0.8f, 1)});
        const CocoMetrics m = coco.compute();
        QCOMPARE(m.ap, 100.0);
        QCOMPARE(m.ap50, 100.0);
        QCOMPARE(m.ap75, 100.0);
        QCOMPARE(m.apSmall, 100.0);   // 100 px²
        QCOMPARE(m.apMedium, 100.0);  // 2000 px²
        QCOMPARE(m.apLarge, -1.0);    // no object above 96²
        QCOMPARE(m.ar100, 100.0);
        compareAll(m.perClassAP, {100.0, 100.0});
    }

    void aFalsePositiveRankedFirstHalvesAP() {
        // Detections in score order: FP, TP. Precision 0 then 1/2, made monotone: 1/2 at every recall point.
        CocoEvaluator coco(1);
        coco.add({box(0, 0, 10, 10)}, {det(50, 50, 60, 60, 0.9f), det(0, 0, 10, 10, 0.5f)});
        QCOMPARE(coco.compute().ap, 50.0);
        // The same two detections in the other order: precision 1 at recall 1, AP 100.
        CocoEvaluator swapped(1);
        swapped.add({box(0, 0, 10, 10)}, {det(50, 50, 60, 60, 0.4f), det(0, 0, 10, 10, 0.5f)});
        QCOMPARE(swapped.compute().ap, 100.0);
    }

    void apCountsTheThresholdsAnIoUPasses() {
        // IoU 62/100 = 0.62 passes 0.50, 0.55 and 0.60: 3 of the 10 thresholds → AP 30, AP50 100, AP75 0.
        CocoEvaluator coco(1);
        coco.add({box(0, 0, 10, 10)}, {det(0, 0, 10, 6.2f, 0.7f)});
        const CocoMetrics m = coco.compute();
        QVERIFY(std::abs(m.ap - 30.0) < 1e-9);
        QCOMPARE(m.ap50, 100.0);
        QCOMPARE(m.ap75, 0.0);
        QVERIFY(std::abs(boxIoU(det(0, 0, 10, 6.2f, 1), box(0, 0, 10, 10)) - 0.62) < 1e-6);
    }

    void recallAtHalfGivesFiftyOneOfHundredOnePoints() {
        // Two objects, one found (precision 1 up to recall 0.5): recall points 0, 0.01, ..., 0.50 read 1,
        // the other 50 read 0 → AP = 51/101.
        CocoEvaluator coco(1);
        coco.add({box(0, 0, 10, 10), box(30, 30, 40, 40)}, {det(0, 0, 10, 10, 0.9f)});
        QVERIFY(std::abs(coco.compute().ap - 100.0 * 51.0 / 101.0) < 1e-9);
    }

    void crowdBoxesNeitherMatchNorPenalise() {
        // A detection inside a crowd region is ignored (not a false positive); the crowd box is not a miss.
        Box crowd = box(40, 40, 100, 100);
        crowd.crowd = true;
        CocoEvaluator coco(1);
        coco.add({box(0, 0, 10, 10), crowd}, {det(50, 50, 60, 60, 0.95f), det(0, 0, 10, 10, 0.5f)});
        QCOMPARE(coco.compute().ap, 100.0);
    }

    void classesWithoutObjectsAreLeftOut() {
        // Class 0: AP 100; class 1: the FP-first case, 50; class 2 has no objects: -1, not in the mean.
        CocoEvaluator coco(3);
        coco.add({box(0, 0, 10, 10, 0), box(20, 20, 30, 30, 1)},
                 {det(0, 0, 10, 10, 0.9f, 0), det(50, 50, 60, 60, 0.8f, 1), det(20, 20, 30, 30, 0.7f, 1),
                  det(5, 5, 9, 9, 0.6f, 2)});
        const CocoMetrics m = coco.compute();
        compareAll(m.perClassAP, {100.0, 50.0, -1.0});
        QVERIFY(std::abs(m.ap - 75.0) < 1e-9);
    }

    void onlyTheBestHundredDetectionsCount() {
        // 100 false positives scored above the true one push it out of the image's top 100.
        std::vector<Detection> dets;
        for (int i = 0; i < 100; ++i)
            dets.push_back(det(200.f + i, 0, 201.f + i, 1, 0.9f));
        dets.push_back(det(0, 0, 10, 10, 0.5f));
        CocoEvaluator coco(1);
        coco.add({box(0, 0, 10, 10)}, dets);
        QCOMPARE(coco.compute().ap, 0.0);
        CocoEvaluator wider(1, 101);
        wider.add({box(0, 0, 10, 10)}, dets);
        QVERIFY(wider.compute().ap > 0.0);
    }

    void resultsJsonIsCocoFormat() {
        const std::string text = cocoResultsJson({{7, {det(1, 2, 11, 32, 0.75f, 1)}}}, {3, 8});
        QCOMPARE(text, std::string("[{\"bbox\":[1.0,2.0,10.0,30.0],\"category_id\":8,\"image_id\":7,"
                                   "\"score\":0.75}]\n"));
    }

    void scenesHaveTightBoxesOfVisibleGarments() {
        auto data = openDataset(detConfig(), Split::Train);
        QCOMPARE(data->task(), Task::Detection);
        QCOMPARE(data->numClasses(), 10);
        QCOMPARE(data->classNames().front(), std::string("T-shirt/top"));
        int64_t objects = 0;
        for (int64_t i = 0; i < data->size(); ++i) {
            Sample s = data->get(i);
            Sample again = data->get(i);
            QCOMPARE(s.image.data, again.image.data);  // deterministic from the seed
            QCOMPARE(s.boxes.size(), again.boxes.size());
            QVERIFY(s.mask.data.empty());
            QVERIFY(!s.boxes.empty());
            auto [inside, all] = std::pair<int64_t, int64_t>{0, 0};
            for (const Box& b : s.boxes) {
                QVERIFY(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= 64 && b.y2 <= 64);
                QVERIFY(b.x2 > b.x1 && b.y2 > b.y1);
                QVERIFY(b.label >= 0 && b.label < 10);
                // Tight: foreground touches each of the box's four edges.
                bool left = false, right = false, top = false, bottom = false;
                for (int y = static_cast<int>(b.y1); y < static_cast<int>(b.y2); ++y) {
                    left |= s.image.at(0, y, static_cast<int>(b.x1)) > 0.1f;
                    right |= s.image.at(0, y, static_cast<int>(b.x2) - 1) > 0.1f;
                }
                for (int x = static_cast<int>(b.x1); x < static_cast<int>(b.x2); ++x) {
                    top |= s.image.at(0, static_cast<int>(b.y1), x) > 0.1f;
                    bottom |= s.image.at(0, static_cast<int>(b.y2) - 1, x) > 0.1f;
                }
                // A later garment may cover an edge; most boxes are tight on all four.
                if (left && right && top && bottom) ++inside;
                ++all;
            }
            objects += all;
            // Every foreground pixel lies in some box.
            for (int y = 0; y < 64; ++y)
                for (int x = 0; x < 64; ++x) {
                    if (s.image.at(0, y, x) <= 0.1f) continue;
                    bool covered = false;
                    for (const Box& b : s.boxes)
                        covered |= x >= b.x1 && x < b.x2 && y >= b.y1 && y < b.y2;
                    QVERIFY2(covered, qPrintable(QString("scene %1 pixel (%2, %3)").arg(i).arg(x).arg(y)));
                }
            QVERIFY(inside * 10 >= all * 6);
        }
        QVERIFY(objects >= 2 * data->size());
    }

    void transformsMoveBoxesWithThePixels() {
        auto data = openDataset(detConfig(), Split::Val);
        Sample s = data->get(3);
        const Box first = s.boxes.at(0);
        const auto before = foregroundInside(s.image, first);
        // Flip with probability 1, then a 64-pixel crop of the image padded by 8.
        TransformStep flip;
        flip.kind = TransformStep::Kind::HFlip;
        flip.probability = 1.0;
        TransformStep crop;
        crop.kind = TransformStep::Kind::RandomCrop;
        crop.size = 64;
        crop.padding = 8;
        std::mt19937_64 rng(5);
        Sample t = s;
        applyTransforms({flip}, t, rng);
        QCOMPARE(t.boxes.at(0).x1, 64.f - first.x2);
        QCOMPARE(t.boxes.at(0).x2, 64.f - first.x1);
        QCOMPARE(foregroundInside(t.image, t.boxes.at(0)).first, before.first);
        // Resize to 32: coordinates halve.
        TransformStep resize;
        resize.kind = TransformStep::Kind::Resize;
        resize.size = 32;
        Sample r = s;
        applyTransforms({resize}, r, rng);
        QCOMPARE(r.boxes.at(0).x1, first.x1 / 2);
        QCOMPARE(r.boxes.at(0).y2, first.y2 / 2);
        // A crop shifts boxes by its offset and clips them; pixels inside stay inside.
        for (int trial = 0; trial < 20; ++trial) {
            Sample c = s;
            applyTransforms({crop}, c, rng);
            for (const Box& b : c.boxes)
                QVERIFY(b.x1 >= 0 && b.y1 >= 0 && b.x2 <= 64 && b.y2 <= 64 && b.x2 > b.x1 && b.y2 > b.y1);
            int64_t fg = 0;
            for (const Box& b : c.boxes)
                fg += foregroundInside(c.image, b).first;
            QVERIFY(fg > 0);
        }
    }

    void detectorHasNeckAndHeadTaps() {
        for (const char* arch : {"resnet8", "wrn_16_2", "vgg8", "mobilenetv2"}) {
            ModelSpec spec;
            spec.arch = arch;
            spec.head = "centernet";
            GraphNet net = buildModel(spec, Task::Detection, 1, 10);
            torch::NoGradGuard noGrad;
            net->eval();
            auto out = net->run(torch::zeros({2, 1, 64, 64}), {"neck_s4", "heatmap", "size", "offset"});
            QCOMPARE(out.output.sizes().vec(), (std::vector<int64_t>{2, 14, 16, 16}));
            QCOMPARE(out.taps.at("neck_s4").size(2), int64_t{16});
            QCOMPARE(out.taps.at("heatmap").size(1), int64_t{10});
            QVERIFY(net->hasTap("neck_s8"));
            // The heat map starts near CenterNet's prior, sigmoid(−2.19) ≈ 0.1.
            QVERIFY(std::abs(torch::sigmoid(out.taps.at("heatmap")).mean().item<double>() - 0.1) < 0.05);
        }
        ModelSpec bad;
        bad.arch = "resnet8";
        bad.head = "psp";
        QVERIFY_THROWS_EXCEPTION(Error, buildModel(bad, Task::Detection, 1, 10));
    }

    void collatedTargetsMatchTheEncoder() {
        auto data = openDataset(detConfig(), Split::Val);
        std::vector<Sample> samples{data->get(0), data->get(1)};
        Batch b = collate(samples, {0, 1}, Task::Detection, 10);
        QCOMPARE(b.targets.sizes().vec(), (std::vector<int64_t>{2, 15, 16, 16}));
        QCOMPARE(b.boxes.size(), size_t{2});
        QCOMPARE(b.imageIds, (std::vector<int64_t>{0, 1}));
        std::vector<float> t(15 * 16 * 16);
        encodeCenterTargets(samples[1].boxes, 10, 16, 16, 4, t.data());
        auto got = b.targets[1].contiguous();
        QVERIFY(std::equal(t.begin(), t.end(), got.data_ptr<float>()));
    }

    void cocoReaderMapsCategoriesAndScalesBoxes() {
        const std::string dir = tests::scratchDir("coco_reader");
        fs::create_directories(dir + "/train/images");
        fs::create_directories(dir + "/val/images");
        cv::Mat img(16, 20, CV_8UC3, cv::Scalar(10, 20, 30));
        for (const char* f : {"/train/images/a.png", "/train/images/b.png", "/val/images/c.png"})
            QVERIFY(cv::imwrite(dir + f, img));
        // Category ids 7 and 3 (not contiguous, not in order): classes 0 = id 3 "shoe", 1 = id 7 "bag".
        writeText(dir + "/train/annotations.json", R"({
  "images": [{"id": 11, "file_name": "a.png", "width": 20, "height": 16},
             {"id": 12, "file_name": "b.png", "width": 20, "height": 16}],
  "annotations": [{"id": 1, "image_id": 11, "category_id": 7, "bbox": [2, 4, 10, 8], "iscrowd": 0, "area": 60},
                  {"id": 2, "image_id": 11, "category_id": 3, "bbox": [0, 0, 20, 16], "iscrowd": 1},
                  {"id": 3, "image_id": 12, "category_id": 3, "bbox": [5.5, 1, 4, 4]}],
  "categories": [{"id": 7, "name": "bag"}, {"id": 3, "name": "shoe"}]})");
        writeText(dir + "/val/annotations.json", R"({"images": [{"id": 5, "file_name": "c.png"}],
  "annotations": [{"id": 9, "image_id": 5, "category_id": 7, "bbox": [1, 1, 2, 2]}],
  "categories": [{"id": 3, "name": "shoe"}, {"id": 7, "name": "bag"}]})");
        DataConfig c;
        c.dataset = "coco_json";
        c.root = dir + "/train";
        c.valRoot = dir + "/val";
        c.imageSize = 40;  // twice the width, 2.5 × the height
        auto train = openDataset(c, Split::Train);
        QCOMPARE(train->task(), Task::Detection);
        QCOMPARE(train->size(), int64_t{2});
        QCOMPARE(train->classNames(), (std::vector<std::string>{"shoe", "bag"}));
        QCOMPARE(train->categoryIds(), (std::vector<int64_t>{3, 7}));
        Sample a = train->get(0);
        QCOMPARE(a.imageId, int64_t{11});
        QCOMPARE(a.image.channels, 3);
        QCOMPARE(a.image.width, 40);
        QCOMPARE(a.boxes.size(), size_t{2});
        QCOMPARE(a.boxes[0].label, int64_t{1});
        QCOMPARE(a.boxes[0].x1, 4.f);
        QCOMPARE(a.boxes[0].y1, 10.f);
        QCOMPARE(a.boxes[0].x2, 24.f);
        QCOMPARE(a.boxes[0].y2, 30.f);
        QCOMPARE(a.boxes[0].area, 300.f);  // 60 · 2 · 2.5
        QVERIFY(!a.boxes[0].crowd);
        QVERIFY(a.boxes[1].crowd);
        QCOMPARE(train->get(1).boxes.at(0).x1, 11.f);
        auto val = openDataset(c, Split::Val);
        QCOMPARE(val->size(), int64_t{1});
        QCOMPARE(val->get(0).boxes.at(0).label, int64_t{1});
        // The same files given apart.
        DataConfig apart;
        apart.dataset = "coco_json";
        apart.images = dir + "/train/images";
        apart.annotations = dir + "/train/annotations.json";
        apart.valFraction = 0.5;
        apart.imageSize = 40;
        QCOMPARE(openDataset(apart, Split::Train)->size() + openDataset(apart, Split::Val)->size(),
                 int64_t{2});
        // In COCO's results format the categories get their own ids back.
        QVERIFY(cocoResultsJson({{11, {det(0, 0, 1, 1, 0.5f, 0)}}}, train->categoryIds())
                    .find("\"category_id\":3") != std::string::npos);
    }

    void malformedCocoFilesNameTheEntry() {
        const std::string dir = tests::scratchDir("coco_bad");
        fs::create_directories(dir + "/images");
        QVERIFY(cv::imwrite(dir + "/images/a.png", cv::Mat(16, 20, CV_8UC1, cv::Scalar(0))));
        const std::string good = R"("categories": [{"id": 1, "name": "x"}])";
        auto errorOf = [&](const std::string& json) -> std::string {
            writeText(dir + "/annotations.json", json);
            DataConfig c;
            c.dataset = "coco_json";
            c.root = dir;
            try {
                openDataset(c, Split::Train)->get(0);
            } catch (const Error& e) {
                return e.what();
            }
            return {};
        };
        auto expect = [&](const std::string& json, std::vector<std::string> parts) {
            const std::string e = errorOf(json);
            for (const auto& p : parts)
                QVERIFY2(e.find(p) != std::string::npos,
                         qPrintable(QString::fromStdString(e + "  [missing: " + p + "]")));
        };
        expect("{\"images\": [", {"annotations.json", "not valid JSON"});
        expect(
            R"({"images": [{"id": 1, "file_name": "a.png"}, {"id": 2, "file_name": "gone.png"}], "annotations": [], )" +
                good + "}",
            {"annotations.json", "images[1] (id 2)", "gone.png", "does not exist"});
        expect(
            R"({"images": [{"id": 1, "file_name": "a.png", "width": 20, "height": 16}], "annotations": [{"id": 4, "image_id": 1, "category_id": 1, "bbox": [15, 2, 10, 5]}], )" +
                good + "}",
            {"annotations[0] (id 4)", "bbox [15, 2, 10, 5]", "outside image 1"});
        expect(
            R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"id": 4, "image_id": 1, "category_id": 1, "bbox": [15, 2, 10, 5]}], )" +
                good + "}",
            {"a box of image 1", "outside the image's 16x20"});
        expect(
            R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "category_id": 9, "bbox": [1, 2, 3, 4]}], )" +
                good + "}",
            {"annotations[0]", "category_id 9 is not in \"categories\""});
        expect(
            R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 3, "category_id": 1, "bbox": [1, 2, 3, 4]}], )" +
                good + "}",
            {"annotations[0]", "image_id 3"});
        expect(
            R"({"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "category_id": 1, "bbox": [1, 2, 0, 4]}], )" +
                good + "}",
            {"annotations[0]", "has no area"});
        expect(R"({"images": [{"id": 1, "file_name": "a.png"}], )" + good + "}", {"no \"annotations\" list"});
    }

    void fgdMatchesTheAuthorsCode() {
        // The FGD authors' get_attention / mask building / get_fea_loss / get_mask_loss run in python3-torch
        // (float64) on these maps: N = 2, C = 3, 4 × 5 maps of 16 × 20 images.
        auto s =
            torch::sin(torch::arange(120, torch::kFloat64) * 0.37).view({2, 3, 4, 5}).to(torch::kFloat32);
        auto t = (torch::cos(torch::arange(120, torch::kFloat64) * 0.23) * 1.5)
                     .view({2, 3, 4, 5})
                     .to(torch::kFloat32);
        std::vector<std::vector<Box>> boxes{{box(2, 3, 9, 11), box(12, 0, 20, 7)}, {box(0, 0, 4, 4)}};
        auto [fg, bg] = fgdMasks(boxes, 4, 5, 16, 20);
        // Image 0: the first box spans cells x 0..3, y 0..3 (16 cells, 1/16); the second x 3..5 → 3..4,
        // y 0..2 (3·3 cells, 1/9), the larger weight kept where they overlap.
        QCOMPARE(fg[0][0][0].item<float>(), 0.0625f);
        QCOMPARE(fg[0][0][4].item<float>(), 1.f / 9.f);
        QCOMPARE(fg[0][3][4].item<float>(), 0.f);
        QCOMPARE(fg[1][1][1].item<float>(), 0.25f);
        QCOMPARE(fg[1][2][0].item<float>(), 0.f);
        QVERIFY(std::abs(bg[1].sum().item<double>() - 1.0) < 1e-6);
        QCOMPARE(bg[1][3][4].item<float>(), 0.0625f);
        auto parts = fgdFocalLosses(s, t, fg, bg, 0.5);
        QVERIFY(std::abs(parts[0].item<double>() - 4.306516728293289) < 1e-4);
        QVERIFY(std::abs(parts[1].item<double>() - 4.979664612414046) < 1e-4);
        QVERIFY(std::abs(parts[2].item<double>() - 5.543214364063994) < 1e-4);
        // The global part starts as Σ(F_S − F_T)²/N: both GcBlocks' last convs are zero.
        GcBlock gs(3), gt(3);
        auto relation = (gs->forward(s) - gt->forward(t)).square().sum() / 2.0;
        QVERIFY(std::abs(relation.item<double>() - 85.83270433547737) < 1e-3);
        // Equal maps cost nothing.
        auto same = fgdFocalLosses(t, t, fg, bg, 0.5);
        for (const auto& p : same)
            QCOMPARE(p.item<double>(), 0.0);
    }

    void heatMapKdIsBinaryKl() {
        auto x =
            (torch::sin(torch::arange(24, torch::kFloat64) * 0.5) * 2).view({2, 3, 2, 2}).to(torch::kFloat32);
        auto y =
            (torch::cos(torch::arange(24, torch::kFloat64) * 0.3) * 2).view({2, 3, 2, 2}).to(torch::kFloat32);
        QVERIFY(std::abs(sigmoidPixelKdLoss(x, y, 2.0).item<double>() - 1.1933306887833866) < 1e-5);
        QVERIFY(sigmoidPixelKdLoss(y, y, 2.0).abs().item<double>() < 1e-7);
    }

    void cosineWeightDecaysToItsFloor() {
        LossTermSpec term;
        term.method = LossMethod::Cwd;
        term.weight = 10;
        QCOMPARE(term.weightAt(0.7), 10.0);
        term.cosineWeight = true;
        term.weightFloor = 0.1;
        QCOMPARE(term.weightAt(0.0), 10.0);
        QVERIFY(std::abs(term.weightAt(0.5) - 5.5) < 1e-12);  // 10·(0.1 + 0.9·½)
        QVERIFY(std::abs(term.weightAt(1.0) - 1.0) < 1e-12);
        QVERIFY(std::abs(term.weightAt(0.25) - 10 * (0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI / 4)))) < 1e-12);
        Recipe r = parseRecipe(
            "job: distill\nmodel: {arch: resnet8}\nteacher: {arch: resnet8, checkpoint: x}\n"
            "losses:\n  - {method: task}\n  - {method: cwd, tap: neck_s4, weight: 10, "
            "weight_schedule: cosine, weight_floor: 0.2}\n",
            "r.yaml", "/tmp", {});
        QVERIFY(r.losses[1].cosineWeight);
        QCOMPARE(r.losses[1].weightFloor, 0.2);
        QVERIFY(parseRecipe(recipeToYaml(r), "r.yaml", "/tmp", {}).losses[1].cosineWeight);
        try {
            parseRecipe(
                "job: distill\nmodel: {arch: resnet8}\nteacher: {arch: resnet8, checkpoint: x}\n"
                "losses:\n  - {method: cwd, tap: a, weight_schedule: linear}\n",
                "r.yaml", "/tmp", {});
            QFAIL("an unknown schedule was accepted");
        } catch (const Error& e) {
            QVERIFY(std::string(e.what()).find(
                        "unknown weight schedule 'linear' (allowed: constant, cosine)") != std::string::npos);
        }
    }

    void shortTrainingRaisesAP() {
        const std::string dir = tests::scratchDir("detection_train");
        const std::string text = R"(name: det
job: train
seed: 1
precision: fp32
data: {dataset: fashion_scenes_det, root: /usr/share/datasets/fashion-mnist, train_scenes: 1536,
       val_scenes: 200, workers: 1}
transforms:
  train: [{hflip: 0.5}, {normalize: {mean: [0.2], std: [0.35]}}]
  eval: [{normalize: {mean: [0.2], std: [0.35]}}]
model: {arch: resnet8, head: centernet}
optim: {name: adamw, lr: 2.0e-3, weight_decay: 1.0e-4}
schedule: {name: cosine, warmup_epochs: 0.1}
train: {epochs: 3, batch_size: 32, eval_batch_size: 100}
diagnostics: {every: 0}
)";
        Recipe recipe = parseRecipe(text, "det.yaml", dir, {});
        Job job(recipe, {dir + "/run"});
        auto rec = std::make_shared<EpochRecorder>();
        job.addObserver(rec);
        job.start();
        RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Finished);
        auto metric = [&](const char* name) { return metricOf(s.finalMetrics, name); };
        // An untrained detector scores ~0 (its top-100 boxes are random); each of three short epochs finds
        // more of the garments.
        QCOMPARE(rec->epochs.size(), size_t{3});
        const double first = metricOf(rec->epochs.front().metrics, "ap50");
        QVERIFY2(metric("ap50") > first && metric("ap50") > 2.0,
                 qPrintable(QString("ap50 %1 after epoch 1, %2 at the end").arg(first).arg(metric("ap50"))));
        QVERIFY(metric("ap") > 0.5);
        EvalResult again = evaluateRun(dir + "/run");
        QCOMPARE(again.perClassAP.size(), size_t{10});
        QCOMPARE(again.detections.size(), size_t{200});
        QCOMPARE(again.metrics.front().first, std::string("ap"));
        // The trained detector teaches a student with every detection term at once (FGD on the stride-4 neck,
        // CWD on the stride-8 neck with YOLOv6's cosine-decayed weight, binary KD on the heat maps).
        Recipe distill = parseRecipe(
            std::string(text) + R"(teacher: {arch: resnet8, head: centernet, checkpoint: )" + dir + R"(/run}
losses:
  - {method: task}
  - {method: fgd, tap: neck_s4, weight: 1}
  - {method: cwd, tap: neck_s8, tau: 1, weight: 10, weight_schedule: cosine, weight_floor: 0.1}
  - {method: pixel_kd, tap: heatmap, tau: 2}
)",
            "d.yaml", dir, {"job=distill", "train.epochs=1", "data.train_scenes=256"});
        Job student(distill, {dir + "/student"});
        auto srec = std::make_shared<EpochRecorder>();
        student.addObserver(srec);
        student.start();
        RunSummary ds = student.wait();
        QVERIFY2(ds.status == RunStatus::Finished, ds.message.c_str());
        QVERIFY(metricOf(ds.finalMetrics, "ap") >= 0.0);
        QVERIFY2(std::abs(again.metrics.front().second - metricOf(s.bestMetrics, "ap")) < 1e-6,
                 qPrintable(QString("eval %1, best %2")
                                .arg(again.metrics.front().second)
                                .arg(metricOf(s.bestMetrics, "ap"))));
    }
};

DISTILLERY_TEST_SUITE("detection", DetectionTest);
#include "test_detection.moc"
