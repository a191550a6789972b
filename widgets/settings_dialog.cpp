#include "widgets/settings_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>

namespace distillery {

AppSettings AppSettings::load() {
    QSettings s;
    AppSettings a;
    a.language = s.value("language", QString()).toString();
    a.autosaveSeconds = s.value("autosaveSeconds", a.autosaveSeconds).toInt();
    a.snapshotIntervalMs = s.value("snapshotIntervalMs", a.snapshotIntervalMs).toInt();
    a.projectsRoot = s.value("projectsRoot", defaultProjectsRoot()).toString();
    return a;
}

void AppSettings::save() const {
    QSettings s;
    s.setValue("language", language);
    s.setValue("autosaveSeconds", autosaveSeconds);
    s.setValue("snapshotIntervalMs", snapshotIntervalMs);
    s.setValue("projectsRoot", projectsRoot);
}

QString AppSettings::defaultProjectsRoot() {
    return QDir::homePath() + "/Distillery";
}

QStringList AppSettings::languages() {
    return {"en", "zh_CN"};
}

SettingsDialog::SettingsDialog(const AppSettings& settings, QWidget* parent)
    : QDialog(parent), mInitialLanguage(settings.language) {
    setWindowTitle(tr("Settings"));
    setObjectName("settingsDialog");

    mLanguage = new QComboBox(this);
    mLanguage->addItem(tr("System language"), QString());
    // Each language is named in itself, so that someone who cannot read the current one still finds theirs.
    mLanguage->addItem(QStringLiteral("English"), QStringLiteral("en"));
    mLanguage->addItem(QStringLiteral("简体中文"), QStringLiteral("zh_CN"));
    mLanguage->setCurrentIndex(std::max(0, mLanguage->findData(settings.language)));

    mAutosave = new QSpinBox(this);
    mAutosave->setRange(0, 3600);
    mAutosave->setSuffix(tr(" s"));
    mAutosave->setSpecialValueText(tr("Off"));
    mAutosave->setValue(settings.autosaveSeconds);

    mSnapshotInterval = new QSpinBox(this);
    mSnapshotInterval->setRange(200, 60000);
    mSnapshotInterval->setSingleStep(250);
    mSnapshotInterval->setSuffix(tr(" ms"));
    mSnapshotInterval->setValue(settings.snapshotIntervalMs);

    mProjectsRoot = new QLineEdit(settings.projectsRoot, this);
    auto* browse = new QToolButton(this);
    browse->setText(tr("…"));
    browse->setToolTip(tr("Choose the folder"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString dir =
            QFileDialog::getExistingDirectory(this, tr("Projects folder"), mProjectsRoot->text());
        if (!dir.isEmpty()) mProjectsRoot->setText(dir);
    });
    auto* rootRow = new QHBoxLayout;
    rootRow->addWidget(mProjectsRoot);
    rootRow->addWidget(browse);

    auto* form = new QFormLayout;
    form->addRow(tr("&Language:"), mLanguage);
    form->addRow(tr("&Autosave every:"), mAutosave);
    form->addRow(tr("&Inspector refresh:"), mSnapshotInterval);
    auto* rootLabel = new QLabel(tr("&Projects folder:"), this);
    rootLabel->setBuddy(mProjectsRoot);  // a row whose field is a layout gets no buddy by itself
    form->addRow(rootLabel, rootRow);

    auto* note = new QLabel(tr("A new language takes effect the next time Distillery starts."), this);
    note->setWordWrap(true);
    note->setVisible(false);
    connect(mLanguage, &QComboBox::currentIndexChanged, this,
            [this, note] { note->setVisible(mLanguage->currentData().toString() != mInitialLanguage); });

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addStretch();
    layout->addWidget(buttons);
    setMinimumWidth(520);
}

AppSettings SettingsDialog::settings() const {
    AppSettings a;
    a.language = mLanguage->currentData().toString();
    a.autosaveSeconds = mAutosave->value();
    a.snapshotIntervalMs = mSnapshotInterval->value();
    a.projectsRoot = mProjectsRoot->text().trimmed().isEmpty() ? AppSettings::defaultProjectsRoot()
                                                               : mProjectsRoot->text().trimmed();
    return a;
}

}  // namespace distillery
