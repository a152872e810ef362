#pragma once
// What every handler works with: the node's storage and seams, its access policy and options.
#include <cstdint>
#include <functional>
#include <mutex>
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
  // Held from a client's manifest or tag change being stored until it has been told (RegistryOptions::on_change):
  // changes are told in the order they were stored. Under the manifest lock, which they take shared, two pushes of
  // one tag could otherwise store in one order and be told in the other, and a child applying the messages in turn
  // ended at the older value while this node kept the newer, for good.
  std::mutex& change_order;
};

}  // namespace outpost::registry
