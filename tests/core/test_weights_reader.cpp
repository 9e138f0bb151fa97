// The safe .pth reader against files written by Debian's torch.save, in
// both formats: values, dtypes, views and shared storage, checkpoints,
// hostile pickles (nothing may run) and broken files (clear errors).
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/PthReader.h"
#include "core/weights/StateDict.h"
#include "core/zoo/Registry.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

using namespace ts;
namespace fs = std::filesystem;

namespace {

class WeightsReader : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (test::referencePython().empty()) return;
        s_dir = std::make_unique<test::TempDir>("ts-weights-reader");
        std::string output;
        const int rc = test::runCommand(test::shellQuote(test::referencePython()) + " " +
                                            test::shellQuote(test::pythonScript("pth_fixtures.py")) + " " +
                                            test::shellQuote(s_dir->path()),
                                        &output);
        ASSERT_EQ(rc, 0) << output;
        std::ifstream in(s_dir->file("expected.json"));
        s_expected = nlohmann::json::parse(in);
    }
    static void TearDownTestSuite() { s_dir.reset(); }

    void SetUp() override { TS_REQUIRE_REFERENCE_PYTHON(test::referencePython()); }

    static std::string file(const std::string& name) { return s_dir->file(name); }

    // Every tensor of `sd` equals what torch wrote: order, dtype, shape,
    // strides, storage offset and values.
    static void expectMatches(const weights::StateDict& sd, const nlohmann::json& expected, const std::string& what) {
        ASSERT_EQ(sd.size(), expected.size()) << what;
        for (const auto& [key, tensor] : sd) {
            SCOPED_TRACE(what + ": " + key);
            ASSERT_TRUE(expected.contains(key));
            const auto& e = expected[key];
            EXPECT_EQ(std::string(c10::toString(tensor.scalar_type())), dtypeName(e["dtype"].get<std::string>()));
            EXPECT_EQ(tensor.sizes().vec(), e["shape"].get<std::vector<int64_t>>());
            if (tensor.numel() > 0) {
                EXPECT_EQ(tensor.strides().vec(), e["stride"].get<std::vector<int64_t>>());
                EXPECT_EQ(tensor.storage_offset(), e["storage_offset"].get<int64_t>());
            }
            const auto values = e["values"].get<std::vector<double>>();
            const at::Tensor flat = tensor.to(at::kDouble).flatten().contiguous();
            ASSERT_EQ(flat.numel(), static_cast<int64_t>(values.size()));
            for (int64_t i = 0; i < flat.numel(); ++i) EXPECT_EQ(flat[i].item<double>(), values[static_cast<size_t>(i)]) << i;
        }
    }

    // torch's dtype names -> c10's ScalarType names.
    static std::string dtypeName(const std::string& torchName) {
        static const std::map<std::string, std::string> names = {
            {"float32", "Float"}, {"float64", "Double"}, {"float16", "Half"}, {"bfloat16", "BFloat16"},
            {"int64", "Long"},    {"int32", "Int"},      {"int16", "Short"},  {"int8", "Char"},
            {"uint8", "Byte"},    {"bool", "Bool"}};
        return names.at(torchName);
    }

    static void expectError(const std::string& name, const std::vector<std::string>& fragments) {
        SCOPED_TRACE(name);
        try {
            weights::readStateDict(file(name));
            ADD_FAILURE() << name << " was read without an error";
        } catch (const WeightsError& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(file(name)), std::string::npos) << "the message does not name the file: " << msg;
            for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
        }
    }

    static std::unique_ptr<test::TempDir> s_dir;
    static nlohmann::json s_expected;
};

std::unique_ptr<test::TempDir> WeightsReader::s_dir;
nlohmann::json WeightsReader::s_expected;

} // namespace

TEST_F(WeightsReader, BothFormatsMatchTorch) {
    for (const std::string name : {"tiny", "views", "dtypes"})
        for (const std::string format : {"zip", "legacy"}) {
            weights::PthFormat seen;
            const std::string path = file(name + "_" + format + ".pth");
            const auto value = weights::loadPth(readFile(path), path, &seen);
            EXPECT_EQ(seen, format == "zip" ? weights::PthFormat::Zip : weights::PthFormat::Legacy);
            expectMatches(weights::stateDictFromValue(*value, path), s_expected[name], name + "_" + format);
        }
}

TEST_F(WeightsReader, OrderedDictStateDictKeepsItsOrder) {
    const auto expectedOrder = s_expected["tiny_order"].get<std::vector<std::string>>();
    for (const std::string format : {"zip", "legacy"}) {
        const auto sd = weights::readStateDict(file("tiny_" + format + ".pth"));
        std::vector<std::string> keys;
        for (const auto& [k, v] : sd) keys.push_back(k);
        EXPECT_EQ(keys, expectedOrder) << format;
        EXPECT_EQ(test::tensorNamed(sd, "1.num_batches_tracked").item<int64_t>(), 7);
        EXPECT_EQ(test::tensorNamed(sd, "1.num_batches_tracked").scalar_type(), at::kLong);
    }
}

