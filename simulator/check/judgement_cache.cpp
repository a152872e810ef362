#include "simulator/check/judgement_cache.h"

#include <initializer_list>

namespace outpost::check {

Judgement* JudgementCache::prepare(const WorldHistory& history, const CredentialBook& book,
                                  const ObservedDecision& decision) {
  last_ = nullptr;
  if (history.size() != versions_ || book.generation() != book_generation_ || entries_.size() >= kMaxEntries) {
    entries_.clear();  // a new version or credential: what was prepared may read differently now
    versions_ = history.size();
    book_generation_ = book.generation();
  }
  // The request as the oracle reads it (its query matters only to a mount, and classify() keeps what it needs), the
  // node and Host it reached, and the credentials: fields joined by NUL, which none of them can hold.
  Request request = classify(decision.method, decision.path, decision.query);
  key_.clear();
  const std::initializer_list<const std::string*> fields{&decision.node,       &decision.host,
                                                         &request.repository,  &request.mount_source,
                                                         &request.gateway_cr,  &decision.authorization};
  for (const std::string* field : fields) {
    key_ += *field;
    key_ += '\0';
  }
  key_ += static_cast<char>(static_cast<int>(request.operation));
  key_ += static_cast<char>(request.gateway_needs.bits);

  auto found = entries_.find(key_);
  if (found == entries_.end()) {
    auto judgement = check::prepare(history, book, decision, std::move(request));
    if (!judgement) return nullptr;
    auto entry = std::make_unique<Entry>();
    entry->judgement = std::move(*judgement);
    last_ = entries_.emplace(key_, std::move(entry)).first->second.get();
    return &last_->judgement;
  }
  ++hits_;
  last_ = found->second.get();
  Judgement& judgement = last_->judgement;
  std::vector<bool>& kept = last_->kept;
  // As prepare(): versions recorded after the decision are not ones the node could have known. (A decision judged
  // late may know fewer than the last one did: what it drops is asked again when needed.)
  const size_t newest = history.current_during(decision.time, Nanoseconds::zero()).second;
  judgement.answers.resize(newest + 1);
  kept.resize(newest + 1, false);
  judgement.agreeing.assign(newest + 1, false);
  for (size_t version = 0; version <= newest; ++version) {
    if (!kept[version]) {
      judgement.answers[version].reset();  // asked at the last decision's time: not this one's answer
    } else {
      judgement.agreeing[version] = agrees(*judgement.answers[version], decision.outcome);
    }
  }
  return &judgement;
}

void JudgementCache::keep(const WorldHistory& history) {
  if (!last_) return;
  const Judgement& judgement = last_->judgement;
  std::vector<bool>& kept = last_->kept;
  if (kept.size() < judgement.answers.size()) kept.resize(judgement.answers.size(), false);
  for (size_t version = 0; version < judgement.answers.size(); ++version)
    if (judgement.answers[version] && !kept[version])
      kept[version] = !depends_on_time(history.world(version), judgement.credential);
  last_ = nullptr;
}

}  // namespace outpost::check
