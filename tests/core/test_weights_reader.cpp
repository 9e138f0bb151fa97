// The safe .pth reader against files written by Debian's torch.save, in
// both formats: values, dtypes, views and shared storage, checkpoints,
// hostile pickles (nothing may run) and broken files (clear errors).
#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/PthReader.h"
#include "core/weights/StateDict.h"
#include "core/weights/ZipArchive.h"
#include "core/zoo/Registry.h"
#include "tests/core/HostileFiles.h"
#include "tests/support/TestSupport.h"

#include <ATen/Functions.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>

#include <sys/resource.h>
#include <unistd.h>

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

    // Its pickle stays well inside the unpickler's budget per input byte.
    const std::string bytes = readFile(path);
    const weights::ZipArchive zip(bytes, path);
    const weights::ZipArchive::Entry* pkl = nullptr;
    for (const auto& e : zip.entries())
        if (e.name.size() > 9 && e.name.compare(e.name.size() - 9, 9, "/data.pkl") == 0) pkl = &e;
    ASSERT_NE(pkl, nullptr);
    const std::string_view pickle = zip.read(*pkl);
    const at::Tensor flat = at::zeros({1 << 22});  // one stand-in storage for every tensor
    weights::pickle::SafeUnpickler unpickler(pickle, path, [&](const weights::pickle::Value&) {
        auto v = weights::pickle::Value::make(weights::pickle::Kind::Storage);
        v->tensor = flat;
        v->storageNumel = flat.numel();
        return v;
    });
    unpickler.load();
    const double perByte = double(unpickler.budgetUsed()) / double(pickle.size());
    RecordProperty("budget_bytes_per_pickle_byte", std::to_string(perByte));
    EXPECT_LT(perByte, 0.75 * weights::pickle::SafeUnpickler::kBudgetPerInputByte) << perByte;
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

// ---- Hostile files built byte by byte (tests/core/HostileFiles.h) ----

namespace {

// Lowers the soft address-space limit to what the process maps now plus
// `extraBytes` for its lifetime, so a reader that tries to allocate far more
// fails with bad_alloc instead of passing unnoticed.
class AddressSpaceLimit {
public:
    explicit AddressSpaceLimit(size_t extraBytes) {
        ::getrlimit(RLIMIT_AS, &m_saved);
        std::ifstream statm("/proc/self/statm");
        size_t pages = 0;
        statm >> pages;
        struct rlimit limited = m_saved;
        limited.rlim_cur = pages * static_cast<size_t>(::sysconf(_SC_PAGESIZE)) + extraBytes;
        if (m_saved.rlim_max != RLIM_INFINITY && limited.rlim_cur > m_saved.rlim_max) limited.rlim_cur = m_saved.rlim_max;
        ::setrlimit(RLIMIT_AS, &limited);
    }
    ~AddressSpaceLimit() { ::setrlimit(RLIMIT_AS, &m_saved); }

private:
    struct rlimit m_saved {};
};

// The reader must refuse `bytes` with a WeightsError naming `name` and
// holding every fragment.
void expectRefused(const std::string& bytes, const std::string& name, const std::vector<std::string>& fragments) {
    SCOPED_TRACE(name);
    try {
        weights::readStateDictFromBytes(bytes, name);
        ADD_FAILURE() << name << " was read without an error";
    } catch (const WeightsError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find(name), std::string::npos) << "the message does not name the file: " << msg;
        for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << "'" << f << "' not in: " << msg;
    }
}

// {"w": tensor} as torch.save writes it, with the tensor's window given.
std::string oneTensorPickle(int64_t numel, int64_t offset, std::vector<int64_t> sizes, std::vector<int64_t> strides) {
    test::PickleWriter p;
    p.proto().emptyDict().mark().str("w").tensor("0", numel, offset, sizes, strides).setItems().stop();
    return p.bytes();
}

} // namespace

