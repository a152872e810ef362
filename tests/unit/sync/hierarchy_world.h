#pragma once
// Whole hierarchies of real nodes (reference/node) in one process, on the simulator's event loop and virtual clock,
// joined by the direct network: what these tests need to check sync end to end with a fake clock (TTL expiry, windows)
// and no waiting. Nodes are driven black-box, through their HTTP APIs only, as SPEC 7 says an operator would.
#include <map>
#include <memory>
#include <optional>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/auth/base64.h"
#include "reference/common/random.h"
#include "reference/control/control_store.h"
#include "reference/node/node.h"
#include "reference/oci/digest.h"
#include "reference/storage/memory_blob_store.h"
#include "reference/storage/storage.h"
#include "reference/sync/sync_store.h"
#include "simulator/engine/event_loop.h"
#include "simulator/net/direct_client.h"

namespace outpost::test {

// A client token's actions: read everything under apps/.
inline const std::vector<std::string> kReadApps = {"repositories/apps/*/content/read",
                                                   "repositories/apps/*/metadata/read"};
// A ReadWrite node's client: push, delete by digest and untag (metadata/write) under apps/.
inline const std::vector<std::string> kWriteApps = {
    "repositories/apps/*/content/read", "repositories/apps/*/metadata/read", "repositories/apps/*/content/write",
    "repositories/apps/*/content/delete", "repositories/apps/*/metadata/write"};

inline const WallTime kWorldStart = WallTime(std::chrono::seconds(1798761600));  // 2027-01-01T00:00:00Z

// A node's client over a lossy link: each exchange is delivered, and with probability `loss` (seeded) its answer is
// replaced by a reset, as a reset_peer toxic on the answer's stream does: the parent applied the request, the child
// never hears so and must retry.
// What HierarchyWorld::push_image makes from `seed` (its layer without `layer_bytes`), for tests that reach into a
// node's store for it.
inline std::string image_config(const std::string& seed) {
  return R"({"architecture":"amd64","os":"linux","seed":")" + seed + "\"}";
}
inline std::string image_layer(const std::string& seed) { return "layer bytes of " + seed + std::string(1000, 'x'); }
inline std::string image_layer_digest(const std::string& seed) { return oci::digest_of(image_layer(seed)).str(); }

