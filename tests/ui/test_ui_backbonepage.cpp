// BackbonePage: the table lists the registry, filters, sorts numerically, and
// shows the selected model's stages. Weights: downloads against a local HTTP
// server (tests/python/weights_server.py, TS_WEIGHTS_MIRROR pointing at it,
// TORCH_HOME a temporary folder) with progress, cancel and resume, checksum
// and HTTP errors; imports of a right and a wrong state dict; the page
// destroyed mid-download.
#include "ui/main/Application.h"
#include "ui/models/ZooTableModel.h"
#include "ui/pages/BackbonePage.h"

#include "core/weights/Download.h"
#include "core/weights/Pretrained.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QMessageBox>
#include <QProcess>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using ts::ui::BackbonePage;
using ts::ui::ZooTableModel;

namespace {

const QString kArch = QStringLiteral("mobilenet_v2");

QByteArray randomBytes(qsizetype n, quint32 seed) {
    QRandomGenerator rng(seed);
    QByteArray bytes(n, Qt::Uninitialized);
    rng.fillRange(reinterpret_cast<quint32*>(bytes.data()), n / 4);
    return bytes;
}

QString officialFileName(const QString& arch) {
    return QString::fromStdString(ts::zoo::weightsFileName(ts::zoo::modelInfo(arch.toStdString())));
}

QString cachedPath(const QString& arch) { return QString::fromStdString(ts::weights::cachedWeightsPath(arch.toStdString())); }

QString weightsCell(const BackbonePage& page, const QString& arch) {
    return page.model()->index(page.model()->rowOf(arch), ZooTableModel::WeightsColumn).data().toString();
}

template <typename T>
T* child(const BackbonePage& page, const char* name) {
    T* w = page.findChild<T*>(QString::fromLatin1(name));
    if (!w) qFatal("no child named %s", name);
    return w;
}

} // namespace

class TestBackbonePage : public QObject {
    Q_OBJECT
private:
    QTemporaryDir m_torchHome;
    QTemporaryDir m_serverDir;
    QProcess m_server;
    QString m_base;         // http://127.0.0.1:PORT, empty when the server did not start
    QString m_serverError;  // why not

    // Serves `bytes` under `name`.
    void serve(const QString& name, const QByteArray& bytes) {
        QFile f(m_serverDir.filePath(QStringLiteral("www/") + name));
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        QCOMPARE(f.write(bytes), bytes.size());
    }

    // The Range header of the server's last request for `name` (null when none).
    QString lastRangeFor(const QString& name) const {
        QFile f(m_serverDir.filePath(QStringLiteral("server.log")));
        if (!f.open(QIODevice::ReadOnly)) return {};
        QString range;
        for (const QByteArray& line : f.readAll().split('\n')) {
            const QJsonObject entry = QJsonDocument::fromJson(line).object();
            if (entry.value(QStringLiteral("path")).toString().endsWith(QLatin1Char('/') + name))
                range = entry.value(QStringLiteral("range")).toString();
        }
        return range;
    }

    // A page with `arch` selected, weights files served through `mirrorPath`.
    std::unique_ptr<BackbonePage> pageFor(const QString& arch, const QString& mirrorPath = {}) {
        if (!mirrorPath.isEmpty()) qputenv("TS_WEIGHTS_MIRROR", (m_base + mirrorPath).toUtf8());
        auto page = std::make_unique<BackbonePage>();
        if (!page->selectBackbone(arch)) qFatal("cannot select %s", qPrintable(arch));
        return page;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        // The weights cache of every test (and every page: set before one is built).
        QVERIFY(m_torchHome.isValid());
        qputenv("TORCH_HOME", m_torchHome.path().toUtf8());
        // The server is local; never route it through a proxy from the environment.
        qputenv("no_proxy", "127.0.0.1,localhost");
        qputenv("NO_PROXY", "127.0.0.1,localhost");

        const QString python = QStringLiteral("/usr/bin/python3");
        const QString script = QStringLiteral(TS_SOURCE_DIR "/tests/python/weights_server.py");
        QVERIFY(m_serverDir.isValid());
        QDir(m_serverDir.path()).mkpath(QStringLiteral("www"));
        if (!QFileInfo::exists(python)) {
            m_serverError = python + QStringLiteral(" is not installed");
            return;
        }
        const QString portFile = m_serverDir.filePath(QStringLiteral("port"));
        m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_server.start(python, {script, QStringLiteral("--root"), m_serverDir.filePath(QStringLiteral("www")),
                                QStringLiteral("--port-file"), portFile, QStringLiteral("--log"),
                                m_serverDir.filePath(QStringLiteral("server.log")), QStringLiteral("--timeout"),
                                QStringLiteral("900")});
        if (!m_server.waitForStarted(10000)) {
            m_serverError = python + QStringLiteral(" did not start: ") + m_server.errorString();
            return;
        }
        QElapsedTimer waited;
        waited.start();
        while (!QFileInfo::exists(portFile) && m_server.state() == QProcess::Running && waited.elapsed() < 30000)
            QTest::qWait(50);
        QFile port(portFile);
        if (!port.open(QIODevice::ReadOnly)) {
            m_serverError = script + QStringLiteral(" did not publish its port (") + m_server.errorString() + QLatin1Char(')');
            return;
        }
        m_base = QStringLiteral("http://127.0.0.1:") + QString::fromLatin1(port.readAll().trimmed());
    }

