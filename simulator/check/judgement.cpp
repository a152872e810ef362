#include "simulator/check/judgement.h"

namespace outpost::check {

bool Judgement::agrees_with_any() const { return newest_agreeing().has_value(); }

std::optional<size_t> Judgement::newest_agreeing() const {
  for (size_t i = agreeing.size(); i-- > 0;)
    if (agreeing[i]) return i;
  return std::nullopt;
}

std::optional<size_t> Judgement::oldest_agreeing() const {
  for (size_t i = 0; i < agreeing.size(); ++i)
    if (agreeing[i]) return i;
  return std::nullopt;
}

std::string Judgement::describe(const ObservedDecision& decision) const {
  std::string out = std::string(to_string(request.operation));
  if (!request.repository.empty()) out += " " + request.repository;
  if (!request.mount_source.empty()) out += " from " + request.mount_source;
  if (!request.gateway_cr.empty()) out += " for " + request.gateway_cr;
  out += " by " + check::describe(credential) + ": the node answered " + check::describe(decision.outcome) +
         " (it saw: " + decision.node_said + "); the oracle says " +
         (answers.empty() || !answers.back() ? std::string("(not asked)") : check::describe(*answers.back()));
  if (answers.size() > 1) {
    out += " now";
    if (const auto newest = newest_agreeing()) out += ", and agrees with version " + std::to_string(*newest);
  }
  return out;
}

std::optional<Judgement> prepare(const WorldHistory& history, const CredentialBook& book,
                                 const ObservedDecision& decision) {
  return prepare(history, book, decision, classify(decision.method, decision.path, decision.query));
}

std::optional<Judgement> prepare(const WorldHistory& history, const CredentialBook& book,
                                 const ObservedDecision& decision, Request request) {
  const World& now = history.current();
  // The node is the one at the Host the request named, else the deciding node's.
  const std::optional<NodeRef> reached = now.node_at(decision.host.empty() ? decision.node : decision.host);
  std::optional<NodeRef> node = reached;
  if (!node && !decision.host.empty()) node = now.node_at(decision.node);
  if (!node) return std::nullopt;
  Judgement judgement;
  judgement.node = *node;
  judgement.depth = now.depth(*node);
  judgement.node_address = now.address_of(*node);
  judgement.reached_read_only = reached && now.read_only(*reached);
  judgement.request = std::move(request);
  judgement.request.host = decision.host;
  judgement.credential = book.resolve(decision.authorization);
  // Versions recorded after the decision are not ones the node could have known.
  const size_t newest = history.current_during(decision.time, Nanoseconds::zero()).second;
  judgement.answers.resize(newest + 1);
  judgement.agreeing.resize(newest + 1, false);
  return judgement;
}

bool ask(Judgement& judgement, size_t version, const WorldHistory& history, const ObservedDecision& decision,
         const OracleOptions& options) {
  if (version >= judgement.answers.size()) return false;
  if (!judgement.answers[version]) {
    judgement.answers[version] = answer(history.world(version), judgement.node, judgement.request,
                                        judgement.credential, decision.time, options, &history.memo(version));
    judgement.agreeing[version] = agrees(*judgement.answers[version], decision.outcome);
    judgement.asked.push_back(static_cast<uint32_t>(version));
  }
  return judgement.agreeing[version];
}

std::optional<Judgement> judge(const WorldHistory& history, const CredentialBook& book,
                               const ObservedDecision& decision, const OracleOptions& options) {
  auto judgement = prepare(history, book, decision);
  if (judgement)
    for (size_t version = 0; version < judgement->answers.size(); ++version)
      ask(*judgement, version, history, decision, options);
  return judgement;
}

}  // namespace outpost::check
