#pragma once
// The management API of a running node (SPEC 7.2) as the CLI verbs see it: connection options shared by every verb,
// a transport seam (HTTP in the real command, answers from memory in tests), and a client that turns answers into JSON
// or an ApiFailure.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "CLI/CLI.hpp"
#include "reference/cli/command_errors.h"
#include "reference/common/http.h"
#include "reference/common/http_client.h"

namespace outpost::cli {

inline constexpr std::string_view kScopeMapsPath = "/mgmt/v1/scopeMaps";
inline constexpr std::string_view kTokensPath = "/mgmt/v1/tokens";
inline constexpr std::chrono::seconds kRequestTimeout{30};

// A path segment: unlike http::percent_encode (made for query values) it escapes '/' too, so a name can never reach
// another route.
std::string encode_segment(std::string_view name);
std::string scope_map_path(std::string_view name);  // /mgmt/v1/scopeMaps/<name, percent-encoded>
std::string token_path(std::string_view name);      // /mgmt/v1/tokens/<name, percent-encoded>

struct ConnectionOptions {
  std::string registry;           // base URL of the node: http[s]://host:port
  std::string username = "admin";
  std::string password;
  std::string password_file;
  std::string ca_file;
  bool insecure = false;
  std::string output = "json";
};

// Declares --registry (env OUTPOST_REGISTRY), --username (env OUTPOST_USERNAME), --password, --password-file,
// --ca-file, --insecure and --output on a verb. OUTPOST_PASSWORD is read by resolve_password, not here, so that an
// explicit --password-file wins over the environment.
void add_connection_options(CLI::App& verb, ConnectionOptions& options);

// The admin password to send: --password, else the contents of --password-file (one trailing newline dropped, as
// `outpost serve --admin-password-file` reads it), else `environment` (OUTPOST_PASSWORD), else none.
// Throws UsageError when the file cannot be read.
std::optional<std::string> resolve_password(const ConnectionOptions& options, const char* environment);

// One management request. `path` starts with /mgmt/v1/; `body` is JSON text or empty.
class ManagementTransport {
 public:
  virtual ~ManagementTransport() = default;
  virtual http::ClientResponse send(http::Method method, const std::string& path, const std::string& body) = 0;
};

// The real transport: the blocking HTTP client against options.registry, with HTTP Basic credentials when a password
// is known. Throws UsageError for a missing or malformed --registry.
std::unique_ptr<ManagementTransport> http_transport(const ConnectionOptions& options,
                                                    const std::optional<std::string>& password);

class ManagementClient {
 public:
  // `credentials_given` only shapes the message of a 401 (it then says how to give a password).
  explicit ManagementClient(ManagementTransport& transport, bool credentials_given = true);

  // Sends the request and returns the answer's JSON, in the node's key order; null for an empty answer (204).
  // Throws ApiFailure for a status >= 400, std::runtime_error for a success whose body is not JSON.
  nlohmann::ordered_json call(http::Method method, const std::string& path, const nlohmann::ordered_json& body = nullptr);

  // GET that answers nullopt for 404 instead of throwing.
  std::optional<nlohmann::ordered_json> find(const std::string& path);

 private:
  ManagementTransport& transport_;
  bool credentials_given_;
};

// The ApiFailure for an error answer: the entries of its {"errors": [...]} body, or one HTTP_<status> entry quoting
// the start of a body that is not in that shape.
ApiFailure failure_from_answer(const http::ClientResponse& answer);

}  // namespace outpost::cli
