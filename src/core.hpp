// The state behind a ResourceManager: flat record tables with id, name and (created_at, id)
// indexes, the tasks, and the scheduling of completions on the clock. One mutex guards it all;
// a completion takes it like any caller. Not a public header.
#pragma once

#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "due_queue.hpp"
#include "events.hpp"
#include "ip_pool.hpp"
#include "journal.hpp"
#include "journal_codec.hpp"
#include "lifecycle.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/random.hpp"
#include "mockcloud/store.hpp"
#include "mockcloud/validate.hpp"
#include "name_table.hpp"
#include "order_index.hpp"
#include "sharded.hpp"
#include "table.hpp"

namespace mockcloud::detail {

struct UuidHash {
  std::size_t operator()(const Uuid& u) const noexcept {
    return static_cast<std::size_t>(u.hi ^ (u.lo * 0x9e3779b97f4a7c15ull));
  }
};

/// Live members of one asynchronous kind in an environment (or the whole cloud), by status.
struct KindCounts {
  std::uint32_t live = 0;
  std::uint32_t kept = 0;           // deleted, kept visible (CloudModel::keep_deleted)
  std::uint32_t by_status[7] = {};  // indexed by the kind's status
};

struct EnvRecord {
  Uuid id;
  std::uint32_t scope = 0;  // the NameKey scope of its members
  std::string name, description;
  Cidr cidr;
  TimePoint created_at, updated_at;
  IpPool ips;
  std::uint32_t security_groups = 0;  // live members
  KindCounts vms, volumes;
  bool alive = false;
};

struct SgRecord {
  Uuid id;
  std::string name, description;
  Slot env = kNone;
  std::vector<SecurityRule> rules;
  std::optional<std::string> rules_text;
  TimePoint created_at, updated_at;
  std::uint32_t users = 0;  // live VMs that reference it
  bool alive = false;
};

/// An interned text field left empty (interned ids start at 0).
inline constexpr std::uint32_t kNoText = 0xFFFFFFFF;

/// What every asynchronous resource has: the engine (async_resources.cpp) works on this part.
struct AsyncRecord {
  Uuid id;
  std::string name;
  TimePoint created_at, updated_at;
  std::uint64_t generation = 0;  // how many earlier resources had its name there
  Slot env = kNone;
  Slot task = kNone;        // the latest task
  std::uint32_t error = 0;  // an interned message; 0: none
  std::uint8_t status = 0;
  bool alive = false;
  // (the kinds' own fields fill the tail padding of a derived record's base part only in part:
  // keep the small fields last there too)
};
static_assert(sizeof(AsyncRecord) == 88);

struct VmRecord : AsyncRecord {
  std::vector<Slot> security_groups;
  std::vector<Slot> volumes;
  std::uint32_t image = 0;                // interned
  std::uint32_t instance_type = kNoText;  // interned (with the images); kNoText: none given
  std::uint32_t memory_mb = 0;
  std::uint32_t ip = 0;  // 0: none
  std::uint8_t cpu = 0;
};

struct VolumeRecord : AsyncRecord {
  Uuid attach_to{};  // the VM to attach to once created (VolumeSpec::vm_id); zero: none
  Slot vm = kNone;
  std::uint32_t size_gb = 0;
  VolumeType type = VolumeType::standard;
};

struct TaskRecord {
  Uuid id;
  Uuid resource;
  std::uint32_t error = 0;
  TimePoint created_at, eta, finished_at;
  double outcome_draw = 0;      // uniform [0,1): the creation fails when below the failure rate
  std::uint64_t preferred = 0;  // preferred host offset (VM creations)
  Slot resource_slot = kNone;
  Slot previous = kNone;  // the resource's task before this one
  TaskKind kind = TaskKind::vm_create;
  TaskState state = TaskState::started;
  bool forced_failure = false;  // an injected fail_next fault
  bool alive = false;
};

/// Not settled yet: running, or queued for a worker (CloudModel::pending_stage).
inline bool in_flight(TaskState s) {
  return s == TaskState::started || s == TaskState::pending;
}

// What lists filter on, for each kind of record (see Table and OrderIndex).
inline Slot order_env(const EnvRecord&) {
  return kNone;
}
inline Slot order_env(const SgRecord& r) {
  return r.env;
}
inline Slot order_env(const AsyncRecord& r) {
  return r.env;
}
inline Slot order_env(const TaskRecord&) {
  return kNone;
}
inline std::uint8_t order_status(const EnvRecord&) {
  return 0;
}
inline std::uint8_t order_status(const SgRecord&) {
  return 0;
}
inline std::uint8_t order_status(const AsyncRecord& r) {
  return r.status;
}
inline std::uint8_t order_status(const TaskRecord& r) {
  return static_cast<std::uint8_t>(r.state);
}

/// What the live path already looked up, so that Core::apply() does not look it up again (a
/// replay passes nothing).
struct Found {
  Slot env = kNone;
  NameEntry* name = nullptr;
  std::optional<TimePoint> now;  // the clock read once per call
};

/// The public snapshot of each asynchronous kind.
template <class Record>
struct RecordTraits;
template <>
struct RecordTraits<VmRecord> {
  using Snapshot = Vm;
  using Created = VmCreated;
};
template <>
struct RecordTraits<VolumeRecord> {
  using Snapshot = Volume;
  using Created = VolumeCreated;
};

struct FaultRecord {
  Fault fault;
  Uuid id;
  std::uint64_t draws = 0;  // requests a route fault has seen
};

/// Set while this thread runs a clock's action (a Core's timer): a public call made from
/// there must not move a virtual clock again (its advance holds the clock).
struct InClockAction {
  InClockAction() { ++depth; }
  ~InClockAction() { --depth; }
  InClockAction(const InClockAction&) = delete;
  InClockAction& operator=(const InClockAction&) = delete;
  static inline thread_local int depth = 0;
};

/// Set while this thread serves a request whose catch-up already ran (Store::catch_up_async):
/// refresh() then does not ask the database again.
struct CaughtUp {
  explicit CaughtUp(bool on) : on_(on) {
    if (on_) ++depth;
  }
  ~CaughtUp() {
    if (on_) --depth;
  }
  CaughtUp(const CaughtUp&) = delete;
  CaughtUp& operator=(const CaughtUp&) = delete;
  static inline thread_local int depth = 0;

