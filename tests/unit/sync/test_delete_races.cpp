// Deletes and untags meeting pushes and tag moves above (SPEC 5.1, 5.7), end to end in virtual time. Each case is a
// bug the simulator found once `delete` joined the scenario workload (scenarios/token-churn.json): a node, or its
// whole subtree, kept a tag the cloud no longer had, or never got one the cloud had, for good.
#include <boost/test/data/test_case.hpp>
#include <boost/test/unit_test.hpp>

#include "tests/unit/sync/hierarchy_world.h"

namespace outpost::test {

namespace {
using namespace std::chrono_literals;
// `sync`: the connected registry's sync settings, when not the defaults (a message TTL).
nlohmann::json resource(const std::string& mode, const nlohmann::json& parent,
                        const nlohmann::json& sync = nlohmann::json::object()) {
  nlohmann::json properties = {{"mode", mode}, {"parent", parent}, {"repositories", {"apps/*"}}};
  if (!sync.empty()) properties["sync"] = sync;
  return properties;
}

// A ReadWrite node under the cloud, ready; its client's credentials.
std::pair<std::string, std::string> started_factory(HierarchyWorld& world,
                                                    const nlohmann::json& sync = nlohmann::json::object()) {
  const auto factory = world.add_connected_registry("factory", resource("ReadWrite", nullptr, sync), kWriteApps);
  BOOST_REQUIRE(world.run_until([&] { return world.node("factory").node->agent()->ready(); }, 1min));
  return factory;
}

// Where apps/tool:1 points at the cloud, and at the factory: what every factory case below is about.
std::string tool_at_cloud(HierarchyWorld& world) {
  return world.tag_digest("cloud:5000", world.admin(), "apps/tool", "1");
}
std::string tool_at_factory(HierarchyWorld& world, const std::pair<std::string, std::string>& factory) {
  return world.tag_digest("factory:5000", factory, "apps/tool", "1");
}

// apps/tool:1 reaches `digest` ("" for none) at the cloud and at the factory, and stays so.
void expect_tool_on_both_sides_for_good(HierarchyWorld& world, const std::pair<std::string, std::string>& factory,
                                        const std::string& digest) {
  BOOST_TEST(world.run_until(
      [&] { return tool_at_cloud(world) == digest && tool_at_factory(world, factory) == digest; }, 5min));
  world.loop().run_until(world.loop().now() + 2min);
  BOOST_TEST(tool_at_cloud(world) == digest);
  BOOST_TEST(tool_at_factory(world, factory) == digest);
}

// apps/tool:1 pushed at the factory (content from `seed`) and seen at the cloud; its digest.
std::string push_tool_and_sync(HierarchyWorld& world, const std::pair<std::string, std::string>& factory,
                               const std::string& seed) {
  const std::string digest = world.push_image("factory:5000", factory, "apps/tool", "1", seed);
  BOOST_REQUIRE(world.run_until([&] { return tool_at_cloud(world) == digest; }, 5min));
  return digest;
}

// What a HEAD of apps/multi's manifest `digest` at `authority` answers.
int multi_at(HierarchyWorld& world, const std::string& authority, const std::pair<std::string, std::string>& user,
             const std::string& digest) {
  return world.call(authority, http::Method::Head, "/v2/apps/multi/manifests/" + digest, user).status;
}

// A ready factory whose client pushed apps/multi:amd and apps/multi:arm, both seen at the cloud: what the index cases
// make an index of. The answer to the factory's PUT of `held_target` is held while `holding`.
struct TwoImagesAtFactory {
  // What the factory's hook reads comes before the world, which outlives it otherwise (its nodes stop with it).
  bool holding = false;
  std::string held_target;
  HierarchyWorld world;
  std::pair<std::string, std::string> factory;
  std::string amd, arm;
  LossyClient* client = nullptr;

  explicit TwoImagesAtFactory(std::string held) : held_target(std::move(held)) {
    world.next_node_faults.hold_answer = [this](const http::ClientRequest& request) {
      return holding && request.method == http::Method::Put && request.target == held_target;
    };
    factory = started_factory(world);
    amd = world.push_image("factory:5000", factory, "apps/multi", "amd", "amd");
    arm = world.push_image("factory:5000", factory, "apps/multi", "arm", "arm");
    BOOST_REQUIRE(world.run_until([&] { return at("cloud:5000", world.admin(), arm) == 200; }, 5min));
    client = world.node("factory").lossy_client.get();
  }
  int at(const std::string& authority, const std::pair<std::string, std::string>& user, const std::string& digest) {
    return multi_at(world, authority, user, digest);
  }
  void delete_at_cloud(const std::string& digest) {
    BOOST_REQUIRE_EQUAL(
        world.call("cloud:5000", http::Method::Delete, "/v2/apps/multi/manifests/" + digest, world.admin()).status, 202);
  }
  bool arm_tag_gone_at_factory() { return world.tag_digest("factory:5000", factory, "apps/multi", "arm").empty(); }
  // What every index case ends with: apps/multi:arm's image gone at the factory as at the cloud, and staying so.
  void expect_arm_gone_on_both_sides_for_good() {
    BOOST_TEST(world.run_until([&] { return at("factory:5000", factory, arm) == 404; }, 5min));
    world.loop().run_until(world.loop().now() + 2min);
    BOOST_TEST(at("factory:5000", factory, arm) == 404);
    BOOST_TEST(at("cloud:5000", world.admin(), arm) == 404);
  }
};

void cut(HierarchyWorld& world, const std::string& node, bool down) {
  world.network().set_link_down(node, "cloud:5001", down);
  world.network().set_link_down(node, "cloud:5000", down);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(delete_races)

// A node deletes its own pushed manifest (the delete goes up and takes the tag above with it), then pushes the same
// tag again. What it had last seen of the tag above still named the deleted manifest, so the parent's missing tag read
// as the parent's own removal, a conflict the parent won: the new push lost its tag here and never got one above.
// SPEC 5.6, 5.7: only a 404 says the parent has no such tag. A proxy's 408 or 400 on the HEAD that reads the parent's
// value of a tag a client moved here was read as "removed above": a conflict the parent won, and the client's move,
// acknowledged, was deleted here and never went up. Now the push is tried again, and goes up.
BOOST_DATA_TEST_CASE(a_refusal_on_the_way_is_not_the_parents_value_of_a_tag, boost::unit_test::data::make({408, 400}),
                     status) {
  bool refuse_next_head = false;  // read by the factory's hook: declared before the world, which outlives it otherwise
  int refused = 0;
  HierarchyWorld world;
  world.next_node_faults.answer_instead = [&](const http::ClientRequest& request) -> std::optional<http::ClientResult> {
    if (!refuse_next_head || request.method != http::Method::Head || request.target != "/v2/apps/tool/manifests/1")
      return std::nullopt;
    refuse_next_head = false;
    ++refused;
    return http::ClientResult{http::ClientResponse{status, {}, ""}, {}};
  };
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "first");
  refuse_next_head = true;
  const std::string moved = world.push_image("factory:5000", factory, "apps/tool", "1", "moved");
  BOOST_TEST(world.run_until([&] { return tool_at_cloud(world) == moved; }, 10min));
  BOOST_TEST(refused == 1);
  BOOST_TEST(world.tag_digest("factory:5000", factory, "apps/tool", "1") == moved);
}

BOOST_AUTO_TEST_CASE(a_tag_pushed_again_after_its_manifest_was_deleted_goes_up) {
  HierarchyWorld world;
  const auto factory = started_factory(world);
  const std::string first = push_tool_and_sync(world, factory, "first");
  BOOST_REQUIRE_EQUAL(
      world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + first, factory).status, 202);
  BOOST_REQUIRE(world.run_until([&] { return tool_at_cloud(world).empty(); }, 5min));

