#pragma once
// What a request presented, in terms the oracle can judge against the World without knowing any password: which of a
// token's passwords it was (by slot and serial, see world.h), or which access token (JWT) and what that JWT said when
// it was handed out. The CredentialBook turns the Authorization header of an observed request into this; the
// simulator fills the book as it receives passwords and tokens.
#include <array>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/string_hash.h"
#include "simulator/check/world.h"

namespace outpost::check {

enum class Presentation { Basic, Bearer };

// One entry of a JWT's `access` claim (SPEC 3.4): type "repository" or "registry", a name, Docker words (SPEC 3.5).
struct AccessGrant {
  std::string type;
  std::string name;
  std::vector<std::string> actions;
};

struct BearerFacts {
  std::string issued_by;  // the address of the node that issued it (its audience: SPEC 3.4, "aud = service")
  WallTime issued_at{};
  WallTime expires_at{};
  std::array<uint64_t, 2> serials{};  // the subject's password serials when it was issued (0: empty slot)
  int slot = 0;  // which password the login that got it used (0 = password1): the JWT lives no longer than it does
  std::vector<AccessGrant> access;
};

struct PasswordProof {
  int slot = 0;         // 0 = password1, 1 = password2
  uint64_t serial = 0;  // the slot's serial when the password was handed out
};

struct Credential {
  enum class Kind { None, Admin, Token };
  Kind kind = Kind::None;
  Presentation presented = Presentation::Basic;
  std::string name;                       // Token: its name
  std::optional<PasswordProof> password;  // Basic token: nothing = a password the token never had
  bool admin_password_right = false;      // Basic admin
  std::optional<BearerFacts> bearer;      // Bearer: nothing = not a JWT any node issued (forged, garbled)
};

std::string describe(const Credential& credential);

class CredentialBook {
 public:
  static constexpr std::string_view kAdminUser = "admin";  // SPEC 7.1

  void remember_admin_password(std::string password);
  void remember_password(std::string_view token, std::string password, PasswordProof proof);
  // Agents present passwords the simulator never saw (they come in connection strings): every Basic password for
  // `token` that was never remembered is then taken to be its password `slot` as `world` holds it now, that serial
  // included. Once the slot is regenerated (generateCredentials, a new connection string), the agent's old password
  // is a stale one: it was once taken for the new one, and the oracle allowed what the node rightly refused.
  void trust(std::string_view token, const World& world, int slot = 0);
  void remember_bearer(std::string jwt, BearerFacts facts);

  // A JWT's claims read as any client may read them (the payload is base64url JSON: iat, exp, aud, sub, access),
  // with the subject's password serials taken from `world` now, and `slot`, the password the caller logged in with
  // to get it (not read from the JWT: the oracle does not take the node's word for it). Nothing for a string that
  // is not a JWT.
  static std::optional<BearerFacts> read_bearer(std::string_view jwt, const World& world, int slot = 0);

  Credential resolve(std::string_view authorization) const;

  // Grows with every password, trust or JWT remembered: what resolve() answers may differ from then on.
  uint64_t generation() const { return generation_; }

 private:
  uint64_t generation_ = 0;
  std::optional<std::string> admin_password_;
  // Hashed, and asked with views of the header: resolve() runs for every decision not judged before, and token names
  // (and JWTs) are long and alike. Never iterated.
  StringMap<StringMap<PasswordProof>> passwords_;  // token -> password -> proof
  StringMap<PasswordProof> trusted_;  // token -> the password its connection string carried
  StringMap<BearerFacts> bearers_;
};

}  // namespace outpost::check
