#include "ui/pages/TrainPage.h"
#include "ui/widgets/Fitting.h"

#include "core/common/Paths.h"
#include "ui/models/ProjectSession.h"
#include "ui/models/WeightsAdvice.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/ErrorDialog.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/TaskManager.h"
#include "ui/workers/TrainingWorker.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QMimeData>
#include <QUrl>
#include <QFileInfo>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QRegularExpression>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QSplitter>
#include <QVBoxLayout>

namespace ts::ui {
namespace {

QString durationText(double seconds) {
    if (!(seconds >= 0)) return QStringLiteral("–");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600) return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60) return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 s").arg(s);
}

} // namespace

TrainPage::TrainPage(ProjectSession& session, QWidget* parent) : QWidget(parent), m_session(session) {
    registerTrainTypes();
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Train"),
        tr("Run the training and watch it. Every run is a folder with its configuration, metrics, log, checkpoints "
           "and the best model; validation loss rising while training loss falls means over-fitting."),
        this));

    auto* controls = new QHBoxLayout;
    m_start = new QPushButton(tr("&Start training"), this);
    m_start->setObjectName(QStringLiteral("startButton"));
    m_start->setDefault(true);
    m_pause = new QPushButton(tr("&Pause"), this);
    m_pause->setObjectName(QStringLiteral("pauseButton"));
    m_stop = new QPushButton(tr("S&top"), this);
    m_stop->setObjectName(QStringLiteral("stopButton"));
    m_stop->setToolTip(tr("Stops after the current batch; the best epoch so far is kept."));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("batchProgress"));
    m_progress->setFormat(tr("batch %v / %m"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_resumeRun = new QPushButton(tr("&Resume run"), this);
    m_resumeRun->setObjectName(QStringLiteral("resumeRunButton"));
    m_resumeRun->hide();
    controls->addWidget(m_start);
    controls->addWidget(m_resumeRun);
    controls->addWidget(m_pause);
    controls->addWidget(m_stop);
    controls->addWidget(m_progress, 1);
    layout->addLayout(controls);
    m_readyNote = new QLabel(this);
    m_readyNote->setObjectName(QStringLiteral("notReadyNote"));
    m_readyNote->setStyleSheet(QStringLiteral("color: #b00020;"));
    makeFlowingLabel(m_readyNote);
    m_readyNote->hide();
    layout->addWidget(m_readyNote);

    auto* stats = new QHBoxLayout;
    m_status = new QLabel(tr("Not started."), this);
    makeFlowingLabel(m_status);
    m_status->setObjectName(QStringLiteral("runStatus"));
    m_speed = new QLabel(this);
    m_speed->setObjectName(QStringLiteral("imagesPerSecond"));
    m_eta = new QLabel(this);
    m_eta->setObjectName(QStringLiteral("eta"));
    m_accuracy = new QLabel(tr("Validation accuracy: –"), this);
    m_accuracy->setObjectName(QStringLiteral("valAccuracyLabel"));
    QFont bold = m_accuracy->font();
    bold.setBold(true);
    m_accuracy->setFont(bold);
    stats->addWidget(m_status, 1);
    stats->addWidget(m_speed);
    stats->addSpacing(16);
    stats->addWidget(m_eta);
    stats->addSpacing(16);
    stats->addWidget(m_accuracy);
    layout->addLayout(stats);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    auto* plotsWidget = new QWidget(splitter);
    auto* plots = new QGridLayout(plotsWidget);
    plots->setContentsMargins(0, 0, 0, 0);
    m_lossPlot = new CurvePlot(tr("epoch"), tr("loss"), plotsWidget);
    m_lossPlot->setObjectName(QStringLiteral("lossPlot"));
    m_batchLoss = m_lossPlot->addSeries(tr("batch loss"), QColor(31, 119, 180), CurvePlot::Dots);
    m_trainLoss = m_lossPlot->addSeries(tr("train loss"), QColor(31, 119, 180));
    m_valLoss = m_lossPlot->addSeries(tr("val loss"), QColor(255, 127, 14));
    m_accuracyPlot = new CurvePlot(tr("epoch"), tr("accuracy"), plotsWidget);
    m_accuracyPlot->setObjectName(QStringLiteral("accuracyPlot"));
    m_accuracyPlot->setYRange(0, 1.02);
    m_trainAcc = m_accuracyPlot->addSeries(tr("train accuracy"), QColor(31, 119, 180));
    m_valAcc = m_accuracyPlot->addSeries(tr("val accuracy"), QColor(255, 127, 14));
    m_lrPlot = new CurvePlot(tr("epoch"), tr("learning rate"), plotsWidget);
    m_lrPlot->setObjectName(QStringLiteral("lrPlot"));
    m_lrSeries = m_lrPlot->addSeries(tr("learning rate"), QColor(44, 160, 44), CurvePlot::Line);
    m_lrPlot->setYIncludesZero(true);
    m_lrPlot->setLegendAlignment(Qt::AlignBottom | Qt::AlignRight);
    plots->addWidget(m_lossPlot, 0, 0);
    plots->addWidget(m_accuracyPlot, 0, 1);
    plots->addWidget(m_lrPlot, 0, 2);
    plots->setColumnStretch(0, 3);
    plots->setColumnStretch(1, 3);
    plots->setColumnStretch(2, 2);
    m_probeStrip = new QWidget(splitter);
    m_probeStrip->setObjectName(QStringLiteral("probeStrip"));
    auto* probeLayout = new QVBoxLayout(m_probeStrip);
    probeLayout->setContentsMargins(0, 0, 0, 0);
    auto* probeHeader = new QHBoxLayout;
    m_probeTitle = new QLabel(tr("Probe images: prediction and Grad-CAM after each epoch (the first validation image of "
                                 "each class; pin your own or drop one here)."),
                              m_probeStrip);
    m_probeTitle->setObjectName(QStringLiteral("probeTitle"));
    m_probeTitle->setWordWrap(true);
    m_pinButton = new QPushButton(tr("P&in image…"), m_probeStrip);
    m_pinButton->setObjectName(QStringLiteral("pinProbeButton"));
    m_pinButton->setToolTip(tr("Adds an image to the probes of the next run."));
    probeHeader->addWidget(m_probeTitle, 1);
    probeHeader->addWidget(m_pinButton);
    probeLayout->addLayout(probeHeader);
    // Every probe is visible: a row wider than the page scrolls sideways
    // (and never widens the window).
    auto* probeScroll = new QScrollArea(m_probeStrip);
    probeScroll->setObjectName(QStringLiteral("probeScroll"));
    probeScroll->setFrameShape(QFrame::NoFrame);
    probeScroll->setWidgetResizable(true);
    probeScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* gridHost = new QWidget(probeScroll);
    m_probeGrid = new QGridLayout(gridHost);
    m_probeGrid->setContentsMargins(0, 0, 0, 0);
    m_probeGrid->setHorizontalSpacing(12);
    m_probeGrid->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    probeScroll->setWidget(gridHost);
    probeLayout->addWidget(probeScroll, 1);
    setAcceptDrops(true);
    connect(m_pinButton, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Pin a probe image"), QString(),
                                                          tr("Images (*.png *.jpg *.jpeg *.bmp *.webp *.tif *.tiff)"));
        if (!file.isEmpty()) pinProbe(file);
    });

    m_log = new QPlainTextEdit(splitter);
    m_log->setObjectName(QStringLiteral("runLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(5000);
    m_log->setPlaceholderText(tr("The run's log appears here."));
    splitter->addWidget(plotsWidget);
    splitter->addWidget(m_probeStrip);
    splitter->addWidget(m_log);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 0);
    splitter->setStretchFactor(2, 1);
    layout->addWidget(splitter, 1);

    m_tasks = new TaskManager(this);
    connect(&m_session, &ProjectSession::configChanged, this, &TrainPage::updateReadiness);
    connect(&m_session, &ProjectSession::backboneChanged, this, &TrainPage::updateReadiness);
    connect(this, &TrainPage::runStarted, &m_session, [this](const QString& dir) { m_session.setCurrentRun(dir, {}); });
    updateReadiness();

    connect(m_start, &QPushButton::clicked, this, [this] { start(); });
    connect(m_resumeRun, &QPushButton::clicked, this, [this] {
        if (!m_resumable.isEmpty()) resumeRun(m_resumable);
    });
    connect(m_pause, &QPushButton::clicked, this, [this] { m_paused ? resume() : pause(); });
    connect(m_stop, &QPushButton::clicked, this, &TrainPage::stop);
    setRunning(false);
}

