#include "ui/pages/ExportPage.h"
#include "ui/widgets/Fitting.h"

#include "ui/widgets/PageHeader.h"
#include "ui/workers/TaskManager.h"

#include <QCheckBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ts::ui {

ExportPage::ExportPage(QWidget* parent) : QWidget(parent), m_tasks(new TaskManager(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Export"),
        tr("Take the model out of Transfer Studio: as a bundle (weights, classes and preprocessing in one file, for "
           "tstudio and this app), as ONNX for any ONNX runtime, or as a torchvision .pth state_dict. Each file is "
           "checked against a second runtime on validation images, and the report says how well they agree."),
        this));
    const QStringList available = availableExportFormats();
    auto* formats = new QGroupBox(tr("Formats"), this);
    auto* formatsLayout = new QVBoxLayout(formats);
    m_bundleBox = new QCheckBox(tr("Transfer Studio bundle (.tsb)"), formats);
    m_bundleBox->setChecked(true);
    m_onnxBox = new QCheckBox(tr("ONNX (.onnx), checked with OpenCV DNN"), formats);
    m_pthBox = new QCheckBox(tr("torchvision state_dict (.pth), checked with Python torchvision"), formats);
    auto* onnxOptions = new QHBoxLayout;
    m_preprocessing = new QCheckBox(tr("Preprocessing inside the ONNX graph"), formats);
    m_preprocessing->setToolTip(tr("The graph then takes RGB values in [0,255] after resize and crop."));
    m_probabilities = new QCheckBox(tr("Add a probabilities output"), formats);
    onnxOptions->addSpacing(24);
    onnxOptions->addWidget(m_preprocessing);
    onnxOptions->addWidget(m_probabilities);
    onnxOptions->addStretch(1);
    formatsLayout->addWidget(m_bundleBox);
    formatsLayout->addWidget(m_onnxBox);
    formatsLayout->addLayout(onnxOptions);
    formatsLayout->addWidget(m_pthBox);
    for (auto [box, name] : {std::pair{m_onnxBox, "onnx"}, std::pair{m_pthBox, "pth"}}) {
        if (!available.contains(QLatin1String(name))) {
            box->setEnabled(false);
            box->setToolTip(tr("Not built into this version yet."));
        }
    }
    m_preprocessing->setEnabled(m_onnxBox->isEnabled());
    m_probabilities->setEnabled(m_onnxBox->isEnabled());
    m_roundTrip = new QCheckBox(tr("Round-trip check on up to 64 validation images"), formats);
    m_roundTrip->setChecked(true);
    formatsLayout->addWidget(m_roundTrip);
    layout->addWidget(formats);

    auto* target = new QHBoxLayout;
    m_folder = new QLineEdit(this);
    m_folder->setObjectName(QStringLiteral("exportFolder"));
    m_folder->setText(QSettings().value(QStringLiteral("export/folder"),
                                        QDir::home().filePath(QStringLiteral("transfer-studio-exports")))
                          .toString());
    auto* browse = new QPushButton(tr("&Browse…"), this);
    m_export = new QPushButton(tr("E&xport"), this);
    m_export->setObjectName(QStringLiteral("exportButton"));
    m_export->setEnabled(false);
    target->addWidget(new QLabel(tr("Folder:"), this));
    target->addWidget(m_folder, 1);
    target->addWidget(browse);
    target->addWidget(m_export);
    layout->addLayout(target);
    m_status = new QLabel(tr("Train a model first (step 5)."), this);
    makeFlowingLabel(m_status);
    m_status->setObjectName(QStringLiteral("exportStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setFormat(tr("%v of %m format(s) written and checked"));
    m_progress->hide();
    layout->addWidget(m_progress);
    m_report = new QTableWidget(0, 4, this);
    m_report->setObjectName(QStringLiteral("exportReport"));
    m_report->setHorizontalHeaderLabels({tr("Format"), tr("File"), tr("Size"), tr("Round trip")});
    m_report->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_report->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_report->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_report->verticalHeader()->hide();
    m_report->setWordWrap(true);
    m_report->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    layout->addWidget(m_report, 1);

    connect(browse, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Export folder"), m_folder->text());
        if (!dir.isEmpty()) setTargetFolder(dir);
    });
    connect(m_export, &QPushButton::clicked, this, &ExportPage::startExport);
}

ExportPage::~ExportPage() = default;

void ExportPage::setRun(const QString& runDir, const QString& bundlePath, const QString& dataDir, const QString& arch) {
    m_runDir = runDir;
    m_bundle = bundlePath;
    m_dataDir = dataDir;
    m_export->setEnabled(!bundlePath.isEmpty());
    m_status->setText(tr("Model: %1").arg(QDir::toNativeSeparators(bundlePath)));
    // A torchvision .pth needs a torchvision builder: not offered for the
    // app's own test network (the export would refuse it after the click).
    if (availableExportFormats().contains(QLatin1String("pth"))) {
        const bool torchvision = arch != QLatin1String("tiny_cnn");
        m_pthBox->setEnabled(torchvision);
        if (!torchvision) m_pthBox->setChecked(false);
        m_pthBox->setToolTip(torchvision ? QString()
                                         : tr("tiny_cnn is Transfer Studio's own test network: torchvision has no "
                                              "builder for it. Export it as a bundle or ONNX."));
    }
}

