#include "reference/live/proxy/toxic.h"

#include <array>
#include <cmath>
#include <utility>

#include "reference/live/proxy/proxy_error.h"

namespace outpost::live::proxy {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<ToxicType, std::string_view>, 7> kTypeNames{{
    {ToxicType::Latency, "latency"},
    {ToxicType::Bandwidth, "bandwidth"},
    {ToxicType::Timeout, "timeout"},
    {ToxicType::ResetPeer, "reset_peer"},
    {ToxicType::LimitData, "limit_data"},
    {ToxicType::Slicer, "slicer"},
    {ToxicType::SlowClose, "slow_close"},
}};

// Durations past this (11.5 days) are refused: far beyond any test, and far from overflowing a steady_clock time point.
constexpr uint64_t kMaxMilliseconds = 1'000'000'000;
constexpr uint64_t kMaxCount = uint64_t{1} << 53;  // bytes and sizes: exact in a JSON double

ProxyError bad(const std::string& message) { return ProxyError(400, message); }

std::vector<std::string_view> attribute_names(ToxicType type) {
  switch (type) {
    case ToxicType::Latency: return {"latency", "jitter"};
    case ToxicType::Bandwidth: return {"rate", "rate_bytes"};
    case ToxicType::Timeout: return {"timeout"};
    case ToxicType::ResetPeer: return {"timeout"};
    case ToxicType::LimitData: return {"bytes"};
    case ToxicType::Slicer: return {"average_size", "size_variation", "delay"};
    case ToxicType::SlowClose: return {"delay"};
  }
  return {};
}

// A non-negative whole number (1, 1.0; not -1, 1.5 or "1"), at most `max`; 0 when absent.
uint64_t whole(const json& attributes, const char* key, uint64_t max) {
  const auto it = attributes.find(key);
  if (it == attributes.end() || it->is_null()) return 0;
  const std::string where = std::string("attribute '") + key + "'";
  if (it->is_number_integer()) {  // signed or unsigned: parsed text gives unsigned, a C++ literal gives signed
    if (!it->is_number_unsigned() && it->get<int64_t>() < 0) throw bad(where + " must not be negative");
    const uint64_t value = it->get<uint64_t>();
    if (value > max) throw bad(where + " is too large (at most " + std::to_string(max) + ")");
    return value;
  }
  if (it->is_number_float()) {
    const double value = it->get<double>();
    if (value < 0) throw bad(where + " must not be negative");
    if (value != std::floor(value)) throw bad(where + " must be a whole number");
    if (value > static_cast<double>(max)) throw bad(where + " is too large (at most " + std::to_string(max) + ")");
    return static_cast<uint64_t>(value);
  }
  throw bad(where + " must be a number");
}

double non_negative(const json& attributes, const char* key, double max) {
  const auto it = attributes.find(key);
  if (it == attributes.end() || it->is_null()) return 0;
  const std::string where = std::string("attribute '") + key + "'";
  if (!it->is_number()) throw bad(where + " must be a number");
  const double value = it->get<double>();
  if (!(value >= 0)) throw bad(where + " must not be negative");
  if (value > max) throw bad(where + " is too large");
  return value;
}

json rate_value(double bytes_per_second) {
  const double rate = bytes_per_second / kBytesPerRateUnit;
  if (rate == std::floor(rate) && rate < static_cast<double>(kMaxCount)) return json(static_cast<uint64_t>(rate));
  return json(rate);
}

// Checks `attributes` against the type and fills toxic.parsed and toxic.attributes (every attribute of the type).
void parse_attributes(Toxic& toxic, const json& attributes) {
  if (!attributes.is_object()) throw bad("attributes must be a JSON object");
  const auto known = attribute_names(toxic.type);
  for (const auto& [key, value] : attributes.items()) {
    bool found = false;
    for (const auto name : known) found = found || key == name;
    if (!found) {
      std::string list;
      for (const auto name : known) list += (list.empty() ? "" : ", ") + std::string(name);
      throw bad("unknown attribute '" + key + "' for a " + std::string(toxic_type_name(toxic.type)) +
                " toxic (it takes: " + list + ")");
    }
  }
  ToxicAttributes& p = toxic.parsed;
  p = ToxicAttributes{};
  json shown = json::object();
  switch (toxic.type) {
    case ToxicType::Latency:
      p.latency = std::chrono::milliseconds(whole(attributes, "latency", kMaxMilliseconds));
      p.jitter = std::chrono::milliseconds(whole(attributes, "jitter", kMaxMilliseconds));
      shown = {{"latency", p.latency.count()}, {"jitter", p.jitter.count()}};
      break;
    case ToxicType::Bandwidth: {
      const bool has_rate = attributes.contains("rate") && !attributes["rate"].is_null();
      const bool has_bytes = attributes.contains("rate_bytes") && !attributes["rate_bytes"].is_null();
      // Both only as GET shows them, agreeing: a client may send back what it read.
      if (has_rate && has_bytes &&
          std::llround(non_negative(attributes, "rate", 1e12) * kBytesPerRateUnit) !=
              static_cast<long long>(whole(attributes, "rate_bytes", kMaxCount)))
        throw bad("give 'rate' (KB/s) or 'rate_bytes' (bytes/s), not both (unless they agree, as GET shows them)");
      p.bytes_per_second = has_bytes ? static_cast<double>(whole(attributes, "rate_bytes", kMaxCount))
                                     : non_negative(attributes, "rate", 1e12) * kBytesPerRateUnit;
      // Below one byte a second the pacer's wait for the next byte would overflow its clock (and the toxic would
      // show as rate_bytes 0, "no limit"): 0 means unlimited, anything else is at least 1 byte/s.
      if (p.bytes_per_second > 0 && p.bytes_per_second < 1)
        throw bad("attribute 'rate' must be 0 (no limit) or at least 0.001 (1 byte/s)");
      shown = {{"rate", rate_value(p.bytes_per_second)},
               {"rate_bytes", static_cast<uint64_t>(std::llround(p.bytes_per_second))}};
      break;
    }
    case ToxicType::Timeout:
    case ToxicType::ResetPeer:
      p.timeout = std::chrono::milliseconds(whole(attributes, "timeout", kMaxMilliseconds));
      shown = {{"timeout", p.timeout.count()}};
      break;
    case ToxicType::LimitData:
      p.bytes = whole(attributes, "bytes", kMaxCount);
      shown = {{"bytes", p.bytes}};
      break;
    case ToxicType::Slicer:
      p.average_size = whole(attributes, "average_size", kMaxCount);
      p.size_variation = whole(attributes, "size_variation", kMaxCount);
      p.slice_delay = std::chrono::microseconds(whole(attributes, "delay", kMaxMilliseconds * 1000));
      if (p.average_size == 0) throw bad("a slicer toxic needs 'average_size' of at least 1 byte");
      if (p.size_variation >= p.average_size) throw bad("'size_variation' must be smaller than 'average_size'");
      shown = {{"average_size", p.average_size},
               {"size_variation", p.size_variation},
               {"delay", p.slice_delay.count()}};
      break;
    case ToxicType::SlowClose:
      p.close_delay = std::chrono::milliseconds(whole(attributes, "delay", kMaxMilliseconds));
      shown = {{"delay", p.close_delay.count()}};
      break;
  }
  toxic.attributes = std::move(shown);
}

double parse_toxicity(const json& value) {
  if (!value.is_number()) throw bad("toxicity must be a number between 0 and 1");
  const double toxicity = value.get<double>();
  if (!(toxicity >= 0.0 && toxicity <= 1.0)) throw bad("toxicity must be between 0 and 1");
  return toxicity;
}

}  // namespace

