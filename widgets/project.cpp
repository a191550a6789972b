#include "widgets/project.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QRegularExpression>

#include "core/imaging.h"

namespace distillery {

namespace {
const char* const kRecipeFile = "recipe.yaml";
const char* const kRunsFolder = "runs";
}  // namespace

Project::Project(QString dir) : mDir(QDir(dir).absolutePath()) {}

QString Project::name() const {
    return QFileInfo(mDir).fileName();
}

QString Project::recipePath() const {
    return mDir + "/" + kRecipeFile;
}

QString Project::runsDir() const {
    return mDir + "/" + kRunsFolder;
}

bool Project::create(const QString& dir, const Recipe& recipe, Project* project, QString* error) {
    Project created(dir);
    if (QFileInfo::exists(created.recipePath())) {
        if (error) *error = tr("%1 already holds a project").arg(created.dir());
        return false;
    }
    if (!QDir().mkpath(created.runsDir())) {
        if (error) *error = tr("cannot create the folder %1").arg(created.runsDir());
        return false;
    }
    if (!created.save(recipe, error)) return false;
    if (project) *project = created;
    return true;
}

bool Project::open(const QString& dir, Project* project, Recipe* recipe, QString* error) {
    Project opened(dir);
    if (!QFileInfo(opened.recipePath()).isFile()) {
        if (error) *error = tr("%1 is not a project folder (no recipe.yaml)").arg(opened.dir());
        return false;
    }
    try {
        Recipe loaded = loadRecipe(opened.recipePath().toStdString());
        QDir().mkpath(opened.runsDir());
        if (recipe) *recipe = loaded;
        if (project) *project = opened;
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

bool Project::save(const Recipe& recipe, QString* error) const {
    try {
        writeFileAtomically(recipePath().toStdString(), recipeToYaml(recipe));
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

QString Project::newRunDir(const QString& runName) const {
    QString base = runName;
    base.replace(QRegularExpression("[^A-Za-z0-9_.-]+"), "_");
    if (base.isEmpty()) base = "run";
    base += "-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
    QString candidate = runsDir() + "/" + base;
    for (int i = 2; QFileInfo::exists(candidate); ++i)
        candidate = runsDir() + "/" + base + "-" + QString::number(i);
    return candidate;
}

}  // namespace distillery
