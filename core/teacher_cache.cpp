#include "core/internal/teacher_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

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

/** The folder's children; none when it cannot be read. Never throws (other runs change the folder). */
std::vector<fs::path> children(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec))
        out.push_back(it->path());
    return out;
}

int64_t folderBytes(const fs::path& dir) {
    int64_t total = 0;
    for (const auto& f : children(dir)) {
        std::error_code ec;
        const auto size = fs::file_size(f, ec);
        if (!ec) total += static_cast<int64_t>(size);
    }
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

/** Writes a file and flushes it to the disk before returning (the rename that publishes an entry must not
 *  reach the disk before its data). */
bool writeDurably(const fs::path& path, const void* data, size_t bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const char* p = static_cast<const char*>(data);
    size_t left = bytes;
    while (left > 0) {
        const ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ::close(fd);
            return false;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
    const bool ok = ::fsync(fd) == 0;
    return ::close(fd) == 0 && ok;
}

void syncFolder(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

/** Marks an entry as used now, for the least-recently-used eviction. */
void touch(const fs::path& entry) {
    std::error_code ec;
    fs::last_write_time(entry / "entry.json", fs::file_time_type::clock::now(), ec);
}

}  // namespace

/** Σ x and Σ x² over the tensor's floats in a fixed order, as one number (double). */
double TeacherCache::checksum(const torch::Tensor& t) {
    const float* p = t.data_ptr<float>();
    const int64_t n = t.numel();
    double sum = 0.0, squares = 0.0;
    for (int64_t i = 0; i < n; ++i) {
        sum += p[i];
        squares += static_cast<double>(p[i]) * p[i];
    }
    return sum + 1e-3 * squares;
}

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
    for (const auto& path : children(dir)) {
        std::error_code ec;
        const std::string name = path.filename().string();
        if (!isKey(name) || !fs::is_directory(path, ec)) continue;
        const fs::path meta = path / "entry.json";
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
        entry.bytes = folderBytes(path);
        const auto when = fs::last_write_time(meta, ec);
        if (ec) continue;  // removed meanwhile
        entry.lastUsed = secondsSinceEpoch(when);
        out.push_back(std::move(entry));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.lastUsed != b.lastUsed ? a.lastUsed < b.lastUsed : a.key < b.key;
    });
    return out;
}

