// libFuzzer target: a .tsb bundle file through loadBundle, as
// `tstudio predict --model FILE` reads it (zip, pickle, metadata JSON,
// state dict, model construction and weight copy).
#include "core/export/Bundle.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>

namespace {
const char* kFileName = "fuzz-input.tsb";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string path = ts::fuzz::scratchFile(kFileName, {reinterpret_cast<const char*>(data), size});
    ts::fuzz::readsOrRefuses(kFileName, [&] {
        const auto loaded = ts::exporting::loadBundle(path);
        for (const auto& p : loaded.model->parameters()) ts::fuzz::checkTensorInsideStorage(p, "a model parameter");
    });
    return 0;
}
