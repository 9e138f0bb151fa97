// The doctor's check of one file: read it within the limits, sniff its real
// format, decode it, and describe what is wrong (DoctorFiles.h).
#include "core/data/DoctorFiles.h"

#include "core/common/Error.h"
#include "core/data/ContentHash.h"
#include "core/data/ImageHeader.h"
#include "core/data/ImageIO.h"
#include "core/data/PathText.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <new>
#include <string>
#include <utility>
#include <vector>

namespace fs = std::filesystem;

namespace ts::data::detail {


namespace {

// The format the extension promises ("" when it promises none we know).
std::string formatOfExtension(const std::string& path) {
    static const std::map<std::string, std::string> kFormats{
        {".jpg", "jpeg"}, {".jpeg", "jpeg"}, {".png", "png"},  {".bmp", "bmp"},  {".webp", "webp"}, {".tif", "tiff"},
        {".tiff", "tiff"}, {".ppm", "ppm"},  {".pgm", "ppm"},  {".pbm", "ppm"},  {".gif", "gif"}};
    const auto it = kFormats.find(lowerExtension(path));
    return it == kFormats.end() ? std::string() : it->second;
}

bool looksLikeText(const std::string& bytes) {
    const size_t n = std::min<size_t>(bytes.size(), 512);
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(bytes[i]);
        if (c < 0x09 || (c > 0x0D && c < 0x20) || c == 0x7F) return false;
    }
    return true;
}

FileResult checkFile(const std::string& path, const std::string& split, const DoctorOptions& options) {
    FileResult r;
    auto add = [&](ProblemKind kind, Severity severity, std::string message) {
        r.problems.push_back({kind, severity, path, split, std::move(message), {}});
    };
    // Runs `step`; its failure becomes the file's problem: TooLarge for an
    // image over the budgets, `otherwise` for any other ts::Error.
    auto passes = [&](ProblemKind otherwise, auto&& step) {
        try {
            step();
            return true;
        } catch (const ImageTooLargeError& e) {
            add(ProblemKind::TooLarge, Severity::Error, e.what());
        } catch (const Error& e) {
            add(otherwise, Severity::Error, e.what());
        }
        return false;
    };
    std::string bytes;
    if (!passes(ProblemKind::Unreadable, [&] { bytes = readImageFile(path, options.limits); })) return r;
    r.size = bytes.size();
    if (bytes.empty()) {
        add(ProblemKind::EmptyFile, Severity::Error,
            quotedPath(path) + " is empty (zero bytes). Delete it or replace it with the real image.");
        return r;
    }
    const ImageHeader header = inspectImageHeader(bytes);
    if (header.format.empty()) {
        add(ProblemKind::NotAnImage, Severity::Error,
            quotedPath(path) + " is not an image" + (looksLikeText(bytes) ? " (it holds text)" : " (unrecognised content)") +
                ". Remove it from the dataset folder.");
        return r;
    }
    if (header.format == "gif") {
        add(ProblemKind::UnsupportedFormat, Severity::Error,
            quotedPath(path) + " is a GIF, which the loader does not decode. Convert it to PNG or JPEG, or remove it.");
        return r;
    }
    const std::string promised = formatOfExtension(path);
    if (!promised.empty() && promised != header.format)
        add(ProblemKind::WrongExtension, Severity::Info,
            quotedPath(path) + " holds a " + header.format + " image despite its extension; it is read correctly.");
    if (header.truncated) {
        add(ProblemKind::Truncated, Severity::Error,
            quotedPath(path) + " is truncated (the " + header.format +
                " data ends early; the picture is incomplete). Copy or download it again, or remove it.");
        return r;
    }
    // The size from the header, before a single pixel is allocated; then the pixels.
    cv::Mat rgb;
    if (!passes(ProblemKind::Corrupt, [&] {
            checkImageSize(header, path, options.limits);
            rgb = decodeImageRgb(bytes, header, path, 0, options.limits);
        }))
        return r;
    r.usable = true;
    r.width = rgb.cols;
    r.height = rgb.rows;
    r.hash = fnv1a64(bytes.data(), bytes.size());

    // How the image is stored comes from its header (every accepted format has
    // one): the file is decoded once.
    const int channels = header.channels > 0 ? header.channels : 3;
    const int depth = header.bitDepth > 0 ? header.bitDepth : 8;
    r.cmyk = header.cmyk;
    r.palette = header.palette;
    r.grey = channels == 1 || channels == 2;
    r.alpha = channels == 2 || (channels == 4 && !header.cmyk);
    r.sixteenBit = depth > 8;
    std::vector<std::string> what;
    if (r.grey) what.push_back("grey (replicated to RGB)");
    if (r.alpha) what.push_back("alpha channel (dropped)");
    if (r.cmyk) what.push_back("CMYK (converted to RGB)");
    if (r.sixteenBit) what.push_back(std::to_string(depth) + "-bit (scaled to 8-bit)");
    if (r.palette) what.push_back("palette (expanded to RGB)");
    if (!what.empty()) {
        std::string list;
        for (const auto& w : what) list += (list.empty() ? "" : ", ") + w;
        add(ProblemKind::Converted, Severity::Info, quotedPath(path) + " is " + list + ".");
    }
    if (header.width > 0 && header.width != header.height && rgb.cols == header.height && rgb.rows == header.width)
        add(ProblemKind::Rotated, Severity::Info,
            quotedPath(path) + " carries an EXIF orientation; it is rotated upright when decoded.");
    if (std::min(rgb.cols, rgb.rows) < options.minSide)
        add(ProblemKind::TinyImage, Severity::Warning,
            quotedPath(path) + " is only " + std::to_string(rgb.cols) + "x" + std::to_string(rgb.rows) +
                " pixels (less than " + std::to_string(options.minSide) +
                "); upscaled, it carries little information. Replace it with a larger image or remove it.");
    return r;
}

} // namespace

