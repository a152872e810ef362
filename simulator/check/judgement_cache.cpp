#include "simulator/check/judgement_cache.h"

#include <initializer_list>

namespace outpost::check {

std::optional<Judgement> JudgementCache::prepare(const WorldHistory& history, const CredentialBook& book,
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
    if (!judgement) return judgement;
    auto entry = std::make_unique<Entry>();
    entry->prepared = *judgement;
    entry->prepared.answers.clear();
    entry->prepared.agreeing.clear();
    last_ = entries_.emplace(key_, std::move(entry)).first->second.get();
    return judgement;
  }
  ++hits_;
  last_ = found->second.get();
  Judgement judgement = last_->prepared;
  // As prepare(): versions recorded after the decision are not ones the node could have known.
  const size_t newest = history.current_during(decision.time, Nanoseconds::zero()).second;
  judgement.answers.resize(newest + 1);
  judgement.agreeing.resize(newest + 1, false);
  const auto& known = last_->answers;
  for (size_t version = 0; version <= newest && version < known.size(); ++version) {
    if (!known[version]) continue;
    judgement.answers[version] = known[version];
    judgement.agreeing[version] = agrees(*known[version], decision.outcome);
  }
  return judgement;
}

void JudgementCache::keep(const Judgement& judgement, const WorldHistory& history) {
  if (!last_) return;
  auto& known = last_->answers;
  for (size_t version = 0; version < judgement.answers.size(); ++version) {
    if (!judgement.answers[version] || (version < known.size() && known[version])) continue;
    if (depends_on_time(history.world(version), judgement.credential)) continue;
    if (known.size() <= version) known.resize(version + 1);
    known[version] = judgement.answers[version];
  }
  last_ = nullptr;
}

}  // namespace outpost::check
