#include <QtTest/QtTest>
#include <tuple>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <sstream>

#include "core/format.h"
#include "core/recipe.h"
#include "core/teacher_cache.h"
#include "tests/core/suites.h"

using namespace distillery;

namespace {

// Every field, none at its default, so that a field the parser forgets shows up as a difference.
const char* kFullRecipe = R"(name: fmnist_cwd
job: distill
seed: 7
threads: 3
device: cpu
precision: bf16
data:
  dataset: fashion_scenes
  root: ../data/fmnist
  val_root: /abs/val
  subset: 500
  workers: 4
  canvas: 96
  min_items: 1
  max_items: 5
  min_scale: 0.5
  max_scale: 2.5
  train_scenes: 300
  val_scenes: 50
  scene_seed: 9
  image_size: 48
  image_channels: 1
  val_fraction: 0.25
  num_classes: 11
  class_names: [background, shirt, "a: b"]
transforms:
  train: [ {random_crop: {size: 28, padding: 2}}, {hflip: 0.25}, {normalize: {mean: [0.286], std: [0.353]}} ]
  eval:
    - {resize: {height: 30, width: 40}}
    - {resize: 32}
    - {normalize: {mean: [0.5, 0.4, 0.3], std: [0.2, 0.25, 0.3]}}
model:
  arch: resnet8
  head: psp
  width: 0.5
teacher:
  arch: resnet20
  head: deeplabv3
  width: 1.5
  checkpoint: ../teachers/fmnist_resnet20
  precision: bf16
losses:
  - {method: task, weight: 0.1}
  - {method: kd, weight: 0.9, tau: 3}
  - {method: cwd, teacher_tap: stage3, student_tap: stage2, weight: 50, tau: 4}
  - {method: pair_kd, tap: stage3, weight: 1, pool: 4}
  - {method: fitnet, tap: stage2, weight: 2}
  - {method: at, tap: stage1, weight: 500}
  - {method: pixel_kd, weight: 10}
optim: {name: adamw, lr: 0.001, momentum: 0.8, nesterov: false, weight_decay: 0.01, betas: [0.8, 0.99], eps: 1e-6}
schedule: {name: step, warmup_epochs: 0.5, milestones: [2, 4], gamma: 0.5, min_lr: 0.0001}
train: {epochs: 6, batch_size: 64, eval_batch_size: 100, max_steps: 40, log_every: 5, sync_bn: true}
diagnostics: {every: 25, dominant: 0.8, negligible: 0.05, target_share: 0.3}
)";

// The smallest valid distill recipe; error cases change one thing in it.
const char* kDistillHead = R"(name: x
job: distill
model: {arch: resnet8}
teacher: {arch: resnet20, checkpoint: /t}
)";

QString q(const std::string& s) {
    return QString::fromStdString(s);
}

LossTermSpec term(const std::string& method, const std::string& teacherTap, const std::string& studentTap,
                  double weight, double tau, bool hasTau, int pool = 2) {
    LossTermSpec t;
    t.method = methodFrom(method, "method");
    t.teacherTap = teacherTap;
    t.studentTap = studentTap;
    t.weight = weight;
    t.tau = tau;
    t.hasTau = hasTau;
    t.poolSize = pool;
    return t;
}

TransformStep step(TransformStep::Kind kind) {
    TransformStep s;
    s.kind = kind;
    return s;
}

/** The recipe kFullRecipe describes when parsed with base folder /base/recipes. */
Recipe fullExpected() {
    Recipe r;
    r.name = "fmnist_cwd";
    r.job = JobKind::Distill;
    r.seed = 7;
    r.threads = 3;
    r.device = "cpu";
    r.precision = "bf16";
    DataConfig& d = r.data;
    d.dataset = "fashion_scenes";
    d.root = "/base/data/fmnist";
    d.valRoot = "/abs/val";
    d.subset = 500;
    d.workers = 4;
    d.canvas = 96;
    d.minItems = 1;
    d.maxItems = 5;
    d.minScale = 0.5;
    d.maxScale = 2.5;
    d.trainScenes = 300;
    d.valScenes = 50;
    d.sceneSeed = 9;
    d.imageSize = 48;
    d.imageChannels = 1;
    d.valFraction = 0.25;
    d.numClasses = 11;
    d.classNames = {"background", "shirt", "a: b"};
    TransformStep crop = step(TransformStep::Kind::RandomCrop);
    crop.size = 28;
    crop.padding = 2;
    TransformStep flip = step(TransformStep::Kind::HFlip);
    flip.probability = 0.25;
    TransformStep norm = step(TransformStep::Kind::Normalize);
    norm.mean = {0.286f};
    norm.std = {0.353f};
    r.trainTransforms = {crop, flip, norm};
    TransformStep resizeHw = step(TransformStep::Kind::Resize);
    resizeHw.height = 30;
    resizeHw.width = 40;
    TransformStep resize = step(TransformStep::Kind::Resize);
    resize.size = 32;
    TransformStep norm3 = step(TransformStep::Kind::Normalize);
    norm3.mean = {0.5f, 0.4f, 0.3f};
    norm3.std = {0.2f, 0.25f, 0.3f};
    r.evalTransforms = {resizeHw, resize, norm3};
    r.student = {"resnet8", "psp", 0.5, {}};
    r.teacher.model = {"resnet20", "deeplabv3", 1.5, {}};
    r.teacher.checkpoint = "/base/teachers/fmnist_resnet20";
    r.teacher.precision = "bf16";
    r.losses = {term("task", "", "", 0.1, 1, false),
                term("kd", "logits", "logits", 0.9, 3, true),
                term("cwd", "stage3", "stage2", 50, 4, true),
                term("pair_kd", "stage3", "stage3", 1, 1, false, 4),
                term("fitnet", "stage2", "stage2", 2, 1, false),
                term("at", "stage1", "stage1", 500, 1, false),
                term("pixel_kd", "logits", "logits", 10, 1, false)};
    r.diagnostics = {25, 0.8, 0.05, 0.3};
    r.optim.name = "adamw";
    r.optim.lr = 0.001;
    r.optim.momentum = 0.8;
    r.optim.nesterov = false;
    r.optim.weightDecay = 0.01;
    r.optim.beta1 = 0.8;
    r.optim.beta2 = 0.99;
    r.optim.eps = 1e-6;
    r.schedule.name = "step";
    r.schedule.warmupEpochs = 0.5;
    r.schedule.milestones = {2, 4};
    r.schedule.gamma = 0.5;
    r.schedule.minLr = 0.0001;
    r.epochs = 6;
    r.batchSize = 64;
    r.evalBatchSize = 100;
    r.maxSteps = 40;
    r.logEvery = 5;
    r.syncBn = true;
    return r;
}

