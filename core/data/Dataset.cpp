#include "core/data/Dataset.h"
#include "core/data/DatasetFolder.h"

#include "core/common/Error.h"
#include "core/data/PathText.h"
#include "core/data/Random.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

namespace fs = std::filesystem;

namespace ts::data {
namespace {

bool isHidden(const fs::path& p) {
    const std::string name = p.filename().string();
    return !name.empty() && name[0] == '.';
}

// Files every desktop leaves behind; not worth a report line.
bool isSystemClutter(const fs::path& p) {
    const std::string name = p.filename().string();
    return name == "Thumbs.db" || name == "desktop.ini";
}

// ---- The scan -------------------------------------------------------------

constexpr int kMaxDepth = 64;  // folders below a class folder

struct FolderId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator<(const FolderId& o) const { return dev != o.dev ? dev < o.dev : ino < o.ino; }
};

FolderId idOf(const struct stat& st) { return {st.st_dev, st.st_ino}; }

// True when `path` (canonical) is `base` or lies under it.
bool inside(const std::string& path, const std::string& base) {
    if (base == "/") return true;
    return path == base || (path.size() > base.size() && path.compare(0, base.size(), base) == 0 && path[base.size()] == '/');
}

// The canonical path, or "" with `err` set (ENOENT: dangling, ELOOP: loop).
std::string realPath(const std::string& path, int& err) {
    char* resolved = ::realpath(path.c_str(), nullptr);
    if (!resolved) {
        err = errno;
        return {};
    }
    std::string out(resolved);
    std::free(resolved);
    err = 0;
    return out;
}

const char* specialKind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a named pipe (FIFO)";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

// One scan: which real folders are used (each once, by device and inode), as
// what, and what was skipped.
class Scanner {
public:
    Scanner(const std::string& root, std::vector<SkippedEntry>& skipped) : m_root(root), m_skipped(skipped) {
        int err = 0;
        m_rootReal = realPath(root, err);
        struct stat st {};
        if (m_rootReal.empty() || ::stat(root.c_str(), &st) != 0)
            throw DataError("Cannot open the dataset folder " + quotedPath(root) + ": " +
                            std::strerror(err ? err : errno) + ". Check the path and its permissions.");
        m_claims[idOf(st)] = kDatasetFolder;
    }

    // A split folder (ROOT/train, ROOT/val, ...): the first of `names` that is
    // a real folder, or a link to a folder not used yet; else "".
    enum class Claim { No, Yes };
    fs::path splitFolder(std::initializer_list<const char*> names, Claim claim) {
        for (const char* n : names) {
            const std::string path = (fs::path(m_root) / n).generic_string();
            struct stat lst {};
            if (::lstat(path.c_str(), &lst) != 0) continue;
            std::string real;
            FolderId id;
            if (!accept(path, lst, m_rootReal, real, id, Level::Split, claim == Claim::Yes)) continue;
            if (claim == Claim::No) return path;
            const std::string what = std::string(kSplitFolder) + " " + quotedPath(path);
            m_claims[id] = what;
            m_claimedReal.emplace_back(real, what);
            return path;
        }
        return {};
    }

