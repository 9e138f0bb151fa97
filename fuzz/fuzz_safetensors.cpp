// libFuzzer target: a whole file through the safetensors reader, as
// `--weights FILE.safetensors` reads it. Every tensor must own exactly the
// bytes its dtype and shape need, and together they may not hold more bytes
// than the file (the data section is covered once, without overlap).
#include "core/weights/SafetensorsReader.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>

namespace {
const char* kSource = "fuzz-input.safetensors";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    ts::fuzz::readsOrRefuses(kSource, [&] {
        const auto dict = ts::weights::loadSafetensors(bytes, kSource);
        uint64_t total = 0;
        for (const auto& [key, tensor] : dict) {
            ts::fuzz::checkTensorInsideStorage(tensor, "tensor '" + ts::fuzz::shown(key, 80) + "'");
            total += tensor.storage().nbytes();
        }
        if (total > size)
            ts::fuzz::die("the tensors hold " + std::to_string(total) + " bytes read from a " + std::to_string(size) +
                          "-byte file");
        (void)ts::weights::safetensorsMetadata(bytes, kSource);
    });
    return 0;
}