TrainPage::~TrainPage() = default;  // m_tasks cancels the run and waits for it

QString TrainPage::runsRoot() const {
    return m_runsRoot.isEmpty() ? QString::fromStdString(paths::runsDir()) : m_runsRoot;
}

bool TrainPage::start() {
    updateReadiness();
    if (!m_notReady.isEmpty()) return false;
    return start(m_session.config());
}

void TrainPage::updateReadiness() {
    if (!m_readyNote) return;  // still being built
    m_notReady = weightsProblem(m_session.backbone(), m_session.config());
    m_readyNote->setText(m_notReady);
    m_readyNote->setVisible(!m_notReady.isEmpty());
    m_start->setEnabled(!m_running && m_notReady.isEmpty());
    m_start->setToolTip(m_notReady);
}

void TrainPage::showEvent(QShowEvent* event) {
    updateReadiness();
    QWidget::showEvent(event);
}

void TrainPage::setResumableRun(const QString& runDir) {
    m_resumable = runDir;
    m_resumeRun->setVisible(!runDir.isEmpty());
    m_resumeRun->setEnabled(!m_running);
    m_resumeRun->setToolTip(runDir.isEmpty() ? QString()
                                             : tr("Continue %1 from its last complete epoch, with its own settings.")
                                                   .arg(QDir::toNativeSeparators(runDir)));
}

