// A GoogleTest suite of yours, against libmockcloud, with the fixtures of
// mockcloud/testing/gtest.hpp: a fresh cloud per test, virtual time, matchers that print the
// resource when they fail.
//
// Build: link mockcloud::mockcloud, Boost::headers and GTest::gmock_main (see
// examples/CMakeLists.txt).
#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <mockcloud/testing/gtest.hpp>

using namespace std::chrono_literals;
using mockcloud::TaskKind;
using mockcloud::VmStatus;
using mockcloud::VolumeStatus;
using mockcloud::testing::Failed;
using mockcloud::testing::HasError;
using mockcloud::testing::HasIpIn;
using mockcloud::testing::HasStatus;
using mockcloud::testing::IsAvailable;
using mockcloud::testing::IsInUse;
using mockcloud::testing::IsRunning;
using mockcloud::testing::Succeeded;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class VmTest : public mockcloud::testing::CloudTest {};

TEST_F(VmTest, ComesUpWithAnAddressInItsEnvironment) {
  auto vm = cloud.create_vm({.name = "web-1"});  // in the default environment, 10.0.0.0/16
  EXPECT_THAT(vm, HasStatus(VmStatus::creating));

  EXPECT_EQ(cloud.settle(), 1u);  // one completion, 30 to 60 s of virtual time, no real wait
  EXPECT_THAT(cloud.vm(vm.id), AllOf(IsRunning(), HasIpIn("10.0.0.0/16")));
  EXPECT_THAT(cloud.task(vm.task_id), Succeeded());
}

TEST_F(VmTest, TheNextCreationFailsWhenToldTo) {
  cloud.fail_next(TaskKind::vm_create);  // one, in request order
  auto first = cloud.create_vm({.name = "db-1"});
  auto second = cloud.create_vm({.name = "db-2"});
  cloud.settle();

  EXPECT_THAT(cloud.vm(first.id),
              AllOf(HasStatus(VmStatus::error), HasError(HasSubstr("injected fault"))));
  EXPECT_THAT(cloud.task(first.task_id), Failed());
  EXPECT_THAT(cloud.vm(second.id), IsRunning());
}

TEST_F(VmTest, AVolumeIsAttachedOnceAvailable) {
  auto vm = cloud.create_running_vm({.name = "app"});
  auto volume = cloud.create_volume({.name = "data", .size_gb = 20});

  // Deadline by deadline, and no further than needed; a Timeout says what was awaited.
  cloud.advance_until([&] { return cloud.volume(volume.id).status == VolumeStatus::available; },
                      2min, "the volume being available");
  EXPECT_THAT(cloud.volume(volume.id), IsAvailable());

  EXPECT_THAT(cloud.attach(volume.id, vm.id), IsInUse());
  EXPECT_THAT(cloud.vm(vm.id).volume_ids, ElementsAre(volume.id));
}

TEST_F(VmTest, AdvanceUntilGivesUpAtItsLimit) {
  auto vm = cloud.create_vm({.name = "web-1"});
  try {
    cloud.advance_until([&] { return cloud.vm(vm.id).status == VmStatus::running; }, 10s,
                        "web-1 running");
    FAIL() << "expected a Timeout";
  } catch (const mockcloud::testing::Timeout& e) {
    EXPECT_THAT(e.what(), HasSubstr("web-1 running still false after 10000 ms"));
  }
  EXPECT_EQ(cloud.now(), cloud.clock().start() + 10s);  // the limit, not a step further
}

TEST_F(VmTest, ResetEmptiesTheCloudAndRewindsTheClock) {
  cloud.create_running_vm();
  cloud.reset();
  EXPECT_EQ(cloud.manager().counts().vms, 0u);
  EXPECT_EQ(cloud.now(), cloud.clock().start());
}

TEST_F(VmTest, CreatorsThrowWithWhatWasAsked) {
  cloud.create_vm({.name = "web-1"});
  try {
    cloud.create_vm({.name = "web-1"});
    FAIL() << "expected a mockcloud::Exception";
  } catch (const mockcloud::Exception& e) {
    EXPECT_EQ(e.kind(), mockcloud::ErrorKind::conflict);
    EXPECT_THAT(e.what(), HasSubstr("create_vm(name=\"web-1\")"));
  }
}

// Deliberately failing, to show what a failure prints: disabled, so out of the normal run.
// ctest runs it on its own (example-gtest-failure-output) and checks that the VM is printed:
//   example-gtest --gtest_also_run_disabled_tests --gtest_filter='*DISABLED_ShowsTheVm*'
TEST_F(VmTest, DISABLED_ShowsTheVmWhenAnExpectationFails) {
  cloud.fail_next(TaskKind::vm_create);
  auto vm = cloud.create_vm({.name = "web-1"});
  cloud.settle();
  EXPECT_THAT(cloud.vm(vm.id), IsRunning());
}
