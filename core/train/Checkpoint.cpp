#include "core/train/Checkpoint.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/common/Json.h"
#include "core/weights/PthReader.h"

#include <c10/util/Exception.h>
#include <c10/util/string_utils.h>
#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

#include <cmath>
#include <limits>

namespace ts::train {
namespace {

using weights::pickle::Kind;
using weights::pickle::Value;
using weights::pickle::ValuePtr;

constexpr const char* kFormat = "transfer-studio-checkpoint";
constexpr int64_t kVersion = 2;

std::string paramKey(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

at::Tensor toCpu(const at::Tensor& t) { return t.detach().to(at::kCPU).contiguous(); }

[[noreturn]] void damaged(const std::string& source, const std::string& what) {
    throw IoError("Checkpoint '" + source + "' is damaged: " + what +
                  ". This run cannot be resumed: start a new run (its best model so far, model.tsb, still works for predict, eval and export).");
}

c10::impl::GenericDict tensorDict(const std::map<std::string, at::Tensor>& fields) {
    c10::impl::GenericDict d(c10::StringType::get(), c10::TensorType::get());
    for (const auto& [k, t] : fields) d.insert(k, toCpu(t));
    return d;
}

// A copy of `stored` shaped like `param`, on its device and dtype.
at::Tensor like(const at::Tensor& param, const at::Tensor& stored, const std::string& what, const std::string& source) {
    if (stored.sizes() != param.sizes())
        damaged(source, "the optimizer state " + what + " has shape " + c10::str(stored.sizes()) +
                            " where its parameter has " + c10::str(param.sizes()));
    if (!at::isFloatingType(stored.scalar_type())) damaged(source, "the optimizer state " + what + " is not floating point");
    return stored.to(param.device(), param.scalar_type()).clone(at::MemoryFormat::Contiguous);
}

} // namespace

std::string optimizerKindName(OptimizerKind kind) {
    switch (kind) {
    case OptimizerKind::SGD: return "sgd";
    case OptimizerKind::Adam: return "adam";
    case OptimizerKind::AdamW: return "adamw";
    }
    return "unknown";
}

void nullsToNaN(nlohmann::json& value) {
    if (value.is_null()) {
        value = std::numeric_limits<double>::quiet_NaN();
    } else if (value.is_array() || value.is_object()) {
        for (auto& item : value) nullsToNaN(item);
    }
}

OptimizerState optimizerStateOf(const torch::optim::Optimizer& optimizer, OptimizerKind kind) {
    OptimizerState out;
    const auto& state = optimizer.state();
    for (const auto& group : optimizer.param_groups()) {
        auto& params = out.emplace_back();
        for (const auto& p : group.params()) {
            auto& fields = params.emplace_back();
            const auto it = state.find(paramKey(p));
            if (it == state.end()) continue;
            switch (kind) {
            case OptimizerKind::SGD: {
                const auto& s = static_cast<const torch::optim::SGDParamState&>(*it->second);
                if (s.momentum_buffer().defined()) fields["momentum_buffer"] = toCpu(s.momentum_buffer());
                break;
            }
            case OptimizerKind::Adam:
            case OptimizerKind::AdamW: {
                // AdamParamState and AdamWParamState have the same fields.
                auto put = [&](const auto& s) {
                    fields["step"] = at::scalar_tensor(s.step(), at::kLong);
                    fields["exp_avg"] = toCpu(s.exp_avg());
                    fields["exp_avg_sq"] = toCpu(s.exp_avg_sq());
                    if (s.max_exp_avg_sq().defined()) fields["max_exp_avg_sq"] = toCpu(s.max_exp_avg_sq());
                };
                if (kind == OptimizerKind::Adam) put(static_cast<const torch::optim::AdamParamState&>(*it->second));
                else put(static_cast<const torch::optim::AdamWParamState&>(*it->second));
                break;
            }
            }
        }
    }
    return out;
}

void restoreOptimizerState(torch::optim::Optimizer& optimizer, OptimizerKind kind, const std::string& storedKind,
                           const OptimizerState& state, const std::string& source) {
    if (storedKind != optimizerKindName(kind))
        throw IoError("Checkpoint '" + source + "' holds the state of the " + printable(storedKind, 20) +
                      " optimizer, but the run's config.json asks for " + optimizerKindName(kind) +
                      ". Put the optimizer back in config.json, or start a new run.");
    auto& groups = optimizer.param_groups();
    if (state.size() != groups.size())
        damaged(source, "its optimizer state has " + std::to_string(state.size()) + " parameter group(s) where the run has " +
                            std::to_string(groups.size()));
    auto& slots = optimizer.state();
    slots.clear();
    for (size_t g = 0; g < groups.size(); ++g) {
        const auto& params = groups[g].params();
        if (state[g].size() != params.size())
            damaged(source, "optimizer group " + std::to_string(g) + " has " + std::to_string(state[g].size()) +
                                " parameter(s) where the run has " + std::to_string(params.size()));
        for (size_t i = 0; i < params.size(); ++i) {
            const auto& fields = state[g][i];
            if (fields.empty()) continue;  // not stepped yet
            const at::Tensor& p = params[i];
            const std::string where = "(group " + std::to_string(g) + ", parameter " + std::to_string(i) + ")";
            auto field = [&](const char* name) -> const at::Tensor* {
                const auto it = fields.find(name);
                return it == fields.end() ? nullptr : &it->second;
            };
            auto require = [&](const char* name) {
                const at::Tensor* t = field(name);
                if (!t) damaged(source, std::string("the optimizer state ") + where + " has no \"" + name + "\"");
                return like(p, *t, std::string("\"") + name + "\" " + where, source);
            };
            size_t known = 0;
            if (kind == OptimizerKind::SGD) {
                auto s = std::make_unique<torch::optim::SGDParamState>();
                s->momentum_buffer(require("momentum_buffer"));
                known = 1;
                slots[paramKey(p)] = std::move(s);
            } else {
                const at::Tensor* step = field("step");
                if (!step || step->dim() != 0 || !at::isIntegralType(step->scalar_type(), false) || step->item<int64_t>() < 0)
                    damaged(source, "the optimizer state " + where + " has no valid \"step\"");
                auto fill = [&](auto s) {
                    s->step(step->item<int64_t>());
                    s->exp_avg(require("exp_avg"));
                    s->exp_avg_sq(require("exp_avg_sq"));
                    known = 3;
                    if (field("max_exp_avg_sq")) {
                        s->max_exp_avg_sq(require("max_exp_avg_sq"));
                        ++known;
                    }
                    slots[paramKey(p)] = std::move(s);
                };
                if (kind == OptimizerKind::Adam) fill(std::make_unique<torch::optim::AdamParamState>());
                else fill(std::make_unique<torch::optim::AdamWParamState>());
            }
            if (fields.size() != known)
                damaged(source, "the optimizer state " + where + " holds fields " + optimizerKindName(kind) + " does not use");
        }
    }
}

void writeCheckpoint(const CheckpointData& data, const std::string& path) {
    c10::impl::GenericDict model(c10::StringType::get(), c10::TensorType::get());
    for (const auto& [k, t] : data.model) model.insert(k, toCpu(t));
    const auto fieldsType = c10::DictType::create(c10::StringType::get(), c10::TensorType::get());
    c10::impl::GenericList groups(c10::ListType::create(fieldsType));
    for (const auto& group : data.optimizer) {
        c10::impl::GenericList params(fieldsType);
        for (const auto& fields : group) params.push_back(tensorDict(fields));
        groups.push_back(params);
    }
    c10::impl::GenericDict optimizer(c10::StringType::get(), c10::AnyType::get());
    optimizer.insert("kind", data.optimizerKind);
    optimizer.insert("groups", groups);

    c10::impl::GenericDict top(c10::StringType::get(), c10::AnyType::get());
    top.insert("format", std::string(kFormat));
    top.insert("version", kVersion);
    top.insert("model", model);
    top.insert("optimizer", optimizer);
    top.insert("rng", toCpu(data.rng));
    top.insert("epochs_done", int64_t(data.epochsDone));
    top.insert("step", data.step);
    top.insert("best_metric", data.bestMetric);
    top.insert("has_best", data.hasBest);
    top.insert("best_epoch", int64_t(data.bestEpoch));
    top.insert("since_improvement", int64_t(data.sinceImprovement));
    top.insert("history", nlohmann::json(data.history).dump());  // NaN and inf become null
    const std::vector<char> bytes = torch::pickle_save(c10::IValue(top));
    writeFileAtomic(path, std::string(bytes.begin(), bytes.end()));
}

CheckpointData readCheckpoint(const std::string& path) {
    ValuePtr top;
    try {
        top = weights::loadPthFile(path);
    } catch (const WeightsError& e) {
        // The reader's message names the file and what is wrong in it.
        throw WeightsError(std::string("Cannot resume from this checkpoint: ") + e.what());
    }
    if (top->kind != Kind::Dict) damaged(path, "it holds a " + top->typeName() + ", not a checkpoint dict");
    auto get = [&](const char* key, Kind kind) -> const Value& {
        const ValuePtr v = top->get(key);
        if (!v) damaged(path, std::string("it has no \"") + key + "\" entry");
        if (v->kind != kind) damaged(path, std::string("its \"") + key + "\" entry is a " + v->typeName());
        return *v;
    };
    const ValuePtr format = top->get("format");
    if (!format || format->kind != Kind::Str || format->str != kFormat)
        damaged(path, "it is not a Transfer Studio checkpoint");
    const ValuePtr version = top->get("version");
    if (!version) {
        const ValuePtr optimizer = top->get("optimizer");
        if (optimizer && optimizer->kind == Kind::Tensor)
            throw IoError("Checkpoint '" + path + "' was written by an earlier Transfer Studio, which stored the "
                          "optimizer state as a TorchScript archive; such archives are no longer read, because "
                          "loading one can run code from the file. This run cannot be resumed: start it again "
                          "(its model so far is in the run folder's model.tsb).");
        damaged(path, "it has no \"version\" entry");
    }
    if (version->kind != Kind::Int || version->integer != kVersion)
        throw IoError("Checkpoint '" + path + "' has format version " +
                      (version->kind == Kind::Int ? std::to_string(version->integer) : version->typeName()) +
                      ", which this Transfer Studio does not read (only " + std::to_string(kVersion) +
                      "). Resume it with the version that wrote it, or start a new run.");
    CheckpointData out;
    out.model = weights::stateDictFromValue(get("model", Kind::Dict), path);

    const Value& optimizer = get("optimizer", Kind::Dict);
    const ValuePtr kind = optimizer.get("kind");
    const ValuePtr groups = optimizer.get("groups");
    if (!kind || kind->kind != Kind::Str || !groups || groups->kind != Kind::List)
        damaged(path, "its optimizer state has no kind or no parameter groups");
    out.optimizerKind = kind->str;
    for (const auto& group : groups->items) {
        if (group->kind != Kind::List) damaged(path, "an optimizer parameter group is a " + group->typeName());
        auto& params = out.optimizer.emplace_back();
        for (const auto& fields : group->items) {
            if (fields->kind != Kind::Dict) damaged(path, "an optimizer parameter state is a " + fields->typeName());
            auto& map = params.emplace_back();
            for (const auto& [k, t] : fields->entries) {
                if (k->kind != Kind::Str || t->kind != Kind::Tensor)
                    damaged(path, "an optimizer parameter state holds something else than named tensors");
                map[k->str] = t->tensor;
            }
        }
    }

    out.rng = get("rng", Kind::Tensor).tensor;
    auto integer = [&](const char* key, int64_t max) {
        const int64_t v = get(key, Kind::Int).integer;
        if (v < 0 || v > max) damaged(path, std::string("its \"") + key + "\" is " + std::to_string(v));
        return v;
    };
    constexpr int64_t kMaxInt = std::numeric_limits<int>::max();
    out.epochsDone = static_cast<int>(integer("epochs_done", kMaxInt));
    out.step = integer("step", std::numeric_limits<int64_t>::max());
    out.bestEpoch = static_cast<int>(integer("best_epoch", kMaxInt));
    out.sinceImprovement = static_cast<int>(integer("since_improvement", kMaxInt));
    const ValuePtr best = top->get("best_metric");
    if (!best || (best->kind != Kind::Float && best->kind != Kind::Int)) damaged(path, "it has no valid \"best_metric\"");
    out.bestMetric = best->kind == Kind::Float ? best->real : static_cast<double>(best->integer);
    out.hasBest = get("has_best", Kind::Bool).boolean;

    const std::string historySource = "the history in checkpoint '" + path + "'";
    nlohmann::json history = parseJson(get("history", Kind::Str).str, historySource);
    if (!history.is_array()) damaged(path, "its history is not a list");
    for (auto& row : history) {
        if (!row.is_object() || !row.contains("epoch") || !row["epoch"].is_number_integer() ||
            row["epoch"].get<int64_t>() < 1 || row["epoch"].get<int64_t>() > kMaxInt)
            damaged(path, "history entry " + std::to_string(out.history.size() + 1) + " has no valid epoch number");
        nullsToNaN(row);
        for (const char* key : {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds"})
            if (!row.contains(key) || !row[key].is_number())
                damaged(path, "history entry " + std::to_string(out.history.size() + 1) + " has no number \"" + key + "\"");
        out.history.push_back(std::move(row));
    }
    return out;
}

} // namespace ts::train
