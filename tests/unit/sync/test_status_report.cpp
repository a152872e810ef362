// The cloud reads a status report by outlining it (reference/gateway/status_report.h) instead of parsing it into a
// tree. These compare what it reads with what the tree path (control::parse_status_json on the parsed report, as the
// cloud read reports before) finds: the instance id, the status or the refusal's message, and the notifications, on
// reports chosen to differ in one rule each and on reports generated at random.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/control/connected_registry.h"
#include "reference/gateway/status_body.h"
#include "reference/gateway/status_report.h"

using outpost::gateway::StatusReport;
using json = nlohmann::json;

namespace {

// What the tree path makes of a report: its instance id when a string, its status or the refusal's message, and its
// notifications (none when absent or null, an array of objects of strings, anything else refused).
struct StatusReading {
  std::optional<std::string> instance_id;
  std::optional<outpost::control::ConnectedRegistryStatus> status;
  std::string error;
  std::vector<json> notifications;
  std::string notifications_error;
  bool operator==(const StatusReading&) const = default;
};

const std::string kNotificationsRefused = "status field 'notifications' must be an array of objects of strings";

StatusReading by_tree(std::string_view text) {
  const json report = json::parse(text);
  StatusReading reading;
  if (report.contains("instanceId") && report["instanceId"].is_string())
    reading.instance_id = report["instanceId"].get<std::string>();
  try {
    reading.status = outpost::control::parse_status_json(report);
  } catch (const std::invalid_argument& error) {
    reading.error = error.what();
  }
  if (report.is_object() && report.contains("notifications") && !report["notifications"].is_null()) {
    const json& notifications = report["notifications"];
    const auto flat = [](const json& entry) {
      return entry.is_object() && std::all_of(entry.begin(), entry.end(), [](const json& v) { return v.is_string(); });
    };
    if (notifications.is_array() && std::all_of(notifications.begin(), notifications.end(), flat))
      reading.notifications = notifications.get<std::vector<json>>();
    else
      reading.notifications_error = kNotificationsRefused;
  }
  return reading;
}

StatusReading read_by(const StatusReport& report);
StatusReading by_outline(std::string_view text) { return read_by(StatusReport(text)); }
StatusReading read_by(const StatusReport& report) {
  StatusReading reading;
  reading.instance_id = report.instance_id();
  try {
    reading.status = report.status();
  } catch (const std::invalid_argument& error) {
    reading.error = error.what();
  }
  try {
    reading.notifications = report.notifications();
  } catch (const std::invalid_argument& error) {
    reading.notifications_error = error.what();
  }
  return reading;
}

void reads_as_the_tree(std::string_view text) {
  BOOST_TEST_CONTEXT(text) {
    const StatusReading expected = by_tree(text);
    // Outlined on its own, and as the cloud reads it: outlined by the reading of the status body it came in.
    const StatusReport alone(text);
    const std::string body = R"({"reports":[)" + std::string(text) + "]}";
    const auto in_body = outpost::gateway::read_status_body(body);
    BOOST_TEST_REQUIRE(in_body.reports.size() == 1U);
    const StatusReport relayed(in_body.reports[0]);
    for (const StatusReport* report : {&alone, &relayed}) {
      const StatusReading read = read_by(*report);
      BOOST_TEST((read.instance_id == expected.instance_id));
      BOOST_TEST(read.error == expected.error);
      BOOST_TEST((read.status == expected.status));
      BOOST_TEST((read.notifications == expected.notifications));
      BOOST_TEST(read.notifications_error == expected.notifications_error);
      // Whether it speaks for another instance than one: as comparing the tree's id, for its own id and others.
      for (const std::string& instance : {std::string("i-1"), std::string("other"), std::string(""),
                                          expected.instance_id.value_or("none")})
        BOOST_TEST(report->names_other_instance(instance) ==
                   (expected.instance_id && *expected.instance_id != instance));
    }
  }
}

const std::string kValid =
    R"({"activation":"Active","connectionState":"Online","instanceId":"i-1","lastActivityTime":"2026-01-02T03:04:05Z",)"
    R"("lastSyncTime":"2026-01-02T03:04:00Z","loginServer":"10.0.0.5:8080","name":"edgeone","notifications":[],)"
    R"("pendingPushes":0,"statusDetails":[],"version":"0.1.0"})";

}  // namespace

