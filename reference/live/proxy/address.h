#pragma once
// HOST:PORT as links spell their listen and upstream addresses: "127.0.0.1:8080", "[::1]:8080", "registry:5000".
#include <string>
#include <string_view>
#include <utility>

namespace outpost::live::proxy {

// {host without brackets, port}; throws ProxyError(400) for anything that is not HOST:PORT with a numeric port.
std::pair<std::string, std::string> split_host_port(std::string_view address, std::string_view what);

}  // namespace outpost::live::proxy
