// CowMap (reference/common/cow_map.h): a sorted map whose copies share what they do not change. It must behave as a
// std::map under any sequence of operations, leave every other copy alone when one is edited, and report through
// diff() at least every key whose entry changed between two versions (and no entry the two versions still share).
#include <boost/test/unit_test.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "reference/common/cow_map.h"
#include "reference/common/random.h"

namespace outpost {

namespace {
using Map = CowMap<std::string, int, std::less<>>;
using Model = std::map<std::string, int, std::less<>>;

std::string key(uint64_t n) { return "k" + std::to_string(1000 + n); }

void require_same(const Map& map, const Model& model) {
  BOOST_REQUIRE_EQUAL(map.size(), model.size());
  auto it = map.begin();
  for (const auto& [k, v] : model) {
    BOOST_REQUIRE(it != map.end());
    BOOST_REQUIRE_EQUAL(it->first, k);
    BOOST_REQUIRE_EQUAL(it->second, v);
    ++it;
  }
  BOOST_REQUIRE(it == map.end());
}

// Every key diff() reports, with what it saw on each side.
using Sides = std::pair<std::optional<int>, std::optional<int>>;
std::map<std::string, Sides> reported(const Map& before, const Map& after) {
  std::map<std::string, Sides> out;
  std::string last;
  Map::diff(before, after, [&](const std::string& k, const int* old, const int* now) {
    BOOST_REQUIRE(last.empty() || last < k);  // in key order, each once
    last = k;
    out[k] = {old ? std::optional<int>(*old) : std::nullopt, now ? std::optional<int>(*now) : std::nullopt};
  });
  return out;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(cow_map)

BOOST_AUTO_TEST_CASE(behaves_as_a_sorted_map_under_random_edits) {
  SeededRandom random(11);
  Map map;
  Model model;
  for (int step = 0; step < 20'000; ++step) {
    const std::string k = key(random.uniform(500));
    switch (random.uniform(4)) {
      case 0:
      case 1: {
        const int value = static_cast<int>(random.uniform(1000));
        BOOST_REQUIRE_EQUAL(map.insert_or_assign(k, value), !model.contains(k));
        model.insert_or_assign(k, value);
        break;
      }
      case 2:
        BOOST_REQUIRE_EQUAL(map.erase(k), model.erase(k));
        break;
      case 3:
        map[k] += 1;
        model[k] += 1;
        break;
    }
    BOOST_REQUIRE_EQUAL(map.contains(k), model.contains(k));
    if (model.contains(k)) BOOST_REQUIRE_EQUAL(map.at(k), model.at(k));
    if (step % 1000 == 0) require_same(map, model);
  }
  require_same(map, model);
  BOOST_TEST((map.find(std::string_view("absent")) == map.end()));
  BOOST_CHECK_THROW(map.at("absent"), std::out_of_range);
  const auto first_above = map.lower_bound(std::string("k1250x"));
  const auto expected = model.lower_bound(std::string("k1250x"));
  BOOST_REQUIRE(first_above != map.end());
  BOOST_TEST(first_above->first == expected->first);
}

BOOST_AUTO_TEST_CASE(an_edited_copy_leaves_the_original_alone) {
  Map original;
  for (uint64_t n = 0; n < 300; ++n) original.insert_or_assign(key(n), static_cast<int>(n));
  const Map kept = original;
  Map copy = original;
  copy.insert_or_assign(key(5), -5);
  copy.erase(key(100));
  copy.insert_or_assign(key(1000), 1000);
  copy[key(7)] = -7;
  BOOST_TEST(original == kept);
  BOOST_TEST(original.at(key(5)) == 5);
  BOOST_TEST(original.contains(key(100)));
  BOOST_TEST(!original.contains(key(1000)));
  BOOST_TEST(original.at(key(7)) == 7);
  BOOST_TEST(copy.at(key(5)) == -5);
  BOOST_TEST(!copy.contains(key(100)));
  BOOST_TEST(copy.size() == 300u);
  BOOST_TEST(!(copy == original));
}

// Copies share entries, not only chunks: editing a chunk another copy shares copies pointers to its entries, and no
// value, neither the one replaced nor the ones kept (a snapshot's records are big: a parent's sync scope map lists
// every descendant's actions, and each change copied a chunk of 32 such records).
BOOST_AUTO_TEST_CASE(replacing_a_shared_entry_does_not_copy_the_value_it_replaces) {
  struct Counted {
    int value = 0;
    int* copies = nullptr;
    Counted() = default;
    Counted(int v, int* c) : value(v), copies(c) {}
    Counted(const Counted& other) : value(other.value), copies(other.copies) { ++*copies; }
    Counted(Counted&&) = default;
    Counted& operator=(const Counted& other) {
      value = other.value;
      copies = other.copies;
      ++*copies;
      return *this;
    }
    Counted& operator=(Counted&&) = default;
  };
  int copies = 0;
  CowMap<std::string, Counted, std::less<>> original;
  for (uint64_t n = 0; n < 10; ++n) original.insert_or_assign(key(n), Counted(static_cast<int>(n), &copies));
  auto edited = original;
  copies = 0;
  BOOST_TEST(!edited.insert_or_assign(key(4), Counted(-4, &copies)));  // an existing key: not inserted
  BOOST_TEST(copies == 0);  // neither the nine entries kept nor the one replaced
  BOOST_TEST(edited.at(key(4)).value == -4);
  BOOST_TEST(original.at(key(4)).value == 4);
  BOOST_TEST(edited.size() == 10u);
  for (uint64_t n = 0; n < 10; ++n)
    if (n != 4) BOOST_TEST(edited.at(key(n)).value == static_cast<int>(n));
  // The first and the last entry of a chunk, with a key given as a view.
  auto again = edited;
  BOOST_TEST(!again.insert_or_assign(std::string(key(0)), Counted(-10, &copies)));
  BOOST_TEST(!again.insert_or_assign(key(9), Counted(-9, &copies)));
  BOOST_TEST(again.at(key(0)).value == -10);
  BOOST_TEST(again.at(key(9)).value == -9);
  BOOST_TEST(edited.at(key(0)).value == 0);
  BOOST_TEST(edited.at(key(9)).value == 9);
  // Inserting and erasing in a shared chunk copy no value either. (The reads above went through the writable at(),
  // which made edited's entries its own: copies are counted from here.)
  copies = 0;
  auto grown = edited;
  BOOST_TEST(grown.insert_or_assign(key(20), Counted(20, &copies)));
  BOOST_TEST(grown.erase(key(3)) == 1u);
  BOOST_TEST(copies == 0);
  BOOST_TEST(edited.contains(key(3)));
  BOOST_TEST(!edited.contains(key(20)));
  // Changing a shared value in place copies that value alone, and the other copies keep theirs.
  grown.at(key(5)).value = 55;
  BOOST_TEST(copies == 1);
  BOOST_TEST(std::as_const(edited).at(key(5)).value == 5);
  grown.at(key(5)).value = 56;  // this copy's own now: changed where it is
  BOOST_TEST(copies == 1);
  BOOST_TEST(grown.at(key(5)).value == 56);
}

// The unchanged entries of an edited chunk are the very objects the other copies hold, and stay alive as long as any
// copy holds them, whichever goes first.
BOOST_AUTO_TEST_CASE(copies_share_the_entries_an_edit_did_not_replace) {
  auto original = std::make_unique<Map>();
  for (uint64_t n = 0; n < 100; ++n) original->insert_or_assign(key(n), static_cast<int>(n));
  Map copy = *original;
  copy.insert_or_assign(key(10), -10);
  copy.erase(key(11));
  copy.insert_or_assign(key(10) + "a", 1);
  const Map& reader = copy;
  BOOST_TEST(&reader.at(key(12)) == &std::as_const(*original).at(key(12)));  // same chunk as the edits
  BOOST_TEST(&reader.at(key(90)) == &std::as_const(*original).at(key(90)));  // another chunk
  BOOST_TEST(&reader.at(key(10)) != &std::as_const(*original).at(key(10)));
  original.reset();
  for (uint64_t n = 0; n < 100; ++n)
    if (n != 10 && n != 11) BOOST_REQUIRE_EQUAL(reader.at(key(n)), static_cast<int>(n));
  BOOST_TEST(reader.at(key(10)) == -10);
  BOOST_TEST(reader.size() == 100u);
}

// diff() skips the entries both versions share even inside a chunk the change copied: one edit, one key reported.
BOOST_AUTO_TEST_CASE(diff_reports_only_the_entries_an_edit_replaced) {
  Map before;
  for (uint64_t n = 0; n < 300; ++n) before.insert_or_assign(key(n), static_cast<int>(n));
  Map after = before;
  after.insert_or_assign(key(40), 40);  // replaced by an equal value: reported, equal on both sides
  after[key(41)] += 1;                  // changed in place, after a private copy
  after[key(41)] += 1;                  // and again, in place
  const auto seen = reported(before, after);
  BOOST_TEST(seen.size() == 2u);
  BOOST_TEST((seen.at(key(40)) == Sides{40, 40}));
  BOOST_TEST((seen.at(key(41)) == Sides{41, 43}));
  BOOST_TEST(before.at(key(41)) == 41);
}

// Copies share the list of chunks until one is edited: an unedited copy has nothing to report, and emptying a copy
// (down to no chunk at all) or clearing it leaves the original whole.
BOOST_AUTO_TEST_CASE(an_unedited_copy_has_no_differences_and_an_emptied_one_takes_nothing_with_it) {
  Map original;
  for (uint64_t n = 0; n < 100; ++n) original.insert_or_assign(key(n), static_cast<int>(n));
  const Map kept = original;
  size_t visited = 0;
  Map::diff(original, Map(original), [&](const std::string&, const int*, const int*) { ++visited; });
  BOOST_TEST(visited == 0u);
  Map emptied = original;
  for (uint64_t n = 0; n < 100; ++n) emptied.erase(key(n));
  BOOST_TEST(emptied.empty());
  BOOST_TEST((emptied.begin() == emptied.end()));
  Map::diff(original, emptied, [&](const std::string&, const int* before, const int* after) {
    visited += before != nullptr && after == nullptr;
  });
  BOOST_TEST(visited == 100u);
  emptied.insert_or_assign(key(3), 33);
  Map cleared = original;
  cleared.clear();
  BOOST_TEST(cleared.empty());
  BOOST_TEST(original == kept);
  BOOST_TEST(emptied.at(key(3)) == 33);
  BOOST_TEST(original.at(key(3)) == 3);
}

BOOST_AUTO_TEST_CASE(diff_reports_every_change_and_skips_what_the_copies_share) {
  Map before;
  for (uint64_t n = 0; n < 2000; n += 2) before.insert_or_assign(key(n), static_cast<int>(n));
  Map after = before;
  after.insert_or_assign(key(10), -10);  // changed
  after.erase(key(500));                 // gone
  for (uint64_t n = 901; n < 1000; n += 2) after.insert_or_assign(key(n), static_cast<int>(n));  // new (splits)
  after.insert_or_assign(key(1998), 1998);                                                        // same value
  const auto seen = reported(before, after);
  BOOST_TEST((seen.at(key(10)) == Sides{10, -10}));
  BOOST_TEST((seen.at(key(500)) == Sides{500, std::nullopt}));
  for (uint64_t n = 901; n < 1000; n += 2)
    BOOST_TEST((seen.at(key(n)) == Sides{std::nullopt, n}));
  // Only what the change replaced is reported (the one entry replaced by an equal value), even in the chunks it
  // copied or split.
  size_t equal = 0;
  for (const auto& [k, sides] : seen)
    if (sides.first && sides.second && *sides.first == *sides.second) ++equal;
  BOOST_TEST(equal == 1u);
  BOOST_TEST(seen.size() == 1u + 1u + 1u + 50u);
  BOOST_TEST(reported(after, after).empty());
  BOOST_TEST(reported(before, Map(before)).empty());
}

BOOST_AUTO_TEST_CASE(diff_agrees_with_the_models_after_random_edits) {
  SeededRandom random(3);
  Map map;
  Model model;
  for (int round = 0; round < 200; ++round) {
    const Map before = map;
    const Model model_before = model;
    const uint64_t edits = 1 + random.uniform(40);
    for (uint64_t e = 0; e < edits; ++e) {
      const std::string k = key(random.uniform(800));
      if (random.uniform(3) == 0) {
        map.erase(k);
        model.erase(k);
      } else {
        const int value = static_cast<int>(random.uniform(5));
        map.insert_or_assign(k, value);
        model.insert_or_assign(k, value);
      }
    }
    const auto seen = reported(before, map);
    for (const auto& [k, v] : model_before)
      if (!model.contains(k) || model.at(k) != v) BOOST_REQUIRE(seen.contains(k));
    for (const auto& [k, v] : model)
      if (!model_before.contains(k)) BOOST_REQUIRE(seen.contains(k));
    for (const auto& [k, sides] : seen) {
      BOOST_REQUIRE_EQUAL(sides.first.has_value(), model_before.contains(k));
      BOOST_REQUIRE_EQUAL(sides.second.has_value(), model.contains(k));
    }
  }
  require_same(map, model);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost
