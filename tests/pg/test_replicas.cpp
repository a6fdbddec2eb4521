// Several managers on one PostgreSQL database are one cloud (Store::shared()): each sees what the
// others acknowledged, names and IPs stay unique under concurrent creation, a virtual clock
// advanced by one moves every one, a reset is cloud-wide, and each operation completes once.
// In one process, each manager with a clock of its own, as separate servers would be.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "mockcloud/mockcloud.hpp"
#include "mockcloud/server_support.hpp"
#include "pg_support.hpp"
#include "test_support.hpp"

using namespace mockcloud;
using namespace std::chrono_literals;
using pgtest::PgBacking;
using pgtest::Sql;

namespace {

/// One replica: a virtual clock and a manager on the shared database.
struct Replica {
  VirtualClock clock;
  std::unique_ptr<ResourceManager> cloud;
  explicit Replica(const std::string& url, std::uint64_t seed = 42) {
    cloud = std::make_unique<ResourceManager>(
        ManagerOptions{.seed = seed, .store = open_postgres_store(url)}, clock);
  }
  ResourceManager& operator*() { return *cloud; }
  ResourceManager* operator->() { return cloud.get(); }
  std::size_t advance(Duration d) { return ServerSupport(*cloud).advance_clock(clock, d); }
};

std::vector<std::string> names_and_states(ResourceManager& cloud) {
  std::vector<std::string> out;
  for (const auto& vm : cloud.list_vms({}, {0, 1000}).items)
    out.push_back(vm.id + " " + vm.name + " " + std::string(to_string(vm.status)) + " " +
                  (vm.ip_address ? vm.ip_address->to_string() : "-") + " " +
                  std::to_string(vm.volume_ids.size()));
  for (const auto& v : cloud.list_volumes({}, {0, 1000}).items)
    out.push_back(v.id + " " + v.name + " " + std::string(to_string(v.status)) + " " +
                  v.vm_id.value_or("-"));
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("postgres");

TEST_CASE("what one replica acknowledges, the next read on another sees") {
  PgBacking db;
  Replica a(db.url), b(db.url);
  const auto env = a->create_environment({.name = "dev"}).value();
  CHECK(b->get_environment(env.id).value().name == "dev");
  // A name is taken for the whole cloud.
  CHECK(b->create_environment({.name = "dev"}).error().kind == ErrorKind::conflict);
  const auto vm = b->create_vm({.name = "web", .environment_id = env.id}).value().resource();
  CHECK(a->get_vm(vm.id).value().status == VmStatus::creating);
  CHECK(a->counts().vms == 1);
  // Settings and faults are the cloud's.
  CHECK(a->update_settings({{{"worker_failure_rate", 0.0}}}).has_value());
  CHECK(b->settings().worker_failure_rate == 0.0);
  const auto fault = b->add_fault({.operation = TaskKind::vm_create, .fail_next = 1}).value();
  CHECK(a->faults().size() == 1);
  CHECK(a->remove_fault(fault.id).has_value());
  CHECK(b->faults().empty());
}

TEST_CASE("a store handed from one manager to the next is read whole by the next") {
  PgBacking db;
  const std::shared_ptr<Store> store = open_postgres_store(db.url);
  std::string env_id;
  {
    VirtualClock clock;
    ResourceManager first(ManagerOptions{.seed = 42, .store = store}, clock);
    env_id = first.create_environment({.name = "dev"}).value().id;
  }
  {
    // The same model sees the first one's state, and appends after it.
    VirtualClock clock;
    ResourceManager second(ManagerOptions{.seed = 42, .store = store}, clock);
    CHECK(second.get_environment(env_id).value().name == "dev");
    CHECK(second.create_environment({.name = "dev"}).error().kind == ErrorKind::conflict);
    CHECK(second.create_environment({.name = "qa"}).has_value());
  }
  // Another model refuses the journal, whose first record says what wrote it ...
  std::string message;
  try {
    VirtualClock clock;
    ResourceManager other(
        ManagerOptions{.seed = 42, .model = CloudModel::original(), .store = store}, clock);
  } catch (const StoreError& e) {
    message = e.what();
  }
  INFO(message);
  CHECK(message.find("model") != std::string::npos);
  // ... and leaves it as it was: one reset, two environments.
  Sql sql(db.url);
  CHECK(sql.number("SELECT count(*) FROM mockcloud_journal WHERE kind = 'reset'") == 1);
  VirtualClock clock;
  ResourceManager again(ManagerOptions{.seed = 42, .store = open_postgres_store(db.url)}, clock);
  CHECK(again.counts().environments == 2);
}

TEST_CASE("replicas that only read share a read lease; a write takes it back, and is seen") {
  PgBacking db;
  const std::shared_ptr<Store> sa = open_postgres_store(db.url), sb = open_postgres_store(db.url);
  VirtualClock ca, cb;
  ResourceManager a(ManagerOptions{.seed = 42, .store = sa}, ca);
  ResourceManager b(ManagerOptions{.seed = 42, .store = sb}, cb);
  const auto leased = [&](ResourceManager& m, Store& s, const std::string& env_id) {
    // Reads that go to the database ask for a lease; the writer gives way once quiet.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (s.needs_catch_up() && std::chrono::steady_clock::now() < deadline) {
      REQUIRE(m.get_environment(env_id).has_value());
      std::this_thread::sleep_for(1ms);
    }
    return !s.needs_catch_up();
  };
  std::string last = a.create_environment({.name = "env-0"}).value().id;
  for (int i = 1; i <= 6; ++i) {
    // Both read from memory (neither asks the database) ...
    CHECK(leased(b, *sb, last));
    CHECK(leased(a, *sa, last));
    // ... until one writes: it takes the head back first, and the other sees its write at once.
    ResourceManager& writer = i % 2 ? a : b;
    ResourceManager& reader = i % 2 ? b : a;
    const auto env = writer.create_environment({.name = "env-" + std::to_string(i)});
    REQUIRE(env.has_value());
    last = env->id;
    CHECK(reader.get_environment(last).value().name == "env-" + std::to_string(i));
    CHECK(reader.counts().environments == static_cast<std::size_t>(i + 1));
    // A name is still the cloud's: the other one cannot take it.
    CHECK(reader.create_environment({.name = "env-" + std::to_string(i)}).error().kind ==
          ErrorKind::conflict);
  }
}

TEST_CASE("a virtual clock advanced on one replica moves them all; each task completes once") {
  PgBacking db;
  Replica a(db.url), b(db.url), c(db.url);
  const auto env = a->create_environment({.name = "dev"}).value();
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    Replica& r = i % 3 == 0 ? a : i % 3 == 1 ? b : c;
    ids.push_back(
        r->create_vm({.name = "vm-" + std::to_string(i), .environment_id = env.id}).value().id());
  }
  b.advance(120s);
  for (Replica* r : {&a, &b, &c}) {
    for (const auto& id : ids)
      CHECK((*r)->get_vm(id).value().status != VmStatus::creating);
    CHECK(r->clock.now() == b.clock.now());
    mctest::check_invariants(**r);
  }
  CHECK(names_and_states(*a) == names_and_states(*c));
  // One completion record per task, whoever fired it.
  Sql sql(db.url);
  CHECK(sql.number("SELECT count(*) FROM mockcloud_journal WHERE kind = 'task.completed'") == 6);
  // The same seed and requests on one in-memory manager give the same outcomes.
  VirtualClock solo_clock;
  ResourceManager solo(ManagerOptions{.seed = 42}, solo_clock);
  const auto solo_env = solo.create_environment({.name = "dev"}).value();
  CHECK(solo_env.id == env.id);
  for (int i = 0; i < 6; ++i)
    CHECK(solo.create_vm({.name = "vm-" + std::to_string(i), .environment_id = env.id})
              .value()
              .id() == ids[static_cast<std::size_t>(i)]);
  solo_clock.advance(120s);
  CHECK(names_and_states(solo) == names_and_states(*a));
}

