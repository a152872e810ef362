#pragma once
// SPEC 1.3: a node told its advertised login server refuses requests whose Host names another host (403 DENIED).
// Probes (/healthz, /readyz) are answered whatever the Host, so orchestrators can reach the node by any address.
#include <string>

#include "reference/common/http.h"

namespace outpost::registry {

class HostGuard final : public http::Handler {
 public:
  HostGuard(http::Handler& inner, std::string login_server) : inner_(inner), login_server_(std::move(login_server)) {}
  std::unique_ptr<http::Call> start(http::Request request) override;

 private:
  http::Handler& inner_;
  std::string login_server_;  // empty: any Host is served
};

}  // namespace outpost::registry
