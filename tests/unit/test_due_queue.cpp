// The manager's queue of pending completions (src/due_queue.hpp), against a reference ordered
// set: the radix buckets, the slot order of ties and the side heap for entries due before the
// front must together give exactly (due time, slot) order.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <set>

#include "due_queue.hpp"
#include "mockcloud/random.hpp"

using mockcloud::Duration;
using mockcloud::TimePoint;
using mockcloud::detail::Due;
using mockcloud::detail::DueQueue;
using mockcloud::detail::Slot;

namespace {

TimePoint at_ms(std::int64_t ms) {
  return TimePoint{std::chrono::duration_cast<Duration>(std::chrono::milliseconds(ms))};
}

}  // namespace

TEST_SUITE("due queue") {
  TEST_CASE("takes entries in (due time, slot) order, like a sorted set") {
    for (std::uint64_t seed : {1u, 2u, 3u, 42u}) {
      CAPTURE(seed);
      mockcloud::Rng rng(seed);
      DueQueue q;
      std::multiset<Due> ref;
      Slot next = 0;
      std::int64_t now = 1'000'000;
      std::size_t popped = 0;
      std::size_t early = 0;  // pushes due before the last entry taken: behind the front
      TimePoint last_taken{};
      std::int64_t taken_ms = now;
      for (int step = 0; step < 200'000; ++step) {
        const auto r = rng.below(100);
        if (r < 55) {
          // Mostly ahead of now; some due exactly now; some behind the front (a stale head
          // taken far ahead); a few with a slot below earlier ones at the same time.
          std::int64_t eta = now + static_cast<std::int64_t>(rng.below(60'000));
          if (r < 5) eta = now;
          if (r >= 5 && r < 8) eta = taken_ms - static_cast<std::int64_t>(rng.below(1'000));
          const Slot slot = r == 9 ? static_cast<Slot>(rng.below(next + 1)) : next++;
          if (popped > 0 && at_ms(eta) < last_taken) ++early;
          q.push({at_ms(eta), slot});
          ref.insert({at_ms(eta), slot});
        } else if (!ref.empty()) {
          REQUIRE_FALSE(q.empty());
          const Due want = *ref.begin();
          const Due got = q.top();
          REQUIRE(got.eta == want.eta);
          REQUIRE(got.task == want.task);
          q.pop();
          ref.erase(ref.begin());
          ++popped;
          last_taken = want.eta;
          taken_ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(want.eta.time_since_epoch())
                  .count();
          // Time moves to the entry taken, as under a clock; now and then far past it.
          now = std::max(now, taken_ms);
          if (r == 99) now += 90'000;
        }
        REQUIRE(q.size() == ref.size());
        REQUIRE(q.empty() == ref.empty());
      }
      while (!ref.empty()) {
        REQUIRE(q.top().eta == ref.begin()->eta);
        REQUIRE(q.top().task == ref.begin()->task);
        q.pop();
        ref.erase(ref.begin());
      }
      CHECK(q.empty());
      CHECK(popped > 50'000);
      CHECK(early > 1'000);
    }
  }

  TEST_CASE("an entry due before the front still comes first") {
    DueQueue q;
    q.push({at_ms(100), 1});
    q.push({at_ms(200), 2});
    CHECK(q.top().task == 1);  // the front is now at 100
    q.pop();
    CHECK(q.top().task == 2);  // ... and at 200
    q.push({at_ms(150), 3});   // behind the front
    q.push({at_ms(200), 0});   // at the front, smaller slot
    CHECK(q.size() == 3);
    CHECK(q.top().task == 3);
    q.pop();
    CHECK(q.top().task == 0);
    q.pop();
    CHECK(q.top().task == 2);
    q.pop();
    CHECK(q.empty());
  }

  TEST_CASE("clear empties it and forgets the front") {
    DueQueue q;
    q.push({at_ms(500), 7});
    CHECK(q.top().task == 7);
    q.clear();
    CHECK(q.empty());
    q.push({at_ms(10), 8});  // before the old front: no longer "early"
    CHECK(q.top().task == 8);
    q.pop();
    CHECK(q.empty());
  }
}
