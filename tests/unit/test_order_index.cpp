// The creation order of a table (src/order_index.hpp) against a reference model: a main run, a
// tail run merged on the fly, block skipping for status filters and compaction must together
// list exactly the live entries in (created_at, id) order, at any skip, with any filter.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <vector>

#include "mockcloud/random.hpp"
#include "order_index.hpp"

using mockcloud::Rng;
using mockcloud::TimePoint;
using mockcloud::Uuid;
using mockcloud::detail::OrderEntry;
using mockcloud::detail::OrderIndex;
using mockcloud::detail::Slot;

namespace {

struct Model {
  std::map<Slot, OrderEntry> live;  // by slot

  std::vector<Slot> list(std::optional<std::uint8_t> status, std::optional<Slot> env) const {
    std::vector<OrderEntry> v;
    for (const auto& [slot, e] : live)
      if ((!status || e.status == *status) && (!env || e.env == *env)) v.push_back(e);
    std::stable_sort(v.begin(), v.end());
    std::vector<Slot> out;
    for (const auto& e : v)
      out.push_back(e.slot);
    return out;
  }
};

std::vector<Slot> walk(const OrderIndex& o, std::size_t skip, std::size_t limit,
                       std::optional<std::uint8_t> status, std::optional<Slot> env) {
  std::vector<Slot> out;
  if (limit == 0) return out;
  o.normalize();
  o.walk(
      skip, env ? std::nullopt : status,
      [&](const OrderEntry& e) {
        return (!status || e.status == *status) && (!env || e.env == *env);
      },
      [&](const OrderEntry& e) {
        out.push_back(e.slot);
        return out.size() < limit;
      });
  return out;
}

}  // namespace

TEST_SUITE("order index") {
  TEST_CASE("lists like a sorted model through bursts, deletions and status changes") {
    for (std::uint64_t seed : {1u, 2u, 7u}) {
      CAPTURE(seed);
      Rng rng(seed);
      OrderIndex order;
      Model model;
      Slot next_slot = 0;
      std::int64_t now_s = 0;
      std::vector<Slot> free;
      for (int step = 0; step < 400; ++step) {
        // A burst of creations, mostly at one instant (random ids), sometimes later.
        const auto burst = 1 + rng.below(step % 40 == 0 ? 3'000 : 30);
        if (rng.below(4) == 0) ++now_s;
        for (std::uint64_t k = 0; k < burst; ++k) {
          Slot slot;
          if (!free.empty() && rng.below(2) == 0) {
            slot = free.back();
            free.pop_back();
          } else {
            slot = next_slot++;
          }
          OrderEntry e{TimePoint{std::chrono::seconds(now_s)}, Uuid::from_rng(rng), slot,
                       static_cast<Slot>(rng.below(3)), static_cast<std::uint8_t>(rng.below(4))};
          order.add(e);
          e.live = true;
          model.live[slot] = e;
        }
        // Some deletions and status changes.
        for (int k = 0; k < 10 && !model.live.empty(); ++k) {
          auto it = model.live.begin();
          std::advance(it, static_cast<long>(rng.below(model.live.size())));
          if (rng.below(3) == 0) {
            order.remove(it->first);
            free.push_back(it->first);
            model.live.erase(it);
          } else {
            const auto status = static_cast<std::uint8_t>(rng.below(4));
            order.set_status(it->first, status);
            it->second.status = status;
          }
        }
        REQUIRE(order.size() == model.live.size());
        // A page with a random filter at a random depth, like a list call.
        std::optional<std::uint8_t> status;
        std::optional<Slot> env;
        if (rng.below(2)) status = static_cast<std::uint8_t>(rng.below(4));
        if (rng.below(3) == 0) env = static_cast<Slot>(rng.below(3));
        const auto want_all = model.list(status, env);
        const std::size_t skip = want_all.empty() ? 0 : rng.below(want_all.size() + 5);
        const std::size_t limit = 1 + rng.below(120);
        const auto got = walk(order, skip, limit, status, env);
        std::vector<Slot> want;
        for (std::size_t k = skip; k < want_all.size() && want.size() < limit; ++k)
          want.push_back(want_all[k]);
        CAPTURE(step);
        CAPTURE(skip);
        REQUIRE(got == want);
      }
      // And the whole list at the end.
      CHECK(walk(order, 0, SIZE_MAX, std::nullopt, std::nullopt) ==
            model.list(std::nullopt, std::nullopt));
      CHECK(next_slot > 8'000);
    }
  }
}