    // The class folders of `dir` (sorted names): real folders, and links to
    // folders that are not used yet.
    std::vector<std::string> classFolders(const fs::path& dir) {
        struct Candidate {
            std::string name, path;
            struct stat lst;
        };
        std::vector<Candidate> candidates;
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            if (isHidden(it->path())) continue;
            Candidate c{it->path().filename().string(), it->path().generic_string(), {}};
            if (::lstat(c.path.c_str(), &c.lst) != 0) continue;
            if (S_ISDIR(c.lst.st_mode) || S_ISLNK(c.lst.st_mode)) candidates.push_back(std::move(c));
        }
        if (ec)
            throw DataError("Cannot list the folder " + quotedPath(dir.string()) + ": " + ec.message() +
                            ". Check its permissions.");
        // Real folders claim first, so that a link to one of them is the one skipped.
        std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
            const bool la = S_ISLNK(a.lst.st_mode), lb = S_ISLNK(b.lst.st_mode);
            return la != lb ? lb : a.name < b.name;
        });
        int err = 0;
        std::string dirReal = realPath(dir.string(), err);
        if (dirReal.empty()) dirReal = m_rootReal;
        std::vector<std::string> names;
        for (const auto& c : candidates) {
            std::string real;
            FolderId id;
            if (!accept(c.path, c.lst, dirReal, real, id, Level::Class)) continue;
            const std::string what = std::string(kClassFolder) + " " + quotedPath(c.path);
            m_claims[id] = what;
            m_claimedReal.emplace_back(real, what);
            m_classReal[c.path] = real;
            names.push_back(c.name);
        }
        // Byte order of UTF-8 equals code-point order: the same as Python's sorted(),
        // so label indices agree with torchvision's ImageFolder.
        std::sort(names.begin(), names.end());
        return names;
    }

    bool isClassFolder(const std::string& path) const { return m_classReal.count(path) > 0; }

    // The files of one class folder, recursively (as ImageFolder's os.walk),
    // ordered by (folder, file name). Real sub-folders are walked before
    // linked ones, so a folder reachable both ways is listed under its real path.
    void listClass(const std::string& classDir, int64_t label, std::vector<ImageItem>& items,
                   std::vector<std::string>& ignored) {
        const std::string classReal = m_classReal.at(classDir);
        std::vector<std::pair<std::string, std::string>> found;  // (parent, name)
        std::vector<std::pair<std::string, int>> folders{{classDir, 0}};
        std::vector<std::pair<std::string, int>> links;  // folder links, checked once the real tree is done
        size_t nextLink = 0;
        while (!folders.empty() || nextLink < links.size()) {
            if (folders.empty()) {
                const auto [path, depth] = links[nextLink++];
                struct stat lst {};
                std::string real;
                FolderId id;
                if (::lstat(path.c_str(), &lst) != 0 || !accept(path, lst, classReal, real, id, Level::Inside)) continue;
                if (depth > kMaxDepth) {
                    tooDeep(path);
                    continue;
                }
                m_claims[id] = "the folder " + quotedPath(path);
                folders.emplace_back(path, depth);
                continue;
            }
            const auto [dir, depth] = folders.back();
            folders.pop_back();
            std::vector<std::string> names;
            std::error_code ec;
            for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
                names.push_back(it->path().filename().string());
            if (ec) {
                skip(dir, SkipReason::Unlistable,
                     "Cannot list the folder " + quotedPath(dir) + ": " + ec.message() +
                         "; its files are not used. Check its permissions.");
                continue;
            }
            std::sort(names.begin(), names.end());
            std::vector<std::pair<std::string, int>> subfolders;
            for (const auto& name : names) {
                if (name.empty() || name[0] == '.') continue;  // hidden files and folders
                const std::string path = dir + "/" + name;
                struct stat lst {};
                if (::lstat(path.c_str(), &lst) != 0) continue;  // vanished meanwhile
                if (S_ISREG(lst.st_mode)) {
                    if (!isSystemClutter(name)) found.emplace_back(dir, name);
                } else if (S_ISDIR(lst.st_mode)) {
                    const auto [it, fresh] = m_claims.emplace(idOf(lst), "the folder " + quotedPath(path));
                    if (!fresh)
                        skip(path, SkipReason::AlreadyScanned,
                             quotedPath(path) + " is the same folder as " + it->second +
                                 " (a bind mount?); it is scanned once.");
                    else if (depth + 1 > kMaxDepth)
                        tooDeep(path);
                    else
                        subfolders.emplace_back(path, depth + 1);
                } else if (S_ISLNK(lst.st_mode)) {
                    struct stat st {};
                    if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
                        links.emplace_back(path, depth + 1);
                    } else {
                        std::string real;
                        FolderId id;
                        if (accept(path, lst, m_rootReal, real, id, Level::File) && !isSystemClutter(name))
                            found.emplace_back(dir, name);
                    }
                } else {
                    skipSpecial(path, lst.st_mode);
                }
            }
            // Depth first in name order (taken from the back).
            for (auto it = subfolders.rbegin(); it != subfolders.rend(); ++it) folders.push_back(*it);
        }
        std::sort(found.begin(), found.end());
        for (const auto& [parent, name] : found) {
            const std::string path = parent + "/" + name;
            if (isListedExtension(path)) items.push_back({path, label});
            else ignored.push_back(path);
        }
    }

