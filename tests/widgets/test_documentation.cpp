// Help > Documentation: the viewer lists the guides of a documentation folder (README first, then docs/*.md),
// renders Markdown offline, follows links between pages with history, and says when a link or the whole
// documentation is missing. The main window's Help menu opens it on the folder core/install_paths.h finds.

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextDocument>
#include <QtTest/QtTest>

#include "core/install_paths.h"
#include "widgets/documentation_viewer.h"
#include "widgets/main_window.h"

using namespace distillery;

namespace {

void writeText(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
}

}  // namespace

class DocumentationTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void listsAndFollowsPagesOfAFolder() {
        QTemporaryDir dir;
        writeText(dir.filePath("README.md"),
                  "# Read me first\n\nSee [the methods](docs/methods.md) and [zeta](docs/zeta.md#part-two).\n"
                  "Also [a script](scripts/run.sh), [gone](docs/gone.md) and [web](https://example.org/).\n");
        writeText(dir.filePath("docs/methods.md"), "# Methods\n\nBack to [the start](../README.md).\n");
        writeText(dir.filePath("docs/zeta.md"), "Zeta has no heading.\n\n## Part two\n\ntext\n");
        writeText(dir.filePath("docs/notes.txt"), "not a page\n");

        DocumentationViewer viewer(nullptr, dir.path());
        QCOMPARE(viewer.pages(), (QStringList{"README.md", "docs/methods.md", "docs/zeta.md"}));
        auto* list = viewer.findChild<QListWidget*>("documentationPages");
        QVERIFY(list);
        QCOMPARE(list->count(), 3);
        // Titles are the first heading, else the file's name.
        QCOMPARE(list->item(0)->text(), QString("Read me first"));
        QCOMPARE(list->item(1)->text(), QString("Methods"));
        QCOMPARE(list->item(2)->text(), QString("zeta"));

        // The first page is shown, rendered from Markdown (no '#' or link syntax left in the text).
        QCOMPARE(viewer.currentPage(), QString("README.md"));
        const QString text = viewer.browser()->toPlainText();
        QVERIFY2(text.startsWith("Read me first"), qPrintable(text));
        QVERIFY(!text.contains("](docs/"));

        // A relative link to another page shows it and selects it in the list; Back returns.
        QVERIFY(viewer.followLink(QUrl("docs/methods.md")));
        QCOMPARE(viewer.currentPage(), QString("docs/methods.md"));
        QCOMPARE(list->currentRow(), 1);
        QVERIFY(viewer.browser()->toPlainText().startsWith("Methods"));
        // Links resolve against the shown page.
        QVERIFY(viewer.followLink(QUrl("../README.md")));
        QCOMPARE(viewer.currentPage(), QString("README.md"));
        viewer.browser()->backward();
        QCOMPARE(viewer.currentPage(), QString("docs/methods.md"));
        QCOMPARE(list->currentRow(), 1);

        // A link with a fragment opens the page.
        viewer.browser()->backward();
        QCOMPARE(viewer.currentPage(), QString("README.md"));
        QVERIFY(viewer.followLink(QUrl("docs/zeta.md#part-two")));
        QCOMPARE(viewer.currentPage(), QString("docs/zeta.md"));

        // Choosing a page in the list shows it.
        list->setCurrentRow(1);
        QCOMPARE(viewer.currentPage(), QString("docs/methods.md"));
        QVERIFY(viewer.showPage("README.md"));
        QVERIFY(!viewer.showPage("docs/notes.txt"));
        QCOMPARE(viewer.currentPage(), QString("README.md"));

