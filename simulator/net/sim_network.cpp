#include "simulator/net/sim_network.h"

#include <algorithm>
#include <array>
#include <stdexcept>

#include "reference/common/string_hash.h"
#include "simulator/net/http_wire.h"
#include "simulator/net/sink_guard.h"
#include "simulator/net/synthetic_body.h"

namespace outpost::sim {

namespace {
size_t index_of(Stream stream) { return stream == Stream::Upstream ? 0 : 1; }

// Starts loading the cache line at `address` without waiting for it (null: nothing). A prefetch never faults, so an
// address whose object may be gone by then costs a wasted load at worst. (Always inlined: a function that only
// prefetches looks free of effects to the optimiser, which may then drop its calls.)
[[gnu::always_inline]] inline void prefetch(const void* address) {
  if (address) __builtin_prefetch(address);
}

// Where an exchange is. Latency phases: the message is in the air. Flow phases: its bytes are crossing (a flow in the
// bandwidth model, or held by a jam). Stalled: its bytes were dropped; only the client's idle timeout (or a toxic's
// own timer) ends it. Failing: the error is on its way back to the client.
enum class Phase { RequestLatency, RequestFlow, Handler, ResponseLatency, ResponseFlow, Stalled, Failing };

std::string millis(Nanoseconds duration) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(duration).count()) + " ms";
}
}  // namespace

std::string_view net_event_kind_name(NetEventKind kind) {
  switch (kind) {
    case NetEventKind::Request: return "request";
    case NetEventKind::Response: return "response";
    case NetEventKind::Fault: return "fault";
    case NetEventKind::Control: return "control";
  }
  return "unknown";
}

struct SimNetwork::Direction {
  DirectionSpec spec;
  BandwidthModel::ResourceId resource = 0;
  DirectionState state = DirectionState::Normal;
  Nanoseconds extra{0};  // a slowed direction's added latency
};

// One link's deliveries to one authority, by path (the target without its query). A client asks for few paths, turn
// about (its long poll, its status post), so the last two counted are kept at hand, their names and their counts so
// far: a delivery is then counted by comparing the path with two, without reaching the table (cold since the
// client's last exchange). A count kept at hand goes into the table when another path takes its place.
struct SimNetwork::PathCounts {
  struct Recent {
    uint64_t* count = nullptr;  // by_path's node, which never moves (its key, the path, is `key`)
    uint64_t pending = 0;       // deliveries not yet added to *count
    std::string_view key;
    NearKey near;

    bool is(std::string_view path) const { return count && near.is(path, [this] { return key; }); }
  };
  StringMap<uint64_t> by_path;
  Recent recent[2];

  void count(std::string_view path) {
    if (recent[0].is(path)) {
      ++recent[0].pending;
      return;
    }
    std::swap(recent[0], recent[1]);
    if (!recent[0].is(path)) {
      Recent& leaving = recent[0];
      if (leaving.count) *leaving.count += leaving.pending;
      auto counted = by_path.find(path);
      if (counted == by_path.end()) counted = by_path.emplace(std::string(path), 0).first;
      leaving = Recent{&counted->second, 0, counted->first, {}};
      leaving.near.assign(counted->first);
    }
    ++recent[0].pending;
  }
  // Starts loading the path kept at hand, which count() compares first: the request reaches its handler an event or
  // two after it sets out, and by then the counts (cold since the link's last exchange) are in cache. (Always inlined,
  // as BandwidthModel::prefetch is.)
  [[gnu::always_inline]] void prefetch() const {
    __builtin_prefetch(&recent[0]);
    __builtin_prefetch(reinterpret_cast<const char*>(&recent[0]) + sizeof(Recent) - 1);
  }
  // Deliveries to paths that start with `prefix`.
  uint64_t total(std::string_view prefix) const {
    uint64_t sum = 0;
    for (const auto& [path, n] : by_path)
      if (std::string_view(path).starts_with(prefix)) sum += n;
    for (const Recent& kept : recent)
      if (kept.count && kept.key.starts_with(prefix)) sum += kept.pending;
    return sum;
  }
};

// Laid out by when its fields are read: those every message reads first (one cache line), then the toxics and the
// counters, then what only queries read. A link is cold at each of its messages (a node's are minutes apart).
struct SimNetwork::ProxyLink {
  // Per stream (0: client -> server, 1: back), once an exchange first needed them: the direction its bytes travel
  // and the NICs they cross (egress of the sender, ingress of the receiver). Owned by directions_ and nics_, never
  // erased; found here instead of by two host names for every message.
  Direction* directions[2] = {nullptr, nullptr};
  std::optional<std::pair<BandwidthModel::ResourceId, BandwidthModel::ResourceId>> nic_path[2];
  double lost_responses = 0;
  std::map<std::string, Toxic> toxics;  // by name
  LinkCounters counters;
  // Requests delivered to handlers, by authority. Summed for requests_to(), never iterated in order; routes keep a
  // pointer to their authority's entry (unordered_map nodes stay put).
  StringMap<PathCounts> delivered;
};

struct alignas(64) SimNetwork::Exchange {
  // What nearly every event of the exchange reads comes first, on one cache line (aligned to one): a long poll's
  // exchange is cold by the time its answer comes, and each line touched then is a miss.
  uint64_t id = 0;
  uint32_t slot = 0;  // in exchange_slots_
  Phase phase = Phase::RequestLatency;
  // The message of the current stream:
  Stream stream = Stream::Upstream;
  bool head = false;
  // The client gave up (idle timeout) while its request was still travelling: the request may still reach the server
  // and be applied (TCP would deliver bytes already sent), but nobody hears the answer.
  bool client_gone = false;
  bool idle_armed = false;
  bool synthetic = false;
  bool failure_held = false;  // `failure` waits for its way back, jammed, to be restored (fail_back)
  TimerId phase_timer = 0;
  TimerId idle_timer = 0;
  // The client's host (its Client's, never erased) and the server (servers_', never erased): pointed at, not copied
  // for every exchange.
  Server* target = nullptr;
  ProxyLink* link = nullptr;  // owned by proxy_links_, never erased
  const std::string* client = nullptr;
  PathCounts* delivered = nullptr;  // the link's counts for the authority
  uint64_t head_bytes = 0;
  uint64_t body_bytes = 0;  // a synthetic body's declared size (synthetic_body.h), which the links are charged for
  uint64_t flow_bytes = 0;
  std::optional<BandwidthModel::FlowId> flow;
  std::optional<uint64_t> limit;  // limit_data: how many of its bytes get through
  Nanoseconds close_delay{0};     // slow_close
  std::vector<Toxic> toxics[2];  // the toxics that apply to this exchange, per stream
  // Until the handler has it (and its body): what is left of it is then destroyed at once, while warm, rather than
  // with the exchange, at a long poll's answer minutes later, when each line of it would be read again cold.
  std::optional<http::ClientRequest> request;
  Nanoseconds idle_timeout{0};  // the request's, which outlives it
  std::shared_ptr<http::BodySink> sink;
  std::function<void(http::ClientResult)> done;
  http::Response response;
  std::string stalled_by;  // the timeout toxic holding it, whose removal closes the connection
  std::string failure;     // the transport error fail_later() delivers (kept here, the timer's capture stays small)
  // "GET /target", once the handler has the request (and its target); only with an observer, which alone reads it.
  std::string request_line;

