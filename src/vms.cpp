// VMs: what a VM's creation checks (its security groups) and records; the rest of its life runs
// on the lifecycle engine (async_resources.cpp) as kVmLifecycle declares it.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "validate.hpp"

namespace mockcloud::detail {

Result<Operation<Vm>> Core::create_vm(const VmSpec& spec) {
  auto groups_usable = [&](Slot env) -> std::optional<Error> {
    for (const auto& id : spec.security_group_ids) {
      const Slot sg = sgs_.find(id);
      if (sg == kNone) return Error::not_found(fmt::format("Security group {} not found", id));
      if (sgs_[sg].env != kNone && sgs_[sg].env != env)
        return Error::conflict(fmt::format(
            "Security group {} belongs to another environment than {}", id, spec.environment_id));
    }
    return std::nullopt;
  };
  auto preferred_ip = [&](Slot env, TaskStart& start, Rng& rng) {
    start.preferred = 1 + rng.below(envs_[env].ips.hosts());
  };
  return create_async<VmRecord>(spec, groups_usable, preferred_ip);
}

Slot Core::created(const Uuid& id, const TaskStart& start, const VmSpec& spec, const Found& found) {
  VmRecord r;
  r.name = spec.name;
  r.cpu = static_cast<std::uint8_t>(spec.cpu);
  r.memory_mb = static_cast<std::uint32_t>(spec.memory_mb);
  r.image = intern_image(spec.image);
  if (!spec.instance_type.empty()) r.instance_type = intern_image(spec.instance_type);
  for (const auto& id : spec.security_group_ids) {
    const Slot sg = sgs_.find(id);
    if (sg == kNone) throw StoreError("journal record is corrupt (an unknown security group)");
    if (std::find(r.security_groups.begin(), r.security_groups.end(), sg) ==
        r.security_groups.end()) {
      r.security_groups.push_back(sg);
      ++sgs_[sg].users;
    }
  }
  const Slot env = found.env != kNone ? found.env : envs_.find(spec.environment_id);
  if (env == kNone) throw StoreError("journal record is corrupt (an unknown environment)");
  return insert_async(std::move(r), id, start, {env, found.name, found.now});
}

std::uint32_t Core::intern_image(std::string_view image) {
  return intern(image_ids_, images_, image);
}

}  // namespace mockcloud::detail
