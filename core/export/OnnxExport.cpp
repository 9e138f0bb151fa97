// ONNX export: the model's own LibTorch forward is traced once into a JIT
// graph, and each traced aten op becomes ONNX nodes (opset 13). There is no
// second, hand-kept description of any architecture: what runs in the app is
// what is written. The tracer and IR headers are heavy, so they live here only.
#include "core/export/Export.h"

#include "core/common/AtomicFile.h"
#include "core/common/Error.h"
#include "core/weights/StateDict.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>

#include <torch/csrc/jit/frontend/tracer.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/version.h>

#include <ATen/ops/softmax.h>
#include <c10/util/Exception.h>
#include <torch/types.h>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

namespace ts::exporting {
namespace {

using torch::jit::Node;
using torch::jit::Value;

/// Batch size of the trace. Reshape targets copy the batch dimension from
/// their input (ONNX shape value 0), so the exported batch stays dynamic.
constexpr int64_t kTraceBatch = 2;

/// A one-element 1-D constant: OpenCV DNN 4.6 mishandles 0-d operands of
/// elementwise ops, and ONNX broadcasting treats both alike.
at::Tensor scalar1(const c10::Scalar& value, const at::TensorOptions& options) {
    return at::full({1}, value, options);
}

class Converter {
public:
    Converter(onnx::GraphProto& graph, const std::string& arch, std::unordered_map<const void*, std::string> paramNames)
        : m_g(graph), m_arch(arch), m_paramNames(std::move(paramNames)) {}

    void setName(const Value* v, const std::string& name) { m_names[v] = name; }