  const std::string& from() const { return *client; }                 // the client's host
  const std::string& server() const { return target->host; }         // the server's host
  const std::string& authority() const { return target->authority; }  // the server's host:port
  Ticket ticket() const { return {id, slot}; }

  std::pair<std::string_view, std::string_view> bytes_direction() const {
    return stream == Stream::Upstream ? std::pair<std::string_view, std::string_view>{from(), server()}
                                      : std::pair<std::string_view, std::string_view>{server(), from()};
  }
  bool in_flight(Stream s) const {
    if (stream != s) return false;
    return s == Stream::Upstream ? (phase == Phase::RequestLatency || phase == Phase::RequestFlow)
                                 : (phase == Phase::ResponseLatency || phase == Phase::ResponseFlow);
  }
  bool in_flow() const { return phase == Phase::RequestFlow || phase == Phase::ResponseFlow; }
};

// Every entry point (public call or loop event) opens a batch; the last one to close re-arms the completion timer
// once, however many flows started and stopped inside it.
class SimNetwork::Batch {
 public:
  explicit Batch(SimNetwork& network) : network_(network) { ++network_.batch_depth_; }
  ~Batch() {
    if (--network_.batch_depth_ == 0) network_.reschedule_completion();
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

 private:
  SimNetwork& network_;
};

class SimNetwork::Client final : public http::HttpClient {
 public:
  Client(SimNetwork& network, std::string from) : network_(network), from_(std::move(from)) {}
  void send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done) override {
    wire::guard_sink(request.authority, sink, done);  // a sink that throws fails the exchange, as live
    network_.send(from_, route_, std::move(request), std::move(sink), std::move(done));
  }

 private:
  SimNetwork& network_;
  std::string from_;
  Route route_;
};

SimNetwork::SimNetwork(EventLoop& loop, Random& random) : loop_(loop), random_(random) {}

SimNetwork::~SimNetwork() {
  cancel(completion_timer_);
  for (auto& ex : exchange_slots_) {
    if (!ex) continue;
    cancel(ex->phase_timer);
    cancel(ex->idle_timer);
  }
}

void SimNetwork::cancel(TimerId& timer) {
  if (timer != 0) loop_.cancel_timer(timer);
  timer = 0;
}

SimNetwork::Server& SimNetwork::server(const std::string& authority) {
  auto found = servers_.find(authority);
  if (found == servers_.end()) {
    auto made = std::make_unique<Server>();
    made->authority = authority;
    made->host = host_of(authority);
    found = servers_.emplace(authority, std::move(made)).first;
  }
  return *found->second;
}

std::string SimNetwork::host_of(std::string_view authority) {
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    return std::string(close == std::string_view::npos ? authority : authority.substr(0, close + 1));
  }
  const size_t colon = authority.rfind(':');
  return std::string(colon == std::string_view::npos ? authority : authority.substr(0, colon));
}

// ---------------------------------------------------------------------------------------------------------------
// DirectNetwork's surface

void SimNetwork::attach(const std::string& authority, http::Handler& handler) { server(authority).handler = &handler; }
void SimNetwork::detach(const std::string& authority) {
  if (const auto found = servers_.find(authority); found != servers_.end()) found->second->handler = nullptr;
}

void SimNetwork::set_down(const std::string& authority, bool down) {
  Batch batch(*this);
  Server& target = server(authority);
  if (target.down == down) return;
  target.down = down;
  if (!down) {
    emit(NetEventKind::Control, authority, authority, "up");
    return;
  }
  emit(NetEventKind::Control, authority, authority, "down");
  // A stopped process resets the connections it had accepted; requests still in the air are refused on arrival,
  // and those already dropped on the way never reached it.
  const std::vector<Ticket> tickets = tickets_where([&target](const Exchange& ex) {
    const bool accepted = ex.phase == Phase::RequestFlow || ex.phase == Phase::Handler ||
                          (ex.stream == Stream::Downstream && ex.phase != Phase::Failing);
    return ex.target == &target && accepted;
  });
  for (const Ticket ticket : tickets)
    if (Exchange* ex = find(ticket)) cut(*ex, "reset", "connection reset by " + authority + " (down)");
}

void SimNetwork::set_link_down(const std::string& from, const std::string& authority, bool down) {
  Batch batch(*this);
  if (!down) {
    if (links_down_.erase({from, authority}) > 0) emit(NetEventKind::Control, from, authority, "link_up");
    return;
  }
  if (!links_down_.insert({from, authority}).second) return;
  emit(NetEventKind::Control, from, authority, "link_down");
  // As the proxy's `down`: every open connection of the link is closed.
  const std::vector<Ticket> tickets = tickets_where([&](const Exchange& ex) {
    return ex.from() == from && ex.authority() == authority && ex.phase != Phase::Failing;
  });
  for (const Ticket ticket : tickets)
    if (Exchange* ex = find(ticket)) cut(*ex, "reset", "connection reset: the link to " + authority + " is down");
}

void SimNetwork::client_died(const std::string& from) {
  Batch batch(*this);
  const std::vector<Ticket> tickets = tickets_where([&from](const Exchange& ex) {
    return ex.phase != Phase::Failing && !ex.client_gone && ex.from() == from;
  });
  for (const Ticket ticket : tickets) {
    Exchange* found = find(ticket);
    if (!found) continue;
    Exchange& ex = *found;
    ex.client_gone = true;
    switch (ex.phase) {
      case Phase::RequestLatency:  // sent: it may still land and be applied, as a request the client gave up on
      case Phase::Handler:         // the server finishes it and answers nobody (respond)
        disarm_idle(ex);
        break;
      case Phase::RequestFlow:   // cut short: the server never has the whole request
      case Phase::ResponseFlow:  // what arrived reached the sink (stop_flow); the rest is not sent
        stop_flow(ex);
        ++(ex.stream == Stream::Upstream ? ex.link->counters.upstream : ex.link->counters.downstream).resets;
        finish(ex, {});
        break;
      case Phase::ResponseLatency:  // on its way to a reader that is gone
      case Phase::Stalled:          // held: what had arrived was handed over when it stalled
        finish(ex, {});
        break;
      case Phase::Failing:
        break;
    }
  }
}

