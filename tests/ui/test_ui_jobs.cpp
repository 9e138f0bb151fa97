// TaskManager, the one background-job protocol: every job reports exactly
// once (finished, failed with its message, or cancelled), a newer request
// replaces an older one and drops what the older still posts, cancel and
// pause reach the job's Feedback, progress and posts arrive on the UI thread
// in order, and neither a receiver that goes away nor a window closed
// mid-job hangs, crashes or delivers anything.
#include "core/common/Error.h"
#include "ui/main/Application.h"
#include "ui/main/MainWindow.h"
#include "ui/pages/DataPage.h"
#include "ui/workers/TaskManager.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QPointer>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include "UiTestSupport.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

using ts::ui::JobContext;
using ts::ui::JobResult;
using ts::ui::JobSpec;
using ts::ui::JobStatus;
using ts::ui::TaskManager;

namespace {

// Blocks until the job is cancelled (at most `limitMs`); returns how long it waited.
int waitForCancel(JobContext& job, int limitMs = 20000) {
    QElapsedTimer timer;
    timer.start();
    while (!job.isCancelled() && timer.elapsed() < limitMs) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return int(timer.elapsed());
}

JobSpec laneSpec(const QString& lane, const QString& replaceKey = {}) {
    JobSpec spec;
    spec.lane = lane;
    spec.replaceKey = replaceKey;
    return spec;
}

// ROOT/<a|b>/<n>.png: enough noise images that the doctor runs for a while.
void writeDataset(const QString& root, int perClass) {
    QVERIFY(ts::uitest::writeDataset(root, {"a", "b"}, perClass, 96, ts::uitest::Pattern::Noise));
}

} // namespace

class JobsTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        ts::ui::setApplicationIdentity();
        QSettings().clear();
    }

    void exactlyOneResultPerJob() {
        TaskManager tasks;
        QObject receiver;
        QSignalSpy ended(&tasks, &TaskManager::jobEnded);
        QHash<quint64, int> calls;
        QHash<quint64, JobStatus> statuses;
        const auto record = [&](const auto& r) {
            ++calls[r.id];
            statuses[r.id] = r.status;
        };
        QList<quint64> ids;
        // Finished, on two lanes.
        for (int i = 0; i < 5; ++i)
            ids << tasks.submit<int>(&receiver, laneSpec(i % 2 ? "one" : "two"), [i](JobContext&) { return i * i; },
                                     [&](const JobResult<int>& r) {
                                         record(r);
                                         QCOMPARE(r.value, int((r.id - 1) * (r.id - 1)));
                                     });
        // Failed.
        const quint64 failing = tasks.submit<int>(
            &receiver, laneSpec("one"), [](JobContext&) -> int { throw ts::DataError("/data/x.png: broken"); },
            [&](const JobResult<int>& r) { record(r); });
        // Cancelled before it started (the lane is busy with a blocker first).
        std::atomic<bool> release{false};
        const quint64 blocker = tasks.submit<int>(&receiver, laneSpec("three"), [&release](JobContext&) {
            while (!release.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return 1;
        }, [&](const JobResult<int>& r) { record(r); });
        std::atomic<bool> ran{false};
        const quint64 queued = tasks.submit<int>(&receiver, laneSpec("three"), [&ran](JobContext&) {
            ran.store(true);
            return 2;
        }, [&](const JobResult<int>& r) { record(r); });
        tasks.cancel(queued);
        release.store(true);
        ids << failing << blocker << queued;
        QCOMPARE(tasks.pending(), 8);
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 8, 10000);
        QTest::qWait(50);  // nothing more arrives
        QCOMPARE(ended.count(), 8);
        for (quint64 id : ids) QCOMPARE(calls.value(id), 1);
        QCOMPARE(statuses.value(failing), JobStatus::Failed);
        QCOMPARE(statuses.value(blocker), JobStatus::Finished);
        QCOMPARE(statuses.value(queued), JobStatus::Cancelled);
        QVERIFY(!ran.load());
        QVERIFY(!tasks.isBusy());
        // jobEnded carries the same statuses.
        for (const QList<QVariant>& args : std::as_const(ended))
            QCOMPARE(args.at(1).value<JobStatus>(), statuses.value(args.at(0).toULongLong()));
    }

    void failingJobReportsItsMessage() {
        TaskManager tasks;
        QObject receiver;
        JobSpec spec;
        spec.errorContext = QStringLiteral("Checking the folder failed:");
        JobResult<int> got;
        tasks.submit<int>(&receiver, spec,
                          [](JobContext&) -> int { throw ts::IoError("/data/cats/1.png: cannot be read; check its permissions"); },
                          [&](const JobResult<int>& r) { got = r; });
        QTRY_VERIFY_WITH_TIMEOUT(got.id != 0, 10000);
        QVERIFY(got.failed());
        QCOMPARE(got.error.userMessage,
                 QStringLiteral("Checking the folder failed: /data/cats/1.png: cannot be read; check its permissions"));
        QVERIFY2(got.error.details.startsWith(QStringLiteral("IoError: ")), qPrintable(got.error.details));
        QCOMPARE(got.value, 0);

        // A job that words its own failure is passed through unchanged.
        JobResult<int> worded;
        tasks.submit<int>(&receiver, spec,
                          [](JobContext&) -> int { throw ts::ui::JobFailure({"Download failed: HTTP 404", "DownloadError"}); },
                          [&](const JobResult<int>& r) { worded = r; });
        QTRY_VERIFY_WITH_TIMEOUT(worded.id != 0, 10000);
        QCOMPARE(worded.error.userMessage, QStringLiteral("Download failed: HTTP 404"));
        QCOMPARE(worded.error.details, QStringLiteral("DownloadError"));
    }

    void cancelReachesTheRunningJob() {
        TaskManager tasks;
        QObject receiver;
        std::atomic<bool> started{false};
        JobResult<int> got;
        const quint64 id = tasks.submit<int>(&receiver, {}, [&started](JobContext& job) -> int {
            started.store(true);
            waitForCancel(job);
            if (job.isCancelled()) throw ts::Cancelled();
            return 1;
        }, [&](const JobResult<int>& r) { got = r; });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        QVERIFY(tasks.isPending(id) && !tasks.isCancelled(id));
        QElapsedTimer timer;
        timer.start();
        tasks.cancel(id);
        QVERIFY(tasks.isCancelled(id));
        QTRY_VERIFY_WITH_TIMEOUT(got.id == id, 5000);
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QVERIFY(got.cancelled());
        QVERIFY(!got.replaced);

        // A job that returns normally after a cancel is Finished: it decides what a stop means.
        JobResult<int> partial;
        std::atomic<bool> running{false};
        const quint64 stopping = tasks.submit<int>(&receiver, {}, [&running](JobContext& job) {
            running.store(true);
            waitForCancel(job);
            return 7;  // "the epochs completed so far"
        }, [&](const JobResult<int>& r) { partial = r; });
        QTRY_VERIFY_WITH_TIMEOUT(running.load(), 10000);
        tasks.cancel(stopping);
        QTRY_VERIFY_WITH_TIMEOUT(partial.id == stopping, 5000);
        QVERIFY(partial.ok());
        QCOMPARE(partial.value, 7);
    }

    void pauseAndResumeReachTheFeedback() {
        TaskManager tasks;
        QObject receiver;
        std::atomic<int> steps{0};
        std::atomic<bool> go{false};
        JobResult<int> got;
        const quint64 id = tasks.submit<int>(&receiver, {}, [&](JobContext& job) {
            while (!go.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
            for (int i = 0; i < 20; ++i) {
                if (!job.feedback().waitIfPaused()) break;
                steps.fetch_add(1);
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            return steps.load();
        }, [&](const JobResult<int>& r) { got = r; });
        tasks.pause(id);
        QVERIFY(tasks.isPaused(id));
        go.store(true);
        QTest::qWait(100);
        QCOMPARE(steps.load(), 0);  // blocked at the first check
        tasks.resume(id);
        QVERIFY(!tasks.isPaused(id));
        QTRY_VERIFY_WITH_TIMEOUT(got.id == id, 10000);
        QVERIFY(got.ok());
        QCOMPARE(got.value, 20);
    }

    void newerRequestReplacesOlder() {
        TaskManager tasks;
        QObject receiver;
        std::atomic<bool> oldStarted{false};
        std::atomic<bool> oldPostedLate{false};
        int oldPostsSeen = 0;
        JobResult<QString> first, second, third;
        const JobSpec spec = laneSpec("viewer", "view");
        const quint64 older = tasks.submit<QString>(&receiver, spec, [&](JobContext& job) {
            job.post([&] { ++oldPostsSeen; });  // before the replacement: delivered
            oldStarted.store(true);
            waitForCancel(job);
            job.post([&] { ++oldPostsSeen; });  // after it: dropped
            oldPostedLate.store(true);
            return QStringLiteral("old");
        }, [&](const JobResult<QString>& r) { first = r; });
        QTRY_VERIFY_WITH_TIMEOUT(oldStarted.load(), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(oldPostsSeen, 1, 5000);
        // Two newer requests: the middle one is queued behind the running one
        // and replaced before it starts; only the newest runs to the end.
        std::atomic<bool> middleRan{false};
        const quint64 middle = tasks.submit<QString>(&receiver, spec, [&middleRan](JobContext&) {
            middleRan.store(true);
            return QStringLiteral("middle");
        }, [&](const JobResult<QString>& r) { second = r; });
        QVERIFY(tasks.isCancelled(older));
        const quint64 newest = tasks.submit<QString>(&receiver, spec, [](JobContext&) { return QStringLiteral("new"); },
                                                     [&](const JobResult<QString>& r) { third = r; });
        QTRY_VERIFY_WITH_TIMEOUT(third.id == newest, 10000);
        QCOMPARE(first.id, older);
        QVERIFY(first.cancelled() && first.replaced);
        QVERIFY(first.value.isEmpty());  // a replaced job's value never reaches the page
        QCOMPARE(second.id, middle);
        QVERIFY(second.cancelled() && second.replaced);
        QVERIFY(!middleRan.load());
        QVERIFY(third.ok());
        QCOMPARE(third.value, QStringLiteral("new"));
        QVERIFY(oldPostedLate.load());
        QCOMPARE(oldPostsSeen, 1);

        // A job on another key is not touched.
        JobResult<int> other;
        tasks.submit<int>(&receiver, laneSpec("viewer", "other"), [](JobContext&) { return 3; },
                          [&](const JobResult<int>& r) { other = r; });
        tasks.submit<int>(&receiver, laneSpec("viewer", "view"), [](JobContext&) { return 4; }, [](const JobResult<int>&) {});
        QTRY_VERIFY_WITH_TIMEOUT(other.id != 0, 10000);
        QVERIFY(other.ok());
    }

    void progressAndPostsArriveOnTheUiThreadInOrder() {
        TaskManager tasks;
        QObject receiver;
        QThread* const ui = QThread::currentThread();
        QList<double> fractions;
        QStringList order;
        bool allOnUi = true;
        JobSpec spec;
        spec.progressIntervalMs = 0;
        spec.onProgress = [&](double fraction, const QString&) {
            allOnUi = allOnUi && QThread::currentThread() == ui;
            fractions << fraction;
        };
        bool done = false;
        tasks.submit<int>(&receiver, spec, [&](JobContext& job) {
            for (int i = 1; i <= 4; ++i) {
                job.feedback().reportProgress(i / 4.0);
                job.post([&order, i, ui, &allOnUi] {
                    allOnUi = allOnUi && QThread::currentThread() == ui;
                    order << QString::number(i);
                });
            }
            return 0;
        }, [&](const JobResult<int>&) {
            order << QStringLiteral("done");
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
        QVERIFY(allOnUi);
        QCOMPARE(order, QStringList({"1", "2", "3", "4", "done"}));
        QCOMPARE(fractions, QList<double>({0.25, 0.5, 0.75, 1.0}));
    }

    void destroyedReceiverGetsNothing() {
        TaskManager tasks;
        QSignalSpy ended(&tasks, &TaskManager::jobEnded);
        auto* receiver = new QObject;
        std::atomic<bool> started{false};
        std::atomic<int> cancelledAfterMs{-1};
        int delivered = 0;
        tasks.submit<int>(receiver, {}, [&](JobContext& job) {
            started.store(true);
            const int waited = waitForCancel(job);
            cancelledAfterMs.store(waited);
            job.post([&delivered] { ++delivered; });
            return 1;
        }, [&](const JobResult<int>&) { ++delivered; });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        delete receiver;  // cancels its job
        QTRY_COMPARE_WITH_TIMEOUT(ended.count(), 1, 5000);
        QVERIFY(cancelledAfterMs.load() >= 0 && cancelledAfterMs.load() < 5000);
        QTest::qWait(50);
        QCOMPARE(delivered, 0);
        QVERIFY(!tasks.isBusy());
    }

    void destroyingTheManagerMidJobReturnsPromptly() {
        auto* tasks = new TaskManager;
        QObject receiver;
        std::atomic<bool> started{false};
        std::atomic<bool> queuedRan{false};
        int delivered = 0;
        tasks->submit<int>(&receiver, {}, [&started](JobContext& job) {
            started.store(true);
            waitForCancel(job);
            return 1;
        }, [&](const JobResult<int>&) { ++delivered; });
        tasks->submit<int>(&receiver, {}, [&queuedRan](JobContext&) {
            queuedRan.store(true);
            return 2;
        }, [&](const JobResult<int>&) { ++delivered; });
        QTRY_VERIFY_WITH_TIMEOUT(started.load(), 10000);
        QElapsedTimer timer;
        timer.start();
        delete tasks;
        QVERIFY2(timer.elapsed() < 3000, qPrintable(QString::number(timer.elapsed())));
        QTest::qWait(50);
        QCOMPARE(delivered, 0);
        QVERIFY(!queuedRan.load());
    }

    void deletingTheOwnerInsideDoneIsSafe() {
        // A `done` that closes what owns the manager (the page, the window).
        auto* owner = new QObject;
        auto* tasks = new TaskManager(owner);
        QPointer<TaskManager> alive(tasks);
        int calls = 0;
        tasks->submit<int>(owner, {}, [](JobContext&) { return 1; }, [&](const JobResult<int>&) {
            ++calls;
            delete owner;
        });
        QTRY_VERIFY_WITH_TIMEOUT(!alive, 10000);
        QTest::qWait(20);
        QCOMPARE(calls, 1);
    }

    void closingTheWindowMidJobDoesNotHang() {
        QTemporaryDir data;
        writeDataset(data.path(), 150);
        auto window = std::make_unique<ts::ui::MainWindow>();  // deleted on a failed check too
        window->show();
        QVERIFY(window->openPath(data.path()));
        QVERIFY(window->isBusy());  // the scan job is queued at once
        // Mid-doctor when the machine lets us see it (a fast machine may finish first).
        QTRY_VERIFY_WITH_TIMEOUT(window->dataPage()->isDiagnosing() || !window->isBusy(), 30000);
        if (!window->dataPage()->isDiagnosing()) qInfo("the doctor finished before the window was closed");
        QElapsedTimer timer;
        timer.start();
        window->close();
        window.reset();  // the pages' task managers cancel the doctor and wait
        QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
        QTest::qWait(50);  // no late delivery to a deleted page
    }
};

QTEST_MAIN(JobsTest)
#include "test_ui_jobs.moc"