  const std::string second = world.push_image("factory:5000", factory, "apps/tool", "1", "second");
  BOOST_TEST(world.run_until([&] { return tool_at_cloud(world) == second; }, 5min));
  BOOST_TEST(tool_at_factory(world, factory) == second);
}

// Below a cut, a node misses that the cloud moved a tag and then deleted the manifest it moved to. Once back, the
// move's message names a manifest the parent no longer has, and the delete's names only that digest: the node kept
// the tag's old value for good, which the cloud had not had since the move.
BOOST_AUTO_TEST_CASE(a_tag_moved_to_a_manifest_deleted_since_is_removed_below) {
  HierarchyWorld world;
  const auto store = world.add_connected_registry("store", resource("ReadOnly", nullptr), kReadApps);
  const std::string old_value = world.push_image("cloud:5000", world.admin(), "apps/web", "1", "old");
  BOOST_REQUIRE(world.run_until(
      [&] { return world.tag_digest("store:5000", store, "apps/web", "1") == old_value; }, 5min));

  cut(world, "store", true);
  const std::string moved = world.push_image("cloud:5000", world.admin(), "apps/web", "1", "moved");
  BOOST_REQUIRE_EQUAL(
      world.call("cloud:5000", http::Method::Delete, "/v2/apps/web/manifests/" + moved, world.admin()).status, 202);
  world.loop().run_until(world.loop().now() + 2min);
  cut(world, "store", false);

  BOOST_TEST(world.run_until([&] { return world.tag_digest("store:5000", store, "apps/web", "1").empty(); }, 5min));
  BOOST_TEST(world.tag_digest("cloud:5000", world.admin(), "apps/web", "1").empty());
}

// A node untags while cut off, and the cloud moves the same tag meanwhile: the parent's value wins (SPEC 5.7), so
// the node must end with the cloud's value. It ended with no tag at all when the cloud's news came down before the
// untag went up: the news left the tag to the untag's push, which then only noted that the parent had moved it.
BOOST_AUTO_TEST_CASE(an_untag_that_meets_a_move_above_takes_the_parents_value) {
  HierarchyWorld world;
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "ours");

  cut(world, "factory", true);
  BOOST_REQUIRE_EQUAL(world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", factory).status,
                      202);
  const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
  world.loop().run_until(world.loop().now() + 2min);
  cut(world, "factory", false);

  BOOST_TEST(world.run_until([&] { return tool_at_factory(world, factory) == theirs; }, 5min));
  BOOST_TEST(tool_at_cloud(world) == theirs);
}

BOOST_AUTO_TEST_CASE(an_untag_goes_up_to_a_parent_that_negotiates_manifest_types) {
  // The untag's push looks at the parent's tag first. It asked without an Accept header, which a negotiating parent
  // answers 404 for an OCI manifest: the untag found "nothing there" and never went up.
  HierarchyWorld world;
  world.next_node_faults.negotiating = true;
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "ours");
  BOOST_REQUIRE_EQUAL(world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", factory).status,
                      202);
  BOOST_TEST(world.run_until([&] { return tool_at_cloud(world).empty(); }, 5min));
  BOOST_TEST(world.node("factory").lossy_client->unnegotiated() == 0u);
}

// The same with a push instead of an untag, its manifest deleted here before it could go up: the push's journal entry
// found nothing to send and ended there, leaving the tag it was to settle without the parent's value.
BOOST_AUTO_TEST_CASE(a_push_deleted_before_it_went_up_still_takes_the_parents_value_of_its_tag) {
  HierarchyWorld world;
  const auto factory = started_factory(world);

  cut(world, "factory", true);
  const std::string ours = world.push_image("factory:5000", factory, "apps/tool", "1", "ours");
  BOOST_REQUIRE_EQUAL(
      world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + ours, factory).status, 202);
  const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
  world.loop().run_until(world.loop().now() + 2min);
  cut(world, "factory", false);

  BOOST_TEST(world.run_until([&] { return tool_at_factory(world, factory) == theirs; }, 5min));
  BOOST_TEST(tool_at_cloud(world) == theirs);
}

// While cut off, a node's client tags again a manifest the cloud deletes meanwhile (a copy of apps/tool:1 to
// apps/tool:2 there). The new tag is an acknowledged push (SPEC 5.6) and must reach the cloud; the parent's delete takes
// only what the cloud had, tag 1. When the delete came down before the push went up, it removed the manifest here, and
// the push's journal entry, finding it gone, took it for a delete made here: the new tag was lost on both sides. Which
// loop goes first after the cut depends on when it ends, so the cut lasts from 5 s to about a minute, in 3 s steps
// (about half of them failed).
BOOST_AUTO_TEST_CASE(a_tag_pushed_below_on_a_manifest_the_cloud_deleted_meanwhile_reaches_the_cloud) {
  for (int cut_seconds = 5; cut_seconds <= 65; cut_seconds += 3) {
    BOOST_TEST_CONTEXT("cut for " << cut_seconds << " s") {
      HierarchyWorld world;
      const auto factory = started_factory(world);
      const std::string image = push_tool_and_sync(world, factory, "ours");

      cut(world, "factory", true);
      BOOST_REQUIRE_EQUAL(
          world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + image, world.admin()).status,
          202);
      BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", factory, "apps/tool", "2", "ours"), image);
      world.loop().run_until(world.loop().now() + std::chrono::seconds(cut_seconds));
      cut(world, "factory", false);

      const auto tag_2 = [&](const std::string& authority, const std::pair<std::string, std::string>& user) {
        return world.tag_digest(authority, user, "apps/tool", "2");
      };
      BOOST_TEST(world.run_until([&] { return tag_2("cloud:5000", world.admin()) == image; }, 5min));
      world.loop().run_until(world.loop().now() + 2min);  // and it stays so, on both sides
      BOOST_TEST(tag_2("cloud:5000", world.admin()) == image);
      BOOST_TEST(tag_2("factory:5000", factory) == image);
      // Tag 1 went with the manifest above, and so below.
      BOOST_TEST(tool_at_cloud(world).empty());
      BOOST_TEST(tool_at_factory(world, factory).empty());
    }
  }
}

