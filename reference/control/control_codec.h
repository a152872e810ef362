#pragma once
// JSON documents for the control store's records: what SQLite keeps per row, and what a memory store can copy.
#include <nlohmann/json.hpp>

#include "reference/auth/scope_map.h"
#include "reference/auth/token.h"

namespace outpost::control {

nlohmann::json encode(const auth::ScopeMap& scope_map);
auth::ScopeMap decode_scope_map(const nlohmann::json& document);
nlohmann::json encode(const auth::Token& token);  // keeps password hashes: storage only, never an API answer
auth::Token decode_token(const nlohmann::json& document);

}  // namespace outpost::control
