#pragma once
// The workbench window: docks for models, data and recipe, the live views, the log, menus and tool bar, and
// the welcome page, wired together. Run control lives in RunController and the project session (new, open,
// save, recent, autosave, unsaved changes) in ProjectSession, both owned by the window.

#include <QFutureWatcher>
#include <QMainWindow>
#include <QPointer>
#include <QStringList>

#include "core/engine.h"
#include "widgets/project.h"
#include "widgets/project_session.h"
#include "widgets/run_controller.h"
#include "widgets/settings_dialog.h"

class QAction;
class QMenu;
class QMessageBox;
class QProcess;
class QPlainTextEdit;

namespace distillery {

class ChannelInspectorView;
class DataDock;
class DocumentationViewer;
class EngineBridge;
class LossCurvesView;
class PipelineChainView;
class ModelsDock;
class PredictionsView;
class GeneratedImagesView;
class TermBalanceView;
class ChannelDistributionView;
class QuantizePage;
class RecipeDock;
class RecipeDocument;
class RunsTableView;
class WelcomePage;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    using RunKind = RunController::RunKind;

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /** Start-up as a user sees it: the welcome page the first time, else the last project. */
    void restoreSession();

    // Projects (ProjectSession). These do not ask about unsaved edits; the menu actions do.
    bool newProject(const QString& dir, QString* error = nullptr);
    bool openProject(const QString& dir, QString* error = nullptr);
    bool saveProject(QString* error = nullptr);
    const Project& project() const { return mSession->project(); }
    /** Asks whether to save unsaved edits; false when the user cancels. */
    bool maybeSave();

    /** Reads a recipe file into the editor as one undoable edit. */
    bool importRecipe(const QString& path, QString* error = nullptr);

    // Runs (RunController). Failures are shown (status bar, message box, log) and return false.
    bool trainTeacher();
    bool distillStudent();
    void pauseRun();
    void resumeRun();
    void stopRun();
    /** The shipped Fashion-MNIST CWD demo in a new project; `overrides` (--set style) shorten it for tours.
     */
    bool runDemo(const std::vector<std::string>& overrides = {});
    /** Continues a stopped or killed run from its last checkpoint, in its own folder. */
    bool continueRun(const QString& runDir);
    /** Shows the Quantize & Export page with the selected run (or its fp32 source) as the source. */
    void showQuantize();
    /** Run → Prune Model: prunes the selected run in the background, then offers to distil the result. */
    void pruneSelectedRun();
    /** Run → Suggest Hint Points: clusters the teacher's layers (core/hints.h) in the background and puts one
     *  term per proposed hint point in place of the recipe's feature terms (one undoable edit). */
    void suggestHintPoints();
    /** Run → Run Pipeline: runs a pipeline file (core/pipeline.h) with distillery-cli into the project's runs
     *  folder; its stages appear in the Runs table as they start. Returns false when it cannot start. */
    bool runPipeline(const QString& pipelineFile);
    bool pipelineRunning() const;
    /** A run with a last checkpoint that did not finish. */
    static bool isResumable(const QString& runDir);
    bool isRunning() const;
    RunKind runKind() const { return mRuns->runKind(); }
    QString currentRunDir() const { return mRuns->runDir(); }
    QString lastError() const { return mLastError; }

    /** Help > Documentation: the installed guides, offline (one window, raised when already open). */
    DocumentationViewer* showDocumentation();
    void showWelcome(bool show);
    void resetLayout();

    RecipeDocument* document() const { return mDocument; }
    EngineBridge* bridge() const;
    RunController* runController() const { return mRuns; }
    ProjectSession* session() const { return mSession; }
    ModelsDock* modelsDock() const { return mModelsDock; }
    DataDock* dataDock() const { return mDataDock; }
    RecipeDock* recipeDock() const { return mRecipeDock; }
    LossCurvesView* lossCurves() const { return mLossCurves; }
    PipelineChainView* pipelineChain() const { return mPipelineChain; }
    /** The runs selected in the Runs table, as the views show them. */
    QStringList selectedRuns() const { return mSelectedRuns; }
    ChannelInspectorView* inspector() const { return mInspector; }
    PredictionsView* predictions() const { return mPredictions; }
    GeneratedImagesView* generatedImages() const { return mGenerated; }
    TermBalanceView* termBalance() const { return mTermBalance; }
    ChannelDistributionView* distributions() const { return mDistributions; }
    RunsTableView* runsTable() const { return mRunsTable; }
    QuantizePage* quantizePage() const { return mQuantize; }
    WelcomePage* welcomePage() const { return mWelcome; }
    QDockWidget* dockFor(QWidget* view) const;
    QAction* action(const QString& objectName) const;

Q_SIGNALS:
    void runStarted(const QString& runDir);
    void runFinished(const QString& runDir, distillery::RunStatus status);
    void errorShown(const QString& message);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    struct SnapshotResult {
        QString runDir;
        ActivationSnapshot snapshot;
        QString error;
    };

