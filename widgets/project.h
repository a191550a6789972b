#pragma once
// A project is a folder holding the recipe being edited (recipe.yaml) and the runs made from it (runs/).

#include <QCoreApplication>
#include <QString>

#include "core/recipe.h"

namespace distillery {

class Project {
    Q_DECLARE_TR_FUNCTIONS(Project)

public:
    Project() = default;
    explicit Project(QString dir);

    bool isOpen() const { return !mDir.isEmpty(); }
    QString dir() const { return mDir; }
    QString name() const;
    QString recipePath() const;
    QString runsDir() const;

    /** Creates the folder (and runs/) and writes the recipe; the folder may exist but must hold no recipe. */
    static bool create(const QString& dir, const Recipe& recipe, Project* project, QString* error);
    /** Opens a project folder and reads its recipe; errors name the file and what is wrong. */
    static bool open(const QString& dir, Project* project, Recipe* recipe, QString* error);

    /** Writes the recipe to recipe.yaml atomically, so a crash never leaves half a file. */
    bool save(const Recipe& recipe, QString* error) const;

    /** A fresh, not yet existing folder under runs/ named after the recipe and the time. */
    QString newRunDir(const QString& runName) const;

private:
    QString mDir;
};

}  // namespace distillery