private:
    enum class Level { Split, Class, Inside, File };
    static constexpr const char* kDatasetFolder = "the dataset folder";
    static constexpr const char* kSplitFolder = "the split folder";
    static constexpr const char* kClassFolder = "the class folder";

    static bool startsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

    void skip(const std::string& path, SkipReason reason, std::string message) {
        if (m_quiet) return;
        m_skipped.push_back({path, reason, std::move(message)});
    }

    void skipSpecial(const std::string& path, mode_t mode) {
        skip(path, SkipReason::SpecialFile,
             quotedPath(path) + " is " + specialKind(mode) +
                 ", not a file; it is not opened (reading it could block or never end). Remove it from the dataset "
                 "folder.");
    }

    void tooDeep(const std::string& path) {
        skip(path, SkipReason::TooDeep,
             quotedPath(path) + " is nested more than " + std::to_string(kMaxDepth) +
                 " folders deep in its class folder; it is not scanned. Move its images up.");
    }

    // Decides whether the folder entry `path` (its lstat in `lst`) is used: a
    // real folder (levels Split, Class, Inside) or regular file (File), or a
    // symbolic link to one (a folder link that stays in the dataset must stay
    // inside `container`: for Inside the class folder, for Class the split
    // folder) that is not a folder already used or one that holds it. Reports what it
    // refuses (except files where folders are listed: those were always ignored).
    bool accept(const std::string& path, const struct stat& lst, const std::string& container, std::string& real,
                FolderId& id, Level level, bool report = true) {
        const bool wantFolder = level != Level::File;
        const bool link = S_ISLNK(lst.st_mode);
        m_quiet = !report;
        struct Loud {
            bool& quiet;
            ~Loud() { quiet = false; }
        } loud{m_quiet};
        struct stat st = lst;
        if (link) {
            int err = 0;
            real = realPath(path, err);
            if (real.empty()) {
                if (level == Level::Split) return false;  // e.g. a dangling 'val': look for 'valid'
                if (err == ELOOP)
                    skip(path, SkipReason::LinkLoop,
                         quotedPath(path) +
                             " is a symbolic link that loops (it points, directly or not, to itself); it is not "
                             "followed. Remove it.");
                else
                    skip(path, SkipReason::BrokenLink,
                         quotedPath(path) + " is a symbolic link to something that " +
                             (err == ENOENT ? std::string("does not exist")
                                            : "cannot be reached (" + std::string(std::strerror(err)) + ")") +
                             "; it is ignored. Remove the link or restore its target.");
                return false;
            }
            if (::stat(path.c_str(), &st) != 0) return false;
            if (wantFolder && !S_ISDIR(st.st_mode)) return false;
            if (!wantFolder && !S_ISREG(st.st_mode)) {
                skipSpecial(path, st.st_mode);
                return false;
            }
        } else if (wantFolder && !S_ISDIR(st.st_mode)) {
            return false;
        }
        if (!wantFolder) return true;
        id = idOf(st);
        const auto claim = m_claims.find(id);
        if (!link) {
            if (claim != m_claims.end()) {
                skip(path, SkipReason::AlreadyScanned,
                     quotedPath(path) + " is the same folder as " + claim->second + "; it is scanned once.");
                return false;
            }
            int err = 0;
            real = realPath(path, err);
            if (real.empty()) real = path;
            return true;
        }
        // A link to a folder that holds it (`loop -> .`, `up -> ..`), or to the
        // dataset or a split folder: following it would list images again.
        int err = 0;
        const std::string parentReal = realPath(fs::path(path).parent_path().string(), err);
        const bool ancestor = (!parentReal.empty() && inside(parentReal, real)) ||
                              (claim != m_claims.end() &&
                               (startsWith(claim->second, kDatasetFolder) || startsWith(claim->second, kSplitFolder)));
        if (ancestor) {
            skip(path, SkipReason::LinkLoop,
                 quotedPath(path) + " is a symbolic link to " +
                     (claim != m_claims.end() ? claim->second : quotedPath(real)) +
                     ", a folder that contains it; it is not followed (it would list the same images again).");
            return false;
        }
        // A link out of the dataset folder cannot reach another class (those
        // are inside it); one that stays inside must stay in its own class.
        if ((level == Level::Inside || level == Level::Class) && inside(real, m_rootReal) && !inside(real, container)) {
            skip(path, SkipReason::OtherClass,
                 quotedPath(path) + " is a symbolic link to " + quotedPath(real) + ", outside its " +
                     (level == Level::Inside ? "class" : "split") +
                     " folder; it is not followed (its images would get this class's label, or cross between train "
                     "and val).");
            return false;
        }
        if (claim != m_claims.end()) {
            skip(path, SkipReason::AlreadyScanned,
                 quotedPath(path) + " is a symbolic link to " + claim->second +
                     ", which is already scanned; it is not followed (each image is listed once).");
            return false;
        }
        if (level != Level::Inside)
            for (const auto& [claimedReal, what] : m_claimedReal)
                if (inside(real, claimedReal) && startsWith(what, kClassFolder)) {
                    skip(path, SkipReason::OtherClass,
                         quotedPath(path) + " is a symbolic link into " + what +
                             "; it is not used as a folder of its own (its images would get two labels).");
                    return false;
                }
        return true;
    }

    std::string m_root;
    std::string m_rootReal;
    std::vector<SkippedEntry>& m_skipped;
    std::map<FolderId, std::string> m_claims;                        // every folder used, and as what
    std::vector<std::pair<std::string, std::string>> m_claimedReal;  // canonical split and class folders
    std::map<std::string, std::string> m_classReal;                  // class folder path -> canonical
    bool m_quiet = false;                                            // a look ahead: report nothing
};