// The same new tag, but the cloud deletes the manifest after the tag's push landed there, and its message comes down
// before the node hears the push's answer: the node kept the manifest for a push that was in fact older than the
// delete, and kept apps/tool:2 for good while the cloud had neither. The delete is the newer, and applies here too.
BOOST_AUTO_TEST_CASE(a_delete_above_after_the_tag_went_up_is_applied_below_too) {
  HierarchyWorld world;
  bool holding = false;
  world.next_node_faults.hold_answer = [&holding](const http::ClientRequest& request) {
    return holding && request.method == http::Method::Put && request.target == "/v2/apps/tool/manifests/2";
  };
  const auto factory = started_factory(world);
  const std::string image = push_tool_and_sync(world, factory, "ours");
  auto& client = *world.node("factory").lossy_client;

  holding = true;
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", factory, "apps/tool", "2", "ours"), image);
  BOOST_REQUIRE(world.run_until([&] { return client.held() > 0; }, 5min));  // landed above, the answer held
  BOOST_REQUIRE(world.tag_digest("cloud:5000", world.admin(), "apps/tool", "2") == image);
  BOOST_REQUIRE_EQUAL(
      world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + image, world.admin()).status, 202);
  // The delete comes down while the push waits for its answer: tag 1 goes below, the manifest stays for the push.
  BOOST_REQUIRE(world.run_until([&] { return tool_at_factory(world, factory).empty(); }, 5min));
  holding = false;
  client.release_held();

  const auto tag_2_at_factory = [&] { return world.tag_digest("factory:5000", factory, "apps/tool", "2"); };
  BOOST_TEST(world.run_until([&] { return tag_2_at_factory().empty(); }, 5min));
  world.loop().run_until(world.loop().now() + 2min);  // and it stays so
  BOOST_TEST(tag_2_at_factory().empty());
  BOOST_TEST(world.tag_digest("cloud:5000", world.admin(), "apps/tool", "2").empty());
  BOOST_TEST(world.call("factory:5000", http::Method::Head, "/v2/apps/tool/manifests/" + image, factory).status == 404);
}

// The same, but the first HEAD that looks for the delete above is answered `instead` (a lost answer, a refusal; none:
// asked as usual), and `meanwhile` runs as the push's answer comes. Then the delete is applied here all the same, and
// the manifest is gone on both sides. (The push was tried again whole: its PUT made the manifest above again, undoing
// the newer delete on both sides for good.)
void delete_after_the_push_survives_a_failed_settle(std::optional<http::ClientResult> instead,
                                                     const std::function<void(HierarchyWorld&,
                                                                              const std::pair<std::string, std::string>&)>&
                                                         meanwhile,
                                                     const std::function<void(HierarchyWorld&)>& at_the_end = {},
                                                     bool hold_the_manifests_put = false,
                                                     bool tag_2_synced_before = false) {
  // What the factory's hooks read comes before the world, which outlives it otherwise (its nodes stop with it).
  bool holding = false;
  std::string image;  // known once pushed; the HEAD answered instead is the first one for it after the delete above
  bool answer_next_head = false;
  int heads_answered = 0;
  HierarchyWorld world;
  world.next_node_faults.hold_answer = [&](const http::ClientRequest& request) {  // the tag's PUT, or the manifest's
    return holding && request.method == http::Method::Put &&
           request.target == "/v2/apps/tool/manifests/" + (hold_the_manifests_put ? image : "2");
  };
  world.next_node_faults.answer_instead = [&](const http::ClientRequest& request) -> std::optional<http::ClientResult> {
    if (!instead || !answer_next_head || request.method != http::Method::Head ||
        request.target != "/v2/apps/tool/manifests/" + image)
      return std::nullopt;
    answer_next_head = false;
    ++heads_answered;
    return instead;
  };
  const auto factory = started_factory(world);
  if (tag_2_synced_before) {  // apps/tool:2 at another image, seen above: what the factory last saw of it there
    const std::string before = world.push_image("factory:5000", factory, "apps/tool", "2", "before");
    BOOST_REQUIRE(world.run_until(
        [&] { return world.tag_digest("cloud:5000", world.admin(), "apps/tool", "2") == before; }, 5min));
  }
  image = push_tool_and_sync(world, factory, "ours");
  auto& client = *world.node("factory").lossy_client;

  holding = true;
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", factory, "apps/tool", "2", "ours"), image);
  BOOST_REQUIRE(world.run_until([&] { return client.held() > 0; }, 5min));  // landed above, the answer held
  BOOST_REQUIRE_EQUAL(
      world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + image, world.admin()).status, 202);
  BOOST_REQUIRE(world.run_until([&] { return tool_at_factory(world, factory).empty(); }, 5min));
  holding = false;
  answer_next_head = true;
  meanwhile(world, factory);
  client.release_held();

  const auto tag_2_at_factory = [&] { return world.tag_digest("factory:5000", factory, "apps/tool", "2"); };
  const auto image_at = [&](const std::string& authority, const std::pair<std::string, std::string>& user) {
    return world.call(authority, http::Method::Head, "/v2/apps/tool/manifests/" + image, user).status;
  };
  BOOST_TEST(world.run_until([&] { return image_at("factory:5000", factory) == 404; }, 5min));
  world.loop().run_until(world.loop().now() + 2min);  // and it stays so
  BOOST_TEST(heads_answered == (instead ? 1 : 0));
  BOOST_TEST(tag_2_at_factory().empty());
  BOOST_TEST(world.tag_digest("cloud:5000", world.admin(), "apps/tool", "2").empty());
  BOOST_TEST(image_at("cloud:5000", world.admin()) == 404);
  BOOST_TEST(image_at("factory:5000", factory) == 404);
  if (at_the_end) at_the_end(world);
}

BOOST_AUTO_TEST_CASE(a_delete_above_after_the_tag_went_up_is_applied_below_after_a_lost_answer_too) {
  delete_after_the_push_survives_a_failed_settle(http::ClientResult{std::nullopt, "reading: Connection reset by peer"},
                                                 [](HierarchyWorld&, const std::pair<std::string, std::string>&) {});
}

// The tag's PUT landed above and its answer is lost: the entry is tried again after the delete above. It settles before
// it moves the tag, and pushes no manifest. (Marked as landed only once the whole entry went up, the retry pushed the
// manifest and its tag again: the cloud's newer delete was undone on both sides.)
BOOST_AUTO_TEST_CASE(a_delete_above_after_the_tag_went_up_is_applied_below_after_the_tags_answer_was_lost) {
  delete_after_the_push_survives_a_failed_settle(std::nullopt,
                                                 [](HierarchyWorld& world, const std::pair<std::string, std::string>&) {
                                                   world.node("factory").lossy_client->lose_held();
                                                 });
}

// The same with apps/tool:2 moved from an image seen above: the retried tag step finds the tag gone above, and the
// node's value gone with it (the settling deleted its manifest here too). No conflict is counted: the parent
// overruled nothing of the node's. (It was counted, and warned of as "the parent's value wins".)
BOOST_AUTO_TEST_CASE(a_tag_moved_whose_manifest_a_delete_above_took_after_it_went_up_is_no_conflict) {
  delete_after_the_push_survives_a_failed_settle(
      std::nullopt,
      [](HierarchyWorld& world, const std::pair<std::string, std::string>&) {
        world.node("factory").lossy_client->lose_held();
      },
      [](HierarchyWorld& world) {
        std::string metrics;
        world.node("factory").node->agent()->render_metrics(metrics);
        BOOST_TEST(metrics.find("\noutpost_sync_conflicts_total 0\n") != std::string::npos, metrics);
      },
      false, true);
}

