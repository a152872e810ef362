#include "reference/auth/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <span>
#include <stdexcept>

#include "reference/auth/base64.h"
#include "reference/auth/sha256.h"

namespace outpost::auth {

namespace {
using nlohmann::json;

constexpr size_t kCoordinateBytes = 32;  // P-256 field and order size
constexpr size_t kSignatureBytes = 2 * kCoordinateBytes;
// NumericDate range we accept: WallTime counts int64 nanoseconds, which ends in 2262; refuse anything past 2255.
constexpr int64_t kMaxNumericDate = 9'000'000'000;

// OpenSSL reports failures on a thread-local queue; drain it so one failure does not surface in unrelated code later.
[[noreturn]] void throw_openssl(const std::string& what, bool invalid_input = false) {
  char reason[256] = "unknown error";
  if (const unsigned long code = ERR_peek_last_error()) ERR_error_string_n(code, reason, sizeof reason);
  ERR_clear_error();
  const std::string message = what + ": " + reason;
  if (invalid_input) throw std::invalid_argument(message);
  throw std::runtime_error(message);
}

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using SecretBnPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, Deleter<BN_CTX, BN_CTX_free>>;
using GroupPtr = std::unique_ptr<EC_GROUP, Deleter<EC_GROUP, EC_GROUP_free>>;
using PointPtr = std::unique_ptr<EC_POINT, Deleter<EC_POINT, EC_POINT_free>>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, Deleter<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, Deleter<OSSL_PARAM, OSSL_PARAM_free>>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, Deleter<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) { return std::shared_ptr<EVP_PKEY>(key, EVP_PKEY_free); }

const unsigned char* bytes_of(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

// Refuses keys that are not EC on P-256, whatever the PEM said.
bool is_p256(EVP_PKEY* key) {
  if (EVP_PKEY_is_a(key, "EC") != 1) return false;
  char group[64] = {};
  size_t length = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &length) != 1) {
    ERR_clear_error();
    return false;
  }
  const std::string_view name(group, length);
  return name == "prime256v1" || name == "P-256" || name == "secp256r1";
}

std::string coordinate(EVP_PKEY* key, const char* param) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, param, &raw) != 1) throw_openssl("cannot read the public key");
  BnPtr value(raw);
  std::string out(kCoordinateBytes, '\0');
  if (BN_bn2binpad(value.get(), reinterpret_cast<unsigned char*>(out.data()), kCoordinateBytes) < 0)
    throw_openssl("public key coordinate too large");
  return out;
}

// RFC 7638: SHA-256 over the required JWK members in lexicographic order, no whitespace.
std::string jwk_thumbprint(EVP_PKEY* key) {
  const std::string x = base64url_encode(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X));
  const std::string y = base64url_encode(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y));
  const std::string jwk = R"({"crv":"P-256","kty":"EC","x":")" + x + R"(","y":")" + y + R"("})";
  return base64url_encode(sha256(jwk));
}

// A public-only copy of `key`, so handing out the verifying half never keeps the private scalar reachable.
std::shared_ptr<EVP_PKEY> public_part(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0) throw_openssl("cannot encode the public key");
  const unsigned char* cursor = der;
  EVP_PKEY* copy = d2i_PUBKEY(nullptr, &cursor, size);
  OPENSSL_free(der);
  if (!copy) throw_openssl("cannot decode the public key");
  return share(copy);
}

// Never prompt on a terminal for an encrypted PEM: refuse it.
int no_passphrase(char*, int, int, void*) { return -1; }

BioPtr read_bio(std::string_view pem) {
  if (pem.size() > INT32_MAX) throw std::invalid_argument("PEM too large");
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) throw_openssl("cannot allocate a BIO");
  return bio;
}

std::string drain(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<size_t>(size));
}

// ---- claims <-> JSON ----

int64_t to_numeric_date(WallTime time) {
  return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}

WallTime from_numeric_date(int64_t seconds) { return WallTime(std::chrono::seconds(seconds)); }

std::string claims_json(const Claims& claims) {
  nlohmann::ordered_json payload;
  payload["iss"] = claims.issuer;
  payload["sub"] = claims.subject;
  if (claims.audience.size() == 1)
    payload["aud"] = claims.audience.front();
  else
    payload["aud"] = claims.audience;
  payload["exp"] = to_numeric_date(claims.expires_at);
  payload["nbf"] = to_numeric_date(claims.not_before);
  payload["iat"] = to_numeric_date(claims.issued_at);
  payload["jti"] = claims.jwt_id;
  payload["access"] = access_to_json(claims.access);
  return payload.dump();
}

