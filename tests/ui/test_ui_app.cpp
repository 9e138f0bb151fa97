// The transfer-studio executable: --screenshot writes one non-blank PNG per
// page and exits; --version prints the same report as tstudio.
#include <QDir>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

namespace {

QString binary(const QString& name) { return QStringLiteral(TS_BINARY_DIR "/bin/") + name; }

// The process environment of a test run: offscreen, and XDG folders inside `dir`.
QProcessEnvironment isolatedEnvironment(const QString& dir) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_DATA_HOME"), dir + QStringLiteral("/data"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir + QStringLiteral("/config"));
    env.insert(QStringLiteral("XDG_CACHE_HOME"), dir + QStringLiteral("/cache"));
    return env;
}

QString run(const QString& program, const QStringList& args, const QProcessEnvironment& env, int* exitCode) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(240000)) {
        p.kill();
        *exitCode = -1;
        return QStringLiteral("timed out");
    }
    *exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    return QString::fromLocal8Bit(p.readAll());
}

} // namespace

class TestApp : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() { QStandardPaths::setTestModeEnabled(true); }

    void screenshotWritesOnePngPerPage() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString shots = dir.filePath(QStringLiteral("shots"));
        int code = 0;
        const QString out = run(binary("transfer-studio"), {"--demo", "--screenshot", shots},
                                isolatedEnvironment(dir.path()), &code);
        QVERIFY2(code == 0, qPrintable(out));
        // Every step, and the Inspect page's views inside the network after the demo training.
        const QStringList expected = {"01-data.png",     "02-backbone.png",           "03-layers.png",
                                      "04-training.png", "05-train.png",              "06-experiments.png",
                                      "07-inspect.png",  "07b-inspect-filters.png",   "07c-inspect-feature-maps.png",
                                      "07d-inspect-gradcam.png", "08-export.png"};
        QCOMPARE(QDir(shots).entryList({"*.png"}, QDir::Files, QDir::Name), expected);
        for (const QString& name : expected) {
            const QImage image(QDir(shots).filePath(name));
            QVERIFY2(!image.isNull(), qPrintable(name));
            QVERIFY2(image.width() >= 800 && image.height() >= 500, qPrintable(name));
            // Non-blank: a rendered page has text, frames and widgets, so many colours.
            QSet<QRgb> colours;
            for (int y = 0; y < image.height(); y += 3)
                for (int x = 0; x < image.width(); x += 3) colours.insert(image.pixel(x, y));
            QVERIFY2(colours.size() > 16, qPrintable(QStringLiteral("%1: %2 colours").arg(name).arg(colours.size())));
        }
        // The demo dataset was generated in the isolated data folder.
        QVERIFY(QDir(dir.filePath("data/transfer-studio/demo/circle")).exists());
    }

    void versionMatchesTheCli() {
        QTemporaryDir dir;
        int guiCode = 0, cliCode = 0;
        const QProcessEnvironment env = isolatedEnvironment(dir.path());
        QString gui = run(binary("transfer-studio"), {"--version"}, env, &guiCode);
        QString cli = run(binary("tstudio"), {"--version"}, env, &cliCode);
        QCOMPARE(guiCode, 0);
        QCOMPARE(cliCode, 0);
        QVERIFY2(gui.startsWith(QStringLiteral("transfer-studio ")), qPrintable(gui));
        QVERIFY2(cli.startsWith(QStringLiteral("tstudio ")), qPrintable(cli));
        // Same report after the program name.
        QCOMPARE(gui.mid(gui.indexOf(' ')).trimmed(), cli.mid(cli.indexOf(' ')).trimmed());
    }

    void versionNeedsNoDisplay() {
        QTemporaryDir dir;
        QProcessEnvironment env = isolatedEnvironment(dir.path());
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        int code = 0;
        const QString out = run(binary("transfer-studio"), {"--version"}, env, &code);
        QVERIFY2(code == 0, qPrintable(out));
    }
};

QTEST_MAIN(TestApp)
#include "test_ui_app.moc"
