#include "ui/pages/InspectPage.h"
#include "ui/widgets/Fitting.h"

#include "ui/models/BridgeCommon.h"
#include "ui/pages/InsidePanel.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/TaskManager.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontMetrics>
#include <QGridLayout>
#include <QPainter>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMimeData>
#include <QPushButton>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace ts::ui {
namespace {

// An axis title drawn bottom to top (the "true class" beside the matrix's rows).
class VerticalTitle : public QWidget {
public:
    VerticalTitle(const QString& text, QWidget* parent) : QWidget(parent), m_text(text) {
        setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Preferred);
    }
    QString text() const { return m_text; }
    QSize sizeHint() const override {
        const QFontMetrics fm(font());
        return {fm.height() + 4, fm.horizontalAdvance(m_text) + 8};
    }
    QSize minimumSizeHint() const override { return {fontMetrics().height() + 4, 10}; }

protected:
    void paintEvent(QPaintEvent*) override {
        QPainter p(this);
        p.setPen(palette().color(QPalette::WindowText));
        p.translate(0, height());
        p.rotate(-90);
        p.drawText(QRect(0, 0, height(), width()), Qt::AlignCenter, m_text);
    }

private:
    QString m_text;
};

// At most `chars` characters of a class name, cut in the middle ("…"):
// names often share their beginning and differ at the end.
QString abbreviated(const QString& name, int chars) {
    if (name.size() <= chars) return name;
    const int tail = (chars - 1) / 2;
    return name.left(chars - 1 - tail) + QChar(0x2026) + name.right(tail);
}

QColor heat(double t) {
    // White -> deep blue, readable with black text up to ~0.6.
    t = qBound(0.0, t, 1.0);
    return QColor::fromRgbF(1.0 - 0.85 * t, 1.0 - 0.6 * t, 1.0 - 0.2 * t);
}

QListWidgetItem* thumbnailItem(const ImagePrediction& p, const QStringList& classes, QListWidget* list) {
    const QImage image = networkView(p.file, 96);
    auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(image)), QString(), list);
    const QString truth = p.truth >= 0 ? classLabel(classes, p.truth) : QString();
    // The prediction with its confidence, as everywhere else in the app.
    const QString predicted = QStringLiteral("%1 %2%").arg(p.predictedLabel).arg(p.probability * 100.0, 0, 'f', 1);
    item->setText(truth.isEmpty() ? predicted : QStringLiteral("%1 → %2").arg(truth, predicted));
    item->setToolTip(QObject::tr("%1\ntrue: %2\npredicted: %3 (%4%)\nloss: %5\n%6")
                         .arg(QFileInfo(p.file).fileName(), truth.isEmpty() ? QObject::tr("unknown") : truth,
                              p.predictedLabel)
                         .arg(p.probability * 100.0, 0, 'f', 1)
                         .arg(p.loss, 0, 'f', 3)
                         .arg(p.top.join(QStringLiteral(", "))));
    item->setData(Qt::UserRole, p.file);
    if (p.truth >= 0 && p.truth != p.predicted) item->setForeground(QColor(176, 0, 32));
    return item;
}

void setupGallery(QListWidget* list) {
    list->setViewMode(QListView::IconMode);
    list->setIconSize(QSize(96, 96));
    list->setGridSize(QSize(170, 140));
    list->setResizeMode(QListView::Adjust);
    list->setMovement(QListView::Static);
    list->setWordWrap(true);
    // Not uniform item sizes: they would take the first caption's width for
    // all, and eliding longer ones ("square → triangle") to "square…".
}

} // namespace

