#include "core/train/EpochRecord.h"

#include "core/common/Error.h"

#include <nlohmann/json.hpp>

#include <limits>

namespace ts::train {
namespace {

using nlohmann::json;

[[noreturn]] void wrong(const std::string& source, const std::string& what) {
    throw IoError("An epoch row in " + source + " is damaged: " + what +
                  ". The run's other epochs are not affected; the row cannot be read.");
}

double numberOf(const json& row, const char* key, const std::string& source, double fallback = 0.0) {
    const auto it = row.find(key);
    if (it == row.end()) return fallback;
    if (it->is_null()) return std::numeric_limits<double>::quiet_NaN();
    if (!it->is_number()) wrong(source, std::string("\"") + key + "\" is not a number");
    return it->get<double>();
}

int64_t countOf(const json& v, const char* what, const std::string& source) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0) wrong(source, std::string(what) + " is not a count (a whole number, 0 or more)");
    return v.get<int64_t>();
}

} // namespace

json EpochRecord::toJson() const {
    json perClassRows = json::array();
    for (size_t c = 0; c < perClass.size(); ++c) {
        json entry = {{"precision", perClass[c].precision},
                      {"recall", perClass[c].recall},
                      {"f1", perClass[c].f1},
                      {"support", perClass[c].support}};
        if (c < classNames.size()) entry["class"] = classNames[c];
        perClassRows.push_back(std::move(entry));
    }
    return {{"epoch", epoch},
            {"train_loss", trainLoss},
            {"train_accuracy", trainAccuracy},
            {"val_loss", valLoss},
            {"val_accuracy", valAccuracy},
            {"lr", lr},
            {"seconds", seconds},
            {"best", isBest},
            {"per_class", perClassRows},
            {"confusion", confusion}};
}

EpochRecord EpochRecord::fromJson(const json& row, const std::string& source) {
    if (!row.is_object()) wrong(source, "it is not a JSON object");
    EpochRecord r;
    if (const auto it = row.find("epoch"); it != row.end()) {
        if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > std::numeric_limits<int>::max())
            wrong(source, "\"epoch\" is not an epoch number");
        r.epoch = static_cast<int>(it->get<int64_t>());
    }
    r.trainLoss = numberOf(row, "train_loss", source);
    r.trainAccuracy = numberOf(row, "train_accuracy", source);
    r.valLoss = numberOf(row, "val_loss", source);
    r.valAccuracy = numberOf(row, "val_accuracy", source);
    r.lr = numberOf(row, "lr", source);
    r.seconds = numberOf(row, "seconds", source);
    if (const auto it = row.find("best"); it != row.end()) {
        if (!it->is_boolean()) wrong(source, "\"best\" is not true or false");
        r.isBest = it->get<bool>();
    }
    if (const auto it = row.find("per_class"); it != row.end()) {
        if (!it->is_array()) wrong(source, "\"per_class\" is not a list");
        bool named = true;  // names are kept while every entry so far has one
        for (const json& c : *it) {
            if (!c.is_object()) wrong(source, "an entry of \"per_class\" is not an object");
            ClassMetrics m;
            m.precision = numberOf(c, "precision", source);
            m.recall = numberOf(c, "recall", source);
            m.f1 = numberOf(c, "f1", source);
            if (const auto s = c.find("support"); s != c.end()) m.support = countOf(*s, "a \"support\" of \"per_class\"", source);
            r.perClass.push_back(m);
            const auto name = c.find("class");
            if (name != c.end() && !name->is_string()) wrong(source, "a \"class\" of \"per_class\" is not a text");
            named = named && name != c.end();
            if (named) r.classNames.push_back(name->get<std::string>());
        }
    }
    if (const auto it = row.find("confusion"); it != row.end()) {
        if (!it->is_array()) wrong(source, "\"confusion\" is not a list of rows");
        for (const json& line : *it) {
            if (!line.is_array()) wrong(source, "a row of \"confusion\" is not a list");
            std::vector<int64_t> counts;
            counts.reserve(line.size());
            for (const json& v : line) counts.push_back(countOf(v, "an entry of \"confusion\"", source));
            r.confusion.push_back(std::move(counts));
        }
    }
    return r;
}

} // namespace ts::train