TEST_CASE("a reset on one replica empties the cloud for all, and rewinds their clocks") {
  PgBacking db;
  Replica a(db.url), b(db.url);
  const auto env = a->create_environment({.name = "dev"}).value();
  a.advance(30s);
  b->reset(7);
  CHECK(a->counts().environments == 0);
  CHECK(a->seed() == 7);
  CHECK(a.clock.now() == VirtualClock::default_start());
  // The one that reset stays there too (it had only followed a's advance).
  CHECK(b->counts().environments == 0);
  CHECK(b.clock.now() == VirtualClock::default_start());
  CHECK(a->create_environment({.name = "dev"}).has_value());
  CHECK(b->list_environments({}, {}).items.size() == 1);
}

TEST_CASE("parallel creations on three replicas in one environment: unique IPs, all complete") {
  PgBacking db;
  Replica a(db.url), b(db.url), c(db.url);
  const auto env = a->create_environment({.name = "dev", .cidr = "10.0.0.0/26"}).value();
  Replica* replicas[] = {&a, &b, &c};
  std::vector<std::thread> threads;
  std::atomic<int> created{0};
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 15; ++i) {
        auto r = (*replicas[(t + i) % 3])
                     ->create_vm({.name = "vm-" + std::to_string(t) + "-" + std::to_string(i),
                                  .environment_id = env.id});
        if (r) ++created;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(created == 45);
  c.advance(120s);
  std::set<std::string> ips;
  int running = 0;
  for (const auto& vm : b->list_vms({}, {0, 1000}).items) {
    CHECK(vm.status != VmStatus::creating);
    if (vm.ip_address) {
      ++running;
      CHECK_MESSAGE(ips.insert(vm.ip_address->to_string()).second,
                    "IP given twice: " << vm.ip_address->to_string());
    }
  }
  CHECK(running > 0);
  CHECK(names_and_states(*a) == names_and_states(*b));
  CHECK(names_and_states(*b) == names_and_states(*c));
  for (Replica* r : replicas)
    mctest::check_invariants(**r);
  Sql sql(db.url);
  CHECK(sql.number("SELECT count(*) FROM mockcloud_journal WHERE kind = 'task.completed'") == 45);
}

