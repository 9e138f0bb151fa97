#pragma once
// The desktop application's entry point, kept out of app/gui/main.cpp so
// tests can drive it.
//
//   transfer-studio [PATH]            PATH: a project (*.tsproj) or a dataset folder
//   transfer-studio --demo            opens the built-in demo project
//   transfer-studio --screenshot DIR  renders every page to DIR/<nn>-<step>.png and exits
//   transfer-studio --version         the same report as `tstudio --version`
//
// --version needs no display; --screenshot uses the offscreen platform when
// there is no display.
class QIcon;

namespace ts::ui {

/// Runs the application; returns the process exit code.
int runApplication(int argc, char** argv);

/// Sets the organisation and application names that QSettings and
/// QStandardPaths use ("transfer-studio"), the version and the window icon
/// (applicationIcon()). Requires a QGuiApplication.
void setApplicationIdentity();

/// The application's icon from the embedded resource, as pixmaps of the
/// standard sizes 16 to 256 px; null when the resource is missing.
/// Requires a QGuiApplication.
QIcon applicationIcon();

} // namespace ts::ui
