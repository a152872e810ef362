#include "reference/gateway/cloud_config_source.h"

#include <algorithm>

#include "reference/common/iso_duration.h"
#include "reference/common/json_text.h"
#include "reference/common/log.h"
#include "reference/control/connected_registry_config.h"
#include "reference/gateway/status_report.h"

namespace outpost::gateway {

CloudConfigSource::CloudConfigSource(control::ControlPlane& control, std::string login_server)
    : control_(control), login_server_(std::move(login_server)) {}

std::optional<std::string> CloudConfigSource::document(std::string_view cr) {
  const auto snapshot = control_.snapshot();
  if (!snapshot->connected_registry(cr)) return std::nullopt;
  nlohmann::json descendants = nlohmann::json::array();
  for (const auto& name : control::descendants_of(*snapshot, cr))
    descendants.push_back({{"version", snapshot->config_version(name)}, {"config", control::own_config(*snapshot, name)}});
  return json_text(nlohmann::json{{"version", snapshot->config_version(cr)},
                                  {"loginServer", login_server_},
                                  {"config", control::own_config(*snapshot, cr)},
                                  {"descendants", std::move(descendants)}});
}

uint64_t CloudConfigSource::version(std::string_view cr) { return control_.snapshot()->config_version(cr); }

std::vector<std::string> CloudConfigSource::repositories(std::string_view cr) {
  const auto snapshot = control_.snapshot();
  const auto* registry = snapshot->connected_registry(cr);
  return registry ? registry->repositories : std::vector<std::string>{};
}

Nanoseconds CloudConfigSource::message_ttl(std::string_view cr) {
  const auto snapshot = control_.snapshot();
  const auto* registry = snapshot->connected_registry(cr);
  if (!registry) return std::chrono::hours(48);
  return registry->sync.message_ttl;
}

bool CloudConfigSource::is_active_instance(std::string_view cr, std::string_view instance) {
  const auto snapshot = control_.snapshot();
  const auto* registry = snapshot->connected_registry(cr);
  return registry && registry->instance_id == instance;
}

void CloudConfigSource::activate(std::string_view cr, const std::string& instance_id,
                                 std::function<void(std::optional<ApiError>)> done) {
  try {
    control_.activate(cr, instance_id);
  } catch (const ApiError& error) {
    return done(error);
  }
  done(std::nullopt);
}

namespace {
// Whether `registry` is below `cr`: its chain of parents reaches `cr`. The same answer as looking it up in
// descendants_of(cr), whose children index is built from these parents (a CR without one is a child of "", the
// cloud), without listing and sorting a regional CR's whole subtree for every body it sends. Bounded, as that walk is.
// `known_below` (may be empty) is a CR found below `cr` already: a chain that reaches it reaches `cr`. A body lists
// whole families of siblings one after the other, so with their parent remembered most chains stop at the first step.
bool below(const control::Snapshot& snapshot, const control::ConnectedRegistry* registry, std::string_view cr,
           std::string_view known_below) {
  for (size_t steps = 0; registry && steps <= snapshot.connected_registries.size(); ++steps) {
    const std::string_view parent = registry->parent ? std::string_view(*registry->parent) : std::string_view();
    if (parent == cr || (!known_below.empty() && parent == known_below)) return true;
    if (!registry->parent) return false;
    registry = snapshot.connected_registry(*registry->parent);
  }
  return false;
}

// Finds the CRs of a body's reports in a snapshot. A body lists its sender's report, then its subtree's in name order,
// and a subtree's names mostly follow one another in the snapshot's map too: each is looked for first among the few
// entries from the one found last, which reads those entries instead of searching the whole map (a search reads a
// dozen cold entries of a fleet's thousands). The same answers as Snapshot::connected_registry.
class RegistryCursor {
 public:
  explicit RegistryCursor(const control::Snapshot& snapshot)
      : map_(snapshot.connected_registries), at_(map_.end()) {}

  const control::ConnectedRegistry* find(std::string_view name) {
    auto next = at_;
    for (int step = 0; step < kSteps && next != map_.end(); ++step, ++next) {
      const std::string& key = next->first;
      if (key == name) return &(at_ = next)->second;
      if (name < key) break;  // before this entry: not among the ones after it
    }
    at_ = map_.find(name);
    return at_ == map_.end() ? nullptr : &at_->second;
  }

 private:
  static constexpr int kSteps = 3;  // the one found last, and the two after it
  const control::NameMap<control::ConnectedRegistry>& map_;
  control::NameMap<control::ConnectedRegistry>::const_iterator at_;
};
}  // namespace

void CloudConfigSource::report_status(std::string_view cr, std::vector<RawReport> reports) {
  const auto snapshot = control_.snapshot();
  RegistryCursor registries(*snapshot);
  std::string_view known_below;  // the parent of the last descendant found (below `cr`, or `cr` itself)
  for (const auto& raw : reports) {
    const std::string_view name = raw.name;
    if (name.empty()) continue;
    const auto* registry = registries.find(name);
    // A node reports for itself and relays for its descendants, nothing else.
    if (name != cr) {
      if (!below(*snapshot, registry, cr, known_below)) continue;
      known_below = registry->parent ? std::string_view(*registry->parent) : std::string_view();
    }
    // Only the members the cloud acts on (status_report.h), as the body's reading outlined them.
    const StatusReport report(raw);
    // Only the activated instance speaks for a CR: a second one, refused with ALREADY_ACTIVATED, must not overwrite
    // the status of the one that runs (SPEC 2.7).
    if (registry && report.names_other_instance(registry->instance_id)) continue;
    try {
      // Read first: a report whose notifications are not well formed is ignored whole (docs/protocol.md).
      auto notifications = report.notifications();
      // One found goes with the snapshot it was found in: the control plane need not search for it again. One not
      // found (only ever the sender itself) is looked for by name, and refused there.
      if (registry)
        control_.report_status(*snapshot, name, report.status());
      else
        control_.report_status(name, report.status());
      if (!notifications.empty()) control_.add_notifications(name, std::move(notifications));
    } catch (const std::exception& error) {
      log::warn("status report refused", {{"cr", name}, {"error", error.what()}});
    }
  }
}

}  // namespace outpost::gateway
