// The .deb installer (installer/Packaging.cmake): built with cpack in the
// build folder when missing or older than what goes into it (the binaries,
// installer/, resources/, docs/, README.md, the man-page generator), then
// unpacked once with `dpkg-deb -x` into a temp root and checked from there:
// control fields, the programs (run with no LD_LIBRARY_PATH: every
// dependency is a system library named in Depends), /usr/share/doc, the man
// pages, the desktop entry and the MIME type, the window icon, lintian, and
// a real `dpkg --root` install and removal in a scratch root.
// Tools that a check needs (lintian, desktop-file-validate,
// update-mime-database, update-desktop-database, gio, man, xvfb-run, xprop)
// skip that check when absent;
// scripts/install-deps.sh installs them all.
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using ts::test::runCommand;
using ts::test::shellQuote;

namespace {

const char* const kPackage = "transfer-studio";
const char* const kMaintainer = "Transfer Studio developers <dev@transfer-studio.org>";
const char* const kHomepage = "https://transfer-studio.org";
const char* const kMimeType = "application/x-transfer-studio-project";

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool hasTool(const std::string& name) { return runCommand("command -v " + name + " >/dev/null") == 0; }

// The output of a command; fails the test when it exits non-zero.
std::string commandOutput(const std::string& command) {
    std::string out;
    const int rc = runCommand(command, &out);
    EXPECT_EQ(rc, 0) << command << ":\n" << out;
    return out;
}

// The newest build/transfer-studio_*.deb; empty when none.
fs::path newestPackage() {
    fs::path best;
    for (const auto& entry : fs::directory_iterator(TS_BINARY_DIR)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(std::string(kPackage) + "_", 0) != 0 || entry.path().extension() != ".deb") continue;
        if (best.empty() || fs::last_write_time(entry.path()) > fs::last_write_time(best)) best = entry.path();
    }
    return best;
}

// The newest modification time among the files that go into the package.
fs::file_time_type newestInput() {
    std::vector<fs::path> inputs = {ts::test::binaryPath("tstudio"), fs::path(TS_SOURCE_DIR) / "README.md",
                                    fs::path(TS_SOURCE_DIR) / "cmake/GenerateManPages.cmake"};
#if TS_PACKAGE_HAS_GUI
    inputs.push_back(ts::test::binaryPath("transfer-studio"));
#endif
    for (const char* dir : {"installer", "resources", "docs"})
        for (const auto& entry : fs::recursive_directory_iterator(fs::path(TS_SOURCE_DIR) / dir))
            if (entry.is_regular_file()) inputs.push_back(entry.path());
    fs::file_time_type newest = fs::file_time_type::min();
    for (const auto& path : inputs)
        if (fs::exists(path)) newest = std::max(newest, fs::last_write_time(path));
    return newest;
}

// The value of `Field: value` in dpkg-deb -f output; empty when absent.
std::string field(const std::string& fields, const std::string& name) {
    std::smatch m;
    if (std::regex_search(fields, m, std::regex("(^|\n)" + name + ": ([^\n]*)"))) return m[2];
    return {};
}

// The names listed under "Subcommands:" in CLI11 help text.
std::vector<std::string> subcommands(const std::string& help) {
    std::vector<std::string> out;
    std::istringstream in(help);
    std::string line;
    bool inside = false;
    while (std::getline(in, line)) {
        if (line == "Subcommands:") {
            inside = true;
        } else if (inside) {
            std::smatch m;
            if (!std::regex_match(line, m, std::regex("  ([^ ]+)( .*)?"))) break;
            out.push_back(m[1]);
        }
    }
    return out;
}

