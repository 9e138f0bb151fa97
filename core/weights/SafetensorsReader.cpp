#include "core/weights/SafetensorsReader.h"

#include "core/common/Error.h"
#include "core/common/Json.h"

#include <ATen/ops/empty.h>
#include <c10/core/ScalarType.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <set>

namespace ts::weights {
namespace {

constexpr const char* kSupportedDtypes = "F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL";
/// Most dimensions a tensor may have (models use at most 4 or 5).
constexpr size_t kMaxRank = 16;

uint64_t readU64(std::string_view bytes) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
    return v;
}

bool dtypeOf(const std::string& name, at::ScalarType& out) {
    static const std::pair<const char*, at::ScalarType> table[] = {
        {"F32", at::kFloat}, {"F16", at::kHalf},  {"BF16", at::kBFloat16}, {"F64", at::kDouble}, {"I64", at::kLong},
        {"I32", at::kInt},   {"I16", at::kShort}, {"I8", at::kChar},       {"U8", at::kByte},    {"BOOL", at::kBool},
    };
    for (const auto& [n, t] : table)
        if (name == n) {
            out = t;
            return true;
        }
    return false;
}

[[noreturn]] void bad(const std::string& source, const std::string& what) {
    throw WeightsError("'" + source + "' is not a valid safetensors file: " + what + ".");
}

[[noreturn]] void badTensor(const std::string& source, const std::string& name, const std::string& what) {
    throw WeightsError("'" + source + "' is not a valid safetensors file: tensor '" + printable(name, 120) + "' " +
                       what + ". The file is damaged or was not written by a safetensors writer; save or download it "
                              "again.");
}

// A non-negative integer from the header (no floats, no negatives).
bool asUnsigned(const nlohmann::json& v, uint64_t& out) {
    if (v.is_number_unsigned()) {
        out = v.get<uint64_t>();
        return true;
    }
    if (v.is_number_integer() && v.get<int64_t>() >= 0) {
        out = static_cast<uint64_t>(v.get<int64_t>());
        return true;
    }
    return false;
}

struct Entry {
    std::string name;
    at::ScalarType dtype = at::kFloat;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
};

struct Parsed {
    std::vector<Entry> entries;  // sorted by offset
    std::vector<std::pair<std::string, std::string>> metadata;
    std::string_view data;
};

// A tensor named twice: nlohmann keeps only the last value of a repeated key,
// so the top-level keys are watched while the (already bounded) header is
// parsed once more.
void checkNoDuplicates(std::string_view header, const std::string& source) {
    std::set<std::string> seen;
    std::string duplicate;
    int depth = 0;
    auto callback = [&](int /*d*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        switch (event) {
        case nlohmann::json::parse_event_t::object_start:
        case nlohmann::json::parse_event_t::array_start: ++depth; break;
        case nlohmann::json::parse_event_t::object_end:
        case nlohmann::json::parse_event_t::array_end: --depth; break;
        case nlohmann::json::parse_event_t::key:
            if (depth == 1 && duplicate.empty() && !seen.insert(parsed.get<std::string>()).second)
                duplicate = parsed.get<std::string>();
            break;
        default: break;
        }
        return true;
    };
    const nlohmann::json unused = nlohmann::json::parse(header.begin(), header.end(), callback, /*allow_exceptions=*/false);
    (void)unused;
    if (!duplicate.empty())
        bad(source, "its header names the tensor '" + printable(duplicate, 120) +
                        "' twice (each name must appear once; which of the two is meant cannot be told)");
}

Parsed parse(std::string_view bytes, const std::string& source) {
    if (bytes.size() < 8)
        bad(source, "it has " + std::to_string(bytes.size()) +
                        " bytes, fewer than the 8 of the header length that starts the format (truncated?)");
    const uint64_t headerLength = readU64(bytes);
    const uint64_t available = bytes.size() - 8;
    if (headerLength > kMaxSafetensorsHeaderBytes)
        bad(source, "its header length field says " + std::to_string(headerLength) + " bytes, more than the " +
                        std::to_string(kMaxSafetensorsHeaderBytes) +
                        " bytes any safetensors header may have (damaged, or not a safetensors file)");
    if (headerLength > available)
        bad(source, "its header length field says " + std::to_string(headerLength) + " bytes, but only " +
                        std::to_string(available) + " bytes follow it (the file is truncated)");
    if (headerLength < 2) bad(source, "its header is " + std::to_string(headerLength) + " bytes, too short for a JSON object");
    const std::string_view header = bytes.substr(8, static_cast<size_t>(headerLength));
    if (header.front() != '{')
        bad(source, "its header does not start with '{' (a JSON object); it starts with '" +
                        printable(header.substr(0, 16), 16) + "'");
    nlohmann::json doc;
    JsonLimits limits;
    limits.maxDepth = 4;  // the object, a tensor's entry, its shape or offsets (and one to spare)
    limits.maxBytes = static_cast<size_t>(kMaxSafetensorsHeaderBytes);
    try {
        doc = parseJson(header, "header", limits);
    } catch (const Error& e) {
        // parseJson's message, about "'header'", reworded for this file.
        std::string what = e.what();
        if (what.find("levels deep") != std::string::npos)
            bad(source, "its header nests arrays or objects more than " + std::to_string(limits.maxDepth) +
                            " levels deep; a safetensors header needs 3 (the object, a tensor's entry, its shape)");
        const std::string prefix = "'header' ";
        if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
        throw WeightsError("'" + source + "' is not a valid safetensors file: its header " + what);
    }
    if (!doc.is_object()) bad(source, "its header is not a JSON object");
    checkNoDuplicates(header, source);

    Parsed out;
    out.data = bytes.substr(8 + static_cast<size_t>(headerLength));
    const uint64_t dataSize = out.data.size();
    for (const auto& [name, value] : doc.items()) {
        if (name == "__metadata__") {
            if (!value.is_object()) bad(source, "its \"__metadata__\" is not an object of strings");
            for (const auto& [k, v] : value.items()) {
                if (!v.is_string())
                    bad(source, "its \"__metadata__\" entry '" + printable(k, 60) + "' is not a string");
                out.metadata.emplace_back(k, v.get<std::string>());
            }
            continue;
        }
        if (name.size() > kMaxStateDictKeyLength)
            bad(source, "it names a tensor of " + std::to_string(name.size()) + " characters ('" + printable(name, 60) +
                            "'); no model has names longer than " + std::to_string(kMaxStateDictKeyLength));
        if (out.entries.size() == kMaxStateDictKeys)
            bad(source, "it holds more than " + std::to_string(kMaxStateDictKeys) + " tensors, more than any model has");
        if (!value.is_object()) badTensor(source, name, "is not described by an object");
        Entry e;
        e.name = name;
        const auto dtype = value.find("dtype");
        if (dtype == value.end() || !dtype->is_string()) badTensor(source, name, "has no \"dtype\" string");
        if (!dtypeOf(dtype->get<std::string>(), e.dtype))
            badTensor(source, name, "has the dtype '" + printable(dtype->get<std::string>(), 20) +
                                        "', which this reader does not take (supported: " + kSupportedDtypes + ")");
        const auto shape = value.find("shape");
        if (shape == value.end() || !shape->is_array()) badTensor(source, name, "has no \"shape\" array");
        if (shape->size() > kMaxRank)
            badTensor(source, name, "has " + std::to_string(shape->size()) + " dimensions, more than the " +
                                        std::to_string(kMaxRank) + " accepted");
        uint64_t numel = 1;
        bool overflow = false;
        for (const auto& d : *shape) {
            uint64_t dim = 0;
            if (!asUnsigned(d, dim) || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
                badTensor(source, name, "has a shape entry that is not a non-negative integer (" +
                                            printable(d.dump(), 30) + ")");
            e.shape.push_back(static_cast<int64_t>(dim));
            overflow = overflow || __builtin_mul_overflow(numel, dim, &numel);
        }
        uint64_t byteSize = 0;
        overflow = overflow || __builtin_mul_overflow(numel, static_cast<uint64_t>(c10::elementSize(e.dtype)), &byteSize);
        if (overflow || numel > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            badTensor(source, name, "has a shape " + printable(shape->dump(), 80) +
                                        " whose size overflows 64 bits; no file can hold it");
        const auto offsets = value.find("data_offsets");
        if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
            !asUnsigned((*offsets)[0], e.begin) || !asUnsigned((*offsets)[1], e.end))
            badTensor(source, name, "has no \"data_offsets\" pair [begin, end] of non-negative integers");
        if (e.begin > e.end)
            badTensor(source, name, "has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                        "] whose end is before its begin");
        if (e.end > dataSize)
            badTensor(source, name, "has data_offsets [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                                        "] past the end of the data section (" + std::to_string(dataSize) +
                                        " bytes): the file is truncated");
        if (e.end - e.begin != byteSize)
            badTensor(source, name, "has a shape " + printable(shape->dump(), 80) + " of " + std::to_string(byteSize) +
                                        " bytes (" + dtype->get<std::string>() + "), but its data_offsets span " +
                                        std::to_string(e.end - e.begin) + " bytes");
        out.entries.push_back(std::move(e));
    }
    std::stable_sort(out.entries.begin(), out.entries.end(), [](const Entry& a, const Entry& b) {
        return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
    });
    // The data section must be covered exactly, in offset order.
    uint64_t covered = 0;
    const Entry* previous = nullptr;
    for (const auto& e : out.entries) {
        if (e.begin < covered)
            bad(source, "the data of tensors '" + printable(previous->name, 120) + "' [" +
                            std::to_string(previous->begin) + ", " + std::to_string(previous->end) + ") and '" +
                            printable(e.name, 120) + "' [" + std::to_string(e.begin) + ", " + std::to_string(e.end) +
                            ") overlap; each byte of the data section belongs to one tensor");
        if (e.begin > covered)
            bad(source, "bytes [" + std::to_string(covered) + ", " + std::to_string(e.begin) +
                            ") of the data section, before tensor '" + printable(e.name, 120) +
                            "', belong to no tensor; the format requires the tensors to cover the data without holes");
        covered = e.end;
        previous = &e;
    }
    if (covered != dataSize)
        bad(source, std::to_string(dataSize - covered) + " bytes after the last tensor's data (from byte " +
                        std::to_string(covered) + " of the " + std::to_string(dataSize) +
                        "-byte data section) belong to no tensor; the format requires the tensors to cover the data "
                        "without holes");
    return out;
}

} // namespace

bool hasSafetensorsExtension(const std::string& path) {
    static const std::string ext = ".safetensors";
    if (path.size() < ext.size()) return false;
    for (size_t i = 0; i < ext.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(path[path.size() - ext.size() + i])) != ext[i]) return false;
    return true;
}

