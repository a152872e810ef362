// ES256 access tokens (SPEC 3.4): round trip, the algorithm pinned, every refusal reason, leeway boundaries, keys.
#include <boost/test/unit_test.hpp>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <variant>

#include "reference/auth/base64.h"
#include "reference/auth/jwt.h"
#include "reference/common/random.h"

using namespace outpost;
using namespace outpost::auth;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {
const WallTime kNow = WallTime(std::chrono::seconds(1'700'000'000));
constexpr const char* kService = "registry.test";

struct Keys {
  SeededRandom random{42};
  SigningKey key = SigningKey::generate(random);
  SigningKey other_key = SigningKey::generate(random);
  KeySet trusted{{key.verifying_key()}};

  Claims claims(Nanoseconds lifetime = 5min) {
    return make_access_claims("outpost", "pull-token", kService,
                              {{"repository", "samples/hello", {"pull"}},
                               {"repository", "ns:with/colons:and/slashes", {"pull", "push"}}},
                              kNow, lifetime, random);
  }
};

// A token with any header and payload, signed correctly by `key`: shows the refusal comes from the check under test,
// not from a broken signature.
std::string sign_raw(const std::string& header, const std::string& payload, const SigningKey& key) {
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  return input + "." + base64url_encode(es256_sign(input, key));
}

std::string standard_header(const SigningKey& key) {
  return json{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", key.kid()}}.dump();
}

json payload_of(const std::string& token) {
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  return json::parse(*base64url_decode(token.substr(first + 1, second - first - 1)));
}

bool is_error(const JwtResult& result, JwtError expected) {
  const auto* error = std::get_if<JwtError>(&result);
  return error && *error == expected;
}

std::string explain(const JwtResult& result) {
  if (const auto* error = std::get_if<JwtError>(&result)) return std::string(describe(*error));
  return "valid";
}

// RFC 7515 appendix A.3: an ES256 JWS with its P-256 public key.
constexpr const char* kRfcPublicKeyPem =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n"
    "6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n"
    "-----END PUBLIC KEY-----\n";
constexpr const char* kRfcSigningInput =
    "eyJhbGciOiJFUzI1NiJ9"
    "."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
constexpr const char* kRfcSignature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
}  // namespace

BOOST_AUTO_TEST_SUITE(es256)

BOOST_AUTO_TEST_CASE(rfc7515_example_verifies) {
  const VerifyingKey key = VerifyingKey::from_pem(kRfcPublicKeyPem);
  const std::string signature = *base64url_decode(kRfcSignature);
  BOOST_TEST(es256_verify(kRfcSigningInput, signature, key));
  std::string changed = kRfcSigningInput;
  changed[5] ^= 1;
  BOOST_TEST(!es256_verify(changed, signature, key));
}

BOOST_AUTO_TEST_CASE(kid_is_the_rfc7638_thumbprint) {
  // Thumbprint of the RFC 7515 A.3 key, computed independently from its JWK {"crv","kty","x","y"}.
  BOOST_TEST(VerifyingKey::from_pem(kRfcPublicKeyPem).kid() == "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U");
}

BOOST_AUTO_TEST_CASE(signatures_are_raw_r_and_s) {
  Keys keys;
  const std::string signature = es256_sign("input", keys.key);
  BOOST_TEST(signature.size() == 64u);
  BOOST_TEST(es256_verify("input", signature, keys.key.verifying_key()));
  BOOST_TEST(!es256_verify("input", signature, keys.other_key.verifying_key()));
}

BOOST_AUTO_TEST_CASE(wrong_lengths_and_zero_values_are_refused_without_throwing) {
  Keys keys;
  const std::string signature = es256_sign("input", keys.key);
  BOOST_TEST(!es256_verify("input", signature.substr(0, 63), keys.key.verifying_key()));
  BOOST_TEST(!es256_verify("input", signature + '\0', keys.key.verifying_key()));
  BOOST_TEST(!es256_verify("input", std::string(64, '\0'), keys.key.verifying_key()));
  BOOST_TEST(!es256_verify("input", std::string(64, '\xff'), keys.key.verifying_key()));
  BOOST_TEST(!es256_verify("input", "", keys.key.verifying_key()));
}

BOOST_AUTO_TEST_CASE(signature_bytes_are_not_deterministic) {
  // Documented in jwt.h: OpenSSL 3.0 draws the ECDSA nonce itself, so traces must not hash signatures.
  Keys keys;
  BOOST_TEST(es256_sign("input", keys.key) != es256_sign("input", keys.key));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(signing_keys)

BOOST_AUTO_TEST_CASE(generation_follows_the_random_seam) {
  SeededRandom a(5), b(5), c(6);
  const SigningKey first = SigningKey::generate(a);
  BOOST_TEST(first.kid() == SigningKey::generate(b).kid());
  BOOST_TEST(first.kid() != SigningKey::generate(c).kid());
  BOOST_TEST(first.kid().size() == 43u);
}

BOOST_AUTO_TEST_CASE(private_pem_round_trip_keeps_the_key) {
  Keys keys;
  const std::string pem = keys.key.to_pem();
  BOOST_TEST(pem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0u);
  const SigningKey loaded = SigningKey::from_pem(pem);
  BOOST_TEST(loaded.kid() == keys.key.kid());
  BOOST_TEST(loaded.to_pem() == pem);
  const std::string token = sign(keys.claims(), loaded);
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, kNow)));
}

BOOST_AUTO_TEST_CASE(public_pem_round_trip_keeps_the_key) {
  Keys keys;
  const std::string pem = keys.key.verifying_key().to_pem();
  BOOST_TEST(pem.rfind("-----BEGIN PUBLIC KEY-----", 0) == 0u);
  BOOST_TEST(pem.find("PRIVATE") == std::string::npos);
  const VerifyingKey loaded = VerifyingKey::from_pem(pem);
  BOOST_TEST(loaded.kid() == keys.key.kid());
  const std::string token = sign(keys.claims(), keys.key);
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, KeySet({loaded}), kService, kNow)));
}

