#pragma once
// Bounded JSON reading for every file Transfer Studio opens (projects,
// configs, manifests, bundle metadata, checkpoint histories, metrics).
//
// nlohmann::json parses iteratively, but copying, dumping and destroying a
// value recurse, so a 1,000,000-deep array in a hostile file would overflow
// the stack later. These readers refuse a document nested deeper than
// JsonLimits::maxDepth while it is parsed (nothing deeper is ever built), and
// turn every parse error into a ts::IoError that names the file, the byte
// offset and what to do.
//
// Thread safety: free functions, no shared state.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace ts {

/// What a JSON document may be.
struct JsonLimits {
    /// Deepest nesting of arrays and objects accepted (the top level is 1).
    int maxDepth = 64;
    /// Largest document accepted, in bytes.
    size_t maxBytes = size_t(256) << 20;
};

/// Parses `text`; `sourceName` (a path, or "the metadata of bundle 'x.tsb'")
/// names it in messages. Throws ts::IoError when the text is not JSON, is
/// nested deeper or is larger than `limits` allow.
nlohmann::json parseJson(std::string_view text, const std::string& sourceName, const JsonLimits& limits = {});

/// Reads and parses the file at `path` (at most limits.maxBytes). Throws
/// ts::IoError naming the path when it cannot be read or parsed.
nlohmann::json readJsonFile(const std::string& path, const JsonLimits& limits = {});

/// `text` made safe to quote in a message: control and non-ASCII bytes are
/// written as \xNN, and anything past `maxChars` characters is cut and
/// marked with "...". Use it for every string taken from a file.
std::string printable(std::string_view text, size_t maxChars = 80);

} // namespace ts
