#include "widgets/quant_layers_model.h"

#include <QColor>
#include <algorithm>
#include <cmath>

#include "widgets/views/format.h"

namespace distillery {

const std::vector<int>& QuantLayersModel::sensitivityBits() {
    static const std::vector<int> bits{6, 4, 2};
    return bits;
}

bool QuantLayersModel::isWeightWidth(int bits) {
    if (bits == 0) return true;
    const std::vector<int> choices = weightBitChoices();
    return std::find(choices.begin(), choices.end(), bits) != choices.end();
}

QuantLayersModel::QuantLayersModel(QObject* parent) : QAbstractTableModel(parent) {}

void QuantLayersModel::setLayers(std::vector<QuantLayer> layers) {
    beginResetModel();
    mLayers = std::move(layers);
    mMaxSensitivity.clear();
    endResetModel();
}

void QuantLayersModel::allRowsChanged() {
    if (!mLayers.empty()) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

void QuantLayersModel::setAllBits(int bits) {
    for (auto& l : mLayers)
        l.weightBits = bits;
    allRowsChanged();
}

void QuantLayersModel::setBits(const std::map<std::string, int>& bits) {
    for (auto& l : mLayers) {
        const auto it = bits.find(l.name);
        if (it != bits.end()) l.weightBits = it->second;
    }
    allRowsChanged();
}

int QuantLayersModel::rowOf(const std::string& layer) const {
    for (size_t i = 0; i < mLayers.size(); ++i)
        if (mLayers[i].name == layer) return static_cast<int>(i);
    return -1;
}

void QuantLayersModel::mergeSensitivity(const std::vector<QuantLayer>& measured) {
    for (auto& l : mLayers)
        for (const auto& m : measured)
            if (m.name == l.name) l.sensitivity = m.sensitivity;
    mMaxSensitivity.clear();
    if (!mLayers.empty()) Q_EMIT dataChanged(index(0, Sens6), index(rowCount() - 1, Sens2));
}

bool QuantLayersModel::hasSensitivity() const {
    if (mLayers.empty()) return false;
    for (const auto& l : mLayers)
        for (int b : sensitivityBits())
            if (!l.sensitivity.count(b)) return false;
    return true;
}

QuantCost QuantLayersModel::cost() const {
    return quantCost(mLayers);
}

QuantCost QuantLayersModel::fp32Cost() const {
    return floatCost(mLayers);
}

double QuantLayersModel::layerBops(const QuantLayer& layer) {
    // The core's own arithmetic on a table of one, so that the rows add up to the totals exactly.
    return quantCost({layer}).bops;
}

int QuantLayersModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(mLayers.size());
}

int QuantLayersModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant QuantLayersModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
            case Name:
                return tr("Layer");
            case Op:
                return tr("Op");
            case Params:
                return tr("Params");
            case Macs:
                return tr("MACs");
            case WeightBits:
                return tr("Weight bits");
            case ActBits:
                return tr("Act. bits");
            case Bops:
                return tr("BOPs");
            case Sens6:
                return tr("Sens. 6 b");
            case Sens4:
                return tr("Sens. 4 b");
            case Sens2:
                return tr("Sens. 2 b");
            default:
                return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
            case Params:
                return tr("Weights and bias after BatchNorm folding");
            case Macs:
                return tr("Multiply-accumulates for one input");
            case WeightBits:
                return tr("Width of this layer's weights (per output channel, symmetric); click to change");
            case ActBits:
                return tr("Width of the layer's input activations");
            case Bops:
                return tr(
                    "Bit operations of this layer: MACs × weight bits × activation bits (32 × 32 in "
                    "float)");
            case Sens6:
            case Sens4:
            case Sens2:
                return tr("Increase of the KL divergence between the fp32 and the quantized outputs when "
                          "only this layer has %1-bit weights (nats per sample)")
                    .arg(sensitivityBits()[section - Sens6]);
            default:
                return {};
        }
    }
    return {};
}

