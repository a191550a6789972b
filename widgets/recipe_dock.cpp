#include "widgets/recipe_dock.h"

#include <QSettings>

#include "widgets/run_controller.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>
#include <limits>

#include "core/hardware.h"
#include "core/recipe.h"
#include "widgets/loss_terms_model.h"
#include "widgets/recipe_document.h"

namespace distillery {

RecipeDock::RecipeDock(RecipeDocument* document, QWidget* parent)
    : QDockWidget(parent), mDocument(document), mTerms(new LossTermsModel(document, this)) {
    setObjectName("recipeDock");
    setWindowTitle(tr("Recipe"));
    mTabs = new QTabWidget(this);
    mTabs->addTab(makeTermsPage(), tr("&Loss terms"));
    mTabs->addTab(makeTrainingPage(), tr("&Training"));
    mTabs->addTab(makeYamlPage(), tr("&YAML"));
    setWidget(mTabs);
    connect(mDocument, &RecipeDocument::changed, this, &RecipeDock::syncFromDocument);
    syncFromDocument();
}

QWidget* RecipeDock::makeTermsPage() {
    auto* page = new QWidget;
    mPresets = new QToolButton(page);
    mPresets->setText(tr("&Presets"));
    mPresets->setToolTip(tr("Replace the loss terms with a method's usual setting"));
    mPresets->setPopupMode(QToolButton::InstantPopup);
    auto* menu = new QMenu(mPresets);
    for (Preset preset : allPresets()) {
        QAction* action = menu->addAction(presetName(preset));
        action->setData(static_cast<int>(preset));
        connect(action, &QAction::triggered, this, [this, preset] {
            QString error;
            if (!applyPreset(preset, &error)) Q_EMIT errorOccurred(error);
        });
    }
    connect(menu, &QMenu::aboutToShow, this, &RecipeDock::updatePresetMenu);
    mPresets->setMenu(menu);

    auto* add = new QPushButton(tr("&Add term"), page);
    mRemove = new QPushButton(tr("&Remove term"), page);
    connect(add, &QPushButton::clicked, mTerms, &LossTermsModel::addTerm);

    mTable = new QTableView(page);
    mTable->setObjectName("lossTermsTable");
    mTable->setModel(mTerms);
    mTable->setItemDelegate(new LossTermDelegate(mTable));
    mTable->setSelectionBehavior(QAbstractItemView::SelectRows);
    mTable->setSelectionMode(QAbstractItemView::SingleSelection);
    mTable->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::SelectedClicked |
                            QAbstractItemView::EditKeyPressed | QAbstractItemView::AnyKeyPressed);
    mTable->verticalHeader()->setVisible(false);
    mTable->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    mTable->horizontalHeader()->setSectionResizeMode(LossTermsModel::TeacherTap, QHeaderView::Stretch);
    mTable->horizontalHeader()->setSectionResizeMode(LossTermsModel::StudentTap, QHeaderView::Stretch);
    connect(mRemove, &QPushButton::clicked, this, [this] {
        const QModelIndex current = mTable->currentIndex();
        if (current.isValid()) mTerms->removeTerm(current.row());
    });
    auto updateHint = [this] {
        const QModelIndex current = mTable->currentIndex();
        mRemove->setEnabled(current.isValid() && mTerms->rowCount() > 1);
        const QString problem = current.isValid() ? mTerms->problem(current.row()) : tapProblem();
        QString hint = problem;
        if (hint.isEmpty() && current.isValid())
            hint = mTerms->index(current.row(), LossTermsModel::Method).data(Qt::ToolTipRole).toString();
        if (hint.isEmpty())
            hint =
                tr("Double-click a cell to change it; only taps the method can compare are offered. "
                   "A preset replaces all terms with a method's usual setting.");
        mTermHint->setText(hint);
        mTermHint->setStyleSheet(problem.isEmpty() ? QString() : QStringLiteral("color: #b00020;"));
    };
    connect(mTable->selectionModel(), &QItemSelectionModel::currentChanged, this, updateHint);
    connect(mTerms, &QAbstractItemModel::modelReset, this, updateHint);

