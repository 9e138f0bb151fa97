#pragma once
// The first check of a dataset folder, shared by the scan (indexDataset) and
// the callers that want to say where the path came from (the CLI names the
// config file and its data_dir key) before anything else runs.
#include <string>

namespace ts::data {

/// Throws ts::DataError when `root` is empty, does not exist or is not a
/// folder (a file, a device such as /dev/zero, a FIFO...); the message quotes
/// `root` safely and says what to pass instead. Nothing is read.
void checkDatasetFolder(const std::string& root);

} // namespace ts::data
