#pragma once
// A hash of a byte string for the flat tables on a request's path (the token names of registry/auth/name_table.h,
// the simulator's judgement keys): eight bytes at a time, each folded in with one multiply, about a third of
// std::hash's instructions on keys of tens to hundreds of bytes. Both the high bits and the low bits of the result are
// mixed, since tables take their slot from either. Not for keys an attacker chooses to collide: it has no seed, and
// the tables using it hold only keys they chose to keep (names of existing tokens, the run's own decisions).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace outpost {

inline uint64_t word_hash(std::string_view bytes) {
  constexpr uint64_t kMultiplier = 0xff51afd7ed558ccd;  // from MurmurHash3's finalizer
  const auto fold = [](uint64_t hash, uint64_t word) {
    hash = (hash ^ word) * kMultiplier;
    return hash ^ (hash >> 32);
  };
  uint64_t hash = bytes.size() * 0x9e3779b97f4a7c15;
  size_t at = 0;
  for (; at + sizeof(uint64_t) <= bytes.size(); at += sizeof(uint64_t)) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + at, sizeof word);
    hash = fold(hash, word);
  }
  if (at < bytes.size()) {
    uint64_t word = 0;
    std::memcpy(&word, bytes.data() + at, bytes.size() - at);
    hash = fold(hash, word);
  }
  // A fold carries a byte's difference only upwards within a word: the high bytes of the last word would reach few of
  // the low bits. MurmurHash3's finalizer spreads every bit over all of them.
  hash ^= hash >> 33;
  hash *= kMultiplier;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53;
  return hash ^ (hash >> 33);
}

}  // namespace outpost
