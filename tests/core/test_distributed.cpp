// Data-parallel training over c10d (docs/DISTRIBUTED.md): sharding, synchronised batch norm against
// LibTorch's, two processes against one, resume of a killed job, a rank killed mid-run, and the set-up
// errors.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/torch.h>
#include <unistd.h>
#include <QtTest/QtTest>

#include <QProcess>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/dataset.h"
#include "core/distributed.h"
#include "core/internal/distributed.h"
#include "core/internal/loader.h"
#include "tests/core/suites.h"

using namespace distillery;
namespace fs = std::filesystem;

namespace {

constexpr int kRunMs = 300 * 1000;

struct Run {
    int exitCode = -1;
    bool timedOut = false;
    QString err;
    double seconds = 0;
};

QProcessEnvironment baseEnvironment() {
    auto env = QProcessEnvironment::systemEnvironment();
    for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"})
        env.remove(QString::fromLatin1(name));
    env.insert("DISTILLERY_TEACHER_CACHE", "off");
    return env;
}

void startCli(QProcess& process, const QStringList& args, const QProcessEnvironment& env) {
    process.setProcessEnvironment(env);
    process.setProgram(QStringLiteral(DISTILLERY_CLI));
    process.setArguments(args);
    process.setWorkingDirectory(QStringLiteral(DISTILLERY_SOURCE_DIR));
    process.start();
    QVERIFY(process.waitForStarted());
}

Run finishCli(QProcess& process, int timeoutMs = kRunMs) {
    Run run;
    QElapsedTimer timer;
    timer.start();
    if (!process.waitForFinished(timeoutMs)) {
        run.timedOut = true;
        process.kill();
        process.waitForFinished();
    }
    run.seconds = timer.elapsed() / 1000.0;
    run.exitCode = process.exitStatus() == QProcess::CrashExit ? -1 : process.exitCode();
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

Run runCli(const QStringList& args, const QProcessEnvironment& env = baseEnvironment(),
           int timeoutMs = kRunMs) {
    QProcess process;
    startCli(process, args, env);
    return finishCli(process, timeoutMs);
}

QString describe(const Run& run) {
    return QStringLiteral("exit %1%2 after %3 s\n%4")
        .arg(run.exitCode)
        .arg(run.timedOut ? " (timed out)" : "")
        .arg(run.seconds)
        .arg(run.err.right(3000));
}

int freePort() {
    return freeLoopbackPort();
}

/** A listening socket on every interface, holding a port. */
struct TakenPort {
    int fd = -1;
    int port = 0;
    TakenPort() {
        fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
        socklen_t len = sizeof addr;
        ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        ::listen(fd, 1);
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
        port = ntohs(addr.sin_port);
    }
    ~TakenPort() { ::close(fd); }
};

/** A short, well-conditioned KD recipe with a deterministic pipeline and synchronised batch norm: rounding
 *  differences between one process and two stay at rounding size over 30 steps (a large learning rate with
 *  momentum amplifies them, in PyTorch's DDP as here). */
QStringList kdArguments(int steps) {
    return {QStringLiteral("fmnist_kd"),
            "--threads",
            "2",
            "--no-baseline",
            "--set",
            "data.subset=" + QString::number(steps * 64),
            "--set",
            "data.workers=1",
            "--set",
            "train.batch_size=64",
            "--set",
            "train.eval_batch_size=500",
            "--set",
            "train.epochs=1",
            "--set",
            "train.log_every=1",
            "--set",
            "train.sync_bn=true",
            "--set",
            "precision=fp32",
            "--set",
            "teacher.precision=fp32",
            "--set",
            "optim.lr=0.005",
            "--set",
            "optim.momentum=0",
            "--set",
            "optim.nesterov=false",
            "--set",
            "transforms.train=[{normalize: {mean: [0.2860], std: [0.3530]}}]"};
}

/** metrics.jsonl as (step, split, name) → value. */
std::map<std::tuple<int64_t, std::string, std::string>, double> readMetrics(const std::string& runDir) {
    std::map<std::tuple<int64_t, std::string, std::string>, double> out;
    std::ifstream in(runDir + "/metrics.jsonl");
    std::string line;
    while (std::getline(in, line)) {
        auto j = nlohmann::json::parse(line);
        out[{j["step"].get<int64_t>(), j["split"].get<std::string>(), j["name"].get<std::string>()}] =
            j["value"].is_null() ? std::nan("") : j["value"].get<double>();
    }
    return out;
}

nlohmann::json readJson(const std::string& path) {
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

/** Scratch folders of data-parallel ranks left in the temporary directory. */
int leftoverScratchFolders() {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(fs::temp_directory_path()))
        if (entry.path().filename().string().rfind("distillery-port", 0) == 0) ++n;
    return n;
}

/** The pid of the `distillery-cli worker` whose parent is `parent`, or -1. */
int workerOf(qint64 parent) {
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream cmd(entry.path() / "cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(cmd)), std::istreambuf_iterator<char>());
        if (cmdline.find(std::string("worker") + '\0') == std::string::npos ||
            cmdline.find("distillery-cli") == std::string::npos)
            continue;
        std::ifstream stat(entry.path() / "stat");
        std::string statLine;
        std::getline(stat, statLine);
        const auto close = statLine.rfind(')');
        std::istringstream fields(statLine.substr(close + 2));
        std::string state;
        long long ppid = 0;
        fields >> state >> ppid;
        if (ppid == parent) return std::stoi(pid);
    }
    return -1;
}

}  // namespace

class DistributedTest : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void shardOfBatchSplitsExactly() {
        QCOMPARE(shardOfBatch(10, 0, 3), std::make_pair(int64_t{0}, int64_t{3}));
        QCOMPARE(shardOfBatch(10, 1, 3), std::make_pair(int64_t{3}, int64_t{6}));
        QCOMPARE(shardOfBatch(10, 2, 3), std::make_pair(int64_t{6}, int64_t{10}));
        QCOMPARE(shardOfBatch(7, 0, 1), std::make_pair(int64_t{0}, int64_t{7}));
        QCOMPARE(threadsPerProcess(2, 2), 1);
        QCOMPARE(threadsPerProcess(7, 2), 3);
        QCOMPARE(threadsPerProcess(1, 4), 1);
    }

