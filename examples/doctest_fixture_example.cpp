// A doctest suite of yours, against libmockcloud, with the fixture of
// mockcloud/testing/doctest.hpp: a fresh cloud per test case, virtual time, resources and
// statuses printed in full when a check fails.
//
// Build: link mockcloud::mockcloud, Boost::headers and doctest::doctest (see
// examples/CMakeLists.txt).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <chrono>

#include <mockcloud/testing/doctest.hpp>

using namespace std::chrono_literals;
using mockcloud::TaskKind;
using mockcloud::TaskState;
using mockcloud::VmStatus;
using mockcloud::VolumeStatus;
using mockcloud::testing::CloudFixture;

TEST_CASE_FIXTURE(CloudFixture, "a VM comes up with an address in its environment") {
  auto vm = cloud.create_vm({.name = "web-1"});  // in the default environment, 10.0.0.0/16
  CHECK(vm.status == VmStatus::creating);

  CHECK(cloud.settle() == 1);  // one completion, 30 to 60 s of virtual time, no real wait
  auto now = cloud.vm(vm.id);
  CHECK(now.status == VmStatus::running);  // on failure: "error == running"
  REQUIRE(now.ip_address);
  CHECK(cloud.environment().cidr.contains(*now.ip_address));
}

TEST_CASE_FIXTURE(CloudFixture, "the next creation fails when told to") {
  cloud.fail_next(TaskKind::vm_create);
  auto first = cloud.create_vm({.name = "db-1"});
  auto second = cloud.create_vm({.name = "db-2"});
  cloud.settle();

  CHECK(cloud.vm(first.id).status == VmStatus::error);
  CHECK(cloud.task(first.task_id).state == TaskState::failure);
  CHECK(cloud.vm(second.id).status == VmStatus::running);
}

TEST_CASE_FIXTURE(CloudFixture, "a volume is attached once available") {
  auto vm = cloud.create_running_vm({.name = "app"});
  auto volume = cloud.create_volume({.name = "data"});

  cloud.advance_until([&] { return cloud.volume(volume.id).status == VolumeStatus::available; },
                      2min, "the volume being available");
  CHECK(cloud.attach(volume.id, vm.id).status == VolumeStatus::in_use);
  CHECK(cloud.vm(vm.id).volume_ids == std::vector{volume.id});
}

TEST_CASE_FIXTURE(CloudFixture, "each subcase starts from a fresh cloud") {
  // doctest runs the test case once per subcase, with a new fixture each time.
  CHECK(cloud.manager().counts().vms == 0);
  cloud.create_vm();
  SUBCASE("one") {
    CHECK(cloud.manager().counts().vms == 1);
  }
  SUBCASE("two") {
    CHECK(cloud.manager().counts().vms == 1);
  }
}

// Deliberately failing, to show what a failure prints: skipped, so out of the normal run.
// ctest runs it on its own (example-doctest-fixture-failure-output) and checks that the VM is
// printed:  example-doctest-fixture --no-skip --test-case='*shows the VM*'
TEST_CASE_FIXTURE(CloudFixture, "shows the VM when a check fails" * doctest::skip()) {
  cloud.fail_next(TaskKind::vm_create);
  auto vm = cloud.create_vm({.name = "web-1"});
  cloud.settle();
  const mockcloud::Vm web1 = cloud.vm(vm.id);
  CHECK_MESSAGE(web1.status == VmStatus::running, web1);  // the status, then the whole VM
}
