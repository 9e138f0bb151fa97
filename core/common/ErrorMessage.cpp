#include "core/common/ErrorMessage.h"

#include <c10/util/Exception.h>

#include <vector>

namespace ts {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

/// At most `maxBytes` of `s`, never ending inside a UTF-8 sequence.
std::string_view prefixOf(std::string_view s, size_t maxBytes) {
    if (s.size() <= maxBytes) return s;
    size_t cut = maxBytes;
    while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
    return s.substr(0, cut);
}

} // namespace

std::string exceptionText(const std::exception& e) {
    if (const auto* c10 = dynamic_cast<const c10::Error*>(&e)) return c10->what_without_backtrace();
    return e.what();
}

std::string userMessage(std::string_view what) {
    std::string_view text = what;
    const size_t backtrace = text.find("Exception raised from");
    if (backtrace != std::string_view::npos) text = text.substr(0, backtrace);
    text = trimmed(text);
    if (text.empty()) return std::string(prefixOf(what, 300));
    std::vector<std::string_view> lines;
    for (size_t start = 0; start <= text.size();) {
        const size_t end = std::min(text.find('\n', start), text.size());
        if (end > start) lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (lines.size() <= 3) return std::string(text);
    return std::string(lines[0]) + '\n' + std::string(lines[1]) + '\n' + std::string(lines[2]);
}

std::string userMessage(const std::exception& e) { return userMessage(exceptionText(e)); }

} // namespace ts
