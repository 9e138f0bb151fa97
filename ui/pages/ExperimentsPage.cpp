#include "ui/pages/ExperimentsPage.h"

#include "ui/pages/ExperimentsPageParts.h"

#include "core/common/Paths.h"
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


ExperimentsPage::ExperimentsPage(ProjectSession& session, QWidget* parent) : QWidget(parent), m_session(session) {
    registerTrainTypes();
    qRegisterMetaType<RunsScan>();
    auto* outer = new QVBoxLayout(this);
    outer->addWidget(new PageHeader(
        tr("Experiments"),
        tr("Train several variants of this project's settings one after another and compare every run side by side: "
           "which strategy wins on your data, at what cost."),
        this));
    // Everything below the header scrolls on a small screen (the page never
    // makes the window taller or wider than the other steps do).
    auto* pageScroll = new QScrollArea(this);
    pageScroll->setObjectName(QStringLiteral("experimentsScroll"));
    pageScroll->setFrameShape(QFrame::NoFrame);
    pageScroll->setWidgetResizable(true);
    auto* content = new QWidget(pageScroll);
    pageScroll->setWidget(content);
    outer->addWidget(pageScroll, 1);
    auto* layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 0, 0, 0);

    // --- the grid ---
    auto* gridRow = new QHBoxLayout;
    // The check boxes scroll sideways on a narrow window (they never widen it).
    m_axesScroll = new QScrollArea(this);
    m_axesScroll->setObjectName(QStringLiteral("experimentAxesScroll"));
    m_axesScroll->setFrameShape(QFrame::NoFrame);
    m_axesScroll->setWidgetResizable(true);
    m_axesScroll->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_axesHost = new QWidget(m_axesScroll);
    m_axesHost->setObjectName(QStringLiteral("experimentAxes"));
    new QGridLayout(m_axesHost);
    m_axesHost->layout()->setContentsMargins(0, 0, 0, 0);
    m_axesScroll->setWidget(m_axesHost);
    gridRow->addWidget(m_axesScroll, 1);
    auto* actions = new QVBoxLayout;
    m_strategies = new QPushButton(tr("The three &strategies"), this);
    m_strategies->setObjectName(QStringLiteral("strategiesButton"));
    m_strategies->setCheckable(true);
    m_strategies->setToolTip(
        tr("Feature extraction without and with augmentation, and fine-tuning of the last two "
           "stages with augmentation at a tenth of the learning rate (tstudio's seed-strategies)."));
    m_run = new QPushButton(tr("&Run experiment"), this);
    m_run->setObjectName(QStringLiteral("runExperimentButton"));
    m_stop = new QPushButton(tr("Sto&p"), this);
    m_stop->setObjectName(QStringLiteral("stopExperimentButton"));
    m_stop->setToolTip(tr("Stops after the current batch; Resume continues the experiment later."));
    m_resume = new QPushButton(tr("Res&ume"), this);
    m_resume->setObjectName(QStringLiteral("resumeExperimentButton"));
    m_resume->hide();
    actions->addWidget(m_strategies);
    actions->addWidget(m_run);
    auto* stopRow = new QHBoxLayout;
    stopRow->addWidget(m_stop);
    stopRow->addWidget(m_resume);
    actions->addLayout(stopRow);
    actions->addStretch(1);
    gridRow->addLayout(actions);
    layout->addLayout(gridRow);
    m_planLabel = new QLabel(this);
    m_planLabel->setObjectName(QStringLiteral("planLabel"));
    makeLineLabel(m_planLabel);
    layout->addWidget(m_planLabel);
    m_status = new QLabel(tr("No experiment running."), this);
    m_status->setObjectName(QStringLiteral("experimentStatus"));
    makeLineLabel(m_status);
    layout->addWidget(m_status);

    auto* splitter = new QSplitter(Qt::Vertical, this);
    // --- the queue and the current trial ---
    auto* runArea = new QWidget(splitter);
    auto* runLayout = new QHBoxLayout(runArea);
    runLayout->setContentsMargins(0, 0, 0, 0);
    auto* queueBox = new QVBoxLayout;
    auto* queueTitle = new QLabel(tr("Queue"), runArea);
    queueBox->addWidget(queueTitle);
    m_queue = new QListWidget(runArea);
    m_queue->setObjectName(QStringLiteral("trialQueue"));
    m_queue->setMinimumSize(160, 60);
    queueBox->addWidget(m_queue, 1);
    runLayout->addLayout(queueBox, 2);
    auto* liveBox = new QVBoxLayout;
    m_trialLabel = new QLabel(tr("The current trial's curves appear here."), runArea);
    m_trialLabel->setObjectName(QStringLiteral("currentTrial"));
    makeLineLabel(m_trialLabel);
    liveBox->addWidget(m_trialLabel);
    auto* livePlots = new QHBoxLayout;
    m_liveLoss = new CurvePlot(tr("epoch"), tr("loss"), runArea);
    m_liveLoss->setObjectName(QStringLiteral("trialLossPlot"));
    m_batchLoss = m_liveLoss->addSeries(tr("batch loss"), QColor(31, 119, 180), CurvePlot::Dots);
    m_trainLoss = m_liveLoss->addSeries(tr("train loss"), QColor(31, 119, 180));
    m_valLoss = m_liveLoss->addSeries(tr("val loss"), QColor(255, 127, 14));
    m_liveAccuracy = new CurvePlot(tr("epoch"), tr("accuracy"), runArea);
    m_liveAccuracy->setObjectName(QStringLiteral("trialAccuracyPlot"));
    m_liveAccuracy->setYRange(0, 1.02);
    m_trainAcc = m_liveAccuracy->addSeries(tr("train accuracy"), QColor(31, 119, 180));
    m_valAcc = m_liveAccuracy->addSeries(tr("val accuracy"), QColor(255, 127, 14));
    for (CurvePlot* p : {m_liveLoss, m_liveAccuracy}) p->plot()->setMinimumSize(140, 110);
    livePlots->addWidget(m_liveLoss);
    livePlots->addWidget(m_liveAccuracy);
    liveBox->addLayout(livePlots, 1);
    runLayout->addLayout(liveBox, 5);
    m_log = new QPlainTextEdit(runArea);
    m_log->setObjectName(QStringLiteral("experimentLog"));
    m_log->setReadOnly(true);
    m_log->setMaximumBlockCount(3000);
    m_log->hide();  // kept for the details; the run folders hold each trial's log

    // --- the runs ---
    auto* runsArea = new QWidget(splitter);
    auto* runsLayout = new QVBoxLayout(runsArea);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    auto* runsBar = new QHBoxLayout;
    m_filter = new QLineEdit(runsArea);
    m_filter->setObjectName(QStringLiteral("runsFilter"));
    m_filter->setPlaceholderText(tr("Filter runs (any column)"));
    m_filter->setClearButtonEnabled(true);
    auto* refresh = new QPushButton(tr("Re&fresh"), runsArea);
    refresh->setObjectName(QStringLiteral("refreshRunsButton"));
    m_inspect = new QPushButton(tr("Open in &Inspect"), runsArea);
    m_inspect->setObjectName(QStringLiteral("openInInspectButton"));
    m_export = new QPushButton(tr("E&xport…"), runsArea);
    m_export->setObjectName(QStringLiteral("openInExportButton"));
    m_report = new QPushButton(tr("Rep&ort…"), runsArea);
    m_report->setObjectName(QStringLiteral("reportButton"));
    m_report->setToolTip(tr("Writes one self-contained HTML file about the run, to mail to a colleague."));
    runsBar->addWidget(new QLabel(tr("Runs:"), runsArea));
    runsBar->addWidget(m_filter, 1);
    runsBar->addWidget(refresh);
    runsBar->addSpacing(12);
    runsBar->addWidget(m_inspect);
    runsBar->addWidget(m_export);
    runsBar->addWidget(m_report);
    runsLayout->addLayout(runsBar);
    m_runsNote = new QLabel(runsArea);
    m_runsNote->setObjectName(QStringLiteral("runsNote"));
    makeLineLabel(m_runsNote);
    runsLayout->addWidget(m_runsNote);

    // The table above, the comparison of the selected runs below it: the
    // overlaid curves beside the config diff (or the confusion matrices).
    auto* runsSplit = new QSplitter(Qt::Vertical, runsArea);
    m_model = new QStandardItemModel(0, ColCount, this);
    m_model->setHorizontalHeaderLabels({tr("Run"), tr("Varied"), tr("Backbone"), tr("Freeze"), tr("Augmentation"),
                                        tr("Epochs"), tr("Best val acc"), tr("Time"), tr("Images/s"), tr("Date"),
                                        tr("State")});
    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(kSortRole);
    m_proxy->setFilterKeyColumn(-1);
    m_proxy->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_table = new QTableView(runsSplit);
    m_table->setObjectName(QStringLiteral("runsTable"));
    m_table->setModel(m_proxy);
    m_table->setSortingEnabled(true);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideMiddle);  // "20261202-…-experiment/t001"

    m_table->sortByColumn(ColDate, Qt::DescendingOrder);
    m_table->setMinimumSize(200, 90);

    auto* comparison = new QSplitter(Qt::Horizontal, runsSplit);
    m_overlay = new CurvePlot(tr("epoch"), tr("validation accuracy"), comparison);
    m_overlay->setObjectName(QStringLiteral("overlayPlot"));
    m_overlay->setYRange(0, 1.02);
    m_overlay->setLegendAlignment(Qt::AlignBottom | Qt::AlignRight);
    m_overlay->plot()->setMinimumSize(160, 120);
    m_tabs = new QTabWidget(comparison);
    m_tabs->setObjectName(QStringLiteral("comparisonTabs"));
    auto* diffPage = new QWidget(m_tabs);
    auto* diffLayout = new QVBoxLayout(diffPage);
    diffLayout->setContentsMargins(4, 4, 4, 4);
    m_diffNote = new QLabel(tr("Select two runs (or more) to see the settings that differ."), diffPage);
    m_diffNote->setObjectName(QStringLiteral("diffNote"));
    makeLineLabel(m_diffNote);
    m_diff = new QTableWidget(0, 3, diffPage);
    m_diff->setObjectName(QStringLiteral("configDiff"));
    m_diff->setHorizontalHeaderLabels({tr("Key"), tr("Run A"), tr("Run B")});
    m_diff->verticalHeader()->hide();
    m_diff->horizontalHeader()->setStretchLastSection(true);
    m_diff->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_diff->setMinimumHeight(60);
    diffLayout->addWidget(m_diffNote);
    diffLayout->addWidget(m_diff, 1);
    m_tabs->addTab(diffPage, tr("Config diff"));
    auto* confusionPage = new QWidget(m_tabs);
    auto* confusionLayout = new QGridLayout(confusionPage);
    confusionLayout->setContentsMargins(4, 4, 4, 4);
    m_confusionTitleA = new QLabel(tr("Select a run to see its validation confusion matrix."), confusionPage);
    m_confusionTitleB = new QLabel(confusionPage);
    for (QLabel* l : {m_confusionTitleA, m_confusionTitleB}) makeLineLabel(l);
    m_confusionA = new QTableWidget(confusionPage);
    m_confusionA->setObjectName(QStringLiteral("confusionA"));
    m_confusionB = new QTableWidget(confusionPage);
    m_confusionB->setObjectName(QStringLiteral("confusionB"));
    for (QTableWidget* t : {m_confusionA, m_confusionB}) {
        t->setEditTriggers(QAbstractItemView::NoEditTriggers);
        t->setMinimumSize(80, 60);
    }
    confusionLayout->addWidget(m_confusionTitleA, 0, 0);
    confusionLayout->addWidget(m_confusionTitleB, 0, 1);
    confusionLayout->addWidget(m_confusionA, 1, 0);
    confusionLayout->addWidget(m_confusionB, 1, 1);
    confusionLayout->setRowStretch(1, 1);
    m_tabs->addTab(confusionPage, tr("Confusion matrices"));
    comparison->addWidget(m_overlay);
    comparison->addWidget(m_tabs);
    comparison->setStretchFactor(0, 3);
    comparison->setStretchFactor(1, 2);
    comparison->setSizes({600, 400});
    runsSplit->addWidget(m_table);
    runsSplit->addWidget(comparison);
    runsSplit->setStretchFactor(0, 1);
    runsSplit->setStretchFactor(1, 1);
    runsLayout->addWidget(runsSplit, 1);

    splitter->addWidget(runArea);
    splitter->addWidget(runsArea);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    layout->addWidget(splitter, 1);

    m_tasks = new TaskManager(this);
    connect(m_strategies, &QPushButton::toggled, this, [this](bool on) {
        m_axesHost->setEnabled(!on);
        updatePlan();
    });
    connect(m_run, &QPushButton::clicked, this, [this] { runExperiment(); });
    connect(m_stop, &QPushButton::clicked, this, &ExperimentsPage::stop);
    connect(m_resume, &QPushButton::clicked, this, [this] {
        if (!m_resumable.isEmpty()) resumeExperiment(m_resumable);
    });
    connect(refresh, &QPushButton::clicked, this, &ExperimentsPage::refreshRuns);
    connect(m_filter, &QLineEdit::textChanged, m_proxy, &QSortFilterProxyModel::setFilterFixedString);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ExperimentsPage::updateSelection);
    connect(m_inspect, &QPushButton::clicked, this, &ExperimentsPage::openSelectedInInspect);
    connect(m_export, &QPushButton::clicked, this, &ExperimentsPage::openSelectedInExport);
    connect(m_report, &QPushButton::clicked, this, [this] {
        const int r = oneSelectedRow();
        if (r < 0) return;
        const QString suggested =
            QDir(QDir::homePath()).filePath(QFileInfo(m_rows[r].runDir).fileName() + QStringLiteral("-report.html"));
        const QString path = QFileDialog::getSaveFileName(this, tr("Save the report"), suggested, tr("HTML (*.html)"));
        if (!path.isEmpty()) writeReport(path);
    });
    connect(&m_session, &ProjectSession::configChanged, this, &ExperimentsPage::rebuildAxes);
    connect(&m_session, &ProjectSession::backboneChanged, this, &ExperimentsPage::rebuildAxes);
    connect(&m_session, &ProjectSession::projectPathChanged, this, &ExperimentsPage::refreshRuns);
    rebuildAxes();
    setRunning(false);
    updateSelection();
}

