#pragma once
// What an invariant reports when it fails, and where reports go. A violation names everything needed to replay and
// read it: the world's seed, the virtual time, the node, the invariant, what was wrong, and the last events of the run
// (the trace is not this folder's business: the caller says how to get them).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/clock.h"

namespace outpost::check {

struct Violation {
  uint64_t seed = 0;
  WallTime time{};
  std::string node;
  std::string invariant;  // e.g. "decision-matches-oracle"
  std::string detail;
  std::vector<std::string> last_events;
};

std::string describe(const Violation& violation);

class ViolationLog {
 public:
  using RecentEvents = std::function<std::vector<std::string>()>;

  explicit ViolationLog(uint64_t seed = 0, RecentEvents recent_events = {})
      : seed_(seed), recent_events_(std::move(recent_events)) {}

  void report(WallTime time, std::string_view node, std::string_view invariant, std::string detail);

  const std::vector<Violation>& violations() const { return violations_; }
  bool empty() const { return violations_.empty(); }
  size_t count(std::string_view invariant) const;
  // Every violation, one block each, for a failing test's message.
  std::string summary() const;
  // Called with each violation as it is reported (a simulator may stop the run at the first one).
  std::function<void(const Violation&)> on_violation;

 private:
  uint64_t seed_;
  RecentEvents recent_events_;
  std::vector<Violation> violations_;
};

// Invariant names, as violations carry them.
namespace invariant {
inline constexpr std::string_view kDecisionMatchesOracle = "decision-matches-oracle";                 // (i)
inline constexpr std::string_view kNoWriteOnReadOnly = "no-write-on-read-only";                       // (ii)
inline constexpr std::string_view kConvergence = "convergence";                                       // (iii)
inline constexpr std::string_view kChangesEnforced = "changes-enforced-in-time";                      // (iv)
inline constexpr std::string_view kAcknowledgedPushReachesCloud = "acknowledged-push-reaches-cloud";  // (v)
inline constexpr std::string_view kBlobMatchesDigest = "blob-matches-digest";                         // (vi)
inline constexpr std::string_view kNoReadWithoutRight = "no-blob-read-without-right";                 // (vii)
inline constexpr std::string_view kTimeMoves = "time-moves";  // (viii) the world's: no busy loop at one instant
}  // namespace invariant

}  // namespace outpost::check
