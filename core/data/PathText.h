#pragma once
// Paths as text. quotedPath: a path as it may appear in a message: names in a dataset come from
// strangers, so control characters (a newline, an escape sequence that would
// repaint the terminal) are written as \xNN and very long names are shortened
// in the middle. UTF-8 (e.g. "café") is kept as it is.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <string>

namespace ts::data {

/// `path` in single quotes, safe to print (see above); at most ~`maxChars` characters.
inline std::string quotedPath(const std::string& path, size_t maxChars = 400) {
    std::string safe;
    safe.reserve(path.size() + 2);
    for (const char ch : path) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c == 0x7F) {
            char hex[5];
            std::snprintf(hex, sizeof hex, "\\x%02X", c);
            safe += hex;
        } else {
            safe += ch;
        }
    }
    if (safe.size() > maxChars) {
        // Keep the start (the dataset folder) and the end (the file name); cut
        // at byte boundaries that do not split a UTF-8 sequence.
        size_t head = maxChars / 2, tail = safe.size() - maxChars / 2;
        while (head > 0 && (static_cast<unsigned char>(safe[head]) & 0xC0) == 0x80) --head;
        while (tail < safe.size() && (static_cast<unsigned char>(safe[tail]) & 0xC0) == 0x80) ++tail;
        safe = safe.substr(0, head) + "..." + safe.substr(tail);
    }
    return "'" + safe + "'";
}

/// The extension of `path`'s file name, lower-cased, with its dot (".jpg"; ""
/// when it has none), as std::filesystem::path::extension() finds it.
inline std::string lowerExtension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext;
}

} // namespace ts::data
