#pragma once
// What the oracle works out from one version of the World again and again, kept with that version: a WorldHistory
// holds one per version (a recorded World never changes), and the oracle takes it beside the World it belongs to.
// Answers are exactly those without it; only the work of reaching them is shared.
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "simulator/check/scope_rules.h"

namespace outpost::check {

class WorldMemo {
 public:
  WorldMemo() = default;
  // A copy (or a moved World's) starts empty: what it holds is keyed by the addresses of its World's action lists.
  WorldMemo(const WorldMemo&) noexcept {}
  WorldMemo& operator=(const WorldMemo&) noexcept {
    gateway_.clear();
    return *this;
  }

  // As gateway_rights(actions, connected_registry), with each action list read once (GatewayIndex). `actions` must
  // be one of this memo's World (or a system scope map), which must not change while the memo is used.
  GatewayRights gateway_rights(const std::vector<std::string>& actions, std::string_view connected_registry) const;

 private:
  // Filled as questions come (the World's const users ask): never iterated, so its order shows nowhere.
  mutable std::unordered_map<const std::vector<std::string>*, GatewayIndex> gateway_;
};

}  // namespace outpost::check
