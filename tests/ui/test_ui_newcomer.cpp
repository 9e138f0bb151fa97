// What a newcomer met in the first hour with the app (issue #20, items 6-9):
// the window growing off the screen after an error, Start with no usable
// backbone, settings leaking from one dataset to the next, the wheel changing
// fields scrolled past, and fields enabled where they do not apply.
#include "ui/main/Application.h"
#include "ui/main/MainWindow.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExportPage.h"
#include "ui/pages/InspectPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/models/DatasetSummary.h"
#include "ui/widgets/ClassCountChart.h"
#include "ui/widgets/QCustomPlotWrapper.h"

#include "core/train/TrainConfig.h"

#include <QApplication>
#include <QCheckBox>
#include <QFile>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QScrollBar>
#include <QTableWidget>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QWheelEvent>
#include <QtTest>

#include "UiTestSupport.h"
#include "ui/models/ProjectSession.h"

using ts::ui::LayersPage;
using ts::ui::MainWindow;

namespace {

// ROOT/<class>/<i>.png, small and valid.
void writeDataset(const QString& root, const QStringList& classes, int perClass = 6) {
    QVERIFY(ts::uitest::writeDataset(root, classes, perClass, 40));
}

// A wheel notch (up) over the middle of `widget`, delivered as Qt delivers one.
void wheel(QWidget* widget) {
    const QPointF local(widget->width() / 2.0, widget->height() / 2.0);
    QWheelEvent event(local, widget->mapToGlobal(local), QPoint(), QPoint(0, 120), Qt::NoButton, Qt::NoModifier,
                      Qt::NoScrollPhase, false);
    QApplication::sendEvent(widget, &event);
}

QString labelText(QWidget* root, const char* name) {
    auto* label = root->findChild<QLabel*>(QLatin1String(name));
    return label ? label->text() : QStringLiteral("<no label %1>").arg(QLatin1String(name));
}

} // namespace

class TestNewcomer : public QObject {
    Q_OBJECT

