// The connected registries' last reports across a restart of the cloud (ControlPlane::keep_reported_statuses): kept
// when the cloud stops, taken back when it starts, each with when it reached the cloud. Without them a restarted cloud
// showed every CR Offline and without a login server (so a child's connection string got the placeholder) until each
// reported again, an interval later.
#include "reference/common/log.h"
#include "reference/common/time_format.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

void ControlPlane::keep_reported_statuses() {
  nlohmann::json kept = nlohmann::json::array();
  {
    std::lock_guard lock(impl_->status_mutex);
    for (const auto& [name, received] : impl_->statuses)
      kept.push_back({{"name", name},
                      {"receivedAt", format_rfc3339(received.received_at)},
                      {"status", status_json(received.status)}});
  }
  impl_->store.put_setting(kReportedStatusesSetting, kept.dump());
}

void ControlPlane::Impl::take_back_reported_statuses() {
  const auto saved = store.setting(kReportedStatusesSetting);
  if (!saved || *saved == "[]") return;
  const auto snapshot = current();
  const WallTime now = clock.now();
  try {
    for (const nlohmann::json& entry : nlohmann::json::parse(*saved)) {
      const std::string name = entry.at("name").get<std::string>();
      if (!snapshot->connected_registry(name)) continue;  // deleted meanwhile
      const auto at = parse_rfc3339(entry.at("receivedAt").get<std::string>());
      if (!at) continue;
      // Its age as the wall clock tells it, never below zero; the monotonic clock of the last process is gone.
      const Nanoseconds age = std::max(Nanoseconds::zero(), std::chrono::duration_cast<Nanoseconds>(now - *at));
      statuses.insert_or_assign(name, ReceivedStatus{parse_status_json(entry.at("status")), clock.monotonic() - age, *at});
    }
  } catch (const std::exception& error) {
    log::warn("the connected registries' saved statuses are unreadable; each shows again once it reports",
              {{"error", error.what()}});
  }
  // Taken back once: a later start after a crash must not show these again as if they were the newest.
  store.put_setting(kReportedStatusesSetting, "[]");
}

}  // namespace outpost::control
