#include "reference/gateway/protocol.h"

namespace outpost::gateway {

bool repository_matches(std::string_view pattern, std::string_view repository) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.ends_with("/*")) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the '/'
    return repository.size() > prefix.size() && repository.starts_with(prefix);
  }
  return pattern == repository;
}

bool repository_matches_any(const std::vector<std::string>& patterns, std::string_view repository) {
  for (const auto& pattern : patterns)
    if (repository_matches(pattern, repository)) return true;
  return false;
}

}  // namespace outpost::gateway
