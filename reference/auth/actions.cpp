#include "reference/auth/actions.h"

#include <array>
#include <utility>

#include "reference/auth/names.h"
#include "reference/common/ascii.h"
#include "reference/oci/name.h"

namespace outpost::auth {

namespace {
constexpr std::string_view kRepositoriesPrefix = "repositories/";
constexpr std::string_view kGatewayPrefix = "gateway/";

constexpr std::array<std::pair<std::string_view, RepositoryActions>, 5> kRepositoryVerbs{{
    {"content/read", kContentRead},
    {"content/write", kContentWrite},
    {"content/delete", kContentDelete},
    {"metadata/read", kMetadataRead},
    {"metadata/write", kMetadataWrite},
}};
constexpr std::array<std::pair<std::string_view, GatewayActions>, 4> kGatewayVerbs{{
    {"config/read", kConfigRead},
    {"config/write", kConfigWrite},
    {"message/read", kMessageRead},
    {"message/write", kMessageWrite},
}};

constexpr std::string_view kRepositoryVerbList =
    "content/read, content/write, content/delete, metadata/read, metadata/write";
constexpr std::string_view kGatewayVerbList = "config/read, config/write, message/read, message/write";
constexpr std::string_view kPatternRule =
    "use a repository name, a name followed by one final '/*' (every repository under it, not the name itself), "
    "or '*' alone (every repository)";

// A "prefix/*" rule only makes sense if some repository can sit under it: prefix + "/" + one character <= 255.
constexpr size_t kMaxPrefixLength = oci::kMaxRepositoryNameLength - 2;

ActionParse refuse(std::string message) { return {std::nullopt, std::move(message)}; }

std::string quoted(std::string_view text) { return "'" + std::string(text) + "'"; }

ActionParse parse_repository_action(std::string_view action, std::string_view rest) {
  // The repository may contain '/', the action is always two segments: split at the second-to-last '/'.
  const size_t last = rest.rfind('/');
  const size_t before_last = (last == std::string_view::npos || last == 0) ? std::string_view::npos
                                                                             : rest.rfind('/', last - 1);
  if (before_last == std::string_view::npos)
    return refuse(quoted(action) + " is not a repository action: expected repositories/<repo>/<action> with <action> "
                  "one of " + std::string(kRepositoryVerbList));
  const std::string_view verb = rest.substr(before_last + 1);
  RepositoryActions bit{};
  for (const auto& [name, value] : kRepositoryVerbs)
    if (verb == name) bit = value;
  if (bit.empty())
    return refuse("unknown repository action " + quoted(verb) + " in " + quoted(action) + ": allowed actions are " +
                  std::string(kRepositoryVerbList));

  const std::string pattern = ascii_lowercase(rest.substr(0, before_last));
  if (pattern.empty()) return refuse("empty repository name in " + quoted(action) + ": " + std::string(kPatternRule));
  ActionRule rule{ActionRule::Target::Repository, ActionRule::Match::Exact, "", bit, {}};
  if (pattern == "*") {
    rule.match = ActionRule::Match::All;
    return {std::move(rule), ""};
  }
  if (pattern.ends_with("/*")) {
    std::string prefix = pattern.substr(0, pattern.size() - 2);
    if (prefix.find('*') == std::string::npos && oci::valid_repository_name(prefix)) {
      if (prefix.size() > kMaxPrefixLength)
        return refuse("repository prefix in " + quoted(action) + " is too long: no repository name (at most 255 "
                      "characters) can sit under it");
      rule.match = ActionRule::Match::Prefix;
      rule.name = std::move(prefix);
      return {std::move(rule), ""};
    }
  }
  if (pattern.find('*') != std::string::npos)
    return refuse("repository pattern " + quoted(pattern) + " in " + quoted(action) + " is not allowed: " +
                  std::string(kPatternRule));
  if (!oci::valid_repository_name(pattern))
    return refuse("invalid repository name " + quoted(pattern) + " in " + quoted(action) + ": lowercase letters and "
                  "digits separated by '.', '_', '__', '-' or '/', at most 255 characters; or " +
                  std::string(kPatternRule));
  rule.name = pattern;
  return {std::move(rule), ""};
}

ActionParse parse_gateway_action(std::string_view action, std::string_view rest) {
  const size_t slash = rest.find('/');
  if (slash == std::string_view::npos)
    return refuse(quoted(action) + " is not a gateway action: expected gateway/<connected registry>/<action> with "
                  "<action> one of " + std::string(kGatewayVerbList));
  const std::string_view verb = rest.substr(slash + 1);
  GatewayActions bit{};
  for (const auto& [name, value] : kGatewayVerbs)
    if (verb == name) bit = value;
  if (bit.empty())
    return refuse("unknown gateway action " + quoted(verb) + " in " + quoted(action) + ": allowed actions are " +
                  std::string(kGatewayVerbList));
  std::string cr = ascii_lowercase(rest.substr(0, slash));
  if (cr.find('*') != std::string::npos)
    return refuse("wildcards are not allowed in gateway actions (" + quoted(action) + "): name one connected registry");
  if (!valid_connected_registry_name(cr))
    return refuse("invalid connected registry name " + quoted(cr) + " in " + quoted(action) + ": " +
                  std::string(kConnectedRegistryNameRule));
  return {ActionRule{ActionRule::Target::Gateway, ActionRule::Match::Exact, std::move(cr), {}, bit}, ""};
}
}  // namespace

std::string_view repository_action_name(RepositoryActions one) {
  for (const auto& [name, value] : kRepositoryVerbs)
    if (one == value) return name;
  return "";
}

std::string_view gateway_action_name(GatewayActions one) {
  for (const auto& [name, value] : kGatewayVerbs)
    if (one == value) return name;
  return "";
}

std::string ActionRule::to_string() const {
  if (target == Target::Gateway)
    return std::string(kGatewayPrefix) + name + "/" + std::string(gateway_action_name(gateway));
  std::string text(kRepositoriesPrefix);
  switch (match) {
    case Match::Exact: text += name; break;
    case Match::Prefix: text += name + "/*"; break;
    case Match::All: text += "*"; break;
  }
  return text + "/" + std::string(repository_action_name(repository));
}

ActionParse parse_action(std::string_view action) {
  if (action.starts_with(kRepositoriesPrefix))
    return parse_repository_action(action, action.substr(kRepositoriesPrefix.size()));
  if (action.starts_with(kGatewayPrefix)) return parse_gateway_action(action, action.substr(kGatewayPrefix.size()));
  const std::string shown = action.empty() ? "an empty string" : quoted(action);
  return refuse(shown + " is not an action: expected repositories/<repo>/<action> (" +
                std::string(kRepositoryVerbList) + ") or gateway/<connected registry>/<action> (" +
                std::string(kGatewayVerbList) + ")");
}

ParsedActions parse_actions(std::span<const std::string> actions) {
  ParsedActions parsed;
  parsed.rules.reserve(actions.size());
  for (const std::string& action : actions) {
    ActionParse one = parse_action(action);
    if (one.rule)
      parsed.rules.push_back(std::move(*one.rule));
    else
      parsed.errors.push_back(std::move(one.error));
  }
  return parsed;
}

}  // namespace outpost::auth
