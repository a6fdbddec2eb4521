// The PostgreSQL store, against the server that tests/pg/with-postgres.sh starts
// (MOCKCLOUD_TEST_DATABASE_URL): what every store must do (store_contract.hpp), each case in a
// database of its own, and what is PostgreSQL's own: the schema and its version, foreign tables
// left alone, a lost connection reported, not crashed on. Several managers on one database:
// test_replicas.cpp.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <atomic>
#include <cstdlib>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mockcloud/store.hpp"
#include "pg_support.hpp"
#include "test_support.hpp"

using namespace mockcloud;

namespace {
using namespace pgtest;
using Backing = PgBacking;

}  // namespace

TEST_SUITE_BEGIN("postgres");

#include "store_contract.hpp"

TEST_CASE("a new database gets mockcloud's meta table and journal, of the current version") {
  PgBacking db;
  { db.open(); }
  Sql sql(db.url);
  CHECK(sql.run("SELECT value FROM mockcloud_meta WHERE key = 'application'") == "mockcloud");
  CHECK(sql.run("SELECT value FROM mockcloud_meta WHERE key = 'schema_version'") ==
        std::to_string(kPostgresSchemaVersion));
  CHECK(sql.number("SELECT count(*) FROM mockcloud_journal") == 0);
}

TEST_CASE("records come back byte for byte, in seq order; a reset truncates; rewrite replaces") {
  PgBacking db;
  std::string every_byte;
  for (int b = 0; b < 256; ++b)
    every_byte += static_cast<char>(b);
  {
    auto store = db.open();
    store->append({.at = -5, .kind = "vm.created", .body = every_byte});
    store->append({.at = 1, .kind = "ünïcode", .body = ""});
    store->append({.at = INT64_MAX, .kind = "x", .body = std::string(100'000, '\0')});
    store->wait_durable(store->last_appended());
  }
  auto store = db.open();
  std::vector<Store::Record> got;
  store->replay([&](const Store::Record& r) { got.push_back(r); });
  REQUIRE(got.size() == 3);
  CHECK(got[0].at == -5);
  CHECK(got[0].kind == "vm.created");
  CHECK(got[0].body == every_byte);
  CHECK(got[1].kind == "ünïcode");
  CHECK(got[1].body.empty());
  CHECK(got[2].at == INT64_MAX);
  CHECK(got[2].body == std::string(100'000, '\0'));
  CHECK(store->last_appended() == 3);
  // A truncating record in the middle of a batch drops all before it, those of the batch too.
  store->append({.at = 2, .kind = "a", .body = "before"});
  CHECK(store->append({.at = 3, .kind = "reset", .body = "r", .truncates = true}) == 5);
  store->append({.at = 4, .kind = "b", .body = "after"});
  store->wait_durable(6);
  Sql sql(db.url);
  CHECK(sql.run("SELECT string_agg(seq || ':' || kind, ',' ORDER BY seq) FROM mockcloud_journal") ==
        "5:reset,6:b");
  store.reset();
  // rewrite() replaces every record, numbered from 1.
  store = db.open();
  store->rewrite({{.at = 7, .kind = "one", .body = "1"}, {.at = 8, .kind = "two", .body = "2"}});
  CHECK(store->last_appended() == 2);
  CHECK(sql.run("SELECT string_agg(seq || ':' || kind, ',' ORDER BY seq) FROM mockcloud_journal") ==
        "1:one,2:two");
  CHECK(store->append({.at = 9, .kind = "three", .body = "3"}) == 3);
}

TEST_CASE("a database with tables that are not mockcloud's is refused and left untouched") {
  PgBacking db;
  Sql sql(db.url);
  SUBCASE("another application's tables") {
    sql.run("CREATE TABLE invoices(id int); INSERT INTO invoices VALUES (1)");
  }
  SUBCASE("a mockcloud_meta of somebody else") {
    sql.run(
        "CREATE TABLE mockcloud_meta(key text, value text);"
        "INSERT INTO mockcloud_meta VALUES ('application', 'other')");
  }
  const auto before = sql.run(
      "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables"
      " WHERE schemaname = 'public'");
  try {
    open_postgres_store(db.url);
    FAIL("a foreign database was opened");
  } catch (const StoreError& e) {
    const std::string what = e.what();
    CHECK(what.find("refusing to touch it") != std::string::npos);
    CHECK(what.find(db.name) != std::string::npos);
    CHECK(what.find('\n') == std::string::npos);
  }
  CHECK(sql.run("SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables"
                " WHERE schemaname = 'public'") == before);
}

TEST_CASE("a newer schema is refused with a message that says so") {
  PgBacking db;
  { db.open(); }
  Sql(db.url).run("UPDATE mockcloud_meta SET value = '99' WHERE key = 'schema_version'");
  try {
    open_postgres_store(db.url);
    FAIL("a newer schema was opened");
  } catch (const StoreError& e) {
    INFO(e.what());
    CHECK(std::string(e.what()).find("schema version 99, newer than this mockcloud's") !=
          std::string::npos);
  }
}

TEST_CASE("a second opener of the same database shares its journal") {
  PgBacking db;
  auto first = db.open();
  auto second = db.open();
  CHECK(first->shared());
  CHECK(second->shared());
  first->wait_durable(first->append({.at = 1, .kind = "a", .body = "1"}));
  std::vector<std::string> seen;
  second->replay([&](const Store::Record& r) { seen.push_back(r.kind + r.body); });
  CHECK(seen == std::vector<std::string>{"a1"});
}

TEST_CASE("a server that cannot be reached is named in the error, without the password") {
  // A port nothing listens on: with-postgres.sh's own, plus one, is free often enough; the
  // message must name it either way.
  const std::string url = "postgresql://someone:s3cr3t-pw@127.0.0.1:1/nowhere";
  try {
    open_postgres_store(url);
    FAIL("connected to a port nothing listens on");
  } catch (const StoreError& e) {
    const std::string what = e.what();
    INFO(what);
    CHECK(what.find("postgresql://someone@127.0.0.1:1/nowhere") != std::string::npos);
    CHECK(what.find("s3cr3t") == std::string::npos);
  }
}

TEST_CASE("redact_database_url drops the password and nothing else") {
  CHECK(redact_database_url("postgresql://u:p@h:5432/db") == "postgresql://u@h:5432/db");
  CHECK(redact_database_url("postgresql://u@h/db") == "postgresql://u@h/db");
  CHECK(redact_database_url("postgresql://h:5432/db") == "postgresql://h:5432/db");
  CHECK(redact_database_url("postgres://u:p%40ss@h/db?sslmode=require") ==
        "postgres://u@h/db?sslmode=require");
  CHECK(redact_database_url("postgresql://h/db?user=u&password=pw&x=1") ==
        "postgresql://h/db?user=u&password=***&x=1");
}

TEST_CASE("a connection lost after open fails writes as a failed write, without a crash") {
  PgBacking db;
  auto store = db.open();
  store->wait_durable(store->append({.at = 1, .kind = "a", .body = "1"}));
  Sql admin(test_url());
  // Both of its connections: the writer's and the reader's.
  CHECK(admin.number("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                     " WHERE datname = '" +
                     db.name + "'") == 2);
  const auto seq = store->append({.at = 2, .kind = "b", .body = "2"});
  CHECK_THROWS_AS(store->wait_durable(seq), StoreError);
  std::promise<bool> called;
  store->after_durable([&](bool ok) { called.set_value(ok); });
  CHECK(called.get_future().get() == false);
  store->append({.at = 3, .kind = "c", .body = "3"});
  CHECK_THROWS_AS(store->wait_durable(store->last_appended()), StoreError);
  store.reset();  // closes without a crash
  // What was acknowledged is there; what failed is not.
  CHECK(Sql(db.url).number("SELECT count(*) FROM mockcloud_journal") == 1);
}

TEST_SUITE_END();
