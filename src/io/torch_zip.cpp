#include "io/torch_zip.hpp"

#include <zip.h>

#include "core/error.hpp"

namespace hc::tz {

namespace {

std::string zip_error_text(int code) {
  zip_error_t e;
  zip_error_init_with_code(&e, code);
  std::string s = zip_error_strerror(&e);
  zip_error_fini(&e);
  return s;
}

}  // namespace

bool looks_like_zip(std::string_view head) {
  return head.size() >= 4 && head[0] == 'P' && head[1] == 'K' &&
         ((head[2] == 3 && head[3] == 4) || (head[2] == 5 && head[3] == 6));
}

Archive::Archive(std::string_view bytes, std::string source) : source_(std::move(source)) {
  const std::string fix = "; the file is truncated or damaged: copy or download it again";
  zip_error_t err;
  zip_error_init(&err);
  // libzip reads the buffer in place (freep = 0: it stays ours).
  zip_source_t* src = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &err);
  if (!src) {
    const std::string what = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw Error(source_ + ": cannot open the archive (libzip: " + what + ")");
  }
  zip_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
  if (!zip_) {
    zip_source_free(src);
    const int code = zip_error_code_zip(&err);
    zip_error_fini(&err);
    throw Error(source_ + ": not a complete zip archive (libzip: " + zip_error_text(code) + ")" + fix);
  }
  zip_error_fini(&err);
  try {
    check_entries(bytes.size());
  } catch (...) {
    zip_discard(zip_);  // the destructor does not run for a constructor that throws
    zip_ = nullptr;
    throw;
  }
}

void Archive::check_entries(uint64_t archive) {
  const std::string fix = "; the file is truncated or damaged: copy or download it again";
  const zip_int64_t n = zip_get_num_entries(zip_, 0);
  if (n < 0) throw Error(source_ + ": cannot list the archive's entries" + fix);
  uint64_t compressed_total = 0;
  entries_.reserve(size_t(std::min<zip_int64_t>(n, 1 << 20)));
  for (zip_int64_t i = 0; i < n; ++i) {
    zip_stat_t st;
    zip_stat_init(&st);
    if (zip_stat_index(zip_, zip_uint64_t(i), 0, &st) != 0)
      throw Error(source_ + ": cannot read entry " + std::to_string(i) + " of the archive (libzip: " +
                  zip_strerror(zip_) + ")" + fix);
    const zip_uint64_t need = ZIP_STAT_NAME | ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    if ((st.valid & need) != need)
      throw Error(source_ + ": entry " + std::to_string(i) + " of the archive lacks its name or sizes" + fix);
    Entry e;
    e.name = st.name;
    e.index = uint64_t(i);
    e.size = st.size;
    e.compressed_size = st.comp_size;
    if (st.encryption_method != ZIP_EM_NONE && (st.valid & ZIP_STAT_ENCRYPTION_METHOD))
      throw Error(source_ + ": entry '" + e.name + "' is encrypted; torch.save never encrypts, so this is not its file");
    if (st.comp_method == ZIP_CM_STORE) {
      e.stored = true;
      if (e.size != e.compressed_size)
        throw Error(source_ + ": entry '" + e.name + "' is stored uncompressed but declares " +
                    std::to_string(e.size) + " bytes in " + std::to_string(e.compressed_size) + fix);
    } else if (st.comp_method == ZIP_CM_DEFLATE) {
      e.stored = false;
    } else {
      throw Error(source_ + ": entry '" + e.name + "' uses zip compression method " +
                  std::to_string(st.comp_method) + "; a torch.save archive stores entries uncompressed (or deflated)");
    }
    // Zip bombs: sizes the archive cannot hold. Every entry's compressed bytes
    // lie inside the archive and do not overlap, so they sum to at most its size.
    compressed_total += e.compressed_size;
    if (e.compressed_size > archive || compressed_total > archive)
      throw Error(source_ + ": the archive's entries declare " + std::to_string(compressed_total) +
                  "+ compressed bytes in a " + std::to_string(archive) +
                  "-byte file (overlapping or inflated entries: a zip bomb or a damaged file); refusing to read it");
    if (e.size / kMaxDeflateRatio > e.compressed_size)
      throw Error(source_ + ": entry '" + e.name + "' declares " + std::to_string(e.size) + " bytes from " +
                  std::to_string(e.compressed_size) +
                  " compressed, more than deflate can produce (a zip bomb or a damaged file); refusing to read it");
    entries_.push_back(std::move(e));
  }
}

Archive::~Archive() {
  if (zip_) zip_discard(zip_);
}

const Entry* Archive::find(const std::string& name) const {
  for (const auto& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::string Archive::read(const Entry& e, uint64_t max_bytes) const {
  if (e.size > max_bytes)
    throw Error(source_ + ": entry '" + e.name + "' declares " + std::to_string(e.size) + " bytes, more than the " +
                std::to_string(max_bytes) + " it can hold; the file is damaged or not a state dict");
  zip_file_t* zf = zip_fopen_index(zip_, e.index, 0);
  if (!zf) throw Error(source_ + ": cannot open entry '" + e.name + "' (libzip: " + zip_strerror(zip_) + ")");
  std::string out(size_t(e.size), '\0');
  uint64_t got = 0;
  bool bad = false;
  while (got < e.size) {
    const zip_int64_t r = zip_fread(zf, out.data() + got, e.size - got);
    if (r <= 0) { bad = true; break; }
    got += uint64_t(r);
  }
  char extra;
  // Reading past the declared end must give 0 bytes; this also runs the CRC check.
  if (!bad && zip_fread(zf, &extra, 1) != 0) bad = true;
  const std::string why = bad ? std::string(zip_file_strerror(zf)) : "";
  zip_fclose(zf);
  if (bad)
    throw Error(source_ + ": entry '" + e.name + "' does not hold the " + std::to_string(e.size) +
                " bytes it declares (libzip: " + why + "); the file is truncated or damaged: copy or download it again");
  return out;
}

}  // namespace hc::tz
