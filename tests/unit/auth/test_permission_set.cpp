// Matching compiled scope-map actions against repositories and connected registries (SPEC 3.1, 3.6).
#include <boost/test/unit_test.hpp>
#include <optional>
#include <string>
#include <vector>

#include "reference/auth/permission_set.h"
#include "tests/unit/auth/print.h"

using namespace outpost::auth;

namespace {
PermissionSet compile(const std::vector<std::string>& actions) {
  const ParsedActions parsed = parse_actions(actions);
  BOOST_TEST_REQUIRE(parsed.errors.empty());
  return PermissionSet(parsed.rules);
}

struct Row {
  const char* clause;
  std::string repository;
  RepositoryActions expected;
};

void check(const PermissionSet& permissions, const std::vector<Row>& rows) {
  for (const Row& row : rows)
    BOOST_TEST_CONTEXT("SPEC " << row.clause << ": " << row.repository) {
      BOOST_TEST(permissions.repository_actions(row.repository) == row.expected);
    }
}
}  // namespace

BOOST_AUTO_TEST_SUITE(permission_sets)

BOOST_AUTO_TEST_CASE(additive_matching_from_the_research_notes) {
  // research 3.4: sample/* -> read, sample/teamA/* -> write, sample/teamA/projectB -> delete.
  const PermissionSet permissions = compile({"repositories/sample/*/content/read",
                                             "repositories/sample/teamA/*/content/write",
                                             "repositories/sample/teamA/projectB/content/delete"});
  check(permissions, {
                         {"3.1 additive", "sample/teama/projectb", kContentRead | kContentWrite | kContentDelete},
                         {"3.1 additive", "sample/teama/projectc", kContentRead | kContentWrite},
                         {"3.1 prefix", "sample/other", kContentRead},
                         {"3.1 prefix matches deeper names", "sample/x/y/z", kContentRead},
                         {"3.1 prefix/* is not prefix itself", "sample", {}},
                         {"3.1 prefix/* is not prefix itself", "sample/teama", kContentRead},
                         {"3.1 literal prefix, '/' bounded", "samplex/a", {}},
                         {"3.1 literal prefix, '/' bounded", "sample-a/b", {}},
                         {"3.1 unrelated", "other/x", {}},
                     });
}

BOOST_AUTO_TEST_CASE(exact_names_and_the_all_wildcard) {
  const PermissionSet permissions =
      compile({"repositories/*/content/read", "repositories/app/metadata/read", "repositories/app/metadata/write"});
  check(permissions, {
                         {"3.1 * matches all", "anything/at/all", kContentRead},
                         {"3.1 * applies to repositories that do not exist yet", "never-pushed", kContentRead},
                         {"3.1 additive with *", "app", kContentRead | kMetadataRead | kMetadataWrite},
                         {"3.1 exact is exact", "app/sub", kContentRead},
                         {"3.1 exact is exact", "ap", kContentRead},
                     });
  BOOST_TEST(permissions.includes_all_repositories_wildcard());
}

BOOST_AUTO_TEST_CASE(catalog_wildcard_needs_a_rule_on_star) {
  BOOST_TEST(!compile({"repositories/a/*/content/read"}).includes_all_repositories_wildcard());
  BOOST_TEST(!compile({"repositories/a/content/read"}).includes_all_repositories_wildcard());
  BOOST_TEST(compile({"repositories/*/metadata/read"}).includes_all_repositories_wildcard());
  BOOST_TEST(PermissionSet::all_repositories().includes_all_repositories_wildcard());
  BOOST_TEST(!PermissionSet().includes_all_repositories_wildcard());
}

BOOST_AUTO_TEST_CASE(case_is_folded_when_compiling) {
  const PermissionSet permissions = compile({"repositories/Samples/*/content/read", "repositories/App/content/write"});
  check(permissions,
        {{"3.1 lowercased on input", "samples/x", kContentRead}, {"3.1 lowercased on input", "app", kContentWrite}});
}

BOOST_AUTO_TEST_CASE(gateway_actions_are_per_connected_registry) {
  const PermissionSet permissions = compile({"gateway/child/config/read", "gateway/child/message/write",
                                             "gateway/other1/config/write", "repositories/*/content/read"});
  BOOST_TEST(permissions.gateway_actions("child") == (kConfigRead | kMessageWrite));
  BOOST_TEST(permissions.gateway_actions("other1") == kConfigWrite);
  BOOST_TEST(permissions.gateway_actions("third").empty());
  BOOST_TEST(permissions.gateway_actions("").empty());
  // A gateway rule never shows up as a repository permission, and the reverse.
  BOOST_TEST(permissions.repository_actions("child") == kContentRead);
  BOOST_TEST(compile({"repositories/child/content/read"}).gateway_actions("child").empty());
}

BOOST_AUTO_TEST_CASE(admin_and_empty) {
  BOOST_TEST(PermissionSet::all_repositories().repository_actions("x/y") == kAllRepositoryActions);
  BOOST_TEST(PermissionSet::all_repositories().gateway_actions("child").empty());
  BOOST_TEST(PermissionSet().repository_actions("x").empty());
  BOOST_TEST(PermissionSet().empty());
  BOOST_TEST(!compile({"gateway/child/config/read"}).empty());
}

BOOST_AUTO_TEST_CASE(duplicates_add_nothing) {
  const PermissionSet permissions = compile({"repositories/a/content/read", "repositories/A/content/read"});
  check(permissions, {{"3.1", "a", kContentRead}});
}

