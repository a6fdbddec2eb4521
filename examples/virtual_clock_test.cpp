// A test suite of yours, against libmockcloud: no server, no sleeps, the same outcome every run.
//
// Build: link mockcloud::mockcloud and doctest::doctest (see examples/CMakeLists.txt).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>

#include <mockcloud/mockcloud.hpp>

using namespace std::chrono_literals;

TEST_CASE("a VM comes up within a minute, or fails with a reason") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager cloud{{.seed = 42}, clock};

  auto env = cloud.create_environment({.name = "dev"}).value();  // 10.0.0.0/16 by default
  auto op = cloud.create_vm({.name = "web-1", .environment_id = env.id}).value();
  CHECK(op.resource().status == mockcloud::VmStatus::creating);
  CHECK_THROWS_AS(op.get(), mockcloud::Exception);  // not due yet: advance the clock first

  clock.advance(60s);  // fires every due completion; no real waiting
  auto vm = op.get();  // settled: running with an IP, or error with a reason
  if (vm.status == mockcloud::VmStatus::running) {
    REQUIRE(vm.ip_address.has_value());
    CHECK(env.cidr.contains(*vm.ip_address));
  } else {
    CHECK(vm.status == mockcloud::VmStatus::error);
    CHECK(vm.error.has_value());
  }
}

TEST_CASE("code under test retries when a creation fails") {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager cloud{{.seed = 7}, clock};
  auto env = cloud.create_environment({.name = "ci"}).value();

  // Make the next VM creation fail on purpose, whatever the random draw says.
  REQUIRE(cloud.add_fault({.operation = mockcloud::TaskKind::vm_create, .fail_next = 1}));

  auto first = cloud.create_vm({.name = "db", .environment_id = env.id}).value();
  clock.advance(60s);
  auto failed = first.get();
  CHECK(failed.status == mockcloud::VmStatus::error);
  CHECK(first.wait().state == mockcloud::TaskState::failure);

  // The retry: delete the broken VM, wait for the deletion, create it again.
  auto deletion = cloud.delete_vm(failed.id).value();
  clock.advance(10s);
  CHECK(deletion.wait().state == mockcloud::TaskState::success);
  CHECK_FALSE(cloud.get_vm(failed.id));  // gone

  cloud.update_settings({{{"worker_failure_rate", 0.0}}}).value();
  auto retry = cloud.create_vm({.name = "db", .environment_id = env.id}).value();
  clock.advance(60s);
  CHECK(retry.get().status == mockcloud::VmStatus::running);
}
