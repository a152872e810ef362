#include "reference/live/proxy/address.h"

#include "reference/live/proxy/proxy_error.h"

namespace outpost::live::proxy {

std::pair<std::string, std::string> split_host_port(std::string_view address, std::string_view what) {
  const auto refuse = [&] {
    return ProxyError(400, std::string(what) + " '" + std::string(address) + "' is not HOST:PORT");
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == address.size()) throw refuse();
  std::string host(address.substr(0, colon));
  const std::string port(address.substr(colon + 1));
  if (port.size() > 5) throw refuse();
  for (const char c : port)
    if (c < '0' || c > '9') throw refuse();
  if (std::stoul(port) > 65535) throw refuse();
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') throw refuse();
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    throw refuse();  // an IPv6 address needs its brackets
  }
  return {host, port};
}

}  // namespace outpost::live::proxy
