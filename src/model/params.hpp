#pragma once
// Parameters live in one flat buffer. One table, built from the config, gives
// every tensor its TransformerLens name, shape and offset; gradients and Adam
// moments are buffers with the same layout, so the optimizer and checkpoints
// are single loops over a buffer.
#include <cstdint>
#include <string>
#include <vector>

#include "model/config.hpp"

namespace hc {

// What a tensor is, independent of its layer: used for typed lookups.
enum class ParamKind { W_E, W_pos, W_Q, W_K, W_V, W_O, b_Q, b_K, b_V, b_O, W_U, b_U };

struct ParamInfo {
  ParamKind kind;
  int layer;                   // -1 for embed / unembed
  std::string name;            // TransformerLens name, e.g. "blocks.0.attn.W_Q"
  std::vector<int64_t> shape;  // TransformerLens shape, row-major
  size_t offset;               // into the flat buffer, in elements
  size_t size;                 // number of elements
};

class ParamTable {
 public:
  explicit ParamTable(const ModelConfig& cfg);
  const std::vector<ParamInfo>& entries() const { return entries_; }
  size_t total() const { return total_; }
  // Throws std::out_of_range if the tensor does not exist in this model.
  const ParamInfo& get(ParamKind kind, int layer = -1) const;
  const ParamInfo* find(const std::string& name) const;
  bool has(ParamKind kind, int layer = -1) const;

 private:
  std::vector<ParamInfo> entries_;
  size_t total_ = 0;
};

std::string param_kind_name(ParamKind k);  // "W_Q", ...

}  // namespace hc
