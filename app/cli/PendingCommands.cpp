// Command groups not yet implemented register nothing; each group's own file
// replaces its stub here when it lands.
#include "app/cli/Cli.h"

namespace ts::cli {

void addVizCommands(CLI::App&) {}
void addExportCommands(CLI::App&) {}

} // namespace ts::cli
