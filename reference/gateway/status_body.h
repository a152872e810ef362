#pragma once
// A status body (SPEC 5.3, docs/protocol.md "Status": {"reports": [{"name": ..., ...}, ...]}) read as a relay needs
// it: each report's name and its bytes as they arrived, without building a JSON tree. A regional connected registry
// relays its whole subtree's reports every interval; parsing them into trees and writing them out again at every
// level was most of what a quiet hierarchy spent. Only the cloud parses a report's content.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::gateway {

struct RawReport {
  std::string name;  // the report's "name" when it is a string; "" otherwise (a relay drops such a report)
  std::string text;  // the report as it arrived: one JSON value
};

// The reports of `body`, which must be valid JSON (nlohmann::json::accept). Nothing when it is not an object with
// a "reports" array. For duplicated members the last one counts, as when the body is parsed.
std::optional<std::vector<RawReport>> split_status_body(std::string_view body);

// A status body from this node's own report (its JSON text) and relayed ones: {"reports": [own, relayed...]}.
std::string status_body(std::string_view own, const std::vector<std::string>& relayed);

}  // namespace outpost::gateway
