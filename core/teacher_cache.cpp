#include "core/internal/teacher_cache.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/types.h"

namespace distillery {

namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr int kFormatVersion = 1;

std::string envOr(const char* name, const std::string& fallback) {
    const char* v = std::getenv(name);
    return v && *v ? std::string(v) : fallback;
}

bool isKey(const std::string& name) {
    return name.size() == 64 && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

int64_t folderBytes(const fs::path& dir) {
    int64_t total = 0;
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(dir, ec))
        if (f.is_regular_file(ec)) total += static_cast<int64_t>(f.file_size(ec));
    return total;
}

int64_t secondsSinceEpoch(fs::file_time_type t) {
    const auto system = std::chrono::time_point_cast<std::chrono::seconds>(
        t - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
    return system.time_since_epoch().count();
}

/** A name no other process uses: pid and a random suffix. */
std::string uniqueSuffix() {
    std::random_device rd;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%d-%08x", static_cast<int>(::getpid()), rd());
    return buf;
}

/** Renames an entry away (atomically: readers then miss it), then deletes it. Returns the bytes freed. */
int64_t removeEntry(const fs::path& entry) {
    const int64_t bytes = folderBytes(entry);
    const fs::path trash =
        entry.parent_path() / (".trash-" + entry.filename().string() + "-" + uniqueSuffix());
    std::error_code ec;
    fs::rename(entry, trash, ec);
    if (ec) return 0;  // another process removed or replaced it first
    fs::remove_all(trash, ec);
    return bytes;
}

}  // namespace

std::string defaultTeacherCacheDir() {
    const std::string own = envOr("DISTILLERY_TEACHER_CACHE", "");
    if (!own.empty()) return own;
    const std::string xdg = envOr("XDG_CACHE_HOME", "");
    if (!xdg.empty()) return xdg + "/distillery/teacher";
    const std::string home = envOr("HOME", "");
    if (!home.empty()) return home + "/.cache/distillery/teacher";
    return (fs::temp_directory_path() / "distillery-teacher-cache").string();
}

int64_t parseByteSize(const std::string& text) {
    if (text.empty()) return -1;
    size_t used = 0;
    double value = 0.0;
    try {
        value = std::stod(text, &used);
    } catch (...) {
        return -1;
    }
    std::string unit = text.substr(used);
    while (!unit.empty() && unit.front() == ' ')
        unit.erase(unit.begin());
    if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
    if (!unit.empty() && unit.back() == 'i') unit.pop_back();  // GiB, MiB: binary like the rest
    double factor = 1.0;
    if (unit == "K" || unit == "k")
        factor = 1024.0;
    else if (unit == "M" || unit == "m")
        factor = 1024.0 * 1024.0;
    else if (unit == "G" || unit == "g")
        factor = 1024.0 * 1024.0 * 1024.0;
    else if (unit == "T" || unit == "t")
        factor = 1024.0 * 1024.0 * 1024.0 * 1024.0;
    else if (!unit.empty())
        return -1;
    if (!std::isfinite(value) || value < 0.0 || value * factor > 9.0e18) return -1;
    return static_cast<int64_t>(value * factor);
}

int64_t defaultTeacherCacheBytes() {
    const std::string v = envOr("DISTILLERY_TEACHER_CACHE_SIZE", "");
    if (v.empty()) return int64_t{8} << 30;
    const int64_t bytes = parseByteSize(v);
    if (bytes < 0)
        throw Error("DISTILLERY_TEACHER_CACHE_SIZE: '" + printable(v) +
                    "' is not a size (expected e.g. 20G, 500M or a number of bytes)");
    return bytes;
}

std::vector<TeacherCacheEntry> listTeacherCache(const std::string& dir) {
    std::vector<TeacherCacheEntry> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (!isKey(name) || !e.is_directory(ec)) continue;
        const fs::path meta = e.path() / "entry.json";
        std::ifstream in(meta);
        if (!in) continue;
        TeacherCacheEntry entry;
        try {
            Json j = Json::parse(in);
            entry.key = name;
            entry.samples = j.at("samples").get<int64_t>();
            for (const auto& t : j.at("taps"))
                entry.taps.push_back(t.at("name").get<std::string>());
            const Json& d = j.at("description");
            entry.teacher = d.value("teacher", std::string());
            entry.data = d.value("data", std::string());
        } catch (const std::exception&) {
            continue;  // a damaged entry is not listed; clearing removes it
        }
        entry.bytes = folderBytes(e.path());
        entry.lastUsed = secondsSinceEpoch(fs::last_write_time(meta, ec));
        out.push_back(std::move(entry));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.lastUsed != b.lastUsed ? a.lastUsed < b.lastUsed : a.key < b.key;
    });
    return out;
}

