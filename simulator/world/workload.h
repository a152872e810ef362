#pragma once
// Drives a scenario's workload through clients' HTTP requests, black-box: pushes at the cloud and at ReadWrite nodes,
// pulls at any node of what was pushed and should be there, deletes and untags of what was pushed, and the operator's
// token and scope-map changes. Every
// occurrence is scheduled on the loop before the run; each one spawns a coroutine, so many overlap as real clients
// would.
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "reference/common/http_client.h"
#include "reference/common/random.h"
#include "reference/common/task.h"
#include "simulator/world/observer.h"
#include "simulator/world/oci_client.h"
#include "simulator/world/operator.h"
#include "simulator/world/scenario.h"

namespace outpost::sim {
class EventLoop;
}

namespace outpost::sim::world {

struct WorkloadStats {
  uint64_t pushes_attempted = 0, pushes_acknowledged = 0, pushes_refused = 0, pushes_failed = 0;
  uint64_t pulls_attempted = 0, pulls_ok = 0, pulls_missing = 0, pulls_refused = 0, pulls_failed = 0;
  uint64_t pulls_unverified = 0;  // a blob that did not match its digest: always a violation
  uint64_t pulls_skipped = 0;     // nothing pushed yet that the node should hold
  uint64_t deletes_attempted = 0, deletes_acknowledged = 0, deletes_missing = 0, deletes_refused = 0,
           deletes_failed = 0;
  uint64_t deletes_skipped = 0;  // nothing acknowledged yet that the node syncs
  uint64_t tags_attempted = 0, tags_acknowledged = 0, tags_missing = 0, tags_refused = 0, tags_failed = 0;
  uint64_t tags_skipped = 0;  // nothing acknowledged yet that the node syncs
  uint64_t tags_uncertain = 0;  // acknowledged while a delete of the manifest was under way: not expected anywhere
  uint64_t changes_applied = 0, changes_failed = 0;
  nlohmann::json to_json() const;
};

// The deletes of each "repository@digest" under way, how many were settled (answered 202, or never answered), and
// those never answered, which may still land at any time (a paused node applies them when it resumes).
struct DeleteWatch {
  std::map<std::string, int> in_flight;
  std::map<std::string, uint64_t> settled;
  std::set<std::string> unanswered;
  // Whether a delete of the manifest could have taken it since `settled_before` (settled[key] when the tag was sent).
  bool may_take(const std::string& key, uint64_t settled_before) const;
};

struct AcknowledgedPush {
  Nanoseconds time{0};
  std::string node, repository, tag, digest;
};

struct WorkloadContext {
  EventLoop& loop;
  StopSignal& stop;
  Random& random;
  Operator& op;
  WorldObserver& observer;
  const SimTopology& topology;
  // The HTTP client of the clients that sit next to `node`.
  std::function<http::HttpClient&(const std::string& node)> clients_at;
};

class Workload {
 public:
  Workload(WorkloadContext context, const std::vector<WorkloadItem>& items);

  // Draws every occurrence within `duration` and schedules it at `start` + its time (virtual time of the loop).
  void schedule(Nanoseconds start, Nanoseconds duration);
  // Operations in flight (the run's end waits for them before judging convergence).
  size_t running() const { return running_; }
  uint64_t scheduled() const { return scheduled_; }

  // Pushes acknowledged and not taken back by a delete or untag acknowledged since: what must reach the cloud.
  const std::vector<AcknowledgedPush>& acknowledged() const { return acknowledged_; }
  const WorkloadStats& stats() const { return stats_; }

  // One occurrence, now (tests call these directly).
  void fire(const WorkloadItem& item);

 private:
  void push(const PushAction& action);
  void pull(const PullAction& action);
  void remove(const DeleteAction& action);
  void retag(const TagAction& action);
  // One push a pull, delete or tag at `node` draws among those it syncs, within `repositories` (names or prefix/*); null
  // when there is none. The pointer holds until acknowledged_ changes: the caller copies what it needs at once.
  const AcknowledgedPush* draw(const std::string& node, const std::vector<std::string>& repositories);
  OciEndpoint endpoint_at(const std::string& node, const std::string& token);
  void change(std::function<Task<void>()> make);
  Credentials credentials_of(const std::string& token) const;
  std::string authority_of(const std::string& node) const { return node + ":5000"; }
  void track(Task<void> task);

  WorkloadContext context_;
  const std::vector<WorkloadItem>& items_;
  size_t running_ = 0;
  uint64_t scheduled_ = 0;
  uint64_t push_sequence_ = 0;
  uint64_t tag_sequence_ = 0;
  std::vector<AcknowledgedPush> acknowledged_;
  DeleteWatch deletes_;
  WorkloadStats stats_;
};

}  // namespace outpost::sim::world
