#include "core/experiment/ExperimentSpec.h"

#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/train/ConfigKeys.h"
#include "core/zoo/Registry.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <set>

using nlohmann::json;

namespace ts::experiment {
namespace {

std::string quoted(std::string_view text, size_t maxChars = 80) { return "\"" + printable(text, maxChars) + "\""; }

const json& defaults() {
    static const json d = train::toJson(train::TrainConfig{});
    return d;
}

/// The default value of `key` (dotted for nested ones), or nullptr.
const json* defaultOf(const std::string& key) {
    const json& d = defaults();
    const auto dot = key.find('.');
    if (dot == std::string::npos) {
        const auto it = d.find(key);
        return it == d.end() ? nullptr : &*it;
    }
    const auto outer = d.find(key.substr(0, dot));
    if (outer == d.end() || !outer->is_object()) return nullptr;
    const auto inner = outer->find(key.substr(dot + 1));
    return inner == outer->end() ? nullptr : &*inner;
}

bool isScalar(const json& v) { return v.is_string() || v.is_boolean() || v.is_number(); }
bool isIntegerKey(const json& def) { return def.is_number_integer(); }

/// `j` (a config as JSON) with `key` set to `value`.
void setKey(json& j, const std::string& key, const json& value) {
    const auto dot = key.find('.');
    if (dot == std::string::npos) j[key] = value;
    else j[key.substr(0, dot)][key.substr(dot + 1)] = value;
}

/// A key an axis may name, or a ConfigError saying what to use.
const json& checkedKey(const std::string& key, const std::string& where) {
    const json* def = defaultOf(key);
    if (!def) {
        const std::string suggestion = train::suggestConfigKey(key, axisKeys());
        throw ConfigError("Unknown axis key " + quoted(key, 60) + " in " + where +
                          (suggestion.empty() ? std::string() : " (did you mean \"" + suggestion + "\"?)") +
                          ". An axis is a training config key, dotted for nested ones (e.g. lr, freeze, "
                          "augment.preset); every key: docs/config.md.");
    }
    if (!isScalar(*def))
        throw ConfigError("The key " + quoted(key, 60) + " in " + where +
                          " holds a list or an object and cannot be an axis. Vary a key with one value (e.g. "
                          "augment.preset instead of augment), or set it in the base config.");
    return *def;
}

/// Throws when `value` is not something `key` can take (the config's own
/// reader decides; architectures are checked against the zoo).
void checkValue(const std::string& key, const json& value, const std::string& shown, const std::string& where) {
    json j = defaults();
    setKey(j, key, value);
    try {
        const train::TrainConfig c = train::trainConfigFromJson(j);
        if (key == "arch") (void)zoo::registryEntry(c.arch);
    } catch (const Error& e) {
        throw ConfigError(where + ": " + shown + " is not a value " + key + " can take: " + e.what());
    }
}

/// The text of one value typed as `key`'s config value.
json parseValue(const std::string& key, const json& def, const std::string& text, const std::string& where) {
    const std::string shown = quoted(text, 60);
    if (def.is_string()) return text;
    if (def.is_boolean()) {
        if (text == "true") return true;
        if (text == "false") return false;
        throw ConfigError(where + ": " + shown + " is not a value " + key + " can take: use true or false.");
    }
    // A number: whole numbers stay whole (epochs=3, seed=18446744073709551615).
    const bool digits = !text.empty() && text.size() <= 20 &&
                        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (digits) {
        errno = 0;
        const unsigned long long v = std::strtoull(text.c_str(), nullptr, 10);
        if (errno == 0) return static_cast<uint64_t>(v);
    }
    errno = 0;
    char* end = nullptr;
    const double d = std::strtod(text.c_str(), &end);
    if (text.empty() || errno != 0 || end != text.c_str() + text.size() || !std::isfinite(d) ||
        std::isspace(static_cast<unsigned char>(text[0])))
        throw ConfigError(where + ": " + shown + " is not a value " + key + " can take: " + key +
                          " is a number (e.g. " + printable(def.dump(), 20) + ").");
    if (isIntegerKey(def) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
    return d;
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (true) {
        const auto at = text.find(sep, start);
        parts.push_back(text.substr(start, at == std::string::npos ? std::string::npos : at - start));
        if (at == std::string::npos) break;
        start = at + 1;
    }
    return parts;
}

/// A uniform double in [0, 1) from the generator's next 53 bits (the same on
/// every platform, unlike std::uniform_real_distribution).
double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }
uint64_t below(std::mt19937_64& rng, uint64_t n) { return n <= 1 ? 0 : rng() % n; }

/// `v` with 3 significant digits, kept within [lo, hi].
double roundSignificant(double v, double lo, double hi) {
    if (v == 0) return v;
    char buf[40];
    std::snprintf(buf, sizeof buf, "%.2e", v);
    const double r = std::strtod(buf, nullptr);
    return std::min(hi, std::max(lo, r));
}

json sampleRange(const Axis& a, const json& def, std::mt19937_64& rng) {
    const double u = unit(rng);
    if (isIntegerKey(def)) {
        const double lo = std::ceil(a.lo), hi = std::floor(a.hi);
        double v = a.logScale ? std::exp(std::log(lo) + u * (std::log(hi + 1) - std::log(lo))) : lo + u * (hi - lo + 1);
        v = std::min(hi, std::max(lo, std::floor(v)));
        return static_cast<int64_t>(v);
    }
    const double v =
        a.logScale ? std::exp(std::log(a.lo) + u * (std::log(a.hi) - std::log(a.lo))) : a.lo + u * (a.hi - a.lo);
    return roundSignificant(v, a.lo, a.hi);
}

void checkAxes(const std::vector<Axis>& axes, bool rangesAllowed) {
    std::set<std::string> seen;
    for (const auto& a : axes) {
        if (!seen.insert(a.key).second)
            throw ConfigError("The axis " + quoted(a.key, 60) +
                              " is given twice. List all its values in one --grid KEY=V1,V2.");
        if (a.isRange && !rangesAllowed)
            throw ConfigError("The axis " + quoted(a.key, 60) + " is a range (" + printable(json(a.lo).dump()) + ":" +
                              printable(json(a.hi).dump()) +
                              "); a grid needs a list of values. Sample ranges with "
                              "--random N, or list values: --grid " +
                              a.key + "=V1,V2.");
        if (!a.isRange && a.values.empty())
            throw ConfigError("The axis " + quoted(a.key, 60) +
                              " has no values: an empty grid trains nothing. Give at "
                              "least one value, e.g. --grid lr=0.01,0.001.");
    }
}

}  // namespace

std::vector<std::string> axisKeys() {
    std::vector<std::string> keys;
    for (const auto& item : defaults().items()) {
        if (item.value().is_object()) {
            for (const auto& inner : item.value().items())
                if (isScalar(inner.value())) keys.push_back(item.key() + "." + inner.key());
        } else if (isScalar(item.value())) {
            keys.push_back(item.key());
        }
    }
    return keys;
}

std::string trialId(size_t index) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "t%03zu", index);
    return buf;
}