std::optional<std::string> string_member(const json& object, const char* name, bool required) {
  const auto it = object.find(name);
  if (it == object.end()) return required ? std::nullopt : std::optional<std::string>(std::string());
  if (!it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Integer NumericDate within [0, kMaxNumericDate]; fractional dates are refused (no issuer we accept writes them).
std::optional<WallTime> date_member(const json& object, const char* name, bool required) {
  const auto it = object.find(name);
  if (it == object.end()) return required ? std::nullopt : std::optional<WallTime>(WallTime{});
  int64_t seconds = 0;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(kMaxNumericDate)) return std::nullopt;
    seconds = static_cast<int64_t>(value);
  } else if (it->is_number_integer()) {
    seconds = it->get<int64_t>();
  } else {
    return std::nullopt;
  }
  if (seconds < 0 || seconds > kMaxNumericDate) return std::nullopt;
  return from_numeric_date(seconds);
}

std::optional<std::vector<std::string>> string_array(const json& value) {
  if (!value.is_array()) return std::nullopt;
  std::vector<std::string> out;
  out.reserve(value.size());
  for (const auto& item : value) {
    if (!item.is_string()) return std::nullopt;
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<Claims> parse_claims(std::string_view text) {
  const json payload = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return std::nullopt;  // also the parse-failure ("discarded") value
  Claims claims;
  auto issuer = string_member(payload, "iss", true);
  auto subject = string_member(payload, "sub", true);
  auto jwt_id = string_member(payload, "jti", false);
  const auto expires = date_member(payload, "exp", true);
  const auto not_before = date_member(payload, "nbf", false);
  const auto issued = date_member(payload, "iat", false);
  if (!issuer || !subject || !jwt_id || !expires || !not_before || !issued) return std::nullopt;
  claims.issuer = std::move(*issuer);
  claims.subject = std::move(*subject);
  claims.jwt_id = std::move(*jwt_id);
  claims.expires_at = *expires;
  claims.not_before = *not_before;
  claims.issued_at = *issued;

  const auto aud = payload.find("aud");
  if (aud == payload.end()) return std::nullopt;
  if (aud->is_string()) {
    claims.audience.push_back(aud->get<std::string>());
  } else if (auto list = string_array(*aud)) {
    claims.audience = std::move(*list);
  } else {
    return std::nullopt;
  }

  if (const auto access = payload.find("access"); access != payload.end()) {
    auto entries = access_from_json(*access);
    if (!entries) return std::nullopt;
    claims.access = std::move(*entries);
  }
  return claims;
}

// The header decides nothing about how we verify (the algorithm is pinned); it only has to agree.
std::optional<JwtError> check_header(const json& header, std::string& kid) {
  if (!header.is_object()) return JwtError::Malformed;
  const auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "ES256")
    return JwtError::UnsupportedAlgorithm;
  if (header.contains("crit")) return JwtError::UnsupportedHeader;  // RFC 7515 4.1.11: we understand no extensions
  if (const auto typ = header.find("typ"); typ != header.end()) {
    if (!typ->is_string()) return JwtError::UnsupportedHeader;
    std::string value = typ->get<std::string>();
    std::transform(value.begin(), value.end(), value.begin(), [](unsigned char c) { return std::toupper(c); });
    if (value != "JWT") return JwtError::UnsupportedHeader;
  }
  const auto key_id = header.find("kid");
  if (key_id == header.end() || !key_id->is_string()) return JwtError::UnknownKey;
  kid = key_id->get<std::string>();
  return std::nullopt;
}
}  // namespace

// ---- keys ----

VerifyingKey::VerifyingKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)), kid_(jwk_thumbprint(key_.get())) {}

VerifyingKey VerifyingKey::from_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  EVP_PKEY* raw = PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr);
  if (!raw) throw_openssl("not a PEM public key", true);
  auto key = share(raw);
  if (!is_p256(key.get())) throw std::invalid_argument("not a P-256 public key (ES256 needs P-256)");
  return VerifyingKey(std::move(key));
}

std::string VerifyingKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) throw_openssl("cannot write the public key");
  return drain(bio.get());
}

SigningKey::SigningKey(std::shared_ptr<EVP_PKEY> key)
    : key_(std::move(key)), public_(VerifyingKey(public_part(key_.get()))) {}

