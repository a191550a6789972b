#pragma once
// Short human-readable counts, one rule for the CLI and the workbench. No torch, no Qt.

#include <cstdint>
#include <string>

namespace distillery {

/** 950 -> "950", 4 500 -> "4.5K", 272 186 -> "272K", 999 700 -> "1.0M" (rounded before the unit is chosen,
 *  never "1000K"), 31 021 952 -> "31.0M", 2.4e9 -> "2.4G", 3.1e12 -> "3.1T"; negative counts keep their sign.
 */
std::string countText(int64_t count);

}  // namespace distillery
