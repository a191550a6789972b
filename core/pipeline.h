#pragma once
// Pipelines of runs: teacher-assistant chains (TAKD) and born-again generations. A pipeline file lists
// stages, each a recipe (file or shipped name) with overrides; every stage after the first is taught by the
// previous stage's best checkpoint. The stages are ordinary run folders inside the pipeline's folder, so
// curves, evaluation, export and the workbench's Runs table take them as they are. No torch here.

#include <string>
#include <vector>

#include "core/recipe.h"

namespace distillery {

struct PipelineStage {
    std::string name;                    // its run folder's name inside the pipeline folder
    std::string recipe;                  // the recipe file (absolute after resolution)
    std::vector<std::string> overrides;  // dotted.key=value, after the pipeline's own
    /** previous: taught by the stage before (the first stage keeps its recipe's teacher); recipe: as its
     *  recipe says. */
    std::string teacher = "previous";
};

struct Pipeline {
    std::string sourcePath;
    std::string name = "pipeline";
    std::vector<std::string> overrides;  // applied to every stage first
    std::vector<PipelineStage> stages;
};

/** Parses a pipeline file (`stages:` list, or `generations:` with `first:`/`then:` for born-again networks);
 *  errors name the file, the line and the field. */
Pipeline loadPipeline(const std::string& path);
Pipeline parsePipeline(const std::string& yamlText, const std::string& sourceName,
                       const std::string& baseDir);
/** YAML that parsePipeline reads back (recipes absolute). */
std::string pipelineToYaml(const Pipeline& pipeline);

/** Stage i's recipe as it runs inside `outDir`: its file with the overrides, and, for a stage taught by the
 *  previous one, that stage's run folder as the teacher (its architecture from the folder's summary).
 *  Throws Error when such a stage's recipe has no distillation term or the previous stage has not finished.
 */
Recipe stageRecipe(const Pipeline& pipeline, size_t stage, const std::string& outDir);

struct StageState {
    std::string name;
    std::string runDir;
    std::string status;  // pending, started (resumable), finished, cancelled, failed
    std::string arch;
    double metric = -1.0;  // the best main metric, when finished
    std::string metricName;
};
/** Where every stage of a pipeline in `outDir` stands. */
std::vector<StageState> pipelineState(const Pipeline& pipeline, const std::string& outDir);

/** The pipeline file a pipeline folder keeps (outDir/pipeline.yaml), empty when `dir` is not one. */
std::string pipelineFileIn(const std::string& dir);

}  // namespace distillery
