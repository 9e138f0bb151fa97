#include "core/train/ConfigKeys.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <string_view>
#include <utility>

namespace ts::train {
namespace {

std::string normalizedKey(std::string_view key) {
    std::string out;
    for (char c : key.substr(0, 64)) out += c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diagonal = up;
        }
    }
    return row[b.size()];
}

} // namespace

std::string suggestConfigKey(const std::string& key, const std::vector<std::string>& known) {
    static const std::vector<std::pair<std::string, std::string>> kAliases = {
        {"learning_rate", "lr"},       {"num_epochs", "epochs"},          {"architecture", "arch"},
        {"model", "arch"},             {"backbone", "arch"},              {"data", "data_dir"},
        {"dataset", "data_dir"},       {"weights", "weights_file"},       {"val_split", "val_fraction"},
        {"validation_split", "val_fraction"}, {"patience", "early_stopping_patience"},
        {"head_hidden", "head_hidden_units"}, {"warmup", "warmup_epochs"}, {"gamma", "step_gamma"},
        {"decay", "weight_decay"},     {"num_workers", "workers"},        {"num_threads", "threads"},
        {"batchsize", "batch_size"},   {"augmentation", "augment"}};
    const std::string k = normalizedKey(key);
    auto isKnown = [&](const std::string& name) { return std::find(known.begin(), known.end(), name) != known.end(); };
    for (const auto& [alias, target] : kAliases)
        if (k == alias && isKnown(target)) return target;
    std::string best;
    size_t bestDistance = std::numeric_limits<size_t>::max();
    for (const auto& name : known) {
        const size_t d = editDistance(k, name);
        if (d < bestDistance) bestDistance = d, best = name;
    }
    const size_t allowed = std::max<size_t>(1, std::min<size_t>(3, k.size() / 3));
    if (bestDistance <= allowed) return best;
    // A key cut short ("batch", "early_stopping").
    if (k.size() >= 4)
        for (const auto& name : known)
            if (name.rfind(k, 0) == 0) return name;
    return "";
}

} // namespace ts::train
