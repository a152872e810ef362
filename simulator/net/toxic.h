#pragma once
// The live fault proxy's toxics (docs/fault-proxy.md, after toxiproxy) on simulated links: one vocabulary for both
// worlds (reference/common/toxic_vocabulary.h), so one fault plan reads and is refused the same in both.
// Pure data; what each toxic does to an exchange is sim_network.cpp's job ("Network model" in docs/simulator.md).
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/toxic_vocabulary.h"

namespace outpost::sim {

using toxics::parse_stream;
using toxics::parse_toxic_type;
using toxics::Stream;
using toxics::stream_name;
using toxics::ToxicAttributes;
using toxics::ToxicType;
using toxics::toxic_type_name;

struct Toxic {
  std::string name;  // unique within its link; defaults to "<type>_<stream>"
  ToxicType type = ToxicType::Latency;
  Stream stream = Stream::Downstream;
  double toxicity = 1.0;  // the probability that it applies to a given exchange (one exchange = one connection)
  ToxicAttributes attributes;

  // A bandwidth toxic's cap in whole bytes per second, as the bandwidth model shares them (0: no limit).
  uint64_t bandwidth_cap() const { return static_cast<uint64_t>(std::llround(attributes.bytes_per_second)); }
};

// A toxic from the proxy API's words: `type` ("latency", ...), `attributes` by name in the proxy's units
// ({"latency", 100}, {"rate", 1000}, ...), `stream` ("upstream" or "downstream"), `toxicity` in [0, 1], and an optional
// name. Throws std::invalid_argument for what the proxy refuses with 400, with its message: an unknown type, stream or
// attribute, a bad value (toxics::parse_toxic_attributes), a name outside [A-Za-z0-9._-].
Toxic make_toxic(std::string_view type, const std::map<std::string, double>& attributes = {},
                 std::string_view stream = "downstream", double toxicity = 1.0, std::string name = "");

}  // namespace outpost::sim