namespace {
// Of one link's deliveries, those to `authority` whose path starts with `prefix`.
template <class Delivered>
uint64_t count_delivered(const Delivered& delivered, std::string_view authority, std::string_view prefix) {
  const auto by_authority = delivered.find(authority);
  return by_authority == delivered.end() ? 0 : by_authority->second.total(prefix);
}
}  // namespace

uint64_t SimNetwork::requests_to(const std::string& authority, std::string_view path_prefix) const {
  uint64_t count = 0;
  for (const auto& [key, link] : proxy_links_) count += count_delivered(link->delivered, authority, path_prefix);
  return count;
}

uint64_t SimNetwork::requests_between(const std::string& from, const std::string& authority,
                                      std::string_view path_prefix) const {
  uint64_t count = 0;
  for (const auto& [key, link] : proxy_links_)
    if (key.first == from) count += count_delivered(link->delivered, authority, path_prefix);
  return count;
}

http::HttpClient& SimNetwork::client(const std::string& from) {
  auto& slot = clients_[from];
  if (!slot) slot = std::make_unique<Client>(*this, from);
  return *slot;
}

// ---------------------------------------------------------------------------------------------------------------
// Topology

SimNetwork::Direction& SimNetwork::direction(std::string_view from, std::string_view to) {
  auto found = directions_.find(HostPairView(from, to));
  if (found == directions_.end()) {
    auto made = std::make_unique<Direction>();
    made->resource = model_.add_resource(0);
    found = directions_.emplace(HostPair(from, to), std::move(made)).first;
  }
  return *found->second;
}

SimNetwork::Direction& SimNetwork::direction_of(Exchange& ex) {
  Direction*& known = ex.link->directions[index_of(ex.stream)];
  if (!known) {
    const auto [src, dst] = ex.bytes_direction();
    known = &direction(src, dst);
  }
  return *known;
}

Nanoseconds SimNetwork::one_way(std::string_view from, std::string_view to) { return one_way(direction(from, to)); }

Nanoseconds SimNetwork::one_way(const Direction& dir) {
  Nanoseconds delay = dir.spec.latency.draw(random_);
  if (dir.state == DirectionState::Slowed) delay += dir.extra;
  return delay;
}

BandwidthModel::ResourceId SimNetwork::egress(std::string_view host) {
  auto found = nics_.find(host);
  if (found == nics_.end())
    found = nics_.emplace(std::string(host), std::make_pair(model_.add_resource(0), model_.add_resource(0))).first;
  return found->second.first;
}

BandwidthModel::ResourceId SimNetwork::ingress(std::string_view host) {
  egress(host);
  return nics_.find(host)->second.second;
}

void SimNetwork::set_link(const std::string& a, const std::string& b, const LinkSpec& spec) {
  Batch batch(*this);
  Direction& forward = direction(a, b);
  forward.spec = spec.forward;
  model_.set_capacity(loop_.now(), forward.resource, spec.forward.bytes_per_second);
  Direction& backward = direction(b, a);
  backward.spec = spec.backward;
  model_.set_capacity(loop_.now(), backward.resource, spec.backward.bytes_per_second);
}

void SimNetwork::set_nic(const std::string& host, uint64_t egress_bytes_per_second, uint64_t ingress_bytes_per_second) {
  Batch batch(*this);
  model_.set_capacity(loop_.now(), egress(host), egress_bytes_per_second);
  model_.set_capacity(loop_.now(), ingress(host), ingress_bytes_per_second);
}

SimNetwork::ProxyLink& SimNetwork::proxy_link(const std::string& client_host, const std::string& server_host) {
  if (const auto indexed = proxy_link_index_.find(HostPairView(client_host, server_host));
      indexed != proxy_link_index_.end())
    return *indexed->second;
  const auto made = proxy_links_.emplace(HostPair(client_host, server_host), std::make_unique<ProxyLink>()).first;
  proxy_link_index_.emplace(HostPairView(made->first.first, made->first.second), made->second.get());
  return *made->second;
}

const LinkCounters& SimNetwork::counters(const std::string& client_host, const std::string& server_host) const {
  static const LinkCounters kNone;
  const auto found = proxy_links_.find(HostPairView(client_host, server_host));
  return found == proxy_links_.end() ? kNone : found->second->counters;
}

// ---------------------------------------------------------------------------------------------------------------
// The life of an exchange

bool SimNetwork::draw(double probability) {
  if (probability >= 1.0) return true;
  if (probability <= 0.0) return false;
  constexpr uint64_t kScale = uint64_t{1} << 53;  // doubles hold every integer below this exactly
  return static_cast<double>(random_.uniform(kScale)) < probability * static_cast<double>(kScale);
}

void SimNetwork::send(const std::string& from, Route& route, http::ClientRequest request,
                      std::shared_ptr<http::BodySink> sink, std::function<void(http::ClientResult)> done) {
  if (!route.server ||
      !route.authority.is(request.authority, [&route]() -> const std::string& { return route.server->authority; })) {
    route.server = &server(request.authority);
    route.link = &proxy_link(from, route.server->host);
    route.delivered = &route.link->delivered[request.authority];
    route.authority.assign(request.authority);
  }
  route.delivered->prefetch();
  Batch batch(*this);
  uint32_t slot;
  if (!free_exchange_slots_.empty()) {
    slot = free_exchange_slots_.back();
    free_exchange_slots_.pop_back();
  } else {
    slot = static_cast<uint32_t>(exchange_slots_.size());
    exchange_slots_.emplace_back();
  }
  exchange_slots_[slot] = std::make_unique<Exchange>();
  ++live_exchanges_;
  Exchange& ex = *exchange_slots_[slot];
  ex.id = next_exchange_++;
  ex.slot = slot;
  ex.client = &from;
  ex.target = route.server;
  ex.link = route.link;
  ex.delivered = route.delivered;
  ex.head = request.method == http::Method::Head;
  ex.idle_timeout = request.idle_timeout;
  ex.request = std::move(request);
  ex.sink = std::move(sink);
  ex.done = std::move(done);
  ++ex.link->counters.requests;
  // One toxicity draw per toxic per exchange (an exchange is a connection), in name order.
  for (const auto& [name, toxic] : ex.link->toxics)
    if (draw(toxic.toxicity)) ex.toxics[index_of(toxic.stream)].push_back(toxic);
  begin_stream(ex, Stream::Upstream, /*may_run_inline=*/false);  // `done` never runs inside send()
}

