// libFuzzer target: core/data/ImageHeader's parser (and the format sniffer)
// on arbitrary bytes. It must never throw, and what it reports must be sane.
#include "core/data/ImageHeader.h"
#include "core/data/ImageIO.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string bytes(reinterpret_cast<const char*>(data), size);
    try {
        const std::string sniffed = ts::data::sniffImageFormat(bytes.substr(0, 16));
        const ts::data::ImageHeader h = ts::data::inspectImageHeader(bytes);
        if (h.format != sniffed) ts::fuzz::die("inspectImageHeader's format '" + h.format + "' is not sniffImageFormat's '" + sniffed + "'");
        if (h.width < 0 || h.height < 0 || h.channels < 0 || h.bitDepth < 0)
            ts::fuzz::die("negative size, channels or depth: " + std::to_string(h.width) + "x" + std::to_string(h.height) +
                          " c" + std::to_string(h.channels) + " d" + std::to_string(h.bitDepth));
    } catch (const std::exception& e) {
        ts::fuzz::die(std::string("inspectImageHeader threw (it must never throw): ") + ts::fuzz::shown(e.what()));
    }
    return 0;
}
