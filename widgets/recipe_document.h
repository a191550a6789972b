#pragma once
// The recipe being edited, shared by the docks; every change goes through the undo stack.

#include <QObject>
#include <QUndoStack>
#include <functional>

#include "core/recipe.h"

namespace distillery {

class RecipeDocument : public QObject {
    Q_OBJECT

public:
    explicit RecipeDocument(QObject* parent = nullptr);

    const Recipe& recipe() const { return mRecipe; }
    QUndoStack* undoStack() const { return mUndoStack; }

    /**
     * Applies `change` to a copy of the recipe and pushes it as one undoable step named `text`. Edits with
     * the same non-empty `mergeKey` in a row merge into one step (typing a number is one undo, not one per
     * digit). Returns false when the change made no difference.
     */
    bool edit(const QString& text, const std::function<void(Recipe&)>& change, const QString& mergeKey = {});

    /** Replaces the recipe without undo history (a project was opened or created); the result is clean. */
    void reset(const Recipe& recipe);

    bool isModified() const { return !mUndoStack->isClean(); }
    void setSaved() { mUndoStack->setClean(); }

    /** Used by the undo commands: sets the recipe and tells the views. */
    void setRecipe(const Recipe& recipe);

    /** The job follows the loss terms: any distillation term makes it a distill job. */
    static void normalise(Recipe& recipe);

Q_SIGNALS:
    void changed();
    void modifiedChanged(bool modified);

private:
    Recipe mRecipe;
    QUndoStack* mUndoStack;
};

}  // namespace distillery
