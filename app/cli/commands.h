#pragma once
// The sub-commands of distillery-cli. Each takes the arguments after its name and returns the exit code;
// bad input is thrown as Error (exit 2, reported by main).

#include <string>
#include <vector>

namespace distillery::cli {

int runModels(const std::vector<std::string>& args);
int runTrain(const std::vector<std::string>& args);
int runResume(const std::vector<std::string>& args);
int runEval(const std::vector<std::string>& args);
int runInspect(const std::vector<std::string>& args);

/** The first non-empty line of a message, for one-line error reports. */
std::string firstLine(const std::string& message);

/** Usage of one command, or of the whole tool when `command` is empty or unknown. */
std::string usage(const std::string& command = {});

}  // namespace distillery::cli
