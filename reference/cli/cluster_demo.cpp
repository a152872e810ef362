#include "reference/cli/cluster_demo.h"

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "reference/cli/builtin_topologies.h"
#include "reference/cli/cluster_command.h"
#include "reference/cli/cluster_launcher.h"
#include "reference/cli/demo_image.h"
#include "reference/cli/demo_support.h"
#include "reference/cli/subprocess.h"
#include "reference/live/blocking_client.h"

namespace outpost::cli {

using nlohmann::ordered_json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

// The whole demo up to the pull at line1: starting four nodes and a proxy takes a few seconds and a push crosses two
// hops in about as many, so a minute means something is wrong.
constexpr std::chrono::seconds kDemoBound{60};
constexpr std::chrono::milliseconds kTagPoll{200};

std::string seconds_since(Clock::time_point start) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << std::chrono::duration<double>(Clock::now() - start).count() << " s";
  return out.str();
}

struct Client {
  std::string url;  // http://host:port
  std::string user;
  std::string password;
};

// GET /v2/<repository>/tags/list with Basic credentials: the status, and whether `tag` is listed.
std::pair<int, bool> tag_listed(const Client& client, const std::string& repository, const std::string& tag) {
  http::Headers headers;
  headers.set("Authorization", live::basic_authorization(client.user, client.password));
  const auto answer = live::BlockingClient().request(http::Method::Get, client.url + "/v2/" + repository + "/tags/list",
                                                     headers, "", std::chrono::seconds(5));
  if (answer.status != 200) return {answer.status, false};
  const auto body = nlohmann::json::parse(answer.body, nullptr, false);
  if (!body.is_object() || !body.contains("tags") || !body["tags"].is_array()) return {answer.status, false};
  for (const auto& listed : body["tags"])
    if (listed == tag) return {answer.status, true};
  return {answer.status, false};
}

// Polls until `repository:tag` is listed at the node, or throws once `deadline` passes.
void wait_for_tag(const Client& client, const std::string& node, const std::string& repository, const std::string& tag,
                  Clock::time_point deadline) {
  std::string last = "no answer yet";
  const bool arrived = poll_until(
      deadline,
      [&] {
        try {
          const auto [status, listed] = tag_listed(client, repository, tag);
          last = "tags/list answered " + std::to_string(status);
          return listed;
        } catch (const std::exception& error) {
          last = error.what();
          return false;
        }
      },
      kTagPoll);
  if (!arrived)
    throw std::runtime_error(repository + ":" + tag + " did not reach " + node + " within " +
                             std::to_string(kDemoBound.count()) + " s of the demo's start (" + last + ")");
}

const ordered_json& client_token(const ordered_json& node) {
  if (!node.contains("clientTokens") || node["clientTokens"].empty())
    throw std::runtime_error("the demo topology gives every node a client token");
  return node["clientTokens"][0];
}

Client client_of(const ordered_json& node) {
  const ordered_json& token = client_token(node);
  return {node.value("url", ""), token.value("name", ""), token.value("password", "")};
}

