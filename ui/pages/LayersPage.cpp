#include "ui/pages/LayersPage.h"
#include "ui/widgets/Fitting.h"

#include "ui/models/ProjectSession.h"
#include "ui/models/WeightsAdvice.h"
#include "ui/models/ZooFacts.h"
#include "ui/widgets/ConfigBinding.h"
#include "ui/widgets/PageHeader.h"
#include "ui/workers/TaskManager.h"

#include "core/train/FreezePolicy.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileInfo>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStyledItemDelegate>
#include <QTreeWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace ts::ui {
namespace {

QString count(qint64 n) { return QLocale().toString(n); }

LayersPage::Preset presetOf(const train::FreezePreset& freeze) {
    switch (freeze.kind) {
    case train::FreezePreset::Kind::LastStages: return LayersPage::FineTuneLast;
    case train::FreezePreset::Kind::None: return LayersPage::TrainEverything;
    case train::FreezePreset::Kind::FeatureExtraction: break;
    }
    return LayersPage::FeatureExtraction;
}

train::FreezePreset freezeOf(int preset, int lastStages) {
    switch (preset) {
    case LayersPage::FineTuneLast: return train::FreezePreset::last(lastStages);
    case LayersPage::TrainEverything: return train::FreezePreset::none();
    default: return train::FreezePreset::featureExtraction();
    }
}

void clearOverrides(train::TrainConfig& c) {
    c.trainStages.clear();
    c.freezeStages.clear();
}

// Everything of the session the page shows: the model, the plan, the head,
// the weights and what decides whether features are cached.
QString pageKey(const train::TrainConfig& c, const QString& arch, int numClasses) {
    QStringList parts{arch, QString::number(numClasses), QString::fromStdString(train::toString(c.freeze))};
    for (const auto& s : c.trainStages) parts << QStringLiteral("+") + QString::fromStdString(s);
    for (const auto& s : c.freezeStages) parts << QStringLiteral("-") + QString::fromStdString(s);
    for (const auto& [stage, rate] : c.stageLrMultipliers)
        parts << QStringLiteral("%1=%2").arg(QString::fromStdString(stage)).arg(rate, 0, 'g', 17);
    parts << QString::number(c.backboneLrMultiplier, 'g', 17) << QString::fromStdString(train::toString(c.batchNormPolicy))
          << QString::number(c.headHiddenUnits) << QString::number(c.headDropout, 'g', 17)
          << QString::number(int(c.pretrained)) << QString::fromStdString(c.weightsFile)
          << QString::number(int(c.augment.isNone())) << QString::number(int(c.featureCache == train::FeatureCache::Off));
    return parts.join(QLatin1Char('|'));
}

constexpr int kLrColumn = 3;

// Only the "LR ×" cells of stage rows can be edited, with a spin box.
class LrColumnDelegate : public QStyledItemDelegate {
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    QWidget* createEditor(QWidget* parent, const QStyleOptionViewItem&, const QModelIndex& index) const override {
        if (index.column() != kLrColumn || index.parent().isValid()) return nullptr;
        auto* box = new QDoubleSpinBox(parent);
        box->setDecimals(4);
        box->setRange(0.0, 100.0);
        box->setSingleStep(0.1);
        return box;
    }
    void setEditorData(QWidget* editor, const QModelIndex& index) const override {
        static_cast<QDoubleSpinBox*>(editor)->setValue(index.data(Qt::UserRole).toDouble());
    }
    void setModelData(QWidget* editor, QAbstractItemModel* model, const QModelIndex& index) const override {
        auto* box = static_cast<QDoubleSpinBox*>(editor);
        box->interpretText();
        model->setData(index, box->value(), Qt::UserRole);
    }
};

} // namespace

