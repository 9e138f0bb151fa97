// The wizard's later pages on their own: Layers (freeze presets, stage
// overrides, live trainable count), Training (config round trip, schedule
// preview, augmentation preview), the curve plot's batched drawing, the
// confusion-matrix heatmap and the Export page before a run.
#include "ui/main/Application.h"
#include "ui/main/DemoProject.h"
#include "ui/models/ProjectSession.h"
#include "ui/pages/ExportPage.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/QCustomPlotWrapper.h"

#include <QAbstractSpinBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QSpinBox>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTreeWidget>
#include <QtTest>

#include <nlohmann/json.hpp>

#include "UiTestSupport.h"

using namespace ts::ui;
using ts::uitest::useModel;

class TestPages : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        setApplicationIdentity();
        QSettings().clear();
    }

    void layersPresetsChangeTheTrainableCount() {
        ProjectSession session;
        LayersPage page(session);
        useModel(session, QStringLiteral("tiny_cnn"), 3);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        QVERIFY2(page.report().error.isEmpty(), qPrintable(page.report().error));
        QCOMPARE(page.tree()->topLevelItemCount(), 5);  // features.0-3 and the head
        const qint64 total = page.report().trainable + page.report().frozen;
        QVERIFY(total > 0);

        page.setPreset(LayersPage::FeatureExtraction);
        const qint64 headOnly = page.trainableParams();
        QVERIFY(page.report().backboneFrozen);
        QVERIFY(headOnly > 0 && headOnly < total);
        QCOMPARE(page.tree()->topLevelItem(0)->checkState(0), Qt::Unchecked);
        QCOMPARE(page.tree()->topLevelItem(4)->checkState(0), Qt::Checked);

        page.setPreset(LayersPage::FineTuneLast, 1);
        const qint64 lastOne = page.trainableParams();
        QVERIFY(lastOne > headOnly);
        QCOMPARE(page.tree()->topLevelItem(3)->checkState(0), Qt::Checked);
        QCOMPARE(page.tree()->topLevelItem(2)->checkState(0), Qt::Unchecked);

        page.setPreset(LayersPage::TrainEverything);
        QCOMPARE(page.trainableParams(), total);
        QVERIFY(page.countLabel()->text().contains(QStringLiteral("100.0%")));

        // A stage's box overrides the preset, and the count follows.
        QSignalSpy changed(&page, &LayersPage::planChanged);
        page.setPreset(LayersPage::FeatureExtraction);
        QVERIFY(page.setStageTrainable(QStringLiteral("features.2"), true));
        QVERIFY(changed.count() >= 2);
        QVERIFY(page.trainableParams() > headOnly);
        // Every choice is in the session at once.
        ts::train::TrainConfig config = session.config();
        QCOMPARE(QString::fromStdString(ts::train::toString(config.freeze)), QStringLiteral("feature-extraction"));
        QVERIFY(config.trainStages == std::vector<std::string>{"features.2"});
        QVERIFY(!page.setStageTrainable(QStringLiteral("no.such.stage"), true));

        // Round trip through a config.
        config.freeze = ts::train::FreezePreset::last(2);
        config.trainStages.clear();
        config.backboneLrMultiplier = 0.1;
        config.batchNormPolicy = ts::train::BatchNormPolicy::AllEval;
        ProjectSession otherSession;
        LayersPage other(otherSession);
        useModel(otherSession, QStringLiteral("tiny_cnn"), 3);
        otherSession.setConfig(config);
        QTRY_VERIFY_WITH_TIMEOUT(!other.isBusy(), 60000);
        // The widgets show the session's config...
        QCOMPARE(other.preset(), LayersPage::FineTuneLast);
        QCOMPARE(other.findChild<QSpinBox*>(QStringLiteral("lastStages"))->value(), 2);
        QCOMPARE(other.findChild<QDoubleSpinBox*>(QStringLiteral("lrMultiplier"))->value(), 0.1);
        QCOMPARE(other.findChild<QComboBox*>(QStringLiteral("batchNormPolicy"))->currentIndex(), 1);
        QCOMPARE(other.tree()->topLevelItem(2)->checkState(0), Qt::Checked);  // last 2: features.2, features.3
        // ...and showing it wrote nothing back.
        const ts::train::TrainConfig back = otherSession.config();
        QCOMPARE(QString::fromStdString(ts::train::toString(back.freeze)), QStringLiteral("last:2"));
        QCOMPARE(back.backboneLrMultiplier, 0.1);
        QCOMPARE(QString::fromStdString(ts::train::toString(back.batchNormPolicy)), QStringLiteral("all-eval"));
        QCOMPARE(QString::fromStdString(ts::train::toJson(back).dump()), QString::fromStdString(ts::train::toJson(config).dump()));
        QCOMPARE(QString::fromStdString(ts::train::toString(session.config().batchNormPolicy)), QStringLiteral("frozen-eval"));
    }

    void layersBuildsLargeModelsOffTheUiThread() {
        ProjectSession session;
        LayersPage page(session);
        page.show();
        useModel(session, QStringLiteral("tiny_cnn"), 2);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        // A large backbone is built on the worker: setModel returns at once
        // with a busy indicator, and the tree follows when it is built.
        QElapsedTimer timer;
        timer.start();
        useModel(session, QStringLiteral("resnet50"), 2);
        QVERIFY2(timer.elapsed() < 250, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(page.isBusy());
        QVERIFY(page.busyIndicator()->isVisible());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 120000);
        QVERIFY(!page.busyIndicator()->isVisible());
        QVERIFY2(page.report().error.isEmpty(), qPrintable(page.report().error));
        QCOMPARE(page.report().arch, QStringLiteral("resnet50"));
        QVERIFY(page.tree()->topLevelItemCount() > 4);
        const qint64 resnetTotal = page.report().trainable + page.report().frozen;
        QVERIFY(resnetTotal > 20000000);
        // Each architecture stays cached: going back and forth builds nothing.
        useModel(session, QStringLiteral("tiny_cnn"), 2);
        QVERIFY(!page.isBusy());
        QCOMPARE(page.report().arch, QStringLiteral("tiny_cnn"));
        useModel(session, QStringLiteral("resnet50"), 2);
        QVERIFY(!page.isBusy());
        QCOMPARE(page.report().trainable + page.report().frozen, resnetTotal);
    }

    void layersExplainsWeights() {
        ProjectSession session;
        LayersPage page(session);
        useModel(session, QStringLiteral("tiny_cnn"), 2);
        // tiny_cnn has no official weights: random initialisation is chosen.
        QCOMPARE(page.weightsSource(), LayersPage::RandomInit);
        QVERIFY(!session.config().pretrained);
        useModel(session, QStringLiteral("resnet18"), 2);
        page.setWeightsSource(LayersPage::OfficialWeights);
        bool explained = false;
        for (QLabel* label : page.findChildren<QLabel*>())
            explained |= label->text().contains(QStringLiteral("download")) || label->text().contains(QStringLiteral("Cached"));
        QVERIFY(explained);
        page.setWeightsSource(LayersPage::WeightsFile, QStringLiteral("/tmp/w.pth"));
        QCOMPARE(QString::fromStdString(session.config().weightsFile), QStringLiteral("/tmp/w.pth"));
        QVERIFY(session.config().pretrained);
        // Typing a file name writes it as it is typed; "a weights file" with
        // no name yet stays chosen on the page (the config says official weights).
        auto* file = page.findChild<QLineEdit*>(QStringLiteral("weightsFile"));
        file->clear();
        QCOMPARE(page.weightsSource(), LayersPage::WeightsFile);
        QVERIFY(session.config().weightsFile.empty() && session.config().pretrained);
        QTest::keyClicks(file, QStringLiteral("/tmp/v.pth"));
        QCOMPARE(QString::fromStdString(session.config().weightsFile), QStringLiteral("/tmp/v.pth"));
        QCOMPARE(file->text(), QStringLiteral("/tmp/v.pth"));
    }

    void trainingPageEditsTheConfigAndPreviews() {
        QTemporaryDir dir;
        QString error;
        DemoOptions options;
        options.imagesPerClass = 2;
        QVERIFY2(generateDemoDataset(dir.path(), options, &error), qPrintable(error));
        ProjectSession session;
        session.editConfig([](ts::train::TrainConfig& c) { c.arch = "tiny_cnn"; });
        TrainingPage page(session);
        // 100 training images (the session's dataset: 2 classes x 50).
        ts::ui::DatasetSummary summary;
        summary.root = dir.path();
        summary.classes = QStringList{"circle", "square"};
        summary.trainCounts = {50, 50};
        summary.valCounts = {0, 0};
        summary.testCounts = {0, 0};
        session.setDataset(summary);
        // The page looks for a preview image of the dataset itself.
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 30000);
        QVERIFY2(page.previewImage().startsWith(dir.path()), qPrintable(page.previewImage()));
        page.setPreviewImage(QDir(dir.path()).filePath(QStringLiteral("circle/circle-000.png")));
        page.updatePreviews();
        // Schedule preview: constant by default, one point per step (4 steps x 10 epochs) and the end.
        CurveModel* schedule = page.schedulePlot()->model();
        QVERIFY(schedule->series(0).points.size() >= 40);
        QCOMPARE(schedule->series(0).points.first().y(), 1e-3);
        QCOMPARE(schedule->series(0).points.last().y(), 1e-3);
        auto* scheduleBox = page.findChild<QComboBox*>(QStringLiteral("schedule"));
        scheduleBox->setCurrentIndex(scheduleBox->findData(QStringLiteral("cosine")));
        page.updatePreviews();
        QVERIFY(schedule->series(0).points.last().y() < 1e-4);
        // Augmentation off: eight identical center crops; standard: they differ.
        QCOMPARE(page.augmentPreview()->count(), 8);
        const QImage a = page.augmentPreview()->item(0)->icon().pixmap(96).toImage();
        const QImage b = page.augmentPreview()->item(1)->icon().pixmap(96).toImage();
        QCOMPARE(a, b);
        page.augmentBox()->setCurrentIndex(1);
        page.updatePreviews();
        QCOMPARE(page.augmentPreview()->count(), 8);
        QVERIFY(page.augmentPreview()->item(0)->icon().pixmap(96).toImage() !=
                page.augmentPreview()->item(1)->icon().pixmap(96).toImage());

        // Typing: each value is in the session as it is typed, and the box's text is left alone.
        page.show();
        page.lrBox()->setFocus();
        page.lrBox()->selectAll();
        QTest::keyClicks(page.lrBox(), QStringLiteral("0.0025"));
        QCOMPARE(session.config().lr, 0.0025);
        auto* lrEdit = page.lrBox()->findChild<QLineEdit*>();
        QCOMPARE(lrEdit->text(), QStringLiteral("0.0025"));
        QCOMPARE(lrEdit->cursorPosition(), 6);
        page.epochsBox()->setValue(3);
        page.lrBox()->setValue(0.01);
        // Each change is in the session at once.
        const ts::train::TrainConfig config = session.config();
        QCOMPARE(config.epochs, 3);
        QCOMPARE(config.lr, 0.01);
        QVERIFY(config.schedule == ts::train::ScheduleKind::Cosine);
        QCOMPARE(QString::fromStdString(ts::train::toString(config.augment.preset)), QStringLiteral("standard"));
        // Another session's config shows on a page over it, and showing it writes nothing back.
        ProjectSession otherSession;
        TrainingPage other(otherSession);
        otherSession.setConfig(config);
        QCOMPARE(other.epochsBox()->value(), 3);
        QCOMPARE(other.lrBox()->value(), 0.01);
        QCOMPARE(other.findChild<QComboBox*>(QStringLiteral("schedule"))->currentData().toString(), QStringLiteral("cosine"));
        QCOMPARE(other.augmentBox()->currentIndex(), 1);
        QCOMPARE(QString::fromStdString(ts::train::toJson(otherSession.config()).dump()),
                 QString::fromStdString(ts::train::toJson(config).dump()));
        // Reset to defaults: this page's fields, from TrainConfig{}.
        other.resetButton()->click();
        QCOMPARE(other.epochsBox()->value(), ts::train::TrainConfig{}.epochs);
        QCOMPARE(otherSession.config().epochs, ts::train::TrainConfig{}.epochs);
        QCOMPARE(otherSession.config().lr, ts::train::TrainConfig{}.lr);
        QCOMPARE(otherSession.config().arch, std::string("tiny_cnn"));  // not this page's
        // Every field explains itself.
        for (QWidget* w : page.findChildren<QAbstractSpinBox*>()) QVERIFY2(!w->toolTip().isEmpty(), qPrintable(w->objectName()));
    }

    void lrFinderCurveGrowsWhileItRuns() {
        QTemporaryDir dir;
        QString error;
        DemoOptions options;
        options.imagesPerClass = 12;
        QVERIFY2(generateDemoDataset(dir.path(), options, &error), qPrintable(error));
        ProjectSession session;
        const QString data = dir.path();
        session.editConfig([data](ts::train::TrainConfig& c) {
            c.arch = "tiny_cnn";
            c.pretrained = false;
            c.dataDir = data.toStdString();
            c.batchSize = 4;
        });
        TrainingPage page(session);
        int whileBusy = 0;
        QVector<double> rates;
        connect(&page, &TrainingPage::lrFinderStep, &page, [&](int step, double lr, double) {
            if (page.isBusy()) ++whileBusy;
            QCOMPARE(step, rates.size() + 1);
            rates << lr;
        });
        QSignalSpy done(&page, &TrainingPage::lrFinderDone);
        page.startLrFinder(30);
        QVERIFY(page.isBusy());
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 120000);
        // Every step reached the page before the result, in increasing rate order.
        QVERIFY2(rates.size() >= 10, qPrintable(QString::number(rates.size())));
        QCOMPARE(whileBusy, rates.size());
        for (int i = 1; i < rates.size(); ++i) QVERIFY(rates[i] > rates[i - 1]);
        QCOMPARE(page.lrFinderPlot()->model()->series(0).points.size(), rates.size());
        QVERIFY(page.hasLrSuggestion());
    }

    void layersStageLearningRates() {
        ProjectSession session;
        LayersPage page(session);
        useModel(session, QStringLiteral("tiny_cnn"), 3);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        page.setPreset(LayersPage::TrainEverything);
        page.gradeStageLrMultipliers(0.5);
        ts::train::TrainConfig config = session.config();
        const std::map<std::string, double> graded{
            {"head", 1.0}, {"features.3", 0.5}, {"features.2", 0.25}, {"features.1", 0.125}, {"features.0", 0.0625}};
        QVERIFY(config.stageLrMultipliers == graded);
        QTreeWidgetItem* stage3 = page.tree()->topLevelItem(3);
        QCOMPARE(stage3->data(0, Qt::UserRole).toString(), QStringLiteral("features.3"));
        QCOMPARE(stage3->text(3), QStringLiteral("0.5"));

        // Only trainable stages are graded.
        page.setPreset(LayersPage::FineTuneLast, 1);
        page.gradeStageLrMultipliers(0.1);
        config = session.config();
        QVERIFY((config.stageLrMultipliers == std::map<std::string, double>{{"head", 1.0}, {"features.3", 0.1}}));
        QCOMPARE(page.tree()->topLevelItem(0)->text(3), QStringLiteral("–"));

        // An edit in the tree's LR column (what the spin box delegate writes).
        page.tree()->topLevelItem(3)->setData(3, Qt::UserRole, 0.3);
        QTRY_COMPARE(page.stageLrMultiplier(QStringLiteral("features.3")), 0.3);
        QCOMPARE(page.tree()->topLevelItem(3)->text(3), QStringLiteral("0.3"));
        QVERIFY(!page.setStageLrMultiplier(QStringLiteral("layer9"), 1.0));

        // Stages without their own value follow the backbone multiplier.
        page.clearStageLrMultipliers();
        page.findChild<QDoubleSpinBox*>(QStringLiteral("lrMultiplier"))->setValue(0.2);
        QCOMPARE(page.tree()->topLevelItem(3)->text(3), QStringLiteral("0.2"));
        QCOMPARE(page.tree()->topLevelItem(4)->text(3), QStringLiteral("1"));
        config = session.config();
        QVERIFY(config.stageLrMultipliers.empty());

        // Round trip through a config.
        QVERIFY(page.setStageLrMultiplier(QStringLiteral("features.3"), 0.05));
        config = session.config();
        ProjectSession otherSession;
        LayersPage other(otherSession);
        useModel(otherSession, QStringLiteral("tiny_cnn"), 3);
        otherSession.setConfig(config);
        QTRY_VERIFY_WITH_TIMEOUT(!other.isBusy(), 60000);
        QCOMPARE(other.stageLrMultiplier(QStringLiteral("features.3")), 0.05);
        QCOMPARE(other.tree()->topLevelItem(3)->text(3), QStringLiteral("0.05"));
        QVERIFY(otherSession.config().stageLrMultipliers == config.stageLrMultipliers);
    }

    void curvePlotDrawsInBatches() {
        CurvePlot plot(QStringLiteral("x"), QStringLiteral("y"));
        const int s = plot.addSeries(QStringLiteral("loss"), Qt::blue);
        for (int i = 0; i < 100; ++i) plot.append(s, i, 1.0 / (i + 1));
        // Queued in the model, not yet in the graph.
        QCOMPARE(plot.model()->pointCount(QStringLiteral("loss")), 100);
        QCOMPARE(plot.plot()->graph(0)->dataCount(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(plot.plot()->graph(0)->dataCount(), 100, 2000);  // the timer tick
        QVERIFY(!plot.model()->hasPending());
        plot.clear();
        QCOMPARE(plot.plot()->graph(0)->dataCount(), 0);
    }

    void confusionMatrixIsAHeatmap() {
        InspectPage page;
        ts::train::EpochMetrics m;
        m.epoch = 3;
        m.valAccuracy = 0.75;
        m.confusion = {{8, 2, 0}, {1, 9, 0}, {0, 3, 7}};
        m.perClass.resize(3);
        page.setRun(QStringLiteral("/nonexistent/run"), QString(), {"a", "b", "c"}, m);
        QTableWidget* table = page.confusionTable();
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->columnCount(), 3);
        QCOMPARE(table->item(2, 1)->text(), QStringLiteral("3"));
        // Darker blue for a larger share of the row.
        QVERIFY(table->item(0, 0)->background().color().red() < table->item(0, 1)->background().color().red());
        // The gallery job fails readably on a folder that is not a run.
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 20000);
        QVERIFY2(page.findChild<QLabel*>(QStringLiteral("inspectSummary"))->text().contains(QStringLiteral("could not")),
                 qPrintable(page.findChild<QLabel*>(QStringLiteral("inspectSummary"))->text()));
    }

    void exportNeedsARun() {
        ExportPage page;
        auto* button = page.findChild<QPushButton*>(QStringLiteral("exportButton"));
        QVERIFY(!button->isEnabled());
        QVERIFY(!page.startExport());
        QVERIFY(page.setFormatEnabled(QStringLiteral("bundle"), true));
        QVERIFY(!page.setFormatEnabled(QStringLiteral("nope"), true));
    }
};

QTEST_MAIN(TestPages)
#include "test_ui_pages.moc"
