// SlotStore (src/core.hpp): records in chunks of 64, 64, 128, 256, ... that never move.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core.hpp"

using mockcloud::detail::Slot;
using mockcloud::detail::SlotStore;

namespace {

struct Rec {
  std::uint64_t key = 0;
  std::string name;
};

}  // namespace

TEST_SUITE("slot store") {
  TEST_CASE("every slot keeps its record and its address while the store grows") {
    SlotStore<Rec> store;
    std::vector<const Rec*> where;
    const std::size_t n = 300'000;  // chunks up to 2^18 records
    for (std::size_t i = 0; i < n; ++i) {
      const Slot s = store.push_back({i * 7919, "r" + std::to_string(i)});
      REQUIRE(s == i);
      where.push_back(&store[s]);
    }
    CHECK(store.size() == n);
    std::size_t wrong = 0, moved = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Rec& r = store[static_cast<Slot>(i)];
      wrong += r.key != i * 7919 || r.name != "r" + std::to_string(i);
      moved += &r != where[i];
    }
    CHECK(wrong == 0);
    CHECK(moved == 0);
    // The chunk boundaries: the last of one chunk and the first of the next are neighbours in
    // slot order but not in memory.
    for (Slot s : {63u, 127u, 255u, 65'535u, 131'071u}) {
      CAPTURE(s);
      CHECK(store[s].key == s * 7919ull);
      CHECK(store[s + 1].key == (s + 1) * 7919ull);
    }
    store.clear();
    CHECK(store.size() == 0);
    CHECK(store.push_back({1, "again"}) == 0);
    CHECK(store[0].name == "again");
  }
}
