#pragma once
// One node's status report as the cloud reads it (SPEC 5.3): the few members it acts on, picked out in one pass over
// the report's bytes (reference/common/json_scan.h) instead of parsing the whole report into a tree. The cloud takes
// in every node's report each interval, and those trees were a fair share of its time. Anything else than an object
// (a relay passes only named objects, so never in practice) is read from a parsed tree, as before.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/control/connected_registry.h"
#include "reference/gateway/status_body.h"

namespace outpost::gateway {

class StatusReport {
 public:
  // `text`: one JSON value (a report as it arrived in a status body that was JSON); it must outlive this reader.
  explicit StatusReport(std::string_view text);
  // A report as read_status_body found it: what it outlined is not read again (the cloud takes in every node's report
  // each interval). The body it views must outlive this reader.
  explicit StatusReport(const RawReport& report);

  // The report's "instanceId" when it is a string (the last such member, as a parse keeps).
  std::optional<std::string> instance_id() const;
  // Whether it has such an "instanceId" and that is not `instance`: the same as comparing instance_id(), without
  // copying the id out (the cloud asks of every report it takes in).
  bool names_other_instance(std::string_view instance) const;
  // control::parse_status_json of the report: the same status, or the same std::invalid_argument.
  control::ConnectedRegistryStatus status() const;
  // The elements of "notifications" (none when it is absent or null). Throws std::invalid_argument unless it is an
  // array of objects of strings.
  std::vector<nlohmann::json> notifications() const;

 private:
  // The members read, each its value as written ("" when absent); only when the report is an object.
  std::optional<ReportMembers> members_;
  std::optional<nlohmann::json> tree_;  // otherwise, the report parsed
};

}  // namespace outpost::gateway
