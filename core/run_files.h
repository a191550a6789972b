#pragma once
// The files of a run folder other than checkpoints: metrics.jsonl (one JSON object per scalar) and
// summary.json. No torch here.

#include <cstdint>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"

namespace distillery {

struct MetricRecord {
    int64_t step = 0;
    int epoch = 0;
    Split split = Split::Train;
    std::string name;
    double value = 0.0;
};

/** Appends records to metrics.jsonl, one line each, flushed per call so a killed run loses nothing. */
class MetricsLog {
public:
    /** Opens for appending; with `keepUpToStep`, first drops records after that step (resume; the
     *  initialisation stage's records have steps ≤ 0). */
    explicit MetricsLog(const std::string& path, std::optional<int64_t> keepUpToStep = std::nullopt);
    void append(const std::vector<MetricRecord>& records);

private:
    std::string mPath;
    std::ofstream mOut;
    std::mutex mMutex;
};

/** Rewrites a JSON-lines file of a run (atomically) without its records after `step` (a resumed run trains
 *  those steps again) and without a last line cut short by a kill. Nothing happens when the file is absent.
 */
void dropRecordsAfterStep(const std::string& path, int64_t step);

/** Reads metrics.jsonl; throws Error naming the file and line on malformed input. */
std::vector<MetricRecord> readMetrics(const std::string& path);

struct RunPaths {
    std::string root;
    std::string recipe() const { return root + "/recipe.yaml"; }
    std::string metrics() const { return root + "/metrics.jsonl"; }
    std::string diagnostics() const { return root + "/diagnostics.jsonl"; }
    std::string summary() const { return root + "/summary.json"; }
    std::string checkpoints() const { return root + "/checkpoints"; }
    std::string checkpoint(const std::string& which) const { return checkpoints() + "/" + which + ".pt"; }
};

}  // namespace distillery
