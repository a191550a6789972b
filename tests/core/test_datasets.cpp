// Data sets and transforms: the real Fashion-MNIST files, generated Fashion-Scenes, and tiny folders and
// binary files that the tests write themselves.

#include <sched.h>
#include <torch/torch.h>

#include <QtTest/QtTest>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <thread>

#include "core/dataset.h"
#include "core/internal/loader.h"
#include "tests/core/suites.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

const char* const kFashionRoot = "/usr/share/datasets/fashion-mnist";

using tests::errorOf;

DataConfig fashionConfig(const std::string& dataset = "fashion_mnist") {
    DataConfig c;
    c.dataset = dataset;
    c.root = kFashionRoot;
    return c;
}

Sample tinySample() {
    Sample s;
    s.image.channels = 1;
    s.image.height = 2;
    s.image.width = 3;
    s.image.data = {1, 2, 3, 4, 5, 6};
    return s;
}

bool near(const std::vector<float>& a, const std::vector<float>& b, float tol = 1e-5f) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (std::fabs(a[i] - b[i]) > tol) return false;
    return true;
}

QString show(const std::vector<float>& v) {
    QStringList parts;
    for (float x : v)
        parts << QString::number(x);
    return parts.join(' ');
}

void writeGray(const fs::path& path, int h, int w, uint8_t value) {
    cv::Mat m(h, w, CV_8UC1, cv::Scalar(value));
    QVERIFY(cv::imwrite(path.string(), m));
}

void writeBytes(const fs::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

/** A CIFAR-10 record: label, then the R, G and B planes filled with r, g, b. */
std::vector<uint8_t> cifarRecord(std::vector<uint8_t> head, uint8_t r, uint8_t g, uint8_t b) {
    std::vector<uint8_t> rec = std::move(head);
    rec.insert(rec.end(), 1024, r);
    rec.insert(rec.end(), 1024, g);
    rec.insert(rec.end(), 1024, b);
    return rec;
}

}  // namespace

class DatasetsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        mTrain = openDataset(fashionConfig(), Split::Train);
        mVal = openDataset(fashionConfig(), Split::Val);
    }

    void loaderThreadsLeaveTheModelItsCores() {
        // Batch preparation never takes the cores the intra-op threads use (at least one thread, which
        // overlaps with the model), and the batches do not depend on how many threads prepare them.
        cpu_set_t set;
        CPU_ZERO(&set);
        QCOMPARE(sched_getaffinity(0, sizeof(set), &set), 0);
        const int cores = CPU_COUNT(&set);
        const int before = at::get_num_threads();
        at::set_num_threads(cores);
        QCOMPARE(loaderThreads(4), 1);
        at::set_num_threads(1);
        QCOMPARE(loaderThreads(8), std::max(1, std::min(8, cores - 1)));
        QCOMPARE(loaderThreads(0), 1);

        TransformStep crop, flip;
        crop.kind = TransformStep::Kind::RandomCrop;
        crop.size = 28;
        crop.padding = 2;
        flip.kind = TransformStep::Kind::HFlip;
        const std::vector<TransformStep> transforms{crop, flip};
        auto batches = [&](int workers) {
            BatchLoader loader(mTrain, transforms, 32, true, true, 5, workers);
            loader.startEpoch(2);
            std::vector<torch::Tensor> out;
            Batch b;
            for (int i = 0; i < 3 && loader.next(b); ++i)
                out.push_back(b.images.clone());
            return out;
        };
        at::set_num_threads(1);
        const auto one = batches(1), three = batches(3);
        at::set_num_threads(before);
        QCOMPARE(one.size(), size_t{3});
        QCOMPARE(three.size(), one.size());
        for (size_t i = 0; i < one.size(); ++i)
            QVERIFY(torch::equal(one[i], three[i]));
    }

    void fashionMnistShape() {
        QCOMPARE(mTrain->size(), int64_t(60000));
        QCOMPARE(mVal->size(), int64_t(10000));
        QVERIFY(mTrain->task() == Task::Classification);
        QCOMPARE(mTrain->channels(), 1);
        QCOMPARE(mTrain->height(), 28);
        QCOMPARE(mTrain->width(), 28);
        QCOMPARE(mTrain->numClasses(), 10);
        const auto names = mTrain->classNames();
        QCOMPARE(int(names.size()), 10);
        QCOMPARE(QString::fromStdString(names[0]), QString("T-shirt/top"));
        QCOMPARE(QString::fromStdString(names[9]), QString("Ankle boot"));
        Sample s = mTrain->get(0);
        QCOMPARE(s.image.channels, 1);
        QCOMPARE(s.image.height, 28);
        QCOMPARE(s.image.width, 28);
        QCOMPARE(int(s.image.data.size()), 784);
        QVERIFY(s.mask.data.empty());
    }

    void fashionMnistLabels() {
        // Fashion-MNIST is balanced: 6000 per class in train, 1000 in test.
        for (auto [ds, perClass] : {std::pair{mTrain, 6000}, std::pair{mVal, 1000}}) {
            std::vector<int> counts(10, 0);
            for (int64_t i = 0; i < ds->size(); ++i) {
                const int64_t label = ds->get(i).label;
                QVERIFY(label >= 0 && label <= 9);
                ++counts[label];
            }
            for (int c = 0; c < 10; ++c)
                QCOMPARE(counts[c], perClass);
        }
        // The first items of both files are ankle boots (checked against the raw files).
        QCOMPARE(mTrain->get(0).label, int64_t(9));
        QCOMPARE(mTrain->get(1).label, int64_t(0));
        QCOMPARE(mTrain->get(3).label, int64_t(3));
        QCOMPARE(mVal->get(0).label, int64_t(9));
        QCOMPARE(mVal->get(1).label, int64_t(2));
    }

    void fashionMnistPixels() {
        // Reference values computed independently from the raw IDX bytes (Python, gzip): mean 0.286041,
        // std 0.353024 over all training pixels; the first training image's bytes sum to 76247.
        double sum = 0, sumSq = 0;
        float lo = 1, hi = 0;
        for (int64_t i = 0; i < mTrain->size(); ++i) {
            const Sample s = mTrain->get(i);
            for (float v : s.image.data) {
                sum += v;
                sumSq += double(v) * v;
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
        const double n = 60000.0 * 784.0;
        const double mean = sum / n, stddev = std::sqrt(sumSq / n - mean * mean);
        QVERIFY2(std::fabs(mean - 0.286041) < 1e-5, qPrintable(QString::number(mean, 'f', 6)));
        QVERIFY2(std::fabs(stddev - 0.353024) < 1e-5, qPrintable(QString::number(stddev, 'f', 6)));
        QCOMPARE(lo, 0.f);
        QCOMPARE(hi, 1.f);

        double firstSum = 0;
        for (float v : mTrain->get(0).image.data)
            firstSum += v;
        QVERIFY(std::fabs(firstSum - 76247.0 / 255.0) < 1e-3);
    }

    void fashionMnistSubsetAndIndex() {
        DataConfig c = fashionConfig();
        c.subset = 100;
        auto train = openDataset(c, Split::Train);
        auto val = openDataset(c, Split::Val);
        QCOMPARE(train->size(), int64_t(100));
        QCOMPARE(val->size(), int64_t(100));
        QCOMPARE(train->get(99).image.data, mTrain->get(99).image.data);
        QVERIFY(!errorOf([&] { train->get(100); }).isEmpty());
        QVERIFY(!errorOf([&] { train->get(-1); }).isEmpty());
        c.subset = 1000000;
        QCOMPARE(openDataset(c, Split::Val)->size(), int64_t(10000));
    }

    void holdoutCarvesValidationFromTrain() {
        DataConfig config;
        config.dataset = "fashion_mnist";
        config.holdout = 10000;
        auto train = openDataset(config, Split::Train);
        auto val = openDataset(config, Split::Val);
        QCOMPARE(train->size(), int64_t{50000});
        QCOMPARE(val->size(), int64_t{10000});
        // The held-out samples are the last training samples, not the test split.
        DataConfig plain;
        plain.dataset = "fashion_mnist";
        auto whole = openDataset(plain, Split::Train);
        QCOMPARE(val->get(0).image.data, whole->get(50000).image.data);
        QCOMPARE(val->get(9999).label, whole->get(59999).label);
        QCOMPARE(train->get(123).image.data, whole->get(123).image.data);
        config.subset = 100;
        QCOMPARE(openDataset(config, Split::Val)->size(), int64_t{100});
        config.holdout = 60000;
        QVERIFY_THROWS_EXCEPTION(Error, openDataset(config, Split::Train));
    }

    void fashionMnistErrors() {
        const std::string dir = tests::scratchDir("fashion-missing");
        DataConfig c = fashionConfig();
        c.root = dir + "/nowhere";
        const QString msg = errorOf([&] { openDataset(c, Split::Train); });
        QVERIFY2(msg.startsWith("fashion_mnist: "), qPrintable(msg));
        QVERIFY2(msg.contains(QString::fromStdString(c.root + "/train-images-idx3-ubyte.gz")),
                 qPrintable(msg));
        QVERIFY2(msg.contains("not found"), qPrintable(msg));
        QVERIFY(!msg.contains('\n'));

        // A gzip stream cut short: the copy holds the real labels file's first 1000 bytes.
        std::ifstream in(std::string(kFashionRoot) + "/t10k-labels-idx1-ubyte.gz", std::ios::binary);
        std::vector<char> head(1000);
        in.read(head.data(), 1000);
        {
            std::ofstream out(dir + "/t10k-labels-idx1-ubyte.gz", std::ios::binary);
            out.write(head.data(), 1000);
        }
        const QString truncated = errorOf([&] { readIdx(dir + "/t10k-labels-idx1-ubyte.gz"); });
        QVERIFY2(truncated.contains("truncated"), qPrintable(truncated));
        QVERIFY2(truncated.contains(QString::fromStdString(dir)), qPrintable(truncated));
    }

    void readIdxPlain() {
        const std::string dir = tests::scratchDir("idx");
        // Uncompressed 2x3 image array.
        writeBytes(dir + "/ok", {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6});
        IdxArray a = readIdx(dir + "/ok");
        QCOMPARE(a.dims, (std::vector<int64_t>{1, 2, 3}));
        QCOMPARE(a.data, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));

        writeBytes(dir + "/short", {0, 0, 8, 1, 0, 0, 0, 5, 1, 2});
        QString msg = errorOf([&] { readIdx(dir + "/short"); });
        QVERIFY2(msg.contains("truncated") && msg.contains(QString::fromStdString(dir + "/short")),
                 qPrintable(msg));

        writeBytes(dir + "/magic", {0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0});
        msg = errorOf([&] { readIdx(dir + "/magic"); });
        QVERIFY2(msg.contains("bad magic") && msg.contains("0x12345678"), qPrintable(msg));

        msg = errorOf([&] { readIdx(dir + "/absent.gz"); });
        QVERIFY2(msg.contains("not found") && msg.contains("absent.gz"), qPrintable(msg));

        // The real files are gzip-compressed.
        IdxArray labels = readIdx(std::string(kFashionRoot) + "/t10k-labels-idx1-ubyte.gz");
        QCOMPARE(labels.dims, (std::vector<int64_t>{10000}));
        QCOMPARE(int(labels.data.size()), 10000);
    }

    void scenesShapeAndDeterminism() {
        DataConfig c = fashionConfig("fashion_scenes");
        c.trainScenes = 50;
        c.valScenes = 20;
        auto a = openDataset(c, Split::Train);
        auto b = openDataset(c, Split::Train);
        QCOMPARE(a->size(), int64_t(50));
        QCOMPARE(openDataset(c, Split::Val)->size(), int64_t(20));
        QVERIFY(a->task() == Task::Segmentation);
        QCOMPARE(a->numClasses(), 11);
        QCOMPARE(a->height(), 64);
        QCOMPARE(a->width(), 64);
        const auto names = a->classNames();
        QCOMPARE(int(names.size()), 11);
        QCOMPARE(QString::fromStdString(names[0]), QString("background"));
        QCOMPARE(QString::fromStdString(names[10]), QString("Ankle boot"));

        // Same seed: identical scenes, whatever the order they are made in.
        const Sample late = a->get(7);
        for (int64_t i = 0; i < a->size(); ++i) {
            const Sample x = a->get(i), y = b->get(i);
            QCOMPARE(x.image.data, y.image.data);
            QCOMPARE(x.mask.data, y.mask.data);
        }
        QCOMPARE(late.image.data, b->get(7).image.data);

        c.sceneSeed = 2;
        auto other = openDataset(c, Split::Train);
        int differing = 0;
        for (int64_t i = 0; i < 10; ++i)
            differing += other->get(i).mask.data != a->get(i).mask.data;
        QCOMPARE(differing, 10);
        // Train and val scenes are different, too.
        QVERIFY(openDataset(c, Split::Val)->get(0).image.data != other->get(0).image.data);

        c.subset = 5;
        QCOMPARE(openDataset(c, Split::Train)->size(), int64_t(5));
    }

    void scenesMasks() {
        DataConfig c = fashionConfig("fashion_scenes");
        c.trainScenes = 200;
        auto ds = openDataset(c, Split::Train);
        std::set<int> seen;
        for (int64_t i = 0; i < ds->size(); ++i) {
            const Sample s = ds->get(i);
            QCOMPARE(s.image.channels, 1);
            QCOMPARE(s.image.height, 64);
            QCOMPARE(s.mask.height, 64);
            QCOMPARE(int(s.mask.data.size()), 64 * 64);
            int foreground = 0;
            for (size_t p = 0; p < s.mask.data.size(); ++p) {
                const int m = s.mask.data[p];
                const float v = s.image.data[p];
                QVERIFY(m >= 0 && m <= 10);
                QVERIFY(v >= 0.f && v <= 1.f);
                // Labelled pixels are exactly the bright ones.
                QCOMPARE(m > 0, v > 0.1f);
                seen.insert(m);
                foreground += m > 0;
            }
            QVERIFY(foreground > 0);
        }
        QCOMPARE(int(seen.size()), 11);  // 200 scenes with 2-4 items show every class
    }

    void scenesItemPools() {
        // One unscaled item on a canvas of its own size: the scene is exactly that item, so we can look it
        // up.
        DataConfig c = fashionConfig("fashion_scenes");
        c.canvas = 28;
        c.minItems = c.maxItems = 1;
        c.minScale = c.maxScale = 1.0;
        auto findIn = [](const std::shared_ptr<Dataset>& pool, const Sample& scene) -> int64_t {
            for (int64_t i = 0; i < pool->size(); ++i)
                if (pool->get(i).image.data == scene.image.data) return i;
            return -1;
        };
        int notInOther = 0;
        for (auto [split, pool, other] :
             {std::tuple{Split::Train, mTrain, mVal}, std::tuple{Split::Val, mVal, mTrain}}) {
            auto scenes = openDataset(c, split);
            for (int64_t i = 0; i < 3; ++i) {
                const Sample scene = scenes->get(i);
                const int64_t item = findIn(pool, scene);
                QVERIFY2(item >= 0, "scene not found among its split's items");
                const int64_t label = pool->get(item).label;
                for (size_t p = 0; p < scene.mask.data.size(); ++p)
                    QCOMPARE(int(scene.mask.data[p]), scene.image.data[p] > 0.1f ? int(label) + 1 : 0);
                notInOther += findIn(other, scene) < 0;
            }
        }
        QCOMPARE(notInOther, 6);
    }

    void scenesThreads() {
        DataConfig c = fashionConfig("fashion_scenes");
        c.trainScenes = 64;
        auto ds = openDataset(c, Split::Train);
        std::vector<Sample> serial;
        for (int64_t i = 0; i < ds->size(); ++i)
            serial.push_back(ds->get(i));
        std::vector<Sample> parallel(serial.size());
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (size_t i = t; i < parallel.size(); i += 4)
                    parallel[i] = ds->get(static_cast<int64_t>(i));
            });
        for (auto& th : threads)
            th.join();
        for (size_t i = 0; i < serial.size(); ++i)
            QCOMPARE(parallel[i].mask.data, serial[i].mask.data);
    }

    void scenesBadConfig() {
        DataConfig c = fashionConfig("fashion_scenes");
        c.canvas = 32;
        c.maxScale = 2.0;  // 56-pixel items do not fit
        QVERIFY(errorOf([&] { openDataset(c, Split::Train); }).contains("canvas"));
        c = fashionConfig("fashion_scenes");
        c.minItems = 3;
        c.maxItems = 2;
        QVERIFY(errorOf([&] { openDataset(c, Split::Train); }).contains("data.min_items"));
    }

    void transformNormalize() {
        Sample s = tinySample();
        std::mt19937_64 rng(1);
        TransformStep n;
        n.kind = TransformStep::Kind::Normalize;
        n.mean = {2};
        n.std = {2};
        applyTransforms({n}, s, rng);
        QVERIFY2(near(s.image.data, {-0.5f, 0, 0.5f, 1, 1.5f, 2}), qPrintable(show(s.image.data)));

        // Per channel: two channels of the 2x3 image.
        Sample two = tinySample();
        two.image.channels = 2;
        two.image.height = 1;
        n.mean = {1, 4};
        n.std = {1, 0.5f};
        applyTransforms({n}, two, rng);
        QVERIFY2(near(two.image.data, {0, 1, 2, 0, 2, 4}), qPrintable(show(two.image.data)));

        n.mean = {1, 2, 3};
        n.std = {1};
        const QString msg = errorOf([&] { applyTransforms({n}, two, rng); });
        QVERIFY2(msg.contains("3 mean values") && msg.contains("2 channels"), qPrintable(msg));
    }

    void transformFlip() {
        Sample s = tinySample();
        s.mask.height = 2;
        s.mask.width = 3;
        s.mask.data = {0, 1, 2, 3, 4, 255};
        std::mt19937_64 rng(1);
        TransformStep f;
        f.kind = TransformStep::Kind::HFlip;
        f.probability = 1.0;
        applyTransforms({f}, s, rng);
        QCOMPARE(s.image.data, (std::vector<float>{3, 2, 1, 6, 5, 4}));
        QCOMPARE(s.mask.data, (std::vector<uint8_t>{2, 1, 0, 255, 4, 3}));
        f.probability = 0.0;
        applyTransforms({f}, s, rng);
        QCOMPARE(s.image.data, (std::vector<float>{3, 2, 1, 6, 5, 4}));

        // p = 0.5 flips some of the time, and a seed replays the same choices.
        f.probability = 0.5;
        std::mt19937_64 r1(42), r2(42);
        int flips = 0;
        for (int i = 0; i < 200; ++i) {
            Sample a = tinySample(), b = tinySample();
            applyTransforms({f}, a, r1);
            applyTransforms({f}, b, r2);
            QCOMPARE(a.image.data, b.image.data);
            flips += a.image.data[0] == 3;
        }
        QVERIFY2(flips > 60 && flips < 140, qPrintable(QString::number(flips)));
    }

    void transformCrop() {
        TransformStep crop;
        crop.kind = TransformStep::Kind::RandomCrop;
        crop.padding = 1;
        crop.size = 0;  // keep 2x3
        // The image and mask zero- / 255-padded by one pixel; every crop is a 2x3 window of these.
        const float padded[4][5] = {{0, 0, 0, 0, 0}, {0, 1, 2, 3, 0}, {0, 4, 5, 6, 0}, {0, 0, 0, 0, 0}};
        const uint8_t paddedMask[4][5] = {
            {255, 255, 255, 255, 255}, {255, 0, 1, 2, 255}, {255, 3, 4, 5, 255}, {255, 255, 255, 255, 255}};
        std::mt19937_64 rng(7), replay(7);
        std::set<int> offsets;
        for (int i = 0; i < 300; ++i) {
            Sample s = tinySample(), again = tinySample();
            s.mask.height = 2;
            s.mask.width = 3;
            s.mask.data = {0, 1, 2, 3, 4, 5};
            applyTransforms({crop}, s, rng);
            applyTransforms({crop}, again, replay);
            QCOMPARE(again.image.data, s.image.data);
            QCOMPARE(s.image.height, 2);
            QCOMPARE(s.image.width, 3);
            int found = -1;
            for (int oy = 0; oy < 3 && found < 0; ++oy)
                for (int ox = 0; ox < 3 && found < 0; ++ox) {
                    std::vector<float> window;
                    std::vector<uint8_t> maskWindow;
                    for (int y = 0; y < 2; ++y)
                        for (int x = 0; x < 3; ++x) {
                            window.push_back(padded[oy + y][ox + x]);
                            maskWindow.push_back(paddedMask[oy + y][ox + x]);
                        }
                    if (window == s.image.data) {
                        found = oy * 3 + ox;
                        QCOMPARE(s.mask.data, maskWindow);
                    }
                }
            QVERIFY2(found >= 0, qPrintable(show(s.image.data)));
            offsets.insert(found);
        }
        QCOMPARE(int(offsets.size()), 9);

        // Square crops without padding: the two 2x2 windows.
        crop.padding = 0;
        crop.size = 2;
        std::set<std::vector<float>> windows;
        for (int i = 0; i < 50; ++i) {
            Sample s = tinySample();
            applyTransforms({crop}, s, rng);
            windows.insert(s.image.data);
        }
        QCOMPARE(windows, (std::set<std::vector<float>>{{1, 2, 4, 5}, {2, 3, 5, 6}}));

        crop.size = 3;
        const QString msg = errorOf([&] {
            Sample s = tinySample();
            applyTransforms({crop}, s, rng);
        });
        QVERIFY2(msg.contains("larger"), qPrintable(msg));
    }

    void transformResize() {
        // OpenCV's bilinear uses pixel centres, clamping at the border: row 1 2 3 -> 1 1.25 1.75 2.25 2.75 3.
        Sample s = tinySample();
        s.mask.height = 2;
        s.mask.width = 3;
        s.mask.data = {0, 1, 2, 3, 4, 5};
        std::mt19937_64 rng(1);
        TransformStep r;
        r.kind = TransformStep::Kind::Resize;
        r.height = 4;
        r.width = 6;
        applyTransforms({r}, s, rng);
        QCOMPARE(s.image.height, 4);
        QCOMPARE(s.image.width, 6);
        const std::vector<float> expected{1,     1.25f, 1.75f, 2.25f, 2.75f, 3,      //
                                          1.75f, 2,     2.5f,  3,     3.5f,  3.75f,  //
                                          3.25f, 3.5f,  4,     4.5f,  5,     5.25f,  //
                                          4,     4.25f, 4.75f, 5.25f, 5.75f, 6};
        QVERIFY2(near(s.image.data, expected), qPrintable(show(s.image.data)));
        // Nearest for the mask: every label doubled in both directions.
        QCOMPARE(s.mask.height, 4);
        QCOMPARE(s.mask.data, (std::vector<uint8_t>{0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2,  //
                                                    3, 3, 4, 4, 5, 5, 3, 3, 4, 4, 5, 5}));

        // Halving the height averages the two rows; `size` gives a square.
        Sample h = tinySample();
        TransformStep half = r;
        half.height = 1;
        half.width = 3;
        applyTransforms({half}, h, rng);
        QVERIFY2(near(h.image.data, {2.5f, 3.5f, 4.5f}), qPrintable(show(h.image.data)));
        Sample sq = tinySample();
        TransformStep square;
        square.kind = TransformStep::Kind::Resize;
        square.size = 5;
        applyTransforms({square}, sq, rng);
        QCOMPARE(sq.image.height, 5);
        QCOMPARE(sq.image.width, 5);
    }

    void imageFolder() {
        const fs::path root = tests::scratchDir("image-folder");
        // Created out of order: classes are indexed by sorted folder name.
        fs::create_directories(root / "b_cat");
        fs::create_directories(root / "a_dog");
        for (int cls = 0; cls < 2; ++cls) {
            const fs::path dir = root / (cls == 0 ? "a_dog" : "b_cat");
            for (int i = 0; i < 5; ++i)
                writeGray(dir / ("img" + std::to_string(i) + ".png"), 4, 5, cls * 100 + i);
            writeGray(dir / "img5.PNG", 4, 5, cls * 100 + 5);  // extensions are case-insensitive
            std::ofstream(dir / "notes.txt") << "not an image";
        }
        DataConfig c;
        c.dataset = "image_folder";
        c.root = root.string();
        c.imageChannels = 1;
        // valFraction 0.2 over 6 files: floor((p+1)*0.2) > floor(p*0.2) only at p = 4.
        auto train = openDataset(c, Split::Train);
        auto val = openDataset(c, Split::Val);
        QCOMPARE(train->size(), int64_t(10));
        QCOMPARE(val->size(), int64_t(2));
        QCOMPARE(train->numClasses(), 2);
        QCOMPARE(QString::fromStdString(train->classNames()[0]), QString("a_dog"));
        QCOMPARE(train->channels(), 1);
        QCOMPARE(train->height(), 4);
        QCOMPARE(train->width(), 5);
        auto pixel = [](const Sample& s) { return int(std::lround(s.image.data[0] * 255)); };
        std::vector<int> trainPixels, valPixels;
        for (int64_t i = 0; i < train->size(); ++i) {
            const Sample s = train->get(i);
            QCOMPARE(s.label, int64_t(pixel(s) / 100));
            trainPixels.push_back(pixel(s));
        }
        for (int64_t i = 0; i < val->size(); ++i) {
            const Sample s = val->get(i);
            QCOMPARE(s.label, int64_t(pixel(s) / 100));
            valPixels.push_back(pixel(s));
        }
        QCOMPARE(trainPixels, (std::vector<int>{0, 1, 2, 3, 5, 100, 101, 102, 103, 105}));
        QCOMPARE(valPixels, (std::vector<int>{4, 104}));

        c.valFraction = 0.5;  // p = 1, 3, 5
        QCOMPARE(openDataset(c, Split::Val)->size(), int64_t(6));
        c.valFraction = 0.2;

        // Colour: BGR on disk, RGB planes in memory.
        c.imageChannels = 3;
        const fs::path colour = tests::scratchDir("image-folder-colour");
        fs::create_directories(colour / "only");
        cv::Mat bgr(3, 3, CV_8UC3, cv::Scalar(10, 20, 30));
        QVERIFY(cv::imwrite((colour / "only" / "x.png").string(), bgr));
        c.root = colour.string();
        c.valFraction = 0;
        Sample rgb = openDataset(c, Split::Train)->get(0);
        QCOMPARE(rgb.image.channels, 3);
        QCOMPARE(int(std::lround(rgb.image.at(0, 1, 1) * 255)), 30);
        QCOMPARE(int(std::lround(rgb.image.at(2, 1, 1) * 255)), 10);
        const QString emptyVal = errorOf([&] { openDataset(c, Split::Val); });
        QVERIFY2(emptyVal.contains("no images"), qPrintable(emptyVal));

        // Sizes must agree unless imageSize resizes them; the check happens when the odd image is loaded.
        c.root = root.string();
        c.imageChannels = 1;
        c.valFraction = 0.2;
        writeGray(root / "b_cat" / "img9.png", 6, 6, 250);
        auto mixed = openDataset(c, Split::Train);
        const QString msg = errorOf([&] { mixed->get(mixed->size() - 1); });
        QVERIFY2(msg.contains("img9.png") && msg.contains("data.image_size"), qPrintable(msg));
        c.imageSize = 8;
        auto resized = openDataset(c, Split::Train);
        QCOMPARE(resized->height(), 8);
        const Sample big = resized->get(resized->size() - 1);
        QCOMPARE(big.image.height, 8);
        QCOMPARE(big.image.width, 8);
        QVERIFY(std::fabs(big.image.data[0] - 250 / 255.f) < 1e-5);

        // A separate val folder: every root file is training data.
        const fs::path valRoot = tests::scratchDir("image-folder-val");
        fs::create_directories(valRoot / "b_cat");
        writeGray(valRoot / "b_cat" / "v.png", 4, 5, 7);
        c.imageSize = 0;
        c.valRoot = valRoot.string();
        fs::remove(root / "b_cat" / "img9.png");
        QCOMPARE(openDataset(c, Split::Train)->size(), int64_t(12));
        auto separate = openDataset(c, Split::Val);
        QCOMPARE(separate->size(), int64_t(1));
        QCOMPARE(separate->get(0).label, int64_t(1));

        c.subset = 3;
        QCOMPARE(openDataset(c, Split::Train)->size(), int64_t(3));

        c.root = (root / "missing").string();
        const QString missing = errorOf([&] { openDataset(c, Split::Train); });
        QVERIFY2(missing.startsWith("image_folder: ") && missing.contains(QString::fromStdString(c.root)),
                 qPrintable(missing));
    }

    void segFolder() {
        const fs::path root = tests::scratchDir("seg-folder");
        fs::create_directories(root / "images");
        fs::create_directories(root / "masks");
        // Five 3x4 pairs; s4 (the val file at valFraction 0.2) is the only one with label 3.
        for (int i = 0; i < 5; ++i) {
            writeGray(root / "images" / ("s" + std::to_string(i) + ".png"), 3, 4, 10 * i);
            cv::Mat mask(3, 4, CV_8UC1, cv::Scalar(0));
            mask.at<uint8_t>(0, 0) = 255;
            mask.at<uint8_t>(1, 1) = i == 4 ? 3 : 1 + i % 2;
            QVERIFY(cv::imwrite((root / "masks" / ("s" + std::to_string(i) + ".png")).string(), mask));
        }
        DataConfig c;
        c.dataset = "seg_folder";
        c.root = root.string();
        c.imageChannels = 1;
        auto train = openDataset(c, Split::Train);
        auto val = openDataset(c, Split::Val);
        QVERIFY(train->task() == Task::Segmentation);
        QCOMPARE(train->size(), int64_t(4));
        QCOMPARE(val->size(), int64_t(1));
        QCOMPARE(train->numClasses(), 4);  // inferred over both splits
        QCOMPARE(int(train->classNames().size()), 4);
        const Sample first = train->get(0);
        QCOMPARE(first.mask.height, 3);
        QCOMPARE(first.mask.width, 4);
        QCOMPARE(int(first.mask.data[0]), 255);  // ignore survives
        QCOMPARE(int(first.mask.data[1 * 4 + 1]), 1);
        const Sample v = val->get(0);
        QCOMPARE(int(v.mask.data[1 * 4 + 1]), 3);
        QVERIFY(std::fabs(v.image.data[0] - 40 / 255.f) < 1e-6);

        c.imageSize = 8;
        const Sample big = openDataset(c, Split::Val)->get(0);
        QCOMPARE(big.mask.height, 8);
        QCOMPARE(big.image.height, 8);
        std::set<int> labels(big.mask.data.begin(), big.mask.data.end());
        QCOMPARE(labels, (std::set<int>{0, 3, 255}));  // nearest: no blended labels

        c.imageSize = 0;
        c.numClasses = 6;
        QCOMPARE(openDataset(c, Split::Train)->numClasses(), 6);
        c.numClasses = 3;  // s4 holds label 3
        const QString tooHigh = errorOf([&] { openDataset(c, Split::Val)->get(0); });
        QVERIFY2(tooHigh.contains("s4.png") && tooHigh.contains("label 3"), qPrintable(tooHigh));

        c.numClasses = 0;
        fs::remove(root / "masks" / "s2.png");
        const QString noMask = errorOf([&] { openDataset(c, Split::Train); });
        QVERIFY2(noMask.contains(QString::fromStdString((root / "masks" / "s2.png").string())),
                 qPrintable(noMask));
    }

    void cifar() {
        const fs::path root = tests::scratchDir("cifar10");
        for (int b = 1; b <= 5; ++b) {
            std::vector<uint8_t> bytes;
            for (int r = 0; r < 2; ++r) {
                auto rec = cifarRecord({uint8_t((b * 2 + r) % 10)}, uint8_t(b), 100, 200);
                bytes.insert(bytes.end(), rec.begin(), rec.end());
            }
            writeBytes(root / ("data_batch_" + std::to_string(b) + ".bin"), bytes);
        }
        writeBytes(root / "test_batch.bin", cifarRecord({7}, 1, 2, 3));
        DataConfig c;
        c.dataset = "cifar10";
        c.root = root.string();
        auto train = openDataset(c, Split::Train);
        auto val = openDataset(c, Split::Val);
        QCOMPARE(train->size(), int64_t(10));
        QCOMPARE(val->size(), int64_t(1));
        QCOMPARE(train->channels(), 3);
        QCOMPARE(train->height(), 32);
        QCOMPARE(QString::fromStdString(train->classNames()[9]), QString("truck"));
        const Sample s = train->get(3);  // batch 2, record 1
        QCOMPARE(s.label, int64_t(5));
        QCOMPARE(s.image.at(0, 5, 5), 2 / 255.f);
        QCOMPARE(s.image.at(1, 31, 0), 100 / 255.f);
        QCOMPARE(s.image.at(2, 0, 31), 200 / 255.f);
        QCOMPARE(val->get(0).label, int64_t(7));

        std::ofstream(root / "batches.meta.txt") << "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n";
        QCOMPARE(QString::fromStdString(openDataset(c, Split::Val)->classNames()[9]), QString("j"));

        writeBytes(root / "test_batch.bin", std::vector<uint8_t>(3072, 0));
        const QString truncated = errorOf([&] { openDataset(c, Split::Val); });
        QVERIFY2(truncated.startsWith("cifar10: ") && truncated.contains("test_batch.bin"),
                 qPrintable(truncated));
        fs::remove(root / "data_batch_3.bin");
        const QString missing = errorOf([&] { openDataset(c, Split::Train); });
        QVERIFY2(missing.contains("data_batch_3.bin") && missing.contains("not found"), qPrintable(missing));

        // CIFAR-100: coarse byte, fine byte; the fine label is the class.
        const fs::path root100 = tests::scratchDir("cifar100");
        auto rec = cifarRecord({4, 42}, 9, 8, 7);
        writeBytes(root100 / "train.bin", rec);
        writeBytes(root100 / "test.bin", rec);
        c.dataset = "cifar100";
        c.root = root100.string();
        auto hundred = openDataset(c, Split::Train);
        QCOMPARE(hundred->numClasses(), 100);
        QCOMPARE(hundred->get(0).label, int64_t(42));
        QCOMPARE(hundred->get(0).image.at(2, 0, 0), 7 / 255.f);
        QCOMPARE(QString::fromStdString(hundred->classNames()[42]), QString("class_42"));
    }

    void unknownDataset() {
        DataConfig c;
        c.dataset = "mnist_digits";
        const QString msg = errorOf([&] { openDataset(c, Split::Train); });
        QVERIFY2(msg.contains("mnist_digits"), qPrintable(msg));
        for (const auto& name : datasetNames())
            QVERIFY2(msg.contains(QString::fromStdString(name)), qPrintable(msg));
        QCOMPARE(int(datasetNames().size()), 8);
    }

private:
    std::shared_ptr<Dataset> mTrain, mVal;
};

DISTILLERY_TEST_SUITE("datasets", DatasetsTest);

#include "test_datasets.moc"
