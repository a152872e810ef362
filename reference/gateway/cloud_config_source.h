#pragma once
// The cloud's ConfigSource: the authoritative control plane (SPEC 2, 5.2). Configuration documents are built from the
// current snapshot; activation and status go straight to the control plane.
#include <string>

#include "reference/control/control_plane.h"
#include "reference/gateway/config_source.h"

namespace outpost::gateway {

class CloudConfigSource final : public ConfigSource {
 public:
  // `login_server`: where connected registries under the cloud exchange tokens and read content (SPEC 5.2).
  CloudConfigSource(control::ControlPlane& control, std::string login_server);

  std::optional<std::string> document(std::string_view cr) override;
  uint64_t version(std::string_view cr) override;
  std::vector<std::string> repositories(std::string_view cr) override;
  Nanoseconds message_ttl(std::string_view cr) override;
  bool is_active_instance(std::string_view cr, std::string_view instance) override;
  void activate(std::string_view cr, const std::string& instance_id,
                std::function<void(std::optional<ApiError>)> done) override;
  void report_status(std::string_view cr, std::vector<RawReport> reports) override;

 private:
  control::ControlPlane& control_;
  const std::string login_server_;
};

}  // namespace outpost::gateway
