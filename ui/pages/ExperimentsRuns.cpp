// The Experiments page's lower half: the runs table of the runs folder (read
// in a background job), the selection, and what it shows of the selected runs
// (overlaid curves, the config diff, confusion matrices side by side), with
// Open in Inspect / Export / Report. The grid and the run are in
// ExperimentsPage.cpp.
#include "ui/pages/ExperimentsPage.h"

#include "ui/pages/ExperimentsPageParts.h"

#include "ui/models/ProjectSession.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/ErrorDialog.h"
#include "ui/widgets/PageHeader.h"
#include "ui/widgets/QCustomPlotWrapper.h"
#include "ui/workers/TaskManager.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace ts::ui {

using namespace experiments_page;

// --- the runs ---------------------------------------------------------------

bool ExperimentsPage::isBusy() const {
    return (m_scanJob && m_tasks->isPending(m_scanJob)) || (m_reportJob && m_tasks->isPending(m_reportJob));
}

void ExperimentsPage::refreshRuns() {
    JobSpec spec;
    spec.lane = QStringLiteral("Runs");
    spec.replaceKey = QStringLiteral("runs");
    const QString root = runsRoot();
    setLineText(m_runsNote, tr("Reading the runs in %1…").arg(QDir::toNativeSeparators(root)));
    m_scanJob = m_tasks->submit<RunsScan>(
        this, spec, [root](JobContext& job) { return scanRuns(root, job.feedback()); },
        [this](const JobResult<RunsScan>& r) {
            if (r.ok()) showRows(r.value);
            else if (r.failed()) setLineText(m_runsNote, r.error.userMessage);
        });
}

void ExperimentsPage::showRows(const RunsScan& scan) {
    const QStringList selected = selectedRuns();
    m_rows = scan.rows;
    m_table->setSortingEnabled(false);
    m_model->removeRows(0, m_model->rowCount());
    int errors = 0;
    for (int i = 0; i < m_rows.size(); ++i) {
        const RunRow& r = m_rows[i];
        QList<QStandardItem*> items;
        const auto add = [&items](const QString& text, const QVariant& sort) {
            auto* item = new QStandardItem(text);
            item->setData(sort.isValid() ? sort : QVariant(text), kSortRole);
            items << item;
        };
        add(r.name, {});
        add(r.params, {});
        add(r.arch, {});
        add(r.freeze, {});
        add(r.augment, {});
        add(r.error.isEmpty() ? QStringLiteral("%1/%2").arg(r.epochsDone).arg(r.epochs) : QString(), r.epochsDone);
        const bool hasBest = std::isfinite(r.bestValAccuracy);
        add(hasBest ? QStringLiteral("%1%").arg(r.bestValAccuracy * 100.0, 0, 'f', 1) : QStringLiteral("–"),
            hasBest ? r.bestValAccuracy : -1.0);
        add(r.seconds > 0 ? durationText(r.seconds) : QStringLiteral("–"), r.seconds);
        add(r.imagesPerSecond > 0 ? QString::number(r.imagesPerSecond, 'f', 1) : QStringLiteral("–"),
            r.imagesPerSecond);
        add(r.date.isValid() ? r.date.toString(QStringLiteral("yyyy-MM-dd HH:mm")) : QString(), r.date);
        QString state = r.trialStatus;
        if (!r.error.isEmpty()) state = tr("error: %1").arg(r.error);
        add(state, {});
        items[0]->setData(i, kRowRole);
        items[0]->setToolTip(QDir::toNativeSeparators(r.runDir));
        if (!r.error.isEmpty()) {
            ++errors;
            for (QStandardItem* item : items) {
                item->setForeground(QColor(176, 0, 32));
                item->setToolTip(r.error);
            }
        }
        m_model->appendRow(items);
    }
    m_table->setSortingEnabled(true);
    m_table->resizeColumnsToContents();
    for (int c = 0; c < ColCount; ++c) m_table->setColumnWidth(c, qMin(m_table->columnWidth(c), 220));
    QString note = m_rows.isEmpty()
                       ? tr("No runs in %1 yet.").arg(QDir::toNativeSeparators(scan.root))
                       : tr("%n run(s) in %1", nullptr, int(m_rows.size())).arg(QDir::toNativeSeparators(scan.root));
    if (errors) note += tr("; %n cannot be read (the State column says why)", nullptr, errors);
    if (scan.truncated) note += tr("; only the newest %1 are listed").arg(kMaxScannedRuns);
    setLineText(m_runsNote, note + (m_rows.isEmpty() ? QString() : QStringLiteral(".")));
    selectRuns(selected);

    // An experiment that was interrupted (the app closed, a crash) can be resumed.
    if (!m_running) {
        QString newest;
        for (const RunRow& r : m_rows)
            if (!r.experimentDir.isEmpty() &&
                (r.trialStatus == QLatin1String("pending") || r.trialStatus == QLatin1String("running")) &&
                QFileInfo(r.experimentDir).fileName() > QFileInfo(newest).fileName())
                newest = r.experimentDir;
        if (!newest.isEmpty() && (m_trials.isEmpty() || m_expDir == newest || !m_resumable.isEmpty())) {
            try {
                m_trials = ExperimentWorker::readTrials(newest);
                m_expDir = newest;
                m_resumable = newest;
                showQueue();
                setLineText(
                    m_status,
                    tr("The experiment %1 was interrupted: Resume continues it.").arg(QFileInfo(newest).fileName()));
            } catch (const std::exception&) {
                m_resumable.clear();
            }
        } else if (newest.isEmpty()) {
            m_resumable.clear();
        }
        setRunning(false);
    }
    updatePlan();
    Q_EMIT rowsChanged();
}

