#pragma once
// The world's last events (exchanges that ended, faults), kept in a small ring so a violation can say what led to it:
// the last few that involved its node (as client host, server host, or fault target). A ring of plain records, filled
// at every event and rendered only when a violation asks, so watching costs a few string copies per exchange.
#include <cstddef>
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

 private:
  struct Entry {
    Nanoseconds time{0};
    bool fault = false;
    std::string from, to, what;  // faults: to = the targets, comma-separated
    int status = 0;
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
