// The layer table model: one row per quantizable layer with include check box, score and bits.
#include "widgets/layer_table_model.h"

#include <QBrush>
#include <QColor>

#include "widgets/plot_style.h"

namespace qs::gui {

void LayerTableModel::setLayers(const std::vector<LayerInfo>& layers) {
    beginResetModel();
    layers_ = layers;
    scores_.clear();
    bits_.clear();
    included_.assign(layers_.size(), true);
    endResetModel();
}

void LayerTableModel::setScores(const std::vector<double>& scores) {
    scores_ = scores.size() == layers_.size() ? scores : std::vector<double>{};
    if (!layers_.empty()) emit dataChanged(index(0, Score), index(rowCount() - 1, Score));
}

void LayerTableModel::setBits(const std::vector<int>& bits) {
    bits_ = bits.size() == layers_.size() ? bits : std::vector<int>{};
    if (!layers_.empty()) emit dataChanged(index(0, Bits), index(rowCount() - 1, Bits));
}

void LayerTableModel::setIncluded(const std::vector<bool>& included) {
    if (included.size() != layers_.size()) return;
    included_ = included;
    if (!layers_.empty()) emit dataChanged(index(0, Name), index(rowCount() - 1, Name), {Qt::CheckStateRole});
}

int LayerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(layers_.size());
}

int LayerTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant LayerTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= int(layers_.size())) return {};
    const std::size_t r = std::size_t(index.row());
    const LayerInfo& l = layers_[r];
    const bool hasScore = !scores_.empty();
    const bool hasBits = !bits_.empty();
    if (role == LayerRole) return index.row();
    if (role == Qt::CheckStateRole && index.column() == Name) return included_[r] ? Qt::Checked : Qt::Unchecked;
    if (role == Qt::ToolTipRole) {
        QString shape;
        for (auto d : l.shape) shape += (shape.isEmpty() ? QString() : QStringLiteral(" × ")) + QString::number(d);
        return QStringLiteral("%1\n%2, weight %3").arg(QString::fromStdString(l.name), QString::fromStdString(l.kind), shape);
    }
    if (role == Qt::TextAlignmentRole && index.column() >= Params)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole && !included_[r]) return QBrush(QColor("#909090"));
    if (role == Qt::DecorationRole && index.column() == Bits && hasBits) return bitColour(bits_[r]);
    if (role == Qt::DisplayRole) {
        switch (index.column()) {
        case Name: return QString::fromStdString(l.name);
        case Kind: return QString::fromStdString(l.kind);
        case Params: return formatCount(l.params);
        case Score: return hasScore ? QString::number(scores_[r], 'g', 4) : QString();
        case Bits:
            if (!hasBits) return QString();
            return included_[r] ? QString::number(bits_[r]) : tr("32 (excluded)");
        }
    }
    if (role == Qt::UserRole) {  // sort keys
        switch (index.column()) {
        case Name: return index.row();  // network order
        case Kind: return QString::fromStdString(l.kind);
        case Params: return qlonglong(l.params);
        case Score: return hasScore ? scores_[r] : 0.0;
        case Bits: return hasBits ? bits_[r] : 0;
        }
    }
    return {};
}

QVariant LayerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case Name: return tr("Layer");
    case Kind: return tr("Kind");
    case Params: return tr("Params");
    case Score: return tr("Score");
    case Bits: return tr("Bits");
    }
    return {};
}

Qt::ItemFlags LayerTableModel::flags(const QModelIndex& index) const {
    Qt::ItemFlags f = QAbstractTableModel::flags(index);
    if (index.column() == Name) f |= Qt::ItemIsUserCheckable;
    return f;
}

bool LayerTableModel::setData(const QModelIndex& index, const QVariant& value, int role) {
    if (!index.isValid() || index.column() != Name || role != Qt::CheckStateRole) return false;
    const bool on = Qt::CheckState(value.toInt()) == Qt::Checked;
    if (included_[std::size_t(index.row())] == on) return true;
    included_[std::size_t(index.row())] = on;
    emit dataChanged(index, this->index(index.row(), ColumnCount - 1));
    emit includedChanged(included_);
    return true;
}

}  // namespace qs::gui
