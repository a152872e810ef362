// The judgement cache (simulator/check/judgement_cache.h) must judge every decision exactly as check::judge() does
// without it: alike decisions reuse what was prepared and answered, and nothing else does. Each case compares the
// two on a sequence of decisions in which the reuse would show if it were wrong: different outcomes for one request,
// a password that expires between two alike decisions, a new version of the World, a password learned later.
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include "simulator/check/judgement_cache.h"
#include "simulator/check/read_only_invariant.h"
#include "tests/unit/check/world_fixture.h"

using namespace outpost;
using namespace outpost::check;
using namespace outpost::check::testing;
using namespace std::chrono_literals;

namespace {

Outcome unauthorized(std::string scope) {
  Outcome outcome;
  outcome.status = 401;
  outcome.code = "UNAUTHORIZED";
  outcome.message = "authentication required";
  outcome.challenge = true;
  outcome.challenge_scope = std::move(scope);
  return outcome;
}

// The leaf client pulling a manifest at the leaf at `at`, with the password "pw".
ObservedDecision leaf_pull(WallTime at) {
  return observed_at(at, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1",
                     basic_header("leaf-client", "pw"));
}

// The book learns the leaf client's password "pw", as the watch does when the operator creates it.
void learn_leaf_password(CredentialBook& book, const World& world) {
  book.remember_password("leaf-client", "pw", {0, world.tokens.at("leaf-client").passwords[0].serial});
}

// Every version asked, as the checks may ask them; then what the cache keeps.
Judgement judged_with(JudgementCache& cache, const WorldHistory& history, const CredentialBook& book,
                      const ObservedDecision& observed) {
  Judgement* judgement = cache.prepare(history, book, observed);
  BOOST_TEST_REQUIRE(judgement != nullptr);
  for (size_t version = 0; version < judgement->answers.size(); ++version)
    ask(*judgement, version, history, observed);
  cache.keep(history);
  return *judgement;
}

void same_judgement(const Judgement& cached, const Judgement& fresh) {
  BOOST_TEST(cached.node.connected_registry == fresh.node.connected_registry);
  BOOST_TEST(cached.depth == fresh.depth);
  BOOST_TEST(cached.node_address == fresh.node_address);
  BOOST_TEST(cached.reached_read_only == fresh.reached_read_only);
  BOOST_TEST(describe(cached.credential) == describe(fresh.credential));
  BOOST_TEST_REQUIRE(cached.answers.size() == fresh.answers.size());
  for (size_t version = 0; version < fresh.answers.size(); ++version) {
    BOOST_TEST_REQUIRE(cached.answers[version].has_value());
    BOOST_TEST(describe(*cached.answers[version]) == describe(*fresh.answers[version]));
    BOOST_TEST(cached.agreeing[version] == fresh.agreeing[version]);
  }
}

// Every token of `world` known by its first password, "<name>-password1".
CredentialBook first_passwords_of(const World& world) {
  CredentialBook book;
  for (const auto& [name, token] : world.tokens)
    book.remember_password(name, name + "-password1", {0, token.passwords[0].serial});
  return book;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(judgement_cache)

BOOST_AUTO_TEST_CASE(alike_decisions_are_judged_as_without_the_cache) {
  World world = small_world();
  const CredentialBook book = first_passwords_of(world);
  const WorldHistory history(world, kStart);
  JudgementCache cache;
  const std::string leaf_client = basic_header("leaf-client", "leaf-client-password1");
  const std::string other_client = basic_header("other-client", "other-client-password1");
  const std::vector<ObservedDecision> decisions{
      observed_at(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", leaf_client),
      // The same request, refused this time: the cached answer must not make the refusal agree.
      observed_at(t0 + 1s, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", leaf_client,
               unauthorized("repository:samples/app:pull")),
      observed_at(t0 + 2s, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", leaf_client),
      // Another repository, node or token is another request.
      observed_at(t0 + 3s, "leaf:5000", http::Method::Get, "/v2/prod/app/manifests/v1", leaf_client),
      observed_at(t0 + 4s, "mid:5000", http::Method::Get, "/v2/samples/app/manifests/v1", leaf_client),
      observed_at(t0 + 5s, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", other_client,
               unauthorized("repository:samples/app:pull")),
      // A tag or digest the oracle does not look at: alike.
      observed_at(t0 + 6s, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v2", leaf_client),
  };
  for (const ObservedDecision& observed : decisions) {
    const Judgement cached = judged_with(cache, history, book, observed);
    const auto fresh = judge(history, book, observed);
    BOOST_TEST_REQUIRE(fresh.has_value());
    same_judgement(cached, *fresh);
  }
  BOOST_TEST(cache.hits() == 3u);  // the second, third and last decisions
  BOOST_TEST(cache.size() == 4u);
}

BOOST_AUTO_TEST_CASE(an_answer_that_depends_on_the_time_is_asked_again) {
  World world = small_world();
  world.tokens.at("leaf-client").passwords[0].expiry = t0 + 1min;
  CredentialBook book;
  learn_leaf_password(book, world);
  const WorldHistory history(world, kStart);
  JudgementCache cache;
  const auto before = leaf_pull(t0);
  const auto after = leaf_pull(t0 + 2min);
  BOOST_TEST(judged_with(cache, history, book, before).agreeing.back());
  // Allowed after the expiry: a reused answer would agree; the oracle asked at the decision's time refuses.
  const Judgement late = judged_with(cache, history, book, after);
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(!late.agreeing.back());
  BOOST_TEST(late.answers.back()->status == 401);
  same_judgement(late, *judge(history, book, after));
}

BOOST_AUTO_TEST_CASE(a_new_version_or_a_password_learned_prepares_again) {
  World world = small_world();
  CredentialBook book;
  WorldHistory history(world, kStart);
  JudgementCache cache;
  // A password the book never saw: refused.
  BOOST_TEST(judged_with(cache, history, book, leaf_pull(t0)).answers.back()->status == 401);
  learn_leaf_password(book, world);
  const Judgement learned = judged_with(cache, history, book, leaf_pull(t0 + 1s));
  BOOST_TEST(learned.answers.back()->allowed());
  same_judgement(learned, *judge(history, book, leaf_pull(t0 + 1s)));
  // The token disabled in a new version: the newest answer refuses, the first version's still allows.
  set_token_status(world, "leaf-client", TokenStatus::Disabled);
  history.record(world, t0 + 2s);
  const Judgement disabled = judged_with(cache, history, book, leaf_pull(t0 + 3s));
  BOOST_TEST(disabled.answers.size() == 2u);
  BOOST_TEST(disabled.answers.front()->allowed());
  BOOST_TEST(disabled.answers.back()->status == 401);
  same_judgement(disabled, *judge(history, book, leaf_pull(t0 + 3s)));
  BOOST_TEST(cache.hits() == 0u);
}

BOOST_AUTO_TEST_CASE(answers_asked_without_keep_are_asked_again) {
  World world = small_world();
  world.tokens.at("leaf-client").passwords[0].expiry = t0 + 1min;
  CredentialBook book;
  learn_leaf_password(book, world);
  const WorldHistory history(world, kStart);
  JudgementCache cache;
  // Asked, never kept: the judgement is the cache's own, so what the first decision asked must not stay in it.
  Judgement* first = cache.prepare(history, book, leaf_pull(t0));
  BOOST_TEST_REQUIRE(first != nullptr);
  ask(*first, 0, history, leaf_pull(t0));
  BOOST_TEST(first->answers[0]->allowed());
  const Judgement late = judged_with(cache, history, book, leaf_pull(t0 + 2min));
  BOOST_TEST(cache.hits() == 1u);
  BOOST_TEST(late.answers[0]->status == 401);
  same_judgement(late, *judge(history, book, leaf_pull(t0 + 2min)));
}

BOOST_AUTO_TEST_CASE(a_decision_judged_late_sees_only_the_versions_of_its_time) {
  World world = small_world();
  CredentialBook book;
  learn_leaf_password(book, world);
  WorldHistory history(world, kStart);
  set_token_status(world, "leaf-client", TokenStatus::Disabled);
  history.record(world, t0 + 10s);
  JudgementCache cache;
  // After the change, both versions; a decision made before it (judged late), only the first; then both again.
  for (const WallTime at : {t0 + 20s, t0, t0 + 30s}) {
    const Judgement cached = judged_with(cache, history, book, leaf_pull(at));
    same_judgement(cached, *judge(history, book, leaf_pull(at)));
  }
  BOOST_TEST(cache.hits() == 2u);
}

BOOST_AUTO_TEST_CASE(of_a_long_history_a_hit_holds_only_the_versions_kept) {
  // 41 versions; the checks ask one at a time, as they do when the newest agrees. What a hit holds is exactly the
  // answers kept (the cache follows its lists of kept and asked versions, not every version), also across a
  // decision judged late, which drops the versions after its time.
  World world = small_world();
  CredentialBook book;
  learn_leaf_password(book, world);
  WorldHistory history(world, kStart);
  for (int i = 1; i <= 40; ++i) history.record(world, t0 + std::chrono::seconds(i));
  JudgementCache cache;
  const auto only = [](const Judgement& judgement, std::vector<size_t> versions) {
    for (size_t version = 0; version < judgement.answers.size(); ++version) {
      const bool expected = std::find(versions.begin(), versions.end(), version) != versions.end();
      BOOST_TEST(judgement.answers[version].has_value() == expected, "version " << version);
      BOOST_TEST(judgement.agreeing[version] == expected, "version " << version);
    }
  };
  const auto late = leaf_pull(t0 + 1min);
  const auto early = leaf_pull(t0 + 10s + 500ms);  // knows versions 0 to 10
  Judgement* judgement = cache.prepare(history, book, late);
  BOOST_TEST_REQUIRE(judgement != nullptr);
  BOOST_TEST(ask(*judgement, 40, history, late));
  cache.keep(history);

  judgement = cache.prepare(history, book, early);
  BOOST_TEST_REQUIRE(judgement->answers.size() == 11u);
  only(*judgement, {});
  BOOST_TEST(ask(*judgement, 10, history, early));
  BOOST_TEST(ask(*judgement, 3, history, early));
  cache.keep(history);

  judgement = cache.prepare(history, book, late);
  BOOST_TEST_REQUIRE(judgement->answers.size() == 41u);
  only(*judgement, {3, 10});  // 40 went with the early decision: asked again when needed
  BOOST_TEST(ask(*judgement, 40, history, late));
  cache.keep(history);

  // Refused this time: the same answers, and none of them agrees with this outcome.
  ObservedDecision refused = late;
  refused.outcome = unauthorized("repository:samples/app:pull");
  judgement = cache.prepare(history, book, refused);
  for (const size_t version : {3, 10, 40}) {
    BOOST_TEST(judgement->answers[version].has_value());
    BOOST_TEST(!judgement->agreeing[version]);
  }
  same_judgement(judged_with(cache, history, book, refused), *judge(history, book, refused));
  BOOST_TEST(cache.hits() == 4u);
}

BOOST_AUTO_TEST_CASE(node_facts_are_the_worlds) {
  const World world = small_world();
  CredentialBook book;
  const WorldHistory history(world, kStart);
  ViolationLog log(1);
  const ReadOnlyInvariant read_only(history, log);
  JudgementCache cache;
  const std::string header = basic_header("leaf-client", "pw");
  // Reached at its own address, at another node's (the Host decides), and at an address no node has (the deciding
  // node is judged, and the address it reached is not a ReadOnly CR's).
  const std::vector<std::pair<std::string, std::string>> reached{
      {"leaf:5000", "leaf:5000"}, {"leaf:5000", "mid:5000"}, {"mid:5000", "leaf:5000"}, {"leaf:5000", "nowhere:1"}};
  for (const auto& [node, host] : reached) {
    ObservedDecision decision = observed_at(t0, node, http::Method::Get, "/v2/samples/app/manifests/v1", header);
    decision.host = host;
    const Judgement* judgement = cache.prepare(history, book, decision);
    BOOST_TEST_REQUIRE(judgement != nullptr);
    BOOST_TEST(judgement->node_address == world.address_of(judgement->node));
    BOOST_TEST(judgement->reached_read_only == read_only.read_only(host));
  }
  BOOST_TEST(cache.prepare(history, book, observed_at(t0, "nowhere:1", http::Method::Get, "/v2/", header)) == nullptr);
}

BOOST_AUTO_TEST_CASE(many_decisions_each_find_their_own_judgement) {
  // More distinct decisions than the table first has room for: each is still found again, and only its own.
  World world = small_world();
  const CredentialBook book = first_passwords_of(world);
  const WorldHistory history(world, kStart);
  JudgementCache cache;
  const std::string leaf_client = basic_header("leaf-client", "leaf-client-password1");
  const auto pull = [&](size_t i, WallTime at) {
    return observed_at(at, "leaf:5000", http::Method::Get, "/v2/samples/app" + std::to_string(i) + "/manifests/v1",
                       leaf_client);
  };
  constexpr size_t kDecisions = 3000;
  for (size_t round = 0; round < 2; ++round)
    for (size_t i = 0; i < kDecisions; ++i) {
      const ObservedDecision observed = pull(i, t0 + std::chrono::seconds(round));
      const Judgement cached = judged_with(cache, history, book, observed);
      BOOST_TEST_REQUIRE(cached.request.repository == "samples/app" + std::to_string(i));
      if (i % 500 == 0) same_judgement(cached, *judge(history, book, observed));
    }
  BOOST_TEST(cache.size() == kDecisions);
  BOOST_TEST(cache.hits() == kDecisions);  // the second round
}

BOOST_AUTO_TEST_SUITE_END()
