// Events: every state transition of the cloud as a value, numbered in the order the changes
// were applied, kept in a bounded history and delivered to subscribers.
//
//   auto sub = cloud.subscribe([](const mockcloud::Event& e) { log(e); });  // until destroyed
//   auto pull = cloud.subscribe({.capacity = 64});    // pull: try_next(), on_next(),
//   mockcloud::Event e = co_await mockcloud::async_next(pull, asio::use_awaitable);  // asio.hpp
//   mockcloud::EventsSince missed = cloud.events_since(last_seen_seq);
//
// Which transitions, with their `from` and `to` (the status names of to_string(), resources.hpp):
//  - a VM or volume created: "" -> "creating" ("pending" under CloudModel::pending_stage); picked
//    up by a worker: "pending" -> "creating"; its creation done: "creating" -> "running" /
//    "available" / "error" (a volume created with VolumeSpec::vm_id: -> "in-use", vm_id set);
//  - a deletion started: "pending" / "creating" / "running" / "available" / "error" ->
//    "deleting" (a creation it revokes has no event of its own); done: "deleting" -> "gone"
//    (removed), or -> "deleted" (kept, CloudModel::keep_deleted), or -> "error" (failed);
//  - a volume attached: "available" -> "in-use", detached (by a call, or by its VM's deletion):
//    "in-use" -> "available"; vm_id names the VM either way;
//  - an environment or a security group created: "" -> "active"; deleted: "active" -> "gone";
//    a deleted VM or volume that its environment's deletion forgets: "deleted" -> "gone";
//  - a reset: one event of kind `reset` (no id, no status): forget what you knew.
// Replaying a store's journal at construction emits nothing.
//
// This header needs only the standard library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mockcloud/resources.hpp"
#include "mockcloud/time.hpp"

namespace mockcloud {

enum class EventKind : std::uint8_t {
  vm,
  volume,
  environment,
  security_group,
  reset,   // ResourceManager::reset(): everything before is gone
  resync,  // a subscriber's marker: it missed events (see Event::seq)
};

/// Why a transition happened.
enum class EventCause : std::uint8_t {
  request,  // a call (create, delete, attach, detach)
  timer,    // the clock: a task completed, or a queued creation was picked up
  fault,    // a completion failed by an injected fail_next fault
  reset,    // ResourceManager::reset()
};

/// "vm", "volume", "environment", "security_group", "reset", "resync".
std::string_view to_string(EventKind) noexcept;
/// "request", "timer", "fault", "reset".
std::string_view to_string(EventCause) noexcept;
template <>
std::optional<EventKind> from_string(std::string_view) noexcept;
template <>
std::optional<EventCause> from_string(std::string_view) noexcept;

struct Event {
  /// 1, 2, ... in the order the changes were applied, across resets, for the manager's life.
  /// A `resync` marker carries the seq of the last event its subscriber missed.
  std::uint64_t seq = 0;
  TimePoint at;  // the clock's time (virtual or not) of the change
  EventKind kind = EventKind::vm;
  EventCause cause = EventCause::request;
  std::string id;              // the resource's id; empty for `reset` and `resync`
  std::string environment_id;  // its environment (an environment's: its own id); empty for a
                               // cloud-wide security group, `reset` and `resync`
  std::string from, to;        // status names; see the list at the top of this header
  std::optional<std::string> task_id;  // the task that moved it (none for synchronous calls)
  std::optional<std::string> vm_id;    // a volume attached or detached: the VM
  bool resync() const noexcept { return kind == EventKind::resync; }
  friend bool operator==(const Event&, const Event&) = default;
};

struct SubscribeOptions {
  /// How many events may wait for this subscriber (at least 1). When one more arrives, the
  /// waiting ones are dropped and the subscriber gets a `resync` marker next, then the newest.
  std::size_t capacity = 1024;
  /// Deliver first the events after this seq, from the history; when they are no longer all
  /// there (or `since` is ahead of the latest event), a `resync` marker instead.
  std::optional<std::uint64_t> since;
};

/// ResourceManager::events_since().
struct EventsSince {
  std::vector<Event> events;  // the events after the given seq, oldest first
  /// The given seq is older than the history (the events after it are no longer all kept) or
  /// ahead of the latest event: nothing in `events`; list the state again and resume from
  /// `latest`.
  bool resync = false;
  std::uint64_t latest = 0;  // the seq of the latest event (0: none yet)
};

namespace detail {
class Core;
struct Subscriber;
}  // namespace detail

/// A subscription to the events of one ResourceManager: delivered while it lives. Move-only;
/// destroying it (or cancel()) unsubscribes, and returns once its callback is not running on
/// another thread (a callback may destroy its own subscription).
///
/// With a callback (ResourceManager::subscribe(callback, options)): each event is passed to the
/// callback in seq order, one at a time, on a thread that changed the state (the caller of the
/// change, or the clock's thread for completions), after the manager's lock is released. An
/// exception thrown by the callback is caught and dropped.
/// Without one (subscribe(options)): events wait in the queue until taken with try_next() or
/// on_next() (or mockcloud::async_next() of asio.hpp).
/// Either way a subscriber that falls `capacity` events behind gets a `resync` marker: the
/// manager never waits for a subscriber.
class Subscription {
 public:
  Subscription() noexcept = default;
  Subscription(Subscription&&) noexcept = default;
  Subscription& operator=(Subscription&& other) noexcept;
  ~Subscription() { cancel(); }

  /// Unsubscribes (idempotent); a pending on_next() callback is dropped, never called.
  void cancel() noexcept;
  /// Subscribed, and its manager not destroyed.
  bool active() const noexcept;
  /// Pull mode: the next waiting event, if any. std::logic_error on a callback subscription.
  std::optional<Event> try_next();
  /// Pull mode: calls `callback` once with the next event: at once on this thread if one waits,
  /// else on the thread that records it. One at a time (std::logic_error if one is pending, or
  /// on a callback subscription). Dropped, never called, if the subscription is cancelled or
  /// the manager destroyed first.
  void on_next(std::function<void(const Event&)> callback);

 private:
  friend class detail::Core;
  Subscription(std::weak_ptr<detail::Core> core, std::shared_ptr<detail::Subscriber> sub)
      : core_(std::move(core)), sub_(std::move(sub)) {}
  std::weak_ptr<detail::Core> core_;
  std::shared_ptr<detail::Subscriber> sub_;
};

}  // namespace mockcloud
