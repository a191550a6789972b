#pragma once
// Help > Documentation: the installed guides (README and docs/*.md, share/distillery/doc for an installed
// copy, the source tree for a build) rendered offline, with a page list, history and links between pages.

#include <QDialog>
#include <QString>

class QListWidget;
class QTextBrowser;
class QLabel;
class QUrl;

namespace distillery {

class DocumentationViewer : public QDialog {
    Q_OBJECT

public:
    /** `root`: the documentation's folder; empty for the one core/install_paths.h finds. */
    explicit DocumentationViewer(QWidget* parent = nullptr, const QString& root = QString());

    QString root() const { return mRoot; }
    /** The pages in the list, relative to root() (README.md first). */
    QStringList pages() const { return mPages; }
    /** Shows a page by its path relative to root(); false when it is not one of pages(). */
    bool showPage(const QString& relativePath);
    /** The shown page, relative to root(); empty when none. */
    QString currentPage() const;
    QTextBrowser* browser() const { return mBrowser; }
    /** Follows a link of the shown page as a click does: true when it showed a page of the documentation. */
    bool followLink(const QUrl& link);
    /** The note above the pages (documentation missing, a link outside it); empty when hidden. */
    QString note() const;

private:
    void onSourceChanged(const QUrl& source);
    void fitImages();

    QString mRoot;
    QStringList mPages;
    QListWidget* mList = nullptr;
    QTextBrowser* mBrowser = nullptr;
    QLabel* mMissing = nullptr;
};

}  // namespace distillery
