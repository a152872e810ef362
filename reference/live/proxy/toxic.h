#pragma once
// The toxic vocabulary of toxiproxy (Shopify/toxiproxy): the toxic types, the two streams, toxicity and each type's
// attributes, under toxiproxy's names and units, parsed from and rendered to the control API's JSON. Pure data: how a
// toxic acts on bytes is toxic_chain.h's job.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace outpost::live::proxy {

// toxiproxy's `stream`: upstream is client -> server bytes, downstream is server -> client bytes.
enum class Stream { Upstream, Downstream };
std::string_view stream_name(Stream stream);
std::optional<Stream> parse_stream(std::string_view name);  // "upstream" or "downstream"

enum class ToxicType { Latency, Bandwidth, Timeout, ResetPeer, LimitData, Slicer, SlowClose };
std::string_view toxic_type_name(ToxicType type);  // "latency", "bandwidth", ..., "slow_close"
std::optional<ToxicType> parse_toxic_type(std::string_view name);

// toxiproxy's bandwidth `rate` is in KB/s with K = 1000: its bandwidth toxic sleeps len(data) ms / rate, and its own
// test calls rate 1000 "1MB/s". `rate_bytes` (ours) says bytes per second exactly.
inline constexpr double kBytesPerRateUnit = 1000.0;

// The attributes of a toxic, typed. Only the fields of the toxic's type mean anything.
struct ToxicAttributes {
  std::chrono::milliseconds latency{0};  // latency
  std::chrono::milliseconds jitter{0};   // latency: each chunk is delayed latency +/- jitter
  double bytes_per_second = 0;           // bandwidth; 0 means unlimited, as in toxiproxy
  std::chrono::milliseconds timeout{0};  // timeout (0: hold until removed), reset_peer (0: at once)
  uint64_t bytes = 0;                    // limit_data
  uint64_t average_size = 0;             // slicer
  uint64_t size_variation = 0;           // slicer, < average_size
  std::chrono::microseconds slice_delay{0};  // slicer's `delay`, in microseconds as in toxiproxy
  std::chrono::milliseconds close_delay{0};  // slow_close's `delay`
};

struct Toxic {
  std::string name;  // unique within its link; defaults to "<type>_<stream>"
  ToxicType type = ToxicType::Latency;
  Stream stream = Stream::Downstream;  // toxiproxy's default
  double toxicity = 1.0;               // probability that the toxic applies to a given connection
  nlohmann::json attributes = nlohmann::json::object();  // as the API shows them: every attribute of the type
  ToxicAttributes parsed;
};

// A toxic from the body of POST /proxies/{name}/toxics: {name?, type, stream?, toxicity?, attributes?}.
// Throws ProxyError(400) for an unknown type or stream, a toxicity outside [0, 1], an unknown attribute or a value
// of the wrong kind (unknown attributes are refused rather than ignored, so a misspelt one cannot go unnoticed).
Toxic toxic_from_json(const nlohmann::json& body);

// `current` changed by the body of POST /proxies/{name}/toxics/{toxic}: toxicity and attributes (merged over the
// current ones). Throws ProxyError(400) when the body tries to change the name, type or stream.
Toxic toxic_updated(const Toxic& current, const nlohmann::json& body);

nlohmann::json to_json(const Toxic& toxic);  // {name, type, stream, toxicity, attributes}

bool is_valid_name(std::string_view name);  // names of links and toxics: [A-Za-z0-9._-], 1 to 128 characters

}  // namespace outpost::live::proxy
