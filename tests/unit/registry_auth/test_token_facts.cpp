// TokenFactsMemo (reference/registry/auth/token_facts.h): what a token name comes to in a snapshot, worked out once
// per snapshot. Its answers must be the snapshot's own, and a new snapshot must be asked again.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "reference/registry/auth/name_table.h"
#include "reference/registry/auth/token_facts.h"
#include "tests/unit/registry_auth/auth_fixture.h"

namespace outpost::testing {

namespace {
struct Rules {
  int asked = 0;
  registry::TokenFactsMemo::Rule accepts() {
    return [this](const control::Snapshot&, const auth::Token& token) {
      ++asked;
      return token.name != "elsewhere";
    };
  }
  static registry::TokenFactsMemo::Rule is_sync_token() {
    return [](const control::Snapshot&, const auth::Token& token) { return token.name == "sync"; };
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(token_facts)

BOOST_AUTO_TEST_CASE(facts_are_the_snapshots_and_are_worked_out_once_per_snapshot) {
  SeededRandom random{3};
  SnapshotDouble snapshots;
  snapshots.change([&](control::Snapshot& s) {
    put_token(s, random, "reader", "pw", "reader-map", {"repositories/a/content/read"}, 5);
    put_token(s, random, "sync", "pw", "sync-map", {"gateway/edge/config/read"}, 6);
    put_token(s, random, "elsewhere", "pw", "other-map", {"repositories/b/content/read"}, 7);
  });
  Rules rules;
  registry::TokenFactsMemo memo(rules.accepts(), Rules::is_sync_token());

  const auto first = snapshots.current;
  const registry::TokenFacts reader = memo.facts(first, "reader");
  BOOST_TEST(reader.token == first->token("reader"));
  BOOST_TEST(reader.generation == 5u);
  BOOST_TEST(reader.permissions == first->permissions_of(*first->token("reader")));
  BOOST_TEST(reader.accepted_at_node);
  BOOST_TEST(!reader.sync_token);
  BOOST_TEST(memo.facts(first, "sync").sync_token);
  BOOST_TEST(!memo.facts(first, "elsewhere").accepted_at_node);
  BOOST_TEST(rules.asked == 3);
  for (int i = 0; i < 5; ++i) BOOST_TEST(memo.facts(first, "reader").token == reader.token);
  BOOST_TEST(rules.asked == 3);  // remembered

  // Unknown names: nothing, and nothing kept (the rules are never asked about them).
  const registry::TokenFacts unknown = memo.facts(first, "nobody");
  BOOST_TEST(unknown.token == nullptr);
  BOOST_TEST(unknown.permissions == nullptr);
  BOOST_TEST(rules.asked == 3);

  // A new snapshot: the reader's map grew, "sync" is gone, a new generation for the reader.
  snapshots.change([&](control::Snapshot& s) {
    put_token(s, random, "reader", "pw2", "reader-map", {"repositories/a/content/read", "repositories/c/content/read"},
              9);
    s.tokens.erase("sync");
  });
  const auto second = snapshots.current;
  const registry::TokenFacts again = memo.facts(second, "reader");
  BOOST_TEST(again.token == second->token("reader"));
  BOOST_TEST(again.generation == 9u);
  BOOST_TEST(again.permissions == second->permissions_of(*second->token("reader")));
  BOOST_TEST(again.permissions != reader.permissions);
  BOOST_TEST(rules.asked == 4);
  BOOST_TEST(memo.facts(second, "sync").token == nullptr);
  // The first snapshot, asked again, is worked out again (the memo describes one snapshot at a time).
  BOOST_TEST(memo.facts(first, "sync").sync_token);
}

// The password kept beside a token's facts: it answers only for the digest remembered, within the copied limits, for
// the snapshot it was verified against, and never for a name without a token.
BOOST_AUTO_TEST_CASE(a_verified_password_is_kept_beside_the_facts_within_its_limits) {
  SeededRandom random{5};
  SnapshotDouble snapshots;
  snapshots.change([&](control::Snapshot& s) {
    put_token(s, random, "reader", "pw", "reader-map", {"repositories/a/content/read"}, 5);
  });
  Rules rules;
  registry::TokenFactsMemo memo(rules.accepts(), Rules::is_sync_token());
  const auto first = snapshots.current;
  const auth::Sha256Digest right = auth::sha256_digest("pw");
  const auth::Sha256Digest wrong = auth::sha256_digest("pw ");
  const Nanoseconds now{1'000};
  const WallTime wall_now = WallTime{} + std::chrono::hours(1000);

  const auto before = memo.login(first, "reader", right, now, wall_now);
  BOOST_TEST(before.facts.token == first->token("reader"));
  BOOST_TEST(!before.verified);  // nothing remembered yet

  memo.remember_verified(first, "reader", {right, now + Nanoseconds(100), wall_now + std::chrono::seconds(10)});
  const auto hit = memo.login(first, "reader", right, now, wall_now);
  BOOST_TEST(hit.verified);
  BOOST_TEST(hit.facts.token == first->token("reader"));
  BOOST_TEST(hit.facts.generation == 5u);
  BOOST_TEST(memo.facts(first, "reader").token == first->token("reader"));  // facts() unchanged by it
  BOOST_TEST(!memo.login(first, "reader", wrong, now, wall_now).verified);
  // The monotonic deadline and the wall-clock expiry each end it, at the instant they name.
  BOOST_TEST(memo.login(first, "reader", right, now + Nanoseconds(99), wall_now).verified);
  BOOST_TEST(!memo.login(first, "reader", right, now + Nanoseconds(100), wall_now).verified);
  BOOST_TEST(!memo.login(first, "reader", right, now, wall_now + std::chrono::seconds(10)).verified);
  // Another password verified takes its place.
  memo.remember_verified(first, "reader", {wrong, now + Nanoseconds(100), std::nullopt});
  BOOST_TEST(memo.login(first, "reader", wrong, now, wall_now + std::chrono::hours(10'000)).verified);
  BOOST_TEST(!memo.login(first, "reader", right, now, wall_now).verified);

  // Names without a token keep nothing.
  memo.remember_verified(first, "nobody", {right, now + Nanoseconds(100), std::nullopt});
  const auto nobody = memo.login(first, "nobody", right, now, wall_now);
  BOOST_TEST(nobody.facts.token == nullptr);
  BOOST_TEST(!nobody.verified);

  // A new snapshot (same token, same generation even) starts without it, and a verification against the old
  // snapshot that finishes after the memo moved on is not kept.
  snapshots.change([&](control::Snapshot&) {});
  const auto second = snapshots.current;
  BOOST_TEST(!memo.login(second, "reader", wrong, now, wall_now).verified);
  memo.remember_verified(first, "reader", {right, now + Nanoseconds(100), std::nullopt});
  BOOST_TEST(!memo.login(second, "reader", right, now, wall_now).verified);
  memo.remember_verified(second, "reader", {right, now + Nanoseconds(100), std::nullopt});
  BOOST_TEST(memo.login(second, "reader", right, now, wall_now).verified);
}

// The memo's table (name_table.h): every name kept is found with its own value as the table grows, names it does not
// hold (prefixes, extensions, one byte off, the empty name) are not, names too long to sit in a slot work alike, and
// clear() forgets everything while the table stays usable.
BOOST_AUTO_TEST_CASE(the_name_table_finds_exactly_the_names_it_holds) {
  registry::NameTable<int> table;
  BOOST_TEST(table.find("anything") == nullptr);
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) {
    std::string name = "region" + std::to_string(i % 7) + "child" + std::to_string(i) + "-sync-token";
    if (i % 10 == 0) name += std::string(60, 'x');  // past what a slot holds in place
    names.push_back(name);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    BOOST_TEST(table.find(names[i]) == nullptr);
    int& kept = table.insert(names[i], static_cast<int>(i));
    BOOST_TEST(kept == static_cast<int>(i));
    BOOST_TEST(table.size() == i + 1);
    // Everything inserted so far is still there after each growth.
    if ((i & (i + 1)) == 0)
      for (size_t j = 0; j <= i; ++j) BOOST_TEST_REQUIRE(table.find(names[j]) != nullptr);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    int* found = table.find(names[i]);
    BOOST_TEST_REQUIRE(found != nullptr);
    BOOST_TEST(*found == static_cast<int>(i));
    BOOST_TEST(table.find(names[i].substr(0, names[i].size() - 1)) == nullptr);
    BOOST_TEST(table.find(names[i] + "n") == nullptr);
    std::string off = names[i];
    off.back() = 'X';
    BOOST_TEST(table.find(off) == nullptr);
  }
  BOOST_TEST(table.find("") == nullptr);
  *table.find(names[3]) = -3;  // values are kept in place
  BOOST_TEST(*table.find(names[3]) == -3);

  table.clear();
  BOOST_TEST(table.size() == 0u);
  for (const std::string& name : names) BOOST_TEST(table.find(name) == nullptr);
  table.insert(names[10], 10);
  BOOST_TEST(*table.find(names[10]) == 10);
  BOOST_TEST(table.find(names[11]) == nullptr);
}

// Many tokens in one snapshot: each name gets its own token's facts and its own remembered password.
BOOST_AUTO_TEST_CASE(many_tokens_each_keep_their_own_facts_and_password) {
  SeededRandom random{7};
  SnapshotDouble snapshots;
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) names.push_back("child" + std::to_string(i) + "-sync-token");
  snapshots.change([&](control::Snapshot& s) {
    for (size_t i = 0; i < names.size(); ++i)
      put_token(s, random, names[i], "pw" + std::to_string(i), "map" + std::to_string(i),
                {"repositories/r" + std::to_string(i) + "/content/read"}, 100 + i);
  });
  Rules rules;
  registry::TokenFactsMemo memo(rules.accepts(), Rules::is_sync_token());
  const auto snapshot = snapshots.current;
  const Nanoseconds now{1'000};
  const WallTime wall_now = WallTime{} + std::chrono::hours(1000);
  for (size_t i = 0; i < names.size(); ++i) {
    const auth::Sha256Digest password = auth::sha256_digest("pw" + std::to_string(i));
    BOOST_TEST(!memo.login(snapshot, names[i], password, now, wall_now).verified);
    memo.remember_verified(snapshot, names[i], {password, now + Nanoseconds(100), std::nullopt});
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const auto login = memo.login(snapshot, names[i], auth::sha256_digest("pw" + std::to_string(i)), now, wall_now);
    BOOST_TEST(login.verified);
    BOOST_TEST(login.facts.token == snapshot->token(names[i]));
    BOOST_TEST(login.facts.generation == 100 + i);
    BOOST_TEST(login.facts.permissions == snapshot->permissions_of(*snapshot->token(names[i])));
    // Another token's password is not this one's.
    const size_t other = (i + 1) % names.size();
    BOOST_TEST(!memo.login(snapshot, names[i], auth::sha256_digest("pw" + std::to_string(other)), now, wall_now)
                    .verified);
  }
  BOOST_TEST(rules.asked == static_cast<int>(names.size()));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::testing
