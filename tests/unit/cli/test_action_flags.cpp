// Action strings built from --repository/--gateway flags (the az acr scope-map grammar, SPEC 3.1 vocabulary).
#include <boost/test/unit_test.hpp>

#include "reference/cli/action_flags.h"
#include "reference/cli/command_errors.h"

using namespace outpost::cli;
using Strings = std::vector<std::string>;

namespace {
// The message of the UsageError `build` throws, or "" when it throws none.
template <class F>
std::string usage_error_of(F build) {
  try {
    build();
  } catch (const UsageError& error) {
    return error.what();
  }
  return "";
}
}  // namespace

BOOST_AUTO_TEST_SUITE(action_flags)

BOOST_AUTO_TEST_CASE(each_repository_group_yields_one_action_string_per_action_in_order) {
  const auto actions = repository_actions({{"samples/hello", "content/read", "metadata/read"}, {"team/*", "content/write"}},
                                          "repository");
  BOOST_TEST(actions == (Strings{"repositories/samples/hello/content/read", "repositories/samples/hello/metadata/read",
                                 "repositories/team/*/content/write"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(gateway_groups_build_gateway_strings) {
  const auto actions = gateway_actions({{"edge1", "config/read", "message/write"}}, "gateway");
  BOOST_TEST(actions == (Strings{"gateway/edge1/config/read", "gateway/edge1/message/write"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(action_names_are_matched_without_case_and_written_lowercase_but_the_target_is_kept) {
  // The node lowercases repository names itself (SPEC 3.1); the CLI does not second-guess it.
  const auto actions = repository_actions({{"Samples/Hello", "Content/Read"}}, "repository");
  BOOST_TEST(actions == (Strings{"repositories/Samples/Hello/content/read"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(duplicates_are_dropped_across_groups) {
  const auto actions =
      repository_actions({{"a", "content/read", "content/read"}, {"a", "content/read", "content/write"}}, "repository");
  BOOST_TEST(actions == (Strings{"repositories/a/content/read", "repositories/a/content/write"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(no_groups_no_actions) {
  BOOST_TEST(repository_actions({}, "repository").empty());
  BOOST_TEST(gateway_actions({}, "gateway").empty());
}

BOOST_AUTO_TEST_CASE(an_unknown_action_is_a_usage_error_naming_the_flag_and_the_allowed_actions) {
  const std::string message = usage_error_of([] { repository_actions({{"a", "content/pull"}}, "add-repository"); });
  BOOST_TEST(message.find("--add-repository") != std::string::npos);
  BOOST_TEST(message.find("'content/pull'") != std::string::npos);
  BOOST_TEST(message.find("content/read, content/write, content/delete, metadata/read, metadata/write") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(gateway_and_repository_vocabularies_do_not_mix) {
  BOOST_TEST(!usage_error_of([] { repository_actions({{"a", "config/read"}}, "repository"); }).empty());
  BOOST_TEST(!usage_error_of([] { gateway_actions({{"edge1", "content/read"}}, "gateway"); }).empty());
}

BOOST_AUTO_TEST_CASE(a_group_without_an_action_or_with_a_blank_target_is_a_usage_error) {
  const std::string missing = usage_error_of([] { repository_actions({{"samples/hello"}}, "repository"); });
  BOOST_TEST(missing.find("--repository needs a repository name and at least one action") != std::string::npos);
  BOOST_TEST(!usage_error_of([] { gateway_actions({{" ", "config/read"}}, "gateway"); }).empty());
  BOOST_TEST(!usage_error_of([] { repository_actions({{"", "content/read"}}, "repository"); }).empty());
}

BOOST_AUTO_TEST_CASE(concat_unique_keeps_the_first_list_and_appends_what_it_lacks) {
  BOOST_TEST(concat_unique({"x", "y"}, {"y", "z", "x", "w"}) == (Strings{"x", "y", "z", "w"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(same_actions_ignores_order_duplicates_and_case) {
  BOOST_TEST(same_actions({"repositories/A/content/read", "repositories/b/content/write"},
                          {"repositories/b/content/write", "repositories/a/content/read", "repositories/a/content/read"}));
  BOOST_TEST(!same_actions({"repositories/a/content/read"}, {"repositories/a/content/read", "repositories/a/content/write"}));
  BOOST_TEST(!same_actions({"repositories/a/content/read"}, {}));
}

BOOST_AUTO_TEST_SUITE_END()
