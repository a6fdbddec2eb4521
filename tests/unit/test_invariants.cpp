// ResourceManager::check_invariants: empty on every state the library reaches (both cloud
// models, after creations, failures, attachments, deletions and a restore), and one violation
// of the right kind for each deliberately corrupted state.
#include <algorithm>
#include <string>
#include <vector>

#include "core.hpp"
#include "test_support.hpp"

namespace mockcloud::detail {
/// Reaches into a manager's state, to corrupt it on purpose.
struct TestAccess {
  static Core& core(ResourceManager& m) { return *m.core_; }
  static VmRecord& vm(ResourceManager& m, std::string_view id) {
    Core& c = core(m);
    return c.vms_[c.vms_.find(id)];
  }
  static VolumeRecord& volume(ResourceManager& m, std::string_view id) {
    Core& c = core(m);
    return c.volumes_[c.volumes_.find(id)];
  }
  static EnvRecord& env(ResourceManager& m, std::string_view id) {
    Core& c = core(m);
    return c.envs_[c.envs_.find(id)];
  }
  static SgRecord& sg(ResourceManager& m, std::string_view id) {
    Core& c = core(m);
    return c.sgs_[c.sgs_.find(id)];
  }
};
}  // namespace mockcloud::detail

using namespace mockcloud;
using detail::TestAccess;

namespace {

std::vector<std::string> kinds(const std::vector<Violation>& violations) {
  std::vector<std::string> out;
  for (const auto& v : violations)
    out.push_back(v.kind);
  return out;
}

bool has(const std::vector<Violation>& violations, std::string_view kind) {
  return std::any_of(violations.begin(), violations.end(),
                     [&](const Violation& v) { return v.kind == kind; });
}

/// A cloud with a running VM holding a volume, a second running VM, a security group in use,
/// and a VM that failed: zero-length steps, so everything settles at once.
struct Cloud {
  explicit Cloud(CloudModel model = {}) : manager(options(model), clock) {
    env = manager.create_environment({.name = "env", .cidr = "10.0.0.0/28"})->id;
    SecurityGroupSpec g{.name = "sg"};
    if (model.security_groups == Scope::environment) g.environment_id = env;
    sg = manager.create_security_group(g)->id;
    a = manager.create_vm({.name = "a", .environment_id = env, .security_group_ids = {sg}})
            ->resource()
            .id;
    b = manager.create_vm({.name = "b", .environment_id = env})->resource().id;
    vol =
        manager.create_volume({.name = "vol", .environment_id = env, .size_gb = 1})->resource().id;
    clock.advance(std::chrono::seconds(2));
    REQUIRE(manager.get_vm(a)->status == VmStatus::running);
    REQUIRE(manager.get_vm(b)->status == VmStatus::running);
    REQUIRE(manager.attach_volume(vol, a));
  }
  static ManagerOptions options(CloudModel model) {
    ManagerOptions o;
    o.seed = 42;
    o.model = model;
    o.settings.worker_failure_rate = 0;
    o.settings.vm_creation_time_min = o.settings.vm_creation_time_max = 0;
    o.settings.volume_creation_time_min = o.settings.volume_creation_time_max = 0;
    o.settings.vm_deletion_time_min = o.settings.vm_deletion_time_max = 0;
    o.settings.volume_deletion_time_min = o.settings.volume_deletion_time_max = 0;
    return o;
  }
  VirtualClock clock;
  ResourceManager manager;
  std::string env, sg, a, b, vol;
};

}  // namespace

TEST_SUITE("invariants") {
  TEST_CASE("hold on every state the library reaches, under both models") {
    for (CloudModel model : {CloudModel{}, CloudModel::original()}) {
      CAPTURE(model.keep_deleted);
      Cloud c(model);
      CHECK(c.manager.check_invariants().empty());
      // In flight: a VM creating (and pending under the original model), a deletion running.
      REQUIRE(c.manager.update_settings({{{"vm_creation_time_min", 30},
                                          {"vm_creation_time_max", 30},
                                          {"vm_deletion_time_min", 5},
                                          {"vm_deletion_time_max", 5}}}));
      const auto late = c.manager.create_vm({.name = "late", .environment_id = c.env})->resource();
      REQUIRE(c.manager.delete_vm(c.b));
      CHECK(c.manager.check_invariants().empty());
      c.clock.advance(std::chrono::seconds(1));
      CHECK(c.manager.check_invariants().empty());
      // Failures, detaching, deleting with a volume attached, a revoked creation.
      REQUIRE(c.manager.update_settings({{{"worker_failure_rate", 1}}}));
      (void)c.manager.create_vm({.name = "doomed", .environment_id = c.env});
      REQUIRE(c.manager.delete_vm(late.id));
      REQUIRE(c.manager.delete_vm(c.a));  // detaches the volume once it is deleted
      c.clock.advance(std::chrono::seconds(60));
      CHECK(c.manager.get_volume(c.vol)->status == VolumeStatus::available);
      CHECK(c.manager.check_invariants().empty());
      REQUIRE(c.manager.delete_volume(c.vol));
      c.clock.advance(std::chrono::seconds(60));
      CHECK(c.manager.check_invariants().empty());
      REQUIRE(c.manager.delete_security_group(c.sg));
      CHECK(c.manager.check_invariants().empty());
    }
  }

  TEST_CASE("an address outside the environment's network") {
    Cloud c;
    TestAccess::vm(c.manager, c.a).ip = Ipv4Address{0xC0A80001}.to_uint();  // 192.168.0.1
    const auto v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    CHECK(has(v, "ip"));
  }

  TEST_CASE("one address held by two VMs") {
    Cloud c;
    TestAccess::vm(c.manager, c.b).ip = TestAccess::vm(c.manager, c.a).ip;
    const auto v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    CHECK(has(v, "ip"));
    CHECK(has(v, "ip_leak"));  // b's own address is still taken in the pool, held by nobody
  }

  TEST_CASE("an address the pool has free while a VM holds it") {
    Cloud c;
    auto& vm = TestAccess::vm(c.manager, c.a);
    TestAccess::env(c.manager, c.env).ips.release(Ipv4Address{vm.ip});
    const auto v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    CHECK(kinds(v) == std::vector<std::string>{"ip_leak", "ip_leak"});
  }

  TEST_CASE("an attachment one side does not know") {
    Cloud c;
    TestAccess::vm(c.manager, c.a).volumes.clear();
    const auto v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    CHECK(kinds(v) == std::vector<std::string>{"attachment"});
  }

  TEST_CASE("a resource out of its task's step") {
    Cloud c;
    // b's last task (its creation) succeeded; the status of that step contradicts it.
    auto& vm = TestAccess::vm(c.manager, c.b);
    auto& env = TestAccess::env(c.manager, c.env);
    --env.vms.by_status[static_cast<int>(VmStatus::running)];
    ++env.vms.by_status[static_cast<int>(VmStatus::creating)];
    vm.status = static_cast<std::uint8_t>(VmStatus::creating);
    const auto v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    // The environment's counts were moved along; the cloud's were not.
    CHECK(kinds(v) == std::vector<std::string>{"task", "count"});
  }

  TEST_CASE("a kept count a recount contradicts") {
    Cloud c;
    ++TestAccess::env(c.manager, c.env).vms.live;
    auto v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    CHECK(kinds(v) == std::vector<std::string>{"count"});
    --TestAccess::env(c.manager, c.env).vms.live;
    ++TestAccess::sg(c.manager, c.sg).users;
    v = c.manager.check_invariants();
    CAPTURE(kinds(v));
    CHECK(kinds(v) == std::vector<std::string>{"count"});
  }
}