// A gzip file written with `gzip -n`: valid, no file name, no time stamp.
void expectReproducibleGzip(const fs::path& path) {
    const std::string bytes = readFile(path);
    ASSERT_GE(bytes.size(), 18u) << path;
    EXPECT_EQ(static_cast<unsigned char>(bytes[0]), 0x1fu) << path << " is not gzip";
    EXPECT_EQ(static_cast<unsigned char>(bytes[1]), 0x8bu) << path << " is not gzip";
    EXPECT_EQ(bytes[3] & 0x08, 0) << path << " stores a file name (compress with gzip -9n)";
    EXPECT_EQ(bytes.substr(4, 4), std::string(4, '\0')) << path << " stores a time stamp (compress with gzip -9n)";
    EXPECT_EQ(runCommand("gzip -t " + shellQuote(path.string())), 0) << path;
}

std::string gunzip(const fs::path& path) { return commandOutput("gzip -dc " + shellQuote(path.string())); }

} // namespace

// cmake/GenerateManPages.cmake on a program whose help holds what roff and
// CMake lists treat specially: ; [ ] \ a leading . or ', `code`, a long
// option alone on its line, a footer, and a nested subcommand.
TEST(ManPageGenerator, WritesEveryLineOfAnyHelpTextFaithfully) {
    ts::test::TempDir dir("ts-man");
    const std::string program = dir.file("fake");
    std::ofstream(program) << R"(#!/bin/sh
case "$*" in
"--help") cat <<'END'
fake - a tool; it [really] works\here
Usage: )" << program << R"( [OPTIONS] [SUBCOMMAND]

Options:
  -h,--help                   Print this help message and exit
  --a-very-long-option-name-indeed TEXT:{x,y}=x
                              Chooses x; or y (see `fake run`)

Subcommands:
  run                         Run it [now]
.dot at the start of a footer line
'quote at the start
END
;;
"run --help") printf 'Run it [now]\nUsage: %s run [OPTIONS] SUBCOMMAND\n\nSubcommands:\n  deep                        Go deeper\n' "$0" ;;
"run deep --help") printf 'Go deeper\nUsage: %s run deep [OPTIONS]\n\nOptions:\n  --depth INT=3               How deep; 3 = very\n' "$0" ;;
*) echo "unexpected: $*" >&2; exit 1 ;;
esac
)";
    fs::permissions(program, fs::perms::owner_all);
    const fs::path out = dir.file("man1");
    std::string log;
    ASSERT_EQ(runCommand(shellQuote(TS_CMAKE_COMMAND) + " -DPROGRAM=" + shellQuote(program) + " -DNAME=fake -DVERSION=9.9 -DOUT_DIR=" +
                             shellQuote(out.string()) + " -P " + shellQuote(TS_SOURCE_DIR "/cmake/GenerateManPages.cmake"),
                         &log),
              0)
        << log;
    ASSERT_TRUE(fs::exists(out / "fake.1.gz")) << log;
    ASSERT_TRUE(fs::exists(out / "fake-run.1.gz")) << log;
    EXPECT_FALSE(fs::exists(out / "fake.1")) << "the uncompressed page was left behind";
    expectReproducibleGzip(out / "fake.1.gz");
    if (!hasTool("man")) GTEST_SKIP() << "man is absent: the pages were written but not rendered";

    const auto render = [](const fs::path& page) {
        const std::string file = shellQuote(page.string());
        EXPECT_EQ(commandOutput("{ LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z " + file +
                                " 2>&1 >/dev/null; }"),
                  "")
            << page;
        // One long line per paragraph, plain ASCII, to search in.
        return commandOutput("LC_ALL=C MANWIDTH=1000 man -E ascii -l " + file + " | col -b");
    };
    const std::string top = render(out / "fake.1.gz");
    for (const char* text : {"fake - a tool; it [really] works\\here", "--a-very-long-option-name-indeed TEXT:{x,y}=x",
                             "Chooses x; or y (see fake run)", "Run it [now]", ".dot at the start of a footer line",
                             "'quote at the start", "fake-run(1)"})
        EXPECT_NE(top.find(text), std::string::npos) << "missing \"" << text << "\" in\n" << top;
    EXPECT_EQ(top.find(program), std::string::npos) << "the program's path leaked into the page:\n" << top;
    const std::string run = render(out / "fake-run.1.gz");
    for (const char* text : {"fake-run - Run it [now]", "FAKE RUN DEEP", "fake run deep [OPTIONS]", "--depth INT=3", "How deep; 3 = very"})
        EXPECT_NE(run.find(text), std::string::npos) << "missing \"" << text << "\" in\n" << run;
}

