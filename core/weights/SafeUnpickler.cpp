#include "core/weights/SafeUnpickler.h"
#include "core/weights/PickleCosts.h"

#include "core/common/Error.h"
#include "core/common/Json.h"

#include <cstring>
#include <limits>

namespace ts::weights::pickle {
namespace {

using namespace detail;

// Bounds on what a legitimate weights file needs; beyond them the input is
// hostile or broken, and we stop before allocating.
constexpr int64_t kMaxTensorDims = 64;

bool isContainer(const Value& v) { return v.kind == Kind::List || v.kind == Kind::Tuple || v.kind == Kind::Dict; }

bool parseStorageType(const std::string& name, at::ScalarType& dtype) {
    static const std::pair<const char*, at::ScalarType> types[] = {
        {"FloatStorage", at::kFloat},       {"DoubleStorage", at::kDouble},
        {"HalfStorage", at::kHalf},         {"BFloat16Storage", at::kBFloat16},
        {"LongStorage", at::kLong},         {"IntStorage", at::kInt},
        {"ShortStorage", at::kShort},       {"CharStorage", at::kChar},
        {"ByteStorage", at::kByte},         {"BoolStorage", at::kBool},
        {"ComplexFloatStorage", at::kComplexFloat}, {"ComplexDoubleStorage", at::kComplexDouble},
    };
    for (const auto& [n, t] : types)
        if (name == n) {
            dtype = t;
            return true;
        }
    return false;
}

bool checkedMul(int64_t a, int64_t b, int64_t& out) { return !__builtin_mul_overflow(a, b, &out); }
bool checkedAdd(int64_t a, int64_t b, int64_t& out) { return !__builtin_add_overflow(a, b, &out); }

} // namespace

Value::~Value() {
    std::vector<ValuePtr> pending;
    auto takeChildren = [&pending](Value& v) {
        for (auto& item : v.items) pending.push_back(std::move(item));
        for (auto& [key, value] : v.entries) {
            pending.push_back(std::move(key));
            pending.push_back(std::move(value));
        }
        v.items.clear();
        v.entries.clear();
    };
    takeChildren(*this);
    while (!pending.empty()) {
        ValuePtr child = std::move(pending.back());
        pending.pop_back();
        // Only a value no one else holds is emptied; it then dies childless.
        if (child && child.use_count() == 1) takeChildren(*child);
    }
}

ValuePtr Value::make(Kind kind) {
    auto v = std::make_shared<Value>();
    v->kind = kind;
    return v;
}

ValuePtr Value::makeInt(int64_t v) {
    auto out = make(Kind::Int);
    out->integer = v;
    return out;
}

ValuePtr Value::makeStr(std::string s) {
    auto out = make(Kind::Str);
    out->str = std::move(s);
    return out;
}

ValuePtr Value::get(const std::string& key) const {
    if (kind != Kind::Dict || !strIndex) return nullptr;
    const auto it = strIndex->find(key);
    return it == strIndex->end() ? nullptr : entries[it->second].second;
}

std::string Value::typeName() const {
    switch (kind) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int:
    case Kind::BigInt: return "int";
    case Kind::Float: return "float";
    case Kind::Str: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Tensor: return "tensor";
    case Kind::Storage: return "storage";
    case Kind::Global: return str;
    }
    return "value";
}

SafeUnpickler::SafeUnpickler(std::string_view bytes, std::string sourceName, PersistentLoad persistentLoad)
    : m_bytes(bytes), m_source(std::move(sourceName)), m_persistentLoad(std::move(persistentLoad)),
      m_budgetLeft(kBaseBudgetBytes + kBudgetPerInputByte * bytes.size()), m_smallInts(kSharedInts) {}

size_t SafeUnpickler::budgetUsed() const { return kBaseBudgetBytes + kBudgetPerInputByte * m_bytes.size() - m_budgetLeft; }

void SafeUnpickler::charge(size_t bytes) {
    if (bytes <= m_budgetLeft) {
        m_budgetLeft -= bytes;
        return;
    }
    const size_t budget = kBaseBudgetBytes + kBudgetPerInputByte * m_bytes.size();
    throw WeightsError("'" + m_source + "' is refused: its pickle data (" + std::to_string(m_bytes.size()) +
                       " bytes) builds more values than any PyTorch file of that size holds (over " +
                       std::to_string(budget >> 20) + " MiB of memory, at byte " + std::to_string(m_opcodeAt) +
                       "). The file is damaged or made to exhaust memory; do not use it.");
}

ValuePtr SafeUnpickler::newValue(Kind kind) {
    charge(kValueCost);
    return Value::make(kind);
}

void SafeUnpickler::push(ValuePtr v) {
    charge(kSlotCost);
    m_stack.push_back(std::move(v));
}

void SafeUnpickler::adopt(Value& container, Value& item) {
    // A container that already sits inside another one may only receive
    // leaves: a container added to it could hold it, making a cycle. One
    // that sits nowhere can only be reached from itself.
    if (&container == &item || (container.embedded && isContainer(item)))
        fail("a " + item.typeName() + " is added to a " + container.typeName() +
             " that is already inside another container (a self-referencing structure, which torch.save never "
             "writes)");
    item.embedded = true;
}

