#include "reference/control/control_codec.h"

namespace outpost::control {

namespace {
int64_t to_ns(WallTime time) { return time.time_since_epoch().count(); }
WallTime from_ns(int64_t ns) { return WallTime(Nanoseconds(ns)); }
}  // namespace

nlohmann::json encode(const auth::ScopeMap& scope_map) {
  return {{"name", scope_map.name}, {"description", scope_map.description}, {"actions", scope_map.actions}};
}

auth::ScopeMap decode_scope_map(const nlohmann::json& document) {
  auth::ScopeMap scope_map;
  scope_map.name = document.at("name").get<std::string>();
  scope_map.description = document.value("description", "");
  scope_map.actions = document.at("actions").get<std::vector<std::string>>();
  scope_map.type = auth::ScopeMapType::UserDefined;
  return scope_map;
}

nlohmann::json encode(const auth::Token& token) {
  nlohmann::json passwords = nlohmann::json::array();
  for (const auto& slot : token.passwords) {
    nlohmann::json entry = {{"present", slot.present}, {"hash", slot.hash}, {"created", to_ns(slot.creation_time)}};
    if (slot.expiry) entry["expiry"] = to_ns(*slot.expiry);
    passwords.push_back(std::move(entry));
  }
  return {{"name", token.name},
          {"scopeMap", token.scope_map},
          {"status", std::string(auth::to_string(token.status))},
          {"passwords", passwords}};
}

auth::Token decode_token(const nlohmann::json& document) {
  auth::Token token;
  token.name = document.at("name").get<std::string>();
  token.scope_map = document.at("scopeMap").get<std::string>();
  token.status = auth::parse_token_status(document.at("status").get<std::string>()).value_or(auth::TokenStatus::Disabled);
  const auto& passwords = document.at("passwords");
  for (size_t i = 0; i < token.passwords.size() && i < passwords.size(); ++i) {
    auto& slot = token.passwords[i];
    slot.present = passwords[i].at("present").get<bool>();
    slot.hash = passwords[i].at("hash").get<std::string>();
    slot.creation_time = from_ns(passwords[i].at("created").get<int64_t>());
    if (passwords[i].contains("expiry")) slot.expiry = from_ns(passwords[i]["expiry"].get<int64_t>());
  }
  return token;
}

}  // namespace outpost::control
