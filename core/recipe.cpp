#include "core/recipe.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <type_traits>

namespace distillery {

namespace {

namespace fs = std::filesystem;

// Kept here rather than asked of datasets.cpp/zoo so that recipes parse without linking the engine.
const std::vector<std::string> kJobs{"train", "distill"};
const std::vector<std::string> kDevices{"auto", "cpu", "cuda"};
const std::vector<std::string> kPrecisions{"fp32", "bf16", "auto"};
const std::vector<std::string> kDatasets{"fashion_mnist", "fashion_scenes", "fashion_scenes_det",
                                         "image_folder",  "seg_folder",     "coco_json",
                                         "cifar10",       "cifar100"};
const std::vector<std::string> kHeads{"fcn", "psp", "deeplabv3", "centernet"};
const std::vector<std::string> kOptimizers{"sgd", "adamw"};
const std::vector<std::string> kSchedules{"cosine", "step", "constant"};
const std::vector<std::string> kMethods = methodNames();
const std::vector<std::string> kTransforms{"normalize", "random_crop", "hflip", "resize"};

const std::vector<std::string> kTopKeys{
    "name",    "job",    "seed",  "threads",  "device", "precision", "data",        "transforms", "model",
    "teacher", "losses", "optim", "schedule", "train",  "quantize",  "diagnostics", "data_free"};
const std::vector<std::string> kDataFreeKeys{
    "enabled", "latent", "width", "lr", "generator_steps", "bn", "ce", "adversarial", "steps_per_epoch"};
const std::vector<std::string> kDiagnosticsKeys{"every", "dominant", "negligible", "target_share"};
const std::vector<std::string> kQuantKeys{
    "enabled", "from",    "observer", "percentile", "calibration_batches", "weight_bits", "layer_bits",
    "lsq",     "teacher", "budget",   "vertical"};
const std::vector<std::string> kObservers{"minmax", "percentile", "mse"};
const std::vector<std::string> kQuantTeachers{"recipe", "self"};
const std::vector<std::string> kDataKeys{
    "dataset",     "root",       "val_root",       "subset",       "workers",        "canvas",
    "min_items",   "max_items",  "min_scale",      "max_scale",    "train_scenes",   "val_scenes",
    "scene_seed",  "image_size", "image_channels", "val_fraction", "holdout",        "num_classes",
    "class_names", "images",     "annotations",    "val_images",   "val_annotations"};
const std::vector<std::string> kModelKeys{"arch", "head", "width", "onnx", "checkpoint"};
const std::vector<std::string> kTeacherKeys{"arch", "head", "width", "onnx", "checkpoint", "precision"};
const std::vector<std::string> kTeacherPrecisions{"fp32", "bf16", "int8", "auto"};
// Every method's own parameters (methodParams), once each; a term accepts only its method's.
const std::vector<std::string> kMethodParamKeys = [] {
    std::vector<std::string> keys;
    for (const auto& m : methodNames())
        for (const auto& p : methodParams(methodFrom(m, "method")))
            if (std::find(keys.begin(), keys.end(), p.name) == keys.end()) keys.push_back(p.name);
    return keys;
}();
const std::vector<std::string> kLossKeys = [] {
    std::vector<std::string> keys{"method",       "weight",      "tau",  "tap",
                                  "teacher_tap",  "student_tap", "pool", "weight_schedule",
                                  "weight_floor", "peer"};
    keys.insert(keys.end(), kMethodParamKeys.begin(), kMethodParamKeys.end());
    return keys;
}();
const std::vector<std::string> kOptimKeys{"name",         "lr",    "momentum", "nesterov",
                                          "weight_decay", "betas", "eps"};
const std::vector<std::string> kScheduleKeys{"name", "warmup_epochs", "milestones", "gamma", "min_lr"};
const std::vector<std::string> kTrainKeys{"epochs",    "batch_size",       "eval_batch_size", "max_steps",
                                          "log_every", "checkpoint_every", "sync_bn"};

std::string joined(const std::vector<std::string>& items) {
    std::string out;
    for (const auto& item : items)
        out += (out.empty() ? "" : ", ") + item;
    return out;
}

bool contains(const std::vector<std::string>& items, const std::string& value) {
    return std::find(items.begin(), items.end(), value) != items.end();
}

// Shortest text that reads back to the same value; to_chars ignores the C locale, which Qt sets from the
// environment (a decimal comma would break both writing and reading).
template <typename T>
std::string formatNumber(T value) {
    char buffer[64];
    auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Sequence:
            return "a sequence";
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Scalar:
            return "'" + node.Scalar() + "'";
        default:
            return "nothing";
    }
}

/** True when `path` is `prefix` or lies inside it ("losses[1].tau" inside "losses[1]"). */
bool within(const std::string& path, const std::string& prefix) {
    if (path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return false;
    return path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[';
}

std::string joinPath(const std::string& parent, const std::string& key) {
    return parent.empty() ? key : parent + "." + key;
}

/** A --set and the field path it wrote, in message form ("losses[1].weight"). */
struct Override {
    std::string text;
    std::string path;
};

bool isIndex(const std::string& s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Recursion instead of walking a Node handle: assigning one yaml-cpp Node to another rewrites the tree.
void setPath(YAML::Node node, const std::vector<std::string>& segments, size_t i, const YAML::Node& value,
             std::string& path, const std::string& where) {
    const std::string& segment = segments[i];
    const bool last = i + 1 == segments.size();
    const std::string shown = path.empty() ? "the recipe" : path;
    if (isIndex(segment)) {
        if (!node.IsSequence())
            throw Error(where + ": " + joinPath(path, segment) + ": " + shown +
                        " is not a list, cannot index it");
        size_t index = 0;
        const auto parsed = std::from_chars(segment.data(), segment.data() + segment.size(), index);
        if (parsed.ec != std::errc() || index > node.size())
            throw Error(where + ": " + path + "[" + segment + "]: index out of range (" + path + " has " +
                        std::to_string(node.size()) + " entries; an index equal to the count appends)");
        path += "[" + segment + "]";
        if (index == node.size()) node.push_back(YAML::Node(YAML::NodeType::Map));
        if (last) {
            node[index] = value;
            return;
        }
        setPath(node[index], segments, i + 1, value, path, where);
        return;
    }
    if (node.IsScalar() || node.IsSequence())
        throw Error(where + ": " + joinPath(path, segment) + ": " + shown + " is " + describe(node) +
                    ", not a map, so it has no field '" + segment + "'");
    path = joinPath(path, segment);
    if (last) {
        node[segment] = value;
        return;
    }
    setPath(node[segment], segments, i + 1, value, path, where);
}

Override applyOverride(YAML::Node& root, const std::string& text) {
    const std::string where = "--set " + text;
    const size_t eq = text.find('=');
    std::string key = eq == std::string::npos ? text : text.substr(0, eq);
    key.erase(key.find_last_not_of(" \t") + 1);
    key.erase(0, key.find_first_not_of(" \t"));
    if (eq == std::string::npos || key.empty())
        throw Error(where + ": " + (key.empty() ? "(none)" : key) +
                    ": expected dotted.key=value (e.g. train.epochs=3 or losses.1.weight=10)");
    std::vector<std::string> segments;
    std::stringstream stream(key);
    for (std::string segment; std::getline(stream, segment, '.');)
        segments.push_back(segment);
    if (key.back() == '.' ||
        std::any_of(segments.begin(), segments.end(), [](const std::string& s) { return s.empty(); }))
        throw Error(where + ": " + key + ": empty part in the key (expected dotted.key=value)");
    YAML::Node value;
    try {
        value = YAML::Load(text.substr(eq + 1));
    } catch (const YAML::Exception& e) {
        throw Error(where + ": " + key + ": the value is not valid YAML: " + e.msg);
    }
    std::string path;
    setPath(root, segments, 0, value, path, where);
    return {text, path};
}

/** A value in the tree with its dotted path and where to point messages about it. */
struct Field {
    std::string path;
    std::string where;
    bool present = false;
    YAML::Node node;  // a valid Null node when absent: yaml-cpp's "zombie" nodes throw on most calls

    Field() = default;
    Field(const Field&) = default;
    // Assigning yaml-cpp nodes rewrites the tree they point into; fields are only ever constructed.
    Field& operator=(const Field&) = delete;
};

class Parser {
public:
    Parser(std::string source, std::vector<Override> overrides)
        : mSource(std::move(source)), mOverrides(std::move(overrides)) {}

    Recipe parse(const YAML::Node& rootNode, const std::string& baseDir);

private:
    std::string mSource;
    std::vector<Override> mOverrides;
    std::string mBaseDir;
    JobKind mJob = JobKind::Train;

    [[noreturn]] void fail(const Field& field, const std::string& message) const {
        throw Error(field.where + ": " + (field.path.empty() ? "recipe" : field.path) + ": " + message);
    }
    [[noreturn]] void fail(const std::string& where, const std::string& path,
                           const std::string& message) const {
        throw Error(where + ": " + path + ": " + message);
    }

    // Nodes written by --set carry marks from the override's own text, so the override names them.
    std::string whereOf(const std::string& path, const YAML::Node& node, const std::string& fallback) const {
        if (!path.empty())
            for (auto it = mOverrides.rbegin(); it != mOverrides.rend(); ++it)
                if (within(path, it->path)) return "--set " + it->text;
        if (node.IsDefined() && node.Mark().line >= 0)
            return mSource + ":" + std::to_string(node.Mark().line + 1);
        if (!path.empty())
            for (auto it = mOverrides.rbegin(); it != mOverrides.rend(); ++it)
                if (within(it->path, path)) return "--set " + it->text;
        return fallback;
    }

    // Points at the key's line: a null or block value's own mark lies on the next line.
    Field child(const Field& parent, const std::string& key) const {
        Field field;
        field.path = joinPath(parent.path, key);
        YAML::Node keyNode;
        if (parent.present && parent.node.IsMap())
            for (const auto& entry : parent.node)
                if (entry.first.IsScalar() && entry.first.Scalar() == key) {
                    field.node.reset(entry.second);
                    keyNode.reset(entry.first);
                    field.present = true;
                    break;
                }
        field.where = whereOf(field.path, keyNode, parent.where);
        return field;
    }

    Field item(const Field& parent, size_t index) const {
        Field field;
        field.path = parent.path + "[" + std::to_string(index) + "]";
        const YAML::Node& sequence = parent.node;
        field.node.reset(sequence[index]);
        field.present = true;
        field.where = whereOf(field.path, field.node, parent.where);
        return field;
    }

    /** Requires a map (or nothing/null) and rejects keys outside `allowed`, pointing at the key's line. */
    void checkMap(const Field& field, const std::vector<std::string>& allowed,
                  const std::string& example) const {
        if (!field.present || field.node.IsNull()) return;
        if (!field.node.IsMap()) fail(field, "expected a map" + example + ", got " + describe(field.node));
        std::set<std::string> seen;
        for (const auto& entry : field.node) {
            const YAML::Node& keyNode = entry.first;
            if (!keyNode.IsScalar())
                fail(whereOf(field.path, keyNode, field.where), field.path.empty() ? "recipe" : field.path,
                     "expected plain key names, got " + describe(keyNode) + " as a key");
            const std::string key = keyNode.Scalar();
            const std::string path = joinPath(field.path, key);
            const std::string where = whereOf(path, keyNode, field.where);
            if (!contains(allowed, key)) fail(where, path, "unknown key (allowed: " + joined(allowed) + ")");
            if (!seen.insert(key).second) fail(where, path, "duplicate key (each key may appear once)");
        }
    }

    bool scalar(const Field& field, const std::string& expected, std::string& out) const {
        if (!field.present) return false;
        if (!field.node.IsScalar()) fail(field, "expected " + expected + ", got " + describe(field.node));
        out = field.node.Scalar();
        return true;
    }

    bool getString(const Field& field, std::string& out) const {
        if (!field.present) return false;
        if (field.node.IsNull()) {
            out.clear();
            return true;
        }
        return scalar(field, "a string", out);
    }

    bool getNonEmpty(const Field& field, std::string& out) const {
        if (!getString(field, out)) return false;
        if (out.empty()) fail(field, "expected a non-empty string, got nothing");
        return true;
    }

    /** A list of tap names ([stage1, stage2]) or one name; each non-empty. */
    bool getTapList(const Field& field, std::vector<std::string>& out) const {
        if (!field.present) return false;
        out.clear();
        if (!field.node.IsSequence()) {
            std::string one;
            getNonEmpty(field, one);
            out.push_back(one);
            return true;
        }
        for (size_t i = 0; i < field.node.size(); ++i) {
            const Field entry = item(field, i);
            std::string name;
            if (!entry.node.IsScalar()) fail(entry, "expected a tap name, got " + describe(entry.node));
            getNonEmpty(entry, name);
            out.push_back(name);
        }
        return true;
    }

    bool getChoice(const Field& field, std::string& out, const std::vector<std::string>& allowed,
                   const std::string& noun) const {
        std::string value;
        if (!getString(field, value)) return false;
        if (!contains(allowed, value))
            fail(field, "unknown " + noun + " '" + value + "' (allowed: " + joined(allowed) + ")");
        out = value;
        return true;
    }

    template <typename T>
    bool getInt(const Field& field, T& out) const {
        static_assert(std::is_integral_v<T>);
        const std::string expected = std::is_unsigned_v<T> ? "a non-negative integer" : "an integer";
        std::string text;
        if (!scalar(field, expected, text)) return false;
        const bool plus =
            text.size() > 1 && text[0] == '+' && std::isdigit(static_cast<unsigned char>(text[1]));
        const char* end = text.data() + text.size();
        std::conditional_t<std::is_signed_v<T>, long long, unsigned long long> value{};
        auto result = std::from_chars(text.data() + (plus ? 1 : 0), end, value);
        if (text.empty() || result.ptr != end ||
            (result.ec != std::errc() && result.ec != std::errc::result_out_of_range))
            fail(field, "expected " + expected + ", got '" + text + "'");
        if (result.ec == std::errc::result_out_of_range || value < std::numeric_limits<T>::min() ||
            value > std::numeric_limits<T>::max())
            fail(field, "expected " + expected + ", got '" + text + "' (out of range)");
        out = static_cast<T>(value);
        return true;
    }

    template <typename T>
    bool getNumber(const Field& field, T& out) const {
        std::string text;
        if (!scalar(field, "a number", text)) return false;
        const bool plus = text.size() > 1 && text[0] == '+' && text[1] != '-';
        const char* end = text.data() + text.size();
        T value{};
        auto result = std::from_chars(text.data() + (plus ? 1 : 0), end, value, std::chars_format::general);
        if (text.empty() || result.ec != std::errc() || result.ptr != end || !std::isfinite(value))
            fail(field, "expected a number, got '" + text + "'");
        out = value;
        return true;
    }

    bool getBool(const Field& field, bool& out) const {
        std::string text;
        if (!scalar(field, "true or false", text)) return false;
        bool value = false;
        if (!YAML::convert<bool>::decode(field.node, value))
            fail(field, "expected true or false, got '" + text + "'");
        out = value;
        return true;
    }

    template <typename T>
    void intAtLeast(const Field& field, T& out, T minimum) const {
        if (getInt(field, out) && out < minimum)
            fail(field, "expected an integer >= " + std::to_string(minimum) + ", got " + std::to_string(out));
    }

    void positive(const Field& field, double& out) const {
        if (getNumber(field, out) && !(out > 0))
            fail(field, "expected a number > 0, got " + formatNumber(out));
    }

    void nonNegative(const Field& field, double& out) const {
        if (getNumber(field, out) && out < 0) fail(field, "expected a number >= 0, got " + formatNumber(out));
    }

    void unitInterval(const Field& field, double& out, bool includeOne) const {
        if (getNumber(field, out) && (out < 0 || out > 1 || (!includeOne && out == 1)))
            fail(field, std::string("expected a number in [0, 1") + (includeOne ? "]" : ")") + ", got " +
                            formatNumber(out));
    }

    bool getSequence(const Field& field, const std::string& example) const {
        if (!field.present || field.node.IsNull()) return false;
        if (!field.node.IsSequence())
            fail(field, "expected a sequence" + example + ", got " + describe(field.node));
        return true;
    }

    template <typename T>
    bool getNumberList(const Field& field, std::vector<T>& out) const {
        if (!field.present) return false;
        out.clear();
        if (field.node.IsScalar()) {  // a single number stands for a one-element list
            T value{};
            getNumber(field, value);
            out.push_back(value);
            return true;
        }
        if (!getSequence(field, " of numbers")) return true;
        for (size_t i = 0; i < field.node.size(); ++i) {
            T value{};
            getNumber(item(field, i), value);
            out.push_back(value);
        }
        return true;
    }

    std::string resolvePath(const std::string& path) const {
        if (path.empty()) return path;
        fs::path p(path);
        if (p.is_relative()) p = fs::path(mBaseDir) / p;
        p = p.lexically_normal();
        if (!p.has_filename() && p.has_parent_path() && p != p.root_path()) p = p.parent_path();
        return p.string();
    }

    void parseData(const Field& field, DataConfig& data) const;
    void parseTransforms(const Field& field, std::vector<TransformStep>& steps) const;
    void parseModel(const Field& field, ModelSpec& model, bool required) const;
    void parseTeacher(const Field& field, const Field& jobField, TeacherSpec& teacher) const;
    void parseLosses(const Field& field, std::vector<LossTermSpec>& losses) const;
    void parseOptim(const Field& field, OptimSpec& optim) const;
    void parseSchedule(const Field& field, ScheduleSpec& schedule) const;
    void parseTrain(const Field& field, Recipe& recipe) const;
    void parseQuant(const Field& field, QuantSpec& quant, const std::vector<LossTermSpec>& losses) const;
    void parseDiagnostics(const Field& field, DiagnosticsSpec& spec) const;
    void parseDataFree(const Field& field, Recipe& recipe) const;
};

Recipe Parser::parse(const YAML::Node& rootNode, const std::string& baseDir) {
    mBaseDir = baseDir;
    Field root;
    root.node.reset(rootNode);
    root.present = true;
    root.where = whereOf("", rootNode, mSource + ":1");
    checkMap(root, kTopKeys, "");

    Recipe recipe;
    recipe.sourcePath = mSource;
    recipe.baseDir = baseDir;
    getNonEmpty(child(root, "name"), recipe.name);
    const Field job = child(root, "job");
    std::string jobText = "train";
    getChoice(job, jobText, kJobs, "job");
    parseJob(jobText, recipe.job);
    mJob = recipe.job;
    getInt(child(root, "seed"), recipe.seed);
    intAtLeast(child(root, "threads"), recipe.threads, 0);
    getChoice(child(root, "device"), recipe.device, kDevices, "device");
    getChoice(child(root, "precision"), recipe.precision, kPrecisions, "precision");
    parseData(child(root, "data"), recipe.data);

    const Field transforms = child(root, "transforms");
    checkMap(transforms, {"train", "eval"}, " with train and eval lists");
    parseTransforms(child(transforms, "train"), recipe.trainTransforms);
    parseTransforms(child(transforms, "eval"), recipe.evalTransforms);

    const Field model = child(root, "model");
    if (!model.present)
        fail(model,
             "required (expected a map with arch, e.g. {arch: resnet8}, or an ONNX file, {onnx: net.onnx})");
    parseModel(model, recipe.student, true);
    parseTeacher(child(root, "teacher"), job, recipe.teacher);
    parseLosses(child(root, "losses"), recipe.losses);
    parseOptim(child(root, "optim"), recipe.optim);
    parseSchedule(child(root, "schedule"), recipe.schedule);
    parseTrain(child(root, "train"), recipe);
    parseQuant(child(root, "quantize"), recipe.quant, recipe.losses);
    parseDiagnostics(child(root, "diagnostics"), recipe.diagnostics);
    parseDataFree(child(root, "data_free"), recipe);
    return recipe;
}

void Parser::parseDataFree(const Field& field, Recipe& recipe) const {
    if (!field.present || field.node.IsNull()) return;
    checkMap(field, kDataFreeKeys, "");
    DataFreeSpec& spec = recipe.dataFree;
    spec.enabled = true;  // the section's presence asks for it; enabled: false keeps it for later
    getBool(child(field, "enabled"), spec.enabled);
    intAtLeast(child(field, "latent"), spec.latent, 1);
    intAtLeast(child(field, "width"), spec.width, 4);
    positive(child(field, "lr"), spec.lr);
    intAtLeast(child(field, "generator_steps"), spec.generatorSteps, 1);
    nonNegative(child(field, "bn"), spec.bnWeight);
    nonNegative(child(field, "ce"), spec.ceWeight);
    nonNegative(child(field, "adversarial"), spec.adversarialWeight);
    intAtLeast(child(field, "steps_per_epoch"), spec.stepsPerEpoch, int64_t{0});
    if (!spec.enabled) return;
    const std::string problem = dataFreeProblem(recipe);
    if (!problem.empty()) fail(field, problem);
}

void Parser::parseDiagnostics(const Field& field, DiagnosticsSpec& spec) const {
    if (!field.present) return;
    checkMap(field, kDiagnosticsKeys, "");
    intAtLeast(child(field, "every"), spec.every, 0);
    auto share = [&](const char* key, double& out) {
        const Field f = child(field, key);
        if (getNumber(f, out) && !(out > 0.0 && out < 1.0))
            fail(f,
                 "expected a share of the gradient between 0 and 1 (0.9 = 90 %), got " + formatNumber(out));
    };
    share("dominant", spec.dominant);
    share("negligible", spec.negligible);
    share("target_share", spec.targetShare);
    if (spec.negligible >= spec.dominant)
        fail(child(field, "negligible"), "expected below dominant (" + formatNumber(spec.dominant) +
                                             "), got " + formatNumber(spec.negligible));
}

void Parser::parseQuant(const Field& field, QuantSpec& quant, const std::vector<LossTermSpec>& losses) const {
    if (!field.present) return;
    checkMap(field, kQuantKeys, "");
    getBool(child(field, "enabled"), quant.enabled);
    const Field from = child(field, "from");
    if (getString(from, quant.from)) quant.from = resolvePath(quant.from);
    if (quant.enabled && quant.from.empty())
        fail(from,
             "required when quantize.enabled is true (expected the fp32 student's run folder or checkpoint)");
    getChoice(child(field, "observer"), quant.observer, kObservers, "observer");
    const Field percentile = child(field, "percentile");
    if (getNumber(percentile, quant.percentile) && !(quant.percentile > 50.0 && quant.percentile <= 100.0))
        fail(percentile, "expected a percentage in (50, 100], got " + formatNumber(quant.percentile));
    intAtLeast(child(field, "calibration_batches"), quant.calibrationBatches, 1);
    auto bitsOk = [](int b) { return b == 8 || b == 6 || b == 4 || b == 2; };
    const Field weightBits = child(field, "weight_bits");
    if (getInt(weightBits, quant.weightBits) && !bitsOk(quant.weightBits))
        fail(weightBits, "expected 8, 6, 4 or 2, got " + std::to_string(quant.weightBits));
    const Field layerBits = child(field, "layer_bits");
    if (layerBits.present && !layerBits.node.IsNull()) {
        if (!layerBits.node.IsMap())
            fail(layerBits, "expected a map of layer name to bits, e.g. {stage1.0.conv1: 4}, got " +
                                describe(layerBits.node));
        quant.layerBits.clear();
        for (const auto& kv : layerBits.node) {
            const std::string name = kv.first.as<std::string>();
            const Field entry = child(layerBits, name);
            int bits = 8;
            if (getInt(entry, bits) && !(bitsOk(bits) || bits == 0))
                fail(entry, "expected 8, 6, 4, 2 or 0 (float), got " + std::to_string(bits));
            quant.layerBits[name] = bits;
        }
    }
    getBool(child(field, "lsq"), quant.lsq);
    getChoice(child(field, "teacher"), quant.teacher, kQuantTeachers, "teacher");
    getString(child(field, "budget"), quant.budget);

    // Once-QAT: one model holding every width of the list, the first being its top precision.
    const Field vertical = child(field, "vertical");
    if (vertical.present && !vertical.node.IsNull()) {
        quant.vertical.clear();
        if (getSequence(vertical, " of weight widths from the top down, e.g. [8, 6, 4, 2]"))
            for (size_t i = 0; i < vertical.node.size(); ++i) {
                const Field entry = item(vertical, i);
                int bits = 0;
                getInt(entry, bits);
                if (!bitsOk(bits)) fail(entry, "expected 8, 6, 4 or 2, got " + std::to_string(bits));
                if (!quant.vertical.empty() && bits >= quant.vertical.back())
                    fail(entry, "expected widths in decreasing order (each below " +
                                    std::to_string(quant.vertical.back()) + "), got " + std::to_string(bits));
                quant.vertical.push_back(bits);
            }
        if (quant.vertical.size() < 2)
            fail(vertical,
                 "expected at least two widths (one model for several precisions), e.g. [8, 6, 4, 2]");
        if (!quant.layerBits.empty())
            fail(child(field, "layer_bits"),
                 "cannot be combined with vertical (every layer holds every width)");
        if (!quant.budget.empty())
            fail(child(field, "budget"), "cannot be combined with vertical (every layer holds every width)");
        if (weightBits.present && quant.weightBits != quant.vertical.front())
            fail(weightBits, "expected the top width of vertical (" + std::to_string(quant.vertical.front()) +
                                 "), got " + std::to_string(quant.weightBits));
        quant.weightBits = quant.vertical.front();
        // Terms that update state of their own on every evaluation would update it once per width.
        for (const auto& term : losses)
            if (term.method == LossMethod::Crd || term.method == LossMethod::Dml)
                fail(vertical, std::string("cannot train with a ") + methodName(term.method) +
                                   " term (it updates its memory or peer once per evaluation, and vertical "
                                   "evaluates the student once per width)");
    }
}

void Parser::parseData(const Field& field, DataConfig& data) const {
    checkMap(field, kDataKeys, "");
    getChoice(child(field, "dataset"), data.dataset, kDatasets, "dataset");
    if (getString(child(field, "root"), data.root)) data.root = resolvePath(data.root);
    if (getString(child(field, "val_root"), data.valRoot)) data.valRoot = resolvePath(data.valRoot);
    for (auto [key, value] : {std::pair<const char*, std::string*>{"images", &data.images},
                              {"annotations", &data.annotations},
                              {"val_images", &data.valImages},
                              {"val_annotations", &data.valAnnotations}})
        if (getString(child(field, key), *value)) *value = resolvePath(*value);
    intAtLeast(child(field, "subset"), data.subset, 0);
    intAtLeast(child(field, "workers"), data.workers, 0);
    intAtLeast(child(field, "canvas"), data.canvas, 1);
    intAtLeast(child(field, "min_items"), data.minItems, 1);
    const Field maxItems = child(field, "max_items");
    if (getInt(maxItems, data.maxItems) && data.maxItems < data.minItems)
        fail(maxItems, "expected an integer >= min_items (" + std::to_string(data.minItems) + "), got " +
                           std::to_string(data.maxItems));
    positive(child(field, "min_scale"), data.minScale);
    const Field maxScale = child(field, "max_scale");
    if (getNumber(maxScale, data.maxScale) && data.maxScale < data.minScale)
        fail(maxScale, "expected a number >= min_scale (" + formatNumber(data.minScale) + "), got " +
                           formatNumber(data.maxScale));
    intAtLeast(child(field, "train_scenes"), data.trainScenes, 1);
    intAtLeast(child(field, "val_scenes"), data.valScenes, 1);
    getInt(child(field, "scene_seed"), data.sceneSeed);
    intAtLeast(child(field, "image_size"), data.imageSize, 0);
    const Field channels = child(field, "image_channels");
    if (getInt(channels, data.imageChannels) && data.imageChannels != 1 && data.imageChannels != 3)
        fail(channels, "expected 1 (grayscale) or 3 (colour), got " + std::to_string(data.imageChannels));
    unitInterval(child(field, "val_fraction"), data.valFraction, false);
    intAtLeast(child(field, "holdout"), data.holdout, 0);
    intAtLeast(child(field, "num_classes"), data.numClasses, 0);
    const Field names = child(field, "class_names");
    if (names.present) {
        data.classNames.clear();
        if (getSequence(names, " of strings"))
            for (size_t i = 0; i < names.node.size(); ++i) {
                std::string name;
                getString(item(names, i), name);
                data.classNames.push_back(name);
            }
    }
}

void Parser::parseTransforms(const Field& field, std::vector<TransformStep>& steps) const {
    if (!field.present) return;
    steps.clear();
    if (!getSequence(field, " of transforms, e.g. [{hflip: 0.5}]")) return;
    for (size_t i = 0; i < field.node.size(); ++i) {
        const Field entry = item(field, i);
        if (!entry.node.IsMap() || entry.node.size() != 1)
            fail(entry, "expected a map with one transform, e.g. {hflip: 0.5}, got " + describe(entry.node));
        const YAML::Node keyNode = entry.node.begin()->first;  // a copy: the iterator's proxy is temporary
        const std::string kind = keyNode.IsScalar() ? keyNode.Scalar() : describe(keyNode);
        if (!contains(kTransforms, kind))
            fail(whereOf(entry.path, keyNode, entry.where), entry.path,
                 "unknown transform '" + kind + "' (allowed: " + joined(kTransforms) + ")");
        const Field value = child(entry, kind);
        TransformStep step;
        if (kind == "hflip") {
            step.kind = TransformStep::Kind::HFlip;
            if (value.node.IsNull()) fail(value, "expected a probability in [0, 1], got nothing");
            unitInterval(value, step.probability, true);
        } else if (kind == "normalize") {
            step.kind = TransformStep::Kind::Normalize;
            checkMap(value, {"mean", "std"}, " with mean and std");
            const Field mean = child(value, "mean");
            const Field stdev = child(value, "std");
            if (!getNumberList(mean, step.mean) || step.mean.empty())
                fail(mean, "required (expected a list of per-channel means, e.g. [0.286])");
            if (!getNumberList(stdev, step.std) || step.std.size() != step.mean.size())
                fail(stdev, "expected a list of " + std::to_string(step.mean.size()) +
                                " per-channel standard deviations (as many as mean)");
            for (size_t c = 0; c < step.std.size(); ++c)
                if (!(step.std[c] > 0))
                    fail(item(stdev, c), "expected a number > 0, got " + formatNumber(step.std[c]));
        } else if (kind == "random_crop") {
            step.kind = TransformStep::Kind::RandomCrop;
            if (value.node.IsScalar()) {  // {random_crop: 28} is short for {random_crop: {size: 28}}
                intAtLeast(value, step.size, 0);
            } else {
                checkMap(value, {"size", "padding"}, " with size and padding");
                intAtLeast(child(value, "size"), step.size, 0);
                intAtLeast(child(value, "padding"), step.padding, 0);
            }
        } else {
            step.kind = TransformStep::Kind::Resize;
            if (value.node.IsScalar()) {
                intAtLeast(value, step.size, 1);
            } else {
                checkMap(value, {"size", "height", "width"}, " with size, or height and width");
                const Field size = child(value, "size");
                const Field height = child(value, "height");
                const Field width = child(value, "width");
                if (size.present) {
                    if (height.present || width.present)
                        fail(size, "give either size or height and width, not both");
                    intAtLeast(size, step.size, 1);
                } else {
                    if (!height.present || !width.present)
                        fail(value, "expected size, or both height and width (e.g. {size: 32})");
                    intAtLeast(height, step.height, 1);
                    intAtLeast(width, step.width, 1);
                }
            }
        }
        steps.push_back(step);
    }
}

void Parser::parseModel(const Field& field, ModelSpec& model, bool required) const {
    checkMap(field, required ? kModelKeys : kTeacherKeys, " with arch");
    const Field onnx = child(field, "onnx");
    if (getString(onnx, model.onnx)) {
        if (model.onnx.empty()) fail(onnx, "expected the path of an ONNX file, e.g. models/net.onnx");
        model.onnx = resolvePath(model.onnx);
    }
    const Field arch = child(field, "arch");
    const bool hasArch = getString(arch, model.arch) && !model.arch.empty();
    if (hasArch && !model.onnx.empty())
        fail(arch, "give either arch (a zoo model) or onnx (an imported file), not both");
    // The student may start from a checkpoint's model (the teacher's `checkpoint` is its own field).
    const Field checkpoint = child(field, "checkpoint");
    if (required && getString(checkpoint, model.checkpoint)) {
        if (model.checkpoint.empty())
            fail(checkpoint, "expected a checkpoint file or run folder, e.g. runs/pruned/pruned.pt");
        if (!model.onnx.empty())
            fail(checkpoint,
                 "give either onnx (an imported file) or checkpoint (a Distillery model), not both");
        model.checkpoint = resolvePath(model.checkpoint);
    }
    if (!hasArch && model.onnx.empty() && model.checkpoint.empty()) {
        if (required)
            fail(arch,
                 "required (expected an architecture name, e.g. resnet8, onnx: FILE for an imported "
                 "model, or checkpoint: FILE for a Distillery model such as a pruned one)");
    }
    const Field head = child(field, "head");
    if (getString(head, model.head) && !model.head.empty() && !contains(kHeads, model.head))
        fail(head, "unknown head '" + model.head + "' (allowed: " + joined(kHeads) +
                       ", or empty for classification)");
    positive(child(field, "width"), model.width);
}

void Parser::parseTeacher(const Field& field, const Field& jobField, TeacherSpec& teacher) const {
    const bool distill = mJob == JobKind::Distill;
    if (distill && !field.present)
        fail(jobField.where, "teacher",
             "required for job: distill (expected a map with arch and checkpoint)");
    parseModel(field, teacher.model, false);
    const Field arch = child(field, "arch");
    const bool imported = !teacher.model.onnx.empty();
    if (distill && teacher.model.arch.empty() && !imported)
        fail(arch, "required for job: distill (expected an architecture name, e.g. resnet20, or onnx: FILE)");
    const Field checkpoint = child(field, "checkpoint");
    getString(checkpoint, teacher.checkpoint);
    // An imported teacher brings its weights; a checkpoint (a fine-tuned copy of it) is optional.
    if (distill && teacher.checkpoint.empty() && !imported)
        fail(checkpoint, "required for job: distill (expected a run folder or checkpoint file)");
    teacher.checkpoint = resolvePath(teacher.checkpoint);
    getChoice(child(field, "precision"), teacher.precision, kTeacherPrecisions, "precision");
}

void Parser::parseLosses(const Field& field, std::vector<LossTermSpec>& losses) const {
    losses.clear();
    if (!field.present) {
        LossTermSpec task;
        task.method = LossMethod::Task;
        losses.push_back(task);
        return;
    }
    if (!getSequence(field, " of loss terms, e.g. [{method: task}]") || field.node.size() == 0)
        fail(field, "expected at least one loss term, e.g. [{method: task}]");
    std::set<std::string> labels;
    for (size_t i = 0; i < field.node.size(); ++i) {
        const Field entry = item(field, i);
        if (!entry.node.IsMap())
            fail(entry, "expected a map like {method: kd, weight: 1}, got " + describe(entry.node));
        checkMap(entry, kLossKeys, "");
        LossTermSpec term;
        const Field method = child(entry, "method");
        const std::string allowed = " (allowed: " + joined(kMethods) + ")";
        std::string methodText;
        if (!getString(method, methodText)) fail(method, "required" + allowed);
        if (!parseMethod(methodText, term.method))
            fail(method, "unknown method '" + printable(methodText) + "'" + allowed);
        if (term.method != LossMethod::Task && term.method != LossMethod::Dml && mJob != JobKind::Distill)
            fail(method, "'" + methodText +
                             "' is a distillation term and needs job: distill (train jobs allow only task)");

        const Field tap = child(entry, "tap");
        const Field teacherTap = child(entry, "teacher_tap");
        const Field studentTap = child(entry, "student_tap");
        if (term.method == LossMethod::Task) {
            for (const Field* f : {&tap, &teacherTap, &studentTap})
                if (f->present)
                    fail(*f, "task takes no taps (it compares the student's logits with the labels)");
        } else {
            if (tap.present && (teacherTap.present || studentTap.present))
                fail(tap, "give either tap or teacher_tap and student_tap, not both");
            if (methodTakesTapList(term.method)) {
                // Lists of taps, one per stage; tap: sets both sides.
                const int least = minimumTaps(term.method);
                const std::string need = methodText + " takes a list of at least " + std::to_string(least) +
                                         " tap" + (least > 1 ? "s" : "") + " (e.g. [stage1, stage2, stage3])";
                if (tap.present) {
                    getTapList(tap, term.teacherTaps);
                    term.studentTaps = term.teacherTaps;
                } else {
                    getTapList(teacherTap, term.teacherTaps);
                    getTapList(studentTap, term.studentTaps);
                }
                const Field& tField = tap.present ? tap : teacherTap;
                const Field& sField = tap.present ? tap : studentTap;
                if (term.teacherTaps.empty()) fail(tField, "required: " + need);
                if (term.studentTaps.empty()) fail(sField, "required: " + need);
                if (static_cast<int>(term.teacherTaps.size()) < least) fail(tField, need);
                if (term.studentTaps.size() != term.teacherTaps.size())
                    fail(sField, "expected " + std::to_string(term.teacherTaps.size()) +
                                     " student taps, one for each teacher tap, got " +
                                     std::to_string(term.studentTaps.size()));
                for (const auto* list : {&term.teacherTaps, &term.studentTaps})
                    for (size_t a = 0; a < list->size(); ++a)
                        for (size_t b = a + 1; b < list->size(); ++b)
                            if ((*list)[a] == (*list)[b])
                                fail(list == &term.teacherTaps ? tField : sField,
                                     "tap '" + printable((*list)[a]) + "' appears twice");
                term.teacherTap = term.teacherTaps.front();
                term.studentTap = term.studentTaps.front();
            } else if (tap.present) {
                getNonEmpty(tap, term.teacherTap);
                term.studentTap = term.teacherTap;
            } else {
                getNonEmpty(teacherTap, term.teacherTap);
                getNonEmpty(studentTap, term.studentTap);
            }
            const bool logitsByDefault = term.method == LossMethod::Kd ||
                                         term.method == LossMethod::PixelKd ||
                                         term.method == LossMethod::Dkd || term.method == LossMethod::Dist ||
                                         term.method == LossMethod::Dml;
            if (logitsByDefault) {
                if (term.teacherTap.empty()) term.teacherTap = "logits";
                if (term.studentTap.empty()) term.studentTap = "logits";
            }
            for (const Field* f : {&teacherTap, &studentTap})
                if ((f == &teacherTap ? term.teacherTap : term.studentTap).empty())
                    fail(*f,
                         "required for " + methodText + " (a tap name such as stage3, or tap: to set both)");
        }

        const Field peer = child(entry, "peer");
        if (term.method == LossMethod::Dml) {
            if (!peer.present)
                fail(peer,
                     "required for dml (the peer model trained beside the student, e.g. "
                     "peer: resnet8 or peer: {arch: mobilenetv2, width: 0.5})");
            if (peer.node.IsScalar()) {
                getNonEmpty(peer, term.peer.arch);
            } else {
                parseModel(peer, term.peer, true);
                if (!term.peer.onnx.empty() || !term.peer.checkpoint.empty())
                    fail(peer, "a peer is a zoo architecture (arch, head, width)");
            }
        } else if (peer.present) {
            fail(peer, "only dml trains a peer");
        }
        nonNegative(child(entry, "weight"), term.weight);
        const Field schedule = child(entry, "weight_schedule");
        if (schedule.present) {
            std::string text;
            getString(schedule, text);
            if (text != "constant" && text != "cosine")
                fail(schedule,
                     "unknown weight schedule '" + printable(text) + "' (allowed: constant, cosine)");
            if (term.method == LossMethod::Task) fail(schedule, "the task term's weight has no schedule");
            term.cosineWeight = text == "cosine";
        }
        const Field floor = child(entry, "weight_floor");
        if (floor.present) {
            nonNegative(floor, term.weightFloor);
            if (term.weightFloor > 1.0)
                fail(floor,
                     "expected a fraction of the weight in [0, 1], got " + std::to_string(term.weightFloor));
            if (!term.cosineWeight) fail(floor, "weight_floor needs weight_schedule: cosine");
        }
        term.tau = defaultTau(term.method);
        const Field tau = child(entry, "tau");
        positive(tau, term.tau);
        term.hasTau = tau.present;
        intAtLeast(child(entry, "pool"), term.poolSize, 1);
        // The method's own parameters; another method's parameter is an error that names this one's.
        const auto& params = methodParams(term.method);
        for (const auto& key : kMethodParamKeys) {
            const Field f = child(entry, key);
            if (!f.present) continue;
            auto it = std::find_if(params.begin(), params.end(),
                                   [&](const MethodParam& p) { return p.name == key; });
            if (it == params.end()) {
                std::string takes;
                for (const auto& p : params)
                    takes += (takes.empty() ? "" : ", ") + p.name;
                fail(f, "not a parameter of " + methodText +
                            (takes.empty() ? std::string(" (it takes none besides weight and tau)")
                                           : " (its parameters: " + takes + ")"));
            }
            double value = 0.0;
            getNumber(f, value);
            if (!std::isfinite(value) || value < it->minimum)
                fail(f, "expected a number >= " + formatNumber(it->minimum) + " (" + it->meaning + "), got " +
                            formatNumber(value));
            if (value > it->maximum)
                fail(f, "expected a number <= " + formatNumber(it->maximum) + " (" + it->meaning + "), got " +
                            formatNumber(value));
            if (it->integer && value != std::floor(value))
                fail(f, "expected a whole number (" + it->meaning + "), got " + formatNumber(value));
            term.params[key] = value;
        }

        if (!labels.insert(term.label()).second)
            fail(entry, "duplicate term " + term.label() + " (each method and tap pair may appear once)");
        losses.push_back(term);
    }
}

void Parser::parseOptim(const Field& field, OptimSpec& optim) const {
    checkMap(field, kOptimKeys, "");
    getChoice(child(field, "name"), optim.name, kOptimizers, "optimizer");
    positive(child(field, "lr"), optim.lr);
    const Field momentum = child(field, "momentum");
    unitInterval(momentum, optim.momentum, false);
    const Field nesterov = child(field, "nesterov");
    getBool(nesterov, optim.nesterov);
    if (optim.name == "sgd" && optim.nesterov && optim.momentum == 0)
        fail(momentum.present ? momentum : nesterov,
             "nesterov needs momentum > 0, got 0 (set a momentum or nesterov: false)");
    nonNegative(child(field, "weight_decay"), optim.weightDecay);
    const Field betas = child(field, "betas");
    std::vector<double> values;
    if (getNumberList(betas, values)) {
        if (values.size() != 2) fail(betas, "expected two numbers [beta1, beta2], e.g. [0.9, 0.999]");
        for (size_t i = 0; i < 2; ++i)
            if (values[i] < 0 || values[i] >= 1)
                fail(item(betas, i), "expected a number in [0, 1), got " + formatNumber(values[i]));
        optim.beta1 = values[0];
        optim.beta2 = values[1];
    }
    positive(child(field, "eps"), optim.eps);
}

void Parser::parseSchedule(const Field& field, ScheduleSpec& schedule) const {
    checkMap(field, kScheduleKeys, "");
    const Field name = child(field, "name");
    getChoice(name, schedule.name, kSchedules, "schedule");
    nonNegative(child(field, "warmup_epochs"), schedule.warmupEpochs);
    const Field milestones = child(field, "milestones");
    if (milestones.present) {
        schedule.milestones.clear();
        if (getSequence(milestones, " of epochs, e.g. [30, 60]"))
            for (size_t i = 0; i < milestones.node.size(); ++i) {
                const Field entry = item(milestones, i);
                int epoch = 0;
                intAtLeast(entry, epoch, 1);
                if (!schedule.milestones.empty() && epoch <= schedule.milestones.back())
                    fail(entry, "expected increasing epochs, got " + std::to_string(epoch) + " after " +
                                    std::to_string(schedule.milestones.back()));
                schedule.milestones.push_back(epoch);
            }
    }
    if (schedule.name == "step" && schedule.milestones.empty())
        fail(milestones, "required for the step schedule (expected epochs where lr is multiplied by gamma)");
    positive(child(field, "gamma"), schedule.gamma);
    nonNegative(child(field, "min_lr"), schedule.minLr);
}

void Parser::parseTrain(const Field& field, Recipe& recipe) const {
    checkMap(field, kTrainKeys, "");
    intAtLeast(child(field, "epochs"), recipe.epochs, 1);
    intAtLeast(child(field, "batch_size"), recipe.batchSize, 1);
    intAtLeast(child(field, "eval_batch_size"), recipe.evalBatchSize, 1);
    intAtLeast(child(field, "max_steps"), recipe.maxSteps, int64_t{0});
    intAtLeast(child(field, "log_every"), recipe.logEvery, 1);
    getBool(child(field, "sync_bn"), recipe.syncBn);
    const Field every = child(field, "checkpoint_every");
    if (every.present) {
        const std::string expected =
            " (expected a number of steps such as 500, a time such as 10min, 90s or 2h, or 0 for epoch ends "
            "only)";
        if (!every.node.IsScalar())
            fail(every, "expected a value" + expected + ", got " + describe(every.node));
        const std::string text = every.node.Scalar();
        size_t digits = 0;
        while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits])))
            ++digits;
        const std::string unit = text.substr(digits);
        if (digits == 0 || digits > 12)
            fail(every, "'" + printable(text) + "' is not a count or a time" + expected);
        const int64_t n = std::stoll(text.substr(0, digits));
        if (unit.empty()) {
            recipe.checkpointEverySteps = n;
            recipe.checkpointEverySeconds = 0.0;
        } else if (unit == "s" || unit == "min" || unit == "h") {
            recipe.checkpointEverySteps = 0;
            recipe.checkpointEverySeconds = static_cast<double>(n) * (unit == "s"     ? 1.0
                                                                      : unit == "min" ? 60.0
                                                                                      : 3600.0);
        } else {
            fail(every, "unknown unit '" + printable(unit) + "'" + expected);
        }
    }
}

