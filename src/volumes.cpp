// Volumes: what a volume's creation records, and attaching volumes to VMs; the rest of a
// volume's life runs on the lifecycle engine (async_resources.cpp) as kVolumeLifecycle declares.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "validate.hpp"

namespace mockcloud::detail {

namespace {
constexpr std::size_t kMaxVolumesPerVm = 16;
}

Result<Operation<Volume>> Core::create_volume(const VolumeSpec& spec) {
  auto vm_usable = [&](Slot env) -> std::optional<Error> {
    if (!spec.vm_id) return std::nullopt;
    const Slot vm = vms_.find(*spec.vm_id);
    if (vm == kNone) return Error::not_found(fmt::format("VM {} not found", *spec.vm_id));
    if (vms_[vm].env != env)
      return Error::conflict(
          fmt::format("VM {} is in another environment than {}", *spec.vm_id, spec.environment_id));
    const auto status = static_cast<VmStatus>(vms_[vm].status);
    if (status == VmStatus::deleting || status == VmStatus::deleted || status == VmStatus::error)
      return Error::conflict(
          fmt::format("VM {} is {}; a new volume can only be attached to a VM "
                      "that is running or being created",
                      *spec.vm_id, to_string(status)));
    return std::nullopt;
  };
  return create_async<VolumeRecord>(spec, vm_usable, [](Slot, TaskStart&, Rng&) {});
}

std::optional<std::string> Core::attach_blocker(const VolumeRecord& v) const {
  if (v.attach_to == Uuid{}) return std::nullopt;
  const Slot vm = vms_.find(v.attach_to);
  if (vm == kNone) return fmt::format("the VM {} to attach to is gone", v.attach_to.to_string());
  const auto status = static_cast<VmStatus>(vms_[vm].status);
  if (status != VmStatus::running)
    return fmt::format("the VM {} to attach to is {}, not running", v.attach_to.to_string(),
                       to_string(status));
  if (vms_[vm].volumes.size() >= kMaxVolumesPerVm)
    return fmt::format("the VM {} to attach to already has {} volumes attached",
                       v.attach_to.to_string(), kMaxVolumesPerVm);
  return std::nullopt;
}

Slot Core::created(const Uuid& id, const TaskStart& start, const VolumeSpec& spec,
                   const Found& found) {
  VolumeRecord r;
  r.name = spec.name;
  r.size_gb = static_cast<std::uint32_t>(spec.size_gb);
  r.type = spec.volume_type;
  if (spec.vm_id) {
    const Slot vm = vms_.find(*spec.vm_id);
    if (vm == kNone) throw StoreError("journal record is corrupt (an unknown VM)");
    r.attach_to = vms_[vm].id;
  }
  const Slot env = found.env != kNone ? found.env : envs_.find(spec.environment_id);
  if (env == kNone) throw StoreError("journal record is corrupt (an unknown environment)");
  return insert_async(std::move(r), id, start, {env, found.name, found.now});
}

std::optional<Error> Core::deletion_blocked(const VolumeRecord& v) const {
  if (v.status != static_cast<std::uint8_t>(VolumeStatus::in_use)) return std::nullopt;
  return Error::conflict(fmt::format("Volume {} is in-use, attached to VM {}: detach it first",
                                     v.id.to_string(), vms_[v.vm].id.to_string()));
}

Result<Volume> Core::attach_volume(std::string_view volume_id, std::string_view vm_id) {
  const auto lock = write_lock();
  const Slot vs = volumes_.find(volume_id);
  if (vs == kNone) return Error::not_found(fmt::format("Volume {} not found", volume_id));
  const Slot ms = vms_.find(vm_id);
  if (ms == kNone) return Error::not_found(fmt::format("VM {} not found", vm_id));
  const VolumeRecord& v = volumes_[vs];
  const VmRecord& vm = vms_[ms];
  const auto volume_status = static_cast<VolumeStatus>(v.status);
  const auto vm_status = static_cast<VmStatus>(vm.status);
  if (volume_status != VolumeStatus::available)
    return Error::conflict(fmt::format("Volume {} is {}; only an available volume can be attached",
                                       volume_id, to_string(volume_status)));
  if (vm_status != VmStatus::running)
    return Error::conflict(fmt::format("VM {} is {}; volumes can only be attached to a running VM",
                                       vm_id, to_string(vm_status)));
  if (v.env != vm.env)
    return Error::conflict(
        fmt::format("Volume {} and VM {} are in different environments", volume_id, vm_id));
  if (vm.volumes.size() >= kMaxVolumesPerVm)
    return Error::conflict(
        fmt::format("VM {} already has {} volumes attached", vm_id, kMaxVolumesPerVm));
  const VolumeAttached e{v.id, vm.id};
  apply(e);
  record(e);
  return snapshot(volumes_[vs], current_time());
}

void Core::apply(const VolumeAttached& e) {
  const Slot vs = existing(volumes_, e.volume, "volume");
  const Slot ms = existing(vms_, e.vm, "VM");
  const TimePoint now = current_time();
  const std::uint8_t from = volumes_[vs].status;
  set_status<VolumeRecord>(vs, static_cast<std::uint8_t>(VolumeStatus::in_use));
  note(volumes_[vs], from, volumes_[vs].status, kNone, now, e.vm);
  volumes_[vs].vm = ms;
  volumes_[vs].updated_at = now;
  vms_[ms].volumes.push_back(vs);
  vms_[ms].updated_at = now;
}

Result<Volume> Core::detach_volume(std::string_view volume_id) {
  const auto lock = write_lock();
  const Slot vs = volumes_.find(volume_id);
  if (vs == kNone) return Error::not_found(fmt::format("Volume {} not found", volume_id));
  const VolumeRecord& v = volumes_[vs];
  const auto status = static_cast<VolumeStatus>(v.status);
  if (status != VolumeStatus::in_use)
    return Error::conflict(fmt::format("Volume {} is {}, not in-use: nothing to detach", volume_id,
                                       to_string(status)));
  const VolumeDetached e{v.id};
  apply(e);
  record(e);
  return snapshot(volumes_[vs], current_time());
}

void Core::apply(const VolumeDetached& e) {
  const Slot vs = existing(volumes_, e.volume, "volume");
  if (volumes_[vs].vm == kNone)
    throw StoreError("journal record is corrupt (detach of a free volume)");
  detach(volumes_[vs], vs, current_time());
}

void Core::detach(VolumeRecord& v, Slot volume_slot, TimePoint now, Slot task) {
  VmRecord& vm = vms_[v.vm];
  const std::uint8_t from = v.status;
  vm.volumes.erase(std::remove(vm.volumes.begin(), vm.volumes.end(), volume_slot),
                   vm.volumes.end());
  vm.updated_at = now;
  v.vm = kNone;
  v.updated_at = now;
  set_status<VolumeRecord>(volume_slot, static_cast<std::uint8_t>(VolumeStatus::available));
  note(v, from, v.status, task, now, vm.id);
}

}  // namespace mockcloud::detail
