// The window's parts that need no training: the project session (create, open, save, recent projects, the
// folder a run gets, the unsaved-changes prompt), what the run controller refuses and which runs it can
// continue as what, and background work with its continuation on the GUI thread.

#include <QAbstractButton>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>
#include <QtTest/QtTest>
#include <atomic>

#include "core/recipe.h"
#include "core/run_folder.h"
#include "widgets/background_work.h"
#include "widgets/engine_bridge.h"
#include "widgets/project_session.h"
#include "widgets/recipe_document.h"
#include "widgets/run_controller.h"

using namespace distillery;

namespace {

/** Answers the next modal message box with `button`; its text goes to *text. */
void answerNextMessageBox(QMessageBox::StandardButton button, QString* text = nullptr) {
    QTimer::singleShot(100, [button, text] {
        auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
        if (!box) return;
        if (text) *text = box->text();
        if (box->button(button)) box->button(button)->click();
    });
}

void writeText(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    QVERIFY2(f.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    f.write(content);
}

}  // namespace

class SessionTest : public QObject {
    Q_OBJECT

    QTemporaryDir mScratch;

    QString dir(const QString& name) const { return mScratch.path() + "/" + name; }

    AppSettings settings(int autosaveSeconds = 0) const {
        AppSettings s;
        s.projectsRoot = dir("projects");
        s.autosaveSeconds = autosaveSeconds;
        return s;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(mScratch.isValid());
        QStandardPaths::setTestModeEnabled(true);
        QCoreApplication::setOrganizationName("Distillery-test");
        QCoreApplication::setApplicationName("test_session");
        QSettings().clear();
    }

    void createsOpensAndRemembersProjects() {
        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings());
        QSignalSpy changed(&session, &ProjectSession::projectChanged);
        QSignalSpy recent(&session, &ProjectSession::recentProjectsChanged);

        QVERIFY(session.newProject(dir("one")));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.last().at(0).value<ProjectSession::Change>(), ProjectSession::Change::Created);
        QCOMPARE(document.recipe().name, std::string("one"));  // named after its folder
        QVERIFY(!session.isModified());
        const QString one = session.project().dir();

        document.edit("rename", [](Recipe& r) { r.name = "renamed"; });
        QVERIFY(session.isModified());
        QVERIFY(session.saveProject());
        QVERIFY(!session.isModified());
        QCOMPARE(loadRecipe(session.project().recipePath().toStdString()).name, std::string("renamed"));

        QVERIFY(session.newProject(dir("two")));
        const QString two = session.project().dir();
        QCOMPARE(session.recentProjects(), (QStringList{two, one}));
        QVERIFY(session.openProject(one));
        QCOMPARE(changed.last().at(0).value<ProjectSession::Change>(), ProjectSession::Change::Opened);
        QCOMPARE(document.recipe().name, std::string("renamed"));
        QCOMPARE(session.recentProjects(), (QStringList{one, two}));
        QCOMPARE(session.lastProject(), one);
        QCOMPARE(recent.count(), 3);

        // While a run writes into this project, no other one is opened or created.
        session.setBusyCheck([] { return true; });
        QString error;
        QVERIFY(!session.openProject(two, &error));
        QVERIFY2(error.contains("Stop the current run"), qPrintable(error));
        QVERIFY(!session.newProject(dir("three"), &error));
        QCOMPARE(session.project().dir(), one);
        session.setBusyCheck({});

