#pragma once
// ScreenshotTour: renders every step of a window to PNG files (the
// --screenshot option and the docs' pictures). When the window has a dataset
// but no run yet, it first trains briefly into a temporary runs folder (the
// demo settings for tiny_cnn), runs the learning-rate finder and an export,
// and a two-trial experiment (the learning rate and a tenth of it), so that
// every page shows its full content; then it shows each step in
// turn, waits until the window is idle and grabs it as
// DIR/<nn>-<step>.png (the Experiments step with its newest runs selected),
// plus three views inside the network (07b-inspect-filters.png,
// 07c-inspect-feature-maps.png, 07d-inspect-gradcam.png). The window's step is restored afterwards.
//
// Thread safety: UI thread only; run() spins the event loop while it waits.
// Lifetimes: the window must outlive the tour.
#include <QString>
#include <QStringList>

namespace ts::ui {

class MainWindow;

class ScreenshotTour {
public:
    explicit ScreenshotTour(MainWindow& window) : m_window(window) {}

    /// Writes the screenshots into `dir` (created when missing); returns the
    /// files written. `error` (may be null) gets the first problem.
    QStringList run(const QString& dir, QString* error);

private:
    MainWindow& m_window;
};

} // namespace ts::ui
