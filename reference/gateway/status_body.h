#pragma once
// A status body (SPEC 5.3, docs/protocol.md "Status": {"reports": [{"name": ..., ...}, ...]}) read as a relay needs
// it: each report's name and its bytes as they arrived, without building a JSON tree. A regional connected registry
// relays its whole subtree's reports every interval; parsing them into trees and writing them out again at every
// level was most of what a quiet hierarchy spent. Only the cloud parses a report's content.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::gateway {

struct RawReport {
  std::string name;  // the report's "name" when it is a string; "" otherwise (a relay drops such a report)
  std::string text;  // the report as it arrived: one JSON value
};

// What a parent makes of a status body: whether it is JSON (as nlohmann::json::accept says, to the byte), whether it
// is a status body, and its reports.
struct StatusBodyReading {
  enum class Verdict { NotJson, NotReports, Reports };
  Verdict verdict = Verdict::NotJson;
  std::vector<RawReport> reports;  // in order, when the verdict is Reports
};

// Reads `body` in one pass (reference/common/json_scan.h), checking it and splitting it at once: a relay reads every
// report of its subtree at every interval, and a second pass only to check it was a fair share of a fleet's time.
// Reports when the body is an object whose "reports" member is an array; for duplicated members the last one counts,
// as when the body is parsed.
StatusBodyReading read_status_body(std::string_view body);

// A status body from this node's own report (its JSON text) and relayed ones: {"reports": [own, relayed...]}.
std::string status_body(std::string_view own, const std::vector<std::string>& relayed);

}  // namespace outpost::gateway
