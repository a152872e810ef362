// The verified-credential and verified-JWT caches: hits, every way an entry stops counting, bounds, no secrets kept.
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>

#include <string>
#include <thread>
#include <vector>

#include "reference/auth/credential_cache.h"
#include "reference/auth/jwt.h"
#include "reference/common/random.h"
#include "tests/unit/auth_crypto/fake_clock.h"

using namespace outpost;
using namespace outpost::auth;
using namespace std::chrono_literals;
using outpost::testing::FakeClock;

namespace {
// Computed here, not with the library's helper the cache uses.
std::string expected_digest(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &size, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<const char*>(digest), size);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(credential_cache)

BOOST_AUTO_TEST_CASE(miss_then_hit_after_remember) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  BOOST_TEST(!cache.lookup("pull-token", "pw", 1));
  cache.remember("pull-token", "pw", 1);
  BOOST_TEST(cache.lookup("pull-token", "pw", 1));
  BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_CASE(other_password_or_other_name_misses) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("pull-token", "pw", 1);
  BOOST_TEST(!cache.lookup("pull-token", "pw2", 1));
  BOOST_TEST(!cache.lookup("pull-token", "", 1));
  BOOST_TEST(!cache.lookup("push-token", "pw", 1));
  BOOST_TEST(!cache.lookup("pull-toke", "npw", 1));  // name and password do not run together
}

BOOST_AUTO_TEST_CASE(generation_bump_misses_and_drops_the_entry) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("pull-token", "pw", 7);
  BOOST_TEST(!cache.lookup("pull-token", "pw", 8));
  BOOST_TEST(cache.size() == 0u);
  BOOST_TEST(!cache.lookup("pull-token", "pw", 7));  // gone, not just hidden
}

BOOST_AUTO_TEST_CASE(both_passwords_of_one_token_are_cached_separately) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("tok-1", "password1", 3);
  cache.remember("tok-1", "password2", 3);
  BOOST_TEST(cache.lookup("tok-1", "password1", 3));
  BOOST_TEST(cache.lookup("tok-1", "password2", 3));
  BOOST_TEST(cache.size() == 2u);
}

BOOST_AUTO_TEST_CASE(tokens_sharing_a_password_are_told_apart) {
  // The table hashes by the password's digest alone, so these two share a bucket: the names still decide.
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("tok-a", "shared", 1);
  BOOST_TEST(!cache.lookup("tok-b", "shared", 1));
  cache.remember("tok-b", "shared", 2);
  BOOST_TEST(cache.lookup("tok-a", "shared", 1));
  BOOST_TEST(cache.lookup("tok-b", "shared", 2));
  BOOST_TEST(!cache.lookup("tok-b", "shared", 1));  // tok-a's generation does not count for tok-b (and drops it)
  BOOST_TEST(cache.lookup("tok-a", "shared", 1));
  cache.forget("tok-a");
  BOOST_TEST(!cache.lookup("tok-a", "shared", 1));
  cache.remember("tok-b", "shared", 2);
  BOOST_TEST(cache.lookup("tok-b", "shared", 2));
  BOOST_TEST(cache.size() == 1u);
}

BOOST_AUTO_TEST_CASE(ttl_expiry_counts_from_remember) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("tok-1", "pw", 1);
  clock.advance(5min - 1ns);
  BOOST_TEST(cache.lookup("tok-1", "pw", 1));  // a hit does not extend the entry's life
  clock.advance(1ns);
  BOOST_TEST(!cache.lookup("tok-1", "pw", 1));
  BOOST_TEST(cache.size() == 0u);
}