// ---- writing --------------------------------------------------------------------------------------

void emitString(YAML::Emitter& out, const std::string& value) {
    // These read back as null, which would turn a real name into an empty one.
    static const std::set<std::string> nullLike{"", "~", "null", "Null", "NULL"};
    if (nullLike.count(value)) out << YAML::DoubleQuoted;
    out << value;
}

template <typename T>
void emitNumber(YAML::Emitter& out, T value) {
    if constexpr (std::is_floating_point_v<T>)
        out << formatNumber(value);
    else
        out << std::to_string(value);
}

template <typename T>
void emitField(YAML::Emitter& out, const char* key, const T& value) {
    out << YAML::Key << key << YAML::Value;
    if constexpr (std::is_same_v<T, std::string>)
        emitString(out, value);
    else if constexpr (std::is_same_v<T, bool>)
        out << (value ? "true" : "false");
    else
        emitNumber(out, value);
}

template <typename T>
void emitList(YAML::Emitter& out, const char* key, const std::vector<T>& values) {
    out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& value : values) {
        if constexpr (std::is_same_v<T, std::string>)
            emitString(out, value);
        else
            emitNumber(out, value);
    }
    out << YAML::EndSeq;
}

void emitTransforms(YAML::Emitter& out, const char* key, const std::vector<TransformStep>& steps) {
    out << YAML::Key << key << YAML::Value;
    if (steps.empty()) {
        out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
    }
    out << YAML::BeginSeq;
    for (const auto& step : steps) {
        out << YAML::Flow << YAML::BeginMap;
        switch (step.kind) {
            case TransformStep::Kind::HFlip:
                emitField(out, "hflip", step.probability);
                break;
            case TransformStep::Kind::Normalize:
                out << YAML::Key << "normalize" << YAML::Value << YAML::BeginMap;
                emitList(out, "mean", step.mean);
                emitList(out, "std", step.std);
                out << YAML::EndMap;
                break;
            case TransformStep::Kind::RandomCrop:
                out << YAML::Key << "random_crop" << YAML::Value << YAML::BeginMap;
                emitField(out, "size", step.size);
                emitField(out, "padding", step.padding);
                out << YAML::EndMap;
                break;
            case TransformStep::Kind::Resize:
                out << YAML::Key << "resize" << YAML::Value << YAML::BeginMap;
                if (step.size > 0) {
                    emitField(out, "size", step.size);
                } else {
                    emitField(out, "height", step.height);
                    emitField(out, "width", step.width);
                }
                out << YAML::EndMap;
                break;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
}

void emitModel(YAML::Emitter& out, const ModelSpec& model) {
    if (!model.checkpoint.empty()) {
        emitField(out, "checkpoint", model.checkpoint);
        if (!model.arch.empty()) emitField(out, "arch", model.arch);
        return;
    }
    if (!model.onnx.empty()) {
        emitField(out, "onnx", model.onnx);
        return;
    }
    emitField(out, "arch", model.arch);
    emitField(out, "head", model.head);
    emitField(out, "width", model.width);
}

}  // namespace

std::string ModelSpec::displayName() const {
    if (!arch.empty()) return arch;
    if (!onnx.empty()) return fs::path(onnx).filename().string();
    return checkpoint.empty() ? arch : fs::path(checkpoint).filename().string();
}

double LossTermSpec::weightAt(double fraction) const {
    if (!cosineWeight) return weight;
    const double f = std::clamp(fraction, 0.0, 1.0);
    return weight * (weightFloor + (1.0 - weightFloor) * 0.5 * (1.0 + std::cos(3.14159265358979323846 * f)));
}

std::string LossTermSpec::label() const {
    const std::string m = methodName(method);
    if (!teacherTaps.empty()) {
        auto list = [](const std::vector<std::string>& taps) {
            std::string out;
            for (const auto& t : taps)
                out += (out.empty() ? "" : ",") + t;
            return out;
        };
        const std::string t = list(teacherTaps), s = list(studentTaps);
        return m + "[" + t + (t == s ? "" : "/" + s) + "]";
    }
    if (teacherTap.empty() && studentTap.empty()) return m;
    if (teacherTap == studentTap) return m + "[" + teacherTap + "]";
    return m + "[" + teacherTap + "/" + studentTap + "]";
}

std::vector<std::string> quantObserverNames() {
    return kObservers;
}

std::vector<int> weightBitChoices() {
    return {8, 6, 4, 2};
}

std::vector<std::string> lossMethodNames() {
    return kMethods;
}

double defaultTau(LossMethod method) {
    if (method == LossMethod::Idd) return 0.1;  // cosine similarities in [-1, 1]: a sharp spatial softmax
    return method == LossMethod::Kd || method == LossMethod::Cwd || method == LossMethod::Dkd ? 4.0 : 1.0;
}

bool methodTakesTau(LossMethod method) {
    return method == LossMethod::Kd || method == LossMethod::PixelKd || method == LossMethod::Cwd ||
           method == LossMethod::Dkd || method == LossMethod::Dist || method == LossMethod::Idd ||
           method == LossMethod::Dml;
}

const std::vector<MethodParam>& methodParams(LossMethod method) {
    // Defaults are the papers' (docs/METHODS.md), except dkd's warm-up: the paper ramps over 20 of 240
    // epochs, which a recipe sets for its own schedule.
    static const std::vector<MethodParam> none;
    static const std::vector<MethodParam> rkd{
        {"distance", 25.0, 0.0, false, "weight of the distance-wise term"},
        {"angle", 50.0, 0.0, false, "weight of the angle-wise term"}};
    static const std::vector<MethodParam> dkd{
        {"alpha", 1.0, 0.0, false, "weight of target-class KD (TCKD)"},
        {"beta", 8.0, 0.0, false, "weight of non-target-class KD (NCKD)"},
        {"warmup_epochs", 0.0, 0.0, false, "epochs over which the term ramps up linearly from 0"}};
    static const std::vector<MethodParam> dist{
        {"beta", 1.0, 0.0, false, "weight of the inter-class relation"},
        {"gamma", 1.0, 0.0, false, "weight of the intra-class relation"}};
    static const std::vector<MethodParam> cc{
        {"gamma", 0.4, 0.0, false, "Gaussian kernel width"},
        {"order", 2.0, 0.0, true, "order of the kernel's Taylor expansion", 20.0}};
    static const std::vector<MethodParam> vid{
        {"init_variance", 5.0, 1e-4, false, "initial variance of the per-channel Gaussian"}};
    static const std::vector<MethodParam> crd{
        {"feat_dim", 128.0, 1.0, true, "size of the contrastive embedding", 65536.0},
        {"negatives", 16384.0, 1.0, true, "negatives drawn from the memory bank per sample", 1e8},
        {"temperature", 0.07, 1e-6, false, "temperature of the NCE scores"},
        {"momentum", 0.5, 0.0, false, "momentum of the memory bank's updates", 1.0}};
    // The initialisation stage before training (docs/METHODS.md): RepDistiller runs 30 of 240 epochs.
    static const std::vector<MethodParam> fsp{
        {"init_epochs", 0.0, 0.0, true, "epochs of the initialisation stage (student trained by fsp alone)",
         1000.0}};
    static const std::vector<MethodParam> ab{
        {"margin", 1.0, 0.0, false, "margin around the activation boundary"},
        {"init_epochs", 1.0, 0.0, true, "epochs of the initialisation stage (student trained by ab alone)",
         1000.0}};
    static const std::vector<MethodParam> ft{
        {"rate", 0.5, 0.01, false, "factor channels as a fraction of the teacher tap's", 4.0},
        {"init_lr", 0.01, 1e-9, false, "learning rate of the paraphraser's training", 10.0},
        {"init_epochs", 1.0, 1.0, true, "epochs of the paraphraser's training on the teacher", 1000.0}};
    // FGD's defaults are the paper's RetinaNet settings (Yang et al., CVPR 2022, Table 9).
    static const std::vector<MethodParam> fgd{
        {"temperature", 0.5, 1e-6, false, "temperature of the teacher's spatial and channel attention"},
        {"alpha", 0.001, 0.0, false, "weight of the foreground feature loss"},
        {"beta", 0.0005, 0.0, false, "weight of the background feature loss"},
        {"gamma", 0.001, 0.0, false, "weight of the attention loss"},
        {"lambda", 0.000005, 0.0, false, "weight of the global (GcBlock relation) loss"}};
    static const std::vector<MethodParam> dml{{"teacher_kd", 0.0, 0.0, false,
                                               "weight of KD from the teacher's logits to the peer (mixed "
                                               "learning: the student learns the teacher's "
                                               "features, the peer its predictions)"}};
    static const std::vector<MethodParam> idd{
        {"position", 1.0, 0.0, false, "weight of the position term (each class centre's spatial map)"}};
    static const std::vector<MethodParam> reviewkd{
        {"warmup_epochs", 0.0, 0.0, false, "epochs over which the term ramps up linearly from 0"},
        {"mid_channels", 512.0, 1.0, true, "most channels of the fusion modules", 4096.0}};
    switch (method) {
        case LossMethod::Fsp:
            return fsp;
        case LossMethod::Ab:
            return ab;
        case LossMethod::Ft:
            return ft;
        case LossMethod::ReviewKd:
            return reviewkd;
        case LossMethod::Crd:
            return crd;
        case LossMethod::Vid:
            return vid;
        case LossMethod::Rkd:
            return rkd;
        case LossMethod::Dkd:
            return dkd;
        case LossMethod::Dist:
            return dist;
        case LossMethod::Cc:
            return cc;
        case LossMethod::Fgd:
            return fgd;
        case LossMethod::Idd:
            return idd;
        case LossMethod::Dml:
            return dml;
        default:
            return none;
    }
}

std::vector<std::string> LossTermSpec::allTeacherTaps() const {
    if (!teacherTaps.empty()) return teacherTaps;
    return teacherTap.empty() ? std::vector<std::string>{} : std::vector<std::string>{teacherTap};
}

std::vector<std::string> LossTermSpec::allStudentTaps() const {
    if (!studentTaps.empty()) return studentTaps;
    return studentTap.empty() ? std::vector<std::string>{} : std::vector<std::string>{studentTap};
}

bool methodTakesTapList(LossMethod method) {
    return method == LossMethod::Fsp || method == LossMethod::ReviewKd || method == LossMethod::Ab;
}

int minimumTaps(LossMethod method) {
    return method == LossMethod::Fsp ? 2 : 1;
}

double LossTermSpec::param(const std::string& name) const {
    for (const auto& p : methodParams(method))
        if (p.name == name) {
            auto it = params.find(name);
            return it != params.end() ? it->second : p.defaultValue;
        }
    throw Error(std::string("loss method ") + methodName(method) + " has no parameter '" + name + "'");
}

Recipe parseRecipe(const std::string& yamlText, const std::string& sourceName, const std::string& baseDir,
                   const std::vector<std::string>& overrides) {
    std::string base = baseDir.empty() ? fs::current_path().string() : baseDir;
    base = fs::absolute(base).lexically_normal().string();
    if (base.size() > 1 && base.back() == '/') base.pop_back();
    try {
        YAML::Node root;
        try {
            root = YAML::Load(yamlText);
        } catch (const YAML::ParserException& e) {
            std::string message = e.msg;
            std::replace(message.begin(), message.end(), '\n', ' ');
            throw Error(sourceName + ":" + std::to_string(std::max(0, e.mark.line) + 1) +
                        ": yaml: syntax error: " + message);
        }
        if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
        if (!root.IsMap())
            throw Error(sourceName + ":" + std::to_string(std::max(0, root.Mark().line) + 1) +
                        ": recipe: expected a map of sections (name, job, data, model, ...), got " +
                        describe(root));
        std::vector<Override> applied;
        for (const auto& text : overrides)
            applied.push_back(applyOverride(root, text));
        return Parser(sourceName, std::move(applied)).parse(root, base);
    } catch (const YAML::Exception& e) {
        // Anything yaml-cpp raises past the checks above still becomes a one-line, located message.
        std::string message = e.msg;
        std::replace(message.begin(), message.end(), '\n', ' ');
        throw Error(sourceName + ":" + std::to_string(std::max(0, e.mark.line) + 1) + ": yaml: " + message);
    }
}

Recipe loadRecipe(const std::string& path, const std::vector<std::string>& overrides) {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path + ": cannot read recipe: no such file");
    if (fs::is_directory(path, ec))
        throw Error(path + ": cannot read recipe: it is a folder, expected a YAML file");
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) throw Error(path + ": cannot read recipe: the file is not readable");
    const fs::path absolute = fs::absolute(path).lexically_normal();
    return parseRecipe(text.str(), path, absolute.parent_path().string(), overrides);
}