TEST_F(WeightsReader, ViewsShareOneStorage) {
    for (const std::string format : {"zip", "legacy"}) {
        SCOPED_TRACE(format);
        const auto sd = weights::readStateDict(file("views_" + format + ".pth"));
        const at::Tensor base = test::tensorNamed(sd, "base");
        const at::Tensor row = test::tensorNamed(sd, "row");
        const at::Tensor t = test::tensorNamed(sd, "t");
        EXPECT_TRUE(base.is_contiguous());
        EXPECT_FALSE(t.is_contiguous());
        EXPECT_EQ(row.data_ptr<float>(), base.data_ptr<float>() + 6);
        EXPECT_TRUE(base.storage().is_alias_of(test::tensorNamed(sd, "block").storage()));
        base.fill_(-1.0f);  // one storage: every view sees the write
        EXPECT_EQ(row[3].item<float>(), -1.0f);
        EXPECT_EQ(test::tensorNamed(sd, "col")[2].item<float>(), -1.0f);
        EXPECT_EQ(test::tensorNamed(sd, "param").size(0), 5);
        EXPECT_EQ(test::tensorNamed(sd, "scalar").dim(), 0);
    }
}

TEST_F(WeightsReader, CheckpointDictYieldsItsStateDict) {
    for (const std::string format : {"zip", "legacy"}) {
        SCOPED_TRACE(format);
        const std::string path = file("checkpoint_" + format + ".pth");
        expectMatches(weights::readStateDict(path), s_expected["tiny"], "checkpoint_" + format);
        const auto value = weights::loadPth(readFile(path), path);
        ASSERT_EQ(value->kind, weights::pickle::Kind::Dict);
        ASSERT_TRUE(value->get("epoch"));
        EXPECT_EQ(value->get("epoch")->integer, 3);
        EXPECT_EQ(value->get("arch")->str, "tiny");
        const auto betas = value->get("optimizer")->get("betas");
        ASSERT_EQ(betas->kind, weights::pickle::Kind::Tuple);
        EXPECT_DOUBLE_EQ(betas->items.at(1)->real, 0.999);
        EXPECT_EQ(value->get("history")->items.at(2)->kind, weights::pickle::Kind::None);
    }
}

TEST_F(WeightsReader, RefusesPicklesThatConstructObjects) {
    // os.system pickles as posix.system on Linux.
    const std::vector<std::string> refused = {"tries to construct the Python object 'posix.system'",
                                              "refused: weights files may only hold tensors"};
    for (const std::string name : {"evil_torch_zip.pth", "evil_torch_legacy.pth", "evil_zip.pth", "evil_legacy.pth",
                                   "evil_plain.pth"})
        expectError(name, refused);
    expectError("evil_eval.pth", {"'builtins.eval'", "refused"});
    EXPECT_FALSE(fs::exists(file("pwned"))) << "a pickled command ran";
}

TEST_F(WeightsReader, BrokenFilesGiveClearErrors) {
    expectError("empty.pth", {"is empty"});
    expectError("text.pth", {"not a PyTorch weights file", "neither a zip archive nor a pickle"});
    expectError("nopickle_zip.pth", {"without data.pkl"});
    expectError("deflated_zip.pth", {"compressed", "torch.save"});
    expectError("tiny_zip_truncated.pth", {"truncated"});
    expectError("tiny_legacy_truncated.pth", {"truncated"});
    expectError("dtypes_legacy_truncated.pth", {"truncated"});
    expectError("tiny_legacy_pickle_cut.pth", {"truncated"});
    EXPECT_THROW(weights::readStateDict(file("no-such-file.pth")), IoError);
}

TEST_F(WeightsReader, EveryTruncationAndCorruptionFailsCleanly) {
    // Cut at every length, and flip random bytes: the reader must throw a
    // ts::Error or succeed, never crash or throw anything else.
    for (const std::string name : {"tiny_legacy.pth", "views_legacy.pth", "tiny_zip.pth"}) {
        const std::string bytes = readFile(file(name));
        for (size_t n = 0; n < bytes.size(); ++n)
            EXPECT_THROW(weights::readStateDictFromBytes(bytes.substr(0, n), name), WeightsError) << name << " cut at " << n;
        std::mt19937 rng(1234);
        for (int i = 0; i < 400; ++i) {
            std::string mutated = bytes;
            for (int k = 0; k < 1 + i % 4; ++k)
                mutated[rng() % mutated.size()] = static_cast<char>(rng() & 0xff);
            try {
                weights::readStateDictFromBytes(mutated, name);
            } catch (const ts::Error&) {
            } catch (const std::exception& e) {
                ADD_FAILURE() << name << " mutation " << i << " threw a non-ts error: " << e.what();
            }
        }
    }
}

