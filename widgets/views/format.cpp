#include "widgets/views/format.h"

#include <QCoreApplication>
#include <cmath>

#include "core/format.h"

namespace distillery {

QString formatCount(int64_t value) {
    return QString::fromStdString(countText(value));  // the CLI's rule too
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
