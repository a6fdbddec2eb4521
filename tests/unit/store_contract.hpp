// What every journal store must do, whatever keeps it: state survives a reopen, operations in
// flight resume, a reset truncates, concurrent writers share commits and nothing acknowledged is
// lost. Included by each store's test file after it defines `Backing`: a fresh, empty place for a
// store (a directory, a database), removed at the end, with
//   std::unique_ptr<Store> open();       // the store on it, opened anew each call
//   mctest::CommitStats commits_of(const std::string& kind);  // how `kind` was committed
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mockcloud/mockcloud.hpp"
#include "mockcloud/store.hpp"
#include "test_support.hpp"

namespace store_contract {

using namespace std::chrono_literals;
using namespace mockcloud;

struct Everything {
  std::vector<Environment> envs;
  std::vector<SecurityGroup> sgs;
  std::vector<Vm> vms;
  std::vector<Volume> volumes;
  std::vector<Task> tasks;
  std::vector<Fault> faults;
  Settings settings;
  std::uint64_t seed;
  TimePoint now;
  bool operator==(const Everything&) const = default;
};

Everything everything(const ResourceManager& m) {
  const Page all{0, 1000};
  return {m.list_environments({}, all).items,
          m.list_security_groups({}, all).items,
          m.list_vms({}, all).items,
          m.list_volumes({}, all).items,
          m.list_tasks({}, all).items,
          m.faults(),
          m.settings(),
          m.seed(),
          m.clock().now()};
}

ManagerOptions with_store(Backing& backing, std::uint64_t seed = 42) {
  return {.seed = seed, .settings = {}, .store = backing.open()};
}

// A busy history: every kind of change, some operations settled and some in flight.
void build_history(ResourceManager& m, VirtualClock& clock) {
  auto dev = m.create_environment({.name = "dev"}).value();
  auto prod = m.create_environment({.name = "prod", .cidr = "192.168.0.0/24"}).value();
  auto sg = m.create_security_group({.name = "web",
                                     .environment_id = dev.id,
                                     .rules = {{.protocol = mockcloud::Protocol::tcp,
                                                .port_range_min = 80,
                                                .port_range_max = 80}}})
                .value();
  m.add_fault({.operation = mockcloud::TaskKind::volume_create, .fail_next = 1}).value();
  m.add_fault({.route = "GET /api/v1/vms", .status = 503, .rate = 0.5}).value();
  for (int i = 0; i < 6; ++i) {
    m.create_vm({.name = "web-" + std::to_string(i),
                 .environment_id = dev.id,
                 .security_group_ids = {sg.id}})
        .value();
    m.create_volume({.name = "data-" + std::to_string(i), .environment_id = dev.id}).value();
  }
  m.create_vm({.name = "db", .environment_id = prod.id}).value();
  clock.advance(60s);
  auto vms = m.list_vms({.environment_id = dev.id, .status = VmStatus::running}).items;
  auto vols = m.list_volumes({.environment_id = dev.id, .status = VolumeStatus::available}).items;
  REQUIRE(vms.size() >= 2);
  REQUIRE(vols.size() >= 2);
  m.attach_volume(vols[0].id, vms[0].id).value();
  m.attach_volume(vols[1].id, vms[0].id).value();
  m.detach_volume(vols[1].id).value();
  m.delete_vm(vms[1].id).value();
  m.update_settings({{{"vm_deletion_time_min", 20}, {"vm_deletion_time_max", 30}}}).value();
  m.delete_vm(vms[0].id).value();  // in flight at the reopen
  clock.advance(7s);
  m.create_vm({.name = "late", .environment_id = dev.id}).value();  // in flight too
  clock.advance(3s);
}

}  // namespace store_contract

namespace store_contract_cases {
using namespace store_contract;

TEST_CASE("a reopened store gives back every resource, task, fault, setting and the clock") {
  Backing dir;
  Everything before;
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir), clock);
    build_history(m, clock);
    before = everything(m);
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir, /*seed ignored*/ 7), clock);
  Everything after = everything(m);
  CHECK(after.seed == 42);
  CHECK(after.now == before.now);
  CHECK(after.envs == before.envs);
  CHECK(after.sgs == before.sgs);
  CHECK(after.vms == before.vms);
  CHECK(after.volumes == before.volumes);
  CHECK(after.tasks == before.tasks);
  CHECK(after.faults == before.faults);
  CHECK(after.settings == before.settings);
}

