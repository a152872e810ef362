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
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string_view>

#include "reference/auth/permission_set.h"
#include "reference/auth/token.h"
#include "reference/common/string_hash.h"
#include "reference/control/control_plane.h"

namespace outpost::registry {

struct TokenFacts {
  const auth::Token* token = nullptr;  // null: no such token (then only the generation is set)
  uint64_t generation = 0;
  const auth::PermissionSet* permissions = nullptr;
  bool accepted_at_node = true;
  bool sync_token = false;
};

class TokenFactsMemo {
 public:
  using Rule = std::function<bool(const control::Snapshot&, const auth::Token&)>;
  // Absent rules answer as the authenticator's defaults: accepted, not a sync token.
  TokenFactsMemo(Rule accepts, Rule is_sync_token);

  TokenFacts facts(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name);

 private:
  TokenFacts work_out(const control::Snapshot& snapshot, std::string_view name) const;

  const Rule accepts_;
  const Rule is_sync_token_;
  std::mutex mutex_;
  std::shared_ptr<const control::Snapshot> snapshot_;  // the one facts_ describes
  StringMap<TokenFacts> facts_;
};

}  // namespace outpost::registry
