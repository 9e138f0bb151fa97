#include "ui/pages/BackbonePage.h"
#include "ui/widgets/Fitting.h"

#include "ui/models/ProjectSession.h"
#include "ui/models/TrainTypes.h"
#include "ui/models/ZooTableModel.h"
#include "ui/widgets/ErrorDialog.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/TaskManager.h"
#include "ui/workers/WeightsWorker.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStandardPaths>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {
namespace {

QString megabytes(qint64 bytes) { return QStringLiteral("%1 MB").arg(double(bytes) / 1e6, 0, 'f', 1); }

// An import's error lists up to 20 keys per kind; the status line keeps the
// first of each ("257 missing key(s): features.1.conv.0.0.weight, …"), so it
// stays a few lines. The whole text is in the tooltip and the error box.
QString compactStatus(const QString& text) {
    QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    for (QString& line : lines) {
        line = line.trimmed();
        if (line.isEmpty() || !line.front().isDigit() || !line.contains(QLatin1String("key(s)"))) continue;
        const int colon = line.indexOf(QLatin1String(": "));
        const int comma = colon < 0 ? -1 : line.indexOf(QLatin1String(", "), colon);
        if (comma > 0) line = line.left(comma) + QStringLiteral(", …");
    }
    QString out = lines.join(QLatin1Char('\n'));
    // A SHA-256 (64 hex digits) offers no line break and would widen the side
    // panel: zero-width spaces let such runs wrap (in the label only).
    int run = 0;
    for (int i = 0; i < out.size(); ++i) {
        const QChar c = out.at(i);
        run = (c.isSpace() || c == QLatin1Char('/') || c == QLatin1Char('-')) ? 0 : run + 1;
        if (run == 24) {
            out.insert(i + 1, QChar(0x200B));
            ++i;
            run = 0;
        }
    }
    return out;
}

QString paramsText(qint64 n) {
    if (n >= 1000000) return QStringLiteral("%1 M").arg(n / 1e6, 0, 'f', 2);
    if (n >= 1000) return QStringLiteral("%1 k").arg(n / 1e3, 0, 'f', 1);
    return QString::number(n);
}

// Matches the filter text against the name and family columns only.
class ZooFilterProxy : public QSortFilterProxyModel {
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

    void setNeedle(const QString& needle) {
        m_needle = needle;
        invalidateFilter();
    }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override {
        if (m_needle.isEmpty()) return true;
        for (int col : {int(ZooTableModel::NameColumn), int(ZooTableModel::FamilyColumn)}) {
            const QString text = sourceModel()->index(sourceRow, col, sourceParent).data().toString();
            if (text.contains(m_needle, Qt::CaseInsensitive)) return true;
        }
        return false;
    }

private:
    QString m_needle;
};

} // namespace

