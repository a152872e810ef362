#include "simulator/check/scope_rules.h"

#include <algorithm>
#include <map>
#include <optional>

namespace outpost::check {

namespace {
std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ASCII only, as action strings and repository names are (the oracle runs for every decision of a run: no copies).
char lower_char(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower_char(a[i]) != lower_char(b[i])) return false;
  return true;
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && equal_ignoring_case(text.substr(0, prefix.size()), prefix);
}

// One action string taken apart: target kind, its name (pattern or CR) and the action's last two segments, as views
// into the string (compare them ignoring case).
struct Parsed {
  bool repository = false;
  std::string_view name;
  std::string_view action;  // "content/read", "config/write", ...
};

std::optional<Parsed> parse(std::string_view action) {
  const size_t last = action.rfind('/');
  if (last == std::string_view::npos || last == 0) return std::nullopt;
  const size_t before = action.rfind('/', last - 1);
  if (before == std::string_view::npos) return std::nullopt;
  const size_t first = action.find('/');
  if (first >= before) return std::nullopt;
  Parsed parsed;
  const std::string_view kind = action.substr(0, first);
  parsed.name = action.substr(first + 1, before - first - 1);
  parsed.action = action.substr(before + 1);
  if (parsed.name.empty()) return std::nullopt;
  if (equal_ignoring_case(kind, "repositories")) {
    parsed.repository = true;
    // SPEC 3.1: a name, "prefix/*" (one trailing wildcard) or "*"; any other '*' makes the rule invalid.
    const size_t star = parsed.name.find('*');
    if (star != std::string_view::npos && parsed.name != "*" &&
        !(star == parsed.name.size() - 1 && star >= 2 && parsed.name[star - 1] == '/'))
      return std::nullopt;
    return parsed;
  }
  if (equal_ignoring_case(kind, "gateway") && parsed.name.find('/') == std::string_view::npos &&
      parsed.name.find('*') == std::string_view::npos)
    return parsed;
  return std::nullopt;
}

uint8_t repository_bit(std::string_view action) {
  if (equal_ignoring_case(action, "content/read")) return Rights::kContentRead;
  if (equal_ignoring_case(action, "content/write")) return Rights::kContentWrite;
  if (equal_ignoring_case(action, "content/delete")) return Rights::kContentDelete;
  if (equal_ignoring_case(action, "metadata/read")) return Rights::kMetadataRead;
  if (equal_ignoring_case(action, "metadata/write")) return Rights::kMetadataWrite;
  return 0;
}

uint8_t gateway_bit(std::string_view action) {
  if (equal_ignoring_case(action, "config/read")) return GatewayRights::kConfigRead;
  if (equal_ignoring_case(action, "config/write")) return GatewayRights::kConfigWrite;
  if (equal_ignoring_case(action, "message/read")) return GatewayRights::kMessageRead;
  if (equal_ignoring_case(action, "message/write")) return GatewayRights::kMessageWrite;
  return 0;
}

std::vector<std::string> on_everything(std::initializer_list<const char*> actions) {
  std::vector<std::string> out;
  for (const char* action : actions) out.push_back(std::string("repositories/*/") + action);
  return out;
}
}  // namespace

bool repository_pattern_matches(std::string_view pattern, std::string_view repository) {
  if (pattern == "*") return true;
  if (pattern.size() >= 2 && pattern.ends_with("/*")) {
    const std::string_view prefix = pattern.substr(0, pattern.size() - 1);  // keeps the '/'
    return repository.size() > prefix.size() && starts_with_ignoring_case(repository, prefix);
  }
  return equal_ignoring_case(pattern, repository);
}

Rights repository_rights(const std::vector<std::string>& actions, std::string_view repository) {
  Rights rights;
  for (const std::string& text : actions) {
    const auto parsed = parse(text);
    if (!parsed || !parsed->repository || !repository_pattern_matches(parsed->name, repository)) continue;
    rights.bits |= repository_bit(parsed->action);
  }
  return rights;
}

