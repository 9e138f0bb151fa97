#include "core/weights/StateDict.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/PthReader.h"
#include "core/zoo/Registry.h"

#include <c10/util/Exception.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/serialize.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace ts::weights {
namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

} // namespace

StateDict readStateDictFromBytes(const std::string& bytes, const std::string& sourceName) {
    const auto value = loadPth(bytes, sourceName);
    return stateDictFromValue(*value, sourceName);
}

StateDict readStateDict(const std::string& path) {
    const auto value = loadPthFile(path);
    return stateDictFromValue(*value, path);
}

void writeStateDict(const StateDict& dict, const std::string& path) {
    c10::impl::GenericDict out(c10::StringType::get(), c10::TensorType::get());
    for (const auto& [key, tensor] : dict) out.insert(key, tensor.detach().cpu().contiguous());
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(out));
    writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}

StateDict stateDictOf(const torch::nn::Module& model) {
    // PyTorch's order: module by module, each module's parameters then buffers.
    StateDict out;
    for (const auto& m : model.named_modules("", /*include_self=*/true)) {
        const std::string prefix = m.key().empty() ? "" : m.key() + ".";
        for (const auto& p : m.value()->named_parameters(false)) out.emplace_back(prefix + p.key(), p.value());
        for (const auto& b : m.value()->named_buffers(false)) out.emplace_back(prefix + b.key(), b.value());
    }
    return out;
}

void applyStateDict(torch::nn::Module& model, const StateDict& dict, const std::string& sourceName,
                    const std::string& arch, Match match, const std::string& headPath) {
    std::map<std::string, at::Tensor> targets;
    std::vector<std::string> targetOrder;  // the model's own order, for messages
    for (const auto& [key, value] : stateDictOf(model)) {
        targets.emplace(key, value);
        targetOrder.push_back(key);
    }

    // torchvision's DenseNet loader renames "norm.1" -> "norm1" etc.
    static const std::regex densenetOld(R"(^(.*denselayer\d+\.(?:norm|relu|conv))\.((?:[12])\.(?:weight|bias|running_mean|running_var)))");
    // Official files may hold auxiliary classifiers the zoo does not build
    // (googlenet's aux1/aux2, inception_v3's AuxLogits): skipped, as
    // torchvision deletes them after loading.
    std::vector<std::string> ignoredPrefixes;
    for (const auto& entry : zoo::registry())
        if (entry.info.name == arch) ignoredPrefixes = entry.info.ignoredKeyPrefixes;
    auto isIgnored = [&](const std::string& key) {
        for (const auto& prefix : ignoredPrefixes)
            if (key.rfind(prefix, 0) == 0) return true;
        return false;
    };
    auto isHead = [&](const std::string& key) {
        return match == Match::IgnoreHead && !headPath.empty() &&
               (key == headPath + ".weight" || key == headPath + ".bias" || key.rfind(headPath + ".", 0) == 0);
    };

    std::vector<std::string> unexpected, misShaped;
    std::set<std::string> seen;
    std::vector<std::pair<at::Tensor, at::Tensor>> copies;
    for (const auto& [rawKey, tensor] : dict) {
        std::string key = rawKey;
        if (isIgnored(key) && !targets.count(key)) continue;
        if (!targets.count(key)) {
            std::smatch m;
            if (std::regex_match(key, m, densenetOld)) key = m[1].str() + m[2].str();
        }
        if (key.rfind("module.", 0) == 0 && !targets.count(key) && targets.count(key.substr(7))) key = key.substr(7);
        if (endsWith(key, "num_batches_tracked") && !targets.count(key)) continue;
        const auto it = targets.find(key);
        if (it == targets.end()) {
            if (!isHead(key)) unexpected.push_back(rawKey);
            continue;
        }
        seen.insert(key);
        if (it->second.sizes() != tensor.sizes()) {
            if (!isHead(key)) {
                std::ostringstream s;
                s << key << " (file " << tensor.sizes() << ", model " << it->second.sizes() << ")";
                misShaped.push_back(s.str());
            }
            continue;
        }
        copies.emplace_back(it->second, tensor);
    }
    std::vector<std::string> missing;
    for (const auto& key : targetOrder) {
        if (seen.count(key) || isHead(key)) continue;
        if (endsWith(key, "num_batches_tracked")) continue;
        missing.push_back(key);
    }
    if (!unexpected.empty() || !misShaped.empty() || !missing.empty()) {
        std::ostringstream msg;
        msg << "The weights in '" << sourceName << "' do not fit the " << arch << " architecture.";
        auto list = [&](const char* what, const std::vector<std::string>& keys) {
            if (keys.empty()) return;
            msg << "\n  " << keys.size() << ' ' << what << ": ";
            for (size_t i = 0; i < keys.size() && i < 20; ++i) msg << (i ? ", " : "") << keys[i];
            if (keys.size() > 20) msg << ", ...";
        };
        list("missing key(s)", missing);
        list("unexpected key(s)", unexpected);
        list("key(s) with another shape", misShaped);
        msg << "\nCheck that the file was saved from torchvision's " << arch
            << " (model.state_dict()), or pick the architecture it belongs to.";
        throw WeightsError(msg.str());
    }
    at::NoGradGuard noGrad;
    for (auto& [target, source] : copies) target.copy_(source.to(target.device(), target.scalar_type()));
}

} // namespace ts::weights
