#pragma once
// The registry's URL space: which route a request names, the repository and object it addresses, and the access it
// needs (SPEC 3.6). Authorization plugs in between routing and handling, so handlers never check permissions.
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/http.h"

namespace outpost::registry {

enum class RouteKind {
  Base,            // GET /v2/
  Catalog,         // GET /v2/_catalog
  TagList,         // GET /v2/<name>/tags/list
  Manifest,        // GET|HEAD|PUT|DELETE /v2/<name>/manifests/<reference>
  Blob,            // GET|HEAD|DELETE /v2/<name>/blobs/<digest>
  UploadStart,     // POST /v2/<name>/blobs/uploads/
  Upload,          // GET|PATCH|PUT|DELETE /v2/<name>/blobs/uploads/<id>
  Referrers,       // GET /v2/<name>/referrers/<digest>
  Healthz,         // GET /healthz
  Readyz,          // GET /readyz
  Metrics,         // GET /metrics
  NotFound,
};

// What a route needs, in the vocabulary of scope maps (SPEC 3.1, 3.6).
enum class Access {
  AnyCredentials,   // GET /v2/: any accepted credentials
  None,             // health probes: no credentials
  ContentRead,
  ContentWrite,     // with content/read on the same repository
  ContentDelete,
  MetadataWrite,    // untag
  ContentOrMetadataRead,
  Catalog,
  Metrics,
};

struct Route {
  RouteKind kind = RouteKind::NotFound;
  std::string repository;  // validated repository name ("" for Base, Catalog, probes)
  std::string object;      // manifest reference, blob digest, upload id or subject digest, as in the path
  Access access = Access::None;
  bool is_write = false;   // changes content or tags: refused on a ReadOnly node before scopes are looked at
  // Cross-repository mount: the source repository also needs content/read.
  std::optional<std::string> mount_source;
  std::string_view label;  // stable name for metrics and logs
};

// Maps method + decoded path (+ query, for mounts and untag-vs-delete) to a route. Throws ApiError NAME_INVALID for a
// malformed repository name and UNSUPPORTED (405) for a method the route does not serve.
Route match_route(const http::Request& request);

}  // namespace outpost::registry
