// The cloud model (model.hpp): sequential ids, the pending stage, deleted resources kept visible,
// cloud-wide security groups and names, free-text names, a volume attached at its creation, a
// journal that keeps its model, and CloudModel::original() as the sum of them. All on a virtual
// clock.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "test_support.hpp"

namespace fs = std::filesystem;
using mctest::loc;
using mockcloud::CloudModel;
using mockcloud::ErrorKind;
using mockcloud::IdScheme;
using mockcloud::ManagerOptions;
using mockcloud::NameRule;
using mockcloud::ResourceManager;
using mockcloud::Scope;
using mockcloud::Settings;
using mockcloud::Task;
using mockcloud::TaskState;
using mockcloud::VirtualClock;
using mockcloud::Vm;
using mockcloud::VmSpec;
using mockcloud::VmStatus;
using mockcloud::Volume;
using mockcloud::VolumeSpec;
using mockcloud::VolumeStatus;

using mctest::TempDir;

namespace {

ManagerOptions with_model(CloudModel model, Settings settings = mctest::fixed_settings(),
                          std::uint64_t seed = 42) {
  return {.seed = seed, .settings = settings, .model = model};
}

VmSpec vm_spec(std::string name, std::string env, std::vector<std::string> groups = {}) {
  VmSpec s;
  s.name = std::move(name);
  s.environment_id = std::move(env);
  s.security_group_ids = std::move(groups);
  return s;
}

VolumeSpec volume_spec(std::string name, std::string env,
                       std::optional<std::string> vm_id = std::nullopt) {
  VolumeSpec s;
  s.name = std::move(name);
  s.environment_id = std::move(env);
  s.vm_id = std::move(vm_id);
  return s;
}

template <class T>
std::vector<std::string> ids_of(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const auto& i : items)
    out.push_back(i.id);
  return out;
}

std::vector<std::string> strings(std::initializer_list<std::string> l) {
  return {l.begin(), l.end()};
}

/// The kind of a failed result; "ok" when it succeeded.
template <class T>
std::string kind_of(const mockcloud::Result<T>& r) {
  if (r.has_value()) return "ok";
  return std::string(doctest::StringMaker<ErrorKind>::convert(r.error().kind).c_str());
}

/// The type of the field error at [name] of a failed result ("" when there is none).
template <class T>
std::string field_type(const mockcloud::Result<T>& r, const char* name) {
  if (r.has_value()) return "";
  const auto* f = mctest::find_field(r.error(), loc(name));
  return f ? f->type : "";
}

/// A store in memory that keeps every record, to read back what was journaled and in which order.
class MemoryStore final : public mockcloud::Store {
 public:
  std::vector<Record> records;
  void replay(const std::function<void(const Record&)>& fn) override {
    for (const auto& r : records)
      fn(r);
  }
  std::uint64_t append(Record r) override {
    if (r.truncates) records.clear();
    records.push_back(std::move(r));
    return ++last_;
  }
  void wait_durable(std::uint64_t) override {}
  std::uint64_t last_appended() const override { return last_; }
  void after_durable(std::function<void(bool)> callback) override { callback(true); }
  std::vector<std::string> kinds_starting(std::string_view prefix) const {
    std::vector<std::string> out;
    for (const auto& r : records)
      if (r.kind.starts_with(prefix)) out.push_back(r.kind);
    return out;
  }

 private:
  std::uint64_t last_ = 0;
};

/// Everything a manager shows, for comparing two managers (or one before and after a restart).
struct State {
  std::vector<mockcloud::Environment> envs;
  std::vector<mockcloud::SecurityGroup> sgs;
  std::vector<Vm> vms;
  std::vector<Volume> volumes;
  std::vector<Task> tasks;
  mockcloud::TimePoint now;
  bool operator==(const State&) const = default;
};

State state_of(const ResourceManager& m) {
  const mockcloud::Page all{0, 1000};
  return {m.list_environments({}, all).items, m.list_security_groups({}, all).items,
          m.list_vms({}, all).items,          m.list_volumes({}, all).items,
          m.list_tasks({}, all).items,        m.clock().now()};
}

template <class Counts, class E>
std::size_t count_of(const Counts& counts, E e) {
  return counts[static_cast<std::size_t>(e)];
}

}  // namespace

