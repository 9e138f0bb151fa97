#pragma once
// TaskManager: the one way the app runs background work (QGIS's
// QgsTaskManager + QgsFeedback, in small). Scans, the doctor, thumbnails,
// zoo stages, weights downloads, training, the learning-rate finder,
// predictions, views inside the network and exports all go through it; no
// page creates or moves a thread.
//
//     m_tasks->submit<Summary>(this, {lane, replaceKey, onProgress, context},
//         [=](JobContext& job) { return scan(root, job.feedback()); },  // worker thread
//         [this](const JobResult<Summary>& r) { if (r.ok()) show(r.value); });  // UI thread
//
// Lanes: each named lane is one thread, created on first use; the jobs of a
// lane run one after another in submission order, lanes run side by side.
//
// Each job
//   - gets its own ts::Feedback (JobContext::feedback()): cancel(), pause()
//     and resume() of the manager set its flags; its progress reports reach
//     JobSpec::onProgress on the UI thread, throttled to
//     JobSpec::progressIntervalMs (the final 100% always arrives).
//   - may replace older ones: submitting a job with a non-empty
//     JobSpec::replaceKey cancels every pending job with that key (its
//     Feedback is cancelled; a queued one never starts) and drops what they
//     still post. A viewer's newest request wins without request ids.
//   - reports exactly once: `done` runs once with status Finished (the
//     value), Failed (a TaskError: the readable message and the details) or
//     Cancelled (cancelled before it started, replaced, or `work` threw
//     ts::Cancelled). A job that returns normally after a cancel() that was
//     not a replacement is Finished: `work` decides what a stop means (a
//     training run returns the epochs it completed). jobEnded() follows each
//     delivery, also when `done` was not run.
//   - posts intermediate results with JobContext::post(): the function runs
//     on the UI thread, before `done`, in the order posted.
//
// Lifetimes: `receiver` must live on the UI thread (the manager's thread).
// When it is destroyed, its jobs are cancelled and nothing of them is
// delivered (neither posts nor `done`); their captured state is freed on the
// UI thread or with the worker's queue. The destructor cancels every job,
// waits for the running ones to return and delivers nothing more; a job that
// does not check its Feedback delays the destructor by its own length.
// `work` must not touch the receiver or any other QObject of the UI thread:
// capture values, and reach the UI through post() or the return value (a raw
// `this` of the receiver may be captured for use inside the posted functions
// and `done`, which run only while the receiver lives).
// Exceptions leaving `work` become Failed (describeException, TaskError.h);
// throw JobFailure to choose the message yourself.
//
// Thread safety: every member function is for the UI thread only (the
// manager's thread); JobContext is for the job's worker thread.
#include "core/common/Feedback.h"
#include "ui/models/TaskError.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <functional>
#include <memory>

class QThread;

namespace ts::ui {

using JobId = quint64;

enum class JobStatus { Finished, Failed, Cancelled };

/// How a job runs. Every field has a usable default.
struct JobSpec {
    /// The thread it runs on (jobs of one lane run in order).
    QString lane = QStringLiteral("jobs");
    /// Non-empty: the job replaces the pending jobs with the same key.
    QString replaceKey;
    /// Progress of the job's Feedback, on the UI thread; dropped once the job
    /// was replaced or its receiver is gone. Null: progress is not reported.
    std::function<void(double fraction, const QString& what)> onProgress;
    /// Throttle of onProgress, in milliseconds.
    int progressIntervalMs = 100;
    /// Put before a failure's message ("Training stopped:"); may be empty.
    QString errorContext;
};

template <typename T>
struct JobResult {
    JobId id = 0;
    JobStatus status = JobStatus::Cancelled;
    /// The job's value (Finished only; default-constructed otherwise).
    T value{};
    /// Why it failed (Failed only).
    TaskError error;
    /// Cancelled because a newer job with its replaceKey came (or supersede()).
    bool replaced = false;
    bool ok() const { return status == JobStatus::Finished; }
    bool failed() const { return status == JobStatus::Failed; }
    bool cancelled() const { return status == JobStatus::Cancelled; }
};

namespace detail {
struct JobState;
}

/// What a running job sees (worker thread only).
class JobContext {
public:
    JobId id() const;
    Feedback& feedback();
    bool isCancelled() const;
    /// Runs `onUiThread` on the UI thread before the job's `done`; dropped when
    /// the job was replaced or the receiver is gone.
    void post(std::function<void()> onUiThread);

private:
    friend class TaskManager;
    JobContext(class TaskManager* manager, std::shared_ptr<detail::JobState> state)
        : m_manager(manager), m_state(std::move(state)) {}
    class TaskManager* m_manager;
    std::shared_ptr<detail::JobState> m_state;
};

namespace detail {
struct JobState {
    JobId id = 0;
    QString lane;
    QString replaceKey;
    QPointer<QObject> receiver;
    Feedback feedback;
    std::atomic<bool> replaced{false};
    QMetaObject::Connection receiverGone;
};
} // namespace detail

class TaskManager : public QObject {
    Q_OBJECT
public:
    explicit TaskManager(QObject* parent = nullptr);
    /// Cancels every job, joins the lanes' threads; nothing is delivered after.
    ~TaskManager() override;

