#pragma once
// ClassCountsModel: one row per class of a DatasetSummary, with its image
// counts per split (Class | Train | Val | Test | Total). Sorting by a count
// column sorts numerically (Qt::EditRole holds the number).
#include "ui/models/DatasetSummary.h"

#include <QAbstractTableModel>

namespace ts::ui {

class ClassCountsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { ClassColumn, TrainColumn, ValColumn, TestColumn, TotalColumn, ColumnCount };

    explicit ClassCountsModel(QObject* parent = nullptr);

    void setSummary(const DatasetSummary& summary);
    const DatasetSummary& summary() const { return m_summary; }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    DatasetSummary m_summary;
};

} // namespace ts::ui
