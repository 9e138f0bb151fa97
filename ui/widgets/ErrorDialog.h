#pragma once
// Errors as the user sees them: a readable message, the full details
// (exception text, LibTorch backtrace) behind "Show Details…", never a crash.
// Non-modal on an offscreen/test platform is not needed: the box is
// window-modal but opened with open(), so the event loop keeps running.
#include "ui/models/TrainTypes.h"

class QWidget;

namespace ts::ui {

/// Opens a warning box (QMessageBox, object name "errorDialog") on `parent`
/// with `error.userMessage` and `error.details` expandable; returns at once.
void showErrorDialog(QWidget* parent, const QString& title, const TaskError& error);

} // namespace ts::ui
