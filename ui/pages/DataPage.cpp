#include "ui/pages/DataPage.h"

#include "ui/models/ClassCountsModel.h"
#include "ui/widgets/ClassCountChart.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/ScanWorker.h"

#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QVBoxLayout>

namespace ts::ui {

DataPage::DataPage(QWidget* parent) : QWidget(parent), m_model(new ClassCountsModel(this)) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Data"),
        tr("Choose a folder with one sub-folder of images per class (ROOT/cat/*.jpg, ROOT/dog/*.jpg), or with "
           "train/ and val/ folders that each hold the class folders. Class names are the sorted folder names, "
           "as in torchvision's ImageFolder; a flat folder is split 80/20 per class with a fixed seed."),
        this));

    auto* row = new QHBoxLayout;
    m_folderEdit = new QLineEdit(this);
    m_folderEdit->setObjectName(QStringLiteral("folderEdit"));
    m_folderEdit->setPlaceholderText(tr("Dataset folder"));
    auto* browseButton = new QPushButton(tr("Choose folder…"), this);
    auto* demoButton = new QPushButton(tr("Use demo dataset"), this);
    demoButton->setToolTip(tr("Three classes of generated shapes (circle, square, triangle), 30 images each"));
    row->addWidget(m_folderEdit, 1);
    row->addWidget(browseButton);
    row->addWidget(demoButton);
    layout->addLayout(row);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("dataStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    auto* splitter = new QSplitter(Qt::Horizontal, this);
    m_table = new QTableView(splitter);
    m_table->setObjectName(QStringLiteral("classTable"));
    m_table->setModel(m_model);
    m_table->setSortingEnabled(false);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->setVisible(false);
    m_table->horizontalHeader()->setSectionResizeMode(ClassCountsModel::ClassColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_chart = new ClassCountChart(splitter);
    splitter->addWidget(m_table);
    splitter->addWidget(m_chart);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    splitter->setSizes({400, 600});  // proportions; the table needs less room than the chart
    layout->addWidget(splitter, 1);

    connect(browseButton, &QPushButton::clicked, this, &DataPage::browse);
    connect(demoButton, &QPushButton::clicked, this, &DataPage::demoRequested);
    connect(m_folderEdit, &QLineEdit::returnPressed, this, [this] { setFolder(m_folderEdit->text()); });

    m_worker = new ScanWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    connect(this, &DataPage::scanRequested, m_worker, &ScanWorker::scan, Qt::QueuedConnection);
    connect(m_worker, &ScanWorker::finished, this, &DataPage::onScanFinished, Qt::QueuedConnection);
    m_thread.setObjectName(QStringLiteral("DataPage scan"));
    m_thread.start();
    showStatus();
}

DataPage::~DataPage() {
    m_thread.quit();
    m_thread.wait();
}

void DataPage::setFolder(const QString& folder) {
    if (folder.trimmed().isEmpty()) return;
    m_requested = QDir(folder.trimmed()).absolutePath();
    m_folderEdit->setText(QDir::toNativeSeparators(m_requested));
    ++m_pendingScans;
    showStatus();
    Q_EMIT scanRequested(m_requested);
}

QString DataPage::folder() const { return m_requested; }

void DataPage::browse() {
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Choose the dataset folder"),
                                                          m_requested.isEmpty() ? QDir::homePath() : m_requested);
    if (!dir.isEmpty()) setFolder(dir);
}

void DataPage::onScanFinished(const DatasetSummary& summary) {
    --m_pendingScans;
    if (summary.root != m_requested) return;  // an older request; a newer one is on its way
    m_summary = summary;
    m_model->setSummary(summary.isValid() ? summary : DatasetSummary{});
    m_chart->setSummary(summary.isValid() ? summary : DatasetSummary{});
    m_table->resizeColumnsToContents();
    m_table->horizontalHeader()->setSectionResizeMode(ClassCountsModel::ClassColumn, QHeaderView::Stretch);
    showStatus();
    Q_EMIT datasetChanged(summary);
}

void DataPage::showStatus() {
    QString text;
    QString style;
    if (isBusy()) {
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
        text += m_summary.splitSource == QLatin1String("folders")
                    ? tr(" (split given by the train/ and val/ folders).")
                    : tr(" (validation drawn per class, seed 42).");
        if (m_summary.ignoredFiles > 0)
            text += tr(" %n file(s) in the class folders are not images and are ignored.", nullptr,
                       int(m_summary.ignoredFiles));
    }
    m_status->setStyleSheet(style);
    m_status->setText(text);
}

} // namespace ts::ui
