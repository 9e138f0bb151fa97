#include "ui/widgets/ThumbnailGrid.h"

#include "ui/workers/TaskManager.h"
#include "ui/workers/ThumbnailWorker.h"

#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenu>
#include <QPainter>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {
namespace {

constexpr int kPathRole = Qt::UserRole + 1;   // item: the file
constexpr int kImageRole = Qt::UserRole + 2;  // item: the decoded thumbnail (QImage)
constexpr int kTipRole = Qt::UserRole + 3;    // item: the tooltip without the exclusion note
const QString kLane = QStringLiteral("ThumbnailGrid");

QString formatBytes(qint64 bytes) { return QLocale().formattedDataSize(bytes); }

} // namespace

ThumbnailGrid::ThumbnailGrid(QWidget* parent) : QWidget(parent), m_tasks(new TaskManager(this)) {
    qRegisterMetaType<ts::ui::Thumbnail>();
    qRegisterMetaType<QVector<ts::ui::Thumbnail>>();
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(6, 6, 6, 6);
    auto* top = new QHBoxLayout;
    auto* classLabel = new QLabel(tr("&Class:"), this);
    m_classBox = new QComboBox(this);
    m_classBox->setObjectName(QStringLiteral("thumbnailClass"));
    m_classBox->setMinimumContentsLength(12);
    m_classBox->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    classLabel->setBuddy(m_classBox);
    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("thumbnailNote"));
    m_note->setWordWrap(true);
    top->addWidget(classLabel);
    top->addWidget(m_classBox);
    top->addWidget(m_note, 1);
    layout->addLayout(top);

    m_grid = new QListWidget(this);
    m_grid->setObjectName(QStringLiteral("thumbnailGrid"));
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setIconSize(QSize(kThumbnailPx, kThumbnailPx));
    m_grid->setGridSize(QSize(kThumbnailPx + 24, kThumbnailPx + 28));
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setMovement(QListView::Static);
    m_grid->setUniformItemSizes(true);
    m_grid->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_grid->setTextElideMode(Qt::ElideMiddle);
    m_grid->setContextMenuPolicy(Qt::CustomContextMenu);
    m_grid->setToolTip(tr("Right-click (or Menu key) for actions; struck-out images are excluded from training."));
    layout->addWidget(m_grid, 1);

    connect(m_classBox, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int index) {
        if (m_active && index != m_class) load(index);
    });
    connect(m_grid, &QListWidget::customContextMenuRequested, this, &ThumbnailGrid::showMenu);
}

ThumbnailGrid::~ThumbnailGrid() = default;  // m_tasks cancels the load and waits

bool ThumbnailGrid::isLoading() const { return m_tasks->isBusy(); }

void ThumbnailGrid::setExclusionCheck(std::function<bool(const QString&)> isExcluded) {
    m_isExcluded = std::move(isExcluded);
    refreshMarks();
}

void ThumbnailGrid::refreshMarks() {
    for (int i = 0; i < m_grid->count(); ++i) mark(m_grid->item(i));
}

void ThumbnailGrid::clear() {
    m_tasks->supersede(kLane);
    m_grid->clear();
    m_class = -1;
}

void ThumbnailGrid::setDataset(const DatasetSummary& summary) {
    m_summary = summary.isValid() ? summary : DatasetSummary{};
    {
        const QSignalBlocker block(m_classBox);
        m_classBox->clear();
        for (int i = 0; i < m_summary.classes.size(); ++i)
            m_classBox->addItem(tr("%1 (%2)").arg(m_summary.classes[i]).arg(m_summary.total(i)));
    }
    clear();
    m_note->clear();
    if (summary.isValid() && m_active) load(0);
}

void ThumbnailGrid::setActive(bool active) {
    m_active = active;
    if (m_active && m_classBox->currentIndex() != m_class) load(m_classBox->currentIndex());
}

void ThumbnailGrid::showClass(int classIndex) {
    if (classIndex < 0 || classIndex >= m_classBox->count()) return;
    {
        const QSignalBlocker block(m_classBox);
        m_classBox->setCurrentIndex(classIndex);
    }
    m_active = true;
    if (classIndex != m_class) load(classIndex);
}

void ThumbnailGrid::load(int classIndex) {
    clear();
    if (!m_summary.isValid() || classIndex < 0 || classIndex >= m_summary.classes.size()) {
        m_note->clear();
        return;
    }
    m_class = classIndex;
    const QStringList files = m_summary.classFiles.value(classIndex);
    const qint64 total = m_summary.total(classIndex);
    const QString name = m_summary.classes.at(classIndex);
    if (files.size() < total)
        m_note->setText(tr("Showing the first %1 of %2 images of “%3” (all splits, by file name).")
                            .arg(files.size()).arg(total).arg(name));
    else
        m_note->setText(tr("%n image(s) of “%1” (all splits).", nullptr, int(total)).arg(name));
    if (files.isEmpty()) {
        Q_EMIT loaded(classIndex, 0);
        return;
    }
    JobSpec spec;
    spec.lane = kLane;
    spec.replaceKey = kLane;  // a newer class replaces this one
    m_tasks->submit<bool>(
        this, spec,
        [this, files](JobContext& job) {
            return ThumbnailWorker::loadThumbnails(files, kThumbnailPx, job.feedback(),
                                                   [this, &job](const QVector<Thumbnail>& batch) {
                                                       job.post([this, batch] { addBatch(batch); });
                                                   });
        },
        [this, classIndex](const JobResult<bool>& r) {
            if (r.ok() && r.value && classIndex == m_class) Q_EMIT loaded(classIndex, m_grid->count());
        });
}