    mTermHint = new QLabel(page);
    mTermHint->setWordWrap(true);

    auto* row = new QHBoxLayout;
    row->addWidget(mPresets);
    row->addStretch();
    row->addWidget(add);
    row->addWidget(mRemove);
    auto* layout = new QVBoxLayout(page);
    layout->addLayout(row);
    layout->addWidget(mTable, 1);
    layout->addWidget(mTermHint);
    return page;
}

QWidget* RecipeDock::makeTrainingPage() {
    auto* page = new QWidget;
    mName = new QLineEdit(page);
    mEpochs = new QSpinBox(page);
    mEpochs->setRange(1, 10000);
    mBatch = new QSpinBox(page);
    mBatch->setRange(1, 65536);
    mLr = new QDoubleSpinBox(page);
    mLr->setDecimals(5);
    mLr->setRange(0.00001, 10.0);
    mLr->setSingleStep(0.01);
    mOptimizer = new QComboBox(page);
    mOptimizer->addItem(tr("SGD with momentum"), QStringLiteral("sgd"));
    mOptimizer->addItem(tr("AdamW"), QStringLiteral("adamw"));
    mSchedule = new QComboBox(page);
    mSchedule->addItem(tr("Cosine"), QStringLiteral("cosine"));
    mSchedule->addItem(tr("Step"), QStringLiteral("step"));
    mSchedule->addItem(tr("Constant"), QStringLiteral("constant"));
    mSeed = new QSpinBox(page);
    mSeed->setRange(0, std::numeric_limits<int>::max());
    mThreads = new QSpinBox(page);
    mThreads->setRange(0, 256);
    mThreads->setSpecialValueText(tr("all cores"));
    mSubset = new QSpinBox(page);
    mSubset->setRange(0, std::numeric_limits<int>::max());
    mSubset->setSpecialValueText(tr("all samples"));
    mSubset->setToolTip(tr("Use only the first N samples of each split, for quick trials"));
    // Processes are how this machine runs a recipe, not part of it (a recipe trains the same on any number):
    // kept in the workbench's settings, read by RunController when a run starts.
    mProcesses = new QSpinBox(page);
    mProcesses->setObjectName("trainingProcesses");
    mProcesses->setRange(1, 64);
    mProcesses->setValue(std::clamp(QSettings().value(kProcessesSetting, 1).toInt(), 1, 64));
    mProcesses->setToolTip(
        tr("Data-parallel training: local processes that each take an equal part of every "
           "batch, their gradients averaged after each step. The threads are divided "
           "between them. The recipe trains the same on any number of processes."));
    connect(mProcesses, &QSpinBox::valueChanged, this,
            [](int v) { QSettings().setValue(kProcessesSetting, v); });
    mMaxSteps = new QSpinBox(page);
    mMaxSteps->setRange(0, std::numeric_limits<int>::max());
    mMaxSteps->setSpecialValueText(tr("no limit"));
    // bf16 pays off only where the CPU computes it natively; the tooltips say what this machine does.
    const QString bf16Here =
        cpuHasNativeBf16()
            ? tr("This CPU computes bf16 natively (%1). Automatic also measures its bf16 convolutions "
                 "when a run starts, and stays in fp32 where they are not faster.")
                  .arg(QString::fromStdString(nativeBf16Flags()))
            : tr("This CPU has no native bf16: bf16 runs train in fp32 here.");
    mPrecision = new QComboBox(page);
    mPrecision->setObjectName("recipePrecision");
    mPrecision->addItem(tr("fp32"), QStringLiteral("fp32"));
    mPrecision->addItem(tr("bf16 mixed precision"), QStringLiteral("bf16"));
    mPrecision->addItem(tr("Automatic (bf16 where native and faster)"), QStringLiteral("auto"));
    mPrecision->setToolTip(tr("The student's arithmetic: bf16 runs convolutions and matrix products in "
                              "bfloat16 on fp32 master weights; losses and evaluation stay fp32.") +
                           "\n" + bf16Here);
    mTeacherPrecision = new QComboBox(page);
    mTeacherPrecision->setObjectName("recipeTeacherPrecision");
    mTeacherPrecision->addItem(tr("fp32"), QStringLiteral("fp32"));
    mTeacherPrecision->addItem(tr("bf16"), QStringLiteral("bf16"));
    mTeacherPrecision->addItem(tr("int8"), QStringLiteral("int8"));
    mTeacherPrecision->addItem(tr("Automatic (bf16 where native and faster)"), QStringLiteral("auto"));
    mTeacherPrecision->setToolTip(tr("The frozen teacher's arithmetic: bf16 runs its convolutions in "
                                     "bfloat16; it only needs to teach.") +
                                  "\n" +
                                  tr("int8 quantizes it after training (calibrated on 8 train batches) and "
                                     "runs it on LibTorch's int8 kernels; the run's log gives its agreement "
                                     "with fp32.") +
                                  "\n" + bf16Here);

    mTrainingImages = new QComboBox(page);
    mTrainingImages->setObjectName("recipeTrainingImages");
    mTrainingImages->addItem(tr("Real (the data set's train split)"), false);
    mTrainingImages->addItem(tr("Generated (data-free)"), true);
    mTrainingImages->setToolTip(
        tr("Data-free distillation: the student never sees a training image. A generator learns, against "
           "the teacher, images whose statistics match what the teacher's batch norms saw in training, of "
           "each class, and where the student still disagrees with the teacher; the student learns the "
           "loss terms on them. Real images are used only for validation. Needs a teacher with batch "
           "norms; the Generated images view shows what the student learned from."));

    auto* form = new QFormLayout(page);
    form->addRow(tr("&Name:"), mName);
    form->addRow(tr("&Epochs:"), mEpochs);
    form->addRow(tr("&Batch size:"), mBatch);
    form->addRow(tr("&Learning rate:"), mLr);
    form->addRow(tr("&Optimiser:"), mOptimizer);
    form->addRow(tr("&Schedule:"), mSchedule);
    form->addRow(tr("S&eed:"), mSeed);
    form->addRow(tr("&Threads:"), mThreads);
    form->addRow(tr("Pro&cesses:"), mProcesses);
    form->addRow(tr("Sub&set:"), mSubset);
    form->addRow(tr("&Max steps:"), mMaxSteps);
    form->addRow(tr("&Precision:"), mPrecision);
    form->addRow(tr("Teacher p&recision:"), mTeacherPrecision);
    form->addRow(tr("Training &images:"), mTrainingImages);

    connect(mName, &QLineEdit::editingFinished, this, [this] {
        const std::string name = mName->text().trimmed().toStdString();
        if (!name.empty())
            mDocument->edit(tr("Rename recipe"), [&](Recipe& r) { r.name = name; });
        else
            mName->setText(QString::fromStdString(mDocument->recipe().name));
    });
    // Spin boxes edit on every step; the merge key makes one undo step of a run of them.
    auto intField = [this](QSpinBox* spin, const QString& text, const QString& key,
                           std::function<void(Recipe&, int)> set) {
        connect(spin, &QSpinBox::valueChanged, this, [=](int v) {
            if (!mSyncing)
                mDocument->edit(
                    text, [&](Recipe& r) { set(r, v); }, key);
        });
    };
    intField(mEpochs, tr("Change epochs"), "train.epochs", [](Recipe& r, int v) { r.epochs = v; });
    intField(mBatch, tr("Change batch size"), "train.batch_size", [](Recipe& r, int v) { r.batchSize = v; });
    intField(mSeed, tr("Change seed"), "seed", [](Recipe& r, int v) { r.seed = static_cast<uint64_t>(v); });
    intField(mThreads, tr("Change threads"), "threads", [](Recipe& r, int v) { r.threads = v; });
    intField(mSubset, tr("Change subset"), "data.subset", [](Recipe& r, int v) { r.data.subset = v; });
    intField(mMaxSteps, tr("Change max steps"), "train.max_steps", [](Recipe& r, int v) { r.maxSteps = v; });
    connect(mLr, &QDoubleSpinBox::valueChanged, this, [this](double v) {
        if (!mSyncing)
            mDocument->edit(
                tr("Change learning rate"), [v](Recipe& r) { r.optim.lr = v; }, "optim.lr");
    });
    connect(mOptimizer, &QComboBox::activated, this, [this](int i) {
        const std::string name = mOptimizer->itemData(i).toString().toStdString();
        mDocument->edit(tr("Change optimiser"), [&](Recipe& r) { r.optim.name = name; });
    });
    connect(mPrecision, &QComboBox::activated, this, [this](int i) {
        const std::string value = mPrecision->itemData(i).toString().toStdString();
        mDocument->edit(tr("Change precision"), [&](Recipe& r) { r.precision = value; });
    });
    connect(mTeacherPrecision, &QComboBox::activated, this, [this](int i) {
        const std::string value = mTeacherPrecision->itemData(i).toString().toStdString();
        mDocument->edit(tr("Change teacher precision"), [&](Recipe& r) { r.teacher.precision = value; });
    });
    connect(mTrainingImages, &QComboBox::activated, this, [this](int i) {
        const bool generated = mTrainingImages->itemData(i).toBool();
        mDocument->edit(generated ? tr("Train on generated images") : tr("Train on real images"),
                        [&](Recipe& r) { r.dataFree.enabled = generated; });
    });
    connect(mSchedule, &QComboBox::activated, this, [this](int i) {
        const std::string name = mSchedule->itemData(i).toString().toStdString();
        mDocument->edit(tr("Change schedule"), [&](Recipe& r) {
            r.schedule.name = name;
            // A step schedule needs milestones; thirds of the run are the usual choice.
            if (name == "step" && r.schedule.milestones.empty()) {
                const int a = std::max(1, r.epochs / 3), b = std::max(a + 1, 2 * r.epochs / 3);
                r.schedule.milestones = {a, b};
            }
        });
    });
    return page;
}

