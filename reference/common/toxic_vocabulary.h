#pragma once
// The toxic vocabulary of toxiproxy (Shopify/toxiproxy), one definition for both worlds: the live fault proxy
// (reference/live/proxy/toxic.h, JSON from its control API) and the simulator's links (simulator/net/toxic.h, a
// scenario's fault steps). The types, the two streams, toxicity, each type's attributes under toxiproxy's names and
// units, the limits, and what is refused, so one fault plan reads and fails the same in both. Pure data: how a toxic
// acts is each world's own (toxic_chain.cpp on bytes, sim_network.cpp on exchanges).
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::toxics {

// toxiproxy's `stream`: upstream is client -> server bytes (the request), downstream (the default) server -> client.
enum class Stream { Upstream, Downstream };
std::string_view stream_name(Stream stream);
std::optional<Stream> parse_stream(std::string_view name);  // "upstream" or "downstream"

enum class ToxicType { Latency, Bandwidth, Timeout, ResetPeer, LimitData, Slicer, SlowClose };
std::string_view toxic_type_name(ToxicType type);  // "latency", "bandwidth", ..., "slow_close"
std::optional<ToxicType> parse_toxic_type(std::string_view name);
std::vector<std::string_view> attribute_names(ToxicType type);  // the attributes the type takes, in display order

// toxiproxy's bandwidth `rate` is in KB/s with K = 1000: its bandwidth toxic sleeps len(data) ms / rate, and its own
// test calls rate 1000 "1MB/s". `rate_bytes` (ours) says bytes per second exactly.
inline constexpr double kBytesPerRateUnit = 1000.0;
// Durations past this (11.5 days) are refused: far beyond any test, and far from overflowing a clock's time point.
inline constexpr uint64_t kMaxMilliseconds = 1'000'000'000;
inline constexpr uint64_t kMaxCount = uint64_t{1} << 53;  // bytes and sizes: exact in a JSON number (a double)

// The attributes of a toxic, typed. Only the fields of the toxic's type mean anything.
struct ToxicAttributes {
  std::chrono::milliseconds latency{0};      // latency
  std::chrono::milliseconds jitter{0};       // latency: each piece is delayed latency +/- a uniform draw in jitter
  double bytes_per_second = 0;               // bandwidth; 0: no limit (as in toxiproxy), else at least 1
  std::chrono::milliseconds timeout{0};      // timeout (0: hold until removed), reset_peer (0: at once)
  uint64_t bytes = 0;                        // limit_data
  uint64_t average_size = 0;                 // slicer
  uint64_t size_variation = 0;               // slicer, < average_size
  std::chrono::microseconds slice_delay{0};  // slicer's `delay`, in microseconds as in toxiproxy
  std::chrono::milliseconds close_delay{0};  // slow_close's `delay`
};

// The attributes from their values by name (absent ones are 0). Throws std::invalid_argument, with the message the
// proxy's 400 carries, for an attribute the type does not take, a negative value, a fraction where a whole number is
// meant, a value past the limits, `rate` and `rate_bytes` that disagree (both are accepted when they agree: a client
// may send back what it read), a bandwidth under 1 byte/s but not 0, and a slicer without `average_size` or with
// `size_variation` >= `average_size`.
ToxicAttributes parse_toxic_attributes(ToxicType type, const std::map<std::string, double>& values);
// Throws as above for a name `type` does not take (checked before any value, so a misspelt attribute is named).
void check_attribute_names(ToxicType type, const std::vector<std::string>& names);

double checked_toxicity(double toxicity);  // in [0, 1], else std::invalid_argument
bool is_valid_name(std::string_view name);  // names of links and toxics: [A-Za-z0-9._-], 1 to 128, not . or ..
inline constexpr std::string_view kNameRule = "1 to 128 characters of A-Z a-z 0-9 . _ -, other than . and ..";
std::string default_toxic_name(ToxicType type, Stream stream);  // "<type>_<stream>", as toxiproxy names it

}  // namespace outpost::toxics
