#pragma once
// A fast 64-bit streaming hash with a fixed definition: the same bytes give the same value on every platform, compiler
// and run (std::hash promises none of that). It takes eight bytes per step, read little-endian, with xxHash64's round
// and final mix (our own code, not xxHash's output: it need only be stable and well mixed, not compatible).
//
// Values are added in a canonical encoding: integers as 8 little-endian bytes, strings as their length then their
// bytes, so ("ab", "c") and ("a", "bc") hash differently.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace outpost::sim {

// `count` (1..8) bytes as a little-endian number, zero-extended: how the hasher reads the bytes it is given (and how
// a caller that feeds it words of its own making must read them to hash the same).
inline uint64_t load_le(const char* at, size_t count) {
  uint64_t word = 0;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(&word, at, count);
  } else {
    for (size_t i = count; i-- > 0;) word = (word << 8) | static_cast<unsigned char>(at[i]);
  }
  return word;
}

class StableHasher {
 public:
  explicit StableHasher(uint64_t seed = 0) : state_(seed + kPrime5) {}

  void add(uint64_t value) { state_ = round(state_, value); }
  void add(std::string_view bytes) {
    add(static_cast<uint64_t>(bytes.size()));
    const char* at = bytes.data();
    size_t left = bytes.size();
    for (; left >= 8; at += 8, left -= 8) add(load_le(at, 8));
    if (left > 0) add(load_le(at, left));
  }

  uint64_t value() const {
    uint64_t h = state_;
    h ^= h >> 33;
    h *= kPrime2;
    h ^= h >> 29;
    h *= kPrime3;
    h ^= h >> 32;
    return h;
  }

 private:
  static constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
  static constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
  static constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
  static constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

  static uint64_t round(uint64_t state, uint64_t word) {
    return std::rotl(state ^ std::rotl(word * kPrime2, 31) * kPrime1, 27) * kPrime1 + kPrime3;
  }

  uint64_t state_;
};

}  // namespace outpost::sim
