#include "reference/registry/auth/authenticator.h"

#include <stdexcept>

#include "reference/auth/base64.h"
#include "reference/auth/sha256.h"
#include "reference/registry/auth/authorization_header.h"

namespace outpost::registry {

namespace {
using auth::CredentialState;

Identity failed(CredentialState state, auth::Presentation presented, std::string subject = {}) {
  Identity identity;
  identity.state = state;
  identity.presented = presented;
  identity.subject = std::move(subject);
  return identity;
}

}  // namespace

auth::Credentials Identity::credentials() const {
  auth::Credentials credentials;
  credentials.state = state;
  credentials.presented = presented;
  credentials.permissions = permissions;
  credentials.granted = bearer ? &bearer->granted : nullptr;
  credentials.accepted_at_node = accepted_at_node;
  credentials.sync_token = sync_token;
  return credentials;
}

ApiError rate_limited(Nanoseconds retry_after) {
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(retry_after).count();
  return ApiError(429, "TOOMANYREQUESTS", "too many failed logins from this address; retry later")
      .with_header("Retry-After", std::to_string(std::max<int64_t>(seconds, 1)));
}

std::string credential_fingerprint(const control::Snapshot& snapshot, std::string_view subject) {
  std::string input = "outpost-credential-v1";
  input.push_back('\0');
  input.append(subject);
  if (subject == control::kAdminUser) {
    input.push_back('\0');
    input.append(snapshot.admin_password_hash);
  } else if (const auth::Token* token = snapshot.token(subject)) {
    for (const auth::PasswordSlot& slot : token->passwords) {
      input.push_back('\0');
      if (slot.present) input.append(slot.hash);
    }
  }
  // 128 bits: a collision would have to be found, not stumbled on.
  return auth::base64url_encode(std::string_view(auth::sha256(input)).substr(0, 16));
}

auth::PasswordHashCost dummy_hash_cost(const control::Snapshot& snapshot, const auth::Token* token,
                                       const auth::PasswordHashCost& fallback) {
  auto held_by = [](const auth::Token& held) -> std::optional<auth::PasswordHashCost> {
    for (const auth::PasswordSlot& slot : held.passwords)
      if (slot.present)
        if (const auto cost = auth::cost_of(slot.hash)) return cost;
    return std::nullopt;
  };
  if (token != nullptr)
    if (const auto cost = held_by(*token)) return *cost;
  for (const auto& [name, held] : snapshot.tokens)
    if (const auto cost = held_by(held)) return *cost;
  return fallback;
}

Authenticator::Authenticator(SnapshotSource snapshots, auth::KeySet keys, const Clock& clock,
                             AuthenticatorOptions options)
    : Authenticator(std::move(snapshots),
                    [fixed = std::make_shared<const auth::KeySet>(std::move(keys))]() -> const auth::KeySet& {
                      return *fixed;
                    },
                    clock, std::move(options)) {}

Authenticator::Authenticator(SnapshotSource snapshots, KeySource keys, const Clock& clock,
                             AuthenticatorOptions options)
    : snapshots_(std::move(snapshots)),
      keys_(std::move(keys)),
      clock_(clock),
      options_(std::move(options)),
      token_facts_(options_.accepts, options_.is_sync_token),
      tokens_(clock, options_.cache_capacity, options_.password_cache_ttl),
      admin_(clock, 16, options_.password_cache_ttl),
      bearers_(clock, options_.cache_capacity, options_.cache_ttl),
      limiter_(clock, options_.login_limits) {
  // Computed once now, so the first unknown name does not pay for it (and take longer than a wrong password).
  (void)auth::dummy_hash(options_.hash_cost);
}

Identity Authenticator::authenticate(const http::Request& request, const ServiceNaming& naming) {
  Authorization authorization = parse_authorization(request.headers);
  switch (authorization.scheme) {
    case AuthorizationScheme::None:
    case AuthorizationScheme::Other:
      return failed(CredentialState::None, auth::Presentation::Basic);
    case AuthorizationScheme::Malformed:
      // Answered as an unknown token would be; there is no name to rate-limit by.
      return failed(CredentialState::UnknownToken, auth::Presentation::Basic);
    case AuthorizationScheme::Basic:
      return login(authorization.username(), authorization.password(), {request.remote_address, true});
    case AuthorizationScheme::Bearer:
      return authenticate_bearer(authorization.token(), naming.service_for(request));
  }
  return failed(CredentialState::None, auth::Presentation::Basic);
}

// A password check admitted by the failed-login limiter (LoginLimiter::begin), which it tells how the check went when
// it ends: a failure unless said otherwise, so that a check an exception cuts short still counts against guessing.
class Authenticator::AdmittedCheck {
 public:
  AdmittedCheck(LoginLimiter& limiter, std::string_view name, std::string_view client,
                const auth::Sha256Digest& password)
      : limiter_(limiter), name_(name), client_(client),
        key_(reinterpret_cast<const char*>(password.data()), password.size()) {
    if (const Nanoseconds wait = limiter_.begin(name_, client_, key_); wait > Nanoseconds::zero())
      throw rate_limited(wait);
  }
  AdmittedCheck(const AdmittedCheck&) = delete;
  AdmittedCheck& operator=(const AdmittedCheck&) = delete;
  ~AdmittedCheck() { limiter_.end(name_, client_, key_, failed_); }
  void not_a_failure() { failed_ = false; }

