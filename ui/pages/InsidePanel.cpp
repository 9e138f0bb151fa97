#include "ui/pages/InsidePanel.h"
#include "ui/widgets/Fitting.h"

#include "ui/workers/TaskManager.h"

#include <QComboBox>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHelpEvent>
#include <QLabel>
#include <QMimeData>
#include <QMouseEvent>
#include <QProgressBar>
#include <QPushButton>
#include <QScrollArea>
#include <QSlider>
#include <QSpinBox>
#include <QToolTip>
#include <QVBoxLayout>

namespace ts::ui {
namespace {

const QString kVizLane = QStringLiteral("InsidePanel");

} // namespace

InsidePanel::InsidePanel(QWidget* parent) : QWidget(parent), m_tasks(new TaskManager(this)) {
    setAcceptDrops(true);
    auto* layout = new QVBoxLayout(this);
    auto* row = new QHBoxLayout;
    m_view = new QComboBox(this);
    m_view->setObjectName(QStringLiteral("vizView"));
    m_view->addItems({tr("Filters"), tr("Feature maps"), tr("Grad-CAM"), tr("Saliency"), tr("Activation maximisation")});
    m_view->setToolTip(tr("Filters: the learned kernels of a conv layer. Feature maps: what a layer outputs for the "
                          "image. Grad-CAM and saliency: which pixels drove the prediction. Activation "
                          "maximisation: an image that excites one channel most."));
    m_layer = new QComboBox(this);
    m_layer->setObjectName(QStringLiteral("vizLayer"));
    m_layer->setMinimumContentsLength(16);
    m_layer->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_channel = new QSpinBox(this);
    m_channel->setRange(0, 4095);
    m_channel->setPrefix(tr("channel "));
    m_channel->setToolTip(tr("Activation maximisation: the channel of the layer to excite."));
    m_class = new QComboBox(this);
    m_class->setObjectName(QStringLiteral("explainedClass"));
    m_class->setToolTip(tr("Grad-CAM and saliency: the class whose evidence is shown (by default the predicted one)."));
    m_class->addItem(tr("predicted class"), -1);
    m_zoom = new QSlider(Qt::Horizontal, this);
    m_zoom->setRange(25, 1600);  // a first layer's 3×3 filters need a large zoom to be seen
    m_zoom->setValue(100);
    m_zoom->setMaximumWidth(140);
    m_zoom->setToolTip(tr("Zoom"));
    m_openImage = new QPushButton(tr("Image…"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setEnabled(false);
    auto* viewLabel = new QLabel(tr("&View:"), this);
    viewLabel->setBuddy(m_view);
    auto* layerLabel = new QLabel(tr("&Layer:"), this);
    layerLabel->setBuddy(m_layer);
    row->addWidget(viewLabel);
    row->addWidget(m_view);
    row->addWidget(layerLabel);
    row->addWidget(m_layer, 1);
    row->addWidget(m_channel);
    row->addWidget(m_class);
    layout->addLayout(row);
    auto* info = new QHBoxLayout;
    m_imageLabel = new QLabel(tr("No image: drop one here."), this);
    makeFlowingLabel(m_imageLabel);
    m_progress = new QProgressBar(this);
    m_progress->setRange(0, 100);
    m_progress->setMaximumWidth(200);
    m_progress->hide();
    info->addWidget(m_openImage);
    info->addWidget(m_imageLabel, 1);
    info->addWidget(m_progress);
    info->addWidget(m_cancel);
    info->addWidget(new QLabel(tr("Zoom:"), this));
    info->addWidget(m_zoom);
    layout->addLayout(info);
    m_caption = new QLabel(this);
    makeFlowingLabel(m_caption);
    m_caption->setWordWrap(true);
    layout->addWidget(m_caption);
    m_picture = new QLabel(this);
    m_picture->setObjectName(QStringLiteral("vizPicture"));
    m_picture->setAlignment(Qt::AlignLeft | Qt::AlignTop);
    m_picture->setMouseTracking(true);
    m_picture->installEventFilter(this);
    m_scroll = new QScrollArea(this);
    m_scroll->setWidget(m_picture);
    m_scroll->setWidgetResizable(false);
    m_scroll->setAlignment(Qt::AlignCenter);
    layout->addWidget(m_scroll, 1);

    connect(m_view, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        // Each view starts on the layer it is most telling for: filters on the
        // first convolution, the image views on the model's Grad-CAM layer.
        const QSignalBlocker block(m_layer);
        const int layer = defaultLayer(View(m_view->currentIndex()));
        if (layer >= 0) m_layer->setCurrentIndex(layer);
        refresh();
    });
    connect(m_layer, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] { refresh(); });
    connect(m_class, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        const View view = View(m_view->currentIndex());
        if (view == GradCam || view == Saliency) refresh();
    });
    connect(m_channel, &QSpinBox::editingFinished, this, [this] {
        if (m_view->currentIndex() == Maximize) refresh();
    });
    connect(m_zoom, &QSlider::valueChanged, this, [this] { applyZoom(); });
    connect(m_cancel, &QPushButton::clicked, this, &InsidePanel::cancel);
    connect(m_openImage, &QPushButton::clicked, this, [this] {
        const QString file = QFileDialog::getOpenFileName(this, tr("Image"), QFileInfo(m_image).absolutePath(),
                                                          tr("Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff)"));
        if (!file.isEmpty()) setImage(file);
    });
}

