#include "ui/pages/DataPage.h"
#include "ui/widgets/Fitting.h"

#include "ui/models/ClassCountsModel.h"
#include "ui/models/ProblemsModel.h"
#include "ui/models/ProjectSession.h"
#include "ui/widgets/ClassCountChart.h"
#include "ui/widgets/PageHeader.h"
#include "ui/widgets/ProblemsPanel.h"
#include "ui/widgets/ThumbnailGrid.h"
#include "ui/workers/DoctorWorker.h"
#include "ui/workers/ScanWorker.h"
#include "ui/workers/TaskManager.h"

#include <QApplication>
#include <QClipboard>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ts::ui {
namespace {


// Lanes of the page's TaskManager; in each, a newer request replaces the older.
const QString kScanLane = QStringLiteral("DataPage scan");
const QString kDoctorLane = QStringLiteral("DataPage doctor");

JobSpec replacingSpec(const QString& lane) {
    JobSpec spec;
    spec.lane = lane;
    spec.replaceKey = lane;
    return spec;
}

QString splitToolTip() {
    return QObject::tr("Share of each class held out for validation when the folder has no val/ folder. The draw is "
                       "stratified and seeded (the seed is on the Training page), so the split is the same every time.");
}

} // namespace

DataPage::DataPage(QWidget* parent)
    : QWidget(parent), m_model(new ClassCountsModel(this)), m_problems(new ProblemsModel(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Data"),
        tr("Choose a folder with one sub-folder of images per class (ROOT/cat/*.jpg, ROOT/dog/*.jpg), or with "
           "train/ and val/ folders that each hold the class folders, or drop the folder onto the window. Class "
           "names are the sorted folder names, as in torchvision's ImageFolder; a flat folder is split per class, "
           "with the validation share set here and the run's seed. Every file is then checked; exclude the ones that should not be trained on."),
        this));

    auto* row = new QHBoxLayout;
    m_folderEdit = new QLineEdit(this);
    m_folderEdit->setObjectName(QStringLiteral("folderEdit"));
    m_folderEdit->setPlaceholderText(tr("Dataset folder"));
    m_folderEdit->setToolTip(tr("Type a folder and press Enter, choose one, or drop one onto the window."));
    auto* browseButton = new QPushButton(tr("Choose folder…"), this);
    auto* demoButton = new QPushButton(tr("Use demo dataset"), this);
    demoButton->setToolTip(tr("Three classes of generated shapes (circle, square, triangle), 60 images each"));
    m_valBox = new QSpinBox(this);
    m_valBox->setObjectName(QStringLiteral("valFraction"));
    m_valBox->setRange(5, 50);
    m_valBox->setSingleStep(5);
    m_valBox->setValue(int(std::lround(m_valFraction * 100.0)));
    m_valBox->setSuffix(tr(" % validation"));
    m_valBox->setToolTip(splitToolTip());
    row->addWidget(m_folderEdit, 1);
    row->addWidget(browseButton);
    row->addWidget(demoButton);
    row->addWidget(m_valBox);
    layout->addLayout(row);

    m_status = new QLabel(this);
    makeFlowingLabel(m_status);
    m_status->setObjectName(QStringLiteral("dataStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    auto* vertical = new QSplitter(Qt::Vertical, this);
    vertical->setObjectName(QStringLiteral("dataSplitter"));
    vertical->setChildrenCollapsible(false);
    auto* splitter = new QSplitter(Qt::Horizontal, vertical);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("classTable"));
    m_table->setModel(m_model);
    m_table->setSortingEnabled(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setToolTip(tr("Click a class (or press Enter on it) to see its images."));
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(ClassCountsModel::ClassColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_chart = new ClassCountChart(splitter);
    splitter->addWidget(m_table);
    splitter->addWidget(m_chart);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({400, 600});  // proportions; the table needs less room than the chart

    m_tabs = new QTabWidget(vertical);
    m_tabs->setObjectName(QStringLiteral("dataTabs"));
    m_problemsPanel = new ProblemsPanel(m_problems, this);
    m_problemsPanel->setExclusionCheck([this](const QString& file) { return isExcluded(file); });
    m_problemsTab = m_problemsPanel;
    m_problemsTab->setObjectName(QStringLiteral("problemsTab"));
    m_thumbnails = new ThumbnailGrid(this);
    m_thumbnails->setExclusionCheck([this](const QString& file) { return isExcluded(file); });
    m_imagesTab = m_thumbnails;
    m_imagesTab->setObjectName(QStringLiteral("imagesTab"));
    m_tabs->addTab(m_problemsTab, tr("Problems"));
    m_tabs->addTab(m_imagesTab, tr("Images"));
    m_tabs->setTabToolTip(0, tr("What the doctor found after reading every file: unusable files, duplicates, "
                                "train/validation leakage, tiny images, class imbalance."));
    m_tabs->setTabToolTip(1, tr("Thumbnails of one class's images."));
    vertical->addWidget(splitter);
    vertical->addWidget(m_tabs);
    vertical->setStretchFactor(0, 2);
    vertical->setStretchFactor(1, 3);
    vertical->setSizes({230, 340});
    layout->addWidget(vertical, 1);

    connect(browseButton, &QPushButton::clicked, this, &DataPage::browse);
    connect(m_valBox, qOverload<int>(&QSpinBox::valueChanged), this,
            [this](int percent) { setSplit(percent / 100.0, m_seed); });
    connect(demoButton, &QPushButton::clicked, this, &DataPage::demoRequested);
    connect(m_folderEdit, &QLineEdit::returnPressed, this, [this] { setFolder(m_folderEdit->text()); });
    connect(m_table, &QTableView::clicked, this, [this](const QModelIndex& index) { showClassImages(index.row()); });
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex& index) { showClassImages(index.row()); });
    connect(m_tabs, &QTabWidget::currentChanged, this,
            [this] { m_thumbnails->setActive(m_tabs->currentWidget() == m_imagesTab); });
    connect(m_thumbnails, &ThumbnailGrid::loaded, this, &DataPage::thumbnailsLoaded);
    connect(m_problemsPanel, &ProblemsPanel::excludeRequested, this, [this](const QStringList& f) { excludeFiles(f); });
    connect(m_problemsPanel, &ProblemsPanel::includeRequested, this, [this](const QStringList& f) { includeFiles(f); });
    connect(m_problemsPanel, &ProblemsPanel::excludeAllRequested, this, &DataPage::excludeAllUnusable);
    connect(m_problemsPanel, &ProblemsPanel::openFolderRequested, this, &DataPage::openFolderOf);
    connect(m_problemsPanel, &ProblemsPanel::copyRequested, this, &DataPage::copyPaths);
    connect(m_thumbnails, &ThumbnailGrid::excludeRequested, this, [this](const QStringList& f) { excludeFiles(f); });
    connect(m_thumbnails, &ThumbnailGrid::includeRequested, this, [this](const QStringList& f) { includeFiles(f); });
    connect(m_thumbnails, &ThumbnailGrid::openFolderRequested, this, &DataPage::openFolderOf);
    connect(m_thumbnails, &ThumbnailGrid::copyRequested, this, &DataPage::copyPaths);

    qRegisterMetaType<ts::ui::DatasetSummary>();
    qRegisterMetaType<ts::ui::DoctorResult>();
    m_tasks = new TaskManager(this);

    showStatus();
    updateDoctorSummary();
    exclusionsUpdated();
}

