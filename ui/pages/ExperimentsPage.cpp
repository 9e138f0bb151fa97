#include "ui/pages/ExperimentsPage.h"

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
namespace {

enum Column {
    ColRun,
    ColParams,
    ColArch,
    ColFreeze,
    ColAugment,
    ColEpochs,
    ColBest,
    ColTime,
    ColSpeed,
    ColDate,
    ColState,
    ColCount
};
constexpr int kSortRole = Qt::UserRole + 1;
constexpr int kRowRole = Qt::UserRole + 2;
constexpr int kMaxDiffRuns = 6;  ///< columns of runs the config diff shows

QString durationText(double seconds) {
    if (!(seconds >= 0)) return QStringLiteral("–");
    const qint64 s = qint64(seconds + 0.5);
    if (s >= 3600) return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
    if (s >= 60) return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60);
    return QStringLiteral("%1 s").arg(s);
}

QString lrText(double lr) { return QString::number(lr, 'g', 3); }

// A one-line label inside the page's scroll area: it never widens the window
// (its width is the layout's, the text is cut), and unlike a wrapping label it
// does not make the scrolled content as tall as its preferred size; the full
// text is the tooltip (setLineText).
void makeLineLabel(QLabel* label) {
    label->setWordWrap(false);
    label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    label->setMinimumWidth(1);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void setLineText(QLabel* label, const QString& text) {
    label->setText(text);
    label->setToolTip(text.startsWith(QLatin1Char('<')) ? QString() : text);
}

// Distinct colours for overlaid runs (matplotlib's tab10).
QColor runColour(int i) {
    static const QColor colours[] = {{31, 119, 180}, {255, 127, 14},  {44, 160, 44},   {214, 39, 40},  {148, 103, 189},
                                     {140, 86, 75},  {227, 119, 194}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207}};
    return colours[i % 10];
}

QString stateText(const TrialState& t) {
    if (t.status == QLatin1String("failed")) return QObject::tr("failed: %1").arg(t.error.left(200));
    if (t.status == QLatin1String("stopped")) return QObject::tr("stopped (successive halving)");
    return t.status;
}

}  // namespace

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
