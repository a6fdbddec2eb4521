// Listing: (created_at, id) order, filters, skip/limit pages and the filtered total.
#include <algorithm>

#include "test_support.hpp"

using mockcloud::Page;
using mockcloud::VmStatus;
using mockcloud::VolumeStatus;

namespace {
template <class T>
void check_order(const std::vector<T>& items) {
  for (std::size_t i = 1; i < items.size(); ++i) {
    const auto& a = items[i - 1];
    const auto& b = items[i];
    CAPTURE(i);
    CHECK((a.created_at < b.created_at || (a.created_at == b.created_at && a.id < b.id)));
  }
}
template <class T>
std::vector<std::string> ids(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (auto& x : items)
    out.push_back(x.id);
  return out;
}
}  // namespace

TEST_SUITE("listing") {
  TEST_CASE("order: created_at first, then id (not name, not insertion)") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    // Five at one instant (ordered by id), then two later (created later, so after them).
    std::vector<std::string> same_time;
    for (auto n : {"e", "d", "c", "b", "a"})
      same_time.push_back(vc.vm(n, e.id).id());
    vc.clock.advance(1s);
    auto later1 = vc.vm("zz-later", e.id).id();
    vc.clock.advance(1s);
    auto later2 = vc.vm("aa-latest", e.id).id();

    auto l = vc.cloud.list_vms();
    CHECK(l.total == 7u);
    REQUIRE(l.items.size() == 7u);
    check_order(l.items);
    std::sort(same_time.begin(), same_time.end());
    std::vector<std::string> expected = same_time;
    expected.push_back(later1);
    expected.push_back(later2);
    CHECK(ids(l.items) == expected);
  }

  TEST_CASE("lists between creations merge the newcomers in order (same instant, random ids)") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    std::vector<std::string> all;
    for (int round = 0; round < 40; ++round) {
      // 1, 2, 4, ... 32 newcomers between two lists, all at one instant, plus a later one.
      for (int k = 0; k < (1 << (round % 6)); ++k)
        all.push_back(vc.vm("vm-" + std::to_string(round) + "-" + std::to_string(k), e.id).id());
      auto l = vc.cloud.list_vms({}, Page{0, 1000});
      CAPTURE(round);
      REQUIRE(l.items.size() == all.size());
      check_order(l.items);
      auto want = all;
      std::sort(want.begin(), want.end());
      CHECK(ids(l.items) == want);
      // Pages far down stay consistent with the full list.
      auto deep = vc.cloud.list_vms({}, Page{all.size() / 2, 3});
      for (std::size_t i = 0; i < deep.items.size(); ++i)
        CHECK(deep.items[i].id == want[all.size() / 2 + i]);
    }
  }

  TEST_CASE("skip and limit page through the list; total is the filtered count") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    for (int i = 0; i < 25; ++i) {
      vc.volume("v" + std::to_string(i), e.id);
      if (i % 3 == 0) vc.clock.advance(1ms);
    }
    auto all = vc.cloud.list_volumes({}, {.skip = 0, .limit = 1000});
    REQUIRE(all.items.size() == 25u);
    check_order(all.items);

    std::vector<std::string> paged;
    for (std::size_t skip = 0; skip < 25; skip += 10) {
      auto p = vc.cloud.list_volumes({}, {.skip = skip, .limit = 10});
      CHECK(p.total == 25u);
      CHECK(p.items.size() == std::min<std::size_t>(10, 25 - skip));
      for (auto& v : p.items)
        paged.push_back(v.id);
    }
    CHECK(paged == ids(all.items));

    auto beyond = vc.cloud.list_volumes({}, {.skip = 100, .limit = 10});
    CHECK(beyond.items.empty());
    CHECK(beyond.total == 25u);
    auto one = vc.cloud.list_volumes({}, {.skip = 24, .limit = 1});
    REQUIRE(one.items.size() == 1u);
    CHECK(one.items[0].id == all.items[24].id);
    // Default page: skip 0, limit 100.
    CHECK(vc.cloud.list_volumes().items.size() == 25u);
  }

  TEST_CASE("the default limit is 100") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    for (int i = 0; i < 120; ++i)
      REQUIRE(
          vc.cloud.create_security_group({.name = "g" + std::to_string(i), .environment_id = e.id})
              .has_value());
    auto l = vc.cloud.list_security_groups();
    CHECK(l.items.size() == 100u);
    CHECK(l.total == 120u);
    CHECK(vc.cloud.list_security_groups({}, {.skip = 100, .limit = 100}).items.size() == 20u);
  }

  TEST_CASE("VM filters: environment, status, name; combined") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    vc.vm("web", dev.id);
    vc.vm("db", dev.id);
    vc.vm("web", prod.id);
    vc.clock.run_until_idle();
    vc.vm("cache", dev.id);  // creating
    CHECK(vc.cloud.list_vms().total == 4u);
    CHECK(vc.cloud.list_vms({.environment_id = dev.id}).total == 3u);
    CHECK(vc.cloud.list_vms({.name = "web"}).total == 2u);
    CHECK(vc.cloud.list_vms({.status = VmStatus::running}).total == 3u);
    CHECK(vc.cloud.list_vms({.status = VmStatus::creating}).total == 1u);
    CHECK(vc.cloud.list_vms({.status = VmStatus::error}).total == 0u);
    auto both =
        vc.cloud.list_vms({.environment_id = prod.id, .name = "web", .status = VmStatus::running});
    REQUIRE(both.items.size() == 1u);
    CHECK(both.items[0].environment_id == prod.id);
    CHECK(both.items[0].name == "web");
    CHECK(vc.cloud.list_vms({.environment_id = prod.id, .name = "db"}).total == 0u);
    // The listed status is the current one, and progress is computed at listing time.
    vc.clock.advance(5s);
    auto creating = vc.cloud.list_vms({.status = VmStatus::creating});
    REQUIRE(creating.items.size() == 1u);
    CHECK(creating.items[0].progress == doctest::Approx(50).epsilon(0.03));
    vc.clock.advance(5s);
    CHECK(vc.cloud.list_vms({.status = VmStatus::creating}).total == 0u);
    CHECK(vc.cloud.list_vms({.status = VmStatus::running}).total == 4u);
  }

  TEST_CASE("volume filters: environment, status, name") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    auto vm = vc.running_vm("web", dev.id);
    auto a = vc.available_volume("a", dev.id);
    vc.available_volume("b", dev.id);
    vc.available_volume("a", prod.id);
    REQUIRE(vc.cloud.attach_volume(a.id, vm.id).has_value());
    CHECK(vc.cloud.list_volumes().total == 3u);
    CHECK(vc.cloud.list_volumes({.environment_id = dev.id}).total == 2u);
    CHECK(vc.cloud.list_volumes({.name = "a"}).total == 2u);
    auto in_use = vc.cloud.list_volumes({.status = VolumeStatus::in_use});
    REQUIRE(in_use.items.size() == 1u);
    CHECK(in_use.items[0].id == a.id);
    CHECK(in_use.items[0].vm_id == vm.id);
    CHECK(vc.cloud.list_volumes({.status = VolumeStatus::available}).total == 2u);
    CHECK(
        vc.cloud.list_volumes({.environment_id = prod.id, .status = VolumeStatus::in_use}).total ==
        0u);
  }

  TEST_CASE("deleted resources leave the lists") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto e = vc.env("dev");
    auto vm = vc.running_vm("web", e.id);
    vc.running_vm("web2", e.id);
    REQUIRE(vc.cloud.delete_vm(vm.id).has_value());
    CHECK(vc.cloud.list_vms({.status = VmStatus::deleting}).total == 1u);
    CHECK(vc.cloud.list_vms().total == 2u);
    vc.clock.run_until_idle();
    auto l = vc.cloud.list_vms();
    CHECK(l.total == 1u);
    REQUIRE(l.items.size() == 1u);
    CHECK(l.items[0].name == "web2");
    auto c = vc.cloud.counts();
    CHECK(c.vms == 1u);
    CHECK(c.environments == 1u);
    CHECK(c.tasks == 3u);  // web: create + delete; web2: create
    auto sc = vc.cloud.status_counts();
    CHECK(sc.vms[static_cast<int>(VmStatus::running)] == 1u);
    CHECK(sc.vms[static_cast<int>(VmStatus::deleting)] == 0u);
    CHECK(sc.tasks[static_cast<int>(mockcloud::TaskState::success)] == 3u);
  }

  TEST_CASE("environments and security groups list in (created_at, id) order") {
    mctest::VirtualCloud vc;
    for (auto n : {"m", "k", "z", "a"})
      vc.env(n);
    vc.clock.advance(1s);
    auto last = vc.env("b");
    auto l = vc.cloud.list_environments();
    REQUIRE(l.items.size() == 5u);
    check_order(l.items);
    CHECK(l.items.back().id == last.id);
    for (auto n : {"x", "y", "w"})
      REQUIRE(vc.cloud.create_security_group({.name = n, .environment_id = last.id}).has_value());
    check_order(vc.cloud.list_security_groups().items);
  }
}
