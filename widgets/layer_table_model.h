// The layer table behind the model panel: name (with the include check box), kind, parameters,
// score and bits, one row per quantizable layer in network order. Sorting and filtering happen in a
// proxy; Qt::UserRole holds each cell's sort key and LayerRole the layer's network index.
#pragma once

#include <QAbstractTableModel>
#include <string>
#include <vector>

#include "core/model/model_info.h"

namespace qs::gui {

class LayerTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Name, Kind, Params, Score, Bits, ColumnCount };
    static constexpr int LayerRole = Qt::UserRole + 1;

    using QAbstractTableModel::QAbstractTableModel;

    void setLayers(const std::vector<LayerInfo>& layers);  // resets scores, bits; includes all
    void setScores(const std::vector<double>& scores);      // empty clears the column
    void setBits(const std::vector<int>& bits);             // empty clears the column
    void setIncluded(const std::vector<bool>& included);    // no includedChanged signal
    const std::vector<bool>& included() const { return included_; }
    const std::vector<int>& bits() const { return bits_; }
    int layerCount() const { return int(layers_.size()); }
    const LayerInfo& layer(int i) const { return layers_[std::size_t(i)]; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;
    bool setData(const QModelIndex& index, const QVariant& value, int role) override;

signals:
    void includedChanged(const std::vector<bool>& included);

private:
    std::vector<LayerInfo> layers_;
    std::vector<double> scores_;
    std::vector<int> bits_;
    std::vector<bool> included_;
};

}  // namespace qs::gui
