#include "ui/pages/TrainingPage.h"
#include "ui/widgets/Fitting.h"

#include "core/train/Schedule.h"
#include "ui/models/ModelBridge.h"
#include "ui/models/ProjectSession.h"
#include "ui/widgets/ConfigBinding.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/TaskManager.h"
#include "ui/workers/TrainingWorker.h"

#include <QCheckBox>
#include <QDirIterator>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QFormLayout>
#include <QIcon>
#include <QPixmap>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>

namespace ts::ui {
namespace {

QDoubleSpinBox* doubleBox(QWidget* parent, double lo, double hi, double step, int decimals, double value,
                          const QString& tip) {
    auto* box = new QDoubleSpinBox(parent);
    box->setRange(lo, hi);
    box->setSingleStep(step);
    box->setDecimals(decimals);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

QSpinBox* intBox(QWidget* parent, int lo, int hi, int value, const QString& tip) {
    auto* box = new QSpinBox(parent);
    box->setRange(lo, hi);
    box->setValue(value);
    box->setToolTip(tip);
    return box;
}

using Config = train::TrainConfig;

} // namespace

TrainingPage::TrainingPage(ProjectSession& session, QWidget* parent) : QWidget(parent), m_session(session) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Training"),
        tr("Set how the model learns. The defaults work for most transfer-learning runs: Adam at 1e-3 for a frozen "
           "backbone (try 1e-4 when fine-tuning). Hover over a field for what it does; the learning-rate finder "
           "suggests a rate for your data."),
        this));

    auto* body = new QHBoxLayout;
    auto* leftWidget = new QWidget(this);
    auto* left = new QVBoxLayout(leftWidget);
    left->setContentsMargins(0, 0, 0, 0);

    auto* hyper = new QGroupBox(tr("Hyper-parameters"), leftWidget);
    auto* form = new QFormLayout(hyper);
    // Every field starts at TrainConfig's documented default; the session's values follow below.
    const train::TrainConfig d;
    m_epochs = intBox(hyper, 1, 1000, d.epochs, tr("Passes over the training images. 5–15 is typical with a frozen backbone."));
    m_epochs->setObjectName(QStringLiteral("epochs"));
    m_batch = intBox(hyper, 1, 1024, d.batchSize, tr("Images per optimisation step. Smaller uses less memory; 16–64 is typical."));
    m_batch->setObjectName(QStringLiteral("batchSize"));
    m_lr = doubleBox(hyper, 1e-6, 1.0, 1e-4, 6, d.lr,
                     tr("Peak learning rate. Too high: the loss jumps or diverges; too low: it barely moves. Use the "
                        "finder on the right."));
    m_lr->setObjectName(QStringLiteral("learningRate"));
    m_optimizer = new QComboBox(hyper);
    m_optimizer->setObjectName(QStringLiteral("optimizer"));
    m_optimizer->addItem(QStringLiteral("Adam"), QStringLiteral("adam"));
    m_optimizer->addItem(QStringLiteral("AdamW"), QStringLiteral("adamw"));
    m_optimizer->addItem(QStringLiteral("SGD"), QStringLiteral("sgd"));
    m_optimizer->setToolTip(tr("Adam adapts the step per parameter and is forgiving; SGD with momentum can "
                               "generalise slightly better with a tuned schedule."));
    m_momentum = doubleBox(hyper, 0, 0.999, 0.01, 3, d.momentum, tr("SGD momentum (ignored by Adam)."));
    m_weightDecay = doubleBox(hyper, 0, 1, 1e-4, 5, d.weightDecay, tr("L2 penalty on the weights (AdamW: 0.01 is typical)."));
    m_schedule = new QComboBox(hyper);
    m_schedule->setObjectName(QStringLiteral("schedule"));
    m_schedule->addItem(tr("Constant"), QStringLiteral("constant"));
    m_schedule->addItem(tr("Step"), QStringLiteral("step"));
    m_schedule->addItem(tr("Cosine"), QStringLiteral("cosine"));
    m_schedule->addItem(tr("One-cycle"), QStringLiteral("one-cycle"));
    m_schedule->setToolTip(tr("How the learning rate changes over the run; the plot below previews it."));
    m_warmup = intBox(hyper, 0, 100, d.warmupEpochs, tr("Epochs of linear warm-up from a tenth of the rate (not for one-cycle)."));
    m_stepEpochs = intBox(hyper, 1, 1000, d.stepEpochs, tr("Step schedule: multiply the rate by gamma every N epochs."));
    m_gamma = doubleBox(hyper, 0.001, 1, 0.05, 3, d.stepGamma, tr("Step schedule: the factor."));
    m_labelSmoothing = doubleBox(hyper, 0, 0.5, 0.05, 2, d.labelSmoothing, tr("Softens the targets; 0.1 helps against over-confidence."));
    m_classWeights = new QCheckBox(tr("Weight classes by rarity"), hyper);
    m_classWeights->setToolTip(tr("For imbalanced data: each class's loss is weighted by N/(C·n_c)."));
    m_patience = intBox(hyper, 0, 100, d.earlyStoppingPatience, tr("Stop after this many epochs without a better validation accuracy (0 = off)."));
    m_patience->setSpecialValueText(tr("off"));
    m_seed = intBox(hyper, 0, 1000000, int(d.seed), tr("Same seed, same split, same run (on the CPU)."));
    m_seed->setObjectName(QStringLiteral("seed"));
    form->addRow(tr("&Epochs:"), m_epochs);
    form->addRow(tr("&Batch size:"), m_batch);
    form->addRow(tr("Learning &rate:"), m_lr);
    form->addRow(tr("&Optimizer:"), m_optimizer);
    form->addRow(tr("Momentum:"), m_momentum);
    form->addRow(tr("Weight decay:"), m_weightDecay);
    form->addRow(tr("&Schedule:"), m_schedule);
    form->addRow(tr("Warm-up epochs:"), m_warmup);
    form->addRow(tr("Step every:"), m_stepEpochs);
    form->addRow(tr("Step gamma:"), m_gamma);
    form->addRow(tr("Label smoothing:"), m_labelSmoothing);
    form->addRow(QString(), m_classWeights);
    form->addRow(tr("Early stopping:"), m_patience);
    form->addRow(tr("Seed:"), m_seed);
    left->addWidget(hyper);

    auto* aug = new QGroupBox(tr("Augmentation"), leftWidget);
    auto* augForm = new QFormLayout(aug);
    m_augment = new QComboBox(aug);
    m_augment->setObjectName(QStringLiteral("augmentPreset"));
    m_augment->addItem(tr("Off (eval transform)"), QStringLiteral("none"));
    m_augment->addItem(tr("Standard (random crop + flip)"), QStringLiteral("standard"));
    m_augment->setToolTip(tr("Random variations of the training images so the model generalises. Off lets a frozen "
                             "backbone's features be cached (much faster epochs)."));
    m_rotation = doubleBox(aug, 0, 180, 5, 0, d.augment.rotationDegrees, tr("Random rotation in ±degrees."));
    m_brightness = doubleBox(aug, 0, 1, 0.05, 2, d.augment.brightness, tr("Colour jitter: brightness strength."));
    m_contrast = doubleBox(aug, 0, 1, 0.05, 2, d.augment.contrast, tr("Colour jitter: contrast strength."));
    m_saturation = doubleBox(aug, 0, 1, 0.05, 2, d.augment.saturation, tr("Colour jitter: saturation strength."));
    m_vflip = new QCheckBox(tr("Vertical flip"), aug);
    m_vflip->setToolTip(tr("Flip upside down half of the time (aerial or microscope images)."));
    m_erasing = doubleBox(aug, 0, 1, 0.05, 2, d.augment.randomErasing, tr("Probability of erasing a random rectangle."));
    augForm->addRow(tr("&Augmentation:"), m_augment);
    augForm->addRow(tr("Rotation:"), m_rotation);
    augForm->addRow(tr("Brightness:"), m_brightness);
    augForm->addRow(tr("Contrast:"), m_contrast);
    augForm->addRow(tr("Saturation:"), m_saturation);
    augForm->addRow(QString(), m_vflip);
    augForm->addRow(tr("Random erasing:"), m_erasing);
    left->addWidget(aug);
    m_resetButton = new QPushButton(tr("Reset to &defaults"), leftWidget);
    m_resetButton->setObjectName(QStringLiteral("resetDefaults"));
    m_resetButton->setToolTip(tr("Every field on this page back to the documented defaults (docs/config.md)."));
    left->addWidget(m_resetButton, 0, Qt::AlignLeft);
    left->addStretch(1);

    auto* scroll = new QScrollArea(this);
    scroll->setWidget(leftWidget);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    scroll->setMinimumWidth(qMin(leftWidget->sizeHint().width() + 40, 340));
    scroll->setMaximumWidth(leftWidget->sizeHint().width() + 40);

    auto* right = new QVBoxLayout;
    auto* previewBox = new QGroupBox(tr("What the network sees (augmented samples)"), this);
    auto* previewLayout = new QVBoxLayout(previewBox);
    m_preview = new QListWidget(previewBox);
    m_preview->setObjectName(QStringLiteral("augmentPreview"));
    m_preview->setViewMode(QListView::IconMode);
    m_preview->setIconSize(QSize(96, 96));
    m_preview->setResizeMode(QListView::Adjust);
    m_preview->setMovement(QListView::Static);
    m_preview->setMinimumHeight(120);
    m_preview->setMaximumHeight(240);
    m_previewNote = new QLabel(previewBox);
    makeFlowingLabel(m_previewNote);
    m_previewNote->setWordWrap(true);
    previewLayout->addWidget(m_preview);
    previewLayout->addWidget(m_previewNote);
    right->addWidget(previewBox, 2);

    auto* plots = new QHBoxLayout;
    // The schedule preview sits under the settings it depends on.
    auto* scheduleBox = new QGroupBox(tr("Learning-rate schedule"), leftWidget);
    scheduleBox->setMinimumHeight(220);
    auto* scheduleLayout = new QVBoxLayout(scheduleBox);
    m_schedulePlot = new CurvePlot(tr("epoch"), tr("learning rate"), scheduleBox);
    m_schedulePlot->setObjectName(QStringLiteral("schedulePlot"));
    m_schedulePlot->addSeries(tr("rate"), QColor(31, 119, 180), CurvePlot::Line);
    m_schedulePlot->setYIncludesZero(true);
    m_schedulePlot->setLegendAlignment(Qt::AlignBottom | Qt::AlignRight);
    scheduleLayout->addWidget(m_schedulePlot);
    left->insertWidget(1, scheduleBox);

    auto* finderBox = new QGroupBox(tr("Learning-rate finder"), this);
    auto* finderLayout = new QVBoxLayout(finderBox);
    m_lrPlot = new CurvePlot(tr("learning rate"), tr("loss"), finderBox);
    m_lrPlot->setObjectName(QStringLiteral("lrFinderPlot"));
    m_lrPlot->setLogX(true);
    m_lrPlot->addSeries(tr("smoothed loss"), QColor(214, 39, 40), CurvePlot::Line);
    m_lrPlot->setLegendAlignment(Qt::AlignTop | Qt::AlignLeft);
    auto* finderRow = new QHBoxLayout;
    m_findButton = new QPushButton(tr("&Find a learning rate"), finderBox);
    m_findButton->setObjectName(QStringLiteral("findLrButton"));
    m_findButton->setToolTip(tr("Trains a throwaway copy for a few dozen batches while the rate grows, and suggests "
                                "a tenth of the rate where the loss is lowest. Nothing is saved."));
    m_useButton = new QPushButton(tr("&Use suggestion"), finderBox);
    m_useButton->setEnabled(false);
    m_lrNote = new QLabel(tr("Not run yet."), finderBox);
    makeFlowingLabel(m_lrNote);
    m_lrNote->setWordWrap(true);
    finderRow->addWidget(m_findButton);
    finderRow->addWidget(m_useButton);
    finderLayout->addWidget(m_lrPlot, 1);
    finderLayout->addLayout(finderRow);
    finderLayout->addWidget(m_lrNote);
    plots->addWidget(finderBox);
    right->addLayout(plots, 3);

    body->addWidget(scroll, 0);
    body->addLayout(right, 1);
    layout->addLayout(body, 1);

    m_debounce.setSingleShot(true);
    m_debounce.setInterval(200);
    connect(&m_debounce, &QTimer::timeout, this, &TrainingPage::updatePreviews);
    // Each widget writes its field of the session's config.
    m_binder = std::make_unique<ConfigBinder>(m_session, this);
    ConfigBinder& bind = *m_binder;
    bind.spin(m_epochs, [](const Config& c) { return c.epochs; }, [](Config& c, int v) { c.epochs = v; });
    bind.spin(m_batch, [](const Config& c) { return c.batchSize; }, [](Config& c, int v) { c.batchSize = v; });
    bind.spin(m_lr, [](const Config& c) { return c.lr; }, [](Config& c, double v) { c.lr = v; });
    bind.choice(m_optimizer, [](const Config& c) { return train::toString(c.optimizer); },
                [](Config& c, const std::string& v) { c.optimizer = train::optimizerFromString(v); });
    bind.spin(m_momentum, [](const Config& c) { return c.momentum; }, [](Config& c, double v) { c.momentum = v; });
    bind.spin(m_weightDecay, [](const Config& c) { return c.weightDecay; }, [](Config& c, double v) { c.weightDecay = v; });
    bind.choice(m_schedule, [](const Config& c) { return train::toString(c.schedule); },
                [](Config& c, const std::string& v) { c.schedule = train::scheduleFromString(v); });
    bind.spin(m_warmup, [](const Config& c) { return c.warmupEpochs; }, [](Config& c, int v) { c.warmupEpochs = v; });
    bind.spin(m_stepEpochs, [](const Config& c) { return c.stepEpochs; }, [](Config& c, int v) { c.stepEpochs = v; });
    bind.spin(m_gamma, [](const Config& c) { return c.stepGamma; }, [](Config& c, double v) { c.stepGamma = v; });
    bind.spin(m_labelSmoothing, [](const Config& c) { return c.labelSmoothing; }, [](Config& c, double v) { c.labelSmoothing = v; });
    bind.check(m_classWeights, [](const Config& c) { return c.classWeights; }, [](Config& c, bool v) { c.classWeights = v; });
    bind.spin(m_patience, [](const Config& c) { return c.earlyStoppingPatience; },
              [](Config& c, int v) { c.earlyStoppingPatience = v; });
    bind.spin(m_seed, [](const Config& c) { return c.seed; }, [](Config& c, int v) { c.seed = uint64_t(v); });
    bind.choice(m_augment, [](const Config& c) { return train::toString(c.augment.preset); },
                [](Config& c, const std::string& v) { c.augment.preset = train::augmentPresetFromString(v); });
    bind.spin(m_rotation, [](const Config& c) { return c.augment.rotationDegrees; },
              [](Config& c, double v) { c.augment.rotationDegrees = v; });
    bind.spin(m_brightness, [](const Config& c) { return c.augment.brightness; }, [](Config& c, double v) { c.augment.brightness = v; });
    bind.spin(m_contrast, [](const Config& c) { return c.augment.contrast; }, [](Config& c, double v) { c.augment.contrast = v; });
    bind.spin(m_saturation, [](const Config& c) { return c.augment.saturation; }, [](Config& c, double v) { c.augment.saturation = v; });
    bind.check(m_vflip, [](const Config& c) { return c.augment.verticalFlip; }, [](Config& c, bool v) { c.augment.verticalFlip = v; });
    bind.spin(m_erasing, [](const Config& c) { return c.augment.randomErasing; }, [](Config& c, double v) { c.augment.randomErasing = v; });
    connect(&m_session, &ProjectSession::configChanged, this, [this] {
        showSessionConfig();
        scheduleUpdate();
    });
    connect(&m_session, &ProjectSession::datasetChanged, this, &TrainingPage::onDatasetChanged);

    m_tasks = new TaskManager(this);
    connect(m_findButton, &QPushButton::clicked, this, [this] {
        if (m_finderRunning) cancelLrFinder();
        else startLrFinder();
    });
    connect(m_useButton, &QPushButton::clicked, this, [this] {
        if (m_suggestedLr > 0) m_lr->setValue(m_suggestedLr);
    });
    connect(m_resetButton, &QPushButton::clicked, this, &TrainingPage::resetToDefaults);
    for (QComboBox* box : {m_optimizer, m_schedule})
        connect(box, qOverload<int>(&QComboBox::currentIndexChanged), this, &TrainingPage::updateApplicability);
    showSessionConfig();
    onDatasetChanged();
    updatePreviews();
}

