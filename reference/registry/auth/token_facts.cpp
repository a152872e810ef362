#include "reference/registry/auth/token_facts.h"

namespace outpost::registry {

TokenFactsMemo::TokenFactsMemo(Rule accepts, Rule is_sync_token)
    : accepts_(std::move(accepts)), is_sync_token_(std::move(is_sync_token)) {}

TokenFacts TokenFactsMemo::work_out(const control::Snapshot& snapshot, std::string_view name) const {
  TokenFacts facts;
  facts.token = snapshot.token(name);
  facts.generation = snapshot.generation(name);
  if (!facts.token) return facts;
  facts.permissions = snapshot.permissions_of(*facts.token);
  facts.accepted_at_node = !accepts_ || accepts_(snapshot, *facts.token);
  facts.sync_token = is_sync_token_ && is_sync_token_(snapshot, *facts.token);
  return facts;
}

TokenFactsMemo::Entry* TokenFactsMemo::entry(const std::shared_ptr<const control::Snapshot>& snapshot,
                                             std::string_view name, TokenFacts& unknown) {
  if (snapshot_ != snapshot) {
    snapshot_ = snapshot;
    entries_.clear();
  }
  if (Entry* found = entries_.find(name)) return found;
  unknown = work_out(*snapshot, name);
  if (!unknown.token) return nullptr;
  return &entries_.insert(name, Entry{unknown, std::nullopt});
}

TokenFacts TokenFactsMemo::facts(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name) {
  std::lock_guard lock(mutex_);
  TokenFacts unknown;
  const Entry* found = entry(snapshot, name, unknown);
  return found ? found->facts : unknown;
}

TokenFactsMemo::Login TokenFactsMemo::login(const std::shared_ptr<const control::Snapshot>& snapshot,
                                            std::string_view name, const auth::Sha256Digest& password, Nanoseconds now,
                                            WallTime wall_now) {
  std::lock_guard lock(mutex_);
  Login login;
  const Entry* found = entry(snapshot, name, login.facts);
  if (!found) return login;
  login.facts = found->facts;
  const std::optional<VerifiedPassword>& verified = found->verified;
  // The credential cache's own test (auth::CredentialCache::find), on its copied limits; the generation is this
  // snapshot's by construction.
  login.verified = verified && now < verified->deadline &&
                   !(verified->password_expiry && wall_now >= *verified->password_expiry) &&
                   auth::same_digest(verified->digest, password);
  if (login.verified) login.password_slot = verified->password_slot;
  return login;
}

void TokenFactsMemo::remember_verified(const std::shared_ptr<const control::Snapshot>& snapshot,
                                       std::string_view name, const VerifiedPassword& verified) {
  std::lock_guard lock(mutex_);
  if (snapshot_ != snapshot) return;  // another snapshot since: its facts (and generation) may differ
  if (Entry* found = entries_.find(name)) found->verified = verified;
}

}  // namespace outpost::registry
