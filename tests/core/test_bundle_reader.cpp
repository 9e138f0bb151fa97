// Bundles (.tsb) read through the project's own zip + pickle reader: a saved
// bundle reads back exactly, and crafted ones (built byte by byte here) give
// a WeightsError naming the file, without over-reading or allocating what
// they declare. Also: the round-trip check's scratch folder is private.
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/export/Bundle.h"
#include "core/export/Export.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/core/HostileFiles.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <sys/stat.h>
#include <unistd.h>

using namespace ts;
namespace fs = std::filesystem;

namespace {

const char* kMeta = R"({"arch":"tiny_cnn","classes":["a","b"],"head_hidden_units":0,
  "preprocessing":{"resize_size":72,"crop_size":64,"mean":[0.5,0.5,0.5],"std":[0.25,0.25,0.25]}})";

// The top-level dict of a bundle with `stateDict` (pickle opcodes that push
// one dict) as its "state_dict" and `meta` as its metadata.
std::string bundlePickle(const std::function<void(test::PickleWriter&)>& stateDict, const std::string& meta = kMeta,
                         const std::string& format = "transfer-studio-bundle") {
    test::PickleWriter p;
    p.proto().emptyDict().mark();
    p.str("format").str(format).str("version").integer(1).str("meta").str(meta).str("state_dict");
    stateDict(p);
    p.setItems().stop();
    return p.bytes();
}

// {"w": tensor(key "0", numel, offset, sizes, strides)}
std::function<void(test::PickleWriter&)> oneTensor(int64_t numel, int64_t offset, std::vector<int64_t> sizes,
                                                   std::vector<int64_t> strides) {
    return [=](test::PickleWriter& p) { p.emptyDict().mark().str("w").tensor("0", numel, offset, sizes, strides).setItems(); };
}

void expectBundleError(const std::string& path, const std::vector<std::string>& fragments) {
    SCOPED_TRACE(path);
    try {
        exporting::loadBundle(path);
        ADD_FAILURE() << path << " was loaded";
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(path), std::string::npos) << "the message does not name the file: " << msg;
        for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
    }
}

} // namespace

TEST(BundleReader, SavedBundleReadsBackExactly) {
    test::TempDir tmp;
    zoo::CreateOptions options;
    options.numClasses = 3;
    zoo::Backbone model = zoo::createModel("tiny_cnn", options);
    exporting::BundleMeta meta;
    meta.arch = "tiny_cnn";
    meta.classes = {"cat", "dog", "emu"};
    meta.transform = data::EvalTransform::forModel(zoo::modelInfo("tiny_cnn"));
    meta.metrics = {{"val_loss", 0.25}};
    exporting::saveBundle(*model, meta, tmp.file("m.tsb"));
    const auto back = exporting::loadBundle(tmp.file("m.tsb"));
    EXPECT_EQ(back.meta.classes, meta.classes);
    EXPECT_EQ(back.meta.metrics["val_loss"].get<double>(), 0.25);
    const auto a = weights::stateDictOf(*model), b = weights::stateDictOf(*back.model);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].first, b[i].first);
        EXPECT_TRUE(a[i].second.equal(b[i].second)) << a[i].first;
    }
}

TEST(BundleReader, CraftedBundlesGiveErrorsNamingTheFile) {
    test::TempDir tmp;
    auto write = [&](const std::string& name, const std::string& bytes) {
        writeFileAtomic(tmp.file(name), bytes);
        return tmp.file(name);
    };
    const std::string storage = test::floatBytes(16);
    // A storage record of 4 bytes for a tensor of 27,000 floats (LibTorch's
    // reader copied ~110 KB of heap past it).
    expectBundleError(write("short.tsb", test::torchZip(bundlePickle(oneTensor(27000, 0, {27000}, {1})),
                                                        {{"0", std::string(4, '\0')}})),
                      {"holds 4 bytes, less than the 108000"});
    expectBundleError(write("stride.tsb", test::torchZip(bundlePickle(oneTensor(16, 0, {4, 4}, {int64_t(1) << 36, 1})),
                                                         {{"0", storage}})),
                      {"reaches element"});
    expectBundleError(write("offset.tsb", test::torchZip(bundlePickle(oneTensor(16, int64_t(1) << 40, {4}, {1})),
                                                         {{"0", storage}})),
                      {"reaches element"});
    // LONG_BINPUT 0xfffffff0 (a 64 GiB memo in LibTorch's unpickler).
    expectBundleError(write("memo.tsb", test::torchZip(test::lit("\x80\x02}r\xf0\xff\xff\xff."), {})),
                      {"memo index 4294967280 is out of range"});
    // DICT and SETITEMS with an odd item count (read past the stack before).
    expectBundleError(write("dict.tsb", test::torchZip(test::lit("\x80\x02(X\x06\x00\x00\x00" "formatd."), {})),
                      {"DICT with an odd number of items"});
    expectBundleError(write("setitems.tsb", test::torchZip(test::lit("\x80\x02}(X\x06\x00\x00\x00" "formatu."), {})),
                      {"SETITEMS with an odd number of items"});
    // A compressed pickle declaring 4 GiB once inflated: never inflated.
    expectBundleError(write("deflate.tsb", test::torchZip(bundlePickle(oneTensor(16, 0, {16}, {1})), {{"0", storage}}, 8,
                                                          0xfffffff0ull)),
                      {"compressed entry", "never inflated"});
    // A pickled call: refused, nothing runs.
    const std::string marker = tmp.file("pwned");
    test::PickleWriter evil;
    evil.proto().global("posix", "system").str("touch " + marker).op('\x85').op('R').stop();
    expectBundleError(write("evil.tsb", test::torchZip(evil.bytes(), {})), {"posix.system", "refused"});
    EXPECT_FALSE(fs::exists(marker));
    // Metadata nested a million deep, or not JSON.
    const std::string deep = std::string(1000000, '[') + std::string(1000000, ']');
    expectBundleError(write("deep.tsb", test::torchZip(bundlePickle(oneTensor(16, 0, {16}, {1}), deep), {{"0", storage}})),
                      {"metadata", "nests arrays or objects more than"});
    expectBundleError(write("json.tsb", test::torchZip(bundlePickle(oneTensor(16, 0, {16}, {1}), "{\"arch\": tru"),
                                                       {{"0", storage}})),
                      {"metadata", "not valid JSON"});
    expectBundleError(write("format.tsb", test::torchZip(bundlePickle(oneTensor(16, 0, {16}, {1}), kMeta, "other\x01"),
                                                         {{"0", storage}})),
                      {"not a Transfer Studio bundle", "other\\x01"});
    // A well-formed bundle whose tensors do not fit the model it names.
    expectBundleError(write("keys.tsb", test::torchZip(bundlePickle(oneTensor(16, 0, {16}, {1})), {{"0", storage}})),
                      {"do not fit the tiny_cnn architecture", "unexpected key(s): w"});
}