// Class names are folder names from the dataset: quoted safely, at most 20.
std::string joinNames(const std::vector<std::string>& names) {
    std::string out;
    for (size_t i = 0; i < names.size() && i < 20; ++i) out += (i ? ", " : "") + quotedPath(names[i], 80);
    if (names.size() > 20) out += ", ... (" + std::to_string(names.size()) + " in all)";
    return out;
}

void stratifiedSplit(DatasetIndex& index, std::vector<ImageItem> pool) {
    const double f = index.split.valFraction;
    if (!(f >= 0.0 && f < 1.0))
        throw ConfigError("The validation fraction must be in [0, 1), got " + std::to_string(f) +
                          ". Use e.g. 0.2 for 80/20.");
    std::vector<std::vector<ImageItem>> perClass(index.classes.size());
    for (auto& item : pool) perClass[static_cast<size_t>(item.label)].push_back(std::move(item));
    std::mt19937_64 rng(index.split.seed);
    for (auto& items : perClass) {
        shuffleInPlace(items, rng);
        const auto n = static_cast<int64_t>(items.size());
        auto nVal = static_cast<int64_t>(std::llround(static_cast<double>(n) * f));
        if (f > 0.0 && n >= 2) nVal = std::clamp<int64_t>(nVal, 1, n - 1);  // both sides get the class
        nVal = std::min(nVal, n);
        for (int64_t i = 0; i < n; ++i) (i < nVal ? index.val : index.train).push_back(items[static_cast<size_t>(i)]);
    }
    // Listing order (label, path) rather than shuffled order: easier to read, same content.
    auto byLabelPath = [](const ImageItem& a, const ImageItem& b) {
        return a.label != b.label ? a.label < b.label : a.path < b.path;
    };
    std::sort(index.train.begin(), index.train.end(), byLabelPath);
    std::sort(index.val.begin(), index.val.end(), byLabelPath);
}

} // namespace

const char* toString(SkipReason reason) {
    switch (reason) {
    case SkipReason::SpecialFile: return "special_file";
    case SkipReason::BrokenLink: return "broken_link";
    case SkipReason::LinkLoop: return "link_loop";
    case SkipReason::OtherClass: return "other_class";
    case SkipReason::AlreadyScanned: return "already_scanned";
    case SkipReason::Unlistable: return "unlistable";
    case SkipReason::TooDeep: return "too_deep";
    }
    return "?";
}

bool hasImageExtension(const std::string& path) {
    static const std::set<std::string> kLoadable{".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif",
                                                 ".tiff", ".ppm", ".pgm", ".pbm"};
    return kLoadable.count(lowerExtension(path)) > 0;
}

bool isListedExtension(const std::string& path) {
    return hasImageExtension(path) || lowerExtension(path) == ".gif";
}

std::vector<int64_t> DatasetIndex::classCounts(const std::vector<ImageItem>& items) const {
    std::vector<int64_t> counts(classes.size(), 0);
    for (const auto& item : items)
        if (item.label >= 0 && static_cast<size_t>(item.label) < counts.size()) ++counts[static_cast<size_t>(item.label)];
    return counts;
}

std::string toString(SplitSource source) { return source == SplitSource::Folders ? "folders" : "split"; }

std::vector<ImageItem> DatasetIndex::all() const {
    std::vector<ImageItem> out;
    out.reserve(train.size() + val.size() + test.size());
    out.insert(out.end(), train.begin(), train.end());
    out.insert(out.end(), val.begin(), val.end());
    out.insert(out.end(), test.begin(), test.end());
    return out;
}

