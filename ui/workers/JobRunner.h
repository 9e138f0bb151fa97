#pragma once
// JobRunner: a worker QObject on its own QThread that runs short background
// jobs (predictions, previews, exports) one after the other, so the UI thread
// never waits for a model.
//
// post(job, done): `job` runs on the worker thread and returns a value; `done`
// then runs on the UI thread with that value, through a queued call in the
// context of `receiver` (dropped when the receiver is gone). Exceptions must
// not leave `job` (catch them inside and return an error value).
// The destructor waits for the running job and drops the queued ones.
#include <QObject>
#include <QPointer>
#include <QThread>

#include <atomic>
#include <functional>
#include <memory>

namespace ts::ui {

class JobRunner : public QObject {
    Q_OBJECT
public:
    explicit JobRunner(QObject* parent = nullptr);
    ~JobRunner() override;

    template <typename T>
    void post(QObject* receiver, std::function<T()> job, std::function<void(const T&)> done) {
        m_pending.fetch_add(1);
        QPointer<QObject> guard(receiver);
        std::atomic<int>* pending = &m_pending;
        QMetaObject::invokeMethod(m_worker, [job = std::move(job), done = std::move(done), guard, pending] {
            auto result = std::make_shared<T>(job());
            if (guard)
                QMetaObject::invokeMethod(guard.data(), [done, result, pending] {
                    pending->fetch_sub(1);
                    done(*result);
                }, Qt::QueuedConnection);
            else
                pending->fetch_sub(1);
        }, Qt::QueuedConnection);
    }

    /// Jobs posted whose `done` has not run yet.
    int pending() const { return m_pending.load(); }
    bool isBusy() const { return pending() > 0; }

private:
    QThread m_thread;
    QObject* m_worker = nullptr;
    std::atomic<int> m_pending{0};
};

} // namespace ts::ui
