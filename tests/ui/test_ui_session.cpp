// ProjectSession, the one owner of a window's project state: a change made
// on one page is in the session at once and reaches another page (the
// Training page's seed becomes the Data page's split; the Data page's
// exclusions and validation share become the config the Training page and
// the trainer read), the dataset, doctor result and runs are recorded, and a
// .tsproj written from the session opens into an equal session.
#include "ui/main/Application.h"
#include "ui/main/MainWindow.h"
#include "ui/models/ProjectFile.h"
#include "ui/models/ProjectSession.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QImage>
#include <QSettings>
#include <QSignalSpy>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QPushButton>
#include <QTreeWidget>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "UiTestSupport.h"

using ts::ui::MainWindow;
using ts::ui::ProjectSession;

namespace {

// ROOT/<a|b>/<n>.png, and one empty file the doctor calls unusable.
QString writeDataset(const QString& root) {
    if (!ts::uitest::writeDataset(root, {"a", "b"}, 6, 12)) return {};
    return ts::uitest::writeEmptyFile(root, "a/empty.png");
}

template <typename T>
T* child(QObject& parent, const char* name) {
    T* w = parent.findChild<T*>(QLatin1String(name));
    if (!w) qFatal("no child %s", name);
    return w;
}

} // namespace

class SessionTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        QSettings().clear();
    }

    void aChangeOnOnePageIsSeenByAnother() {
        QTemporaryDir dir;
        const QString empty = writeDataset(dir.path());
        MainWindow window;
        ProjectSession* session = window.session();
        QSignalSpy configChanged(session, &ProjectSession::configChanged);
        QSignalSpy datasetChanged(session, &ProjectSession::datasetChanged);
        QSignalSpy doctorChanged(session, &ProjectSession::doctorResultChanged);
        window.dataPage()->setFolder(dir.path());
        QVERIFY(window.waitUntilIdle(60000));
        // The scan and the doctor are in the session.
        QVERIFY(datasetChanged.count() >= 1);
        QCOMPARE(session->dataset().classes, QStringList({"a", "b"}));
        QCOMPARE(session->config().dataDir, QDir(dir.path()).absolutePath().toStdString());
        QVERIFY(doctorChanged.count() >= 1);
        QVERIFY(session->doctorResult().badFiles.contains(empty));

        // The Training page's seed: in the session at once, then the Data page's split.
        window.setCurrentStep(MainWindow::TrainingStep);
        configChanged.clear();
        child<QSpinBox>(*window.trainingPage(), "seed")->setValue(7);
        QVERIFY(configChanged.count() >= 1);
        QCOMPARE(session->config().seed, quint64(7));
        QCOMPARE(window.dataPage()->splitSeed(), quint64(42));  // applied when the Data page is shown
        window.setCurrentStep(MainWindow::DataStep);
        QCOMPARE(window.dataPage()->splitSeed(), quint64(7));
        QVERIFY(window.waitUntilIdle(60000));

        // The Data page's exclusions and validation share: in the session's config.
        QSignalSpy exclusionsChanged(session, &ProjectSession::exclusionsChanged);
        QCOMPARE(window.dataPage()->excludeAllUnusable(), 1);
        QCOMPARE(exclusionsChanged.count(), 1);
        QCOMPARE(session->exclusions(), QStringList({empty}));
        QCOMPARE(session->config().excludeFiles, std::vector<std::string>({empty.toStdString()}));
        child<QSpinBox>(*window.dataPage(), "valFraction")->setValue(30);
        QVERIFY(window.waitUntilIdle(60000));
        QCOMPARE(session->config().valFraction, 0.3);
        // What the window hands the trainer is the session's config.
        QCOMPARE(ts::train::toJson(window.currentConfig()).dump(), ts::train::toJson(session->config()).dump());
        // The Training page's epochs, too, without asking the page.
        child<QSpinBox>(*window.trainingPage(), "epochs")->setValue(3);
        QCOMPARE(session->config().epochs, 3);
    }

    void openAndSaveRoundTripThroughTheSession() {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("data"));
        const QString empty = writeDataset(data);
        const QString path = dir.filePath(QStringLiteral("p.tsproj"));
        std::string saved;
        {
            MainWindow first;
            first.dataPage()->setFolder(data);
            QVERIFY(first.waitUntilIdle(60000));
            first.dataPage()->excludeFiles({empty});
            child<QSpinBox>(*first.trainingPage(), "seed")->setValue(11);
            child<QSpinBox>(*first.trainingPage(), "batchSize")->setValue(8);
            QString error;
            QVERIFY2(first.saveProjectTo(path, &error), qPrintable(error));
            saved = ts::train::toJson(first.session()->config()).dump();
            // The file holds exactly the session's config.
            ts::ui::ProjectFile file;
            QVERIFY2(file.load(path, &error), qPrintable(error));
            QCOMPARE(ts::train::toJson(file.config).dump(), saved);
        }
        MainWindow second;
        QSignalSpy pathChanged(second.session(), &ProjectSession::projectPathChanged);
        QVERIFY(second.openPath(path));
        QVERIFY(second.waitUntilIdle(60000));
        QCOMPARE(pathChanged.count(), 1);
        QCOMPARE(second.session()->projectPath(), QFileInfo(path).absoluteFilePath());
        QCOMPARE(ts::train::toJson(second.session()->config()).dump(), saved);
        QCOMPARE(second.session()->config().seed, quint64(11));
        QCOMPARE(second.session()->config().batchSize, 8);
        QCOMPARE(second.session()->exclusions(), QStringList({empty}));
        // The pages show what the session holds.
        QCOMPARE(second.dataPage()->excludedFiles(), QStringList({empty}));
        QCOMPARE(second.dataPage()->splitSeed(), quint64(11));
        QCOMPARE(child<QSpinBox>(*second.trainingPage(), "batchSize")->value(), 8);
        // A new project: the defaults, no exclusions, no path.
        second.newProject();
        QVERIFY(second.waitUntilIdle(60000));
        QVERIFY(second.session()->projectPath().isEmpty());
        QCOMPARE(second.session()->config().seed, ts::train::TrainConfig{}.seed);
        QCOMPARE(second.session()->config().batchSize, ts::train::TrainConfig{}.batchSize);
        QVERIFY(second.session()->exclusions().isEmpty());
        QSettings().clear();
    }

    // A change on the Training page is in the session at once and reaches the
    // Layers page (its feature-cache statement); a change on the Layers page
    // reaches the Train page's readiness.
    void trainingAndLayersPagesMeetInTheSession() {
        QTemporaryDir dir;
        writeDataset(dir.path());
        MainWindow window;
        ProjectSession* session = window.session();
        window.dataPage()->setFolder(dir.path());
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn")));
        QVERIFY(window.waitUntilIdle(60000));
        QCOMPARE(session->backbone(), QStringLiteral("tiny_cnn"));
        QCOMPARE(window.layersPage()->arch(), QStringLiteral("tiny_cnn"));
        QCOMPARE(window.layersPage()->numClasses(), 2);
        window.layersPage()->setPreset(ts::ui::LayersPage::FeatureExtraction);
        QVERIFY(window.waitUntilIdle(60000));
        QSignalSpy once(session, &ProjectSession::configChanged);
        child<QSpinBox>(*window.trainingPage(), "epochs")->setValue(4);
        QCOMPARE(session->config().epochs, 4);
        QCOMPARE(once.count(), 1);  // one write; no page writes its widgets back
        child<QSpinBox>(*window.layersPage(), "headHidden")->setValue(64);
        QCOMPARE(once.count(), 2);
        QCOMPARE(session->config().headHiddenUnits, int64_t(64));
        child<QSpinBox>(*window.layersPage(), "headHidden")->setValue(0);
        QLabel* count = child<QLabel>(*window.layersPage(), "trainableCount");
        QVERIFY2(count->text().contains("cached") && !count->text().contains("not cached"), qPrintable(count->text()));
        child<QComboBox>(*window.trainingPage(), "augmentPreset")->setCurrentIndex(1);
        QVERIFY(!session->config().augment.isNone());
        QVERIFY2(count->text().contains("not cached"), qPrintable(count->text()));
        // tiny_cnn chose random weights: ready; a weights file that does not exist: not.
        QVERIFY2(window.trainPage()->notReadyReason().isEmpty(), qPrintable(window.trainPage()->notReadyReason()));
        const QString missing = dir.filePath(QStringLiteral("missing.pth"));
        window.layersPage()->setWeightsSource(ts::ui::LayersPage::WeightsFile, missing);
        QCOMPARE(QString::fromStdString(session->config().weightsFile), missing);
        QVERIFY2(window.trainPage()->notReadyReason().contains("missing.pth"), qPrintable(window.trainPage()->notReadyReason()));
        QVERIFY(!window.trainPage()->startButton()->isEnabled());
        window.layersPage()->setWeightsSource(ts::ui::LayersPage::RandomInit);
        QVERIFY(window.trainPage()->notReadyReason().isEmpty());
    }

    // A change made through the session (a project opened) shows in both pages' widgets.
    void aProjectOpenedShowsOnBothPages() {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("data"));
        writeDataset(data);
        ts::ui::ProjectFile project;
        ts::train::TrainConfig& c = project.config;
        c.dataDir = data.toStdString();
        c.arch = "tiny_cnn";
        c.pretrained = false;
        c.epochs = 23;
        c.lr = 0.004;
        c.seed = 5;
        c.augment.preset = ts::data::AugmentPreset::Standard;
        c.freeze = ts::train::FreezePreset::last(1);
        c.headHiddenUnits = 128;
        c.headDropout = 0.3;
        c.batchNormPolicy = ts::train::BatchNormPolicy::AllEval;
        c.stageLrMultipliers = {{"features.3", 0.25}};
        const QString path = dir.filePath(QStringLiteral("p.tsproj"));
        QString error;
        QVERIFY2(project.save(path, &error), qPrintable(error));
        MainWindow window;
        QVERIFY(window.openPath(path));
        QVERIFY(window.waitUntilIdle(60000));
        QCOMPARE(child<QSpinBox>(*window.trainingPage(), "epochs")->value(), 23);
        QCOMPARE(child<QDoubleSpinBox>(*window.trainingPage(), "learningRate")->value(), 0.004);
        QCOMPARE(child<QSpinBox>(*window.trainingPage(), "seed")->value(), 5);
        QCOMPARE(child<QComboBox>(*window.trainingPage(), "augmentPreset")->currentData().toString(), QStringLiteral("standard"));
        ts::ui::LayersPage* layers = window.layersPage();
        QCOMPARE(layers->arch(), QStringLiteral("tiny_cnn"));
        QCOMPARE(layers->preset(), ts::ui::LayersPage::FineTuneLast);
        QCOMPARE(child<QSpinBox>(*layers, "lastStages")->value(), 1);
        QCOMPARE(child<QSpinBox>(*layers, "headHidden")->value(), 128);
        QCOMPARE(child<QDoubleSpinBox>(*layers, "headDropout")->value(), 0.3);
        QCOMPARE(child<QComboBox>(*layers, "batchNormPolicy")->currentData().toString(), QStringLiteral("all-eval"));
        QCOMPARE(layers->weightsSource(), ts::ui::LayersPage::RandomInit);
        QCOMPARE(layers->stageLrMultiplier(QStringLiteral("features.3")), 0.25);
        QVERIFY(layers->tree()->topLevelItemCount() == 5);
        QCOMPARE(layers->tree()->topLevelItem(3)->checkState(0), Qt::Checked);
        QCOMPARE(layers->tree()->topLevelItem(2)->checkState(0), Qt::Unchecked);
        // Showing the project changed nothing in it.
        ts::train::TrainConfig expected = c;
        QCOMPARE(ts::train::toJson(window.session()->config()).dump(), ts::train::toJson(expected).dump());
        QSettings().clear();
    }

    // Every field edited on the Layers and Training pages survives save and open.
    void pagesEditsSurviveSaveAndOpen() {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("data"));
        writeDataset(data);
        const QString path = dir.filePath(QStringLiteral("edited.tsproj"));
        std::string saved;
        {
            MainWindow first;
            first.dataPage()->setFolder(data);
            QVERIFY(first.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn")));
            QVERIFY(first.waitUntilIdle(60000));
            ts::ui::LayersPage* layers = first.layersPage();
            layers->setPreset(ts::ui::LayersPage::FineTuneLast, 2);
            QVERIFY(first.waitUntilIdle(60000));
            QVERIFY(layers->setStageTrainable(QStringLiteral("features.0"), true));
            QVERIFY(layers->setStageLrMultiplier(QStringLiteral("features.2"), 0.3));
            child<QDoubleSpinBox>(*layers, "lrMultiplier")->setValue(0.5);
            child<QSpinBox>(*layers, "headHidden")->setValue(64);
            child<QDoubleSpinBox>(*layers, "headDropout")->setValue(0.35);
            child<QComboBox>(*layers, "batchNormPolicy")->setCurrentIndex(1);
            ts::ui::TrainingPage* training = first.trainingPage();
            child<QSpinBox>(*training, "epochs")->setValue(13);
            child<QSpinBox>(*training, "batchSize")->setValue(12);
            child<QDoubleSpinBox>(*training, "learningRate")->setValue(0.0025);
            child<QComboBox>(*training, "optimizer")->setCurrentIndex(2);
            child<QComboBox>(*training, "schedule")->setCurrentIndex(1);
            child<QComboBox>(*training, "augmentPreset")->setCurrentIndex(1);
            child<QSpinBox>(*training, "seed")->setValue(99);
            QVERIFY(first.waitUntilIdle(60000));
            const ts::train::TrainConfig& c = first.session()->config();
            QCOMPARE(QString::fromStdString(ts::train::toString(c.freeze)), QStringLiteral("last:2"));
            QVERIFY(c.trainStages == std::vector<std::string>{"features.0"});
            QCOMPARE(c.stageLrMultipliers.at("features.2"), 0.3);
            QCOMPARE(c.headHiddenUnits, int64_t(64));
            QVERIFY(c.optimizer == ts::train::OptimizerKind::SGD);
            QVERIFY(c.schedule == ts::train::ScheduleKind::Step);
            QCOMPARE(c.seed, quint64(99));
            QString error;
            QVERIFY2(first.saveProjectTo(path, &error), qPrintable(error));
            saved = ts::train::toJson(c).dump();
        }
        MainWindow second;
        QVERIFY(second.openPath(path));
        QVERIFY(second.waitUntilIdle(60000));
        QCOMPARE(ts::train::toJson(second.session()->config()).dump(), saved);
        QCOMPARE(child<QSpinBox>(*second.trainingPage(), "batchSize")->value(), 12);
        QCOMPARE(child<QComboBox>(*second.trainingPage(), "optimizer")->currentIndex(), 2);
        QCOMPARE(child<QSpinBox>(*second.layersPage(), "headHidden")->value(), 64);
        QCOMPARE(second.layersPage()->tree()->topLevelItem(0)->checkState(0), Qt::Checked);  // the override
        QCOMPARE(second.layersPage()->tree()->topLevelItem(1)->checkState(0), Qt::Unchecked);
        QCOMPARE(second.dataPage()->splitSeed(), quint64(99));
        QSettings().clear();
    }

    // The backbone: chosen once, a different one drops the stage choices (they
    // name the old one's stages), a version-1 project without one keeps it;
    // resetting the training settings keeps the backbone and its layers.
    void theChosenBackboneAndItsLayers() {
        ProjectSession session;
        QSignalSpy backbone(&session, &ProjectSession::backboneChanged);
        QVERIFY(session.backbone().isEmpty());
        session.chooseBackbone(QStringLiteral("tiny_cnn"), false);
        QCOMPARE(backbone.count(), 1);
        QCOMPARE(session.backbone(), QStringLiteral("tiny_cnn"));
        QVERIFY(!session.config().pretrained);  // no official weights: random initialisation
        session.editConfig([](ts::train::TrainConfig& c) {
            c.trainStages = {"features.1"};
            c.stageLrMultipliers = {{"features.2", 0.5}};
            c.headHiddenUnits = 32;
            c.epochs = 3;
            c.seed = 9;
            c.valFraction = 0.4;
        });
        session.chooseBackbone(QStringLiteral("tiny_cnn"), false);  // the same: nothing changes
        QCOMPARE(backbone.count(), 1);
        QCOMPARE(session.config().trainStages, std::vector<std::string>({"features.1"}));
        session.resetTrainingSettings();
        QCOMPARE(session.config().epochs, ts::train::TrainConfig{}.epochs);
        QCOMPARE(session.config().seed, ts::train::TrainConfig{}.seed);
        QCOMPARE(session.config().valFraction, ts::train::TrainConfig{}.valFraction);
        QCOMPARE(session.config().trainStages, std::vector<std::string>({"features.1"}));
        QCOMPARE(session.config().headHiddenUnits, int64_t(32));
        QCOMPARE(session.config().arch, std::string("tiny_cnn"));
        ts::ui::ProjectFile v1;
        v1.version = 1;
        v1.hasFullConfig = false;
        v1.hasBackbone = false;
        v1.config.dataDir = "/data/flowers";
        session.loadProjectFile(v1, QStringLiteral("/projects/old.tsproj"));
        QCOMPARE(session.backbone(), QStringLiteral("tiny_cnn"));
        QCOMPARE(session.config().dataDir, std::string("/data/flowers"));
        session.editConfig([](ts::train::TrainConfig& c) { c.trainStages = {"features.1"}; });
        session.chooseBackbone(QStringLiteral("resnet18"), true);
        QCOMPARE(backbone.count(), 2);
        QCOMPARE(session.config().arch, std::string("resnet18"));
        QVERIFY(session.config().trainStages.empty() && session.config().stageLrMultipliers.empty());
    }

    void runsAreRecorded() {
        ProjectSession session;
        QSignalSpy changed(&session, &ProjectSession::runChanged);
        session.setCurrentRun("/runs/a", {});
        session.setCurrentRun("/runs/a", "/runs/a/model.tsb");
        session.setCurrentRun("/runs/a", "/runs/a/model.tsb");  // no change, no signal
        session.setCurrentRun("/runs/b", "/runs/b/model.tsb");
        QCOMPARE(changed.count(), 3);
        QCOMPARE(session.runs(), QStringList({"/runs/a", "/runs/b"}));
        QCOMPARE(session.currentBundle(), QStringLiteral("/runs/b/model.tsb"));
        // An unchanged config is not news.
        QSignalSpy config(&session, &ProjectSession::configChanged);
        session.setConfig(session.config());
        session.editConfig([](ts::train::TrainConfig&) {});
        QCOMPARE(config.count(), 0);
        session.editConfig([](ts::train::TrainConfig& c) { c.epochs = 99; });
        QCOMPARE(config.count(), 1);
    }
};

QTEST_MAIN(SessionTest)
#include "test_ui_session.moc"