LayersPage::LayersPage(ProjectSession& session, QWidget* parent) : QWidget(parent), m_session(session) {
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new PageHeader(
        tr("Layers"),
        tr("Decide which parts of the backbone learn. <b>Feature extraction</b> trains only the new head: fast, and "
           "the best start for small datasets. <b>Fine-tuning</b> also trains the last stages, which helps when your "
           "images differ from photos. A stage's box overrides the preset. Frozen BatchNorm layers stay in eval mode: "
           "they use and keep their ImageNet statistics."),
        this));

    auto* body = new QHBoxLayout;
    auto* left = new QVBoxLayout;

    auto* planBox = new QGroupBox(tr("Freeze plan"), this);
    auto* planForm = new QFormLayout(planBox);
    m_preset = new QComboBox(planBox);
    m_preset->setObjectName(QStringLiteral("freezePreset"));
    m_preset->addItem(tr("Feature extraction (only the head trains)"));
    m_preset->addItem(tr("Fine-tune the last N stages"));
    m_preset->addItem(tr("Train everything"));
    m_preset->setToolTip(tr("Which stages train before your own check boxes are applied."));
    m_lastN = new QSpinBox(planBox);
    m_lastN->setObjectName(QStringLiteral("lastStages"));
    m_lastN->setRange(1, 50);
    m_lastN->setValue(2);  // what "fine-tune the last N" starts from (the config's preset is feature extraction)
    m_lastN->setToolTip(tr("How many stages before the head train when fine-tuning."));
    m_lrMultiplier = new QDoubleSpinBox(planBox);
    m_lrMultiplier->setObjectName(QStringLiteral("lrMultiplier"));
    m_lrMultiplier->setDecimals(3);
    m_lrMultiplier->setRange(0.001, 10.0);
    m_lrMultiplier->setSingleStep(0.1);
    m_lrMultiplier->setValue(train::TrainConfig{}.backboneLrMultiplier);
    m_lrMultiplier->setToolTip(tr("Learning rate of the trainable backbone stages relative to the head's. Values "
                                  "such as 0.1 keep pretrained features from being destroyed early."));
    planForm->addRow(tr("&Preset:"), m_preset);
    planForm->addRow(tr("&Last stages:"), m_lastN);
    planForm->addRow(tr("Backbone &LR ×:"), m_lrMultiplier);
    auto* lrRow = new QHBoxLayout;
    lrRow->setContentsMargins(0, 0, 0, 0);
    m_gradeFactor = new QDoubleSpinBox(planBox);
    m_gradeFactor->setObjectName(QStringLiteral("gradeFactor"));
    m_gradeFactor->setRange(0.05, 1.0);
    m_gradeFactor->setSingleStep(0.05);
    m_gradeFactor->setDecimals(2);
    m_gradeFactor->setValue(0.5);
    m_gradeFactor->setToolTip(tr("Graded learning rates: each trainable stage, going back from the head, learns this "
                                 "fraction of the rate of the stage after it. Early layers hold general features and "
                                 "should move least."));
    auto* grade = new QPushButton(tr("&Grade"), planBox);
    grade->setObjectName(QStringLiteral("gradeLrs"));
    grade->setToolTip(m_gradeFactor->toolTip());
    auto* resetLr = new QPushButton(tr("&Reset"), planBox);
    resetLr->setObjectName(QStringLiteral("resetLrs"));
    resetLr->setToolTip(tr("Forget the per-stage multipliers: every backbone stage follows the backbone multiplier."));
    lrRow->addWidget(m_gradeFactor, 1);
    lrRow->addWidget(grade);
    lrRow->addWidget(resetLr);
    planForm->addRow(tr("Per stage ×:"), lrRow);
    m_bnPolicy = new QComboBox(planBox);
    m_bnPolicy->setObjectName(QStringLiteral("batchNormPolicy"));
    m_bnPolicy->addItem(tr("Frozen layers keep their statistics"), QStringLiteral("frozen-eval"));
    m_bnPolicy->addItem(tr("All layers keep their statistics"), QStringLiteral("all-eval"));
    m_bnPolicy->setItemData(0, tr("Frozen BatchNorm layers run in eval mode and keep their ImageNet statistics; "
                                  "BatchNorm layers in trainable stages update theirs from your batches."),
                            Qt::ToolTipRole);
    m_bnPolicy->setItemData(1, tr("Every BatchNorm layer runs in eval mode and keeps its ImageNet statistics; "
                                  "trainable ones still learn their scale and shift. Safer with small batches "
                                  "(under about 16 images)."),
                            Qt::ToolTipRole);
    m_bnPolicy->setToolTip(tr("How BatchNorm layers behave while training. Frozen layers always keep their "
                              "statistics; with small batches, keeping them in trainable stages too avoids noisy "
                              "statistics."));
    planForm->addRow(tr("&BatchNorm:"), m_bnPolicy);
    left->addWidget(planBox);

    auto* headBox = new QGroupBox(tr("New head"), this);
    auto* headForm = new QFormLayout(headBox);
    m_hidden = new QSpinBox(headBox);
    m_hidden->setObjectName(QStringLiteral("headHidden"));
    m_hidden->setRange(0, 4096);
    m_hidden->setSingleStep(64);
    m_hidden->setSpecialValueText(tr("none (one Linear layer)"));
    m_hidden->setToolTip(tr("Units of an optional hidden layer before the output layer. 0 keeps the head "
                            "torchvision-compatible."));
    m_dropout = new QDoubleSpinBox(headBox);
    m_dropout->setObjectName(QStringLiteral("headDropout"));
    m_dropout->setRange(0.0, 0.9);
    m_dropout->setSingleStep(0.05);
    m_dropout->setValue(train::TrainConfig{}.headDropout);
    m_dropout->setToolTip(tr("Dropout after the hidden layer (used only with a hidden layer)."));
    headForm->addRow(tr("&Hidden units:"), m_hidden);
    headForm->addRow(tr("&Dropout:"), m_dropout);
    left->addWidget(headBox);

    auto* weightsBox = new QGroupBox(tr("Pretrained weights"), this);
    auto* weightsLayout = new QVBoxLayout(weightsBox);
    m_weights = new QComboBox(weightsBox);
    m_weights->setObjectName(QStringLiteral("weightsSource"));
    m_weights->addItem(tr("Official ImageNet weights"));
    m_weights->addItem(tr("Weights file (.pth)…"));
    m_weights->addItem(tr("None: random initialisation"));
    auto* fileRow = new QHBoxLayout;
    m_weightsFile = new QLineEdit(weightsBox);
    m_weightsFile->setObjectName(QStringLiteral("weightsFile"));
    m_weightsFile->setPlaceholderText(tr("torchvision .pth file"));
    m_browse = new QPushButton(tr("&Import…"), weightsBox);
    fileRow->addWidget(m_weightsFile, 1);
    fileRow->addWidget(m_browse);
    m_weightsNote = new QLabel(weightsBox);
    makeFlowingLabel(m_weightsNote);
    m_weightsNote->setWordWrap(true);
    m_weightsNote->setTextInteractionFlags(Qt::TextSelectableByMouse);
    weightsLayout->addWidget(m_weights);
    weightsLayout->addLayout(fileRow);
    weightsLayout->addWidget(m_weightsNote);
    left->addWidget(weightsBox);
    left->addStretch(1);

    auto* right = new QVBoxLayout;
    m_count = new QLabel(this);
    makeFlowingLabel(m_count);
    m_count->setObjectName(QStringLiteral("trainableCount"));
    QFont bold = m_count->font();
    bold.setBold(true);
    m_count->setFont(bold);
    m_tree = new QTreeWidget(this);
    m_tree->setObjectName(QStringLiteral("stageTree"));
    m_tree->setHeaderLabels({tr("Stage / module"), tr("Parameters"), tr("Trainable"), tr("LR ×")});
    m_tree->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_tree->header()->setStretchLastSection(false);
    m_tree->headerItem()->setToolTip(kLrColumn, tr("Learning rate of the stage relative to the peak rate. Double-click "
                                                    "(or F2) to set a stage's own value; bold values are the stage's "
                                                    "own, the others follow the backbone multiplier."));
    m_tree->setItemDelegate(new LrColumnDelegate(m_tree));
    m_tree->setEditTriggers(QAbstractItemView::DoubleClicked | QAbstractItemView::EditKeyPressed);

    connect(grade, &QPushButton::clicked, this, [this] { gradeStageLrMultipliers(m_gradeFactor->value()); });
    connect(resetLr, &QPushButton::clicked, this, &LayersPage::clearStageLrMultipliers);
    m_error = new QLabel(this);
    makeFlowingLabel(m_error);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("color: #b00020;"));
    m_error->hide();
    m_busy = new QWidget(this);
    m_busy->setObjectName(QStringLiteral("layersBusy"));
    auto* busyLayout = new QHBoxLayout(m_busy);
    busyLayout->setContentsMargins(0, 0, 0, 0);
    m_busyLabel = new QLabel(m_busy);
    auto* busyBar = new QProgressBar(m_busy);
    busyBar->setRange(0, 0);
    busyBar->setMaximumWidth(160);
    busyLayout->addWidget(m_busyLabel, 1);
    busyLayout->addWidget(busyBar);
    m_busy->hide();
    m_tasks = new TaskManager(this);
    right->addWidget(m_count);
    right->addWidget(m_busy);
    right->addWidget(m_tree, 1);
    right->addWidget(m_error);

    body->addLayout(left, 2);
    body->addLayout(right, 3);
    layout->addLayout(body, 1);

    // Each widget writes its part of the session's config.
    connect(m_preset, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int preset) {
        m_lastN->setEnabled(preset == FineTuneLast);
        write([&](train::TrainConfig& c) {
            c.freeze = freezeOf(preset, m_lastN->value());
            clearOverrides(c);
        });
    });
    connect(m_lastN, qOverload<int>(&QSpinBox::valueChanged), this, [this](int n) {
        if (preset() != FineTuneLast) return;
        write([n](train::TrainConfig& c) {
            c.freeze = train::FreezePreset::last(n);
            clearOverrides(c);
        });
    });
    connect(m_hidden, qOverload<int>(&QSpinBox::valueChanged), this,
            [this](int units) { write([units](train::TrainConfig& c) { c.headHiddenUnits = units; }); });
    connect(m_lrMultiplier, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            [this](double m) { write([m](train::TrainConfig& c) { c.backboneLrMultiplier = m; }); });
    connect(m_dropout, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
            [this](double p) { write([p](train::TrainConfig& c) { c.headDropout = p; }); });
    connect(m_bnPolicy, qOverload<int>(&QComboBox::currentIndexChanged), this, [this](int i) {
        const std::string policy = m_bnPolicy->itemData(i).toString().toStdString();
        write([&](train::TrainConfig& c) { c.batchNormPolicy = train::batchNormPolicyFromString(policy); });
    });
    connect(m_tree, &QTreeWidget::itemChanged, this, &LayersPage::onItemChanged);
    connect(m_weights, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
        updateWeightsNote();
        write([this](train::TrainConfig& c) { writeWeights(c); });
    });
    connect(m_weightsFile, &QLineEdit::textChanged, this, [this] {
        updateWeightsNote();
        if (weightsSource() == WeightsFile) write([this](train::TrainConfig& c) { writeWeights(c); });
    });
    connect(m_browse, &QPushButton::clicked, this, [this] {
        QSettings settings;
        const QString start = settings.value(QStringLiteral("layers/lastWeightsDir"), QDir::homePath()).toString();
        const QString file = QFileDialog::getOpenFileName(this, tr("Import weights"), start,
                                                          tr("Weights (*.pth *.pt *.safetensors);;All files (*)"));
        if (file.isEmpty()) return;
        settings.setValue(QStringLiteral("layers/lastWeightsDir"), QFileInfo(file).absolutePath());
        setWeightsSource(WeightsFile, file);
    });
    m_lastN->setEnabled(false);
    for (auto signal : {&ProjectSession::configChanged, &ProjectSession::backboneChanged, &ProjectSession::datasetChanged})
        connect(&m_session, signal, this, &LayersPage::showSessionConfig);
    showSessionConfig();
}

