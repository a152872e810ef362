// Token operations of the management API (SPEC 3.3, 2.9, 7.1, 7.2): tokens and their two passwords.
#include "reference/auth/names.h"
#include "reference/common/ascii.h"
#include "reference/control/api_json.h"
#include "reference/control/body_fields.h"
#include "reference/control/control_errors.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

namespace {
using auth::PasswordName;

constexpr PasswordName kBothPasswords[] = {PasswordName::Password1, PasswordName::Password2};

void check_token_name(std::string_view name) {
  if (auto error = auth::token_name_error(name)) throw invalid_request(*error, {{"name", name}});
  // Basic credentials name the admin user `admin` (SPEC 7.1); a token of that name would make them ambiguous.
  if (ascii_lowercase(name) == kAdminUser)
    throw invalid_request(in_quotes(name) + " is the admin user's name and cannot name a token", {{"name", name}});
}

std::optional<auth::TokenStatus> status_field(const BodyFields& fields) {
  const auto text = fields.string("status");
  if (!text) return std::nullopt;
  if (auto status = auth::parse_token_status(*text)) return status;
  throw invalid_request("field 'status' is 'enabled' or 'disabled'; got " + in_quotes(*text), {{"field", "status"}});
}

// A token may only point at a scope map that exists (user-defined or system).
void check_scope_map_exists(const Snapshot& snapshot, const std::string& scope_map) {
  if (!snapshot.scope_maps.contains(scope_map))
    throw invalid_request("scope map " + in_quotes(scope_map) +
                              " does not exist; create it first or name a system "
                              "scope map such as '_repositories_pull'",
                          {{"field", "scopeMap"}, {"scopeMap", scope_map}});
}

const auth::Token& existing_token_or_404(const Snapshot& snapshot, std::string_view name) {
  if (const auth::Token* token = snapshot.token(name)) return *token;
  throw not_found("token " + in_quotes(name) + " does not exist", {{"name", name}});
}

// A fresh password in `slot`: the value goes back to the caller once; only its salted hash is kept.
std::string regenerate(auth::PasswordSlot& slot, Random& random, const auth::PasswordHashCost& cost, WallTime now,
                       std::optional<WallTime> expiry) {
  std::string value = auth::generate_password(random);
  slot.present = true;
  slot.hash = auth::hash_password(value, random, cost);
  slot.creation_time = now;
  slot.expiry = expiry;
  return value;
}
}  // namespace

ControlPlane::Result ControlPlane::list_tokens() const {
  const auto snapshot = impl_->current();
  nlohmann::json tokens = nlohmann::json::array();
  for (const auto& [name, token] : snapshot->tokens) tokens.push_back(token_json(token));
  return {200, std::move(tokens)};
}

ControlPlane::Result ControlPlane::get_token(std::string_view name) const {
  return {200, token_json(existing_token_or_404(*impl_->current(), name))};
}