int64_t clearTeacherCache(const std::string& dir) {
    int64_t freed = 0;
    std::vector<fs::path> victims;
    for (const auto& path : children(dir)) {
        std::error_code ec;
        const std::string name = path.filename().string();
        if (fs::is_directory(path, ec) &&
            (isKey(name) || name.rfind(".tmp-", 0) == 0 || name.rfind(".trash-", 0) == 0))
            victims.push_back(path);
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
    const auto dayAgo = fs::file_time_type::clock::now() - std::chrono::hours(24);
    for (const auto& path : children(dir)) {
        std::error_code ec;
        const std::string name = path.filename().string();
        if (name.rfind(".tmp-", 0) != 0 && name.rfind(".trash-", 0) != 0) continue;
        const auto when = fs::last_write_time(path, ec);
        if (!ec && when < dayAgo) fs::remove_all(path, ec);
    }
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

bool TeacherCache::covers(const std::vector<int64_t>& indices) const {
    if (!mEnabled || mStore.empty()) return false;
    for (auto i : indices)
        if (!mFilled[i]) return false;
    return true;
}

bool TeacherCache::lookup(const std::vector<int64_t>& indices, torch::Device device,
                          std::unordered_map<std::string, torch::Tensor>& out) const {
    if (!covers(indices)) return false;
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
    // A damaged entry (wrong content) is reported and removed so that this run's outputs replace it; one
    // that vanishes while it is read (evicted by another run) or cannot be read for want of memory or file
    // handles is just a miss, and stays for the others.
    auto fail = [&](const std::string& why, bool damaged) {
        if (problem && damaged) *problem = (entry / "entry.json").string() + ": " + why;
        reset();
        if (damaged) removeEntry(entry);
        return false;
    };
    Json j;
    try {
        j = Json::parse(in);
    } catch (const std::exception&) {
        return fail("not valid JSON", true);
    }
    try {
        if (j.at("version").get<int>() != kFormatVersion)
            return fail("written by another format version", true);
        if (j.at("key").get<std::string>() != key) return fail("holds another key", true);
        if (j.at("samples").get<int64_t>() != static_cast<int64_t>(mFilled.size()))
            return fail("holds " + std::to_string(j.at("samples").get<int64_t>()) + " samples, not " +
                            std::to_string(mFilled.size()),
                        true);
        const Json& taps = j.at("taps");
        if (!taps.is_array() || taps.size() != mShapes.size()) return fail("holds other taps", true);
        for (size_t t = 0; t < mShapes.size(); ++t) {
            const auto& [name, shape] = mShapes[t];
            if (taps[t].at("name").get<std::string>() != name ||
                taps[t].at("shape").get<std::vector<int64_t>>() != shape)
                return fail("holds other taps or shapes", true);
        }
        // Every file opened before any is read: an entry evicted meanwhile is a miss, not damage.
        std::vector<std::ifstream> files;
        for (size_t t = 0; t < mShapes.size(); ++t) {
            files.emplace_back(entry / taps[t].at("file").get<std::string>(), std::ios::binary);
            if (!files.back()) return fail("", false);
        }
        for (size_t t = 0; t < mShapes.size(); ++t) {
            const auto& [name, shape] = mShapes[t];
            std::vector<int64_t> full{static_cast<int64_t>(mFilled.size())};
            full.insert(full.end(), shape.begin(), shape.end());
            auto store = torch::empty(full, torch::kFloat32);
            const auto bytes = static_cast<std::streamsize>(store.numel() * 4);
            const std::string file = taps[t].at("file").get<std::string>();
            files[t].read(static_cast<char*>(store.data_ptr()), bytes);
            if (files[t].gcount() != bytes || files[t].peek() != std::char_traits<char>::eof())
                return fail(file + " has the wrong size", true);
            // The checksum catches content that never reached the disk (a crash before the data did).
            if (checksum(store) != taps[t].at("checksum").get<double>())
                return fail(file + " does not match its checksum", true);
            mStore[name] = store;
        }
    } catch (const nlohmann::json::exception& e) {
        return fail(std::string("unexpected content (") + e.what() + ")", true);
    } catch (const std::exception&) {
        return fail("", false);  // out of memory and the like: not the entry's fault
    }
    std::fill(mFilled.begin(), mFilled.end(), 1);
    mMissing = 0;
    touch(entry);
    return true;
}

bool TeacherCache::store(const std::string& dir, const std::string& key, const std::string& description,
                         int64_t maxBytes, std::string* problem) const {
    if (!complete()) return false;
    std::error_code ec;
    fs::create_directories(dir, ec);
    const fs::path target = fs::path(dir) / key;
    if (fs::exists(target / "entry.json", ec)) {  // another run stored it meanwhile
        touch(target);
        return true;
    }
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
        const auto& store = mStore.at(name);
        j["taps"].push_back(
            {{"name", name}, {"shape", shape}, {"file", file}, {"checksum", checksum(store)}});
        if (!writeDurably(tmp / file, store.data_ptr(), static_cast<size_t>(store.numel()) * 4))
            return fail("cannot write " + (tmp / file).string() + " (disk full?)");
    }
    const std::string text = j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
    if (!writeDurably(tmp / "entry.json", text.data(), text.size()))
        return fail("cannot write " + (tmp / "entry.json").string());
    syncFolder(tmp);
    fs::rename(tmp, target, ec);
    if (ec) {
        // Another run renamed the same key into place first: theirs is identical, ours goes.
        if (fs::exists(target / "entry.json", ec)) {
            fs::remove_all(tmp, ec);
            return true;
        }
        return fail("cannot rename " + tmp.string() + " to " + target.string() + ": " + ec.message());
    }
    syncFolder(dir);
    evictTeacherCache(dir, maxBytes, key);
    return true;
}

}  // namespace distillery
