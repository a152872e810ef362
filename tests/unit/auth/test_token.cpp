// Token state (SPEC 3.3): status words, password slots and expiry, and what a login comes to (4.5, 2.6).
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <vector>

#include "reference/auth/token.h"

using namespace outpost;
using namespace outpost::auth;
using namespace std::chrono_literals;

namespace {
const WallTime kNow = WallTime(std::chrono::hours(24 * 365 * 55));

PasswordSlot slot(std::optional<WallTime> expiry) { return {true, "hash", kNow - 1h, expiry}; }

}  // namespace

BOOST_AUTO_TEST_SUITE(tokens)

BOOST_AUTO_TEST_CASE(status_and_password_names) {
  BOOST_TEST(to_string(TokenStatus::Enabled) == "enabled");
  BOOST_TEST(to_string(TokenStatus::Disabled) == "disabled");
  BOOST_TEST((parse_token_status("enabled") == TokenStatus::Enabled));
  BOOST_TEST((parse_token_status("Disabled") == TokenStatus::Disabled));
  BOOST_TEST(!parse_token_status("off").has_value());
  BOOST_TEST(!parse_token_status("").has_value());
  BOOST_TEST(to_string(PasswordName::Password1) == "password1");
  BOOST_TEST(to_string(PasswordName::Password2) == "password2");
  BOOST_TEST((parse_password_name("password2") == PasswordName::Password2));
  BOOST_TEST(!parse_password_name("password3").has_value());
}

BOOST_AUTO_TEST_CASE(slot_validity) {
  struct Row {
    const char* clause;
    PasswordSlot slot;
    bool valid;
  };
  const std::vector<Row> rows = {
      {"3.3 absent expiry = never", slot(std::nullopt), true},
      {"3.3 future expiry", slot(kNow + 1s), true},
      {"3.3 the expiry instant is expired", slot(kNow), false},
      {"3.3 past expiry accepted, already expired", slot(kNow - 1s), false},
      {"3.3 absent slot", PasswordSlot{}, false},
      {"3.3 absent slot with an expiry", PasswordSlot{false, "hash", kNow, kNow + 1h}, false},
  };
  for (const Row& row : rows) BOOST_TEST(password_slot_valid(row.slot, kNow) == row.valid, "SPEC " << row.clause);
}

BOOST_AUTO_TEST_CASE(login_outcomes) {
  Token token{"pull-token", "_repositories_pull", TokenStatus::Enabled, {slot(std::nullopt), slot(kNow - 1s)}};
  Token disabled = token;
  disabled.status = TokenStatus::Disabled;
  Token one_password = token;
  one_password.password(PasswordName::Password2) = PasswordSlot{};
  struct Row {
    const char* clause;
    const Token* token;
    std::array<bool, 2> matches;
    LoginResult expected;
  };
  const std::vector<Row> rows = {
      {"3.3 password1 authenticates", &token, {true, false}, LoginResult::Accepted},
      {"3.3 expired password2", &token, {false, true}, LoginResult::PasswordExpired},
      {"4.5 wrong password", &token, {false, false}, LoginResult::WrongPassword},
      {"4.5 unknown token", nullptr, {true, true}, LoginResult::UnknownToken},
      {"2.6 disabled, right password", &disabled, {true, false}, LoginResult::Disabled},
      {"4.5 disabled, wrong password: no hint that it is disabled", &disabled, {false, false},
       LoginResult::WrongPassword},
      {"3.3 an absent slot never matches", &one_password, {false, true}, LoginResult::WrongPassword},
  };
  for (const Row& row : rows)
    BOOST_TEST((evaluate_login(row.token, row.matches, kNow) == row.expected), "SPEC " << row.clause);
}

BOOST_AUTO_TEST_CASE(rotation_keeps_the_other_password) {
  // SPEC 3.3: regenerating password1 replaces that slot only.
  Token token{"ci-token", "_repositories_push", TokenStatus::Enabled, {slot(std::nullopt), slot(std::nullopt)}};
  token.password(PasswordName::Password1) = PasswordSlot{true, "new-hash", kNow, std::nullopt};
  BOOST_TEST(token.password(PasswordName::Password2).hash == "hash");
  BOOST_TEST((evaluate_login(&token, {false, true}, kNow) == LoginResult::Accepted));
}

BOOST_AUTO_TEST_SUITE_END()
