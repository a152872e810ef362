#pragma once
// The simulated network: an http::HttpClient per host that carries the very same HTTP messages as DirectNetwork, but
// over links with latency, fairly shared bandwidth and the live fault proxy's faults, in virtual time.
//
// An exchange (one request and its response; one connection, as the proxy counts them) goes:
//   request latency -> request head and body as a flow -> the handler runs -> response latency -> response head and
//   body as a flow -> the body reaches the sink and `done` runs.
// Flows share capacity by max-min fairness (bandwidth_model.h): each crosses the sender's NIC egress, the link
// direction and the receiver's NIC ingress. Hosts with no declared link talk over an ideal one (no latency, no limit),
// where a whole exchange costs one event. Hosts are authorities without their port ("cloud:5001" is on "cloud").
//
// Faults, by the live proxy's names (docs/fault-proxy.md) and the simulator's own:
// - per (client host, server host), as one proxy in front of the server would see them: toxics (latency, bandwidth,
//   timeout, reset_peer, limit_data, slicer, slow_close) on the upstream (request) or downstream (response) stream,
//   each with a seeded toxicity drawn once per exchange; lost responses (applied by the server, never heard);
// - per (client host, authority): down (open exchanges reset, new ones reset on arrival); per authority: down
//   (refuses connections, like a stopped process);
// - per direction of bytes (from host -> to host): stopped (bytes dropped), slowed (extra latency), jammed (held, then
//   delivered when restored); partitions are sets of stopped directions, one- or two-way.
// A client notices silence through its request's idle_timeout, as the live client does: a dropped or held exchange
// ends in a transport error once the client has heard nothing for that long.
//
// Deterministic: every container is ordered, exchanges and flows are numbered, and every random draw (latency,
// jitter, toxicity, lost responses) goes through the Random given here, in event order, so a seed replays exactly.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference/common/http.h"
#include "reference/common/http_client.h"
#include "reference/common/random.h"
#include "reference/common/string_hash.h"
#include "simulator/engine/event_loop.h"
#include "simulator/net/bandwidth_model.h"
#include "simulator/net/link_spec.h"
#include "simulator/net/toxic.h"

namespace outpost::sim {

// What the network reports to an observer (a trace): each request handed to a handler, each response handed to a
// client, each fault that struck an exchange, and each change of the fault state. The views live for the call only.
enum class NetEventKind { Request, Response, Fault, Control };
std::string_view net_event_kind_name(NetEventKind kind);  // "request", "response", "fault", "control"
struct NetEvent {
  Nanoseconds time{0};
  NetEventKind kind = NetEventKind::Request;
  std::string_view from;  // a host, or an authority when the server side speaks
  std::string_view to;
  std::string_view what;  // "GET /v2/", "200 GET /v2/", "reset_peer", "partition", ...
};
using NetObserver = std::function<void(const NetEvent&)>;

enum class DirectionState { Normal, Stopped, Slowed, Jammed };

struct StreamCounters {
  uint64_t messages = 0;  // requests delivered to the handler (upstream), responses delivered to the client
  uint64_t bytes = 0;     // bytes that crossed, heads included, cut transfers counted as far as they got
  uint64_t resets = 0;    // exchanges cut or reset while this stream was in flight (reset_peer, limit_data, down, ...)
  uint64_t drops = 0;     // messages dropped (stopped direction, partition, timeout toxic)
};
struct LinkCounters {
  uint64_t requests = 0;        // exchanges the client host started towards the server host
  uint64_t completed = 0;       // ended with a response
  uint64_t refused = 0;         // the authority was down or unknown, or the link down
  uint64_t timeouts = 0;        // ended by the client's idle_timeout
  uint64_t lost_responses = 0;  // applied by the server, the response lost
  StreamCounters upstream;
  StreamCounters downstream;
};

class SimNetwork {
 public:
  // Both must outlive the network.
  SimNetwork(EventLoop& loop, Random& random);
  ~SimNetwork();
  SimNetwork(const SimNetwork&) = delete;
  SimNetwork& operator=(const SimNetwork&) = delete;

