#pragma once
// Where Distillery's shipped files are, for an installed copy (found relative to the running program) and for
// a build tree (the source tree it was built from). Plain C++: the CLI, the verification harness and the
// workbench share it.
//
//   installed (prefix/bin/distillery-cli)     source tree
//   prefix/share/distillery/resources          resources/        recipes/, teachers/
//   prefix/share/distillery/ort                scripts/ort/      the onnxruntime checker (run.js,
//   node_modules) prefix/share/doc/distillery                README.md, docs/  the documentation

#include <string>
#include <vector>

namespace distillery {

/** The folder holding the running executable (from /proc/self/exe); empty when it cannot be read. */
std::string executableDir();

/** The shipped recipes and teachers: $DISTILLERY_RESOURCES_DIR, else the installed copy's
 *  share/distillery/resources, else the source tree's resources/; empty when none has recipes/. */
std::string resourcesDir();

/** The onnxruntime runner's folder: $DISTILLERY_ORT_DIR, else the installed share/distillery/ort, else the
 *  source tree's scripts/ort. Always absolute unless the variable says otherwise; it need not exist (the
 *  caller reports what is missing). */
std::string ortRunnerDir();

/** The documentation's folder (README.md, and the guides under docs/): installed share/distillery/doc (or
 *  share/doc/distillery), else the source tree's root; empty when none has README.md. */
std::string documentationDir();

/** A shipped recipe by its short name ("fmnist_kd" or "fmnist_kd.yaml"); empty when there is none. */
std::string shippedRecipePath(const std::string& name);

/** distillery-cli, which runs the other ranks of a data-parallel job the workbench starts: $DISTILLERY_CLI,
 *  else beside the running program (installed), else in the build tree's app/ folder; empty when none. */
std::string cliProgram();

/** The shipped recipes' short names, sorted. */
std::vector<std::string> shippedRecipeNames();

}  // namespace distillery