/** Field-by-field comparison with exact equality (sourcePath and baseDir excluded); returns the differences.
 */
class Differences {
public:
    template <typename T>
    void field(const std::string& name, const T& a, const T& b) {
        if (a == b) return;
        std::ostringstream s;
        s << name << ": " << a << " != " << b;
        mLines.push_back(s.str());
    }
    template <typename T>
    void list(const std::string& name, const std::vector<T>& a, const std::vector<T>& b) {
        field(name + ".size", a.size(), b.size());
        for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
            field(name + "[" + std::to_string(i) + "]", a[i], b[i]);
    }
    QString text() const {
        QStringList lines;
        for (const auto& line : mLines)
            lines << q(line);
        return lines.join("; ");
    }
    bool empty() const { return mLines.empty(); }

private:
    std::vector<std::string> mLines;
};

void compareModel(Differences& d, const std::string& name, const ModelSpec& a, const ModelSpec& b) {
    d.field(name + ".arch", a.arch, b.arch);
    d.field(name + ".head", a.head, b.head);
    d.field(name + ".width", a.width, b.width);
}

void compareSteps(Differences& d, const std::string& name, const std::vector<TransformStep>& a,
                  const std::vector<TransformStep>& b) {
    d.field(name + ".size", a.size(), b.size());
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
        const std::string n = name + "[" + std::to_string(i) + "]";
        d.field(n + ".kind", static_cast<int>(a[i].kind), static_cast<int>(b[i].kind));
        d.list(n + ".mean", a[i].mean, b[i].mean);
        d.list(n + ".std", a[i].std, b[i].std);
        d.field(n + ".size", a[i].size, b[i].size);
        d.field(n + ".height", a[i].height, b[i].height);
        d.field(n + ".width", a[i].width, b[i].width);
        d.field(n + ".padding", a[i].padding, b[i].padding);
        d.field(n + ".probability", a[i].probability, b[i].probability);
    }
}

QString differences(const Recipe& a, const Recipe& b) {
    Differences d;
    d.field("name", a.name, b.name);
    d.field("job", std::string(jobName(a.job)), std::string(jobName(b.job)));
    d.field("seed", a.seed, b.seed);
    d.field("threads", a.threads, b.threads);
    d.field("device", a.device, b.device);
    d.field("precision", a.precision, b.precision);
    const DataConfig &x = a.data, &y = b.data;
    d.field("data.dataset", x.dataset, y.dataset);
    d.field("data.root", x.root, y.root);
    d.field("data.valRoot", x.valRoot, y.valRoot);
    d.field("data.subset", x.subset, y.subset);
    d.field("data.workers", x.workers, y.workers);
    d.field("data.canvas", x.canvas, y.canvas);
    d.field("data.minItems", x.minItems, y.minItems);
    d.field("data.maxItems", x.maxItems, y.maxItems);
    d.field("data.minScale", x.minScale, y.minScale);
    d.field("data.maxScale", x.maxScale, y.maxScale);
    d.field("data.trainScenes", x.trainScenes, y.trainScenes);
    d.field("data.valScenes", x.valScenes, y.valScenes);
    d.field("data.sceneSeed", x.sceneSeed, y.sceneSeed);
    d.field("data.imageSize", x.imageSize, y.imageSize);
    d.field("data.imageChannels", x.imageChannels, y.imageChannels);
    d.field("data.valFraction", x.valFraction, y.valFraction);
    d.field("data.numClasses", x.numClasses, y.numClasses);
    d.list("data.classNames", x.classNames, y.classNames);
    compareSteps(d, "trainTransforms", a.trainTransforms, b.trainTransforms);
    compareSteps(d, "evalTransforms", a.evalTransforms, b.evalTransforms);
    compareModel(d, "student", a.student, b.student);
    compareModel(d, "teacher", a.teacher.model, b.teacher.model);
    d.field("teacher.checkpoint", a.teacher.checkpoint, b.teacher.checkpoint);
    d.field("teacher.precision", a.teacher.precision, b.teacher.precision);
    d.field("losses.size", a.losses.size(), b.losses.size());
    for (size_t i = 0; i < std::min(a.losses.size(), b.losses.size()); ++i) {
        const LossTermSpec &s = a.losses[i], &t = b.losses[i];
        const std::string n = "losses[" + std::to_string(i) + "]";
        d.field(n + ".method", std::string(methodName(s.method)), std::string(methodName(t.method)));
        d.field(n + ".teacherTap", s.teacherTap, t.teacherTap);
        d.field(n + ".studentTap", s.studentTap, t.studentTap);
        d.list(n + ".teacherTaps", s.teacherTaps, t.teacherTaps);
        d.list(n + ".studentTaps", s.studentTaps, t.studentTaps);
        d.field(n + ".weight", s.weight, t.weight);
        d.field(n + ".tau", s.tau, t.tau);
        d.field(n + ".poolSize", s.poolSize, t.poolSize);
        d.field(n + ".hasTau", s.hasTau, t.hasTau);
        d.field(n + ".params.size", s.params.size(), t.params.size());
        for (const auto& [key, value] : s.params)
            d.field(n + ".params." + key, value, t.params.count(key) ? t.params.at(key) : std::nan(""));
    }
    d.field("optim.name", a.optim.name, b.optim.name);
    d.field("optim.lr", a.optim.lr, b.optim.lr);
    d.field("optim.momentum", a.optim.momentum, b.optim.momentum);
    d.field("optim.nesterov", a.optim.nesterov, b.optim.nesterov);
    d.field("optim.weightDecay", a.optim.weightDecay, b.optim.weightDecay);
    d.field("optim.beta1", a.optim.beta1, b.optim.beta1);
    d.field("optim.beta2", a.optim.beta2, b.optim.beta2);
    d.field("optim.eps", a.optim.eps, b.optim.eps);
    d.field("schedule.name", a.schedule.name, b.schedule.name);
    d.field("schedule.warmupEpochs", a.schedule.warmupEpochs, b.schedule.warmupEpochs);
    d.list("schedule.milestones", a.schedule.milestones, b.schedule.milestones);
    d.field("schedule.gamma", a.schedule.gamma, b.schedule.gamma);
    d.field("schedule.minLr", a.schedule.minLr, b.schedule.minLr);
    d.field("epochs", a.epochs, b.epochs);
    d.field("batchSize", a.batchSize, b.batchSize);
    d.field("evalBatchSize", a.evalBatchSize, b.evalBatchSize);
    d.field("maxSteps", a.maxSteps, b.maxSteps);
    d.field("logEvery", a.logEvery, b.logEvery);
    d.field("checkpointEverySteps", a.checkpointEverySteps, b.checkpointEverySteps);
    d.field("checkpointEverySeconds", a.checkpointEverySeconds, b.checkpointEverySeconds);
    d.field("syncBn", a.syncBn, b.syncBn);
    d.field("quant.enabled", a.quant.enabled, b.quant.enabled);
    d.field("quant.from", a.quant.from, b.quant.from);
    d.field("quant.observer", a.quant.observer, b.quant.observer);
    d.field("quant.percentile", a.quant.percentile, b.quant.percentile);
    d.field("quant.calibrationBatches", a.quant.calibrationBatches, b.quant.calibrationBatches);
    d.field("quant.weightBits", a.quant.weightBits, b.quant.weightBits);
    d.field("quant.layerBits.size", a.quant.layerBits.size(), b.quant.layerBits.size());
    for (const auto& [name, bits] : a.quant.layerBits)
        d.field("quant.layerBits." + name, bits,
                b.quant.layerBits.count(name) ? b.quant.layerBits.at(name) : -1);
    d.field("quant.lsq", a.quant.lsq, b.quant.lsq);
    d.field("quant.teacher", a.quant.teacher, b.quant.teacher);
    d.field("quant.budget", a.quant.budget, b.quant.budget);
    d.field("diagnostics.every", a.diagnostics.every, b.diagnostics.every);
    d.field("diagnostics.dominant", a.diagnostics.dominant, b.diagnostics.dominant);
    d.field("diagnostics.negligible", a.diagnostics.negligible, b.diagnostics.negligible);
    d.field("diagnostics.targetShare", a.diagnostics.targetShare, b.diagnostics.targetShare);
    return d.text();
}

