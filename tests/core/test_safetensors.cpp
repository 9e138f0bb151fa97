// The safetensors reader: files written in the test from the format's
// specification (bytes built here, or by tests/python/safetensors_fixtures.py
// with struct + json), read like the .pth of the same tensors, loaded
// strictly into zoo models, and hostile headers refused with their reason.
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/Pretrained.h"
#include "core/weights/SafetensorsReader.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <torch/csrc/autograd/grad_mode.h>
#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>

using namespace ts;
namespace fs = std::filesystem;

namespace {

std::string u64le(uint64_t v) {
    std::string s(8, '\0');
    for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
    return s;
}

/// A safetensors file from a header text and a data section, as given.
std::string rawFile(const std::string& header, const std::string& data) { return u64le(header.size()) + header + data; }

/// A well-formed file of float32 tensors `a` (2x3) and `b` (4), then `extra`
/// fields merged into the header (to break it one way at a time).
struct Good {
    nlohmann::json header;
    std::string data;
    Good() {
        const float a[6] = {1, 2, 3, 4, 5, 6};
        const float b[4] = {-1, -2, -3, -4};
        data.assign(reinterpret_cast<const char*>(a), sizeof a);
        data.append(reinterpret_cast<const char*>(b), sizeof b);
        header["__metadata__"] = {{"format", "pt"}};
        header["a"] = {{"dtype", "F32"}, {"shape", {2, 3}}, {"data_offsets", {0, 24}}};
        header["b"] = {{"dtype", "F32"}, {"shape", {4}}, {"data_offsets", {24, 40}}};
    }
    std::string bytes() const { return rawFile(header.dump(), data); }
};

/// Expects loadSafetensors(bytes) to throw a WeightsError whose message holds
/// the file name and every one of `parts`.
void expectRefused(const std::string& bytes, const std::vector<std::string>& parts, const std::string& source = "bad.safetensors") {
    try {
        (void)weights::loadSafetensors(bytes, source);
        ADD_FAILURE() << "accepted a file that should be refused (" << parts.front() << ")";
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(source), std::string::npos) << msg;
        for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
    }
}

class SafetensorsFixtures : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (test::referencePython().empty()) return;
        s_dir = std::make_unique<test::TempDir>("ts-safetensors");
        std::string log;
        const int rc = test::runCommand(test::shellQuote(test::referencePython()) + " " +
                                            test::shellQuote(test::pythonScript("safetensors_fixtures.py")) + " " +
                                            test::shellQuote(s_dir->path()) + " --arch mobilenet_v2 --arch xception",
                                        &log);
        ASSERT_EQ(rc, 0) << log;
    }
    static void TearDownTestSuite() { s_dir.reset(); }
    void SetUp() override { TS_REQUIRE_REFERENCE_PYTHON(test::referencePython()); }
    static std::string file(const std::string& name) { return s_dir->file(name); }
    static inline std::unique_ptr<test::TempDir> s_dir;
};

void expectSameDicts(const weights::StateDict& st, const weights::StateDict& pth) {
    ASSERT_EQ(st.size(), pth.size());
    std::map<std::string, at::Tensor> byName(pth.begin(), pth.end());
    for (const auto& [name, tensor] : st) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(byName.count(name));
        const at::Tensor& expected = byName.at(name);
        EXPECT_EQ(tensor.scalar_type(), expected.scalar_type());
        EXPECT_EQ(tensor.sizes(), expected.sizes());
        EXPECT_TRUE(tensor.equal(expected));
    }
}

} // namespace