    void convert(const Node* n) {
        const std::string k = n->kind().toQualString();
        if (k == "prim::Constant" || k == "prim::ListConstruct" || k == "aten::size" || k == "prim::NumToTensor" ||
            k == "aten::Int" || k == "aten::ScalarImplicit" || k == "prim::TupleConstruct")
            return;  // evaluated lazily where an op needs them
        if (k == "prim::ListUnpack") {
            const auto it = m_lists.find(n->input(0));
            if (it == m_lists.end() || it->second.size() != n->outputs().size()) unsupported(n, "a list not made by chunk/split");
            for (size_t i = 0; i < n->outputs().size(); ++i) m_names[n->output(i)] = it->second[i];
            return;
        }
        if (k == "aten::_convolution" || k == "aten::conv2d") return conv(n, k == "aten::_convolution");
        if (k == "aten::batch_norm") return batchNorm(n);
        if (k == "aten::relu" || k == "aten::relu_") return unary(n, "Relu");
        if (k == "aten::sigmoid" || k == "aten::sigmoid_") return unary(n, "Sigmoid");
        if (k == "aten::tanh" || k == "aten::tanh_") return unary(n, "Tanh");
        if (k == "aten::hardtanh" || k == "aten::hardtanh_") return clip(n, scalar(n->input(1)), scalar(n->input(2)));
        if (k == "aten::relu6" || k == "aten::relu6_") return clip(n, 0.0, 6.0);
        if (k == "aten::hardsigmoid" || k == "aten::hardsigmoid_") {
            auto* node = add("HardSigmoid", {in(n->input(0))}, {out(n->output())});
            attrF(node, "alpha", 1.0f / 6.0f);
            attrF(node, "beta", 0.5f);
            return;
        }
        if (k == "aten::hardswish" || k == "aten::hardswish_") {
            const std::string x = in(n->input(0));
            const std::string hs = fresh("hsig");
            auto* node = add("HardSigmoid", {x}, {hs});
            attrF(node, "alpha", 1.0f / 6.0f);
            attrF(node, "beta", 0.5f);
            add("Mul", {x, hs}, {out(n->output())});
            return;
        }
        if (k == "aten::silu" || k == "aten::silu_") {
            const std::string x = in(n->input(0));
            const std::string s = fresh("sig");
            add("Sigmoid", {x}, {s});
            add("Mul", {x, s}, {out(n->output())});
            return;
        }
        if (k == "aten::gelu" || k == "aten::gelu_") return gelu(n);
        if (k == "aten::add" || k == "aten::add_") return binaryAlpha(n, "Add", false);
        if (k == "aten::sub" || k == "aten::sub_") return binaryAlpha(n, "Sub", false);
        if (k == "aten::rsub") return binaryAlpha(n, "Sub", true);
        if (k == "aten::mul" || k == "aten::mul_") return binary(n, "Mul");
        if (k == "aten::div" || k == "aten::div_") return binary(n, "Div");
        if (k == "aten::max_pool2d") return pool(n, "MaxPool");
        if (k == "aten::avg_pool2d") return pool(n, "AveragePool");
        if (k == "aten::adaptive_avg_pool2d") return adaptiveAvgPool(n);
        if (k == "aten::cat") return cat(n);
        if (k == "aten::flatten") return flatten(n);
        if (k == "aten::view" || k == "aten::reshape" || k == "aten::_unsafe_view") return reshape(n);
        if (k == "aten::transpose" || k == "aten::transpose_") return transpose(n);
        if (k == "aten::permute") return permute(n);
        if (k == "aten::t") {
            auto* node = add("Transpose", {in(n->input(0))}, {out(n->output())});
            attrInts(node, "perm", {1, 0});
            return;
        }
        if (k == "aten::contiguous" || k == "aten::clone" || k == "aten::dropout" || k == "aten::dropout_" ||
            k == "aten::feature_dropout" || k == "aten::feature_dropout_" || k == "aten::alpha_dropout" ||
            k == "aten::detach" || k == "aten::to" || k == "aten::type_as") {
            if ((k.find("dropout") != std::string::npos) && boolean(n->input(2)))
                unsupported(n, "dropout in training mode (put the model in eval mode first)");
            m_names[n->output()] = in(n->input(0));
            return;
        }
        if (k == "aten::linear") return linear(n);
        if (k == "aten::addmm") return addmm(n);
        if (k == "aten::matmul") return unaryOp2(n, "MatMul");
        if (k == "aten::mean") return mean(n);
        if (k == "aten::layer_norm") return layerNorm(n);
        if (k == "aten::chunk" || k == "aten::unsafe_chunk") return chunk(n);
        if (k == "aten::select") return select(n);
        if (k == "aten::unsqueeze" || k == "aten::unsqueeze_") return unsqueeze(n);
        if (k == "aten::slice") return slice(n);
        if (k == "aten::softmax" || k == "aten::_softmax") {
            auto* node = add("Softmax", {in(n->input(0))}, {out(n->output())});
            attrI(node, "axis", scalarInt(n->input(1)));
            return;
        }
        unsupported(n, "this operation has no ONNX conversion yet");
    }

    /// Name of the ONNX tensor holding `v` (a converted value or a constant).
    std::string in(const Value* v, at::ScalarType scalarType = at::kFloat) {
        const auto it = m_names.find(v);
        if (it != m_names.end()) return it->second;
        const auto sel = m_selected.find(v);
        if (sel != m_selected.end()) {
            add("Squeeze", {sel->second.first, int64s({sel->second.second})}, {out(v)});
            return m_names.at(v);
        }
        if (v->node()->kind() == c10::prim::Constant) {
            const auto iv = torch::jit::toIValue(v);
            if (iv && iv->isTensor()) return initializer(iv->toTensor(), fresh("const"));
            if (iv && (iv->isDouble() || iv->isInt() || iv->isBool()))
                return initializer(scalar1(iv->toScalar(), at::TensorOptions().dtype(scalarType)), fresh("scalar"));
        }
        throw ModelError("ONNX export of '" + m_arch + "': the value '" + v->debugName() + "' made by " +
                         v->node()->kind().toQualString() +
                         " is computed from tensor shapes, which the exporter does not translate. Export another "
                         "architecture or report this model.");
    }

