#pragma once
// The management API's HTTP face (SPEC 7.2): routes under /mgmt/v1/ to the control plane's operations, JSON in and
// out, OCI-shaped errors. It does not authenticate: the node's access policy has already checked admin credentials
// before a request reaches it.
//
//   GET    /mgmt/v1/scopeMaps                              list (a JSON array, system maps included)
//   GET    /mgmt/v1/scopeMaps/{name}
//   PUT    /mgmt/v1/scopeMaps/{name}                       201 created | 200 replaced
//   PATCH  /mgmt/v1/scopeMaps/{name}                       description, actions, addActions, removeActions
//   DELETE /mgmt/v1/scopeMaps/{name}                       204
//   GET    /mgmt/v1/tokens                                 list (a JSON array)
//   GET    /mgmt/v1/tokens/{name}
//   PUT    /mgmt/v1/tokens/{name}                          201 created (password values, once) | 200 replaced
//   PATCH  /mgmt/v1/tokens/{name}                          scopeMap, status
//   DELETE /mgmt/v1/tokens/{name}                          204
//   POST   /mgmt/v1/tokens/{name}/generateCredentials      200 {"username", "passwords": [...]}
// Other paths answer 404 NOT_FOUND (connected registries come later); another method on a known path answers 405
// UNSUPPORTED with an Allow header. Bodies are limited to kMaxBodyBytes (413 beyond).
#include <cstddef>
#include <memory>
#include <string_view>

#include "reference/common/http.h"
#include "reference/control/control_plane.h"

namespace outpost::control {

class ManagementApi {
 public:
  static constexpr std::string_view kPrefix = "/mgmt/v1/";
  static constexpr size_t kMaxBodyBytes = 1 << 20;
  static constexpr size_t kMaxJsonDepth = 32;  // the API's documents nest two levels; deeper is not a request

  explicit ManagementApi(ControlPlane& control) : control_(control) {}

  // Every failure becomes a response: the returned call never throws from on_body() or finish().
  std::unique_ptr<http::Call> start(const http::Request& request);

 private:
  ControlPlane& control_;
};

}  // namespace outpost::control
