#pragma once
// The Quantize page's per-layer table: each conv and linear layer of the source student with its parameters,
// MACs, weight and activation widths (the weight width is editable), its bit operations at those widths and
// its measured sensitivity at 6, 4 and 2 bit. The model owns the layers; the page reads them back for the
// cost, the budget search and the QuantSpec.

#include <QAbstractTableModel>
#include <map>
#include <string>
#include <vector>

#include "core/quantize.h"

namespace distillery {

class QuantLayersModel : public QAbstractTableModel {
    Q_OBJECT

public:
    enum Column { Name, Op, Params, Macs, WeightBits, ActBits, Bops, Sens6, Sens4, Sens2, ColumnCount };

    /** The widths a layer's sensitivity is measured at, in column order (Sens6, Sens4, Sens2). */
    static const std::vector<int>& sensitivityBits();
    /** The weight widths a layer may have: 8, 6, 4, 2, and 0 for float. */
    static bool isWeightWidth(int bits);

    explicit QuantLayersModel(QObject* parent = nullptr);

    const std::vector<QuantLayer>& layers() const { return mLayers; }
    void setLayers(std::vector<QuantLayer> layers);
    /** Every layer's weight width in one change. */
    void setAllBits(int bits);
    /** The widths of the named layers (others keep theirs), in one change. */
    void setBits(const std::map<std::string, int>& bits);
    /** The row of a layer; -1 when there is none of that name. */
    int rowOf(const std::string& layer) const;
    /** Takes the measured sensitivity of the layers of the same name. */
    void mergeSensitivity(const std::vector<QuantLayer>& measured);
    /** Every layer has a sensitivity at every width below 8 (what fitting to a budget needs). */
    bool hasSensitivity() const;

    /** Size and BOPs of the table as it stands, and of the same layers in float. */
    QuantCost cost() const;
    QuantCost fp32Cost() const;
    /** One layer's bit operations at its widths (float layers at 32 × 32). */
    static double layerBops(const QuantLayer& layer);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    /** The weight width (EditRole, an int: 8, 6, 4, 2 or 0); other widths are refused. */
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

private:
    double maxSensitivity(int bits) const;
    void allRowsChanged();

    std::vector<QuantLayer> mLayers;
    mutable std::map<int, double> mMaxSensitivity;  // per width, for the colour scale; cleared on change
};

}  // namespace distillery