    std::string initializer(const at::Tensor& t, const std::string& suggested) {
        const at::Tensor c = t.detach().to(at::kCPU).contiguous();
        const void* key = t.data_ptr();
        std::string name = suggested;
        const auto named = m_paramNames.find(key);
        if (named != m_paramNames.end() && t.sizes().vec() == m_paramSizes[key]) {
            const auto done = m_initialized.find(named->second);
            if (done != m_initialized.end()) return done->second;
            name = named->second;
        }
        auto* tp = m_g.add_initializer();
        tp->set_name(name);
        for (int64_t d : c.sizes()) tp->add_dims(d);
        if (c.scalar_type() == at::kFloat) {
            tp->set_data_type(onnx::TensorProto_DataType_FLOAT);
        } else if (c.scalar_type() == at::kLong) {
            tp->set_data_type(onnx::TensorProto_DataType_INT64);
        } else {
            return initializer(c.to(at::kFloat), suggested);
        }
        tp->set_raw_data(std::string(static_cast<const char*>(c.data_ptr()), c.nbytes()));
        if (named != m_paramNames.end()) m_initialized[named->second] = name;
        return name;
    }

    std::string fresh(const std::string& hint) { return hint + "_" + std::to_string(m_counter++); }

    onnx::NodeProto* add(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
        auto* node = m_g.add_node();
        node->set_op_type(op);
        node->set_name(op + "_" + std::to_string(m_counter++));
        for (const auto& i : inputs) node->add_input(i);
        for (const auto& o : outputs) node->add_output(o);
        return node;
    }

    std::string out(const Value* v) {
        const std::string name = "t" + std::to_string(m_counter++);
        m_names[v] = name;
        return name;
    }

    std::string int64s(const std::vector<int64_t>& values) {
        return initializer(torch::tensor(values, at::kLong), fresh("ints"));
    }

    void setParamSizes(std::unordered_map<const void*, std::vector<int64_t>> sizes) { m_paramSizes = std::move(sizes); }

private:
    [[noreturn]] void unsupported(const Node* n, const std::string& why) const {
        std::ostringstream os;
        os << "ONNX export of '" << m_arch << "' failed at " << n->kind().toQualString() << ": " << why
           << ". The model cannot be expressed in ONNX by this version; export it as a bundle or .pth instead.";
        throw ModelError(os.str());
    }

    c10::IValue constant(const Value* v) const {
        if (v->node()->kind() == c10::prim::ListConstruct) {
            std::vector<int64_t> items;
            for (const Value* i : v->node()->inputs()) {
                const auto iv = torch::jit::toIValue(i);
                if (!iv || !iv->isInt()) return c10::IValue();
                items.push_back(iv->toInt());
            }
            return c10::IValue(items);
        }
        const auto iv = torch::jit::toIValue(v);
        return iv ? *iv : c10::IValue();
    }
    std::vector<int64_t> ints(const Value* v) const {
        const c10::IValue iv = constant(v);
        if (iv.isIntList()) return iv.toIntVector();
        if (iv.isInt()) return {iv.toInt()};
        throw ModelError("ONNX export of '" + m_arch + "': expected constant integers for " + v->debugName() + " of " +
                         v->node()->kind().toQualString() + ".");
    }
    double scalar(const Value* v) const {
        const c10::IValue iv = constant(v);
        if (iv.isDouble()) return iv.toDouble();
        if (iv.isInt()) return static_cast<double>(iv.toInt());
        if (iv.isBool()) return iv.toBool() ? 1.0 : 0.0;
        throw ModelError("ONNX export of '" + m_arch + "': expected a constant number for " + v->debugName() + ".");
    }
    int64_t scalarInt(const Value* v) const { return static_cast<int64_t>(scalar(v)); }
    bool boolean(const Value* v) const {
        const c10::IValue iv = constant(v);
        return iv.isBool() ? iv.toBool() : (iv.isInt() && iv.toInt() != 0);
    }
    bool isNone(const Value* v) const { return v->type()->kind() == c10::TypeKind::NoneType || constant(v).isNone(); }
    std::vector<int64_t> shapeOf(const Value* v) const {
        const auto type = v->type()->cast<c10::TensorType>();
        if (!type) throw ModelError("ONNX export of '" + m_arch + "': " + v->debugName() + " is not a tensor.");
        const auto sizes = type->sizes().concrete_sizes();
        if (!sizes) throw ModelError("ONNX export of '" + m_arch + "': the traced shape of " + v->debugName() + " is unknown.");
        return *sizes;
    }
    at::Tensor constantTensor(const Value* v) const {
        const c10::IValue iv = constant(v);
        if (!iv.isTensor()) throw ModelError("ONNX export of '" + m_arch + "': expected a weight tensor for " + v->debugName() + ".");
        return iv.toTensor();
    }

