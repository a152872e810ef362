#include "simulator/world/invariant_watch.h"

#include <algorithm>
#include <optional>

#include "reference/common/iso_duration.h"
#include "reference/common/time_format.h"
#include "simulator/check/content.h"
#include "simulator/check/decision_observation.h"
#include "simulator/check/judgement.h"
#include "simulator/check/request.h"
#include "simulator/world/percentiles.h"
#include "simulator/world/quantities.h"
#include "simulator/world/world.h"

namespace outpost::sim::world {

namespace {
// The agent's default backoff cap (reference/sync/sync_agent.h): after a heal, the longest a node waits to try again.
constexpr Nanoseconds kBackoffCap = std::chrono::seconds(30);
// How long the agent waits on a silent parent beyond a long poll's own wait (its gateway calls' idle timeouts,
// reference/sync/sync_agent.cpp): a request sent just before an outage ends, into a partition or a stopped direction
// that drops it without a word, is given up only after this, so catching up after an outage may take this much more.
constexpr Nanoseconds kSilentRequestWait = std::chrono::seconds(60);

// "client.line1" for "client.line1:1" (a peer address as a node sees it).
std::string_view peer_host(std::string_view address) { return address.substr(0, address.rfind(':')); }

std::pair<std::string_view, std::string_view> split_target(std::string_view target) {
  const size_t question = target.find('?');
  if (question == std::string_view::npos) return {target, {}};
  return {target.substr(0, question), target.substr(question + 1)};
}

// "/v2/<repository>/blobs/<digest>": the repository and digest, or nothing.
std::optional<std::pair<std::string, std::string>> blob_path(std::string_view path) {
  if (!path.starts_with("/v2/")) return std::nullopt;
  const size_t blobs = path.rfind("/blobs/");
  if (blobs == std::string_view::npos || blobs < 4) return std::nullopt;
  const std::string_view digest = path.substr(blobs + 7);
  if (digest.empty() || digest.find('/') != std::string_view::npos || digest.find(':') == std::string_view::npos)
    return std::nullopt;
  return std::pair{std::string(path.substr(4, blobs - 4)), std::string(digest)};
}

std::optional<std::string> query_value(std::string_view query, std::string_view key) {
  for (size_t start = 0; start <= query.size();) {
    const size_t amp = query.find('&', start);
    const std::string_view pair =
        query.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    if (pair.size() > key.size() && pair.starts_with(key) && pair[key.size()] == '=')
      return http::percent_decode(pair.substr(key.size() + 1));
    if (amp == std::string_view::npos) break;
    start = amp + 1;
  }
  return std::nullopt;
}

// A cross-repository mount, "POST /v2/<target>/blobs/uploads/?mount=<digest>&from=<source>": its parts, or nothing
// (an upload, or a mount that names no source). One that also gives `digest` falls back to a monolithic upload of
// its body when the mount cannot be made, with the same 201: which of the two happened is not known here, so it is
// taken as the upload it may be (its `digest` records what the target holds), not judged as a read of its source.
struct Mount {
  std::string target, digest, source;
};
std::optional<Mount> mount_of(std::string_view path, std::string_view query) {
  constexpr std::string_view kUploads = "/blobs/uploads/";
  if (!path.starts_with("/v2/") || !path.ends_with(kUploads)) return std::nullopt;
  auto digest = query_value(query, "mount");
  auto source = query_value(query, "from");
  if (!digest || !source || query_value(query, "digest")) return std::nullopt;
  return Mount{std::string(path.substr(4, path.size() - 4 - kUploads.size())), std::move(*digest), std::move(*source)};
}

std::string path_and_query(std::string_view path, std::string_view query) {
  return std::string(path) + "?" + std::string(query);
}

std::string blob_key(std::string_view address, std::string_view from_host, http::Method method, std::string_view path) {
  std::string key(address);
  key += ' ';
  key += from_host;
  key += ' ';
  key += http::method_name(method);
  key += ' ';
  key += path;
  return key;
}

// A blob store that lists only what a byte budget allows (in digest order), so hashing every stored blob stays
// bounded in runs that moved terabytes; what it leaves out is counted.
class BudgetedBlobs final : public storage::BlobStore {
 public:
  BudgetedBlobs(storage::BlobStore& inner, uint64_t& budget, size_t& skipped)
      : inner_(inner), budget_(budget), skipped_(skipped) {}
  std::optional<uint64_t> size_of(const storage::Digest& digest) override { return inner_.size_of(digest); }
  std::unique_ptr<storage::BlobReader> open(const storage::Digest& digest) override { return inner_.open(digest); }
  storage::BlobInfo put(std::string_view) override { throw std::logic_error("the checks never write a store"); }
  bool remove(const storage::Digest&) override { throw std::logic_error("the checks never write a store"); }
  std::vector<storage::BlobInfo> list() override {
    std::vector<storage::BlobInfo> kept;
    for (storage::BlobInfo& info : inner_.list()) {
      if (info.size > budget_) {
        ++skipped_;
        continue;
      }
      budget_ -= info.size;
      kept.push_back(std::move(info));
    }
    return kept;
  }

