#pragma once
// Connection strings (SPEC 7.3): what an operator gives `outpost serve --connection-string` to make a node a connected
// registry.
//   ConnectedRegistryName=<name>;SyncTokenName=<token>;SyncTokenPassword=<pw>;ParentGatewayEndpoint=<host[:port]>;
//   ParentEndpointProtocol=<http|https>
// Keys in that order; each value is what follows the first '=' of its part, since a base64 password may hold '='.
#include <optional>
#include <string>
#include <string_view>

namespace outpost::control {

// What the control plane writes when a CR's parent is a CR that has not reported its login server yet: the operator
// fills it in (SPEC 7.3).
inline constexpr std::string_view kParentEndpointPlaceholder = "<parent-endpoint>";
// What get-settings writes for the password when none was regenerated: only a regenerated value can be shown.
inline constexpr std::string_view kPasswordPlaceholder = "<sync-token-password>";

struct ConnectionString {
  std::string connected_registry;
  std::string sync_token;
  std::string sync_token_password;
  std::string parent_endpoint;  // host[:port]
  std::string parent_protocol;  // "http" | "https"
  friend bool operator==(const ConnectionString&, const ConnectionString&) = default;
};

std::string format_connection_string(const ConnectionString& value);

// The parsed string, or the reason it is refused in `error` (a missing, repeated or unknown key, an empty value, a
// protocol other than http or https). Keys may come in any order; a trailing ';' and surrounding whitespace are
// tolerated.
struct ConnectionStringParse {
  std::optional<ConnectionString> value;
  std::string error;
  explicit operator bool() const { return value.has_value(); }
};
ConnectionStringParse parse_connection_string(std::string_view text);

}  // namespace outpost::control