    void createDocks();
    void createActions();
    void createMenus();
    void applyDefaultSizes();
    void applySettings();
    void updateActions();
    void updateTitle();
    void showError(const QString& message);
    void log(const QString& text, bool error = false);
    /** Applies YAML typed in the recipe dock before a run starts from the editor. */
    bool commitTypedRecipe(QString* error);
    /** The project folder changed: the recipe dock, the runs table and the Quantize page follow it. */
    void onProjectChanged(ProjectSession::Change change);
    void onRunStarted(const QString& runDir, const Recipe& recipe, RunKind kind, bool resumed);
    void onRunFinished(const QString& runDir, const RunSummary& summary, RunKind kind);
    void rebuildRecentMenu();
    void onSnapshotRequested(const QString& teacherTap, const QString& studentTap, qint64 sample,
                             const QString& split);
    void onRunsSelected(const QStringList& runDirs);
    /** The chain of the pipeline the selected runs are stages of (hidden when they are not one's). */
    void showPipelineChain(const QStringList& runDirs);
    void inspectRun(const QString& runDir);
    void matchInspectorTau(const Recipe& recipe);
    void startBackgroundSnapshot();
    void showRunPredictions(const QString& runDir);
    /** The student alone's validation curve under a distillation's (the project's matching finished runs). */
    void showBaseline(const QString& runDir, const Recipe& recipe);
    void chooseImportRecipe();
    void chooseExportRecipe();
    void exportCurves(bool png);
    void openSettings();
    QList<QPair<QString, QString>> tapPairs(const Recipe& recipe) const;

    RecipeDocument* mDocument;
    class BackgroundWork* mWork = nullptr;  // pruning
    QProcess* mPipeline = nullptr;          // Run → Run Pipeline
    ProjectSession* mSession;
    RunController* mRuns;
    AppSettings mSettings;

    ModelsDock* mModelsDock = nullptr;
    DataDock* mDataDock = nullptr;
    RecipeDock* mRecipeDock = nullptr;
    LossCurvesView* mLossCurves = nullptr;
    PipelineChainView* mPipelineChain = nullptr;
    ChannelInspectorView* mInspector = nullptr;
    PredictionsView* mPredictions = nullptr;
    GeneratedImagesView* mGenerated = nullptr;  // a data-free run's generator
    TermBalanceView* mTermBalance = nullptr;
    ChannelDistributionView* mDistributions = nullptr;
    RunsTableView* mRunsTable = nullptr;
    QuantizePage* mQuantize = nullptr;
    QPlainTextEdit* mLog = nullptr;
    WelcomePage* mWelcome = nullptr;
    QList<QDockWidget*> mDocks;
    bool mRestoredLayout = false;

    QMenu* mRecentMenu = nullptr;
    QMenu* mViewMenu = nullptr;
    QPointer<QMessageBox> mErrorBox;
    QPointer<DocumentationViewer> mDocumentation;
    QString mLastError;

    // Snapshots of finished runs are computed off the GUI thread, one at a time, newest request wins. Only a
    // running job is asked for snapshots itself: the run that just ended is read from its last checkpoint
    // (its step count from the summary), so that no job is busy with a snapshot when it is replaced.
    QString mInspectedRun;
    QStringList mSelectedRuns;
    QFutureWatcher<SnapshotResult> mSnapshotWatcher;
    bool mSnapshotPending = false;
    int64_t mFinishedSteps = -1;  // steps of the run that just ended, for its final maps
};

}  // namespace distillery
