// The lifecycle engine: creation, reading, listing, deletion and completion of every
// asynchronous kind (VMs, volumes), driven by the kind's declaration in lifecycle.hpp. The
// kinds' own rules (which security groups a VM may use, where a volume attaches) stay in
// vms.cpp and volumes.cpp.
#include <algorithm>

#include <fmt/format.h>

#include "core.hpp"
#include "listing.hpp"

namespace mockcloud::detail {

// ---- which tables and counters belong to a kind ----

template <>
Table<VmRecord>& Core::table<VmRecord>() {
  return vms_;
}
template <>
Table<VolumeRecord>& Core::table<VolumeRecord>() {
  return volumes_;
}
template <>
const Table<VmRecord>& Core::table<VmRecord>() const {
  return vms_;
}
template <>
const Table<VolumeRecord>& Core::table<VolumeRecord>() const {
  return volumes_;
}
template <>
NameTable& Core::names<VmRecord>() {
  return vm_names_;
}
template <>
NameTable& Core::names<VolumeRecord>() {
  return volume_names_;
}
template <>
const NameTable& Core::names<VmRecord>() const {
  return vm_names_;
}
template <>
const NameTable& Core::names<VolumeRecord>() const {
  return volume_names_;
}
template <>
const Lifecycle& Core::lifecycle<VmRecord>() {
  return kVmLifecycle;
}
template <>
const Lifecycle& Core::lifecycle<VolumeRecord>() {
  return kVolumeLifecycle;
}
template <>
KindCounts EnvRecord::*Core::env_counts<VmRecord>() {
  return &EnvRecord::vms;
}
template <>
KindCounts EnvRecord::*Core::env_counts<VolumeRecord>() {
  return &EnvRecord::volumes;
}

// ---- creation ----

template <class Record>
Result<Core::Creation> Core::begin_creation(Slot env, std::string_view name, TimePoint now) {
  const Lifecycle& life = lifecycle<Record>();
  NameEntry& entry = names<Record>().entry({name_scope(env), name});
  if (entry.live != kNone) {
    if (model_.names == Scope::cloud)
      return Error::conflict(fmt::format("{} name '{}' already exists", life.noun, name));
    return Error::conflict(fmt::format("{} name '{}' already exists in environment {}", life.noun,
                                       name, envs_[env].id.to_string()));
  }
  // Every draw of the creation, in a fixed order, from the resource's identity.
  Creation c{{}, {}, draw(life.kind, env, name, entry.generation, "create"), &entry};
  c.id = Uuid::from_rng(c.rng);
  c.start = start_of(life.create, c.rng, now);
  c.start.draw = c.rng.unit();
  c.id = new_id(id_kind<Record>(), c.id);  // after the draws: outcomes do not depend on it
  return c;
}

template <class Record>
Slot Core::insert_async(Record&& r, const Uuid& id, const TaskStart& start, const Found& found) {
  const Lifecycle& life = lifecycle<Record>();
  const TimePoint now = found.now ? *found.now : current_time();
  const Slot env = found.env;
  EnvRecord& e = envs_[env];
  NameEntry& name = found.name ? *found.name : names<Record>().entry({name_scope(env), r.name});
  saw_id(id_kind<Record>(), id);
  const std::uint8_t status = model_.pending_stage ? life.queued : life.create.during;
  r.id = id;
  r.env = env;
  r.generation = name.generation;
  r.status = status;
  r.created_at = r.updated_at = now;
  const Slot slot = table<Record>().insert(std::move(r));
  name.live = slot;
  ++name.generation;
  ++(e.*env_counts<Record>()).live;
  ++(e.*env_counts<Record>()).by_status[status];
  ++global_counts<Record>(status_counts_)[status];
  Record& added = table<Record>()[slot];
  added.task = start_task(life.create.task, start, id, slot, kNone, now);
  note(added, kNoStatus, status, added.task, now);
  return slot;
}

// ---- reading ----

template <class Record>
Result<typename RecordTraits<Record>::Snapshot> Core::get_async(std::string_view id) const {
  std::lock_guard lock(mutex_);
  const Slot s = table<Record>().find(id);
  if (s == kNone)
    return Error::not_found(fmt::format("{} {} not found", lifecycle<Record>().noun, id));
  return snapshot(table<Record>()[s], current_time());
}

template <class Record, class KindFilter>
Listing<typename RecordTraits<Record>::Snapshot> Core::list_async(const KindFilter& f,
                                                                  Page p) const {
  std::lock_guard lock(mutex_);
  const TimePoint now = current_time();
  auto snap = [this, now](const Record& r) { return snapshot(r, now); };
  Slot env = kNone;
  if (f.environment_id) {
    env = envs_.find(*f.environment_id);
    if (env == kNone) return {};
  }
  detail::Filter match{env};
  if (f.status) match.status = static_cast<std::uint8_t>(*f.status);
  if (f.name)
    return page_by_name(table<Record>(), names<Record>(),
                        name_keys(envs_, env, *f.name, model_.names == Scope::cloud), p, match,
                        snap);
  const auto status = f.status ? static_cast<int>(*f.status) : -1;
  std::size_t total;
  if (env != kNone) {
    const KindCounts& c = envs_[env].*env_counts<Record>();
    total = status >= 0 ? c.by_status[status] : c.live + c.kept;
  } else {
    total = status >= 0 ? const_cast<Core*>(this)->global_counts<Record>(status_counts_)[status]
                        : table<Record>().size();
  }
  return page_of(table<Record>(), total, p, match, snap);
}

// ---- deletion ----

template <class Record>
Result<Operation<typename RecordTraits<Record>::Snapshot>> Core::delete_async(std::string_view id) {
  using Snapshot = typename RecordTraits<Record>::Snapshot;
  const Lifecycle& life = lifecycle<Record>();
  Callbacks cbs;
  Task revoked;
  std::optional<Operation<Snapshot>> op;
  {
    const auto lock = write_lock();
    const Slot slot = table<Record>().find(id);
    if (slot == kNone) return Error::not_found(fmt::format("{} {} not found", life.noun, id));
    Record& r = table<Record>()[slot];
    if (auto error = deletion_blocked(r)) return std::move(*error);
    // Again while deleting, or once deleted and kept: the same (settled) task, no new one.
    if (r.status != life.destroy.during && r.status != life.kept) {
      const bool creating = r.status == life.create.during || r.status == life.queued;
      const Slot creation = creating ? r.task : kNone;
      Rng rng = draw(life.kind, r.env, r.name, r.generation, "delete");
      DeletionStarted e{life.destroy.task, r.id, start_of(life.destroy, rng, current_time())};
      apply(e, cbs);
      record(e);
      if (creation != kNone) revoked = snapshot(tasks_[creation]);
    }
    op.emplace(shared_from_this(), r.task, epoch_, snapshot(r, current_time()));
  }
  if (!revoked.id.empty()) {  // the creation it cancelled settled
    settled_cv_.notify_all();
    deliver_events();  // before the task's callbacks, as on_timer() does
    run(cbs, revoked);
  }
  return std::move(*op);
}

Slot Core::apply(const DeletionStarted& e, Callbacks& cbs) {
  // Not a structured binding: clang 14 cannot capture one in a lambda.
  const StepOf of = step_of(e.task_kind);
  const Lifecycle* life = of.lifecycle;
  const Step* step = of.step;
  const TimePoint now = current_time();
  auto begin = [&](auto& table) {
    using Record = std::remove_reference_t<decltype(table[0])>;
    const Slot slot = existing(table, e.id, life->noun);
    Record& r = table[slot];
    const std::uint8_t from = r.status;
    if (r.status == life->create.during || r.status == life->queued)
      revoke_creation(r.task, now, cbs);
    set_status<Record>(slot, step->during);
    r.updated_at = now;
    r.task = start_task(step->task, e.start, r.id, slot, r.task, now);
    note(r, from, step->during, r.task, now);
    return slot;
  };
  return life == &kVmLifecycle ? begin(vms_) : begin(volumes_);
}

// ---- status and completion ----

template <class Record>
void Core::set_status(Slot slot, std::uint8_t status) {
  Record& r = table<Record>()[slot];
  KindCounts& env = envs_[r.env].*env_counts<Record>();
  --global_counts<Record>(status_counts_)[r.status];
  --env.by_status[r.status];
  r.status = status;
  ++global_counts<Record>(status_counts_)[status];
  ++env.by_status[status];
  table<Record>().status_changed(slot);
}

void Core::complete(Slot task, TimePoint now, Callbacks& cbs) {
  const TaskRecord& t = tasks_[task];
  const CauseScope cause(*this, t.forced_failure ? EventCause::fault : cause_);
  const Step& step = *step_of(t.kind).step;
  std::uint32_t ip = 0;
  std::string_view error;
  std::string no_ip;
  if (t.forced_failure) {
    error = step.injected_failure;
  } else if (step.may_fail && t.outcome_draw < settings_.worker_failure_rate) {
    error = step.random_failure;
  } else if (step.success_effects & take_ip) {
    const EnvRecord& env = envs_[vms_[t.resource_slot].env];
    if (auto a = env.ips.peek(t.preferred)) {
      ip = a->to_uint();
    } else {
      no_ip = fmt::format("no free IP address in {} ({} hosts, all taken)", env.cidr.to_string(),
                          env.ips.hosts());
      error = no_ip;
    }
  } else if (step.success_effects & attach_vm) {
    if (auto why = attach_blocker(volumes_[t.resource_slot])) {
      no_ip = std::move(*why);
      error = no_ip;
    }
  }
  completed(task, error.empty(), ip, error, now, cbs);  // task records never move: `t` stays valid
  if (journaling()) record(TaskCompleted{t.id, error.empty(), ip, std::string(error)});
}

void Core::apply(const TaskCompleted& e, Callbacks& cbs) {
  const Slot task = existing(tasks_, e.task, "task");
  if (tasks_[task].state != TaskState::started)
    throw StoreError(
        fmt::format("journal record is corrupt (task {} completed twice)", e.task.to_string()));
  completed(task, e.ok, e.ip, e.error, current_time(), cbs);
}

void Core::completed(Slot task, bool ok, std::uint32_t ip, std::string_view error, TimePoint now,
                     Callbacks& cbs) {
  const auto [life, step] = step_of(tasks_[task].kind);
  if (life == &kVmLifecycle)
    finish_step<VmRecord>(task, *step, ok, ip, error, now, cbs);
  else
    finish_step<VolumeRecord>(task, *step, ok, ip, error, now, cbs);
}

template <class Record>
void Core::finish_step(Slot task, const Step& step, bool ok, std::uint32_t ip,
                       std::string_view error, TimePoint now, Callbacks& cbs) {
  const Slot slot = tasks_[task].resource_slot;
  Record& r = table<Record>()[slot];
  const std::uint8_t from = r.status;
  if (ok) {
    settle(task, TaskState::success, 0, now, cbs);
    run_effects<Record>(slot, step.success_effects, ip, now);
    if (step.success_effects & remove) {
      note(r, from, model_.keep_deleted ? lifecycle<Record>().kept : kGone, task, now);
      return model_.keep_deleted ? keep_record<Record>(slot, now) : remove_record<Record>(slot);
    }
    r.updated_at = now;
    set_status<Record>(slot, step.on_success);
    Uuid attached_to{};
    if constexpr (std::is_same_v<Record, VolumeRecord>) {
      if ((step.success_effects & attach_vm) && r.attach_to != Uuid{}) {
        const Slot vm = existing(vms_, r.attach_to, "VM");
        set_status<VolumeRecord>(slot, static_cast<std::uint8_t>(VolumeStatus::in_use));
        r.vm = vm;
        vms_[vm].volumes.push_back(slot);
        vms_[vm].updated_at = now;
        attached_to = r.attach_to;
      }
    }
    note(r, from, r.status, task, now, attached_to);
  } else {
    run_effects<Record>(slot, step.failure_effects, 0, now);
    r.error = intern_message(error);
    r.updated_at = now;
    set_status<Record>(slot, step.on_failure);
    note(r, from, step.on_failure, task, now);
    settle(task, TaskState::failure, r.error, now, cbs);
  }
}

template <class Record>
void Core::run_effects(Slot slot, Effect effects, std::uint32_t ip, TimePoint now) {
  if constexpr (std::is_same_v<Record, VmRecord>) {
    VmRecord& vm = vms_[slot];
    EnvRecord& env = envs_[vm.env];
    if ((effects & take_ip) && !env.ips.take_exact(Ipv4Address{ip}))
      throw StoreError(fmt::format("journal record is corrupt (IP {} is not free)",
                                   Ipv4Address{ip}.to_string()));
    if (effects & take_ip) vm.ip = ip;
    if ((effects & release_ip) && vm.ip) {
      env.ips.release(Ipv4Address{vm.ip});
      // A deleted VM kept visible shows the address it had (no longer holding it).
      if (!((effects & remove) && model_.keep_deleted)) vm.ip = 0;
    }
    if (effects & detach_volumes)
      for (Slot v : std::vector<Slot>(vm.volumes))
        detach(volumes_[v], v, now, vm.task);
    if (effects & release_groups)
      for (Slot sg : vm.security_groups)
        --sgs_[sg].users;
  } else {
    (void)slot, (void)ip, (void)now;
    // Volumes declare no effect but removal and attaching (finish_step), checked at compile
    // time.
    static_assert(kVolumeLifecycle.create.success_effects == attach_vm &&
                  kVolumeLifecycle.destroy.failure_effects == no_effect &&
                  kVolumeLifecycle.destroy.success_effects == remove);
    (void)effects;
  }
}

template <class Record>
void Core::remove_record(Slot slot) {
  Record& r = table<Record>()[slot];
  EnvRecord& env = envs_[r.env];
  KindCounts& counts = env.*env_counts<Record>();
  --counts.live;
  --counts.by_status[r.status];
  --global_counts<Record>(status_counts_)[r.status];
  names<Record>().entry({name_scope(r.env), r.name}).live = kNone;
  last_task_of_[r.id] = r.task;
  table<Record>().erase(slot);
}

template <class Record>
void Core::keep_record(Slot slot, TimePoint now) {
  Record& r = table<Record>()[slot];
  KindCounts& counts = envs_[r.env].*env_counts<Record>();
  --counts.live;
  ++counts.kept;
  r.updated_at = now;
  set_status<Record>(slot, lifecycle<Record>().kept);
}

template <class Record>
void Core::forget_kept(Slot env) {
  const std::uint8_t kept = lifecycle<Record>().kept;
  const TimePoint now = current_time();
  auto& records = table<Record>();
  for (Slot s = 0; s < records.capacity(); ++s) {
    Record& r = records[s];
    if (!r.alive || r.env != env || r.status != kept) continue;
    note(r, kept, kGone, kNone, now);
    KindCounts& counts = envs_[env].*env_counts<Record>();
    --counts.kept;
    --counts.by_status[kept];
    --global_counts<Record>(status_counts_)[kept];
    names<Record>().entry({name_scope(env), r.name}).live = kNone;
    last_task_of_[r.id] = r.task;
    records.erase(s);
  }
}

template <class Record>
Slot Core::existing(const Table<Record>& table, const Uuid& id, std::string_view what) const {
  const Slot s = table.find(id);
  if (s == kNone)
    throw StoreError(
        fmt::format("journal record is corrupt (it names an unknown {} {})", what, id.to_string()));
  return s;
}

// The kinds the engine runs.
template Result<Core::Creation> Core::begin_creation<VmRecord>(Slot, std::string_view, TimePoint);
template Result<Core::Creation> Core::begin_creation<VolumeRecord>(Slot, std::string_view,
                                                                   TimePoint);
template Slot Core::insert_async(VmRecord&&, const Uuid&, const TaskStart&, const Found&);
template Slot Core::insert_async(VolumeRecord&&, const Uuid&, const TaskStart&, const Found&);
template Result<Vm> Core::get_async<VmRecord>(std::string_view) const;
template Result<Volume> Core::get_async<VolumeRecord>(std::string_view) const;
template Listing<Vm> Core::list_async<VmRecord>(const VmFilter&, Page) const;
template Listing<Volume> Core::list_async<VolumeRecord>(const VolumeFilter&, Page) const;
template Result<Operation<Vm>> Core::delete_async<VmRecord>(std::string_view);
template Result<Operation<Volume>> Core::delete_async<VolumeRecord>(std::string_view);
template void Core::set_status<VmRecord>(Slot, std::uint8_t);
template void Core::set_status<VolumeRecord>(Slot, std::uint8_t);
template void Core::forget_kept<VmRecord>(Slot);
template void Core::forget_kept<VolumeRecord>(Slot);
template Slot Core::existing(const Table<EnvRecord>&, const Uuid&, std::string_view) const;
template Slot Core::existing(const Table<SgRecord>&, const Uuid&, std::string_view) const;
template Slot Core::existing(const Table<VmRecord>&, const Uuid&, std::string_view) const;
template Slot Core::existing(const Table<VolumeRecord>&, const Uuid&, std::string_view) const;
template Slot Core::existing(const Table<TaskRecord>&, const Uuid&, std::string_view) const;

}  // namespace mockcloud::detail