void SafeUnpickler::fail(const std::string& what) const {
    throw WeightsError("'" + m_source + "' is not a valid PyTorch weights file: " + what + " (at byte " +
                       std::to_string(m_opcodeAt) + " of its pickle data). The file may be truncated or corrupt: "
                       "download or save it again with torch.save(model.state_dict(), path).");
}

void SafeUnpickler::refuse(const std::string& qualifiedName) const {
    throw WeightsError("'" + m_source + "' tries to construct the Python object '" + printable(qualifiedName, 120) + "' (at byte " +
                       std::to_string(m_opcodeAt) +
                       " of its pickle data); refused: weights files may only hold tensors and plain values (dict, "
                       "list, tuple, str, numbers). Nothing from the file was run. If it is a whole pickled model "
                       "(torch.save(model)), load it in Python from a source you trust and save "
                       "model.state_dict() instead.");
}

void SafeUnpickler::need(size_t n) const {
    if (n > m_bytes.size() - m_pos) {
        throw WeightsError("'" + m_source + "' is truncated: its pickle data ends in the middle (at byte " +
                           std::to_string(m_bytes.size()) + "). Download or save the file again.");
    }
}

unsigned char SafeUnpickler::byte() {
    need(1);
    return static_cast<unsigned char>(m_bytes[m_pos++]);
}

std::string_view SafeUnpickler::take(size_t n) {
    need(n);
    const auto out = m_bytes.substr(m_pos, n);
    m_pos += n;
    return out;
}

std::string_view SafeUnpickler::line() {
    const size_t end = m_bytes.find('\n', m_pos);
    if (end == std::string_view::npos) need(m_bytes.size() - m_pos + 1);
    const auto out = m_bytes.substr(m_pos, end - m_pos);
    m_pos = end + 1;
    return out;
}

ValuePtr SafeUnpickler::pop() {
    if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back())) fail("stack underflow");
    ValuePtr v = std::move(m_stack.back());
    m_stack.pop_back();
    return v;
}

ValuePtr& SafeUnpickler::top() {
    if (m_stack.empty() || (!m_marks.empty() && m_stack.size() <= m_marks.back())) fail("stack underflow");
    return m_stack.back();
}

std::vector<ValuePtr> SafeUnpickler::popToMark() {
    if (m_marks.empty()) fail("missing MARK");
    const size_t mark = m_marks.back();
    m_marks.pop_back();
    if (mark > m_stack.size()) fail("corrupt MARK");
    std::vector<ValuePtr> items(std::make_move_iterator(m_stack.begin() + static_cast<std::ptrdiff_t>(mark)),
                                std::make_move_iterator(m_stack.end()));
    m_stack.resize(mark);
    return items;
}

ValuePtr SafeUnpickler::resolveGlobal(const std::string& module, const std::string& name) {
    const std::string qualified = module + "." + name;
    auto global = [&](GlobalKind kind) {
        auto v = newValue(Kind::Global);
        v->global = kind;
        charge(qualified.size());
        v->str = qualified;
        return v;
    };
    if (module == "collections" && name == "OrderedDict") return global(GlobalKind::OrderedDict);
    if (module == "torch._utils") {
        if (name == "_rebuild_tensor_v2") return global(GlobalKind::RebuildTensorV2);
        if (name == "_rebuild_tensor") return global(GlobalKind::RebuildTensor);
        if (name == "_rebuild_parameter") return global(GlobalKind::RebuildParameter);
        if (name == "_rebuild_parameter_with_state") return global(GlobalKind::RebuildParameterWithState);
    }
    if (module == "torch.jit._pickle") {
        // Written by LibTorch's pickler around typed containers; they return
        // their argument and construct nothing.
        if (name == "restore_type_tag") return global(GlobalKind::RestoreTypeTag);
        if (name == "build_intlist" || name == "build_doublelist" || name == "build_boollist" ||
            name == "build_tensorlist")
            return global(GlobalKind::BuildList);
    }
    at::ScalarType dtype;
    if (module == "torch" && parseStorageType(name, dtype)) {
        auto v = global(GlobalKind::StorageType);
        v->dtype = dtype;
        return v;
    }
    refuse(qualified);
}

