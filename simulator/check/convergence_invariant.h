#pragma once
// Invariant (iii): once faults have healed and sync windows are open, every node holds what it should (content.h:
// the cloud's content that it syncs) within a deadline. The simulator says when the clock starts (healed()) and
// shows the checker each node's content as it observes it; a node still different at or after the deadline is a
// violation (reported once per node and heal), with the differences. Convergence times are kept for the report.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/check/content.h"
#include "simulator/check/violation.h"

namespace outpost::check {

class ConvergenceInvariant {
 public:
  ConvergenceInvariant(ViolationLog& log, Nanoseconds deadline);

  // Faults healed and windows opened at `when`: every node must have converged by when + deadline. Forgets earlier
  // convergences (content may have changed since).
  void healed(WallTime when);
  // One look at `node`: `differences` from content_differences()/node_differences(). True when it has converged.
  bool observe(WallTime now, std::string_view node, const std::vector<std::string>& differences);

  // From the heal to the first observation that found the node converged.
  std::optional<Nanoseconds> convergence_time(std::string_view node) const;

 private:
  struct NodeState {
    std::optional<WallTime> converged_at;
    bool reported = false;
  };
  ViolationLog& log_;
  const Nanoseconds deadline_;
  std::optional<WallTime> healed_;
  std::map<std::string, NodeState, std::less<>> nodes_;
};

}  // namespace outpost::check
