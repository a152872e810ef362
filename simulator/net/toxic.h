#pragma once
// The live fault proxy's toxic vocabulary (docs/fault-proxy.md, after toxiproxy), for simulated links: the same types,
// streams, toxicity and attributes, under the same names and units, so one fault plan reads the same in both worlds.
// Pure data; what each toxic does to an exchange is sim_network.cpp's job ("Network model" in docs/simulator.md).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace outpost::sim {

// upstream: client -> server bytes (the request); downstream (the default): server -> client bytes (the response).
enum class Stream { Upstream, Downstream };
std::string_view stream_name(Stream stream);
std::optional<Stream> parse_stream(std::string_view name);

enum class ToxicType { Latency, Bandwidth, Timeout, ResetPeer, LimitData, Slicer, SlowClose };
std::string_view toxic_type_name(ToxicType type);  // "latency", "bandwidth", ..., "slow_close"
std::optional<ToxicType> parse_toxic_type(std::string_view name);

struct ToxicAttributes {
  std::chrono::milliseconds latency{0};      // latency
  std::chrono::milliseconds jitter{0};       // latency: each message is delayed latency +/- a uniform draw in jitter
  uint64_t bytes_per_second = 0;             // bandwidth (`rate` KB/s with K = 1000, or `rate_bytes`); 0: no limit
  std::chrono::milliseconds timeout{0};      // timeout (0: hold until removed), reset_peer (0: at once)
  uint64_t bytes = 0;                        // limit_data
  uint64_t average_size = 0;                 // slicer
  uint64_t size_variation = 0;               // slicer, < average_size
  std::chrono::microseconds slice_delay{0};  // slicer's `delay`, in microseconds as in toxiproxy
  std::chrono::milliseconds close_delay{0};  // slow_close's `delay`
};

struct Toxic {
  std::string name;  // unique within its link; defaults to "<type>_<stream>"
  ToxicType type = ToxicType::Latency;
  Stream stream = Stream::Downstream;
  double toxicity = 1.0;  // the probability that it applies to a given exchange (one exchange = one connection)
  ToxicAttributes attributes;
};

// A toxic from the proxy API's words: `type` ("latency", ...), `attributes` by name in the proxy's units
// ({"latency", 100}, {"rate", 1000}, ...), `stream` ("upstream" or "downstream"), `toxicity` in [0, 1], and an optional
// name. Throws std::invalid_argument for what the proxy refuses with 400: an unknown type, stream or attribute, a
// negative or fractional value where a whole number is meant, both rate and rate_bytes, a slicer without
// average_size or with size_variation >= average_size, a name outside [A-Za-z0-9._-].
Toxic make_toxic(std::string_view type, const std::map<std::string, double>& attributes = {},
                 std::string_view stream = "downstream", double toxicity = 1.0, std::string name = "");

}  // namespace outpost::sim
