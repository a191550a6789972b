#include "widgets/quant_comparison_model.h"

#include <QDir>
#include <QFileInfo>
#include <cmath>
#include <functional>
#include <set>

#include "widgets/views/format.h"

namespace distillery {

namespace {

constexpr double kMissingSort = -1e300;  // cells without a value sort below every number

QString pct(double v) {
    return QString::number(v, 'f', 2);
}

QString ms(double v) {
    return QString::number(v, 'f', 1);
}

QString ops(double v) {
    return formatCount(static_cast<int64_t>(std::llround(v)));
}

QString times(double ratio) {
    return QStringLiteral("%1×").arg(ratio, 0, 'f', 2);
}

}  // namespace

QuantComparisonModel::QuantComparisonModel(QObject* parent) : QAbstractTableModel(parent) {}

QString QuantComparisonModel::methodLabel(const std::string& methodName) {
    // Once-QAT: one vertical-layered model for several widths.
    if (methodName.rfind("once-", 0) == 0) return tr("Once-%1").arg(methodLabel(methodName.substr(5)));
    const QString method = QString::fromStdString(methodName);
    const bool mixed = method.endsWith(QLatin1String("-mixed"));
    const QString base = mixed ? method.chopped(6) : method;
    QString label;
    if (base == QLatin1String("ptq"))
        label = tr("PTQ");
    else if (base == QLatin1String("qat"))
        label = tr("QAT");
    else if (base == QLatin1String("qat-kd"))
        label = tr("QAT + KD");
    else if (base == QLatin1String("qat-self"))
        label = tr("QAT, self-taught");
    else
        label = base.toUpper();
    return mixed ? tr("%1 (mixed)").arg(label) : label;
}

QString QuantComparisonModel::widthsText(const std::vector<QuantLayer>& layers) {
    std::set<int, std::greater<int>> weights, acts;
    for (const auto& l : layers) {
        weights.insert(l.weightBits > 0 ? l.weightBits : 32);
        acts.insert(l.weightBits > 0 ? l.activationBits : 32);
    }
    QStringList w, a;
    for (int b : weights)
        w << QString::number(b);
    for (int b : acts)
        a << QString::number(b);
    return QStringLiteral("W%1 A%2").arg(w.join('/'), a.join('/'));
}

void QuantComparisonModel::setComparison(QuantComparison comparison) {
    beginResetModel();
    mComparison = std::move(comparison);
    mRows.clear();
    if (!mComparison.sourceDir.isEmpty()) {
        addTeacherRow();
        addSourceRow();
        for (const auto& q : mComparison.quantized)
            addQuantizedRow(q);
    }
    endResetModel();
    // The metric column's title names the source's metric.
    Q_EMIT headerDataChanged(Qt::Horizontal, Metric, Metric);
}

QuantComparisonModel::Cell QuantComparisonModel::number(double value, bool valid, const QString& text) {
    return valid ? Cell{text, value, {}} : Cell{QStringLiteral("—"), kMissingSort, {}};
}

void QuantComparisonModel::addTeacherRow() {
    const QuantComparison& c = mComparison;
    if (!c.teacher || !c.teacher->summary) return;
    const RunSummaryRecord& s = *c.teacher->summary;
    const double best = s.bestOf(c.metric);
    const double params = static_cast<double>(s.params), macs = static_cast<double>(s.macs);
    const double size = params * 4, bops = macs * 32 * 32;  // every parameter and operand at 32 bit
    const QString name = QFileInfo(c.teacherDir).fileName();
    Row row;
    row.dir = c.teacherDir;
    row.cells.resize(ColumnCount);
    row.cells[Model] = {tr("Teacher"), {}, QString::fromStdString(s.student.label())};
    row.cells[RunName] = {name, name.toLower(), QDir::toNativeSeparators(c.teacherDir)};
    row.cells[Bits] = {QStringLiteral("fp32"), 32, {}};
    row.cells[Metric] = number(best, !std::isnan(best), pct(best));
    row.cells[Int8Metric] = number(0, false, {});
    row.cells[Agreement] = number(0, false, {});
    row.cells[Size] = number(size, params > 0, formatBytes(size));
    row.cells[Size].tip = tr("All parameters at 32 bit, from the teacher's summary");
    const double ratio = params > 0 ? c.fp32Cost.sizeBytes / size : 0.0;
    row.cells[Compression] = number(ratio, params > 0 && c.fp32Cost.sizeBytes > 0, times(ratio));
    row.cells[Bops] = number(bops, macs > 0, ops(bops));
    row.cells[LatencyFp32] = number(0, false, {});
    row.cells[LatencyInt8] = number(0, false, {});
    mRows.push_back(std::move(row));
}

void QuantComparisonModel::addSourceRow() {
    const QuantComparison& c = mComparison;
    // The source's best value of the comparison's metric: its summary, or metrics.jsonl while it has none.
    const double best = c.source && c.source->mainMetric == c.metric ? c.source->bestMetric : std::nan("");
    // Latency: from the newest report that timed the fp32 model.
    double latency = -1;
    for (const auto& q : c.quantized)
        if (q.fp32LatencyMs > 0) latency = q.fp32LatencyMs;
    const QString name = QFileInfo(c.sourceDir).fileName();
    Row row;
    row.dir = c.sourceDir;
    row.cells.resize(ColumnCount);
    row.cells[Model] = {tr("fp32 student"), {}, QString::fromStdString(c.sourceModel)};
    row.cells[RunName] = {name, name.toLower(), QDir::toNativeSeparators(c.sourceDir)};
    row.cells[Bits] = {QStringLiteral("fp32"), 32, {}};
    row.cells[Metric] = number(best, !std::isnan(best), pct(best));
    row.cells[Int8Metric] = number(0, false, {});
    row.cells[Agreement] = number(0, false, {});
    row.cells[Size] =
        number(c.fp32Cost.sizeBytes, c.fp32Cost.sizeBytes > 0, formatBytes(c.fp32Cost.sizeBytes));
    row.cells[Compression] = number(1.0, c.fp32Cost.sizeBytes > 0, times(1.0));
    row.cells[Bops] = number(c.fp32Cost.bops, c.fp32Cost.bops > 0, ops(c.fp32Cost.bops));
    row.cells[LatencyFp32] = number(latency, latency > 0, ms(latency));
    row.cells[LatencyInt8] = number(0, false, {});
    mRows.push_back(std::move(row));
}

void QuantComparisonModel::addQuantizedRow(const QuantizeResult& q) {
    const QString dir = QString::fromStdString(q.outDir);
    const QString name = QFileInfo(dir).fileName();
    QString modelTip = QString::fromStdString(q.method);
    if (!q.observer.empty()) modelTip += tr(", observer %1").arg(QString::fromStdString(q.observer));
    auto rowFor = [&](double simulated, double int8, double agreement, const QuantCost& cost,
                      const QString& bits, const QString& label, int width) {
        const double ratio = cost.sizeBytes > 0 ? q.fp32Cost.sizeBytes / cost.sizeBytes : 0;
        Row row;
        row.dir = dir;
        row.width = width;
        row.cells.resize(ColumnCount);
        row.cells[Model] = {label, {}, modelTip};
        row.cells[RunName] = {name, name.toLower(), QDir::toNativeSeparators(dir)};
        row.cells[Bits] = {bits, cost.sizeBytes, {}};
        row.cells[Metric] = number(simulated, true, pct(simulated));
        row.cells[Metric].tip = tr("Simulated in the engine; the fp32 source had %1").arg(pct(q.fp32Metric));
        row.cells[Int8Metric] = number(int8, int8 >= 0, pct(int8));
        row.cells[Agreement] = number(agreement, agreement >= 0, pct(agreement));
        row.cells[Size] = number(cost.sizeBytes, cost.sizeBytes > 0, formatBytes(cost.sizeBytes));
        row.cells[Compression] = number(ratio, ratio > 0, times(ratio));
        row.cells[Bops] = number(cost.bops, cost.bops > 0, ops(cost.bops));
        row.cells[LatencyFp32] = number(q.fp32LatencyMs, q.fp32LatencyMs > 0, ms(q.fp32LatencyMs));
        row.cells[LatencyInt8] = number(q.int8LatencyMs, q.int8LatencyMs > 0, ms(q.int8LatencyMs));
        mRows.push_back(std::move(row));
    };
    if (q.vertical.empty()) {
        rowFor(q.simulatedMetric, q.int8Metric, q.int8Agreement, q.cost, widthsText(q.layers),
               methodLabel(q.method), 0);
        return;
    }
    // A once-QAT model: one row per width it holds, each measured from the one set of weights.
    for (const auto& v : q.vertical) {
        rowFor(v.simulatedMetric, v.int8Metric, v.int8Agreement, v.cost, QStringLiteral("W%1 A8").arg(v.bits),
               tr("%1 · %2 bit").arg(methodLabel(q.method)).arg(v.bits), v.bits);
        mRows.back().cells[Model].tip = tr("%1; one model for %2 bits, this row its %3-bit weights")
                                            .arg(modelTip)
                                            .arg([&] {
                                                QStringList w;
                                                for (const auto& x : q.vertical)
                                                    w << QString::number(x.bits);
                                                return w.join(QLatin1Char('/'));
                                            }())
                                            .arg(v.bits);
    }
}

QString QuantComparisonModel::runDir(int row) const {
    return row >= 0 && row < rowCount() ? mRows[row].dir : QString();
}

int QuantComparisonModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(mRows.size());
}

int QuantComparisonModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QuantComparisonModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
            case Model:
                return tr("Model");
            case RunName:
                return tr("Run");
            case Bits:
                return tr("Bits");
            case Metric:
                return tr("%1 (%)").arg(metricText(mComparison.metric));
            case Int8Metric:
                return tr("LibTorch int8 (%)");
            case Agreement:
                return tr("Agreement (%)");
            case Size:
                return tr("Size");
            case Compression:
                return tr("× smaller");
            case Bops:
                return tr("BOPs");
            case LatencyFp32:
                return tr("fp32 (ms)");
            case LatencyInt8:
                return tr("int8 (ms)");
            default:
                return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case Bits:
                return tr("Weight and activation widths (W/A) of the conv and linear layers");
            case Metric:
                return tr("Validation metric; for quantized runs of the fake-quantized model in the engine");
            case Int8Metric:
                return tr("The same quantized model run with LibTorch's int8 kernels");
            case Agreement:
                return tr(
                    "Share of validation predictions where LibTorch int8 and the simulated model agree");
            case Size:
                return tr("Conv and linear weights at their widths (1 KB = 1000 bytes)");
            case Compression:
                return tr("The fp32 student's size over this one's");
            case Bops:
                return tr("Bit operations: Σ MACs × weight bits × activation bits");
            case LatencyFp32:
                return tr("Time per batch of 64 in fp32 (BatchNorm folded)");
            case LatencyInt8:
                return tr("Time per batch of 64 with LibTorch's int8 kernels");
            default:
                return {};
        }
    }
    return {};
}

QVariant QuantComparisonModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= ColumnCount) return {};
    const Row& row = mRows[index.row()];
    const Cell& cell = row.cells[index.column()];
    switch (role) {
        case Qt::DisplayRole:
            return cell.text;
        case Qt::ToolTipRole:
            return cell.tip.isEmpty() ? QVariant() : QVariant(cell.tip);
        case SortRole:
            // The Model column sorts teacher, fp32 student, then the quantized runs as they were read.
            return index.column() == Model ? QVariant(index.row()) : cell.sort;
        case RunDirRole:
            return row.dir;
        case WidthRole:
            return row.width;
        case Qt::TextAlignmentRole:
            if (index.column() == Model || index.column() == RunName || index.column() == Bits)
                return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        default:
            return {};
    }
}

}  // namespace distillery
