#include "core/weights/PthReader.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/weights/MappedFile.h"
#include "core/weights/ZipArchive.h"

#include <ATen/ops/empty.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ts::weights {
namespace {

using pickle::Kind;
using pickle::SafeUnpickler;
using pickle::Value;
using pickle::ValuePtr;

constexpr int64_t kLegacyProtocolVersion = 1001;
// 0x1950a86a20f9469cfc6c as pickled (LONG1, little-endian two's complement).
constexpr unsigned char kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int kMaxNesting = 4;

bool hostIsLittleEndian() {
    const uint16_t one = 1;
    unsigned char first;
    std::memcpy(&first, &one, 1);
    return first == 1;
}

// The fields of a storage persistent id:
// ('storage', storage_type, key, location, numel[, view_metadata]).
struct StorageId {
    at::ScalarType dtype = at::kFloat;
    std::string key;
    int64_t numel = 0;
    const Value* viewMetadata = nullptr;  // legacy views: (view_key, offset, size)
};

StorageId parseStorageId(const Value& pid, const std::string& source) {
    auto bad = [&](const std::string& what) {
        return WeightsError("'" + source + "' is not a valid PyTorch weights file: a storage reference is malformed (" +
                            what + "). Download or save the file again.");
    };
    if (pid.kind != Kind::Tuple || pid.items.size() < 5) throw bad("not a 5-tuple");
    const auto& it = pid.items;
    if (it[0]->kind != Kind::Str || it[0]->str != "storage")
        throw bad("unknown kind '" + printable(it[0]->kind == Kind::Str ? it[0]->str : it[0]->typeName(), 40) + "'");
    if (it[1]->kind != Kind::Global || it[1]->global != pickle::GlobalKind::StorageType)
        throw bad("the storage type is a " + it[1]->typeName());
    if (it[2]->kind != Kind::Str) throw bad("the key is not a string");
    if (it[4]->kind != Kind::Int || it[4]->integer < 0) throw bad("the element count is not a count");
    StorageId id;
    id.dtype = it[1]->dtype;
    id.key = it[2]->str;
    id.numel = it[4]->integer;
    if (pid.items.size() > 5 && it[5]->kind != Kind::None) id.viewMetadata = it[5].get();
    return id;
}

int64_t byteCount(int64_t numel, at::ScalarType dtype, const std::string& source) {
    int64_t bytes;
    if (__builtin_mul_overflow(numel, static_cast<int64_t>(c10::elementSize(dtype)), &bytes))
        throw WeightsError("'" + source + "' declares a storage too large to exist; the file is corrupt.");
    return bytes;
}

ValuePtr storageValue(const at::Tensor& flat, int64_t offset, int64_t numel) {
    auto v = Value::make(Kind::Storage);
    v->tensor = flat;
    v->storageOffset = offset;
    v->storageNumel = numel;
    return v;
}

[[noreturn]] void notPyTorch(const std::string& source, const std::string& why) {
    throw WeightsError("'" + source + "' is not a PyTorch weights file (" + why +
                       "). Expected a .pth file written by torch.save (zip or legacy format), or a .safetensors file.");
}

ValuePtr loadZip(std::string_view bytes, const std::string& source) {
    const ZipArchive zip(bytes, source);
    // The pickle is "<folder>/data.pkl"; torch.save names the folder after the file.
    const ZipArchive::Entry* pkl = nullptr;
    for (const auto& e : zip.entries()) {
        const auto slash = e.name.find('/');
        if (slash != std::string::npos && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
            pkl = &e;
            break;
        }
    }
    if (!pkl) {
        if (zip.find("data.pkl") == nullptr && zip.find("constants.pkl") != nullptr)
            notPyTorch(source, "it is a TorchScript archive; load it with torch.jit.load and save model.state_dict()");
        notPyTorch(source, "a zip archive without data.pkl");
    }
    const std::string prefix = pkl->name.substr(0, pkl->name.size() - std::string("data.pkl").size());
    if (const auto* order = zip.find(prefix + "byteorder")) {
        const std::string_view v = zip.read(*order);
        if (v != "little")
            throw WeightsError("'" + source + "' stores its tensors in " + printable(v, 20) +
                               "-endian byte order, which this build does not read. Save it again on a "
                               "little-endian machine (x86, ARM).");
    }

    // Each storage is copied out of the archive once, whatever the number of
    // tensors viewing it; the archive's entries never overlap, so all the
    // copies together are at most the file's size.
    std::unordered_map<std::string, at::Tensor> storages;  // key -> flat tensor
    auto persistentLoad = [&](const Value& pid) -> ValuePtr {
        const StorageId id = parseStorageId(pid, source);
        auto it = storages.find(id.key);
        if (it == storages.end()) {
            const auto* entry = zip.find(prefix + "data/" + id.key);
            if (!entry)
                throw WeightsError("'" + source + "' is incomplete: the tensor data '" + printable(prefix + "data/" + id.key) +
                                   "' is missing from the archive. Download or save the file again.");
            const std::string_view data = zip.read(*entry);
            const int64_t need = byteCount(id.numel, id.dtype, source);
            if (static_cast<uint64_t>(need) > data.size())
                throw WeightsError("'" + source + "' is corrupt: the tensor data '" + printable(entry->name) + "' holds " +
                                   std::to_string(data.size()) + " bytes, less than the " + std::to_string(need) +
                                   " its tensors need. Download or save the file again.");
            at::Tensor flat = at::empty({id.numel}, at::TensorOptions().dtype(id.dtype));
            if (need > 0) std::memcpy(flat.data_ptr(), data.data(), static_cast<size_t>(need));
            it = storages.emplace(id.key, flat).first;
        } else if (it->second.scalar_type() != id.dtype) {
            throw WeightsError("'" + source + "' is corrupt: storage '" + printable(id.key) +
                               "' is referenced with two element types. Download or save the file again.");
        }
        if (id.numel > it->second.numel())
            throw WeightsError("'" + source + "' is corrupt: storage '" + printable(id.key) + "' is referenced with two sizes.");
        return storageValue(it->second, 0, id.numel);
    };
    SafeUnpickler unpickler(zip.read(*pkl), source, persistentLoad);
    return unpickler.load();
}

ValuePtr loadLegacy(std::string_view bytes, const std::string& source) {
    // Storages are allocated when the pickle first names them and filled
    // from the data section after it; views made meanwhile share them.
    // Every storage must then be filled from the data section: one the key
    // list leaves out would hand out uninitialised memory, so it is an error.
    struct Pending {
        at::Tensor flat;
        at::ScalarType dtype;
        bool filled = false;
    };
    std::unordered_map<std::string, Pending> storages;
    uint64_t declaredBytes = 0;  // all storages together, bounded by the file
    auto persistentLoad = [&](const Value& pid) -> ValuePtr {
        const StorageId id = parseStorageId(pid, source);
        auto it = storages.find(id.key);
        if (it == storages.end()) {
            const auto need = static_cast<uint64_t>(byteCount(id.numel, id.dtype, source));
            if (need > bytes.size() - declaredBytes)
                throw WeightsError("'" + source + "' is truncated or corrupt: its storages declare more bytes than the "
                                   "file holds (" + std::to_string(bytes.size()) + " bytes; storage '" +
                                   printable(id.key) + "' alone needs " + std::to_string(need) +
                                   "). Download or save the file again.");
            declaredBytes += need;
            it = storages.emplace(id.key, Pending{at::empty({id.numel}, at::TensorOptions().dtype(id.dtype)), id.dtype}).first;
        } else if (it->second.dtype != id.dtype || it->second.flat.numel() != id.numel) {
            throw WeightsError("'" + source + "' is corrupt: storage '" + printable(id.key) + "' is referenced with two types or sizes.");
        }
        if (!id.viewMetadata) return storageValue(it->second.flat, 0, id.numel);
        const Value& view = *id.viewMetadata;  // (view_key, offset, size), in elements
        if (view.kind != Kind::Tuple || view.items.size() != 3 || view.items[1]->kind != Kind::Int ||
            view.items[2]->kind != Kind::Int || view.items[1]->integer < 0 || view.items[2]->integer < 0 ||
            view.items[1]->integer > id.numel || view.items[2]->integer > id.numel - view.items[1]->integer)
            throw WeightsError("'" + source + "' is corrupt: a storage view of '" + printable(id.key) + "' lies outside it.");
        return storageValue(it->second.flat, view.items[1]->integer, view.items[2]->integer);
    };

    SafeUnpickler unpickler(bytes, source, persistentLoad);
    const ValuePtr magic = unpickler.load();
    if (magic->kind != Kind::BigInt || magic->str.size() != sizeof kLegacyMagic ||
        std::memcmp(magic->str.data(), kLegacyMagic, sizeof kLegacyMagic) != 0)
        notPyTorch(source, "a Python pickle, but without PyTorch's magic number");
    const ValuePtr version = unpickler.load();
    if (version->kind != Kind::Int || version->integer != kLegacyProtocolVersion)
        throw WeightsError("'" + source + "' uses legacy serialization protocol " +
                           (version->kind == Kind::Int ? std::to_string(version->integer) : version->typeName()) +
                           ", which this build does not read (only 1001). Load it in Python and save it again "
                           "with torch.save.");
    const ValuePtr sysInfo = unpickler.load();
    if (sysInfo->kind == Kind::Dict) {
        const ValuePtr little = sysInfo->get("little_endian");
        if (little && little->kind == Kind::Bool && !little->boolean)
            throw WeightsError("'" + source + "' was saved on a big-endian machine; this build reads little-endian "
                               "files only. Save it again on x86 or ARM.");
    }
    ValuePtr result = unpickler.load();
    const ValuePtr keys = unpickler.load();
    if (keys->kind != Kind::List) notPyTorch(source, "its storage key list is missing");

    size_t pos = unpickler.position();
    for (const auto& key : keys->items) {
        if (key->kind != Kind::Str) notPyTorch(source, "a storage key is not a string");
        const auto it = storages.find(key->str);
        if (it == storages.end())
            throw WeightsError("'" + source + "' is corrupt: it stores data for '" + printable(key->str) +
                               "', which no tensor uses.");
        if (it->second.filled)
            throw WeightsError("'" + source + "' is corrupt: the data of storage '" + printable(key->str) +
                               "' is stored twice.");
        it->second.filled = true;
        at::Tensor& flat = it->second.flat;
        auto truncated = [&] {
            return WeightsError("'" + source + "' is truncated: the data of storage '" + printable(key->str) +
                                "' ends early (the file has " + std::to_string(bytes.size()) +
                                " bytes). Download or save the file again.");
        };
        if (bytes.size() - pos < 8) throw truncated();
        int64_t numel = 0;
        std::memcpy(&numel, bytes.data() + pos, 8);
        pos += 8;
        if (numel != flat.numel())
            throw WeightsError("'" + source + "' is corrupt: storage '" + printable(key->str) + "' holds " + std::to_string(numel) +
                               " elements where its tensors expect " + std::to_string(flat.numel()) + ".");
        const auto n = static_cast<uint64_t>(byteCount(numel, it->second.dtype, source));
        if (bytes.size() - pos < n) throw truncated();
        if (n > 0) std::memcpy(flat.data_ptr(), bytes.data() + pos, n);
        pos += n;
    }
    for (const auto& [key, pending] : storages)
        if (!pending.filled)
            throw WeightsError("'" + source + "' is corrupt: the data of storage '" + printable(key) +
                               "' is missing (its key is not in the file's storage list), so its tensors would "
                               "hold no values. Download or save the file again.");
    return result;
}

void collect(const Value& value, const std::string& source, int depth, StateDict& out) {
    if (value.kind != Kind::Dict)
        throw WeightsError("'" + source + "' does not hold a state dict (found a " + value.typeName() +
                           " at the top level). Save the weights with torch.save(model.state_dict(), path).");
    if (depth < kMaxNesting) {
        for (const char* nested : {"state_dict", "model_state_dict", "model"}) {
            const ValuePtr inner = value.get(nested);
            if (inner && inner->kind == Kind::Dict) return collect(*inner, source, depth + 1, out);
        }
    }
    for (const auto& [key, item] : value.entries) {
        if (key->kind != Kind::Str || item->kind != Kind::Tensor) continue;  // "_metadata", epochs, ...
        if (key->str.size() > kMaxStateDictKeyLength)
            throw WeightsError("'" + source + "' holds a tensor key of " + std::to_string(key->str.size()) +
                               " characters ('" + printable(key->str, 60) + "'); no model has keys longer than " +
                               std::to_string(kMaxStateDictKeyLength) + ". The file is damaged or not a state dict.");
        if (out.size() == kMaxStateDictKeys)
            throw WeightsError("'" + source + "' holds more than " + std::to_string(kMaxStateDictKeys) +
                               " tensors, more than any model has. The file is damaged or not a state dict.");
        out.emplace_back(key->str, item->tensor);
    }
}

} // namespace

