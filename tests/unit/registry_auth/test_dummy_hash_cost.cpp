// dummy_hash_cost (reference/registry/auth/authenticator.h): an unknown name or an empty slot is hashed at the cost of
// the hashes the node holds, not at the node's own setting, so its refusal takes as long as a wrong password's (SPEC
// 4.5). A connected registry holds its parent's hashes, made at the parent's cost.
#include <boost/test/unit_test.hpp>

#include "reference/registry/auth/authenticator.h"
#include "tests/unit/registry_auth/auth_fixture.h"

namespace outpost::testing {

namespace {
constexpr auth::PasswordHashCost kOwnSetting{5000};  // what the node itself would hash new passwords at
}  // namespace

BOOST_AUTO_TEST_SUITE(dummy_hash_cost)

BOOST_AUTO_TEST_CASE(the_cost_of_the_hashes_held_not_the_nodes_setting) {
  SeededRandom random{5};
  control::Snapshot snapshot;
  BOOST_TEST(registry::dummy_hash_cost(snapshot, nullptr, kOwnSetting).iterations == kOwnSetting.iterations);
  put_token(snapshot, random, "reader", "pw", "reader-map", {"repositories/a/content/read"}, 1);  // at kTestCost
  BOOST_TEST(registry::dummy_hash_cost(snapshot, nullptr, kOwnSetting).iterations == kTestCost.iterations);
  // A known token's empty slot: the cost of its own other hash, where hashes of several costs are held.
  auth::Token older = *snapshot.token("reader");
  older.name = "older";
  older.password(auth::PasswordName::Password1).hash = auth::hash_password("pw", random, auth::PasswordHashCost{700});
  snapshot.tokens.insert_or_assign("older", older);
  BOOST_TEST(registry::dummy_hash_cost(snapshot, snapshot.token("older"), kOwnSetting).iterations == 700u);
  // Tokens without passwords (or with hashes no node wrote) tell nothing: the next one that has one does.
  auth::Token bare = older;
  bare.name = "aaa-bare";
  bare.password(auth::PasswordName::Password1) = {};
  snapshot.tokens.insert_or_assign("aaa-bare", bare);
  auth::Token garbled = older;
  garbled.name = "aab-garbled";
  garbled.password(auth::PasswordName::Password1).hash = "pbkdf2-sha256$12$not-base64$";
  snapshot.tokens.insert_or_assign("aab-garbled", garbled);
  const uint32_t held = registry::dummy_hash_cost(snapshot, snapshot.token("aaa-bare"), kOwnSetting).iterations;
  BOOST_TEST(held == 700u);  // "older" comes first among the tokens that hold a hash
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::testing
