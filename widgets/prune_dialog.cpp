#include "widgets/prune_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace distillery {

PruneDialog::PruneDialog(const QString& runDir, QWidget* parent) : QDialog(parent), mRunDir(runDir) {
    setWindowTitle(tr("Prune Model"));
    auto* layout = new QVBoxLayout(this);
    auto* intro = new QLabel(
        tr("Removes whole channels of <b>%1</b> until it fits the budget: the model becomes smaller and "
           "faster, not masked. Channels that are added together (a residual stream) go together. Train the "
           "result afterwards, best by distilling it from the unpruned model.")
            .arg(QFileInfo(runDir).fileName().toHtmlEscaped()),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto* form = new QFormLayout;
    auto* budget = new QHBoxLayout;
    mKind = new QComboBox(this);
    mKind->addItem(tr("Parameters"), "params");
    mKind->addItem(tr("MACs"), "macs");
    mShare = new QSpinBox(this);
    mShare->setRange(5, 95);
    mShare->setValue(50);
    mShare->setSuffix(tr(" % of the model"));
    budget->addWidget(mKind);
    budget->addWidget(mShare, 1);
    form->addRow(tr("Keep at most"), budget);
    mCriterion = new QComboBox(this);
    mCriterion->addItem(tr("Batch-norm scale |γ|"), "bn");
    mCriterion->addItem(tr("Filter L1 norm"), "l1");
    mCriterion->setToolTip(
        tr("How channels are ranked; channels without a batch norm (imported models) use "
           "the L1 norm"));
    form->addRow(tr("Rank channels by"), mCriterion);
    mScope = new QComboBox(this);
    mScope->addItem(tr("The same share of every layer"), "layer");
    mScope->addItem(tr("One ranking over all layers"), "global");
    form->addRow(tr("Remove"), mScope);
    mMinKeep = new QSpinBox(this);
    mMinKeep->setRange(1, 100);
    mMinKeep->setValue(10);
    mMinKeep->setSuffix(tr(" % of its channels"));
    form->addRow(tr("Every layer keeps"), mMinKeep);
    mRecalibrate = new QCheckBox(tr("Re-estimate batch-norm statistics on the run's data, and measure the "
                                    "accuracy before and after"),
                                 this);
    mRecalibrate->setChecked(true);
    form->addRow(QString(), mRecalibrate);
    auto* output = new QHBoxLayout;
    mOutput = new QLineEdit(
        QDir(QFileInfo(runDir).path()).filePath(QFileInfo(runDir).fileName() + "-pruned.pt"), this);
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getSaveFileName(this, tr("Save the pruned model"), mOutput->text(),
                                                          tr("Distillery checkpoints (*.pt)"));
        if (!file.isEmpty()) mOutput->setText(file);
    });
    output->addWidget(mOutput, 1);
    output->addWidget(browse);
    form->addRow(tr("Save as"), output);
    layout->addLayout(form);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Prune"));
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    layout->addWidget(buttons);
}

PruneOptions PruneDialog::options() const {
    PruneOptions o;
    o.source = mRunDir.toStdString();
    o.output = mOutput->text().trimmed().toStdString();
    o.budget.kind = mKind->currentData().toString().toStdString();
    o.budget.fraction = mShare->value() / 100.0;
    o.criterion = mCriterion->currentData().toString().toStdString();
    o.scope = mScope->currentData().toString().toStdString();
    o.minKeep = mMinKeep->value() / 100.0;
    if (mRecalibrate->isChecked()) o.dataRecipe = QDir(mRunDir).filePath("recipe.yaml").toStdString();
    return o;
}

}  // namespace distillery