    static void attrI(onnx::NodeProto* node, const std::string& name, int64_t value) {
        auto* a = node->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto_AttributeType_INT);
        a->set_i(value);
    }
    static void attrF(onnx::NodeProto* node, const std::string& name, float value) {
        auto* a = node->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
        a->set_f(value);
    }
    static void attrInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
        auto* a = node->add_attribute();
        a->set_name(name);
        a->set_type(onnx::AttributeProto_AttributeType_INTS);
        for (int64_t v : values) a->add_ints(v);
    }

    void unary(const Node* n, const std::string& op) { add(op, {in(n->input(0))}, {out(n->output())}); }
    void unaryOp2(const Node* n, const std::string& op) { add(op, {in(n->input(0)), in(n->input(1))}, {out(n->output())}); }

    void clip(const Node* n, double lo, double hi) {
        // lo + Relu(x - lo) - Relu(x - hi) instead of Clip: OpenCV 4.6 reads only
        // the pre-opset-11 Clip with min/max attributes, which opset 13 no longer has.
        const std::string x = in(n->input(0));
        auto shifted = [&](double by) {
            if (by == 0.0) return x;
            const std::string y = fresh("clip_shift");
            add("Sub", {x, initializer(scalar1(by, at::kFloat), fresh("clip_bound"))}, {y});
            return y;
        };
        const std::string low = fresh("clip_low"), high = fresh("clip_high");
        add("Relu", {shifted(lo)}, {low});
        add("Relu", {shifted(hi)}, {high});
        if (lo == 0.0) {
            add("Sub", {low, high}, {out(n->output())});
            return;
        }
        const std::string diff = fresh("clip_diff");
        add("Sub", {low, high}, {diff});
        add("Add", {diff, initializer(scalar1(lo, at::kFloat), fresh("clip_min"))}, {out(n->output())});
    }

    void gelu(const Node* n) {
        // 0.5 * x * (1 + erf(x / sqrt(2))): the exact GELU LibTorch computes.
        if (n->inputs().size() > 1) {
            const c10::IValue approx = constant(n->input(1));
            if (approx.isString() && approx.toStringRef() != "none") unsupported(n, "tanh-approximated GELU");
        }
        const std::string x = in(n->input(0));
        const std::string d = fresh("gelu_div"), e = fresh("gelu_erf"), a = fresh("gelu_add"), m = fresh("gelu_mul");
        add("Div", {x, initializer(scalar1(std::sqrt(2.0), at::kFloat), fresh("sqrt2"))}, {d});
        add("Erf", {d}, {e});
        add("Add", {e, initializer(scalar1(1.0, at::kFloat), fresh("one"))}, {a});
        add("Mul", {x, a}, {m});
        add("Mul", {m, initializer(scalar1(0.5, at::kFloat), fresh("half"))}, {out(n->output())});
    }