 private:
  bool on_;
};

class Core : public std::enable_shared_from_this<Core>, private JournalFollower {
 public:
  Core(ManagerOptions options, Clock& clock);

  // Environments, security groups (environments.cpp).
  Result<Environment> create_environment(const EnvironmentSpec& spec);
  Result<Environment> get_environment(std::string_view id) const;
  Listing<Environment> list_environments(const EnvironmentFilter& f, Page p) const;
  Result<Ok> delete_environment(std::string_view id);
  Result<SecurityGroup> create_security_group(const SecurityGroupSpec& spec);
  Result<SecurityGroup> get_security_group(std::string_view id) const;
  Listing<SecurityGroup> list_security_groups(const SecurityGroupFilter& f, Page p) const;
  Result<Ok> delete_security_group(std::string_view id);

  // VMs (vms.cpp), volumes (volumes.cpp); what they share runs on the lifecycle engine
  // (async_resources.cpp).
  Result<Operation<Vm>> create_vm(const VmSpec& spec);
  Result<Vm> get_vm(std::string_view id) const { return get_async<VmRecord>(id); }
  Listing<Vm> list_vms(const VmFilter& f, Page p) const { return list_async<VmRecord>(f, p); }
  Result<Operation<Vm>> delete_vm(std::string_view id) { return delete_async<VmRecord>(id); }
  Result<Operation<Volume>> create_volume(const VolumeSpec& spec);
  Result<Volume> get_volume(std::string_view id) const { return get_async<VolumeRecord>(id); }
  Listing<Volume> list_volumes(const VolumeFilter& f, Page p) const {
    return list_async<VolumeRecord>(f, p);
  }
  Result<Operation<Volume>> delete_volume(std::string_view id) {
    return delete_async<VolumeRecord>(id);
  }
  Result<Volume> attach_volume(std::string_view volume_id, std::string_view vm_id);
  Result<Volume> detach_volume(std::string_view volume_id);

