// What the verbs print: the API's JSON as sent, or tables for people.
#include <boost/test/unit_test.hpp>

#include "reference/cli/command_errors.h"
#include "reference/cli/output_format.h"

using namespace outpost::cli;
using nlohmann::ordered_json;

BOOST_AUTO_TEST_SUITE(output_format)

BOOST_AUTO_TEST_CASE(columns_are_as_wide_as_their_widest_cell_two_spaces_apart_without_trailing_spaces) {
  const Table table{{"NAME", "STATUS"}, {{"ci-pull", "enabled"}, {"a", ""}}};
  BOOST_TEST(render_table(table) ==
             "NAME     STATUS\n"
             "-------  -------\n"
             "ci-pull  enabled\n"
             "a\n");
}

BOOST_AUTO_TEST_CASE(a_multi_line_cell_stacks_its_lines_and_the_other_cells_stay_on_the_first) {
  const Table table{{"NAME", "ACTIONS", "X"}, {{"m", "repositories/a/content/read\nrepositories/a/metadata/read", "1"}}};
  BOOST_TEST(render_table(table) ==
             "NAME  ACTIONS                       X\n"
             "----  ----------------------------  -\n"
             "m     repositories/a/content/read   1\n"
             "      repositories/a/metadata/read\n");
}

BOOST_AUTO_TEST_CASE(width_counts_utf8_characters_not_bytes) {
  const Table table{{"D", "E"}, {{"caf\xC3\xA9", "x"}}};  // "café": 4 characters, 5 bytes
  BOOST_TEST(render_table(table) ==
             "D     E\n"
             "----  -\n"
             "caf\xC3\xA9  x\n");
}

BOOST_AUTO_TEST_CASE(an_empty_list_prints_the_headers_only) {
  BOOST_TEST(render_table(token_table(ordered_json::array())) ==
             "NAME  SCOPE MAP  STATUS  PASSWORD1 EXPIRY  PASSWORD2 EXPIRY\n"
             "----  ---------  ------  ----------------  ----------------\n");
}

BOOST_AUTO_TEST_CASE(resources_come_from_an_array_a_single_object_or_a_wrapping_object) {
  const auto array = ordered_json::parse(R"([{"name":"a"},{"name":"b"}])");
  BOOST_TEST(resources_of(array).size() == 2u);
  BOOST_TEST(resources_of(ordered_json::parse(R"({"name":"a","actions":[]})")).size() == 1u);
  const auto wrapped = resources_of(ordered_json::parse(R"({"tokens":[{"name":"a"},{"name":"b"},{"name":"c"}]})"));
  BOOST_TEST(wrapped.size() == 3u);
  BOOST_TEST(wrapped[2]["name"] == "c");
  BOOST_TEST(resources_of(ordered_json()).empty());
}

BOOST_AUTO_TEST_CASE(scope_map_rows_list_their_actions_one_per_line) {
  const auto answer = ordered_json::parse(R"([
    {"name":"_repositories_pull","description":"Can pull any repository","actions":["repositories/*/content/read"],
     "type":"SystemDefined"},
    {"name":"ci-push","description":"","actions":["repositories/app/content/read","repositories/app/content/write"],
     "type":"UserDefined"}])");
  BOOST_TEST(format_answer(answer, OutputFormat::Table, ResourceKind::ScopeMap) ==
             "NAME                TYPE           DESCRIPTION              ACTIONS\n"
             "------------------  -------------  -----------------------  ------------------------------\n"
             "_repositories_pull  SystemDefined  Can pull any repository  repositories/*/content/read\n"
             "ci-push             UserDefined                             repositories/app/content/read\n"
             "                                                            repositories/app/content/write\n");
}

