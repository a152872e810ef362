#include "reference/live/proxy/toxic.h"

#include <cmath>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "reference/common/ascii.h"
#include "reference/live/proxy/proxy_error.h"

namespace outpost::live::proxy {

using nlohmann::json;

namespace {

ProxyError bad(const std::string& message) { return ProxyError(400, message); }

// The values of `attributes` as numbers by name, for the shared parser: null is absent, anything but a number is
// refused. An integer past 2^53 would round to one within the limits as a double, so it is kept too large.
std::map<std::string, double> attribute_values(const json& attributes) {
  std::map<std::string, double> values;
  for (const auto& [key, value] : attributes.items()) {
    if (value.is_null()) continue;
    if (!value.is_number()) throw bad("attribute '" + key + "' must be a number");
    const bool past_exact = value.is_number_unsigned() && value.get<uint64_t>() > toxics::kMaxCount;
    values[key] = past_exact ? std::numeric_limits<double>::infinity() : value.get<double>();
  }
  return values;
}

json rate_value(double bytes_per_second) {
  const double rate = bytes_per_second / kBytesPerRateUnit;
  if (rate == std::floor(rate) && rate < static_cast<double>(toxics::kMaxCount))
    return json(static_cast<uint64_t>(rate));
  return json(rate);
}

// Checks `attributes` against the type and fills toxic.parsed and toxic.attributes (every attribute of the type).
void parse_attributes(Toxic& toxic, const json& attributes) {
  if (!attributes.is_object()) throw bad("attributes must be a JSON object");
  ToxicAttributes& p = toxic.parsed;
  try {
    std::vector<std::string> names;
    for (const auto& [key, value] : attributes.items()) names.push_back(key);
    toxics::check_attribute_names(toxic.type, names);  // a misspelt name first, whatever its value
    p = toxics::parse_toxic_attributes(toxic.type, attribute_values(attributes));
  } catch (const std::invalid_argument& refused) {
    throw bad(refused.what());
  }
  json shown = json::object();
  switch (toxic.type) {
    case ToxicType::Latency: shown = {{"latency", p.latency.count()}, {"jitter", p.jitter.count()}}; break;
    case ToxicType::Bandwidth:
      shown = {{"rate", rate_value(p.bytes_per_second)},
               {"rate_bytes", static_cast<uint64_t>(std::llround(p.bytes_per_second))}};
      break;
    case ToxicType::Timeout:
    case ToxicType::ResetPeer: shown = {{"timeout", p.timeout.count()}}; break;
    case ToxicType::LimitData: shown = {{"bytes", p.bytes}}; break;
    case ToxicType::Slicer:
      shown = {{"average_size", p.average_size},
               {"size_variation", p.size_variation},
               {"delay", p.slice_delay.count()}};
      break;
    case ToxicType::SlowClose: shown = {{"delay", p.close_delay.count()}}; break;
  }
  toxic.attributes = std::move(shown);
}

double parse_toxicity(const json& value) {
  if (!value.is_number()) throw bad("toxicity must be a number between 0 and 1");
  try {
    return toxics::checked_toxicity(value.get<double>());
  } catch (const std::invalid_argument& refused) {
    throw bad(refused.what());
  }
}

}  // namespace

Toxic toxic_from_json(const json& body) {
  if (!body.is_object()) throw bad("bad request body: expected a JSON object");
  for (const auto& [key, value] : body.items())
    if (key != "name" && key != "type" && key != "stream" && key != "toxicity" && key != "attributes")
      throw bad("bad request body: unknown field '" + key + "'");
  Toxic toxic;
  const auto type = body.find("type");
  if (type == body.end() || type->is_null()) throw bad("missing required field: type");
  if (!type->is_string()) throw bad("bad request body: 'type' must be a string");
  const auto parsed_type = parse_toxic_type(type->get<std::string>());
  if (!parsed_type) throw bad("invalid toxic type: " + type->get<std::string>());
  toxic.type = *parsed_type;
  if (const auto stream = body.find("stream"); stream != body.end() && !stream->is_null()) {
    // toxiproxy lowercases the stream before it reads it ("Upstream" is upstream); so does this API.
    const auto parsed = stream->is_string() ? parse_stream(ascii_lowercase(stream->get<std::string>())) : std::nullopt;
    if (!parsed) throw bad("stream was invalid, can be either upstream or downstream");
    toxic.stream = *parsed;
  }
  if (const auto toxicity = body.find("toxicity"); toxicity != body.end() && !toxicity->is_null())
    toxic.toxicity = parse_toxicity(*toxicity);
  if (const auto name = body.find("name"); name != body.end() && !name->is_null() &&
                                           !(name->is_string() && name->get<std::string>().empty())) {
    if (!name->is_string() || !is_valid_name(name->get<std::string>()))
      throw bad("toxic name must be " + std::string(toxics::kNameRule));
    toxic.name = name->get<std::string>();
  } else {
    toxic.name = toxics::default_toxic_name(toxic.type, toxic.stream);
  }
  const auto attributes = body.find("attributes");
  parse_attributes(toxic, attributes == body.end() || attributes->is_null() ? json::object() : *attributes);
  return toxic;
}

Toxic toxic_updated(const Toxic& current, const json& body) {
  if (!body.is_object()) throw bad("bad request body: expected a JSON object");
  Toxic toxic = current;
  for (const auto& [key, value] : body.items()) {
    if (key == "name" && !(value.is_string() && value.get<std::string>() == current.name))
      throw bad("a toxic cannot be renamed; remove it and add it again");
    if (key == "type" && !(value.is_string() && value.get<std::string>() == toxic_type_name(current.type)))
      throw bad("a toxic's type cannot change; remove it and add it again");
    if (key == "stream" && !(value.is_string() && ascii_iequals(value.get<std::string>(), stream_name(current.stream))))
      throw bad("a toxic's stream cannot change; remove it and add it again");
    if (key != "name" && key != "type" && key != "stream" && key != "toxicity" && key != "attributes")
      throw bad("bad request body: unknown field '" + key + "'");
  }
  if (const auto toxicity = body.find("toxicity"); toxicity != body.end() && !toxicity->is_null())
    toxic.toxicity = parse_toxicity(*toxicity);
  if (const auto attributes = body.find("attributes"); attributes != body.end() && !attributes->is_null()) {
    if (!attributes->is_object()) throw bad("attributes must be a JSON object");
    json merged = current.attributes;
    // rate and rate_bytes are two spellings of one value: a new one replaces both old ones.
    if (current.type == ToxicType::Bandwidth && (attributes->contains("rate") || attributes->contains("rate_bytes"))) {
      merged.erase("rate");
      merged.erase("rate_bytes");
    } else if (current.type == ToxicType::Bandwidth) {
      merged.erase("rate");  // keep the exact spelling
    }
    for (const auto& [key, value] : attributes->items()) merged[key] = value;
    parse_attributes(toxic, merged);
  }
  return toxic;
}

json to_json(const Toxic& toxic) {
  return {{"name", toxic.name},
          {"type", toxic_type_name(toxic.type)},
          {"stream", stream_name(toxic.stream)},
          {"toxicity", toxic.toxicity},
          {"attributes", toxic.attributes}};
}

}  // namespace outpost::live::proxy
