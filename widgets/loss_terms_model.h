#pragma once
// The recipe's loss terms as a table (method, teacher tap, student tap, weight, τ), and the editors that
// offer only the taps each method accepts.

#include <QAbstractTableModel>
#include <QStyledItemDelegate>

#include "core/types.h"

namespace distillery {

class RecipeDocument;

class LossTermsModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Method, TeacherTap, StudentTap, Weight, Tau, ColumnCount };
    /** Role of the raw value behind a cell (method or tap name, number). */
    static constexpr int ValueRole = Qt::UserRole + 1;

    explicit LossTermsModel(RecipeDocument* document, QObject* parent = nullptr);

    void setModels(const ModelInfo& teacher, const ModelInfo& student);
    const ModelInfo& teacher() const { return mTeacher; }
    const ModelInfo& student() const { return mStudent; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

    /** What is wrong with a term's taps for the current models; empty when it will start. */
    QString problem(int row) const;
    /** Tap names the editor of a tap cell offers. */
    QStringList tapChoices(const QModelIndex& index) const;

    void addTerm();
    void removeTerm(int row);

private:
    QString tapText(const ModelInfo& model, const std::string& tap) const;
    /** A list method's taps, comma-separated. */
    QString tapListText(const std::vector<std::string>& taps) const;

    RecipeDocument* mDocument;
    ModelInfo mTeacher;
    ModelInfo mStudent;
};

class LossTermDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                          const QModelIndex& index) const override;
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override;
};

}  // namespace distillery
