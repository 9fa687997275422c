#pragma once
// A restricted unpickler for the data.pkl of a torch.save state dict. It
// interprets only the opcodes such a pickle uses and imports only data-shaped
// globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2 and the
// torch.*Storage type tags of persistent ids. Nothing is ever called or
// imported: REDUCE of an allowed callable builds a plain value here, and any
// other global, callable or opcode is refused with an hc::Error that names it
// and says kNoCode. Memory is bounded by the pickle's length (each opcode adds
// at most one object), and objects live in an arena, so cycles cannot leak.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hc::pkl {

inline constexpr const char* kNoCode =
    "headcount does not run code from checkpoints; convert with safetensors if you trust the file";

enum class Kind { None, Bool, Int, Str, Tuple, Dict, Global, Storage, Tensor };

struct Object;

// ('storage', torch.<Type>Storage, key, location, numel) -> data/<key>.
struct StorageRef {
  std::string type;  // "FloatStorage", "DoubleStorage", "HalfStorage", ...
  std::string key;   // letters and digits only (it names an archive entry)
  std::string location;
  int64_t numel = 0;  // elements of `type`, as the pickle declares
};

// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]).
struct TensorRef {
  StorageRef storage;
  int64_t offset = 0;  // in elements
  std::vector<int64_t> size, stride;
};

struct Object {
  Kind kind = Kind::None;
  bool b = false;
  int64_t i = 0;
  std::string s;                                      // Str; Global: "module.name"
  std::vector<Object*> items;                        // Tuple
  std::vector<std::pair<Object*, Object*>> dict;     // Dict: insertion order; keys are Str or Int
  std::map<std::string, size_t> index;               // Dict: key -> position in `dict`
  StorageRef storage;
  TensorRef tensor;
};

struct Pickle {
  std::vector<std::unique_ptr<Object>> arena;
  const Object* root = nullptr;
};

std::string kind_name(Kind k);  // "None", "str", "tuple", ...

// Interprets `bytes`; throws hc::Error naming `source`, the byte offset and the problem.
Pickle load(std::string_view bytes, const std::string& source);

}  // namespace hc::pkl
