#include "io/torch_pt.hpp"

#include <cstdint>
#include <cstring>
#include <map>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/pickle.hpp"
#include "io/torch_zip.hpp"

namespace hc::pt {

namespace {

constexpr uint64_t kMaxPickleBytes = uint64_t(64) << 20;  // a state dict's data.pkl is kilobytes
constexpr size_t kMaxRank = 16;

const char* const kFix = "; headcount reads float32 and float64 tensors: convert in PyTorch with "
                         "torch.save({k: v.float() for k, v in sd.items()}, path), or save as safetensors";

std::string dtype_of(const std::string& storage_type) {
  static const std::map<std::string, std::string> names = {
      {"HalfStorage", "float16"},  {"BFloat16Storage", "bfloat16"}, {"LongStorage", "int64"},
      {"IntStorage", "int32"},     {"ShortStorage", "int16"},       {"CharStorage", "int8"},
      {"ByteStorage", "uint8"},    {"BoolStorage", "bool"},         {"ComplexFloatStorage", "complex64"},
      {"ComplexDoubleStorage", "complex128"}, {"UntypedStorage", "untyped bytes"}};
  auto it = names.find(storage_type);
  return it == names.end() ? storage_type : it->second;
}

std::string pt_shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

// The archive's one "<prefix>/data.pkl"; returns the prefix.
std::string find_prefix(const tz::Archive& a) {
  std::string prefix;
  int found = 0;
  for (const auto& e : a.entries()) {
    const size_t slash = e.name.find('/');
    if (slash != std::string::npos && slash > 0 && e.name.compare(slash, std::string::npos, "/data.pkl") == 0) {
      prefix = e.name.substr(0, slash);
      ++found;
    }
  }
  if (found == 1) return prefix;
  std::string names;
  for (size_t i = 0; i < a.entries().size() && i < 5; ++i) names += (i ? ", " : "") + a.entries()[i].name;
  throw Error(a.source() + (found ? ": the archive holds " + std::to_string(found) + " data.pkl files"
                                  : ": a zip archive without <name>/data.pkl (entries: " +
                                        (names.empty() ? std::string("none") : names) + ")") +
              "; it is not a torch.save file (save the weights with torch.save(model.state_dict(), path))");
}

uint64_t element_size(const std::string& type) { return type == "DoubleStorage" ? 8 : type == "BoolStorage" ? 1 : 4; }

struct Storage {
  std::string type;
  std::string bytes;
  int64_t numel = 0;
};

class Reader {
 public:
  Reader(const tz::Archive& a, std::string prefix) : a_(a), prefix_(std::move(prefix)) {}

  const Storage& storage(const std::string& name, const pkl::StorageRef& s) {
    auto it = cache_.find(s.key);
    if (it != cache_.end()) {
      if (it->second.type != s.type || it->second.numel != s.numel)
        throw Error(a_.source() + ": tensor '" + name + "' reads storage " + s.key +
                    " with a different type or size than an earlier tensor; the file is inconsistent");
      return it->second;
    }
    const uint64_t esize = element_size(s.type);
    const std::string path = prefix_ + "/data/" + s.key;
    const tz::Entry* e = a_.find(path);
    if (!e) throw Error(a_.source() + ": tensor '" + name + "' needs " + path + ", which the archive lacks; the file is incomplete");
    if (uint64_t(s.numel) > e->size / esize || e->size != uint64_t(s.numel) * esize)
      throw Error(a_.source() + ": tensor '" + name + "': " + path + " holds " + std::to_string(e->size) +
                  " bytes but its storage declares " + std::to_string(s.numel) + " elements of " +
                  std::to_string(esize) + " bytes; the file is damaged");
    Storage st{s.type, a_.read(*e, e->size), s.numel};
    return cache_.emplace(s.key, std::move(st)).first->second;
  }

