// Tensor memory under AddressSanitizer. ASan serves every block above 128 KB with its own mmap and returns it
// with munmap, so each feature map of a training step costs fresh page faults: in the CI's virtual machines
// that put 48 % of an instrumented training step in the kernel and made the sanitizer suites 4-30x slower
// than the plain ones. This allocator keeps LibTorch's large blocks for reuse by size, as the plain build's
// glibc heap does (evaluate.cpp), and poisons a block while it waits, so that a read or write through a freed
// tensor is still reported (as use-after-poison). ThreadSanitizer shares that allocator (sanitizer_common):
// there the blocks are kept without poisoning (the mutex orders a block's reuse across threads). Built into
// sanitizer builds only.
#include "core/internal/sanitizer_allocator.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#include <c10/core/CPUAllocator.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <new>
#include <unordered_map>

namespace distillery {
namespace {

class CachingAllocator final : public c10::Allocator {
public:
    static constexpr size_t kAlignment = 64;      // c10's
    static constexpr size_t kSmall = 128 << 10;   // ASan's own size classes handle these well
    static constexpr size_t kGranule = 64 << 10;  // large requests are rounded up to this
    static constexpr size_t kMaxCached = size_t{2} << 30;

    c10::DataPtr allocate(size_t n) const override {
        if (n <= kSmall) {  // straight from the sanitizer, without the cache's lock and bookkeeping
            void* p = nullptr;
            if (posix_memalign(&p, kAlignment, std::max<size_t>(n, 1)) != 0 || !p) throw std::bad_alloc();
            return {p, p, &std::free, c10::Device(c10::DeviceType::CPU)};
        }
        void* p = take(n);
        return {p, p, &release, c10::Device(c10::DeviceType::CPU)};
    }
    c10::DeleterFnPtr raw_deleter() const override { return &release; }

    static CachingAllocator& instance() {
        static auto* a = new CachingAllocator;  // never destroyed: tensors may outlive static destruction
        return *a;
    }

private:
    static void release(void* p) { instance().give(p); }

    void* take(size_t n) const {
        const size_t size = (n + kGranule - 1) / kGranule * kGranule;
        {
            std::lock_guard<std::mutex> lock(mMutex);
            auto it = mFree.find(size);
            if (it != mFree.end()) {
                void* p = it->second;
                mFree.erase(it);
                mCached -= size;
                mSizes[p] = size;
                ASAN_UNPOISON_MEMORY_REGION(p, size);
                return p;
            }
        }
        void* p = nullptr;
        if (posix_memalign(&p, kAlignment, size) != 0 || !p) throw std::bad_alloc();
        std::lock_guard<std::mutex> lock(mMutex);
        mSizes[p] = size;
        return p;
    }

    void give(void* p) {
        if (!p) return;
        std::lock_guard<std::mutex> lock(mMutex);
        auto it = mSizes.find(p);
        const size_t size = it == mSizes.end() ? 0 : it->second;
        if (it != mSizes.end()) mSizes.erase(it);
        if (size == 0 || mCached + size > kMaxCached) {  // not one of take()'s (raw_deallocate), or full
            std::free(p);
            return;
        }
        ASAN_POISON_MEMORY_REGION(p, size);
        mFree.emplace(size, p);
        mCached += size;
    }

    mutable std::mutex mMutex;
    mutable std::multimap<size_t, void*> mFree;
    mutable std::unordered_map<void*, size_t> mSizes;
    mutable size_t mCached = 0;
};

}  // namespace

void installSanitizerAllocator() {
    static std::once_flag once;
    std::call_once(once, [] { c10::SetCPUAllocator(&CachingAllocator::instance(), 1); });
}

namespace {
// At start-up, so that every process of an instrumented build has it (the CLI's commands that run no job, a
// test's own tensors), not only those that set their thread count.
const bool kInstalledAtStart = (installSanitizerAllocator(), true);
}  // namespace

}  // namespace distillery

#else

namespace distillery {
void installSanitizerAllocator() {}
}  // namespace distillery

#endif
