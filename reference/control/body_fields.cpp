#include "reference/control/body_fields.h"

#include "reference/common/time_format.h"
#include "reference/control/control_errors.h"

namespace outpost::control {

namespace {

std::string list(std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view name : names) out += (out.empty() ? "" : ", ") + in_quotes(name);
  return out;
}
}  // namespace

BodyFields::BodyFields(const nlohmann::json& body, std::string_view operation,
                       std::initializer_list<std::string_view> allowed)
    : body_(body), operation_(operation) {
  if (body_.is_null()) return;
  if (!body_.is_object()) throw invalid_request(operation_ + " must be a JSON object");
  for (const auto& [key, value] : body_.items()) {
    bool known = false;
    for (std::string_view name : allowed) known = known || key == name;
    if (!known)
      throw invalid_request(
          "unknown field " + in_quotes(key) + " in " + operation_ + "; allowed fields are " + list(allowed),
          {{"field", key}});
  }
}

const nlohmann::json* BodyFields::member(std::string_view field) const {
  if (!body_.is_object()) return nullptr;
  const auto it = body_.find(field);
  if (it == body_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool BodyFields::has(std::string_view field) const { return member(field) != nullptr; }

std::optional<std::string> BodyFields::string(std::string_view field) const {
  const nlohmann::json* value = member(field);
  if (!value) return std::nullopt;
  if (!value->is_string()) throw invalid_request("field " + in_quotes(field) + " must be a string", {{"field", field}});
  return value->get<std::string>();
}

std::optional<bool> BodyFields::boolean(std::string_view field) const {
  const nlohmann::json* value = member(field);
  if (!value) return std::nullopt;
  if (!value->is_boolean())
    throw invalid_request("field " + in_quotes(field) + " must be true or false", {{"field", field}});
  return value->get<bool>();
}

std::optional<std::vector<std::string>> BodyFields::strings(std::string_view field) const {
  const nlohmann::json* value = member(field);
  if (!value) return std::nullopt;
  const auto refuse = [&] {
    return invalid_request("field " + in_quotes(field) + " must be an array of strings", {{"field", field}});
  };
  if (!value->is_array()) throw refuse();
  std::vector<std::string> out;
  out.reserve(value->size());
  for (const auto& item : *value) {
    if (!item.is_string()) throw refuse();
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<WallTime> BodyFields::time(std::string_view field) const {
  const std::optional<std::string> text = string(field);
  if (!text) return std::nullopt;
  const std::optional<WallTime> parsed = parse_rfc3339(*text);
  if (!parsed)
    throw invalid_request("field " + in_quotes(field) + " must be an RFC 3339 time such as 2030-01-31T12:00:00Z, from " +
                              std::to_string(kFirstRfc3339Year) + " to " + std::to_string(kLastRfc3339Year) +
                              " (a day the month has); got " + in_quotes(*text),
                          {{"field", field}});
  return parsed;
}

void BodyFields::check_name_matches(std::string_view name_in_path) const {
  const std::optional<std::string> name = string("name");
  if (name && *name != name_in_path)
    throw invalid_request("the body names " + in_quotes(*name) + " but the request is for " + in_quotes(name_in_path) +
                          "; a resource cannot be renamed");
}

}  // namespace outpost::control
