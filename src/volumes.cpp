// Volumes: creation and deletion as tasks on the clock; attach to and detach from VMs.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "journal_codec.hpp"
#include "listing.hpp"
#include "validate.hpp"

namespace mockcloud::detail {

namespace {
constexpr std::size_t kMaxVolumesPerVm = 16;
}

Result<Operation<Volume>> Core::create_volume(const VolumeSpec& spec) {
  if (auto errors = validate(spec); !errors.empty()) return Error::invalid(std::move(errors));
  std::lock_guard lock(mutex_);
  const Slot env = envs_.find(spec.environment_id);
  if (env == kNone)
    return Error::not_found(fmt::format("Environment {} not found", spec.environment_id));
  EnvRecord& e = envs_[env];
  NameEntry& name = volume_names_.entry({e.scope, spec.name});
  if (name.live != kNone)
    return Error::conflict(fmt::format("Volume name '{}' already exists in environment {}",
                                       spec.name, spec.environment_id));

  Rng rng = draw("volume", env, spec.name, name.generation, "create");
  const Uuid id = Uuid::from_rng(rng);
  const Uuid task_id = Uuid::from_rng(rng);
  const double seconds =
      rng.between(settings_.volume_creation_time_min, settings_.volume_creation_time_max);
  const double outcome = rng.unit();

  const TimePoint now = current_time();
  VolumeRecord r;
  r.id = id;
  r.name = spec.name;
  r.env = env;
  r.generation = name.generation;
  r.size_gb = static_cast<std::uint32_t>(spec.size_gb);
  r.type = spec.volume_type;
  r.status = VolumeStatus::creating;
  r.created_at = r.updated_at = now;
  const Slot slot = volumes_.insert(std::move(r));
  name.live = slot;
  ++name.generation;
  ++e.volumes;
  ++e.volume_status[static_cast<int>(VolumeStatus::creating)];
  ++status_counts_.volumes[static_cast<int>(VolumeStatus::creating)];

  const Slot task = start_task(TaskKind::volume_create, task_id, id, slot, kNone, now, seconds);
  tasks_[task].outcome_draw = outcome;
  volumes_[slot].task = task;
  record("volume.create", [&] { return std::string(encode(spec)); });
  return Operation<Volume>(shared_from_this(), task, epoch_, snapshot(volumes_[slot], now));
}

void Core::complete_volume_create(TaskRecord& t, TimePoint now, Callbacks& cbs) {
  VolumeRecord& v = volumes_[t.resource_slot];
  v.updated_at = now;
  std::string error;
  if (t.forced_failure)
    error = "injected fault: volume.create failed";
  else if (t.outcome_draw < settings_.worker_failure_rate)
    error = "simulated worker failure: the volume could not be created";
  if (error.empty()) {
    set_volume_status(t.resource_slot, VolumeStatus::available);
    settle(v.task, TaskState::success, 0, now, cbs);
  } else {
    set_volume_status(t.resource_slot, VolumeStatus::error);
    v.error = intern_message(error);
    settle(v.task, TaskState::failure, v.error, now, cbs);
  }
}

Result<Volume> Core::get_volume(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Slot s = volumes_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("Volume {} not found", id));
  return snapshot(volumes_[s], current_time());
}

Listing<Volume> Core::list_volumes(const VolumeFilter& f, Page p) const {
  std::lock_guard lock(mutex_);
  const TimePoint now = current_time();
  auto snap = [this, now](const VolumeRecord& r) { return snapshot(r, now); };
  Slot env = kNone;
  if (f.environment_id) {
    env = envs_.find(*f.environment_id);
    if (env == kNone) return {};
  }
  Filter match{env};
  if (f.status) match.status = static_cast<std::uint8_t>(*f.status);
  if (f.name)
    return page_by_name(volumes_, volume_names_, name_keys(envs_, env, *f.name), p, match, snap);
  std::size_t total;
  if (env != kNone)
    total = f.status ? envs_[env].volume_status[static_cast<int>(*f.status)] : envs_[env].volumes;
  else
    total = f.status ? status_counts_.volumes[static_cast<int>(*f.status)] : volumes_.size();
  return page_of(volumes_, total, p, match, snap);
}

