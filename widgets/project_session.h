#pragma once
// The workbench's project session: which project is open (a folder holding recipe.yaml and runs/), creating,
// opening and saving it, the recent projects, autosave, and the unsaved-changes prompt. The recipe being
// edited belongs to the RecipeDocument; the session decides when it is written and what replaces it. The
// window keeps the menus and shows what the session reports through its signals.

#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>
#include <functional>

#include "core/recipe.h"
#include "widgets/project.h"
#include "widgets/settings_dialog.h"

class QTimer;
class QWidget;

namespace distillery {

class RecipeDocument;

class ProjectSession : public QObject {
    Q_OBJECT

public:
    /** How the open project changed. */
    enum class Change {
        Created,  // a new folder (New Project, the demo, a first save, or a run that needed one)
        Opened    // an existing project was read
    };
    Q_ENUM(Change)

    /** `dialogParent` parents the file dialogs and the unsaved-changes prompt. */
    ProjectSession(RecipeDocument* document, QWidget* dialogParent, QObject* parent = nullptr);

    /** Where new projects go and how often to autosave (0: never). */
    void setSettings(const AppSettings& settings);
    QString projectsRoot() const { return mSettings.projectsRoot; }
    /** While it returns true, no other project is created or opened (a run writes into this one). */
    void setBusyCheck(std::function<bool()> busy) { mBusy = std::move(busy); }

    const Project& project() const { return mProject; }
    bool isModified() const;
    /** The recipe a new project starts from: the demo's, renamed, so that it runs; else a bare ResNet-8. */
    static Recipe starterRecipe();

    // Without questions: these do not ask about unsaved edits (the choose… actions do).
    /** A new project named after its folder, holding the starter recipe. */
    bool newProject(const QString& dir, QString* error = nullptr);
    /** A new project holding `recipe` (the demo's). */
    bool createProject(const QString& dir, const Recipe& recipe, QString* error = nullptr);
    bool openProject(const QString& dir, QString* error = nullptr);
    /** Writes the recipe; without an open project, asks for a new project folder first. */
    bool saveProject(QString* error = nullptr);
    /** Runs need a folder: saves the open project, or creates one for the recipe without asking. */
    bool ensureProject(QString* error);

    /**
     * Asks whether to save unsaved edits (Save, Discard, Cancel); false when the user cancels or saving
     * fails. `consequence`, when given, is a sentence added to the question (what else happens next).
     */
    bool maybeSave(const QString& consequence = {});

    // User actions: they ask about unsaved edits, show dialogs, and report failures through errorOccurred.
    void chooseNewProject();
    void chooseOpenProject();
    void openRecent(const QString& dir);

    /** Most recent first. */
    QStringList recentProjects() const;
    /** The project opened last (for the next start). */
    QString lastProject() const;

Q_SIGNALS:
    void projectChanged(distillery::ProjectSession::Change change);
    void recentProjectsChanged();
    /** For the status bar: `timeoutMs` 0 keeps it until the next one. */
    void statusMessage(const QString& text, int timeoutMs);
    void logMessage(const QString& text, bool error);
    void errorOccurred(const QString& message);

private:
    bool adopt(const Project& project, Change change);
    bool refuseWhileBusy(QString* error) const;
    void addRecent(const QString& dir);
    void autosave();

    RecipeDocument* mDocument;
    QPointer<QWidget> mDialogParent;
    Project mProject;
    AppSettings mSettings;
    QTimer* mAutosaveTimer;
    std::function<bool()> mBusy;
};

}  // namespace distillery