BOOST_AUTO_TEST_CASE(pem_that_is_not_a_p256_key_is_refused) {
  Keys keys;
  BOOST_CHECK_THROW(SigningKey::from_pem(""), std::invalid_argument);
  BOOST_CHECK_THROW(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                    std::invalid_argument);
  BOOST_CHECK_THROW(SigningKey::from_pem(keys.key.verifying_key().to_pem()), std::invalid_argument);
  BOOST_CHECK_THROW(VerifyingKey::from_pem("garbage"), std::invalid_argument);

  EVP_PKEY* p384 = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384");
  BOOST_TEST_REQUIRE(p384 != nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, p384, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const std::string pem(data, static_cast<size_t>(BIO_get_mem_data(bio, &data)));
  BIO_free(bio);
  EVP_PKEY_free(p384);
  BOOST_CHECK_THROW(SigningKey::from_pem(pem), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(key_set_finds_by_kid) {
  Keys keys;
  KeySet set;
  BOOST_TEST(set.find(keys.key.kid()) == nullptr);
  set.add(keys.key.verifying_key());
  set.add(keys.other_key.verifying_key());
  set.add(keys.key.verifying_key());  // the same key twice is one entry
  BOOST_TEST(set.size() == 2u);
  BOOST_TEST_REQUIRE(set.find(keys.other_key.kid()) != nullptr);
  BOOST_TEST(set.find(keys.other_key.kid())->kid() == keys.other_key.kid());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(jwt)

BOOST_AUTO_TEST_CASE(round_trip_returns_the_claims) {
  Keys keys;
  const Claims claims = keys.claims();
  const std::string token = sign(claims, keys.key);
  const JwtResult result = verify(token, keys.trusted, kService, kNow);
  BOOST_TEST_REQUIRE(std::holds_alternative<Claims>(result), explain(result));
  BOOST_TEST((std::get<Claims>(result) == claims));
  BOOST_TEST(std::get<Claims>(result).access[1].name == "ns:with/colons:and/slashes");
}

BOOST_AUTO_TEST_CASE(header_and_payload_have_the_documented_shape) {
  Keys keys;
  const Claims claims = keys.claims();
  const std::string token = sign(claims, keys.key);
  const json header = json::parse(*base64url_decode(token.substr(0, token.find('.'))));
  BOOST_TEST(header == (json{{"alg", "ES256"}, {"typ", "JWT"}, {"kid", keys.key.kid()}}));
  const json payload = payload_of(token);
  BOOST_TEST(payload["iss"] == "outpost");
  BOOST_TEST(payload["sub"] == "pull-token");
  BOOST_TEST(payload["aud"] == kService);  // one audience: a plain string
  BOOST_TEST(payload["iat"] == 1'700'000'000);
  BOOST_TEST(payload["nbf"] == 1'700'000'000);
  BOOST_TEST(payload["exp"] == 1'700'000'300);
  BOOST_TEST(payload["jti"] == claims.jwt_id);
  BOOST_TEST(payload["access"][0] ==
             (json{{"type", "repository"}, {"name", "samples/hello"}, {"actions", {"pull"}}}));
  BOOST_TEST(token.substr(token.rfind('.') + 1).size() == 86u);  // 64 bytes, base64url without padding
}

BOOST_AUTO_TEST_CASE(make_access_claims_floors_to_seconds_and_draws_jti_from_the_seam) {
  SeededRandom a(1), b(1);
  const Claims first = make_access_claims("iss", "sub", "aud", {}, kNow + 999ms, 300s, a);
  const Claims second = make_access_claims("iss", "sub", "aud", {}, kNow + 999ms, 300s, b);
  BOOST_TEST((first.issued_at == kNow));
  BOOST_TEST((first.expires_at == kNow + 300s));
  BOOST_TEST(first.jwt_id.size() == 22u);
  BOOST_TEST(first.jwt_id == second.jwt_id);
}

BOOST_AUTO_TEST_CASE(audience_may_be_an_array) {
  Keys keys;
  Claims claims = keys.claims();
  claims.audience = {"a.example", kService};
  const std::string token = sign(claims, keys.key);
  BOOST_TEST(payload_of(token)["aud"].is_array());
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, kNow)));
  BOOST_TEST(is_error(verify(token, keys.trusted, "b.example", kNow), JwtError::WrongAudience));
  claims.audience.clear();
  BOOST_TEST(is_error(verify(sign(claims, keys.key), keys.trusted, kService, kNow), JwtError::WrongAudience));
}

BOOST_AUTO_TEST_CASE(wrong_audience_is_refused) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);
  BOOST_TEST(is_error(verify(token, keys.trusted, "other.test", kNow), JwtError::WrongAudience));
  BOOST_TEST(is_error(verify(token, keys.trusted, "", kNow), JwtError::WrongAudience));
  BOOST_TEST(is_error(verify(token, keys.trusted, "REGISTRY.TEST", kNow), JwtError::WrongAudience));
}

BOOST_AUTO_TEST_CASE(alg_none_is_refused) {
  Keys keys;
  const std::string payload = payload_of(sign(keys.claims(), keys.key)).dump();
  const std::string header = json{{"alg", "none"}, {"typ", "JWT"}, {"kid", keys.key.kid()}}.dump();
  const std::string unsigned_token = base64url_encode(header) + "." + base64url_encode(payload) + ".";
  BOOST_TEST(is_error(verify(unsigned_token, keys.trusted, kService, kNow), JwtError::UnsupportedAlgorithm));
  const std::string none_upper = json{{"alg", "None"}, {"kid", keys.key.kid()}}.dump();
  BOOST_TEST(is_error(verify(base64url_encode(none_upper) + "." + base64url_encode(payload) + ".", keys.trusted,
                             kService, kNow),
                      JwtError::UnsupportedAlgorithm));
}

BOOST_AUTO_TEST_CASE(hs256_with_the_public_key_as_secret_is_refused) {
  // The algorithm-confusion attack: an HMAC keyed with the (public) verification key.
  Keys keys;
  const std::string payload = payload_of(sign(keys.claims(), keys.key)).dump();
  const std::string header = json{{"alg", "HS256"}, {"typ", "JWT"}, {"kid", keys.key.kid()}}.dump();
  const std::string input = base64url_encode(header) + "." + base64url_encode(payload);
  const std::string secret = keys.key.verifying_key().to_pem();
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_size);
  const std::string token = input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), mac_size));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow), JwtError::UnsupportedAlgorithm));
}

