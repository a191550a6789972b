#include "widgets/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QKeySequence>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

#include "core/baseline.h"
#include "core/format.h"
#include "core/hints.h"
#include "core/imaging.h"
#include "core/install_paths.h"
#include "core/pipeline.h"
#include "core/run_folder.h"
#include "widgets/background_work.h"
#include "widgets/data_dock.h"
#include "widgets/documentation_viewer.h"
#include "widgets/engine_bridge.h"
#include "widgets/models_dock.h"
#include "widgets/prune_dialog.h"
#include "widgets/quant_run_scan.h"
#include "widgets/quantize_page.h"
#include "widgets/recipe_dock.h"
#include "widgets/recipe_document.h"
#include "widgets/resource_paths.h"
#include "widgets/tap_rules.h"
#include "widgets/views/channel_distribution_view.h"
#include "widgets/views/channel_inspector_view.h"
#include "widgets/views/format.h"
#include "widgets/views/generated_images_view.h"
#include "widgets/views/loss_curves_view.h"
#include "widgets/views/pipeline_chain_view.h"
#include "widgets/views/predictions_view.h"
#include "widgets/views/runs_table_view.h"
#include "widgets/views/term_balance_view.h"
#include "widgets/welcome_page.h"

namespace distillery {

namespace {

constexpr int kStatusTimeoutMs = 10000;

}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent), mDocument(new RecipeDocument(this)) {
    setObjectName("mainWindow");
    mSettings = AppSettings::load();
    mSession = new ProjectSession(mDocument, this, this);
    mRuns = new RunController(mDocument, mSession, this);
    setDockNestingEnabled(true);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::TopLeftCorner, Qt::LeftDockWidgetArea);

    // The welcome page is the central widget only while it is shown; otherwise the docks fill the window.
    mWelcome = new WelcomePage(this);
    mWelcome->hide();

    createDocks();
    createActions();
    createMenus();
    mRuns->attachStatusBar(statusBar());

    // The project session: its messages go to the status bar and the log; a new folder moves the views.
    mSession->setBusyCheck([this] { return isRunning(); });
    connect(mSession, &ProjectSession::projectChanged, this, &MainWindow::onProjectChanged);
    connect(mSession, &ProjectSession::recentProjectsChanged, this, &MainWindow::rebuildRecentMenu);
    connect(mSession, &ProjectSession::statusMessage, this,
            [this](const QString& text, int timeoutMs) { statusBar()->showMessage(text, timeoutMs); });
    connect(mSession, &ProjectSession::logMessage, this, &MainWindow::log);
    connect(mSession, &ProjectSession::errorOccurred, this, &MainWindow::showError);

    connect(mWelcome, &WelcomePage::demoRequested, this, [this] { runDemo(); });
    connect(mWelcome, &WelcomePage::newProjectRequested, mSession, &ProjectSession::chooseNewProject);
    connect(mWelcome, &WelcomePage::openProjectRequested, mSession, &ProjectSession::chooseOpenProject);
    connect(mWelcome, &WelcomePage::recentProjectRequested, mSession, &ProjectSession::openRecent);
    connect(mWelcome, &WelcomePage::dismissed, this, [this] { showWelcome(false); });

    // Run control: the controller keeps the status bar; the views follow the bridge's events.
    EngineBridge* engine = mRuns->bridge();
    mRuns->setRecipeCommit([this](QString* error) { return commitTypedRecipe(error); });
    connect(mRuns, &RunController::runStarted, this, &MainWindow::onRunStarted);
    connect(mRuns, &RunController::runFinished, this, &MainWindow::onRunFinished);
    connect(mRuns, &RunController::stateChanged, this, &MainWindow::updateActions);
    connect(mRuns, &RunController::logMessage, this, &MainWindow::log);
    connect(mRuns, &RunController::errorOccurred, this, &MainWindow::showError);
    connect(engine, &EngineBridge::stepReported, mLossCurves, &LossCurvesView::addStep);
    connect(engine, &EngineBridge::epochReported, mLossCurves, &LossCurvesView::addEpoch);
    connect(engine, &EngineBridge::balanceReported, mTermBalance, &TermBalanceView::addSample);
    connect(engine, &EngineBridge::snapshotReady, this, [this](const ActivationSnapshot& s) {
        if (mInspectedRun == mRuns->runDir()) mInspector->setSnapshot(s);
    });
    connect(engine, &EngineBridge::logReported, this, [this](int level, const QString& text) {
        log(text, level == static_cast<int>(LogLevel::Error));
        if (level == static_cast<int>(LogLevel::Warning) && text.startsWith("snapshot:"))
            mInspector->showMessage(text);
    });
    connect(&mSnapshotWatcher, &QFutureWatcher<SnapshotResult>::finished, this, [this] {
        const SnapshotResult result = mSnapshotWatcher.result();
        if (result.runDir == mInspectedRun) {
            if (result.error.isEmpty())
                mInspector->setSnapshot(result.snapshot);
            else
                mInspector->showMessage(result.error);
        }
        if (mSnapshotPending) startBackgroundSnapshot();
    });

    connect(mDocument, &RecipeDocument::changed, this, [this] { updateActions(); });
    connect(mDocument, &RecipeDocument::modifiedChanged, this, [this] { updateTitle(); });

    mDocument->reset(ProjectSession::starterRecipe());
    resetLayout();
    QSettings settings;
    if (!restoreGeometry(settings.value("window/geometry").toByteArray())) {
        // First start: most of the screen, since the live views want room.
        const QSize screen = QGuiApplication::primaryScreen()
                                 ? QGuiApplication::primaryScreen()->availableSize()
                                 : QSize(1440, 900);
        resize(std::min(screen.width() * 9 / 10, 1600), std::min(screen.height() * 9 / 10, 1000));
    }
    if (restoreState(settings.value("window/state").toByteArray())) mRestoredLayout = true;
    applySettings();
    rebuildRecentMenu();
    updateActions();
    updateTitle();
}

MainWindow::~MainWindow() {
    mSnapshotWatcher.waitForFinished();
}

EngineBridge* MainWindow::bridge() const {
    return mRuns->bridge();
}

