#pragma once
// The one way an exception becomes a message for people, used by the CLI
// (its "tstudio: error: ..." line) and the app (error dialogs, status lines).
// ts::Error messages already say what happened, to which file and what to
// do; LibTorch's c10::Error appends a backtrace ("Exception raised from ...")
// that belongs in logs and "Show details", not in the sentence. Plain
// standard types only, so the app's pages can include it.
//
// Thread safety: pure functions.
#include <exception>
#include <string>
#include <string_view>

namespace ts {

/// The exception's full text without a LibTorch backtrace: what_without_backtrace()
/// for a c10::Error, what() for any other.
std::string exceptionText(const std::exception& e);

/// The user-facing part of an exception's text: what comes before
/// "Exception raised from", trimmed, at most its first three non-empty lines
/// (when it has more); a text that is only a backtrace gives its first 300
/// bytes (cut on a UTF-8 boundary).
std::string userMessage(std::string_view what);

/// userMessage(exceptionText(e)).
std::string userMessage(const std::exception& e);

} // namespace ts