std::string toString(SearchMode mode) {
    switch (mode) {
    case SearchMode::Grid: return "grid";
    case SearchMode::Random: return "random";
    case SearchMode::Preset: return "preset";
    }
    return "?";
}

Axis parseAxis(const std::string& text, const std::string& where) {
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0)
        throw ConfigError(where + " expects KEY=V1,V2[,...] or KEY=LO:HI[:log] (e.g. lr=0.01,0.001 or "
                                  "lr=1e-4:1e-2:log).");
    Axis axis;
    axis.key = text.substr(0, eq);
    const json& def = checkedKey(axis.key, where);
    const std::string rhs = text.substr(eq + 1);
    if (rhs.empty())
        throw ConfigError(where + " gives " + axis.key +
                          " no values: an empty grid trains nothing. List at least one "
                          "value, e.g. " +
                          axis.key + "=" + printable(def.is_string() ? def.get<std::string>() : def.dump(), 30) + ".");
    // A range: a numeric key with LO:HI[:log] (text keys may hold ':', e.g. freeze=last:2).
    if (def.is_number() && rhs.find(':') != std::string::npos && rhs.find(',') == std::string::npos) {
        const auto parts = split(rhs, ':');
        if (parts.size() < 2 || parts.size() > 3 || (parts.size() == 3 && parts[2] != "log"))
            throw ConfigError(where + ": a range is LO:HI or LO:HI:log (e.g. lr=1e-4:1e-2:log), not " +
                              quoted(rhs, 60) + ".");
        const json lo = parseValue(axis.key, def, parts[0], where), hi = parseValue(axis.key, def, parts[1], where);
        checkValue(axis.key, lo, quoted(parts[0], 40), where);
        checkValue(axis.key, hi, quoted(parts[1], 40), where);
        axis.isRange = true;
        axis.lo = lo.get<double>();
        axis.hi = hi.get<double>();
        axis.logScale = parts.size() == 3;
        if (!(axis.lo < axis.hi)) throw ConfigError(where + ": the range " + quoted(rhs, 60) + " needs LO below HI.");
        if (axis.logScale && !(axis.lo > 0))
            throw ConfigError(where + ": a log range needs LO above 0 (got " + quoted(parts[0], 40) + ").");
        return axis;
    }
    const auto items = split(rhs, ',');
    if (items.size() > kMaxAxisValues)
        throw ConfigError(where + " lists " + std::to_string(items.size()) + " values; at most " +
                          std::to_string(kMaxAxisValues) + " are allowed.");
    for (const auto& item : items) {
        if (item.empty())
            throw ConfigError(where + " has an empty value (two commas, or one at an end). Write KEY=V1,V2.");
        const json v = parseValue(axis.key, def, item, where);
        checkValue(axis.key, v, quoted(item, 60), where);
        for (const auto& earlier : axis.values)
            if (earlier == v)
                throw ConfigError(where + " lists " + quoted(item, 60) +
                                  " twice; each value makes one trial, list it once.");
        axis.values.push_back(v);
    }
    return axis;
}