namespace {

class Package : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!hasTool("dpkg-deb")) {
            s_skip = "dpkg-deb is absent (not Debian)";
            return;
        }
        fs::path deb = newestPackage();
        if (deb.empty() || fs::last_write_time(deb) < newestInput()) {
            std::string out;
            const int rc = runCommand("cd " + shellQuote(TS_BINARY_DIR) + " && " + shellQuote(TS_CPACK_COMMAND) + " -G DEB", &out);
            if (rc != 0) {
                s_error = "cpack failed:\n" + out;
                return;
            }
            deb = newestPackage();
        }
        if (deb.empty()) {
            s_error = std::string("no ") + kPackage + "_*.deb in " TS_BINARY_DIR;
            return;
        }
        s_deb = deb;
        s_root = std::make_unique<ts::test::TempDir>("ts-deb");
        std::string out;
        if (runCommand("dpkg-deb -x " + shellQuote(deb.string()) + " " + shellQuote(s_root->path()), &out) != 0)
            s_error = "dpkg-deb -x failed:\n" + out;
    }
    static void TearDownTestSuite() { s_root.reset(); }

    void SetUp() override {
        if (!s_skip.empty()) GTEST_SKIP() << s_skip;
        ASSERT_TRUE(s_error.empty()) << s_error;
    }

    static fs::path usr() { return fs::path(s_root->path()) / "usr"; }
    static fs::path docDir() { return usr() / "share/doc" / kPackage; }
    static fs::path manDir() { return usr() / "share/man/man1"; }
    static std::string run(const fs::path& program, const std::string& args) {
        return commandOutput("env -u LD_LIBRARY_PATH " + shellQuote(program.string()) + " " + args);
    }

    static inline std::string s_skip;
    static inline std::string s_error;
    static inline fs::path s_deb;
    static inline std::unique_ptr<ts::test::TempDir> s_root;
};

TEST_F(Package, ControlFieldsNameTheProjectAndItsDependencies) {
    const std::string fields = commandOutput("dpkg-deb -f " + shellQuote(s_deb.string()));
    EXPECT_EQ(field(fields, "Package"), kPackage);
    const std::string version = field(fields, "Version");
    EXPECT_EQ(version.rfind(TS_PROJECT_VERSION "-", 0), 0u) << "version " << version << " is not "
                                                            << TS_PROJECT_VERSION "-<Debian revision>";
    EXPECT_EQ(s_deb.filename().string(), std::string(kPackage) + "_" + version + "_" + field(fields, "Architecture") + ".deb");
    EXPECT_EQ(field(fields, "Maintainer"), kMaintainer);
    EXPECT_EQ(field(fields, "Homepage"), kHomepage);
    EXPECT_FALSE(field(fields, "Section").empty()) << fields;
    EXPECT_NE(field(fields, "Depends").find("libtorch"), std::string::npos) << "dependencies were not computed:\n" << fields;
    for (const char* placeholder : {"example.invalid", "example.com", "example.org"})
        EXPECT_EQ(fields.find(placeholder), std::string::npos) << "placeholder " << placeholder << " in:\n" << fields;
}

