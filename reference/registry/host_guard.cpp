#include "reference/registry/host_guard.h"

#include "reference/common/ascii.h"
#include "reference/common/error.h"

namespace outpost::registry {

std::unique_ptr<http::Call> HostGuard::start(http::Request request) {
  if (login_server_.empty() || request.path == "/healthz" || request.path == "/readyz") return inner_.start(std::move(request));
  // A view, not a copy: every request a node serves passes here, and only a refusal needs the Host as a string.
  const std::string_view host = request.headers.get("Host").value_or("");
  // Host names are case-insensitive (RFC 9110 4.2.3): LOCALHOST:5003 is localhost:5003.
  if (ascii_iequals(host, login_server_)) return inner_.start(std::move(request));
  const ApiError error(403, "DENIED",
                       "this registry is served as " + login_server_ + ", not '" + std::string(host) + "'");
  http::Response response;
  response.status = error.status();
  response.headers.set("Content-Type", "application/json");
  response.body = error.body();
  response.route = "host_guard";
  return http::respond_now(std::move(response));
}

}  // namespace outpost::registry
