#pragma once

#include "mockcloud/manager.hpp"

namespace test {

/// With MOCKCLOUD_HTTP_ON_POSTGRES=1 (ctest postgres-http, under tests/pg/with-postgres.sh):
/// a store in a new database of MOCKCLOUD_TEST_DATABASE_URL's server, so that the suite runs
/// against one PostgreSQL replica; otherwise none (memory).
std::shared_ptr<mockcloud::Store> test_store();

inline mockcloud::ManagerOptions options() {
  mockcloud::ManagerOptions o;
  o.seed = 42;
  o.settings.worker_failure_rate = 0;
  o.store = test_store();
  return o;
}

}  // namespace test