std::string dataFreeProblem(const Recipe& recipe) {
    const DataFreeSpec& spec = recipe.dataFree;
    if (!spec.enabled) return {};
    if (spec.bnWeight == 0.0 && spec.ceWeight == 0.0 && spec.adversarialWeight == 0.0)
        return "expected at least one of bn, ce and adversarial above 0 (the generator has nothing to learn)";
    if (recipe.job != JobKind::Distill)
        return "needs job: distill (the generator learns from a teacher), got job: " +
               std::string(jobName(recipe.job));
    if (recipe.quant.enabled)
        return "cannot be combined with quantize (quantization calibrates on the train split)";
    if (recipe.teacher.precision == "int8")
        return "cannot be combined with teacher.precision: int8 (its calibration reads the train split); use "
               "fp32, bf16 or auto";
    // Terms that read the train split themselves: crd's memory bank is indexed by training sample, and the
    // initialisation stage of ab, fsp and ft runs over the train split.
    for (size_t i = 0; i < recipe.losses.size(); ++i) {
        const LossMethod m = recipe.losses[i].method;
        bool init = false;
        for (const auto& p : methodParams(m))
            init = init || p.name == "init_epochs";
        if (m == LossMethod::Crd || init)
            return std::string("cannot train a ") + methodName(m) + " term (losses[" + std::to_string(i) +
                   "]): " +
                   (m == LossMethod::Crd ? "its memory bank holds one entry per training image"
                                         : "its initialisation stage runs over the train split") +
                   "; use kd, cwd, at, fitnet, dkd, dist or the other terms";
    }
    return {};
}