BOOST_AUTO_TEST_CASE(token_rows_say_which_passwords_exist_and_when_they_expire) {
  const auto answer = ordered_json::parse(R"({"tokens":[
    {"name":"ci-token","scopeMap":"ci-push","status":"enabled","passwords":[
      {"name":"password1","creationTime":"2026-03-01T10:00:00.000Z","expiry":"2026-03-31T10:00:00.000Z"},
      {"name":"password2","creationTime":"2026-03-01T10:00:00.000Z","expiry":null}]},
    {"name":"idle-token","scopeMap":"_repositories_pull","status":"disabled","passwords":[]}]})");
  BOOST_TEST(format_answer(answer, OutputFormat::Table, ResourceKind::Token) ==
             "NAME        SCOPE MAP           STATUS    PASSWORD1 EXPIRY          PASSWORD2 EXPIRY\n"
             "----------  ------------------  --------  ------------------------  ----------------\n"
             "ci-token    ci-push             enabled   2026-03-31T10:00:00.000Z  never\n"
             "idle-token  _repositories_pull  disabled  -                         -\n");
}

BOOST_AUTO_TEST_CASE(a_create_answer_shows_the_password_values_under_the_token) {
  const auto answer = ordered_json::parse(R"({"name":"ci-token","scopeMap":"ci-push","status":"enabled","passwords":[
      {"name":"password1","creationTime":"2026-03-01T10:00:00.000Z","expiry":null,"value":"p1-secret"},
      {"name":"password2","creationTime":"2026-03-01T10:00:00.000Z","value":"p2-secret"}]})");
  BOOST_TEST(format_answer(answer, OutputFormat::Table, ResourceKind::Token) ==
             "NAME      SCOPE MAP  STATUS   PASSWORD1 EXPIRY  PASSWORD2 EXPIRY\n"
             "--------  ---------  -------  ----------------  ----------------\n"
             "ci-token  ci-push    enabled  never             never\n"
             "\n"
             "USERNAME  PASSWORD   VALUE      EXPIRY\n"
             "--------  ---------  ---------  ------\n"
             "ci-token  password1  p1-secret  never\n"
             "ci-token  password2  p2-secret  never\n");
}

BOOST_AUTO_TEST_CASE(generated_credentials_print_as_a_password_table) {
  const auto answer = ordered_json::parse(R"({"username":"ci-token","passwords":[
      {"name":"password2","value":"fresh","creationTime":"2026-03-01T10:00:00.000Z","expiry":"2026-04-01T00:00:00.000Z"}]})");
  BOOST_TEST(format_answer(answer, OutputFormat::Table, ResourceKind::Credentials) ==
             "USERNAME  PASSWORD   VALUE  EXPIRY\n"
             "--------  ---------  -----  ------------------------\n"
             "ci-token  password2  fresh  2026-04-01T00:00:00.000Z\n");
}

BOOST_AUTO_TEST_CASE(json_is_the_answer_pretty_printed_in_the_nodes_key_order) {
  const std::string sent = R"({"name":"m","description":"d","actions":["repositories/a/content/read"],"type":"UserDefined"})";
  BOOST_TEST(format_answer(ordered_json::parse(sent), OutputFormat::Json, ResourceKind::ScopeMap) ==
             "{\n"
             "  \"name\": \"m\",\n"
             "  \"description\": \"d\",\n"
             "  \"actions\": [\n"
             "    \"repositories/a/content/read\"\n"
             "  ],\n"
             "  \"type\": \"UserDefined\"\n"
             "}\n");
}

BOOST_AUTO_TEST_CASE(an_empty_answer_prints_nothing_in_either_format) {
  BOOST_TEST(format_answer(nullptr, OutputFormat::Json, ResourceKind::Token).empty());
  BOOST_TEST(format_answer(nullptr, OutputFormat::Table, ResourceKind::ScopeMap).empty());
}

BOOST_AUTO_TEST_CASE(output_format_names) {
  BOOST_TEST((parse_output_format("json") == OutputFormat::Json));
  BOOST_TEST((parse_output_format("table") == OutputFormat::Table));
  BOOST_CHECK_THROW(parse_output_format("yaml"), UsageError);
}

BOOST_AUTO_TEST_SUITE_END()
