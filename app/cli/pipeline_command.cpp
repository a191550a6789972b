// distillery-cli pipeline: teacher-assistant chains and born-again generations, stage after stage.

#include <climits>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/cli/arguments.h"
#include "app/cli/commands.h"
#include "core/engine.h"
#include "core/imaging.h"
#include "core/pipeline.h"

namespace distillery::cli {

namespace fs = std::filesystem;

std::string pipelineUsage() {
    return "usage: distillery-cli pipeline PIPELINE.yaml --out DIR [--threads N] [--max-steps N]\n"
           "\n"
           "Runs a pipeline's stages one after the other into DIR/<stage>, each stage after the first taught "
           "by\n"
           "the previous stage's best checkpoint: teacher-assistant chains (TAKD: teacher -> assistant ->\n"
           "student) and born-again networks (generations of one architecture). The same command, or\n"
           "'distillery-cli resume DIR', continues an interrupted pipeline: finished stages are kept, a "
           "stopped\n"
           "one resumes from its checkpoint. A pipeline file (docs/PIPELINES.md):\n"
           "  name: takd\n"
           "  stages:\n"
           "    - {name: assistant, recipe: assistant.yaml}\n"
           "    - {name: student, recipe: fmnist_kd, set: {model.arch: resnet8}}\n"
           "or, for born-again networks: {name: ban, generations: 3, first: fmnist_student, then: "
           "ban.yaml}.\n"
           "  --max-steps N   at most N steps per stage (a quick try)\n";
}

namespace {

void printStages(const Pipeline& p, const std::string& dir) {
    std::printf("\npipeline %s in %s\n", p.name.c_str(), dir.c_str());
    std::printf("  %-16s  %-10s  %-16s  %s\n", "stage", "status", "model", "best");
    for (const auto& s : pipelineState(p, dir))
        std::printf(
            "  %-16s  %-10s  %-16s  %s\n", s.name.c_str(), s.status.c_str(), s.arch.c_str(),
            s.metric >= 0 ? (s.metricName + " " + std::to_string(s.metric).substr(0, 6)).c_str() : "");
}

}  // namespace

int runPipelineIn(const Pipeline& p, const std::string& dir, int threads, int64_t maxSteps) {
    fs::create_directories(dir);
    const std::string text = pipelineToYaml(p);
    const std::string kept = pipelineFileIn(dir);
    if (!kept.empty()) {
        if (pipelineToYaml(loadPipeline(kept)) != text)
            throw Error(dir + " holds another pipeline (" + kept +
                        " differs); continue it with 'distillery-cli resume " + dir +
                        "' or use another --out");
    } else {
        writeFileAtomically((fs::path(dir) / "pipeline.yaml").string(), text);
    }
    for (size_t i = 0; i < p.stages.size(); ++i) {
        const StageState state = pipelineState(p, dir)[i];
        if (state.status == "finished") {
            std::printf("stage %zu/%zu '%s': finished\n", i + 1, p.stages.size(), state.name.c_str());
            continue;
        }
        RunFolder folder(state.runDir);
        const bool resume = state.status != "pending" && folder.hasAnyCheckpoint();
        if (state.status != "pending" && !resume) {
            // Stopped before its first checkpoint: nothing to continue from, so it starts again.
            std::fprintf(stderr, "stage '%s' stopped before its first checkpoint; starting it again\n",
                         state.name.c_str());
            fs::remove_all(state.runDir);
        }
        std::printf("stage %zu/%zu '%s'%s\n", i + 1, p.stages.size(), state.name.c_str(),
                    resume ? " (resumed)" : "");
        std::fflush(stdout);
        Recipe recipe = resume ? loadRunRecipe(state.runDir) : stageRecipe(p, i, dir);
        Job job(std::move(recipe), JobOptions{state.runDir, resume, threads, maxSteps});
        const int code = runJobWithProgress(job, resume);
        if (code != 0) {
            std::fprintf(stderr,
                         "pipeline stopped at stage '%s'; continue it with 'distillery-cli resume %s'\n",
                         state.name.c_str(), dir.c_str());
            return code;
        }
    }
    printStages(p, dir);
    return 0;
}

int runPipeline(const std::vector<std::string>& args) {
    Arguments a("pipeline", args, {}, {"--out", "--threads", "--max-steps"});
    const std::string file = a.positionals({"PIPELINE"})[0];
    const std::string out = a.required("--out", "DIR");
    const Pipeline p = loadPipeline(file);
    return runPipelineIn(p, out, static_cast<int>(a.integer("--threads", 0, 0, INT_MAX)),
                         a.integer("--max-steps", 0));
}

}  // namespace distillery::cli
