// `tstudio export ...`: not implemented yet; registers nothing.
#include "app/cli/Cli.h"

namespace ts::cli {

void addExportCommands(CLI::App&) {}

} // namespace ts::cli
