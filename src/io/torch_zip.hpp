#pragma once
// The zip container of a torch.save file (the format PyTorch has written since
// 1.6), opened with libzip from bytes held in memory. Only sizes the archive
// can back are trusted: every entry's declared sizes are checked against the
// archive's own size when it is opened (a zip bomb declares gigabytes in a few
// kilobytes), and a read returns exactly the declared size or an hc::Error.
// libzip checks the central directory against the local headers (ZIP_CHECKCONS)
// and each entry's CRC as it is read, so a truncated or altered archive fails.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct zip;

namespace hc::tz {

// Deflate cannot expand more than 1032 to 1; a larger declared ratio is a lie.
inline constexpr uint64_t kMaxDeflateRatio = 1032;

struct Entry {
  std::string name;
  uint64_t index = 0;            // in the archive's central directory
  uint64_t size = 0;             // declared uncompressed size
  uint64_t compressed_size = 0;  // declared size in the archive
  bool stored = true;            // STORE (torch.save's way) rather than DEFLATE
};

class Archive {
 public:
  // `bytes` must outlive the Archive; `source` names it in error messages.
  Archive(std::string_view bytes, std::string source);
  ~Archive();
  Archive(const Archive&) = delete;
  Archive& operator=(const Archive&) = delete;

  const std::vector<Entry>& entries() const { return entries_; }
  const Entry* find(const std::string& name) const;
  // The whole entry; throws hc::Error if it is larger than max_bytes, shorter
  // than declared, or fails its CRC.
  std::string read(const Entry& e, uint64_t max_bytes) const;
  const std::string& source() const { return source_; }

 private:
  void check_entries(uint64_t archive_size);  // fills entries_; throws on sizes the archive cannot hold
  struct zip* zip_ = nullptr;
  std::string source_;
  std::vector<Entry> entries_;
};

// True when the bytes start like a zip archive ("PK\3\4"; an empty archive is "PK\5\6").
bool looks_like_zip(std::string_view head);

}  // namespace hc::tz