void MainWindow::createDocks() {
    mModelsDock = new ModelsDock(mDocument, this);
    mDataDock = new DataDock(mDocument, this);
    mRecipeDock = new RecipeDock(mDocument, this);
    connect(mDataDock, &DataDock::datasetInfoChanged, this,
            [this] { mModelsDock->setDatasetInfo(mDataDock->info()); });
    connect(mModelsDock, &ModelsDock::modelInfoChanged, this,
            [this] { mRecipeDock->setModels(mModelsDock->teacherInfo(), mModelsDock->studentInfo()); });
    connect(mRecipeDock, &RecipeDock::errorOccurred, this, &MainWindow::showError);
    mRecipeDock->setModels(mModelsDock->teacherInfo(), mModelsDock->studentInfo());

    mLossCurves = new LossCurvesView(this);
    mInspector = new ChannelInspectorView(this);
    mPredictions = new PredictionsView(this);
    mGenerated = new GeneratedImagesView(this);
    connect(mGenerated, &GeneratedImagesView::errorOccurred, this,
            [this](const QString& text) { log(text, true); });
    mTermBalance = new TermBalanceView(this);
    mDistributions = new ChannelDistributionView(this);
    connect(mDistributions, &ChannelDistributionView::errorOccurred, this,
            [this](const QString& text) { log(text, true); });
    connect(mInspector, &ChannelInspectorView::distributionsRequested, this,
            [this](const QString& teacherTap, const QString& studentTap, int channel, double tau) {
                if (mInspectedRun.isEmpty() || !RunFolder(mInspectedRun.toStdString()).hasAnyCheckpoint()) {
                    showError(
                        tr("The distributions are computed from a run's checkpoint: select a run that has "
                           "one, or wait for the running one to write its first."));
                    return;
                }
                QDockWidget* dock = dockFor(mDistributions);
                dock->show();
                dock->raise();
                mDistributions->showRun(mInspectedRun, teacherTap, studentTap, channel, tau);
            });
    connect(
        mTermBalance, &TermBalanceView::weightsSuggested, this,
        [this](const QVector<std::pair<QString, double>>& weights) {
            int applied = 0;
            mDocument->edit(tr("Apply Suggested Weights"), [&](Recipe& r) {
                for (auto& term : r.losses)
                    for (const auto& [label, weight] : weights)
                        if (QString::fromStdString(term.label()) == label) {
                            term.weight = weight;
                            ++applied;
                        }
            });
            log(applied > 0
                    ? tr("Applied %n suggested weight(s) to the recipe; they take effect in the next run.",
                         "", applied)
                    : tr("The recipe no longer has the flagged terms; no weight changed."));
        });
    mRunsTable = new RunsTableView(this);
    // The runs dock: a pipeline's chain above the table when one of its stages is selected.
    auto* runsPane = new QWidget(this);
    auto* runsLayout = new QVBoxLayout(runsPane);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    runsLayout->setSpacing(0);
    mPipelineChain = new PipelineChainView(runsPane);
    runsLayout->addWidget(mPipelineChain);
    runsLayout->addWidget(mRunsTable, 1);
    connect(mPipelineChain, &PipelineChainView::stageActivated, this,
            [this](const QString& runDir) { mRunsTable->selectRunDirs({runDir}); });
    connect(mPipelineChain, &PipelineChainView::compareRequested, this,
            [this](const QStringList& runDirs) { mRunsTable->selectRunDirs(runDirs); });
    mQuantize = new QuantizePage(this);
    mLog = new QPlainTextEdit(this);
    mLog->setReadOnly(true);
    mLog->setMaximumBlockCount(5000);

    connect(mInspector, &ChannelInspectorView::snapshotRequested, this, &MainWindow::onSnapshotRequested);
    connect(mRunsTable, &RunsTableView::runsSelected, this, &MainWindow::onRunsSelected);
    connect(mPredictions, &PredictionsView::errorOccurred, this,
            [this](const QString& text) { log(text, true); });
    // The page's messages stay on it; the status bar and the log echo them.
    connect(mQuantize, &QuantizePage::statusMessage, this,
            [this](const QString& text) { statusBar()->showMessage(text, kStatusTimeoutMs); });
    connect(mQuantize, &QuantizePage::errorOccurred, this, [this](const QString& text) {
        log(text, true);
        statusBar()->showMessage(text.section('\n', 0, 0), kStatusTimeoutMs);
    });
    connect(mQuantize, &QuantizePage::taskFinished, this, [this](QuantizePage::Task task, bool ok) {
        if (ok && task != QuantizePage::Task::Layers) log(mQuantize->message());
    });
    connect(mQuantize, &QuantizePage::runCreated, this, [this] { mRunsTable->refresh(); });
    mQuantize->setQatLauncher([this](const Recipe& recipe, QString* error) {
        return mRuns->startRecipe(recipe, RunKind::Qat, error);
    });

    auto wrap = [this](QWidget* view, const QString& title, const QString& name, bool scroll = false) {
        auto* dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        if (scroll) {
            // Views with a large minimum size scroll inside their dock instead of making the window
            // taller than a laptop screen.
            auto* area = new QScrollArea(dock);
            area->setWidgetResizable(true);
            area->setFrameShape(QFrame::NoFrame);
            area->setWidget(view);
            dock->setWidget(area);
        } else {
            dock->setWidget(view);
        }
        mDocks << dock;
        return dock;
    };
    mDocks << mModelsDock << mDataDock << mRecipeDock;
    wrap(mLossCurves, tr("Loss curves"), "lossCurvesDock");
    wrap(mInspector, tr("Channel inspector"), "inspectorDock", true);
    wrap(mPredictions, tr("Predictions"), "predictionsDock", true);
    wrap(mGenerated, tr("Generated images"), "generatedImagesDock");
    wrap(mTermBalance, tr("Term balance"), "termBalanceDock");
    wrap(mDistributions, tr("Channel distributions"), "distributionsDock", true);
    wrap(mRunsTable->parentWidget(), tr("Runs"), "runsDock");
    // No '&' in a dock title: tab bars and the View menu would take it for a shortcut letter.
    // In a scroll area like the other tabbed views: its minimum height (364 px) would otherwise hold the
    // whole middle row up and leave the loss curves a quarter of a 900-pixel window instead of 44 %.
    wrap(mQuantize, tr("Quantize and Export"), "quantizeDock", true);
    wrap(mLog, tr("Log"), "logDock");
}

QDockWidget* MainWindow::dockFor(QWidget* view) const {
    for (QDockWidget* dock : mDocks)
        if (dock == view || dock->isAncestorOf(view)) return dock;
    return nullptr;
}

