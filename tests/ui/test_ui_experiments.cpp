// The Experiments step, driven through the real main window on a small
// generated dataset with tiny_cnn: an empty grid refused, a 2-trial grid
// queued and finished (the queue's states, the runs table's rows and their
// params), two runs overlaid (two graphs, the legend naming the differing
// key), the config diff (exactly the differing keys), the report of a run,
// Open in Inspect, a damaged run folder as an error row, and an experiment
// interrupted by closing the window, shown as resumable by a new window and
// resumed to the end.
#include "ui/main/Application.h"
#include "ui/main/DemoProject.h"
#include "ui/main/MainWindow.h"
#include "ui/models/ProjectSession.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/ExperimentsPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"
#include "ui/widgets/CurvePlot.h"
#include "ui/widgets/QCustomPlotWrapper.h"

#include <QCheckBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QtTest>

#include <cmath>

using namespace ts::ui;

class TestExperiments : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_data;
    QString m_runs;
    QString m_expDir;  ///< the 2-trial experiment of queueTwoTrialGrid

    void openTinyProject(MainWindow& window, int epochs) {
        window.trainPage()->setRunsRoot(m_runs);
        window.dataPage()->setFolder(m_data);
        QVERIFY(window.waitUntilIdle(60000));
        QVERIFY(window.dataPage()->summary().isValid());
        QVERIFY(window.backbonePage()->selectBackbone(QStringLiteral("tiny_cnn")));
        window.setCurrentStep(MainWindow::LayersStep);
        window.layersPage()->setWeightsSource(LayersPage::RandomInit);
        window.layersPage()->setPreset(LayersPage::TrainEverything);
        QVERIFY(window.waitUntilIdle(60000));
        window.setCurrentStep(MainWindow::TrainingStep);
        window.trainingPage()->epochsBox()->setValue(epochs);
        window.trainingPage()->lrBox()->setValue(0.003);
        QVERIFY(window.waitUntilIdle(60000));
    }

    static void checkOnly(ExperimentsPage* page, const QString& key, const QStringList& values) {
        for (const QString& v : {QStringLiteral("0.003"), QStringLiteral("0.0003"), QStringLiteral("0.03")})
            if (key == QLatin1String("lr") && page->axisBox(key, v))
                page->axisBox(key, v)->setChecked(values.contains(v));
    }

    static const RunRow* rowOf(ExperimentsPage* page, const QString& runDir) {
        for (const RunRow& r : page->rows())
            if (r.runDir == runDir) return &r;
        return nullptr;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        setApplicationIdentity();
        QSettings().clear();
        QVERIFY(m_dir.isValid());
        m_data = m_dir.filePath(QStringLiteral("shapes"));
        m_runs = m_dir.filePath(QStringLiteral("runs"));
        DemoOptions options;
        options.imagesPerClass = 10;
        options.sizePx = 32;
        QString error;
        QVERIFY2(generateDemoDataset(m_data, options, &error), qPrintable(error));
    }

    void queueTwoTrialGrid() {
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        openTinyProject(window, 1);
        if (QTest::currentTestFailed()) return;
        window.setCurrentStep(MainWindow::ExperimentsStep);
        window.experimentsPage()->refreshRuns();
        QCOMPARE(window.currentStep(), int(MainWindow::ExperimentsStep));
        ExperimentsPage* page = window.experimentsPage();
        QVERIFY(window.waitUntilIdle(60000));
        // The grid starts from the session's config: its own values checked, one trial, nothing varies.
        QVERIFY(page->axisBox("arch", "tiny_cnn") && page->axisBox("arch", "tiny_cnn")->isChecked());
        QVERIFY(page->axisBox("freeze", "none") && page->axisBox("freeze", "none")->isChecked());
        QVERIFY(page->axisBox("lr", "0.003") && page->axisBox("lr", "0.003")->isChecked());
        QVERIFY(page->axisBox("lr", "0.0003") && !page->axisBox("lr", "0.0003")->isChecked());
        QVERIFY(!page->plan().ok());

        // An empty axis: a clear message, nothing queued.
        checkOnly(page, "lr", {});
        QVERIFY2(page->plan().error.contains("empty grid"), qPrintable(page->plan().error));
        QVERIFY(!page->runButton()->isEnabled());
        QVERIFY(!page->runExperiment());
        QVERIFY(!page->isRunning());
        QVERIFY2(page->statusLabel()->text().contains("learning rate"), qPrintable(page->statusLabel()->text()));
        QVERIFY(QDir(m_runs).entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty());

        // Two learning rates: two trials, and the page says so.
        checkOnly(page, "lr", {"0.003", "0.0003"});
        const ExperimentPlan plan = page->plan();
        QVERIFY2(plan.ok(), qPrintable(plan.error));
        QCOMPARE(plan.trials.size(), 2);
        QCOMPARE(plan.trials[0].params, QStringLiteral("lr=0.003"));
        QCOMPARE(plan.trials[1].params, QStringLiteral("lr=0.0003"));
        QVERIFY2(page->planLabel()->text().contains("2 trials"), qPrintable(page->planLabel()->text()));
        // No run has finished an epoch yet: the time is unknown.
        QVERIFY2(page->planLabel()->text().contains("time unknown"), qPrintable(page->planLabel()->text()));
        QVERIFY(page->runButton()->isEnabled());

        QSignalSpy ended(page, &ExperimentsPage::experimentEnded);
        QVERIFY(page->runExperiment());
        QVERIFY(page->isRunning());
        QCOMPARE(page->queueList()->count(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(!page->isRunning(), 180000);
        QCOMPARE(ended.count(), 1);
        m_expDir = page->experimentDir();
        QVERIFY2(QFileInfo(m_expDir).fileName().endsWith("-experiment"), qPrintable(m_expDir));
        QCOMPARE(QFileInfo(m_expDir).absolutePath(), QFileInfo(m_runs).absoluteFilePath());
        // The queue: both finished.
        QCOMPARE(page->queueList()->count(), 2);
        for (int i = 0; i < 2; ++i) {
            QCOMPARE(page->queueList()->item(i)->data(Qt::UserRole).toString(), QStringLiteral("finished"));
            QVERIFY(page->queueList()->item(i)->text().contains("finished"));
        }
        // The live curves showed the last trial's epoch.
        QCOMPARE(page->liveAccuracyPlot()->model()->pointCount(QStringLiteral("val accuracy")), 1);
        QVERIFY(page->resumableExperiment().isEmpty());
        QVERIFY(page->resumeButton()->isHidden());

        // The runs table gained both trials, with their params.
        QVERIFY(window.waitUntilIdle(60000));
        QStringList trialRuns;
        for (const RunRow& r : page->rows())
            if (r.experimentDir == QFileInfo(m_expDir).absoluteFilePath()) trialRuns << r.runDir;
        QCOMPARE(trialRuns.size(), 2);
        const RunRow* a = rowOf(page, QDir(m_expDir).absoluteFilePath("runs/t000"));
        const RunRow* b = rowOf(page, QDir(m_expDir).absoluteFilePath("runs/t001"));
        QVERIFY(a && b);
        QVERIFY2(a->error.isEmpty(), qPrintable(a->error));
        QCOMPARE(a->params, QStringLiteral("lr=0.003"));
        QCOMPARE(b->params, QStringLiteral("lr=0.0003"));
        QCOMPARE(a->trialStatus, QStringLiteral("finished"));
        QCOMPARE(a->arch, QStringLiteral("tiny_cnn"));
        QCOMPARE(a->freeze, QStringLiteral("none"));
        QCOMPARE(a->epochsDone, 1);
        QVERIFY(std::isfinite(a->bestValAccuracy));
        QVERIFY(a->seconds > 0);
        QVERIFY(a->imagesPerSecond > 0);
        QVERIFY(a->hasModel);
        QCOMPARE(a->config.value("lr").toDouble(), 0.003);
        QCOMPARE(b->config.value("lr").toDouble(), 0.0003);
        QCOMPARE(page->runsProxy()->rowCount(), page->rows().size());

        // The filter narrows the table; sorting by best accuracy works on numbers.
        page->filterEdit()->setText(QStringLiteral("lr=0.0003"));
        QCOMPARE(page->runsProxy()->rowCount(), 1);
        page->filterEdit()->clear();
        QCOMPARE(page->runsProxy()->rowCount(), page->rows().size());
    }

    void overlayDiffReportAndInspect() {
        QVERIFY(!m_expDir.isEmpty());
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.trainPage()->setRunsRoot(m_runs);
        window.setCurrentStep(MainWindow::ExperimentsStep);
        ExperimentsPage* page = window.experimentsPage();
        page->refreshRuns();  // the window may have opened on this step, before the runs folder was set
        QVERIFY(window.waitUntilIdle(60000));
        const QString t0 = QDir(m_expDir).absoluteFilePath("runs/t000");
        const QString t1 = QDir(m_expDir).absoluteFilePath("runs/t001");
        QVERIFY(rowOf(page, t0) && rowOf(page, t1));

        // Two runs: two graphs, the legend naming only what differs.
        page->selectRuns({t0, t1});
        QCOMPARE(page->selectedRuns().size(), 2);
        QCOMPARE(page->overlayPlot()->plot()->graphCount(), 2);
        QCOMPARE(page->overlayPlot()->plot()->graph(0)->dataCount(), 1);
        const QStringList legend = page->overlayLegend();
        QCOMPARE(legend.size(), 2);
        QVERIFY(legend.contains(QStringLiteral("lr=0.003")));
        QVERIFY(legend.contains(QStringLiteral("lr=0.0003")));
        QCOMPARE(page->overlayPlot()->plot()->graph(0)->name(), legend[0]);
        QVERIFY(page->overlayPlot()->plot()->graph(0)->pen().color() !=
                page->overlayPlot()->plot()->graph(1)->pen().color());
        // The config diff: exactly the differing key.
        QCOMPARE(page->diffTable()->rowCount(), 1);
        QCOMPARE(page->diffTable()->item(0, 0)->text(), QStringLiteral("lr"));
        QStringList values = {page->diffTable()->item(0, 1)->text(), page->diffTable()->item(0, 2)->text()};
        values.sort();
        QCOMPARE(values, (QStringList{"0.0003", "0.003"}));
        // Both confusion matrices: 3 classes each, every validation image counted.
        for (int k = 0; k < 2; ++k) {
            QCOMPARE(page->confusionTable(k)->rowCount(), 3);
            QCOMPARE(page->confusionTable(k)->columnCount(), 3);
        }
        QVERIFY(!page->inspectButton()->isEnabled());  // one run only

        // A trial of another experiment and a plain run differ in more keys.
        // One run: its report, then Open in Inspect.
        page->selectRuns({t1});
        QCOMPARE(page->overlayPlot()->plot()->graphCount(), 1);
        QCOMPARE(page->diffTable()->rowCount(), 0);
        QVERIFY(page->inspectButton()->isEnabled());
        QVERIFY(page->reportButton()->isEnabled());
        const QString reportPath = m_dir.filePath(QStringLiteral("t001-report.html"));
        QSignalSpy written(page, &ExperimentsPage::reportWritten);
        QVERIFY(page->writeReport(reportPath));
        QTRY_VERIFY_WITH_TIMEOUT(written.count() == 1, 120000);
        QFile report(reportPath);
        QVERIFY(report.open(QIODevice::ReadOnly));
        const QByteArray html = report.readAll();
        QVERIFY(html.startsWith("<!DOCTYPE html>") || html.contains("<html"));
        QVERIFY(html.contains("tiny_cnn"));

        // A report into a folder that does not exist: the error names it, nothing is written.
        QSignalSpy failed(page, &ExperimentsPage::reportFailed);
        const QString nowhere = m_dir.filePath(QStringLiteral("no-such-folder/report.html"));
        QVERIFY(page->writeReport(nowhere));
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() == 1, 60000);
        const auto error = failed.first().first().value<ts::ui::TaskError>();
        QVERIFY2(error.userMessage.contains("no-such-folder"), qPrintable(error.userMessage));
        QVERIFY(!QFileInfo::exists(nowhere));

        QVERIFY(page->openSelectedInInspect());
        QCOMPARE(window.currentStep(), int(MainWindow::InspectStep));
        QCOMPARE(window.session()->currentRunDir(), t1);
        QCOMPARE(window.session()->currentBundle(), QDir(t1).filePath("model.tsb"));
        QVERIFY(window.waitUntilIdle(60000));

        // Export: the other run, on the Export step.
        window.setCurrentStep(MainWindow::ExperimentsStep);
        QVERIFY(window.waitUntilIdle(60000));
        page->selectRuns({t0});
        QVERIFY(page->exportButton()->isEnabled());
        QVERIFY(page->openSelectedInExport());
        QCOMPARE(window.currentStep(), int(MainWindow::ExportStep));
        QCOMPARE(window.session()->currentRunDir(), t0);
        QVERIFY(window.waitUntilIdle(60000));
    }

    void damagedRunIsAnErrorRow() {
        // A run whose config.json is cut off, and one whose metrics.jsonl holds garbage.
        const QString broken = QDir(m_runs).filePath(QStringLiteral("20200101-000000-broken"));
        QVERIFY(QDir().mkpath(broken));
        {
            QFile f(broken + "/config.json");
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("{\"arch\": \"tiny_cnn\", \"epochs\": ");
            QFile m(broken + "/metrics.jsonl");
            QVERIFY(m.open(QIODevice::WriteOnly));
        }
        const QString garbage = QDir(m_runs).filePath(QStringLiteral("20200102-000000-garbage"));
        QVERIFY(QDir().mkpath(garbage));
        QVERIFY(QFile::copy(QDir(m_expDir).filePath("runs/t000/config.json"), garbage + "/config.json"));
        {
            QFile m(garbage + "/metrics.jsonl");
            QVERIFY(m.open(QIODevice::WriteOnly));
            m.write("{\"epoch\": 1, \"val_accuracy\": \"high\x01\x02\"}\n");
        }
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.trainPage()->setRunsRoot(m_runs);
        window.setCurrentStep(MainWindow::ExperimentsStep);
        ExperimentsPage* page = window.experimentsPage();
        page->refreshRuns();  // the window may have opened on this step, before the runs folder was set
        QVERIFY(window.waitUntilIdle(60000));
        const RunRow* bad = rowOf(page, QFileInfo(broken).absoluteFilePath());
        QVERIFY(bad);
        QVERIFY2(bad->error.contains("config.json"), qPrintable(bad->error));
        const RunRow* bad2 = rowOf(page, QFileInfo(garbage).absoluteFilePath());
        QVERIFY(bad2);
        QVERIFY2(bad2->error.contains("metrics.jsonl"), qPrintable(bad2->error));
        QVERIFY2(!bad2->error.contains(QChar(1)), qPrintable(bad2->error));
        // The table shows them (in red, the State column says why); the good runs are still there.
        bool shown = false;
        for (int r = 0; r < page->runsProxy()->rowCount(); ++r)
            if (page->runsProxy()->index(r, 0).data().toString() == QStringLiteral("20200101-000000-broken"))
                shown = page->runsProxy()->index(r, 10).data().toString().startsWith("error:");
        QVERIFY(shown);
        QVERIFY(rowOf(page, QDir(m_expDir).absoluteFilePath("runs/t000")));
        // Selecting a damaged run draws nothing and offers nothing.
        page->selectRuns({QFileInfo(broken).absoluteFilePath()});
        QCOMPARE(page->overlayPlot()->plot()->graphCount(), 0);
        QVERIFY(!page->inspectButton()->isEnabled());
        QVERIFY(!page->reportButton()->isEnabled());
        QDir(broken).removeRecursively();
        QDir(garbage).removeRecursively();
    }

    void closingMidExperimentThenResume() {
        QString expDir;
        {
            MainWindow window;
            window.resize(1280, 800);
            window.show();
            openTinyProject(window, 2);
            if (QTest::currentTestFailed()) return;
            window.setCurrentStep(MainWindow::ExperimentsStep);
            ExperimentsPage* page = window.experimentsPage();
            QVERIFY(window.waitUntilIdle(60000));
            checkOnly(page, "lr", {"0.003", "0.03"});
            QVERIFY(page->plan().ok());
            // The runs of the tests before: an estimate from the last one's seconds per epoch.
            QVERIFY2(page->planLabel()->text().contains("4 epochs in all") &&
                         page->planLabel()->text().contains("per epoch"),
                     qPrintable(page->planLabel()->text()));
            QStringList asked;
            window.setStopConfirmation([&](const QString& q) {
                asked << q;
                return asked.size() > 1;  // "No" first, then "Yes"
            });
            // Not while the Train page trains.
            QVERIFY(window.trainPage()->start());
            QVERIFY(!page->runExperiment());
            QVERIFY2(page->statusLabel()->text().contains("Train page"), qPrintable(page->statusLabel()->text()));
            QVERIFY(window.trainPage()->stopAndWait(60000));
            QVERIFY(page->runExperiment());
            expDir = page->experimentDir();
            QTRY_VERIFY_WITH_TIMEOUT(page->liveLossPlot()->model()->pointCount(QStringLiteral("batch loss")) > 0,
                                     60000);
            // Nor the other way round: the Train page says why it does not start.
            QVERIFY(!window.trainPage()->start());
            QVERIFY(!window.trainPage()->isRunning());
            QVERIFY2(window.trainPage()->statusText().contains("experiment is running"),
                     qPrintable(window.trainPage()->statusText()));
            QVERIFY(!window.close());
            QCOMPARE(asked.size(), 1);
            QVERIFY2(asked[0].contains("experiment"), qPrintable(asked[0]));
            QVERIFY(page->isRunning());
            QVERIFY(window.close());
            QCOMPARE(asked.size(), 2);
            QVERIFY(!page->isRunning());
            QVERIFY(!window.isTraining());
        }
        // A new window on the same runs folder: the experiment, its states, Resume.
        MainWindow window;
        window.resize(1280, 800);
        window.show();
        window.trainPage()->setRunsRoot(m_runs);
        window.setCurrentStep(MainWindow::ExperimentsStep);
        ExperimentsPage* page = window.experimentsPage();
        page->refreshRuns();  // the window may have opened on this step, before the runs folder was set
        QVERIFY(window.waitUntilIdle(60000));
        QCOMPARE(page->resumableExperiment(), QFileInfo(expDir).absoluteFilePath());
        QVERIFY(!page->resumeButton()->isHidden());
        QCOMPARE(page->queueList()->count(), 2);
        QStringList states;
        for (int i = 0; i < 2; ++i) states << page->queueList()->item(i)->data(Qt::UserRole).toString();
        QVERIFY2(states.contains("running") || states.contains("pending"), qPrintable(states.join(',')));
        QVERIFY(states[1] == "pending" || states[1] == "running");
        page->resumeButton()->click();
        QVERIFY(page->isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(!page->isRunning(), 180000);
        for (const TrialState& t : page->trials()) QCOMPARE(t.status, QStringLiteral("finished"));
        QVERIFY(page->resumableExperiment().isEmpty());
        QVERIFY(window.waitUntilIdle(60000));
        int trialRows = 0;
        for (const RunRow& r : page->rows())
            if (r.experimentDir == QFileInfo(expDir).absoluteFilePath()) {
                ++trialRows;
                QCOMPARE(r.epochsDone, 2);
            }
        QCOMPARE(trialRows, 2);
    }
};

QTEST_MAIN(TestExperiments)
#include "test_ui_experiments.moc"
