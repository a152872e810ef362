#pragma once
// What a request needs, in auth's own words. It mirrors registry::Access (SPEC 3.6) value for value, plus the
// management and gateway APIs, so auth stays below the registry layer: the registry translates its Route into this.
#include <optional>
#include <string_view>

#include "reference/auth/actions.h"

namespace outpost::auth {

enum class RouteAccess {
  AnyCredentials,         // GET /v2/: any accepted credentials
  None,                   // health probes: no credentials
  ContentRead,            // manifest or blob GET/HEAD
  ContentWrite,           // uploads, manifest PUT: content/write with content/read on the same repository
  ContentDelete,          // manifest DELETE by digest, blob DELETE
  MetadataWrite,          // manifest DELETE by tag (untag)
  ContentOrMetadataRead,  // tags/list, referrers
  Catalog,                // _catalog
  Metrics,                // /metrics on the main endpoint (SPEC 1.4)
  Management,             // /mgmt/v1/: the admin user at the cloud (SPEC 7.2)
  Gateway,                // the gateway API: `gateway_actions` on `gateway_cr` (SPEC 1.2, 3.1)
};

// What a 404 for a repository the node does not sync names (SPEC 4.3 step 4): the object the request asked for.
enum class RouteObject { Repository, Manifest, Blob };

// Views into the caller's route: valid for the duration of the call.
struct RouteNeeds {
  RouteAccess access = RouteAccess::None;
  bool is_write = false;  // push, delete, untag: refused on a ReadOnly node before scopes are looked at
  std::string_view repository;
  std::optional<std::string_view> mount_source;  // cross-repository mount: content/read needed there too
  RouteObject object = RouteObject::Repository;
  std::string_view gateway_cr;  // Gateway: the connected registry the request is about
  GatewayActions gateway_actions{};
};

}  // namespace outpost::auth