TEST(WeightsReaderHostile, HandBuiltFilesReadLikeTorchSaveOnes) {
    // The builders themselves write files the reader takes: the hostile
    // variants below differ from these in one field only.
    const auto sd = weights::readStateDictFromBytes(
        test::torchZip(oneTensorPickle(6, 0, {2, 3}, {3, 1}), {{"0", test::floatBytes(6, 1.5f)}}), "good.pth");
    ASSERT_EQ(sd.size(), 1u);
    EXPECT_EQ(sd[0].first, "w");
    EXPECT_TRUE(sd[0].second.equal(at::full({2, 3}, 1.5f)));
}

TEST(WeightsReaderHostile, TensorWindowsOutsideTheirStorageAreRefused) {
    // A storage record of 4 bytes for 27,000 floats: never copied past its end.
    expectRefused(test::torchZip(oneTensorPickle(27000, 0, {27000}, {1}), {{"0", std::string(4, '\0')}}), "short.pth",
                  {"holds 4 bytes, less than the 108000"});
    const std::string storage = test::floatBytes(16);
    expectRefused(test::torchZip(oneTensorPickle(16, 0, {4, 4}, {int64_t(1) << 36, 1}), {{"0", storage}}), "stride.pth",
                  {"reaches element"});
    expectRefused(test::torchZip(oneTensorPickle(16, int64_t(1) << 40, {4}, {1}), {{"0", storage}}), "offset.pth",
                  {"reaches element"});
    expectRefused(test::torchZip(oneTensorPickle(16, 0, {4}, {-1}), {{"0", storage}}), "negative.pth", {"bad value"});
    expectRefused(test::torchZip(oneTensorPickle(int64_t(1) << 62, 0, {4}, {1}), {{"0", storage}}), "numel.pth",
                  {"too large to exist"});
}

TEST(WeightsReaderHostile, MalformedOpcodesAreRefused) {
    auto zipOf = [](const std::string& pickle) { return test::torchZip(pickle, {}); };
    // LONG_BINPUT 0xfffffff0: no memo of 2^32 entries is made.
    expectRefused(zipOf(test::lit("\x80\x02}r\xf0\xff\xff\xff.")), "memo.pth", {"memo index 4294967280 is out of range"});
    // DICT and SETITEMS with an odd number of items.
    expectRefused(zipOf(test::lit("\x80\x02(K\x01K\x02K\x03" "d.")), "dict.pth", {"DICT with an odd number"});
    expectRefused(zipOf(test::lit("\x80\x02}(K\x01K\x02K\x03u.")), "setitems.pth", {"SETITEMS with an odd number"});
    expectRefused(zipOf(test::lit("\x80\x02(0.")), "pop.pth", {"stack underflow"});
}

TEST(WeightsReaderHostile, SelfReferencingContainersAreRefused) {
    const std::vector<std::string> fragments = {"self-referencing"};
    // l = []; l.append(l)
    expectRefused(test::lit("\x80\x02]q\x00h\x00" "a."), "selflist.pth", fragments);
    // d = {}; d[1] = d
    expectRefused(test::lit("\x80\x02}q\x00K\x01h\x00s."), "selfdict.pth", fragments);
    // a = []; b = [a]; a.append(b), and the same through APPENDS.
    expectRefused(test::lit("\x80\x02]q\x00]q\x01h\x00" "aa."), "cycle.pth", fragments);
    expectRefused(test::lit("\x80\x02]q\x00]q\x01h\x00" "a(h\x01" "e."), "cycle2.pth", fragments);
    // Sharing without a cycle stays fine: [x, x] with x = [1].
    const std::string shared = test::lit("\x80\x02](]q\x00K\x01" "ah\x00" "e.");
    weights::pickle::SafeUnpickler unpickler(shared, "shared.pth");
    const auto value = unpickler.load();
    ASSERT_EQ(value->items.size(), 2u);
    EXPECT_EQ(value->items[0], value->items[1]);
}

