#pragma once

namespace distillery {

/** Under AddressSanitizer and ThreadSanitizer, LibTorch's CPU tensors come from a caching allocator that
 * keeps freed blocks for reuse, poisoned while they wait (core/sanitizer_allocator.cpp); elsewhere nothing
 * happens. */
void installSanitizerAllocator();

}  // namespace distillery