QString TrainPage::statusText() const { return m_status->text(); }

bool TrainPage::refusedAsBusy() {
    const QString reason = m_busyCheck ? m_busyCheck() : QString();
    if (!reason.isEmpty()) m_status->setText(reason);
    return !reason.isEmpty();
}

bool TrainPage::resumeRun(const QString& runDir) {
    if (m_running || refusedAsBusy()) return false;
    train::TrainConfig config;
    try {
        config = train::loadTrainConfig(QDir(runDir).filePath(QStringLiteral("config.json")).toStdString());
    } catch (const std::exception& e) {
        onFailed({tr("%1 cannot be resumed: %2")
                      .arg(QDir::toNativeSeparators(runDir), userMessageOf(QString::fromStdString(e.what()))),
                  QString::fromStdString(e.what())});
        return false;
    }
    m_runDir = QFileInfo(runDir).absoluteFilePath();
    clearForRun(config.epochs);
    m_status->setText(tr("Resuming %1 from its last complete epoch…").arg(QFileInfo(runDir).fileName()));
    m_speed->clear();
    m_eta->clear();
    m_paused = false;
    setRunning(true);
    Q_EMIT runStarted(m_runDir);
    submitRun(config, true);
    return true;
}

void TrainPage::clearForRun(int totalEpochs) {
    m_bundlePath.clear();
    m_epochs.clear();
    m_result = {};
    m_totalEpochs = totalEpochs;
    m_lossPlot->clear();
    m_accuracyPlot->clear();
    m_lrPlot->clear();
    m_log->clear();
    m_accuracy->setText(tr("Validation accuracy: –"));
    m_probes.clear();
    m_probesEpoch = 0;
    showProbes();
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
}

