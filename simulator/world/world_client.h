#pragma once
// The HTTP client of one host of a world, over the network's client for that host. It adds what the world needs to
// know and what a process's sockets would do:
//  - every exchange that ends is reported to the observers (a RequestEvent);
//  - an answer from a server that crashed since the request was sent is a reset connection, not an answer;
//  - when its own host crashes, every exchange in flight ends at once with a transport error (the sockets died with
//    the process), and the answers that come later are dropped;
//  - while its host is paused, answers wait for the resume.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "reference/common/http_client.h"
#include "simulator/world/observer.h"

namespace outpost::sim {
class EventLoop;
}

namespace outpost::sim::world {

class HostExecutor;

// What every client of a world shares.
struct ClientContext {
  EventLoop& loop;
  WorldObserver& observer;
  // The incarnation counter of the host serving `authority` (it moves at each crash of its process), or null for no
  // such host. Hosts live as long as their world, so a client may keep the pointer.
  std::function<const uint64_t*(std::string_view authority)> incarnation_of;
  // Moves with every such counter (each host's crash moves both): an exchange that ends with it where it was when
  // the exchange was sent needs not read its server's counter, a cold line of the server's host.
  uint64_t crashes = 0;
  // The number the next client made gets (RequestEvent::client).
  uint32_t next_client = 0;
};

class WorldClient final : public http::HttpClient {
 public:
  // `owner`: the executor of the host this client belongs to (null for clients outside any node: the operator and
  // the workload's clients).
  WorldClient(std::string from, http::HttpClient& network, ClientContext& context, HostExecutor* owner = nullptr);
  ~WorldClient() override;

  void send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
            std::function<void(http::ClientResult)> done) override;

  // The host's process died: every exchange in flight ends now (as the next events) with `why`.
  void fail_in_flight(const std::string& why);
  // A link went down: the exchanges in flight to these authorities end now with `why` (their connections died).
  void fail_in_flight_to(const std::vector<std::string>& authorities, const std::string& why);
  size_t in_flight() const { return in_flight_count_; }
  const std::string& from() const { return from_; }
  uint32_t id() const { return id_; }

  // Runs after each exchange's `done` returned (the host watches its sync rounds through it).
  std::function<void(const RequestEvent&)> after_exchange;

 private:
  struct Exchange;
  // Where the network's answer goes: the exchange's slot and the low half of its id (the slot may hold a later
  // exchange by then). Two words and a pointer, copied as bytes: the network's `done` holds it in place, with no
  // allocation of its own, where a captured shared_ptr took one per exchange.
  struct Answer {
    WorldClient* client;
    uint32_t slot;
    uint32_t id;
    void operator()(http::ClientResult&& result) const { client->complete(slot, id, std::move(result)); }
  };
  void complete(uint32_t slot, uint32_t id, http::ClientResult&& result);
  void finish(std::unique_ptr<Exchange> exchange, http::ClientResult&& result, bool post);
  void deliver(Exchange& exchange, http::ClientResult&& result);
  // A new exchange, a spare one where there is one (its strings keep their room: the same sender, authority and
  // targets again, copied without an allocation each).
  std::unique_ptr<Exchange> fresh_exchange();
  void keep_spare(std::unique_ptr<Exchange> exchange);

  std::string from_;
  uint32_t id_;
  http::HttpClient& network_;
  ClientContext& context_;
  HostExecutor* owner_;
  // The counter of the last server asked about: a node's agent talks to its parent and little else, and a lookup
  // by name at both ends of every exchange showed in profiles.
  const uint64_t* incarnation_counter(const std::string& authority);
  std::string counted_authority_;
  const uint64_t* counter_ = nullptr;

  // Slots that keep their place (an answer finds its exchange by slot), null when free; in no order (each exchange
  // knows its id). A vector costs no allocation per exchange, as a map's node did.
  uint64_t next_id_ = 0;
  std::vector<std::unique_ptr<Exchange>> in_flight_;
  std::vector<uint32_t> free_slots_;
  size_t in_flight_count_ = 0;
  std::vector<std::unique_ptr<Exchange>> spare_;  // exchanges that ended, for the next ones
  std::unique_ptr<Exchange> take_out(uint32_t slot);
  static void sort_by_id(std::vector<std::unique_ptr<Exchange>>& exchanges);
};

}  // namespace outpost::sim::world
