#pragma once
// The world's last events (exchanges that ended, faults), kept in a small ring so a violation can say what led to it:
// the last few that involved its node (as client host, server host, or fault target). A ring of plain records, filled
// at every event and rendered only when a violation asks. Each record keeps its strings in one buffer (reused as the
// ring turns): an exchange costs one copy of its names and target, and the record stays a cache line or two.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/world/observer.h"

namespace outpost::sim::world {

class RecentEvents {
 public:
  explicit RecentEvents(size_t capacity = 512);

  void add(const RequestEvent& event);
  void add(const FaultEvent& event);

  // The last `count` events involving `host` ("line1"; "line1:5000" is read as its host), oldest first, one line
  // each: "25m3s120ms client.line1 -> line1:5000 GET /v2/apps/web/manifests/v1 401". A run of exchanges between the
  // same two hosts with the same method is one line ("... (and 11 more like it)"), and the last faults that struck
  // the node are there however long ago they were.
  std::vector<std::string> involving(std::string_view host, size_t count) const;
  // The host that sent the most of the exchanges kept that ended at or after `since` (the first of them on a tie);
  // "" when none did. What a busy loop at one instant is found by.
  std::string busiest_sender_since(Nanoseconds since) const;

 private:
  // An exchange: text = from, to, target and (status 0) the transport error, end to end. A fault: text = the targets
  // (comma-separated: `to`) and what it did (`rest`).
  struct Entry {
    Nanoseconds time{0};
    int status = 0;
    http::Method method = http::Method::Get;
    bool fault = false;
    uint32_t from_size = 0, to_size = 0, target_size = 0;
    std::string text;

    std::string_view from() const { return std::string_view(text).substr(0, from_size); }
    std::string_view to() const { return std::string_view(text).substr(from_size, to_size); }
    std::string_view target() const { return std::string_view(text).substr(from_size + to_size, target_size); }
    std::string_view rest() const { return std::string_view(text).substr(from_size + to_size + target_size); }
  };
  Entry& next();
  static bool involves(const Entry& entry, std::string_view host);
  static std::string line(const Entry& entry);

  size_t capacity_;
  std::vector<Entry> ring_;
  size_t start_ = 0;  // the oldest, once full
  std::vector<Entry> faults_;  // the last faults, however old (a fault is rare, and often what led there)
};

// "line1" for "line1:5000", "client.line1" and "line1".
std::string_view host_of(std::string_view name);

}  // namespace outpost::sim::world
