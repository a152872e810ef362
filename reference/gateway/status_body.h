#pragma once
// A status body (SPEC 5.3, docs/protocol.md "Status": {"reports": [{"name": ..., ...}, ...]}) read as a relay needs
// it: each report's name and its bytes as they arrived, without building a JSON tree. A regional connected registry
// relays its whole subtree's reports every interval; parsing them into trees and writing them out again at every
// level was most of what a quiet hierarchy spent. Only the cloud parses a report's content.
#include <list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/json_scan.h"
#include "reference/control/connected_registry.h"

namespace outpost::gateway {

// The members of a report the cloud acts on (status_report.h), each its value as written: the last member of its name
// (as in a parsed tree), "" when the report has none.
struct ReportMembers {
  std::string_view instance_id, notifications;
  control::StatusMembers status;
  // Where the value of the member named `key` goes; null for a member the cloud does not read. Inline: asked of every
  // member of every report a relay passes on; a key's length picks the one name it can be, so each key is compared
  // with one name at most rather than with each in turn.
  std::string_view* slot(const JsonKey& key) {
    if (key.escaped) return slot_named(json_string_value(key.token));  // (nearly never)
    return slot_named(key.token.substr(1, key.token.size() - 2));
  }

 private:
  std::string_view* slot_named(std::string_view word) {
    const auto when = [word](std::string_view name, std::string_view* slot) { return word == name ? slot : nullptr; };
    switch (word.size()) {
      case 7: return when("version", &status.version);
      case 10: return when("instanceId", &instance_id);
      case 11: return when("loginServer", &status.login_server);
      case 12: return when("lastSyncTime", &status.last_sync_time);
      case 13: return word[0] == 's'   ? when("statusDetails", &status.status_details)
                      : word[0] == 'p' ? when("pendingPushes", &status.pending_pushes)
                                       : when("notifications", &notifications);
      case 15: return when("connectionState", &status.connection_state);
      case 16: return when("lastActivityTime", &status.last_activity_time);
      default: return nullptr;
    }
  }
};

// A report as a parent reads it, viewing the body it came in (which must outlive it).
struct RawReport {
  std::string_view name;  // the report's "name" when it is a string; "" otherwise (a relay drops such a report)
  std::string_view text;  // the report as it arrived: one JSON value
  // Outlined on the way, for the cloud, which would otherwise read each report a second time: whether the report is
  // an object, and then the members it acts on.
  bool object = false;
  ReportMembers members;
};

// What a parent makes of a status body: whether it is JSON (as nlohmann::json::accept says, to the byte), whether it
// is a status body, and its reports.
struct StatusBodyReading {
  enum class Verdict { NotJson, NotReports, Reports };
  Verdict verdict = Verdict::NotJson;
  std::vector<RawReport> reports;  // in order, when the verdict is Reports
  // The names written with an escape, decoded (nearly never): a report's name views one of them. A list: what it
  // holds stays in place as it grows and when the reading moves, and an empty one allocates nothing.
  std::list<std::string> decoded_names;
};

// Reads `body` in one pass (reference/common/json_scan.h), checking it and splitting it at once: a relay reads every
// report of its subtree at every interval, and a second pass only to check it was a fair share of a fleet's time.
// Reports when the body is an object whose "reports" member is an array; for duplicated members the last one counts,
// as when the body is parsed. The reports view `body`, which must outlive the reading: a relay copies each once, into
// where it waits to go up, and the cloud reads them in place.
StatusBodyReading read_status_body(std::string_view body);

// A status body from this node's own report (its JSON text) and relayed ones: {"reports": [own, relayed...]}.
std::string status_body(std::string_view own, const std::vector<std::string>& relayed);
// The same body written in two steps, so a node writes its own report straight into it (between the two) rather than
// writing it out and copying it in: begin_status_body, the own report's JSON text, then end_status_body.
void begin_status_body(std::string& body);
void end_status_body(std::string& body, const std::vector<std::string>& relayed);
// The same with the relayed reports where they are kept (none null).
void end_status_body(std::string& body, std::span<const std::string* const> relayed);

}  // namespace outpost::gateway