  // Tasks and operations (tasks.cpp).
  Result<Task> get_task(std::string_view id) const;
  Listing<Task> list_tasks(const TaskFilter& f, Page p) const;
  bool op_ready(Slot task, std::uint64_t epoch) const;
  Task op_wait(Slot task, std::uint64_t epoch, std::optional<std::chrono::milliseconds> timeout,
               bool& settled) const;
  void op_on_settled(Slot task, std::uint64_t epoch, std::function<void(const Task&)> cb);

  // Control (control.cpp).
  void reset(std::optional<std::uint64_t> seed);
  std::uint64_t seed() const;
  Settings settings() const;
  Result<Settings> update_settings(const SettingsPatch& patch);
  Result<Fault> add_fault(const FaultSpec& spec);
  std::vector<Fault> faults() const;
  Result<Ok> remove_fault(std::string_view id);
  void clear_faults();
  std::optional<int> draw_route_fault(std::string_view route);
  std::chrono::milliseconds injected_latency() const;
  Counts counts() const;
  StatusCounts status_counts() const;
  std::vector<Violation> check_invariants() const;  // invariants.cpp
  Clock& clock() const noexcept { return clock_; }
  const CloudModel& model() const noexcept { return model_; }
  void shutdown();

  // Persistence (persistence.cpp).
  /// Replays the store's journal (migrating an older format), then records every change to
  /// it. Once, before any other use.
  void open_store(std::shared_ptr<Store> store);
  /// Returns once every change recorded so far is durable (no-op without a store, or when
  /// the manager was told not to wait).
  void sync() const;
  void after_durable(std::function<void(bool)> callback) const;
  void wait_callbacks() const {
    if (store_) store_->wait_callbacks();
  }
  bool durable() const noexcept { return store_ != nullptr; }

  // A journal shared with other processes (replication.cpp).
  /// Applies what the other processes wrote and moves a virtual clock to where they left it:
  /// before every public call. Throws StoreError when the database is unreachable.
  void refresh() const;
  /// Advances a virtual clock while holding the journal's head, so that what comes due is
  /// completed here, once for the cloud.
  std::size_t advance_clock(VirtualClock& clock, Duration d);
  bool shared() const noexcept { return shared_; }
  bool needs_catch_up() const { return shared_ && store_->needs_catch_up(); }
  void catch_up_async(std::function<void()> done) {
    if (!shared_) return done();
    store_->catch_up_async(std::move(done));
  }
  bool needs_head() const { return shared_ && store_->needs_head(); }
  void wait_head_async(std::function<void(std::string)> done) {
    if (!shared_) return done({});
    store_->wait_head_async(std::move(done));
  }
  /// Why the store cannot be used now, or empty.
  std::string unavailable() const { return store_ ? store_->unavailable() : std::string(); }

  // Events (events.cpp).
  Subscription subscribe(std::function<void(const Event&)> callback,
                         const SubscribeOptions& options);
  EventsSince events_since(std::uint64_t seq, std::size_t max) const;
  EventsSince recent_events(std::size_t max) const;
  /// Hands the waiting events to the subscribers that can take them. Called, with no lock
  /// held, by the thread that changed the state; a branch when nobody subscribes.
  void deliver_events() {
    if (subscriber_count_.load(std::memory_order_relaxed) != 0) deliver_ready();
  }
  // A Subscription's calls.
  void unsubscribe(const std::shared_ptr<Subscriber>& s) noexcept;
  bool subscribed(const Subscriber& s) const;
  std::optional<Event> try_next(Subscriber& s);
  void on_next(const std::shared_ptr<Subscriber>& s, std::function<void(const Event&)> callback);

