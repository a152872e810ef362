#include "simulator/check/oracle.h"

#include <algorithm>

#include "simulator/check/scope_rules.h"

namespace outpost::check {

namespace {
// Exact texts SPEC 4.3 and 2.6 prescribe.
constexpr const char* kNotAllowedOnThisRegistry = "This operation is not allowed on this registry.";
constexpr const char* kInsufficientScopes = "Insufficient scopes to perform the operation";
constexpr const char* kConnectedRegistryDisabled = "connected registry disabled";

Answer allow(std::string clause) {
  Answer answer;
  answer.clause = std::move(clause);
  return answer;
}

Answer refuse(int status, std::string code, std::string message, std::string clause) {
  Answer answer;
  answer.status = status;
  answer.code = std::move(code);
  answer.message = std::move(message);
  answer.clause = std::move(clause);
  return answer;
}

std::string repository_scope(const std::string& repository, const char* words) {
  return "repository:" + repository + ":" + words;
}

// SPEC 3.6's challenge column; nothing for the token endpoint, whose challenge names what was asked.
std::optional<std::string> challenge_scope(const Request& request) {
  switch (request.operation) {
    case Operation::PullManifest:
    case Operation::PullBlob:
    case Operation::ListTags:
    case Operation::Referrers: return repository_scope(request.repository, "pull");
    case Operation::Upload:
    case Operation::PushManifest: return repository_scope(request.repository, "pull,push");
    case Operation::Mount:
      return repository_scope(request.repository, "pull,push") + " " + repository_scope(request.mount_source, "pull");
    case Operation::DeleteBlob:
    case Operation::DeleteManifest: return repository_scope(request.repository, "delete");
    case Operation::Untag: return repository_scope(request.repository, "metadata_write");
    case Operation::Catalog: return std::string("registry:catalog:*");
    case Operation::TokenExchange: return std::nullopt;
    default: return std::string();
  }
}

Answer unauthorized(const Request& request, std::string clause) {
  Answer answer = refuse(401, "UNAUTHORIZED", "", std::move(clause));
  answer.challenge = true;
  answer.challenge_scope = challenge_scope(request);
  return answer;
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Who the credentials are at this node, once they passed step 1.
const std::vector<std::string> kNoActions;

struct Identity {
  bool admin = false;
  // The token's scope map actions whose repository / gateway rules count here (the map's own list, not a copy: a
  // parent's sync map lists every child's gateway actions, and decisions are judged by the hundred thousand).
  const std::vector<std::string>* repository_actions = &kNoActions;
  const std::vector<std::string>* gateway_actions = &kNoActions;
  const BearerFacts* bearer = nullptr;          // Bearer: the JWT's grant narrows repository rights
};

// SPEC 4.1 / 4.2: is this (enabled, authenticated) token accepted at `node`, and with which of its actions? `here` is
// the node's CR (null for the cloud, or a CR the World does not hold).
bool accept_token(const World& world, const NodeRef& node, const ConnectedRegistry* here, const Token& token,
                  Identity& identity) {
  if (world.retired_sync_tokens.contains(token.name)) return false;  // SPEC 2.10
  const ConnectedRegistry* owner = world.sync_token_owner(token.name);
  const std::vector<std::string>* actions = world.scope_map_actions(token.scope_map);
  if (!actions) actions = &kNoActions;
  if (node.cloud()) {
    if (owner && !owner->parent.empty()) return false;  // SPEC 4.1: sync tokens of CRs under a CR
    identity.repository_actions = actions;
    identity.gateway_actions = actions;
    return true;
  }
  if (!here) return false;
  bool accepted = false;
  if (listed(here->client_tokens, token.name)) {  // SPEC 4.2(a): with their repository actions
    accepted = true;
    identity.repository_actions = actions;
  }
  if (owner && owner->parent == here->name) {  // SPEC 4.2(b): a direct child's sync token, with all its actions
    accepted = true;
    identity.repository_actions = actions;
    identity.gateway_actions = actions;
  }
  return accepted;
}

bool password_matches(const Token& token, const std::optional<PasswordProof>& proof, WallTime now) {
  if (!proof || proof->slot < 0 || proof->slot > 1) return false;
  const PasswordSlot& slot = token.passwords[static_cast<size_t>(proof->slot)];
  return slot.present && slot.serial == proof->serial && slot.valid_at(now);
}

// SPEC 3.4, 4.1: a JWT this node issued, unexpired, whose subject is as it was (no password changed since) and may
// still log in with the password the JWT came from (the other one was not shown for it).
bool bearer_valid(const World& world, const NodeRef& node, const ConnectedRegistry* here, const Credential& credential,
                  WallTime now, const OracleOptions& options) {
  if (!credential.bearer) return false;
  const BearerFacts& facts = *credential.bearer;
  if (facts.issued_by != world.address_of(node, here)) return false;
  if (now >= facts.expires_at + options.jwt_leeway || now + options.jwt_leeway < facts.issued_at) return false;
  if (credential.kind == Credential::Kind::Admin) return node.cloud();
  const Token* token = world.token(credential.name);
  if (!token || token->status != TokenStatus::Enabled) return false;
  for (size_t i = 0; i < 2; ++i)
    if ((token->passwords[i].present ? token->passwords[i].serial : 0) != facts.serials[i]) return false;
  return facts.slot >= 0 && facts.slot <= 1 && token->passwords[static_cast<size_t>(facts.slot)].valid_at(now);
}

// Step 1. Either the identity, or the refusal.
std::optional<Answer> authenticate(const World& world, const NodeRef& node, const ConnectedRegistry* here,
                                   const Request& request, const Credential& credential, WallTime now,
                                   const OracleOptions& options, Identity& identity) {
  const bool bearer = credential.presented == Presentation::Bearer;
  switch (credential.kind) {
    case Credential::Kind::None: return unauthorized(request, "3.4 no valid credentials");
    case Credential::Kind::Admin:
      if (!node.cloud()) return unauthorized(request, "4.2 the admin user is not accepted at a CR");
      if (bearer ? !bearer_valid(world, node, here, credential, now, options) : !credential.admin_password_right)
        return unauthorized(request, "4.5 wrong admin credentials");
      identity.admin = true;
      identity.bearer = bearer ? &*credential.bearer : nullptr;
      return std::nullopt;
    case Credential::Kind::Token: break;
  }
  const Token* token = world.token(credential.name);
  if (!token) return unauthorized(request, "4.5 unknown token");
  if (bearer) {
    if (!bearer_valid(world, node, here, credential, now, options))
      return unauthorized(request, "3.4 invalid access token");
    identity.bearer = &*credential.bearer;
    if (!accept_token(world, node, here, *token, identity)) return unauthorized(request, "4.1/4.2 not accepted here");
    return std::nullopt;
  }
  if (!password_matches(*token, credential.password, now))
    return unauthorized(request, "4.5 wrong or expired password");
  if (token->status == TokenStatus::Disabled) {
    // SPEC 2.6: the right password of a disabled sync token, at the CR's parent: the holder learns why.
    Identity ignored;
    if (world.sync_token_owner(token->name) && accept_token(world, node, here, *token, ignored))
      return refuse(403, "DENIED", kConnectedRegistryDisabled, "2.6 disabled sync token at its parent");
    return unauthorized(request, "4.5 disabled token");
  }
  if (!accept_token(world, node, here, *token, identity)) return unauthorized(request, "4.1/4.2 not accepted here");
  return std::nullopt;
}

Rights granted_by_bearer(const BearerFacts& facts, std::string_view repository) {
  Rights rights;
  for (const AccessGrant& grant : facts.access)
    if (grant.type == "repository" && grant.name == repository)
      for (const std::string& word : grant.actions) rights = rights | docker_word_rights(word);
  return rights;
}

bool bearer_grants_catalog(const BearerFacts& facts) {
  return std::any_of(facts.access.begin(), facts.access.end(), [](const AccessGrant& grant) {
    return grant.type == "registry" && grant.name == "catalog" && listed(grant.actions, "*");
  });
}

Rights rights_on(const Identity& identity, std::string_view repository) {
  Rights rights = identity.admin ? Rights{Rights::kAll} : repository_rights(*identity.repository_actions, repository);
  if (identity.bearer) rights = rights & granted_by_bearer(*identity.bearer, repository);
  return rights;
}

// Step 3: does the identity hold what the route needs (SPEC 3.6, 1.4, 7.2)?
bool holds(const NodeRef& node, const Identity& identity, const Request& request, const WorldMemo* memo) {
  const std::string& repository = request.repository;
  switch (request.operation) {
    case Operation::Ping:
    case Operation::TokenExchange: return true;
    case Operation::PullManifest:
    case Operation::PullBlob: return rights_on(identity, repository).has(Rights::kContentRead);
    case Operation::Upload:
    case Operation::PushManifest:
      return rights_on(identity, repository).has(Rights::kContentRead | Rights::kContentWrite);
    case Operation::Mount:
      return rights_on(identity, repository).has(Rights::kContentRead | Rights::kContentWrite) &&
             rights_on(identity, request.mount_source).has(Rights::kContentRead);
    case Operation::DeleteBlob:
    case Operation::DeleteManifest: return rights_on(identity, repository).has(Rights::kContentDelete);
    case Operation::Untag: return rights_on(identity, repository).has(Rights::kMetadataWrite);
    case Operation::ListTags:
    case Operation::Referrers: return rights_on(identity, repository).any(Rights::kContentRead | Rights::kMetadataRead);
    case Operation::Catalog: {
      const bool may = !node.cloud() || identity.admin || has_rule_on_every_repository(*identity.repository_actions);
      return may && (!identity.bearer || bearer_grants_catalog(*identity.bearer));
    }
    // No Docker scope names these: the identity decides, whatever the JWT holds.
    case Operation::Metrics: return !node.cloud() || identity.admin;
    case Operation::Management: return identity.admin && node.cloud();
    case Operation::Gateway: {
      if (request.gateway_needs.bits == 0) return false;
      const GatewayRights rights = memo ? memo->gateway_rights(*identity.gateway_actions, request.gateway_cr)
                                        : gateway_rights(*identity.gateway_actions, request.gateway_cr);
      return rights.has(request.gateway_needs.bits);
    }
    case Operation::Probe:
    case Operation::Unrouted: return true;
  }
  return false;
}

Answer not_synced(const Request& request) {
  switch (request.operation) {
    case Operation::PullManifest:
    case Operation::PushManifest:
    case Operation::DeleteManifest:
    case Operation::Untag:
      return refuse(404, "MANIFEST_UNKNOWN", "", "4.3(4) manifest of a repository this CR does not sync");
    case Operation::PullBlob:
    case Operation::DeleteBlob:
      return refuse(404, "BLOB_UNKNOWN", "", "4.3(4) blob of a repository this CR does not sync");
    default: return refuse(404, "NAME_UNKNOWN", "", "4.3(4) a repository this CR does not sync");
  }
}
}  // namespace

std::string describe(const Answer& answer) {
  if (answer.allowed()) return "allowed (" + answer.clause + ")";
  std::string out = std::to_string(answer.status) + (answer.code.empty() ? "" : " " + answer.code);
  if (!answer.message.empty()) out += " \"" + answer.message + "\"";
  if (answer.challenge_scope) out += " scope=\"" + *answer.challenge_scope + "\"";
  if (answer.insufficient_scope) out += " insufficient_scope";
  return out + " (SPEC " + answer.clause + ")";
}

std::string describe(const Outcome& outcome) {
  if (outcome.status == 0) return "allowed";
  std::string out = std::to_string(outcome.status) + " " + outcome.code + " \"" + outcome.message + "\"";
  if (outcome.challenge) out += " scope=\"" + outcome.challenge_scope + "\"";
  if (outcome.insufficient_scope) out += " insufficient_scope";
  return out;
}

bool agrees(const Answer& answer, const Outcome& outcome) {
  if (answer.allowed() || outcome.status == 0) return answer.allowed() && outcome.status == 0;
  if (answer.status != outcome.status) return false;
  if (!answer.code.empty() && answer.code != outcome.code) return false;
  if (!answer.message.empty() && outcome.message.find(answer.message) == std::string::npos) return false;
  if (answer.challenge != outcome.challenge) return false;
  if (answer.challenge) {
    if (answer.challenge_scope && *answer.challenge_scope != outcome.challenge_scope) return false;
    if (answer.insufficient_scope != outcome.insufficient_scope) return false;
  }
  return true;
}

bool depends_on_time(const World& world, const Credential& credential) {
  // Keep in step with authenticate() above: `now` reaches only bearer_valid() and password_matches().
  if (credential.presented == Presentation::Bearer) return true;
  if (credential.kind != Credential::Kind::Token) return false;
  const Token* token = world.token(credential.name);
  return token && (token->passwords[0].expiry || token->passwords[1].expiry);
}

Answer answer(const World& world, const NodeRef& node, const Request& request, const Credential& credential,
              WallTime now, const OracleOptions& options, const WorldMemo* memo) {
  if (request.operation == Operation::Probe) return allow("1.4 probes need no credentials");
  // The node's CR, looked up once: every step below asks about it.
  const ConnectedRegistry* cr = node.cloud() ? nullptr : world.connected_registry(node.connected_registry);
  // Views, and the address only where it is compared: answer() runs for every decision not judged before.
  const std::string_view host_key = node.cloud() ? std::string_view() : std::string_view(node.connected_registry);
  if (world.host_checked.contains(host_key) && !request.host.empty()) {
    const std::string_view address = world.address_of(node, cr);
    if (request.host != address)
      return refuse(403, "DENIED", std::string(address), "1.3 another Host than the advertised login server");
  }

  if (node.cloud()) {
    // SPEC 1.2: the gateway at the data endpoint only; everything else at the login server.
    if (request.operation == Operation::Gateway && !node.data_endpoint) {
      if (world.cloud_data_endpoint.empty()) return refuse(404, "", "", "1.2 a cloud without data endpoint");
      return refuse(403, "DENIED", world.cloud_data_endpoint, "1.2 gateway request at the login server");
    }
    if (request.operation != Operation::Gateway && node.data_endpoint)
      return refuse(403, "DENIED", "login server", "1.2 (Decision) API request at the data endpoint");
  } else if (cr) {
    const Token* sync = world.token(cr->sync_token);
    if (sync && sync->status == TokenStatus::Disabled)
      return refuse(503, "UNAVAILABLE", kConnectedRegistryDisabled, "2.6 a disabled CR");
  }

  Identity identity;
  if (auto refused = authenticate(world, node, cr, request, credential, now, options, identity)) return *refused;

  if (cr && cr->mode == Mode::ReadOnly && request.is_write())
    return refuse(403, "DENIED", kNotAllowedOnThisRegistry, "4.3(2) a write at a ReadOnly CR");

  if (!holds(node, identity, request, memo)) {
    const auto scope = challenge_scope(request);
    if (identity.bearer && scope && !scope->empty()) {
      Answer answer = refuse(401, "UNAUTHORIZED", "", "4.3(3) the access token lacks the scope");
      answer.challenge = true;
      answer.challenge_scope = scope;
      answer.insufficient_scope = true;
      return answer;
    }
    return refuse(403, "DENIED", kInsufficientScopes, "4.3(3) insufficient scopes");
  }

  if (cr && request.names_repository() &&
      std::none_of(cr->repositories.begin(), cr->repositories.end(),
                   [&](const std::string& pattern) { return repository_pattern_matches(pattern, request.repository); }))
    return not_synced(request);
  return allow("4.3 every check passed");
}

}  // namespace outpost::check
