#pragma once
// Seam: every random byte a node uses (passwords, salts, upload ids, JWT ids, backoff jitter). Live nodes draw from
// OpenSSL's CSPRNG; the simulator draws from one seeded generator per world so a seed replays exactly.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace outpost {

class Random {
 public:
  virtual ~Random() = default;
  virtual void fill(std::span<std::byte> out) = 0;

  uint64_t next_u64();
  // Uniform in [0, bound), without modulo bias.
  uint64_t uniform(uint64_t bound);
  // `bytes` random bytes as lowercase hex (upload ids, instance ids).
  std::string hex(size_t bytes);
};

// OpenSSL RAND_bytes: the live binding.
class SystemRandom final : public Random {
 public:
  void fill(std::span<std::byte> out) override;
};

// A deterministic generator (SplitMix64 seeding xoshiro256**): the simulator's binding, also handy in unit tests.
class SeededRandom final : public Random {
 public:
  explicit SeededRandom(uint64_t seed);
  void fill(std::span<std::byte> out) override;

 private:
  uint64_t next();
  uint64_t state_[4];
};

}  // namespace outpost
