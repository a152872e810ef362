// Parsing scope-map action strings (SPEC 3.1), including every wildcard form SPEC 3.1 and the research notes name.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "reference/auth/actions.h"
#include "tests/unit/auth/print.h"

using namespace outpost::auth;
using Match = ActionRule::Match;
using Target = ActionRule::Target;

namespace {
struct Accepted {
  const char* clause;
  std::string input;
  Target target;
  Match match;
  std::string name;
  std::string canonical;
};

struct Refused {
  const char* clause;
  std::string input;
  std::string message_part;  // the refusal must say this (what is allowed, or what is wrong)
};
}  // namespace

BOOST_AUTO_TEST_SUITE(action_strings)

BOOST_AUTO_TEST_CASE(accepted_forms) {
  const std::vector<Accepted> rows = {
      {"3.1 name", "repositories/hello-world/content/read", Target::Repository, Match::Exact, "hello-world",
       "repositories/hello-world/content/read"},
      {"3.1 name with '/'", "repositories/samples/team/app/content/write", Target::Repository, Match::Exact,
       "samples/team/app", "repositories/samples/team/app/content/write"},
      {"3.1 every repository action", "repositories/a/content/delete", Target::Repository, Match::Exact, "a",
       "repositories/a/content/delete"},
      {"3.1", "repositories/a/metadata/read", Target::Repository, Match::Exact, "a", "repositories/a/metadata/read"},
      {"3.1", "repositories/a/metadata/write", Target::Repository, Match::Exact, "a", "repositories/a/metadata/write"},
      {"3.1 prefix/* ok", "repositories/a/*/content/read", Target::Repository, Match::Prefix, "a",
       "repositories/a/*/content/read"},
      {"3.1 deep prefix/*", "repositories/samples/team-a/*/content/read", Target::Repository, Match::Prefix,
       "samples/team-a", "repositories/samples/team-a/*/content/read"},
      {"3.1 lone * ok", "repositories/*/content/read", Target::Repository, Match::All, "",
       "repositories/*/content/read"},
      {"3.1 <repo> lowercased", "repositories/A/B/content/read", Target::Repository, Match::Exact, "a/b",
       "repositories/a/b/content/read"},
      {"3.1 prefix lowercased", "repositories/Samples/*/metadata/write", Target::Repository, Match::Prefix, "samples",
       "repositories/samples/*/metadata/write"},
      {"3.1 gateway", "gateway/child/config/read", Target::Gateway, Match::Exact, "child",
       "gateway/child/config/read"},
      {"3.1 gateway", "gateway/child/config/write", Target::Gateway, Match::Exact, "child",
       "gateway/child/config/write"},
      {"3.1 gateway", "gateway/child/message/read", Target::Gateway, Match::Exact, "child",
       "gateway/child/message/read"},
      {"3.1 gateway (research 3.3 example)", "gateway/child/message/write", Target::Gateway, Match::Exact, "child",
       "gateway/child/message/write"},
      {"3.1 <cr> lowercased", "gateway/MyEdge01/config/read", Target::Gateway, Match::Exact, "myedge01",
       "gateway/myedge01/config/read"},
      {"2.1 cr of 40 chars", "gateway/" + std::string(40, 'x') + "/message/read", Target::Gateway, Match::Exact,
       std::string(40, 'x'), "gateway/" + std::string(40, 'x') + "/message/read"},
      {"research 3.3 example", "repositories/repo1/content/read", Target::Repository, Match::Exact, "repo1",
       "repositories/repo1/content/read"},
      {"research 3.3 example", "repositories/repo1/metadata/read", Target::Repository, Match::Exact, "repo1",
       "repositories/repo1/metadata/read"},
      {"research 3.4 example", "repositories/sample/teamA/*/content/write", Target::Repository, Match::Prefix,
       "sample/teama", "repositories/sample/teama/*/content/write"},
  };
  for (const Accepted& row : rows) {
    BOOST_TEST_CONTEXT("SPEC " << row.clause << ": " << row.input) {
      const ActionParse parsed = parse_action(row.input);
      BOOST_TEST_REQUIRE(bool(parsed), parsed.error);
      BOOST_TEST((parsed.rule->target == row.target));
      BOOST_TEST((parsed.rule->match == row.match));
      BOOST_TEST(parsed.rule->name == row.name);
      BOOST_TEST(parsed.rule->to_string() == row.canonical);
      BOOST_TEST(parsed.rule->repository.empty() == (row.target == Target::Gateway));
      BOOST_TEST(parsed.rule->gateway.empty() == (row.target == Target::Repository));
      // The canonical spelling parses back to the same rule.
      BOOST_TEST((parse_action(parsed.rule->to_string()).rule == parsed.rule));
    }
  }
}

