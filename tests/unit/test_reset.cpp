// reset(): everything gone, timers cancelled, settings back, clock rewound, same seed -> same
// outcomes again; a new seed when given.
#include <atomic>
#include <future>
#include <memory>
#include <thread>

#include "test_support.hpp"

using mockcloud::ErrorKind;
using mockcloud::ServerSupport;
using mockcloud::VmStatus;

namespace {
struct Outcome {
  std::string env_id, vm_id, vol_id, task_id;
  mockcloud::TimePoint created_at, eta;
  VmStatus status;
  std::optional<mockcloud::Ipv4Address> ip;
  bool operator==(const Outcome&) const = default;
};

Outcome script(mctest::VirtualCloud& vc) {
  vc.clock.advance(3s);
  auto e = vc.env("dev");
  auto op = vc.vm("web", e.id);
  auto vol = vc.volume("data", e.id);
  auto eta = vc.cloud.get_task(op.task_id())->eta;
  vc.clock.run_until_idle();
  auto vm = op.get();
  return {e.id, vm.id, vol.id(), op.task_id(), vm.created_at, eta, vm.status, vm.ip_address};
}
/// Returns once the system clock has fired what was due within `d` from now: it fires in due
/// order, so a marker due then runs after every such action (that was not cancelled).
void pass_due_times(mockcloud::SystemClock& clock, mockcloud::Duration d) {
  auto passed = std::make_shared<std::promise<void>>();  // the action may outlive this call
  auto future = passed->get_future();
  clock.schedule_at(clock.now() + d, [passed] { passed->set_value(); });
  future.wait();
}
}  // namespace