class LossyClient final : public http::HttpClient {
 public:
  // What the client does to the node's requests, all set at once when the node is added.
  struct Faults {
    double loss = 0;  // the fraction of answers lost after the server applied the request
    // Requests for this target (any method) never reach the server and fail as a reset connection would, every time.
    std::string dropped_target;
    // The same for every request whose target starts with this ("/v2/": the parent's content, not its gateway).
    std::string dropped_prefix;
    // Requests whose target holds this never reach the server and are answered 410, every time: a parent whose
    // message log has always moved past the child's cursor (SPEC 5.5).
    std::string gone_part;
    // A parent that negotiates manifest types, as CNCF Distribution does: a manifest asked for without an Accept
    // header is answered 404 (it would not serve an OCI manifest to a client that did not list the type).
    bool negotiating = false;
    // Called with each request as the node sends it: a test's stand-in for what else happens on the node meanwhile.
    std::function<void(const http::ClientRequest&)> before_send;
    // Requests for which this is true reach the server, but their answer waits until release_held(): a slow answer,
    // so that a test can make things happen between a request's effect and the node hearing of it.
    std::function<bool(const http::ClientRequest&)> hold_answer;
    // A request for which this gives an answer never reaches the server and gets that answer (a failure, a refusal):
    // one request picked out as it is sent (dropped_target drops every request to its target).
    std::function<std::optional<http::ClientResult>(const http::ClientRequest&)> answer_instead;
    bool any() const {
      return loss > 0 || !dropped_target.empty() || !dropped_prefix.empty() || !gone_part.empty() || negotiating ||
             before_send || hold_answer || answer_instead;
    }
  };
  LossyClient(http::HttpClient& inner, Faults faults, uint64_t seed)
      : inner_(inner), faults_(std::move(faults)), random_(seed) {}
  void send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done) override {
    if (faults_.before_send) faults_.before_send(request);
    if ((!faults_.dropped_target.empty() && request.target == faults_.dropped_target) ||
        (!faults_.dropped_prefix.empty() && request.target.starts_with(faults_.dropped_prefix))) {
      ++dropped_;
      done(http::ClientResult{std::nullopt, "reading: Connection reset by peer"});
      return;
    }
    if (faults_.answer_instead)
      if (auto answer = faults_.answer_instead(request)) {
        done(std::move(*answer));
        return;
      }
    if (!faults_.gone_part.empty() && request.target.find(faults_.gone_part) != std::string::npos) {
      ++gone_;
      http::ClientResponse gone{410, {}, R"({"errors":[{"code":"CURSOR_EXPIRED","message":"gone"}]})"};
      done(http::ClientResult{std::move(gone), {}});
      return;
    }
    if (faults_.negotiating && request.target.find("/manifests/") != std::string::npos &&
        (request.method == http::Method::Get || request.method == http::Method::Head) &&
        !request.headers.has("Accept")) {
      ++unnegotiated_;
      done(http::ClientResult{http::ClientResponse{404, {}, {}}, {}});
      return;
    }
    if (faults_.hold_answer && faults_.hold_answer(request)) {
      inner_.send(std::move(request), std::move(sink), [this, done = std::move(done)](http::ClientResult result) {
        held_.push_back({done, std::move(result)});
      });
      return;
    }
    const bool lose = static_cast<double>(random_.uniform(1'000'000)) < faults_.loss * 1'000'000;
    inner_.send(std::move(request), std::move(sink), [lose, done = std::move(done)](http::ClientResult result) {
      if (lose) result = http::ClientResult{std::nullopt, "reading: Connection reset by peer"};
      done(std::move(result));
    });
  }
  uint64_t dropped() const { return dropped_; }
  uint64_t gone() const { return gone_; }
  uint64_t unnegotiated() const { return unnegotiated_; }
  size_t held() const { return held_.size(); }
  void release_held() {
    for (auto& [done, result] : std::exchange(held_, {})) done(std::move(result));
  }
  // The held answers lost instead: the server applied each request, and the node hears a reset connection.
  void lose_held() {
    for (auto& held : std::exchange(held_, {})) held.first(http::ClientResult{std::nullopt, "reading: Connection reset by peer"});
  }

 private:
  http::HttpClient& inner_;
  const Faults faults_;
  SeededRandom random_;
  uint64_t dropped_ = 0;
  uint64_t gone_ = 0;
  uint64_t unnegotiated_ = 0;
  // Answers waiting for release_held() (or lose_held()), each with whom it goes to.
  std::vector<std::pair<std::function<void(http::ClientResult)>, http::ClientResult>> held_;
};

struct WorldNode {
  std::string name;
  std::unique_ptr<LossyClient> lossy_client;  // when the node was added with any of LossyClient's faults
  std::unique_ptr<storage::Storage> storage;
  std::unique_ptr<control::ControlStore> control_store;
  std::unique_ptr<sync::SyncStore> sync_store;
  std::unique_ptr<node::Node> node;
  std::string login_server;  // "<name>:5000"
  std::string connection_string;  // what the node was started with (empty for the cloud)
  node::NodeOptions options;      // what it was built with (a restart builds it again with them)
};

class HierarchyWorld {
 public:
  static constexpr const char* kAdminPassword = "world-admin-password";

  // `tweak_cloud` is applied to the cloud's options, as tweak_next_node is to a connected registry's.
  explicit HierarchyWorld(std::function<void(node::NodeOptions&)> tweak_cloud = {})
      : clock_(loop_, kWorldStart), random_(42), network_(loop_) {
    tweak_next_node = std::move(tweak_cloud);
    cloud_ = add_node("cloud", "");
    network_.attach("cloud:5001", cloud_->node->data_handler());
  }