TEST(BundleReader, EveryTruncationOfARealBundleFailsCleanly) {
    test::TempDir tmp;
    zoo::Backbone model = zoo::createModel("tiny_cnn");
    exporting::BundleMeta meta;
    meta.arch = "tiny_cnn";
    meta.classes.assign(10, "c");
    meta.transform = data::EvalTransform::forModel(zoo::modelInfo("tiny_cnn"));
    exporting::saveBundle(*model, meta, tmp.file("m.tsb"));
    const std::string bytes = readFile(tmp.file("m.tsb"));
    for (size_t n = 0; n < bytes.size(); n += std::max<size_t>(1, bytes.size() / 300)) {
        writeFileAtomic(tmp.file("cut.tsb"), bytes.substr(0, n));
        EXPECT_THROW(exporting::loadBundle(tmp.file("cut.tsb")), WeightsError) << "cut at " << n;
    }
}

TEST(RoundTripScratch, UsesAFreshPrivateFolderEvenWhenThePredictableOnesExist) {
    // Another user may create ts-roundtrip-<pid>-<n> folders in the temp
    // directory ahead of us and swap the scripts run from there. The check
    // must use a new folder of its own (mkdtemp, mode 0700) and leave the
    // planted ones alone.
    test::TempDir tmp;
    const std::string tmpdir = tmp.file("tmp");
    fs::create_directories(tmpdir);
    std::vector<std::string> planted;
    for (int i = 0; i < 8; ++i) {
        const std::string dir = tmpdir + "/ts-roundtrip-" + std::to_string(::getpid()) + "-" + std::to_string(i);
        fs::create_directories(dir);
        std::ofstream(dir + "/runner.py") << "planted\n";
        planted.push_back(dir);
    }
    // A stand-in interpreter that reports where it was asked to run from.
    const std::string report = tmp.file("report.txt");
    const std::string fake = tmp.file("fake-python");
    std::ofstream(fake) << "#!/bin/sh\nd=$(dirname \"$1\")\necho \"$d\" > '" << report << "'\nstat -c %a \"$d\" >> '"
                        << report << "'\nexit 3\n";
    fs::permissions(fake, fs::perms::owner_all);

    exporting::LoadedModel m;
    zoo::CreateOptions options;
    options.numClasses = 2;
    m.model = zoo::createModel("mobilenet_v3_small", options);
    m.model->eval();
    m.meta.arch = "mobilenet_v3_small";
    m.meta.classes = {"a", "b"};
    m.meta.transform = data::EvalTransform::forModel(zoo::modelInfo("mobilenet_v3_small"));
    writeFileAtomic(tmp.file("m.pth"), "not used by the stand-in");
    exporting::RoundTripOptions ro;
    ro.python = fake;

    const char* saved = std::getenv("TMPDIR");
    const std::string savedValue = saved ? saved : "";
    ::setenv("TMPDIR", tmpdir.c_str(), 1);
    EXPECT_THROW(exporting::roundTripCheckTensors(m, exporting::ExportFormat::Pth, tmp.file("m.pth"), {},
                                                  at::rand({1, 3, 64, 64}), ro),
                 ModelError);
    if (saved) ::setenv("TMPDIR", savedValue.c_str(), 1);
    else ::unsetenv("TMPDIR");

    std::ifstream in(report);
    std::string used, mode;
    std::getline(in, used);
    std::getline(in, mode);
    ASSERT_FALSE(used.empty()) << "the interpreter was not run";
    EXPECT_EQ(fs::path(used).parent_path(), fs::path(tmpdir));
    EXPECT_EQ(fs::path(used).filename().string().rfind("ts-roundtrip-", 0), 0u) << used;
    for (const auto& dir : planted) {
        EXPECT_NE(used, dir) << "a folder someone else created was used";
        EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}), 1) << dir << " was written to";
        EXPECT_EQ(readFile(dir + "/runner.py"), "planted\n");
    }
    EXPECT_EQ(mode, "700");
    EXPECT_FALSE(fs::exists(used)) << "the scratch folder is removed afterwards";
}