 private:
  LoginLimiter& limiter_;
  std::string_view name_, client_;
  std::string key_;
  bool failed_ = true;
};

Identity Authenticator::admin_password(std::shared_ptr<const control::Snapshot> snapshot, std::string_view password,
                                       LoginSource source) {
  const std::string_view name = control::kAdminUser;
  const std::string& hash = snapshot->admin_password_hash;
  const uint64_t generation = snapshot->generation(name);
  bool ok = !hash.empty() && admin_.lookup(name, password, generation);
  if (!ok) {
    const std::string_view client = source.client();
    AdmittedCheck check(limiter_, name, client, auth::sha256_digest(password));
    const bool matches = auth::verify_password(password, hash.empty() ? auth::dummy_hash(options_.hash_cost) : hash);
    ok = matches && !hash.empty();
    if (!ok) return failed(CredentialState::WrongPassword, auth::Presentation::Basic, std::string(name));
    check.not_a_failure();
    admin_.remember(name, password, generation);
  }
  Identity identity;
  identity.state = CredentialState::Admin;
  identity.subject = std::string(name);
  identity.generation = generation;
  identity.snapshot = std::move(snapshot);
  return identity;
}

Identity Authenticator::authenticate_password(std::string_view name, std::string_view password,
                                              std::string_view client) {
  return login(name, password, {client, false});
}

Identity Authenticator::login(std::string_view name, std::string_view password, LoginSource source) {
  // No token has such a name and no generated password is that long; refused before they can cost a hash or grow
  // the limiter's keys (a form field is not bounded as tightly as a Basic header).
  if (name.empty() || name.size() > kMaxBasicUsernameBytes || password.size() > kMaxBasicPasswordBytes)
    return failed(CredentialState::UnknownToken, auth::Presentation::Basic);
  std::shared_ptr<const control::Snapshot> snapshot = snapshots_();
  if (name == control::kAdminUser) return admin_password(std::move(snapshot), password, source);

  // The presented password is hashed once (SHA-256, for the caches' keys: no cache holds a password itself).
  const auth::Sha256Digest presented = auth::sha256_digest(password);
  const WallTime now = clock_.now();
  // One lookup answers the usual request: the token's facts and, beside them, the password last verified for it.
  const TokenFactsMemo::Login login = token_facts_.login(snapshot, name, presented, clock_.monotonic(), now);
  const TokenFacts& facts = login.facts;
  const auth::Token* token = facts.token;
  const uint64_t generation = facts.generation;
  bool cached = login.verified;
  int password_slot = login.password_slot;
  if (!cached && token != nullptr) {
    if (const auto verified = tokens_.find(name, presented, generation)) {
      password_slot = verified->password_slot;
      token_facts_.remember_verified(snapshot, name,
                                     {presented, verified->deadline, verified->password_expiry, password_slot});
      cached = true;
    }
  }
  if (!cached) {
    const std::string_view client = source.client();
    AdmittedCheck check(limiter_, name, client, presented);
    // Two hashes for every failure, whatever the token's state: a dummy stands in for an unknown token and an empty
    // slot. Only a login that is certain to succeed may stop early.
    const std::string& dummy = auth::dummy_hash(options_.hashes_made_elsewhere
                                                    ? dummy_hash_cost(*snapshot, token, options_.hash_cost)
                                                    : options_.hash_cost);
    std::array<bool, 2> matches{false, false};
    for (size_t i = 0; i < matches.size(); ++i) {
      const bool real = token != nullptr && token->passwords[i].present;
      const bool match = auth::verify_password(password, real ? std::string_view(token->passwords[i].hash) : dummy);
      matches[i] = real && match;
      if (matches[i] && auth::password_slot_valid(token->passwords[i], now) &&
          token->status == auth::TokenStatus::Enabled)
        break;
    }
    const auth::LoginResult result = auth::evaluate_login(token, matches, now);
    if (result == auth::LoginResult::Disabled && facts.sync_token) {
      // SPEC 2.6: the right password of a disabled sync token. Its holder proved ownership, so it learns why it is
      // refused, and its probing (with backoff) is not a failed login for the rate limiter.
      check.not_a_failure();
      Identity identity = failed(CredentialState::DisabledSyncToken, auth::Presentation::Basic, std::string(name));
      identity.accepted_at_node = facts.accepted_at_node;
      return identity;
    }
    if (result != auth::LoginResult::Accepted) {
      switch (result) {
        case auth::LoginResult::UnknownToken:
          return failed(CredentialState::UnknownToken, auth::Presentation::Basic, std::string(name));
        case auth::LoginResult::Disabled:
          return failed(CredentialState::Disabled, auth::Presentation::Basic, std::string(name));
        case auth::LoginResult::PasswordExpired:
          return failed(CredentialState::PasswordExpired, auth::Presentation::Basic, std::string(name));
        default:
          return failed(CredentialState::WrongPassword, auth::Presentation::Basic, std::string(name));
      }
    }
    check.not_a_failure();
    for (size_t i = 0; i < matches.size(); ++i) {
      if (matches[i] && auth::password_slot_valid(token->passwords[i], now)) {
        const int slot = static_cast<int>(i);
        const auto verified = tokens_.remember(name, presented, generation, token->passwords[i].expiry, slot);
        token_facts_.remember_verified(snapshot, name, {presented, verified.deadline, verified.password_expiry, slot});
        password_slot = slot;
        break;
      }
    }
  }
  Identity identity;
  identity.state = CredentialState::ValidToken;
  identity.subject = std::string(name);
  identity.generation = generation;
  identity.password_slot = password_slot;
  identity.permissions = facts.permissions;
  identity.accepted_at_node = facts.accepted_at_node;
  identity.sync_token = facts.sync_token;
  identity.snapshot = std::move(snapshot);
  return identity;
}

Identity Authenticator::authenticate_bearer(std::string_view jwt, std::string_view service) {
  std::shared_ptr<const VerifiedBearer> verified = bearers_.lookup(jwt, service, options_.jwt_leeway);
  if (!verified) {
    NodeTokenResult result =
        verify_node_token(jwt, keys_(), service, options_.issuer, TokenUse::Access, clock_.now(), options_.jwt_leeway);
    if (std::holds_alternative<std::string>(result))
      return failed(CredentialState::InvalidBearerToken, auth::Presentation::Bearer);
    verified = bearers_.remember(jwt, std::move(std::get<NodeToken>(result)));
  }
  Identity identity = for_subject(snapshots_(), verified->token, auth::Presentation::Bearer);
  identity.bearer = std::move(verified);
  return identity;
}

Identity Authenticator::authenticate_refresh(std::string_view jwt, std::string_view service) {
  NodeTokenResult result =
      verify_node_token(jwt, keys_(), service, options_.issuer, TokenUse::Refresh, clock_.now(), options_.jwt_leeway);
  if (std::holds_alternative<std::string>(result))
    return failed(CredentialState::InvalidBearerToken, auth::Presentation::Basic);
  return for_subject(snapshots_(), std::get<NodeToken>(result), auth::Presentation::Basic);
}

Identity Authenticator::for_subject(std::shared_ptr<const control::Snapshot> snapshot, const NodeToken& token,
                                    auth::Presentation presented) {
  const std::string& subject = token.claims.subject;
  // The token (or admin password) must be the one the JWT was issued for: same generation, same password hashes.
  const bool same_state = snapshot->generation(subject) == token.generation &&
                          credential_fingerprint(*snapshot, subject) == token.credential;
  Identity identity = failed(CredentialState::InvalidBearerToken, presented, subject);
  if (subject == control::kAdminUser) {
    if (snapshot->admin_password_hash.empty() || !same_state) return identity;
    identity.state = CredentialState::Admin;
  } else {
    const TokenFacts facts = token_facts_.facts(snapshot, subject);
    const auth::Token* current = facts.token;
    if (current == nullptr || !same_state) return identity;
    if (current->status != auth::TokenStatus::Enabled) {
      identity.state = facts.sync_token ? CredentialState::DisabledSyncToken : CredentialState::Disabled;
      identity.accepted_at_node = facts.accepted_at_node;
      return identity;
    }
    // Only the password the JWT came from keeps it good: the other one, however valid, was never shown for it.
    const std::optional<int> slot = token.password_slot;
    if (!slot) return identity;  // issued before JWTs named their password: log in again
    if (!auth::password_slot_valid(current->passwords[static_cast<size_t>(*slot)], clock_.now())) {
      identity.state = CredentialState::PasswordExpired;
      return identity;
    }
    identity.password_slot = *slot;
    identity.state = CredentialState::ValidToken;
    identity.permissions = facts.permissions;
    identity.accepted_at_node = facts.accepted_at_node;
    identity.sync_token = facts.sync_token;
  }
  identity.generation = token.generation;
  identity.snapshot = std::move(snapshot);
  return identity;
}

}  // namespace outpost::registry
