#pragma once
// The oracle: what SPEC 1.2-1.4, 2.6, 3 and 4 say a node answers to a request, given the World. It is a model
// written from the SPEC text, independent of reference/auth; where the SPEC leaves a choice open the oracle follows
// the project's documented Decision and says so (docs/simulator.md lists them).
//
// The order of checks is SPEC 4.3's, with the two refusals that come before credentials:
//   probes answer everyone (1.4); the cloud's endpoints (1.2) and advertised host (1.3); a disabled CR answers 503
//   (2.6); then (1) authentication and acceptance (4.1, 4.2, and 2.6's 403 for a disabled sync token with its right
//   password at its parent); (2) writes at a ReadOnly CR; (3) the route's actions (3.6); (4) repositories the CR does
//   not sync.
#include <optional>
#include <string>

#include "reference/common/clock.h"
#include "simulator/check/credential.h"
#include "simulator/check/request.h"
#include "simulator/check/world.h"
#include "simulator/check/world_memo.h"

namespace outpost::check {

struct Answer {
  int status = 0;                              // 0: allowed
  std::string code;                            // "" = any code (the SPEC names none)
  std::string message;                         // words the message must contain ("" = the SPEC prescribes none)
  bool challenge = false;                      // 401 with WWW-Authenticate: Bearer
  std::optional<std::string> challenge_scope;  // the scope= it names; nothing = not compared
  bool insufficient_scope = false;
  std::string clause;  // the SPEC clause that decided, e.g. "4.3(2)"

  bool allowed() const { return status == 0; }
};

std::string describe(const Answer& answer);

// What was observed, for comparison with an Answer.
struct Outcome {
  int status = 0;  // 0: allowed
  std::string code;
  std::string message;
  bool challenge = false;
  std::string challenge_scope;
  bool insufficient_scope = false;
};

std::string describe(const Outcome& outcome);
// Status and code equal; the message holds the SPEC's words; for a challenge, its scope and insufficient_scope flag.
bool agrees(const Answer& answer, const Outcome& outcome);

struct OracleOptions {
  // Tolerated clock skew on a JWT's expiry (not in the SPEC; nodes in one world may disagree on the time by this
  // much). A JWT is refused from exp + leeway on, accepted before exp; between the two either answer is taken.
  Nanoseconds jwt_leeway = std::chrono::seconds(60);
};

// `memo`, if given, is the one of `world` (world_memo.h): the same answer, with less work.
Answer answer(const World& world, const NodeRef& node, const Request& request, const Credential& credential,
              WallTime now, const OracleOptions& options = {}, const WorldMemo* memo = nullptr);

// Whether answer() for `credential` in `world` may change with `now` alone, the rest equal: a JWT (its lifetime, its
// subject's passwords' expiry), or a token's password with an expiry. Otherwise one answer holds at every instant.
bool depends_on_time(const World& world, const Credential& credential);

}  // namespace outpost::check