BOOST_AUTO_TEST_CASE(each_verb_sets_its_one_bit) {
  BOOST_TEST(parse_action("repositories/a/content/read").rule->repository == kContentRead);
  BOOST_TEST(parse_action("repositories/a/content/write").rule->repository == kContentWrite);
  BOOST_TEST(parse_action("repositories/a/content/delete").rule->repository == kContentDelete);
  BOOST_TEST(parse_action("repositories/a/metadata/read").rule->repository == kMetadataRead);
  BOOST_TEST(parse_action("repositories/a/metadata/write").rule->repository == kMetadataWrite);
  BOOST_TEST(parse_action("gateway/child/config/read").rule->gateway == kConfigRead);
  BOOST_TEST(parse_action("gateway/child/config/write").rule->gateway == kConfigWrite);
  BOOST_TEST(parse_action("gateway/child/message/read").rule->gateway == kMessageRead);
  BOOST_TEST(parse_action("gateway/child/message/write").rule->gateway == kMessageWrite);
}

BOOST_AUTO_TEST_CASE(refused_forms_say_what_is_allowed) {
  const std::string pattern_rule = "use a repository name, a name followed by one final '/*'";
  const std::vector<Refused> rows = {
      {"3.1 wildcard not after '/'", "repositories/a*/content/read", pattern_rule},
      {"3.1 wildcard first", "repositories/*/a/content/read", pattern_rule},
      {"3.1 wildcard in the middle", "repositories/a/*/b/content/read", pattern_rule},
      {"3.1 double wildcard", "repositories/a/**/content/read", pattern_rule},
      {"3.1 partial component", "repositories/a/b*/content/read", pattern_rule},
      {"3.1 wildcard with empty prefix", "repositories//*/content/read", pattern_rule},
      {"3.1 */*", "repositories/*/*/content/read", pattern_rule},
      {"3.1 ** alone", "repositories/**/content/read", pattern_rule},
      {"research 3.4 invalid", "repositories/sample/*/teamA/content/read", pattern_rule},
      {"research 3.4 invalid", "repositories/sample/teamA*/content/read", pattern_rule},
      {"research 3.4 invalid", "repositories/sample/teamA/*/projectB/*/content/read", pattern_rule},
      {"3.1 unknown action", "repositories/a/content/write2", "allowed actions are content/read, content/write"},
      {"3.1 unknown action", "repositories/a/content/list", "unknown repository action 'content/list'"},
      {"3.1 action spelled in capitals", "repositories/a/Content/Read", "unknown repository action"},
      {"3.1 missing action", "repositories/a/content", "expected repositories/<repo>/<action>"},
      {"3.1 missing repository", "repositories/content/read", "expected repositories/<repo>/<action>"},
      {"3.1 empty repository", "repositories//content/read", "empty repository name"},
      {"3.1 nothing after the kind", "repositories/", "expected repositories/<repo>/<action>"},
      {"3.1 empty string", "", "an empty string is not an action"},
      {"3.1 unknown kind", "repository/a/content/read", "expected repositories/<repo>/<action>"},
      {"3.1 unknown kind", "registry/catalog/read", "or gateway/<connected registry>/<action>"},
      {"3.1/6.2 invalid name", "repositories/a..b/content/read", "invalid repository name 'a..b'"},
      {"3.1/6.2 invalid name", "repositories/a b/content/read", "invalid repository name"},
      {"3.1/6.2 trailing slash", "repositories/a//content/read", "invalid repository name 'a/'"},
      {"3.1/6.2 name too long", "repositories/" + std::string(256, 'a') + "/content/read", "invalid repository name"},
      {"3.1 prefix too long to match anything", "repositories/" + std::string(254, 'a') + "/*/content/read",
       "too long"},
      {"3.1 gateway unknown action (old CLI spelling)", "gateway/child/messages/read",
       "allowed actions are config/read, config/write, message/read, message/write"},
      {"3.1 gateway repository action", "gateway/child/content/read", "unknown gateway action"},
      {"3.1 gateway missing action", "gateway/child", "expected gateway/<connected registry>/<action>"},
      {"3.1 gateway wildcard", "gateway/*/config/read", "wildcards are not allowed in gateway actions"},
      {"3.1 gateway wildcard", "gateway/child*/config/read", "wildcards are not allowed in gateway actions"},
      {"2.1 cr name too short", "gateway/abcd/config/read", "5-40 characters, starting with a letter"},
      {"2.1 cr name too long", "gateway/" + std::string(41, 'a') + "/config/read", "5-40 characters"},
      {"2.1 cr name starts with a digit", "gateway/1edge/config/read", "starting with a letter"},
      {"2.1 cr name with '-'", "gateway/my-edge/config/read", "letters and digits only"},
      {"2.1 cr name with '/'", "gateway/a/bcdef/config/read", "unknown gateway action 'bcdef/config/read'"},
  };
  for (const Refused& row : rows) {
    BOOST_TEST_CONTEXT("SPEC " << row.clause << ": '" << row.input << "'") {
      const ActionParse parsed = parse_action(row.input);
      BOOST_TEST_REQUIRE(!parsed);
      BOOST_TEST(parsed.error.find(row.message_part) != std::string::npos, parsed.error);
    }
  }
}

