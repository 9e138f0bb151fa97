// MainWindow: the seven steps, switching between them, remembered geometry,
// the demo dataset and the project file.
#include "ui/main/Application.h"
#include "ui/main/DemoProject.h"
#include "ui/main/MainWindow.h"
#include "ui/models/ProjectFile.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/TrainingPage.h"

#include <QDir>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QSpinBox>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using ts::ui::MainWindow;

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        QSettings().clear();
    }

    void showsSevenSteps() {
        MainWindow window;
        QCOMPARE(window.stepCount(), 7);
        QCOMPARE(window.sidebar()->count(), 7);
        const QStringList titles = {"Data", "Backbone", "Layers", "Training", "Train", "Inspect", "Export"};
        for (int i = 0; i < titles.size(); ++i) {
            QVERIFY2(window.sidebar()->item(i)->text().endsWith(titles[i]), qPrintable(window.sidebar()->item(i)->text()));
            QCOMPARE(MainWindow::stepTitle(i), titles[i]);
        }
        // Every page fits a small laptop screen.
        QString sizes;
        for (int i = 0; i < window.stepCount(); ++i)
            sizes += QStringLiteral(" %1:%2x%3").arg(MainWindow::stepKey(i)).arg(window.page(i)->minimumSizeHint().width())
                         .arg(window.page(i)->minimumSizeHint().height());
        QVERIFY2(window.minimumSizeHint().width() <= 900 && window.minimumSizeHint().height() <= 700,
                 qPrintable(QStringLiteral("%1x%2;%3").arg(window.minimumSizeHint().width()).arg(window.minimumSizeHint().height()).arg(sizes)));
    }

    void switchingSteps() {
        MainWindow window;
        window.show();
        auto* stack = window.findChild<QStackedWidget*>(QStringLiteral("pages"));
        QVERIFY(stack);
        for (int i = window.stepCount() - 1; i >= 0; --i) {
            window.sidebar()->setCurrentRow(i);  // as a click on the sidebar does
            QCOMPARE(stack->currentIndex(), i);
            QCOMPARE(window.currentStep(), i);
            QCOMPARE(stack->currentWidget(), window.page(i));
        }
        window.setCurrentStep(MainWindow::ExportStep);
        QCOMPARE(window.sidebar()->currentRow(), int(MainWindow::ExportStep));
        // Every step is a real page now.
        for (int i = 0; i < window.stepCount(); ++i)
            QVERIFY(!window.page(i)->findChild<QLabel*>(QStringLiteral("placeholderStatus")));
    }

    void remembersGeometryAndStep() {
        QVERIFY2(QSettings().fileName().contains(QStringLiteral("qttest")), qPrintable(QSettings().fileName()));
        {
            MainWindow window;
            window.show();
            window.resize(910, 610);
            window.setCurrentStep(MainWindow::BackboneStep);
            window.trainingPage()->epochsBox()->setValue(23);
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.close();
        }
        MainWindow again;
        QCOMPARE(again.size(), QSize(910, 610));
        QCOMPARE(again.currentStep(), int(MainWindow::BackboneStep));
        QCOMPARE(again.trainingPage()->epochsBox()->value(), 23);  // training settings persist too
        QSettings().clear();
    }

    void demoDatasetIsGenerated() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QString error;
        const QString folder = ts::ui::ensureDemoDataset(&error, dir.filePath(QStringLiteral("demo")));
        QVERIFY2(!folder.isEmpty(), qPrintable(error));
        for (const QString& cls : ts::ui::demoClasses()) {
            const QStringList files = QDir(folder + "/" + cls).entryList({"*.png"}, QDir::Files);
            QCOMPARE(files.size(), ts::ui::DemoOptions{}.imagesPerClass);
            QImage image(folder + "/" + cls + "/" + files.first());
            QCOMPARE(image.size(), QSize(96, 96));
        }
        // Second call finds it complete and does not redraw.
        const QFileInfo before(folder + "/circle/circle-000.png");
        QCOMPARE(ts::ui::ensureDemoDataset(&error, folder), folder);
        QCOMPARE(QFileInfo(folder + "/circle/circle-000.png").lastModified(), before.lastModified());
    }

    void projectFileRoundTrip() {
        QTemporaryDir dir;
        ts::ui::ProjectFile project;
        project.datasetFolder = QStringLiteral("/data/flowers");
        project.backbone = QStringLiteral("resnet50");
        QString error;
        const QString path = dir.filePath(QStringLiteral("p.tsproj"));
        QVERIFY2(project.save(path, &error), qPrintable(error));
        ts::ui::ProjectFile loaded;
        QVERIFY2(loaded.load(path, &error), qPrintable(error));
        QCOMPARE(loaded.datasetFolder, project.datasetFolder);
        QCOMPARE(loaded.backbone, project.backbone);

        QFile bad(dir.filePath(QStringLiteral("bad.tsproj")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("not json");
        bad.close();
        QVERIFY(!loaded.load(bad.fileName(), &error));
        QVERIFY2(error.contains(bad.fileName()), qPrintable(error));
    }

    void openingAProjectAddsItToRecent() {
        QTemporaryDir dir;
        ts::ui::ProjectFile project;
        project.datasetFolder = dir.path();
        QString error;
        const QString path = dir.filePath(QStringLiteral("recent.tsproj"));
        QVERIFY(project.save(path, &error));
        MainWindow window;
        QVERIFY(window.openPath(path));
        QCOMPARE(window.projectPath(), QFileInfo(path).absoluteFilePath());
        QCOMPARE(window.recentProjects().value(0), QFileInfo(path).absoluteFilePath());
        QVERIFY(window.waitUntilIdle(30000));
        QSettings().clear();
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_ui_mainwindow.moc"
