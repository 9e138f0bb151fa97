// The code-layout rules of README.md ("Layout of the sources"), checked on the
// source tree itself.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
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

std::string readFile(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// Which LibTorch or OpenCV header a source file pulls in, directly or
// through the project's own headers ("core/...", "ui/..." resolved from the
// source root); empty when none. The chain is in the answer ("a.h -> b.h -> <ATen/Tensor.h>").
class HeavyIncludes {
public:
    explicit HeavyIncludes(fs::path root) : m_root(std::move(root)) {}

    std::string of(const std::string& relative) {
        if (const auto it = m_memo.find(relative); it != m_memo.end()) return it->second;
        m_memo[relative] = {};  // an include cycle ends here
        static const std::regex include(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
        static const std::regex heavy(R"(^(torch/|ATen/|c10/|opencv2/|torch\.h$))");
        std::string answer;
        std::istringstream lines(readFile(m_root / relative));
        std::string line;
        std::smatch m;
        while (answer.empty() && std::getline(lines, line)) {
            if (!std::regex_search(line, m, include)) continue;
            const std::string name = m[2];
            if (std::regex_search(name, heavy)) answer = "<" + name + ">";
            else if (m[1] == "\"" && fs::exists(m_root / name)) {
                const std::string chain = of(name);
                if (!chain.empty()) answer = name + " -> " + chain;
            }
        }
        return m_memo[relative] = answer;
    }

private:
    fs::path m_root;
    std::map<std::string, std::string> m_memo;
};

// The files of ts_ui_bridges as ui/CMakeLists.txt lists them: the models
// named in TS_UI_BRIDGE_MODELS (.h and .cpp) and everything in ui/workers.
std::set<std::string> bridgeLibraryFiles(const fs::path& root) {
    const std::string cmake = readFile(root / "ui" / "CMakeLists.txt");
    std::smatch m;
    const std::regex list(R"(set\(TS_UI_BRIDGE_MODELS([^)]*)\))");
    std::set<std::string> files;
    if (!std::regex_search(cmake, m, list)) return files;
    std::istringstream names(m[1].str());
    std::string name;
    while (names >> name)
        for (const char* ext : {".h", ".cpp"}) files.insert("ui/models/" + name + ext);
    for (const auto& entry : fs::directory_iterator(root / "ui" / "workers"))
        files.insert("ui/workers/" + entry.path().filename().string());
    return files;
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

// The ui/LibTorch boundary is held by the build (ui/CMakeLists.txt): only
// ts_ui_bridges sees LibTorch and OpenCV. No file of ts_ui (ui/main,
// ui/pages, ui/widgets, the Qt-side models) includes a header that pulls
// either, and the ui/ files that do are all in ts_ui_bridges.
TEST(Layout, OnlyTheBridgeLibraryPullsLibTorch) {
    const fs::path root = TS_SOURCE_DIR;
    if (!fs::exists(root / "ui")) GTEST_SKIP() << "no ui/ folder";
    const std::set<std::string> bridges = bridgeLibraryFiles(root);
    ASSERT_FALSE(bridges.empty()) << "ui/CMakeLists.txt lists no TS_UI_BRIDGE_MODELS";
    for (const std::string& file : bridges) EXPECT_TRUE(fs::exists(root / file)) << file << " is listed but missing";
    HeavyIncludes heavy(root);
    int pulling = 0;
    for (const auto& entry : fs::recursive_directory_iterator(root / "ui")) {
        const auto ext = entry.path().extension().string();
        if (!entry.is_regular_file() || (ext != ".h" && ext != ".cpp")) continue;
        const std::string file = fs::relative(entry.path(), root).generic_string();
        const std::string chain = heavy.of(file);
        if (chain.empty()) continue;
        ++pulling;
        EXPECT_TRUE(bridges.count(file)) << file << " pulls LibTorch/OpenCV (" << chain
                                         << ") but is not in ts_ui_bridges: move the code into a bridge "
                                            "(ui/models/*Bridge*) or a job body (ui/workers)";
    }
    EXPECT_GT(pulling, 0) << "no ui/ file pulls LibTorch: the check reads nothing";
    // The Qt side is built without the LibTorch precompiled header.
    const std::string cmake = readFile(root / "ui" / "CMakeLists.txt");
    EXPECT_EQ(cmake.find("ts_reuse_core_pch"), std::string::npos);
    EXPECT_EQ(cmake.find("REUSE_FROM"), std::string::npos);
    EXPECT_NE(cmake.find("PRIVATE ts_core ts_viz ts_export"), std::string::npos)
        << "ts_ui_bridges links core privately";
}

// The check itself: a page that includes a core header which pulls LibTorch
// through another one is found, with the chain.
TEST(Layout, HeavyIncludesFollowsProjectHeaders) {
    const fs::path root = fs::temp_directory_path() / ("ts_layout_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
    fs::create_directories(root / "core" / "zoo");
    fs::create_directories(root / "ui" / "pages");
    std::ofstream(root / "core" / "zoo" / "Deep.h") << "#pragma once\n#include <ATen/Tensor.h>\n";
    std::ofstream(root / "core" / "zoo" / "Mid.h") << "#pragma once\n#include \"core/zoo/Deep.h\"\n";
    std::ofstream(root / "core" / "zoo" / "Light.h") << "#pragma once\n#include <string>\n#include \"core/zoo/Light.h\"\n";
    std::ofstream(root / "ui" / "pages" / "Page.cpp") << "#include \"core/zoo/Light.h\"\n  #  include \"core/zoo/Mid.h\"\n";
    std::ofstream(root / "ui" / "pages" / "Clean.cpp") << "#include \"core/zoo/Light.h\"\n#include <QWidget>\n";
    HeavyIncludes heavy(root);
    EXPECT_EQ(heavy.of("ui/pages/Page.cpp"), "core/zoo/Mid.h -> core/zoo/Deep.h -> <ATen/Tensor.h>");
    EXPECT_EQ(heavy.of("ui/pages/Clean.cpp"), "");
    fs::remove_all(root);
}

TEST(Layout, CoreNeverPrints) {
    const std::regex printing(R"((std::cout|std::cerr|\bprintf\s*\(|\bputs\s*\())");
    const auto hits = filesIncluding(fs::path(TS_SOURCE_DIR) / "core", printing);
    for (const auto& h : hits) ADD_FAILURE() << "core/ prints: " << h;
}
