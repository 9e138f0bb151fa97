// The .deb installer (installer/Packaging.cmake): built with cpack in the
// build folder when missing or older than the binaries, unpacked with
// `dpkg-deb -x` into a temp root, and run from there. No LD_LIBRARY_PATH:
// every dependency is a system library named in the package's Depends.
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
using ts::test::runCommand;
using ts::test::shellQuote;

namespace {

// The newest build/transfer-studio_*.deb; empty when none.
fs::path newestPackage() {
    fs::path best;
    for (const auto& entry : fs::directory_iterator(TS_BINARY_DIR)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind("transfer-studio_", 0) != 0 || entry.path().extension() != ".deb") continue;
        if (best.empty() || fs::last_write_time(entry.path()) > fs::last_write_time(best)) best = entry.path();
    }
    return best;
}

std::string readFile(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST(Package, DebUnpacksAndRuns) {
    if (runCommand("command -v dpkg-deb >/dev/null 2>&1") != 0) GTEST_SKIP() << "dpkg-deb is absent (not Debian)";
    const fs::path tstudio = ts::test::binaryPath("tstudio");
    fs::path deb = newestPackage();
    if (deb.empty() || fs::last_write_time(deb) < fs::last_write_time(tstudio)) {
        std::string out;
        const int rc = runCommand("cd " + shellQuote(TS_BINARY_DIR) + " && " + shellQuote(TS_CPACK_COMMAND) + " -G DEB", &out);
        ASSERT_EQ(rc, 0) << "cpack failed:\n" << out;
        deb = newestPackage();
    }
    ASSERT_FALSE(deb.empty()) << "no transfer-studio_*.deb in " << TS_BINARY_DIR;
    EXPECT_EQ(deb.filename().string().find("transfer-studio_" TS_PROJECT_VERSION "_"), 0u) << deb;

    std::string fields;
    ASSERT_EQ(runCommand("dpkg-deb -f " + shellQuote(deb.string()) + " Package Version Depends Section", &fields), 0);
    EXPECT_NE(fields.find("Package: transfer-studio"), std::string::npos) << fields;
    EXPECT_NE(fields.find("Version: " TS_PROJECT_VERSION), std::string::npos) << fields;
    EXPECT_NE(fields.find("Depends: "), std::string::npos) << "dependencies were not computed:\n" << fields;
    EXPECT_NE(fields.find("libtorch"), std::string::npos) << fields;

    ts::test::TempDir root("ts-deb");
    std::string out;
    ASSERT_EQ(runCommand("dpkg-deb -x " + shellQuote(deb.string()) + " " + shellQuote(root.path()), &out), 0) << out;
    const fs::path usr = fs::path(root.path()) / "usr";

    const fs::path cli = usr / "bin" / "tstudio";
    ASSERT_TRUE(fs::exists(cli));
    ASSERT_EQ(runCommand("env -u LD_LIBRARY_PATH " + shellQuote(cli.string()) + " --version", &out), 0) << out;
    EXPECT_EQ(out.rfind("tstudio " TS_PROJECT_VERSION, 0), 0u) << out;

    const fs::path desktop = usr / "share" / "applications" / "transfer-studio.desktop";
    ASSERT_TRUE(fs::exists(desktop));
    const std::string entry = readFile(desktop);
    EXPECT_NE(entry.find("Exec=transfer-studio"), std::string::npos);
    EXPECT_NE(entry.find("Icon=transfer-studio"), std::string::npos);
    EXPECT_TRUE(fs::exists(usr / "share/icons/hicolor/scalable/apps/transfer-studio.svg"));
    EXPECT_TRUE(fs::exists(usr / "share/icons/hicolor/256x256/apps/transfer-studio.png"));
    EXPECT_TRUE(fs::exists(usr / "share/transfer-studio/imagenet_categories.txt"));

#if TS_PACKAGE_HAS_GUI
    const fs::path gui = usr / "bin" / "transfer-studio";
    ASSERT_TRUE(fs::exists(gui));
    ASSERT_EQ(runCommand("env -u LD_LIBRARY_PATH -u DISPLAY " + shellQuote(gui.string()) + " --version", &out), 0) << out;
    EXPECT_EQ(out.rfind("transfer-studio " TS_PROJECT_VERSION, 0), 0u) << out;
#endif
}
