// distillery-cli: the engine without a window, for scripts and remote machines.

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "app/cli/commands.h"
#include "core/types.h"

#ifndef DISTILLERY_VERSION
#define DISTILLERY_VERSION "unknown"
#endif

namespace {

using Command = int (*)(const std::vector<std::string>&);

Command findCommand(const std::string& name) {
    using namespace distillery::cli;
    if (name == "models") return runModels;
    if (name == "recipes") return runRecipes;
    if (name == "cache") return runCache;
    if (name == "train") return runTrain;
    if (name == "resume") return runResume;
    if (name == "worker") return runWorker;
    if (name == "eval") return runEval;
    if (name == "inspect") return runInspect;
    if (name == "generate") return runGenerate;
    if (name == "diagnostics") return runDiagnostics;
    if (name == "distributions") return runDistributions;
    if (name == "quantize") return runQuantize;
    if (name == "extract") return runExtract;
    if (name == "export") return runExport;
    if (name == "prune") return runPrune;
    if (name == "suggest-hints") return runSuggestHints;
    if (name == "pipeline") return runPipeline;
    return nullptr;
}

bool asksForHelp(const std::vector<std::string>& args) {
    for (const auto& arg : args) {
        if (arg == "--") return false;
        if (arg == "--help" || arg == "-h") return true;
    }
    return false;
}

int dispatch(const std::vector<std::string>& args) {
    using distillery::cli::usage;
    if (args.empty() || args[0] == "--help" || args[0] == "-h") {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    if (args[0] == "--version") {
        std::printf("distillery-cli %s\n", DISTILLERY_VERSION);
        return 0;
    }
    if (args[0] == "help") {
        if (args.size() > 1 && !findCommand(args[1]))
            throw distillery::Error("unknown command '" + args[1] + "'");
        std::fputs(usage(args.size() > 1 ? args[1] : "").c_str(), stdout);
        return 0;
    }
    const Command command = findCommand(args[0]);
    if (!command) {
        if (!args[0].empty() && args[0][0] == '-')
            throw distillery::Error("unknown option '" + args[0] + "'");
        throw distillery::Error("unknown command '" + args[0] + "' (see distillery-cli --help)");
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    if (asksForHelp(rest)) {
        std::fputs(usage(args[0]).c_str(), stdout);
        return 0;
    }
    return command(rest);
}

void report(const std::string& message) {
    std::fflush(stdout);
    // Messages may quote bytes from files (names, keys): escaped, never echoed raw to the terminal.
    std::fprintf(stderr, "distillery-cli: %s\n",
                 distillery::printable(distillery::cli::firstLine(message), 4000).c_str());
}

}  // namespace

int main(int argc, char** argv) {
    // One line on stderr, never a stack trace: exit status 2 for bad input (distillery::Error), 1 for a run,
    // quantization or export that failed although its input was valid (distillery::Failure, or anything the
    // libraries underneath throw).
    try {
        return dispatch(std::vector<std::string>(argv + 1, argv + argc));
    } catch (const distillery::Error& e) {
        report(e.what());
        return 2;
    } catch (const std::exception& e) {
        report(e.what());
        return 1;
    } catch (...) {
        report("unknown error");
        return 1;
    }
}