void TrainingPage::resetToDefaults() {
    const train::TrainConfig defaults;
    m_session.editConfig([&](train::TrainConfig& c) { m_binder->copyAll(defaults, c); });
}

void TrainingPage::showSessionConfig() {
    m_binder->showAll(m_session.config());
    updateApplicability();
}

bool TrainingPage::isBusy() const { return m_tasks->isBusy(); }

void TrainingPage::onDatasetChanged() {
    scheduleUpdate();  // the schedule's steps per epoch follow the training images
    // The augmentation preview's image: the first one found under the folder,
    // looked for in a job (a large dataset is not walked on the UI thread).
    const QString lane = QStringLiteral("TrainingPage preview");
    const DatasetSummary& summary = m_session.dataset();
    if (!summary.isValid()) {
        m_tasks->supersede(lane);
        setPreviewImage(QString());
        return;
    }
    JobSpec spec;
    spec.lane = lane;
    spec.replaceKey = lane;
    const QString root = summary.root;
    m_tasks->submit<QString>(this, spec, [root](JobContext& job) {
        QDirIterator it(root, {QStringLiteral("*.jpg"), QStringLiteral("*.jpeg"), QStringLiteral("*.png")},
                        QDir::Files, QDirIterator::Subdirectories);
        return !job.isCancelled() && it.hasNext() ? it.next() : QString();
    }, [this](const JobResult<QString>& r) {
        if (r.ok()) setPreviewImage(r.value);
    });
}

