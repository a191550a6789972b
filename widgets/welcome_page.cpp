#include "widgets/welcome_page.h"

#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QVBoxLayout>

namespace distillery {

WelcomePage::WelcomePage(QWidget* parent) : QWidget(parent) {
    setObjectName("welcomePage");
    auto* title = new QLabel(tr("Welcome to Distillery"), this);
    QFont titleFont = title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 2.0);
    titleFont.setBold(true);
    title->setFont(titleFont);

    auto* intro = new QLabel(
        tr("Distillery teaches a small neural network (the student) to imitate a large one (the teacher). "
           "Pick the two models, a data set and a recipe of loss terms, then watch every loss curve and "
           "compare the channel maps of teacher and student while it trains."),
        this);
    intro->setWordWrap(true);

    mDemo = new QPushButton(tr("Run the Fashion-MNIST demo"), this);
    mDemo->setObjectName("demoButton");
    mDemo->setDefault(true);
    mDemo->setMinimumHeight(mDemo->sizeHint().height() * 2);
    QFont demoFont = mDemo->font();
    demoFont.setPointSizeF(demoFont.pointSizeF() * 1.3);
    demoFont.setBold(true);
    mDemo->setFont(demoFont);
    auto* demoNote = new QLabel(
        tr("A ResNet-8 student learns from a trained ResNet-20 teacher with channel-wise distillation (CWD). "
           "Curves and channel maps appear within seconds; the whole run takes a few minutes."),
        this);
    demoNote->setWordWrap(true);

    auto* newProject = new QPushButton(tr("&New project…"), this);
    auto* openProject = new QPushButton(tr("&Open project…"), this);
    auto* close = new QPushButton(tr("Close this page"), this);
    connect(mDemo, &QPushButton::clicked, this, &WelcomePage::demoRequested);
    connect(newProject, &QPushButton::clicked, this, &WelcomePage::newProjectRequested);
    connect(openProject, &QPushButton::clicked, this, &WelcomePage::openProjectRequested);
    connect(close, &QPushButton::clicked, this, &WelcomePage::dismissed);

    mRecentLabel = new QLabel(tr("Recent projects"), this);
    mRecent = new QListWidget(this);
    mRecent->setMaximumHeight(160);
    connect(mRecent, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        Q_EMIT recentProjectRequested(item->data(Qt::UserRole).toString());
    });

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(newProject);
    buttons->addWidget(openProject);
    buttons->addWidget(close);
    buttons->addStretch();

    auto* column = new QVBoxLayout;
    column->addWidget(title);
    column->addSpacing(8);
    column->addWidget(intro);
    column->addSpacing(16);
    column->addWidget(mDemo);
    column->addWidget(demoNote);
    column->addSpacing(16);
    column->addLayout(buttons);
    column->addSpacing(16);
    column->addWidget(mRecentLabel);
    column->addWidget(mRecent);
    column->addStretch();

    // A readable line length on wide windows.
    auto* frame = new QWidget(this);
    frame->setLayout(column);
    frame->setMaximumWidth(720);
    auto* outer = new QHBoxLayout(this);
    outer->addStretch();
    outer->addWidget(frame, 10);
    outer->addStretch();
    setRecentProjects({});
}

void WelcomePage::setRecentProjects(const QStringList& dirs) {
    mRecent->clear();
    for (const QString& dir : dirs) {
        auto* item = new QListWidgetItem(
            QStringLiteral("%1 — %2").arg(QFileInfo(dir).fileName(), QDir::toNativeSeparators(dir)), mRecent);
        item->setData(Qt::UserRole, dir);
    }
    mRecent->setVisible(!dirs.isEmpty());
    mRecentLabel->setVisible(!dirs.isEmpty());
}

}  // namespace distillery
