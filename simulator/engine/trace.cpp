#include "simulator/engine/trace.h"

#include <stdexcept>

#include "simulator/engine/stable_hash.h"

namespace outpost::sim {

namespace {
constexpr uint64_t kTraceSeed = 0x6f7574706f7374ULL;  // "outpost": the hash of an empty trace
}

Trace::Trace(Keep keep, size_t last) : keep_(keep), last_(last), hash_(StableHasher(kTraceSeed).value()) {
  if (keep_ == Keep::Last && last_ == 0) keep_ = Keep::None;
}

void Trace::record(Nanoseconds time, std::string_view kind, std::string_view node, std::string_view peer,
                   std::string_view detail) {
  add(time, TraceRecord::Phase::Instant, kind, node, peer, detail, 0);
}

uint64_t Trace::begin_span(Nanoseconds time, std::string_view node, std::string_view name, std::string_view detail) {
  const uint64_t span = next_span_++;
  open_spans_.emplace(span, OpenSpan{std::string(node), std::string(name)});
  add(time, TraceRecord::Phase::Begin, name, node, {}, detail, span);
  return span;
}

void Trace::end_span(Nanoseconds time, uint64_t span, std::string_view detail) {
  const auto open = open_spans_.find(span);
  if (open == open_spans_.end()) throw std::logic_error("trace: span " + std::to_string(span) + " is not open");
  add(time, TraceRecord::Phase::End, open->second.name, open->second.node, {}, detail, span);
  open_spans_.erase(open);
}

TraceSink Trace::sink() {
  return [this](Nanoseconds time, std::string_view kind, std::string_view node, std::string_view peer,
                std::string_view detail) { record(time, kind, node, peer, detail); };
}

void Trace::add(Nanoseconds time, TraceRecord::Phase phase, std::string_view kind, std::string_view node,
                std::string_view peer, std::string_view detail, uint64_t span) {
  // The canonical encoding: every field, in a fixed order, each string length-prefixed; chained onto the hash so far.
  // Hashed from the views: a trace that keeps nothing copies nothing.
  StableHasher hasher(hash_);
  hasher.add(static_cast<uint64_t>(time.count()));
  hasher.add(static_cast<uint64_t>(phase));
  hasher.add(kind);
  hasher.add(node);
  hasher.add(peer);
  hasher.add(detail);
  hasher.add(span);
  hash_ = hasher.value();
  ++count_;
  if (keep_ == Keep::None) return;

  TraceRecord record{time, phase, std::string(kind), std::string(node), std::string(peer), std::string(detail), span};
  if (keep_ == Keep::All || kept_.size() < last_) {
    kept_.push_back(std::move(record));
  } else {
    kept_[ring_start_] = std::move(record);
    ring_start_ = (ring_start_ + 1) % last_;
  }
}

std::vector<TraceRecord> Trace::records() const {
  std::vector<TraceRecord> out;
  out.reserve(kept_.size());
  for (size_t i = 0; i < kept_.size(); ++i) out.push_back(kept_[(ring_start_ + i) % kept_.size()]);
  return out;
}

void Trace::keep(Keep keep, size_t last) {
  std::vector<TraceRecord> so_far = records();
  if (keep == Keep::None || (keep == Keep::Last && last == 0)) {
    so_far.clear();
    keep = Keep::None;
  } else if (keep == Keep::Last && so_far.size() > last) {
    so_far.erase(so_far.begin(), so_far.end() - static_cast<std::ptrdiff_t>(last));
  }
  kept_ = std::move(so_far);
  ring_start_ = 0;
  keep_ = keep;
  last_ = last;
}

}  // namespace outpost::sim
