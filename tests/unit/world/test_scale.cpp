// What lets a world grow large: synthetic payloads (a recipe of a few dozen bytes that the simulated network charges
// at its declared size, so a run can move terabytes) and trees generated from levels (8,421 nodes in four lines).
#include <boost/test/unit_test.hpp>

#include "reference/common/http.h"
#include "reference/common/random.h"
#include "reference/oci/digest.h"
#include "simulator/net/sim_network.h"
#include "simulator/net/synthetic_body.h"
#include "simulator/world/synthetic_image.h"
#include "simulator/world/world.h"
#include "tests/unit/world/scenarios.h"

namespace outpost::sim::world {

namespace {
using namespace std::chrono_literals;
using test::tagged;
using nlohmann::json;

constexpr uint64_t kTenGigabytes = 10'000'000'000;
constexpr uint64_t kLinkBytesPerSecond = 100'000'000;  // 100 MB/s: 10 GB take 100 s

// Remembers every exchange that ended.
struct Exchanges final : WorldObserver {
  void on_request(const RequestEvent& event) override { events.push_back(event); }
  std::vector<RequestEvent> events;
};

// cloud -> edge1, one link of 100 MB/s each way and no latency.
json one_child(const std::string& network) {
  return {{"network", network},
          {"settle", "10m"},
          {"topology",
           {{"tree",
             {{"levels",
               {{{"count", 1}, {"name", "edge"}, {"link", {{"bandwidth", kLinkBytesPerSecond}}}}}}}}}}};
}

WorkloadItem synthetic_push(const std::string& tag) {
  PushAction push;
  push.node = "cloud";
  push.repositories = {"apps/big"};
  push.tag = tag;
  push.token = "admin";
  push.layers = {1, 1};
  push.layer_size.kind = SizeDistribution::Kind::Fixed;
  push.layer_size.value = kTenGigabytes;
  push.synthetic = true;
  WorkloadItem item;
  item.where = "test";
  item.action = push;
  return item;
}

// The exchange in which `from` fetched a blob `bytes` long (as counted for reports).
const RequestEvent* blob_fetch(const Exchanges& seen, const std::string& from, uint64_t bytes) {
  for (const RequestEvent& event : seen.events)
    if (event.from == from && event.method == http::Method::Get && event.target.find("/blobs/sha256:") !=
                                                                        std::string::npos &&
        event.status == 200 && event.response_bytes == bytes)
      return &event;
  return nullptr;
}

// Reads everything a sink is given.
struct Collect final : http::BodySink {
  void write(std::string_view piece) override { bytes.append(piece); }
  std::string bytes;
};

// Answers every request with one fixed body.
struct Serve final : http::Handler {
  explicit Serve(std::string body) : body(std::move(body)) {}
  std::unique_ptr<http::Call> start(http::Request) override {
    http::Response response;
    response.body = body;
    return http::respond_now(std::move(response));
  }
  std::string body;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(synthetic_payloads)

BOOST_AUTO_TEST_CASE(a_recipe_is_a_fixed_size_line_that_reads_back_and_nothing_else_does) {
  const synthetic::Recipe recipe{3'000'000'000, 0xfeedface};
  const std::string text = synthetic::encode(recipe);
  BOOST_TEST(text.size() == synthetic::kRecipeBytes);
  BOOST_TEST(text == "outpost-synthetic/1 size=00000000003000000000 seed=00000000feedface\n");
  BOOST_TEST((synthetic::decode(text) == recipe));
  BOOST_TEST((synthetic::decode(synthetic::encode({UINT64_MAX, UINT64_MAX})) ==
              synthetic::Recipe{UINT64_MAX, UINT64_MAX}));
  // Anything else is an ordinary body: other sizes, another magic, digits out of place.
  BOOST_TEST(!synthetic::decode(text.substr(0, text.size() - 1)));
  BOOST_TEST(!synthetic::decode(text + "x"));
  std::string other = text;
  other[0] = 'O';
  BOOST_TEST(!synthetic::decode(other));
  other = text;
  other[30] = 'x';
  BOOST_TEST(!synthetic::decode(other));
  BOOST_TEST(!synthetic::decode(std::string(synthetic::kRecipeBytes, 'a')));
}

BOOST_AUTO_TEST_CASE(taking_a_recipe_leaves_the_body_readable_from_its_start) {
  const std::string text = synthetic::encode({42, 7});
  std::unique_ptr<http::BodySource> body = std::make_unique<http::StringBody>(text);
  BOOST_TEST((synthetic::take_recipe(body) == synthetic::Recipe{42, 7}));
  std::string read(200, '\0');
  read.resize(body->read(std::span<char>(read.data(), read.size())));
  BOOST_TEST(read == text);
  // Bodies of another size are not read at all.
  std::unique_ptr<http::BodySource> small = std::make_unique<http::StringBody>("hello");
  BOOST_TEST(!synthetic::take_recipe(small));
  char first = 0;
  BOOST_TEST(small->read(std::span<char>(&first, 1)) == 1u);
  BOOST_TEST(first == 'h');
}

BOOST_AUTO_TEST_CASE(a_synthetic_image_names_its_recipes_with_their_real_size_and_counts_the_declared_one) {
  SeededRandom random(5);
  SizeDistribution size;
  size.kind = SizeDistribution::Kind::Fixed;
  size.value = kTenGigabytes;
  const SyntheticImage image = make_image(random, 2, size, "test", true);
  BOOST_REQUIRE(image.layers.size() == 2u);
  BOOST_TEST(image.bytes == 2 * kTenGigabytes + image.config.size());
  const json manifest = json::parse(image.manifest);
  for (size_t i = 0; i < 2; ++i) {
    const auto recipe = synthetic::decode(image.layers[i]);
    BOOST_REQUIRE(recipe.has_value());
    BOOST_TEST(recipe->size == kTenGigabytes);
    const json& layer = manifest["layers"][i];
    BOOST_TEST(layer["size"].get<uint64_t>() == synthetic::kRecipeBytes);
    BOOST_TEST(layer["digest"].get<std::string>() == oci::digest_of(image.layers[i]).str());
    BOOST_TEST(layer["annotations"][kDeclaredSizeAnnotation].get<std::string>() == std::to_string(kTenGigabytes));
  }
  BOOST_TEST(image.layers[0] != image.layers[1]);  // two layers of one size are two blobs (their seeds differ)
}

BOOST_AUTO_TEST_CASE(a_ten_gigabyte_layer_pushed_at_the_cloud_reaches_a_child_charged_at_its_declared_size) {
  Exchanges seen;  // before the world: it outlives the world's shutdown
  World world(parse_scenario(one_child("simulated")), 1);
  world.add_observer(seen);
  world.build();
  BOOST_REQUIRE(world.result().ready);
  world.workload().fire(synthetic_push("v1"));
  BOOST_REQUIRE(world.run_until([&] { return world.workload().running() == 0; }, 30min));
  BOOST_REQUIRE(world.workload().acknowledged().size() == 1u);
  const std::string digest = world.workload().acknowledged()[0].digest;
  BOOST_TEST(world.run_until([&] { return tagged(world.read_node("edge1"), "apps/big", "v1", digest); }, 30min));

  // The push crossed the client's ideal link to the cloud; the child's fetch crossed its 100 MB/s uplink, charged
  // 10 GB: 100 s, plus the heads (a few hundred bytes: microseconds), and no latency.
  const RequestEvent* push = blob_fetch(seen, "client.cloud", 0);
  BOOST_TEST(push == nullptr);  // (the client fetched nothing)
  const RequestEvent* fetch = blob_fetch(seen, "edge1", kTenGigabytes);
  BOOST_REQUIRE(fetch != nullptr);
  const Nanoseconds took = fetch->done - fetch->sent;
  const Nanoseconds charged = std::chrono::seconds(kTenGigabytes / kLinkBytesPerSecond);
  BOOST_TEST(took.count() >= charged.count());
  BOOST_TEST(took.count() <= (charged + 1ms).count());
  BOOST_TEST(world.result().requests.bytes_down >= kTenGigabytes);

  world.settle();
  const RunResult result = world.result();
  BOOST_TEST(result.convergence.converged, result.to_json().dump());
}

BOOST_AUTO_TEST_CASE(the_direct_network_carries_the_recipe_and_reports_count_its_declared_size) {
  World world(parse_scenario(one_child("direct")), 1);
  Exchanges seen;
  world.add_observer(seen);
  world.build();
  world.workload().fire(synthetic_push("v1"));
  BOOST_REQUIRE(world.run_until([&] { return world.workload().running() == 0; }, 10min));
  BOOST_REQUIRE(world.workload().acknowledged().size() == 1u);
  const std::string digest = world.workload().acknowledged()[0].digest;
  BOOST_TEST(world.run_until([&] { return tagged(world.read_node("edge1"), "apps/big", "v1", digest); }, 10min));
  const RequestEvent* fetch = blob_fetch(seen, "edge1", kTenGigabytes);
  BOOST_REQUIRE(fetch != nullptr);
  BOOST_TEST(fetch->done == fetch->sent);  // no link model: no time
  uint64_t uploaded = 0;
  for (const RequestEvent& event : seen.events)
    if (event.from == "client.cloud") uploaded += event.request_bytes;
  BOOST_TEST(uploaded >= kTenGigabytes);
}

BOOST_AUTO_TEST_CASE(a_synthetic_body_cut_part_way_delivers_nothing_and_a_whole_one_arrives_as_its_recipe) {
  EventLoop loop;
  SeededRandom random(1);
  SimNetwork network(loop, random);
  const std::string recipe = synthetic::encode({kTenGigabytes, 1});
  Serve server(recipe);
  network.attach("cloud:5000", server);
  network.set_link("edge1", "cloud", sim::LinkSpec::symmetric(Latency::fixed(0ms), kLinkBytesPerSecond));
  const auto fetch = [&](std::shared_ptr<Collect> sink) {
    std::optional<http::ClientResult> result;
    http::ClientRequest request;
    request.authority = "cloud:5000";
    request.target = "/v2/apps/big/blobs/sha256:x";
    network.client("edge1").send(std::move(request), sink, [&](http::ClientResult done) { result = std::move(done); });
    while (!result && loop.run_one()) {
    }
    return result;
  };

  // Half of the declared bytes, then the connection closes: the sink gets none of the recipe.
  network.add_toxic("edge1", "cloud", make_toxic("limit_data", {{"bytes", kTenGigabytes / 2}}, "downstream", 1.0));
  auto cut = std::make_shared<Collect>();
  const auto first = fetch(cut);
  BOOST_REQUIRE(first.has_value());
  BOOST_TEST(!first->ok());
  BOOST_TEST(cut->bytes.empty());
  BOOST_TEST(network.counters("edge1", "cloud").downstream.bytes == kTenGigabytes / 2);

  network.remove_toxic("edge1", "cloud", "limit_data_downstream");
  const Nanoseconds start = loop.now();
  auto whole = std::make_shared<Collect>();
  const auto second = fetch(whole);
  BOOST_REQUIRE(second.has_value());
  BOOST_TEST(second->ok());
  BOOST_TEST(whole->bytes == recipe);
  BOOST_TEST((loop.now() - start).count() >= std::chrono::nanoseconds(100s).count());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(level_trees)

BOOST_AUTO_TEST_CASE(levels_expand_into_named_nodes_with_their_modes_repositories_links_and_nics) {
  const Scenario scenario = parse_scenario(
      {{"topology",
        {{"tree",
          {{"repositories", {"apps/*"}},
           {"levels",
            {{{"count", 2}, {"name", "Region"}, {"link", {{"latency", "20ms"}, {"bandwidth", "1Gbit/s"}}}},
             {{"count", 3}, {"name", "site"}, {"nic", {{"bandwidth", "100MB/s"}}}},
             {{"count", 2}, {"name", "line"}, {"mode", "ReadOnly"}, {"repositories", {"apps/line/*"}}},
             {{"count", 1}, {"name", "robot"}, {"clientToken", "none"}}}}}},
         {"syncLongPoll", "10m"},
         {"syncStatusInterval", "10m"}}}});
  const cli::Topology& cluster = scenario.topology.cluster;
  BOOST_TEST(cluster.nodes.size() == 2u + 6u + 12u + 12u);
  BOOST_TEST(cluster.sync_long_poll == "10m");
  BOOST_TEST(cluster.sync_status_interval == "10m");
  const cli::NodeSpec* region = cluster.node("region2");
  const cli::NodeSpec* site = cluster.node("region2site3");
  const cli::NodeSpec* line = cluster.node("region2site3line2");
  BOOST_REQUIRE(region != nullptr);
  BOOST_REQUIRE(site != nullptr);
  BOOST_REQUIRE(line != nullptr);
  BOOST_TEST(!region->parent.has_value());
  BOOST_TEST(*site->parent == "region2");
  BOOST_TEST(*line->parent == "region2site3");
  BOOST_TEST(site->mode == "ReadWrite");  // the parent's
  BOOST_TEST(line->mode == "ReadOnly");
  BOOST_TEST(site->repositories == std::vector<std::string>{"apps/*"});
  BOOST_TEST(line->repositories == std::vector<std::string>{"apps/line/*"});
  BOOST_REQUIRE(line->client_tokens.size() == 1u);
  BOOST_TEST(line->client_tokens[0].name == "region2site3line2-client");
  BOOST_TEST(line->client_tokens[0].actions ==
             (std::vector<std::string>{"repositories/apps/line/*/content/read", "repositories/apps/line/*/metadata/read"}));
  const cli::NodeSpec* robot = cluster.node("region2site3line2robot1");
  BOOST_REQUIRE(robot != nullptr);
  BOOST_TEST(robot->mode == "ReadOnly");
  BOOST_TEST(robot->client_tokens.empty());
  BOOST_TEST(scenario.topology.link_of("region1").latency.count() == std::chrono::nanoseconds(20ms).count());
  BOOST_TEST(scenario.topology.link_of("region1").bandwidth == 125'000'000u);
  BOOST_TEST(scenario.topology.link_of("region1site1").bandwidth == 0u);  // no link spec: the default link
  BOOST_TEST(scenario.topology.nics.at("region1site2").bandwidth == 100'000'000u);
  BOOST_TEST(!scenario.topology.nics.contains("region1"));
}

BOOST_AUTO_TEST_CASE(the_wide_fleet_shape_has_8420_connected_registries) {
  const Scenario scenario = parse_scenario(
      {{"topology",
        {{"tree",
          {{"levels",
            {{{"count", 20}, {"name", "region"}},
             {{"count", 20}, {"name", "site"}},
             {{"count", 20}, {"name", "line"}, {"mode", "ReadOnly"}}}}}}}}});
  BOOST_TEST(scenario.topology.cluster.nodes.size() == 8420u);
  BOOST_TEST(scenario.topology.cluster.node("region20site20line20") != nullptr);
}

BOOST_AUTO_TEST_CASE(impossible_levels_are_refused_with_their_place) {
  const auto refused = [](const json& levels, const std::string& expected) {
    try {
      parse_scenario({{"topology", {{"tree", {{"levels", levels}}}}}});
    } catch (const ScenarioError& error) {
      BOOST_TEST(std::string(error.what()).find(expected) != std::string::npos, error.what());
      return;
    }
    BOOST_FAIL("accepted: " + levels.dump());
  };
  refused(json::array(), "topology.tree.levels: must be a non-empty array");
  refused({{{"count", 2}, {"name", "mirror"}, {"mode", "ReadOnly"}}, {{"count", 2}, {"name", "under"}, {"mode", "ReadWrite"}}},
          "topology.tree.levels[1].mode: ReadWrite under a ReadOnly level");
  refused({{{"count", 2}, {"name", "a"}}}, "topology.tree.levels[0].name: 'a1' is not a connected registry name");
  refused({{{"count", 2}, {"name", "site-a"}}}, "topology.tree.levels[0].name: 'site-a' must start with a letter");
  refused({{{"count", 2}, {"name", "sites"}, {"mode", "Mirror2"}}}, "levels[0].mode: 'Mirror2' is not a mode");
  refused({{{"name", "sites"}}}, "levels[0].count: is required");
  refused({{{"count", 200}, {"name", "region"}}, {{"count", 200}, {"name", "site"}}}, "more than 20000 nodes");
  refused({{{"count", 2}, {"name", "sites"}, {"colour", "red"}}}, "levels[0]: unknown key 'colour'");
  refused({{{"count", 2}, {"name", "sites"}, {"clientToken", "all"}}}, "levels[0].clientToken: 'all' is not an access");
}

BOOST_AUTO_TEST_CASE(the_large_scenarios_read_as_described) {
  // CI does not run them (docs/performance.md says what they cost); it reads them, so that they keep parsing.
  const std::string dir = std::string(OUTPOST_SOURCE_DIR) + "/scenarios/";
  const Scenario wide = load_scenario(dir + "wide-fleet.json");
  BOOST_TEST(wide.topology.cluster.nodes.size() + 1 == 8421u);
  BOOST_TEST(wide.topology.cluster.sync_long_poll == "10m");
  BOOST_TEST(wide.topology.cluster.sync_status_interval == "10m");
  BOOST_TEST(wide.workload.empty());  // a quiet day
  BOOST_TEST(wide.start_nodes_together);
  const Scenario push = load_scenario(dir + "wide-fleet-push.json");
  BOOST_TEST(push.topology.cluster.nodes.size() + 1 == 8421u);
  BOOST_REQUIRE(push.workload.size() == 1u);
  const auto& release = std::get<PushAction>(push.workload[0].action);
  BOOST_TEST(release.synthetic);
  BOOST_TEST(release.layers.max * release.layer_size.value == 1'000'000'000u);
  BOOST_TEST(push.nemesis.enabled());
  const Scenario kraken = load_scenario(dir + "kraken.json");
  BOOST_TEST(kraken.topology.cluster.nodes.size() == 5u + 2600u);
  BOOST_TEST(kraken.topology.link_of("parent3leaf520").bandwidth == 300'000'000u);
  const auto& image = std::get<PushAction>(kraken.workload.at(0).action);
  BOOST_TEST(image.layers.max * image.layer_size.value == 3'000'000'000u);
  const Scenario chain = load_scenario(dir + "deep-chain.json");
  BOOST_TEST(chain.topology.cluster.nodes.size() == 6u);
  BOOST_TEST(chain.topology.cluster.node("region1plant1hall1line1cell1robot1") != nullptr);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
