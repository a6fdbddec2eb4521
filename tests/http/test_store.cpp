// test::test_store(): the HTTP suite in memory, or against PostgreSQL (test_options.hpp).
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include "mockcloud/store.hpp"
#include "test_options.hpp"

namespace test {

std::shared_ptr<mockcloud::Store> test_store() {
  const char* on = std::getenv("MOCKCLOUD_HTTP_ON_POSTGRES");
  if (on == nullptr || std::string(on) != "1") return nullptr;
  const char* base = std::getenv("MOCKCLOUD_TEST_DATABASE_URL");
  if (base == nullptr || *base == '\0')
    throw std::runtime_error(
        "MOCKCLOUD_HTTP_ON_POSTGRES=1 needs MOCKCLOUD_TEST_DATABASE_URL "
        "(run through tests/pg/with-postgres.sh)");
  static std::atomic<int> counter{0};
  const std::string name = "mchttp_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  std::unique_ptr<PGconn, decltype(&PQfinish)> admin(PQconnectdb(base), &PQfinish);
  std::unique_ptr<PGresult, decltype(&PQclear)> r(
      PQexec(admin.get(), ("CREATE DATABASE " + name).c_str()), &PQclear);
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    throw std::runtime_error("CREATE DATABASE " + name + ": " + PQerrorMessage(admin.get()));
  // The cluster is with-postgres.sh's own, removed with everything in it at its end.
  const std::string url(base);
  return mockcloud::open_postgres_store(url.substr(0, url.rfind('/') + 1) + name);
}

}  // namespace test