BackbonePage::BackbonePage(QWidget* parent)
    : QWidget(parent), m_model(new ZooTableModel(this)), m_proxy(new ZooFilterProxy(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Backbone"),
        tr("Choose the pretrained network whose features your classifier builds on. Smaller models train and run "
           "faster; larger ones are usually more accurate. Official ImageNet weights are not installed with the app: "
           "select a model marked \"not downloaded\" and click <b>Download weights</b>, or <b>Import weights "
           "file…</b> for a copy fetched elsewhere (on a server: <tt>tstudio weights download NAME</tt>)."),
        this));

    auto* row = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("zooFilter"));
    m_filter->setPlaceholderText(tr("Filter by name or family…"));
    m_filter->setClearButtonEnabled(true);
    m_count = new QLabel(this);
    row->addWidget(m_filter, 1);
    row->addWidget(m_count);
    layout->addLayout(row);

    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(Qt::EditRole);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("zooTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder);  // registry order until the user sorts
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->setVisible(false);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->setAlternatingRowColors(true);
    m_table->resizeColumnsToContents();
    // The weights state ("not downloaded") is read in full; the family takes what is left.
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(ZooTableModel::WeightsColumn, QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ZooTableModel::FamilyColumn, QHeaderView::Stretch);

    // The side panel scrolls rather than squeezing the facts when a long
    // message fills it on a small screen.
    auto* sideScroll = new QScrollArea(splitter);
    sideScroll->setWidgetResizable(true);
    sideScroll->setFrameShape(QFrame::NoFrame);
    sideScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* side = new QWidget(sideScroll);
    auto* sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(6, 0, 0, 0);
    m_details = new QLabel(tr("Select a model to see its details and stages."), side);
    makeFlowingLabel(m_details);
    m_details->setObjectName(QStringLiteral("backboneDetails"));
    m_details->setWordWrap(true);
    m_details->setTextFormat(Qt::RichText);
    m_details->setTextInteractionFlags(Qt::TextBrowserInteraction);
    m_details->setOpenExternalLinks(false);
    m_stageStatus = new QLabel(side);
    makeFlowingLabel(m_stageStatus);
    m_stageStatus->setWordWrap(true);
    m_stageTree = new QTreeWidget(side);
    m_stageTree->setObjectName(QStringLiteral("stageTree"));
    m_stageTree->setColumnCount(3);
    m_stageTree->setHeaderLabels({tr("Stage"), tr("Params"), tr("Modules")});
    m_stageTree->setRootIsDecorated(false);
    m_stageTree->setMinimumHeight(140);
    m_stageTree->setToolTip(tr("The stages, from input to head, are the units you freeze or train on the "
                               "Layers page and whose feature maps the Inspect page shows."));

    // Weights: download (progress, cancel) or import into the cache.
    m_downloadButton = new QPushButton(tr("Download weights"), side);
    m_downloadButton->setObjectName(QStringLiteral("downloadWeightsButton"));
    m_importButton = new QPushButton(tr("Import weights file…"), side);
    m_importButton->setObjectName(QStringLiteral("importWeightsButton"));
    m_progress = new QProgressBar(side);
    m_progress->setObjectName(QStringLiteral("downloadProgress"));
    m_progress->setTextVisible(true);
    m_cancelButton = new QPushButton(tr("Cancel"), side);
    m_cancelButton->setObjectName(QStringLiteral("cancelDownloadButton"));
    m_cancelButton->setToolTip(tr("Stop the download; what arrived is kept and the next download resumes it."));
    m_weightsStatus = new QLabel(side);
    makeFlowingLabel(m_weightsStatus);
    m_weightsStatus->setObjectName(QStringLiteral("weightsStatus"));
    m_weightsStatus->setWordWrap(true);
    m_weightsStatus->setTextFormat(Qt::PlainText);
    m_weightsStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);  // URLs and paths can be copied
    m_weightsStatus->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);  // never widens the panel
    m_weightsStatus->hide();  // until there is something to say
    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_downloadButton);
    buttons->addWidget(m_importButton);
    buttons->addStretch(1);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 1);
    progressRow->addWidget(m_cancelButton);

    sideLayout->addWidget(m_details);
    sideLayout->addLayout(buttons);
    sideLayout->addLayout(progressRow);
    sideLayout->addWidget(m_weightsStatus);
    sideLayout->addSpacing(6);
    sideLayout->addWidget(m_stageStatus);
    sideLayout->addWidget(m_stageTree, 1);
    splitter->addWidget(m_table);
    sideScroll->setWidget(side);
    splitter->addWidget(sideScroll);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({780, 320});  // every column of the table fits at 1280 px
    layout->addWidget(splitter, 1);

    connect(m_filter, &QLineEdit::textChanged, this, &BackbonePage::setFilterText);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &BackbonePage::onSelectionChanged);

    qRegisterMetaType<ts::ui::StageRow>();
    qRegisterMetaType<QVector<ts::ui::StageRow>>();
    m_tasks = new TaskManager(this);

    connect(m_downloadButton, &QPushButton::clicked, this, [this] { startDownload(); });
    connect(m_cancelButton, &QPushButton::clicked, this, &BackbonePage::cancelDownload);
    connect(m_importButton, &QPushButton::clicked, this, &BackbonePage::onImportClicked);
    updateWeightsControls();
    updateCount();
}