bool TrainPage::start(const train::TrainConfig& config) {
    if (m_running || refusedAsBusy()) return false;
    try {
        config.validate();
    } catch (const std::exception& e) {
        onFailed({tr("The training settings are not valid: %1").arg(userMessageOf(QString::fromStdString(e.what()))),
                  QString::fromStdString(e.what())});
        return false;
    }
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString dir = QDir(runsRoot()).filePath(stamp + QLatin1Char('-') + QString::fromStdString(config.arch));
    for (int i = 2; QFileInfo::exists(dir); ++i)
        dir = QDir(runsRoot()).filePath(QStringLiteral("%1-%2-%3").arg(stamp, QString::fromStdString(config.arch)).arg(i));
    QDir().mkpath(runsRoot());
    m_runDir = dir;
    clearForRun(config.epochs);
    m_status->setText(tr("Preparing %1 on %2…").arg(QString::fromStdString(config.arch),
                                                     QDir::toNativeSeparators(QString::fromStdString(config.dataDir))));
    m_speed->clear();
    m_eta->clear();
    m_paused = false;
    setRunning(true);
    Q_EMIT runStarted(m_runDir);
    submitRun(config, false);
    return true;
}

void TrainPage::submitRun(const train::TrainConfig& config, bool resume) {
    JobSpec spec;
    spec.lane = QStringLiteral("Training");
    const QString runDir = m_runDir;
    const QStringList pinned = m_pinned;
    // The events reach the page through posts, on the UI thread, in order.
    m_job = m_tasks->submit<train::TrainResult>(
        this, spec,
        [this, config, runDir, pinned, resume](JobContext& job) {
            TrainingEvents events;
            events.batch = [this, &job](const train::BatchEvent& e) { job.post([this, e] { onBatch(e); }); };
            events.epoch = [this, &job](const train::EpochMetrics& m) { job.post([this, m] { onEpoch(m); }); };
            events.log = [this, &job](const QString& line) { job.post([this, line] { onLog(line); }); };
            events.probes = [this, &job](int epoch, const QVector<ProbeResult>& probes) {
                job.post([this, epoch, probes] { onProbes(epoch, probes); });
            };
            return resume ? TrainingWorker::resume(runDir, pinned, job.feedback(), events)
                          : TrainingWorker::train(config, runDir, pinned, job.feedback(), events);
        },
        [this](const JobResult<train::TrainResult>& r) {
            if (r.ok()) onFinished(r.value);
            else if (r.failed()) onFailed(r.error);
            else onFailed({tr("Training stopped: cancelled"), QStringLiteral("cancelled")});
        });
}

void TrainPage::pause() {
    if (!m_running || m_paused) return;
    m_tasks->pause(m_job);
    m_paused = true;
    m_pause->setText(tr("&Resume"));
    m_status->setText(tr("Paused (after the current batch)."));
}

void TrainPage::resume() {
    if (!m_running || !m_paused) return;
    m_tasks->resume(m_job);
    m_paused = false;
    m_pause->setText(tr("&Pause"));
    m_status->setText(tr("Training…"));
}

void TrainPage::stop() {
    if (!m_running) return;
    m_tasks->cancel(m_job);
    m_status->setText(tr("Stopping after the current batch…"));
    m_stop->setEnabled(false);
    m_pause->setEnabled(false);
}

bool TrainPage::stopAndWait(int timeoutMs) {
    stop();
    QDeadlineTimer deadline(timeoutMs);
    while (m_running && !deadline.hasExpired()) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    return !m_running;
}

void TrainPage::setRunning(bool running) {
    m_running = running;
    m_start->setEnabled(!running && m_notReady.isEmpty());
    m_resumeRun->setEnabled(!running);
    m_pause->setEnabled(running);
    m_stop->setEnabled(running);
    if (!running) {
        m_paused = false;
        m_pause->setText(tr("&Pause"));
    }
}

