// The ONNX converter's graph helpers: the ONNX name of each traced value,
// constants read from the trace, initializers (parameters keep their
// state_dict names and are written once), node and attribute builders.
#include "core/export/OnnxConverter.h"

#include "core/common/Error.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/types.h>

#include <sstream>

namespace ts::exporting::onnxexport {

at::Tensor scalar1(const c10::Scalar& value, const at::TensorOptions& options) {
    return at::full({1}, value, options);
}


void Converter::setName(const Value* v, const std::string& name) { m_names[v] = name; }

/// Name of the ONNX tensor holding `v` (a converted value or a constant).
std::string Converter::in(const Value* v, at::ScalarType scalarType) {
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

std::string Converter::initializer(const at::Tensor& t, const std::string& suggested) {
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

std::string Converter::fresh(const std::string& hint) { return hint + "_" + std::to_string(m_counter++); }

onnx::NodeProto* Converter::add(const std::string& op, const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
    auto* node = m_g.add_node();
    node->set_op_type(op);
    node->set_name(op + "_" + std::to_string(m_counter++));
    for (const auto& i : inputs) node->add_input(i);
    for (const auto& o : outputs) node->add_output(o);
    return node;
}

std::string Converter::out(const Value* v) {
    const std::string name = "t" + std::to_string(m_counter++);
    m_names[v] = name;
    return name;
}

std::string Converter::int64s(const std::vector<int64_t>& values) {
    return initializer(torch::tensor(values, at::kLong), fresh("ints"));
}

void Converter::setParamSizes(std::unordered_map<const void*, std::vector<int64_t>> sizes) { m_paramSizes = std::move(sizes); }

void Converter::unsupported(const Node* n, const std::string& why) const {
    std::ostringstream os;
    os << "ONNX export of '" << m_arch << "' failed at " << n->kind().toQualString() << ": " << why
       << ". The model cannot be expressed in ONNX by this version; export it as a bundle or .pth instead.";
    throw ModelError(os.str());
}

c10::IValue Converter::constant(const Value* v) const {
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

std::vector<int64_t> Converter::ints(const Value* v) const {
    const c10::IValue iv = constant(v);
    if (iv.isIntList()) return iv.toIntVector();
    if (iv.isInt()) return {iv.toInt()};
    throw ModelError("ONNX export of '" + m_arch + "': expected constant integers for " + v->debugName() + " of " +
                     v->node()->kind().toQualString() + ".");
}

double Converter::scalar(const Value* v) const {
    const c10::IValue iv = constant(v);
    if (iv.isDouble()) return iv.toDouble();
    if (iv.isInt()) return static_cast<double>(iv.toInt());
    if (iv.isBool()) return iv.toBool() ? 1.0 : 0.0;
    throw ModelError("ONNX export of '" + m_arch + "': expected a constant number for " + v->debugName() + ".");
}

int64_t Converter::scalarInt(const Value* v) const { return static_cast<int64_t>(scalar(v)); }

bool Converter::boolean(const Value* v) const {
    const c10::IValue iv = constant(v);
    return iv.isBool() ? iv.toBool() : (iv.isInt() && iv.toInt() != 0);
}

bool Converter::isNone(const Value* v) const { return v->type()->kind() == c10::TypeKind::NoneType || constant(v).isNone(); }

std::vector<int64_t> Converter::shapeOf(const Value* v) const {
    const auto type = v->type()->cast<c10::TensorType>();
    if (!type) throw ModelError("ONNX export of '" + m_arch + "': " + v->debugName() + " is not a tensor.");
    const auto sizes = type->sizes().concrete_sizes();
    if (!sizes) throw ModelError("ONNX export of '" + m_arch + "': the traced shape of " + v->debugName() + " is unknown.");
    return *sizes;
}

at::Tensor Converter::constantTensor(const Value* v) const {
    const c10::IValue iv = constant(v);
    if (!iv.isTensor()) throw ModelError("ONNX export of '" + m_arch + "': expected a weight tensor for " + v->debugName() + ".");
    return iv.toTensor();
}

void Converter::attrI(onnx::NodeProto* node, const std::string& name, int64_t value) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INT);
    a->set_i(value);
}

void Converter::attrF(onnx::NodeProto* node, const std::string& name, float value) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_FLOAT);
    a->set_f(value);
}

void Converter::attrInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
    auto* a = node->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto_AttributeType_INTS);
    for (int64_t v : values) a->add_ints(v);
}

} // namespace ts::exporting::onnxexport