QAction* MainWindow::action(const QString& objectName) const {
    return findChild<QAction*>(objectName);
}

void MainWindow::resetLayout() {
    for (QDockWidget* dock : mDocks) {
        removeDockWidget(dock);
        dock->setFloating(false);
        dock->show();
    }
    // Setting up on the left, watching on the right: curves on top, maps and predictions below, runs at the
    // bottom.
    addDockWidget(Qt::LeftDockWidgetArea, mModelsDock);
    tabifyDockWidget(mModelsDock, mDataDock);
    tabifyDockWidget(mDataDock, mRecipeDock);
    // Split before tabifying: a split next to a tabbed dock only adds another tab.
    addDockWidget(Qt::RightDockWidgetArea, dockFor(mLossCurves));
    splitDockWidget(dockFor(mLossCurves), dockFor(mInspector), Qt::Vertical);
    splitDockWidget(dockFor(mInspector), dockFor(mRunsTable), Qt::Vertical);
    tabifyDockWidget(dockFor(mInspector), dockFor(mPredictions));
    tabifyDockWidget(dockFor(mPredictions), dockFor(mTermBalance));
    tabifyDockWidget(dockFor(mTermBalance), dockFor(mDistributions));
    tabifyDockWidget(dockFor(mPredictions), dockFor(mQuantize));
    tabifyDockWidget(dockFor(mPredictions), dockFor(mGenerated));
    tabifyDockWidget(dockFor(mRunsTable), dockFor(mLog));
    mModelsDock->raise();
    dockFor(mInspector)->raise();
    dockFor(mRunsTable)->raise();
    // Sizes only take once the window is laid out.
    QTimer::singleShot(0, this, &MainWindow::applyDefaultSizes);
}

void MainWindow::applyDefaultSizes() {
    if (mRestoredLayout) {
        mRestoredLayout = false;  // the user's own sizes win over the defaults, once
        return;
    }
    resizeDocks({mModelsDock}, {std::clamp(width() / 4, 340, 460)}, Qt::Horizontal);
    const int h = std::max(600, height());
    resizeDocks({dockFor(mLossCurves), dockFor(mInspector), dockFor(mRunsTable)},
                {h * 44 / 100, h * 42 / 100, h * 14 / 100}, Qt::Vertical);
}

