#include "simulator/world/world_client.h"

#include <algorithm>

#include "simulator/engine/event_loop.h"
#include "simulator/net/synthetic_body.h"
#include "simulator/world/host_executor.h"

namespace outpost::sim::world {

namespace {
// What a body counts for in reports: a synthetic body (simulator/net/synthetic_body.h) its declared size.
uint64_t counted_bytes(std::string_view body) {
  const auto recipe = synthetic::decode(body);
  return recipe ? recipe->size : body.size();
}

// Counts the bytes of a streamed response on their way to the caller's sink, until the exchange ends.
class CountingSink final : public http::BodySink {
 public:
  explicit CountingSink(std::shared_ptr<http::BodySink> inner) : inner_(std::move(inner)) {}
  void write(std::string_view piece) override {
    if (!inner_) return;
    bytes += counted_bytes(piece);  // both networks hand a recipe over in one piece
    inner_->write(piece);
  }
  // The exchange ended: bytes the network still carries reach nobody, as a live client that gave up on an exchange,
  // or died, reads no more of it. The caller's sink may hold what is gone by then (a crashed process's storage).
  void cut() { inner_.reset(); }
  uint64_t bytes = 0;

 private:
  std::shared_ptr<http::BodySink> inner_;
};
}  // namespace

struct WorldClient::Exchange {
  uint64_t id = 0;    // the order it was sent in
  uint32_t slot = 0;  // where in in_flight_, while there
  RequestEvent event;
  const uint64_t* server_counter = nullptr;  // null: no such host when it was sent
  uint64_t server_incarnation = 0;
  uint64_t crashes = 0;  // ClientContext::crashes when it was sent
  std::shared_ptr<CountingSink> sink;
  std::function<void(http::ClientResult)> done;
};

namespace {
// Spare exchanges kept per client: a node's agent has one or two exchanges in flight at a time.
constexpr size_t kSpareExchanges = 4;
}  // namespace

// Exchanges that end together end in the order they were sent (in_flight_ keeps no order).
void WorldClient::sort_by_id(std::vector<std::unique_ptr<Exchange>>& exchanges) {
  std::sort(exchanges.begin(), exchanges.end(), [](const auto& a, const auto& b) { return a->id < b->id; });
}

WorldClient::WorldClient(std::string from, http::HttpClient& network, ClientContext& context, HostExecutor* owner)
    : from_(std::move(from)), id_(context.next_client++), network_(network), context_(context), owner_(owner) {}

WorldClient::~WorldClient() = default;

const uint64_t* WorldClient::incarnation_counter(const std::string& authority) {
  if (counter_ && authority == counted_authority_) return counter_;
  const uint64_t* counter = context_.incarnation_of(authority);
  if (counter) {  // a host that does not exist yet may exist later: only a found one is remembered
    counted_authority_ = authority;
    counter_ = counter;
  }
  return counter;
}

std::unique_ptr<WorldClient::Exchange> WorldClient::fresh_exchange() {
  if (spare_.empty()) {
    auto made = std::make_unique<Exchange>();
    made->event.from = from_;
    made->event.client = id_;
    return made;
  }
  std::unique_ptr<Exchange> exchange = std::move(spare_.back());
  spare_.pop_back();
  return exchange;
}

void WorldClient::keep_spare(std::unique_ptr<Exchange> exchange) {
  if (spare_.size() >= kSpareExchanges) return;
  // What the next exchange does not set itself is put back as new; the sender and client stay as they are.
  RequestEvent& event = exchange->event;
  event.done = Nanoseconds(0);
  event.status = 0;
  event.transport_error.clear();
  event.response_bytes = 0;
  exchange->sink.reset();  // the caller's sink goes when its exchange ends, as before
  exchange->done = nullptr;
  spare_.push_back(std::move(exchange));
}

void WorldClient::send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
                       std::function<void(http::ClientResult)> done) {
  std::unique_ptr<Exchange> exchange = fresh_exchange();
  exchange->id = next_id_++;
  exchange->event.sent = context_.loop.now();
  exchange->event.to = request.authority;
  exchange->event.method = request.method;
  exchange->event.target = request.target;
  exchange->event.request_bytes = request.body ? request.body->size() : 0;
  if (const auto recipe = synthetic::take_recipe(request.body)) exchange->event.request_bytes = recipe->size;
  exchange->server_counter = incarnation_counter(request.authority);
  exchange->server_incarnation = exchange->server_counter ? *exchange->server_counter : 0;
  exchange->crashes = context_.crashes;
  exchange->done = std::move(done);
  if (sink) exchange->sink = std::make_shared<CountingSink>(std::move(sink));
  if (free_slots_.empty()) {
    exchange->slot = static_cast<uint32_t>(in_flight_.size());
    in_flight_.emplace_back();
  } else {
    exchange->slot = free_slots_.back();
    free_slots_.pop_back();
  }
  ++in_flight_count_;
  const Answer answer{this, exchange->slot, static_cast<uint32_t>(exchange->id)};
  std::shared_ptr<http::BodySink> counted = exchange->sink;
  in_flight_[exchange->slot] = std::move(exchange);
  network_.send(std::move(request), std::move(counted), answer);
}