    void binary(const Node* n, const std::string& op) {
        add(op, {in(n->input(0)), in(n->input(1))}, {out(n->output())});
    }

    void binaryAlpha(const Node* n, const std::string& op, bool reversed) {
        std::string a = in(n->input(0)), b = in(n->input(1));
        const double alpha = n->inputs().size() > 2 ? scalar(n->input(2)) : 1.0;
        // rsub(a, b, alpha) = b - alpha * a; add/sub(a, b, alpha) = a (+/-) alpha * b.
        std::string& scaled = reversed ? a : b;
        if (alpha != 1.0) {
            const std::string s = fresh("alpha");
            add("Mul", {scaled, initializer(scalar1(alpha, at::kFloat), fresh("alpha_value"))}, {s});
            scaled = s;
        }
        if (reversed) std::swap(a, b);
        add(op, {a, b}, {out(n->output())});
    }

    void conv(const Node* n, bool underscored) {
        const std::vector<int64_t> stride = ints(n->input(3)), padding = ints(n->input(4)), dilation = ints(n->input(5));
        int64_t groups = 1;
        if (underscored) {
            if (boolean(n->input(6))) unsupported(n, "transposed convolution");
            groups = scalarInt(n->input(8));
        } else {
            groups = scalarInt(n->input(6));
        }
        const at::Tensor w = constantTensor(n->input(1));
        if (w.dim() != 4) unsupported(n, "only 2-D convolutions are exported");
        std::vector<std::string> inputs{in(n->input(0)), in(n->input(1))};
        if (!isNone(n->input(2))) inputs.push_back(in(n->input(2)));
        auto* node = add("Conv", inputs, {out(n->output())});
        attrInts(node, "kernel_shape", {w.size(2), w.size(3)});
        attrInts(node, "strides", stride.size() == 1 ? std::vector<int64_t>{stride[0], stride[0]} : stride);
        const std::vector<int64_t> p = padding.size() == 1 ? std::vector<int64_t>{padding[0], padding[0]} : padding;
        attrInts(node, "pads", {p[0], p[1], p[0], p[1]});
        attrInts(node, "dilations", dilation.size() == 1 ? std::vector<int64_t>{dilation[0], dilation[0]} : dilation);
        attrI(node, "group", groups);
    }

    void batchNorm(const Node* n) {
        if (boolean(n->input(5))) unsupported(n, "BatchNorm in training mode (put the model in eval mode first)");
        const std::vector<int64_t> shape = shapeOf(n->input(0));
        const int64_t channels = shape.at(1);
        const std::string scale =
            isNone(n->input(1)) ? initializer(torch::ones({channels}), fresh("bn_scale")) : in(n->input(1));
        const std::string bias = isNone(n->input(2)) ? initializer(torch::zeros({channels}), fresh("bn_bias")) : in(n->input(2));
        auto* node = add("BatchNormalization", {in(n->input(0)), scale, bias, in(n->input(3)), in(n->input(4))},
                         {out(n->output())});
        attrF(node, "epsilon", static_cast<float>(scalar(n->input(7))));
        attrF(node, "momentum", static_cast<float>(1.0 - scalar(n->input(6))));
    }

