#pragma once
// How Boost.Test prints auth values in failure messages (found by argument-dependent lookup).
#include <ostream>
#include <string>

#include "reference/auth/actions.h"
#include "reference/auth/docker_scope.h"

namespace outpost::auth {

inline std::ostream& boost_test_print_type(std::ostream& out, RepositoryActions actions) {
  out << "{";
  for (const std::string& word : docker_action_words(actions)) out << word << " ";
  return out << "}";
}

inline std::ostream& boost_test_print_type(std::ostream& out, GatewayActions actions) {
  return out << "gateway{" << int(actions.bits) << "}";
}

}  // namespace outpost::auth
