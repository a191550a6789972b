#include "core/run_folder.h"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/imaging.h"

namespace distillery {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr std::pair<RunKind, const char*> kKinds[] = {
    {RunKind::Train, "train"}, {RunKind::Distill, "distill"}, {RunKind::Ptq, "ptq"}, {RunKind::Qat, "qat"}};
constexpr std::pair<RunRole, const char*> kRoles[] = {{RunRole::Student, "student"},
                                                      {RunRole::Teacher, "teacher"}};

Json metricsObject(const std::vector<std::pair<std::string, double>>& pairs) {
    Json j = Json::object();
    for (const auto& [k, v] : pairs)
        j[k] = std::isfinite(v) ? Json(v) : Json(nullptr);
    return j;
}

Json modelObject(const ModelRecord& m) {
    Json j = {{"arch", m.arch}, {"head", m.head}, {"params", m.params}, {"macs", m.macs}};
    if (!m.checkpoint.empty()) j["checkpoint"] = m.checkpoint;
    if (!m.onnx.empty()) j["onnx"] = {{"file", m.onnx}, {"sha256", m.onnxSha256}};
    if (!m.precision.empty()) j["precision"] = m.precision;
    if (m.agreement >= 0.0) j["agreement"] = m.agreement;
    return j;
}

/** Typed reads of summary.json fields with messages that name the file and the field. */
class Reader {
public:
    Reader(const Json& root, std::string file) : mRoot(root), mFile(std::move(file)) {}

    [[noreturn]] void fail(const std::string& field, const std::string& what) const {
        throw Error(mFile + ": field '" + field + "' " + what);
    }
    std::string string(const Json& o, const std::string& key, const std::string& path,
                       const std::string& fallback = {}) const {
        if (!o.contains(key) || o[key].is_null()) return fallback;
        if (!o[key].is_string()) fail(path + key, "is not text");
        return o[key].get<std::string>();
    }
    int64_t integer(const Json& o, const std::string& key, const std::string& path,
                    int64_t fallback = 0) const {
        if (!o.contains(key) || o[key].is_null()) return fallback;
        if (!o[key].is_number()) fail(path + key, "is not a number");
        return o[key].get<int64_t>();
    }
    double number(const Json& o, const std::string& key, const std::string& path,
                  double fallback = 0.0) const {
        if (!o.contains(key) || o[key].is_null()) return fallback;
        if (!o[key].is_number()) fail(path + key, "is not a number");
        return o[key].get<double>();
    }
    std::vector<std::pair<std::string, double>> metrics(const std::string& key) const {
        std::vector<std::pair<std::string, double>> out;
        if (!mRoot.contains(key) || mRoot[key].is_null()) return out;
        if (!mRoot[key].is_object()) fail(key, "is not an object of metrics");
        for (const auto& [name, value] : mRoot[key].items()) {
            if (value.is_null()) {
                out.emplace_back(name, std::nan(""));
            } else if (value.is_number()) {
                out.emplace_back(name, value.get<double>());
            } else {
                fail(key + "." + name, "is not a number");
            }
        }
        return out;
    }
    ModelRecord model(const Json& o, const std::string& path) const {
        if (!o.is_object()) fail(path, "is not an object");
        ModelRecord m;
        m.arch = string(o, "arch", path + ".");
        m.head = string(o, "head", path + ".");
        m.params = integer(o, "params", path + ".");
        m.macs = integer(o, "macs", path + ".");
        m.checkpoint = string(o, "checkpoint", path + ".");
        m.precision = string(o, "precision", path + ".");
        m.agreement = number(o, "agreement", path + ".", -1.0);
        if (o.contains("onnx") && o["onnx"].is_object()) {
            m.onnx = string(o["onnx"], "file", path + ".onnx.");
            m.onnxSha256 = string(o["onnx"], "sha256", path + ".onnx.");
        }
        return m;
    }

private:
    const Json& mRoot;
    std::string mFile;
};

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

/** A run file that must hold one JSON object: malformed text or another JSON value is an error naming it. */
Json readJsonObject(const std::string& file) {
    Json j;
    try {
        j = Json::parse(readText(file));
    } catch (const Json::exception& e) {
        throw Error(file + " is not valid JSON (" + printable(e.what(), 160) + ")");
    }
    if (!j.is_object()) throw Error(file + " is not a JSON object");
    return j;
}

}  // namespace

const char* runKindName(RunKind kind) {
    for (const auto& [k, name] : kKinds)
        if (k == kind) return name;
    return "?";
}

const char* runRoleName(RunRole role) {
    for (const auto& [r, name] : kRoles)
        if (r == role) return name;
    return "?";
}

bool parseRunKind(const std::string& text, RunKind& out) {
    for (const auto& [k, name] : kKinds)
        if (text == name) {
            out = k;
            return true;
        }
    return false;
}

