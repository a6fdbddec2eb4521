// VMs: creation and deletion as tasks on the clock; an IP while running.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "journal_codec.hpp"
#include "listing.hpp"
#include "validate.hpp"

namespace mockcloud::detail {

Result<Operation<Vm>> Core::create_vm(const VmSpec& spec) {
  if (auto errors = validate(spec); !errors.empty()) return Error::invalid(std::move(errors));
  std::lock_guard lock(mutex_);
  const Slot env = envs_.find(spec.environment_id);
  if (env == kNone)
    return Error::not_found(fmt::format("Environment {} not found", spec.environment_id));
  std::vector<Slot> groups;
  for (const auto& id : spec.security_group_ids) {
    const Slot sg = sgs_.find(id);
    if (sg == kNone) return Error::not_found(fmt::format("Security group {} not found", id));
    if (sgs_[sg].env != env)
      return Error::conflict(fmt::format("Security group {} belongs to another environment than {}",
                                         id, spec.environment_id));
    if (std::find(groups.begin(), groups.end(), sg) == groups.end()) groups.push_back(sg);
  }
  EnvRecord& e = envs_[env];
  NameEntry& name = vm_names_.entry({e.scope, spec.name});
  if (name.live != kNone)
    return Error::conflict(fmt::format("VM name '{}' already exists in environment {}", spec.name,
                                       spec.environment_id));

  // Every draw of this VM's creation, in a fixed order, from its identity.
  Rng rng = draw("vm", env, spec.name, name.generation, "create");
  const Uuid id = Uuid::from_rng(rng);
  const Uuid task_id = Uuid::from_rng(rng);
  const double seconds =
      rng.between(settings_.vm_creation_time_min, settings_.vm_creation_time_max);
  const double outcome = rng.unit();
  const std::uint64_t preferred = 1 + rng.below(e.ips.hosts());

  const TimePoint now = current_time();
  VmRecord r;
  r.id = id;
  r.name = spec.name;
  r.env = env;
  r.generation = name.generation;
  r.cpu = static_cast<std::uint8_t>(spec.cpu);
  r.memory_mb = static_cast<std::uint32_t>(spec.memory_mb);
  r.image = intern_image(spec.image);
  r.security_groups = std::move(groups);
  r.status = VmStatus::creating;
  r.created_at = r.updated_at = now;
  const Slot slot = vms_.insert(std::move(r));
  name.live = slot;
  ++name.generation;
  ++e.vms;
  ++e.vm_status[static_cast<int>(VmStatus::creating)];
  ++status_counts_.vms[static_cast<int>(VmStatus::creating)];
  for (Slot sg : vms_[slot].security_groups)
    ++sgs_[sg].users;

  const Slot task = start_task(TaskKind::vm_create, task_id, id, slot, kNone, now, seconds);
  tasks_[task].outcome_draw = outcome;
  tasks_[task].preferred = preferred;
  vms_[slot].task = task;
  record("vm.create", [&] { return std::string(encode(spec)); });
  return Operation<Vm>(shared_from_this(), task, epoch_, snapshot(vms_[slot], now));
}

void Core::complete_vm_create(TaskRecord& t, TimePoint now, Callbacks& cbs) {
  VmRecord& vm = vms_[t.resource_slot];
  EnvRecord& env = envs_[vm.env];
  std::string error;
  if (t.forced_failure) {
    error = "injected fault: vm.create failed";
  } else if (t.outcome_draw < settings_.worker_failure_rate) {
    error = "simulated worker failure: the VM could not be created";
  } else if (auto ip = env.ips.take(t.preferred)) {
    vm.ip = ip->to_uint();
  } else {
    error = fmt::format("no free IP address in {} ({} hosts, all taken)", env.cidr.to_string(),
                        env.ips.hosts());
  }
  vm.updated_at = now;
  if (error.empty()) {
    set_vm_status(t.resource_slot, VmStatus::running);
    settle(vm.task, TaskState::success, 0, now, cbs);
  } else {
    set_vm_status(t.resource_slot, VmStatus::error);
    vm.error = intern_message(error);
    settle(vm.task, TaskState::failure, vm.error, now, cbs);
  }
}

Result<Vm> Core::get_vm(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Slot s = vms_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("VM {} not found", id));
  return snapshot(vms_[s], current_time());
}

Listing<Vm> Core::list_vms(const VmFilter& f, Page p) const {
  std::lock_guard lock(mutex_);
  const TimePoint now = current_time();
  auto snap = [this, now](const VmRecord& r) { return snapshot(r, now); };
  Slot env = kNone;
  if (f.environment_id) {
    env = envs_.find(*f.environment_id);
    if (env == kNone) return {};
  }
  Filter match{env};
  if (f.status) match.status = static_cast<std::uint8_t>(*f.status);
  if (f.name) return page_by_name(vms_, vm_names_, name_keys(envs_, env, *f.name), p, match, snap);
  std::size_t total;
  if (env != kNone)
    total = f.status ? envs_[env].vm_status[static_cast<int>(*f.status)] : envs_[env].vms;
  else
    total = f.status ? status_counts_.vms[static_cast<int>(*f.status)] : vms_.size();
  return page_of(vms_, total, p, match, snap);
}

void Core::complete_vm_delete(TaskRecord& t, TimePoint now, Callbacks& cbs) {
  const Slot slot = t.resource_slot;
  VmRecord& vm = vms_[slot];
  if (t.forced_failure) {
    // A failed deletion leaves a broken VM: no IP, no volumes, status error.
    if (vm.ip) envs_[vm.env].ips.release(Ipv4Address{vm.ip});
    vm.ip = 0;
    for (Slot v : std::vector<Slot>(vm.volumes))
      detach(volumes_[v], v, now);
    vm.error = intern_message("injected fault: vm.delete failed");
    vm.updated_at = now;
    set_vm_status(slot, VmStatus::error);
    settle(vm.task, TaskState::failure, vm.error, now, cbs);
    return;
  }
  settle(vm.task, TaskState::success, 0, now, cbs);
  remove_vm(slot, now);
}

void Core::remove_vm(Slot slot, TimePoint now) {
  VmRecord& vm = vms_[slot];
  EnvRecord& env = envs_[vm.env];
  if (vm.ip) env.ips.release(Ipv4Address{vm.ip});
  for (Slot v : std::vector<Slot>(vm.volumes))
    detach(volumes_[v], v, now);
  for (Slot sg : vm.security_groups)
    --sgs_[sg].users;
  --env.vms;
  --env.vm_status[static_cast<int>(vm.status)];
  --status_counts_.vms[static_cast<int>(vm.status)];
  vm_names_.entry({env.scope, vm.name}).live = kNone;
  last_task_of_[vm.id] = vm.task;
  vms_.erase(slot);
}

}  // namespace mockcloud::detail
