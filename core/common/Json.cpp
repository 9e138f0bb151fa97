#include "core/common/Json.h"

#include "core/common/Error.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/stat.h>

namespace ts {
namespace {

// Thrown from the parser callback; caught below and turned into an IoError.
struct TooDeep {};

} // namespace

std::string printable(std::string_view text, size_t maxChars) {
    std::string out;
    out.reserve(std::min(text.size(), maxChars) + 8);
    size_t shown = 0;
    for (unsigned char c : text) {
        if (shown == maxChars) {
            out += "...";
            break;
        }
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            static const char* hex = "0123456789abcdef";
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
        ++shown;
    }
    return out;
}

nlohmann::json parseJson(std::string_view text, const std::string& sourceName, const JsonLimits& limits) {
    if (text.size() > limits.maxBytes)
        throw IoError("'" + sourceName + "' is " + std::to_string(text.size()) + " bytes, more than the " +
                      std::to_string(limits.maxBytes) + " bytes a JSON file may have here. Check that it is the right file.");
    const int maxDepth = limits.maxDepth;
    const nlohmann::json::parser_callback_t guard = [maxDepth](int depth, nlohmann::json::parse_event_t event,
                                                               nlohmann::json&) {
        // `depth` counts the containers around the value being read; a
        // container's start event reports the depth outside it.
        if ((event == nlohmann::json::parse_event_t::object_start ||
             event == nlohmann::json::parse_event_t::array_start) &&
            depth + 1 > maxDepth)
            throw TooDeep{};
        return true;
    };
    try {
        return nlohmann::json::parse(text.begin(), text.end(), guard);
    } catch (const TooDeep&) {
        throw IoError("'" + sourceName + "' nests arrays or objects more than " + std::to_string(maxDepth) +
                      " levels deep; no Transfer Studio file does. The file is damaged or not one of ours.");
    } catch (const nlohmann::json::exception& e) {
        // e.what() is "[json.exception.parse_error.101] parse error at line 1, column 5: ..." (or
        // out_of_range.406 "number overflow parsing '1e400'"); keep the part after the id, bounded,
        // since it quotes the offending text.
        std::string what = e.what();
        if (const auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
        throw IoError("'" + sourceName + "' is not valid JSON (" + printable(what, 160) +
                      "). Fix the file or choose another one.");
    }
}

nlohmann::json readJsonFile(const std::string& path, const JsonLimits& limits) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        throw IoError("Cannot open '" + path + "': " + std::strerror(errno) + ".");
    if (!S_ISREG(st.st_mode)) throw IoError("'" + path + "' is not a regular file.");
    if (static_cast<unsigned long long>(st.st_size) > limits.maxBytes)
        throw IoError("'" + path + "' is " + std::to_string(st.st_size) + " bytes, more than the " +
                      std::to_string(limits.maxBytes) + " bytes a JSON file may have here. Check that it is the right file.");
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw IoError("Cannot open '" + path + "': " + std::strerror(errno) + ".");
    std::string bytes;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
        bytes.append(buf, n);
        if (bytes.size() > limits.maxBytes) break;
    }
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    if (failed) throw IoError("Cannot read '" + path + "'.");
    return parseJson(bytes, path, limits);
}

} // namespace ts