// m_tasks cancels a running download (it stops at its next progress check,
// well under a second) and waits for both lanes; nothing reaches the page after.
BackbonePage::~BackbonePage() = default;

namespace {
const QString kStagesLane = QStringLiteral("BackbonePage stages");
const QString kWeightsLane = QStringLiteral("BackbonePage weights");
} // namespace

bool BackbonePage::isBusy() const { return m_tasks->pending(kStagesLane) > 0; }

void BackbonePage::setFilterText(const QString& text) {
    if (m_filter->text() != text) m_filter->setText(text);  // re-enters through textChanged
    static_cast<ZooFilterProxy*>(m_proxy)->setNeedle(text.trimmed());
    updateCount();
}

QStringList BackbonePage::visibleModelNames() const {
    QStringList names;
    for (int r = 0; r < m_proxy->rowCount(); ++r)
        names << m_proxy->index(r, ZooTableModel::NameColumn).data(Qt::EditRole).toString();
    return names;
}

bool BackbonePage::selectBackbone(const QString& name) {
    for (int r = 0; r < m_proxy->rowCount(); ++r) {
        if (m_proxy->index(r, ZooTableModel::NameColumn).data(Qt::EditRole).toString() == name) {
            m_table->selectRow(r);
            m_table->scrollTo(m_proxy->index(r, 0));
            return true;
        }
    }
    return false;
}

void BackbonePage::onSelectionChanged() {
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    if (rows.isEmpty()) return;  // keep the last choice while filtered out
    const int sourceRow = m_proxy->mapToSource(rows.first()).row();
    const ZooRow& row = m_model->rows().at(sourceRow);
    if (row.name == m_selected) return;
    m_selected = row.name;
    m_stages.clear();
    m_stageTree->clear();
    showDetails(&row);
    updateWeightsControls();
    m_stageStatus->setText(tr("Building %1 to list its stages…").arg(row.name));
    JobSpec spec;
    spec.lane = kStagesLane;
    spec.replaceKey = kStagesLane;  // only the newest selection matters
    const QString arch = row.name;
    m_tasks->submit<QVector<StageRow>>(
        this, spec, [arch](JobContext&) { return zooStages(arch); },
        [this, arch](const JobResult<QVector<StageRow>>& r) {
            if (r.ok()) onStagesReady(arch, r.value);
            else if (r.failed()) onStagesFailed(arch, r.error.userMessage);
        });
    if (m_session) m_session->chooseBackbone(row.name, row.hasOfficialWeights);
    Q_EMIT backboneChanged(row.name);
}

void BackbonePage::onStagesReady(const QString& arch, const QVector<StageRow>& stages) {
    if (arch != m_selected) return;
    m_stages = stages;
    m_stageTree->clear();
    for (const StageRow& s : stages) {
        auto* item = new QTreeWidgetItem(m_stageTree, {s.name, paramsText(s.numParams), s.modules.join(QStringLiteral(", "))});
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(2, s.modules.join(QLatin1Char('\n')));
    }
    m_stageTree->resizeColumnToContents(0);
    m_stageTree->resizeColumnToContents(1);
    m_stageStatus->setText(tr("%n stage(s), from input to head:", nullptr, int(stages.size())));
}

void BackbonePage::onStagesFailed(const QString& arch, const QString& message) {
    if (arch != m_selected) return;
    m_stageStatus->setText(tr("<span style='color:#b00020'>Cannot list the stages of %1: %2</span>")
                               .arg(arch, message.toHtmlEscaped()));
}

