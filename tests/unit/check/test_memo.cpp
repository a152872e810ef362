// The checks' shortcuts answer exactly as the plain reading they stand for: the gateway rights of an action list read
// once (GatewayIndex, WorldMemo), a history's versions found by binary search, the read-only nodes known per
// version, a blob read's header read back once per book, and a node found by address whatever order the World's hash
// maps keep.
#include <boost/test/unit_test.hpp>

#include "simulator/check/blob_read_invariant.h"
#include "simulator/check/read_only_invariant.h"
#include "simulator/check/world_memo.h"
#include "tests/unit/check/world_fixture.h"

using namespace outpost::check;
using namespace outpost::check::testing;
using namespace std::chrono_literals;

namespace {
// WorldHistory::current_during as it read before it searched: both ends walked one version at a time.
std::pair<size_t, size_t> walked(const WorldHistory& history, outpost::WallTime at, outpost::Nanoseconds lag) {
  size_t last = 0;
  while (last + 1 < history.size() && history.since(last + 1) <= at) ++last;
  const outpost::WallTime from = lag >= at.time_since_epoch() ? outpost::WallTime{} : at - lag;
  size_t first = last;
  while (first > 0 && history.since(first) >= from) --first;
  return {first, last};
}
}  // namespace

BOOST_AUTO_TEST_SUITE(memoized_lookups)

BOOST_AUTO_TEST_CASE(a_gateway_index_grants_what_the_action_list_grants) {
  // Names in any case, longer names, nested paths, short rules, repository rules, malformed kinds.
  const std::vector<std::string> actions = {
      "GATEWAY/EDGE/message/write", "gateway/edgex/config/write",    "gateway/edge/a/message/read",
      "gateway/edge/config",        "gateway/edg/config/write",      "repositories/edge/content/read",
      "gateway/edge/message/read",  "gateway/Edge/config/fly",       "gateway//config/read",
      "gateways/edge/config/read",  "gateway/ed*/config/read",       "gateway/mid/config/read"};
  const GatewayIndex index(actions);
  for (const std::string name : {"edge", "Edge", "EDGE", "edgex", "edg", "ed", "mid", "MID", "", "edge/a", "other"})
    BOOST_TEST(index.rights(name).bits == gateway_rights(actions, name).bits, name);
  BOOST_TEST(index.rights("edge").bits == (GatewayRights::kMessageWrite | GatewayRights::kMessageRead));
}

BOOST_AUTO_TEST_CASE(the_oracle_with_a_memo_answers_as_without) {
  World world = small_world();
  // A parent's sync map lists every child's gateway actions: the case the memo is for.
  create_connected_registry(world, {"leaf2", Mode::ReadWrite, "mid", {"samples/*"}, {}, "", "leaf2:5000"}, kStart);
  const WorldHistory history(world, kStart);
  const World& recorded = history.world(0);
  const WorldMemo& memo = history.memo(0);
  const auto mid_sync = basic(recorded, "mid-sync-token");
  for (const std::string asked : {"mid", "leaf", "leaf2", "LEAF2", "other", "nowhere"})
    for (const uint8_t needs : {GatewayRights::kConfigRead, GatewayRights::kMessageWrite, GatewayRights::kAll}) {
      for (const NodeRef& node : {cloud(), data_endpoint(), cr("mid")}) {
        const Request request = gateway_call(asked, needs);
        const Answer plain = answer(recorded, node, request, mid_sync, kStart + 1h);
        const Answer memoized = answer(recorded, node, request, mid_sync, kStart + 1h, {}, &memo);
        BOOST_TEST(describe(memoized) == describe(plain), asked << " at " << node.connected_registry);
      }
    }
  // Asked twice (from the memo the second time), the same.
  const Answer again = answer(recorded, data_endpoint(), gateway_call("leaf2", GatewayRights::kConfigRead),
                              basic(recorded, "mid-sync-token"), kStart + 1h, {}, &memo);
  BOOST_TEST(again.allowed(), describe(again));
}

