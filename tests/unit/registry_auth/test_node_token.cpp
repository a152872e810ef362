// The JWTs this node issues: gen, cred and token_use on top of auth::jwt's checks.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "reference/auth/base64.h"
#include "reference/registry/auth/node_token.h"
#include "tests/unit/registry_auth/auth_fixture.h"

using namespace outpost;
using namespace outpost::registry;
using outpost::testing::payload_of;
using namespace std::chrono_literals;

namespace {
const WallTime kNow = WallTime(std::chrono::seconds(1'700'000'000));

struct Keys {
  SeededRandom random{3};
  auth::SigningKey key = auth::SigningKey::generate(random);
  auth::KeySet trusted{{key.verifying_key()}};

  NodeToken token(TokenUse use, uint64_t generation = 7) {
    return {auth::make_access_claims("outpost", "pull-token", "svc", {{"repository", "a/b", {"pull"}}}, kNow, 5min,
                                     random),
            generation, "fingerprint", use, 1};  // from password2
  }
};

// The token with its payload replaced and re-signed by `key`: the refusal comes from the claim under test.
std::string resign(const std::string& jwt, const nlohmann::json& payload, const auth::SigningKey& key) {
  const std::string header = jwt.substr(0, jwt.find('.'));
  const std::string input = header + "." + auth::base64url_encode(payload.dump());
  return input + "." + auth::base64url_encode(auth::es256_sign(input, key));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(node_token)

BOOST_AUTO_TEST_CASE(round_trip) {
  Keys keys;
  const NodeToken token = keys.token(TokenUse::Access);
  const std::string jwt = sign_node_token(token, keys.key);
  const auto payload = payload_of(jwt);
  BOOST_TEST(payload.at("gen").get<uint64_t>() == 7u);
  BOOST_TEST(payload.at("token_use") == "access");
  BOOST_TEST(payload.at("cred") == "fingerprint");
  BOOST_TEST(payload.at("pw") == 2);  // SPEC 3.3 names the passwords password1 and password2
  // auth::verify reads the same token: the extra claims do not disturb it.
  BOOST_TEST(std::holds_alternative<auth::Claims>(auth::verify(jwt, keys.trusted, "svc", kNow)));
  const auto result = verify_node_token(jwt, keys.trusted, "svc", "outpost", TokenUse::Access, kNow);
  BOOST_REQUIRE(std::holds_alternative<NodeToken>(result));
  BOOST_TEST((std::get<NodeToken>(result) == token));
}

BOOST_AUTO_TEST_CASE(uses_do_not_mix) {
  Keys keys;
  const std::string refresh = sign_node_token(keys.token(TokenUse::Refresh), keys.key);
  const std::string access = sign_node_token(keys.token(TokenUse::Access), keys.key);
  BOOST_TEST(std::holds_alternative<std::string>(
      verify_node_token(refresh, keys.trusted, "svc", "outpost", TokenUse::Access, kNow)));
  BOOST_TEST(std::holds_alternative<std::string>(
      verify_node_token(access, keys.trusted, "svc", "outpost", TokenUse::Refresh, kNow)));
  BOOST_TEST(std::holds_alternative<NodeToken>(
      verify_node_token(refresh, keys.trusted, "svc", "outpost", TokenUse::Refresh, kNow)));
}

BOOST_AUTO_TEST_CASE(refuses_missing_or_mistyped_claims) {
  Keys keys;
  const std::string jwt = sign_node_token(keys.token(TokenUse::Access), keys.key);
  const nlohmann::json payload = payload_of(jwt);
  std::vector<nlohmann::json> variants;
  for (const char* name : {"gen", "cred", "token_use"}) {
    nlohmann::json without = payload;
    without.erase(name);
    variants.push_back(without);
  }
  nlohmann::json negative = payload;
  negative["gen"] = -1;
  variants.push_back(negative);
  nlohmann::json text_gen = payload;
  text_gen["gen"] = "7";
  variants.push_back(text_gen);
  nlohmann::json issuer = payload;
  issuer["iss"] = "someone-else";
  variants.push_back(issuer);
  for (const nlohmann::json& slot : {nlohmann::json(0), nlohmann::json(3), nlohmann::json("2"), nlohmann::json(-1)}) {
    nlohmann::json odd_slot = payload;
    odd_slot["pw"] = slot;
    variants.push_back(odd_slot);
  }
  for (const auto& variant : variants) {
    BOOST_TEST_INFO(variant.dump());
    BOOST_TEST(std::holds_alternative<std::string>(verify_node_token(resign(jwt, variant, keys.key), keys.trusted,
                                                                     "svc", "outpost", TokenUse::Access, kNow)));
  }
  // The same re-signing with the payload untouched verifies: the variants fail for their claim alone.
  BOOST_TEST(std::holds_alternative<NodeToken>(
      verify_node_token(resign(jwt, payload, keys.key), keys.trusted, "svc", "outpost", TokenUse::Access, kNow)));
}

// The admin user's JWTs name no password: pw is left out, and read back as none.
BOOST_AUTO_TEST_CASE(a_token_without_a_password_slot) {
  Keys keys;
  NodeToken token = keys.token(TokenUse::Access);
  token.password_slot.reset();
  const std::string jwt = sign_node_token(token, keys.key);
  BOOST_TEST(!payload_of(jwt).contains("pw"));
  const auto result = verify_node_token(jwt, keys.trusted, "svc", "outpost", TokenUse::Access, kNow);
  BOOST_REQUIRE(std::holds_alternative<NodeToken>(result));
  BOOST_TEST(!std::get<NodeToken>(result).password_slot.has_value());
}

BOOST_AUTO_TEST_CASE(auth_jwt_checks_still_apply) {
  Keys keys;
  const std::string jwt = sign_node_token(keys.token(TokenUse::Access), keys.key);
  BOOST_TEST(std::holds_alternative<std::string>(
      verify_node_token(jwt, keys.trusted, "other-service", "outpost", TokenUse::Access, kNow)));
  BOOST_TEST(std::holds_alternative<std::string>(
      verify_node_token(jwt, keys.trusted, "svc", "outpost", TokenUse::Access, kNow + 10min)));
  auth::KeySet stranger{{auth::SigningKey::generate(keys.random).verifying_key()}};
  BOOST_TEST(std::holds_alternative<std::string>(
      verify_node_token(jwt, stranger, "svc", "outpost", TokenUse::Access, kNow)));
}

BOOST_AUTO_TEST_SUITE_END()
