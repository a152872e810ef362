// Command lines of `outpost scope-map ...` and `outpost token ...` and the management requests they turn into, against a
// scripted transport and a fixed clock.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <sstream>

#include "CLI/CLI.hpp"
#include "reference/cli/command_errors.h"
#include "reference/cli/scope_map_command.h"
#include "reference/cli/token_command.h"
#include "reference/common/time_format.h"
#include "tests/unit/cli/fake_transport.h"

using namespace outpost;
using namespace outpost::cli;
using outpost::cli::test::FakeTransport;
using outpost::cli::test::Sent;

namespace {

class FixedClock final : public Clock {
 public:
  explicit FixedClock(const char* rfc3339) : now_(*parse_rfc3339(rfc3339)) {}
  WallTime now() const override { return now_; }
  Nanoseconds monotonic() const override { return Nanoseconds(0); }

 private:
  WallTime now_;
};

const std::string kNotFound = R"({"errors":[{"code":"NOT_FOUND","message":"not found"}]})";

// The `outpost` command's management verbs, parsed from one command line and run against a FakeTransport.
struct Outpost {
  CLI::App app{"outpost"};
  ScopeMapCommand scope_map{app};
  TokenCommand token{app};
  FakeTransport transport;
  FixedClock clock{"2026-03-01T10:20:30.750Z"};
  std::ostringstream out, notes;

  Outpost() { app.require_subcommand(0, 1); }

  void parse(const std::string& command_line) { app.parse(command_line, /*program_name_included=*/false); }

  // Parses and executes; the text printed on stdout.
  std::string run(const std::string& command_line) {
    parse(command_line);
    ManagementClient client(transport);
    if (scope_map.selected()) scope_map.execute(client, out);
    else token.execute(client, clock, out, notes);
    return out.str();
  }