void LayersPage::write(const std::function<void(train::TrainConfig&)>& edit) {
    if (m_updating) return;
    m_writing = true;
    m_session.editConfig(edit);
    m_writing = false;
}

void LayersPage::writeWeights(train::TrainConfig& config) const {
    config.pretrained = weightsSource() != RandomInit;
    config.weightsFile = weightsSource() == WeightsFile ? m_weightsFile->text().trimmed().toStdString() : std::string();
}

void LayersPage::showSessionConfig() {
    const train::TrainConfig& c = m_session.config();
    const QString arch = m_session.backbone();
    const int numClasses = m_session.dataset().isValid() ? qMax(1, int(m_session.dataset().classes.size())) : 2;
    const QString key = pageKey(c, arch, numClasses);
    if (key == m_shownKey) return;
    m_shownKey = key;
    m_arch = arch;
    m_numClasses = numClasses;
    m_updating = true;
    const Preset p = presetOf(c.freeze);
    if (p == FineTuneLast) showValue(m_lastN, c.freeze.lastStages);
    showIndex(m_preset, p);
    m_lastN->setEnabled(p == FineTuneLast);
    showValue(m_lrMultiplier, c.backboneLrMultiplier);
    showIndex(m_bnPolicy, qMax(0, m_bnPolicy->findData(QString::fromStdString(train::toString(c.batchNormPolicy)))));
    showValue(m_hidden, int(c.headHiddenUnits));
    showValue(m_dropout, c.headDropout);
    // The weights: "a weights file" with no file yet is the official weights
    // in the config; the widgets keep it while the change is the page's own.
    train::TrainConfig shown = c;
    writeWeights(shown);
    const WeightsSource source = !c.weightsFile.empty() ? WeightsFile : c.pretrained ? OfficialWeights : RandomInit;
    if (shown.pretrained != c.pretrained || shown.weightsFile != c.weightsFile || (!m_writing && source != weightsSource())) {
        const QSignalBlocker block(m_weightsFile);
        if (source == WeightsFile && m_weightsFile->text().trimmed().toStdString() != c.weightsFile)
            m_weightsFile->setText(QString::fromStdString(c.weightsFile));
        showIndex(m_weights, source);
    }
    m_updating = false;
    updateWeightsNote();
    refresh();
}

