#pragma once
// One machine of a world: a node's process (reference/node's Node) and what outlives it. The stores play the disk:
// a crash destroys the Node and keeps them, a restart builds a new Node on them, as `outpost serve` would start again
// on the same data directory. On disk storage they are that data directory's files, closed when the process dies and
// opened again, as a new process opens them. The host also owns the node's seams: its virtual clock (with its own skew), its
// seeded Random, its executor (whose work dies with the process, and which a pause holds) and its HTTP client.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reference/common/random.h"
#include "reference/control/control_store.h"
#include "reference/node/node.h"
#include "reference/storage/space_budget.h"
#include "reference/storage/storage.h"
#include "reference/sync/sync_store.h"
#include "simulator/engine/event_loop.h"
#include "simulator/engine/virtual_clock.h"
#include "simulator/world/host_executor.h"
#include "simulator/world/world_client.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

struct HostConfig {
  std::string name;                // "cloud" or the connected registry's name
  std::string connection_string;   // empty: the cloud
  std::string admin_password;      // the cloud's
  unsigned password_hash_iterations = 10;
  Nanoseconds status_interval = std::chrono::seconds(2);
  Nanoseconds long_poll = std::chrono::seconds(30);
  // The cloud's: how long it shows a node's last status report before it shows the node Offline.
  Nanoseconds status_offline_after = std::chrono::minutes(5);
  uint64_t seed = 0;               // of the host's Random
  // Empty: the stores live in memory. Else the host's data directory (created if missing), laid out as `outpost
  // serve --data` lays it out: blobs/, uploads/, metadata.db, and the control and sync stores' SQLite files.
  std::filesystem::path data_directory;
  // Last word on the options of every process of this host (an invariant checker attaches its decision observer).
  std::function<void(node::NodeOptions&)> tweak;
};

class Host {
 public:
  enum class State { Down, Running, Crashing };

  Host(EventLoop& loop, WallTime start, WorldNetwork& network, ClientContext& clients, HostConfig config);
  ~Host();
  Host(const Host&) = delete;
  Host& operator=(const Host&) = delete;

  const std::string& name() const { return config_.name; }
  bool is_cloud() const { return config_.connection_string.empty(); }
  std::string login_server() const { return config_.name + ":5000"; }
  std::string data_endpoint() const { return config_.name + ":5001"; }  // the cloud's gateway

  // Starts a process on the host's stores: builds the node, reaches the network, starts its agent.
  void start();
  // The process dies now: it leaves the network at once, its exchanges in flight fail, its answers not yet received
  // are resets; the Node is destroyed once its coroutines have unwound (a few events at the same virtual time).
  void crash();
  // After a crash (or while it unwinds): a new process on the same stores. Does nothing while running.
  void restart();
  // SIGSTOP / SIGCONT: nothing runs, requests and answers wait; then everything that waited runs, in order.
  void pause();
  void resume();
  void set_skew(Nanoseconds skew) { clock_.set_skew(skew); }
  // A full disk: every write to the host's storage fails with storage::OutOfSpace (a push is answered 507) until it
  // is freed; what is stored stays readable. It is the disk's state, so it outlasts a crash.
  void set_disk_full(bool full) { space_.set_full(full); }
  bool disk_full() const { return space_.full(); }
  // Graceful stop at the end of a run: exchanges in flight complete, then the node unwinds; the state is Down once
  // it has (a few events later).
  void stop();

  State state() const { return state_; }
  bool paused() const { return executor_.paused(); }
  // Changes at every crash: answers from an older incarnation reach nobody.
  uint64_t incarnation() const { return incarnation_; }
  const uint64_t& incarnation_counter() const { return incarnation_; }  // stays put while the host lives
  node::Node* node() { return node_.get(); }
  WorldClient& client() { return *client_; }
  VirtualClock& clock() { return clock_; }
  // The disk: what every process of this host stored (the checks read it; nothing may write it from outside).
  storage::Storage& storage();
  // Empty in memory; on disk, the directory the host's stores keep their files in.
  const std::filesystem::path& data_directory() const { return config_.data_directory; }
  uint64_t crashes() const { return crashes_; }

 private:
  class Front;
  struct HeldCall;
  void build_node();
  // The disk as a starting process finds it: memory stores made once, for the host's life; files opened again.
  void open_stores();
  void finish_crash(bool reopen);
  void release_held_calls(bool answer_as_crashed);
  uint64_t rounds_from_metrics() const;
  void watch_rounds(const RequestEvent& event);

  EventLoop& loop_;
  WorldNetwork& network_;
  ClientContext& clients_;
  HostConfig config_;
  VirtualClock clock_;
  SeededRandom random_;
  HostExecutor executor_;
  // The disk: outlives every process of this host. Its space is a budget the disk-full fault empties.
  storage::SpaceLimit space_;
  std::unique_ptr<storage::Storage> storage_;
  std::unique_ptr<control::ControlStore> control_store_;
  std::unique_ptr<sync::SyncStore> sync_store_;

  std::unique_ptr<WorldClient> client_;
  std::unique_ptr<Front> main_front_, data_front_;
  std::vector<std::shared_ptr<HeldCall>> held_calls_;
  std::unique_ptr<node::Node> node_;
  // node_'s agent (null at the cloud), found when the node is built: watch_rounds() reads its round count after
  // every exchange, and going through the node's parts for it each time was a cold read per exchange.
  const sync::SyncAgent* agent_ = nullptr;
  State state_ = State::Down;
  bool restart_when_down_ = false;
  uint64_t incarnation_ = 1;
  uint64_t crashes_ = 0;
  uint64_t rounds_seen_ = 0;
  uint64_t failed_rounds_seen_ = 0;
};

}  // namespace outpost::sim::world
