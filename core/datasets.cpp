// The built-in data sets. Raw bytes are loaded once and shared (weakly cached by file identity) between
// splits and instances; samples are decoded to floats only in get().

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/dataset.h"
#include "core/format.h"

namespace fs = std::filesystem;

namespace distillery {

namespace {

const char* const kFashionRoot = "/usr/share/datasets/fashion-mnist";

const std::vector<std::string>& fashionClassNames() {
    static const std::vector<std::string> names{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    return names;
}

const std::vector<std::string>& cifar10ClassNames() {
    static const std::vector<std::string> names{"airplane", "automobile", "bird",  "cat",  "deer",
                                                "dog",      "frog",       "horse", "ship", "truck"};
    return names;
}

[[noreturn]] void fail(const std::string& dataset, const std::string& what) {
    throw Error(dataset + ": " + what);
}

int64_t limitToSubset(int64_t n, int subset) {
    return subset > 0 ? std::min<int64_t>(n, subset) : n;
}

void checkIndex(const std::string& dataset, int64_t index, int64_t size) {
    if (index < 0 || index >= size)
        fail(dataset,
             "sample index " + std::to_string(index) + " out of range (size " + std::to_string(size) + ")");
}

/** Identity of a file's current contents for the caches: path, size and modification time. */
std::string fileKey(const fs::path& p) {
    std::error_code ec;
    auto size = fs::file_size(p, ec);
    auto time = fs::last_write_time(p, ec).time_since_epoch().count();
    return p.string() + "|" + std::to_string(size) + "|" + std::to_string(time);
}

/**
 * Process-wide cache of immutable loaded data. Entries are weak so that memory goes away with the last data
 * set using it; loading happens under the lock so that concurrent opens of the same files load once.
 */
template <class T>
std::shared_ptr<const T> cached(const std::string& key,
                                const std::function<std::shared_ptr<const T>()>& load) {
    static std::mutex mutex;
    static std::map<std::string, std::weak_ptr<const T>> entries;
    std::lock_guard<std::mutex> lock(mutex);
    if (auto hit = entries[key].lock()) return hit;
    auto value = load();
    entries[key] = value;
    return value;
}

bool isImageFile(const fs::path& p) {
    const std::string ext = lower(p.extension().string());
    return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

bool isHidden(const fs::path& p) {
    return !p.filename().empty() && p.filename().string()[0] == '.';
}

/** Non-hidden entries of `dir` that are folders (or regular files), sorted by name. */
std::vector<fs::path> listEntries(const std::string& dataset, const fs::path& dir, bool folders) {
    std::vector<fs::path> out;
    std::error_code ec;
    fs::directory_iterator it(dir, ec), end;
    for (; !ec && it != end; it.increment(ec)) {
        std::error_code typeEc;
        const bool keep = folders ? it->is_directory(typeEc) : it->is_regular_file(typeEc);
        if (keep && !isHidden(it->path())) out.push_back(it->path());
    }
    if (ec) fail(dataset, "cannot list " + dir.string() + " (" + ec.message() + ")");
    std::sort(out.begin(), out.end());
    return out;
}

/** Image files directly in `dir`, sorted by file name. */
std::vector<fs::path> listImages(const std::string& dataset, const fs::path& dir) {
    std::vector<fs::path> files = listEntries(dataset, dir, false);
    files.erase(std::remove_if(files.begin(), files.end(), [](const fs::path& p) { return !isImageFile(p); }),
                files.end());
    return files;
}

/**
 * The deterministic val split of image_folder / seg_folder without a valRoot: position p (0-based, in sorted
 * order) goes to val when floor((p+1)*f) > floor(p*f), i.e. exactly when the running count of val files
 * floor((p+1)*f) grows. This spreads val files evenly (f = 0.2: positions 4, 9, 14, ...) and gives
 * floor(n*f) val files. The small epsilon keeps products like 5*0.2 on the intended side of the integer.
 */
bool isValPosition(size_t p, double f) {
    const double eps = 1e-9;
    return std::floor((p + 1) * f + eps) > std::floor(p * f + eps);
}

void checkValFraction(const std::string& dataset, double f) {
    if (!(f >= 0.0 && f <= 1.0))
        fail(dataset, "data.val_fraction must be within [0, 1], got " + std::to_string(f));
}

void requireFolder(const std::string& dataset, const fs::path& dir, const std::string& expected) {
    std::error_code ec;
    if (dir.empty()) fail(dataset, "no folder given (expected " + expected + ")");
    if (!fs::exists(dir, ec)) fail(dataset, dir.string() + " not found (expected " + expected + ")");
    if (!fs::is_directory(dir, ec))
        fail(dataset, dir.string() + " is not a folder (expected " + expected + ")");
}

/** Reads non-empty, trimmed lines; used for class-name files. */
std::vector<std::string> readNameLines(const fs::path& path) {
    std::ifstream in(path);
    std::vector<std::string> names;
    std::string line;
    while (std::getline(in, line)) {
        const auto b = line.find_first_not_of(" \t\r\n");
        if (b == std::string::npos) continue;
        const auto e = line.find_last_not_of(" \t\r\n");
        names.push_back(line.substr(b, e - b + 1));
    }
    return names;
}

void toFloats(const cv::Mat& u8, std::vector<float>& out) {
    // u8 is HxWxC interleaved; out becomes planar (C, H, W).
    const int c = u8.channels(), h = u8.rows, w = u8.cols;
    out.resize(static_cast<size_t>(c) * h * w);
    for (int y = 0; y < h; ++y) {
        const uint8_t* row = u8.ptr<uint8_t>(y);
        for (int x = 0; x < w; ++x)
            for (int ch = 0; ch < c; ++ch)
                out[(static_cast<size_t>(ch) * h + y) * w + x] = row[x * c + ch] * (1.f / 255.f);
    }
}

// ---- Fashion-MNIST ------------------------------------------------------------------------------------

/** One split of the IDX files, raw bytes. */
struct IdxImages {
    int64_t count = 0;
    int height = 0, width = 0;
    std::vector<uint8_t> pixels;  // count * height * width
    std::vector<uint8_t> labels;  // count
};

fs::path findIdxFile(const std::string& dataset, const fs::path& root, const std::string& name) {
    std::error_code ec;
    fs::path gz = root / (name + ".gz"), plain = root / name;
    if (fs::is_regular_file(gz, ec)) return gz;
    if (fs::is_regular_file(plain, ec)) return plain;
    fail(dataset, gz.string() + " not found (expected the Fashion-MNIST IDX files in " + root.string() + ")");
}

std::shared_ptr<const IdxImages> loadFashionSplit(const std::string& dataset, const fs::path& root,
                                                  Split split) {
    const std::string prefix = split == Split::Train ? "train" : "t10k";
    const fs::path imagesPath = findIdxFile(dataset, root, prefix + "-images-idx3-ubyte");
    const fs::path labelsPath = findIdxFile(dataset, root, prefix + "-labels-idx1-ubyte");
    return cached<IdxImages>(fileKey(imagesPath) + "\n" + fileKey(labelsPath), [&] {
        IdxArray images, labels;
        try {
            images = readIdx(imagesPath.string());
            labels = readIdx(labelsPath.string());
        } catch (const Error& e) {
            fail(dataset, e.what());
        }
        if (images.dims.size() != 3)
            fail(dataset, imagesPath.string() + " has " + std::to_string(images.dims.size()) +
                              " dimensions (expected 3: count, height, width)");
        if (labels.dims.size() != 1)
            fail(dataset, labelsPath.string() + " has " + std::to_string(labels.dims.size()) +
                              " dimensions (expected 1: count)");
        if (images.dims[0] != labels.dims[0])
            fail(dataset, imagesPath.string() + " holds " + std::to_string(images.dims[0]) + " images but " +
                              labelsPath.string() + " holds " + std::to_string(labels.dims[0]) + " labels");
        for (uint8_t l : labels.data)
            if (l >= 10)
                fail(dataset, labelsPath.string() + " holds label " + std::to_string(l) + " (expected 0..9)");
        auto out = std::make_shared<IdxImages>();
        out->count = images.dims[0];
        out->height = static_cast<int>(images.dims[1]);
        out->width = static_cast<int>(images.dims[2]);
        out->pixels = std::move(images.data);
        out->labels = std::move(labels.data);
        return std::shared_ptr<const IdxImages>(std::move(out));
    });
}

fs::path fashionRoot(const DataConfig& config) {
    return config.root.empty() ? fs::path(kFashionRoot) : fs::path(config.root);
}

class FashionMnist final : public Dataset {
public:
    FashionMnist(const DataConfig& config, Split split)
        : mData(loadFashionSplit("fashion_mnist", fashionRoot(config), split)),
          mSize(limitToSubset(mData->count, config.subset)) {}

    int64_t size() const override { return mSize; }
    Sample get(int64_t index) const override {
        checkIndex("fashion_mnist", index, mSize);
        Sample s;
        s.image.channels = 1;
        s.image.height = mData->height;
        s.image.width = mData->width;
        const size_t n = static_cast<size_t>(mData->height) * mData->width;
        const uint8_t* src = mData->pixels.data() + index * n;
        s.image.data.resize(n);
        for (size_t i = 0; i < n; ++i)
            s.image.data[i] = src[i] * (1.f / 255.f);
        s.label = mData->labels[index];
        return s;
    }
    Task task() const override { return Task::Classification; }
    int channels() const override { return 1; }
    int height() const override { return mData->height; }
    int width() const override { return mData->width; }
    int numClasses() const override { return 10; }
    std::vector<std::string> classNames() const override { return fashionClassNames(); }
    std::string name() const override { return "fashion_mnist"; }

private:
    std::shared_ptr<const IdxImages> mData;
    int64_t mSize;
};

// ---- Fashion-Scenes -----------------------------------------------------------------------------------

uint64_t splitMix64(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

class FashionScenes final : public Dataset {
public:
    FashionScenes(const DataConfig& config, Split split, bool detection)
        : mItems(loadFashionSplit(detection ? "fashion_scenes_det" : "fashion_scenes", fashionRoot(config),
                                  split)),
          mDetection(detection),
          mSplit(split),
          mSeed(config.sceneSeed),
          mCanvas(config.canvas),
          mMinItems(config.minItems),
          mMaxItems(config.maxItems),
          mMinScale(config.minScale),
          mMaxScale(config.maxScale) {
        const std::string d = name();
        if (mCanvas <= 0) fail(d, "data.canvas must be positive, got " + std::to_string(mCanvas));
        if (mMinItems < 1 || mMaxItems < mMinItems)
            fail(d, "need 1 <= data.min_items <= data.max_items, got " + std::to_string(mMinItems) + " and " +
                        std::to_string(mMaxItems));
        if (!(mMinScale > 0) || !(mMaxScale >= mMinScale))
            fail(d, "need 0 < data.min_scale <= data.max_scale, got " + std::to_string(mMinScale) + " and " +
                        std::to_string(mMaxScale));
        if (mItems->count <= 0)
            fail(d, "the Fashion-MNIST " + std::string(splitName(split)) + " split is empty");
        const int largest = scaledSize(std::max(mItems->height, mItems->width), mMaxScale);
        if (largest > mCanvas)
            fail(d, "items scaled by data.max_scale " + std::to_string(mMaxScale) + " are " +
                        std::to_string(largest) + " pixels, larger than the canvas " +
                        std::to_string(mCanvas) + " (lower data.max_scale or raise data.canvas)");
        const int scenes = split == Split::Train ? config.trainScenes : config.valScenes;
        if (scenes < 0) fail(d, "the number of scenes must not be negative, got " + std::to_string(scenes));
        mSize = limitToSubset(scenes, config.subset);
    }

    int64_t size() const override { return mSize; }

    Sample get(int64_t index) const override {
        checkIndex(name(), index, mSize);
        // Each scene has its own generator seeded from (seed, split, index): any scene can be made alone, in
        // any order and on any thread.
        uint64_t seed = splitMix64(mSeed);
        seed = splitMix64(seed ^ (mSplit == Split::Train ? 0x747261696Eull : 0x76616Cull));
        seed = splitMix64(seed ^ static_cast<uint64_t>(index));
        std::mt19937_64 rng(seed);
        auto drawIndex = [&](int64_t n) { return static_cast<int64_t>(rng() % static_cast<uint64_t>(n)); };
        auto drawUnit = [&] { return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0); };

        Sample s;
        s.image.channels = 1;
        s.image.height = s.image.width = mCanvas;
        s.image.data.assign(static_cast<size_t>(mCanvas) * mCanvas, 0.f);
        s.mask.height = s.mask.width = mCanvas;
        s.mask.data.assign(static_cast<size_t>(mCanvas) * mCanvas, 0);

        const int ih = mItems->height, iw = mItems->width;
        const int items = mMinItems + static_cast<int>(drawIndex(mMaxItems - mMinItems + 1));
        cv::Mat item(ih, iw, CV_32F), resized;
        // Detection: which item each foreground pixel shows (1-based), and each item's tight box.
        std::vector<uint8_t> owner;
        if (mDetection) owner.assign(static_cast<size_t>(mCanvas) * mCanvas, 0);
        std::vector<Box> boxes;
        for (int k = 0; k < items; ++k) {
            const int64_t which = drawIndex(mItems->count);
            const double scale = mMinScale + drawUnit() * (mMaxScale - mMinScale);
            const int sh = scaledSize(ih, scale), sw = scaledSize(iw, scale);
            const int y0 = static_cast<int>(drawIndex(mCanvas - sh + 1));
            const int x0 = static_cast<int>(drawIndex(mCanvas - sw + 1));

            const uint8_t* src = mItems->pixels.data() + which * ih * iw;
            float* itemPixels = item.ptr<float>();
            for (int i = 0; i < ih * iw; ++i)
                itemPixels[i] = src[i] * (1.f / 255.f);
            const bool keep = sh == ih && sw == iw;
            if (!keep) cv::resize(item, resized, cv::Size(sw, sh), 0, 0, cv::INTER_LINEAR);
            const cv::Mat& scaled = keep ? item : resized;
            const uint8_t cls = static_cast<uint8_t>(1 + mItems->labels[which]);
            Box box;
            box.x1 = box.y1 = static_cast<float>(mCanvas);
            box.label = mItems->labels[which];
            for (int y = 0; y < sh; ++y) {
                const float* row = scaled.ptr<float>(y);
                float* dst = &s.image.data[static_cast<size_t>(y0 + y) * mCanvas + x0];
                uint8_t* mdst = &s.mask.data[static_cast<size_t>(y0 + y) * mCanvas + x0];
                for (int x = 0; x < sw; ++x) {
                    const float v = row[x];
                    if (v > kForeground) {
                        // Foreground occludes whatever was there.
                        dst[x] = v;
                        mdst[x] = cls;
                        if (mDetection) {
                            owner[static_cast<size_t>(y0 + y) * mCanvas + x0 + x] =
                                static_cast<uint8_t>(k + 1);
                            box.x1 = std::min(box.x1, static_cast<float>(x0 + x));
                            box.y1 = std::min(box.y1, static_cast<float>(y0 + y));
                            box.x2 = std::max(box.x2, static_cast<float>(x0 + x + 1));
                            box.y2 = std::max(box.y2, static_cast<float>(y0 + y + 1));
                        }
                    } else {
                        // Faint fringe pixels only brighten background; they stay <= the threshold, so
                        // "image > threshold" and "mask > 0" always agree.
                        dst[x] = std::max(dst[x], v);
                    }
                }
            }
            boxes.push_back(box);
        }
        if (mDetection) {
            // Each garment's tight box (as drawn, occluded parts included); garments that later ones hide
            // completely, or that have no foreground pixel at all, are dropped.
            std::vector<int64_t> visible(boxes.size(), 0);
            for (uint8_t o : owner)
                if (o > 0) ++visible[o - 1];
            for (size_t k = 0; k < boxes.size(); ++k)
                if (visible[k] > 0 && boxes[k].x2 > boxes[k].x1) s.boxes.push_back(boxes[k]);
            s.mask = {};
        }
        return s;
    }

    Task task() const override { return mDetection ? Task::Detection : Task::Segmentation; }
    int channels() const override { return 1; }
    int height() const override { return mCanvas; }
    int width() const override { return mCanvas; }
    int numClasses() const override { return mDetection ? 10 : 11; }
    std::vector<std::string> classNames() const override {
        std::vector<std::string> names;
        if (!mDetection) names.push_back("background");
        for (const auto& n : fashionClassNames())
            names.push_back(n);
        return names;
    }
    std::string name() const override { return mDetection ? "fashion_scenes_det" : "fashion_scenes"; }

private:
    static constexpr float kForeground = 0.1f;

    static int scaledSize(int n, double scale) {
        return std::max(1, static_cast<int>(std::lround(n * scale)));
    }

    std::shared_ptr<const IdxImages> mItems;
    bool mDetection;
    Split mSplit;
    uint64_t mSeed;
    int mCanvas, mMinItems, mMaxItems;
    double mMinScale, mMaxScale;
    int64_t mSize = 0;
};

// ---- image_folder / seg_folder ------------------------------------------------------------------------

/** Loads an image as planar floats in [0, 1]; `channels` is 1 (grayscale) or 3 (RGB). */
cv::Mat readImage(const std::string& dataset, const fs::path& path, int channels) {
    cv::Mat m = cv::imread(path.string(), channels == 1 ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    if (m.empty())
        fail(dataset, "cannot read image " + path.string() + " (missing, unreadable or not an image)");
    if (channels == 3) cv::cvtColor(m, m, cv::COLOR_BGR2RGB);
    return m;
}

void checkChannels(const std::string& dataset, int channels) {
    if (channels != 1 && channels != 3)
        fail(dataset,
             "data.image_channels must be 1 (grayscale) or 3 (RGB), got " + std::to_string(channels));
}

std::string sizeText(int h, int w) {
    return std::to_string(h) + "x" + std::to_string(w);
}

/**
 * Turns a decoded 8-bit image into a float Image, resizing to imageSize (bilinear) or checking that it
 * matches the reference size. Shared by image_folder and seg_folder.
 */
Image toImage(const std::string& dataset, cv::Mat m, const fs::path& path, int imageSize, int refH, int refW,
              const fs::path& refPath) {
    if (imageSize > 0) {
        if (m.rows != imageSize || m.cols != imageSize) {
            cv::Mat f;
            m.convertTo(f, CV_32F, 1.0 / 255.0);
            cv::resize(f, f, cv::Size(imageSize, imageSize), 0, 0, cv::INTER_LINEAR);
            Image im;
            im.channels = f.channels();
            im.height = im.width = imageSize;
            im.data.resize(static_cast<size_t>(im.channels) * imageSize * imageSize);
            for (int y = 0; y < imageSize; ++y) {
                const float* row = f.ptr<float>(y);
                for (int x = 0; x < imageSize; ++x)
                    for (int c = 0; c < im.channels; ++c)
                        im.data[(static_cast<size_t>(c) * imageSize + y) * imageSize + x] =
                            row[x * im.channels + c];
            }
            return im;
        }
    } else if (m.rows != refH || m.cols != refW) {
        fail(dataset, path.string() + " is " + sizeText(m.rows, m.cols) + " but the first image " +
                          refPath.string() + " is " + sizeText(refH, refW) +
                          " (set data.image_size to resize all images)");
    }
    Image im;
    im.channels = m.channels();
    im.height = m.rows;
    im.width = m.cols;
    toFloats(m, im.data);
    return im;
}

/** Image size of the first file, read at open so that height()/width() are known before any get(). */
void probeSize(const std::string& dataset, const fs::path& path, int channels, int& h, int& w) {
    cv::Mat m = readImage(dataset, path, channels);
    h = m.rows;
    w = m.cols;
}

class ImageFolder final : public Dataset {
public:
    ImageFolder(const DataConfig& config, Split split)
        : mImageSize(config.imageSize), mChannels(config.imageChannels) {
        const std::string d = "image_folder";
        const std::string expected = "one sub-folder of png/jpg/jpeg/bmp images per class";
        checkChannels(d, mChannels);
        checkValFraction(d, config.valFraction);
        if (mImageSize < 0)
            fail(d, "data.image_size must not be negative, got " + std::to_string(mImageSize));
        const fs::path root(config.root);
        requireFolder(d, root, expected);

        const std::vector<fs::path> classDirs = listEntries(d, root, true);
        if (classDirs.empty())
            fail(d, "no class sub-folders in " + root.string() + " (expected " + expected + ")");
        for (const auto& dir : classDirs)
            mClassNames.push_back(dir.filename().string());

        if (!config.classNames.empty()) {
            if (config.classNames.size() != mClassNames.size())
                fail(d, std::to_string(config.classNames.size()) + " class names given but " + root.string() +
                            " has " + std::to_string(mClassNames.size()) + " class folders");
            mClassNames = config.classNames;
        }

        const bool separateVal = !config.valRoot.empty();
        if (separateVal && split == Split::Val) {
            const fs::path valRoot(config.valRoot);
            requireFolder(d, valRoot, expected);
            for (const auto& dir : listEntries(d, valRoot, true))
                if (std::find(classDirs.begin(), classDirs.end(), root / dir.filename()) == classDirs.end())
                    fail(d,
                         "val folder " + dir.string() + " has no matching class folder in " + root.string());
            for (size_t c = 0; c < classDirs.size(); ++c) {
                const fs::path dir = valRoot / classDirs[c].filename();
                std::error_code ec;
                if (!fs::is_directory(dir, ec)) continue;  // a class without val images is fine
                for (const auto& f : listImages(d, dir))
                    mFiles.push_back({f, static_cast<int64_t>(c)});
            }
        } else {
            for (size_t c = 0; c < classDirs.size(); ++c) {
                const auto files = listImages(d, classDirs[c]);
                for (size_t p = 0; p < files.size(); ++p) {
                    const bool val = !separateVal && isValPosition(p, config.valFraction);
                    if (val == (split == Split::Val)) mFiles.push_back({files[p], static_cast<int64_t>(c)});
                }
            }
        }
        if (mFiles.empty())
            fail(d, std::string("the ") + splitName(split) + " split of " +
                        (separateVal && split == Split::Val ? config.valRoot : config.root) +
                        " has no images (expected " + expected +
                        (separateVal ? "" : "; data.val_fraction " + std::to_string(config.valFraction)) +
                        ")");
        mSize = limitToSubset(static_cast<int64_t>(mFiles.size()), config.subset);
        if (mImageSize > 0) {
            mHeight = mWidth = mImageSize;
        } else {
            probeSize(d, mFiles[0].path, mChannels, mHeight, mWidth);
        }
    }

    int64_t size() const override { return mSize; }
    Sample get(int64_t index) const override {
        checkIndex("image_folder", index, mSize);
        const auto& file = mFiles[index];
        Sample s;
        s.image = toImage("image_folder", readImage("image_folder", file.path, mChannels), file.path,
                          mImageSize, mHeight, mWidth, mFiles[0].path);
        s.label = file.label;
        return s;
    }
    Task task() const override { return Task::Classification; }
    int channels() const override { return mChannels; }
    int height() const override { return mHeight; }
    int width() const override { return mWidth; }
    int numClasses() const override { return static_cast<int>(mClassNames.size()); }
    std::vector<std::string> classNames() const override { return mClassNames; }
    std::string name() const override { return "image_folder"; }

private:
    struct File {
        fs::path path;
        int64_t label;
    };
    int mImageSize, mChannels;
    int mHeight = 0, mWidth = 0;
    std::vector<std::string> mClassNames;
    std::vector<File> mFiles;
    int64_t mSize = 0;
};

struct SegPair {
    fs::path image, mask;
};

/** Image/mask pairs of a seg_folder root, sorted by image file name. */
std::vector<SegPair> listSegPairs(const std::string& dataset, const fs::path& root) {
    const std::string expected =
        "images/ and masks/ sub-folders, masks as single-channel PNGs named like the images";
    requireFolder(dataset, root, expected);
    requireFolder(dataset, root / "images", expected);
    requireFolder(dataset, root / "masks", expected);
    std::vector<SegPair> pairs;
    for (const auto& image : listImages(dataset, root / "images")) {
        fs::path mask = root / "masks" / image.filename().replace_extension(".png");
        std::error_code ec;
        if (!fs::is_regular_file(mask, ec))
            fail(dataset, "mask " + mask.string() + " for image " + image.string() + " not found");
        pairs.push_back({image, mask});
    }
    if (pairs.empty())
        fail(dataset, "no images in " + (root / "images").string() + " (expected " + expected + ")");
    return pairs;
}

cv::Mat readMask(const std::string& dataset, const fs::path& path) {
    cv::Mat m = cv::imread(path.string(), cv::IMREAD_UNCHANGED);
    if (m.empty()) fail(dataset, "cannot read mask " + path.string());
    if (m.type() != CV_8UC1)
        fail(dataset, "mask " + path.string() +
                          " is not a single-channel 8-bit image (expected class indices, 255 = ignore)");
    return m;
}

/** Largest label below 255 over the masks, + 1; cached by the masks' identities so train and val scan once.
 */
int inferSegClasses(const std::string& dataset, const std::vector<SegPair>& pairs) {
    std::string key;
    for (const auto& p : pairs)
        key += fileKey(p.mask) + "\n";
    struct Count {
        int classes;
    };
    auto result = cached<Count>(key, [&] {
        int maxLabel = -1;
        for (const auto& p : pairs) {
            cv::Mat m = readMask(dataset, p.mask);
            for (int y = 0; y < m.rows; ++y) {
                const uint8_t* row = m.ptr<uint8_t>(y);
                for (int x = 0; x < m.cols; ++x)
                    if (row[x] != 255) maxLabel = std::max<int>(maxLabel, row[x]);
            }
        }
        if (maxLabel < 0)
            fail(dataset, "every mask pixel is 255 (ignore); cannot infer the number of classes");
        return std::make_shared<const Count>(Count{maxLabel + 1});
    });
    return result->classes;
}

class SegFolder final : public Dataset {
public:
    SegFolder(const DataConfig& config, Split split)
        : mImageSize(config.imageSize), mChannels(config.imageChannels) {
        const std::string d = "seg_folder";
        checkChannels(d, mChannels);
        checkValFraction(d, config.valFraction);
        if (mImageSize < 0)
            fail(d, "data.image_size must not be negative, got " + std::to_string(mImageSize));
        const bool separateVal = !config.valRoot.empty();

        std::vector<SegPair> train, val;
        const auto all = listSegPairs(d, config.root);
        if (separateVal) {
            train = all;
            val = listSegPairs(d, config.valRoot);
        } else {
            for (size_t p = 0; p < all.size(); ++p)
                (isValPosition(p, config.valFraction) ? val : train).push_back(all[p]);
        }
        mPairs = split == Split::Train ? train : val;
        if (mPairs.empty())
            fail(d, std::string("the ") + splitName(split) + " split of " + config.root +
                        " has no images (valFraction " + std::to_string(config.valFraction) +
                        "; raise it or set valRoot)");

        if (config.numClasses > 0) {
            mNumClasses = config.numClasses;
        } else {
            std::vector<SegPair> both = train;
            both.insert(both.end(), val.begin(), val.end());
            mNumClasses = inferSegClasses(d, both);
        }
        if (mNumClasses > 255) fail(d, "data.num_classes must be at most 255 (255 marks ignored pixels)");
        if (!config.classNames.empty()) {
            if (static_cast<int>(config.classNames.size()) != mNumClasses)
                fail(d, std::to_string(config.classNames.size()) + " class names given for " +
                            std::to_string(mNumClasses) + " classes");
            mClassNames = config.classNames;
        } else {
            for (int c = 0; c < mNumClasses; ++c)
                mClassNames.push_back("class_" + std::to_string(c));
        }
        mSize = limitToSubset(static_cast<int64_t>(mPairs.size()), config.subset);
        if (mImageSize > 0) {
            mHeight = mWidth = mImageSize;
        } else {
            probeSize(d, mPairs[0].image, mChannels, mHeight, mWidth);
        }
    }

    int64_t size() const override { return mSize; }
    Sample get(int64_t index) const override {
        const std::string d = "seg_folder";
        checkIndex(d, index, mSize);
        const auto& pair = mPairs[index];
        cv::Mat image = readImage(d, pair.image, mChannels);
        cv::Mat mask = readMask(d, pair.mask);
        if (mask.rows != image.rows || mask.cols != image.cols)
            fail(d, "mask " + pair.mask.string() + " is " + sizeText(mask.rows, mask.cols) + " but image " +
                        pair.image.string() + " is " + sizeText(image.rows, image.cols));
        for (int y = 0; y < mask.rows; ++y) {
            const uint8_t* row = mask.ptr<uint8_t>(y);
            for (int x = 0; x < mask.cols; ++x)
                if (row[x] != 255 && row[x] >= mNumClasses)
                    fail(d, "mask " + pair.mask.string() + " has label " + std::to_string(row[x]) +
                                " but data.num_classes is " + std::to_string(mNumClasses));
        }
        Sample s;
        s.image = toImage(d, image, pair.image, mImageSize, mHeight, mWidth, mPairs[0].image);
        if (mImageSize > 0 && (mask.rows != mImageSize || mask.cols != mImageSize))
            cv::resize(mask, mask, cv::Size(mImageSize, mImageSize), 0, 0, cv::INTER_NEAREST_EXACT);
        s.mask.height = mask.rows;
        s.mask.width = mask.cols;
        s.mask.data.resize(static_cast<size_t>(mask.rows) * mask.cols);
        for (int y = 0; y < mask.rows; ++y)
            std::memcpy(&s.mask.data[static_cast<size_t>(y) * mask.cols], mask.ptr<uint8_t>(y), mask.cols);
        return s;
    }
    Task task() const override { return Task::Segmentation; }
    int channels() const override { return mChannels; }
    int height() const override { return mHeight; }
    int width() const override { return mWidth; }
    int numClasses() const override { return mNumClasses; }
    std::vector<std::string> classNames() const override { return mClassNames; }
    std::string name() const override { return "seg_folder"; }

private:
    int mImageSize, mChannels;
    int mHeight = 0, mWidth = 0;
    int mNumClasses = 0;
    std::vector<std::string> mClassNames;
    std::vector<SegPair> mPairs;
    int64_t mSize = 0;
};

// ---- CIFAR-10 / CIFAR-100 (binary versions) -----------------------------------------------------------

/** Records of one split, concatenated in file order. */
struct CifarRecords {
    int64_t count = 0;
    std::vector<uint8_t> bytes;
};

std::shared_ptr<const CifarRecords> loadCifar(const std::string& dataset, const fs::path& root,
                                              const std::vector<std::string>& files, size_t recordBytes,
                                              int labelOffset, int numClasses, const std::string& expected) {
    std::vector<fs::path> paths;
    std::string key;
    for (const auto& f : files) {
        const fs::path p = root / f;
        std::error_code ec;
        if (!fs::is_regular_file(p, ec)) fail(dataset, p.string() + " not found (expected " + expected + ")");
        paths.push_back(p);
        key += fileKey(p) + "\n";
    }
    return cached<CifarRecords>(key, [&] {
        auto out = std::make_shared<CifarRecords>();
        for (const auto& p : paths) {
            std::error_code ec;
            const auto size = fs::file_size(p, ec);
            if (ec || size == 0 || size % recordBytes != 0)
                fail(dataset, p.string() + " is " + std::to_string(size) + " bytes, not a whole number of " +
                                  std::to_string(recordBytes) + "-byte records (truncated or not a " +
                                  dataset + " file)");
            std::ifstream in(p, std::ios::binary);
            const size_t at = out->bytes.size();
            out->bytes.resize(at + size);
            if (!in.read(reinterpret_cast<char*>(out->bytes.data() + at), static_cast<std::streamsize>(size)))
                fail(dataset, "cannot read " + p.string());
            for (size_t r = 0; r < size / recordBytes; ++r) {
                const uint8_t label = out->bytes[at + r * recordBytes + labelOffset];
                if (label >= numClasses)
                    fail(dataset, p.string() + " record " + std::to_string(r) + " has label " +
                                      std::to_string(label) + " (expected 0.." +
                                      std::to_string(numClasses - 1) + ")");
            }
        }
        out->count = static_cast<int64_t>(out->bytes.size() / recordBytes);
        return std::shared_ptr<const CifarRecords>(std::move(out));
    });
}

class Cifar final : public Dataset {
public:
    Cifar(const DataConfig& config, Split split, bool hundred) : mHundred(hundred) {
        const std::string d = name();
        const fs::path root(config.root);
        const std::string files10 =
            "the CIFAR-10 binary files data_batch_1.bin..data_batch_5.bin and test_batch.bin";
        const std::string files100 = "the CIFAR-100 binary files train.bin and test.bin";
        if (config.root.empty()) fail(d, "no folder given (expected " + (hundred ? files100 : files10) + ")");
        const std::string expected = (hundred ? files100 : files10) + " in " + root.string();
        std::vector<std::string> files;
        if (hundred)
            files = {split == Split::Train ? "train.bin" : "test.bin"};
        else if (split == Split::Train)
            files = {"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
                     "data_batch_5.bin"};
        else
            files = {"test_batch.bin"};
        mData = loadCifar(d, root, files, recordBytes(), hundred ? 1 : 0, numClasses(), expected);
        mSize = limitToSubset(mData->count, config.subset);

        const fs::path namesFile = root / (hundred ? "fine_label_names.txt" : "batches.meta.txt");
        std::error_code ec;
        if (fs::is_regular_file(namesFile, ec)) {
            mClassNames = readNameLines(namesFile);
            if (static_cast<int>(mClassNames.size()) != numClasses())
                fail(d, namesFile.string() + " lists " + std::to_string(mClassNames.size()) +
                            " class names (expected " + std::to_string(numClasses()) + ")");
        } else if (hundred) {
            for (int c = 0; c < 100; ++c)
                mClassNames.push_back("class_" + std::to_string(c));
        } else {
            mClassNames = cifar10ClassNames();
        }
        if (!config.classNames.empty()) {
            if (static_cast<int>(config.classNames.size()) != numClasses())
                fail(d, std::to_string(config.classNames.size()) + " class names given (expected " +
                            std::to_string(numClasses()) + ")");
            mClassNames = config.classNames;
        }
    }

    int64_t size() const override { return mSize; }
    Sample get(int64_t index) const override {
        checkIndex(name(), index, mSize);
        const uint8_t* record = mData->bytes.data() + index * recordBytes();
        Sample s;
        s.label = record[mHundred ? 1 : 0];
        // The record already is planar R, G, B, which is our layout.
        const uint8_t* pixels = record + (mHundred ? 2 : 1);
        s.image.channels = 3;
        s.image.height = s.image.width = 32;
        s.image.data.resize(3 * 32 * 32);
        for (size_t i = 0; i < s.image.data.size(); ++i)
            s.image.data[i] = pixels[i] * (1.f / 255.f);
        return s;
    }
    Task task() const override { return Task::Classification; }
    int channels() const override { return 3; }
    int height() const override { return 32; }
    int width() const override { return 32; }
    int numClasses() const override { return mHundred ? 100 : 10; }
    std::vector<std::string> classNames() const override { return mClassNames; }
    std::string name() const override { return mHundred ? "cifar100" : "cifar10"; }

private:
    size_t recordBytes() const { return mHundred ? 3074 : 3073; }

    bool mHundred;
    std::shared_ptr<const CifarRecords> mData;
    int64_t mSize = 0;
    std::vector<std::string> mClassNames;
};

// ---- coco_json --------------------------------------------------------------------------------------------

/**
 * COCO instances: a JSON file with `images` ({id, file_name}), `annotations` ({image_id, bbox [x, y, w, h],
 * category_id, iscrowd, area}) and `categories` ({id, name}), the images in a folder. Categories become
 * contiguous class indices in id order. Every image is checked to exist at open, every box to lie in its
 * image (when the image's width and height are given) and to name a known image and category.
 */
class CocoJson final : public Dataset {
public:
    CocoJson(const DataConfig& config, Split split)
        : mImageSize(config.imageSize), mChannels(config.imageChannels) {
        const std::string d = "coco_json";
        checkChannels(d, mChannels);
        checkValFraction(d, config.valFraction);
        if (mImageSize < 0)
            fail(d, "data.image_size must not be negative, got " + std::to_string(mImageSize));
        // Where the split's files are: a root holding images/ and annotations.json, or the two given apart.
        const bool val = split == Split::Val;
        const bool separateVal = !config.valRoot.empty() || !config.valAnnotations.empty();
        auto locate = [&](const std::string& root, const std::string& images, const std::string& annotations,
                          const char* rootKey, const char* imagesKey, const char* annotationsKey) {
            if (!annotations.empty()) {
                if (images.empty())
                    fail(d, std::string("data.") + annotationsKey + " is given without data." + imagesKey +
                                " (the folder its file_name entries are relative to)");
                return std::make_pair(fs::path(images), fs::path(annotations));
            }
            if (root.empty())
                fail(d, std::string("give data.") + rootKey +
                            " (a folder with images/ and annotations.json) or data." + imagesKey +
                            " and data." + annotationsKey);
            return std::make_pair(fs::path(root) / "images", fs::path(root) / "annotations.json");
        };
        auto [images, annotations] =
            val && separateVal
                ? locate(config.valRoot, config.valImages, config.valAnnotations, "val_root", "val_images",
                         "val_annotations")
                : locate(config.root, config.images, config.annotations, "root", "images", "annotations");
        mFolder = images;
        load(annotations, config.classNames);
        if (!(val && separateVal)) {
            // One file for both splits: every image at a val position (by file order) validates.
            std::vector<Entry> kept;
            for (size_t p = 0; p < mEntries.size(); ++p)
                if (separateVal ? !val : isValPosition(p, config.valFraction) == val)
                    kept.push_back(mEntries[p]);
            mEntries = std::move(kept);
        }
        if (mEntries.empty())
            fail(d, annotations.string() + ": the " + splitName(split) + " split has no images" +
                        (separateVal ? std::string()
                                     : " (data.val_fraction " + std::to_string(config.valFraction) + ")"));
        mSize = limitToSubset(static_cast<int64_t>(mEntries.size()), config.subset);
        if (mImageSize > 0) {
            mHeight = mWidth = mImageSize;
        } else {
            probeSize(d, mEntries[0].path, mChannels, mHeight, mWidth);
        }
    }

    int64_t size() const override { return mSize; }
    Sample get(int64_t index) const override {
        checkIndex("coco_json", index, mSize);
        const Entry& e = mEntries[static_cast<size_t>(index)];
        cv::Mat m = readImage("coco_json", e.path, mChannels);
        const int rows = m.rows, cols = m.cols;
        for (const Box& b : e.boxes)
            if (b.x2 > cols + 0.5f || b.y2 > rows + 0.5f)
                fail("coco_json", mAnnotations + ": a box of image " + std::to_string(e.id) + " (" +
                                      e.path.string() + ") reaches (" + std::to_string(b.x2) + ", " +
                                      std::to_string(b.y2) + "), outside the image's " +
                                      sizeText(rows, cols) + " pixels");
        Sample s;
        s.image = toImage("coco_json", std::move(m), e.path, mImageSize, mHeight, mWidth, mEntries[0].path);
        s.imageId = e.id;
        const float sx = static_cast<float>(s.image.width) / static_cast<float>(cols);
        const float sy = static_cast<float>(s.image.height) / static_cast<float>(rows);
        for (Box b : e.boxes) {
            b.x1 = std::min(b.x1, static_cast<float>(cols)) * sx;
            b.x2 = std::min(b.x2, static_cast<float>(cols)) * sx;
            b.y1 = std::min(b.y1, static_cast<float>(rows)) * sy;
            b.y2 = std::min(b.y2, static_cast<float>(rows)) * sy;
            if (b.area >= 0.f) b.area *= sx * sy;
            s.boxes.push_back(b);
        }
        return s;
    }
    Task task() const override { return Task::Detection; }
    int channels() const override { return mChannels; }
    int height() const override { return mHeight; }
    int width() const override { return mWidth; }
    int numClasses() const override { return static_cast<int>(mClassNames.size()); }
    std::vector<std::string> classNames() const override { return mClassNames; }
    std::string name() const override { return "coco_json"; }
    std::vector<int64_t> categoryIds() const override { return mCategoryIds; }

private:
    struct Entry {
        int64_t id = 0;
        fs::path path;
        std::vector<Box> boxes;
    };

    void load(const fs::path& file, const std::vector<std::string>& names) {
        const std::string d = "coco_json";
        mAnnotations = file.string();
        std::ifstream in(file, std::ios::binary);
        if (!in)
            fail(d,
                 "cannot read " + file.string() + " (missing or unreadable; expected COCO instances JSON)");
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(in);
        } catch (const nlohmann::json::exception& e) {
            fail(d, file.string() + ": not valid JSON (" + printable(e.what()) + ")");
        }
        const std::string where = file.string() + ": ";
        auto section = [&](const char* key) -> const nlohmann::json& {
            if (!j.is_object() || !j.contains(key) || !j[key].is_array())
                fail(d, where + "no \"" + key +
                            "\" list (expected COCO instances: images, annotations, categories)");
            return j[key];
        };
        auto number = [&](const nlohmann::json& entry, const char* key, const std::string& what) {
            if (!entry.is_object() || !entry.contains(key) || !entry[key].is_number())
                fail(d, where + what + " has no numeric \"" + key + "\"");
            const double v = entry[key].get<double>();
            if (!std::isfinite(v) || std::abs(v) > 1e15)
                fail(d, where + what + ": \"" + key + "\" is out of range");
            return v;
        };
        auto id = [&](const nlohmann::json& entry, const char* key, const std::string& what) {
            const double v = number(entry, key, what);
            if (v != std::floor(v)) fail(d, where + what + ": \"" + key + "\" must be a whole number");
            return static_cast<int64_t>(v);
        };
        // Categories in id order → class indices.
        const auto& cats = section("categories");
        std::vector<std::pair<int64_t, std::string>> categories;
        for (size_t i = 0; i < cats.size(); ++i) {
            const std::string what = "categories[" + std::to_string(i) + "]";
            const int64_t category = id(cats[i], "id", what);
            std::string name = cats[i].contains("name") && cats[i]["name"].is_string()
                                   ? cats[i]["name"].get<std::string>()
                                   : std::to_string(category);
            for (const auto& [other, _] : categories)
                if (other == category)
                    fail(d, where + what + ": category id " + std::to_string(category) + " appears twice");
            categories.emplace_back(category, printable(name, 60));
        }
        if (categories.empty()) fail(d, where + "the \"categories\" list is empty");
        std::sort(categories.begin(), categories.end());
        std::map<int64_t, int64_t> classOf;
        for (const auto& [category, name] : categories) {
            classOf[category] = static_cast<int64_t>(mCategoryIds.size());
            mCategoryIds.push_back(category);
            mClassNames.push_back(name);
        }
        if (!names.empty()) {
            if (names.size() != mClassNames.size())
                fail(d, std::to_string(names.size()) + " class names given but " + file.string() + " has " +
                            std::to_string(mClassNames.size()) + " categories");
            mClassNames = names;
        }
        // Images, checked to exist now rather than half-way through an epoch.
        const auto& imgs = section("images");
        std::map<int64_t, size_t> entryOf;
        std::map<int64_t, std::pair<double, double>> sizeOf;
        for (size_t i = 0; i < imgs.size(); ++i) {
            const std::string what = "images[" + std::to_string(i) + "]";
            const int64_t image = id(imgs[i], "id", what);
            if (!imgs[i].contains("file_name") || !imgs[i]["file_name"].is_string())
                fail(d, where + what + " (id " + std::to_string(image) + ") has no \"file_name\"");
            if (entryOf.count(image))
                fail(d, where + what + ": image id " + std::to_string(image) + " appears twice");
            Entry e;
            e.id = image;
            e.path = mFolder / imgs[i]["file_name"].get<std::string>();
            std::error_code ec;
            if (!fs::is_regular_file(e.path, ec))
                fail(d, where + what + " (id " + std::to_string(image) + "): image file " +
                            printable(e.path.string()) + " does not exist");
            if (imgs[i].contains("width") && imgs[i].contains("height"))
                sizeOf[image] = {number(imgs[i], "width", what), number(imgs[i], "height", what)};
            entryOf[image] = mEntries.size();
            mEntries.push_back(std::move(e));
        }
        const auto& anns = section("annotations");
        for (size_t i = 0; i < anns.size(); ++i) {
            const auto& a = anns[i];
            std::string what = "annotations[" + std::to_string(i) + "]";
            if (a.is_object() && a.contains("id") && a["id"].is_number_integer())
                what += " (id " + std::to_string(a["id"].get<int64_t>()) + ")";
            const int64_t image = id(a, "image_id", what);
            const int64_t category = id(a, "category_id", what);
            auto img = entryOf.find(image);
            if (img == entryOf.end())
                fail(d, where + what + ": image_id " + std::to_string(image) + " is not in \"images\"");
            auto cls = classOf.find(category);
            if (cls == classOf.end())
                fail(d, where + what + ": category_id " + std::to_string(category) +
                            " is not in \"categories\"");
            if (!a.contains("bbox") || !a["bbox"].is_array() || a["bbox"].size() != 4 ||
                !std::all_of(a["bbox"].begin(), a["bbox"].end(),
                             [](const nlohmann::json& v) { return v.is_number(); }))
                fail(d, where + what + ": \"bbox\" must be [x, y, width, height]");
            const double x = a["bbox"][0].get<double>(), y = a["bbox"][1].get<double>();
            const double w = a["bbox"][2].get<double>(), h = a["bbox"][3].get<double>();
            const std::string boxText = "[" + formatNumber(x) + ", " + formatNumber(y) + ", " +
                                        formatNumber(w) + ", " + formatNumber(h) + "]";
            if (!(w > 0) || !(h > 0) || !std::isfinite(x) || !std::isfinite(y) || !std::isfinite(w) ||
                !std::isfinite(h) || std::abs(x) > 1e7 || std::abs(y) > 1e7 || w > 1e7 || h > 1e7)
                fail(d, where + what + ": bbox " + boxText +
                            " has no area (expected finite width and height > 0, at most 1e7 pixels)");
            bool outside = x < -0.5 || y < -0.5;
            if (auto sz = sizeOf.find(image); sz != sizeOf.end())
                outside = outside || x + w > sz->second.first + 0.5 || y + h > sz->second.second + 0.5;
            if (outside)
                fail(d, where + what + ": bbox " + boxText + " lies outside image " + std::to_string(image) +
                            (sizeOf.count(image) ? " (" + formatNumber(sizeOf[image].first) + " x " +
                                                       formatNumber(sizeOf[image].second) + " pixels)"
                                                 : std::string()));
            Box b;
            b.x1 = static_cast<float>(std::max(0.0, x));
            b.y1 = static_cast<float>(std::max(0.0, y));
            b.x2 = static_cast<float>(x + w);
            b.y2 = static_cast<float>(y + h);
            b.label = cls->second;
            b.crowd = a.contains("iscrowd") && a["iscrowd"].is_number() && a["iscrowd"].get<double>() != 0;
            if (a.contains("area") && a["area"].is_number())
                b.area = static_cast<float>(number(a, "area", what));
            mEntries[img->second].boxes.push_back(b);
        }
    }

    static std::string formatNumber(double v) {
        std::ostringstream out;
        out << v;
        return out.str();
    }

    int mImageSize, mChannels;
    fs::path mFolder;
    std::string mAnnotations;
    std::vector<Entry> mEntries;
    std::vector<std::string> mClassNames;
    std::vector<int64_t> mCategoryIds;
    int64_t mSize = 0;
    int mHeight = 0, mWidth = 0;
};

/** A contiguous slice of another data set: the train/holdout split used for tuning. */
class SliceView : public Dataset {
public:
    SliceView(std::shared_ptr<Dataset> base, int64_t begin, int64_t size)
        : mBase(std::move(base)), mBegin(begin), mSize(size) {}
    int64_t size() const override { return mSize; }
    Sample get(int64_t index) const override {
        if (index < 0 || index >= mSize)
            throw Error(mBase->name() + ": sample " + std::to_string(index) + " out of range (" +
                        std::to_string(mSize) + " samples)");
        return mBase->get(mBegin + index);
    }
    Task task() const override { return mBase->task(); }
    int channels() const override { return mBase->channels(); }
    int height() const override { return mBase->height(); }
    int width() const override { return mBase->width(); }
    int numClasses() const override { return mBase->numClasses(); }
    std::vector<std::string> classNames() const override { return mBase->classNames(); }
    std::string name() const override { return mBase->name(); }
    std::vector<int64_t> categoryIds() const override { return mBase->categoryIds(); }

private:
    std::shared_ptr<Dataset> mBase;
    int64_t mBegin;
    int64_t mSize;
};

std::shared_ptr<Dataset> openSplit(const DataConfig& config, Split split);

}  // namespace

std::vector<std::string> datasetNames() {
    return {"fashion_mnist", "fashion_scenes", "fashion_scenes_det",
            "image_folder",  "seg_folder",     "coco_json",
            "cifar10",       "cifar100"};
}

std::shared_ptr<Dataset> openDataset(const DataConfig& config, Split split) {
    if (config.holdout < 0)
        fail(config.dataset, "holdout must not be negative, got " + std::to_string(config.holdout));
    if (config.holdout == 0) return openSplit(config, split);
    // Tuning split: the last `holdout` training samples validate, the rest train; the test split stays
    // unseen.
    DataConfig whole = config;
    whole.subset = 0;
    auto train = openSplit(whole, Split::Train);
    const int64_t n = train->size();
    if (config.holdout >= n)
        fail(config.dataset, "holdout " + std::to_string(config.holdout) +
                                 " leaves no training samples (the train split has " + std::to_string(n) +
                                 ")");
    const int64_t begin = split == Split::Train ? 0 : n - config.holdout;
    int64_t size = split == Split::Train ? n - config.holdout : config.holdout;
    size = limitToSubset(size, config.subset);
    return std::make_shared<SliceView>(train, begin, size);
}

namespace {
std::shared_ptr<Dataset> openSplit(const DataConfig& config, Split split) {
    const std::string& n = config.dataset;
    if (config.subset < 0) fail(n, "subset must not be negative, got " + std::to_string(config.subset));
    if (n == "fashion_mnist") return std::make_shared<FashionMnist>(config, split);
    if (n == "fashion_scenes") return std::make_shared<FashionScenes>(config, split, false);
    if (n == "fashion_scenes_det") return std::make_shared<FashionScenes>(config, split, true);
    if (n == "coco_json") return std::make_shared<CocoJson>(config, split);
    if (n == "image_folder") return std::make_shared<ImageFolder>(config, split);
    if (n == "seg_folder") return std::make_shared<SegFolder>(config, split);
    if (n == "cifar10") return std::make_shared<Cifar>(config, split, false);
    if (n == "cifar100") return std::make_shared<Cifar>(config, split, true);
    std::string allowed;
    for (const auto& name : datasetNames())
        allowed += (allowed.empty() ? "" : ", ") + name;
    throw Error("unknown dataset '" + n + "' (expected one of: " + allowed + ")");
}

}  // namespace

}  // namespace distillery
