#include "ui/workers/StageWorker.h"

#include <exception>

namespace ts::ui {

StageWorker::StageWorker(QObject* parent) : QObject(parent) {
    qRegisterMetaType<ts::ui::StageRow>();
    qRegisterMetaType<QVector<ts::ui::StageRow>>();
}

void StageWorker::inspect(const QString& arch) {
    // zooStages() throws ts::Error, c10::Error or std::bad_alloc: all are
    // std::exception, and none may leave a slot.
    try {
        const QVector<StageRow> stages = zooStages(arch);
        Q_EMIT stagesReady(arch, stages);
    } catch (const std::exception& e) {
        Q_EMIT failed(arch, QString::fromStdString(e.what()));
    }
}

} // namespace ts::ui
