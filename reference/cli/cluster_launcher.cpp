#include "reference/cli/cluster_launcher.h"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <set>

#include "reference/cli/command_errors.h"
#include "reference/cli/connected_registry_command.h"
#include "reference/cli/listen_port.h"
#include "reference/cli/management_client.h"
#include "reference/common/json_error.h"
#include "reference/common/random.h"
#include "reference/control/connection_string.h"
#include "reference/live/blocking_client.h"

namespace outpost::cli {

using nlohmann::json;
using nlohmann::ordered_json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// Where a link points until the node behind it has bound its port (the link is created down, so nothing connects).
constexpr std::string_view kPlaceholderUpstream = "127.0.0.1:1";
constexpr std::chrono::milliseconds kProbeTimeout{2000};
constexpr std::chrono::milliseconds kReadyPoll{100};

// Written beside and renamed over, so a reader never sees half a file; 0600 because cluster.json and the serve
// configurations hold passwords.
void write_private_file(const fs::path& path, const std::string& text) {
  const fs::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temporary.string());
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + temporary.string());
  }
  fs::permissions(temporary, fs::perms::owner_read | fs::perms::owner_write, fs::perm_options::replace);
  fs::rename(temporary, path);
}

std::string counted(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

DaemonProcess process_of(const ordered_json& entry) {
  DaemonProcess process;
  process.pid = entry.value("pid", 0);
  process.start_time = entry.value("startTime", uint64_t{0});
  return process;
}

// The fault proxy's control API (docs/fault-proxy.md), as far as the launcher needs it.
class ProxyApi {
 public:
  explicit ProxyApi(std::string address) : base_("http://" + std::move(address)) {}

  // Returns the bound listen address.
  std::string create_link(const std::string& name, const std::string& upstream, bool enabled) {
    const json link = call(http::Method::Post, "/proxies",
                           {{"name", name}, {"listen", "127.0.0.1:0"}, {"upstream", upstream}, {"enabled", enabled}});
    return link.at("listen").get<std::string>();
  }

  void update_link(const std::string& name, const std::string& upstream, bool enabled) {
    call(http::Method::Post, "/proxies/" + name, {{"upstream", upstream}, {"enabled", enabled}});
  }

 private:
  json call(http::Method method, const std::string& path, const json& body) {
    const auto answer = client_.request(method, base_ + path, {}, body.dump(), kRequestTimeout);
    if (answer.status >= 300)
      throw std::runtime_error("fault proxy API: " + std::string(http::method_name(method)) + " " + path +
                               " answered " + std::to_string(answer.status) + ": " + answer.body);
    return json::parse(answer.body);
  }

  live::BlockingClient client_;
  std::string base_;
};

class Launcher {
 public:
  Launcher(const Topology& topology, const ClusterUpOptions& options)
      : topology_(topology),
        options_(options),
        directory_(fs::absolute(options.directory)),
        executable_(options.executable.empty() ? current_executable() : options.executable) {}

  ordered_json run() {
    prepare_directory();
    try {
      if (topology_.proxies) start_proxy();
      start_cloud();
      create_resources();
      for (const NodeSpec& node : topology_.nodes) start_node(node);
      doc_["state"] = "up";
      save();
      return doc_;
    } catch (const std::exception& error) {
      say("failed: stopping what was started");
      std::vector<DaemonProcess> processes;
      for (const auto& [name, process] : started_) processes.push_back(process);
      stop_daemons(processes, std::chrono::seconds(10));
      doc_["state"] = "failed";
      doc_["error"] = error.what();
      save();
      throw std::runtime_error(std::string(error.what()) + "\n(cluster directory with logs: " + directory_.string() +
                               ")");
    }
  }

 private:
  void say(const std::string& line) const {
    if (options_.progress) options_.progress(line);
  }

  void prepare_directory() {
    if (fs::exists(directory_) && !fs::is_empty(directory_))
      throw std::runtime_error(directory_.string() + " is not empty" +
                               (fs::exists(directory_ / kClusterFile)
                                    ? ": a cluster was started there (`outpost cluster down --dir " +
                                          directory_.string() + " --purge` stops it and removes the directory)"
                                    : "; give another --dir"));
    fs::create_directories(directory_ / "logs");
    fs::create_directories(directory_ / "nodes");
    fs::permissions(directory_, fs::perms::owner_all, fs::perm_options::replace);

    SystemRandom random;
    admin_password_ = random.hex(24);
    write_private_file(directory_ / "admin-password", admin_password_ + "\n");

    doc_["name"] = topology_.name;
    doc_["state"] = "starting";
    doc_["directory"] = directory_.string();
    doc_["admin"] = {{"username", "admin"},
                     {"password", admin_password_},
                     {"passwordFile", (directory_ / "admin-password").string()}};
    doc_["proxy"] = nullptr;
    doc_["nodes"] = ordered_json::object();
    doc_["topology"] = topology_json(topology_);
    save();
  }

  void save() { write_private_file(directory_ / kClusterFile, doc_.dump(2) + "\n"); }

  fs::path log_of(const std::string& name) const { return directory_ / "logs" / (name + ".log"); }

  DaemonProcess spawn(const std::string& name, const std::vector<std::string>& argv, ordered_json& entry) {
    const DaemonProcess process = spawn_daemon(argv, log_of(name));
    started_.emplace_back(name, process);
    entry["pid"] = process.pid;
    entry["startTime"] = process.start_time;
    entry["log"] = log_of(name).string();
    save();  // from here on `cluster down` can find it, even if this command dies
    return process;
  }

  // Starts `outpost serve --config` for a node on addresses outside the ephemeral range (listen_port.h), so that a
  // restart finds them free, and returns what it logged once listening. Another program may take a port between the
  // look and the node's bind: the node then exits saying it "cannot listen on" it, and starts again on other ports.
  std::pair<DaemonProcess, json> serve(const std::string& name, const std::string& what, ordered_json& config,
                                       const fs::path& config_file, ordered_json& entry) {
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      std::vector<std::string> addresses;
      for (const char* key : {"listen", "data-endpoint"}) {
        if (!config.contains(key)) continue;
        config[key] = stable_loopback_address();
        addresses.push_back(config[key].get<std::string>());
      }
      write_serve_config(config_file, config);
      const DaemonProcess process =
          spawn(name, {executable_.string(), "serve", "--config", config_file.string()}, entry);
      try {
        json listening = wait_for_listening(process, log_of(name), options_.deadline, what);
        // The bound addresses, for the case where no port outside the ephemeral range was free (port 0 was asked).
        config["listen"] = listening.at("address");
        if (config.contains("data-endpoint")) config["data-endpoint"] = listening.value("data_endpoint", "");
        write_serve_config(config_file, config);
        return {process, std::move(listening)};
      } catch (const std::runtime_error&) {
        if (attempt == kAttempts || daemon_alive(process) || !could_not_bind(name, addresses)) throw;
        started_.pop_back();  // it has exited: nothing to stop
        say(what + ": a port was taken before it could bind; starting it on others");
      }
    }
  }

  bool could_not_bind(const std::string& name, const std::vector<std::string>& addresses) const {
    const std::string tail = log_tail(log_of(name));
    return std::any_of(addresses.begin(), addresses.end(), [&](const std::string& address) {
      return tail.find("cannot listen on " + address + ":") != std::string::npos;
    });
  }

  void start_proxy() {
    ordered_json entry;
    entry["seed"] = topology_.proxy_seed;
    const DaemonProcess process = spawn("proxy",
                                        {executable_.string(), "proxy", "serve", "--api", "127.0.0.1:0", "--seed",
                                         std::to_string(topology_.proxy_seed), "--log-level", topology_.log_level},
                                        entry);
    const json listening = wait_for_listening(process, log_of("proxy"), options_.deadline, "the fault proxy");
    entry["api"] = listening.at("address").get<std::string>();
    entry["links"] = ordered_json::object();
    doc_["proxy"] = entry;
    proxy_.emplace(entry["api"].get<std::string>());
    save();
    say("fault proxy: control API on " + entry["api"].get<std::string>() + " (pid " + std::to_string(process.pid) +
        ")");
  }

  // A link created down, in front of a node that has not bound yet: the node can then be told the link's address as
  // its login server before it starts.
  std::string create_front_link(const std::string& name, const std::string& fronts, ordered_json used_by) {
    const std::string listen = proxy_->create_link(name, std::string(kPlaceholderUpstream), false);
    doc_["proxy"]["links"][name] = {
        {"listen", listen}, {"upstream", nullptr}, {"fronts", fronts}, {"usedBy", std::move(used_by)}};
    save();
    return listen;
  }

  void connect_link(const std::string& name, const std::string& upstream) {
    proxy_->update_link(name, upstream, true);
    doc_["proxy"]["links"][name]["upstream"] = upstream;
    save();
  }

  ordered_json children_names(const std::optional<std::string>& parent) const {
    ordered_json names = ordered_json::array();
    for (const NodeSpec* child : topology_.children_of(parent)) names.push_back(child->name);
    return names;
  }

  void write_serve_config(const fs::path& file, const ordered_json& config) {
    write_private_file(file, config.dump(2) + "\n");
  }

  // Throws when a process started so far has exited, saying how and with its log: a node waiting for a parent that
  // crashed would otherwise only time out.
  void check_started_alive() {
    for (const auto& [name, process] : started_) {
      const int status = reap_exit_status(process);
      if (status < 0 && daemon_alive(process)) continue;
      const std::string what = name == kCloudNodeName ? "the cloud" : name == "proxy" ? "the fault proxy" : name;
      throw std::runtime_error(what + " (pid " + std::to_string(process.pid) + ") " +
                               (status >= 0 ? describe_exit_status(status) : std::string("is gone")) +
                               "; last lines of " + log_of(name).string() + ":\n" + log_tail(log_of(name)));
    }
  }

  void wait_ready(const std::string& name, const std::string& address) {
    const live::BlockingClient client;
    int last_status = 0;
    std::string last_error, last_body;
    const bool ready = poll_until(
        options_.deadline,
        [&] {
          check_started_alive();
          try {
            const auto answer =
                client.request(http::Method::Get, "http://" + address + "/readyz", {}, "", kProbeTimeout);
            last_status = answer.status;
            last_body = answer.body;
            return last_status == 200;
          } catch (const std::exception& error) {
            last_error = error.what();
            return false;
          }
        },
        kReadyPoll);
    if (ready) return;
    check_started_alive();
    while (!last_body.empty() && (last_body.back() == '\n' || last_body.back() == '\r')) last_body.pop_back();
    // The node's own reason ("not ready: waiting for its sync window (the next opens at ...)") when it gave one.
    const std::string why = last_status != 0
                                ? "was not ready in time (/readyz answered " + std::to_string(last_status) +
                                      (last_body.empty() ? std::string() : ": " + last_body) + ")"
                                : "was not ready in time (" + last_error + ")";
    throw std::runtime_error(name + " " + why + "; last lines of " + log_of(name).string() + ":\n" +
                             log_tail(log_of(name)));
  }

  void start_cloud() {
    const std::string name(kCloudNodeName);
    const fs::path home = directory_ / "nodes" / name;
    fs::create_directories(home / "data");
    ordered_json entry;
    entry["role"] = "cloud";
    std::optional<std::string> link;
    if (proxy_) {
      ordered_json used_by = children_names(std::nullopt);
      used_by.push_back("clients");
      link = create_front_link(name, "the cloud's login server", std::move(used_by));
    }
    ordered_json config;
    config["listen"] = nullptr;  // chosen by serve()
    config["data-endpoint"] = nullptr;
    config["data"] = (home / "data").string();
    config["admin-password-file"] = (directory_ / "admin-password").string();
    config["status-offline-after"] =
        std::to_string(std::chrono::ceil<std::chrono::seconds>(cloud_status_offline_after(topology_)).count()) + "s";
    config["password-hash-iterations"] = topology_.password_hash_iterations;
    config["log-level"] = topology_.log_level;
    config["threads"] = topology_.threads;
    if (link) config["login-server"] = *link;
    const fs::path config_file = home / "serve.json";
    entry["config"] = config_file.string();
    entry["data"] = (home / "data").string();
    doc_["nodes"][name] = entry;

    // A restart with `outpost serve --config` comes back on the same addresses, where the links point.
    const auto [process, listening] = serve(name, "the cloud", config, config_file, doc_["nodes"][name]);
    const std::string address = listening.at("address").get<std::string>();
    const std::string data_endpoint = listening.value("data_endpoint", "");
    if (link) connect_link(name, address);
    ordered_json& node = doc_["nodes"][name];
    node["listen"] = address;
    node["dataEndpoint"] = data_endpoint;
    node["loginServer"] = link.value_or(address);
    node["url"] = "http://" + link.value_or(address);
    node["link"] = link ? ordered_json(name) : ordered_json(nullptr);
    save();
    wait_ready(name, address);
    say("cloud: login server " + node["loginServer"].get<std::string>() + (link ? " (through link cloud)" : "") +
        ", data endpoint " + data_endpoint + " (pid " + std::to_string(process.pid) + ")");

    ConnectionOptions connection;
    connection.registry = node["url"].get<std::string>();
    management_transport_ = http_transport(connection, admin_password_);
    management_.emplace(*management_transport_);
  }

  // Scope maps and tokens of each node's clients, then the connected registries, parents first (SPEC 7.2).
  void create_resources() {
    for (const NodeSpec& node : topology_.nodes) {
      ordered_json entry;
      entry["role"] = "connected-registry";
      entry["parent"] = node.parent ? ordered_json(*node.parent) : ordered_json(std::string(kCloudNodeName));
      entry["mode"] = node.mode;
      entry["repositories"] = node.repositories;
      entry["clientTokens"] = ordered_json::array();
      std::vector<std::string> token_names;
      for (const ClientTokenSpec& token : node.client_tokens) {
        if (token.create_scope_map)
          management_->call(http::Method::Put, scope_map_path(token.scope_map),
                            {{"actions", token.actions},
                             {"description", "client of " + node.name + " in cluster " + topology_.name}});
        const ordered_json created =
            management_->call(http::Method::Put, token_path(token.name), {{"scopeMap", token.scope_map}});
        ordered_json client;
        client["name"] = token.name;
        client["scopeMap"] = token.scope_map;
        client["actions"] = token.actions;
        for (const auto& password : created.value("passwords", ordered_json::array()))
          if (password.contains("value"))
            client[password.value("name", "") == "password2" ? "password2" : "password"] = password["value"];
        entry["clientTokens"].push_back(std::move(client));
        token_names.push_back(token.name);
      }

      ordered_json body;
      body["mode"] = node.mode;
      body["parent"] = node.parent ? ordered_json(*node.parent) : ordered_json(nullptr);
      body["repositories"] = node.repositories;
      body["clientTokens"] = token_names;
      for (const auto& [key, value] : node.settings.items()) body[key] = value;
      const ordered_json created = management_->call(http::Method::Put, connected_registry_path(node.name), body);
      entry["connectionString"] = created.value("connectionString", "");
      const ordered_json sync_token = created.value("syncToken", ordered_json::object());
      entry["syncToken"] = {{"name", sync_token.value("name", "")}};
      for (const auto& password : sync_token.value("passwords", ordered_json::array()))
        if (password.contains("value"))
          entry["syncToken"][password.value("name", "") == "password2" ? "password2" : "password"] = password["value"];
      doc_["nodes"][node.name] = entry;
      save();
      say(node.name + ": created at the cloud (" + node.mode + ", " +
          counted(node.repositories.size(), "repository", "repositories") + ", " +
          counted(token_names.size(), "client token", "client tokens") + ")");
    }
  }

  void start_node(const NodeSpec& node) {
    ordered_json& entry = doc_["nodes"][node.name];
    const fs::path home = directory_ / "nodes" / node.name;
    fs::create_directories(home / "data");
    const bool under_cloud = !node.parent;
    const ordered_json& parent = doc_["nodes"][node.parent.value_or(std::string(kCloudNodeName))];

    // Where this node's gateway requests go: a link of its own to the cloud's data endpoint, or the parent's login
    // server (the parent's front link when there are proxies: a CR serves its gateway on its Host-guarded endpoint).
    std::string parent_gateway;
    ordered_json uplinks = ordered_json::array();
    if (under_cloud && proxy_) {
      const std::string link = "cloud-data." + node.name;
      const std::string data_endpoint = parent["dataEndpoint"].get<std::string>();
      parent_gateway = proxy_->create_link(link, data_endpoint, true);
      doc_["proxy"]["links"][link] = {{"listen", parent_gateway},
                                      {"upstream", data_endpoint},
                                      {"fronts", "the cloud's data endpoint"},
                                      {"usedBy", ordered_json::array({node.name})}};
      uplinks = {link, std::string(kCloudNodeName)};
    } else if (under_cloud) {
      parent_gateway = parent["dataEndpoint"].get<std::string>();
    } else {
      parent_gateway = parent["loginServer"].get<std::string>();
      if (proxy_) uplinks = {*node.parent};
    }
    entry["parentGateway"] = parent_gateway;
    entry["uplinks"] = uplinks;

    const bool has_children = !topology_.children_of(node.name).empty();
    std::optional<std::string> link;
    if (proxy_ && has_children) {
      ordered_json used_by = children_names(node.name);
      used_by.push_back("clients");
      link = create_front_link(node.name, "the login server of " + node.name, std::move(used_by));
    }

    auto connection = control::parse_connection_string(entry["connectionString"].get<std::string>());
    if (!connection)
      throw std::runtime_error(node.name + ": the cloud's connection string is unusable: " + connection.error);
    connection.value->parent_endpoint = parent_gateway;  // a data endpoint or a "<parent-endpoint>" to fill in
    entry["connectionString"] = control::format_connection_string(*connection.value);

    ordered_json config;
    config["listen"] = nullptr;  // chosen by serve()
    config["data"] = (home / "data").string();
    config["connection-string"] = entry["connectionString"];
    if (link) config["login-server"] = *link;
    config["sync-status-interval"] = topology_.sync_status_interval;
    config["sync-long-poll"] = topology_.sync_long_poll;
    config["password-hash-iterations"] = topology_.password_hash_iterations;
    config["log-level"] = topology_.log_level;
    config["threads"] = topology_.threads;
    const fs::path config_file = home / "serve.json";
    entry["config"] = config_file.string();
    entry["data"] = (home / "data").string();

    const auto [process, listening] = serve(node.name, node.name, config, config_file, entry);
    const std::string address = listening.at("address").get<std::string>();
    if (link) connect_link(node.name, address);
    ordered_json& updated = doc_["nodes"][node.name];  // connect_link saved; the reference stays valid
    updated["listen"] = address;
    updated["loginServer"] = link.value_or(address);
    updated["url"] = "http://" + link.value_or(address);
    updated["link"] = link ? ordered_json(node.name) : ordered_json(nullptr);
    save();
    wait_ready(node.name, address);
    say(node.name + ": ready at " + updated["loginServer"].get<std::string>() +
        (link ? " (through link " + node.name + ")" : "") + ", parent gateway " + parent_gateway + " (pid " +
        std::to_string(process.pid) + ")");
  }

  const Topology& topology_;
  const ClusterUpOptions& options_;
  const fs::path directory_;
  const fs::path executable_;
  std::string admin_password_;
  ordered_json doc_;
  std::vector<std::pair<std::string, DaemonProcess>> started_;
  std::optional<ProxyApi> proxy_;
  std::unique_ptr<ManagementTransport> management_transport_;
  std::optional<ManagementClient> management_;
};

}  // namespace