SigningKey SigningKey::generate(Random& random) {
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  BnCtxPtr bn_ctx(BN_CTX_new());
  SecretBnPtr scalar(BN_secure_new());
  if (!group || !bn_ctx || !scalar) throw_openssl("cannot set up P-256");
  const BIGNUM* order = EC_GROUP_get0_order(group.get());

  // Uniform in [1, n-1]: draw 256 bits and retry on the rare (~2^-32) value outside the range.
  unsigned char bytes[kCoordinateBytes];
  do {
    random.fill(std::as_writable_bytes(std::span(bytes)));
    if (!BN_bin2bn(bytes, sizeof bytes, scalar.get())) throw_openssl("cannot read the private scalar");
  } while (BN_is_zero(scalar.get()) || BN_cmp(scalar.get(), order) >= 0);
  OPENSSL_cleanse(bytes, sizeof bytes);
  BN_set_flags(scalar.get(), BN_FLG_CONSTTIME);

  PointPtr point(EC_POINT_new(group.get()));
  unsigned char encoded_point[1 + 2 * kCoordinateBytes];
  if (!point || EC_POINT_mul(group.get(), point.get(), scalar.get(), nullptr, nullptr, bn_ctx.get()) != 1 ||
      EC_POINT_point2oct(group.get(), point.get(), POINT_CONVERSION_UNCOMPRESSED, encoded_point, sizeof encoded_point,
                         bn_ctx.get()) != sizeof encoded_point)
    throw_openssl("cannot compute the public key");

  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder || OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, encoded_point,
                                       sizeof encoded_point) != 1)
    throw_openssl("cannot describe the key");
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_KEYPAIR, params.get()) != 1)
    throw_openssl("cannot build the key");
  return SigningKey(share(raw));
}

SigningKey SigningKey::from_pem(std::string_view pem) {
  BioPtr bio = read_bio(pem);
  EVP_PKEY* raw = PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr);
  if (!raw) throw_openssl("not an unencrypted PEM private key", true);
  auto key = share(raw);
  if (!is_p256(key.get())) throw std::invalid_argument("not a P-256 private key (ES256 needs P-256)");
  // A file edited by hand could pair a private scalar with a foreign public point; check they belong together.
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) throw_openssl("inconsistent P-256 key pair", true);
  return SigningKey(std::move(key));
}

std::string SigningKey::to_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    throw_openssl("cannot write the private key");
  return drain(bio.get());
}

KeySet::KeySet(std::vector<VerifyingKey> keys) {
  for (auto& key : keys) add(std::move(key));
}

void KeySet::add(VerifyingKey key) {
  std::string kid = key.kid();
  keys_.insert_or_assign(std::move(kid), std::move(key));
}

const VerifyingKey* KeySet::find(std::string_view kid) const {
  const auto it = keys_.find(kid);
  return it == keys_.end() ? nullptr : &it->second;
}

// ---- ES256 ----

std::string es256_sign(std::string_view signing_input, const SigningKey& key) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  size_t der_size = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.native()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_size, bytes_of(signing_input), signing_input.size()) != 1)
    throw_openssl("ES256 signing failed");
  std::string der(der_size, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_size, bytes_of(signing_input),
                     signing_input.size()) != 1)
    throw_openssl("ES256 signing failed");

  // OpenSSL speaks DER (ECDSA-Sig-Value); JWS wants the two integers as fixed-width big-endian (RFC 7518 3.4).
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_size)));
  if (!signature) throw_openssl("cannot decode the ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  std::string out(kSignatureBytes, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(r, bytes, kCoordinateBytes) < 0 || BN_bn2binpad(s, bytes + kCoordinateBytes, kCoordinateBytes) < 0)
    throw_openssl("ECDSA signature too large");
  return out;
}

bool es256_verify(std::string_view signing_input, std::string_view signature, const VerifyingKey& key) {
  if (signature.size() != kSignatureBytes) return false;
  EcdsaSigPtr ecdsa(ECDSA_SIG_new());
  BnPtr r(BN_bin2bn(bytes_of(signature), kCoordinateBytes, nullptr));
  BnPtr s(BN_bin2bn(bytes_of(signature) + kCoordinateBytes, kCoordinateBytes, nullptr));
  if (!ecdsa || !r || !s || ECDSA_SIG_set0(ecdsa.get(), r.get(), s.get()) != 1) throw_openssl("out of memory");
  r.release();  // owned by ecdsa now
  s.release();
  unsigned char* der = nullptr;
  const int der_size = i2d_ECDSA_SIG(ecdsa.get(), &der);
  if (der_size <= 0) throw_openssl("cannot encode the ECDSA signature");
  std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(der, [](unsigned char* p) { OPENSSL_free(p); });

  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.native()) != 1)
    throw_openssl("ES256 verification failed to start");
  const int result = EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_size), bytes_of(signing_input),
                                      signing_input.size());
  if (result != 1) ERR_clear_error();  // a bad signature (0) or an unusable one (<0, e.g. r = 0): both just "no"
  return result == 1;
}