    void shardingCoversEverySampleOncePerEpoch() {
        DataConfig data;
        data.dataset = "fashion_mnist";
        data.root = "/usr/share/datasets/fashion-mnist";
        data.subset = 1000;
        auto train = openDataset(data, Split::Train);
        for (int world : {2, 3}) {
            for (int64_t epoch : {1, 2}) {
                // One process's batches, then each rank's parts of them.
                BatchLoader one(train, {}, 128, true, false, 7, 1);
                one.startEpoch(epoch);
                std::vector<std::vector<int64_t>> reference;
                Batch b;
                while (one.next(b))
                    reference.push_back(b.indices);
                std::vector<std::vector<int64_t>> joined(reference.size());
                std::multiset<int64_t> seen;
                for (int rank = 0; rank < world; ++rank) {
                    BatchLoader part(train, {}, 128, true, false, 7, 1);
                    part.setShard(rank, world, BatchLoader::Sharding::SplitBatches);
                    part.startEpoch(epoch);
                    QCOMPARE(part.batchesPerEpoch(), static_cast<int64_t>(reference.size()));
                    size_t k = 0;
                    while (part.next(b)) {
                        QCOMPARE(b.globalSize, static_cast<int64_t>(reference[k].size()));
                        QCOMPARE(b.images.size(0), static_cast<int64_t>(b.indices.size()));
                        joined[k].insert(joined[k].end(), b.indices.begin(), b.indices.end());
                        seen.insert(b.indices.begin(), b.indices.end());
                        ++k;
                    }
                    QCOMPARE(k, reference.size());
                }
                QCOMPARE(joined, reference);  // rank order is batch order: the same global batches
                QCOMPARE(static_cast<int64_t>(seen.size()), train->size());
                QCOMPARE(static_cast<int64_t>(std::set<int64_t>(seen.begin(), seen.end()).size()),
                         train->size());

                // Evaluation: whole batches, every sample once over the ranks.
                std::multiset<int64_t> evaluated;
                for (int rank = 0; rank < world; ++rank) {
                    BatchLoader part(train, {}, 300, false, false, 7, 1);
                    part.setShard(rank, world, BatchLoader::Sharding::WholeBatches);
                    part.startEpoch(1);
                    while (part.next(b))
                        evaluated.insert(b.indices.begin(), b.indices.end());
                }
                QCOMPARE(static_cast<int64_t>(evaluated.size()), train->size());
                QCOMPARE(static_cast<int64_t>(std::set<int64_t>(evaluated.begin(), evaluated.end()).size()),
                         train->size());
            }
        }
        // A last batch smaller than the job is left out (each rank needs a sample of every batch).
        DataConfig small = data;
        small.subset = 129;
        auto tiny = openDataset(small, Split::Train);
        BatchLoader part(tiny, {}, 128, false, false, 7, 1);
        part.setShard(0, 2, BatchLoader::Sharding::SplitBatches);
        QCOMPARE(part.batchesPerEpoch(), int64_t{1});
    }

