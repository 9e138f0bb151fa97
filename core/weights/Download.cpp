#include "core/weights/Download.h"
#include "core/weights/DownloadPartial.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/common/Sha256.h"
#include "core/weights/Pretrained.h"
#include "core/zoo/Registry.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <unistd.h>

#ifndef TS_VERSION
#define TS_VERSION "dev"
#endif

namespace fs = std::filesystem;

namespace ts::weights {
namespace {

using namespace detail;

using Clock = std::chrono::steady_clock;

void initCurlOnce() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string reasonPhrase(long status) {
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 407: return "Proxy Authentication Required";
    case 410: return "Gone";
    case 416: return "Range Not Satisfiable";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return {};
    }
}

std::string placeByHand(const std::string& dest) {
    return "Or download the file another way (e.g. with a browser) and place it at '" + dest + "'.";
}

// One HTTP attempt: state shared with libcurl's callbacks.
struct Transfer {
    CURL* curl = nullptr;
    PartialFile* file = nullptr;
    std::string partial;
    const DownloadOptions* options = nullptr;
    Feedback* feedback = nullptr;
    std::string what;             // "Downloading <file>", for Feedback
    int64_t offset = 0;           // bytes already in the .partial when the attempt started
    int64_t received = 0;         // bytes written by this attempt
    int64_t totalBytes = -1;
    int64_t limit = -1;           // most bytes the whole file may have
    int64_t rangeStart = -1;      // from Content-Range of the last response
    int64_t rangeTotal = -1;
    Validator sent;               // what If-Range carried (resumed attempts)
    Validator got;                // from the last response's headers
    long status = 0;
    bool started = false;
    bool cancelled = false;
    bool badRange = false;
    bool oversize = false;        // more bytes than `limit`, or announced so
    bool wrongSize = false;       // the server's size is not expectedBytes
    bool validatorFailed = false;
    int ioErrno = 0;
    Clock::time_point startTime = Clock::now();
    Clock::time_point lastReport{};

    DownloadProgress progress() const {
        DownloadProgress p;
        p.bytes = offset + received;
        p.totalBytes = totalBytes;
        const double s = std::chrono::duration<double>(Clock::now() - startTime).count();
        p.bytesPerSecond = s > 0 ? static_cast<double>(received) / s : 0.0;
        return p;
    }

    void report(bool final) {
        const auto now = Clock::now();
        if (!final && now - lastReport < std::chrono::milliseconds(options->progressIntervalMs)) return;
        lastReport = now;
        const DownloadProgress p = progress();
        if (options->onProgress) options->onProgress(p);
        if (feedback && p.totalBytes > 0)
            feedback->reportProgress(final ? 1.0 : std::min(0.999, static_cast<double>(p.bytes) / static_cast<double>(p.totalBytes)), what);
    }
};

size_t onHeader(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    std::string line(data, n);
    std::string lower = line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.rfind("http/", 0) == 0) {  // a new response (after a redirect or 100-continue)
        t->rangeStart = -1;
        t->rangeTotal = -1;
        t->got = Validator{};
    } else if (lower.rfind("content-range:", 0) == 0) {
        long long start = -1, end = -1, total = -1;
        if (std::sscanf(lower.c_str() + 14, " bytes %lld-%lld/%lld", &start, &end, &total) >= 2) {
            t->rangeStart = start;
            t->rangeTotal = total;
        }
    } else if (lower.rfind("etag:", 0) == 0) {
        const std::string v = cleanValue(line.substr(5));
        // A weak ETag ("W/...") cannot guard a range (RFC 9110 13.1.5).
        t->got.etag = (v.size() >= 2 && v.front() == '"' && v.back() == '"') ? v : std::string();
    } else if (lower.rfind("last-modified:", 0) == 0) {
        t->got.lastModified = cleanValue(line.substr(14));
    }
    return n;
}

