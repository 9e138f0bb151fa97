// The dataset doctor on a corpus of bad inputs built here, and the loader on
// the same corpus (it must skip exactly the files the doctor calls bad).
#include "core/common/Error.h"
#include "core/common/Feedback.h"
#include "core/data/Augment.h"
#include "core/data/Dataset.h"
#include "core/data/Doctor.h"
#include "core/data/ImageHeader.h"
#include "core/data/ImageIO.h"
#include "core/data/Loader.h"
#include "tests/core/HostileImages.h"
#include "tests/support/TestSupport.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

using namespace ts;
namespace fs = std::filesystem;

namespace {

const char kPython[] = "/usr/bin/python3";

void writeBytes(const std::string& path, const std::string& bytes) {
    fs::create_directories(fs::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A distinct photo-like BGR image per seed.
cv::Mat picture(int width, int height, unsigned seed) {
    cv::Mat img(height, width, CV_8UC3, cv::Scalar(seed * 37 % 256, seed * 91 % 256, seed * 53 % 256));
    cv::Mat noise(height, width, CV_8UC3);
    cv::RNG rng(seed + 1);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 60);
    img += noise;
    cv::circle(img, {width / 2, height / 2}, std::min(width, height) / 3, cv::Scalar(255, 255, 255), 2);
    return img;
}

std::string encode(const std::string& ext, const cv::Mat& img) {
    std::vector<uchar> buf;
    EXPECT_TRUE(cv::imencode(ext, img, buf));
    return {buf.begin(), buf.end()};
}

bool havePil() { return test::runCommand(std::string(kPython) + " -c 'import PIL' 2>/dev/null") == 0; }

// 1x1 GIF89a.
const std::string kGif("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,"
                       "\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
                       43);

// A dataset with every kind of trouble the doctor knows, in train/val layout.
struct Corpus {
    test::TempDir dir{"ts-doctor"};
    bool pil = false;
    std::string train(const std::string& rel) const { return dir.path() + "/train/" + rel; }
    std::string val(const std::string& rel) const { return dir.path() + "/val/" + rel; }

    Corpus() {
        unsigned seed = 0;
        for (int i = 0; i < 6; ++i) writeBytes(train("cats/good_" + std::to_string(i) + ".jpg"), encode(".jpg", picture(64, 48, ++seed)));
        for (int i = 0; i < 6; ++i) writeBytes(train("dogs/good_" + std::to_string(i) + ".png"), encode(".png", picture(50, 40, ++seed)));
        for (int i = 0; i < 3; ++i) writeBytes(val("cats/v_" + std::to_string(i) + ".jpg"), encode(".jpg", picture(64, 48, ++seed)));
        for (int i = 0; i < 3; ++i) writeBytes(val("dogs/v_" + std::to_string(i) + ".jpg"), encode(".jpg", picture(64, 48, ++seed)));

        // Unusable files.
        std::string jpeg = encode(".jpg", picture(200, 150, ++seed));
        writeBytes(train("cats/truncated.jpg"), jpeg.substr(0, jpeg.size() * 6 / 10));
        std::string corrupt = jpeg;
        const size_t sof = corrupt.find("\xFF\xC0");
        corrupt[sof + 5] = 0;  // frame height 0: the decoder refuses it
        corrupt[sof + 6] = 0;
        writeBytes(train("cats/corrupt.jpg"), corrupt);
        writeBytes(train("cats/empty.jpg"), "");
        writeBytes(train("cats/renamed.jpg"), "These are my notes, not a picture.\n");
        writeBytes(train("cats/anim.gif"), kGif);
        writeBytes(train("dogs/notes.txt"), "a text file in a class folder\n");

        // Usable but special.
        cv::Mat grey(40, 40, CV_8UC1);
        cv::randu(grey, 0, 255);
        writeBytes(train("dogs/grey.png"), encode(".png", grey));
        cv::Mat rgba(40, 40, CV_8UC4, cv::Scalar(10, 200, 30, 128));
        writeBytes(train("dogs/rgba.png"), encode(".png", rgba));
        cv::Mat deep;
        picture(40, 40, ++seed).convertTo(deep, CV_16UC3, 257.0);
        writeBytes(train("dogs/deep16.png"), encode(".png", deep));
        writeBytes(train("dogs/tiny.png"), encode(".png", picture(16, 16, ++seed)));
        writeBytes(train("cats/my café photo.jpg"), encode(".jpg", picture(64, 48, ++seed)));
        writeBytes(train("cats/zz_copy.jpg"), readBytes(train("cats/good_1.jpg")));      // duplicate in train
        writeBytes(val("dogs/leak.png"), readBytes(train("dogs/good_2.png")));           // train/val leakage
        fs::create_directories(train("empty_class"));

        pil = havePil();
        if (pil) {
            const std::string script =
                "import sys\n"
                "from PIL import Image\n"
                "d = sys.argv[1]\n"
                "Image.new('CMYK', (48, 40), (0, 255, 255, 0)).save(d + '/cats/cmyk.jpg')\n"
                "im = Image.new('RGB', (80, 40), (0, 0, 255))\n"
                "im.paste((255, 0, 0), (0, 0, 40, 40))\n"
                "ex = Image.Exif()\n"
                "ex[0x0112] = 6\n"
                "im.save(d + '/cats/rotated.jpg', quality=95, exif=ex.tobytes())\n";
            writeBytes(dir.file("make.py"), script);
            std::string log;
            EXPECT_EQ(test::runCommand(std::string(kPython) + " " + test::shellQuote(dir.file("make.py")) + " " +
                                           test::shellQuote(dir.path() + "/train"),
                                       &log),
                      0)
                << log;
            fs::remove(dir.file("make.py"));
        }
    }
};

using KindPath = std::pair<std::string, std::string>;

std::set<KindPath> problemsAtLeast(const data::DoctorReport& r, data::Severity s) {
    std::set<KindPath> out;
    for (const auto& p : r.problems)
        if (p.severity == s) out.insert({data::toString(p.kind), p.path});
    return out;
}

} // namespace

TEST(Doctor, HeaderInspection) {
    const std::string jpeg = encode(".jpg", picture(30, 20, 1));
    auto h = data::inspectImageHeader(jpeg);
    EXPECT_EQ(h.format, "jpeg");
    EXPECT_EQ(h.width, 30);
    EXPECT_EQ(h.height, 20);
    EXPECT_EQ(h.channels, 3);
    EXPECT_EQ(h.bitDepth, 8);
    EXPECT_FALSE(h.truncated);
    EXPECT_FALSE(data::inspectImageHeader(jpeg + "trailing bytes").truncated);
    EXPECT_TRUE(data::inspectImageHeader(jpeg.substr(0, jpeg.size() - 2)).truncated);
    EXPECT_TRUE(data::inspectImageHeader(jpeg.substr(0, 20)).truncated);

    cv::Mat grey16(7, 9, CV_16UC1, cv::Scalar(1000));
    const std::string png = encode(".png", grey16);
    h = data::inspectImageHeader(png);
    EXPECT_EQ(h.format, "png");
    EXPECT_EQ(h.width, 9);
    EXPECT_EQ(h.height, 7);
    EXPECT_EQ(h.channels, 1);
    EXPECT_EQ(h.bitDepth, 16);
    EXPECT_FALSE(h.truncated);
    EXPECT_TRUE(data::inspectImageHeader(png.substr(0, png.size() - 12)).truncated);
    EXPECT_EQ(data::inspectImageHeader("hello").format, "");
}

TEST(Doctor, ReportsEveryProblemOfTheCorpus) {
    Corpus c;
    const auto index = data::indexDataset(c.dir.path());
    ASSERT_EQ(index.splitSource, data::SplitSource::Folders);
    ASSERT_EQ(index.classes, (std::vector<std::string>{"cats", "dogs", "empty_class"}));

    const auto report = data::diagnose(index);

    const std::set<KindPath> errors{
        {"truncated", c.train("cats/truncated.jpg")},      {"corrupt", c.train("cats/corrupt.jpg")},
        {"empty_file", c.train("cats/empty.jpg")},         {"not_an_image", c.train("cats/renamed.jpg")},
        {"unsupported_format", c.train("cats/anim.gif")},  {"empty_class", c.train("empty_class")},
    };
    EXPECT_EQ(problemsAtLeast(report, data::Severity::Error), errors);
    const std::set<KindPath> warnings{
        {"not_an_image", c.train("dogs/notes.txt")},
        {"duplicate", c.train("cats/zz_copy.jpg")},
        {"leakage", c.val("dogs/leak.png")},
        {"tiny_image", c.train("dogs/tiny.png")},
        {"empty_class", c.val("empty_class")},
    };
    EXPECT_EQ(problemsAtLeast(report, data::Severity::Warning), warnings);
    std::set<KindPath> infos{
        {"converted", c.train("dogs/grey.png")},
        {"converted", c.train("dogs/rgba.png")},
        {"converted", c.train("dogs/deep16.png")},
    };
    if (c.pil) {
        infos.insert({"converted", c.train("cats/cmyk.jpg")});
        infos.insert({"rotated", c.train("cats/rotated.jpg")});
    }
    EXPECT_EQ(problemsAtLeast(report, data::Severity::Info), infos);

    // Details that matter to users.
    const auto dup = report.problemsOf(data::ProblemKind::Duplicate);
    ASSERT_EQ(dup.size(), 1u);
    EXPECT_EQ(dup[0].otherPath, c.train("cats/good_1.jpg"));
    const auto leak = report.problemsOf(data::ProblemKind::Leakage);
    ASSERT_EQ(leak.size(), 1u);
    EXPECT_EQ(leak[0].otherPath, c.train("dogs/good_2.png"));
    EXPECT_EQ(leak[0].split, "val");
    for (const auto& p : report.problems) {
        EXPECT_NE(p.message.find(fs::path(p.path).filename().string()), std::string::npos) << p.message;
        EXPECT_NE(p.path, c.train("cats/my café photo.jpg")) << p.message;  // spaces and UTF-8 are fine
    }
    const std::set<std::string> bad{c.train("cats/truncated.jpg"), c.train("cats/corrupt.jpg"), c.train("cats/empty.jpg"),
                                    c.train("cats/renamed.jpg"), c.train("cats/anim.gif")};
    const auto badFiles = report.badFiles();
    EXPECT_EQ(std::set<std::string>(badFiles.begin(), badFiles.end()), bad);

    // Counts and summaries.
    ASSERT_EQ(report.splits.size(), 2u);
    const int listedCats = c.pil ? 15 : 13;
    EXPECT_EQ(report.splits[0].listed, (std::vector<int64_t>{listedCats, 10, 0}));
    EXPECT_EQ(report.splits[0].usable, (std::vector<int64_t>{listedCats - 5, 10, 0}));
    EXPECT_EQ(report.splits[1].listed, (std::vector<int64_t>{3, 4, 0}));
    EXPECT_EQ(report.channels.grey, 1);
    EXPECT_EQ(report.channels.alpha, 1);
    EXPECT_EQ(report.channels.sixteenBit, 1);
    EXPECT_EQ(report.channels.cmyk, c.pil ? 1 : 0);
    EXPECT_EQ(report.width.min, 16);
    EXPECT_EQ(report.width.max, 64);
    EXPECT_EQ(report.height.min, 16);
    const double n = listedCats - 5 + 10;
    EXPECT_NEAR(report.classWeights[0], n / (3.0 * (listedCats - 5)), 1e-9);
    EXPECT_NEAR(report.classWeights[1], n / 30.0, 1e-9);
    EXPECT_EQ(report.classWeights[2], 0.0);
    EXPECT_TRUE(report.hasErrors());

    const nlohmann::json j = data::toJson(report);
    EXPECT_EQ(j["summary"]["errors"].get<size_t>(), errors.size());
    EXPECT_EQ(j["bad_files"].size(), bad.size());
    EXPECT_EQ(j["classes"][2], "empty_class");
    EXPECT_EQ(j["channels"]["grey"], 1);
    bool sawLeak = false;
    for (const auto& p : j["problems"])
        if (p["kind"] == "leakage") sawLeak = p["other_path"] == c.train("dogs/good_2.png");
    EXPECT_TRUE(sawLeak);

    // The loader, given the same files, skips exactly the bad ones and never throws.
    data::EvalTransform t;
    t.resizeSize = 32;
    t.cropSize = 32;
    data::LoaderOptions lo;
    lo.batchSize = 4;
    lo.workers = 2;
    data::Loader loader(index.train, data::makeEvalTransform(t), lo);
    loader.startEpoch(0);
    std::set<std::string> delivered;
    while (auto batch = loader.next()) {
        EXPECT_EQ(batch->images.size(1), 3);
        EXPECT_EQ(batch->images.size(2), 32);
        for (int64_t i : batch->indices) delivered.insert(index.train[static_cast<size_t>(i)].path);
    }
    std::set<std::string> skipped;
    for (const auto& s : loader.skipped()) {
        skipped.insert(s.path);
        EXPECT_NE(s.reason.find(fs::path(s.path).filename().string()), std::string::npos) << s.reason;
    }
    EXPECT_EQ(skipped, bad);
    EXPECT_EQ(delivered.size(), index.train.size() - bad.size());
    EXPECT_EQ(delivered.count(c.train("cats/my café photo.jpg")), 1u);
    // Excluding the doctor's bad files up front leaves nothing to skip.
    data::Loader clean(data::withoutBadFiles(index.train, report), data::makeEvalTransform(t), lo);
    while (clean.next()) {
    }
    EXPECT_TRUE(clean.skipped().empty());
}

TEST(Doctor, ExifOrientationIsApplied) {
    if (!havePil()) GTEST_SKIP() << "/usr/bin/python3 with PIL is absent: skipped";
    Corpus c;
    // Stored 80x40, left half red; orientation 6 = rotate 90 degrees clockwise to display.
    const cv::Mat rgb = data::loadImageRgb(c.train("cats/rotated.jpg"));
    ASSERT_EQ(rgb.cols, 40);
    ASSERT_EQ(rgb.rows, 80);
    const cv::Vec3b top = rgb.at<cv::Vec3b>(20, 20), bottom = rgb.at<cv::Vec3b>(60, 20);
    EXPECT_GT(top[0], 200);  // red on top
    EXPECT_LT(top[2], 60);
    EXPECT_GT(bottom[2], 200);  // blue below
    EXPECT_LT(bottom[0], 60);

    const cv::Mat cmyk = data::loadImageRgb(c.train("cats/cmyk.jpg"));
    EXPECT_EQ(cmyk.type(), CV_8UC3);
    EXPECT_EQ(cmyk.cols, 48);
    EXPECT_EQ(cmyk.rows, 40);
}

TEST(Doctor, SingleClassAndImbalance) {
    test::TempDir dir;
    unsigned seed = 100;
    for (int i = 0; i < 40; ++i) writeBytes(dir.file("many/" + std::to_string(i) + ".png"), encode(".png", picture(40, 40, ++seed)));
    for (int i = 0; i < 5; ++i) writeBytes(dir.file("few/" + std::to_string(i) + ".png"), encode(".png", picture(40, 40, ++seed)));
    auto report = data::diagnose(data::indexDataset(dir.path()));
    ASSERT_EQ(report.problemsOf(data::ProblemKind::Imbalance).size(), 1u) << data::toJson(report).dump(1);
    EXPECT_EQ(report.count(data::Severity::Error), 0u);
    // classes: few (4 train), many (32 train); N = 36
    EXPECT_NEAR(report.classWeights[0], 36.0 / (2 * 4), 1e-9);
    EXPECT_NEAR(report.classWeights[1], 36.0 / (2 * 32), 1e-9);
    data::DoctorOptions lenient;
    lenient.imbalanceRatio = 10;
    EXPECT_TRUE(data::diagnose(data::indexDataset(dir.path()), lenient).problemsOf(data::ProblemKind::Imbalance).empty());

    // Make every image of 'few' unusable: one class left.
    for (int i = 0; i < 5; ++i) writeBytes(dir.file("few/" + std::to_string(i) + ".png"), "");
    report = data::diagnose(data::indexDataset(dir.path()));
    const auto single = report.problemsOf(data::ProblemKind::SingleClass);
    ASSERT_EQ(single.size(), 1u);
    EXPECT_EQ(single[0].severity, data::Severity::Error);
    const auto empty = report.problemsOf(data::ProblemKind::EmptyClass);
    ASSERT_EQ(empty.size(), 1u);
    EXPECT_EQ(empty[0].path, report.root + "/few");
}

TEST(Doctor, CancelAndProgress) {
    test::TempDir dir;
    for (int i = 0; i < 20; ++i) writeBytes(dir.file(std::string(i % 2 ? "a/" : "b/") + std::to_string(i) + ".png"), encode(".png", picture(40, 40, i)));
    const auto index = data::indexDataset(dir.path());
    Feedback feedback;
    double last = -1;
    feedback.setProgressCallback([&](double f, const std::string&) {
        EXPECT_GE(f, last);
        last = f;
    }, 0);
    data::diagnose(index, {}, &feedback);
    EXPECT_EQ(last, 1.0);
    Feedback cancelled;
    cancelled.cancel();
    EXPECT_THROW(data::diagnose(index, {}, &cancelled), Cancelled);
}

// ---- Hostile files: formats, bombs, special files -----------------------------

namespace {

// Peak resident memory of this process so far, in MiB.
double peakRssMiB() {
    struct rusage u {};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_maxrss) / 1024.0;
}

std::set<std::string> pathsOf(const std::vector<data::Problem>& problems) {
    std::set<std::string> out;
    for (const auto& p : problems) out.insert(p.path);
    return out;
}

} // namespace

