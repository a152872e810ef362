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
//   GET    /mgmt/v1/connectedRegistries                    list; filters ?parent=, ?mode=, ?connectionState=
//   GET    /mgmt/v1/connectedRegistries/{name}
//   PUT    /mgmt/v1/connectedRegistries/{name}             201 created (+ syncToken, connectionString) | 200 replaced
//   PATCH  /mgmt/v1/connectedRegistries/{name}
//   DELETE /mgmt/v1/connectedRegistries/{name}[?cleanup=true]                   204
//   POST   /mgmt/v1/connectedRegistries/{name}/deactivate                       200 the resource
//   POST   /mgmt/v1/connectedRegistries/{name}/resync                           200 the resource
//   POST   /mgmt/v1/connectedRegistries/{name}/permissions {"add", "remove"}    200 the resource
//   POST   /mgmt/v1/connectedRegistries/{name}/connectionString {"password"}    200 {"connectionString", "syncToken"}
//   GET    /mgmt/v1/connectedRegistries/{name}/notifications                    200 [events]
// Other paths answer 404 NOT_FOUND; another method on a known path answers 405 UNSUPPORTED with an Allow header.
// Bodies are limited to kMaxBodyBytes (413 beyond).
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

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
  std::unique_ptr<http::Call> connected_registries(const http::Request& request,
                                                   const std::vector<std::string>& segments);

  ControlPlane& control_;
};

}  // namespace outpost::control