TEST_CASE("with the system clock, one replica fires every timer, also for the others' creations") {
  PgBacking db;
  Settings fast;
  fast.time_scale = 0.01;  // 30-60 s take 0.3-0.6 s
  SystemClock clock_a, clock_b;
  ResourceManager a(
      ManagerOptions{.seed = 42, .settings = fast, .store = open_postgres_store(db.url)}, clock_a);
  ResourceManager b(
      ManagerOptions{.seed = 42, .settings = fast, .store = open_postgres_store(db.url)}, clock_b);
  const auto env = a.create_environment({.name = "dev"}).value();
  std::vector<std::string> ids;
  // All on b, after a's last write: when a holds the timer duty, it learns of them only by
  // following the journal by itself (nobody reads meanwhile).
  for (int i = 0; i < 4; ++i)
    ids.push_back(
        b.create_vm({.name = "vm-" + std::to_string(i), .environment_id = env.id}).value().id());
  // Each is due within 0.6 s; allow for the duty's polling and a loaded machine.
  Sql sql(db.url);
  const auto start = std::chrono::steady_clock::now();
  while (sql.number("SELECT count(*) FROM mockcloud_journal WHERE kind = 'task.completed'") < 4 &&
         std::chrono::steady_clock::now() - start < 5s)
    std::this_thread::sleep_for(20ms);
  CHECK(std::chrono::steady_clock::now() - start < 3s);
  CHECK(sql.number("SELECT count(*) FROM mockcloud_journal WHERE kind = 'task.completed'") == 4);
  for (const auto& id : ids) {
    const Vm on_a = a.get_vm(id).value(), on_b = b.get_vm(id).value();
    CHECK(on_a.status != VmStatus::creating);
    CHECK(on_b.status == on_a.status);
    // To the nanosecond: the time a change was decided is the time its record carries.
    CHECK(on_b.created_at == on_a.created_at);
    CHECK(on_b.updated_at == on_a.updated_at);
  }
  mctest::check_invariants(a);
  mctest::check_invariants(b);
}

TEST_SUITE_END();