void TrainingPage::updateApplicability() {
    // Fields that the chosen optimizer or schedule ignores are disabled (their value is kept).
    const bool sgd = m_optimizer->currentData().toString() == QLatin1String("sgd");
    m_momentum->setEnabled(sgd);
    const QString schedule = m_schedule->currentData().toString();
    m_stepEpochs->setEnabled(schedule == QLatin1String("step"));
    m_gamma->setEnabled(schedule == QLatin1String("step"));
    m_warmup->setEnabled(schedule != QLatin1String("one-cycle"));
}

TrainingPage::~TrainingPage() = default;  // m_tasks cancels the finder and waits for it

void TrainingPage::setPreviewImage(const QString& path) {
    m_previewImage = path;
    scheduleUpdate();
}

void TrainingPage::scheduleUpdate() { m_debounce.start(); }

void TrainingPage::updatePreviews() {
    const train::TrainConfig& c = m_session.config();
    qint64 trainImages = 0;
    if (m_session.dataset().isValid())
        for (qint64 n : m_session.dataset().trainCounts) trainImages += n;
    const int64_t steps = qMax<int64_t>(1, (trainImages + c.batchSize - 1) / qMax(1, c.batchSize));
    QVector<QPointF> points;
    try {
        const std::vector<double> curve = train::scheduleCurve(c, steps);
        const size_t stride = qMax<size_t>(1, curve.size() / 400);
        for (size_t i = 0; i < curve.size(); i += stride) points << QPointF(double(i) / double(steps), curve[i]);
        if (!curve.empty()) points << QPointF(double(curve.size()) / double(steps), curve.back());
    } catch (const std::exception&) {
    }
    m_schedulePlot->setPoints(0, points);
    updateAugmentPreview();
}

