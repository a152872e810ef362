// Connected-registry resources in the control plane (SPEC 2, 4.4, 7.2): validation, the sync scope maps and tokens
// made and extended along the tree, permissions, deletion, activation, status and notifications.
#include <boost/test/unit_test.hpp>

#include "reference/auth/password.h"
#include "reference/control/connected_registry_config.h"
#include "reference/control/connection_string.h"
#include "tests/unit/control/connected_registry_fixture.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;

namespace {
// The refusal of `operation`: its status, code and a part of its message.
template <class Operation>
void expect_refused(Operation&& operation, int status, const std::string& code, const std::string& message_part) {
  const ApiError error = api_error_of(std::forward<Operation>(operation));
  BOOST_TEST((error.status() == status));
  BOOST_TEST(error.code() == code);
  BOOST_TEST_MESSAGE(error.what());
  BOOST_TEST(contains(error.what(), message_part),
             "message: " << error.what() << "\nexpected to contain: " << message_part);
}
}  // namespace

BOOST_FIXTURE_TEST_SUITE(connected_registries, ConnectedRegistryFixture)

// SPEC 2.1: each rule refused with a message that says what is allowed.
BOOST_AUTO_TEST_CASE(invalid_fields_are_refused_with_their_rule) {
  auto put = [&](const std::string& name, json body) {
    return [this, name, body] { control->put_connected_registry(name, body); };
  };
  expect_refused(put("edge", {}), 400, "INVALID_REQUEST", "5-40 characters");
  expect_refused(put("1edge", {}), 400, "INVALID_REQUEST", "starting with a letter");
  expect_refused(put("edge-one", {}), 400, "INVALID_REQUEST", "letters and digits only");
  expect_refused(put(std::string(41, 'a'), {}), 400, "INVALID_REQUEST", "5-40 characters");
  expect_refused(put("edgeone", {{"colour", "blue"}}), 400, "INVALID_REQUEST", "unknown field 'colour'");
  expect_refused(put("edgeone", {{"name", "other"}}), 400, "INVALID_REQUEST", "cannot be renamed");
  expect_refused(put("edgeone", {{"mode", "Fast"}}), 400, "INVALID_REQUEST", "ReadWrite or ReadOnly");
  expect_refused(put("edgeone", {{"mode", 1}}), 400, "INVALID_REQUEST", "'mode' must be a string");
  expect_refused(put("edgeone", {{"parent", "nowhere"}}), 400, "INVALID_REQUEST", "parent 'nowhere' does not exist");
  expect_refused(put("edgeone", {{"parent", "no-where"}}), 400, "INVALID_REQUEST", "field 'parent'");
  expect_refused(put("edgeone", {{"repositories", {"*"}}}), 400, "INVALID_REQUEST", "'*' alone is not accepted");
  expect_refused(put("edgeone", {{"repositories", {"a/*/b"}}}), 400, "INVALID_REQUEST", "one final '/*'");
  expect_refused(put("edgeone", {{"repositories", {"Bad Name"}}}), 400, "INVALID_REQUEST", "is neither");
  expect_refused(put("edgeone", {{"repositories", "hello"}}), 400, "INVALID_REQUEST", "array of strings");
  expect_refused(put("edgeone", {{"clientTokens", {"ghost"}}}), 400, "INVALID_REQUEST",
                 "client token 'ghost' does not exist");
  expect_refused(put("edgeone", {{"sync", {{"schedule", "every minute"}}}}), 400, "INVALID_REQUEST", "sync.schedule");
  expect_refused(put("edgeone", {{"sync", {{"window", "PT30M"}}}}), 400, "INVALID_REQUEST", "PT1H to P7D");
  expect_refused(put("edgeone", {{"sync", {{"window", "P8D"}}}}), 400, "INVALID_REQUEST", "PT1H to P7D");
  expect_refused(put("edgeone", {{"sync", {{"window", "three hours"}}}}), 400, "INVALID_REQUEST", "ISO-8601");
  expect_refused(put("edgeone", {{"sync", {{"messageTtl", "PT12H"}}}}), 400, "INVALID_REQUEST", "P1D to P90D");
  expect_refused(put("edgeone", {{"sync", {{"messageTtl", "P91D"}}}}), 400, "INVALID_REQUEST", "P1D to P90D");
  expect_refused(put("edgeone", {{"sync", {{"token", "mine"}}}}), 400, "INVALID_REQUEST", "edgeone-sync-token");
  expect_refused(put("edgeone", {{"sync", {{"colour", "x"}}}}), 400, "INVALID_REQUEST", "unknown field 'colour'");
  expect_refused(put("edgeone", {{"sync", "fast"}}), 400, "INVALID_REQUEST", "must be a JSON object");
  expect_refused(put("edgeone", {{"notifications", {"hello"}}}), 400, "INVALID_REQUEST", "has no ':<action>'");
  expect_refused(put("edgeone", {{"notifications", {"hello:pull"}}}), 400, "INVALID_REQUEST", "not push, delete or *");
  expect_refused(put("edgeone", {{"notifications", {"Hello World:*"}}}), 400, "INVALID_REQUEST", "names repository");
  expect_refused(put("edgeone", {{"notifications", {"hello:-bad:push"}}}), 400, "INVALID_REQUEST", "not a valid tag");
  expect_refused(put("edgeone", {{"notifications", {"hello@nodigest:push"}}}), 400, "INVALID_REQUEST",
                 "algorithm:encoded");
  expect_refused(put("edgeone", {{"logging", {{"level", "Verbose"}}}}), 400, "INVALID_REQUEST",
                 "Debug, Information, Warning, Error or None");
  expect_refused(put("edgeone", {{"gc", {{"enabled", "yes"}}}}), 400, "INVALID_REQUEST", "true or false");
  expect_refused(put("edgeone", {{"gc", {{"schedule", "61 * * * *"}}}}), 400, "INVALID_REQUEST", "gc.schedule");
  // Nothing was created by any of them.
  BOOST_TEST(control->snapshot()->connected_registries.empty());
  BOOST_TEST(control->list_tokens().body.empty());
}

