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
#include "ui/pages/TrainingPage.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QImage>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using ts::ui::MainWindow;
using ts::ui::ProjectSession;

namespace {

// ROOT/<a|b>/<n>.png, and one empty file the doctor calls unusable.
QString writeDataset(const QString& root) {
    for (const char* name : {"a", "b"}) {
        QDir().mkpath(root + "/" + name);
        for (int i = 0; i < 6; ++i) {
            QImage image(12, 12, QImage::Format_RGB32);
            image.fill(QColor(i * 30, name[0] == 'a' ? 40 : 200, 90));
            image.save(QStringLiteral("%1/%2/%3.png").arg(root, name).arg(i));
        }
    }
    const QString empty = root + "/a/empty.png";
    QFile file(empty);
    file.open(QIODevice::WriteOnly);
    return empty;
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
