// The shared machinery of the Core: draws, snapshots, tasks and their completion on the clock.
#include "core.hpp"

#include "journal_codec.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace mockcloud::detail {

namespace {

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) ^ rd();
}

}  // namespace

Core::Core(ManagerOptions options, Clock& clock)
    : clock_(clock),
      model_(options.model),
      initial_settings_(options.settings),
      on_task_settled_(std::move(options.on_task_settled)),
      wait_for_durability_(options.wait_for_durability),
      seed_(options.seed ? *options.seed : random_seed()),
      settings_(options.settings),
      history_(options.event_history) {
  if (auto errors = validate(settings_); !errors.empty()) throw Exception(Error::invalid(errors));
  events_changed();
}

// ---- snapshots ----

Environment Core::snapshot(const EnvRecord& r) const {
  return {r.id.to_string(), r.name, r.cidr, r.description, "active", r.created_at, r.updated_at};
}

SecurityGroup Core::snapshot(const SgRecord& r) const {
  return {
      r.id.to_string(), r.name,      r.env == kNone ? std::string() : envs_[r.env].id.to_string(),
      r.description,    r.rules,     r.created_at,
      r.updated_at,     r.rules_text};
}

int Core::progress(Slot task, TimePoint now) const {
  const TaskRecord& t = tasks_[task];
  if (t.state == TaskState::pending) return 0;
  if (t.state != TaskState::started) return 100;
  const auto total = t.eta - t.created_at;
  if (total <= Duration::zero()) return 99;
  const auto share = static_cast<double>((now - t.created_at).count()) / total.count();
  return std::clamp(static_cast<int>(share * 100), 0, 99);
}

template <class Snapshot>
void Core::snapshot_common(const AsyncRecord& r, TimePoint now, Snapshot& out) const {
  using Status = decltype(out.status);
  const Lifecycle& life = *step_of(tasks_[r.task].kind).lifecycle;
  const Step& create = life.create;
  const Step& destroy = life.destroy;
  out.id = r.id.to_string();
  out.name = r.name;
  out.environment_id = envs_[r.env].id.to_string();
  out.status = static_cast<Status>(r.status);
  out.progress = (r.status == create.during || r.status == destroy.during)
                     ? progress(r.task, now)
                     : (r.status == life.queued ? 0 : 100);
  if (r.error) out.error = messages_[r.error];
  out.task_id = tasks_[r.task].id.to_string();
  out.created_at = r.created_at;
  out.updated_at = r.updated_at;
}

Vm Core::snapshot(const VmRecord& r, TimePoint now) const {
  Vm v;
  snapshot_common(r, now, v);
  v.cpu = r.cpu;
  v.memory_mb = static_cast<int>(r.memory_mb);
  v.image = images_[r.image];
  if (r.instance_type != kNoText) v.instance_type = images_[r.instance_type];
  v.security_group_ids.reserve(r.security_groups.size());
  for (Slot s : r.security_groups)
    v.security_group_ids.push_back(sgs_[s].id.to_string());
  if (r.ip) v.ip_address = Ipv4Address{r.ip};
  v.volume_ids.reserve(r.volumes.size());
  for (Slot s : r.volumes)
    v.volume_ids.push_back(volumes_[s].id.to_string());
  return v;
}

Volume Core::snapshot(const VolumeRecord& r, TimePoint now) const {
  Volume v;
  snapshot_common(r, now, v);
  v.size_gb = static_cast<int>(r.size_gb);
  v.volume_type = r.type;
  if (r.vm != kNone) v.vm_id = vms_[r.vm].id.to_string();
  return v;
}

Task Core::snapshot(const TaskRecord& r) const {
  Task t;
  t.id = r.id.to_string();
  t.kind = r.kind;
  t.resource_id = r.resource.to_string();
  t.state = r.state;
  if (r.error) t.error = messages_[r.error];
  t.created_at = r.created_at;
  t.eta = r.eta;
  if (t.settled()) t.finished_at = r.finished_at;
  return t;
}

// ---- draws and tasks ----

Rng Core::draw(std::string_view kind, Slot env, std::string_view name, std::uint64_t generation,
               std::string_view purpose) const {
  std::string_view env_name = env == kNone ? std::string_view{} : envs_[env].name;
  return keyed_rng(seed_, {kind, env_name, name, generation, purpose});
}

bool Core::has_forced_failure(TaskKind kind) const {
  for (const auto& r : faults_)
    if (r.fault.operation == kind && r.fault.fail_next && *r.fault.fail_next > 0) return true;
  return false;
}

void Core::take_forced_failure(TaskKind kind) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    auto& f = it->fault;
    if (f.operation != kind || !f.fail_next || *f.fail_next <= 0) continue;
    if (--*f.fail_next == 0) faults_.erase(it);  // spent
    return faults_changed();
  }
}

