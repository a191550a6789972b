#pragma once
// The workbench window: docks for models, data and recipe, the live views, run control through the engine
// bridge, projects with autosave, and the welcome page.

#include <QFutureWatcher>
#include <QMainWindow>
#include <QPointer>
#include <QStringList>

#include "core/engine.h"
#include "widgets/project.h"
#include "widgets/settings_dialog.h"

class QAction;
class QLabel;
class QMenu;
class QMessageBox;
class QPlainTextEdit;
class QProgressBar;
class QTimer;

namespace distillery {

class ChannelInspectorView;
class DataDock;
class EngineBridge;
class LossCurvesView;
class ModelsDock;
class PredictionsView;
class QuantizePage;
class RecipeDock;
class RecipeDocument;
class RunsTableView;
class WelcomePage;

class MainWindow : public QMainWindow {
    Q_OBJECT

public:
    enum class RunKind { None, Teacher, Student, Qat };

    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /** Start-up as a user sees it: the welcome page the first time, else the last project. */
    void restoreSession();

    // Projects. These do not ask about unsaved edits; the menu actions do.
    bool newProject(const QString& dir, QString* error = nullptr);
    bool openProject(const QString& dir, QString* error = nullptr);
    bool saveProject(QString* error = nullptr);
    const Project& project() const { return mProject; }
    /** Asks whether to save unsaved edits; false when the user cancels. */
    bool maybeSave();

    /** Reads a recipe file into the editor as one undoable edit. */
    bool importRecipe(const QString& path, QString* error = nullptr);

    // Runs. Failures are shown (status bar, message box, log) and return false.
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
    /** A run with a last checkpoint that did not finish. */
    static bool isResumable(const QString& runDir);
    bool isRunning() const;
    RunKind runKind() const { return mRunKind; }
    QString currentRunDir() const { return mRunDir; }
    QString lastError() const { return mLastError; }

    void showWelcome(bool show);
    void resetLayout();

    RecipeDocument* document() const { return mDocument; }
    EngineBridge* bridge() const { return mBridge; }
    ModelsDock* modelsDock() const { return mModelsDock; }
    DataDock* dataDock() const { return mDataDock; }
    RecipeDock* recipeDock() const { return mRecipeDock; }
    LossCurvesView* lossCurves() const { return mLossCurves; }
    ChannelInspectorView* inspector() const { return mInspector; }
    PredictionsView* predictions() const { return mPredictions; }
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
    void createStatusBar();
    void applyDefaultSizes();
    void applySettings();
    void updateActions();
    void updateTitle();
    void showError(const QString& message);
    void log(const QString& text, bool error = false);
    bool ensureProject(QString* error);
    bool startRun(RunKind kind);
    bool launch(const Recipe& recipe, const JobOptions& options, RunKind kind);
    /** A resolved recipe as a new run of the project (QAT from the Quantize page). */
    bool startRecipe(const Recipe& recipe, RunKind kind, QString* error);
    /** The project folder changed: the runs table and the Quantize page follow it. */
    void showProjectRuns();
    Recipe starterRecipe() const;
    void addRecent(const QString& dir);
    void rebuildRecentMenu();
    void autosave();
    void onStep(const StepEvent& event);
    void onEpoch(const EpochEvent& event);
    void onFinished(const RunSummary& summary);
    void onSnapshotRequested(const QString& teacherTap, const QString& studentTap, qint64 sample,
                             const QString& split);
    void onRunsSelected(const QStringList& runDirs);
    void inspectRun(const QString& runDir);
    void matchInspectorTau(const Recipe& recipe);
    void startBackgroundSnapshot();
    void showRunPredictions(const QString& runDir);
    void chooseNewProject();
    void chooseOpenProject();
    void chooseImportRecipe();
    void chooseExportRecipe();
    void exportCurves(bool png);
    void openSettings();
    QList<QPair<QString, QString>> tapPairs(const Recipe& recipe) const;

    RecipeDocument* mDocument;
    EngineBridge* mBridge;
    Project mProject;
    AppSettings mSettings;

    ModelsDock* mModelsDock = nullptr;
    DataDock* mDataDock = nullptr;
    RecipeDock* mRecipeDock = nullptr;
    LossCurvesView* mLossCurves = nullptr;
    ChannelInspectorView* mInspector = nullptr;
    PredictionsView* mPredictions = nullptr;
    RunsTableView* mRunsTable = nullptr;
    QuantizePage* mQuantize = nullptr;
    QPlainTextEdit* mLog = nullptr;
    WelcomePage* mWelcome = nullptr;
    QList<QDockWidget*> mDocks;
    bool mRestoredLayout = false;

    QMenu* mRecentMenu = nullptr;
    QMenu* mViewMenu = nullptr;
    QLabel* mStatusStep = nullptr;
    QLabel* mStatusThroughput = nullptr;
    QLabel* mStatusEta = nullptr;
    QProgressBar* mProgress = nullptr;
    QTimer* mAutosaveTimer = nullptr;
    QPointer<QMessageBox> mErrorBox;

    RunKind mRunKind = RunKind::None;
    QString mRunDir;
    QString mLastError;
    bool mDemoPending = false;  // a demo waits for its teacher to be trained
    std::vector<std::string> mDemoOverrides;

    // Snapshots of finished runs are computed off the GUI thread, one at a time, newest request wins.
    QString mInspectedRun;
    QStringList mSelectedRuns;
    QFutureWatcher<SnapshotResult> mSnapshotWatcher;
    bool mSnapshotPending = false;
};

}  // namespace distillery