// SPEC 2.9: at most 20 client tokens, refused with LIMIT_EXCEEDED naming the limit.
BOOST_AUTO_TEST_CASE(twenty_client_tokens_at_most) {
  std::vector<std::string> tokens;
  for (int i = 0; i < 21; ++i) {
    tokens.push_back("client" + std::to_string(i));
    create_token(tokens.back(), "_repositories_pull");
  }
  const ApiError error = api_error_of([&] { control->put_connected_registry("edgeone", {{"clientTokens", tokens}}); });
  BOOST_TEST(error.status() == 409);
  BOOST_TEST(error.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(contains(error.what(), "at most 20 client tokens"));
  BOOST_TEST(error.detail().at("limit") == "client tokens per connected registry");

  tokens.pop_back();
  BOOST_TEST(control->put_connected_registry("edgeone", {{"clientTokens", tokens}}).status == 201);
  const ApiError patched = api_error_of([&] {
    control->patch_connected_registry("edgeone", {{"addClientTokens", {"client20"}}});
  });
  BOOST_TEST(patched.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(cr("edgeone").client_tokens.size() == 20u);
}

// SPEC 2.1, 2.2: defaults, aliases, lowercasing, canonical spellings.
BOOST_AUTO_TEST_CASE(defaults_aliases_and_normalization) {
  const json created = control->put_connected_registry("EdgeOne", json::object()).body;
  BOOST_TEST(created.at("name") == "edgeone");
  BOOST_TEST(created.at("mode") == "ReadWrite");
  BOOST_TEST(created.at("parent").is_null());
  BOOST_TEST(created.at("repositories") == json::array());
  BOOST_TEST(created.at("sync").at("token") == "edgeone-sync-token");
  BOOST_TEST(created.at("sync").at("schedule") == "* * * * *");
  BOOST_TEST(created.at("sync").at("window").is_null());
  BOOST_TEST(created.at("sync").at("messageTtl") == "P2D");
  BOOST_TEST(created.at("logging").at("level") == "Information");
  BOOST_TEST(created.at("gc").at("enabled") == true);
  BOOST_TEST(created.at("connectionState") == "Offline");
  BOOST_TEST(created.at("activation") == "Inactive");
  BOOST_TEST(created.at("statusDetails") == json::array());
  BOOST_TEST(created.at("lastSyncTime").is_null());

  const json mirror =
      control
          ->put_connected_registry(
              "mirrorone", {{"mode", "mirror"},
                            {"repositories", {"Samples/Hello", "samples/*", "samples/hello"}},
                            {"sync", {{"schedule", "0 9 * * *"}, {"window", "PT180M"}, {"messageTtl", "PT48H"}}},
                            {"notifications", {"Hello-World:*", "*@*:*", "repo@sha256:abc:push", "*:*"}},
                            {"logging", {{"level", "warning"}}}})
          .body;
  BOOST_TEST(mirror.at("mode") == "ReadOnly");
  BOOST_TEST(mirror.at("repositories") == json({"samples/*", "samples/hello"}));
  BOOST_TEST(mirror.at("sync").at("window") == "PT3H");
  BOOST_TEST(mirror.at("sync").at("messageTtl") == "P2D");
  BOOST_TEST(mirror.at("notifications") == json({"hello-world:*", "*@*:*", "repo@sha256:abc:push", "*:*"}));
  BOOST_TEST(mirror.at("logging").at("level") == "Warning");
  BOOST_TEST(control->put_connected_registry("registryone", {{"mode", "Registry"}}).body.at("mode") == "ReadWrite");

  // Names are case-insensitive in paths too.
  BOOST_TEST(control->get_connected_registry("MIRRORONE").body.at("name") == "mirrorone");
}

// SPEC 2.4: the sync scope map and token, both passwords returned once, and the connection string.
BOOST_AUTO_TEST_CASE(create_makes_sync_scope_map_and_token) {
  const json created = create_cr("edgeone", "ReadOnly", std::nullopt, {"hello", "samples/*"});
  BOOST_TEST(sync_actions("edgeone") == join({read_actions("hello"), read_actions("samples/*"), gateway("edgeone")}));
  const auto snapshot = control->snapshot();
  BOOST_TEST((snapshot->scope_maps.at("edgeone-sync-scope-map").type == auth::ScopeMapType::UserDefined));
  const auth::Token* token = snapshot->token("edgeone-sync-token");
  BOOST_REQUIRE(token != nullptr);
  BOOST_TEST(token->scope_map == "edgeone-sync-scope-map");
  BOOST_TEST((token->status == auth::TokenStatus::Enabled));

  const json& sync_token = created.at("syncToken");
  BOOST_TEST(sync_token.at("name") == "edgeone-sync-token");
  BOOST_REQUIRE(sync_token.at("passwords").size() == 2u);
  const std::string one = sync_token.at("passwords")[0].at("value");
  const std::string two = sync_token.at("passwords")[1].at("value");
  BOOST_TEST(sync_token.at("passwords")[0].at("name") == "password1");
  BOOST_TEST(auth::verify_password(one, token->password(auth::PasswordName::Password1).hash));
  BOOST_TEST(auth::verify_password(two, token->password(auth::PasswordName::Password2).hash));
  const auto parsed = parse_connection_string(created.at("connectionString").get<std::string>());
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed.value->connected_registry == "edgeone");
  BOOST_TEST(parsed.value->sync_token == "edgeone-sync-token");
  BOOST_TEST(parsed.value->sync_token_password == one);
  BOOST_TEST(parsed.value->parent_endpoint == std::string(kDataEndpointPlaceholder));
  BOOST_TEST(parsed.value->parent_protocol == "http");
  // The values appear only in that answer.
  BOOST_TEST(!contains(control->get_connected_registry("edgeone").body.dump(), one));
  BOOST_TEST(!contains(control->get_token("edgeone-sync-token").body.dump(), one));

  // ReadWrite: all five actions; a 40-character name makes sync names past the 50-character limit (SPEC 2.4, 2.9).
  const std::string long_name = "w" + std::string(39, 'x');
  create_cr(long_name, "ReadWrite", std::nullopt, {"hello"});
  BOOST_TEST(sync_actions(long_name) == join({all_actions("hello"), gateway(long_name)}));
  BOOST_TEST(control->snapshot()->token(long_name + "-sync-token") != nullptr);
}

// SPEC 2.9: sync scope maps are exempt from the 500-action limit of user-defined maps.
BOOST_AUTO_TEST_CASE(sync_scope_maps_exceed_the_action_limit) {
  std::vector<std::string> repositories;
  for (int i = 0; i < 110; ++i) repositories.push_back("repo" + std::to_string(i));
  create_cr("wideone", "ReadWrite", std::nullopt, repositories);
  create_cr("widetwo", "ReadWrite", "wideone", {"extra"});
  BOOST_TEST(sync_actions("wideone").size() == 111u * 5 + 8);
  // The same actions in a user-defined map are refused.
  const ApiError error = api_error_of([&] {
    control->put_scope_map("user-map", {{"actions", sync_actions("wideone")}});
  });
  BOOST_TEST(error.code() == "LIMIT_EXCEEDED");
  // An edit of the CR's own map is refused because its CR manages it (SPEC 2.4), not for a count it is exempt from:
  // any edit, its description's too.
  const std::string managed = "wideone-sync-scope-map";
  for (const json& patch : {json{{"description", "x"}}, json{{"removeActions", {sync_actions("wideone").front()}}}}) {
    const ApiError refused = api_error_of([&] { control->patch_scope_map(managed, patch); });
    BOOST_TEST(refused.code() == "CONFLICT", patch.dump());
  }
  BOOST_TEST(api_error_of([&] {
               control->put_scope_map(managed, {{"actions", sync_actions("wideone")}});
             }).code() == "CONFLICT");
  BOOST_TEST(api_error_of([&] {
               control->patch_scope_map("widetwo-sync-scope-map", {{"description", "x"}});
             }).code() == "CONFLICT");
  // A PATCH that changes nothing changes nothing, whatever the map's size.
  BOOST_TEST(control->patch_scope_map(managed, json::object()).status == 200);
  BOOST_TEST(control->patch_scope_map(managed, {{"addActions", {sync_actions("wideone").front()}}}).status == 200);
}

// SPEC 2.3: mode compatibility, immutability, no running parent needed.
BOOST_AUTO_TEST_CASE(mode_rules_and_immutable_fields) {
  create_cr("readonly1", "ReadOnly", std::nullopt, {"hello"});
  const ApiError error = api_error_of([&] {
    control->put_connected_registry("writer1", {{"mode", "ReadWrite"}, {"parent", "readonly1"}});
  });
  BOOST_TEST(error.status() == 400);
  BOOST_TEST(contains(error.what(), "'writer1' (ReadWrite)"));
  BOOST_TEST(contains(error.what(), "'readonly1' (ReadOnly)"));
  // The default mode is ReadWrite, so a child of a ReadOnly parent must say ReadOnly.
  BOOST_TEST(api_error_of([&] {
               control->put_connected_registry("writer1", {{"parent", "readonly1"}});
             }).status() == 400);
  create_cr("reader1", "ReadOnly", "readonly1", {"hello"});  // the parent never ran: fine
  create_cr("writer2", "ReadWrite", std::nullopt, {});
  create_cr("reader2", "ReadOnly", "writer2", {});  // a ReadWrite parent may have either

  expect_refused(
      [&] {
        control->patch_connected_registry("reader1", {{"mode", "ReadWrite"}});
      },
      400, "INVALID_REQUEST", "cannot change after creation");
  expect_refused(
      [&] {
        control->patch_connected_registry("reader1", {{"parent", "writer2"}});
      },
      400, "INVALID_REQUEST", "cannot change after creation");
  expect_refused(
      [&] {
        control->put_connected_registry("reader1", {{"mode", "ReadOnly"}, {"parent", "writer2"}});
      },
      400, "INVALID_REQUEST", "cannot change after creation");
  expect_refused(
      [&] {
        control->patch_connected_registry("reader1", {{"sync", {{"token", "other"}}}});
      },
      400, "INVALID_REQUEST", "cannot change");
  // Repeating the current values is fine, and so is sending back what GET answered.
  const json shown = control->get_connected_registry("reader1").body;
  BOOST_TEST(control->put_connected_registry("reader1", shown).status == 200);
  BOOST_TEST(control->get_connected_registry("reader1").body == shown);
  BOOST_TEST(control->patch_connected_registry("reader1", {{"mode", "Mirror"}, {"parent", "readonly1"}}).status == 200);
  // A null parent names the cloud: a move there is refused as any other (it was taken as no parent given).
  expect_refused([&] { control->patch_connected_registry("reader1", {{"parent", nullptr}}); }, 400, "INVALID_REQUEST",
                 "cannot change after creation");
  expect_refused([&] { control->put_connected_registry("reader1", {{"mode", "ReadOnly"}, {"parent", nullptr}}); }, 400,
                 "INVALID_REQUEST", "cannot change after creation");
  BOOST_TEST(control->get_connected_registry("reader1").body.at("parent") == "readonly1");
  const json at_the_cloud = control->get_connected_registry("writer2").body;  // "parent": null, sent back
  BOOST_TEST(at_the_cloud.at("parent").is_null());
  BOOST_TEST(control->put_connected_registry("writer2", at_the_cloud).status == 200);
}

// SPEC 2.4: a child's gateway actions and repositories (with the child's mode actions) reach every ancestor.
BOOST_AUTO_TEST_CASE(creating_a_child_extends_every_ancestor) {
  create_cr("toplevel", "ReadWrite", std::nullopt, {"r1"});
  create_cr("middle", "ReadOnly", "toplevel", {"r2"});
  create_cr("bottom", "ReadOnly", "middle", {"r3"});
  create_cr("sibling", "ReadWrite", "toplevel", {"r4"});

  BOOST_TEST(sync_actions("bottom") == join({read_actions("r3"), gateway("bottom")}));
  BOOST_TEST(sync_actions("middle") ==
             join({read_actions("r2"), read_actions("r3"), gateway("middle"), gateway("bottom")}));
  BOOST_TEST(sync_actions("toplevel") ==
             join({all_actions("r1"), read_actions("r2"), read_actions("r3"), all_actions("r4"), gateway("toplevel"),
                   gateway("middle"), gateway("bottom"), gateway("sibling")}));
  BOOST_TEST(sync_actions("sibling") == join({all_actions("r4"), gateway("sibling")}));
  // `repositories` follows the maps.
  BOOST_TEST(cr("toplevel").repositories == std::vector<std::string>({"r1", "r2", "r3", "r4"}));
  BOOST_TEST(cr("middle").repositories == std::vector<std::string>({"r2", "r3"}));
  BOOST_TEST(control->snapshot()->children_of("toplevel") == std::vector<std::string>({"middle", "sibling"}));
  BOOST_TEST(control->snapshot()->children_of("") == std::vector<std::string>({"toplevel"}));
}

// Sync maps only gain actions as descendants are created and repositories added (their permissions then grow by the
// new actions alone), and lose some on removal (compiled anew): either way they must grant exactly what their
// actions say.
BOOST_AUTO_TEST_CASE(sync_maps_grant_what_their_actions_say_as_the_tree_changes) {
  const std::vector<std::string> crs = {"rootregistry", "child", "grandchild", "sibling"};
  const auto check_all = [&] {
    const auto snapshot = control->snapshot();
    for (const std::string& name : crs) {
      const auto map = snapshot->scope_maps.find(auth::sync_scope_map_name(name));
      if (map == snapshot->scope_maps.end()) continue;
      const auth::PermissionSet& granted = snapshot->permissions.at(map->first);
      const auth::PermissionSet anew = map->second.permissions();
      for (const char* repository : {"repo1", "repo2", "repo3", "repo4", "other"})
        BOOST_TEST((granted.repository_actions(repository) == anew.repository_actions(repository)),
                   name << " on " << repository);
      for (const std::string& cr : crs)
        BOOST_TEST((granted.gateway_actions(cr) == anew.gateway_actions(cr)), name << " for " << cr);
    }
  };
  create_cr("rootregistry", "ReadWrite", std::nullopt, {"repo1"});
  check_all();
  create_cr("child", "ReadWrite", "rootregistry", {"repo2"});
  create_cr("grandchild", "ReadOnly", "child", {"repo2"});
  check_all();
  BOOST_TEST((control->snapshot()->permissions.at(auth::sync_scope_map_name("rootregistry"))
                  .gateway_actions("grandchild") == auth::kAllGatewayActions));
  control->update_connected_registry_permissions("grandchild", {{"add", {"repo3"}}});
  check_all();
  create_cr("sibling", "ReadWrite", "rootregistry", {"repo4"});
  control->update_connected_registry_permissions("child", {{"remove", {"repo2"}}, {"add", {"repo4"}}});
  check_all();
  control->update_connected_registry_permissions("rootregistry", {{"remove", {"repo3"}}});
  check_all();
}

// SPEC 2.5, as in ACR's worked example: add goes up, remove goes down.
BOOST_AUTO_TEST_CASE(permissions_add_up_remove_down) {
  create_cr("rootregistry", "ReadOnly", std::nullopt, {"repo1"});
  create_cr("child", "ReadOnly", "rootregistry", {"repo2"});
  create_cr("grandchild", "ReadOnly", "child", {"repo2"});

  auto answer = control->update_connected_registry_permissions("grandchild", {{"add", {"repo1", "Repo3"}}});
  BOOST_TEST(answer.status == 200);
  BOOST_TEST(answer.body.at("repositories") == json({"repo1", "repo2", "repo3"}));
  BOOST_TEST(sync_actions("rootregistry") == join({read_actions("repo1"), read_actions("repo2"), read_actions("repo3"),
                                                   gateway("rootregistry"), gateway("child"), gateway("grandchild")}));
  BOOST_TEST(cr("child").repositories == std::vector<std::string>({"repo1", "repo2", "repo3"}));

  control->update_connected_registry_permissions("rootregistry", {{"remove", {"repo1", "repo2"}}});
  control->update_connected_registry_permissions("child", {{"remove", {"repo3"}}, {"add", {"repo1"}}});
  BOOST_TEST(sync_actions("grandchild") == gateway("grandchild"));
  BOOST_TEST(cr("grandchild").repositories.empty());
  BOOST_TEST(sync_actions("child") == join({read_actions("repo1"), gateway("child"), gateway("grandchild")}));
  BOOST_TEST(sync_actions("rootregistry") == join({read_actions("repo1"), read_actions("repo3"),
                                                   gateway("rootregistry"), gateway("child"), gateway("grandchild")}));

  expect_refused(
      [&] {
        control->update_connected_registry_permissions("child", {{"add", {"x"}}, {"remove", {"x"}}});
      },
      400, "INVALID_REQUEST", "both in 'add' and in 'remove'");
  expect_refused(
      [&] {
        control->update_connected_registry_permissions("child", {{"add", {"*"}}});
      },
      400, "INVALID_REQUEST", "'*' alone");
  expect_refused(
      [&] {
        control->update_connected_registry_permissions("nobody", {{"add", {"x"}}});
      },
      404, "NOT_FOUND", "does not exist");
}

// SPEC 2.5 through PUT/PATCH: a new repositories list is applied as add (up) and remove (down).
BOOST_AUTO_TEST_CASE(repositories_list_changes_apply_as_permissions) {
  create_cr("parentone", "ReadWrite", std::nullopt, {"a"});
  create_cr("childone", "ReadWrite", "parentone", {"b"});
  control->patch_connected_registry("childone", {{"repositories", {"c"}}});
  BOOST_TEST(cr("childone").repositories == std::vector<std::string>({"c"}));
  BOOST_TEST(cr("parentone").repositories == std::vector<std::string>({"a", "b", "c"}));
  control->patch_connected_registry("parentone", {{"repositories", {"a", "b"}}});
  BOOST_TEST(cr("parentone").repositories == std::vector<std::string>({"a", "b"}));
  BOOST_TEST(cr("childone").repositories.empty());

  // PUT replaces the settings (absent ones back to defaults) but keeps repositories when it does not name them.
  control->patch_connected_registry("parentone", {{"logging", {{"level", "Debug"}}}, {"sync", {{"window", "PT2H"}}}});
  const json replaced = control->put_connected_registry("parentone", {{"notifications", {"a:*"}}}).body;
  BOOST_TEST(replaced.at("logging").at("level") == "Information");
  BOOST_TEST(replaced.at("sync").at("window").is_null());
  BOOST_TEST(replaced.at("notifications") == json({"a:*"}));
  BOOST_TEST(replaced.at("repositories") == json({"a", "b"}));
}

// ACR: naming the every-minute schedule alone clears the window (continuous sync).
BOOST_AUTO_TEST_CASE(continuous_schedule_clears_the_window) {
  control->put_connected_registry("edgeone", {{"sync", {{"schedule", "0 12 * * *"}, {"window", "PT4H"}}}});
  auto patched = control->patch_connected_registry("edgeone", {{"sync", {{"messageTtl", "P3D"}}}}).body;
  BOOST_TEST(patched.at("sync").at("window") == "PT4H");
  patched = control->patch_connected_registry("edgeone", {{"sync", {{"schedule", "* * * * *"}}}}).body;
  BOOST_TEST(patched.at("sync").at("window").is_null());
  patched = control->patch_connected_registry("edgeone", {{"sync", {{"window", "PT1H"}}}}).body;
  BOOST_TEST(patched.at("sync").at("window") == "PT1H");
  patched = control->patch_connected_registry("edgeone", {{"sync", {{"window", nullptr}}}}).body;
  BOOST_TEST(patched.at("sync").at("window").is_null());
  patched = control->patch_connected_registry("edgeone", {{"addNotifications", {"a:push", "b:*"}}}).body;
  patched = control->patch_connected_registry("edgeone", {{"removeNotifications", {"a:push"}}}).body;
  BOOST_TEST(patched.at("notifications") == json({"b:*"}));
}

// SPEC 2.6: the sync token stays while its CR exists, and its map changes only through the CR.
BOOST_AUTO_TEST_CASE(sync_token_and_map_are_managed_by_the_cr) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {"hello"});
  expect_refused([&] { control->delete_token("edgeone-sync-token"); }, 409, "CONFLICT",
                 "sync token of connected registry 'edgeone'");
  expect_refused(
      [&] {
        control->patch_token("edgeone-sync-token", {{"scopeMap", "_repositories_admin"}});
      },
      409, "CONFLICT", "managed with the connected registry");
  expect_refused(
      [&] {
        control->patch_scope_map("edgeone-sync-scope-map", {{"addActions", {"repositories/x/content/read"}}});
      },
      409, "CONFLICT", "sync scope map of connected registry 'edgeone'");
  expect_refused(
      [&] {
        control->put_scope_map("edgeone-sync-scope-map", {{"actions", {"repositories/x/content/read"}}});
      },
      409, "CONFLICT", "sync scope map");
  expect_refused([&] { control->delete_scope_map("edgeone-sync-scope-map"); }, 409, "CONFLICT", "used by token");
  // Nor the client token of the CR it belongs to: a token made by hand under the name a new CR's sync token takes.
  BOOST_TEST(create_token("edgesix-sync-token", "_repositories_pull").status == 201);
  expect_refused([&] { control->put_connected_registry("edgesix", {{"clientTokens", {"edgesix-sync-token"}}}); }, 400,
                 "INVALID_REQUEST", "is the sync token of connected registry 'edgesix'");
  BOOST_TEST(!control->snapshot()->connected_registry("edgesix"));
  // SPEC 2.6: disabling it is allowed (it disables the CR); so is rotating its passwords.
  BOOST_TEST(control->patch_token("edgeone-sync-token", {{"status", "disabled"}}).status == 200);
  BOOST_TEST(control->generate_credentials("edgeone-sync-token", {{"name", "password2"}}).status == 200);
  // A sync token cannot be someone's client token.
  expect_refused(
      [&] {
        control->put_connected_registry("edgetwo", {{"clientTokens", {"edgeone-sync-token"}}});
      },
      400, "INVALID_REQUEST", "is the sync token of connected registry 'edgeone'");
}

