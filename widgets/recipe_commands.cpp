#include "widgets/recipe_commands.h"

#include "widgets/recipe_document.h"

namespace distillery {

namespace {
// All recipe edits share one id; whether two merge is decided by their keys.
constexpr int kRecipeEditId = 0x5245;
}  // namespace

RecipeEditCommand::RecipeEditCommand(RecipeDocument* document, Recipe before, Recipe after,
                                     const QString& text, const QString& mergeKey)
    : QUndoCommand(text),
      mDocument(document),
      mBefore(std::move(before)),
      mAfter(std::move(after)),
      mMergeKey(mergeKey) {}

void RecipeEditCommand::undo() {
    mDocument->setRecipe(mBefore);
}

void RecipeEditCommand::redo() {
    mDocument->setRecipe(mAfter);
}

int RecipeEditCommand::id() const {
    return mMergeKey.isEmpty() ? -1 : kRecipeEditId;
}

bool RecipeEditCommand::mergeWith(const QUndoCommand* other) {
    const auto* next = dynamic_cast<const RecipeEditCommand*>(other);
    if (!next || next->mMergeKey != mMergeKey) return false;
    mAfter = next->mAfter;
    return true;
}

}  // namespace distillery