std::unique_ptr<WorldClient::Exchange> WorldClient::take_out(uint32_t slot) {
  std::unique_ptr<Exchange> exchange = std::move(in_flight_[slot]);
  free_slots_.push_back(slot);
  --in_flight_count_;
  return exchange;
}

void WorldClient::complete(uint32_t slot, uint32_t id, http::ClientResult&& result) {
  // Gone (or the slot holds a later exchange): it ended when this host crashed; the answer found no socket.
  if (slot >= in_flight_.size() || !in_flight_[slot] || static_cast<uint32_t>(in_flight_[slot]->id) != id) return;
  std::unique_ptr<Exchange> exchange = take_out(slot);
  if (exchange->server_counter && exchange->crashes == context_.crashes) {  // no host crashed meanwhile
    finish(std::move(exchange), std::move(result), false);
    return;
  }
  const uint64_t* counter =
      exchange->server_counter ? exchange->server_counter : incarnation_counter(exchange->event.to);
  if (result.ok() && (counter ? *counter : 0) != exchange->server_incarnation) {
    // The server crashed after the request left: whatever its dying process wrote never arrived.
    result.response.reset();
    result.transport_error = "connection reset by " + exchange->event.to + " (its process crashed)";
  }
  finish(std::move(exchange), std::move(result), false);
}

// `exchange` is out of in_flight_ already.
void WorldClient::finish(std::unique_ptr<Exchange> exchange, http::ClientResult&& result, bool post) {
  // Once ended, the network keeps the sink only to drop what it still carries (a response cut by a crash here is
  // still on its way: writing it would reach the dead process's stores, on disk storage already closed).
  if (exchange->sink) exchange->sink->cut();
  RequestEvent& event = exchange->event;
  event.done = context_.loop.now();
  // What reached the sink (a successful answer's body, or what arrived of one before a cut: a resumed download asks
  // for the rest only) and what the response holds (an error's body, or any body without a sink).
  event.response_bytes =
      (exchange->sink ? exchange->sink->bytes : 0) + (result.ok() ? counted_bytes(result.response->body) : 0);
  if (result.ok()) {
    event.status = result.response->status;
  } else {
    event.transport_error = result.transport_error;
  }
  context_.observer.on_request(event);
  if (!post && !(owner_ && owner_->paused())) {
    deliver(*exchange, std::move(result));  // nearly every answer: no callable to carry the result
    keep_spare(std::move(exchange));
    return;
  }
  // Shared: a paused host holds the work in a std::function, which must be copyable.
  auto later = [this, exchange = std::shared_ptr<Exchange>(std::move(exchange)), result = std::move(result)]() mutable {
    deliver(*exchange, std::move(result));
  };
  if (post) {
    context_.loop.post(std::move(later));
  } else {
    owner_->run_or_hold(std::move(later));
  }
}

void WorldClient::deliver(Exchange& exchange, http::ClientResult&& result) {
  auto done = std::move(exchange.done);
  done(std::move(result));
  if (after_exchange) after_exchange(exchange.event);
}

void WorldClient::fail_in_flight(const std::string& why) {
  std::vector<std::unique_ptr<Exchange>> pending;
  for (auto& exchange : in_flight_)
    if (exchange) pending.push_back(std::move(exchange));
  in_flight_.clear();
  free_slots_.clear();
  in_flight_count_ = 0;
  sort_by_id(pending);
  for (auto& exchange : pending) {
    http::ClientResult failed;
    failed.transport_error = why;
    finish(std::move(exchange), std::move(failed), true);
  }
}

void WorldClient::fail_in_flight_to(const std::vector<std::string>& authorities, const std::string& why) {
  std::vector<std::unique_ptr<Exchange>> cut;
  for (uint32_t slot = 0; slot < in_flight_.size(); ++slot) {
    const auto& exchange = in_flight_[slot];
    if (exchange && std::find(authorities.begin(), authorities.end(), exchange->event.to) != authorities.end())
      cut.push_back(take_out(slot));
  }
  sort_by_id(cut);
  for (auto& exchange : cut) {
    http::ClientResult failed;
    failed.transport_error = why;
    finish(std::move(exchange), std::move(failed), true);
  }
}

}  // namespace outpost::sim::world
