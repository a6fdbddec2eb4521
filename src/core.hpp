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

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered/unordered_flat_set.hpp>

#include "due_queue.hpp"
#include "ip_pool.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/random.hpp"
#include "mockcloud/store.hpp"
#include "name_table.hpp"
#include "order_index.hpp"
#include "sharded.hpp"

namespace mockcloud::detail {

struct UuidHash {
  std::size_t operator()(const Uuid& u) const noexcept {
    return static_cast<std::size_t>(u.hi ^ (u.lo * 0x9e3779b97f4a7c15ull));
  }
};

/// Stable storage for records: chunks that never move, so growing the table neither copies
/// records nor needs twice their memory for a moment. Chunk 0 holds 64 records and chunk c >= 1
/// the 64 * 2^(c-1) from slot 64 * 2^(c-1) on: a small table takes a few KiB, a big one a few
/// big mappings whose pages are touched only as records arrive (no half-used 2 MiB page per
/// fixed-size chunk).
template <class Record>
class SlotStore {
 public:
  Record& operator[](Slot s) {
    const auto [c, i] = locate(s);
    return chunks_[c][i];
  }
  const Record& operator[](Slot s) const {
    const auto [c, i] = locate(s);
    return chunks_[c][i];
  }
  std::size_t size() const noexcept { return size_; }
  Slot push_back(Record r) {
    const auto [c, i] = locate(static_cast<Slot>(size_));
    if (c == chunks_.size()) {
      // Reserve only: records are built one by one, so no request pays for a chunk of them.
      chunks_.emplace_back();
      chunks_.back().reserve(c == 0 ? kFirst : kFirst << (c - 1));
    }
    chunks_[c].push_back(std::move(r));
    return static_cast<Slot>(size_++);
  }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

 private:
  static constexpr unsigned kFirstBits = 6;
  static constexpr std::size_t kFirst = std::size_t{1} << kFirstBits;
  /// (chunk, index in it) of a slot.
  static std::pair<std::size_t, std::size_t> locate(Slot s) noexcept {
    const auto c = static_cast<std::size_t>(std::bit_width(s >> kFirstBits));
    return {c, c == 0 ? s : s - (kFirst << (c - 1))};
  }

  std::vector<HugeVector<Record>> chunks_;
  std::size_t size_ = 0;
};

/// Records of one kind: a slot vector with a free list, an id index and the creation order.
/// A Record has `id`, `created_at` and `alive`; order_env()/order_status() give its filter keys.
template <class Record>
class Table {
 public:
  Table() = default;
  Table(const Table&) = delete;  // the index points at slots_
  Table& operator=(const Table&) = delete;

  Slot insert(Record r) {
    Slot s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
      slots_[s] = std::move(r);
    } else {
      s = slots_.push_back(std::move(r));
    }
    Record& rec = slots_[s];
    rec.alive = true;
    const std::uint32_t h = hash32(rec.id);
    index_.part(h).insert(IdRef{s, h});
    order_.add({rec.created_at, rec.id, s, order_env(rec), order_status(rec)});
    return s;
  }
  void erase(Slot s) {
    const std::uint32_t h = hash32(slots_[s].id);
    index_.part(h).erase(IdRef{s, h});
    order_.remove(s);
    slots_[s] = Record{};
    free_.push_back(s);
  }
  /// Keeps the status that lists filter on in step with the record's.
  void status_changed(Slot s) { order_.set_status(s, order_status(slots_[s])); }
  Slot find(std::string_view id) const {
    Uuid u;
    if (!Uuid::parse(id, u)) return kNone;
    return find(u);
  }
  Slot find(const Uuid& u) const {
    const auto& part = index_.part(hash32(u));
    auto it = part.find(u);
    return it == part.end() ? kNone : it->slot;
  }
  Record& operator[](Slot s) { return slots_[s]; }
  const Record& operator[](Slot s) const { return slots_[s]; }
  std::size_t size() const noexcept { return order_.size(); }
  std::size_t capacity() const noexcept { return slots_.size(); }
  /// The creation order, ready to walk.
  const OrderIndex& order() const {
    order_.normalize();
    return order_;
  }
  void clear() {
    slots_.clear();
    free_.clear();
    index_.clear();
    order_.clear();
  }

 private:
  // The id index holds 8-byte entries, a slot and 32 bits of the id's hash, and compares ids in
  // the records (sharded: see sharded.hpp): 16 MB for a million records instead of the 48 of (id,
  // slot) pairs, and a rehash moves entries without reading records.
  struct IdRef {
    Slot slot;
    std::uint32_t hash;
  };
  static std::uint32_t hash32(const Uuid& u) noexcept {
    const std::uint64_t h = u.hi ^ (u.lo * 0x9e3779b97f4a7c15ull);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(const IdRef& r) const noexcept { return r.hash; }
    std::size_t operator()(const Uuid& u) const noexcept { return hash32(u); }
  };
  struct IdEq {
    using is_transparent = void;
    const SlotStore<Record>* slots;
    // Each record has one entry: an insert or an erase matches by slot.
    bool operator()(const IdRef& a, const IdRef& b) const noexcept { return a.slot == b.slot; }
    bool operator()(const Uuid& u, const IdRef& r) const noexcept {
      return (*slots)[r.slot].id == u;
    }
    bool operator()(const IdRef& r, const Uuid& u) const noexcept {
      return (*slots)[r.slot].id == u;
    }
  };

