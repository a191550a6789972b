// The training engine on real Fashion-MNIST subsets: learning, pause/resume/cancel, exact resume from a
// checkpoint, NaN detection, distillation with adapters and activation snapshots, run-folder files.

#include <QtTest/QtTest>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>

#include "core/baseline.h"
#include "core/distributions.h"
#include "core/engine.h"
#include "core/internal/checkpoint.h"
#include "core/internal/precision.h"
#include "core/run_files.h"
#include "core/run_folder.h"
#include "core/teacher_cache.h"
#include "tests/core/suites.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

std::string baseRecipe(const std::string& extra = {}) {
    return R"(
name: test
job: train
seed: 3
threads: 2
data: {dataset: fashion_mnist, subset: 256, workers: 2}
transforms:
  train: [{random_crop: {size: 28, padding: 2}}, {hflip: 0.5}, {normalize: {mean: [0.286], std: [0.353]}}]
  eval: [{normalize: {mean: [0.286], std: [0.353]}}]
model: {arch: resnet8}
optim: {name: sgd, lr: 0.05, momentum: 0.9, nesterov: true, weight_decay: 5.0e-4}
schedule: {name: cosine, warmup_epochs: 0.25}
train: {epochs: 2, batch_size: 32, eval_batch_size: 128, log_every: 1}
)" + extra;
}

Recipe recipeFrom(const std::string& text, const std::vector<std::string>& overrides = {}) {
    return parseRecipe(text, "test.yaml", fs::current_path().string(), overrides);
}

/** Records what the job reports, from the job's thread. */
struct Recorder : Observer {
    std::mutex mutex;
    std::vector<StepEvent> steps;
    std::vector<EpochEvent> epochs;
    std::vector<ActivationSnapshot> snapshots;
    std::vector<std::thread::id> snapshotThreads;
    std::vector<std::string> logs;
    std::function<void(const StepEvent&)> onEachStep;
    std::atomic<int64_t> lastStep{0};

    void onStep(const StepEvent& e) override {
        {
            std::lock_guard<std::mutex> lock(mutex);
            steps.push_back(e);
        }
        lastStep = e.step;
        if (onEachStep) onEachStep(e);
    }
    void onEpoch(const EpochEvent& e) override {
        std::lock_guard<std::mutex> lock(mutex);
        epochs.push_back(e);
    }
    void onSnapshot(const ActivationSnapshot& s) override {
        std::lock_guard<std::mutex> lock(mutex);
        snapshots.push_back(s);
        snapshotThreads.push_back(std::this_thread::get_id());
    }
    /** Waits (bounded) until `count` snapshots have arrived. */
    bool waitForSnapshots(size_t count) {
        for (int i = 0; i < 60000; ++i) {
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (snapshots.size() >= count) return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return false;
    }
    void onLog(LogLevel, const std::string& text) override {
        std::lock_guard<std::mutex> lock(mutex);
        logs.push_back(text);
    }
    std::vector<BalanceSample> balance;
    void onBalance(const BalanceSample& b) override {
        std::lock_guard<std::mutex> lock(mutex);
        balance.push_back(b);
    }
};

double metric(const std::vector<std::pair<std::string, double>>& m, const std::string& name) {
    for (const auto& [k, v] : m)
        if (k == name) return v;
    return std::nan("");
}

std::vector<std::string> lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line))
        out.push_back(line);
    return out;
}

RunSummary trainTeacher(const std::string& dir) {
    Job job(recipeFrom(baseRecipe(), {"train.epochs=1", "name=teacher"}), {dir});
    job.start();
    return job.wait();
}

/** baseRecipe with the resnet8 teacher trained into ROOT/teacher (`teacherExtra`: more teacher keys, e.g.
 *  ", precision: int8") and these loss terms (YAML list items). */
std::string withTeacher(const std::string& root, const std::string& losses,
                        const std::string& teacherExtra = {}) {
    return baseRecipe("\nteacher: {arch: resnet8, checkpoint: " + root + "/teacher" + teacherExtra +
                      "}\nlosses:\n" + losses);
}

/** Runs a job to its end and returns the steps it reported; none when it did not finish. */
std::vector<StepEvent> finishedRunSteps(const Recipe& recipe, const JobOptions& options) {
    Job job(recipe, options);
    auto rec = std::make_shared<Recorder>();
    job.addObserver(rec);
    job.start();
    if (job.wait().status != RunStatus::Finished) return {};
    return rec->steps;
}

/** `got` repeats `expected` from its step `offset` on: same stage, same terms, bit-identical values. */
void sameSteps(const std::vector<StepEvent>& got, const std::vector<StepEvent>& expected, size_t offset) {
    QVERIFY(!got.empty());
    QCOMPARE(got.size() + offset, expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
        const StepEvent& e = expected[i + offset];
        QCOMPARE(got[i].init, e.init);
        QCOMPARE(got[i].terms.size(), e.terms.size());
        for (size_t t = 0; t < got[i].terms.size(); ++t)
            QCOMPARE(got[i].terms[t].second, e.terms[t].second);
    }
}

/** Runs `recipe` into DIR and cancels it at the first step event for which `when` holds; returns the steps
 *  it reported (the run must end cancelled). */
std::vector<StepEvent> runCancelledAt(const Recipe& recipe, const std::string& dir,
                                      const std::function<bool(const StepEvent&)>& when) {
    Job job(recipe, {dir});
    auto rec = std::make_shared<Recorder>();
    rec->onEachStep = [&job, &when](const StepEvent& e) {
        if (when(e)) job.cancel();
    };
    job.addObserver(rec);
    job.start();
    if (job.wait().status != RunStatus::Cancelled) return {};
    return rec->steps;
}

/** The names in a shared-cache folder that are not finished entries (leftovers of writes or removals). */
std::vector<std::string> cacheLeftovers(const std::string& dir) {
    std::vector<std::string> out;
    for (const auto& f : fs::directory_iterator(dir))
        if (f.path().filename().string().front() == '.') out.push_back(f.path().filename().string());
    return out;
}

}  // namespace

class TrainerTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void lossFallsAndRunFolderIsComplete() {
        const std::string dir = tests::scratchDir("learn") + "/run";
        Job job(recipeFrom(baseRecipe(), {"train.epochs=3", "data.subset=512"}), {dir});
        auto rec = std::make_shared<Recorder>();
        job.addObserver(rec);
        job.start();
        RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Finished);
        QCOMPARE(rec->steps.size(), size_t{48});  // 512 / 32 × 3 epochs
        double first = 0, last = 0;
        for (int i = 0; i < 8; ++i) {
            first += rec->steps[i].total / 8;
            last += rec->steps[rec->steps.size() - 1 - i].total / 8;
        }
        QVERIFY2(last < 0.75 * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        QCOMPARE(rec->epochs.size(), size_t{3});
        // Ten classes: chance is 10 %; 48 steps on 512 images reach well above it.
        QVERIFY2(metric(s.finalMetrics, "top1") > 40.0,
                 qPrintable(QString::number(metric(s.finalMetrics, "top1"))));
        QCOMPARE(rec->steps.back().etaSeconds, 0.0);
        QVERIFY(rec->steps.front().imagesPerSecond > 0);
        QCOMPARE(rec->steps.front().terms.size(), size_t{1});
        QCOMPARE(rec->steps.front().terms[0].first, std::string("task"));

        RunPaths p{dir};
        QVERIFY(fs::is_regular_file(p.checkpoint("last")));
        QVERIFY(fs::is_regular_file(p.checkpoint("best")));
        // recipe.yaml is the resolved recipe and parses back to the same run.
        Recipe back = loadRecipe(p.recipe());
        QCOMPARE(back.epochs, 3);
        QCOMPARE(back.data.subset, 512);
        // metrics.jsonl: one scalar per line, train losses every step, val metrics every epoch.
        auto records = readMetrics(p.metrics());
        int trainTotals = 0, valTop1 = 0;
        for (const auto& r : records) {
            if (r.split == Split::Train && r.name == "loss/total") ++trainTotals;
            if (r.split == Split::Val && r.name == "top1") {
                ++valTop1;
                QCOMPARE(r.step, int64_t{16} * r.epoch);
            }
        }
        QCOMPARE(trainTotals, 48);
        QCOMPARE(valTop1, 3);
        std::ifstream in(p.summary());
        auto summary = nlohmann::json::parse(in);
        QCOMPARE(summary["status"].get<std::string>(), std::string("finished"));
        QCOMPARE(summary["steps"].get<int64_t>(), int64_t{48});
        QVERIFY(summary["params"].get<int64_t>() > 70'000);
        QVERIFY(summary["macs"].get<int64_t>() > 0);
        QVERIFY(summary["wall_seconds"].get<double>() > 0);
        QCOMPARE(summary["final"]["top1"].get<double>(), metric(s.finalMetrics, "top1"));

        // eval on the run folder reproduces the best epoch's number.
        EvalResult ev = evaluateRun(dir, CheckpointChoice::Best, 2);
        QCOMPARE(ev.samples, int64_t{512});
        QCOMPARE(metric(ev.metrics, "top1"), summary["best"]["top1"].get<double>());
    }

    void pauseResumeCancel() {
        const std::string dir = tests::scratchDir("pause") + "/run";
        Job job(recipeFrom(baseRecipe(), {"train.epochs=20"}), {dir});
        auto rec = std::make_shared<Recorder>();
        job.addObserver(rec);
        job.start();
        while (rec->lastStep < 3)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        job.pause();
        QVERIFY(job.paused());
        const int64_t atPause = rec->lastStep;
        std::this_thread::sleep_for(std::chrono::milliseconds(400));
        const int64_t afterWait = rec->lastStep;
        QVERIFY2(afterWait <= atPause + 1, "a paused job kept training");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        QCOMPARE(int64_t(rec->lastStep), afterWait);
        job.resume();
        while (rec->lastStep < afterWait + 3)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        job.cancel();
        const int64_t atCancel = rec->lastStep;
        RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Cancelled);
        QVERIFY2(s.steps <= atCancel + 1, "cancel was not honoured within one step");
        QVERIFY(s.steps < 8 * 20);
        QVERIFY(fs::is_regular_file(RunPaths{dir}.checkpoint("last")));
    }

    void resumeMatchesUninterruptedRun() {
        const std::string root = tests::scratchDir("resume");
        Recipe recipe = recipeFrom(baseRecipe());
        // Uninterrupted reference.
        Job a(recipe, {root + "/a"});
        RunSummary ra = (a.start(), a.wait());
        // Same run, cancelled mid-epoch at step 5 and resumed from its checkpoint.
        QCOMPARE(runCancelledAt(recipe, root + "/b", [](const StepEvent& e) { return e.step == 5; }).size(),
                 size_t{5});
        Job c(loadRunRecipe(root + "/b"), {root + "/b", true});
        RunSummary rc = (c.start(), c.wait());
        QCOMPARE(rc.status, RunStatus::Finished);
        QCOMPARE(rc.steps, ra.steps);
        QCOMPARE(metric(rc.finalMetrics, "top1"), metric(ra.finalMetrics, "top1"));
        QCOMPARE(metric(rc.finalMetrics, "loss"), metric(ra.finalMetrics, "loss"));
        // Every logged scalar of the resumed run equals the uninterrupted one, except throughput.
        auto ma = readMetrics(root + "/a/metrics.jsonl"), mb = readMetrics(root + "/b/metrics.jsonl");
        QCOMPARE(mb.size(), ma.size());
        for (size_t i = 0; i < ma.size(); ++i) {
            QCOMPARE(mb[i].step, ma[i].step);
            QCOMPARE(mb[i].name, ma[i].name);
            if (ma[i].name != "images_per_second") QCOMPARE(mb[i].value, ma[i].value);
        }
    }

    void autoPrecisionIsKeptOnResume() {
        // `precision: auto` measures bf16 against fp32 at start-up, and under other load the answer can
        // change: a resumed run continues in what its checkpoint says it started in. Started where the CPU
        // has no native bf16 (auto → fp32, student and teacher), resumed where it has (auto would be bf16
        // with no measurement): the resumed run repeats an uninterrupted fp32 run bit for bit.
        const std::string root = tests::scratchDir("resume_precision");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const Recipe recipe =
            recipeFrom(withTeacher(root, "  - {method: kd, weight: 1, tau: 4}\n", ", precision: auto"),
                       {"job=distill", "precision=auto", "data.workers=0"});
        ::setenv("DISTILLERY_CPU_BF16", "0", 1);
        const auto full = finishedRunSteps(recipe, {root + "/a"});
        QCOMPARE(runCancelledAt(recipe, root + "/b", [](const StepEvent& e) { return e.step == 5; }).size(),
                 size_t{5});
        const CheckpointMeta started = readCheckpointMeta(RunPaths{root + "/b"}.checkpoint("last"));
        QCOMPARE(started.precision, std::string("fp32"));
        QCOMPARE(started.teacherPrecision, std::string("fp32"));
        ::setenv("DISTILLERY_CPU_BF16", "1", 1);
        Job c(loadRunRecipe(root + "/b"), {root + "/b", true});
        auto rec = std::make_shared<Recorder>();
        c.addObserver(rec);
        c.start();
        const RunSummary rc = c.wait();
        ::unsetenv("DISTILLERY_CPU_BF16");
        QCOMPARE(rc.status, RunStatus::Finished);
        sameSteps(rec->steps, full, 5);
        QCOMPARE(readCheckpointMeta(RunPaths{root + "/b"}.checkpoint("last")).precision, std::string("fp32"));
        // The summary says what the student trained in; a teacher in fp32 has no precision there.
        const auto summary = nlohmann::json::parse(std::ifstream(root + "/b/summary.json"));
        QCOMPARE(summary["student"].value("precision", ""), std::string("fp32"));
        QVERIFY(!summary["teacher"].contains("precision"));
    }

    void crdMemoryBankSurvivesResume() {
        // CRD keeps a memory bank of every train sample's embeddings: a run cancelled mid-epoch and resumed
        // continues exactly as the uninterrupted one (same losses at every step, same bank bit for bit).
        // ReviewKD's fusion modules (weights and batch-norm statistics) and its warm-up ride along.
        const std::string root = tests::scratchDir("crd_resume");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const Recipe recipe = recipeFrom(
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: crd, tap: prelogits, weight: 0.8, negatives: 64, feat_dim: 32}\n"
                        "  - {method: reviewkd, tap: [stage2, stage3, prelogits], warmup_epochs: 1}\n"),
            {"job=distill"});
        const auto stepsA = finishedRunSteps(recipe, {root + "/a"});
        QVERIFY(
            !runCancelledAt(recipe, root + "/b", [](const StepEvent& e) { return e.step == 11; }).empty());
        sameSteps(finishedRunSteps(loadRunRecipe(root + "/b"), {root + "/b", true}), stepsA, 11);
        // The banks in the final checkpoints are the same.
        auto bank = [](const std::string& run) {
            torch::serialize::InputArchive archive, term;
            archive.load_from(run + "/checkpoints/last.pt");
            torch::Tensor memory;
            if (!archive.try_read("term1", term)) return memory;
            term.read("memory_s", memory, /*is_buffer=*/true);
            return memory;
        };
        const auto ba = bank(root + "/a"), bc = bank(root + "/b");
        QVERIFY(ba.defined() && ba.size(0) == 256);
        QVERIFY(torch::equal(ba, bc));
    }

    void initialisationStageRunsFirstAndResumes() {
        // ab asks for an initialisation stage: its steps come first (init events, counted within the stage,
        // terms named init:<label>), the stage's loss falls, its records sit at steps <= 0, and training then
        // starts at step 1. A run cancelled after the stage resumes without repeating it and continues
        // exactly; one cancelled inside the stage repeats it, without duplicate records.
        const std::string root = tests::scratchDir("init_stage");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const Recipe recipe = recipeFrom(
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: ab, tap: [stage2.pre, stage3.pre], weight: 0.5, init_epochs: 2}\n"
                        "  - {method: ft, tap: stage3, weight: 10, init_epochs: 1}\n"),
            {"job=distill"});
        const auto stepsA = finishedRunSteps(recipe, {root + "/a"});
        QVERIFY(!stepsA.empty());
        const int64_t perEpoch = 256 / 32;
        std::vector<StepEvent> init, train;
        for (const auto& e : stepsA)
            (e.init ? init : train).push_back(e);
        QCOMPARE(init.size(), size_t(2 * perEpoch));
        QCOMPARE(train.size(), size_t(2 * perEpoch));
        QVERIFY(stepsA.front().init && !stepsA.back().init);
        QCOMPARE(init.front().step, int64_t{1});
        QCOMPARE(init.front().totalSteps, int64_t{2 * perEpoch});
        QCOMPARE(train.front().step, int64_t{1});
        // Both terms in the stage's first epoch, ab alone in its second (ft asked for one).
        QCOMPARE(init.front().terms.size(), size_t(2));
        QCOMPARE(init.front().terms[0].first, std::string("init:ab[stage2.pre,stage3.pre]"));
        QCOMPARE(init.front().terms[1].first, std::string("init:ft[stage3]"));
        QCOMPARE(init.back().terms.size(), size_t(1));
        const double first = init[0].terms[0].second + init[1].terms[0].second;
        const double last = init[init.size() - 2].terms[0].second + init.back().terms[0].second;
        QVERIFY2(last < 0.7 * first, qPrintable(QString("ab in the stage: %1 -> %2").arg(first).arg(last)));
        // The stage's records in a run's metrics.jsonl, each at a step in −K+1 … 0.
        auto stageRecords = [&](const std::string& run) {
            int count = 0;
            for (const auto& rec : readMetrics(run + "/metrics.jsonl"))
                if (rec.name.rfind("loss/init:", 0) == 0) {
                    ++count;
                    if (rec.step > 0 || rec.step <= -2 * perEpoch) return -1;
                }
            return count;
        };
        const int initRecords = stageRecords(root + "/a");
        QCOMPARE(initRecords,
                 int(2 * perEpoch * 2 + perEpoch));  // ab and total at each step, ft for one epoch

        // Cancelled at training's step 3: the resumed run does not repeat the stage and matches run a.
        QVERIFY(!runCancelledAt(recipe, root + "/b", [](const StepEvent& e) {
                     return !e.init && e.step == 3;
                 }).empty());
        const auto stepsC = finishedRunSteps(loadRunRecipe(root + "/b"), {root + "/b", true});
        QVERIFY(std::none_of(stepsC.begin(), stepsC.end(), [](const StepEvent& e) { return e.init; }));
        sameSteps(stepsC, train, 3);

        // Cancelled inside the stage: resume starts the stage again from the state before it and gives run
        // a's numbers, stage and training; the stage's records appear once.
        QVERIFY(!runCancelledAt(recipe, root + "/d", [](const StepEvent& e) {
                     return e.init && e.step == 5;
                 }).empty());
        sameSteps(finishedRunSteps(loadRunRecipe(root + "/d"), {root + "/d", true}), stepsA, 0);
        QCOMPARE(stageRecords(root + "/d"), initRecords);
    }

    void scheduleClosedForms() {
        // lr 0.1, 4 epochs of 10 steps: 40 steps; half an epoch (5 steps) of linear warm-up.
        Recipe r = recipeFrom(baseRecipe(), {"optim.lr=0.1", "train.epochs=4", "schedule.warmup_epochs=0.5",
                                             "schedule.min_lr=0.001"});
        auto lr = [&](int64_t step) { return scheduledLearningRate(r, step, 10); };
        auto near = [](double a, double b) { return std::abs(a - b) <= 1e-12 * std::max(1.0, std::abs(b)); };
        // Warm-up: lr · (k + 1) / 5.
        for (int k = 0; k < 5; ++k)
            QVERIFY2(near(lr(k), 0.1 * (k + 1) / 5.0),
                     qPrintable(QString("warm-up step %1: %2").arg(k).arg(lr(k))));
        // Cosine from 0.1 to 0.001 over the remaining 35 steps, then the floor.
        for (int k : {5, 12, 22, 39}) {
            const double expected = 0.001 + (0.1 - 0.001) * 0.5 * (1.0 + std::cos(M_PI * (k - 5) / 35.0));
            QVERIFY2(near(lr(k), expected),
                     qPrintable(QString("cosine step %1: %2 vs %3").arg(k).arg(lr(k)).arg(expected)));
        }
        QVERIFY(near(lr(40), 0.001) && near(lr(100), 0.001));
        // Step decay: × 0.1 from epoch 1 and again from epoch 3 (0-based epochs, no warm-up).
        r = recipeFrom(baseRecipe(),
                       {"optim.lr=0.1", "train.epochs=4", "schedule.name=step", "schedule.warmup_epochs=0",
                        "schedule.milestones=[1, 3]", "schedule.gamma=0.1"});
        for (int k : {0, 9})
            QVERIFY(near(lr(k), 0.1));
        for (int k : {10, 29})
            QVERIFY(near(lr(k), 0.01));
        for (int k : {30, 39})
            QVERIFY(near(lr(k), 0.001));
        // Constant.
        r = recipeFrom(baseRecipe(), {"optim.lr=0.1", "schedule.name=constant", "schedule.warmup_epochs=0"});
        for (int k : {0, 7, 1000})
            QVERIFY(near(lr(k), 0.1));

        // Training follows it step by step: 256 samples in batches of 32, 8 steps per epoch.
        const std::string dir = tests::scratchDir("schedule") + "/run";
        r = recipeFrom(baseRecipe(),
                       {"optim.lr=0.04", "schedule.warmup_epochs=0.5", "schedule.min_lr=0.002"});
        Job job(r, {dir});
        auto rec = std::make_shared<Recorder>();
        job.addObserver(rec);
        QCOMPARE((job.start(), job.wait()).status, RunStatus::Finished);
        QCOMPARE(rec->steps.size(), size_t{16});
        for (const auto& s : rec->steps)
            QVERIFY2(near(s.lr, scheduledLearningRate(r, s.step - 1, 8)),
                     qPrintable(QString::number(s.step)));
    }

    void adamwTrainsAndResumesExactly() {
        // AdamW's moments are part of the checkpoint: a resumed run continues to the same numbers.
        const std::string root = tests::scratchDir("adamw");
        Recipe recipe =
            recipeFrom(baseRecipe(), {"optim.name=adamw", "optim.lr=0.002", "optim.weight_decay=0.01"});
        Job a(recipe, {root + "/a"});
        auto recA = std::make_shared<Recorder>();
        a.addObserver(recA);
        RunSummary ra = (a.start(), a.wait());
        QCOMPARE(ra.status, RunStatus::Finished);
        double first = 0, last = 0;
        for (int i = 0; i < 4; ++i) {
            first += recA->steps[i].total / 4;
            last += recA->steps[recA->steps.size() - 1 - i].total / 4;
        }
        QVERIFY2(last < 0.9 * first, qPrintable(QString("loss %1 -> %2").arg(first).arg(last)));
        QVERIFY(
            !runCancelledAt(recipe, root + "/b", [](const StepEvent& e) { return e.step == 11; }).empty());
        Job c(loadRunRecipe(root + "/b"), {root + "/b", true});
        RunSummary rc = (c.start(), c.wait());
        QCOMPARE(rc.status, RunStatus::Finished);
        QCOMPARE(metric(rc.finalMetrics, "loss"), metric(ra.finalMetrics, "loss"));
        QCOMPARE(metric(rc.finalMetrics, "top1"), metric(ra.finalMetrics, "top1"));
    }

    void nanLossStopsTheRun() {
        const std::string dir = tests::scratchDir("nan") + "/run";
        Job job(recipeFrom(baseRecipe(),
                           {"optim.lr=1.0e+30", "schedule.name=constant", "schedule.warmup_epochs=0"}),
                {dir});
        RunSummary s = (job.start(), job.wait());
        QCOMPARE(s.status, RunStatus::Failed);
        QVERIFY2(QString::fromStdString(s.message).contains("loss term task is"), s.message.c_str());
        QVERIFY2(QString::fromStdString(s.message).contains("at step"), s.message.c_str());
    }

    void distillWithAdapterAndSnapshots() {
        const std::string root = tests::scratchDir("distill");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        // Teacher stage3 is 64×7×7, student stage2 is 32×14×14: a learned 1×1 adapter and a resize.
        const std::string distill =
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: kd, weight: 1.0, tau: 4}\n"
                        "  - {method: cwd, teacher_tap: stage3, student_tap: stage2, weight: 5, tau: 4}\n");
        Job job(recipeFrom(distill, {"job=distill", "train.epochs=1"}), {root + "/student"});
        auto rec = std::make_shared<Recorder>();
        rec->onEachStep = [&job](const StepEvent& e) {
            if (e.step == 2) job.requestSnapshot("stage3", "stage2", 7);
        };
        job.addObserver(rec);
        job.start();
        RunSummary s = job.wait();
        QCOMPARE(s.status, RunStatus::Finished);
        QCOMPARE(rec->steps.front().terms.size(), size_t{3});
        QCOMPARE(rec->steps.front().terms[2].first, std::string("cwd[stage3/stage2]"));
        for (const auto& st : rec->steps) {
            double sum = 0;
            for (const auto& [_, v] : st.terms)
                sum += v;
            QVERIFY(std::abs(sum - st.total) < 1e-6 * std::max(1.0, std::abs(sum)));
            QVERIFY(st.terms[2].second > 0);
        }
        QCOMPARE(rec->snapshots.size(), size_t{1});
        const auto& snap = rec->snapshots[0];
        QCOMPARE(snap.sampleIndex, int64_t{7});
        QCOMPARE(snap.teacher.channels, int64_t{64});
        QCOMPARE(snap.teacher.height, int64_t{7});
        QCOMPARE(snap.student.channels, int64_t{64});  // after the adapter
        QCOMPARE(snap.student.height, int64_t{7});     // after the resize
        QCOMPARE(snap.teacher.data.size(), size_t{64 * 7 * 7});
        QCOMPARE(snap.sample.image.height, 28);
        // Idle job: the request returns at once and the snapshot is computed on a worker of the job's, never
        // on the caller's thread (the workbench's GUI thread must not run a forward pass).
        job.requestSnapshot("stage1", "stage1", 0, Split::Train);
        QVERIFY(rec->waitForSnapshots(2));
        QCOMPARE(rec->snapshots[1].student.channels, int64_t{16});
        QVERIFY(rec->snapshotThreads[1] != std::this_thread::get_id());

        // A finished run gives the same maps from its last checkpoint as the live job's final weights.
        job.requestSnapshot("stage3", "stage2", 7);
        QVERIFY(rec->waitForSnapshots(3));
        QVERIFY(rec->snapshotThreads[2] != std::this_thread::get_id());
        ActivationSnapshot fromRun =
            snapshotRun(root + "/student", "stage3", "stage2", 7, Split::Val, CheckpointChoice::Last);
        QCOMPARE(fromRun.student.channels, int64_t{64});
        QCOMPARE(fromRun.student.data, rec->snapshots[2].student.data);
        QCOMPARE(fromRun.teacher.data, rec->snapshots[2].teacher.data);

        // Predictions: probabilities sum to one, the label is their argmax, the teacher predicts too.
        auto preds = predictRun(root + "/student", {0, 5, 9});
        QCOMPARE(preds.size(), size_t{3});
        for (const auto& p : preds) {
            QCOMPARE(p.studentProbs.size(), size_t{10});
            double sum = 0;
            for (float v : p.studentProbs)
                sum += v;
            QVERIFY(std::abs(sum - 1.0) < 1e-5);
            auto best =
                std::max_element(p.studentProbs.begin(), p.studentProbs.end()) - p.studentProbs.begin();
            QCOMPARE(p.studentLabel, int64_t(best));
            QVERIFY(p.teacherLabel >= 0 && p.teacherLabel < 10);
            QVERIFY(p.sample.label >= 0 && p.sample.label < 10);
        }
        QCOMPARE(preds[1].index, int64_t{5});
        QVERIFY_THROWS_EXCEPTION(Error, predictRun(root + "/student", {100000}));

        // A teacher tap the teacher does not have is an error naming the field and the allowed taps.
        try {
            Job bad(recipeFrom(distill, {"job=distill", "losses.2.teacher_tap=stage9"}), {root + "/bad"});
            QFAIL("expected an error");
        } catch (const Error& e) {
            const QString m = e.what();
            QVERIFY2(m.contains("losses[2].teacher_tap") && m.contains("stage9") && m.contains("stage3"),
                     e.what());
        }
        QVERIFY(!fs::exists(root + "/bad"));
    }

    void termBalanceIsMeasuredWithoutChangingTraining() {
        // KD at a weight that drowns the task term, sampled every 3 steps (and at step 1): the samples reach
        // the observer and diagnostics.jsonl alike, the dominant term is warned about once with a suggested
        // weight, and training computes exactly what it computes with diagnostics off. Re-run at the
        // suggested weight, the same first step (same seed, same batch) gives KD the target share: gradient
        // norms scale linearly with weights, so the suggestion is exact.
        const std::string root = tests::scratchDir("balance");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        auto run = [&](const std::string& name, double kdWeight, int every) {
            const std::string text = withTeacher(root,
                                                 "  - {method: task, weight: 1.0}\n"
                                                 "  - {method: kd, weight: " +
                                                     std::to_string(kdWeight) + ", tau: 4}\n");
            Job job(recipeFrom(text, {"job=distill", "train.epochs=1", "train.max_steps=7",
                                      "diagnostics.every=" + std::to_string(every)}),
                    {root + "/" + name});
            auto rec = std::make_shared<Recorder>();
            job.addObserver(rec);
            job.start();
            return job.wait().status == RunStatus::Finished ? rec : nullptr;
        };
        auto measured = run("measured", 50.0, 3), plain = run("plain", 50.0, 0);
        QVERIFY(measured && plain);
        sameSteps(measured->steps, plain->steps, 0);
        QVERIFY(readBalance(root + "/plain/diagnostics.jsonl").empty());
        QCOMPARE(plain->balance.size(), size_t{0});

        QCOMPARE(measured->balance.size(), size_t{3});  // steps 1, 3, 6
        const auto stored = readBalance(root + "/measured/diagnostics.jsonl");
        QCOMPARE(stored.size(), measured->balance.size());
        std::vector<int64_t> steps;
        for (size_t i = 0; i < stored.size(); ++i) {
            steps.push_back(stored[i].step);
            QCOMPARE(stored[i].terms.size(), size_t{2});
            QCOMPARE(stored[i].terms[0].label, std::string("task"));
            QCOMPARE(stored[i].terms[1].weight, 50.0);
            double shares = 0;
            for (size_t t = 0; t < 2; ++t) {
                QCOMPARE(stored[i].terms[t].gradNorm, measured->balance[i].terms[t].gradNorm);
                QVERIFY(stored[i].terms[t].gradNorm > 0);
                // Each term's value is the one the step reported.
                QCOMPARE(stored[i].terms[t].loss, measured->steps[stored[i].step - 1].terms[t].second);
                shares += stored[i].terms[t].gradShare;
            }
            QVERIFY(std::abs(shares - 1.0) < 1e-12);
        }
        QCOMPARE(steps, (std::vector<int64_t>{1, 3, 6}));
        const BalanceSample& first = stored.front();
        DiagnosticsSpec spec;
        QCOMPARE(balanceFlag(first, 1, spec), BalanceFlag::Dominant);
        const auto warnings = std::count_if(measured->logs.begin(), measured->logs.end(), [](const auto& l) {
            return l.find("loss term kd[logits] has") != std::string::npos &&
                   l.find("drowns") != std::string::npos;
        });
        QCOMPARE(warnings, 1);  // once the flag has held for two samples (step 3), not at every sample

        const auto suggested = suggestedWeight(first, 1, 0.5);
        QVERIFY(suggested && *suggested < 50.0);
        auto balanced = run("balanced", *suggested, 1000);
        QVERIFY(balanced);
        const auto again = readBalance(root + "/balanced/diagnostics.jsonl");
        QCOMPARE(again.size(), size_t{1});  // step 1 only
        QVERIFY2(std::abs(again[0].terms[1].gradShare - 0.5) < 1e-4,
                 qPrintable(QString::number(again[0].terms[1].gradShare)));
        // The task term's own gradient is the same.
        QVERIFY(std::abs(again[0].terms[0].gradNorm - first.terms[0].gradNorm) <
                1e-9 * first.terms[0].gradNorm);
    }

    void distillationIsComparedWithTheStudentAlone() {
        // The student alone trained in runs/ beside the distillation with the same schedule: at each epoch
        // the distillation's event carries the student alone's metric, the log says above or below, and
        // diagnostics.jsonl records both values.
        const std::string root = tests::scratchDir("baseline-run");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const Recipe alone = recipeFrom(baseRecipe(), {"seed=5"});
        auto aloneRec = std::make_shared<Recorder>();
        {
            Job job(alone, {root + "/runs/alone"});
            job.addObserver(aloneRec);
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
        }
        const Recipe distill = recipeFrom(
            withTeacher(root, "  - {method: task, weight: 1.0}\n  - {method: kd, weight: 1.0, tau: 4}\n"),
            {"job=distill"});
        JobOptions options{root + "/runs/kd"};
        options.baselineRuns = findBaselineRuns(root + "/runs", distill, options.runDir);
        QCOMPARE(options.baselineRuns, std::vector<std::string>{root + "/runs/alone"});
        Job job(distill, options);
        auto rec = std::make_shared<Recorder>();
        job.addObserver(rec);
        job.start();
        QCOMPARE(job.wait().status, RunStatus::Finished);
        QCOMPARE(rec->epochs.size(), size_t{2});
        const auto records = readBaselineRecords(root + "/runs/kd/diagnostics.jsonl");
        QCOMPARE(records.size(), size_t{2});
        for (size_t e = 0; e < 2; ++e) {
            const double own = metric(rec->epochs[e].metrics, "top1");
            const double baseline = metric(aloneRec->epochs[e].metrics, "top1");
            QCOMPARE(rec->epochs[e].baseline, baseline);
            QCOMPARE(records[e].epoch, static_cast<int>(e + 1));
            QCOMPARE(records[e].value, own);
            QCOMPARE(records[e].baseline, baseline);
            QCOMPARE(records[e].runs, 1);
            const std::string expected = baselineMessage({static_cast<int>(e + 1), own, baseline},
                                                         readBaselineCurve(options.baselineRuns));
            QVERIFY2(std::find_if(rec->logs.begin(), rec->logs.end(),
                                  [&](const std::string& l) { return l.rfind(expected, 0) == 0; }) !=
                         rec->logs.end(),
                     expected.c_str());
        }
        // Without baseline runs nothing is compared.
        QVERIFY(std::isnan(aloneRec->epochs[0].baseline));
    }

    void channelDistributionsMatchTheSnapshots() {
        // Histograms, moments, quantiles, KL and mean spatial softmax of each channel over the first samples,
        // recomputed here from one snapshot per sample (the inspector's path) with plain loops.
        const std::string root = tests::scratchDir("distributions");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const std::string text =
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: cwd, teacher_tap: stage3, student_tap: stage2, weight: 5, tau: 4}\n");
        Job job(recipeFrom(text, {"job=distill", "train.epochs=1"}), {root + "/student"});
        job.start();
        QCOMPARE(job.wait().status, RunStatus::Finished);

        DistributionRequest req;
        req.runDir = root + "/student";
        req.teacherTap = "stage3";
        req.studentTap = "stage2";
        req.samples = 5;
        req.bins = 8;
        req.tau = 2.0;
        const ChannelDistributions d = channelDistributions(req);
        QVERIFY(d.withTeacher);
        QCOMPARE(d.samples, int64_t{5});
        QCOMPARE(d.height, int64_t{7});  // the student's 14×14 resized to the teacher's 7×7, 32 → 64 channels
        QCOMPARE(d.channels.size(), size_t{64});
        std::vector<ActivationSnapshot> snaps;
        for (int64_t i = 0; i < 5; ++i)
            snaps.push_back(snapshotRun(req.runDir, "stage3", "stage2", i));
        const int64_t hw = 49;
        for (int64_t c : {0, 17, 63}) {
            std::vector<double> t, s;
            for (const auto& snap : snaps)
                for (int64_t k = 0; k < hw; ++k) {
                    t.push_back(snap.teacher.data[c * hw + k]);
                    s.push_back(snap.student.data[c * hw + k]);
                }
            const ChannelDistribution& got = d.channels[c];
            const double lo =
                std::min(*std::min_element(t.begin(), t.end()), *std::min_element(s.begin(), s.end()));
            const double hi =
                std::max(*std::max_element(t.begin(), t.end()), *std::max_element(s.begin(), s.end()));
            QVERIFY(std::abs(got.lo - lo) < 1e-5 && std::abs(got.hi - hi) < 1e-5);
            auto histogram = [&](const std::vector<double>& v) {
                std::vector<double> h(8, 0.0);
                for (double x : v)
                    h[std::min<int64_t>(7, static_cast<int64_t>((x - got.lo) / (got.hi - got.lo) * 8))] +=
                        1.0 / v.size();
                return h;
            };
            auto close = [](const std::vector<double>& a, const std::vector<double>& b, double tol) {
                double diff = 0;
                for (size_t i = 0; i < a.size(); ++i)
                    diff += std::abs(a[i] - b[i]);
                return a.size() == b.size() && diff <= tol;
            };
            // A value on a bin edge may fall either side after float rounding: at most one value moves.
            QVERIFY(close(got.teacherHistogram, histogram(t), 2.0 / t.size() + 1e-12));
            QVERIFY(close(got.studentHistogram, histogram(s), 2.0 / s.size() + 1e-12));
            auto mean = [](const std::vector<double>& v) {
                return std::accumulate(v.begin(), v.end(), 0.0) / v.size();
            };
            auto stddev = [&](const std::vector<double>& v) {
                const double m = mean(v);
                double sum = 0;
                for (double x : v)
                    sum += (x - m) * (x - m);
                return std::sqrt(sum / v.size());
            };
            QVERIFY(std::abs(got.teacherMean - mean(t)) < 1e-5);
            QVERIFY(std::abs(got.studentStd - stddev(s)) < 1e-5);
            auto quantile = [](std::vector<double> v, double q) {
                std::sort(v.begin(), v.end());
                const double pos = q * (v.size() - 1);
                const size_t i = static_cast<size_t>(pos);
                return i + 1 < v.size() ? v[i] + (pos - i) * (v[i + 1] - v[i]) : v[i];
            };
            QVERIFY(std::abs(got.studentQuantiles[2] - quantile(s, 0.5)) < 1e-5);
            QVERIFY(std::abs(got.teacherQuantiles[4] - quantile(t, 0.95)) < 1e-5);
            // KL of the spatial softmax at τ, per sample, averaged; and the mean softmax maps.
            double kl = 0;
            std::vector<double> meanT(hw, 0.0);
            for (int64_t n = 0; n < 5; ++n) {
                auto softmax = [&](const std::vector<double>& v) {
                    double m = -1e300, z = 0;
                    for (int64_t k = 0; k < hw; ++k)
                        m = std::max(m, v[n * hw + k] / 2.0);
                    std::vector<double> p(hw);
                    for (int64_t k = 0; k < hw; ++k)
                        z += p[k] = std::exp(v[n * hw + k] / 2.0 - m);
                    for (auto& x : p)
                        x /= z;
                    return p;
                };
                const auto pt = softmax(t), ps = softmax(s);
                for (int64_t k = 0; k < hw; ++k) {
                    if (pt[k] > 0) kl += pt[k] * (std::log(pt[k]) - std::log(ps[k])) / 5.0;
                    meanT[k] += pt[k] / 5.0;
                }
            }
            QVERIFY2(std::abs(got.kl - kl) < 1e-5 * std::max(1.0, kl),
                     qPrintable(QString("%1 vs %2").arg(got.kl).arg(kl)));
            for (int64_t k = 0; k < hw; ++k)
                QVERIFY(std::abs(got.teacherSoftmax[k] - meanT[k]) < 1e-5);
        }
        // A train run: the student's channels alone.
        req.teacherTap.clear();
        req.runDir = root + "/teacher";
        req.studentTap = "stage3";
        const ChannelDistributions alone = channelDistributions(req);
        QVERIFY(!alone.withTeacher);
        QCOMPARE(alone.channels.size(), size_t{64});
        QVERIFY(alone.channels[0].teacherHistogram.empty());
        req.studentTap = "logits";
        QVERIFY_THROWS_EXCEPTION(Error, channelDistributions(req));
    }

    void teacherCacheGivesIdenticalTraining() {
        const std::string root = tests::scratchDir("cache");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        // No random transforms: every epoch feeds the teacher the same inputs, so its outputs are cached.
        const std::string text =
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: cwd, teacher_tap: stage3, student_tap: stage3, weight: 5, tau: 4}\n"
                        "  - {method: kd, weight: 1.0, tau: 4}\n");
        auto run = [&](const std::string& name, bool cache) -> std::shared_ptr<Recorder> {
            Recipe r = recipeFrom(
                text, {"job=distill", "transforms.train=[{normalize: {mean: [0.286], std: [0.353]}}]"});
            JobOptions o{root + "/" + name};
            o.cacheTeacher = cache;
            Job job(r, o);
            auto rec = std::make_shared<Recorder>();
            job.addObserver(rec);
            job.start();
            return job.wait().status == RunStatus::Finished ? rec : nullptr;
        };
        auto cached = run("cached", true), plain = run("plain", false);
        QVERIFY(cached && plain);
        QVERIFY(std::any_of(cached->logs.begin(), cached->logs.end(), [](const std::string& l) {
            return l.find("caching teacher outputs") != std::string::npos;
        }));
        QCOMPARE(cached->steps.size(), size_t{16});
        QCOMPARE(cached->steps.size(), plain->steps.size());
        // The first epoch computes the teacher in both runs: identical. Later the cached run reads the stored
        // outputs while the plain run recomputes them on reshuffled batches, where vectorised reductions meet
        // each sample at another memory alignment: equal up to float rounding, which training then carries
        // (1e-3 relative after 8 more steps; a cache that mixed up samples would be off by far more).
        const size_t firstEpoch = cached->steps.size() / 2;
        for (size_t i = 0; i < cached->steps.size(); ++i)
            for (size_t t = 0; t < 3; ++t) {
                const double a = cached->steps[i].terms[t].second, b = plain->steps[i].terms[t].second;
                const double tolerance = i < firstEpoch ? 0.0 : 1e-3 * std::max(1e-3, std::abs(b));
                QVERIFY2(std::abs(a - b) <= tolerance, qPrintable(QString("step %1 term %2: %3 vs %4")
                                                                      .arg(i)
                                                                      .arg(t)
                                                                      .arg(a, 0, 'g', 12)
                                                                      .arg(b, 0, 'g', 12)));
            }
    }

    void sharedTeacherCacheServesLaterRuns() {
        const std::string root = tests::scratchDir("shared_cache");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const std::string cache = root + "/cache";
        const std::string text =
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: cwd, teacher_tap: stage3, student_tap: stage3, weight: 5, tau: 4}\n"
                        "  - {method: kd, weight: 1.0, tau: 4}\n");
        const std::string deterministic = "transforms.train=[{normalize: {mean: [0.286], std: [0.353]}}]";
        auto run = [&](const std::string& name, std::vector<std::string> overrides = {},
                       int64_t maxBytes = 0) -> std::shared_ptr<Recorder> {
            overrides.insert(overrides.begin(), {"job=distill", deterministic});
            JobOptions o{root + "/" + name};
            o.teacherCacheDir = cache;
            o.teacherCacheBytes = maxBytes;
            Job job(recipeFrom(text, overrides), o);
            auto rec = std::make_shared<Recorder>();
            job.addObserver(rec);
            job.start();
            return job.wait().status == RunStatus::Finished ? rec : nullptr;
        };
        auto logged = [](const std::shared_ptr<Recorder>& rec, const std::string& what) {
            return std::any_of(rec->logs.begin(), rec->logs.end(),
                               [&](const std::string& l) { return l.find(what) != std::string::npos; });
        };
        // Later runs must train exactly as the run that filled the cache: the same stored fp32 values.
        auto same = [](const std::shared_ptr<Recorder>& a, const std::shared_ptr<Recorder>& b) {
            if (a->steps.size() != b->steps.size() || a->steps.empty()) return false;
            for (size_t i = 0; i < a->steps.size(); ++i)
                for (size_t t = 0; t < a->steps[i].terms.size(); ++t)
                    if (a->steps[i].terms[t].second != b->steps[i].terms[t].second) return false;
            return true;
        };

        auto first = run("first");
        QVERIFY(first);
        QVERIFY(logged(first, "stored in the shared cache"));
        auto entries = listTeacherCache(cache);
        QCOMPARE(entries.size(), size_t{1});
        QCOMPARE(entries[0].samples, int64_t{256});
        QVERIFY(std::find(entries[0].taps.begin(), entries[0].taps.end(), "stage3") != entries[0].taps.end());
        // stage3 is 64×7×7 floats per sample (plus the logits for KD).
        QVERIFY(entries[0].bytes >= 256 * 64 * 7 * 7 * 4);
        const std::string entry = cache + "/" + entries[0].key;

        auto second = run("second");
        QVERIFY(second);
        QVERIFY(logged(second, "read from the shared cache"));
        QVERIFY(!logged(second, "stored in the shared cache"));
        QVERIFY(same(first, second));

        // Another seed is another key only if the data or teacher change: it reuses the entry.
        auto otherSeed = run("seed", {"seed=9"});
        QVERIFY(otherSeed && logged(otherSeed, "read from the shared cache"));
        QCOMPARE(listTeacherCache(cache).size(), size_t{1});

        // A truncated file: ignored with a warning, recomputed, and replaced.
        fs::resize_file(entry + "/tap0.f32", 100);
        auto damaged = run("damaged");
        QVERIFY(damaged);
        QVERIFY(logged(damaged, "wrong size"));
        QVERIFY(logged(damaged, "stored in the shared cache"));
        QVERIFY(same(first, damaged));
        QCOMPARE(fs::file_size(entry + "/tap0.f32"), static_cast<uintmax_t>(entries[0].bytes) -
                                                         fs::file_size(entry + "/entry.json") -
                                                         fs::file_size(entry + "/tap1.f32"));

        // Content that never reached the disk (right size, zeros): caught by the entry's checksum.
        auto zeroTap = [&] {
            const auto bytes = fs::file_size(entry + "/tap0.f32");
            std::ofstream out(entry + "/tap0.f32", std::ios::binary | std::ios::trunc);
            std::vector<char> zeros(bytes, 0);
            out.write(zeros.data(), static_cast<std::streamsize>(zeros.size()));
        };
        zeroTap();
        auto unwritten = run("unwritten");
        QVERIFY(unwritten);
        QVERIFY(logged(unwritten, "does not match its checksum"));
        QVERIFY(same(first, unwritten));
        // Values that do not match the teacher although the entry is consistent (its checksum rewritten too):
        // caught on the first batch against the teacher itself.
        zeroTap();
        {
            std::ifstream in(entry + "/entry.json");
            nlohmann::json j = nlohmann::json::parse(in);
            j["taps"][0]["checksum"] = 0.0;
            std::ofstream(entry + "/entry.json") << j.dump();
        }
        auto stale = run("stale");
        QVERIFY(stale);
        QVERIFY(logged(stale, "does not match the teacher"));
        QVERIFY(same(first, stale));
        auto afterStale = run("after_stale");
        QVERIFY(afterStale && logged(afterStale, "read from the shared cache"));
        QVERIFY(same(first, afterStale));

        // Another tap is another key; with a bound smaller than both, the older entry goes.
        auto other = run(
            "other",
            {"losses=[{method: task}, {method: cwd, teacher_tap: stage2, student_tap: stage2, weight: 5}]"},
            1);
        QVERIFY(other);
        auto after = listTeacherCache(cache);
        QCOMPARE(after.size(), size_t{1});
        QVERIFY(after[0].key != entries[0].key);
        QVERIFY(!fs::exists(entry));
        QVERIFY(cacheLeftovers(cache).empty());
        QVERIFY(clearTeacherCache(cache) > 0);
        QVERIFY(listTeacherCache(cache).empty());
    }

    void concurrentRunsShareOneCacheEntry() {
        const std::string root = tests::scratchDir("concurrent_cache");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const std::string cache = root + "/cache";
        const std::string text =
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: cwd, teacher_tap: stage2, student_tap: stage2, weight: 5, tau: 4}\n");
        std::vector<std::unique_ptr<Job>> jobs;
        for (const char* name : {"a", "b", "c"}) {
            JobOptions o{root + "/" + name};
            o.teacherCacheDir = cache;
            o.threads = 1;
            jobs.push_back(std::make_unique<Job>(
                recipeFrom(text, {"job=distill", "train.epochs=1",
                                  "transforms.train=[{normalize: {mean: [0.286], std: [0.353]}}]"}),
                o));
        }
        for (auto& j : jobs)
            j->start();
        for (auto& j : jobs)
            QCOMPARE(j->wait().status, RunStatus::Finished);
        QCOMPARE(listTeacherCache(cache).size(), size_t{1});
        QVERIFY(cacheLeftovers(cache).empty());
    }

    void int8TeacherTeachesAndIsRecorded() {
        const std::string root = tests::scratchDir("int8_teacher");
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        const std::string text =
            withTeacher(root,
                        "  - {method: task, weight: 1.0}\n"
                        "  - {method: cwd, teacher_tap: stage3, student_tap: stage3, weight: 5, tau: 4}\n"
                        "  - {method: kd, weight: 1.0, tau: 4}\n",
                        ", precision: int8");
        Job job(recipeFrom(text, {"job=distill"}), {root + "/run"});
        auto rec = std::make_shared<Recorder>();
        job.addObserver(rec);
        job.start();
        QCOMPARE(job.wait().status, RunStatus::Finished);
        QVERIFY(std::any_of(rec->logs.begin(), rec->logs.end(), [](const std::string& l) {
            return l.find("teacher: int8 agrees with its fp32 self") != std::string::npos;
        }));
        const RunSummaryRecord s = RunFolder(root + "/run").readSummary();
        QVERIFY(s.teacher.has_value());
        QCOMPARE(s.teacher->precision, std::string("int8"));
        // The int8 teacher (per-channel weights, calibrated activations) keeps nearly every prediction.
        QVERIFY2(s.teacher->agreement > 0.9 && s.teacher->agreement <= 1.0,
                 qPrintable(QString::number(s.teacher->agreement)));
        for (const auto& st : rec->steps)
            for (const auto& [name, value] : st.terms)
                QVERIFY(std::isfinite(value));
        // The recipe round-trips the choice, and an unknown precision names the field and the choices.
        QVERIFY(recipeToYaml(recipeFrom(text, {"job=distill"})).find("precision: int8") != std::string::npos);
        try {
            recipeFrom(text, {"job=distill", "teacher.precision=int4"});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("teacher.precision") && QString(e.what()).contains("int8"),
                     e.what());
        }
    }

    void bf16MixedPrecisionTrainsCloseToFp32() {
        // bf16 where the CPU has it natively (forced here, so the test runs on any CPU: LibTorch emulates
        // bf16 where it is not native). The first step's loss is the same forward pass in two precisions:
        // close (bf16 keeps 8 bits of mantissa) but not identical, so the forward pass really ran in bf16;
        // the weights stay fp32 (a checkpoint loads into an fp32 model) and training still lowers the loss.
        const std::string root = tests::scratchDir("bf16");
        ::setenv("DISTILLERY_CPU_BF16", "1", 1);
        auto run = [&](const std::string& precision) -> std::shared_ptr<Recorder> {
            Job job(recipeFrom(baseRecipe(), {"precision=" + precision, "data.workers=0"}),
                    {root + "/" + precision});
            auto rec = std::make_shared<Recorder>();
            job.addObserver(rec);
            job.start();
            return job.wait().status == RunStatus::Finished ? rec : nullptr;
        };
        auto fp32 = run("fp32"), bf16 = run("bf16");
        QVERIFY(fp32 && bf16);
        QVERIFY(std::any_of(bf16->logs.begin(), bf16->logs.end(), [](const std::string& l) {
            return l.find("bf16 mixed precision") != std::string::npos;
        }));
        QCOMPARE(bf16->steps.size(), fp32->steps.size());
        const double a = bf16->steps.front().total, b = fp32->steps.front().total;
        QVERIFY2(a != b, "the bf16 run computed exactly the fp32 numbers: autocast was not active");
        QVERIFY2(std::abs(a - b) < 0.02 * b,
                 qPrintable(QString("first loss bf16 %1 vs fp32 %2").arg(a).arg(b)));
        const auto mean = [](const std::vector<StepEvent>& s, size_t from, size_t to) {
            double sum = 0;
            for (size_t i = from; i < to; ++i)
                sum += s[i].total;
            return sum / static_cast<double>(to - from);
        };
        const size_t n = bf16->steps.size();
        QVERIFY2(mean(bf16->steps, n - 4, n) < mean(bf16->steps, 0, 4),
                 "bf16 training did not lower the loss");
        QVERIFY(std::abs(mean(bf16->steps, n - 4, n) - mean(fp32->steps, n - 4, n)) <
                0.25 * mean(fp32->steps, n - 4, n));
        // The run evaluates and checkpoints like an fp32 run: the checkpoint's student evaluates to its
        // metric.
        QVERIFY(fs::exists(root + "/bf16/checkpoints/best.pt"));
        // The run folder says what it trained in (summary and checkpoints).
        QCOMPARE(nlohmann::json::parse(std::ifstream(root + "/bf16/summary.json"))["student"].value(
                     "precision", ""),
                 std::string("bf16"));
        QCOMPARE(nlohmann::json::parse(std::ifstream(root + "/fp32/summary.json"))["student"].value(
                     "precision", ""),
                 std::string("fp32"));
        QCOMPARE(readCheckpointMeta(RunPaths{root + "/bf16"}.checkpoint("best")).precision,
                 std::string("bf16"));
        QVERIFY(std::isfinite(metric(bf16->epochs.back().metrics, "top1")));

        // A distillation with a bf16 teacher says so in its log (the decision is made before observers
        // attach).
        QCOMPARE(trainTeacher(root + "/teacher").status, RunStatus::Finished);
        {
            Job job(recipeFrom(baseRecipe("teacher: {arch: resnet8, checkpoint: " + root + "/teacher}\n"),
                               {"job=distill", "teacher.precision=bf16", "data.workers=0"}),
                    {root + "/distill", false, 0, 2});
            auto rec = std::make_shared<Recorder>();
            job.addObserver(rec);
            job.start();
            QCOMPARE(job.wait().status, RunStatus::Finished);
            QVERIFY(std::any_of(rec->logs.begin(), rec->logs.end(), [](const std::string& l) {
                return l.rfind("teacher: bf16 mixed precision", 0) == 0;
            }));
        }
        ::unsetenv("DISTILLERY_CPU_BF16");

        // Without native bf16, bf16 falls back to fp32 (faster there) and says so; fp32 never uses it.
        ::setenv("DISTILLERY_CPU_BF16", "0", 1);
        std::string note;
        QVERIFY(!useBf16("bf16", torch::kCPU, &note));
        QVERIFY2(note.find("no native bf16") != std::string::npos, note.c_str());
        QVERIFY(!useBf16("auto", torch::kCPU));
        ::setenv("DISTILLERY_CPU_BF16", "1", 1);
        QVERIFY(useBf16("bf16", torch::kCPU) && useBf16("auto", torch::kCPU));
        QVERIFY(!useBf16("fp32", torch::kCPU));
        ::unsetenv("DISTILLERY_CPU_BF16");

        // auto takes bf16 only where its convolutions measured faster: some CPUs with AVX512-BF16 run them
        // at half the fp32 rate. An explicit bf16 is honoured on any native CPU.
        QVERIFY(chooseBf16("auto", true, "avx512_bf16", 1.9, &note));
        QVERIFY2(note.find("1.9x as fast as fp32") != std::string::npos, note.c_str());
        QVERIFY(!chooseBf16("auto", true, "avx512_bf16", 0.54, &note));
        QVERIFY2(note.find("avx512_bf16, but its bf16 convolutions ran 0.54x") != std::string::npos &&
                     note.find("computing in fp32") != std::string::npos,
                 note.c_str());
        QVERIFY(!chooseBf16("auto", true, "avx512_bf16", kBf16AutoSpeedup - 0.01, nullptr));
        QVERIFY(chooseBf16("auto", true, "avx512_bf16", kBf16AutoSpeedup, nullptr));
        QVERIFY(chooseBf16("bf16", true, "avx512_bf16", 0.54, nullptr));
        QVERIFY(chooseBf16("auto", true, "amx_bf16", std::nan(""), &note));  // not measured: taken as faster
        QVERIFY(!chooseBf16("auto", true, "", 3.0, nullptr) && !chooseBf16("bf16", false, "x", 3.0, nullptr));
        QVERIFY(!chooseBf16("fp32", true, "avx512_bf16", 3.0, nullptr));
        // The measurement itself: positive, finite, cached for the process.
        const double training = measuredBf16Speedup(false), inference = measuredBf16Speedup(true);
        QVERIFY(std::isfinite(training) && training > 0 && std::isfinite(inference) && inference > 0);
        QCOMPARE(measuredBf16Speedup(false), training);
    }

    void mutualLearningTrainsBothPeers() {
        // Deep mutual learning without a teacher: ResNet-8 and a peer ResNet-8 learn from the labels and each
        // other. Both improve; the peer is evaluated each epoch and kept as its own checkpoint; a run stopped
        // after epoch 1 and resumed ends where the uninterrupted one does, peer included.
        const std::string extra = "losses: [{method: task}, {method: dml, peer: resnet8, tau: 1}]\n";
        const std::string dir = tests::scratchDir("dml");
        auto runTo = [&](const std::string& out, int64_t maxSteps, bool resume) {
            JobOptions o{out, resume, 2, maxSteps};
            Job job(resume ? loadRunRecipe(out) : recipeFrom(baseRecipe(extra), {"data.subset=512"}), o);
            auto rec = std::make_shared<Recorder>();
            job.addObserver(rec);
            job.start();
            const RunSummary s = job.wait();
            return std::make_pair(s, rec);
        };
        const auto [full, rec] = runTo(dir + "/full", 0, false);
        QCOMPARE(full.status, RunStatus::Finished);
        QCOMPARE(rec->epochs.size(), size_t{2});
        auto metric = [](const std::vector<std::pair<std::string, double>>& m, const std::string& name) {
            for (const auto& [k, v] : m)
                if (k == name) return v;
            return -1.0;
        };
        for (const char* name : {"top1", "peer1/top1"}) {
            const double first = metric(rec->epochs[0].metrics, name),
                         last = metric(rec->epochs[1].metrics, name);
            QVERIFY2(last > 40.0 && last >= first - 2.0,
                     qPrintable(QString("%1: epoch 1 %2, epoch 2 %3").arg(name).arg(first).arg(last)));
        }
        // The peer's checkpoint evaluates to the metric the run reported for it.
        QVERIFY(fs::exists(dir + "/full/checkpoints/peer1.pt"));
        CheckpointMeta peerMeta;
        GraphNet peer = loadModel(dir + "/full/checkpoints/peer1.pt", &peerMeta, torch::kCPU);
        QCOMPARE(peerMeta.model.arch, std::string("resnet8"));
        // The term's value is the peer's and the student's parts together (its loss curve).
        QVERIFY(rec->steps.back().terms.size() == 2 && rec->steps.back().terms[1].first == "dml[logits]");
        // Cancelled in the middle of epoch 2 and resumed: the same numbers, peer included (its weights ride
        // in the checkpoint with the term).
        const int64_t stopAt = rec->steps.front().stepsPerEpoch + 3;
        runCancelledAt(recipeFrom(baseRecipe(extra), {"data.subset=512"}), dir + "/split",
                       [stopAt](const StepEvent& e) { return e.step == stopAt; });
        const auto [resumed, rec2] = runTo(dir + "/split", 0, true);
        QCOMPARE(resumed.status, RunStatus::Finished);
        QCOMPARE(metric(resumed.finalMetrics, "top1"), metric(full.finalMetrics, "top1"));
        QCOMPARE(metric(resumed.finalMetrics, "peer1/top1"), metric(full.finalMetrics, "peer1/top1"));
        // Refused on segmentation data, and teacher_kd without a teacher.
        QVERIFY_THROWS_EXCEPTION(
            Error, Job(recipeFrom(baseRecipe(
                           "losses: [{method: task}, {method: dml, peer: resnet8, teacher_kd: 1}]\n")),
                       {dir + "/never"}));
    }

    void refusesToOverwriteARun() {
        const std::string dir = tests::scratchDir("overwrite");
        std::ofstream(dir + "/precious.txt") << "keep me";
        try {
            Job job(recipeFrom(baseRecipe()), {dir});
            QFAIL("expected an error");
        } catch (const Error& e) {
            QVERIFY2(QString(e.what()).contains("not empty"), e.what());
        }
        QCOMPARE(lines(dir + "/precious.txt").at(0), std::string("keep me"));
        QVERIFY_THROWS_EXCEPTION(Error, Job(recipeFrom(baseRecipe()), {dir + "/none", true}));
    }
};

DISTILLERY_TEST_SUITE("trainer", TrainerTest);
#include "test_trainer.moc"