ordered_json cluster_up(const Topology& topology, const ClusterUpOptions& options) {
  return Launcher(topology, options).run();
}

ordered_json read_cluster_file(const fs::path& directory) {
  const fs::path file = directory / kClusterFile;
  std::ifstream in(file);
  if (!in) throw std::runtime_error("no cluster at " + directory.string() + " (" + file.string() + " is missing)");
  try {
    return ordered_json::parse(in);
  } catch (const json::exception& error) {
    throw std::runtime_error(file.string() + " is not valid JSON: " + json_error_message(error));
  }
}

fs::path find_cluster_directory(const fs::path& root) {
  std::vector<fs::path> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(root, error))
    if (entry.is_directory() && fs::exists(entry.path() / kClusterFile)) found.push_back(entry.path());
  std::sort(found.begin(), found.end());  // the message below lists them in name order, not the file system's
  if (found.size() == 1) return found.front();
  if (found.empty()) throw UsageError("no cluster under " + root.string() + ": give --dir");
  std::string names;
  for (const fs::path& path : found) names += (names.empty() ? "" : ", ") + path.filename().string();
  throw UsageError("several clusters under " + root.string() + " (" + names + "): give --dir");
}

std::vector<StoppedProcess> cluster_down(const fs::path& directory, std::chrono::milliseconds grace) {
  ordered_json doc = read_cluster_file(directory);
  std::vector<StoppedProcess> stopped;
  // Leaves first in the report, the proxy and the cloud last; all are signalled at once.
  std::vector<std::string> names;
  for (const auto& [name, node] : doc["nodes"].items()) names.insert(names.begin(), name);
  for (const std::string& name : names)
    if (doc["nodes"][name].contains("pid"))
      stopped.push_back({name, process_of(doc["nodes"][name]), StopOutcome::AlreadyGone});
  if (doc["proxy"].is_object() && doc["proxy"].contains("pid"))
    stopped.push_back({"proxy", process_of(doc["proxy"]), StopOutcome::AlreadyGone});
  std::vector<DaemonProcess> processes;
  for (const StoppedProcess& entry : stopped) processes.push_back(entry.process);
  const std::vector<StopOutcome> outcomes = stop_daemons(processes, grace);
  for (size_t i = 0; i < stopped.size(); ++i) stopped[i].outcome = outcomes[i];
  doc["state"] = "down";
  write_private_file(directory / kClusterFile, doc.dump(2) + "\n");
  return stopped;
}

