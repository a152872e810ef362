#include "reference/registry/auth/token_access_policy.h"

#include "reference/oci/name.h"
#include "reference/registry/auth/www_authenticate.h"

namespace outpost::registry {

namespace {
auth::RouteAccess to_route_access(Access access) {
  switch (access) {
    case Access::AnyCredentials: return auth::RouteAccess::AnyCredentials;
    case Access::None: return auth::RouteAccess::None;
    case Access::ContentRead: return auth::RouteAccess::ContentRead;
    case Access::ContentWrite: return auth::RouteAccess::ContentWrite;
    case Access::ContentDelete: return auth::RouteAccess::ContentDelete;
    case Access::MetadataWrite: return auth::RouteAccess::MetadataWrite;
    case Access::ContentOrMetadataRead: return auth::RouteAccess::ContentOrMetadataRead;
    case Access::Catalog: return auth::RouteAccess::Catalog;
    case Access::Metrics: return auth::RouteAccess::Metrics;
  }
  return auth::RouteAccess::Management;  // unreachable; the strictest need if a new Access slips through
}

auth::RouteObject to_route_object(RouteKind kind) {
  switch (kind) {
    case RouteKind::Manifest: return auth::RouteObject::Manifest;
    case RouteKind::Blob: return auth::RouteObject::Blob;
    default: return auth::RouteObject::Repository;
  }
}
}  // namespace

auth::RouteNeeds route_needs(const Route& route) {
  auth::RouteNeeds needs;
  needs.access = to_route_access(route.access);
  needs.is_write = route.is_write;
  needs.repository = route.repository;
  if (route.mount_source && oci::valid_repository_name(*route.mount_source)) needs.mount_source = *route.mount_source;
  needs.object = to_route_object(route.kind);
  return needs;
}

ApiError refusal(const auth::Denial& denial, const http::Request& request, const ServiceNaming& naming,
                 bool tokens_served) {
  ApiError error(denial.status, denial.code, denial.message);
  if (denial.challenge) {
    error.with_header("WWW-Authenticate",
                      tokens_served ? render_challenge({naming.realm_for(request), naming.service_for(request),
                                                        denial.challenge_scope, denial.insufficient_scope})
                                    : render_basic_challenge(naming.service_for(request)));
  }
  return error;
}

TokenAccessPolicy::TokenAccessPolicy(Authenticator& authenticator, ServiceNaming naming, NodeFacts node)
    : authenticator_(authenticator), naming_(std::move(naming)), node_(std::move(node)) {}

auth::NodeView node_view(const NodeFacts& node) {
  auth::NodeView view;
  view.role = node.role;
  view.endpoint = node.endpoint;
  view.login_server = node.login_server;
  view.data_endpoint = node.data_endpoint;
  view.mode = node.mode;
  return view;
}

void TokenAccessPolicy::enforce(const http::Request& request, const auth::RouteNeeds& needs) {
  // Probes answer everyone (SPEC 1.4) and must not spend a password hash or a rate-limit slot.
  if (needs.access == auth::RouteAccess::None) return;
  const Identity identity = authenticator_.authenticate(request, naming_);
  auth::NodeView view = node_view(node_);
  if (node_.refine) node_.refine(view, needs.repository);
  const auto denial = auth::decide(needs, identity.credentials(), view);
  if (node_.observe)
    node_.observe({node_.login_server, node_.endpoint, request, identity.subject, identity.state, identity.presented,
                   needs, view, denial});
  // The cloud's data endpoint refuses token requests (SPEC 1.2): its challenge asks for Basic, which the gateway takes.
  if (denial) throw refusal(*denial, request, naming_, node_.endpoint != auth::Endpoint::DataEndpoint);
}

void TokenAccessPolicy::authorize_gateway(const http::Request& request, std::string_view cr,
                                          auth::GatewayActions actions) {
  auth::RouteNeeds needs;
  needs.access = auth::RouteAccess::Gateway;
  needs.gateway_cr = cr;
  needs.gateway_actions = actions;
  enforce(request, needs);
}

void TokenAccessPolicy::authorize(const http::Request& request, const Route& route) {
  enforce(request, route_needs(route));
}

void TokenAccessPolicy::authorize_management(const http::Request& request) {
  auth::RouteNeeds needs;
  needs.access = auth::RouteAccess::Management;
  enforce(request, needs);
}

bool TokenAccessPolicy::may_read(const http::Request& request, std::string_view repository) {
  return request_may(request, repository, auth::RouteAccess::ContentRead, Narrowing::ByJwt);
}

bool TokenAccessPolicy::may_list(const http::Request& request, std::string_view repository) {
  return request_may(request, repository, auth::RouteAccess::ContentOrMetadataRead, Narrowing::IdentityOnly);
}

bool TokenAccessPolicy::request_may(const http::Request& request, std::string_view repository,
                                    auth::RouteAccess access, Narrowing narrowing) {
  Identity identity;
  try {
    identity = authenticator_.authenticate(request, naming_);
  } catch (const ApiError&) {
    return false;  // rate-limited: authorize() let the request through on a cached login that has since gone
  }
  auth::Credentials credentials = identity.credentials();
  if (narrowing == Narrowing::IdentityOnly) credentials.presented = auth::Presentation::Basic;  // (see header)
  auth::RouteNeeds needs;
  needs.access = access;
  needs.repository = repository;
  auth::NodeView view = node_view(node_);
  if (node_.refine) node_.refine(view, repository);
  return !auth::decide(needs, credentials, view).has_value();
}

}  // namespace outpost::registry
