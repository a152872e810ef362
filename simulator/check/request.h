#pragma once
// A request in the oracle's words: the operation SPEC 3.6 (and 1.2, 1.4, 3.4, 7.2, the gateway table of
// docs/protocol.md) names, worked out from the HTTP method, path and query alone. The registry has its own router;
// this one is independent, so a request the registry classifies wrongly (an untag taken for a delete, say) shows up
// as a decision that differs from the oracle's.
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/http.h"
#include "simulator/check/scope_rules.h"

namespace outpost::check {

enum class Operation {
  Probe,           // /healthz, /readyz (SPEC 1.4)
  Ping,            // GET /v2/
  PullManifest,    // manifest GET/HEAD
  PullBlob,        // blob GET/HEAD
  Upload,          // upload start, PATCH, PUT, status, cancel
  PushManifest,    // manifest PUT
  Mount,           // POST uploads with mount= and from=<a valid repository>
  DeleteBlob,      // blob DELETE
  DeleteManifest,  // manifest DELETE by digest
  Untag,           // manifest DELETE by tag
  ListTags,        // tags/list
  Referrers,       // referrers/<digest>
  Catalog,         // /v2/_catalog
  Metrics,         // /metrics on the main endpoint
  Management,      // /mgmt/v1/...
  Gateway,         // /gateway/v1/<cr>/...
  TokenExchange,   // /oauth2/token, /acr/oauth2/token
  Unrouted,        // anything else: no decision is made about it
};

std::string_view to_string(Operation operation);

struct Request {
  Operation operation = Operation::Unrouted;
  std::string repository;    // the repository the route names (the mount's target)
  std::string mount_source;  // Mount: the `from` repository
  std::string gateway_cr;    // Gateway: the CR the request is about
  GatewayRights gateway_needs;
  std::string host;  // the Host the request named (SPEC 1.3); "" = not checked

  bool is_write() const;          // push, delete, untag (SPEC 4.3 step 2)
  bool names_repository() const;  // SPEC 4.3 step 4 applies
};

// From the HTTP request line: `path` decoded, `query` raw (as after '?').
Request classify(http::Method method, std::string_view path, std::string_view query);

}  // namespace outpost::check