// SPEC 4.4: a ReadOnly CR's client tokens hold only read actions, whichever way a write action would come in.
BOOST_AUTO_TEST_CASE(read_only_client_tokens_hold_only_read_actions) {
  create_map("readers", {"repositories/hello/content/read", "repositories/hello/metadata/read"});
  create_map("writers", {"repositories/hello/content/read", "repositories/hello/content/write"});
  create_token("reader", "readers");
  create_token("writer", "writers");
  create_token("pusher", "_repositories_push");
  create_cr("mirrorone", "ReadOnly", std::nullopt, {"hello"}, {{"clientTokens", {"reader"}}});

  expect_refused(
      [&] {
        control->patch_connected_registry("mirrorone", {{"addClientTokens", {"writer"}}});
      },
      400, "INVALID_REQUEST", "'repositories/hello/content/write'");
  expect_refused(
      [&] {
        control->patch_connected_registry("mirrorone", {{"clientTokens", {"pusher"}}});
      },
      400, "INVALID_REQUEST", "only client tokens with read actions");
  expect_refused(
      [&] {
        control->put_connected_registry("mirrortwo", {{"mode", "ReadOnly"}, {"clientTokens", {"writer"}}});
      },
      400, "INVALID_REQUEST", "SPEC 4.4");
  // A ReadWrite CR takes them.
  BOOST_TEST(control->put_connected_registry("writerone", {{"clientTokens", {"writer", "pusher"}}}).status == 201);
  // Later changes to the token or its map are held to the same rule.
  expect_refused(
      [&] {
        control->patch_token("reader", {{"scopeMap", "writers"}});
      },
      400, "INVALID_REQUEST", "client token of connected registry 'mirrorone'");
  expect_refused(
      [&] {
        control->patch_scope_map("readers", {{"addActions", {"repositories/hello/metadata/write"}}});
      },
      400, "INVALID_REQUEST", "'repositories/hello/metadata/write'");
  BOOST_TEST(control->patch_scope_map("readers", {{"addActions", {"repositories/other/content/read"}}}).status == 200);
  BOOST_TEST(control->patch_token("reader", {{"scopeMap", "_repositories_pull_metadata_read"}}).status == 200);
  // A listed client token is not deleted behind the CR's back.
  expect_refused([&] { control->delete_token("reader"); }, 409, "CONFLICT", "client token of connected registry");
  control->patch_connected_registry("mirrorone", {{"removeClientTokens", {"reader"}}});
  BOOST_TEST(control->delete_token("reader").status == 204);
}