GatewayRights gateway_rights(const std::vector<std::string>& actions, std::string_view connected_registry) {
  // A parent's sync map lists every descendant's gateway actions: most are about other CRs. An action on this one
  // reads "gateway/<name>/..." with the name right after the kind, which is cheap to look at before parsing.
  constexpr std::string_view kKind = "gateway/";
  const auto may_name_it = [&](std::string_view text) {
    return text.size() > kKind.size() + connected_registry.size() &&
           text[kKind.size() + connected_registry.size()] == '/' &&
           equal_ignoring_case(text.substr(0, kKind.size()), kKind) &&
           equal_ignoring_case(text.substr(kKind.size(), connected_registry.size()), connected_registry);
  };
  GatewayRights rights;
  for (const std::string& text : actions) {
    if (!may_name_it(text)) continue;
    const auto parsed = parse(text);
    if (!parsed || parsed->repository || !equal_ignoring_case(parsed->name, connected_registry)) continue;
    rights.bits |= gateway_bit(parsed->action);
  }
  return rights;
}

GatewayIndex::GatewayIndex(const std::vector<std::string>& actions) {
  // What gateway_rights() adds up for a name, added up for every name (its look-ahead on the name only skips actions
  // that parse() would not give that name).
  for (const std::string& text : actions) {
    const auto parsed = parse(text);
    if (!parsed || parsed->repository) continue;
    auto found = by_name_.find(parsed->name);
    if (found == by_name_.end()) found = by_name_.emplace(std::string(parsed->name), GatewayRights{}).first;
    found->second.bits |= gateway_bit(parsed->action);
  }
}

GatewayRights GatewayIndex::rights(std::string_view connected_registry) const {
  const auto found = by_name_.find(connected_registry);
  return found == by_name_.end() ? GatewayRights{} : found->second;
}

size_t GatewayIndex::NameHash::operator()(std::string_view name) const {
  uint64_t hash = 14695981039346656037ull;  // FNV-1a over the lowercased bytes
  for (const char c : name) hash = (hash ^ static_cast<unsigned char>(lower_char(c))) * 1099511628211ull;
  return static_cast<size_t>(hash);
}

bool GatewayIndex::NameEqual::operator()(std::string_view a, std::string_view b) const {
  return equal_ignoring_case(a, b);
}

bool has_rule_on_every_repository(const std::vector<std::string>& actions) {
  return std::any_of(actions.begin(), actions.end(), [](const std::string& text) {
    const auto parsed = parse(text);
    return parsed && parsed->repository && parsed->name == "*" && repository_bit(parsed->action) != 0;
  });
}

bool has_gateway_rule(const std::vector<std::string>& actions) {
  return std::any_of(actions.begin(), actions.end(), [](const std::string& text) {
    const auto parsed = parse(text);
    return parsed && !parsed->repository && gateway_bit(parsed->action) != 0;
  });
}

const std::vector<std::string>* system_scope_map(std::string_view name) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> maps = {
      {"_repositories_pull", on_everything({"content/read"})},
      {"_repositories_pull_metadata_read", on_everything({"content/read", "metadata/read"})},
      {"_repositories_push", on_everything({"content/read", "content/write"})},
      {"_repositories_push_metadata_write",
       on_everything({"content/read", "content/write", "metadata/read", "metadata/write"})},
      {"_repositories_admin",
       on_everything({"content/read", "content/write", "content/delete", "metadata/read", "metadata/write"})},
  };
  const auto found = maps.find(name);
  return found == maps.end() ? nullptr : &found->second;
}

Rights docker_word_rights(std::string_view word) {
  if (word == "pull") return {Rights::kContentRead};
  if (word == "push") return {Rights::kContentWrite};
  if (word == "delete") return {Rights::kContentDelete};
  if (word == "metadata_read") return {Rights::kMetadataRead};
  if (word == "metadata_write") return {Rights::kMetadataWrite};
  if (word == "*") return {Rights::kAll};
  return {};
}

std::vector<std::string> repository_actions_for_mode(std::string_view repository, bool read_only) {
  const std::string prefix = "repositories/" + lower(repository) + "/";
  if (read_only) return {prefix + "content/read", prefix + "metadata/read"};
  return {prefix + "content/read", prefix + "content/write", prefix + "content/delete", prefix + "metadata/read",
          prefix + "metadata/write"};
}

std::vector<std::string> gateway_actions_for(std::string_view connected_registry) {
  const std::string prefix = "gateway/" + lower(connected_registry) + "/";
  return {prefix + "config/read", prefix + "config/write", prefix + "message/read", prefix + "message/write"};
}

}  // namespace outpost::check
