// The invariants every change keeps (ResourceManager::check_invariants): recounted from the
// records, for tests that end a soak, a crash round or a concurrency run by asking whether the
// state is still whole.
#include <fmt/format.h>
#include <boost/unordered/unordered_flat_map.hpp>

#include "core.hpp"

namespace mockcloud::detail {

std::vector<Violation> Core::check_invariants() const {
  std::lock_guard lock(mutex_);
  std::vector<Violation> out;
  auto add = [&](std::string_view kind, std::string message) {
    out.push_back({std::string(kind), std::move(message)});
  };
  struct Recount {
    KindCounts vms, volumes;
    std::uint32_t security_groups = 0;
    std::uint64_t ips = 0;
  };
  std::vector<Recount> per_env(envs_.capacity());
  StatusCounts global;
  std::vector<std::uint32_t> sg_users(sgs_.capacity());
  auto env_alive = [&](Slot env) { return env < envs_.capacity() && envs_[env].alive; };

  // An unsettled task's resource is in that task's step, and names it as its task.
  auto check_task = [&](const AsyncRecord& r, Slot slot, const Lifecycle& life) {
    const std::string id = r.id.to_string();
    if (r.task >= tasks_.capacity() || !tasks_[r.task].alive)
      return add("task", fmt::format("{} {} names no task", life.noun, id));
    const TaskRecord& t = tasks_[r.task];
    const Step& step = *step_of(t.kind).step;
    if (t.resource != r.id || t.resource_slot != slot)
      add("task",
          fmt::format("{} {}'s task {} is another resource's", life.noun, id, t.id.to_string()));
    if (t.state == TaskState::pending && r.status != life.queued)
      add("task",
          fmt::format("{} {} is not pending, but its task {} is", life.noun, id, t.id.to_string()));
    if (t.state == TaskState::started && r.status != step.during)
      add("task", fmt::format("{} {} is not in the step of its started task {}", life.noun, id,
                              t.id.to_string()));
    if (!in_flight(t.state) && (r.status == step.during || r.status == life.queued))
      add("task", fmt::format("{} {} is still in the step of its settled task {}", life.noun, id,
                              t.id.to_string()));
  };
  auto count = [&](KindCounts& c, std::size_t* global_by_status, const AsyncRecord& r,
                   const Lifecycle& life) {
    ++(r.status == life.kept ? c.kept : c.live);
    ++c.by_status[r.status];
    ++global_by_status[r.status];
  };

  // ---- VMs: addresses, security groups, attachments, tasks ----
  boost::unordered_flat_map<std::uint64_t, Slot> holders;  // (environment, address) -> VM
  for (Slot s = 0; s < vms_.capacity(); ++s) {
    const VmRecord& vm = vms_[s];
    if (!vm.alive) continue;
    const std::string id = vm.id.to_string();
    if (!env_alive(vm.env)) {
      add("count", fmt::format("VM {} is in no environment", id));
      continue;
    }
    const EnvRecord& env = envs_[vm.env];
    const bool kept = vm.status == kVmLifecycle.kept;
    count(per_env[vm.env].vms, global.vms, vm, kVmLifecycle);
    if (!kept)
      for (Slot sg : vm.security_groups)
        if (sg < sg_users.size()) ++sg_users[sg];
    if (vm.ip && !kept) {  // a kept VM shows the address it had, without holding it
      const Ipv4Address ip{vm.ip};
      if (!env.cidr.contains(ip))
        add("ip", fmt::format("VM {} holds {}, outside its environment's {}", id, ip.to_string(),
                              env.cidr.to_string()));
      if (!env.ips.taken(ip))
        add("ip_leak", fmt::format("VM {} holds {}, which its environment's pool has free", id,
                                   ip.to_string()));
      const auto key = (std::uint64_t{vm.env} << 32) | vm.ip;
      if (auto [it, fresh] = holders.emplace(key, s); !fresh)
        add("ip", fmt::format("VMs {} and {} both hold {}", vms_[it->second].id.to_string(), id,
                              ip.to_string()));
      else
        ++per_env[vm.env].ips;  // distinct addresses held
    }
    if (vm.status == static_cast<std::uint8_t>(VmStatus::running) && !vm.ip)
      add("ip", fmt::format("VM {} is running without an address", id));
    for (Slot v : vm.volumes)
      if (v >= volumes_.capacity() || !volumes_[v].alive || volumes_[v].vm != s)
        add("attachment", fmt::format("VM {} lists a volume that is not attached to it", id));
    check_task(vm, s, kVmLifecycle);
  }

  // ---- volumes ----
  for (Slot s = 0; s < volumes_.capacity(); ++s) {
    const VolumeRecord& v = volumes_[s];
    if (!v.alive) continue;
    const std::string id = v.id.to_string();
    if (!env_alive(v.env)) {
      add("count", fmt::format("Volume {} is in no environment", id));
      continue;
    }
    count(per_env[v.env].volumes, global.volumes, v, kVolumeLifecycle);
    const bool in_use = v.status == static_cast<std::uint8_t>(VolumeStatus::in_use);
    if (v.vm != kNone) {
      const bool listed = v.vm < vms_.capacity() && vms_[v.vm].alive &&
                          std::find(vms_[v.vm].volumes.begin(), vms_[v.vm].volumes.end(), s) !=
                              vms_[v.vm].volumes.end();
      if (!listed)
        add("attachment", fmt::format("Volume {} is attached to a VM that does not list it", id));
      if (!in_use) add("attachment", fmt::format("Volume {} is attached but not in-use", id));
      if (listed && vms_[v.vm].env != v.env)
        add("attachment", fmt::format("Volume {} is attached to a VM of another environment", id));
    } else if (in_use) {
      add("attachment", fmt::format("Volume {} is in-use without a VM", id));
    }
    check_task(v, s, kVolumeLifecycle);
  }

  // ---- security groups ----
  for (Slot s = 0; s < sgs_.capacity(); ++s) {
    const SgRecord& sg = sgs_[s];
    if (!sg.alive) continue;
    if (sg.env != kNone) {
      if (!env_alive(sg.env))
        add("count", fmt::format("Security group {} is in no environment", sg.id.to_string()));
      else
        ++per_env[sg.env].security_groups;
    }
    if (sg.users != sg_users[s])
      add("count", fmt::format("Security group {} counts {} users, {} VMs use it",
                               sg.id.to_string(), sg.users, sg_users[s]));
  }

  // ---- environments: their counts and pools ----
  auto compare = [&](const std::string& env, std::string_view kind, const KindCounts& kept,
                     const KindCounts& recount) {
    if (kept.live != recount.live || kept.kept != recount.kept ||
        !std::equal(std::begin(kept.by_status), std::end(kept.by_status),
                    std::begin(recount.by_status)))
      add("count", fmt::format("environment {} counts its {} wrongly ({} live, {} recounted)", env,
                               kind, kept.live, recount.live));
  };
  for (Slot s = 0; s < envs_.capacity(); ++s) {
    const EnvRecord& env = envs_[s];
    if (!env.alive) continue;
    const std::string id = env.id.to_string();
    compare(id, "VMs", env.vms, per_env[s].vms);
    compare(id, "volumes", env.volumes, per_env[s].volumes);
    if (env.security_groups != per_env[s].security_groups)
      add("count", fmt::format("environment {} counts {} security groups, {} recounted", id,
                               env.security_groups, per_env[s].security_groups));
    if (env.ips.used() != per_env[s].ips)
      add("ip_leak", fmt::format("environment {}'s pool has {} addresses taken, its VMs hold {}",
                                 id, env.ips.used(), per_env[s].ips));
  }

  // ---- the cloud's counts ----
  if (!std::equal(std::begin(global.vms), std::end(global.vms), std::begin(status_counts_.vms)) ||
      !std::equal(std::begin(global.volumes), std::end(global.volumes),
                  std::begin(status_counts_.volumes)))
    add("count", "the cloud's resource counts by status differ from a recount");
  std::size_t tasks[std::size(all_task_states)] = {};
  for (Slot s = 0; s < tasks_.capacity(); ++s)
    if (tasks_[s].alive) ++tasks[static_cast<std::size_t>(tasks_[s].state)];
  if (!std::equal(std::begin(tasks), std::end(tasks), std::begin(status_counts_.tasks)))
    add("count", "the cloud's task counts by state differ from a recount");
  return out;
}

}  // namespace mockcloud::detail