// The manifest's own PUT landed above and its answer is slow: the delete above comes down meanwhile. It is asked about
// before the tag moves. (Asked only once the whole entry went up, the tag's PUT had made the manifest above again:
// the cloud's newer delete was undone on both sides.)
BOOST_AUTO_TEST_CASE(a_delete_above_while_the_manifests_answer_is_on_its_way_is_applied_below_too) {
  delete_after_the_push_survives_a_failed_settle(
      std::nullopt, [](HierarchyWorld&, const std::pair<std::string, std::string>&) {}, {}, true);
}

// Refused, the HEAD holds apps/tool for a while, and another repository's push goes up meanwhile: what the node
// remembers of the landed push is its own, not the last push's (it was one place, which the other push took).
BOOST_AUTO_TEST_CASE(a_delete_above_after_the_tag_went_up_is_applied_below_after_a_refusal_and_another_push) {
  std::string lib;
  delete_after_the_push_survives_a_failed_settle(
      http::ClientResult{http::ClientResponse{403, {}, R"({"errors":[{"code":"DENIED","message":"no"}]})"}, {}},
      [&lib](HierarchyWorld& world, const std::pair<std::string, std::string>& factory) {
        lib = world.push_image("factory:5000", factory, "apps/lib", "1", "lib");
      },
      [&lib](HierarchyWorld& world) {  // the other push did go up
        BOOST_TEST(world.tag_digest("cloud:5000", world.admin(), "apps/lib", "1") == lib);
      });
}

// A factory pushes an index of two images it pushed before; the index's push puts both above again, and lands. The
// cloud then deletes one of the two (a delete by digest is allowed), and that delete comes down while the push waits
// for its answer: the image stays at the factory for the index's push. Once answered, the factory asks about it as
// about the index itself, and deletes it too. (Only the index was asked about: the image stayed at the factory for
// good, gone above.)
BOOST_AUTO_TEST_CASE(a_manifest_an_index_names_deleted_above_after_the_push_is_applied_below_too) {
  TwoImagesAtFactory at("/v2/apps/multi/manifests/1");
  at.holding = true;
  const std::string index = at.world.push_index("factory:5000", at.factory, at.amd, at.arm);
  BOOST_REQUIRE(at.world.run_until([&] { return at.client->held() > 0; }, 5min));  // landed above, the answer held
  at.delete_at_cloud(at.arm);
  BOOST_REQUIRE(at.world.run_until([&] { return at.arm_tag_gone_at_factory(); }, 5min));  // came down: the image stays
  BOOST_REQUIRE_EQUAL(at.at("factory:5000", at.factory, at.arm), 200);
  at.holding = false;
  at.client->release_held();

  at.expect_arm_gone_on_both_sides_for_good();
  BOOST_TEST(at.world.tag_digest("cloud:5000", at.world.admin(), "apps/multi", "1") == index);
  BOOST_TEST(at.world.tag_digest("factory:5000", at.factory, "apps/multi", "1") == index);
}

// The same, but the cloud deletes the index too, before that image: the settling before the tag step deletes the index
// here, and the image kept for it is asked about all the same. (Its children were read from the index's record, gone
// by then: the image stayed at the factory for good, gone above.)
BOOST_AUTO_TEST_CASE(an_index_and_a_manifest_it_names_deleted_above_after_the_push_are_deleted_below_too) {
  TwoImagesAtFactory at("");  // the index's own PUT by digest, once its digest is known
  at.holding = true;
  const std::string index = at.world.push_index("factory:5000", at.factory, at.amd, at.arm);
  at.held_target = "/v2/apps/multi/manifests/" + index;  // (before the push loop sends it)
  BOOST_REQUIRE(at.world.run_until([&] { return at.client->held() > 0; }, 5min));  // landed above, the answer held
  at.delete_at_cloud(index);
  at.delete_at_cloud(at.arm);
  BOOST_REQUIRE(at.world.run_until([&] { return at.arm_tag_gone_at_factory(); }, 5min));  // both came down
  at.holding = false;
  at.client->release_held();

  at.expect_arm_gone_on_both_sides_for_good();
  BOOST_TEST(at.at("factory:5000", at.factory, index) == 404);
  BOOST_TEST(at.at("cloud:5000", at.world.admin(), index) == 404);
  BOOST_TEST(at.at("factory:5000", at.factory, at.amd) == 200);
}

// An index waits to go up behind another repository's push; the cloud deletes one of the images it names (kept here
// for the index), then a client here deletes the index. The index never goes up, and the image kept for it takes the
// cloud's delete. (Only the index's own digest was asked about: the image stayed at the factory for good, gone above.)
BOOST_AUTO_TEST_CASE(a_manifest_kept_for_an_index_deleted_here_before_it_went_up_takes_the_delete_above) {
  TwoImagesAtFactory at("/v2/apps/other/manifests/x");
  at.holding = true;
  at.world.push_image("factory:5000", at.factory, "apps/other", "x", "other");  // its tag's answer holds the push loop
  BOOST_REQUIRE(at.world.run_until([&] { return at.client->held() > 0; }, 5min));
  const std::string index = at.world.push_index("factory:5000", at.factory, at.amd, at.arm);
  at.delete_at_cloud(at.arm);
  BOOST_REQUIRE(at.world.run_until([&] { return at.arm_tag_gone_at_factory(); }, 5min));
  BOOST_REQUIRE_EQUAL(at.at("factory:5000", at.factory, at.arm), 200);  // kept for the index
  BOOST_REQUIRE_EQUAL(
      at.world.call("factory:5000", http::Method::Delete, "/v2/apps/multi/manifests/" + index, at.factory).status,
      202);
  at.holding = false;
  at.client->release_held();

  at.expect_arm_gone_on_both_sides_for_good();
  BOOST_TEST(at.at("factory:5000", at.factory, index) == 404);
  BOOST_TEST(at.at("cloud:5000", at.world.admin(), index) == 404);
}

// A factory whose push of apps/tool:2 (the image the cloud has as apps/tool:1) landed above, and whose image the cloud
// then deleted (that delete came down while the push's answer waited: kept for the push); `before_asking` runs then.
// Once built, the HEAD that looks for that delete above has been asked and its answer waits for release(): what
// happens meanwhile is what a case is about.
struct SettlingAsked {
  // What the factory's hook reads comes before the world, which outlives it otherwise (its nodes stop with it).
  bool holding_put = false;
  bool holding_head = false;
  std::string image;
  HierarchyWorld world;
  std::pair<std::string, std::string> factory;
  LossyClient* client = nullptr;

