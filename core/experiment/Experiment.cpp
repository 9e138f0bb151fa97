// The experiment folder (experiment.json, trials.json) and the comparison of
// its trials. The runner is ExperimentRunner.cpp.
#include "core/experiment/Experiment.h"
#include "core/experiment/ExperimentInternal.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/data/Dataset.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>

namespace fs = std::filesystem;
using nlohmann::json;

namespace ts::experiment {
namespace {

const std::vector<std::pair<std::string, TrialStatus>> kStatuses = {{"pending", TrialStatus::Pending},
                                                                    {"running", TrialStatus::Running},
                                                                    {"finished", TrialStatus::Finished},
                                                                    {"stopped", TrialStatus::Stopped},
                                                                    {"failed", TrialStatus::Failed}};

const JsonLimits kIndexLimits{16, size_t(64) << 20};

std::string nowUtc() {
    const std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

bool isTrialId(const std::string& id) {
    if (id.size() < 4 || id.size() > 7 || id[0] != 't') return false;
    return std::all_of(id.begin() + 1, id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

json trialToJson(const TrialRecord& t) {
    return {{"id", t.id},
            {"run_dir", t.runDir},
            {"params", t.params},
            {"status", toString(t.status)},
            {"error", t.error},
            {"stopped_at_epoch", t.stoppedAtEpoch},
            {"reason", t.reason},
            {"seconds", t.seconds},
            {"trainable_parameters", t.trainableParameters},
            {"feature_cache", t.featureCache}};
}

TrialRecord trialFromJson(const json& j, const std::string& source) {
    auto bad = [&](const std::string& what) {
        return IoError("'" + source + "' is damaged: " + what +
                       ". Restore it, or start the experiment again in a new folder.");
    };
    if (!j.is_object()) throw bad("a trial is not an object");
    TrialRecord t;
    const auto text = [&](const char* key, size_t maxBytes, bool required) -> std::string {
        const auto it = j.find(key);
        if (it == j.end()) {
            if (required) throw bad(std::string("a trial has no \"") + key + "\"");
            return {};
        }
        if (!it->is_string() || it->get_ref<const std::string&>().size() > maxBytes)
            throw bad(std::string("a trial's \"") + key + "\" is not a text of at most " + std::to_string(maxBytes) +
                      " bytes");
        return it->get<std::string>();
    };
    t.id = text("id", 16, true);
    if (!isTrialId(t.id)) throw bad("the trial id \"" + printable(t.id, 16) + "\" is not t followed by digits");
    t.runDir = text("run_dir", 64, true);
    if (t.runDir != "runs/" + t.id)
        throw bad("trial " + t.id + " has run_dir \"" + printable(t.runDir, 64) + "\"; it must be runs/" + t.id);
    if (!j.contains("params") || !j.at("params").is_object() || j.at("params").size() > 64)
        throw bad("trial " + t.id + " has no params object");
    t.params = j.at("params");
    const std::vector<std::string> keys = axisKeys();
    for (const auto& item : t.params.items()) {
        if (std::find(keys.begin(), keys.end(), item.key()) == keys.end())
            throw bad("trial " + t.id + " varies \"" + printable(item.key(), 60) + "\", which is not a config key");
        const auto& v = item.value();
        if (!(v.is_number() || v.is_boolean() || (v.is_string() && v.get_ref<const std::string&>().size() <= 4096)))
            throw bad("trial " + t.id + " has a bad value for " + item.key());
    }
    try {
        t.status = trialStatusFromString(text("status", 16, true));
    } catch (const ConfigError& e) {
        throw bad("trial " + t.id + ": " + e.what());
    }
    t.error = printable(text("error", 1 << 16, false), 4000);
    t.reason = printable(text("reason", 4096, false), 1000);
    t.featureCache = text("feature_cache", 256, false);
    if (!t.featureCache.empty() &&
        (t.featureCache.rfind("cache/", 0) != 0 || t.featureCache.find("..") != std::string::npos))
        throw bad("trial " + t.id + " names a feature cache outside the experiment's cache/ folder");
    if (const auto it = j.find("stopped_at_epoch"); it != j.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > 100000)
            throw bad("trial " + t.id + " has a bad stopped_at_epoch");
        t.stoppedAtEpoch = static_cast<int>(it->get<int64_t>());
    }
    if (const auto it = j.find("seconds"); it != j.end()) {
        if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() < 0)
            throw bad("trial " + t.id + " has bad seconds");
        t.seconds = it->get<double>();
    }
    if (const auto it = j.find("trainable_parameters"); it != j.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 0)
            throw bad("trial " + t.id + " has bad trainable_parameters");
        t.trainableParameters = it->get<int64_t>();
    }
    return t;
}


/// True when `dir` holds only what createExperiment() writes before
/// experiment.json: trials.json (or its temporary file), empty runs/ and cache/.
bool unfinishedCreation(const std::string& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name == "runs" || name == "cache") {
            if (!e.is_directory(ec) || !fs::is_empty(e.path(), ec)) return false;
        } else if (name != "trials.json" && name.rfind("trials.json.tmp-", 0) != 0 &&
                   name.rfind("experiment.json.tmp-", 0) != 0) {
            return false;
        }
    }
    return !ec;
}

}  // namespace

