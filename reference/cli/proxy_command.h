#pragma once
// `outpost proxy ...`: the fault proxy (reference/live/proxy) from the command line, in toxiproxy's vocabulary.
//
//   outpost proxy serve [--api 127.0.0.1:8474] [--seed N] [--config FILE] [--link NAME=LISTEN,UPSTREAM ...]
//                       [--threads N] [--log-level info]
//   outpost proxy list | show NAME | create NAME --upstream HOST:PORT [--listen HOST:PORT] [--disabled]
//   outpost proxy delete NAME | up NAME | down NAME | reset | populate FILE
//   outpost proxy bandwidth NAME [--up BYTES_PER_S] [--down BYTES_PER_S]    (the link's own rate, shared; 0: none)
//   outpost proxy toxic add NAME --type T [--toxic-name N] [--stream up|down] [--toxicity F]
//                           [--attribute KEY=VALUE ...]
//   outpost proxy toxic update NAME TOXIC [--toxicity F] [--attribute KEY=VALUE ...]
//   outpost proxy toxic remove NAME TOXIC | toxic list NAME
//
// `serve` runs the proxy and its control API until SIGTERM or SIGINT; every other verb is a client of that API
// (--api HOST:PORT, or env OUTPOST_PROXY_API) that prints the API's JSON answer on stdout. Failures print
// "outpost: <code>: <message>" on stderr; exit status 1 for a refusal or an unreachable API, 2 for a wrong command
// line.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "CLI/CLI.hpp"
#include "reference/live/proxy/fault_proxy.h"

namespace outpost::cli {

struct ProxyServeOptions {
  std::string api = "127.0.0.1:8474";  // toxiproxy's port
  uint64_t seed = 0;
  std::string config;              // a JSON file of links to create at start, as POST /populate takes them
  std::vector<std::string> links;  // NAME=LISTEN,UPSTREAM
  unsigned threads = 1;
  std::string log_level = "info";
};

// NAME=LISTEN,UPSTREAM, e.g. "parent=127.0.0.1:0,127.0.0.1:5000". Throws UsageError.
live::proxy::LinkSpec parse_link_flag(const std::string& text);

// A JSON file holding an array of links as POST /populate takes them ([{"name", "upstream", "listen"?, ...}], what
// toxiproxy-server's -config reads). Throws UsageError naming the file and, for a bad link, its place.
nlohmann::json read_links_file(const std::string& path);

// KEY=VALUE with VALUE a JSON number or boolean (latency=100, rate=1.5). Throws UsageError.
std::pair<std::string, nlohmann::json> parse_attribute_flag(const std::string& text);

// Runs the proxy: creates the --config file's links, then the --link ones, prints one JSON line per link on stdout
// ({"name", "listen", "upstream", "enabled"}, listen being the bound address), logs "listening" with the API's address
// on stderr, and serves until SIGTERM/SIGINT. `on_listening` (optional) receives the API's bound address.
int run_proxy_serve(const ProxyServeOptions& options, std::function<void(const std::string&)> on_listening = {});

class ProxyCommand {
 public:
  // Adds `proxy` and its verbs to `app`; the object holds what the parser fills, so it must outlive parsing.
  explicit ProxyCommand(CLI::App& app);
  ProxyCommand(const ProxyCommand&) = delete;
  ProxyCommand& operator=(const ProxyCommand&) = delete;

  bool selected() const { return group_->parsed(); }
  int run() const;  // the exit status

 private:
  struct Flags {
    std::string api = "127.0.0.1:8474";
    std::string name;
    std::string toxic;
    std::string listen = "127.0.0.1:0";
    std::string upstream;
    bool disabled = false;
    std::string type;
    std::string toxic_name;
    std::string stream;
    double toxicity = 1.0;
    std::vector<std::string> attributes;
    std::string file;  // populate's
    uint64_t bandwidth_up = 0;
    uint64_t bandwidth_down = 0;
  };

  void execute() const;  // a client verb; throws UsageError, ApiFailure or transport errors

  CLI::App* group_;
  CLI::App* serve_;
  CLI::App* list_;
  CLI::App* populate_;
  CLI::App* show_;
  CLI::App* create_;
  CLI::App* delete_;
  CLI::App* up_;
  CLI::App* down_;
  CLI::App* reset_;
  CLI::App* bandwidth_;
  CLI::Option* bandwidth_up_ = nullptr;
  CLI::Option* bandwidth_down_ = nullptr;
  CLI::App* toxic_add_;
  CLI::App* toxic_update_;
  CLI::App* toxic_remove_;
  CLI::App* toxic_list_;
  CLI::Option* toxicity_add_ = nullptr;
  CLI::Option* toxicity_update_ = nullptr;
  ProxyServeOptions serve_options_;
  Flags flags_;
};

}  // namespace outpost::cli
