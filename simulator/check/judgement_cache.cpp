#include "simulator/check/judgement_cache.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "reference/common/word_hash.h"
#include "simulator/check/flat_slots.h"

namespace outpost::check {

namespace {

// Everything agrees() reads of an outcome.
bool same_outcome(const Outcome& a, const Outcome& b) {
  return a.status == b.status && a.challenge == b.challenge && a.insufficient_scope == b.insufficient_scope &&
         a.code == b.code && a.message == b.message && a.challenge_scope == b.challenge_scope;
}
}  // namespace

void JudgementCache::clear() {
  slots_.assign(flat_slots::kFirstSlots, Slot{});
  keys_.clear();
  entries_.clear();
}

bool JudgementCache::make_key(const std::string_view (&fields)[kFields], uint8_t operation, uint8_t gateway_needs) {
  // Sized once and written in place: a dozen appends, each checking the capacity again, cost twice as much.
  size_t total = 2;
  for (const std::string_view field : fields) {
    if (field.size() > std::numeric_limits<uint32_t>::max()) return false;
    total += sizeof(uint32_t) + field.size();
  }
  if (total > std::numeric_limits<uint32_t>::max()) return false;
  key_.resize(total);
  char* to = key_.data();
  for (const std::string_view field : fields) {
    const auto size = static_cast<uint32_t>(field.size());
    std::memcpy(to, &size, sizeof size);
    to += sizeof size;
    if (size != 0) std::memcpy(to, field.data(), size);
    to += size;
  }
  to[0] = static_cast<char>(operation);
  to[1] = static_cast<char>(gateway_needs);
  return true;
}

JudgementCache::Slot& JudgementCache::find(uint64_t hash) {
  const auto size = static_cast<uint32_t>(key_.size());
  for (size_t at = flat_slots::home(hash, slots_.size());; at = flat_slots::next(at, slots_.size())) {
    Slot& slot = slots_[at];
    if (!slot.entry ||
        (slot.hash == hash && slot.key_size == size && std::memcmp(keys_.data() + slot.key_at, key_.data(), size) == 0))
      return slot;
  }
}

Judgement* JudgementCache::prepare(const WorldHistory& history, const CredentialBook& book,
                                  const ObservedDecision& decision) {
  last_ = nullptr;
  if (slots_.empty() || history.size() != versions_ || book.generation() != book_generation_ ||
      entries_.size() >= kMaxEntries) {
    clear();  // a new version or credential: what was prepared may read differently now
    versions_ = history.size();
    book_generation_ = book.generation();
  }
  // The request as the oracle reads it (its query matters only to a mount, and classify() keeps what it needs), the
  // node and Host it reached, and the credentials.
  Request request = classify(decision.method, decision.path, decision.query);
  const std::string_view fields[kFields] = {decision.node,        decision.host,       request.repository,
                                             request.mount_source, request.gateway_cr, decision.authorization};
  if (!make_key(fields, static_cast<uint8_t>(request.operation), request.gateway_needs.bits)) {
    // Not a key the table holds: prepared anew each time.
    auto judgement = check::prepare(history, book, decision, std::move(request));
    if (!judgement) return nullptr;
    uncached_ = Entry{std::move(*judgement), {}, {}, decision.outcome};
    last_ = &uncached_;
    return &uncached_.judgement;
  }
  const uint64_t hash = word_hash(key_);
  Slot* slot = &find(hash);
  if (!slot->entry) {
    auto judgement = check::prepare(history, book, decision, std::move(request));
    if (!judgement) return nullptr;
    if (2 * (entries_.size() + 1) > slots_.size()) {
      flat_slots::grow(slots_, [](const Slot& used) { return used.entry != nullptr; });
      slot = &find(hash);
    }
    const size_t key_at = keys_.size();
    keys_ += key_;
    last_ = &entries_.emplace_back(Entry{std::move(*judgement), {}, {}, decision.outcome});
    *slot = Slot{hash, key_at, last_, static_cast<uint32_t>(key_.size())};
    return &last_->judgement;
  }
  ++hits_;
  last_ = slot->entry;
  Judgement& judgement = last_->judgement;
  std::vector<bool>& kept = last_->kept;
  // As prepare(): versions recorded after the decision are not ones the node could have known. (A decision judged
  // late may know fewer than the last one did: what it drops is asked again when needed.)
  const size_t newest = history.current_during(decision.time, Nanoseconds::zero()).second;
  // Answers asked at the last decision's time and not kept are not this one's.
  for (const uint32_t version : judgement.asked)
    if (version >= kept.size() || !kept[version]) {
      judgement.answers[version].reset();
      judgement.agreeing[version] = false;
    }
  judgement.asked.clear();
  judgement.answers.resize(newest + 1);
  kept.resize(newest + 1, false);
  std::erase_if(last_->kept_versions, [newest](uint32_t version) { return version > newest; });
  if (same_outcome(last_->agreeing_for, decision.outcome)) {
    // Every kept answer's agreement was worked out for this outcome (here, or by ask() at the last decision);
    // versions past the old end have no answer, so they do not agree.
    judgement.agreeing.resize(newest + 1, false);
  } else {
    judgement.agreeing.assign(newest + 1, false);
    for (const uint32_t version : last_->kept_versions)
      judgement.agreeing[version] = agrees(*judgement.answers[version], decision.outcome);
    last_->agreeing_for = decision.outcome;
  }
  return &judgement;
}

void JudgementCache::keep(const WorldHistory& history) {
  if (!last_) return;
  const Judgement& judgement = last_->judgement;
  std::vector<bool>& kept = last_->kept;
  if (kept.size() < judgement.answers.size()) kept.resize(judgement.answers.size(), false);
  for (const uint32_t version : judgement.asked)
    if (judgement.answers[version] && !kept[version] &&
        !depends_on_time(history.world(version), judgement.credential)) {
      kept[version] = true;
      last_->kept_versions.push_back(version);
    }
  last_ = nullptr;
}

}  // namespace outpost::check