namespace detail {

std::vector<train::EpochRecord> readMetrics(const std::string& runPath) {
    const std::string path = runPath + "/metrics.jsonl";
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return {};
    const auto size = fs::file_size(path, ec);
    if (ec || size > (uintmax_t(64) << 20)) throw IoError("'" + path + "' cannot be read or is larger than 64 MiB.");
    std::ifstream in(path, std::ios::binary);
    std::vector<train::EpochRecord> rows;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        const std::string where = path + " (line " + std::to_string(n) + ")";
        json row = parseJson(line, where, JsonLimits{8, size_t(64) << 20});
        rows.push_back(train::EpochRecord::fromJson(row, where));
    }
    return rows;
}

bool ranksBefore(const std::vector<train::EpochRecord>& a, const std::string& idA,
                 const std::vector<train::EpochRecord>& b, const std::string& idB, int untilA, int untilB) {
    return experiment::ranksBefore(scoreRun(a, untilA), idA, scoreRun(b, untilB), idB);
}

}  // namespace detail

RunScore scoreRun(const std::vector<train::EpochRecord>& epochs, int untilEpoch) {
    RunScore s;
    for (const auto& r : epochs) {
        if (untilEpoch > 0 && r.epoch > untilEpoch) continue;
        if (std::isfinite(r.valLoss)) s.lowestLoss = std::min(s.lowestLoss, r.valLoss);
        if (!std::isfinite(r.valAccuracy)) continue;
        if (!s.any || r.valAccuracy > s.accuracy) {
            s.any = true;
            s.accuracy = r.valAccuracy;
            s.epoch = r.epoch;
            s.lossAtBest = r.valLoss;
        }
    }
    return s;
}

bool ranksBefore(const RunScore& a, const std::string& idA, const RunScore& b, const std::string& idB) {
    if (a.any != b.any) return a.any;
    if (a.any && a.accuracy != b.accuracy) return a.accuracy > b.accuracy;
    if (a.lowestLoss != b.lowestLoss) return a.lowestLoss < b.lowestLoss;
    return idA < idB;
}

std::string toString(TrialStatus status) {
    for (const auto& [name, s] : kStatuses)
        if (s == status) return name;
    return "?";
}

TrialStatus trialStatusFromString(const std::string& name) {
    for (const auto& [n, s] : kStatuses)
        if (n == name) return s;
    throw ConfigError("unknown trial status \"" + printable(name, 20) +
                      "\" (use pending, running, finished, stopped or failed)");
}

train::TrainConfig Experiment::configOf(const TrialRecord& t) const {
    return applyParams(spec.base, t.params, "Trial " + t.id + " of '" + dir + "'");
}

