// The cloud itself: a thread-safe store of environments, security groups, VMs, volumes and tasks
// that enforces every rule of docs/http-api.md and runs asynchronous operations on a Clock.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "mockcloud/clock.hpp"
#include "mockcloud/error.hpp"
#include "mockcloud/events.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/model.hpp"
#include "mockcloud/operation.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"
#include "mockcloud/store.hpp"

namespace mockcloud {

struct ManagerOptions {
  /// The seed of every draw; a random one when empty (read it back with seed()).
  std::optional<std::uint64_t> seed;
  Settings settings;
  /// The cloud's rules (model.hpp): ids, tombstones, scopes, the pending stage. A store keeps
  /// the model it was written with; opening it with another is a StoreError.
  CloudModel model;
  /// Called whenever a task settles (a VM came up or failed, a deletion finished, a creation
  /// was revoked, ...), on the thread that settled it, outside the manager's lock. For logs
  /// and metrics; it must not block for long. Not called for changes replayed from a store.
  std::function<void(const Task&)> on_task_settled;
  /// With a store: whether each call waits until its changes are durable before returning
  /// (the default). A server sets it to false and holds each response with
  /// ServerSupport::after_durable() instead, so that its threads never block on the disk and
  /// concurrent requests share one commit.
  bool wait_for_durability = true;
  /// Where the state is kept (see store.hpp); in memory only when empty. A store that holds a
  /// journal restores its state, seed and settings, whatever `seed` and `settings` say.
  std::shared_ptr<Store> store;
  /// How many of the latest events (events.hpp) are kept for events_since() and
  /// SubscribeOptions::since; 0 keeps none (then, with no subscriber, recording an event costs
  /// a branch). 88 bytes each, allocated at the first event; its pages are touched as it fills.
  std::size_t event_history = 10000;
};

/// Resources by status and tasks by state, for metrics.
struct StatusCounts {
  std::size_t vms[std::size(all_vm_statuses)] = {};          // indexed by VmStatus
  std::size_t volumes[std::size(all_volume_statuses)] = {};  // indexed by VolumeStatus
  std::size_t tasks[5] = {};                                 // indexed by TaskState
};

/// A broken invariant of the cloud's state (ResourceManager::check_invariants).
struct Violation {
  /// "ip" (an address outside its environment's network, or held twice), "ip_leak" (the pool
  /// and the VMs disagree on which addresses are held), "attachment" (a volume and a VM
  /// disagree), "task" (an unsettled task whose resource is not in its step), "count" (a kept
  /// count that a recount contradicts).
  std::string kind;
  std::string message;
  friend bool operator==(const Violation&, const Violation&) = default;
};

namespace detail {
struct TestAccess;
}

/// Every public method may be called from any thread, while the clock fires.
/// The clock must outlive the manager. With a store, no call returns before the changes it
/// made or saw are durable.
class ResourceManager {
 public:
  /// Throws mockcloud::Exception on invalid settings, StoreError when the store cannot be read.
  explicit ResourceManager(ManagerOptions options, Clock& clock);
  ~ResourceManager();  // cancels pending operations; waiting Operations then throw
  ResourceManager(const ResourceManager&) = delete;
  ResourceManager& operator=(const ResourceManager&) = delete;

  // ---- environments (synchronous) ----
  Result<Environment> create_environment(const EnvironmentSpec& spec);
  Result<Environment> get_environment(std::string_view id) const;
  Listing<Environment> list_environments(const EnvironmentFilter& filter = {},
                                         Page page = {}) const;
  /// Conflict while any VM, volume or security group is in it.
  Result<Ok> delete_environment(std::string_view id);

  // ---- security groups (synchronous) ----
  Result<SecurityGroup> create_security_group(const SecurityGroupSpec& spec);
  Result<SecurityGroup> get_security_group(std::string_view id) const;
  Listing<SecurityGroup> list_security_groups(const SecurityGroupFilter& filter = {},
                                              Page page = {}) const;
  /// Conflict while a VM uses it.
  Result<Ok> delete_security_group(std::string_view id);

  // ---- VMs (asynchronous) ----
  Result<Operation<Vm>> create_vm(const VmSpec& spec);
  Result<Vm> get_vm(std::string_view id) const;
  Listing<Vm> list_vms(const VmFilter& filter = {}, Page page = {}) const;
  /// From creating (cancels it), running or error; again while deleting returns the same task.
  Result<Operation<Vm>> delete_vm(std::string_view id);

  // ---- volumes (asynchronous) ----
  Result<Operation<Volume>> create_volume(const VolumeSpec& spec);
  Result<Volume> get_volume(std::string_view id) const;
  Listing<Volume> list_volumes(const VolumeFilter& filter = {}, Page page = {}) const;
  /// Conflict while in use.
  Result<Operation<Volume>> delete_volume(std::string_view id);
  /// The volume available, the VM running, one environment, fewer than 16 volumes on the VM.
  Result<Volume> attach_volume(std::string_view volume_id, std::string_view vm_id);
  Result<Volume> detach_volume(std::string_view volume_id);

  // ---- tasks ----
  Result<Task> get_task(std::string_view id) const;
  Listing<Task> list_tasks(const TaskFilter& filter = {}, Page page = {}) const;

  // ---- test control ----
  /// Everything gone, timers cancelled, the settings back to those given at construction, a
  /// virtual clock rewound to its start; the seed replaced when given.
  void reset(std::optional<std::uint64_t> seed = std::nullopt);
  std::uint64_t seed() const;
  Settings settings() const;
  /// Applies the patch if the merged settings are valid; changes nothing otherwise.
  Result<Settings> update_settings(const SettingsPatch& patch);

  Result<Fault> add_fault(const FaultSpec& spec);
  std::vector<Fault> faults() const;
  Result<Ok> remove_fault(std::string_view id);
  void clear_faults();
  // Route faults, injected latency and durable acknowledgements are a server's concerns:
  // see ServerSupport (server_support.hpp).

  // ---- events (events.hpp) ----
  /// Calls `callback` with every event recorded from now on (first, with `options.since`, the
  /// kept ones after it, before returning), until the Subscription is destroyed or cancelled.
  /// An inactive Subscription once the manager is being destroyed.
  Subscription subscribe(std::function<void(const Event&)> callback, SubscribeOptions options = {});
  /// A pull subscription: events wait in its queue for try_next(), on_next() or async_next().
  Subscription subscribe(SubscribeOptions options = {});
  /// The kept events after `seq`, oldest first, at most `max`; or `resync` when the history no
  /// longer holds all of them (or `seq` is ahead of the latest event).
  EventsSince events_since(std::uint64_t seq,
                           std::size_t max = std::numeric_limits<std::size_t>::max()) const;
  /// The newest `max` kept events, oldest first (all that the history keeps by default).
  EventsSince recent_events(std::size_t max = std::numeric_limits<std::size_t>::max()) const;

  // ---- introspection ----
  Counts counts() const;
  StatusCounts status_counts() const;
  /// Checks the state against the invariants every change keeps: each VM's address inside
  /// its environment's network and held by no other, the address pools agreeing with the VMs,
  /// attachments symmetric, every unsettled task's resource in that task's step, and every
  /// kept count equal to a recount. Empty when all hold. Reads everything: O(resources).
  std::vector<Violation> check_invariants() const;
  Clock& clock() const noexcept;
  const CloudModel& model() const noexcept;

 private:
  friend class ServerSupport;
  friend struct detail::TestAccess;
  std::shared_ptr<detail::Core> core_;
};

}  // namespace mockcloud