void checkDatasetFolder(const std::string& root) {
    if (root.empty()) throw DataError("No dataset folder given. Pass the folder that holds one sub-folder per class.");
    struct stat st {};
    if (::stat(root.c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR)
            throw DataError("The dataset folder " + quotedPath(root) + " does not exist. Check the path.");
        throw DataError("Cannot open the dataset folder " + quotedPath(root) + ": " + std::strerror(err) +
                        ". Check the path and its permissions.");
    }
    if (!S_ISDIR(st.st_mode))
        throw DataError(quotedPath(root) + " is " + (S_ISREG(st.st_mode) ? "a file" : specialKind(st.st_mode)) +
                        ", not a dataset folder. Pass the folder that holds one sub-folder per class.");
}

DatasetIndex indexDataset(const std::string& rootArg, const SplitOptions& split) {
    checkDatasetFolder(rootArg);
    try {
        DatasetIndex index;
        std::string root = fs::path(rootArg).lexically_normal().generic_string();
        while (root.size() > 1 && root.back() == '/') root.pop_back();
        index.root = root;
        index.split = split;

        Scanner scan(root, index.skipped);
        fs::path train = scan.splitFolder({"train", "training"}, Scanner::Claim::No);
        fs::path val = scan.splitFolder({"val", "valid", "validation"}, Scanner::Claim::No);
        bool useFolders = !train.empty() && !val.empty();
        // Claimed only when used: ROOT/val alone is an ordinary class folder.
        if (!train.empty()) train = scan.splitFolder({"train", "training"}, Scanner::Claim::Yes);
        if (useFolders) val = scan.splitFolder({"val", "valid", "validation"}, Scanner::Claim::Yes);
        useFolders = !train.empty() && !val.empty();  // e.g. val -> train is refused
        const fs::path test = scan.splitFolder({"test", "testing"}, Scanner::Claim::Yes);

        std::map<std::string, std::set<std::string>> classesIn;  // split folder -> its class folders
        auto classFoldersOf = [&](const fs::path& dir) {
            auto names = scan.classFolders(dir);
            classesIn[dir.generic_string()].insert(names.begin(), names.end());
            return names;
        };
        const fs::path flatRoot = train.empty() ? fs::path(root) : train;
        if (useFolders) {
            index.splitSource = SplitSource::Folders;
            std::set<std::string> names;
            for (const fs::path& dir : {train, val, test})
                if (!dir.empty())
                    for (auto& n : classFoldersOf(dir)) names.insert(n);
            index.classes.assign(names.begin(), names.end());
        } else {
            index.splitSource = SplitSource::Split;
            index.classes = classFoldersOf(flatRoot);
            if (!test.empty()) classFoldersOf(test);
        }
        if (index.classes.empty())
            throw DataError("The dataset folder " + quotedPath(root) +
                            " holds no class folders. Put the images of each class in their own sub-folder "
                            "(e.g. " + root + "/cats/*.jpg, " + root + "/dogs/*.jpg).");
        if (index.classes.size() == 1)
            throw DataError("The dataset folder " + quotedPath(root) + " holds only one class (" +
                            quotedPath(index.classes.front()) + "). A classifier needs at least two class folders.");

        auto listSplit = [&](const fs::path& dir, std::vector<ImageItem>& out) {
            const auto& accepted = classesIn[dir.generic_string()];
            for (size_t c = 0; c < index.classes.size(); ++c)
                if (accepted.count(index.classes[c]))
                    scan.listClass((dir / index.classes[c]).generic_string(), static_cast<int64_t>(c), out,
                                   index.ignoredFiles);
        };
        if (useFolders) {
            listSplit(train, index.train);
            listSplit(val, index.val);
            if (!test.empty()) listSplit(test, index.test);
        } else {
            std::vector<ImageItem> pool;
            listSplit(flatRoot, pool);
            if (!test.empty()) listSplit(test, index.test);
            stratifiedSplit(index, std::move(pool));
        }
        if (index.train.empty() && index.val.empty())
            throw DataError("The class folders of " + quotedPath(root) + " (" + joinNames(index.classes) +
                            ") hold no image files (.jpg, .jpeg, .png, .bmp, .webp, .tif, .ppm). Add images to them.");
        return index;
    } catch (const Error&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw DataError("Ran out of memory scanning the dataset folder " + quotedPath(rootArg) +
                        " (too many files?). Split it into smaller datasets.");
    } catch (const std::exception& e) {
        throw DataError("Cannot scan the dataset folder " + quotedPath(rootArg) + ": " + e.what() +
                        ". Check the folder and its permissions.");
    }
}

} // namespace ts::data
