#pragma once
// The shared on-disk teacher cache, as plain data (no torch): where it lives, what it holds, and clearing
// it. Runs with a deterministic input pipeline store the frozen teacher's tap outputs there once, keyed by
// the content of everything that determines them, and every later run with the same key (another seed,
// another method, a resumed run) reads them instead of running the teacher. The engine's reader and
// writer are in core/internal/teacher_cache.h.

#include <cstdint>
#include <string>
#include <vector>

namespace distillery {

/** The cache folder: $DISTILLERY_TEACHER_CACHE, else $XDG_CACHE_HOME/distillery/teacher, else
 *  ~/.cache/distillery/teacher (not created here). "off" in the variable disables the cache. */
std::string defaultTeacherCacheDir();

/** Size bound of the cache folder: $DISTILLERY_TEACHER_CACHE_SIZE ("20G", "500M", "1.5G" or bytes), else
 *  8 GiB. Throws Error naming the variable when its value is not a size. */
int64_t defaultTeacherCacheBytes();

/** Parses "20G", "500M", "64K", "1.5G" or a plain byte count; returns -1 when the text is not a size. */
int64_t parseByteSize(const std::string& text);

struct TeacherCacheEntry {
    std::string key;      // 64 hex digits: SHA-256 of the description
    std::string teacher;  // the teacher's architecture and precision, for people
    std::string data;     // the data set and split size, for people
    std::vector<std::string> taps;
    int64_t samples = 0;
    int64_t bytes = 0;     // on disk
    int64_t lastUsed = 0;  // seconds since the epoch (the entry's last read or write)
};

/** The complete entries in `dir`, least recently used first. A missing folder has none. */
std::vector<TeacherCacheEntry> listTeacherCache(const std::string& dir);

/** Removes every entry (and leftovers of interrupted writes) from `dir`; returns the bytes freed. Entries
 *  that running jobs have already opened stay readable to them. */
int64_t clearTeacherCache(const std::string& dir);

}  // namespace distillery
