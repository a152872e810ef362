#pragma once
// What the toxics of one stream of one connection do to its bytes, without sockets or timers: given the next bytes
// waiting to be forwarded, the chain answers "write this many now", "wait until then", "drop them", "reset the
// connection" or "close it". The connection (connection.cpp) carries the answers out with Asio.
//
// Why one planner rather than toxiproxy's pipeline of goroutines, one per toxic: every constraint on the next piece is
// known up front (latency: not before read time + delay; bandwidth: not before the pacer allows, at most one pacing
// piece; slicer: one slice, not before the previous slice + delay; limit_data: no more than what is left), so the piece
// and its time are the smallest size and the latest time among them, and one timer per stream does the waiting. Toxics
// of the same kind add up as they would in toxiproxy's pipeline (two 50 ms latencies delay by 100 ms).
//
// The link's own bandwidth (link_pacer.h, not a toxic: one schedule for every connection of the link) comes last: once
// the toxics allow a piece, the chain books the piece's slot on the link's schedule and holds that booking until the
// piece goes out, so asking again (after a wait cut short by a change of toxics) neither books twice nor loses the
// turn. Booking only when the toxics allow keeps a piece held by latency from taking link time it cannot use.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "reference/common/random.h"
#include "reference/live/proxy/link_pacer.h"
#include "reference/live/proxy/pacer.h"
#include "reference/live/proxy/toxic.h"

namespace outpost::live::proxy {

// A toxic as a link holds it: `id` is unique within the link and survives updates; `revision` changes with each update.
struct ToxicEntry {
  uint64_t id = 0;
  uint64_t revision = 0;
  Toxic toxic;
};
using ToxicList = std::vector<std::shared_ptr<const ToxicEntry>>;

class ToxicChain {
 public:
  using Clock = std::chrono::steady_clock;

  // A timer the connection must start: when it fires, it calls expired(toxic_id, generation).
  struct TimerRequest {
    uint64_t toxic_id = 0;
    uint64_t generation = 0;
    std::chrono::milliseconds delay{0};
  };
  struct SyncResult {
    bool close = false;                  // a timeout toxic that held this connection was removed: close it now
    std::vector<TimerRequest> start;     // timers to (re)start
    std::vector<uint64_t> stop;          // timers of toxics that no longer need one
  };

  // `link_rate`: the link's own bandwidth on this stream, shared with the link's other connections (none: no link-wide
  // limit, only the toxics).
  explicit ToxicChain(Stream stream, std::shared_ptr<LinkPacer> link_rate = nullptr)
      : stream_(stream), link_rate_(std::move(link_rate)) {}

  // Brings the chain up to date with the link's toxics (those of this chain's stream). A toxic seen for the first time
  // is drawn against its toxicity by `applies`; one whose toxicity changed is drawn again. Per-connection state
  // (bytes counted by limit_data, the bandwidth schedule) survives an update of the same toxic.
  SyncResult sync(const ToxicList& toxics, const std::function<bool(const Toxic&)>& applies);

  // One chunk of bytes read from the source, as the chain sees it.
  struct Chunk {
    Clock::time_point read_at{};
    std::vector<std::pair<uint64_t, std::chrono::microseconds>> latency;  // per latency toxic, drawn once per chunk
  };

  enum class Action {
    Write,     // write `bytes` bytes now; then close the connection gracefully if `close_after` (limit_data reached)
    Wait,      // nothing may go out before `until`
    Drop,      // discard the rest of the chunk (timeout, or a reset_peer waiting to fire)
    StartTimer,  // start `timer` (reset_peer saw data), then ask again
    Reset,     // reset the connection now (reset_peer with timeout 0)
    Close,     // close the connection gracefully now (limit_data had nothing left to allow)
  };
  struct Step {
    Action action = Action::Write;
    size_t bytes = 0;
    bool close_after = false;
    Clock::time_point until{};
    TimerRequest timer;
  };

  // The next step for the `remaining` (> 0) unwritten bytes of `chunk`. A Write step has already been accounted for
  // (pacer, link rate, limit, slice): the caller must write exactly step.bytes.
  Step next(Chunk& chunk, size_t remaining, Clock::time_point now, Random& random);

  // What a timer started for (toxic_id, generation) means when it fires: nothing if the toxic is gone or its timer was
  // restarted since.
  enum class Expiry { Nothing, Close, Reset };
  Expiry expired(uint64_t toxic_id, uint64_t generation) const;

  // The end of the stream (the source closed its side): whether a toxic holds it back (timeout), and how long
  // slow_close delays passing it on.
  bool holds_end() const;
  std::chrono::milliseconds close_delay() const;

 private:
  struct Active {
    std::shared_ptr<const ToxicEntry> entry;
    bool applies = false;
    uint64_t generation = 0;  // bumped whenever this toxic's timer is (re)started
    Pacer pacer;                              // bandwidth
    uint64_t transmitted = 0;                 // limit_data
    size_t next_slice = 0;                    // slicer: size of the slice being sent, 0 before it is drawn
    std::optional<Clock::time_point> last_slice;  // slicer
    bool reset_armed = false;                 // reset_peer: data was seen, the reset is pending
    const Toxic& toxic() const { return entry->toxic; }
  };

  Stream stream_;
  std::shared_ptr<LinkPacer> link_rate_;
  std::optional<LinkPacer::Slot> booked_;  // the link slot of the next piece, held until the piece goes out
  std::vector<Active> toxics_;
  uint64_t generations_ = 0;
};

}  // namespace outpost::live::proxy