int64_t clearTeacherCache(const std::string& dir) {
    int64_t freed = 0;
    std::error_code ec;
    std::vector<fs::path> victims;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (e.is_directory(ec) &&
            (isKey(name) || name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0))
            victims.push_back(e.path());
    }
    for (const auto& v : victims)
        freed += removeEntry(v);
    return freed;
}

void removeTeacherCacheEntry(const std::string& dir, const std::string& key) {
    if (isKey(key)) removeEntry(fs::path(dir) / key);
}

void evictTeacherCache(const std::string& dir, int64_t maxBytes, const std::string& keep) {
    auto entries = listTeacherCache(dir);
    int64_t total = 0;
    for (const auto& e : entries)
        total += e.bytes;
    for (const auto& e : entries) {  // least recently used first
        if (total <= maxBytes) break;
        if (e.key == keep) continue;
        total -= removeEntry(fs::path(dir) / e.key);
    }
    // Leftovers of writers that died more than a day ago.
    std::error_code ec;
    const auto dayAgo = fs::file_time_type::clock::now() - std::chrono::hours(24);
    std::vector<fs::path> stale;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if ((name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0) && e.last_write_time(ec) < dayAgo)
            stale.push_back(e.path());
    }
    for (const auto& s : stale)
        fs::remove_all(s, ec);
}

// ---- the in-memory store ----------------------------------------------------------------------------

bool TeacherCache::enable(int64_t samples,
                          const std::vector<std::pair<std::string, std::vector<int64_t>>>& shapes) {
    int64_t bytes = 0;
    for (const auto& [tap, shape] : shapes) {
        int64_t n = samples * 4;
        for (auto d : shape)
            n *= d;
        bytes += n;
    }
    if (bytes > kMemoryBudgetBytes) return false;
    mShapes = shapes;
    mFilled.assign(samples, 0);
    mMissing = samples;
    mBytes = bytes;
    mEnabled = true;
    return true;
}

void TeacherCache::reset() {
    mStore.clear();
    std::fill(mFilled.begin(), mFilled.end(), 0);
    mMissing = static_cast<int64_t>(mFilled.size());
}

bool TeacherCache::lookup(const std::vector<int64_t>& indices, torch::Device device,
                          std::unordered_map<std::string, torch::Tensor>& out) const {
    if (!mEnabled || mStore.empty()) return false;
    for (auto i : indices)
        if (!mFilled[i]) return false;
    auto idx = torch::tensor(indices, torch::kInt64);
    for (const auto& [tap, store] : mStore)
        out[tap] = store.index_select(0, idx).to(device);
    return true;
}

void TeacherCache::insert(const std::vector<int64_t>& indices,
                          const std::unordered_map<std::string, torch::Tensor>& outputs) {
    if (!mEnabled) return;
    auto idx = torch::tensor(indices, torch::kInt64);
    for (const auto& [tap, shape] : mShapes) {
        auto& store = mStore[tap];
        if (!store.defined()) {
            std::vector<int64_t> full{static_cast<int64_t>(mFilled.size())};
            full.insert(full.end(), shape.begin(), shape.end());
            store = torch::empty(full, torch::kFloat32);
        }
        store.index_copy_(0, idx, outputs.at(tap).detach().to(torch::kCPU, torch::kFloat32));
    }
    for (auto i : indices)
        if (!mFilled[i]) {
            mFilled[i] = 1;
            --mMissing;
        }
}