    void cleanupTestCase() {
        if (m_server.state() != QProcess::NotRunning) {
            m_server.terminate();
            if (!m_server.waitForFinished(5000)) m_server.kill();
            m_server.waitForFinished(5000);
        }
    }

    void init() {
        // Every test starts with an empty cache and the official URLs.
        QDir(m_torchHome.path()).removeRecursively();
        QDir().mkpath(m_torchHome.path());
        qunsetenv("TS_WEIGHTS_MIRROR");
    }

    void listsTheRegistry() {
        BackbonePage page;
        QStringList expected;
        for (const auto& name : ts::zoo::modelNames()) expected << QString::fromStdString(name);
        QVERIFY(!expected.isEmpty());
        QCOMPARE(page.visibleModelNames(), expected);
        const auto& mobilenet = ts::zoo::modelInfo("mobilenet_v2");
        const int row = page.model()->rowOf(QStringLiteral("mobilenet_v2"));
        QVERIFY(row >= 0);
        QCOMPARE(page.model()->index(row, ZooTableModel::FamilyColumn).data().toString(),
                 QString::fromStdString(mobilenet.family));
        QCOMPARE(page.model()->index(row, ZooTableModel::ParamsColumn).data(Qt::EditRole).toLongLong(),
                 qint64(mobilenet.numParams));
        QCOMPARE(page.model()->index(row, ZooTableModel::Top1Column).data(Qt::EditRole).toDouble(), mobilenet.top1);
    }

    void filtering() {
        BackbonePage page;
        const int all = page.visibleModelNames().size();
        page.setFilterText(QStringLiteral("MOBILENET"));
        const QStringList shown = page.visibleModelNames();
        QVERIFY(shown.contains(QStringLiteral("mobilenet_v2")));
        QVERIFY(!shown.contains(QStringLiteral("tiny_cnn")));
        QVERIFY(shown.size() < all);
        for (const QString& name : shown) {
            const int row = page.model()->rowOf(name);
            const QString family = page.model()->index(row, ZooTableModel::FamilyColumn).data().toString();
            QVERIFY2(name.contains("mobilenet", Qt::CaseInsensitive) || family.contains("mobilenet", Qt::CaseInsensitive),
                     qPrintable(name));
        }
        page.setFilterText(QStringLiteral("no-such-model"));
        QVERIFY(page.visibleModelNames().isEmpty());
        page.setFilterText(QString());
        QCOMPARE(page.visibleModelNames().size(), all);
    }

    void sortsNumerically() {
        BackbonePage page;
        page.proxy()->sort(ZooTableModel::ParamsColumn, Qt::AscendingOrder);
        qint64 last = -1;
        for (int r = 0; r < page.proxy()->rowCount(); ++r) {
            const qint64 params = page.proxy()->index(r, ZooTableModel::ParamsColumn).data(Qt::EditRole).toLongLong();
            QVERIFY(params >= last);
            last = params;
        }
    }

