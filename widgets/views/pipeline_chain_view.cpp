#include "widgets/views/pipeline_chain_view.h"

#include <QDir>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <algorithm>

#include "widgets/views/format.h"

namespace distillery {

PipelineChainView::PipelineChainView(QWidget* parent) : QWidget(parent) {
    setObjectName("pipelineChain");
    mRow = new QHBoxLayout(this);
    mRow->setContentsMargins(4, 2, 4, 2);
    mRow->setSpacing(4);
    mTitle = new QLabel(this);
    mRow->addWidget(mTitle);
    mRow->addStretch(1);
    mCompare = new QToolButton(this);
    mCompare->setObjectName("pipelineCompare");
    mCompare->setText(tr("Compare stages"));
    mCompare->setToolTip(tr("Select every stage that has run: the loss curves overlay them"));
    mRow->addWidget(mCompare);
    connect(mCompare, &QToolButton::clicked, this, [this] {
        QStringList dirs;
        for (const auto& s : mStages)
            if (s.status != QLatin1String("pending")) dirs << s.runDir;
        if (!dirs.isEmpty()) Q_EMIT compareRequested(dirs);
    });
    hide();
}

void PipelineChainView::clearChain() {
    // Later: a stage's own click can lead here, and its button must outlive that signal.
    for (QWidget* w : mItems) {
        mRow->removeWidget(w);
        w->hide();
        w->deleteLater();
    }
    mItems.clear();
    mButtons.clear();
    mStages.clear();
    hide();
}

void PipelineChainView::setChain(const QString& name, const QVector<ChainStage>& stages,
                                 const QStringList& selected) {
    clearChain();
    if (stages.isEmpty()) return;
    mStages = stages;
    mTitle->setText(tr("Pipeline <b>%1</b>:").arg(name.toHtmlEscaped()));
    int at = 1;  // after the title
    for (int i = 0; i < stages.size(); ++i) {
        const ChainStage& s = stages[i];
        if (i > 0) {
            auto* arrow = new QLabel(QStringLiteral("→"), this);
            arrow->setToolTip(tr("teaches"));
            mRow->insertWidget(at++, arrow);
            mItems << arrow;
        }
        auto* b = new QToolButton(this);
        b->setObjectName(QStringLiteral("pipelineStage%1").arg(i));
        b->setCheckable(true);
        b->setChecked(std::any_of(selected.begin(), selected.end(),
                                  [&](const QString& dir) { return QDir(s.runDir) == QDir(dir); }));
        b->setToolButtonStyle(Qt::ToolButtonTextOnly);
        QString detail;
        if (s.status == QLatin1String("finished") && s.metric >= 0)
            detail = tr("%1 · %2 %3 %")
                         .arg(s.arch, metricText(s.metricName.toStdString()))
                         .arg(s.metric, 0, 'f', 2);
        else if (s.status == QLatin1String("pending"))
            detail = tr("%1 · not started").arg(s.arch.isEmpty() ? tr("model") : s.arch);
        else
            detail = tr("%1 · %2").arg(s.arch, s.status);
        b->setText(s.name + QLatin1Char('\n') + detail);
        b->setToolTip(s.status == QLatin1String("pending") ? tr("%1 has not run yet").arg(s.name)
                                                           : QDir::toNativeSeparators(s.runDir));
        b->setEnabled(s.status != QLatin1String("pending"));
        const QString dir = s.runDir;
        connect(b, &QToolButton::clicked, this, [this, dir] { Q_EMIT stageActivated(dir); });
        mRow->insertWidget(at++, b);
        mItems << b;
        mButtons << b;
    }
    show();
}

QString PipelineChainView::stageText(int index) const {
    return index >= 0 && index < mButtons.size() ? mButtons[index]->text() : QString();
}

QVector<int> PipelineChainView::selectedStages() const {
    QVector<int> out;
    for (int i = 0; i < mButtons.size(); ++i)
        if (mButtons[i]->isChecked()) out << i;
    return out;
}

QToolButton* PipelineChainView::stageButton(int index) const {
    return index >= 0 && index < mButtons.size() ? mButtons[index] : nullptr;
}

}  // namespace distillery