TEST_SUITE("model") {
  // ---- 1. IdScheme::sequential ----

  TEST_CASE("sequential ids: 1, 2, ... per kind in creation order, read and listed by them") {
    mctest::VirtualCloud vc(with_model({.ids = IdScheme::sequential}));
    auto a = vc.env("a");
    auto b = vc.env("b");
    CHECK(a.id == "1");
    CHECK(b.id == "2");
    auto g1 = vc.cloud.create_security_group({.name = "g1", .environment_id = a.id});
    auto g2 = vc.cloud.create_security_group({.name = "g2", .environment_id = b.id});
    REQUIRE(g1.has_value());
    REQUIRE(g2.has_value());
    CHECK(g1->id == "1");
    CHECK(g2->id == "2");
    auto v1 = vc.vm("v1", a.id);
    auto v2 = vc.vm("v2", b.id);
    auto v3 = vc.vm("v3", a.id);
    CHECK(v1.id() == "1");
    CHECK(v2.id() == "2");
    CHECK(v3.id() == "3");
    auto d1 = vc.volume("d1", b.id);
    auto d2 = vc.volume("d2", a.id);
    CHECK(d1.id() == "1");
    CHECK(d2.id() == "2");
    // Tasks are not resources: their ids stay random UUIDs.
    CHECK(mctest::is_uuid_v4(v1.task_id()));
    CHECK(mctest::is_uuid_v4(d1.task_id()));

    CHECK(vc.cloud.get_environment("2")->name == "b");
    CHECK(vc.cloud.get_security_group("1")->name == "g1");
    CHECK(vc.cloud.get_vm("3")->name == "v3");
    CHECK(vc.cloud.get_vm("2")->environment_id == "2");
    CHECK(vc.cloud.get_volume("2")->name == "d2");
    CHECK(vc.cloud.get_volume("1")->environment_id == "2");
    CHECK(vc.cloud.get_task(v3.task_id())->resource_id == "3");
    CHECK(kind_of(vc.cloud.get_vm("4")) == "not_found");
    CHECK(kind_of(vc.cloud.get_environment("3")) == "not_found");

    CHECK(ids_of(vc.cloud.list_environments().items) == strings({"1", "2"}));
    CHECK(ids_of(vc.cloud.list_security_groups().items) == strings({"1", "2"}));
    CHECK(ids_of(vc.cloud.list_vms().items) == strings({"1", "2", "3"}));
    CHECK(ids_of(vc.cloud.list_vms({.environment_id = "1"}).items) == strings({"1", "3"}));
    CHECK(ids_of(vc.cloud.list_volumes().items) == strings({"1", "2"}));

    // A deleted VM's number is not given again.
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.delete_vm("3").has_value());
    vc.clock.run_until_idle();
    REQUIRE(kind_of(vc.cloud.get_vm("3")) == "not_found");
    CHECK(vc.vm("v4", a.id).id() == "4");
    CHECK(vc.env("c").id == "3");

    SUBCASE("a reset starts every kind again at 1") {
      vc.cloud.reset();
      auto e = vc.env("after-reset");
      CHECK(e.id == "1");
      CHECK(vc.cloud.create_security_group({.name = "g", .environment_id = e.id})->id == "1");
      CHECK(vc.vm("v", e.id).id() == "1");
      CHECK(vc.volume("d", e.id).id() == "1");
    }
  }

  TEST_CASE("the default id scheme still gives random UUIDs") {
    mctest::VirtualCloud vc(with_model({}));
    auto e = vc.env("a");
    CHECK(mctest::is_uuid_v4(e.id));
    auto sg = vc.cloud.create_security_group({.name = "g", .environment_id = e.id});
    REQUIRE(sg.has_value());
    CHECK(mctest::is_uuid_v4(sg->id));
    CHECK(mctest::is_uuid_v4(vc.vm("v", e.id).id()));
    CHECK(mctest::is_uuid_v4(vc.volume("d", e.id).id()));
    CHECK(kind_of(vc.cloud.get_vm("1")) == "not_found");
  }

  TEST_CASE("the same seed gives the same outcomes under either id scheme") {
    Settings s;
    s.worker_failure_rate = 0.4;
    s.vm_creation_time_min = s.volume_creation_time_min = 10;
    s.vm_creation_time_max = s.volume_creation_time_max = 60;
    using VmOutcome = std::tuple<std::string, VmStatus, std::optional<mockcloud::Ipv4Address>,
                                 std::optional<std::string>, mockcloud::TimePoint>;
    using VolumeOutcome =
        std::tuple<std::string, VolumeStatus, std::optional<std::string>, mockcloud::TimePoint>;
    struct Outcomes {
      std::vector<VmOutcome> vms;
      std::vector<VolumeOutcome> volumes;
    };
    auto run = [&](IdScheme ids) {
      mctest::VirtualCloud vc(with_model({.ids = ids}, s, 7));
      auto small = vc.env("small", "10.9.0.0/28");  // 14 hosts for 16 VMs: some find none
      auto big = vc.env("big");
      for (int i = 0; i < 16; ++i)
        vc.vm("s-" + std::to_string(i), small.id);
      for (int i = 0; i < 6; ++i) {
        vc.vm("b-" + std::to_string(i), big.id);
        vc.volume("d-" + std::to_string(i), i % 2 ? big.id : small.id);
      }
      vc.clock.run_until_idle();
      Outcomes out;
      for (const auto& v : vc.cloud.list_vms({}, {0, 1000}).items)
        out.vms.emplace_back(v.name, v.status, v.ip_address, v.error, v.updated_at);
      for (const auto& v : vc.cloud.list_volumes({}, {0, 1000}).items)
        out.volumes.emplace_back(v.name, v.status, v.error, v.updated_at);
      // By name: a list is in (created_at, id) order, and these were all created at one instant.
      std::sort(out.vms.begin(), out.vms.end());
      std::sort(out.volumes.begin(), out.volumes.end());
      return out;
    };
    const Outcomes uuid = run(IdScheme::uuid);
    const Outcomes sequential = run(IdScheme::sequential);
    REQUIRE(uuid.vms.size() == 22);
    CHECK(uuid.vms == sequential.vms);
    CHECK(uuid.volumes == sequential.volumes);
    // Not a vacuous comparison: both outcomes occur.
    auto count = [&](VmStatus st) {
      return std::count_if(uuid.vms.begin(), uuid.vms.end(),
                           [&](const VmOutcome& o) { return std::get<1>(o) == st; });
    };
    CHECK(count(VmStatus::running) > 0);
    CHECK(count(VmStatus::error) > 0);
  }

  // ---- 2. the pending stage ----

  TEST_CASE("pending stage: a VM is pending, then creating 0.1-1 s later, then running") {
    mctest::VirtualCloud vc(with_model({.pending_stage = true}));
    auto e = vc.env("dev");
    auto op = vc.vm("web", e.id);
    const auto t0 = vc.clock.now();
    const Vm& vm = op.resource();
    CHECK(vm.status == VmStatus::pending);
    CHECK(vm.progress == 0);
    auto task = vc.cloud.get_task(vm.task_id).value();
    CHECK(task.state == TaskState::pending);
    CHECK_FALSE(task.settled());
    CHECK(task.created_at == t0);
    CHECK(task.eta == t0 + 10s);  // the queue does not delay the completion
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::pending) == 1);
    CHECK(count_of(vc.cloud.status_counts().tasks, TaskState::pending) == 1);
    CHECK(vc.cloud.list_vms({.status = VmStatus::pending}).total == 1);
    CHECK(ids_of(vc.cloud.list_tasks({.state = TaskState::pending}).items) ==
          strings({vm.task_id}));

    // A queued creation has not settled: nothing waiting on it returns or is called yet.
    CHECK_FALSE(op.ready());
    CHECK(mctest::thrown_kind([&] { op.wait(); }) == ErrorKind::not_settled);
    CHECK_FALSE(op.wait_for(0ms).has_value());
    std::optional<Task> settled;
    op.on_settled([&](const Task& t) { settled = t; });
    CHECK_FALSE(settled.has_value());

    vc.clock.advance(50ms);
    CHECK(vc.cloud.get_vm(vm.id)->status == VmStatus::pending);
    CHECK(vc.cloud.get_vm(vm.id)->progress == 0);
    CHECK(vc.cloud.get_task(vm.task_id)->state == TaskState::pending);
    vc.clock.advance_to(t0 + 99ms);
    CHECK(vc.cloud.get_vm(vm.id)->status == VmStatus::pending);

    vc.clock.advance_to(t0 + 1s);
    auto creating = vc.cloud.get_vm(vm.id).value();
    CHECK(creating.status == VmStatus::creating);
    CHECK(creating.updated_at >= t0 + 100ms);  // when the worker picked it up
    CHECK(creating.updated_at <= t0 + 1s);
    CHECK(creating.progress <= 10);
    CHECK(vc.cloud.get_task(vm.task_id)->state == TaskState::started);
    CHECK(count_of(vc.cloud.status_counts().tasks, TaskState::pending) == 0);
    CHECK(count_of(vc.cloud.status_counts().tasks, TaskState::started) == 1);
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::creating) == 1);
    CHECK(vc.cloud.list_tasks({.state = TaskState::pending}).total == 0);
    CHECK(ids_of(vc.cloud.list_tasks({.state = TaskState::started}).items) ==
          strings({vm.task_id}));
    CHECK_FALSE(op.ready());
    CHECK_FALSE(settled.has_value());

    vc.clock.advance_to(t0 + 10s - 1ms);
    CHECK(vc.cloud.get_vm(vm.id)->status == VmStatus::creating);
    vc.clock.advance_to(t0 + 10s);
    auto running = vc.cloud.get_vm(vm.id).value();
    CHECK(running.status == VmStatus::running);
    CHECK(running.ip_address.has_value());
    CHECK(running.progress == 100);
    REQUIRE(op.ready());
    CHECK(op.wait().state == TaskState::success);
    CHECK(op.wait().finished_at == t0 + 10s);
    REQUIRE(settled.has_value());
    CHECK(settled->state == TaskState::success);
  }

  TEST_CASE("pending stage: a volume is pending, then creating 0.1-1 s later, then available") {
    mctest::VirtualCloud vc(with_model({.pending_stage = true}));
    auto e = vc.env("dev");
    auto op = vc.volume("data", e.id);
    const auto t0 = vc.clock.now();
    CHECK(op.resource().status == VolumeStatus::pending);
    CHECK(op.resource().progress == 0);
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::pending);
    CHECK(count_of(vc.cloud.status_counts().volumes, VolumeStatus::pending) == 1);
    CHECK_FALSE(op.ready());
    vc.clock.advance(50ms);
    CHECK(vc.cloud.get_volume(op.id())->status == VolumeStatus::pending);
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::pending);
    vc.clock.advance_to(t0 + 1s);
    auto creating = vc.cloud.get_volume(op.id()).value();
    CHECK(creating.status == VolumeStatus::creating);
    CHECK(creating.updated_at >= t0 + 100ms);
    CHECK(creating.updated_at <= t0 + 1s);
    CHECK(vc.cloud.get_task(op.task_id())->state == TaskState::started);
    CHECK_FALSE(op.ready());
    vc.clock.advance_to(t0 + 10s);
    CHECK(vc.cloud.get_volume(op.id())->status == VolumeStatus::available);
    REQUIRE(op.ready());
    CHECK(op.wait().state == TaskState::success);
  }

  TEST_CASE("pending stage: pickups are spread over 0.1-1 s, each drawn for its creation") {
    mctest::VirtualCloud vc(with_model({.pending_stage = true}));
    auto e = vc.env("dev");
    const auto t0 = vc.clock.now();
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i)
      ids.push_back(vc.vm("vm-" + std::to_string(i), e.id).id());
    vc.clock.advance_to(t0 + 1s);
    std::set<mockcloud::TimePoint> pickups;
    for (const auto& id : ids) {
      auto v = vc.cloud.get_vm(id).value();
      CHECK(v.status == VmStatus::creating);
      CHECK(v.updated_at >= t0 + 100ms);
      CHECK(v.updated_at <= t0 + 1s);
      pickups.insert(v.updated_at);
    }
    CHECK(pickups.size() > 1);
  }

  TEST_CASE("pending stage: deleting a pending VM or volume revokes its creation") {
    mctest::VirtualCloud vc(with_model({.pending_stage = true}));
    auto e = vc.env("dev");
    auto vm = vc.vm("doomed", e.id);
    auto vol = vc.volume("doomed-data", e.id);
    const auto t0 = vc.clock.now();
    auto del = vc.cloud.delete_vm(vm.id());
    REQUIRE_MESSAGE(del.has_value(), mctest::describe(del.error()));
    CHECK(del->resource().status == VmStatus::deleting);
    CHECK(del->task_id() != vm.task_id());
    auto creation = vc.cloud.get_task(vm.task_id()).value();
    CHECK(creation.state == TaskState::revoked);
    CHECK(creation.finished_at == t0);
    REQUIRE(vm.ready());
    CHECK(vm.wait().state == TaskState::revoked);
    auto del_vol = vc.cloud.delete_volume(vol.id());
    REQUIRE(del_vol.has_value());
    CHECK(vc.cloud.get_task(vol.task_id())->state == TaskState::revoked);
    CHECK(count_of(vc.cloud.status_counts().tasks, TaskState::pending) == 0);
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::pending) == 0);

    // The revoked creation is never picked up: the resources stay deleting, then go.
    vc.clock.advance(1s);
    CHECK(vc.cloud.get_vm(vm.id())->status == VmStatus::deleting);
    CHECK(vc.cloud.get_volume(vol.id())->status == VolumeStatus::deleting);
    CHECK(vc.cloud.get_task(vm.task_id())->state == TaskState::revoked);
    vc.clock.advance(1s);
    CHECK(kind_of(vc.cloud.get_vm(vm.id())) == "not_found");
    CHECK(kind_of(vc.cloud.get_volume(vol.id())) == "not_found");
    CHECK(del->wait().state == TaskState::success);
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::creating) == 0);
  }

  TEST_CASE("pending stage with zero creation times: pickup, then completion, at one instant") {
    auto store = std::make_shared<MemoryStore>();
    VirtualClock clock;
    ManagerOptions o = with_model({.pending_stage = true});
    o.store = store;
    ResourceManager cloud(std::move(o), clock);
    REQUIRE(cloud
                .update_settings({{{"vm_creation_time_min", 0},
                                   {"vm_creation_time_max", 0},
                                   {"volume_creation_time_min", 0},
                                   {"volume_creation_time_max", 0}}})
                .has_value());
    auto e = cloud.create_environment({.name = "dev"}).value();
    const auto t0 = clock.now();
    auto vm = cloud.create_vm(vm_spec("fast", e.id)).value();
    CHECK(vm.resource().status == VmStatus::pending);
    CHECK(cloud.get_task(vm.task_id())->eta == t0);
    CHECK_FALSE(vm.ready());

    clock.advance(0s);
    CHECK(clock.now() == t0);
    auto v = cloud.get_vm(vm.id()).value();
    CHECK(v.status == VmStatus::running);
    CHECK(v.ip_address.has_value());
    auto t = cloud.get_task(vm.task_id()).value();
    CHECK(t.state == TaskState::success);
    CHECK(t.finished_at == t0);
    // The journal says in which order: picked up first, then completed, both at t0.
    CHECK(store->kinds_starting("task.") == strings({"task.picked_up", "task.completed"}));
    for (const auto& r : store->records)
      if (r.kind.starts_with("task.")) CHECK(r.at == t0.time_since_epoch().count());

    auto vol = cloud.create_volume(volume_spec("fast-data", e.id)).value();
    CHECK(vol.resource().status == VolumeStatus::pending);
    clock.advance(0s);
    CHECK(cloud.get_volume(vol.id())->status == VolumeStatus::available);
    CHECK(store->kinds_starting("task.") ==
          strings({"task.picked_up", "task.completed", "task.picked_up", "task.completed"}));
  }

  // ---- 3. keep_deleted ----

  TEST_CASE("keep_deleted: a deleted VM stays readable and listed, its name taken, its IP free") {
    mctest::VirtualCloud vc(with_model({.keep_deleted = true}));
    auto e = vc.env("dev", "10.1.0.0/28");  // 14 hosts
    std::vector<Vm> vms;
    for (int i = 0; i < 14; ++i)
      vms.push_back(vc.running_vm("vm-" + std::to_string(i), e.id));
    const Vm victim = vms[2];
    REQUIRE(victim.ip_address.has_value());
    const auto ip = *victim.ip_address;
    auto disk = vc.available_volume("disk", e.id);
    REQUIRE(vc.cloud.attach_volume(disk.id, victim.id).has_value());

    auto del = vc.cloud.delete_vm(victim.id).value();
    CHECK(del.resource().status == VmStatus::deleting);
    vc.clock.advance(2s);
    const auto done = vc.clock.now();
    auto kept = vc.cloud.get_vm(victim.id);
    REQUIRE_MESSAGE(kept.has_value(), mctest::describe(kept.error()));
    CHECK(kept->status == VmStatus::deleted);
    CHECK(kept->name == victim.name);
    CHECK(kept->ip_address == ip);  // the address it had
    CHECK(kept->progress == 100);
    CHECK(kept->task_id == del.task_id());
    CHECK(kept->updated_at == done);
    CHECK(kept->volume_ids.empty());  // its volumes were detached
    CHECK(vc.cloud.get_volume(disk.id)->status == VolumeStatus::available);
    REQUIRE(del.ready());
    CHECK(del.wait().state == TaskState::success);
    CHECK(del.get().status == VmStatus::deleted);

    auto all = vc.cloud.list_vms();
    CHECK(all.total == 14);
    CHECK(ids_of(all.items) == ids_of(vms));
    auto deleted = vc.cloud.list_vms({.status = VmStatus::deleted});
    REQUIRE(deleted.total == 1);
    REQUIRE(deleted.items.size() == 1);
    CHECK(deleted.items[0] == *kept);
    CHECK(vc.cloud.list_vms({.environment_id = e.id}).total == 14);
    CHECK(vc.cloud.list_vms({.environment_id = e.id, .status = VmStatus::deleted}).total == 1);
    CHECK(vc.cloud.list_vms({.name = victim.name}).total == 1);
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::deleted) == 1);
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::running) == 13);

    // Its name stays taken.
    CHECK(kind_of(vc.cloud.create_vm(vm_spec(victim.name, e.id))) == "conflict");

    // Its address went back to the pool: the only free one, the next VM takes it.
    auto fresh = vc.running_vm("fresh", e.id);
    CHECK(fresh.ip_address == ip);
    CHECK(vc.cloud.get_vm(victim.id)->ip_address == ip);

    // Deleting it again: the settled deletion task, nothing changed.
    const auto tasks_before = vc.cloud.counts().tasks;
    const Vm before = vc.cloud.get_vm(victim.id).value();
    const Task deletion = vc.cloud.get_task(del.task_id()).value();
    vc.clock.advance(5s);
    auto again = vc.cloud.delete_vm(victim.id);
    REQUIRE_MESSAGE(again.has_value(), mctest::describe(again.error()));
    CHECK(again->task_id() == del.task_id());
    CHECK(again->resource() == before);
    REQUIRE(again->ready());
    CHECK(again->wait() == deletion);
    CHECK(vc.cloud.counts().tasks == tasks_before);
    CHECK(vc.cloud.get_vm(victim.id).value() == before);
    CHECK(vc.cloud.get_task(del.task_id()).value() == deletion);
  }

  TEST_CASE("keep_deleted: a deleted volume stays readable and listed, its name taken") {
    mctest::VirtualCloud vc(with_model({.keep_deleted = true}));
    auto e = vc.env("dev");
    auto other = vc.available_volume("other", e.id);
    auto vol = vc.available_volume("data", e.id);
    auto del = vc.cloud.delete_volume(vol.id).value();
    CHECK(del.resource().status == VolumeStatus::deleting);
    vc.clock.advance(2s);
    auto kept = vc.cloud.get_volume(vol.id);
    REQUIRE_MESSAGE(kept.has_value(), mctest::describe(kept.error()));
    CHECK(kept->status == VolumeStatus::deleted);
    CHECK(kept->progress == 100);
    CHECK(kept->task_id == del.task_id());
    CHECK(del.wait().state == TaskState::success);
    CHECK(vc.cloud.list_volumes().total == 2);
    CHECK(ids_of(vc.cloud.list_volumes().items) == strings({other.id, vol.id}));
    auto deleted = vc.cloud.list_volumes({.status = VolumeStatus::deleted});
    REQUIRE(deleted.total == 1);
    REQUIRE(deleted.items.size() == 1);
    CHECK(deleted.items[0] == *kept);
    CHECK(vc.cloud.list_volumes({.environment_id = e.id}).total == 2);
    CHECK(count_of(vc.cloud.status_counts().volumes, VolumeStatus::deleted) == 1);

    CHECK(kind_of(vc.cloud.create_volume(volume_spec("data", e.id))) == "conflict");
    // Not attachable.
    auto vm = vc.running_vm("vm", e.id);
    CHECK(kind_of(vc.cloud.attach_volume(vol.id, vm.id)) == "conflict");

    const auto tasks_before = vc.cloud.counts().tasks;
    const Volume before = vc.cloud.get_volume(vol.id).value();
    const Task deletion = vc.cloud.get_task(del.task_id()).value();
    auto again = vc.cloud.delete_volume(vol.id);
    REQUIRE_MESSAGE(again.has_value(), mctest::describe(again.error()));
    CHECK(again->task_id() == del.task_id());
    CHECK(again->resource() == before);
    CHECK(again->wait() == deletion);
    CHECK(vc.cloud.counts().tasks == tasks_before);
    CHECK(vc.cloud.get_volume(vol.id).value() == before);
  }

  TEST_CASE("keep_deleted: deleting the environment forgets its deleted resources") {
    mctest::VirtualCloud vc(with_model({.keep_deleted = true}));
    auto e = vc.env("dev");
    auto keep_env = vc.env("other");
    auto a = vc.running_vm("a", e.id);
    auto b = vc.running_vm("b", e.id);
    auto elsewhere = vc.running_vm("a", keep_env.id);
    auto d = vc.available_volume("d", e.id);
    auto live_volume = vc.available_volume("live", e.id);
    auto del_a = vc.cloud.delete_vm(a.id).value();
    vc.cloud.delete_volume(d.id).value();
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.get_vm(a.id)->status == VmStatus::deleted);
    REQUIRE(vc.cloud.get_volume(d.id)->status == VolumeStatus::deleted);

    // A live VM blocks it, and so does a live volume.
    CHECK(kind_of(vc.cloud.delete_environment(e.id)) == "conflict");
    vc.cloud.delete_vm(b.id).value();
    vc.clock.run_until_idle();
    CHECK(kind_of(vc.cloud.delete_environment(e.id)) == "conflict");
    vc.cloud.delete_volume(live_volume.id).value();
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.list_vms({.environment_id = e.id}).total == 2);
    REQUIRE(vc.cloud.list_volumes({.environment_id = e.id}).total == 2);

    // Everything in it deleted: it goes, and its deleted resources with it.
    auto gone = vc.cloud.delete_environment(e.id);
    REQUIRE_MESSAGE(gone.has_value(), mctest::describe(gone.error()));
    CHECK(kind_of(vc.cloud.get_environment(e.id)) == "not_found");
    CHECK(kind_of(vc.cloud.get_vm(a.id)) == "not_found");
    CHECK(kind_of(vc.cloud.get_vm(b.id)) == "not_found");
    CHECK(kind_of(vc.cloud.get_volume(d.id)) == "not_found");
    CHECK(kind_of(vc.cloud.get_volume(live_volume.id)) == "not_found");
    CHECK(ids_of(vc.cloud.list_vms().items) == strings({elsewhere.id}));
    CHECK(vc.cloud.list_volumes().total == 0);
    CHECK(vc.cloud.list_vms({.status = VmStatus::deleted}).total == 0);
    CHECK(count_of(vc.cloud.status_counts().vms, VmStatus::deleted) == 0);
    CHECK(count_of(vc.cloud.status_counts().volumes, VolumeStatus::deleted) == 0);
    CHECK(vc.cloud.counts().vms == 1);
    // Their tasks stay readable, as those of any resource that is gone.
    CHECK(vc.cloud.get_task(del_a.task_id())->state == TaskState::success);

    // The names are free again in a new environment of the same name.
    auto again = vc.env("dev");
    CHECK(vc.running_vm("a", again.id).status == VmStatus::running);
    CHECK(vc.available_volume("d", again.id).status == VolumeStatus::available);
  }

  // ---- 4. Scope::cloud for security groups ----

  TEST_CASE("cloud-wide security groups: no environment, any VM's, deleting one frees its VMs") {
    mctest::VirtualCloud vc(with_model({.keep_deleted = true, .security_groups = Scope::cloud}));
    auto a = vc.env("a");
    auto b = vc.env("b");
    auto created = vc.cloud.create_security_group({.name = "web", .rules_text = "[]"});
    REQUIRE_MESSAGE(created.has_value(), mctest::describe(created.error()));
    const auto sg = *created;
    CHECK(sg.environment_id.empty());
    CHECK(sg.rules_text == "[]");
    CHECK(vc.cloud.get_security_group(sg.id)->name == "web");
    CHECK(ids_of(vc.cloud.list_security_groups().items) == strings({sg.id}));
    CHECK(ids_of(vc.cloud.list_security_groups({.name = "web"}).items) == strings({sg.id}));

    auto with_env = vc.cloud.create_security_group({.name = "x", .environment_id = a.id});
    REQUIRE_FALSE(with_env.has_value());
    CHECK(with_env.error().kind == ErrorKind::invalid);
    CHECK(mctest::locs(with_env.error()) == strings({"[\"environment_id\"]"}));
    CHECK(mctest::contains_ci(with_env.error().fields.at(0).msg, "environment"));
    // Its name is unique across the cloud: it belongs to no environment.
    CHECK(kind_of(vc.cloud.create_security_group({.name = "web"})) == "conflict");

    auto use = [&](const std::string& name, const std::string& env) {
      auto op = vc.cloud.create_vm(vm_spec(name, env, {sg.id}));
      REQUIRE_MESSAGE(op.has_value(), mctest::describe(op.error()));
      vc.clock.run_until_idle();
      auto v = op->get();
      REQUIRE(v.status == VmStatus::running);
      CHECK(v.security_group_ids == strings({sg.id}));
      return v;
    };
    auto in_a = use("in-a", a.id);
    auto in_b = use("in-b", b.id);
    auto old = use("old", a.id);
    vc.cloud.delete_vm(old.id).value();
    vc.clock.run_until_idle();
    REQUIRE(vc.cloud.get_vm(old.id)->status == VmStatus::deleted);
    CHECK(vc.cloud.get_vm(old.id)->security_group_ids == strings({sg.id}));

    vc.clock.advance(1s);
    auto deleted = vc.cloud.delete_security_group(sg.id);
    REQUIRE_MESSAGE(deleted.has_value(), mctest::describe(deleted.error()));
    CHECK(kind_of(vc.cloud.get_security_group(sg.id)) == "not_found");
    for (const auto& id : {in_a.id, in_b.id, old.id}) {
      CAPTURE(id);
      CHECK(vc.cloud.get_vm(id)->security_group_ids.empty());
    }
    CHECK(vc.cloud.get_vm(in_a.id)->updated_at == vc.clock.now());

    // A new group (in the slot the old one freed) is on none of them.
    auto next = vc.cloud.create_security_group({.name = "db"});
    REQUIRE(next.has_value());
    for (const auto& id : {in_a.id, in_b.id, old.id})
      CHECK(vc.cloud.get_vm(id)->security_group_ids.empty());
    // The VMs go as usual, and their environments with them; the new group stays.
    vc.cloud.delete_vm(in_a.id).value();
    vc.cloud.delete_vm(in_b.id).value();
    vc.clock.run_until_idle();
    CHECK(kind_of(vc.cloud.delete_environment(a.id)) == "ok");
    CHECK(kind_of(vc.cloud.delete_environment(b.id)) == "ok");
    CHECK(vc.cloud.get_security_group(next->id).has_value());
  }

  TEST_CASE("environment-scoped security groups (the default) still need their environment") {
    mctest::VirtualCloud vc(with_model({}));
    auto a = vc.env("a");
    auto sg = vc.cloud.create_security_group({.name = "web", .environment_id = a.id});
    REQUIRE(sg.has_value());
    CHECK(sg->environment_id == a.id);
    CHECK(kind_of(vc.cloud.create_security_group({.name = "nowhere"})) == "not_found");
    REQUIRE(vc.cloud.create_vm(vm_spec("user", a.id, {sg->id})).has_value());
    CHECK(kind_of(vc.cloud.delete_security_group(sg->id)) == "conflict");
  }

  // ---- 5. Scope::cloud for names ----

  TEST_CASE("cloud-wide names: the same name in two environments conflicts") {
    mctest::VirtualCloud vc(with_model({.names = Scope::cloud}));
    auto a = vc.env("a");
    auto b = vc.env("b");
    auto web = vc.vm("web", a.id);
    auto clash = vc.cloud.create_vm(vm_spec("web", b.id));
    REQUIRE_FALSE(clash.has_value());
    CHECK(clash.error().kind == ErrorKind::conflict);
    CHECK(mctest::contains_ci(clash.error().message, "'web'"));
    auto data = vc.volume("data", a.id);
    CHECK(kind_of(vc.cloud.create_volume(volume_spec("data", b.id))) == "conflict");
    auto g = vc.cloud.create_security_group({.name = "g", .environment_id = a.id});
    REQUIRE(g.has_value());
    CHECK(kind_of(vc.cloud.create_security_group({.name = "g", .environment_id = b.id})) ==
          "conflict");

    // Found by name, across the cloud or in its environment.
    CHECK(ids_of(vc.cloud.list_vms({.name = "web"}).items) == strings({web.id()}));
    CHECK(vc.cloud.list_vms({.environment_id = a.id, .name = "web"}).total == 1);
    CHECK(vc.cloud.list_vms({.environment_id = b.id, .name = "web"}).total == 0);
    CHECK(ids_of(vc.cloud.list_volumes({.name = "data"}).items) == strings({data.id()}));
    CHECK(vc.cloud.list_volumes({.environment_id = b.id, .name = "data"}).total == 0);
    CHECK(ids_of(vc.cloud.list_security_groups({.name = "g"}).items) == strings({g->id}));
    CHECK(vc.cloud.list_security_groups({.environment_id = a.id, .name = "g"}).total == 1);
    CHECK(vc.cloud.list_security_groups({.environment_id = b.id, .name = "g"}).total == 0);

    // Once the VM is gone, its name is free anywhere.
    vc.cloud.delete_vm(web.id()).value();
    vc.clock.run_until_idle();
    auto moved = vc.cloud.create_vm(vm_spec("web", b.id));
    REQUIRE_MESSAGE(moved.has_value(), mctest::describe(moved.error()));
  }

  TEST_CASE("environment-scoped names (the default): the same name in two environments is fine") {
    mctest::VirtualCloud vc(with_model({}));
    auto a = vc.env("a");
    auto b = vc.env("b");
    vc.vm("web", a.id);
    auto second = vc.cloud.create_vm(vm_spec("web", b.id));
    REQUIRE_MESSAGE(second.has_value(), mctest::describe(second.error()));
    CHECK(kind_of(vc.cloud.create_volume(volume_spec("data", a.id))) == "ok");
    CHECK(kind_of(vc.cloud.create_volume(volume_spec("data", b.id))) == "ok");
    CHECK(kind_of(vc.cloud.create_security_group({.name = "g", .environment_id = a.id})) == "ok");
    CHECK(kind_of(vc.cloud.create_security_group({.name = "g", .environment_id = b.id})) == "ok");
    CHECK(vc.cloud.list_vms({.name = "web"}).total == 2);
    // Within one environment it still conflicts.
    CHECK(kind_of(vc.cloud.create_vm(vm_spec("web", a.id))) == "conflict");
  }

  // ---- 6. NameRule::free_text ----

  TEST_CASE("free-text names: 1 to 100 characters of any kind") {
    mctest::VirtualCloud vc(with_model({.name_rule = NameRule::free_text}));
    std::string name100 = "my web server #1 (staging)";
    name100.resize(100, 'x');
    REQUIRE(name100.size() == 100);
    auto e = vc.cloud.create_environment({.name = "my environment"});
    REQUIRE_MESSAGE(e.has_value(), mctest::describe(e.error()));

    auto vm = vc.cloud.create_vm(vm_spec(name100, e->id));
    REQUIRE_MESSAGE(vm.has_value(), mctest::describe(vm.error()));
    CHECK(vm->resource().name == name100);
    CHECK(kind_of(vc.cloud.create_volume(volume_spec("my data, 1", e->id))) == "ok");
    CHECK(kind_of(vc.cloud.create_security_group({.name = "web & db", .environment_id = e->id})) ==
          "ok");

    auto too_long = vc.cloud.create_vm(vm_spec(name100 + "x", e->id));
    REQUIRE_FALSE(too_long.has_value());
    CHECK(too_long.error().kind == ErrorKind::invalid);
    CHECK(mctest::locs(too_long.error()) == strings({"[\"name\"]"}));
    CHECK(field_type(too_long, "name") == "string_too_long");
    CHECK(field_type(vc.cloud.create_vm(vm_spec("", e->id)), "name") == "string_too_short");
    CHECK(field_type(vc.cloud.create_environment({.name = name100 + "x"}), "name") ==
          "string_too_long");

    // Characters, not bytes: 100 two-byte characters are a name, 101 are too many.
    std::string accents;
    for (int i = 0; i < 100; ++i)
      accents += "\xc3\xa9";  // é
    auto accented = vc.cloud.create_vm(vm_spec(accents, e->id));
    CHECK_MESSAGE(accented.has_value(), mctest::describe(accented.error()));
    CHECK(field_type(vc.cloud.create_vm(vm_spec(accents + "\xc3\xa9", e->id)), "name") ==
          "string_too_long");
    // 100 four-byte characters (400 bytes): a name like any other, unique and found by name.
    std::string faces;
    for (int i = 0; i < 100; ++i)
      faces += "\xf0\x9f\x98\x80";  // U+1F600
    auto smiling = vc.cloud.create_vm(vm_spec(faces, e->id));
    REQUIRE_MESSAGE(smiling.has_value(), mctest::describe(smiling.error()));
    CHECK(smiling->resource().name == faces);
    CHECK(kind_of(vc.cloud.create_vm(vm_spec(faces, e->id))) == "conflict");
    std::string other_faces = faces.substr(0, faces.size() - 4) + "\xf0\x9f\x98\x81";
    CHECK(kind_of(vc.cloud.create_vm(vm_spec(other_faces, e->id))) == "ok");
    CHECK(ids_of(vc.cloud.list_vms({.name = faces}).items) == strings({smiling->id()}));
    CHECK(field_type(vc.cloud.create_vm(vm_spec(faces + "\xf0\x9f\x98\x80", e->id)), "name") ==
          "string_too_long");
  }

  TEST_CASE("strict names (the default): a space is a pattern mismatch") {
    mctest::VirtualCloud vc(with_model({}));
    auto e = vc.env("dev");
    for (const char* name : {"my vm", "web 1"}) {
      CAPTURE(name);
      auto r = vc.cloud.create_vm(vm_spec(name, e.id));
      REQUIRE_FALSE(r.has_value());
      CHECK(r.error().kind == ErrorKind::invalid);
      CHECK(mctest::locs(r.error()) == strings({"[\"name\"]"}));
      CHECK(field_type(r, "name") == "string_pattern_mismatch");
    }
    CHECK(field_type(vc.cloud.create_environment({.name = "my env"}), "name") ==
          "string_pattern_mismatch");
    CHECK(field_type(vc.cloud.create_vm(vm_spec(std::string(64, 'x'), e.id)), "name") ==
          "string_too_long");
  }

  // ---- 7. VolumeSpec::vm_id ----

  TEST_CASE("a volume created with a running VM's id ends attached to it") {
    for (const CloudModel& model : {CloudModel{}, CloudModel::original()}) {
      CAPTURE(model.pending_stage);
      mctest::VirtualCloud vc(with_model(model));
      auto e = vc.env("dev");
      auto vm = vc.running_vm("host", e.id);
      auto op = vc.cloud.create_volume(volume_spec("disk", e.id, vm.id));
      REQUIRE_MESSAGE(op.has_value(), mctest::describe(op.error()));
      CHECK_FALSE(op->resource().vm_id.has_value());
      vc.clock.run_until_idle();
      auto vol = op->get();
      CHECK(vol.status == VolumeStatus::in_use);
      CHECK(vol.vm_id == vm.id);
      CHECK_FALSE(vol.error.has_value());
      CHECK(op->wait().state == TaskState::success);
      CHECK(vc.cloud.get_vm(vm.id)->volume_ids == strings({vol.id}));
      // Attached as by attach_volume: in use until detached.
      CHECK(kind_of(vc.cloud.delete_volume(vol.id)) == "conflict");
      auto detached = vc.cloud.detach_volume(vol.id);
      REQUIRE(detached.has_value());
      CHECK(detached->status == VolumeStatus::available);
      CHECK(vc.cloud.get_vm(vm.id)->volume_ids.empty());
    }
  }

  TEST_CASE("a volume whose VM is still creating when the volume is done fails") {
    Settings s = mctest::fixed_settings();
    s.vm_creation_time_min = s.vm_creation_time_max = 20;
    s.volume_creation_time_min = s.volume_creation_time_max = 5;
    mctest::VirtualCloud vc(with_model({}, s));
    auto e = vc.env("dev");
    auto vm = vc.vm("slow", e.id);
    auto op = vc.cloud.create_volume(volume_spec("disk", e.id, vm.id()));
    REQUIRE_MESSAGE(op.has_value(), mctest::describe(op.error()));
    vc.clock.advance(5s);
    auto vol = vc.cloud.get_volume(op->id()).value();
    CHECK(vol.status == VolumeStatus::error);
    REQUIRE(vol.error.has_value());
    CHECK(mctest::contains_ci(*vol.error, vm.id()));
    CHECK_FALSE(vol.vm_id.has_value());
    auto task = op->wait();
    CHECK(task.state == TaskState::failure);
    CHECK(task.error == vol.error);
    vc.clock.advance(15s);
    auto v = vc.cloud.get_vm(vm.id()).value();
    CHECK(v.status == VmStatus::running);
    CHECK(v.volume_ids.empty());
  }

  TEST_CASE("a volume's vm_id must name a VM of its environment") {
    mctest::VirtualCloud vc(with_model({}));
    auto a = vc.env("a");
    auto b = vc.env("b");
    auto in_b = vc.running_vm("in-b", b.id);
    CHECK(kind_of(vc.cloud.create_volume(
              volume_spec("d1", a.id, "00000000-0000-4000-8000-000000000000"))) == "not_found");
    CHECK(kind_of(vc.cloud.create_volume(volume_spec("d2", a.id, in_b.id))) == "conflict");
    CHECK(vc.cloud.counts().volumes == 0);
  }

  // ---- 8. persistence ----

  TEST_CASE("a journal of the original model restarts with the same state and timers") {
    TempDir dir;
    const Settings s = mctest::fixed_settings(0.0, 10.0, 2.0);
    auto options = [&](CloudModel m, bool with_store) {
      ManagerOptions o = with_model(m, s);
      if (with_store) o.store = mockcloud::open_sqlite_store(dir.path);
      return o;
    };
    // The same history, on a manager that restarts and on one that does not.
    struct Late {
      std::string vm, volume;
    };
    auto history = [](ResourceManager& m, VirtualClock& clock) {
      auto a = m.create_environment({.name = "a"}).value();
      auto b = m.create_environment({.name = "b", .cidr = "192.168.7.0/28"}).value();
      auto sg = m.create_security_group({.name = "web", .rules_text = "[{\"port\": 80}]"}).value();
      for (int i = 0; i < 3; ++i)
        m.create_vm(vm_spec("web " + std::to_string(i), a.id, {sg.id})).value();
      m.create_vm(vm_spec("db", b.id)).value();
      m.add_fault({.operation = mockcloud::TaskKind::vm_create, .fail_next = 1}).value();
      m.create_vm(vm_spec("broken", b.id)).value();
      m.create_volume(volume_spec("data 1", a.id)).value();
      m.create_volume(volume_spec("data 2", a.id)).value();
      clock.advance(11s);
      m.create_volume(volume_spec("attached", a.id, "1")).value();
      m.delete_vm("2").value();
      m.delete_volume("2").value();
      clock.advance(11s);
      // In flight at the restart: one creation started, one queued.
      m.create_vm(vm_spec("started", a.id)).value();
      clock.advance(2s);
      Late late;
      late.vm = m.create_vm(vm_spec("late", b.id)).value().id();
      late.volume = m.create_volume(volume_spec("late data", b.id)).value().id();
      clock.advance(50ms);
      return late;
    };

    State before;
    Late late;
    {
      VirtualClock clock;
      ResourceManager m(options(CloudModel::original(), true), clock);
      late = history(m, clock);
      before = state_of(m);
    }
    VirtualClock ref_clock;
    ResourceManager ref(options(CloudModel::original(), false), ref_clock);
    CHECK(history(ref, ref_clock).vm == late.vm);
    REQUIRE(state_of(ref) == before);

    // What the history left, so that the comparisons below compare something.
    CHECK(late.vm == "7");
    CHECK(late.volume == "4");
    CHECK(ids_of(before.envs) == strings({"1", "2"}));
    CHECK(ids_of(before.sgs) == strings({"1"}));
    CHECK(ids_of(before.vms) == strings({"1", "2", "3", "4", "5", "6", "7"}));
    CHECK(ids_of(before.volumes) == strings({"1", "2", "3", "4"}));
    CHECK(ref.get_vm("2")->status == VmStatus::deleted);
    CHECK(ref.get_vm("5")->status == VmStatus::error);
    CHECK(ref.get_vm("6")->status == VmStatus::creating);
    CHECK(ref.get_vm("7")->status == VmStatus::pending);
    CHECK(ref.get_volume("2")->status == VolumeStatus::deleted);
    CHECK(ref.get_volume("3")->status == VolumeStatus::in_use);
    CHECK(ref.get_volume("4")->status == VolumeStatus::pending);

    {
      VirtualClock clock;
      ResourceManager m(options(CloudModel::original(), true), clock);
      CHECK(m.model() == CloudModel::original());
      const State after = state_of(m);
      CHECK(after.now == before.now);
      CHECK(after.envs == before.envs);
      CHECK(after.sgs == before.sgs);
      CHECK(after.vms == before.vms);
      CHECK(after.volumes == before.volumes);
      CHECK(after.tasks == before.tasks);
      CHECK(m.get_vm(late.vm)->status == VmStatus::pending);
      CHECK(m.get_task(m.get_vm(late.vm)->task_id)->state == TaskState::pending);
      CHECK(m.get_volume(late.volume)->status == VolumeStatus::pending);
      // The numbering goes on after the restored ids.
      CHECK(m.create_environment({.name = "c"})->id == "3");
      CHECK(ref.create_environment({.name = "c"})->id == "3");

      // The queued creations are picked up when they would have been without the restart, and
      // complete likewise.
      for (auto step : {300ms, 300ms, 400ms, 5000ms, 10000ms}) {
        clock.advance(step);
        ref_clock.advance(step);
        CHECK(state_of(m) == state_of(ref));
      }
      CHECK(m.get_vm(late.vm)->status == VmStatus::running);
      CHECK(m.get_volume(late.volume)->status == VolumeStatus::available);
      CHECK(m.create_vm(vm_spec("next", "1"))->id() == "8");
    }

    // A manager of another model refuses the journal.
    for (const CloudModel& other : {CloudModel{}, CloudModel{.ids = IdScheme::sequential}}) {
      VirtualClock clock;
      std::string message;
      try {
        ResourceManager m(options(other, true), clock);
      } catch (const mockcloud::StoreError& e) {
        message = e.what();
      }
      INFO(message);
      CHECK(mctest::contains_ci(message, "model"));
    }
    // ... and leaves it as it was.
    VirtualClock clock;
    ResourceManager m(options(CloudModel::original(), true), clock);
    CHECK(m.get_vm("8")->name == "next");
    CHECK(m.get_vm("2")->status == VmStatus::deleted);
  }

  // ---- 9. CloudModel::original() ----

  TEST_CASE("CloudModel::original() is every option above together") {
    constexpr CloudModel original = CloudModel::original();
    CHECK(original.ids == IdScheme::sequential);
    CHECK(original.keep_deleted);
    CHECK(original.security_groups == Scope::cloud);
    CHECK(original.names == Scope::cloud);
    CHECK(original.name_rule == NameRule::free_text);
    CHECK(original.pending_stage);
    CHECK(original == CloudModel{.ids = IdScheme::sequential,
                                 .keep_deleted = true,
                                 .security_groups = Scope::cloud,
                                 .names = Scope::cloud,
                                 .name_rule = NameRule::free_text,
                                 .pending_stage = true});
    // The default is none of them, and each option alone makes a difference.
    const CloudModel standard;
    CHECK(standard.ids == IdScheme::uuid);
    CHECK_FALSE(standard.keep_deleted);
    CHECK(standard.security_groups == Scope::environment);
    CHECK(standard.names == Scope::environment);
    CHECK(standard.name_rule == NameRule::strict);
    CHECK_FALSE(standard.pending_stage);
    CHECK(standard != original);
    CloudModel m = original;
    m.ids = IdScheme::uuid;
    CHECK(m != original);
    m = original;
    m.keep_deleted = false;
    CHECK(m != original);
    m = original;
    m.security_groups = Scope::environment;
    CHECK(m != original);
    m = original;
    m.names = Scope::environment;
    CHECK(m != original);
    m = original;
    m.name_rule = NameRule::strict;
    CHECK(m != original);
    m = original;
    m.pending_stage = false;
    CHECK(m != original);
  }

  TEST_CASE("under CloudModel::original() the options work together") {
    mctest::VirtualCloud vc(with_model(CloudModel::original()));
    CHECK(vc.cloud.model() == CloudModel::original());
    auto a = vc.env("env one");
    auto b = vc.env("env two");
    CHECK(a.id == "1");
    auto sg = vc.cloud.create_security_group({.name = "open to all"});
    REQUIRE_MESSAGE(sg.has_value(), mctest::describe(sg.error()));
    CHECK(sg->id == "1");
    auto op = vc.cloud.create_vm(vm_spec("web server", a.id, {sg->id}));
    REQUIRE_MESSAGE(op.has_value(), mctest::describe(op.error()));
    CHECK(op->id() == "1");
    CHECK(op->resource().status == VmStatus::pending);
    CHECK(kind_of(vc.cloud.create_vm(vm_spec("web server", b.id))) == "conflict");
    vc.clock.run_until_idle();
    CHECK(op->get().status == VmStatus::running);
    vc.cloud.delete_vm("1").value();
    vc.clock.run_until_idle();
    CHECK(vc.cloud.get_vm("1")->status == VmStatus::deleted);
    CHECK(kind_of(vc.cloud.delete_security_group(sg->id)) == "ok");
    CHECK(vc.cloud.get_vm("1")->security_group_ids.empty());
    CHECK(kind_of(vc.cloud.delete_environment(a.id)) == "ok");
    CHECK(kind_of(vc.cloud.get_vm("1")) == "not_found");
    CHECK(vc.vm("web server", b.id).id() == "2");
  }
}
