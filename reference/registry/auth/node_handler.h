#pragma once
// A node's whole HTTP API as one handler: the token endpoint (SPEC 3.4), the management API (SPEC 7.2, admin only),
// the gateway API of its children (SPEC 1.2, 5) and the OCI registry (which asks its access policy on every request). The Host guard (SPEC 1.3), when wanted, wraps
// this handler.
#include <functional>
#include <memory>

#include "reference/common/http.h"
#include "reference/control/management_api.h"
#include "reference/registry/auth/token_access_policy.h"
#include "reference/registry/auth/token_endpoint.h"

namespace outpost::registry {

class NodeHandler final : public http::Handler {
 public:
  // Every reference must outlive the handler. `management` may be null (a connected registry has no management API):
  // /mgmt/v1/ then falls through to the registry, which answers 404.
  NodeHandler(http::Handler& registry, TokenEndpoint& tokens, TokenAccessPolicy& policy,
              control::ManagementApi* management, http::Handler* gateway = nullptr);

  std::unique_ptr<http::Call> start(http::Request request) override;

  static bool is_management(std::string_view path);

  // Runs after every management request that changed something (not GET or HEAD) and succeeded.
  std::function<void()> after_management_change;

 private:
  http::Handler& registry_;
  TokenEndpoint& tokens_;
  TokenAccessPolicy& policy_;
  control::ManagementApi* management_;
  http::Handler* gateway_;  // /gateway/v1/... (it authorizes each request itself); null: the registry answers 404
};

}  // namespace outpost::registry