void demonstrate(const ordered_json& cluster, const fs::path& work, const std::string& digest,
                 Clock::time_point started, Clock::time_point deadline) {
  const ordered_json& nodes = cluster["nodes"];
  const std::string cloud = nodes["cloud"].value("loginServer", "");
  const std::string admin = "admin:" + cluster["admin"].value("password", "");
  const std::string layout = "oci:" + (work / "image").string() + ":demo";
  const Client line1 = client_of(nodes["line1"]);
  const Client store = client_of(nodes["store"]);

  step("skopeo copy " + layout + " -> docker://" + cloud + "/apps/hello:v1   (at the cloud, as admin)");
  run_skopeo({"copy", "--dest-tls-verify=false", "--dest-creds", admin, "--preserve-digests", layout,
              "docker://" + cloud + "/apps/hello:v1"},
             work);
  step("skopeo copy " + layout + " -> docker://" + cloud + "/base:v1");
  run_skopeo({"copy", "--dest-tls-verify=false", "--dest-creds", admin, "--preserve-digests", layout,
              "docker://" + cloud + "/base:v1"},
             work);
  const auto pushed = Clock::now();

  step("waiting for apps/hello:v1 at line1 (cloud -> factory -> line1, two hops through the proxy)");
  wait_for_tag(line1, "line1", "apps/hello", "v1", deadline);
  std::cout << "    listed at line1 " << seconds_since(pushed) << " after the push" << std::endl;
  step("waiting for base:v1 at store (cloud -> store)");
  wait_for_tag(store, "store", "base", "v1", deadline);
  std::cout << "    listed at store " << seconds_since(pushed) << " after the push" << std::endl;

  const std::string at_line1 = "docker://" + line1.url.substr(std::string("http://").size()) + "/apps/hello:v1";
  step("skopeo copy " + at_line1 + " -> oci:pulled:v1   (at line1, with line1's client token " + line1.user + ")");
  run_skopeo({"copy", "--src-tls-verify=false", "--src-creds", line1.user + ":" + line1.password, "--preserve-digests",
              at_line1, "oci:" + (work / "pulled").string() + ":v1"},
             work);
  std::ifstream index_file(work / "pulled" / "index.json");
  const auto index = nlohmann::json::parse(index_file);
  const std::string pulled = index["manifests"][0]["digest"].get<std::string>();
  if (pulled != digest) throw std::runtime_error("pulled manifest " + pulled + " differs from pushed " + digest);
  std::cout << "    pulled manifest " << digest << ": identical to the one pushed at the cloud" << std::endl;

  step("each node serves only its repositories, to its own client tokens");
  std::cout << "    at line1 (apps/*), " << line1.user << " asks for base: " << tag_listed(line1, "base", "v1").first
            << "; at store (base), " << store.user
            << " asks for apps/hello: " << tag_listed(store, "apps/hello", "v1").first
            << "  (403: outside the token's scope)" << std::endl;
  std::cout << "    (" << seconds_since(started) << " since the demo started)" << std::endl;
}

}  // namespace

int run_cluster_demo(const ClusterDemoOptions& options) {
  const auto started = Clock::now();
  const auto deadline = started + kDemoBound;
  const fs::path work = make_work_dir(options.work_dir, "outpost-cluster-demo");
  const fs::path cluster_dir = work / "cluster";

  step("writing a demo OCI image layout in " + (work / "image").string());
  const std::string digest = write_demo_layout(work / "image", "demo");

  const Topology topology = parse_topology(nlohmann::json::parse(*builtin_topology("edge-factory")));
  step(
      "outpost cluster up edge-factory: cloud -> factory (ReadWrite: apps/*, base) -> line1 (ReadOnly: apps/*), "
      "cloud -> store (ReadOnly: base); every child -> parent link through the fault proxy");
  ClusterUpOptions up;
  up.directory = cluster_dir;
  up.deadline = deadline;
  up.progress = [](const std::string& line) { std::cout << "    " << line << std::endl; };
  ordered_json cluster;
  try {
    cluster = cluster_up(topology, up);  // stops what it started when it fails
  } catch (const std::exception& error) {
    std::cerr << "demo failed: " << error.what() << std::endl;
    return 1;
  }

  int status = 0;
  try {
    demonstrate(cluster, work, digest, started, deadline);
  } catch (const std::exception& error) {
    std::cerr << "demo failed: " << error.what() << "\nlogs: " << (cluster_dir / "logs").string() << std::endl;
    status = 1;
  }

  try {
    step("connection states, as the nodes reported them to the cloud (outpost cluster status)");
    print_cluster_status(cluster_status(cluster_dir), std::cout);
  } catch (const std::exception& error) {
    std::cerr << "cluster status failed: " << error.what() << std::endl;
  }

  if (options.keep && status == 0) {
    print_cluster_summary(cluster, std::cout);
    return 0;
  }
  step("outpost cluster down");
  try {
    for (const StoppedProcess& entry : cluster_down(cluster_dir, std::chrono::seconds(10))) {
      std::cout << "    " << entry.name << " (pid " << entry.process.pid << "): " << describe(entry.outcome)
                << std::endl;
      if (entry.outcome == StopOutcome::Survived) status = 1;
    }
  } catch (const std::exception& error) {
    std::cerr << "cluster down failed: " << error.what() << std::endl;
    status = 1;
  }
  if (status == 0) {
    std::cout << "\nWhere to look next:\n"
              << "  " << options.program << " cluster up scenarios/topologies/edge-factory.json   # the same cluster, kept "
                 "running (./outpost-cluster/edge-factory)\n"
              << "  " << options.program << " cluster status; " << options.program
              << " proxy list --api <the proxy's API>\n"
              << "  " << options.program << " cluster down\n"
              << "  docs/connected-registries.md (\"Clusters\": topology format, links, logs)\n"
              << "Demo files (data, logs, cluster.json): " << work.string() << std::endl;
  }
  return status;
}

}  // namespace outpost::cli
