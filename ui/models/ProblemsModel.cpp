#include "ui/models/ProblemsModel.h"

#include <QColor>
#include <QDir>
#include <QFont>
#include <QIcon>
#include <QPainter>
#include <QPixmap>

namespace ts::ui {
namespace {

QColor severityColour(DataProblem::Severity severity) {
    switch (severity) {
    case DataProblem::Error: return QColor(0xc6, 0x28, 0x28);
    case DataProblem::Warning: return QColor(0xe6, 0x7e, 0x00);
    case DataProblem::Info: return QColor(0x15, 0x65, 0xc0);
    }
    return Qt::gray;
}

QString splitTitle(const QString& split) {
    if (split == QLatin1String("train")) return ProblemsModel::tr("train");
    if (split == QLatin1String("val")) return ProblemsModel::tr("validation");
    if (split == QLatin1String("test")) return ProblemsModel::tr("test");
    return split.isEmpty() ? QStringLiteral("–") : split;
}

} // namespace

ProblemsModel::ProblemsModel(QObject* parent) : QAbstractTableModel(parent) {}

void ProblemsModel::setResult(const DoctorResult& result) {
    beginResetModel();
    m_result = result;
    endResetModel();
}

void ProblemsModel::setExcluded(const QSet<QString>& excluded) {
    m_excluded = excluded;
    if (rowCount() > 0) Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

int ProblemsModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : int(m_result.problems.size());
}

int ProblemsModel::columnCount(const QModelIndex& parent) const { return parent.isValid() ? 0 : ColumnCount; }

QString ProblemsModel::severityTitle(DataProblem::Severity severity) {
    switch (severity) {
    case DataProblem::Error: return tr("Error");
    case DataProblem::Warning: return tr("Warning");
    case DataProblem::Info: return tr("Info");
    }
    return {};
}

QIcon ProblemsModel::severityIcon(DataProblem::Severity severity) {
    QPixmap pixmap(16, 16);
    pixmap.fill(Qt::transparent);
    QPainter painter(&pixmap);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.setPen(Qt::NoPen);
    painter.setBrush(severityColour(severity));
    painter.drawEllipse(QRectF(2, 2, 12, 12));
    return QIcon(pixmap);
}

QString ProblemsModel::displayPath(const DataProblem& p) const {
    const QString root = m_result.root;
    if (p.path == root || p.path.isEmpty()) return tr("(whole dataset)");
    if (!root.isEmpty() && p.path.startsWith(root + QLatin1Char('/')))
        return QDir::toNativeSeparators(p.path.mid(root.size() + 1));
    return QDir::toNativeSeparators(p.path);
}

QVariant ProblemsModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_result.problems.size()) return {};
    const DataProblem& p = m_result.problems.at(index.row());
    const bool excluded = p.excludable && m_excluded.contains(p.path);
    switch (role) {
    case PathRole: return p.path;
    case KindRole: return p.kind;
    case SeverityRole: return int(p.severity);
    case ExcludableRole: return p.excludable;
    case ExcludedRole: return excluded;
    case SortRole:
        switch (index.column()) {
        case SeverityColumn: return int(p.severity);
        case KindColumn: return p.kindTitle;
        case FileColumn: return displayPath(p);
        case SplitColumn: return p.split;
        default: return p.message;
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case SeverityColumn: return severityTitle(p.severity);
        case KindColumn: return p.kindTitle;
        case FileColumn: return displayPath(p);
        case SplitColumn: return splitTitle(p.split);
        case MessageColumn: {
            // The file column has the path: the message names it relative to the dataset.
            QString message = p.message;
            if (!m_result.root.isEmpty()) message.replace(QLatin1Char('\'') + m_result.root + QLatin1Char('/'), QStringLiteral("'"));
            return message;
        }
        default: return {};
        }
    case Qt::DecorationRole:
        return index.column() == SeverityColumn ? QVariant(severityIcon(p.severity)) : QVariant();
    case Qt::ToolTipRole: {
        QString tip = QStringLiteral("<b>%1</b> – %2<br>%3").arg(severityTitle(p.severity), p.kindTitle.toHtmlEscaped(),
                                                                  QDir::toNativeSeparators(p.path).toHtmlEscaped());
        if (!p.otherPath.isEmpty())
            tip += tr("<br>Same content as %1").arg(QDir::toNativeSeparators(p.otherPath).toHtmlEscaped());
        tip += QStringLiteral("<p>%1</p>").arg(p.message.toHtmlEscaped());
        if (excluded) tip += tr("<p><i>Excluded from training.</i></p>");
        else if (!p.excludable) tip += tr("<p><i>Not a file the training reads: nothing to exclude.</i></p>");
        return tip;
    }
    case Qt::ForegroundRole:
        if (excluded) return QColor(Qt::gray);
        if (index.column() == SeverityColumn) return severityColour(p.severity);
        return {};
    case Qt::FontRole:
        if (excluded) {
            QFont font;
            font.setStrikeOut(true);
            return font;
        }
        return {};
    default: return {};
    }
}

QVariant ProblemsModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal) return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case SeverityColumn: return tr("Error: the file or dataset cannot be used as is. Warning: training works, "
                                       "results may suffer. Info: worth knowing, nothing to do.");
        case FileColumn: return tr("Relative to the dataset folder; hover a row for the full path.");
        default: return {};
        }
    }
    if (role != Qt::DisplayRole) return {};
    switch (section) {
    case SeverityColumn: return tr("Severity");
    case KindColumn: return tr("Kind");
    case FileColumn: return tr("File");
    case SplitColumn: return tr("Split");
    case MessageColumn: return tr("Message");
    default: return {};
    }
}

} // namespace ts::ui
