// The cryptographic costs of authentication, per request: signing an access token (token endpoint), verifying one
// (every Bearer request without a cache hit), verifying a Basic password cold (PBKDF2 at the default node cost) and
// warm (a CredentialCache hit), and a JwtCache hit. The gap between cold and warm is why the caches exist (issue 3:
// verifying a password on every request must not dominate request cost).
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "reference/auth/credential_cache.h"
#include "reference/auth/jwt.h"
#include "reference/auth/password.h"
#include "reference/common/clock.h"
#include "reference/common/random.h"

using namespace outpost;
using namespace outpost::auth;

namespace {
constexpr const char* kService = "registry.bench";

Claims typical_claims(Random& random, WallTime now) {
  return make_access_claims("outpost", "push-token", kService,
                            {{"repository", "samples/hello-world", {"pull", "push"}}}, now, std::chrono::minutes(5),
                            random);
}
}  // namespace

static void BM_JwtSign(benchmark::State& state) {
  SeededRandom random(1);
  const SigningKey key = SigningKey::generate(random);
  const Claims claims = typical_claims(random, SystemClock().now());
  for (auto _ : state) {
    std::string token = sign(claims, key);
    benchmark::DoNotOptimize(token);
  }
}

static void BM_JwtVerify(benchmark::State& state) {
  SeededRandom random(2);
  const SigningKey key = SigningKey::generate(random);
  const KeySet keys({key.verifying_key()});
  const WallTime now = SystemClock().now();
  const std::string token = sign(typical_claims(random, now), key);
  for (auto _ : state) {
    JwtResult result = verify(token, keys, kService, now);
    if (!std::holds_alternative<Claims>(result)) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(result);
  }
}

static void BM_JwtVerifyCached(benchmark::State& state) {
  SeededRandom random(3);
  const SigningKey key = SigningKey::generate(random);
  const SystemClock clock;
  const std::string token = sign(typical_claims(random, clock.now()), key);
  JwtCache cache(clock);
  cache.remember(token, std::get<Claims>(verify(token, KeySet({key.verifying_key()}), kService, clock.now())));
  for (auto _ : state) {
    auto claims = cache.lookup(token, kService);
    if (!claims) state.SkipWithError("cache miss");
    benchmark::DoNotOptimize(claims);
  }
}

// Arg: PBKDF2 iterations (the default node cost, and a low one of the kind the simulator uses).
static void BM_PasswordVerifyCold(benchmark::State& state) {
  SeededRandom random(4);
  const std::string password = generate_password(random);
  const std::string encoded =
      hash_password(password, random, PasswordHashCost{static_cast<uint32_t>(state.range(0))});
  for (auto _ : state) {
    if (!verify_password(password, encoded)) state.SkipWithError("password did not verify");
  }
}

static void BM_PasswordVerifyCached(benchmark::State& state) {
  SeededRandom random(5);
  const std::string password = generate_password(random);
  const SystemClock clock;
  CredentialCache cache(clock);
  cache.remember("push-token", password, 1);
  for (auto _ : state) {
    if (!cache.lookup("push-token", password, 1)) state.SkipWithError("cache miss");
  }
}

BENCHMARK(BM_JwtSign);
BENCHMARK(BM_JwtVerify);
BENCHMARK(BM_JwtVerifyCached);
BENCHMARK(BM_PasswordVerifyCold)->Arg(PasswordHashCost::kDefaultIterations)->Arg(1000)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PasswordVerifyCached);

BENCHMARK_MAIN();
