#pragma once
// SafeUnpickler: reads the Python pickles inside .pth files without Python
// and without trusting them.
//
// A pickle is a small program; Python's own unpickler runs whatever callable
// it names (os.system, eval, ...). This one understands the opcodes of
// protocols 0-4 that torch.save and plain containers use, and calls nothing
// but a fixed whitelist implemented here in C++:
//   collections.OrderedDict, torch._utils._rebuild_tensor(_v2),
//   torch._utils._rebuild_parameter(_with_state), the torch.*Storage
//   types (as storage tags in persistent ids only), and the identity
//   helpers LibTorch's own torch::pickle_save writes
//   (torch.jit._pickle.restore_type_tag / build_*list).
// Any other class or function reference (GLOBAL, STACK_GLOBAL, INST, OBJ,
// NEWOBJ, REDUCE, BUILD, EXT*) throws ts::WeightsError before anything is
// built. Every length, index and shape is checked against the input.
//
// Budget: what one unpickler builds (values, container slots, strings, memo
// entries, stack and marks) is counted, and the file is refused once the
// count passes kBaseBudgetBytes + kBudgetPerInputByte x the input size, so
// memory stays a small multiple of the file however its opcodes are chosen.
// Memo indices must be smaller than the input. A list or dict cannot be
// filled with a container once it sits inside another container: that is
// the only way to build a reference cycle, which torch.save never writes,
// so no self-referencing structure (and no leak) can be made.
//
// Thread safety: one unpickler per thread.
#include <ATen/Tensor.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ts::weights::pickle {

struct Value;
using ValuePtr = std::shared_ptr<Value>;

/// What a Value holds. Only what a weights file may legitimately contain.
enum class Kind {
    None,
    Bool,
    Int,      ///< fits in int64
    BigInt,   ///< wider integer: little-endian two's complement bytes in `str`
    Float,
    Str,      ///< text (UTF-8)
    Bytes,
    List,
    Tuple,
    Dict,     ///< dict or collections.OrderedDict, insertion order kept
    Tensor,
    Storage,  ///< a tensor's storage from a persistent id (flat tensor + window)
    Global,   ///< a whitelisted Python callable or class, see GlobalKind
};

/// The whitelisted Python names a pickle may refer to.
enum class GlobalKind {
    OrderedDict,
    RebuildTensor,            ///< torch._utils._rebuild_tensor (legacy)
    RebuildTensorV2,          ///< torch._utils._rebuild_tensor_v2
    RebuildParameter,         ///< torch._utils._rebuild_parameter
    RebuildParameterWithState,///< torch._utils._rebuild_parameter_with_state
    StorageType,              ///< torch.FloatStorage etc.; `dtype` says which
    RestoreTypeTag,           ///< torch.jit._pickle.restore_type_tag (LibTorch's pickle_save)
    BuildList,                ///< torch.jit._pickle.build_{int,double,bool,tensor}list
};

struct Value {
    Kind kind = Kind::None;
    bool boolean = false;
    /// Set once the value is an element of a tuple, list or dict (see the
    /// cycle rule above).
    bool embedded = false;
    GlobalKind global = GlobalKind::OrderedDict;  ///< Global
    at::ScalarType dtype = at::kFloat;            ///< Global StorageType
    int64_t integer = 0;
    double real = 0.0;
    std::string str;                                     ///< Str, Bytes, BigInt; Global: "module.name"
    std::vector<ValuePtr> items;                         ///< List, Tuple
    std::vector<std::pair<ValuePtr, ValuePtr>> entries;  ///< Dict
    /// Dict: string key -> entries index (allocated with the first string key).
    std::unique_ptr<std::unordered_map<std::string, size_t>> strIndex;
    at::Tensor tensor;          ///< Tensor; Storage: the whole storage as a flat tensor
    int64_t storageOffset = 0;  ///< Storage: first element of the window (legacy storage views)
    int64_t storageNumel = 0;   ///< Storage: elements in the window

    Value() = default;
    Value(const Value&) = delete;
    Value& operator=(const Value&) = delete;
    /// Releases nested containers iteratively: a hostile pickle nesting
    /// lists a million deep must not overflow the stack on destruction.
    ~Value();

    static ValuePtr make(Kind kind);
    static ValuePtr makeInt(int64_t v);
    static ValuePtr makeStr(std::string s);

    /// Dict lookup by string key; nullptr when absent.
    ValuePtr get(const std::string& key) const;
    /// Python-like name of the kind, for messages ("dict", "tensor", ...).
    std::string typeName() const;
};

class SafeUnpickler {
public:
    /// Memory every unpickler may use whatever its input, in bytes.
    static constexpr size_t kBaseBudgetBytes = size_t(16) << 20;
    /// Memory allowed per byte of input on top of that. A torch.save state
    /// dict needs about 30 (mobilenet_v2: 34 KB of pickle).
    static constexpr size_t kBudgetPerInputByte = 48;

    /// Maps a persistent id (the tuple torch.save writes for each storage)
    /// to a Storage value. Throws ts::WeightsError for ids it rejects.
    using PersistentLoad = std::function<ValuePtr(const Value& pid)>;

    /// Reads pickles from `bytes` (which must outlive the unpickler);
    /// `sourceName` names the file in messages.
    SafeUnpickler(std::string_view bytes, std::string sourceName, PersistentLoad persistentLoad = {});

    /// Runs one pickle from the current position to its STOP opcode and
    /// returns its value. The legacy format holds several pickles back to
    /// back: call again for the next one.
    ValuePtr load();

    /// Bytes consumed so far.
    size_t position() const { return m_pos; }

    /// Memory charged to the budget so far (see above), in bytes.
    size_t budgetUsed() const;

private:
    [[noreturn]] void fail(const std::string& what) const;
    void charge(size_t bytes);
    ValuePtr newValue(Kind kind);
    void push(ValuePtr v);
    void adopt(Value& container, Value& item);
    [[noreturn]] void refuse(const std::string& qualifiedName) const;
    void need(size_t n) const;
    unsigned char byte();
    std::string_view take(size_t n);
    std::string_view line();
    ValuePtr pop();
    ValuePtr& top();
    std::vector<ValuePtr> popToMark();
    ValuePtr resolveGlobal(const std::string& module, const std::string& name);
    ValuePtr call(const ValuePtr& callable, const ValuePtr& args);
    ValuePtr rebuildTensor(const std::vector<ValuePtr>& args, const std::string& what);
    void setItem(Value& dict, ValuePtr key, ValuePtr value);
    void build(const ValuePtr& target, const ValuePtr& state);

    std::string_view m_bytes;
    std::string m_source;
    PersistentLoad m_persistentLoad;
    size_t m_pos = 0;
    size_t m_opcodeAt = 0;
    std::vector<ValuePtr> m_stack;
    std::vector<size_t> m_marks;
    std::unordered_map<uint64_t, ValuePtr> m_memo;
    size_t m_budgetLeft = 0;
    ValuePtr m_none, m_true, m_false, m_emptyTuple;
    std::vector<ValuePtr> m_smallInts;  ///< shared Int values 0..255
};

} // namespace ts::weights::pickle
