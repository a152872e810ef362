// Connected registries' configuration documents, their versions, and the snapshot a CR node builds from its document
// (SPEC 4.1, 4.2, 5.2).
#include <boost/test/unit_test.hpp>
#include <map>

#include "reference/auth/password.h"
#include "reference/control/connected_registry_config.h"
#include "tests/unit/control/connected_registry_fixture.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;

namespace {
// A tree:   topnode -> middle -> leafnode
//           topnode -> sidenode
//           alonenode
struct TreeFixture : ConnectedRegistryFixture {
  TreeFixture() {
    create_map("readers", {"repositories/hello/content/read"});
    reader = value_of(create_token("reader", "readers"), 0);
    create_token("sidereader", "_repositories_pull");
    create_token("aloneclient", "readers");
    create_cr("topnode", "ReadWrite", std::nullopt, {"hello"});
    create_cr("middle", "ReadWrite", "topnode", {"hello"});
    leaf_password = create_cr("leafnode", "ReadOnly", "middle", {"hello"}, {{"clientTokens", {"reader"}}})
                        .at("syncToken")
                        .at("passwords")[0]
                        .at("value");
    create_cr("sidenode", "ReadOnly", "topnode", {}, {{"clientTokens", {"sidereader"}}});
    create_cr("alonenode", "ReadOnly", std::nullopt, {}, {{"clientTokens", {"aloneclient"}}});
  }

  std::map<std::string, uint64_t> versions() const {
    std::map<std::string, uint64_t> out;
    for (const auto& [name, value] : control->snapshot()->config_versions) out[name] = value;
    return out;
  }

  // Names whose version moved since `before`; every version that moved went up.
  std::vector<std::string> bumped_since(const std::map<std::string, uint64_t>& before) const {
    std::vector<std::string> out;
    for (const auto& [name, value] : versions()) {
      const auto old = before.find(name);
      if (old == before.end() || old->second != value) {
        if (old != before.end()) BOOST_TEST(value > old->second);
        out.push_back(name);
      }
    }
    return out;
  }

  std::string reader;
  json leaf_password;
};

using Names = std::vector<std::string>;
}  // namespace

BOOST_FIXTURE_TEST_SUITE(connected_registry_config, TreeFixture)

BOOST_AUTO_TEST_CASE(own_config_holds_what_the_node_needs) {
  const json config = own_config(*control->snapshot(), "middle");
  BOOST_TEST(config.at("name") == "middle");
  BOOST_TEST(config.at("mode") == "ReadWrite");
  BOOST_TEST(config.at("parent") == "topnode");
  BOOST_TEST(config.at("repositories") == json({"hello"}));
  BOOST_TEST(config.at("enabled") == true);
  BOOST_TEST(config.at("resync") == 0);
  BOOST_TEST(config.at("children") == json({"leafnode"}));
  BOOST_TEST(config.at("sync").at("messageTtl") == "P2D");
  // Its client tokens (none) and its children's sync tokens; the maps those use.
  BOOST_REQUIRE(config.at("tokens").size() == 1u);
  const json& child_token = config.at("tokens")[0];
  BOOST_TEST(child_token.at("name") == "leafnode-sync-token");
  BOOST_TEST(child_token.at("scopeMap") == "leafnode-sync-scope-map");
  BOOST_TEST(child_token.at("generation") == control->snapshot()->generation("leafnode-sync-token"));
  BOOST_TEST(child_token.at("passwords").size() == 2u);
  BOOST_TEST(!contains(config.dump(), leaf_password.get<std::string>()));  // hashes only
  BOOST_REQUIRE(config.at("scopeMaps").size() == 1u);
  BOOST_TEST(config.at("scopeMaps")[0].at("name") == "leafnode-sync-scope-map");

  const json leaf = own_config(*control->snapshot(), "leafnode");
  BOOST_TEST(leaf.at("children") == json::array());
  BOOST_REQUIRE(leaf.at("tokens").size() == 1u);
  BOOST_TEST(leaf.at("tokens")[0].at("name") == "reader");
  BOOST_TEST(leaf.at("scopeMaps")[0].at("name") == "readers");
  // System maps are known everywhere and not listed.
  BOOST_TEST(own_config(*control->snapshot(), "sidenode").at("scopeMaps") == json::array());
  // Deterministic: the same state gives the same bytes.
  BOOST_TEST(own_config(*control->snapshot(), "leafnode").dump() == leaf.dump());

  control->patch_token("leafnode-sync-token", {{"status", "disabled"}});
  BOOST_TEST(own_config(*control->snapshot(), "leafnode").at("enabled") == false);
  BOOST_TEST(api_error_of([&] { own_config(*control->snapshot(), "ghostone"); }).status() == 404);
}