// A message enters its link: its latency is drawn and its toxics decide what becomes of it.
void SimNetwork::begin_stream(Exchange& ex, Stream stream, bool may_run_inline) {
  ex.stream = stream;
  ex.phase = stream == Stream::Upstream ? Phase::RequestLatency : Phase::ResponseLatency;
  if (stream == Stream::Upstream) {
    ex.head_bytes = wire::request_head_bytes(*ex.request);
    ex.body_bytes = wire::request_body_bytes(*ex.request);
    const auto recipe = synthetic::take_recipe(ex.request->body);
    ex.synthetic = recipe.has_value();
    if (recipe) ex.body_bytes = recipe->size;
  }
  ex.limit.reset();
  ex.close_delay = Nanoseconds(0);
  const Direction& dir = direction_of(ex);
  // The arrival reads the server's state too (which send() no longer reaches).
  if (stream == Stream::Upstream) prefetch(ex.target);
  if (const auto& nics = ex.link->nic_path[index_of(stream)]) {
    // The arrival (a later event) reads the path's state in the bandwidth model, cold since the link's last message:
    // it starts loading now, while the latency is drawn and the timer set.
    model_.prefetch(nics->first);
    model_.prefetch(dir.resource);
    model_.prefetch(nics->second);
  }
  Nanoseconds delay = one_way(dir);
  const Toxic* timeout = nullptr;
  const Toxic* reset = nullptr;
  const uint64_t total = ex.head_bytes + ex.body_bytes;
  for (const Toxic& toxic : ex.toxics[index_of(stream)]) {
    const ToxicAttributes& a = toxic.attributes;
    switch (toxic.type) {
      case ToxicType::Latency:
        delay += a.latency;
        if (a.jitter.count() > 0) {
          const auto jitter = static_cast<uint64_t>(Nanoseconds(a.jitter).count());
          delay += Nanoseconds(static_cast<int64_t>(random_.uniform(2 * jitter + 1)) - static_cast<int64_t>(jitter));
        }
        break;
      case ToxicType::Timeout:
        if (!timeout) timeout = &toxic;
        break;
      case ToxicType::ResetPeer:
        if (!reset) reset = &toxic;
        break;
      case ToxicType::LimitData:
        ex.limit = std::min(ex.limit.value_or(UINT64_MAX), a.bytes);
        break;
      case ToxicType::Slicer: {
        // Slices of average_size, `delay` apart: at flow level only the pauses between slices show.
        const uint64_t slices = (total + a.average_size - 1) / a.average_size;
        if (slices > 1) delay += Nanoseconds(a.slice_delay) * static_cast<int64_t>(slices - 1);
        break;
      }
      case ToxicType::SlowClose:
        ex.close_delay += a.close_delay;
        break;
      case ToxicType::Bandwidth:
        break;  // a cap on the flow, set when it starts
    }
  }
  delay = std::max(delay, Nanoseconds(0));
  const Ticket ticket = ex.ticket();
  if (dir.state == DirectionState::Stopped) {
    stall(ex, "dropped", true);
    return;
  }
  if (timeout) {
    ex.stalled_by = timeout->name;
    const Nanoseconds after = timeout->attributes.timeout;
    if (!stall(ex, "timeout", true) || after.count() == 0) return;
    ex.phase_timer = loop_.add_timer_after(after, [this, ticket] {
      Batch batch(*this);
      if (Exchange* held = find(ticket)) cut(*held, "timeout_close", "connection closed by " + held->authority());
    });
    return;
  }
  if (reset) {
    const Nanoseconds after = reset->attributes.timeout;
    if (!stall(ex, "reset_peer", false)) return;
    ex.phase_timer = loop_.add_timer_after(after, [this, ticket] {
      Batch batch(*this);
      if (Exchange* held = find(ticket)) cut(*held, "reset_peer", "connection reset by peer " + held->authority());
    });
    return;
  }
  // A message slower than the client's patience: the client gives up first (its timer is scheduled first, so it
  // wins a tie), but the message still lands.
  if (delay >= ex.idle_timeout) arm_idle(ex);
  if (delay.count() == 0 && may_run_inline) {
    arrive(ticket);
  } else {
    ex.phase_timer = loop_.add_timer_after(delay, [this, ticket] {
      Batch batch(*this);
      arrive(ticket);
    });
  }
}

// The message reached the far end of its latency: the connection is accepted (or not) and its bytes start to flow.
void SimNetwork::arrive(Ticket ticket) {
  Exchange* found = find(ticket);
  if (!found) return;
  Exchange& ex = *found;
  if (!ex.client_gone) disarm_idle(ex);
  if (ex.stream == Stream::Upstream) {
    // (Emptiness first: the names are the client's and the server's, both cold by now.)
    if (!links_down_.empty() && links_down_.contains(HostPairView(ex.from(), ex.authority()))) {
      refuse(ex, "connection reset: the link to " + ex.authority() + " is down", true);
      return;
    }
    if (!ex.target->handler || ex.target->down) {
      refuse(ex, "connection refused by " + ex.authority(), false);
      return;
    }
  }
  auto& nics = ex.link->nic_path[index_of(ex.stream)];
  if (!nics) {
    const auto [src, dst] = ex.bytes_direction();
    // Sender first: resources are numbered as they are first met (the direction was, when the message set out).
    const BandwidthModel::ResourceId sender = egress(src);
    nics.emplace(sender, ingress(dst));
  }
  // On the stack: most messages cross an ideal path and never become a flow.
  const BandwidthModel::ResourceId path[] = {nics->first, direction_of(ex).resource, nics->second};
  uint64_t cap = 0;
  for (const Toxic& toxic : ex.toxics[index_of(ex.stream)])
    if (toxic.type == ToxicType::Bandwidth && toxic.bandwidth_cap() > 0)
      cap = cap == 0 ? toxic.bandwidth_cap() : std::min(cap, toxic.bandwidth_cap());
  cap = std::min(cap, BandwidthModel::kMaxCapacity);
  const uint64_t total = ex.head_bytes + ex.body_bytes;
  ex.flow_bytes = std::min(total, ex.limit.value_or(UINT64_MAX));
  ex.phase = ex.stream == Stream::Upstream ? Phase::RequestFlow : Phase::ResponseFlow;
  if (!model_.constrained(path, cap)) {  // an ideal path: the bytes are there at once, no event needed
    flow_done(ex, ex.flow_bytes);
    return;
  }
  // Owned by its slot: on_completion() finds the exchange there (and checks it is still the flow's).
  const BandwidthModel::FlowId flow = model_.start(loop_.now(), ex.flow_bytes, path, cap, ex.slot);
  ex.flow = flow;
  if (model_.rate_fixed(flow) == 0) arm_idle(ex);  // held by a jam: silence, as far as the client can tell
}