  const Sent& sent(size_t i) const { return transport.sent.at(i); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(scope_map_verbs)

BOOST_AUTO_TEST_CASE(create_puts_the_actions_of_every_flag_and_prints_the_answer) {
  Outpost outpost;
  outpost.transport.answer(201, R"({"name":"ci-push","description":"CI","actions":["repositories/app/content/read"],)"
                                R"("type":"UserDefined"})");
  const std::string printed = outpost.run(
      "scope-map create --name ci-push --description CI --repository app content/read content/write "
      "--repository 'team/*' metadata/read --gateway edge1 config/read");
  BOOST_REQUIRE(outpost.transport.sent.size() == 1u);
  BOOST_TEST((outpost.sent(0).method == http::Method::Put));
  BOOST_TEST(outpost.sent(0).path == "/mgmt/v1/scopeMaps/ci-push");
  BOOST_TEST(outpost.sent(0).body ==
             R"({"description":"CI","actions":["repositories/app/content/read","repositories/app/content/write",)"
             R"("repositories/team/*/metadata/read","gateway/edge1/config/read"]})");
  BOOST_TEST(printed.find("\"name\": \"ci-push\"") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(create_without_a_description_sends_none) {
  Outpost outpost;
  outpost.transport.answer(201, R"({"name":"m1234"})");
  outpost.run("scope-map create -n m1234 --repository app content/read");
  BOOST_TEST(outpost.sent(0).body == R"({"actions":["repositories/app/content/read"]})");
}

BOOST_AUTO_TEST_CASE(create_without_actions_or_with_a_bad_action_sends_nothing) {
  Outpost outpost;
  BOOST_CHECK_THROW(outpost.run("scope-map create --name m1234"), UsageError);
  Outpost typo;
  BOOST_CHECK_THROW(typo.run("scope-map create --name m1234 --repository app content/raed"), UsageError);
  Outpost no_action;
  BOOST_CHECK_THROW(no_action.run("scope-map create --name m1234 --repository app"), UsageError);
  BOOST_TEST(outpost.transport.sent.empty());
  BOOST_TEST(typo.transport.sent.empty());
  BOOST_TEST(no_action.transport.sent.empty());
}

BOOST_AUTO_TEST_CASE(update_patches_added_and_removed_actions) {
  Outpost outpost;
  outpost.transport.answer(200, R"({"name":"m1234"})");
  outpost.run("scope-map update --name m1234 --add-repository app content/write --add-gateway edge1 message/read "
              "--remove-repository old content/read metadata/read --description 'new text'");
  BOOST_TEST((outpost.sent(0).method == http::Method::Patch));
  BOOST_TEST(outpost.sent(0).path == "/mgmt/v1/scopeMaps/m1234");
  BOOST_TEST(outpost.sent(0).body ==
             R"({"description":"new text","addActions":["repositories/app/content/write","gateway/edge1/message/read"],)"
             R"("removeActions":["repositories/old/content/read","repositories/old/metadata/read"]})");
}

BOOST_AUTO_TEST_CASE(update_with_nothing_to_change_is_a_usage_error) {
  Outpost outpost;
  BOOST_CHECK_THROW(outpost.run("scope-map update --name m1234"), UsageError);
  BOOST_TEST(outpost.transport.sent.empty());
}

BOOST_AUTO_TEST_CASE(show_list_and_delete_use_their_methods_and_paths) {
  Outpost show, list, remove;
  show.transport.answer(200, R"({"name":"m1234"})");
  list.transport.answer(200, R"([{"name":"m1234"}])");
  remove.transport.answer(204);
  show.run("scope-map show --name m1234");
  list.run("scope-map list --output table");
  const std::string deleted = remove.run("scope-map delete --name m1234");
  BOOST_TEST((show.sent(0).method == http::Method::Get));
  BOOST_TEST(show.sent(0).path == "/mgmt/v1/scopeMaps/m1234");
  BOOST_TEST(list.sent(0).path == "/mgmt/v1/scopeMaps");
  BOOST_TEST(list.out.str().rfind("NAME", 0) == 0u);  // a table, not JSON
  BOOST_TEST((remove.sent(0).method == http::Method::Delete));
  BOOST_TEST(deleted.empty());
}

BOOST_AUTO_TEST_CASE(a_missing_name_or_an_unknown_output_is_refused_by_the_parser) {
  Outpost outpost;
  BOOST_CHECK_THROW(outpost.parse("scope-map show"), CLI::RequiredError);
  Outpost yaml;
  BOOST_CHECK_THROW(yaml.parse("scope-map list --output yaml"), CLI::ValidationError);
  Outpost no_verb;
  BOOST_CHECK_THROW(no_verb.parse("scope-map"), CLI::RequiredError);
  BOOST_TEST(no_verb.scope_map.selected());  // so main() answers it with the usage exit status
}

// An empty name made the collection's path (show listed every scope map), and a list flag given no value took the
// next option as one (`--repository --output json` read "--output" as a repository).
BOOST_AUTO_TEST_CASE(an_empty_name_or_an_option_taken_for_a_value_is_refused_by_the_parser) {
  using Words = std::vector<std::string>;
  for (Words words : {Words{"scope-map", "show", "--name", ""}, Words{"scope-map", "delete", "--name", ""},
                      Words{"token", "show", "--name", ""},
                      Words{"scope-map", "create", "--name", "m1234", "--repository", "--output", "json"},
                      Words{"token", "create", "--name", "t1234", "--repository", "--output", "json"}}) {
    Outpost outpost;
    std::reverse(words.begin(), words.end());  // CLI11 reads a vector from its back
    BOOST_CHECK_THROW(outpost.app.parse(words), CLI::ValidationError);
    BOOST_TEST(outpost.transport.sent.empty());
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(token_verbs)

BOOST_AUTO_TEST_CASE(create_with_a_scope_map_puts_the_token_with_status_and_expiry) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(201, R"({"name":"ci-token","passwords":[{"name":"password1","value":"v1"}]})");
  const std::string printed =
      outpost.run("token create --name ci-token --scope-map _repositories_pull --status disabled --expiration-in-days 30");
  BOOST_REQUIRE(outpost.transport.sent.size() == 2u);
  BOOST_TEST((outpost.sent(0).method == http::Method::Get));  // no token of that name yet
  BOOST_TEST(outpost.sent(0).path == "/mgmt/v1/tokens/ci-token");
  BOOST_TEST((outpost.sent(1).method == http::Method::Put));
  BOOST_TEST(outpost.sent(1).path == "/mgmt/v1/tokens/ci-token");
  BOOST_TEST(outpost.sent(1).body ==
             R"({"scopeMap":"_repositories_pull","status":"disabled","expiry":"2026-03-31T10:20:30.000Z"})");
  BOOST_TEST(printed.find("\"value\": \"v1\"") != std::string::npos);
}

// CLI11 alone reads whole numbers in base 0: "030" was 24 days.
BOOST_AUTO_TEST_CASE(expiration_in_days_is_decimal) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound).answer(201, R"({"name":"ci-token"})");
  outpost.run("token create --name ci-token --scope-map _repositories_pull --expiration-in-days 030");
  BOOST_REQUIRE(outpost.transport.sent.size() == 2u);
  BOOST_TEST(outpost.sent(1).body == R"({"scopeMap":"_repositories_pull","expiry":"2026-03-31T10:20:30.000Z"})");
  for (const char* days : {"0x1e", "3.5"}) {
    Outpost refused;
    BOOST_CHECK_THROW(refused.run("token create --name ci-token --scope-map m1234 --expiration-in-days " +
                                  std::string(days)),
                      CLI::ValidationError);
    BOOST_TEST(refused.transport.sent.empty());
  }
  Outpost negative;  // still named by its own range check
  BOOST_CHECK_EXCEPTION(negative.run("token create --name ci-token --scope-map m1234 --expiration-in-days -3"),
                        UsageError, [](const UsageError& error) {
                          return std::string(error.what()).find("not -3") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(create_with_no_passwords_says_so) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound).answer(201, R"({"name":"ci-token"})");
  outpost.run("token create --name ci-token --scope-map m1234 --no-passwords");
  BOOST_TEST(outpost.sent(1).body == R"({"scopeMap":"m1234","noPasswords":true})");
}

BOOST_AUTO_TEST_CASE(create_with_repositories_makes_the_tokens_own_scope_map_first) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(404, kNotFound)
      .answer(201, R"({"name":"ci-token-scope-map"})")
      .answer(201, R"({"name":"ci-token"})");
  outpost.run("token create --name ci-token --repository app content/read --gateway edge1 config/read "
              "--expiration 2030-01-31T12:00:00Z");
  BOOST_REQUIRE(outpost.transport.sent.size() == 4u);
  BOOST_TEST(outpost.sent(0).path == "/mgmt/v1/tokens/ci-token");
  BOOST_TEST((outpost.sent(1).method == http::Method::Get));
  BOOST_TEST(outpost.sent(1).path == "/mgmt/v1/scopeMaps/ci-token-scope-map");
  BOOST_TEST((outpost.sent(2).method == http::Method::Put));
  BOOST_TEST(outpost.sent(2).path == "/mgmt/v1/scopeMaps/ci-token-scope-map");
  BOOST_TEST(outpost.sent(2).body == R"({"description":"Created by token: ci-token",)"
                                     R"("actions":["repositories/app/content/read","gateway/edge1/config/read"]})");
  BOOST_TEST(outpost.sent(3).path == "/mgmt/v1/tokens/ci-token");
  BOOST_TEST(outpost.sent(3).body == R"({"scopeMap":"ci-token-scope-map","expiry":"2030-01-31T12:00:00Z"})");
  BOOST_TEST(outpost.notes.str().find("ci-token-scope-map") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(create_reuses_its_scope_map_when_the_actions_are_the_same) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(200, R"({"name":"ci-token-scope-map","actions":["repositories/app/metadata/read","repositories/app/content/read"]})")
      .answer(201, R"({"name":"ci-token"})");
  outpost.run("token create --name ci-token --repository app content/read metadata/read");
  BOOST_REQUIRE(outpost.transport.sent.size() == 3u);
  BOOST_TEST(outpost.sent(2).path == "/mgmt/v1/tokens/ci-token");
  BOOST_TEST(outpost.notes.str().empty());
}

BOOST_AUTO_TEST_CASE(create_refuses_to_change_an_existing_scope_map_of_that_name) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(200, R"({"name":"ci-token-scope-map","actions":["repositories/app/content/read"]})");
  try {
    outpost.run("token create --name ci-token --repository app content/read content/write");
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.entries().at(0).code == "CONFLICT");
    BOOST_TEST(failure.entries().at(0).message.find("outpost scope-map update --name ci-token-scope-map") !=
               std::string::npos);
  }
  BOOST_TEST(outpost.transport.sent.size() == 2u);  // only the GETs
}

BOOST_AUTO_TEST_CASE(create_of_a_token_that_exists_is_refused_before_anything_is_made) {
  // The API's PUT replaces a token: a disabled one came back enabled, with whatever scope map `create` named.
  Outpost outpost;
  outpost.transport.answer(200, R"({"name":"ci-token","scopeMap":"m1234","status":"disabled"})");
  try {
    outpost.run("token create --name ci-token --repository app content/read");
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.entries().at(0).code == "CONFLICT");
    BOOST_TEST(failure.entries().at(0).message.find("outpost token update") != std::string::npos);
  }
  BOOST_TEST(outpost.transport.sent.size() == 1u);  // the GET: no scope map, no PUT
}

BOOST_AUTO_TEST_CASE(a_refused_token_takes_back_the_scope_map_made_for_it) {
  // The node checks a token's name only when the token is put, after its scope map was made: the map goes again.
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(404, kNotFound)
      .answer(201, R"({"name":"t1-scope-map"})")
      .answer(400, R"({"errors":[{"code":"INVALID_REQUEST","message":"token names are 5-50 characters"}]})")
      .answer(204);
  try {
    outpost.run("token create --name t1 --repository app content/read");
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.entries().at(0).code == "INVALID_REQUEST");  // the token's refusal, not the clean-up's
  }
  BOOST_REQUIRE(outpost.transport.sent.size() == 5u);
  BOOST_TEST((outpost.sent(4).method == http::Method::Delete));
  BOOST_TEST(outpost.sent(4).path == "/mgmt/v1/scopeMaps/t1-scope-map");
  BOOST_TEST(outpost.notes.str().empty());  // no "Created scope map" for a map that is gone
}

BOOST_AUTO_TEST_CASE(a_refused_token_leaves_a_scope_map_that_was_there_before) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(200, R"({"name":"ci-token-scope-map","actions":["repositories/app/content/read"]})")
      .answer(400, R"({"errors":[{"code":"INVALID_REQUEST","message":"bad expiry"}]})");
  BOOST_CHECK_THROW(outpost.run("token create --name ci-token --repository app content/read"), ApiFailure);
  BOOST_TEST(outpost.transport.sent.size() == 3u);  // the GETs and the token's PUT: no DELETE
}

BOOST_AUTO_TEST_CASE(a_scope_map_that_cannot_be_taken_back_is_named_with_the_command_that_removes_it) {
  Outpost outpost;
  outpost.transport.answer(404, kNotFound)
      .answer(404, kNotFound)
      .answer(201, R"({"name":"t1-scope-map"})")
      .answer(400, R"({"errors":[{"code":"INVALID_REQUEST","message":"token names are 5-50 characters"}]})")
      .answer(503, R"({"errors":[{"code":"UNAVAILABLE","message":"try later"}]})");
  try {
    outpost.run("token create --name t1 --repository app content/read");
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.entries().at(0).code == "INVALID_REQUEST");
  }
  BOOST_TEST(outpost.notes.str().find("outpost scope-map delete --name t1-scope-map") != std::string::npos);
}

// SPEC 3.3 lets a token name have 50 characters, but "<token>-scope-map" has 10 more: said in the flags' words, before
// anything is sent (the API's refusal named a scope map the user never typed).
BOOST_AUTO_TEST_CASE(create_with_repositories_names_the_longest_token_name_its_scope_map_allows) {
  Outpost outpost;
  const std::string name(41, 'a');
  try {
    outpost.run("token create --name " + name + " --repository app content/read");
    BOOST_FAIL("accepted");
  } catch (const UsageError& error) {
    BOOST_TEST(std::string(error.what()).find("a token name may have 40 at most") != std::string::npos, error.what());
  }
  BOOST_TEST(outpost.transport.sent.empty());
  Outpost forty;
  forty.transport.answer(404, kNotFound).answer(404, kNotFound).answer(201, "{}").answer(201, "{}");
  forty.run("token create --name " + std::string(40, 'a') + " --repository app content/read");
  BOOST_TEST(forty.sent(1).path == "/mgmt/v1/scopeMaps/" + std::string(40, 'a') + "-scope-map");
}

BOOST_AUTO_TEST_CASE(create_checks_everything_before_creating_a_scope_map) {
  Outpost bad_action;
  BOOST_CHECK_THROW(bad_action.run("token create --name ci-token --repository app pull"), UsageError);
  Outpost bad_days;
  BOOST_CHECK_THROW(bad_days.run("token create --name ci-token --repository app content/read --expiration-in-days 0"),
                    UsageError);
  Outpost neither;
  BOOST_CHECK_THROW(neither.run("token create --name ci-token"), UsageError);
  BOOST_TEST(bad_action.transport.sent.empty());
  BOOST_TEST(bad_days.transport.sent.empty());
  BOOST_TEST(neither.transport.sent.empty());
}

BOOST_AUTO_TEST_CASE(conflicting_flags_are_refused_by_the_parser) {
  Outpost both_maps;
  BOOST_CHECK_THROW(both_maps.parse("token create --name t1234 --scope-map m1234 --repository app content/read"),
                    CLI::ExcludesError);
  Outpost no_passwords;
  BOOST_CHECK_THROW(no_passwords.parse("token create --name t1234 --scope-map m1234 --no-passwords "
                                       "--expiration-in-days 3"),
                    CLI::ExcludesError);
  Outpost two_expiries;
  BOOST_CHECK_THROW(two_expiries.parse("token credential generate --name t1234 --password1 --expiration-in-days 3 "
                                       "--expiration 2030-01-31T12:00:00Z"),
                    CLI::ExcludesError);
  Outpost status;
  BOOST_CHECK_THROW(status.parse("token update --name t1234 --status paused"), CLI::ValidationError);
}

BOOST_AUTO_TEST_CASE(update_patches_scope_map_and_status) {
  Outpost outpost;
  outpost.transport.answer(200, R"({"name":"t1234"})");
  outpost.run("token update --name t1234 --scope-map other --status enabled");
  BOOST_TEST((outpost.sent(0).method == http::Method::Patch));
  BOOST_TEST(outpost.sent(0).body == R"({"scopeMap":"other","status":"enabled"})");
  Outpost nothing;
  BOOST_CHECK_THROW(nothing.run("token update --name t1234"), UsageError);
}

BOOST_AUTO_TEST_CASE(show_list_and_delete_use_their_methods_and_paths) {
  Outpost show, list, remove;
  show.transport.answer(200, R"({"name":"t1234"})");
  list.transport.answer(200, R"([])");
  remove.transport.answer(204);
  show.run("token show --name t1234");
  list.run("token list");
  remove.run("token delete --name t1234");
  BOOST_TEST(show.sent(0).path == "/mgmt/v1/tokens/t1234");
  BOOST_TEST(list.sent(0).path == "/mgmt/v1/tokens");
  BOOST_TEST(list.out.str() == "[]\n");
  BOOST_TEST((remove.sent(0).method == http::Method::Delete));
}

BOOST_AUTO_TEST_CASE(credential_generate_names_one_password_or_none_for_both) {
  Outpost one;
  one.transport.answer(200, R"({"username":"t1234","passwords":[{"name":"password2","value":"v"}]})");
  const std::string printed = one.run("token credential generate --name t1234 --password2 --expiration-in-days 7 -o table");
  BOOST_TEST((one.sent(0).method == http::Method::Post));
  BOOST_TEST(one.sent(0).path == "/mgmt/v1/tokens/t1234/generateCredentials");
  BOOST_TEST(one.sent(0).body == R"({"name":"password2","expiry":"2026-03-08T10:20:30.000Z"})");
  BOOST_TEST(printed.find("t1234     password2  v") != std::string::npos);

  Outpost both;
  both.transport.answer(200, R"({"username":"t1234","passwords":[]})");
  both.run("token credential generate --name t1234 --password1 --password2");
  BOOST_TEST(both.sent(0).body == "{}");
}

BOOST_AUTO_TEST_CASE(credential_generate_without_a_password_flag_regenerates_nothing) {
  Outpost outpost;
  BOOST_CHECK_THROW(outpost.run("token credential generate --name t1234"), UsageError);
  BOOST_TEST(outpost.transport.sent.empty());
}

BOOST_AUTO_TEST_SUITE_END()
