// Scope maps: the system maps of SPEC 3.2, normalisation of action lists (3.1), description and action limits
// (3.1, 2.9).
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "reference/auth/scope_map.h"
#include "tests/unit/auth/print.h"

using namespace outpost::auth;

BOOST_AUTO_TEST_SUITE(scope_maps)

BOOST_AUTO_TEST_CASE(the_five_system_scope_maps) {
  struct Row {
    const char* name;
    RepositoryActions actions;
  };
  const std::vector<Row> rows = {
      {"_repositories_pull", kContentRead},
      {"_repositories_pull_metadata_read", kContentRead | kMetadataRead},
      {"_repositories_push", kContentRead | kContentWrite},
      {"_repositories_push_metadata_write", kContentRead | kContentWrite | kMetadataRead | kMetadataWrite},
      {"_repositories_admin", kAllRepositoryActions},
  };
  BOOST_TEST(system_scope_maps().size() == rows.size());
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT("SPEC 3.2: " << row.name) {
      const ScopeMap* map = find_system_scope_map(row.name);
      BOOST_TEST_REQUIRE(map != nullptr);
      BOOST_TEST((map->type == ScopeMapType::SystemDefined));
      BOOST_TEST(!map->description.empty());
      const PermissionSet permissions = map->permissions();
      // Each on "*": any repository, existing or not, and the cloud catalog (3.6).
      BOOST_TEST(permissions.repository_actions("library/ubuntu") == row.actions);
      BOOST_TEST(permissions.repository_actions("x") == row.actions);
      BOOST_TEST(permissions.includes_all_repositories_wildcard());
      // Stored canonically: normalising them changes nothing.
      BOOST_TEST(normalize_actions(map->actions).canonical == map->actions);
    }
  }
  BOOST_TEST(find_system_scope_map("_repositories_delete") == nullptr);
  BOOST_TEST(find_system_scope_map("my-scope-map") == nullptr);
  BOOST_TEST(to_string(ScopeMapType::SystemDefined) == "SystemDefined");
  BOOST_TEST(to_string(ScopeMapType::UserDefined) == "UserDefined");
}

BOOST_AUTO_TEST_CASE(normalising_lowercases_and_drops_duplicates) {
  const std::vector<std::string> actions = {
      "repositories/Hello-World/content/read", "repositories/hello-world/content/read", "gateway/Child/config/read",
      "repositories/a*/content/read", "repositories/samples/*/metadata/read"};
  const NormalizedActions normalized = normalize_actions(actions);
  const std::vector<std::string> expected = {"repositories/hello-world/content/read", "gateway/child/config/read",
                                             "repositories/samples/*/metadata/read"};
  BOOST_TEST(normalized.canonical == expected, boost::test_tools::per_element());
  BOOST_TEST_REQUIRE(normalized.errors.size() == 1u);
  BOOST_TEST(normalized.errors[0].find("'repositories/a*/content/read'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(description_limit) {
  BOOST_TEST(!scope_map_description_error("").has_value());
  BOOST_TEST(!scope_map_description_error(std::string(256, 'd')).has_value());
  BOOST_TEST(scope_map_description_error(std::string(257, 'd')).has_value());
  // Characters, not bytes: 256 two-byte characters fit.
  std::string accented;
  for (int i = 0; i < 256; ++i) accented += "\xC3\xA9";
  BOOST_TEST(!scope_map_description_error(accented).has_value());
  BOOST_TEST(scope_map_description_error(accented + "e").has_value());
}

BOOST_AUTO_TEST_CASE(action_limit) {
  BOOST_TEST(!scope_map_action_limit_error(500, Maker::User).has_value(), "SPEC 2.9: 500 allowed");
  const auto refused = scope_map_action_limit_error(501, Maker::User);
  BOOST_TEST_REQUIRE(refused.has_value(), "SPEC 2.9: 501 refused");
  BOOST_TEST(refused->find("500") != std::string::npos, "SPEC 2.9: the message names the limit");
  BOOST_TEST(!scope_map_action_limit_error(5000, Maker::ConnectedRegistry).has_value(), "SPEC 2.9: sync maps exempt");
  BOOST_TEST(kMaxTokensPerRegistry == 20'000u);
  BOOST_TEST(kMaxScopeMapsPerRegistry == 20'000u);
  BOOST_TEST(kMaxClientTokensPerConnectedRegistry == 20u);
}

BOOST_AUTO_TEST_CASE(damaged_actions_grant_nothing) {
  const ScopeMap map{"damaged", "", {"repositories/a*/content/read", "repositories/b/content/read"},
                     ScopeMapType::UserDefined};
  const PermissionSet permissions = map.permissions();
  BOOST_TEST(permissions.repository_actions("a").empty());
  BOOST_TEST(permissions.repository_actions("ab").empty());
  BOOST_TEST(permissions.repository_actions("b") == kContentRead);
}

BOOST_AUTO_TEST_SUITE_END()