  // Stops every agent and lets its coroutines unwind, so nothing is left suspended (or leaked) at the end.
  ~HierarchyWorld() {
    int stopping = 0;
    for (auto& [name, world_node] : nodes_) {
      ++stopping;
      world_node->node->stop([&stopping] { --stopping; });
    }
    cloud_->node->stop({});  // answers the long polls waiting at the cloud (each CR's stop() answers its own)
    // A poll that arrives after its parent's wake-up ends at its deadline, a few virtual seconds later.
    for (int i = 0; i < 1'000'000 && stopping > 0; ++i)
      if (!loop_.run_one()) break;
  }

  sim::EventLoop& loop() { return loop_; }
  sim::VirtualClock& clock() { return clock_; }
  sim::DirectNetwork& network() { return network_; }
  WorldNode& cloud() { return *cloud_; }
  WorldNode& node(const std::string& name) { return *nodes_.at(name); }

  // One exchange, run to completion in virtual time (bounded: a hang fails the test instead of spinning forever).
  http::ClientResponse call(const std::string& authority, http::Method method, const std::string& target,
                            const std::optional<std::pair<std::string, std::string>>& user = std::nullopt,
                            std::string body = {}, const std::string& content_type = "application/json",
                            const http::Headers& headers = {}) {
    http::ClientRequest request;
    request.method = method;
    request.authority = authority;
    request.target = target;
    for (const auto& [name, value] : headers.entries()) request.headers.set(name, value);
    if (user) request.headers.set("Authorization", "Basic " + auth::base64_encode(user->first + ":" + user->second));
    if (!body.empty() || method == http::Method::Put || method == http::Method::Post) {
      request.headers.set("Content-Type", content_type);
      request.body = std::make_unique<http::StringBody>(std::move(body));
    }
    std::optional<http::ClientResult> result;
    network_.client("operator").send(std::move(request), nullptr, [&result](http::ClientResult r) { result = std::move(r); });
    for (int i = 0; i < 1'000'000 && !result; ++i)
      if (!loop_.run_one()) break;
    if (!result) throw std::runtime_error("no answer from " + authority + target);
    if (!result->ok()) throw std::runtime_error(result->transport_error);
    return std::move(*result->response);
  }

  std::pair<std::string, std::string> admin() const { return {"admin", kAdminPassword}; }

  // Applied to the options of the next node added (then forgotten).
  std::function<void(node::NodeOptions&)> tweak_next_node;
  // What the next connected registry's client does to its requests to its parent (then forgotten).
  LossyClient::Faults next_node_faults;

  nlohmann::json manage(http::Method method, const std::string& path, const nlohmann::json& body = nullptr) {
    auto response = call("cloud:5000", method, "/mgmt/v1/" + path, admin(), body.is_null() ? "" : body.dump());
    if (response.status >= 300)
      throw std::runtime_error("management " + path + ": " + std::to_string(response.status) + " " + response.body);
    return response.body.empty() ? nlohmann::json() : nlohmann::json::parse(response.body);
  }

  // Creates the CR at the cloud and starts its node; the returned credentials are a client token with `actions`.
  std::pair<std::string, std::string> add_connected_registry(const std::string& name, const nlohmann::json& resource,
                                                            const std::vector<std::string>& client_actions) {
    manage(http::Method::Put, "scopeMaps/" + name + "-clients", {{"actions", client_actions}});
    const auto token = manage(http::Method::Put, "tokens/" + name + "-client", {{"scopeMap", name + "-clients"}});
    nlohmann::json body = resource;
    body["clientTokens"] = {name + "-client"};
    const auto created = manage(http::Method::Put, "connectedRegistries/" + name, body);
    std::string connection = created.at("connectionString").get<std::string>();
    const std::string placeholder = "<parent-endpoint>";
    if (const size_t at = connection.find(placeholder); at != std::string::npos)
      connection.replace(at, placeholder.size(), resource.at("parent").get<std::string>() + ":5000");
    nodes_[name] = add_node(name, connection);
    nodes_[name]->node->start();
    return {name + "-client", token.at("passwords").at(0).at("value").get<std::string>()};
  }

