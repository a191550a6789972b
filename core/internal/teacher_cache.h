#pragma once
// Teacher outputs per training sample (internal: torch tensors). In memory for the run, and persisted in
// the shared on-disk cache (core/teacher_cache.h) when the run's input pipeline is deterministic.
//
// On disk an entry is a folder named by its key holding entry.json (key, description, taps, shapes,
// checksums) and one raw float32 file per tap ([samples, ...shape], native byte order). Writers build the
// folder under a temporary name, flush it to the disk and rename it into place, so readers see complete
// entries or none; two runs that write the same key race harmlessly (the first rename wins, the second
// discards its copy). Eviction renames an entry away before deleting it, and a reader that loses the race
// treats it as a miss.

#include <torch/torch.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "core/teacher_cache.h"

namespace distillery {

class TeacherCache {
public:
    static constexpr int64_t kMemoryBudgetBytes = int64_t{3} << 30;

    /** Returns false (and stays disabled) when the outputs would not fit the memory budget. `shapes`: each
     *  tap's per-sample shape. */
    bool enable(int64_t samples, const std::vector<std::pair<std::string, std::vector<int64_t>>>& shapes);
    bool enabled() const { return mEnabled; }
    int64_t bytes() const { return mBytes; }
    /** Every sample's outputs are present. */
    bool complete() const { return mEnabled && mMissing == 0; }

    /** Every one of `indices` has its outputs stored. */
    bool covers(const std::vector<int64_t>& indices) const;
    bool lookup(const std::vector<int64_t>& indices, torch::Device device,
                std::unordered_map<std::string, torch::Tensor>& out) const;
    void insert(const std::vector<int64_t>& indices,
                const std::unordered_map<std::string, torch::Tensor>& outputs);
    /** Forgets every stored output (a disk entry that failed its check). */
    void reset();

    /** Fills the whole cache from entry `key` in `dir`. False on a miss; `problem` says why when the entry
     *  exists but cannot be used (damaged, other shapes), and that entry is removed so that the run's own
     *  outputs replace it. */
    bool load(const std::string& dir, const std::string& key, std::string* problem);
    /** Writes the complete cache as entry `key` (with `description`, a JSON object's text, for people), then
     *  evicts least recently used entries until the folder holds at most `maxBytes` (the new entry stays even
     *  when it alone is larger). False with `problem` on I/O failure; the run goes on without it. */
    bool store(const std::string& dir, const std::string& key, const std::string& description,
               int64_t maxBytes, std::string* problem) const;

    /** The checksum an entry records per tap (a function of every value, in a fixed order). */
    static double checksum(const torch::Tensor& t);

private:
    bool mEnabled = false;
    int64_t mBytes = 0;
    int64_t mMissing = 0;
    std::vector<char> mFilled;
    std::vector<std::pair<std::string, std::vector<int64_t>>> mShapes;
    std::unordered_map<std::string, torch::Tensor> mStore;
};

/** Removes entry `key` of `dir` (one that failed its check against the teacher). */
void removeTeacherCacheEntry(const std::string& dir, const std::string& key);

/** Removes least recently used entries of `dir` (never `keep`) until it holds at most `maxBytes`. */
void evictTeacherCache(const std::string& dir, int64_t maxBytes, const std::string& keep);

}  // namespace distillery