TEST_F(Package, ProgramsRunFromTheUnpackedRoot) {
    const fs::path cli = usr() / "bin/tstudio";
    ASSERT_TRUE(fs::exists(cli));
    EXPECT_EQ(run(cli, "--version").rfind("tstudio " TS_PROJECT_VERSION, 0), 0u);
    EXPECT_TRUE(fs::exists(usr() / "share/transfer-studio/imagenet_categories.txt"));
#if TS_PACKAGE_HAS_GUI
    const fs::path gui = usr() / "bin/transfer-studio";
    ASSERT_TRUE(fs::exists(gui));
    EXPECT_EQ(run(gui, "--version").rfind("transfer-studio " TS_PROJECT_VERSION, 0), 0u);
#endif
}

TEST_F(Package, DocumentationHasCopyrightChangelogAndWorkingLinks) {
    // Debian's machine-readable copyright file.
    const std::string copyright = readFile(docDir() / "copyright");
    ASSERT_FALSE(copyright.empty()) << "no " << (docDir() / "copyright");
    EXPECT_EQ(copyright.rfind("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n", 0), 0u);
    EXPECT_NE(copyright.find("\nFiles: *\n"), std::string::npos);
    EXPECT_NE(copyright.find("\nLicense: "), std::string::npos);
    EXPECT_EQ(copyright.find("example.invalid"), std::string::npos);

    // The Debian changelog: compressed, its newest entry is this version.
    const fs::path changelog = docDir() / "changelog.Debian.gz";
    ASSERT_TRUE(fs::exists(changelog));
    expectReproducibleGzip(changelog);
    const std::string version = field(commandOutput("dpkg-deb -f " + shellQuote(s_deb.string())), "Version");
    const std::string text = gunzip(changelog);
    EXPECT_EQ(text.rfind(std::string(kPackage) + " (" + version + ") ", 0), 0u)
        << "the newest entry of installer/debian/changelog is not version " << version << ":\n" << text.substr(0, 200);
    EXPECT_NE(text.find(std::string(" -- ") + kMaintainer + "  "), std::string::npos) << text;

    // The README, and every relative link of every installed page resolves
    // (pages and images under docs/, bench/RESULTS.md).
    ASSERT_TRUE(fs::exists(docDir() / "README.md"));
    EXPECT_FALSE(fs::exists(usr() / "share/transfer-studio/docs")) << "documentation outside /usr/share/doc";
    const std::regex link(R"(\]\(([^)\s]+)\))");
    int checked = 0;
    for (const auto& entry : fs::recursive_directory_iterator(docDir())) {
        if (entry.path().extension() != ".md") continue;
        const std::string page = readFile(entry.path());
        for (std::sregex_iterator it(page.begin(), page.end(), link), end; it != end; ++it) {
            std::string target = (*it)[1];
            if (std::regex_search(target, std::regex("^[a-z]+:")) || target[0] == '#') continue;
            target = target.substr(0, target.find('#'));
            ++checked;
            EXPECT_TRUE(fs::exists(entry.path().parent_path() / target))
                << fs::relative(entry.path(), usr()) << " links to " << target << ", which the package does not install";
        }
    }
    EXPECT_GE(checked, 4) << "the installed README links to docs/config.md, docs/export.md, ...";
}