InsidePanel::~InsidePanel() = default;  // m_tasks cancels the running view and waits

void InsidePanel::setClasses(const QStringList& classes) {
    const QSignalBlocker block(m_class);
    m_class->clear();
    m_class->addItem(tr("predicted class"), -1);
    for (int i = 0; i < classes.size(); ++i) m_class->addItem(tr("class %1").arg(classes[i]), i);
}

void InsidePanel::setExplainedClass(int classIndex) {
    const int row = m_class->findData(classIndex);
    if (row >= 0) m_class->setCurrentIndex(row);
}

bool InsidePanel::isBusy() const { return m_tasks->isBusy(); }

void InsidePanel::setModel(const QString& bundle) {
    m_bundle = bundle;
    m_layers.clear();
    m_layer->clear();
    struct Result {
        QVector<VizLayer> layers;
        QString error;
    };
    JobSpec spec;
    spec.lane = kVizLane;
    spec.replaceKey = QStringLiteral("InsidePanel layers");
    m_tasks->submit<Result>(this, spec, [bundle](JobContext&) {
        Result r;
        r.layers = vizLayers(bundle, &r.error);
        return r;
    }, [this, bundle](const JobResult<Result>& job) {
        if (!job.ok() || bundle != m_bundle) return;
        const Result& r = job.value;
        m_layers = r.layers;
        const QSignalBlocker block(m_layer);
        int defaultIndex = -1;
        for (int i = 0; i < m_layers.size(); ++i) {
            m_layer->addItem(m_layers[i].name, m_layers[i].name);
            m_layer->setItemData(i, m_layers[i].description, Qt::ToolTipRole);
            if (m_layers[i].isGradCamDefault && defaultIndex < 0) defaultIndex = i;
        }
        (void)defaultIndex;
        m_layer->setCurrentIndex(qMax(0, defaultLayer(View(m_view->currentIndex()))));
        if (!r.error.isEmpty()) m_caption->setText(r.error);
        else refresh();
    });
}

int InsidePanel::defaultLayer(View view) const {
    for (int i = 0; i < m_layers.size(); ++i) {
        if (view == Filters && m_layers[i].isConv) return i;
        if (view != Filters && m_layers[i].isGradCamDefault) return i;
    }
    return -1;
}

void InsidePanel::setImage(const QString& path) {
    m_image = path;
    m_imageLabel->setText(tr("Image: %1").arg(QFileInfo(path).fileName()));
    m_imageLabel->setToolTip(path);
    if (m_view->currentIndex() != Filters && m_view->currentIndex() != Maximize) refresh();
}

void InsidePanel::setView(View view) { m_view->setCurrentIndex(view); }

bool InsidePanel::setLayer(const QString& name) {
    const int i = m_layer->findData(name);
    if (i < 0) return false;
    m_layer->setCurrentIndex(i);
    return true;
}

QStringList InsidePanel::layerNames() const {
    QStringList names;
    for (const VizLayer& l : m_layers) names << l.name;
    return names;
}

void InsidePanel::cancel() { m_tasks->cancel(m_vizJob); }