// The message's bytes are through (all of them, or as many as limit_data let pass).
void SimNetwork::flow_done(Exchange& ex, uint64_t delivered) {
  ex.flow.reset();
  const bool up = ex.stream == Stream::Upstream;
  StreamCounters& counters = up ? ex.link->counters.upstream : ex.link->counters.downstream;
  counters.bytes += delivered;
  if (delivered < ex.head_bytes + ex.body_bytes) {  // limit_data closed the connection
    take_partial(ex, delivered);
    cut(ex, "limit_data", "connection closed by " + ex.authority() + " after " + std::to_string(delivered) + " bytes");
    return;
  }
  if (up) {
    ++counters.messages;
    run_handler(ex);
  } else {
    deliver_response(ex);
  }
}

void SimNetwork::run_handler(Exchange& ex) {
  http::Handler* const handler = ex.target->handler;
  if (!handler || ex.target->down) {
    refuse(ex, "connection refused by " + ex.authority(), false);
    return;
  }
  ex.phase = Phase::Handler;
  const std::string_view target = ex.request->target;
  ex.delivered->count(target.substr(0, target.find('?')));
  if (observer_) {
    // Kept for the response's event: the handler's request takes the target.
    ex.request_line.reserve(http::method_name(ex.request->method).size() + 1 + target.size());
    ex.request_line.append(http::method_name(ex.request->method)).append(1, ' ').append(target);
    emit(NetEventKind::Request, ex.from(), ex.authority(), ex.request_line);
  }
  const Ticket ticket = ex.ticket();
  http::Response response;
  try {
    // The handler gets the request's headers (its head was counted when it set out).
    std::unique_ptr<http::Call> call = handler->start(wire::server_request(ex.from(), *ex.request));
    wire::feed_body(*ex.request, *call);
    ex.request.reset();
    if (call->asynchronous()) {
      // It answers in a later event (a long poll): the client hears nothing meanwhile, as its idle_timeout knows.
      arm_idle(ex);
      std::weak_ptr<int> alive = alive_;
      // A long poll answers minutes later, when what respond() reads is cold, each line found through the one before
      // (the slot, the exchange, its link, the direction back). Kept here, they start loading together then.
      // (The exchange's first three lines: its head, its sizes and flow, its toxics.)
      const auto* at = reinterpret_cast<const char*>(&ex);
      const std::array<const void*, 5> cold{at, at + 64, at + 128, ex.link,
                                            ex.link->directions[index_of(Stream::Downstream)]};
      // The call goes when this returns, warm (http.h: `respond` needs nothing of it), rather than with the answer
      // minutes later, when each line of it would be read again cold.
      call->finish_async([this, alive, ticket, cold](http::Response answer) {
        if (alive.expired()) return;
        if (ticket.slot < exchange_slots_.size()) prefetch(&exchange_slots_[ticket.slot]);
        prefetch(cold[0]);
        prefetch(cold[1]);
        prefetch(cold[2]);
        prefetch(cold[3]);
        prefetch(cold[4]);
        Batch batch(*this);
        respond(ticket, std::move(answer));
      });
      return;  // `ex` may be gone by now (the call may have answered at once)
    }
    response = call->finish();
  } catch (...) {
    response = wire::failure_response(std::current_exception());
  }
  respond(ticket, std::move(response));
}

// The server answered: the response enters the link back, unless it is lost.
void SimNetwork::respond(Ticket ticket, http::Response response) {
  Exchange* found = find(ticket);
  if (!found || found->phase != Phase::Handler) return;
  Exchange& ex = *found;
  disarm_idle(ex);
  if (ex.client_gone) {  // applied, and nobody listening
    finish(ex, {});
    return;
  }
  if (draw(ex.link->lost_responses)) {
    ++ex.link->counters.lost_responses;
    emit(NetEventKind::Fault, ex.authority(), ex.from(), "lost_response");
    fail_back(ex, "connection closed by " + ex.authority() + " before the response");
    return;
  }
  ex.response = std::move(response);
  if (!ex.response.headers.has("Content-Length"))
    ex.response.headers.set("Content-Length", std::to_string(ex.response.body_size()));
  ex.head_bytes = wire::response_head_bytes(ex.response.status, ex.response.headers);
  ex.body_bytes = ex.head ? 0 : ex.response.body_size();
  const auto recipe = ex.head ? std::nullopt : synthetic::take_recipe(ex.response);
  ex.synthetic = recipe.has_value();
  if (recipe) ex.body_bytes = recipe->size;
  begin_stream(ex, Stream::Downstream, /*may_run_inline=*/true);
}

void SimNetwork::deliver_response(Exchange& ex) {
  ++ex.link->counters.downstream.messages;
  ++ex.link->counters.completed;
  http::ClientResponse out;
  out.status = ex.response.status;
  out.headers = std::move(ex.response.headers);
  // The whole body, whatever the links were charged: a synthetic body's declared size (body_bytes) may be smaller than
  // the recipe it really is (synthetic_body.h), which must arrive whole; a layerSize under 68 bytes never converged.
  if (!ex.head) wire::copy_body(ex.response, ex.response.body_size(), sink_for(ex), out.body);
  if (observer_) {
    const std::string what = std::to_string(out.status) + " " + ex.request_line;
    emit(NetEventKind::Response, ex.authority(), ex.from(), what);
  }
  http::ClientResult result;
  result.response = std::move(out);
  finish(ex, std::move(result));
}

// ---------------------------------------------------------------------------------------------------------------
// Endings and faults

http::BodySink* SimNetwork::sink_for(const Exchange& ex) {
  return http::body_goes_to_sink(ex.response.status) ? ex.sink.get() : nullptr;
}

void SimNetwork::take_partial(Exchange& ex, uint64_t delivered) {
  // The client keeps what arrived of a cut response body, as the live client streams it to the sink: a Range
  // request can then ask for the rest.
  // Not an error's body either: the client hears nothing of a cut one.
  http::BodySink* const sink = sink_for(ex);
  if (ex.stream != Stream::Downstream || ex.head || !sink || delivered <= ex.head_bytes) return;
  // A synthetic body has no real bytes to hand over part of: a cut one delivers nothing, and the resume starts over.
  if (ex.synthetic) return;
  std::string unused;
  wire::copy_body(ex.response, std::min(delivered - ex.head_bytes, ex.body_bytes), sink, unused);
}

