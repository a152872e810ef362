#include "reference/control/api_json.h"

#include "reference/common/time_format.h"

namespace outpost::control {

nlohmann::json scope_map_json(const auth::ScopeMap& scope_map) {
  return {{"name", scope_map.name},
          {"description", scope_map.description},
          {"actions", scope_map.actions},
          {"type", std::string(auth::to_string(scope_map.type))}};
}

nlohmann::json password_json(auth::PasswordName name, const auth::PasswordSlot& slot,
                             const std::optional<std::string>& value) {
  nlohmann::json entry = {{"name", std::string(auth::to_string(name))},
                          {"creationTime", format_rfc3339(slot.creation_time)}};
  if (slot.expiry) entry["expiry"] = format_rfc3339(*slot.expiry);
  if (value) entry["value"] = *value;
  return entry;
}

nlohmann::json token_json(const auth::Token& token, const PasswordValues& values) {
  nlohmann::json passwords = nlohmann::json::array();
  for (auth::PasswordName name : {auth::PasswordName::Password1, auth::PasswordName::Password2}) {
    const auth::PasswordSlot& slot = token.password(name);
    if (slot.present) passwords.push_back(password_json(name, slot, values[static_cast<size_t>(name)]));
  }
  return {{"name", token.name},
          {"scopeMap", token.scope_map},
          {"status", std::string(auth::to_string(token.status))},
          {"passwords", std::move(passwords)}};
}

nlohmann::json token_json(const auth::Token& token) { return token_json(token, PasswordValues{}); }

}  // namespace outpost::control