// m_tasks cancels the scan, the doctor and the thumbnail loading (they return
// within one file) and waits for them; nothing reaches the page after.
DataPage::~DataPage() = default;

bool DataPage::isScanning() const { return m_tasks->pending(kScanLane) > 0; }
bool DataPage::isDiagnosing() const { return m_tasks->pending(kDoctorLane) > 0; }
bool DataPage::isLoadingThumbnails() const { return m_thumbnails->isLoading(); }
int DataPage::thumbnailClass() const { return m_thumbnails->currentClass(); }
QListWidget* DataPage::thumbnailView() const { return m_thumbnails->view(); }

void DataPage::setFolder(const QString& folder) {
    if (folder.trimmed().isEmpty()) return;
    const QString absolute = QDir(folder.trimmed()).absolutePath();
    if (absolute != m_requested) {
        // A different dataset: its exclusions must be under it.
        const QString prefix = absolute.endsWith(QLatin1Char('/')) ? absolute : absolute + QLatin1Char('/');
        QStringList kept;
        for (const QString& file : std::as_const(m_excluded))
            if (file.startsWith(prefix)) kept << file;
        if (kept != m_excluded) setExcludedFiles(kept);
    }
    m_requested = absolute;
    if (m_session) m_session->editConfig([this](train::TrainConfig& c) { c.dataDir = m_requested.toStdString(); });
    m_folderEdit->setText(QDir::toNativeSeparators(m_requested));
    // Whatever runs for the previous request is obsolete now.
    m_tasks->supersede(kDoctorLane);
    m_thumbnails->clear();
    m_doctorResult = {};
    m_problems->setResult({});
    const QString root = m_requested;
    const double valFraction = m_valFraction;
    const quint64 seed = m_seed;
    m_tasks->submit<DatasetSummary>(
        this, replacingSpec(kScanLane),
        [root, valFraction, seed](JobContext&) { return ScanWorker::scanFolder(root, valFraction, seed); },
        [this](const JobResult<DatasetSummary>& r) { onScanFinished(r); });
    showStatus();
    updateDoctorSummary();
}

