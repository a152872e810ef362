#pragma once
// Reading a management request's JSON body: the body must be an object, every member must be one the operation knows
// (a misspelt field is refused rather than silently ignored), and each field must have its type. Every refusal is a
// 400 INVALID_REQUEST naming the field and what it should hold. A JSON null reads as an absent field, and a null body
// (no body at all) as an empty object.
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"

namespace outpost::control {

class BodyFields {
 public:
  // `operation` names the request in messages ("a scope map PUT body"); `allowed` lists the members it takes.
  BodyFields(const nlohmann::json& body, std::string_view operation, std::initializer_list<std::string_view> allowed);

  bool has(std::string_view field) const;
  std::optional<std::string> string(std::string_view field) const;
  std::optional<bool> boolean(std::string_view field) const;
  std::optional<std::vector<std::string>> strings(std::string_view field) const;
  // An RFC 3339 time (Z or an offset); past values are accepted.
  std::optional<WallTime> time(std::string_view field) const;

  // A body may repeat the name it is sent to (a client PUTting back what it read); it must then be the same name.
  void check_name_matches(std::string_view name_in_path) const;

 private:
  const nlohmann::json* member(std::string_view field) const;

  const nlohmann::json& body_;
  std::string operation_;
};

}  // namespace outpost::control
