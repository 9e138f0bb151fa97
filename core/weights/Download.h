#pragma once
// Downloading weights into the cache PyTorch itself uses
// ($TORCH_HOME/hub/checkpoints, see ts::paths::weightsCacheDir()).
//
// A download goes to "<dest>.partial" and is renamed to <dest> only once it
// is complete and its SHA-256 matches; an interrupted download is resumed
// from the .partial with an HTTP Range request. Proxies are taken from the
// usual environment variables (http_proxy, https_proxy, no_proxy), as
// libcurl does by default.
//
// Thread safety: downloads may run on several threads at once (to different
// destinations); cancel through the Feedback from any thread.
#include "core/common/Feedback.h"

#include <cstdint>
#include <functional>
#include <string>

namespace ts::weights {

/// Progress of one download.
struct DownloadProgress {
    int64_t bytes = 0;          ///< bytes of the file present so far (resumed bytes included)
    int64_t totalBytes = -1;    ///< size of the whole file; -1 while unknown
    double bytesPerSecond = 0;  ///< average speed of this attempt
};

/// Options for downloadWeights().
struct DownloadOptions {
    /// Expected SHA-256 of the file, in hex: whole or a prefix. Default empty:
    /// the prefix embedded in the destination's file name, as torch.hub
    /// checks it ("resnet18-f37072fd.pth" -> "f37072fd"); no check when the
    /// name holds none.
    std::string sha256Prefix;
    /// Check the file name's hash prefix when sha256Prefix is empty. Default true.
    bool checkHashInFileName = true;
    /// Seconds allowed to connect (DNS, TCP, TLS). Default 30.
    long connectTimeoutS = 30;
    /// Give up when less than 1 byte/s arrives for this many seconds. Default 60.
    long stallTimeoutS = 60;
    /// Continue a "<dest>.partial" left by an earlier attempt. Default true.
    bool resume = true;
    /// Called on the downloading thread with the progress, at most every
    /// progressIntervalMs and once at the end. Default none.
    std::function<void(const DownloadProgress&)> onProgress;
    /// Minimum time between two onProgress calls. Default 200 ms.
    int progressIntervalMs = 200;
};

/// Downloads `url` to `destPath` (folders are created). Returns `destPath`.
/// Cancel through `feedback` (also sent fraction-done progress); then throws
/// ts::Cancelled and keeps the .partial for a later resume. Throws
/// ts::DownloadError naming the URL, the HTTP status (or the network error)
/// and where the file can be placed by hand: offline, DNS, HTTP >= 400,
/// stalled or cut-off transfers, checksum mismatch (the .partial is then
/// deleted, since resuming it cannot help).
std::string downloadWeights(const std::string& url, const std::string& destPath, const DownloadOptions& options = {},
                            Feedback* feedback = nullptr);

/// Downloads the official ImageNet weights of `arch` into the cache and
/// returns their path; returns at once when they are already there. The
/// environment variable TS_WEIGHTS_MIRROR (a base URL) replaces
/// download.pytorch.org for sites that mirror it. Throws ts::WeightsError
/// when `arch` has no official weights, otherwise as downloadWeights().
std::string downloadOfficialWeights(const std::string& arch, Feedback* feedback = nullptr,
                                    const DownloadOptions& options = {});

/// The hash prefix torch.hub reads from a file name ("-<hex>." as in
/// "resnet18-f37072fd.pth"); empty when there is none.
std::string hashPrefixFromFileName(const std::string& fileName);

} // namespace ts::weights
