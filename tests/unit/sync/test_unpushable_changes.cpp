// Changes of the push-up journal that cannot go up as they are (SPEC 5.6: acknowledged pushes go up; nothing is lost):
// a manifest damaged here, a blob or an index's manifest gone from here, a parent tag this node cannot fetch. Each
// holds back its own repository only, is reported in the node's status, and goes up once a client pushes the content
// again. Before, a damaged manifest stopped the whole journal for good (and the node reported its parent Offline),
// a missing part was taken for a delete made here and the change dropped, and an unfetchable parent tag stopped the
// whole journal too.
#include <limits>

#include <boost/test/unit_test.hpp>

#include "reference/storage/memory_blob_store.h"
#include "tests/unit/sync/hierarchy_world.h"

namespace outpost::test {

namespace {
using namespace std::chrono_literals;

// At `authority`: two images and an index of them as apps/multi:1, then the second image deleted there by a client
// (a delete by digest is allowed).
struct IndexMissingAManifest {
  std::string amd, arm, index;
};
IndexMissingAManifest index_with_a_manifest_deleted(HierarchyWorld& world, const std::string& authority,
                                                    const std::pair<std::string, std::string>& user) {
  IndexMissingAManifest made;
  made.amd = world.push_image(authority, user, "apps/multi", "amd", "amd");
  made.arm = world.push_image(authority, user, "apps/multi", "arm", "arm");
  made.index = world.push_index(authority, user, made.amd, made.arm);
  BOOST_REQUIRE_EQUAL(world.call(authority, http::Method::Delete, "/v2/apps/multi/manifests/" + made.arm, user).status,
                      202);
  return made;
}
// A ReadWrite factory under the cloud, ready, then cut off from it: what its clients push waits in its journal.
struct CutOffFactory {
  HierarchyWorld world;
  std::pair<std::string, std::string> client;

