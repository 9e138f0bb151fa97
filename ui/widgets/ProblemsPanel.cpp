#include "ui/widgets/ProblemsPanel.h"

#include "ui/models/ProblemsModel.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QRegularExpression>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {
namespace {

QToolButton* actionButton(QAction* action, QWidget* parent) {
    auto* button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    return button;
}

} // namespace

ProblemsPanel::ProblemsPanel(ProblemsModel* model, QWidget* parent) : QWidget(parent), m_model(model) {
    QWidget* tab = this;
    auto* layout = new QVBoxLayout(tab);
    layout->setContentsMargins(6, 6, 6, 6);

    auto* top = new QHBoxLayout;
    m_summary = new QLabel(tab);
    m_summary->setObjectName(QStringLiteral("doctorSummary"));
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_progress = new QProgressBar(tab);
    m_progress->setObjectName(QStringLiteral("doctorProgress"));
    m_progress->setRange(0, 100);
    m_progress->setFormat(tr("Checking images… %p%"));
    m_progress->setMaximumWidth(260);
    m_progress->setVisible(false);
    m_severity = new QComboBox(tab);
    m_severity->setObjectName(QStringLiteral("severityFilter"));
    m_severity->addItem(tr("All problems"));
    m_severity->addItem(tr("Errors and warnings"));
    m_severity->addItem(tr("Errors only"));
    m_severity->setToolTip(tr("Which problems to list"));
    top->addWidget(m_summary, 1);
    top->addWidget(m_progress);
    top->addWidget(m_severity);
    layout->addLayout(top);

    m_proxy = new QSortFilterProxyModel(this);
    m_proxy->setSourceModel(m_model);
    m_proxy->setSortRole(ProblemsModel::SortRole);
    m_proxy->setFilterRole(ProblemsModel::SeverityRole);
    m_proxy->setFilterKeyColumn(ProblemsModel::SeverityColumn);
    m_view = new QTableView(tab);
    m_view->setObjectName(QStringLiteral("problemsTable"));
    m_view->setModel(m_proxy);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(ProblemsModel::SeverityColumn, Qt::DescendingOrder);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setWordWrap(false);
    m_view->setTextElideMode(Qt::ElideRight);
    m_view->verticalHeader()->setVisible(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 8);
    QHeaderView* header = m_view->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setStretchLastSection(true);
    header->resizeSection(ProblemsModel::SeverityColumn, 90);
    header->resizeSection(ProblemsModel::KindColumn, 130);
    header->resizeSection(ProblemsModel::FileColumn, 220);
    header->resizeSection(ProblemsModel::SplitColumn, 80);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    layout->addWidget(m_view, 1);

    m_excludeAction = new QAction(tr("Exclude"), this);
    m_excludeAction->setObjectName(QStringLiteral("excludeAction"));
    m_excludeAction->setToolTip(tr("Leave the selected files out of training and validation (Del). Problems that "
                                   "are not files, such as class imbalance, cannot be excluded."));
    m_excludeAction->setShortcut(QKeySequence::Delete);
    m_includeAction = new QAction(tr("Include again"), this);
    m_includeAction->setObjectName(QStringLiteral("includeAction"));
    m_includeAction->setToolTip(tr("Use the selected excluded files for training again (Insert)."));
    m_includeAction->setShortcut(Qt::Key_Insert);
    m_excludeAllAction = new QAction(tr("Exclude all unusable"), this);
    m_excludeAllAction->setObjectName(QStringLiteral("excludeAllAction"));
    m_excludeAllAction->setToolTip(tr("Exclude every file with an error (empty, not an image, truncated, corrupt): "
                                      "the loader could not read them anyway."));
    m_openFolderAction = new QAction(tr("Open folder"), this);
    m_openFolderAction->setObjectName(QStringLiteral("openFolderAction"));
    m_openFolderAction->setToolTip(tr("Show the folder of the selected file in the file manager."));
    m_copyPathAction = new QAction(tr("Copy path"), this);
    m_copyPathAction->setObjectName(QStringLiteral("copyPathAction"));
    m_copyPathAction->setToolTip(tr("Copy the full paths of the selected rows (Ctrl+C)."));
    m_copyPathAction->setShortcut(QKeySequence::Copy);
    for (QAction* action : {m_excludeAction, m_includeAction, m_openFolderAction, m_copyPathAction})
        action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    auto* separator = new QAction(this);
    separator->setSeparator(true);
    m_view->addActions({m_excludeAction, m_includeAction, m_excludeAllAction, separator, m_openFolderAction,
                                m_copyPathAction});

    auto* actions = new QHBoxLayout;
    actions->addWidget(actionButton(m_excludeAction, tab));
    actions->addWidget(actionButton(m_includeAction, tab));
    actions->addWidget(actionButton(m_excludeAllAction, tab));
    actions->addSpacing(8);
    actions->addWidget(actionButton(m_openFolderAction, tab));
    actions->addWidget(actionButton(m_copyPathAction, tab));
    m_excludedLabel = new QLabel(tab);
    m_excludedLabel->setObjectName(QStringLiteral("excludedLabel"));
    m_excludedLabel->setWordWrap(true);  // wraps rather than widening the page
    m_excludedLabel->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    actions->addWidget(m_excludedLabel, 1);
    layout->addLayout(actions);

    connect(m_excludeAction, &QAction::triggered, this, [this] { Q_EMIT excludeRequested(selectedExcludableFiles()); });
    connect(m_includeAction, &QAction::triggered, this, [this] { Q_EMIT includeRequested(selectedExcludableFiles()); });
    connect(m_excludeAllAction, &QAction::triggered, this, &ProblemsPanel::excludeAllRequested);
    connect(m_openFolderAction, &QAction::triggered, this, [this] {
        const QStringList paths = selectedProblemPaths();
        if (!paths.isEmpty()) Q_EMIT openFolderRequested(paths.first());
    });
    connect(m_copyPathAction, &QAction::triggered, this, [this] { Q_EMIT copyRequested(selectedProblemPaths()); });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this, &ProblemsPanel::updateActions);
    connect(m_proxy, &QAbstractItemModel::modelReset, this, &ProblemsPanel::updateActions);
    connect(m_severity, qOverload<int>(&QComboBox::currentIndexChanged), this,
            [this](int index) { setSeverityFilter(SeverityFilter(index)); });
}


