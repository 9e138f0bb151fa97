#include "ui/models/TrainTypes.h"

#include "core/common/ErrorMessage.h"

#include <QStringList>

namespace ts::ui {

void registerTrainTypes() {
    static const bool done = [] {
        qRegisterMetaType<ts::train::TrainConfig>();
        qRegisterMetaType<ts::train::BatchEvent>();
        qRegisterMetaType<ts::train::EpochMetrics>();
        qRegisterMetaType<ts::train::TrainResult>();
        qRegisterMetaType<ts::train::LrFindResult>();
        qRegisterMetaType<ts::ui::TaskError>();
        return true;
    }();
    (void)done;
}

QString userMessageOf(const QString& what) { return QString::fromStdString(ts::userMessage(what.toStdString())); }

} // namespace ts::ui