    void selectingShowsStages() {
        BackbonePage page;
        QSignalSpy changed(&page, &BackbonePage::backboneChanged);
        QVERIFY(page.selectBackbone(QStringLiteral("tiny_cnn")));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(page.selectedBackbone(), QStringLiteral("tiny_cnn"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 60000);
        const auto expected = ts::zoo::createModel("tiny_cnn")->stages();
        QCOMPARE(page.stages().size(), qsizetype(expected.size()));
        QCOMPARE(page.stages().last().name, QStringLiteral("head"));
        qint64 total = 0;
        for (const auto& s : page.stages()) total += s.numParams;
        QCOMPARE(total, qint64(ts::zoo::modelInfo("tiny_cnn").numParams));
        QVERIFY(!page.selectBackbone(QStringLiteral("no-such-model")));
    }

    void weightsButtonsFollowTheSelection() {
        BackbonePage page;
        auto* download = child<QPushButton>(page, "downloadWeightsButton");
        auto* import = child<QPushButton>(page, "importWeightsButton");
        QVERIFY(!download->isEnabled());  // nothing selected
        QVERIFY(!page.startDownload());

        QVERIFY(page.selectBackbone(QStringLiteral("tiny_cnn")));
        QCOMPARE(weightsCell(page, QStringLiteral("tiny_cnn")), QStringLiteral("none (random init)"));
        QVERIFY(!download->isEnabled());
        QVERIFY(!import->isEnabled());
        QVERIFY2(download->toolTip().contains(QStringLiteral("no official pretrained weights")), qPrintable(download->toolTip()));
        QVERIFY(!page.startDownload());
        QVERIFY(!page.importWeightsFile(QStringLiteral("/nonexistent.pth")));
        QVERIFY(!page.isWeightsJobRunning());

        QVERIFY(page.selectBackbone(kArch));
        QCOMPARE(weightsCell(page, kArch), QStringLiteral("not downloaded"));
        QVERIFY(download->isEnabled());
        QVERIFY(import->isEnabled());
        QCOMPARE(download->text(), QStringLiteral("Download weights"));
        QVERIFY2(download->toolTip().contains(cachedPath(kArch)), qPrintable(download->toolTip()));
        QVERIFY(child<QProgressBar>(page, "downloadProgress")->isHidden());
        QVERIFY(child<QPushButton>(page, "cancelDownloadButton")->isHidden());
    }

    void downloadShowsProgressAndCancelKeepsThePartial() {
        if (m_base.isEmpty()) QSKIP(qPrintable(QStringLiteral("the local weights server cannot start: ") + m_serverError));
        const QString name = officialFileName(kArch);
        const QByteArray bytes = randomBytes(4 << 20, 1);  // 4 MiB: about 5 s through /slow
        serve(name, bytes);
        auto page = pageFor(kArch, QStringLiteral("/slow"));
        auto* progress = child<QProgressBar>(*page, "downloadProgress");
        auto* cancel = child<QPushButton>(*page, "cancelDownloadButton");
        auto* download = child<QPushButton>(*page, "downloadWeightsButton");
        QSignalSpy finished(page.get(), &BackbonePage::weightsJobFinished);

        download->click();
        QVERIFY(page->isWeightsJobRunning());
        QVERIFY(!download->isEnabled());  // one at a time
        QVERIFY(!child<QPushButton>(*page, "importWeightsButton")->isEnabled());
        QVERIFY(!progress->isHidden());
        QVERIFY(cancel->isEnabled());
        QVERIFY(!page->startDownload());

        QTRY_VERIFY_WITH_TIMEOUT(progress->maximum() > 0 && progress->value() > 0, 15000);
        QCOMPARE(progress->maximum(), int(bytes.size() / 1024));  // in KiB
        const int first = progress->value();
        QTRY_VERIFY_WITH_TIMEOUT(progress->value() > first, 5000);
        QVERIFY2(progress->format().contains(QStringLiteral("of 4.2 MB")), qPrintable(progress->format()));
        QVERIFY2(progress->format().contains(QStringLiteral("MB/s")), qPrintable(progress->format()));

        QElapsedTimer timer;
        timer.start();
        cancel->click();
        QVERIFY(!cancel->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 5000);
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(finished.count(), 1);

        const QFileInfo partial(cachedPath(kArch) + QStringLiteral(".partial"));
        QVERIFY(partial.exists());
        QVERIFY(partial.size() > 0);
        QVERIFY(partial.size() < bytes.size());
        QVERIFY(!QFileInfo::exists(cachedPath(kArch)));
        const QString status = page->weightsStatusText();
        QVERIFY2(status.contains(QStringLiteral("cancelled")) && status.contains(QStringLiteral("resumes")) &&
                     status.contains(partial.filePath()),
                 qPrintable(status));
        // Back to idle; the row and the button know about the partial file.
        QVERIFY(progress->isHidden());
        QVERIFY(cancel->isHidden());
        QVERIFY(download->isEnabled());
        QCOMPARE(download->text(), QStringLiteral("Resume download"));
        QVERIFY2(weightsCell(*page, kArch).startsWith(QStringLiteral("partial")), qPrintable(weightsCell(*page, kArch)));

        // The next download resumes with a Range request (and then fails the
        // SHA-256 check: a generated file never matches the official name).
        qputenv("TS_WEIGHTS_MIRROR", (m_base + QStringLiteral("/files")).toUtf8());
        const qint64 kept = partial.size();
        QVERIFY(page->startDownload());
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 15000);
        QCOMPARE(lastRangeFor(name), QStringLiteral("bytes=%1-").arg(kept));
        QVERIFY2(page->weightsStatusText().contains(QStringLiteral("SHA-256")), qPrintable(page->weightsStatusText()));
    }