    void synchronisedBatchNormOnOneProcessIsBatchNorm() {
        // With no other rank, the synchronised arithmetic must be LibTorch's batch norm (values, gradients
        // and running statistics).
        torch::manual_seed(3);
        torch::nn::BatchNorm2d reference(torch::nn::BatchNorm2dOptions(5).momentum(0.1));
        torch::nn::BatchNorm2d mine(torch::nn::BatchNorm2dOptions(5).momentum(0.1));
        {
            torch::NoGradGuard g;
            reference->weight.uniform_(0.5, 1.5);
            reference->bias.uniform_(-0.5, 0.5);
            mine->weight.copy_(reference->weight);
            mine->bias.copy_(reference->bias);
        }
        auto x = (torch::randn({6, 5, 4, 3}) * 3 + 1).contiguous(torch::MemoryFormat::ChannelsLast);
        auto upstream = torch::randn({6, 5, 4, 3});
        auto xa = x.clone().requires_grad_(true), xb = x.clone().requires_grad_(true);
        auto ya = reference->forward(xa);
        auto yb = syncBatchNorm(nullptr, *mine, xb);
        QVERIFY(torch::allclose(ya, yb, 1e-5, 1e-5));
        (ya * upstream).sum().backward();
        (yb * upstream).sum().backward();
        QVERIFY(torch::allclose(xa.grad(), xb.grad(), 1e-4, 1e-5));
        QVERIFY(torch::allclose(reference->weight.grad(), mine->weight.grad(), 1e-4, 1e-5));
        QVERIFY(torch::allclose(reference->bias.grad(), mine->bias.grad(), 1e-4, 1e-5));
        QVERIFY(torch::allclose(reference->running_mean, mine->running_mean, 1e-6, 1e-6));
        QVERIFY(torch::allclose(reference->running_var, mine->running_var, 1e-5, 1e-6));
        QCOMPARE(mine->num_batches_tracked.item<int64_t>(), int64_t{1});
    }

    void twoProcessesTrainAsOne() {
        const std::string dir = tests::scratchDir("distributed_two");
        QStringList one = kdArguments(30), two = kdArguments(30);
        one << "--out" << QString::fromStdString(dir + "/one");
        two << "--out" << QString::fromStdString(dir + "/two") << "--nproc"
            << "2";
        const Run a = runCli(QStringList{"train"} + one);
        QVERIFY2(a.exitCode == 0, qPrintable(describe(a)));
        const Run b = runCli(QStringList{"train"} + two);
        QVERIFY2(b.exitCode == 0, qPrintable(describe(b)));
        const auto ma = readMetrics(dir + "/one"), mb = readMetrics(dir + "/two");
        int compared = 0;
        for (const auto& [key, value] : ma) {
            const auto& [step, split, name] = key;
            if (split != "train" || name.rfind("loss/", 0) != 0) continue;
            QVERIFY2(mb.count(key), qPrintable(QString::fromStdString(name)));
            const double other = mb.at(key);
            // Two halves reduce their gradients and sync-BN statistics in another order than one process
            // does; SGD carries those fp32 rounding differences on, to 1.1e-4 of the loss by step 21 on a
            // machine measured here (the same with the engine of before and after once-QAT). A wrong average
            // (a sum, a missing rank's share) moves the loss by far more within these 30 steps.
            QVERIFY2(std::abs(value - other) <= 3e-4 * std::max(1.0, std::abs(value)),
                     qPrintable(QStringLiteral("step %1 %2: %3 vs %4")
                                    .arg(step)
                                    .arg(QString::fromStdString(name))
                                    .arg(value, 0, 'g', 10)
                                    .arg(other, 0, 'g', 10)));
            ++compared;
        }
        QVERIFY(compared >= 30 * 3);  // task, kd and total at every step
        QVERIFY(mb.count({int64_t{10}, std::string("train"), std::string("gradient_wait_ms")}));
        const auto sa = readJson(dir + "/one/summary.json"), sb = readJson(dir + "/two/summary.json");
        // The same final metric: top-1 may differ by one validation sample (1920 here) whose two best logits
        // are within rounding of each other, nothing more.
        QVERIFY2(std::abs(sa["final"]["top1"].get<double>() - sb["final"]["top1"].get<double>()) <=
                     100.0 / 1920 + 1e-9,
                 qPrintable(QStringLiteral("top1 %1 vs %2")
                                .arg(sa["final"]["top1"].get<double>())
                                .arg(sb["final"]["top1"].get<double>())));
        QVERIFY(std::abs(sa["final"]["loss"].get<double>() - sb["final"]["loss"].get<double>()) < 1e-4);
        QCOMPARE(sa["world_size"].get<int>(), 1);
        QCOMPARE(sb["world_size"].get<int>(), 2);
        QCOMPARE(sb["steps"].get<int64_t>(), int64_t{30});
        // Only rank 0 wrote the run folder.
        QVERIFY(fs::is_regular_file(dir + "/two/checkpoints/best.pt"));
    }

