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
      initial_settings_(options.settings),
      on_task_settled_(std::move(options.on_task_settled)),
      wait_for_durability_(options.wait_for_durability),
      seed_(options.seed ? *options.seed : random_seed()),
      settings_(options.settings) {
  if (auto errors = validate(settings_); !errors.empty()) throw Exception(Error::invalid(errors));
}

// ---- snapshots ----

Environment Core::snapshot(const EnvRecord& r) const {
  return {r.id.to_string(), r.name, r.cidr, r.description, "active", r.created_at, r.updated_at};
}

SecurityGroup Core::snapshot(const SgRecord& r) const {
  return {r.id.to_string(), r.name,      envs_[r.env].id.to_string(), r.description, r.rules,
          r.created_at,     r.updated_at};
}

int Core::progress(Slot task, TimePoint now) const {
  const TaskRecord& t = tasks_[task];
  if (t.state != TaskState::started) return 100;
  const auto total = t.eta - t.created_at;
  if (total <= Duration::zero()) return 99;
  const auto share = static_cast<double>((now - t.created_at).count()) / total.count();
  return std::clamp(static_cast<int>(share * 100), 0, 99);
}

Vm Core::snapshot(const VmRecord& r, TimePoint now) const {
  Vm v;
  v.id = r.id.to_string();
  v.name = r.name;
  v.environment_id = envs_[r.env].id.to_string();
  v.status = r.status;
  v.progress = (r.status == VmStatus::creating || r.status == VmStatus::deleting)
                   ? progress(r.task, now)
                   : 100;
  v.cpu = r.cpu;
  v.memory_mb = static_cast<int>(r.memory_mb);
  v.image = images_[r.image];
  v.security_group_ids.reserve(r.security_groups.size());
  for (Slot s : r.security_groups)
    v.security_group_ids.push_back(sgs_[s].id.to_string());
  if (r.ip) v.ip_address = Ipv4Address{r.ip};
  v.volume_ids.reserve(r.volumes.size());
  for (Slot s : r.volumes)
    v.volume_ids.push_back(volumes_[s].id.to_string());
  if (r.error) v.error = messages_[r.error];
  v.task_id = tasks_[r.task].id.to_string();
  v.created_at = r.created_at;
  v.updated_at = r.updated_at;
  return v;
}

Volume Core::snapshot(const VolumeRecord& r, TimePoint now) const {
  Volume v;
  v.id = r.id.to_string();
  v.name = r.name;
  v.environment_id = envs_[r.env].id.to_string();
  v.size_gb = static_cast<int>(r.size_gb);
  v.volume_type = r.type;
  v.status = r.status;
  v.progress = (r.status == VolumeStatus::creating || r.status == VolumeStatus::deleting)
                   ? progress(r.task, now)
                   : 100;
  if (r.vm != kNone) v.vm_id = vms_[r.vm].id.to_string();
  if (r.error) v.error = messages_[r.error];
  v.task_id = tasks_[r.task].id.to_string();
  v.created_at = r.created_at;
  v.updated_at = r.updated_at;
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

bool Core::take_forced_failure(TaskKind kind) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    auto& f = it->fault;
    if (f.operation != kind || !f.fail_next || *f.fail_next <= 0) continue;
    if (--*f.fail_next == 0) faults_.erase(it);  // spent
    return true;
  }
  return false;
}

Slot Core::start_task(TaskKind kind, const Uuid& task_id, const Uuid& resource, Slot resource_slot,
                      Slot previous, TimePoint now, double seconds) {
  // Simulated durations have millisecond resolution; the system clock scales them.
  auto simulated = std::chrono::milliseconds(std::llround(seconds * 1000));
  Duration real = simulated;
  if (clock_.mode() == ClockMode::system)
    real = std::chrono::round<Duration>(simulated * settings_.time_scale);
  TaskRecord t;
  t.id = task_id;
  t.resource = resource;
  t.resource_slot = resource_slot;
  t.kind = kind;
  t.state = TaskState::started;
  t.created_at = now;
  t.eta = now + real;
  t.forced_failure = take_forced_failure(kind);
  t.previous = previous;
  const Slot slot = tasks_.insert(std::move(t));
  ++status_counts_.tasks[static_cast<int>(TaskState::started)];
  due_.push({tasks_[slot].eta, slot});
  if (!replay_at_) arm();  // a replay arms once it is done
  return slot;
}

