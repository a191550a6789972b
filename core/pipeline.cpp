#include "core/pipeline.h"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/engine.h"
#include "core/install_paths.h"
#include "core/run_folder.h"

namespace distillery {

namespace fs = std::filesystem;

namespace {

class PipelineParser {
public:
    PipelineParser(std::string source, std::string baseDir)
        : mSource(std::move(source)), mBase(std::move(baseDir)) {}

    [[noreturn]] void fail(const YAML::Node& node, const std::string& field, const std::string& what) const {
        std::string where = mSource;
        if (node && node.Mark().line >= 0) where += ":" + std::to_string(node.Mark().line + 1);
        throw Error(where + ": " + field + ": " + what);
    }

    std::string text(const YAML::Node& node, const std::string& field) const {
        if (!node.IsScalar()) fail(node, field, "expected text");
        return node.as<std::string>();
    }

    /** A recipe: a file relative to the pipeline file, or a shipped recipe's name. */
    std::string recipe(const YAML::Node& node, const std::string& field) const {
        const std::string given = text(node, field);
        if (given.empty()) fail(node, field, "expected a recipe file or a shipped recipe's name");
        fs::path p(given);
        if (p.is_relative() && !mBase.empty()) p = fs::path(mBase) / p;
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) return fs::absolute(p).lexically_normal().string();
        const std::string shipped = shippedRecipePath(given);
        if (!shipped.empty()) return shipped;
        fail(node, field,
             "recipe '" + given + "' not found (a file relative to the pipeline, or a shipped name)");
    }

    /** `set`: a list of dotted.key=value, or a map of dotted keys to values. */
    std::vector<std::string> overrides(const YAML::Node& node, const std::string& field) const {
        std::vector<std::string> out;
        if (!node) return out;
        if (node.IsSequence()) {
            for (const auto& item : node) {
                const std::string s = text(item, field);
                if (s.find('=') == std::string::npos || s.front() == '=')
                    fail(item, field, "expected dotted.key=value, got '" + s + "'");
                out.push_back(s);
            }
        } else if (node.IsMap()) {
            for (const auto& kv : node)
                out.push_back(text(kv.first, field) + "=" +
                              text(kv.second, field + "." + kv.first.as<std::string>()));
        } else {
            fail(node, field, "expected a list of key=value or a map, e.g. {model.arch: resnet8}");
        }
        return out;
    }

    void checkKeys(const YAML::Node& node, const std::string& field,
                   const std::set<std::string>& allowed) const {
        for (const auto& kv : node) {
            const std::string key = kv.first.as<std::string>();
            if (!allowed.count(key)) {
                std::string list;
                for (const auto& k : allowed)
                    list += (list.empty() ? "" : ", ") + k;
                fail(kv.first, field.empty() ? key : field + "." + key,
                     "unknown field (allowed: " + list + ")");
            }
        }
    }

private:
    std::string mSource, mBase;
};

}  // namespace

Pipeline parsePipeline(const std::string& yamlText, const std::string& sourceName,
                       const std::string& baseDir) {
    YAML::Node root;
    try {
        root = YAML::Load(yamlText);
    } catch (const YAML::Exception& e) {
        throw Error(sourceName + ":" + std::to_string(e.mark.line + 1) + ": not valid YAML (" + e.msg + ")");
    }
    PipelineParser p(sourceName, baseDir);
    if (!root.IsMap()) throw Error(sourceName + ": expected a map with name and stages");
    p.checkKeys(root, "", {"name", "set", "stages", "generations", "first", "then"});
    Pipeline out;
    out.sourcePath = sourceName;
    if (root["name"]) out.name = p.text(root["name"], "name");
    out.overrides = p.overrides(root["set"], "set");
    const bool generations = static_cast<bool>(root["generations"]);
    if (generations == static_cast<bool>(root["stages"]))
        throw Error(sourceName + ": give either stages (a list) or generations (born-again networks), not " +
                    (generations ? "both" : "neither"));
    if (generations) {
        // Born-again networks: generation 1 as `first` says, then `then` taught by the generation before.
        const YAML::Node g = root["generations"];
        int count = 0;
        try {
            count = g.as<int>();
        } catch (const YAML::Exception&) {
            p.fail(g, "generations", "expected a whole number of at least 2");
        }
        if (count < 2 || count > 100) p.fail(g, "generations", "expected a whole number from 2 to 100");
        if (!root["first"] || !root["then"])
            throw Error(sourceName +
                        ": generations needs first (generation 1's recipe) and then (the recipe of "
                        "each later generation, taught by the one before)");
        const std::string first = p.recipe(root["first"], "first"), then = p.recipe(root["then"], "then");
        for (int i = 1; i <= count; ++i) {
            PipelineStage s;
            s.name = "gen" + std::to_string(i);
            s.recipe = i == 1 ? first : then;
            s.teacher = i == 1 ? "recipe" : "previous";
            out.stages.push_back(s);
        }
        return out;
    }
    if (root["first"] || root["then"]) throw Error(sourceName + ": first and then belong to generations");
    const YAML::Node stages = root["stages"];
    if (!stages.IsSequence() || stages.size() == 0)
        p.fail(stages, "stages", "expected a list of stages, e.g. [{name: assistant, recipe: kd.yaml}]");
    std::set<std::string> names;
    for (size_t i = 0; i < stages.size(); ++i) {
        const std::string field = "stages[" + std::to_string(i) + "]";
        const YAML::Node node = stages[i];
        if (!node.IsMap()) p.fail(node, field, "expected a map with name and recipe");
        p.checkKeys(node, field, {"name", "recipe", "set", "teacher"});
        PipelineStage s;
        if (!node["name"]) p.fail(node, field + ".name", "required (the stage's run folder name)");
        s.name = p.text(node["name"], field + ".name");
        if (s.name.empty() || s.name.find('/') != std::string::npos || s.name == "." || s.name == "..")
            p.fail(node["name"], field + ".name", "expected a folder name without '/'");
        if (!names.insert(s.name).second)
            p.fail(node["name"], field + ".name", "'" + s.name + "' is used twice");
        if (!node["recipe"])
            p.fail(node, field + ".recipe", "required (a recipe file or a shipped recipe's name)");
        s.recipe = p.recipe(node["recipe"], field + ".recipe");
        s.overrides = p.overrides(node["set"], field + ".set");
        s.teacher = i == 0 ? "recipe" : "previous";
        if (node["teacher"]) {
            s.teacher = p.text(node["teacher"], field + ".teacher");
            if (s.teacher != "previous" && s.teacher != "recipe")
                p.fail(node["teacher"], field + ".teacher", "expected previous or recipe");
            if (i == 0 && s.teacher == "previous")
                p.fail(node["teacher"], field + ".teacher", "the first stage has no previous stage");
        }
        out.stages.push_back(s);
    }
    return out;
}

