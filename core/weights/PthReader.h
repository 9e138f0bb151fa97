#pragma once
// PthReader: the two on-disk formats of torch.save, read safely.
//
//   zip (PyTorch >= 1.6)  <name>/data.pkl (the pickle) + <name>/data/<key>
//                         (raw little-endian storages), entries stored.
//   legacy (< 1.6, or _use_new_zipfile_serialization=False)
//                         pickles back to back: magic number, protocol
//                         version 1001, sys_info, the object, the list of
//                         storage keys; then per storage int64 numel + bytes.
//
// Pickles go through SafeUnpickler: tensors and plain containers only.
// Storages shared between tensors stay shared (views keep offset/strides).
#include "core/weights/SafeUnpickler.h"
#include "core/weights/StateDict.h"

#include <string>
#include <string_view>

namespace ts::weights {

/// Which format a .pth file uses.
enum class PthFormat { Zip, Legacy };

/// Reads the object a .pth file holds (`bytes` is the whole file). Throws
/// ts::WeightsError naming `sourceName` when the file is empty, truncated,
/// not a PyTorch file, or holds anything but tensors and plain values.
pickle::ValuePtr loadPth(std::string_view bytes, const std::string& sourceName, PthFormat* format = nullptr);

/// As loadPth(), reading the file at `path` through a read-only memory map
/// (tensors are copied out, so the file is not held afterwards). Throws
/// ts::IoError when it cannot be opened.
pickle::ValuePtr loadPthFile(const std::string& path, PthFormat* format = nullptr);

/// The state dict inside a loaded .pth object: a plain or ordered dict of
/// tensors, or a checkpoint dict holding one under "state_dict",
/// "model_state_dict" or "model". Non-tensor entries are skipped.
StateDict stateDictFromValue(const pickle::Value& value, const std::string& sourceName);

} // namespace ts::weights
