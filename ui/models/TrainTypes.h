#pragma once
// The core/train value types that cross from the training worker's thread to
// the UI thread in queued signals, registered with Qt's meta-type system.
// core/train/Trainer.h and what it includes hold no LibTorch headers.
#include "core/train/Trainer.h"
#include "ui/models/TaskError.h"

#include <QMetaType>
#include <QString>

namespace ts::ui {

/// Registers every type below; called once by the workers' constructors.
void registerTrainTypes();

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::train::TrainConfig)
Q_DECLARE_METATYPE(ts::train::BatchEvent)
Q_DECLARE_METATYPE(ts::train::EpochMetrics)
Q_DECLARE_METATYPE(ts::train::TrainResult)
Q_DECLARE_METATYPE(ts::train::LrFindResult)
