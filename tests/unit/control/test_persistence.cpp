// Control-plane state over the SQLite store survives a restart, and password values never reach the disk (SPEC 3.3,
// 7.1); the admin user's password (SPEC 7.1).
#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "reference/auth/password.h"
#include "reference/control/connected_registry_config.h"
#include "tests/unit/control/control_fixture.h"
#include "tests/unit/temporary_directory.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;

namespace {
using outpost::testing::TemporaryDirectory;

// Every byte under `directory` (the database and its WAL and journal files).
std::string all_bytes(const std::filesystem::path& directory) {
  std::string bytes;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return bytes;
}

// A store that stops, as a process killed in the middle of an operation does, after a given number of writes: what
// those wrote is kept in `inner`, and nothing after. Reads go through.
class StoppingStore : public ControlStore {
 public:
  StoppingStore(ControlStore& inner, int writes) : inner_(inner), writes_left_(writes) {}
  std::vector<auth::ScopeMap> scope_maps() override { return inner_.scope_maps(); }
  void put_scope_map(const auth::ScopeMap& map) override {
    write();
    inner_.put_scope_map(map);
  }
  bool erase_scope_map(std::string_view name) override {
    write();
    return inner_.erase_scope_map(name);
  }
  std::vector<auth::Token> tokens() override { return inner_.tokens(); }
  void put_token(const auth::Token& token) override {
    write();
    inner_.put_token(token);
  }
  bool erase_token(std::string_view name) override {
    write();
    return inner_.erase_token(name);
  }
  std::vector<ConnectedRegistry> connected_registries() override { return inner_.connected_registries(); }
  void put_connected_registry(const ConnectedRegistry& cr) override {
    write();
    inner_.put_connected_registry(cr);
  }
  bool erase_connected_registry(std::string_view name) override {
    write();
    return inner_.erase_connected_registry(name);
  }
  std::optional<std::string> setting(std::string_view key) override { return inner_.setting(key); }
  void put_setting(std::string_view key, std::string_view value) override {
    write();
    inner_.put_setting(key, value);
  }
  void stop_after(int writes) { writes_left_ = writes; }

