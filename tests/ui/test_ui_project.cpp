// Opening hostile or damaged project files (*.tsproj): every one gives a
// message naming the file, the window shows it in its error dialog and stays
// usable. `{"format":1,"dataset":5}` once ended in std::terminate.
#include "ui/main/Application.h"
#include "ui/main/MainWindow.h"
#include "ui/models/ProjectFile.h"

#include <QApplication>
#include <QFile>
#include <QFileInfo>
#include <QMessageBox>
#include <QSettings>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

using ts::ui::MainWindow;

namespace {

QString writeFile(const QTemporaryDir& dir, const QString& name, const QByteArray& bytes) {
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly)) return {};
    f.write(bytes);
    f.close();
    return path;
}

bool printableAscii(const QString& s) {
    for (const QChar c : s)
        if (c.unicode() < 0x20 && c != QLatin1Char('\n')) return false;
    return true;
}

} // namespace

class TestProjectFiles : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        QSettings().clear();
    }

    void hostileProjectsGiveAnErrorNamingTheFile() {
        QTemporaryDir dir;
        const QByteArray deep = QByteArray(100000, '[') + QByteArray(100000, ']');
        // (Ordinary literals where a brace is left open: moc skips function
        // bodies by counting braces and does not see into raw strings.)
        const QByteArray v2 = "{\"format\": \"transfer-studio-project\", \"version\": 2, ";
        const QList<QPair<QByteArray, QString>> cases = {
            {R"({"format": 1, "dataset": 5})", QStringLiteral("dataset")},
            {R"({"format": 1, "dataset": "/d", "backbone": []})", QStringLiteral("backbone")},
            {"{\"format\": 1, \"dataset\": \"" + QByteArray(10000, 'x') + "\"}", QStringLiteral("dataset")},
            {R"({"format": 1.5})", QStringLiteral("format")},
            {R"({"format": 7})", QStringLiteral("newer")},
            {R"({"format": true})", QStringLiteral("format")},
            {R"({"format": "transfer-studio-project", "version": "2", "config": {}})", QStringLiteral("version")},
            {R"({"format": "transfer-studio-project", "config": {}})", QStringLiteral("version")},
            {R"({"format": "transfer-studio-project", "version": 99, "config": {}})", QStringLiteral("newer")},
            {v2 + "\"config\": 5}", QStringLiteral("config")},
            {v2 + "\"config\": {\"epochs\": \"10\"}}", QStringLiteral("epochs")},
            {v2 + "\"config\": {\"epochs\": 1e300}}", QStringLiteral("1e+300")},
            {v2 + "\"config\": {\"threads\": 1000000}}", QStringLiteral("threads")},
            {v2 + "\"config\": {\"freeze\": \"last:" + QByteArray(2000000, '9') + "\"}}", QStringLiteral("freeze")},
            {v2 + "\"config\": {\"epochz\": 3}}", QStringLiteral("did you mean")},
            {v2 + "\"config\": {}, \"ui\": 5}", QStringLiteral("\"ui\"")},
            {"[1, 2]", QStringLiteral("not a JSON object")},
            {R"({"epochs": 1e400})", QStringLiteral("JSON")},
            {deep, QStringLiteral("deep")},
            {"", QStringLiteral("JSON")},
            {"\x01\x02\xff\xfe", QStringLiteral("JSON")},
        };
        int n = 0;
        for (const auto& [bytes, expected] : cases) {
            const QString path = writeFile(dir, QStringLiteral("bad%1.tsproj").arg(n++), bytes);
            ts::ui::ProjectFile project;
            QString error;
            QVERIFY2(!project.load(path, &error), bytes.left(80).constData());
            QVERIFY2(error.contains(path), qPrintable(error));
            QVERIFY2(error.contains(expected), qPrintable(QStringLiteral("'%1' not in: %2").arg(expected, error)));
            QVERIFY2(error.size() < 800, qPrintable(error.left(800)));
            QVERIFY2(printableAscii(error), qPrintable(error));
        }
        // A missing file too.
        ts::ui::ProjectFile project;
        QString error;
        QVERIFY(!project.load(dir.filePath(QStringLiteral("missing.tsproj")), &error));
        QVERIFY2(error.contains(QStringLiteral("missing.tsproj")), qPrintable(error));
    }

    void openingAWrongTypeShowsTheErrorDialogAndKeepsTheApp() {
        QTemporaryDir dir;
        const QString bad = writeFile(dir, QStringLiteral("wrong-type.tsproj"), R"({"format":1,"dataset":5})");
        MainWindow window;
        window.show();
        QVERIFY(!window.openPath(bad));
        QCoreApplication::processEvents();
        auto* box = window.findChild<QMessageBox*>(QStringLiteral("errorDialog"));
        QVERIFY(box);
        QVERIFY(box->isVisible());
        QVERIFY2(box->text().contains(QStringLiteral("wrong-type.tsproj")), qPrintable(box->text()));
        QVERIFY2(box->text().contains(QStringLiteral("dataset")), qPrintable(box->text()));
        QVERIFY(window.projectPath().isEmpty());
        box->accept();
        QCoreApplication::processEvents();

        // The window still works: a good project opens afterwards.
        const QString good =
            writeFile(dir, QStringLiteral("good.tsproj"),
                      QStringLiteral(R"({"format": 1, "dataset": "%1", "backbone": "resnet18"})").arg(dir.path()).toUtf8());
        QVERIFY(window.openPath(good));
        QCOMPARE(window.projectPath(), QFileInfo(good).absoluteFilePath());
        QVERIFY(window.waitUntilIdle(30000));
        QSettings().clear();
    }
};

QTEST_MAIN(TestProjectFiles)
#include "test_ui_project.moc"
