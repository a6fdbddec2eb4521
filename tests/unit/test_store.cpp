// The SQLite store: what every store must do (store_contract.hpp), and old schemas migrate,
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

/// A data directory for the store contract's cases (store_contract.hpp).
struct SqliteBacking {
  TempDir dir;
  std::unique_ptr<Store> open() { return open_sqlite_store(dir.path); }
  /// One commit writes one wall_time for all its records.
  mctest::CommitStats commits_of(const std::string& kind) {
    auto scalar = [&](const std::string& sql) {
      return sqlite_scalar(dir.path / "mockcloud.db", sql.c_str());
    };
    const auto where = " FROM events WHERE kind = '" + kind + "'";  // a constant of the tests
    return {scalar("SELECT count(*)" + where), scalar("SELECT count(DISTINCT wall_time)" + where),
            scalar("SELECT max(n) FROM (SELECT count(*) AS n" + where + " GROUP BY wall_time)")};
  }
};
using Backing = SqliteBacking;

}  // namespace

#include "store_contract.hpp"

using namespace store_contract;

namespace {
ManagerOptions with_store(const fs::path& dir, std::uint64_t seed = 42) {
  return {.seed = seed, .settings = {}, .store = open_sqlite_store(dir)};
}
}  // namespace

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