// find() and remember() with a digest are the same cache as lookup() and remember() with the password, and tell the
// limits of the entry (what a caller keeping a copy holds it to).
BOOST_AUTO_TEST_CASE(digest_calls_share_entries_and_tell_their_limits) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  const WallTime expiry = clock.now() + 1min;
  const CredentialCache::Verified remembered = cache.remember("tok-1", sha256_digest("pw"), 1, expiry);
  BOOST_TEST((remembered.deadline == clock.monotonic() + 5min));
  BOOST_TEST((remembered.password_expiry == expiry));
  BOOST_TEST(cache.lookup("tok-1", "pw", 1));
  clock.advance(10s);  // a hit does not move the deadline
  const auto found = cache.find("tok-1", sha256_digest("pw"), 1);
  BOOST_REQUIRE(found.has_value());
  BOOST_TEST((found->deadline == remembered.deadline));
  BOOST_TEST((found->password_expiry == expiry));
  BOOST_TEST(!cache.find("tok-1", sha256_digest("pw2"), 1).has_value());
  BOOST_TEST(!cache.find("tok-2", sha256_digest("pw"), 1).has_value());
  BOOST_TEST(!cache.find("tok-1", sha256_digest("pw"), 2).has_value());  // another generation: dropped
  BOOST_TEST(!cache.lookup("tok-1", "pw", 1));
  const CredentialCache::Verified again = cache.remember("tok-1", "pw", 3);
  BOOST_TEST(!again.password_expiry.has_value());
  BOOST_TEST(cache.find("tok-1", sha256_digest("pw"), 3).has_value());
}

BOOST_AUTO_TEST_CASE(ttl_uses_monotonic_time_not_the_wall_clock) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("tok-1", "pw", 1);
  clock.set_wall(clock.now() + 24h);  // the wall clock jumps; the TTL is unaffected
  BOOST_TEST(cache.lookup("tok-1", "pw", 1));
}

BOOST_AUTO_TEST_CASE(password_expiry_ends_the_entry_on_time) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 1h);
  const WallTime expiry = clock.now() + 30s;
  cache.remember("tok-1", "pw", 1, expiry);
  clock.advance(30s - 1ns);
  BOOST_TEST(cache.lookup("tok-1", "pw", 1));
  clock.advance(1ns);
  BOOST_TEST(!cache.lookup("tok-1", "pw", 1));
}

BOOST_AUTO_TEST_CASE(zero_ttl_caches_nothing) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 0s);
  cache.remember("tok-1", "pw", 1);
  BOOST_TEST(!cache.lookup("tok-1", "pw", 1));
}

BOOST_AUTO_TEST_CASE(forget_drops_exactly_one_tokens_entries) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("tok-1", "a", 1);
  cache.remember("tok-1", "b", 1);
  cache.remember("tok-10", "a", 1);  // shares a prefix
  cache.remember("tok-0", "a", 1);
  cache.forget("tok-1");
  BOOST_TEST(!cache.lookup("tok-1", "a", 1));
  BOOST_TEST(!cache.lookup("tok-1", "b", 1));
  BOOST_TEST(cache.lookup("tok-10", "a", 1));
  BOOST_TEST(cache.lookup("tok-0", "a", 1));
  cache.clear();
  BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_CASE(capacity_evicts_the_least_recently_used) {
  FakeClock clock;
  CredentialCache cache(clock, 3, 5min);
  cache.remember("tok-a", "pw", 1);
  cache.remember("tok-b", "pw", 1);
  cache.remember("tok-c", "pw", 1);
  BOOST_TEST(cache.lookup("tok-a", "pw", 1));  // a is now the most recent; b the least
  cache.remember("tok-d", "pw", 1);
  BOOST_TEST(cache.size() == 3u);
  BOOST_TEST(!cache.lookup("tok-b", "pw", 1));
  BOOST_TEST(cache.lookup("tok-a", "pw", 1));
  BOOST_TEST(cache.lookup("tok-c", "pw", 1));
  BOOST_TEST(cache.lookup("tok-d", "pw", 1));
}

BOOST_AUTO_TEST_CASE(remember_again_replaces_generation) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  cache.remember("tok-1", "pw", 1);
  cache.remember("tok-1", "pw", 2);
  BOOST_TEST(cache.size() == 1u);
  BOOST_TEST(!cache.lookup("tok-1", "pw", 1));
  cache.remember("tok-1", "pw", 2);
  BOOST_TEST(cache.lookup("tok-1", "pw", 2));
}

