#pragma once
// What every fuzz target checks besides "no crash, no sanitizer report":
// a reader either returns, or throws a ts::Error whose message names the
// input and quotes nothing raw from it (no control or non-ASCII bytes, a
// bounded length). Any other exception (std::bad_alloc, c10::Error, a JSON
// library exception, std::out_of_range...) escaping a reader is a bug: the
// harness prints it and aborts, so libFuzzer keeps the input as a crash.
//
// Thread safety: none needed (libFuzzer calls the target from one thread).
#include "core/common/Error.h"

#include <ATen/Tensor.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <typeinfo>

#include <unistd.h>

namespace ts::fuzz {

/// Longest error message accepted: a message listing twenty key names is
/// long, but one that quotes a whole file is not a message.
constexpr size_t kMaxMessageBytes = 8192;

[[noreturn]] inline void die(const std::string& what) {
    std::fprintf(stderr, "\n==fuzz== INVARIANT BROKEN: %s\n", what.c_str());
    std::fflush(stderr);
    std::abort();
}

/// The first kMax bytes of `s` with unprintable bytes escaped, for our own reports.
inline std::string shown(std::string_view s, size_t kMax = 600) {
    std::string out;
    for (size_t i = 0; i < s.size() && i < kMax; ++i) {
        const unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
        else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            out += buf;
        }
    }
    if (s.size() > kMax) out += "...(" + std::to_string(s.size()) + " bytes)";
    return out;
}

/// Checks a ts::Error message: it names `source` (when not empty), is at
/// most kMaxMessageBytes long and holds no control (except newline) or
/// non-ASCII bytes.
/// TS_FUZZ_LENIENT_MESSAGES=1 skips it, to look past message findings
/// for the deeper ones while the messages are being fixed.
inline void checkMessage(std::string_view message, std::string_view source) {
    static const bool lenient = [] {
        const char* v = std::getenv("TS_FUZZ_LENIENT_MESSAGES");
        return v && *v && *v != '0';
    }();
    if (lenient) return;
    if (message.size() > kMaxMessageBytes)
        die("error message of " + std::to_string(message.size()) + " bytes: " + shown(message));
    for (unsigned char c : message)
        if ((c < 0x20 && c != '\n') || c >= 0x7f)
            die("error message quotes a raw control or non-ASCII byte from the input: " + shown(message));
    if (!source.empty() && message.find(source) == std::string_view::npos)
        die("error message does not name the input '" + std::string(source) + "': " + shown(message));
}

/// Runs `read`; a ts::Error is an accepted outcome (its message checked
/// against `source`), anything else thrown aborts.
template <class F>
bool readsOrRefuses(std::string_view source, F&& read) {
    try {
        read();
        return true;
    } catch (const ts::Error& e) {
        checkMessage(e.what(), source);
        return false;
    } catch (const std::exception& e) {
        die(std::string("a reader let a non-ts::Error exception escape (") + typeid(e).name() + "): " +
            shown(e.what()));
    } catch (...) {
        die("a reader threw something that is not a std::exception");
    }
}

/// Aborts unless every element `t` can address lies inside its storage:
/// a tensor whose view reaches past its storage makes any later copy read
/// (or write) someone else's memory.
inline void checkTensorInsideStorage(const at::Tensor& t, const std::string& what) {
    if (!t.defined()) return;
    if (!t.has_storage()) die(what + ": tensor without storage");
    if (t.numel() == 0) return;
    int64_t last = t.storage_offset();
    if (last < 0) die(what + ": negative storage offset");
    for (int64_t d = 0; d < t.dim(); ++d) {
        const int64_t size = t.size(d), stride = t.stride(d);
        if (stride < 0) die(what + ": negative stride");
        int64_t reach;
        if (__builtin_mul_overflow(size - 1, stride, &reach) || __builtin_add_overflow(last, reach, &last))
            die(what + ": view extent overflows int64");
    }
    int64_t bytes;
    if (__builtin_mul_overflow(last + 1, static_cast<int64_t>(t.element_size()), &bytes) ||
        static_cast<uint64_t>(bytes) > t.storage().nbytes())
        die(what + ": view reaches byte " + std::to_string(last + 1) + "*" + std::to_string(t.element_size()) +
            " of a storage of " + std::to_string(t.storage().nbytes()) + " bytes");
}

/// A scratch file for readers that take a path: `<private dir>/<name>`
/// rewritten with `data` on every call. The directory is removed at exit.
std::string scratchFile(const std::string& name, std::string_view data);

} // namespace ts::fuzz