// SPEC 2.10: deletion with and without cleanup.
BOOST_AUTO_TEST_CASE(delete_refused_with_children_and_cleanup_semantics) {
  create_cr("toplevel", "ReadWrite", std::nullopt, {"r1"});
  create_cr("middle", "ReadWrite", "toplevel", {"r2"});
  create_cr("leafone", "ReadWrite", "middle", {"r3"});
  create_cr("leaftwo", "ReadWrite", "middle", {"r4"});

  expect_refused([&] { control->delete_connected_registry("middle", true); }, 409, "CONFLICT", "'leafone', 'leaftwo'");
  expect_refused([&] { control->delete_connected_registry("nothing", true); }, 404, "NOT_FOUND", "does not exist");

  // With cleanup: token and map go, gateway actions leave the ancestors, repository actions stay.
  BOOST_TEST(control->delete_connected_registry("leafone", true).status == 204);
  auto snapshot = control->snapshot();
  BOOST_TEST(!snapshot->connected_registry("leafone"));
  BOOST_TEST(!snapshot->token("leafone-sync-token"));
  BOOST_TEST(!snapshot->scope_maps.contains("leafone-sync-scope-map"));
  BOOST_TEST(sync_actions("middle") ==
             join({all_actions("r2"), all_actions("r3"), all_actions("r4"), gateway("middle"), gateway("leaftwo")}));
  BOOST_TEST(sync_actions("toplevel") ==
             join({all_actions("r1"), all_actions("r2"), all_actions("r3"), all_actions("r4"), gateway("toplevel"),
                   gateway("middle"), gateway("leaftwo")}));
  BOOST_TEST(snapshot->children_of("middle") == std::vector<std::string>({"leaftwo"}));

  // Without cleanup: token and map stay (the token disabled and retired: accepted nowhere), the ancestors keep
  // everything.
  BOOST_TEST(control->delete_connected_registry("leaftwo", false).status == 204);
  snapshot = control->snapshot();
  const auth::Token* kept = snapshot->token("leaftwo-sync-token");
  BOOST_REQUIRE(kept != nullptr);
  BOOST_TEST((kept->status == auth::TokenStatus::Disabled));
  BOOST_TEST(snapshot->retired_sync_tokens.contains("leaftwo-sync-token"));
  BOOST_TEST(snapshot->scope_maps.contains("leaftwo-sync-scope-map"));
  BOOST_TEST(!sync_token_owner(*snapshot, "leaftwo-sync-token"));
  BOOST_TEST(contains(json(sync_actions("middle")).dump(), "gateway/leaftwo/config/read"));
  // Now the kept token can go, and the middle node too.
  BOOST_TEST(control->delete_token("leaftwo-sync-token").status == 204);
  BOOST_TEST(control->snapshot()->retired_sync_tokens.empty());
  BOOST_TEST(control->delete_connected_registry("middle", true).status == 204);
  BOOST_TEST(control->snapshot()->children.count("toplevel") == 0u);

  // Re-creating a name left behind without cleanup takes the old names over, with new passwords, enabled, and the
  // token is no longer retired: it is the new CR's sync token.
  control->delete_connected_registry("toplevel", false);
  BOOST_TEST(control->snapshot()->retired_sync_tokens.contains("toplevel-sync-token"));
  const json again = create_cr("toplevel", "ReadOnly", std::nullopt, {"r9"});
  snapshot = control->snapshot();
  BOOST_TEST((snapshot->token("toplevel-sync-token")->status == auth::TokenStatus::Enabled));
  BOOST_TEST(snapshot->retired_sync_tokens.empty());
  BOOST_TEST(accepted_at_cloud(*snapshot, *snapshot->token("toplevel-sync-token")));
  BOOST_TEST(sync_actions("toplevel") == join({read_actions("r9"), gateway("toplevel")}));
  BOOST_TEST(
      auth::verify_password(again.at("syncToken").at("passwords")[0].at("value").get<std::string>(),
                            snapshot->token("toplevel-sync-token")->password(auth::PasswordName::Password1).hash));
}

