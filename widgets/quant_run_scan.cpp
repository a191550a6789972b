#include "widgets/quant_run_scan.h"

#include <QDir>
#include <QFileInfo>

#include "core/run_folder.h"
#include "widgets/views/runs_table_view.h"

namespace distillery {

QString runDirOf(const QString& path) {
    if (path.isEmpty()) return {};
    const QFileInfo fi(path);
    if (fi.isDir()) return fi.absoluteFilePath();
    if (fi.isFile() && fi.dir().dirName() == QLatin1String("checkpoints"))
        return QFileInfo(fi.dir().absolutePath()).absolutePath();
    return {};
}

bool sameRunDir(const QString& a, const QString& b) {
    return !a.isEmpty() && !b.isEmpty() && QDir(a).canonicalPath() == QDir(b).canonicalPath();
}

bool isQuantizedFolder(const QString& runDir) {
    if (isQuantizedRun(runDir.toStdString())) return true;
    const RunFolder folder(runDir.toStdString());
    if (!folder.hasRecipe()) return false;
    try {
        return folder.readRecipe().quant.enabled;
    } catch (const std::exception&) {
        return false;  // an unreadable recipe is no quantized run; loading it as a source says why
    }
}

bool isQuantSourceCandidate(const QString& runDir) {
    const RunFolder folder(runDir.toStdString());
    return folder.hasRecipe() && folder.hasAnyCheckpoint() && !isQuantizedFolder(runDir);
}

QString quantSourceOf(const QString& quantizedRunDir) {
    const std::string dir = quantizedRunDir.toStdString();
    // The recipe of a quantized run (PTQ and QAT) names its source: a YAML read, cheap enough for a click;
    // the report is the fallback for folders written before it did.
    try {
        const QString from = runDirOf(QString::fromStdString(RunFolder(dir).readRecipe().quant.from));
        if (!from.isEmpty()) return from;
    } catch (const std::exception&) {
    }
    try {
        if (isQuantizedRun(dir)) return QString::fromStdString(readQuantReport(dir).source);
    } catch (const std::exception&) {
    }
    return {};
}

std::vector<QuantSource> findQuantSources(const QString& runsDir) {
    std::vector<QuantSource> sources;
    for (const QString& dir : findRunDirs(runsDir)) {
        if (!isQuantSourceCandidate(dir)) continue;
        const RunOverview o = RunFolder(dir.toStdString()).overview();
        sources.push_back({dir, o.mainMetric, o.bestMetric});
    }
    return sources;
}

QuantComparison readQuantComparison(const QString& sourceDir, const Recipe& sourceRecipe,
                                    const QuantCost& fp32Cost, const QString& runsDir) {
    QuantComparison c;
    if (sourceDir.isEmpty()) return c;
    c.sourceDir = sourceDir;
    c.sourceModel = sourceRecipe.student.displayName();
    c.fp32Cost = fp32Cost;
    c.source = RunFolder(sourceDir.toStdString()).overview();
    if (!c.source->mainMetric.empty()) c.metric = c.source->mainMetric;

    // The teacher the source learnt from, when it came from a run folder (not an imported file).
    c.teacherDir = runDirOf(QString::fromStdString(sourceRecipe.teacher.checkpoint));
    if (!c.teacherDir.isEmpty()) c.teacher = RunFolder(c.teacherDir.toStdString()).overview();

    // The quantized runs of this source, in the project and beside the source.
    QStringList scan = findRunDirs(runsDir);
    for (const QString& dir : findRunDirs(QFileInfo(sourceDir).absolutePath()))
        if (!scan.contains(dir)) scan << dir;
    for (const QString& dir : scan) {
        if (!isQuantizedRun(dir.toStdString())) continue;
        try {
            QuantizeResult q = readQuantReport(dir.toStdString());
            if (!sameRunDir(QString::fromStdString(q.source), sourceDir)) continue;
            q.outDir = dir.toStdString();
            c.quantized.push_back(std::move(q));
        } catch (const std::exception& e) {
            c.errors << QString::fromStdString(e.what());
        }
    }
    return c;
}

}  // namespace distillery