BOOST_AUTO_TEST_CASE(other_algorithms_and_missing_alg_are_refused) {
  Keys keys;
  const std::string payload = payload_of(sign(keys.claims(), keys.key)).dump();
  for (const json& alg : {json("RS256"), json("ES384"), json("es256"), json("ES256 "), json(""), json(nullptr),
                          json(256), json::array({"ES256"})}) {
    const std::string header = json{{"alg", alg}, {"kid", keys.key.kid()}}.dump();
    BOOST_TEST(is_error(verify(sign_raw(header, payload, keys.key), keys.trusted, kService, kNow),
                        JwtError::UnsupportedAlgorithm),
               alg.dump());
  }
  const std::string no_alg = json{{"typ", "JWT"}, {"kid", keys.key.kid()}}.dump();
  BOOST_TEST(is_error(verify(sign_raw(no_alg, payload, keys.key), keys.trusted, kService, kNow),
                      JwtError::UnsupportedAlgorithm));
}

BOOST_AUTO_TEST_CASE(critical_extensions_and_foreign_types_are_refused) {
  Keys keys;
  const std::string payload = payload_of(sign(keys.claims(), keys.key)).dump();
  json header = {{"alg", "ES256"}, {"kid", keys.key.kid()}, {"crit", {"exp"}}};
  BOOST_TEST(is_error(verify(sign_raw(header.dump(), payload, keys.key), keys.trusted, kService, kNow),
                      JwtError::UnsupportedHeader));
  header = {{"alg", "ES256"}, {"kid", keys.key.kid()}, {"typ", "at+jwt"}};
  BOOST_TEST(is_error(verify(sign_raw(header.dump(), payload, keys.key), keys.trusted, kService, kNow),
                      JwtError::UnsupportedHeader));
  header = {{"alg", "ES256"}, {"kid", keys.key.kid()}, {"typ", "jwt"}};  // media types compare case-insensitively
  BOOST_TEST(std::holds_alternative<Claims>(verify(sign_raw(header.dump(), payload, keys.key), keys.trusted, kService,
                                                   kNow)));
  header = {{"alg", "ES256"}, {"kid", keys.key.kid()}};  // typ is optional
  BOOST_TEST(std::holds_alternative<Claims>(verify(sign_raw(header.dump(), payload, keys.key), keys.trusted, kService,
                                                   kNow)));
}

