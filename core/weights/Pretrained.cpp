#include "core/weights/Pretrained.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Paths.h"
#include "core/common/Sha256.h"
#include "core/weights/Download.h"
#include "core/weights/StateDict.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <vector>

namespace fs = std::filesystem;

namespace ts::weights {
namespace {

bool isHexDigest(const std::string& s) {
    return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// The digests a cache record lists (lines "<64 hex>  <name>"). A missing,
// unreadable or garbled record lists nothing; it is only ever read, never
// executed or echoed, and at most its first 64 KiB are looked at.
std::vector<std::string> recordedDigests(const std::string& cached) {
    std::vector<std::string> out;
    std::ifstream in(cachedWeightsRecordPath(cached), std::ios::binary);
    if (!in) return out;
    std::string line;
    size_t bytes = 0;
    while (out.size() < 16 && bytes < 65536 && std::getline(in, line)) {
        bytes += line.size() + 1;
        const std::string digest = line.substr(0, 64);
        if (isHexDigest(digest) && (line.size() == 64 || std::isspace(static_cast<unsigned char>(line[64]))))
            out.push_back(digest);
    }
    return out;
}

void writeRecord(const std::string& cached, const std::vector<std::string>& digests) {
    std::string text;
    const std::string name = fs::path(cached).filename().string();
    for (const auto& d : digests) text += d + "  " + name + "\n";
    writeFileAtomic(cachedWeightsRecordPath(cached), text);
}

// Files already checked in this process, by path, with the size and
// modification time they had then: a replaced file is checked again.
struct FileStamp {
    uintmax_t size = 0;
    fs::file_time_type mtime{};
    bool operator==(const FileStamp& o) const { return size == o.size && mtime == o.mtime; }
};

std::mutex g_verifiedMutex;
std::map<std::string, FileStamp>& verifiedFiles() {
    static std::map<std::string, FileStamp> files;
    return files;
}

bool stampOf(const std::string& path, FileStamp& stamp) {
    std::error_code ec1, ec2;
    stamp.size = fs::file_size(path, ec1);
    stamp.mtime = fs::last_write_time(path, ec2);
    return !ec1 && !ec2;
}

void markVerified(const std::string& path) {
    FileStamp stamp;
    if (!stampOf(path, stamp)) return;
    std::lock_guard<std::mutex> lock(g_verifiedMutex);
    verifiedFiles()[path] = stamp;
}

} // namespace

std::string cachedWeightsPath(const std::string& arch) {
    const auto& info = zoo::modelInfo(arch);
    if (info.weightsUrl.empty()) return {};
    return paths::weightsCacheDir() + "/" + zoo::weightsFileName(info);
}

std::string cachedWeightsRecordPath(const std::string& cachedPath) { return cachedPath + ".sha256"; }

void verifyCachedWeights(const std::string& arch) {
    const std::string path = cachedWeightsPath(arch);
    if (path.empty()) return;
    FileStamp stamp;
    if (!stampOf(path, stamp))
        throw WeightsError("The cached " + arch + " weights '" + path + "' cannot be read. Download them again with "
                           "`tstudio weights download " + arch + " --force`.");
    {
        std::lock_guard<std::mutex> lock(g_verifiedMutex);
        const auto it = verifiedFiles().find(path);
        if (it != verifiedFiles().end() && it->second == stamp) return;
    }
    const std::string name = fs::path(path).filename().string();
    const std::string expectedPrefix = hashPrefixFromFileName(name);
    std::string actual;
    try {
        actual = sha256File(path);
    } catch (const Error& e) {
        throw WeightsError("The cached " + arch + " weights '" + path + "' cannot be read (" + e.what() +
                           "). Download them again with `tstudio weights download " + arch + " --force`.");
    }
    const std::vector<std::string> recorded = recordedDigests(path);
    // Nothing to check against (no hash in the name, no record): accepted.
    bool ok = (expectedPrefix.empty() && recorded.empty()) ||
              (!expectedPrefix.empty() && actual.compare(0, expectedPrefix.size(), expectedPrefix) == 0);
    for (const auto& d : recorded) ok = ok || d == actual;
    if (!ok) {
        std::string should;
        if (!expectedPrefix.empty()) should = "the official file's starts with " + expectedPrefix + " (the hash in its name)";
        if (!recorded.empty())
            should += std::string(should.empty() ? "" : ", and ") + "the file imported there had " + recorded.back();
        throw WeightsError("The cached " + arch + " weights '" + path + "' are damaged: their SHA-256 is " + actual +
                           ", but " + should + ". Download them again with `tstudio weights download " + arch +
                           " --force` (or delete that file and place a good copy there, or import one with `tstudio "
                           "weights import FILE --arch " + arch + " --force`).");
    }
    std::lock_guard<std::mutex> lock(g_verifiedMutex);
    verifiedFiles()[path] = stamp;
}

zoo::Backbone loadPretrained(const std::string& arch, const std::string& weightsPath) {
    const auto& info = zoo::modelInfo(arch);
    std::string path = weightsPath;
    if (path.empty()) {
        if (info.weightsUrl.empty())
            throw WeightsError("The " + arch + " architecture has no official pretrained weights; pass --weights FILE.");
        path = cachedWeightsPath(arch);
        if (!std::filesystem::exists(path))
            throw WeightsError("The official " + arch + " weights are not in the cache (" + path +
                               "). Download them with `tstudio weights download " + arch + "` (from " +
                               info.weightsUrl + "), place that file there by hand, or pass --weights FILE.");
    }
    if (!info.weightsUrl.empty()) {
        // The cached file, whichever way it was named, is checked once per process.
        std::error_code ec;
        if (path == cachedWeightsPath(arch) || fs::equivalent(path, cachedWeightsPath(arch), ec))
            verifyCachedWeights(arch);
    }
    zoo::Backbone model = zoo::createModel(arch);
    applyStateDict(*model, readStateDict(path), path, arch);
    model->eval();
    return model;
}

ImportResult importWeightsIntoCache(const std::string& file, const std::string& arch, bool replace) {
    ImportResult result;
    result.path = cachedWeightsPath(arch);  // throws ModelError for an unknown arch
    if (result.path.empty())
        throw ConfigError("The " + arch + " architecture has no official weights, so the cache has no place for "
                          "them; use the file '" + file + "' directly as the model's weights instead.");
    std::error_code ec;
    result.replaced = fs::exists(result.path, ec);
    if (result.replaced && !replace)
        throw ConfigError("The cache already holds " + arch + " weights at '" + result.path +
                          "'; they are kept unless replacing them with '" + file + "' is asked for.");
    // The file must load strictly into the architecture before it is trusted.
    const StateDict sd = readStateDict(file);
    zoo::Backbone model = zoo::createModel(arch);
    applyStateDict(*model, sd, file, arch);
    result.tensors = sd.size();
    const std::string digest = sha256File(file);

    // Crash-consistent order: the record first lists the new digest beside
    // the old ones (the file in place still verifies), then the file is
    // replaced, then the record keeps only the new digest. A kill between
    // any two steps leaves a cache whose file verifies.
    std::vector<std::string> digests = recordedDigests(result.path);
    if (std::find(digests.begin(), digests.end(), digest) == digests.end()) {
        if (digests.size() >= 8) digests.erase(digests.begin());
        digests.push_back(digest);
        writeRecord(result.path, digests);
    }
    writeFileAtomicWith(result.path, [&](const std::string& tmp) {
        std::error_code copyError;
        fs::copy_file(file, tmp, fs::copy_options::overwrite_existing, copyError);
        if (copyError) throw IoError("Cannot copy '" + file + "' to '" + tmp + "': " + copyError.message() + ".");
        if (sha256File(tmp) != digest)
            throw IoError("The copy of '" + file + "' in the cache differs from the file (was it changed while it "
                          "was imported, or is the disk failing?). Import it again.");
    });
    if (digests.size() != 1) writeRecord(result.path, {digest});
    markVerified(result.path);
    return result;
}

} // namespace ts::weights