Pipeline loadPipeline(const std::string& path) {
    std::ifstream in(path);
    if (!in) throw Error("pipeline " + path + " not found");
    std::stringstream text;
    text << in.rdbuf();
    return parsePipeline(text.str(), path, fs::absolute(path).parent_path().string());
}

std::string pipelineToYaml(const Pipeline& p) {
    YAML::Emitter out;
    out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << p.name;
    if (!p.overrides.empty()) out << YAML::Key << "set" << YAML::Value << YAML::Flow << p.overrides;
    out << YAML::Key << "stages" << YAML::Value << YAML::BeginSeq;
    for (const auto& s : p.stages) {
        out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name << YAML::Key << "recipe"
            << YAML::Value << s.recipe;
        if (!s.overrides.empty()) out << YAML::Key << "set" << YAML::Value << YAML::Flow << s.overrides;
        out << YAML::Key << "teacher" << YAML::Value << s.teacher << YAML::EndMap;
    }
    out << YAML::EndSeq << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

Recipe stageRecipe(const Pipeline& p, size_t i, const std::string& outDir) {
    const PipelineStage& s = p.stages.at(i);
    std::vector<std::string> overrides = p.overrides;
    overrides.insert(overrides.end(), s.overrides.begin(), s.overrides.end());
    Recipe r;
    try {
        r = loadRecipe(s.recipe, overrides);
    } catch (const Error& e) {
        throw Error(p.sourcePath + ": stage '" + s.name + "': " + e.what());
    }
    r.name = p.name + "/" + s.name;
    if (s.teacher != "previous" || i == 0) return r;
    const PipelineStage& prev = p.stages[i - 1];
    const bool distils = std::any_of(r.losses.begin(), r.losses.end(),
                                     [](const LossTermSpec& t) { return t.method != LossMethod::Task; });
    if (!distils)
        throw Error(p.sourcePath + ": stage '" + s.name + "': its recipe " + s.recipe +
                    " has no distillation term, so it cannot learn from stage '" + prev.name +
                    "' (use a recipe with e.g. {method: kd}, or teacher: recipe)");
    const std::string prevDir = (fs::path(outDir) / prev.name).string();
    const auto summary = RunFolder(prevDir).readSummaryIfAny();
    if (!summary || summary->status != RunStatus::Finished)
        throw Error(p.sourcePath + ": stage '" + s.name + "' is taught by stage '" + prev.name +
                    "', which has not finished (" + prevDir + ")");
    // The previous stage's student, as its run folder describes it, is this stage's teacher.
    const Recipe prevRecipe = loadRunRecipe(prevDir);
    TeacherSpec teacher;
    teacher.model = prevRecipe.student;
    teacher.model.checkpoint.clear();
    if (teacher.model.onnx.empty()) teacher.model.arch = summary->student.arch;
    teacher.checkpoint = fs::absolute(prevDir).lexically_normal().string();
    teacher.precision = r.teacher.precision;
    r.teacher = teacher;
    r.job = JobKind::Distill;
    return r;
}

std::vector<StageState> pipelineState(const Pipeline& p, const std::string& outDir) {
    std::vector<StageState> out;
    for (const auto& s : p.stages) {
        StageState st;
        st.name = s.name;
        st.runDir = (fs::path(outDir) / s.name).string();
        RunFolder folder(st.runDir);
        st.status = "pending";
        if (folder.exists()) {
            st.status = "started";
            if (const auto summary = folder.readSummaryIfAny()) {
                st.arch = summary->student.arch;
                st.metricName = summary->mainMetric;
                if (summary->status == RunStatus::Finished) {
                    st.status = "finished";
                    st.metric = summary->bestOf(summary->mainMetric);
                    if (std::isnan(st.metric)) st.metric = -1.0;
                } else {
                    st.status = statusName(summary->status);
                }
            }
        }
        out.push_back(st);
    }
    return out;
}

std::string pipelineFileIn(const std::string& dir) {
    const fs::path p = fs::path(dir) / "pipeline.yaml";
    std::error_code ec;
    return fs::is_regular_file(p, ec) ? p.string() : std::string();
}

}  // namespace distillery
