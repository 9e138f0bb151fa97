#include "core/zoo/Registry.h"

#include "core/common/Error.h"
#include "core/zoo/Families.h"

#include <algorithm>

namespace ts::embedded {
const std::vector<std::string>& imagenetCategories();
}

namespace ts::zoo {
namespace {

// Edit distance for "did you mean" suggestions.
size_t editDistance(const std::string& a, const std::string& b) {
    std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        cur[0] = i;
        for (size_t j = 1; j <= b.size(); ++j)
            cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        std::swap(prev, cur);
    }
    return prev[b.size()];
}

std::vector<RegistryEntry> buildRegistry() {
    std::vector<RegistryEntry> r;
    using namespace families;
    for (auto add : {addAlexNet, addVgg, addResNet, addGoogLeNet, addInception, addDenseNet, addSqueezeNet,
                     addMobileNetV2, addMobileNetV3, addShuffleNet, addMnasNet, addEfficientNet, addConvNeXt, addXception, addZfNet, addTiny})
        add(r);
    return r;
}

} // namespace

const std::vector<RegistryEntry>& registry() {
    static const std::vector<RegistryEntry> entries = buildRegistry();
    return entries;
}

std::vector<std::string> modelNames() {
    std::vector<std::string> names;
    for (const auto& e : registry()) names.push_back(e.info.name);
    return names;
}

const RegistryEntry& registryEntry(const std::string& arch) {
    for (const auto& e : registry())
        if (e.info.name == arch) return e;
    std::vector<std::pair<size_t, std::string>> scored;
    for (const auto& e : registry()) scored.emplace_back(editDistance(arch, e.info.name), e.info.name);
    std::sort(scored.begin(), scored.end());
    std::string msg = "Unknown architecture '" + arch + "'.";
    if (!scored.empty() && scored.front().first <= 3) msg += " Did you mean '" + scored.front().second + "'?";
    msg += " Available:";
    for (const auto& e : registry()) msg += " " + e.info.name;
    msg += ". `tstudio models` lists them with their sizes and accuracy.";
    throw ModelError(msg);
}

Backbone createModel(const std::string& arch, const CreateOptions& options) {
    if (options.numClasses <= 0)
        throw ModelError("A " + arch + " model needs at least one output class (got " +
                         std::to_string(options.numClasses) + ").");
    return registryEntry(arch).factory(options);
}

const std::vector<std::string>& imagenetCategories() { return ts::embedded::imagenetCategories(); }

std::string weightsFileName(const ModelInfo& info) {
    const auto slash = info.weightsUrl.rfind('/');
    return slash == std::string::npos ? info.weightsUrl : info.weightsUrl.substr(slash + 1);
}

} // namespace ts::zoo
