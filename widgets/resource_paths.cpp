#include "widgets/resource_paths.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace distillery {

QString resourcesDir() {
    const QString appDir = QCoreApplication::applicationDirPath();
    // Installed layout first, then a build tree beside the sources, then the source tree the build came from.
    const QStringList candidates{
        appDir + "/../share/distillery/resources",
        appDir + "/resources",
        appDir + "/../../resources",
        appDir + "/../../../resources",
        QStringLiteral(DISTILLERY_RESOURCES_FALLBACK),
    };
    for (const QString& candidate : candidates) {
        if (QFileInfo(candidate + "/recipes").isDir()) return QDir(candidate).canonicalPath();
    }
    return {};
}

QString demoRecipePath() {
    const QString dir = resourcesDir();
    if (dir.isEmpty()) return {};
    const QString path = dir + "/recipes/fmnist_cwd.yaml";
    return QFileInfo::exists(path) ? path : QString();
}

}  // namespace distillery
