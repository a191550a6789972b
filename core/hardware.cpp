#include "core/hardware.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace distillery {

namespace {

/** The flags of the first processor in /proc/cpuinfo (all cores of a machine have the same). */
std::string cpuFlags() {
    std::ifstream in("/proc/cpuinfo");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("flags", 0) == 0) {
            const size_t colon = line.find(':');
            return colon == std::string::npos ? std::string() : " " + line.substr(colon + 1) + " ";
        }
    }
    return {};
}

}  // namespace

std::string nativeBf16Flags() {
    const std::string flags = cpuFlags();
    std::string found;
    for (const char* flag : {"avx512_bf16", "amx_bf16"})
        if (flags.find(std::string(" ") + flag + " ") != std::string::npos)
            found += (found.empty() ? "" : ", ") + std::string(flag);
    return found;
}

bool cpuHasNativeBf16() {
    if (const char* forced = std::getenv("DISTILLERY_CPU_BF16"); forced && *forced)
        return std::string(forced) != "0";
    static const bool native = !nativeBf16Flags().empty();
    return native;
}

}  // namespace distillery