// SPEC 2.10: the sync token a deletion without cleanup keeps is accepted nowhere, whatever is done to it afterwards,
// until it is deleted (its name is then free) or a new CR of that name takes it over.
BOOST_AUTO_TEST_CASE(a_kept_sync_token_is_accepted_nowhere) {
  create_cr("keptone", "ReadWrite", std::nullopt, {"r1"});
  create_cr("otherone", "ReadWrite", std::nullopt, {"r2"});
  BOOST_TEST(control->delete_connected_registry("keptone", false).status == 204);

  // Enabled again and given a fresh password: still refused at the cloud.
  BOOST_TEST(control->patch_token("keptone-sync-token", {{"status", "enabled"}}).status == 200);
  control->generate_credentials("keptone-sync-token", {{"name", "password1"}});
  auto snapshot = control->snapshot();
  const auth::Token* kept = snapshot->token("keptone-sync-token");
  BOOST_REQUIRE(kept != nullptr);
  BOOST_TEST((kept->status == auth::TokenStatus::Enabled));
  BOOST_TEST(!sync_token_owner(*snapshot, "keptone-sync-token"));
  BOOST_TEST(!accepted_at_cloud(*snapshot, *kept));
  // Nor at a CR: none may list it as a client token (so no configuration carries it).
  expect_refused(
      [&] { control->patch_connected_registry("otherone", {{"addClientTokens", {"keptone-sync-token"}}}); }, 400,
      "INVALID_REQUEST", "accepted nowhere");

  // Deleted, the name is free: a token made under it is an ordinary token, accepted.
  BOOST_TEST(control->delete_token("keptone-sync-token").status == 204);
  BOOST_TEST(create_token("keptone-sync-token", "_repositories_pull").status == 201);
  snapshot = control->snapshot();
  BOOST_TEST(snapshot->retired_sync_tokens.empty());
  BOOST_TEST(accepted_at_cloud(*snapshot, *snapshot->token("keptone-sync-token")));
  BOOST_TEST(control->patch_connected_registry("otherone", {{"addClientTokens", {"keptone-sync-token"}}}).status ==
             200);
}

