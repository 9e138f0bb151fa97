#include "ui/main/Application.h"

#include "core/common/Version.h"
#include "ui/main/MainWindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>
#include <QPixmap>

#include <cstdio>
#include <cstring>

// Resources of a static library must be registered by hand; the macro only
// works in the global namespace.
static void initUiResources() {
    static const bool once = [] {
        Q_INIT_RESOURCE(ts_ui);
        return true;
    }();
    (void)once;
}

namespace ts::ui {
namespace {

bool hasArgument(int argc, char** argv, const char* name) {
    const size_t n = std::strlen(name);
    for (int i = 1; i < argc; ++i)
        if (std::strcmp(argv[i], name) == 0 || (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '='))
            return true;
    return false;
}

} // namespace

void setApplicationIdentity() {
    initUiResources();
    QCoreApplication::setOrganizationName(QStringLiteral("transfer-studio"));
    QCoreApplication::setApplicationName(QStringLiteral("transfer-studio"));
    QCoreApplication::setApplicationVersion(QString::fromStdString(appVersion()));
    QGuiApplication::setApplicationDisplayName(QStringLiteral("Transfer Studio"));
    QGuiApplication::setDesktopFileName(QStringLiteral("transfer-studio"));
    QGuiApplication::setWindowIcon(applicationIcon());
}

QIcon applicationIcon() {
    // One picture per standard size: on X11 the window lists every size in
    // _NET_WM_ICON and a task bar or window switcher picks the nearest. A
    // lone 256 px picture is 256 KiB of property that each of them must read
    // and scale down (xprop, with its default read length, shows it as empty).
    initUiResources();
    const QPixmap source(QStringLiteral(":/transfer-studio/icon.png"));
    QIcon icon;
    if (source.isNull()) return icon;
    for (const int size : {16, 22, 24, 32, 48, 64, 128})
        icon.addPixmap(source.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation));
    icon.addPixmap(source);
    return icon;
}

int runApplication(int argc, char** argv) {
    configureThreads();
    // Answered before QApplication exists, so it works without a display.
    if (hasArgument(argc, argv, "--version")) {
        std::fputs(versionReport("transfer-studio").c_str(), stdout);
        return 0;
    }
    if (hasArgument(argc, argv, "--screenshot") && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM") &&
        qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY"))
        qputenv("QT_QPA_PLATFORM", "offscreen");

    QApplication app(argc, argv);
    setApplicationIdentity();

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Transfer Studio: transfer learning on images. Pick a pretrained CNN, train it on your folders, look "
        "inside, export. The command-line tool is tstudio."));
    parser.addHelpOption();
    const QCommandLineOption versionOption(QStringLiteral("version"),
                                           QStringLiteral("Print the version, LibTorch, device and BLAS report."));
    const QCommandLineOption demoOption(QStringLiteral("demo"),
                                        QStringLiteral("Open the built-in demo project (generated on first use)."));
    const QCommandLineOption screenshotOption(
        QStringLiteral("screenshot"), QStringLiteral("Open the demo project (or the given path), train it briefly, render every page to "
                       "DIR/<nn>-<step>.png and exit."),
        QStringLiteral("DIR"));
    parser.addOptions({versionOption, demoOption, screenshotOption});
    parser.addPositionalArgument(QStringLiteral("path"), QStringLiteral("A project file (*.tsproj) or a dataset folder."),
                                 QStringLiteral("[path]"));
    parser.process(app);

    MainWindow window;
    // --screenshot shows the demo project unless a path is given.
    if (parser.isSet(demoOption) || (parser.isSet(screenshotOption) && parser.positionalArguments().isEmpty())) {
        window.openDemo();
    } else if (!parser.positionalArguments().isEmpty()) {
        window.openPath(parser.positionalArguments().constFirst());
    }

    if (parser.isSet(screenshotOption)) {
        window.resize(1280, 800);
        window.show();
        QString error;
        const QStringList files = window.saveScreenshots(parser.value(screenshotOption), &error);
        for (const QString& file : files) std::printf("%s\n", qPrintable(file));
        if (!error.isEmpty()) {
            std::fprintf(stderr, "transfer-studio: %s\n", qPrintable(error));
            return 1;
        }
        return 0;
    }
    window.show();
    return app.exec();
}

} // namespace ts::ui