void ThumbnailGrid::addBatch(const QVector<Thumbnail>& thumbnails) {
    for (const Thumbnail& t : thumbnails) {
        auto* item = new QListWidgetItem(QFileInfo(t.path).fileName());
        item->setData(kPathRole, t.path);
        item->setData(kImageRole, QVariant::fromValue(t.image));
        QString tip = QDir::toNativeSeparators(t.path) + QLatin1Char('\n');
        if (t.size.isValid()) tip += tr("%1 × %2 px, %3").arg(t.size.width()).arg(t.size.height()).arg(formatBytes(t.bytes));
        else tip += tr("Cannot be read (%1), %2").arg(t.error, formatBytes(t.bytes));
        item->setData(kTipRole, tip);
        m_grid->addItem(item);
        mark(item);
    }
}

void ThumbnailGrid::mark(QListWidgetItem* item) const {
    const QString path = item->data(kPathRole).toString();
    const QImage image = item->data(kImageRole).value<QImage>();
    const bool isExcluded = excluded(path);
    const int side = kThumbnailPx;
    QPixmap canvas(side, side);
    canvas.fill(Qt::transparent);
    QPainter painter(&canvas);
    painter.setRenderHint(QPainter::Antialiasing);
    if (image.isNull()) {
        // Unreadable: a grey tile with a question mark.
        painter.setPen(QPen(QColor(0x9e, 0x9e, 0x9e), 1));
        painter.setBrush(QColor(0xee, 0xee, 0xee));
        painter.drawRect(QRectF(0.5, 0.5, side - 1, side - 1));
        QFont font = painter.font();
        font.setPixelSize(side / 3);
        font.setBold(true);
        painter.setFont(font);
        painter.setPen(QColor(0xc6, 0x28, 0x28));
        painter.drawText(canvas.rect(), Qt::AlignCenter, QStringLiteral("?"));
    } else {
        const QPoint topLeft((side - image.width()) / 2, (side - image.height()) / 2);
        painter.drawImage(topLeft, image);
    }
    if (isExcluded) {
        painter.fillRect(canvas.rect(), QColor(255, 255, 255, 150));
        painter.setPen(QPen(QColor(0xc6, 0x28, 0x28), 4, Qt::SolidLine, Qt::RoundCap));
        painter.drawLine(QPointF(side * 0.2, side * 0.2), QPointF(side * 0.8, side * 0.8));
        painter.drawLine(QPointF(side * 0.8, side * 0.2), QPointF(side * 0.2, side * 0.8));
    }
    painter.end();
    item->setIcon(QIcon(canvas));
    QFont font = item->font();
    font.setStrikeOut(isExcluded);
    item->setFont(font);
    item->setForeground(isExcluded ? QBrush(Qt::gray) : QBrush());
    const QString tip = item->data(kTipRole).toString();
    item->setToolTip(isExcluded ? tip + tr("\nExcluded from training.") : tip);
}

void ThumbnailGrid::showMenu(const QPoint& pos) {
    QStringList paths;
    for (QListWidgetItem* item : m_grid->selectedItems()) paths << item->data(kPathRole).toString();
    if (paths.isEmpty()) {
        if (QListWidgetItem* item = m_grid->itemAt(pos)) paths << item->data(kPathRole).toString();
    }
    if (paths.isEmpty()) return;
    const bool anyIncluded = std::any_of(paths.begin(), paths.end(), [this](const QString& f) { return !excluded(f); });
    const bool anyExcluded = std::any_of(paths.begin(), paths.end(), [this](const QString& f) { return excluded(f); });
    QMenu menu(this);
    menu.addAction(tr("Exclude from training"), this, [this, paths] { Q_EMIT excludeRequested(paths); })
        ->setEnabled(anyIncluded);
    menu.addAction(tr("Include again"), this, [this, paths] { Q_EMIT includeRequested(paths); })->setEnabled(anyExcluded);
    menu.addSeparator();
    menu.addAction(tr("Open folder"), this, [this, paths] { Q_EMIT openFolderRequested(paths.first()); });
    menu.addAction(tr("Copy path"), this, [this, paths] { Q_EMIT copyRequested(paths); });
    menu.exec(m_grid->viewport()->mapToGlobal(pos));
}

} // namespace ts::ui
