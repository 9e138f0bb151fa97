// The op handlers of the ONNX converter: one table from the name of a traced
// op to the handler that writes its ONNX nodes (Converter::convert), then the
// handlers. An op missing from the table is refused with its name.
#include "core/export/OnnxConverter.h"

#include "core/common/Error.h"

#include <torch/csrc/jit/ir/constants.h>
#include <torch/types.h>

#include <cmath>
#include <functional>

namespace ts::exporting::onnxexport {


void Converter::convert(const Node* n) {
    using Handler = std::function<void(Converter&, const Node*)>;
    // Values that ops read as constants, evaluated lazily where an op needs them.
    const Handler lazy = [](Converter&, const Node*) {};
    // Ops that pass their input through unchanged in eval mode.
    const Handler identity = [](Converter& c, const Node* n) {
        const std::string k = n->kind().toQualString();
        if ((k.find("dropout") != std::string::npos) && c.boolean(n->input(2)))
            c.unsupported(n, "dropout in training mode (put the model in eval mode first)");
        c.m_names[n->output()] = c.in(n->input(0));
    };
    auto op = [](const char* onnxOp) { return [onnxOp](Converter& c, const Node* n) { c.unary(n, onnxOp); }; };
    static const std::unordered_map<std::string, Handler> kHandlers = {
        {"prim::Constant", lazy},
        {"prim::ListConstruct", lazy},
        {"aten::size", lazy},
        {"prim::NumToTensor", lazy},
        {"aten::Int", lazy},
        {"aten::ScalarImplicit", lazy},
        {"prim::TupleConstruct", lazy},
        {"prim::ListUnpack",
         [](Converter& c, const Node* n) {
             const auto it = c.m_lists.find(n->input(0));
             if (it == c.m_lists.end() || it->second.size() != n->outputs().size())
                 c.unsupported(n, "a list not made by chunk/split");
             for (size_t i = 0; i < n->outputs().size(); ++i) c.m_names[n->output(i)] = it->second[i];
         }},
        {"aten::_convolution", [](Converter& c, const Node* n) { c.conv(n, true); }},
        {"aten::conv2d", [](Converter& c, const Node* n) { c.conv(n, false); }},
        {"aten::batch_norm", [](Converter& c, const Node* n) { c.batchNorm(n); }},
        {"aten::relu", op("Relu")},
        {"aten::relu_", op("Relu")},
        {"aten::sigmoid", op("Sigmoid")},
        {"aten::sigmoid_", op("Sigmoid")},
        {"aten::tanh", op("Tanh")},
        {"aten::tanh_", op("Tanh")},
        {"aten::hardtanh", [](Converter& c, const Node* n) { c.clip(n, c.scalar(n->input(1)), c.scalar(n->input(2))); }},
        {"aten::hardtanh_", [](Converter& c, const Node* n) { c.clip(n, c.scalar(n->input(1)), c.scalar(n->input(2))); }},
        {"aten::relu6", [](Converter& c, const Node* n) { c.clip(n, 0.0, 6.0); }},
        {"aten::relu6_", [](Converter& c, const Node* n) { c.clip(n, 0.0, 6.0); }},
        {"aten::hardsigmoid", [](Converter& c, const Node* n) { c.hardSigmoid(n); }},
        {"aten::hardsigmoid_", [](Converter& c, const Node* n) { c.hardSigmoid(n); }},
        {"aten::hardswish", [](Converter& c, const Node* n) { c.hardSwish(n); }},
        {"aten::hardswish_", [](Converter& c, const Node* n) { c.hardSwish(n); }},
        {"aten::silu", [](Converter& c, const Node* n) { c.silu(n); }},
        {"aten::silu_", [](Converter& c, const Node* n) { c.silu(n); }},
        {"aten::gelu", [](Converter& c, const Node* n) { c.gelu(n); }},
        {"aten::gelu_", [](Converter& c, const Node* n) { c.gelu(n); }},
        {"aten::add", [](Converter& c, const Node* n) { c.binaryAlpha(n, "Add", false); }},
        {"aten::add_", [](Converter& c, const Node* n) { c.binaryAlpha(n, "Add", false); }},
        {"aten::sub", [](Converter& c, const Node* n) { c.binaryAlpha(n, "Sub", false); }},
        {"aten::sub_", [](Converter& c, const Node* n) { c.binaryAlpha(n, "Sub", false); }},
        {"aten::rsub", [](Converter& c, const Node* n) { c.binaryAlpha(n, "Sub", true); }},
        {"aten::mul", [](Converter& c, const Node* n) { c.binary(n, "Mul"); }},
        {"aten::mul_", [](Converter& c, const Node* n) { c.binary(n, "Mul"); }},
        {"aten::div", [](Converter& c, const Node* n) { c.binary(n, "Div"); }},
        {"aten::div_", [](Converter& c, const Node* n) { c.binary(n, "Div"); }},
        {"aten::pow", [](Converter& c, const Node* n) { c.binary(n, "Pow"); }},
        {"aten::max_pool2d", [](Converter& c, const Node* n) { c.pool(n, "MaxPool"); }},
        {"aten::avg_pool2d", [](Converter& c, const Node* n) { c.pool(n, "AveragePool"); }},
        {"aten::adaptive_avg_pool2d", [](Converter& c, const Node* n) { c.adaptiveAvgPool(n); }},
        {"aten::cat", [](Converter& c, const Node* n) { c.cat(n); }},
        {"aten::flatten", [](Converter& c, const Node* n) { c.flatten(n); }},
        {"aten::view", [](Converter& c, const Node* n) { c.reshape(n); }},
        {"aten::reshape", [](Converter& c, const Node* n) { c.reshape(n); }},
        {"aten::_unsafe_view", [](Converter& c, const Node* n) { c.reshape(n); }},
        {"aten::transpose", [](Converter& c, const Node* n) { c.transpose(n); }},
        {"aten::transpose_", [](Converter& c, const Node* n) { c.transpose(n); }},
        {"aten::permute", [](Converter& c, const Node* n) { c.permute(n); }},
        {"aten::t",
         [](Converter& c, const Node* n) {
             auto* node = c.add("Transpose", {c.in(n->input(0))}, {c.out(n->output())});
             attrInts(node, "perm", {1, 0});
         }},
        {"aten::contiguous", identity},
        {"aten::clone", identity},
        {"aten::dropout", identity},
        {"aten::dropout_", identity},
        {"aten::feature_dropout", identity},
        {"aten::feature_dropout_", identity},
        {"aten::alpha_dropout", identity},
        {"aten::detach", identity},
        {"aten::to", identity},
        {"aten::type_as", identity},
        {"aten::linear", [](Converter& c, const Node* n) { c.linear(n); }},
        {"aten::addmm", [](Converter& c, const Node* n) { c.addmm(n); }},
        {"aten::matmul", [](Converter& c, const Node* n) { c.unaryOp2(n, "MatMul"); }},
        {"aten::mean", [](Converter& c, const Node* n) { c.mean(n); }},
        {"aten::layer_norm", [](Converter& c, const Node* n) { c.layerNorm(n); }},
        {"aten::chunk", [](Converter& c, const Node* n) { c.chunk(n); }},
        {"aten::unsafe_chunk", [](Converter& c, const Node* n) { c.chunk(n); }},
        {"aten::select", [](Converter& c, const Node* n) { c.select(n); }},
        {"aten::unsqueeze", [](Converter& c, const Node* n) { c.unsqueeze(n); }},
        {"aten::unsqueeze_", [](Converter& c, const Node* n) { c.unsqueeze(n); }},
        {"aten::slice", [](Converter& c, const Node* n) { c.slice(n); }},
        {"aten::softmax", [](Converter& c, const Node* n) { c.softmax(n); }},
        {"aten::_softmax", [](Converter& c, const Node* n) { c.softmax(n); }},
    };
    const auto it = kHandlers.find(n->kind().toQualString());
    if (it == kHandlers.end()) unsupported(n, "this operation has no ONNX conversion yet");
    it->second(*this, n);
}

void Converter::hardSigmoid(const Node* n) {
    auto* node = add("HardSigmoid", {in(n->input(0))}, {out(n->output())});
    attrF(node, "alpha", 1.0f / 6.0f);
    attrF(node, "beta", 0.5f);
}

void Converter::hardSwish(const Node* n) {
    const std::string x = in(n->input(0));
    const std::string hs = fresh("hsig");
    auto* node = add("HardSigmoid", {x}, {hs});
    attrF(node, "alpha", 1.0f / 6.0f);
    attrF(node, "beta", 0.5f);
    add("Mul", {x, hs}, {out(n->output())});
}

void Converter::silu(const Node* n) {
    const std::string x = in(n->input(0));
    const std::string s = fresh("sig");
    add("Sigmoid", {x}, {s});
    add("Mul", {x, s}, {out(n->output())});
}

void Converter::softmax(const Node* n) {
    auto* node = add("Softmax", {in(n->input(0))}, {out(n->output())});
    attrI(node, "axis", scalarInt(n->input(1)));
}

void Converter::unary(const Node* n, const std::string& op) { add(op, {in(n->input(0))}, {out(n->output())}); }

void Converter::unaryOp2(const Node* n, const std::string& op) { add(op, {in(n->input(0)), in(n->input(1))}, {out(n->output())}); }

void Converter::clip(const Node* n, double lo, double hi) {
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

void Converter::gelu(const Node* n) {
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

void Converter::binary(const Node* n, const std::string& op) {
    add(op, {in(n->input(0)), in(n->input(1))}, {out(n->output())});
}

void Converter::binaryAlpha(const Node* n, const std::string& op, bool reversed) {
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

void Converter::conv(const Node* n, bool underscored) {
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

void Converter::batchNorm(const Node* n) {
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

void Converter::pool(const Node* n, const std::string& op) {
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

void Converter::adaptiveAvgPool(const Node* n) {
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

void Converter::cat(const Node* n) {
    const Node* list = n->input(0)->node();
    if (list->kind() != c10::prim::ListConstruct) unsupported(n, "concatenation of a computed list");
    std::vector<std::string> inputs;
    for (const Value* v : list->inputs()) inputs.push_back(in(v));
    auto* node = add("Concat", inputs, {out(n->output())});
    attrI(node, "axis", scalarInt(n->input(1)));
}

void Converter::emitReshape(const Node* n, const Value* input, const Value* output) {
    std::vector<int64_t> target = shapeOf(output);
    const std::vector<int64_t> source = shapeOf(input);
    if (!target.empty() && !source.empty() && target[0] == source[0] && source[0] == kTraceBatch) target[0] = 0;
    else if (!source.empty() && source[0] == kTraceBatch)
        unsupported(n, "a reshape that mixes the batch dimension with others");
    add("Reshape", {in(input), int64s(target)}, {out(output)});
}

void Converter::flatten(const Node* n) {
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

void Converter::reshape(const Node* n) { emitReshape(n, n->input(0), n->output()); }

void Converter::transpose(const Node* n) {
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

void Converter::permute(const Node* n) {
    const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
    std::vector<int64_t> perm = ints(n->input(1));
    for (auto& p : perm)
        if (p < 0) p += rank;
    auto* node = add("Transpose", {in(n->input(0))}, {out(n->output())});
    attrInts(node, "perm", perm);
}

void Converter::linear(const Node* n) {
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

void Converter::addmm(const Node* n) {
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

void Converter::mean(const Node* n) {
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

void Converter::layerNorm(const Node* n) {
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

void Converter::chunk(const Node* n) {
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

void Converter::select(const Node* n) {
    // Slice + Squeeze; an unsqueeze of the same axis right after reuses the Slice.
    const int64_t rank = static_cast<int64_t>(shapeOf(n->input(0)).size());
    int64_t dim = scalarInt(n->input(1));
    if (dim < 0) dim += rank;
    const int64_t index = scalarInt(n->input(2));
    const std::string sliced = fresh("select");
    add("Slice", {in(n->input(0)), int64s({index}), int64s({index + 1}), int64s({dim})}, {sliced});
    m_selected[n->output()] = {sliced, dim};  // squeezed only when used as is (see in())
}

void Converter::unsqueeze(const Node* n) {
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

void Converter::slice(const Node* n) {
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

} // namespace ts::exporting::onnxexport
