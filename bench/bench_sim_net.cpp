// The simulated network's cost (simulator/net): events per blob transfer, whatever its size (the flow model re-solves
// rates when a transfer starts or ends instead of stepping packets), and transfers per second of wall time, alone
// and many at once through a shared NIC. Run by hand, not in CI; results go to docs/performance.md.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "reference/common/random.h"
#include "simulator/engine/event_loop.h"
#include "simulator/net/bandwidth_model.h"
#include "simulator/net/sim_network.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

namespace {

// A blob of a given size whose bytes are never looked at: read() hands the buffer back as it is, so the bench
// measures the network's bookkeeping rather than memcpy.
class SyntheticBody final : public http::BodySource {
 public:
  explicit SyntheticBody(uint64_t size) : size_(size), left_(size) {}
  uint64_t size() const override { return size_; }
  size_t read(std::span<char> out) override {
    const size_t got = static_cast<size_t>(std::min<uint64_t>(out.size(), left_));
    left_ -= got;
    return got;
  }

 private:
  uint64_t size_;
  uint64_t left_;
};

class DiscardSink final : public http::BodySink {
 public:
  void write(std::string_view piece) override { bytes += piece.size(); }
  uint64_t bytes = 0;
};

class BlobServer final : public http::Handler {
 public:
  explicit BlobServer(uint64_t size) : size_(size) {}
  std::unique_ptr<http::Call> start(http::Request) override {
    http::Response response;
    response.stream = std::make_unique<SyntheticBody>(size_);
    return http::respond_now(std::move(response));
  }