TEST(WeightsReaderHostile, PickleMemoryIsBoundedByItsSize) {
    // 16 MiB of one-byte opcodes (EMPTY_LIST): each would cost a value of
    // ~200 bytes, over 3 GiB in all. The budget refuses the file long before;
    // the address-space limit proves no large allocation happens meanwhile.
    const size_t n = size_t(16) << 20;
    std::string bombBytes = "\x80\x02";
    bombBytes += std::string(n, ']');
    bombBytes += '.';
    const std::string bomb = bombBytes;
    const std::string zip = test::torchZip(bomb, {});
    for (const std::string* bytes : {&bomb, &zip}) {
        AddressSpaceLimit limit(size_t(3) << 29);
        expectRefused(*bytes, "bomb.pth", {"refused", "builds more values than any PyTorch file of that size"});
    }
    // MARK and DUP push no new value but are charged too; unterminated, they
    // end as truncated files, within the same bound.
    for (const char op : {'(', '2'}) {
        std::string ops = "\x80\x02N";
        ops += std::string(n, op);
        AddressSpaceLimit limit(size_t(3) << 29);
        expectRefused(ops, "ops.pth", {"truncated"});
    }
    // A real state dict stays far inside the budget.
    test::PickleWriter real;
    real.proto().emptyDict().mark();
    for (int i = 0; i < 300; ++i) real.str("features." + std::to_string(i) + ".weight").tensor(std::to_string(i), 4, 0, {2, 2}, {2, 1});
    real.setItems().stop();
    weights::pickle::SafeUnpickler unpickler(real.bytes(), "real.pth", [](const weights::pickle::Value&) {
        auto v = weights::pickle::Value::make(weights::pickle::Kind::Storage);
        v->tensor = at::zeros({4});
        v->storageNumel = 4;
        return v;
    });
    unpickler.load();
    EXPECT_LT(unpickler.budgetUsed(), 40 * real.bytes().size()) << real.bytes().size() << " bytes of pickle";
}

TEST(WeightsReaderHostile, ZipEntriesMustNotOverlapOrDisagree) {
    using test::le;
    const std::string pickle = oneTensorPickle(6, 0, {6}, {1});
    const std::string blob = test::floatBytes(6);
    // Entry "0" stores, as its own data, entry "1" whole (header and data):
    // the classic way to make a small archive expand many times over.
    const std::string innerName = "archive/data/1", outerName = "archive/data/0";
    const std::string inner = test::zipLocalHeader(innerName, weights::crc32(blob), blob.size(), blob.size()) + blob;
    const std::string pkl = test::zipLocalHeader("archive/data.pkl", weights::crc32(pickle), pickle.size(), pickle.size()) + pickle;
    const std::string outer = test::zipLocalHeader(outerName, weights::crc32(inner), inner.size(), inner.size());
    const std::string locals = pkl + outer + inner;
    const std::string central =
        test::zipCentralHeader("archive/data.pkl", weights::crc32(pickle), pickle.size(), pickle.size(), 0) +
        test::zipCentralHeader(outerName, weights::crc32(inner), inner.size(), inner.size(), pkl.size()) +
        test::zipCentralHeader(innerName, weights::crc32(blob), blob.size(), blob.size(), pkl.size() + outer.size());
    expectRefused(locals + central + test::zipEnd(3, central.size(), locals.size()), "nested.pth",
                  {"overlap", "archive/data/0", "archive/data/1"});

    // Many central entries naming one stored record.
    std::string many = pkl + test::zipLocalHeader(outerName, weights::crc32(blob), blob.size(), blob.size()) + blob;
    std::string dir = test::zipCentralHeader("archive/data.pkl", weights::crc32(pickle), pickle.size(), pickle.size(), 0);
    for (int i = 0; i < 100; ++i)
        dir += test::zipCentralHeader(outerName, weights::crc32(blob), blob.size(), blob.size(), pkl.size());
    expectRefused(many + dir + test::zipEnd(101, dir.size(), many.size()), "many.pth", {"two entries named 'archive/data/0'"});

    // The local header of the pickle disagrees with its central entry:
    // another name, another method, other sizes.
    const std::string good = test::torchZip(pickle, {{"0", blob}});
    const size_t nameAt = 30;  // the first local header's name
    std::string renamed = good;
    renamed[nameAt] = 'X';
    expectRefused(renamed, "renamed.pth", {"names another file"});
    std::string method = good;
    method[8] = 8;
    expectRefused(method, "method.pth", {"another compression method"});
    std::string sized = good;
    sized[22] = static_cast<char>(sized[22] + 1);
    expectRefused(sized, "sizes.pth", {"other sizes"});
}

