// Scope-map operations of the control plane (SPEC 3.1, 3.2, 2.9, 7.2).
#include <boost/test/unit_test.hpp>

#include "tests/unit/control/control_fixture.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;

namespace {
std::vector<std::string> many_actions(size_t count) {
  std::vector<std::string> actions;
  for (size_t i = 0; i < count; ++i) actions.push_back("repositories/repo" + std::to_string(i) + "/content/read");
  return actions;
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(scope_maps, ControlFixture)

// SPEC 3.2, 7.2: the list shows the five system maps, typed SystemDefined, each on "*".
BOOST_AUTO_TEST_CASE(list_starts_with_the_five_system_maps) {
  const auto result = control->list_scope_maps();
  BOOST_TEST(result.status == 200);
  BOOST_REQUIRE(result.body.is_array());
  BOOST_TEST(result.body.size() == 5u);
  std::vector<std::string> names;
  for (const auto& map : result.body) {
    names.push_back(map.at("name").get<std::string>());
    BOOST_TEST(map.at("type") == "SystemDefined");
    BOOST_TEST(map.at("description").is_string());
    for (const auto& action : map.at("actions")) BOOST_TEST(action.get<std::string>().starts_with("repositories/*/"));
  }
  const std::vector<std::string> expected = {"_repositories_admin", "_repositories_pull",
                                             "_repositories_pull_metadata_read", "_repositories_push",
                                             "_repositories_push_metadata_write"};
  BOOST_TEST(names == expected, boost::test_tools::per_element());
  BOOST_TEST(control->get_scope_map("_repositories_admin").body.at("actions").size() == 5u);
}

// SPEC 7.2: PUT creates (201) then replaces (200); GET and the list show the stored map.
BOOST_AUTO_TEST_CASE(put_creates_then_replaces) {
  auto created = control->put_scope_map(
      "samples-reader", {{"description", "reads samples"}, {"actions", {"repositories/samples/*/content/read"}}});
  BOOST_TEST(created.status == 201);
  BOOST_TEST(created.body == json({{"name", "samples-reader"},
                                   {"description", "reads samples"},
                                   {"actions", {"repositories/samples/*/content/read"}},
                                   {"type", "UserDefined"}}));
  BOOST_TEST(control->get_scope_map("samples-reader").body == created.body);

  auto replaced = control->put_scope_map("samples-reader", {{"actions", {"repositories/*/metadata/read"}}});
  BOOST_TEST(replaced.status == 200);
  BOOST_TEST(replaced.body.at("description") == "");  // PUT replaces the whole map
  BOOST_TEST(replaced.body.at("actions") == json({"repositories/*/metadata/read"}));
  BOOST_TEST(control->list_scope_maps().body.size() == 6u);
}

// A map that only gains actions is compiled from the new ones and added to what it had (sync maps grow with every
// descendant): what it grants must equal a map compiled anew, and losing an action must take it away again.
BOOST_AUTO_TEST_CASE(a_map_that_grows_or_shrinks_grants_what_its_actions_say) {
  const auto granted = [&](const std::string& repository, const std::string& cr) {
    const auth::PermissionSet* permissions = &control->snapshot()->permissions.at("growing-map");
    return std::pair{permissions->repository_actions(repository).bits, permissions->gateway_actions(cr).bits};
  };
  const auto compiled = [](const std::vector<std::string>& actions, const std::string& repository,
                           const std::string& cr) {
    const auth::PermissionSet permissions = auth::ScopeMap{"x", "", actions, auth::ScopeMapType::UserDefined}.permissions();
    return std::pair{permissions.repository_actions(repository).bits, permissions.gateway_actions(cr).bits};
  };
  const std::vector<std::string> small = {"gateway/edgealpha/config/read", "repositories/apps/*/content/read"};
  const std::vector<std::string> grown = {"gateway/edgealpha/config/read", "gateway/edgebravo/message/read",
                                          "repositories/apps/*/content/read", "repositories/tools/x/content/write"};
  BOOST_TEST(create_map("growing-map", small).status == 201);
  BOOST_TEST(control->put_scope_map("growing-map", {{"actions", grown}}).status == 200);
  for (const auto& [repository, cr] : std::vector<std::pair<std::string, std::string>>{
           {"apps/web", "edgealpha"}, {"tools/x", "edgebravo"}, {"tools/y", "edgecharlie"}})
    BOOST_TEST((granted(repository, cr) == compiled(grown, repository, cr)));
  BOOST_TEST(granted("tools/x", "edgebravo").second != 0);  // the added gateway action counts

  BOOST_TEST(control->put_scope_map("growing-map", {{"actions", small}}).status == 200);  // shrinks again
  BOOST_TEST(granted("tools/x", "edgebravo").first == 0);
  BOOST_TEST(granted("tools/x", "edgebravo").second == 0);
  BOOST_TEST((granted("apps/web", "edgealpha") == compiled(small, "apps/web", "edgealpha")));
}

// A client may PUT back what it read: "name" and "type" are accepted when they match.
BOOST_AUTO_TEST_CASE(put_accepts_its_own_get_answer) {
  create_map("mirror-map", {"repositories/a/content/read"});
  json document = control->get_scope_map("mirror-map").body;
  document["description"] = "changed";
  BOOST_TEST(control->put_scope_map("mirror-map", document).status == 200);
  BOOST_TEST(control->get_scope_map("mirror-map").body.at("description") == "changed");
}

// SPEC 3.1: repository and gateway names are lowercased on input; the stored list is canonical and de-duplicated.
BOOST_AUTO_TEST_CASE(actions_are_stored_canonical) {
  const auto result = create_map("canonical", {"repositories/Samples/App/content/read",
                                               "repositories/samples/app/content/read", "gateway/MyEdge/config/read"});
  BOOST_TEST(result.body.at("actions") ==
             json({"repositories/samples/app/content/read", "gateway/myedge/config/read"}));
}

// SPEC 3.1: names are 5-50 characters of [A-Za-z0-9_-].
BOOST_AUTO_TEST_CASE(invalid_names_are_refused) {
  for (const std::string& name :
       std::vector<std::string>{"abcd", std::string(51, 'a'), "has space", "dots.not.ok", "slash/no"}) {
    const ApiError error = api_error_of([&] { create_map(name, {"repositories/a/content/read"}); });
    BOOST_TEST(error.status() == 400);
    BOOST_TEST(error.code() == "INVALID_REQUEST");
    BOOST_TEST(contains(error.what(), "5-50 characters"), error.what());
  }
  BOOST_TEST(create_map(std::string(50, 'a'), {}).status == 201);
  BOOST_TEST(create_map("under_score-ok", {}).status == 201);
}

// SPEC 3.1: every refused action is named, with what is allowed.
BOOST_AUTO_TEST_CASE(invalid_actions_are_refused_with_what_is_allowed) {
  const ApiError error = api_error_of([&] {
    create_map("bad-actions",
               {"repositories/ok/content/read", "repositories/foo*/content/read", "repositories/x/content/readx"});
  });
  BOOST_TEST(error.status() == 400);
  BOOST_TEST(error.code() == "INVALID_REQUEST");
  BOOST_TEST(contains(error.what(), "foo*"));
  BOOST_TEST(contains(error.what(), "readx"));
  BOOST_TEST(contains(error.what(), "allowed"));
  BOOST_TEST(error.detail().at("errors").size() == 2u);
  BOOST_TEST(control->list_scope_maps().body.size() == 5u);  // nothing stored
}

// SPEC 3.1: descriptions are at most 256 characters.
BOOST_AUTO_TEST_CASE(long_descriptions_are_refused) {
  BOOST_TEST(control->put_scope_map("described", {{"description", std::string(256, 'd')}, {"actions", json::array()}})
                 .status == 201);
  const ApiError error = api_error_of([&] {
    control->put_scope_map("described", {{"description", std::string(257, 'd')}, {"actions", json::array()}});
  });
  BOOST_TEST(error.code() == "INVALID_REQUEST");
  BOOST_TEST(contains(error.what(), "256"));
}

// Malformed bodies: missing or mistyped fields, unknown fields, a renaming body, a system type.
BOOST_AUTO_TEST_CASE(malformed_put_bodies_are_refused) {
  const std::vector<json> bodies = {
      json::object(),                                           // no actions
      json::array(),                                            // not an object
      {{"actions", "repositories/a/content/read"}},             // not an array
      {{"actions", {1, 2}}},                                    // not strings
      {{"actions", json::array()}, {"description", 5}},         // description not a string
      {{"actions", json::array()}, {"action", json::array()}},  // misspelt field
      {{"actions", json::array()}, {"name", "other-name"}},     // renaming
      {{"actions", json::array()}, {"type", "SystemDefined"}},  // not a user-defined type
  };
  for (const json& body : bodies) {
    const ApiError error = api_error_of([&] { control->put_scope_map("good-name", body); });
    BOOST_TEST(error.status() == 400, body.dump());
    BOOST_TEST(error.code() == "INVALID_REQUEST", body.dump());
  }
  const ApiError unknown = api_error_of([&] {
    control->put_scope_map("good-name", {{"actions", json::array()}, {"action", json::array()}});
  });
  BOOST_TEST(contains(unknown.what(), "'action'"));
  BOOST_TEST(contains(unknown.what(), "'actions'"));  // the message lists what is allowed
  BOOST_TEST(control->list_scope_maps().body.size() == 5u);
}

// SPEC 3.2: system maps cannot be changed or deleted (403 DENIED).
BOOST_AUTO_TEST_CASE(system_maps_are_immutable) {
  for (const auto& system : control->list_scope_maps().body) {
    const std::string name = system.at("name");
    for (const ApiError& error : {api_error_of([&] {
                                    control->put_scope_map(name, {{"actions", json::array()}});
                                  }),
                                  api_error_of([&] {
                                    control->patch_scope_map(name, {{"description", "mine"}});
                                  }),
                                  api_error_of([&] { control->delete_scope_map(name); })}) {
      BOOST_TEST(error.status() == 403);
      BOOST_TEST(error.code() == "DENIED");
      BOOST_TEST(contains(error.what(), "system scope map"));
    }
  }
  BOOST_TEST(control->get_scope_map("_repositories_pull").body.at("actions") == json({"repositories/*/content/read"}));
}

// SPEC 2.9: 500 actions per user-defined map; more is 409 LIMIT_EXCEEDED naming the limit, on PUT and on PATCH.
BOOST_AUTO_TEST_CASE(action_limit) {
  BOOST_TEST(create_map("at-the-limit", many_actions(500)).status == 201);
  const ApiError put_error = api_error_of([&] { create_map("past-the-limit", many_actions(501)); });
  BOOST_TEST(put_error.status() == 409);
  BOOST_TEST(put_error.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(contains(put_error.what(), "500"));

  const ApiError patch_error = api_error_of([&] {
    control->patch_scope_map("at-the-limit", {{"addActions", {"repositories/one-more/content/read"}}});
  });
  BOOST_TEST(patch_error.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(control->get_scope_map("at-the-limit").body.at("actions").size() == 500u);
  // Duplicates do not count: the limit is on canonical actions.
  auto duplicated = many_actions(500);
  duplicated.push_back("repositories/REPO0/content/read");
  BOOST_TEST(create_map("dup-limit", duplicated).status == 201);
}

// SPEC 2.9: 20,000 scope maps per registry (lowered here so the test stays small); replacing is not creating.
BOOST_AUTO_TEST_CASE(scope_map_count_limit) {
  BOOST_TEST(ControlPlaneOptions{}.max_scope_maps == 20'000u);
  BOOST_TEST(ControlPlaneOptions{}.max_tokens == 20'000u);
  auto options = test_options();
  options.max_scope_maps = 3;
  ControlFixture small(options);
  for (const std::string& name : std::vector<std::string>{"map-one", "map-two", "map-three"})
    BOOST_TEST(small.create_map(name, {}).status == 201);
  const ApiError error = api_error_of([&] { small.create_map("map-four", {}); });
  BOOST_TEST(error.status() == 409);
  BOOST_TEST(error.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(contains(error.what(), "3 scope maps"));
  BOOST_TEST(small.create_map("map-two", {"repositories/a/content/read"}).status == 200);
  small.control->delete_scope_map("map-one");
  BOOST_TEST(small.create_map("map-four", {}).status == 201);
}

// PATCH: description, a whole new list, additions and removals (in canonical form), in that order.
BOOST_AUTO_TEST_CASE(patch_changes_parts) {
  create_map("patched", {"repositories/a/content/read", "repositories/b/content/read"});
  auto result = control->patch_scope_map("patched", {{"description", "now described"}});
  BOOST_TEST(result.status == 200);
  BOOST_TEST(result.body.at("description") == "now described");
  BOOST_TEST(result.body.at("actions").size() == 2u);

  result = control->patch_scope_map(
      "patched", {{"addActions", {"repositories/C/content/write", "repositories/a/content/read"}},
                  {"removeActions", {"repositories/B/content/read", "repositories/never/content/read"}}});
  BOOST_TEST(result.body.at("actions") == json({"repositories/a/content/read", "repositories/c/content/write"}));
  BOOST_TEST(result.body.at("description") == "now described");

  result = control->patch_scope_map("patched", {{"actions", {"repositories/x/content/read"}},
                                                {"addActions", {"repositories/y/content/read"}},
                                                {"removeActions", {"repositories/x/content/read"}}});
  BOOST_TEST(result.body.at("actions") == json({"repositories/y/content/read"}));

  result = control->patch_scope_map("patched", json::object());
  BOOST_TEST(result.status == 200);
  BOOST_TEST(control->get_scope_map("patched").body == result.body);
}

// Long lists (looked up hashed past a handful): an addition already there or named twice is added once, in the order
// given; every removal named goes, and the rest keep their order.
BOOST_AUTO_TEST_CASE(patch_with_long_lists_keeps_one_of_each) {
  create_map("long-lists", {"repositories/keep/content/read", "repositories/r0/content/read"});
  json add = json::array();
  for (int i = 0; i < 12; ++i) add.push_back("repositories/r" + std::to_string(i) + "/content/read");
  add.push_back("repositories/r3/content/read");
  auto result = control->patch_scope_map("long-lists", {{"addActions", add}});
  json expected = {"repositories/keep/content/read"};
  for (int i = 0; i < 12; ++i) expected.push_back("repositories/r" + std::to_string(i) + "/content/read");
  BOOST_TEST(result.body.at("actions") == expected);

  json remove = json::array();
  for (int i = 0; i < 10; ++i) remove.push_back("repositories/r" + std::to_string(i) + "/content/read");
  result = control->patch_scope_map("long-lists", {{"removeActions", remove}});
  BOOST_TEST(result.body.at("actions") == json({"repositories/keep/content/read", "repositories/r10/content/read",
                                                "repositories/r11/content/read"}));
}

BOOST_AUTO_TEST_CASE(patch_errors) {
  const ApiError unknown = api_error_of([&] { control->patch_scope_map("no-such-map", {{"description", "x"}}); });
  BOOST_TEST(unknown.status() == 404);
  BOOST_TEST(unknown.code() == "NOT_FOUND");

  create_map("patch-me", {"repositories/a/content/read"});
  const ApiError bad_add = api_error_of([&] {
    control->patch_scope_map("patch-me", {{"addActions", {"repositories/a**/content/read"}}});
  });
  BOOST_TEST(bad_add.code() == "INVALID_REQUEST");
  BOOST_TEST(contains(bad_add.what(), "'addActions'"));
  const ApiError bad_field = api_error_of([&] { control->patch_scope_map("patch-me", {{"add", json::array()}}); });
  BOOST_TEST(bad_field.code() == "INVALID_REQUEST");
  const ApiError bad_type = api_error_of([&] { control->patch_scope_map("patch-me", {{"removeActions", "x"}}); });
  BOOST_TEST(bad_type.code() == "INVALID_REQUEST");
  BOOST_TEST(control->get_scope_map("patch-me").body.at("actions") == json({"repositories/a/content/read"}));
}

// DELETE answers 204; unknown maps 404; a map a token uses 409 CONFLICT naming the token.
BOOST_AUTO_TEST_CASE(delete_rules) {
  create_map("short-lived", {});
  const auto deleted = control->delete_scope_map("short-lived");
  BOOST_TEST(deleted.status == 204);
  BOOST_TEST(deleted.body.is_null());
  BOOST_TEST(api_error_of([&] { control->get_scope_map("short-lived"); }).code() == "NOT_FOUND");
  BOOST_TEST(api_error_of([&] { control->delete_scope_map("short-lived"); }).status() == 404);

  create_map("in-use-map", {"repositories/a/content/read"});
  create_token("first-user", "in-use-map", {{"noPasswords", true}});
  create_token("second-user", "in-use-map", {{"noPasswords", true}});
  const ApiError error = api_error_of([&] { control->delete_scope_map("in-use-map"); });
  BOOST_TEST(error.status() == 409);
  BOOST_TEST(error.code() == "CONFLICT");
  BOOST_TEST(contains(error.what(), "first-user"));
  BOOST_TEST(contains(error.what(), "second-user"));
  BOOST_TEST(error.detail().at("tokens") == json({"first-user", "second-user"}));

  control->delete_token("first-user");
  control->patch_token("second-user", {{"scopeMap", "_repositories_pull"}});
  BOOST_TEST(control->delete_scope_map("in-use-map").status == 204);
}

BOOST_AUTO_TEST_SUITE_END()