    void killedTwoProcessRunResumes() {
        const std::string dir = tests::scratchDir("distributed_resume");
        QStringList args = kdArguments(40);
        args << "--set"
             << "train.checkpoint_every=4";
        // Uninterrupted, for the answer.
        const Run whole =
            runCli(QStringList{"train"} + args +
                   QStringList{"--out", QString::fromStdString(dir + "/whole"), "--nproc", "2"});
        QVERIFY2(whole.exitCode == 0, qPrintable(describe(whole)));

        // Killed (rank 0, by SIGKILL) once a mid-epoch checkpoint exists.
        QProcess victim;
        startCli(victim,
                 QStringList{"train"} + args +
                     QStringList{"--out", QString::fromStdString(dir + "/killed"), "--nproc", "2"},
                 baseEnvironment());
        const std::string last = dir + "/killed/checkpoints/last.pt";
        QElapsedTimer timer;
        timer.start();
        while (!fs::exists(last) && victim.state() == QProcess::Running && timer.elapsed() < 120000)
            QThread::msleep(20);
        QVERIFY2(fs::exists(last), "no mid-epoch checkpoint appeared");
        const qint64 rank0 = victim.processId();
        const int worker = workerOf(rank0);
        ::kill(static_cast<pid_t>(rank0), SIGKILL);
        victim.waitForFinished();
        // Its worker does not outlive it for long: the next collective fails.
        if (worker > 0) {
            timer.restart();
            while (::kill(worker, 0) == 0 && timer.elapsed() < 60000) {
                ::waitpid(worker, nullptr, WNOHANG);
                QThread::msleep(50);
            }
            QVERIFY2(::kill(worker, 0) != 0, "the worker of a killed rank 0 is still running after 60 s");
        }
        const auto meta = readMetrics(dir + "/killed");
        QVERIFY(!meta.empty());

        const Run resumed =
            runCli({"resume", QString::fromStdString(dir + "/killed"), "--threads", "2", "--nproc", "2"});
        QVERIFY2(resumed.exitCode == 0, qPrintable(describe(resumed)));
        const auto sw = readJson(dir + "/whole/summary.json"), sr = readJson(dir + "/killed/summary.json");
        QCOMPARE(sr["steps"].get<int64_t>(), int64_t{40});
        QCOMPARE(sr["status"].get<std::string>(), std::string("finished"));
        QVERIFY2(std::abs(sw["final"]["loss"].get<double>() - sr["final"]["loss"].get<double>()) < 1e-4,
                 qPrintable(QStringLiteral("%1 vs %2")
                                .arg(sw["final"]["loss"].get<double>())
                                .arg(sr["final"]["loss"].get<double>())));
        // The same run resumes on one process too (any world size).
        const Run again = runCli(
            {"resume", QString::fromStdString(dir + "/killed"), "--threads", "2", "--max-steps", "40"});
        QVERIFY2(again.exitCode == 0, qPrintable(describe(again)));
    }

