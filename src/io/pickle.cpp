#include "io/pickle.hpp"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <unordered_map>

#include "core/error.hpp"

namespace hc::pkl {

namespace {

// The torch storage type tags (torch.<Name>); they are never called, only
// recorded in persistent ids, so every dtype is recognised and the tensor
// reader decides which it accepts.
const char* const kStorageTypes[] = {"FloatStorage",  "DoubleStorage", "HalfStorage",         "BFloat16Storage",
                                     "LongStorage",   "IntStorage",    "ShortStorage",        "CharStorage",
                                     "ByteStorage",   "BoolStorage",   "ComplexFloatStorage", "ComplexDoubleStorage",
                                     "UntypedStorage"};

constexpr const char* kOrderedDict = "collections.OrderedDict";
constexpr const char* kRebuild = "torch._utils._rebuild_tensor_v2";

bool allowed_global(const std::string& module, const std::string& name) {
  if (module == "collections" && name == "OrderedDict") return true;
  if (module == "torch._utils" && name == "_rebuild_tensor_v2") return true;
  if (module == "torch")
    for (const char* t : kStorageTypes)
      if (name == t) return true;
  return false;
}

class Machine {
 public:
  Machine(std::string_view b, const std::string& source) : b_(b), source_(source) {}

  Pickle run() {
    while (true) {
      if (pos_ >= b_.size()) fail("the pickle ends without a STOP opcode (truncated data.pkl)");
      op_at_ = pos_;
      const uint8_t op = uint8_t(b_[pos_++]);
      switch (op) {
        case 0x80: {  // PROTO
          const uint8_t v = u8();
          if (v < 2 || v > 5) fail("pickle protocol " + std::to_string(v) + " is not one torch.save writes (2 to 5)");
          break;
        }
        case 0x95: take(8); break;  // FRAME: a length hint only
        case '.': {                 // STOP
          if (stack_.size() != 1 || !marks_.empty()) fail("the pickle stops with " + std::to_string(stack_.size()) + " values on its stack");
          out_.root = stack_.back();
          return std::move(out_);
        }
        case '(': marks_.push_back(stack_.size()); break;  // MARK
        case '0': pop(); break;                             // POP
        case '1': pop_mark(); break;                        // POP_MARK
        case '}': push(make(Kind::Dict)); break;            // EMPTY_DICT
        case ')': push(make(Kind::Tuple)); break;           // EMPTY_TUPLE
        case 't': {                                         // TUPLE
          Object* t = make(Kind::Tuple);
          t->items = pop_mark();
          push(t);
          break;
        }
        case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
          const size_t n = size_t(op - 0x84);
          if (stack_.size() < base() + n) fail("TUPLE" + std::to_string(n) + " on a stack with too few values");
          Object* t = make(Kind::Tuple);
          t->items.assign(stack_.end() - long(n), stack_.end());
          stack_.resize(stack_.size() - n);
          push(t);
          break;
        }
        case 'N': push(make(Kind::None)); break;
        case 0x88: case 0x89: {  // NEWTRUE, NEWFALSE
          Object* o = make(Kind::Bool);
          o->b = op == 0x88;
          push(o);
          break;
        }
        case 'K': push_int(u8()); break;                      // BININT1
        case 'M': push_int(le(2)); break;                     // BININT2
        case 'J': push_int(int32_t(uint32_t(le(4)))); break;  // BININT
        case 0x8a: {                                          // LONG1
          const uint8_t n = u8();
          if (n > 8) fail("an integer of " + std::to_string(n) + " bytes; a state dict's sizes fit in 8");
          uint64_t v = n ? le(n) : 0;
          if (n && n < 8 && (v >> (8 * n - 1)) & 1) v |= ~uint64_t(0) << (8 * n);  // sign-extend
          push_int(int64_t(v));
          break;
        }
        case 'X': push_str(take(size_t(le(4)))); break;  // BINUNICODE
        case 0x8c: push_str(take(u8())); break;          // SHORT_BINUNICODE
        case 'c': {                                      // GLOBAL "module\nname\n"
          const std::string module = line(), name = line();
          push(global(module, name));
          break;
        }
        case 0x93: {  // STACK_GLOBAL
          Object* name = pop();
          Object* module = pop();
          if (module->kind != Kind::Str || name->kind != Kind::Str) fail("STACK_GLOBAL needs two strings");
          push(global(module->s, name->s));
          break;
        }
        case 'Q': push(persistent(pop())); break;  // BINPERSID
        case 'R': {                                // REDUCE
          Object* args = pop();
          Object* callable = pop();
          push(reduce(callable, args));
          break;
        }
        case 's': {  // SETITEM
          Object* v = pop();
          Object* k = pop();
          set_item(top(), k, v);
          break;
        }
        case 'u': {  // SETITEMS
          std::vector<Object*> kv = pop_mark();
          if (kv.size() % 2) fail("SETITEMS with an odd number of values");
          Object* d = top();
          for (size_t i = 0; i < kv.size(); i += 2) set_item(d, kv[i], kv[i + 1]);
          break;
        }
        case 'b': {  // BUILD: only an OrderedDict's attribute dict (state_dict's _metadata), which is ignored
          Object* state = pop();
          Object* target = top();
          if (target->kind != Kind::Dict || (state->kind != Kind::Dict && state->kind != Kind::None))
            fail("BUILD sets the state of a " + kind_name(target->kind) + " from a " + kind_name(state->kind) +
                 "; a state dict only sets its OrderedDict's attributes. " + kNoCode);
          break;
        }
        case 'q': memo_[u8()] = top(); break;                 // BINPUT
        case 'r': memo_[uint32_t(le(4))] = top(); break;      // LONG_BINPUT
        case 0x94: memo_[uint32_t(memo_.size())] = top(); break;  // MEMOIZE
        case 'h': push(memo(u8())); break;                    // BINGET
        case 'j': push(memo(uint32_t(le(4)))); break;         // LONG_BINGET
        default: {
          char hex[8];
          std::snprintf(hex, sizeof hex, "0x%02x", op);
          fail(std::string("opcode ") + hex + (op >= 0x20 && op < 0x7f ? std::string(" ('") + char(op) + "')" : "") +
               " is not one a state dict of tensors uses. " + kNoCode);
        }
      }
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(source_ + ": data.pkl byte " + std::to_string(op_at_) + ": " + what);
  }