BOOST_AUTO_TEST_CASE(only_a_digest_of_the_password_is_stored) {
  FakeClock clock;
  CredentialCache cache(clock, 100, 5min);
  const std::string password = "VGhpcyBpcyBhIHBhc3N3b3JkIHRoYXQgaXMgbG9uZw==";
  cache.remember("tok-1", password, 1);
  const auto keys = cache.keys_for_testing();
  BOOST_TEST_REQUIRE(keys.size() == 1u);
  BOOST_TEST(keys[0].first == "tok-1");
  BOOST_TEST(keys[0].second == expected_digest(password));
  BOOST_TEST(keys[0].second.find(password) == std::string::npos);
  BOOST_TEST(keys[0].second.size() == 32u);
}

BOOST_AUTO_TEST_CASE(concurrent_use_keeps_the_cache_consistent) {
  FakeClock clock;
  CredentialCache cache(clock, 64, 5min);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&cache, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::string name = "tok-" + std::to_string((i * 7 + t) % 100);
        if (!cache.lookup(name, "pw", 1)) cache.remember(name, "pw", 1);
        if (i % 97 == 0) cache.forget(name);
      }
    });
  for (auto& thread : threads) thread.join();
  BOOST_TEST(cache.size() <= 64u);
  cache.remember("tok-final", "pw", 1);
  BOOST_TEST(cache.lookup("tok-final", "pw", 1));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jwt_cache)

namespace {
struct Fixture {
  FakeClock clock;
  SeededRandom random{21};
  SigningKey key = SigningKey::generate(random);
  Claims claims = make_access_claims("outpost", "pull-token", "registry.test",
                                     {{"repository", "samples/hello", {"pull"}}}, clock.now(), 5min, random);
  std::string token = sign(claims, key);
};
}  // namespace

BOOST_FIXTURE_TEST_CASE(hit_returns_the_remembered_claims, Fixture) {
  JwtCache cache(clock, 100, 10min);
  BOOST_TEST(cache.lookup(token, "registry.test") == nullptr);
  cache.remember(token, claims);
  const auto hit = cache.lookup(token, "registry.test");
  BOOST_TEST_REQUIRE(hit != nullptr);
  BOOST_TEST((*hit == claims));
}

BOOST_FIXTURE_TEST_CASE(another_token_misses, Fixture) {
  JwtCache cache(clock, 100, 10min);
  cache.remember(token, claims);
  std::string other = token;
  other.back() = other.back() == 'A' ? 'B' : 'A';
  BOOST_TEST(cache.lookup(other, "registry.test") == nullptr);
}

BOOST_FIXTURE_TEST_CASE(claims_are_rechecked_on_every_hit, Fixture) {
  JwtCache cache(clock, 100, 1h);
  cache.remember(token, claims);
  BOOST_TEST(cache.lookup(token, "other.service") == nullptr);  // audience still checked
  BOOST_TEST(cache.lookup(token, "registry.test") != nullptr);
  clock.advance(5min + kDefaultJwtLeeway - 1ns);
  BOOST_TEST(cache.lookup(token, "registry.test") != nullptr);
  clock.advance(1ns);
  BOOST_TEST(cache.lookup(token, "registry.test") == nullptr);  // expired, although the cache TTL has not run out
  BOOST_TEST(cache.size() == 0u);
}

BOOST_FIXTURE_TEST_CASE(ttl_bounds_entries, Fixture) {
  JwtCache cache(clock, 100, 1min);
  cache.remember(token, claims);
  clock.advance(1min);
  BOOST_TEST(cache.lookup(token, "registry.test") == nullptr);
}

BOOST_FIXTURE_TEST_CASE(capacity_bounds_entries, Fixture) {
  JwtCache cache(clock, 2, 10min);
  for (int i = 0; i < 5; ++i) {
    Claims c = claims;
    c.jwt_id = "id-" + std::to_string(i);
    cache.remember(sign(c, key), c);
  }
  BOOST_TEST(cache.size() == 2u);
  cache.clear();
  BOOST_TEST(cache.size() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
