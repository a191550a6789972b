// A deterministic mutation fuzzer over every reader of user files: the recipe parser, the IDX reader, the
// image and mask readers (image_folder, seg_folder), the COCO reader (coco_json), the checkpoint reader and
// the ONNX importer. Each target starts from valid seeds and applies seeded mutations (bit flips, byte
// overwrites, insertions, deletions, truncation, chunk duplication, boundary values); every input must be
// accepted or rejected with distillery::Error — a crash, a hang, another exception type or a sanitizer report
// fails the run. Runs in CI for a bounded time
// (`distillery_fuzz [SECONDS] [SEED]`, about a minute in all), under AddressSanitizer in the sanitizer build.
//
// It prints, per target, the inputs tried and how many were accepted and rejected; the first input that
// breaks the rule is written to fuzz-failure-<target>.bin in the working folder and named in the output.

#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/dataset.h"
#include "core/internal/checkpoint.h"
#include "core/internal/onnx_import.h"
#include "core/recipe.h"
#include "core/types.h"

using namespace distillery;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

using Bytes = std::string;

Bytes readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void writeFile(const fs::path& path, const Bytes& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/** One seeded mutation of `in`; a few rounds of it make the next input. */
Bytes mutate(const Bytes& in, std::mt19937_64& rng) {
    Bytes b = in;
    auto pick = [&](size_t n) { return n == 0 ? size_t{0} : static_cast<size_t>(rng() % n); };
    const int rounds = 1 + static_cast<int>(rng() % 4);
    static const unsigned char interesting[] = {0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe,
                                                '\n', ':',  '{',  '[',  '-',  '"'};
    for (int r = 0; r < rounds; ++r) {
        switch (rng() % 8) {
            case 0:  // flip a bit
                if (!b.empty()) b[pick(b.size())] ^= static_cast<char>(1u << (rng() % 8));
                break;
            case 1:  // overwrite a byte with a boundary value
                if (!b.empty())
                    b[pick(b.size())] = static_cast<char>(interesting[rng() % sizeof interesting]);
                break;
            case 2:  // overwrite a run with random bytes
                if (!b.empty()) {
                    const size_t at = pick(b.size()), len = 1 + pick(std::min<size_t>(16, b.size() - at));
                    for (size_t i = 0; i < len && at + i < b.size(); ++i)
                        b[at + i] = static_cast<char>(rng());
                }
                break;
            case 3:  // insert random bytes
                b.insert(pick(b.size() + 1), Bytes(1 + pick(8), static_cast<char>(rng())));
                break;
            case 4:  // delete a run
                if (!b.empty()) {
                    const size_t at = pick(b.size());
                    b.erase(at, 1 + pick(std::min<size_t>(64, b.size() - at)));
                }
                break;
            case 5:  // truncate
                b.resize(pick(b.size() + 1));
                break;
            case 6:  // duplicate a chunk
                if (!b.empty()) {
                    const size_t at = pick(b.size()), len = 1 + pick(std::min<size_t>(64, b.size() - at));
                    b.insert(pick(b.size() + 1), b.substr(at, len));
                }
                break;
            default:  // write a 32-bit boundary integer (sizes, counts)
                if (b.size() >= 4) {
                    static const uint32_t values[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 65536, 255};
                    const uint32_t v = values[rng() % (sizeof values / sizeof values[0])];
                    std::memcpy(&b[pick(b.size() - 3)], &v, 4);
                }
                break;
        }
    }
    return b;
}

struct Target {
    std::string name;
    std::vector<Bytes> seeds;
    std::function<void(const Bytes&)> run;  // accepts, or throws distillery::Error
};

struct Outcome {
    int64_t inputs = 0, accepted = 0, rejected = 0;
    std::string failure;  // empty when every input behaved
};

Outcome fuzz(const Target& t, double seconds, uint64_t seed) {
    Outcome o;
    std::mt19937_64 rng(seed);
    const auto end = Clock::now() + std::chrono::duration<double>(seconds);
    for (size_t i = 0; Clock::now() < end; ++i) {
        // The seeds themselves first, then mutations of them.
        const Bytes& base = t.seeds[i % t.seeds.size()];
        const Bytes input = i < t.seeds.size() ? base : mutate(base, rng);
        ++o.inputs;
        try {
            t.run(input);
            ++o.accepted;
        } catch (const Error&) {
            ++o.rejected;
        } catch (const std::exception& e) {
            o.failure = std::string("not a clear error: ") + e.what();
        } catch (...) {
            o.failure = "threw something that is not an exception";
        }
        if (!o.failure.empty()) {
            const std::string file = "fuzz-failure-" + t.name + ".bin";
            writeFile(file, input);
            o.failure += " (input written to " + file + ")";
            break;
        }
    }
    return o;
}

// ---- seeds ----

Bytes idxSeed(bool images) {
    // 3 images of 4x4, or 3 labels; gzip is optional for readIdx, so the raw form exercises the parser.
    Bytes b;
    auto be32 = [&](uint32_t v) {
        for (int s = 24; s >= 0; s -= 8)
            b.push_back(static_cast<char>((v >> s) & 0xff));
    };
    be32(images ? 0x00000803 : 0x00000801);
    be32(3);
    if (images) {
        be32(4);
        be32(4);
        for (int i = 0; i < 48; ++i)
            b.push_back(static_cast<char>(i * 5));
    } else {
        b += Bytes{1, 7, 9};
    }
    return b;
}

Bytes pngSeed(int channels, int side, int value) {
    cv::Mat m(side, side, channels == 1 ? CV_8UC1 : CV_8UC3, cv::Scalar::all(value));
    for (int y = 0; y < side; ++y)
        m.at<uint8_t>(y, 0) = static_cast<uint8_t>(y * 10);
    std::vector<uchar> buf;
    cv::imencode(".png", m, buf);
    return Bytes(buf.begin(), buf.end());
}

}  // namespace

