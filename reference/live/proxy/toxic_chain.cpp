#include "reference/live/proxy/toxic_chain.h"

#include <algorithm>

namespace outpost::live::proxy {

namespace {
using std::chrono::microseconds;

size_t draw_slice(const ToxicAttributes& p, Random& random) {
  const uint64_t spread = random.uniform(2 * p.size_variation + 1);  // 0 .. 2 * variation
  const uint64_t size = p.average_size + spread - p.size_variation;  // average +/- variation, never below 1
  return static_cast<size_t>(std::max<uint64_t>(size, 1));
}
}  // namespace

ToxicChain::SyncResult ToxicChain::sync(const ToxicList& toxics, const std::function<bool(const Toxic&)>& applies) {
  SyncResult result;
  std::vector<Active> next;
  std::vector<bool> kept(toxics_.size(), false);
  for (const auto& entry : toxics) {
    if (entry->toxic.stream != stream_) continue;
    const auto& p = entry->toxic.parsed;
    // An entry moved into `next` below has no entry left: skip it (a second toxic on a stream read it and crashed).
  const auto old = std::find_if(toxics_.begin(), toxics_.end(),
                                  [&](const Active& a) { return a.entry && a.entry->id == entry->id; });
    if (old == toxics_.end()) {
      Active active;
      active.entry = entry;
      active.applies = applies(entry->toxic);
      if (active.applies && entry->toxic.type == ToxicType::Timeout && p.timeout.count() > 0) {
        active.generation = ++generations_;
        result.start.push_back({entry->id, active.generation, p.timeout});
      }
      next.push_back(std::move(active));
      continue;
    }
    kept[old - toxics_.begin()] = true;
    Active active = std::move(*old);
    if (active.entry->revision != entry->revision) {
      const bool redraw = active.entry->toxic.toxicity != entry->toxic.toxicity;
      const bool applied = active.applies;
      active.entry = entry;
      if (redraw) active.applies = applies(entry->toxic);
      // A changed timeout restarts its clock, as toxiproxy restarts a toxic it updates.
      if (entry->toxic.type == ToxicType::Timeout && (applied || active.applies)) {
        active.generation = ++generations_;
        if (active.applies && p.timeout.count() > 0) result.start.push_back({entry->id, active.generation, p.timeout});
        else result.stop.push_back(entry->id);
      }
      if (entry->toxic.type == ToxicType::ResetPeer && active.reset_armed) {
        active.generation = ++generations_;
        if (active.applies) {
          result.start.push_back({entry->id, active.generation, p.timeout});
        } else {
          active.reset_armed = false;
          result.stop.push_back(entry->id);
        }
      }
    }
    next.push_back(std::move(active));
  }
  for (size_t i = 0; i < toxics_.size(); ++i) {
    if (kept[i]) continue;
    const Active& gone = toxics_[i];
    // toxiproxy's timeout toxic closes the connections it held when it is removed (its cleanup step).
    if (gone.applies && gone.toxic().type == ToxicType::Timeout) result.close = true;
    if (gone.applies && (gone.toxic().type == ToxicType::Timeout || gone.reset_armed))
      result.stop.push_back(gone.entry->id);
  }
  toxics_ = std::move(next);
  return result;
}

ToxicChain::Step ToxicChain::next(Chunk& chunk, size_t remaining, Clock::time_point now, Random& random) {
  size_t size = remaining;
  Clock::time_point until = now;
  microseconds latency{0};
  for (Active& active : toxics_) {
    if (!active.applies) continue;
    const ToxicAttributes& p = active.toxic().parsed;
    switch (active.toxic().type) {
      case ToxicType::Timeout:
        return {.action = Action::Drop};
      case ToxicType::ResetPeer:
        if (active.reset_armed) return {.action = Action::Drop};
        if (p.timeout.count() == 0) return {.action = Action::Reset};
        active.reset_armed = true;
        active.generation = ++generations_;
        return {.action = Action::StartTimer, .timer = {active.entry->id, active.generation, p.timeout}};
      case ToxicType::Latency: {
        const uint64_t id = active.entry->id;
        const auto drawn = std::find_if(chunk.latency.begin(), chunk.latency.end(),
                                        [id](const auto& pair) { return pair.first == id; });
        if (drawn != chunk.latency.end()) {
          latency += drawn->second;
          break;
        }
        microseconds delay = std::chrono::duration_cast<microseconds>(p.latency);
        const auto jitter = std::chrono::duration_cast<microseconds>(p.jitter);
        if (jitter.count() > 0) {
          const uint64_t spread = random.uniform(2 * static_cast<uint64_t>(jitter.count()) + 1);  // 0 .. 2 * jitter
          delay += microseconds(static_cast<int64_t>(spread)) - jitter;
          delay = std::max(delay, microseconds(0));
        }
        chunk.latency.emplace_back(id, delay);
        latency += delay;
        break;
      }
      case ToxicType::Bandwidth:
        if (p.bytes_per_second > 0) {
          size = std::min(size, Pacer::piece_size(p.bytes_per_second));
          until = std::max(until, active.pacer.ready_at(now));
        }
        break;
      case ToxicType::LimitData: {
        const uint64_t allowance = p.bytes > active.transmitted ? p.bytes - active.transmitted : 0;
        if (allowance == 0) return {.action = Action::Close};
        size = static_cast<size_t>(std::min<uint64_t>(size, allowance));
        break;
      }
      case ToxicType::Slicer:
        if (active.next_slice == 0) active.next_slice = draw_slice(p, random);
        size = std::min(size, active.next_slice);
        if (active.last_slice) until = std::max(until, *active.last_slice + p.slice_delay);
        break;
      case ToxicType::SlowClose:
        break;
    }
  }
  until = std::max(until, chunk.read_at + latency);
  if (until > now) return {.action = Action::Wait, .until = until};

  if (link_rate_) {
    if (booked_ && !link_rate_->valid(*booked_)) booked_.reset();  // the link's rate changed: book on the new one
    if (!booked_) booked_ = link_rate_->book(now, size);             // nothing: the link has no rate of its own
    if (booked_) {
      if (booked_->at > now) return {.action = Action::Wait, .until = booked_->at};
      size = std::min(size, booked_->bytes);  // a slicer or limit_data added since may want less than was booked
      booked_.reset();
    }
  }

  Step step{.action = Action::Write, .bytes = size};
  for (Active& active : toxics_) {
    if (!active.applies) continue;
    const ToxicAttributes& p = active.toxic().parsed;
    switch (active.toxic().type) {
      case ToxicType::Bandwidth:
        if (p.bytes_per_second > 0) active.pacer.sent(now, size, p.bytes_per_second);
        break;
      case ToxicType::LimitData:
        active.transmitted += size;
        if (active.transmitted >= p.bytes) step.close_after = true;
        break;
      case ToxicType::Slicer:
        active.next_slice = 0;
        active.last_slice = now;
        break;
      default:
        break;
    }
  }
  return step;
}

ToxicChain::Expiry ToxicChain::expired(uint64_t toxic_id, uint64_t generation) const {
  for (const Active& active : toxics_) {
    if (active.entry->id != toxic_id || active.generation != generation || !active.applies) continue;
    if (active.toxic().type == ToxicType::Timeout) return Expiry::Close;
    if (active.toxic().type == ToxicType::ResetPeer && active.reset_armed) return Expiry::Reset;
  }
  return Expiry::Nothing;
}

bool ToxicChain::holds_end() const {
  return std::any_of(toxics_.begin(), toxics_.end(),
                     [](const Active& a) { return a.applies && a.toxic().type == ToxicType::Timeout; });
}

std::chrono::milliseconds ToxicChain::close_delay() const {
  std::chrono::milliseconds total{0};
  for (const Active& active : toxics_)
    if (active.applies && active.toxic().type == ToxicType::SlowClose) total += active.toxic().parsed.close_delay;
  return total;
}

}  // namespace outpost::live::proxy