std::vector<std::string> presetNames() { return {"seed-strategies"}; }

std::vector<json> presetTrials(const std::string& name, const train::TrainConfig& base) {
    if (name != "seed-strategies")
        throw ConfigError("Unknown experiment preset " + quoted(name, 60) + ": use seed-strategies.");
    return {{{"freeze", "feature-extraction"}, {"augment.preset", "none"}},
            {{"freeze", "feature-extraction"}, {"augment.preset", "standard"}},
            {{"freeze", "last:2"}, {"augment.preset", "standard"}, {"lr", base.lr / 10}}};
}

train::TrainConfig applyParams(const train::TrainConfig& base, const json& params, const std::string& where) {
    if (!params.is_object()) throw ConfigError(where + ": its params must be an object of keys and values.");
    json j = train::toJson(base);
    for (const auto& item : params.items()) {
        checkedKey(item.key(), where);
        if (!isScalar(item.value()))
            throw ConfigError(where + ": the value of " + item.key() + " must be a number, a text or true/false.");
        setKey(j, item.key(), item.value());
    }
    try {
        train::TrainConfig c = train::trainConfigFromJson(j);
        c.validate();
        (void)zoo::registryEntry(c.arch);
        return c;
    } catch (const Error& e) {
        throw ConfigError(where + " (" + printable(params.dump(), 200) + "): " + e.what());
    }
}