void TrainPage::onBatch(const train::BatchEvent& e) {
    if (!m_running) return;
    const double x = (e.epoch - 1) + double(e.batch) / double(qMax(1, e.numBatches));
    m_lossPlot->append(m_batchLoss, x, e.loss);
    m_lrPlot->append(m_lrSeries, x, e.lr);
    m_progress->setRange(0, qMax(1, e.numBatches));
    m_progress->setValue(e.batch);
    if (!m_paused)
        m_status->setText(tr("Epoch %1 of %2 — batch loss %3").arg(e.epoch).arg(m_totalEpochs).arg(e.loss, 0, 'f', 4));
    m_speed->setText(tr("%1 images/s").arg(e.imagesPerSec, 0, 'f', 1));
    m_eta->setText(tr("ETA %1").arg(durationText(e.etaSeconds)));
}

void TrainPage::onEpoch(const train::EpochMetrics& m) {
    m_epochs.push_back(m);
    m_lossPlot->append(m_trainLoss, m.epoch, m.trainLoss);
    m_lossPlot->append(m_valLoss, m.epoch, m.valLoss);
    m_accuracyPlot->append(m_trainAcc, m.epoch, m.trainAccuracy);
    m_accuracyPlot->append(m_valAcc, m.epoch, m.valAccuracy);
    double best = 0;
    for (const auto& e : m_epochs) best = qMax(best, e.valAccuracy);
    m_accuracy->setText(tr("Validation accuracy: %1% (best %2%)")
                            .arg(m.valAccuracy * 100.0, 0, 'f', 1)
                            .arg(best * 100.0, 0, 'f', 1));
}

void TrainPage::pinProbe(const QString& file) {
    const QString path = QFileInfo(file).absoluteFilePath();
    if (!QFileInfo(path).isFile() || m_pinned.contains(path)) return;
    m_pinned.append(path);
    while (m_pinned.size() > 4) m_pinned.removeFirst();
    m_probeTitle->setText(tr("Probe images: prediction and Grad-CAM after each epoch; pinned: %1 (from the next run).")
                              .arg(QFileInfo(path).fileName()));
}

void TrainPage::clearPinnedProbes() { m_pinned.clear(); }

void TrainPage::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void TrainPage::dropEvent(QDropEvent* event) {
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) pinProbe(url.toLocalFile());
    event->acceptProposedAction();
}

void TrainPage::onProbes(int epoch, const QVector<ProbeResult>& probes) {
    if (!m_running) return;
    m_probes = probes;
    m_probesEpoch = epoch;
    showProbes();
}

