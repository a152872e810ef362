// What a replica tells its gateway about its descendants (reference/sync/replica.h): read out of their configurations
// once, when a document is applied, and the same as reading the configuration at each call, including the failure of
// a configuration field of the wrong type, which stays with the call that reads it instead of refusing the document.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "reference/gateway/status_body.h"
#include "reference/sync/replica.h"

using json = nlohmann::json;
using outpost::sync::Replica;

namespace {
// The node's own configuration, as the cloud writes it (control/connected_registry_config.h, own_config).
json own_config() {
  return {{"name", "edge"},
          {"mode", "ReadWrite"},
          {"parent", nullptr},
          {"repositories", {"apps/web"}},
          {"clientTokens", json::array()},
          {"sync", {{"token", "edge-sync"}, {"schedule", "* * * * *"}, {"window", nullptr}, {"messageTtl", "P2D"}}},
          {"notifications", json::array()},
          {"logging", {{"level", "Information"}}},
          {"gc", {{"enabled", false}, {"schedule", "0 0 * * *"}}},
          {"enabled", true},
          {"resync", 0},
          {"children", {"site"}},
          {"tokens", json::array()},
          {"scopeMaps", json::array()}};
}

json descendant(const std::string& name, const std::string& parent, uint64_t version, json sync) {
  return {{"version", version},
          {"config", {{"name", name}, {"parent", parent}, {"repositories", {"apps/" + name, 7, "base/os"}},
                      {"sync", std::move(sync)}}}};
}

json document_of(uint64_t version, json descendants) {
  return {{"version", version}, {"config", own_config()}, {"descendants", std::move(descendants)}};
}

// Descendants given as (name, parent) pairs.
json document_of_tree(uint64_t version, const std::vector<std::pair<std::string, std::string>>& tree) {
  json descendants = json::array();
  for (const auto& [name, parent] : tree) descendants.push_back(descendant(name, parent, 1, json::object()));
  return document_of(version, std::move(descendants));
}

json document_with(uint64_t version, const std::vector<std::string>& names) {
  json descendants = json::array();
  for (const auto& name : names) descendants.push_back(descendant(name, "edge", 1, json::object()));
  return document_of(version, std::move(descendants));
}

std::vector<outpost::gateway::RawReport> raw(const std::vector<std::pair<std::string, std::string>>& reports) {
  std::vector<outpost::gateway::RawReport> list;
  for (const auto& [name, text] : reports) list.push_back({name, text});
  return list;
}
// What the replica writes at the end of a status body: its held reports, each after a comma, then the closing.
std::string relayed(Replica& replica) {
  std::string body = "own";
  replica.end_status_body(body);
  return body;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(replica)

// A node's mode is read as the cloud reads it (any case, the legacy aliases); one missing or unreadable allows no
// write. (Only "ReadOnly" exactly was read-only: a "Mirror" or "readOnly" document let clients write there.)
BOOST_AUTO_TEST_CASE(a_mode_is_read_as_the_cloud_reads_it_and_an_unreadable_one_allows_no_write) {
  using outpost::auth::RegistryMode;
  const auto mode_of = [](const json& mode) {
    json config = own_config();
    if (mode.is_null()) {
      config.erase("mode");
    } else {
      config["mode"] = mode;
    }
    return outpost::sync::parse_own_settings(config).mode;
  };
  BOOST_TEST((mode_of("ReadWrite") == RegistryMode::ReadWrite));
  BOOST_TEST((mode_of("Registry") == RegistryMode::ReadWrite));
  BOOST_TEST((mode_of("ReadOnly") == RegistryMode::ReadOnly));
  BOOST_TEST((mode_of("readOnly") == RegistryMode::ReadOnly));
  BOOST_TEST((mode_of("Mirror") == RegistryMode::ReadOnly));
  BOOST_TEST((mode_of(nullptr) == RegistryMode::ReadOnly));
  BOOST_TEST((mode_of("Sideways") == RegistryMode::ReadOnly));
  BOOST_TEST((mode_of(7) == RegistryMode::ReadOnly));
}

BOOST_AUTO_TEST_CASE(relayed_reports_go_up_once_each_last_one_kept_in_name_order) {
  Replica replica("edge:5000", nullptr);
  // Not configured yet: no descendants, so nothing is kept.
  replica.report_status("site", raw({{"site", "1"}}));
  BOOST_TEST(relayed(replica) == "own]}");

  // site with site-a and site2 below it, site10 with site-b below it.
  BOOST_TEST(replica.apply(document_of(2, json::array({descendant("site", "edge", 1, json::object()),
                                                         descendant("site-b", "site10", 1, json::object()),
                                                         descendant("site-a", "site", 1, json::object()),
                                                         descendant("site10", "edge", 1, json::object()),
                                                         descendant("site2", "site", 1, json::object())}))));
  // Out of name order, a repeated name (the last one counts), a stranger and a report without a name (dropped).
  replica.report_status("site", raw({{"site2", "\"s2\""}, {"site", "\"old\""}, {"site-a", "[1]"}, {"site", "\"new\""},
                                     {"stranger", "0"}, {"", "{}"}}));
  replica.report_status("site10", raw({{"site10", "10"}, {"site-b", "{\"b\":1}"}}));
  BOOST_TEST(relayed(replica) == R"(own,"new",[1],{"b":1},10,"s2"]})");  // site, site-a, site-b, ...
  // Taken: gone until reported again.
  BOOST_TEST(relayed(replica) == "own]}");
  replica.report_status("site2", raw({{"site2", "2"}}));
  BOOST_TEST(relayed(replica) == "own,2]}");  // written where a longer one was held
}

// A child relays reports about its own subtree only: one naming its sibling, its parent or this node's other
// descendants is dropped (the cloud checks only what its own children send; a sibling's state was overwritten there).
BOOST_AUTO_TEST_CASE(a_report_about_another_subtree_is_not_relayed) {
  Replica replica("edge:5000", nullptr);
  BOOST_TEST(replica.apply(document_of(2, json::array({descendant("site", "edge", 1, json::object()),
                                                         descendant("line", "site", 1, json::object()),
                                                         descendant("sibling", "edge", 1, json::object())}))));
  replica.report_status("line", raw({{"line", "1"}, {"site", "2"}, {"sibling", "3"}}));
  BOOST_TEST(relayed(replica) == "own,1]}");
  replica.report_status("sibling", raw({{"site", "\"spoofed\""}, {"line", "\"spoofed\""}}));
  BOOST_TEST(relayed(replica) == "own]}");
  replica.report_status("site", raw({{"site", "4"}, {"line", "5"}}));
  BOOST_TEST(relayed(replica) == "own,5,4]}");  // line, site: name order
  replica.report_status("stranger", raw({{"site", "6"}}));  // not a descendant: nothing it says goes up
  BOOST_TEST(relayed(replica) == "own]}");
}

BOOST_AUTO_TEST_CASE(reports_held_across_a_document_change_still_go_up) {
  Replica replica("edge:5000", nullptr);
  BOOST_TEST(replica.apply(document_of_tree(2, {{"b", "edge"}, {"d", "b"}, {"f", "b"}})));
  replica.report_status("b", raw({{"b", "\"b\""}, {"d", "\"d\""}, {"f", "\"f\""}}));
  // "d" stops being a descendant and "c", "e" become ones: what was held goes up all the same, in name order with
  // what arrives later, and a report of a name that is no descendant any more is still dropped.
  BOOST_TEST(replica.apply(document_of_tree(3, {{"b", "edge"}, {"c", "edge"}, {"e", "c"}, {"f", "c"}})));
  replica.report_status("c", raw({{"c", "\"c\""}, {"e", "\"e\""}, {"f", "\"f2\""}, {"d", "\"d2\""}}));
  BOOST_TEST(relayed(replica) == R"(own,"b","c","d","e","f2"]})");

  // A name held aside that becomes a descendant again is replaced by its next report, not sent twice.
  replica.report_status("b", raw({{"b", "1"}}));
  replica.report_status("c", raw({{"f", "2"}}));
  BOOST_TEST(replica.apply(document_with(4, {"b"})));
  replica.report_status("b", raw({{"b", "3"}}));
  BOOST_TEST(replica.apply(document_of_tree(5, {{"b", "edge"}, {"f", "b"}})));
  replica.report_status("f", raw({{"f", "4"}}));
  BOOST_TEST(relayed(replica) == "own,3,4]}");
}

BOOST_AUTO_TEST_CASE(answers_for_descendants_come_from_their_configurations) {
  Replica replica("edge:5000", nullptr);
  BOOST_TEST(replica.version() == 0u);
  BOOST_TEST(replica.version("site") == 0u);
  BOOST_TEST(replica.apply(json{{"version", 12},
                                {"config", own_config()},
                                {"descendants",
                                 {descendant("site", "edge", 5, {{"messageTtl", "PT6H"}}),
                                  descendant("line", "site", 9, json::object())}}}));
  BOOST_TEST(replica.version() == 12u);
  BOOST_TEST(replica.version("site") == 5u);
  BOOST_TEST(replica.version("line") == 9u);
  BOOST_TEST(replica.version("elsewhere") == 0u);
  // Strings only, in order: a member of another type is not a repository.
  BOOST_TEST(replica.repositories("site") == (std::vector<std::string>{"apps/site", "base/os"}));
  BOOST_TEST(replica.repositories("elsewhere").empty());
  BOOST_TEST(replica.message_ttl("site").count() == std::chrono::nanoseconds(std::chrono::hours(6)).count());
  BOOST_TEST(replica.message_ttl("line").count() == std::chrono::nanoseconds(std::chrono::hours(48)).count());

  // A new document replaces every answer.
  BOOST_TEST(replica.apply(json{{"version", 13},
                                {"config", own_config()},
                                {"descendants", {descendant("site", "edge", 6, {{"messageTtl", "PT1H"}})}}}));
  BOOST_TEST(replica.version() == 13u);
  BOOST_TEST(replica.version("site") == 6u);
  BOOST_TEST(replica.version("line") == 0u);
  BOOST_TEST(replica.message_ttl("site").count() == std::chrono::nanoseconds(std::chrono::hours(1)).count());
}

// A document whose version is not a whole number is refused before anything is applied or saved: one kept stopped
// every later round before it reached the parent (version() threw), so a corrected document was never fetched, and a
// restart loaded it again.
BOOST_AUTO_TEST_CASE(a_document_whose_version_does_not_read_is_refused_and_not_saved) {
  int saved = 0;
  Replica replica("edge:5000", [&saved](const std::string&) { ++saved; });
  BOOST_TEST(replica.apply(document_with(4, {"site"})));
  BOOST_TEST(saved == 1);
  for (const json& version : {json("7"), json(-1), json(1.5), json(nullptr)}) {
    json document = document_with(5, {"site", "line"});
    document["version"] = version;
    BOOST_CHECK_THROW(replica.apply(document), std::invalid_argument);
    BOOST_TEST(replica.version() == 4u);
    BOOST_TEST(replica.version("line") == 0u);
  }
  BOOST_TEST(saved == 1);
  BOOST_TEST(replica.apply(document_with(5, {"site", "line"})));  // the corrected one is taken
  BOOST_TEST(replica.version() == 5u);
}

// A long poll reads its CR's version with a hint: it answers what a lookup by name would, also after a new document
// changed that version or took the CR away, and an empty hint learns nothing from a CR that is not served.
BOOST_AUTO_TEST_CASE(a_version_read_with_a_hint_follows_every_new_document) {
  using Hint = outpost::gateway::ConfigSource::VersionHint;
  Replica replica("edge:5000", nullptr);
  Hint site, line, stranger;
  BOOST_TEST(replica.version("site", site) == 0u);
  BOOST_TEST(replica.apply(document_of(
      12, {descendant("site", "edge", 5, json::object()), descendant("line", "site", 9, json::object())})));
  BOOST_TEST(replica.version("site", site) == 5u);
  BOOST_TEST(replica.version("line", line) == 9u);
  BOOST_TEST(replica.version("site", site) == 5u);  // again, from the hint
  BOOST_TEST(replica.version("elsewhere", stranger) == 0u);
  BOOST_TEST(!stranger.holder);

  BOOST_TEST(replica.apply(document_of(13, json::array({descendant("site", "edge", 6, json::object())}))));
  BOOST_TEST(replica.version("site", site) == 6u);
  BOOST_TEST(replica.version("line", line) == 0u);
  BOOST_TEST(replica.version("site", site) == replica.version("site"));
  // The same document again is no change; a new one with the same version of `site` still answers it.
  BOOST_TEST(!replica.apply(document_of(13, json::array({descendant("site", "edge", 6, json::object())}))));
  BOOST_TEST(replica.version("site", site) == 6u);
  BOOST_TEST(replica.apply(document_of(
      14, {descendant("site", "edge", 6, json::object()), descendant("line", "site", 10, json::object())})));
  BOOST_TEST(replica.version("site", site) == 6u);
  BOOST_TEST(replica.version("line", line) == 10u);
}

// A child's document is its subtree: its configuration and those of the descendants below it, each as it arrived and
// in the order they came (parents before children, docs/protocol.md; not name order), with this node as the place to
// read content from. It is written from the configurations' text (no
// tree is kept) and is exactly the text the same document built as a tree writes. What is persisted, loaded by a
// restarted node, answers the same.
BOOST_AUTO_TEST_CASE(a_childs_document_is_its_subtree_written_as_its_tree_would_be) {
  std::vector<std::string> persisted;
  Replica replica("edge:5000", [&](const std::string& text) { persisted.push_back(text); });
  const json site = descendant("site", "edge", 5, {{"messageTtl", "PT6H"}, {"note", "caf\u00e9 \"quoted\""}});
  const json line_b = descendant("line-b", "site", 9, json::object());
  const json line_a = descendant("line-a", "site", 4, {{"schedule", "*/5 * * * *"}});
  const json cell = descendant("cell", "line-a", 1, json::object());
  const json elsewhere = descendant("elsewhere", "edge", 2, json::object());
  const json sent = json{{"version", 12}, {"loginServer", "cloud:443"}, {"config", own_config()},
                         {"descendants", {site, line_b, line_a, cell, elsewhere}}};
  BOOST_TEST(replica.apply(sent));
  BOOST_TEST(replica.parent_login_server() == "cloud:443");

  const json expected = {{"version", 5},
                         {"loginServer", "edge:5000"},
                         {"config", site["config"]},
                         {"descendants", {line_b, line_a, cell}}};
  const auto written = replica.document("site");
  BOOST_TEST_REQUIRE(written.has_value());
  BOOST_TEST(*written == expected.dump());
  BOOST_TEST(json::parse(*written) == expected);
  const json leaf = {{"version", 1}, {"loginServer", "edge:5000"}, {"config", cell["config"]},
                     {"descendants", json::array()}};
  BOOST_TEST(replica.document("cell").value() == leaf.dump());
  BOOST_TEST(!replica.document("edge").has_value());  // itself: not a descendant
  BOOST_TEST(!replica.document("stranger").has_value());

  // Persisted once, as the tree writes it; the same document again is no change and writes nothing.
  BOOST_TEST_REQUIRE(persisted.size() == 1u);
  BOOST_TEST(json::parse(persisted[0]) == sent);
  BOOST_TEST(!replica.apply(sent));
  BOOST_TEST(persisted.size() == 1u);

  Replica restarted("edge:5000", nullptr);
  restarted.load(persisted[0]);
  BOOST_TEST(restarted.version() == 12u);
  BOOST_TEST(restarted.document("site").value() == *written);
  BOOST_TEST(restarted.message_ttl("site").count() == std::chrono::nanoseconds(std::chrono::hours(6)).count());
}

BOOST_AUTO_TEST_CASE(a_ttl_of_the_wrong_type_fails_the_call_that_reads_it_not_the_document) {
  Replica replica("edge:5000", nullptr);
  BOOST_TEST(replica.apply(json{{"version", 3},
                                {"config", own_config()},
                                {"descendants", {descendant("site", "edge", 2, {{"messageTtl", 3600}})}}}));
  BOOST_TEST(replica.version("site") == 2u);
  BOOST_TEST(replica.repositories("site").size() == 2u);
  BOOST_CHECK_THROW(replica.message_ttl("site"), nlohmann::json::exception);
}

// SPEC 2.7 one level down: a child's activation goes through this node to the cloud, and the instance the cloud
// accepted is the one this node goes on serving; another instance of that child is turned down here.
BOOST_AUTO_TEST_CASE(a_childs_instance_is_the_last_one_whose_relayed_activation_the_cloud_accepted) {
  Replica replica("edge:5000", nullptr);
  std::optional<outpost::ApiError> cloud_answer;
  replica.relay_activate = [&cloud_answer](std::string, std::string,
                                           std::function<void(std::optional<outpost::ApiError>)> done) { done(cloud_answer); };
  BOOST_TEST(replica.is_active_instance("line1", "i-1"));  // not activated through this node: not judged here

  std::optional<outpost::ApiError> answered;
  replica.activate("line1", "i-1", [&answered](std::optional<outpost::ApiError> error) { answered = std::move(error); });
  BOOST_TEST(!answered);
  BOOST_TEST(replica.is_active_instance("line1", "i-1"));
  BOOST_TEST(!replica.is_active_instance("line1", "i-2"));

  cloud_answer = outpost::ApiError(409, "ALREADY_ACTIVATED", "another instance");
  replica.activate("line1", "i-3", [](std::optional<outpost::ApiError>) {});
  BOOST_TEST(replica.is_active_instance("line1", "i-1"), "a refused activation changes nothing");
  cloud_answer.reset();
  replica.activate("line1", "i-2", [](std::optional<outpost::ApiError>) {});  // after a deactivate, the new instance
  BOOST_TEST(replica.is_active_instance("line1", "i-2"));
  BOOST_TEST(!replica.is_active_instance("line1", "i-1"));
}

// SPEC 2.7: a refused instance of a child still reports (Unhealthy, after each backoff), without the instance
// header; its report must not replace the active instance's here, which the cloud would then never see.
BOOST_AUTO_TEST_CASE(a_refused_instances_report_does_not_replace_the_active_ones) {
  Replica replica("edge:5000", nullptr);
  replica.relay_activate = [](std::string, std::string, std::function<void(std::optional<outpost::ApiError>)> done) {
    done(std::nullopt);
  };
  BOOST_TEST(replica.apply(document_with(2, {"line1"})));
  const auto report_from = [&replica](const std::string& body) {
    const auto reading = outpost::gateway::read_status_body(body);
    replica.report_status("line1", reading.reports);
  };
  // Not activated through this node: not judged here.
  report_from(R"({"reports":[{"name":"line1","instanceId":"i-9","connectionState":"Online"}]})");
  BOOST_TEST(relayed(replica) == R"(own,{"name":"line1","instanceId":"i-9","connectionState":"Online"}]})");
  replica.activate("line1", "i-1", [](std::optional<outpost::ApiError>) {});
  report_from(R"({"reports":[{"name":"line1","instanceId":"i-1","connectionState":"Online"}]})");
  report_from(R"({"reports":[{"name":"line1","instanceId":"i-2","connectionState":"Unhealthy"}]})");
  BOOST_TEST(relayed(replica) == R"(own,{"name":"line1","instanceId":"i-1","connectionState":"Online"}]})");
}

// SPEC 5.3: notifications flow up with the status. A descendant's report replaces the one held before it (state),
// but the notifications that one carried are events: a relay that held two reports before its own went up sent only
// the second one's, and one whose send failed lost every relayed notification.
BOOST_AUTO_TEST_CASE(relayed_notifications_are_kept_until_they_have_gone_up) {
  Replica replica("edge:5000", nullptr);
  BOOST_TEST(replica.apply(document_with(2, {"line1"})));
  const auto report = [](const std::string& state, const std::string& notifications) {
    return R"({"name":"line1","connectionState":")" + state + R"(","notifications":[)" + notifications + "]}";
  };
  const auto report_from = [&replica](const std::string& text) {
    const std::string body = R"({"reports":[)" + text + "]}";
    replica.report_status("line1", outpost::gateway::read_status_body(body).reports);
  };
  // "own,<reports>]}" -> its reports
  const auto reports_in = [](const std::string& body) {
    return json::parse("[" + body.substr(4, body.size() - 6) + "]");
  };
  const auto notes_in = [&reports_in](const std::string& body) {
    std::vector<std::string> tags;
    const json reports = reports_in(body);
    for (const auto& note : reports.at(0).at("notifications")) tags.push_back(note.at("tag").get<std::string>());
    return tags;
  };
  report_from(report("Syncing", R"({"repository":"apps/a","tag":"1"})"));
  // The child sends "1" again (it did not hear that its report arrived): the same event, kept once.
  report_from(report("Online", R"({"repository":"apps/a","tag":"1"},{"repository":"apps/a","tag":"2"})"));
  std::string body = "own";
  replica.end_status_body(body);
  BOOST_TEST(reports_in(body).at(0).at("connectionState") == "Online");  // the last state
  BOOST_TEST(notes_in(body) == (std::vector<std::string>{"1", "2"}));

  // The send fails, and a newer report came meanwhile: it goes next, with the notifications that did not go first.
  report_from(report("Online", R"({"repository":"apps/a","tag":"3"})"));
  replica.status_not_sent();
  body = "own";
  replica.end_status_body(body);
  BOOST_TEST(notes_in(body) == (std::vector<std::string>{"1", "2", "3"}));
  replica.status_sent();
  // Gone up: nothing is sent twice.
  report_from(report("Online", ""));
  body = "own";
  replica.end_status_body(body);
  BOOST_TEST(notes_in(body).empty());
  // A failed send with nothing newer since holds the report again as it was.
  report_from(report("Online", R"({"repository":"apps/a","tag":"4"})"));
  body = "own";
  replica.end_status_body(body);
  replica.status_not_sent();
  body = "own";
  replica.end_status_body(body);
  BOOST_TEST(notes_in(body) == (std::vector<std::string>{"4"}));
}

BOOST_AUTO_TEST_SUITE_END()
