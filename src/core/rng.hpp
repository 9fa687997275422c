#pragma once
// Deterministic random numbers: xoshiro256** seeded through SplitMix64.
// A (seed, stream) pair names an independent sequence, so example i of step s
// can be drawn without depending on how work is split across threads.
#include <cmath>
#include <cstdint>

namespace hc {

inline uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed, uint64_t stream = 0) {
    uint64_t x = seed ^ (stream * 0xD1B54A32D192ED03ull + 0x8CB92BA72F3D8DD7ull);
    for (auto& w : s_) w = splitmix64(x);
  }
  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0, without modulo bias (Lemire).
  uint32_t below(uint32_t n) {
    uint64_t m = uint64_t(uint32_t(next() >> 32)) * n;
    uint32_t l = uint32_t(m);
    if (l < n) {
      uint32_t t = uint32_t(-n) % n;
      while (l < t) {
        m = uint64_t(uint32_t(next() >> 32)) * n;
        l = uint32_t(m);
      }
    }
    return uint32_t(m >> 32);
  }
  // Uniform integer in [lo, hi].
  int range(int lo, int hi) { return lo + int(below(uint32_t(hi - lo + 1))); }
  // Standard normal (Box-Muller, one value per call: simple and reproducible).
  double normal() {
    double u1 = uniform();
    double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  const uint64_t* state() const { return s_; }
  void set_state(const uint64_t* s) { for (int i = 0; i < 4; ++i) s_[i] = s[i]; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// A stable 64-bit hash of a token sequence (FNV-1a over the ids, then mixed);
// used to split train and test by content, so no table is stored.
template <class It>
uint64_t hash_tokens(It begin, It end) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (It it = begin; it != end; ++it) {
    h ^= uint64_t(uint32_t(*it));
    h *= 0x100000001B3ull;
  }
  return splitmix64(h);
}

}  // namespace hc