void TrainPage::showProbes() {
    while (QLayoutItem* item = m_probeGrid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (int i = 0; i < m_probes.size(); ++i) {
        const ProbeResult& p = m_probes[i];
        auto* image = new QLabel(m_probeStrip);
        image->setObjectName(QStringLiteral("probeImage%1").arg(i));
        image->setFixedSize(112, 112);
        image->setAlignment(Qt::AlignCenter);
        image->setToolTip(QDir::toNativeSeparators(p.file));
        if (!p.overlay.isNull()) image->setPixmap(QPixmap::fromImage(p.overlay));
        auto* text = new QLabel(m_probeStrip);
        text->setObjectName(QStringLiteral("probeLabel%1").arg(i));
        text->setAlignment(Qt::AlignHCenter | Qt::AlignTop);
        text->setWordWrap(true);
        text->setMaximumWidth(150);
        if (!p.error.isEmpty()) {
            text->setText(tr("%1: %2").arg(QFileInfo(p.file).fileName(), p.error));
        } else {
            const bool right = p.truth.isEmpty() || p.truth == p.predicted;
            const QString colour = p.truth.isEmpty() ? QStringLiteral("palette(text)")
                                   : right           ? QStringLiteral("#2ca02c")
                                                     : QStringLiteral("#d62728");
            QString html = QStringLiteral("<span style='color:%1'><b>%2</b> %3%</span>")
                               .arg(colour, p.predicted.toHtmlEscaped())
                               .arg(p.probability * 100.0, 0, 'f', 0);
            html += QStringLiteral("<br><small>%1</small>")
                        .arg(p.truth.isEmpty() ? tr("pinned") : tr("true: %1").arg(p.truth.toHtmlEscaped()) +
                                                                    (p.pinned ? tr(" (pinned)") : QString()));
            text->setText(html);
        }
        m_probeGrid->addWidget(image, 0, i, Qt::AlignHCenter);
        m_probeGrid->addWidget(text, 1, i, Qt::AlignHCenter | Qt::AlignTop);
    }
    for (int c = 0; c < m_probeGrid->columnCount(); ++c) m_probeGrid->setColumnStretch(c, 0);
    m_probeGrid->setColumnStretch(m_probes.size(), 1);
    // Tall enough for the images and their captions; only the width scrolls.
    if (auto* scroll = m_probeStrip->findChild<QScrollArea*>(QStringLiteral("probeScroll")))
        scroll->setMinimumHeight(scroll->widget()->sizeHint().height() + scroll->horizontalScrollBar()->sizeHint().height() + 4);
    if (m_probesEpoch > 0)
        m_probeTitle->setText(tr("Probe images after epoch %1: predicted class and Grad-CAM (green right, red wrong). "
                                 "Pin your own or drop one here.")
                                  .arg(m_probesEpoch));
}

QString TrainPage::inAppWords(QString line) {
    // The trainer's log speaks to the command line; here the same advice is a button.
    static const QRegularExpression resume(QStringLiteral("`?tstudio resume [^`]*`?"));
    line.replace(resume, tr("Resume run (Train page, or File ▸ Resume run…)"));
    line.replace(QStringLiteral("(--weights or --pretrained)"), tr("(choose them on the Layers page)"));
    static const QRegularExpression download(QStringLiteral("`tstudio weights download ([A-Za-z0-9_]+)( --force)?`"));
    line.replace(download, tr("Download weights on the Backbone page"));
    line.replace(QStringLiteral("pass --weights FILE"), tr("choose a weights file on the Layers page"));
    return line;
}

void TrainPage::onLog(const QString& line) {
    // A decoding detail (it holds for JPEGs only): kept in the run's log file, not shown here.
    if (line.startsWith(QLatin1String("Random-crop training: JPEGs whose shorter side"))) return;
    m_log->appendPlainText(inAppWords(line));
}

void TrainPage::onFinished(const train::TrainResult& result) {
    m_result = result;
    setRunning(false);
    m_progress->setValue(m_progress->maximum());
    m_bundlePath = QString::fromStdString(result.bundlePath);
    if (!m_bundlePath.isEmpty() && !QFileInfo::exists(m_bundlePath)) m_bundlePath.clear();
    QString text;
    if (result.cancelled) text = tr("Stopped after %n epoch(s).", nullptr, result.epochsRun);
    else if (result.stoppedEarly) text = tr("Stopped early after %n epoch(s) (no improvement).", nullptr, result.epochsRun);
    else text = tr("Done: %n epoch(s).", nullptr, result.epochsRun);
    if (result.epochsRun > 0)
        text += tr(" Best validation accuracy %1% at epoch %2%3.")
                    .arg(result.bestValAccuracy * 100.0, 0, 'f', 1)
                    .arg(result.bestEpoch)
                    .arg(result.usedFeatureCache ? tr(" (features cached)") : QString());
    m_status->setText(text);
    m_eta->clear();
    m_log->appendPlainText(text);
    if (!m_bundlePath.isEmpty()) Q_EMIT runFinished(m_runDir, m_bundlePath);
}

void TrainPage::onFailed(const TaskError& error) {
    const bool wasRunning = m_running;
    setRunning(false);
    m_status->setText(inAppWords(error.userMessage));
    m_log->appendPlainText(error.details.isEmpty() ? error.userMessage : error.details);
    Q_EMIT runFailed(error);
    if (wasRunning || isVisible()) showErrorDialog(this, tr("Training"), error);
}

} // namespace ts::ui
