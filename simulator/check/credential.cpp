#include "simulator/check/credential.h"

#include <strings.h>

#include <nlohmann/json.hpp>

#include "reference/auth/base64.h"

namespace outpost::check {

namespace {
bool starts_with_scheme(std::string_view header, std::string_view scheme) {
  return header.size() > scheme.size() && strncasecmp(header.data(), scheme.data(), scheme.size()) == 0 &&
         header[scheme.size()] == ' ';
}

std::optional<std::string> subject_of(std::string_view jwt) {
  const size_t first = jwt.find('.');
  const size_t second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto payload = auth::base64url_decode(jwt.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  const auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object() || !claims.contains("sub") || !claims["sub"].is_string()) return std::nullopt;
  return claims["sub"].get<std::string>();
}

const PasswordProof* remembered(const StringMap<StringMap<PasswordProof>>& passwords, std::string_view token,
                                std::string_view password) {
  const auto by_token = passwords.find(token);
  if (by_token == passwords.end()) return nullptr;
  const auto found = by_token->second.find(password);
  return found == by_token->second.end() ? nullptr : &found->second;
}
}  // namespace

std::string describe(const Credential& credential) {
  std::string out;
  switch (credential.kind) {
    case Credential::Kind::None: return "no credentials";
    case Credential::Kind::Admin: out = "admin user"; break;
    case Credential::Kind::Token: out = "token " + credential.name; break;
  }
  if (credential.presented == Presentation::Bearer)
    return out + (credential.bearer ? " by Bearer from " + credential.bearer->issued_by : " by an unknown Bearer");
  if (credential.kind == Credential::Kind::Admin)
    return out + (credential.admin_password_right ? " (right password)" : " (wrong password)");
  if (!credential.password) return out + " (a password it never had)";
  return out + " (password" + std::to_string(credential.password->slot + 1) + " #" +
         std::to_string(credential.password->serial) + ")";
}

void CredentialBook::remember_admin_password(std::string password) {
  admin_password_ = std::move(password);
  ++generation_;
}

void CredentialBook::remember_password(std::string_view token, std::string password, PasswordProof proof) {
  auto by_token = passwords_.find(token);
  if (by_token == passwords_.end()) by_token = passwords_.emplace(std::string(token), StringMap<PasswordProof>{}).first;
  by_token->second.insert_or_assign(std::move(password), proof);
  ++generation_;
}

void CredentialBook::trust(std::string_view token, const World& world, int slot) {
  const Token* model = world.token(token);
  const PasswordSlot* password = model ? &model->passwords[static_cast<size_t>(slot)] : nullptr;
  if (password && password->present) {
    trusted_.insert_or_assign(std::string(token), PasswordProof{slot, password->serial});
  } else if (const auto found = trusted_.find(token); found != trusted_.end()) {
    trusted_.erase(found);  // a token without that password: what its agent presents is a password it never had
  }
  ++generation_;
}

void CredentialBook::remember_bearer(std::string jwt, BearerFacts facts) {
  bearers_.insert_or_assign(std::move(jwt), std::move(facts));
  ++generation_;
}

std::optional<BearerFacts> CredentialBook::read_bearer(std::string_view jwt, const World& world, int slot) {
  const size_t first = jwt.find('.');
  const size_t second = first == std::string_view::npos ? first : jwt.find('.', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto payload = auth::base64url_decode(jwt.substr(first + 1, second - first - 1));
  if (!payload) return std::nullopt;
  const auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object()) return std::nullopt;
  BearerFacts facts;
  facts.slot = slot;
  try {
    facts.issued_by = claims.at("aud").get<std::string>();
    facts.issued_at = WallTime(std::chrono::seconds(claims.at("iat").get<int64_t>()));
    facts.expires_at = WallTime(std::chrono::seconds(claims.at("exp").get<int64_t>()));
    for (const auto& entry : claims.value("access", nlohmann::json::array()))
      facts.access.push_back({entry.at("type").get<std::string>(), entry.at("name").get<std::string>(),
                              entry.at("actions").get<std::vector<std::string>>()});
    const std::string subject = claims.at("sub").get<std::string>();
    if (const Token* token = world.token(subject))
      for (size_t i = 0; i < 2; ++i) facts.serials[i] = token->passwords[i].present ? token->passwords[i].serial : 0;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
  return facts;
}

Credential CredentialBook::resolve(std::string_view authorization) const {
  Credential credential;
  if (starts_with_scheme(authorization, "Bearer")) {
    const std::string_view jwt = authorization.substr(7);
    credential.presented = Presentation::Bearer;
    const auto subject = subject_of(jwt);
    if (!subject) return credential;  // not a JWT: as good as none
    credential.kind = *subject == kAdminUser ? Credential::Kind::Admin : Credential::Kind::Token;
    credential.name = *subject;
    if (const auto found = bearers_.find(jwt); found != bearers_.end()) credential.bearer = found->second;
    return credential;
  }
  if (!starts_with_scheme(authorization, "Basic")) return credential;
  const auto decoded = auth::base64_decode(authorization.substr(6));
  if (!decoded) return credential;
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return credential;
  const std::string_view name = std::string_view(*decoded).substr(0, colon);
  const std::string_view password = std::string_view(*decoded).substr(colon + 1);
  if (name == kAdminUser) {
    credential.kind = Credential::Kind::Admin;
    credential.admin_password_right = admin_password_ && *admin_password_ == password;
    return credential;
  }
  credential.kind = Credential::Kind::Token;
  credential.name = std::string(name);
  if (const PasswordProof* proof = remembered(passwords_, name, password)) {
    credential.password = *proof;
  } else if (const auto trusted = trusted_.find(name); trusted != trusted_.end()) {
    credential.password = trusted->second;
  }
  return credential;
}

}  // namespace outpost::check
