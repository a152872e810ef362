#pragma once
// A toxic of the live fault proxy, parsed from and rendered to the control API's JSON. The vocabulary (types,
// streams, attributes, limits, refusals) is shared with the simulator (reference/common/toxic_vocabulary.h). Pure
// data: how a toxic acts on bytes is toxic_chain.h's job.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/common/toxic_vocabulary.h"

namespace outpost::live::proxy {

using toxics::is_valid_name;
using toxics::kBytesPerRateUnit;
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

}  // namespace outpost::live::proxy
