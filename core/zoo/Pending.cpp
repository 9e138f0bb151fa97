// Families not yet implemented register nothing. Each family's own file
// replaces its stub here when it lands.
#include "core/zoo/Families.h"

namespace ts::zoo::families {


} // namespace ts::zoo::families