TEST_F(Package, ManPagesForEveryProgramAndCommand) {
    std::vector<std::string> pages;
    for (const auto& entry : fs::directory_iterator(usr() / "bin")) pages.push_back(entry.path().filename().string());
    ASSERT_FALSE(pages.empty());
    const std::string help = run(usr() / "bin/tstudio", "--help");
    const std::vector<std::string> commands = subcommands(help);
    EXPECT_GE(commands.size(), 5u) << help;
    for (const auto& command : commands) pages.push_back("tstudio-" + command);

    for (const auto& page : pages) {
        SCOPED_TRACE(page);
        const fs::path file = manDir() / (page + ".1.gz");
        ASSERT_TRUE(fs::exists(file)) << "no man page " << file;
        expectReproducibleGzip(file);
        const std::string roff = gunzip(file);
        std::string escaped = std::regex_replace(page, std::regex("-"), "\\-");
        EXPECT_NE(roff.find(".SH NAME\n" + escaped + " \\- "), std::string::npos) << roff.substr(0, 400);
        EXPECT_NE(roff.find(".SH SYNOPSIS\n"), std::string::npos);
        if (hasTool("man")) {
            // What lintian's manpage check runs: groff must not warn.
            const std::string warnings = commandOutput("{ LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z " +
                                                       shellQuote(file.string()) + " 2>&1 >/dev/null; }");
            EXPECT_EQ(warnings, "");
        }
    }

    // A subcommand's page documents each of its options, as --help lists them.
    const std::string trainHelp = run(usr() / "bin/tstudio", "train --help");
    const std::string trainPage = gunzip(manDir() / "tstudio-train.1.gz");
    const std::regex option(R"(\n  (--[a-z0-9-]+))");
    int options = 0;
    for (std::sregex_iterator it(trainHelp.begin(), trainHelp.end(), option), end; it != end; ++it, ++options)
        EXPECT_NE(trainPage.find(std::regex_replace((*it)[1].str(), std::regex("-"), "\\-")), std::string::npos)
            << (*it)[1] << " is missing from tstudio-train(1)";
    EXPECT_GE(options, 5) << trainHelp;
    // Nested commands are inside their parent's page; no build path leaks into a page.
    EXPECT_NE(gunzip(manDir() / "tstudio-weights.1.gz").find("TSTUDIO WEIGHTS DOWNLOAD"), std::string::npos);
    EXPECT_EQ(gunzip(manDir() / "tstudio.1.gz").find(TS_BINARY_DIR), std::string::npos);
#if TS_PACKAGE_HAS_GUI
    const std::string gui = gunzip(manDir() / "transfer-studio.1.gz");
    for (const char* text : {"\\-\\-demo", "\\-\\-screenshot", "tsproj"}) EXPECT_NE(gui.find(text), std::string::npos) << text;
#endif
}