size_t onData(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (!t->started) {
        t->started = true;
        curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
        if (t->status >= 400) return 0;  // an error page, not the file
        curl_off_t length = -1;
        curl_easy_getinfo(t->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
        if (t->status == 206) {
            // A range of another version of the file would be spliced on:
            // the server must name the version we asked for (or none).
            const bool otherVersion = !t->got.etag.empty() && !t->sent.etag.empty() && t->got.etag != t->sent.etag;
            if (t->rangeStart != t->offset || otherVersion) {
                t->badRange = true;
                return 0;
            }
            t->totalBytes = t->rangeTotal >= 0 ? t->rangeTotal : (length >= 0 ? t->offset + length : t->sent.length);
        } else {
            // The whole file: the first attempt, a server that ignores Range,
            // or If-Range saying the file changed. Start the .partial over,
            // and remember this version for a later resume.
            removeValidator(t->partial);
            if (t->offset > 0 || t->file->size() > 0) {
                if (!t->file->truncate()) {
                    t->ioErrno = errno;
                    return 0;
                }
                t->offset = 0;
            }
            t->totalBytes = length;
            Validator v = t->got;
            v.length = length;
            if (!v.empty() && !writeValidator(t->partial, v)) {
                t->validatorFailed = true;
                t->ioErrno = errno ? errno : EIO;
                return 0;
            }
        }
        const int64_t expected = t->options->expectedBytes;
        if (expected > 0 && t->totalBytes >= 0 && t->totalBytes != expected) {
            t->wrongSize = true;
            return 0;
        }
        t->limit = expected > 0 ? expected : (t->totalBytes >= 0 ? t->totalBytes : t->options->maxBytes);
    }
    if (t->feedback && t->feedback->isCancelled()) {
        t->cancelled = true;
        return 0;
    }
    if (t->limit >= 0 && t->offset + t->received + static_cast<int64_t>(n) > t->limit) {
        t->oversize = true;
        return 0;
    }
    if (n > 0 && !t->file->writeAll(data, n)) {
        t->ioErrno = errno ? errno : EIO;
        return 0;
    }
    t->received += static_cast<int64_t>(n);
    t->report(false);
    if (t->feedback && t->feedback->isCancelled()) {
        t->cancelled = true;
        return 0;
    }
    return n;
}

int onTransferInfo(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    if (t->feedback && t->feedback->isCancelled()) {
        t->cancelled = true;
        return 1;
    }
    return 0;
}

std::string lowerHex(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

std::string bytesText(int64_t n) { return std::to_string(n) + " bytes"; }

enum class AttemptResult { Done, RangeRejected };

// Runs one GET into the locked `file`: from its end, with If-Range, when
// `validator` names the version its bytes came from; otherwise from zero.
AttemptResult attempt(const std::string& url, const std::string& dest, const std::string& partial, PartialFile& file,
                      const Validator& validator, const DownloadOptions& options, Feedback* feedback) {
    Transfer t;
    t.file = &file;
    t.partial = partial;
    t.options = &options;
    t.feedback = feedback;
    t.what = "Downloading " + fs::path(dest).filename().string();
    t.sent = validator;
    const bool resuming = !validator.empty() && file.size() > 0;
    if (resuming) {
        if (!file.seekToEnd())
            throw IoError("Cannot write '" + partial + "': " + std::strerror(errno) + ".");
        t.offset = std::max<int64_t>(0, file.size());
    } else {
        removeValidator(partial);
        if (!file.truncate())
            throw IoError("Cannot write '" + partial + "': " + std::strerror(errno) +
                          ". Check the permissions and free space of that folder.");
    }

    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) throw DownloadError("Cannot download " + url + ": libcurl failed to start. " + placeByHand(dest));
    t.curl = curl.get();
    char errorBuffer[CURL_ERROR_SIZE] = {0};
    const std::string range = std::to_string(t.offset) + "-";
    const std::string userAgent = std::string("TransferStudio/") + TS_VERSION;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errorBuffer);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#endif
    curl_easy_setopt(c, CURLOPT_USERAGENT, userAgent.c_str());
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options.connectTimeoutS);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options.stallTimeoutS);
    // Set by hand rather than CURLOPT_RESUME_FROM, so that a server that
    // ignores ranges (200 + whole file) restarts the file instead of failing.
    // If-Range: the server sends the range only if the file is still the
    // version the .partial holds, and the whole (new) file otherwise.
    std::unique_ptr<curl_slist, void (*)(curl_slist*)> headers(nullptr, curl_slist_free_all);
    const std::string ifRange = "If-Range: " + validator.ifRange();
    if (t.offset > 0) {
        curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
        headers.reset(curl_slist_append(nullptr, ifRange.c_str()));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    }
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, onHeader);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, onData);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, onTransferInfo);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    // Proxies: libcurl reads http_proxy/https_proxy/no_proxy itself; nothing is set here.

    const CURLcode code = curl_easy_perform(c);
    if (!t.started || t.status == 0) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &t.status);

    if (t.cancelled || code == CURLE_ABORTED_BY_CALLBACK) {
        if (file.size() == 0) file.removeFromDisk();  // nothing worth keeping
        throw Cancelled();
    }
    if (t.ioErrno != 0)
        throw IoError("Cannot write '" + (t.validatorFailed ? validatorPath(partial) : partial) + "': " +
                      std::strerror(t.ioErrno) + " (disk full?). Free some space and run the download again.");
    if (t.status == 416 && t.offset > 0) return AttemptResult::RangeRejected;
    if (t.status >= 400) {
        if (file.size() == 0) file.removeFromDisk();
        const std::string reason = reasonPhrase(t.status);
        throw DownloadError("Cannot download " + url + ": the server answered HTTP " + std::to_string(t.status) +
                            (reason.empty() ? "" : " (" + reason + ")") +
                            ". Check the URL and your proxy settings (http_proxy/https_proxy), and try again later. " +
                            placeByHand(dest));
    }
    if (t.badRange) return AttemptResult::RangeRejected;
    if (t.wrongSize || t.oversize) {
        file.removeFromDisk();
        const std::string what =
            t.wrongSize ? "announced a file of " + bytesText(t.totalBytes) + ", but it should have " +
                              bytesText(options.expectedBytes)
                        : "sent more than the " + bytesText(t.limit) +
                              (options.expectedBytes > 0 ? " the file should have"
                               : t.totalBytes >= 0   ? " it announced"
                                                     : " accepted without a known size (DownloadOptions::maxBytes)");
        throw DownloadError("Cannot download " + url + " (HTTP " + std::to_string(t.status) + "): the server " + what +
                            ". It is not the expected file; the bytes received were deleted. Check the URL or mirror "
                            "(TS_WEIGHTS_MIRROR) and try again later. " + placeByHand(dest));
    }
    const int64_t have = std::max<int64_t>(0, file.size());
    const bool resumable = !readValidator(partial).empty();
    const int64_t whole = options.expectedBytes > 0 ? options.expectedBytes : t.totalBytes;
    if (code != CURLE_OK || (whole >= 0 && have < whole)) {
        const std::string detail = code != CURLE_OK
                                       ? (errorBuffer[0] ? std::string(errorBuffer) : std::string(curl_easy_strerror(code)))
                                       : "the transfer ended after " + bytesText(have) + " of " + bytesText(whole);
        const std::string status = t.status > 0 ? "HTTP " + std::to_string(t.status) : "no HTTP response";
        std::string advice;
        switch (code) {
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
            advice = "The host name could not be resolved: check that this computer is online and its proxy "
                     "settings (http_proxy/https_proxy).";
            break;
        case CURLE_COULDNT_CONNECT:
        case CURLE_OPERATION_TIMEDOUT:
            advice = "No connection: check that this computer is online, its firewall and its proxy settings "
                     "(http_proxy/https_proxy).";
            break;
        default: advice = "The transfer was interrupted.";
        }
        if (have > 0 && resumable) {
            advice += " The " + std::to_string(have) + " bytes received so far are kept in '" + partial +
                      "'; running the download again resumes from there.";
        } else {
            if (have > 0)
                advice += " The server names no version of the file (no ETag or Last-Modified header), so the " +
                          std::to_string(have) + " bytes received cannot be resumed safely and were deleted; the "
                          "next attempt starts over.";
            file.removeFromDisk();
        }
        throw DownloadError("Cannot download " + url + " (" + status + "): " + detail + ". " + advice + " " +
                            placeByHand(dest));
    }
    t.report(true);
    return AttemptResult::Done;
}

} // namespace