BOOST_AUTO_TEST_SUITE(status_report)

BOOST_AUTO_TEST_CASE(a_valid_report_reads_as_the_tree) {
  reads_as_the_tree(kValid);
  const StatusReading read = by_outline(kValid);
  BOOST_TEST_REQUIRE(read.status.has_value());  // the comparison above is not between two failures
  BOOST_TEST(read.status->login_server == "10.0.0.5:8080");
  BOOST_TEST((read.status->connection_state == outpost::control::ConnectionState::Online));
  BOOST_TEST(read.status->last_sync_time.has_value());
  BOOST_TEST(*read.instance_id == "i-1");
  BOOST_TEST((read.status->pending_pushes == std::optional<uint64_t>(0)));
}

BOOST_AUTO_TEST_CASE(each_rule_reads_as_the_tree) {
  for (const char* text : {
           // Missing and null members.
           R"({})",
           R"({"name":"a"})",
           R"({"connectionState":null,"lastSyncTime":null,"lastActivityTime":null,"version":null,"loginServer":null,)"
           R"("statusDetails":null,"notifications":null,"instanceId":null})",
           R"({"connectionState":""})",
           // Connection states, any case; unknown ones refused.
           R"({"connectionState":"syncing"})",
           R"({"connectionState":"UNHEALTHY"})",
           R"({"connectionState":"Up"})",
           R"({"connectionState":"On\u006cine"})",
           // Wrong types, one field each, and several at once (the first in parse_status_json's order is named).
           R"({"connectionState":1})",
           R"({"connectionState":true})",
           R"({"connectionState":{"a":1}})",
           R"({"lastSyncTime":5})",
           R"({"lastActivityTime":["2026-01-02T03:04:05Z"]})",
           R"({"version":1.5})",
           R"({"loginServer":false})",
           R"({"statusDetails":{}})",
           R"({"statusDetails":"none"})",
           R"({"loginServer":1,"version":2,"lastSyncTime":3,"connectionState":4})",
           R"({"statusDetails":7,"loginServer":1})",
           R"({"version":[],"lastActivityTime":"yesterday"})",
           // Invalid and valid times.
           R"({"lastSyncTime":"2026-13-02T03:04:05Z"})",
           R"({"lastSyncTime":"yesterday"})",
           R"({"lastActivityTime":""})",
           R"({"lastSyncTime":"2026-01-02T03:04:05.123+02:00"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05\u005a"})",
           // Times in the shape nodes write them, and each way out of it (read by the general parser, or refused).
           R"({"lastSyncTime":"2026-01-02T03:04:05.123Z","lastActivityTime":"2026-01-02T03:04:05.123Z"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05.1234567891Z","lastActivityTime":"1970-01-01T00:00:00z"})",
           R"({"lastSyncTime":"1678-01-01T00:00:00Z","lastActivityTime":"2261-12-31T23:59:60.999Z"})",
           R"({"lastSyncTime":"1677-12-31T23:59:59Z"})",
           R"({"lastSyncTime":"2262-01-01T00:00:00Z"})",
           R"({"lastSyncTime":"2024-02-31T12:00:00Z","lastActivityTime":"1969-12-31T23:59:59.5Z"})",
           R"({"lastSyncTime":"2026-01-02T24:00:00Z"})",
           R"({"lastSyncTime":"2026-01-02T03:60:00Z"})",
           R"({"lastSyncTime":"2026-01-02T03:04:61Z"})",
           R"({"lastSyncTime":"2026-00-02T03:04:05Z"})",
           R"({"lastSyncTime":"2026-01-00T03:04:05Z"})",
           R"({"lastSyncTime":"2026-01-32T03:04:05Z"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05.Z"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05ZZ"})",
           R"({"lastSyncTime":"2026-01-02t03:04:05Z"})",
           R"({"lastSyncTime":"2026-1-02T03:04:05Z"})",
           R"({"lastSyncTime":" 2026-01-02T03:04:05Z"})",
           R"({"lastSyncTime":"+2026-01-02T03:04:05Z"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05.5+01:30"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05-00:00","lastActivityTime":"2026-01-02T03:04:05-00:00"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05\u002e5Z"})",
           R"({"lastSyncTime":"never","lastActivityTime":"never"})",
           R"({"lastSyncTime":"2026-01-02T03:04:05Z","lastActivityTime":"never"})",
           // Status details: empty (with space inside), entries, wrong entries.
           R"({"statusDetails":[ ]})",
           R"({"statusDetails":[{"type":"Disk","code":"DiskError","description":"No space","timestamp":)"
           R"("2026-01-02T03:04:05Z","correlationId":"c1"},{}]})",
           R"({"statusDetails":[{"type":1}]})",
           R"({"statusDetails":[{"timestamp":"soon"}]})",
           R"({"statusDetails":[1]})",
           R"({"statusDetails":[null]})",
           // Duplicated members: the last one counts, whatever the earlier ones were.
           R"({"version":"1","version":"2"})",
           R"({"version":1,"version":"2"})",
           R"({"version":"2","version":1})",
           R"({"connectionState":"Up","connectionState":"Online"})",
           R"({"instanceId":"a","instanceId":"b"})",
           R"({"instanceId":"a","instanceId":7})",
           R"({"notifications":[{"a":1}],"notifications":[]})",
           R"({"statusDetails":[{"type":"x"}],"statusDetails":null})",
           // Instance ids: strings (escaped too) and other types, which the cloud does not compare.
           R"({"instanceId":"i-\"2\""})",
           R"({"instanceId":""})",
           R"({"instanceId":12})",
           R"({"instanceId":{"id":"i-1"}})",
           // Notifications: arrays of objects of strings are added; anything else is refused (a nested value
           // 200,000 levels deep overflowed the cloud's stack as it was copied).
           R"({"notifications":[{"action":"push","repository":"hello","tag":"1"},{"action":"delete"}]})",
           R"({"notifications":[{"action":"push","target":{"repository":"hello"}},2,"x",null]})",
           R"({"notifications":[{"action":"push","size":3}]})",
           R"({"notifications":[[{"action":"push"}]]})",
           R"({"notifications":null})",
           R"({"notifications":[ ]})",
           R"({"notifications":{"a":1}})",
           R"({"notifications":"push"})",
           // Escaped keys mean their members; nested members of the same names do not.
           R"({"\u0076ersion":"3","login\u0053erver":"h:1","instance\u0049d":"i-9"})",
           R"({"other":{"version":7,"instanceId":"x","connectionState":"Up"},"list":[{"loginServer":1}]})",
           // Keys as long as a member's name but another name are not that member (a key's length picks the name).
           R"({"versioN":"3","instanceIx":"i","loginServes":"h:1","lastSyncTimE":"never","statusDetailx":7,)"
           R"("notificationx":1,"sotifications":[1],"nstatusDetail":[1],"connectionStatE":"Up","lastActivityTimE":1})",
           R"({"\u0076ersioN":"3","x":"\u0076ersion","version":"4"})",
           // Brackets, quotes and escapes inside strings; whitespace everywhere.
           R"({"version":"a\"}]\\,{\"version\":1","loginServer":"\u00e9\ud83d\ude00"})",
           " { \"version\" : \"1\" , \"connectionState\" :\t\"Offline\"\n}",
           // Journal entries waiting: a whole number from 0 within 64 bits, or null; anything else is refused.
           R"({"pendingPushes":3})",
           R"({"pendingPushes":18446744073709551615})",
           R"({"pendingPushes":18446744073709551616})",
           R"({"pendingPushes":-1})",
           R"({"pendingPushes":-0})",
           R"({"pendingPushes":1.0})",
           R"({"pendingPushes":1e2})",
           R"({"pendingPushes":"3"})",
           R"({"pendingPushes":null,"version":"1"})",
           R"({"pendingPushes":[3],"version":1})",
           // Not an object: the tree path's refusal.
           R"([1,2])",
           R"("text")",
           R"(null)",
           R"(12)",
       })
    reads_as_the_tree(text);
}

