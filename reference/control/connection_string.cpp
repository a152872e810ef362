#include "reference/control/connection_string.h"

#include <array>

namespace outpost::control {

namespace {
constexpr std::array<std::string_view, 5> kKeys = {"ConnectedRegistryName", "SyncTokenName", "SyncTokenPassword",
                                                   "ParentGatewayEndpoint", "ParentEndpointProtocol"};

std::string_view trimmed(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

ConnectionStringParse refuse(std::string why) {
  return {std::nullopt, "invalid connection string: " + std::move(why) +
                            "; expected ConnectedRegistryName=...;SyncTokenName=...;SyncTokenPassword=...;"
                            "ParentGatewayEndpoint=...;ParentEndpointProtocol=http|https"};
}
}  // namespace

std::string format_connection_string(const ConnectionString& value) {
  const std::array<const std::string*, 5> values = {&value.connected_registry, &value.sync_token,
                                                    &value.sync_token_password, &value.parent_endpoint,
                                                    &value.parent_protocol};
  std::string out;
  for (size_t i = 0; i < kKeys.size(); ++i) {
    if (i) out += ';';
    out += kKeys[i];
    out += '=';
    out += *values[i];
  }
  return out;
}

ConnectionStringParse parse_connection_string(std::string_view text) {
  text = trimmed(text);
  if (text.ends_with(';')) text.remove_suffix(1);
  std::array<std::optional<std::string>, 5> found;
  while (!text.empty()) {
    const size_t semicolon = text.find(';');
    const std::string_view part = text.substr(0, semicolon);
    text = semicolon == std::string_view::npos ? std::string_view() : text.substr(semicolon + 1);
    const size_t equals = part.find('=');  // the first one: a password may end in '=' padding
    if (equals == std::string_view::npos) return refuse("'" + std::string(part) + "' is not key=value");
    const std::string_view key = trimmed(part.substr(0, equals));
    const std::string_view value = part.substr(equals + 1);
    size_t index = kKeys.size();
    for (size_t i = 0; i < kKeys.size(); ++i)
      if (key == kKeys[i]) index = i;
    if (index == kKeys.size()) return refuse("unknown key '" + std::string(key) + "'");
    if (found[index]) return refuse("key '" + std::string(key) + "' appears twice");
    if (value.empty()) return refuse("key '" + std::string(key) + "' has an empty value");
    found[index] = std::string(value);
  }
  for (size_t i = 0; i < kKeys.size(); ++i)
    if (!found[i]) return refuse("key '" + std::string(kKeys[i]) + "' is missing");
  ConnectionString value{*found[0], *found[1], *found[2], *found[3], *found[4]};
  if (value.parent_protocol != "http" && value.parent_protocol != "https")
    return refuse("ParentEndpointProtocol is http or https, not '" + value.parent_protocol + "'");
  return {std::move(value), ""};
}

}  // namespace outpost::control
