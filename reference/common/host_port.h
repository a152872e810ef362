#pragma once
// HOST or HOST:PORT, as a connection string's ParentGatewayEndpoint and a Host header carry an address. One grammar
// for every place that takes one from someone else: `--login-server`, and the loginServer a connected registry
// reports, which becomes its children's ParentGatewayEndpoint (a ';' there would add a key to their connection
// strings, and port 99999 would be an address nobody can reach).
#include <cstddef>
#include <string_view>

namespace outpost {

// A host of up to 255 characters (a DNS name's limit on the wire), ':' and five digits; an IPv6 address in brackets
// is shorter.
inline constexpr size_t kMaxHostPortLength = 261;

// Whether `text` is a host (a DNS name or IPv4 address of letters, digits, '.', '-' and '_'; or an IPv6 address of hex
// digits, ':' and '.' in brackets), optionally followed by ':' and a port from 1 to 65535 written without a leading
// zero, in at most kMaxHostPortLength characters.
bool is_host_port(std::string_view text);

}  // namespace outpost
