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
namespace ts::ui {

/// Runs the application; returns the process exit code.
int runApplication(int argc, char** argv);

/// Sets the organisation and application names that QSettings and
/// QStandardPaths use ("transfer-studio"), the version and the window icon.
void setApplicationIdentity();

} // namespace ts::ui