 private:
  using Lock = std::unique_lock<std::mutex>;
  using Callbacks = std::vector<std::function<void(const Task&)>>;

  // ---- a shared journal (replication.cpp) ----
  /// mutex_, held for a change; with a shared store, also the journal's head (a turn), taken
  /// first, with what the other processes wrote applied.
  /// While it is held, current_time() is the time the lock was taken: what a change decides
  /// and the time its record carries are the same instant, so that a replay (a restart, another
  /// server) gives the same timestamps.
  class WriteLock {
   public:
    WriteLock(Core& core, Lock lock, Store* shared)
        : core_(core), lock_(std::move(lock)), shared_(shared) {
      core_.pinned_now_ = core_.clock_.now();
    }
    ~WriteLock() {
      core_.pinned_now_.reset();
      lock_.unlock();
      if (shared_) shared_->end_write();
    }
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;

   private:
    Core& core_;
    Lock lock_;
    Store* shared_;
  };
  WriteLock write_lock();
  // JournalFollower
  std::uint64_t applied_seq() override;
  std::function<void()> apply_remote(const std::vector<Numbered>& records) override;
  void locked(const std::function<void()>& fn) override;
  void diverged() override;
  void wake_timers() override;
  /// Moves a virtual clock to the time of the latest record the others wrote.
  void sync_clock() const;
  /// Whether this process fires the due timers now (see Store::timer_duty()).
  bool fires_timers() const;

  /// The clock's time, or while replaying the journal, the time of the record being replayed.
  TimePoint current_time() const {
    return replay_at_ ? *replay_at_ : pinned_now_ ? *pinned_now_ : clock_.now();
  }

  // ---- the journal (persistence.cpp) ----
  /// Appends what a change decided to the journal (under mutex_); nothing without a store or
  /// while replaying.
  template <class Event>
  void record(const Event& e);
  /// Whether record() writes anything (a store, and not replaying).
  bool journaling() const noexcept;
  void append_record(std::string_view kind, std::string body, bool truncates);
  /// The virtual clock moved (its listener): journals the time, so a restart resumes there.
  void clock_moved(TimePoint now);
  /// Replays one record of the current format: decodes it and applies it (under mutex_ for
  /// replay_locked(), whose completions hand their callbacks to `cbs`).
  void replay(const Store::Record& r);
  void replay_locked(const Store::Record& r, Callbacks& cbs);
  /// Replays one record of the command journal (format 1) through the public calls
  /// (journal_v1.cpp); the calls journal their outcomes, which replace the old records.
  void replay_v1(const Store::Record& r);
  /// open_store() for a shared store (replication.cpp).
  void open_shared();

  // ---- applying what was decided: the same code live and on replay ----
  void apply(const Reset& e);
  void apply(const SettingsChanged& e);
  void apply(const ClockMoved&) {}
  Slot apply(const EnvironmentCreated& e);
  void apply(const EnvironmentDeleted& e);
  Slot apply(const SecurityGroupCreated& e);
  void apply(const SecurityGroupDeleted& e);
  Slot apply(const VmCreated& e) { return created(e.id, e.start, e.spec, {}); }
  Slot apply(const VolumeCreated& e) { return created(e.id, e.start, e.spec, {}); }
  /// What applying a creation does (the live path calls it without building the record).
  Slot created(const Uuid& id, const TaskStart& start, const VmSpec& spec, const Found& found);
  Slot created(const Uuid& id, const TaskStart& start, const VolumeSpec& spec, const Found& found);
  Slot apply(const DeletionStarted& e, Callbacks& cbs);
  void apply(const TaskCompleted& e, Callbacks& cbs);
  void apply(const TaskPickedUp& e);
  /// A queued creation's worker picks it up: the task starts, the resource is creating.
  void picked_up(Slot task, TimePoint now);
  /// What applying a completion does (the live path calls it without building the record).
  void completed(Slot task, bool ok, std::uint32_t ip, std::string_view error, TimePoint now,
                 Callbacks& cbs);
  void apply(const VolumeAttached& e);
  void apply(const VolumeDetached& e);
  void apply(const FaultAdded& e);
  void apply(const FaultRemoved& e);
  void apply(const FaultsCleared& e);
  /// A slot named by a replayed record; a record naming nothing is a corrupt journal.
  template <class Record>
  Slot existing(const Table<Record>& table, const Uuid& id, std::string_view what) const;

