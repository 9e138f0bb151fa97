#pragma once
// ZooTableModel: the zoo as a table (Name | Family | Params | GFLOPs | Top-1 |
// Top-5 | Input | Weights). Qt::EditRole holds numbers for numeric sorting
// through a QSortFilterProxyModel; Qt::DisplayRole holds the formatted text.
// The Weights column says "cached", "not downloaded", "partial, N MB" (an
// interrupted download that the next one resumes) or "none (random init)".
//
// Thread safety: UI thread only (it reads the cache folder when asked to).
#include "ui/models/ZooFacts.h"

#include <QAbstractTableModel>

namespace ts::ui {

class ZooTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        FamilyColumn,
        ParamsColumn,
        GflopsColumn,
        Top1Column,
        Top5Column,
        InputColumn,
        WeightsColumn,
        ColumnCount
    };

    /// Loads the registry (zooRows()).
    explicit ZooTableModel(QObject* parent = nullptr);

    /// Re-reads the registry and the weights cache.
    void reload();
    void setRows(const QVector<ZooRow>& rows);
    const QVector<ZooRow>& rows() const { return m_rows; }
    /// The row of `name`, -1 when absent.
    int rowOf(const QString& name) const;
    /// Re-reads the weights cache for `name` only (the selection survives,
    /// unlike reload()); returns false when there is no such row.
    bool refreshWeights(const QString& name);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    QVector<ZooRow> m_rows;
};

} // namespace ts::ui