ordered_json cluster_status(const fs::path& directory) {
  const ordered_json doc = read_cluster_file(directory);
  ordered_json status;
  status["name"] = doc.value("name", "");
  status["state"] = doc.value("state", "");
  status["nodes"] = ordered_json::array();
  std::map<std::string, ordered_json> reported;
  try {
    ConnectionOptions connection;
    connection.registry = doc["nodes"][std::string(kCloudNodeName)].value("url", "");
    auto transport = http_transport(connection, doc["admin"].value("password", ""));
    ManagementClient client(*transport);
    for (const auto& cr : client.call(http::Method::Get, std::string(kConnectedRegistriesPath)))
      reported[cr.value("name", "")] = cr;
  } catch (const std::exception& error) {
    status["error"] = std::string("the cloud's management API could not be asked: ") + error.what();
  }
  if (doc["proxy"].is_object()) {
    status["proxy"] = {{"api", doc["proxy"].value("api", "")},
                       {"process", daemon_alive(process_of(doc["proxy"])) ? "running" : "stopped"},
                       {"pid", doc["proxy"].value("pid", 0)}};
  }
  for (const auto& [name, node] : doc["nodes"].items()) {
    ordered_json entry;
    entry["name"] = name;
    entry["parent"] = node.value("role", "") == "cloud" ? ordered_json(nullptr) : node["parent"];
    entry["mode"] = node.contains("mode") ? node["mode"] : ordered_json(nullptr);
    entry["process"] = node.contains("pid") && daemon_alive(process_of(node)) ? "running" : "stopped";
    entry["pid"] = node.value("pid", 0);
    entry["url"] = node.value("url", "");
    if (const auto it = reported.find(name); it != reported.end()) {
      for (const char* key : {"connectionState", "activation", "lastSyncTime"})
        entry[key] = it->second.contains(key) ? it->second[key] : ordered_json(nullptr);
    }
    status["nodes"].push_back(std::move(entry));
  }
  return status;
}

}  // namespace outpost::cli
