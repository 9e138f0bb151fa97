// Slow (label gui;slow): the wizard on real photos. The hymenoptera images
// (ants vs bees) and the genuine ImageNet MobileNetV2 weights from the shared
// folder, feature extraction, 10 epochs: the validation accuracy must pass
// 0.9, and the curves, filters, feature maps and Grad-CAM must render.
// Skipped when the shared folder is absent (TS_SHARED_DIR overrides
// <source>/../shared). With TS_SCREENSHOT_DIR set, the pages of this run are
// saved there as PNGs, and the Experiments page after the three strategies
// (5 epochs, batch 32, 2 threads) as experiments.png.
#include "ui/main/Application.h"
#include "ui/main/MainWindow.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExperimentsPage.h"
#include "ui/pages/InsidePanel.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/models/ProjectSession.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/QCustomPlotWrapper.h"

#include <QDir>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QDoubleSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

using namespace ts::ui;

class TestReal : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        setApplicationIdentity();
        QSettings().clear();
    }

    void hymenopteraWithMobileNetV2() {
        const QString shared = qEnvironmentVariableIsSet("TS_SHARED_DIR")
                                   ? qEnvironmentVariable("TS_SHARED_DIR")
                                   : QStringLiteral(TS_SOURCE_DIR "/../shared");
        const QString data = QDir(shared).filePath(QStringLiteral("data/hymenoptera_data"));
        const QString weights = QDir(shared).filePath(QStringLiteral("weights/mobilenet_v2_imagenet.pth"));
        if (!QFileInfo::exists(data) || !QFileInfo::exists(weights)) QSKIP("the shared data and weights are absent");
        QTemporaryDir runs;
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.dataPage()->setFolder(data);
        QVERIFY(window.waitUntilIdle(120000));
        QCOMPARE(window.dataPage()->summary().classes, QStringList({"ants", "bees"}));
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("mobilenet_v2")));
        window.setCurrentStep(MainWindow::LayersStep);
        window.layersPage()->setWeightsSource(LayersPage::WeightsFile, weights);
        window.layersPage()->setPreset(LayersPage::FeatureExtraction);
        QVERIFY(window.waitUntilIdle(120000));
        QVERIFY(window.layersPage()->report().backboneFrozen);
        window.setCurrentStep(MainWindow::TrainingStep);
        window.trainingPage()->epochsBox()->setValue(10);
        window.trainingPage()->lrBox()->setValue(1e-3);
        window.trainPage()->setRunsRoot(runs.path());
        window.setCurrentStep(MainWindow::TrainStep);
        QVERIFY(window.trainAndWait(900000));
        const auto& epochs = window.trainPage()->epochs();
        QCOMPARE(epochs.size(), 10);
        double best = 0;
        for (const auto& e : epochs) best = qMax(best, e.valAccuracy);
        qInfo("best validation accuracy %.3f", best);
        QVERIFY2(best > 0.9, qPrintable(QString::number(best)));
        QCOMPARE(window.trainPage()->accuracyPlot()->model()->pointCount(QStringLiteral("val accuracy")), 10);

        window.setCurrentStep(MainWindow::InspectStep);
        QVERIFY(window.waitUntilIdle(300000));
        QCOMPARE(window.inspectPage()->confusionTable()->rowCount(), 2);
        InsidePanel* inside = window.inspectPage()->insidePanel();
        inside->setImage(QDir(data).filePath(QStringLiteral("val/bees/") +
                                             QDir(QDir(data).filePath(QStringLiteral("val/bees")))
                                                 .entryList({"*.jpg"}, QDir::Files, QDir::Name)
                                                 .first()));
        for (InsidePanel::View view : {InsidePanel::Filters, InsidePanel::FeatureMaps, InsidePanel::GradCam}) {
            inside->setView(view);
            inside->refresh();
            QVERIFY(window.waitUntilIdle(120000));
            QVERIFY2(inside->current().error.isEmpty(), qPrintable(inside->current().error));
            QVERIFY(!inside->current().image.isNull());
        }
        const QString shots = qEnvironmentVariable("TS_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            QString error;
            const QStringList files = window.saveScreenshots(shots, &error);
            QVERIFY2(error.isEmpty(), qPrintable(error));
            QVERIFY(files.size() >= 7);
        }
    }

    // The three strategies (feature extraction without / with augmentation,
    // last:2 fine-tuning) from the Experiments page, then the three runs
    // selected: their curves overlaid and their settings compared.
    void threeStrategiesOnHymenoptera() {
        const QString shared = qEnvironmentVariableIsSet("TS_SHARED_DIR")
                                   ? qEnvironmentVariable("TS_SHARED_DIR")
                                   : QStringLiteral(TS_SOURCE_DIR "/../shared");
        const QString data = QDir(shared).filePath(QStringLiteral("data/hymenoptera_data"));
        const QString weights = QDir(shared).filePath(QStringLiteral("weights/mobilenet_v2_imagenet.pth"));
        if (!QFileInfo::exists(data) || !QFileInfo::exists(weights)) QSKIP("the shared data and weights are absent");
        QTemporaryDir runs;
        MainWindow window;
        window.resize(1400, 900);
        window.show();
        window.trainPage()->setRunsRoot(runs.path());
        window.dataPage()->setFolder(data);
        QVERIFY(window.waitUntilIdle(120000));
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("mobilenet_v2")));
        window.setCurrentStep(MainWindow::LayersStep);
        window.layersPage()->setWeightsSource(LayersPage::WeightsFile, weights);
        window.layersPage()->setPreset(LayersPage::FeatureExtraction);
        QVERIFY(window.waitUntilIdle(120000));
        window.session()->editConfig([](ts::train::TrainConfig& c) {
            c.epochs = 5;
            c.lr = 1e-3;
            c.batchSize = 32;
            c.threads = 2;
        });
        window.setCurrentStep(MainWindow::ExperimentsStep);
        ExperimentsPage* page = window.experimentsPage();
        page->refreshRuns();
        QVERIFY(window.waitUntilIdle(60000));
        page->strategiesButton()->setChecked(true);
        QCOMPARE(page->plan().trials.size(), 3);
        QVERIFY(page->runExperiment());
        QTRY_VERIFY_WITH_TIMEOUT(!page->isRunning(), 1100000);
        QVERIFY(window.waitUntilIdle(60000));
        QStringList trials;
        for (const RunRow& r : page->rows())
            if (r.experimentDir == QFileInfo(page->experimentDir()).absoluteFilePath()) {
                QCOMPARE(r.trialStatus, QStringLiteral("finished"));
                QCOMPARE(r.epochsDone, 5);
                qInfo("%s %s: best val accuracy %.3f, %.0f s", qPrintable(r.trialId), qPrintable(r.params),
                      r.bestValAccuracy, r.seconds);
                trials << r.runDir;
            }
        QCOMPARE(trials.size(), 3);
        page->selectRuns(trials);
        QCOMPARE(page->overlayPlot()->plot()->graphCount(), 3);
        QVERIFY(page->diffTable()->rowCount() >= 2);  // freeze, augment.preset, lr
        QCoreApplication::processEvents();
        const QString shots = qEnvironmentVariable("TS_SCREENSHOT_DIR");
        if (!shots.isEmpty()) {
            QDir().mkpath(shots);
            QVERIFY(window.grab().save(QDir(shots).filePath(QStringLiteral("experiments.png")), "PNG"));
        }
    }
};

QTEST_MAIN(TestReal)
#include "test_ui_real.moc"
