// SafeUnpickler::load(): the opcode loop of the whitelisting unpickler
// (SafeUnpickler.h). Each opcode checks its operands and charges the budget
// before it allocates; the object model, the whitelist and the budget live in
// SafeUnpickler.cpp.
#include "core/weights/PickleCosts.h"
#include "core/weights/SafeUnpickler.h"

#include "core/common/Error.h"
#include "core/common/Json.h"

#include <cstring>
#include <exception>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ts::weights::pickle {
namespace {

using namespace detail;

std::string hexByte(unsigned char b) {
    static const char* digits = "0123456789abcdef";
    return std::string("0x") + digits[b >> 4] + digits[b & 0xf];
}

} // namespace

ValuePtr SafeUnpickler::load() {
    m_stack.clear();
    m_marks.clear();
    m_memo.clear();
    auto memoGet = [&](uint64_t index) {
        const auto it = m_memo.find(index);
        if (it == m_memo.end()) fail("memo entry " + std::to_string(index) + " is missing");
        push(it->second);
    };
    auto memoPut = [&](uint64_t index) {
        // Picklers number memo entries from 0, one per memoized value: an
        // index as large as the input cannot be legitimate.
        if (index >= m_bytes.size()) fail("memo index " + std::to_string(index) + " is out of range");
        const ValuePtr& value = top();
        const auto it = m_memo.find(index);
        if (it != m_memo.end()) {
            it->second = value;
            return;
        }
        charge(kMemoCost);
        m_memo.emplace(index, value);
    };
    // Immutable leaves that pickles repeat by the thousand (None, booleans,
    // small ints, the empty tuple) are shared, not built again each time.
    auto newInt = [&](int64_t value) {
        if (value >= 0 && value < static_cast<int64_t>(kSharedInts)) {
            ValuePtr& shared = m_smallInts[static_cast<size_t>(value)];
            if (!shared) {
                shared = newValue(Kind::Int);
                shared->integer = value;
            }
            return shared;
        }
        auto v = newValue(Kind::Int);
        v->integer = value;
        return v;
    };
    auto newBool = [&](bool b) {
        ValuePtr& shared = b ? m_true : m_false;
        if (!shared) {
            shared = newValue(Kind::Bool);
            shared->boolean = b;
        }
        return shared;
    };
    auto pushStr = [&](Kind kind, std::string_view s) {
        auto v = newValue(kind);
        charge(s.size());
        v->str.assign(s.data(), s.size());
        push(std::move(v));
    };
    auto leU32 = [&](std::string_view s) {
        uint32_t v = 0;
        for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<size_t>(i)]);
        return v;
    };
    auto leU64 = [&](std::string_view s) {
        uint64_t v = 0;
        for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[static_cast<size_t>(i)]);
        return v;
    };
    auto pushLong = [&](std::string_view raw) {
        if (raw.size() <= 8) {
            uint64_t u = 0;
            for (size_t i = raw.size(); i-- > 0;) u = (u << 8) | static_cast<unsigned char>(raw[i]);
            if (!raw.empty() && raw.size() < 8 && (static_cast<unsigned char>(raw.back()) & 0x80))
                u |= ~uint64_t{0} << (8 * raw.size());  // sign-extend
            push(newInt(static_cast<int64_t>(u)));
        } else {
            pushStr(Kind::BigInt, raw);
        }
    };
    auto parseInt = [&](std::string_view text) {
        std::string s(text);
        if (!s.empty() && s.back() == 'L') s.pop_back();
        if (s.empty()) fail("empty integer");
        size_t used = 0;
        long long v = 0;
        try {
            v = std::stoll(s, &used, 10);
        } catch (const std::exception&) {
            fail("integer '" + printable(s, 40) + "' out of range");
        }
        if (used != s.size()) fail("bad integer '" + printable(s, 40) + "'");
        return static_cast<int64_t>(v);
    };
    auto makeTuple = [&](std::vector<ValuePtr> items) {
        auto t = newValue(Kind::Tuple);
        charge(kSlotCost * items.size());
        for (auto& item : items) item->embedded = true;
        t->items = std::move(items);
        push(std::move(t));
    };

    for (;;) {
        m_opcodeAt = m_pos;
        const unsigned char op = byte();
        switch (op) {
        case 0x80: {  // PROTO
            const unsigned char proto = byte();
            if (proto > 5) fail("pickle protocol " + std::to_string(proto) + " is newer than any PyTorch writes");
            break;
        }
        case 0x95: take(8); break;  // FRAME: framing only
        case '.': {                 // STOP
            if (m_stack.size() != 1 || !m_marks.empty()) fail("the pickle ends with a malformed stack");
            ValuePtr result = std::move(m_stack.back());
            m_stack.clear();
            m_memo.clear();
            return result;
        }
        case '(':  // MARK
            charge(sizeof(size_t));
            m_marks.push_back(m_stack.size());
            break;
        case '0': pop(); break;                              // POP
        case '1': popToMark(); break;                        // POP_MARK
        case '2': push(top()); break;                        // DUP
        case 'N':
            if (!m_none) m_none = newValue(Kind::None);
            push(m_none);
            break;
        case 0x88:
        case 0x89: {  // NEWTRUE, NEWFALSE
            push(newBool(op == 0x88));
            break;
        }
        case 'I': {  // INT (text); "00"/"01" are protocol 0's False/True
            const std::string_view t = line();
            if (t == "00" || t == "01") {
                push(newBool(t == "01"));
            } else {
                push(newInt(parseInt(t)));
            }
            break;
        }
        case 'L': push(newInt(parseInt(line()))); break;  // LONG (text)
        case 'J': push(newInt(static_cast<int32_t>(leU32(take(4))))); break;
        case 'K': push(newInt(byte())); break;
        case 'M': {
            const auto s = take(2);
            push(newInt(static_cast<unsigned char>(s[0]) | (static_cast<unsigned char>(s[1]) << 8)));
            break;
        }
        case 0x8a: pushLong(take(byte())); break;  // LONG1
        case 0x8b: {                                // LONG4
            const uint32_t n = leU32(take(4));
            need(n);
            pushLong(take(n));
            break;
        }
        case 'G': {  // BINFLOAT, big-endian double
            const auto s = take(8);
            uint64_t bits = 0;
            for (char c : s) bits = (bits << 8) | static_cast<unsigned char>(c);
            auto v = newValue(Kind::Float);
            std::memcpy(&v->real, &bits, sizeof bits);
            push(std::move(v));
            break;
        }
        case 'F': {  // FLOAT (text)
            const std::string s(line());
            auto v = newValue(Kind::Float);
            try {
                v->real = std::stod(s);
            } catch (const std::exception&) {
                fail("bad float '" + printable(s, 40) + "'");
            }
            push(std::move(v));
            break;
        }
        case 'X': pushStr(Kind::Str, take(leU32(take(4)))); break;  // BINUNICODE
        case 0x8c: pushStr(Kind::Str, take(byte())); break;         // SHORT_BINUNICODE
        case 0x8d: {                                                 // BINUNICODE8
            const uint64_t n = leU64(take(8));
            if (n > m_bytes.size()) need(m_bytes.size() + 1);
            pushStr(Kind::Str, take(static_cast<size_t>(n)));
            break;
        }
        case 'T': pushStr(Kind::Str, take(leU32(take(4)))); break;  // BINSTRING (Python 2 str)
        case 'U': pushStr(Kind::Str, take(byte())); break;          // SHORT_BINSTRING
        case 'B': pushStr(Kind::Bytes, take(leU32(take(4)))); break; // BINBYTES
        case 'C': pushStr(Kind::Bytes, take(byte())); break;        // SHORT_BINBYTES
        case 0x8e: {                                                 // BINBYTES8
            const uint64_t n = leU64(take(8));
            if (n > m_bytes.size()) need(m_bytes.size() + 1);
            pushStr(Kind::Bytes, take(static_cast<size_t>(n)));
            break;
        }
        case 'S': {  // STRING (protocol 0, quoted repr); escapes are not needed by torch
            std::string_view s = line();
            if (s.size() < 2 || s.front() != s.back() || (s.front() != '\'' && s.front() != '"'))
                fail("bad quoted string");
            s = s.substr(1, s.size() - 2);
            if (s.find('\\') != std::string_view::npos) fail("escaped protocol-0 strings are not supported");
            pushStr(Kind::Str, s);
            break;
        }
        case 'V': {  // UNICODE (protocol 0, raw-unicode-escape)
            const std::string_view s = line();
            if (s.find('\\') != std::string_view::npos) fail("escaped protocol-0 strings are not supported");
            pushStr(Kind::Str, s);
            break;
        }
        case ')':  // EMPTY_TUPLE
            if (!m_emptyTuple) m_emptyTuple = newValue(Kind::Tuple);
            push(m_emptyTuple);
            break;
        case 't': makeTuple(popToMark()); break;
        case 0x85: {  // TUPLE1
            auto a = pop();
            makeTuple({a});
            break;
        }
        case 0x86: {  // TUPLE2
            auto b = pop();
            auto a = pop();
            makeTuple({a, b});
            break;
        }
        case 0x87: {  // TUPLE3
            auto c = pop();
            auto b = pop();
            auto a = pop();
            makeTuple({a, b, c});
            break;
        }
        case ']': push(newValue(Kind::List)); break;  // EMPTY_LIST
        case 'l': {                                                    // LIST
            auto v = newValue(Kind::List);
            v->items = popToMark();
            charge(kSlotCost * v->items.size());
            for (auto& item : v->items) item->embedded = true;
            push(std::move(v));
            break;
        }
        case 'a': {  // APPEND
            auto item = pop();
            auto& list = top();
            if (list->kind != Kind::List) fail("APPEND to a " + list->typeName());
            adopt(*list, *item);
            charge(kSlotCost);
            list->items.push_back(std::move(item));
            break;
        }
        case 'e': {  // APPENDS
            auto items = popToMark();
            auto& list = top();
            if (list->kind != Kind::List) fail("APPENDS to a " + list->typeName());
            for (auto& item : items) {
                adopt(*list, *item);
                charge(kSlotCost);
                list->items.push_back(std::move(item));
            }
            break;
        }
        case '}': push(newValue(Kind::Dict)); break;  // EMPTY_DICT
        case 'd': {                                                    // DICT
            auto items = popToMark();
            if (items.size() % 2) fail("DICT with an odd number of items");
            auto dict = newValue(Kind::Dict);
            for (size_t i = 0; i < items.size(); i += 2) setItem(*dict, items[i], items[i + 1]);
            push(std::move(dict));
            break;
        }
        case 's': {  // SETITEM
            auto value = pop();
            auto key = pop();
            setItem(*top(), std::move(key), std::move(value));
            break;
        }
        case 'u': {  // SETITEMS
            auto items = popToMark();
            if (items.size() % 2) fail("SETITEMS with an odd number of items");
            auto& dict = top();
            for (size_t i = 0; i < items.size(); i += 2) setItem(*dict, items[i], items[i + 1]);
            break;
        }
        case 'g': {  // GET
            const int64_t i = parseInt(line());
            if (i < 0) fail("negative memo index");
            memoGet(static_cast<uint64_t>(i));
            break;
        }
        case 'h': memoGet(byte()); break;              // BINGET
        case 'j': memoGet(leU32(take(4))); break;      // LONG_BINGET
        case 'p': {                                    // PUT
            const int64_t i = parseInt(line());
            if (i < 0) fail("negative memo index");
            memoPut(static_cast<uint64_t>(i));
            break;
        }
        case 'q': memoPut(byte()); break;              // BINPUT
        case 'r': memoPut(leU32(take(4))); break;      // LONG_BINPUT
        case 0x94: memoPut(m_memo.size()); break;      // MEMOIZE
        case 'c': {                                    // GLOBAL "module\nname\n"
            const std::string module(line());
            const std::string name(line());
            push(resolveGlobal(module, name));
            break;
        }
        case 0x93: {  // STACK_GLOBAL
            auto name = pop();
            auto module = pop();
            if (module->kind != Kind::Str || name->kind != Kind::Str) fail("STACK_GLOBAL without two strings");
            push(resolveGlobal(module->str, name->str));
            break;
        }
        case 'R': {  // REDUCE
            auto args = pop();
            auto callable = pop();
            push(call(callable, args));
            break;
        }
        case 0x81: {  // NEWOBJ: cls.__new__(cls, *args); only OrderedDict is a class we know
            auto args = pop();
            auto cls = pop();
            if (cls->kind != Kind::Global || cls->global != GlobalKind::OrderedDict)
                refuse(cls->kind == Kind::Global ? cls->str : cls->typeName());
            push(newValue(Kind::Dict));
            break;
        }
        case 'b': {  // BUILD
            auto state = pop();
            build(top(), state);
            break;
        }
        case 'i': {  // INST "module\nname\n": instantiates a class
            const std::string module(line());
            const std::string name(line());
            resolveGlobal(module, name);  // refuses anything not whitelisted
            refuse(module + "." + name);
        }
        case 'o': {  // OBJ
            auto items = popToMark();
            if (!items.empty() && items[0]->kind == Kind::Global) refuse(items[0]->str);
            fail("OBJ without a class");
        }
        case 0x92: {  // NEWOBJ_EX
            pop();
            pop();
            auto cls = pop();
            refuse(cls->kind == Kind::Global ? cls->str : cls->typeName());
        }
        case 0x82:
        case 0x83:
        case 0x84: refuse("copyreg extension registry entry");  // EXT1/2/4
        case 'P':                                                // PERSID (text id)
        case 'Q': {                                              // BINPERSID
            ValuePtr pid;
            if (op == 'P') {
                pid = newValue(Kind::Str);
                const std::string_view text = line();
                charge(text.size());
                pid->str.assign(text.data(), text.size());
            } else {
                pid = pop();
            }
            if (!m_persistentLoad) fail("a persistent reference outside a PyTorch file");
            charge(kValueCost);
            push(m_persistentLoad(*pid));
            break;
        }
        default:
            fail("unsupported pickle opcode " + hexByte(op));
        }
    }
}

} // namespace ts::weights::pickle
