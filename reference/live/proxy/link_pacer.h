#pragma once
// A link's own bandwidth on one stream, shared by every connection of the link: what a topology's link bandwidth means
// (and what the simulator models, sharing a link between the transfers that cross it), where the bandwidth toxic, as
// toxiproxy's, paces each connection on its own, so that n connections get n times its rate.
//
// One Pacer schedule for all the connections. Before it writes, a connection books the next piece's slot: slots are
// handed out in the order they are asked for, back to back on the schedule, so the pieces of all the connections
// together average the rate. A connection holds one booking at a time (it books its next piece after writing the one
// before), so connections that all have data take turns, round robin, a piece of at most Pacer::kPieceTime at the
// link's rate each; a connection with nothing to send books nothing and leaves the whole rate to the others. As the
// Pacer, a schedule that a late holder left behind catches up (by up to Pacer::kCatchUp); unlike it, a schedule left
// idle longer than that starts again from the next booking, with no burst.
//
// Pure apart from its mutex (connections run on strands of their own, on any of the proxy's threads): time is passed
// in, so tests drive it with time points of their own.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

#include "reference/live/proxy/pacer.h"

namespace outpost::live::proxy {

class LinkPacer {
 public:
  using Clock = Pacer::Clock;

  // A booked piece: it may go out from `at` on (at once when `at` is not in the future), `bytes` at most.
  struct Slot {
    Clock::time_point at{};
    size_t bytes = 0;
    uint64_t schedule = 0;  // the schedule it was booked on; a new rate starts a new one
  };

  // A new rate, bytes per second (0: unlimited, the initial rate), starts a new schedule from the next booking on;
  // bookings made before lapse (valid() says so), and their holders book again. The same rate again changes nothing.
  // Returns whether it changed.
  bool set_rate(double bytes_per_second);

  // Books the next slot for up to `wanted` (> 0) bytes, at most one piece at the rate (Pacer::piece_size); nothing
  // when the rate is unlimited. `now` is when the connection could send.
  std::optional<Slot> book(Clock::time_point now, size_t wanted);

  // Whether a slot still holds: it was booked on the current schedule.
  bool valid(const Slot& slot) const;

 private:
  mutable std::mutex mutex_;
  double rate_ = 0;
  uint64_t schedule_ = 1;
  Pacer pacer_;  // the current schedule
};

}  // namespace outpost::live::proxy
