// Tasks: one per asynchronous request, kinds and states, eta and finished_at, readable after the
// resource is gone, list filters.
#include <set>

#include "test_support.hpp"

using mockcloud::ErrorKind;
using mockcloud::TaskKind;
using mockcloud::TaskState;

TEST_SUITE("tasks") {
  TEST_CASE("every asynchronous request has a task of its kind") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    auto vm = vc.vm("web", e.id);
    auto vol = vc.volume("data", e.id);
    vc.clock.run_until_idle();
    auto vm_del = vc.cloud.delete_vm(vm.id()).value();
    auto vol_del = vc.cloud.delete_volume(vol.id()).value();

    struct Expect {
      std::string task, resource;
      TaskKind kind;
    };
    for (auto& x : {Expect{vm.task_id(), vm.id(), TaskKind::vm_create},
                    Expect{vol.task_id(), vol.id(), TaskKind::volume_create},
                    Expect{vm_del.task_id(), vm.id(), TaskKind::vm_delete},
                    Expect{vol_del.task_id(), vol.id(), TaskKind::volume_delete}}) {
      auto t = vc.cloud.get_task(x.task);
      REQUIRE(t.has_value());
      CHECK(mctest::is_uuid_v4(t->id));
      CHECK(t->kind == x.kind);
      CHECK(t->resource_id == x.resource);
    }
    std::set<std::string> ids{vm.task_id(), vol.task_id(), vm_del.task_id(), vol_del.task_id()};
    CHECK(ids.size() == 4u);
    CHECK(vc.cloud.counts().tasks == 4u);
    // Synchronous resources make no tasks.
    REQUIRE(vc.cloud.create_security_group({.name = "g", .environment_id = e.id}).has_value());
    CHECK(vc.cloud.counts().tasks == 4u);
  }

  TEST_CASE("STARTED while in flight, SUCCESS at eta with finished_at == eta") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    vc.clock.advance(1s);
    auto op = vc.vm("web", e.id);
    auto t = vc.cloud.get_task(op.task_id()).value();
    CHECK(t.state == TaskState::started);
    CHECK(t.created_at == vc.clock.now());
    CHECK(t.eta == t.created_at + 10s);
    CHECK_FALSE(t.finished_at.has_value());
    CHECK(vc.cloud.list_tasks({.state = TaskState::pending}).total == 0u);
    vc.clock.advance(9999ms);
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::started);
    vc.clock.advance(1ms);
    auto done = vc.cloud.get_task(op.task_id()).value();
    CHECK(done.state == TaskState::success);
    CHECK(done.settled());
    REQUIRE(done.finished_at.has_value());
    CHECK(*done.finished_at == t.eta);
    CHECK(done.created_at == t.created_at);
    CHECK(done.eta == t.eta);
  }

  TEST_CASE("tasks stay readable after their resource is gone") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    vc.clock.run_until_idle();
    auto del = vc.cloud.delete_vm(op.id()).value();
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.get_vm(op.id()).error().kind == ErrorKind::not_found);
    auto c = vc.cloud.get_task(op.task_id());
    REQUIRE(c.has_value());
    CHECK(c->state == TaskState::success);
    auto d = vc.cloud.get_task(del.task_id());
    REQUIRE(d.has_value());
    CHECK(d->state == TaskState::success);
    CHECK(d->resource_id == op.id());
    CHECK(vc.cloud.list_tasks({.resource_id = op.id()}).total == 2u);
  }

  TEST_CASE("unknown task: not found") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    CHECK(vc.cloud.get_task("nope").error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.get_task(e.id).error().kind == ErrorKind::not_found);
    auto op = vc.vm("web", e.id);
    CHECK(vc.cloud.get_task(op.id()).error().kind == ErrorKind::not_found);  // a VM id
  }

  TEST_CASE("list_tasks filters by resource and state, in (created_at, id) order") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    auto e = vc.env("dev");
    auto ok = vc.vm("ok", e.id);  // t=0, due 10
    vc.clock.advance(1s);
    auto gone = vc.vm("gone", e.id);  // t=1, due 11
    vc.clock.advance(10s);            // t=11
    REQUIRE(vc.cloud.get_vm(gone.id())->status == mockcloud::VmStatus::running);
    auto gone_del = vc.cloud.delete_vm(gone.id()).value();  // due 13
    REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 1.0}}}).has_value());
    auto bad = vc.vm("bad", e.id);                                     // due 21, fails
    auto cancelled = vc.volume("cancelled", e.id);                     // revoked at once
    auto cancel_del = vc.cloud.delete_volume(cancelled.id()).value();  // due 13
    vc.clock.advance(3s);                                              // t=14

    auto all = vc.cloud.list_tasks();
    CHECK(all.total == 6u);
    REQUIRE(all.items.size() == 6u);
    for (std::size_t i = 1; i < all.items.size(); ++i) {
      const auto& a = all.items[i - 1];
      const auto& b = all.items[i];
      CHECK((a.created_at < b.created_at || (a.created_at == b.created_at && a.id < b.id)));
    }
    CHECK(all.items[0].id == ok.task_id());
    CHECK(all.items[1].id == gone.task_id());

    auto by_resource = vc.cloud.list_tasks({.resource_id = cancelled.id()});
    CHECK(by_resource.total == 2u);
    auto revoked = vc.cloud.list_tasks({.state = TaskState::revoked});
    REQUIRE(revoked.total == 1u);
    CHECK(revoked.items[0].id == cancelled.task_id());
    auto started = vc.cloud.list_tasks({.state = TaskState::started});
    REQUIRE(started.total == 1u);
    CHECK(started.items[0].id == bad.task_id());
    CHECK(vc.cloud.list_tasks({.state = TaskState::success}).total == 4u);
    auto both = vc.cloud.list_tasks({.resource_id = gone.id(), .state = TaskState::success});
    CHECK(both.total == 2u);
    CHECK(vc.cloud.list_tasks({.resource_id = "nope"}).total == 0u);

    vc.clock.advance(7s);  // t=21
    auto failed = vc.cloud.list_tasks({.state = TaskState::failure});
    REQUIRE(failed.total == 1u);
    CHECK(failed.items[0].id == bad.task_id());
    CHECK(failed.items[0].error.has_value());
    (void)gone_del;
    (void)cancel_del;
  }
}