void BackbonePage::showDetails(const ZooRow* row) {
    if (!row) {
        m_details->setText(tr("Select a model to see its details and stages."));
        return;
    }
    QString weights;
    if (!row->hasOfficialWeights)
        weights = tr("no official weights (trains from random initial values)");
    else if (row->weightsCached)
        weights = tr("cached at <tt>%1</tt>").arg(row->weightsPath.toHtmlEscaped());
    else if (row->partialBytes > 0)
        weights = tr("partly downloaded (%1); <b>Download weights</b> resumes, into <tt>%2</tt>")
                      .arg(megabytes(row->partialBytes), row->weightsPath.toHtmlEscaped());
    else
        weights = tr("not downloaded; <b>Download weights</b> puts them at <tt>%1</tt>").arg(row->weightsPath.toHtmlEscaped());
    QString html = QStringLiteral("<h3>%1</h3><table cellspacing='2'>").arg(row->name.toHtmlEscaped());
    auto line = [&html](const QString& key, const QString& value) {
        html += QStringLiteral("<tr><td><b>%1</b>&nbsp;&nbsp;</td><td>%2</td></tr>").arg(key, value);
    };
    line(tr("Family"), row->family.toHtmlEscaped());
    line(tr("Parameters"), paramsText(row->numParams));
    line(tr("Input"), tr("resize to %1 px, centre crop %2 px").arg(row->resizeSize).arg(row->inputSize));
    if (row->top1 > 0) line(tr("ImageNet"), tr("top-1 %1 %, top-5 %2 %").arg(row->top1, 0, 'f', 2).arg(row->top5, 0, 'f', 2));
    line(tr("Weights"), weights);
    if (!row->license.isEmpty()) line(tr("Licence"), row->license.toHtmlEscaped());
    if (!row->paper.isEmpty()) line(tr("Paper"), row->paper.toHtmlEscaped());
    html += QStringLiteral("</table>");
    m_details->setText(html);
}

const ZooRow* BackbonePage::selectedRow() const {
    const int row = m_model->rowOf(m_selected);
    return row < 0 ? nullptr : &m_model->rows().at(row);
}

bool BackbonePage::startDownload() {
    const ZooRow* row = selectedRow();
    if (!row || !row->hasOfficialWeights || row->weightsCached || isWeightsJobRunning()) return false;
    m_job = WeightsJob::Download;
    m_jobArch = row->name;
    m_progress->setRange(0, 0);  // busy until the size is known
    m_progress->setFormat(tr("Connecting…"));
    setWeightsStatus(row->partialBytes > 0
                         ? tr("Resuming the download of the %1 weights from %2 (one download at a time).")
                               .arg(row->name, megabytes(row->partialBytes))
                         : tr("Downloading the %1 weights (one download at a time).").arg(row->name));
    const QString arch = row->name;
    submitWeightsJob([this, arch](JobContext& job) {
        return WeightsWorker::download(arch, job.feedback(), [this, arch, &job](qint64 bytes, qint64 total, double speed) {
            job.post([this, arch, bytes, total, speed] { onDownloadProgress(arch, bytes, total, speed); });
        });
    });
    updateWeightsControls();
    return true;
}

void BackbonePage::cancelDownload() {
    if (m_job != WeightsJob::Download || !m_tasks->isPending(m_weightsJob) || m_tasks->isCancelled(m_weightsJob)) return;
    m_tasks->cancel(m_weightsJob);
    setWeightsStatus(tr("Cancelling the download of the %1 weights…").arg(m_jobArch));
    updateWeightsControls();
}

bool BackbonePage::importWeightsFile(const QString& path, bool replace) {
    const ZooRow* row = selectedRow();
    if (!row || !row->hasOfficialWeights || isWeightsJobRunning() || path.isEmpty()) return false;
    m_job = WeightsJob::Import;
    m_jobArch = row->name;
    m_progress->setRange(0, 0);
    m_progress->setFormat(tr("Checking…"));
    setWeightsStatus(tr("Checking that %1 loads into %2, then copying it into the cache…")
                         .arg(QFileInfo(path).fileName(), row->name));
    const QString arch = row->name;
    submitWeightsJob([path, arch, replace](JobContext&) { return WeightsWorker::importFile(path, arch, replace); });
    updateWeightsControls();
    return true;
}