QWidget* RecipeDock::makeYamlPage() {
    auto* page = new QWidget;
    mYaml = new QPlainTextEdit(page);
    mYaml->setObjectName("recipeYaml");
    mYaml->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    mYaml->setLineWrapMode(QPlainTextEdit::NoWrap);
    mYamlStatus = new QLabel(page);
    mYamlStatus->setWordWrap(true);
    mYamlStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* apply = new QPushButton(tr("&Apply"), page);
    apply->setToolTip(tr("Use this YAML as the recipe (Ctrl+Return)"));
    auto* revert = new QPushButton(tr("Re&vert"), page);
    connect(apply, &QPushButton::clicked, this, [this] {
        QString error;
        if (!applyYaml(&error)) Q_EMIT errorOccurred(error);
    });
    connect(revert, &QPushButton::clicked, this, &RecipeDock::revertYaml);
    auto* shortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), mYaml);
    shortcut->setContext(Qt::WidgetShortcut);
    connect(shortcut, &QShortcut::activated, apply, &QPushButton::click);
    connect(mYaml, &QPlainTextEdit::modificationChanged, this, [this](bool modified) {
        if (modified) {
            mYamlStatus->setText(tr("Edited: Apply to use it."));
            mYamlStatus->setStyleSheet({});
        }
    });
    auto* row = new QHBoxLayout;
    row->addWidget(mYamlStatus, 1);
    row->addWidget(revert);
    row->addWidget(apply);
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(mYaml, 1);
    layout->addLayout(row);
    return page;
}

