// The spike behind docs/architecture.md's "async model" decision: what one event costs on the simulator's own event
// loop (callbacks on the Executor seam) against an Asio io_context driven on one thread with C++20 coroutines (the
// other candidate), and one registry handler (manifest GET) driven under virtual time.
#include <benchmark/benchmark.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "reference/registry/registry.h"
#include "reference/storage/storage.h"
#include "simulator/engine/event_loop.h"
#include "tests/unit/registry/in_process_client.h"

using namespace outpost;

static void BM_SimLoop_Post(benchmark::State& state) {
  sim::EventLoop loop;
  uint64_t counter = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) loop.post([&counter] { ++counter; });
    loop.run();
  }
  benchmark::DoNotOptimize(counter);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_SimLoop_Post);

static void BM_SimLoop_Timers(benchmark::State& state) {
  sim::EventLoop loop;
  SeededRandom random(1);
  uint64_t counter = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i)
      loop.schedule_after(Nanoseconds(random.uniform(1'000'000)), [&counter] { ++counter; });
    loop.run();
  }
  benchmark::DoNotOptimize(counter);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_SimLoop_Timers);

static void BM_AsioIoContext_Post(benchmark::State& state) {
  boost::asio::io_context io(1);
  uint64_t counter = 0;
  for (auto _ : state) {
    for (int i = 0; i < 1000; ++i) boost::asio::post(io, [&counter] { ++counter; });
    io.run();
    io.restart();
  }
  benchmark::DoNotOptimize(counter);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_AsioIoContext_Post);

static boost::asio::awaitable<void> hop(int hops, uint64_t& counter) {
  for (int i = 0; i < hops; ++i) {
    co_await boost::asio::post(co_await boost::asio::this_coro::executor, boost::asio::use_awaitable);
    ++counter;
  }
}

static void BM_AsioCoroutine_Resume(benchmark::State& state) {
  boost::asio::io_context io(1);
  uint64_t counter = 0;
  for (auto _ : state) {
    boost::asio::co_spawn(io, hop(1000, counter), boost::asio::detached);
    io.run();
    io.restart();
  }
  benchmark::DoNotOptimize(counter);
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_AsioCoroutine_Resume);

// One client request and its response cross a simulated link (two events), the handler runs in between.
static void BM_ManifestGet_VirtualTime(benchmark::State& state) {
  sim::EventLoop loop;
  sim::VirtualClock clock(loop, WallTime(std::chrono::seconds(1'800'000'000)));
  SeededRandom random(1);
  registry::OpenAccess policy;
  auto storage = storage::open_memory_storage(clock, random);
  registry::Registry node(*storage, clock, random, policy);
  testing::InProcessClient client(node);
  client.push_image("app", "v1", "{}", {"layer"});
  uint64_t ok = 0;
  for (auto _ : state) {
    for (int i = 0; i < 100; ++i) {
      loop.schedule_after(std::chrono::microseconds(500), [&] {
        const testing::Reply reply = client.get("/v2/app/manifests/v1");
        loop.schedule_after(std::chrono::microseconds(500), [&ok, status = reply.status] { ok += status == 200; });
      });
    }
    loop.run();
  }
  if (ok != static_cast<uint64_t>(state.iterations()) * 100) state.SkipWithError("a request failed");
  state.SetItemsProcessed(state.iterations() * 100);
  state.counters["events"] = benchmark::Counter(static_cast<double>(loop.events_dispatched()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ManifestGet_VirtualTime);

BENCHMARK_MAIN();
