#pragma once
// SafetensorsReader: Hugging Face's .safetensors format (used by timm and the
// hub), read as hostile input.
//
//   u64 little-endian N | N bytes of JSON header | data section
//
// The header is an object: "__metadata__" (optional, string -> string) and,
// per tensor, {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}
// with offsets relative to the data section. Accepted only when: N fits the
// file and kMaxSafetensorsHeaderBytes; the header is valid JSON (bounded
// depth, no duplicate names); every dtype is one of F32 F16 BF16 F64 I64 I32
// I16 I8 U8 BOOL; every shape is non-negative and its byte size (without
// overflow) equals end - begin; the tensors, sorted by offset, cover the data
// section exactly: no overlap, no hole, nothing after the last one (as the
// format's specification requires, which also rules out polyglot files).
// Tensors keep the file's dtype; applyStateDict converts them to the
// model's. Nothing from the file is executed.
#include "core/weights/StateDict.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace ts::weights {

/// Largest JSON header accepted (the format's own reader caps it at 100 MB).
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

/// True when `bytes` look like a safetensors file: at least 10 bytes, a
/// header length that fits the file, and a header starting with '{'.
/// (A torch.save zip starts with "PK", a legacy pickle with 0x80.)
bool looksLikeSafetensors(std::string_view bytes);

/// True when `path` ends in ".safetensors" (any case).
bool hasSafetensorsExtension(const std::string& path);

/// Reads the tensors of a safetensors file held in `bytes`, in data order.
/// Throws ts::WeightsError naming `sourceName` (and the tensor, where one is
/// at fault) and saying what is wrong and what to do.
StateDict loadSafetensors(std::string_view bytes, const std::string& sourceName);

/// The `__metadata__` map of a safetensors file (empty when absent); the
/// same checks as loadSafetensors().
std::vector<std::pair<std::string, std::string>> safetensorsMetadata(std::string_view bytes,
                                                                     const std::string& sourceName);

} // namespace ts::weights