bool parseRunRole(const std::string& text, RunRole& out) {
    for (const auto& [r, name] : kRoles)
        if (text == name) {
            out = r;
            return true;
        }
    return false;
}

double RunSummaryRecord::bestOf(const std::string& metric) const {
    for (const auto* list : {&bestMetrics, &finalMetrics})
        for (const auto& [name, value] : *list)
            if (name == metric) return value;
    return std::nan("");
}

RunKind kindOfRecipe(const Recipe& recipe) {
    if (recipe.quant.enabled) return RunKind::Qat;
    return recipe.job == JobKind::Distill ? RunKind::Distill : RunKind::Train;
}

std::string metricDisplayName(const std::string& metric) {
    if (metric == "top1") return "top-1";
    if (metric == "miou") return "mIoU";
    return metric;
}

RunFolder::RunFolder(std::string root) : mRoot(std::move(root)) {
    while (mRoot.size() > 1 && mRoot.back() == '/')
        mRoot.pop_back();
}

std::string RunFolder::checkpointPath(CheckpointChoice which) const {
    return checkpointsDir() + "/" + checkpointName(which) + ".pt";
}

bool RunFolder::exists() const {
    std::error_code ec;
    return fs::is_directory(mRoot, ec);
}
bool RunFolder::hasRecipe() const {
    std::error_code ec;
    return fs::is_regular_file(recipePath(), ec);
}
bool RunFolder::hasSummary() const {
    std::error_code ec;
    return fs::is_regular_file(summaryPath(), ec);
}
bool RunFolder::hasCheckpoint(CheckpointChoice which) const {
    std::error_code ec;
    return fs::is_regular_file(checkpointPath(which), ec);
}
bool RunFolder::hasAnyCheckpoint() const {
    return hasCheckpoint(CheckpointChoice::Best) || hasCheckpoint(CheckpointChoice::Last);
}
bool RunFolder::isQuantized() const {
    std::error_code ec;
    return fs::is_regular_file(quantReportPath(), ec);
}

Recipe RunFolder::readRecipe() const {
    if (!exists()) throw Error("run folder " + mRoot + " not found");
    if (!hasRecipe()) throw Error(mRoot + " is not a run folder (no recipe.yaml)");
    return loadRecipe(recipePath());
}

RunSummaryRecord RunFolder::readSummary() const {
    auto s = readSummaryIfAny();
    if (!s)
        throw Error(mRoot +
                    " has no summary.json (the run has not ended: it is running, or was stopped or killed)");
    return *s;
}

std::optional<RunSummaryRecord> RunFolder::readSummaryIfAny() const {
    if (!hasSummary()) return std::nullopt;
    const std::string file = summaryPath();
    const Json j = readJsonObject(file);
    Reader r(j, file);
    RunSummaryRecord s;
    s.name = r.string(j, "name", "");
    const std::string status = r.string(j, "status", "");
    if (status.empty()) r.fail("status", "is missing (expected finished, cancelled or failed)");
    if (!parseStatus(status, s.status))
        r.fail("status",
               "has the unknown value '" + printable(status) + "' (expected finished, cancelled or failed)");
    const std::string job = r.string(j, "job", "", "train");
    const std::string kind = r.string(j, "kind", "");
    if (!kind.empty()) {
        if (!parseRunKind(kind, s.kind)) r.fail("kind", "has the unknown value '" + printable(kind) + "'");
    } else if (job == "quantize") {
        s.kind = RunKind::Ptq;  // summaries written before "kind" existed
    } else if (job == "distill") {
        s.kind = RunKind::Distill;
    } else if (job != "train") {
        r.fail("job", "has the unknown value '" + printable(job) + "'");
    }
    const std::string role = r.string(j, "role", "", "student");
    if (!parseRunRole(role, s.role)) r.fail("role", "has the unknown value '" + printable(role) + "'");
    s.message = r.string(j, "message", "");
    s.epochs = static_cast<int>(r.integer(j, "epochs", ""));
    s.steps = r.integer(j, "steps", "");
    s.finalMetrics = r.metrics("final");
    s.bestMetrics = r.metrics("best");
    s.mainMetric = r.string(j, "main_metric", "");
    s.wallSeconds = r.number(j, "wall_seconds", "");
    if (j.contains("student")) s.student = r.model(j["student"], "student");
    if (j.contains("teacher") && !j["teacher"].is_null()) s.teacher = r.model(j["teacher"], "teacher");
    s.params = r.integer(j, "params", "", s.student.params);
    s.macs = r.integer(j, "macs", "", s.student.macs);
    if (j.contains("loss_terms")) {
        if (!j["loss_terms"].is_array()) r.fail("loss_terms", "is not a list");
        for (const auto& t : j["loss_terms"]) {
            if (!t.is_string()) r.fail("loss_terms", "holds an entry that is not text");
            s.lossTerms.push_back(t.get<std::string>());
        }
    }
    s.dataset = r.string(j, "dataset", "");
    s.seed = static_cast<uint64_t>(r.integer(j, "seed", ""));
    s.source = r.string(j, "source", "");
    s.worldSize = static_cast<int>(r.integer(j, "world_size", "", 1));
    return s;
}