  Object* make(Kind k) {
    out_.arena.push_back(std::make_unique<Object>());
    out_.arena.back()->kind = k;
    return out_.arena.back().get();
  }
  std::string_view take(size_t n) {
    if (n > b_.size() - pos_) fail("the pickle ends inside an opcode's argument (truncated data.pkl)");
    std::string_view r = b_.substr(pos_, n);
    pos_ += n;
    return r;
  }
  uint8_t u8() { return uint8_t(take(1)[0]); }
  uint64_t le(size_t n) {
    const std::string_view s = take(n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v |= uint64_t(uint8_t(s[i])) << (8 * i);
    return v;
  }
  std::string line() {
    const size_t nl = b_.find('\n', pos_);
    if (nl == std::string_view::npos || nl - pos_ > 256) fail("GLOBAL without a short newline-terminated name");
    std::string r(b_.substr(pos_, nl - pos_));
    pos_ = nl + 1;
    return r;
  }

  size_t base() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(Object* o) { stack_.push_back(o); }
  void push_int(int64_t v) {
    Object* o = make(Kind::Int);
    o->i = v;
    push(o);
  }
  void push_str(std::string_view s) {
    Object* o = make(Kind::Str);
    o->s = std::string(s);
    push(o);
  }
  Object* top() {
    if (stack_.size() <= base()) fail("an opcode needs a value but the stack is empty");
    return stack_.back();
  }
  Object* pop() {
    Object* o = top();
    stack_.pop_back();
    return o;
  }
  std::vector<Object*> pop_mark() {
    if (marks_.empty()) fail("an opcode needs a MARK but none is open");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<Object*> r(stack_.begin() + long(m), stack_.end());
    stack_.resize(m);
    return r;
  }
  Object* memo(uint32_t i) {
    auto it = memo_.find(i);
    if (it == memo_.end()) fail("BINGET of memo slot " + std::to_string(i) + ", which was never set");
    return it->second;
  }

  Object* global(const std::string& module, const std::string& name) {
    if (!allowed_global(module, name))
      fail("the pickle imports " + module + "." + name +
           ", which a state dict of tensors never needs (it could run code). " + kNoCode);
    Object* g = make(Kind::Global);
    g->s = module + "." + name;
    return g;
  }

  Object* persistent(Object* pid) {
    const auto& it = pid->items;
    if (pid->kind != Kind::Tuple || it.size() != 5 || it[0]->kind != Kind::Str || it[0]->s != "storage")
      fail("a persistent id that is not ('storage', type, key, location, numel)");
    if (it[1]->kind != Kind::Global || it[1]->s.rfind("torch.", 0) != 0 || !std::strstr(it[1]->s.c_str(), "Storage"))
      fail("a persistent id whose storage type is not a torch.*Storage");
    if (it[2]->kind != Kind::Str || it[2]->s.empty() || it[2]->s.size() > 64)
      fail("a persistent id whose storage key is not a short string");
    for (char ch : it[2]->s)
      if (!std::isalnum(uint8_t(ch)) && ch != '_') fail("storage key '" + it[2]->s + "' has characters other than letters, digits and _");
    if (it[3]->kind != Kind::Str || it[4]->kind != Kind::Int || it[4]->i < 0)
      fail("a persistent id whose location is not a string or whose element count is not a non-negative integer");
    Object* s = make(Kind::Storage);
    s->storage = {it[1]->s.substr(6), it[2]->s, it[3]->s, it[4]->i};
    return s;
  }

  std::vector<int64_t> ints(const Object* t, const char* what) {
    if (t->kind != Kind::Tuple) fail(std::string("_rebuild_tensor_v2's ") + what + " is a " + kind_name(t->kind) + ", not a tuple");
    std::vector<int64_t> r;
    for (const Object* o : t->items) {
      if (o->kind != Kind::Int) fail(std::string("_rebuild_tensor_v2's ") + what + " holds a " + kind_name(o->kind));
      r.push_back(o->i);
    }
    return r;
  }

  Object* reduce(Object* callable, Object* args) {
    if (callable->kind != Kind::Global)
      fail("REDUCE calls a " + kind_name(callable->kind) + ". " + kNoCode);
    if (args->kind != Kind::Tuple) fail("REDUCE with arguments that are not a tuple");
    const auto& a = args->items;
    if (callable->s == kOrderedDict) {
      if (!a.empty()) fail("collections.OrderedDict called with arguments; a state dict fills it with SETITEMS");
      return make(Kind::Dict);
    }
    if (callable->s == kRebuild) {
      if (a.size() != 6 && a.size() != 7) fail("_rebuild_tensor_v2 with " + std::to_string(a.size()) + " arguments (6 or 7 expected)");
      if (a[0]->kind != Kind::Storage) fail("_rebuild_tensor_v2 of a " + kind_name(a[0]->kind) + " rather than a storage");
      if (a[1]->kind != Kind::Int) fail("_rebuild_tensor_v2 with a storage offset that is not an integer");
      if (a[4]->kind != Kind::Bool) fail("_rebuild_tensor_v2 with requires_grad that is not a bool");
      if (a[5]->kind != Kind::Dict || !a[5]->dict.empty())
        fail("a tensor with backward hooks; a saved state dict has none. " + std::string(kNoCode));
      if (a.size() == 7 && a[6]->kind != Kind::Dict && a[6]->kind != Kind::None)
        fail("_rebuild_tensor_v2 with metadata that is not a dict");
      Object* t = make(Kind::Tensor);
      t->tensor.storage = a[0]->storage;
      t->tensor.offset = a[1]->i;
      t->tensor.size = ints(a[2], "size");
      t->tensor.stride = ints(a[3], "stride");
      return t;
    }
    fail("the pickle calls " + callable->s + ", which only names a type here. " + kNoCode);
  }

  void set_item(Object* d, Object* k, Object* v) {
    if (d->kind != Kind::Dict) fail("SETITEM on a " + kind_name(d->kind) + " rather than a dict");
    std::string key;
    if (k->kind == Kind::Str) key = "s" + k->s;
    else if (k->kind == Kind::Int) key = "i" + std::to_string(k->i);
    else fail("a dict key that is a " + kind_name(k->kind) + " (state dict keys are strings)");
    auto [it, fresh] = d->index.emplace(key, d->dict.size());
    if (fresh) d->dict.emplace_back(k, v);
    else d->dict[it->second].second = v;
  }

  std::string_view b_;
  const std::string& source_;
  size_t pos_ = 0, op_at_ = 0;
  std::vector<Object*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint32_t, Object*> memo_;
  Pickle out_;
};

}  // namespace

std::string kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Str: return "str";
    case Kind::Tuple: return "tuple";
    case Kind::Dict: return "dict";
    case Kind::Global: return "global";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

Pickle load(std::string_view bytes, const std::string& source) { return Machine(bytes, source).run(); }

}  // namespace hc::pkl