InspectPage::InspectPage(QWidget* parent) : QWidget(parent), m_tasks(new TaskManager(this)) {
    setAcceptDrops(true);
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Inspect"),
        tr("See what the trained model does, and why: where it confuses classes (click a cell for its images), its "
           "worst mistakes, predictions on your own images (drop them here), and views inside the network."),
        this));
    m_summary = new QLabel(tr("Train a model first (step 5); its results appear here."), this);
    makeFlowingLabel(m_summary);
    m_summary->setObjectName(QStringLiteral("inspectSummary"));
    m_summary->setWordWrap(true);
    layout->addWidget(m_summary);

    m_tabs = new QTabWidget(this);
    m_tabs->setObjectName(QStringLiteral("inspectTabs"));

    auto* matrixTab = new QWidget(m_tabs);
    auto* matrixLayout = new QHBoxLayout(matrixTab);
    m_matrixLayout = matrixLayout;
    // The matrix with its axis titles: predicted across the top, true down the side.
    auto* matrixBox = new QWidget(matrixTab);
    auto* matrixGrid = new QGridLayout(matrixBox);
    matrixGrid->setContentsMargins(0, 0, 0, 0);
    matrixGrid->setSpacing(2);
    auto* predictedTitle = new QLabel(tr("predicted class →"), matrixBox);
    predictedTitle->setObjectName(QStringLiteral("predictedAxisTitle"));
    predictedTitle->setAlignment(Qt::AlignCenter);
    auto* trueTitle = new VerticalTitle(tr("true class →"), matrixBox);
    trueTitle->setObjectName(QStringLiteral("trueAxisTitle"));
    trueTitle->setAccessibleName(trueTitle->text());
    QFont axisFont = predictedTitle->font();
    axisFont.setItalic(true);
    predictedTitle->setFont(axisFont);
    trueTitle->setFont(axisFont);
    m_confusion = new QTableWidget(matrixBox);
    matrixGrid->addWidget(predictedTitle, 0, 1);
    matrixGrid->addWidget(trueTitle, 1, 0);
    matrixGrid->addWidget(m_confusion, 1, 1);
    matrixGrid->setColumnStretch(1, 1);
    matrixGrid->setRowStretch(1, 1);
    m_confusion->setObjectName(QStringLiteral("confusionMatrix"));
    m_confusion->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_confusion->setSelectionMode(QAbstractItemView::SingleSelection);
    m_confusion->horizontalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_confusion->verticalHeader()->setSectionResizeMode(QHeaderView::Stretch);
    m_confusion->setToolTip(tr("Rows: true class. Columns: predicted class. Click a cell for its images."));
    auto* galleryBox = new QWidget(matrixTab);
    auto* galleryLayout = new QVBoxLayout(galleryBox);
    galleryLayout->setContentsMargins(0, 0, 0, 0);
    m_galleryTitle = new QLabel(tr("Mistakes, worst first"), galleryBox);
    makeFlowingLabel(m_galleryTitle);
    m_gallery = new QListWidget(galleryBox);
    m_gallery->setObjectName(QStringLiteral("mistakeGallery"));
    setupGallery(m_gallery);
    auto* allMistakes = new QPushButton(tr("Show &all mistakes"), galleryBox);
    galleryLayout->addWidget(m_galleryTitle);
    galleryLayout->addWidget(m_gallery, 1);
    galleryLayout->addWidget(allMistakes, 0, Qt::AlignLeft);
    matrixLayout->addWidget(matrixBox, 1);
    matrixLayout->addWidget(galleryBox, 1);
    m_tabs->addTab(matrixTab, tr("&Confusion and mistakes"));

    auto* predictTab = new QWidget(m_tabs);
    auto* predictLayout = new QVBoxLayout(predictTab);
    auto* predictRow = new QHBoxLayout;
    auto* open = new QPushButton(tr("&Open images…"), predictTab);
    m_predictNote = new QLabel(tr("Drop image files anywhere on this page, or open them."), predictTab);
    makeFlowingLabel(m_predictNote);
    predictRow->addWidget(open);
    predictRow->addWidget(m_predictNote, 1);
    m_predictions = new QListWidget(predictTab);
    m_predictions->setObjectName(QStringLiteral("predictions"));
    setupGallery(m_predictions);
    predictLayout->addLayout(predictRow);
    predictLayout->addWidget(m_predictions, 1);
    m_tabs->addTab(predictTab, tr("&Predict"));

    m_inside = new InsidePanel(m_tabs);
    m_tabs->addTab(m_inside, tr("&Inside the network"));
    layout->addWidget(m_tabs, 1);

    connect(m_confusion, &QTableWidget::cellClicked, this, [this](int row, int column) { showCell(row, column); });
    connect(allMistakes, &QPushButton::clicked, this, [this] { showCell(-1, -1); });
    connect(open, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Images to classify"), QString(), tr("Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff)"));
        if (!files.isEmpty()) predict(files);
    });
    connect(m_gallery, &QListWidget::itemActivated, this, [this](QListWidgetItem* item) {
        m_inside->setImage(item->data(Qt::UserRole).toString());
        m_tabs->setCurrentWidget(m_inside);
    });
}

InspectPage::~InspectPage() = default;

bool InspectPage::isBusy() const { return m_tasks->isBusy() || m_inside->isBusy(); }