    void aKilledRankEndsTheJob() {
        const std::string dir = tests::scratchDir("distributed_kill");
        QProcess job;
        startCli(job,
                 {"train", "fmnist_student", "--out", QString::fromStdString(dir + "/run"), "--threads", "2",
                  "--nproc", "2", "--no-baseline", "--set", "data.subset=20000", "--set", "train.epochs=3"},
                 baseEnvironment());
        QElapsedTimer timer;
        timer.start();
        int worker = -1;
        while (worker < 0 && timer.elapsed() < 60000) {
            worker = workerOf(job.processId());
            QThread::msleep(50);
        }
        QVERIFY2(worker > 0, "no worker process found");
        // Let training start, then kill rank 1.
        while (!fs::exists(dir + "/run/metrics.jsonl") && timer.elapsed() < 120000)
            QThread::msleep(50);
        QThread::msleep(500);
        ::kill(worker, SIGKILL);
        const Run run = finishCli(job, 120000);
        QVERIFY2(!run.timedOut, qPrintable(describe(run)));
        QVERIFY2(run.seconds < 60, qPrintable(describe(run)));
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("rank 1 (pid " + QString::number(worker) + ") was killed by signal 9"),
                 qPrintable(run.err));
        const auto summary = readJson(dir + "/run/summary.json");
        QCOMPARE(summary["status"].get<std::string>(), std::string("failed"));
        // Rank 0 removes the scratch folder of the worker it lost.
        QCOMPARE(leftoverScratchFolders(), 0);
    }

    void detectorEvaluationGathersEveryImage() {
        // Each rank evaluates whole batches; the boxes of every image are gathered before COCO AP, so the
        // job's final metrics are one process's evaluation of the same checkpoint.
        const std::string dir = tests::scratchDir("distributed_detection");
        const Run run =
            runCli({"train", "det_student", "--out", QString::fromStdString(dir + "/run"), "--nproc", "2",
                    "--threads", "2", "--no-baseline", "--set", "data.subset=192", "--set", "train.epochs=1",
                    "--set", "train.eval_batch_size=32", "--set", "precision=fp32"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const auto summary = readJson(dir + "/run/summary.json");
        // One process's evaluation of the checkpoint rank 0 saved (eval --json prints to stdout).
        QProcess p;
        startCli(p,
                 {"eval", QString::fromStdString(dir + "/run"), "--checkpoint", "last", "--threads", "2",
                  "--json"},
                 baseEnvironment());
        QVERIFY(p.waitForFinished(kRunMs));
        const auto single = nlohmann::json::parse(p.readAllStandardOutput().toStdString());
        // Percent for the AP family; the loss (the mean over every image) relative.
        for (const char* metric : {"ap", "ap50", "ap75", "ar100", "loss"}) {
            const double parallel = summary["final"][metric].get<double>();
            const double one = single["metrics"][metric].get<double>();
            QVERIFY2(std::abs(parallel - one) < (std::string(metric) == "loss" ? 1e-4 * std::abs(one) : 0.01),
                     qPrintable(QStringLiteral("%1: %2 vs %3").arg(metric).arg(parallel).arg(one)));
        }
        QCOMPARE(summary["world_size"].get<int>(), 2);
    }

    void launchedByTorchrun() {
        // PyTorch's own launcher (Debian's python3-torch): its agent serves the store on MASTER_PORT and each
        // process joins as the rank it is given. (--redirects/--tee 2: Debian's 1.13 launcher fails on Python
        // 3.11 with its default "0".)
        if (QProcess::execute("/usr/bin/python3", {"-c", "import torch.distributed.run"}) != 0)
            QSKIP("no torch.distributed.run in /usr/bin/python3");
        const std::string dir = tests::scratchDir("distributed_torchrun");
        QProcess launcher;
        launcher.setProcessEnvironment(baseEnvironment());
        launcher.setWorkingDirectory(QStringLiteral(DISTILLERY_SOURCE_DIR));
        launcher.start("/usr/bin/python3", {"-m",
                                            "torch.distributed.run",
                                            "--nproc_per_node=2",
                                            "--master_port=" + QString::number(freePort()),
                                            "--redirects",
                                            "2",
                                            "--tee",
                                            "2",
                                            "--log_dir",
                                            QString::fromStdString(dir + "/logs"),
                                            "--no_python",
                                            QStringLiteral(DISTILLERY_CLI),
                                            "train",
                                            "fmnist_student",
                                            "--out",
                                            QString::fromStdString(dir + "/run"),
                                            "--threads",
                                            "1",
                                            "--no-baseline",
                                            "--set",
                                            "data.subset=1024",
                                            "--set",
                                            "train.batch_size=64",
                                            "--set",
                                            "train.epochs=1"});
        QVERIFY(launcher.waitForStarted());
        const Run run = finishCli(launcher);
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const auto summary = readJson(dir + "/run/summary.json");
        QCOMPARE(summary["world_size"].get<int>(), 2);
        QCOMPARE(summary["steps"].get<int64_t>(), int64_t{16});
        QCOMPARE(summary["status"].get<std::string>(), std::string("finished"));
    }

    void setUpErrorsExitTwo() {
        const std::string dir = tests::scratchDir("distributed_errors");
        // Nobody serves the rendezvous.
        {
            auto env = baseEnvironment();
            env.insert("WORLD_SIZE", "2");
            env.insert("RANK", "1");
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", QString::number(freePort()));
            const Run run = runCli({"train", "fmnist_student", "--out", QString::fromStdString(dir + "/a"),
                                    "--dist-timeout", "2"},
                                   env, 60000);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("cannot reach the rendezvous at 127.0.0.1:"), qPrintable(run.err));
        }
        // The port is taken.
        {
            TakenPort taken;
            QVERIFY(taken.port > 0);
            auto env = baseEnvironment();
            env.insert("WORLD_SIZE", "2");
            env.insert("RANK", "0");
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", QString::number(taken.port));
            const Run run = runCli({"train", "fmnist_student", "--out", QString::fromStdString(dir + "/b"),
                                    "--dist-timeout", "2"},
                                   env, 60000);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("MASTER_PORT") && run.err.contains("in use"), qPrintable(run.err));
        }
        // The ranks were given different recipes: both refuse, naming the difference.
        {
            auto env = baseEnvironment();
            env.insert("WORLD_SIZE", "2");
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", QString::number(freePort()));
            auto env0 = env, env1 = env;
            env0.insert("RANK", "0");
            env1.insert("RANK", "1");
            QProcess p0, p1;
            const QStringList common{"train",           "fmnist_student", "--set",
                                     "data.subset=256", "--dist-timeout", "30"};
            startCli(p0, common + QStringList{"--out", QString::fromStdString(dir + "/c0")}, env0);
            startCli(
                p1,
                common + QStringList{"--out", QString::fromStdString(dir + "/c1"), "--set", "optim.lr=0.05"},
                env1);
            const Run r0 = finishCli(p0, 120000), r1 = finishCli(p1, 120000);
            QCOMPARE(r0.exitCode, 2);
            QCOMPARE(r1.exitCode, 2);
            QVERIFY2(r0.err.contains("rank 1") && r0.err.contains("differs from rank 0"), qPrintable(r0.err));
            QVERIFY2(r1.err.contains("lr"), qPrintable(r1.err));
            QVERIFY(!fs::exists(dir + "/c1"));  // only rank 0 owns a run folder
        }
        // CRD's memory bank is per process: refused before anything starts.
        {
            const Run run = runCli(
                {"train", "fmnist_kd", "--out", QString::fromStdString(dir + "/crd"), "--nproc", "2", "--set",
                 "losses=[{method: task}, {method: crd, teacher_tap: pool, student_tap: pool}]"},
                baseEnvironment(), 60000);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("CRD's memory bank"), qPrintable(run.err));
            QVERIFY(!fs::exists(dir + "/crd"));
        }
        // A global batch smaller than the job.
        {
            const Run run = runCli({"train", "fmnist_student", "--out", QString::fromStdString(dir + "/tiny"),
                                    "--nproc", "4", "--set", "train.batch_size=3"},
                                   baseEnvironment(), 60000);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("train.batch_size 3 is smaller than the job's 4 processes"),
                     qPrintable(run.err));
        }
        // --nproc under a launcher.
        {
            auto env = baseEnvironment();
            env.insert("WORLD_SIZE", "2");
            env.insert("RANK", "0");
            env.insert("MASTER_ADDR", "127.0.0.1");
            env.insert("MASTER_PORT", QString::number(freePort()));
            const Run run = runCli(
                {"train", "fmnist_student", "--out", QString::fromStdString(dir + "/d"), "--nproc", "2"}, env,
                60000);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("--nproc"), qPrintable(run.err));
        }
    }
};

DISTILLERY_TEST_SUITE("distributed", DistributedTest);
#include "test_distributed.moc"
