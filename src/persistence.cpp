// The journal: what each change records, and how a journal is replayed into a fresh Core.
#include <fmt/format.h>

#include "core.hpp"
#include "journal_codec.hpp"

namespace mockcloud::detail {

// ---- encoding of record bodies ----

// Enums are recorded by their wire names.
template <class E>
E decode_enum(const std::string& name) {
  if (auto e = from_string<E>(name)) return *e;
  throw StoreError("journal record is corrupt (unknown name '" + name + "')");
}

std::string encode(const EnvironmentSpec& s) {
  return Writer().str(s.name).str(s.cidr).str(s.description).take();
}

std::string encode(const SecurityGroupSpec& s) {
  Writer w;
  w.str(s.name).str(s.environment_id).str(s.description).u64(s.rules.size());
  for (const auto& r : s.rules)
    w.str(to_string(r.direction))
        .str(to_string(r.protocol))
        .opt(r.port_range_min)
        .opt(r.port_range_max)
        .str(r.remote_cidr);
  return w.take();
}

std::string encode(const VmSpec& s) {
  Writer w;
  w.str(s.name).str(s.environment_id).i64(s.cpu).i64(s.memory_mb).str(s.image);
  w.u64(s.security_group_ids.size());
  for (const auto& id : s.security_group_ids)
    w.str(id);
  return w.take();
}

std::string encode(const VolumeSpec& s) {
  return Writer()
      .str(s.name)
      .str(s.environment_id)
      .i64(s.size_gb)
      .str(to_string(s.volume_type))
      .take();
}

std::string encode(const FaultSpec& s) {
  return Writer()
      .opt(s.operation ? std::optional<std::string>(to_string(*s.operation)) : std::nullopt)
      .opt(s.fail_next)
      .opt(s.route)
      .opt(s.status)
      .opt(s.rate)
      .opt(s.latency_ms)
      .take();
}

std::string encode(const Settings& s) {
  Writer w;
  for (const auto& f : setting_fields())
    w.f64(s.*f.member);
  return w.take();
}

std::string encode_reset(std::uint64_t seed, const Settings& s) {
  return Writer().u64(seed).take() + encode(s);
}

namespace {

Settings decode_settings(Reader& r) {
  Settings s;
  for (const auto& f : setting_fields())
    s.*f.member = r.f64();
  return s;
}

}  // namespace

// ---- recording ----

void Core::append_record(std::string_view kind, std::string body, bool truncates) {
  const TimePoint now = clock_.now();
  last_recorded_at_ = now;
  store_->append({now.time_since_epoch().count(), std::string(kind), std::move(body), truncates});
}

void Core::sync() const {
  if (store_ && wait_for_durability_) store_->wait_durable(store_->last_appended());
}

void Core::after_durable(std::function<void(bool)> callback) const {
  if (!store_) return callback(true);
  store_->after_durable(std::move(callback));
}

void Core::record_clock() {
  std::lock_guard lock(mutex_);
  if (store_ && clock_.mode() == ClockMode::virtual_ && clock_.now() != last_recorded_at_)
    record("clock", [&] { return std::string(); });
}

// ---- replay ----

void Core::open_store(std::shared_ptr<Store> store) {
  store_ = std::move(store);
  bool empty = true;
  std::uint64_t seq = 0;
  store_->replay([&](const Store::Record& r) {
    empty = false;
    ++seq;
    try {
      replay(r);
    } catch (const Exception& e) {
      throw StoreError(
          fmt::format("replaying journal record {} ({}) failed: {}", seq, r.kind, e.what()));
    }
  });
  std::lock_guard lock(mutex_);
  if (replay_at_) {
    last_recorded_at_ = *replay_at_;
    // A virtual clock resumes where the journal left it.
    if (auto* v = dynamic_cast<VirtualClock*>(&clock_); v && v->now() < *replay_at_)
      v->advance_to(*replay_at_);
  }
  replay_at_.reset();
  if (empty) record("init", [&] { return encode_reset(seed_, settings_); });
  arm();  // operations in flight resume; a due time that passed fires at once, in due order
}

void Core::replay(const Store::Record& rec) {
  replay_at_ = TimePoint{Duration{rec.at}};
  Reader r(rec.body);
  const std::string_view kind = rec.kind;
  auto check = [&](const auto& result) {
    if (!result) throw Exception(result.error());
  };
  if (kind == "init" || kind == "reset") {
    const auto seed = r.u64();
    const Settings s = decode_settings(r);
    std::lock_guard lock(mutex_);
    reset_to(seed, s);
  } else if (kind == "clock") {
    // Only the time matters.
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
      rule.direction = decode_enum<Direction>(r.str());
      rule.protocol = decode_enum<Protocol>(r.str());
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
    s.volume_type = decode_enum<VolumeType>(r.str());
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
      throw Exception(Error::not_found("the task that fired is unknown or already settled"));
    Callbacks none;
    complete(slot, *replay_at_, none);
  } else if (kind == "settings") {
    const Settings s = decode_settings(r);
    std::lock_guard lock(mutex_);
    settings_ = s;
  } else if (kind == "fault.add") {
    FaultSpec s;
    if (auto op = r.opt<std::string>()) s.operation = decode_enum<TaskKind>(*op);
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
    throw Exception(
        Error::invalid({{{}, fmt::format("unknown record kind '{}'", kind), "value_error"}}));
  }
}

}  // namespace mockcloud::detail