BOOST_AUTO_TEST_CASE(a_new_version_is_judged_by_its_own_memo) {
  World world = small_world();
  WorldHistory history(world, kStart);
  const Request config = gateway_call("leaf", GatewayRights::kConfigRead);
  const auto client = basic(history.world(0), "gateway-client");
  // At the cloud's data endpoint a token has its map's gateway actions (SPEC 4.1).
  BOOST_TEST(answer(history.world(0), data_endpoint(), config, client, kStart + 1h, {}, &history.memo(0)).allowed());
  set_scope_map(world, "with-gateway", {"repositories/samples/*/content/read"});
  history.record(world, kStart + 1min);
  for (size_t version = 0; version < history.size(); ++version) {  // every earlier memo (copied as the history grew)
    const Answer memoized =
        answer(history.world(version), data_endpoint(), config, client, kStart + 1h, {}, &history.memo(version));
    const Answer plain = answer(history.world(version), data_endpoint(), config, client, kStart + 1h);
    BOOST_TEST(describe(memoized) == describe(plain), version);
  }
  BOOST_TEST(!answer(history.world(1), data_endpoint(), config, client, kStart + 1h, {}, &history.memo(1)).allowed());
}

BOOST_AUTO_TEST_CASE(versions_are_found_as_by_walking_the_history) {
  const World world = small_world();
  WorldHistory history(world, kStart + 10s);
  // Several versions at one instant, one moved up to its predecessor's start, gaps.
  for (const auto offset : {20s, 20s, 20s, 30s, 25s, 60s, 61s, 61s, 120s}) history.record(world, kStart + offset);
  for (int at = 0; at <= 130; ++at)
    for (const auto lag : {0s, 1s, 5s, 10s, 40s, 200s}) {
      const outpost::WallTime instant = kStart + std::chrono::seconds(at);
      const auto found = history.current_during(instant, lag);
      const auto expected = walked(history, instant, lag);
      BOOST_TEST((found == expected), at << "s lag " << lag.count() << ": [" << found.first << ", " << found.second
                                         << "], walking gives [" << expected.first << ", " << expected.second << "]");
    }
  BOOST_TEST((history.current_during(kStart + 130s, std::chrono::hours(24 * 365 * 100)).first == 0u));
}

BOOST_AUTO_TEST_CASE(read_only_nodes_are_known_per_version) {
  World world = small_world();
  WorldHistory history(world, kStart);
  ViolationLog log(1);
  const ReadOnlyInvariant read_only(history, log);
  BOOST_TEST(read_only.read_only("leaf:5000"));
  BOOST_TEST(!read_only.read_only("mid:5000"));
  BOOST_TEST(!read_only.read_only("edge:5000"));
  BOOST_TEST(!read_only.read_only("cloud:5000"));
  // A ReadOnly CR that comes with a new version is one from then on (what was known of the address is not kept).
  create_connected_registry(world, {"edge", Mode::ReadOnly, "", {"samples/*"}, {}, "", "edge:5000"}, kStart);
  history.record(world, kStart + 1min);
  BOOST_TEST(read_only.read_only("edge:5000"));
  BOOST_TEST(read_only.read_only("leaf:5000"));
}

BOOST_AUTO_TEST_CASE(a_blob_read_header_reads_as_the_book_says_now) {
  const World world = small_world();
  CredentialBook book;
  const WorldHistory history(world, kStart);
  ViolationLog log(1);
  BlobReadInvariant reads(history, book, log, [](int depth) { return depth * 10s; }, {});
  const std::string header = basic_header("leaf-client", "leaf-client-password1");
  const BlobRead read{kStart + 1h, "leaf:5000", header, "samples/app", "sha256:b1", false, ""};
  // A password the book never saw is no right; once the book knows it, the same header reads.
  BOOST_TEST(!reads.observe(read));
  BOOST_TEST(!reads.observe(read));
  book.remember_password("leaf-client", "leaf-client-password1",
                         {0, history.current().token("leaf-client")->passwords[0].serial});
  BOOST_TEST(reads.observe(read));
  BOOST_TEST(log.count(invariant::kNoReadWithoutRight) == 2u);
}

BOOST_AUTO_TEST_CASE(a_node_is_found_by_address_whatever_the_maps_order) {
  World world = small_world();
  // Two CRs named otherwise than their address, both at one (a damaged description): the least name, as a scan in
  // name order finds.
  for (const std::string name : {"zeta", "alpha", "mu"})
    create_connected_registry(world, {name, Mode::ReadWrite, "", {"samples/*"}, {}, "", "shared:5000"}, kStart);
  const auto node = world.node_at("shared:5000");
  BOOST_REQUIRE(node.has_value());
  BOOST_TEST(node->connected_registry == "alpha");
  BOOST_TEST(world.node_at("leaf:5000")->connected_registry == "leaf");
  BOOST_TEST(!world.node_at("nowhere:5000").has_value());
  BOOST_TEST(world.depth(cr("leaf")) == 2);
  BOOST_TEST(world.depth(cr("mid")) == 1);
  BOOST_TEST(world.depth(cr("nowhere")) == -1);
}

BOOST_AUTO_TEST_SUITE_END()