  explicit SettlingAsked(const std::function<void(SettlingAsked&)>& before_asking) {
    world.next_node_faults.hold_answer = [this](const http::ClientRequest& request) {
      if (holding_put && request.method == http::Method::Put && request.target == "/v2/apps/tool/manifests/2")
        return true;
      if (holding_head && request.method == http::Method::Head &&
          request.target == "/v2/apps/tool/manifests/" + image) {
        holding_head = false;  // this one only
        return true;
      }
      return false;
    };
    factory = started_factory(world);
    image = push_tool_and_sync(world, factory, "ours");
    client = world.node("factory").lossy_client.get();

    holding_put = true;
    BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", factory, "apps/tool", "2", "ours"), image);
    BOOST_REQUIRE(world.run_until([&] { return client->held() > 0; }, 5min));  // landed above, the answer held
    delete_at_cloud();
    BOOST_REQUIRE(world.run_until([&] { return tool_at_factory(world, factory).empty(); }, 5min));  // came down
    before_asking(*this);
    holding_put = false;
    holding_head = true;
    client->release_held();
    BOOST_REQUIRE(world.run_until([&] { return !holding_head && client->held() > 0; }, 5min));  // asked, held
  }
  void delete_at_cloud() {
    BOOST_REQUIRE_EQUAL(
        world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + image, world.admin()).status, 202);
  }
  void release() { client->release_held(); }
  int image_at(const std::string& authority, const std::pair<std::string, std::string>& user) {
    return world.call(authority, http::Method::Head, "/v2/apps/tool/manifests/" + image, user).status;
  }
  std::string tag_at(const std::string& authority, const std::pair<std::string, std::string>& user,
                     const std::string& tag) {
    return world.tag_digest(authority, user, "apps/tool", tag);
  }
};

// The HEAD finds the manifest there (pushed again at the cloud, as apps/tool:3), and while its answer is on the way
// the cloud deletes it again, and that delete comes down. The answer is older than that delete: asked again, the node
// finds it gone and deletes it too. (The answer was taken as the last word: the manifest stayed at the factory for
// good, gone above.)
BOOST_AUTO_TEST_CASE(a_delete_that_comes_down_while_the_settling_asks_is_asked_about_again) {
  SettlingAsked at([](SettlingAsked& at) {
    BOOST_REQUIRE_EQUAL(at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "3", "ours"), at.image);
  });
  // Deleted again above while that answer is on its way, and that delete comes down (tag 3 goes here with it).
  at.delete_at_cloud();
  BOOST_REQUIRE(at.world.run_until(
      [&] { return at.tag_at("factory:5000", at.factory, "3").empty() && at.client->held() > 0; }, 5min));
  at.release();

  BOOST_TEST(at.world.run_until([&] { return at.image_at("factory:5000", at.factory) == 404; }, 5min));
  at.world.loop().run_until(at.world.loop().now() + 2min);  // and it stays so
  BOOST_TEST(at.image_at("cloud:5000", at.world.admin()) == 404);
  BOOST_TEST(at.image_at("factory:5000", at.factory) == 404);
  BOOST_TEST(at.tag_at("factory:5000", at.factory, "2").empty());
}

// The HEAD finds the manifest gone, and while its answer is on the way the cloud pushes it again (apps/tool:3), and
// that news comes down. The answer is older than that push: asked again, the node finds it there and keeps it, with
// tag 3. (The answer was taken as the last word: the manifest and tag 3 went here, and no later news named them, so
// the factory lacked what the cloud had until a full resync.)
BOOST_AUTO_TEST_CASE(a_push_above_that_comes_down_while_the_settling_asks_is_not_undone_by_its_answer) {
  SettlingAsked at([](SettlingAsked&) {});
  BOOST_REQUIRE_EQUAL(at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "3", "ours"), at.image);
  BOOST_REQUIRE(at.world.run_until(
      [&] { return at.tag_at("factory:5000", at.factory, "3") == at.image && at.client->held() > 0; }, 5min));
  at.release();

  at.world.loop().run_until(at.world.loop().now() + 2min);
  BOOST_TEST(at.tag_at("cloud:5000", at.world.admin(), "3") == at.image);
  BOOST_TEST(at.tag_at("factory:5000", at.factory, "3") == at.image);
  BOOST_TEST(at.image_at("factory:5000", at.factory) == 200);
  BOOST_TEST(at.tag_at("cloud:5000", at.world.admin(), "2").empty());
  BOOST_TEST(at.tag_at("factory:5000", at.factory, "2").empty());
}

// The HEAD finds the manifest gone, and while its answer is on the way a client at the factory pushes the same image
// again (apps/tool:5). That push is newer than the delete: the manifest stays, and goes up with its tag. (Deleted here
// on the answer, the client's acknowledged push was lost on both sides.)
BOOST_AUTO_TEST_CASE(a_client_push_while_the_settling_asks_is_not_deleted_by_its_answer) {
  SettlingAsked at([](SettlingAsked&) {});
  BOOST_REQUIRE_EQUAL(at.world.push_image("factory:5000", at.factory, "apps/tool", "5", "ours"), at.image);
  at.release();

  BOOST_TEST(at.world.run_until([&] { return at.tag_at("cloud:5000", at.world.admin(), "5") == at.image; }, 5min));
  at.world.loop().run_until(at.world.loop().now() + 2min);  // and it stays so
  BOOST_TEST(at.tag_at("cloud:5000", at.world.admin(), "5") == at.image);
  BOOST_TEST(at.tag_at("factory:5000", at.factory, "5") == at.image);
}

// The cloud deletes an image the factory synced, its tag with it, and the factory applies that; later a client there
// pushes the tag anew. What the factory last saw of the tag above still named the deleted manifest, so the parent's
// missing tag read as the parent's own removal, a conflict the parent won: the new push lost its tag on both sides.
BOOST_AUTO_TEST_CASE(a_tag_pushed_after_the_parent_deleted_its_manifest_goes_up) {
  HierarchyWorld world;
  const auto factory = started_factory(world);
  const std::string old = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "old");
  BOOST_REQUIRE(world.run_until([&] { return tool_at_factory(world, factory) == old; }, 5min));
  BOOST_REQUIRE_EQUAL(
      world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + old, world.admin()).status, 202);
  BOOST_REQUIRE(world.run_until([&] { return tool_at_factory(world, factory).empty(); }, 5min));

  const std::string fresh = world.push_image("factory:5000", factory, "apps/tool", "1", "new");
  BOOST_TEST(world.run_until([&] { return tool_at_cloud(world) == fresh; }, 5min));
  world.loop().run_until(world.loop().now() + 2min);
  BOOST_TEST(tool_at_cloud(world) == fresh);
  BOOST_TEST(tool_at_factory(world, factory) == fresh);
}

// Taking the parent's value for a change that cannot go up must leave a later change of the same tag to settle itself
// against what the node last saw above (found in review of the fixes above). Here an untag meets a move above and a
// later push of the tag waits behind it: the move still wins over that push (SPEC 5.7).
BOOST_AUTO_TEST_CASE(a_later_push_behind_an_untag_still_loses_to_a_move_above) {
  HierarchyWorld world;
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "first");

  cut(world, "factory", true);
  BOOST_REQUIRE_EQUAL(world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", factory).status,
                      202);
  world.push_image("factory:5000", factory, "apps/tool", "1", "ours");
  const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
  world.loop().run_until(world.loop().now() + 2min);
  cut(world, "factory", false);

  BOOST_TEST(world.run_until([&] { return tool_at_factory(world, factory) == theirs; }, 5min));
  world.loop().run_until(world.loop().now() + 2min);  // and it stays so
  BOOST_TEST(tool_at_cloud(world) == theirs);
  BOOST_TEST(tool_at_factory(world, factory) == theirs);
}

