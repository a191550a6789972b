#pragma once
// Teacher and student pickers over the model zoo or imported ONNX files, with each model's size, cost and
// taps (grouped by resolution) for the data set's input; and loading a trained teacher from a run folder or a
// checkpoint file.

#include <QDockWidget>
#include <QHash>

#include "core/recipe.h"
#include "core/types.h"
#include "widgets/data_dock.h"

class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QTreeWidget;

namespace distillery {

class RecipeDocument;

class ModelsDock : public QDockWidget {
    Q_OBJECT

public:
    explicit ModelsDock(RecipeDocument* document, QWidget* parent = nullptr);

    void setDatasetInfo(const DatasetInfo& info);

    /** Descriptions for the current data set; `arch` is empty when there is no such model or it is invalid.
     */
    const ModelInfo& studentInfo() const { return mStudentInfo; }
    const ModelInfo& teacherInfo() const { return mTeacherInfo; }

    void selectStudent(const QString& arch);
    /** An empty name removes the teacher. */
    void selectTeacher(const QString& arch);
    /** Points the teacher at a run folder (taking its architecture) or a checkpoint file; one undoable edit.
     */
    bool loadTeacher(const QString& path, QString* error = nullptr);
    /** Makes an ONNX file the teacher or the student (one undoable edit) after importing it for the current
     *  data; false with the importer's message (naming the node) when it cannot be imported. */
    bool importModel(bool teacher, const QString& path, QString* error = nullptr);

Q_SIGNALS:
    void modelInfoChanged();

private:
    struct Panel {
        QGroupBox* box = nullptr;
        QFormLayout* form = nullptr;
        QComboBox* arch = nullptr;
        QComboBox* head = nullptr;
        QDoubleSpinBox* width = nullptr;
        QLabel* cost = nullptr;
        QTreeWidget* taps = nullptr;
    };
    static constexpr const char* kOnnxItem = "onnx:";  // arch combo data prefix of an imported file

    Panel makePanel(const QString& title, bool teacher);
    void syncFromDocument();
    void describe();
    void showInfo(Panel& panel, const ModelInfo& info, const QString& error);
    void editSpec(bool teacher, const QString& text, const std::function<void(ModelSpec&)>& change,
                  const QString& mergeKey = {});
    void browseTeacher(bool folder);
    void browseOnnx(bool teacher);
    ModelInfo describeCached(const ModelSpec& spec, QString* error);
    QString cacheKey(const ModelSpec& spec) const;

    RecipeDocument* mDocument;
    DatasetInfo mData;
    Panel mStudent;
    Panel mTeacher;
    QLineEdit* mCheckpoint = nullptr;
    QLabel* mComparison = nullptr;
    ModelInfo mStudentInfo;
    ModelInfo mTeacherInfo;
    QHash<QString, ModelInfo> mCache;
    bool mSyncing = false;
};

}  // namespace distillery
