#pragma once
// Internal to core/weights (SafeUnpickler.cpp, PickleOpcodes.cpp): what the
// unpickler's memory budget charges per object (SafeUnpickler.h explains the
// budget). Not a public API.
#include "core/weights/SafeUnpickler.h"

#include <cstddef>
#include <utility>

namespace ts::weights::pickle::detail {

// What the budget charges (see SafeUnpickler.h): a value with its shared_ptr
// control block and allocator overhead, a pointer slot in a container or on
// the stack, a dict entry with its key index node, a memo node, a tensor view.
inline constexpr size_t kValueCost = sizeof(Value) + 32;
inline constexpr size_t kSlotCost = sizeof(ValuePtr);
inline constexpr size_t kEntryCost = sizeof(std::pair<ValuePtr, ValuePtr>) + 64;
inline constexpr size_t kMemoCost = 64;
inline constexpr size_t kTensorCost = 512;
inline constexpr size_t kSharedInts = 256;

} // namespace ts::weights::pickle::detail
