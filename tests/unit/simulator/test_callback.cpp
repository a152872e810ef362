#include <boost/test/unit_test.hpp>

#include <array>
#include <functional>
#include <memory>
#include <utility>

#include "simulator/engine/callback.h"

using outpost::sim::Callback;

BOOST_AUTO_TEST_SUITE(callback)

BOOST_AUTO_TEST_CASE(runs_what_it_was_given_and_moves) {
  int calls = 0;
  Callback a([&calls] { ++calls; });
  Callback b(std::move(a));
  BOOST_TEST(!static_cast<bool>(a));
  BOOST_TEST(static_cast<bool>(b));
  b();
  b();
  BOOST_TEST(calls == 2);
}

BOOST_AUTO_TEST_CASE(owns_captures_inline_and_on_the_heap) {
  auto small = std::make_shared<int>(1);
  auto large = std::make_shared<int>(2);
  std::weak_ptr<int> watch_small = small, watch_large = large;
  {
    Callback inline_owner([p = std::move(small)] { ++*p; });
    std::array<char, 200> padding{};
    Callback heap_owner([p = std::move(large), padding] { *p += padding[0]; });
    Callback moved = std::move(heap_owner);
    Callback assigned;
    assigned = std::move(inline_owner);
    assigned();
    moved();
    BOOST_TEST(!watch_small.expired());
    BOOST_TEST(!watch_large.expired());
  }
  BOOST_TEST(watch_small.expired());  // destroyed exactly when their last owner went
  BOOST_TEST(watch_large.expired());
}

BOOST_AUTO_TEST_CASE(accepts_move_only_callables_and_std_function) {
  int total = 0;
  auto owned = std::make_unique<int>(3);
  Callback a([&total, owned = std::move(owned)] { total += *owned; });
  std::function<void()> f = [&total] { total += 4; };
  Callback b(std::move(f));
  a();
  b();
  BOOST_TEST(total == 7);
}

BOOST_AUTO_TEST_CASE(reset_destroys_now) {
  auto token = std::make_shared<int>(0);
  std::weak_ptr<int> watch = token;
  Callback c([token = std::move(token)] {});
  c.reset();
  BOOST_TEST(watch.expired());
  BOOST_TEST(!static_cast<bool>(c));
}

BOOST_AUTO_TEST_SUITE_END()