// And here the node's later changes remove the tag, the parent having left it alone: the node's last word holds on
// both sides, not the value the first change would have taken from above.
BOOST_AUTO_TEST_CASE(later_changes_that_remove_the_tag_are_not_undone_by_the_parents_old_value) {
  HierarchyWorld world;
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "first");

  cut(world, "factory", true);
  const std::string deleted = world.push_image("factory:5000", factory, "apps/tool", "1", "deleted");
  world.push_image("factory:5000", factory, "apps/tool", "1", "then");
  BOOST_REQUIRE_EQUAL(world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", factory).status,
                      202);
  BOOST_REQUIRE_EQUAL(
      world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + deleted, factory).status, 202);
  world.loop().run_until(world.loop().now() + 2min);
  cut(world, "factory", false);

  BOOST_TEST(world.run_until([&] { return tool_at_cloud(world).empty(); }, 5min));
  world.loop().run_until(world.loop().now() + 2min);
  BOOST_TEST(tool_at_factory(world, factory).empty());
  BOOST_TEST(tool_at_cloud(world).empty());
}

// The same rule for a push that meets a move above, whose conflict branch took the parent's value (and so what the node
// last saw above) whatever waited behind it: a second push of the tag, waiting, then won over the move.
BOOST_AUTO_TEST_CASE(a_second_push_behind_a_first_still_loses_to_a_move_above) {
  HierarchyWorld world;
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "first");

  cut(world, "factory", true);
  world.push_image("factory:5000", factory, "apps/tool", "1", "ours");
  world.push_image("factory:5000", factory, "apps/tool", "1", "ours again");
  const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
  world.loop().run_until(world.loop().now() + 2min);
  cut(world, "factory", false);

  BOOST_TEST(world.run_until([&] { return tool_at_factory(world, factory) == theirs; }, 5min));
  world.loop().run_until(world.loop().now() + 2min);
  BOOST_TEST(tool_at_cloud(world) == theirs);
  BOOST_TEST(tool_at_factory(world, factory) == theirs);
}

// A client changes a tag here while the node fetches the parent's news of the same tag: `client_change` makes the
// change at the factory and returns the value it leaves ("" for none). The news was applied over the client's
// acknowledged change: the client read the parent's value back here, for as long as its change took to go up and its
// echo to come down (for good while the link stayed down), though that change then won above (made after the node
// last saw the parent's value). The client's change stays here now, and goes up.
void a_clients_change_while_the_parents_value_is_fetched_stays_here(
    const std::function<std::string(HierarchyWorld&, const std::pair<std::string, std::string>&)>& client_change) {
  bool holding = false;  // the factory's GET of a apps/tool manifest: answered once released
  bool pushes_fail = false;  // everything else the factory sends to the cloud's content: a reset connection
  HierarchyWorld world;
  world.next_node_faults.hold_answer = [&](const http::ClientRequest& request) {
    return holding && request.method == http::Method::Get && request.target.starts_with("/v2/apps/tool/manifests/");
  };
  world.next_node_faults.answer_instead = [&](const http::ClientRequest& request) -> std::optional<http::ClientResult> {
    if (!pushes_fail || request.method == http::Method::Get || !request.target.starts_with("/v2/")) return std::nullopt;
    return http::ClientResult{std::nullopt, "reading: Connection reset by peer"};
  };
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "first");
  LossyClient& client = *world.node("factory").lossy_client;

  holding = pushes_fail = true;
  const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
  BOOST_REQUIRE(world.run_until([&] { return client.held() == 1; }, 5min));
  const std::string ours = client_change(world, factory);
  client.release_held();
  holding = false;
  BOOST_REQUIRE(world.run_until([&] {
    return world.call("factory:5000", http::Method::Head, "/v2/apps/tool/manifests/" + theirs, factory).status == 200;
  }, 5min));
  BOOST_TEST(tool_at_factory(world, factory) == ours);

  pushes_fail = false;
  expect_tool_on_both_sides_for_good(world, factory, ours);
}

BOOST_AUTO_TEST_CASE(a_clients_move_while_the_parents_value_is_fetched_stays_here) {
  a_clients_change_while_the_parents_value_is_fetched_stays_here(
      [](HierarchyWorld& world, const std::pair<std::string, std::string>& factory) {
        return world.push_image("factory:5000", factory, "apps/tool", "1", "ours");
      });
}

