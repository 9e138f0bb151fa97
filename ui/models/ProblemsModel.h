#pragma once
// ProblemsModel: one row per problem of a DoctorResult
// (Severity | Kind | File | Split | Message). The file column shows the path
// relative to the dataset folder (the full path is the tooltip and PathRole);
// rows whose file is excluded from training are struck through and greyed.
// Sorting by severity sorts by rank (SortRole); a QSortFilterProxyModel with
// filterRole SeverityRole filters by severity.
//
// Thread safety: UI thread only (fed by DataPage from the doctor's result).
#include "ui/models/DoctorResult.h"

#include <QAbstractTableModel>
#include <QSet>

namespace ts::ui {

class ProblemsModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { SeverityColumn, KindColumn, FileColumn, SplitColumn, MessageColumn, ColumnCount };
    enum Role {
        PathRole = Qt::UserRole + 1,  ///< the problem's full path (QString)
        KindRole,                     ///< core's kind key ("empty_file")
        SeverityRole,                 ///< DataProblem::Severity as int
        ExcludableRole,               ///< bool: a file the training reads
        ExcludedRole,                 ///< bool: that file is excluded now
        SortRole,                     ///< what the proxy sorts by
    };

    explicit ProblemsModel(QObject* parent = nullptr);

    void setResult(const DoctorResult& result);
    const DoctorResult& result() const { return m_result; }
    /// The files excluded from training (the rows of these files are marked).
    void setExcluded(const QSet<QString>& excluded);
    const DataProblem& problem(int row) const { return m_result.problems.at(row); }

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    /// "Error" / "Warning" / "Info".
    static QString severityTitle(DataProblem::Severity severity);
    /// A small round icon in the severity's colour.
    static QIcon severityIcon(DataProblem::Severity severity);

private:
    QString displayPath(const DataProblem& p) const;

    DoctorResult m_result;
    QSet<QString> m_excluded;
};

} // namespace ts::ui
