// libFuzzer target: status bodies as children send them to their parent (SPEC 5.3). For any input a JSON parser
// accepts, the relay's tree-less reading (reference/gateway/status_body.h) finds what a full parse finds: the same
// reports in order, each report's bytes parsing to the same value, and the same names; nothing crashes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/gateway/status_body.h"

using json = nlohmann::json;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  if (!json::accept(body)) return 0;  // the gateway answers 400 before reading it
  const auto split = outpost::gateway::split_status_body(body);
  const json document = json::parse(body);
  const bool shaped = document.is_object() && document.contains("reports") && document["reports"].is_array();
  if (split.has_value() != shaped) std::abort();
  if (!shaped) return 0;
  const json& reports = document["reports"];
  if (split->size() != reports.size()) std::abort();
  for (size_t i = 0; i < reports.size(); ++i) {
    const json& report = reports[i];
    const bool named = report.is_object() && report.contains("name") && report["name"].is_string();
    if ((*split)[i].name != (named ? report["name"].get<std::string>() : std::string())) std::abort();
    if (!json::accept((*split)[i].text) || json::parse((*split)[i].text) != report) std::abort();
  }
  return 0;
}