void MainWindow::createActions() {
    auto make = [this](const QString& name, const QString& text, const QKeySequence& key, auto slot,
                       QStyle::StandardPixmap icon = QStyle::SP_CustomBase) {
        auto* a = new QAction(text, this);
        a->setObjectName(name);
        if (!key.isEmpty()) a->setShortcut(key);
        if (icon != QStyle::SP_CustomBase) a->setIcon(style()->standardIcon(icon));
        connect(a, &QAction::triggered, this, slot);
        addAction(a);
        return a;
    };
    make(
        "newProject", tr("&New Project…"), QKeySequence::New, [this] { mSession->chooseNewProject(); },
        QStyle::SP_FileIcon);
    make(
        "openProject", tr("&Open Project…"), QKeySequence::Open, [this] { mSession->chooseOpenProject(); },
        QStyle::SP_DialogOpenButton);
    make(
        "saveProject", tr("&Save"), QKeySequence::Save,
        [this] {
            QString error;
            if (!saveProject(&error)) showError(error);
        },
        QStyle::SP_DialogSaveButton);
    make("importRecipe", tr("&Import Recipe…"), QKeySequence(Qt::CTRL | Qt::Key_I),
         [this] { chooseImportRecipe(); });
    make("exportRecipe", tr("&Export Recipe…"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_E),
         [this] { chooseExportRecipe(); });
    make("exportCurvesPng", tr("Export Curves as &PNG…"), QKeySequence(), [this] { exportCurves(true); });
    make("exportCurvesCsv", tr("Export Curves as &CSV…"), QKeySequence(), [this] { exportCurves(false); });
    make("settings", tr("Se&ttings…"), QKeySequence::Preferences, [this] { openSettings(); });
    make("quit", tr("&Quit"), QKeySequence::Quit, [this] { close(); });

    QAction* undo = mDocument->undoStack()->createUndoAction(this, tr("&Undo"));
    undo->setObjectName("undo");
    undo->setShortcut(QKeySequence::Undo);
    undo->setIcon(style()->standardIcon(QStyle::SP_ArrowBack));
    addAction(undo);
    QAction* redo = mDocument->undoStack()->createRedoAction(this, tr("&Redo"));
    redo->setObjectName("redo");
    redo->setShortcut(QKeySequence::Redo);
    redo->setIcon(style()->standardIcon(QStyle::SP_ArrowForward));
    addAction(redo);

    make(
        "trainTeacher", tr("Train &Teacher"), QKeySequence(Qt::CTRL | Qt::Key_T), [this] { trainTeacher(); },
        QStyle::SP_MediaSeekForward);
    make(
        "distill", tr("&Distill Student"), QKeySequence(Qt::Key_F5), [this] { distillStudent(); },
        QStyle::SP_MediaPlay);
    make(
        "pause", tr("&Pause"), QKeySequence(Qt::Key_F6), [this] { pauseRun(); }, QStyle::SP_MediaPause);
    make(
        "resume", tr("&Resume"), QKeySequence(Qt::Key_F7), [this] { resumeRun(); }, QStyle::SP_MediaPlay);
    make(
        "stop", tr("&Stop"), QKeySequence(Qt::SHIFT | Qt::Key_F5), [this] { stopRun(); },
        QStyle::SP_MediaStop);
    make("continueRun", tr("&Continue Stopped Run"), QKeySequence(Qt::SHIFT | Qt::Key_F7), [this] {
        if (!mSelectedRuns.isEmpty()) continueRun(mSelectedRuns.first());
    });
    make(
        "quantize", tr("&Quantize and Export"), QKeySequence(Qt::Key_F8), [this] { showQuantize(); },
        QStyle::SP_DriveHDIcon);
    make("prune", tr("P&rune Model…"), QKeySequence(), [this] { pruneSelectedRun(); });
    make("suggestHints", tr("Suggest &Hint Points"), QKeySequence(), [this] { suggestHintPoints(); });
    make("runPipeline", tr("Run P&ipeline…"), QKeySequence(), [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Run a pipeline"), project().dir(),
                                                          tr("Pipelines (*.yaml *.yml)"));
        if (!file.isEmpty()) runPipeline(file);
    });
    make("runDemo", tr("Run the &Demo"), QKeySequence(), [this] {
        if (maybeSave()) runDemo();
    });
    make("welcome", tr("&Welcome Page"), QKeySequence(), [this] { showWelcome(true); });
    make(
        "documentation", tr("&Documentation"), QKeySequence::HelpContents, [this] { showDocumentation(); },
        QStyle::SP_DialogHelpButton);
    make("resetLayout", tr("&Reset Layout"), QKeySequence(), [this] { resetLayout(); });
    make("about", tr("&About Distillery"), QKeySequence(), [this] {
        QMessageBox::about(
            this, tr("About Distillery"),
            tr("<p><b>Distillery</b> %1</p><p>A workbench for knowledge distillation: teach a small "
               "network to imitate a large one, and watch how it learns.</p>")
                .arg(QApplication::applicationVersion()));
    });
    action("trainTeacher")->setToolTip(tr("Train the teacher model alone on the data set (Ctrl+T)"));
    action("distill")->setToolTip(tr("Train the student with the recipe's loss terms (F5)"));
    action("suggestHints")
        ->setToolTip(
            tr("Cluster the teacher's layers by similarity (CKA, RSA) and distil at the cluster centres"));
    action("continueRun")
        ->setToolTip(tr("Continue the run selected in the Runs table from where it stopped"));
    action("quantize")
        ->setToolTip(tr("Quantize the run selected in the Runs table: bit widths, calibration, QAT and ONNX "
                        "export (F8)"));
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(action("newProject"));
    file->addAction(action("openProject"));
    mRecentMenu = file->addMenu(tr("Open &Recent"));
    file->addAction(action("saveProject"));
    file->addSeparator();
    file->addAction(action("importRecipe"));
    file->addAction(action("exportRecipe"));
    file->addAction(action("exportCurvesPng"));
    file->addAction(action("exportCurvesCsv"));
    file->addSeparator();
    file->addAction(action("settings"));
    file->addSeparator();
    file->addAction(action("quit"));

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    edit->addAction(action("undo"));
    edit->addAction(action("redo"));

    QMenu* run = menuBar()->addMenu(tr("&Run"));
    run->addAction(action("trainTeacher"));
    run->addAction(action("distill"));
    run->addSeparator();
    run->addAction(action("pause"));
    run->addAction(action("resume"));
    run->addAction(action("stop"));
    run->addAction(action("continueRun"));
    run->addSeparator();
    run->addAction(action("quantize"));
    run->addAction(action("prune"));
    run->addAction(action("suggestHints"));
    run->addAction(action("runPipeline"));
    run->addSeparator();
    run->addAction(action("runDemo"));

    mViewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : mDocks)
        mViewMenu->addAction(dock->toggleViewAction());
    mViewMenu->addSeparator();
    mViewMenu->addAction(action("resetLayout"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(action("documentation"));
    help->addAction(action("welcome"));
    help->addSeparator();
    help->addAction(action("about"));

    QToolBar* bar = addToolBar(tr("Main"));
    bar->setObjectName("mainToolBar");
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    bar->addAction(action("newProject"));
    bar->addAction(action("openProject"));
    bar->addAction(action("saveProject"));
    bar->addSeparator();
    bar->addAction(action("undo"));
    bar->addAction(action("redo"));
    bar->addSeparator();
    bar->addAction(action("trainTeacher"));
    bar->addAction(action("distill"));
    bar->addAction(action("pause"));
    bar->addAction(action("resume"));
    bar->addAction(action("stop"));
}

void MainWindow::applySettings() {
    mSession->setSettings(mSettings);
    mInspector->setRefreshInterval(mSettings.snapshotIntervalMs);
}

void MainWindow::restoreSession() {
    QSettings settings;
    const QString last = mSession->lastProject();
    if (!settings.value("welcomeDone", false).toBool()) {
        showWelcome(true);
    } else if (!last.isEmpty() && QFileInfo::exists(last + "/recipe.yaml")) {
        QString error;
        if (!openProject(last, &error)) showError(error);
    }
}

void MainWindow::showWelcome(bool show) {
    QSettings settings;
    if (show) {
        mWelcome->setRecentProjects(mSession->recentProjects());
        if (centralWidget() != mWelcome) setCentralWidget(mWelcome);
        mWelcome->show();
        return;
    }
    settings.setValue("welcomeDone", true);
    if (centralWidget() != mWelcome) return;
    // Without a central widget the docks share the window; the page's room goes to the live views.
    const int left = mModelsDock->width();
    takeCentralWidget();
    mWelcome->setParent(this);  // taking it also unparents it; keep it owned, hidden, for Help > Welcome
    mWelcome->hide();
    QTimer::singleShot(0, this, [this, left] {
        resizeDocks({mModelsDock, dockFor(mLossCurves)}, {left, width() - left}, Qt::Horizontal);
    });
}

// ---- projects (ProjectSession) -------------------------------------------------------------------------

bool MainWindow::newProject(const QString& dir, QString* error) {
    return mSession->newProject(dir, error);
}

bool MainWindow::openProject(const QString& dir, QString* error) {
    return mSession->openProject(dir, error);
}

bool MainWindow::saveProject(QString* error) {
    return mSession->saveProject(error);
}

bool MainWindow::maybeSave() {
    return mSession->maybeSave();
}

void MainWindow::onProjectChanged(ProjectSession::Change change) {
    const Project& project = mSession->project();
    mRecipeDock->setBaseDir(project.dir());
    // The table takes a folder holding recipe.yaml for a run; the project's own recipe is not one.
    mRunsTable->setProjectDir(project.runsDir());
    mQuantize->setProject(project);
    if (change == ProjectSession::Change::Opened) {
        mLossCurves->clear();
        mLossCurves->clearOverlays();
    }
    showWelcome(false);
    updateTitle();
}

void MainWindow::rebuildRecentMenu() {
    mRecentMenu->clear();
    const QStringList recent = mSession->recentProjects();
    for (const QString& dir : recent) {
        QAction* a = mRecentMenu->addAction(QDir::toNativeSeparators(dir));
        connect(a, &QAction::triggered, mSession, [this, dir] { mSession->openRecent(dir); });
    }
    mRecentMenu->setEnabled(!recent.isEmpty() && !isRunning());
}

bool MainWindow::importRecipe(const QString& path, QString* error) {
    try {
        Recipe loaded = loadRecipe(path.toStdString());
        mDocument->edit(tr("Import recipe %1").arg(QFileInfo(path).fileName()),
                        [&](Recipe& r) { r = loaded; });
        return true;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
}

void MainWindow::chooseImportRecipe() {
    const QString start =
        resourcesFolder().isEmpty() ? mSettings.projectsRoot : resourcesFolder() + "/recipes";
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Import recipe"), start, tr("Recipes (*.yaml *.yml)"));
    if (path.isEmpty()) return;
    QString error;
    if (!importRecipe(path, &error)) showError(error);
}

void MainWindow::chooseExportRecipe() {
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Export recipe"),
        mSettings.projectsRoot + "/" + QString::fromStdString(mDocument->recipe().name) + ".yaml",
        tr("Recipes (*.yaml *.yml)"));
    if (path.isEmpty()) return;
    try {
        writeFileAtomically(path.toStdString(), recipeToYaml(mDocument->recipe()));
        statusBar()->showMessage(tr("Exported %1").arg(path), kStatusTimeoutMs);
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
    }
}

void MainWindow::exportCurves(bool png) {
    const QString path =
        QFileDialog::getSaveFileName(this, png ? tr("Export curves as PNG") : tr("Export curves as CSV"),
                                     project().isOpen() ? project().dir() : mSettings.projectsRoot,
                                     png ? tr("Images (*.png)") : tr("CSV files (*.csv)"));
    if (path.isEmpty()) return;
    const bool ok = png ? mLossCurves->exportPng(path) : mLossCurves->exportCsv(path);
    if (ok)
        statusBar()->showMessage(tr("Exported %1").arg(path), kStatusTimeoutMs);
    else
        showError(tr("Cannot write %1").arg(path));
}

void MainWindow::openSettings() {
    SettingsDialog dialog(mSettings, this);
    if (dialog.exec() != QDialog::Accepted) return;
    mSettings = dialog.settings();
    mSettings.save();
    applySettings();
}

// ---- runs ---------------------------------------------------------------------------------------------

bool MainWindow::isRunning() const {
    return mRuns->isRunning();
}

bool MainWindow::trainTeacher() {
    return mRuns->trainTeacher();
}

bool MainWindow::distillStudent() {
    return mRuns->distillStudent();
}

void MainWindow::pauseRun() {
    mRuns->pause();
}

void MainWindow::resumeRun() {
    mRuns->resume();
}

void MainWindow::stopRun() {
    mRuns->stop();
}

bool MainWindow::continueRun(const QString& runDir) {
    return mRuns->continueRun(runDir);
}

DocumentationViewer* MainWindow::showDocumentation() {
    if (!mDocumentation) {
        mDocumentation = new DocumentationViewer(this);
        mDocumentation->setAttribute(Qt::WA_DeleteOnClose);
    }
    mDocumentation->show();
    mDocumentation->raise();
    mDocumentation->activateWindow();
    return mDocumentation;
}

bool MainWindow::runDemo(const std::vector<std::string>& overrides) {
    return mRuns->runDemo(overrides);
}

bool MainWindow::isResumable(const QString& runDir) {
    return RunController::isResumable(runDir);
}

bool MainWindow::commitTypedRecipe(QString* error) {
    // Typed YAML is the user's latest word: apply it, or refuse to start with its error.
    return !mRecipeDock->yamlModified() || mRecipeDock->applyYaml(error);
}

QList<QPair<QString, QString>> MainWindow::tapPairs(const Recipe& recipe) const {
    QList<QPair<QString, QString>> pairs;
    for (const auto& t : recipe.losses) {
        if (t.method == LossMethod::Task) continue;
        const QPair<QString, QString> pair{QString::fromStdString(t.teacherTap),
                                           QString::fromStdString(t.studentTap)};
        if (!pairs.contains(pair)) pairs << pair;
    }
    if (pairs.isEmpty()) {
        // A model trained alone: its own feature maps, deepest stage first.
        const ModelInfo& info = recipe.student.displayName() == mModelsDock->teacherInfo().arch &&
                                        recipe.student.head == mDocument->recipe().teacher.model.head
                                    ? mModelsDock->teacherInfo()
                                    : mModelsDock->studentInfo();
        for (const auto& tap : info.taps)
            if (tap.shape.size() == 3) pairs.prepend({QString(), QString::fromStdString(tap.name)});
        if (pairs.isEmpty()) pairs << QPair<QString, QString>{QString(), QStringLiteral("logits")};
    }
    return pairs;
}

void MainWindow::onRunStarted(const QString& runDir, const Recipe& recipe, RunKind kind, bool resumed) {
    mInspectedRun = runDir;
    mLastError.clear();
    mLossCurves->clearOverlays();
    mLossCurves->clear();
    mTermBalance->clear(recipe.diagnostics);
    showBaseline(runDir, recipe);
    // A continued run shows what it did before it stopped; new steps extend those curves.
    if (resumed) {
        mLossCurves->loadRun(runDir);
        mTermBalance->loadRun(runDir);
    }
    mInspector->setTapPairs(tapPairs(recipe));
    matchInspectorTau(recipe);
    const DatasetInfo& data = mDataDock->info();
    if (data.valid)
        mInspector->setSampleCount(recipe.data.subset > 0 ? std::min<qint64>(recipe.data.subset, data.valSize)
                                                          : data.valSize);
    mInspector->setLive(true);
    mInspector->requestSnapshot();  // maps appear with the first steps, not after the first interval
    dockFor(mLossCurves)->raise();
    // QAT is started from the Quantize page, which stays in view; the curves are above it.
    dockFor(kind == RunKind::Qat ? static_cast<QWidget*>(mQuantize) : mInspector)->raise();
    mRunsTable->refresh();
    updateActions();
    Q_EMIT runStarted(runDir);
}

void MainWindow::onRunFinished(const QString& runDir, const RunSummary& summary, RunKind kind) {
    const RunStatus status = summary.status;
    mInspector->setLive(false);
    // One more snapshot shows the final maps, from the checkpoint the run wrote last.
    mFinishedSteps = summary.steps;
    if (mInspectedRun == runDir && RunFolder(runDir.toStdString()).hasAnyCheckpoint())
        startBackgroundSnapshot();
    mRunsTable->refresh();
    if (kind == RunKind::Qat)
        mQuantize->qatFinished(runDir, status);  // its row joins the comparison
    else
        mQuantize->refresh();  // a trained student joins the sources
    if (RunFolder(runDir.toStdString()).hasAnyCheckpoint()) showRunPredictions(runDir);
    updateActions();
    Q_EMIT runFinished(runDir, status);
}

void MainWindow::showQuantize() {
    QDockWidget* dock = dockFor(mQuantize);
    dock->show();
    dock->raise();
    // The page holds two tables and its settings: give it most of the height of its column when it is short
    // (the curves above stay in view for QAT).
    if (!dock->isFloating() && dock->height() < 520 && dockWidgetArea(dock) == Qt::RightDockWidgetArea &&
        !tabifiedDockWidgets(dockFor(mLossCurves)).contains(dock)) {
        const int h = std::max(600, height());
        resizeDocks({dockFor(mLossCurves), dock, dockFor(mRunsTable)},
                    {h * 22 / 100, h * 62 / 100, h * 16 / 100}, Qt::Vertical);
    }
    if (mSelectedRuns.size() == 1 && !mQuantize->isBusy()) {
        QString source = mSelectedRuns.first();
        // A quantized run stands for the fp32 run it came from.
        if (isQuantizedFolder(source)) source = quantSourceOf(source);
        if (!source.isEmpty() && QDir(source) != QDir(mQuantize->sourceRun()))
            mQuantize->setSourceRun(source);
    }
}

void MainWindow::pruneSelectedRun() {
    if (mSelectedRuns.size() != 1) {
        QMessageBox::information(this, tr("Prune Model"),
                                 tr("Select the trained run to prune in the Runs table first."));
        return;
    }
    const QString runDir = mSelectedRuns.first();
    PruneDialog dialog(runDir, this);
    if (dialog.exec() != QDialog::Accepted) return;
    const PruneOptions options = dialog.options();
    if (!mWork) mWork = new BackgroundWork(this);
    action("prune")->setEnabled(false);
    log(tr("Pruning %1 …").arg(runDir));
    mWork->run<PruneResult>(
        [options] { return pruneCheckpoint(options); },
        [this, runDir](PruneResult r) {
            action("prune")->setEnabled(true);
            auto share = [](int64_t after, int64_t before) {
                return before > 0 ? QString::number(100.0 * double(after) / double(before), 'f', 1)
                                  : QString();
            };
            QString text =
                tr("Pruned %1 into %2: parameters %3 → %4 (%5 %), MACs %6 → %7 (%8 %).")
                    .arg(QFileInfo(runDir).fileName(), QString::fromStdString(r.output),
                         QString::fromStdString(countText(r.paramsBefore)),
                         QString::fromStdString(countText(r.paramsAfter)),
                         share(r.paramsAfter, r.paramsBefore),
                         QString::fromStdString(countText(r.macsBefore)),
                         QString::fromStdString(countText(r.macsAfter)), share(r.macsAfter, r.macsBefore));
            if (!r.metric.empty())
                text += " " + tr("%1: %2 unpruned, %3 as cut, %4 after re-estimating batch-norm statistics.")
                                  .arg(QString::fromStdString(r.metric))
                                  .arg(r.metricBefore, 0, 'f', 2)
                                  .arg(r.metricPruned, 0, 'f', 2)
                                  .arg(r.metricRecalibrated, 0, 'f', 2);
            log(text);
            const auto answer = QMessageBox::question(
                this, tr("Prune Model"),
                text + "\n\n" +
                    tr("Make the pruned model the student, taught by %1?").arg(QFileInfo(runDir).fileName()));
            if (answer != QMessageBox::Yes) return;
            Recipe source;
            try {
                source = loadRunRecipe(runDir.toStdString());
            } catch (const std::exception& e) {
                log(QString::fromStdString(e.what()), true);
                return;
            }
            mDocument->edit(tr("Distil the pruned model"), [&](Recipe& recipe) {
                recipe.student = ModelSpec{};
                recipe.student.arch = r.arch;
                recipe.student.checkpoint = r.output;
                recipe.teacher.model = source.student;
                recipe.teacher.model.checkpoint.clear();
                recipe.teacher.checkpoint = runDir.toStdString();
                // A run that came from a checkpoint names the architecture the engine read from it.
                if (recipe.teacher.model.arch.empty() && recipe.teacher.model.onnx.empty())
                    recipe.teacher.model.arch = RunFolder(runDir.toStdString()).readSummary().student.arch;
                const bool distils =
                    std::any_of(recipe.losses.begin(), recipe.losses.end(),
                                [](const LossTermSpec& t) { return t.method != LossMethod::Task; });
                if (!distils) {
                    LossTermSpec kd;
                    kd.method = LossMethod::Kd;
                    kd.tau = 4;
                    kd.hasTau = true;
                    recipe.losses.push_back(kd);
                }
                RecipeDocument::normalise(recipe);
            });
        },
        [this](const QString& error) {
            action("prune")->setEnabled(true);
            showError(tr("Pruning failed: %1").arg(error));
        });
}

void MainWindow::suggestHintPoints() {
    const Recipe recipe = mDocument->recipe();
    if (recipe.job != JobKind::Distill || recipe.teacher.model.empty()) {
        QMessageBox::information(
            this, tr("Suggest Hint Points"),
            tr("Hint points are chosen on the teacher: choose a teacher and its checkpoint "
               "in the Models dock first."));
        return;
    }
    // The feature term the hints are for: the recipe's first one that distils a single map, else FitNets.
    const LossMethod method = hintMethodOf(recipe.losses);
    if (!mWork) mWork = new BackgroundWork(this);
    action("suggestHints")->setEnabled(false);
    log(tr("Measuring the teacher's layers on 256 training samples to choose hint points …"));
    mWork->run<HintSuggestion>([recipe] { return suggestHints(recipe); },
                               [this, method](HintSuggestion s) {
                                   action("suggestHints")->setEnabled(true);
                                   QStringList pairs;
                                   for (const auto& [t, st] : s.pairs)
                                       pairs << QStringLiteral("%1 → %2").arg(QString::fromStdString(t),
                                                                              QString::fromStdString(st));
                                   std::vector<LossTermSpec> losses;
                                   try {
                                       losses = applyHints(mDocument->recipe().losses, s, method);
                                   } catch (const std::exception& e) {
                                       log(QString::fromStdString(e.what()), true);
                                       return;
                                   }
                                   mDocument->edit(tr("Use the suggested hint points"), [&](Recipe& r) {
                                       r.losses = losses;
                                       RecipeDocument::normalise(r);
                                   });
                                   log(tr("Hint points for %1 (teacher → student), the centres of %2 "
                                          "clusters of the teacher's %3 layers: %4")
                                           .arg(QString::fromStdString(methodName(method)))
                                           .arg(s.centres.size())
                                           .arg(s.layers.size())
                                           .arg(pairs.join(", ")));
                               },
                               [this](const QString& error) {
                                   action("suggestHints")->setEnabled(true);
                                   showError(tr("Hint selection failed: %1").arg(error));
                               });
}

bool MainWindow::pipelineRunning() const {
    return mPipeline && mPipeline->state() != QProcess::NotRunning;
}

bool MainWindow::runPipeline(const QString& file) {
    auto fail = [this](const QString& message) {
        showError(message);
        return false;
    };
    if (pipelineRunning()) return fail(tr("A pipeline is already running."));
    if (!project().isOpen())
        return fail(tr("Open or create a project first: the stages go into its runs folder."));
    Pipeline pipeline;
    try {
        pipeline = loadPipeline(file.toStdString());
    } catch (const std::exception& e) {
        return fail(QString::fromStdString(e.what()));
    }
    const QString cli = QString::fromStdString(cliProgram());
    if (cli.isEmpty())
        return fail(tr("Running a pipeline needs distillery-cli beside the workbench; it was not found."));
    const QString out = QDir(project().runsDir()).filePath(QString::fromStdString(pipeline.name));
    if (!mPipeline) {
        mPipeline = new QProcess(this);
        mPipeline->setProcessChannelMode(QProcess::MergedChannels);
        connect(mPipeline, &QProcess::readyRead, this, [this] {
            // Progress bars rewrite one line with \r; the log keeps the stage lines and results.
            const QString text = QString::fromUtf8(mPipeline->readAll());
            for (QString line : text.split('\n')) {
                line = line.section('\r', -1).trimmed();
                if (!line.isEmpty() && !line.startsWith("epoch ")) log(line);
            }
            mRunsTable->refresh();
        });
        connect(mPipeline, &QProcess::finished, this, [this](int code, QProcess::ExitStatus status) {
            action("runPipeline")->setEnabled(true);
            mRunsTable->refresh();
            if (status == QProcess::NormalExit && code == 0)
                log(tr("The pipeline finished."));
            else
                log(tr("The pipeline stopped (exit %1); Run Pipeline on the same file continues it.")
                        .arg(code),
                    true);
        });
    }
    action("runPipeline")->setEnabled(false);
    log(tr("Running pipeline %1 (%2 stages) into %3")
            .arg(QString::fromStdString(pipeline.name))
            .arg(pipeline.stages.size())
            .arg(out));
    mPipeline->start(cli, {"pipeline", file, "--out", out});
    return true;
}

void MainWindow::showBaseline(const QString& runDir, const Recipe& recipe) {
    BaselineCurve curve;
    if (recipe.job == JobKind::Distill && !recipe.quant.enabled) {
        const auto runs =
            findBaselineRuns(QFileInfo(runDir).path().toStdString(), recipe, runDir.toStdString());
        try {
            if (!runs.empty()) curve = readBaselineCurve(runs);
        } catch (const std::exception& e) {
            log(QString::fromStdString(e.what()), true);
        }
    }
    mLossCurves->setBaseline(curve);
}

void MainWindow::showRunPredictions(const QString& runDir) {
    mPredictions->showRun(runDir);
    // A data-free run: the images its student learned from.
    const RunOverview overview = RunFolder(runDir.toStdString()).overview();
    if (overview.recipe && overview.recipe->dataFree.enabled) {
        dockFor(mGenerated)->show();
        mGenerated->showRun(runDir);
    } else if (!mGenerated->runDir().isEmpty()) {
        mGenerated->clear();
    }
}

void MainWindow::onSnapshotRequested(const QString& teacherTap, const QString& studentTap, qint64 sample,
                                     const QString& split) {
    if (mInspectedRun.isEmpty()) return;
    EngineBridge* engine = mRuns->bridge();
    const QString liveRun = mRuns->runDir();
    if (engine->job() && engine->job()->running() && mInspectedRun == liveRun &&
        QDir(liveRun) == QDir(QString::fromStdString(engine->job()->runDir()))) {
        // Live (or paused): the job answers at its next step boundary.
        engine->job()->requestSnapshot(teacherTap.toStdString(), studentTap.toStdString(), sample,
                                       splitFrom(split.toStdString(), "split"));
        return;
    }
    startBackgroundSnapshot();
}

void MainWindow::startBackgroundSnapshot() {
    if (mSnapshotWatcher.isRunning()) {
        mSnapshotPending = true;
        return;
    }
    mSnapshotPending = false;
    const QString runDir = mInspectedRun;
    const std::string teacherTap = mInspector->teacherTap().toStdString();
    const std::string studentTap = mInspector->studentTap().toStdString();
    const int64_t sample = mInspector->sampleIndex();
    const Split split = splitFrom(mInspector->split().toStdString(), "split");
    // The run that just ended shows its final state, as its job last had it; other runs their best.
    const bool justEnded = !mRuns->isRunning() && !mRuns->runDir().isEmpty() && runDir == mRuns->runDir() &&
                           RunFolder(runDir.toStdString()).hasCheckpoint(CheckpointChoice::Last);
    const CheckpointChoice which = justEnded ? CheckpointChoice::Last : CheckpointChoice::Best;
    const int64_t step = justEnded ? mFinishedSteps : -1;
    mSnapshotWatcher.setFuture(QtConcurrent::run([=] {
        SnapshotResult result;
        result.runDir = runDir;
        try {
            result.snapshot = snapshotRun(runDir.toStdString(), teacherTap, studentTap, sample, split, which);
            if (step >= 0) result.snapshot.step = step;
        } catch (const std::exception& e) {
            result.error = QString::fromStdString(e.what());
        }
        return result;
    }));
}

void MainWindow::matchInspectorTau(const Recipe& recipe) {
    // The inspector's KL is the recipe's CWD term when it uses the same temperature.
    for (const auto& t : recipe.losses) {
        if (t.method == LossMethod::Cwd) {
            mInspector->setTau(t.tau);
            return;
        }
    }
}

void MainWindow::inspectRun(const QString& runDir) {
    Recipe recipe;
    try {
        recipe = loadRunRecipe(runDir.toStdString());
    } catch (const std::exception& e) {
        mInspector->showMessage(QString::fromStdString(e.what()));
        return;
    }
    mInspectedRun = runDir;
    mInspector->setLive(false);
    mInspector->setTapPairs(tapPairs(recipe));
    matchInspectorTau(recipe);
    if (!RunFolder(runDir.toStdString()).hasAnyCheckpoint()) {
        mInspector->showMessage(tr("This run has no checkpoint yet."));
        return;
    }
    mInspector->requestSnapshot();
}

void MainWindow::showPipelineChain(const QStringList& runDirs) {
    // A stage's run folder sits in its pipeline's folder, which keeps the pipeline file; the selected runs
    // must all be stages of that one pipeline.
    const QString outDir = runDirs.isEmpty() ? QString() : QFileInfo(runDirs.first()).absolutePath();
    bool samePipeline = !runDirs.isEmpty();
    for (const QString& dir : runDirs)
        samePipeline = samePipeline && QFileInfo(dir).absolutePath() == outDir;
    const std::string file = samePipeline ? pipelineFileIn(outDir.toStdString()) : std::string();
    if (file.empty()) {
        mPipelineChain->clearChain();
        return;
    }
    try {
        const Pipeline pipeline = loadPipeline(file);
        QVector<ChainStage> stages;
        for (const StageState& s : pipelineState(pipeline, outDir.toStdString()))
            stages.push_back({QString::fromStdString(s.name), QString::fromStdString(s.runDir),
                              QString::fromStdString(s.arch), QString::fromStdString(s.status), s.metric,
                              QString::fromStdString(s.metricName)});
        mPipelineChain->setChain(QString::fromStdString(pipeline.name), stages, runDirs);
    } catch (const std::exception& e) {
        mPipelineChain->clearChain();
        log(QString::fromStdString(e.what()), true);
    }
}

void MainWindow::onRunsSelected(const QStringList& runDirs) {
    mSelectedRuns = runDirs;
    updateActions();
    showPipelineChain(runDirs);
    if (runDirs.isEmpty()) return;
    // With the Quantize page in view, a selected trained fp32 run becomes its source.
    if (runDirs.size() == 1 && !mQuantize->visibleRegion().isEmpty() && !mQuantize->isBusy() &&
        isQuantSourceCandidate(runDirs.first()) && QDir(runDirs.first()) != QDir(mQuantize->sourceRun()))
        mQuantize->setSourceRun(runDirs.first());
    mLossCurves->clearOverlays();
    if (isRunning()) {
        // Keep the live curves and compare the selected runs against them.
        for (const QString& dir : runDirs)
            if (dir != mRuns->runDir()) mLossCurves->addOverlay(dir, QFileInfo(dir).fileName());
        return;
    }
    QString error;
    if (!mLossCurves->loadRun(runDirs.first(), &error)) log(error, true);
    if (!mTermBalance->loadRun(runDirs.first(), &error)) log(error, true);
    const RunOverview selected = RunFolder(runDirs.first().toStdString()).overview();
    if (selected.recipe)
        showBaseline(runDirs.first(), *selected.recipe);
    else
        mLossCurves->setBaseline({});
    for (int i = 1; i < runDirs.size(); ++i)
        mLossCurves->addOverlay(runDirs[i], QFileInfo(runDirs[i]).fileName());
    if (RunFolder(runDirs.first().toStdString()).hasAnyCheckpoint()) showRunPredictions(runDirs.first());
    inspectRun(runDirs.first());
}

// ---- window ---------------------------------------------------------------------------------------------

void MainWindow::updateActions() {
    const bool running = isRunning();
    const bool paused = mRuns->isPaused();
    action("trainTeacher")->setEnabled(!running && !mDocument->recipe().teacher.model.empty());
    action("distill")->setEnabled(!running);
    action("runDemo")->setEnabled(!running);
    action("pause")->setEnabled(running && !paused);
    action("resume")->setEnabled(running && paused);
    action("stop")->setEnabled(running);
    action("continueRun")
        ->setEnabled(!running && mSelectedRuns.size() == 1 && isResumable(mSelectedRuns.first()));
    action("openProject")->setEnabled(!running);
    action("newProject")->setEnabled(!running);
    mRecentMenu->setEnabled(!running && !mRecentMenu->isEmpty());
    mQuantize->setTrainingActive(running);
}

void MainWindow::updateTitle() {
    const QString name = project().isOpen() ? project().name() : tr("Untitled");
    setWindowTitle(tr("%1[*] — Distillery").arg(name));
    setWindowModified(mDocument->isModified());
}

void MainWindow::log(const QString& text, bool error) {
    const QString line = QStringLiteral("%1  %2").arg(QTime::currentTime().toString("HH:mm:ss"), text);
    if (error)
        mLog->appendHtml(QStringLiteral("<span style=\"color:#b00020\">%1</span>").arg(line.toHtmlEscaped()));
    else
        mLog->appendPlainText(line);
}

void MainWindow::showError(const QString& message) {
    mLastError = message;
    log(message, true);
    statusBar()->showMessage(message.section('\n', 0, 0) + " " + message.section('\n', 1), kStatusTimeoutMs);
    // Not modal: the window (and a running job's views) keep working while the message is up.
    if (mErrorBox) mErrorBox->close();
    mErrorBox = new QMessageBox(QMessageBox::Warning, tr("Distillery"), message, QMessageBox::Ok, this);
    mErrorBox->setAttribute(Qt::WA_DeleteOnClose);
    mErrorBox->setWindowModality(Qt::NonModal);
    mErrorBox->show();
    Q_EMIT errorShown(message);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    // Every question first, then the consequences: a cancelled close leaves the run going and the edits
    // unsaved. With unsaved edits, their prompt also says that the run stops (one question, not two).
    const bool running = isRunning();
    if (mSession->isModified()) {
        if (!mSession->maybeSave(running
                                     ? tr("The run in progress will be stopped; it can be continued later.")
                                     : QString())) {
            event->ignore();
            return;
        }
    } else if (running) {
        const auto answer = QMessageBox::question(this, tr("A run is in progress"),
                                                  tr("Stop the run and quit? It can be continued later."),
                                                  QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
    }
    if (running) mRuns->stopAndWait();
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

}  // namespace distillery