void LayersPage::setPreset(Preset preset, int lastStages) {
    {
        const QSignalBlocker block(m_lastN);
        m_lastN->setValue(lastStages);
    }
    showIndex(m_preset, preset);
    m_lastN->setEnabled(preset == FineTuneLast);
    write([&](train::TrainConfig& c) {
        c.freeze = freezeOf(preset, m_lastN->value());
        clearOverrides(c);
    });
}

LayersPage::Preset LayersPage::preset() const { return Preset(m_preset->currentIndex()); }

bool LayersPage::setStageTrainable(const QString& stage, bool trainable) {
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        if (m_tree->topLevelItem(i)->data(0, Qt::UserRole).toString() != stage) continue;
        const std::string name = stage.toStdString();
        write([&](train::TrainConfig& c) {
            for (auto* list : {&c.trainStages, &c.freezeStages}) {
                list->erase(std::remove(list->begin(), list->end(), name), list->end());
            }
            auto& list = trainable ? c.trainStages : c.freezeStages;
            list.push_back(name);
            std::sort(list.begin(), list.end());
        });
        return true;
    }
    return false;
}

bool LayersPage::setStageLrMultiplier(const QString& stage, double multiplier) {
    for (int i = 0; i < m_tree->topLevelItemCount(); ++i) {
        if (m_tree->topLevelItem(i)->data(0, Qt::UserRole).toString() != stage) continue;
        write([&](train::TrainConfig& c) {
            if (multiplier < 0) c.stageLrMultipliers.erase(stage.toStdString());
            else c.stageLrMultipliers[stage.toStdString()] = multiplier;
        });
        return true;
    }
    return false;
}

