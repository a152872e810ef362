#pragma once
// What a token name comes to in one control-plane snapshot, worked out once per snapshot instead of at every request:
// the token, its generation, its scope map's permissions, and the node's two rules (accepted here? a sync token?).
// An authenticated request asked the snapshot four ordered maps by name and ran both rules each time: a tenth of a
// big simulated world's steady state, where nodes hear from the same few tokens every minute.
//
// Correct because a published snapshot never changes and the rules depend on nothing but the snapshot and the token
// (AuthenticatorOptions says so). The memo holds the snapshot it describes, so no later snapshot can take its address
// while the facts point into it; a new snapshot starts a new memo. Names without a token are not remembered (anyone
// can send any name). Thread-safe.
//
// Beside a token's facts the memo keeps the last password seen verified for it in this snapshot (its SHA-256 and the
// limits of the credential cache entry that vouched for it), so that the usual request, a client presenting the
// password that worked last time, is answered by this one lookup instead of this one and the credential cache's. It
// is a copy of a credential cache entry and holds to the same rules: tied to the snapshot (so to the token's
// generation in it: any change to the token's credentials comes with a new snapshot, which drops it), matched on the
// digest in constant time, and good only until the entry's deadline and the password's expiry. The credential cache
// stays the record that outlives a snapshot.
#include <optional>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "reference/auth/permission_set.h"
#include "reference/auth/sha256.h"
#include "reference/auth/token.h"
#include "reference/common/clock.h"
#include "reference/control/control_plane.h"
#include "reference/registry/auth/name_table.h"

namespace outpost::registry {

struct TokenFacts {
  const auth::Token* token = nullptr;  // null: no such token (then only the generation is set)
  uint64_t generation = 0;
  const auth::PermissionSet* permissions = nullptr;
  bool accepted_at_node = true;
  bool sync_token = false;
};

// A password verified for a token: its SHA-256, and until when that may be taken without hashing it again (the
// credential cache entry's limits: auth::CredentialCache::Verified).
struct VerifiedPassword {
  auth::Sha256Digest digest{};
  Nanoseconds deadline{};                   // monotonic
  std::optional<WallTime> password_expiry;  // of the password that matched
  int password_slot = 0;                    // which one that was (0 = password1)
};

class TokenFactsMemo {
 public:
  using Rule = std::function<bool(const control::Snapshot&, const auth::Token&)>;
  // Absent rules answer as the authenticator's defaults: accepted, not a sync token.
  TokenFactsMemo(Rule accepts, Rule is_sync_token);

  TokenFacts facts(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name);

  // What a password login needs: the facts, and whether `password` (its SHA-256) is the password last remembered as
  // verified for this token in this snapshot, with its deadline not reached at monotonic `now` nor its expiry at
  // `wall_now`. Not verified means: ask the credential cache, or hash.
  struct Login {
    TokenFacts facts;
    bool verified = false;
    int password_slot = 0;  // verified: which of the token's passwords it is
  };
  Login login(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name,
              const auth::Sha256Digest& password, Nanoseconds now, WallTime wall_now);
  // Call only after the password with this digest verified for `name` against `snapshot` (by its hash, or by a
  // credential cache hit for the token's generation there). Kept beside the token's facts, in place of any earlier
  // one; nothing is kept when the memo has moved on to another snapshot or the name has no token.
  void remember_verified(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name,
                         const VerifiedPassword& verified);

 private:
  struct Entry {
    TokenFacts facts;
    std::optional<VerifiedPassword> verified;
  };
  TokenFacts work_out(const control::Snapshot& snapshot, std::string_view name) const;
  // The entry for `name` in `snapshot` (starting a new memo for a new snapshot), or null for a name without a token,
  // whose facts are then in `unknown`. Called with the lock held.
  Entry* entry(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name, TokenFacts& unknown);

  const Rule accepts_;
  const Rule is_sync_token_;
  std::mutex mutex_;
  std::shared_ptr<const control::Snapshot> snapshot_;  // the one entries_ describes
  NameTable<Entry> entries_;  // flat: one slot holds the name, its hash and its entry (name_table.h)
};

}  // namespace outpost::registry