uint64_t SimNetwork::stop_flow(Exchange& ex) {
  if (!ex.flow) return 0;
  const uint64_t delivered = model_.stop(loop_.now(), *ex.flow);
  ex.flow.reset();
  (ex.stream == Stream::Upstream ? ex.link->counters.upstream : ex.link->counters.downstream).bytes += delivered;
  take_partial(ex, delivered);
  return delivered;
}

void SimNetwork::refuse(Exchange& ex, const std::string& error, bool reset) {
  ++ex.link->counters.refused;
  if (reset) ++ex.link->counters.upstream.resets;
  emit(NetEventKind::Fault, ex.from(), ex.authority(), reset ? "reset" : "refused");
  fail_back(ex, error);
}

// An error sent back from the server's side (a refusal, a close before the response) travels the way back like any
// message: a stopped direction drops it (the client hears only its idle timeout), a jammed one holds it until it is
// restored (set_state), a slowed one delays it.
void SimNetwork::fail_back(Exchange& ex, std::string error) {
  Direction& back = direction(ex.server(), ex.from());
  if (back.state != DirectionState::Stopped && back.state != DirectionState::Jammed) {
    fail_later(ex, one_way(back), std::move(error));
    return;
  }
  cancel(ex.phase_timer);
  ex.phase = Phase::Stalled;
  ex.failure = std::move(error);
  ex.failure_held = back.state == DirectionState::Jammed;
  if (!ex.failure_held) ++ex.link->counters.downstream.drops;
  emit(NetEventKind::Fault, ex.authority(), ex.from(), ex.failure_held ? "held" : "dropped");
  if (ex.client_gone) {
    finish(ex, {});
    return;
  }
  arm_idle(ex);
}

bool SimNetwork::stall(Exchange& ex, std::string_view why, bool dropped) {
  stop_flow(ex);
  cancel(ex.phase_timer);
  const auto [src, dst] = ex.bytes_direction();
  StreamCounters& counters = ex.stream == Stream::Upstream ? ex.link->counters.upstream : ex.link->counters.downstream;
  if (dropped) ++counters.drops;
  ex.phase = Phase::Stalled;
  emit(NetEventKind::Fault, src, dst, why);
  if (ex.client_gone) {  // nobody is waiting for it and nothing of it is left to arrive
    finish(ex, {});
    return false;
  }
  arm_idle(ex);
  return true;
}

void SimNetwork::cut(Exchange& ex, std::string_view why, const std::string& error) {
  stop_flow(ex);
  const auto [src, dst] = ex.bytes_direction();
  ++(ex.stream == Stream::Upstream ? ex.link->counters.upstream : ex.link->counters.downstream).resets;
  emit(NetEventKind::Fault, src, dst, why);
  fail_later(ex, ex.close_delay, error);
}

void SimNetwork::fail_later(Exchange& ex, Nanoseconds delay, std::string error) {
  ex.phase = Phase::Failing;
  cancel(ex.phase_timer);
  if (ex.client_gone) {
    finish(ex, {});
    return;
  }
  // Always a later event, even at no delay: faults are injected from outside events too, and `done` must not run
  // inside the caller's call.
  ex.failure = std::move(error);
  const Ticket ticket = ex.ticket();
  ex.phase_timer = loop_.add_timer_after(delay, [this, ticket] {
    Batch batch(*this);
    Exchange* failing = find(ticket);
    if (!failing) return;
    http::ClientResult result;
    result.transport_error = std::move(failing->failure);
    finish(*failing, std::move(result));
  });
}

void SimNetwork::on_idle_timeout(Ticket ticket) {
  Exchange* found = find(ticket);
  if (!found) return;
  Exchange& ex = *found;
  ex.idle_armed = false;
  ++ex.link->counters.timeouts;
  emit(NetEventKind::Fault, ex.authority(), ex.from(), "idle_timeout");
  http::ClientResult result;
  result.transport_error = "timed out: nothing from " + ex.authority() + " for " + millis(ex.idle_timeout);
  if (ex.phase == Phase::RequestLatency || ex.phase == Phase::RequestFlow) {
    // The request is on its way (in the air, or held by a jam): it may still land and be applied.
    ex.client_gone = true;
    auto done = std::move(ex.done);
    if (done) done(std::move(result));
    return;
  }
  stop_flow(ex);
  finish(ex, std::move(result));
}

void SimNetwork::finish(Exchange& ex, http::ClientResult result) {
  cancel(ex.phase_timer);
  cancel(ex.idle_timer);
  stop_flow(ex);
  auto done = std::move(ex.done);
  const bool heard = !ex.client_gone;
  const uint32_t slot = ex.slot;
  exchange_slots_[slot].reset();  // `ex` is gone from here on
  free_exchange_slots_.push_back(slot);
  --live_exchanges_;
  if (heard && done) done(std::move(result));
}

void SimNetwork::arm_idle(Exchange& ex) {
  if (ex.idle_armed || ex.client_gone) return;
  ex.idle_armed = true;
  const Ticket ticket = ex.ticket();
  ex.idle_timer = loop_.add_timer_after(ex.idle_timeout, [this, ticket] {
    Batch batch(*this);
    on_idle_timeout(ticket);
  });
}

void SimNetwork::disarm_idle(Exchange& ex) {
  if (!ex.idle_armed) return;
  cancel(ex.idle_timer);
  ex.idle_armed = false;
}

SimNetwork::Exchange* SimNetwork::find(Ticket ticket) {
  if (ticket.slot >= exchange_slots_.size()) return nullptr;
  Exchange* ex = exchange_slots_[ticket.slot].get();
  return ex && ex->id == ticket.id ? ex : nullptr;
}

template <class Keep>
std::vector<SimNetwork::Ticket> SimNetwork::tickets_where(Keep keep) const {
  std::vector<Ticket> tickets;
  for (const auto& ex : exchange_slots_)
    if (ex && keep(std::as_const(*ex))) tickets.push_back(ex->ticket());
  std::sort(tickets.begin(), tickets.end(), [](const Ticket& a, const Ticket& b) { return a.id < b.id; });
  return tickets;
}

void SimNetwork::emit(NetEventKind kind, std::string_view from, std::string_view to, std::string_view what) {
  if (observer_) observer_(NetEvent{loop_.now(), kind, from, to, what});
}

// ---------------------------------------------------------------------------------------------------------------
// Flow completions: one timer for the earliest completion in the whole model

