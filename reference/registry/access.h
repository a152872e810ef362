#pragma once
// Seam between routing and handling: who may do what. The token issue supplies the real policy (scope maps, node
// roles, modes); until then nodes serve anonymously with OpenAccess.
#include <string_view>

#include "reference/common/http.h"
#include "reference/registry/route.h"

namespace outpost::registry {

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // Throws ApiError (401 with a challenge, 403, 404, 503) when the request may not use the route.
  virtual void authorize(const http::Request& request, const Route& route) = 0;
  // May the requester read `repository`'s content? Used where one request touches a repository its route does not
  // name (automatic cross-repository mount).
  virtual bool may_read(const http::Request& request, std::string_view repository) = 0;
  // May the requester see that `repository` exists: read its content or its metadata (what tags/list asks)? Filters
  // the catalog, so a token that may list a repository's tags sees the repository listed too.
  virtual bool may_list(const http::Request& request, std::string_view repository) = 0;
};

class OpenAccess final : public AccessPolicy {
 public:
  void authorize(const http::Request&, const Route&) override {}
  bool may_read(const http::Request&, std::string_view) override { return true; }
  bool may_list(const http::Request&, std::string_view) override { return true; }
};

}  // namespace outpost::registry
