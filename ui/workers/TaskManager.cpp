#include "ui/workers/TaskManager.h"

#include "core/common/Error.h"

#include <QThread>

namespace ts::ui {

struct TaskManager::Lane {
    QThread thread;
    QObject* worker = nullptr;  // lives on `thread`; runs the queued jobs
};

JobId JobContext::id() const { return m_state->id; }
Feedback& JobContext::feedback() { return m_state->feedback; }
bool JobContext::isCancelled() const { return m_state->feedback.isCancelled(); }
void JobContext::post(std::function<void()> onUiThread) { m_manager->post(m_state, std::move(onUiThread)); }

TaskManager::TaskManager(QObject* parent) : QObject(parent) {
    qRegisterMetaType<ts::ui::JobStatus>();
    qRegisterMetaType<ts::ui::TaskError>();
}

TaskManager::~TaskManager() {
    m_closing = true;
    cancelAll();
    // Each lane's running job returns at its next cancellation check; the
    // queued ones are dropped with the worker, and what they posted to this
    // object is discarded with it.
    for (Lane* lane : std::as_const(m_lanes)) lane->thread.quit();
    for (Lane* lane : std::as_const(m_lanes)) {
        lane->thread.wait();
        delete lane;
    }
    for (const auto& state : std::as_const(m_jobs)) QObject::disconnect(state->receiverGone);
}

std::shared_ptr<detail::JobState> TaskManager::createJob(QObject* receiver, const JobSpec& spec) {
    auto state = std::make_shared<detail::JobState>();
    state->id = m_nextId++;
    state->lane = spec.lane.isEmpty() ? QStringLiteral("jobs") : spec.lane;
    state->replaceKey = spec.replaceKey;
    state->receiver = receiver;
    supersede(spec.replaceKey);
    if (spec.onProgress) {
        TaskManager* self = this;
        std::weak_ptr<detail::JobState> weak = state;
        auto onProgress = spec.onProgress;
        state->feedback.setProgressCallback(
            [self, weak, onProgress](double fraction, const std::string& what) {
                if (auto s = weak.lock())
                    self->post(s, [onProgress, fraction, what = QString::fromStdString(what)] { onProgress(fraction, what); });
            },
            spec.progressIntervalMs);
    }
    if (receiver) {
        const JobId id = state->id;
        state->receiverGone = connect(receiver, &QObject::destroyed, this, [this, id] { cancel(id); });
    }
    m_jobs.insert(state->id, state);
    return state;
}

void TaskManager::dispatch(const std::shared_ptr<detail::JobState>& state, std::function<void()> run) {
    Lane*& lane = m_lanes[state->lane];
    if (!lane) {
        lane = new Lane;
        lane->worker = new QObject;
        lane->worker->moveToThread(&lane->thread);
        connect(&lane->thread, &QThread::finished, lane->worker, &QObject::deleteLater);
        lane->thread.setObjectName(state->lane);
        lane->thread.start();
    }
    QMetaObject::invokeMethod(lane->worker, std::move(run), Qt::QueuedConnection);
}

void TaskManager::post(const std::shared_ptr<detail::JobState>& state, std::function<void()> fn) {
    // Through this object, so the receiver is checked on its own thread at
    // delivery time (a QPointer read on another thread could race its deletion).
    QMetaObject::invokeMethod(this, [state, fn = std::move(fn)] {
        if (state->receiver && !state->replaced.load()) fn();
    }, Qt::QueuedConnection);
}

void TaskManager::deliverEnd(const std::shared_ptr<detail::JobState>& state, JobStatus status,
                             std::function<void()> deliver) {
    QMetaObject::invokeMethod(this, [this, state, status, deliver = std::move(deliver)] {
        if (m_closing) return;
        m_jobs.remove(state->id);
        QObject::disconnect(state->receiverGone);
        const QPointer<TaskManager> alive(this);  // `done` may close the window that owns this manager
        if (state->receiver) deliver();
        if (alive) Q_EMIT jobEnded(state->id, status);
    }, Qt::QueuedConnection);
}

JobStatus TaskManager::statusOfCurrentException(const QString& context, TaskError* error) {
    try {
        throw;
    } catch (const Cancelled&) {
        return JobStatus::Cancelled;
    } catch (...) {
        *error = describeException(std::current_exception(), context);
        return JobStatus::Failed;
    }
}

void TaskManager::cancel(JobId id) {
    if (const auto state = m_jobs.value(id)) state->feedback.cancel();
}

void TaskManager::cancelLane(const QString& lane) {
    for (const auto& state : std::as_const(m_jobs))
        if (state->lane == lane) state->feedback.cancel();
}

void TaskManager::supersede(const QString& replaceKey) {
    if (replaceKey.isEmpty()) return;
    for (const auto& state : std::as_const(m_jobs))
        if (state->replaceKey == replaceKey) {
            state->replaced.store(true);
            state->feedback.cancel();
        }
}

void TaskManager::cancelAll() {
    for (const auto& state : std::as_const(m_jobs)) state->feedback.cancel();
}

void TaskManager::pause(JobId id) {
    if (const auto state = m_jobs.value(id)) state->feedback.pause();
}

void TaskManager::resume(JobId id) {
    if (const auto state = m_jobs.value(id)) state->feedback.resume();
}

bool TaskManager::isPaused(JobId id) const {
    const auto state = m_jobs.value(id);
    return state && state->feedback.isPaused();
}

bool TaskManager::isCancelled(JobId id) const {
    const auto state = m_jobs.value(id);
    return state && state->feedback.isCancelled();
}

int TaskManager::pending(const QString& lane) const {
    int n = 0;
    for (const auto& state : std::as_const(m_jobs)) n += state->lane == lane ? 1 : 0;
    return n;
}

} // namespace ts::ui