void BackbonePage::onImportClicked() {
    const ZooRow* row = selectedRow();
    if (!row || isWeightsJobRunning()) return;
    const QString arch = row->name;
    const QString file = QFileDialog::getOpenFileName(
        this, tr("Import weights for %1").arg(arch), QStandardPaths::writableLocation(QStandardPaths::DownloadLocation),
        tr("Weights (*.pth *.pt *.safetensors);;All files (*)"));
    if (file.isEmpty()) return;
    row = selectedRow();  // the dialog ran an event loop
    if (!row || row->name != arch) return;
    bool replace = false;
    if (row->weightsCached) {
        const auto answer = QMessageBox::question(
            this, tr("Replace cached weights?"),
            tr("The cache already holds %1 weights:\n%2\n\nReplace them with %3? They are replaced only if the new "
               "file loads into %1.")
                .arg(arch, row->weightsPath, file),
            QMessageBox::Yes | QMessageBox::No, QMessageBox::No);
        if (answer != QMessageBox::Yes) return;
        replace = true;
    }
    importWeightsFile(file, replace);
}

void BackbonePage::onDownloadProgress(const QString& arch, qint64 bytes, qint64 totalBytes, double bytesPerSecond) {
    if (m_job != WeightsJob::Download || arch != m_jobArch) return;
    // In KiB, so files over 2 GB still fit the bar's int range.
    if (totalBytes > 0) {
        m_progress->setRange(0, int(totalBytes / 1024));
        m_progress->setValue(int(std::min(bytes, totalBytes) / 1024));
        m_progress->setFormat(tr("%1 of %2, %3/s").arg(megabytes(bytes), megabytes(totalBytes),
                                                       megabytes(qint64(bytesPerSecond))));
    } else {
        m_progress->setRange(0, 0);
        m_progress->setFormat(tr("%1, %2/s").arg(megabytes(bytes), megabytes(qint64(bytesPerSecond))));
    }
}

void BackbonePage::submitWeightsJob(std::function<WeightsOutcome(JobContext&)> work) {
    JobSpec spec;
    spec.lane = kWeightsLane;
    const QString arch = m_jobArch;
    m_weightsJob = m_tasks->submit<WeightsOutcome>(this, spec, std::move(work), [this, arch](const JobResult<WeightsOutcome>& r) {
        if (r.failed()) {
            onWeightsFailed(arch, r.error.userMessage, r.error.details);
        } else {
            WeightsOutcome outcome = r.value;  // Cancelled before it started: nothing arrived
            if (r.cancelled()) outcome.kind = WeightsOutcome::Cancelled;
            onWeightsOutcome(arch, outcome);
        }
    });
}

void BackbonePage::onWeightsOutcome(const QString& arch, const WeightsOutcome& o) {
    switch (o.kind) {
    case WeightsOutcome::Downloaded:
        setWeightsStatus(tr("The %1 weights are in the cache: %2").arg(arch, o.path));
        break;
    case WeightsOutcome::Imported:
        setWeightsStatus(o.replaced ? tr("Imported %n tensor(s) for %1, replacing the cached file: %2", nullptr, o.tensors)
                                          .arg(arch, o.path)
                                    : tr("Imported %n tensor(s) for %1 into the cache: %2", nullptr, o.tensors).arg(arch, o.path));
        break;
    case WeightsOutcome::Cancelled:
        setWeightsStatus(o.partialBytes > 0 ? tr("Download of the %1 weights cancelled. The %2 received are kept in %3; "
                                                 "the next download resumes from there.")
                                                  .arg(arch, megabytes(o.partialBytes), o.path)
                                            : tr("Download of the %1 weights cancelled before any data arrived.").arg(arch));
        break;
    }
    finishWeightsJob(arch, o.kind != WeightsOutcome::Cancelled);
}

