#pragma once
// `outpost serve` options (SPEC 7.4). Each can come from a flag, an OUTPOST_* environment variable or a JSON --config
// file, in that order of precedence.
#include <string>

#include "CLI/CLI.hpp"

namespace outpost::cli {

struct ServeOptions {
  std::string listen = "127.0.0.1:5000";
  std::string data = "./outpost-data";
  std::string config;
  std::string login_server;
  std::string metrics_listen;
  std::string tls_cert;
  std::string tls_key;
  std::string log_level = "info";
  std::string admin_password_file;
  std::string data_endpoint;      // cloud: HOST:PORT of the gateway listener (SPEC 1.2)
  // cloud: how long a connected registry's last status report stands before it shows Offline ("" = 5m; "none")
  std::string status_offline_after;
  std::string connection_string;  // makes the node a connected registry (SPEC 7.3)
  // Connected registry: a PEM bundle trusted for an https parent besides the system store (a private CA).
  std::string parent_ca_file;
  // Connected registry tuning (durations like "30s", "10m" or ISO-8601): see docs/connected-registries.md.
  std::string sync_long_poll = "30s";
  std::string sync_status_interval = "60s";
  std::string sync_config_check = "60s";
  std::string gateway_protocol;  // tests only: speak another gateway protocol version (SPEC 5.9)
  unsigned threads = 0;
  unsigned password_hash_iterations = 100'000;
};

// Declares the options on `command`, each with its OUTPOST_<NAME> environment variable.
void add_serve_options(CLI::App& command, ServeOptions& options);
// Fills options that neither a flag nor the environment set from the JSON object in options.config (keys are the flag
// names without dashes, e.g. {"listen": "127.0.0.1:5000", "tls-cert": "..."}); throws on unknown keys.
void apply_config_file(CLI::App& command, ServeOptions& options);

}  // namespace outpost::cli
