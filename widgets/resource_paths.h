#pragma once
// Where the shipped recipes and teachers are, for an installed binary, a build tree and the source tree.

#include <QString>

namespace distillery {

/** The `resources/` folder (recipes/, teachers/); empty when none is found. */
QString resourcesFolder();

/** The shipped Fashion-MNIST CWD demo recipe (resources/recipes/fmnist_cwd.yaml); empty when missing. */
QString demoRecipePath();

}  // namespace distillery
