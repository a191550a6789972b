#pragma once
// The editor of a weight-width cell: a combo box of the widths (8, 6, 4, 2 bit, float) whose choice commits
// at once, so that size and BOPs follow the first click.

#include <QStyledItemDelegate>

namespace distillery {

class BitWidthDelegate : public QStyledItemDelegate {
    Q_OBJECT

public:
    using QStyledItemDelegate::QStyledItemDelegate;

    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem& option,
                          const QModelIndex& index) const override;
    /** Reads the width from the model's EditRole (0 = float). */
    void setEditorData(QWidget* editor, const QModelIndex& index) const override;
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override;
};

}  // namespace distillery