std::string_view stream_name(Stream stream) { return stream == Stream::Upstream ? "upstream" : "downstream"; }

std::optional<Stream> parse_stream(std::string_view name) {
  if (name == "upstream") return Stream::Upstream;
  if (name == "downstream") return Stream::Downstream;
  return std::nullopt;
}

std::string_view toxic_type_name(ToxicType type) {
  for (const auto& [value, name] : kTypeNames)
    if (value == type) return name;
  return "unknown";
}

std::optional<ToxicType> parse_toxic_type(std::string_view name) {
  for (const auto& [value, known] : kTypeNames)
    if (known == name) return value;
  return std::nullopt;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

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
    const auto parsed = stream->is_string() ? parse_stream(stream->get<std::string>()) : std::nullopt;
    if (!parsed) throw bad("stream was invalid, can be either upstream or downstream");
    toxic.stream = *parsed;
  }
  if (const auto toxicity = body.find("toxicity"); toxicity != body.end() && !toxicity->is_null())
    toxic.toxicity = parse_toxicity(*toxicity);
  if (const auto name = body.find("name"); name != body.end() && !name->is_null() &&
                                           !(name->is_string() && name->get<std::string>().empty())) {
    if (!name->is_string() || !is_valid_name(name->get<std::string>()))
      throw bad("toxic name must be 1 to 128 characters of A-Z a-z 0-9 . _ -");
    toxic.name = name->get<std::string>();
  } else {
    toxic.name = std::string(toxic_type_name(toxic.type)) + "_" + std::string(stream_name(toxic.stream));
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
    if (key == "stream" && !(value.is_string() && value.get<std::string>() == stream_name(current.stream)))
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