  SlotStore<Record> slots_;
  std::vector<Slot> free_;
  Sharded<boost::unordered_flat_set<IdRef, IdHash, IdEq, HugePageAllocator<IdRef>>> index_{
      std::size_t{0}, IdHash{}, IdEq{&slots_}};
  OrderIndex order_;
};

struct EnvRecord {
  Uuid id;
  std::uint32_t scope = 0;  // the NameKey scope of its members
  std::string name, description;
  Cidr cidr;
  TimePoint created_at, updated_at;
  IpPool ips;
  std::uint32_t vms = 0, volumes = 0, security_groups = 0;  // live members, any status
  std::uint32_t vm_status[4] = {}, volume_status[5] = {};   // live members by status
  bool alive = false;
};

struct SgRecord {
  Uuid id;
  std::string name, description;
  Slot env = kNone;
  std::vector<SecurityRule> rules;
  TimePoint created_at, updated_at;
  std::uint32_t users = 0;  // VMs that reference it
  bool alive = false;
};

struct VmRecord {
  Uuid id;
  std::string name;
  std::uint32_t error = 0;  // an interned message; 0: none
  std::vector<Slot> security_groups;
  std::vector<Slot> volumes;
  TimePoint created_at, updated_at;
  std::uint64_t generation = 0;
  Slot env = kNone;
  Slot task = kNone;        // the latest task
  std::uint32_t image = 0;  // interned
  std::uint32_t memory_mb = 0;
  std::uint32_t ip = 0;  // 0: none
  std::uint8_t cpu = 0;
  VmStatus status = VmStatus::creating;
  bool alive = false;
};