TEST(WeightsReaderHostile, CompressedEntryIsNeverInflated) {
    // A deflate entry declaring 4 GiB - 16 bytes once inflated: refused
    // without reading or allocating it.
    const std::string pickle = oneTensorPickle(6, 0, {6}, {1});
    AddressSpaceLimit limit(size_t(512) << 20);
    expectRefused(test::torchZip(pickle, {{"0", test::floatBytes(6)}}, 8, 0xfffffff0ull), "deflate.pth",
                  {"compressed entry 'archive/data.pkl'", "never inflated"});
}

TEST(WeightsReaderHostile, HundredThousandStoragesLoadInLinearTime) {
    // One tensor per storage: names are indexed once, so 100,000 storages
    // take about ten times as long as 10,000 (a scan per lookup took 9 s),
    // however loaded the machine is.
    auto timeRead = [](int n) {
        test::PickleWriter p;
        p.proto().emptyDict();
        std::vector<std::pair<std::string, std::string>> storages;
        storages.reserve(n);
        const std::string value = test::floatBytes(1, 2.0f);
        for (int i = 0; i < n; ++i) {
            if (i % 1000 == 0) p.mark();
            p.str("t" + std::to_string(i)).tensor(std::to_string(i), 1, 0, {1}, {1});
            if (i % 1000 == 999 || i == n - 1) p.setItems();
            storages.emplace_back(std::to_string(i), value);
        }
        p.stop();
        const std::string zip = test::torchZip(p.bytes(), storages);
        const auto start = std::chrono::steady_clock::now();
        const auto sd = weights::readStateDictFromBytes(zip, "many.pth");
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        EXPECT_EQ(sd.size(), static_cast<size_t>(n));
        EXPECT_EQ(sd.back().first, "t" + std::to_string(n - 1));
        EXPECT_EQ(sd.back().second.item<float>(), 2.0f);
        return seconds;
    };
    const double small = timeRead(10000);
    const double large = timeRead(100000);
    RecordProperty("seconds_10k", std::to_string(small));
    RecordProperty("seconds_100k", std::to_string(large));
    EXPECT_LT(large, 30 * small + 0.5) << "10,000 storages: " << small << " s, 100,000: " << large << " s";
    EXPECT_LT(large, 20.0);
}