// A CR's version bumps when its configuration or a descendant's changes, and nothing else's does.
BOOST_AUTO_TEST_CASE(versions_bump_for_the_node_and_its_ancestors_only) {
  auto before = versions();
  BOOST_TEST(before.size() == 5u);
  control->patch_connected_registry("leafnode", {{"logging", {{"level", "Debug"}}}});
  BOOST_TEST(bumped_since(before) == Names({"leafnode", "middle", "topnode"}));

  before = versions();
  control->patch_connected_registry("sidenode", {{"gc", {{"enabled", false}}}});
  BOOST_TEST(bumped_since(before) == Names({"sidenode", "topnode"}));

  // A client token's password changes: the CR listing it, and above.
  before = versions();
  control->generate_credentials("reader", {{"name", "password2"}});
  BOOST_TEST(bumped_since(before) == Names({"leafnode", "middle", "topnode"}));

  // A map used by a client token of a CR at the top only. The tokens' generations stay (SPEC 4.1: what a token may
  // do is no part of them), so the maps themselves tell which configurations changed.
  before = versions();
  const uint64_t reader_generation = control->snapshot()->generation("reader");
  control->patch_scope_map("readers", {{"addActions", {"repositories/other/content/read"}}});
  BOOST_TEST(control->snapshot()->generation("reader") == reader_generation);
  BOOST_TEST(bumped_since(before) == Names({"alonenode", "leafnode", "middle", "topnode"}));

  // A client token given another map: the same.
  before = versions();
  const uint64_t side_generation = control->snapshot()->generation("sidereader");
  control->patch_token("sidereader", {{"scopeMap", "readers"}});
  BOOST_TEST(control->snapshot()->generation("sidereader") == side_generation);
  BOOST_TEST(bumped_since(before) == Names({"sidenode", "topnode"}));
  BOOST_TEST(own_config(*control->snapshot(), "sidenode").at("scopeMaps")[0].at("name") == "readers");

  // A child's sync token: its parent lists it (and the child itself reads "enabled").
  before = versions();
  control->patch_token("sidenode-sync-token", {{"status", "disabled"}});
  BOOST_TEST(bumped_since(before) == Names({"sidenode", "topnode"}));

  // A change no configuration reads: activation, a description, an unrelated token.
  before = versions();
  control->activate("leafnode", "instance-1");
  control->patch_scope_map("readers", {{"description", "new words"}});
  create_token("unrelated", "_repositories_pull");
  control->report_status("leafnode", {});
  BOOST_TEST(bumped_since(before) == Names{});

  // A new child: its own version, and its parent's chain.
  before = versions();
  create_cr("leaftwo", "ReadOnly", "middle", {});
  BOOST_TEST(bumped_since(before) == Names({"leaftwo", "middle", "topnode"}));
  // Deleting it: the chain again; its version is gone.
  before = versions();
  control->delete_connected_registry("leaftwo", true);
  BOOST_TEST(bumped_since(before) == Names({"middle", "topnode"}));
  BOOST_TEST(control->snapshot()->config_version("leaftwo") == 0u);

  // permissions add goes up (and bumps up); remove goes down (and bumps the chain of each node it touched).
  before = versions();
  control->update_connected_registry_permissions("sidenode", {{"add", {"world"}}});
  BOOST_TEST(bumped_since(before) == Names({"sidenode", "topnode"}));
  before = versions();
  control->update_connected_registry_permissions("middle", {{"remove", {"hello"}}});
  BOOST_TEST(bumped_since(before) == Names({"leafnode", "middle", "topnode"}));
}

