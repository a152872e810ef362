#include "simulator/net/toxic.h"

#include <stdexcept>
#include <utility>

namespace outpost::sim {

namespace {

std::invalid_argument bad(const std::string& message) { return std::invalid_argument(message); }

}  // namespace

Toxic make_toxic(std::string_view type, const std::map<std::string, double>& attributes, std::string_view stream,
                 double toxicity, std::string name) {
  Toxic toxic;
  const auto parsed_type = parse_toxic_type(type);
  if (!parsed_type) throw bad("invalid toxic type: " + std::string(type));
  toxic.type = *parsed_type;
  const auto parsed_stream = parse_stream(stream);
  if (!parsed_stream) throw bad("stream was invalid, can be either upstream or downstream");
  toxic.stream = *parsed_stream;
  toxic.toxicity = toxics::checked_toxicity(toxicity);
  if (name.empty()) name = toxics::default_toxic_name(toxic.type, toxic.stream);
  if (!toxics::is_valid_name(name)) throw bad("toxic name must be " + std::string(toxics::kNameRule));
  toxic.name = std::move(name);
  toxic.attributes = toxics::parse_toxic_attributes(toxic.type, attributes);
  return toxic;
}

}  // namespace outpost::sim