BOOST_AUTO_TEST_CASE(a_clients_untag_while_the_parents_value_is_fetched_stays_here) {
  a_clients_change_while_the_parents_value_is_fetched_stays_here(
      [](HierarchyWorld& world, const std::pair<std::string, std::string>& factory) {
        BOOST_REQUIRE_EQUAL(
            world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", factory).status, 202);
        return std::string();
      });
}

// The cloud moves a tag after the factory's PUT of it landed there, and that news comes down while the PUT's answer is
// on its way (the tag's change still waiting here, so the news is left to its push). The move is the newer: the
// cloud's value wins on both sides. (The PUT's answer was taken as the last word: the factory kept its own value and
// the cloud the newer one, for good; found in review.)
// `change_above` changes apps/tool:1 at the cloud and runs until its news came down (left to the push), and returns
// the tag's new value there ("" for none). With `hold_the_fetch`, the factory's GET of an apps/tool manifest by digest
// is held with the PUT's answer, and both are released together.
void a_change_above_while_the_tags_answer_is_on_its_way_wins_below_too(
    const std::function<std::string(HierarchyWorld&, const std::pair<std::string, std::string>&)>& change_above,
    bool hold_the_fetch = false) {
  bool holding = false;
  HierarchyWorld world;
  world.next_node_faults.hold_answer = [&](const http::ClientRequest& request) {
    return holding && ((request.method == http::Method::Put && request.target == "/v2/apps/tool/manifests/1") ||
                       (hold_the_fetch && request.method == http::Method::Get &&
                        request.target.starts_with("/v2/apps/tool/manifests/sha256:")));
  };
  const auto factory = started_factory(world);
  push_tool_and_sync(world, factory, "first");
  auto& client = *world.node("factory").lossy_client;

  holding = true;
  const std::string ours = world.push_image("factory:5000", factory, "apps/tool", "1", "ours");
  BOOST_REQUIRE(world.run_until([&] { return client.held() > 0; }, 5min));  // landed above, the answer held
  BOOST_REQUIRE(tool_at_cloud(world) == ours);
  const std::string theirs = change_above(world, factory);
  BOOST_REQUIRE(tool_at_factory(world, factory) == ours);  // left to the push
  holding = false;
  client.release_held();

  expect_tool_on_both_sides_for_good(world, factory, theirs);
}

BOOST_AUTO_TEST_CASE(a_move_above_while_the_tags_answer_is_on_its_way_wins_below_too) {
  a_change_above_while_the_tags_answer_is_on_its_way_wins_below_too(
      [](HierarchyWorld& world, const std::pair<std::string, std::string>& factory) {
        const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
        BOOST_REQUIRE(world.run_until([&] {  // the news came down: the manifest is here
          return world.call("factory:5000", http::Method::Head, "/v2/apps/tool/manifests/" + theirs, factory)
                     .status == 200;
        }, 5min));
        return theirs;
      });
}

// The same while the image the cloud moved the tag to is still being fetched when the PUT's answer comes (the news
// was told to the push only once fetched: the push had ended by then, and nothing took the news up).
BOOST_AUTO_TEST_CASE(a_move_above_fetched_while_the_tags_answer_comes_wins_below_too) {
  a_change_above_while_the_tags_answer_is_on_its_way_wins_below_too(
      [](HierarchyWorld& world, const std::pair<std::string, std::string>&) {
        const std::string theirs = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
        auto& client = *world.node("factory").lossy_client;
        BOOST_REQUIRE(world.run_until([&] { return client.held() == 2; }, 5min));  // the news came: its fetch held
        return theirs;
      },
      true);
}

// The same with an untag above: the tag goes on both sides.
BOOST_AUTO_TEST_CASE(an_untag_above_while_the_tags_answer_is_on_its_way_wins_below_too) {
  a_change_above_while_the_tags_answer_is_on_its_way_wins_below_too(
      [](HierarchyWorld& world, const std::pair<std::string, std::string>&) {
        BOOST_REQUIRE_EQUAL(
            world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", world.admin()).status, 202);
        world.loop().run_until(world.loop().now() + 1min);  // its news comes down within a long poll (30 s)
        return std::string();
      });
}

// A ready factory whose apps/tool:1 is synced, whose PUTs of that tag (or the requests `held_method` `held_target`)
// have their answer held while `holding`, and whose DELETEs to the cloud fail (a reset, counted) while
// `deletes_fail`: what a client's delete behind its push meets.
struct TagAnswerAndDeletesHeld {
  // What the factory's hooks read comes before the world, which outlives it otherwise (its nodes stop with it).
  bool holding = false;
  http::Method held_method = http::Method::Put;
  std::string held_target = "/v2/apps/tool/manifests/1";
  bool deletes_fail = false;
  int deletes_tried = 0;
  HierarchyWorld world;
  std::pair<std::string, std::string> factory;
  LossyClient* client = nullptr;

  explicit TagAnswerAndDeletesHeld(const nlohmann::json& factory_sync = nlohmann::json::object()) {
    world.next_node_faults.hold_answer = [this](const http::ClientRequest& request) {
      return holding && request.method == held_method && request.target == held_target;
    };
    world.next_node_faults.answer_instead = [this](const http::ClientRequest& request)
        -> std::optional<http::ClientResult> {
      if (!deletes_fail || request.method != http::Method::Delete) return std::nullopt;
      ++deletes_tried;
      return http::ClientResult{std::nullopt, "reading: Connection reset by peer"};
    };
    factory = started_factory(world, factory_sync);
    push_tool_and_sync(world, factory, "first");
    client = world.node("factory").lossy_client.get();
  }
  // A client's push of apps/tool:1 (content from `seed`) lands above, its answer held; its digest.
  std::string push_landed_above(const std::string& seed) {
    holding = deletes_fail = true;
    const std::string digest = world.push_image("factory:5000", factory, "apps/tool", "1", seed);
    BOOST_REQUIRE(world.run_until([&] { return client->held() > 0; }, 5min));
    BOOST_REQUIRE(tool_at_cloud(world) == digest);
    return digest;
  }
  // A client at the factory deletes `digest` there (the delete held back from the cloud).
  void delete_here(const std::string& digest) {
    BOOST_REQUIRE_EQUAL(
        world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + digest, factory).status, 202);
  }
  // The answer released, and run until the push is done (the delete behind it is tried next).
  void finish_the_push() {
    holding = false;
    client->release_held();
    BOOST_REQUIRE(world.run_until([&] { return deletes_tried > 0; }, 5min));
  }
  int image_at(const std::string& authority, const std::pair<std::string, std::string>& user,
               const std::string& digest) {
    return world.call(authority, http::Method::Head, "/v2/apps/tool/manifests/" + digest, user).status;
  }
};

// A client pushes apps/tool:1 and then deletes its image here while the tag's answer is on its way; the echo of that
// tag comes down meanwhile (told to the push). Asking the parent again once the push is done finds the image there,
// whose delete goes up next: it is not taken back here. (It was: the image came back at the factory, the client's
// acknowledged delete undone until that delete went up and its news came down; found in review.)
BOOST_AUTO_TEST_CASE(a_clients_delete_behind_its_push_is_not_undone_by_the_news_of_the_push) {
  TagAnswerAndDeletesHeld at;
  const std::string ours = at.push_landed_above("ours");
  at.delete_here(ours);
  at.world.loop().run_until(at.world.loop().now() + 1min);  // the tag's echo comes down within a long poll (30 s)
  at.finish_the_push();
  BOOST_TEST(at.image_at("factory:5000", at.factory, ours) == 404);

  at.deletes_fail = false;
  BOOST_TEST(at.world.run_until([&] { return at.image_at("cloud:5000", at.world.admin(), ours) == 404; }, 5min));
  expect_tool_on_both_sides_for_good(at.world, at.factory, "");
  BOOST_TEST(at.image_at("factory:5000", at.factory, ours) == 404);
}

// The same, but the cloud moved apps/tool:1 (while the factory's PUT of it waited for its answer) to an image the
// factory has as apps/tool:2, and a client there deleted that image: the delete takes the tag above when it goes up,
// so it goes here too. (Left at the factory's value, it stayed so there, gone above, for good; found in review.)
BOOST_AUTO_TEST_CASE(a_move_above_to_an_image_a_client_deleted_here_takes_the_tag_here_too) {
  TagAnswerAndDeletesHeld at;
  const std::string other = at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "2", "other");
  BOOST_REQUIRE(at.world.run_until(
      [&] { return at.world.tag_digest("factory:5000", at.factory, "apps/tool", "2") == other; }, 5min));
  at.push_landed_above("ours");
  BOOST_REQUIRE_EQUAL(at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "1", "other"), other);
  at.world.loop().run_until(at.world.loop().now() + 1min);  // the move's news comes down within a long poll (30 s)
  at.delete_here(other);
  at.finish_the_push();

  at.deletes_fail = false;
  expect_tool_on_both_sides_for_good(at.world, at.factory, "");
  BOOST_TEST(at.world.tag_digest("cloud:5000", at.world.admin(), "apps/tool", "2").empty());
  BOOST_TEST(at.world.tag_digest("factory:5000", at.factory, "apps/tool", "2").empty());
}

// The cloud moves apps/tool:1 to an image that a client at the factory deleted there, the delete still to go up. That
// delete takes the tag above when it goes up, so the tag goes at the factory too. (The news only skipped the image:
// the factory kept the tag's old value, the cloud none once the delete went up, for good; found in review.)
BOOST_AUTO_TEST_CASE(a_move_above_to_an_image_deleted_here_takes_the_tag_here_too) {
  TagAnswerAndDeletesHeld at;
  const std::string other = at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "2", "other");
  BOOST_REQUIRE(at.world.run_until(
      [&] { return at.world.tag_digest("factory:5000", at.factory, "apps/tool", "2") == other; }, 5min));
  at.deletes_fail = true;
  at.delete_here(other);
  BOOST_REQUIRE_EQUAL(at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "1", "other"), other);
  BOOST_TEST(at.world.run_until([&] { return tool_at_factory(at.world, at.factory).empty(); }, 5min));

  at.deletes_fail = false;
  expect_tool_on_both_sides_for_good(at.world, at.factory, "");
  BOOST_TEST(at.world.tag_digest("cloud:5000", at.world.admin(), "apps/tool", "2").empty());
}

