#include "reference/cli/serve_options.h"

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "reference/auth/password.h"
#include "reference/cli/decimal_number.h"
#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"

namespace outpost::cli {

namespace {
struct Field {
  const char* name;
  std::string ServeOptions::*text;
  const char* help;
};
constexpr Field kTextFields[] = {
    {"listen", &ServeOptions::listen, "HOST:PORT to serve the registry on (port 0 picks a free one)"},
    {"data", &ServeOptions::data, "data directory: blobs, uploads and metadata.db"},
    {"login-server", &ServeOptions::login_server, "advertised HOST:PORT; requests naming another Host are refused"},
    {"metrics-listen", &ServeOptions::metrics_listen, "HOST:PORT serving /metrics without credentials"},
    {"tls-cert", &ServeOptions::tls_cert, "PEM certificate chain: serve HTTPS"},
    {"tls-key", &ServeOptions::tls_key, "PEM private key for --tls-cert"},
    {"log-level", &ServeOptions::log_level, "debug, info, warn, error or off"},
    {"admin-password-file", &ServeOptions::admin_password_file,
     "file holding the admin user's password (one trailing newline ignored); default: generated at first start"},
    {"data-endpoint", &ServeOptions::data_endpoint, "cloud: HOST:PORT of the data endpoint serving the gateway API"},
    {"status-offline-after", &ServeOptions::status_offline_after,
     "cloud: a connected registry with no status report for this long shows Offline (default 5m; none: never)"},
    {"connection-string", &ServeOptions::connection_string,
     "run as a connected registry: ConnectedRegistryName=...;SyncTokenName=...;SyncTokenPassword=...;"
     "ParentGatewayEndpoint=...;ParentEndpointProtocol=http|https"},
    {"parent-ca-file", &ServeOptions::parent_ca_file,
     "connected registry: PEM CA bundle trusted for an https parent, besides the system store"},
    {"sync-long-poll", &ServeOptions::sync_long_poll, "connected registry: longest wait of one message read (at most 10m)"},
    {"sync-status-interval", &ServeOptions::sync_status_interval, "connected registry: status report period"},
    {"sync-config-check", &ServeOptions::sync_config_check,
     "connected registry: configuration check period outside sync windows"},
    {"gateway-protocol", &ServeOptions::gateway_protocol, "testing: gateway protocol version to speak"},
};

std::string env_name(std::string_view flag) {
  std::string name = "OUTPOST_";
  for (char c : flag) name.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return name;
}
}  // namespace

void add_serve_options(CLI::App& command, ServeOptions& options) {
  for (const Field& field : kTextFields)
    command.add_option(std::string("--") + field.name, options.*(field.text), field.help)
        ->envname(env_name(field.name))
        ->capture_default_str();
  command.add_option("--threads", options.threads, "worker threads (0: one per core)")
      ->envname("OUTPOST_THREADS")
      ->transform(decimal_whole_number())
      ->check(CLI::Range(0u, 1024u));
  command.add_option("--password-hash-iterations", options.password_hash_iterations,
                     "PBKDF2 iterations for new password hashes (the node's hash cost)")
      ->envname("OUTPOST_PASSWORD_HASH_ITERATIONS")
      ->capture_default_str()
      ->transform(decimal_whole_number())
      ->check(CLI::Range(1u, auth::kMaxPasswordIterations));
  command.add_option("--config", options.config, "JSON file with any of these options")->envname("OUTPOST_CONFIG");
}

void apply_config_file(CLI::App& command, ServeOptions& options) {
  if (options.config.empty()) return;
  std::ifstream file(options.config);
  if (!file) throw std::runtime_error("cannot read config file " + options.config);
  nlohmann::json json;
  try {
    json = parse_json_within_depth(file, kMaxJsonFileDepth);
  } catch (const std::exception& error) {
    throw std::runtime_error("config file " + options.config + " is not valid JSON: " + json_error_message(error));
  }
  if (!json.is_object()) throw std::runtime_error("config file " + options.config + " must hold a JSON object");
  for (const auto& [key, value] : json.items()) {
    CLI::Option* option = command.get_option_no_throw("--" + key);
    if (!option || key == "config") throw std::runtime_error("config file " + options.config + ": unknown option '" + key + "'");
    if (option->count() > 0) continue;  // a flag or the environment already set it
    if (key == "threads" || key == "password-hash-iterations") {
      // Through the option itself, so a number in the file meets the checks the flag's text does.
      if (!value.is_number_integer())
        throw std::runtime_error("config file " + options.config + ": '" + key + "' must be a whole number");
      try {
        option->add_result(value.dump());
        option->run_callback();
      } catch (const CLI::Error& error) {
        throw std::runtime_error("config file " + options.config + ": '" + key + "': " + error.what());
      }
      continue;
    }
    if (!value.is_string()) throw std::runtime_error("config file " + options.config + ": '" + key + "' must be a string");
    for (const Field& field : kTextFields)
      if (key == field.name) options.*(field.text) = value.get<std::string>();
  }
}

}  // namespace outpost::cli
