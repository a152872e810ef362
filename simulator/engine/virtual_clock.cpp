#include "simulator/engine/virtual_clock.h"

#include <algorithm>
#include <stdexcept>

#include "simulator/engine/event_loop.h"

namespace outpost::sim {

namespace {
constexpr int64_t kMillion = 1'000'000;

// `elapsed` * ppm / 10^6 in integers, without overflowing for any run length a simulation reaches (centuries).
int64_t drift_over(int64_t elapsed, int64_t ppm) {
  return (elapsed / kMillion) * ppm + (elapsed % kMillion) * ppm / kMillion;
}
}  // namespace

VirtualClock::VirtualClock(const EventLoop& loop, WallTime start, Nanoseconds skew)
    : loop_(loop), start_(start), offset_(skew), since_(loop.now()) {}

WallTime VirtualClock::now() const {
  catch_up();
  const Nanoseconds t = loop_.now();
  return start_ + t + offset_at(t);
}

Nanoseconds VirtualClock::monotonic() const { return loop_.now(); }

Nanoseconds VirtualClock::offset() const {
  catch_up();
  return offset_at(loop_.now());
}

Nanoseconds VirtualClock::offset_at(Nanoseconds t) const {
  return offset_ + Nanoseconds(drift_over((t - since_).count(), drift_ppm_));
}

void VirtualClock::set_skew(Nanoseconds skew) { set_skew_at(loop_.now(), skew); }
void VirtualClock::step(Nanoseconds by) { step_at(loop_.now(), by); }
void VirtualClock::set_drift(int64_t ppm) { set_drift_at(loop_.now(), ppm); }

void VirtualClock::set_skew_at(Nanoseconds at, Nanoseconds skew) { plan(at, Kind::Skew, skew.count()); }
void VirtualClock::step_at(Nanoseconds at, Nanoseconds by) { plan(at, Kind::Step, by.count()); }
void VirtualClock::set_drift_at(Nanoseconds at, int64_t ppm) {
  if (ppm < -kMillion || ppm > kMillion) throw std::invalid_argument("clock drift beyond +-10^6 ppm");
  plan(at, Kind::Drift, ppm);
}

void VirtualClock::plan(Nanoseconds at, Kind kind, int64_t value) {
  catch_up();
  const Change change{std::max(at, loop_.now()), kind, value};
  // After every change planned for the same time or earlier: equal times keep planning order.
  const auto position = std::upper_bound(planned_.begin() + static_cast<std::ptrdiff_t>(applied_), planned_.end(),
                                         change.at, [](Nanoseconds t, const Change& c) { return t < c.at; });
  planned_.insert(position, change);
  catch_up();  // a change for now applies at once
}

void VirtualClock::catch_up() const {
  const Nanoseconds t = loop_.now();
  while (applied_ < planned_.size() && planned_[applied_].at <= t) apply(planned_[applied_++]);
  if (applied_ == planned_.size()) {
    planned_.clear();
    applied_ = 0;
  }
}

void VirtualClock::apply(const Change& change) const {
  offset_ = offset_at(change.at);  // fold the drift so far into the offset
  since_ = change.at;
  switch (change.kind) {
    case Kind::Skew: offset_ = Nanoseconds(change.value); break;
    case Kind::Step: offset_ += Nanoseconds(change.value); break;
    case Kind::Drift: drift_ppm_ = change.value; break;
  }
}

}  // namespace outpost::sim
