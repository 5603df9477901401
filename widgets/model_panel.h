// The model panel: which model is open, and its quantizable layers in a sortable, filterable table
// with include/exclude check boxes that feed the allocation.
#pragma once

#include <QWidget>
#include <vector>

#include "core/model/model_info.h"

class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace qs::gui {

class LayerTableModel;

class ModelPanel : public QWidget {
    Q_OBJECT
public:
    explicit ModelPanel(QWidget* parent = nullptr);

    LayerTableModel* layerModel() const { return model_; }
    QTableView* table() const { return table_; }

    void setModelSummary(const QString& path, const QString& summary);
    void setLayers(const std::vector<LayerInfo>& layers);
    void setSelectedLayer(int layer);
    QString filterText() const;
    void setFilterText(const QString& text);

signals:
    void openRequested();
    void layerSelected(int layer);
    void includedChanged(const std::vector<bool>& included);

private:
    void setAllIncluded(bool on);

    QLabel* path_ = nullptr;
    QLabel* summary_ = nullptr;
    QLineEdit* filter_ = nullptr;
    QTableView* table_ = nullptr;
    LayerTableModel* model_ = nullptr;
    QSortFilterProxyModel* proxy_ = nullptr;
    bool selecting_ = false;
};

}  // namespace qs::gui
