#include "core/data/ImageIO.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/data/PathText.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>
#include <new>

namespace ts::data {

std::string sniffImageFormat(const std::string& h) {
    auto starts = [&](const char* sig, size_t n) { return h.size() >= n && std::memcmp(h.data(), sig, n) == 0; };
    if (starts("\xFF\xD8\xFF", 3)) return "jpeg";
    if (starts("\x89PNG\r\n\x1a\n", 8)) return "png";
    if (starts("GIF87a", 6) || starts("GIF89a", 6)) return "gif";
    if (starts("BM", 2)) return "bmp";
    if (h.size() >= 12 && std::memcmp(h.data(), "RIFF", 4) == 0 && std::memcmp(h.data() + 8, "WEBP", 4) == 0)
        return "webp";
    if (starts("II*\0", 4) || starts("MM\0*", 4)) return "tiff";
    if (h.size() >= 2 && h[0] == 'P' && h[1] >= '1' && h[1] <= '6') return "ppm";
    return {};
}

namespace {

std::string formatBytes(int64_t n) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double v = static_cast<double>(n);
    int u = 0;
    while (v >= 1024.0 && u < 5) {
        v /= 1024.0;
        ++u;
    }
    char buf[48];
    if (u == 0) std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(n));
    else std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

std::string formatMegapixels(double pixels) {
    char buf[32];
    std::snprintf(buf, sizeof buf, pixels >= 1e7 ? "%.0f" : "%.1f", pixels / 1e6);
    return buf;
}

// What a file that is not a regular file is, for messages.
const char* kindOf(mode_t mode) {
    if (S_ISDIR(mode)) return "folder";
    if (S_ISFIFO(mode)) return "named pipe (FIFO)";
    if (S_ISCHR(mode)) return "character device";
    if (S_ISBLK(mode)) return "block device";
    if (S_ISSOCK(mode)) return "socket";
    return "special file";
}

void requireRegular(const struct stat& st, const std::string& path) {
    if (S_ISREG(st.st_mode)) return;
    if (S_ISDIR(st.st_mode)) throw DataError(quotedPath(path) + " is a folder, not an image.");
    throw DataError(quotedPath(path) + " is a " + kindOf(st.st_mode) +
                    ", not a regular file; it is not read (reading it could block or never end). "
                    "Remove it from the dataset folder.");
}

void requireFileSize(int64_t size, const std::string& path, const ImageLimits& limits) {
    if (size > limits.maxFileBytes)
        throw ImageTooLargeError(quotedPath(path) + " is " + formatBytes(size) + ", more than the limit of " +
                                 formatBytes(limits.maxFileBytes) +
                                 " for one image file; it is not read. Remove it, or raise the limit if it really is "
                                 "an image (max_image_file_mib, or --max-file-mib of train and scan).");
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

} // namespace

std::string readImageFile(const std::string& path, const ImageLimits& limits) {
    // stat first: a FIFO or a device is refused before it is opened (opening a
    // FIFO blocks until someone writes; some devices act when opened).
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT) throw DataError("Image " + quotedPath(path) + " does not exist. Check the path or rescan the dataset.");
        if (err == ELOOP)
            throw DataError(quotedPath(path) + " is a symbolic link that loops; it is not read. Remove the link.");
        throw DataError("Cannot open image " + quotedPath(path) + ": " + std::strerror(err) +
                        ". Check that it exists and is readable.");
    }
    requireRegular(st, path);
    requireFileSize(static_cast<int64_t>(st.st_size), path, limits);
    Fd f;
    f.fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (f.fd < 0)
        throw DataError("Cannot open image " + quotedPath(path) + ": " + std::strerror(errno) +
                        ". Check that it exists and is readable.");
    // Checked again on what was opened: the path may have been swapped meanwhile.
    if (::fstat(f.fd, &st) != 0)
        throw DataError("Cannot read image " + quotedPath(path) + ": " + std::strerror(errno) + ".");
    requireRegular(st, path);
    requireFileSize(static_cast<int64_t>(st.st_size), path, limits);
    std::string bytes(static_cast<size_t>(st.st_size), '\0');
    size_t got = 0;
    while (got < bytes.size()) {
        const ssize_t n = ::read(f.fd, bytes.data() + got, bytes.size() - got);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw DataError("Reading image " + quotedPath(path) + " failed: " + std::strerror(errno) +
                            ". Check the disk and the file.");
        }
        if (n == 0) break;  // shrank while reading: use what is there
        got += static_cast<size_t>(n);
    }
    bytes.resize(got);
    return bytes;
}

