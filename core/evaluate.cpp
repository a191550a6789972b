#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "core/internal/checkpoint.h"
#include "core/internal/evaluation.h"
#include "core/internal/memory_format.h"
#include "core/internal/sanitizer_allocator.h"

#include "core/internal/distributed.h"
#include "core/internal/inference.h"
#include "core/internal/losses.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <mutex>
#include "core/run_files.h"

namespace distillery {

namespace {
// Feature maps of a few MB are allocated and freed every op. glibc hands such blocks out with mmap and
// returns them on free, so every op pays page faults on fresh zeroed pages (measured: 40 % of a ResNet-20
// forward pass). Keeping them in the heap removes that cost; the price is memory the process keeps.
// Training runs on its own thread, and glibc gives other threads their own arenas: heaps of at most 64 MB
// that are mapped and unmapped as a step's activations outgrow and release them (measured: 30 % of a
// ResNet-8 training step in the kernel, page faults and munmap). One arena, the main heap, which grows
// without that limit and keeps what it has (M_TRIM_THRESHOLD), makes the student's step 1.4× faster here.
// The programs link tcmalloc where it is installed (CMakeLists.txt), which is faster still and ignores these
// calls; they are for the library's other users and builds without it.
void tuneAllocator() {
#ifdef __GLIBC__
    static std::once_flag once;
    std::call_once(once, [] {
        mallopt(M_ARENA_MAX, 1);
        mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum on 64-bit
        mallopt(M_TRIM_THRESHOLD, 1 << 30);
    });
#endif
    // The same for the sanitizers' allocator, in sanitizer builds (installed at start-up already; this call
    // also links its translation unit, whose start-up code would otherwise not be in the static library's
    // users).
    installSanitizerAllocator();
}
}  // namespace

void applyThreadCount(int threads) {
    tuneAllocator();
    int n = threads > 0 ? threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    // DISTILLERY_THREADS caps the intra-op threads of the whole process (shared machines; ThreadSanitizer
    // runs, where OpenMP's uninstrumented runtime must not run parallel regions).
    if (const char* cap = std::getenv("DISTILLERY_THREADS"); cap && std::atoi(cap) > 0)
        n = std::min(n, std::atoi(cap));
    if (at::get_num_threads() != n) at::set_num_threads(n);
}

void setThreadCount(int threads) {
    applyThreadCount(threads);
}

torch::Device chooseDevice(const std::string& name) {
    if (name == "cpu") return torch::kCPU;
    const bool cuda = torch::cuda::is_available();
    if (name == "cuda") {
        if (!cuda) throw Error("device: 'cuda' requested but this LibTorch build has no usable CUDA device");
        return torch::kCUDA;
    }
    if (name == "auto" || name.empty())
        return cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
    throw Error("device: unknown device '" + name + "' (allowed: auto, cpu, cuda)");
}

const char* mainMetric(Task task) {
    return task == Task::Classification ? "top1" : task == Task::Segmentation ? "miou" : "ap";
}

std::vector<std::vector<Detection>> decodeBatch(const torch::Tensor& output, int64_t numClasses, int imageH,
                                                int imageW) {
    auto host = output.detach().to(torch::kCPU).to(torch::kFloat32).contiguous();
    const int mapH = static_cast<int>(host.size(2)), mapW = static_cast<int>(host.size(3));
    std::vector<std::vector<Detection>> out;
    for (int64_t i = 0; i < host.size(0); ++i)
        out.push_back(decodeCenterMaps(host[i].data_ptr<float>(), numClasses, mapH, mapW, kDetectionStride,
                                       kMaxDetections, imageH, imageW));
    return out;
}

namespace {
// One image's boxes as gathered from another rank: its sample index (the order of a single process), COCO id,
// ground truth and decoded detections.
struct ImageRecord {
    int64_t index = 0, imageId = 0;
    std::vector<Box> truth;
    std::vector<Detection> detections;
};

template <typename T>
void put(std::string& out, const T& value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}
template <typename T>
T take(const std::string& in, size_t& at) {
    T value;
    std::memcpy(&value, in.data() + at, sizeof value);
    at += sizeof value;
    return value;
}

std::string serialise(const std::vector<ImageRecord>& records) {
    std::string out;
    put(out, static_cast<int64_t>(records.size()));
    for (const auto& r : records) {
        put(out, r.index);
        put(out, r.imageId);
        put(out, static_cast<int64_t>(r.truth.size()));
        for (const auto& b : r.truth) {
            put(out, b.x1), put(out, b.y1), put(out, b.x2), put(out, b.y2);
            put(out, b.label), put(out, static_cast<int8_t>(b.crowd)), put(out, b.area);
        }
        put(out, static_cast<int64_t>(r.detections.size()));
        for (const auto& d : r.detections) {
            put(out, d.x1), put(out, d.y1), put(out, d.x2), put(out, d.y2);
            put(out, d.label), put(out, d.score);
        }
    }
    return out;
}

void deserialise(const std::string& in, std::vector<ImageRecord>& records) {
    size_t at = 0;
    const auto n = take<int64_t>(in, at);
    for (int64_t i = 0; i < n; ++i) {
        ImageRecord r;
        r.index = take<int64_t>(in, at);
        r.imageId = take<int64_t>(in, at);
        const auto boxes = take<int64_t>(in, at);
        for (int64_t k = 0; k < boxes; ++k) {
            Box b;
            b.x1 = take<float>(in, at), b.y1 = take<float>(in, at), b.x2 = take<float>(in, at);
            b.y2 = take<float>(in, at);
            b.label = take<int64_t>(in, at);
            b.crowd = take<int8_t>(in, at) != 0;
            b.area = take<float>(in, at);
            r.truth.push_back(b);
        }
        const auto dets = take<int64_t>(in, at);
        for (int64_t k = 0; k < dets; ++k) {
            Detection d;
            d.x1 = take<float>(in, at), d.y1 = take<float>(in, at), d.x2 = take<float>(in, at);
            d.y2 = take<float>(in, at);
            d.label = take<int64_t>(in, at);
            d.score = take<float>(in, at);
            r.detections.push_back(d);
        }
        records.push_back(std::move(r));
    }
}

EvalResult evaluateDetector(InferenceRunner& runner, BatchLoader& loader, int64_t numClasses,
                            torch::Device device, const std::function<bool()>& cancelled,
                            Collective* collective) {
    EvalResult result;
    double lossSum = 0;
    std::vector<ImageRecord> records;
    Batch batch;
    while (loader.next(batch)) {
        if (cancelled && cancelled()) break;
        auto images = exactChannelsLast(batch.images.to(device));
        auto output = runner.forward(images);
        const int64_t n = batch.images.size(0);
        lossSum += detectionLoss(output, batch.targets.to(device)).item<double>() * static_cast<double>(n);
        auto decoded = decodeBatch(output, numClasses, static_cast<int>(batch.images.size(2)),
                                   static_cast<int>(batch.images.size(3)));
        for (size_t i = 0; i < decoded.size(); ++i)
            records.push_back({batch.indices[i], batch.imageIds[i], batch.boxes[i], std::move(decoded[i])});
        result.samples += n;
    }
    if (collective) {
        // Every rank scores every image, in the order one process would have seen them.
        auto sums = torch::tensor({lossSum, static_cast<double>(result.samples)}, torch::kFloat64);
        collective->allreduceSum(sums);
        lossSum = sums[0].item<double>();
        result.samples = static_cast<int64_t>(std::llround(sums[1].item<double>()));
        std::vector<ImageRecord> all;
        for (const auto& bytes : collective->allgatherBytes(serialise(records)))
            deserialise(bytes, all);
        std::stable_sort(all.begin(), all.end(),
                         [](const ImageRecord& a, const ImageRecord& b) { return a.index < b.index; });
        records = std::move(all);
    }
    CocoEvaluator coco(numClasses);
    for (auto& r : records) {
        coco.add(r.truth, r.detections);
        result.detections.push_back({r.imageId, std::move(r.detections)});
    }
    fillDetectionMetrics(result, coco, lossSum, result.samples);
    return result;
}
}  // namespace

void fillDetectionMetrics(EvalResult& result, const CocoEvaluator& coco, double lossSum, int64_t lossCount) {
    const CocoMetrics m = coco.compute();
    result.metrics = cocoMetricPairs(m);
    result.perClassAP = m.perClassAP;
    result.metrics.emplace_back("loss", lossCount ? lossSum / static_cast<double>(lossCount) : 0.0);
}

void fillMetrics(EvalResult& result, Task task, const torch::Tensor& confusion, double lossSum,
                 int64_t lossCount) {
    auto conf = confusion.to(torch::kCPU).to(torch::kInt64).contiguous();
    const int64_t k = conf.size(0);
    auto acc = conf.accessor<int64_t, 2>();
    result.confusion.assign(k, std::vector<int64_t>(k, 0));
    int64_t total = 0, correct = 0;
    for (int64_t t = 0; t < k; ++t)
        for (int64_t p = 0; p < k; ++p) {
            result.confusion[t][p] = acc[t][p];
            total += acc[t][p];
            if (t == p) correct += acc[t][p];
        }
    const double pixelAcc = total > 0 ? 100.0 * correct / total : 0.0;
    result.metrics.clear();
    if (task == Task::Classification) {
        result.metrics.emplace_back("top1", pixelAcc);
    } else {
        result.perClassIoU.assign(k, std::nan(""));
        double sum = 0;
        int present = 0;
        for (int64_t c = 0; c < k; ++c) {
            int64_t tp = acc[c][c], fp = 0, fn = 0;
            for (int64_t o = 0; o < k; ++o) {
                if (o == c) continue;
                fp += acc[o][c];
                fn += acc[c][o];
            }
            const int64_t uni = tp + fp + fn;
            if (uni == 0) continue;  // class absent from truth and prediction: not part of the mean
            result.perClassIoU[c] = 100.0 * tp / uni;
            sum += result.perClassIoU[c];
            ++present;
        }
        result.metrics.emplace_back("miou", present ? sum / present : 0.0);
        result.metrics.emplace_back("pixel_acc", pixelAcc);
    }
    result.metrics.emplace_back("loss", lossCount ? lossSum / lossCount : 0.0);
}

EvalResult evaluateModel(GraphNet& net, BatchLoader& loader, int64_t numClasses, torch::Device device,
                         const std::function<bool()>& cancelled, Collective* collective) {
    torch::NoGradGuard noGrad;
    const bool wasTraining = net->is_training();
    net->eval();
    const Task task = loader.dataset().task();
    // The weights do not change during the pass: pack them once for oneDNN.
    InferenceRunner runner(net);
    if (task == Task::Detection) {
        EvalResult result = evaluateDetector(runner, loader, numClasses, device, cancelled, collective);
        net->train(wasTraining);
        return result;
    }
    auto confusion =
        torch::zeros({numClasses * numClasses}, torch::TensorOptions().dtype(torch::kInt64).device(device));
    double lossSum = 0;
    int64_t lossCount = 0, samples = 0;
    Batch batch;
    while (loader.next(batch)) {
        if (cancelled && cancelled()) break;
        auto images = exactChannelsLast(batch.images.to(device));
        auto targets = batch.targets.to(device);
        auto logits = runner.forward(images);
        auto loss = torch::nn::functional::cross_entropy(
            logits, targets,
            torch::nn::functional::CrossEntropyFuncOptions().ignore_index(255).reduction(torch::kSum));
        auto valid = targets != 255;
        lossSum += loss.item<double>();
        lossCount += valid.sum().item<int64_t>();
        auto pred = logits.argmax(1);
        auto t = targets.masked_select(valid);
        auto p = pred.masked_select(valid);
        confusion += torch::bincount(t * numClasses + p, {}, numClasses * numClasses);
        samples += batch.images.size(0);
    }
    net->train(wasTraining);
    if (collective) {
        // Counts are exact in int64; the loss sum in float64.
        confusion = confusion.to(torch::kCPU).contiguous();
        collective->allreduceSum(confusion);
        auto sums = torch::tensor({lossSum, static_cast<double>(lossCount), static_cast<double>(samples)},
                                  torch::kFloat64);
        collective->allreduceSum(sums);
        lossSum = sums[0].item<double>();
        lossCount = static_cast<int64_t>(std::llround(sums[1].item<double>()));
        samples = static_cast<int64_t>(std::llround(sums[2].item<double>()));
    }
    EvalResult result;
    result.samples = samples;
    fillMetrics(result, task, confusion.view({numClasses, numClasses}), lossSum, lossCount);
    return result;
}

torch::Tensor sampleTensor(Sample sample, const std::vector<TransformStep>& transforms,
                           torch::Device device) {
    std::mt19937_64 rng(0);
    applyTransforms(transforms, sample, rng);
    std::vector<Sample> one{std::move(sample)};
    return collate(one, {0}, Task::Classification).images.to(device);
}

FeatureMap toFeatureMap(const std::string& tap, const torch::Tensor& value) {
    auto v = value.detach().to(torch::kCPU).to(torch::kFloat32);
    if (v.dim() == 2) v = v.view({v.size(0), v.size(1), 1, 1});
    v = v[0].contiguous();
    FeatureMap map;
    map.tap = tap;
    map.channels = v.size(0);
    map.height = v.size(1);
    map.width = v.size(2);
    map.data.assign(v.data_ptr<float>(), v.data_ptr<float>() + v.numel());
    return map;
}

EvalResult evaluateRun(const std::string& runDir, CheckpointChoice which, int threads, int subset) {
    applyThreadCount(threads);
    Recipe recipe = loadRunRecipe(runDir);
    if (subset > 0) recipe.data.subset = subset;
    const auto device = chooseDevice(recipe.device);
    CheckpointMeta meta;
    GraphNet net = loadModel(resolveCheckpoint(runDir, which), &meta, device);
    auto val = openDataset(recipe.data, Split::Val);
    BatchLoader loader(val, recipe.evalTransforms, recipe.evalBatchSize, false, false, recipe.seed,
                       recipe.data.workers);
    loader.startEpoch(1);
    return evaluateModel(net, loader, meta.numClasses, device);
}

EvalResult evaluateImported(const std::string& onnxFile, const std::string& recipeFile, int threads,
                            int subset) {
    applyThreadCount(threads);
    Recipe recipe = loadRecipe(recipeFile);
    if (subset > 0) recipe.data.subset = subset;
    const auto device = chooseDevice(recipe.device);
    auto val = openDataset(recipe.data, Split::Val);
    if (val->size() == 0) throw Error(recipeFile + ": the validation split is empty");
    Sample probe = val->get(0);
    std::mt19937_64 rng(0);
    applyTransforms(recipe.evalTransforms, probe, rng);
    // An ONNX file, or a Distillery checkpoint file (a pruned model before it is trained further).
    ModelSpec spec;
    (std::filesystem::path(onnxFile).extension() == ".pt" ? spec.checkpoint : spec.onnx) = onnxFile;
    torch::NoGradGuard noGrad;
    GraphNet net = buildModel(spec, val->task(), probe.image.channels, val->numClasses(), probe.image.height,
                              probe.image.width);
    net->to(device);
    net->eval();
    BatchLoader loader(val, recipe.evalTransforms, recipe.evalBatchSize, false, false, recipe.seed,
                       recipe.data.workers);
    loader.startEpoch(1);
    return evaluateModel(net, loader, val->numClasses(), device);
}

InspectResult inspectRun(const InspectRequest& request) {
    Recipe recipe = loadRunRecipe(request.runDir);
    const auto device = chooseDevice(recipe.device);
    CheckpointMeta meta;
    GraphNet net{nullptr};
    if (!request.teacher) {
        net = loadModel(resolveCheckpoint(request.runDir, request.checkpoint), &meta, device);
    } else {
        if (recipe.job != JobKind::Distill)
            throw Error("--model teacher: run " + request.runDir + " has no teacher");
        CheckpointMeta student;
        loadModel(resolveCheckpoint(request.runDir, request.checkpoint), &student, torch::kCPU);
        net = loadTeacher(recipe.teacher, student.task, student.inChannels, student.numClasses,
                          student.inputH, student.inputW, device, &meta);
    }
    if (!net->hasTap(request.tap)) {
        std::string taps;
        for (const auto& [name, _] : net->tapList())
            taps += (taps.empty() ? "" : ", ") + name;
        throw Error("--tap: '" + request.tap + "' is not a tap of " + meta.model.displayName() +
                    " (taps: " + taps + ")");
    }
    auto data = openDataset(recipe.data, request.split);
    if (request.sampleIndex < 0 || request.sampleIndex >= data->size())
        throw Error("--sample: " + std::to_string(request.sampleIndex) + " out of range (the " +
                    splitName(request.split) + " split has " + std::to_string(data->size()) + " samples)");
    InspectResult result;
    result.sample = data->get(request.sampleIndex);
    torch::NoGradGuard noGrad;
    auto out = net->run(sampleTensor(result.sample, recipe.evalTransforms, device), {request.tap});
    result.map = toFeatureMap(request.tap, out.taps.at(request.tap));
    if (meta.task == Task::Classification) result.predicted = out.output.argmax(1).item<int64_t>();
    return result;
}

namespace {
Mask maskFrom(const torch::Tensor& labels) {
    auto l = labels.to(torch::kCPU).to(torch::kUInt8).contiguous();
    Mask m;
    m.height = static_cast<int>(l.size(0));
    m.width = static_cast<int>(l.size(1));
    m.data.assign(l.data_ptr<uint8_t>(), l.data_ptr<uint8_t>() + l.numel());
    return m;
}
}  // namespace

std::vector<SamplePrediction> predictRun(const std::string& runDir, const std::vector<int64_t>& indices,
                                         Split split, CheckpointChoice checkpoint) {
    Recipe recipe = loadRunRecipe(runDir);
    const auto device = chooseDevice(recipe.device);
    CheckpointMeta meta;
    GraphNet student = loadModel(resolveCheckpoint(runDir, checkpoint), &meta, device);
    GraphNet teacher{nullptr};
    if (recipe.job == JobKind::Distill)
        teacher = loadTeacher(recipe.teacher, meta.task, meta.inChannels, meta.numClasses, meta.inputH,
                              meta.inputW, device);
    auto data = openDataset(recipe.data, split);
    std::vector<SamplePrediction> out;
    torch::NoGradGuard noGrad;
    for (int64_t index : indices) {
        if (index < 0 || index >= data->size())
            throw Error("sample " + std::to_string(index) + " out of range (the " +
                        std::string(splitName(split)) + " split has " + std::to_string(data->size()) +
                        " samples)");
        SamplePrediction p;
        p.index = index;
        p.sample = data->get(index);
        auto input = sampleTensor(p.sample, recipe.evalTransforms, device);
        auto logits = student->forward(input);
        if (meta.task == Task::Classification) {
            auto probs = torch::softmax(logits, 1)[0].to(torch::kCPU).contiguous();
            p.studentProbs.assign(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
            p.studentLabel = logits.argmax(1).item<int64_t>();
            if (teacher) p.teacherLabel = teacher->forward(input).argmax(1).item<int64_t>();
        } else if (meta.task == Task::Detection) {
            // Boxes in the untransformed sample's pixels (the eval transforms may resize it).
            const int h = static_cast<int>(input.size(2)), w = static_cast<int>(input.size(3));
            const float sx = static_cast<float>(p.sample.image.width) / static_cast<float>(w);
            const float sy = static_cast<float>(p.sample.image.height) / static_cast<float>(h);
            auto boxesOf = [&](const torch::Tensor& output) {
                auto boxes = decodeBatch(output, meta.numClasses, h, w).at(0);
                for (Detection& d : boxes) {
                    d.x1 *= sx;
                    d.x2 *= sx;
                    d.y1 *= sy;
                    d.y2 *= sy;
                }
                return boxes;
            };
            p.studentBoxes = boxesOf(logits);
            if (teacher) p.teacherBoxes = boxesOf(teacher->forward(input));
        } else {
            p.studentMask = maskFrom(logits.argmax(1)[0]);
            if (teacher) p.teacherMask = maskFrom(teacher->forward(input).argmax(1)[0]);
        }
        out.push_back(std::move(p));
    }
    return out;
}

}  // namespace distillery
