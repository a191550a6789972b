// distillery: the Qt workbench. Only start-up lives here; the window is in widgets/.

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QLibraryInfo>
#include <QLocale>
#include <QSettings>
#include <QTemporaryDir>
#include <QTimer>
#include <QTranslator>

#include "widgets/main_window.h"
#include "widgets/screenshot_tour.h"
#include "widgets/settings_dialog.h"

using namespace distillery;

int main(int argc, char** argv) {
    QApplication app(argc, argv);
    QApplication::setOrganizationName("Distillery");
    QApplication::setApplicationName("Distillery");
    QApplication::setApplicationVersion(DISTILLERY_VERSION);
    QApplication::setDesktopFileName("org.distillery.Distillery");
    QIcon icon;
    for (int size : {16, 24, 32, 48, 64, 128, 256})
        icon.addFile(QString(":/icons/distillery-%1.png").arg(size), QSize(size, size));
    QApplication::setWindowIcon(icon);

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate("main", "Knowledge-distillation workbench"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption screenshots(
        "screenshots", QApplication::translate("main", "Run a short demo and save screenshots to DIR."),
        "DIR");
    QCommandLineOption language(
        "lang", QApplication::translate("main", "User-interface language (en, zh_CN)."), "LANG");
    QCommandLineOption set(
        "set", QApplication::translate("main", "Override a demo recipe key (with --demo or --screenshots)."),
        "KEY=VALUE");
    QCommandLineOption demo(
        "demo", QApplication::translate("main",
                                        "Start the Fashion-MNIST demo in a new project, as the welcome "
                                        "page's button does."));
    QCommandLineOption quitAfterRun(
        "quit-after-run",
        QApplication::translate("main",
                                "Quit when the demo's distillation ends (exit status 0 if it "
                                "finished, 1 if not); for scripted demos and checks."));
    parser.addOptions({screenshots, language, set, demo, quitAfterRun});
    parser.addPositionalArgument("project", QApplication::translate("main", "Project folder to open."),
                                 "[project]");
    parser.process(app);

    const bool tour = parser.isSet(screenshots);
    // A tour must not touch the user's settings, recent projects or projects folder.
    QTemporaryDir tourProjects;
    if (tour) {
        QApplication::setOrganizationName("Distillery-screenshots");
        QSettings settings;
        settings.clear();
        settings.setValue("projectsRoot", tourProjects.path());
    }

    QString lang = parser.isSet(language) ? parser.value(language) : AppSettings::load().language;
    const QLocale locale = lang.isEmpty() ? QLocale::system() : QLocale(lang);
    QTranslator appTranslator;
    QTranslator qtTranslator;
    if (appTranslator.load(locale, "distillery", "_", ":/i18n"))
        QApplication::installTranslator(&appTranslator);
    // Qt's own strings (standard buttons, file dialogs), when the system has them.
    if (qtTranslator.load(locale, "qtbase", "_", QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QApplication::installTranslator(&qtTranslator);

    MainWindow window;
    if (tour) {
        std::vector<std::string> overrides;
        for (const QString& o : parser.values(set))
            overrides.push_back(o.toStdString());
        const QString prefix = lang.isEmpty() || lang == "en" ? QString() : lang + "-";
        ScreenshotTour screenshotTour(&window, parser.value(screenshots), prefix, overrides);
        QObject::connect(&screenshotTour, &ScreenshotTour::finished, &app,
                         [](int code) { QApplication::exit(code); });
        QTimer::singleShot(0, &screenshotTour, &ScreenshotTour::start);
        const int code = app.exec();
        for (const QString& path : screenshotTour.written())
            qInfo("%s", qPrintable(path));
        return code;
    }

    window.show();
    std::vector<std::string> overrides;
    for (const QString& o : parser.values(set))
        overrides.push_back(o.toStdString());
    if (parser.isSet(demo)) {
        if (parser.isSet(quitAfterRun)) {
            // The demo may train its teacher first; it ends with the student's run.
            QObject::connect(
                window.runController(), &RunController::runFinished, &app,
                [](const QString& runDir, const RunSummary& summary, RunController::RunKind kind) {
                    if (kind == RunController::RunKind::Teacher && summary.status == RunStatus::Finished)
                        return;
                    qInfo("%s: %s", qPrintable(runDir), statusName(summary.status));
                    QApplication::exit(summary.status == RunStatus::Finished ? 0 : 1);
                });
            // A run that cannot start (e.g. the student after its teacher) ends the program too.
            QObject::connect(window.runController(), &RunController::errorOccurred, &app,
                             [](const QString& message) {
                                 qWarning("%s", qPrintable(message));
                                 QApplication::exit(1);
                             });
        }
        if (!window.runDemo(overrides)) {
            qWarning("%s", qPrintable(window.lastError()));
            return parser.isSet(quitAfterRun) ? 1 : app.exec();
        }
        return app.exec();
    }
    if (!parser.positionalArguments().isEmpty()) {
        QString error;
        if (!window.openProject(parser.positionalArguments().first(), &error))
            qWarning("%s", qPrintable(error));
    } else {
        window.restoreSession();
    }
    return app.exec();
}
