#include "reference/cli/action_flags.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <span>

#include "reference/cli/command_errors.h"
#include "reference/common/ascii.h"

namespace outpost::cli {

namespace {

bool blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c); });
}

std::string allowed_list(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

std::vector<std::string> build(const std::vector<FlagGroup>& groups, std::string_view flag, std::string_view prefix,
                               std::string_view target_noun, std::span<const std::string_view> allowed) {
  std::vector<std::string> actions;
  for (const FlagGroup& group : groups) {
    if (group.size() < 2)
      throw UsageError("--" + std::string(flag) + " needs a " + std::string(target_noun) +
                       " name and at least one action (" + allowed_list(allowed) + ")");
    if (blank(group.front()))
      throw UsageError("--" + std::string(flag) + " needs a " + std::string(target_noun) + " name, not an empty one");
    for (size_t i = 1; i < group.size(); ++i) {
      const std::string action = ascii_lowercase(group[i]);
      if (std::find(allowed.begin(), allowed.end(), action) == allowed.end())
        throw UsageError("--" + std::string(flag) + ": unknown action '" + group[i] + "'; allowed: " +
                         allowed_list(allowed));
      std::string full = std::string(prefix) + group.front() + "/" + action;
      if (std::find(actions.begin(), actions.end(), full) == actions.end()) actions.push_back(std::move(full));
    }
  }
  return actions;
}

}  // namespace

std::vector<std::string> repository_actions(const std::vector<FlagGroup>& groups, std::string_view flag) {
  return build(groups, flag, "repositories/", "repository", kRepositoryActionNames);
}

std::vector<std::string> gateway_actions(const std::vector<FlagGroup>& groups, std::string_view flag) {
  return build(groups, flag, "gateway/", "connected-registry", kGatewayActionNames);
}

std::vector<std::string> concat_unique(std::vector<std::string> first, const std::vector<std::string>& second) {
  for (const std::string& action : second)
    if (std::find(first.begin(), first.end(), action) == first.end()) first.push_back(action);
  return first;
}

bool same_actions(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::set<std::string> left, right;
  for (const auto& action : a) left.insert(ascii_lowercase(action));
  for (const auto& action : b) right.insert(ascii_lowercase(action));
  return left == right;
}

}  // namespace outpost::cli