bool TeacherCache::load(const std::string& dir, const std::string& key, std::string* problem) {
    if (!mEnabled) return false;
    const fs::path entry = fs::path(dir) / key;
    std::ifstream in(entry / "entry.json");
    if (!in) return false;  // a miss
    auto fail = [&](const std::string& why) {
        if (problem) *problem = (entry / "entry.json").string() + ": " + why;
        reset();
        removeEntry(entry);  // so that this run's outputs replace it
        return false;
    };
    Json j;
    try {
        j = Json::parse(in);
    } catch (const std::exception&) {
        return fail("not valid JSON");
    }
    try {
        if (j.at("version").get<int>() != kFormatVersion) return fail("written by another format version");
        if (j.at("key").get<std::string>() != key) return fail("holds another key");
        if (j.at("samples").get<int64_t>() != static_cast<int64_t>(mFilled.size()))
            return fail("holds " + std::to_string(j.at("samples").get<int64_t>()) + " samples, not " +
                        std::to_string(mFilled.size()));
        const Json& taps = j.at("taps");
        if (!taps.is_array() || taps.size() != mShapes.size()) return fail("holds other taps");
        for (size_t t = 0; t < mShapes.size(); ++t) {
            const auto& [name, shape] = mShapes[t];
            if (taps[t].at("name").get<std::string>() != name ||
                taps[t].at("shape").get<std::vector<int64_t>>() != shape)
                return fail("holds other taps or shapes");
        }
        for (size_t t = 0; t < mShapes.size(); ++t) {
            const auto& [name, shape] = mShapes[t];
            std::vector<int64_t> full{static_cast<int64_t>(mFilled.size())};
            full.insert(full.end(), shape.begin(), shape.end());
            auto store = torch::empty(full, torch::kFloat32);
            const auto bytes = static_cast<std::streamsize>(store.numel() * 4);
            const fs::path file = entry / taps[t].at("file").get<std::string>();
            std::ifstream data(file, std::ios::binary);
            if (!data) return fail("cannot read " + file.filename().string());
            data.read(static_cast<char*>(store.data_ptr()), bytes);
            if (data.gcount() != bytes || data.peek() != std::char_traits<char>::eof())
                return fail(file.filename().string() + " has the wrong size");
            mStore[name] = store;
        }
    } catch (const std::exception& e) {
        return fail(std::string("unexpected content (") + e.what() + ")");
    }
    std::fill(mFilled.begin(), mFilled.end(), 1);
    mMissing = 0;
    // Marks the entry as used now, for the least-recently-used eviction.
    std::error_code ec;
    fs::last_write_time(entry / "entry.json", fs::file_time_type::clock::now(), ec);
    return true;
}

bool TeacherCache::store(const std::string& dir, const std::string& key, const std::string& description,
                         int64_t maxBytes, std::string* problem) const {
    if (!complete()) return false;
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path target = fs::path(dir) / key;
    if (fs::exists(target / "entry.json", ec)) return true;  // another run stored it meanwhile
    const fs::path tmp = fs::path(dir) / (".tmp-" + key.substr(0, 16) + "-" + uniqueSuffix());
    auto fail = [&](const std::string& why) {
        if (problem) *problem = why;
        fs::remove_all(tmp, ec);
        return false;
    };
    if (!fs::create_directory(tmp, ec)) return fail("cannot create " + tmp.string() + ": " + ec.message());
    Json j;
    j["version"] = kFormatVersion;
    j["key"] = key;
    j["samples"] = static_cast<int64_t>(mFilled.size());
    try {
        j["description"] = Json::parse(description);
    } catch (const std::exception&) {
        j["description"] = description;
    }
    j["taps"] = Json::array();
    for (size_t t = 0; t < mShapes.size(); ++t) {
        const auto& [name, shape] = mShapes[t];
        const std::string file = "tap" + std::to_string(t) + ".f32";
        j["taps"].push_back({{"name", name}, {"shape", shape}, {"file", file}});
        const auto& store = mStore.at(name);
        std::ofstream out(tmp / file, std::ios::binary);
        out.write(static_cast<const char*>(store.data_ptr()),
                  static_cast<std::streamsize>(store.numel() * 4));
        out.close();
        if (!out) return fail("cannot write " + (tmp / file).string() + " (disk full?)");
    }
    {
        std::ofstream out(tmp / "entry.json");
        out << j.dump(2) << "\n";
        out.close();
        if (!out) return fail("cannot write " + (tmp / "entry.json").string());
    }
    fs::rename(tmp, target, ec);
    if (ec) {
        // Another run renamed the same key into place first: theirs is identical, ours goes.
        if (fs::exists(target / "entry.json")) {
            fs::remove_all(tmp, ec);
            return true;
        }
        return fail("cannot rename " + tmp.string() + " to " + target.string() + ": " + ec.message());
    }
    evictTeacherCache(dir, maxBytes, key);
    return true;
}

}  // namespace distillery