  // ---- snapshots ----
  Environment snapshot(const EnvRecord& r) const;
  SecurityGroup snapshot(const SgRecord& r) const;
  Vm snapshot(const VmRecord& r, TimePoint now) const;
  Volume snapshot(const VolumeRecord& r, TimePoint now) const;
  Task snapshot(const TaskRecord& r) const;
  int progress(Slot task, TimePoint now) const;
  /// The fields every asynchronous resource's snapshot has.
  template <class Snapshot>
  void snapshot_common(const AsyncRecord& r, TimePoint now, Snapshot& out) const;

  // ---- the lifecycle engine (async_resources.cpp) ----
  template <class Record>
  Table<Record>& table();
  template <class Record>
  const Table<Record>& table() const;
  template <class Record>
  NameTable& names();
  template <class Record>
  const NameTable& names() const;
  template <class Record>
  static const Lifecycle& lifecycle();
  template <class Record>
  static KindCounts EnvRecord::*env_counts();
  template <class Record, class Counts>
  static auto* global_counts(Counts& counts) {
    if constexpr (std::is_same_v<Record, VmRecord>)
      return counts.vms;
    else
      return counts.volumes;
  }

  /// What starting a creation decided: the ids and the draws of the task.
  struct Creation {
    Uuid id;
    TaskStart start;
    Rng rng;  // for the kind's own draws, after the common ones
    NameEntry* name;
  };
  /// Checks the name is free in the environment, then draws the id and the task's outcome.
  template <class Record>
  Result<Creation> begin_creation(Slot env, std::string_view name, TimePoint now);
  /// A creation: the spec validated, its environment found, `check(env)` passed (the kind's
  /// own references), the name free, then the draws (`extra(env, event, rng)` adds the kind's
  /// own), applied and journaled.
  template <class Record, class Spec, class Check, class Extra>
  Result<Operation<typename RecordTraits<Record>::Snapshot>> create_async(const Spec& spec,
                                                                          Check&& check,
                                                                          Extra&& extra);
  /// Inserts a new record (its kind's fields set) in its create step's status and starts
  /// its creation task.
  template <class Record>
  Slot insert_async(Record&& r, const Uuid& id, const TaskStart& start, const Found& found);
  template <class Record>
  Result<typename RecordTraits<Record>::Snapshot> get_async(std::string_view id) const;
  template <class Record, class KindFilter>
  Listing<typename RecordTraits<Record>::Snapshot> list_async(const KindFilter& f, Page p) const;
  template <class Record>
  Result<Operation<typename RecordTraits<Record>::Snapshot>> delete_async(std::string_view id);
  /// Why a new volume cannot be attached to the VM it names (VolumeSpec::vm_id) now, if not.
  std::optional<std::string> attach_blocker(const VolumeRecord& v) const;
  /// Why a resource may not be deleted now (a volume in use), if it may not.
  std::optional<Error> deletion_blocked(const VmRecord&) const { return std::nullopt; }
  std::optional<Error> deletion_blocked(const VolumeRecord& v) const;
  template <class Record>
  void set_status(Slot slot, std::uint8_t status);
  /// Decides how a due task's step ends (live), then applies and journals it.
  void complete(Slot task, TimePoint now, Callbacks& cbs);
  template <class Record>
  void finish_step(Slot task, const Step& step, bool ok, std::uint32_t ip, std::string_view error,
                   TimePoint now, Callbacks& cbs);
  template <class Record>
  void run_effects(Slot slot, Effect effects, std::uint32_t ip, TimePoint now);
  template <class Record>
  void remove_record(Slot slot);
  /// A deleted resource kept visible (CloudModel::keep_deleted): its status `deleted`, its name
  /// still taken, no longer counted as a live member of its environment.
  template <class Record>
  void keep_record(Slot slot, TimePoint now);
  /// Forgets the deleted resources kept in environment `env` (which is being deleted).
  template <class Record>
  void forget_kept(Slot env);
  /// Takes security group `sg` off every VM that names it (kept ones too).
  void release_security_group(Slot sg);