struct VolumeRecord {
  Uuid id;
  std::string name;
  std::uint32_t error = 0;
  TimePoint created_at, updated_at;
  std::uint64_t generation = 0;
  Slot env = kNone;
  Slot task = kNone;
  Slot vm = kNone;
  std::uint32_t size_gb = 0;
  VolumeType type = VolumeType::standard;
  VolumeStatus status = VolumeStatus::creating;
  bool alive = false;
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

// What lists filter on, for each kind of record (see Table and OrderIndex).
inline Slot order_env(const EnvRecord&) {
  return kNone;
}
inline Slot order_env(const SgRecord& r) {
  return r.env;
}
inline Slot order_env(const VmRecord& r) {
  return r.env;
}
inline Slot order_env(const VolumeRecord& r) {
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
inline std::uint8_t order_status(const VmRecord& r) {
  return static_cast<std::uint8_t>(r.status);
}
inline std::uint8_t order_status(const VolumeRecord& r) {
  return static_cast<std::uint8_t>(r.status);
}
inline std::uint8_t order_status(const TaskRecord& r) {
  return static_cast<std::uint8_t>(r.state);
}

struct FaultRecord {
  Fault fault;
  Uuid id;
  std::uint64_t draws = 0;  // requests a route fault has seen
};

class Core : public std::enable_shared_from_this<Core> {
 public:
  Core(ManagerOptions options, Clock& clock);

  // Environments, security groups (environments.cpp, security_groups.cpp).
  Result<Environment> create_environment(const EnvironmentSpec& spec);
  Result<Environment> get_environment(std::string_view id) const;
  Listing<Environment> list_environments(const EnvironmentFilter& f, Page p) const;
  Result<Ok> delete_environment(std::string_view id);
  Result<SecurityGroup> create_security_group(const SecurityGroupSpec& spec);
  Result<SecurityGroup> get_security_group(std::string_view id) const;
  Listing<SecurityGroup> list_security_groups(const SecurityGroupFilter& f, Page p) const;
  Result<Ok> delete_security_group(std::string_view id);

  // VMs (vms.cpp), volumes (volumes.cpp).
  Result<Operation<Vm>> create_vm(const VmSpec& spec);
  Result<Vm> get_vm(std::string_view id) const;
  Listing<Vm> list_vms(const VmFilter& f, Page p) const;
  Result<Operation<Vm>> delete_vm(std::string_view id);
  Result<Operation<Volume>> create_volume(const VolumeSpec& spec);
  Result<Volume> get_volume(std::string_view id) const;
  Listing<Volume> list_volumes(const VolumeFilter& f, Page p) const;
  Result<Operation<Volume>> delete_volume(std::string_view id);
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
  Clock& clock() const noexcept { return clock_; }
  void shutdown();

  // Persistence (persistence.cpp).
  /// Replays the store's journal, then records every change to it. Once, before any other use.
  void open_store(std::shared_ptr<Store> store);
  /// Returns once every change recorded so far is durable (no-op without a store, or when
  /// the manager was told not to wait).
  void sync() const;
  void after_durable(std::function<void(bool)> callback) const;
  bool durable() const noexcept { return store_ != nullptr; }
  /// Records the virtual clock's time if it moved since the last record.
  void record_clock();

 private:
  using Lock = std::unique_lock<std::mutex>;
  using Callbacks = std::vector<std::function<void(const Task&)>>;

  /// The clock's time, or while replaying the journal, the time of the record being replayed.
  TimePoint current_time() const { return replay_at_ ? *replay_at_ : clock_.now(); }
  /// Appends a change to the journal (under mutex_). Without a store, or while replaying, it
  /// does nothing and does not even encode the body.
  template <class Body>
  void record(std::string_view kind, Body&& body, bool truncates = false) {
    if (store_ && !replay_at_) append_record(kind, body(), truncates);
  }
  void append_record(std::string_view kind, std::string body, bool truncates);
  void replay(const Store::Record& r);
  void reset_to(std::uint64_t seed, const Settings& settings);

  // Snapshots.
  Environment snapshot(const EnvRecord& r) const;
  SecurityGroup snapshot(const SgRecord& r) const;
  Vm snapshot(const VmRecord& r, TimePoint now) const;
  Volume snapshot(const VolumeRecord& r, TimePoint now) const;
  Task snapshot(const TaskRecord& r) const;
  int progress(Slot task, TimePoint now) const;

  // Tasks and their timers.
  Rng draw(std::string_view kind, Slot env, std::string_view name, std::uint64_t generation,
           std::string_view purpose) const;
  /// Records a started task and schedules it; `previous` is the resource's task before it.
  Slot start_task(TaskKind kind, const Uuid& task_id, const Uuid& resource, Slot resource_slot,
                  Slot previous, TimePoint now, double seconds);
  bool take_forced_failure(TaskKind kind);
  void settle(Slot task, TaskState state, std::uint32_t error, TimePoint now, Callbacks& out);
  /// Error messages are few and repeat: records keep a 4-byte id (0 is none).
  std::uint32_t intern_message(std::string_view m);
  /// Completes a due task: moves its resource, records it. Under mutex_.
  void complete(Slot task, TimePoint now, Callbacks& cbs);
  /// The clock's timer: completes the earliest due task, then re-arms.
  void on_timer(std::uint64_t epoch);
  /// Keeps one clock timer armed at the earliest pending due time (none when nothing pends).
  void arm();
  void disarm();
  void complete_vm_create(TaskRecord& t, TimePoint now, Callbacks& cbs);
  void complete_vm_delete(TaskRecord& t, TimePoint now, Callbacks& cbs);
  void complete_volume_create(TaskRecord& t, TimePoint now, Callbacks& cbs);
  void complete_volume_delete(TaskRecord& t, TimePoint now, Callbacks& cbs);
  void revoke_creation(Slot task, TimePoint now, Callbacks& cbs);
  void run(Callbacks& cbs, const Task& task) const;

  /// Deleting a VM or a volume (deletion.cpp): 404 when unknown, `blocked` may refuse (409);
  /// from creating it revokes the creation; while deleting it returns the same task.
  template <class Record, class Snapshot>
  Result<Operation<Snapshot>> delete_async(
      Table<Record>& table, std::string_view id, std::string_view noun,
      const std::function<std::optional<Error>(const Record&)>& blocked);

  // VM/volume helpers.
  void set_vm_status(Slot vm, VmStatus s);
  void set_volume_status(Slot volume, VolumeStatus s);
  void detach(VolumeRecord& v, Slot volume_slot, TimePoint now);
  void remove_vm(Slot vm, TimePoint now);
  void remove_volume(Slot vol);
  std::uint32_t intern_image(std::string_view image);

  friend class ::mockcloud::OperationBase;

  Clock& clock_;
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
  // The last task of each resource that is gone (a live one's is in its record).
  boost::unordered_flat_map<Uuid, Slot, UuidHash> last_task_of_;
  DueQueue due_;  // started tasks by due time (and stale entries of settled ones)
  Clock::TimerId armed_ = 0;
  std::optional<TimePoint> armed_at_;
  boost::unordered_flat_map<Slot, Callbacks> callbacks_;
  boost::unordered_flat_map<std::string, std::uint32_t> image_ids_, message_ids_;
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
  std::optional<TimePoint> replay_at_;  // set while replaying
  TimePoint last_recorded_at_{};
};

}  // namespace mockcloud::detail