void InspectPage::setRun(const QString& runDir, const QString& bundlePath, const QStringList& classes,
                         const train::EpochMetrics& metrics) {
    m_runDir = runDir;
    m_bundlePath = bundlePath;
    m_classes = classes;
    m_validation.clear();
    m_gallery->clear();
    fillConfusion(metrics);
    m_summary->setText(tr("Run %1 — best epoch %2: validation accuracy %3%, loss %4. Computing the gallery…")
                           .arg(QFileInfo(runDir).fileName())
                           .arg(metrics.epoch)
                           .arg(metrics.valAccuracy * 100.0, 0, 'f', 1)
                           .arg(metrics.valLoss, 0, 'f', 3));
    m_inside->setClasses(classes);
    m_inside->setModel(bundlePath);
    const QString dir = runDir;
    struct Result {
        QVector<ImagePrediction> predictions;
        QStringList classes;
        QString error;
    };
    m_tasks->submit<Result>(this, {}, [dir](JobContext&) {
        Result r;
        r.predictions = predictValidation(dir, &r.classes, &r.error);
        return r;
    }, [this, dir, metrics](const JobResult<Result>& job) {
        if (dir != m_runDir) return;
        Result r = job.value;
        if (job.failed()) r.error = job.error.userMessage;
        m_validation = r.predictions;
        int mistakes = 0;
        for (const auto& p : m_validation) mistakes += p.truth != p.predicted;
        m_summary->setText(r.error.isEmpty()
                               ? tr("Run %1 — best epoch %2: validation accuracy %3%, loss %4; %5 of %6 validation images "
                                    "misclassified by the best model.")
                                     .arg(QFileInfo(dir).fileName())
                                     .arg(metrics.epoch)
                                     .arg(metrics.valAccuracy * 100.0, 0, 'f', 1)
                                     .arg(metrics.valLoss, 0, 'f', 3)
                                     .arg(mistakes)
                                     .arg(m_validation.size())
                               : tr("The gallery could not be computed: %1").arg(r.error));
        showCell(-1, -1);
        if (!m_validation.isEmpty()) m_inside->setImage(m_validation.first().file);
    });
}

void InspectPage::fillConfusion(const train::EpochMetrics& metrics) {
    const int n = int(metrics.confusion.size());
    m_confusion->clear();
    m_confusion->setRowCount(n);
    m_confusion->setColumnCount(n);
    // Readable from 2 to 100 classes: a few classes are named in full across
    // the top; more are numbered there (the row header gives each number's
    // name, every header's tooltip the full name and its precision or
    // recall), with a smaller font and blank zeros as the cells shrink, and
    // above 30 classes colours only (counts in the tooltips).
    const bool numbered = n > 6;
    // Many classes: the matrix takes most of the tab's width from the gallery.
    m_matrixLayout->setStretch(0, n > 30 ? 5 : n > 12 ? 3 : 1);
    const int rowChars = n > 30 ? 18 : 28;
    QFont font = m_confusion->font();
    if (n > 30) font.setPointSizeF(qMax(6.0, font.pointSizeF() * 0.75));
    else if (n > 12) font.setPointSizeF(qMax(7.0, font.pointSizeF() * 0.85));
    m_confusion->setFont(font);
    m_confusion->horizontalHeader()->setFont(font);
    m_confusion->verticalHeader()->setFont(font);
    // Columns never narrower than their number: with very many classes the
    // matrix scrolls rather than cutting its labels.
    const QFontMetrics fm(font);
    m_confusion->horizontalHeader()->setMinimumSectionSize(numbered ? fm.horizontalAdvance(QString::number(n)) + 6
                                                                    : 40);
    m_confusion->verticalHeader()->setMinimumSectionSize(fm.height() + 2);
    m_confusion->horizontalHeader()->setDefaultAlignment(Qt::AlignCenter);
    m_confusion->verticalHeader()->setDefaultAlignment(Qt::AlignRight | Qt::AlignVCenter);
    for (int i = 0; i < n; ++i) {
        const QString name = classLabel(m_classes, i);
        const auto& pc = i < int(metrics.perClass.size()) ? metrics.perClass[size_t(i)] : train::ClassMetrics{};
        const QString precision = tr("%1: precision %2% (of the images predicted as it, the share that are it)")
                                      .arg(name)
                                      .arg(pc.precision * 100.0, 0, 'f', 0);
        const QString recall = tr("%1: recall %2% (of its images, the share found)")
                                   .arg(name)
                                   .arg(pc.recall * 100.0, 0, 'f', 0);
        auto* column = new QTableWidgetItem(numbered ? QString::number(i + 1)
                                                     : tr("%1\n(precision %2%)")
                                                           .arg(abbreviated(name, 14))
                                                           .arg(pc.precision * 100.0, 0, 'f', 0));
        column->setToolTip(numbered ? tr("%1. %2").arg(i + 1).arg(precision) : precision);
        m_confusion->setHorizontalHeaderItem(i, column);
        const QString rowName = abbreviated(name, rowChars);
        auto* row = new QTableWidgetItem(numbered ? (n > 30 ? tr("%1. %2").arg(i + 1).arg(rowName)
                                                            : tr("%1. %2 (recall %3%)")
                                                                  .arg(i + 1)
                                                                  .arg(rowName)
                                                                  .arg(pc.recall * 100.0, 0, 'f', 0))
                                                 : tr("%1 (recall %2%)").arg(rowName).arg(pc.recall * 100.0, 0, 'f', 0));
        row->setToolTip(numbered ? tr("%1. %2").arg(i + 1).arg(recall) : recall);
        m_confusion->setVerticalHeaderItem(i, row);
    }
    for (int r = 0; r < n; ++r) {
        qint64 rowTotal = 0;
        for (auto v : metrics.confusion[size_t(r)]) rowTotal += v;
        for (int c = 0; c < n && c < int(metrics.confusion[size_t(r)].size()); ++c) {
            const qint64 v = metrics.confusion[size_t(r)][size_t(c)];
            const double share = rowTotal > 0 ? double(v) / double(rowTotal) : 0.0;
            // Above 30 classes the cells are too narrow for counts: the colour
            // says the share of the row, the tooltip the count.
            auto* item = new QTableWidgetItem(n > 30 || (v == 0 && n > 12) ? QString() : QString::number(v));
            item->setData(Qt::UserRole, v);
            item->setTextAlignment(Qt::AlignCenter);
            item->setBackground(heat(share));
            item->setForeground(share > 0.6 ? QColor(Qt::white) : QColor(Qt::black));
            item->setToolTip(tr("%1 images of %2 predicted as %3 (%4% of the row)")
                                 .arg(v)
                                 .arg(m_classes.value(r), m_classes.value(c))
                                 .arg(share * 100.0, 0, 'f', 1));
            m_confusion->setItem(r, c, item);
        }
    }
}

