// ONNX export: the model's own LibTorch forward is traced once into a JIT
// graph, and each traced aten op becomes ONNX nodes (opset 13). There is no
// second, hand-kept description of any architecture: what runs in the app is
// what is written. The tracer and IR headers are heavy, so they live in
// core/export only: this file traces and drives the export, OnnxConverter.h
// declares the converter, OnnxOps.cpp holds the table of op handlers and
// OnnxGraph.cpp the graph helpers.
#include "core/export/Export.h"
#include "core/export/OnnxConverter.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/StateDict.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/version.h>

#include <ATen/ops/softmax.h>
#include <c10/util/Exception.h>
#include <torch/types.h>

#include <unordered_map>

namespace ts::exporting {
namespace {

using onnxexport::Converter;
using onnxexport::kTraceBatch;
using torch::jit::Node;

void setTensorType(onnx::ValueInfoProto* info, const std::string& name, const std::vector<int64_t>& dims) {
    info->set_name(name);
    auto* tensor = info->mutable_type()->mutable_tensor_type();
    tensor->set_elem_type(onnx::TensorProto_DataType_FLOAT);
    auto* shape = tensor->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
        auto* d = shape->add_dim();
        if (i == 0) d->set_dim_param("N");
        else d->set_dim_value(dims[i]);
    }
}

void addMeta(onnx::ModelProto& model, const std::string& key, const std::string& value) {
    auto* p = model.add_metadata_props();
    p->set_key(key);
    p->set_value(value);
}

/// Traces model.forward on a (kTraceBatch,3,crop,crop) input; parameters are
/// captured as constants (they must not require grad while tracing).
std::shared_ptr<torch::jit::Graph> traceForward(zoo::BackboneImpl& model, int64_t crop) {
    std::vector<std::pair<at::Tensor, bool>> flags;
    for (auto& p : model.parameters()) {
        flags.emplace_back(p, p.requires_grad());
        p.set_requires_grad(false);
    }
    const bool wasTraining = model.is_training();
    model.eval();
    struct Restore {
        std::vector<std::pair<at::Tensor, bool>>& flags;
        zoo::BackboneImpl& model;
        bool training;
        ~Restore() {
            for (auto& [p, f] : flags) p.set_requires_grad(f);
            model.train(training);
        }
    } restore{flags, model, wasTraining};
    torch::NoGradGuard noGrad;
    const at::Tensor example = torch::randn({kTraceBatch, 3, crop, crop});
    torch::jit::Stack inputs{example};
    try {
        auto traced = torch::jit::tracer::trace(
            inputs, [&](torch::jit::Stack in) -> torch::jit::Stack { return {model.forward(in.at(0).toTensor())}; },
            [](const at::Tensor&) { return std::string(); }, /*strict=*/false, /*force_outplace=*/false);
        auto graph = traced.first->graph;
        torch::jit::EliminateDeadCode(graph);
        return graph;
    } catch (const c10::Error& e) {
        torch::jit::tracer::abandon();
        throw ModelError("ONNX export of '" + model.arch() + "': tracing the forward pass failed (" +
                         e.what_without_backtrace() + ").");
    }
}

} // namespace

