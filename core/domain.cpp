// Names of the domain enums at the YAML / JSON / command-line boundary (core/types.h).

#include <algorithm>

#include "core/types.h"

namespace distillery {

namespace {

template <typename E>
struct Named {
    E value;
    const char* name;
};

constexpr Named<JobKind> kJobs[] = {{JobKind::Train, "train"}, {JobKind::Distill, "distill"}};
constexpr Named<RunStatus> kStatuses[] = {
    {RunStatus::Finished, "finished"}, {RunStatus::Cancelled, "cancelled"}, {RunStatus::Failed, "failed"}};
constexpr Named<Split> kSplits[] = {{Split::Train, "train"}, {Split::Val, "val"}};
constexpr Named<CheckpointChoice> kCheckpoints[] = {{CheckpointChoice::Best, "best"},
                                                    {CheckpointChoice::Last, "last"}};
constexpr Named<LossMethod> kMethods[] = {{LossMethod::Task, "task"},
                                          {LossMethod::Kd, "kd"},
                                          {LossMethod::FitNet, "fitnet"},
                                          {LossMethod::At, "at"},
                                          {LossMethod::PixelKd, "pixel_kd"},
                                          {LossMethod::PairKd, "pair_kd"},
                                          {LossMethod::Cwd, "cwd"},
                                          {LossMethod::Sp, "sp"},
                                          {LossMethod::Cc, "cc"},
                                          {LossMethod::Rkd, "rkd"},
                                          {LossMethod::Pkt, "pkt"},
                                          {LossMethod::Nst, "nst"},
                                          {LossMethod::Dkd, "dkd"},
                                          {LossMethod::Dist, "dist"},
                                          {LossMethod::Vid, "vid"},
                                          {LossMethod::Crd, "crd"},
                                          {LossMethod::Fsp, "fsp"},
                                          {LossMethod::ReviewKd, "reviewkd"},
                                          {LossMethod::Ab, "ab"},
                                          {LossMethod::Ft, "ft"},
                                          {LossMethod::Fgd, "fgd"},
                                          {LossMethod::Idd, "idd"},
                                          {LossMethod::Dml, "dml"}};

template <typename E, size_t N>
const char* nameOf(const Named<E> (&table)[N], E value) {
    for (const auto& e : table)
        if (e.value == value) return e.name;
    return "?";
}

template <typename E, size_t N>
bool valueOf(const Named<E> (&table)[N], const std::string& text, E& out) {
    for (const auto& e : table)
        if (text == e.name) {
            out = e.value;
            return true;
        }
    return false;
}

template <typename E, size_t N>
std::vector<std::string> namesOf(const Named<E> (&table)[N]) {
    std::vector<std::string> out;
    for (const auto& e : table)
        out.push_back(e.name);
    return out;
}

template <typename E, size_t N>
E from(const Named<E> (&table)[N], const std::string& text, const std::string& what) {
    E value{};
    if (valueOf(table, text, value)) return value;
    std::string allowed;
    for (const auto& e : table)
        allowed += (allowed.empty() ? "" : ", ") + std::string(e.name);
    throw Error(what + ": unknown value '" + printable(text) + "' (allowed: " + allowed + ")");
}

}  // namespace

const char* jobName(JobKind job) {
    return nameOf(kJobs, job);
}
const char* statusName(RunStatus status) {
    return nameOf(kStatuses, status);
}
const char* splitName(Split split) {
    return nameOf(kSplits, split);
}
const char* checkpointName(CheckpointChoice c) {
    return nameOf(kCheckpoints, c);
}
const char* methodName(LossMethod method) {
    return nameOf(kMethods, method);
}

bool parseTask(const std::string& text, Task& out) {
    for (Task t : {Task::Classification, Task::Segmentation, Task::Detection})
        if (text == taskName(t)) {
            out = t;
            return true;
        }
    return false;
}

bool parseJob(const std::string& text, JobKind& out) {
    return valueOf(kJobs, text, out);
}
bool parseStatus(const std::string& text, RunStatus& out) {
    return valueOf(kStatuses, text, out);
}
bool parseSplit(const std::string& text, Split& out) {
    return valueOf(kSplits, text, out);
}
bool parseCheckpoint(const std::string& text, CheckpointChoice& out) {
    return valueOf(kCheckpoints, text, out);
}
bool parseMethod(const std::string& text, LossMethod& out) {
    return valueOf(kMethods, text, out);
}

std::vector<std::string> jobNames() {
    return namesOf(kJobs);
}
std::vector<std::string> splitNames() {
    return namesOf(kSplits);
}
std::vector<std::string> checkpointNames() {
    return namesOf(kCheckpoints);
}
std::vector<std::string> methodNames() {
    return namesOf(kMethods);
}

JobKind jobFrom(const std::string& text, const std::string& what) {
    return from(kJobs, text, what);
}
Split splitFrom(const std::string& text, const std::string& what) {
    return from(kSplits, text, what);
}
CheckpointChoice checkpointFrom(const std::string& text, const std::string& what) {
    return from(kCheckpoints, text, what);
}
LossMethod methodFrom(const std::string& text, const std::string& what) {
    return from(kMethods, text, what);
}
RunStatus statusFrom(const std::string& text, const std::string& what) {
    return from(kStatuses, text, what);
}

std::string printable(const std::string& text, size_t maxLength) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    const size_t n = text.size();
    for (size_t i = 0; i < n;) {
        if (out.size() >= maxLength) {
            out += "...";
            break;
        }
        const auto c = static_cast<unsigned char>(text[i]);
        // A whole, well-formed UTF-8 sequence passes (names in other scripts); anything else is escaped.
        size_t len = c < 0x80             ? 1
                     : (c & 0xe0) == 0xc0 ? 2
                     : (c & 0xf0) == 0xe0 ? 3
                     : (c & 0xf8) == 0xf0 ? 4
                                          : 0;
        bool ok = len > 0 && i + len <= n && !(len == 2 && c < 0xc2);
        for (size_t k = 1; ok && k < len; ++k)
            ok = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (ok && len == 1 && (c < 0x20 || c == 0x7f)) ok = false;
        if (!ok) {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
            ++i;
        } else if (c == '\\') {
            out += "\\\\";
            ++i;
        } else {
            out.append(text, i, len);
            i += len;
        }
    }
    return out;
}

}  // namespace distillery