QVector<int> ExperimentsPage::selectedRows() const {
    QVector<int> out;
    const QModelIndexList rows = m_table->selectionModel()->selectedRows(ColRun);
    QVector<QPair<int, int>> ordered;  // (view row, data row)
    for (const QModelIndex& index : rows) {
        const int r = index.data(kRowRole).toInt();
        if (r >= 0 && r < m_rows.size()) ordered.push_back({index.row(), r});
    }
    std::sort(ordered.begin(), ordered.end());
    for (const auto& p : ordered) out << p.second;
    return out;
}

QStringList ExperimentsPage::selectedRuns() const {
    QStringList out;
    for (int r : selectedRows()) out << m_rows[r].runDir;
    return out;
}

void ExperimentsPage::selectRuns(const QStringList& runDirs) {
    QItemSelection selection;
    for (int row = 0; row < m_proxy->rowCount(); ++row) {
        const QModelIndex index = m_proxy->index(row, ColRun);
        const int r = index.data(kRowRole).toInt();
        if (r >= 0 && r < m_rows.size() && runDirs.contains(m_rows[r].runDir))
            selection.select(index, m_proxy->index(row, ColCount - 1));
    }
    m_table->selectionModel()->select(selection, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    updateSelection();
}

int ExperimentsPage::oneSelectedRow() const {
    const QVector<int> rows = selectedRows();
    return rows.size() == 1 ? rows.first() : -1;
}

void ExperimentsPage::updateSelection() {
    QVector<int> rows;
    for (int r : selectedRows())
        if (m_rows[r].error.isEmpty()) rows << r;
    // The overlay: each run a colour, the legend naming what differs.
    m_overlay->removeAllSeries();
    m_legend.clear();
    QVector<QMap<QString, QString>> configs;
    for (int r : rows) configs << m_rows[r].config;
    const QStringList keys = differingKeys(configs);
    for (int i = 0; i < rows.size(); ++i) {
        const RunRow& run = m_rows[rows[i]];
        QStringList parts;
        for (const QString& key : keys) {
            if (parts.size() == 3) {
                parts << QStringLiteral("…");
                break;
            }
            parts << key + QLatin1Char('=') + run.config.value(key, tr("(none)")).left(40);
        }
        QString label = rows.size() > 1 && !parts.isEmpty() ? parts.join(QStringLiteral(", ")) : run.name;
        m_legend << label;
    }
    // Runs with the same values of the differing keys (a trial and a plain
    // run of the same settings) are told apart by their names.
    for (int i = 0; i < m_legend.size(); ++i)
        if (m_legend.count(m_legend[i]) > 1 && m_legend[i] != m_rows[rows[i]].name) {
            const QString same = m_legend[i];
            for (int j = 0; j < m_legend.size(); ++j)
                if (m_legend[j] == same)
                    m_legend[j] = same + QStringLiteral(" (") + m_rows[rows[j]].name + QLatin1Char(')');
        }
    for (int i = 0; i < rows.size(); ++i) {
        const int s = m_overlay->addSeries(m_legend[i], runColour(i));
        m_overlay->setPoints(s, m_rows[rows[i]].valAccuracy);
    }
    m_overlay->flush();

    // The config diff of two runs.
    // The config diff: key / run A / run B (one column per run when more are selected).
    m_diff->setRowCount(0);
    const int shownRuns = int(qMin<qsizetype>(rows.size(), kMaxDiffRuns));
    if (shownRuns >= 2) {
        m_diff->setColumnCount(1 + shownRuns);
        QStringList headers = {tr("Key")};
        for (int i = 0; i < shownRuns; ++i) {
            const RunRow& run = m_rows[rows[i]];
            headers << (run.trialId.isEmpty() ? run.name : run.trialId);  // the full name is in the table
        }
        m_diff->setHorizontalHeaderLabels(headers);
        for (const QString& key : keys) {
            const int row = m_diff->rowCount();
            m_diff->insertRow(row);
            m_diff->setItem(row, 0, new QTableWidgetItem(key));
            for (int i = 0; i < shownRuns; ++i)
                m_diff->setItem(row, 1 + i, new QTableWidgetItem(m_rows[rows[i]].config.value(key, tr("(none)"))));
        }
        m_diff->resizeColumnsToContents();
        setLineText(m_diffNote, keys.isEmpty()     ? tr("The selected runs have the same settings.")
                                : keys.size() == 1 ? tr("1 setting differs.")
                                                   : tr("%1 settings differ.").arg(keys.size()));
    } else {
        m_diff->setColumnCount(3);
        m_diff->setHorizontalHeaderLabels({tr("Key"), tr("Run A"), tr("Run B")});
        setLineText(m_diffNote, tr("Select two runs (or more) to see the settings that differ."));
    }

    // The confusion matrices of (up to) two runs, side by side.
    QTableWidget* tables[2] = {m_confusionA, m_confusionB};
    QLabel* titles[2] = {m_confusionTitleA, m_confusionTitleB};
    for (int k = 0; k < 2; ++k) {
        QTableWidget* t = tables[k];
        t->clear();
        t->setRowCount(0);
        t->setColumnCount(0);
        titles[k]->clear();
        if (k >= rows.size()) continue;
        const RunRow& run = m_rows[rows[k]];
        const int n = qMin(int(run.confusion.size()), 100);
        if (n == 0) {
            titles[k]->setText(tr("%1: no confusion matrix recorded yet.").arg(run.name));
            continue;
        }
        titles[k]->setText(tr("%1 (epoch %2): rows true, columns predicted").arg(run.name).arg(run.bestEpoch));
        t->setRowCount(n);
        t->setColumnCount(n);
        QStringList names;
        for (int i = 0; i < n; ++i) names << (i < run.classes.size() ? run.classes[i] : tr("class %1").arg(i));
        t->setHorizontalHeaderLabels(names);
        t->setVerticalHeaderLabels(names);
        for (int i = 0; i < n; ++i) {
            qint64 total = 0;
            for (qint64 v : run.confusion[i]) total += v;
            for (int j = 0; j < n && j < run.confusion[i].size(); ++j) {
                const qint64 v = run.confusion[i][j];
                auto* item = new QTableWidgetItem(QString::number(v));
                item->setTextAlignment(Qt::AlignCenter);
                const double share = total > 0 ? double(v) / double(total) : 0.0;
                const QColor base = i == j ? QColor(44, 160, 44) : QColor(214, 39, 40);
                item->setBackground(QColor(base.red(), base.green(), base.blue(), int(20 + 160 * share)));
                t->setItem(i, j, item);
            }
        }
        t->resizeColumnsToContents();
    }
    if (rows.isEmpty()) m_confusionTitleA->setText(tr("Select a run to see its validation confusion matrix."));

    const int one = oneSelectedRow();
    const bool model = one >= 0 && m_rows[one].error.isEmpty() && m_rows[one].hasModel;
    m_inspect->setEnabled(model);
    m_export->setEnabled(model);
    m_report->setEnabled(one >= 0 && m_rows[one].error.isEmpty() && m_rows[one].epochsDone > 0);
}

bool ExperimentsPage::openSelectedInInspect() {
    const int r = oneSelectedRow();
    if (r < 0 || !m_rows[r].hasModel || !m_rows[r].error.isEmpty()) return false;
    Q_EMIT inspectRequested(m_rows[r].runDir);
    return true;
}

bool ExperimentsPage::openSelectedInExport() {
    const int r = oneSelectedRow();
    if (r < 0 || !m_rows[r].hasModel || !m_rows[r].error.isEmpty()) return false;
    Q_EMIT exportRequested(m_rows[r].runDir);
    return true;
}

bool ExperimentsPage::writeReport(const QString& path) {
    const int r = oneSelectedRow();
    if (r < 0 || !m_rows[r].error.isEmpty()) return false;
    const QString dir = m_rows[r].runDir;
    JobSpec spec;
    spec.lane = QStringLiteral("Report");
    spec.errorContext = tr("The report was not written:");
    setLineText(m_runsNote, tr("Writing the report of %1…").arg(m_rows[r].name));
    m_report->setEnabled(false);
    m_reportJob = m_tasks->submit<QString>(
        this, spec,
        [dir, path](JobContext& job) {
            writeHtmlReport(dir, path, job.feedback());
            return path;
        },
        [this](const JobResult<QString>& result) {
            updateSelection();
            if (result.ok()) {
                setLineText(m_runsNote, tr("Report written to %1.").arg(QDir::toNativeSeparators(result.value)));
                Q_EMIT reportWritten(result.value);
            } else if (result.failed()) {
                setLineText(m_runsNote, result.error.userMessage);
                Q_EMIT reportFailed(result.error);
                if (isVisible()) showErrorDialog(this, tr("Report"), result.error);
            }
        });
    return true;
}

}  // namespace ts::ui