Experiment loadExperiment(const std::string& expDir) {
    const std::string specPath = expDir + "/experiment.json";
    std::error_code ec;
    if (!fs::is_regular_file(specPath, ec))
        throw IoError("'" + printable(expDir, 300) +
                      "' is not an experiment folder (it has no experiment.json). Start "
                      "an experiment with `tstudio experiment run --config BASE.json --grid KEY=V1,V2 --out " +
                      printable(expDir, 300) + "`.");
    const json j = readJsonFile(specPath, kIndexLimits);
    if (!j.is_object() || j.value("format", std::string()) != kExperimentFormat)
        throw IoError("'" + specPath + "' is not a Transfer Studio experiment (its \"format\" is not \"" +
                      kExperimentFormat + "\").");
    const auto version = j.find("version");
    if (version == j.end() || !version->is_number_integer())
        throw IoError("'" + specPath +
                      "' has no version number; it is damaged. Start the experiment again in a new folder.");
    if (version->get<int64_t>() != kExperimentVersion)
        throw IoError("'" + specPath + "' is version " + printable(version->dump(), 20) +
                      "; this Transfer Studio reads "
                      "version " +
                      std::to_string(kExperimentVersion) + ". Open it with the version that wrote it.");
    Experiment ex;
    ex.dir = expDir;
    ex.spec = specFromJson(j, specPath);
    const auto created = j.find("created");
    if (created != j.end() && created->is_string()) ex.created = printable(created->get<std::string>(), 40);

    const std::string indexPath = expDir + "/trials.json";
    if (!fs::is_regular_file(indexPath, ec))
        throw IoError("'" + indexPath +
                      "' is missing: the experiment's index of trials is gone. Start the experiment "
                      "again in a new folder.");
    const json index = readJsonFile(indexPath, kIndexLimits);
    if (!index.is_object() || !index.contains("trials") || !index.at("trials").is_array())
        throw IoError("'" + indexPath +
                      "' is damaged: it has no \"trials\" list. Start the experiment again in a new folder.");
    if (index.at("trials").size() > kMaxTrials || index.at("trials").empty())
        throw IoError("'" + indexPath + "' is damaged: it lists " + std::to_string(index.at("trials").size()) +
                      " trials (1 to " + std::to_string(kMaxTrials) + " are possible).");
    std::set<std::string> ids;
    for (const auto& entry : index.at("trials")) {
        TrialRecord t = trialFromJson(entry, indexPath);
        if (!ids.insert(t.id).second)
            throw IoError("'" + indexPath + "' is damaged: trial " + t.id + " is listed twice.");
        ex.trials.push_back(std::move(t));
    }
    // Every trial's params must make a valid config of the base, as they did when the experiment was created.
    for (const auto& t : ex.trials) {
        try {
            (void)ex.configOf(t);
        } catch (const ConfigError& e) {
            throw IoError("'" + indexPath + "' is damaged: " + e.what() +
                          " Restore it, or start the experiment again in a new folder.");
        }
    }
    return ex;
}

void saveTrials(const Experiment& experiment) {
    json trials = json::array();
    for (const auto& t : experiment.trials) trials.push_back(trialToJson(t));
    writeFileAtomic(experiment.dir + "/trials.json", json({{"trials", trials}}).dump(1) + "\n");
}

Experiment createExperiment(const ExperimentSpec& specIn, const std::vector<TrialPlan>& trials,
                            const std::string& expDir) {
    if (expDir.empty()) throw ConfigError("No experiment folder was given: pass --out EXP_DIR.");
    if (trials.empty()) throw ConfigError("The experiment has no trials.");
    // Absolute paths: the experiment resumes from any working directory.
    ExperimentSpec spec = specIn;
    auto absolute = [](std::string& path) {
        if (path.empty()) return;
        std::error_code ec;
        const fs::path abs = fs::absolute(path, ec);
        if (!ec) path = abs.lexically_normal().string();
    };
    absolute(spec.base.dataDir);
    absolute(spec.base.weightsFile);
    for (auto& f : spec.base.excludeFiles) absolute(f);
    const json specJson = specToJson(spec);

    std::error_code ec;
    const std::string shown = printable(expDir, 300);
    if (fs::exists(expDir, ec) && !fs::is_directory(expDir, ec))
        throw ConfigError("The experiment folder '" + shown + "' is a file. Choose a new folder with --out.");
    if (fs::exists(expDir, ec) && !fs::is_empty(expDir, ec) && !fs::exists(expDir + "/experiment.json", ec) &&
        unfinishedCreation(expDir)) {
        // Interrupted while it was being created (experiment.json comes
        // last): nothing was trained, so it is created again.
        for (const char* name : {"trials.json", "runs", "cache"}) fs::remove_all(expDir + "/" + name, ec);
    }
    if (fs::exists(expDir, ec) && !fs::is_empty(expDir, ec)) {
        if (!fs::exists(expDir + "/experiment.json", ec))
            throw ConfigError("The experiment folder '" + shown +
                              "' is not empty and holds no experiment. Choose a new "
                              "or empty folder with --out.");
        Experiment existing = loadExperiment(expDir);
        bool same = specToJson(existing.spec) == specJson && existing.trials.size() == trials.size();
        for (size_t i = 0; same && i < trials.size(); ++i)
            same = existing.trials[i].id == trials[i].id && existing.trials[i].params == trials[i].params;
        if (!same)
            throw ConfigError("The folder '" + shown + "' already holds another experiment (created " +
                              (existing.created.empty() ? std::string("earlier") : existing.created) + ", " +
                              std::to_string(existing.trials.size()) +
                              " trials, other settings). Choose a new folder "
                              "with --out, or continue that one with `tstudio experiment resume " +
                              shown + "`.");
        return existing;
    }
    // Every trial's data folder exists before anything is created.
    std::set<std::string> checked;
    for (const auto& t : trials) {
        std::string data = t.config.dataDir;
        absolute(data);
        if (!checked.insert(data).second) continue;
        if (!fs::is_directory(data, ec))
            throw ConfigError("The data folder '" + printable(data, 300) + "' (data_dir of trial " + t.id +
                              ") does not exist or is not a folder. Fix data_dir in the base config.");
    }
    Experiment ex;
    ex.dir = expDir;
    ex.spec = spec;
    ex.created = nowUtc();
    for (const auto& plan : trials) {
        TrialRecord t;
        t.id = plan.id;
        t.runDir = "runs/" + plan.id;
        t.params = plan.params;
        ex.trials.push_back(std::move(t));
    }
    fs::create_directories(expDir + "/runs", ec);
    if (!ec) fs::create_directories(expDir + "/cache", ec);
    if (ec) throw IoError("Cannot create the experiment folder '" + shown + "': " + ec.message() + ".");
    json j = {{"format", kExperimentFormat}, {"version", kExperimentVersion}, {"created", ex.created}};
    j.update(specJson);
    saveTrials(ex);
    // experiment.json last: a folder with it is a complete experiment.
    writeFileAtomic(expDir + "/experiment.json", j.dump(1) + "\n");
    return ex;
}

