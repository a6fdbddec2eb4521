// Environments and security groups: synchronous resources.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "listing.hpp"
#include "validate.hpp"

namespace mockcloud::detail {

Result<Environment> Core::create_environment(const EnvironmentSpec& spec) {
  if (auto errors = validate(spec, model_); !errors.empty())
    return Error::invalid(std::move(errors));
  const auto lock = write_lock();
  const NameEntry& name = env_names_.entry({0, spec.name});
  if (name.live != kNone)
    return Error::conflict(fmt::format("Environment name '{}' already exists", spec.name));
  Rng rng = draw("environment", kNone, spec.name, name.generation, "create");
  const EnvironmentCreated e{new_id(env_ids, Uuid::from_rng(rng)), spec};
  const Slot slot = apply(e);
  record(e);
  return snapshot(envs_[slot]);
}

Slot Core::apply(const EnvironmentCreated& e) {
  const auto cidr = Cidr::parse(e.spec.cidr);
  if (!cidr) throw StoreError("journal record is corrupt (a bad CIDR)");
  NameEntry& name = env_names_.entry({0, e.spec.name});
  saw_id(env_ids, e.id);
  EnvRecord r;
  r.id = e.id;
  r.name = e.spec.name;
  r.scope = scopes_.try_emplace(e.spec.name, static_cast<std::uint32_t>(scopes_.size() + 1))
                .first->second;
  r.description = e.spec.description;
  r.cidr = *cidr;
  r.ips = IpPool(*cidr);
  r.created_at = r.updated_at = current_time();
  const Slot slot = envs_.insert(std::move(r));
  name.live = slot;
  ++name.generation;
  note(EventKind::environment, e.id, e.id, kNoStatus, kActive, envs_[slot].created_at);
  return slot;
}

Result<Environment> Core::get_environment(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Slot s = envs_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("Environment {} not found", id));
  return snapshot(envs_[s]);
}

Listing<Environment> Core::list_environments(const EnvironmentFilter& f, Page p) const {
  std::lock_guard lock(mutex_);
  auto snap = [this](const EnvRecord& r) { return snapshot(r); };
  if (f.name) return page_by_name(envs_, env_names_, {NameKey{0, *f.name}}, p, {}, snap);
  return page_of(envs_, envs_.size(), p, {}, snap);
}

Result<Ok> Core::delete_environment(std::string_view id) {
  const auto lock = write_lock();
  const Slot s = envs_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("Environment {} not found", id));
  const EnvRecord& e = envs_[s];
  if (e.vms.live || e.volumes.live || e.security_groups) {
    if (model_.security_groups == Scope::cloud)
      return Error::conflict(
          fmt::format("Environment {} is not empty: it holds {} VM(s) and {} volume(s)", id,
                      e.vms.live, e.volumes.live));
    return Error::conflict(fmt::format(
        "Environment {} is not empty: it holds {} VM(s), {} volume(s) and {} security group(s)", id,
        e.vms.live, e.volumes.live, e.security_groups));
  }
  const EnvironmentDeleted event{e.id};
  apply(event);
  record(event);
  return Ok{};
}

void Core::apply(const EnvironmentDeleted& e) {
  const Slot s = existing(envs_, e.id, "environment");
  forget_kept<VolumeRecord>(s);  // volumes first: a kept VM holds none
  forget_kept<VmRecord>(s);
  env_names_.entry({0, envs_[s].name}).live = kNone;
  note(EventKind::environment, e.id, e.id, kActive, kGone, current_time());
  envs_.erase(s);
}

// ---- security groups ----

Result<SecurityGroup> Core::create_security_group(const SecurityGroupSpec& spec) {
  if (auto errors = validate(spec, model_); !errors.empty())
    return Error::invalid(std::move(errors));
  const auto lock = write_lock();
  Slot env = kNone;
  if (model_.security_groups == Scope::environment) {
    env = envs_.find(spec.environment_id);
    if (env == kNone)
      return Error::not_found(fmt::format("Environment {} not found", spec.environment_id));
  }
  const NameEntry& name = sg_names_.entry({name_scope(env), spec.name});
  if (name.live != kNone) {
    if (env == kNone || model_.names == Scope::cloud)
      return Error::conflict(fmt::format("Security group name '{}' already exists", spec.name));
    return Error::conflict(fmt::format("Security group name '{}' already exists in environment {}",
                                       spec.name, spec.environment_id));
  }
  Rng rng = draw("security_group", env, spec.name, name.generation, "create");
  SecurityGroupCreated e{Uuid::from_rng(rng), {}, spec};
  for (std::size_t i = 0; i < spec.rules.size(); ++i)
    e.rule_ids.push_back(Uuid::from_rng(rng));
  e.id = new_id(sg_ids, e.id);  // after every draw: the rules' ids stay those of the seed
  const Slot slot = apply(e);
  record(e);
  return snapshot(sgs_[slot]);
}

