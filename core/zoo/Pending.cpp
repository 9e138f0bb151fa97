// Families not yet implemented register nothing. Each family's own file
// replaces its stub here when it lands.
#include "core/zoo/Families.h"

namespace ts::zoo::families {

void addResNet(std::vector<RegistryEntry>&) {}
void addInception(std::vector<RegistryEntry>&) {}

} // namespace ts::zoo::families
