#pragma once
// How the fault proxy refuses a request: an HTTP status and a message, rendered by the control API as toxiproxy does,
// {"error": "...", "status": N}, so toxiproxy clients and scripts read our errors unchanged.
#include <stdexcept>
#include <string>

namespace outpost::live::proxy {

class ProxyError : public std::runtime_error {
 public:
  ProxyError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace outpost::live::proxy