Slot Core::apply(const SecurityGroupCreated& e) {
  const SecurityGroupSpec& spec = e.spec;
  const bool scoped = model_.security_groups == Scope::environment;
  const Slot env = scoped ? envs_.find(spec.environment_id) : kNone;
  if ((scoped && env == kNone) || e.rule_ids.size() != spec.rules.size())
    throw StoreError("journal record is corrupt (a security group)");
  NameEntry& name = sg_names_.entry({name_scope(env), spec.name});
  saw_id(sg_ids, e.id);
  SgRecord r;
  r.id = e.id;
  r.name = spec.name;
  r.description = spec.description;
  r.rules_text = spec.rules_text;
  r.env = env;
  r.created_at = r.updated_at = current_time();
  for (std::size_t i = 0; i < spec.rules.size(); ++i) {
    const SecurityRuleSpec& rs = spec.rules[i];
    SecurityRule rule;
    rule.id = e.rule_ids[i].to_string();
    rule.direction = rs.direction;
    rule.protocol = rs.protocol;
    rule.port_range_min = rs.port_range_min;
    rule.port_range_max = rs.port_range_max;
    rule.remote_cidr = *Cidr::parse(rs.remote_cidr);
    r.rules.push_back(std::move(rule));
  }
  const Slot slot = sgs_.insert(std::move(r));
  name.live = slot;
  ++name.generation;
  if (env != kNone) ++envs_[env].security_groups;
  note(EventKind::security_group, e.id, env == kNone ? Uuid{} : envs_[env].id, kNoStatus, kActive,
       sgs_[slot].created_at);
  return slot;
}

Result<SecurityGroup> Core::get_security_group(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Slot s = sgs_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("Security group {} not found", id));
  return snapshot(sgs_[s]);
}

Listing<SecurityGroup> Core::list_security_groups(const SecurityGroupFilter& f, Page p) const {
  std::lock_guard lock(mutex_);
  auto snap = [this](const SgRecord& r) { return snapshot(r); };
  Slot env = kNone;
  if (f.environment_id) {
    env = envs_.find(*f.environment_id);
    if (env == kNone) return {};
  }
  // Cloud-wide groups belong to no environment: their names are cloud-wide too (name_scope).
  const bool cloud_wide = model_.names == Scope::cloud || model_.security_groups == Scope::cloud;
  if (f.name)
    return page_by_name(sgs_, sg_names_, name_keys(envs_, env, *f.name, cloud_wide), p, {env},
                        snap);
  return page_of(sgs_, env == kNone ? sgs_.size() : envs_[env].security_groups, p, {env}, snap);
}

Result<Ok> Core::delete_security_group(std::string_view id) {
  const auto lock = write_lock();
  const Slot s = sgs_.find(id);
  if (s == kNone) return Error::not_found(fmt::format("Security group {} not found", id));
  const SgRecord& sg = sgs_[s];
  if (sg.users && model_.security_groups == Scope::environment)
    return Error::conflict(fmt::format("Security group {} is in use by {} VM(s)", id, sg.users));
  const SecurityGroupDeleted e{sg.id};
  apply(e);
  record(e);
  return Ok{};
}

void Core::apply(const SecurityGroupDeleted& e) {
  const Slot s = existing(sgs_, e.id, "security group");
  const SgRecord& sg = sgs_[s];
  if (sg.users || model_.keep_deleted) release_security_group(s);
  sg_names_.entry({name_scope(sg.env), sg.name}).live = kNone;
  if (sg.env != kNone) --envs_[sg.env].security_groups;
  note(EventKind::security_group, e.id, sg.env == kNone ? Uuid{} : envs_[sg.env].id, kActive, kGone,
       current_time());
  sgs_.erase(s);
}

void Core::release_security_group(Slot sg) {
  const TimePoint now = current_time();
  for (Slot v = 0; v < vms_.capacity(); ++v) {
    VmRecord& vm = vms_[v];
    if (!vm.alive) continue;
    auto it = std::find(vm.security_groups.begin(), vm.security_groups.end(), sg);
    if (it == vm.security_groups.end()) continue;
    vm.security_groups.erase(it);
    vm.updated_at = now;
    if (vm.status != kVmLifecycle.kept) --sgs_[sg].users;
  }
}

}  // namespace mockcloud::detail
