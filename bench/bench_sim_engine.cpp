// The simulator's bare event loop: how many events (dispatched callbacks) it runs per second on one core, the unit
// every simulator rate goal counts (docs/design.md, "Cost knobs"; goal G1: >= 10 M events/s). Callbacks do nothing but
// schedule the next event, so the figures are the loop's own cost: queueing, ordering, cancellation, dispatch.
//
// The timer benchmarks use the classic "hold" model of scheduler benchmarks: a fixed number of timers is pending, and
// every dispatched timer schedules one more at a random delay, so the queue keeps its depth while time advances.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "reference/common/executor.h"
#include "reference/common/random.h"
#include "simulator/engine/event_loop.h"
#include "simulator/engine/trace.h"

namespace {

using outpost::Executor;
using outpost::Nanoseconds;
using outpost::TimerHandle;
using outpost::sim::EventLoop;

constexpr int64_t kBatch = 100'000;  // events per benchmark iteration

// Random delays in [0, 1 ms), drawn once so the generator's cost stays out of the loop's figures.
const std::vector<Nanoseconds>& random_delays() {
  static const std::vector<Nanoseconds> delays = [] {
    outpost::SeededRandom random(1);
    std::vector<Nanoseconds> out(1 << 16);
    for (auto& delay : out) delay = Nanoseconds(static_cast<int64_t>(random.uniform(1'000'000)));
    return out;
  }();
  return delays;
}

// Posts `batch` no-op callbacks, then runs them: the FIFO path every "run this soon" takes.
void BM_Posts(benchmark::State& state) {
  EventLoop loop;
  int64_t sink = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < kBatch; ++i) loop.post([&sink] { ++sink; });
    loop.run();
  }
  benchmark::DoNotOptimize(sink);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_Posts);

// Each callback posts the next: the queue holds one event, as when one request's steps chain.
struct PostChain {
  EventLoop& loop;
  int64_t count = 0;
  void step() {
    ++count;
    loop.post([this] { step(); });
  }
};
void BM_PostChain(benchmark::State& state) {
  EventLoop loop;
  PostChain chain{loop};
  chain.step();
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_PostChain);

// The hold model: `depth` timers pending at random times; each one that fires schedules another.
template <class Loop>
struct Hold {
  Loop& loop;
  const std::vector<Nanoseconds>& delays = random_delays();
  size_t next = 0;
  Nanoseconds delay() { return delays[next++ & (delays.size() - 1)]; }
  void fire() { loop.schedule_after(delay(), [this] { fire(); }); }
};

void BM_TimersRandom(benchmark::State& state) {
  EventLoop loop;
  Hold<EventLoop> hold{loop};
  for (int64_t i = 0; i < state.range(0); ++i) hold.fire();
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TimersRandom)->Arg(1'000)->Arg(100'000);

// The same with the loop's plain timer ids instead of TimerHandles (no reference count), as the simulator's own code
// (links, fault plans) arms timers.
struct HoldById {
  EventLoop& loop;
  const std::vector<Nanoseconds>& delays = random_delays();
  size_t next = 0;
  Nanoseconds delay() { return delays[next++ & (delays.size() - 1)]; }
  void fire() { loop.add_timer(loop.now() + delay(), [this] { fire(); }); }
};
void BM_TimersRandomById(benchmark::State& state) {
  EventLoop loop;
  HoldById hold{loop};
  for (int64_t i = 0; i < state.range(0); ++i) hold.fire();
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TimersRandomById)->Arg(1'000)->Arg(100'000);

// The same through the Executor seam (std::function), as registry and sync code schedule work.
void BM_TimersRandomViaExecutor(benchmark::State& state) {
  EventLoop loop;
  Hold<Executor> hold{loop};
  for (int64_t i = 0; i < state.range(0); ++i) hold.fire();
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TimersRandomViaExecutor)->Arg(1'000);

// A callback that captures 40 bytes (more than std::function keeps inline), as a callback holding a shared_ptr, an
// object pointer and a few values does.
struct HoldWide {
  EventLoop& loop;
  const std::vector<Nanoseconds>& delays = random_delays();
  size_t next = 0;
  Nanoseconds delay() { return delays[next++ & (delays.size() - 1)]; }
  void fire(std::array<uint64_t, 4> payload) {
    ++payload[0];
    loop.schedule_after(delay(), [this, payload] { fire(payload); });
  }
};
void BM_TimersRandomWideCapture(benchmark::State& state) {
  EventLoop loop;
  HoldWide hold{loop};
  for (int64_t i = 0; i < state.range(0); ++i) hold.fire({});
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_TimersRandomWideCapture)->Arg(1'000);

// Timeouts that never fire: each event arms a 1 s timeout and cancels the one the previous event armed, besides
// scheduling its successor at a random delay. Half the timers scheduled are cancelled; only live ones count as events.
struct HoldWithTimeouts {
  EventLoop& loop;
  const std::vector<Nanoseconds>& delays = random_delays();
  size_t next = 0;
  TimerHandle timeout;
  Nanoseconds delay() { return delays[next++ & (delays.size() - 1)]; }
  void fire() {
    timeout.cancel();
    timeout = loop.schedule_after(std::chrono::seconds(1), [] {});
    loop.schedule_after(delay(), [this] { fire(); });
  }
};
void BM_TimersCancelled(benchmark::State& state) {
  EventLoop loop;
  HoldWithTimeouts hold{loop};
  for (int64_t i = 0; i < state.range(0); ++i) hold.fire();
  const uint64_t before = loop.events_dispatched();
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(loop.events_dispatched() - before));
}
BENCHMARK(BM_TimersCancelled)->Arg(1'000);

// A mix: every event posts a follow-up, and every follow-up schedules the next timer at a random time, arming and
// cancelling a timeout on the way (a request's shape: reply soon, deliver later, a timeout that does not fire).
struct Mixed {
  EventLoop& loop;
  const std::vector<Nanoseconds>& delays = random_delays();
  size_t next = 0;
  Nanoseconds delay() { return delays[next++ & (delays.size() - 1)]; }
  void fire() {
    loop.post([this] {
      auto timeout = loop.schedule_after(std::chrono::seconds(1), [] {});
      loop.schedule_after(delay(), [this] { fire(); });
      timeout.cancel();
    });
  }
};
void BM_Mixed(benchmark::State& state) {
  EventLoop loop;
  Mixed mixed{loop};
  for (int64_t i = 0; i < state.range(0); ++i) mixed.fire();
  const uint64_t before = loop.events_dispatched();
  for (auto _ : state) loop.run(kBatch);
  state.SetItemsProcessed(static_cast<int64_t>(loop.events_dispatched() - before));
}
BENCHMARK(BM_Mixed)->Arg(1'000);

// What tracing adds per event: one record (a delivery with a 40-byte detail) folded into the hash, keeping nothing
// (the default) or keeping the last 1,000 (for violation reports).
void BM_TraceRecord(benchmark::State& state) {
  outpost::sim::Trace trace(state.range(0) == 0 ? outpost::sim::Trace::Keep::None : outpost::sim::Trace::Keep::Last,
                            1000);
  const std::string detail = "GET /v2/apps/web/blobs/sha256:0123456789ab";
  int64_t time = 0;
  for (auto _ : state) trace.record(Nanoseconds(++time), "deliver", "edge-17", "mid-3", detail);
  benchmark::DoNotOptimize(trace.hash());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TraceRecord)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
