// MainWindow: the eight steps, switching between them, remembered geometry,
// the demo dataset and the project file.
#include "ui/main/Application.h"
#include "ui/main/DemoProject.h"
#include "ui/main/MainWindow.h"
#include "ui/main/ProjectController.h"
#include "ui/models/ProblemsModel.h"
#include "ui/models/ProjectFile.h"
#include "ui/pages/BackbonePage.h"
#include "ui/pages/DataPage.h"
#include "ui/pages/LayersPage.h"
#include "ui/pages/TrainPage.h"
#include "ui/pages/TrainingPage.h"

#include "core/data/Dataset.h"

#include <QApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QIcon>
#include <QMimeData>
#include <QStatusBar>
#include <QLabel>
#include <QListWidget>
#include <QSettings>
#include <QSpinBox>
#include <QSignalSpy>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include "UiTestSupport.h"
#include "ui/models/ProjectSession.h"

#include <nlohmann/json.hpp>

using ts::ui::LayersPage;
using ts::ui::MainWindow;

namespace {

// ROOT/a, ROOT/b with 6 good PNGs each, plus an empty and a text file in a/.
QStringList writeDatasetWithBadFiles(const QString& root) {
    if (!ts::uitest::writeDataset(root, {"a", "b"}, 6, 40)) qFatal("cannot write the dataset under %s", qPrintable(root));
    return {ts::uitest::writeEmptyFile(root, "a/empty.jpg"), ts::uitest::writeTextFile(root, "a/readme.png")};
}

QSet<QString> toSet(const QStringList& list) { return QSet<QString>(list.begin(), list.end()); }
QSet<QString> toSet(const std::vector<std::string>& list) {
    QSet<QString> out;
    for (const auto& s : list) out.insert(QString::fromStdString(s));
    return out;
}

} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        QSettings().clear();
    }

    void showsEightSteps() {
        MainWindow window;
        QCOMPARE(window.stepCount(), 8);
        QCOMPARE(window.sidebar()->count(), 8);
        const QStringList titles = {"Data", "Backbone", "Layers", "Training", "Train", "Experiments", "Inspect", "Export"};
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

    // The window manager shows the application's icon (_NET_WM_ICON on X11):
    // set by setApplicationIdentity() from the embedded resource.
    void windowHasTheApplicationIcon() {
        MainWindow window;
        const QIcon icon = window.windowIcon();
        QVERIFY(!icon.isNull());
        QVERIFY2(!icon.availableSizes().isEmpty(), "the icon resource was not found");
        // The small sizes task bars use, up to the full 256 px picture.
        for (const int size : {16, 32, 48, 256})
            QVERIFY2(icon.availableSizes().contains(QSize(size, size)), qPrintable(QStringLiteral("%1 px missing: %2").arg(size).arg(QDebug::toString(icon.availableSizes()))));
        const QImage image = icon.pixmap(64, 64).toImage();
        QVERIFY(!image.isNull());
        QVERIFY(image.width() >= 48);
        // Not a blank square: the picture has several colours.
        QSet<QRgb> colours;
        for (int y = 0; y < image.height(); y += 2)
            for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
        QVERIFY2(colours.size() > 4, qPrintable(QString::number(colours.size())));
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
        // Training settings belong to the project, not to the computer: a new window starts from the defaults.
        QCOMPARE(again.trainingPage()->epochsBox()->value(), ts::train::TrainConfig().epochs);
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
        project.config.dataDir = "/data/flowers";
        project.config.arch = "resnet50";
        project.config.epochs = 13;
        project.ui.insert(QStringLiteral("step"), 3);
        QString error;
        const QString path = dir.filePath(QStringLiteral("p.tsproj"));
        QVERIFY2(project.save(path, &error), qPrintable(error));
        ts::ui::ProjectFile loaded;
        QVERIFY2(loaded.load(path, &error), qPrintable(error));
        QCOMPARE(loaded.version, 2);
        QVERIFY(loaded.hasFullConfig);
        QCOMPARE(ts::train::toJson(loaded.config).dump(), ts::train::toJson(project.config).dump());
        QCOMPARE(loaded.ui.value(QStringLiteral("step")).toInt(), 3);
        // The step by name; a file from before the Experiments step has its number in the old order.
        QCOMPARE(ts::ui::ProjectController::savedStep({{"step", 5}, {"step_key", "experiments"}}), int(MainWindow::ExperimentsStep));
        QCOMPARE(ts::ui::ProjectController::savedStep({{"step", 5}}), int(MainWindow::InspectStep));
        QCOMPARE(ts::ui::ProjectController::savedStep({{"step", 6}}), int(MainWindow::ExportStep));
        QCOMPARE(ts::ui::ProjectController::savedStep({{"step", 3}}), int(MainWindow::TrainingStep));
        QCOMPARE(ts::ui::ProjectController::savedStep({}), int(MainWindow::DataStep));

        // Version 1 (dataset folder and backbone) still opens.
        QFile v1(dir.filePath(QStringLiteral("v1.tsproj")));
        QVERIFY(v1.open(QIODevice::WriteOnly));
        v1.write(R"({"format": 1, "dataset": "/data/old", "backbone": "resnet18"})");
        v1.close();
        QVERIFY2(loaded.load(v1.fileName(), &error), qPrintable(error));
        QCOMPARE(loaded.version, 1);
        QVERIFY(!loaded.hasFullConfig);
        QCOMPARE(QString::fromStdString(loaded.config.dataDir), QStringLiteral("/data/old"));
        QCOMPARE(QString::fromStdString(loaded.config.arch), QStringLiteral("resnet18"));

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
        project.config.dataDir = dir.path().toStdString();
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

    void projectRestoresEveryPage() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString data = dir.filePath(QStringLiteral("shapes"));
        ts::ui::DemoOptions options;
        options.imagesPerClass = 8;
        options.sizePx = 48;
        QString error;
        QVERIFY2(ts::ui::generateDemoDataset(data, options, &error), qPrintable(error));
        const QString weights = dir.filePath(QStringLiteral("resnet18-custom.pth"));
        QFile(weights).open(QIODevice::WriteOnly);
        const QString probe = QDir(data).filePath(QStringLiteral("square/square-002.png"));

        // Non-default values on every page.
        MainWindow first;
        first.dataPage()->setFolder(data);
        QVERIFY(first.waitUntilIdle(60000));
        QVERIFY(first.backbonePage()->selectBackbone(QStringLiteral("resnet18")));
        QVERIFY(first.waitUntilIdle(60000));
        first.layersPage()->setWeightsSource(LayersPage::WeightsFile, weights);
        first.layersPage()->setPreset(LayersPage::FineTuneLast, 3);
        QVERIFY(first.waitUntilIdle(60000));
        QVERIFY(first.layersPage()->setStageTrainable(QStringLiteral("layer1"), true));
        ts::train::TrainConfig training = first.currentConfig();
        training.epochs = 17;
        training.batchSize = 24;
        training.lr = 0.002;
        training.weightDecay = 0.001;
        training.labelSmoothing = 0.1;
        training.augment.preset = ts::data::AugmentPreset::Standard;
        training.augment.rotationDegrees = 12;
        first.session()->setConfig(training);  // the pages follow the session
        first.trainingPage()->epochsBox()->setValue(19);
        first.trainPage()->pinProbe(probe);
        first.setCurrentStep(MainWindow::TrainingStep);
        const ts::train::TrainConfig before = first.currentConfig();
        QCOMPARE(before.epochs, 19);
        QCOMPARE(before.batchSize, 24);
        QCOMPARE(QString::fromStdString(ts::train::toString(before.freeze)), QStringLiteral("last:3"));
        QVERIFY(before.trainStages == std::vector<std::string>{"layer1"});
        QCOMPARE(QString::fromStdString(before.weightsFile), weights);
        QCOMPARE(QString::fromStdString(ts::train::toString(before.augment.preset)), QStringLiteral("standard"));
        QCOMPARE(before.augment.rotationDegrees, 12.0);

        const QString path = dir.filePath(QStringLiteral("project.tsproj"));
        QVERIFY2(first.saveProjectTo(path, &error), qPrintable(error));

        // The file: format 2, and its "config" is core's TrainConfig.
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const nlohmann::json root = nlohmann::json::parse(file.readAll().toStdString());
        QCOMPARE(QString::fromStdString(root.at("format").get<std::string>()), QStringLiteral("transfer-studio-project"));
        QCOMPARE(root.at("version").get<int>(), 2);
        QCOMPARE(root.at("config").dump(), ts::train::toJson(before).dump());
        QCOMPARE(ts::train::toJson(ts::train::trainConfigFromJson(root.at("config"))).dump(),
                 ts::train::toJson(before).dump());
        QCOMPARE(ts::train::toJson(ts::train::loadTrainConfig(path.toStdString())).dump(),
                 ts::train::toJson(before).dump());

        // A fresh window restores every page.
        MainWindow second;
        QVERIFY(second.openPath(path));
        QVERIFY(second.waitUntilIdle(60000));
        QCOMPARE(second.dataPage()->folder(), data);
        QCOMPARE(second.backbonePage()->selectedBackbone(), QStringLiteral("resnet18"));
        QCOMPARE(second.layersPage()->preset(), LayersPage::FineTuneLast);
        QCOMPARE(second.layersPage()->weightsSource(), LayersPage::WeightsFile);
        QCOMPARE(second.trainingPage()->epochsBox()->value(), 19);
        QCOMPARE(second.trainingPage()->lrBox()->value(), 0.002);
        QCOMPARE(second.trainPage()->pinnedProbes(), QStringList({QFileInfo(probe).absoluteFilePath()}));
        QCOMPARE(second.currentStep(), int(MainWindow::TrainingStep));
        QCOMPARE(ts::train::toJson(second.currentConfig()).dump(), ts::train::toJson(before).dump());
        QSettings().clear();
    }

    void droppingAFolderOpensItOnTheDataPage() {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("dropped"));
        writeDatasetWithBadFiles(data);
        MainWindow window;
        window.setCurrentStep(MainWindow::ExportStep);

        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(data)});
        QDragEnterEvent enter(QPoint(20, 20), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(20, 20), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &drop);
        QVERIFY(drop.isAccepted());
        QCOMPARE(window.currentStep(), int(MainWindow::DataStep));
        QCOMPARE(window.dataPage()->folder(), QDir(data).absolutePath());
        QVERIFY(window.waitUntilIdle(60000));
        QCOMPARE(window.dataPage()->summary().classes, QStringList({"a", "b"}));
        QVERIFY(window.dataPage()->doctorResult().isValid());

        // A file is not a dataset: a note in the status bar, nothing changes.
        window.setCurrentStep(MainWindow::BackboneStep);
        QMimeData file;
        file.setUrls({QUrl::fromLocalFile(QDir(data).filePath(QStringLiteral("a/0.png")))});
        QDragEnterEvent fileEnter(QPoint(20, 20), Qt::CopyAction, &file, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &fileEnter);
        QVERIFY(fileEnter.isAccepted());  // taken, so that the drop can explain
        QDropEvent fileDrop(QPointF(20, 20), Qt::CopyAction, &file, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&window, &fileDrop);
        QVERIFY(!fileDrop.isAccepted());
        QCOMPARE(window.currentStep(), int(MainWindow::BackboneStep));
        QCOMPARE(window.dataPage()->folder(), QDir(data).absolutePath());
        QVERIFY2(window.statusBar()->currentMessage().contains(QStringLiteral("0.png is a file")),
                 qPrintable(window.statusBar()->currentMessage()));
        // Nothing local at all.
        QMimeData web;
        web.setUrls({QUrl(QStringLiteral("https://example.org/cats/"))});
        QDragEnterEvent webEnter(QPoint(20, 20), Qt::CopyAction, &web, Qt::LeftButton, Qt::NoModifier);
        webEnter.ignore();
        QApplication::sendEvent(&window, &webEnter);
        QVERIFY(!webEnter.isAccepted());
    }

    void exclusionsFlowIntoTheConfigAndTheProject() {
        QTemporaryDir dir;
        const QString data = dir.filePath(QStringLiteral("bad"));
        const QStringList bad = writeDatasetWithBadFiles(data);
        MainWindow first;
        first.dataPage()->setFolder(data);
        QVERIFY(first.waitUntilIdle(60000));
        QVERIFY(first.currentConfig().excludeFiles.empty());
        QCOMPARE(toSet(first.dataPage()->doctorResult().badFiles), toSet(bad));
        QCOMPARE(first.dataPage()->excludeAllUnusable(), 2);
        QCOMPARE(toSet(first.currentConfig().excludeFiles), toSet(bad));
        // Include one again: it leaves the config too.
        QCOMPARE(first.dataPage()->includeFiles({bad.first()}), 1);
        QCOMPARE(toSet(first.currentConfig().excludeFiles), QSet<QString>({bad.last()}));
        QCOMPARE(first.dataPage()->excludeFiles({bad.first()}), 1);
        // The Data page's validation share goes into the config and back.
        first.dataPage()->findChild<QSpinBox*>(QStringLiteral("valFraction"))->setValue(30);
        QVERIFY(first.waitUntilIdle(60000));
        QCOMPARE(first.currentConfig().valFraction, 0.3);
        // The paths are the ones the trainer's index of config.dataDir holds.
        const ts::train::TrainConfig config = first.currentConfig();
        const auto index = ts::data::indexDataset(config.dataDir);
        QSet<QString> listed;
        for (const auto& item : index.all()) listed.insert(QString::fromStdString(item.path));
        for (const auto& f : config.excludeFiles) QVERIFY2(listed.contains(QString::fromStdString(f)), f.c_str());

        const QString path = dir.filePath(QStringLiteral("bad.tsproj"));
        QString error;
        QVERIFY2(first.saveProjectTo(path, &error), qPrintable(error));

        MainWindow second;
        QVERIFY(second.openPath(path));
        QVERIFY(second.waitUntilIdle(60000));
        QCOMPARE(second.dataPage()->excludedFiles(), first.dataPage()->excludedFiles());
        QCOMPARE(second.dataPage()->valFraction(), 0.3);
        QCOMPARE(ts::train::toJson(second.currentConfig()).dump(), ts::train::toJson(config).dump());
        // The restored exclusions show in the problems table.
        const ts::ui::ProblemsModel* model = second.dataPage()->problemsModel();
        int marked = 0;
        for (int r = 0; r < model->rowCount(); ++r)
            if (model->index(r, 0).data(ts::ui::ProblemsModel::ExcludedRole).toBool()) {
                QVERIFY(toSet(bad).contains(model->index(r, 0).data(ts::ui::ProblemsModel::PathRole).toString()));
                ++marked;
            }
        QCOMPARE(marked, 2);

        // Another folder (dropped or chosen) drops exclusions that are not under it.
        QTemporaryDir otherDir;
        writeDatasetWithBadFiles(otherDir.path());
        second.dataPage()->setFolder(otherDir.path());
        QVERIFY(second.currentConfig().excludeFiles.empty());
        QVERIFY(second.waitUntilIdle(60000));
        // A new project starts without exclusions.
        first.newProject();
        QVERIFY(first.currentConfig().excludeFiles.empty());
        QSettings().clear();
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_ui_mainwindow.moc"
