#include "widgets/bit_width_delegate.h"

#include <QComboBox>
#include <algorithm>

#include "core/recipe.h"

namespace distillery {

QWidget* BitWidthDelegate::createEditor(QWidget* parent, const QStyleOptionViewItem&,
                                        const QModelIndex&) const {
    auto* combo = new QComboBox(parent);
    for (int b : weightBitChoices())
        combo->addItem(QString::number(b), b);
    combo->addItem(tr("float"), 0);
    connect(combo, &QComboBox::activated, this, [this, combo] {
        // A delegate's signals are not const; the editor is, so commit through a non-const view of it.
        auto* self = const_cast<BitWidthDelegate*>(this);
        Q_EMIT self->commitData(combo);
        Q_EMIT self->closeEditor(combo);
    });
    return combo;
}

void BitWidthDelegate::setEditorData(QWidget* editor, const QModelIndex& index) const {
    auto* combo = static_cast<QComboBox*>(editor);
    combo->setCurrentIndex(std::max(0, combo->findData(index.data(Qt::EditRole).toInt())));
}

void BitWidthDelegate::setModelData(QWidget* editor, QAbstractItemModel* model,
                                    const QModelIndex& index) const {
    model->setData(index, static_cast<QComboBox*>(editor)->currentData(), Qt::EditRole);
}

}  // namespace distillery
