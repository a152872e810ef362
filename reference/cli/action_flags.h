#pragma once
// Scope-map action strings from command-line flags, as `az acr scope-map` builds them:
//   --repository REPO ACTION...  ->  repositories/REPO/ACTION for each ACTION
//   --gateway CR ACTION...       ->  gateway/CR/ACTION for each ACTION
// The short action names are checked here so a typo is a usage error before anything is sent; the repository or
// connected-registry name is passed on as typed, for the node to validate (wildcards, case) by SPEC 3.1.
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::cli {

inline constexpr std::array<std::string_view, 5> kRepositoryActionNames = {
    "content/read", "content/write", "content/delete", "metadata/read", "metadata/write"};
inline constexpr std::array<std::string_view, 4> kGatewayActionNames = {"config/read", "config/write", "message/read",
                                                                         "message/write"};

// One occurrence of a flag: its values, target first.
using FlagGroup = std::vector<std::string>;

// Action strings for every group of `--<flag>` in order, duplicates dropped. Action names are matched without regard to
// case and written lowercase. Throws UsageError naming `flag` for a group without an action, an empty or blank target,
// or an unknown action (the message lists the allowed ones).
std::vector<std::string> repository_actions(const std::vector<FlagGroup>& groups, std::string_view flag);
std::vector<std::string> gateway_actions(const std::vector<FlagGroup>& groups, std::string_view flag);

// `first` followed by the strings of `second` that it lacks.
std::vector<std::string> concat_unique(std::vector<std::string> first, const std::vector<std::string>& second);

// True when both hold the same action strings, ignoring order, duplicates and case (the node lowercases them).
bool same_actions(const std::vector<std::string>& a, const std::vector<std::string>& b);

}  // namespace outpost::cli