double LayersPage::stageLrMultiplier(const QString& stage) const {
    const auto& own = m_session.config().stageLrMultipliers;
    const auto it = own.find(stage.toStdString());
    return it == own.end() ? -1.0 : it->second;
}

void LayersPage::gradeStageLrMultipliers(double factor) {
    std::vector<train::StageTrainability> stages;
    for (const FreezeStageRow& stage : m_report.stages)
        stages.push_back({stage.name.toStdString(), stage.name == QLatin1String("head"), stage.trainable != 0});
    const std::map<std::string, double> graded = train::gradedStageLrMultipliers(stages, factor);
    write([&](train::TrainConfig& c) { c.stageLrMultipliers = graded; });
}

void LayersPage::clearStageLrMultipliers() {
    write([](train::TrainConfig& c) { c.stageLrMultipliers.clear(); });
}

double LayersPage::effectiveLrMultiplier(const FreezeStageRow& stage) const {
    const train::TrainConfig& c = m_session.config();
    std::map<std::string, double> own;
    const auto it = c.stageLrMultipliers.find(stage.name.toStdString());
    if (it != c.stageLrMultipliers.end()) own.insert(*it);
    return train::stageLrMultiplier(own, c.backboneLrMultiplier, stage.name.toStdString(),
                                    stage.name == QLatin1String("head"));
}

