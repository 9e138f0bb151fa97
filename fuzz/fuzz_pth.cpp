// libFuzzer target: a whole .pth file (zip or legacy) through loadPth and
// stateDictFromValue, as `--weights FILE` reads it. Every tensor must lie
// inside its storage, and the distinct storages together may not hold more
// bytes than the file (each byte of tensor data comes from the file once).
#include "core/weights/PthReader.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>
#include <unordered_set>

namespace {
const char* kSource = "fuzz-input.pth";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    ts::fuzz::readsOrRefuses(kSource, [&] {
        ts::weights::PthFormat format;
        const auto value = ts::weights::loadPth(bytes, kSource, &format);
        const auto dict = ts::weights::stateDictFromValue(*value, kSource);
        std::unordered_set<const void*> storages;
        uint64_t total = 0;
        for (const auto& [key, tensor] : dict) {
            ts::fuzz::checkTensorInsideStorage(tensor, "tensor '" + ts::fuzz::shown(key, 80) + "'");
            if (tensor.defined() && storages.insert(tensor.storage().data()).second) total += tensor.storage().nbytes();
        }
        if (total > size)
            ts::fuzz::die("the state dict holds " + std::to_string(total) + " bytes of storages read from a " +
                          std::to_string(size) + "-byte file");
    });
    return 0;
}