TEST_CASE("operations in flight resume where they were: same outcome as without a restart") {
  Backing restarted_dir, straight_dir;
  auto script = [](ResourceManager& m, VirtualClock& clock) { build_history(m, clock); };
  // Straight through, no restart.
  Everything straight;
  {
    VirtualClock clock;
    ResourceManager m(with_store(straight_dir), clock);
    script(m, clock);
    clock.advance(120s);
    straight = everything(m);
  }
  // The same, closed and reopened in the middle.
  {
    VirtualClock clock;
    ResourceManager m(with_store(restarted_dir), clock);
    script(m, clock);
    CHECK(m.list_tasks({.state = TaskState::started}).total > 0);
  }
  VirtualClock clock;
  ResourceManager m(with_store(restarted_dir), clock);
  CHECK(m.list_tasks({.state = TaskState::started}).total > 0);
  clock.advance(120s);
  Everything resumed = everything(m);
  CHECK(m.list_tasks({.state = TaskState::started}).total == 0);
  CHECK(resumed.vms == straight.vms);
  CHECK(resumed.volumes == straight.volumes);
  CHECK(resumed.tasks == straight.tasks);
}

TEST_CASE("with the system clock, a due time that passed while closed fires at open") {
  Backing dir;
  std::string vm_id;
  TimePoint closed_at;
  {
    SystemClock clock;
    ResourceManager m({.seed = 1,
                       .settings = {.worker_failure_rate = 0, .time_scale = 0.01},
                       .store = dir.open()},
                      clock);
    auto env = m.create_environment({.name = "dev"}).value();
    // 30..60 s simulated, 0.3..0.6 s real.
    vm_id = m.create_vm({.name = "web", .environment_id = env.id}).value().id();
    closed_at = clock.now();
  }  // closed before the VM came up: the manager cancels its timers
  ::usleep(700'000);
  SystemClock clock;
  const TimePoint opened_at = clock.now();
  ResourceManager m({.store = dir.open()}, clock);
  const auto task = m.list_tasks({.resource_id = vm_id}).items.at(0);
  CHECK(task.eta > closed_at);
  CHECK(task.eta < opened_at);  // due while nothing ran
  for (int i = 0; i < 200 && m.get_vm(vm_id).value().status == VmStatus::creating; ++i)
    ::usleep(5'000);
  CHECK(m.get_vm(vm_id).value().status == VmStatus::running);
  const auto done = m.get_task(task.id).value();
  REQUIRE(done.finished_at);
  CHECK(*done.finished_at >= opened_at);  // it fired after the reopen, not before the close
}

TEST_CASE("a reset truncates the journal and is itself durable") {
  Backing dir;
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir), clock);
    build_history(m, clock);
    m.reset(99);
    m.create_environment({.name = "fresh"}).value();
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir), clock);
  CHECK(m.seed() == 99);
  auto envs = m.list_environments().items;
  REQUIRE(envs.size() == 1);
  CHECK(envs[0].name == "fresh");
  CHECK(m.counts().vms == 0);
  CHECK(clock.now() == VirtualClock::default_start());
}

TEST_CASE("concurrent writers share commits and every acknowledged change is in the file") {
  Backing dir;
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::string> acknowledged[kThreads];
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir), clock);
    auto env = m.create_environment({.name = "dev"}).value();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto name = "v-" + std::to_string(t) + "-" + std::to_string(i);
          // Returns once the change is durable (wait_for_durability): acknowledged.
          m.create_volume({.name = name, .environment_id = env.id}).value();
          acknowledged[t].push_back(name);
        }
      });
    for (auto& th : threads)
      th.join();
  }
  // Fewer commits than records means some commits carried the records of several writers.
  {
    const auto stats = dir.commits_of("volume.created");
    INFO(stats.records << " records in " << stats.commits << " commits, the largest of "
                       << stats.largest);
    CHECK(stats.records == kThreads * kPerThread);
    CHECK(stats.commits < stats.records);
    CHECK(stats.largest > 1);
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir), clock);
  CHECK(m.counts().volumes == kThreads * kPerThread);
  std::set<std::string> in_file;
  for (const auto& v : m.list_volumes({}, {0, 1000}).items)
    in_file.insert(v.name);
  for (const auto& names : acknowledged)
    for (const auto& name : names)
      CHECK_MESSAGE(in_file.contains(name), name);
}

}  // namespace store_contract_cases
