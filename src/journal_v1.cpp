// Loading a journal of format 1, which recorded commands rather than outcomes: each record is
// replayed through the public call that made it (validating and drawing as that call does), and
// the outcomes those calls journal replace the old records (persistence.cpp). Only migration
// uses this file.
#include <fmt/format.h>

#include "core.hpp"
#include "journal_codec.hpp"

namespace mockcloud::detail {

namespace {

Settings decode_settings(Reader& r) {
  Settings s;
  decode(r, s);
  return s;
}

/// Format 1 spelled enums as their wire names.
template <class Enum>
Enum read_enum(Reader& r) {
  Enum e{};
  decode(r, e);
  return e;
}

}  // namespace

void Core::replay_v1(const Store::Record& rec) {
  replay_at_ = TimePoint{Duration{rec.at}};
  Reader r(rec.body);
  const std::string_view kind = rec.kind;
  auto check = [&](const auto& result) {
    if (!result) throw Exception(result.error());
  };
  if (kind == "init") {  // the first record of a format-1 journal: the seed and settings
    const auto seed = r.u64();
    const Settings s = decode_settings(r);
    std::lock_guard lock(mutex_);
    const Reset e{seed, s};
    apply(e);
    record(e);
  } else if (kind == "environment.create") {
    EnvironmentSpec s;
    s.name = r.str();
    s.cidr = r.str();
    s.description = r.str();
    check(create_environment(s));
  } else if (kind == "environment.delete") {
    check(delete_environment(r.str()));
  } else if (kind == "security_group.create") {
    SecurityGroupSpec s;
    s.name = r.str();
    s.environment_id = r.str();
    s.description = r.str();
    s.rules.resize(r.u64());
    for (auto& rule : s.rules) {
      rule.direction = read_enum<Direction>(r);
      rule.protocol = read_enum<Protocol>(r);
      rule.port_range_min = r.opt<int>();
      rule.port_range_max = r.opt<int>();
      rule.remote_cidr = r.str();
    }
    check(create_security_group(s));
  } else if (kind == "security_group.delete") {
    check(delete_security_group(r.str()));
  } else if (kind == "vm.create") {
    VmSpec s;
    s.name = r.str();
    s.environment_id = r.str();
    s.cpu = r.i64();
    s.memory_mb = r.i64();
    s.image = r.str();
    s.security_group_ids.resize(r.u64());
    for (auto& id : s.security_group_ids)
      id = r.str();
    check(create_vm(s));
  } else if (kind == "vm.delete") {
    check(delete_vm(r.str()));
  } else if (kind == "volume.create") {
    VolumeSpec s;
    s.name = r.str();
    s.environment_id = r.str();
    s.size_gb = r.i64();
    s.volume_type = read_enum<VolumeType>(r);
    check(create_volume(s));
  } else if (kind == "volume.delete") {
    check(delete_volume(r.str()));
  } else if (kind == "volume.attach") {
    auto volume = r.str();
    check(attach_volume(volume, r.str()));
  } else if (kind == "volume.detach") {
    check(detach_volume(r.str()));
  } else if (kind == "task.fire") {
    std::lock_guard lock(mutex_);
    const Slot slot = tasks_.find(r.str());
    if (slot == kNone || tasks_[slot].state != TaskState::started)
      throw StoreError("the task that fired is unknown or already settled");
    Callbacks none;
    complete(slot, *replay_at_, none);
  } else if (kind == "fault.add") {
    FaultSpec s;
    if (r.u64()) s.operation = read_enum<TaskKind>(r);
    s.fail_next = r.opt<std::int64_t>();
    s.route = r.opt<std::string>();
    s.status = r.opt<std::int64_t>();
    s.rate = r.opt<double>();
    s.latency_ms = r.opt<std::int64_t>();
    check(add_fault(s));
  } else if (kind == "fault.remove") {
    check(remove_fault(r.str()));
  } else if (kind == "fault.clear") {
    clear_faults();
  } else {
    throw StoreError(fmt::format("unknown record kind '{}'", kind));
  }
}

}  // namespace mockcloud::detail
