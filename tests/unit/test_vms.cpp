// VMs: validation with field paths, references, per-environment names, the lifecycle (creating
// -> running | error, progress, durations, IPs), deletion (cancel, same task, IP freed).
#include <set>

#include "test_support.hpp"

using mctest::loc;
using mockcloud::ErrorKind;
using mockcloud::TaskState;
using mockcloud::VmSpec;
using mockcloud::VmStatus;

namespace {
VmSpec vm_spec(std::string name, std::string env) {
  VmSpec s;
  s.name = std::move(name);
  s.environment_id = std::move(env);
  return s;
}
bool is_host_of(const mockcloud::Cidr& c, mockcloud::Ipv4Address a) {
  return c.contains(a) && a != c.network() && a != c.broadcast();
}
}  // namespace

TEST_SUITE("vms") {
  TEST_CASE("create: accepted at once as creating, with a started task") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    vc.clock.advance(10s);
    auto spec = vm_spec("web-1", e.id);
    CHECK(spec.cpu == 1);
    CHECK(spec.memory_mb == 1024);
    CHECK(spec.image == "ubuntu-22.04");
    auto r = vc.cloud.create_vm(spec);
    REQUIRE_MESSAGE(r.has_value(), mctest::describe(r.error()));
    const auto& vm = r->resource();
    CHECK(r->id() == vm.id);
    CHECK(mctest::is_uuid_v4(vm.id));
    CHECK(vm.name == "web-1");
    CHECK(vm.environment_id == e.id);
    CHECK(vm.status == VmStatus::creating);
    CHECK(vm.progress == 0);
    CHECK(vm.cpu == 1);
    CHECK(vm.memory_mb == 1024);
    CHECK(vm.image == "ubuntu-22.04");
    CHECK(vm.security_group_ids.empty());
    CHECK_FALSE(vm.ip_address.has_value());
    CHECK(vm.volume_ids.empty());
    CHECK_FALSE(vm.error.has_value());
    CHECK(mctest::is_uuid_v4(vm.task_id));
    CHECK(r->task_id() == vm.task_id);
    CHECK(vm.created_at == vc.clock.now());
    CHECK(vm.updated_at == vm.created_at);
    CHECK_FALSE(r->ready());

    auto t = vc.cloud.get_task(vm.task_id);
    REQUIRE(t.has_value());
    CHECK(t->id == vm.task_id);
    CHECK(t->kind == mockcloud::TaskKind::vm_create);
    CHECK(t->resource_id == vm.id);
    CHECK(t->state == TaskState::started);
    CHECK_FALSE(t->settled());
    CHECK(t->created_at == vm.created_at);
    CHECK(t->eta - t->created_at >= 30s);
    CHECK(t->eta - t->created_at <= 60s);
    CHECK_FALSE(t->finished_at.has_value());
    CHECK_FALSE(t->error.has_value());

    auto got = vc.cloud.get_vm(vm.id);
    REQUIRE(got.has_value());
    CHECK(got->status == VmStatus::creating);
    CHECK(vc.cloud.counts().vms == 1u);
    CHECK(vc.cloud.counts().tasks == 1u);
  }

  TEST_CASE("create keeps cpu, memory, image and security groups") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    auto g1 = vc.cloud.create_security_group({.name = "a", .environment_id = e.id}).value();
    auto g2 = vc.cloud.create_security_group({.name = "b", .environment_id = e.id}).value();
    VmSpec s = vm_spec("big", e.id);
    s.cpu = 64;
    s.memory_mb = 1048576;
    s.image = std::string(128, 'i');
    s.security_group_ids = {g2.id, g1.id};
    auto op = vc.cloud.create_vm(s).value();
    CHECK(op.resource().cpu == 64);
    CHECK(op.resource().memory_mb == 1048576);
    CHECK(op.resource().image == std::string(128, 'i'));
    CHECK(op.resource().security_group_ids == std::vector<std::string>{g2.id, g1.id});
    vc.clock.run_until_idle();
    auto vm = op.get();
    CHECK(vm.cpu == 64);
    CHECK(vm.security_group_ids == std::vector<std::string>{g2.id, g1.id});
  }

  TEST_CASE("validation: every field, with its path and pydantic type") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    struct Case {
      const char* what;
      VmSpec spec;
      const char* field;
      const char* type;
    };
    auto with = [&](auto mutate) {
      VmSpec s = vm_spec("ok", e.id);
      mutate(s);
      return s;
    };
    std::vector<Case> cases{
        {"cpu 0", with([](VmSpec& s) { s.cpu = 0; }), "cpu", "greater_than_equal"},
        {"cpu -1", with([](VmSpec& s) { s.cpu = -1; }), "cpu", "greater_than_equal"},
        {"cpu 65", with([](VmSpec& s) { s.cpu = 65; }), "cpu", "less_than_equal"},
        {"cpu 2^40", with([](VmSpec& s) { s.cpu = std::int64_t{1} << 40; }), "cpu",
         "less_than_equal"},
        {"memory 127", with([](VmSpec& s) { s.memory_mb = 127; }), "memory_mb",
         "greater_than_equal"},
        {"memory 1048577", with([](VmSpec& s) { s.memory_mb = 1048577; }), "memory_mb",
         "less_than_equal"},
        {"memory 2^33", with([](VmSpec& s) { s.memory_mb = std::int64_t{1} << 33; }), "memory_mb",
         "less_than_equal"},
        {"image empty", with([](VmSpec& s) { s.image = ""; }), "image", "string_too_short"},
        {"image 129", with([](VmSpec& s) { s.image = std::string(129, 'i'); }), "image",
         "string_too_long"},
        {"name empty", with([](VmSpec& s) { s.name = ""; }), "name", "string_too_short"},
        {"name 64", with([](VmSpec& s) { s.name = std::string(64, 'v'); }), "name",
         "string_too_long"},
        {"name pattern", with([](VmSpec& s) { s.name = "web 1"; }), "name",
         "string_pattern_mismatch"},
        {"name leading dot", with([](VmSpec& s) { s.name = ".web"; }), "name",
         "string_pattern_mismatch"},
    };
    for (auto& c : cases) {
      CAPTURE(c.what);
      auto r = vc.cloud.create_vm(c.spec);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      REQUIRE(r.error().fields.size() == 1u);
      CHECK(r.error().fields[0].loc == loc(c.field));
      CHECK(r.error().fields[0].type == c.type);
      CHECK_FALSE(r.error().fields[0].msg.empty());
    }
    // Boundaries are accepted.
    for (auto s :
         {with([](VmSpec& s) { s.cpu = 1; }), with([](VmSpec& s) { s.cpu = 64; }),
          with([](VmSpec& s) { s.memory_mb = 128; }), with([](VmSpec& s) { s.image = "x"; })}) {
      s.name = "b" + std::to_string(vc.cloud.counts().vms);
      auto r = vc.cloud.create_vm(s);
      CHECK_MESSAGE(r.has_value(), (r ? "" : mctest::describe(r.error())));
    }
    CHECK(vc.cloud.counts().vms == 4u);
    CHECK(vc.cloud.counts().tasks == 4u);
  }

  TEST_CASE("validation reports every problem, not only the first") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    VmSpec s = vm_spec("bad name", e.id);
    s.cpu = 0;
    auto r = vc.cloud.create_vm(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::invalid);
    CHECK(mctest::locs(r.error()) == std::vector<std::string>{R"(["name"])", R"(["cpu"])"});

    s.memory_mb = 0;
    s.image = "";
    auto r2 = vc.cloud.create_vm(s);
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().fields.size() == 4u);
    CHECK(mctest::find_field(r2.error(), loc("memory_mb")) != nullptr);
    CHECK(mctest::find_field(r2.error(), loc("image")) != nullptr);
    CHECK(vc.cloud.counts().vms == 0u);
    CHECK(vc.cloud.counts().tasks == 0u);
  }

  TEST_CASE("an invalid spec is invalid even with an unknown environment") {
    mctest::VirtualCloud vc;
    VmSpec s = vm_spec("ok", "nope");
    s.cpu = 100;
    auto r = vc.cloud.create_vm(s);
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::invalid);
  }

  TEST_CASE("references: unknown environment or group is not found; another env's is a conflict") {
    mctest::VirtualCloud vc;
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    auto prod_sg = vc.cloud.create_security_group({.name = "g", .environment_id = prod.id}).value();
    auto dev_sg = vc.cloud.create_security_group({.name = "g", .environment_id = dev.id}).value();

    auto r = vc.cloud.create_vm(vm_spec("a", "00000000-0000-4000-8000-000000000000"));
    REQUIRE_FALSE(r.has_value());
    CHECK(r.error().kind == ErrorKind::not_found);

    VmSpec s = vm_spec("a", dev.id);
    s.security_group_ids = {dev_sg.id, "00000000-0000-4000-8000-000000000000"};
    auto r2 = vc.cloud.create_vm(s);
    REQUIRE_FALSE(r2.has_value());
    CHECK(r2.error().kind == ErrorKind::not_found);

    s.security_group_ids = {dev_sg.id, prod_sg.id};
    auto r3 = vc.cloud.create_vm(s);
    REQUIRE_FALSE(r3.has_value());
    CHECK(r3.error().kind == ErrorKind::conflict);

    // An environment id is not a security group id.
    s.security_group_ids = {dev.id};
    CHECK(vc.cloud.create_vm(s).error().kind == ErrorKind::not_found);

    CHECK(vc.cloud.counts().vms == 0u);
    CHECK(vc.cloud.counts().tasks == 0u);
    s.security_group_ids = {dev_sg.id};
    CHECK(vc.cloud.create_vm(s).has_value());
  }

  TEST_CASE("names are unique per environment among live VMs, free again once gone") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    auto a = vc.vm("web", dev.id);
    auto dup = vc.cloud.create_vm(vm_spec("web", dev.id));
    REQUIRE_FALSE(dup.has_value());
    CHECK(dup.error().kind == ErrorKind::conflict);  // while creating
    auto b = vc.vm("web", prod.id);                  // another environment: fine
    CHECK(b.id() != a.id());

    vc.clock.run_until_idle();
    CHECK(vc.cloud.create_vm(vm_spec("web", dev.id)).error().kind == ErrorKind::conflict);
    auto del = vc.cloud.delete_vm(a.id()).value();
    CHECK(vc.cloud.create_vm(vm_spec("web", dev.id)).error().kind == ErrorKind::conflict);
    vc.clock.run_until_idle();
    CHECK(vc.cloud.get_vm(a.id()).error().kind == ErrorKind::not_found);
    auto again = vc.cloud.create_vm(vm_spec("web", dev.id));
    REQUIRE(again.has_value());
    CHECK(again->id() != a.id());

    // A VM in error still holds its name.
    REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 1.0}}}).has_value());
    auto failed = vc.vm("broken", dev.id);
    vc.clock.run_until_idle();
    CHECK(failed.get().status == VmStatus::error);
    CHECK(vc.cloud.create_vm(vm_spec("broken", dev.id)).error().kind == ErrorKind::conflict);
  }

  TEST_CASE("success: running with an IP of the CIDR, progress 100, task SUCCESS at its eta") {
    auto s = mockcloud::Settings{};
    s.worker_failure_rate = 0;
    mctest::VirtualCloud vc{s};
    auto e = vc.env("dev", "172.16.8.0/24");
    auto op = vc.vm("web", e.id);
    const auto task0 = vc.cloud.get_task(op.task_id()).value();
    const auto eta = task0.eta;
    const auto created = op.resource().created_at;

    int last = -1;
    while (vc.clock.now() + 1s < eta) {
      auto vm = vc.cloud.get_vm(op.id()).value();
      CHECK(vm.status == VmStatus::creating);
      CHECK(vm.progress >= 0);
      CHECK(vm.progress < 100);
      CHECK(vm.progress >= last);
      CHECK_FALSE(vm.ip_address.has_value());
      last = vm.progress;
      vc.clock.advance(1s);
    }
    CHECK(last > 90);

    vc.clock.advance_to(eta);
    auto vm = vc.cloud.get_vm(op.id()).value();
    CHECK(vm.status == VmStatus::running);
    CHECK(vm.progress == 100);
    REQUIRE(vm.ip_address.has_value());
    CHECK(is_host_of(e.cidr, *vm.ip_address));
    CHECK_FALSE(vm.error.has_value());
    CHECK(vm.updated_at == eta);
    CHECK(vm.created_at == created);
    auto t = vc.cloud.get_task(op.task_id()).value();
    CHECK(t.state == TaskState::success);
    CHECK(t.finished_at == eta);
    CHECK(t.eta == eta);
    CHECK_FALSE(t.error.has_value());

    vc.clock.advance(1h);
    CHECK(vc.cloud.get_vm(op.id())->progress == 100);
    CHECK(vc.cloud.get_vm(op.id())->ip_address == vm.ip_address);
  }

  TEST_CASE("progress is the elapsed share of the duration") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 40, 8)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    vc.clock.advance(10s);
    CHECK(vc.cloud.get_vm(op.id())->progress == doctest::Approx(25).epsilon(0.05));
    vc.clock.advance(10s);
    CHECK(vc.cloud.get_vm(op.id())->progress == doctest::Approx(50).epsilon(0.03));
    vc.clock.advance(20s);
    CHECK(vc.cloud.get_vm(op.id())->progress == 100);
    auto del = vc.cloud.delete_vm(op.id()).value();
    CHECK(del.resource().status == VmStatus::deleting);
    vc.clock.advance(4s);
    CHECK(vc.cloud.get_vm(op.id())->progress == doctest::Approx(50).epsilon(0.03));
  }

  TEST_CASE("failure: error with a reason, no IP, task FAILURE") {
    mctest::VirtualCloud vc{mctest::fixed_settings(1.0, 30, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    CHECK(vc.clock.advance(30s) == 1u);
    auto vm = vc.cloud.get_vm(op.id()).value();
    CHECK(vm.status == VmStatus::error);
    REQUIRE(vm.error.has_value());
    CHECK_FALSE(vm.error->empty());
    CHECK_FALSE(vm.ip_address.has_value());
    auto t = vc.cloud.get_task(op.task_id()).value();
    CHECK(t.state == TaskState::failure);
    REQUIRE(t.error.has_value());
    CHECK_FALSE(t.error->empty());
    CHECK(t.finished_at == vc.clock.now());
  }

  TEST_CASE("failed VMs hold no IP: a /28 takes 14 running VMs after 14 failed ones") {
    mctest::VirtualCloud vc{mctest::fixed_settings(1.0)};
    auto e = vc.env("small", "10.9.9.16/28");
    for (int i = 0; i < 14; ++i)
      vc.vm("f" + std::to_string(i), e.id);
    vc.clock.run_until_idle();
    CHECK(vc.cloud.list_vms({.status = VmStatus::error}).total == 14u);
    REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 0.0}}}).has_value());
    std::set<std::uint32_t> ips;
    for (int i = 0; i < 14; ++i)
      vc.vm("ok" + std::to_string(i), e.id);
    vc.clock.run_until_idle();
    auto running = vc.cloud.list_vms({.status = VmStatus::running});
    CHECK(running.total == 14u);
    for (auto& vm : running.items) {
      REQUIRE(vm.ip_address.has_value());
      CHECK(is_host_of(e.cidr, *vm.ip_address));
      ips.insert(vm.ip_address->to_uint());
    }
    CHECK(ips.size() == 14u);
  }

  TEST_CASE("a full /28: the 15th and 16th fail for want of a free IP; a delete frees one") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("small", "192.168.50.240/28");
    std::vector<mockcloud::Operation<mockcloud::Vm>> ops;
    for (int i = 0; i < 16; ++i)
      ops.push_back(vc.vm("vm" + std::to_string(i), e.id));
    vc.clock.run_until_idle();
    std::set<std::uint32_t> ips;
    std::vector<std::string> failed;
    for (auto& op : ops) {
      auto vm = op.get();
      if (vm.status == VmStatus::running) {
        REQUIRE(vm.ip_address.has_value());
        CHECK(is_host_of(e.cidr, *vm.ip_address));
        ips.insert(vm.ip_address->to_uint());
      } else {
        CHECK(vm.status == VmStatus::error);
        REQUIRE(vm.error.has_value());
        CHECK(mctest::contains_ci(*vm.error, "ip"));
        CHECK_FALSE(vm.ip_address.has_value());
        failed.push_back(vm.id);
      }
    }
    CHECK(ips.size() == 14u);
    CHECK(failed.size() == 2u);

    // Free one address by deleting a running VM; the next VM gets exactly that address.
    auto victim = ops[3].get();
    REQUIRE(victim.status == VmStatus::running);
    REQUIRE(vc.cloud.delete_vm(victim.id).has_value());
    vc.clock.run_until_idle();
    CHECK(vc.cloud.get_vm(victim.id).error().kind == ErrorKind::not_found);
    auto next = vc.vm("late", e.id);
    vc.clock.run_until_idle();
    auto late = next.get();
    REQUIRE(late.status == VmStatus::running);
    CHECK(late.ip_address == victim.ip_address);
  }

  TEST_CASE("durations lie within [min, max] and spread over it") {
    mockcloud::Settings s;
    s.worker_failure_rate = 0;
    s.vm_creation_time_min = 10;
    s.vm_creation_time_max = 20;
    s.vm_deletion_time_min = 3;
    s.vm_deletion_time_max = 4;
    mctest::VirtualCloud vc{s};
    auto e = vc.env("dev");
    mockcloud::Duration lo = 1h, hi{};
    std::vector<std::string> ids;
    for (int i = 0; i < 200; ++i) {
      auto op = vc.vm("v" + std::to_string(i), e.id);
      auto t = vc.cloud.get_task(op.task_id()).value();
      auto d = t.eta - t.created_at;
      CHECK(d >= 10s);
      CHECK(d <= 20s);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
      ids.push_back(op.id());
    }
    CHECK(lo < 11s);
    CHECK(hi > 19s);
    vc.clock.run_until_idle();
    lo = 1h;
    hi = {};
    for (auto& id : ids) {
      auto del = vc.cloud.delete_vm(id).value();
      auto t = vc.cloud.get_task(del.task_id()).value();
      CHECK(t.kind == mockcloud::TaskKind::vm_delete);
      auto d = t.eta - t.created_at;
      CHECK(d >= 3s);
      CHECK(d <= 4s);
      lo = std::min(lo, d);
      hi = std::max(hi, d);
    }
    CHECK(lo < 3100ms);
    CHECK(hi > 3900ms);
    vc.clock.run_until_idle();
    CHECK(vc.cloud.counts().vms == 0u);
  }

  TEST_CASE("delete while creating cancels: create task REVOKED, VM gone after the deletion") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 20)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    vc.clock.advance(3s);
    auto del = vc.cloud.delete_vm(op.id());
    REQUIRE_MESSAGE(del.has_value(), mctest::describe(del.error()));
    CHECK(del->id() == op.id());
    CHECK(del->resource().status == VmStatus::deleting);
    CHECK(del->task_id() != op.task_id());
    CHECK(del->resource().task_id == del->task_id());

    auto create_task = vc.cloud.get_task(op.task_id()).value();
    CHECK(create_task.state == TaskState::revoked);
    CHECK(create_task.finished_at == vc.clock.now());
    CHECK(op.ready());
    CHECK(op.wait().state == TaskState::revoked);

    auto delete_task = vc.cloud.get_task(del->task_id()).value();
    CHECK(delete_task.kind == mockcloud::TaskKind::vm_delete);
    CHECK(delete_task.state == TaskState::started);
    CHECK(delete_task.resource_id == op.id());
    CHECK(delete_task.eta == vc.clock.now() + 20s);

    // The creation's due time passes: it must not bring the VM up.
    vc.clock.advance(10s);
    auto vm = vc.cloud.get_vm(op.id()).value();
    CHECK(vm.status == VmStatus::deleting);
    CHECK_FALSE(vm.ip_address.has_value());
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::revoked);

    vc.clock.advance(10s);
    CHECK(vc.cloud.get_vm(op.id()).error().kind == ErrorKind::not_found);
    auto done = vc.cloud.get_task(del->task_id()).value();
    CHECK(done.state == TaskState::success);
    CHECK(done.finished_at == done.eta);
    CHECK(del->wait().state == TaskState::success);
    CHECK_THROWS_AS(del->get(), mockcloud::Exception);
    try {
      (void)op.get();
      FAIL("get() on a deleted VM must throw");
    } catch (const mockcloud::Exception& ex) {
      CHECK(ex.kind() == ErrorKind::not_found);
    }
    CHECK(vc.cloud.counts().vms == 0u);
    CHECK(vc.cloud.counts().tasks == 2u);
  }

  TEST_CASE("a second delete while deleting returns the same task, no new task") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto e = vc.env("dev");
    auto vm = vc.running_vm("web", e.id);
    auto d1 = vc.cloud.delete_vm(vm.id).value();
    const auto tasks = vc.cloud.counts().tasks;
    vc.clock.advance(2s);
    auto d2 = vc.cloud.delete_vm(vm.id);
    REQUIRE(d2.has_value());
    CHECK(d2->task_id() == d1.task_id());
    CHECK(d2->resource().status == VmStatus::deleting);
    CHECK(vc.cloud.counts().tasks == tasks);
    CHECK(vc.cloud.list_tasks({.resource_id = vm.id}).total == 2u);
    // It does not restart the deletion either.
    CHECK(vc.cloud.get_task(d1.task_id())->eta == vc.cloud.get_task(d2->task_id())->eta);
    vc.clock.advance(3s);
    CHECK(vc.cloud.get_vm(vm.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.delete_vm(vm.id).error().kind == ErrorKind::not_found);
  }

  TEST_CASE("delete from error is allowed") {
    mctest::VirtualCloud vc{mctest::fixed_settings(1.0, 10, 5)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    vc.clock.run_until_idle();
    REQUIRE(op.get().status == VmStatus::error);
    auto del = vc.cloud.delete_vm(op.id());
    REQUIRE(del.has_value());
    CHECK(del->resource().status == VmStatus::deleting);
    vc.clock.run_until_idle();
    CHECK(vc.cloud.get_vm(op.id()).error().kind == ErrorKind::not_found);
    // The failed creation's task stays FAILURE (not revoked).
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::failure);
  }

  TEST_CASE("get and delete of unknown VMs: not found") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    CHECK(vc.cloud.get_vm("nope").error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.get_vm(e.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.delete_vm("00000000-0000-4000-8000-000000000000").error().kind ==
          ErrorKind::not_found);
  }

  TEST_CASE("IPs are unique among an environment's live VMs") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev", "10.20.0.0/24");
    for (int i = 0; i < 200; ++i)
      vc.vm("v" + std::to_string(i), e.id);
    vc.clock.run_until_idle();
    auto l = vc.cloud.list_vms({.environment_id = e.id}, {.skip = 0, .limit = 1000});
    REQUIRE(l.items.size() == 200u);
    std::set<std::uint32_t> ips;
    for (auto& vm : l.items) {
      REQUIRE(vm.status == VmStatus::running);
      REQUIRE(vm.ip_address.has_value());
      CHECK(is_host_of(e.cidr, *vm.ip_address));
      ips.insert(vm.ip_address->to_uint());
    }
    CHECK(ips.size() == 200u);
  }

  TEST_CASE("the failure share over 10,000 creations at rate 0.1 is within 0.09..0.11") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.1, 1, 1)};
    std::vector<std::string> envs;
    for (int i = 0; i < 10; ++i)
      envs.push_back(vc.env("env" + std::to_string(i)).id);
    for (int i = 0; i < 10000; ++i) {
      auto r = vc.cloud.create_vm(vm_spec("vm-" + std::to_string(i), envs[i % 10]));
      REQUIRE(r.has_value());
    }
    CHECK(vc.clock.run_until_idle() == 10000u);
    const auto failed =
        vc.cloud.list_vms({.status = VmStatus::error}, {.skip = 0, .limit = 1}).total;
    const auto running =
        vc.cloud.list_vms({.status = VmStatus::running}, {.skip = 0, .limit = 1}).total;
    CHECK(failed + running == 10000u);
    const double share = static_cast<double>(failed) / 10000.0;
    CAPTURE(share);
    CHECK(share >= 0.09);
    CHECK(share <= 0.11);
    CHECK(vc.cloud.list_tasks({.state = TaskState::failure}, {.skip = 0, .limit = 1}).total ==
          failed);
    auto sc = vc.cloud.status_counts();
    CHECK(sc.vms[static_cast<int>(VmStatus::error)] == failed);
    CHECK(sc.vms[static_cast<int>(VmStatus::running)] == running);
  }
  TEST_CASE("time_scale applies to the system clock only: virtual durations stay unscaled") {
    mockcloud::Settings s;
    s.time_scale = 0.001;
    mctest::VirtualCloud vc{s};
    auto e = vc.env("dev");
    for (int i = 0; i < 20; ++i) {
      auto op = vc.vm("v" + std::to_string(i), e.id);
      auto t = vc.cloud.get_task(op.task_id()).value();
      CHECK(t.eta - t.created_at >= 30s);
      CHECK(t.eta - t.created_at <= 60s);
    }
  }

  TEST_CASE("a deleting VM keeps its IP until it is gone") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 1, 10)};
    auto e = vc.env("small", "10.7.0.0/28");
    std::vector<std::string> ids;
    for (int i = 0; i < 14; ++i)
      ids.push_back(vc.vm("v" + std::to_string(i), e.id).id());
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.list_vms({.status = VmStatus::running}).total == 14u);
    auto victim = vc.cloud.get_vm(ids[0]).value();
    REQUIRE(vc.cloud.delete_vm(victim.id).has_value());
    auto early = vc.vm("early", e.id);  // completes after 1 s, while the victim is deleting
    vc.clock.advance(1s);
    auto vm = early.get();
    CHECK(vm.status == VmStatus::error);
    CHECK_FALSE(vm.ip_address.has_value());
    CHECK(vc.cloud.get_vm(victim.id)->status == VmStatus::deleting);
    vc.clock.advance(9s);
    CHECK(vc.cloud.get_vm(victim.id).error().kind == ErrorKind::not_found);
    auto late = vc.vm("late", e.id);
    vc.clock.advance(1s);
    CHECK(late.get().status == VmStatus::running);
    CHECK(late.get().ip_address == victim.ip_address);
  }

  TEST_CASE("IPs are drawn at random, not handed out in sequence") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev", "10.0.0.0/16");
    for (int i = 0; i < 40; ++i)
      vc.vm("v" + std::to_string(i), e.id);
    vc.clock.run_until_idle();
    std::set<std::uint32_t> third_octets;
    for (auto& vm : vc.cloud.list_vms().items) {
      REQUIRE(vm.ip_address.has_value());
      third_octets.insert((vm.ip_address->to_uint() >> 8) & 0xFF);
    }
    CHECK(third_octets.size() > 20u);
  }
}
