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
  // Whether the request may read content of `repository`, as a route there would judge it: its token's scope map
  // (everything for the admin user at the cloud), narrowed by a Bearer JWT's access claim. The registry asks it to
  // pick an automatic mount source, which must be one the request could pull from: a JWT narrowed to one repository
  // is often handed to a party trusted with that one alone (it once mounted any repository its token could read).
  bool may_read(const http::Request& request, std::string_view repository) override;
  // The identity's own rights, content/read or metadata/read (tags/list's rule), not narrowed by a JWT: the
  // catalog's filter, for a JWT granted registry:catalog:*, which names no repository.
  bool may_list(const http::Request& request, std::string_view repository) override;

  // /mgmt/v1/...: the admin user (SPEC 7.2). Throws the ApiError to answer otherwise.
  void authorize_management(const http::Request& request);
  // The gateway API: `actions` on connected registry `cr` (SPEC 1.2, 3.1). Throws the ApiError to answer otherwise.
  void authorize_gateway(const http::Request& request, std::string_view cr, auth::GatewayActions actions);

  const ServiceNaming& naming() const { return naming_; }

 private:
  void enforce(const http::Request& request, const auth::RouteNeeds& needs);
  // may_read and may_list: `access` on `repository`, with the JWT's narrowing or without it.
  enum class Narrowing { ByJwt, IdentityOnly };
  bool request_may(const http::Request& request, std::string_view repository, auth::RouteAccess access,
                   Narrowing narrowing);

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