  // --- DirectNetwork's surface, same meaning ---
  // Requests to `authority` go to `handler` (which must outlive the network or be detached first).
  void attach(const std::string& authority, http::Handler& handler);
  void detach(const std::string& authority);
  // A down authority refuses connections, like a stopped process; its exchanges in progress are reset. A down link
  // (the proxy's `down`) resets the exchanges from `from` to `authority`, open or new.
  void set_down(const std::string& authority, bool down);
  void set_link_down(const std::string& from, const std::string& authority, bool down);
  // The process of host `from` died, and nobody hears its exchanges' answers. A response it was receiving stops where
  // it is, the bytes that had arrived reaching its sink first (a process writes what it reads as it reads it; what it
  // wrote outlives it); a request it was still sending never reaches the server whole; a request already sent may
  // still land and be applied (as one a client gave up on), and the server's answer goes nowhere.
  void client_died(const std::string& from);
  // Requests delivered to handlers, by prefix of their path (the target without its query), from anyone or from one
  // host.
  uint64_t requests_to(const std::string& authority, std::string_view path_prefix = "") const;
  uint64_t requests_between(const std::string& from, const std::string& authority,
                            std::string_view path_prefix = "") const;
  // A client as seen from host `from` (its address appears as the remote address).
  http::HttpClient& client(const std::string& from);

  // --- Topology (may change at any time; transfers in progress are re-shared at once) ---
  // `spec.forward` is for bytes from `a` to `b`, `spec.backward` for bytes from `b` to `a`.
  void set_link(const std::string& a, const std::string& b, const LinkSpec& spec);
  // A host's NIC: every transfer it sends shares `egress`, every one it receives shares `ingress` (0: unlimited).
  void set_nic(const std::string& host, uint64_t egress_bytes_per_second, uint64_t ingress_bytes_per_second);

  // --- Toxics on the exchanges from `client_host` to `server_host` ---
  // A toxic acts on exchanges that start after it is added and, where that makes sense, on those in flight: timeout,
  // reset_peer, bandwidth and limit_data act on a stream in progress; latency, slicer and slow_close on the next
  // message. Throws std::invalid_argument when the name is taken.
  void add_toxic(const std::string& client_host, const std::string& server_host, Toxic toxic);
  // Removing a toxic stops it acting; exchanges held by a `timeout` toxic with timeout 0 are then closed.
  bool remove_toxic(const std::string& client_host, const std::string& server_host, const std::string& name);
  // Replaces the toxic of the same name: as a removal then an addition (toxicity drawn again).
  void update_toxic(const std::string& client_host, const std::string& server_host, Toxic toxic);
  std::vector<Toxic> toxics(const std::string& client_host, const std::string& server_host) const;
  // With probability `toxicity`, an exchange's response is lost after the server applied the request: the client
  // gets a transport error one response latency later. 0 turns it off.
  void set_lost_responses(const std::string& client_host, const std::string& server_host, double toxicity);

  // --- States of a direction of bytes, `from` host -> `to` host ---
  void stop(const std::string& from, const std::string& to);  // bytes dropped, in flight too
  void slow(const std::string& from, const std::string& to, Nanoseconds extra_latency);
  void jam(const std::string& from, const std::string& to);   // bytes held, in flight too
  void restore(const std::string& from, const std::string& to);  // back to normal; jammed bytes flow on
  DirectionState state(const std::string& from, const std::string& to) const;
  // Stops every direction `a` -> `b` for each pair (and `b` -> `a` too when `two_way`).
  void partition(const std::set<std::pair<std::string, std::string>>& pairs, bool two_way = true);
  // Every direction back to normal, every toxic removed, lost responses off, every link up (as the proxy's reset).
  // Authorities set down stay down: that is a node's state, not the network's.
  void heal_all();

  // --- Observation ---
  const LinkCounters& counters(const std::string& client_host, const std::string& server_host) const;
  // Set before the traffic to observe: an exchange notes its request line for the response's event only while
  // there is an observer.
  void set_observer(NetObserver observer) { observer_ = std::move(observer); }
  const BandwidthModel& bandwidth() const { return model_; }
  size_t exchanges_in_flight() const { return live_exchanges_; }