int main(int argc, char** argv) {
    const double total = argc > 1 ? std::atof(argv[1]) : 60.0;
    const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 20261127;
    at::set_num_threads(1);
    const fs::path dir = fs::temp_directory_path() / ("distillery-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path source(DISTILLERY_SOURCE_DIR);

    std::vector<Target> targets;

    // Recipes: the shipped ones and a recipe that uses every section.
    {
        Target t{"recipe", {}, {}};
        for (const auto& e : fs::directory_iterator(source / "resources" / "recipes"))
            if (e.path().extension() == ".yaml") t.seeds.push_back(readFile(e.path()));
        t.seeds.push_back(
            "name: x\njob: distill\nseed: 3\ndata: {dataset: fashion_scenes, canvas: 48, class_names: [a, "
            "b]}\n"
            "transforms:\n  train: [{random_crop: {size: 28, padding: 2}}, {hflip: 0.5}]\n"
            "  eval: [{resize: {height: 30, width: 40}}, {normalize: {mean: [0.5], std: [0.2]}}]\n"
            "model: {onnx: m.onnx}\nteacher: {arch: resnet20, head: psp, checkpoint: t}\n"
            "losses: [{method: task}, {method: cwd, tap: stage3, weight: 5, tau: 4}, {method: pair_kd, tap: "
            "stage2, "
            "pool: 3}]\noptim: {name: adamw, betas: [0.8, 0.99]}\nschedule: {name: step, milestones: [1, "
            "2]}\n"
            "train: {epochs: 2, checkpoint_every: 10min}\nquantize: {enabled: true, from: r, layer_bits: {a: "
            "4}}\n");
        t.run = [](const Bytes& b) { parseRecipe(b, "fuzz.yaml", "/base", {"train.epochs=1"}); };
        targets.push_back(t);
    }
    // IDX files (images and labels).
    {
        Target t{"idx", {idxSeed(true), idxSeed(false)}, {}};
        const fs::path file = dir / "data.idx";
        t.run = [file](const Bytes& b) {
            writeFile(file, b);
            readIdx(file.string());
        };
        targets.push_back(t);
    }
    // Images and masks, through the data sets that read them.
    {
        Target t{"image", {pngSeed(3, 12, 90), pngSeed(1, 12, 200)}, {}};
        const fs::path root = dir / "images";
        fs::create_directories(root / "a");
        fs::create_directories(root / "b");
        writeFile(root / "a" / "0.png", pngSeed(3, 12, 30));
        writeFile(root / "b" / "0.png", pngSeed(3, 12, 60));
        DataConfig c;
        c.dataset = "image_folder";
        c.root = root.string();
        c.valFraction = 0.0;
        c.workers = 1;
        t.run = [root, c](const Bytes& b) {
            writeFile(root / "b" / "1.png", b);
            auto d = openDataset(c, Split::Train);
            for (int64_t i = 0; i < d->size(); ++i)
                d->get(i);
        };
        targets.push_back(t);
    }
    {
        Target t{"mask", {pngSeed(1, 12, 2), pngSeed(1, 12, 255)}, {}};
        const fs::path root = dir / "seg";
        fs::create_directories(root / "images");
        fs::create_directories(root / "masks");
        writeFile(root / "images" / "0.png", pngSeed(3, 12, 30));
        writeFile(root / "masks" / "0.png", pngSeed(1, 12, 1));
        writeFile(root / "images" / "1.png", pngSeed(3, 12, 80));
        DataConfig c;
        c.dataset = "seg_folder";
        c.root = root.string();
        c.valFraction = 0.0;
        c.workers = 1;
        t.run = [root, c](const Bytes& b) {
            writeFile(root / "masks" / "1.png", b);
            auto d = openDataset(c, Split::Train);
            for (int64_t i = 0; i < d->size(); ++i)
                d->get(i);
        };
        targets.push_back(t);
    }
    // COCO instances files (coco_json), read with their images and every sample's boxes made.
    {
        const fs::path root = dir / "coco";
        fs::create_directories(root / "images");
        writeFile(root / "images" / "a.png", pngSeed(3, 12, 30));
        writeFile(root / "images" / "b.png", pngSeed(1, 12, 90));
        Target t{"coco",
                 {R"({"images": [{"id": 1, "file_name": "a.png", "width": 12, "height": 12},
  {"id": 7, "file_name": "b.png"}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [1, 2, 5, 6], "iscrowd": 0, "area": 20},
  {"id": 2, "image_id": 7, "category_id": 9, "bbox": [0.5, 0, 11.5, 12], "iscrowd": 1}],
 "categories": [{"id": 3, "name": "shoe"}, {"id": 9, "name": "bag"}]})"},
                 {}};
        DataConfig c;
        c.dataset = "coco_json";
        c.root = root.string();
        c.valFraction = 0.0;
        c.imageSize = 16;
        c.imageChannels = 3;
        t.run = [root, c](const Bytes& b) {
            writeFile(root / "annotations.json", b);
            auto d = openDataset(c, Split::Train);
            for (int64_t i = 0; i < d->size(); ++i)
                d->get(i);
        };
        targets.push_back(t);
    }
    // Checkpoints: a small zoo model saved by the engine's own writer.
    {
        const fs::path file = dir / "seed.pt";
        {
            ModelSpec spec;
            spec.arch = "resnet8";
            GraphNet net = buildModel(spec, Task::Classification, 1, 10);
            CheckpointMeta meta;
            meta.model = spec;
            meta.inChannels = 1;
            meta.numClasses = 10;
            meta.inputH = meta.inputW = 28;
            std::vector<LossTerm> none;
            saveCheckpoint(file.string(), meta, net, none, nullptr);
        }
        Target t{"checkpoint", {readFile(file)}, {}};
        const fs::path target = dir / "fuzzed.pt";
        t.run = [target](const Bytes& b) {
            writeFile(target, b);
            torch::NoGradGuard noGrad;
            GraphNet net = loadModel(target.string(), nullptr, torch::kCPU);
            net->forward(torch::zeros({1, 1, 28, 28}));
        };
        targets.push_back(t);
    }
    // ONNX: the shipped imported teacher (a real torch.onnx.export).
    {
        Target t{"onnx", {readFile(source / "resources" / "teachers" / "fmnist_vgg_torch.onnx")}, {}};
        const fs::path target = dir / "fuzzed.onnx";
        t.run = [target](const Bytes& b) {
            writeFile(target, b);
            torch::NoGradGuard noGrad;
            ImportedModel m = importOnnx(target.string(), 1, 28, 28);
            m.net->forward(torch::zeros({2, 1, 28, 28}));
        };
        targets.push_back(t);
    }

    // The time is shared by weight: the slow readers (a checkpoint, a 1 MB model) get more.
    const double weights[] = {1, 1, 1, 1, 1, 2, 3};
    double weightSum = 0;
    for (double w : weights)
        weightSum += w;
    int failures = 0;
    for (size_t i = 0; i < targets.size(); ++i) {
        const Outcome o = fuzz(targets[i], total * weights[i] / weightSum, seed + i);
        std::printf("%-10s %7lld inputs  %7lld accepted  %7lld rejected with a clear error%s%s\n",
                    targets[i].name.c_str(), static_cast<long long>(o.inputs),
                    static_cast<long long>(o.accepted), static_cast<long long>(o.rejected),
                    o.failure.empty() ? "" : "  FAILED: ", o.failure.c_str());
        std::fflush(stdout);
        if (!o.failure.empty()) ++failures;
    }
    fs::remove_all(dir);
    return failures == 0 ? 0 : 1;
}