TaskStart Core::start_of(const Step& step, Rng& rng, TimePoint now) const {
  TaskStart s;
  s.task = Uuid::from_rng(rng);
  const double seconds = rng.between(settings_.*step.min, settings_.*step.max);
  // Simulated durations have millisecond resolution; the system clock scales them.
  auto simulated = std::chrono::milliseconds(std::llround(seconds * 1000));
  Duration real = simulated;
  if (clock_.mode() == ClockMode::system)
    real = std::chrono::round<Duration>(simulated * settings_.time_scale);
  s.eta = now + real;
  s.forced_failure = has_forced_failure(step.task);
  return s;
}

Slot Core::start_task(TaskKind kind, const TaskStart& start, const Uuid& resource,
                      Slot resource_slot, Slot previous, TimePoint now) {
  TaskRecord t;
  t.id = start.task;
  t.resource = resource;
  t.resource_slot = resource_slot;
  t.kind = kind;
  const bool queued =
      model_.pending_stage && (kind == TaskKind::vm_create || kind == TaskKind::volume_create);
  t.state = queued ? TaskState::pending : TaskState::started;
  t.created_at = now;
  t.eta = start.eta;
  t.outcome_draw = start.draw;
  t.preferred = start.preferred;
  t.forced_failure = start.forced_failure;
  if (start.forced_failure) take_forced_failure(kind);
  t.previous = previous;
  const Slot slot = tasks_.insert(std::move(t));
  const TaskRecord& added = tasks_[slot];
  ++status_counts_.tasks[static_cast<int>(added.state)];
  due_.push({queued ? pickup_time(added) : added.eta, slot});
  if (!replay_at_) arm();  // a replay arms once it is done
  return slot;
}

TimePoint Core::pickup_time(const TaskRecord& t) const {
  Duration delay = std::chrono::milliseconds(100 + static_cast<std::int64_t>(t.id.lo % 901));
  if (clock_.mode() == ClockMode::system)
    delay = std::chrono::round<Duration>(delay * settings_.time_scale);
  return std::min(t.created_at + delay, t.eta);
}

void Core::picked_up(Slot task, TimePoint now) {
  TaskRecord& t = tasks_[task];
  --status_counts_.tasks[static_cast<int>(TaskState::pending)];
  ++status_counts_.tasks[static_cast<int>(TaskState::started)];
  t.state = TaskState::started;
  tasks_.status_changed(task);
  auto start = [&](auto& table) {
    using Record = std::remove_reference_t<decltype(table[0])>;
    auto& r = table[t.resource_slot];
    const std::uint8_t from = r.status;
    r.updated_at = now;
    set_status<Record>(t.resource_slot, step_of(t.kind).step->during);
    note(r, from, r.status, task, now);
  };
  if (t.kind == TaskKind::vm_create)
    start(vms_);
  else
    start(volumes_);
  due_.push({t.eta, task});
}

void Core::apply(const TaskPickedUp& e) {
  const Slot task = existing(tasks_, e.task, "task");
  if (tasks_[task].state != TaskState::pending)
    throw StoreError(
        fmt::format("journal record is corrupt (task {} picked up twice)", e.task.to_string()));
  picked_up(task, current_time());
}

void Core::arm() {
  // Stale heads (revoked, completed by a replay, or a pickup done by a replay) go first.
  while (!due_.empty() && !live_entry(due_.top()))
    due_.pop();
  if (due_.empty()) return disarm();
  const TimePoint head = due_.top().eta;
  if (armed_at_ == head) return;
  disarm();
  const std::uint64_t epoch = epoch_;
  armed_ = clock_.schedule_at(head, [weak = weak_from_this(), epoch] {
    if (auto self = weak.lock()) self->on_timer(epoch);  // nothing once the manager is gone
  });
  armed_at_ = head;
}

void Core::disarm() {
  if (armed_at_) clock_.cancel(armed_);
  armed_at_.reset();
}

void Core::on_timer(std::uint64_t epoch) {
  const InClockAction in_action;
  if (shared_) {
    // Only one process fires a real clock's timers; the others stay disarmed until their
    // turn (wake_timers()). A stale timer does not ask for the journal's head.
    std::lock_guard lock(mutex_);
    if (epoch != epoch_ || closing_) return;
    armed_at_.reset();
    if (!fires_timers()) return;
    while (!due_.empty() && !live_entry(due_.top()))
      due_.pop();
    if (due_.empty() || due_.top().eta > current_time()) return arm();
  }
  try {
    fire(epoch);
  } catch (const StoreError&) {
    // The database is unreachable: wake_timers() fires what is due once it is back.
    std::lock_guard lock(mutex_);
    armed_at_.reset();
  }
}

