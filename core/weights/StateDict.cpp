#include "core/weights/StateDict.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/weights/MappedFile.h"
#include "core/weights/PthReader.h"
#include "core/weights/SafetensorsReader.h"
#include "core/zoo/Provenance.h"
#include "core/zoo/Registry.h"

#include <c10/util/Exception.h>
#include <torch/csrc/autograd/generated/variable_factories.h>
#include <torch/csrc/jit/serialization/pickle.h>
#include <torch/serialize.h>

#include <map>
#include <string_view>
#include <set>
#include <sstream>

namespace ts::weights {
namespace {

bool endsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// torchvision's DenseNet loader renames old keys
//   <prefix>denselayer<N>.(norm|relu|conv).(1|2).(weight|bias|running_mean|running_var)
// to "...norm1.weight" etc. Parsed by hand (a regex recursing on a long key
// overflows the stack); false when `key` has another shape.
bool renameOldDenseNetKey(const std::string& key, std::string& renamed) {
    const std::string_view k = key;
    const size_t lastDot = k.rfind('.');
    if (lastDot == std::string_view::npos) return false;
    const std::string_view field = k.substr(lastDot + 1);
    if (field != "weight" && field != "bias" && field != "running_mean" && field != "running_var") return false;
    const std::string_view rest = k.substr(0, lastDot);  // "...denselayer1.norm.1"
    if (rest.size() < 2 || rest[rest.size() - 2] != '.' || (rest.back() != '1' && rest.back() != '2')) return false;
    const std::string_view layer = rest.substr(0, rest.size() - 2);  // "...denselayer1.norm"
    if (!endsWith(layer, ".norm") && !endsWith(layer, ".relu") && !endsWith(layer, ".conv")) return false;
    std::string_view owner = layer.substr(0, layer.size() - 5);  // "...denselayer1"
    size_t digits = 0;
    while (digits < owner.size() && owner[owner.size() - 1 - digits] >= '0' && owner[owner.size() - 1 - digits] <= '9')
        ++digits;
    if (digits == 0 || !endsWith(owner.substr(0, owner.size() - digits), "denselayer")) return false;
    renamed.assign(layer.data(), layer.size());
    renamed += rest.back();
    renamed += '.';
    renamed.append(field.data(), field.size());
    return true;
}

} // namespace

StateDict readStateDictFromBytes(const std::string& bytes, const std::string& sourceName) {
    // A safetensors file by name, or by content (a cached or renamed copy).
    if (hasSafetensorsExtension(sourceName) || looksLikeSafetensors(bytes)) return loadSafetensors(bytes, sourceName);
    const auto value = loadPth(bytes, sourceName);
    return stateDictFromValue(*value, sourceName);
}

StateDict readStateDict(const std::string& path) {
    const MappedFile file(path);
    const std::string_view bytes = file.bytes();
    if (hasSafetensorsExtension(path) || looksLikeSafetensors(bytes)) return loadSafetensors(bytes, path);
    const auto value = loadPth(bytes, path);
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
    if (dict.size() > kMaxStateDictKeys)
        throw WeightsError("The weights in '" + sourceName + "' hold " + std::to_string(dict.size()) +
                           " tensors, more than the " + std::to_string(kMaxStateDictKeys) +
                           " any model has. The file is damaged or not a state dict.");
    std::map<std::string, at::Tensor> targets;
    std::vector<std::string> targetOrder;  // the model's own order, for messages
    for (const auto& [key, value] : stateDictOf(model)) {
        targets.emplace(key, value);
        targetOrder.push_back(key);
    }

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
        if (key.size() > kMaxStateDictKeyLength)
            throw WeightsError("The weights in '" + sourceName + "' hold a key of " + std::to_string(key.size()) +
                               " characters ('" + printable(key, 60) + "'); no model has keys longer than " +
                               std::to_string(kMaxStateDictKeyLength) + ". The file is damaged or not a state dict.");
        if (!targets.count(key)) {
            std::string renamed;
            if (renameOldDenseNetKey(key, renamed)) key = std::move(renamed);
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
            // Keys come from the file: bounded and escaped.
            for (size_t i = 0; i < keys.size() && i < 20; ++i) msg << (i ? ", " : "") << printable(keys[i], 120);
            if (keys.size() > 20) msg << ", ...";
        };
        list("missing key(s)", missing);
        list("unexpected key(s)", unexpected);
        list("key(s) with another shape", misShaped);
        // The layout the zoo follows for `arch` (torchvision's, or timm's / pytorchcv's).
        std::string source = "torchvision";
        try {
            source = zoo::provenance(arch).source;
        } catch (const Error&) {
        }
        msg << "\nCheck that the file was saved from " << source << "'s " << arch
            << " (model.state_dict()), or pick the architecture it belongs to.";
        throw WeightsError(msg.str());
    }
    at::NoGradGuard noGrad;
    for (auto& [target, source] : copies) target.copy_(source.to(target.device(), target.scalar_type()));
}

} // namespace ts::weights
