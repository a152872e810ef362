// Docker token scopes (SPEC 3.4, 3.5): parsing, the action mapping, granting the intersection, the access claim.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "reference/auth/docker_scope.h"
#include "tests/unit/auth/print.h"

using namespace outpost::auth;
using Type = ScopeRequest::Type;

namespace {
PermissionSet permission_set_of(const std::vector<std::string>& actions) {
  return PermissionSet(parse_actions(actions).rules);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(docker_scopes)

BOOST_AUTO_TEST_CASE(action_words) {
  struct Row {
    const char* word;
    std::optional<RepositoryActions> actions;
  };
  const std::vector<Row> rows = {
      {"pull", kContentRead},           {"push", kContentWrite},          {"delete", kContentDelete},
      {"metadata_read", kMetadataRead}, {"metadata_write", kMetadataWrite}, {"*", kAllRepositoryActions},
      {"Pull", std::nullopt},           {"deleted_read", std::nullopt},   {"", std::nullopt},
  };
  for (const Row& row : rows) BOOST_TEST((docker_action(row.word) == row.actions), "SPEC 3.5: '" << row.word << "'");
  const std::vector<std::string> all = {"pull", "push", "delete", "metadata_read", "metadata_write"};
  BOOST_TEST(docker_action_words(kAllRepositoryActions) == all, boost::test_tools::per_element());
  BOOST_TEST(docker_action_words({}).empty());
}

BOOST_AUTO_TEST_CASE(accepted_scopes) {
  struct Row {
    const char* clause;
    std::string scope;
    ScopeRequest expected;
  };
  const std::vector<Row> rows = {
      {"3.5", "repository:hello-world:pull", {Type::Repository, "hello-world", kContentRead}},
      {"3.5 name with '/'", "repository:samples/team/app:pull,push",
       {Type::Repository, "samples/team/app", kContentRead | kContentWrite}},
      {"3.5 every word", "repository:a:pull,push,delete,metadata_read,metadata_write",
       {Type::Repository, "a", kAllRepositoryActions}},
      {"3.5 *", "repository:a:*", {Type::Repository, "a", kAllRepositoryActions}},
      {"research 5.2 combined", "repository:a:metadata_write,metadata_read",
       {Type::Repository, "a", kMetadataRead | kMetadataWrite}},
      {"3.4 unknown words dropped, not an error", "repository:a:pull,deleted_read",
       {Type::Repository, "a", kContentRead}},
      {"3.4 asking for nothing", "repository:a:", {Type::Repository, "a", {}}},
      {"3.4 empty words skipped", "repository:a:,pull,,", {Type::Repository, "a", kContentRead}},
      {"Docker grammar: resource class", "repository(plugin):a/b:pull", {Type::Repository, "a/b", kContentRead}},
      {"3.5 catalog", "registry:catalog:*", {Type::Catalog, "catalog", {}}},
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT("SPEC " << row.clause << ": " << row.scope) {
      const ScopeParse parsed = parse_scope(row.scope);
      BOOST_TEST_REQUIRE(bool(parsed), parsed.error);
      BOOST_TEST((parsed.scope->type == row.expected.type));
      BOOST_TEST(parsed.scope->name == row.expected.name);
      BOOST_TEST(parsed.scope->actions == row.expected.actions);
    }
  }
}

BOOST_AUTO_TEST_CASE(refused_scopes) {
  struct Row {
    const char* clause;
    std::string scope;
    std::string message_part;
  };
  const std::vector<Row> rows = {
      // The name runs from the first ':' to the last, so a ':' inside it stays in it (and makes it invalid here).
      {"3.5 split at the last ':'", "repository:localhost:5000/app:pull",
       "invalid repository name 'localhost:5000/app'"},
      {"3.5 split at the last ':'", "repository:a:b:pull", "invalid repository name 'a:b'"},
      {"3.5 missing actions", "repository:a", "expected <type>:<name>:<actions>"},
      {"3.5 nothing", "", "expected <type>:<name>:<actions>"},
      {"3.5 empty name", "repository::pull", "invalid repository name ''"},
      {"6.2 uppercase name", "repository:App:pull", "invalid repository name 'App'"},
      {"3.5 unknown type", "artifact-repository:a:pull", "unknown resource type 'artifact-repository'"},
      {"3.5 registry resource", "registry:settings:*", "the only registry resource is 'catalog'"},
      {"3.5 catalog takes *", "registry:catalog:pull", "single action '*'"},
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT("SPEC " << row.clause << ": '" << row.scope << "'") {
      const ScopeParse parsed = parse_scope(row.scope);
      BOOST_TEST_REQUIRE(!parsed);
      BOOST_TEST(parsed.error.find(row.message_part) != std::string::npos, parsed.error);
    }
  }
}

BOOST_AUTO_TEST_CASE(space_separated_lists) {
  const ScopeList list = parse_scope_list("repository:a/b:pull  repository:c:pull,push bad registry:catalog:* ");
  BOOST_TEST_REQUIRE(list.scopes.size() == 3u);
  BOOST_TEST(list.scopes[0].name == "a/b");
  BOOST_TEST(list.scopes[1].actions == (kContentRead | kContentWrite));
  BOOST_TEST((list.scopes[2].type == Type::Catalog));
  BOOST_TEST_REQUIRE(list.errors.size() == 1u);
  BOOST_TEST(list.errors[0].find("'bad'") != std::string::npos);
  BOOST_TEST(parse_scope_list("").scopes.empty());
  BOOST_TEST(parse_scope_list("   ").errors.empty());
}

BOOST_AUTO_TEST_CASE(rendering_scopes) {
  BOOST_TEST(repository_scope("samples/app", kContentRead | kContentWrite) == "repository:samples/app:pull,push");
  BOOST_TEST(repository_scope("a", kMetadataWrite) == "repository:a:metadata_write");
  BOOST_TEST(kCatalogScope == "registry:catalog:*");
}

BOOST_AUTO_TEST_CASE(granted_access_is_the_intersection) {
  const PermissionSet pull_samples =
      permission_set_of({"repositories/samples/*/content/read", "repositories/samples/*/metadata/read"});
  struct Row {
    const char* clause;
    std::string asked;
    const PermissionSet* allowed;
    bool catalog_allowed;
    std::vector<AccessEntry> expected;
  };
  const PermissionSet admin = PermissionSet::all_repositories();
  const PermissionSet nothing;
  const std::vector<Row> rows = {
      {"3.4 asking for more is not an error", "repository:samples/app:pull,push", &pull_samples, false,
       {{"repository", "samples/app", {"pull"}}}},
      {"3.4 other repositories get nothing", "repository:other/x:pull", &pull_samples, false, {}},
      {"3.4 * narrows to what is allowed", "repository:samples/app:*", &pull_samples, false,
       {{"repository", "samples/app", {"pull", "metadata_read"}}}},
      {"3.4 repeated scopes merge", "repository:samples/app:pull repository:samples/app:metadata_read", &pull_samples,
       false, {{"repository", "samples/app", {"pull", "metadata_read"}}}},
      {"3.4 mount: target and source", "repository:t:pull,push repository:s:pull", &admin, false,
       {{"repository", "t", {"pull", "push"}}, {"repository", "s", {"pull"}}}},
      {"3.6 catalog at the cloud without *", "registry:catalog:*", &pull_samples, false, {}},
      {"3.6 catalog when allowed", "registry:catalog:*", &admin, true, {{"registry", "catalog", {"*"}}}},
      {"3.4 nothing allowed, nothing granted", "repository:a:pull registry:catalog:*", &nothing, false, {}},
      {"3.4 an empty ask grants nothing", "repository:samples/app:", &pull_samples, false, {}},
  };
  for (const Row& row : rows) {
    BOOST_TEST_CONTEXT("SPEC " << row.clause << ": " << row.asked) {
      const ScopeList asked = parse_scope_list(row.asked);
      BOOST_TEST_REQUIRE(asked.errors.empty());
      const std::vector<AccessEntry> granted = grant_access(asked.scopes, *row.allowed, row.catalog_allowed);
      BOOST_TEST_REQUIRE(granted.size() == row.expected.size());
      for (size_t i = 0; i < granted.size(); ++i) {
        BOOST_TEST(granted[i].type == row.expected[i].type);
        BOOST_TEST(granted[i].name == row.expected[i].name);
        BOOST_TEST(granted[i].actions == row.expected[i].actions, boost::test_tools::per_element());
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(access_claim_round_trip) {
  const std::vector<AccessEntry> access = {{"repository", "samples/app", {"pull", "push"}},
                                           {"registry", "catalog", {"*"}}};
  const nlohmann::json claim = access_to_json(access);
  BOOST_TEST(claim.dump() ==
             R"([{"actions":["pull","push"],"name":"samples/app","type":"repository"},)"
             R"({"actions":["*"],"name":"catalog","type":"registry"}])");
  const auto back = access_from_json(claim);
  BOOST_TEST_REQUIRE(back.has_value());
  BOOST_TEST((*back == access));

  const GrantedAccess granted(*back);
  BOOST_TEST(granted.repository_actions("samples/app") == (kContentRead | kContentWrite));
  BOOST_TEST(granted.repository_actions("samples").empty());
  BOOST_TEST(granted.catalog());
  BOOST_TEST(!GrantedAccess().catalog());
}

BOOST_AUTO_TEST_CASE(malformed_access_claims_are_refused) {
  const std::vector<std::string> malformed = {
      R"({})", R"("x")", R"([1])", R"([{"type":"repository","name":"a"}])",
      R"([{"type":"repository","name":"a","actions":"pull"}])", R"([{"type":1,"name":"a","actions":[]}])",
      R"([{"type":"repository","name":"a","actions":[1]}])",
  };
  for (const std::string& text : malformed)
    BOOST_TEST(!access_from_json(nlohmann::json::parse(text)).has_value(), text);
  BOOST_TEST(access_from_json(nlohmann::json::array()).has_value());
}

BOOST_AUTO_TEST_CASE(granted_access_reads_leniently_inside_a_valid_claim) {
  // Unknown words and types grant nothing; duplicates merge; "*" means all five.
  const GrantedAccess granted(std::vector<AccessEntry>{{"repository", "a", {"pull", "deleted_read"}},
                                                       {"repository", "a", {"metadata_read"}},
                                                       {"repository", "b", {"*"}},
                                                       {"artifact-repository", "c", {"pull"}},
                                                       {"registry", "catalog", {"pull"}}});
  BOOST_TEST(granted.repository_actions("a") == (kContentRead | kMetadataRead));
  BOOST_TEST(granted.repository_actions("b") == kAllRepositoryActions);
  BOOST_TEST(granted.repository_actions("c").empty());
  BOOST_TEST(!granted.catalog());
}

BOOST_AUTO_TEST_SUITE_END()
