// The SQLite store: state survives a reopen, operations in flight resume, old schemas migrate,
// foreign or newer files and a second opener are refused.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "mockcloud/manager.hpp"
#include "mockcloud/store.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using namespace mockcloud;

using mctest::TempDir;

namespace {

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

ManagerOptions with_store(const fs::path& dir, std::uint64_t seed = 42) {
  return {.seed = seed, .settings = {}, .store = open_sqlite_store(dir)};
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

}  // namespace

TEST_CASE("a reopened store gives back every resource, task, fault, setting and the clock") {
  TempDir dir;
  Everything before;
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir.path), clock);
    build_history(m, clock);
    before = everything(m);
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir.path, /*seed ignored*/ 7), clock);
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
  TempDir restarted_dir, straight_dir;
  auto script = [](ResourceManager& m, VirtualClock& clock) { build_history(m, clock); };
  // Straight through, no restart.
  Everything straight;
  {
    VirtualClock clock;
    ResourceManager m(with_store(straight_dir.path), clock);
    script(m, clock);
    clock.advance(120s);
    straight = everything(m);
  }
  // The same, closed and reopened in the middle.
  {
    VirtualClock clock;
    ResourceManager m(with_store(restarted_dir.path), clock);
    script(m, clock);
    CHECK(m.list_tasks({.state = TaskState::started}).total > 0);
  }
  VirtualClock clock;
  ResourceManager m(with_store(restarted_dir.path), clock);
  CHECK(m.list_tasks({.state = TaskState::started}).total > 0);
  clock.advance(120s);
  Everything resumed = everything(m);
  CHECK(m.list_tasks({.state = TaskState::started}).total == 0);
  CHECK(resumed.vms == straight.vms);
  CHECK(resumed.volumes == straight.volumes);
  CHECK(resumed.tasks == straight.tasks);
}

TEST_CASE("with the system clock, a due time that passed while closed fires at open") {
  TempDir dir;
  std::string vm_id;
  TimePoint closed_at;
  {
    SystemClock clock;
    ResourceManager m({.seed = 1,
                       .settings = {.worker_failure_rate = 0, .time_scale = 0.01},
                       .store = open_sqlite_store(dir.path)},
                      clock);
    auto env = m.create_environment({.name = "dev"}).value();
    // 30..60 s simulated, 0.3..0.6 s real.
    vm_id = m.create_vm({.name = "web", .environment_id = env.id}).value().id();
    closed_at = clock.now();
  }  // closed before the VM came up: the manager cancels its timers
  ::usleep(700'000);
  SystemClock clock;
  const TimePoint opened_at = clock.now();
  ResourceManager m({.store = open_sqlite_store(dir.path)}, clock);
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
  TempDir dir;
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir.path), clock);
    build_history(m, clock);
    m.reset(99);
    m.create_environment({.name = "fresh"}).value();
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir.path), clock);
  CHECK(m.seed() == 99);
  auto envs = m.list_environments().items;
  REQUIRE(envs.size() == 1);
  CHECK(envs[0].name == "fresh");
  CHECK(m.counts().vms == 0);
  CHECK(clock.now() == VirtualClock::default_start());
}

TEST_CASE("a schema version 1 file is migrated and keeps its state") {
  TempDir dir;
  Everything before;
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir.path), clock);
    build_history(m, clock);
    before = everything(m);
  }
  // Turn the file into the version 1 layout: table `journal`, no wall_time column.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path / "mockcloud.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "ALTER TABLE events DROP COLUMN wall_time;"
                         "ALTER TABLE events RENAME TO journal; PRAGMA user_version = 1;",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir.path), clock);
  CHECK(everything(m).vms == before.vms);
  CHECK(everything(m).tasks == before.tasks);
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path / "mockcloud.db").c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  CHECK(sqlite3_column_int(st, 0) == kSqliteSchemaVersion);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

namespace {
std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// The first column of the first row of `sql` on the database file `file`.
std::int64_t sqlite_scalar(const fs::path& file, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const auto v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}
}  // namespace

TEST_CASE("a new file carries mockcloud's application id and the current schema version") {
  TempDir dir;
  { open_sqlite_store(dir.path); }
  auto pragma = [&](const char* sql) { return sqlite_scalar(dir.path / "mockcloud.db", sql); };
  CHECK(pragma("PRAGMA application_id") == 0x4d434c44);  // "MCLD"
  CHECK(pragma("PRAGMA user_version") == kSqliteSchemaVersion);
}

TEST_CASE("a file that is not a mockcloud database is refused and left untouched") {
  TempDir dir;
  SUBCASE("not SQLite at all") {
    std::ofstream(dir.path / "mockcloud.db") << "this is somebody's notes, not a database\n";
  }
  SUBCASE("another application's SQLite database") {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir.path / "mockcloud.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "CREATE TABLE invoices(id INTEGER); INSERT INTO invoices VALUES (1);",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  const auto content = read_file(dir.path / "mockcloud.db");
  CHECK_THROWS_AS(open_sqlite_store(dir.path), StoreError);
  CHECK(read_file(dir.path / "mockcloud.db") == content);
}

TEST_CASE("a newer schema is refused with a message that says so") {
  TempDir dir;
  { open_sqlite_store(dir.path); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((dir.path / "mockcloud.db").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
  try {
    open_sqlite_store(dir.path);
    FAIL("a newer schema was opened");
  } catch (const StoreError& e) {
    CHECK(std::string(e.what()).find("newer") != std::string::npos);
  }
}

TEST_CASE("a second opener of the same directory is refused while the first holds it") {
  TempDir dir;
  auto first = open_sqlite_store(dir.path);
  CHECK_THROWS_AS(open_sqlite_store(dir.path), StoreError);
  first.reset();
  CHECK_NOTHROW(open_sqlite_store(dir.path));
}

TEST_CASE("concurrent writers share commits and every acknowledged change is in the file") {
  TempDir dir;
  constexpr int kThreads = 8, kPerThread = 50;
  std::vector<std::string> acknowledged[kThreads];
  {
    VirtualClock clock;
    ResourceManager m(with_store(dir.path), clock);
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
  // One commit writes one wall_time for all its records: fewer distinct wall times than records
  // means some commits carried the records of several writers.
  {
    auto scalar = [&](const char* sql) { return sqlite_scalar(dir.path / "mockcloud.db", sql); };
    const auto records = scalar("SELECT count(*) FROM events WHERE kind = 'volume.created'");
    const auto commits =
        scalar("SELECT count(DISTINCT wall_time) FROM events WHERE kind = 'volume.created'");
    const auto largest = scalar(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM events WHERE kind = 'volume.created'"
        " GROUP BY wall_time)");
    INFO(records << " records in " << commits << " commits, the largest of " << largest);
    CHECK(records == kThreads * kPerThread);
    CHECK(commits < records);
    CHECK(largest > 1);
  }
  VirtualClock clock;
  ResourceManager m(with_store(dir.path), clock);
  CHECK(m.counts().volumes == kThreads * kPerThread);
  std::set<std::string> in_file;
  for (const auto& v : m.list_volumes({}, {0, 1000}).items)
    in_file.insert(v.name);
  for (const auto& names : acknowledged)
    for (const auto& name : names)
      CHECK_MESSAGE(in_file.contains(name), name);
}
