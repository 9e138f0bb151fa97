// `tstudio scan` on a hostile dataset folder: link loops, a FIFO, a link to
// /dev/zero, a sparse 16 GiB file and decompression bombs. Under a time limit
// and an address-space limit, the scan must finish, name what it skipped and
// why (text and --json), and report the bombs as too large.
#include "tests/core/HostileImages.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

using namespace ts;
using test::shellQuote;
namespace fs = std::filesystem;

namespace {

void writeBytes(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string png(int seed) {
    cv::Mat img(40, 40, CV_8UC3, cv::Scalar(seed * 40 % 256, 90, 200));
    cv::randu(img(cv::Rect(0, 0, 20, 20)), 0, 255);
    std::vector<uchar> buf;
    cv::imencode(".png", img, buf);
    return {buf.begin(), buf.end()};
}

} // namespace

TEST(ScanCli, HostileFolderFinishesAndReportsWhatItSkipped) {
    test::TempDir dir;
    const std::string root = dir.file("data");
    for (int i = 0; i < 3; ++i) {
        writeBytes(root + "/cats/" + std::to_string(i) + ".png", png(i));
        writeBytes(root + "/dogs/" + std::to_string(i) + ".png", png(10 + i));
    }
    fs::create_directory_symlink(".", root + "/cats/loop");
    fs::create_directory_symlink(".", root + "/cats/loop2");
    fs::create_directory_symlink("..", root + "/dogs/up");
    ASSERT_EQ(::mkfifo((root + "/cats/pipe.png").c_str(), 0600), 0);
    fs::create_symlink("/dev/zero", root + "/dogs/zero.png");
    writeBytes(root + "/dogs/huge.png", "");
    ASSERT_EQ(::truncate((root + "/dogs/huge.png").c_str(), int64_t{16} << 30), 0);
    writeBytes(root + "/cats/bomb.bmp", test::hostile::bmpRleBomb());
    writeBytes(root + "/cats/bomb.png", test::hostile::pngBomb());

    // 4 GiB of address space is plenty for a scan (LibTorch maps ~1 GiB) and
    // far from what any of the bombs would ask for.
    const std::string run = "timeout 120 prlimit --as=4294967296 " + shellQuote(test::binaryPath("tstudio")) + " scan ";
    std::string out;
    ASSERT_EQ(test::runCommand(run + shellQuote(root), &out), 0) << out;
    EXPECT_NE(out.find("The scan skipped 5 entries"), std::string::npos) << out;
    EXPECT_NE(out.find("skipped_entry"), std::string::npos) << out;
    EXPECT_NE(out.find("named pipe (FIFO)"), std::string::npos) << out;
    EXPECT_NE(out.find("too_large"), std::string::npos) << out;
    EXPECT_NE(out.find("9 files checked"), std::string::npos) << out;  // 6 images, 3 too large; nothing twice

    ASSERT_EQ(test::runCommand(run + "--json " + shellQuote(root) + " 2>/dev/null", &out), 0) << out;
    const auto j = nlohmann::json::parse(out);
    std::set<std::pair<std::string, std::string>> skipped;
    for (const auto& s : j["skipped"]) skipped.insert({s["path"].get<std::string>(), s["reason"].get<std::string>()});
    EXPECT_EQ(skipped, (std::set<std::pair<std::string, std::string>>{{root + "/cats/loop", "link_loop"},
                                                                       {root + "/cats/loop2", "link_loop"},
                                                                       {root + "/dogs/up", "link_loop"},
                                                                       {root + "/cats/pipe.png", "special_file"},
                                                                       {root + "/dogs/zero.png", "special_file"}}));
    std::set<std::string> tooLarge;
    for (const auto& p : j["problems"])
        if (p["kind"] == "too_large") tooLarge.insert(p["path"].get<std::string>());
    EXPECT_EQ(tooLarge, (std::set<std::string>{root + "/dogs/huge.png", root + "/cats/bomb.bmp", root + "/cats/bomb.png"}));
    EXPECT_EQ(j["files_checked"], 9);
}
