// libFuzzer target: ts::weights::ZipArchive on arbitrary bytes. Every entry
// it lists must be findable by name, and what read() returns must lie inside
// the archive; entries must not overlap, so all of them together are never
// more than the archive itself (a zip bomb made of aliased entries).
#include "core/weights/ZipArchive.h"
#include "fuzz/FuzzSupport.h"

#include <cstdint>

namespace {
const char* kSource = "fuzz-input.zip";
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    (void)ts::weights::ZipArchive::looksLikeZip(bytes);
    ts::fuzz::readsOrRefuses(kSource, [&] {
        const ts::weights::ZipArchive zip(bytes, kSource);
        uint64_t total = 0;
        for (const auto& entry : zip.entries()) {
            if (!zip.find(entry.name)) ts::fuzz::die("entry '" + ts::fuzz::shown(entry.name) + "' is listed but find() misses it");
            ts::fuzz::readsOrRefuses(kSource, [&] {
                const std::string_view content = zip.read(entry);
                if (content.size() && (content.data() < bytes.data() || content.data() + content.size() > bytes.data() + bytes.size()))
                    ts::fuzz::die("read() returned bytes outside the archive");
                if (content.size() != entry.size) ts::fuzz::die("read() returned a size other than the entry's");
                total += content.size();
            });
        }
        if (total > size)
            ts::fuzz::die("the entries read back " + std::to_string(total) + " bytes from a " + std::to_string(size) +
                          "-byte archive: overlapping entries were accepted");
    });
    return 0;
}