QString DataPage::folder() const { return m_requested; }

void DataPage::setSession(ProjectSession* session) {
    if (m_session) disconnect(m_session, nullptr, this, nullptr);
    m_session = session;
    if (!m_session) return;
    // The session's split: the validation share at once, the seed (set on
    // the Training page) when this page is shown: a rescan per keystroke
    // in the seed box would be wasted.
    connect(m_session, &ProjectSession::configChanged, this, [this] {
        const train::TrainConfig& c = m_session->config();
        if (!qFuzzyCompare(c.valFraction, m_valFraction) || isVisibleTo(window())) setSplit(c.valFraction, c.seed);
    });
    connect(m_session, &ProjectSession::exclusionsChanged, this, [this](const QStringList& files) {
        if (files != m_excluded) setExcludedFiles(files);
    });
    m_session->editConfig([this](train::TrainConfig& c) {
        c.dataDir = m_requested.toStdString();
        c.valFraction = m_valFraction;
    });
    m_session->setExclusions(m_excluded);
}

void DataPage::applySessionSplit() {
    if (m_session) setSplit(m_session->config().valFraction, m_session->config().seed);
}

bool DataPage::event(QEvent* event) {
    // Shown in the window (also when the window itself is not on screen, as in tests).
    if (event->type() == QEvent::ShowToParent) applySessionSplit();
    return QWidget::event(event);
}

void DataPage::setSplit(double valFraction, quint64 seed) {
    valFraction = qBound(0.01, valFraction, 0.99);
    if (qFuzzyCompare(valFraction, m_valFraction) && seed == m_seed) return;
    m_valFraction = valFraction;
    m_seed = seed;
    if (m_session) m_session->editConfig([valFraction](train::TrainConfig& c) { c.valFraction = valFraction; });
    const QSignalBlocker block(m_valBox);
    m_valBox->setValue(int(std::lround(valFraction * 100.0)));
    if (!m_requested.isEmpty()) setFolder(m_requested);  // the same folder: exclusions stay
}

void DataPage::browse() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose the dataset folder"),
                                                          m_requested.isEmpty() ? QDir::homePath() : m_requested);
    if (!dir.isEmpty()) setFolder(dir);
}