void RunFolder::writeSummary(const RunSummaryRecord& s) const {
    Json j;
    j["name"] = s.name;
    j["kind"] = runKindName(s.kind);
    // "job" stays for readers of older versions: train, distill, or quantize for PTQ.
    j["job"] = s.kind == RunKind::Ptq ? "quantize" : s.kind == RunKind::Distill ? "distill" : "train";
    j["role"] = runRoleName(s.role);
    j["status"] = statusName(s.status);
    j["message"] = s.message;
    j["epochs"] = s.epochs;
    j["steps"] = s.steps;
    j["final"] = metricsObject(s.finalMetrics);
    j["best"] = metricsObject(s.bestMetrics);
    j["main_metric"] = s.mainMetric;
    j["wall_seconds"] = s.wallSeconds;
    j["student"] = modelObject(s.student);
    if (s.teacher) j["teacher"] = modelObject(*s.teacher);
    j["params"] = s.params;
    j["macs"] = s.macs;
    j["loss_terms"] = s.lossTerms;
    j["dataset"] = s.dataset;
    j["seed"] = s.seed;
    if (!s.source.empty()) j["source"] = s.source;
    j["world_size"] = s.worldSize;
    writeFileAtomically(summaryPath(), j.dump(2) + "\n");
}

std::optional<RunStartRecord> RunFolder::readStartIfAny() const {
    std::error_code ec;
    if (!fs::is_regular_file(startPath(), ec)) return std::nullopt;
    const std::string file = startPath();
    const Json j = readJsonObject(file);
    Reader r(j, file);
    RunStartRecord s;
    const std::string kind = r.string(j, "kind", "", "train");
    if (!parseRunKind(kind, s.kind)) r.fail("kind", "has the unknown value '" + printable(kind) + "'");
    const std::string role = r.string(j, "role", "", "student");
    if (!parseRunRole(role, s.role)) r.fail("role", "has the unknown value '" + printable(role) + "'");
    s.source = r.string(j, "source", "");
    return s;
}

void RunFolder::writeStart(const RunStartRecord& start) const {
    Json j = {{"kind", runKindName(start.kind)}, {"role", runRoleName(start.role)}};
    if (!start.source.empty()) j["source"] = start.source;
    writeFileAtomically(startPath(), j.dump(2) + "\n");
}

std::vector<MetricRecord> RunFolder::readMetrics() const {
    std::error_code ec;
    if (!fs::is_regular_file(metricsPath(), ec)) return {};
    return distillery::readMetrics(metricsPath());
}

RunOverview RunFolder::overview() const {
    RunOverview o;
    o.root = mRoot;
    o.hasRecipe = hasRecipe();
    o.hasBest = hasCheckpoint(CheckpointChoice::Best);
    o.hasLast = hasCheckpoint(CheckpointChoice::Last);
    auto note = [&](const std::string& e) {
        if (o.error.empty()) o.error = e;
    };
    if (o.hasRecipe) {
        try {
            o.recipe = readRecipe();
            o.kind = kindOfRecipe(*o.recipe);
        } catch (const std::exception& e) {
            note(e.what());
        }
    }
    try {
        if (auto start = readStartIfAny()) {
            o.kind = start->kind;
            o.role = start->role;
        }
    } catch (const std::exception& e) {
        note(e.what());
    }
    try {
        o.summary = readSummaryIfAny();
    } catch (const std::exception& e) {
        note(e.what());
    }
    if (o.summary) {
        o.kind = o.summary->kind;
        o.role = o.summary->role;
        o.mainMetric = o.summary->mainMetric;
        if (!o.mainMetric.empty()) o.bestMetric = o.summary->bestOf(o.mainMetric);
    }
    std::error_code ec;
    if (fs::is_regular_file(metricsPath(), ec)) {
        const auto written = fs::last_write_time(metricsPath(), ec);
        if (!ec)
            o.metricsModifiedAgeSeconds =
                std::chrono::duration_cast<std::chrono::seconds>(fs::file_time_type::clock::now() - written)
                    .count();
        if (std::isnan(o.bestMetric)) {
            // No summary yet (running, or stopped): the best validation value so far.
            try {
                const auto records = readMetrics();
                bool seg = false;
                for (const auto& r : records)
                    seg |= r.split == Split::Val && r.name == "miou";
                const std::string want = !o.mainMetric.empty() ? o.mainMetric : seg ? "miou" : "top1";
                for (const auto& r : records)
                    if (r.split == Split::Val && r.name == want &&
                        (std::isnan(o.bestMetric) || r.value > o.bestMetric))
                        o.bestMetric = r.value;
                o.mainMetric = want;
            } catch (const std::exception& e) {
                note(e.what());
            }
        }
    }
    return o;
}

}  // namespace distillery
