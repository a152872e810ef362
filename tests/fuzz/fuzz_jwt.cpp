// libFuzzer target: JWT verification on arbitrary tokens. Nothing crashes, and nothing unsigned by the node's key is
// ever accepted.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "reference/auth/jwt.h"
#include "reference/common/random.h"

namespace {
const outpost::auth::KeySet& keys() {
  static const outpost::auth::KeySet set = [] {
    outpost::SeededRandom random(7);
    return outpost::auth::KeySet({outpost::auth::SigningKey::generate(random).verifying_key()});
  }();
  return set;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string token(reinterpret_cast<const char*>(data), size);
  const auto result = outpost::auth::verify(token, keys(), "registry.example", outpost::WallTime(std::chrono::seconds(1'800'000'000)));
  // The fuzzer cannot forge an ES256 signature: an accepted token means verification is broken.
  if (std::holds_alternative<outpost::auth::Claims>(result)) std::abort();
  return 0;
}