void Core::arm() {
  // Stale heads (revoked, or completed by a replay) go first.
  while (!due_.empty() && tasks_[due_.top().task].state != TaskState::started)
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
  Callbacks cbs;
  Task settled;
  {
    std::lock_guard lock(mutex_);
    if (epoch != epoch_ || closing_) return;
    armed_at_.reset();  // this timer has fired
    const TimePoint now = current_time();
    while (!due_.empty() && tasks_[due_.top().task].state != TaskState::started)
      due_.pop();
    // One completion per timer, so that a virtual clock counts operations, deadline by deadline.
    if (!due_.empty() && due_.top().eta <= now) {
      const Slot task = due_.top().task;
      due_.pop();
      complete(task, now, cbs);
      if (!cbs.empty() || on_task_settled_) settled = snapshot(tasks_[task]);
    }
    arm();
  }
  settled_cv_.notify_all();
  run(cbs, settled);
}

void Core::complete(Slot task, TimePoint now, Callbacks& cbs) {
  TaskRecord& t = tasks_[task];
  switch (t.kind) {
    case TaskKind::vm_create:
      complete_vm_create(t, now, cbs);
      break;
    case TaskKind::vm_delete:
      complete_vm_delete(t, now, cbs);
      break;
    case TaskKind::volume_create:
      complete_volume_create(t, now, cbs);
      break;
    case TaskKind::volume_delete:
      complete_volume_delete(t, now, cbs);
      break;
  }
  record("task.fire", [&] { return Writer().str(tasks_[task].id.to_string()).take(); });
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

// ---- status bookkeeping shared by VMs and volumes ----

void Core::set_vm_status(Slot slot, VmStatus s) {
  VmRecord& vm = vms_[slot];
  --status_counts_.vms[static_cast<int>(vm.status)];
  --envs_[vm.env].vm_status[static_cast<int>(vm.status)];
  vm.status = s;
  ++status_counts_.vms[static_cast<int>(s)];
  ++envs_[vm.env].vm_status[static_cast<int>(s)];
  vms_.status_changed(slot);
}

void Core::set_volume_status(Slot slot, VolumeStatus s) {
  VolumeRecord& v = volumes_[slot];
  --status_counts_.volumes[static_cast<int>(v.status)];
  --envs_[v.env].volume_status[static_cast<int>(v.status)];
  v.status = s;
  ++status_counts_.volumes[static_cast<int>(s)];
  ++envs_[v.env].volume_status[static_cast<int>(s)];
  volumes_.status_changed(slot);
}

std::uint32_t Core::intern_message(std::string_view m) {
  if (m.empty()) return 0;
  auto [it, inserted] =
      message_ids_.try_emplace(std::string(m), static_cast<std::uint32_t>(messages_.size()));
  if (inserted) messages_.emplace_back(m);
  return it->second;
}

std::uint32_t Core::intern_image(std::string_view image) {
  auto [it, inserted] =
      image_ids_.try_emplace(std::string(image), static_cast<std::uint32_t>(images_.size()));
  if (inserted) images_.emplace_back(image);
  return it->second;
}

// ---- operations ----

bool Core::op_ready(Slot task, std::uint64_t epoch) const {
  std::lock_guard lock(mutex_);
  return epoch == epoch_ && tasks_[task].state != TaskState::started;
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
    if (t.state != TaskState::started) {
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
          tasks_[task].state == TaskState::started && epoch == epoch_)
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
    if (tasks_[task].state == TaskState::started) {
      callbacks_[task].push_back(std::move(cb));
      return;
    }
    t = snapshot(tasks_[task]);
  }
  cb(t);
}

}  // namespace mockcloud::detail