void checkImageSize(const ImageHeader& header, const std::string& name, const ImageLimits& limits) {
    if (!header.sizeKnown())
        throw DataError(quotedPath(name) + " is a " + (header.format.empty() ? std::string("damaged") : header.format) +
                        " file whose header does not state the image size (corrupt or truncated, or an unusual "
                        "variant); it is "
                        "not decoded. Re-export it as PNG or JPEG, or remove it.");
    const int64_t pixels = int64_t{header.width} * int64_t{header.height};
    const std::string size = std::to_string(header.width) + "x" + std::to_string(header.height);
    if (pixels > limits.maxPixels)
        throw ImageTooLargeError(quotedPath(name) + " is " + size + " pixels (" +
                                 formatMegapixels(static_cast<double>(pixels)) + " megapixels), more than the limit of " +
                                 formatMegapixels(static_cast<double>(limits.maxPixels)) +
                                 " megapixels; it is not decoded. Downscale it, or raise the limit "
                                 "(max_image_megapixels, or --max-megapixels of train and scan).");
    // Wide samples need more memory per pixel: budget 8 bytes per allowed pixel.
    const int64_t bytesPerSample = std::max(1, (std::max(header.bitDepth, 8) + 7) / 8);
    const int64_t decoded =
        std::max(pixels * std::max(3, header.channels) * bytesPerSample, header.workingBytes);
    if (limits.maxPixels <= INT64_MAX / 8 && decoded > limits.maxPixels * 8)
        throw ImageTooLargeError(quotedPath(name) + " is " + size + " pixels of " + std::to_string(header.bitDepth) +
                                 "-bit samples: decoding it needs " + formatBytes(decoded) + " of memory, more than the " +
                                 formatMegapixels(static_cast<double>(limits.maxPixels)) +
                                 "-megapixel limit allows; it is not decoded. Convert it to 8 bits or downscale it.");
}

cv::Mat decodeImageRgb(const std::string& bytes, const std::string& name, int reduceTo, const ImageLimits& limits) {
    return decodeImageRgb(bytes, inspectImageHeader(bytes), name, reduceTo, limits);
}

cv::Mat decodeImageRgb(const std::string& bytes, const ImageHeader& header, const std::string& name, int reduceTo,
                       const ImageLimits& limits) {
    const std::string q = quotedPath(name);
    if (bytes.empty()) throw DataError(q + " is an empty (zero-byte) file. Delete it or replace it with the real image.");
    const std::string& format = header.format;
    if (format == "gif")
        throw DataError(q + " is a GIF, which is not supported. Convert it to PNG or JPEG, or remove it.");
    if (format.empty()) throw DataError(q + " is not an image (unrecognised content). Remove it from the dataset folder.");
    requireFileSize(static_cast<int64_t>(bytes.size()), name, limits);
    if (bytes.size() > static_cast<size_t>(INT_MAX))  // cv::Mat's column count is an int
        throw ImageTooLargeError(q + " is " + formatBytes(static_cast<int64_t>(bytes.size())) +
                                 ", more than the decoder takes (2 GiB). Remove it.");
    checkImageSize(header, name, limits);
    int flags = cv::IMREAD_COLOR;
    if (reduceTo > 0 && format == "jpeg") {
        const int shortSide = std::min(header.width, header.height);
        if (shortSide / 8 >= reduceTo) flags = cv::IMREAD_REDUCED_COLOR_8;
        else if (shortSide / 4 >= reduceTo) flags = cv::IMREAD_REDUCED_COLOR_4;
        else if (shortSide / 2 >= reduceTo) flags = cv::IMREAD_REDUCED_COLOR_2;
    }
    try {
        const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
        cv::Mat bgr = cv::imdecode(buf, flags);
        if (bgr.empty())
            throw DataError(q + " looks like a " + format +
                            " file but could not be decoded (corrupt or truncated). Re-export or remove it.");
        if (bgr.depth() != CV_8U) bgr.convertTo(bgr, CV_8U, 1.0 / 257.0);
        cv::Mat rgb;
        cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
        return rgb;
    } catch (const cv::Exception& e) {
        throw DataError(q + " could not be decoded as " + format + ": " + e.msg.substr(0, 300) +
                        ". Re-export or remove it.");
    } catch (const std::bad_alloc&) {
        throw ImageTooLargeError("Ran out of memory decoding " + q + " (" + std::to_string(header.width) + "x" +
                                 std::to_string(header.height) + " pixels). Downscale it or lower the image pixel limit.");
    }
}

cv::Mat loadImageRgb(const std::string& path, int reduceTo, const ImageLimits& limits) {
    return decodeImageRgb(readImageFile(path, limits), path, reduceTo, limits);
}

void savePng(const cv::Mat& rgb, const std::string& path) {
    cv::Mat out;
    if (rgb.channels() == 3) cv::cvtColor(rgb, out, cv::COLOR_RGB2BGR);
    else if (rgb.channels() == 4) cv::cvtColor(rgb, out, cv::COLOR_RGBA2BGRA);
    else out = rgb;
    std::vector<uchar> encoded;
    if (!cv::imencode(".png", out, encoded)) throw IoError("Cannot encode a PNG for '" + path + "'.");
    writeFileAtomic(path, std::string(encoded.begin(), encoded.end()));
}

} // namespace ts::data