TEST(WeightsReaderHostile, LegacyStoragesMustAllBeStoredAndFitTheFile) {
    // The legacy layout by hand: magic, protocol 1001, sys_info, the object,
    // the storage keys, then per key int64 numel + data.
    auto legacy = [](const std::string& object, const std::vector<std::string>& keys,
                     const std::vector<std::pair<int64_t, std::string>>& data) {
        std::string out = test::lit("\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19.");
        out += test::lit("\x80\x02M\xe9\x03.");
        out += test::lit("\x80\x02}.");
        out += object;
        test::PickleWriter k;
        k.proto().mark();
        for (const auto& key : keys) k.str(key);
        k.op('l').stop();
        out += k.bytes();
        for (const auto& [numel, bytes] : data) out += test::le(static_cast<uint64_t>(numel), 8) + bytes;
        return out;
    };
    test::PickleWriter two;
    two.proto().emptyDict().mark().str("a").tensor("0", 4, 0, {4}, {1}).str("b").tensor("1", 4, 0, {4}, {1}).setItems().stop();
    const std::string four = test::floatBytes(4, 3.0f);
    const auto sd = weights::readStateDictFromBytes(legacy(two.bytes(), {"0", "1"}, {{4, four}, {4, four}}), "ok.pth");
    ASSERT_EQ(sd.size(), 2u);
    EXPECT_TRUE(sd[1].second.equal(at::full({4}, 3.0f)));
    // Storage "1" is used by a tensor but its data is not in the file.
    expectRefused(legacy(two.bytes(), {"0"}, {{4, four}}), "missing.pth", {"storage '1'", "is missing"});
    expectRefused(legacy(two.bytes(), {"0", "0"}, {{4, four}, {4, four}}), "twice.pth", {"stored twice"});
    // Two storages, each smaller than the file in elements and alone, but
    // together more bytes than it holds: refused before allocating.
    test::PickleWriter big;
    big.proto().emptyDict().mark().str("a").tensor("0", 150, 0, {150}, {1}).str("b").tensor("1", 150, 0, {150}, {1}).setItems().stop();
    const std::string bigFile = legacy(big.bytes(), {"0", "1"}, {{150, test::floatBytes(100)}});
    ASSERT_LT(bigFile.size(), 1200u);
    ASSERT_GT(bigFile.size(), 600u);
    expectRefused(bigFile, "total.pth", {"declare more bytes than the file holds"});
}

TEST(WeightsReaderHostile, LongKeysAreRefusedAndDenseNetKeysStillRenamed) {
    // A 32,000-character key: no regex recursion, a message naming the file.
    const std::string longKey(32000, 'k');
    test::PickleWriter p;
    p.proto().emptyDict().mark().str(longKey).tensor("0", 1, 0, {1}, {1}).setItems().stop();
    expectRefused(test::torchZip(p.bytes(), {{"0", test::floatBytes(1)}}), "longkey.pth", {"32000 characters"});
    zoo::Backbone tiny = zoo::createModel("tiny_cnn");
    weights::StateDict sd = weights::stateDictOf(*tiny);
    sd.emplace_back("features.denselayer1.norm.1" + std::string(32000, '1') + ".weight", at::zeros({1}));
    try {
        weights::applyStateDict(*tiny, sd, "long.pth", "tiny_cnn");
        FAIL() << "a 32,000-character key was accepted";
    } catch (const WeightsError& e) {
        EXPECT_NE(std::string(e.what()).find("long.pth"), std::string::npos) << e.what();
        EXPECT_LT(std::string(e.what()).size(), 1000u) << "the key is quoted whole";
    }

    // torchvision's old DenseNet names ("norm.1") still map to "norm1".
    zoo::Backbone densenet = zoo::createModel("densenet121");
    weights::StateDict old;
    int renamed = 0;
    for (const auto& [key, tensor] : weights::stateDictOf(*densenet)) {
        std::string k = key;
        for (const char* part : {".norm1.", ".norm2.", ".conv1.", ".conv2.", ".relu1.", ".relu2."}) {
            const auto at = k.find(part);
            if (at != std::string::npos && k.find("denselayer") != std::string::npos) {
                k = k.substr(0, at + 5) + "." + k.substr(at + 5);
                ++renamed;
                break;
            }
        }
        old.emplace_back(k, at::ones_like(tensor));
    }
    ASSERT_GT(renamed, 100);
    ASSERT_NO_THROW(weights::applyStateDict(*densenet, old, "old-densenet.pth", "densenet121"));
    EXPECT_EQ(test::tensorNamed(weights::stateDictOf(*densenet), "features.denseblock1.denselayer1.norm1.weight").sum().item<float>(),
              64.0f);
}
