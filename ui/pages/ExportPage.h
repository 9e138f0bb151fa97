#pragma once
// ExportPage: step 7, take the model out of Transfer Studio. The formats of
// the export capability (bundle, ONNX, torchvision .pth), their options, a
// target folder, and a report per file: size, notes, and the round-trip check
// against a second runtime. Exports run as TaskManager jobs.
//
// Thread safety: UI thread only.
#include "ui/models/ExportBridge.h"

#include <QVector>
#include <QWidget>

class QCheckBox;
class QLabel;
class QProgressBar;
class QLineEdit;
class QPushButton;
class QTableWidget;

namespace ts::ui {

class TaskManager;

class ExportPage : public QWidget {
    Q_OBJECT
public:
    explicit ExportPage(QWidget* parent = nullptr);
    ~ExportPage() override;

    /// The trained model, the dataset its round-trip check uses and its
    /// architecture (the bundle's or run's, as RunReader read it: a .pth
    /// export is offered for torchvision models only).
    void setRun(const QString& runDir, const QString& bundlePath, const QString& dataDir, const QString& arch);
    void setTargetFolder(const QString& folder);
    QString targetFolder() const;
    /// Ticks a format ("bundle", "onnx", "pth"); false when unavailable.
    bool setFormatEnabled(const QString& format, bool on);
    /// Exports every ticked format; exportsDone() follows.
    bool startExport();
    bool isBusy() const;
    const QVector<ExportOutcome>& outcomes() const { return m_outcomes; }
    QTableWidget* reportTable() const { return m_report; }

Q_SIGNALS:
    void exportsDone();

private:
    void addOutcome(const ExportOutcome& outcome);

    QString m_runDir, m_bundle, m_dataDir;
    QCheckBox* m_bundleBox = nullptr;
    QCheckBox* m_onnxBox = nullptr;
    QCheckBox* m_pthBox = nullptr;
    QCheckBox* m_preprocessing = nullptr;
    QCheckBox* m_probabilities = nullptr;
    QCheckBox* m_roundTrip = nullptr;
    QLineEdit* m_folder = nullptr;
    QPushButton* m_export = nullptr;
    QLabel* m_status = nullptr;
    QProgressBar* m_progress = nullptr;  ///< formats done of those started
    int m_started = 0;
    QTableWidget* m_report = nullptr;
    QVector<ExportOutcome> m_outcomes;
    TaskManager* m_tasks = nullptr;
    int m_running = 0;
};

} // namespace ts::ui
