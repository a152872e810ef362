#pragma once
// application/x-www-form-urlencoded bodies (the POST form of the token endpoint, SPEC 3.4), decoded strictly: a '%'
// not followed by two hex digits refuses the whole body instead of being passed through, so a value has one spelling.
// '+' is a space. Pure: a fuzz target drives it.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace outpost::registry {

class FormFields {
 public:
  FormFields() = default;
  explicit FormFields(std::vector<std::pair<std::string, std::string>> fields) : fields_(std::move(fields)) {}

  // The first value of `name`.
  std::optional<std::string> get(std::string_view name) const;
  std::vector<std::string> get_all(std::string_view name) const;
  size_t count(std::string_view name) const;
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;  // in body order
};

// Nothing for a malformed escape. "a=1&&b" gives a="1" and b="" (empty pairs are skipped).
std::optional<FormFields> parse_form(std::string_view body);

}  // namespace outpost::registry