// Notifications nested without bound are refused before they are parsed, on both paths the cloud reads a report by;
// a loginServer that could add a key to a connection string is refused too.
BOOST_AUTO_TEST_CASE(hostile_notifications_and_login_servers_are_refused) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  for (const std::string& notifications : {deep, "[{\"action\":" + deep + "}]"}) {
    const std::string text = R"({"name":"edgeone","notifications":)" + notifications + "}";
    BOOST_TEST(by_outline(text).notifications_error == kNotificationsRefused);
    const std::string body_text = R"({"reports":[)" + text + "]}";  // the reading views it: it must outlive it
    const auto body = outpost::gateway::read_status_body(body_text);
    BOOST_TEST_REQUIRE(body.reports.size() == 1U);
    BOOST_TEST(read_by(StatusReport(body.reports[0])).notifications_error == kNotificationsRefused);
  }
  const StatusReading injected = by_outline(R"({"loginServer":"evil:443;ParentEndpointProtocol=https"})");
  BOOST_TEST(injected.error == "status field 'loginServer' is not HOST or HOST:PORT (a port from 1 to 65535); got "
                                "'evil:443;ParentEndpointProtocol=https'");
  // Ports nobody can reach went into the children's connection strings as they came.
  for (const std::string login_server : {"host:99999", "host:0", "host:", "host:5000:6000", "host:05000", ":5000",
                                         "[::1", "[]:5000", "[::1]5000", "host:+5000"}) {
    BOOST_TEST_CONTEXT(login_server) {
      BOOST_TEST(!by_outline(R"({"loginServer":")" + login_server + R"("})").error.empty());
    }
  }
  for (const std::string login_server : {"host", "host:1", "host:65535", "10.0.0.5:8080", "edge_1.example.com:443"}) {
    BOOST_TEST_CONTEXT(login_server) {
      BOOST_TEST(by_outline(R"({"loginServer":")" + login_server + R"("})").error.empty());
    }
  }
  const StatusReading huge = by_outline(R"({"connectionState":")" + std::string(1 << 20, 'x') + R"("})");
  BOOST_TEST(huge.error.size() < 200u, huge.error.size());
  BOOST_TEST(by_outline(R"({"loginServer":"[::1]:5000"})").error.empty());
}