// SPEC 5.2: the CR node's snapshot from its configuration authenticates the same tokens with the same passwords.
BOOST_AUTO_TEST_CASE(snapshot_from_config_round_trips_tokens) {
  const auto cloud = control->snapshot();
  const auto middle = snapshot_from_config(own_config(*cloud, "middle"));
  const auth::Token* child = middle->token("leafnode-sync-token");
  BOOST_REQUIRE(child != nullptr);
  const auth::Token& original = *cloud->token("leafnode-sync-token");
  BOOST_TEST(child->scope_map == original.scope_map);
  BOOST_TEST((child->status == original.status));
  for (auth::PasswordName which : {auth::PasswordName::Password1, auth::PasswordName::Password2}) {
    BOOST_TEST(child->password(which).hash == original.password(which).hash);
    BOOST_TEST((child->password(which).creation_time == original.password(which).creation_time));
  }
  BOOST_TEST(
      auth::verify_password(leaf_password.get<std::string>(), child->password(auth::PasswordName::Password1).hash));
  BOOST_TEST(middle->generation("leafnode-sync-token") == cloud->generation("leafnode-sync-token"));
  // Only what the node accepts (SPEC 4.2): not its own sync token, not other CRs' clients, no admin.
  BOOST_TEST(middle->tokens.size() == 1u);
  BOOST_TEST(middle->admin_password_hash.empty());
  // The child's permissions: its gateway actions and its content.
  const auth::PermissionSet* permissions = middle->permissions_of(*child);
  BOOST_REQUIRE(permissions != nullptr);
  BOOST_TEST((permissions->gateway_actions("leafnode") == auth::kAllGatewayActions));
  BOOST_TEST(permissions->repository_actions("hello").contains(auth::kContentRead));
  BOOST_TEST(!permissions->repository_actions("hello").contains(auth::kContentWrite));
  // System maps are there for client tokens that use them.
  BOOST_TEST(snapshot_from_config(own_config(*cloud, "sidenode"))->scope_maps.contains("_repositories_pull"));
  // The tree as the node sees it.
  BOOST_TEST(sync_token_owner(*middle, "leafnode-sync-token")->name == "leafnode");
  BOOST_TEST((middle->connected_registry("middle")->mode == auth::RegistryMode::ReadWrite));
  BOOST_TEST(middle->children_of("middle") == Names({"leafnode"}));

  // Expiry survives to the nanosecond; a changed token gets a changed generation.
  control->generate_credentials("reader", {{"name", "password1"}, {"expiry", "2031-02-03T04:05:06.123456789Z"}});
  const auto leaf_before = snapshot_from_config(own_config(*control->snapshot(), "leafnode"));
  BOOST_TEST((leaf_before->token("reader")->password(auth::PasswordName::Password1).expiry ==
              control->snapshot()->token("reader")->password(auth::PasswordName::Password1).expiry));
  control->patch_token("reader", {{"status", "disabled"}});
  const auto leaf_after = snapshot_from_config(own_config(*control->snapshot(), "leafnode"));
  BOOST_TEST(leaf_after->generation("reader") != leaf_before->generation("reader"));
  BOOST_TEST((leaf_after->token("reader")->status == auth::TokenStatus::Disabled));

  BOOST_CHECK_THROW(snapshot_from_config(json::array()), std::invalid_argument);
  BOOST_CHECK_THROW(snapshot_from_config({{"name", "x"}}), std::invalid_argument);
  // Tokens and maps only (a node not configured yet): no tree.
  const auto bare = snapshot_from_config({{"tokens", json::array()}, {"scopeMaps", json::array()}});
  BOOST_TEST(bare->connected_registries.empty());
  BOOST_TEST(bare->scope_maps.size() == 5u);
}

