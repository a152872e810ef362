#include "reference/common/toxic_vocabulary.h"

#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace outpost::toxics {

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

std::invalid_argument bad(const std::string& message) { return std::invalid_argument(message); }

// A non-negative whole number (1, 1.0; not -1 or 1.5), at most `max`; 0 when absent.
uint64_t whole(const std::map<std::string, double>& values, const char* key, uint64_t max) {
  const auto found = values.find(key);
  if (found == values.end()) return 0;
  const std::string where = std::string("attribute '") + key + "'";
  const double value = found->second;
  if (!(value >= 0)) throw bad(where + " must not be negative");
  if (value != std::floor(value)) throw bad(where + " must be a whole number");
  if (value > static_cast<double>(max)) throw bad(where + " is too large (at most " + std::to_string(max) + ")");
  return static_cast<uint64_t>(value);
}

double non_negative(const std::map<std::string, double>& values, const char* key, double max) {
  const auto found = values.find(key);
  if (found == values.end()) return 0;
  const std::string where = std::string("attribute '") + key + "'";
  if (!(found->second >= 0)) throw bad(where + " must not be negative");
  if (found->second > max) throw bad(where + " is too large");
  return found->second;
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

void check_attribute_names(ToxicType type, const std::vector<std::string>& names) {
  const auto known = attribute_names(type);
  for (const std::string& name : names) {
    bool found = false;
    for (const auto known_name : known) found = found || name == known_name;
    if (found) continue;
    std::string list;
    for (const auto known_name : known) list += (list.empty() ? "" : ", ") + std::string(known_name);
    throw bad("unknown attribute '" + name + "' for a " + std::string(toxic_type_name(type)) + " toxic (it takes: " +
              list + ")");
  }
}

ToxicAttributes parse_toxic_attributes(ToxicType type, const std::map<std::string, double>& values) {
  std::vector<std::string> names;
  for (const auto& [name, value] : values) names.push_back(name);
  check_attribute_names(type, names);
  ToxicAttributes a;
  switch (type) {
    case ToxicType::Latency:
      a.latency = std::chrono::milliseconds(whole(values, "latency", kMaxMilliseconds));
      a.jitter = std::chrono::milliseconds(whole(values, "jitter", kMaxMilliseconds));
      break;
    case ToxicType::Bandwidth: {
      const bool has_rate = values.contains("rate");
      const bool has_bytes = values.contains("rate_bytes");
      if (has_rate && has_bytes &&
          std::llround(non_negative(values, "rate", 1e12) * kBytesPerRateUnit) !=
              static_cast<long long>(whole(values, "rate_bytes", kMaxCount)))
        throw bad("give 'rate' (KB/s) or 'rate_bytes' (bytes/s), not both (unless they agree, as GET shows them)");
      // When both are given (agreeing), `rate` is the exact one: rate_bytes is shown rounded to a whole byte.
      a.bytes_per_second = has_rate ? non_negative(values, "rate", 1e12) * kBytesPerRateUnit
                                    : static_cast<double>(whole(values, "rate_bytes", kMaxCount));
      // Below one byte a second the live pacer's wait for the next byte would overflow its clock, and a simulated
      // link would round it to 0, which means unlimited: 0 is no limit, anything else is at least 1 byte/s.
      if (a.bytes_per_second > 0 && a.bytes_per_second < 1)
        throw bad("attribute 'rate' must be 0 (no limit) or at least 0.001 (1 byte/s)");
      break;
    }
    case ToxicType::Timeout:
    case ToxicType::ResetPeer:
      a.timeout = std::chrono::milliseconds(whole(values, "timeout", kMaxMilliseconds));
      break;
    case ToxicType::LimitData:
      a.bytes = whole(values, "bytes", kMaxCount);
      break;
    case ToxicType::Slicer:
      a.average_size = whole(values, "average_size", kMaxCount);
      a.size_variation = whole(values, "size_variation", kMaxCount);
      a.slice_delay = std::chrono::microseconds(whole(values, "delay", kMaxMilliseconds * 1000));
      if (a.average_size == 0) throw bad("a slicer toxic needs 'average_size' of at least 1 byte");
      if (a.size_variation >= a.average_size) throw bad("'size_variation' must be smaller than 'average_size'");
      break;
    case ToxicType::SlowClose:
      a.close_delay = std::chrono::milliseconds(whole(values, "delay", kMaxMilliseconds));
      break;
  }
  return a;
}

double checked_toxicity(double toxicity) {
  if (!(toxicity >= 0.0 && toxicity <= 1.0)) throw bad("toxicity must be between 0 and 1");
  return toxicity;
}

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 128) return false;
  // "." and ".." are path segments: a URL client resolves /proxies/.. to / before it sends it, so a link or toxic
  // of that name could be made but never addressed again.
  if (name == "." || name == "..") return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string default_toxic_name(ToxicType type, Stream stream) {
  return std::string(toxic_type_name(type)) + "_" + std::string(stream_name(stream));
}

}  // namespace outpost::toxics