// A refusal is the same one, not only the same kind: the message the cloud logs.
BOOST_AUTO_TEST_CASE(refusals_name_the_same_field) {
  const StatusReading read = by_outline(R"({"loginServer":1,"lastSyncTime":"never"})");
  BOOST_TEST(read.error == "status field 'lastSyncTime' must be an RFC 3339 time; got 'never'");
  BOOST_TEST(by_outline(R"([])").error == "a status report must be a JSON object");
}

// Reports built at random from members that matter and members that do not, each with a value of any type.
BOOST_AUTO_TEST_CASE(random_reports_read_as_the_tree) {
  std::mt19937 random(20261130);
  const std::vector<std::string> keys = {"connectionState", "lastSyncTime", "lastActivityTime", "version",
                                         "loginServer",     "statusDetails", "notifications",   "instanceId",
                                         "name",            "pendingPushes", "activation"};
  const std::vector<std::string> values = {
      "null", "true", "0", "-1.5e3", R"("")", R"("Online")", R"("offline")", R"("Busy")",
      R"("2026-01-02T03:04:05Z")", R"("2026-02-30T00:00:00Z")", R"("i-1")", "[]", "{}", R"([{"type":"a"}])",
      R"([{"timestamp":"2026-01-02T03:04:05Z","code":"c"}])", R"([{"code":5}])", R"([1,[2],{"x":[]}])",
      R"({"version":"nested"})", R"("esc\"aped\\")"};
  const auto pick = [&random](const std::vector<std::string>& from) {
    return from[std::uniform_int_distribution<size_t>(0, from.size() - 1)(random)];
  };
  for (int round = 0; round < 3000; ++round) {
    const int members = std::uniform_int_distribution<int>(0, 9)(random);
    std::string text = "{";
    for (int i = 0; i < members; ++i) {
      if (i) text += ',';
      text += json(pick(keys)).dump() + ":" + pick(values);
    }
    text += "}";
    reads_as_the_tree(text);
  }
}

BOOST_AUTO_TEST_SUITE_END()