using tests::errorOf;

QString parseError(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return errorOf([&] { parseRecipe(text, "recipes/x.yaml", "/base/recipes", overrides); });
}

void writeFile(const std::string& path, const std::string& text) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path) << text;
}

}  // namespace

class RecipeTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesEveryField() {
        const Recipe r = parseRecipe(kFullRecipe, "recipes/full.yaml", "/base/recipes");
        QCOMPARE(differences(r, fullExpected()), QString());
        QCOMPARE(q(r.sourcePath), QString("recipes/full.yaml"));
        QCOMPARE(q(r.baseDir), QString("/base/recipes"));
        // Spot checks in plain sight, in case the expected recipe and the parser share a mistake.
        QCOMPARE(r.losses.size(), size_t(7));
        QCOMPARE(q(r.losses[2].label()), QString("cwd[stage3/stage2]"));
        QCOMPARE(r.trainTransforms[2].mean.at(0), 0.286f);
        QCOMPARE(r.optim.eps, 1e-6);
        QVERIFY(r.syncBn);
        QVERIFY(!parseRecipe("model: {arch: resnet8}\n", "min.yaml", "/base").syncBn);  // per-rank by default
        QCOMPARE(parseError("model: {arch: resnet8}\ntrain: {sync_bn: sometimes}\n"),
                 QString("recipes/x.yaml:2: train.sync_bn: expected true or false, got 'sometimes'"));
    }

    void appliesDefaults() {
        const Recipe r = parseRecipe("model: {arch: resnet8}\n", "min.yaml", "/base");
        Recipe expected;
        expected.student.arch = "resnet8";
        expected.losses = {term("task", "", "", 1, 1, false)};
        QCOMPARE(differences(r, expected), QString());
        QCOMPARE(r.job, JobKind::Train);
        QCOMPARE(q(r.data.dataset), QString("fashion_mnist"));
        QCOMPARE(q(r.data.root), QString());  // empty root: the data set picks its own default
        QVERIFY(r.trainTransforms.empty());
        QCOMPARE(q(r.teacher.checkpoint), QString());

        // Per-method defaults: taps for kd/pixel_kd, tau, pool; hasTau only when tau is written.
        const Recipe d =
            parseRecipe(std::string(kDistillHead) +
                            "losses: [{method: kd}, {method: pixel_kd}, {method: cwd, tap: logits},"
                            " {method: pair_kd, tap: stage3}, {method: cwd, tap: stage3, tau: 1}]\n",
                        "d.yaml", "/base");
        QCOMPARE(d.losses.size(), size_t(5));
        QCOMPARE(q(d.losses[0].teacherTap), QString("logits"));
        QCOMPARE(q(d.losses[0].studentTap), QString("logits"));
        QCOMPARE(d.losses[0].tau, 4.0);
        QVERIFY(!d.losses[0].hasTau);
        QCOMPARE(d.losses[1].tau, 1.0);
        QCOMPARE(q(d.losses[1].studentTap), QString("logits"));
        QCOMPARE(d.losses[2].tau, 4.0);
        QCOMPARE(d.losses[3].poolSize, 2);
        QCOMPARE(d.losses[4].tau, 1.0);
        QVERIFY(d.losses[4].hasTau);
        QCOMPARE(d.losses[0].weight, 1.0);

        // Method parameters: given ones are kept (and written back), the others take the papers' defaults.
        const Recipe m = parseRecipe(std::string(kDistillHead) +
                                         "losses: [{method: dkd, alpha: 2, warmup_epochs: 1.5},"
                                         " {method: rkd, tap: prelogits}, {method: dist, gamma: 3}]\n",
                                     "m.yaml", "/base");
        QCOMPARE(m.losses[0].param("alpha"), 2.0);
        QCOMPARE(m.losses[0].param("beta"), 8.0);
        QCOMPARE(m.losses[0].param("warmup_epochs"), 1.5);
        QCOMPARE(m.losses[0].tau, 4.0);
        QCOMPARE(q(m.losses[0].teacherTap), QString("logits"));
        QCOMPARE(m.losses[1].param("distance"), 25.0);
        QCOMPARE(m.losses[1].param("angle"), 50.0);
        QCOMPARE(m.losses[2].param("beta"), 1.0);
        QCOMPARE(m.losses[2].param("gamma"), 3.0);
        const Recipe back = parseRecipe(recipeToYaml(m), "back.yaml", "/base");
        QCOMPARE(differences(back, m), QString());

        // Tap lists (fsp, reviewkd): tap: sets both sides, teacher_tap/student_tap may differ; the first
        // entries are the term's teacherTap/studentTap; lists read back as written.
        const Recipe lists =
            parseRecipe(std::string(kDistillHead) +
                            "losses: [{method: fsp, tap: [stem, stage1, stage2], weight: 50},"
                            " {method: reviewkd, teacher_tap: [stage2, stage3, prelogits],"
                            " student_tap: [s2, s3, e], warmup_epochs: 2},"
                            " {method: reviewkd, tap: stage3}]\n",
                        "l.yaml", "/base");
        QVERIFY((lists.losses[0].teacherTaps == std::vector<std::string>{"stem", "stage1", "stage2"}));
        QVERIFY(lists.losses[0].studentTaps == lists.losses[0].teacherTaps);
        QCOMPARE(q(lists.losses[0].teacherTap), QString("stem"));
        QCOMPARE(q(lists.losses[0].label()), QString("fsp[stem,stage1,stage2]"));
        QVERIFY((lists.losses[1].allStudentTaps() == std::vector<std::string>{"s2", "s3", "e"}));
        QCOMPARE(q(lists.losses[1].studentTap), QString("s2"));
        QCOMPARE(q(lists.losses[1].label()), QString("reviewkd[stage2,stage3,prelogits/s2,s3,e]"));
        QCOMPARE(lists.losses[1].param("warmup_epochs"), 2.0);
        QCOMPARE(lists.losses[1].param("mid_channels"), 512.0);
        QVERIFY((lists.losses[2].allTeacherTaps() == std::vector<std::string>{"stage3"}));
        QCOMPARE(differences(parseRecipe(recipeToYaml(lists), "back.yaml", "/x"), lists), QString());
        QVERIFY((m.losses[1].allTeacherTaps() == std::vector<std::string>{"prelogits"}));
        QVERIFY(m.losses[1].teacherTaps.empty());  // single-tap methods keep no list
    }

    void parsesShorthands() {
        const Recipe r = parseRecipe(
            "model: {arch: resnet8}\ntransforms:\n  train: [{random_crop: 24}, {normalize: {mean: 0.5, std: "
            "0.25}}]\n"
            "  eval:\n",
            "s.yaml", "/base");
        QCOMPARE(r.trainTransforms.size(), size_t(2));
        QCOMPARE(r.trainTransforms[0].size, 24);
        QCOMPARE(r.trainTransforms[0].padding, 0);
        QCOMPARE(r.trainTransforms[1].mean, std::vector<float>{0.5f});
        QCOMPARE(r.trainTransforms[1].std, std::vector<float>{0.25f});
        QVERIFY(r.evalTransforms.empty());
        // An empty document is the all-default recipe but for the required model.
        QCOMPARE(parseError(""),
                 QString("recipes/x.yaml:1: model: required (expected a map with arch, e.g. {arch: "
                         "resnet8}, or an ONNX file, {onnx: net.onnx})"));
        const Recipe flags =
            parseRecipe("model: {arch: a, head: }\noptim: {nesterov: no, momentum: 0}\n", "f.yaml", "/");
        QVERIFY(!flags.optim.nesterov);
        QCOMPARE(q(flags.student.head), QString());
    }

    void labelsTerms() {
        QCOMPARE(q(term("task", "", "", 1, 1, false).label()), QString("task"));
        QCOMPARE(q(term("kd", "logits", "logits", 1, 4, false).label()), QString("kd[logits]"));
        QCOMPARE(q(term("cwd", "stage3", "stage3", 1, 4, false).label()), QString("cwd[stage3]"));
        QCOMPARE(q(term("fitnet", "stage3", "stage2", 1, 1, false).label()),
                 QString("fitnet[stage3/stage2]"));
        const std::vector<std::string> expected{
            "task", "kd",   "fitnet", "at",  "pixel_kd", "pair_kd",  "cwd", "sp", "cc",  "rkd", "pkt", "nst",
            "dkd",  "dist", "vid",    "crd", "fsp",      "reviewkd", "ab",  "ft", "fgd", "idd", "dml"};
        QVERIFY(lossMethodNames() == expected);
    }

    void countsAndQuotedTextAreFormattedOnce() {
        // One rule for the CLI and the workbench (core/format.h); rounding happens before the unit is chosen.
        QCOMPARE(countText(950), std::string("950"));
        QCOMPARE(countText(4500), std::string("4.5K"));
        QCOMPARE(countText(9960), std::string("10K"));
        QCOMPARE(countText(272186), std::string("272K"));
        QCOMPARE(countText(999700), std::string("1.0M"));  // not "1000K"
        QCOMPARE(countText(31021952), std::string("31.0M"));
        QCOMPARE(countText(999960000), std::string("1.0G"));
        QCOMPARE(countText(2400000000LL), std::string("2.4G"));
        QCOMPARE(countText(-4500), std::string("-4.5K"));
        // Sizes in binary units, and the sizes users write (DISTILLERY_TEACHER_CACHE_SIZE).
        QCOMPARE(bytesText(512), std::string("512 B"));
        QCOMPARE(bytesText(1536), std::string("1.5 KiB"));
        QCOMPARE(bytesText(786432000), std::string("750 MiB"));
        QCOMPARE(bytesText(int64_t{3} << 30), std::string("3.0 GiB"));
        QCOMPARE(parseByteSize("20G"), int64_t{20} << 30);
        QCOMPARE(parseByteSize("1.5G"), int64_t{3} << 29);
        QCOMPARE(parseByteSize("500MiB"), int64_t{500} << 20);
        QCOMPARE(parseByteSize("64k"), int64_t{64} << 10);
        QCOMPARE(parseByteSize("12345"), int64_t{12345});
        QCOMPARE(parseByteSize("lots"), int64_t{-1});
        QCOMPARE(parseByteSize("-1G"), int64_t{-1});
        QCOMPARE(parseByteSize("5X"), int64_t{-1});
        // Bytes from files are escaped in messages; well-formed UTF-8 passes.
        QCOMPARE(printable("a\x07"
                           "b\n"),
                 std::string("a\\x07b\\x0a"));
        QCOMPARE(printable("\xff\xfe"), std::string("\\xff\\xfe"));
        QCOMPARE(printable("teacher \xe6\x95\x99\xe5\xb8\x88"),
                 std::string("teacher \xe6\x95\x99\xe5\xb8\x88"));
        QCOMPARE(printable(std::string(300, 'x'), 10), std::string(10, 'x') + "...");
    }

    void roundTripsThroughYaml() {
        const Recipe r = parseRecipe(kFullRecipe, "recipes/full.yaml", "/base/recipes");
        const std::string yaml = recipeToYaml(r);
        // A different base folder: every path must already be absolute in the YAML.
        const Recipe again = parseRecipe(yaml, "run/recipe.yaml", "/elsewhere");
        QCOMPARE(differences(again, r), QString());
        QCOMPARE(q(recipeToYaml(again)), q(yaml));
        QVERIFY(yaml.find("/base/teachers/fmnist_resnet20") != std::string::npos);

        const Recipe minimal = parseRecipe("model: {arch: resnet8}\n", "min.yaml", "/base");
        QCOMPARE(differences(parseRecipe(recipeToYaml(minimal), "rt.yaml", "/x"), minimal), QString());
        QCOMPARE(minimal.checkpointEverySeconds, 600.0);  // the default: every 10 minutes

        // The quantize section: every field reads back, the source path stays absolute, and a recipe without
        // the section reads back without it.
        const Recipe q =
            parseRecipe(std::string(kFullRecipe) +
                            "quantize:\n"
                            "  enabled: true\n"
                            "  from: ../runs/fp32\n"
                            "  observer: percentile\n"
                            "  percentile: 99.9\n"
                            "  calibration_batches: 3\n"
                            "  weight_bits: 6\n"
                            "  layer_bits: {stem.conv: 8, classifier: 4, \"layer1.0.1.conv\": 0}\n"
                            "  lsq: true\n"
                            "  teacher: self\n"
                            "  budget: size=40KB\n",
                        "recipes/q.yaml", "/base/recipes");
        QVERIFY(q.quant.enabled && q.quant.lsq);
        QCOMPARE(q.quant.from, std::string("/base/runs/fp32"));
        QCOMPARE(q.quant.layerBits.at("layer1.0.1.conv"), 0);
        const Recipe qBack = parseRecipe(recipeToYaml(q), "run/recipe.yaml", "/elsewhere");
        QCOMPARE(differences(qBack, q), QString());
        QVERIFY(recipeToYaml(minimal).find("quantize") == std::string::npos);
        QCOMPARE(minimal.checkpointEverySteps, int64_t{0});

        // checkpoint_every: steps, or a time in s / min / h, or 0; each reads back as written.
        const std::vector<std::tuple<std::string, int64_t, double>> every{
            {"500", 500, 0.0}, {"90s", 0, 90.0}, {"10min", 0, 600.0}, {"2h", 0, 7200.0}, {"0", 0, 0.0}};
        for (const auto& [text, steps, seconds] : every) {
            const Recipe c = parseRecipe("model: {arch: resnet8}\ntrain: {checkpoint_every: " + text + "}\n",
                                         "c.yaml", "/base");
            QCOMPARE(c.checkpointEverySteps, steps);
            QCOMPARE(c.checkpointEverySeconds, seconds);
            QCOMPARE(differences(parseRecipe(recipeToYaml(c), "rt.yaml", "/x"), c), QString());
        }
    }

    void roundTripsAwkwardValues() {
        // A recipe built in code (as the GUI does) with values that are easy to mangle in YAML.
        Recipe r;
        r.name = "null";
        r.seed = std::numeric_limits<uint64_t>::max();
        r.data.dataset = "image_folder";
        r.data.root = "/data/with space/#hash";
        r.data.classNames = {"yes", "~", "", "3", "a: b", "- dash"};
        r.data.minScale = 0.1 + 0.2;  // not exactly 0.3: needs all 17 digits
        r.data.maxScale = 1.0 / 3.0;
        r.data.valFraction = 1e-7;
        r.student.arch = "true";
        TransformStep norm = step(TransformStep::Kind::Normalize);
        norm.mean = {0.1f, 1.0f / 3.0f, 3.4028235e38f};
        norm.std = {1e-30f, 0.7f, 2.0f};
        r.evalTransforms = {norm};
        r.optim.lr = 5e-324;  // the smallest double
        r.optim.nesterov = false;
        r.schedule.minLr = 1e-300;
        r.maxSteps = std::numeric_limits<int64_t>::max();
        r.losses = {term("task", "", "", 0.3, 1, false)};
        const Recipe again = parseRecipe(recipeToYaml(r), "rt.yaml", "/x");
        QCOMPARE(differences(again, r), QString());
    }

    void appliesOverrides() {
        const Recipe r = parseRecipe(
            kFullRecipe, "recipes/full.yaml", "/base/recipes",
            {"train.epochs=3", "losses.1.weight=10", "model.arch=resnet20", "data.subset=0",
             "schedule.milestones=[1, 2, 3]", "losses.7={method: at, tap: stage2}",
             "transforms.train.1.hflip=1", "losses.2.tau = 2", "data.root=elsewhere", "data.class_names=[]"});
        QCOMPARE(r.epochs, 3);
        QCOMPARE(r.losses[1].weight, 10.0);
        QCOMPARE(q(r.student.arch), QString("resnet20"));
        QCOMPARE(r.data.subset, 0);
        QVERIFY(r.schedule.milestones == (std::vector<int>{1, 2, 3}));
        QCOMPARE(r.losses.size(), size_t(8));  // an index equal to the count appends
        QCOMPARE(q(r.losses[7].label()), QString("at[stage2]"));
        QCOMPARE(r.trainTransforms[1].probability, 1.0);
        QCOMPARE(r.losses[2].tau, 2.0);
        QCOMPARE(q(r.data.root), QString("/base/recipes/elsewhere"));  // resolves like the file's own paths
        QVERIFY(r.data.classNames.empty());
        // Sections the file lacks are created.
        const Recipe m =
            parseRecipe("model: {arch: resnet8}\n", "m.yaml", "/b", {"optim.lr=0.1", "train.epochs=2"});
        QCOMPARE(m.optim.lr, 0.1);
        QCOMPARE(m.epochs, 2);
    }

    void reportsBadOverrides_data() {
        QTest::addColumn<QString>("override");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown key")
            << "train.epochz=3"
            << "--set train.epochz=3: train.epochz: unknown key (allowed: epochs, batch_size, "
               "eval_batch_size, max_steps, log_every, checkpoint_every, sync_bn)";
        QTest::newRow("type") << "train.epochs=abc"
                              << "--set train.epochs=abc: train.epochs: expected an integer, got 'abc'";
        QTest::newRow("list type")
            << "model.arch=[1, 2]"
            << "--set model.arch=[1, 2]: model.arch: expected a string, got a sequence";
        QTest::newRow("negative")
            << "losses.1.weight=-1"
            << "--set losses.1.weight=-1: losses[1].weight: expected a number >= 0, got -1";
        QTest::newRow("index")
            << "losses.9.weight=1"
            << "--set losses.9.weight=1: losses[9]: index out of range (losses has 7 entries; an "
               "index equal to the count appends)";
        QTest::newRow("not a list") << "model.0=x"
                                    << "--set model.0=x: model.0: model is not a list, cannot index it";
        QTest::newRow("into a scalar") << "model.arch.x=1"
                                       << "--set model.arch.x=1: model.arch.x: model.arch is 'resnet8', not "
                                          "a map, so it has no field 'x'";
        QTest::newRow("no equals") << "train.epochs"
                                   << "--set train.epochs: train.epochs: expected dotted.key=value (e.g. "
                                      "train.epochs=3 or losses.1.weight=10)";
        QTest::newRow("bad yaml")
            << "model.arch=[x"
            << "--set model.arch=[x: model.arch: the value is not valid YAML: end of sequence "
               "flow not found";
        QTest::newRow("empty checkpoint")
            << "teacher.checkpoint="
            << "--set teacher.checkpoint=: teacher.checkpoint: required for job: distill "
               "(expected a run folder or checkpoint file)";
        QTest::newRow("distill term in train job") << "job=train"
                                                   << "recipes/x.yaml:44: losses[1].method: 'kd' is a "
                                                      "distillation term and needs job: distill (train jobs "
                                                      "allow only task)";
    }

    void reportsBadOverrides() {
        QFETCH(QString, override);
        QFETCH(QString, expected);
        const QString message = errorOf(
            [&] { parseRecipe(kFullRecipe, "recipes/x.yaml", "/base/recipes", {override.toStdString()}); });
        QCOMPARE(message, expected);
    }

    void resolvesRelativePaths() {
        const std::string dir = tests::scratchDir("recipe");
        const std::string path = dir + "/recipes/sub/../r.yaml";
        writeFile(dir + "/recipes/r.yaml",
                  std::string(kDistillHead) + "data: {root: ../data/./fm/, val_root: /abs/v/}\n");
        // The teacher line of kDistillHead is absolute; make it relative through an override.
        std::filesystem::create_directories(dir + "/recipes/sub");
        const Recipe r = loadRecipe(path, {"teacher.checkpoint=../teachers/t1"});
        QCOMPARE(q(r.data.root), q(dir + "/data/fm"));
        QCOMPARE(q(r.data.valRoot), QString("/abs/v"));
        QCOMPARE(q(r.teacher.checkpoint), q(dir + "/teachers/t1"));
        QCOMPARE(q(r.baseDir), q(dir + "/recipes"));
        QCOMPARE(q(r.sourcePath), q(path));

        const Recipe empty = loadRecipe(dir + "/recipes/r.yaml", {"data.root=", "data.val_root="});
        QCOMPARE(q(empty.data.root), QString());
        QCOMPARE(q(empty.data.valRoot), QString());

        // A relative recipe path resolves against the working folder, like any file name.
        const std::string cwd = std::filesystem::current_path().string();
        std::filesystem::current_path(dir);
        Recipe viaRelative;
        const QString relative = errorOf([&] { viaRelative = loadRecipe("recipes/r.yaml"); });
        std::filesystem::current_path(cwd);
        QVERIFY2(relative.isEmpty(), qPrintable(relative));
        QCOMPARE(q(viaRelative.data.root), q(dir + "/data/fm"));
        QCOMPARE(q(viaRelative.sourcePath), QString("recipes/r.yaml"));
    }

    void reportsErrors_data() {
        QTest::addColumn<QString>("yaml");
        QTest::addColumn<QString>("expected");
        const QString head = kDistillHead;  // four lines
        QTest::newRow("unknown method")
            << head + "losses:\n  - {method: task}\n  - {method: cwdd, tap: stage3}\n"
            << "recipes/x.yaml:7: losses[1].method: unknown method 'cwdd' (allowed: task, kd, fitnet, at, "
               "pixel_kd, pair_kd, cwd, sp, cc, rkd, pkt, nst, dkd, dist, vid, crd, fsp, reviewkd, ab, ft, "
               "fgd, idd, dml)";
        QTest::newRow("fsp with one tap")
            << head + "losses:\n  - {method: task}\n  - {method: fsp, tap: [stage3]}\n"
            << "recipes/x.yaml:7: losses[1].tap: fsp takes a list of at least 2 taps (e.g. [stage1, stage2, "
               "stage3])";
        QTest::newRow("tap lists of different lengths")
            << head +
                   "losses:\n  - {method: task}\n  - {method: reviewkd, teacher_tap: [stage2, stage3], "
                   "student_tap: [stage3]}\n"
            << "recipes/x.yaml:7: losses[1].student_tap: expected 2 student taps, one for each teacher tap, "
               "got 1";
        QTest::newRow("tap twice in a list")
            << head + "losses:\n  - {method: task}\n  - {method: fsp, tap: [stage2, stage3, stage2]}\n"
            << "recipes/x.yaml:7: losses[1].tap: tap 'stage2' appears twice";
        QTest::newRow("ft without its stage")
            << head + "losses:\n  - {method: task}\n  - {method: ft, tap: stage3, init_epochs: 0}\n"
            << "recipes/x.yaml:7: losses[1].init_epochs: expected a number >= 1 (epochs of the paraphraser's "
               "training on the teacher), got 0";
        QTest::newRow("init_epochs of a method without a stage")
            << head + "losses:\n  - {method: task}\n  - {method: cwd, tap: stage3, init_epochs: 2}\n"
            << "recipes/x.yaml:7: losses[1].init_epochs: not a parameter of cwd (it takes none besides "
               "weight "
               "and tau)";
        QTest::newRow("tap list for a one-tap method")
            << head + "losses:\n  - {method: task}\n  - {method: cwd, tap: [stage2, stage3]}\n"
            << "recipes/x.yaml:7: losses[1].tap: expected a string, got a sequence";
        QTest::newRow("list entry not a name")
            << head + "losses:\n  - {method: task}\n  - {method: fsp, tap: [stage2, {a: 1}]}\n"
            << "recipes/x.yaml:7: losses[1].tap[1]: expected a tap name, got a map";
        QTest::newRow("another method's parameter")
            << head + "losses:\n  - {method: task}\n  - {method: dist, beta: 2, angle: 3}\n"
            << "recipes/x.yaml:7: losses[1].angle: not a parameter of dist (its parameters: beta, gamma)";
        QTest::newRow("parameter of a method without any")
            << head + "losses:\n  - {method: task}\n  - {method: sp, tap: stage3, alpha: 1}\n"
            << "recipes/x.yaml:7: losses[1].alpha: not a parameter of sp (it takes none besides weight and "
               "tau)";
        QTest::newRow("negative parameter")
            << head + "losses:\n  - {method: task}\n  - {method: rkd, tap: prelogits, distance: -1}\n"
            << "recipes/x.yaml:7: losses[1].distance: expected a number >= 0 (weight of the distance-wise "
               "term), "
               "got -1";
        QTest::newRow("parameter above its range")
            << head + "losses:\n  - {method: task}\n  - {method: crd, tap: prelogits, momentum: 1.5}\n"
            << "recipes/x.yaml:7: losses[1].momentum: expected a number <= 1 (momentum of the memory bank's "
               "updates), got 1.5";
        QTest::newRow("fractional order")
            << head + "losses:\n  - {method: task}\n  - {method: cc, tap: prelogits, order: 1.5}\n"
            << "recipes/x.yaml:7: losses[1].order: expected a whole number (order of the kernel's Taylor "
               "expansion), got 1.5";
        QTest::newRow("unknown key")
            << "model: {arch: resnet8}\ntrain:\n  epochs: 3\n  batchsize: 64\n"
            << "recipes/x.yaml:4: train.batchsize: unknown key (allowed: epochs, batch_size, "
               "eval_batch_size, max_steps, log_every, checkpoint_every, sync_bn)";
        QTest::newRow("unknown top-level key")
            << "model: {arch: resnet8}\nloss: []\n"
            << "recipes/x.yaml:2: loss: unknown key (allowed: name, job, "
               "seed, threads, device, precision, data, transforms, "
               "model, teacher, losses, optim, schedule, train, quantize, diagnostics, data_free)";
        QTest::newRow("string expected") << "model:\n  arch: [resnet8]\n"
                                         << "recipes/x.yaml:2: model.arch: expected a string, got a sequence";
        QTest::newRow("integer expected")
            << "model: {arch: resnet8}\ntrain: {epochs: three}\n"
            << "recipes/x.yaml:2: train.epochs: expected an integer, got 'three'";
        QTest::newRow("integer, not fraction")
            << "model: {arch: resnet8}\ntrain: {epochs: 2.5}\n"
            << "recipes/x.yaml:2: train.epochs: expected an integer, got '2.5'";
        QTest::newRow("number expected") << "model: {arch: resnet8}\noptim:\n  lr: fast\n"
                                         << "recipes/x.yaml:3: optim.lr: expected a number, got 'fast'";
        QTest::newRow("map expected") << "model: resnet8\n"
                                      << "recipes/x.yaml:1: model: expected a map with arch, got 'resnet8'";
        QTest::newRow("bool expected")
            << "model: {arch: resnet8}\noptim: {nesterov: maybe}\n"
            << "recipes/x.yaml:2: optim.nesterov: expected true or false, got 'maybe'";
        QTest::newRow("missing teacher")
            << "name: x\njob: distill\nmodel: {arch: resnet8}\n"
            << "recipes/x.yaml:2: teacher: required for job: distill (expected a map "
               "with arch and checkpoint)";
        QTest::newRow("teacher without checkpoint")
            << "job: distill\nmodel: {arch: resnet8}\nteacher:\n  arch: resnet20\n"
            << "recipes/x.yaml:3: teacher.checkpoint: required for job: distill (expected a run folder or "
               "checkpoint "
               "file)";
        QTest::newRow("missing model")
            << "# comment\nname: x\n"
            << "recipes/x.yaml:2: model: required (expected a map with arch, e.g. {arch: "
               "resnet8}, or an ONNX file, {onnx: net.onnx})";
        QTest::newRow("distill term in train job")
            << "model: {arch: resnet8}\nlosses:\n  - {method: task}\n  - {method: kd, weight: 1}\n"
            << "recipes/x.yaml:4: losses[1].method: 'kd' is a distillation term and needs job: distill "
               "(train jobs "
               "allow only task)";
        QTest::newRow("checkpoint_every unit")
            << "model: {arch: resnet8}\ntrain: {checkpoint_every: 10days}\n"
            << "recipes/x.yaml:2: train.checkpoint_every: unknown unit 'days' (expected a number of steps "
               "such as "
               "500, a time such as 10min, 90s or 2h, or 0 for epoch ends only)";
        QTest::newRow("checkpoint_every text")
            << "model: {arch: resnet8}\ntrain: {checkpoint_every: often}\n"
            << "recipes/x.yaml:2: train.checkpoint_every: 'often' is not a count or a time (expected a "
               "number of "
               "steps such as 500, a time such as 10min, 90s or 2h, or 0 for epoch ends only)";
        QTest::newRow("negative weight")
            << head + "losses:\n  - method: task\n    weight: -1\n"
            << "recipes/x.yaml:7: losses[0].weight: expected a number >= 0, got -1";
        QTest::newRow("zero tau") << head + "losses: [{method: kd, tau: 0}]\n"
                                  << "recipes/x.yaml:5: losses[0].tau: expected a number > 0, got 0";
        QTest::newRow("task with a tap")
            << head + "losses: [{method: task, tap: stage3}]\n"
            << "recipes/x.yaml:5: losses[0].tap: task takes no taps (it compares the "
               "student's logits with the labels)";
        QTest::newRow("cwd without taps")
            << head + "losses:\n  - {method: cwd, weight: 50}\n"
            << "recipes/x.yaml:6: losses[0].teacher_tap: required for cwd (a tap name "
               "such as stage3, or tap: to set both)";
        QTest::newRow("tap and teacher_tap")
            << head + "losses: [{method: at, tap: a, teacher_tap: b}]\n"
            << "recipes/x.yaml:5: losses[0].tap: give either tap or teacher_tap and "
               "student_tap, not both";
        QTest::newRow("duplicate term")
            << head + "losses:\n  - {method: cwd, tap: s3}\n  - {method: cwd, tap: s3}\n"
            << "recipes/x.yaml:7: losses[1]: duplicate term cwd[s3] (each method and tap "
               "pair may appear once)";
        QTest::newRow("no terms")
            << head + "losses: []\n"
            << "recipes/x.yaml:5: losses: expected at least one loss term, e.g. [{method: "
               "task}]";
        QTest::newRow("duplicate key")
            << "model:\n  arch: resnet8\n  arch: resnet20\n"
            << "recipes/x.yaml:3: model.arch: duplicate key (each key may appear once)";
        QTest::newRow("diagnostics share out of range")
            << "model: {arch: resnet8}\ndiagnostics: {dominant: 90}\n"
            << "recipes/x.yaml:2: diagnostics.dominant: expected a share of the gradient between 0 and 1 "
               "(0.9 = "
               "90 %), got 90";
        QTest::newRow("diagnostics thresholds crossed")
            << "model: {arch: resnet8}\ndiagnostics:\n  dominant: 0.2\n  negligible: 0.3\n"
            << "recipes/x.yaml:4: diagnostics.negligible: expected below dominant (0.2), got 0.3";
        QTest::newRow("diagnostics every negative")
            << "model: {arch: resnet8}\ndiagnostics: {every: -1}\n"
            << "recipes/x.yaml:2: diagnostics.every: expected an integer >= 0, got -1";
        QTest::newRow("unknown job")
            << "job: distil\nmodel: {arch: resnet8}\n"
            << "recipes/x.yaml:1: job: unknown job 'distil' (allowed: train, distill)";
        QTest::newRow("unknown device")
            << "device: gpu\nmodel: {arch: resnet8}\n"
            << "recipes/x.yaml:1: device: unknown device 'gpu' (allowed: auto, cpu, cuda)";
        QTest::newRow("unknown precision")
            << "precision: fp16\nmodel: {arch: resnet8}\n"
            << "recipes/x.yaml:1: precision: unknown precision 'fp16' (allowed: fp32, bf16, auto)";
        QTest::newRow("unknown teacher precision")
            << "job: distill\nmodel: {arch: resnet8}\nteacher: {arch: resnet20, checkpoint: /t, precision: "
               "int4}\n"
            << "recipes/x.yaml:3: teacher.precision: unknown precision 'int4' (allowed: fp32, bf16, int8, "
               "auto)";
        QTest::newRow("unknown dataset")
            << "model: {arch: resnet8}\ndata:\n  dataset: mnist\n"
            << "recipes/x.yaml:3: data.dataset: unknown dataset 'mnist' (allowed: "
               "fashion_mnist, fashion_scenes, fashion_scenes_det, image_folder, seg_folder, "
               "coco_json, cifar10, cifar100)";
        QTest::newRow("unknown optimizer")
            << "model: {arch: resnet8}\noptim: {name: adam}\n"
            << "recipes/x.yaml:2: optim.name: unknown optimizer 'adam' (allowed: sgd, "
               "adamw)";
        QTest::newRow("unknown schedule")
            << "model: {arch: resnet8}\nschedule: {name: linear}\n"
            << "recipes/x.yaml:2: schedule.name: unknown schedule 'linear' (allowed: "
               "cosine, step, constant)";
        QTest::newRow("unknown head")
            << "model: {arch: resnet8, head: unet}\n"
            << "recipes/x.yaml:1: model.head: unknown head 'unet' (allowed: fcn, psp, "
               "deeplabv3, centernet, or empty for classification)";
        QTest::newRow("milestones")
            << "model: {arch: resnet8}\nschedule:\n  name: step\n  milestones: [30, 20]\n"
            << "recipes/x.yaml:4: schedule.milestones[1]: expected increasing epochs, got 20 "
               "after 30";
        QTest::newRow("step without milestones") << "model: {arch: resnet8}\nschedule: {name: step}\n"
                                                 << "recipes/x.yaml:2: schedule.milestones: required for the "
                                                    "step schedule (expected epochs where lr is "
                                                    "multiplied by gamma)";
        QTest::newRow("zero epochs") << "model: {arch: resnet8}\ntrain: {epochs: 0}\n"
                                     << "recipes/x.yaml:2: train.epochs: expected an integer >= 1, got 0";
        QTest::newRow("zero batch") << "model: {arch: resnet8}\ntrain: {batch_size: 0}\n"
                                    << "recipes/x.yaml:2: train.batch_size: expected an integer >= 1, got 0";
        QTest::newRow("zero lr") << "model: {arch: resnet8}\noptim: {lr: 0}\n"
                                 << "recipes/x.yaml:2: optim.lr: expected a number > 0, got 0";
        QTest::newRow("nesterov without momentum") << "model: {arch: resnet8}\noptim: {momentum: 0}\n"
                                                   << "recipes/x.yaml:2: optim.momentum: nesterov needs "
                                                      "momentum > 0, got 0 (set a momentum or nesterov: "
                                                      "false)";
        QTest::newRow("unknown transform")
            << "model: {arch: resnet8}\ntransforms:\n  train:\n    - {flip: 0.5}\n"
            << "recipes/x.yaml:4: transforms.train[0]: unknown transform 'flip' "
               "(allowed: normalize, random_crop, hflip, resize)";
        QTest::newRow("hflip probability")
            << "model: {arch: resnet8}\ntransforms: {train: [{hflip: 1.5}]}\n"
            << "recipes/x.yaml:2: transforms.train[0].hflip: expected a number in "
               "[0, 1], got 1.5";
        QTest::newRow("normalize lengths") << "model: {arch: resnet8}\ntransforms:\n  eval:\n    - "
                                              "normalize: {mean: [0.5, 0.5], std: [0.2]}\n"
                                           << "recipes/x.yaml:4: transforms.eval[0].normalize.std: expected "
                                              "a list of 2 per-channel standard "
                                              "deviations (as many as mean)";
        QTest::newRow("not a map")
            << "- model\n"
            << "recipes/x.yaml:1: recipe: expected a map of sections (name, job, data, model, "
               "...), got a sequence";
    }

    void reportsErrors() {
        QFETCH(QString, yaml);
        QFETCH(QString, expected);
        QCOMPARE(parseError(yaml.toStdString()), expected);
    }

    void reportsSyntaxErrors() {
        QCOMPARE(parseError("model:\n  arch: resnet8\n losses: [\n"),
                 QString("recipes/x.yaml:3: yaml: syntax error: end of map not found"));
        const QString flow = parseError("model: {arch: resnet8\ntrain: {}\n");
        QVERIFY2(flow.startsWith("recipes/x.yaml:2: yaml: syntax error: "), qPrintable(flow));
        QVERIFY(!flow.contains('\n'));
    }

    void reportsFileErrors() {
        const std::string dir = tests::scratchDir("recipe");
        QCOMPARE(errorOf([&] { loadRecipe(dir + "/missing.yaml"); }),
                 q(dir + "/missing.yaml: cannot read recipe: no such file"));
        QCOMPARE(errorOf([&] { loadRecipe(dir); }),
                 q(dir + ": cannot read recipe: it is a folder, expected a YAML file"));
        // Messages from a file name the path as it was given.
        writeFile(dir + "/bad.yaml", "model: {arch: resnet8}\nlosses:\n  - {method: kd}\n");
        QCOMPARE(errorOf([&] { loadRecipe(dir + "/bad.yaml"); }),
                 q(dir +
                   "/bad.yaml:3: losses[0].method: 'kd' is a distillation term and needs job: distill (train "
                   "jobs allow only task)"));
    }
};

DISTILLERY_TEST_SUITE("recipe", RecipeTest);

#include "test_recipe.moc"
