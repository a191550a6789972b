#include "core/run_files.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/imaging.h"
#include "core/types.h"

namespace distillery {

namespace {
MetricRecord parseRecord(const std::string& line, const std::string& path, int lineNo) {
    try {
        auto j = nlohmann::json::parse(line);
        MetricRecord r;
        r.step = j.at("step").get<int64_t>();
        r.epoch = j.at("epoch").get<int>();
        r.split = splitFrom(j.at("split").get<std::string>(), "split");
        r.name = j.at("name").get<std::string>();
        r.value =
            j.at("value").is_null() ? std::numeric_limits<double>::quiet_NaN() : j.at("value").get<double>();
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw Error(path + ":" + std::to_string(lineNo) + ": not a metrics record (" + e.what() + ")");
    }
}
}  // namespace

std::vector<MetricRecord> readMetrics(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw Error("cannot read " + path);
    std::ostringstream all;
    all << in.rdbuf();
    const std::string text = all.str();
    std::vector<MetricRecord> out;
    std::istringstream lines(text);
    std::string line;
    int lineNo = 0;
    const int total = static_cast<int>(std::count(text.begin(), text.end(), '\n')) +
                      (text.empty() || text.back() == '\n' ? 0 : 1);
    while (std::getline(lines, line)) {
        ++lineNo;
        if (line.empty()) continue;
        // A last line without its newline was cut short by a kill (records are flushed one line at a time):
        // the run continues from its checkpoint, so that record is dropped rather than refused.
        const bool cutShort = lineNo == total && !text.empty() && text.back() != '\n';
        try {
            out.push_back(parseRecord(line, path, lineNo));
        } catch (const Error&) {
            if (!cutShort) throw;
        }
    }
    return out;
}

void dropRecordsAfterStep(const std::string& path, int64_t step) {
    if (!std::filesystem::exists(path)) return;
    std::ifstream in(path);
    std::ostringstream kept;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
        if (j.is_discarded()) continue;  // a line cut short by a kill
        if (j.value("step", int64_t{0}) <= step) kept << line << '\n';
    }
    writeFileAtomically(path, kept.str());
}

MetricsLog::MetricsLog(const std::string& path, std::optional<int64_t> keepUpToStep) : mPath(path) {
    // A killed run may have logged past its last checkpoint; those steps will be trained again.
    if (keepUpToStep) dropRecordsAfterStep(path, *keepUpToStep);
    mOut.open(path, std::ios::app);
    if (!mOut) throw Failure("cannot write " + path);
}

void MetricsLog::append(const std::vector<MetricRecord>& records) {
    std::lock_guard<std::mutex> lock(mMutex);
    for (const auto& r : records) {
        nlohmann::json j = {
            {"step", r.step}, {"epoch", r.epoch}, {"split", splitName(r.split)}, {"name", r.name}};
        if (std::isfinite(r.value))
            j["value"] = r.value;
        else
            j["value"] = nullptr;
        mOut << j.dump() << '\n';
    }
    mOut.flush();
}

}  // namespace distillery
