#include "widgets/project_session.h"

#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QTimer>

#include "widgets/recipe_document.h"
#include "widgets/resource_paths.h"

namespace distillery {

namespace {
constexpr int kMaxRecent = 8;
constexpr int kStatusTimeoutMs = 10000;
}  // namespace

ProjectSession::ProjectSession(RecipeDocument* document, QWidget* dialogParent, QObject* parent)
    : QObject(parent), mDocument(document), mDialogParent(dialogParent), mAutosaveTimer(new QTimer(this)) {
    connect(mAutosaveTimer, &QTimer::timeout, this, &ProjectSession::autosave);
}

void ProjectSession::setSettings(const AppSettings& settings) {
    mSettings = settings;
    if (mSettings.autosaveSeconds > 0)
        mAutosaveTimer->start(mSettings.autosaveSeconds * 1000);
    else
        mAutosaveTimer->stop();
}

bool ProjectSession::isModified() const {
    return mDocument->isModified();
}

Recipe ProjectSession::starterRecipe() {
    // New projects start from the demo: a recipe that runs, which the user then changes.
    const QString demo = demoRecipePath();
    if (!demo.isEmpty()) {
        try {
            Recipe r = loadRecipe(demo.toStdString());
            r.name = "my_distillation";
            return r;
        } catch (const std::exception&) {
        }
    }
    Recipe r;
    r.student.arch = "resnet8";
    return r;
}

bool ProjectSession::refuseWhileBusy(QString* error) const {
    if (!mBusy || !mBusy()) return false;
    if (error) *error = tr("Stop the current run before opening another project.");
    return true;
}

bool ProjectSession::adopt(const Project& project, Change change) {
    mProject = project;
    addRecent(mProject.dir());
    Q_EMIT projectChanged(change);
    return true;
}

bool ProjectSession::newProject(const QString& dir, QString* error) {
    Recipe recipe = starterRecipe();
    recipe.name = QFileInfo(dir).fileName().toStdString();
    if (recipe.name.empty()) recipe.name = "run";
    return createProject(dir, recipe, error);
}

bool ProjectSession::createProject(const QString& dir, const Recipe& recipe, QString* error) {
    if (refuseWhileBusy(error)) return false;
    Project created;
    if (!Project::create(dir, recipe, &created, error)) return false;
    mDocument->reset(recipe);
    adopt(created, Change::Created);
    Q_EMIT statusMessage(tr("Created project %1").arg(mProject.dir()), kStatusTimeoutMs);
    return true;
}

bool ProjectSession::openProject(const QString& dir, QString* error) {
    if (refuseWhileBusy(error)) return false;
    Project opened;
    Recipe recipe;
    if (!Project::open(dir, &opened, &recipe, error)) return false;
    mDocument->reset(recipe);
    adopt(opened, Change::Opened);
    Q_EMIT statusMessage(tr("Opened project %1").arg(mProject.dir()), kStatusTimeoutMs);
    return true;
}

bool ProjectSession::saveProject(QString* error) {
    if (!mProject.isOpen()) {
        const QString dir = QFileDialog::getSaveFileName(
            mDialogParent, tr("Save as a new project folder"),
            mSettings.projectsRoot + "/" + QString::fromStdString(mDocument->recipe().name));
        if (dir.isEmpty()) return false;
        Project created;
        if (!Project::create(dir, mDocument->recipe(), &created, error)) return false;
        adopt(created, Change::Created);
    } else if (!mProject.save(mDocument->recipe(), error)) {
        return false;
    }
    mDocument->setSaved();
    Q_EMIT statusMessage(tr("Saved %1").arg(mProject.recipePath()), kStatusTimeoutMs);
    return true;
}

bool ProjectSession::ensureProject(QString* error) {
    if (mProject.isOpen()) {
        if (!mProject.save(mDocument->recipe(), error)) return false;
        mDocument->setSaved();
        return true;
    }
    // Runs need a folder; rather than stop the user with a dialog, give the recipe a project of its own.
    const QString dir = mSettings.projectsRoot + "/" + QString::fromStdString(mDocument->recipe().name) +
                        "-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
    Project created;
    if (!Project::create(dir, mDocument->recipe(), &created, error)) return false;
    mDocument->setSaved();
    adopt(created, Change::Created);
    Q_EMIT logMessage(tr("Created project %1 for the runs of this recipe").arg(mProject.dir()), false);
    return true;
}

bool ProjectSession::maybeSave(const QString& consequence) {
    if (!mDocument->isModified()) return true;
    QString question = tr("The recipe has changes that are not saved. Save them?");
    if (!consequence.isEmpty()) question += QStringLiteral("\n\n") + consequence;
    const auto answer = QMessageBox::warning(mDialogParent, tr("Unsaved changes"), question,
                                             QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel,
                                             QMessageBox::Save);
    if (answer == QMessageBox::Cancel) return false;
    if (answer == QMessageBox::Discard) return true;
    QString error;
    if (saveProject(&error)) return true;
    if (!error.isEmpty()) Q_EMIT errorOccurred(error);
    return false;
}

void ProjectSession::autosave() {
    if (!mProject.isOpen() || !mDocument->isModified()) return;
    QString error;
    if (mProject.save(mDocument->recipe(), &error)) {
        mDocument->setSaved();
        Q_EMIT statusMessage(tr("Autosaved"), 3000);
    } else {
        Q_EMIT logMessage(tr("Autosave failed: %1").arg(error), true);
    }
}

void ProjectSession::chooseNewProject() {
    if (!maybeSave()) return;
    QDir().mkpath(mSettings.projectsRoot);
    const QString dir = QFileDialog::getSaveFileName(mDialogParent, tr("New project folder"),
                                                     mSettings.projectsRoot + "/" + tr("project"));
    if (dir.isEmpty()) return;
    QString error;
    if (!newProject(dir, &error)) Q_EMIT errorOccurred(error);
}

void ProjectSession::chooseOpenProject() {
    if (!maybeSave()) return;
    const QString dir =
        QFileDialog::getExistingDirectory(mDialogParent, tr("Open project folder"), mSettings.projectsRoot);
    if (dir.isEmpty()) return;
    QString error;
    if (!openProject(dir, &error)) Q_EMIT errorOccurred(error);
}

void ProjectSession::openRecent(const QString& dir) {
    QString error;
    if (maybeSave() && !openProject(dir, &error)) Q_EMIT errorOccurred(error);
}

QStringList ProjectSession::recentProjects() const {
    return QSettings().value("recentProjects").toStringList();
}

QString ProjectSession::lastProject() const {
    return QSettings().value("lastProject").toString();
}

void ProjectSession::addRecent(const QString& dir) {
    QSettings settings;
    QStringList recent = settings.value("recentProjects").toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue("recentProjects", recent);
    settings.setValue("lastProject", dir);
    Q_EMIT recentProjectsChanged();
}

}  // namespace distillery
