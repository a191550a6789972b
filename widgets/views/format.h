#pragma once
// Short human-readable numbers for tables and labels (272K params, 31.0M MACs, 3 min 12 s).

#include <QString>
#include <cstdint>

namespace distillery {

/** 950 -> "950", 4500 -> "4.5K", 272186 -> "272K", 31021952 -> "31.0M", 2.4e9 -> "2.4G". */
QString formatCount(int64_t value);

/** 41.2 -> "41 s", 192 -> "3 min 12 s", 4000 -> "1 h 06 min"; negative -> "". */
QString formatDuration(double seconds);

}  // namespace distillery
