#include "core/export/ExportLog.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>

namespace ts::exporting {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kFormat = "transfer-studio-exports";

json recordToJson(const ExportRecord& r) {
    return {{"path", r.path},
            {"format", formatName(r.format)},
            {"bytes", r.bytes},
            {"time", r.time},
            {"checked_on", r.checkedOn},
            {"round_trip", r.roundTrip ? r.roundTrip->toJson() : json(nullptr)}};
}

[[noreturn]] void bad(const std::string& file, size_t entry, const std::string& what) {
    throw IoError("'" + file + "' is damaged: export " + std::to_string(entry + 1) + " " + what +
                  ". Delete the file (it only records past exports) or export again to rewrite it.");
}

std::string textField(const json& j, const char* key, const std::string& file, size_t entry, bool required) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        if (required) bad(file, entry, std::string("has no \"") + key + "\"");
        return {};
    }
    if (!it->is_string()) bad(file, entry, std::string("has a \"") + key + "\" that is not a string");
    const std::string s = it->get<std::string>();
    if (s.size() > 4096) bad(file, entry, std::string("has a \"") + key + "\" longer than 4096 bytes");
    return s;
}

double numberField(const json& j, const char* key, const std::string& file, size_t entry) {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return NAN;
    if (!it->is_number()) bad(file, entry, std::string("has a round-trip \"") + key + "\" that is not a number");
    return it->get<double>();
}

int64_t countField(const json& j, const char* key, const std::string& file, size_t entry) {
    const double v = numberField(j, key, file, entry);
    if (std::isnan(v)) return 0;
    if (v < 0 || v > 9e15 || v != std::floor(v)) bad(file, entry, std::string("has a \"") + key + "\" that is not a count");
    return static_cast<int64_t>(v);
}

} // namespace

std::string exportLogPath(const std::string& runDir) { return (fs::path(runDir) / "exports.json").string(); }

std::string utcTimestamp() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

std::vector<ExportRecord> readExportLog(const std::string& runDir) {
    const std::string file = exportLogPath(runDir);
    std::error_code ec;
    if (!fs::exists(file, ec)) return {};
    if (!fs::is_regular_file(file, ec))
        throw IoError("'" + file + "' is not a regular file. Remove it: it should hold the run's export records.");
    const json j = readJsonFile(file, JsonLimits{16, size_t(8) << 20});
    if (!j.is_object() || j.value("format", std::string()) != kFormat || !j.contains("exports") || !j["exports"].is_array())
        throw IoError("'" + file + "' is not a Transfer Studio export record (it needs \"format\": \"" + kFormat +
                      "\" and an \"exports\" list). Delete it or export again to rewrite it.");
    std::vector<ExportRecord> out;
    const json& list = j["exports"];
    for (size_t i = 0; i < list.size() && i < kMaxExportRecords; ++i) {
        const json& e = list[i];
        if (!e.is_object()) bad(file, i, "is not an object");
        ExportRecord r;
        r.path = textField(e, "path", file, i, true);
        try {
            r.format = parseFormat(textField(e, "format", file, i, true));
        } catch (const ConfigError&) {
            bad(file, i, "has an unknown \"format\" (bundle, onnx or pth)");
        }
        r.bytes = countField(e, "bytes", file, i);
        r.time = textField(e, "time", file, i, false);
        r.checkedOn = textField(e, "checked_on", file, i, false);
        const auto rt = e.find("round_trip");
        if (rt != e.end() && !rt->is_null()) {
            if (!rt->is_object()) bad(file, i, "has a \"round_trip\" that is not an object");
            RoundTripReport t;
            t.format = r.format;
            t.path = textField(*rt, "path", file, i, false);
            t.runtime = textField(*rt, "runtime", file, i, false);
            t.images = countField(*rt, "images", file, i);
            t.top1Agreements = countField(*rt, "top1_agreements", file, i);
            t.top1AgreementRate = numberField(*rt, "top1_agreement_rate", file, i);
            t.maxProbabilityDiff = numberField(*rt, "max_probability_diff", file, i);
            t.maxLogitDiff = numberField(*rt, "max_logit_diff", file, i);
            t.maxAbsLogit = numberField(*rt, "max_abs_logit", file, i);
            t.modelAccuracy = numberField(*rt, "model_accuracy", file, i);
            t.exportAccuracy = numberField(*rt, "export_accuracy", file, i);
            r.roundTrip = t;
        }
        out.push_back(std::move(r));
    }
    return out;
}

void recordExport(const std::string& runDir, const ExportRecord& record) {
    std::vector<ExportRecord> records;
    try {
        records = readExportLog(runDir);
    } catch (const IoError&) {
        records.clear();  // damaged: it only lists past exports, the new record starts it again
    }
    records.erase(std::remove_if(records.begin(), records.end(), [&](const ExportRecord& r) { return r.path == record.path; }),
                  records.end());
    records.push_back(record);
    if (records.size() > kMaxExportRecords) records.erase(records.begin(), records.end() - kMaxExportRecords);
    json list = json::array();
    for (const auto& r : records) list.push_back(recordToJson(r));
    const json doc = {{"format", kFormat}, {"version", 1}, {"exports", list}};
    writeFileAtomic(exportLogPath(runDir), doc.dump(1) + "\n");
}

} // namespace ts::exporting