void ProblemsPanel::showDoctor(const DoctorResult& r, DoctorState state) {
    m_badFiles = r.badFiles;
    m_progress->setVisible(state == DoctorState::Checking);
    QString text;
    QString style;
    if (state == DoctorState::Checking) {
        text = tr("Reading every file to find unusable images, duplicates and other problems…");
    } else if (state == DoctorState::WaitingForScan) {
        text = tr("Waiting for the scan…");
    } else if (!r.error.isEmpty()) {
        text = r.error;
        style = QStringLiteral("color: #b00020;");
    } else if (r.isValid()) {
        const QLocale locale;
        const int errors = r.count(DataProblem::Error);
        const int warnings = r.count(DataProblem::Warning);
        const int infos = r.count(DataProblem::Info);
        text = tr("%n file(s) checked.", nullptr, int(r.filesChecked));
        if (r.width.max > 0 && r.width.min == r.width.max && r.height.min == r.height.max)
            text += QLatin1Char(' ') + tr("All images are %1 × %2 px.").arg(r.width.max).arg(r.height.max);
        else if (r.width.max > 0)
            text += QLatin1Char(' ') + tr("Width %1–%2 px (median %3), height %4–%5 px (median %6).")
                                           .arg(r.width.min).arg(r.width.max).arg(r.width.median)
                                           .arg(r.height.min).arg(r.height.max).arg(r.height.median);
        if (errors + warnings == 0) {
            // Notes (a grey image converted to RGB, ...) need nothing done: not problems.
            text += QLatin1Char(' ') + tr("No problems found.");
            if (infos > 0) text += QLatin1Char(' ') + tr("%n note(s), nothing to do.", nullptr, infos);
            style = QStringLiteral("color: #2e7d32;");
        } else {
            QStringList counts;
            if (errors > 0) counts << tr("%n error(s)", nullptr, errors);
            if (warnings > 0) counts << tr("%n warning(s)", nullptr, warnings);
            if (infos > 0) counts << tr("%n note(s)", nullptr, infos);
            text += QLatin1Char(' ') + counts.join(QStringLiteral(", ")) + QLatin1Char('.');
            if (!r.badFiles.isEmpty())
                text += QLatin1Char(' ') + tr("%n file(s) cannot be used: exclude them, or fix them and choose the "
                                              "folder again.", nullptr, int(r.badFiles.size()));
        }
    } else if (state == DoctorState::NoFolder) {
        text = tr("Choose a folder: every file is then checked here.");
    }
    m_summary->setStyleSheet(style);
    m_summary->setText(text);
    updateActions();
}

