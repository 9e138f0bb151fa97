#pragma once
// Downloading weights into the cache PyTorch itself uses
// ($TORCH_HOME/hub/checkpoints, see ts::paths::weightsCacheDir()).
//
// A download goes to "<dest>.partial" and is renamed to <dest> only once it
// is complete and its SHA-256 matches; the finished file and its folder are
// fsynced. An interrupted download is resumed from the .partial with an HTTP
// Range request guarded by If-Range: the ETag (or, without a strong ETag,
// the Last-Modified date) of the first response is kept in
// "<dest>.partial.validator", so a file that changed on the server since is
// fetched again from its start instead of being spliced onto the old bytes.
// A server that names no version (neither header) cannot be resumed safely:
// its downloads always start over. The bytes accepted are capped at the
// expected size when it is known (DownloadOptions::expectedBytes, or the
// size the server announced), else at DownloadOptions::maxBytes.
// While a download runs, its .partial is locked (flock): a second download
// of the same destination, from this or another process, fails at once
// with a DownloadError saying it is already being downloaded.
// Proxies are taken from the usual environment variables (http_proxy,
// https_proxy, no_proxy), as libcurl does by default.
//
// Thread safety: downloads may run on several threads at once (to the same
// destination only one proceeds, see above); cancel through the Feedback
// from any thread.
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
    /// Continue a "<dest>.partial" left by an earlier attempt (when the
    /// server's validator shows the file is unchanged). Default true.
    bool resume = true;
    /// Size of the file in bytes when known beforehand; a server announcing
    /// or sending another size is an error. Default -1: unknown.
    int64_t expectedBytes = -1;
    /// Most bytes accepted when neither expectedBytes nor the server gives
    /// the size. Default 8 GiB (the largest official weights are < 3 GB).
    int64_t maxBytes = int64_t(8) << 30;
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
/// stalled or cut-off transfers, checksum mismatch or more bytes than the
/// expected size (the .partial is then deleted, since resuming it cannot
/// help), and a download of the same `destPath` already running.
std::string downloadWeights(const std::string& url, const std::string& destPath, const DownloadOptions& options = {},
                            Feedback* feedback = nullptr);

/// Downloads the official ImageNet weights of `arch` into the cache and
/// returns their path; returns at once when they are already there (their
/// content is checked when they are loaded, see verifyCachedWeights). The
/// environment variable TS_WEIGHTS_MIRROR (a base URL) replaces
/// download.pytorch.org for sites that mirror it. Throws ts::WeightsError
/// when `arch` has no official weights, otherwise as downloadWeights().
std::string downloadOfficialWeights(const std::string& arch, Feedback* feedback = nullptr,
                                    const DownloadOptions& options = {});

/// The hash prefix torch.hub reads from a file name ("-<hex>." as in
/// "resnet18-f37072fd.pth"); empty when there is none.
std::string hashPrefixFromFileName(const std::string& fileName);

} // namespace ts::weights
