#pragma once
// The access policy of a node whose clients hold tokens (SPEC 3, 4): authenticates the request (Authenticator), maps
// its route to auth::RouteNeeds, asks auth::decide, and turns a refusal into the ApiError the registry renders -- a
// 401 carries the Bearer challenge naming the route's scope (SPEC 3.4, 3.6). Probes need nothing; /metrics needs the
// admin user at the cloud (SPEC 1.4); the management API needs the admin user, Basic or Bearer (SPEC 7.2).
#include <functional>
#include <string>
#include <string_view>

#include "reference/auth/decision.h"
#include "reference/auth/route_needs.h"
#include "reference/registry/access.h"
#include "reference/registry/auth/authenticator.h"
#include "reference/registry/auth/decision_observer.h"
#include "reference/registry/auth/service_naming.h"

namespace outpost::registry {

// The node facts auth::decide needs, owned (auth::NodeView only views them).
struct NodeFacts {
  auth::NodeRole role = auth::NodeRole::Cloud;
  auth::Endpoint endpoint = auth::Endpoint::LoginServer;  // which endpoint this policy guards (cloud)
  std::string login_server;   // named when an API request reaches the data endpoint
  std::string data_endpoint;  // named when a gateway request reaches the login server; "" = no gateway
  auth::RegistryMode mode = auth::RegistryMode::ReadWrite;
  // A connected registry's facts change with its configuration and its link: its mode, whether it is disabled
  // (SPEC 2.6) and which repositories it syncs (SPEC 4.3 step 4). Called per request with the view to complete and the
  // route's repository ("" when the route names none).
  std::function<void(auth::NodeView&, std::string_view repository)> refine;
  // Told of every decision made with these facts (decision_observer.h): by the access policy for each request, and by
  // the token endpoint for each login it answers. Empty: nobody is told.
  DecisionObserver observe;
};
// A view of `node` for auth::decide; valid while `node` lives.
auth::NodeView node_view(const NodeFacts& node);

class TokenAccessPolicy final : public AccessPolicy {
 public:
  // `authenticator` must outlive the policy.
  TokenAccessPolicy(Authenticator& authenticator, ServiceNaming naming, NodeFacts node = {});

  void authorize(const http::Request& request, const Route& route) override;
  // The identity's own rights (its scope map; everything for the admin user at the cloud), content/read on
  // `repository`. A Bearer token's access claim does not narrow this: the registry asks it to filter the catalog (a
  // token granted registry:catalog:* names no repository) and to pick an automatic mount source, and either way the
  // holder could get a token for any repository its scope map can read.
  bool may_read(const http::Request& request, std::string_view repository) override;
  // The same, with content/read or metadata/read (tags/list's rule): the catalog's filter.
  bool may_list(const http::Request& request, std::string_view repository) override;

  // /mgmt/v1/...: the admin user (SPEC 7.2). Throws the ApiError to answer otherwise.
  void authorize_management(const http::Request& request);
  // The gateway API: `actions` on connected registry `cr` (SPEC 1.2, 3.1). Throws the ApiError to answer otherwise.
  void authorize_gateway(const http::Request& request, std::string_view cr, auth::GatewayActions actions);

  const ServiceNaming& naming() const { return naming_; }

 private:
  void enforce(const http::Request& request, const auth::RouteNeeds& needs);
  // may_read and may_list: the identity's own rights (not a JWT's narrowing) for `access` on `repository`.
  bool identity_may(const http::Request& request, std::string_view repository, auth::RouteAccess access);

  Authenticator& authenticator_;
  const ServiceNaming naming_;
  const NodeFacts node_;
};

// SPEC 3.6 in auth's words: what `route` needs. The views point into `route`. A mount source that is not a valid
// repository name is left out: no repository can hold it, so the mount cannot happen and needs no right.
auth::RouteNeeds route_needs(const Route& route);

// The ApiError for a refusal: status, code and message of `denial`, plus the challenge for `request` when the denial
// asks for one: Bearer, pointing at this endpoint's token service, or Basic at an endpoint that serves no tokens
// (`tokens_served` false: the cloud's data endpoint). The body depends only on the denial (SPEC 4.5).
ApiError refusal(const auth::Denial& denial, const http::Request& request, const ServiceNaming& naming,
                 bool tokens_served = true);

}  // namespace outpost::registry