std::string onnxBytes(const LoadedModel& loaded, const ExportOptions& options) {
    if (options.opset < 13)
        throw ConfigError("ONNX opset " + std::to_string(options.opset) + " is not supported; use 13 or later.");
    if (!loaded.model) throw ModelError("ONNX export: no model was given.");
    zoo::BackboneImpl& model = *loaded.model;
    const data::EvalTransform& t = loaded.meta.transform;
    const int64_t crop = t.cropSize;

    auto graph = traceForward(model, crop);

    std::unordered_map<const void*, std::string> paramNames;
    std::unordered_map<const void*, std::vector<int64_t>> paramSizes;
    for (const auto& item : model.named_parameters()) {
        paramNames[item.value().data_ptr()] = item.key();
        paramSizes[item.value().data_ptr()] = item.value().sizes().vec();
    }
    for (const auto& item : model.named_buffers()) {
        if (!item.value().is_floating_point()) continue;
        paramNames[item.value().data_ptr()] = item.key();
        paramSizes[item.value().data_ptr()] = item.value().sizes().vec();
    }

    onnx::ModelProto proto;
    proto.set_ir_version(7);
    proto.set_producer_name("Transfer Studio");
    proto.set_producer_version(loaded.meta.createdWith);
    proto.set_model_version(1);
    auto* opset = proto.add_opset_import();
    opset->set_domain("");
    opset->set_version(options.opset);
    onnx::GraphProto& g = *proto.mutable_graph();
    g.set_name(model.arch());

    Converter converter(g, model.arch(), std::move(paramNames));
    converter.setParamSizes(std::move(paramSizes));
    if (graph->inputs().size() != 1) throw ModelError("ONNX export of '" + model.arch() + "': the traced graph has no single input.");
    setTensorType(g.add_input(), "input", {kTraceBatch, 3, crop, crop});
    std::string x = "input";
    if (options.withPreprocessing) {
        // (input / 255 - mean) / std as a per-channel 1x1 convolution
        // (weight 1/(255 std), bias -mean/std): one node every runtime runs.
        std::vector<float> w(3), b(3);
        for (int c = 0; c < 3; ++c) {
            w[c] = static_cast<float>(1.0 / (255.0 * double(t.std[c])));
            b[c] = static_cast<float>(-double(t.mean[c]) / double(t.std[c]));
        }
        auto* node = converter.add("Conv", {x, converter.initializer(torch::tensor(w).view({3, 1, 1, 1}), "preprocess_scale"),
                                            converter.initializer(torch::tensor(b), "preprocess_shift")},
                                   {"preprocess_normalized"});
        for (const auto& [name, values] : std::vector<std::pair<std::string, std::vector<int64_t>>>{
                 {"kernel_shape", {1, 1}}, {"strides", {1, 1}}, {"pads", {0, 0, 0, 0}}}) {
            auto* a = node->add_attribute();
            a->set_name(name);
            a->set_type(onnx::AttributeProto_AttributeType_INTS);
            for (int64_t v : values) a->add_ints(v);
        }
        auto* group = node->add_attribute();
        group->set_name("group");
        group->set_type(onnx::AttributeProto_AttributeType_INT);
        group->set_i(3);
        x = "preprocess_normalized";
    }
    converter.setName(graph->inputs()[0], x);
    for (const Node* n : graph->nodes()) converter.convert(n);
    if (graph->outputs().size() != 1) throw ModelError("ONNX export of '" + model.arch() + "': the model has more than one output.");
    const std::string last = converter.in(graph->outputs()[0]);
    converter.add("Identity", {last}, {"logits"});
    setTensorType(g.add_output(), "logits", {kTraceBatch, model.numClasses()});
    if (options.withProbabilities) {
        // Calibrated probabilities: softmax(logits / T), T from the bundle.
        std::string scaled = "logits";
        if (loaded.meta.temperature != 1.0) {
            const std::string t = converter.initializer(
                onnxexport::scalar1(c10::Scalar(static_cast<float>(loaded.meta.temperature)), at::TensorOptions().dtype(at::kFloat)),
                "temperature");
            converter.add("Div", {"logits", t}, {"logits_calibrated"});
            scaled = "logits_calibrated";
        }
        auto* node = converter.add("Softmax", {scaled}, {"probabilities"});
        auto* a = node->add_attribute();
        a->set_name("axis");
        a->set_type(onnx::AttributeProto_AttributeType_INT);
        a->set_i(1);
        setTensorType(g.add_output(), "probabilities", {kTraceBatch, model.numClasses()});
    }

    const BundleMeta& meta = loaded.meta;
    nlohmann::json pre = meta.toJson().at("preprocessing");
    pre["in_graph"] = options.withPreprocessing;
    pre["input"] = options.withPreprocessing ? "RGB float 0..255 after resize and crop, NCHW"
                                             : "RGB scaled to [0,1], normalised with mean/std, NCHW";
    addMeta(proto, "arch", meta.arch);
    addMeta(proto, "classes", nlohmann::json(meta.classes).dump());
    addMeta(proto, "preprocessing", pre.dump());
    addMeta(proto, "head_hidden_units", std::to_string(meta.headHiddenUnits));
    addMeta(proto, "manifest_hash", meta.manifestHash);
    addMeta(proto, "created_with", meta.createdWith);
    addMeta(proto, "metrics", meta.metrics.dump());
    addMeta(proto, "calibration", meta.toJson().at("calibration").dump());

    try {
        onnx::checker::check_model(proto);
    } catch (const std::exception& e) {
        throw ModelError("ONNX export of '" + model.arch() + "': the ONNX checker rejected the graph (" + e.what() +
                         "). Nothing was written.");
    }
    std::string bytes;
    if (!proto.SerializeToString(&bytes))
        throw ModelError("ONNX export of '" + model.arch() + "': the model is too large to serialise (over 2 GB).");
    return bytes;
}

} // namespace ts::exporting
