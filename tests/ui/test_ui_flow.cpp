// The whole wizard, driven through the real main window on a tiny generated
// dataset: choose the folder, pick tiny_cnn (generated random weights), apply
// a freeze preset, train two epochs, then check the curves, the accuracy
// label, the inspection views, predictions and the export. Also: closing the
// window during training, and the UI thread's responsiveness while training.
#include "ui/main/Application.h"
#include "ui/main/DemoProject.h"
#include "ui/main/MainWindow.h"
#include "ui/models/BundleCache.h"
#include "ui/models/VizBridge.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExportPage.h"
#include "ui/pages/InsidePanel.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/QCustomPlotWrapper.h"

#include <QDir>
#include <QElapsedTimer>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QSettings>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>

using namespace ts::ui;

namespace {

// Fraction of pixels that differ from the first one: 0 for a blank image.
double nonBlankFraction(const QImage& image) {
    if (image.isNull()) return 0;
    const QImage img = image.convertToFormat(QImage::Format_RGB32);
    const QRgb first = img.pixel(0, 0);
    qint64 differ = 0;
    for (int y = 0; y < img.height(); ++y)
        for (int x = 0; x < img.width(); ++x) differ += img.pixel(x, y) != first;
    return double(differ) / double(img.width() * img.height());
}

} // namespace

