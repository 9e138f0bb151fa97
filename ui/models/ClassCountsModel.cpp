#include "ui/models/ClassCountsModel.h"

namespace ts::ui {

ClassCountsModel::ClassCountsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ClassCountsModel::setSummary(const DatasetSummary& summary) {
    beginResetModel();
    m_summary = summary;
    endResetModel();
}

int ClassCountsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_summary.classes.size());
}

int ClassCountsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QVariant ClassCountsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_summary.classes.size()) return {};
    const int row = index.row();
    if (role == Qt::TextAlignmentRole)
        return index.column() == ClassColumn ? QVariant(Qt::AlignLeft | Qt::AlignVCenter)
                                             : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::EditRole) return {};
    switch (index.column()) {
    case ClassColumn: return m_summary.classes.at(row);
    case TrainColumn: return m_summary.trainCounts.value(row);
    case ValColumn: return m_summary.valCounts.value(row);
    case TestColumn: return m_summary.testCounts.value(row);
    case TotalColumn: return m_summary.total(row);
    default: return {};
    }
}

QVariant ClassCountsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case ClassColumn: return tr("Class");
    case TrainColumn: return tr("Train");
    case ValColumn: return tr("Validation");
    case TestColumn: return tr("Test");
    case TotalColumn: return tr("Total");
    default: return {};
    }
}

} // namespace ts::ui