    /// Queues `work` on `spec.lane`; `done` then runs once on the UI thread
    /// (while `receiver` lives). Returns the job's id (never 0).
    template <typename T>
    JobId submit(QObject* receiver, const JobSpec& spec, std::function<T(JobContext&)> work,
                 std::function<void(const JobResult<T>&)> done) {
        auto state = createJob(receiver, spec);
        TaskManager* self = this;
        const QString context = spec.errorContext;
        dispatch(state, [self, state, context, work = std::move(work), done = std::move(done)]() mutable {
            auto result = std::make_shared<JobResult<T>>();
            result->id = state->id;
            if (!state->feedback.isCancelled()) {
                JobContext job(self, state);
                try {
                    result->value = work(job);
                    result->status = JobStatus::Finished;
                } catch (...) {
                    result->status = statusOfCurrentException(context, &result->error);
                }
            }
            if (state->replaced.load()) {  // a newer request answers
                result->status = JobStatus::Cancelled;
                result->replaced = true;
            }
            if (result->status != JobStatus::Finished) result->value = T{};
            self->deliverEnd(state, result->status, [done = std::move(done), result] { done(*result); });
        });
        return state->id;
    }

    /// Cancels one job (its Feedback; a queued one never starts). No effect
    /// on jobs that already ended.
    void cancel(JobId id);
    /// Cancels every pending job of `lane`.
    void cancelLane(const QString& lane);
    /// Ends the pending jobs with `replaceKey` as a newer request would: they
    /// are cancelled, what they still post is dropped, and they end Cancelled.
    void supersede(const QString& replaceKey);
    void cancelAll();
    /// Pauses / resumes a running job through its Feedback (the job blocks at
    /// its next Feedback::waitIfPaused()).
    void pause(JobId id);
    void resume(JobId id);
    bool isPaused(JobId id) const;
    /// True once cancel() (or a replacement) reached a job that has not ended.
    bool isCancelled(JobId id) const;

    /// Jobs submitted whose end has not been delivered yet (all, or one lane's).
    int pending() const { return int(m_jobs.size()); }
    int pending(const QString& lane) const;
    bool isPending(JobId id) const { return m_jobs.contains(id); }
    bool isBusy() const { return !m_jobs.isEmpty(); }

Q_SIGNALS:
    /// After each job's end was handled (its `done` run, or dropped).
    void jobEnded(quint64 id, ts::ui::JobStatus status);

private:
    friend class JobContext;
    struct Lane;
    std::shared_ptr<detail::JobState> createJob(QObject* receiver, const JobSpec& spec);
    void dispatch(const std::shared_ptr<detail::JobState>& state, std::function<void()> run);
    /// From the worker: runs `deliver` on the UI thread (if the receiver lives), then ends the job.
    void deliverEnd(const std::shared_ptr<detail::JobState>& state, JobStatus status, std::function<void()> deliver);
    void post(const std::shared_ptr<detail::JobState>& state, std::function<void()> fn);
    static JobStatus statusOfCurrentException(const QString& context, TaskError* error);

    QHash<QString, Lane*> m_lanes;
    QHash<JobId, std::shared_ptr<detail::JobState>> m_jobs;
    JobId m_nextId = 1;
    bool m_closing = false;
};

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::ui::JobStatus)
