#include "ui/models/ZooTableModel.h"

#include <QBrush>
#include <QColor>

namespace ts::ui {

ZooTableModel::ZooTableModel(QObject* parent) : QAbstractTableModel(parent) { reload(); }

void ZooTableModel::reload() { setRows(zooRows()); }

void ZooTableModel::setRows(const QVector<ZooRow>& rows) {
    beginResetModel();
    m_rows = rows;
    endResetModel();
}

int ZooTableModel::rowOf(const QString& name) const {
    for (int i = 0; i < m_rows.size(); ++i)
        if (m_rows[i].name == name) return i;
    return -1;
}

bool ZooTableModel::refreshWeights(const QString& name) {
    const int row = rowOf(name);
    if (row < 0) return false;
    refreshWeightsState(m_rows[row]);
    const QModelIndex cell = index(row, WeightsColumn);
    Q_EMIT dataChanged(cell, cell);
    return true;
}

int ZooTableModel::rowCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : int(m_rows.size()); }

int ZooTableModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

namespace {

QString weightsText(const ZooRow& r) {
    if (!r.hasOfficialWeights) return ZooTableModel::tr("none (random init)");
    if (r.weightsCached) return ZooTableModel::tr("cached");
    if (r.partialBytes > 0) return ZooTableModel::tr("partial, %1 MB").arg(r.partialBytes / 1e6, 0, 'f', 1);
    return ZooTableModel::tr("not downloaded");
}

} // namespace

QVariant ZooTableModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_rows.size()) return {};
    const ZooRow& r = m_rows.at(index.row());
    const int col = index.column();
    if (role == Qt::TextAlignmentRole) {
        const bool text = col == NameColumn || col == FamilyColumn || col == WeightsColumn;
        return text ? QVariant(Qt::AlignLeft | Qt::AlignVCenter) : QVariant(Qt::AlignRight | Qt::AlignVCenter);
    }
    if (role == Qt::ForegroundRole && col == WeightsColumn && !r.weightsCached)
        return QBrush(QColor(120, 120, 120));
    if (role == Qt::ToolTipRole) {
        if (col == WeightsColumn && !r.hasOfficialWeights)
            return tr("%1 has no official pretrained weights: it starts from random values.").arg(r.name);
        if (col == WeightsColumn) {
            if (r.weightsCached) return tr("Cached at %1").arg(r.weightsPath);
            QString tip = tr("Select the row and click \"Download weights\" (or run: tstudio weights download %1).\n"
                             "From %2").arg(r.name, r.weightsUrl);
            if (r.partialBytes > 0) tip += tr("\nAn interrupted download is kept; the next download resumes it.");
            return tip;
        }
        if (col == NameColumn && !r.paper.isEmpty()) return r.paper;
        return {};
    }
    if (role == Qt::EditRole) {
        switch (col) {
        case NameColumn: return r.name;
        case FamilyColumn: return r.family;
        case ParamsColumn: return r.numParams;
        case GflopsColumn: return r.gflops;
        case Top1Column: return r.top1;
        case Top5Column: return r.top5;
        case InputColumn: return r.inputSize;
        case WeightsColumn: return weightsText(r);
        default: return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (col) {
    case NameColumn: return r.name;
    case FamilyColumn: return r.family;
    case ParamsColumn:
        return r.numParams >= 1000000 ? QStringLiteral("%1 M").arg(r.numParams / 1e6, 0, 'f', 2)
                                      : QStringLiteral("%1 k").arg(r.numParams / 1e3, 0, 'f', 1);
    case GflopsColumn: return r.gflops > 0 ? QString::number(r.gflops, 'f', 2) : QStringLiteral("–");
    case Top1Column: return r.top1 > 0 ? QString::number(r.top1, 'f', 2) : QStringLiteral("–");
    case Top5Column: return r.top5 > 0 ? QString::number(r.top5, 'f', 2) : QStringLiteral("–");
    case InputColumn: return QStringLiteral("%1 px").arg(r.inputSize);
    case WeightsColumn: return weightsText(r);
    default: return {};
    }
}

QVariant ZooTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case ParamsColumn: return tr("Parameters with the 1000-class ImageNet head");
        case GflopsColumn: return tr("Billions of operations per image at the native input size (torchvision's figure)");
        case Top1Column: return tr("ImageNet-1k top-1 accuracy (%) of the official weights");
        case Top5Column: return tr("ImageNet-1k top-5 accuracy (%) of the official weights");
        case WeightsColumn: return tr("Official ImageNet weights in the cache ($TORCH_HOME/hub/checkpoints)");
        default: return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
    case NameColumn: return tr("Name");
    case FamilyColumn: return tr("Family");
    case ParamsColumn: return tr("Params");
    case GflopsColumn: return tr("GFLOPs");
    case Top1Column: return tr("Top-1 %");
    case Top5Column: return tr("Top-5 %");
    case InputColumn: return tr("Input");
    case WeightsColumn: return tr("Weights");
    default: return {};
    }
}

} // namespace ts::ui