    QTemporaryDir m_home;

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        QVERIFY(m_home.isValid());
        // The weights cache, runs and demo data of this test only (an empty cache).
        qputenv("TORCH_HOME", m_home.filePath("torch").toUtf8());
        qputenv("XDG_DATA_HOME", m_home.filePath("data").toUtf8());
        qputenv("XDG_CACHE_HOME", m_home.filePath("cache").toUtf8());
        QSettings().clear();
    }

    void cleanup() { QSettings().clear(); }

    // Item 6: an error with a long path, on every page, must not widen the window.
    void errorsDoNotWidenTheWindow() {
        MainWindow window;
        window.trainPage()->setRunsRoot(m_home.filePath("runs"));
        window.resize(1180, 760);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        for (int i = 0; i < window.stepCount(); ++i) {
            window.setCurrentStep(i);
            QVERIFY(window.waitUntilIdle(60000));
        }
        const int minimum = window.minimumSizeHint().width();
        QVERIFY2(minimum <= 1180, qPrintable(QString::number(minimum)));

        // A folder and a weights file behind a long path without a space to break at.
        const QString deep = m_home.filePath(QString(40, QLatin1Char('d')) + "/" + QString(120, QLatin1Char('x')) + "/" +
                                             QString(90, QLatin1Char('y')));
        window.dataPage()->setFolder(deep + "/dataset");
        QVERIFY(window.waitUntilIdle(60000));
        window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn"));
        QVERIFY(window.waitUntilIdle(60000));
        window.layersPage()->setWeightsSource(LayersPage::WeightsFile, deep + "/weights.pth");
        QVERIFY(window.waitUntilIdle(60000));

        // Start with missing weights (the readiness check refuses it; run the
        // config anyway, as a stale project would): the error names the path.
        const QString data = m_home.filePath("ab");
        writeDataset(data, {"a", "b"});
        ts::train::TrainConfig config;
        config.dataDir = data.toStdString();
        config.arch = "tiny_cnn";
        config.epochs = 1;
        config.pretrained = true;
        config.weightsFile = (deep + "/weights.pth").toStdString();
        window.setCurrentStep(MainWindow::TrainStep);
        QVERIFY(!window.trainPage()->start());
        QVERIFY(window.trainPage()->start(config));
        QTRY_VERIFY_WITH_TIMEOUT(!window.trainPage()->isRunning(), 120000);
        const QString status = labelText(&window, "runStatus");
        QVERIFY2(status.contains("weights.pth"), qPrintable(status));

        // Every page shown again: the window keeps its size and its minimum.
        for (int i = 0; i < window.stepCount(); ++i) {
            window.setCurrentStep(i);
            QVERIFY(window.waitUntilIdle(60000));
            QCoreApplication::processEvents();
            QVERIFY2(window.minimumSizeHint().width() <= minimum,
                     qPrintable(QStringLiteral("%1: minimum width %2 > %3")
                                    .arg(MainWindow::stepTitle(i))
                                    .arg(window.minimumSizeHint().width())
                                    .arg(minimum)));
            QCOMPARE(window.width(), 1180);
            // No text is squeezed out of sight instead.
            for (QLabel* label : window.page(i)->findChildren<QLabel*>()) {
                if (!label->isVisible() || label->text().trimmed().isEmpty()) continue;
                QVERIFY2(label->width() >= 20, qPrintable(QStringLiteral("%1: '%2' is %3 px wide")
                                                              .arg(MainWindow::stepTitle(i), label->text().left(60))
                                                              .arg(label->width())));
            }
        }
        // The status bar's dataset note is elided, not stretched.
        auto* datasetStatus = window.findChild<QLabel*>(QStringLiteral("datasetStatus"));
        QVERIFY(datasetStatus);
        QVERIFY(datasetStatus->sizeHint().width() <= 420);
    }

    // Item 7: no Start without a backbone whose weights can be used.
    void startWaitsForUsableWeights() {
        MainWindow window;
        window.trainPage()->setRunsRoot(m_home.filePath("runs7"));
        const QString data = m_home.filePath("start");
        writeDataset(data, {"cat", "dog"});
        window.openPath(data);
        QVERIFY(window.waitUntilIdle(60000));
        ts::ui::TrainPage* train = window.trainPage();

        // Nothing chosen: Start is off and says where to choose.
        QVERIFY(window.backbonePage()->selectedBackbone().isEmpty());
        train->updateReadiness();
        QVERIFY(!train->startButton()->isEnabled());
        QVERIFY2(train->notReadyReason().contains("Backbone page"), qPrintable(train->notReadyReason()));
        QVERIFY(!train->start());
        QVERIFY(!train->isRunning());
        QVERIFY(!QDir(m_home.filePath("runs7")).exists());
        // The Layers page does not talk about a nameless model.
        window.setCurrentStep(MainWindow::LayersStep);
        for (QLabel* label : window.layersPage()->findChildren<QLabel*>())
            QVERIFY2(!label->text().contains("for :"), qPrintable(label->text()));

        // Official weights not downloaded: the app's own buttons, not a command line.
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("mobilenet_v2")));
        QVERIFY(window.waitUntilIdle(120000));
        window.layersPage()->setWeightsSource(LayersPage::OfficialWeights);
        train->updateReadiness();
        QVERIFY(!train->startButton()->isEnabled());
        const QString reason = train->notReadyReason();
        QVERIFY2(reason.contains("Download weights") && reason.contains("Import weights file"), qPrintable(reason));
        QVERIFY2(!reason.contains("tstudio") && !reason.contains("--weights"), qPrintable(reason));
        for (QLabel* label : window.layersPage()->findChildren<QLabel*>())
            QVERIFY2(!label->text().contains("tstudio"), qPrintable(label->text()));
        // The note is on the Train page, where the disabled button is.
        window.setCurrentStep(MainWindow::TrainStep);
        auto* note = train->findChild<QLabel*>(QStringLiteral("notReadyNote"));
        QVERIFY(note && !note->isHidden());
        QCOMPARE(note->text(), reason);

        // A weights file that is not there.
        window.layersPage()->setWeightsSource(LayersPage::WeightsFile, m_home.filePath("missing.pth"));
        train->updateReadiness();
        QVERIFY2(train->notReadyReason().contains("missing.pth"), qPrintable(train->notReadyReason()));

        // tiny_cnn from random weights needs nothing: Start is on.
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn")));
        QVERIFY(window.waitUntilIdle(60000));
        window.layersPage()->setWeightsSource(LayersPage::RandomInit);
        QVERIFY2(train->notReadyReason().isEmpty(), qPrintable(train->notReadyReason()));
        QVERIFY(train->startButton()->isEnabled());
        QVERIFY(note->isHidden());
    }

    // Item 8: the training settings belong to the project.
    void settingsStartFromTheDefaults() {
        const ts::train::TrainConfig defaults;
        const auto expectDefaults = [&](MainWindow& window, const char* when) {
            // The session holds the defaults, and the page shows them.
            const ts::train::TrainConfig c = window.session()->config();
            ts::ui::TrainingPage* page = window.trainingPage();
            QVERIFY2(page->epochsBox()->value() == defaults.epochs && page->batchBox()->value() == defaults.batchSize &&
                         qFuzzyCompare(page->lrBox()->value(), defaults.lr) && page->seedBox()->value() == int(defaults.seed),
                     when);
            QVERIFY2(qFuzzyCompare(c.lr, defaults.lr), when);
            QVERIFY2(c.batchSize == defaults.batchSize, when);
            QVERIFY2(c.epochs == defaults.epochs, when);
            QVERIFY2(c.seed == defaults.seed, when);
            QVERIFY2(c.augment.preset == defaults.augment.preset, when);
            QVERIFY2(c.optimizer == defaults.optimizer, when);
        };
        const QString first = m_home.filePath("first"), second = m_home.filePath("second");
        writeDataset(first, {"a", "b"});
        writeDataset(second, {"x", "y", "z"});
        {
            MainWindow window;
            expectDefaults(window, "a new window");
            window.openPath(first);
            QVERIFY(window.waitUntilIdle(60000));
            // The demo's settings, and a seed changed by accident.
            window.applyDemoSettings(2);
            window.trainingPage()->augmentBox()->setCurrentIndex(1);
            window.trainingPage()->seedBox()->setValue(33);
            QVERIFY(qFuzzyCompare(window.currentConfig().lr, 3e-3));
            // Another dataset in the same (unsaved) project: the defaults.
            window.dataPage()->setFolder(second);
            QVERIFY(window.waitUntilIdle(60000));
            QTRY_VERIFY(window.currentConfig().dataDir == second.toStdString());
            expectDefaults(window, "another dataset");
            QCOMPARE(window.currentConfig().seed, defaults.seed);

            window.trainingPage()->lrBox()->setValue(0.02);
            window.trainingPage()->batchBox()->setValue(8);
            window.close();  // an older version stored the settings here
        }
        {
            MainWindow window;
            expectDefaults(window, "the next start");
            // Reset to defaults.
            window.trainingPage()->lrBox()->setValue(0.05);
            window.trainingPage()->seedBox()->setValue(7);
            window.trainingPage()->augmentBox()->setCurrentIndex(1);
            QTest::mouseClick(window.trainingPage()->resetButton(), Qt::LeftButton);
            expectDefaults(window, "Reset to defaults");
            window.trainingPage()->lrBox()->setValue(0.05);
            window.newProject();
            expectDefaults(window, "a new project");
        }
    }

    // Item 8: the Layers page's statement about the feature cache follows the Training page.
    void cachingStatementFollowsTheConfig() {
        MainWindow window;
        window.openPath(m_home.filePath("first"));
        QVERIFY(window.waitUntilIdle(60000));
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn")));
        window.layersPage()->setWeightsSource(LayersPage::RandomInit);
        window.layersPage()->setPreset(LayersPage::FeatureExtraction);
        QVERIFY(window.waitUntilIdle(60000));
        window.trainingPage()->augmentBox()->setCurrentIndex(0);
        QVERIFY(window.waitUntilIdle(60000));
        const auto countText = [&] {
            QString all;
            for (QLabel* label : window.layersPage()->findChildren<QLabel*>())
                if (label->text().contains("parameters train")) all += label->text();
            return all;
        };
        QTRY_VERIFY2(countText().contains("cached") && !countText().contains("not cached"), qPrintable(countText()));
        window.trainingPage()->augmentBox()->setCurrentIndex(1);
        QVERIFY(window.waitUntilIdle(60000));
        QTRY_VERIFY2(countText().contains("not cached"), qPrintable(countText()));
        QVERIFY(!window.currentConfig().augment.isNone());
    }

    // Item 9: the wheel changes a spin box or a combo box only when it has the focus.
    void wheelNeedsFocus() {
        MainWindow window;
        window.resize(1180, 760);
        window.setCurrentStep(MainWindow::TrainingStep);
        window.show();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QSpinBox* seed = window.trainingPage()->seedBox();
        QComboBox* augment = window.trainingPage()->augmentBox();
        QCOMPARE(seed->focusPolicy(), Qt::StrongFocus);
        QCOMPARE(augment->focusPolicy(), Qt::StrongFocus);
        window.sidebar()->setFocus();
        QTRY_VERIFY(window.sidebar()->hasFocus());
        const int seedBefore = seed->value();
        const int augmentBefore = augment->currentIndex();
        wheel(seed);
        wheel(augment);
        QCOMPARE(seed->value(), seedBefore);
        QCOMPARE(augment->currentIndex(), augmentBefore);
        // Every spin box and combo box of every page follows the same rule.
        for (QWidget* field : window.findChildren<QWidget*>()) {
            if (!qobject_cast<QAbstractSpinBox*>(field) && !qobject_cast<QComboBox*>(field)) continue;
            field->ensurePolished();
            QVERIFY2(field->focusPolicy() != Qt::WheelFocus, qPrintable(field->objectName()));
        }
        // Focused (clicked or tabbed to), the wheel works as usual.
        seed->setFocus();
        QTRY_VERIFY(seed->hasFocus());
        wheel(seed);
        QCOMPARE(seed->value(), seedBefore + 1);
    }

    // Item 10: the confusion matrix is readable from 2 to 100 classes. The
    // grabs go to $TS_UI_SHOTS when set (to look at them).
    void confusionMatrixIsReadable_data() {
        QTest::addColumn<int>("classes");
        QTest::newRow("2") << 2;
        QTest::newRow("12") << 12;
        QTest::newRow("50") << 50;
        QTest::newRow("100") << 100;
    }
    void confusionMatrixIsReadable() {
        QFETCH(int, classes);
        // Long names that share their beginnings, as real datasets have them.
        QStringList names;
        for (int i = 0; i < classes; ++i)
            names << QStringLiteral("%1_confusion_class_%2").arg(i % 2 ? "tuebingen" : "uebersicht").arg(i);
        ts::train::EpochMetrics m;
        m.epoch = 4;
        m.valAccuracy = 0.8;
        m.perClass.resize(size_t(classes));
        m.confusion.assign(size_t(classes), std::vector<int64_t>(size_t(classes), 0));
        for (int r = 0; r < classes; ++r) {
            m.confusion[size_t(r)][size_t(r)] = 8 + r % 5;
            m.confusion[size_t(r)][size_t((r + 1) % classes)] = r % 3;
        }
        ts::ui::InspectPage page;
        page.resize(1280, 800);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        page.setRun(QStringLiteral("/nonexistent/run"), QString(), names, m);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 20000);
        QCoreApplication::processEvents();
        const QString shots = qEnvironmentVariable("TS_UI_SHOTS");
        if (!shots.isEmpty()) {
            QDir().mkpath(shots);
            QVERIFY(page.grab().save(QStringLiteral("%1/confusion-%2.png").arg(shots).arg(classes)));
        }
        QTableWidget* table = page.confusionTable();
        QCOMPARE(table->columnCount(), classes);
        QCOMPARE(table->item(0, 0)->data(Qt::UserRole).toLongLong(), 8);
        // Axis titles.
        auto* predicted = page.findChild<QLabel*>(QStringLiteral("predictedAxisTitle"));
        auto* truth = page.findChild<QWidget*>(QStringLiteral("trueAxisTitle"));
        QVERIFY(predicted && predicted->isVisible() && predicted->text().contains("predicted"));
        QVERIFY(truth && truth->isVisible() && truth->accessibleName().contains("true"));
        const QFontMetrics headerMetrics(table->horizontalHeader()->font());
        for (int i = 0; i < classes; ++i) {
            QTableWidgetItem* column = table->horizontalHeaderItem(i);
            QTableWidgetItem* row = table->verticalHeaderItem(i);
            QVERIFY(column && row);
            // Every header's tooltip names its class in full.
            QVERIFY2(column->toolTip().contains(names[i]), qPrintable(column->toolTip()));
            QVERIFY2(row->toolTip().contains(names[i]), qPrintable(row->toolTip()));
            // The column header fits its column: nothing is cut in the middle of a word.
            const QStringList lines = column->text().split('\n');
            for (const QString& line : lines)
                QVERIFY2(headerMetrics.horizontalAdvance(line) <= table->columnWidth(i),
                         qPrintable(QStringLiteral("column %1: '%2' is %3 px in a %4 px column")
                                        .arg(i)
                                        .arg(line)
                                        .arg(headerMetrics.horizontalAdvance(line))
                                        .arg(table->columnWidth(i))));
            if (classes > 6) {
                // Numbered columns; the row header says which class a number is.
                QCOMPARE(column->text(), QString::number(i + 1));
                QVERIFY2(row->text().startsWith(QStringLiteral("%1. ").arg(i + 1)), qPrintable(row->text()));
            } else {
                QVERIFY2(column->text().startsWith(names[i].left(6)), qPrintable(column->text()));
            }
        }
        // No count is cut ("…"): counts are shown where they fit, else the colour and the tooltip.
        const QFontMetrics cellMetrics(table->font());
        for (int r = 0; r < classes; ++r)
            for (int c = 0; c < classes; ++c) {
                const QTableWidgetItem* cell = table->item(r, c);
                QVERIFY(cell->toolTip().contains(names[r]) && cell->toolTip().contains(names[c]));
                QVERIFY2(cell->text().isEmpty() || cellMetrics.horizontalAdvance(cell->text()) + 8 <= table->columnWidth(c),
                         qPrintable(QStringLiteral("cell %1,%2 '%3' in %4 px").arg(r).arg(c).arg(cell->text())
                                        .arg(table->columnWidth(c))));
            }
        // Up to 50 classes every column is on screen, without scrolling sideways
        // (more scroll rather than cut their labels).
        if (classes <= 50) QCOMPARE(table->horizontalScrollBar()->maximum(), 0);
    }

    // Item 11: open a run or a bundle in the app, and resume an interrupted run.
    void openAndResumeARun() {
        const QString data = m_home.filePath("resume");
        writeDataset(data, {"a", "b"}, 8);
        const int epochs = 12;
        QString runDir;
        {
            MainWindow window;
            window.trainPage()->setRunsRoot(m_home.filePath("runs11"));
            QVERIFY(window.openPath(data));
            QVERIFY(window.waitUntilIdle(60000));
            window.applyDemoSettings(epochs);
            QVERIFY2(window.trainPage()->start(), qPrintable(window.trainPage()->notReadyReason()));
            QTRY_VERIFY_WITH_TIMEOUT(window.trainPage()->epochs().size() >= 1, 180000);
            QVERIFY(window.trainPage()->stopAndWait(60000));
            QCoreApplication::processEvents();
            runDir = window.trainPage()->runDir();
            QVERIFY(window.trainPage()->lastResult().cancelled);
            QVERIFY(window.trainPage()->lastResult().epochsRun < epochs);
            // The stopped run offers Resume run, and the log says so in the app's words.
            QCOMPARE(window.trainPage()->resumableRun(), runDir);
            QVERIFY(!window.trainPage()->resumeRunButton()->isHidden());
            const QString log = window.trainPage()->log()->toPlainText();
            QVERIFY2(!log.contains("tstudio resume"), qPrintable(log));
            QVERIFY2(log.contains("Resume run"), qPrintable(log));
            window.waitUntilIdle(60000);
        }
        MainWindow window;
        window.trainPage()->setRunsRoot(m_home.filePath("runs11"));
        // Not a run: says so, naming the folder and what to choose.
        QString error;
        QVERIFY(!window.openRunOrBundle(data, &error));
        QVERIFY2(error.contains(QDir::toNativeSeparators(data)) && error.contains("config.json"), qPrintable(error));
        QVERIFY(!window.openRunOrBundle(m_home.filePath("nothing-here"), &error));
        QVERIFY2(error.contains("nothing-here") && error.contains("does not exist"), qPrintable(error));

        // The run: Inspect and Export show it, Train offers to resume it.
        QVERIFY2(window.openRunOrBundle(runDir, &error), qPrintable(error));
        QCOMPARE(window.currentStep(), int(MainWindow::InspectStep));
        QCOMPARE(window.inspectPage()->runDir(), runDir);
        QCOMPARE(window.inspectPage()->confusionTable()->rowCount(), 2);
        QVERIFY(window.inspectPage()->confusionTable()->verticalHeaderItem(0)->text().contains("a"));
        auto* exportButton = window.exportPage()->findChild<QPushButton*>(QStringLiteral("exportButton"));
        QVERIFY(exportButton && exportButton->isEnabled());
        QCOMPARE(window.trainPage()->resumableRun(), runDir);
        QVERIFY(window.waitUntilIdle(60000));
        QVERIFY(!window.inspectPage()->validationPredictions().isEmpty());

        // Export the opened run: progress while it runs, the round trip in words.
        ts::ui::ExportPage* exporter = window.exportPage();
        exporter->setTargetFolder(m_home.filePath("exports11"));
        QVERIFY(exporter->setFormatEnabled(QStringLiteral("bundle"), true));
        exporter->setFormatEnabled(QStringLiteral("onnx"), false);
        QVERIFY(!exporter->setFormatEnabled(QStringLiteral("pth"), true));  // tiny_cnn
        QVERIFY(exporter->startExport());
        auto* progress = exporter->findChild<QProgressBar*>(QStringLiteral("exportProgress"));
        QVERIFY(progress && !progress->isHidden());
        QCOMPARE(progress->maximum(), 1);
        QVERIFY(window.waitUntilIdle(120000));
        QVERIFY(progress->isHidden());
        auto* report = exporter->findChild<QTableWidget*>(QStringLiteral("exportReport"));
        QVERIFY(report && report->rowCount() == 1);
        const QString trip = report->item(0, 3)->text();
        QVERIFY2(trip.contains("validation images get the same class") && !trip.contains("|dp|"), qPrintable(trip));

        // The bundle alone.
        QVERIFY2(window.openRunOrBundle(runDir + "/model.tsb", &error), qPrintable(error));
        QVERIFY(exportButton->isEnabled());
        QVERIFY(window.waitUntilIdle(60000));

        // Resume: it trains the remaining epochs into the same folder.
        QVERIFY2(window.resumeRunFolder(runDir, &error), qPrintable(error));
        QCOMPARE(window.currentStep(), int(MainWindow::TrainStep));
        QTRY_VERIFY_WITH_TIMEOUT(!window.trainPage()->isRunning(), 300000);
        QVERIFY2(!window.trainPage()->lastResult().cancelled, qPrintable(window.trainPage()->log()->toPlainText()));
        QCOMPARE(window.trainPage()->runDir(), runDir);
        QFile metrics(runDir + "/metrics.jsonl");
        QVERIFY(metrics.open(QIODevice::ReadOnly));
        QCOMPARE(metrics.readAll().trimmed().split('\n').size(), epochs);
        QVERIFY(window.trainPage()->resumableRun().isEmpty());
        QVERIFY(window.waitUntilIdle(60000));
        // A finished run has nothing to resume.
        QVERIFY(!window.resumeRunFolder(runDir, &error));
        QVERIFY2(error.contains("nothing to resume"), qPrintable(error));
    }

    // Items 11-12: the trainer's command-line advice reads as the app's own.
    void logSpeaksTheAppsWords() {
        using ts::ui::TrainPage;
        QString line = TrainPage::inAppWords(
            "Cancelled. Completed epochs are saved; continue with `tstudio resume /home/u/runs/20261201-mobilenet_v2`.");
        QVERIFY2(!line.contains("tstudio") && line.contains("Resume run"), qPrintable(line));
        line = TrainPage::inAppWords(
            "Training stopped: The official mobilenet_v2 weights are not in the cache (/c/m.pth). Download them with "
            "`tstudio weights download mobilenet_v2` (from https://x/m.pth), place that file there by hand, or pass "
            "--weights FILE.");
        QVERIFY2(!line.contains("tstudio") && !line.contains("--weights"), qPrintable(line));
        QVERIFY2(line.contains("Download weights on the Backbone page") && line.contains("Layers page"), qPrintable(line));
    }

    // Item 12: a .pth export is not offered for tiny_cnn (it would fail after the click).
    void pthExportOnlyForTorchvisionModels() {
        for (const char* arch : {"tiny_cnn", "resnet18"}) {
            // The architecture comes with the run (RunReader read it from the bundle or the run's config).
            const QString run = m_home.filePath(QStringLiteral("run-%1").arg(arch));
            ts::ui::ExportPage page;
            page.setRun(run, run + "/model.tsb", QString(), QLatin1String(arch));
            QCheckBox* pth = nullptr;
            for (QCheckBox* box : page.findChildren<QCheckBox*>())
                if (box->text().contains(".pth")) pth = box;
            QVERIFY(pth);
            const bool torchvision = QLatin1String(arch) != QLatin1String("tiny_cnn");
            QCOMPARE(pth->isEnabled(), torchvision);
            QCOMPARE(page.setFormatEnabled(QStringLiteral("pth"), true), torchvision);
            if (!torchvision) QVERIFY2(pth->toolTip().contains("bundle or ONNX"), qPrintable(pth->toolTip()));
        }
    }

    // Item 12: the Data chart's legend is outside the bars.
    void chartLegendDoesNotCoverBars() {
        ts::ui::ClassCountChart chart;
        chart.resize(600, 260);
        ts::ui::DatasetSummary summary;
        summary.root = m_home.path();
        summary.classes = {"ants", "bees", "wasps"};
        summary.trainCounts = {120, 118, 90};
        summary.valCounts = {30, 30, 22};
        summary.testCounts = {10, 0, 5};
        chart.setSummary(summary);
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        chart.plot()->replot();
        const QRect legend = chart.plot()->legend->outerRect();
        const QRect axes = chart.plot()->axisRect()->rect();
        QVERIFY(chart.plot()->legend->visible() && legend.height() > 0);
        QVERIFY2(!legend.intersects(axes), qPrintable(QStringLiteral("legend %1,%2 %3x%4 over the axes %5,%6 %7x%8")
                                                          .arg(legend.x()).arg(legend.y()).arg(legend.width())
                                                          .arg(legend.height()).arg(axes.x()).arg(axes.y())
                                                          .arg(axes.width()).arg(axes.height())));
    }

    // Item 12: momentum and the step fields are enabled only where they apply.
    void fieldsThatDoNotApplyAreDisabled() {
        MainWindow window;
        ts::ui::TrainingPage* page = window.trainingPage();
        ts::train::TrainConfig c;
        c.optimizer = ts::train::OptimizerKind::Adam;
        c.schedule = ts::train::ScheduleKind::Cosine;
        window.session()->setConfig(c);
        QVERIFY(!page->momentumBox()->isEnabled());
        QVERIFY(!page->stepEpochsBox()->isEnabled());
        QVERIFY(!page->gammaBox()->isEnabled());
        c.optimizer = ts::train::OptimizerKind::SGD;
        c.schedule = ts::train::ScheduleKind::Step;
        window.session()->setConfig(c);
        QVERIFY(page->momentumBox()->isEnabled());
        QVERIFY(page->stepEpochsBox()->isEnabled());
        QVERIFY(page->gammaBox()->isEnabled());
        QVERIFY(window.session()->config().optimizer == ts::train::OptimizerKind::SGD);
    }
};

QTEST_MAIN(TestNewcomer)
#include "test_ui_newcomer.moc"