 private:
  void write() {
    if (writes_left_ == 0) throw std::runtime_error("stopped");
    if (writes_left_ > 0) --writes_left_;
  }
  ControlStore& inner_;
  int writes_left_;  // -1: never stops
};

// A control plane over <dir>/control.db; destroying it closes the database, as a node restart does.
struct SqliteNode {
  explicit SqliteNode(const std::filesystem::path& directory)
      : store(open_sqlite_control_store(directory)), control(*store, clock, random, test_options()) {}
  ManualClock clock;
  SeededRandom random{7};
  std::unique_ptr<ControlStore> store;
  ControlPlane control;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(persistence)

BOOST_AUTO_TEST_CASE(state_survives_a_restart_and_secrets_stay_in_memory) {
  TemporaryDirectory directory{"control-test"};
  std::vector<std::string> secrets;
  json maps_before, tokens_before;
  std::string admin_hash;
  {
    SqliteNode node(directory.path());
    const auto admin = node.control.ensure_admin(std::nullopt);
    BOOST_REQUIRE(admin.has_value());
    secrets.push_back(*admin);
    node.control.put_scope_map("persisted-map",
                               {{"description", "kept"}, {"actions", {"repositories/samples/*/content/read"}}});
    const auto created =
        node.control.put_token("persisted-token", {{"scopeMap", "persisted-map"}, {"expiry", "2030-01-01T00:00:00Z"}});
    secrets.push_back(ControlFixture::value_of(created, 0));
    secrets.push_back(ControlFixture::value_of(created, 1));
    const auto rotated = node.control.generate_credentials("persisted-token", {{"name", "password2"}});
    secrets.push_back(rotated.body.at("passwords")[0].at("value"));
    node.control.put_token("disabled-token", {{"scopeMap", "_repositories_push"}, {"status", "disabled"}});
    node.control.put_setting("jwt.key", "PEM BYTES");
    maps_before = node.control.list_scope_maps().body;
    tokens_before = node.control.list_tokens().body;
    admin_hash = node.control.snapshot()->admin_password_hash;
  }

  SqliteNode node(directory.path());
  BOOST_TEST(node.control.list_scope_maps().body == maps_before);
  BOOST_TEST(node.control.list_tokens().body == tokens_before);
  BOOST_TEST(node.control.get_token("persisted-token").body.at("passwords")[0].at("expiry") ==
             "2030-01-01T00:00:00.000Z");
  BOOST_TEST(node.control.setting("jwt.key").value_or("(absent)") == "PEM BYTES");
  const auto snapshot = node.control.snapshot();
  BOOST_TEST(snapshot->admin_password_hash == admin_hash);
  BOOST_TEST(auth::verify_password(secrets[0], snapshot->admin_password_hash));
  const auth::Token* token = snapshot->token("persisted-token");
  BOOST_REQUIRE(token);
  BOOST_TEST(auth::verify_password(secrets[1], token->password(auth::PasswordName::Password1).hash));
  BOOST_TEST(auth::verify_password(secrets[3], token->password(auth::PasswordName::Password2).hash));
  BOOST_TEST(!auth::verify_password(secrets[2], token->password(auth::PasswordName::Password2).hash));
  BOOST_TEST(snapshot->generation("persisted-token") != 0u);
  const auth::PermissionSet* permissions = snapshot->permissions_of(*token);
  BOOST_REQUIRE(permissions);
  BOOST_TEST((permissions->repository_actions("samples/app") == auth::kContentRead));

  // A restart never generates a new admin password when one is stored.
  BOOST_TEST(!node.control.ensure_admin(std::nullopt).has_value());
  BOOST_TEST(node.control.snapshot()->admin_password_hash == admin_hash);

  // No answer and no byte on disk holds a password value.
  const std::string answers =
      node.control.list_tokens().body.dump() + node.control.get_token("persisted-token").body.dump();
  const std::string disk = all_bytes(directory.path());
  BOOST_TEST(disk.find("persisted-token") != std::string::npos);  // the search does see the records
  for (const std::string& secret : secrets) {
    BOOST_TEST(answers.find(secret) == std::string::npos);
    BOOST_TEST(disk.find(secret) == std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(deletions_survive_a_restart) {
  TemporaryDirectory directory{"control-test"};
  {
    SqliteNode node(directory.path());
    node.control.put_scope_map("gone-map", {{"actions", json::array()}});
    node.control.put_token("gone-token", {{"scopeMap", "_repositories_pull"}, {"noPasswords", true}});
    node.control.delete_token("gone-token");
    node.control.delete_scope_map("gone-map");
  }
  SqliteNode node(directory.path());
  BOOST_TEST(node.control.list_tokens().body.empty());
  BOOST_TEST(node.control.list_scope_maps().body.size() == 5u);
}

// SPEC 2: connected registries, their activation and resync counters, sync maps and tokens survive a restart; their
// configuration versions come back higher (never repeated), and reported status does not come back.
BOOST_AUTO_TEST_CASE(connected_registries_survive_a_restart) {
  TemporaryDirectory directory{"control-test"};
  json listed_before;
  std::string sync_password;
  std::map<std::string, uint64_t> versions_before;
  {
    SqliteNode node(directory.path());
    node.control.put_token("client1", {{"scopeMap", "_repositories_pull"}});
    const auto top = node.control.put_connected_registry(
        "TopLevel", {{"repositories", {"hello", "samples/*"}},
                     {"clientTokens", {"client1"}},
                     {"sync", {{"schedule", "0 9 * * *"}, {"window", "PT3H"}, {"messageTtl", "P7D"}}},
                     {"notifications", {"hello:*"}},
                     {"logging", {{"level", "Debug"}}},
                     {"gc", {{"enabled", false}, {"schedule", "0 1 * * 0"}}}});
    sync_password = top.body.at("syncToken").at("passwords")[1].at("value");
    node.control.put_connected_registry("childone",
                                        {{"mode", "ReadOnly"}, {"parent", "toplevel"}, {"repositories", {"x"}}});
    node.control.activate("toplevel", "instance-1");
    node.control.resync_connected_registry("childone");
    node.control.put_connected_registry("goneone", json::object());
    node.control.delete_connected_registry("goneone", true);
    ConnectedRegistryStatus status;
    status.connection_state = ConnectionState::Online;
    node.control.report_status("toplevel", status);
    listed_before = node.control.list_connected_registries().body;
    for (const auto& [name, version] : node.control.snapshot()->config_versions) versions_before[name] = version;
  }
  SqliteNode node(directory.path());
  const auto snapshot = node.control.snapshot();
  BOOST_TEST(snapshot->connected_registries.size() == 2u);
  BOOST_TEST(!snapshot->token("goneone-sync-token"));
  const ConnectedRegistry& top = *snapshot->connected_registry("toplevel");
  BOOST_TEST(top.instance_id == "instance-1");
  BOOST_TEST((top.sync.window == std::optional<Nanoseconds>(std::chrono::hours(3))));
  BOOST_TEST(top.repositories == std::vector<std::string>({"hello", "samples/*", "x"}));
  BOOST_TEST(snapshot->connected_registry("childone")->resync_generation == 1u);
  BOOST_TEST(snapshot->children_of("toplevel") == std::vector<std::string>({"childone"}));
  BOOST_TEST(sync_token_owner(*snapshot, "childone-sync-token")->name == "childone");
  BOOST_TEST(auth::verify_password(
      sync_password, snapshot->token("toplevel-sync-token")->password(auth::PasswordName::Password2).hash));
  // Everything but the reported status reads back the same.
  json expected = listed_before;
  expected[1]["connectionState"] = "Offline";
  BOOST_TEST(node.control.list_connected_registries().body == expected);
  BOOST_TEST(!node.control.status("toplevel"));
  // Activation is durable: another instance is still refused.
  BOOST_TEST(api_error_of([&] { node.control.activate("toplevel", "instance-2"); }).code() == "ALREADY_ACTIVATED");
  for (const auto& [name, version] : versions_before) BOOST_TEST(snapshot->config_version(name) > version);
}

// SPEC 2.10: a sync token kept by a deletion without cleanup stays accepted nowhere after a restart; a mark left on a
// token that was deleted, or that a CR owns again (a crash between two writes), does not come back.
BOOST_AUTO_TEST_CASE(kept_sync_tokens_stay_retired_after_a_restart) {
  TemporaryDirectory directory{"control-test"};
  {
    SqliteNode node(directory.path());
    for (const std::string name : {"keptone", "takenone", "goneone"}) {
      node.control.put_connected_registry(name, json::object());
      node.control.delete_connected_registry(name, false);
    }
    node.control.patch_token("keptone-sync-token", {{"status", "enabled"}});
    // As if the process had stopped between the writes of a takeover and a token deletion and their marks' removal.
    node.store->put_connected_registry([&] {
      ConnectedRegistry cr;
      cr.name = "takenone";
      cr.sync.token = "takenone-sync-token";
      return cr;
    }());
    node.store->erase_token("goneone-sync-token");
  }
  {
    SqliteNode node(directory.path());
    const auto snapshot = node.control.snapshot();
    BOOST_TEST(snapshot->retired_sync_tokens == (std::set<std::string, std::less<>>{"keptone-sync-token"}));
    BOOST_TEST(!accepted_at_cloud(*snapshot, *snapshot->token("keptone-sync-token")));
    BOOST_TEST(accepted_at_cloud(*snapshot, *snapshot->token("takenone-sync-token")));
    // The stale marks are gone from the store too: a token made later under such a name is an ordinary one.
    node.control.put_token("goneone-sync-token", {{"scopeMap", "_repositories_pull"}});
  }
  SqliteNode again(directory.path());
  BOOST_TEST(again.control.snapshot()->retired_sync_tokens ==
             (std::set<std::string, std::less<>>{"keptone-sync-token"}));
}

// SPEC 7.1: a password from the file replaces the stored hash; generated ones are returned once.
// SPEC 2.10: a CR deleted with cleanup, its sync token with it. Stopped after any number of the delete's writes and
// started again, the node never holds that token without its CR as an ordinary one: it erased the CR first, so a stop before the
// token's erase left it enabled, with no CR and no mark, and the cloud accepted it with its sync map's rights.
BOOST_AUTO_TEST_CASE(a_cleanup_delete_stopped_at_any_write_leaves_no_live_sync_token) {
  bool completed = false;
  for (int writes = 0; writes < 20 && !completed; ++writes) {
    BOOST_TEST_CONTEXT("stopped after " << writes << " writes") {
      ManualClock clock;
      SeededRandom random{7};
      const auto inner = open_memory_control_store();
      StoppingStore store(*inner, -1);
      {
        ControlPlane control(store, clock, random, test_options());
        control.put_connected_registry("edgeone", {{"mode", "ReadWrite"}, {"repositories", {"apps/web"}}});
        store.stop_after(writes);
        try {
          control.delete_connected_registry("edgeone", true);
          completed = true;
        } catch (const std::runtime_error&) {
        }
      }
      ControlPlane restarted(*inner, clock, random, test_options());
      const auto snapshot = restarted.snapshot();
      const auth::Token* token = snapshot->token("edgeone-sync-token");
      // Accepted only as the sync token of a CR that is still there (stopped before its erase): as it was.
      const bool cr_kept = snapshot->connected_registry("edgeone") != nullptr;
      BOOST_TEST((token == nullptr || cr_kept || !accepted_at_cloud(*snapshot, *token)));
      if (completed) {
        BOOST_TEST(token == nullptr);
        BOOST_TEST(snapshot->retired_sync_tokens.empty());  // no mark left for a later token of that name
      }
    }
  }
  BOOST_TEST(completed);
}

BOOST_AUTO_TEST_CASE(admin_password_sources) {
  ControlFixture fixture;
  ControlPlane& control = *fixture.control;
  BOOST_TEST(control.snapshot()->admin_password_hash.empty());
  BOOST_TEST(control.snapshot()->generation(kAdminUser) == 0u);

  const auto generated = control.ensure_admin(std::nullopt);
  BOOST_REQUIRE(generated.has_value());
  BOOST_TEST(generated->size() == 44u);
  const std::string hash = control.snapshot()->admin_password_hash;
  BOOST_TEST(auth::verify_password(*generated, hash));
  BOOST_TEST(contains(hash, "$1000$"));  // the node's hash cost
  BOOST_TEST(fixture.store->setting("admin.password_hash").value_or("(absent)") == hash);
  const uint64_t generation = control.snapshot()->generation(kAdminUser);
  BOOST_TEST(generation != 0u);

  BOOST_TEST(!control.ensure_admin(std::nullopt).has_value());
  BOOST_TEST(control.snapshot()->admin_password_hash == hash);

  BOOST_TEST(!control.ensure_admin(std::string("from the file")).has_value());
  BOOST_TEST(auth::verify_password("from the file", control.snapshot()->admin_password_hash));
  BOOST_TEST(!auth::verify_password(*generated, control.snapshot()->admin_password_hash));
  BOOST_TEST(control.snapshot()->generation(kAdminUser) > generation);

  // The same password again (every start with --admin-password-file) writes nothing: on a full disk that write
  // refused the start.
  const std::string from_file = control.snapshot()->admin_password_hash;
  const uint64_t file_generation = control.snapshot()->generation(kAdminUser);
  BOOST_TEST(!control.ensure_admin(std::string("from the file")).has_value());
  BOOST_TEST(control.snapshot()->admin_password_hash == from_file);
  BOOST_TEST(fixture.store->setting("admin.password_hash").value_or("(absent)") == from_file);
  BOOST_TEST(control.snapshot()->generation(kAdminUser) == file_generation);

  BOOST_CHECK_THROW(control.ensure_admin(std::string()), std::invalid_argument);
  BOOST_CHECK_THROW(control.put_setting("admin.password_hash", "x"), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
