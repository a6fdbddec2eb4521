// Operation handles: wait/get/wait_for/on_settled/future under the virtual clock (never blocking)
// and under the system clock (blocking, with time_scale making simulated minutes milliseconds).
#include <atomic>
#include <thread>

#include "test_support.hpp"

using mockcloud::ErrorKind;
using mockcloud::TaskState;
using mockcloud::VmStatus;
using steady = std::chrono::steady_clock;

TEST_SUITE("operation") {
  TEST_CASE("virtual clock: wait and get throw not_settled before the due time") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 30, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    CHECK_FALSE(op.ready());
    try {
      (void)op.wait();
      FAIL("wait() must throw before the due time");
    } catch (const mockcloud::Exception& ex) {
      CHECK(ex.kind() == ErrorKind::not_settled);
      CHECK(ex.error().code() == mockcloud::make_error_code(ErrorKind::not_settled));
      CHECK_FALSE(std::string(ex.what()).empty());
    }
    try {
      (void)op.get();
      FAIL("get() must throw before the due time");
    } catch (const mockcloud::Exception& ex) {
      CHECK(ex.kind() == ErrorKind::not_settled);
    }
    // wait_for returns at once under a virtual clock, whatever the timeout.
    const auto t0 = steady::now();
    CHECK_FALSE(op.wait_for(std::chrono::milliseconds(3000)).has_value());
    CHECK(steady::now() - t0 < 1s);

    vc.clock.advance(29s);
    CHECK_FALSE(op.ready());
    CHECK_THROWS_AS(op.wait(), mockcloud::Exception);
    vc.clock.advance(1s);
    CHECK(op.ready());
    auto t = op.wait();
    CHECK(t.id == op.task_id());
    CHECK(t.state == TaskState::success);
    CHECK(t.finished_at.has_value());
    auto w = op.wait_for(std::chrono::milliseconds(0));
    REQUIRE(w.has_value());
    CHECK(w->state == TaskState::success);
    auto vm = op.get();
    CHECK(vm.status == VmStatus::running);
    CHECK(vm.ip_address.has_value());
    // resource() is the snapshot at acceptance; it does not change.
    CHECK(op.resource().status == VmStatus::creating);
  }

  TEST_CASE("get returns the resource as it is now") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    auto vol = vc.volume("data", e.id);
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.attach_volume(vol.id(), op.id()).has_value());
    CHECK(op.get().volume_ids == std::vector<std::string>{vol.id()});
    CHECK(vol.get().status == mockcloud::VolumeStatus::in_use);
    REQUIRE(vc.cloud.delete_vm(op.id()).has_value());
    CHECK(op.get().status == VmStatus::deleting);
  }

  TEST_CASE("on_settled: once, on the settling thread, at once when already settled") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    int calls = 0;
    mockcloud::TimePoint seen_now{};
    std::optional<mockcloud::Task> seen;
    std::thread::id thread;
    op.on_settled([&](const mockcloud::Task& t) {
      ++calls;
      seen = t;
      seen_now = vc.clock.now();
      thread = std::this_thread::get_id();
    });
    int second = 0;
    op.on_settled([&](const mockcloud::Task&) { ++second; });
    vc.clock.advance(9s);
    CHECK(calls == 0);
    vc.clock.advance(5s);
    CHECK(calls == 1);
    CHECK(second == 1);
    REQUIRE(seen.has_value());
    CHECK(seen->state == TaskState::success);
    CHECK(seen->id == op.task_id());
    CHECK(seen_now == op.resource().created_at + 10s);
    CHECK(thread == std::this_thread::get_id());
    vc.clock.run_until_idle();
    CHECK(calls == 1);

    int late = 0;
    op.on_settled([&](const mockcloud::Task& t) {
      ++late;
      CHECK(t.state == TaskState::success);
    });
    CHECK(late == 1);
  }

  TEST_CASE("on_settled may call back into the manager") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    std::optional<VmStatus> status;
    std::optional<mockcloud::Operation<mockcloud::Vm>> chained;
    op.on_settled([&](const mockcloud::Task& t) {
      status = vc.cloud.get_vm(t.resource_id)->status;
      auto r = vc.cloud.create_vm({.name = "next", .environment_id = e.id});
      if (r) chained.emplace(std::move(r).value());
    });
    vc.clock.advance(10s);
    CHECK(status == VmStatus::running);
    REQUIRE(chained.has_value());
    vc.clock.advance(10s);
    CHECK(chained->get().status == VmStatus::running);
  }

  TEST_CASE("future: ready after the clock reaches the due time") {
    mctest::VirtualCloud vc{mctest::fixed_settings(1.0, 10, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    auto fut = op.future();
    CHECK(fut.wait_for(std::chrono::seconds(0)) == std::future_status::timeout);
    vc.clock.advance(10s);
    REQUIRE(fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    auto t = fut.get();
    CHECK(t.state == TaskState::failure);
    auto fut2 = op.future();
    REQUIRE(fut2.wait_for(std::chrono::seconds(0)) == std::future_status::ready);
    CHECK(fut2.get().id == op.task_id());
  }

  TEST_CASE("get after a completed delete throws not_found") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    vc.clock.run_until_idle();
    auto del = vc.cloud.delete_vm(op.id()).value();
    CHECK_THROWS_AS(del.wait(), mockcloud::Exception);
    vc.clock.run_until_idle();
    CHECK(del.wait().state == TaskState::success);
    CHECK(del.wait().kind == mockcloud::TaskKind::vm_delete);
    for (const mockcloud::Operation<mockcloud::Vm>* o : {&op, &del}) {
      try {
        (void)o->get();
        FAIL("get() must throw once the VM is gone");
      } catch (const mockcloud::Exception& ex) {
        CHECK(ex.kind() == ErrorKind::not_found);
      }
    }
  }

  TEST_CASE("system clock: wait blocks until settled; time_scale turns 30-60 s into ms") {
    mockcloud::SystemClock clock;
    mockcloud::Settings s;  // 30..60 s creations, 5..10 s deletions
    s.worker_failure_rate = 0;
    s.time_scale = 0.001;
    mockcloud::ResourceManager cloud{{.seed = 42, .settings = s}, clock};
    auto e = cloud.create_environment({.name = "dev"}).value();
    const auto start = steady::now();
    auto op = cloud.create_vm({.name = "web", .environment_id = e.id}).value();
    auto task = cloud.get_task(op.task_id()).value();
    CHECK(task.eta - task.created_at >= 30ms);
    CHECK(task.eta - task.created_at <= 60ms);
    std::atomic<int> callbacks{0};
    std::atomic<bool> other_thread{false};
    const auto me = std::this_thread::get_id();
    op.on_settled([&](const mockcloud::Task&) {
      other_thread = std::this_thread::get_id() != me;
      callbacks.fetch_add(1);
    });
    auto fut = op.future();
    auto t = op.wait();
    const auto elapsed = steady::now() - start;
    CHECK(t.state == TaskState::success);
    CHECK(elapsed >= 29ms);
    CHECK(elapsed < 1s);
    CHECK(op.get().status == VmStatus::running);
    REQUIRE(fut.wait_for(1s) == std::future_status::ready);
    CHECK(fut.get().state == TaskState::success);
    CHECK(callbacks.load() == 1);
    CHECK(other_thread.load());

    auto del = cloud.delete_vm(op.id()).value();
    auto w = del.wait_for(std::chrono::milliseconds(2000));
    REQUIRE(w.has_value());
    CHECK(w->state == TaskState::success);
    CHECK(cloud.get_vm(op.id()).error().kind == ErrorKind::not_found);
    CHECK(steady::now() - start < 2s);
  }

  TEST_CASE("system clock: wait_for times out on an operation that is not due yet") {
    mockcloud::SystemClock clock;
    mockcloud::ResourceManager cloud{{.seed = 1, .settings = mctest::fixed_settings(0.0, 30, 5)},
                                     clock};
    auto e = cloud.create_environment({.name = "dev"}).value();
    auto op = cloud.create_vm({.name = "web", .environment_id = e.id}).value();
    const auto t0 = steady::now();
    CHECK_FALSE(op.wait_for(std::chrono::milliseconds(50)).has_value());
    const auto waited = steady::now() - t0;
    CHECK(waited >= 45ms);
    CHECK(waited < 2s);
    CHECK_FALSE(op.ready());
  }  // destroying the manager cancels the 30 s operation; nothing waits for it

  TEST_CASE("system clock: a waiting thread is released when the manager goes away") {
    // Heap state, so that a thread that is never released can be detached instead of hanging the
    // suite (the clock is then leaked on purpose).
    auto* clock = new mockcloud::SystemClock;
    auto cloud = std::make_unique<mockcloud::ResourceManager>(
        mockcloud::ManagerOptions{.seed = 1, .settings = mctest::fixed_settings(0.0, 3600, 5)},
        *clock);
    auto e = cloud->create_environment({.name = "dev"}).value();
    struct Shared {
      explicit Shared(mockcloud::Operation<mockcloud::Vm> o) : op(std::move(o)) {}
      mockcloud::Operation<mockcloud::Vm> op;
      std::atomic<int> outcome{0};  // 1: threw cancelled, 2: returned, 3: threw another kind
    };
    auto shared =
        std::make_shared<Shared>(cloud->create_vm({.name = "web", .environment_id = e.id}).value());
    std::thread waiter([shared] {
      try {
        (void)shared->op.wait();
        shared->outcome = 2;
      } catch (const mockcloud::Exception& e) {
        shared->outcome = e.kind() == ErrorKind::cancelled ? 1 : 3;
      }
    });
    std::this_thread::sleep_for(30ms);
    const auto t0 = steady::now();
    cloud.reset();
    while (shared->outcome.load() == 0 && steady::now() - t0 < 3s)
      std::this_thread::sleep_for(1ms);
    if (shared->outcome.load() == 0) {
      waiter.detach();
      FAIL_CHECK("Operation::wait() still blocked 3 s after its manager was destroyed");
      return;
    }
    waiter.join();
    CHECK(shared->outcome.load() == 1);
    delete clock;
  }
}

TEST_CASE("on_task_settled hears every settlement: success, failure and revocation") {
  mockcloud::VirtualClock clock;
  std::vector<mockcloud::Task> heard;
  mockcloud::ManagerOptions options;
  options.seed = 42;
  options.on_task_settled = [&](const mockcloud::Task& t) { heard.push_back(t); };
  mockcloud::ResourceManager cloud(std::move(options), clock);
  auto env = cloud.create_environment({.name = "dev"}).value();
  cloud.add_fault({.operation = mockcloud::TaskKind::vm_create, .fail_next = 1}).value();
  auto failed = cloud.create_vm({.name = "a", .environment_id = env.id}).value();
  auto revoked = cloud.create_vm({.name = "b", .environment_id = env.id}).value();
  CHECK(heard.empty());
  cloud.delete_vm(revoked.id()).value();
  REQUIRE(heard.size() == 1);
  CHECK(heard[0].id == revoked.task_id());
  CHECK(heard[0].state == mockcloud::TaskState::revoked);
  clock.advance(std::chrono::seconds(60));
  REQUIRE(heard.size() == 3);  // in due order: the deletion of b (5-10 s), then a (30-60 s)
  CHECK(heard[1].kind == mockcloud::TaskKind::vm_delete);
  CHECK(heard[1].state == mockcloud::TaskState::success);
  CHECK(heard[2].id == failed.task_id());
  CHECK(heard[2].state == mockcloud::TaskState::failure);
}