ControlPlane::Result ControlPlane::put_token(std::string_view name, const nlohmann::json& body) {
  const BodyFields fields(body, "a token PUT body", {"name", "scopeMap", "status", "noPasswords", "expiry"});
  fields.check_name_matches(name);
  const auto scope_map = fields.string("scopeMap");
  if (!scope_map)
    throw invalid_request("field 'scopeMap' is required: the name of the scope map whose actions the token gets",
                          {{"field", "scopeMap"}});
  const auth::TokenStatus status = status_field(fields).value_or(auth::TokenStatus::Enabled);
  const bool no_passwords = fields.boolean("noPasswords").value_or(false);
  const std::optional<WallTime> expiry = fields.time("expiry");
  if (no_passwords && expiry)
    throw invalid_request("'expiry' applies to the passwords a token is created with, and 'noPasswords' asks for none");

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  const auth::Token* existing = base->token(name);
  // A new token's name is checked; an existing one may be replaced whatever its name (a sync token's, made by the
  // system, may pass the 50-character limit: SPEC 2.4).
  if (!existing) check_token_name(name);
  check_scope_map_exists(*base, *scope_map);

  if (existing) {
    // Replace: what the token may do and whether it is enabled. Its passwords are changed only by
    // generateCredentials, so repeating a create request never rotates them.
    auth::Token token = *existing;
    token.scope_map = *scope_map;
    token.status = status;
    if (token.scope_map != existing->scope_map) check_token_change(*base, token);  // SPEC 2.4, 4.4
    if (token.scope_map != existing->scope_map || token.status != existing->status) {
      impl_->store.put_token(token);
      auto next = impl_->draft();
      Impl::set_token(*next, token);
      impl_->publish(std::move(next));
    }
    return {200, token_json(token)};
  }

  if (base->tokens.size() >= options_.max_tokens)
    throw limit_exceeded("limit exceeded: a registry holds at most " + std::to_string(options_.max_tokens) + " tokens",
                         {{"limit", "tokens per registry"}, {"max", options_.max_tokens}});
  auth::Token token;
  token.name = std::string(name);
  token.scope_map = *scope_map;
  token.status = status;
  PasswordValues values;
  if (!no_passwords) {
    const WallTime now = impl_->clock.now();
    for (PasswordName which : kBothPasswords)
      values[static_cast<size_t>(which)] =
          regenerate(token.password(which), impl_->random, options_.hash_cost, now, expiry);
  }
  impl_->store.put_token(token);
  auto next = impl_->draft();
  Impl::set_token(*next, token);
  impl_->publish(std::move(next));
  return {201, token_json(token, values)};
}

ControlPlane::Result ControlPlane::patch_token(std::string_view name, const nlohmann::json& body) {
  const BodyFields fields(body, "a token PATCH body", {"name", "scopeMap", "status"});
  fields.check_name_matches(name);
  const auto scope_map = fields.string("scopeMap");
  const auto status = status_field(fields);

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  const auth::Token& existing = existing_token_or_404(*base, name);
  if (scope_map) check_scope_map_exists(*base, *scope_map);
  auth::Token token = existing;
  if (scope_map) token.scope_map = *scope_map;
  if (status) token.status = *status;
  if (token.scope_map != existing.scope_map) check_token_change(*base, token);  // SPEC 2.4, 4.4
  if (token.scope_map != existing.scope_map || token.status != existing.status) {
    impl_->store.put_token(token);
    auto next = impl_->draft();
    Impl::set_token(*next, token);
    impl_->publish(std::move(next));
  }
  return {200, token_json(token)};
}

ControlPlane::Result ControlPlane::delete_token(std::string_view name) {
  std::lock_guard lock(impl_->writer);
  existing_token_or_404(*impl_->current(), name);
  check_token_deletable(*impl_->current(), name);  // SPEC 2.6
  impl_->store.erase_token(name);
  auto next = impl_->draft();
  Impl::erase_token(*next, name);
  impl_->publish(std::move(next));
  return {204, nullptr};
}

ControlPlane::Result ControlPlane::generate_credentials(std::string_view name, const nlohmann::json& body) {
  const BodyFields fields(body, "a generateCredentials body", {"name", "expiry"});
  std::optional<PasswordName> only;
  if (const auto password_name = fields.string("name")) {
    only = auth::parse_password_name(*password_name);
    if (!only)
      throw invalid_request(
          "field 'name' is 'password1' or 'password2' (absent: both); got " + in_quotes(*password_name),
          {{"field", "name"}});
  }
  const std::optional<WallTime> expiry = fields.time("expiry");

  std::lock_guard lock(impl_->writer);
  auth::Token token = existing_token_or_404(*impl_->current(), name);
  const WallTime now = impl_->clock.now();
  nlohmann::json passwords = nlohmann::json::array();
  for (PasswordName which : kBothPasswords) {
    if (only && *only != which) continue;  // rotation: the other password keeps working
    auth::PasswordSlot& slot = token.password(which);
    std::string value = regenerate(slot, impl_->random, options_.hash_cost, now, expiry);
    passwords.push_back(password_json(which, slot, std::move(value)));
  }
  impl_->store.put_token(token);
  auto next = impl_->draft();
  Impl::set_token(*next, token);
  impl_->publish(std::move(next));
  return {200, {{"username", token.name}, {"passwords", std::move(passwords)}}};
}

}  // namespace outpost::control