std::vector<CompareRow> compareExperiment(const std::string& expDir) {
    const Experiment ex = loadExperiment(expDir);
    std::vector<CompareRow> rows;
    std::vector<std::vector<train::EpochRecord>> metrics;
    for (const auto& t : ex.trials) {
        CompareRow r;
        r.id = t.id;
        r.runDir = t.runDir;
        r.runPath = ex.runPath(t);
        r.params = t.params;
        r.status = t.status;
        r.error = t.error;
        r.reason = t.reason;
        r.stoppedAtEpoch = t.stoppedAtEpoch;
        r.seconds = t.seconds;
        r.trainableParameters = t.trainableParameters;
        r.featureCache = t.featureCache;
        try {
            r.epochs = ex.configOf(t).epochs;
        } catch (const Error&) {
            r.epochs = 0;
        }
        auto m = detail::readMetrics(r.runPath);
        const RunScore s = scoreRun(m);
        r.hasMetrics = s.any;
        r.epochsDone = static_cast<int>(m.size());
        if (s.any) {
            r.bestValAccuracy = s.accuracy;
            r.bestValLoss = s.lossAtBest;
            r.bestEpoch = s.epoch;
        }
        for (const auto& row : m)
            if (std::isfinite(row.seconds)) r.epochSeconds += row.seconds;
        std::error_code ec;
        const std::string manifest = r.runPath + "/manifest.json";
        if (!m.empty() && r.epochSeconds > 0 && fs::is_regular_file(manifest, ec)) {
            const data::DatasetIndex index = data::fromManifest(readJsonFile(manifest), manifest);
            r.imagesPerSecond =
                static_cast<double>(index.train.size()) * static_cast<double>(m.size()) / r.epochSeconds;
        }
        rows.push_back(std::move(r));
        metrics.push_back(std::move(m));
    }
    std::vector<size_t> order(rows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
        return detail::ranksBefore(metrics[a], rows[a].id, metrics[b], rows[b].id, 0, 0);
    });
    std::vector<CompareRow> sorted;
    for (size_t i : order) sorted.push_back(std::move(rows[i]));
    return sorted;
}

json toJson(const CompareRow& r) {
    const json none = nullptr;
    return {{"id", r.id},
            {"run_dir", r.runDir},
            {"run_path", r.runPath},
            {"params", r.params},
            {"status", toString(r.status)},
            {"error", r.error},
            {"reason", r.reason},
            {"stopped_at_epoch", r.stoppedAtEpoch},
            {"best_val_accuracy", r.hasMetrics ? json(r.bestValAccuracy) : none},
            {"best_val_loss", r.hasMetrics && std::isfinite(r.bestValLoss) ? json(r.bestValLoss) : none},
            {"best_epoch", r.hasMetrics ? json(r.bestEpoch) : none},
            {"epochs_done", r.epochsDone},
            {"epochs", r.epochs},
            {"seconds", r.seconds},
            {"epoch_seconds", r.epochSeconds},
            {"images_per_second", r.imagesPerSecond},
            {"trainable_parameters", r.trainableParameters},
            {"feature_cache", r.featureCache}};
}

}  // namespace ts::experiment