  const tz::Archive& a_;
  std::string prefix_;
  std::map<std::string, Storage> cache_;
};

// The view's elements in row-major order (float64 rounded to float32); every
// index was checked against the storage before.
st::Tensor gather(const std::string& name, const pkl::TensorRef& t, const Storage& s, int64_t numel) {
  st::Tensor out;
  out.name = name;
  out.shape = t.size;
  out.dtype = s.type == "BoolStorage" ? st::DType::BOOL : st::DType::F32;
  const size_t osize = out.dtype == st::DType::BOOL ? 1 : 4;
  out.bytes.resize(size_t(numel) * osize);
  char* dst = out.bytes.data();
  const char* src = s.bytes.data();
  const bool f64 = s.type == "DoubleStorage";
  const size_t rank = t.size.size();
  std::vector<int64_t> idx(rank, 0);
  int64_t flat = t.offset;
  for (int64_t n = 0; n < numel; ++n) {
    if (f64) {
      double v;
      std::memcpy(&v, src + flat * 8, 8);
      const float f = float(v);
      std::memcpy(dst + n * 4, &f, 4);
    } else {
      std::memcpy(dst + size_t(n) * osize, src + size_t(flat) * osize, osize);
    }
    for (size_t d = rank; d-- > 0;) {  // odometer over the view's indices
      if (++idx[d] < t.size[d]) {
        flat += t.stride[d];
        break;
      }
      flat -= (t.size[d] - 1) * t.stride[d];
      idx[d] = 0;
    }
  }
  return out;
}

}  // namespace

bool looks_like_legacy(std::string_view head) {
  // PROTO 2, then LONG1 of the legacy magic number 0x1950a86a20f9469cfc6c.
  return head.size() >= 4 && uint8_t(head[0]) == 0x80 && uint8_t(head[1]) == 0x02 && uint8_t(head[2]) == 0x8a &&
         uint8_t(head[3]) == 0x0a;
}

st::File parse(std::string_view bytes, const std::string& source) {
  const tz::Archive a(bytes, source);
  const std::string prefix = find_prefix(a);
  if (const tz::Entry* bo = a.find(prefix + "/byteorder")) {
    const std::string order = a.read(*bo, 16);
    if (order != "little")
      throw Error(source + ": the tensors are stored " + order +
                  "-endian; headcount reads little-endian files: re-save them on a little-endian machine");
  }
  const tz::Entry* pe = a.find(prefix + "/data.pkl");
  const std::string pickle_bytes = a.read(*pe, kMaxPickleBytes);
  const pkl::Pickle p = pkl::load(pickle_bytes, source);

  const pkl::Object* root = p.root;
  if (root->kind != pkl::Kind::Dict)
    throw Error(source + ": the file holds a " + pkl::kind_name(root->kind) +
                ", not a state dict; save one with torch.save(model.state_dict(), path)");
  if (root->dict.empty()) throw Error(source + ": the state dict holds no tensors");

  Reader r(a, prefix);
  st::File out;
  out.source = source;
  // Copies are bounded by the archive: tied weights may share a storage, but
  // the tensors together may not hold far more than the file does.
  const uint64_t budget = uint64_t(bytes.size()) * 8 + (uint64_t(1) << 20);
  uint64_t total = 0;
  for (const auto& [k, v] : root->dict) {
    if (k->kind != pkl::Kind::Str) throw Error(source + ": a state dict key that is not a string");
    const std::string& name = k->s;
    if (v->kind != pkl::Kind::Tensor)
      throw Error(source + ": '" + name + "' is a " + pkl::kind_name(v->kind) + ", not a tensor" +
                  (v->kind == pkl::Kind::Dict ? " (a training checkpoint with nested dicts?)" : "") +
                  "; headcount reads a state dict of tensors: torch.save(model.state_dict(), path)");
    const pkl::TensorRef& t = v->tensor;
    const std::string& type = t.storage.type;
    if (type != "FloatStorage" && type != "DoubleStorage" && type != "BoolStorage")
      throw Error(source + ": tensor '" + name + "' has dtype " + dtype_of(type) + " (torch." + type + ")" + kFix);
    if (t.size.size() != t.stride.size() || t.size.size() > kMaxRank)
      throw Error(source + ": tensor '" + name + "' has size " + pt_shape_str(t.size) + " and stride " +
                  pt_shape_str(t.stride) + ", which do not match; the file is damaged");
    if (t.offset < 0 || t.offset > t.storage.numel)
      throw Error(source + ": tensor '" + name + "' starts at element " + std::to_string(t.offset) +
                  " of a storage of " + std::to_string(t.storage.numel) + "; the file is damaged");
    // numel and the largest element index, without overflow.
    int64_t numel = 1, last = t.offset;
    for (size_t d = 0; d < t.size.size(); ++d) {
      if (t.size[d] < 0 || t.stride[d] < 0)
        throw Error(source + ": tensor '" + name + "' has a negative size or stride " + pt_shape_str(t.size) + " / " +
                    pt_shape_str(t.stride) + "; the file is damaged");
      if (t.size[d] > 0 && numel > INT64_MAX / t.size[d])
        throw Error(source + ": tensor '" + name + "' has size " + pt_shape_str(t.size) + ", too large to exist");
      numel *= t.size[d];
    }
    if (numel > 0)
      for (size_t d = 0; d < t.size.size(); ++d) {
        const int64_t step = t.size[d] - 1;
        if (t.stride[d] > 0 && step > (INT64_MAX - last) / t.stride[d])
          throw Error(source + ": tensor '" + name + "' has stride " + pt_shape_str(t.stride) + ", too large to exist");
        last += step * t.stride[d];
      }
    if (numel > 0 && last >= t.storage.numel)
      throw Error(source + ": tensor '" + name + "' (size " + pt_shape_str(t.size) + ", stride " + pt_shape_str(t.stride) +
                  ", offset " + std::to_string(t.offset) + ") reaches element " + std::to_string(last) +
                  " of a storage of " + std::to_string(t.storage.numel) + "; the file is damaged or crafted");
    if (numel > t.storage.numel)
      throw Error(source + ": tensor '" + name + "' has " + std::to_string(numel) + " elements in a storage of " +
                  std::to_string(t.storage.numel) + " (zero or overlapping strides repeat elements); save " +
                  "it with .contiguous().clone() first");
    total += uint64_t(numel) * 4;
    if (total > budget)
      throw Error(source + ": the tensors would take " + std::to_string(total) + "+ bytes from a " +
                  std::to_string(bytes.size()) + "-byte file (many views of one storage); refusing to expand it");
    const Storage& s = r.storage(name, t.storage);
    out.tensors.push_back(gather(name, t, s, numel));
  }
  return out;
}

st::File read(const std::string& path) { return parse(read_file(path), path); }

}  // namespace hc::pt