TEST_F(SafetensorsFixtures, EveryDtypeReadsLikeThePthOfTheSameTensors) {
    const auto st = weights::readStateDict(file("dtypes.safetensors"));
    expectSameDicts(st, weights::readStateDict(file("dtypes.pth")));
    std::string bytes;
    {
        std::ifstream in(file("dtypes.safetensors"), std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto meta = weights::safetensorsMetadata(bytes, "dtypes.safetensors");
    EXPECT_EQ(meta.size(), 2u);
}

TEST_F(SafetensorsFixtures, ZooModelsLoadStrictlyFromSafetensors) {
    for (const std::string arch : {"mobilenet_v2", "xception"}) {
        SCOPED_TRACE(arch);
        const auto st = weights::readStateDict(file(arch + ".safetensors"));
        expectSameDicts(st, weights::readStateDict(file(arch + ".pth")));
        // --weights FILE.safetensors goes through loadPretrained.
        const zoo::Backbone model = weights::loadPretrained(arch, file(arch + ".safetensors"));
        const auto ours = weights::stateDictOf(*model);
        std::map<std::string, at::Tensor> byName(st.begin(), st.end());
        for (const auto& [key, t] : ours) {
            if (key.find("num_batches_tracked") != std::string::npos) continue;
            ASSERT_TRUE(byName.count(key)) << key;
            EXPECT_TRUE(t.equal(byName.at(key))) << key;
        }
    }
}

TEST_F(SafetensorsFixtures, RecognisedByContentWhateverTheName) {
    // A cached or renamed copy (the cache names files after the official .pth).
    const std::string renamed = file("renamed-weights.pth");
    fs::copy_file(file("mobilenet_v2.safetensors"), renamed, fs::copy_options::overwrite_existing);
    expectSameDicts(weights::readStateDict(renamed), weights::readStateDict(file("mobilenet_v2.pth")));
}

TEST_F(SafetensorsFixtures, WrongArchitectureNamesTheKeys) {
    try {
        (void)weights::loadPretrained("resnet18", file("mobilenet_v2.safetensors"));
        FAIL() << "mobilenet_v2 weights loaded into resnet18";
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("mobilenet_v2.safetensors"), std::string::npos) << msg;
        EXPECT_NE(msg.find("missing key(s)"), std::string::npos) << msg;
        EXPECT_NE(msg.find("features.0.0.weight"), std::string::npos) << msg;
    }
}

TEST_F(SafetensorsFixtures, ImportIntoTheCacheAcceptsSafetensors) {
    test::TempDir home("ts-safetensors-home");
    ::setenv("TORCH_HOME", home.path().c_str(), 1);
    const auto r = weights::importWeightsIntoCache(file("mobilenet_v2.safetensors"), "mobilenet_v2", false);
    EXPECT_EQ(r.tensors, weights::readStateDict(file("mobilenet_v2.pth")).size());
    EXPECT_TRUE(fs::exists(r.path));
    // The cached copy keeps the official .pth name; it verifies and loads.
    EXPECT_NO_THROW(weights::verifyCachedWeights("mobilenet_v2"));
    EXPECT_NO_THROW((void)weights::loadPretrained("mobilenet_v2"));
    ::unsetenv("TORCH_HOME");
}

TEST(SafetensorsReader, HandBuiltFileReads) {
    const Good g;
    const auto sd = weights::loadSafetensors(g.bytes(), "good.safetensors");
    ASSERT_EQ(sd.size(), 2u);
    EXPECT_EQ(sd[0].first, "a");
    EXPECT_EQ(sd[0].second.sizes(), (std::vector<int64_t>{2, 3}));
    EXPECT_FLOAT_EQ(sd[0].second[1][2].item<float>(), 6.0f);
    EXPECT_FLOAT_EQ(sd[1].second[3].item<float>(), -4.0f);
    EXPECT_TRUE(weights::looksLikeSafetensors(g.bytes()));
    // Header padding with spaces (as writers align the data to 8 bytes).
    EXPECT_EQ(weights::loadSafetensors(rawFile(g.header.dump() + "     ", g.data), "padded.safetensors").size(), 2u);
}

TEST(SafetensorsReader, TruncatedAndOversizedHeadersAreRefused) {
    const Good g;
    const std::string bytes = g.bytes();
    expectRefused(bytes.substr(0, 5), {"5 bytes", "fewer than the 8"});
    expectRefused(bytes.substr(0, 8 + 10), {"header length field says", "only 10 bytes follow"});
    expectRefused(u64le(uint64_t(1) << 62) + "{}", {"more than the 100000000 bytes"});
    expectRefused(u64le(uint64_t(-1)) + "{}", {"header length field says 18446744073709551615"});
    // Data cut short: the last tensor runs past the end.
    expectRefused(bytes.substr(0, bytes.size() - 4), {"tensor 'b'", "past the end of the data section (36 bytes)"});
}

TEST(SafetensorsReader, BadJsonAndWrongTypesAreRefused) {
    const Good g;
    expectRefused(rawFile("{\"a\": {\"dtype\": \"F32\",", g.data), {"its header is not valid JSON (parse error"});
    expectRefused(rawFile("[1, 2, 3]", ""), {"does not start with '{'"});
    expectRefused(rawFile(std::string(200, '[') + std::string(200, ']'), ""), {"does not start with '{'"});
    expectRefused(rawFile("{\"a\":" + std::string(100, '[') + std::string(100, ']') + "}", ""), {"more than 4 levels deep"});
    Good m;
    m.header["__metadata__"] = {{"format", 3}};
    expectRefused(m.bytes(), {"\"__metadata__\" entry 'format' is not a string"});
    Good t;
    t.header["a"] = "F32";
    expectRefused(t.bytes(), {"tensor 'a'", "is not described by an object"});
    Good d;
    d.header["a"].erase("dtype");
    expectRefused(d.bytes(), {"tensor 'a'", "no \"dtype\""});
    Good o;
    o.header["a"]["data_offsets"] = {0};
    expectRefused(o.bytes(), {"tensor 'a'", "no \"data_offsets\" pair"});
    Good f;
    f.header["a"]["shape"] = {2.0, 3};
    expectRefused(f.bytes(), {"tensor 'a'", "not a non-negative integer (2.0)"});
    Good n;
    n.header["a"]["shape"] = {-2, -3};
    expectRefused(n.bytes(), {"tensor 'a'", "not a non-negative integer (-2)"});
    // Control characters in names are escaped in the message.
    Good c;
    c.header["evil\x1b[2Jname"] = c.header["b"];
    c.header.erase("b");
    c.header["evil\x1b[2Jname"]["dtype"] = "X";
    expectRefused(c.bytes(), {"tensor 'evil\\x1b[2Jname'", "dtype 'X'"});
}

TEST(SafetensorsReader, UnknownDtypesAreRefusedWithTheList) {
    for (const char* dtype : {"U16", "F8_E4M3", "complex64", ""}) {
        Good g;
        g.header["b"]["dtype"] = dtype;
        expectRefused(g.bytes(), {"tensor 'b'", std::string("dtype '") + dtype + "'", "F32, F16, BF16"});
    }
}

TEST(SafetensorsReader, OffsetsMustCoverTheDataExactly) {
    Good overlap;
    overlap.header["b"]["data_offsets"] = {20, 36};
    overlap.data.resize(36);
    expectRefused(overlap.bytes(), {"'a' [0, 24)", "'b' [20, 36)", "overlap"});
    Good gap;
    gap.header["b"]["data_offsets"] = {28, 44};
    gap.data.resize(44);
    expectRefused(gap.bytes(), {"bytes [24, 28)", "before tensor 'b'", "without holes"});
    Good tail;
    tail.data += "polyglot";
    expectRefused(tail.bytes(), {"8 bytes after the last tensor", "without holes"});
    Good reversed;
    reversed.header["b"]["data_offsets"] = {40, 24};
    expectRefused(reversed.bytes(), {"tensor 'b'", "end is before its begin"});
    Good past;
    past.header["b"]["data_offsets"] = {24, 4000};
    past.header["b"]["shape"] = {994};
    expectRefused(past.bytes(), {"tensor 'b'", "[24, 4000] past the end of the data section (40 bytes)"});
}

TEST(SafetensorsReader, ShapeMustMatchTheBytesWithoutOverflow) {
    Good mismatch;
    mismatch.header["a"]["shape"] = {3, 3};
    expectRefused(mismatch.bytes(), {"tensor 'a'", "[3,3] of 36 bytes (F32)", "span 24 bytes"});
    Good huge;
    huge.header["a"]["shape"] = {uint64_t(1) << 32, uint64_t(1) << 31, 4};
    expectRefused(huge.bytes(), {"tensor 'a'", "overflows 64 bits"});
    Good bytesOverflow;  // numel fits, numel * 4 does not
    bytesOverflow.header["a"]["shape"] = {uint64_t(1) << 62};
    expectRefused(bytesOverflow.bytes(), {"tensor 'a'", "overflows 64 bits"});
    Good tooDeep;
    tooDeep.header["a"]["shape"] = std::vector<int>(17, 1);
    expectRefused(tooDeep.bytes(), {"tensor 'a'", "17 dimensions"});
}

TEST(SafetensorsReader, DuplicateNamesAreRefused) {
    const Good g;
    std::string header = g.header.dump();
    // The same name again, with a valid description of the same bytes.
    header.pop_back();
    header += ",\"a\":{\"dtype\":\"F32\",\"shape\":[6],\"data_offsets\":[0,24]}}";
    expectRefused(rawFile(header, g.data), {"names the tensor 'a' twice"});
}

TEST(SafetensorsReader, BooleansMustBeZeroOrOne) {
    nlohmann::json h;
    h["flags"] = {{"dtype", "BOOL"}, {"shape", {3}}, {"data_offsets", {0, 3}}};
    EXPECT_EQ(weights::loadSafetensors(rawFile(h.dump(), std::string("\x01\x00\x01", 3)), "ok.safetensors")[0]
                  .second.sum()
                  .item<int64_t>(),
              2);
    expectRefused(rawFile(h.dump(), std::string("\x01\x07\x01", 3)), {"tensor 'flags'", "holds the byte 7"});
}

TEST(SafetensorsReader, FileWithoutTensorsIsRefused) {
    expectRefused(rawFile("{\"__metadata__\":{\"format\":\"pt\"}}", ""), {"without tensors"});
    expectRefused(rawFile("{}", ""), {"without tensors"});
}

TEST(SafetensorsReader, ReadStateDictPicksTheReaderByNameOrContent) {
    test::TempDir dir("ts-safetensors-pick");
    const Good g;
    writeFileAtomic(dir.file("w.safetensors"), g.bytes());
    writeFileAtomic(dir.file("w.bin"), g.bytes());
    EXPECT_EQ(weights::readStateDict(dir.file("w.safetensors")).size(), 2u);
    EXPECT_EQ(weights::readStateDict(dir.file("w.bin")).size(), 2u);
    // A broken file named .safetensors gets the safetensors reader's message.
    writeFileAtomic(dir.file("cut.safetensors"), g.bytes().substr(0, 30));
    try {
        (void)weights::readStateDict(dir.file("cut.safetensors"));
        FAIL();
    } catch (const WeightsError& e) {
        EXPECT_NE(std::string(e.what()).find("cut.safetensors' is not a valid safetensors file"), std::string::npos)
            << e.what();
    }
    // A .pth still reads as one.
    weights::writeStateDict({{"x", at::ones({2})}}, dir.file("w.pth"));
    EXPECT_EQ(weights::readStateDict(dir.file("w.pth")).size(), 1u);
}

// The real ImageNet MobileNetV2 weights, converted to safetensors in the
// test: the model computes exactly what the .pth gives.
TEST(SafetensorsShared, RealImageNetWeightsGiveTheSameLogits) {
    const std::string shared = test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    const std::string pth = shared + "/weights/mobilenet_v2_imagenet.pth";
    if (!fs::exists(pth)) GTEST_SKIP() << pth << " is absent";
    const std::string py = test::referencePython();
    TS_REQUIRE_REFERENCE_PYTHON(py);
    test::TempDir dir("ts-safetensors-real");
    std::string log;
    ASSERT_EQ(test::runCommand(test::shellQuote(py) + " " + test::shellQuote(test::pythonScript("safetensors_fixtures.py")) +
                                   " " + test::shellQuote(dir.path()) + " --convert " + test::shellQuote(pth),
                               &log),
              0)
        << log;
    const zoo::Backbone fromPth = weights::loadPretrained("mobilenet_v2", pth);
    const zoo::Backbone fromSt = weights::loadPretrained("mobilenet_v2", dir.file("mobilenet_v2_imagenet.safetensors"));
    torch::manual_seed(4);
    const at::Tensor x = at::randn({2, 3, 224, 224});
    torch::NoGradGuard noGrad;
    EXPECT_TRUE(fromPth->forward(x).equal(fromSt->forward(x)));
}