TEST_F(Package, DesktopEntryOpensProjectFiles) {
    const fs::path desktop = usr() / "share/applications/transfer-studio.desktop";
    const std::string entry = readFile(desktop);
    ASSERT_FALSE(entry.empty()) << "no " << desktop;
    EXPECT_NE(entry.find("\nExec=transfer-studio %f\n"), std::string::npos) << entry;
    EXPECT_NE(entry.find("\nIcon=transfer-studio\n"), std::string::npos) << entry;
    EXPECT_TRUE(fs::exists(usr() / "share/icons/hicolor/scalable/apps/transfer-studio.svg"));
    EXPECT_TRUE(fs::exists(usr() / "share/icons/hicolor/256x256/apps/transfer-studio.png"));

    // Exactly one of the specification's main categories (else the menu lists it twice).
    std::smatch m;
    ASSERT_TRUE(std::regex_search(entry, m, std::regex("\nCategories=([^\n]*)\n"))) << entry;
    const std::set<std::string> mainCategories = {"AudioVideo", "Audio", "Video", "Development", "Education", "Game",
                                                  "Graphics", "Network", "Office", "Science", "Settings", "System", "Utility"};
    int main = 0;
    std::istringstream categories(m[1].str());
    for (std::string c; std::getline(categories, c, ';');) main += mainCategories.count(c) ? 1 : 0;
    EXPECT_EQ(main, 1) << m[1];
    EXPECT_NE(entry.find(std::string("\nMimeType=") + kMimeType + ";"), std::string::npos) << entry;

    if (hasTool("desktop-file-validate")) {
        std::string out;
        EXPECT_EQ(runCommand("desktop-file-validate " + shellQuote(desktop.string()), &out), 0) << out;
        EXPECT_EQ(out, "") << "desktop-file-validate hints";
    }

    // The MIME type the entry claims is defined, for *.tsproj, as JSON.
    const fs::path mime = usr() / "share/mime/packages/transfer-studio.xml";
    const std::string xml = readFile(mime);
    ASSERT_FALSE(xml.empty()) << "no " << mime;
    EXPECT_NE(xml.find(std::string("<mime-type type=\"") + kMimeType + "\">"), std::string::npos) << xml;
    if (!hasTool("update-mime-database")) return;
    // What the triggers of shared-mime-info and desktop-file-utils do on
    // install, in a scratch data folder that holds only the system's base
    // MIME types and the package's files.
    ts::test::TempDir xdg("ts-xdg");
    const fs::path share = fs::path(xdg.path()) / "share";
    fs::create_directories(share / "mime/packages");
    fs::copy(usr() / "share/applications", share / "applications");
    fs::copy_file(mime, share / "mime/packages/transfer-studio.xml");
    if (fs::exists("/usr/share/mime/packages/freedesktop.org.xml"))
        fs::copy_file("/usr/share/mime/packages/freedesktop.org.xml", share / "mime/packages/freedesktop.org.xml");
    std::string out;
    ASSERT_EQ(runCommand("update-mime-database " + shellQuote((share / "mime").string()), &out), 0) << out;
    EXPECT_EQ(out.find("Error"), std::string::npos) << out;
    const std::string globs = readFile(share / "mime/globs2");
    EXPECT_NE(globs.find(std::string(":") + kMimeType + ":*.tsproj\n"), std::string::npos) << globs;
    EXPECT_NE(readFile(share / "mime/subclasses").find(std::string(kMimeType) + " application/json\n"), std::string::npos);

    // A file manager (GIO's view of it) takes a *.tsproj for this type and
    // opens it with the package's desktop entry.
    if (!hasTool("update-desktop-database") || !hasTool("gio")) return;
    ASSERT_EQ(runCommand("update-desktop-database " + shellQuote((share / "applications").string()), &out), 0) << out;
    const std::string project = xdg.file("flowers.tsproj");
    std::ofstream(project) << "{\"version\": 1}\n";
    // TryExec=transfer-studio: the program must be on PATH for the entry to count.
    const std::string env = "env -i PATH=" + shellQuote((usr() / "bin").string() + ":/usr/bin:/bin") + " HOME=" + shellQuote(xdg.path()) +
                            " XDG_DATA_HOME=" + shellQuote(xdg.file("home")) + " XDG_CONFIG_HOME=" + shellQuote(xdg.file("config")) +
                            " XDG_DATA_DIRS=" + shellQuote(share.string()) + " ";
    EXPECT_NE(commandOutput(env + "gio info -a standard::content-type " + shellQuote(project))
                  .find(std::string("standard::content-type: ") + kMimeType + "\n"),
              std::string::npos);
    const std::string handlers = commandOutput(env + "gio mime " + kMimeType);
    EXPECT_NE(handlers.find(": transfer-studio.desktop\n"), std::string::npos) << "no default application:\n" << handlers;
}