bool looksLikeSafetensors(std::string_view bytes) {
    if (bytes.size() < 10) return false;
    const uint64_t n = readU64(bytes);
    return n >= 2 && n <= bytes.size() - 8 && bytes[8] == '{';
}

StateDict loadSafetensors(std::string_view bytes, const std::string& sourceName) {
    const Parsed parsed = parse(bytes, sourceName);
    if (parsed.entries.empty())
        throw WeightsError("'" + sourceName + "' is a safetensors file without tensors: it is not a model's weights.");
    StateDict out;
    out.reserve(parsed.entries.size());
    for (const auto& e : parsed.entries) {
        at::Tensor t = at::empty(e.shape, at::TensorOptions().dtype(e.dtype));
        const size_t n = static_cast<size_t>(e.end - e.begin);
        if (n) std::memcpy(t.data_ptr(), parsed.data.data() + e.begin, n);
        if (e.dtype == at::kBool) {
            const auto* p = reinterpret_cast<const unsigned char*>(parsed.data.data() + e.begin);
            for (size_t i = 0; i < n; ++i)
                if (p[i] > 1)
                    badTensor(sourceName, e.name, "is BOOL but holds the byte " + std::to_string(p[i]) + " at element " +
                                                      std::to_string(i) + " (only 0 and 1 are booleans)");
        }
        out.emplace_back(e.name, std::move(t));
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> safetensorsMetadata(std::string_view bytes,
                                                                     const std::string& sourceName) {
    return parse(bytes, sourceName).metadata;
}

} // namespace ts::weights
