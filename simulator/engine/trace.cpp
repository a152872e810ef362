#include "simulator/engine/trace.h"

#include <stdexcept>

#include "simulator/engine/stable_hash.h"

namespace outpost::sim {

namespace {
constexpr uint64_t kTraceSeed = 0x6f7574706f7374ULL;  // "outpost": the hash of an empty trace

// The canonical encoding of a record is every field, in a fixed order (time, phase, kind, node, peer, detail, span),
// each string length-prefixed, chained onto the hash so far. These are the fields before the detail.
void add_head(StableHasher& hasher, Nanoseconds time, TraceRecord::Phase phase, std::string_view kind,
              std::string_view node, std::string_view peer) {
  hasher.add(static_cast<uint64_t>(time.count()));
  hasher.add(static_cast<uint64_t>(phase));
  hasher.add(kind);
  hasher.add(node);
  hasher.add(peer);
}

// Feeds a hasher the string that is the concatenation of some pieces, exactly as StableHasher::add(string_view)
// would feed it the joined string: its length, then its bytes eight at a time (little-endian), the last word
// zero-extended. A word that straddles two pieces is put together from the bytes each piece holds.
class JoinedString {
 public:
  explicit JoinedString(StableHasher& hasher) : hasher_(hasher) {}

  void add(std::string_view piece) {
    const char* at = piece.data();
    size_t left = piece.size();
    for (; left >= 8; at += 8, left -= 8) word(load_le(at, 8));
    if (left > 0) bytes(load_le(at, left), left);
  }
  // The last word, if the joined length is not a multiple of eight.
  void finish() {
    if (filled_ > 0) hasher_.add(pending_);
  }

 private:
  void word(uint64_t value) {
    if (filled_ == 0) {
      hasher_.add(value);
      return;
    }
    hasher_.add(pending_ | (value << (8 * filled_)));
    pending_ = value >> (64 - 8 * filled_);
  }
  void bytes(uint64_t value, size_t count) {  // count < 8
    pending_ |= value << (8 * filled_);
    if (filled_ + count < 8) {
      filled_ += count;
      return;
    }
    hasher_.add(pending_);  // filled_ > 0 here, so the shift below is less than 64
    pending_ = value >> (64 - 8 * filled_);
    filled_ = filled_ + count - 8;
  }

  StableHasher& hasher_;
  uint64_t pending_ = 0;  // the next word's first filled_ bytes
  size_t filled_ = 0;
};
}  // namespace

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

void Trace::record_parts(Nanoseconds time, std::string_view kind, std::string_view node, std::string_view peer,
                         std::initializer_list<std::string_view> detail) {
  if (keep_ != Keep::None) {
    std::string joined;
    for (const std::string_view piece : detail) joined += piece;
    add(time, TraceRecord::Phase::Instant, kind, node, peer, joined, 0);
    return;
  }
  StableHasher hasher(hash_);
  add_head(hasher, time, TraceRecord::Phase::Instant, kind, node, peer);
  uint64_t size = 0;
  for (const std::string_view piece : detail) size += piece.size();
  hasher.add(size);
  JoinedString joined(hasher);
  for (const std::string_view piece : detail) joined.add(piece);
  joined.finish();
  hasher.add(uint64_t{0});  // the span of an instant
  hash_ = hasher.value();
  ++count_;
}

TraceSink Trace::sink() {
  return [this](Nanoseconds time, std::string_view kind, std::string_view node, std::string_view peer,
                std::string_view detail) { record(time, kind, node, peer, detail); };
}

void Trace::add(Nanoseconds time, TraceRecord::Phase phase, std::string_view kind, std::string_view node,
                std::string_view peer, std::string_view detail, uint64_t span) {
  // Hashed from the views: a trace that keeps nothing copies nothing.
  StableHasher hasher(hash_);
  add_head(hasher, time, phase, kind, node, peer);
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
