#include "app/cli/Cli.h"

#include "core/common/Error.h"
#include "core/common/ErrorMessage.h"
#include "core/common/Version.h"

#include <c10/util/Exception.h>

#include <iostream>

namespace ts::cli {

int run(int argc, char** argv) {
    CLI::App app{"tstudio - Transfer Studio on the command line: transfer learning on images with pretrained CNNs"};
    app.require_subcommand(0, 1);
    app.set_version_flag("--version", [] {
        std::string report = versionReport("tstudio");
        if (!report.empty() && report.back() == '\n') report.pop_back();
        return report;
    });
    addModelCommands(app);
    addDataCommands(app);
    addTrainCommands(app);
    addVizCommands(app);
    addExportCommands(app);
    addExperimentCommands(app);
    addReportCommand(app);
    try {
        configureThreads();
        app.parse(argc, argv);
        if (app.get_subcommands().empty()) {
            std::cout << app.help();
            return 0;
        }
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    } catch (const ExitRequest& e) {
        std::cout.flush();
        return e.code;
    } catch (const ts::Cancelled&) {
        std::cerr << "tstudio: cancelled\n";
        return kExitCancelled;
    } catch (const ts::Error& e) {
        std::cerr << "tstudio: error: " << e.what() << '\n';
        return 1;
    } catch (const c10::Error& e) {
        std::cerr << "tstudio: error in LibTorch: " << exceptionText(e) << '\n';
        return 1;
    } catch (const std::exception& e) {
        std::cerr << "tstudio: error: " << e.what() << '\n';
        return 1;
    }
    return 0;
}

} // namespace ts::cli