  // Connected registry `name` stopped (its loops unwound) and started again on the same stores, as a process restarted
  // on its data directory: what it knows afterwards is what its stores kept.
  void restart(const std::string& name) {
    WorldNode& world_node = *nodes_.at(name);
    bool stopped = false;
    world_node.node->stop([&stopped] { stopped = true; });
    if (!run_until([&] { return stopped; }, std::chrono::minutes(5))) throw std::runtime_error(name + " did not stop");
    network_.detach(world_node.login_server);
    world_node.node.reset();
    build(world_node);
    world_node.node->start();
  }

  // Runs virtual time forward until `done()` holds or `limit` of virtual time passed; true if it held.
  template <class Predicate>
  bool run_until(Predicate done, Nanoseconds limit) {
    const Nanoseconds deadline = loop_.now() + limit;
    while (!done()) {
      if (loop_.now() >= deadline) return false;
      if (!loop_.run_one()) {
        return done();
      }
    }
    return true;
  }

  // The blob store of node `name` (every node here keeps its blobs in memory).
  storage::MemoryBlobStore& blobs_of(const std::string& name) {
    return dynamic_cast<storage::MemoryBlobStore&>(*node(name).storage->blobs);
  }
  // The bytes node `name` holds for `digest_text` ("" when it holds none).
  std::string held_bytes(const std::string& name, const std::string& digest_text) {
    auto reader = blobs_of(name).open(*oci::Digest::parse(digest_text));
    if (!reader) return {};
    std::string bytes(reader->size(), '\0');
    bytes.resize(reader->read_at(0, std::span<char>(bytes.data(), bytes.size())));
    return bytes;
  }
  // One byte of a blob node `name` holds flipped, as a disk may: the bytes no longer match their digest.
  void damage(const std::string& name, const std::string& digest_text) {
    std::string bytes = held_bytes(name, digest_text);
    if (bytes.empty()) throw std::runtime_error("damage: " + name + " holds no " + digest_text);
    bytes[bytes.size() / 2] ^= 1;
    const oci::Digest digest = *oci::Digest::parse(digest_text);
    blobs_of(name).remove(digest);
    blobs_of(name).insert(digest, std::move(bytes));
  }