    void checksumMismatchIsReportedAndNothingCached() {
        if (m_base.isEmpty()) QSKIP(qPrintable(QStringLiteral("the local weights server cannot start: ") + m_serverError));
        const QString name = officialFileName(kArch);
        serve(name, randomBytes(300000, 2));
        auto page = pageFor(kArch, QStringLiteral("/files"));
        QSignalSpy cached(page.get(), &BackbonePage::weightsCached);
        QVERIFY(page->startDownload());
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 15000);

        const QString status = page->weightsStatusText();
        const QString expectedHash = QString::fromStdString(ts::weights::hashPrefixFromFileName(name.toStdString()));
        QVERIFY(!expectedHash.isEmpty());
        QVERIFY2(status.contains(QStringLiteral("SHA-256")) && status.contains(expectedHash), qPrintable(status));
        QVERIFY2(status.contains(m_base + QStringLiteral("/files/") + name), qPrintable(status));  // the URL
        QVERIFY2(status.contains(QStringLiteral("Import weights file")), qPrintable(status));
        QVERIFY(child<QLabel>(*page, "weightsStatus")->styleSheet().contains(QStringLiteral("#b00020")));  // red
        QCOMPARE(cached.count(), 0);
        QVERIFY(!QFileInfo::exists(cachedPath(kArch)));
        QVERIFY(!QFileInfo::exists(cachedPath(kArch) + QStringLiteral(".partial")));
        QCOMPARE(weightsCell(*page, kArch), QStringLiteral("not downloaded"));
        QVERIFY(child<QPushButton>(*page, "downloadWeightsButton")->isEnabled());  // may be tried again
        QVERIFY(child<QProgressBar>(*page, "downloadProgress")->isHidden());
    }

    void httpErrorIsReadable() {
        if (m_base.isEmpty()) QSKIP(qPrintable(QStringLiteral("the local weights server cannot start: ") + m_serverError));
        auto page = pageFor(kArch, QStringLiteral("/status/404"));
        page->show();  // a visible page also opens the (non-blocking) error box
        QVERIFY(QTest::qWaitForWindowExposed(page.get()));
        QVERIFY(page->startDownload());
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 15000);
        const QString status = page->weightsStatusText();
        QVERIFY2(status.contains(QStringLiteral("HTTP 404")), qPrintable(status));
        QVERIFY2(status.contains(m_base + QStringLiteral("/status/404/") + officialFileName(kArch)), qPrintable(status));
        QVERIFY2(status.contains(cachedPath(kArch)), qPrintable(status));  // where to put the file by hand
        QVERIFY(!QFileInfo::exists(cachedPath(kArch)));
        QCOMPARE(weightsCell(*page, kArch), QStringLiteral("not downloaded"));
        QMessageBox* box = nullptr;
        QTRY_VERIFY((box = page->findChild<QMessageBox*>(QStringLiteral("errorDialog"))) != nullptr);
        QVERIFY2(box->text().contains(QStringLiteral("HTTP 404")), qPrintable(box->text()));
        QVERIFY(box->isVisible());
        box->close();
    }

    void importChecksTheArchitecture() {
        QTemporaryDir files;
        QVERIFY(files.isValid());
        const QString good = files.filePath(QStringLiteral("mine.pth")), wrong = files.filePath(QStringLiteral("tiny.pth"));
        ts::weights::writeStateDict(ts::weights::stateDictOf(*ts::zoo::createModel(kArch.toStdString())), good.toStdString());
        ts::weights::writeStateDict(ts::weights::stateDictOf(*ts::zoo::createModel("tiny_cnn")), wrong.toStdString());
        auto page = pageFor(kArch);
        QSignalSpy cached(page.get(), &BackbonePage::weightsCached);

        // A tiny_cnn state dict does not load into mobilenet_v2: nothing is cached.
        QVERIFY(page->importWeightsFile(wrong));
        QVERIFY(page->isWeightsJobRunning());
        QVERIFY(!child<QPushButton>(*page, "downloadWeightsButton")->isEnabled());
        QVERIFY(!page->importWeightsFile(good));  // one at a time
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 60000);
        QString status = page->weightsStatusText();
        QVERIFY2(status.contains(QStringLiteral("missing key(s)")) && status.contains(QStringLiteral("features.0.0.weight")),
                 qPrintable(status));
        // The label shows the long key lists shortened; the tooltip has them all.
        auto* label = child<QLabel>(*page, "weightsStatus");
        QVERIFY2(label->text().contains(QStringLiteral("missing key(s)")), qPrintable(label->text()));
        QVERIFY(label->text().size() < status.size());
        QCOMPARE(label->toolTip(), status);
        QVERIFY(!QFileInfo::exists(cachedPath(kArch)));
        QCOMPARE(weightsCell(*page, kArch), QStringLiteral("not downloaded"));
        QCOMPARE(cached.count(), 0);

        // The right one is copied into the cache; the row and the details follow.
        QVERIFY(page->importWeightsFile(good));
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 60000);
        status = page->weightsStatusText();
        QVERIFY2(status.contains(cachedPath(kArch)), qPrintable(status));
        QCOMPARE(cached.count(), 1);
        QCOMPARE(cached.first().first().toString(), kArch);
        QFile in(good), out(cachedPath(kArch));
        QVERIFY(in.open(QIODevice::ReadOnly) && out.open(QIODevice::ReadOnly));
        QVERIFY(in.readAll() == out.readAll());
        QCOMPARE(weightsCell(*page, kArch), QStringLiteral("cached"));
        QCOMPARE(page->selectedBackbone(), kArch);  // the selection survives the refresh
        QVERIFY(child<QLabel>(*page, "backboneDetails")->text().contains(QStringLiteral("cached at")));
        auto* download = child<QPushButton>(*page, "downloadWeightsButton");
        QCOMPARE(download->text(), QStringLiteral("Downloaded"));
        QVERIFY(!download->isEnabled());
        QVERIFY(!page->startDownload());
        QVERIFY(child<QPushButton>(*page, "importWeightsButton")->isEnabled());  // replacing stays possible
        QVERIFY(ts::weights::loadPretrained(kArch.toStdString()));

        // Cached weights are replaced only when asked to.
        QVERIFY(page->importWeightsFile(good, false));
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 60000);
        QVERIFY2(page->weightsStatusText().contains(QStringLiteral("already holds")), qPrintable(page->weightsStatusText()));
        QVERIFY(page->importWeightsFile(good, true));
        QTRY_VERIFY_WITH_TIMEOUT(!page->isWeightsJobRunning(), 60000);
        QVERIFY2(page->weightsStatusText().contains(QStringLiteral("replacing")), qPrintable(page->weightsStatusText()));
        QCOMPARE(cached.count(), 2);
    }

    void destroyingThePageDuringADownloadReturnsPromptly() {
        if (m_base.isEmpty()) QSKIP(qPrintable(QStringLiteral("the local weights server cannot start: ") + m_serverError));
        serve(officialFileName(kArch), randomBytes(8 << 20, 3));
        auto page = pageFor(kArch, QStringLiteral("/slow"));
        QVERIFY(page->startDownload());
        auto* progress = child<QProgressBar>(*page, "downloadProgress");
        QTRY_VERIFY_WITH_TIMEOUT(progress->value() > 0, 15000);
        QElapsedTimer timer;
        timer.start();
        page.reset();
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(QFileInfo(cachedPath(kArch) + QStringLiteral(".partial")).size() > 0);  // kept for a resume
        QVERIFY(!QFileInfo::exists(cachedPath(kArch)));
    }
};

QTEST_MAIN(TestBackbonePage)
#include "test_ui_backbonepage.moc"
