#include "simulator/check/decision_observation.h"

namespace outpost::check {

namespace {
std::string_view credential_name(auth::CredentialState state) {
  switch (state) {
    case auth::CredentialState::None: return "none";
    case auth::CredentialState::UnknownToken: return "unknown token";
    case auth::CredentialState::WrongPassword: return "wrong password";
    case auth::CredentialState::Disabled: return "disabled";
    case auth::CredentialState::PasswordExpired: return "password expired";
    case auth::CredentialState::InvalidBearerToken: return "invalid bearer";
    case auth::CredentialState::DisabledSyncToken: return "disabled sync token";
    case auth::CredentialState::ValidToken: return "valid token";
    case auth::CredentialState::Admin: return "admin";
  }
  return "?";
}
}  // namespace

ObservedDecision observed_decision(const registry::DecisionRecord& record, WallTime now) {
  ObservedDecision decision;
  observed_decision(record, now, decision);
  return decision;
}

void observed_decision(const registry::DecisionRecord& record, WallTime now, ObservedDecision& decision) {
  decision.time = now;
  decision.node.assign(record.node);
  decision.host.assign(record.request.headers.get("Host").value_or(""));
  decision.from.assign(record.request.remote_address);
  decision.method = record.request.method;
  decision.path.assign(record.request.path);
  decision.query.assign(record.request.query);
  decision.authorization.assign(record.request.headers.get("Authorization").value_or(""));
  if (record.denial) {
    decision.outcome.status = record.denial->status;
    decision.outcome.code = record.denial->code;
    decision.outcome.message = record.denial->message;
    decision.outcome.challenge = record.denial->challenge;
    decision.outcome.challenge_scope = record.denial->challenge_scope;
    decision.outcome.insufficient_scope = record.denial->insufficient_scope;
  } else {
    decision.outcome = Outcome{};
  }
  // Appended in place (every decision of a run is copied here, and only a report reads this).
  std::string& said = decision.node_said;
  said = credential_name(record.credential);
  said += " '";
  said += record.subject;
  said += '\'';
  if (record.presented == auth::Presentation::Bearer) said += " by Bearer";
  if (record.view.mode == auth::RegistryMode::ReadOnly) said += ", ReadOnly";
  if (record.view.cr_disabled) said += ", disabled";
  if (!record.view.repository_synced) said += ", repository not synced";
  if (record.needs.is_write) said += ", write";
}

}  // namespace outpost::check