// A set naming one connected registry answers from its sole entry, a set naming several from its table: either way
// what a scan of the rules gives, also as a set grows from one CR to two, or gains rules on its one CR only.
BOOST_AUTO_TEST_CASE(gateway_actions_agree_with_the_rules_as_a_set_grows) {
  const auto scan = [](const std::vector<ActionRule>& rules, std::string_view cr) {
    GatewayActions actions{};
    for (const ActionRule& rule : rules)
      if (rule.target == ActionRule::Target::Gateway && rule.name == cr) actions |= rule.gateway;
    return actions;
  };
  const std::vector<std::vector<std::string>> steps{
      {"repositories/a/content/read"},
      {"gateway/child1/config/read"},
      {"gateway/child1/message/read", "repositories/b/content/read"},
      {"gateway/child2/config/write"},
      {"gateway/child3/message/write", "gateway/child1/message/write"},
  };
  PermissionSet permissions;
  std::vector<ActionRule> so_far;
  for (const auto& step : steps) {
    const auto rules = parse_actions(step).rules;
    permissions.add(rules);
    so_far.insert(so_far.end(), rules.begin(), rules.end());
    for (const std::string_view cr : {"child1", "child2", "child3", "child", "child10", "", "a"}) {
      BOOST_TEST((permissions.gateway_actions(cr) == scan(so_far, cr)), cr << " after " << so_far.size() << " rules");
      BOOST_TEST((PermissionSet(so_far).gateway_actions(cr) == scan(so_far, cr)), cr);
    }
  }
  // A sole rule on "" (no name a rule can parse to, but rules may be built by hand) is found as well.
  ActionRule unnamed{ActionRule::Target::Gateway, ActionRule::Match::Exact, "", {}, kConfigRead};
  const PermissionSet odd(std::span<const ActionRule>(&unnamed, 1));
  BOOST_TEST(odd.gateway_actions("") == kConfigRead);
  BOOST_TEST(odd.gateway_actions("child1").empty());
}

// Copies share their tables until one of them gains rules: the copy that grows grants more, the other exactly what
// it granted (a published snapshot's permissions must never change under its readers).
BOOST_AUTO_TEST_CASE(a_copy_that_gains_rules_leaves_the_original_alone) {
  const PermissionSet original = compile({"repositories/a/content/read", "gateway/child/config/read"});
  PermissionSet grown = original;
  const std::vector<std::string> more = {"repositories/a/content/write", "repositories/b/*/content/read",
                                        "gateway/other/config/read", "gateway/child/message/read"};
  grown.add(parse_actions(more).rules);
  BOOST_TEST(original.repository_actions("a") == kContentRead);
  BOOST_TEST(original.repository_actions("b/x").empty());
  BOOST_TEST(original.gateway_actions("other").empty());
  BOOST_TEST(original.gateway_actions("child") == kConfigRead);
  BOOST_TEST(grown.repository_actions("a") == (kContentRead | kContentWrite));
  BOOST_TEST(grown.repository_actions("b/x") == kContentRead);
  BOOST_TEST(grown.gateway_actions("other") == kConfigRead);
  BOOST_TEST(grown.gateway_actions("child") == (kConfigRead | kMessageRead));

  PermissionSet from_nothing;  // an empty set that gains rules
  const PermissionSet still_nothing = from_nothing;
  const std::vector<std::string> wildcard = {"repositories/*/metadata/read"};
  from_nothing.add(parse_actions(wildcard).rules);
  BOOST_TEST(from_nothing.includes_all_repositories_wildcard());
  BOOST_TEST(still_nothing.empty());
}

// A set whose gateway rules name one connected registry answers from a copy of that name kept in the set: names that
// share all but their last byte, or differ only in length, must still be told apart, a copy must answer alike after
// the original is gone, and a name too long for the copy (only rules built by hand can hold one) still matches.
BOOST_AUTO_TEST_CASE(the_sole_gateway_is_matched_on_its_whole_name) {
  const std::string longest(40, 'a');  // the longest valid connected registry name
  std::optional<PermissionSet> original = compile({"gateway/" + longest + "/config/read"});
  const PermissionSet copy = *original;
  original.reset();
  BOOST_TEST(copy.gateway_actions(longest) == kConfigRead);
  BOOST_TEST(copy.gateway_actions(std::string(39, 'a') + "b").empty());
  BOOST_TEST(copy.gateway_actions(std::string(39, 'a')).empty());
  BOOST_TEST(copy.gateway_actions(longest + "a").empty());
  BOOST_TEST(copy.gateway_actions("").empty());

  const PermissionSet short_name = compile({"gateway/child/message/write"});
  BOOST_TEST(short_name.gateway_actions("child") == kMessageWrite);
  BOOST_TEST(short_name.gateway_actions("childa").empty());
  BOOST_TEST(short_name.gateway_actions("chil").empty());

  ActionRule rule;
  rule.target = ActionRule::Target::Gateway;
  rule.name = std::string(41, 'z');
  rule.gateway = kConfigWrite;
  const std::vector<ActionRule> rules = {rule};
  const PermissionSet long_name(rules);
  BOOST_TEST(long_name.gateway_actions(std::string(41, 'z')) == kConfigWrite);
  BOOST_TEST(long_name.gateway_actions(std::string(40, 'z')).empty());
  BOOST_TEST(long_name.gateway_actions(std::string(40, 'z') + "y").empty());

  // Gaining a second registry ends the shortcut; both still answer, and the copy taken before is unchanged.
  PermissionSet grown = copy;
  grown.add(parse_actions(std::vector<std::string>{"gateway/child/config/write"}).rules);
  BOOST_TEST(grown.gateway_actions(longest) == kConfigRead);
  BOOST_TEST(grown.gateway_actions("child") == kConfigWrite);
  BOOST_TEST(copy.gateway_actions("child").empty());
}

BOOST_AUTO_TEST_SUITE_END()
