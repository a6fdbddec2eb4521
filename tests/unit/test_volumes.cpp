// Volumes: validation, lifecycle, attach/detach rules on both sides, delete rules, and the
// detaching of volumes when their VM goes away.
#include "test_support.hpp"

using mctest::loc;
using mockcloud::ErrorKind;
using mockcloud::TaskState;
using mockcloud::VmStatus;
using mockcloud::VolumeSpec;
using mockcloud::VolumeStatus;

namespace {
VolumeSpec vol_spec(std::string name, std::string env, std::int64_t size = 10,
                    mockcloud::VolumeType type = mockcloud::VolumeType::standard) {
  VolumeSpec s;
  s.name = std::move(name);
  s.environment_id = std::move(env);
  s.size_gb = size;
  s.volume_type = type;
  return s;
}
}  // namespace

TEST_SUITE("volumes") {
  TEST_CASE("create: creating at once, then available at its eta") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 30, 2)};
    auto e = vc.env("dev");
    VolumeSpec defaults;
    CHECK(defaults.size_gb == 10);
    CHECK(defaults.volume_type == mockcloud::VolumeType::standard);
    auto op = vc.cloud.create_volume(vol_spec("data", e.id, 100, mockcloud::VolumeType::ssd));
    REQUIRE_MESSAGE(op.has_value(), mctest::describe(op.error()));
    const auto& v = op->resource();
    CHECK(mctest::is_uuid_v4(v.id));
    CHECK(v.name == "data");
    CHECK(v.environment_id == e.id);
    CHECK(v.size_gb == 100);
    CHECK(v.volume_type == mockcloud::VolumeType::ssd);
    CHECK(v.status == VolumeStatus::creating);
    CHECK(v.progress == 0);
    CHECK_FALSE(v.vm_id.has_value());
    CHECK_FALSE(v.error.has_value());
    CHECK(v.created_at == vc.clock.now());
    auto t = vc.cloud.get_task(v.task_id).value();
    CHECK(t.kind == mockcloud::TaskKind::volume_create);
    CHECK(t.resource_id == v.id);
    CHECK(t.state == TaskState::started);
    CHECK(t.eta == v.created_at + 30s);

    vc.clock.advance(15s);
    CHECK(vc.cloud.get_volume(v.id)->progress == doctest::Approx(50).epsilon(0.03));
    CHECK(vc.clock.advance(15s) == 1u);
    auto got = vc.cloud.get_volume(v.id).value();
    CHECK(got.status == VolumeStatus::available);
    CHECK(got.progress == 100);
    CHECK(got.updated_at == t.eta);
    CHECK(vc.cloud.get_task(v.task_id)->state == TaskState::success);
    CHECK(op->get().status == VolumeStatus::available);
  }

  TEST_CASE("validation: size_gb, volume_type and name, every problem with its path") {
    mctest::VirtualCloud vc;
    auto e = vc.env("dev");
    struct Case {
      VolumeSpec spec;
      std::vector<std::string> locs;
    };
    for (auto& c : std::vector<Case>{
             {vol_spec("v", e.id, 0), {R"(["size_gb"])"}},
             {vol_spec("v", e.id, -5), {R"(["size_gb"])"}},
             {vol_spec("v", e.id, 16385), {R"(["size_gb"])"}},
             // An unknown volume_type is a wire error now (tests/http: volume_type).
             {vol_spec("", e.id, 0), {R"(["name"])", R"(["size_gb"])"}},
         }) {
      CAPTURE(c.spec.size_gb);
      CAPTURE(mockcloud::to_string(c.spec.volume_type));
      auto r = vc.cloud.create_volume(c.spec);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      CHECK(mctest::locs(r.error()) == c.locs);
    }
    CHECK(vc.cloud.create_volume(vol_spec("v", e.id, 0)).error().fields[0].type ==
          "greater_than_equal");
    CHECK(vc.cloud.create_volume(vol_spec("v", e.id, 16385)).error().fields[0].type ==
          "less_than_equal");
    CHECK(vc.cloud.counts().volumes == 0u);
    CHECK(vc.cloud.create_volume(vol_spec("one", e.id, 1)).has_value());
    CHECK(vc.cloud.create_volume(vol_spec("max", e.id, 16384, mockcloud::VolumeType::ssd))
              .has_value());
    // Invalid beats not found.
    CHECK(vc.cloud.create_volume(vol_spec("x", "nope", 0)).error().kind == ErrorKind::invalid);
    CHECK(vc.cloud.create_volume(vol_spec("x", "nope")).error().kind == ErrorKind::not_found);
  }

  TEST_CASE("names are unique per environment among live volumes") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    auto a = vc.volume("data", dev.id);
    CHECK(vc.cloud.create_volume(vol_spec("data", dev.id)).error().kind == ErrorKind::conflict);
    CHECK(vc.cloud.create_volume(vol_spec("data", prod.id)).has_value());
    // A VM may share a volume's name.
    CHECK(vc.cloud.create_vm({.name = "data", .environment_id = dev.id}).has_value());
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.delete_volume(a.id()).has_value());
    CHECK(vc.cloud.create_volume(vol_spec("data", dev.id)).error().kind == ErrorKind::conflict);
    vc.clock.run_until_idle();
    auto again = vc.cloud.create_volume(vol_spec("data", dev.id));
    REQUIRE(again.has_value());
    CHECK(again->id() != a.id());
  }

  TEST_CASE("failure: error with a reason, task FAILURE; an errored volume cannot attach") {
    mctest::VirtualCloud vc{mctest::fixed_settings(1.0)};
    auto e = vc.env("dev");
    auto op = vc.volume("data", e.id);
    vc.clock.run_until_idle();
    auto v = op.get();
    CHECK(v.status == VolumeStatus::error);
    REQUIRE(v.error.has_value());
    CHECK_FALSE(v.error->empty());
    CHECK(vc.cloud.get_task(v.task_id)->state == TaskState::failure);

    REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 0.0}}}).has_value());
    auto vm = vc.running_vm("web", e.id);
    CHECK(vc.cloud.attach_volume(v.id, vm.id).error().kind == ErrorKind::conflict);
    // Deleting an errored volume is allowed.
    REQUIRE(vc.cloud.delete_volume(v.id).has_value());
    vc.clock.run_until_idle();
    CHECK(vc.cloud.get_volume(v.id).error().kind == ErrorKind::not_found);
  }

  TEST_CASE("attach and detach: both sides agree") {
    mctest::VirtualCloud vc{mctest::fixed_settings()};
    auto e = vc.env("dev");
    auto vm = vc.running_vm("web", e.id);
    auto v1 = vc.available_volume("d1", e.id);
    auto v2 = vc.available_volume("d2", e.id);
    vc.clock.advance(1s);

    auto a1 = vc.cloud.attach_volume(v1.id, vm.id);
    REQUIRE_MESSAGE(a1.has_value(), mctest::describe(a1.error()));
    CHECK(a1->status == VolumeStatus::in_use);
    CHECK(a1->vm_id == vm.id);
    CHECK(a1->updated_at == vc.clock.now());
    auto a2 = vc.cloud.attach_volume(v2.id, vm.id).value();
    CHECK(vc.cloud.get_vm(vm.id)->volume_ids == std::vector<std::string>{v1.id, v2.id});
    CHECK(vc.cloud.get_volume(v1.id)->status == VolumeStatus::in_use);

    // Already in use: conflict, even to the same VM.
    CHECK(vc.cloud.attach_volume(v1.id, vm.id).error().kind == ErrorKind::conflict);

    auto d1 = vc.cloud.detach_volume(v1.id);
    REQUIRE(d1.has_value());
    CHECK(d1->status == VolumeStatus::available);
    CHECK_FALSE(d1->vm_id.has_value());
    CHECK(vc.cloud.get_vm(vm.id)->volume_ids == std::vector<std::string>{v2.id});
    // Only an in-use volume can be detached.
    CHECK(vc.cloud.detach_volume(v1.id).error().kind == ErrorKind::conflict);
    CHECK(vc.cloud.detach_volume("nope").error().kind == ErrorKind::not_found);
    // Re-attach keeps attachment order.
    REQUIRE(vc.cloud.attach_volume(v1.id, vm.id).has_value());
    CHECK(vc.cloud.get_vm(vm.id)->volume_ids == std::vector<std::string>{v2.id, v1.id});
    (void)a2;
  }

  TEST_CASE("attach rules: volume available, VM running, same environment, fewer than 16") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 5)};
    auto dev = vc.env("dev");
    auto prod = vc.env("prod");
    auto vm = vc.running_vm("web", dev.id);

    SUBCASE("unknown volume or VM: not found") {
      auto v = vc.available_volume("d", dev.id);
      CHECK(vc.cloud.attach_volume("nope", vm.id).error().kind == ErrorKind::not_found);
      CHECK(vc.cloud.attach_volume(v.id, "nope").error().kind == ErrorKind::not_found);
      CHECK(vc.cloud.attach_volume(v.id, v.id).error().kind == ErrorKind::not_found);
    }
    SUBCASE("volume still creating") {
      auto op = vc.volume("d", dev.id);
      CHECK(vc.cloud.attach_volume(op.id(), vm.id).error().kind == ErrorKind::conflict);
    }
    SUBCASE("VM still creating") {
      auto v = vc.available_volume("d", dev.id);
      auto op = vc.vm("young", dev.id);
      CHECK(vc.cloud.attach_volume(v.id, op.id()).error().kind == ErrorKind::conflict);
      CHECK(vc.cloud.get_volume(v.id)->status == VolumeStatus::available);
    }
    SUBCASE("VM in error") {
      REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 1.0}}}).has_value());
      auto op = vc.vm("broken", dev.id);
      vc.clock.run_until_idle();
      REQUIRE(op.get().status == VmStatus::error);
      REQUIRE(vc.cloud.update_settings({{{"worker_failure_rate", 0.0}}}).has_value());
      auto v = vc.available_volume("d", dev.id);
      CHECK(vc.cloud.attach_volume(v.id, op.id()).error().kind == ErrorKind::conflict);
    }
    SUBCASE("VM deleting") {
      auto v = vc.available_volume("d", dev.id);
      REQUIRE(vc.cloud.delete_vm(vm.id).has_value());
      CHECK(vc.cloud.attach_volume(v.id, vm.id).error().kind == ErrorKind::conflict);
    }
    SUBCASE("another environment") {
      auto v = vc.available_volume("d", prod.id);
      auto r = vc.cloud.attach_volume(v.id, vm.id);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::conflict);
      CHECK(vc.cloud.get_volume(v.id)->status == VolumeStatus::available);
      CHECK(vc.cloud.get_vm(vm.id)->volume_ids.empty());
    }
    SUBCASE("16 volumes at most") {
      for (int i = 0; i < 17; ++i)
        vc.volume("d" + std::to_string(i), dev.id);
      vc.clock.run_until_idle();
      auto vols = vc.cloud.list_volumes({.environment_id = dev.id});
      REQUIRE(vols.items.size() == 17u);
      for (int i = 0; i < 16; ++i) {
        auto r = vc.cloud.attach_volume(vols.items[i].id, vm.id);
        REQUIRE_MESSAGE(r.has_value(), mctest::describe(r.error()));
      }
      CHECK(vc.cloud.get_vm(vm.id)->volume_ids.size() == 16u);
      auto r = vc.cloud.attach_volume(vols.items[16].id, vm.id);
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::conflict);
      CHECK(vc.cloud.get_volume(vols.items[16].id)->status == VolumeStatus::available);
      // One detached: room again.
      REQUIRE(vc.cloud.detach_volume(vols.items[0].id).has_value());
      CHECK(vc.cloud.attach_volume(vols.items[16].id, vm.id).has_value());
    }
  }

  TEST_CASE("delete: conflict while in use; from available it goes deleting then gone") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 3)};
    auto e = vc.env("dev");
    auto vm = vc.running_vm("web", e.id);
    auto v = vc.available_volume("d", e.id);
    REQUIRE(vc.cloud.attach_volume(v.id, vm.id).has_value());
    auto d = vc.cloud.delete_volume(v.id);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().kind == ErrorKind::conflict);
    CHECK(vc.cloud.get_volume(v.id)->status == VolumeStatus::in_use);

    REQUIRE(vc.cloud.detach_volume(v.id).has_value());
    auto del = vc.cloud.delete_volume(v.id);
    REQUIRE(del.has_value());
    CHECK(del->resource().status == VolumeStatus::deleting);
    auto t = vc.cloud.get_task(del->task_id()).value();
    CHECK(t.kind == mockcloud::TaskKind::volume_delete);
    CHECK(t.eta == vc.clock.now() + 3s);
    // Deleting: no attach, no second task.
    CHECK(vc.cloud.attach_volume(v.id, vm.id).error().kind == ErrorKind::conflict);
    auto again = vc.cloud.delete_volume(v.id);
    REQUIRE(again.has_value());
    CHECK(again->task_id() == del->task_id());
    vc.clock.advance(3s);
    CHECK(vc.cloud.get_volume(v.id).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.get_task(del->task_id())->state == TaskState::success);
    CHECK(vc.cloud.delete_volume(v.id).error().kind == ErrorKind::not_found);
  }

  TEST_CASE("delete while creating cancels the creation") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 30, 5)};
    auto e = vc.env("dev");
    auto op = vc.volume("d", e.id);
    vc.clock.advance(10s);
    auto del = vc.cloud.delete_volume(op.id());
    REQUIRE(del.has_value());
    CHECK(del->resource().status == VolumeStatus::deleting);
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::revoked);
    CHECK(op.wait().state == TaskState::revoked);
    vc.clock.advance(5s);
    CHECK(vc.cloud.get_volume(op.id()).error().kind == ErrorKind::not_found);
    vc.clock.advance(30s);  // past the cancelled creation's due time: nothing comes back
    CHECK(vc.cloud.get_volume(op.id()).error().kind == ErrorKind::not_found);
    CHECK(vc.cloud.counts().volumes == 0u);
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::revoked);
  }

  TEST_CASE("deleting a VM detaches its volumes: they become available") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 4)};
    auto e = vc.env("dev");
    auto vm = vc.running_vm("web", e.id);
    auto v1 = vc.available_volume("d1", e.id);
    auto v2 = vc.available_volume("d2", e.id);
    REQUIRE(vc.cloud.attach_volume(v1.id, vm.id).has_value());
    REQUIRE(vc.cloud.attach_volume(v2.id, vm.id).has_value());
    REQUIRE(vc.cloud.delete_vm(vm.id).has_value());
    vc.clock.run_until_idle();
    CHECK(vc.cloud.get_vm(vm.id).error().kind == ErrorKind::not_found);
    for (auto& id : {v1.id, v2.id}) {
      auto v = vc.cloud.get_volume(id).value();
      CHECK(v.status == VolumeStatus::available);
      CHECK_FALSE(v.vm_id.has_value());
    }
    // They can be attached elsewhere and deleted.
    auto vm2 = vc.running_vm("web2", e.id);
    CHECK(vc.cloud.attach_volume(v1.id, vm2.id).has_value());
    CHECK(vc.cloud.delete_volume(v2.id).has_value());
  }

  TEST_CASE("a volume's durations follow the volume settings") {
    mockcloud::Settings s = mctest::fixed_settings();
    s.volume_creation_time_min = 7;
    s.volume_creation_time_max = 9;
    s.volume_deletion_time_min = 1;
    s.volume_deletion_time_max = 1.5;
    mctest::VirtualCloud vc{s};
    auto e = vc.env("dev");
    for (int i = 0; i < 50; ++i) {
      auto op = vc.volume("d" + std::to_string(i), e.id);
      auto t = vc.cloud.get_task(op.task_id()).value();
      CHECK(t.eta - t.created_at >= 7s);
      CHECK(t.eta - t.created_at <= 9s);
    }
    vc.clock.run_until_idle();
    for (auto& v : vc.cloud.list_volumes().items) {
      auto del = vc.cloud.delete_volume(v.id).value();
      auto t = vc.cloud.get_task(del.task_id()).value();
      CHECK(t.eta - t.created_at >= 1s);
      CHECK(t.eta - t.created_at <= 1500ms);
    }
  }
}
