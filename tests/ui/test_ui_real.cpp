// Slow (label gui;slow): the wizard on real photos. The hymenoptera images
// (ants vs bees) and the genuine ImageNet MobileNetV2 weights from the shared
// folder, feature extraction, 10 epochs: the validation accuracy must pass
// 0.9, and the curves, filters, feature maps and Grad-CAM must render.
// Skipped when the shared folder is absent (TS_SHARED_DIR overrides
// <source>/../shared). With TS_SCREENSHOT_DIR set, the pages of this run are
// saved there as PNGs.
#include "ui/main/Application.h"
#include "ui/main/MainWindow.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/InsidePanel.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/widgets/CurvePlot.h"

#include <QDir>
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
};

QTEST_MAIN(TestReal)
#include "test_ui_real.moc"