  // ---- the cloud model ----
  enum IdKind : std::uint8_t { env_ids, sg_ids, vm_ids, volume_ids };
  template <class Record>
  static constexpr IdKind id_kind() {
    return std::is_same_v<Record, VmRecord> ? vm_ids : volume_ids;
  }
  /// A new resource's id: the drawn UUID, or the kind's next number (IdScheme::sequential).
  Uuid new_id(IdKind kind, const Uuid& drawn) {
    return model_.ids == IdScheme::sequential ? Uuid::sequential(++last_id_[kind]) : drawn;
  }
  /// An id applied (live or replayed): the kind's sequence continues after it.
  void saw_id(IdKind kind, const Uuid& id) {
    if (id.is_sequential()) last_id_[kind] = std::max(last_id_[kind], id.lo);
  }
  /// The NameKey scope of a VM, volume or security group name in environment `env`.
  std::uint32_t name_scope(Slot env) const {
    return model_.names == Scope::cloud || env == kNone ? 0 : envs_[env].scope;
  }
  /// Whether a due-queue entry still stands for its task: a queued task at its pickup, a
  /// started one at its due time (an entry of a task that settled or moved on is stale).
  bool live_entry(const Due& d) const {
    const TaskRecord& t = tasks_[d.task];
    return t.state == TaskState::pending || (t.state == TaskState::started && d.eta == t.eta);
  }
  /// When a worker picks a queued task up: 0.1-1 s (simulated) after `now`, from its seeded id,
  /// never after it is due.
  TimePoint pickup_time(const TaskRecord& t) const;

  // ---- tasks and their timers (core.cpp) ----
  Rng draw(std::string_view kind, Slot env, std::string_view name, std::uint64_t generation,
           std::string_view purpose) const;
  /// Draws a task's id and duration for `step` and peeks at the fail_next faults.
  TaskStart start_of(const Step& step, Rng& rng, TimePoint now) const;
  /// Records a started task and schedules it; `previous` is the resource's task before it.
  Slot start_task(TaskKind kind, const TaskStart& start, const Uuid& resource, Slot resource_slot,
                  Slot previous, TimePoint now);
  bool has_forced_failure(TaskKind kind) const;
  void take_forced_failure(TaskKind kind);
  void settle(Slot task, TaskState state, std::uint32_t error, TimePoint now, Callbacks& out);
  /// Error messages are few and repeat: records keep a 4-byte id (0 is none).
  std::uint32_t intern_message(std::string_view m);
  /// The clock's timer: completes the earliest due task, then re-arms.
  void on_timer(std::uint64_t epoch);
  /// Completes (or picks up) the earliest due task, under the write lock.
  void fire(std::uint64_t epoch);
  /// Keeps one clock timer armed at the earliest pending due time (none when nothing pends).
  void arm();
  void disarm();
  void revoke_creation(Slot task, TimePoint now, Callbacks& cbs);
  void run(Callbacks& cbs, const Task& task) const;

  // ---- events (events.cpp) ----
  /// Why the changes being applied happen: a call's unless a scope says otherwise.
  struct CauseScope {
    CauseScope(Core& core, EventCause cause) : core_(core), saved_(core.cause_) {
      core.cause_ = cause;
    }
    ~CauseScope() { core_.cause_ = saved_; }
    CauseScope(const CauseScope&) = delete;
    CauseScope& operator=(const CauseScope&) = delete;

