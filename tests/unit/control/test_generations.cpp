// Snapshots and per-token generations: every change to what logs in as a token gives it a new generation (and only
// it), a change to what it may do gives none (SPEC 4.1: permissions come from the snapshot, JWTs stay valid), and a
// published snapshot never changes.
#include <boost/test/unit_test.hpp>
#include <map>
#include <thread>

#include "tests/unit/control/control_fixture.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;

namespace {
struct GenerationFixture : ControlFixture {
  GenerationFixture() {
    create_map("shared-map", {"repositories/a/content/read"});
    create_map("other-map", {"repositories/b/content/read"});
    create_token("token-a", "shared-map");
    create_token("token-b", "shared-map");
    create_token("token-c", "other-map");
  }

  std::map<std::string, uint64_t> generations() const {
    const auto snapshot = control->snapshot();
    std::map<std::string, uint64_t> out;
    for (const std::string name : {"token-a", "token-b", "token-c"}) out[name] = snapshot->generation(name);
    return out;
  }

  // Runs `change` and returns the tokens whose generation moved.
  template <class Change>
  std::vector<std::string> bumped_by(Change&& change) {
    const auto before = generations();
    change();
    const auto after = generations();
    std::vector<std::string> moved;
    for (const auto& [name, generation] : before)
      if (after.at(name) != generation) moved.push_back(name);
    return moved;
  }
};

using Names = std::vector<std::string>;
}  // namespace

BOOST_FIXTURE_TEST_SUITE(generations, GenerationFixture)

BOOST_AUTO_TEST_CASE(every_token_has_a_distinct_generation) {
  const auto all = generations();
  BOOST_TEST(all.at("token-a") != 0u);
  BOOST_TEST(all.at("token-a") != all.at("token-b"));
  BOOST_TEST(control->snapshot()->generation("nobody-here") == 0u);
}

// SPEC 4.1, 3.4: a scope map's actions are read from the snapshot on every request, so changing them voids nothing: the
// tokens keep their generations (their JWTs and refresh tokens stay valid) and the new permissions apply at once.
BOOST_AUTO_TEST_CASE(scope_map_changes_keep_generations_and_apply_at_once) {
  BOOST_TEST(bumped_by([&] {
               control->patch_scope_map("shared-map", {{"addActions", {"repositories/z/content/read"}}});
             }).empty());
  BOOST_TEST(bumped_by([&] { create_map("other-map", {"repositories/c/content/read"}); }).empty());
  BOOST_TEST(bumped_by([&] { control->patch_scope_map("shared-map", {{"description", "words only"}}); }).empty());
  const auto snapshot = control->snapshot();
  const auth::PermissionSet* widened = snapshot->permissions_of(*snapshot->token("token-a"));
  BOOST_REQUIRE(widened != nullptr);
  BOOST_TEST((widened->repository_actions("z") == auth::kContentRead));
  const auth::PermissionSet* replaced = snapshot->permissions_of(*snapshot->token("token-c"));
  BOOST_REQUIRE(replaced != nullptr);
  BOOST_TEST(replaced->repository_actions("b").empty());
  BOOST_TEST((replaced->repository_actions("c") == auth::kContentRead));
}

BOOST_AUTO_TEST_CASE(token_changes_bump_that_token_only) {
  BOOST_TEST(bumped_by([&] {
               control->patch_token("token-a", {{"status", "disabled"}});
             }) == (Names{"token-a"}),
             boost::test_tools::per_element());
  BOOST_TEST(bumped_by([&] {
               control->patch_token("token-b", {{"status", "disabled"}, {"scopeMap", "other-map"}});
             }) == (Names{"token-b"}),
             boost::test_tools::per_element());
  // Another scope map alone changes what the token may do, not how it logs in (as a map's actions, above).
  BOOST_TEST(bumped_by([&] { control->patch_token("token-a", {{"scopeMap", "other-map"}}); }).empty());
  BOOST_TEST(bumped_by([&] { create_token("token-c", "shared-map"); }).empty());
  BOOST_TEST(control->snapshot()->token("token-c")->scope_map == "shared-map");
  BOOST_TEST(bumped_by([&] { create_token("token-c", "shared-map", {{"status", "disabled"}}); }) ==
                 (Names{"token-c"}),
             boost::test_tools::per_element());
  BOOST_TEST(bumped_by([&] {
               control->generate_credentials("token-a", {{"name", "password2"}});
             }) == (Names{"token-a"}),
             boost::test_tools::per_element());
  BOOST_TEST(bumped_by([&] {
               control->generate_credentials("token-b", {{"expiry", "2030-01-01T00:00:00Z"}});
             }) == (Names{"token-b"}),
             boost::test_tools::per_element());
  // Unchanged tokens keep theirs; a new token or a no-op PATCH changes nothing for others.
  BOOST_TEST(bumped_by([&] { control->patch_token("token-a", {{"status", "disabled"}}); }).empty());
  BOOST_TEST(bumped_by([&] { create_token("token-d", "shared-map"); }).empty());
}

