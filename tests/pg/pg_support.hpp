// What the PostgreSQL tests share: the test server's URL (tests/pg/with-postgres.sh), a database
// of a test's own, and a plain libpq connection for looking into it.
#pragma once

#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "mockcloud/store.hpp"
#include "test_support.hpp"

namespace pgtest {

using namespace mockcloud;

inline std::string test_url() {
  const char* url = std::getenv("MOCKCLOUD_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0')
    FAIL("MOCKCLOUD_TEST_DATABASE_URL is not set: run this through tests/pg/with-postgres.sh");
  return url ? url : "";
}

/// `url` with its database name replaced (the URLs of with-postgres.sh have no query string).
inline std::string with_database(const std::string& url, const std::string& db) {
  return url.substr(0, url.rfind('/') + 1) + db;
}

/// A plain libpq connection for the tests' own looks at a database.
class Sql {
 public:
  explicit Sql(const std::string& url) : conn_(PQconnectdb(url.c_str()), &PQfinish) {
    REQUIRE_MESSAGE(PQstatus(conn_.get()) == CONNECTION_OK,
                    std::string(PQerrorMessage(conn_.get())));
  }
  /// Runs `sql`; the first column of the first row, if any.
  std::optional<std::string> run(const std::string& sql) {
    std::unique_ptr<PGresult, decltype(&PQclear)> r(PQexec(conn_.get(), sql.c_str()), &PQclear);
    const auto status = PQresultStatus(r.get());
    REQUIRE_MESSAGE((status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK),
                    (sql + ": " + PQresultErrorMessage(r.get())));
    if (PQntuples(r.get()) == 0 || PQgetisnull(r.get(), 0, 0)) return std::nullopt;
    return std::string(PQgetvalue(r.get(), 0, 0));
  }
  std::int64_t number(const std::string& sql) { return std::stoll(run(sql).value_or("0")); }

 private:
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn_;
};

/// A fresh database on the test server, dropped at the end.
struct PgBacking {
  std::string name, url;
  PgBacking() {
    static std::atomic<int> counter{0};
    name = "mctest_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
    Sql(test_url()).run("CREATE DATABASE " + name);  // a name of the tests' own, not data
    url = with_database(test_url(), name);
  }
  ~PgBacking() {
    try {
      Sql(test_url()).run("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    } catch (...) {
    }
  }
  PgBacking(const PgBacking&) = delete;
  PgBacking& operator=(const PgBacking&) = delete;

  std::unique_ptr<Store> open() { return open_postgres_store(url); }
  /// The records of one transaction share its id, xmin.
  mctest::CommitStats commits_of(const std::string& kind) {
    Sql sql(url);
    const auto where = " FROM mockcloud_journal WHERE kind = '" + kind + "'";  // the tests' own
    return {sql.number("SELECT count(*)" + where),
            sql.number("SELECT count(DISTINCT xmin::text)" + where),
            sql.number("SELECT max(n) FROM (SELECT count(*) AS n" + where +
                       " GROUP BY xmin::text) AS t")};
  }
};
}  // namespace pgtest