        // A link to something the documentation does not hold is named, and the page stays.
        QVERIFY(viewer.note().isEmpty());
        QVERIFY(!viewer.followLink(QUrl("docs/gone.md")));
        QVERIFY2(viewer.note().contains("docs/gone.md"), qPrintable(viewer.note()));
        QCOMPARE(viewer.currentPage(), QString("README.md"));
        QVERIFY(viewer.followLink(QUrl("docs/methods.md")));
        QVERIFY(viewer.note().isEmpty());
    }

    void wideImagesFitThePage() {
        QTemporaryDir dir;
        QImage wide(2000, 500, QImage::Format_RGB32);
        wide.fill(Qt::darkCyan);
        QVERIFY(QDir().mkpath(dir.filePath("docs")));
        QVERIFY(wide.save(dir.filePath("docs/shot.png")));
        QImage small(40, 30, QImage::Format_RGB32);
        small.fill(Qt::red);
        QVERIFY(small.save(dir.filePath("docs/icon.png")));
        writeText(dir.filePath("README.md"),
                  "# Shots\n\n![wide](docs/shot.png)\n\n![small](docs/icon.png)\n");
        DocumentationViewer viewer(nullptr, dir.path());
        viewer.resize(900, 600);
        viewer.show();
        QVERIFY(QTest::qWaitForWindowExposed(&viewer));
        viewer.showPage("README.md");
        QCoreApplication::processEvents();
        QMap<QString, QSizeF> sizes;
        const QTextDocument* document = viewer.browser()->document();
        for (QTextBlock block = document->begin(); block.isValid(); block = block.next())
            for (auto it = block.begin(); !it.atEnd(); ++it)
                if (it.fragment().charFormat().isImageFormat()) {
                    const QTextImageFormat image = it.fragment().charFormat().toImageFormat();
                    sizes[image.name()] = QSizeF(image.width(), image.height());
                }
        QCOMPARE(sizes.size(), 2);
        const QSizeF shot = sizes.value("docs/shot.png");
        QVERIFY2(shot.width() > 0 && shot.width() <= viewer.browser()->viewport()->width(),
                 qPrintable(QString::number(shot.width())));
        QVERIFY(qAbs(shot.height() - shot.width() / 4) < 1);  // the aspect is kept
        QCOMPARE(sizes.value("docs/icon.png").width(), 0.0);  // small ones keep their own size
    }

    void saysWhenTheDocumentationIsMissing() {
        QTemporaryDir dir;
        writeText(dir.filePath("docs/orphan.md"), "# Orphan\n");
        DocumentationViewer viewer(nullptr, dir.path());
        QVERIFY(viewer.pages().isEmpty());
        QVERIFY(viewer.currentPage().isEmpty());
        QVERIFY2(viewer.note().contains("not installed"), qPrintable(viewer.note()));
    }

    void theHelpMenuOpensTheProjectsDocumentation() {
        // A build finds the source tree's README and guides (an installed copy: share/distillery/doc).
        const QString root = QString::fromStdString(documentationDir());
        QCOMPARE(QDir(root).canonicalPath(), QDir(DISTILLERY_SOURCE_DIR).canonicalPath());

        MainWindow window;
        QAction* documentation = nullptr;
        for (QAction* menu : window.menuBar()->actions()) {
            if (!menu->menu()) continue;
            for (QAction* a : menu->menu()->actions())
                if (a->shortcut() == QKeySequence(QKeySequence::HelpContents)) documentation = a;
        }
        QVERIFY2(documentation, "no Help action with the help-contents shortcut");
        documentation->trigger();
        auto* viewer = window.findChild<DocumentationViewer*>();
        QVERIFY(viewer);
        QVERIFY(viewer->isVisible());
        QCOMPARE(viewer->pages().value(0), QString("README.md"));
        for (const char* guide :
             {"docs/METHODS.md", "docs/RECIPES.md", "docs/IMPORT.md", "docs/ARCHITECTURE.md"})
            QVERIFY2(viewer->pages().contains(guide), guide);
        QVERIFY(viewer->browser()->toPlainText().contains("Distillery"));
        // The README's links to the guides work offline.
        QVERIFY(viewer->followLink(QUrl("docs/METHODS.md")));
        QCOMPARE(viewer->currentPage(), QString("docs/METHODS.md"));
        // Asking again raises the same viewer.
        documentation->trigger();
        QCOMPARE(window.findChildren<DocumentationViewer*>().size(), 1);
    }
};

QTEST_MAIN(DocumentationTest)
#include "test_documentation.moc"