BOOST_AUTO_TEST_CASE(token_from_an_untrusted_key_is_refused) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.other_key);
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow), JwtError::UnknownKey));
  BOOST_TEST(is_error(verify(token, KeySet(), kService, kNow), JwtError::UnknownKey));
}

BOOST_AUTO_TEST_CASE(wrong_key_under_a_trusted_kid_is_refused) {
  Keys keys;
  const std::string payload = payload_of(sign(keys.claims(), keys.key)).dump();
  const std::string token = sign_raw(standard_header(keys.key), payload, keys.other_key);  // forged kid
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow), JwtError::BadSignature));
}

BOOST_AUTO_TEST_CASE(missing_or_unknown_kid_is_refused) {
  Keys keys;
  const std::string payload = payload_of(sign(keys.claims(), keys.key)).dump();
  for (const json& header : {json{{"alg", "ES256"}}, json{{"alg", "ES256"}, {"kid", "nope"}},
                             json{{"alg", "ES256"}, {"kid", 7}}, json{{"alg", "ES256"}, {"kid", ""}}})
    BOOST_TEST(is_error(verify(sign_raw(header.dump(), payload, keys.key), keys.trusted, kService, kNow),
                        JwtError::UnknownKey),
               header.dump());
}

BOOST_AUTO_TEST_CASE(tampered_payload_or_header_is_refused) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);
  const size_t first = token.find('.');
  const size_t second = token.find('.', first + 1);
  json payload = payload_of(token);
  payload["access"][0]["actions"] = {"pull", "push", "delete"};
  const std::string escalated =
      token.substr(0, first + 1) + base64url_encode(payload.dump()) + token.substr(second);
  BOOST_TEST(is_error(verify(escalated, keys.trusted, kService, kNow), JwtError::BadSignature));

  json header = json::parse(*base64url_decode(token.substr(0, first)));
  header["typ"] = "jwt";  // accepted on its own, but not what was signed
  const std::string reheadered = base64url_encode(header.dump()) + token.substr(first);
  BOOST_TEST(is_error(verify(reheadered, keys.trusted, kService, kNow), JwtError::BadSignature));

  std::string flipped_signature = token;
  flipped_signature[second + 10] = flipped_signature[second + 10] == 'A' ? 'B' : 'A';
  BOOST_TEST(is_error(verify(flipped_signature, keys.trusted, kService, kNow), JwtError::BadSignature));
}

