#include "simulator/world/run_metrics.h"

#include <algorithm>
#include <array>

#include "simulator/check/content.h"
#include "simulator/world/percentiles.h"
#include "simulator/world/quantities.h"
#include "simulator/world/topology_queries.h"
#include "simulator/world/world.h"

namespace outpost::sim::world {

namespace {
using namespace std::chrono_literals;
__extension__ using Wide = __int128;  // bytes times nanoseconds

// The shortest window that cuts the longest the run may last (warm-up, run, settle) into at most 200: enough windows
// for percentiles to mean something, few enough to keep per-link series small in worlds of thousands of nodes.
Nanoseconds window_for(const Scenario& scenario, Nanoseconds duration) {
  constexpr std::array<Nanoseconds, 9> kWindows = {10s, 30s, 1min, 5min, 10min, 30min, 1h, 6h, 24h};
  const Nanoseconds span = scenario.warm_up + duration + scenario.settle;
  for (const Nanoseconds window : kWindows)
    if ((span + window - Nanoseconds(1)) / window <= 200) return window;  // a partial last window counts
  return kWindows.back();
}

bool failed(const RequestEvent& event) { return event.status == 0 || event.status == 429 || event.status >= 500; }

bool is_blob_transfer(const RequestEvent& event) {
  const std::string_view target = event.target;
  const std::string_view path = target.substr(0, target.find('?'));
  if (!path.starts_with("/v2/")) return false;
  if (event.method == http::Method::Get && (event.status == 200 || event.status == 206))
    return path.find("/blobs/sha256:") != std::string_view::npos;
  // A finished upload: the monolithic POST or the closing PUT, both naming the digest.
  return event.status == 201 && path.find("/blobs/uploads/") != std::string_view::npos &&
         target.find("digest=") != std::string_view::npos;
}
}  // namespace

RunMetrics::RunMetrics(World& world)
    : world_(world),
      window_(window_for(world.scenario(), world.scenario().duration)),
      series_(world.scenario().topology.cluster.nodes.size() < kMostSeries) {
  depth_[std::string(cli::kCloudNodeName)] = 0;
  for (const cli::NodeSpec& node : world.scenario().topology.cluster.nodes) {
    parent_[node.name] = node.parent.value_or(std::string(cli::kCloudNodeName));
    depth_[node.name] = depth_.contains(parent_[node.name]) ? depth_[parent_[node.name]] + 1 : 1;
  }
}

void RunMetrics::plan_run(Nanoseconds duration) { window_ = window_for(world_.scenario(), duration); }

size_t RunMetrics::last_window(Nanoseconds from, Nanoseconds to) const {
  return static_cast<size_t>(to > from ? (to.count() - 1) / window_.count() : from.count() / window_.count());
}

template <class Add>
void RunMetrics::spread(Nanoseconds from, Nanoseconds to, uint64_t bytes, const Add& add) const {
  const int64_t first = from.count() / window_.count();
  const auto last = static_cast<int64_t>(last_window(from, to));
  if (first == last) {
    add(static_cast<size_t>(first), bytes);
    return;
  }
  const Wide span = (to - from).count();
  uint64_t given = 0;
  for (int64_t index = first; index < last; ++index) {
    const int64_t end = std::min<int64_t>((index + 1) * window_.count(), to.count());
    const int64_t begin = std::max<int64_t>(index * window_.count(), from.count());
    const auto share = static_cast<uint64_t>(static_cast<Wide>(bytes) * (end - begin) / span);
    add(static_cast<size_t>(index), share);
    given += share;
  }
  add(static_cast<size_t>(last), bytes - given);
}

void RunMetrics::count_retry(const RequestEvent& event, bool failure, std::set<std::string>& failed) {
  if (!failure && failed.empty()) return;  // nothing failed and nothing of this sender's waits: no key
  std::string key = event.to;
  key += ' ';
  key += http::method_name(event.method);
  key += ' ';
  key += event.target;
  const auto found = failed.find(key);
  if (found == failed.end()) {
    if (failure) failed.insert(std::move(key));
    return;
  }
  ++retried_;
  ++retried_by_host_[event.from];
  if (failure) return;  // failed again: still waiting
  failed.erase(found);
}

RunMetrics::Record& RunMetrics::record(const RequestEvent& event) {
  const bool numbered = event.client != RequestEvent::kNoClient;
  if (numbered && event.client < by_client_.size() && by_client_[event.client]) return *by_client_[event.client];
  auto found = records_.find(event.from);
  if (found == records_.end()) found = records_.emplace(event.from, Record{}).first;
  Record& record = found->second;
  if (const auto parent = parent_.find(event.from); parent != parent_.end() && !record.level) {
    record.link = record.node = true;
    record.level = &levels_[depth_.at(event.from)];
    record.parent = &records_[parent->second];
    record.parent->node = true;
  }
  if (numbered) {
    if (by_client_.size() <= event.client) by_client_.resize(static_cast<size_t>(event.client) + 1, nullptr);
    by_client_[event.client] = &record;
  }
  return record;
}

void RunMetrics::on_request(const RequestEvent& event) {
  const bool failure = failed(event);
  if (failure) ++failed_requests_;
  Record& from = record(event);
  const size_t windows = last_window(event.sent, event.done) + 1;
  // What the sums below write is cold (each node exchanges once in a while): the sender's window and its parent's
  // record are fetched now, while the retry and blob checks run.
  if (from.parent) __builtin_prefetch(from.parent);
  if (!from.windows.empty()) __builtin_prefetch(from.windows.data() + std::min(windows, from.windows.size()) - 1);
  count_retry(event, failure, from.failed);
  if (is_blob_transfer(event)) ++blob_transfers_;

  // Sync traffic: an agent's exchange with its parent. Of a request that got no answer (refused by a cut link, reset,
  // lost) only what its client received counts (a response cut part-way, whose bytes a resumed download does not ask
  // for again): how much of its request crossed is unknown, and a link that is down moved nothing. Counted, a cut
  // link's retries read as more traffic than a healthy link's.
  if (!from.level) return;
  const uint64_t bytes = (event.status != 0 ? event.request_bytes : 0) + event.response_bytes;
  if (bytes == 0) return;
  bytes_moved_ += bytes;
  Windows& level = *from.level;
  Record& parent = *from.parent;
  if (level.size() < windows) level.resize(windows, 0);
  if (from.windows.size() < windows) from.windows.resize(windows, {0, 0});
  if (parent.windows.size() < windows) parent.windows.resize(windows, {0, 0});
  spread(event.sent, event.done, bytes, [&](size_t window, uint64_t share) {
    from.windows[window][kLink] += share;
    from.windows[window][kNode] += share;
    level[window] += share;
    parent.windows[window][kNode] += share;
  });
}

void RunMetrics::on_fault(const FaultEvent& event) {
  const std::string action(to_string(event.step.action));
  if (event.planned) {  // the closing heal is listed (it shapes the timeline) but was not injected
    ++faults_by_kind_[action];
    ++faults_injected_;
  }
  nlohmann::json entry = {{"at", format_duration(std::chrono::round<std::chrono::milliseconds>(event.time))},
                          {"atNanoseconds", event.time.count()},
                          {"action", action},
                          {"targets", event.step.targets},
                          {"origin", event.step.origin}};
  if (event.step.action == FaultAction::ClockSkew) entry["skew"] = format_signed_duration(event.step.skew);
  fault_list_.push_back(std::move(entry));
}

void RunMetrics::on_push_acknowledged(const PushEvent& event) {
  const SimTopology& topology = world_.scenario().topology;
  // Minimal bytes: every node that should hold the push, but the one it was pushed at, receives it once.
  for (const auto& [node, depth] : depth_)
    if (node != event.node && syncs_repository(topology, node, event.repository)) minimal_bytes_ += event.bytes;
  const auto digest = oci::Digest::parse(event.digest);
  if (!digest) return;  // the invariant checks report that
  auto references = check::stored_manifest(world_.host(event.node).storage(), event.repository, *digest);
  if (!references) return;  // and that
  Arrival arrival{event.repository, *digest, std::move(*references), event.time, 0, false,
                  event.retag ? event.tag : std::string()};
  if (event.node == cli::kCloudNodeName) {
    for (const auto& [node, parent] : parent_) {
      if (!syncs_repository(topology, node, event.repository)) continue;
      arrival.depth = depth_.at(node);
      expected_[node].push_back(arrival);
    }
  } else if (depth_.contains(event.node)) {
    arrival.depth = depth_.at(event.node);
    arrival.up = true;
    expected_[std::string(cli::kCloudNodeName)].push_back(std::move(arrival));
  }
}

void RunMetrics::on_delete(const DeleteEvent& event) {
  const auto digest = oci::Digest::parse(event.digest);
  if (!digest) return;
  for (auto& [node, arrivals] : expected_)
    std::erase_if(arrivals, [&](const Arrival& arrival) {
      return arrival.repository == event.repository && arrival.digest == *digest;
    });
}

bool RunMetrics::present(const std::string& node, const Arrival& arrival) {
  storage::Storage& storage = world_.host(node).storage();
  // Asked at every round of a node while the arrival is on its way: whether the manifest is there, not its record.
  if (!storage.metadata->has_manifest(arrival.repository, arrival.digest)) return false;
  if (!arrival.tag.empty() && storage.metadata->resolve_tag(arrival.repository, arrival.tag) != arrival.digest)
    return false;
  return std::all_of(arrival.references.begin(), arrival.references.end(), [&](const oci::Digest& digest) {
    return check::stored_blob(storage, arrival.repository, digest);
  });
}

void RunMetrics::look_for_arrivals(const std::string& node, Nanoseconds now) {
  const auto found = expected_.find(node);
  if (found == expected_.end()) return;
  std::erase_if(found->second, [&](const Arrival& arrival) {
    if (!present(node, arrival)) return false;
    (arrival.up ? up_by_depth_ : down_by_depth_)[arrival.depth].push_back((now - arrival.acknowledged).count());
    return true;
  });
}

void RunMetrics::on_round_done(const RoundEvent& event) {
  if (series_) rounds_[event.node].push_back({event.began.count(), event.time.count()});
  if (expected_.empty()) return;  // nothing on its way anywhere: a quiet run's rounds look up nothing
  // What a round brings: content from above to this node, and this node's pushes up to its parent.
  look_for_arrivals(event.node, event.time);
  if (const auto parent = parent_.find(event.node); parent != parent_.end())
    look_for_arrivals(parent->second, event.time);
}

void RunMetrics::on_round_failed(const RoundEvent& event) {
  if (series_) failed_rounds_[event.node].push_back({event.began.count(), event.time.count()});
}

nlohmann::json RunMetrics::throughput_json(const Windows& windows, bool series) const {
  std::vector<int64_t> rates;
  nlohmann::json points = nlohmann::json::array();  // [window start (ns), bytes/s]
  uint64_t total = 0;
  const int64_t now = world_.loop().now().count();
  for (size_t index = 0; index < windows.size(); ++index) {
    const uint64_t bytes = windows[index];
    if (bytes == 0) continue;
    total += bytes;
    // Over the part of the window the run lived through: the last one is usually cut short by the run's end.
    const int64_t start = static_cast<int64_t>(index) * window_.count();
    const int64_t covered = std::clamp<int64_t>(now - start, 1, window_.count());
    rates.push_back(static_cast<int64_t>(static_cast<Wide>(bytes) * 1'000'000'000 / covered));
    if (series) points.push_back({static_cast<int64_t>(index) * window_.count(), rates.back()});
  }
  nlohmann::json out = percentiles_json(percentiles(rates));
  out["activeWindows"] = out["count"];
  out.erase("count");
  out["bytes"] = total;
  out["meanOverRun"] = now > 0 ? static_cast<int64_t>(static_cast<Wide>(total) * 1'000'000'000 / now) : 0;
  if (series) out["series"] = std::move(points);
  return out;
}

nlohmann::json RunMetrics::to_json() const {
  nlohmann::json links = nlohmann::json::object(), levels = nlohmann::json::object(),
                 nodes = nlohmann::json::object();
  const auto column = [](const Record& record, Column which) {
    Windows out;
    out.reserve(record.windows.size());
    for (const auto& window : record.windows) out.push_back(window[which]);
    return out;
  };
  for (const auto& [name, record] : records_) {
    if (record.link) links[name] = throughput_json(column(record, kLink), series_);
    if (record.node) nodes[name] = throughput_json(column(record, kNode), false);
  }
  for (const auto& [depth, windows] : levels_) levels[std::to_string(depth)] = throughput_json(windows, false);

  std::map<std::pair<bool, int>, uint64_t> missing;  // (up, depth) -> pushes not arrived by the end
  for (const auto& [node, arrivals] : expected_)
    for (const Arrival& arrival : arrivals) ++missing[{arrival.up, arrival.depth}];
  const auto propagation = [&missing](const std::map<int, std::vector<int64_t>>& by_depth, bool up) {
    nlohmann::json out = nlohmann::json::object();
    std::set<int> depths;
    for (const auto& [depth, values] : by_depth) depths.insert(depth);
    for (const auto& [key, count] : missing)
      if (key.first == up) depths.insert(key.second);
    for (const int depth : depths) {
      const auto values = by_depth.find(depth);
      nlohmann::json entry =
          milliseconds_json(percentiles(values == by_depth.end() ? std::vector<int64_t>{} : values->second));
      const auto not_arrived = missing.find({up, depth});
      entry["notArrived"] = not_arrived == missing.end() ? 0 : not_arrived->second;
      out[std::to_string(depth)] = std::move(entry);
    }
    return out;
  };

  const uint64_t events = world_.loop().events_dispatched();
  nlohmann::json retried_by_host = nlohmann::json::object();
  for (const auto& [host, count] : retried_by_host_) retried_by_host[host] = count;
  nlohmann::json by_kind = nlohmann::json::object();
  for (const auto& [kind, count] : faults_by_kind_) by_kind[kind] = count;
  nlohmann::json out = {
      {"window", format_duration(window_)},
      {"throughput", {{"unit", "bytes/s"}, {"links", links}, {"levels", levels}, {"nodes", nodes}}},
      {"propagation", {{"unit", "ms"}, {"down", propagation(down_by_depth_, false)},
                       {"up", propagation(up_by_depth_, true)}}},
      {"retries", {{"failedRequests", failed_requests_}, {"retried", retried_}, {"byHost", retried_by_host}}},
      {"bytes", {{"moved", bytes_moved_},
                 {"minimal", minimal_bytes_},
                 // null when nothing had to move: a ratio to zero would read as nothing moved
                 {"ratio", minimal_bytes_ > 0 ? nlohmann::json(static_cast<double>(bytes_moved_) /
                                                               static_cast<double>(minimal_bytes_))
                                              : nlohmann::json(nullptr)}}},
      {"faults", {{"injected", faults_injected_}, {"byKind", by_kind}, {"list", fault_list_}}},
      {"events", {{"dispatched", events},
                  {"busiestInstant", world_.loop().busiest_instant()},
                  {"blobTransfers", blob_transfers_},
                  {"perBlobTransfer", blob_transfers_ > 0 ? static_cast<double>(events) /
                                                                static_cast<double>(blob_transfers_)
                                                          : 0.0}}}};
  if (series_) {
    // Each round as [begin, end], per node.
    const auto intervals_json = [](const Intervals& by_node) {
      nlohmann::json rounds = nlohmann::json::object();
      for (const auto& [node, intervals] : by_node) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& [begin, end] : intervals) list.push_back({begin, end});
        rounds[node] = std::move(list);
      }
      return rounds;
    };
    out["rounds"] = intervals_json(rounds_);
    out["failedRounds"] = intervals_json(failed_rounds_);
  }
  return out;
}

}  // namespace outpost::sim::world
