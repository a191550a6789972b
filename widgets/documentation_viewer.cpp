#include "widgets/documentation_viewer.h"

#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSplitter>
#include <QTextBlock>
#include <QTextBrowser>
#include <QTextCursor>
#include <QTextDocument>
#include <QUrl>
#include <QVBoxLayout>
#include <algorithm>

#include "core/install_paths.h"

namespace distillery {

namespace {

/** The page's title: its first Markdown heading, else the file name. */
QString pageTitle(const QString& path) {
    QFile file(path);
    if (file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        for (int i = 0; i < 40 && !file.atEnd(); ++i) {
            const QString line = QString::fromUtf8(file.readLine()).trimmed();
            if (line.startsWith("# ")) return line.mid(2).trimmed();
        }
    }
    return QFileInfo(path).completeBaseName();
}

}  // namespace

DocumentationViewer::DocumentationViewer(QWidget* parent, const QString& root)
    : QDialog(parent), mRoot(root.isEmpty() ? QString::fromStdString(documentationDir()) : root) {
    setObjectName("documentationViewer");
    setWindowTitle(tr("Distillery Documentation"));
    resize(1100, 760);

    mList = new QListWidget(this);
    mList->setObjectName("documentationPages");
    mBrowser = new QTextBrowser(this);
    mBrowser->setObjectName("documentationBrowser");
    // Links are followed here: pages of the documentation in the browser, web links in the desktop's browser,
    // anything else (a source file the README points at) named in the note below the page list.
    mBrowser->setOpenLinks(false);
    mMissing = new QLabel(this);
    mMissing->setWordWrap(true);
    mMissing->hide();

    if (!mRoot.isEmpty() && QFile::exists(mRoot + "/README.md")) {
        mPages << "README.md";
        for (const QString& guide : QDir(mRoot + "/docs").entryList({"*.md"}, QDir::Files, QDir::Name))
            mPages << "docs/" + guide;
    }
    for (const QString& page : mPages) {
        auto* item = new QListWidgetItem(pageTitle(mRoot + "/" + page), mList);
        item->setToolTip(page);
        item->setData(Qt::UserRole, page);
    }
    if (mPages.isEmpty()) {
        mMissing->setText(
            tr("The documentation is not installed: no README.md was found beside Distillery "
               "(share/distillery/doc). Reinstall the package to get it."));
        mMissing->show();
    }

    auto* back = new QPushButton(tr("Back"), this);
    auto* forward = new QPushButton(tr("Forward"), this);
    back->setEnabled(false);
    forward->setEnabled(false);
    connect(back, &QPushButton::clicked, mBrowser, &QTextBrowser::backward);
    connect(forward, &QPushButton::clicked, mBrowser, &QTextBrowser::forward);
    connect(mBrowser, &QTextBrowser::backwardAvailable, back, &QPushButton::setEnabled);
    connect(mBrowser, &QTextBrowser::forwardAvailable, forward, &QPushButton::setEnabled);
    connect(mBrowser, &QTextBrowser::sourceChanged, this, [this](const QUrl& url) { onSourceChanged(url); });
    // After the page is in the browser (sourceChanged arrives before).
    connect(
        mBrowser, &QTextBrowser::sourceChanged, this, [this] { fitImages(); }, Qt::QueuedConnection);
    connect(mBrowser, &QTextBrowser::anchorClicked, this, [this](const QUrl& url) { followLink(url); });
    connect(mList, &QListWidget::currentItemChanged, this, [this](QListWidgetItem* item) {
        if (item) showPage(item->data(Qt::UserRole).toString());
    });

    auto* splitter = new QSplitter(this);
    splitter->addWidget(mList);
    splitter->addWidget(mBrowser);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({240, 860});

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* bottom = new QHBoxLayout;
    bottom->addWidget(back);
    bottom->addWidget(forward);
    bottom->addStretch(1);
    bottom->addWidget(buttons);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(mMissing);
    layout->addWidget(splitter, 1);
    layout->addLayout(bottom);

    if (!mPages.isEmpty()) mList->setCurrentRow(0);
}

bool DocumentationViewer::showPage(const QString& relativePath) {
    if (!mPages.contains(relativePath)) return false;
    const QUrl url = QUrl::fromLocalFile(mRoot + "/" + relativePath);
    if (mBrowser->source() != url) mBrowser->setSource(url, QTextDocument::MarkdownResource);
    return true;
}

QString DocumentationViewer::note() const {
    return mMissing->isHidden() ? QString() : mMissing->text();
}

QString DocumentationViewer::currentPage() const {
    const QUrl source = mBrowser->source();
    if (!source.isLocalFile()) return {};
    return QDir(mRoot).relativeFilePath(source.toLocalFile());
}

bool DocumentationViewer::followLink(const QUrl& link) {
    mMissing->hide();
    if (!link.scheme().isEmpty() && !link.isLocalFile()) {
        QDesktopServices::openUrl(link);
        return false;
    }
    const QUrl url = mBrowser->source().resolved(link);
    const QString path = url.toLocalFile();
    if (path == mBrowser->source().toLocalFile() && url.hasFragment()) {
        mBrowser->scrollToAnchor(url.fragment());
        return true;
    }
    const QString page = QDir(mRoot).relativeFilePath(path);
    if (mPages.contains(page)) {
        QUrl target = QUrl::fromLocalFile(mRoot + "/" + page);
        target.setFragment(url.fragment());
        mBrowser->setSource(target, QTextDocument::MarkdownResource);
        return true;
    }
    if (QFileInfo(path).isFile()) {
        QDesktopServices::openUrl(QUrl::fromLocalFile(path));
        return false;
    }
    mMissing->setText(tr("%1 is not part of the installed documentation.").arg(link.toString()));
    mMissing->show();
    return false;
}

void DocumentationViewer::fitImages() {
    // Screenshots are 1440 pixels wide: shown at most as wide as the page, keeping their aspect.
    QTextDocument* document = mBrowser->document();
    const qreal maxWidth =
        std::max(200.0, mBrowser->viewport()->width() - 2 * document->documentMargin() - 4);
    QTextCursor cursor(document);
    for (QTextBlock block = document->begin(); block.isValid(); block = block.next()) {
        for (auto it = block.begin(); !it.atEnd(); ++it) {
            const QTextFragment fragment = it.fragment();
            if (!fragment.charFormat().isImageFormat()) continue;
            QTextImageFormat image = fragment.charFormat().toImageFormat();
            const QUrl url = mBrowser->source().resolved(QUrl(image.name()));
            const QSize size = QImageReader(url.toLocalFile()).size();
            if (!size.isValid() || size.width() <= maxWidth) continue;
            image.setWidth(maxWidth);
            image.setHeight(maxWidth * size.height() / size.width());
            cursor.setPosition(fragment.position());
            cursor.setPosition(fragment.position() + fragment.length(), QTextCursor::KeepAnchor);
            cursor.setCharFormat(image);
        }
    }
}

void DocumentationViewer::onSourceChanged(const QUrl& source) {
    // Keep the list in step with links followed inside the pages and with Back/Forward (source() still says
    // the previous page while the signal is delivered).
    if (!source.isLocalFile()) return;
    const QString page = QDir(mRoot).relativeFilePath(source.toLocalFile());
    for (int row = 0; row < mList->count(); ++row) {
        if (mList->item(row)->data(Qt::UserRole).toString() == page) {
            if (mList->currentRow() != row) {
                const QSignalBlocker block(mList);
                mList->setCurrentRow(row);
            }
            return;
        }
    }
}

}  // namespace distillery
