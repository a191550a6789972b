#pragma once
// The application's preferences (language, autosave, inspector refresh, projects folder), kept in QSettings,
// and the dialog that edits them.

#include <QDialog>
#include <QString>
#include <QStringList>

class QComboBox;
class QLineEdit;
class QSpinBox;

namespace distillery {

struct AppSettings {
    QString language;  // "" = the system's, else a locale name with a translation ("en", "zh_CN")
    int autosaveSeconds = 30;
    int snapshotIntervalMs = 1000;
    QString projectsRoot;  // where new and demo projects go

    static AppSettings load();
    void save() const;
    static QString defaultProjectsRoot();
    /** Locale names with a shipped translation. */
    static QStringList languages();
};

class SettingsDialog : public QDialog {
    Q_OBJECT

public:
    explicit SettingsDialog(const AppSettings& settings, QWidget* parent = nullptr);
    AppSettings settings() const;

private:
    QComboBox* mLanguage;
    QSpinBox* mAutosave;
    QSpinBox* mSnapshotInterval;
    QLineEdit* mProjectsRoot;
    QString mInitialLanguage;
};

}  // namespace distillery
