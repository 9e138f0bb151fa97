#pragma once
// The ONNX converter shared by the export driver (OnnxExport.cpp), the graph
// helpers (OnnxGraph.cpp: names, constants, initializers, attributes) and the
// op handlers (OnnxOps.cpp: a table from the traced op's name to the handler
// that writes its ONNX nodes). Internal to core/export: it includes the JIT
// IR and the ONNX protobuf headers, which are heavy.
//
// Thread safety: one Converter per export, used on one thread.
#include <onnx/onnx_pb.h>

#include <torch/csrc/jit/ir/ir.h>

#include <ATen/core/Tensor.h>
#include <c10/core/Scalar.h>
#include <c10/core/TensorOptions.h>

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ts::exporting::onnxexport {

using torch::jit::Node;
using torch::jit::Value;

/// Batch size of the trace. Reshape targets copy the batch dimension from
/// their input (ONNX shape value 0), so the exported batch stays dynamic.
constexpr int64_t kTraceBatch = 2;

/// A one-element 1-D constant: OpenCV DNN 4.6 mishandles 0-d operands of
/// elementwise ops, and ONNX broadcasting treats both alike.
at::Tensor scalar1(const c10::Scalar& value, const at::TensorOptions& options);

/// Turns a traced JIT graph, node by node, into the nodes and initializers
/// of `graph`. Parameters and buffers keep their state_dict names
/// (`paramNames`: data pointer -> name). Throws ts::ModelError naming the
/// architecture and the op when a node has no ONNX conversion.
class Converter {
public:
    Converter(onnx::GraphProto& graph, const std::string& arch, std::unordered_map<const void*, std::string> paramNames)
        : m_g(graph), m_arch(arch), m_paramNames(std::move(paramNames)) {}

    void setName(const Value* v, const std::string& name);
    /// Writes the ONNX nodes of one traced node through the op table
    /// (OnnxOps.cpp); ts::ModelError for an op it does not have.
    void convert(const Node* n);
    /// Name of the ONNX tensor holding `v` (a converted value or a constant).
    std::string in(const Value* v, at::ScalarType scalarType = at::kFloat);
    std::string initializer(const at::Tensor& t, const std::string& suggested);
    std::string fresh(const std::string& hint);
    onnx::NodeProto* add(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs);
    std::string out(const Value* v);
    std::string int64s(const std::vector<int64_t>& values);
    void setParamSizes(std::unordered_map<const void*, std::vector<int64_t>> sizes);

private:
    [[noreturn]] void unsupported(const Node* n, const std::string& why) const;
    c10::IValue constant(const Value* v) const;
    std::vector<int64_t> ints(const Value* v) const;
    double scalar(const Value* v) const;
    int64_t scalarInt(const Value* v) const;
    bool boolean(const Value* v) const;
    bool isNone(const Value* v) const;
    std::vector<int64_t> shapeOf(const Value* v) const;
    at::Tensor constantTensor(const Value* v) const;
    static void attrI(onnx::NodeProto* node, const std::string& name, int64_t value);
    static void attrF(onnx::NodeProto* node, const std::string& name, float value);
    static void attrInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values);

    // ---- op handlers (OnnxOps.cpp) ----
    void unary(const Node* n, const std::string& op);
    void unaryOp2(const Node* n, const std::string& op);
    void clip(const Node* n, double lo, double hi);
    void hardSigmoid(const Node* n);
    void hardSwish(const Node* n);
    void silu(const Node* n);
    void gelu(const Node* n);
    void softmax(const Node* n);
    void binary(const Node* n, const std::string& op);
    void binaryAlpha(const Node* n, const std::string& op, bool reversed);
    void conv(const Node* n, bool underscored);
    void batchNorm(const Node* n);
    void pool(const Node* n, const std::string& op);
    void adaptiveAvgPool(const Node* n);
    void cat(const Node* n);
    void emitReshape(const Node* n, const Value* input, const Value* output);
    void flatten(const Node* n);
    void reshape(const Node* n);
    void transpose(const Node* n);
    void permute(const Node* n);
    void linear(const Node* n);
    void addmm(const Node* n);
    void mean(const Node* n);
    void layerNorm(const Node* n);
    void chunk(const Node* n);
    void select(const Node* n);
    void unsqueeze(const Node* n);
    void slice(const Node* n);

    onnx::GraphProto& m_g;
    std::string m_arch;
    std::unordered_map<const void*, std::string> m_paramNames;
    std::unordered_map<const void*, std::vector<int64_t>> m_paramSizes;
    std::map<std::string, std::string> m_initialized;
    std::unordered_map<const Value*, std::string> m_names;
    std::unordered_map<const Value*, std::vector<std::string>> m_lists;
    std::unordered_map<const Value*, std::pair<std::string, int64_t>> m_selected;
    int64_t m_counter = 0;
};

} // namespace ts::exporting::onnxexport
