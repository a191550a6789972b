// Data-free distillation (docs/METHODS.md §1.7d): the conditional generator, the teacher's batch statistics
// as generated images meet them, and the generator looked at from a finished run.

#include "core/data_free.h"

#include <ATen/CPUGeneratorImpl.h>

#include <cmath>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/engine.h"
#include "core/imaging.h"
#include "core/internal/checkpoint.h"
#include "core/internal/data_free.h"
#include "core/internal/evaluation.h"
#include "core/run_files.h"

namespace distillery {

namespace F = torch::nn::functional;
namespace fs = std::filesystem;

GraphNet buildGenerator(const DataFreeSpec& spec, int64_t numClasses, int64_t channels, int64_t height,
                        int64_t width, const std::vector<TransformStep>& evalTransforms) {
    GraphNet g;
    const int64_t c0 = 2 * spec.width, c1 = spec.width;
    const int64_t h0 = (height + 3) / 4, w0 = (width + 3) / 4;
    int x = g->input(spec.latent + numClasses);
    x = g->linear(x, c0 * h0 * w0, "project");
    GraphNode reshape;
    reshape.name = "to_maps";
    reshape.op = OpKind::Reshape;
    reshape.inputs = {x};
    reshape.channels = c0;
    reshape.shape = {0, c0, h0, w0};
    x = g->addNode(reshape);
    x = g->batchNorm(x, "project_bn");
    auto upsample = [&](int in, const std::string& name) {
        GraphNode n;
        n.name = name;
        n.op = OpKind::Resize;
        n.inputs = {in};
        n.channels = g->channelsOf(in);
        n.resizeMode = ResizeMode::Nearest;
        n.resizeCoord = ResizeCoord::Asymmetric;
        n.nearest = NearestRounding::Floor;
        n.scales = {2.0, 2.0};
        return g->addNode(n);
    };
    auto leaky = [&](int in) {
        GraphNode n;
        n.op = OpKind::LeakyReLU;
        n.inputs = {in};
        n.channels = g->channelsOf(in);
        n.alpha = 0.2;
        return g->addNode(n);
    };
    x = upsample(x, "up1");
    x = leaky(g->batchNorm(g->conv(x, c0, 3, 1, 1, 1, false, "conv1"), "bn1"));
    x = upsample(x, "up2");
    x = leaky(g->batchNorm(g->conv(x, c1, 3, 1, 1, 1, false, "conv2"), "bn2"));
    // No batch norm before the sigmoid: its unit spread would hold the pixels near mid-grey, and Adam takes
    // thousands of steps to grow its scale to the black backgrounds and bright garments of real images.
    x = g->conv(x, channels, 3, 1, 1, 1, true, "to_image");
    if (4 * h0 != height || 4 * w0 != width) {
        GraphNode n;
        n.name = "to_size";
        n.op = OpKind::Resize;
        n.inputs = {x};
        n.channels = channels;
        n.resizeMode = ResizeMode::Bilinear;
        n.resizeCoord = ResizeCoord::HalfPixel;
        n.outSize = {height, width};
        x = g->addNode(n);
    }
    GraphNode sigmoid;
    sigmoid.name = "pixels";
    sigmoid.op = OpKind::Sigmoid;
    sigmoid.inputs = {x};
    sigmoid.channels = channels;
    x = g->addNode(sigmoid);
    g->tap("pixels", x);
    // The normalisation the models were trained behind: the eval transforms' last one.
    const TransformStep* normalize = nullptr;
    for (const auto& step : evalTransforms)
        if (step.kind == TransformStep::Kind::Normalize) normalize = &step;
    if (normalize) {
        auto perChannel = [&](const std::vector<float>& v) {
            auto t = torch::empty({1, channels, 1, 1});
            for (int64_t c = 0; c < channels; ++c)
                t[0][c][0][0] = v.size() == 1 ? v[0] : v.at(static_cast<size_t>(c));
            return t;
        };
        const int mean = g->constant(perChannel(normalize->mean), "norm_mean");
        const int std = g->constant(perChannel(normalize->std), "norm_std");
        GraphNode sub;
        sub.op = OpKind::Sub;
        sub.inputs = {x, mean};
        sub.channels = channels;
        x = g->addNode(sub);
        GraphNode div;
        div.name = "normalized";
        div.op = OpKind::Div;
        div.inputs = {x, std};
        div.channels = channels;
        x = g->addNode(div);
    }
    g->setOutput(x);
    g->finalize();
    return g;
}

torch::Tensor generatorInput(const torch::Tensor& z, const torch::Tensor& y, int64_t numClasses) {
    // A plain one-hot: the class then starts weak against the whole latent code, and the generator learns to
    // follow it as far as the other terms allow. Scaled up to the code's strength it is followed at once, but
    // every class collapses to a template far from the teacher's statistics, and the student learns nothing
    // that holds on real images (docs/METHODS.md §1.7d).
    return torch::cat({z, F::one_hot(y, numClasses).to(z.scalar_type())}, 1);
}

LatentDraw drawLatent(int64_t batch, int64_t latent, int64_t numClasses, uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    LatentDraw d;
    d.z = at::randn({batch, latent}, gen, torch::TensorOptions().dtype(torch::kFloat32));
    d.labels = at::randint(numClasses, {batch}, gen, torch::TensorOptions().dtype(torch::kInt64));
    return d;
}

BatchStatsProbe::BatchStatsProbe(GraphNet net) : mNet(std::move(net)) {
    for (size_t i = 0; i < mNet->nodes().size(); ++i) {
        const GraphNode& n = mNet->nodes()[i];
        if (n.op != OpKind::BatchNorm) continue;
        if (n.folded)
            throw Error("batch statistics: batch norm " + n.name + " is folded into its convolution");
        mNames.emplace_back(mNet->bnModule(static_cast<int>(i)).get(), n.name);
    }
    mNet->setBatchNormOverride([this](torch::nn::BatchNorm2dImpl& bn, const torch::Tensor& x) {
        std::vector<int64_t> dims;
        for (int64_t d = 0; d < x.dim(); ++d)
            if (d != 1) dims.push_back(d);
        const auto xf = x.to(torch::kFloat32);
        BatchStats s;
        for (const auto& [module, name] : mNames)
            if (module == &bn) s.layer = name;
        s.mean = xf.mean(dims);
        s.var = (xf - s.mean.view({1, -1, 1, 1}).expand_as(xf)).pow(2).mean(dims);
        s.runningMean = bn.running_mean.detach().to(torch::kFloat32);
        s.runningVar = bn.running_var.detach().to(torch::kFloat32);
        mStats.push_back(s);
        return F::batch_norm(
            x, bn.running_mean, bn.running_var,
            F::BatchNormFuncOptions().weight(bn.weight).bias(bn.bias).training(false).eps(bn.options.eps()));
    });
    mNet->train();
}

BatchStatsProbe::~BatchStatsProbe() {
    mNet->setBatchNormOverride({});
    mNet->eval();
}

std::vector<BatchStats> BatchStatsProbe::take() {
    std::vector<BatchStats> out;
    out.swap(mStats);
    return out;
}

torch::Tensor batchStatsLoss(const std::vector<BatchStats>& stats) {
    if (stats.empty()) throw Error("batch statistics: the teacher has no batch norm");
    torch::Tensor total;
    for (const auto& s : stats) {
        auto term = (s.mean - s.runningMean).norm(2) + (s.var - s.runningVar).norm(2);
        total = total.defined() ? total + term : term;
    }
    return total;
}

std::vector<StatsGap> batchStatsGaps(const std::vector<BatchStats>& stats) {
    std::vector<StatsGap> out;
    torch::NoGradGuard noGrad;
    for (const auto& s : stats) {
        const auto var = s.var.detach().to(torch::kFloat64) + 1e-5;
        const auto rv = s.runningVar.to(torch::kFloat64) + 1e-5;
        StatsGap g;
        g.layer = s.layer;
        g.mean = ((s.mean.detach().to(torch::kFloat64) - s.runningMean.to(torch::kFloat64)).abs() / rv.sqrt())
                     .mean()
                     .item<double>();
        g.logVar = (var / rv).log().abs().mean().item<double>();
        out.push_back(g);
    }
    return out;
}

// ---- a finished run's generator ---------------------------------------------------------------------------

namespace {
/** What generating images needs from a data-free run folder, loaded once for any number of draws. */
struct DataFreeRun {
    std::string dir;
    Recipe recipe;
    torch::Device device{torch::kCPU};
    CheckpointMeta meta;
    GraphNet student{nullptr}, teacher{nullptr};
};

/** Checks the request (`perClass` images of every class) before anything is loaded. */
DataFreeRun loadDataFreeRun(const std::string& runDir, int perClass) {
    if (perClass < 1)
        throw Error("generate: expected at least 1 image per class, got " + std::to_string(perClass));
    DataFreeRun run;
    run.dir = runDir;
    run.recipe = loadRunRecipe(runDir);
    if (!run.recipe.dataFree.enabled)
        throw Error(runDir + " is not a data-free run (its recipe has no data_free section)");
    run.device = chooseDevice(run.recipe.device);
    run.student = loadModel(resolveCheckpoint(runDir, CheckpointChoice::Last), &run.meta, run.device);
    const CheckpointMeta& meta = run.meta;
    run.teacher = loadTeacher(run.recipe.teacher, meta.task, meta.inChannels, meta.numClasses, meta.inputH,
                              meta.inputW, run.device);
    return run;
}

GeneratedImages generateFrom(DataFreeRun& run, int perClass, uint64_t seed, bool initial) {
    const std::string& runDir = run.dir;
    const Recipe& recipe = run.recipe;
    const auto& device = run.device;
    const CheckpointMeta& meta = run.meta;
    GraphNet& student = run.student;
    GraphNet& teacher = run.teacher;
    torch::manual_seed(recipe.seed + 2000);  // as the run initialised it
    GraphNet generator = buildGenerator(recipe.dataFree, meta.numClasses, meta.inChannels, meta.inputH,
                                        meta.inputW, recipe.evalTransforms);
    if (!initial) {
        const std::string file = RunPaths{runDir}.checkpoint("generator");
        if (!fs::is_regular_file(file))
            throw Error(runDir + " has no generator checkpoint yet (" + file +
                        "; it is written with the run's checkpoints)");
        loadCheckpoint(file, generator, nullptr, nullptr);
    }
    generator->to(device);
    // The images as training made them: the generator's batch norms on the batch's own statistics.
    generator->train();

    const int64_t k = meta.numClasses;
    const int64_t n = k * perClass;
    LatentDraw draw = drawLatent(n, recipe.dataFree.latent, k, seed);
    draw.labels = torch::arange(k, torch::kInt64).repeat_interleave(perClass);
    torch::NoGradGuard noGrad;
    auto out = generator->run(generatorInput(draw.z, draw.labels, k).to(device), {"pixels"});
    GeneratedImages result;
    result.classNames = meta.classNames;
    torch::Tensor teacherLogits;
    {
        BatchStatsProbe probe(teacher);
        teacherLogits = teacher->forward(out.output);
        for (const auto& g : batchStatsGaps(probe.take()))
            result.layers.push_back({g.layer, g.mean, g.logVar});
    }
    const auto studentLogits = student->forward(out.output);
    const auto tLabels = teacherLogits.argmax(1).to(torch::kCPU);
    const auto sLabels = studentLogits.argmax(1).to(torch::kCPU);
    result.teacherAgreement = tLabels.eq(draw.labels).to(torch::kFloat64).mean().item<double>();
    result.studentAgreement = sLabels.eq(tLabels).to(torch::kFloat64).mean().item<double>();
    for (const auto& l : result.layers) {
        result.meanGap += l.mean / static_cast<double>(result.layers.size());
        result.logVarGap += l.logVar / static_cast<double>(result.layers.size());
    }
    const auto pixels = out.taps.at("pixels").to(torch::kCPU, torch::kFloat32).contiguous();
    for (int64_t i = 0; i < n; ++i) {
        Sample s;
        s.label = draw.labels[i].item<int64_t>();
        s.image.channels = static_cast<int>(pixels.size(1));
        s.image.height = static_cast<int>(pixels.size(2));
        s.image.width = static_cast<int>(pixels.size(3));
        const float* p = pixels[i].data_ptr<float>();
        s.image.data.assign(p, p + pixels[i].numel());
        result.samples.push_back(std::move(s));
        result.teacherLabels.push_back(tLabels[i].item<int64_t>());
        result.studentLabels.push_back(sLabels[i].item<int64_t>());
    }
    return result;
}
}  // namespace

GeneratedImages generateImages(const std::string& runDir, int perClass, uint64_t seed, bool initial) {
    DataFreeRun run = loadDataFreeRun(runDir, perClass);
    return generateFrom(run, perClass, seed, initial);
}

GeneratedImagesBeforeAfter generateImagesBeforeAfter(const std::string& runDir, int perClass, uint64_t seed) {
    DataFreeRun run = loadDataFreeRun(runDir, perClass);
    GeneratedImagesBeforeAfter both;
    both.trained = generateFrom(run, perClass, seed, false);
    both.initial = generateFrom(run, perClass, seed, true);
    return both;
}

void writeGeneratedGrid(const GeneratedImages& images, const std::string& pngPath, int scale) {
    if (images.samples.empty()) throw Error("generate: no images to write to " + pngPath);
    const int h = images.samples[0].image.height * scale, w = images.samples[0].image.width * scale;
    const int c = images.samples[0].image.channels;
    int64_t classes = 0;
    for (const auto& s : images.samples)
        classes = std::max<int64_t>(classes, s.label + 1);
    const int64_t perClass = static_cast<int64_t>(images.samples.size()) / std::max<int64_t>(1, classes);
    const int gap = 2;
    cv::Mat canvas(static_cast<int>(classes) * (h + gap) + gap, static_cast<int>(perClass) * (w + gap) + gap,
                   CV_8UC3, cv::Scalar(40, 40, 40));
    std::vector<int64_t> column(static_cast<size_t>(classes), 0);
    for (const auto& s : images.samples) {
        cv::Mat tile(s.image.height, s.image.width, CV_8UC3);
        for (int y = 0; y < s.image.height; ++y)
            for (int x = 0; x < s.image.width; ++x)
                for (int ch = 0; ch < 3; ++ch) {
                    const float v = s.image.at(c == 3 ? 2 - ch : 0, y, x);  // RGB planes → BGR
                    tile.at<cv::Vec3b>(y, x)[ch] =
                        static_cast<uint8_t>(std::lround(std::clamp(v, 0.f, 1.f) * 255.f));
                }
        cv::resize(tile, tile, cv::Size(w, h), 0, 0, cv::INTER_NEAREST);
        const int64_t col = column[static_cast<size_t>(s.label)]++;
        tile.copyTo(canvas(cv::Rect(gap + static_cast<int>(col) * (w + gap),
                                    gap + static_cast<int>(s.label) * (h + gap), w, h)));
    }
    std::vector<uint8_t> png;
    if (!cv::imencode(".png", canvas, png)) throw Error("cannot encode " + pngPath + " as PNG");
    writeFileAtomically(pngPath, std::string(png.begin(), png.end()));
}

}  // namespace distillery
