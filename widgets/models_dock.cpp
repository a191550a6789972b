#include "widgets/models_dock.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QTreeWidget>
#include <QVBoxLayout>

#include "core/engine.h"
#include "core/onnx_import.h"
#include "core/zoo.h"
#include "widgets/recipe_document.h"
#include "widgets/tap_rules.h"
#include "widgets/views/format.h"

namespace distillery {

namespace {
// MACs follow the input size and taps the head, so these fields tell whether the tap offers change.
bool sameModel(const ModelInfo& a, const ModelInfo& b) {
    return a.arch == b.arch && a.head == b.head && a.params == b.params && a.macs == b.macs &&
           a.numClasses == b.numClasses && a.taps.size() == b.taps.size();
}
}  // namespace

ModelsDock::ModelsDock(RecipeDocument* document, QWidget* parent) : QDockWidget(parent), mDocument(document) {
    setObjectName("modelsDock");
    setWindowTitle(tr("Models"));

    auto* body = new QWidget;
    auto* layout = new QVBoxLayout(body);
    mTeacher = makePanel(tr("Teacher"), true);
    mStudent = makePanel(tr("Student"), false);
    mComparison = new QLabel(body);
    mComparison->setWordWrap(true);
    layout->addWidget(mTeacher.box);
    layout->addWidget(mStudent.box);
    layout->addWidget(mComparison);
    layout->addStretch();

    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(body);
    setWidget(scroll);

    connect(mDocument, &RecipeDocument::changed, this, &ModelsDock::syncFromDocument);
    syncFromDocument();
}

ModelsDock::Panel ModelsDock::makePanel(const QString& title, bool teacher) {
    Panel p;
    p.box = new QGroupBox(title);
    p.arch = new QComboBox(p.box);
    p.arch->setObjectName(teacher ? "teacherArch" : "studentArch");
    if (teacher) p.arch->addItem(tr("(none)"), QString());
    for (const auto& entry : architectures()) {
        p.arch->addItem(QString::fromStdString(entry.name), QString::fromStdString(entry.name));
        p.arch->setItemData(p.arch->count() - 1, QString::fromStdString(entry.description), Qt::ToolTipRole);
    }
    p.head = new QComboBox(p.box);
    for (const auto& head : segmentationHeads())
        p.head->addItem(QString::fromStdString(head), QString::fromStdString(head));
    p.width = new QDoubleSpinBox(p.box);
    p.width->setRange(0.1, 8.0);
    p.width->setSingleStep(0.25);
    p.width->setDecimals(2);
    p.width->setToolTip(tr("MobileNetV2 width multiplier: scales every layer's channels"));
    p.cost = new QLabel(p.box);
    p.cost->setTextInteractionFlags(Qt::TextSelectableByMouse);
    p.taps = new QTreeWidget(p.box);
    p.taps->setObjectName(teacher ? "teacherTaps" : "studentTaps");
    p.taps->setHeaderLabels({tr("Tap"), tr("Shape")});
    p.taps->setRootIsDecorated(false);
    p.taps->setSelectionMode(QAbstractItemView::NoSelection);
    p.taps->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
    p.taps->setMinimumHeight(120);

    auto* form = new QFormLayout;
    p.form = form;
    auto* import = new QPushButton(tr("Import ONNX…"), p.box);
    import->setObjectName(teacher ? "importTeacherOnnx" : "importStudentOnnx");
    import->setToolTip(teacher
                           ? tr("Use a model exported to ONNX (torch.onnx.export, tf2onnx) as the teacher")
                           : tr("Use a model exported to ONNX as the student: it trains from the file's "
                                "weights"));
    connect(import, &QPushButton::clicked, this, [this, teacher] { browseOnnx(teacher); });
    auto* archRow = new QHBoxLayout;
    archRow->addWidget(p.arch, 1);
    archRow->addWidget(import);
    // A label of its own: a row that holds a layout has no field to be the mnemonic's buddy.
    auto* archLabel = new QLabel(tr("&Architecture:"), p.box);
    archLabel->setBuddy(p.arch);
    form->addRow(archLabel, archRow);
    form->addRow(tr("&Head:"), p.head);
    form->addRow(tr("&Width:"), p.width);
    if (teacher) {
        mCheckpoint = new QLineEdit(p.box);
        mCheckpoint->setObjectName("teacherCheckpoint");
        mCheckpoint->setPlaceholderText(tr("trained teacher: a run folder or a .pt file"));
        auto* fromRun = new QPushButton(tr("Run &folder…"), p.box);
        fromRun->setToolTip(tr("Load a trained teacher from a run folder (its architecture comes along)"));
        auto* fromFile = new QPushButton(tr("Check&point…"), p.box);
        fromFile->setToolTip(tr("Load a teacher checkpoint file (.pt)"));
        connect(fromRun, &QPushButton::clicked, this, [this] { browseTeacher(true); });
        connect(fromFile, &QPushButton::clicked, this, [this] { browseTeacher(false); });
        connect(mCheckpoint, &QLineEdit::editingFinished, this, [this] {
            const QString text = mCheckpoint->text().trimmed();
            const std::string path =
                text.isEmpty() ? std::string() : QFileInfo(text).absoluteFilePath().toStdString();
            mDocument->edit(tr("Change teacher checkpoint"), [&](Recipe& r) { r.teacher.checkpoint = path; });
        });
        auto* buttons = new QHBoxLayout;
        buttons->addWidget(fromRun);
        buttons->addWidget(fromFile);
        form->addRow(tr("&Checkpoint:"), mCheckpoint);
        form->addRow(QString(), buttons);
    }
    form->addRow(p.cost);
    auto* box = new QVBoxLayout(p.box);
    box->addLayout(form);
    box->addWidget(p.taps, 1);

    connect(p.arch, &QComboBox::activated, this, [this, teacher, combo = p.arch](int i) {
        const QString arch = combo->itemData(i).toString();
        if (arch.startsWith(kOnnxItem)) return;  // the imported file, already chosen
        teacher ? selectTeacher(arch) : selectStudent(arch);
    });
    connect(p.head, &QComboBox::activated, this, [this, teacher, combo = p.head](int i) {
        const std::string head = combo->itemData(i).toString().toStdString();
        editSpec(teacher, tr("Change segmentation head"), [&](ModelSpec& m) { m.head = head; });
    });
    connect(p.width, &QDoubleSpinBox::valueChanged, this, [this, teacher](double w) {
        if (mSyncing) return;
        editSpec(
            teacher, tr("Change model width"), [w](ModelSpec& m) { m.width = w; },
            teacher ? "teacher.width" : "model.width");
    });
    return p;
}

void ModelsDock::editSpec(bool teacher, const QString& text, const std::function<void(ModelSpec&)>& change,
                          const QString& mergeKey) {
    mDocument->edit(
        text, [&](Recipe& r) { change(teacher ? r.teacher.model : r.student); }, mergeKey);
}

void ModelsDock::selectStudent(const QString& arch) {
    const std::string a = arch.toStdString();
    editSpec(false, tr("Change student to %1").arg(arch), [&](ModelSpec& m) {
        m.arch = a;
        m.onnx.clear();
        m.checkpoint.clear();
        if (a != "mobilenetv2") m.width = 1.0;
    });
}

void ModelsDock::selectTeacher(const QString& arch) {
    const std::string a = arch.toStdString();
    const bool seg = mData.valid && mData.task == Task::Segmentation;
    mDocument->edit(arch.isEmpty() ? tr("Remove teacher") : tr("Change teacher to %1").arg(arch),
                    [&](Recipe& r) {
                        if (a.empty()) {
                            r.teacher = TeacherSpec{};
                            return;
                        }
                        if (r.teacher.model.arch != a || !r.teacher.model.onnx.empty())
                            r.teacher.checkpoint.clear();  // a checkpoint belongs to one architecture
                        r.teacher.model.arch = a;
                        r.teacher.model.onnx.clear();
                        if (a != "mobilenetv2") r.teacher.model.width = 1.0;
                        if (seg && r.teacher.model.head.empty()) r.teacher.model.head = "fcn";
                    });
}

bool ModelsDock::loadTeacher(const QString& path, QString* error) {
    const QFileInfo fi(path);
    QString runDir;
    if (fi.isDir())
        runDir = fi.absoluteFilePath();
    else if (fi.isFile() && fi.dir().dirName() == "checkpoints")
        runDir = QFileInfo(fi.dir().absolutePath()).absolutePath();
    else if (!fi.isFile()) {
        if (error) *error = tr("%1 does not exist").arg(path);
        return false;
    }
    ModelSpec spec = mDocument->recipe().teacher.model;
    if (!runDir.isEmpty() && QFileInfo::exists(runDir + "/recipe.yaml")) {
        try {
            spec = loadRunRecipe(runDir.toStdString()).student;
        } catch (const std::exception& e) {
            if (error) *error = QString::fromStdString(e.what());
            return false;
        }
    } else if (fi.isDir()) {
        if (error) *error = tr("%1 is not a run folder (no recipe.yaml)").arg(path);
        return false;
    }
    if (spec.empty()) {
        if (error)
            *error = tr("Choose the teacher's architecture first: %1 does not say which it is").arg(path);
        return false;
    }
    const std::string checkpoint = fi.absoluteFilePath().toStdString();
    mDocument->edit(tr("Load teacher %1").arg(fi.fileName()), [&](Recipe& r) {
        r.teacher.model = spec;
        r.teacher.checkpoint = checkpoint;
    });
    return true;
}

void ModelsDock::browseTeacher(bool folder) {
    const QString start = QString::fromStdString(mDocument->recipe().teacher.checkpoint);
    const QString path = folder ? QFileDialog::getExistingDirectory(this, tr("Teacher run folder"), start)
                                : QFileDialog::getOpenFileName(this, tr("Teacher checkpoint"), start,
                                                               tr("Checkpoints (*.pt);;All files (*)"));
    if (path.isEmpty()) return;
    QString error;
    if (!loadTeacher(path, &error)) {
        mComparison->setText(error);
        mComparison->setStyleSheet("color: #b00020;");
    }
}

bool ModelsDock::importModel(bool teacher, const QString& path, QString* error) {
    const QFileInfo fi(path);
    if (!fi.isFile()) {
        if (error) *error = tr("%1 does not exist").arg(path);
        return false;
    }
    ModelSpec spec;
    spec.onnx = fi.absoluteFilePath().toStdString();
    try {
        // Imported for the current data (its input size, classes and task), or at the file's own size.
        ModelInfo info;
        if (mData.valid) {
            info =
                describeModel(spec, mData.task, mData.channels, mData.numClasses, mData.height, mData.width);
            mCache.insert(cacheKey(spec), info);
        } else {
            info = describeOnnxModel(spec.onnx).model;
        }
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return false;
    }
    const QString text =
        teacher ? tr("Import teacher %1").arg(fi.fileName()) : tr("Import student %1").arg(fi.fileName());
    mDocument->edit(text, [&](Recipe& r) {
        if (teacher) {
            r.teacher.model = spec;
            r.teacher.checkpoint.clear();  // the file brings its weights
        } else {
            r.student = spec;
        }
    });
    return true;
}

void ModelsDock::browseOnnx(bool teacher) {
    const ModelSpec& current = teacher ? mDocument->recipe().teacher.model : mDocument->recipe().student;
    const QString path = QFileDialog::getOpenFileName(
        this, teacher ? tr("Import a teacher from ONNX") : tr("Import a student from ONNX"),
        QString::fromStdString(current.onnx), tr("ONNX models (*.onnx);;All files (*)"));
    if (path.isEmpty()) return;
    QString error;
    if (!importModel(teacher, path, &error))
        QMessageBox::critical(this, tr("Cannot import %1").arg(QFileInfo(path).fileName()), error);
}

void ModelsDock::setDatasetInfo(const DatasetInfo& info) {
    mData = info;
    syncFromDocument();
}

void ModelsDock::syncFromDocument() {
    const Recipe& r = mDocument->recipe();
    const bool seg = mData.valid && mData.task == Task::Segmentation;
    mSyncing = true;
    auto sync = [seg](Panel& p, const ModelSpec& m) {
        // An imported file is the combo's last entry while it is chosen.
        for (int i = p.arch->count() - 1; i >= 0; --i)
            if (p.arch->itemData(i).toString().startsWith(kOnnxItem)) p.arch->removeItem(i);
        if (!m.onnx.empty() || !m.checkpoint.empty()) {
            // A model from a checkpoint (a pruned one) shows the same way, under its file's name.
            const QString file = QString::fromStdString(m.onnx.empty() ? m.checkpoint : m.onnx);
            p.arch->addItem(
                (m.onnx.empty() ? tr("%1 (checkpoint)") : tr("%1 (ONNX)")).arg(QFileInfo(file).fileName()),
                QString(kOnnxItem) + file);
            p.arch->setItemData(p.arch->count() - 1, file, Qt::ToolTipRole);
            p.arch->setCurrentIndex(p.arch->count() - 1);
        } else {
            p.arch->setCurrentIndex(std::max(0, p.arch->findData(QString::fromStdString(m.arch))));
        }
        p.head->setCurrentIndex(
            std::max(0, p.head->findData(QString::fromStdString(m.head.empty() ? "fcn" : m.head))));
        // Only the knobs that apply: a head for segmentation, a width for MobileNetV2.
        p.form->setRowVisible(p.head, seg && !m.arch.empty() && m.checkpoint.empty());
        p.form->setRowVisible(p.width, m.arch == "mobilenetv2");
        p.width->setValue(m.width);
    };
    sync(mStudent, r.student);
    sync(mTeacher, r.teacher.model);
    if (!mCheckpoint->hasFocus()) mCheckpoint->setText(QString::fromStdString(r.teacher.checkpoint));
    mCheckpoint->setEnabled(!r.teacher.model.empty());
    mSyncing = false;
    describe();
}

QString ModelsDock::cacheKey(const ModelSpec& spec) const {
    const DatasetInfo d = mData.valid ? mData : DatasetInfo{};
    ModelSpec s = spec;
    if (d.task == Task::Classification || !s.onnx.empty()) s.head.clear();
    // An imported file is keyed by its path and modification time, so an edited file is imported again.
    const std::string& file = s.onnx.empty() ? s.checkpoint : s.onnx;
    const QString source =
        file.empty() ? QString::fromStdString(s.arch)
                     : QString::fromStdString(file) + "@" +
                           QFileInfo(QString::fromStdString(file)).lastModified().toString(Qt::ISODateWithMs);
    return QStringLiteral("%1|%2|%3|%4|%5|%6|%7|%8")
        .arg(source, QString::fromStdString(s.head))
        .arg(s.width)
        .arg(int(d.task))
        .arg(d.channels)
        .arg(d.numClasses)
        .arg(d.height)
        .arg(d.width);
}

ModelInfo ModelsDock::describeCached(const ModelSpec& spec, QString* error) {
    const DatasetInfo d = mData.valid ? mData : DatasetInfo{};
    ModelSpec s = spec;
    if (d.task == Task::Classification || !s.onnx.empty()) s.head.clear();
    const QString key = cacheKey(spec);
    if (auto it = mCache.find(key); it != mCache.end()) return *it;
    try {
        // Builds the model on the CPU once per combination; the cache keeps switching back instant.
        ModelInfo info = describeModel(s, d.task, d.channels, d.numClasses, d.height, d.width);
        mCache.insert(key, info);
        return info;
    } catch (const std::exception& e) {
        if (error) *error = QString::fromStdString(e.what());
        return {};
    }
}

void ModelsDock::describe() {
    const Recipe& r = mDocument->recipe();
    QString studentError, teacherError;
    ModelInfo student = r.student.empty() ? ModelInfo{} : describeCached(r.student, &studentError);
    ModelInfo teacher =
        r.teacher.model.empty() ? ModelInfo{} : describeCached(r.teacher.model, &teacherError);
    showInfo(mStudent, student, studentError);
    showInfo(mTeacher, teacher, teacherError);

    mComparison->setStyleSheet({});
    if (!student.arch.empty() && !teacher.arch.empty() && teacher.params > 0 && teacher.macs > 0) {
        mComparison->setText(tr("The student has %1% of the teacher's parameters and needs %2% of its MACs.")
                                 .arg(100.0 * student.params / teacher.params, 0, 'f', 1)
                                 .arg(100.0 * student.macs / teacher.macs, 0, 'f', 1));
    } else {
        mComparison->clear();
    }
    const bool changed = !sameModel(student, mStudentInfo) || !sameModel(teacher, mTeacherInfo);
    mStudentInfo = student;
    mTeacherInfo = teacher;
    if (changed) Q_EMIT modelInfoChanged();
}

void ModelsDock::showInfo(Panel& p, const ModelInfo& info, const QString& error) {
    p.taps->clear();
    if (!error.isEmpty()) {
        p.cost->setText(error);
        p.cost->setStyleSheet("color: #b00020;");
        p.cost->setWordWrap(true);
        return;
    }
    p.cost->setStyleSheet({});
    if (info.arch.empty()) {
        p.cost->setText(tr("No teacher: the student trains alone."));
        return;
    }
    QString text = tr("%1 parameters · %2 MACs for %3×%4×%5 input")
                       .arg(formatCount(info.params), formatCount(info.macs))
                       .arg(info.inChannels)
                       .arg(info.inputH)
                       .arg(info.inputW);
    if (!info.onnx.empty())
        text += "\n" +
                tr("Imported from %1 · %2 taps").arg(QString::fromStdString(info.onnx)).arg(info.taps.size());
    p.cost->setText(text);
    p.cost->setWordWrap(true);
    // Imported models tap every value: the named taps stay open, each resolution folds.
    const auto groups = groupTapsByResolution(info.taps);
    const bool grouped = groups.size() > 1;
    for (const auto& group : groups) {
        QTreeWidgetItem* parent = nullptr;
        if (grouped) {
            parent = new QTreeWidgetItem(
                p.taps,
                {tapGroupLabel(group.label), tr("%n tap(s)", nullptr, static_cast<int>(group.taps.size()))});
            QFont bold = parent->font(0);
            bold.setBold(true);
            parent->setFont(0, bold);
            parent->setExpanded(group.label == "named taps" || groups.size() <= 3);
        }
        for (const auto& tap : group.taps) {
            const QStringList cells{QString::fromStdString(tap.name), shapeText(tap.shape)};
            if (parent)
                new QTreeWidgetItem(parent, cells);
            else
                new QTreeWidgetItem(p.taps, cells);
        }
    }
    p.taps->setRootIsDecorated(grouped);
}

}  // namespace distillery