ValuePtr SafeUnpickler::rebuildTensor(const std::vector<ValuePtr>& args, const std::string& what) {
    // (storage, storage_offset, size, stride, ...) as torch._utils writes it.
    if (args.size() < 4) fail(what + " called with too few arguments");
    const Value& storage = *args[0];
    if (storage.kind != Kind::Storage) fail(what + " expects a storage, got a " + storage.typeName());
    if (args[1]->kind != Kind::Int) fail("tensor storage offset is not an integer");
    auto intList = [&](const Value& v, const char* field) {
        std::vector<int64_t> out;
        if (v.kind != Kind::Tuple && v.kind != Kind::List) fail(std::string("tensor ") + field + " is not a tuple");
        if (static_cast<int64_t>(v.items.size()) > kMaxTensorDims) fail(std::string("tensor ") + field + " has too many dimensions");
        for (const auto& item : v.items) {
            if (item->kind != Kind::Int || item->integer < 0) fail(std::string("tensor ") + field + " holds a bad value");
            out.push_back(item->integer);
        }
        return out;
    };
    const std::vector<int64_t> sizes = intList(*args[2], "size");
    const std::vector<int64_t> strides = intList(*args[3], "stride");
    if (sizes.size() != strides.size()) fail("tensor size and stride have different lengths");
    const int64_t offset = args[1]->integer;
    if (offset < 0) fail("negative tensor storage offset");
    // The last element the view touches must lie inside the storage window.
    bool empty = false;
    int64_t extent = 0;
    for (size_t d = 0; d < sizes.size(); ++d) {
        if (sizes[d] == 0) empty = true;
        int64_t span;
        if (!checkedMul(sizes[d] == 0 ? 0 : sizes[d] - 1, strides[d], span) || !checkedAdd(extent, span, extent))
            fail("tensor shape overflows");
    }
    int64_t last;
    if (!checkedAdd(offset, extent, last)) fail("tensor shape overflows");
    if (!empty && last >= storage.storageNumel)
        fail("a tensor reaches element " + std::to_string(last) + " of a storage that holds " +
             std::to_string(storage.storageNumel));
    auto v = newValue(Kind::Tensor);
    charge(kTensorCost);
    v->tensor = storage.tensor.as_strided(sizes, strides, storage.storageOffset + (empty ? 0 : offset));
    return v;
}

ValuePtr SafeUnpickler::call(const ValuePtr& callable, const ValuePtr& args) {
    if (callable->kind != Kind::Global) fail("a " + callable->typeName() + " is called like a function");
    if (args->kind != Kind::Tuple) fail("call arguments are not a tuple");
    const auto& a = args->items;
    switch (callable->global) {
    case GlobalKind::OrderedDict: {
        // OrderedDict() or OrderedDict([(key, value), ...]).
        auto dict = newValue(Kind::Dict);
        if (a.size() > 1) fail("OrderedDict called with several arguments");
        if (a.size() == 1) {
            if (a[0]->kind != Kind::List && a[0]->kind != Kind::Tuple) fail("OrderedDict called with a " + a[0]->typeName());
            for (const auto& pair : a[0]->items) {
                if ((pair->kind != Kind::Tuple && pair->kind != Kind::List) || pair->items.size() != 2)
                    fail("OrderedDict item is not a pair");
                setItem(*dict, pair->items[0], pair->items[1]);
            }
        }
        return dict;
    }
    case GlobalKind::RebuildTensor:
    case GlobalKind::RebuildTensorV2: return rebuildTensor(a, callable->str);
    case GlobalKind::RebuildParameter:
    case GlobalKind::RebuildParameterWithState: {
        if (a.empty() || a[0]->kind != Kind::Tensor) fail(callable->str + " expects a tensor");
        auto v = newValue(Kind::Tensor);
        charge(kTensorCost);
        v->tensor = a[0]->tensor;
        return v;
    }
    case GlobalKind::RestoreTypeTag:
        if (a.empty()) fail(callable->str + " called without a value");
        return a[0];
    case GlobalKind::BuildList:
        if (a.size() != 1 || a[0]->kind != Kind::List) fail(callable->str + " expects one list");
        return a[0];
    case GlobalKind::StorageType:
        // Storages are only legitimate inside persistent ids; calling the class
        // would build one from pickled bytes, which torch.save never does.
        refuse(callable->str + "(...)");
    }
    fail("unknown call");
}

void SafeUnpickler::setItem(Value& dict, ValuePtr key, ValuePtr value) {
    if (dict.kind != Kind::Dict) fail("SETITEM on a " + dict.typeName());
    if (key->kind == Kind::List || key->kind == Kind::Dict) fail("unhashable dictionary key");
    adopt(dict, *key);
    adopt(dict, *value);
    if (key->kind == Kind::Str) {
        if (!dict.strIndex) dict.strIndex = std::make_unique<std::unordered_map<std::string, size_t>>();
        const auto it = dict.strIndex->find(key->str);
        if (it != dict.strIndex->end()) {
            dict.entries[it->second].second = std::move(value);
            return;
        }
        charge(kEntryCost + key->str.size());
        dict.strIndex->emplace(key->str, dict.entries.size());
    } else {
        charge(kEntryCost);
    }
    dict.entries.emplace_back(std::move(key), std::move(value));
}

void SafeUnpickler::build(const ValuePtr& target, const ValuePtr& state) {
    // torch.save(OrderedDict) sets the `_metadata` attribute through BUILD;
    // attributes of a plain container carry no tensors, so they are dropped.
    if (target->kind == Kind::Dict && (state->kind == Kind::Dict || state->kind == Kind::None ||
                                       (state->kind == Kind::Tuple && state->items.size() == 2)))
        return;
    // _rebuild_parameter_with_state carries its state in the call itself.
    if (target->kind == Kind::Tensor && state->kind == Kind::None) return;
    if (target->kind == Kind::Global) refuse(target->str);
    fail("cannot set the state of a " + target->typeName());
}

} // namespace ts::weights::pickle