    void pool(const Node* n, const std::string& op) {
        std::vector<int64_t> kernel = ints(n->input(1)), stride = ints(n->input(2)), padding = ints(n->input(3));
        if (kernel.size() == 1) kernel = {kernel[0], kernel[0]};
        if (stride.empty()) stride = kernel;
        if (stride.size() == 1) stride = {stride[0], stride[0]};
        if (padding.size() == 1) padding = {padding[0], padding[0]};
        std::string x = in(n->input(0));
        const bool padded = padding[0] != 0 || padding[1] != 0;
        if (op == "AveragePool" && padded && boolean(n->input(5)) && !boolean(n->input(4))) {
            // count_include_pad: zero-pad explicitly, then average whole windows
            // (OpenCV 4.6 divides padded windows by the valid count otherwise).
            const std::string p = fresh("avgpool_pad");
            add("Pad", {x, int64s({0, 0, padding[0], padding[1], 0, 0, padding[0], padding[1]})}, {p});
            x = p;
            padding = {0, 0};
        }
        auto* node = add(op, {x}, {out(n->output())});
        attrInts(node, "kernel_shape", kernel);
        attrInts(node, "strides", stride);
        attrInts(node, "pads", {padding[0], padding[1], padding[0], padding[1]});
        bool ceil = false;
        if (op == "MaxPool") {
            std::vector<int64_t> dilation = ints(n->input(4));
            for (int64_t d : dilation)
                if (d != 1) unsupported(n, "dilated max pooling");
            ceil = boolean(n->input(5));
        } else {
            ceil = boolean(n->input(4));
            attrI(node, "count_include_pad", boolean(n->input(5)) ? 1 : 0);
            if (n->inputs().size() > 6 && !isNone(n->input(6))) unsupported(n, "avg_pool2d with divisor_override");
        }
        if (ceil) attrI(node, "ceil_mode", 1);
    }

    void adaptiveAvgPool(const Node* n) {
        const std::vector<int64_t> inShape = shapeOf(n->input(0));
        std::vector<int64_t> size = ints(n->input(1));
        if (size.size() == 1) size = {size[0], size[0]};
        const int64_t h = inShape.at(2), w = inShape.at(3);
        if (size[0] == 1 && size[1] == 1) {
            add("GlobalAveragePool", {in(n->input(0))}, {out(n->output())});
        } else if (size[0] == h && size[1] == w) {
            m_names[n->output()] = in(n->input(0));
        } else if (h % size[0] == 0 && w % size[1] == 0) {
            auto* node = add("AveragePool", {in(n->input(0))}, {out(n->output())});
            attrInts(node, "kernel_shape", {h / size[0], w / size[1]});
            attrInts(node, "strides", {h / size[0], w / size[1]});
        } else {
            unsupported(n, "adaptive average pooling from " + std::to_string(h) + "x" + std::to_string(w) + " to " +
                               std::to_string(size[0]) + "x" + std::to_string(size[1]) +
                               " (not an integer factor; use the model's native input size)");
        }
    }

    void cat(const Node* n) {
        const Node* list = n->input(0)->node();
        if (list->kind() != c10::prim::ListConstruct) unsupported(n, "concatenation of a computed list");
        std::vector<std::string> inputs;
        for (const Value* v : list->inputs()) inputs.push_back(in(v));
        auto* node = add("Concat", inputs, {out(n->output())});
        attrI(node, "axis", scalarInt(n->input(1)));
    }

    void emitReshape(const Node* n, const Value* input, const Value* output) {
        std::vector<int64_t> target = shapeOf(output);
        const std::vector<int64_t> source = shapeOf(input);
        if (!target.empty() && !source.empty() && target[0] == source[0] && source[0] == kTraceBatch) target[0] = 0;
        else if (!source.empty() && source[0] == kTraceBatch)
            unsupported(n, "a reshape that mixes the batch dimension with others");
        add("Reshape", {in(input), int64s(target)}, {out(output)});
    }

    void flatten(const Node* n) {
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        int64_t start = scalarInt(n->input(1)), end = scalarInt(n->input(2));
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        if (start == 1 && end == rank - 1) {
            auto* node = add("Flatten", {in(n->input(0))}, {out(n->output())});
            attrI(node, "axis", 1);
            return;
        }
        emitReshape(n, n->input(0), n->output());
    }

    void reshape(const Node* n) { emitReshape(n, n->input(0), n->output()); }