// ---- tokens ----

std::string new_jwt_id(Random& random) {
  std::string bytes(16, '\0');
  random.fill(std::as_writable_bytes(std::span(bytes)));
  return base64url_encode(bytes);
}

Claims make_access_claims(std::string issuer, std::string subject, std::string audience,
                          std::vector<AccessEntry> access, WallTime now, Nanoseconds lifetime, Random& random) {
  Claims claims;
  claims.issuer = std::move(issuer);
  claims.subject = std::move(subject);
  claims.audience.push_back(std::move(audience));
  claims.issued_at = std::chrono::floor<std::chrono::seconds>(now);
  claims.not_before = claims.issued_at;
  claims.expires_at = claims.issued_at + std::chrono::floor<std::chrono::seconds>(lifetime);
  claims.jwt_id = new_jwt_id(random);
  claims.access = std::move(access);
  return claims;
}

std::string sign(const Claims& claims, const SigningKey& key) {
  nlohmann::ordered_json header;
  header["alg"] = "ES256";
  header["typ"] = "JWT";
  header["kid"] = key.kid();
  std::string token = base64url_encode(header.dump());
  token += '.';
  token += base64url_encode(claims_json(claims));
  const std::string signature = es256_sign(token, key);
  token += '.';
  token += base64url_encode(signature);
  return token;
}

std::string_view describe(JwtError error) {
  switch (error) {
    case JwtError::Malformed: return "malformed token";
    case JwtError::UnsupportedAlgorithm: return "unsupported signing algorithm (only ES256 is accepted)";
    case JwtError::UnsupportedHeader: return "unsupported token header";
    case JwtError::UnknownKey: return "token signed by an unknown key";
    case JwtError::BadSignature: return "invalid token signature";
    case JwtError::WrongAudience: return "token issued for another service";
    case JwtError::Expired: return "token expired";
    case JwtError::NotYetValid: return "token not yet valid";
  }
  return "invalid token";
}

std::optional<JwtError> check_claims(const Claims& claims, std::string_view audience, WallTime now,
                                     Nanoseconds leeway) {
  leeway = std::max(leeway, Nanoseconds::zero());
  if (std::find(claims.audience.begin(), claims.audience.end(), audience) == claims.audience.end())
    return JwtError::WrongAudience;
  // RFC 7519 4.1.4 and 4.1.5: valid from nbf inclusive to exp exclusive, each widened by the leeway.
  if (now < claims.not_before - leeway) return JwtError::NotYetValid;
  if (now >= claims.expires_at + leeway) return JwtError::Expired;
  return std::nullopt;
}

JwtResult verify(std::string_view token, const KeySet& keys, std::string_view audience, WallTime now,
                 Nanoseconds leeway) {
  if (token.size() > kMaxJwtBytes) return JwtError::Malformed;
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return JwtError::Malformed;
  const std::string_view header_text = token.substr(0, first);
  const std::string_view payload_text = token.substr(first + 1, second - first - 1);
  const std::string_view signature_text = token.substr(second + 1);
  auto header_bytes = base64url_decode(header_text);
  auto payload_bytes = base64url_decode(payload_text);
  auto signature = base64url_decode(signature_text);
  if (!header_bytes || !payload_bytes || !signature || header_bytes->empty() || payload_bytes->empty())
    return JwtError::Malformed;

  const json header = json::parse(*header_bytes, nullptr, /*allow_exceptions=*/false);
  std::string kid;
  if (const auto refusal = check_header(header, kid)) return *refusal;
  const VerifyingKey* key = keys.find(kid);
  if (!key) return JwtError::UnknownKey;
  if (!es256_verify(token.substr(0, second), *signature, *key)) return JwtError::BadSignature;

  auto claims = parse_claims(*payload_bytes);
  if (!claims) return JwtError::Malformed;
  if (const auto refusal = check_claims(*claims, audience, now, leeway)) return *refusal;
  return std::move(*claims);
}

}  // namespace outpost::auth