TEST_SUITE("reset") {
  TEST_CASE("everything is gone and the clock is rewound") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    REQUIRE(vc.cloud.create_security_group({.name = "g", .environment_id = e.id}).has_value());
    auto running = vc.running_vm("web", e.id);
    auto pending = vc.vm("slow", e.id);
    vc.volume("data", e.id);
    REQUIRE(vc.cloud.add_fault({.latency_ms = 10}).has_value());
    vc.clock.advance(1s);
    CHECK(vc.clock.pending() > 0u);

    vc.cloud.reset();
    auto c = vc.cloud.counts();
    CHECK(c.environments == 0u);
    CHECK(c.security_groups == 0u);
    CHECK(c.vms == 0u);
    CHECK(c.volumes == 0u);
    CHECK(c.tasks == 0u);
    CHECK(vc.cloud.list_vms().total == 0u);
    CHECK(vc.cloud.list_tasks().total == 0u);
    CHECK(vc.cloud.faults().empty());
    CHECK(ServerSupport(vc.cloud).injected_latency() == std::chrono::milliseconds(0));
    CHECK(vc.cloud.get_environment(e.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.get_vm(running.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.get_task(pending.task_id()).error().kind == ErrorKind::not_found);
    CHECK(vc.clock.now() == vc.clock.start());
    CHECK(vc.clock.pending() == 0u);
    CHECK(vc.clock.run_until_idle() == 0u);
    auto sc = vc.cloud.status_counts();
    for (auto n : sc.vms)
      CHECK(n == 0u);
    for (auto n : sc.tasks)
      CHECK(n == 0u);

    // Names are free again and the manager works as new.
    auto e2 = vc.env("dev");
    auto vm2 = vc.running_vm("web", e2.id);
    CHECK(vm2.status == VmStatus::running);
  }

  TEST_CASE("settings go back to those given at construction") {
    auto initial = mctest::fixed_settings(0.25, 7, 3);
    mctest::VirtualCloud vc{initial};
    REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 0.9}, {"time_scale", 0.5}}})
                .has_value());
    CHECK(vc.cloud.settings() != initial);
    vc.cloud.reset();
    CHECK(vc.cloud.settings() == initial);
  }

  TEST_CASE("the same seed gives the same IDs, IPs, timings and timestamps again") {
    mctest::VirtualCloud vc{mockcloud::Settings{}, 42};
    auto first = script(vc);
    vc.cloud.reset();
    CHECK(vc.cloud.seed() == 42u);
    auto second = script(vc);
    CHECK(second == first);
    vc.cloud.reset(42);
    CHECK(script(vc) == first);

    // And the same as a fresh manager with that seed.
    mctest::VirtualCloud fresh{mockcloud::Settings{}, 42};
    CHECK(script(fresh) == first);
  }

  TEST_CASE("a reset with a seed replaces it") {
    mctest::VirtualCloud vc{mockcloud::Settings{}, 42};
    auto first = script(vc);
    vc.cloud.reset(7);
    CHECK(vc.cloud.seed() == 7u);
    auto other = script(vc);
    CHECK(other.env_id != first.env_id);
    CHECK(other.vm_id != first.vm_id);
    mctest::VirtualCloud seven{mockcloud::Settings{}, 7};
    CHECK(script(seven) == other);
  }

  TEST_CASE("operations from before a reset do not hang and do not fire") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    int called = 0;
    op.on_settled([&](const mockcloud::Task&) { ++called; });
    vc.cloud.reset();
    CHECK(mctest::thrown_kind([&] { op.wait(); }) == ErrorKind::cancelled);
    CHECK(mctest::thrown_kind([&] { op.get(); }) == ErrorKind::cancelled);
    // A new VM takes the old one's task slot: the old callback must not fire on its completion.
    auto e2 = vc.env("dev");
    auto op2 = vc.vm("web", e2.id);
    vc.clock.advance(1h);
    CHECK(op2.get().status == VmStatus::running);
    CHECK(mctest::thrown_kind([&] { op.wait(); }) == ErrorKind::cancelled);
    CHECK(called == 0);
  }

  TEST_CASE("an operation outlives its manager; waiting then throws") {
    std::optional<mockcloud::Operation<mockcloud::Vm>> op;
    mockcloud::VirtualClock clock;
    {
      mockcloud::ResourceManager m{{.seed = 1, .settings = mctest::fixed_settings()}, clock};
      auto e = m.create_environment({.name = "dev"}).value();
      op.emplace(m.create_vm({.name = "web", .environment_id = e.id}).value());
    }
    CHECK(clock.pending() == 0u);
    CHECK(mctest::thrown_kind([&] { op->wait(); }) == ErrorKind::cancelled);
    CHECK(mctest::thrown_kind([&] { op->get(); }) == ErrorKind::cancelled);
    clock.advance(1h);
    CHECK(op->resource().name == "web");
  }
  TEST_CASE("system clock: reset cancels the timers; nothing fires afterwards") {
    mockcloud::SystemClock clock;
    mockcloud::ResourceManager cloud{
        {.seed = 3, .settings = mctest::fixed_settings(0.0, 0.3, 0.01)}, clock};
    auto e = cloud.create_environment({.name = "dev"}).value();
    std::atomic<int> fired{0};
    for (int i = 0; i < 20; ++i) {
      auto op = cloud.create_vm({.name = "v" + std::to_string(i), .environment_id = e.id}).value();
      op.on_settled([&](const mockcloud::Task& t) {
        if (t.state == mockcloud::TaskState::success) ++fired;
      });
    }
    cloud.reset();
    CHECK(clock.pending() == 0u);
    pass_due_times(clock, 400ms);  // every VM was due within 300 ms
    CHECK(fired.load() == 0);
    CHECK(cloud.counts().vms == 0u);
    CHECK(cloud.counts().tasks == 0u);
    // Still works after the reset.
    auto e2 = cloud.create_environment({.name = "dev"}).value();
    auto op = cloud.create_vm({.name = "v0", .environment_id = e2.id}).value();
    auto t = op.wait_for(std::chrono::milliseconds(2000));
    REQUIRE(t.has_value());
    CHECK(t->state == mockcloud::TaskState::success);
  }

  TEST_CASE("system clock: destroying a manager with operations in flight is clean") {
    mockcloud::SystemClock clock;
    std::atomic<int> settled{0};
    std::atomic<bool> in_callback{false};
    for (int round = 0; round < 5; ++round) {
      {
        mockcloud::ResourceManager cloud{{.seed = 3,
                                          .settings = mctest::fixed_settings(0.0, 0.002, 0.001),
                                          .on_task_settled =
                                              [&](const mockcloud::Task&) {
                                                in_callback = true;
                                                ++settled;
                                                in_callback = false;
                                              }},
                                         clock};
        auto e = cloud.create_environment({.name = "dev"}).value();
        for (int i = 0; i < 30; ++i)
          (void)cloud.create_vm({.name = "v" + std::to_string(i), .environment_id = e.id});
        // Let some of them settle, in some rounds (the rest stay in flight).
        if (round > 0) pass_due_times(clock, std::chrono::milliseconds(round));
      }
      // The destructor cancelled the timers and waited for a running completion.
      CHECK(clock.pending() == 0u);
      CHECK_FALSE(in_callback.load());
      const int settled_before = settled.load();
      pass_due_times(clock, 50ms);  // every VM was due within 2 ms of its creation
      CHECK(settled.load() == settled_before);
    }
  }
}
