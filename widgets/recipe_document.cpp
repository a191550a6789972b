#include "widgets/recipe_document.h"

#include "widgets/recipe_commands.h"

namespace distillery {

RecipeDocument::RecipeDocument(QObject* parent) : QObject(parent), mUndoStack(new QUndoStack(this)) {
    connect(mUndoStack, &QUndoStack::cleanChanged, this,
            [this](bool clean) { Q_EMIT modifiedChanged(!clean); });
}

bool RecipeDocument::edit(const QString& text, const std::function<void(Recipe&)>& change,
                          const QString& mergeKey) {
    Recipe after = mRecipe;
    change(after);
    normalise(after);
    // The YAML form is the recipe's identity: equal text means nothing changed.
    if (recipeToYaml(after) == recipeToYaml(mRecipe)) return false;
    mUndoStack->push(new RecipeEditCommand(this, mRecipe, after, text, mergeKey));
    return true;
}

void RecipeDocument::reset(const Recipe& recipe) {
    mUndoStack->clear();
    mRecipe = recipe;
    normalise(mRecipe);
    mUndoStack->setClean();
    Q_EMIT changed();
}

void RecipeDocument::setRecipe(const Recipe& recipe) {
    mRecipe = recipe;
    Q_EMIT changed();
}

void RecipeDocument::normalise(Recipe& recipe) {
    bool distills = false;
    for (const auto& term : recipe.losses)
        distills |= term.method != LossMethod::Task && term.method != LossMethod::Dml;
    recipe.job = distills ? JobKind::Distill : JobKind::Train;
}

}  // namespace distillery
