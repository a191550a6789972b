#include "widgets/views/format.h"

#include <QCoreApplication>
#include <cmath>

#include "core/format.h"
#include "core/run_folder.h"

namespace distillery {

QString formatCount(int64_t value) {
    return QString::fromStdString(countText(value));  // the CLI's rule too
}

QString formatBytes(double bytes) {
    if (bytes < 1e3) return QStringLiteral("%1 B").arg(bytes, 0, 'f', 0);
    if (bytes < 1e6) return QStringLiteral("%1 KB").arg(bytes / 1e3, 0, 'f', 1);
    return QStringLiteral("%1 MB").arg(bytes / 1e6, 0, 'f', 2);
}

QString formatDuration(double seconds) {
    if (!(seconds >= 0)) return {};
    const auto tr = [](const char* s) { return QCoreApplication::translate("distillery::Format", s); };
    const qint64 total = std::llround(seconds);
    if (total < 60) return tr("%1 s").arg(total);
    if (total < 3600) return tr("%1 min %2 s").arg(total / 60).arg(total % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(total / 3600).arg((total % 3600) / 60, 2, 10, QLatin1Char('0'));
}

QString metricText(const std::string& metric) {
    // The core names the metrics; only the names it knows are offered to the translators.
    static const char* const kKnown[] = {QT_TRANSLATE_NOOP("distillery::Format", "top-1"),
                                         QT_TRANSLATE_NOOP("distillery::Format", "mIoU")};
    Q_UNUSED(kKnown);
    const std::string shown = metricDisplayName(metric);
    return QCoreApplication::translate("distillery::Format", shown.c_str());
}

}  // namespace distillery