void Core::complete_volume_delete(TaskRecord& t, TimePoint now, Callbacks& cbs) {
  VolumeRecord& v = volumes_[t.resource_slot];
  if (t.forced_failure) {
    v.error = intern_message("injected fault: volume.delete failed");
    v.updated_at = now;
    set_volume_status(t.resource_slot, VolumeStatus::error);
    settle(v.task, TaskState::failure, v.error, now, cbs);
    return;
  }
  settle(v.task, TaskState::success, 0, now, cbs);
  remove_volume(t.resource_slot);
}

void Core::remove_volume(Slot slot) {
  VolumeRecord& v = volumes_[slot];
  EnvRecord& env = envs_[v.env];
  --env.volumes;
  --env.volume_status[static_cast<int>(v.status)];
  --status_counts_.volumes[static_cast<int>(v.status)];
  volume_names_.entry({env.scope, v.name}).live = kNone;
  last_task_of_[v.id] = v.task;
  volumes_.erase(slot);
}

Result<Volume> Core::attach_volume(std::string_view volume_id, std::string_view vm_id) {
  std::lock_guard lock(mutex_);
  const Slot vs = volumes_.find(volume_id);
  if (vs == kNone) return Error::not_found(fmt::format("Volume {} not found", volume_id));
  const Slot ms = vms_.find(vm_id);
  if (ms == kNone) return Error::not_found(fmt::format("VM {} not found", vm_id));
  VolumeRecord& v = volumes_[vs];
  VmRecord& vm = vms_[ms];
  if (v.status != VolumeStatus::available)
    return Error::conflict(fmt::format("Volume {} is {}; only an available volume can be attached",
                                       volume_id, to_string(v.status)));
  if (vm.status != VmStatus::running)
    return Error::conflict(fmt::format("VM {} is {}; volumes can only be attached to a running VM",
                                       vm_id, to_string(vm.status)));
  if (v.env != vm.env)
    return Error::conflict(
        fmt::format("Volume {} and VM {} are in different environments", volume_id, vm_id));
  if (vm.volumes.size() >= kMaxVolumesPerVm)
    return Error::conflict(
        fmt::format("VM {} already has {} volumes attached", vm_id, kMaxVolumesPerVm));
  const TimePoint now = current_time();
  set_volume_status(vs, VolumeStatus::in_use);
  v.vm = ms;
  v.updated_at = now;
  vm.volumes.push_back(vs);
  vm.updated_at = now;
  record("volume.attach",
         [&] { return std::string(Writer().str(v.id.to_string()).str(vm.id.to_string()).take()); });
  return snapshot(v, now);
}

Result<Volume> Core::detach_volume(std::string_view volume_id) {
  std::lock_guard lock(mutex_);
  const Slot vs = volumes_.find(volume_id);
  if (vs == kNone) return Error::not_found(fmt::format("Volume {} not found", volume_id));
  VolumeRecord& v = volumes_[vs];
  if (v.status != VolumeStatus::in_use)
    return Error::conflict(fmt::format("Volume {} is {}, not in-use: nothing to detach", volume_id,
                                       to_string(v.status)));
  const TimePoint now = current_time();
  detach(v, vs, now);
  record("volume.detach", [&] { return std::string(Writer().str(v.id.to_string()).take()); });
  return snapshot(v, now);
}

void Core::detach(VolumeRecord& v, Slot volume_slot, TimePoint now) {
  VmRecord& vm = vms_[v.vm];
  vm.volumes.erase(std::remove(vm.volumes.begin(), vm.volumes.end(), volume_slot),
                   vm.volumes.end());
  vm.updated_at = now;
  v.vm = kNone;
  v.updated_at = now;
  set_volume_status(volume_slot, VolumeStatus::available);
}

}  // namespace mockcloud::detail
