#pragma once
// What the simulator believes the cloud's control plane holds, in the oracle's terms (simulator/check/world.h): every
// management change the world's operator made, mirrored with the SPEC's derived rules (simulator/check/world_changes.h)
// and kept as a new version of the World from the instant the cloud applied it; and every password the operator was
// handed, so that an observed Authorization header reads back as a credential (simulator/check/credential.h). It is
// built only from what the operator asked and was answered, never read back from a node: a node that stored or
// replicated a change wrongly then disagrees with it.
#include <optional>
#include <string>
#include <vector>

#include "reference/common/clock.h"
#include "simulator/check/credential.h"
#include "simulator/check/world.h"
#include "simulator/check/world_history.h"
#include "simulator/world/observer.h"

namespace outpost::sim::world {

class ControlMirror {
 public:
  // The cloud as it starts: its two endpoints and the admin user's password, no tokens, maps or registries.
  // `window` 0: every change is a version of its own. Otherwise the changes applied within `window` of the first one
  // make a single version, from that first one's instant: a World of thousands of nodes is built by tens of thousands
  // of calls, and a copy of it per call would not fit in memory.
  ControlMirror(WallTime start, const std::string& cloud_login_server, const std::string& cloud_data_endpoint,
                const std::string& admin_password, Nanoseconds window = Nanoseconds(0));

  // One management call that changed (or, unanswered, may have changed) the cloud, applied there at `applied`.
  // Reads (GET) and refusals (status >= 300) change nothing. A change the mirror has no model for is listed in
  // unmodelled() (the checks may then disagree with the nodes about it).
  void apply(const ManagementEvent& call, WallTime applied);

  // With a window: changes are gathered into a version that history() does not hold yet. close_window(now) records
  // it once its window has passed (true when it did); flush() records it now.
  bool gathering() const { return gathering_.has_value(); }
  bool close_window(WallTime now);
  void flush();

  const check::WorldHistory& history() const { return history_; }
  const check::CredentialBook& book() const { return book_; }
  const check::World& current() const { return history_.current(); }
  const std::vector<std::string>& unmodelled() const { return unmodelled_; }
  // What made each version: "PUT tokens/line1-client", or "12 changes from PUT scopeMaps/..." for a gathered one.
  const std::string& label(size_t version) const { return labels_.at(version); }

 private:
  // Each returns false when the call is not one it models.
  bool apply_scope_map(const ManagementEvent& call, const std::string& name);
  bool apply_token(const ManagementEvent& call, const std::vector<std::string>& segments, WallTime applied);
  bool apply_connected_registry(const ManagementEvent& call, const std::vector<std::string>& segments,
                                WallTime applied);
  // What made a version, as label() tells it.
  static std::string label_of(const ManagementEvent& call);
  // The passwords an answer carries ({"passwords": [{"name": "password1", "value": ...}]}), with the serials the
  // model gave those slots.
  void remember_passwords(const std::string& token, const nlohmann::json& answer);

  Nanoseconds window_;
  std::optional<WallTime> gathering_;  // since when changes are being gathered into one version
  check::World world_;  // the newest version, changed in place, then recorded
  check::CredentialBook book_;
  check::WorldHistory history_;
  std::vector<std::string> unmodelled_;
  std::vector<std::string> labels_;  // per version
  std::string gathered_label_;
  size_t gathered_ = 0;
};

}  // namespace outpost::sim::world
