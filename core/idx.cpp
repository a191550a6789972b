// IDX reader (the MNIST family's format): big-endian header, then unsigned bytes. gzopen reads plain files
// transparently, so one code path serves both `.gz` and uncompressed copies.

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "core/dataset.h"

namespace distillery {

namespace {

struct GzCloser {
    void operator()(gzFile_s* f) const { gzclose(f); }
};

std::string hex32(uint32_t v) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", v);
    return buf;
}

/** Reads up to `size` bytes; returns how many arrived. Throws on a decompression error (corrupt gzip). */
size_t readSome(gzFile file, uint8_t* dst, size_t size, const std::string& path) {
    size_t got = 0;
    while (got < size) {
        // gzread takes an unsigned int; large reads go in chunks.
        unsigned chunk = static_cast<unsigned>(std::min<size_t>(size - got, 1u << 30));
        int n = gzread(file, dst + got, chunk);
        if (n < 0) {
            int code = 0;
            const char* msg = gzerror(file, &code);
            throw Error("IDX file " + path + ": cannot be read (" + (msg ? msg : "gzip error") + ")");
        }
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    return got;
}

}  // namespace

IdxArray readIdx(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error("IDX file " + path + ": not found");
    if (std::filesystem::is_directory(path, ec))
        throw Error("IDX file " + path + ": is a folder, not a file");
    std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.c_str(), "rb"));
    if (!file) throw Error("IDX file " + path + ": cannot be opened");
    gzbuffer(file.get(), 1 << 18);

    uint8_t magic[4];
    if (readSome(file.get(), magic, 4, path) < 4) throw Error("IDX file " + path + ": truncated header");
    uint32_t magicValue =
        (uint32_t(magic[0]) << 24) | (uint32_t(magic[1]) << 16) | (uint32_t(magic[2]) << 8) | magic[3];
    // Only unsigned-byte data (type 0x08) is supported; that covers every MNIST-style set.
    int ndims = magic[3];
    if (magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 || ndims < 1 || ndims > 4)
        throw Error(
            "IDX file " + path + ": bad magic " + hex32(magicValue) +
            " (expected an unsigned-byte IDX file, e.g. 0x00000801 for labels or 0x00000803 for images)");

    IdxArray out;
    uint64_t total = 1;
    for (int d = 0; d < ndims; ++d) {
        uint8_t b[4];
        if (readSome(file.get(), b, 4, path) < 4) throw Error("IDX file " + path + ": truncated header");
        uint64_t dim = (uint64_t(b[0]) << 24) | (uint64_t(b[1]) << 16) | (uint64_t(b[2]) << 8) | b[3];
        out.dims.push_back(static_cast<int64_t>(dim));
        total *= dim;
        if (total > (uint64_t(1) << 36))
            throw Error("IDX file " + path + ": implausible dimensions in the header");
    }

    // An uncompressed file must hold the data in full; checking the size first avoids allocating for a
    // header that lies.
    if (gzdirect(file.get())) {
        uint64_t headerBytes = 4 + 4 * static_cast<uint64_t>(ndims);
        uint64_t fileBytes = std::filesystem::file_size(path, ec);
        if (!ec && fileBytes < headerBytes + total)
            throw Error("IDX file " + path + ": truncated (expected " + std::to_string(total) +
                        " data bytes, found " + std::to_string(fileBytes - headerBytes) + ")");
    }

    // Grow in chunks so that a corrupt gzip header cannot make us allocate gigabytes up front.
    out.data.reserve(static_cast<size_t>(std::min<uint64_t>(total, uint64_t(1) << 24)));
    size_t got = 0;
    while (got < total) {
        size_t chunk = static_cast<size_t>(std::min<uint64_t>(total - got, uint64_t(1) << 24));
        out.data.resize(got + chunk);
        size_t n = readSome(file.get(), out.data.data() + got, chunk, path);
        got += n;
        if (n < chunk) break;
    }
    if (got < total)
        throw Error("IDX file " + path + ": truncated (expected " + std::to_string(total) +
                    " data bytes, found " + std::to_string(got) + ")");
    out.data.shrink_to_fit();
    return out;
}

}  // namespace distillery
