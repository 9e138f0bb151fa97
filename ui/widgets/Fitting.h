#pragma once
// Small policies that keep the window usable whatever the data says:
//  - makeFlowingLabel: a label whose text is set at run time (a status, an
//    error, a note) wraps, and no text of it can raise the window's minimum
//    width (a long path or message would otherwise widen the window past the
//    screen until a restart).
//  - installWheelGuard: spin boxes and combo boxes, everywhere in the
//    application, take the mouse wheel only when they have the keyboard focus
//    (Qt::StrongFocus); otherwise the wheel scrolls what is around them, so a
//    field the pointer only passes over while scrolling keeps its value.
class QLabel;

namespace ts::ui {

void makeFlowingLabel(QLabel* label);

/// Installs the guard on the QApplication once (later calls do nothing).
void installWheelGuard();

} // namespace ts::ui
