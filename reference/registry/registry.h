#pragma once
// The OCI Distribution v1.1 API of one node as an http::Handler: route, authorize, handle. The same object serves
// behind the live server and inside the simulator.
#include <memory>

#include "reference/common/http.h"
#include "reference/registry/context.h"

namespace outpost::registry {

class Registry final : public http::Handler {
 public:
  Registry(storage::Storage& storage, const Clock& clock, Random& random, AccessPolicy& policy,
           RegistryOptions options = {});
  std::unique_ptr<http::Call> start(http::Request request) override;

 private:
  std::unique_ptr<http::Call> dispatch(const http::Request& request, const struct Route& route);

  RegistryOptions options_;
  UploadLeases upload_leases_;
  std::mutex change_order_;  // Context::change_order
  Context context_;
};

}  // namespace outpost::registry
