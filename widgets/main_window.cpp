#include "widgets/main_window.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QKeySequence>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QScreen>
#include <QScrollArea>
#include <QSettings>
#include <QStatusBar>
#include <QStyle>
#include <QTimer>
#include <QToolBar>
#include <QUndoStack>
#include <QtConcurrent/QtConcurrentRun>
#include <algorithm>

#include "core/imaging.h"
#include "widgets/data_dock.h"
#include "widgets/engine_bridge.h"
#include "widgets/models_dock.h"
#include "widgets/quantize_page.h"
#include "widgets/recipe_dock.h"
#include "widgets/recipe_document.h"
#include "widgets/resource_paths.h"
#include "widgets/tap_rules.h"
#include "widgets/views/channel_inspector_view.h"
#include "widgets/views/format.h"
#include "widgets/views/loss_curves_view.h"
#include "widgets/views/predictions_view.h"
#include "widgets/views/runs_table_view.h"
#include "widgets/welcome_page.h"

namespace distillery {

namespace {

constexpr int kMaxRecent = 8;
constexpr int kStatusTimeoutMs = 10000;

bool hasCheckpoint(const QString& runDir) {
    return QFileInfo::exists(runDir + "/checkpoints/best.pt") ||
           QFileInfo::exists(runDir + "/checkpoints/last.pt");
}

/** The teacher of a distillation recipe trained alone: same data and schedule, the task loss only. */
Recipe teacherRecipe(const Recipe& r) {
    Recipe t = r;
    t.job = JobKind::Train;
    t.student = r.teacher.model;
    t.teacher = TeacherSpec{};
    t.losses = {LossTermSpec{LossMethod::Task}};
    t.name = "teacher_" + r.teacher.model.displayName();
    return t;
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent), mDocument(new RecipeDocument(this)), mBridge(new EngineBridge(this)) {
    setObjectName("mainWindow");
    mSettings = AppSettings::load();
    setDockNestingEnabled(true);
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setCorner(Qt::TopLeftCorner, Qt::LeftDockWidgetArea);

    // The welcome page is the central widget only while it is shown; otherwise the docks fill the window.
    mWelcome = new WelcomePage(this);
    mWelcome->hide();

    createDocks();
    createActions();
    createMenus();
    createStatusBar();

    mAutosaveTimer = new QTimer(this);
    connect(mAutosaveTimer, &QTimer::timeout, this, &MainWindow::autosave);

    connect(mWelcome, &WelcomePage::demoRequested, this, [this] { runDemo(); });
    connect(mWelcome, &WelcomePage::newProjectRequested, this, &MainWindow::chooseNewProject);
    connect(mWelcome, &WelcomePage::openProjectRequested, this, &MainWindow::chooseOpenProject);
    connect(mWelcome, &WelcomePage::recentProjectRequested, this, [this](const QString& dir) {
        QString error;
        if (maybeSave() && !openProject(dir, &error)) showError(error);
    });
    connect(mWelcome, &WelcomePage::dismissed, this, [this] { showWelcome(false); });

    connect(mBridge, &EngineBridge::stepReported, this, &MainWindow::onStep);
    connect(mBridge, &EngineBridge::epochReported, this, &MainWindow::onEpoch);
    connect(mBridge, &EngineBridge::finished, this, &MainWindow::onFinished);
    connect(mBridge, &EngineBridge::snapshotReady, this, [this](const ActivationSnapshot& s) {
        if (mInspectedRun == mRunDir) mInspector->setSnapshot(s);
    });
    connect(mBridge, &EngineBridge::logReported, this, [this](int level, const QString& text) {
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

    mDocument->reset(starterRecipe());
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
    mRunsTable = new RunsTableView(this);
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
    mQuantize->setQatLauncher(
        [this](const Recipe& recipe, QString* error) { return startRecipe(recipe, RunKind::Qat, error); });

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
    wrap(mRunsTable, tr("Runs"), "runsDock");
    // No '&' in a dock title: tab bars and the View menu would take it for a shortcut letter.
    // Not in a scroll area: its settings scroll on their own, so both tables keep a share of a short dock.
    wrap(mQuantize, tr("Quantize and Export"), "quantizeDock");
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
    tabifyDockWidget(dockFor(mPredictions), dockFor(mQuantize));
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
                {h * 30 / 100, h * 52 / 100, h * 18 / 100}, Qt::Vertical);
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
        "newProject", tr("&New Project…"), QKeySequence::New, [this] { chooseNewProject(); },
        QStyle::SP_FileIcon);
    make(
        "openProject", tr("&Open Project…"), QKeySequence::Open, [this] { chooseOpenProject(); },
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
    make("runDemo", tr("Run the &Demo"), QKeySequence(), [this] {
        if (maybeSave()) runDemo();
    });
    make("welcome", tr("&Welcome Page"), QKeySequence(), [this] { showWelcome(true); });
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
    run->addSeparator();
    run->addAction(action("runDemo"));

    mViewMenu = menuBar()->addMenu(tr("&View"));
    for (QDockWidget* dock : mDocks)
        mViewMenu->addAction(dock->toggleViewAction());
    mViewMenu->addSeparator();
    mViewMenu->addAction(action("resetLayout"));

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(action("welcome"));
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

void MainWindow::createStatusBar() {
    mStatusStep = new QLabel(this);
    mStatusThroughput = new QLabel(this);
    mStatusEta = new QLabel(this);
    mProgress = new QProgressBar(this);
    mProgress->setMaximumWidth(220);
    mProgress->setTextVisible(true);
    mProgress->setValue(0);
    statusBar()->addPermanentWidget(mStatusStep);
    statusBar()->addPermanentWidget(mStatusThroughput);
    statusBar()->addPermanentWidget(mStatusEta);
    statusBar()->addPermanentWidget(mProgress);
    statusBar()->showMessage(tr("Ready"));
}

void MainWindow::applySettings() {
    if (mSettings.autosaveSeconds > 0)
        mAutosaveTimer->start(mSettings.autosaveSeconds * 1000);
    else
        mAutosaveTimer->stop();
    mInspector->setRefreshInterval(mSettings.snapshotIntervalMs);
}

void MainWindow::restoreSession() {
    QSettings settings;
    const QString last = settings.value("lastProject").toString();
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
        mWelcome->setRecentProjects(settings.value("recentProjects").toStringList());
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

Recipe MainWindow::starterRecipe() const {
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

// ---- projects -----------------------------------------------------------------------------------------

bool MainWindow::newProject(const QString& dir, QString* error) {
    Recipe recipe = starterRecipe();
    recipe.name = QFileInfo(dir).fileName().toStdString();
    if (recipe.name.empty()) recipe.name = "run";
    Project created;
    if (!Project::create(dir, recipe, &created, error)) return false;
    mProject = created;
    mDocument->reset(recipe);
    mRecipeDock->setBaseDir(mProject.dir());
    // The table takes a folder holding recipe.yaml for a run; the project's own recipe is not one.
    showProjectRuns();
    addRecent(mProject.dir());
    showWelcome(false);
    updateTitle();
    statusBar()->showMessage(tr("Created project %1").arg(mProject.dir()), kStatusTimeoutMs);
    return true;
}

bool MainWindow::openProject(const QString& dir, QString* error) {
    if (isRunning()) {
        if (error) *error = tr("Stop the current run before opening another project.");
        return false;
    }
    Project opened;
    Recipe recipe;
    if (!Project::open(dir, &opened, &recipe, error)) return false;
    mProject = opened;
    mDocument->reset(recipe);
    mRecipeDock->setBaseDir(mProject.dir());
    showProjectRuns();
    mLossCurves->clear();
    mLossCurves->clearOverlays();
    addRecent(mProject.dir());
    showWelcome(false);
    updateTitle();
    statusBar()->showMessage(tr("Opened project %1").arg(mProject.dir()), kStatusTimeoutMs);
    return true;
}

bool MainWindow::saveProject(QString* error) {
    if (!mProject.isOpen()) {
        const QString dir = QFileDialog::getSaveFileName(
            this, tr("Save as a new project folder"),
            mSettings.projectsRoot + "/" + QString::fromStdString(mDocument->recipe().name));
        if (dir.isEmpty()) return false;
        Project created;
        if (!Project::create(dir, mDocument->recipe(), &created, error)) return false;
        mProject = created;
        mRecipeDock->setBaseDir(mProject.dir());
        showProjectRuns();
        addRecent(mProject.dir());
    } else if (!mProject.save(mDocument->recipe(), error)) {
        return false;
    }
    mDocument->setSaved();
    updateTitle();
    statusBar()->showMessage(tr("Saved %1").arg(mProject.recipePath()), kStatusTimeoutMs);
    return true;
}

bool MainWindow::ensureProject(QString* error) {
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
    mProject = created;
    mDocument->setSaved();
    mRecipeDock->setBaseDir(mProject.dir());
    showProjectRuns();
    addRecent(mProject.dir());
    updateTitle();
    log(tr("Created project %1 for the runs of this recipe").arg(mProject.dir()));
    return true;
}

bool MainWindow::maybeSave() {
    if (!mDocument->isModified()) return true;
    const auto answer = QMessageBox::warning(
        this, tr("Unsaved changes"), tr("The recipe has changes that are not saved. Save them?"),
        QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
    if (answer == QMessageBox::Cancel) return false;
    if (answer == QMessageBox::Discard) return true;
    QString error;
    if (saveProject(&error)) return true;
    if (!error.isEmpty()) showError(error);
    return false;
}

void MainWindow::autosave() {
    if (!mProject.isOpen() || !mDocument->isModified()) return;
    QString error;
    if (mProject.save(mDocument->recipe(), &error)) {
        mDocument->setSaved();
        statusBar()->showMessage(tr("Autosaved"), 3000);
    } else {
        log(tr("Autosave failed: %1").arg(error), true);
    }
}

void MainWindow::addRecent(const QString& dir) {
    QSettings settings;
    QStringList recent = settings.value("recentProjects").toStringList();
    recent.removeAll(dir);
    recent.prepend(dir);
    while (recent.size() > kMaxRecent)
        recent.removeLast();
    settings.setValue("recentProjects", recent);
    settings.setValue("lastProject", dir);
    rebuildRecentMenu();
}

void MainWindow::rebuildRecentMenu() {
    mRecentMenu->clear();
    const QStringList recent = QSettings().value("recentProjects").toStringList();
    for (const QString& dir : recent) {
        QAction* a = mRecentMenu->addAction(QDir::toNativeSeparators(dir));
        connect(a, &QAction::triggered, this, [this, dir] {
            QString error;
            if (maybeSave() && !openProject(dir, &error)) showError(error);
        });
    }
    mRecentMenu->setEnabled(!recent.isEmpty());
}

void MainWindow::chooseNewProject() {
    if (!maybeSave()) return;
    QDir().mkpath(mSettings.projectsRoot);
    const QString dir = QFileDialog::getSaveFileName(this, tr("New project folder"),
                                                     mSettings.projectsRoot + "/" + tr("project"));
    if (dir.isEmpty()) return;
    QString error;
    if (!newProject(dir, &error)) showError(error);
}

void MainWindow::chooseOpenProject() {
    if (!maybeSave()) return;
    const QString dir =
        QFileDialog::getExistingDirectory(this, tr("Open project folder"), mSettings.projectsRoot);
    if (dir.isEmpty()) return;
    QString error;
    if (!openProject(dir, &error)) showError(error);
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
    const QString start = resourcesDir().isEmpty() ? mSettings.projectsRoot : resourcesDir() + "/recipes";
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
                                     mProject.isOpen() ? mProject.dir() : mSettings.projectsRoot,
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
    return mBridge->isRunning() || mRunKind != RunKind::None;
}

bool MainWindow::trainTeacher() {
    return startRun(RunKind::Teacher);
}

bool MainWindow::distillStudent() {
    return startRun(RunKind::Student);
}

void MainWindow::pauseRun() {
    if (!isRunning()) return;
    mBridge->pause();
    statusBar()->showMessage(tr("Paused; the inspector still answers"), kStatusTimeoutMs);
    updateActions();
}

void MainWindow::resumeRun() {
    if (!isRunning()) return;
    mBridge->resume();
    statusBar()->showMessage(tr("Resumed"), kStatusTimeoutMs);
    updateActions();
}

void MainWindow::stopRun() {
    if (!isRunning()) return;
    mBridge->cancel();
    statusBar()->showMessage(tr("Stopping at the end of this step…"));
    updateActions();
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

bool MainWindow::startRun(RunKind kind) {
    if (isRunning()) {
        showError(tr("A run is already in progress."));
        return false;
    }
    QString error;
    // Typed YAML is the user's latest word: apply it, or refuse to start with its error.
    if (mRecipeDock->yamlModified() && !mRecipeDock->applyYaml(&error)) {
        showError(tr("The recipe has an error, so nothing was started:\n%1").arg(error));
        return false;
    }
    Recipe recipe = mDocument->recipe();
    if (kind == RunKind::Teacher) {
        if (recipe.teacher.model.empty()) {
            showError(tr("Choose a teacher architecture or import one in the Models dock first."));
            return false;
        }
        recipe = teacherRecipe(recipe);
    }
    try {
        // The parser checks every value (weights, labels, ranges) with messages that name the field.
        recipe = parseRecipe(recipeToYaml(recipe), "recipe.yaml", mProject.dir().toStdString());
    } catch (const std::exception& e) {
        showError(
            tr("The recipe has an error, so nothing was started:\n%1").arg(QString::fromStdString(e.what())));
        return false;
    }
    if (!ensureProject(&error)) {
        showError(error);
        return false;
    }
    const QString runDir = mProject.newRunDir(QString::fromStdString(recipe.name));
    JobOptions options;
    options.runDir = runDir.toStdString();
    return launch(recipe, options, kind);
}

bool MainWindow::launch(const Recipe& recipe, const JobOptions& options, RunKind kind) {
    const QString runDir = QString::fromStdString(options.runDir);
    QString error;
    if (!mBridge->start(recipe, options, &error)) {
        if (!options.resume && QDir(runDir).exists() && QDir(runDir).isEmpty()) QDir().rmdir(runDir);
        showError(tr("Cannot start the run:\n%1").arg(error));
        return false;
    }
    mRunKind = kind;
    mRunDir = runDir;
    mInspectedRun = runDir;
    mLastError.clear();

    mLossCurves->clearOverlays();
    mLossCurves->clear();
    // A continued run shows what it did before it stopped; new steps extend those curves.
    if (options.resume) mLossCurves->loadRun(runDir);
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
    statusBar()->clearMessage();
    mProgress->setRange(0, 0);
    mProgress->setValue(0);
    mStatusStep->setText(tr("Starting…"));
    mStatusThroughput->clear();
    mStatusEta->clear();
    if (kind == RunKind::Teacher)
        log(tr("Training teacher %1 in %2")
                .arg(QString::fromStdString(recipe.student.displayName()), runDir));
    else if (kind == RunKind::Qat)
        log(tr("Quantization-aware training of %1 in %2")
                .arg(QString::fromStdString(recipe.student.displayName()), runDir));
    else
        log(tr("Training student %1 in %2")
                .arg(QString::fromStdString(recipe.student.displayName()), runDir));
    mRunsTable->refresh();
    updateActions();
    Q_EMIT runStarted(runDir);
    return true;
}

void MainWindow::showProjectRuns() {
    mRunsTable->setProjectDir(mProject.runsDir());
    mQuantize->setProject(mProject);
}

bool MainWindow::startRecipe(const Recipe& recipe, RunKind kind, QString* error) {
    if (isRunning()) {
        if (error) *error = tr("A run is already in progress.");
        return false;
    }
    if (!ensureProject(error)) return false;
    JobOptions options;
    options.runDir = mProject.newRunDir(QString::fromStdString(recipe.name)).toStdString();
    if (!launch(recipe, options, kind)) {
        if (error) *error = mLastError;
        return false;
    }
    return true;
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
        if (QuantizePage::isQuantizedFolder(source)) source = QuantizePage::sourceOf(source);
        if (!source.isEmpty() && QDir(source) != QDir(mQuantize->sourceRun()))
            mQuantize->setSourceRun(source);
    }
}

bool MainWindow::isResumable(const QString& runDir) {
    if (!QFileInfo::exists(runDir + "/checkpoints/last.pt")) return false;
    QFile file(runDir + "/summary.json");
    // No summary: the run was killed. A summary says whether it finished.
    if (!file.open(QIODevice::ReadOnly)) return true;
    return QJsonDocument::fromJson(file.readAll()).object().value("status").toString() != "finished";
}

bool MainWindow::continueRun(const QString& runDir) {
    if (isRunning()) {
        showError(tr("A run is already in progress."));
        return false;
    }
    if (!isResumable(runDir)) {
        showError(tr("%1 cannot be continued: it finished, or it has no checkpoint yet.").arg(runDir));
        return false;
    }
    Recipe recipe;
    try {
        recipe = loadRunRecipe(runDir.toStdString());
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        return false;
    }
    JobOptions options;
    options.runDir = runDir.toStdString();
    options.resume = true;
    const bool teacher = QFileInfo(runDir).fileName().startsWith("teacher_");
    return launch(recipe, options, teacher ? RunKind::Teacher : RunKind::Student);
}

bool MainWindow::runDemo(const std::vector<std::string>& overrides) {
    if (isRunning()) {
        showError(tr("A run is already in progress."));
        return false;
    }
    const QString path = demoRecipePath();
    if (path.isEmpty()) {
        showError(tr("The demo recipe resources/recipes/fmnist_cwd.yaml was not found next to the program."));
        return false;
    }
    Recipe recipe;
    try {
        recipe = loadRecipe(path.toStdString(), overrides);
    } catch (const std::exception& e) {
        showError(QString::fromStdString(e.what()));
        return false;
    }
    const QString dir =
        mSettings.projectsRoot + "/demo-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
    QString error;
    Project created;
    if (!Project::create(dir, recipe, &created, &error)) {
        showError(error);
        return false;
    }
    mProject = created;
    mDocument->reset(recipe);
    mRecipeDock->setBaseDir(mProject.dir());
    showProjectRuns();
    addRecent(mProject.dir());
    showWelcome(false);
    updateTitle();
    if (!QFileInfo::exists(QString::fromStdString(recipe.teacher.checkpoint))) {
        // Without the shipped teacher the demo still works: train it first, then distil from it.
        log(tr("The shipped teacher %1 is missing; training it first.")
                .arg(QString::fromStdString(recipe.teacher.checkpoint)));
        mDemoPending = true;
        return trainTeacher();
    }
    return distillStudent();
}

void MainWindow::onStep(const StepEvent& e) {
    mLossCurves->addStep(e);
    const int epochs = mBridge->job() ? mBridge->job()->recipe().epochs : 0;
    mStatusStep->setText(tr("Epoch %1/%2 · step %3/%4 · loss %5")
                             .arg(e.epoch)
                             .arg(epochs)
                             .arg(e.step)
                             .arg(e.totalSteps)
                             .arg(e.total, 0, 'g', 4));
    mStatusThroughput->setText(tr("%1 img/s").arg(e.imagesPerSecond, 0, 'f', 0));
    mStatusEta->setText(tr("ETA %1").arg(formatDuration(e.etaSeconds)));
    mProgress->setRange(0, static_cast<int>(std::max<int64_t>(1, e.totalSteps)));
    mProgress->setValue(static_cast<int>(e.step));
}

void MainWindow::onEpoch(const EpochEvent& e) {
    mLossCurves->addEpoch(e);
    QStringList parts;
    for (const auto& [name, value] : e.metrics)
        parts << QStringLiteral("%1 %2").arg(QString::fromStdString(name)).arg(value, 0, 'f', 4);
    log(tr("Epoch %1 (%2): %3%4")
            .arg(e.epoch)
            .arg(QString::fromLatin1(splitName(e.split)), parts.join(", "),
                 e.best ? tr(" — best so far") : QString()));
}

void MainWindow::onFinished(const RunSummary& summary) {
    const QString runDir = mRunDir;
    const RunKind kind = mRunKind;
    mRunKind = RunKind::None;
    mInspector->setLive(false);
    // The job's models are idle now: one more snapshot shows the final maps.
    if (mBridge->job() && mInspectedRun == runDir) {
        mBridge->job()->requestSnapshot(mInspector->teacherTap().toStdString(),
                                        mInspector->studentTap().toStdString(), mInspector->sampleIndex(),
                                        splitFrom(mInspector->split().toStdString(), "split"));
    }
    const RunStatus status = summary.status;
    QStringList metrics;
    for (const auto& [name, value] : summary.bestMetrics)
        metrics << QStringLiteral("%1 %2").arg(QString::fromStdString(name)).arg(value, 0, 'f', 4);
    if (status == RunStatus::Finished) {
        mProgress->setRange(0, 1);
        mProgress->setValue(1);
        statusBar()->showMessage(
            tr("Finished in %1. Best: %2").arg(formatDuration(summary.wallSeconds), metrics.join(", ")));
        log(tr("Finished %1: best %2").arg(runDir, metrics.join(", ")));
    } else if (status == RunStatus::Cancelled) {
        statusBar()->showMessage(tr("Stopped; the run can be continued later"), kStatusTimeoutMs);
        log(tr("Stopped %1").arg(runDir));
    } else {
        showError(tr("The run failed: %1").arg(QString::fromStdString(summary.message)));
    }
    mStatusEta->clear();
    mRunsTable->refresh();
    if (kind == RunKind::Qat)
        mQuantize->qatFinished(runDir, status);  // its row joins the comparison
    else
        mQuantize->refresh();  // a trained student joins the sources
    if (hasCheckpoint(runDir)) showRunPredictions(runDir);

    if (kind == RunKind::Teacher && status == RunStatus::Finished) {
        const std::string checkpoint = runDir.toStdString();
        mDocument->edit(tr("Use the trained teacher"), [&](Recipe& r) { r.teacher.checkpoint = checkpoint; });
        log(tr("The recipe's teacher is now %1").arg(runDir));
    }
    updateActions();
    Q_EMIT runFinished(runDir, status);
    if (mDemoPending) {
        mDemoPending = false;
        if (kind == RunKind::Teacher && status == RunStatus::Finished)
            QTimer::singleShot(0, this, [this] { distillStudent(); });
    }
}

void MainWindow::showRunPredictions(const QString& runDir) {
    mPredictions->showRun(runDir);
}

void MainWindow::onSnapshotRequested(const QString& teacherTap, const QString& studentTap, qint64 sample,
                                     const QString& split) {
    if (mInspectedRun.isEmpty()) return;
    if (mBridge->job() && mInspectedRun == mRunDir &&
        QDir(mRunDir) == QDir(QString::fromStdString(mBridge->job()->runDir()))) {
        // Live (or just finished): the job answers at its next step boundary, or at once when idle.
        mBridge->job()->requestSnapshot(teacherTap.toStdString(), studentTap.toStdString(), sample,
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
    mSnapshotWatcher.setFuture(QtConcurrent::run([=] {
        SnapshotResult result;
        result.runDir = runDir;
        try {
            result.snapshot = snapshotRun(runDir.toStdString(), teacherTap, studentTap, sample, split);
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
    if (!hasCheckpoint(runDir)) {
        mInspector->showMessage(tr("This run has no checkpoint yet."));
        return;
    }
    mInspector->requestSnapshot();
}

void MainWindow::onRunsSelected(const QStringList& runDirs) {
    mSelectedRuns = runDirs;
    updateActions();
    if (runDirs.isEmpty()) return;
    // With the Quantize page in view, a selected trained fp32 run becomes its source.
    if (runDirs.size() == 1 && !mQuantize->visibleRegion().isEmpty() && !mQuantize->isBusy() &&
        QuantizePage::isSourceCandidate(runDirs.first()) &&
        QDir(runDirs.first()) != QDir(mQuantize->sourceRun()))
        mQuantize->setSourceRun(runDirs.first());
    mLossCurves->clearOverlays();
    if (isRunning()) {
        // Keep the live curves and compare the selected runs against them.
        for (const QString& dir : runDirs)
            if (dir != mRunDir) mLossCurves->addOverlay(dir, QFileInfo(dir).fileName());
        return;
    }
    QString error;
    if (!mLossCurves->loadRun(runDirs.first(), &error)) log(error, true);
    for (int i = 1; i < runDirs.size(); ++i)
        mLossCurves->addOverlay(runDirs[i], QFileInfo(runDirs[i]).fileName());
    if (hasCheckpoint(runDirs.first())) showRunPredictions(runDirs.first());
    inspectRun(runDirs.first());
}

// ---- window ---------------------------------------------------------------------------------------------

void MainWindow::updateActions() {
    const bool running = isRunning();
    const bool paused = running && mBridge->job() && mBridge->job()->paused();
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
    const QString name = mProject.isOpen() ? mProject.name() : tr("Untitled");
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
    if (isRunning()) {
        const auto answer = QMessageBox::question(this, tr("A run is in progress"),
                                                  tr("Stop the run and quit? It can be continued later."),
                                                  QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes) {
            event->ignore();
            return;
        }
        mBridge->cancel();
        if (mBridge->job()) mBridge->job()->wait();
    }
    if (!maybeSave()) {
        event->ignore();
        return;
    }
    QSettings settings;
    settings.setValue("window/geometry", saveGeometry());
    settings.setValue("window/state", saveState());
    event->accept();
}

}  // namespace distillery
