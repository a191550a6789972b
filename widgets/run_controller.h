#pragma once
// Run control of the workbench: starts teacher, student and QAT runs through the engine bridge, continues
// stopped ones, pauses, resumes and stops them, knows what kind of run is going (and records its role in
// summary.json), and keeps the status bar's step, throughput, ETA and progress in step. The window wires its
// views (curves, inspector, runs table, Quantize page) to the signals.

#include <QObject>
#include <QPointer>
#include <QString>
#include <functional>
#include <string>
#include <vector>

#include "core/engine.h"
#include "core/recipe.h"
#include "core/run_folder.h"

class QLabel;
class QProgressBar;
class QStatusBar;

namespace distillery {

class EngineBridge;
class ProjectSession;

/** QSettings key of the data-parallel processes a run starts with (the recipe dock's Processes field). */
inline const char* const kProcessesSetting = "training/processes";
class RecipeDocument;

class RunController : public QObject {
    Q_OBJECT

public:
    /** What the window started: a teacher trained alone, a student (trained or distilled), or QAT. */
    enum class RunKind { None, Teacher, Student, Qat };
    Q_ENUM(RunKind)

    RunController(RecipeDocument* document, ProjectSession* session, QObject* parent = nullptr);
    ~RunController() override;

    EngineBridge* bridge() const { return mBridge; }
    /** Adds the step, throughput, ETA and progress read-outs to the bar; run messages go there too. */
    void attachStatusBar(QStatusBar* bar);
    /** Runs before a run starts from the editor (the YAML being typed is the user's latest word); false and
     *  an error keep the run from starting. */
    void setRecipeCommit(std::function<bool(QString* error)> commit) { mCommit = std::move(commit); }

    // Each shows its failure (errorOccurred) and returns false.
    bool trainTeacher();
    bool distillStudent();
    /** A resolved recipe as a new run of the project (QAT from the Quantize page); *error on failure. */
    bool startRecipe(const Recipe& recipe, RunKind kind, QString* error);
    /** Continues a stopped or killed run from its last checkpoint, in its own folder, as the kind it was. */
    bool continueRun(const QString& runDir);
    /** The shipped Fashion-MNIST CWD demo in a new project (its teacher trained first when missing). */
    bool runDemo(const std::vector<std::string>& overrides = {});
    void pause();
    void resume();
    void stop();
    /** Stops the run and waits for its thread (closing the window). */
    void stopAndWait();

    bool isRunning() const;
    bool isPaused() const;
    RunKind runKind() const { return mKind; }
    QString runDir() const { return mRunDir; }
    QString lastError() const { return mLastError; }
    /** A run with a last checkpoint that did not finish (a readable summary that says so, or none). */
    static bool isResumable(const QString& runDir);
    /** The role a run of this kind records in summary.json. */
    static RunRole roleOf(RunKind kind);

Q_SIGNALS:
    /** A run started (`resumed`: a stopped one continues); the window turns its views to it. */
    void runStarted(const QString& runDir, const distillery::Recipe& recipe,
                    distillery::RunController::RunKind kind, bool resumed);
    /** After the controller's own bookkeeping (status bar, log, a trained teacher joins the recipe). */
    void runFinished(const QString& runDir, const distillery::RunSummary& summary,
                     distillery::RunController::RunKind kind);
    /** Paused, resumed or stopping: the window's actions follow. */
    void stateChanged();
    void logMessage(const QString& text, bool error);
    void errorOccurred(const QString& message);

private:
    bool refuseWhileRunning();
    bool startRun(RunKind kind);
    bool launch(const Recipe& recipe, const JobOptions& options, RunKind kind);
    void fail(const QString& message);
    void showStatus(const QString& text, int timeoutMs = 0);
    void onStep(const StepEvent& event);
    void onEpoch(const EpochEvent& event);
    void onFinished(const RunSummary& summary);

    RecipeDocument* mDocument;
    ProjectSession* mSession;
    EngineBridge* mBridge;
    std::function<bool(QString*)> mCommit;

    QPointer<QStatusBar> mStatusBar;
    QLabel* mStatusStep = nullptr;
    QLabel* mStatusThroughput = nullptr;
    QLabel* mStatusEta = nullptr;
    QProgressBar* mProgress = nullptr;

    RunKind mKind = RunKind::None;
    QString mRunDir;
    QString mLastError;
    bool mDemoPending = false;  // a demo waits for its teacher to be trained
};

}  // namespace distillery