void ProblemsPanel::setProgress(double fraction) { m_progress->setValue(qBound(0, int(fraction * 100.0 + 0.5), 100)); }

void ProblemsPanel::setExclusionCheck(std::function<bool(const QString&)> isExcluded) {
    m_isExcluded = std::move(isExcluded);
    updateActions();
}

void ProblemsPanel::showExclusions(const QStringList& excluded) {
    m_excludedLabel->setText(excluded.isEmpty()
                                 ? tr("No files excluded.")
                                 : tr("<b>%n file(s) excluded</b> from training.", nullptr, int(excluded.size())));
    m_excludedLabel->setToolTip(excluded.isEmpty() ? QString()
                                                   : QDir::toNativeSeparators(excluded.mid(0, 30).join(QLatin1Char('\n'))) +
                                                         (excluded.size() > 30 ? QStringLiteral("\n…") : QString()));
    updateActions();
}

void ProblemsPanel::setSeverityFilter(SeverityFilter filter) {
    if (m_severity->currentIndex() != int(filter)) {
        m_severity->setCurrentIndex(int(filter));  // comes back here through the signal
        return;
    }
    switch (filter) {
    case AllProblems: m_proxy->setFilterRegularExpression(QString()); break;
    case ErrorsAndWarnings:
        m_proxy->setFilterRegularExpression(
            QRegularExpression(QStringLiteral("^[%1%2]$").arg(int(DataProblem::Warning)).arg(int(DataProblem::Error))));
        break;
    case ErrorsOnly:
        m_proxy->setFilterRegularExpression(
            QRegularExpression(QStringLiteral("^%1$").arg(int(DataProblem::Error))));
        break;
    }
    updateActions();
}

QStringList ProblemsPanel::selectedProblemPaths() const {
    QStringList paths;
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& index : std::as_const(rows)) {
        const QString path = index.data(ProblemsModel::PathRole).toString();
        if (!path.isEmpty() && !paths.contains(path)) paths << path;
    }
    return paths;
}

QStringList ProblemsPanel::selectedExcludableFiles() const {
    QStringList paths;
    QModelIndexList rows = m_view->selectionModel()->selectedRows();
    std::sort(rows.begin(), rows.end(), [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });
    for (const QModelIndex& index : std::as_const(rows)) {
        if (!index.data(ProblemsModel::ExcludableRole).toBool()) continue;
        const QString path = index.data(ProblemsModel::PathRole).toString();
        if (!paths.contains(path)) paths << path;
    }
    return paths;
}

void ProblemsPanel::updateActions() {
    const QStringList files = selectedExcludableFiles();
    const bool anyIncluded = std::any_of(files.begin(), files.end(), [this](const QString& f) { return !excluded(f); });
    const bool anyExcluded = std::any_of(files.begin(), files.end(), [this](const QString& f) { return excluded(f); });
    m_excludeAction->setEnabled(anyIncluded);
    m_includeAction->setEnabled(anyExcluded);
    const bool anySelected = !selectedProblemPaths().isEmpty();
    m_openFolderAction->setEnabled(anySelected);
    m_copyPathAction->setEnabled(anySelected);
    int unusable = 0;
    for (const QString& f : std::as_const(m_badFiles)) unusable += excluded(f) ? 0 : 1;
    m_excludeAllAction->setEnabled(unusable > 0);
    m_excludeAllAction->setText(unusable > 0 ? tr("Exclude all unusable (%1)").arg(unusable)
                                             : tr("Exclude all unusable"));
}

} // namespace ts::ui