void DataPage::onScanFinished(const JobResult<DatasetSummary>& result) {
    if (!result.ok()) return;  // replaced: a newer request is on its way
    const DatasetSummary& summary = result.value;
    if (summary.root != m_requested) return;
    m_summary = summary;
    const bool givenSplit = summary.splitSource == DatasetSummary::SplitSource::Folders;
    m_valBox->setEnabled(!givenSplit);
    m_valBox->setToolTip(givenSplit ? tr("This dataset brings its own split (train/ and val/ folders).")
                                    : splitToolTip());
    m_model->setSummary(summary.isValid() ? summary : DatasetSummary{});
    m_chart->setSummary(summary.isValid() ? summary : DatasetSummary{});
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setSectionResizeMode(ClassCountsModel::ClassColumn, QHeaderView::Stretch);

    m_thumbnails->setDataset(summary);  // loads the first class when the Images tab is shown
    if (summary.isValid()) startDoctor();
    showStatus();
    updateDoctorSummary();
    if (m_session) m_session->setDataset(summary);
    Q_EMIT datasetChanged(summary);
}

// --- the doctor ---

void DataPage::startDoctor() {
    m_problemsPanel->setProgress(0);
    const QString root = m_summary.root;
    const double valFraction = m_valFraction;
    const quint64 seed = m_seed;
    JobSpec spec = replacingSpec(kDoctorLane);
    spec.onProgress = [this](double fraction, const QString&) { m_problemsPanel->setProgress(fraction); };
    m_tasks->submit<DoctorResult>(
        this, spec,
        [root, valFraction, seed](JobContext& job) {
            return DoctorWorker::diagnoseFolder(root, &job.feedback(), valFraction, seed);
        },
        [this](const JobResult<DoctorResult>& r) { onDoctorFinished(r); });
}

void DataPage::onDoctorFinished(const JobResult<DoctorResult>& job) {
    if (!job.ok() || job.value.cancelled) {
        updateDoctorSummary();
        return;  // superseded by a newer folder or scan
    }
    const DoctorResult& result = job.value;
    m_doctorResult = result;
    m_problems->setResult(result);
    m_problems->setExcluded(m_excludedSet);
    updateDoctorSummary();
    // Nothing to fix: the images say more than an empty table.
    if (result.problems.isEmpty() && m_tabs->currentWidget() == m_problemsTab) m_tabs->setCurrentWidget(m_imagesTab);
    if (m_session) m_session->setDoctorResult(result);
    Q_EMIT doctorFinished(result);
}

void DataPage::updateDoctorSummary() {
    using State = ProblemsPanel::DoctorState;
    const State state = isDiagnosing()                             ? State::Checking
                        : isScanning() && !m_requested.isEmpty() ? State::WaitingForScan
                        : m_doctorResult.isValid() || !m_doctorResult.error.isEmpty() ? State::Done
                        : m_requested.isEmpty()                    ? State::NoFolder
                                                                   : State::Done;
    m_problemsPanel->showDoctor(m_doctorResult, state);
    const DoctorResult& r = m_doctorResult;
    const int index = m_tabs->indexOf(m_problemsTab);
    if (isDiagnosing()) m_tabs->setTabText(index, tr("Problems (checking…)"));
    else if (r.isValid())  // errors and warnings: notes are not problems
        m_tabs->setTabText(index, tr("Problems (%1)").arg(r.count(DataProblem::Error) + r.count(DataProblem::Warning)));
    else m_tabs->setTabText(index, tr("Problems"));
}

void DataPage::setSeverityFilter(SeverityFilter filter) {
    m_problemsPanel->setSeverityFilter(ProblemsPanel::SeverityFilter(filter));
}

QStringList DataPage::selectedProblemPaths() const { return m_problemsPanel->selectedProblemPaths(); }
QStringList DataPage::selectedExcludableFiles() const { return m_problemsPanel->selectedExcludableFiles(); }
QTableView* DataPage::problemsView() const { return m_problemsPanel->view(); }
QAction* DataPage::excludeAction() const { return m_problemsPanel->excludeAction(); }
QAction* DataPage::includeAction() const { return m_problemsPanel->includeAction(); }
QAction* DataPage::excludeAllAction() const { return m_problemsPanel->excludeAllAction(); }
QAction* DataPage::openFolderAction() const { return m_problemsPanel->openFolderAction(); }
QAction* DataPage::copyPathAction() const { return m_problemsPanel->copyPathAction(); }

