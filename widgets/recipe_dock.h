#pragma once
// The recipe editor: loss terms with presets, training settings, and the recipe as YAML (the same file the
// command-line tool reads).

#include <QDockWidget>

#include "core/types.h"
#include "widgets/tap_rules.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableView;
class QToolButton;

namespace distillery {

class LossTermsModel;
class RecipeDocument;

class RecipeDock : public QDockWidget {
    Q_OBJECT

public:
    explicit RecipeDock(RecipeDocument* document, QWidget* parent = nullptr);

    void setModels(const ModelInfo& teacher, const ModelInfo& student);
    LossTermsModel* lossTerms() const { return mTerms; }

    /** Replaces the loss terms with a preset's (one undoable edit); false with the reason when it does not
     * apply. */
    bool applyPreset(Preset preset, QString* error);

    /** The YAML tab: its text, whether it holds edits not yet applied, and applying them. */
    QString yamlText() const;
    void setYamlText(const QString& text);
    bool yamlModified() const;
    /** Parses the YAML tab into the recipe (one undoable edit); false with the parser's message. */
    bool applyYaml(QString* error);
    /** Shows the current recipe in the YAML tab, dropping typed edits. */
    void revertYaml();

    /** Where relative paths typed into the YAML resolve (the project folder). */
    void setBaseDir(const QString& dir) { mBaseDir = dir; }

    /** A problem with a loss term's taps for the current models (first one), empty when none. */
    QString tapProblem() const;

Q_SIGNALS:
    void errorOccurred(const QString& message);

private:
    QWidget* makeTermsPage();
    QWidget* makeTrainingPage();
    QWidget* makeYamlPage();
    void syncFromDocument();
    void updatePresetMenu();

    RecipeDocument* mDocument;
    LossTermsModel* mTerms;
    QTabWidget* mTabs = nullptr;
    QTableView* mTable = nullptr;
    QToolButton* mPresets = nullptr;
    QPushButton* mRemove = nullptr;
    QLabel* mTermHint = nullptr;
    QLineEdit* mName = nullptr;
    QSpinBox* mEpochs = nullptr;
    QSpinBox* mBatch = nullptr;
    QDoubleSpinBox* mLr = nullptr;
    QComboBox* mOptimizer = nullptr;
    QComboBox* mSchedule = nullptr;
    QComboBox* mPrecision = nullptr;
    QComboBox* mTeacherPrecision = nullptr;
    QComboBox* mTrainingImages = nullptr;  // real, or generated (data-free)
    QSpinBox* mSeed = nullptr;
    QSpinBox* mThreads = nullptr;
    QSpinBox* mSubset = nullptr;
    QSpinBox* mMaxSteps = nullptr;
    QSpinBox* mProcesses = nullptr;  // data-parallel processes: a setting of this machine, not of the recipe
    QPlainTextEdit* mYaml = nullptr;
    QLabel* mYamlStatus = nullptr;
    QString mBaseDir;
    ModelInfo mTeacher;
    ModelInfo mStudent;
    bool mSyncing = false;
};

}  // namespace distillery
