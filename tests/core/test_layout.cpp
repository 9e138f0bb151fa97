// The code-layout rules of README.md ("Layout of the sources"), checked on the
// source tree itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

namespace fs = std::filesystem;

namespace {

std::vector<std::string> filesIncluding(const fs::path& root, const std::regex& pattern) {
    std::vector<std::string> hits;
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        const auto ext = entry.path().extension().string();
        if (ext != ".h" && ext != ".cpp" && ext != ".hpp") continue;
        std::ifstream in(entry.path());
        std::string line;
        int n = 0;
        while (std::getline(in, line)) {
            ++n;
            if (std::regex_search(line, pattern)) hits.push_back(entry.path().string() + ":" + std::to_string(n) + ": " + line);
        }
    }
    return hits;
}

} // namespace

TEST(Layout, CoreNeverIncludesQt) {
    const std::regex qtInclude(R"(^\s*#\s*include\s*[<"](Q[A-Z]\w*|Qt\w*/|qcustomplot))");
    const auto hits = filesIncluding(fs::path(TS_SOURCE_DIR) / "core", qtInclude);
    for (const auto& h : hits) ADD_FAILURE() << "Qt include under core/: " << h;
    EXPECT_TRUE(hits.empty());
}

TEST(Layout, CoreDoesNotLinkQt) {
    // The link line of ts_core's consumers (this test links only ts_core)
    // is recorded by CMake; Qt must not appear in it.
    const fs::path cache = fs::path(TS_BINARY_DIR) / "CMakeCache.txt";
    ASSERT_TRUE(fs::exists(cache));
    std::ifstream in(cache);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("ts_core_LIB_DEPENDS", 0) == 0) EXPECT_EQ(line.find("Qt"), std::string::npos) << line;
    }
}

TEST(Layout, UiHeadersDoNotIncludeLibTorch) {
    const fs::path ui = fs::path(TS_SOURCE_DIR) / "ui";
    if (!fs::exists(ui)) GTEST_SKIP() << "no ui/ folder";
    const std::regex torchInclude(R"(^\s*#\s*include\s*[<"](torch/|ATen/|c10/))");
    for (const auto& entry : fs::recursive_directory_iterator(ui)) {
        if (entry.path().extension() != ".h") continue;
        std::ifstream in(entry.path());
        std::string line;
        while (std::getline(in, line))
            EXPECT_FALSE(std::regex_search(line, torchInclude)) << entry.path() << ": " << line;
    }
}

TEST(Layout, CoreNeverPrints) {
    const std::regex printing(R"((std::cout|std::cerr|\bprintf\s*\(|\bputs\s*\())");
    const auto hits = filesIncluding(fs::path(TS_SOURCE_DIR) / "core", printing);
    for (const auto& h : hits) ADD_FAILURE() << "core/ prints: " << h;
}