// --- exclusions ---

void DataPage::setExcludedFiles(const QStringList& files) {
    m_excluded.clear();
    m_excludedSet.clear();
    for (const QString& f : files)
        if (!f.isEmpty() && !m_excludedSet.contains(f)) {
            m_excluded << f;
            m_excludedSet.insert(f);
        }
    exclusionsUpdated();
}

int DataPage::excludeFiles(const QStringList& files) {
    int added = 0;
    for (const QString& f : files)
        if (!f.isEmpty() && !m_excludedSet.contains(f)) {
            m_excluded << f;
            m_excludedSet.insert(f);
            ++added;
        }
    if (added > 0) exclusionsUpdated();
    return added;
}

int DataPage::includeFiles(const QStringList& files) {
    int removed = 0;
    for (const QString& f : files)
        if (m_excludedSet.remove(f)) {
            m_excluded.removeAll(f);
            ++removed;
        }
    if (removed > 0) exclusionsUpdated();
    return removed;
}

int DataPage::excludeAllUnusable() { return excludeFiles(m_doctorResult.badFiles); }

void DataPage::exclusionsUpdated() {
    m_problems->setExcluded(m_excludedSet);
    m_thumbnails->refreshMarks();
    m_problemsPanel->showExclusions(m_excluded);
    if (m_session) m_session->setExclusions(m_excluded);
    Q_EMIT exclusionsChanged(m_excluded);
}

void DataPage::openFolderOf(const QString& path) {
    const QFileInfo info(path);
    const QString folder = info.isDir() ? info.absoluteFilePath() : info.absolutePath();
    QDesktopServices::openUrl(QUrl::fromLocalFile(folder));
}

void DataPage::copyPaths(const QStringList& paths) {
    if (paths.isEmpty()) return;
    QStringList native;
    for (const QString& p : paths) native << QDir::toNativeSeparators(p);
    QApplication::clipboard()->setText(native.join(QLatin1Char('\n')));
}

// --- thumbnails ---

void DataPage::showClassImages(int classIndex) {
    if (!m_summary.isValid() || classIndex < 0 || classIndex >= m_summary.classes.size()) return;
    if (m_tabs->currentWidget() != m_imagesTab) {
        const QSignalBlocker block(m_tabs);
        m_tabs->setCurrentWidget(m_imagesTab);
    }
    m_thumbnails->showClass(classIndex);
}

void DataPage::showStatus() {
    QString text;
    QString style;
    if (isScanning()) {
        text = tr("Scanning %1 …").arg(QDir::toNativeSeparators(m_requested));
    } else if (m_requested.isEmpty()) {
        text = tr("No dataset chosen yet.");
    } else if (!m_summary.error.isEmpty()) {
        text = m_summary.error;
        style = QStringLiteral("color: #b00020;");
    } else if (m_summary.isValid()) {
        qint64 train = 0, val = 0, test = 0;
        for (int i = 0; i < m_summary.classes.size(); ++i) {
            train += m_summary.trainCounts.value(i);
            val += m_summary.valCounts.value(i);
            test += m_summary.testCounts.value(i);
        }
        text = tr("%n class(es), %1 images: %2 train, %3 validation", nullptr, int(m_summary.classes.size()))
                   .arg(m_summary.totalImages())
                   .arg(train)
                   .arg(val);
        if (test > 0) text += tr(", %1 test").arg(test);
        text += m_summary.splitSource == DatasetSummary::SplitSource::Folders
                    ? tr(" (split given by the train/ and val/ folders).")
                    : tr(" (validation: %1 % of each class, seed %2).").arg(std::lround(m_valFraction * 100.0)).arg(m_seed);
        if (m_summary.ignoredFiles > 0)
            text += tr(" %n file(s) in the class folders are not images and are ignored.", nullptr,
                       int(m_summary.ignoredFiles));
    }
    m_status->setStyleSheet(style);
    m_status->setText(text);
}

} // namespace ts::ui
