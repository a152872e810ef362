#pragma once
// Access tokens of the Docker token flow (SPEC 3.4): JSON Web Tokens signed with ES256 (ECDSA on P-256 with SHA-256,
// RFC 7518 section 3.4), and nothing else. The verifier pins the algorithm instead of trusting the header, so `none`,
// HS256 (the classic "sign with the public key as an HMAC secret" confusion) and every other value are refused.
//
// Determinism (docs/design.md, "Deterministic"): key generation draws from the Random seam, so a seeded world gets the
// same key and the same `kid` on every run. ECDSA signatures do not: OpenSSL 3.0 draws the per-signature nonce from its
// own CSPRNG and offers no deterministic (RFC 6979) mode (that arrived in OpenSSL 3.2), so the signature bytes of a
// token differ between runs of one seed. Whoever hashes a simulated trace must leave signature bytes (the third segment
// of a JWT, hence whole tokens and token responses) out of the hash. Everything else in a token -- header, claims, jti
// from the Random seam, times from the caller -- is deterministic.
//
// Time is always a parameter (WallTime from the Clock seam); nothing here reads the system clock.
#include <openssl/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "reference/auth/docker_scope.h"  // AccessEntry: one entry of the `access` claim
#include "reference/common/clock.h"
#include "reference/common/random.h"

namespace outpost::auth {

// The claims Outpost writes and reads. Times are whole seconds on the wire (NumericDate); sign() floors sub-second
// parts, so a round trip returns equal Claims only for whole-second times (make_access_claims produces those).
struct Claims {
  std::string issuer;                 // iss
  std::string subject;                // sub: the token (or admin user) the grant belongs to
  std::vector<std::string> audience;  // aud: the service; one value goes on the wire as a string, several as an array
  WallTime expires_at{};              // exp (required)
  WallTime not_before{};              // nbf (absent on the wire = the epoch: no lower bound)
  WallTime issued_at{};               // iat (absent = the epoch)
  std::string jwt_id;                 // jti
  std::vector<AccessEntry> access;    // absent on the wire = empty; shape rules of access_from_json
  bool operator==(const Claims&) const = default;
};

// 16 bytes from the Random seam, base64url (22 characters).
std::string new_jwt_id(Random& random);

// The claims of a fresh access token: iat = nbf = `now` floored to the second, exp = that + `lifetime`, jti from
// `random`.
Claims make_access_claims(std::string issuer, std::string subject, std::string audience,
                          std::vector<AccessEntry> access, WallTime now, Nanoseconds lifetime, Random& random);

// A P-256 public key: what a verifier needs. Cheap to copy (shares one immutable EVP_PKEY, which OpenSSL allows to be
// used from several threads at once).
class VerifyingKey {
 public:
  // SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY"). Throws std::invalid_argument for anything that is not a valid P-256
  // public key.
  static VerifyingKey from_pem(std::string_view pem);
  std::string to_pem() const;

  // RFC 7638 JWK thumbprint (SHA-256, base64url, 43 characters): a stable id derived from the key alone, so every node
  // names the same key the same way and a new key gets a new id.
  const std::string& kid() const { return kid_; }
  EVP_PKEY* native() const { return key_.get(); }

 private:
  friend class SigningKey;
  explicit VerifyingKey(std::shared_ptr<EVP_PKEY> key);
  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_;
};

// A P-256 key pair. The node generates one at first start and keeps its PEM in the data directory; the caller does the
// file I/O (and should write the file with mode 0600: the PEM is not encrypted).
class SigningKey {
 public:
  // The private scalar is drawn from `random` (uniform in [1, n-1] by rejection), the public point computed from it.
  static SigningKey generate(Random& random);
  // PKCS#8 ("BEGIN PRIVATE KEY") or SEC 1 ("BEGIN EC PRIVATE KEY") PEM, unencrypted. Throws std::invalid_argument for
  // anything else, for encrypted PEMs and for keys on other curves.
  static SigningKey from_pem(std::string_view pem);
  std::string to_pem() const;  // PKCS#8, unencrypted

  const std::string& kid() const { return public_.kid(); }
  const VerifyingKey& verifying_key() const { return public_; }
  EVP_PKEY* native() const { return key_.get(); }

 private:
  explicit SigningKey(std::shared_ptr<EVP_PKEY> key);
  std::shared_ptr<EVP_PKEY> key_;
  VerifyingKey public_;
};

// The keys a verifier trusts, by kid. Ordered so that listing them (a future JWKS endpoint, logs) is deterministic.
class KeySet {
 public:
  KeySet() = default;
  explicit KeySet(std::vector<VerifyingKey> keys);
  void add(VerifyingKey key);
  const VerifyingKey* find(std::string_view kid) const;
  size_t size() const { return keys_.size(); }

 private:
  std::map<std::string, VerifyingKey, std::less<>> keys_;
};

// header {"alg":"ES256","typ":"JWT","kid":<key's kid>} . payload . JOSE signature (raw r||s, 64 bytes). Throws
// nlohmann::json::type_error if a claim string is not valid UTF-8 (names reaching here have been validated already).
std::string sign(const Claims& claims, const SigningKey& key);

enum class JwtError {
  Malformed,             // not three base64url segments, bad JSON, missing or mistyped claims, oversized token
  UnsupportedAlgorithm,  // alg is not "ES256" (none, HS256, RS256, ...)
  UnsupportedHeader,     // a `crit` extension, or a `typ` other than JWT
  UnknownKey,            // no kid, or a kid not in the key set
  BadSignature,          // wrong length or does not verify: a wrong key or a changed header or payload
  WrongAudience,         // aud does not name the expected service
  Expired,               // now >= exp + leeway
  NotYetValid,           // now < nbf - leeway
};
std::string_view describe(JwtError error);

inline constexpr Nanoseconds kDefaultJwtLeeway = std::chrono::seconds(60);  // tolerated clock skew between nodes
inline constexpr size_t kMaxJwtBytes = 64 * 1024;

using JwtResult = std::variant<Claims, JwtError>;

// Checks, in order: size and shape, header (alg pinned to ES256, crit, typ), kid known, signature, then the claims
// (check_claims). A negative leeway counts as zero.
JwtResult verify(std::string_view token, const KeySet& keys, std::string_view audience, WallTime now,
                 Nanoseconds leeway = kDefaultJwtLeeway);

// The time and audience checks alone, for claims whose signature was verified earlier (the JWT cache).
std::optional<JwtError> check_claims(const Claims& claims, std::string_view audience, WallTime now,
                                     Nanoseconds leeway = kDefaultJwtLeeway);

// JWS ES256 on raw bytes (RFC 7515 section A.3): the 64-byte r||s signature of `signing_input`, and its check.
// es256_verify refuses signatures that are not exactly 64 bytes.
std::string es256_sign(std::string_view signing_input, const SigningKey& key);
bool es256_verify(std::string_view signing_input, std::string_view signature, const VerifyingKey& key);

}  // namespace outpost::auth
