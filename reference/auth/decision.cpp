#include "reference/auth/decision.h"

#include "reference/auth/challenge.h"

namespace outpost::auth {

namespace {
Denial unauthorized(const RouteNeeds& route) {
  return {401, "UNAUTHORIZED", std::string(kAuthenticationRequired), true, challenge_scope(route), false};
}

Denial denied(std::string message) { return {403, "DENIED", std::move(message), false, "", false}; }

bool names_a_repository(RouteAccess access) {
  switch (access) {
    case RouteAccess::ContentRead:
    case RouteAccess::ContentWrite:
    case RouteAccess::ContentDelete:
    case RouteAccess::MetadataWrite:
    case RouteAccess::ContentOrMetadataRead:
      return true;
    default:
      return false;
  }
}

// Step 0: requests that reached the wrong endpoint, or a connected registry that may not serve at all.
std::optional<Denial> check_endpoint(const RouteNeeds& route, const NodeView& node) {
  if (node.role == NodeRole::ConnectedRegistry) {
    if (node.cr_disabled) return Denial{503, "UNAVAILABLE", std::string(kConnectedRegistryDisabled), false, "", false};
    return std::nullopt;
  }
  if (route.access == RouteAccess::Gateway) {
    if (node.data_endpoint.empty())
      return Denial{404, "NOT_FOUND", "this registry serves no gateway API: it was started without a data endpoint",
                    false, "", false};
    if (node.endpoint == Endpoint::LoginServer)
      return denied("gateway requests are served at the data endpoint " + std::string(node.data_endpoint) +
                    ", not at the login server");
    return std::nullopt;
  }
  // Decision: the data endpoint serves the gateway only (and probes), so a client that mixed up the two addresses gets
  // told which one to use instead of an answer that depends on its credentials.
  if (node.endpoint == Endpoint::DataEndpoint) {
    std::string message = "the data endpoint serves only the gateway API; use the login server";
    if (!node.login_server.empty()) message += " " + std::string(node.login_server);
    return denied(std::move(message));
  }
  return std::nullopt;
}

// Step 1. Admin is accepted only at the cloud (SPEC 7.1); tokens where the caller says so (SPEC 4.1, 4.2).
std::optional<Denial> check_authentication(const RouteNeeds& route, const Credentials& credentials,
                                           const NodeView& node) {
  switch (credentials.state) {
    case CredentialState::Admin:
      if (node.role == NodeRole::Cloud) return std::nullopt;
      return unauthorized(route);
    case CredentialState::ValidToken:
      if (credentials.accepted_at_node) return std::nullopt;
      return unauthorized(route);
    case CredentialState::DisabledSyncToken:
      // The holder proved it owns the token, so it may learn why it is refused (an exception to SPEC 4.5).
      if (credentials.accepted_at_node) return denied(std::string(kConnectedRegistryDisabled));
      return unauthorized(route);
    case CredentialState::None:
    case CredentialState::UnknownToken:
    case CredentialState::WrongPassword:
    case CredentialState::Disabled:
    case CredentialState::PasswordExpired:
    case CredentialState::InvalidBearerToken:
      return unauthorized(route);
  }
  return unauthorized(route);
}

// Step 3: does the identity (narrowed by its JWT, if Bearer) hold what the route needs?
bool holds_route_actions(const RouteNeeds& route, const Credentials& credentials, const NodeView& node) {
  static const PermissionSet kNothing;
  static const PermissionSet kAdmin = PermissionSet::all_repositories();
  static const GrantedAccess kNoGrant;
  const bool admin = credentials.state == CredentialState::Admin;
  const PermissionSet& permissions = admin ? kAdmin : credentials.permissions ? *credentials.permissions : kNothing;
  const bool bearer = credentials.presented == Presentation::Bearer;
  const GrantedAccess& granted = credentials.granted ? *credentials.granted : kNoGrant;

  auto actions_on = [&](std::string_view repository) {
    RepositoryActions actions = permissions.repository_actions(repository);
    return bearer ? actions & granted.repository_actions(repository) : actions;
  };
  switch (route.access) {
    case RouteAccess::None:
    case RouteAccess::AnyCredentials:
      return true;
    case RouteAccess::ContentRead:
      return actions_on(route.repository).contains(kContentRead);
    case RouteAccess::ContentWrite:
      // Pushing means reading too (a client HEADs before it uploads); a mount reads its source.
      return actions_on(route.repository).contains(kContentRead | kContentWrite) &&
             (!route.mount_source || actions_on(*route.mount_source).contains(kContentRead));
    case RouteAccess::ContentDelete:
      return actions_on(route.repository).contains(kContentDelete);
    case RouteAccess::MetadataWrite:
      return actions_on(route.repository).contains(kMetadataWrite);
    case RouteAccess::ContentOrMetadataRead:
      return actions_on(route.repository).intersects(kContentRead | kMetadataRead);
    case RouteAccess::Catalog: {
      // At the cloud only a rule on "*" lists every repository (SPEC 3.6); at a CR any accepted token may ask, and the
      // listing is filtered to what it can read.
      const bool identity_may = node.role == NodeRole::ConnectedRegistry || admin ||
                                permissions.includes_all_repositories_wildcard();
      return identity_may && (!bearer || granted.catalog());
    }
    // No Docker scope names these, so a JWT only proves who its holder is; the identity decides.
    case RouteAccess::Metrics:
      return node.role == NodeRole::ConnectedRegistry || admin;
    case RouteAccess::Management:
      return admin;
    case RouteAccess::Gateway: {
      // SPEC 4.2: at a connected registry, gateway actions come with children's sync tokens only.
      const bool identity_may = node.role == NodeRole::Cloud || credentials.sync_token;
      return identity_may && !route.gateway_actions.empty() &&
             permissions.gateway_actions(route.gateway_cr).contains(route.gateway_actions);
    }
  }
  return false;
}

Denial not_synced(const RouteNeeds& route) {
  // The same code and message as for content that does not exist, so an unsynced repository looks like an absent one.
  switch (route.object) {
    case RouteObject::Manifest: return {404, "MANIFEST_UNKNOWN", "manifest unknown to registry", false, "", false};
    case RouteObject::Blob: return {404, "BLOB_UNKNOWN", "blob unknown to registry", false, "", false};
    case RouteObject::Repository: break;
  }
  return {404, "NAME_UNKNOWN", "repository name not known to registry", false, "", false};
}
}  // namespace

std::optional<Denial> decide(const RouteNeeds& route, const Credentials& credentials, const NodeView& node) {
  if (route.access == RouteAccess::None) return std::nullopt;  // probes answer everyone, everywhere (SPEC 1.4)
  if (auto refused = check_endpoint(route, node)) return refused;
  if (auto refused = check_authentication(route, credentials, node)) return refused;
  const bool at_connected_registry = node.role == NodeRole::ConnectedRegistry;
  if (at_connected_registry && node.mode == RegistryMode::ReadOnly && route.is_write)
    return denied(std::string(kNotAllowedOnThisRegistry));
  if (!holds_route_actions(route, credentials, node)) {
    std::string scope = challenge_scope(route);
    // A Bearer client can fetch a token for the challenge's scope; when no scope expresses the need, a new token
    // cannot help, so it is refused as Basic credentials are.
    if (credentials.presented == Presentation::Bearer && !scope.empty())
      return Denial{401, "UNAUTHORIZED", std::string(kInsufficientScopes), true, std::move(scope), true};
    return denied(std::string(kInsufficientScopes));
  }
  if (at_connected_registry && !node.repository_synced && names_a_repository(route.access)) return not_synced(route);
  return std::nullopt;
}

}  // namespace outpost::auth