void LayersPage::setWeightsSource(WeightsSource source, const QString& file) {
    if (!file.isEmpty()) {
        const QSignalBlocker block(m_weightsFile);
        m_weightsFile->setText(file);
    }
    showIndex(m_weights, source);
    updateWeightsNote();
    write([this](train::TrainConfig& c) { writeWeights(c); });
}

LayersPage::WeightsSource LayersPage::weightsSource() const { return WeightsSource(m_weights->currentIndex()); }

void LayersPage::refresh() {
    if (m_updating) return;
    if (m_arch.isEmpty()) {
        m_count->setText(tr("Choose a backbone first (step 2)."));
        m_tree->clear();
        return;
    }
    train::TrainConfig config = m_session.config();
    config.arch = m_arch.toStdString();
    if (!freezeModelCached(config, m_numClasses)) {
        // Build it on the worker; refresh() runs again when it is cached.
        const QString key = QStringLiteral("%1/%2/%3").arg(m_arch).arg(m_numClasses).arg(config.headHiddenUnits);
        if (m_building == key) return;
        m_building = key;
        m_busyLabel->setText(tr("Building %1…").arg(m_arch));
        m_busy->show();
        m_count->setText(tr("Building %1 to list its stages…").arg(m_arch));
        const int numClasses = m_numClasses;
        m_tasks->submit<QString>(
            this, {}, [config, numClasses](JobContext&) { return buildFreezeModel(config, numClasses); },
            [this, key](const JobResult<QString>& job) {
                const QString error = job.failed() ? job.error.userMessage : job.value;
                if (m_building == key) m_building.clear();
                m_busy->setVisible(!m_building.isEmpty());
                if (!error.isEmpty()) {
                    m_report = {};
                    m_report.arch = m_arch;
                    m_report.error = error;
                    m_tree->clear();
                    m_error->setText(error);
                    m_error->show();
                    m_count->clear();
                    Q_EMIT planChanged();
                    return;
                }
                refresh();
            });
        return;
    }
    m_report = freezeReport(config, m_numClasses);
    if (!m_report.error.isEmpty()) {
        // An override that the preset already covers, or a stale one: drop the overrides and retry once.
        m_error->setText(m_report.error);
        m_error->show();
    } else {
        m_error->hide();
    }
    rebuildTree();
    const qint64 total = m_report.trainable + m_report.frozen;
    m_count->setText(tr("%1 of %2 parameters train (%3%)%4")
                         .arg(count(m_report.trainable), count(total))
                         .arg(total > 0 ? 100.0 * double(m_report.trainable) / double(total) : 0.0, 0, 'f', 1)
                         .arg(m_report.backboneFrozen
                                  ? (config.featureCache == train::FeatureCache::Off ? tr(" — the backbone is frozen; the feature cache is turned off, so "
                                                     "every epoch runs the whole network")
                                     : !config.augment.isNone()
                                         ? tr(" — the backbone is frozen, but augmentation is on (Training page): every "
                                              "epoch runs the whole network on new variants, so features are not cached")
                                         : tr(" — the backbone is frozen: its features are computed once and cached"))
                                  : QString()));
    Q_EMIT planChanged();
}

