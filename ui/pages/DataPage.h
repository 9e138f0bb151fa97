#pragma once
// DataPage: step 1, choose the image folder. Scans it on a worker thread and
// shows the classes with their image counts per split, as a table and as a
// bar chart.
//
// Thread safety: UI thread only. The scan runs on the page's own QThread,
// which the destructor stops and joins.
#include "ui/models/DatasetSummary.h"

#include <QThread>
#include <QWidget>

class QLabel;
class QLineEdit;
class QTableView;

namespace ts::ui {

class ClassCountChart;
class ClassCountsModel;
class ScanWorker;

class DataPage : public QWidget {
    Q_OBJECT
public:
    explicit DataPage(QWidget* parent = nullptr);
    ~DataPage() override;

    /// Starts scanning `folder`; datasetChanged() follows (also on failure).
    void setFolder(const QString& folder);
    /// The folder last asked for; empty when none.
    QString folder() const;
    /// The last scan's result (invalid until a scan finished).
    const DatasetSummary& summary() const { return m_summary; }
    /// True while a scan is running.
    bool isBusy() const { return m_pendingScans > 0; }

    ClassCountsModel* countsModel() const { return m_model; }
    ClassCountChart* chart() const { return m_chart; }

public Q_SLOTS:
    /// Opens a folder dialog.
    void browse();

Q_SIGNALS:
    void datasetChanged(const ts::ui::DatasetSummary& summary);
    /// The user asked for the built-in demo dataset.
    void demoRequested();
    void scanRequested(const QString& folder);

private:
    void onScanFinished(const DatasetSummary& summary);
    void showStatus();

    QLineEdit* m_folderEdit = nullptr;
    QLabel* m_status = nullptr;
    QTableView* m_table = nullptr;
    ClassCountsModel* m_model = nullptr;
    ClassCountChart* m_chart = nullptr;
    DatasetSummary m_summary;
    QString m_requested;
    int m_pendingScans = 0;
    QThread m_thread;
    ScanWorker* m_worker = nullptr;
};

} // namespace ts::ui
