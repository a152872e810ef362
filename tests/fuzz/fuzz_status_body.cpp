// libFuzzer target: status bodies as children send them to their parent (SPEC 5.3), read in one pass that checks and
// splits them (reference/gateway/status_body.h). Differential, on any input: the reading calls a body JSON exactly
// when nlohmann::json::accept does and the body holds no NUL byte, and for a body it accepts, finds what a full parse
// finds: the same reports in order, each report's bytes parsing to the same value, and the same names. Nothing
// crashes.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/gateway/status_body.h"

using json = nlohmann::json;
using Verdict = outpost::gateway::StatusBodyReading::Verdict;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  const auto read = outpost::gateway::read_status_body(body);
  // nlohmann ends input at a NUL byte; the reading refuses any body holding one (reference/common/json_depth.h).
  const bool accepted = json::accept(body) && body.find('\0') == std::string_view::npos;
  if ((read.verdict != Verdict::NotJson) != accepted) std::abort();
  if (!accepted) return 0;
  const json document = json::parse(body);
  const bool shaped = document.is_object() && document.contains("reports") && document["reports"].is_array();
  if ((read.verdict == Verdict::Reports) != shaped) std::abort();
  if (!shaped) return 0;
  const json& reports = document["reports"];
  if (read.reports.size() != reports.size()) std::abort();
  for (size_t i = 0; i < reports.size(); ++i) {
    const json& report = reports[i];
    const bool named = report.is_object() && report.contains("name") && report["name"].is_string();
    if (read.reports[i].name != (named ? report["name"].get<std::string>() : std::string())) std::abort();
    if (!json::accept(read.reports[i].text) || json::parse(read.reports[i].text) != report) std::abort();
  }
  return 0;
}
