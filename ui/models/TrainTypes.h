#pragma once
// The core/train value types that cross from the training worker's thread to
// the UI thread in queued signals, registered with Qt's meta-type system.
// core/train/Trainer.h and what it includes hold no LibTorch headers.
#include "core/train/Trainer.h"

#include <QMetaType>
#include <QString>

namespace ts::ui {

/// An error of a background job, as the UI shows it: one readable sentence,
/// and the full text (exception type, backtrace) behind "Show details".
struct TaskError {
    QString userMessage;
    QString details;
};

/// Registers every type below; called once by the workers' constructors.
void registerTrainTypes();

/// The user-facing part of an exception text (LibTorch appends a backtrace
/// after "Exception raised from"): ts::userMessage (core/common/ErrorMessage.h).
QString userMessageOf(const QString& what);

} // namespace ts::ui

Q_DECLARE_METATYPE(ts::train::TrainConfig)
Q_DECLARE_METATYPE(ts::train::BatchEvent)
Q_DECLARE_METATYPE(ts::train::EpochMetrics)
Q_DECLARE_METATYPE(ts::train::TrainResult)
Q_DECLARE_METATYPE(ts::train::LrFindResult)
Q_DECLARE_METATYPE(ts::ui::TaskError)
