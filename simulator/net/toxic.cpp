#include "simulator/net/toxic.h"

#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>
#include <vector>

namespace outpost::sim {

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

// The proxy's limits: durations up to 11.5 days, counts exact in a double.
constexpr double kMaxMilliseconds = 1'000'000'000;
constexpr double kMaxCount = 9007199254740992.0;  // 2^53
constexpr double kBytesPerRateUnit = 1000.0;      // toxiproxy's `rate` is KB/s with K = 1000

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

std::invalid_argument bad(const std::string& message) { return std::invalid_argument(message); }

uint64_t whole(const std::map<std::string, double>& attributes, const char* key, double max) {
  const auto found = attributes.find(key);
  if (found == attributes.end()) return 0;
  const std::string where = std::string("attribute '") + key + "'";
  const double value = found->second;
  if (!(value >= 0)) throw bad(where + " must not be negative");
  if (value != std::floor(value)) throw bad(where + " must be a whole number");
  if (value > max) throw bad(where + " is too large");
  return static_cast<uint64_t>(value);
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

Toxic make_toxic(std::string_view type, const std::map<std::string, double>& attributes, std::string_view stream,
                 double toxicity, std::string name) {
  Toxic toxic;
  const auto parsed_type = parse_toxic_type(type);
  if (!parsed_type) throw bad("invalid toxic type: " + std::string(type));
  toxic.type = *parsed_type;
  const auto parsed_stream = parse_stream(stream);
  if (!parsed_stream) throw bad("stream was invalid, can be either upstream or downstream");
  toxic.stream = *parsed_stream;
  if (!(toxicity >= 0.0 && toxicity <= 1.0)) throw bad("toxicity must be between 0 and 1");
  toxic.toxicity = toxicity;
  if (name.empty()) name = std::string(toxic_type_name(toxic.type)) + "_" + std::string(stream_name(toxic.stream));
  if (!is_valid_name(name)) throw bad("toxic name must be 1 to 128 characters of A-Z a-z 0-9 . _ -");
  toxic.name = std::move(name);

  const auto known = attribute_names(toxic.type);
  for (const auto& [key, value] : attributes) {
    bool found = false;
    for (const auto known_name : known) found = found || key == known_name;
    if (!found) {
      std::string list;
      for (const auto known_name : known) list += (list.empty() ? "" : ", ") + std::string(known_name);
      throw bad("unknown attribute '" + key + "' for a " + std::string(toxic_type_name(toxic.type)) +
                " toxic (it takes: " + list + ")");
    }
  }
  ToxicAttributes& a = toxic.attributes;
  switch (toxic.type) {
    case ToxicType::Latency:
      a.latency = std::chrono::milliseconds(whole(attributes, "latency", kMaxMilliseconds));
      a.jitter = std::chrono::milliseconds(whole(attributes, "jitter", kMaxMilliseconds));
      break;
    case ToxicType::Bandwidth: {
      const bool has_rate = attributes.contains("rate");
      const bool has_bytes = attributes.contains("rate_bytes");
      if (has_rate && has_bytes) throw bad("give 'rate' (KB/s) or 'rate_bytes' (bytes/s), not both");
      if (has_bytes) {
        a.bytes_per_second = whole(attributes, "rate_bytes", kMaxCount);
      } else if (has_rate) {
        const double rate = attributes.at("rate");
        if (!(rate >= 0)) throw bad("attribute 'rate' must not be negative");
        if (rate > 1e12) throw bad("attribute 'rate' is too large");
        a.bytes_per_second = static_cast<uint64_t>(std::llround(rate * kBytesPerRateUnit));
      }
      break;
    }
    case ToxicType::Timeout:
    case ToxicType::ResetPeer:
      a.timeout = std::chrono::milliseconds(whole(attributes, "timeout", kMaxMilliseconds));
      break;
    case ToxicType::LimitData:
      a.bytes = whole(attributes, "bytes", kMaxCount);
      break;
    case ToxicType::Slicer:
      a.average_size = whole(attributes, "average_size", kMaxCount);
      a.size_variation = whole(attributes, "size_variation", kMaxCount);
      a.slice_delay = std::chrono::microseconds(whole(attributes, "delay", kMaxMilliseconds * 1000));
      if (a.average_size == 0) throw bad("a slicer toxic needs 'average_size' of at least 1 byte");
      if (a.size_variation >= a.average_size) throw bad("'size_variation' must be smaller than 'average_size'");
      break;
    case ToxicType::SlowClose:
      a.close_delay = std::chrono::milliseconds(whole(attributes, "delay", kMaxMilliseconds));
      break;
  }
  return toxic;
}

}  // namespace outpost::sim