 private:
  storage::BlobStore& inner_;
  uint64_t& budget_;
  size_t& skipped_;
};
}  // namespace

InvariantWatch::InvariantWatch(World& world, InvariantOptions options)
    : world_(world),
      options_(options),
      mirror_(kWorldStart, "cloud:5000", "cloud:5001", World::kAdminPassword,
              options.version_window >= Nanoseconds(0)                  ? options.version_window
              : world.scenario().topology.cluster.nodes.size() < 100 ? Nanoseconds(0)
                                                                      : Nanoseconds(std::chrono::seconds(1))),
      outages_(world.scenario().topology),
      log_(world.seed()),
      decisions_(mirror_.history(), mirror_.book(), log_,
                 check::DecisionInvariant::Horizon([this](int depth) { return lag(depth) + options_.horizon_slack; })),
      enforcement_(mirror_.history(), mirror_.book(), log_, [this](int depth) { return lag(depth); }),
      read_only_(mirror_.history(), log_),
      blob_reads_(mirror_.history(), mirror_.book(), log_, [this](int depth) { return lag(depth); },
                  [this](std::string_view address, std::string_view repository, std::string_view digest) {
                    return holds(address, repository, digest);
                  }),
      integrity_(log_),
      // The content checks run once, at the end of the settle, which lasted until the world converged or the
      // scenario's settle had passed: whatever still differs then is a violation.
      pushes_(log_, Nanoseconds(0)) {
  const cli::Topology& cluster = world.scenario().topology.cluster;
  const Nanoseconds level = parse_human_duration(cluster.sync_long_poll).value_or(std::chrono::seconds(30)) +
                            parse_human_duration(cluster.sync_status_interval).value_or(std::chrono::seconds(2)) +
                            kBackoffCap;
  if (options_.lag_per_level <= Nanoseconds(0)) options_.lag_per_level = level;
  if (options_.recovery_per_level <= Nanoseconds(0)) options_.recovery_per_level = level + kSilentRequestWait;
  log_.on_violation = [this](const check::Violation& violation) { on_violation(violation); };
}

InvariantWatch::~InvariantWatch() = default;

WallTime InvariantWatch::wall_now() const { return kWorldStart + world_.loop().now(); }

void InvariantWatch::attach(const std::string&, node::NodeOptions& options) {
  options.decision_observer = [this](const registry::DecisionRecord& record) { observe_decision(record); };
}

Nanoseconds InvariantWatch::lag(int depth) const {
  const Nanoseconds base = options_.lag_per_level * depth;
  const Nanoseconds recovery = options_.recovery_per_level * depth;
  return outages_.lag(context_node_, context_time_, base, recovery);
}

bool InvariantWatch::must_wait() const { return !changes_.empty() || mirror_.gathering(); }

void InvariantWatch::wait(Waiting waiting) {
  ++decisions_deferred_;
  deferred_.push_back(std::move(waiting));
}

void InvariantWatch::tick() {
  if (mirror_.close_window(wall_now())) judge_waiting();
}

void InvariantWatch::judge_waiting() {
  if (must_wait()) return;
  auto waiting = std::move(deferred_);
  deferred_.clear();
  for (const Waiting& judgement : waiting) {
    if (const auto* decision = std::get_if<check::ObservedDecision>(&judgement)) {
      judge(*decision);
    } else {
      judge_read(std::get<check::BlobRead>(judgement));
    }
  }
}

void InvariantWatch::observe_decision(const registry::DecisionRecord& record) {
  tick();
  ++decisions_seen_;
  check::observed_decision(record, wall_now(), decision_);
  check::ObservedDecision& decision = decision_;
  const std::string& address = decision.host.empty() ? decision.node : decision.host;
  const bool allowed = decision.outcome.status == 0;
  const bool read = decision.method == http::Method::Get || decision.method == http::Method::Head;
  // A blob this node is about to serve: judged (vii) once its client hears a 200.
  if (allowed && read && blob_path(decision.path))
    blob_candidates_[blob_key(address, peer_host(decision.from), decision.method, decision.path)].push_back(
        {decision.authorization, decision.time});
  // A mount this node may be about to make: its source is read, judged (vii) once its client hears a 201.
  if (allowed && decision.method == http::Method::Post && mount_of(decision.path, decision.query))
    blob_candidates_[blob_key(address, peer_host(decision.from), decision.method,
                              path_and_query(decision.path, decision.query))]
        .push_back({decision.authorization, decision.time});
  const bool operator_write = !read && decision.path.starts_with("/mgmt/v1/") && peer_host(decision.from) == "operator";
  const bool change = allowed && operator_write;
  const std::string changed = operator_write ? decision.path.substr(9) : std::string();
  // The operator's call this decides, if it had given up on it already (requests reach the cloud in the order sent).
  std::optional<ManagementEvent> given_up;
  if (operator_write) {
    const auto held = std::find_if(given_up_.begin(), given_up_.end(), [&](const ManagementEvent& call) {
      return call.method == decision.method && call.path.substr(0, call.path.find('?')) == changed;
    });
    if (held != given_up_.end()) {
      given_up = std::move(*held);
      given_up_.erase(held);
    }
  }
  if (must_wait()) {
    wait(decision);  // a copy: decision_ keeps its buffers for the next decision
  } else {
    judge(decision);
  }
  // The cloud applies the call in this very event, right after deciding: from now until the answer says what it
  // was, judgements wait. A call whose answer will never come (its caller gave up) counts as the one it asked for.
  if (change) {
    changes_.push_back({record.request.method, changed, wall_now(), std::move(given_up)});
    if (changes_.back().answered) record_changes();
  }
}

void InvariantWatch::judge(const check::ObservedDecision& decision) {
  const std::string& address = decision.host.empty() ? decision.node : decision.host;
  context_node_.assign(host_of(address));
  context_time_ = decision.time - kWorldStart;
  // One judgement for (i) and (iv): the oracle's answer for each version is asked once. (ii) reads the request as
  // the judgement classified it, and whether the node is ReadOnly as it found out.
  if (check::Judgement* judgement = judgements_.prepare(mirror_.history(), mirror_.book(), decision)) {
    if (judgement->reached_read_only) ++read_only_checked_;
    decisions_.observe(decision, *judgement);
    ++enforcement_checked_;
    enforcement_.observe(decision, *judgement);
    read_only_.observe(decision, judgement->request, judgement->reached_read_only);
    judgements_.keep(mirror_.history());
  } else {
    if (read_only_.read_only(address)) ++read_only_checked_;
    decisions_.observe(decision);  // counted as unjudged: a node the World does not know
    read_only_.observe(decision);
  }
}

void InvariantWatch::judge_read(const check::BlobRead& read) {
  context_node_ = std::string(host_of(read.address));
  context_time_ = read.time - kWorldStart;
  ++reads_checked_;
  blob_reads_.observe(read);
}

bool InvariantWatch::holds(std::string_view address, std::string_view repository, std::string_view digest) const {
  // The workload's knowledge: clients put this blob in that repository, and the node syncs it (the cloud syncs
  // everything; a node a client pushed to syncs what it pushed). Every blob the workload makes is its own (random
  // bytes, a labelled config), so a digest belongs to one repository.
  const auto uploaded = uploaded_to_.find(std::string(digest));
  if (uploaded == uploaded_to_.end() || !uploaded->second.contains(std::string(repository))) return false;
  const auto node = mirror_.current().node_at(address);
  return node && check::syncs(mirror_.current(), *node, repository);
}

void InvariantWatch::on_request(const RequestEvent& event) {
  tick();
  recent_.add(event);
  const auto [path, query] = split_target(event.target);
  const WallTime done = kWorldStart + event.done;
  // (ii) on what the client heard.
  if (read_only_.read_only(event.to)) {
    ++read_only_checked_;
    read_only_.observe_response(done, event.to, event.method, path, query, event.status);
  }
  const auto blob = blob_path(path);
  // What the workload's clients put where (an upload finished with its digest): (vii)'s knowledge of who holds what.
  const size_t uploads = path.find("/blobs/uploads/");
  if (event.status == 201 && path.starts_with("/v2/") && uploads != std::string_view::npos &&
      event.from.starts_with("client."))
    if (const auto digest = query_value(query, "digest"))
      uploaded_to_[*digest].insert(std::string(path.substr(4, uploads - 4)));
  // A mount made (201, not the 202 of an upload it fell back to): its target holds the blob now, and its source was
  // read (SPEC 3.6: a mount never lends what the token may not read there).
  std::optional<check::BlobRead> read;
  if (const auto mount = event.method == http::Method::Post && event.status == 201 ? mount_of(path, query)
                                                                                 : std::nullopt) {
    uploaded_to_[mount->digest].insert(mount->target);
    const auto candidate = take_candidate(event, path_and_query(path, query), done);
    if (!candidate) return;
    read = check::BlobRead{candidate->decided, event.to, candidate->authorization, mount->source, mount->digest, true,
                           mount->target};
  } else {
    if (!blob || (event.method != http::Method::Get && event.method != http::Method::Head)) return;
    // Only a blob served takes an allowed read off the queue: a refusal (401, 403, 429) or a cut answer to another
    // request with the same key (one client address, several tokens) took the oldest, and the read it belonged to,
    // answered later, was left with none. (An allowed read that was not served stays queued for the next one served.)
    if (event.status != 200 && event.status != 206) return;
    const auto candidate = take_candidate(event, std::string(path), done);
    if (!candidate) return;
    read = check::BlobRead{candidate->decided, event.to, candidate->authorization, blob->first, blob->second, false,
                           ""};
  }
  if (must_wait()) {
    wait(std::move(*read));
  } else {
    judge_read(*read);
  }
}

std::optional<InvariantWatch::BlobCandidate> InvariantWatch::take_candidate(const RequestEvent& event,
                                                                            const std::string& target, WallTime done) {
  // This request's own decision came after it was sent: an entry decided before that is another request's (an
  // allowed read answered 404 or 416 leaves its entry queued), which must not vouch for this one.
  const WallTime sent = kWorldStart + event.sent;
  const auto candidates = blob_candidates_.find(blob_key(event.to, event.from, event.method, target));
  const auto own = candidates == blob_candidates_.end()
                       ? std::deque<BlobCandidate>::iterator()
                       : std::find_if(candidates->second.begin(), candidates->second.end(),
                                      [&](const BlobCandidate& candidate) { return candidate.decided >= sent; });
  if (candidates == blob_candidates_.end() || own == candidates->second.end()) {
    // Served, with no decision that allowed it: a handler that served a blob its decision refused, or a route that
    // never asked, escaped every check that reads decisions alone.
    ++reads_checked_;
    log_.report(done, event.to, check::invariant::kNoReadWithoutRight,
                std::string(http::method_name(event.method)) + " " + target + " by " + event.from + " was answered " +
                    std::to_string(event.status) + " without a decision that allowed it (SPEC 3.6)");
    return std::nullopt;
  }
  BlobCandidate candidate = std::move(*own);
  candidates->second.erase(own);
  if (candidates->second.empty()) blob_candidates_.erase(candidates);
  return candidate;
}

void InvariantWatch::on_fault(const FaultEvent& event) {
  tick();
  recent_.add(event);
  const bool on_cloud =
      std::find(event.step.targets.begin(), event.step.targets.end(), cli::kCloudNodeName) != event.step.targets.end();
  if (on_cloud && event.step.action == FaultAction::Crash) given_up_.clear();  // what it held is lost
  outages_.on_fault(event.time, event.step, world_.faults().any_active());
}

void InvariantWatch::on_push_acknowledged(const PushEvent& event) {
  tick();
  const std::string address = event.node + ":5000";
  const WallTime time = kWorldStart + event.time;
  ++pushes_checked_;
  const auto references = check::stored_manifest(world_.host(event.node).storage(), event.repository, event.digest);
  if (!references) {
    log_.report(time, address, check::invariant::kAcknowledgedPushReachesCloud,
                event.repository + ":" + event.tag + "@" + event.digest +
                    " was acknowledged, but the node that acknowledged it does not hold that manifest");
    return;
  }
  pushes_.acknowledged({time, address, event.repository, event.tag, event.digest, *references});
}

void InvariantWatch::on_delete(const DeleteEvent& event) {
  tick();
  // Only a delete by digest takes the manifest away: an untag leaves it at the cloud (this registry collects blobs,
  // never manifests), where every push of it is still expected. Withdrawn on an untag, a node that turned an untag
  // into a delete of the manifest, on both sides, broke no check (found in review).
  if (event.reference == event.digest) pushes_.withdrawn(event.repository, event.digest);
}

void InvariantWatch::on_management(const ManagementEvent& event) {
  tick();
  if (event.method == http::Method::Get || event.method == http::Method::Head) return;
  const std::string path = event.path.substr(0, event.path.find('?'));
  const auto pending = std::find_if(changes_.begin(), changes_.end(), [&](const PendingChange& change) {
    return !change.answered && change.method == event.method && change.path == path;
  });
  if (pending != changes_.end()) {
    pending->answered = event;
  } else if (event.status == 0 && outages_.paused(std::string(cli::kCloudNodeName))) {
    given_up_.push_back(event);  // held, not decided yet: the cloud may still apply it (observe_decision)
  } else if (event.status > 0 && event.status < 300) {
    // Accepted, though its decision was never seen (a node without the observer): from when the answer came.
    mirror_.apply(event, kWorldStart + event.done);
  }
  record_changes();
}

void InvariantWatch::record_changes() {
  while (!changes_.empty() && changes_.front().answered) {
    mirror_.apply(*changes_.front().answered, changes_.front().applied);
    changes_.pop_front();
  }
  judge_waiting();
}

void InvariantWatch::run_started() {
  mirror_.flush();
  judge_waiting();
  run_version_ = mirror_.history().size();
}

void InvariantWatch::healed() {
  const Nanoseconds now = world_.loop().now();
  healed_at_ = now;
  outages_.healed(now);
  pushes_.healed(kWorldStart + now);
}

void InvariantWatch::settled() {
  // Calls never answered (the run ended first) leave their judgements waiting: judge them against what is known.
  changes_.clear();
  mirror_.flush();
  record_changes();
  if (!healed_at_) healed();
  const WallTime now = wall_now();
  convergence_.emplace(log_, world_.loop().now() - *healed_at_);
  convergence_->healed(kWorldStart + *healed_at_);
  storage::Storage& cloud = world_.host(std::string(cli::kCloudNodeName)).storage();
  const check::NodeContent cloud_content = check::read_content(cloud);
  for (const cli::NodeSpec& node : world_.scenario().topology.cluster.nodes) {
    ++nodes_checked_;
    const check::NodeContent held = check::read_content(world_.host(node.name).storage());
    convergence_->observe(now, node.name + ":5000",
                         check::node_differences(cloud_content, mirror_.current(), {node.name, false}, held));
  }
  pushes_.check(
      now, [&cloud](std::string_view repository, std::string_view digest) {
        return check::stored_manifest(cloud, repository, digest);
      },
      [&cloud](std::string_view repository, std::string_view digest) {
        return check::stored_blob(cloud, repository, digest);
      });
  uint64_t budget = options_.blob_integrity_budget;
  const auto check_store = [&](const std::string& name) {
    BudgetedBlobs blobs(*world_.host(name).storage().blobs, budget, blobs_skipped_);
    integrity_.check_store(now, name + ":5000", blobs);
  };
  check_store(std::string(cli::kCloudNodeName));
  for (const cli::NodeSpec& node : world_.scenario().topology.cluster.nodes) check_store(node.name);
}

void InvariantWatch::time_stood_still(const TimeStoodStill& stall) {
  std::string node = recent_.busiest_sender_since(stall.at);
  if (node.empty()) node = "world";
  log_.report(kWorldStart + stall.at, node, check::invariant::kTimeMoves,
              std::to_string(stall.events) +
                  " events ran at this virtual instant without time moving on: something schedules work for now again "
                  "and again (a busy loop); the run stopped here");
}

void InvariantWatch::on_violation(const check::Violation& violation) {
  last_events_.push_back(recent_.involving(violation.node, options_.last_events));
  // On the node's own track ("line1", not "line1:5000", which a check may name): beside its sync rounds.
  world_.trace().record(world_.loop().now(), "violation", std::string(host_of(violation.node)), violation.invariant,
                        violation.detail);
}

std::vector<std::string> InvariantWatch::violation_texts() const {
  std::vector<std::string> out;
  const auto& violations = log_.violations();
  for (size_t i = 0; i < violations.size(); ++i) {
    const check::Violation& v = violations[i];
    const Nanoseconds at = v.time - kWorldStart;
    std::string text = v.invariant + " at " + v.node + ", virtual time " +
                       format_duration(std::chrono::round<std::chrono::milliseconds>(at)) + " (" +
                       format_rfc3339(v.time) + "), seed " + std::to_string(v.seed) + ": " + v.detail;
    if (i < last_events_.size() && !last_events_[i].empty()) {
      text += "\n    last events involving " + std::string(host_of(v.node)) + ":";
      for (const std::string& line : last_events_[i]) text += "\n      " + line;
    }
    out.push_back(std::move(text));
  }
  return out;
}

nlohmann::json InvariantWatch::to_json() const {
  namespace inv = check::invariant;
  const auto check = [this](std::string_view name, size_t checked) {
    return nlohmann::json{{"name", name}, {"checked", checked}, {"violations", log_.count(name)}};
  };
  nlohmann::json checks = nlohmann::json::array(
      {check(inv::kDecisionMatchesOracle, decisions_.judged()), check(inv::kNoWriteOnReadOnly, read_only_checked_),
       check(inv::kConvergence, nodes_checked_), check(inv::kChangesEnforced, enforcement_checked_),
       check(inv::kAcknowledgedPushReachesCloud, pushes_checked_), check(inv::kBlobMatchesDigest, integrity_.checked()),
       check(inv::kNoReadWithoutRight, reads_checked_), check(inv::kTimeMoves, world_.loop().events_dispatched())});
  // The delays of the run's own changes (the setup's are proven late, by whatever request first tells versions
  // apart: not a delay anyone waited for).
  std::map<int, std::vector<int64_t>> by_depth;
  std::map<size_t, nlohmann::json> by_change;
  for (const auto& delay : enforcement_.delays()) {
    if (delay.version < run_version_) continue;
    by_depth[delay.depth].push_back(delay.delay.count());
    by_change[delay.version].push_back({{"node", delay.node},
                                        {"depth", delay.depth},
                                        {"ms", static_cast<double>(delay.delay.count() / 1000) / 1000.0}});
  }
  nlohmann::json delays = nlohmann::json::object();
  for (auto& [depth, values] : by_depth) delays[std::to_string(depth)] = milliseconds_json(percentiles(values));
  nlohmann::json changes = nlohmann::json::array();
  for (size_t version = run_version_; version < mirror_.history().size(); ++version)
    changes.push_back({{"version", version},
                       {"at", format_duration(std::chrono::round<std::chrono::milliseconds>(
                                  mirror_.history().since(version) - kWorldStart))},
                       {"change", mirror_.label(version)},
                       {"enforced", by_change.contains(version) ? by_change[version] : nlohmann::json::array()}});
  nlohmann::json violations = nlohmann::json::array();
  const auto& logged = log_.violations();
  for (size_t i = 0; i < logged.size(); ++i) {
    const check::Violation& v = logged[i];
    violations.push_back({{"seed", v.seed},
                          {"virtualTime", format_duration(std::chrono::round<std::chrono::milliseconds>(
                                              v.time - kWorldStart))},
                          {"virtualNanoseconds", (v.time - kWorldStart).count()},
                          {"node", v.node},
                          {"invariant", v.invariant},
                          {"detail", v.detail},
                          {"lastEvents", i < last_events_.size() ? last_events_[i] : std::vector<std::string>{}}});
  }
  return {{"held", held()},
          {"checks", std::move(checks)},
          {"decisions", {{"observed", decisions_seen_}, {"judged", decisions_.judged()},
                         {"unjudged", decisions_.unjudged()}, {"deferred", decisions_deferred_}}},
          {"enforcement", {{"lagPerLevel", format_duration(options_.lag_per_level)},
                           {"recoveryPerLevel", format_duration(options_.recovery_per_level)},
                           {"delaysMs", std::move(delays)},
                           {"changes", std::move(changes)}}},
          {"blobIntegrity", {{"checked", integrity_.checked()}, {"skipped", blobs_skipped_}}},
          {"worldVersions", mirror_.history().size()},
          {"unmodelledChanges", mirror_.unmodelled()},
          {"violations", std::move(violations)}};
}

}  // namespace outpost::sim::world
