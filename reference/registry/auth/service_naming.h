#pragma once
// How a node names itself to token clients (SPEC 3.4): the challenge's realm is "<scheme>://<Host>/oauth2/token" and
// its service "<Host>", with Host as the request named it, so the flow works through proxies and port forwards; access
// tokens carry that service as their audience and are checked against it.
//
// Host is client input. It is used only when it looks like a host ([A-Za-z0-9.-_~%], a bracketed IPv6 literal, an
// optional port, at most 255 bytes); otherwise, and when absent (HTTP/1.0), the configured fallback stands in, so
// nothing a client sends can reshape the header. Pure: no state beyond the configuration.
#include <string>
#include <string_view>

#include "reference/common/http.h"

namespace outpost::registry {

struct ServiceNaming {
  // The service name when the node was told its advertised address (--login-server): every request is then answered
  // for it, whatever Host said (the Host guard has refused other hosts already). Empty: the request's Host.
  std::string fixed_service;
  // The realm's scheme: "https" when the node serves TLS. A proxy that terminates TLS says so with X-Forwarded-Proto
  // (only the exact values http and https are taken; a client forging it only misleads itself).
  std::string scheme = "http";
  bool honor_forwarded_proto = true;
  // Stands in for a missing or unusable Host: the node's listen address, typically.
  std::string fallback_host = "localhost";

  // The host part of the realm: the request's Host when usable, else fixed_service, else fallback_host.
  std::string host_for(const http::Request& request) const;
  // The service: fixed_service, else host_for() lowercased (host names are case-insensitive; the audience check is
  // exact, so one spelling is kept).
  std::string service_for(const http::Request& request) const;
  std::string scheme_for(const http::Request& request) const;
  // "<scheme>://<host>/oauth2/token"
  std::string realm_for(const http::Request& request) const;
};

// A Host header value usable in a URL: reg-name, IPv4 or a bracketed IPv6 literal, optional ":port".
bool usable_host(std::string_view host);

}  // namespace outpost::registry
