#pragma once
// The chain of a pipeline (teacher → assistant → student, or born-again generations) whose stage is selected
// in the Runs table: each stage with its model, status and best metric, the selected one highlighted. A
// click on a stage selects its run (its curves, maps and predictions); "Compare stages" selects them all, so
// the loss curves overlay every stage. Hidden when the selected run is not a pipeline's stage.

#include <QString>
#include <QStringList>
#include <QVector>
#include <QWidget>

class QHBoxLayout;
class QLabel;
class QToolButton;

namespace distillery {

struct ChainStage {
    QString name;    // the stage's run folder name
    QString runDir;  // absolute
    QString arch;
    QString status;        // pending, started, finished, cancelled, failed
    double metric = -1.0;  // best main metric when finished
    QString metricName;    // top1, miou
};

class PipelineChainView : public QWidget {
    Q_OBJECT

public:
    explicit PipelineChainView(QWidget* parent = nullptr);

    /** Shows `stages` of pipeline `name`, highlighting those whose run folders are in `selected`. */
    void setChain(const QString& name, const QVector<ChainStage>& stages, const QStringList& selected);
    /** Hides the view (the selection is not a pipeline's stage). */
    void clearChain();

    int stageCount() const { return mStages.size(); }
    /** A stage button's text ("gen1\nresnet8 · top-1 87.11 %"), for tests and accessibility. */
    QString stageText(int index) const;
    /** The stages shown as selected. */
    QVector<int> selectedStages() const;
    QToolButton* stageButton(int index) const;
    QToolButton* compareButton() const { return mCompare; }

Q_SIGNALS:
    void stageActivated(const QString& runDir);
    void compareRequested(const QStringList& runDirs);

private:
    QHBoxLayout* mRow = nullptr;
    QLabel* mTitle = nullptr;
    QToolButton* mCompare = nullptr;
    QVector<ChainStage> mStages;
    QVector<QToolButton*> mButtons;
    QVector<QWidget*> mItems;  // buttons and arrows, removed on the next setChain
};

}  // namespace distillery