// A deleted and re-created token never gets back a generation it had, so nothing cached for it can match.
BOOST_AUTO_TEST_CASE(recreated_tokens_get_new_generations) {
  const uint64_t first = control->snapshot()->generation("token-a");
  control->delete_token("token-a");
  BOOST_TEST(control->snapshot()->generation("token-a") == 0u);
  create_token("token-a", "shared-map");
  const uint64_t second = control->snapshot()->generation("token-a");
  BOOST_TEST(second > first);
  for (const auto& [name, generation] : generations()) BOOST_TEST(second >= generation);
}

// A published snapshot is never edited: readers holding one see a consistent, unchanging state.
BOOST_AUTO_TEST_CASE(old_snapshots_do_not_change) {
  const auto old = control->snapshot();
  const uint64_t old_version = old->version;
  const uint64_t old_generation = old->generation("token-a");
  const std::string old_hash = old->token("token-a")->passwords[0].hash;

  control->patch_token("token-a", {{"status", "disabled"}});
  control->patch_scope_map("shared-map", {{"actions", {"repositories/other/content/write"}}});
  control->generate_credentials("token-a", nullptr);
  control->delete_token("token-b");

  BOOST_TEST(old->version == old_version);
  BOOST_TEST((old->token("token-a")->status == auth::TokenStatus::Enabled));
  BOOST_TEST(old->token("token-a")->passwords[0].hash == old_hash);
  BOOST_TEST(old->token("token-b") != nullptr);
  BOOST_TEST(old->generation("token-a") == old_generation);
  BOOST_TEST(old->scope_maps.at("shared-map").actions == std::vector<std::string>{"repositories/a/content/read"});
  const auth::PermissionSet* old_permissions = old->permissions_of(*old->token("token-a"));
  BOOST_REQUIRE(old_permissions);
  BOOST_TEST((old_permissions->repository_actions("a") == auth::kContentRead));

  const auto now = control->snapshot();
  BOOST_TEST(now->version == old_version + 4);
  const auth::PermissionSet* new_permissions = now->permissions_of(*now->token("token-a"));
  BOOST_REQUIRE(new_permissions);
  BOOST_TEST(new_permissions->repository_actions("a").empty());
  BOOST_TEST((new_permissions->repository_actions("other") == auth::kContentWrite));
}

// Failed requests change nothing: no version bump, no generation bump.
BOOST_AUTO_TEST_CASE(refused_changes_publish_nothing) {
  const auto before = control->snapshot();
  api_error_of([&] { control->delete_scope_map("shared-map"); });
  api_error_of([&] { control->patch_token("token-a", {{"status", "sleeping"}}); });
  api_error_of([&] { control->put_scope_map("_repositories_pull", {{"actions", json::array()}}); });
  BOOST_TEST(control->snapshot() == before);
}

// Writers are serialized and readers never see a half-made change: each snapshot's version matches its content.
BOOST_AUTO_TEST_CASE(concurrent_writers_and_readers) {
  constexpr int kPerWriter = 20;
  const uint64_t start_version = control->snapshot()->version;
  const size_t start_tokens = control->snapshot()->tokens.size();
  std::atomic<bool> done{false};
  bool readers_consistent = true;
  std::thread reader([&] {
    uint64_t last = 0;
    while (!done.load()) {
      const auto snapshot = control->snapshot();
      // Only token creations happen below, one per version.
      if (snapshot->version < last || snapshot->tokens.size() - start_tokens != snapshot->version - start_version)
        readers_consistent = false;
      last = snapshot->version;
    }
  });
  const auto writer = [&](const std::string& prefix) {
    for (int i = 0; i < kPerWriter; ++i)
      control->put_token(prefix + std::to_string(i), {{"scopeMap", "shared-map"}, {"noPasswords", true}});
  };
  std::thread one(writer, "writer-one-"), two(writer, "writer-two-");
  one.join();
  two.join();
  done = true;
  reader.join();
  BOOST_TEST(readers_consistent);
  BOOST_TEST(control->snapshot()->tokens.size() == start_tokens + 2 * kPerWriter);
  BOOST_TEST(control->snapshot()->version == start_version + 2 * kPerWriter);
}

BOOST_AUTO_TEST_SUITE_END()