void Core::fire(std::uint64_t epoch) {
  Callbacks cbs;
  Task settled;
  {
    const auto lock = write_lock();
    if (epoch != epoch_ || closing_) return;
    const CauseScope cause(*this, EventCause::timer);
    armed_at_.reset();  // this timer has fired
    const TimePoint now = current_time();
    while (!due_.empty() && !live_entry(due_.top()))
      due_.pop();
    // One step per timer, so that a virtual clock counts operations, deadline by deadline.
    if (!due_.empty() && due_.top().eta <= now) {
      const Slot task = due_.top().task;
      due_.pop();
      if (tasks_[task].state == TaskState::pending) {
        picked_up(task, now);
        record(TaskPickedUp{tasks_[task].id});
      } else {
        complete(task, now, cbs);
        if (!cbs.empty() || on_task_settled_) settled = snapshot(tasks_[task]);
      }
    }
    arm();
  }
  settled_cv_.notify_all();
  deliver_events();
  run(cbs, settled);
}

void Core::settle(Slot task, TaskState state, std::uint32_t error, TimePoint now, Callbacks& out) {
  TaskRecord& t = tasks_[task];
  --status_counts_.tasks[static_cast<int>(t.state)];
  ++status_counts_.tasks[static_cast<int>(state)];
  t.state = state;
  t.error = error;
  t.finished_at = now;
  tasks_.status_changed(task);
  if (auto it = callbacks_.find(task); it != callbacks_.end()) {
    if (remote_settled_)
      remote_settled_->emplace_back(task, std::move(it->second));
    else
      for (auto& cb : it->second)
        out.push_back(std::move(cb));
    callbacks_.erase(it);
  }
}

void Core::run(Callbacks& cbs, const Task& task) const {
  if (task.id.empty()) return;  // nothing settled
  for (auto& cb : cbs)
    cb(task);
  if (on_task_settled_) on_task_settled_(task);
}

void Core::revoke_creation(Slot task, TimePoint now, Callbacks& cbs) {
  settle(task, TaskState::revoked, intern_message("cancelled by a delete request"), now, cbs);
  if (!replay_at_) arm();  // it may have been the earliest
}

std::uint32_t Core::intern(Interned& ids, std::vector<std::string>& texts, std::string_view t) {
  if (auto it = ids.find(t); it != ids.end()) return it->second;
  const auto id = static_cast<std::uint32_t>(texts.size());
  texts.emplace_back(t);
  ids.emplace(texts.back(), id);
  return id;
}

std::uint32_t Core::intern_message(std::string_view m) {
  return m.empty() ? 0 : intern(message_ids_, messages_, m);
}

// ---- operations ----

bool Core::op_ready(Slot task, std::uint64_t epoch) const {
  std::lock_guard lock(mutex_);
  return epoch == epoch_ && !in_flight(tasks_[task].state);
}

Task Core::op_wait(Slot task, std::uint64_t epoch, std::optional<std::chrono::milliseconds> timeout,
                   bool& settled) const {
  Lock lock(mutex_);
  const auto deadline = timeout ? std::chrono::steady_clock::now() + *timeout
                                : std::chrono::steady_clock::time_point::max();
  for (;;) {
    if (closing_) throw Exception(Error::cancelled("cancelled: the ResourceManager was destroyed"));
    if (epoch != epoch_)
      throw Exception(Error::cancelled("cancelled: the ResourceManager was reset"));
    const TaskRecord& t = tasks_[task];
    if (!in_flight(t.state)) {
      settled = true;
      return snapshot(t);
    }
    settled = false;
    if (clock_.mode() == ClockMode::virtual_) {
      if (timeout) return snapshot(t);
      throw Exception(Error{ErrorKind::not_settled,
                            "task " + t.id.to_string() + " is due at " + format_rfc3339(t.eta) +
                                " but the virtual clock reads " + format_rfc3339(current_time()) +
                                ": advance the clock",
                            {}});
    }
    if (timeout) {
      if (settled_cv_.wait_until(lock, deadline) == std::cv_status::timeout &&
          in_flight(tasks_[task].state) && epoch == epoch_)
        return snapshot(tasks_[task]);
    } else {
      settled_cv_.wait(lock);
    }
  }
}

void Core::op_on_settled(Slot task, std::uint64_t epoch, std::function<void(const Task&)> cb) {
  Task t;
  {
    std::lock_guard lock(mutex_);
    if (epoch != epoch_ || closing_) return;  // dropped: a future reports broken_promise
    if (in_flight(tasks_[task].state)) {
      callbacks_[task].push_back(std::move(cb));
      return;
    }
    t = snapshot(tasks_[task]);
  }
  cb(t);
}

}  // namespace mockcloud::detail