std::string hashPrefixFromFileName(const std::string& fileName) {
    // torch.hub: re.search(r'-([a-f0-9]*)\.', name), by hand: the first '-'
    // followed by lowercase hex digits (maybe none) and a '.'.
    for (size_t dash = fileName.find('-'); dash != std::string::npos; dash = fileName.find('-', dash + 1)) {
        size_t end = dash + 1;
        while (end < fileName.size() && ((fileName[end] >= '0' && fileName[end] <= '9') ||
                                         (fileName[end] >= 'a' && fileName[end] <= 'f')))
            ++end;
        if (end < fileName.size() && fileName[end] == '.') return fileName.substr(dash + 1, end - dash - 1);
    }
    return {};
}

std::string downloadWeights(const std::string& url, const std::string& destPath, const DownloadOptions& options,
                            Feedback* feedback) {
    initCurlOnce();
    const fs::path dest(destPath);
    std::error_code ec;
    if (dest.has_parent_path()) fs::create_directories(dest.parent_path(), ec);
    if (ec)
        throw IoError("Cannot create the folder '" + dest.parent_path().string() + "' for '" + destPath + "': " +
                      ec.message() + ". Check the permissions, or set TORCH_HOME to a writable folder.");
    std::string expected = lowerHex(options.sha256Prefix);
    if (expected.empty() && options.checkHashInFileName) expected = hashPrefixFromFileName(dest.filename().string());
    if (expected.size() > 64 || expected.find_first_not_of("0123456789abcdef") != std::string::npos)
        throw ConfigError("The expected SHA-256 '" + printable(options.sha256Prefix) + "' for " + url +
                          " is not a hex digest.");

    const std::string partial = destPath + ".partial";
    PartialFile file(partial, destPath);  // locked until this function returns
    Validator validator = options.resume ? readValidator(partial) : Validator{};
    if (validator.length >= 0 && file.size() > validator.length) validator = Validator{};  // cannot be that file

    AttemptResult result = attempt(url, destPath, partial, file, validator, options, feedback);
    if (result == AttemptResult::RangeRejected) {
        // The .partial does not fit the file on the server (complete already,
        // or another version): start over once.
        result = attempt(url, destPath, partial, file, Validator{}, options, feedback);
        if (result == AttemptResult::RangeRejected)
            throw DownloadError("Cannot download " + url + ": the server keeps rejecting the requested byte range. " +
                                placeByHand(destPath));
    }

    if (!expected.empty()) {
        const std::string actual = sha256File(partial);
        if (actual.compare(0, expected.size(), expected) != 0) {
            file.removeFromDisk();
            throw DownloadError("The file downloaded from " + url + " (HTTP 200) has SHA-256 " + actual +
                                ", but it should start with " + expected +
                                ": the download is corrupt or the server sent another file. It was deleted; run the "
                                "download again. " + placeByHand(destPath));
        }
    }
    // Durable before it is visible under its final name.
    if (::fsync(file.fd()) != 0)
        throw IoError("Cannot flush the finished download '" + partial + "' to disk: " + std::strerror(errno) +
                      ". Check the free space and the disk, then run the download again.");
    fs::rename(partial, destPath, ec);
    if (ec) {
        throw IoError("Cannot move the finished download '" + partial + "' to '" + destPath + "': " + ec.message() +
                      ". Check the permissions of that folder.");
    }
    removeValidator(partial);
    syncDirectory(dest.has_parent_path() ? dest.parent_path().string() : std::string("."));
    return destPath;
}

std::string downloadOfficialWeights(const std::string& arch, Feedback* feedback, const DownloadOptions& options) {
    const auto& info = zoo::modelInfo(arch);
    if (info.weightsUrl.empty())
        throw WeightsError("The " + arch + " architecture has no official pretrained weights to download; "
                           "train it from scratch or pass a weights file of your own.");
    const std::string dest = cachedWeightsPath(arch);
    std::error_code ec;
    if (fs::exists(dest, ec)) return dest;
    std::string url = info.weightsUrl;
    if (const char* mirror = std::getenv("TS_WEIGHTS_MIRROR"); mirror && *mirror) {
        std::string base = mirror;
        if (base.back() != '/') base += '/';
        url = base + zoo::weightsFileName(info);
    }
    downloadWeights(url, dest, options, feedback);
    // The official file is in place and verified by the hash in its name: a
    // record left by an earlier import no longer describes it.
    fs::remove(cachedWeightsRecordPath(dest), ec);
    return dest;
}

} // namespace ts::weights
