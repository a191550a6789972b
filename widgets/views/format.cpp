#include "widgets/views/format.h"

#include <QCoreApplication>
#include <cmath>

namespace distillery {

QString formatCount(int64_t value) {
    const double v = static_cast<double>(value);
    const double a = std::abs(v);
    if (a < 1e3) return QString::number(value);
    if (a < 1e4) return QString::number(v / 1e3, 'f', 1) + QLatin1Char('K');
    // Round before choosing the unit so 999.6K becomes 1.0M, not "1000K".
    if (std::round(a / 1e3) < 1e3) return QString::number(v / 1e3, 'f', 0) + QLatin1Char('K');
    if (std::round(a / 1e5) < 1e4) return QString::number(v / 1e6, 'f', 1) + QLatin1Char('M');
    return QString::number(v / 1e9, 'f', 1) + QLatin1Char('G');
}

QString formatDuration(double seconds) {
    if (!(seconds >= 0)) return {};
    const auto tr = [](const char* s) { return QCoreApplication::translate("distillery::Format", s); };
    const qint64 total = std::llround(seconds);
    if (total < 60) return tr("%1 s").arg(total);
    if (total < 3600) return tr("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

}  // namespace distillery