QVariant QuantLayersModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= rowCount()) return {};
    const QuantLayer& l = mLayers[index.row()];
    const int c = index.column();
    switch (role) {
        case Qt::DisplayRole:
            switch (c) {
                case Name:
                    return QString::fromStdString(l.name);
                case Op:
                    return QString::fromStdString(l.op);
                case Params:
                    return formatCount(l.params);
                case Macs:
                    return formatCount(l.macs);
                case WeightBits:
                    return l.weightBits > 0 ? QString::number(l.weightBits) : tr("float");
                case ActBits:
                    return l.weightBits > 0 ? QString::number(l.activationBits) : tr("float");
                case Bops:
                    return formatCount(static_cast<int64_t>(std::llround(layerBops(l))));
                default: {
                    const auto it = l.sensitivity.find(sensitivityBits()[c - Sens6]);
                    return it == l.sensitivity.end() ? QStringLiteral("—")
                                                     : QString::number(it->second, 'g', 3);
                }
            }
        case Qt::EditRole:
            if (c == WeightBits) return l.weightBits;
            return data(index, Qt::DisplayRole);
        case Qt::ToolTipRole:
            // Exact numbers where the cell rounds them.
            if (c == Name) return QString::fromStdString(l.name);
            if (c == Params) return QString::number(l.params);
            if (c == Macs) return QString::number(l.macs);
            if (c == Bops) return QString::number(layerBops(l), 'f', 0);
            if (c >= Sens6) return headerData(c, Qt::Horizontal, Qt::ToolTipRole);
            return {};
        case Qt::TextAlignmentRole:
            if (c == Name || c == Op) return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        case Qt::BackgroundRole:
            if (c == WeightBits) {
                // Narrower weights, warmer colour: the table reads as a map of where the bits went.
                switch (l.weightBits) {
                    case 6:
                        return QColor(0xfff3c4);
                    case 4:
                        return QColor(0xffd9a0);
                    case 2:
                        return QColor(0xffb3a0);
                    case 0:
                        return QColor(0xd8e6f5);
                    default:
                        return {};
                }
            }
            if (c >= Sens6) {
                const int bits = sensitivityBits()[c - Sens6];
                const auto it = l.sensitivity.find(bits);
                const double top = maxSensitivity(bits);
                if (it == l.sensitivity.end() || !(top > 0)) return {};
                const double t = std::clamp(it->second / top, 0.0, 1.0);
                return QColor::fromRgbF(1.0, 1.0 - 0.45 * t, 1.0 - 0.55 * t);
            }
            return {};
        case Qt::ForegroundRole:
            // Dark text on the light tints, whatever the palette.
            if (c >= Sens6 || c == WeightBits) return QColor(Qt::black);
            return {};
        default:
            return {};
    }
}

Qt::ItemFlags QuantLayersModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == WeightBits) f |= Qt::ItemIsEditable;
    return f;
}

bool QuantLayersModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (role != Qt::EditRole || !index.isValid() || index.column() != WeightBits || index.row() >= rowCount())
        return false;
    bool ok = false;
    const int bits = value.toInt(&ok);
    if (!ok || !isWeightWidth(bits)) return false;
    QuantLayer& l = mLayers[index.row()];
    if (l.weightBits == bits) return true;
    l.weightBits = bits;
    // The width changes the activation cell (float) and the layer's BOPs too.
    Q_EMIT dataChanged(this->index(index.row(), WeightBits), this->index(index.row(), Bops));
    return true;
}

double QuantLayersModel::maxSensitivity(int bits) const {
    const auto it = mMaxSensitivity.find(bits);
    if (it != mMaxSensitivity.end()) return it->second;
    double top = 0;
    for (const auto& l : mLayers) {
        const auto s = l.sensitivity.find(bits);
        if (s != l.sensitivity.end()) top = std::max(top, s->second);
    }
    mMaxSensitivity[bits] = top;
    return top;
}

}  // namespace distillery
