// Names: connected registries (SPEC 2.1), scope maps (3.1), tokens (3.3) and the sync names of 2.4.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "reference/auth/names.h"

using namespace outpost::auth;

namespace {
struct NameRow {
  const char* clause;
  std::string name;
  Maker maker;
  bool valid;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(names)

BOOST_AUTO_TEST_CASE(connected_registry_names) {
  const std::vector<std::pair<std::string, bool>> rows = {
      {"edge1", true},           {"Edge1", true},  {"abcde", true},          {std::string(40, 'a'), true},
      {"abcd", false},           {"1edge", false}, {std::string(41, 'a'), false}, {"my-edge", false},
      {"my_edge", false},        {"", false},      {"edge1/", false},       {"edgé1", false},
  };
  for (const auto& [name, valid] : rows)
    BOOST_TEST(valid_connected_registry_name(name) == valid, "SPEC 2.1: '" << name << "'");
}

BOOST_AUTO_TEST_CASE(scope_map_names) {
  const std::vector<NameRow> rows = {
      {"3.1 5 chars", "abcde", Maker::User, true},
      {"3.1 50 chars", std::string(50, 'a'), Maker::User, true},
      {"3.1 '_' and '-'", "my_scope-map_1", Maker::User, true},
      {"3.1 4 chars", "abcd", Maker::User, false},
      {"3.1 51 chars", std::string(51, 'a'), Maker::User, false},
      {"3.1 '.'", "my.scope", Maker::User, false},
      {"3.1 '/'", "my/scope", Maker::User, false},
      {"3.1 space", "my scope", Maker::User, false},
      {"2.4 sync name over 50 is exempt", sync_scope_map_name(std::string(40, 'e')), Maker::ConnectedRegistry, true},
      {"2.4 sync name", "edge1-sync-scope-map", Maker::ConnectedRegistry, true},
      {"2.4 users get no exemption", sync_scope_map_name(std::string(40, 'e')), Maker::User, false},
      {"2.4 system maker must use the sync name", "edge1-scope", Maker::ConnectedRegistry, false},
      {"2.4 sync name needs a valid cr", "ed-sync-scope-map", Maker::ConnectedRegistry, false},
  };
  for (const NameRow& row : rows)
    BOOST_TEST(!scope_map_name_error(row.name, row.maker).has_value() == row.valid,
               "SPEC " << row.clause << ": '" << row.name << "'");
  BOOST_TEST(scope_map_name_error("abcd").value_or("").find("5-50 characters of letters, digits, '_' and '-'") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(token_names) {
  const std::vector<NameRow> rows = {
      {"3.3 5 chars", "abcde", Maker::User, true},
      {"3.3 50 chars", std::string(50, 'a'), Maker::User, true},
      {"3.3 '-'", "pull-token-1", Maker::User, true},
      {"3.3 '_' refused", "pull_token", Maker::User, false},
      {"3.3 4 chars", "abcd", Maker::User, false},
      {"3.3 51 chars", std::string(51, 'a'), Maker::User, false},
      {"2.4 sync token over 50 is exempt", sync_token_name(std::string(40, 'e')), Maker::ConnectedRegistry, true},
      {"2.4 users get no exemption", sync_token_name(std::string(40, 'e')), Maker::User, false},
      {"2.4 system maker must use the sync name", "edge1-token", Maker::ConnectedRegistry, false},
  };
  for (const NameRow& row : rows)
    BOOST_TEST(!token_name_error(row.name, row.maker).has_value() == row.valid,
               "SPEC " << row.clause << ": '" << row.name << "'");
  BOOST_TEST(token_name_error("pull_token").value_or("").find("contains '_'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(sync_names) {
  BOOST_TEST(sync_scope_map_name("edge1") == "edge1-sync-scope-map");
  BOOST_TEST(sync_token_name("edge1") == "edge1-sync-token");
}

BOOST_AUTO_TEST_SUITE_END()