TEST(Doctor, HeadersAgreeWithTheDecoderForEveryFormat) {
    cv::Mat colour = picture(37, 23, 5), grey, rgba, deep, deepGrey;
    cv::cvtColor(colour, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(colour, rgba, cv::COLOR_BGR2BGRA);
    colour.convertTo(deep, CV_16UC3, 257.0);
    grey.convertTo(deepGrey, CV_16UC1, 257.0);
    struct Case {
        std::string ext;
        cv::Mat img;
        std::vector<int> params;
    };
    const std::vector<Case> cases{
        {".bmp", colour, {}},  {".bmp", grey, {}},     {".bmp", rgba, {}},      {".jpg", grey, {}},
        {".png", rgba, {}},    {".tiff", colour, {}},  {".tiff", grey, {}},     {".tiff", rgba, {}},
        {".tiff", deep, {}},   {".webp", colour, {}},  {".webp", rgba, {cv::IMWRITE_WEBP_QUALITY, 101}},
        {".webp", colour, {cv::IMWRITE_WEBP_QUALITY, 101}}, {".ppm", colour, {}}, {".pgm", grey, {}},
        {".pgm", deepGrey, {}}, {".pbm", grey, {}},   {".ppm", colour, {cv::IMWRITE_PXM_BINARY, 0}},
    };
    for (const auto& c : cases) {
        std::vector<uchar> buf;
        ASSERT_TRUE(cv::imencode(c.ext, c.img, buf, c.params)) << c.ext;
        const std::string bytes(buf.begin(), buf.end());
        const auto h = data::inspectImageHeader(bytes);
        const cv::Mat raw = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
        ASSERT_FALSE(raw.empty()) << c.ext;
        const std::string what = c.ext + " with " + std::to_string(c.img.channels()) + " channel(s)";
        EXPECT_FALSE(h.format.empty()) << what;
        EXPECT_EQ(h.width, raw.cols) << what;
        EXPECT_EQ(h.height, raw.rows) << what;
        EXPECT_EQ(h.channels, raw.channels()) << what;
        EXPECT_EQ(h.bitDepth, raw.depth() == CV_16U ? 16 : 8) << what;
        EXPECT_FALSE(h.truncated) << what;
        EXPECT_EQ(data::decodeImageRgb(bytes, "x" + c.ext).size(), cv::Size(37, 23)) << what;
    }
    // A header that states no size is refused, not guessed.
    EXPECT_FALSE(data::inspectImageHeader("BM" + std::string(40, '\0')).sizeKnown());
    EXPECT_FALSE(data::inspectImageHeader("P6\n# only a comment\n").sizeKnown());
    EXPECT_FALSE(data::inspectImageHeader(std::string("II*\0\xff\xff\xff\x7f", 8)).sizeKnown());
    try {
        data::decodeImageRgb(std::string("II*\0\x08\0\0\0\0\0", 10), "nosize.tif");
        FAIL() << "no error";
    } catch (const DataError& e) {
        EXPECT_NE(std::string(e.what()).find("'nosize.tif'"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("does not state the image size"), std::string::npos) << e.what();
    }
}

TEST(Doctor, BombsAndHugeFilesAreRefusedBeforeDecoding) {
    test::TempDir dir{"ts-bombs"};
    auto train = [&](const std::string& rel) { return dir.path() + "/train/" + rel; };
    unsigned seed = 500;
    for (int i = 0; i < 3; ++i) writeBytes(train("cats/good_" + std::to_string(i) + ".png"), encode(".png", picture(40, 40, ++seed)));
    for (int i = 0; i < 3; ++i) writeBytes(train("dogs/good_" + std::to_string(i) + ".jpg"), encode(".jpg", picture(40, 40, ++seed)));
    writeBytes(dir.path() + "/val/cats/v.png", encode(".png", picture(40, 40, ++seed)));
    writeBytes(dir.path() + "/val/dogs/v.png", encode(".png", picture(40, 40, ++seed)));
    namespace h = test::hostile;
    const std::map<std::string, std::string> bombs{
        {train("cats/rle_bomb.bmp"), h::bmpRleBomb()},
        {train("cats/ihdr_bomb.png"), h::pngBomb()},
        {train("cats/sof_bomb.jpg"), h::jpegBomb()},
        {train("dogs/ifd_bomb.tif"), h::tiffBomb(20000, 20000)},
        {train("dogs/wide_samples.tif"), h::tiffBomb(8000, 8000, 64, 4)},  // 64 Mpx but 2 GB of doubles
        {train("dogs/tile_bomb.tif"), h::tiffBomb(64, 64, 8, 4, 16000)},  // one 16000x16000 tile: 1 GB buffer
        {train("dogs/canvas_bomb.webp"), h::webpBomb()},
        {train("dogs/header_bomb.ppm"), h::ppmBomb()},
    };
    for (const auto& [path, bytes] : bombs) writeBytes(path, bytes);
    EXPECT_EQ(bombs.at(train("cats/rle_bomb.bmp")).size(), 1400u);
    // 16 GiB, sparse: nothing on disk, but reading it would need 16 GiB.
    const std::string huge = train("cats/huge.jpg");
    writeBytes(huge, "");
    ASSERT_EQ(::truncate(huge.c_str(), int64_t{16} << 30), 0) << std::strerror(errno);

    const auto index = data::indexDataset(dir.path());
    const auto report = data::diagnose(index);
    std::set<std::string> expected{huge};
    for (const auto& [path, bytes] : bombs) expected.insert(path);
    const auto tooLarge = report.problemsOf(data::ProblemKind::TooLarge);
    EXPECT_EQ(pathsOf(tooLarge), expected) << data::toJson(report).dump(1);
    for (const auto& p : tooLarge) {
        EXPECT_EQ(p.severity, data::Severity::Error);
        EXPECT_NE(p.message.find("'" + p.path + "'"), std::string::npos) << p.message;
        if (p.path == huge) EXPECT_NE(p.message.find("16.0 GiB"), std::string::npos) << p.message;
        else if (p.path.find("wide_samples") != std::string::npos)
            EXPECT_NE(p.message.find("64-bit samples"), std::string::npos) << p.message;
        else if (p.path.find("tile_bomb") != std::string::npos)
            EXPECT_NE(p.message.find("of memory"), std::string::npos) << p.message;
        else EXPECT_NE(p.message.find("megapixels"), std::string::npos) << p.message;
    }
    const auto png = std::find_if(tooLarge.begin(), tooLarge.end(),
                                  [&](const data::Problem& p) { return p.path == train("cats/ihdr_bomb.png"); });
    ASSERT_NE(png, tooLarge.end());
    EXPECT_NE(png->message.find("32767x32767 pixels (1074 megapixels), more than the limit of 100 megapixels"),
              std::string::npos)
        << png->message;
    EXPECT_EQ(report.count(data::Severity::Error), expected.size()) << data::toJson(report).dump(1);
    const auto bad = report.badFiles();
    EXPECT_EQ(std::set<std::string>(bad.begin(), bad.end()), expected);

    // The loader skips the same files, with the same reasons.
    data::EvalTransform t;
    t.resizeSize = 32;
    t.cropSize = 32;
    data::LoaderOptions lo;
    lo.batchSize = 4;
    data::Loader loader(index.train, data::makeEvalTransform(t), lo);
    size_t delivered = 0;
    while (auto batch = loader.next()) delivered += batch->indices.size();
    EXPECT_EQ(delivered, 6u);
    std::set<std::string> skipped;
    for (const auto& s : loader.skipped()) {
        skipped.insert(s.path);
        EXPECT_NE(s.reason.find("'" + s.path + "'"), std::string::npos) << s.reason;
    }
    EXPECT_EQ(skipped, expected);
    // Nothing was decoded: no gigabytes were asked for.
    EXPECT_LT(peakRssMiB(), 1024.0);
    try {
        data::loadImageRgb(train("cats/rle_bomb.bmp"));
        FAIL() << "no error";
    } catch (const data::ImageTooLargeError& e) {
        EXPECT_NE(std::string(e.what()).find("30000x25000 pixels (750 megapixels)"), std::string::npos) << e.what();
    }
}

TEST(Doctor, SpecialFilesAreNeverOpened) {
    // An index that lists them (as a manifest could): the doctor must still not
    // open a FIFO (it blocks until someone writes) or read /dev/zero (never ends).
    test::TempDir dir;
    writeBytes(dir.file("a/ok.png"), encode(".png", picture(40, 40, 1)));
    writeBytes(dir.file("b/ok.png"), encode(".png", picture(40, 40, 2)));
    ASSERT_EQ(::mkfifo(dir.file("a/pipe.jpg").c_str(), 0600), 0);
    fs::create_symlink("/dev/zero", dir.file("a/zero.png"));
    fs::create_directories(dir.file("a/folder.jpg"));
    data::DatasetIndex index;
    index.root = dir.path();
    index.classes = {"a", "b"};
    index.splitSource = data::SplitSource::Folders;
    index.train = {{dir.file("a/ok.png"), 0}, {dir.file("a/pipe.jpg"), 0}, {dir.file("a/zero.png"), 0},
                   {dir.file("a/folder.jpg"), 0}, {dir.file("a/missing.jpg"), 0}, {dir.file("b/ok.png"), 1}};
    const auto report = data::diagnose(index);
    const auto unreadable = report.problemsOf(data::ProblemKind::Unreadable);
    ASSERT_EQ(unreadable.size(), 4u) << data::toJson(report).dump(1);
    const std::map<std::string, std::string> says{{dir.file("a/pipe.jpg"), "named pipe (FIFO)"},
                                                  {dir.file("a/zero.png"), "character device"},
                                                  {dir.file("a/folder.jpg"), "is a folder"},
                                                  {dir.file("a/missing.jpg"), "does not exist"}};
    for (const auto& p : unreadable) {
        ASSERT_TRUE(says.count(p.path)) << p.path;
        EXPECT_NE(p.message.find(says.at(p.path)), std::string::npos) << p.message;
        EXPECT_NE(p.message.find("'" + p.path + "'"), std::string::npos) << p.message;
    }
    data::LoaderOptions lo;
    lo.batchSize = 2;
    data::EvalTransform t;
    t.resizeSize = 32;
    t.cropSize = 32;
    data::Loader loader(index.train, data::makeEvalTransform(t), lo);
    while (loader.next()) {
    }
    EXPECT_EQ(loader.skipped().size(), 4u);
}

TEST(Doctor, LimitsAreSettingsAndScanSkipsAreReported) {
    test::TempDir dir;
    for (int i = 0; i < 3; ++i) {
        writeBytes(dir.file("a/" + std::to_string(i) + ".png"), encode(".png", picture(64, 48, 10 + i)));
        writeBytes(dir.file("b/" + std::to_string(i) + ".png"), encode(".png", picture(20, 20, 20 + i)));
    }
    ASSERT_EQ(::mkfifo(dir.file("b/pipe.png").c_str(), 0600), 0);
    fs::create_directory_symlink(".", dir.file("b/loop"));
    const auto index = data::indexDataset(dir.path());

    data::DoctorOptions strict;
    strict.limits.maxPixels = 1000;  // the 64x48 images (3072 px) are over, the 20x20 ones (400 px) are not
    auto report = data::diagnose(index, strict);
    std::set<std::string> big;
    for (const auto& item : index.all())
        if (item.label == 0) big.insert(item.path);
    EXPECT_EQ(pathsOf(report.problemsOf(data::ProblemKind::TooLarge)), big);
    strict.limits = {};
    strict.limits.maxFileBytes = 100;
    report = data::diagnose(index, strict);
    EXPECT_EQ(report.problemsOf(data::ProblemKind::TooLarge).size(), index.all().size());
    EXPECT_NE(report.problemsOf(data::ProblemKind::TooLarge)[0].message.find("more than the limit of 100 bytes"),
              std::string::npos);

    report = data::diagnose(index);
    EXPECT_TRUE(report.problemsOf(data::ProblemKind::TooLarge).empty());
    ASSERT_EQ(report.skipped.size(), 2u);
    const auto skippedProblems = report.problemsOf(data::ProblemKind::SkippedEntry);
    EXPECT_EQ(pathsOf(skippedProblems), (std::set<std::string>{dir.file("b/pipe.png"), dir.file("b/loop")}));
    for (const auto& p : skippedProblems) EXPECT_EQ(p.severity, data::Severity::Warning);
    EXPECT_TRUE(report.badFiles().empty());
    const nlohmann::json j = data::toJson(report);
    ASSERT_EQ(j["skipped"].size(), 2u);
    EXPECT_EQ(j["summary"]["skipped"], 2);
    std::set<std::string> reasons;
    for (const auto& s : j["skipped"]) reasons.insert(s["reason"].get<std::string>());
    EXPECT_EQ(reasons, (std::set<std::string>{"special_file", "link_loop"}));
}