// checkFile() that cannot throw: whatever goes wrong with one file (the
// decoder throws, memory runs out) is a problem of that file, so no exception
// leaves a worker thread (that would end the program).
FileResult checkFileSafely(const std::string& path, const std::string& split, const DoctorOptions& options) noexcept {
    FileResult r;
    std::string message;
    ProblemKind kind = ProblemKind::Corrupt;
    try {
        return checkFile(path, split, options);
    } catch (const std::bad_alloc&) {
        kind = ProblemKind::TooLarge;
        message = "Ran out of memory checking " + quotedPath(path) +
                  ". Downscale it or remove it (or lower the image pixel limit).";
    } catch (const cv::Exception& e) {
        message = quotedPath(path) + " could not be decoded (" + e.msg.substr(0, 300) + "). Re-export or remove it.";
    } catch (const std::exception& e) {
        message = quotedPath(path) + " could not be checked: " + std::string(e.what()).substr(0, 300) +
                  ". Re-export or remove it.";
    } catch (...) {
        message = quotedPath(path) + " could not be checked (unknown error). Re-export or remove it.";
    }
    try {
        r.problems.push_back({kind, Severity::Error, path, split, std::move(message), {}});
    } catch (...) {  // out of memory even for the message: the file is still not usable
    }
    return r;
}

// Byte-for-byte comparison of two files that were checked as regular files
// (opened again the same careful way: nothing else is read, nothing blocks).
bool sameBytes(const std::string& a, const std::string& b) {
    struct File {
        int fd = -1;
        explicit File(const std::string& path) {
            fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
            struct stat st {};
            if (fd >= 0 && (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
                ::close(fd);
                fd = -1;
            }
        }
        ~File() {
            if (fd >= 0) ::close(fd);
        }
        // Fills `buf` as far as the file goes; -1 on error.
        ssize_t fill(char* buf, size_t n) const {
            size_t got = 0;
            while (got < n) {
                const ssize_t k = ::read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR) continue;
                if (k < 0) return -1;
                if (k == 0) break;
                got += static_cast<size_t>(k);
            }
            return static_cast<ssize_t>(got);
        }
    };
    const File fa(a), fb(b);
    if (fa.fd < 0 || fb.fd < 0) return false;
    std::vector<char> ba(1 << 16), bb(1 << 16);
    for (;;) {
        const ssize_t na = fa.fill(ba.data(), ba.size()), nb = fb.fill(bb.data(), bb.size());
        if (na < 0 || nb < 0 || na != nb) return false;
        if (na == 0) return true;
        if (std::memcmp(ba.data(), bb.data(), static_cast<size_t>(na)) != 0) return false;
    }
}

} // namespace ts::data::detail
