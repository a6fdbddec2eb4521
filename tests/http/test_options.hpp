#pragma once

#include "mockcloud/manager.hpp"

namespace test {
inline mockcloud::ManagerOptions options() {
  mockcloud::ManagerOptions o;
  o.seed = 42;
  o.settings.worker_failure_rate = 0;
  return o;
}
}  // namespace test