// Without generations in the document, they are derived: equal for equal states, different when the token's status
// or passwords change, and, as at the cloud, unmoved by its scope map or that map's actions (read from "scopeMaps").
BOOST_AUTO_TEST_CASE(derived_generations_follow_the_record) {
  json config = own_config(*control->snapshot(), "leafnode");
  config["tokens"][0].erase("generation");
  const uint64_t first = snapshot_from_config(config)->generation("reader");
  BOOST_TEST(first != 0u);
  BOOST_TEST(snapshot_from_config(config)->generation("reader") == first);
  config["tokens"][0]["status"] = "disabled";
  BOOST_TEST(snapshot_from_config(config)->generation("reader") != first);
  config["tokens"][0]["status"] = "enabled";
  config["tokens"][0]["passwords"][0]["hash"] = "another-hash";
  BOOST_TEST(snapshot_from_config(config)->generation("reader") != first);
  config = own_config(*control->snapshot(), "leafnode");
  config["tokens"][0].erase("generation");
  config["scopeMaps"][0]["actions"] = {"repositories/hello/metadata/read"};
  const auto narrowed = snapshot_from_config(config);
  BOOST_TEST(narrowed->generation("reader") == first);
  BOOST_TEST((narrowed->permissions_of(*narrowed->token("reader"))->repository_actions("hello") ==
              auth::kMetadataRead));
  config["tokens"][0]["scopeMap"] = "_repositories_pull";
  BOOST_TEST(snapshot_from_config(config)->generation("reader") == first);
}

// SPEC 4.1: at the cloud, the sync tokens of CRs under a CR are refused; everything else is accepted.
BOOST_AUTO_TEST_CASE(acceptance_at_the_cloud) {
  const auto snapshot = control->snapshot();
  BOOST_TEST(accepted_at_cloud(*snapshot, *snapshot->token("topnode-sync-token")));
  BOOST_TEST(accepted_at_cloud(*snapshot, *snapshot->token("alonenode-sync-token")));
  BOOST_TEST(!accepted_at_cloud(*snapshot, *snapshot->token("middle-sync-token")));
  BOOST_TEST(!accepted_at_cloud(*snapshot, *snapshot->token("leafnode-sync-token")));
  BOOST_TEST(accepted_at_cloud(*snapshot, *snapshot->token("reader")));
  BOOST_TEST(sync_token_owner(*snapshot, "middle-sync-token")->name == "middle");
  BOOST_TEST(!sync_token_owner(*snapshot, "reader"));
  BOOST_TEST(ancestors_of(*snapshot, "leafnode") == Names({"middle", "topnode"}));
  BOOST_TEST(descendants_of(*snapshot, "topnode") == Names({"middle", "leafnode", "sidenode"}));
  BOOST_TEST(descendants_of(*snapshot, "alonenode").empty());
}

// Client tokens that join or leave a list get new generations (a CR that accepted one before must not honour its old
// refresh tokens when it is accepted again).
BOOST_AUTO_TEST_CASE(client_list_membership_moves_generations) {
  const uint64_t before = control->snapshot()->generation("reader");
  control->patch_connected_registry("leafnode", {{"removeClientTokens", {"reader"}}});
  const uint64_t removed = control->snapshot()->generation("reader");
  BOOST_TEST(removed != before);
  control->patch_connected_registry("leafnode", {{"addClientTokens", {"reader"}}});
  BOOST_TEST(control->snapshot()->generation("reader") != removed);
  BOOST_TEST(control->snapshot()->generation("reader") != before);
}

BOOST_AUTO_TEST_SUITE_END()
