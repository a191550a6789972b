#pragma once
// The first thing a new user sees: what Distillery does, and one button that runs the shipped demo.

#include <QStringList>
#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace distillery {

class WelcomePage : public QWidget {
    Q_OBJECT

public:
    explicit WelcomePage(QWidget* parent = nullptr);

    void setRecentProjects(const QStringList& dirs);
    QPushButton* demoButton() const { return mDemo; }

Q_SIGNALS:
    void demoRequested();
    void newProjectRequested();
    void openProjectRequested();
    void recentProjectRequested(const QString& dir);
    void dismissed();

private:
    QPushButton* mDemo;
    QLabel* mRecentLabel;
    QListWidget* mRecent;
};

}  // namespace distillery
