#pragma once
// Undo commands of the recipe editor. A recipe is small, so a command keeps the whole recipe before and
// after: one command type covers every edit, and undo restores exactly what was there.

#include <QUndoCommand>

#include "core/recipe.h"

namespace distillery {

class RecipeDocument;

class RecipeEditCommand : public QUndoCommand {
public:
    RecipeEditCommand(RecipeDocument* document, Recipe before, Recipe after, const QString& text,
                      const QString& mergeKey);

    void undo() override;
    void redo() override;
    int id() const override;
    bool mergeWith(const QUndoCommand* other) override;

private:
    RecipeDocument* mDocument;
    Recipe mBefore;
    Recipe mAfter;
    QString mMergeKey;
};

}  // namespace distillery
