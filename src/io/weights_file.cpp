#include "io/weights_file.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "io/torch_pt.hpp"
#include "io/torch_zip.hpp"

namespace hc {

st::File read_weights_file(const std::string& path) {
  const std::string bytes = read_file(path);
  if (tz::looks_like_zip(bytes)) return pt::parse(bytes, path);
  if (pt::looks_like_legacy(bytes))
    throw Error(path + ": this is PyTorch's legacy (pre-1.6) torch.save format, which headcount does not read; "
                       "re-save it with a current PyTorch (torch.save(torch.load(path), path)) or as safetensors");
  return st::parse(bytes, path);
}

}  // namespace hc
