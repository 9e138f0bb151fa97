// `tstudio viz ...`: not implemented yet; registers nothing.
#include "app/cli/Cli.h"

namespace ts::cli {

void addVizCommands(CLI::App&) {}

} // namespace ts::cli
