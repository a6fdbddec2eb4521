// Asynchronous resources as data. Each kind declares its statuses and, for each operation, the
// timed step that runs it: the task, the duration settings, whether it may fail at random, the
// status on success and on failure, and the effects of each (take or release an IP, detach the
// volumes, remove the record). One engine (async_resources.cpp) runs every declaration; adding a
// status, a step or a kind is a declaration and its tests, not new control flow.
#pragma once

#include <cstdint>
#include <string_view>

#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"

namespace mockcloud::detail {

/// What a step does to the cloud besides moving the status; several may combine.
enum Effect : std::uint8_t {
  no_effect = 0,
  take_ip = 1,         // the VM takes a free host address of its environment (may fail: full)
  release_ip = 2,      // its address goes back to the pool
  detach_volumes = 4,  // the volumes attached to it become available
  release_groups = 8,  // its security groups lose a user
  remove = 16,         // the record is gone (its name free again, its tasks still readable)
  attach_vm = 32,      // the volume attaches to the VM its spec named, if it named one
};
constexpr Effect operator|(Effect a, Effect b) {
  return static_cast<Effect>(static_cast<std::uint8_t>(a) | static_cast<std::uint8_t>(b));
}

/// One timed transition: `during` while the task runs, then `on_success` or `on_failure`.
struct Step {
  TaskKind task;
  std::uint8_t during;
  double Settings::*min;  // the duration: uniform in [min, max] seconds
  double Settings::*max;
  bool may_fail;  // fails when the task's draw is below worker_failure_rate
  std::uint8_t on_success, on_failure;
  Effect success_effects, failure_effects;
  std::string_view random_failure;    // the error of a simulated worker failure
  std::string_view injected_failure;  // the error of a fail_next fault
};

/// The life of one kind of asynchronous resource.
struct Lifecycle {
  std::string_view kind;  // draw keys and journal records: "vm", "volume"
  std::string_view noun;  // messages: "VM", "Volume"
  Step create, destroy;
  std::uint8_t statuses;  // how many statuses the kind has
  // Under a CloudModel that asks for them: the status of a creation waiting for a worker
  // (pending_stage), and of a deleted resource kept visible (keep_deleted).
  std::uint8_t queued, kept;
};

inline constexpr Lifecycle kVmLifecycle{
    "vm",
    "VM",
    {TaskKind::vm_create, std::uint8_t(VmStatus::creating), &Settings::vm_creation_time_min,
     &Settings::vm_creation_time_max, true, std::uint8_t(VmStatus::running),
     std::uint8_t(VmStatus::error), take_ip, no_effect,
     "simulated worker failure: the VM could not be created", "injected fault: vm.create failed"},
    {TaskKind::vm_delete,
     std::uint8_t(VmStatus::deleting),
     &Settings::vm_deletion_time_min,
     &Settings::vm_deletion_time_max,
     false,
     std::uint8_t(VmStatus::deleting),
     std::uint8_t(VmStatus::error),
     release_ip | detach_volumes | release_groups | remove,
     release_ip | detach_volumes,
     {},
     "injected fault: vm.delete failed"},
    std::size(all_vm_statuses),
    std::uint8_t(VmStatus::pending),
    std::uint8_t(VmStatus::deleted)};

inline constexpr Lifecycle kVolumeLifecycle{
    "volume",
    "Volume",
    {TaskKind::volume_create, std::uint8_t(VolumeStatus::creating),
     &Settings::volume_creation_time_min, &Settings::volume_creation_time_max, true,
     std::uint8_t(VolumeStatus::available), std::uint8_t(VolumeStatus::error), attach_vm, no_effect,
     "simulated worker failure: the volume could not be created",
     "injected fault: volume.create failed"},
    {TaskKind::volume_delete,
     std::uint8_t(VolumeStatus::deleting),
     &Settings::volume_deletion_time_min,
     &Settings::volume_deletion_time_max,
     false,
     std::uint8_t(VolumeStatus::deleting),
     std::uint8_t(VolumeStatus::error),
     remove,
     no_effect,
     {},
     "injected fault: volume.delete failed"},
    std::size(all_volume_statuses),
    std::uint8_t(VolumeStatus::pending),
    std::uint8_t(VolumeStatus::deleted)};

/// The step a task of `kind` runs, and the lifecycle it belongs to.
struct StepOf {
  const Lifecycle* lifecycle;
  const Step* step;
};
constexpr StepOf step_of(TaskKind kind) {
  switch (kind) {
    case TaskKind::vm_create:
      return {&kVmLifecycle, &kVmLifecycle.create};
    case TaskKind::vm_delete:
      return {&kVmLifecycle, &kVmLifecycle.destroy};
    case TaskKind::volume_create:
      return {&kVolumeLifecycle, &kVolumeLifecycle.create};
    case TaskKind::volume_delete:
      break;
  }
  return {&kVolumeLifecycle, &kVolumeLifecycle.destroy};
}

}  // namespace mockcloud::detail