// SPEC 2.4: the sync token and scope map of a CR with a 40-character name pass the 50-character limit; a PUT
// replaces that token as any other (disabling the CR, SPEC 2.6), and a PUT of that map is refused as CR-managed, not
// for its name.
BOOST_AUTO_TEST_CASE(a_long_named_crs_sync_token_and_map_are_replaced_or_refused_as_any_others) {
  const std::string name = "w" + std::string(39, 'x');
  create_cr(name, "ReadWrite", std::nullopt, {"hello"});
  BOOST_TEST(control->put_token(name + "-sync-token", {{"scopeMap", name + "-sync-scope-map"}, {"status", "disabled"}})
                 .status == 200);
  BOOST_TEST((control->snapshot()->token(name + "-sync-token")->status == auth::TokenStatus::Disabled));
  expect_refused([&] { control->put_scope_map(name + "-sync-scope-map", {{"actions", {"repositories/x/content/read"}}}); },
                 409, "CONFLICT", "sync scope map");
  // A new token or map still has its name checked.
  expect_refused([&] { control->put_token(std::string(51, 't'), {{"scopeMap", "_repositories_pull"}}); }, 400,
                 "INVALID_REQUEST", "50");
  expect_refused([&] { control->put_scope_map(std::string(51, 'm'), {{"actions", {"repositories/x/content/read"}}}); },
                 400, "INVALID_REQUEST", "50");
}

// SPEC 2.10: a CR deleted without cleanup leaves its gateway actions in its ancestors' maps. Created again under
// another parent, it is not reachable through the old branch: the old ancestors' maps lose those actions, the new
// ones get them. (The old region's sync token could read the new CR's configuration and take its activation; found in
// review.)
BOOST_AUTO_TEST_CASE(a_cr_created_again_elsewhere_is_not_reachable_through_its_old_branch) {
  create_cr("regiona", "ReadWrite", std::nullopt, {"r1"});
  create_cr("regionb", "ReadWrite", std::nullopt, {"r2"});
  create_cr("siteone", "ReadWrite", "regiona", {"r1"});
  BOOST_REQUIRE(contains(json(sync_actions("regiona")).dump(), "gateway/siteone/"));
  BOOST_TEST(control->delete_connected_registry("siteone", false).status == 204);
  BOOST_TEST(contains(json(sync_actions("regiona")).dump(), "gateway/siteone/"));  // SPEC 2.10: kept

  create_cr("siteone", "ReadWrite", "regionb", {"r2"});
  BOOST_TEST(!contains(json(sync_actions("regiona")).dump(), "gateway/siteone/"));
  BOOST_TEST(contains(json(sync_actions("regionb")).dump(), "gateway/siteone/config/read"));
  BOOST_TEST(sync_actions("regiona") == join({all_actions("r1"), gateway("regiona")}));
}

// SPEC 2.7: one instance at a time.
BOOST_AUTO_TEST_CASE(activation_and_deactivation) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  control->activate("edgeone", "instance-a");
  BOOST_TEST(control->get_connected_registry("edgeone").body.at("activation") == "Active");
  control->activate("EdgeOne", "instance-a");  // the same instance again: a restart
  const ApiError error = api_error_of([&] { control->activate("edgeone", "instance-b"); });
  BOOST_TEST(error.status() == 409);
  BOOST_TEST(error.code() == "ALREADY_ACTIVATED");
  BOOST_TEST(cr("edgeone").instance_id == "instance-a");

  BOOST_TEST(control->deactivate_connected_registry("edgeone").body.at("activation") == "Inactive");
  control->activate("edgeone", "instance-b");
  BOOST_TEST(cr("edgeone").instance_id == "instance-b");
  control->deactivate("edgeone");
  control->deactivate("edgeone");  // already inactive: nothing to do
  BOOST_TEST(!cr("edgeone").active());

  BOOST_TEST(api_error_of([&] { control->activate("ghostone", "x"); }).status() == 404);
  BOOST_TEST(api_error_of([&] { control->activate("edgeone", ""); }).status() == 400);
}

// SPEC 2.11: resync bumps a counter the CR's configuration carries.
BOOST_AUTO_TEST_CASE(resync_bumps_the_resync_generation) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  const uint64_t before = version("edgeone");
  BOOST_TEST(control->resync_connected_registry("edgeone").status == 200);
  BOOST_TEST(cr("edgeone").resync_generation == 1u);
  BOOST_TEST(own_config(*control->snapshot(), "edgeone").at("resync") == 1);
  BOOST_TEST(version("edgeone") > before);
}

// Status lives beside the snapshot; GET and list merge it in; lists filter on it (SPEC 2.1, 7.2).
BOOST_AUTO_TEST_CASE(status_is_merged_and_filtered) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  create_cr("edgetwo", "ReadOnly", "edgeone", {});
  const uint64_t snapshot_version = control->snapshot()->version;
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  status.login_server = "10.0.0.5:8080";
  status.version = "0.1.0";
  status.last_sync_time = clock.now();
  status.status_details.push_back({"Disk", "DiskError", "No space left on device.", clock.now(), "c1"});
  control->report_status("edgeone", status);
  BOOST_TEST(control->snapshot()->version == snapshot_version);  // no new snapshot for a report
  BOOST_TEST((control->status("edgeone") == status));
  BOOST_TEST(!control->status("edgetwo"));

  const json shown = control->get_connected_registry("edgeone").body;
  BOOST_TEST(shown.at("connectionState") == "Online");
  BOOST_TEST(shown.at("loginServer") == "10.0.0.5:8080");
  BOOST_TEST(shown.at("lastSyncTime") == format_rfc3339(clock.now()));
  BOOST_TEST(shown.at("statusDetails")[0].at("code") == "DiskError");
  BOOST_TEST((parse_status_json(status_json(status)) == status));

  const auto names = [](const json& list) {
    std::vector<std::string> out;
    for (const auto& item : list) out.push_back(item.at("name"));
    return out;
  };
  BOOST_TEST(names(control->list_connected_registries().body) == std::vector<std::string>({"edgeone", "edgetwo"}));
  BOOST_TEST(names(control->list_connected_registries({.connection_state = "online"}).body) ==
             std::vector<std::string>({"edgeone"}));
  BOOST_TEST(names(control->list_connected_registries({.connection_state = "Offline"}).body) ==
             std::vector<std::string>({"edgetwo"}));
  BOOST_TEST(names(control->list_connected_registries({.mode = "Mirror"}).body) ==
             std::vector<std::string>({"edgetwo"}));
  BOOST_TEST(names(control->list_connected_registries({.parent = "EDGEONE"}).body) ==
             std::vector<std::string>({"edgetwo"}));
  BOOST_TEST(api_error_of([&] { control->list_connected_registries({.mode = "Fast"}); }).status() == 400);
  BOOST_TEST(api_error_of([&] { control->list_connected_registries({.connection_state = "Up"}); }).status() == 400);
  BOOST_TEST(api_error_of([&] { control->report_status("ghostone", status); }).status() == 404);
}

