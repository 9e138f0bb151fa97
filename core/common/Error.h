#pragma once
// Errors thrown by ts_core. Every message says what happened, to which file or
// object, and what the user can do about it. core/ never prints; callers show
// what() to users.
#include <stdexcept>
#include <string>

namespace ts {

/// Base of all errors raised by ts_core.
class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// A file could not be read, written or parsed (message names the path).
class IoError : public Error {
public:
    using Error::Error;
};

/// A model, weights file or config does not fit what was asked for.
class ModelError : public Error {
public:
    using Error::Error;
};

/// A weights file is malformed, unsafe, or does not match the architecture.
class WeightsError : public Error {
public:
    using Error::Error;
};

/// A download failed (message names the URL, the status and the manual path).
class DownloadError : public Error {
public:
    using Error::Error;
};

/// A dataset folder cannot be used as asked.
class DataError : public Error {
public:
    using Error::Error;
};

/// A configuration value is invalid.
class ConfigError : public Error {
public:
    using Error::Error;
};

/// The operation was cancelled through its feedback object.
class Cancelled : public Error {
public:
    Cancelled() : Error("cancelled") {}
};

} // namespace ts