std::vector<TrialPlan> expandTrials(const ExperimentSpec& spec) {
    if (spec.halvingEta != 0 && (spec.halvingEta < 2 || spec.halvingEta > 100))
        throw ConfigError("--halving must be from 2 to 100 (got " + std::to_string(spec.halvingEta) +
                          "): 3 keeps the best third of the trials at every rung.");
    try {
        spec.base.validate();
    } catch (const ConfigError& e) {
        throw ConfigError(std::string("The base config: ") + e.what());
    }
    std::vector<json> params;
    switch (spec.mode) {
    case SearchMode::Preset:
        if (!spec.axes.empty())
            throw ConfigError("A preset (" + printable(spec.preset, 40) +
                              ") sets its own trials; it cannot be combined "
                              "with --grid. Run the grid as another experiment.");
        params = presetTrials(spec.preset, spec.base);
        break;
    case SearchMode::Grid:
    case SearchMode::Random: {
        if (spec.axes.empty())
            throw ConfigError(
                "The experiment has no axis: an empty grid trains nothing. Give one with --grid KEY=V1,V2 "
                "(e.g. --grid lr=0.01,0.001), or use --preset seed-strategies.");
        const bool random = spec.mode == SearchMode::Random;
        checkAxes(spec.axes, random);
        bool anyRange = false;
        uint64_t gridSize = 1;
        for (const auto& a : spec.axes) {
            anyRange = anyRange || a.isRange;
            if (!a.isRange) gridSize = std::min<uint64_t>(gridSize * a.values.size(), uint64_t(1) << 40);
        }
        auto point = [&](uint64_t index) {
            json p = json::object();
            for (size_t k = spec.axes.size(); k-- > 0;) {
                const auto& a = spec.axes[k];
                p[a.key] = a.values[index % a.values.size()];
                index /= a.values.size();
            }
            return p;
        };
        if (!random) {
            if (gridSize > kMaxTrials)
                throw ConfigError("The grid has " + std::to_string(gridSize) + " trials; at most " +
                                  std::to_string(kMaxTrials) + " are allowed. Use fewer values, or --random N.");
            for (uint64_t i = 0; i < gridSize; ++i) params.push_back(point(i));
            break;
        }
        if (spec.randomTrials < 1 || static_cast<size_t>(spec.randomTrials) > kMaxTrials)
            throw ConfigError("--random must be from 1 to " + std::to_string(kMaxTrials) + " (got " +
                              std::to_string(spec.randomTrials) + ").");
        std::mt19937_64 rng(spec.seed);
        if (!anyRange) {
            // Distinct grid points, drawn without replacement, in grid order.
            const uint64_t n = std::min<uint64_t>(static_cast<uint64_t>(spec.randomTrials), gridSize);
            std::set<uint64_t> chosen;
            if (gridSize <= 100000) {
                std::vector<uint64_t> all(gridSize);
                for (uint64_t i = 0; i < gridSize; ++i) all[i] = i;
                for (uint64_t i = 0; i < n; ++i) std::swap(all[i], all[i + below(rng, gridSize - i)]);
                chosen.insert(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
            } else {
                while (chosen.size() < n) chosen.insert(below(rng, gridSize));
            }
            for (uint64_t i : chosen) params.push_back(point(i));
            break;
        }
        for (int t = 0; t < spec.randomTrials; ++t) {
            json p = json::object();
            for (const auto& a : spec.axes)
                p[a.key] = a.isRange ? sampleRange(a, *defaultOf(a.key), rng) : a.values[below(rng, a.values.size())];
            params.push_back(p);
        }
        break;
    }
    }
    std::vector<TrialPlan> trials;
    trials.reserve(params.size());
    for (size_t i = 0; i < params.size(); ++i) {
        TrialPlan t;
        t.id = trialId(i);
        t.params = params[i];
        t.config = applyParams(spec.base, t.params, "Trial " + t.id);
        trials.push_back(std::move(t));
    }
    return trials;
}

json specToJson(const ExperimentSpec& spec) {
    json axes = json::array();
    for (const auto& a : spec.axes) {
        if (a.isRange) axes.push_back({{"key", a.key}, {"range", {{"lo", a.lo}, {"hi", a.hi}, {"log", a.logScale}}}});
        else axes.push_back({{"key", a.key}, {"values", a.values}});
    }
    return {{"base_config", train::toJson(spec.base)},
            {"axes", axes},
            {"mode", toString(spec.mode)},
            {"random_trials", spec.randomTrials},
            {"seed", spec.seed},
            {"halving_eta", spec.halvingEta},
            {"preset", spec.preset}};
}

ExperimentSpec specFromJson(const json& j, const std::string& source) {
    auto bad = [&](const std::string& what) {
        return IoError("'" + source + "' is damaged: " + what + ". Start the experiment again in a new folder.");
    };
    if (!j.is_object()) throw bad("it is not a JSON object");
    ExperimentSpec spec;
    if (!j.contains("base_config") || !j.at("base_config").is_object()) throw bad("\"base_config\" is missing");
    try {
        spec.base = train::trainConfigFromJson(j.at("base_config"));
    } catch (const ConfigError& e) {
        throw ConfigError("In '" + source + "', base_config: " + e.what());
    }
    const std::string mode = j.value("mode", std::string());
    if (mode == "grid") spec.mode = SearchMode::Grid;
    else if (mode == "random") spec.mode = SearchMode::Random;
    else if (mode == "preset") spec.mode = SearchMode::Preset;
    else throw bad("\"mode\" must be grid, random or preset");
    auto integer = [&](const char* key, int64_t lo, int64_t hi) -> int64_t {
        const auto it = j.find(key);
        if (it == j.end() || !it->is_number_integer() || it->get<int64_t>() < lo || it->get<int64_t>() > hi)
            throw bad(std::string("\"") + key + "\" must be a whole number from " + std::to_string(lo) + " to " +
                      std::to_string(hi));
        return it->get<int64_t>();
    };
    spec.randomTrials = static_cast<int>(integer("random_trials", 0, static_cast<int64_t>(kMaxTrials)));
    spec.halvingEta = static_cast<int>(integer("halving_eta", 0, 100));
    const auto seed = j.find("seed");
    if (seed == j.end() || !seed->is_number_unsigned()) throw bad("\"seed\" must be a whole number of 0 or more");
    spec.seed = seed->get<uint64_t>();
    const auto preset = j.find("preset");
    if (preset == j.end() || !preset->is_string() || preset->get_ref<const std::string&>().size() > 64)
        throw bad("\"preset\" must be a short text");
    spec.preset = preset->get<std::string>();
    const auto axes = j.find("axes");
    if (axes == j.end() || !axes->is_array() || axes->size() > 64) throw bad("\"axes\" must be a list");
    for (const auto& a : *axes) {
        if (!a.is_object() || !a.contains("key") || !a.at("key").is_string() ||
            a.at("key").get_ref<const std::string&>().size() > 64)
            throw bad("an axis has no key");
        Axis axis;
        axis.key = a.at("key").get<std::string>();
        const std::string where = "the axis " + quoted(axis.key, 60) + " of '" + source + "'";
        checkedKey(axis.key, where);
        if (a.contains("range")) {
            const json& r = a.at("range");
            if (!r.is_object() || !r.value("lo", json()).is_number() || !r.value("hi", json()).is_number() ||
                !r.value("log", json()).is_boolean())
                throw bad("the range of " + printable(axis.key, 60) + " is damaged");
            axis.isRange = true;
            axis.lo = r.at("lo").get<double>();
            axis.hi = r.at("hi").get<double>();
            axis.logScale = r.at("log").get<bool>();
            if (!(axis.lo < axis.hi) || (axis.logScale && !(axis.lo > 0)))
                throw bad("the range of " + printable(axis.key, 60) + " is invalid");
            checkValue(axis.key, axis.lo, json(axis.lo).dump(), where);
            checkValue(axis.key, axis.hi, json(axis.hi).dump(), where);
        } else {
            const json& values = a.value("values", json());
            if (!values.is_array() || values.size() > kMaxAxisValues)
                throw bad("the values of " + printable(axis.key, 60) + " are damaged");
            for (const auto& v : values) {
                if (!isScalar(v))
                    throw bad("a value of " + printable(axis.key, 60) + " is not a number, text or true/false");
                checkValue(axis.key, v, printable(v.dump(), 60), where);
                axis.values.push_back(v);
            }
        }
        spec.axes.push_back(std::move(axis));
    }
    if (spec.axes.empty() && spec.mode != SearchMode::Preset)
        throw bad("\"axes\" is empty; a " + mode + " search needs at least one axis");
    return spec;
}

}  // namespace ts::experiment
