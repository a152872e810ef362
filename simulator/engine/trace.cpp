#include "simulator/engine/trace.h"

#include <bit>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

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

// A record's canonical encoding written out before it is hashed, when it fits (nearly every record does): one pass
// over whole words then replaces a call per field and, for each string, a copy of its last few bytes of a length only
// known at run time. The words are exactly the ones StableHasher::add would take: numbers as eight little-endian
// bytes, a string as its length then its bytes, the last word zero-extended; so is the hash.
class Encoding {
 public:
  static constexpr size_t kBytes = 384;

  void number(uint64_t value) {
    if constexpr (std::endian::native == std::endian::little) {
      std::memcpy(buffer_ + used_, &value, 8);
    } else {
      for (size_t i = 0; i < 8; ++i, value >>= 8) buffer_[used_ + i] = static_cast<char>(value & 0xff);
    }
    used_ += 8;
  }
  // A string's length, then its bytes (pieces, joined), the last word zero-extended. The caller made sure it fits.
  void string(std::initializer_list<std::string_view> pieces) {
    size_t size = 0;
    for (const std::string_view piece : pieces) size += piece.size();
    number(size);
    if (size == 0) return;
    std::memset(buffer_ + used_ + ((size - 1) & ~size_t{7}), 0, 8);  // the last word's padding
    for (const std::string_view piece : pieces) {
      std::memcpy(buffer_ + used_, piece.data(), piece.size());
      used_ += piece.size();
    }
    used_ = (used_ + 7) & ~size_t{7};
  }
  void string(std::string_view bytes) { string({bytes}); }
  void hash_into(StableHasher& hasher) const {
    for (size_t at = 0; at < used_; at += 8) hasher.add(load_le(buffer_ + at, 8));
  }

 private:
  alignas(8) char buffer_[kBytes];
  size_t used_ = 0;  // a multiple of eight
};

// The record's hash chained onto `hash`, or nothing if its encoding does not fit an Encoding.
std::optional<uint64_t> encoded_hash(uint64_t hash, Nanoseconds time, TraceRecord::Phase phase, std::string_view kind,
                                     std::string_view node, std::string_view peer,
                                     std::initializer_list<std::string_view> detail, uint64_t span) {
  size_t detail_size = 0;
  for (const std::string_view piece : detail) detail_size += piece.size();
  // Three numbers, four lengths, the strings' bytes and at most seven bytes of padding after each.
  const size_t strings = kind.size() + node.size() + peer.size() + detail_size;
  if (strings > Encoding::kBytes || 7 * 8 + strings + 4 * 7 > Encoding::kBytes) return std::nullopt;
  Encoding encoding;
  encoding.number(static_cast<uint64_t>(time.count()));
  encoding.number(static_cast<uint64_t>(phase));
  encoding.string(kind);
  encoding.string(node);
  encoding.string(peer);
  encoding.string(detail);
  encoding.number(span);
  StableHasher hasher(hash);
  encoding.hash_into(hasher);
  return hasher.value();
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
  if (keep_ != Keep::None || consumer_) {
    std::string joined;
    for (const std::string_view piece : detail) joined += piece;
    add(time, TraceRecord::Phase::Instant, kind, node, peer, joined, 0);
    return;
  }
  if (const auto hash = encoded_hash(hash_, time, TraceRecord::Phase::Instant, kind, node, peer, detail, 0)) {
    hash_ = *hash;
    ++count_;
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
  if (const auto hash = encoded_hash(hash_, time, phase, kind, node, peer, {detail}, span)) {
    hash_ = *hash;
  } else {
    StableHasher hasher(hash_);
    add_head(hasher, time, phase, kind, node, peer);
    hasher.add(detail);
    hasher.add(span);
    hash_ = hasher.value();
  }
  ++count_;
  if (keep_ == Keep::None && !consumer_) return;

  TraceRecord record{time, phase, std::string(kind), std::string(node), std::string(peer), std::string(detail), span};
  if (consumer_) consumer_(record);
  if (keep_ == Keep::None) return;
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

void Trace::stream_to(TraceConsumer consumer) { consumer_ = std::move(consumer); }

}  // namespace outpost::sim