// A node that goes silent (down, cut off, between sync windows) cannot say so: its last report stands for
// status_offline_after (5 minutes by default), then the cloud shows it Offline and says since when. A report brings
// it back; a disabled sync token still shows Unhealthy, which says more than silence; zero keeps a report for good.
BOOST_AUTO_TEST_CASE(a_silent_node_shows_offline_once_its_last_report_is_too_old) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {"hello"});
  control->activate("edgeone", "instance-1");
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  status.last_sync_time = clock.now();
  const std::string reported_at = format_rfc3339(clock.now());
  control->report_status("edgeone", status);
  const auto shown = [&] { return control->get_connected_registry("edgeone").body; };
  const auto listed_as = [&](const std::string& state) {
    return control->list_connected_registries({.connection_state = state}).body.size();
  };

  clock.advance(std::chrono::minutes(5));  // exactly the limit: still the report
  BOOST_TEST(shown().at("connectionState") == "Online");
  BOOST_TEST(shown().at("statusDetails").empty());

  clock.advance(std::chrono::seconds(1));
  json now = shown();
  BOOST_TEST(now.at("connectionState") == "Offline");
  BOOST_TEST(now.at("lastSyncTime") == reported_at);  // the rest of the report is still what it said
  BOOST_REQUIRE(now.at("statusDetails").size() == 1u);
  const json& detail = now.at("statusDetails")[0];
  BOOST_TEST(detail.at("code") == "StatusOverdue");
  BOOST_TEST(detail.at("timestamp") == reported_at);
  BOOST_TEST(contains(detail.at("description").get<std::string>(), "reached the cloud at " + reported_at + ", more "
                                                                     "than PT5M ago: it, or a link between it and the "
                                                                     "cloud, is down"),
             detail.at("description"));
  BOOST_TEST(listed_as("Offline") == 1u);
  BOOST_TEST(listed_as("Online") == 0u);
  BOOST_TEST((control->status("edgeone") == status));  // what it reported is kept as it was

  control->report_status("edgeone", status);  // it speaks again
  BOOST_TEST(shown().at("connectionState") == "Online");
  BOOST_TEST(listed_as("Online") == 1u);

  clock.advance(std::chrono::hours(1));
  BOOST_TEST(control->patch_token("edgeone-sync-token", {{"status", "disabled"}}).status == 200);
  now = shown();
  BOOST_TEST(now.at("connectionState") == "Unhealthy");
  BOOST_REQUIRE(now.at("statusDetails").size() == 2u);
  BOOST_TEST(now.at("statusDetails")[1].at("code") == "SyncTokenDisabled");
}

// A node with a sync window is silent between windows by design: its overdue entry says so first.
BOOST_AUTO_TEST_CASE(a_silent_node_with_a_sync_window_is_told_so) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {"hello"},
            {{"sync", {{"schedule", "0 */6 * * *"}, {"window", "PT1H"}}}});
  control->activate("edgeone", "instance-1");
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  control->report_status("edgeone", status);
  clock.advance(std::chrono::hours(2));
  const json shown = control->get_connected_registry("edgeone").body;
  BOOST_TEST(shown.at("connectionState") == "Offline");
  const std::string description = shown.at("statusDetails")[0].at("description");
  BOOST_TEST(contains(description, "it syncs only in windows (schedule '0 */6 * * *', each PT1H)"), description);
}

// Deactivated while it runs (a CR under a CR is not turned down by that alone), a node keeps reporting, but the cloud
// takes no instance's report until one activates: its overdue entry says that, not that a link is down.
BOOST_AUTO_TEST_CASE(a_deactivated_node_is_told_that_no_instance_is_activated) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {"hello"});
  control->activate("edgeone", "instance-1");
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  control->report_status("edgeone", status);
  control->deactivate("edgeone");
  clock.advance(std::chrono::minutes(6));
  const json shown = control->get_connected_registry("edgeone").body;
  BOOST_TEST(shown.at("connectionState") == "Offline");
  BOOST_TEST(shown.at("activation") == "Inactive");
  const std::string description = shown.at("statusDetails")[0].at("description");
  BOOST_TEST(contains(description, "no instance of it is activated (deactivate freed the activation"), description);
}

// A graceful stop keeps the last reports (keep_reported_statuses) and the next start takes them back once, aged by the
// wall clock: the restarted cloud shows each CR as it last reported, its login server too (a child's connection string
// names it), and Offline once that report is too old. A start after that (as after a crash) has none to take back.
BOOST_AUTO_TEST_CASE(the_last_reports_outlive_a_graceful_restart_of_the_cloud) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {"hello"});
  control->activate("edgeone", "instance-1");
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  status.login_server = "edge1.example:5000";
  const std::string reported_at = format_rfc3339(clock.now());
  control->report_status("edgeone", status);
  control->keep_reported_statuses();

  clock.advance(std::chrono::minutes(2));
  control = std::make_unique<ControlPlane>(*store, clock, random, test_options());
  BOOST_TEST((control->status("edgeone") == status));
  BOOST_TEST(control->get_connected_registry("edgeone").body.at("connectionState") == "Online");

  clock.advance(std::chrono::minutes(4));  // six minutes since it reached the cloud
  const json shown = control->get_connected_registry("edgeone").body;
  BOOST_TEST(shown.at("connectionState") == "Offline");
  BOOST_TEST(shown.at("statusDetails")[0].at("timestamp") == reported_at);
  BOOST_TEST(shown.at("loginServer") == "edge1.example:5000");

  control = std::make_unique<ControlPlane>(*store, clock, random, test_options());  // no graceful stop before it
  BOOST_TEST(!control->status("edgeone").has_value());
}

BOOST_AUTO_TEST_CASE(a_report_stands_for_good_when_status_offline_after_is_zero) {
  ControlPlaneOptions options = test_options();
  options.status_offline_after = Nanoseconds::zero();
  control = std::make_unique<ControlPlane>(*store, clock, random, options);
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  control->report_status("edgeone", status);
  clock.advance(std::chrono::hours(24 * 30));
  BOOST_TEST(control->get_connected_registry("edgeone").body.at("connectionState") == "Online");
}