        // A folder without a project: the reason, and the open project stays.
        QVERIFY(!session.openProject(dir("nothing"), &error));
        QVERIFY(!error.isEmpty());
        QCOMPARE(session.project().dir(), one);
    }

    void ensureProjectGivesARunAFolder() {
        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings());
        Recipe recipe = ProjectSession::starterRecipe();
        recipe.name = "unsaved_recipe";
        document.reset(recipe);
        document.edit("tweak", [](Recipe& r) { r.epochs = 3; });
        QSignalSpy log(&session, &ProjectSession::logMessage);
        QSignalSpy changed(&session, &ProjectSession::projectChanged);

        QString error;
        QVERIFY2(session.ensureProject(&error), qPrintable(error));
        QCOMPARE(changed.count(), 1);
        QVERIFY(session.project().dir().startsWith(dir("projects") + "/unsaved_recipe-"));
        QVERIFY(!session.isModified());
        QCOMPARE(loadRecipe(session.project().recipePath().toStdString()).epochs, 3);
        QCOMPARE(log.count(), 1);

        // With a project open, it saves the edits there.
        document.edit("tweak", [](Recipe& r) { r.epochs = 4; });
        QVERIFY(session.ensureProject(&error));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(loadRecipe(session.project().recipePath().toStdString()).epochs, 4);
    }

    void unsavedChangesPromptSaysWhatElseHappens() {
        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings());
        QVERIFY(session.newProject(dir("prompt")));
        QVERIFY(session.maybeSave());  // nothing to ask

        document.edit("rename", [](Recipe& r) { r.name = "edited"; });
        QString text;
        answerNextMessageBox(QMessageBox::Cancel, &text);
        QVERIFY(!session.maybeSave(QStringLiteral("The run in progress will be stopped.")));
        QVERIFY2(text.contains("not saved") && text.contains("will be stopped"), qPrintable(text));
        QVERIFY(session.isModified());

        answerNextMessageBox(QMessageBox::Discard);
        QVERIFY(session.maybeSave());
        QVERIFY(session.isModified());  // discarded for this question, not undone
        QCOMPARE(loadRecipe(session.project().recipePath().toStdString()).name, std::string("prompt"));

        answerNextMessageBox(QMessageBox::Save);
        QVERIFY(session.maybeSave());
        QVERIFY(!session.isModified());
        QCOMPARE(loadRecipe(session.project().recipePath().toStdString()).name, std::string("edited"));
    }

    void autosaveWritesEditsOfAnOpenProject() {
        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings(1));
        QVERIFY(session.newProject(dir("autosave")));
        QSignalSpy status(&session, &ProjectSession::statusMessage);
        document.edit("rename", [](Recipe& r) { r.name = "autosaved"; });
        QTRY_VERIFY_WITH_TIMEOUT(!session.isModified(), 5000);
        QCOMPARE(loadRecipe(session.project().recipePath().toStdString()).name, std::string("autosaved"));
        QVERIFY(!status.isEmpty());
    }

    void runsAreContinuedOnlyWhenUnfinished() {
        const QString runs = dir("runs");
        // Killed: a last checkpoint, no summary.
        writeText(runs + "/killed/checkpoints/last.pt", "weights");
        QVERIFY(RunController::isResumable(runs + "/killed"));
        // Stopped: the summary says so.
        writeText(runs + "/stopped/checkpoints/last.pt", "weights");
        RunSummaryRecord stopped;
        stopped.status = RunStatus::Cancelled;
        stopped.role = RunRole::Teacher;
        RunFolder((runs + "/stopped").toStdString()).writeSummary(stopped);
        QVERIFY(RunController::isResumable(runs + "/stopped"));
        // Finished, corrupt (the engine refuses to resume over it), and never checkpointed.
        writeText(runs + "/finished/checkpoints/last.pt", "weights");
        RunFolder((runs + "/finished").toStdString()).writeSummary(RunSummaryRecord{});
        QVERIFY(!RunController::isResumable(runs + "/finished"));
        writeText(runs + "/corrupt/checkpoints/last.pt", "weights");
        writeText(runs + "/corrupt/summary.json", "{\"status\": \"cancel");
        QVERIFY(!RunController::isResumable(runs + "/corrupt"));
        writeText(runs + "/empty/recipe.yaml", "name: x\n");
        QVERIFY(!RunController::isResumable(runs + "/empty"));

        QVERIFY(RunController::roleOf(RunController::RunKind::Teacher) == RunRole::Teacher);
        QVERIFY(RunController::roleOf(RunController::RunKind::Student) == RunRole::Student);
        QVERIFY(RunController::roleOf(RunController::RunKind::Qat) == RunRole::Student);

        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings());
        RunController controller(&document, &session);
        QSignalSpy errors(&controller, &RunController::errorOccurred);
        QVERIFY(!controller.continueRun(runs + "/finished"));
        QCOMPARE(errors.count(), 1);
        QVERIFY2(errors.last().at(0).toString().contains("cannot be continued"),
                 qPrintable(errors.last().at(0).toString()));
        QVERIFY(!controller.isRunning());
        QCOMPARE(controller.runKind(), RunController::RunKind::None);
    }

    void nothingStartsFromABadRecipe() {
        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings());
        RunController controller(&document, &session);
        QSignalSpy errors(&controller, &RunController::errorOccurred);
        QSignalSpy started(&controller, &RunController::runStarted);

        // A teacher needs a teacher model.
        Recipe alone;
        alone.student.arch = "resnet8";
        document.reset(alone);
        QVERIFY(!controller.trainTeacher());
        QVERIFY2(controller.lastError().contains("teacher"), qPrintable(controller.lastError()));

        // The editor's typed text is committed first; its error stops the run before any folder exists.
        document.reset(ProjectSession::starterRecipe());
        controller.setRecipeCommit([](QString* error) {
            *error = QStringLiteral("line 3: bad indentation");
            return false;
        });
        QVERIFY(!controller.distillStudent());
        QVERIFY2(controller.lastError().contains("line 3"), qPrintable(controller.lastError()));
        QVERIFY(!session.project().isOpen());
        QCOMPARE(started.count(), 0);
        QCOMPARE(errors.count(), 2);
    }

    void processesSettingRunsADataParallelJob() {
        // The recipe dock's Processes setting: the workbench is rank 0, distillery-cli the other rank; the
        // step and epoch events still arrive, and the run records its world size.
        qputenv("DISTILLERY_CLI", DISTILLERY_CLI);
        QSettings().setValue(kProcessesSetting, 2);
        RecipeDocument document;
        QWidget parent;
        ProjectSession session(&document, &parent);
        session.setSettings(settings());
        QVERIFY(session.newProject(dir("parallel")));
        RunController controller(&document, &session);
        QSignalSpy steps(controller.bridge(), &EngineBridge::stepReported);
        QSignalSpy epochs(controller.bridge(), &EngineBridge::epochReported);
        QSignalSpy finished(&controller, &RunController::runFinished);
        Recipe recipe =
            parseRecipe("model: {arch: resnet8}\n", "parallel.yaml", dir("parallel").toStdString());
        recipe.name = "parallel";
        recipe.data.subset = 512;
        recipe.batchSize = 64;
        recipe.epochs = 1;
        recipe.threads = 2;
        recipe.syncBn = true;
        QString error;
        QVERIFY2(controller.startRecipe(recipe, RunController::RunKind::Student, &error), qPrintable(error));
        QVERIFY(finished.wait(240000));
        QSettings().setValue(kProcessesSetting, 1);
        const auto summary = finished.last().at(1).value<RunSummary>();
        QVERIFY2(summary.status == RunStatus::Finished, summary.message.c_str());
        QCOMPARE(steps.count(), 8);  // 512 samples in global batches of 64
        QCOMPARE(epochs.count(), 1);
        const QString runDir = finished.last().at(0).toString();
        const auto record = RunFolder(runDir.toStdString()).readSummaryIfAny();
        QVERIFY(record.has_value());
        QCOMPARE(record->worldSize, 2);
        QCOMPARE(record->steps, int64_t{8});
    }

    void backgroundWorkContinuesOnTheGuiThread() {
        BackgroundWork work;
        QThread* worker = nullptr;
        QThread* continuation = nullptr;
        int value = 0;
        work.run<int>(
            [&] {
                worker = QThread::currentThread();
                return 42;
            },
            [&](int v) {
                continuation = QThread::currentThread();
                value = v;
            });
        QVERIFY(!work.isIdle());
        QTRY_VERIFY(work.isIdle());
        QCOMPARE(value, 42);
        QVERIFY(worker && worker != qApp->thread());
        QCOMPARE(continuation, qApp->thread());

        // What the work threw reaches the failure handler, not the continuation.
        QString error;
        bool done = false;
        work.run<int>([]() -> int { throw Error("bad input in x.yaml"); }, [&](int) { done = true; },
                      [&](const QString& e) { error = e; });
        QTRY_COMPARE(error, QString("bad input in x.yaml"));
        QVERIFY(!done);

        // The owner waits for work in flight when it goes; the continuation then never runs.
        std::atomic<bool> finished{false};
        bool ran = false;
        {
            BackgroundWork shortLived;
            shortLived.run<int>(
                [&] {
                    QThread::msleep(200);
                    finished = true;
                    return 1;
                },
                [&](int) { ran = true; });
        }
        QVERIFY(finished);
        QCoreApplication::processEvents();
        QVERIFY(!ran);
    }
};

QTEST_MAIN(SessionTest)
#include "test_session.moc"
