// What a test suite of a library-only user does: a virtual clock, an environment, a VM, advance,
// check the outcome. Shared by both consumer projects; any failed check gives a non-zero exit code.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <mockcloud/mockcloud.hpp>

using namespace std::chrono_literals;

#define EXPECT(cond)                                                                \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return __LINE__;                                                              \
    }                                                                               \
  } while (0)

int main() try {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager cloud{{.seed = 42}, clock};

  auto env = cloud.create_environment({.name = "dev", .cidr = "10.1.0.0/16"});
  EXPECT(env.has_value());

  // Every creation succeeds, so the outcome does not depend on the draw.
  EXPECT(cloud.update_settings({{{"worker_failure_rate", 0.0}}}).has_value());
  auto op = cloud.create_vm({.name = "web-1", .environment_id = env->id});
  EXPECT(op.has_value());
  EXPECT(op->resource().status == mockcloud::VmStatus::creating);
  EXPECT(!op->ready());

  clock.advance(60s);
  EXPECT(op->ready());
  EXPECT(op->wait().state == mockcloud::TaskState::success);
  const mockcloud::Vm vm = op->get();
  EXPECT(vm.status == mockcloud::VmStatus::running);
  EXPECT(vm.ip_address.has_value() && env->cidr.contains(*vm.ip_address));

  // An error path: a typed error with a message formatted inside the library.
  auto missing = cloud.get_vm("00000000-0000-4000-8000-000000000000");
  EXPECT(!missing.has_value() && missing.error().kind == mockcloud::ErrorKind::not_found);
  EXPECT(missing.error().code() == mockcloud::ErrorKind::not_found);

  auto running = cloud.list_vms({.status = mockcloud::VmStatus::running});
  EXPECT(running.total == 1 && running.items.size() == 1 && running.items[0].id == vm.id);

  std::printf("ok: %s is %s at %s\n", vm.name.c_str(), std::string(to_string(vm.status)).c_str(),
              vm.ip_address->to_string().c_str());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "unexpected exception: %s\n", e.what());
  return 1;
}