// A report for a CR the caller found in a snapshot: recorded as by name while that snapshot is current, and checked
// again by name once another was published (a CR deleted since is refused, as a report by name is).
BOOST_AUTO_TEST_CASE(a_report_for_a_cr_found_in_a_snapshot_is_checked_against_the_current_one) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  create_cr("edgetwo", "ReadWrite", std::nullopt, {});
  ConnectedRegistryStatus status;
  status.connection_state = ConnectionState::Online;
  status.version = "1";
  const auto found_in = control->snapshot();
  control->report_status(*found_in, "edgeone", status);
  BOOST_TEST((control->status("edgeone") == status));
  status.version = "2";
  control->report_status(*found_in, "edgeone", status);  // replaces the first
  BOOST_TEST((control->status("edgeone") == status));

  control->delete_connected_registry("edgetwo", true);  // publishes another snapshot
  BOOST_TEST(control->snapshot().get() != found_in.get());
  BOOST_TEST(api_error_of([&] { control->report_status(*found_in, "edgetwo", status); }).status() == 404);
  BOOST_TEST(!control->status("edgetwo"));
  status.version = "3";
  control->report_status(*found_in, "edgeone", status);  // still there
  BOOST_TEST((control->status("edgeone") == status));
  // A name written with capitals is recorded under its key, as by name.
  status.version = "4";
  control->report_status(*control->snapshot(), "EdgeOne", status);
  BOOST_TEST((control->status("edgeone") == status));
}

// SPEC 5.3: forwarded notifications, the newest kept.
BOOST_AUTO_TEST_CASE(notifications_are_bounded) {
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  std::vector<json> events;
  for (size_t i = 0; i < kMaxNotificationsPerConnectedRegistry + 5; ++i) events.push_back({{"seq", i}});
  control->add_notifications("edgeone", {events.begin(), events.begin() + 3});
  control->add_notifications("edgeone", {events.begin() + 3, events.end()});
  const json listed = control->list_notifications("edgeone").body;
  BOOST_REQUIRE(listed.size() == kMaxNotificationsPerConnectedRegistry);
  BOOST_TEST(listed.front().at("seq") == 5);
  BOOST_TEST(listed.back().at("seq") == kMaxNotificationsPerConnectedRegistry + 4);
  BOOST_TEST(api_error_of([&] { control->add_notifications("ghostone", {}); }).status() == 404);

  // Deleting the CR forgets them, and its status.
  control->report_status("edgeone", {});
  control->delete_connected_registry("edgeone", true);
  create_cr("edgeone", "ReadWrite", std::nullopt, {});
  BOOST_TEST(control->list_notifications("edgeone").body.empty());
  BOOST_TEST(!control->status("edgeone"));
}

BOOST_AUTO_TEST_CASE(notification_patterns_match_events) {
  const NotificationEvent tagged{"samples/hello", "1.0", "sha256:abc", "push"};
  const NotificationEvent by_digest{"samples/hello", "", "sha256:abc", "delete"};
  BOOST_TEST(notification_matches("*:*", tagged));
  BOOST_TEST(notification_matches("*:*", by_digest));
  BOOST_TEST(notification_matches("*:*:*", tagged));
  BOOST_TEST(!notification_matches("*:*:*", by_digest));  // "all tags": an event by digest has none
  BOOST_TEST(notification_matches("*@*:*", by_digest));
  BOOST_TEST(notification_matches("samples/*:push", tagged));
  BOOST_TEST(!notification_matches("samples/*:delete", tagged));
  BOOST_TEST(notification_matches("samples/hello:1.0:*", tagged));
  BOOST_TEST(!notification_matches("samples/hello:2.0:*", tagged));
  BOOST_TEST(notification_matches("samples/hello@sha256:abc:delete", by_digest));
  BOOST_TEST(!notification_matches("samples/hello@sha256:def:delete", by_digest));
  BOOST_TEST(!notification_matches("other:*", tagged));
}

// SPEC 2.9: the sync token and map count against the registry's limits.
BOOST_AUTO_TEST_CASE(creating_counts_against_token_and_map_limits) {
  ControlPlaneOptions options = test_options();
  options.max_tokens = 1;
  ControlFixture small(options);
  BOOST_TEST(small.control->put_connected_registry("edgeone", json::object()).status == 201);
  const ApiError error = api_error_of([&] { small.control->put_connected_registry("edgetwo", json::object()); });
  BOOST_TEST(error.code() == "LIMIT_EXCEEDED");
  BOOST_TEST(error.detail().at("limit") == "tokens per registry");
  BOOST_TEST(!small.control->snapshot()->connected_registry("edgetwo"));
  BOOST_TEST(!small.control->snapshot()->scope_maps.contains("edgetwo-sync-scope-map"));
}

// SPEC 7.3: the parent's endpoint in connection strings, and regenerating one password.
BOOST_AUTO_TEST_CASE(connection_strings_name_the_parent_endpoint) {
  ControlPlaneOptions options = test_options();
  options.data_endpoint = "cloud.example:8443";
  options.scheme = "https";
  ConnectedRegistryFixture cloud(options);
  const json top = cloud.create_cr("toplevel", "ReadWrite", std::nullopt, {});
  const json child = cloud.create_cr("childone", "ReadWrite", "toplevel", {});
  BOOST_TEST(contains(top.at("connectionString").get<std::string>(),
                      ";ParentGatewayEndpoint=cloud.example:8443;ParentEndpointProtocol=https"));
  BOOST_TEST(contains(child.at("connectionString").get<std::string>(), ";ParentGatewayEndpoint=<parent-endpoint>;"));

  ConnectedRegistryStatus reported;
  reported.login_server = "192.168.0.100:8080";
  cloud.control->report_status("toplevel", reported);
  const json settings = cloud.control->connection_string("childone", {{"password", "password2"}}).body;
  const auto parsed = parse_connection_string(settings.at("connectionString").get<std::string>());
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed.value->parent_endpoint == "192.168.0.100:8080");
  const std::string two = settings.at("syncToken").at("passwords")[0].at("value");
  BOOST_TEST(parsed.value->sync_token_password == two);
  const auth::Token* token = cloud.control->snapshot()->token("childone-sync-token");
  BOOST_TEST(auth::verify_password(two, token->password(auth::PasswordName::Password2).hash));
  // Rotation: password1 from the create answer still verifies.
  BOOST_TEST(auth::verify_password(child.at("syncToken").at("passwords")[0].at("value").get<std::string>(),
                                   token->password(auth::PasswordName::Password1).hash));

  // Without a password: nothing regenerated, a placeholder in the string.
  const uint64_t generation = cloud.control->snapshot()->generation("childone-sync-token");
  const json plain = cloud.control->connection_string("childone", {{"protocol", "http"}}).body;
  BOOST_TEST(contains(plain.at("connectionString").get<std::string>(), "SyncTokenPassword=<sync-token-password>;"));
  BOOST_TEST(contains(plain.at("connectionString").get<std::string>(), "ParentEndpointProtocol=http"));
  BOOST_TEST(plain.at("syncToken").at("passwords").empty());
  BOOST_TEST(cloud.control->snapshot()->generation("childone-sync-token") == generation);
  BOOST_TEST(api_error_of([&] {
               cloud.control->connection_string("childone", {{"password", "password3"}});
             }).status() == 400);
  BOOST_TEST(api_error_of([&] {
               cloud.control->connection_string("childone", {{"protocol", "ftp"}});
             }).status() == 400);
}

BOOST_AUTO_TEST_SUITE_END()
