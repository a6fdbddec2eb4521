// A data directory written by the server before the journal of outcomes (a journal of commands,
// SQLite schema 2; tests/fixtures/make-journal-v2.sh) loads with today's code, is migrated, and
// answers byte for byte what the server that wrote it answered: before and after the operations
// in flight settle, and again from the migrated journal.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "client.hpp"
#include "mockcloud/clock.hpp"
#include "mockcloud/http/server.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/store.hpp"

namespace fs = std::filesystem;
using namespace mockcloud;

namespace {

const fs::path kFixture = fs::path(MOCKCLOUD_FIXTURES) / "journal-v2";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int schema_version(const fs::path& db_file) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_file.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(st) == SQLITE_ROW);
  const int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/// A server over the data directory, as `mockcloud-server --clock virtual --data-dir` runs it.
struct Served {
  explicit Served(const fs::path& dir)
      : manager({.seed = 7, .store = open_sqlite_store(dir)}, clock),
        server(manager, {.host = "127.0.0.1", .port = 0, .threads = 1}) {
    server.start();
  }
  VirtualClock clock;
  ResourceManager manager;
  http::Server server;
};

/// Every list and control view answers what the old server answered (expected/NAME.SUFFIX.json).
void check_views(std::uint16_t port, const std::string& suffix) {
  test::Client c(port);
  const std::pair<const char*, std::string> views[] = {
      {"environments", "/api/v1/environments/?limit=1000"},
      {"security-groups", "/api/v1/security-groups/?limit=1000"},
      {"vms", "/api/v1/vms/?limit=1000"},
      {"volumes", "/api/v1/volumes/?limit=1000"},
      {"tasks", "/api/v1/tasks/?limit=1000"},
      {"clock", "/_mock/clock"},
      {"config", "/_mock/config"},
      {"faults", "/_mock/faults"},
  };
  for (const auto& [name, target] : views) {
    CAPTURE(name);
    CAPTURE(suffix);
    const auto r = c.get(target);
    REQUIRE(r.status == 200);
    CHECK(r.body == slurp(kFixture / "expected" / (std::string(name) + "." + suffix + ".json")));
  }
}

struct TempCopy {
  fs::path path;
  TempCopy() {
    std::random_device rd;
    path = fs::temp_directory_path() /
           ("mockcloud-fixture-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    fs::create_directories(path);
    fs::copy_file(kFixture / "mockcloud.db", path / "mockcloud.db");
  }
  ~TempCopy() { fs::remove_all(path); }
};

}  // namespace

TEST_CASE("a journal of commands from the previous format loads, migrates and answers the same") {
  TempCopy dir;
  REQUIRE(schema_version(dir.path / "mockcloud.db") == 2);
  {
    Served s(dir.path);
    check_views(s.server.port(), "before");
  }
  // The journal now holds outcomes; loading it again replays no command.
  CHECK(schema_version(dir.path / "mockcloud.db") == kSqliteSchemaVersion);
  {
    Served s(dir.path);
    check_views(s.server.port(), "before");
    test::Client c(s.server.port());
    REQUIRE(c.post("/_mock/clock/advance", R"({"seconds":120})").status == 200);
    check_views(s.server.port(), "after");
  }
  // What settled after the migration is journaled too.
  Served s(dir.path);
  check_views(s.server.port(), "after");
}
