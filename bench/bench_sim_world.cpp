// Events per second with real handlers (issue goal: 1 M/s): a quiet fleet of real reference nodes on the simulated
// network, every node long-polling its parent and reporting its status every 10 minutes, every request
// authenticated, authorised and judged by the invariant watch, exactly as `outpost sim run scenarios/wide-fleet.json`
// runs it. The fleet is wide-fleet.json's shape with `fanout` nodes per level instead of 20, so the argument moves it
// from a fleet that fits in the cache (2: 15 nodes) through larger ones (8: 585 nodes, 10: 1,111, 12: 1,885) to the
// whole 8,421-node fleet (20); `outpost sim run` measures that fleet's whole day, its building included
// (docs/performance.md). Building the world and two warm-up hours are outside the timing; one iteration is ten
// virtual minutes, one round of every node. Run by hand, not in CI.
#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>

#include <nlohmann/json.hpp>

#include "app/allocator_options.h"
#include "reference/common/log.h"
#include "simulator/world/world.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

namespace {

world::Scenario quiet_fleet(int fanout) {
  std::ifstream file(OUTPOST_SOURCE_DIR "/scenarios/wide-fleet.json");
  nlohmann::json document = nlohmann::json::parse(file);
  for (nlohmann::json& level : document["topology"]["tree"]["levels"]) level["count"] = fanout;
  return world::parse_scenario(document);
}

void BM_QuietFleet(benchmark::State& state) {
  world::World world(quiet_fleet(static_cast<int>(state.range(0))), 1);
  world.build();
  EventLoop& loop = world.loop();
  loop.run_until(loop.now() + std::chrono::hours(2));
  const uint64_t events_before = loop.events_dispatched();
  const uint64_t requests_before = world.result().requests.requests;
  for (auto _ : state) loop.run_until(loop.now() + std::chrono::minutes(10));
  const double events = static_cast<double>(loop.events_dispatched() - events_before);
  const double requests = static_cast<double>(world.result().requests.requests - requests_before);
  // Rates are per second of CPU. Requests too, because how many events a request costs is the simulator's own
  // choice (a ReadWrite node's push loop also wakes every 30 s to look for local pushes: cheap events).
  state.counters["events"] = benchmark::Counter(events, benchmark::Counter::kIsRate);
  state.counters["requests"] = benchmark::Counter(requests, benchmark::Counter::kIsRate);
  state.counters["events_per_request"] = benchmark::Counter(events / requests);
  state.counters["nodes"] = static_cast<double>(world.scenario().topology.cluster.nodes.size() + 1);  // the cloud too
}
BENCHMARK(BM_QuietFleet)->Arg(2)->Arg(4)->Arg(5)->Arg(6)->Arg(8)->Arg(10)->Arg(12)->Arg(20)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  app::keep_freed_memory();        // as `outpost sim` does
  log::set_level(log::Level::Off);  // as `outpost sim run` does by default
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