   private:
    Core& core_;
    EventCause saved_;
  };
  template <class Record>
  static constexpr EventKind event_kind() {
    return std::is_same_v<Record, VmRecord> ? EventKind::vm : EventKind::volume;
  }
  /// A VM's or volume's transition (under mutex_); a branch when events are off.
  template <class Record>
  void note(const Record& r, std::uint8_t from, std::uint8_t to, Slot task, TimePoint now,
            const Uuid& vm = {}) {
    if (events_on_) note_async(event_kind<Record>(), r, from, to, task, now, vm);
  }
  void note_async(EventKind kind, const AsyncRecord& r, std::uint8_t from, std::uint8_t to,
                  Slot task, TimePoint now, const Uuid& vm);
  /// An environment's or security group's (`env` zero for a cloud-wide group), or a reset.
  void note(EventKind kind, const Uuid& id, const Uuid& env, std::uint8_t from, std::uint8_t to,
            TimePoint now) {
    if (events_on_) note_other(kind, id, env, from, to, now);
  }
  void note_other(EventKind kind, const Uuid& id, const Uuid& env, std::uint8_t from,
                  std::uint8_t to, TimePoint now);
  /// Queues a recorded event for every subscriber.
  void publish(const EventRecord& r);
  /// Whether the events after `seq` are all in the history (and `seq` is not ahead).
  /// The kept events after the seq `since_of` returns (under the lock), at most `max`.
  EventsSince collect_events(const std::function<std::uint64_t()>& since_of, std::size_t max) const;
  bool in_history(std::uint64_t seq) const noexcept {
    return seq <= event_seq_ && seq + history_.size() >= event_seq_;
  }
  void deliver_ready();
  /// Calls `s`'s callback (or waiter) with its waiting events, one at a time, `lock` (of
  /// subscribers_mutex_) released around each call.
  void drain(const std::shared_ptr<Subscriber>& s, std::unique_lock<std::mutex>& lock);
  /// Under both locks: whether events are recorded (a history, or a subscriber).
  void events_changed();

  // VM and volume specifics (vms.cpp, volumes.cpp).
  /// `task`: the task whose completion detaches it (none for a call).
  void detach(VolumeRecord& v, Slot volume_slot, TimePoint now, Slot task = kNone);
  std::uint32_t intern_image(std::string_view image);
  void reset_to(std::uint64_t seed, const Settings& settings);

  friend class ::mockcloud::OperationBase;
  friend struct ::mockcloud::detail::TestAccess;  // tests that corrupt the state on purpose

  Clock& clock_;
  const CloudModel model_;
  const Settings initial_settings_;
  const std::function<void(const Task&)> on_task_settled_;
  const bool wait_for_durability_;
  mutable std::mutex mutex_;
  mutable std::condition_variable settled_cv_;