void ExportPage::setTargetFolder(const QString& folder) { m_folder->setText(folder); }
QString ExportPage::targetFolder() const { return m_folder->text().trimmed(); }

bool ExportPage::setFormatEnabled(const QString& format, bool on) {
    QCheckBox* box = format == QLatin1String("bundle") ? m_bundleBox
                     : format == QLatin1String("onnx") ? m_onnxBox
                     : format == QLatin1String("pth")  ? m_pthBox
                                                       : nullptr;
    if (!box || !box->isEnabled()) return false;
    box->setChecked(on);
    return true;
}

bool ExportPage::isBusy() const { return m_running > 0; }

bool ExportPage::startExport() {
    if (m_bundle.isEmpty() || m_running > 0) return false;
    const QString folder = targetFolder();
    if (!QDir().mkpath(folder)) {
        m_status->setText(tr("Cannot create the folder %1.").arg(folder));
        return false;
    }
    QSettings().setValue(QStringLiteral("export/folder"), folder);
    m_outcomes.clear();
    m_report->setRowCount(0);
    const QString base = QFileInfo(m_runDir).fileName().isEmpty() ? QStringLiteral("model") : QFileInfo(m_runDir).fileName();
    for (auto [box, name] : {std::pair{m_bundleBox, "bundle"}, std::pair{m_onnxBox, "onnx"}, std::pair{m_pthBox, "pth"}}) {
        if (!box->isEnabled() || !box->isChecked()) continue;
        ExportRequest request;
        request.bundle = m_bundle;
        request.format = QLatin1String(name);
        request.path = QDir(folder).filePath(base + exportExtension(request.format));
        request.withPreprocessing = m_preprocessing->isChecked();
        request.withProbabilities = m_probabilities->isChecked();
        request.roundTrip = m_roundTrip->isChecked();
        request.dataDir = m_dataDir;
        ++m_running;
        m_tasks->submit<ExportOutcome>(this, {}, [request](JobContext&) { return exportModelFile(request); },
                                      [this, request](const JobResult<ExportOutcome>& r) {
                                          ExportOutcome outcome = r.value;
                                          if (!r.ok()) {  // exportModelFile reports errors itself; this is a stop
                                              outcome.format = request.format;
                                              outcome.path = request.path;
                                              outcome.error = r.failed() ? r.error.userMessage : tr("Cancelled.");
                                          }
                                          addOutcome(outcome);
                                          m_progress->setValue(m_started - (m_running - 1));
                                          if (--m_running == 0) {
                                              m_progress->hide();
                                              m_export->setEnabled(true);
                                              m_status->setText(tr("Exports written to %1.")
                                                                    .arg(QDir::toNativeSeparators(targetFolder())));
                                              Q_EMIT exportsDone();
                                          }
                                      });
    }
    if (m_running == 0) {
        m_status->setText(tr("Tick at least one format."));
        return false;
    }
    m_export->setEnabled(false);
    m_started = m_running;
    m_progress->setRange(0, m_started);
    m_progress->setValue(0);
    m_progress->show();
    m_status->setText(tr("Exporting %n format(s); each file is then checked against a second runtime…", nullptr, m_started));
    return true;
}

void ExportPage::addOutcome(const ExportOutcome& o) {
    m_outcomes.push_back(o);
    const int row = m_report->rowCount();
    m_report->insertRow(row);
    m_report->setItem(row, 0, new QTableWidgetItem(o.format));
    auto* file = new QTableWidgetItem(o.error.isEmpty() ? QDir::toNativeSeparators(o.path) : o.error);
    file->setToolTip(o.details.isEmpty() ? file->text() : o.details);
    if (!o.error.isEmpty()) file->setForeground(QColor(176, 0, 32));
    m_report->setItem(row, 1, file);
    m_report->setItem(row, 2, new QTableWidgetItem(o.error.isEmpty() ? QLocale().formattedDataSize(o.bytes) : QString()));
    auto* trip = new QTableWidgetItem(o.roundTrip + (o.notes.isEmpty() ? QString() : QStringLiteral(" — ") + o.notes.join(QStringLiteral(" "))));
    trip->setToolTip(trip->text());
    if (!o.roundTrip.isEmpty()) trip->setForeground(o.roundTripPassed ? QColor(0, 120, 0) : QColor(176, 0, 32));
    m_report->setItem(row, 3, trip);
}

} // namespace ts::ui