void TrainingPage::updateAugmentPreview() {
    m_preview->clear();
    if (m_previewImage.isEmpty()) {
        m_previewNote->setText(tr("Open a dataset (step 1) to see its images here."));
        return;
    }
    const train::TrainConfig& c = m_session.config();
    QString error;
    const QVector<QImage> images = augmentationPreview(m_previewImage, c, 8, c.seed, &error);
    for (int i = 0; i < images.size(); ++i) {
        auto* item = new QListWidgetItem(QIcon(QPixmap::fromImage(images[i])), QString(), m_preview);
        item->setToolTip(tr("Sample %1 of %2").arg(i + 1).arg(QFileInfo(m_previewImage).fileName()));
    }
    m_previewNote->setText(!error.isEmpty()  ? error
                           : c.augment.isNone() ? tr("Augmentation is off: every epoch sees the same center crop.")
                                                : tr("Eight random draws of the same training image."));
}

void TrainingPage::startLrFinder(int steps) {
    if (m_finderRunning) return;
    const train::TrainConfig c = m_session.config();
    m_finderRunning = true;
    m_finderSteps = 0;
    m_finderTotal = steps;
    m_findButton->setText(tr("&Stop the finder"));
    m_lrNote->setText(tr("Running %1 batches…").arg(steps));
    m_lrPlot->clear();
    JobSpec spec;
    spec.lane = QStringLiteral("LrFinder");
    m_finderJob = m_tasks->submit<train::LrFindResult>(
        this, spec,
        [this, c, steps](JobContext& job) {
            // `this` is only used in posted functions, which run on the UI thread.
            return TrainingWorker::findLearningRate(c, steps, job.feedback(), [this, &job](double lr, double loss) {
                job.post([this, lr, loss] { onLrStep(lr, loss); });
            });
        },
        [this](const JobResult<train::LrFindResult>& r) {
            if (r.ok()) onLrFound(r.value);
            else if (r.failed()) onLrFailed(r.error);
            else onLrFailed({tr("The learning-rate finder stopped: cancelled"), QStringLiteral("cancelled")});
        });
}

