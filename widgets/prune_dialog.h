#pragma once
// Run → Prune Model: the options of structured pruning (core/prune.h) for the run selected in the Runs table.
// The window runs the pruning in the background and offers to distil the result from the unpruned run.

#include <QDialog>

#include "core/prune.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace distillery {

class PruneDialog : public QDialog {
    Q_OBJECT

public:
    /** `runDir`: the trained run to prune; its recipe's data is used to re-estimate statistics. */
    explicit PruneDialog(const QString& runDir, QWidget* parent = nullptr);

    /** The options as chosen (source, output, budget, criterion, scope, data). */
    PruneOptions options() const;

private:
    QString mRunDir;
    QComboBox* mKind;
    QSpinBox* mShare;
    QComboBox* mCriterion;
    QComboBox* mScope;
    QSpinBox* mMinKeep;
    QCheckBox* mRecalibrate;
    QLineEdit* mOutput;
};

}  // namespace distillery