void InsidePanel::refresh() {
    const View view = View(m_view->currentIndex());
    m_class->setEnabled(view == GradCam || view == Saliency);
    if (m_bundle.isEmpty() || m_layers.isEmpty()) return;
    if (view != Filters && view != Maximize && m_image.isEmpty()) {
        m_caption->setText(tr("Drop an image here (or use Image…) to see this view."));
        return;
    }
    const QString bundle = m_bundle, image = m_image, layer = m_layer->currentData().toString();
    const int channel = m_channel->value();
    const int classIndex = m_class->currentData().toInt();
    m_caption->setText(tr("Computing…"));
    const bool slow = view == Maximize || view == Saliency;
    m_progress->setVisible(slow);
    m_progress->setValue(0);
    m_cancel->setEnabled(slow);
    JobSpec spec;
    spec.lane = kVizLane;
    spec.replaceKey = QStringLiteral("InsidePanel view");  // the newest view wins
    spec.onProgress = [this](double f, const QString&) { m_progress->setValue(int(f * 100)); };
    m_vizJob = m_tasks->submit<VizImage>(this, spec, [=](JobContext& job) {
        switch (view) {
        case Filters: return vizFilters(bundle, layer);
        case FeatureMaps: return vizFeatureMaps(bundle, image, layer);
        case GradCam: return vizGradCam(bundle, image, layer, classIndex);
        case Saliency: return vizSaliency(bundle, image, &job.feedback(), classIndex);
        case Maximize: return vizMaximize(bundle, layer, channel, &job.feedback());
        }
        return VizImage{};
    }, [this](const JobResult<VizImage>& r) {
        if (r.replaced) return;
        m_progress->hide();
        m_cancel->setEnabled(false);
        if (r.ok()) show(r.value);
        else show(VizImage{{}, {}, {}, {}, r.failed() ? r.error.userMessage : tr("Cancelled.")});
    });
}

void InsidePanel::show(const VizImage& v) {
    m_current = v;
    if (!v.error.isEmpty()) {
        m_caption->setText(v.error);
        m_picture->clear();
        m_picture->resize(1, 1);
    } else {
        m_caption->setText(v.caption);
        // Start each new picture fitted to the view (within 25–1600%).
        const QSize area = m_scroll->viewport()->size() - QSize(8, 8);
        if (!v.image.isNull() && area.width() > 0 && area.height() > 0) {
            const double fit = qMin(double(area.width()) / v.image.width(), double(area.height()) / v.image.height());
            const QSignalBlocker block(m_zoom);
            m_zoom->setValue(qBound(m_zoom->minimum(), int(fit * 100), m_zoom->maximum()));
        }
        applyZoom();
    }
    Q_EMIT viewReady();
}

void InsidePanel::applyZoom() {
    if (m_current.image.isNull()) return;
    const double zoom = m_zoom->value() / 100.0;
    const QSize size = m_current.image.size() * zoom;
    // Filters are grids of weights: each weight stays a sharp square. Images
    // and maps are scaled smoothly (blocks there are artefacts of the zoom).
    const bool pixelGrid = m_view->currentIndex() == Filters && zoom >= 1;
    m_picture->setPixmap(QPixmap::fromImage(m_current.image.scaled(size, Qt::KeepAspectRatio,
                                                                   pixelGrid ? Qt::FastTransformation
                                                                             : Qt::SmoothTransformation)));
    m_picture->resize(size);
}

bool InsidePanel::eventFilter(QObject* watched, QEvent* event) {
    if (watched == m_picture && event->type() == QEvent::ToolTip) {
        auto* help = static_cast<QHelpEvent*>(event);
        const double zoom = m_zoom->value() / 100.0;
        const QPoint p(int(help->pos().x() / zoom), int(help->pos().y() / zoom));
        for (int i = 0; i < m_current.cells.size(); ++i) {
            if (m_current.cells[i].contains(p)) {
                QToolTip::showText(help->globalPos(), m_current.cellTips.value(i), m_picture);
                return true;
            }
        }
        QToolTip::hideText();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

void InsidePanel::dragEnterEvent(QDragEnterEvent* event) {
    if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void InsidePanel::dropEvent(QDropEvent* event) {
    const QList<QUrl> urls = event->mimeData()->urls();
    if (urls.isEmpty() || !urls.first().isLocalFile()) return;
    event->acceptProposedAction();
    setImage(urls.first().toLocalFile());
    if (m_view->currentIndex() == Filters) setView(FeatureMaps);
}

} // namespace ts::ui
