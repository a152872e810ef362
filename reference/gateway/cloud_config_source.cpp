#include "reference/gateway/cloud_config_source.h"

#include <algorithm>

#include "reference/common/iso_duration.h"
#include "reference/common/log.h"
#include "reference/control/connected_registry_config.h"

namespace outpost::gateway {

CloudConfigSource::CloudConfigSource(control::ControlPlane& control, std::string login_server)
    : control_(control), login_server_(std::move(login_server)) {}

std::optional<nlohmann::json> CloudConfigSource::document(std::string_view cr) {
  const auto snapshot = control_.snapshot();
  if (!snapshot->connected_registry(cr)) return std::nullopt;
  nlohmann::json descendants = nlohmann::json::array();
  for (const auto& name : control::descendants_of(*snapshot, cr))
    descendants.push_back({{"version", snapshot->config_version(name)}, {"config", control::own_config(*snapshot, name)}});
  return nlohmann::json{{"version", snapshot->config_version(cr)},
                        {"loginServer", login_server_},
                        {"config", control::own_config(*snapshot, cr)},
                        {"descendants", std::move(descendants)}};
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

void CloudConfigSource::activate(std::string_view cr, const std::string& instance_id,
                                 std::function<void(std::optional<ApiError>)> done) {
  try {
    control_.activate(cr, instance_id);
  } catch (const ApiError& error) {
    return done(error);
  }
  done(std::nullopt);
}

void CloudConfigSource::report_status(std::string_view cr, std::vector<RawReport> reports) {
  const auto snapshot = control_.snapshot();
  // Sorted for lookup: a regional CR's report lists hundreds of descendants.
  auto descendants = control::descendants_of(*snapshot, cr);
  std::sort(descendants.begin(), descendants.end());
  for (const auto& raw : reports) {
    const std::string& name = raw.name;
    // A node reports for itself and relays for its descendants, nothing else.
    if (name.empty() || (name != cr && !std::binary_search(descendants.begin(), descendants.end(), name))) continue;
    // Valid JSON (the whole body was), read here for the first time since its node wrote it.
    const nlohmann::json report = nlohmann::json::parse(raw.text);
    // Only the activated instance speaks for a CR: a second one, refused with ALREADY_ACTIVATED, must not overwrite
    // the status of the one that runs (SPEC 2.7).
    const auto* registry = snapshot->connected_registry(name);
    if (registry && report.contains("instanceId") && report["instanceId"].is_string() &&
        report["instanceId"].get<std::string>() != registry->instance_id)
      continue;
    try {
      control_.report_status(name, control::parse_status_json(report));
      if (report.contains("notifications") && report["notifications"].is_array() && !report["notifications"].empty())
        control_.add_notifications(name, report["notifications"].get<std::vector<nlohmann::json>>());
    } catch (const std::exception& error) {
      log::warn("status report refused", {{"cr", name}, {"error", error.what()}});
    }
  }
}

}  // namespace outpost::gateway
