#pragma once
// What happens in a world, as events for whoever watches: the trace (its hash identifies the run), the invariant
// checks (invariant_watch.h) and the run's metrics (run_metrics.h). Observers are called synchronously, at the virtual time of the event, and must not change the world.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/http.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

// One HTTP exchange that ended, as its client saw it: a response (status) or a transport failure (status 0).
struct RequestEvent {
  static constexpr uint32_t kNoClient = UINT32_MAX;
  Nanoseconds sent{0};
  Nanoseconds done{0};
  std::string from;  // the host that sent it ("factory", "operator", "client.factory")
  std::string to;    // the authority it went to ("cloud:5001")
  http::Method method = http::Method::Get;
  std::string target;
  int status = 0;
  std::string transport_error;
  uint64_t request_bytes = 0;
  uint64_t response_bytes = 0;
  // The client that sent it: a small number, one per client of a world, all its exchanges alike (kNoClient: an event
  // made outside a client). An observer that keeps records per sender may index them by it, so it resolves `from`
  // once rather than by name at every exchange (a cold lookup on a string key).
  uint32_t client = kNoClient;
};

struct FaultEvent {
  Nanoseconds time{0};
  FaultStep step;
  bool planned = true;  // false for the heal that ends the run (FaultInjector::apply_closing_heal)
};

// A push a client saw acknowledged (the manifest PUT answered 201).
struct PushEvent {
  Nanoseconds time{0};
  std::string node, repository, tag, digest;
  uint64_t bytes = 0;  // config and layers
  // A new tag on a manifest pushed before (the workload's `tag` action): what has to travel is the tag, not content
  // that may be everywhere already.
  bool retag = false;
};

// A delete (or untag) a client saw acknowledged (202), or sent without hearing how it went (a transport failure: the
// node may have applied it, as a paused node does once it resumes). Either way the push it took back is no longer
// expected anywhere; a refusal (4xx) is not an event.
struct DeleteEvent {
  Nanoseconds time{0};
  std::string node, repository, reference;  // reference: the digest deleted, or the tag untagged
  std::string digest;                       // the manifest the push made
  bool acknowledged = true;                 // false: the outcome is unknown
};

// A pull a client finished: the manifest and every blob (status 200 and verified), or where it stopped.
struct PullEvent {
  Nanoseconds time{0};
  std::string node, token, repository, tag;
  int status = 0;          // the first status that was not 200 (0: a transport failure), or 200
  bool verified = false;   // every blob matched its digest
};

// A connected registry finished a sync round (its agent's round counter moved), or a round of it failed (its
// failed-round counter moved: the parent could not be reached, refused, or sent what could not be applied).
struct RoundEvent {
  Nanoseconds began{0};  // when the round began (after any wait for its window to open)
  Nanoseconds time{0};   // when it ended
  std::string node;
  uint64_t rounds = 0;  // rounds completed (or, for a failed one, failed) by this node's current process
};

// A management call the operator made at the cloud (SPEC 7.2) that ended: what it asked and what came back. The
// invariant checks mirror the control plane's changes from these (the simulator's own belief of what the cloud holds).
struct ManagementEvent {
  Nanoseconds done{0};
  http::Method method = http::Method::Get;
  std::string path;  // below /mgmt/v1/: "tokens/line1-client"
  nlohmann::json request;  // the body sent (null: none)
  nlohmann::json answer;   // the body answered (null: none, or not JSON)
  int status = 0;          // 0: a transport failure
  std::string transport_error;
};

class WorldObserver {
 public:
  virtual ~WorldObserver() = default;
  virtual void on_request(const RequestEvent&) {}
  virtual void on_fault(const FaultEvent&) {}
  virtual void on_push_acknowledged(const PushEvent&) {}
  virtual void on_pull(const PullEvent&) {}
  virtual void on_delete(const DeleteEvent&) {}
  virtual void on_round_done(const RoundEvent&) {}
  virtual void on_round_failed(const RoundEvent&) {}
  virtual void on_management(const ManagementEvent&) {}
};

// Hands every event to each observer added, in the order they were added.
class ObserverList final : public WorldObserver {
 public:
  void add(WorldObserver& observer) { observers_.push_back(&observer); }
  void clear() { observers_.clear(); }
  void on_request(const RequestEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_request(event);
  }
  void on_fault(const FaultEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_fault(event);
  }
  void on_push_acknowledged(const PushEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_push_acknowledged(event);
  }
  void on_pull(const PullEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_pull(event);
  }
  void on_delete(const DeleteEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_delete(event);
  }
  void on_round_done(const RoundEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_round_done(event);
  }
  void on_round_failed(const RoundEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_round_failed(event);
  }
  void on_management(const ManagementEvent& event) override {
    for (WorldObserver* observer : observers_) observer->on_management(event);
  }

 private:
  std::vector<WorldObserver*> observers_;
};

}  // namespace outpost::sim::world