pickle::ValuePtr loadPth(std::string_view bytes, const std::string& sourceName, PthFormat* format) {
    if (!hostIsLittleEndian())
        throw WeightsError("Reading '" + sourceName + "' needs a little-endian machine; this build runs on a big-endian one.");
    if (bytes.empty()) throw WeightsError("'" + sourceName + "' is empty (0 bytes). Download or save the file again.");
    if (ZipArchive::looksLikeZip(bytes)) {
        if (format) *format = PthFormat::Zip;
        return loadZip(bytes, sourceName);
    }
    if (bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x80 && static_cast<unsigned char>(bytes[1]) <= 5) {
        if (format) *format = PthFormat::Legacy;
        return loadLegacy(bytes, sourceName);
    }
    if (bytes.size() >= 262 && bytes.compare(257, 5, "ustar") == 0)
        notPyTorch(sourceName, "a tar archive: PyTorch's pre-0.4 format, which this build does not read; load it in "
                               "Python and save it again");
    notPyTorch(sourceName, "it is neither a zip archive nor a pickle");
}

pickle::ValuePtr loadPthFile(const std::string& path, PthFormat* format) {
    const MappedFile file(path);
    return loadPth(file.bytes(), path, format);
}

StateDict stateDictFromValue(const pickle::Value& value, const std::string& sourceName) {
    StateDict out;
    collect(value, sourceName, 0, out);
    if (out.empty())
        throw WeightsError("'" + sourceName + "' holds a dictionary but no tensors: it is not a model's state dict.");
    return out;
}

} // namespace ts::weights