    void transpose(const Node* n) {
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        int64_t a = scalarInt(n->input(1)), b = scalarInt(n->input(2));
        if (a < 0) a += rank;
        if (b < 0) b += rank;
        std::vector<int64_t> perm(rank);
        for (int64_t i = 0; i < rank; ++i) perm[i] = i;
        std::swap(perm[a], perm[b]);
        auto* node = add("Transpose", {in(n->input(0))}, {out(n->output())});
        attrInts(node, "perm", perm);
    }

    void permute(const Node* n) {
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        std::vector<int64_t> perm = ints(n->input(1));
        for (auto& p : perm)
            if (p < 0) p += rank;
        auto* node = add("Transpose", {in(n->input(0))}, {out(n->output())});
        attrInts(node, "perm", perm);
    }

    void linear(const Node* n) {
        const std::vector<int64_t> shape = shapeOf(n->input(0));
        const bool hasBias = !isNone(n->input(2));
        if (shape.size() == 2) {
            std::vector<std::string> inputs{in(n->input(0)), in(n->input(1))};
            if (hasBias) inputs.push_back(in(n->input(2)));
            auto* node = add("Gemm", inputs, {out(n->output())});
            attrI(node, "transB", 1);
            return;
        }
        const at::Tensor w = constantTensor(n->input(1));
        const std::string wt = initializer(w.t().contiguous(), fresh("weight_t"));
        if (!hasBias) {
            add("MatMul", {in(n->input(0)), wt}, {out(n->output())});
            return;
        }
        const std::string mm = fresh("matmul");
        add("MatMul", {in(n->input(0)), wt}, {mm});
        add("Add", {mm, in(n->input(2))}, {out(n->output())});
    }

    void addmm(const Node* n) {
        // addmm(bias, x, w.t()) as the tracer may record a Linear: Gemm.
        const Node* mat = n->input(2)->node();
        std::vector<std::string> inputs{in(n->input(1))};
        bool transB = false;
        if (mat->kind().toQualString() == std::string("aten::t")) {
            inputs.push_back(in(mat->input(0)));
            transB = true;
        } else {
            inputs.push_back(in(n->input(2)));
        }
        inputs.push_back(in(n->input(0)));
        auto* node = add("Gemm", inputs, {out(n->output())});
        if (transB) attrI(node, "transB", 1);
        attrF(node, "beta", static_cast<float>(scalar(n->input(3))));
        attrF(node, "alpha", static_cast<float>(scalar(n->input(4))));
    }

    void mean(const Node* n) {
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        std::vector<int64_t> axes = ints(n->input(1));
        for (auto& a : axes)
            if (a < 0) a += rank;
        const bool keep = boolean(n->input(2));
        if (rank == 4 && axes == std::vector<int64_t>{2, 3}) {
            // Global average pooling: GlobalAveragePool runs everywhere.
            if (keep) {
                add("GlobalAveragePool", {in(n->input(0))}, {out(n->output())});
                return;
            }
            const std::string pooled = fresh("gap");
            add("GlobalAveragePool", {in(n->input(0))}, {pooled});
            auto* node = add("Flatten", {pooled}, {out(n->output())});
            attrI(node, "axis", 1);
            return;
        }
        auto* node = add("ReduceMean", {in(n->input(0))}, {out(n->output())});
        attrInts(node, "axes", axes);
        attrI(node, "keepdims", keep ? 1 : 0);
    }

