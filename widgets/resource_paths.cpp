#include "widgets/resource_paths.h"

#include <QFileInfo>

#include "core/install_paths.h"

namespace distillery {

QString resourcesFolder() {
    return QString::fromStdString(resourcesDir());
}

QString demoRecipePath() {
    const QString dir = resourcesFolder();
    if (dir.isEmpty()) return {};
    const QString path = dir + "/recipes/fmnist_cwd.yaml";
    return QFileInfo::exists(path) ? path : QString();
}

}  // namespace distillery
