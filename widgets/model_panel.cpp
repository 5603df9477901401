// The model panel: model summary and the filterable, sortable layer table.
#include "widgets/model_panel.h"

#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>

#include "widgets/icons.h"
#include "widgets/layer_table_model.h"

namespace qs::gui {

ModelPanel::ModelPanel(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("modelPanel"));
    setMinimumWidth(380);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    layout->setSpacing(4);

    auto* top = new QHBoxLayout;
    path_ = new QLabel(tr("No model open"), this);
    path_->setStyleSheet(QStringLiteral("font-weight: 600;"));
    path_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* open = new QPushButton(icon(IconKind::OpenModel), tr("Open…"), this);
    open->setToolTip(tr("Open a TorchScript model (.pt); you can also drop one on the window"));
    top->addWidget(path_, 1);
    top->addWidget(open);
    layout->addLayout(top);

    summary_ = new QLabel(tr("Drop a TorchScript .pt file here or use Open (Ctrl+O)."), this);
    summary_->setWordWrap(true);
    summary_->setStyleSheet(QStringLiteral("color: #555;"));
    layout->addWidget(summary_);

    auto* filterRow = new QHBoxLayout;
    filter_ = new QLineEdit(this);
    filter_->setObjectName(QStringLiteral("layerFilter"));
    filter_->setPlaceholderText(tr("Filter layers (e.g. attn, conv, fc1)"));
    filter_->setClearButtonEnabled(true);
    auto* all = new QPushButton(tr("All"), this);
    auto* none = new QPushButton(tr("None"), this);
    all->setToolTip(tr("Include every layer in the allocation"));
    none->setToolTip(tr("Exclude every layer (they stay at 32 bits)"));
    for (auto* b : {all, none}) b->setMaximumWidth(48);
    filterRow->addWidget(filter_, 1);
    filterRow->addWidget(all);
    filterRow->addWidget(none);
    layout->addLayout(filterRow);

    model_ = new LayerTableModel(this);
    proxy_ = new QSortFilterProxyModel(this);
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(Qt::UserRole);
    proxy_->setFilterKeyColumn(LayerTableModel::Name);
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

    table_ = new QTableView(this);
    table_->setObjectName(QStringLiteral("layerTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(LayerTableModel::Name, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setTextElideMode(Qt::ElideLeft);
    table_->verticalHeader()->setVisible(false);
    table_->verticalHeader()->setDefaultSectionSize(22);
    QHeaderView* h = table_->horizontalHeader();
    h->setSectionResizeMode(LayerTableModel::Name, QHeaderView::Stretch);
    for (int c = LayerTableModel::Kind; c < LayerTableModel::ColumnCount; ++c)
        h->setSectionResizeMode(c, QHeaderView::ResizeToContents);
    layout->addWidget(table_, 1);

    connect(open, &QPushButton::clicked, this, &ModelPanel::openRequested);
    connect(filter_, &QLineEdit::textChanged, proxy_, &QSortFilterProxyModel::setFilterFixedString);
    connect(all, &QPushButton::clicked, this, [this] { setAllIncluded(true); });
    connect(none, &QPushButton::clicked, this, [this] { setAllIncluded(false); });
    connect(model_, &LayerTableModel::includedChanged, this, &ModelPanel::includedChanged);
    connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            [this](const QModelIndex& current) {
                if (selecting_ || !current.isValid()) return;
                emit layerSelected(proxy_->data(current, LayerTableModel::LayerRole).toInt());
            });
}

void ModelPanel::setModelSummary(const QString& path, const QString& summary) {
    path_->setText(path.isEmpty() ? tr("No model open") : QFileInfo(path).fileName());
    path_->setToolTip(path);
    summary_->setText(summary);
}

void ModelPanel::setLayers(const std::vector<LayerInfo>& layers) { model_->setLayers(layers); }

void ModelPanel::setSelectedLayer(int layer) {
    selecting_ = true;
    const QModelIndex src = model_->index(layer, 0);
    const QModelIndex idx = proxy_->mapFromSource(src);
    if (idx.isValid()) {
        table_->selectionModel()->setCurrentIndex(
            idx, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        table_->scrollTo(idx);
    } else {
        table_->selectionModel()->clearSelection();
    }
    selecting_ = false;
}

QString ModelPanel::filterText() const { return filter_->text(); }
void ModelPanel::setFilterText(const QString& text) { filter_->setText(text); }

void ModelPanel::setAllIncluded(bool on) {
    if (model_->layerCount() == 0) return;
    std::vector<bool> inc(std::size_t(model_->layerCount()), on);
    model_->setIncluded(inc);
    emit includedChanged(inc);
}

}  // namespace qs::gui