    void layerNorm(const Node* n) {
        // Decomposed (LayerNormalization is opset 17): (x - mean) / sqrt(var + eps) * w + b.
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        const int64_t normDims = static_cast<int64_t>(ints(n->input(1)).size());
        std::vector<int64_t> axes;
        for (int64_t i = rank - normDims; i < rank; ++i) axes.push_back(i);
        const std::string x = in(n->input(0));
        const std::string mu = fresh("ln_mean"), d = fresh("ln_centered"), sq = fresh("ln_sq"), var = fresh("ln_var"),
                          ve = fresh("ln_var_eps"), sd = fresh("ln_std"), norm = fresh("ln_norm");
        auto* m1 = add("ReduceMean", {x}, {mu});
        attrInts(m1, "axes", axes);
        add("Sub", {x, mu}, {d});
        add("Mul", {d, d}, {sq});
        auto* m2 = add("ReduceMean", {sq}, {var});
        attrInts(m2, "axes", axes);
        add("Add", {var, initializer(scalar1(scalar(n->input(4)), at::kFloat), fresh("ln_eps"))}, {ve});
        add("Sqrt", {ve}, {sd});
        add("Div", {d, sd}, {norm});
        const bool hasW = !isNone(n->input(2)), hasB = !isNone(n->input(3));
        std::string y = norm;
        if (hasW) {
            const std::string scaled = hasB ? fresh("ln_scaled") : out(n->output());
            add("Mul", {y, in(n->input(2))}, {scaled});
            y = scaled;
        }
        if (hasB) add("Add", {y, in(n->input(3))}, {out(n->output())});
        if (!hasW && !hasB) m_names[n->output()] = norm;
    }

    void chunk(const Node* n) {
        const std::vector<int64_t> shape = shapeOf(n->input(0));
        const int64_t chunks = scalarInt(n->input(1));
        int64_t dim = scalarInt(n->input(2));
        if (dim < 0) dim += static_cast<int64_t>(shape.size());
        const int64_t size = shape.at(dim);
        const int64_t each = (size + chunks - 1) / chunks;
        std::vector<int64_t> splits;
        for (int64_t left = size; left > 0; left -= each) splits.push_back(std::min(each, left));
        std::vector<std::string> outputs;
        for (size_t i = 0; i < splits.size(); ++i) outputs.push_back(fresh("chunk"));
        auto* node = add("Split", {in(n->input(0)), int64s(splits)}, outputs);
        attrI(node, "axis", dim);
        m_lists[n->output()] = outputs;
    }

    void select(const Node* n) {
        // Slice + Squeeze; an unsqueeze of the same axis right after reuses the Slice.
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        int64_t dim = scalarInt(n->input(1));
        if (dim < 0) dim += rank;
        const int64_t index = scalarInt(n->input(2));
        const std::string sliced = fresh("select");
        add("Slice", {in(n->input(0)), int64s({index}), int64s({index + 1}), int64s({dim})}, {sliced});
        m_selected[n->output()] = {sliced, dim};  // squeezed only when used as is (see in())
    }

    void unsqueeze(const Node* n) {
        const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
        int64_t dim = scalarInt(n->input(1));
        if (dim < 0) dim += rank + 1;
        const auto sel = m_selected.find(n->input(0));
        if (sel != m_selected.end() && sel->second.second == dim) {
            m_names[n->output()] = sel->second.first;
            return;
        }
        add("Unsqueeze", {in(n->input(0)), int64s({dim})}, {out(n->output())});
    }

    void slice(const Node* n) {
        const std::vector<int64_t> shape = shapeOf(n->input(0));
        int64_t dim = scalarInt(n->input(1));
        if (dim < 0) dim += static_cast<int64_t>(shape.size());
        const int64_t size = shape.at(dim);
        int64_t start = isNone(n->input(2)) ? 0 : scalarInt(n->input(2));
        int64_t end = isNone(n->input(3)) ? size : std::min<int64_t>(scalarInt(n->input(3)), size);
        const int64_t step = scalarInt(n->input(4));
        if (dim == 0 && !(start == 0 && end >= size && step == 1)) unsupported(n, "slicing the batch dimension");
        if (dim == 0) {
            m_names[n->output()] = in(n->input(0));
            return;
        }
        add("Slice", {in(n->input(0)), int64s({start}), int64s({end}), int64s({dim}), int64s({step})}, {out(n->output())});
    }

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
        auto* node = converter.add("Softmax", {"logits"}, {"probabilities"});
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
