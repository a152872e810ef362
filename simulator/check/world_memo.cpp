#include "simulator/check/world_memo.h"

namespace outpost::check {

GatewayRights WorldMemo::gateway_rights(const std::vector<std::string>& actions,
                                        std::string_view connected_registry) const {
  auto found = gateway_.find(&actions);
  if (found == gateway_.end()) found = gateway_.emplace(&actions, GatewayIndex(actions)).first;
  return found->second.rights(connected_registry);
}

}  // namespace outpost::check
