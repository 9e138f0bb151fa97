#include "ui/workers/JobRunner.h"

namespace ts::ui {

JobRunner::JobRunner(QObject* parent) : QObject(parent) {
    m_worker = new QObject;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName(QStringLiteral("JobRunner"));
    m_thread.start();
}

JobRunner::~JobRunner() {
    m_thread.quit();
    m_thread.wait();
}

} // namespace ts::ui
