// distillery-cli as a user meets it: the real binary in a child process, plus the imaging helpers it uses.

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QtTest/QtTest>
#include <cmath>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>

#include "core/diagnostics.h"
#include "core/engine.h"
#include "core/imaging.h"
#include "core/recipe.h"
#include "tests/core/suites.h"

namespace {

constexpr int kQuickMs = 120 * 1000;  // `models` builds every architecture once
constexpr int kTrainMs = 600 * 1000;

struct CliRun {
    int exitCode = -1;
    bool crashed = false;
    bool timedOut = false;
    QString out;
    QString err;
};

CliRun runCli(const QStringList& args, int timeoutMs = kQuickMs,
              const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
    QProcess process;
    process.setProcessEnvironment(env);
    process.setProgram(QStringLiteral(DISTILLERY_CLI));
    process.setArguments(args);
    process.start();
    CliRun run;
    if (!process.waitForStarted()) {
        run.crashed = true;
        run.err = process.errorString();
        return run;
    }
    if (!process.waitForFinished(timeoutMs)) {
        run.timedOut = true;
        process.kill();
        process.waitForFinished();
    }
    run.crashed = process.exitStatus() == QProcess::CrashExit;
    run.exitCode = process.exitCode();
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

QString describe(const CliRun& run) {
    return QStringLiteral("exit %1%2\nstdout:\n%3\nstderr:\n%4")
        .arg(run.exitCode)
        .arg(run.crashed    ? " (crashed)"
             : run.timedOut ? " (timed out)"
                            : "")
        .arg(run.out.right(2000), run.err.right(4000));
}

void writeText(const QString& path, const QString& text) {
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    file.write(text.toUtf8());
}

QByteArray readBytes(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return {};
    return file.readAll();
}

bool isPng(const QByteArray& bytes) {
    return bytes.size() > 8 && bytes.startsWith("\x89PNG\r\n\x1a\n");
}

QStringList nonEmptyLines(const QByteArray& bytes) {
    QStringList lines;
    for (const QString& line : QString::fromUtf8(bytes).split('\n'))
        if (!line.trimmed().isEmpty()) lines << line;
    return lines;
}

/** Channels of the first CxHxW shape printed by `inspect`. */
int printedChannels(const QString& out) {
    auto match = QRegularExpression(QStringLiteral("(\\d+)x(\\d+)x(\\d+)")).match(out);
    return match.hasMatch() ? match.captured(1).toInt() : -1;
}

QString trainRecipe() {
    return QStringLiteral(
        "name: cli-tiny\n"
        "job: train\n"
        "seed: 1\n"
        "data:\n"
        "  dataset: fashion_mnist\n"
        "  workers: 1\n"
        "model:\n"
        "  arch: resnet8\n"
        "losses:\n"
        "  - method: task\n"
        "optim:\n"
        "  name: sgd\n"
        "  lr: 0.05\n"
        "train:\n"
        "  epochs: 1\n"
        "  batch_size: 32\n"
        "  eval_batch_size: 64\n");
}

QString distillRecipe(const QString& teacher) {
    return QStringLiteral(
               "name: cli-distill\n"
               "job: distill\n"
               "seed: 1\n"
               "data:\n"
               "  dataset: fashion_mnist\n"
               "  workers: 1\n"
               "teacher:\n"
               "  arch: resnet20\n"
               "  checkpoint: %1\n"
               "model:\n"
               "  arch: resnet8\n"
               "losses:\n"
               "  - method: task\n"
               "    weight: 1.0\n"
               "  - method: kd\n"
               "    tau: 4\n"
               "    weight: 1.0\n"
               "  - method: cwd\n"
               "    tap: stage3\n"
               "    tau: 4\n"
               "    weight: 50\n"
               "optim:\n"
               "  name: sgd\n"
               "  lr: 0.05\n"
               "train:\n"
               "  epochs: 1\n"
               "  batch_size: 32\n"
               "  eval_batch_size: 64\n")
        .arg(teacher);
}

}  // namespace

class CliTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFileInfo(QStringLiteral(DISTILLERY_CLI)).isExecutable(), DISTILLERY_CLI);
        mScratch = QString::fromStdString(distillery::tests::scratchDir("cli"));
        mRecipe = mScratch + "/tiny.yaml";
        writeText(mRecipe, trainRecipe());
        writeText(mScratch + "/typo-pipeline.yaml", QStringLiteral("name: typo\nstagez: []\n"));
        QVERIFY(QDir().mkpath(mScratch + "/not-a-run"));
    }

    void channelStatisticsByHand() {
        // Channel 0: softmax of (0, 0, 0, ln 3) is (1/6, 1/6, 1/6, 1/2): H = ln(6)/2 + ln(2)/2 = ln(12)/2.
        // Channel 1: (1, 2, 3, 4): mean 2.5, population std sqrt(1.25); at tau = 2, logits (0.5, 1, 1.5, 2).
        distillery::FeatureMap map;
        map.tap = "hand";
        map.channels = 2;
        map.height = 2;
        map.width = 2;
        map.data = {0.0f, 0.0f, 0.0f, static_cast<float>(std::log(3.0)), 1.0f, 2.0f, 3.0f, 4.0f};

        const auto stats = distillery::channelStatistics(map, 1.0);
        QCOMPARE(stats.size(), size_t(2));
        QCOMPARE(stats[0].channel, 0);
        QVERIFY(std::abs(stats[0].mean - std::log(3.0) / 4) < 1e-6);
        QVERIFY(std::abs(stats[0].min - 0.0) < 1e-12);
        QVERIFY(std::abs(stats[0].max - std::log(3.0)) < 1e-6);
        QVERIFY(std::abs(stats[0].spatialEntropy - std::log(12.0) / 2) < 1e-6);
        QCOMPARE(stats[1].channel, 1);
        QVERIFY(std::abs(stats[1].mean - 2.5) < 1e-12);
        QVERIFY(std::abs(stats[1].std - std::sqrt(1.25)) < 1e-9);
        QCOMPARE(stats[1].min, 1.0);
        QCOMPARE(stats[1].max, 4.0);

        auto entropy = [](std::vector<double> logits) {
            double z = 0, h = 0;
            for (double l : logits)
                z += std::exp(l);
            for (double l : logits)
                h -= std::exp(l) / z * (l - std::log(z));
            return h;
        };
        const auto warm = distillery::channelStatistics(map, 2.0);
        QVERIFY(std::abs(warm[1].spatialEntropy - entropy({0.5, 1.0, 1.5, 2.0})) < 1e-9);
        // A higher temperature flattens the distribution towards the maximum ln(H*W).
        QVERIFY(warm[1].spatialEntropy > stats[1].spatialEntropy);
        QVERIFY(warm[1].spatialEntropy < std::log(4.0));

        // Large activations must not overflow exp(): a single dominant position has entropy ~0.
        map.data = {1000.0f, 0.0f, 0.0f, 0.0f, 5.0f, 5.0f, 5.0f, 5.0f};
        const auto extreme = distillery::channelStatistics(map, 1.0);
        QVERIFY(std::isfinite(extreme[0].spatialEntropy));
        QVERIFY(extreme[0].spatialEntropy < 1e-6);
        QVERIFY(std::abs(extreme[1].spatialEntropy - std::log(4.0)) < 1e-9);
        QCOMPARE(extreme[1].std, 0.0);

        QVERIFY_THROWS_EXCEPTION(distillery::Error, distillery::channelStatistics(map, 0.0));
        map.data.pop_back();
        QVERIFY_THROWS_EXCEPTION(distillery::Error, distillery::channelStatistics(map, 1.0));
    }

    void channelFilesAreWritten() {
        distillery::FeatureMap map;
        map.tap = "grid";
        map.channels = 5;
        map.height = 3;
        map.width = 4;
        for (int i = 0; i < 5 * 3 * 4; ++i)
            map.data.push_back(static_cast<float>(i % 7));
        const std::string png = (mScratch + "/grid.png").toStdString();
        const std::string csv = (mScratch + "/grid.csv").toStdString();
        distillery::writeChannelGrid(map, png, 16);
        distillery::writeChannelCsv(distillery::channelStatistics(map), csv);
        QVERIFY(isPng(readBytes(QString::fromStdString(png))));
        const QStringList lines = nonEmptyLines(readBytes(QString::fromStdString(csv)));
        QCOMPARE(lines.size(), 1 + 5);
        QCOMPARE(lines[0], QStringLiteral("channel,mean,std,min,max,spatial_entropy"));
        QVERIFY(lines[3].startsWith("2,"));
        // A vector tap (1x1 per channel) draws too.
        distillery::FeatureMap logits;
        logits.tap = "logits";
        logits.channels = 10;
        logits.height = logits.width = 1;
        for (int i = 0; i < 10; ++i)
            logits.data.push_back(static_cast<float>(i));
        const std::string logitsPng = (mScratch + "/logits.png").toStdString();
        distillery::writeChannelGrid(logits, logitsPng);
        QVERIFY(isPng(readBytes(QString::fromStdString(logitsPng))));
        // No temporary files are left beside the targets.
        QCOMPARE(QDir(mScratch).entryList(QStringList{"*tmp*"}, QDir::Files | QDir::Hidden).size(), 0);

        const std::string missing = (mScratch + "/no-such-folder/out.csv").toStdString();
        try {
            distillery::writeFileAtomically(missing, "x");
            QFAIL("writing into a missing folder did not throw");
        } catch (const distillery::Error& e) {
            QVERIFY2(std::string(e.what()).find(missing) != std::string::npos, e.what());
        }
    }

    void usageAndVersion() {
        const CliRun help = runCli({"--help"});
        QVERIFY2(help.exitCode == 0, qPrintable(describe(help)));
        for (const char* command : {"models", "train", "resume", "eval", "inspect"})
            QVERIFY2(help.out.contains(command), command);
        const CliRun version = runCli({"--version"});
        QCOMPARE(version.exitCode, 0);
        QVERIFY(version.out.startsWith("distillery-cli "));
    }

    void modelsJsonListsTaps() {
        const CliRun run = runCli({"models", "--json"});
        QVERIFY2(run.exitCode == 0 && !run.crashed, qPrintable(describe(run)));
        QJsonParseError error;
        const QJsonDocument doc = QJsonDocument::fromJson(run.out.toUtf8(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        QVERIFY(doc.isArray());

        QJsonObject resnet8;
        for (const auto& entry : doc.array())
            if (entry.toObject().value("name").toString() == "resnet8") resnet8 = entry.toObject();
        QVERIFY2(!resnet8.isEmpty(), "resnet8 is not listed");
        QCOMPARE(resnet8.value("family").toString(), QStringLiteral("resnet"));
        QVERIFY(resnet8.value("params").toDouble() > 0);
        QVERIFY(resnet8.value("macs").toDouble() > resnet8.value("params").toDouble());
        QVERIFY(!resnet8.value("layers").toArray().isEmpty());

        QJsonArray stage1Shape;
        for (const auto& tap : resnet8.value("taps").toArray())
            if (tap.toObject().value("name").toString() == "stage1")
                stage1Shape = tap.toObject().value("shape").toArray();
        QCOMPARE(stage1Shape.size(), 3);  // (C, H, W) for a 1x28x28 input
        QVERIFY(stage1Shape[0].toInt() > 0);
        QCOMPARE(stage1Shape[1].toInt(), 28);

        const CliRun table = runCli({"models"});
        QVERIFY2(table.exitCode == 0, qPrintable(describe(table)));
        QVERIFY(table.out.contains("resnet8"));
        QVERIFY(table.out.contains("stage1"));
    }

    void sharedTeacherCacheCommand() {
        // A distillation with a deterministic input pipeline stores its teacher's outputs in the shared
        // cache; the next run with the same teacher, data and taps reads them; `cache` lists and clears.
        const QString cache = mScratch + "/teacher-cache";
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("DISTILLERY_TEACHER_CACHE", cache);
        const QStringList train{
            "train",     "fmnist_kd",
            "--subset",  "128",
            "--threads", "2",
            "--set",     "train.epochs=1",
            "--set",     "transforms.train=[{normalize: {mean: [0.2860], std: [0.3530]}}]"};
        const CliRun first = runCli(QStringList(train) << "--out" << mScratch + "/cache-1", kTrainMs, env);
        QVERIFY2(first.exitCode == 0, qPrintable(describe(first)));
        QVERIFY2((first.out + first.err).contains("stored in the shared cache"), qPrintable(describe(first)));
        const CliRun list = runCli({"cache", "--json"}, kQuickMs, env);
        QVERIFY2(list.exitCode == 0, qPrintable(describe(list)));
        const QJsonObject j = QJsonDocument::fromJson(list.out.toUtf8()).object();
        QCOMPARE(j.value("dir").toString(), cache);
        const QJsonArray entries = j.value("entries").toArray();
        QCOMPARE(entries.size(), 1);
        QCOMPARE(entries[0].toObject().value("samples").toInt(), 128);
        QVERIFY(entries[0].toObject().value("teacher").toString().startsWith("resnet20"));
        QVERIFY(entries[0].toObject().value("bytes").toDouble() > 0);
        const CliRun table = runCli({"cache"}, kQuickMs, env);
        QVERIFY2(table.out.contains("1 entry") &&
                     table.out.contains(entries[0].toObject().value("key").toString().left(12)),
                 qPrintable(table.out));

        const CliRun second = runCli(QStringList(train) << "--out" << mScratch + "/cache-2", kTrainMs, env);
        QVERIFY2(second.exitCode == 0, qPrintable(describe(second)));
        QVERIFY2((second.out + second.err).contains("read from the shared cache"),
                 qPrintable(describe(second)));

        const CliRun clear = runCli({"cache", "--clear"}, kQuickMs, env);
        QVERIFY2(clear.exitCode == 0 && clear.out.contains("freed"), qPrintable(describe(clear)));
        QCOMPARE(QJsonDocument::fromJson(runCli({"cache", "--json"}, kQuickMs, env).out.toUtf8())
                     .object()
                     .value("entries")
                     .toArray()
                     .size(),
                 0);
        QCOMPARE(runCli({"cache", "extra"}, kQuickMs, env).exitCode, 2);
        env.insert("DISTILLERY_TEACHER_CACHE_SIZE", "lots");
        const CliRun badSize = runCli({"cache"}, kQuickMs, env);
        QVERIFY2(badSize.exitCode == 2 && badSize.err.contains("DISTILLERY_TEACHER_CACHE_SIZE"),
                 qPrintable(describe(badSize)));
    }

    void shippedRecipesByName() {
        // `recipes` lists the shipped folder's recipes, each with its job and student; `train NAME` finds
        // one.
        const QDir dir(QStringLiteral(DISTILLERY_SOURCE_DIR) + "/resources/recipes");
        QStringList expected;
        for (const QString& f : dir.entryList({"*.yaml"}, QDir::Files, QDir::Name))
            expected << QFileInfo(f).completeBaseName();
        const CliRun json = runCli({"recipes", "--json"});
        QVERIFY2(json.exitCode == 0, qPrintable(describe(json)));
        const QJsonArray rows = QJsonDocument::fromJson(json.out.toUtf8()).array();
        QStringList names;
        for (const auto& row : rows) {
            const QJsonObject r = row.toObject();
            names << r.value("name").toString();
            QVERIFY2(!r.contains("problem"), qPrintable(r.value("problem").toString()));
            QCOMPARE(QFileInfo(r.value("path").toString()).canonicalFilePath(),
                     QFileInfo(dir.filePath(r.value("name").toString() + ".yaml")).canonicalFilePath());
            QVERIFY(!r.value("description").toString().isEmpty());
            if (r.value("name").toString() == "fmnist_teacher") {
                QCOMPARE(r.value("job").toString(), QString("train"));
                QCOMPARE(r.value("model").toString(), QString("resnet20"));
            }
            if (r.value("name").toString() == "fmnist_kd") {
                QCOMPARE(r.value("job").toString(), QString("distill"));
                QCOMPARE(r.value("model").toString(), QString("resnet8"));
                QCOMPARE(
                    r.value("description").toString(),
                    QString(
                        "Fashion-MNIST: ResNet-8 student distilled from the shipped ResNet-20 teacher with "
                        "Hinton KD."));
            }
        }
        QCOMPARE(names, expected);
        const CliRun table = runCli({"recipes"});
        QVERIFY2(table.exitCode == 0, qPrintable(describe(table)));
        QVERIFY2(table.out.contains(QDir(dir.path()).canonicalPath()), qPrintable(table.out));
        for (const QString& name : expected)
            QVERIFY2(table.out.contains(name), qPrintable(name));

        // `models --names` is one architecture per line (what shell completion reads), the same as --json.
        const CliRun archs = runCli({"models", "--names"});
        QVERIFY2(archs.exitCode == 0, qPrintable(describe(archs)));
        const QStringList archNames = archs.out.split('\n', Qt::SkipEmptyParts);
        QVERIFY(archNames.contains("resnet8") && archNames.contains("resnet20"));
        const QJsonArray models = QJsonDocument::fromJson(runCli({"models", "--json"}).out.toUtf8()).array();
        QCOMPARE(archNames.size(), models.size());

        // A shipped recipe by its name, with and without .yaml; a path that exists wins over a name.
        const CliRun byName = runCli({"train", "fmnist_student", "--out", mScratch + "/by-name",
                                      "--max-steps", "1", "--subset", "64", "--threads", "2"},
                                     kTrainMs);
        QVERIFY2(byName.exitCode == 0, qPrintable(describe(byName)));
        QVERIFY(QFileInfo::exists(mScratch + "/by-name/summary.json"));
        const CliRun withExtension =
            runCli({"models", "--onnx",
                    QStringLiteral(DISTILLERY_SOURCE_DIR) + "/resources/teachers/fmnist_vgg_torch.onnx",
                    "--verify", "fmnist_onnx_kd.yaml", "--subset", "64"},
                   kTrainMs);
        QVERIFY2(withExtension.exitCode == 0, qPrintable(describe(withExtension)));
        const CliRun unknown = runCli({"train", "fmnist_no_such_recipe", "--out", mScratch + "/unknown"});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY2(unknown.err.contains("fmnist_no_such_recipe"), qPrintable(describe(unknown)));
    }

    void badInputExitsTwo_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("named");
        const QString out = mScratch + "/never";
        QTest::newRow("unknown command") << QStringList{"frobnicate"} << "frobnicate";
        QTest::newRow("unknown option") << QStringList{"models", "--colour"} << "--colour";
        QTest::newRow("missing recipe")
            << QStringList{"train", mScratch + "/missing.yaml", "--out", out} << "missing.yaml";
        QTest::newRow("missing --out") << QStringList{"train", mRecipe} << "--out";
        QTest::newRow("unknown field")
            << QStringList{"train", mRecipe, "--out", out, "--set", "train.epochz=1"} << "epochz";
        QTest::newRow("non-integer steps")
            << QStringList{"train", mRecipe, "--out", out, "--max-steps", "abc"} << "--max-steps";
        QTest::newRow("missing value")
            << QStringList{"train", mRecipe, "--out", out, "--subset"} << "--subset";
        QTest::newRow("eval non-run") << QStringList{"eval", mScratch + "/not-a-run"} << "not-a-run";
        QTest::newRow("eval missing") << QStringList{"eval", mScratch + "/nowhere"} << "nowhere";
        QTest::newRow("bad checkpoint")
            << QStringList{"eval", mScratch + "/not-a-run", "--checkpoint", "worst"} << "worst";
        QTest::newRow("inspect without tap")
            << QStringList{"inspect", mScratch + "/not-a-run", "--out", out} << "--tap";
        QTest::newRow("prune bad budget")
            << QStringList{"prune", mScratch + "/not-a-run", "--out", out, "--budget", "size=40KB"}
            << "size=40KB";
        QTest::newRow("prune calibration without data")
            << QStringList{"prune",      mScratch + "/not-a-run", "--out", out, "--budget",
                           "params=50%", "--calib-batches",       "4"}
            << "--data";
        QTest::newRow("hints unknown metric")
            << QStringList{"suggest-hints", "fmnist_cwd", "--metrics", "linear_cka,cosine"} << "cosine";
        QTest::newRow("hints for a train recipe")
            << QStringList{"suggest-hints", "fmnist_student"} << "teacher";
        QTest::newRow("pipeline unknown field")
            << QStringList{"pipeline", mScratch + "/typo-pipeline.yaml", "--out", out} << "stagez";
        QTest::newRow("pipeline missing")
            << QStringList{"pipeline", mScratch + "/none.yaml", "--out", out} << "none.yaml";
        QTest::newRow("vertical widths not decreasing")
            << QStringList{"quantize", mScratch + "/not-a-run", "--out", out, "--method", "qat", "--vertical",
                           "8,8"}
            << "decreasing";
        QTest::newRow("vertical with ptq")
            << QStringList{"quantize", mScratch + "/not-a-run", "--out", out, "--vertical", "8,4"}
            << "--method qat";
        QTest::newRow("extract without bits")
            << QStringList{"extract", mScratch + "/not-a-run", "--out", out} << "--bits";
        QTest::newRow("extract from a run that is not vertical")
            << QStringList{"extract", mScratch + "/not-a-run", "--bits", "4", "--out", out} << "not-a-run";
        QTest::newRow("prune missing model")
            << QStringList{"prune", mScratch + "/nowhere", "--out", out, "--budget", "params=50%"}
            << "nowhere";
    }

    void badInputExitsTwo() {
        QFETCH(QStringList, args);
        QFETCH(QString, named);
        const CliRun run = runCli(args);
        QVERIFY2(!run.crashed && run.exitCode == 2, qPrintable(describe(run)));
        const QString message = run.err.trimmed();
        QVERIFY2(!message.contains('\n'), qPrintable("more than one line:\n" + run.err));
        QVERIFY2(message.startsWith("distillery-cli: "), qPrintable(message));
        QVERIFY2(message.contains(named), qPrintable(message));
        QVERIFY2(!QFileInfo::exists(mScratch + "/never"), "a run folder was created for bad input");
    }

    void corruptRunFilesAreErrorsNotDefaults() {
        // A short run of its own (tests do not rely on each other's order).
        const QString run = mScratch + "/corrupt";
        const CliRun trained = runCli({"train", mRecipe, "--out", run, "--subset", "128", "--threads", "2",
                                       "--max-steps", "2", "--set", "train.checkpoint_every=0"},
                                      kTrainMs);
        QVERIFY2(trained.exitCode == 0, qPrintable(describe(trained)));
        auto expectTwo = [](const CliRun& r, const QString& named) {
            QVERIFY2(!r.crashed && r.exitCode == 2, qPrintable(describe(r)));
            QVERIFY2(r.err.trimmed().count('\n') == 0 && r.err.contains(named), qPrintable(r.err));
        };
        // summary.json that is not JSON: resume and export refuse instead of starting from defaults.
        const QByteArray summary = readBytes(run + "/summary.json");
        writeText(run + "/summary.json", "{\"status\": \"finished\", \"best\": ");
        expectTwo(runCli({"resume", run, "--threads", "2"}), "summary.json");
        expectTwo(runCli({"export", run, "--format", "onnx", "--out", mScratch + "/corrupt.onnx"}),
                  "summary.json");
        writeText(run + "/summary.json", "{\"status\": \"maybe\"}");
        expectTwo(runCli({"resume", run, "--threads", "2"}), "'status'");
        {
            QFile f(run + "/summary.json");
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(summary);
        }
        // Checkpoints of garbage: every reader names the file.
        const QByteArray best = readBytes(run + "/checkpoints/best.pt");
        writeText(run + "/checkpoints/last.pt", "PK\x03\x04 not really a checkpoint");
        expectTwo(runCli({"resume", run, "--threads", "2"}), "last.pt");
        writeText(run + "/checkpoints/best.pt", QString(best.left(best.size() / 2).toHex()));
        expectTwo(runCli({"eval", run}), "best.pt");
        expectTwo(runCli({"quantize", run, "--out", mScratch + "/corrupt-int8"}), "best.pt");
        expectTwo(runCli({"export", run, "--format", "onnx", "--out", mScratch + "/corrupt.onnx"}),
                  "best.pt");
        QVERIFY(!QFileInfo::exists(mScratch + "/corrupt.onnx"));
    }

    void failuresExitOneAndQuoteSafely() {
        // A runtime that cannot run is a failure of the run, not bad input: exit 1.
        const QString run = mScratch + "/failure";
        const CliRun trained =
            runCli({"train", mRecipe, "--out", run, "--subset", "128", "--threads", "2", "--max-steps", "2"},
                   kTrainMs);
        QVERIFY2(trained.exitCode == 0, qPrintable(describe(trained)));
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("DISTILLERY_ORT_DIR", mScratch + "/no-onnxruntime-here");
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(DISTILLERY_CLI),
                {"export", run, "--format", "onnx", "--out", mScratch + "/failure.onnx", "--verify"});
        QVERIFY(p.waitForFinished(kTrainMs));
        const QString err = QString::fromUtf8(p.readAllStandardError());
        QVERIFY2(p.exitCode() == 1 && err.contains("onnxruntime"), qPrintable(err));
        // Training that diverges fails with exit 1 and names the term.
        const CliRun nan = runCli({"train", mRecipe, "--out", mScratch + "/nan", "--subset", "128",
                                   "--threads", "2", "--set", "optim.lr=1e30"},
                                  kTrainMs);
        QVERIFY2(nan.exitCode == 1 && nan.err.contains("task"), qPrintable(describe(nan)));
        // Bytes quoted from a file are escaped: a control character in a recipe key does not reach the
        // terminal.
        writeText(mScratch + "/bell.yaml", QString("model: {arch: resnet8}\nbe\x07ll: 1\n"));
        const CliRun bell = runCli({"train", mScratch + "/bell.yaml", "--out", mScratch + "/bell"});
        QVERIFY2(bell.exitCode == 2, qPrintable(describe(bell)));
        QVERIFY2(bell.err.contains("be\\x07ll") && !bell.err.contains(QChar(7)), qPrintable(bell.err));
    }

    void trainEvalInspectEndToEnd() {
        const QString runDir = mScratch + "/run";
        const CliRun train = runCli(
            {"train", mRecipe, "--out", runDir, "--subset", "256", "--max-steps", "6", "--threads", "2"},
            kTrainMs);
        QVERIFY2(train.exitCode == 0 && !train.crashed, qPrintable(describe(train)));
        QVERIFY2(train.out.contains("finished"), qPrintable(describe(train)));
        // Not a terminal, so progress comes as plain lines, and the epoch's validation is reported.
        QVERIFY2(train.err.contains("step 6/8") && !train.err.contains('\r'), qPrintable(describe(train)));
        QVERIFY2(train.err.contains("val: top1"), qPrintable(describe(train)));

        for (const char* file : {"recipe.yaml", "metrics.jsonl", "summary.json"})
            QVERIFY2(QFileInfo(runDir + "/" + file).isFile(), file);
        QVERIFY(QFileInfo(runDir + "/checkpoints").isDir());
        QVERIFY(QFileInfo(runDir + "/checkpoints/last.pt").isFile());
        QVERIFY(QFileInfo(runDir + "/checkpoints/best.pt").isFile());

        const QStringList records = nonEmptyLines(readBytes(runDir + "/metrics.jsonl"));
        QVERIFY(!records.isEmpty());
        int maxStep = 0;
        for (const QString& line : records) {
            const QJsonDocument doc = QJsonDocument::fromJson(line.toUtf8());
            QVERIFY2(doc.isObject(), qPrintable(line));
            const QJsonObject record = doc.object();
            for (const char* key : {"step", "epoch", "split", "name", "value"})
                QVERIFY2(record.contains(key), qPrintable(QStringLiteral("%1 lacks %2").arg(line, key)));
            QVERIFY(record.value("split").toString() == "train" || record.value("split").toString() == "val");
            maxStep = std::max(maxStep, record.value("step").toInt());
        }
        QVERIFY2(maxStep <= 6, "--max-steps 6 was not honoured");
        QVERIFY(QJsonDocument::fromJson(readBytes(runDir + "/summary.json")).isObject());

        const CliRun eval = runCli({"eval", runDir, "--subset", "128"}, kTrainMs);
        QVERIFY2(eval.exitCode == 0, qPrintable(describe(eval)));
        QVERIFY2(eval.out.contains("top1"), qPrintable(describe(eval)));

        const CliRun evalJson =
            runCli({"eval", runDir, "--checkpoint", "last", "--subset", "128", "--json"}, kTrainMs);
        QVERIFY2(evalJson.exitCode == 0, qPrintable(describe(evalJson)));
        const QJsonObject result = QJsonDocument::fromJson(evalJson.out.toUtf8()).object();
        const double top1 = result.value("metrics").toObject().value("top1").toDouble(-1);
        QVERIFY2(top1 >= 0 && top1 <= 100, qPrintable(evalJson.out));  // percent
        QCOMPARE(result.value("confusion").toArray().size(), 10);

        const QString prefix = mScratch + "/inspect/stage1";
        const CliRun inspect = runCli(
            {"inspect", runDir, "--tap", "stage1", "--checkpoint", "last", "--sample", "3", "--out", prefix});
        QVERIFY2(inspect.exitCode == 0, qPrintable(describe(inspect)));
        QVERIFY2(inspect.out.contains(prefix + ".png"), qPrintable(inspect.out));
        QVERIFY(isPng(readBytes(prefix + ".png")));
        const int channels = printedChannels(inspect.out);
        QVERIFY2(channels > 0, qPrintable(inspect.out));
        QCOMPARE(nonEmptyLines(readBytes(prefix + ".csv")).size(), 1 + channels);

        const CliRun badTap =
            runCli({"inspect", runDir, "--tap", "stage9", "--checkpoint", "last", "--out", prefix});
        QVERIFY2(badTap.exitCode == 2 && badTap.err.contains("stage9"), qPrintable(describe(badTap)));

        // A used run folder is refused for a new run, with a pointer to resume.
        const CliRun again = runCli({"train", mRecipe, "--out", runDir, "--max-steps", "1"});
        QVERIFY2(again.exitCode == 2 && again.err.contains("resume"), qPrintable(describe(again)));
    }

    // Once-QAT from the command line: one model for 8/4/2 bits, its table, and the 2-bit model taken out as a
    // run that eval reads with the report's figure.
    void onceQatAndExtract() {
        const QString src = mScratch + "/once-src";
        const CliRun train =
            runCli({"train", mRecipe, "--out", src, "--subset", "256", "--max-steps", "4", "--threads", "2"},
                   kTrainMs);
        QVERIFY2(train.exitCode == 0, qPrintable(describe(train)));
        const QString once = mScratch + "/once";
        const CliRun qat =
            runCli({"quantize", src, "--out", once, "--method", "qat", "--teacher", "self", "--vertical",
                    "8,4,2", "--max-steps", "2", "--subset", "256", "--threads", "2", "--seed", "3"},
                   kTrainMs);
        QVERIFY2(qat.exitCode == 0, qPrintable(describe(qat)));
        QVERIFY2(qat.out.contains("one model, every width") && qat.out.contains("once-qat-self"),
                 qPrintable(qat.out));
        const distillery::Recipe r = distillery::loadRecipe((once + "/recipe.yaml").toStdString());
        QCOMPARE(r.seed, uint64_t{3});
        QVERIFY(r.quant.vertical == (std::vector<int>{8, 4, 2}));
        QFile reportFile(once + "/quantization.json");
        QVERIFY(reportFile.open(QIODevice::ReadOnly));
        const auto report = nlohmann::json::parse(reportFile.readAll().toStdString());
        QCOMPARE(report.at("vertical").size(), size_t{3});
        QCOMPARE(report.at("vertical")[2].at("bits").get<int>(), 2);
        const CliRun x =
            runCli({"extract", once, "--bits", "2", "--out", once + "-w2", "--threads", "2"}, kTrainMs);
        QVERIFY2(x.exitCode == 0, qPrintable(describe(x)));
        const CliRun eval = runCli({"eval", once + "-w2", "--json", "--threads", "2"}, kTrainMs);
        QVERIFY2(eval.exitCode == 0, qPrintable(describe(eval)));
        const auto e = nlohmann::json::parse(eval.out.toStdString());
        QCOMPARE(e.at("metrics").at("top1").get<double>(),
                 report.at("vertical")[2].at("simulated_metric").get<double>());
        // A width the model does not hold is named.
        const CliRun six = runCli({"extract", once, "--bits", "6", "--out", once + "-w6"});
        QVERIFY2(six.exitCode == 2 && six.err.contains("holds the widths 8, 4, 2"),
                 qPrintable(describe(six)));
    }

    void pruneShippedTeacher() {
        const QString teacher = QStringLiteral(DISTILLERY_SOURCE_DIR) + "/resources/teachers/fmnist_resnet20";
        if (!QFileInfo::exists(teacher))
            QSKIP("resources/teachers/fmnist_resnet20 is not shipped in this checkout");
        const QString pruned = mScratch + "/pruned/half.pt";
        const CliRun run =
            runCli({"prune", teacher, "--out", pruned, "--budget", "params=50%", "--scope", "layer", "--data",
                    "fmnist_kd", "--subset", "400", "--calib-batches", "5", "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const auto j = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(j.at("params_before").get<int64_t>(), int64_t{272186});
        QVERIFY(j.at("params_after").get<int64_t>() <= 272186 / 2);
        QCOMPARE(j.at("arch").get<std::string>(), std::string("resnet20-pruned"));
        const double recalibrated = j.at("metric").at("recalibrated").get<double>();
        QVERIFY(j.at("metric").at("unpruned").get<double>() > 85.0);
        QVERIFY(recalibrated > j.at("metric").at("pruned").get<double>());
        // `eval` of the saved file on the same samples gives the accuracy prune reported for it.
        const CliRun eval = runCli({"eval", pruned, "--data", "fmnist_kd", "--subset", "400", "--json"});
        QVERIFY2(eval.exitCode == 0, qPrintable(describe(eval)));
        const auto e = nlohmann::json::parse(eval.out.toStdString());
        QCOMPARE(e.at("metrics").at("top1").get<double>(), recalibrated);
        QCOMPARE(e.at("checkpoint").get<std::string>(), pruned.toStdString());
        // The table names each group and what ranked it.
        const CliRun table =
            runCli({"prune", teacher, "--out", mScratch + "/pruned/tenth.pt", "--budget", "macs=0.9"});
        QVERIFY2(table.exitCode == 0, qPrintable(describe(table)));
        QVERIFY2(table.out.contains("stem.conv +") && table.out.contains("MACs:") &&
                     table.out.contains("model: {checkpoint: " + mScratch + "/pruned/tenth.pt}"),
                 qPrintable(table.out));
    }

    void suggestHintsWritesARecipe() {
        const QString out = mScratch + "/hinted.yaml";
        const CliRun run = runCli({"suggest-hints", "fmnist_fitnet", "--samples", "64", "--clusters", "2",
                                   "--write", out, "--json"});
        QVERIFY2(run.exitCode == 0, qPrintable(describe(run)));
        const auto j = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(j.at("hints").size(), size_t{2});
        QCOMPARE(j.at("method").get<std::string>(), std::string("fitnet"));
        QCOMPARE(j.at("similarity").size(), size_t{3});
        // The written recipe parses, with the shipped recipe's fitnet term replaced by one per hint point.
        const distillery::Recipe r = distillery::loadRecipe(out.toStdString());
        QCOMPARE(r.losses.size(), size_t{3});
        for (size_t k = 0; k < 2; ++k) {
            QCOMPARE(r.losses[1 + k].method, distillery::LossMethod::FitNet);
            QCOMPARE(r.losses[1 + k].teacherTap, j.at("hints").at(k).at("teacher_tap").get<std::string>());
            QCOMPARE(r.losses[1 + k].studentTap, j.at("hints").at(k).at("student_tap").get<std::string>());
        }
    }

    void pipelineResumesInTheMiddleOfAStage() {
        // Born-again networks in two generations: ResNet-8 alone, then ResNet-8 taught by it. Generation 2
        // is killed in the middle and the pipeline resumed: generation 1 stays as it was, and generation 2
        // ends as in an uninterrupted pipeline.
        const QString kd = mScratch + "/ban-kd.yaml";
        writeText(kd, distillRecipe(mScratch + "/nowhere"));  // its teacher becomes generation 1
        const QString file = mScratch + "/ban.yaml";
        writeText(file, QStringLiteral("name: ban\n"
                                       "set: [data.subset=256, train.epochs=3, train.log_every=1,\n"
                                       "      train.checkpoint_every=3, train.batch_size=32, threads=2]\n"
                                       "generations: 2\n"
                                       "first: %1\n"
                                       "then: %2\n")
                            .arg(mRecipe, kd));
        const QString refDir = mScratch + "/ban-ref";
        const CliRun ref = runCli({"pipeline", file, "--out", refDir}, kTrainMs);
        QVERIFY2(ref.exitCode == 0, qPrintable(describe(ref)));
        QVERIFY2(ref.out.contains("gen2") && ref.out.contains("finished"), qPrintable(ref.out));

        const QString dir = mScratch + "/ban-killed";
        QProcess process;
        process.setProgram(QStringLiteral(DISTILLERY_CLI));
        process.setArguments({"pipeline", file, "--out", dir});
        process.start();
        QVERIFY(process.waitForStarted());
        auto stepsLogged = [&] {
            return QString::fromUtf8(readBytes(dir + "/gen2/metrics.jsonl")).count("\"loss/total\"");
        };
        QElapsedTimer timer;
        timer.start();
        while (stepsLogged() < 14 && process.state() == QProcess::Running && timer.elapsed() < kTrainMs)
            QTest::qWait(5);
        QVERIFY2(process.state() == QProcess::Running, "the pipeline ended before it could be killed");
        process.kill();
        process.waitForFinished();
        const QByteArray gen1 = readBytes(dir + "/gen1/summary.json");
        QVERIFY(!gen1.isEmpty());
        QVERIFY(!QFileInfo::exists(dir + "/gen2/summary.json"));

        const CliRun resumed = runCli({"resume", dir}, kTrainMs);
        QVERIFY2(resumed.exitCode == 0, qPrintable(describe(resumed)));
        QVERIFY2(resumed.out.contains("'gen1': finished") && resumed.out.contains("'gen2' (resumed)"),
                 qPrintable(resumed.out));
        QCOMPARE(readBytes(dir + "/gen1/summary.json"), gen1);
        auto summary = [](const QString& d) {
            return QJsonDocument::fromJson(readBytes(d + "/summary.json")).object();
        };
        const QJsonObject a = summary(refDir + "/gen2"), b = summary(dir + "/gen2");
        QCOMPARE(b["final"].toObject()["top1"].toDouble(), a["final"].toObject()["top1"].toDouble());
        QCOMPARE(b["final"].toObject()["loss"].toDouble(), a["final"].toObject()["loss"].toDouble());
        // Its best epoch came before the kill and no later one beat it: the summary still reports it.
        QVERIFY2(!a["best"].toObject().isEmpty(), qPrintable(QJsonDocument(a).toJson()));
        QCOMPARE(b["best"].toObject(), a["best"].toObject());
        // Generation 2 was taught by generation 1's run folder.
        const auto recipe = distillery::loadRunRecipe((dir + "/gen2").toStdString());
        QCOMPARE(QString::fromStdString(recipe.teacher.checkpoint),
                 QFileInfo(dir + "/gen1").absoluteFilePath());
        QCOMPARE(recipe.teacher.model.arch, std::string("resnet8"));
        // Another pipeline cannot take over the folder; a stage that cannot learn is named.
        writeText(mScratch + "/other.yaml",
                  QStringLiteral("name: other\nstages:\n  - {name: a, recipe: %1}\n").arg(mRecipe));
        const CliRun other = runCli({"pipeline", mScratch + "/other.yaml", "--out", dir});
        QVERIFY2(other.exitCode == 2 && other.err.contains("another pipeline"), qPrintable(describe(other)));
        writeText(mScratch + "/bad.yaml",
                  QStringLiteral("name: bad\nset: [data.subset=64, train.max_steps=1]\nstages:\n"
                                 "  - {name: a, recipe: %1}\n  - {name: b, recipe: %1}\n")
                      .arg(mRecipe));
        const CliRun bad = runCli({"pipeline", mScratch + "/bad.yaml", "--out", mScratch + "/bad"}, kTrainMs);
        QVERIFY2(
            bad.exitCode == 2 && bad.err.contains("stage 'b'") && bad.err.contains("no distillation term"),
            qPrintable(describe(bad)));
    }

    void distillFromShippedTeacher() {
        const QString teacher = QStringLiteral(DISTILLERY_SOURCE_DIR) + "/resources/teachers/fmnist_resnet20";
        if (!QFileInfo::exists(teacher))
            QSKIP("resources/teachers/fmnist_resnet20 is not shipped in this checkout");
        const QString recipe = mScratch + "/distill.yaml";
        writeText(recipe, distillRecipe(teacher));
        const QString runDir = mScratch + "/distill";
        const CliRun train =
            runCli({"train", recipe, "--out", runDir, "--subset", "256", "--max-steps", "4", "--threads", "2",
                    "--set", "train.log_every=1", "--set", "diagnostics.every=2"},
                   kTrainMs);
        QVERIFY2(train.exitCode == 0, qPrintable(describe(train)));

        // Term balance at steps 1, 2 and 4; `diagnostics` prints the last sample as the file has it.
        const CliRun balance = runCli({"diagnostics", runDir, "--json"});
        QVERIFY2(balance.exitCode == 0, qPrintable(describe(balance)));
        const auto printed = nlohmann::json::parse(balance.out.toStdString());
        const auto stored = distillery::readBalance((runDir + "/diagnostics.jsonl").toStdString());
        QCOMPARE(stored.size(), size_t{3});
        QCOMPARE(printed.at("samples").get<size_t>(), size_t{3});
        QCOMPARE(printed.at("step").get<int64_t>(), int64_t{4});
        QCOMPARE(printed.at("terms").size(), size_t{3});
        double shares = 0;
        for (size_t i = 0; i < 3; ++i) {
            const auto& t = printed.at("terms").at(i);
            QCOMPARE(t.at("label").get<std::string>(), stored.back().terms[i].label);
            QCOMPARE(t.at("grad_norm").get<double>(), stored.back().terms[i].gradNorm);
            shares += t.at("grad_share").get<double>();
        }
        QVERIFY(std::abs(shares - 1.0) < 1e-9);
        QCOMPARE(printed.at("terms").at(1).at("label").get<std::string>(), std::string("kd[logits]"));
        const CliRun table = runCli({"diagnostics", runDir});
        QVERIFY2(
            table.exitCode == 0 && table.out.contains("cwd[stage3]") && table.out.contains("over the run"),
            qPrintable(describe(table)));
        // Channel distributions over 8 samples: every channel of the pair, histograms that sum to 1, ordered
        // quantiles, KL ≥ 0; the CSV has a row per channel.
        const CliRun dist = runCli({"distributions", runDir, "--tap", "stage3", "--samples", "8", "--bins",
                                    "10", "--checkpoint", "last", "--json"});
        QVERIFY2(dist.exitCode == 0, qPrintable(describe(dist)));
        const auto channels = nlohmann::json::parse(dist.out.toStdString()).at("channels");
        QCOMPARE(channels.size(), size_t{64});
        for (const auto& c : channels) {
            for (const char* side : {"teacher", "student"}) {
                const auto h = c.at(std::string(side) + "_histogram").get<std::vector<double>>();
                QCOMPARE(h.size(), size_t{10});
                QVERIFY(std::abs(std::accumulate(h.begin(), h.end(), 0.0) - 1.0) < 1e-9);
                const auto q = c.at(std::string(side) + "_quantiles").get<std::vector<double>>();
                QVERIFY(std::is_sorted(q.begin(), q.end()));
            }
            QVERIFY(c.at("kl").get<double>() >= 0);
        }
        const CliRun distCsv = runCli({"distributions", runDir, "--tap", "stage3", "--samples", "8",
                                       "--checkpoint", "last", "--out", mScratch + "/dist.csv"});
        QVERIFY2(distCsv.exitCode == 0, qPrintable(describe(distCsv)));
        QCOMPARE(nonEmptyLines(readBytes(mScratch + "/dist.csv")).size(), 1 + 64);
        const CliRun badTarget = runCli({"diagnostics", runDir, "--target", "1.5"});
        QVERIFY2(badTarget.exitCode == 2 && badTarget.err.contains("--target"),
                 qPrintable(describe(badTarget)));

        // The loss terms of a distillation run are logged by their labels.
        const QString metrics = QString::fromUtf8(readBytes(runDir + "/metrics.jsonl"));
        QVERIFY2(metrics.contains("kd[logits]"), qPrintable(metrics.left(2000)));
        QVERIFY2(metrics.contains("cwd[stage3]"), qPrintable(metrics.left(2000)));

        const QString prefix = mScratch + "/teacher-stage3";
        const CliRun inspect = runCli({"inspect", runDir, "--model", "teacher", "--tap", "stage3",
                                       "--checkpoint", "last", "--tau", "4", "--out", prefix});
        QVERIFY2(inspect.exitCode == 0, qPrintable(describe(inspect)));
        QVERIFY(isPng(readBytes(prefix + ".png")));
        QCOMPARE(nonEmptyLines(readBytes(prefix + ".csv")).size(), 1 + printedChannels(inspect.out));
    }

    void killedRunResumesToTheSameResult() {
        // Reference: four short epochs uninterrupted.
        const QString refDir = mScratch + "/ref";
        const QStringList common{"--subset", "256", "--threads", "2", "--set", "train.epochs=4"};
        const CliRun ref = runCli(QStringList{"train", mRecipe, "--out", refDir} + common, kTrainMs);
        QVERIFY2(ref.exitCode == 0, qPrintable(describe(ref)));

        // Same run, SIGKILLed once its second epoch's checkpoint is on disk, then resumed.
        const QString runDir = mScratch + "/killed";
        QProcess process;
        process.setProgram(QStringLiteral(DISTILLERY_CLI));
        process.setArguments(QStringList{"train", mRecipe, "--out", runDir} + common);
        process.start();
        QVERIFY(process.waitForStarted());
        QElapsedTimer timer;
        timer.start();
        auto valEpochs = [&] {
            return QString::fromUtf8(readBytes(runDir + "/metrics.jsonl")).count("\"top1\"");
        };
        while (valEpochs() < 2 && process.state() == QProcess::Running && timer.elapsed() < kTrainMs)
            QTest::qWait(20);
        QVERIFY2(process.state() == QProcess::Running, "the run ended before it could be killed");
        process.kill();
        process.waitForFinished();
        QVERIFY(QFileInfo::exists(runDir + "/checkpoints/last.pt"));
        const CliRun resumed = runCli({"resume", runDir, "--threads", "2"}, kTrainMs);
        QVERIFY2(resumed.exitCode == 0, qPrintable(describe(resumed)));

        auto summary = [](const QString& dir) {
            return QJsonDocument::fromJson(readBytes(dir + "/summary.json")).object();
        };
        const QJsonObject a = summary(refDir), b = summary(runDir);
        QCOMPARE(b["status"].toString(), QString("finished"));
        QCOMPARE(b["steps"].toInt(), a["steps"].toInt());
        QCOMPARE(b["final"].toObject()["top1"].toDouble(), a["final"].toObject()["top1"].toDouble());
        QCOMPARE(b["final"].toObject()["loss"].toDouble(), a["final"].toObject()["loss"].toDouble());
        // One record per epoch, not duplicated by the restart.
        QCOMPARE(valEpochs(), 4);
    }

    void killedMidEpochResumesFromAStepCheckpoint() {
        // Checkpoints every 3 steps: a kill in the middle of an epoch loses at most 3 steps, and resuming
        // gives the uninterrupted run's numbers. 256 samples in batches of 32: 8 steps per epoch.
        const QStringList common{
            "--subset",       "256",   "--threads",         "2",     "--set",
            "train.epochs=3", "--set", "train.log_every=1", "--set", "train.checkpoint_every=3"};
        const QString refDir = mScratch + "/mid-ref";
        const CliRun ref = runCli(QStringList{"train", mRecipe, "--out", refDir} + common, kTrainMs);
        QVERIFY2(ref.exitCode == 0, qPrintable(describe(ref)));

        const QString runDir = mScratch + "/mid-killed";
        QProcess process;
        process.setProgram(QStringLiteral(DISTILLERY_CLI));
        process.setArguments(QStringList{"train", mRecipe, "--out", runDir} + common);
        process.start();
        QVERIFY(process.waitForStarted());
        // Step 14 is the 6th step of epoch 2; the last checkpoint before it is step 12 (4 steps into epoch
        // 2).
        auto stepsLogged = [&] {
            return QString::fromUtf8(readBytes(runDir + "/metrics.jsonl")).count("\"loss/total\"");
        };
        QElapsedTimer timer;
        timer.start();
        while (stepsLogged() < 14 && process.state() == QProcess::Running && timer.elapsed() < kTrainMs)
            QTest::qWait(5);
        QVERIFY2(process.state() == QProcess::Running, "the run ended before it could be killed");
        process.kill();
        process.waitForFinished();
        const int loggedAtKill = stepsLogged();
        QVERIFY2(loggedAtKill >= 14 && loggedAtKill < 16, qPrintable(QString::number(loggedAtKill)));

        const CliRun resumed = runCli({"resume", runDir, "--threads", "2"}, kTrainMs);
        QVERIFY2(resumed.exitCode == 0, qPrintable(describe(resumed)));
        // It continued inside epoch 2, from a step checkpoint (not from the end of epoch 1, step 8).
        const QRegularExpression at(QStringLiteral("resuming at epoch 2, step (\\d+)"));
        const auto match = at.match(resumed.out + resumed.err);
        QVERIFY2(match.hasMatch(), qPrintable(describe(resumed)));
        const int from = match.captured(1).toInt();
        QVERIFY2(from > 8 && from % 3 == 0 && from <= loggedAtKill, qPrintable(QString::number(from)));

        auto summary = [](const QString& dir) {
            return QJsonDocument::fromJson(readBytes(dir + "/summary.json")).object();
        };
        const QJsonObject a = summary(refDir), b = summary(runDir);
        QCOMPARE(b["steps"].toInt(), 24);
        QCOMPARE(b["final"].toObject()["top1"].toDouble(), a["final"].toObject()["top1"].toDouble());
        QCOMPARE(b["final"].toObject()["loss"].toDouble(), a["final"].toObject()["loss"].toDouble());
        // Each step is logged once: the records after the checkpoint were dropped and written again.
        QCOMPARE(stepsLogged(), 24);
    }

    void shippedRecipesAreValid() {
        // Every shipped recipe loads, and its distillation teacher resolves to a shipped run.
        const QDir dir(QStringLiteral(DISTILLERY_SOURCE_DIR) + "/resources/recipes");
        const QStringList files = dir.entryList({"*.yaml"}, QDir::Files);
        QVERIFY(files.size() >= 8);
        for (const QString& f : files) {
            const CliRun run =
                runCli({"train", dir.filePath(f), "--out", mScratch + "/recipe-" + f, "--max-steps", "1",
                        "--subset", "64", "--threads", "2", "--set", "train.eval_batch_size=64", "--set",
                        "data.train_scenes=64", "--set", "data.val_scenes=64"},
                       kTrainMs);
            QVERIFY2(run.exitCode == 0, qPrintable(f + ": " + describe(run)));
        }
    }

private:
    QString mScratch;
    QString mRecipe;
};

DISTILLERY_TEST_SUITE("cli", CliTest);

#include "test_cli.moc"
