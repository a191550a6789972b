#pragma once
// Short human-readable counts, one rule for the CLI and the workbench. No torch, no Qt.

#include <cstdint>
#include <string>

namespace distillery {

/** 950 -> "950", 4 500 -> "4.5K", 272 186 -> "272K", 999 700 -> "1.0M" (rounded before the unit is chosen,
 *  never "1000K"), 31 021 952 -> "31.0M", 2.4e9 -> "2.4G", 3.1e12 -> "3.1T"; negative counts keep their sign.
 */
std::string countText(int64_t count);

/** Sizes in binary units: 512 -> "512 B", 1 536 -> "1.5 KiB", 786 432 000 -> "750 MiB", 3 GiB -> "3.0 GiB"
 *  (one decimal below 100 of a unit, none above). */
std::string bytesText(int64_t bytes);

/** ASCII lower case ("MB" -> "mb"), for case-insensitive units and names in user input. */
std::string lower(std::string text);

/** "kind=<number><unit>" as users write budgets ("size=40KB", "params=50%", "bops=2.5G"): the kind and the
 *  unit lower-cased, the unit without spaces. False when there is no '=' or the value does not start with a
 *  number. */
struct KindValue {
    std::string kind;
    double number = 0.0;
    std::string unit;
};
bool splitKindValue(const std::string& text, KindValue& out);

/** The factor of a decimal suffix among `allowed` (a subset of "kmgt", lower case): "" → 1, k → 1e3, m → 1e6,
 *  g → 1e9, t → 1e12; 0 for a suffix that is not allowed. */
double decimalFactor(const std::string& unit, const std::string& allowed = "kmgt");

/** A message up to its first line break: what one-line reports (run summaries, errors) show. */
std::string firstLine(const std::string& text);

}  // namespace distillery
