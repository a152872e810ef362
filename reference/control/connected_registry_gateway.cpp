// The gateway-facing operations on connected registries (SPEC 2.7, 5.3): activation, reported status and forwarded
// notifications. The data endpoint calls them; they have no management route of their own.
#include <algorithm>

#include "reference/common/ascii.h"
#include "reference/control/control_errors.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

namespace {

// Persists and publishes a changed record (activation state); the caller holds `writer`.
void store_registry(ControlPlane::Impl& impl, const ConnectedRegistry& cr) {
  impl.store.put_connected_registry(cr);
  auto next = impl.draft();
  ControlPlane::Impl::set_connected_registry(*next, cr);
  impl.publish(std::move(next));
}
}  // namespace

void ControlPlane::activate(std::string_view name, std::string_view instance_id) {
  if (instance_id.empty()) throw invalid_request("activating a connected registry takes its instance id");
  const std::string key = ascii_lowercase(name);
  std::lock_guard lock(impl_->writer);
  ConnectedRegistry cr = existing_registry_or_404(*impl_->current(), key);
  if (cr.instance_id == instance_id) return;  // the same instance again (a restart on its data directory)
  if (cr.active())
    // ACR's words for this refusal (SPEC 2.7).
    throw ApiError(409, "ALREADY_ACTIVATED",
                   "Failed to activate the connected registry as it is already activated by another instance. Only "
                   "one instance is supported at any time. Deactivate connected registry " +
                       in_quotes(key) + " before starting another instance.",
                   {{"name", key}});
  cr.instance_id = std::string(instance_id);
  store_registry(*impl_, cr);
}

void ControlPlane::deactivate(std::string_view name) {
  const std::string key = ascii_lowercase(name);
  std::lock_guard lock(impl_->writer);
  ConnectedRegistry cr = existing_registry_or_404(*impl_->current(), key);
  if (!cr.active()) return;
  cr.instance_id.clear();
  store_registry(*impl_, cr);
}

namespace {
ControlPlane::Impl::ReceivedStatus received(const ControlPlane::Impl& impl, ConnectedRegistryStatus status) {
  return {std::move(status), impl.clock.monotonic(), impl.clock.now()};
}
}  // namespace

// Reports check that the CR exists while holding status_mutex: a delete publishes first and then clears the CR's status
// under that mutex, so a report racing with it either sees the CR gone or lands before the clearing.
void ControlPlane::report_status(std::string_view name, ConnectedRegistryStatus status) {
  const std::string key = ascii_lowercase(name);
  std::lock_guard lock(impl_->status_mutex);
  existing_registry_or_404(*impl_->current(), key);
  impl_->statuses.insert_or_assign(key, received(*impl_, std::move(status)));
}

void ControlPlane::report_status(const Snapshot& found_in, std::string_view name, ConnectedRegistryStatus status) {
  // A name with capitals is not a key as it is (keys are lowercase): the lookup by name says what it is.
  if (std::any_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return report_status(name, std::move(status));
  std::lock_guard lock(impl_->status_mutex);
  // Checked under status_mutex as above: a snapshot published since may no longer hold the CR.
  if (const auto current = impl_->current(); current.get() != &found_in) existing_registry_or_404(*current, name);
  if (const auto found = impl_->statuses.find(name); found != impl_->statuses.end())
    found->second = received(*impl_, std::move(status));
  else
    impl_->statuses.emplace(std::string(name), received(*impl_, std::move(status)));
}

std::optional<ConnectedRegistryStatus> ControlPlane::status(std::string_view name) const {
  const std::string key = ascii_lowercase(name);
  std::lock_guard lock(impl_->status_mutex);
  const auto it = impl_->statuses.find(key);
  if (it == impl_->statuses.end()) return std::nullopt;
  return it->second.status;
}

void ControlPlane::add_notifications(std::string_view name, std::vector<nlohmann::json> events) {
  const std::string key = ascii_lowercase(name);
  std::lock_guard lock(impl_->status_mutex);
  existing_registry_or_404(*impl_->current(), key);
  auto& kept = impl_->notifications[key];
  for (auto& event : events) kept.push_back(std::move(event));
  while (kept.size() > kMaxNotificationsPerConnectedRegistry) kept.pop_front();
}

}  // namespace outpost::control
