// Hashing throughput of oci::Hasher (OpenSSL EVP underneath) at the block sizes the registry feeds it: 4 KiB (small
// request pieces), 64 KiB (the in-process and live request pieces) and 1 MiB (chunked uploads, blob reads). Every
// upload is hashed as it arrives, so this is the CPU ceiling of a push on one core.
#include <benchmark/benchmark.h>

#include <span>
#include <string>

#include "reference/common/random.h"
#include "reference/oci/digest.h"

using namespace outpost;

namespace {
constexpr size_t kStreamBytes = 16 * 1024 * 1024;  // per iteration: long enough that finish() costs nothing

std::string random_bytes(size_t size) {
  std::string bytes(size, '\0');
  SeededRandom random(42);
  random.fill(std::as_writable_bytes(std::span<char>(bytes)));
  return bytes;
}

// One iteration hashes kStreamBytes as a stream of `block`-sized updates, then finishes the digest.
void hash_stream(benchmark::State& state, oci::DigestAlgorithm algorithm) {
  const size_t block = static_cast<size_t>(state.range(0));
  const std::string bytes = random_bytes(block);
  for (auto _ : state) {
    oci::Hasher hasher(algorithm);
    for (size_t done = 0; done < kStreamBytes; done += block) hasher.update(std::string_view(bytes));
    oci::Digest digest = hasher.finish();
    benchmark::DoNotOptimize(digest);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kStreamBytes));
}
}  // namespace

static void BM_Hash_Sha256(benchmark::State& state) { hash_stream(state, oci::DigestAlgorithm::Sha256); }
static void BM_Hash_Sha512(benchmark::State& state) { hash_stream(state, oci::DigestAlgorithm::Sha512); }

BENCHMARK(BM_Hash_Sha256)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);
BENCHMARK(BM_Hash_Sha512)->Arg(4 << 10)->Arg(64 << 10)->Arg(1 << 20);

BENCHMARK_MAIN();