void TrainingPage::cancelLrFinder() { m_tasks->cancel(m_finderJob); }

void TrainingPage::onLrStep(double lr, double loss) {
    if (!m_finderRunning) return;
    ++m_finderSteps;
    if (std::isfinite(loss)) m_lrPlot->append(0, lr, loss);
    m_lrNote->setText(tr("Batch %1 of %2: rate %3, smoothed loss %4…")
                          .arg(m_finderSteps)
                          .arg(m_finderTotal)
                          .arg(lr, 0, 'g', 2)
                          .arg(loss, 0, 'f', 3));
    Q_EMIT lrFinderStep(m_finderSteps, lr, loss);
}

void TrainingPage::onLrFailed(const TaskError& error) {
    m_finderRunning = false;
    m_findButton->setText(tr("&Find a learning rate"));
    m_lrNote->setText(error.userMessage);
    Q_EMIT errorOccurred(error);
    Q_EMIT lrFinderDone();
}

void TrainingPage::onLrFound(const train::LrFindResult& result) {
    m_finderRunning = false;
    m_findButton->setText(tr("&Find a learning rate"));
    QVector<QPointF> points;
    for (size_t i = 0; i < result.lrs.size() && i < result.losses.size(); ++i)
        if (std::isfinite(result.losses[i])) points << QPointF(result.lrs[i], result.losses[i]);
    m_lrPlot->setPoints(0, points);
    m_suggestedLr = result.suggestedLr;
    if (m_suggestedLr > 0) {
        m_lrPlot->setMarker(m_suggestedLr, tr("suggested %1").arg(m_suggestedLr, 0, 'g', 2));
        m_lrNote->setText(tr("Suggested learning rate: <b>%1</b> (a tenth of the rate at the lowest loss)%2.")
                              .arg(m_suggestedLr, 0, 'g', 2)
                              .arg(result.stoppedOnDivergence ? tr("; stopped when the loss diverged") : QString()));
        m_useButton->setEnabled(true);
    } else {
        m_lrNote->setText(tr("No suggestion: the loss did not fall. Try more data or a lower start."));
    }
    Q_EMIT lrFinderDone();
}

} // namespace ts::ui