  CutOffFactory() {
    client = world.add_connected_registry(
        "factory", {{"mode", "ReadWrite"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kWriteApps);
    BOOST_REQUIRE(world.run_until([&] { return agent().ready(); }, 1min));
    cut(true);
  }
  sync::SyncAgent& agent() { return *world.node("factory").node->agent(); }
  void cut(bool down) {
    world.network().set_link_down("factory", "cloud:5001", down);
    world.network().set_link_down("factory", "cloud:5000", down);
  }
  std::string at_cloud(const std::string& repository, const std::string& tag) {
    return world.tag_digest("cloud:5000", world.admin(), repository, tag);
  }
  // The held repositories the cloud shows for the factory, by status code ("PushRejected", "PushRefused").
  std::vector<std::string> reported_at_cloud(const std::string& code) {
    std::vector<std::string> descriptions;
    const auto shown = world.manage(http::Method::Get, "connectedRegistries/factory");
    for (const auto& detail : shown.value("statusDetails", nlohmann::json::array()))
      if (detail.value("code", "") == code) descriptions.push_back(detail.value("description", ""));
    return descriptions;
  }
  bool reported(const std::string& code, const std::string& part) {
    for (const auto& description : reported_at_cloud(code))
      if (description.find(part) != std::string::npos) return true;
    return false;
  }
  storage::MemoryBlobStore& blobs() { return world.blobs_of("factory"); }
  void damage(const std::string& digest_text) { world.damage("factory", digest_text); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(unpushable_changes)

BOOST_FIXTURE_TEST_CASE(a_manifest_damaged_here_holds_back_only_its_repository_until_pushed_again, CutOffFactory) {
  const std::string bad = world.push_image("factory:5000", client, "apps/bad", "1", "bad");
  const std::string good = world.push_image("factory:5000", client, "apps/good", "1", "good");  // journalled after
  damage(bad);
  cut(false);

  BOOST_TEST(world.run_until([&] { return at_cloud("apps/good", "1") == good; }, 5min));
  BOOST_TEST(world.run_until([&] { return reported("PushRejected", "'apps/bad'"); }, 30min));
  BOOST_TEST(reported("PushRejected", "do not match its digest"));
  BOOST_TEST((agent().state() == sync::ConnectionState::Online));  // the parent is fine: this node's copy is not
  BOOST_TEST(agent().status().at("pendingPushes") == 1u);
  BOOST_TEST(at_cloud("apps/bad", "1").empty());

  // The client pushes the image again: its bytes replace the damaged ones, and the held change goes up at once
  // (the push may be the repair: the hold's backoff cap, 30 s, is not waited out), followed by the new one.
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/bad", "1", "bad"), bad);
  BOOST_TEST(world.run_until([&] { return at_cloud("apps/bad", "1") == bad; }, 5s));
  BOOST_TEST(world.run_until([&] { return reported_at_cloud("PushRejected").empty(); }, 30min));
  BOOST_TEST(agent().status().at("pendingPushes") == 0u);
}

BOOST_FIXTURE_TEST_CASE(a_layer_gone_from_here_keeps_its_change_until_pushed_again, CutOffFactory) {
  const std::string lost = world.push_image("factory:5000", client, "apps/lost", "1", "lost");
  BOOST_REQUIRE(blobs().remove(*oci::Digest::parse(image_layer_digest("lost"))));
  cut(false);

  BOOST_TEST(world.run_until([&] { return reported("PushRejected", "is gone from this node"); }, 30min));
  BOOST_TEST(agent().status().at("pendingPushes") == 1u);  // kept, not taken for a delete made here
  BOOST_TEST(at_cloud("apps/lost", "1").empty());

  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/lost", "1", "lost"), lost);
  BOOST_TEST(world.run_until([&] { return at_cloud("apps/lost", "1") == lost; }, 5s));
  BOOST_TEST(world.run_until([&] { return agent().status().at("pendingPushes") == 0u; }, 5min));
}

// The cloud holds an index one of whose manifests was deleted there (a delete by digest is allowed), under a tag the
// factory moved meanwhile: the push of the factory's move meets the parent's tag (a conflict, SPEC 5.7), whose index
// cannot be fetched. That stopped the whole journal, every repository's changes, for good.
BOOST_FIXTURE_TEST_CASE(a_parent_tag_on_an_index_missing_a_manifest_does_not_stop_the_journal, CutOffFactory) {
  const std::string amd = world.push_image("cloud:5000", world.admin(), "apps/multi", "amd", "amd");
  const std::string arm = world.push_image("cloud:5000", world.admin(), "apps/multi", "arm", "arm");
  const std::string index = world.push_index("cloud:5000", world.admin(), amd, arm);
  BOOST_REQUIRE_EQUAL(
      world.call("cloud:5000", http::Method::Delete, "/v2/apps/multi/manifests/" + arm, world.admin()).status, 202);

  const std::string ours = world.push_image("factory:5000", client, "apps/multi", "1", "ours");
  const std::string later = world.push_image("factory:5000", client, "apps/later", "1", "later");
  cut(false);

  BOOST_TEST(world.run_until([&] { return at_cloud("apps/later", "1") == later; }, 5min));
  BOOST_TEST(world.run_until([&] { return agent().status().at("pendingPushes") == 0u; }, 5min));
  // The parent's value wins (SPEC 5.7), even one it cannot serve whole: the factory's own value goes (its manifest
  // stays reachable by digest), rather than stay there and below it for good.
  BOOST_TEST(at_cloud("apps/multi", "1") == index);
  BOOST_TEST(world.tag_digest("factory:5000", client, "apps/multi", "1").empty());
  BOOST_TEST(world.call("factory:5000", http::Method::Head, "/v2/apps/multi/manifests/" + ours, client).status == 200);
}

// A bit flipped in a layer keeps its size, so a client's HEAD at the factory still finds it and the client never sends
// it again; the parent turns the damaged bytes down (400 DIGEST_INVALID). The factory drops them, as a full resync
// drops damaged content: its HEAD then answers 404, the client's push repairs the layer, and the change goes up.
// The layer's links stay: another repository's manifest here names the same layer, and the repair through one
// repository serves it through both again.
BOOST_FIXTURE_TEST_CASE(a_layer_damaged_here_is_dropped_so_that_a_push_repairs_it, CutOffFactory) {
  const std::string image = world.push_image("factory:5000", client, "apps/rot", "1", "rot");
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/rot2", "1", "rot"), image);  // the same layer
  const std::string layer = image_layer_digest("rot");
  damage(layer);
  cut(false);

  BOOST_TEST(world.run_until([&] { return reported("PushRejected", "is damaged on this node and was dropped"); },
                             30min));
  BOOST_TEST(at_cloud("apps/rot", "1").empty());
  BOOST_TEST(world.call("factory:5000", http::Method::Head, "/v2/apps/rot/blobs/" + layer, client).status == 404);

  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/rot", "1", "rot"), image);
  BOOST_TEST(world.run_until([&] { return at_cloud("apps/rot", "1") == image; }, 5s));
  BOOST_TEST(world.call("factory:5000", http::Method::Get, "/v2/apps/rot2/blobs/" + layer, client).status == 200);
  // The other repository's change waited for the same layer: it goes up when its hold ends (30 s after it began).
  BOOST_TEST(world.run_until([&] { return at_cloud("apps/rot2", "1") == image; }, 30s));
  BOOST_TEST(world.run_until([&] { return agent().status().at("pendingPushes") == 0u; }, 5min));
}

// A client at the cut-off factory pushes an index, then deletes one of its manifests there (a delete by digest is
// allowed) before anything went up: the index can never go up, and its change is dropped, leaving the index and its
// tag here as the client left them. Held for the missing manifest, it held back every later change of the
// repository, that delete's own too, for good; settled as deleted here, it removed the client's tag from the index.
BOOST_FIXTURE_TEST_CASE(an_index_whose_manifest_a_client_deleted_here_does_not_hold_back_its_repository, CutOffFactory) {
  const auto [amd, arm, index] = index_with_a_manifest_deleted(world, "factory:5000", client);
  const std::string later = world.push_image("factory:5000", client, "apps/multi", "2", "later");
  cut(false);

  BOOST_TEST(world.run_until([&] { return at_cloud("apps/multi", "2") == later; }, 5min));
  BOOST_TEST(world.run_until([&] { return agent().status().at("pendingPushes") == 0u; }, 5min));
  BOOST_TEST(at_cloud("apps/multi", "amd") == amd);
  BOOST_TEST(at_cloud("apps/multi", "1").empty());
  BOOST_TEST(world.tag_digest("factory:5000", client, "apps/multi", "1") == index);
  BOOST_TEST(reported_at_cloud("PushRejected").empty());
  // Reported, not only logged: the cloud hears that the index is at the factory only.
  BOOST_REQUIRE(world.run_until([&] { return reported("PushDropped", index); }, 30min));
  BOOST_TEST(reported("PushDropped", "was deleted here before it went up"));

  // The client deletes the index here: nothing is left here that is not above, and the report goes.
  BOOST_REQUIRE_EQUAL(
      world.call("factory:5000", http::Method::Delete, "/v2/apps/multi/manifests/" + index, client).status, 202);
  BOOST_TEST(world.run_until([&] { return reported_at_cloud("PushDropped").empty(); }, 30min));
}

// The same dropped index, then pushed again by the client with the manifest it names: it goes up, and the cloud no
// longer hears that it is at the factory only.
BOOST_FIXTURE_TEST_CASE(a_dropped_index_pushed_again_whole_goes_up_and_is_no_longer_reported, CutOffFactory) {
  const auto [amd, arm, index] = index_with_a_manifest_deleted(world, "factory:5000", client);
  cut(false);
  BOOST_REQUIRE(world.run_until([&] { return reported("PushDropped", index); }, 30min));

  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/multi", "arm", "arm"), arm);
  BOOST_REQUIRE_EQUAL(world.push_index("factory:5000", client, amd, arm), index);
  BOOST_TEST(world.run_until([&] { return at_cloud("apps/multi", "1") == index; }, 5min));
  BOOST_TEST(world.run_until([&] { return reported_at_cloud("PushDropped").empty(); }, 30min));
}

// The same delete made after the manifest went up: the parent holds it, so the index goes up before the delete
// follows it there.
BOOST_FIXTURE_TEST_CASE(an_index_whose_manifest_went_up_before_it_was_deleted_here_goes_up, CutOffFactory) {
  cut(false);
  const std::string amd = world.push_image("factory:5000", client, "apps/multi", "amd", "amd");
  const std::string arm = world.push_image("factory:5000", client, "apps/multi", "arm", "arm");
  BOOST_REQUIRE(world.run_until([&] { return at_cloud("apps/multi", "arm") == arm; }, 5min));
  cut(true);
  const std::string index = world.push_index("factory:5000", client, amd, arm);
  BOOST_REQUIRE_EQUAL(
      world.call("factory:5000", http::Method::Delete, "/v2/apps/multi/manifests/" + arm, client).status, 202);
  cut(false);

  BOOST_TEST(world.run_until([&] { return at_cloud("apps/multi", "1") == index; }, 5min));
  BOOST_TEST(world.run_until([&] { return agent().status().at("pendingPushes") == 0u; }, 5min));
  BOOST_TEST(world.call("cloud:5000", http::Method::Head, "/v2/apps/multi/manifests/" + arm, world.admin()).status ==
             404);  // the delete followed
  BOOST_TEST(world.tag_digest("factory:5000", client, "apps/multi", "1") == index);
}

// A client at the cut-off factory deletes one of an index's manifests there, then pushes it again while the index's
// push looks for it above (the look answered 404, but the manifest is back here): the push is tried again, and the
// index goes up. A race here (SyncFailure::Raced), not a parent out of reach: the node showed Offline until then.
BOOST_AUTO_TEST_CASE(a_manifest_pushed_again_while_its_index_looks_for_it_above_lets_the_index_go_up) {
  std::string arm;  // (before the world: its nodes' hook reads these until it is gone)
  sync::SyncAgent* agent = nullptr;
  bool released = false;
  bool offline_after = false;
  HierarchyWorld world;
  world.next_node_faults.hold_answer = [&](const http::ClientRequest& request) {
    if (released && agent->state() == sync::ConnectionState::Offline) offline_after = true;
    return !released && !arm.empty() && request.method == http::Method::Head &&
           request.target == "/v2/apps/multi/manifests/" + arm;
  };
  const auto client = world.add_connected_registry(
      "factory", {{"mode", "ReadWrite"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kWriteApps);
  WorldNode& factory = world.node("factory");
  agent = factory.node->agent();
  BOOST_REQUIRE(world.run_until([&] { return agent->ready(); }, 1min));
  for (const char* link : {"cloud:5001", "cloud:5000"}) world.network().set_link_down("factory", link, true);
  const IndexMissingAManifest made = index_with_a_manifest_deleted(world, "factory:5000", client);
  arm = made.arm;
  for (const char* link : {"cloud:5001", "cloud:5000"}) world.network().set_link_down("factory", link, false);

  // The index's push looks for the deleted manifest above; the answer (404) waits while the client pushes it again.
  BOOST_REQUIRE(world.run_until([&] { return factory.lossy_client->held() > 0; }, 5min));
  // (Back Online from the cut first: a pull round goes through meanwhile.)
  BOOST_REQUIRE(world.run_until([&] { return agent->state() == sync::ConnectionState::Online; }, 5min));
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/multi", "arm", "arm"), arm);
  const auto failures = [&] {
    std::string metrics;
    agent->render_metrics(metrics);
    const std::string name = "\noutpost_sync_failures_total ";
    const size_t at = metrics.find(name);
    return at == std::string::npos ? -1L : std::stol(metrics.substr(at + name.size()));
  };
  const long failed_before = failures();
  released = true;
  factory.lossy_client->release_held();
  BOOST_TEST(world.run_until(
      [&] { return world.tag_digest("cloud:5000", world.admin(), "apps/multi", "1") == made.index; }, 5min));
  BOOST_TEST(failures() == failed_before + 1);  // the race: the look's answer was about a manifest gone meanwhile
  BOOST_TEST(!offline_after);
}

// A client pushes the damaged layer again while the factory's push of the damaged bytes is on its way: the parent's
// 400 is about the bytes that were here before. The change is tried again at once, not after the 30 s cap.
BOOST_AUTO_TEST_CASE(a_push_during_a_failing_attempt_is_tried_again_at_once) {
  HierarchyWorld world;
  bool holding = true;
  const std::string layer_text = image_layer_digest("rot");
  world.next_node_faults.hold_answer = [&holding, layer_text](const http::ClientRequest& request) {
    return holding && request.method == http::Method::Post && request.target.ends_with("?digest=" + layer_text);
  };
  const auto client = world.add_connected_registry(
      "factory", {{"mode", "ReadWrite"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kWriteApps);
  WorldNode& factory = world.node("factory");
  BOOST_REQUIRE(world.run_until([&] { return factory.node->agent()->ready(); }, 1min));
  for (const char* link : {"cloud:5001", "cloud:5000"}) world.network().set_link_down("factory", link, true);
  const std::string image = world.push_image("factory:5000", client, "apps/rot", "1", "rot");
  const oci::Digest layer = *oci::Digest::parse(layer_text);
  auto& blobs = dynamic_cast<storage::MemoryBlobStore&>(*factory.storage->blobs);
  std::string damaged = image_layer("rot");
  damaged[damaged.size() / 2] ^= 1;
  blobs.remove(layer);
  blobs.insert(layer, damaged);
  for (const char* link : {"cloud:5001", "cloud:5000"}) world.network().set_link_down("factory", link, false);

  // The damaged bytes reached the parent; its answer waits. Meanwhile the client pushes the image again.
  BOOST_REQUIRE(world.run_until([&] { return factory.lossy_client->held() > 0; }, 5min));
  holding = false;
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/rot", "1", "rot"), image);
  factory.lossy_client->release_held();
  BOOST_TEST(world.run_until([&] { return world.tag_digest("cloud:5000", world.admin(), "apps/rot", "1") == image; },
                             10s));
}

// A client moves a tag the cloud has to a new image at the factory, then deletes that image there by digest (which
// takes the tag with it) while the move is on its way up, between the manifest's push and the tag's. The move and the
// delete together removed the tag: it goes at the cloud too. It kept its old value there for good, and came back down
// at the next full resync.
BOOST_AUTO_TEST_CASE(a_tag_moved_to_an_image_deleted_here_on_its_way_up_is_removed_above) {
  HierarchyWorld world;
  bool holding = false;
  world.next_node_faults.hold_answer = [&holding](const http::ClientRequest& request) {
    return holding && request.method == http::Method::Head && request.target == "/v2/apps/tool/manifests/1";
  };
  const auto client = world.add_connected_registry(
      "factory", {{"mode", "ReadWrite"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kWriteApps);
  WorldNode& factory = world.node("factory");
  BOOST_REQUIRE(world.run_until([&] { return factory.node->agent()->ready(); }, 1min));
  const auto at = [&](const std::string& where, const std::pair<std::string, std::string>& user) {
    return world.tag_digest(where, user, "apps/tool", "1");
  };
  const std::string old_value = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "old");
  BOOST_REQUIRE(world.run_until([&] { return at("factory:5000", client) == old_value; }, 5min));

  holding = true;  // the push's look at the tag above waits, once the manifest is up
  const std::string moved = world.push_image("factory:5000", client, "apps/tool", "1", "moved");
  BOOST_REQUIRE(world.run_until([&] { return factory.lossy_client->held() > 0; }, 5min));
  holding = false;
  BOOST_REQUIRE_EQUAL(
      world.call("factory:5000", http::Method::Delete, "/v2/apps/tool/manifests/" + moved, client).status, 202);
  factory.lossy_client->release_held();

  BOOST_TEST(world.run_until([&] { return at("cloud:5000", world.admin()).empty(); }, 5min));
  BOOST_TEST(world.run_until([&] { return factory.node->agent()->status().at("pendingPushes") == 0u; }, 5min));
  BOOST_TEST(at("factory:5000", client).empty());
}

// The parent held a layer when the factory looked (HEAD 200), and collected it before the manifest arrived (its gc of
// a blob nothing named there): the manifest PUT is answered MANIFEST_BLOB_UNKNOWN. The factory looks and sends again
// at once, rather than holding the repository for the backoff cap as for a change turned down.
BOOST_AUTO_TEST_CASE(a_layer_the_parent_collected_between_the_look_and_the_manifest_is_sent_again_at_once) {
  HierarchyWorld world;
  bool collect = true;
  const std::string layer = image_layer_digest("shared");
  world.next_node_faults.before_send = [&](const http::ClientRequest& request) {
    if (!collect || request.method != http::Method::Put || !request.target.starts_with("/v2/apps/tool/manifests/"))
      return;
    collect = false;
    world.cloud().storage->blobs->remove(*oci::Digest::parse(layer));
  };
  const auto client = world.add_connected_registry(
      "factory", {{"mode", "ReadWrite"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kWriteApps);
  BOOST_REQUIRE(world.run_until([&] { return world.node("factory").node->agent()->ready(); }, 1min));
  world.push_image("cloud:5000", world.admin(), "apps/base", "1", "shared");  // the same layer, in another repository
  const std::string image = world.push_image("factory:5000", client, "apps/tool", "1", "shared");
  BOOST_TEST(world.run_until([&] { return world.tag_digest("cloud:5000", world.admin(), "apps/tool", "1") == image; },
                             5s));
  BOOST_TEST(!collect);  // the layer was collected at the cloud on the way
}

// A client's push waiting to go up, of an image the cloud has too (as apps/tool:1), whose stored manifest a disk then
// damaged here, meets an operator's resync (SPEC 2.11), which checks every byte held. The client's tag is not lost: it
// reaches the cloud, and stays here, with the image's bytes whole again on both sides.
BOOST_FIXTURE_TEST_CASE(an_operators_resync_does_not_lose_a_damaged_push_that_waits_to_go_up, CutOffFactory) {
  cut(false);
  const std::string image = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "tool");
  const auto at_factory = [&](const std::string& tag) { return world.tag_digest("factory:5000", client, "apps/tool", tag); };
  BOOST_REQUIRE(world.run_until([&] { return at_factory("1") == image; }, 5min));
  cut(true);
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/tool", "2", "tool"), image);
  damage(image);
  world.manage(http::Method::Post, "connectedRegistries/factory/resync");
  cut(false);

  BOOST_TEST(world.run_until([&] { return at_cloud("apps/tool", "2") == image && at_factory("2") == image; }, 30min));
  world.loop().run_until(world.loop().now() + 5min);  // and it stays so
  BOOST_TEST(at_cloud("apps/tool", "2") == image);
  BOOST_TEST(at_factory("2") == image);
  BOOST_TEST(at_factory("1") == image);
  BOOST_TEST(oci::digest_of(world.held_bytes("factory", image)).str() == image);
}

// A ReadWrite factory under the cloud, ready, whose GETs of the parent's manifests that `refuses` picks are answered
// 404 while `refusals_left` lasts: a parent that cannot serve them for now.
struct FactoryRefusedSomeManifests {
  // What the factory's hook reads comes before the world, which outlives it otherwise (its nodes stop with it).
  int refusals_left = 0;
  int refused = 0;
  std::function<bool(const std::string& target)> refuses;
  HierarchyWorld world;
  std::pair<std::string, std::string> client;

  FactoryRefusedSomeManifests() {
    world.next_node_faults.answer_instead = [this](const http::ClientRequest& request) -> std::optional<http::ClientResult> {
      if (refusals_left == 0 || request.method != http::Method::Get || !refuses(request.target)) return std::nullopt;
      --refusals_left;
      ++refused;
      return http::ClientResult{
          http::ClientResponse{404, {}, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"no"}]})"}, {}};
    };
    client = world.add_connected_registry(
        "factory", {{"mode", "ReadWrite"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kWriteApps);
    BOOST_REQUIRE(world.run_until([&] { return world.node("factory").node->agent()->ready(); }, 1min));
  }
  void cut(bool down) {
    world.network().set_link_down("factory", "cloud:5001", down);
    world.network().set_link_down("factory", "cloud:5000", down);
  }
  std::string at_factory(const std::string& repository, const std::string& tag) {
    return world.tag_digest("factory:5000", client, repository, tag);
  }
};

// The same, but the parent cannot serve the image when the resync asks for it (a 404, once: deleted and pushed again
// there meanwhile, say). The damaged manifest stays, under the client's tags, and the parent's next news of it (the
// cloud pushes it as apps/tool:3) fetches it again: its bytes are whole, and the client's tag goes up. (Its bytes
// dropped and its record kept, that news found it held: a record without bytes, and the push held, for good.)
BOOST_FIXTURE_TEST_CASE(a_damaged_push_whose_repair_the_parent_could_not_serve_is_repaired_by_its_next_news,
                        FactoryRefusedSomeManifests) {
  refuses = [](const std::string& target) { return target.starts_with("/v2/apps/tool/manifests/sha256:"); };
  const auto at_factory = [&](const std::string& tag) { return this->at_factory("apps/tool", tag); };
  const std::string image = world.push_image("cloud:5000", world.admin(), "apps/tool", "1", "tool");
  BOOST_REQUIRE(world.run_until([&] { return at_factory("1") == image; }, 5min));
  cut(true);
  BOOST_REQUIRE_EQUAL(world.push_image("factory:5000", client, "apps/tool", "2", "tool"), image);
  world.damage("factory", image);
  refusals_left = 1;
  world.manage(http::Method::Post, "connectedRegistries/factory/resync");
  cut(false);
  BOOST_REQUIRE(world.run_until([&] { return refused > 0; }, 30min));  // the resync asked, and was refused

  BOOST_REQUIRE_EQUAL(world.push_image("cloud:5000", world.admin(), "apps/tool", "3", "tool"), image);
  BOOST_TEST(world.run_until(
      [&] { return world.tag_digest("cloud:5000", world.admin(), "apps/tool", "2") == image; }, 30min));
  BOOST_TEST(oci::digest_of(world.held_bytes("factory", image)).str() == image);
  BOOST_TEST(at_factory("2") == image);
  BOOST_TEST(at_factory("3") == image);
}

// The same for a manifest an index names (untagged: reached through the index only): a client pushes the index (the
// cloud has it too) again at the cut-off factory, and a disk damages one of the manifests it names there. The resync keeps both for the index's push, the parent
// cannot serve that manifest then, and the parent's next news of the index (pushed there as apps/multi:3) repairs it:
// the index's push goes up. (The index was fetched again, but the manifest it names, found held, was not looked at:
// the index's push was held until a client pushed the manifest again.)
BOOST_FIXTURE_TEST_CASE(a_damaged_manifest_an_index_push_names_is_repaired_by_news_of_the_index,
                        FactoryRefusedSomeManifests) {
  std::string arm;
  refuses = [&arm](const std::string& target) { return target == "/v2/apps/multi/manifests/" + arm; };
  const auto at_factory = [&](const std::string& tag) { return this->at_factory("apps/multi", tag); };
  const std::string amd = world.push_image("cloud:5000", world.admin(), "apps/multi", "amd", "amd");
  arm = world.push_image("cloud:5000", world.admin(), "apps/multi", "arm", "arm");
  const std::string index = world.push_index("cloud:5000", world.admin(), amd, arm);
  for (const char* tag : {"amd", "arm"})  // reached through the index only
    BOOST_REQUIRE_EQUAL(world.call("cloud:5000", http::Method::Delete, std::string("/v2/apps/multi/manifests/") + tag,
                                   world.admin()).status, 202);
  BOOST_REQUIRE(world.run_until([&] { return at_factory("1") == index && at_factory("arm").empty(); }, 5min));
  cut(true);
  BOOST_REQUIRE_EQUAL(world.push_index("factory:5000", client, amd, arm, "2"), index);
  world.damage("factory", arm);
  refusals_left = std::numeric_limits<int>::max();
  world.manage(http::Method::Post, "connectedRegistries/factory/resync");
  cut(false);
  BOOST_REQUIRE(world.run_until([&] { return refused > 0; }, 30min));  // the resync asked, and was refused
  world.loop().run_until(world.loop().now() + 5min);
  refusals_left = 0;

  BOOST_REQUIRE_EQUAL(world.push_index("cloud:5000", world.admin(), amd, arm, "3"), index);
  BOOST_TEST(world.run_until(
      [&] { return world.tag_digest("cloud:5000", world.admin(), "apps/multi", "2") == index; }, 30min));
  BOOST_TEST(oci::digest_of(world.held_bytes("factory", arm)).str() == arm);
  BOOST_TEST(at_factory("2") == index);
  BOOST_TEST(at_factory("3") == index);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::test