void InspectPage::showCell(int truth, int predicted) {
    m_gallery->clear();
    int shown = 0;
    for (const ImagePrediction& p : m_validation) {
        const bool match = truth < 0 ? p.truth != p.predicted : (p.truth == truth && p.predicted == predicted);
        if (!match) continue;
        thumbnailItem(p, m_classes, m_gallery);
        if (++shown >= 200) break;
    }
    if (truth < 0)
        m_galleryTitle->setText(tr("Mistakes, worst first: %1").arg(shown));
    else
        m_galleryTitle->setText(tr("True %1, predicted %2: %3 image(s), highest loss first")
                                    .arg(m_classes.value(truth), m_classes.value(predicted))
                                    .arg(shown));
}

void InspectPage::predict(const QStringList& files) {
    if (m_bundlePath.isEmpty()) {
        m_predictNote->setText(tr("Train a model first (step 5)."));
        return;
    }
    m_tabs->setCurrentIndex(1);
    m_predictNote->setText(tr("Classifying %n image(s)…", nullptr, int(files.size())));
    const QString bundle = m_bundlePath;
    struct Result {
        QVector<ImagePrediction> predictions;
        QString error;
    };
    m_tasks->submit<Result>(this, {}, [bundle, files](JobContext&) {
        Result r;
        r.predictions = predictFiles(bundle, files, &r.error);
        return r;
    }, [this, files](const JobResult<Result>& job) {
        Result r = job.value;
        if (job.failed()) r.error = job.error.userMessage;
        m_predictions->clear();
        for (const ImagePrediction& p : r.predictions) thumbnailItem(p, m_classes, m_predictions);
        m_predictNote->setText(!r.error.isEmpty() ? tr("Could not classify: %1").arg(r.error)
                                                  : tr("%1 of %2 image(s) classified (hover for the top 3).")
                                                        .arg(r.predictions.size())
                                                        .arg(files.size()));
    });
}

void InspectPage::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void InspectPage::dropEvent(QDropEvent* event) {
    QStringList files;
    for (const QUrl& url : event->mimeData()->urls())
        if (url.isLocalFile()) files << url.toLocalFile();
    if (files.isEmpty()) return;
    event->acceptProposedAction();
    if (m_tabs->currentWidget() == m_inside) m_inside->setImage(files.first());
    else predict(files);
}

} // namespace ts::ui
