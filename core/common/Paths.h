#pragma once
// Where Transfer Studio keeps things, following the XDG base directories.
//   settings   $XDG_CONFIG_HOME/transfer-studio      (~/.config/transfer-studio)
//   projects   $XDG_DATA_HOME/transfer-studio/projects
//   runs       $XDG_DATA_HOME/transfer-studio/runs    (~/.local/share/...)
//   weights    $TORCH_HOME/hub/checkpoints            (~/.cache/torch/hub/checkpoints),
//              the cache PyTorch itself uses, so downloaded weights are shared.
#include <string>

namespace ts::paths {

std::string configDir();
std::string dataDir();
std::string projectsDir();
std::string runsDir();
std::string weightsCacheDir();

} // namespace ts::paths
