#include "ui/models/TrainTypes.h"

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

} // namespace ts::ui