BOOST_AUTO_TEST_CASE(truncated_tokens_are_refused) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);
  for (size_t length = 0; length < token.size(); ++length) {
    const JwtResult result = verify(token.substr(0, length), keys.trusted, kService, kNow);
    BOOST_TEST(std::holds_alternative<JwtError>(result), "accepted a prefix of length " << length);
  }
  const size_t second = token.rfind('.');
  BOOST_TEST(is_error(verify(token.substr(0, second), keys.trusted, kService, kNow), JwtError::Malformed));
  BOOST_TEST(is_error(verify(token.substr(0, second + 1), keys.trusted, kService, kNow), JwtError::BadSignature));
}

BOOST_AUTO_TEST_CASE(no_single_character_change_is_accepted) {
  // Strict base64 gives every token exactly one spelling, so any change is a different header, payload or signature.
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);
  SeededRandom mutations(77);
  static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ ";
  for (int i = 0; i < 1000; ++i) {
    std::string changed = token;
    const size_t at = mutations.uniform(changed.size());
    const char replacement = kAlphabet[mutations.uniform(kAlphabet.size())];
    switch (mutations.uniform(3)) {
      case 0:
        if (changed[at] == replacement) continue;
        changed[at] = replacement;
        break;
      case 1: changed.insert(at, 1, replacement); break;
      default: changed.erase(at, 1); break;
    }
    const JwtResult result = verify(changed, keys.trusted, kService, kNow);
    BOOST_TEST(std::holds_alternative<JwtError>(result), "accepted " << changed);
  }
}

BOOST_AUTO_TEST_CASE(malformed_shapes_are_refused) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);
  const size_t first = token.find('.');
  for (const std::string& bad : {
           std::string(""), std::string("."), std::string(".."), std::string("..."), std::string("a.b.c"),
           token + ".", token + ".x", "." + token, token.substr(0, first) + "=" + token.substr(first),  // padding
           token.substr(0, first) + "+" + token.substr(first),                                        // alphabet
           std::string(" ") + token, token + " ", token + "\n",
           base64url_encode("not json") + token.substr(first),
           base64url_encode("[1,2]") + token.substr(first),
           base64url_encode("\"ES256\"") + token.substr(first),
           std::string(kMaxJwtBytes + 1, 'a'),
       }) {
    const JwtResult result = verify(bad, keys.trusted, kService, kNow);
    BOOST_TEST(std::holds_alternative<JwtError>(result), "accepted " << bad.substr(0, 40));
  }
  BOOST_TEST(is_error(verify("a.b.c", keys.trusted, kService, kNow), JwtError::Malformed));
  BOOST_TEST(is_error(verify(base64url_encode("not json") + token.substr(first), keys.trusted, kService, kNow),
                      JwtError::Malformed));
  BOOST_TEST(is_error(verify(token + ".x", keys.trusted, kService, kNow), JwtError::Malformed));
  BOOST_TEST(is_error(verify(std::string(kMaxJwtBytes + 1, 'a'), keys.trusted, kService, kNow), JwtError::Malformed));
}