void SimNetwork::reschedule_completion() {
  const std::optional<Nanoseconds> next = model_.next_completion();
  if (next == completion_at_) return;
  cancel(completion_timer_);
  completion_at_ = next;
  if (next) completion_timer_ = loop_.add_timer_after(*next - loop_.now(), [this] { on_completion(); });
}

void SimNetwork::on_completion() {
  Batch batch(*this);
  completion_timer_ = 0;  // this very timer: nothing left to cancel
  completion_at_.reset();
  // The scratch vectors are taken while in use (and given back with their room, so a completion allocates nothing).
  std::vector<BandwidthModel::Completed> completed = std::move(completed_);
  std::vector<std::pair<Ticket, uint64_t>> finished = std::move(finished_);  // (exchange, bytes)
  finished.clear();
  model_.take_completed(loop_.now(), completed);
  // First detach every completed flow from its exchange, then carry each exchange on: carrying one on runs handlers
  // and callbacks that may cut another exchange, which must not then stop a flow the model no longer has. A flow's
  // owner is its exchange's slot; an exchange that ends stops its flow, so the slot holds it still.
  for (const BandwidthModel::Completed& flow : completed) {
    Exchange* ex = flow.owner < exchange_slots_.size() ? exchange_slots_[flow.owner].get() : nullptr;
    if (!ex || ex->flow != flow.id) continue;
    ex->flow.reset();
    finished.emplace_back(ex->ticket(), ex->flow_bytes);
  }
  for (const auto& [ticket, bytes] : finished) {
    Exchange* ex = find(ticket);
    if (ex && ex->in_flow() && !ex->flow) flow_done(*ex, bytes);
  }
  completed_ = std::move(completed);
  finished_ = std::move(finished);
}

// ---------------------------------------------------------------------------------------------------------------
// Toxics

void SimNetwork::add_toxic(const std::string& client_host, const std::string& server_host, Toxic toxic) {
  Batch batch(*this);
  ProxyLink& link = proxy_link(client_host, server_host);
  if (link.toxics.contains(toxic.name)) throw std::invalid_argument("toxic already exists: " + toxic.name);
  const std::string name = toxic.name;
  const Toxic& added = link.toxics.emplace(name, std::move(toxic)).first->second;
  emit(NetEventKind::Control, client_host, server_host, "toxic_added " + name);
  // "A toxic acts on the bytes that flow after it is added, on connections that were already open too."
  const std::vector<Ticket> tickets = tickets_where(
      [&](const Exchange& ex) { return ex.from() == client_host && ex.server() == server_host; });
  for (const Ticket ticket : tickets) {
    Exchange* ex = find(ticket);
    if (ex && draw(added.toxicity)) apply_new_toxic(*ex, added);
  }
}

void SimNetwork::apply_new_toxic(Exchange& ex, const Toxic& toxic) {
  ex.toxics[index_of(toxic.stream)].push_back(toxic);
  if (!ex.in_flight(toxic.stream)) return;  // it waits for the stream's next message, if any
  const Ticket ticket = ex.ticket();
  switch (toxic.type) {
    case ToxicType::Timeout: {
      ex.stalled_by = toxic.name;
      if (!stall(ex, "timeout", true) || toxic.attributes.timeout.count() == 0) return;
      ex.phase_timer = loop_.add_timer_after(toxic.attributes.timeout, [this, ticket] {
        Batch batch(*this);
        if (Exchange* held = find(ticket)) cut(*held, "timeout_close", "connection closed by " + held->authority());
      });
      return;
    }
    case ToxicType::ResetPeer: {
      if (!stall(ex, "reset_peer", false)) return;
      ex.phase_timer = loop_.add_timer_after(toxic.attributes.timeout, [this, ticket] {
        Batch batch(*this);
        if (Exchange* held = find(ticket)) cut(*held, "reset_peer", "connection reset by peer " + held->authority());
      });
      return;
    }
    case ToxicType::Bandwidth:
      refresh_cap(ex);
      return;
    case ToxicType::LimitData:
      if (ex.flow) {  // counted from now
        const uint64_t allowed = model_.delivered(loop_.now(), *ex.flow) + toxic.attributes.bytes;
        if (allowed < ex.flow_bytes) {
          model_.resize(loop_.now(), *ex.flow, allowed);
          ex.flow_bytes = allowed;
        }
      } else {
        ex.limit = std::min(ex.limit.value_or(UINT64_MAX), toxic.attributes.bytes);
      }
      return;
    case ToxicType::Latency:
    case ToxicType::Slicer:
    case ToxicType::SlowClose:
      return;  // the message in flight already has its timing
  }
}

void SimNetwork::refresh_cap(Exchange& ex) {
  if (!ex.flow) return;
  uint64_t cap = 0;
  for (const Toxic& toxic : ex.toxics[index_of(ex.stream)])
    if (toxic.type == ToxicType::Bandwidth && toxic.bandwidth_cap() > 0)
      cap = cap == 0 ? toxic.bandwidth_cap() : std::min(cap, toxic.bandwidth_cap());
  model_.set_cap(loop_.now(), *ex.flow, std::min(cap, BandwidthModel::kMaxCapacity));
}

// A limit_data toxic was removed from `ex`'s message in flight ("removing a toxic stops it acting"). Before its bytes
// flow, its limit becomes the remaining toxics' (all counted from the message's start). Once they flow, its end
// moves out to the remaining toxics' limit, counted from the message's start (whole without one), never in.
void SimNetwork::lift_limit(Exchange& ex) {
  std::optional<uint64_t> limit;
  for (const Toxic& toxic : ex.toxics[index_of(ex.stream)])
    if (toxic.type == ToxicType::LimitData) limit = std::min(limit.value_or(UINT64_MAX), toxic.attributes.bytes);
  ex.limit = limit;  // what a message not yet flowing takes when it starts to
  if (!ex.in_flow() || !ex.flow) return;
  const uint64_t end = std::max(ex.flow_bytes, std::min(ex.head_bytes + ex.body_bytes, limit.value_or(UINT64_MAX)));
  if (end != ex.flow_bytes) {
    model_.resize(loop_.now(), *ex.flow, end);
    ex.flow_bytes = end;
  }
}