class TestFlow : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_data;

    void openTinyProject(MainWindow& window, int epochs) {
        window.dataPage()->setFolder(m_data);
        QVERIFY(window.waitUntilIdle(60000));
        QVERIFY(window.dataPage()->summary().isValid());
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn")));
        window.setCurrentStep(MainWindow::LayersStep);
        window.layersPage()->setWeightsSource(LayersPage::RandomInit);
        window.layersPage()->setPreset(LayersPage::TrainEverything);
        QVERIFY(window.waitUntilIdle(60000));
        QVERIFY(window.layersPage()->report().error.isEmpty());
        QCOMPARE(window.layersPage()->report().arch, QStringLiteral("tiny_cnn"));
        window.setCurrentStep(MainWindow::TrainingStep);
        window.trainingPage()->epochsBox()->setValue(epochs);
        window.trainingPage()->lrBox()->setValue(0.003);
        window.trainPage()->setRunsRoot(m_dir.filePath(QStringLiteral("runs")));
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        setApplicationIdentity();
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_data = m_dir.filePath(QStringLiteral("shapes"));
        DemoOptions options;
        options.imagesPerClass = 16;
        options.sizePx = 64;
        QString error;
        QVERIFY2(generateDemoDataset(m_data, options, &error), qPrintable(error));
    }

    void wholeFlow() {
        const int bundleLoadsBefore = ts::ui::BundleLease::loads();
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        openTinyProject(window, 2);
        if (QTest::currentTestFailed()) return;
        const ts::train::TrainConfig config = window.currentConfig();
        QCOMPARE(QString::fromStdString(config.arch), QStringLiteral("tiny_cnn"));
        QCOMPARE(QString::fromStdString(ts::train::toString(config.freeze)), QStringLiteral("none"));
        QCOMPARE(QString::fromStdString(config.dataDir), m_data);
        QCOMPARE(config.epochs, 2);

        TrainPage* train = window.trainPage();
        const QString accuracyBefore = train->accuracyLabel()->text();
        window.setCurrentStep(MainWindow::TrainStep);
        QSignalSpy finished(train, &TrainPage::runFinished);
        const QString pinned = QDir(m_data).filePath(QStringLiteral("triangle/triangle-003.png"));
        QVERIFY(QFileInfo::exists(pinned));
        train->pinProbe(pinned);
        QVERIFY(window.trainAndWait(240000));
        QCOMPARE(finished.count(), 1);
        QCOMPARE(train->epochs().size(), 2);
        // Probes: the pinned image, then the first validation image of each
        // class, predicted and explained with the weights of the last epoch.
        QCOMPARE(train->probesEpoch(), 2);
        QCOMPARE(train->probes().size(), 4);
        QCOMPARE(train->probes().first().file, QFileInfo(pinned).absoluteFilePath());
        QVERIFY(train->probes().first().pinned);
        QCOMPARE(train->probes().first().truth, QStringLiteral("triangle"));
        QStringList probeTruths;
        for (int i = 0; i < train->probes().size(); ++i) {
            const ProbeResult& p = train->probes()[i];
            QVERIFY2(p.error.isEmpty(), qPrintable(p.error));
            QVERIFY(!p.predicted.isEmpty());
            QVERIFY(p.probability > 0 && p.probability <= 1);
            QVERIFY(!p.overlay.isNull());
            QVERIFY(p.overlay.width() <= 112 && p.overlay.height() <= 112);
            if (i > 0) probeTruths << p.truth;
            // Not a blank picture: the overlay has more than one colour.
            QSet<QRgb> colours;
            for (int y = 0; y < p.overlay.height(); y += 4)
                for (int x = 0; x < p.overlay.width(); x += 4) colours.insert(p.overlay.pixel(x, y));
            QVERIFY(colours.size() > 4);
            // Shown on the page.
            auto* image = train->probeStrip()->findChild<QLabel*>(QStringLiteral("probeImage%1").arg(i));
            auto* label = train->probeStrip()->findChild<QLabel*>(QStringLiteral("probeLabel%1").arg(i));
            QVERIFY(image && label);
            QVERIFY(!image->pixmap().isNull());
            QVERIFY(label->text().contains(p.predicted));
        }
        probeTruths.sort();
        QCOMPARE(probeTruths, QStringList({QStringLiteral("circle"), QStringLiteral("square"), QStringLiteral("triangle")}));
        // Curves hold points (per batch and per epoch) and are drawn.
        QVERIFY(train->lossPlot()->model()->pointCount(QStringLiteral("batch loss")) >= 2);
        QCOMPARE(train->lossPlot()->model()->pointCount(QStringLiteral("train loss")), 2);
        QCOMPARE(train->lossPlot()->model()->pointCount(QStringLiteral("val loss")), 2);
        QCOMPARE(train->accuracyPlot()->model()->pointCount(QStringLiteral("val accuracy")), 2);
        QVERIFY(train->lrPlot()->model()->pointCount(QStringLiteral("learning rate")) >= 2);
        QTRY_COMPARE_WITH_TIMEOUT(train->accuracyPlot()->plot()->graph(1)->dataCount(), 2, 2000);
        QVERIFY(train->accuracyLabel()->text() != accuracyBefore);
        QVERIFY(train->accuracyLabel()->text().contains(QLatin1Char('%')));
        QVERIFY(!train->log()->toPlainText().isEmpty());
        QVERIFY(QFileInfo::exists(train->bundlePath()));

        // Inspect: the confusion matrix has one row and column per class.
        InspectPage* inspect = window.inspectPage();
        window.setCurrentStep(MainWindow::InspectStep);
        QVERIFY(window.waitUntilIdle(120000));
        QCOMPARE(inspect->confusionTable()->rowCount(), 3);
        QCOMPARE(inspect->confusionTable()->columnCount(), 3);
        qint64 cells = 0;
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) cells += inspect->confusionTable()->item(r, c)->text().toLongLong();
        QCOMPARE(cells, qint64(inspect->validationPredictions().size()));
        QVERIFY(!inspect->validationPredictions().isEmpty());
        // A cell opens the images behind it.
        const auto& preds = inspect->validationPredictions();
        const int truth = preds.first().truth, predicted = preds.first().predicted;
        inspect->showCell(truth, predicted);
        QCOMPARE(inspect->gallery()->count(),
                 int(std::count_if(preds.begin(), preds.end(), [&](const ImagePrediction& p) {
                     return p.truth == truth && p.predicted == predicted;
                 })));
        // Predict on dropped images.
        inspect->predict({QDir(m_data).filePath(QStringLiteral("square/square-000.png"))});
        QVERIFY(window.waitUntilIdle(60000));
        QCOMPARE(inspect->predictions()->count(), 1);

        // Inside the network: filters and feature maps.
        InsidePanel* inside = inspect->insidePanel();
        QString vizError;
        const bool vizBuilt = !vizLayers(train->bundlePath(), &vizError).isEmpty();
        if (vizBuilt) {
            inside->setView(InsidePanel::Filters);
            inside->refresh();
            QVERIFY(window.waitUntilIdle(60000));
            QVERIFY2(inside->current().error.isEmpty(), qPrintable(inside->current().error));
            QVERIFY(nonBlankFraction(inside->current().image) > 0.05);
            QVERIFY(!inside->current().cells.isEmpty());
            inside->setImage(QDir(m_data).filePath(QStringLiteral("circle/circle-001.png")));
            inside->setView(InsidePanel::FeatureMaps);
            QVERIFY(window.waitUntilIdle(60000));
            QVERIFY2(inside->current().error.isEmpty(), qPrintable(inside->current().error));
            QVERIFY(nonBlankFraction(inside->current().image) > 0.05);
            inside->setView(InsidePanel::GradCam);
            QVERIFY(window.waitUntilIdle(60000));
            QVERIFY2(inside->current().error.isEmpty(), qPrintable(inside->current().error));
            QVERIFY(nonBlankFraction(inside->current().image) > 0.05);
            // Saliency (SmoothGrad) of the same image, and activation
            // maximisation of a channel of the view's default layer.
            QSignalSpy ready(inside, &InsidePanel::viewReady);
            inside->setView(InsidePanel::Saliency);
            QVERIFY(window.waitUntilIdle(120000));
            QVERIFY(ready.count() >= 1);
            QVERIFY2(inside->current().error.isEmpty(), qPrintable(inside->current().error));
            QVERIFY(inside->current().caption.contains(QStringLiteral("Saliency")));
            QVERIFY(nonBlankFraction(inside->current().image) > 0.05);
            inside->setView(InsidePanel::Maximize);
            inside->refresh();
            QVERIFY(window.waitUntilIdle(180000));
            QVERIFY2(inside->current().error.isEmpty(), qPrintable(inside->current().error));
            QVERIFY2(inside->current().caption.contains(QStringLiteral("looks for")), qPrintable(inside->current().caption));
            QVERIFY(nonBlankFraction(inside->current().image) > 0.05);
        } else {
            qWarning("core/viz is not built into this version: %s", qPrintable(vizError));
        }

        // Export writes a file.
        ExportPage* exporter = window.exportPage();
        window.setCurrentStep(MainWindow::ExportStep);
        exporter->setTargetFolder(m_dir.filePath(QStringLiteral("exports")));
        QVERIFY(exporter->setFormatEnabled(QStringLiteral("onnx"), true));
        QVERIFY(exporter->startExport());
        QVERIFY(window.waitUntilIdle(120000));
        QVERIFY(!exporter->outcomes().isEmpty());
        for (const ExportOutcome& o : exporter->outcomes()) {
            QVERIFY2(o.error.isEmpty(), qPrintable(o.error));
            QVERIFY(QFileInfo(o.path).size() > 0);
        }
        QCOMPARE(exporter->outcomes().size(), 2);
        const QString base = m_dir.filePath(QStringLiteral("exports/") + QFileInfo(train->runDir()).fileName());
        QVERIFY(QFileInfo::exists(base + ".tsb"));
        QVERIFY(QFileInfo::exists(base + ".onnx"));
        // The ONNX file was run in OpenCV next to the model: they agree.
        for (const ExportOutcome& o : exporter->outcomes()) {
            if (o.format != QLatin1String("onnx")) continue;
            QVERIFY2(o.roundTripPassed, qPrintable(o.roundTrip));
        }
        // Inspect, the views inside and the exports shared one loaded model.tsb.
        QCOMPARE(ts::ui::BundleLease::loads() - bundleLoadsBefore, 1);
    }

    void closingDuringTrainingAsksAndStops() {
        auto* window = new MainWindow;
        window->show();
        openTinyProject(*window, 200);
        if (QTest::currentTestFailed()) return;
        window->setCurrentStep(MainWindow::TrainStep);
        QStringList asked;
        bool answer = false;
        window->setStopConfirmation([&](const QString& q) {
            asked << q;
            return answer;
        });
        QVERIFY(window->trainPage()->start());
        QTRY_VERIFY_WITH_TIMEOUT(window->trainPage()->lossPlot()->model()->pointCount(QStringLiteral("batch loss")) > 0,
                                 60000);
        // "No": the window stays and training goes on.
        QVERIFY(!window->close());
        QCOMPARE(asked.size(), 1);
        QVERIFY(window->isTraining());
        // "Yes": cancelled and joined promptly.
        answer = true;
        QElapsedTimer timer;
        timer.start();
        QVERIFY(window->close());
        QCOMPARE(asked.size(), 2);
        QVERIFY(!window->isTraining());
        QVERIFY2(timer.elapsed() < 15000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(window->trainPage()->lastResult().cancelled);
        delete window;  // joins the worker threads
    }

    void leavingTheTrainPageAsks() {
        MainWindow window;
        window.show();
        openTinyProject(window, 200);
        if (QTest::currentTestFailed()) return;
        window.setCurrentStep(MainWindow::TrainStep);
        int asked = 0;
        window.setStopConfirmation([&](const QString&) { return ++asked > 1; });
        QVERIFY(window.trainPage()->start());
        QTRY_VERIFY_WITH_TIMEOUT(window.trainPage()->lossPlot()->model()->pointCount(QStringLiteral("batch loss")) > 0,
                                 60000);
        window.setCurrentStep(MainWindow::InspectStep);  // "No": keeps training
        QCOMPARE(asked, 1);
        QVERIFY(window.isTraining());
        window.setCurrentStep(MainWindow::TrainStep);
        window.setCurrentStep(MainWindow::DataStep);  // "Yes": stops
        QCOMPARE(asked, 2);
        QVERIFY(!window.isTraining());
    }

    void uiStaysResponsiveWhileTraining() {
        MainWindow window;
        window.show();
        openTinyProject(window, 200);
        if (QTest::currentTestFailed()) return;
        // Augmentation on: no feature cache, every batch runs the whole network.
        window.trainingPage()->augmentBox()->setCurrentIndex(1);
        window.setCurrentStep(MainWindow::TrainStep);
        window.setStopConfirmation([](const QString&) { return true; });
        QVERIFY(window.trainPage()->start());
        QTRY_VERIFY_WITH_TIMEOUT(window.trainPage()->lossPlot()->model()->pointCount(QStringLiteral("batch loss")) > 0,
                                 60000);
        // A timer that should fire every 5 ms on the UI thread; the gaps between
        // its ticks are the event loop's stalls (events, replots, layouts).
        QVector<qint64> gapsUs;
        QElapsedTimer clock;
        clock.start();
        qint64 last = clock.nsecsElapsed();
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(5);
        connect(&probe, &QTimer::timeout, [&] {
            const qint64 now = clock.nsecsElapsed();
            gapsUs << (now - last) / 1000;
            last = now;
        });
        probe.start();
        const int batchesBefore = window.trainPage()->lossPlot()->model()->pointCount(QStringLiteral("batch loss"));
        QTest::qWait(4000);
        probe.stop();
        const int batchesAfter = window.trainPage()->lossPlot()->model()->pointCount(QStringLiteral("batch loss"));
        QVERIFY(window.isTraining());
        QVERIFY2(batchesAfter > batchesBefore, "training made progress during the probe");
        QVERIFY(window.trainPage()->stopAndWait());
        std::sort(gapsUs.begin(), gapsUs.end());
        QVERIFY(gapsUs.size() > 100);
        const qint64 p99 = gapsUs[int(gapsUs.size() * 0.99)];
        const qint64 worst = gapsUs.last();
        qInfo("UI-thread timer gaps over %d ticks: median %lld us, p99 %lld us, max %lld us", int(gapsUs.size()),
              gapsUs[gapsUs.size() / 2], p99, worst);
        // The goal is no stall over 50 ms. On a shared CI box the scheduler
        // alone can delay one tick, so the 99th percentile must meet it and
        // the single worst gap may not exceed it by more than a scheduler slice.
        QVERIFY2(p99 < 50000, qPrintable(QStringLiteral("p99 gap %1 us").arg(p99)));
        QVERIFY2(worst < 150000, qPrintable(QStringLiteral("worst gap %1 us").arg(worst)));
    }
};

QTEST_MAIN(TestFlow)
#include "test_ui_flow.moc"
