#include "reference/registry/auth/node_token.h"

#include <nlohmann/json.hpp>

#include "reference/auth/base64.h"

namespace outpost::registry {

namespace {
int64_t numeric_date(WallTime time) {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

// The payload segment of a JWT whose signature has been verified already.
nlohmann::json payload_of(std::string_view jwt) {
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  const auto bytes = auth::base64url_decode(jwt.substr(first + 1, second - first - 1));
  if (!bytes) return nullptr;
  return nlohmann::json::parse(*bytes, nullptr, /*allow_exceptions=*/false);
}
}  // namespace

std::string_view to_string(TokenUse use) { return use == TokenUse::Access ? "access" : "refresh"; }

std::string sign_node_token(const NodeToken& token, const auth::SigningKey& key) {
  const auth::Claims& claims = token.claims;
  nlohmann::ordered_json header;
  header["alg"] = "ES256";
  header["typ"] = "JWT";
  header["kid"] = key.kid();
  // The member order and encodings of auth::sign, so both kinds of token read the same.
  nlohmann::ordered_json payload;
  payload["iss"] = claims.issuer;
  payload["sub"] = claims.subject;
  if (claims.audience.size() == 1)
    payload["aud"] = claims.audience.front();
  else
    payload["aud"] = claims.audience;
  payload["exp"] = numeric_date(claims.expires_at);
  payload["nbf"] = numeric_date(claims.not_before);
  payload["iat"] = numeric_date(claims.issued_at);
  payload["jti"] = claims.jwt_id;
  payload["access"] = auth::access_to_json(claims.access);
  payload["gen"] = token.generation;
  payload["cred"] = token.credential;
  if (token.password_slot) payload["pw"] = *token.password_slot + 1;
  payload["token_use"] = to_string(token.use);
  const std::string signing_input =
      auth::base64url_encode(header.dump()) + "." + auth::base64url_encode(payload.dump());
  return signing_input + "." + auth::base64url_encode(auth::es256_sign(signing_input, key));
}

NodeTokenResult verify_node_token(std::string_view jwt, const auth::KeySet& keys, std::string_view audience,
                                  std::string_view issuer, TokenUse expected, WallTime now, Nanoseconds leeway) {
  auth::JwtResult verified = auth::verify(jwt, keys, audience, now, leeway);
  if (const auto* error = std::get_if<auth::JwtError>(&verified)) return std::string(auth::describe(*error));
  NodeToken token{std::move(std::get<auth::Claims>(verified)), 0, "", expected};
  if (token.claims.issuer != issuer) return std::string("issued by another issuer");
  const nlohmann::json payload = payload_of(jwt);
  if (!payload.is_object()) return std::string("malformed payload");
  const auto gen = payload.find("gen");
  if (gen == payload.end() || !gen->is_number_unsigned()) return std::string("no generation claim");
  token.generation = gen->get<uint64_t>();
  const auto credential = payload.find("cred");
  if (credential == payload.end() || !credential->is_string()) return std::string("no credential claim");
  token.credential = credential->get<std::string>();
  if (const auto slot = payload.find("pw"); slot != payload.end()) {
    if (!slot->is_number_unsigned() || (slot->get<uint64_t>() != 1 && slot->get<uint64_t>() != 2))
      return std::string("pw is neither 1 nor 2");
    token.password_slot = static_cast<int>(slot->get<uint64_t>()) - 1;
  }
  const auto use = payload.find("token_use");
  if (use == payload.end() || !use->is_string() || use->get_ref<const std::string&>() != to_string(expected))
    return "token_use is not '" + std::string(to_string(expected)) + "'";
  return token;
}

}  // namespace outpost::registry