BOOST_AUTO_TEST_CASE(parse_actions_keeps_rules_and_reports_each_refusal) {
  const std::vector<std::string> actions = {"repositories/a/content/read", "repositories/a*/content/read",
                                            "gateway/child/config/read", ""};
  const ParsedActions parsed = parse_actions(actions);
  BOOST_TEST(parsed.rules.size() == 2u);
  BOOST_TEST_REQUIRE(parsed.errors.size() == 2u);
  BOOST_TEST(parsed.errors[0].find("'repositories/a*/content/read'") != std::string::npos, parsed.errors[0]);
  BOOST_TEST(parsed.errors[1].find("empty string") != std::string::npos, parsed.errors[1]);
}

BOOST_AUTO_TEST_CASE(masks) {
  BOOST_TEST((kContentRead | kContentWrite).contains(kContentRead));
  BOOST_TEST(!kContentRead.contains(kContentRead | kContentWrite));
  BOOST_TEST((kContentRead | kMetadataRead).intersects(kMetadataRead | kMetadataWrite));
  BOOST_TEST(!kContentRead.intersects(kMetadataRead));
  BOOST_TEST((kContentRead | kContentWrite | kContentDelete | kMetadataRead | kMetadataWrite) == kAllRepositoryActions);
  BOOST_TEST((kConfigRead | kConfigWrite | kMessageRead | kMessageWrite) == kAllGatewayActions);
  BOOST_TEST(repository_action_name(kMetadataWrite) == "metadata/write");
  BOOST_TEST(gateway_action_name(kMessageRead) == "message/read");
  BOOST_TEST(repository_action_name(kContentRead | kContentWrite).empty());
}

BOOST_AUTO_TEST_SUITE_END()
