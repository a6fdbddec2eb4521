// Injected faults: fail_next in request order, route faults drawn from the seed, latency, and
// the validation of fault specs.
#include "test_support.hpp"

using mockcloud::ErrorKind;
using mockcloud::FaultSpec;
using mockcloud::ServerSupport;
using mockcloud::TaskState;
using mockcloud::VmStatus;
using mockcloud::VolumeStatus;

namespace {
FaultSpec fail_next(mockcloud::TaskKind op, std::int64_t n) {
  FaultSpec f;
  f.operation = op;
  f.fail_next = n;
  return f;
}
FaultSpec route(std::string r, std::int64_t status, std::optional<double> rate = std::nullopt) {
  FaultSpec f;
  f.route = std::move(r);
  f.status = status;
  f.rate = rate;
  return f;
}
FaultSpec latency(std::int64_t ms) {
  FaultSpec f;
  f.latency_ms = ms;
  return f;
}
}  // namespace

TEST_SUITE("faults") {
  TEST_CASE("fail_next N: the next N creations fail, then creations succeed again") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    auto before = vc.vm("before", e.id);  // requested before the fault: unaffected
    auto f = vc.cloud.add_fault(fail_next(mockcloud::TaskKind::vm_create, 2));
    REQUIRE_MESSAGE(f.has_value(), mctest::describe(f.error()));
    CHECK(f->operation == mockcloud::TaskKind::vm_create);
    CHECK(f->fail_next == 2);
    CHECK_FALSE(f->id.empty());
    CHECK(f->created_at == vc.clock.now());

    auto a = vc.vm("a", e.id);
    auto b = vc.vm("b", e.id);
    auto c = vc.vm("c", e.id);
    vc.clock.run_until_idle();
    CHECK(before.get().status == VmStatus::running);
    auto va = a.get(), vb = b.get(), vcc = c.get();
    CHECK(va.status == VmStatus::error);
    CHECK(vb.status == VmStatus::error);
    CHECK(vcc.status == VmStatus::running);
    REQUIRE(va.error.has_value());
    CHECK_FALSE(va.error->empty());
    CHECK_FALSE(va.ip_address.has_value());
    CHECK(a.wait().state == TaskState::failure);
    CHECK(c.wait().state == TaskState::success);
    for (auto& left : vc.cloud.faults())
      CHECK(left.fail_next.value_or(0) == 0);

    auto d = vc.vm("d", e.id);
    vc.clock.run_until_idle();
    CHECK(d.get().status == VmStatus::running);
  }

  TEST_CASE("fail_next counts requests, not completions") {
    // a is requested first but completes last; a and b fail, c does not.
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 50, 2)};
    auto e = vc.env("dev");
    REQUIRE(vc.cloud.add_fault(fail_next(mockcloud::TaskKind::vm_create, 2)).has_value());
    auto a = vc.vm("a", e.id);  // due 50
    REQUIRE(vc.cloud.update_settings({{{"vm_creation_time_min", 10}, {"vm_creation_time_max", 10}}})
                .has_value());
    auto b = vc.vm("b", e.id);  // due 10
    auto c = vc.vm("c", e.id);  // due 10
    vc.clock.advance(10s);
    CHECK(b.get().status == VmStatus::error);
    CHECK(c.get().status == VmStatus::running);
    vc.clock.advance(40s);
    CHECK(a.get().status == VmStatus::error);
  }

  TEST_CASE("fail_next applies to its own operation kind only") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    REQUIRE(vc.cloud.add_fault(fail_next(mockcloud::TaskKind::volume_create, 1)).has_value());
    auto vm = vc.vm("web", e.id);
    auto v1 = vc.volume("d1", e.id);
    auto v2 = vc.volume("d2", e.id);
    vc.clock.run_until_idle();
    CHECK(vm.get().status == VmStatus::running);
    CHECK(v1.get().status == VolumeStatus::error);
    CHECK(v2.get().status == VolumeStatus::available);
  }

  TEST_CASE("fail_next on vm.delete: the deletion task fails") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    auto vm = vc.running_vm("web", e.id);
    REQUIRE(vc.cloud.add_fault(fail_next(mockcloud::TaskKind::vm_delete, 1)).has_value());
    auto del = vc.cloud.delete_vm(vm.id).value();
    vc.clock.run_until_idle();
    auto t = del.wait();
    CHECK(t.state == TaskState::failure);
    CHECK(t.error.has_value());
  }

  TEST_CASE("fault specs are validated") {
    mctest::VirtualCloud vc;
    auto invalid = [&](const FaultSpec& f) {
      auto r = vc.cloud.add_fault(f);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      CHECK_FALSE(r.error().fields.empty());
      for (auto& fe : r.error().fields)
        CHECK_FALSE(fe.msg.empty());
      return r.error();
    };
    invalid(FaultSpec{});
    // An unknown operation is a wire error now (tests/http: fault operation).
    auto e2 = invalid(fail_next(mockcloud::TaskKind::vm_create, 0));
    CHECK(mctest::find_field(e2, mctest::loc("fail_next")) != nullptr);
    invalid(fail_next(mockcloud::TaskKind::vm_create, -3));
    auto e3 = invalid(route("POST /api/v1/vms", 503, 1.5));
    CHECK(mctest::find_field(e3, mctest::loc("rate")) != nullptr);
    invalid(route("POST /api/v1/vms", 503, -0.1));
    auto e4 = invalid(route("POST /api/v1/vms", 42));
    CHECK(mctest::find_field(e4, mctest::loc("status")) != nullptr);
    invalid(route("POST /api/v1/vms", 1000));
    FaultSpec no_status;
    no_status.route = "POST /api/v1/vms";
    invalid(no_status);
    auto e5 = invalid(latency(-1));
    CHECK(mctest::find_field(e5, mctest::loc("latency_ms")) != nullptr);
    CHECK(vc.cloud.faults().empty());
  }

  TEST_CASE("route faults: rate 1 always, rate 0 never, trailing slash ignored") {
    mctest::VirtualCloud vc;
    auto f = vc.cloud.add_fault(route("POST /api/v1/vms/", 503, 1.0));
    REQUIRE_MESSAGE(f.has_value(), mctest::describe(f.error()));
    CHECK(f->route == "POST /api/v1/vms");
    CHECK(f->status == 503);
    for (int i = 0; i < 100; ++i) {
      CHECK(ServerSupport(vc.cloud).draw_route_fault("POST /api/v1/vms") == 503);
      CHECK(ServerSupport(vc.cloud).draw_route_fault("POST /api/v1/vms/") == 503);
    }
    CHECK_FALSE(ServerSupport(vc.cloud).draw_route_fault("GET /api/v1/vms").has_value());
    CHECK_FALSE(ServerSupport(vc.cloud).draw_route_fault("POST /api/v1/volumes").has_value());
    CHECK_FALSE(ServerSupport(vc.cloud).draw_route_fault("POST /api/v1/vms/123").has_value());

    mctest::VirtualCloud never;
    REQUIRE(never.cloud.add_fault(route("POST /api/v1/vms", 503, 0.0)).has_value());
    for (int i = 0; i < 200; ++i)
      CHECK_FALSE(ServerSupport(never.cloud).draw_route_fault("POST /api/v1/vms").has_value());
  }

  TEST_CASE("route faults without a rate always answer") {
    mctest::VirtualCloud vc;
    REQUIRE(vc.cloud.add_fault(route("GET /api/v1/environments", 500)).has_value());
    for (int i = 0; i < 50; ++i)
      CHECK(ServerSupport(vc.cloud).draw_route_fault("GET /api/v1/environments") == 500);
  }

  TEST_CASE("route faults at a rate: about that share, the same draws under the same seed") {
    auto draws = [](std::uint64_t seed) {
      mctest::VirtualCloud vc{{.seed = seed, .settings = {}}};
      REQUIRE(vc.cloud.add_fault(route("POST /api/v1/vms", 503, 0.3)).has_value());
      std::vector<bool> hits;
      for (int i = 0; i < 2000; ++i)
        hits.push_back(ServerSupport(vc.cloud).draw_route_fault("POST /api/v1/vms").has_value());
      return hits;
    };
    auto a = draws(42), b = draws(42), c = draws(43);
    CHECK(a == b);
    CHECK(a != c);
    const double share = static_cast<double>(std::count(a.begin(), a.end(), true)) / a.size();
    CHECK(share == doctest::Approx(0.3).epsilon(0.15));
  }

  TEST_CASE("latency faults add up; faults can be listed, removed and cleared") {
    mctest::VirtualCloud vc;
    CHECK(ServerSupport(vc.cloud).injected_latency() == std::chrono::milliseconds(0));
    auto l1 = vc.cloud.add_fault(latency(100)).value();
    auto l2 = vc.cloud.add_fault(latency(50)).value();
    CHECK(l1.latency_ms == 100);
    CHECK(l1.id != l2.id);
    CHECK(ServerSupport(vc.cloud).injected_latency() == std::chrono::milliseconds(150));
    auto r = vc.cloud.add_fault(route("POST /api/v1/vms", 503)).value();
    CHECK(vc.cloud.faults().size() == 3u);

    REQUIRE(vc.cloud.remove_fault(l1.id).has_value());
    CHECK(ServerSupport(vc.cloud).injected_latency() == std::chrono::milliseconds(50));
    CHECK(vc.cloud.faults().size() == 2u);
    CHECK(vc.cloud.remove_fault(l1.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.remove_fault("nope").error().kind == ErrorKind::not_found);

    REQUIRE(vc.cloud.remove_fault(r.id).has_value());
    CHECK_FALSE(ServerSupport(vc.cloud).draw_route_fault("POST /api/v1/vms").has_value());

    vc.cloud.add_fault(fail_next(mockcloud::TaskKind::vm_create, 3)).value();
    vc.cloud.clear_faults();
    CHECK(vc.cloud.faults().empty());
    CHECK(ServerSupport(vc.cloud).injected_latency() == std::chrono::milliseconds(0));
    auto e = vc.env("dev");
    REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 0.0}}}).has_value());
    auto op = vc.vm("web", e.id);
    vc.clock.run_until_idle();
    CHECK(op.get().status == VmStatus::running);
  }
}
