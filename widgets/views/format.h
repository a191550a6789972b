#pragma once
// Short human-readable numbers for tables and labels (272K params, 31.0M MACs, 3 min 12 s).

#include <QString>
#include <cstdint>
#include <string>

namespace distillery {

/** 950 -> "950", 4500 -> "4.5K", 272186 -> "272K", 31021952 -> "31.0M", 2.4e9 -> "2.4G". */
QString formatCount(int64_t value);

/** Bytes as the quantization budget writes them, 1 KB = 1000 bytes: 950 -> "950 B", 77418 -> "77.4 KB",
 *  1.2e6 -> "1.20 MB". */
QString formatBytes(double bytes);

/** 41.2 -> "41 s", 192 -> "3 min 12 s", 4000 -> "1 h 06 min"; negative -> "". */
QString formatDuration(double seconds);

/** A metric's name as tables show it, translated: "top1" -> "top-1", "miou" -> "mIoU" (the core's
 *  metricDisplayName), other names as they are. */
QString metricText(const std::string& metric);

}  // namespace distillery