TEST_F(WeightsReader, WrittenStateDictReadsBack) {
    const auto sd = weights::readStateDict(file("dtypes_zip.pth"));
    const std::string path = file("roundtrip.pth");
    weights::writeStateDict(sd, path);
    const auto back = weights::readStateDict(path);
    ASSERT_EQ(back.size(), sd.size());
    for (size_t i = 0; i < sd.size(); ++i) {
        EXPECT_EQ(back[i].first, sd[i].first);
        EXPECT_TRUE(back[i].second.equal(sd[i].second)) << sd[i].first;
    }
}

class WeightsReaderModels : public WeightsReader {
protected:
    static void SetUpTestSuite() {
        WeightsReader::SetUpTestSuite();
        if (!s_dir) return;
        std::string output;
        const int rc = test::runCommand(test::shellQuote(test::referencePython()) + " " +
                                            test::shellQuote(test::pythonScript("pth_fixtures.py")) + " " +
                                            test::shellQuote(s_dir->path()) + " --models",
                                        &output);
        ASSERT_EQ(rc, 0) << output;
        std::ifstream in(s_dir->file("models.json"));
        s_models = nlohmann::json::parse(in);
    }
    static nlohmann::json s_models;
};

nlohmann::json WeightsReaderModels::s_models;

TEST_F(WeightsReaderModels, TorchvisionStateDictLoadsStrictlyInBothFormats) {
    for (const std::string format : {"zip", "legacy"}) {
        SCOPED_TRACE(format);
        const std::string path = file("mobilenet_v2_" + format + ".pth");
        const auto sd = weights::readStateDict(path);
        EXPECT_EQ(static_cast<int64_t>(sd.size()), s_models["mobilenet_v2_count"].get<int64_t>());
        zoo::Backbone model = zoo::createModel("mobilenet_v2");
        ASSERT_NO_THROW(weights::applyStateDict(*model, sd, path, "mobilenet_v2"));
        const auto loaded = weights::stateDictOf(*model);
        for (const auto& [key, sum] : s_models["mobilenet_v2"].items())
            EXPECT_NEAR(test::tensorNamed(loaded, key).to(at::kDouble).sum().item<double>(), sum.get<double>(), 1e-9) << key;
    }
}

TEST_F(WeightsReaderModels, FileOfAnotherArchitectureListsTheKeys) {
    const std::string path = file("resnet18_zip.pth");
    zoo::Backbone model = zoo::createModel("mobilenet_v2");
    try {
        weights::applyStateDict(*model, weights::readStateDict(path), path, "mobilenet_v2");
        FAIL() << "resnet18 weights were accepted by mobilenet_v2";
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        for (const std::string& fragment : {path, std::string("mobilenet_v2"), std::string("missing key(s)"),
                                           std::string("features.0.0.weight"), std::string("unexpected key(s)"),
                                           std::string("conv1.weight")})
            EXPECT_NE(msg.find(fragment), std::string::npos) << "'" << fragment << "' not in: " << msg;
    }
}

TEST(WeightsReaderShared, RealImageNetFileReads) {
    const std::string shared = test::sharedDir();
    TS_REQUIRE_SHARED(shared);
    const std::string path = shared + "/weights/mobilenet_v2_imagenet.pth";
    if (!fs::exists(path)) GTEST_SKIP() << path << " is absent";
    const auto sd = weights::readStateDict(path);
    EXPECT_EQ(sd.size(), 314u);
    zoo::Backbone model = zoo::createModel("mobilenet_v2");
    EXPECT_NO_THROW(weights::applyStateDict(*model, sd, path, "mobilenet_v2"));
}

TEST(WeightsReaderHostile, DeepNestingAndHugeCountsFailCleanly) {
    // A million nested lists: parsed and released without recursion.
    std::string nested = "\x80\x02";
    nested += std::string(1000000, ']') + std::string(999999, 'a') + ".";
    try {
        weights::readStateDictFromBytes(nested, "nested.pth");
        FAIL() << "a nested list was taken for weights";
    } catch (const WeightsError& e) {
        EXPECT_NE(std::string(e.what()).find("nested.pth"), std::string::npos) << e.what();
    }
    // A string claiming 4 GiB, and a stack underflow.
    EXPECT_THROW(weights::readStateDictFromBytes(std::string("\x80\x02X\xff\xff\xff\xff", 7), "long.pth"), WeightsError);
    EXPECT_THROW(weights::readStateDictFromBytes(std::string("\x80\x02s.", 4), "underflow.pth"), WeightsError);
}
