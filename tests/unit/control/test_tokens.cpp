// Token operations of the control plane (SPEC 3.3, 2.9, 7.1, 7.2).
#include <boost/test/unit_test.hpp>

#include "reference/auth/password.h"
#include "tests/unit/control/control_fixture.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;

namespace {
const auth::Token& stored(const ControlPlane& control, std::string_view name) {
  const auth::Token* token = control.snapshot()->token(name);
  BOOST_REQUIRE(token != nullptr);
  return *token;
}

bool any_value(const json& document) {
  if (document.is_object()) {
    if (document.contains("value")) return true;
    for (const auto& [key, member] : document.items())
      if (any_value(member)) return true;
  }
  if (document.is_array())
    for (const auto& item : document)
      if (any_value(item)) return true;
  return false;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(tokens, ControlFixture)

// SPEC 3.3, 7.2: creating answers 201 with both passwords' values, once; only hashes are kept.
BOOST_AUTO_TEST_CASE(create_generates_two_passwords) {
  const auto created = create_token("puller", "_repositories_pull");
  BOOST_TEST(created.status == 201);
  BOOST_TEST(created.body.at("name") == "puller");
  BOOST_TEST(created.body.at("scopeMap") == "_repositories_pull");
  BOOST_TEST(created.body.at("status") == "enabled");
  const json& passwords = created.body.at("passwords");
  BOOST_REQUIRE(passwords.size() == 2u);
  BOOST_TEST(passwords[0].at("name") == "password1");
  BOOST_TEST(passwords[1].at("name") == "password2");
  for (const auto& entry : passwords) {
    BOOST_TEST(entry.at("creationTime") == format_rfc3339(clock.now()));
    BOOST_TEST(!entry.contains("expiry"));                           // absent = never
    BOOST_TEST(entry.at("value").get<std::string>().size() == 44u);  // 32 bytes, base64
  }
  const std::string one = value_of(created, 0), two = value_of(created, 1);
  BOOST_TEST(one != two);
  const auth::Token& token = stored(*control, "puller");
  BOOST_TEST(auth::verify_password(one, token.password(auth::PasswordName::Password1).hash));
  BOOST_TEST(auth::verify_password(two, token.password(auth::PasswordName::Password2).hash));
  BOOST_TEST(!auth::verify_password(one, token.password(auth::PasswordName::Password2).hash));
  BOOST_TEST(!contains(token.password(auth::PasswordName::Password1).hash, one));
  BOOST_TEST(contains(token.password(auth::PasswordName::Password1).hash, "$1000$"));  // the configured cost

  // No later answer carries a value.
  BOOST_TEST(!any_value(control->get_token("puller").body));
  BOOST_TEST(!any_value(control->list_tokens().body));
  BOOST_TEST(control->get_token("puller").body.at("passwords").size() == 2u);
}

// SPEC 3.3: an expiry (RFC 3339, any offset) applies to both generated passwords; a past one is accepted.
BOOST_AUTO_TEST_CASE(create_with_expiry) {
  const auto created = create_token("expiring", "_repositories_pull", {{"expiry", "2030-06-01T14:00:00+02:00"}});
  for (const auto& entry : created.body.at("passwords")) BOOST_TEST(entry.at("expiry") == "2030-06-01T12:00:00.000Z");
  const auth::Token& token = stored(*control, "expiring");
  BOOST_TEST(token.password(auth::PasswordName::Password2).expiry.has_value());
  BOOST_TEST(create_token("already-expired", "_repositories_pull", {{"expiry", "2001-01-01T00:00:00Z"}}).status == 201);

  for (const json& expiry :
       {json("tomorrow"), json("2030-13-01T00:00:00Z"), json(12), json("2030-01-01T00:00:00+ab:cd")}) {
    const ApiError error = api_error_of([&] {
      create_token("bad-expiry", "_repositories_pull", {{"expiry", expiry}});
    });
    BOOST_TEST(error.code() == "INVALID_REQUEST", expiry.dump());
    BOOST_TEST(contains(error.what(), "'expiry'"), expiry.dump());
  }
  BOOST_TEST(!control->snapshot()->token("bad-expiry"));
}

// SPEC 7.2: "noPasswords": true creates a token without passwords; an expiry then makes no sense.
BOOST_AUTO_TEST_CASE(create_without_passwords) {
  const auto created = create_token("bare-token", "_repositories_pull", {{"noPasswords", true}});
  BOOST_TEST(created.status == 201);
  BOOST_TEST(created.body.at("passwords") == json::array());
  BOOST_TEST(!stored(*control, "bare-token").passwords[0].present);
  const ApiError error = api_error_of([&] {
    create_token("bare-expiring", "_repositories_pull", {{"noPasswords", true}, {"expiry", "2030-01-01T00:00:00Z"}});
  });
  BOOST_TEST(error.code() == "INVALID_REQUEST");
  BOOST_TEST(api_error_of([&] {
               create_token("bare-typed", "_repositories_pull", {{"noPasswords", "yes"}});
             }).status() == 400);
}

// SPEC 3.3: a token names one existing scope map; status is enabled or disabled.
BOOST_AUTO_TEST_CASE(create_validates_its_fields) {
  const ApiError missing = api_error_of([&] { control->put_token("no-map-token", json::object()); });
  BOOST_TEST(missing.code() == "INVALID_REQUEST");
  BOOST_TEST(contains(missing.what(), "'scopeMap'"));
  const ApiError unknown_map = api_error_of([&] { create_token("no-map-token", "no-such-map"); });
  BOOST_TEST(unknown_map.status() == 400);
  BOOST_TEST(contains(unknown_map.what(), "no-such-map"));
  BOOST_TEST(api_error_of([&] { control->put_token("no-map-token", {{"scopeMap", 7}}); }).status() == 400);
  BOOST_TEST(api_error_of([&] {
               create_token("no-map-token", "_repositories_pull", {{"status", "paused"}});
             }).code() == "INVALID_REQUEST");
  BOOST_TEST(api_error_of([&] {
               create_token("no-map-token", "_repositories_pull", {{"passwords", json::array()}});
             }).code() == "INVALID_REQUEST");
  BOOST_TEST(api_error_of([&] {
               create_token("no-map-token", "_repositories_pull", {{"name", "other-name"}});
             }).code() == "INVALID_REQUEST");
  BOOST_TEST(api_error_of([&] { control->put_token("no-map-token", json("text")); }).code() == "INVALID_REQUEST");
  BOOST_TEST(control->list_tokens().body.empty());

  const auto disabled = create_token("born-disabled", "_repositories_pull", {{"status", "Disabled"}});
  BOOST_TEST(disabled.body.at("status") == "disabled");
  BOOST_TEST((stored(*control, "born-disabled").status == auth::TokenStatus::Disabled));
}

// SPEC 3.3: 5-50 characters of [A-Za-z0-9-]; "admin" is the admin user (SPEC 7.1).
BOOST_AUTO_TEST_CASE(invalid_names_are_refused) {
  for (const std::string& name :
       std::vector<std::string>{"abcd", std::string(51, 'a'), "under_score", "admin", "ADMIN", "sp ace"}) {
    const ApiError error = api_error_of([&] { create_token(name, "_repositories_pull"); });
    BOOST_TEST(error.status() == 400, name);
    BOOST_TEST(error.code() == "INVALID_REQUEST", name);
  }
  BOOST_TEST(create_token(std::string(50, 'a'), "_repositories_pull").status == 201);
  BOOST_TEST(create_token("admin-two", "_repositories_pull").status == 201);
}

// PUT on an existing token replaces scopeMap and status (200, no values) and leaves its passwords alone.
BOOST_AUTO_TEST_CASE(put_replaces_without_touching_passwords) {
  create_map("writer-map", {"repositories/a/content/write"});
  create_token("replaced", "_repositories_pull", {{"status", "disabled"}});
  const std::string hash_before = stored(*control, "replaced").passwords[0].hash;
  const auto replaced = create_token("replaced", "writer-map", {{"noPasswords", true}});
  BOOST_TEST(replaced.status == 200);
  BOOST_TEST(replaced.body.at("scopeMap") == "writer-map");
  BOOST_TEST(replaced.body.at("status") == "enabled");  // PUT replaces: absent status is the default
  BOOST_TEST(replaced.body.at("passwords").size() == 2u);
  BOOST_TEST(!any_value(replaced.body));
  BOOST_TEST(stored(*control, "replaced").passwords[0].hash == hash_before);
}

// PATCH changes status and/or scopeMap.
BOOST_AUTO_TEST_CASE(patch_changes_status_and_scope_map) {
  create_token("patched-token", "_repositories_pull");
  auto result = control->patch_token("patched-token", {{"status", "disabled"}});
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.body.at("status") == "disabled");
  BOOST_TEST(result.body.at("scopeMap") == "_repositories_pull");
  BOOST_TEST(!any_value(result.body));
  result = control->patch_token("patched-token", {{"scopeMap", "_repositories_push"}, {"status", "enabled"}});
  BOOST_TEST(result.body.at("status") == "enabled");
  BOOST_TEST(stored(*control, "patched-token").scope_map == "_repositories_push");

  BOOST_TEST(api_error_of([&] { control->patch_token("missing-token", {{"status", "enabled"}}); }).status() == 404);
  BOOST_TEST(api_error_of([&] { control->patch_token("patched-token", {{"scopeMap", "nope-map"}}); }).status() == 400);
  BOOST_TEST(api_error_of([&] {
               control->patch_token("patched-token", {{"expiry", "2030-01-01T00:00:00Z"}});
             }).code() == "INVALID_REQUEST");
  BOOST_TEST(stored(*control, "patched-token").scope_map == "_repositories_push");
}

// DELETE answers 204; unknown tokens 404 (SPEC 7.2).
BOOST_AUTO_TEST_CASE(delete_and_not_found) {
  create_token("deleted-token", "_repositories_pull");
  const auto deleted = control->delete_token("deleted-token");
  BOOST_TEST(deleted.status == 204);
  BOOST_TEST(!control->snapshot()->token("deleted-token"));
  for (const ApiError& error : {api_error_of([&] { control->get_token("deleted-token"); }),
                                api_error_of([&] { control->delete_token("deleted-token"); }),
                                api_error_of([&] { control->generate_credentials("deleted-token", nullptr); })}) {
    BOOST_TEST(error.status() == 404);
    BOOST_TEST(error.code() == "NOT_FOUND");
  }
}

// SPEC 2.9: 20,000 tokens per registry (lowered here); replacing an existing token is not creating one.
BOOST_AUTO_TEST_CASE(token_count_limit) {
  auto options = test_options();
  options.max_tokens = 2;
  ControlFixture small(options);
  small.create_token("token-one", "_repositories_pull", {{"noPasswords", true}});
  small.create_token("token-two", "_repositories_pull", {{"noPasswords", true}});
  const ApiError error = api_error_of([&] { small.create_token("token-three", "_repositories_pull"); });
  BOOST_TEST(error.status() == 409);
  BOOST_TEST(error.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(contains(error.what(), "2 tokens"));
  BOOST_TEST(small.create_token("token-two", "_repositories_push").status == 200);
  small.control->delete_token("token-one");
  BOOST_TEST(small.create_token("token-three", "_repositories_pull").status == 201);
}

// SPEC 3.3, 7.2: regenerating one password leaves the other working (rotation); the answer carries the new value once.
BOOST_AUTO_TEST_CASE(generate_credentials_rotates_one_password) {
  const auto created = create_token("rotated", "_repositories_pull");
  const std::string old_one = value_of(created, 0), old_two = value_of(created, 1);
  clock.advance(std::chrono::hours(1));

  const auto result =
      control->generate_credentials("rotated", {{"name", "password1"}, {"expiry", "2031-01-01T00:00:00Z"}});
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.body.at("username") == "rotated");
  BOOST_REQUIRE(result.body.at("passwords").size() == 1u);
  const json& entry = result.body.at("passwords")[0];
  BOOST_TEST(entry.at("name") == "password1");
  BOOST_TEST(entry.at("creationTime") == format_rfc3339(clock.now()));
  BOOST_TEST(entry.at("expiry") == "2031-01-01T00:00:00.000Z");
  const std::string new_one = entry.at("value");

  const auth::Token& token = stored(*control, "rotated");
  BOOST_TEST(auth::verify_password(new_one, token.password(auth::PasswordName::Password1).hash));
  BOOST_TEST(!auth::verify_password(old_one, token.password(auth::PasswordName::Password1).hash));
  BOOST_TEST(auth::verify_password(old_two, token.password(auth::PasswordName::Password2).hash));
  BOOST_TEST(!any_value(control->get_token("rotated").body));
  BOOST_TEST(control->get_token("rotated").body.at("passwords")[1].at("creationTime") !=
             control->get_token("rotated").body.at("passwords")[0].at("creationTime"));
}

BOOST_AUTO_TEST_CASE(generate_credentials_without_a_name_makes_both) {
  create_token("both-rotated", "_repositories_pull", {{"noPasswords", true}});
  const auto result = control->generate_credentials("both-rotated", nullptr);
  BOOST_REQUIRE(result.body.at("passwords").size() == 2u);
  BOOST_TEST(result.body.at("passwords")[0].at("name") == "password1");
  BOOST_TEST(result.body.at("passwords")[1].at("name") == "password2");
  BOOST_TEST(!result.body.at("passwords")[0].contains("expiry"));
  const auth::Token& token = stored(*control, "both-rotated");
  BOOST_TEST(auth::verify_password(result.body.at("passwords")[1].at("value").get<std::string>(),
                                   token.password(auth::PasswordName::Password2).hash));
}

BOOST_AUTO_TEST_CASE(generate_credentials_validates_its_body) {
  create_token("validated", "_repositories_pull");
  for (const json& body : {json({{"name", "password3"}}), json({{"name", 1}}), json({{"expiry", "soon"}}),
                           json({{"password", "password1"}}), json::array()}) {
    const ApiError error = api_error_of([&] { control->generate_credentials("validated", body); });
    BOOST_TEST(error.status() == 400, body.dump());
    BOOST_TEST(error.code() == "INVALID_REQUEST", body.dump());
  }
}

BOOST_AUTO_TEST_SUITE_END()