void BackbonePage::onWeightsFailed(const QString& arch, const QString& message, const QString& details) {
    const bool download = m_job == WeightsJob::Download;
    QString text = download ? tr("Downloading the %1 weights failed: %2").arg(arch, message)
                            : tr("Importing weights for %1 failed: %2").arg(arch, message);
    if (download) text += tr(" A copy fetched elsewhere can be added with \"Import weights file…\".");
    setWeightsStatus(text, true);
    finishWeightsJob(arch, false);
    // Only a visible page opens a box (tests and hidden pages read the status line).
    if (isVisible()) showErrorDialog(this, download ? tr("Download weights") : tr("Import weights"), TaskError{text, details});
}

void BackbonePage::finishWeightsJob(const QString& arch, bool cacheChanged) {
    m_job = WeightsJob::None;
    m_jobArch.clear();
    m_weightsJob = 0;
    m_model->refreshWeights(arch);  // cached, partial or still not downloaded
    if (arch == m_selected) showDetails(selectedRow());
    updateWeightsControls();
    if (cacheChanged) Q_EMIT weightsCached(arch);
    Q_EMIT weightsJobFinished(arch);
}

void BackbonePage::setWeightsStatus(const QString& text, bool error) {
    m_weightsStatusText = text;
    const QString shown = compactStatus(text);
    m_weightsStatus->setStyleSheet(error ? QStringLiteral("color: #b00020;") : QString());
    m_weightsStatus->setText(shown);
    m_weightsStatus->setToolTip(shown != text ? text : QString());
    m_weightsStatus->setHidden(text.isEmpty());
}

void BackbonePage::updateWeightsControls() {
    const ZooRow* row = selectedRow();
    const bool busy = isWeightsJobRunning();
    m_progress->setVisible(busy);
    m_cancelButton->setVisible(busy);
    m_cancelButton->setEnabled(m_job == WeightsJob::Download && m_tasks->isPending(m_weightsJob) &&
                               !m_tasks->isCancelled(m_weightsJob));

    QString downloadText = tr("Download weights"), downloadTip, importTip;
    bool canDownload = false, canImport = false;
    if (!row) {
        downloadTip = importTip = tr("Select a model first.");
    } else if (!row->hasOfficialWeights) {
        downloadTip = tr("%1 has no official pretrained weights: it trains from random initial values, so there is "
                         "nothing to download.").arg(row->name);
        importTip = tr("%1 has no official weights, so the cache has no place for a file.").arg(row->name);
    } else {
        if (row->weightsCached) downloadText = tr("Downloaded");
        else if (row->partialBytes > 0) downloadText = tr("Resume download");
        if (busy) {
            downloadTip = importTip = tr("One download or import runs at a time: wait for the %1 one to end, or "
                                         "cancel it.").arg(m_jobArch);
        } else if (row->weightsCached) {
            downloadTip = tr("The official %1 weights are cached at %2.").arg(row->name, row->weightsPath);
            importTip = tr("Replace the cached %1 weights with a .pth file (you are asked first).").arg(row->name);
            canImport = true;
        } else {
            downloadTip = tr("Download the official %1 weights from %2 into %3 (checked with SHA-256; an interrupted "
                             "download resumes).").arg(row->name, row->weightsUrl, row->weightsPath);
            importTip = tr("Check a .pth file for %1 (e.g. fetched on another computer) and copy it into the cache.")
                            .arg(row->name);
            canDownload = canImport = true;
        }
    }
    m_downloadButton->setText(downloadText);
    m_downloadButton->setEnabled(canDownload);
    m_downloadButton->setToolTip(downloadTip);
    m_importButton->setEnabled(canImport);
    m_importButton->setToolTip(importTip);
}

void BackbonePage::updateCount() {
    m_count->setText(tr("%1 of %2 models").arg(m_proxy->rowCount()).arg(m_model->rowCount()));
}

} // namespace ts::ui
