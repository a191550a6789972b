#include "core/format.h"
#include <algorithm>
#include <cctype>

#include <cmath>
#include <cstdio>

namespace distillery {

std::string countText(int64_t count) {
    const double v = static_cast<double>(count);
    const double a = std::fabs(v);
    if (a < 1e3) return std::to_string(count);
    char buf[32];
    if (a < 1e4) {
        // Below 10K one decimal, unless it rounds up to 10.0K.
        if (std::round(a / 1e2) < 1e2) {
            std::snprintf(buf, sizeof buf, "%.1fK", v / 1e3);
            return buf;
        }
    }
    // Round before choosing the unit so that 999.7K is "1.0M", not "1000K".
    if (std::round(a / 1e3) < 1e3) {
        std::snprintf(buf, sizeof buf, "%.0fK", v / 1e3);
        return buf;
    }
    static const char* units[] = {"M", "G", "T"};
    double scale = 1e6;
    for (int u = 0; u < 3; ++u, scale *= 1e3) {
        if (std::round(a / (scale / 10)) < 1e4 || u == 2) {
            std::snprintf(buf, sizeof buf, "%.1f%s", v / scale, units[u]);
            return buf;
        }
    }
    return std::to_string(count);
}

std::string bytesText(int64_t bytes) {
    if (bytes < 1024 && bytes > -1024) return std::to_string(bytes) + " B";
    static const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = static_cast<double>(bytes) / 1024.0;
    int u = 0;
    while (std::fabs(v) >= 1024.0 && u < 3) {
        v /= 1024.0;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, std::fabs(v) < 99.95 ? "%.1f %s" : "%.0f %s", v, units[u]);
    return buf;
}

std::string firstLine(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

bool splitKindValue(const std::string& text, KindValue& out) {
    const auto eq = text.find('=');
    if (eq == std::string::npos) return false;
    out.kind = lower(text.substr(0, eq));
    const std::string value = text.substr(eq + 1);
    size_t used = 0;
    try {
        out.number = std::stod(value, &used);
    } catch (const std::exception&) {
        return false;
    }
    out.unit = lower(value.substr(used));
    out.unit.erase(std::remove(out.unit.begin(), out.unit.end(), ' '), out.unit.end());
    return true;
}

double decimalFactor(const std::string& unit, const std::string& allowed) {
    if (unit.empty()) return 1.0;
    if (unit.size() != 1 || allowed.find(unit[0]) == std::string::npos) return 0.0;
    switch (unit[0]) {
        case 'k':
            return 1e3;
        case 'm':
            return 1e6;
        case 'g':
            return 1e9;
        case 't':
            return 1e12;
        default:
            return 0.0;
    }
}

}  // namespace distillery
