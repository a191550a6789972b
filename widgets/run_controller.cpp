#include "widgets/run_controller.h"

#include <QDateTime>
#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QProgressBar>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <algorithm>

#include "core/baseline.h"
#include "core/distributed.h"
#include "core/install_paths.h"
#include "widgets/engine_bridge.h"
#include "widgets/project_session.h"
#include "widgets/recipe_document.h"
#include "widgets/resource_paths.h"
#include "widgets/views/format.h"

namespace distillery {

namespace {

constexpr int kStatusTimeoutMs = 10000;

/** The teacher of a distillation recipe trained alone: same data and schedule, the task loss only. */
Recipe teacherRecipe(const Recipe& r) {
    Recipe t = r;
    t.job = JobKind::Train;
    t.student = r.teacher.model;
    t.teacher = TeacherSpec{};
    LossTermSpec task;
    task.method = LossMethod::Task;
    t.losses = {task};
    t.name = "teacher_" + r.teacher.model.displayName();
    return t;
}

}  // namespace

RunController::RunController(RecipeDocument* document, ProjectSession* session, QObject* parent)
    : QObject(parent), mDocument(document), mSession(session), mBridge(new EngineBridge(this)) {
    connect(mBridge, &EngineBridge::stepReported, this, &RunController::onStep);
    connect(mBridge, &EngineBridge::epochReported, this, &RunController::onEpoch);
    connect(mBridge, &EngineBridge::finished, this, &RunController::onFinished);
}

RunController::~RunController() = default;

void RunController::attachStatusBar(QStatusBar* bar) {
    mStatusBar = bar;
    mStatusStep = new QLabel(bar);
    mStatusThroughput = new QLabel(bar);
    mStatusEta = new QLabel(bar);
    mProgress = new QProgressBar(bar);
    mProgress->setMaximumWidth(220);
    mProgress->setTextVisible(true);
    mProgress->setValue(0);
    bar->addPermanentWidget(mStatusStep);
    bar->addPermanentWidget(mStatusThroughput);
    bar->addPermanentWidget(mStatusEta);
    bar->addPermanentWidget(mProgress);
    bar->showMessage(tr("Ready"));
}

void RunController::showStatus(const QString& text, int timeoutMs) {
    if (mStatusBar) mStatusBar->showMessage(text, timeoutMs);
}

void RunController::fail(const QString& message) {
    mLastError = message;
    Q_EMIT errorOccurred(message);
}

bool RunController::isRunning() const {
    // The bridge's job may have ended while its finished signal is still queued: until it arrives, the
    // run is still this controller's.
    return mBridge->isRunning() || mKind != RunKind::None;
}

bool RunController::isPaused() const {
    return isRunning() && mBridge->job() && mBridge->job()->paused();
}

RunRole RunController::roleOf(RunKind kind) {
    return kind == RunKind::Teacher ? RunRole::Teacher : RunRole::Student;
}

bool RunController::refuseWhileRunning() {
    if (!isRunning()) return false;
    fail(tr("A run is already in progress."));
    return true;
}

bool RunController::trainTeacher() {
    return startRun(RunKind::Teacher);
}

bool RunController::distillStudent() {
    return startRun(RunKind::Student);
}

void RunController::pause() {
    if (!isRunning()) return;
    mBridge->pause();
    showStatus(tr("Paused; the inspector still answers"), kStatusTimeoutMs);
    Q_EMIT stateChanged();
}

void RunController::resume() {
    if (!isRunning()) return;
    mBridge->resume();
    showStatus(tr("Resumed"), kStatusTimeoutMs);
    Q_EMIT stateChanged();
}

void RunController::stop() {
    if (!isRunning()) return;
    mBridge->cancel();
    showStatus(tr("Stopping at the end of this step…"));
    Q_EMIT stateChanged();
}

void RunController::stopAndWait() {
    if (!mBridge->job()) return;
    mBridge->cancel();
    mBridge->job()->wait();
}

bool RunController::startRun(RunKind kind) {
    if (refuseWhileRunning()) return false;
    QString error;
    if (mCommit && !mCommit(&error)) {
        fail(tr("The recipe has an error, so nothing was started:\n%1").arg(error));
        return false;
    }
    Recipe recipe = mDocument->recipe();
    if (kind == RunKind::Teacher) {
        if (recipe.teacher.model.empty()) {
            fail(tr("Choose a teacher architecture or import one in the Models dock first."));
            return false;
        }
        recipe = teacherRecipe(recipe);
    }
    try {
        // The parser checks every value (weights, labels, ranges) with messages that name the field.
        recipe = parseRecipe(recipeToYaml(recipe), "recipe.yaml", mSession->project().dir().toStdString());
    } catch (const std::exception& e) {
        fail(
            tr("The recipe has an error, so nothing was started:\n%1").arg(QString::fromStdString(e.what())));
        return false;
    }
    if (!mSession->ensureProject(&error)) {
        fail(error);
        return false;
    }
    JobOptions options;
    options.runDir = mSession->project().newRunDir(QString::fromStdString(recipe.name)).toStdString();
    options.role = roleOf(kind);
    return launch(recipe, options, kind);
}

bool RunController::startRecipe(const Recipe& recipe, RunKind kind, QString* error) {
    if (isRunning()) {
        if (error) *error = tr("A run is already in progress.");
        return false;
    }
    if (!mSession->ensureProject(error)) return false;
    JobOptions options;
    options.runDir = mSession->project().newRunDir(QString::fromStdString(recipe.name)).toStdString();
    options.role = roleOf(kind);
    if (!launch(recipe, options, kind)) {
        if (error) *error = mLastError;
        return false;
    }
    return true;
}

bool RunController::isResumable(const QString& runDir) {
    const RunFolder folder(runDir.toStdString());
    if (!folder.hasCheckpoint(CheckpointChoice::Last)) return false;
    try {
        // No summary: the run was killed. A summary says whether it finished.
        const auto summary = folder.readSummaryIfAny();
        return !summary || summary->status != RunStatus::Finished;
    } catch (const std::exception&) {
        return false;  // the engine refuses to resume over a corrupt summary
    }
}

bool RunController::continueRun(const QString& runDir) {
    if (refuseWhileRunning()) return false;
    if (!isResumable(runDir)) {
        fail(tr("%1 cannot be continued: it finished, or it has no checkpoint yet.").arg(runDir));
        return false;
    }
    Recipe recipe;
    try {
        recipe = loadRunRecipe(runDir.toStdString());
    } catch (const std::exception& e) {
        fail(QString::fromStdString(e.what()));
        return false;
    }
    // What the run is comes from its folder (the summary a stop wrote, else the recipe), never its name;
    // the role is passed on so that the summary the continued run writes keeps it.
    const RunOverview overview = RunFolder(runDir.toStdString()).overview();
    const RunKind kind = overview.kind == distillery::RunKind::Qat ? RunKind::Qat
                         : overview.role == RunRole::Teacher       ? RunKind::Teacher
                                                                   : RunKind::Student;
    JobOptions options;
    options.runDir = runDir.toStdString();
    options.resume = true;
    options.role = overview.role;
    return launch(recipe, options, kind);
}

bool RunController::runDemo(const std::vector<std::string>& overrides) {
    if (refuseWhileRunning()) return false;
    const QString path = demoRecipePath();
    if (path.isEmpty()) {
        fail(tr("The demo recipe resources/recipes/fmnist_cwd.yaml was not found next to the program."));
        return false;
    }
    Recipe recipe;
    try {
        recipe = loadRecipe(path.toStdString(), overrides);
    } catch (const std::exception& e) {
        fail(QString::fromStdString(e.what()));
        return false;
    }
    const QString dir =
        mSession->projectsRoot() + "/demo-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
    QString error;
    if (!mSession->createProject(dir, recipe, &error)) {
        fail(error);
        return false;
    }
    if (!QFileInfo::exists(QString::fromStdString(recipe.teacher.checkpoint))) {
        // Without the shipped teacher the demo still works: train it first, then distil from it.
        Q_EMIT logMessage(tr("The shipped teacher %1 is missing; training it first.")
                              .arg(QString::fromStdString(recipe.teacher.checkpoint)),
                          false);
        mDemoPending = true;
        return trainTeacher();
    }
    return distillStudent();
}

bool RunController::launch(const Recipe& recipe, const JobOptions& jobOptions, RunKind kind) {
    JobOptions options = jobOptions;
    // A distillation is compared with the project's finished runs of the same student trained alone.
    if (recipe.job == JobKind::Distill && !recipe.quant.enabled)
        options.baselineRuns = findBaselineRuns(
            QFileInfo(QString::fromStdString(options.runDir)).path().toStdString(), recipe, options.runDir);
    const QString runDir = QString::fromStdString(options.runDir);
    // Data-parallel training (the recipe dock's processes setting): this process is rank 0, distillery-cli
    // runs the others.
    const int processes = std::clamp(QSettings().value(kProcessesSetting, 1).toInt(), 1, 64);
    if (processes > 1) {
        const std::string cli = cliProgram();
        if (cli.empty()) {
            fail(tr("Training on %1 processes needs distillery-cli beside the workbench; it was not found "
                    "(set "
                    "DISTILLERY_CLI, or set Processes to 1).")
                     .arg(processes));
            return false;
        }
        try {
            options.distributed =
                localJob(processes, options.threads > 0 ? options.threads : recipe.threads, cli);
        } catch (const std::exception& e) {
            fail(QString::fromStdString(e.what()));
            return false;
        }
        options.threads = options.distributed.workerThreads;
        Q_EMIT logMessage(
            tr("Data-parallel training: %1 processes of %2 threads, each taking 1/%1 of every batch")
                .arg(processes)
                .arg(options.threads),
            false);
    }
    if (mStatusBar) {
        // Shown while the job is being built (the window keeps painting meanwhile).
        mStatusStep->setText(tr("Loading the data and the models…"));
        mProgress->setRange(0, 0);
    }
    QString error;
    if (!mBridge->start(recipe, options, &error)) {
        if (mStatusBar) {
            mStatusStep->clear();
            mProgress->setRange(0, 1);
            mProgress->setValue(0);
        }
        if (!options.resume && QDir(runDir).exists() && QDir(runDir).isEmpty()) QDir().rmdir(runDir);
        mDemoPending = false;
        fail(tr("Cannot start the run:\n%1").arg(error));
        return false;
    }
    mKind = kind;
    mRunDir = runDir;
    mLastError.clear();

    if (mStatusBar) {
        mStatusBar->clearMessage();
        mProgress->setRange(0, 0);
        mProgress->setValue(0);
        mStatusStep->setText(tr("Starting…"));
        mStatusThroughput->clear();
        mStatusEta->clear();
    }
    const QString model = QString::fromStdString(recipe.student.displayName());
    if (kind == RunKind::Teacher)
        Q_EMIT logMessage(tr("Training teacher %1 in %2").arg(model, runDir), false);
    else if (kind == RunKind::Qat)
        Q_EMIT logMessage(tr("Quantization-aware training of %1 in %2").arg(model, runDir), false);
    else
        Q_EMIT logMessage(tr("Training student %1 in %2").arg(model, runDir), false);
    Q_EMIT runStarted(runDir, recipe, kind, options.resume);
    return true;
}

void RunController::onStep(const StepEvent& e) {
    if (!mStatusBar) return;
    const int epochs = mBridge->job() ? mBridge->job()->recipe().epochs : 0;
    if (e.init)
        mStatusStep->setText(tr("Initialisation stage · step %1/%2 · loss %3")
                                 .arg(e.step)
                                 .arg(e.totalSteps)
                                 .arg(e.total, 0, 'g', 4));
    else
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

void RunController::onEpoch(const EpochEvent& e) {
    QStringList parts;
    for (const auto& [name, value] : e.metrics)
        parts << QStringLiteral("%1 %2").arg(QString::fromStdString(name)).arg(value, 0, 'f', 4);
    Q_EMIT logMessage(tr("Epoch %1 (%2): %3%4")
                          .arg(e.epoch)
                          .arg(QString::fromLatin1(splitName(e.split)), parts.join(", "),
                               e.best ? tr(" — best so far") : QString()),
                      false);
}

void RunController::onFinished(const RunSummary& summary) {
    const QString runDir = mRunDir;
    const RunKind kind = mKind;
    mKind = RunKind::None;
    const RunStatus status = summary.status;
    QStringList metrics;
    for (const auto& [name, value] : summary.bestMetrics)
        metrics << QStringLiteral("%1 %2").arg(QString::fromStdString(name)).arg(value, 0, 'f', 4);
    if (status == RunStatus::Finished) {
        if (mProgress) {
            mProgress->setRange(0, 1);
            mProgress->setValue(1);
        }
        showStatus(
            tr("Finished in %1. Best: %2").arg(formatDuration(summary.wallSeconds), metrics.join(", ")));
        Q_EMIT logMessage(tr("Finished %1: best %2").arg(runDir, metrics.join(", ")), false);
    } else if (status == RunStatus::Cancelled) {
        showStatus(tr("Stopped; the run can be continued later"), kStatusTimeoutMs);
        Q_EMIT logMessage(tr("Stopped %1").arg(runDir), false);
    } else {
        fail(tr("The run failed: %1").arg(QString::fromStdString(summary.message)));
    }
    if (mStatusEta) mStatusEta->clear();

    // A teacher trained here is what the recipe distils from next.
    if (kind == RunKind::Teacher && status == RunStatus::Finished) {
        const std::string checkpoint = runDir.toStdString();
        mDocument->edit(tr("Use the trained teacher"), [&](Recipe& r) { r.teacher.checkpoint = checkpoint; });
        Q_EMIT logMessage(tr("The recipe's teacher is now %1").arg(runDir), false);
    }
    Q_EMIT runFinished(runDir, summary, kind);
    if (mDemoPending) {
        mDemoPending = false;
        if (kind == RunKind::Teacher && status == RunStatus::Finished)
            QTimer::singleShot(0, this, [this] { distillStudent(); });
    }
}

}  // namespace distillery
