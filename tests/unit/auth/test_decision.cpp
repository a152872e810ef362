// The access decision (SPEC 4.3) at the cloud: every route of SPEC 3.6 against every credential state, every scope-map
// shape and both endpoints; then the order of checks at a connected registry (4.2-4.3, 2.6). Each row names its clause.
// The rows live in decision_table.h, which the simulator's oracle tests run too.
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "tests/unit/auth/decision_table.h"

using namespace outpost::auth;
using namespace outpost::auth::testing;

BOOST_AUTO_TEST_SUITE(decisions)

namespace {
void check_all(const std::vector<DecisionCase>& cases) {
  for (const DecisionCase& row : cases)
    BOOST_TEST_CONTEXT(row.clause) { check(decide(row.route, row.credentials, row.node), row.expected); }
}
}  // namespace

// SPEC 4.3 step 1, 4.5, 3.4: every credential failure, on every route, presented either way, gets the same 401 with the
// route's challenge, and the four failures 4.5 lists cannot be told apart.
BOOST_AUTO_TEST_CASE(credential_failures_at_the_cloud) {
  check_all(credential_failure_cases());
  for (const Op& op : cloud_ops()) {
    // SPEC 4.5: byte-identical answers for unknown, wrong password, disabled, expired.
    const auto unknown = decide(op.route, failed(CredentialState::UnknownToken), cloud_login_server());
    for (CredentialState state : {CredentialState::WrongPassword, CredentialState::Disabled,
                                  CredentialState::PasswordExpired, CredentialState::None})
      BOOST_TEST((decide(op.route, failed(state), cloud_login_server()) == unknown), "SPEC 4.5: " << op.label);
  }
}

// SPEC 3.2, 3.6, 4.3 step 3: Basic credentials at the cloud login server, every route against every shape of scope
// map.
BOOST_AUTO_TEST_CASE(basic_tokens_at_the_cloud) { check_all(basic_token_cases()); }

// SPEC 7.1, 1.4, 7.2: the admin user may do every repository action, list the catalog, read metrics and manage.
BOOST_AUTO_TEST_CASE(admin_user_at_the_cloud) { check_all(admin_cases()); }

// SPEC 4.3 step 3, 3.4, 4.1: Bearer JWTs.
BOOST_AUTO_TEST_CASE(bearer_tokens_at_the_cloud) { check_all(bearer_cases()); }

// SPEC 1.2: the login server and the data endpoint.
BOOST_AUTO_TEST_CASE(endpoints_at_the_cloud) { check_all(endpoint_cases()); }

// SPEC 4.3 at a connected registry: the order of the checks, the ReadOnly refusal, unsynced repositories, and the
// disabled states of 2.6.
BOOST_AUTO_TEST_CASE(order_of_checks_at_a_connected_registry) { check_all(connected_registry_cases()); }

// SPEC 3.1/1.2: a child's sync token at its parent CR reads the gateway for the child and its descendants.
BOOST_AUTO_TEST_CASE(gateway_at_a_connected_registry) { check_all(gateway_at_connected_registry_cases()); }

BOOST_AUTO_TEST_CASE(exact_messages) {
  BOOST_TEST(kNotAllowedOnThisRegistry == "This operation is not allowed on this registry.");  // SPEC 4.3(2)
  BOOST_TEST(kInsufficientScopes == "Insufficient scopes to perform the operation");          // SPEC 4.3(3)
  BOOST_TEST(kConnectedRegistryDisabled == "connected registry disabled");                    // SPEC 2.6
}

BOOST_AUTO_TEST_SUITE_END()