bool SimNetwork::remove_toxic(const std::string& client_host, const std::string& server_host,
                              const std::string& name) {
  Batch batch(*this);
  ProxyLink& link = proxy_link(client_host, server_host);
  const auto found = link.toxics.find(name);
  if (found == link.toxics.end()) return false;
  const Toxic removed = found->second;
  link.toxics.erase(found);
  emit(NetEventKind::Control, client_host, server_host, "toxic_removed " + name);
  const std::vector<Ticket> tickets = tickets_where(
      [&](const Exchange& ex) { return ex.from() == client_host && ex.server() == server_host; });
  for (const Ticket ticket : tickets) {
    Exchange* ex = find(ticket);
    if (!ex) continue;
    for (auto& list : ex->toxics)
      std::erase_if(list, [&name](const Toxic& toxic) { return toxic.name == name; });
    if (ex->phase == Phase::Stalled && ex->stalled_by == name) {
      // Its bytes were dropped: the connection cannot go on, so the proxy closes it.
      cut(*ex, "timeout_close", "connection closed by " + ex->authority());
    } else if (removed.type == ToxicType::Bandwidth && ex->in_flight(removed.stream)) {
      refresh_cap(*ex);
    } else if (removed.type == ToxicType::LimitData && ex->in_flight(removed.stream)) {
      lift_limit(*ex);
    }
  }
  return true;
}

void SimNetwork::update_toxic(const std::string& client_host, const std::string& server_host, Toxic toxic) {
  Batch batch(*this);
  remove_toxic(client_host, server_host, toxic.name);
  add_toxic(client_host, server_host, std::move(toxic));
}

std::vector<Toxic> SimNetwork::toxics(const std::string& client_host, const std::string& server_host) const {
  std::vector<Toxic> out;
  const auto found = proxy_links_.find(HostPairView(client_host, server_host));
  if (found != proxy_links_.end())
    for (const auto& [name, toxic] : found->second->toxics) out.push_back(toxic);
  return out;
}

void SimNetwork::set_lost_responses(const std::string& client_host, const std::string& server_host,
                                    double toxicity) {
  if (!(toxicity >= 0.0 && toxicity <= 1.0)) throw std::invalid_argument("toxicity must be between 0 and 1");
  proxy_link(client_host, server_host).lost_responses = toxicity;
  emit(NetEventKind::Control, client_host, server_host, toxicity > 0 ? "lost_responses" : "lost_responses_off");
}

// ---------------------------------------------------------------------------------------------------------------
// Direction states and partitions

bool SimNetwork::moves_bytes(const Exchange& ex, const HostPair& dir) const {
  return (ex.in_flight(Stream::Upstream) || ex.in_flight(Stream::Downstream)) &&
         ex.bytes_direction() == std::pair<std::string_view, std::string_view>(dir.first, dir.second);
}

void SimNetwork::set_state(const std::string& from, const std::string& to, DirectionState state,
                           Nanoseconds extra, std::string_view what) {
  Batch batch(*this);
  Direction& dir = direction(from, to);
  const DirectionState before = dir.state;
  dir.state = state;
  dir.extra = state == DirectionState::Slowed ? extra : Nanoseconds(0);
  emit(NetEventKind::Control, from, to, what);
  const HostPair key{from, to};
  const std::vector<Ticket> tickets = tickets_where([&](const Exchange& ex) { return moves_bytes(ex, key); });
  if (state == DirectionState::Stopped) {
    // Dropped, in the air or on the wire: those exchanges can only time out now.
    for (const Ticket ticket : tickets)
      if (Exchange* ex = find(ticket)) stall(*ex, "dropped", true);
  }
  if (before == DirectionState::Jammed && state != DirectionState::Jammed) {
    model_.set_blocked(loop_.now(), dir.resource, false);
    for (const Ticket ticket : tickets)
      if (Exchange* ex = find(ticket); ex && ex->flow) disarm_idle(*ex);  // bytes move again
    // The errors it held go on their way back now, or are dropped with the rest when it is stopped.
    const std::vector<Ticket> held = tickets_where([&](const Exchange& ex) {
      return ex.failure_held && ex.phase == Phase::Stalled && ex.server() == from && ex.from() == to;
    });
    for (const Ticket ticket : held) {
      Exchange* ex = find(ticket);
      if (!ex) continue;
      ex->failure_held = false;
      if (state == DirectionState::Stopped) continue;
      disarm_idle(*ex);
      fail_later(*ex, one_way(dir), std::move(ex->failure));
    }
  } else if (state == DirectionState::Jammed && before != DirectionState::Jammed) {
    model_.set_blocked(loop_.now(), dir.resource, true);
    for (const Ticket ticket : tickets)
      if (Exchange* ex = find(ticket); ex && ex->flow) arm_idle(*ex);  // held: the client hears nothing
  }
}

void SimNetwork::stop(const std::string& from, const std::string& to) {
  set_state(from, to, DirectionState::Stopped, Nanoseconds(0), "stop");
}
void SimNetwork::slow(const std::string& from, const std::string& to, Nanoseconds extra_latency) {
  set_state(from, to, DirectionState::Slowed, extra_latency, "slow");
}
void SimNetwork::jam(const std::string& from, const std::string& to) {
  set_state(from, to, DirectionState::Jammed, Nanoseconds(0), "jam");
}
void SimNetwork::restore(const std::string& from, const std::string& to) {
  set_state(from, to, DirectionState::Normal, Nanoseconds(0), "restore");
}

DirectionState SimNetwork::state(const std::string& from, const std::string& to) const {
  const auto found = directions_.find(HostPairView(from, to));
  return found == directions_.end() ? DirectionState::Normal : found->second->state;
}

void SimNetwork::partition(const std::set<std::pair<std::string, std::string>>& pairs, bool two_way) {
  Batch batch(*this);
  for (const auto& [a, b] : pairs) {
    set_state(a, b, DirectionState::Stopped, Nanoseconds(0), "partition");
    if (two_way) set_state(b, a, DirectionState::Stopped, Nanoseconds(0), "partition");
  }
}

void SimNetwork::heal_all() {
  Batch batch(*this);
  emit(NetEventKind::Control, "", "", "heal_all");
  std::vector<HostPair> faulty;
  for (const auto& [key, dir] : directions_)
    if (dir->state != DirectionState::Normal) faulty.push_back(key);
  for (const auto& [from, to] : faulty) restore(from, to);
  std::vector<std::pair<HostPair, std::string>> toxics;
  for (const auto& [key, link] : proxy_links_) {
    link->lost_responses = 0;
    for (const auto& [name, toxic] : link->toxics) toxics.emplace_back(key, name);
  }
  for (const auto& [key, name] : toxics) remove_toxic(key.first, key.second, name);
  std::vector<HostPair> down(links_down_.begin(), links_down_.end());
  for (const auto& [from, authority] : down) set_link_down(from, authority, false);
}

}  // namespace outpost::sim