bool LayersPage::isBusy() const { return m_tasks->isBusy(); }

void LayersPage::rebuildTree() {
    m_updating = true;
    m_tree->clear();
    for (const FreezeStageRow& stage : m_report.stages) {
        auto* item = new QTreeWidgetItem(m_tree);
        item->setText(0, stage.hasBatchNorm ? tr("%1  (BatchNorm)").arg(stage.name) : stage.name);
        item->setData(0, Qt::UserRole, stage.name);
        item->setText(1, count(stage.params));
        item->setText(2, count(stage.trainable));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
        const Qt::CheckState state = stage.trainable == 0              ? Qt::Unchecked
                                     : stage.trainable == stage.params ? Qt::Checked
                                                                       : Qt::PartiallyChecked;
        item->setCheckState(0, state);
        item->setToolTip(0, stage.name == QLatin1String("head")
                                ? tr("The new classifier for your classes: it always trains.")
                                : tr("Checked: this stage trains. Modules: %1").arg(stage.modules.join(QStringLiteral(", "))));
        const double lr = effectiveLrMultiplier(stage);
        item->setData(kLrColumn, Qt::UserRole, lr);
        item->setText(kLrColumn, stage.trainable ? QStringLiteral("%1").arg(lr, 0, 'g', 3) : QStringLiteral("–"));
        item->setTextAlignment(kLrColumn, Qt::AlignRight | Qt::AlignVCenter);
        item->setToolTip(kLrColumn, stage.trainable ? tr("Learns at %1 × the peak rate. Double-click to change.").arg(lr, 0, 'g', 3)
                                                    : tr("Frozen: does not learn."));
        if (m_session.config().stageLrMultipliers.count(stage.name.toStdString())) {
            QFont own = item->font(kLrColumn);
            own.setBold(true);
            item->setFont(kLrColumn, own);
        }
        item->setFlags(item->flags() | Qt::ItemIsEditable);
        if (!stage.trainable) item->setForeground(0, palette().brush(QPalette::Disabled, QPalette::Text));
        for (const QString& module : stage.modules) {
            auto* child = new QTreeWidgetItem(item);
            child->setText(0, module.isEmpty() ? tr("(whole model)") : module);
            child->setFlags(Qt::ItemIsEnabled);
        }
    }
    m_updating = false;
}

void LayersPage::onItemChanged(QTreeWidgetItem* item, int column) {
    if (m_updating || item->parent()) return;
    if (column == kLrColumn) {
        // An edit of the "LR ×" cell (the delegate writes Qt::UserRole).
        const QString stage = item->data(0, Qt::UserRole).toString();
        const double value = item->data(kLrColumn, Qt::UserRole).toDouble();
        QMetaObject::invokeMethod(this, [this, stage, value] { setStageLrMultiplier(stage, value); }, Qt::QueuedConnection);
        return;
    }
    if (column != 0) return;
    const QString stage = item->data(0, Qt::UserRole).toString();
    const bool trainable = item->checkState(0) != Qt::Unchecked;
    // Not now: the session's change rebuilds the tree, and `item` is still inside its setData().
    QMetaObject::invokeMethod(this, [this, stage, trainable] { setStageTrainable(stage, trainable); }, Qt::QueuedConnection);
}

QString LayersPage::weightsProblem() const {
    return ts::ui::weightsProblem(m_arch, WeightsChoice(weightsSource()), m_weightsFile->text().trimmed());
}

void LayersPage::updateWeightsNote() {
    m_weightsFile->setEnabled(weightsSource() == WeightsFile);
    m_browse->setEnabled(true);
    m_weightsNote->setText(weightsNote(m_arch, WeightsChoice(weightsSource()), m_weightsFile->text()));
}

} // namespace ts::ui
