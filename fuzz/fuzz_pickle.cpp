// libFuzzer target: ts::weights::pickle::SafeUnpickler on arbitrary bytes.
// Persistent ids (tensor storages) resolve to small zero storages, so the
// tensor-rebuilding paths run as they do inside a .pth file.
#include "core/weights/SafeUnpickler.h"
#include "fuzz/FuzzSupport.h"

#include <ATen/ops/zeros.h>

#include <cstdint>
#include <unordered_set>
#include <vector>

namespace {

using ts::weights::pickle::Kind;
using ts::weights::pickle::Value;
using ts::weights::pickle::ValuePtr;

const char* kSource = "fuzz-input.pkl";

ValuePtr persistentLoad(const Value& pid) {
    // torch.save's id: ('storage', <StorageType>, key, location, numel[, view])
    if (pid.kind != Kind::Tuple || pid.items.size() < 5 || pid.items[1]->kind != Kind::Global ||
        pid.items[4]->kind != Kind::Int)
        throw ts::WeightsError(std::string("'") + kSource + "' has a persistent id that is not a storage.");
    const int64_t numel = pid.items[4]->integer;
    if (numel < 0 || numel > 4096)
        throw ts::WeightsError(std::string("'") + kSource + "' declares a storage of a size the harness refuses.");
    auto v = Value::make(Kind::Storage);
    v->tensor = at::zeros({numel}, at::TensorOptions().dtype(pid.items[1]->dtype));
    v->storageNumel = numel;
    return v;
}

/// Visits every value once (pickles can share and even nest values in
/// themselves through the memo), checking each tensor against its storage.
void walk(const ValuePtr& root) {
    std::unordered_set<const Value*> seen;
    std::vector<const Value*> todo{root.get()};
    while (!todo.empty()) {
        const Value* v = todo.back();
        todo.pop_back();
        if (!v || !seen.insert(v).second) continue;
        (void)v->typeName();
        if (v->kind == Kind::Tensor) ts::fuzz::checkTensorInsideStorage(v->tensor, "pickled tensor");
        for (const auto& item : v->items) todo.push_back(item.get());
        for (const auto& [key, value] : v->entries) {
            todo.push_back(key.get());
            todo.push_back(value.get());
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    ts::fuzz::readsOrRefuses(kSource, [&] {
        ts::weights::pickle::SafeUnpickler unpickler(bytes, kSource, persistentLoad);
        // Like the legacy .pth format: several pickles back to back.
        for (int i = 0; i < 4 && unpickler.position() < bytes.size(); ++i) walk(unpickler.load());
    });
    return 0;
}
