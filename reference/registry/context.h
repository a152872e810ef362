#pragma once
// What every handler works with: the node's storage and seams, its access policy and options.
#include <cstdint>
#include <functional>
#include <string>

#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/oci/content_change.h"
#include "reference/registry/access.h"
#include "reference/registry/upload_leases.h"
#include "reference/storage/storage.h"

namespace outpost::registry {

struct RegistryOptions {
  uint64_t manifest_size_limit = 4 * 1024 * 1024;  // SPEC 6.2
  std::function<bool()> ready;                     // /readyz; absent = ready once constructed
  std::function<std::string()> metrics_text;       // /metrics body (Prometheus text); absent = 404
  // Each manifest or tag change a client made, once durable (the gateway and the push-up journal listen).
  std::function<void(const oci::ContentChange&)> on_change;
  std::function<std::string()> not_ready_reason;  // /readyz's 503 body says why, when given (last: aggregate inits)
};

struct Context {
  storage::Storage& storage;
  const Clock& clock;
  Random& random;
  AccessPolicy& policy;
  const RegistryOptions& options;
  UploadLeases& upload_leases;
};

}  // namespace outpost::registry