 private:
  uint64_t size_;
};

void get_blob(SimNetwork& net, const std::string& from, const std::shared_ptr<DiscardSink>& sink, int& done) {
  http::ClientRequest request;
  request.authority = "origin:5000";
  request.target = "/v2/library/app/blobs/sha256:0";
  net.client(from).send(std::move(request), sink, [&done](http::ClientResult result) {
    if (!result.ok()) throw std::runtime_error(result.transport_error);
    ++done;
  });
}

constexpr uint64_t kGigabit = 125'000'000;  // bytes per second

// One transfer at a time over a 1 Gbit/s link with 5 ms of latency each way.
void BM_SimNet_BlobTransfer(benchmark::State& state) {
  const auto size = static_cast<uint64_t>(state.range(0));
  EventLoop loop;
  SeededRandom random(1);
  BlobServer server(size);
  SimNetwork net(loop, random);
  net.attach("origin:5000", server);
  net.set_link("puller", "origin", LinkSpec::symmetric(Latency::fixed(5ms), kGigabit));
  auto sink = std::make_shared<DiscardSink>();
  int done = 0;
  for (auto _ : state) {
    get_blob(net, "puller", sink, done);
    loop.run();
  }
  const double transfers = static_cast<double>(state.iterations());
  state.counters["events_per_transfer"] = static_cast<double>(loop.events_dispatched()) / transfers;
  state.counters["transfers_per_s"] = benchmark::Counter(transfers, benchmark::Counter::kIsRate);
  state.counters["virtual_s_per_transfer"] = static_cast<double>(loop.now().count()) / 1e9 / transfers;
}

// `n` pullers fetch a 64 MiB blob at once from an origin whose NIC (10 Gbit/s) they share; each has its own
// 1 Gbit/s link with 1-20 ms of latency. Every start and end re-shares the NIC among the transfers still running.
void BM_SimNet_ConcurrentTransfers(benchmark::State& state) {
  const auto pullers = static_cast<int>(state.range(0));
  EventLoop loop;
  SeededRandom random(1);
  BlobServer server(64u << 20);
  SimNetwork net(loop, random);
  net.attach("origin:5000", server);
  net.set_nic("origin", 10 * kGigabit, 0);
  std::vector<std::string> hosts;
  for (int i = 0; i < pullers; ++i) {
    hosts.push_back("puller" + std::to_string(i));
    net.set_link(hosts.back(), "origin", LinkSpec::symmetric(Latency::uniform(1ms, 20ms), kGigabit));
  }
  auto sink = std::make_shared<DiscardSink>();
  int done = 0;
  for (auto _ : state) {
    for (const auto& host : hosts) get_blob(net, host, sink, done);
    loop.run();
  }
  const double transfers = static_cast<double>(state.iterations()) * pullers;
  state.counters["events_per_transfer"] = static_cast<double>(loop.events_dispatched()) / transfers;
  state.counters["solves_per_transfer"] = static_cast<double>(net.bandwidth().solves()) / transfers;
  state.counters["transfers_per_s"] = benchmark::Counter(transfers, benchmark::Counter::kIsRate);
}

// A small exchange over an ideal link: the floor of the network's cost per request.
void BM_SimNet_IdealExchange(benchmark::State& state) {
  EventLoop loop;
  SeededRandom random(1);
  BlobServer server(200);
  SimNetwork net(loop, random);
  net.attach("origin:5000", server);
  auto sink = std::make_shared<DiscardSink>();
  int done = 0;
  for (auto _ : state) {
    get_blob(net, "client", sink, done);
    loop.run();
  }
  const double exchanges = static_cast<double>(state.iterations());
  state.counters["events_per_exchange"] = static_cast<double>(loop.events_dispatched()) / exchanges;
  state.counters["exchanges_per_s"] = benchmark::Counter(exchanges, benchmark::Counter::kIsRate);
}

// The bandwidth model alone: `n` flows share a link; each iteration completes the earliest and starts another.
void BM_BandwidthModel_Churn(benchmark::State& state) {
  const auto flows = static_cast<int>(state.range(0));
  BandwidthModel model;
  const auto nic = model.add_resource(10 * kGigabit);
  std::vector<BandwidthModel::ResourceId> links;
  for (int i = 0; i < flows; ++i) links.push_back(model.add_resource(kGigabit));
  for (int i = 0; i < flows; ++i) model.start(Nanoseconds(0), 1'000'000 + 1000 * i, {nic, links[i]});
  int next = 0;
  for (auto _ : state) {
    const Nanoseconds at = *model.next_completion();
    for (const auto flow : model.take_completed(at)) {
      benchmark::DoNotOptimize(flow);
      model.start(at, 1'000'000, {nic, links[next++ % flows]});
    }
  }
  state.counters["flows_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The bandwidth model alone, shaped like a parent serving a large layer to `n` leaves: `n` long downloads share the
// parent's 10 Gbit/s NIC, each over its own 300 MB/s link to a leaf whose ingress is unlimited. Each iteration is one
// small response (a manifest, a HEAD) through the same NIC: it starts, completes, and both re-share the NIC among
// all `n` + 1 flows.
void BM_BandwidthModel_SharedNicSmallFlows(benchmark::State& state) {
  const auto leaves = static_cast<int>(state.range(0));
  BandwidthModel model;
  const auto nic = model.add_resource(10 * kGigabit);
  std::vector<std::vector<BandwidthModel::ResourceId>> paths;
  for (int i = 0; i < leaves; ++i) paths.push_back({nic, model.add_resource(300'000'000), model.add_resource(0)});
  constexpr uint64_t kLayer = 1'500'000'000;
  for (const auto& path : paths) model.start(Nanoseconds(0), kLayer, path);
  Nanoseconds now{0};
  int next = 0;
  for (auto _ : state) {
    model.start(now, 2'000, paths[next++ % leaves]);
    now = *model.next_completion();
    for (const auto flow : model.take_completed(now)) {
      benchmark::DoNotOptimize(flow);
      if (model.flow_count() < static_cast<size_t>(leaves)) model.start(now, kLayer, paths[next % leaves]);
    }
  }
  state.counters["small_flows_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_SimNet_BlobTransfer)->Arg(64 << 10)->Arg(16 << 20)->Arg(1 << 30);
BENCHMARK(BM_SimNet_ConcurrentTransfers)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SimNet_IdealExchange);
BENCHMARK(BM_BandwidthModel_Churn)->Arg(10)->Arg(100)->Arg(1000);
BENCHMARK(BM_BandwidthModel_SharedNicSmallFlows)->Arg(10)->Arg(100)->Arg(520);

BENCHMARK_MAIN();