BOOST_AUTO_TEST_CASE(signed_but_malformed_claims_are_refused) {
  Keys keys;
  const json good = payload_of(sign(keys.claims(), keys.key));
  BOOST_TEST_REQUIRE(std::holds_alternative<Claims>(
      verify(sign_raw(standard_header(keys.key), good.dump(), keys.key), keys.trusted, kService, kNow)));
  auto refused = [&](const json& payload) {
    return is_error(verify(sign_raw(standard_header(keys.key), payload.dump(), keys.key), keys.trusted, kService, kNow),
                    JwtError::Malformed);
  };
  for (const char* required : {"iss", "sub", "aud", "exp"}) {
    json payload = good;
    payload.erase(required);
    BOOST_TEST(refused(payload), "missing " << required);
  }
  for (const auto& [claim, value] : std::vector<std::pair<std::string, json>>{
           {"exp", 1'700'000'300.5}, {"exp", "1700000300"}, {"exp", -1}, {"exp", 10'000'000'000LL},
           {"exp", 18'446'744'073'709'551'615ULL}, {"nbf", true}, {"iat", json::array()}, {"sub", 5},
           {"iss", nullptr}, {"jti", 1}, {"aud", 5}, {"aud", json::array({kService, 5})}, {"access", "pull"},
           {"access", json::array({"pull"})}, {"access", json::array({json{{"type", "repository"}, {"name", "x"}}})},
           {"access", json::array({json{{"type", "repository"}, {"name", "x"}, {"actions", "pull"}}})},
           {"access", json::array({json{{"type", 1}, {"name", "x"}, {"actions", {"pull"}}}})}}) {
    json payload = good;
    payload[claim] = value;
    BOOST_TEST(refused(payload), claim << "=" << value.dump());
  }
  BOOST_TEST(refused(json::array()));
  BOOST_TEST(refused(json("claims")));

  json optional_absent = good;
  for (const char* optional : {"nbf", "iat", "jti", "access"}) optional_absent.erase(optional);
  const JwtResult minimal = verify(sign_raw(standard_header(keys.key), optional_absent.dump(), keys.key), keys.trusted,
                                   kService, kNow);
  BOOST_TEST_REQUIRE(std::holds_alternative<Claims>(minimal), explain(minimal));
  BOOST_TEST(std::get<Claims>(minimal).access.empty());
}

BOOST_AUTO_TEST_CASE(expiry_with_leeway_boundaries) {
  Keys keys;
  const std::string token = sign(keys.claims(5min), keys.key);
  const WallTime exp = kNow + 5min;
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, exp - 1ns, 0s)));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, exp, 0s), JwtError::Expired));
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, exp + 60s - 1ns)));  // default 60 s
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, exp + 60s), JwtError::Expired));
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, exp + 10s - 1ns, 10s)));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, exp + 10s, 10s), JwtError::Expired));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, exp + 24h), JwtError::Expired));
}

BOOST_AUTO_TEST_CASE(not_before_with_leeway_boundaries) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);  // nbf = kNow
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, kNow, 0s)));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow - 1ns, 0s), JwtError::NotYetValid));
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, kNow - 60s)));  // default 60 s
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow - 60s - 1ns), JwtError::NotYetValid));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow - 1h), JwtError::NotYetValid));
}

BOOST_AUTO_TEST_CASE(negative_leeway_counts_as_zero) {
  Keys keys;
  const std::string token = sign(keys.claims(), keys.key);
  BOOST_TEST(std::holds_alternative<Claims>(verify(token, keys.trusted, kService, kNow, -30s)));
  BOOST_TEST(is_error(verify(token, keys.trusted, kService, kNow + 5min, -30s), JwtError::Expired));
}

BOOST_AUTO_TEST_CASE(check_claims_applies_the_same_rules) {
  Keys keys;
  const Claims claims = keys.claims();
  BOOST_TEST(!check_claims(claims, kService, kNow).has_value());
  BOOST_TEST((check_claims(claims, "x", kNow) == JwtError::WrongAudience));
  BOOST_TEST((check_claims(claims, kService, kNow + 5min, 0s) == JwtError::Expired));
  BOOST_TEST((check_claims(claims, kService, kNow - 1s, 0s) == JwtError::NotYetValid));
}

BOOST_AUTO_TEST_CASE(every_error_has_a_description) {
  for (JwtError error : {JwtError::Malformed, JwtError::UnsupportedAlgorithm, JwtError::UnsupportedHeader,
                         JwtError::UnknownKey, JwtError::BadSignature, JwtError::WrongAudience, JwtError::Expired,
                         JwtError::NotYetValid})
    BOOST_TEST(!describe(error).empty());
}

BOOST_AUTO_TEST_SUITE_END()