  // Everything below is guarded by mutex_.
  std::uint64_t seed_;
  std::uint64_t epoch_ = 1;  // bumped by reset and shutdown; stale timers and handles see it
  bool closing_ = false;
  Settings settings_;
  Table<EnvRecord> envs_;
  Table<SgRecord> sgs_;
  Table<VmRecord> vms_;
  Table<VolumeRecord> volumes_;
  Table<TaskRecord> tasks_;
  NameTable env_names_, sg_names_, vm_names_, volume_names_;
  std::uint64_t last_id_[4] = {};  // by IdKind: the last sequential id given
  // The last task of each resource that is gone (a live one's is in its record).
  boost::unordered_flat_map<Uuid, Slot, UuidHash> last_task_of_;
  DueQueue due_;  // started tasks by due time (and stale entries of settled ones)
  Clock::TimerId armed_ = 0;
  std::optional<TimePoint> armed_at_;
  boost::unordered_flat_map<Slot, Callbacks> callbacks_;
  /// Interned strings: looked up by string_view, so that a known one costs no allocation.
  struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return boost::hash_value(s); }
  };
  using Interned = boost::unordered_flat_map<std::string, std::uint32_t, TextHash, std::equal_to<>>;
  static std::uint32_t intern(Interned& ids, std::vector<std::string>& texts, std::string_view t);
  Interned image_ids_, message_ids_;
  std::vector<std::string> messages_{std::string()};
  boost::unordered_flat_map<std::string, std::uint32_t> scopes_;  // environment name -> scope
  std::vector<std::string> images_;
  std::vector<FaultRecord> faults_;
  // Read without the lock on every request, so that a server without faults pays nothing.
  std::atomic<std::size_t> route_faults_{0};
  std::atomic<std::int64_t> latency_ms_{0};
  void faults_changed();  // under mutex_: refreshes the two above
  std::uint64_t faults_created_ = 0;
  StatusCounts status_counts_;
  std::shared_ptr<Store> store_;
  std::uint64_t clock_listener_ = 0;  // the virtual clock's listener, while a store is open
  std::vector<Store::Record>* migrated_ = nullptr;  // while migrating: the new journal
  std::optional<TimePoint> replay_at_;              // set while replaying
  std::optional<TimePoint> pinned_now_;             // set while a WriteLock is held
  TimePoint last_recorded_at_{};
  // A shared store (Store::shared()).
  bool shared_ = false;
  bool following_ = false;         // applying the others' records: a reset rewinds the clock
  std::uint64_t applied_seq_ = 0;  // the last record applied, ours or theirs
  bool diverged_ = false;          // a commit failed: the journal is applied again from the start
  TimePoint remote_at_{};          // the latest time in the others' records
  // While applying the others' records: the tasks they settled that have callbacks here.
  std::vector<std::pair<Slot, Callbacks>>* remote_settled_ = nullptr;

  // Events: recorded under mutex_ in the order the changes are applied, delivered outside it.
  bool events_on_ = false;  // a history or a subscriber, once constructed
  EventCause cause_ = EventCause::request;
  std::uint64_t event_seq_ = 0;  // the latest event's
  Ring<EventRecord> history_;
  EventRecord scratch_;  // where an event is written when no history keeps it
  // Changed under both mutex_ and subscribers_mutex_: either guards reading it.
  std::vector<std::shared_ptr<Subscriber>> subscribers_;
  mutable std::mutex subscribers_mutex_;    // after mutex_; guards the Subscribers and ready_
  std::condition_variable subscribers_cv_;  // a delivery ended
  std::vector<std::shared_ptr<Subscriber>> ready_;  // subscribers with something to deliver
  std::atomic<std::size_t> subscriber_count_{0};
};

template <class Record, class Spec, class Check, class Extra>
Result<Operation<typename RecordTraits<Record>::Snapshot>> Core::create_async(const Spec& spec,
                                                                              Check&& check,
                                                                              Extra&& extra) {
  using Snapshot = typename RecordTraits<Record>::Snapshot;
  if (auto errors = validate(spec, model_); !errors.empty())
    return Error::invalid(std::move(errors));
  const auto lock = write_lock();
  const Slot env = envs_.find(spec.environment_id);
  if (env == kNone) return Error::not_found("Environment " + spec.environment_id + " not found");
  if (std::optional<Error> error = check(env)) return std::move(*error);
  const TimePoint now = current_time();
  auto creation = begin_creation<Record>(env, spec.name, now);
  if (!creation) return creation.error();
  extra(env, creation->start, creation->rng);
  const Slot slot = created(creation->id, creation->start, spec, {env, creation->name, now});
  if (journaling())
    record(typename RecordTraits<Record>::Created{creation->id, creation->start, spec});
  const Record& r = table<Record>()[slot];
  return Operation<Snapshot>(shared_from_this(), r.task, epoch_, snapshot(r, r.created_at));
}

inline bool Core::journaling() const noexcept {
  // While migrating an older journal, the replayed calls write the new one.
  return store_ && (!replay_at_ || migrated_);
}

template <class Event>
void Core::record(const Event& e) {
  if (!journaling()) return;
  append_record(Event::kind, encode(e), std::is_same_v<Event, Reset>);
}

}  // namespace mockcloud::detail
