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

TokenFacts TokenFactsMemo::facts(const std::shared_ptr<const control::Snapshot>& snapshot, std::string_view name) {
  std::lock_guard lock(mutex_);
  if (snapshot_ != snapshot) {
    snapshot_ = snapshot;
    facts_.clear();
  }
  if (const auto found = facts_.find(name); found != facts_.end()) return found->second;
  const TokenFacts facts = work_out(*snapshot, name);
  if (facts.token) facts_.emplace(std::string(name), facts);
  return facts;
}

}  // namespace outpost::registry