ExperimentsPage::~ExperimentsPage() = default;  // m_tasks cancels the jobs and waits for them

QString ExperimentsPage::runsRoot() const {
    const QString root = m_runsRoot ? m_runsRoot() : QString();
    return root.isEmpty() ? QString::fromStdString(paths::runsDir()) : root;
}

void ExperimentsPage::showEvent(QShowEvent* event) {
    refreshRuns();
    QWidget::showEvent(event);
}

// --- the grid ---------------------------------------------------------------

void ExperimentsPage::rebuildAxes() {
    const train::TrainConfig& c = m_session.config();
    // What is checked now stays checked when the axis still offers it.
    QMap<QString, QStringList> checked;
    for (auto it = m_axisBoxes.begin(); it != m_axisBoxes.end(); ++it)
        for (QCheckBox* box : it.value())
            if (box->isChecked()) checked[it.key()] << box->property("value").toString();
    const bool first = m_axisBoxes.isEmpty();
    struct Axis {
        QString key, title, current;
        QStringList values, labels;
    };
    QVector<Axis> axes;
    const QString arch = QString::fromStdString(c.arch);
    axes.push_back({QStringLiteral("arch"), tr("Backbones"), arch, experimentBackbones(arch), {}});
    QStringList freezes = {QStringLiteral("feature-extraction"), QStringLiteral("last:1"), QStringLiteral("last:2"),
                           QStringLiteral("none")};
    const QString freeze = QString::fromStdString(train::toString(c.freeze));
    if (!freezes.contains(freeze)) freezes.prepend(freeze);
    axes.push_back({QStringLiteral("freeze"), tr("Freeze"), freeze, freezes, {}});
    const QString augment = QString::fromStdString(train::toString(c.augment.preset));
    axes.push_back({QStringLiteral("augment.preset"),
                    tr("Augmentation"),
                    augment,
                    {QStringLiteral("none"), QStringLiteral("standard")},
                    {}});
    const QString lr = lrText(c.lr);
    axes.push_back({QStringLiteral("lr"),
                    tr("Learning rates"),
                    lr,
                    {lr, lrText(c.lr / 10), lrText(c.lr * 10)},
                    {tr("%1 (current)").arg(lr), lrText(c.lr / 10) + tr(" (÷10)"), lrText(c.lr * 10) + tr(" (×10)")}});

    auto* grid = static_cast<QGridLayout*>(m_axesHost->layout());
    while (QLayoutItem* item = grid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    m_axisBoxes.clear();
    for (int row = 0; row < axes.size(); ++row) {
        const Axis& a = axes[row];
        auto* title = new QLabel(a.title + QLatin1Char(':'), m_axesHost);
        grid->addWidget(title, row, 0);
        QVector<QCheckBox*> boxes;
        for (int i = 0; i < a.values.size(); ++i) {
            const QString value = a.values[i];
            QString label = i < a.labels.size() ? a.labels[i] : value;
            if (a.labels.isEmpty() && value == a.current) label = tr("%1 (current)").arg(value);
            auto* box = new QCheckBox(label, m_axesHost);
            box->setObjectName(QStringLiteral("axis_%1_%2").arg(a.key, value));
            box->setProperty("value", value);
            // A new current value (another backbone chosen, the lr edited) starts its axis anew.
            const bool keep = !first && m_axisCurrent.value(a.key) == a.current && checked.contains(a.key);
            const bool on = keep ? checked[a.key].contains(value) : value == a.current;
            box->setChecked(on);
            connect(box, &QCheckBox::toggled, this, &ExperimentsPage::updatePlan);
            grid->addWidget(box, row, i + 1);
            boxes << box;
        }
        m_axisBoxes.insert(a.key, boxes);
        m_axisCurrent.insert(a.key, a.current);
    }
    grid->setColumnStretch(7, 1);
    m_axesScroll->setMinimumHeight(m_axesHost->sizeHint().height() +
                                   m_axesScroll->horizontalScrollBar()->sizeHint().height() + 2);
    updatePlan();
}

QCheckBox* ExperimentsPage::axisBox(const QString& key, const QString& value) const {
    for (QCheckBox* box : m_axisBoxes.value(key))
        if (box->property("value").toString() == value) return box;
    return nullptr;
}

ExperimentGrid ExperimentsPage::grid() const {
    ExperimentGrid g;
    g.strategies = m_strategies->isChecked();
    const auto values = [this](const QString& key) {
        QStringList out;
        for (QCheckBox* box : m_axisBoxes.value(key))
            if (box->isChecked()) out << box->property("value").toString();
        return out;
    };
    g.archs = values(QStringLiteral("arch"));
    g.freezes = values(QStringLiteral("freeze"));
    g.augments = values(QStringLiteral("augment.preset"));
    for (const QString& lr : values(QStringLiteral("lr"))) g.lrs << lr.toDouble();
    return g;
}

ExperimentPlan ExperimentsPage::plan() const { return planExperiment(m_session.config(), grid()); }

double ExperimentsPage::lastSecondsPerEpoch() const {
    const RunRow* newest = nullptr;
    for (const RunRow& r : m_rows)
        if (r.error.isEmpty() && r.epochsDone > 0 && r.seconds > 0 && (!newest || r.date > newest->date)) newest = &r;
    return newest ? newest->seconds / newest->epochsDone : 0.0;
}

void ExperimentsPage::updatePlan() {
    if (!m_planLabel) return;
    const ExperimentPlan p = plan();
    if (p.nothingVaries) {
        m_planLabel->setText(p.error.toHtmlEscaped());  // the page as it opens: a hint, not an error
        m_planLabel->setToolTip(p.error);
    } else if (!p.error.isEmpty()) {
        m_planLabel->setText(QStringLiteral("<span style='color:#b00020'>%1</span>").arg(p.error.toHtmlEscaped()));
        m_planLabel->setToolTip(p.error);
    } else {
        const double perEpoch = lastSecondsPerEpoch();
        const QString estimate = perEpoch > 0 ? tr("about %1 (the last run took %2 per epoch)")
                                                    .arg(durationText(perEpoch * p.totalEpochs), durationText(perEpoch))
                                              : tr("time unknown (no run of this project has finished an epoch yet)");
        QStringList names;
        for (const PlannedTrial& t : p.trials) names << (t.params.isEmpty() ? t.id : t.params);
        const QString count = p.trials.size() == 1 ? tr("1 trial") : tr("%1 trials").arg(p.trials.size());
        m_planLabel->setText(
            tr("<b>%1</b>, %2 epochs in all — %3.").arg(count).arg(p.totalEpochs).arg(estimate.toHtmlEscaped()));
        m_planLabel->setToolTip(names.join(QLatin1Char('\n')));
    }
    m_run->setEnabled(!m_running && p.ok());
}

// --- running ----------------------------------------------------------------

bool ExperimentsPage::refusedAsBusy() {
    const QString reason = m_busyCheck ? m_busyCheck() : QString();
    if (!reason.isEmpty()) setLineText(m_status, reason);
    return !reason.isEmpty();
}

bool ExperimentsPage::runExperiment() {
    if (m_running || refusedAsBusy()) return false;
    const ExperimentPlan p = plan();
    if (!p.ok()) {
        setLineText(m_status, p.error.isEmpty() ? tr("The grid has no trial.") : p.error);
        return false;
    }
    const QString stamp = QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
    QString dir = QDir(runsRoot()).filePath(stamp + QStringLiteral("-experiment"));
    for (int i = 2; QFileInfo::exists(dir); ++i)
        dir = QDir(runsRoot()).filePath(QStringLiteral("%1-experiment-%2").arg(stamp).arg(i));
    QDir().mkpath(runsRoot());
    m_trials.clear();
    for (int i = 0; i < p.trials.size(); ++i) {
        TrialState t;
        t.id = p.trials[i].id;
        t.params = p.trials[i].params;
        t.status = QStringLiteral("pending");
        t.index = i + 1;
        t.total = int(p.trials.size());
        m_trials << t;
    }
    showQueue();
    submit(dir, false, grid());
    setLineText(m_status, tr("Experiment of %n trial(s) queued into %1.", nullptr, int(p.trials.size()))
                              .arg(QDir::toNativeSeparators(dir)));
    return true;
}

bool ExperimentsPage::resumeExperiment(const QString& expDir) {
    if (m_running || refusedAsBusy()) return false;
    try {
        m_trials = ExperimentWorker::readTrials(expDir);
    } catch (const std::exception& e) {
        setLineText(m_status,
                    tr("%1 cannot be resumed: %2")
                        .arg(QDir::toNativeSeparators(expDir), userMessageOf(QString::fromStdString(e.what()))));
        return false;
    }
    showQueue();
    submit(QFileInfo(expDir).absoluteFilePath(), true, {});
    setLineText(m_status, tr("Resuming %1…").arg(QFileInfo(expDir).fileName()));
    return true;
}

void ExperimentsPage::submit(const QString& expDir, bool resume, const ExperimentGrid& grid) {
    m_expDir = expDir;
    m_currentTrial.clear();
    m_liveLoss->clear();
    m_liveAccuracy->clear();
    m_log->clear();
    setRunning(true);
    Q_EMIT experimentStarted(expDir);
    JobSpec spec;
    spec.lane = QStringLiteral("Training");
    const train::TrainConfig base = m_session.config();
    m_job = m_tasks->submit<ExperimentOutcome>(
        this, spec,
        [this, base, grid, expDir, resume](JobContext& job) {
            ExperimentEvents events;
            events.trial = [this, &job](const TrialState& t) { job.post([this, t] { onTrial(t); }); };
            events.batch = [this, &job](const train::BatchEvent& e) { job.post([this, e] { onBatch(e); }); };
            events.epoch = [this, &job](const train::EpochMetrics& m) { job.post([this, m] { onEpoch(m); }); };
            events.log = [this, &job](const QString& line) {
                job.post([this, line] { m_log->appendPlainText(line); });
            };
            return resume ? ExperimentWorker::resume(expDir, job.feedback(), events)
                          : ExperimentWorker::start(base, grid, expDir, job.feedback(), events);
        },
        [this](const JobResult<ExperimentOutcome>& r) {
            if (r.ok()) {
                const ExperimentOutcome& o = r.value;
                const qsizetype left = m_trials.size() - o.finished - o.stopped - o.failed;
                QString text = o.cancelled ? tr("Stopped: %1 finished, %2 to go. Resume continues it.")
                                                 .arg(o.finished)
                                                 .arg(qMax<qsizetype>(0, left))
                                           : tr("Done: %n trial(s) finished", nullptr, o.finished);
                if (o.stopped) text += tr(", %n stopped by successive halving", nullptr, o.stopped);
                if (o.failed) text += tr(", %n failed", nullptr, o.failed);
                onEnded(text + QLatin1Char('.'));
            } else if (r.failed()) {
                onEnded(r.error.userMessage);
                showErrorDialog(this, tr("Experiment"), r.error);
            } else {
                onEnded(tr("The experiment was stopped before it started."));
            }
        });
}

void ExperimentsPage::onTrial(const TrialState& state) {
    bool found = false;
    for (TrialState& t : m_trials)
        if (t.id == state.id) {
            t = state;
            found = true;
        }
    if (!found) m_trials << state;
    if (state.status == QLatin1String("running") && m_currentTrial != state.id) {
        m_currentTrial = state.id;
        m_liveLoss->clear();
        m_liveAccuracy->clear();
        setLineText(m_trialLabel, tr("Trial %1 of %2: %3")
                                      .arg(state.index)
                                      .arg(state.total)
                                      .arg(state.params.isEmpty() ? state.id : state.params));
    }
    showQueue();
}

void ExperimentsPage::onBatch(const train::BatchEvent& e) {
    if (!m_running) return;
    const double x = (e.epoch - 1) + double(e.batch) / double(qMax(1, e.numBatches));
    m_liveLoss->append(m_batchLoss, x, e.loss);
    setLineText(m_status, tr("Trial %1 — epoch %2, batch %3 of %4 — %5 images/s")
                              .arg(m_currentTrial)
                              .arg(e.epoch)
                              .arg(e.batch)
                              .arg(e.numBatches)
                              .arg(e.imagesPerSec, 0, 'f', 1));
}

void ExperimentsPage::onEpoch(const train::EpochMetrics& m) {
    if (!m_running) return;
    m_liveLoss->append(m_trainLoss, m.epoch, m.trainLoss);
    m_liveLoss->append(m_valLoss, m.epoch, m.valLoss);
    m_liveAccuracy->append(m_trainAcc, m.epoch, m.trainAccuracy);
    m_liveAccuracy->append(m_valAcc, m.epoch, m.valAccuracy);
}

void ExperimentsPage::onEnded(const QString& text) {
    m_liveLoss->flush();
    m_liveAccuracy->flush();
    setRunning(false);
    setLineText(m_status, text);
    try {  // the index as the runner left it: the states of the trials it did not report
        const QVector<TrialState> trials = ExperimentWorker::readTrials(m_expDir);
        if (!trials.isEmpty()) m_trials = trials;
    } catch (const std::exception&) {
        // No experiment was created (its folder could not be made): nothing is queued any more.
        if (!QFileInfo::exists(QDir(m_expDir).filePath(QStringLiteral("experiment.json")))) m_trials.clear();
    }
    showQueue();
    m_resumable = ExperimentWorker::resumable(m_trials) ? m_expDir : QString();
    setRunning(false);
    Q_EMIT experimentEnded(m_expDir);
    refreshRuns();
}

void ExperimentsPage::showQueue() {
    m_queue->clear();
    for (const TrialState& t : m_trials) {
        QString state = stateText(t);
        if (!m_running && t.status == QLatin1String("running")) state = tr("interrupted (Resume continues it)");
        auto* item = new QListWidgetItem(
            QStringLiteral("%1  %2 — %3").arg(t.id, state, t.params.isEmpty() ? tr("(base config)") : t.params),
            m_queue);
        item->setData(Qt::UserRole, t.status);
        item->setData(Qt::UserRole + 1, t.runDir);
        item->setToolTip(t.error.isEmpty() ? QDir::toNativeSeparators(t.runDir) : t.error);
        if (t.status == QLatin1String("failed")) item->setForeground(QColor(176, 0, 32));
        else if (t.status == QLatin1String("finished")) item->setForeground(QColor(30, 120, 30));
        else if (t.status == QLatin1String("running")) {
            QFont f = item->font();
            f.setBold(true);
            item->setFont(f);
        }
    }
}

void ExperimentsPage::stop() {
    if (!m_running) return;
    m_tasks->cancel(m_job);
    setLineText(m_status, tr("Stopping after the current batch…"));
    m_stop->setEnabled(false);
}

bool ExperimentsPage::stopAndWait(int timeoutMs) {
    stop();
    QDeadlineTimer deadline(timeoutMs);
    while (m_running && !deadline.hasExpired()) QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
    return !m_running;
}

void ExperimentsPage::setRunning(bool running) {
    m_running = running;
    m_stop->setEnabled(running);
    m_strategies->setEnabled(!running);
    m_axesHost->setEnabled(!running && !m_strategies->isChecked());
    m_resume->setVisible(!running && !m_resumable.isEmpty());
    m_resume->setToolTip(m_resumable.isEmpty() ? QString()
                                               : tr("Continue %1: finished trials are kept, the interrupted one "
                                                    "resumes from its last complete epoch.")
                                                     .arg(QDir::toNativeSeparators(m_resumable)));
    updatePlan();
}

}  // namespace ts::ui
