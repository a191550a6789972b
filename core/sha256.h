#pragma once
// SHA-256 of bytes and files (FIPS 180-4), for content hashes of imported models and cached data. No torch.

#include <cstddef>
#include <cstdint>
#include <string>

namespace distillery {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t bytes);
    /** The digest as 64 lowercase hex digits; the object must not be updated afterwards. */
    std::string hex();

private:
    void block(const uint8_t* p);
    uint32_t mState[8];
    uint8_t mBuffer[64];
    size_t mBuffered = 0;
    uint64_t mLength = 0;
};

std::string sha256(const std::string& bytes);
/** Throws Error naming the file when it cannot be read. */
std::string sha256File(const std::string& path);

}  // namespace distillery
