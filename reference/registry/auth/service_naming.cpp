#include "reference/registry/auth/service_naming.h"

#include "reference/common/ascii.h"

namespace outpost::registry {

namespace {
bool is_host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '~' || c == '%';
}

bool all_digits(std::string_view text) {
  if (text.empty() || text.size() > 5) return false;
  for (char c : text)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace

bool usable_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  std::string_view name = host;
  if (host.front() == '[') {
    const size_t close = host.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    for (char c : host.substr(1, close - 1)) {
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return false;
    }
    const std::string_view rest = host.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && all_digits(rest.substr(1)));
  }
  if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (!all_digits(host.substr(colon + 1))) return false;
    name = host.substr(0, colon);
  }
  if (name.empty()) return false;
  for (char c : name)
    if (!is_host_char(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string ServiceNaming::host_for(const http::Request& request) const {
  if (const auto host = request.headers.get("Host"); host && usable_host(*host)) return std::string(*host);
  return fixed_service.empty() ? fallback_host : fixed_service;
}

std::string ServiceNaming::service_for(const http::Request& request) const {
  if (!fixed_service.empty()) return fixed_service;
  return ascii_lowercase(host_for(request));
}

std::string ServiceNaming::scheme_for(const http::Request& request) const {
  if (honor_forwarded_proto) {
    if (const auto proto = request.headers.get("X-Forwarded-Proto")) {
      const std::string lower = ascii_lowercase(*proto);
      if (lower == "http" || lower == "https") return lower;
    }
  }
  return scheme;
}

std::string ServiceNaming::realm_for(const http::Request& request) const {
  return scheme_for(request) + "://" + host_for(request) + "/oauth2/token";
}

}  // namespace outpost::registry
