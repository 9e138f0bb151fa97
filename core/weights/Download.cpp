#include "core/weights/Download.h"

#include "core/common/Error.h"
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
#include <regex>
#include <unistd.h>

#ifndef TS_VERSION
#define TS_VERSION "dev"
#endif

namespace fs = std::filesystem;

namespace ts::weights {
namespace {

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
    std::FILE* file = nullptr;
    const DownloadOptions* options = nullptr;
    Feedback* feedback = nullptr;
    std::string what;             // "Downloading <file>", for Feedback
    int64_t offset = 0;           // bytes already in the .partial when the attempt started
    int64_t received = 0;         // bytes written by this attempt
    int64_t totalBytes = -1;
    int64_t rangeStart = -1;      // from Content-Range of the last response
    int64_t rangeTotal = -1;
    long status = 0;
    bool started = false;
    bool cancelled = false;
    bool badRange = false;
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
    } else if (lower.rfind("content-range:", 0) == 0) {
        long long start = -1, end = -1, total = -1;
        if (std::sscanf(lower.c_str() + 14, " bytes %lld-%lld/%lld", &start, &end, &total) >= 2) {
            t->rangeStart = start;
            t->rangeTotal = total;
        }
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
            if (t->rangeStart != t->offset) {
                t->badRange = true;
                return 0;
            }
            t->totalBytes = t->rangeTotal >= 0 ? t->rangeTotal : (length >= 0 ? t->offset + length : -1);
        } else {
            // The server ignored the Range request and sends the whole file.
            if (t->offset > 0) {
                if (std::fflush(t->file) != 0 || ::ftruncate(fileno(t->file), 0) != 0 || std::fseek(t->file, 0, SEEK_SET) != 0) {
                    t->ioErrno = errno;
                    return 0;
                }
                t->offset = 0;
            }
            t->totalBytes = length;
        }
    }
    if (t->feedback && t->feedback->isCancelled()) {
        t->cancelled = true;
        return 0;
    }
    if (n > 0 && std::fwrite(data, 1, n, t->file) != n) {
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

int64_t fileSize(const std::string& path) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    return ec ? -1 : static_cast<int64_t>(size);
}

std::string lowerHex(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
}

enum class AttemptResult { Done, RangeRejected };

// Runs one GET into `partial`, resuming from its current size when asked.
AttemptResult attempt(const std::string& url, const std::string& dest, const std::string& partial, bool resume,
                      const DownloadOptions& options, Feedback* feedback) {
    Transfer t;
    t.options = &options;
    t.feedback = feedback;
    t.what = "Downloading " + fs::path(dest).filename().string();
    t.offset = resume ? std::max<int64_t>(0, fileSize(partial)) : 0;
    t.file = std::fopen(partial.c_str(), t.offset > 0 ? "ab" : "wb");
    if (!t.file)
        throw IoError("Cannot write '" + partial + "': " + std::strerror(errno) +
                      ". Check the permissions and free space of that folder.");

    std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
    if (!curl) {
        std::fclose(t.file);
        throw DownloadError("Cannot download " + url + ": libcurl failed to start. " + placeByHand(dest));
    }
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
    if (t.offset > 0) curl_easy_setopt(c, CURLOPT_RANGE, range.c_str());
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
    const bool flushed = std::fflush(t.file) == 0;
    const int flushErrno = errno;
    std::fclose(t.file);

    // A failed attempt that received nothing leaves no empty .partial behind.
    const auto dropIfEmpty = [&] {
        std::error_code ec;
        if (fileSize(partial) == 0) fs::remove(partial, ec);
    };
    if (t.cancelled || code == CURLE_ABORTED_BY_CALLBACK) {
        dropIfEmpty();
        throw Cancelled();
    }
    if (t.ioErrno != 0 || !flushed)
        throw IoError("Cannot write '" + partial + "': " + std::strerror(t.ioErrno ? t.ioErrno : flushErrno) +
                      " (disk full?). Free some space and run the download again.");
    if (t.status == 416 && t.offset > 0) return AttemptResult::RangeRejected;
    if (t.status >= 400) {
        dropIfEmpty();
        const std::string reason = reasonPhrase(t.status);
        throw DownloadError("Cannot download " + url + ": the server answered HTTP " + std::to_string(t.status) +
                            (reason.empty() ? "" : " (" + reason + ")") +
                            ". Check the URL and your proxy settings (http_proxy/https_proxy), and try again later. " +
                            placeByHand(dest));
    }
    if (t.badRange) return AttemptResult::RangeRejected;
    if (code != CURLE_OK) {
        dropIfEmpty();
        const std::string detail = errorBuffer[0] ? std::string(errorBuffer) : std::string(curl_easy_strerror(code));
        const std::string status = t.status > 0 ? "HTTP " + std::to_string(t.status) : "no HTTP response";
        const int64_t have = std::max<int64_t>(0, fileSize(partial));
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
        if (have > 0)
            advice += " The " + std::to_string(have) + " bytes received so far are kept in '" + partial +
                      "'; running the download again resumes from there.";
        throw DownloadError("Cannot download " + url + " (" + status + "): " + detail + ". " + advice + " " +
                            placeByHand(dest));
    }
    t.report(true);
    return AttemptResult::Done;
}

} // namespace

std::string hashPrefixFromFileName(const std::string& fileName) {
    // torch.hub: HASH_REGEX = r'-([a-f0-9]*)\.'
    static const std::regex hashRegex(R"(-([a-f0-9]*)\.)");
    std::smatch m;
    if (!std::regex_search(fileName, m, hashRegex)) return {};
    return m[1].str();
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
        throw ConfigError("The expected SHA-256 '" + options.sha256Prefix + "' for " + url + " is not a hex digest.");

    const std::string partial = destPath + ".partial";
    if (!options.resume) fs::remove(partial, ec);

    AttemptResult result = attempt(url, destPath, partial, options.resume, options, feedback);
    if (result == AttemptResult::RangeRejected) {
        // The .partial does not fit the file on the server (complete already,
        // or the file changed): start over once.
        fs::remove(partial, ec);
        result = attempt(url, destPath, partial, false, options, feedback);
        if (result == AttemptResult::RangeRejected)
            throw DownloadError("Cannot download " + url + ": the server keeps rejecting the requested byte range. " +
                                placeByHand(destPath));
    }

    if (!expected.empty()) {
        const std::string actual = sha256File(partial);
        if (actual.compare(0, expected.size(), expected) != 0) {
            fs::remove(partial, ec);
            throw DownloadError("The file downloaded from " + url + " (HTTP 200) has SHA-256 " + actual +
                                ", but it should start with " + expected +
                                ": the download is corrupt or the server sent another file. It was deleted; run the "
                                "download again. " + placeByHand(destPath));
        }
    }
    fs::rename(partial, destPath, ec);
    if (ec) {
        throw IoError("Cannot move the finished download '" + partial + "' to '" + destPath + "': " + ec.message() +
                      ". Check the permissions of that folder.");
    }
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
    return downloadWeights(url, dest, options, feedback);
}

} // namespace ts::weights