void RecipeDock::setModels(const ModelInfo& teacher, const ModelInfo& student) {
    mTeacher = teacher;
    mStudent = student;
    mTerms->setModels(teacher, student);
}

bool RecipeDock::applyPreset(Preset preset, QString* error) {
    std::vector<LossTermSpec> terms;
    QString reason;
    if (mTeacher.arch.empty()) {
        if (error) *error = tr("%1: choose a teacher first").arg(presetName(preset));
        return false;
    }
    if (!presetTerms(preset, mTeacher, mStudent, &terms, &reason)) {
        if (error) *error = tr("%1: %2").arg(presetName(preset), reason);
        return false;
    }
    mDocument->edit(tr("Apply preset %1").arg(presetName(preset)), [&](Recipe& r) { r.losses = terms; });
    return true;
}

void RecipeDock::updatePresetMenu() {
    for (QAction* action : mPresets->menu()->actions()) {
        QString reason;
        const auto preset = static_cast<Preset>(action->data().toInt());
        const bool ok = !mTeacher.arch.empty() && presetTerms(preset, mTeacher, mStudent, nullptr, &reason);
        action->setEnabled(ok);
        action->setToolTip(ok ? QString() : (mTeacher.arch.empty() ? tr("choose a teacher first") : reason));
    }
    mPresets->menu()->setToolTipsVisible(true);
}

