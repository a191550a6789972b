#pragma once
// The Quantize page's comparison table: the source's teacher and the source itself in fp32, then each
// quantized run made from the source (PTQ, QAT, mixed precision), with metric, LibTorch int8 metric,
// agreement, size, compression, BOPs and latency. The model only shows a QuantComparison; reading one from
// the run folders is quant_run_scan.h's job, off the GUI thread.

#include <QAbstractTableModel>
#include <QString>
#include <QStringList>
#include <optional>
#include <string>
#include <vector>

#include "core/quantize.h"
#include "core/run_folder.h"

namespace distillery {

/** Everything the comparison shows, as read from the run folders. */
struct QuantComparison {
    QString sourceDir;                      // the fp32 student run; empty: no source, no rows
    std::string sourceModel;                // the student's display name (the row's tooltip)
    std::string metric = "top1";            // the source's main metric, the metric column's name
    std::optional<RunOverview> source;      // the source's folder
    QString teacherDir;                     // the run the source's teacher checkpoint is in
    std::optional<RunOverview> teacher;     // a row only when its summary could be read
    QuantCost fp32Cost;                     // the source's conv and linear layers in float
    std::vector<QuantizeResult> quantized;  // the source's quantized runs (outDir: their folder)
    QStringList errors;                     // reports that could not be read, one line each
};

class QuantComparisonModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column {
        Model,
        RunName,
        Bits,
        Metric,
        Int8Metric,
        Agreement,
        Size,
        Compression,
        Bops,
        LatencyFp32,
        LatencyInt8,
        ColumnCount
    };
    enum Role {
        SortRole = Qt::UserRole + 1,  // numbers for number columns; the Model column keeps the row order
        RunDirRole,                   // the row's run folder, in every column
        WidthRole                     // a once-QAT model's row: the width it shows (0 on other rows)
    };

    explicit QuantComparisonModel(QObject* parent = nullptr);

    /** Replaces every row (teacher, fp32 student, quantized runs in that order). */
    void setComparison(QuantComparison comparison);
    const QuantComparison& comparison() const { return mComparison; }
    /** The run folder of a row in model order; empty when out of range. */
    QString runDir(int row) const;

    /** "ptq", "qat-kd-mixed", "once-qat-self" → "PTQ", "QAT + KD (mixed)", "Once-QAT, self-taught". */
    static QString methodLabel(const std::string& method);
    /** "W8 A8", "W8/4/2 A8": the weight and activation widths used, widest first. */
    static QString widthsText(const std::vector<QuantLayer>& layers);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    QVariant data(const QModelIndex& index, int role) const override;

private:
    struct Cell {
        QString text;
        QVariant sort;
        QString tip;
    };
    struct Row {
        QString dir;
        int width = 0;            // once-QAT: the width of the one model this row shows
        std::vector<Cell> cells;  // ColumnCount
    };
    /** A number cell, or a dash that sorts below every number when there is no value. */
    static Cell number(double value, bool valid, const QString& text);
    void addTeacherRow();
    void addSourceRow();
    void addQuantizedRow(const QuantizeResult& q);

    QuantComparison mComparison;
    std::vector<Row> mRows;
};

}  // namespace distillery