  // Pushes an index of two manifests (pushed at `authority` before) as `apps/multi:<tag>` and returns its digest.
  std::string push_index(const std::string& authority, const std::pair<std::string, std::string>& user,
                         const std::string& amd, const std::string& arm, const std::string& tag = "1") {
    const nlohmann::json index = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.index.v1+json"},
        {"manifests",
         {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", amd}, {"size", 1}},
          {{"mediaType", "application/vnd.oci.image.manifest.v1+json"}, {"digest", arm}, {"size", 1}}}}};
    auto put = call(authority, http::Method::Put, "/v2/apps/multi/manifests/" + tag, user, index.dump(),
                    "application/vnd.oci.image.index.v1+json");
    if (put.status != 201) throw std::runtime_error("index push: " + std::to_string(put.status) + put.body);
    return oci::digest_of(index.dump()).str();
  }

  // Pushes a one-layer image (content from `seed`; the layer about 1 kB, or `layer_bytes` long) and returns its
  // manifest digest.
  std::string push_image(const std::string& authority, const std::pair<std::string, std::string>& user,
                         const std::string& repository, const std::string& tag, const std::string& seed,
                         size_t layer_bytes = 0) {
    const std::string config = image_config(seed);
    std::string layer_text = image_layer(seed);
    if (layer_bytes > 0) layer_text.resize(layer_bytes, 'y');
    const std::string layer = std::move(layer_text);
    for (const std::string* blob : {&config, &layer}) {
      const auto digest = oci::digest_of(*blob).str();
      auto posted = call(authority, http::Method::Post, "/v2/" + repository + "/blobs/uploads/?digest=" + digest, user,
                         *blob, "application/octet-stream");
      if (posted.status != 201) throw std::runtime_error("blob push: " + std::to_string(posted.status) + posted.body);
    }
    const nlohmann::json manifest = {
        {"schemaVersion", 2},
        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
        {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                    {"digest", oci::digest_of(config).str()}, {"size", config.size()}}},
        {"layers", {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                     {"digest", oci::digest_of(layer).str()}, {"size", layer.size()}}}}};
    const std::string bytes = manifest.dump();
    auto put = call(authority, http::Method::Put, "/v2/" + repository + "/manifests/" + tag, user, bytes,
                    "application/vnd.oci.image.manifest.v1+json");
    if (put.status != 201) throw std::runtime_error("manifest push: " + std::to_string(put.status) + put.body);
    return oci::digest_of(bytes).str();
  }

  // The digest `tag` resolves to at a node, or "" (404 and every other refusal).
  std::string tag_digest(const std::string& authority, const std::pair<std::string, std::string>& user,
                         const std::string& repository, const std::string& tag) {
    http::ClientRequest request;
    auto response = call(authority, http::Method::Head, "/v2/" + repository + "/manifests/" + tag, user);
    if (response.status != 200) return "";
    return std::string(response.headers.get("Docker-Content-Digest").value_or(""));
  }

 private:
  std::unique_ptr<WorldNode> add_node(const std::string& name, const std::string& connection_string) {
    auto world_node = std::make_unique<WorldNode>();
    world_node->name = name;
    world_node->login_server = name + ":5000";
    world_node->connection_string = connection_string;
    world_node->storage = storage::open_memory_storage(clock_, random_);
    world_node->control_store = control::open_memory_control_store();
    if (!connection_string.empty()) world_node->sync_store = sync::open_memory_sync_store();
    node::NodeOptions options;
    options.connection_string = connection_string;
    options.login_server = world_node->login_server;
    if (connection_string.empty()) {
      options.data_endpoint = "cloud:5001";
      options.admin_password = kAdminPassword;
    }
    options.password_hash_iterations = 1000;  // the cost knob: tests need no slow hashing
    options.agent.status_interval = std::chrono::seconds(5);
    options.agent.long_poll = std::chrono::seconds(30);
    if (tweak_next_node) std::exchange(tweak_next_node, nullptr)(options);
    http::HttpClient* client = &network_.client(name);
    LossyClient::Faults faults = std::exchange(next_node_faults, {});
    if (faults.any())
      world_node->lossy_client = std::make_unique<LossyClient>(*client, std::move(faults), random_.next_u64());
    world_node->options = options;
    build(*world_node);
    return world_node;
  }

  // The node object on `world_node`'s stores and options, attached to the network.
  void build(WorldNode& world_node) {
    http::HttpClient* client = world_node.lossy_client ? static_cast<http::HttpClient*>(world_node.lossy_client.get())
                                                       : &network_.client(world_node.name);
    world_node.node = std::make_unique<node::Node>(
        node::NodeSeams{clock_, random_, loop_, client, *world_node.storage, *world_node.control_store,
                        world_node.sync_store.get()},
        world_node.options);
    network_.attach(world_node.login_server, world_node.node->main_handler());
  }

  sim::EventLoop loop_;
  sim::VirtualClock clock_;
  SeededRandom random_;
  sim::DirectNetwork network_;
  std::unique_ptr<WorldNode> cloud_;
  std::map<std::string, std::unique_ptr<WorldNode>> nodes_;
};

}  // namespace outpost::test