std::string recipeToYaml(const Recipe& recipe) {
    YAML::Emitter out;
    out << YAML::BeginMap;
    emitField(out, "name", recipe.name);
    emitField(out, "job", std::string(jobName(recipe.job)));
    emitField(out, "seed", recipe.seed);
    emitField(out, "threads", recipe.threads);
    emitField(out, "device", recipe.device);
    emitField(out, "precision", recipe.precision);

    const DataConfig& d = recipe.data;
    out << YAML::Key << "data" << YAML::Value << YAML::BeginMap;
    emitField(out, "dataset", d.dataset);
    emitField(out, "root", d.root);
    emitField(out, "val_root", d.valRoot);
    if (!d.images.empty()) emitField(out, "images", d.images);
    if (!d.annotations.empty()) emitField(out, "annotations", d.annotations);
    if (!d.valImages.empty()) emitField(out, "val_images", d.valImages);
    if (!d.valAnnotations.empty()) emitField(out, "val_annotations", d.valAnnotations);
    emitField(out, "subset", d.subset);
    emitField(out, "workers", d.workers);
    emitField(out, "canvas", d.canvas);
    emitField(out, "min_items", d.minItems);
    emitField(out, "max_items", d.maxItems);
    emitField(out, "min_scale", d.minScale);
    emitField(out, "max_scale", d.maxScale);
    emitField(out, "train_scenes", d.trainScenes);
    emitField(out, "val_scenes", d.valScenes);
    emitField(out, "scene_seed", d.sceneSeed);
    emitField(out, "image_size", d.imageSize);
    emitField(out, "image_channels", d.imageChannels);
    emitField(out, "val_fraction", d.valFraction);
    emitField(out, "holdout", d.holdout);
    emitField(out, "num_classes", d.numClasses);
    emitList(out, "class_names", d.classNames);
    out << YAML::EndMap;

    out << YAML::Key << "transforms" << YAML::Value << YAML::BeginMap;
    emitTransforms(out, "train", recipe.trainTransforms);
    emitTransforms(out, "eval", recipe.evalTransforms);
    out << YAML::EndMap;

    out << YAML::Key << "model" << YAML::Value << YAML::BeginMap;
    emitModel(out, recipe.student);
    out << YAML::EndMap;

    const TeacherSpec& t = recipe.teacher;
    if (recipe.job == JobKind::Distill || !t.model.arch.empty() || !t.model.head.empty() ||
        t.model.width != 1.0 || !t.checkpoint.empty() || !t.model.onnx.empty()) {
        out << YAML::Key << "teacher" << YAML::Value << YAML::BeginMap;
        emitModel(out, t.model);
        if (!t.checkpoint.empty() || t.model.onnx.empty()) emitField(out, "checkpoint", t.checkpoint);
        if (t.precision != "fp32") emitField(out, "precision", t.precision);
        out << YAML::EndMap;
    }

    // No terms (a Recipe built in code) is left out so that it reads back as the default task term, which an
    // empty list would not.
    if (!recipe.losses.empty()) out << YAML::Key << "losses" << YAML::Value << YAML::BeginSeq;
    for (const auto& term : recipe.losses) {
        out << YAML::Flow << YAML::BeginMap;
        emitField(out, "method", std::string(methodName(term.method)));
        if (!term.teacherTaps.empty()) {
            out << YAML::Key << "teacher_tap" << YAML::Value << YAML::Flow << term.teacherTaps;
            out << YAML::Key << "student_tap" << YAML::Value << YAML::Flow << term.studentTaps;
        } else {
            if (!term.teacherTap.empty()) emitField(out, "teacher_tap", term.teacherTap);
            if (!term.studentTap.empty()) emitField(out, "student_tap", term.studentTap);
        }
        emitField(out, "weight", term.weight);
        if (term.cosineWeight) {
            emitField(out, "weight_schedule", std::string("cosine"));
            emitField(out, "weight_floor", term.weightFloor);
        }
        // Only a tau that was given is written, so hasTau survives the round trip.
        if (term.hasTau || term.tau != defaultTau(term.method)) emitField(out, "tau", term.tau);
        if (term.method == LossMethod::PairKd || term.poolSize != 2) emitField(out, "pool", term.poolSize);
        if (term.method == LossMethod::Dml) {
            out << YAML::Key << "peer" << YAML::Value << YAML::Flow << YAML::BeginMap;
            emitModel(out, term.peer);
            out << YAML::EndMap;
        }
        for (const auto& [key, value] : term.params)
            emitField(out, key.c_str(), value);
        out << YAML::EndMap;
    }
    if (!recipe.losses.empty()) out << YAML::EndSeq;

    const OptimSpec& o = recipe.optim;
    out << YAML::Key << "optim" << YAML::Value << YAML::BeginMap;
    emitField(out, "name", o.name);
    emitField(out, "lr", o.lr);
    emitField(out, "momentum", o.momentum);
    emitField(out, "nesterov", o.nesterov);
    emitField(out, "weight_decay", o.weightDecay);
    emitList(out, "betas", std::vector<double>{o.beta1, o.beta2});
    emitField(out, "eps", o.eps);
    out << YAML::EndMap;

    const ScheduleSpec& s = recipe.schedule;
    out << YAML::Key << "schedule" << YAML::Value << YAML::BeginMap;
    emitField(out, "name", s.name);
    emitField(out, "warmup_epochs", s.warmupEpochs);
    emitList(out, "milestones", s.milestones);
    emitField(out, "gamma", s.gamma);
    emitField(out, "min_lr", s.minLr);
    out << YAML::EndMap;

    out << YAML::Key << "train" << YAML::Value << YAML::BeginMap;
    emitField(out, "epochs", recipe.epochs);
    emitField(out, "batch_size", recipe.batchSize);
    emitField(out, "eval_batch_size", recipe.evalBatchSize);
    emitField(out, "max_steps", recipe.maxSteps);
    emitField(out, "log_every", recipe.logEvery);
    if (recipe.checkpointEverySteps > 0) {
        emitField(out, "checkpoint_every", recipe.checkpointEverySteps);
    } else if (recipe.checkpointEverySeconds > 0) {
        const auto s = static_cast<int64_t>(std::llround(recipe.checkpointEverySeconds));
        out << YAML::Key << "checkpoint_every" << YAML::Value
            << (s % 3600 == 0 ? std::to_string(s / 3600) + "h"
                : s % 60 == 0 ? std::to_string(s / 60) + "min"
                              : std::to_string(s) + "s");
    } else {
        emitField(out, "checkpoint_every", int64_t{0});
    }
    emitField(out, "sync_bn", recipe.syncBn);
    out << YAML::EndMap;

    const DiagnosticsSpec& g = recipe.diagnostics;
    out << YAML::Key << "diagnostics" << YAML::Value << YAML::BeginMap;
    emitField(out, "every", g.every);
    emitField(out, "dominant", g.dominant);
    emitField(out, "negligible", g.negligible);
    emitField(out, "target_share", g.targetShare);
    out << YAML::EndMap;

    const DataFreeSpec& f = recipe.dataFree;
    if (f.enabled) {
        out << YAML::Key << "data_free" << YAML::Value << YAML::BeginMap;
        emitField(out, "latent", f.latent);
        emitField(out, "width", f.width);
        emitField(out, "lr", f.lr);
        emitField(out, "generator_steps", f.generatorSteps);
        emitField(out, "bn", f.bnWeight);
        emitField(out, "ce", f.ceWeight);
        emitField(out, "adversarial", f.adversarialWeight);
        emitField(out, "steps_per_epoch", f.stepsPerEpoch);
        out << YAML::EndMap;
    }

    const QuantSpec& q = recipe.quant;
    if (q.enabled || !q.from.empty() || !q.layerBits.empty() || !q.budget.empty()) {
        out << YAML::Key << "quantize" << YAML::Value << YAML::BeginMap;
        emitField(out, "enabled", q.enabled);
        emitField(out, "from", q.from);
        emitField(out, "observer", q.observer);
        emitField(out, "percentile", q.percentile);
        emitField(out, "calibration_batches", q.calibrationBatches);
        emitField(out, "weight_bits", q.weightBits);
        out << YAML::Key << "layer_bits" << YAML::Value << YAML::BeginMap;
        for (const auto& [name, bits] : q.layerBits)
            emitField(out, name.c_str(), bits);
        out << YAML::EndMap;
        emitField(out, "lsq", q.lsq);
        emitField(out, "teacher", q.teacher);
        emitField(out, "budget", q.budget);
        if (!q.vertical.empty()) {
            out << YAML::Key << "vertical" << YAML::Value << YAML::Flow << YAML::BeginSeq;
            for (int b : q.vertical)
                out << b;
            out << YAML::EndSeq;
        }
        out << YAML::EndMap;
    }

    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace distillery