QString RecipeDock::yamlText() const {
    return mYaml->toPlainText();
}

void RecipeDock::setYamlText(const QString& text) {
    mYaml->setPlainText(text);
    mYaml->document()->setModified(true);
}

bool RecipeDock::yamlModified() const {
    return mYaml->document()->isModified();
}

bool RecipeDock::applyYaml(QString* error) {
    try {
        Recipe parsed =
            parseRecipe(mYaml->toPlainText().toStdString(), "recipe.yaml", mBaseDir.toStdString());
        mDocument->edit(tr("Edit recipe as YAML"), [&](Recipe& r) { r = parsed; });
        revertYaml();
        return true;
    } catch (const std::exception& e) {
        const QString message = QString::fromStdString(e.what());
        mYamlStatus->setText(message);
        mYamlStatus->setStyleSheet(QStringLiteral("color: #b00020;"));
        mTabs->setCurrentWidget(mYaml->parentWidget());
        if (error) *error = message;
        return false;
    }
}

QString RecipeDock::tapProblem() const {
    for (int row = 0; row < mTerms->rowCount(); ++row) {
        const QString problem = mTerms->problem(row);
        if (!problem.isEmpty()) {
            return tr("%1: %2").arg(
                mTerms->index(row, LossTermsModel::Method).data(LossTermsModel::ValueRole).toString(),
                problem);
        }
    }
    return {};
}

void RecipeDock::syncFromDocument() {
    const Recipe& r = mDocument->recipe();
    mSyncing = true;
    if (!mName->hasFocus()) mName->setText(QString::fromStdString(r.name));
    mEpochs->setValue(r.epochs);
    mBatch->setValue(r.batchSize);
    mLr->setValue(r.optim.lr);
    mOptimizer->setCurrentIndex(std::max(0, mOptimizer->findData(QString::fromStdString(r.optim.name))));
    mSchedule->setCurrentIndex(std::max(0, mSchedule->findData(QString::fromStdString(r.schedule.name))));
    mSeed->setValue(static_cast<int>(std::min<uint64_t>(r.seed, std::numeric_limits<int>::max())));
    mThreads->setValue(r.threads);
    mSubset->setValue(r.data.subset);
    mMaxSteps->setValue(static_cast<int>(std::min<int64_t>(r.maxSteps, std::numeric_limits<int>::max())));
    mPrecision->setCurrentIndex(std::max(0, mPrecision->findData(QString::fromStdString(r.precision))));
    mTeacherPrecision->setCurrentIndex(
        std::max(0, mTeacherPrecision->findData(QString::fromStdString(r.teacher.precision))));
    mTrainingImages->setCurrentIndex(r.dataFree.enabled ? 1 : 0);
    mSyncing = false;
    // Typed YAML that is not applied yet is kept; Revert brings the recipe back.
    if (yamlModified())
        mYamlStatus->setText(tr("Edited: Apply to use it, or Revert to see the current recipe."));
    else
        revertYaml();
}

void RecipeDock::revertYaml() {
    mYaml->setPlainText(QString::fromStdString(recipeToYaml(mDocument->recipe())));
    mYaml->document()->setModified(false);
    mYamlStatus->setText(tr("The same YAML the command-line tool reads."));
    mYamlStatus->setStyleSheet({});
}

}  // namespace distillery