  static std::string host_of(std::string_view authority);  // "cloud:5001" -> "cloud", "[::1]:80" -> "[::1]"

 private:
  class Client;
  struct Exchange;
  struct Direction;
  struct ProxyLink;
  class Batch;
  using HostPair = std::pair<std::string, std::string>;
  // Ordered as std::pair<std::string, std::string> is (so iteration, which reaches the trace, is unchanged), and
  // asked with views: the lookups made for every exchange built two strings for their keys.
  using HostPairView = std::pair<std::string_view, std::string_view>;
  struct HostPairLess {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      const int first = std::string_view(a.first).compare(std::string_view(b.first));
      return first != 0 ? first < 0 : std::string_view(a.second) < std::string_view(b.second);
    }
  };
  struct HostPairHash {
    size_t operator()(const HostPairView& pair) const {
      const size_t first = std::hash<std::string_view>{}(pair.first);
      return first ^ (std::hash<std::string_view>{}(pair.second) + 0x9e3779b97f4a7c15ULL + (first << 6) + (first >> 2));
    }
  };

  // An authority as the network knows it: its handler (null when none is attached) and whether it is down. Made on
  // first mention, never erased (owned by servers_), so routes and exchanges point at it instead of looking the
  // authority up by name in several tables for every exchange.
  struct Server {
    // What every request's arrival reads comes first, on the object's first cache line.
    http::Handler* handler = nullptr;
    bool down = false;
    std::string authority;
    std::string host;  // host_of(authority)
  };
  // A copy of a short name kept beside what it stands for: recognising the name then reads memory already at hand,
  // not the heap bytes of the long-lived original, which are cold by the next exchange (a node's exchanges are
  // minutes apart). A name too long to keep is compared with the original.
  class NearKey {
   public:
    static constexpr size_t kCapacity = 47;
    void assign(std::string_view name) {
      size_ = static_cast<uint8_t>(std::min(name.size(), kCapacity + 1));
      if (name.size() <= kCapacity) name.copy(bytes_, name.size());
    }
    // Whether `name` is the kept name, whose original `original()` gives: asked for only when the name is too long to
    // keep, so that the original's owner (cold) is not even reached otherwise.
    template <class Original>
    bool is(std::string_view name, Original original) const {
      if (name.size() <= kCapacity) return name.size() == size_ && name == std::string_view(bytes_, size_);
      return size_ > kCapacity && name == std::string_view(original());
    }

   private:
    uint8_t size_ = 0;  // kCapacity + 1: too long to keep
    char bytes_[kCapacity] = {};
  };
  struct PathCounts;
  // Where a client's last request went: a client (a node's agent) sends nearly everything to one authority, so its
  // server, their link and the link's delivery counts for the authority are worked out once, not looked up by name
  // for every exchange.
  struct Route {
    Server* server = nullptr;         // owned by servers_, never erased
    ProxyLink* link = nullptr;        // owned by proxy_links_, never erased
    PathCounts* delivered = nullptr;  // owned by the link, never erased
    NearKey authority;                // the server's
  };
  // Names one exchange for a later event: its slot in exchange_slots_ (found without hashing) and its id (the slot
  // may hold a later exchange by then).
  struct Ticket {
    uint64_t id = 0;
    uint32_t slot = 0;
  };
  void send(const std::string& from, Route& route, http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done);