// The same, but the factory was cut off for longer than its messages live: the move is not news it reads but a tag
// the parent lists in the full resync that follows (SPEC 5.5). That listing names an image whose delete goes up next,
// so the tag goes here too. (The resync skipped the image but counted the tag as listed: the factory kept its old
// value, the cloud none once the delete went up, for good.)
BOOST_AUTO_TEST_CASE(a_move_above_to_an_image_deleted_here_listed_in_a_full_resync_takes_the_tag_here_too) {
  TagAnswerAndDeletesHeld at(nlohmann::json{{"messageTtl", "P1D"}});
  const std::string other = at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "2", "other");
  BOOST_REQUIRE(at.world.run_until(
      [&] { return at.world.tag_digest("factory:5000", at.factory, "apps/tool", "2") == other; }, 5min));
  cut(at.world, "factory", true);
  at.world.loop().run_until(at.world.loop().now() + 2min);  // the long poll in flight (30 s) ends before the changes
  at.delete_here(other);  // (its delete cannot go up while the link is cut)
  BOOST_REQUIRE_EQUAL(at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "1", "other"), other);
  at.world.loop().run_until(at.world.loop().now() + 48h);  // the move's message outlives the one-day TTL

  at.deletes_fail = true;  // nor once it is back, before the resync
  const uint64_t inventories_before = at.world.network().requests_to("cloud:5001", "/gateway/v1/factory/inventory");
  cut(at.world, "factory", false);
  BOOST_REQUIRE(at.world.run_until([&] {
    return at.world.network().requests_to("cloud:5001", "/gateway/v1/factory/inventory") > inventories_before;
  }, 5min));
  BOOST_TEST(at.world.run_until([&] { return tool_at_factory(at.world, at.factory).empty(); }, 5min));

  at.deletes_fail = false;
  expect_tool_on_both_sides_for_good(at.world, at.factory, "");
  BOOST_TEST(at.world.tag_digest("cloud:5000", at.world.admin(), "apps/tool", "2").empty());
}

// Cut off as long, the factory misses the cloud's move of apps/tool:1 to another image, which the cloud deletes while
// the inventory listing the move is on its way down: the resync cannot fetch it, and the news of that delete, after
// the resync's cursor, names no tag. The tag goes at the factory too. (It kept its old value there, gone above, for
// good; found in review.)
BOOST_AUTO_TEST_CASE(a_tag_listed_in_a_full_resync_at_an_image_deleted_above_since_goes_here_too) {
  TagAnswerAndDeletesHeld at(nlohmann::json{{"messageTtl", "P1D"}});
  cut(at.world, "factory", true);
  at.world.loop().run_until(at.world.loop().now() + 2min);  // the long poll in flight (30 s) ends before the move
  const std::string other = at.world.push_image("cloud:5000", at.world.admin(), "apps/tool", "1", "other");
  at.world.loop().run_until(at.world.loop().now() + 48h);  // the move's message outlives the one-day TTL

  at.held_method = http::Method::Get;
  at.held_target = "/gateway/v1/factory/inventory";
  at.holding = true;
  cut(at.world, "factory", false);
  BOOST_REQUIRE(at.world.run_until([&] { return at.client->held() > 0; }, 5min));
  BOOST_REQUIRE_EQUAL(
      at.world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + other, at.world.admin()).status,
      202);
  at.holding = false;
  at.client->release_held();
  expect_tool_on_both_sides_for_good(at.world, at.factory, "");
  BOOST_TEST(at.image_at("factory:5000", at.factory, other) == 404);
}

// A client's move of apps/tool:1 lands above, its answer held, and the factory hears nothing from the cloud
// meanwhile (its message reads fail, so no echo of the move comes down to tell the push). It is then cut off for longer
// than its messages live, and the cloud changes the tag (`change_above`, which returns the tag's new value there, ""
// for none). The resync that follows lists the tag at the cloud's value and leaves it to the push, whose change still
// waits in the journal; once the push's answer comes, it asks the parent again, and the cloud's value, the newer, wins
// on both sides. (The resync left the tag without telling the push: the PUT's answer was taken as the last word, and
// the factory kept its own value for good; found in review.)
void a_change_above_missed_while_the_tags_answer_is_on_its_way_wins_below_after_a_resync(
    const std::function<std::string(HierarchyWorld&)>& change_above) {
  bool holding = false;
  bool reads_fail = false;
  HierarchyWorld world;
  world.next_node_faults.hold_answer = [&](const http::ClientRequest& request) {
    return holding && request.method == http::Method::Put && request.target == "/v2/apps/tool/manifests/1";
  };
  world.next_node_faults.answer_instead = [&](const http::ClientRequest& request) -> std::optional<http::ClientResult> {
    if (!reads_fail || request.target.find("/messages") == std::string::npos) return std::nullopt;
    return http::ClientResult{std::nullopt, "reading: Connection reset by peer"};
  };
  const auto factory = started_factory(world, nlohmann::json{{"messageTtl", "P1D"}});
  push_tool_and_sync(world, factory, "first");
  auto& client = *world.node("factory").lossy_client;
  reads_fail = true;
  world.loop().run_until(world.loop().now() + 1min);  // the read in flight (a 30 s long poll) ends first

  holding = true;
  const std::string ours = world.push_image("factory:5000", factory, "apps/tool", "1", "ours");
  BOOST_REQUIRE(world.run_until([&] { return client.held() > 0; }, 5min));  // landed above, the answer held
  BOOST_REQUIRE(tool_at_cloud(world) == ours);
  cut(world, "factory", true);
  const std::string theirs = change_above(world);
  world.loop().run_until(world.loop().now() + 48h);  // the change's message outlives the one-day TTL

  reads_fail = false;
  const uint64_t inventories_before = world.network().requests_to("cloud:5001", "/gateway/v1/factory/inventory");
  cut(world, "factory", false);
  BOOST_REQUIRE(world.run_until([&] {
    return world.network().requests_to("cloud:5001", "/gateway/v1/factory/inventory") > inventories_before;
  }, 5min));
  world.loop().run_until(world.loop().now() + 1min);  // the resync done, the push's answer still held
  BOOST_REQUIRE(client.held() > 0);
  BOOST_REQUIRE(tool_at_factory(world, factory) == ours);  // left to the push
  holding = false;
  client.release_held();
  expect_tool_on_both_sides_for_good(world, factory, theirs);
}

BOOST_AUTO_TEST_CASE(a_move_above_missed_while_the_tags_answer_is_on_its_way_wins_below_after_a_resync) {
  a_change_above_missed_while_the_tags_answer_is_on_its_way_wins_below_after_a_resync([](HierarchyWorld& world) {
    return world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "theirs");
  });
}

BOOST_AUTO_TEST_CASE(an_untag_above_missed_while_the_tags_answer_is_on_its_way_wins_below_after_a_resync) {
  a_change_above_missed_while_the_tags_answer_is_on_its_way_wins_below_after_a_resync([](HierarchyWorld& world) {
    BOOST_REQUIRE_EQUAL(
        world.call("cloud:5000", http::Method::Delete, "/v2/apps/tool/manifests/1", world.admin()).status, 202);
    return std::string();
  });
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::test