#if TS_PACKAGE_HAS_GUI
TEST_F(Package, WindowHasAnIcon) {
    if (!hasTool("xvfb-run") || !hasTool("xprop") || !hasTool("xwininfo"))
        GTEST_SKIP() << "xvfb-run, xprop or xwininfo is absent (packages xvfb, x11-utils)";
    // The installed program on a virtual X display, its settings in a temp
    // folder; a window manager reads the icon from _NET_WM_ICON. The main
    // window is the titled one with a WM_CLASS (Qt's client leader window
    // has the same title and none).
    ts::test::TempDir home("ts-deb-home");
    const std::string gui = (usr() / "bin/transfer-studio").string();
    const std::string script =
        "env -u LD_LIBRARY_PATH -u QT_QPA_PLATFORM HOME=" + shellQuote(home.path()) + " XDG_CONFIG_HOME=" + shellQuote(home.file("config")) +
        " XDG_DATA_HOME=" + shellQuote(home.file("data")) + " XDG_CACHE_HOME=" + shellQuote(home.file("cache")) + " " + shellQuote(gui) +
        " & app=$!; id=; for i in $(seq 1 120); do "
        "id=$(xwininfo -root -tree | grep -i 'Transfer Studio[^\"]*\": (\"' | awk '{print $1}' | head -n1); "
        "[ -n \"$id\" ] && break; sleep 0.5; done; "
        "if [ -z \"$id\" ]; then echo 'no Transfer Studio window appeared'; xwininfo -root -tree; kill $app; exit 1; fi; "
        "sleep 1; xprop -id $id _NET_WM_ICON WM_CLASS | cut -c1-200; kill $app; wait $app; exit 0";
    std::string out;
    ASSERT_EQ(runCommand("xvfb-run -a -s '-screen 0 1280x800x24' sh -c " + shellQuote(script), &out), 0) << out;
    EXPECT_NE(out.find("_NET_WM_ICON(CARDINAL) = "), std::string::npos) << "the main window has no icon:\n" << out;
    for (const char* size : {"Icon (16 x 16)", "Icon (32 x 32)", "Icon (48 x 48)"}) EXPECT_NE(out.find(size), std::string::npos) << out;
}
#endif

TEST_F(Package, LintianFindsNoErrors) {
    if (!hasTool("lintian")) GTEST_SKIP() << "lintian is absent (apt-get install lintian)";
    std::string out;
    const int rc = runCommand("lintian --no-tag-display-limit --allow-root " + shellQuote(s_deb.string()), &out);
    EXPECT_EQ(out.find("\nE: "), std::string::npos) << out;
    EXPECT_NE(out.rfind("E: ", 0), 0u) << out;
    EXPECT_EQ(rc, 0) << out;
}

TEST_F(Package, InstallsAndRemovesInAScratchRoot) {
    if (!hasTool("dpkg")) GTEST_SKIP() << "dpkg is absent";
    // A dpkg database of its own: dpkg unpacks, configures and removes the
    // package there as it would on a system (no maintainer scripts run:
    // the package has none). --force-depends: its dependencies are not in
    // that database.
    ts::test::TempDir root("ts-dpkg-root");
    const fs::path admin = fs::path(root.path()) / "var/lib/dpkg";
    fs::create_directories(admin / "info");
    fs::create_directories(admin / "updates");
    std::ofstream(admin / "status").close();
    const std::string dpkg = "dpkg --root=" + shellQuote(root.path()) + " --log=" + shellQuote(root.file("dpkg.log")) +
                             " --force-not-root --force-depends --force-script-chrootless ";
    std::string out;
    ASSERT_EQ(runCommand(dpkg + "--install " + shellQuote(s_deb.string()), &out), 0) << out;
    EXPECT_NE(commandOutput(dpkg + "--status transfer-studio").find("Status: install ok installed"), std::string::npos);
    const std::string files = commandOutput(dpkg + "--listfiles transfer-studio");
    for (const char* path : {"/usr/bin/tstudio", "/usr/share/doc/transfer-studio/copyright",
                             "/usr/share/man/man1/tstudio.1.gz", "/usr/share/mime/packages/transfer-studio.xml"})
        EXPECT_NE(files.find(std::string(path) + "\n"), std::string::npos) << path << " not in\n" << files;
    EXPECT_EQ(run(fs::path(root.path()) / "usr/bin/tstudio", "--version").rfind("tstudio " TS_PROJECT_VERSION, 0), 0u);

    ASSERT_EQ(runCommand(dpkg + "--purge transfer-studio", &out), 0) << out;
    std::vector<std::string> left;
    if (fs::exists(fs::path(root.path()) / "usr"))
        for (const auto& entry : fs::recursive_directory_iterator(fs::path(root.path()) / "usr"))
            if (!entry.is_directory()) left.push_back(entry.path().string());
    EXPECT_TRUE(left.empty()) << left.size() << " files left after purge, e.g. " << (left.empty() ? "" : left.front());
}

} // namespace