  // The life of an exchange (sim_network.cpp tells the story in order).
  void begin_stream(Exchange& ex, Stream stream, bool may_run_inline);
  void arrive(Ticket ticket);
  void flow_done(Exchange& ex, uint64_t delivered);
  void run_handler(Exchange& ex);
  void respond(Ticket ticket, http::Response response);
  void deliver_response(Exchange& ex);
  // Endings and faults.
  void refuse(Exchange& ex, const std::string& error, bool reset);
  // Bytes dropped (or stopped by reset_peer): only a timer ends it now. False when the exchange is over (nobody was
  // waiting for it).
  bool stall(Exchange& ex, std::string_view why, bool dropped);
  void cut(Exchange& ex, std::string_view why, const std::string& error);
  void take_partial(Exchange& ex, uint64_t delivered);
  // The sink the response's body goes to: the exchange's, for a successful response only (http::body_goes_to_sink).
  static http::BodySink* sink_for(const Exchange& ex);
  void on_idle_timeout(Ticket ticket);
  void fail_later(Exchange& ex, Nanoseconds delay, std::string error);
  void finish(Exchange& ex, http::ClientResult result);
  uint64_t stop_flow(Exchange& ex);
  void arm_idle(Exchange& ex);
  void disarm_idle(Exchange& ex);
  bool moves_bytes(const Exchange& ex, const HostPair& direction) const;
  void set_state(const std::string& from, const std::string& to, DirectionState state, Nanoseconds extra,
                 std::string_view what);
  void apply_new_toxic(Exchange& ex, const Toxic& toxic);
  void refresh_cap(Exchange& ex);
  void lift_limit(Exchange& ex);
  void fail_back(Exchange& ex, std::string error);
  bool draw(double probability);

  Direction& direction(std::string_view from, std::string_view to);
  // The direction the exchange's current message travels, looked up once per stream and kept on the exchange.
  Direction& direction_of(Exchange& ex);
  Nanoseconds one_way(std::string_view from, std::string_view to);  // a message's latency, drawn
  Nanoseconds one_way(const Direction& dir);
  ProxyLink& proxy_link(const std::string& client_host, const std::string& server_host);
  BandwidthModel::ResourceId egress(std::string_view host);
  BandwidthModel::ResourceId ingress(std::string_view host);
  void on_completion();
  void reschedule_completion();
  Exchange* find(Ticket ticket);
  // The exchanges in flight in id order (the order faults apply in), as tickets, those matching `keep` only.
  template <class Keep>
  std::vector<Ticket> tickets_where(Keep keep) const;
  Server& server(const std::string& authority);
  // The network's timers are the loop's cheapest kind, plain ids (EventLoop::add_timer_after), not handles: cancels one
  // if set, and clears it.
  void cancel(TimerId& timer);
  void emit(NetEventKind kind, std::string_view from, std::string_view to, std::string_view what);

  EventLoop& loop_;
  Random& random_;
  BandwidthModel model_;
  StringMap<std::unique_ptr<Server>> servers_;  // by authority; looked up per route, never iterated
  std::set<HostPair, HostPairLess> links_down_;  // (from host, authority)
  std::map<HostPair, std::unique_ptr<Direction>, HostPairLess> directions_;
  // egress, ingress
  std::map<std::string, std::pair<BandwidthModel::ResourceId, BandwidthModel::ResourceId>, std::less<>> nics_;
  std::map<HostPair, std::unique_ptr<ProxyLink>, HostPairLess> proxy_links_;
  // The same links hashed, keyed by views of proxy_links_' keys (its nodes never move), for the lookup every exchange
  // makes: the ordered map compared long, alike host names at each step (thousands of hosts in a wide fleet).
  std::unordered_map<HostPairView, ProxyLink*, HostPairHash> proxy_link_index_;
  // The exchanges in flight, by slot (null: free, reused last freed first): every message finds its exchange by an
  // index, not by hashing its id (thousands are in flight in a big world). Faults, which apply in id order, sort.
  std::vector<std::unique_ptr<Exchange>> exchange_slots_;
  std::vector<uint32_t> free_exchange_slots_;
  size_t live_exchanges_ = 0;
  // Scratch for on_completion(), kept for its room.
  std::vector<BandwidthModel::Completed> completed_;
  std::vector<std::pair<Ticket, uint64_t>> finished_;
  std::map<std::string, std::unique_ptr<Client>> clients_;
  uint64_t next_exchange_ = 1;
  TimerId completion_timer_ = 0;
  std::optional<Nanoseconds> completion_at_;
  int batch_depth_ = 0;
  NetObserver observer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // asynchronous handlers answer through a weak_ptr to it
};

}  // namespace outpost::sim
