#pragma once
// The sub-commands of distillery-cli. Each takes the arguments after its name and returns the exit code;
// bad input is thrown as Error (exit 2, reported by main).

#include <cstdint>
#include <string>
#include <vector>

namespace distillery {
class Job;
struct Pipeline;
}  // namespace distillery

namespace distillery::cli {

int runModels(const std::vector<std::string>& args);
int runRecipes(const std::vector<std::string>& args);
int runCache(const std::vector<std::string>& args);
int runTrain(const std::vector<std::string>& args);
int runResume(const std::vector<std::string>& args);
int runWorker(const std::vector<std::string>& args);  // a rank of --nproc's job
int runEval(const std::vector<std::string>& args);
int runInspect(const std::vector<std::string>& args);
int runGenerate(const std::vector<std::string>& args);  // data-free runs
int runDiagnostics(const std::vector<std::string>& args);
int runDistributions(const std::vector<std::string>& args);
int runQuantize(const std::vector<std::string>& args);
int runExtract(const std::vector<std::string>& args);  // quantize_command.cpp
int runExport(const std::vector<std::string>& args);   // export_command.cpp
std::string exportUsage();
int runPrune(const std::vector<std::string>& args);  // prune_command.cpp
std::string pruneUsage();
int runSuggestHints(const std::vector<std::string>& args);  // hints_command.cpp
std::string hintsUsage();
int runPipeline(const std::vector<std::string>& args);  // pipeline_command.cpp
std::string pipelineUsage();
/** Runs (or continues) a pipeline in `dir`: the exit code of the first stage that did not finish, else 0. */
int runPipelineIn(const distillery::Pipeline& pipeline, const std::string& dir, int threads,
                  int64_t maxSteps);

/** A recipe argument: a file as given, else a shipped recipe by its short name (`fmnist_kd`); a folder of
 *  that name (e.g. a run folder `--out fmnist_kd` made) does not hide the shipped recipe. */
std::string recipeArgument(const std::string& given);

/** Runs a started-here job with the terminal progress bar; returns the exit code (as `train`). */
int runJobWithProgress(Job& job, bool resumed);

/** The first non-empty line of a message, for one-line error reports. */
std::string firstLine(const std::string& message);

/** Usage of one command, or of the whole tool when `command` is empty or unknown. */
std::string usage(const std::string& command = {});

}  // namespace distillery::cli
