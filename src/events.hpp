// Events inside the Core: compact records (ids as Uuids, statuses as codes; the strings of a
// public Event are built only when one is handed out), the ring that keeps them, and a
// subscriber's queue. Not a public header.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "mockcloud/events.hpp"
#include "mockcloud/random.hpp"

namespace mockcloud::detail {

// Status codes of an event that are no status of the kind's.
inline constexpr std::uint8_t kNoStatus = 0xFF;  // "": before a creation; reset and resync
inline constexpr std::uint8_t kGone = 0xFE;      // "gone": removed
inline constexpr std::uint8_t kActive = 0xFD;    // "active": an environment or security group

/// One event as recorded under the manager's lock. A zero Uuid is none.
struct EventRecord {
  std::uint64_t seq = 0;
  TimePoint at;
  Uuid id, env, task, vm;
  EventKind kind = EventKind::vm;
  EventCause cause = EventCause::request;
  std::uint8_t from = kNoStatus, to = kNoStatus;
};
static_assert(sizeof(EventRecord) == 88);  // ManagerOptions::event_history says so

/// The public form of a record: its strings built here.
Event to_event(const EventRecord& r);

/// A FIFO of at most `limit` trivially copyable elements. Its storage is allocated at the
/// first push, whole and not written (so pages untouched until it fills: a big allocation is a
/// fresh mapping). push() on a full ring drops the oldest.
template <class T>
class Ring {
  static_assert(std::is_trivially_copyable_v<T> && std::is_trivially_destructible_v<T>);

 public:
  explicit Ring(std::size_t limit = 0) : limit_(limit) {}
  std::size_t size() const noexcept { return size_; }
  std::size_t limit() const noexcept { return limit_; }
  bool empty() const noexcept { return size_ == 0; }
  bool full() const noexcept { return size_ == limit_; }
  /// The i-th element, oldest first.
  const T& operator[](std::size_t i) const { return buf_.get()[wrap(head_ + i)]; }
  const T& back() const { return (*this)[size_ - 1]; }
  void push(const T& v) {
    if (limit_ != 0) push_slot() = v;
  }
  /// The slot of a new newest element, to be assigned (when full, the oldest's). limit() > 0.
  T& push_slot() {
    if (!buf_) buf_.reset(static_cast<T*>(::operator new(limit_ * sizeof(T))));
    if (size_ == limit_) {  // full: the newest replaces the oldest
      T& slot = buf_.get()[head_];
      head_ = wrap(head_ + 1);
      return slot;
    }
    return buf_.get()[wrap(head_ + size_++)];
  }
  T pop() {
    const T v = buf_.get()[head_];
    // Emptied: start again at the first slot, so that a reader that keeps up touches only the
    // first few slots of a large ring, not all of them in turn.
    head_ = --size_ == 0 ? 0 : wrap(head_ + 1);
    return v;
  }
  void clear() noexcept { head_ = size_ = 0; }

 private:
  // An implicit-lifetime type: the allocation creates the elements (C++20), assignment sets them.
  struct Free {
    void operator()(T* p) const noexcept { ::operator delete(p); }
  };
  std::size_t wrap(std::size_t i) const noexcept { return i >= limit_ ? i - limit_ : i; }
  std::unique_ptr<T, Free> buf_;
  std::size_t head_ = 0, size_ = 0;
  const std::size_t limit_;
};

/// One subscriber. `callback` and `capacity` never change; the rest is guarded by the Core's
/// subscribers_mutex_.
struct Subscriber {
  Subscriber(std::function<void(const Event&)> cb, std::size_t cap)
      : callback(std::move(cb)), queue(cap) {}
  const std::function<void(const Event&)> callback;  // empty: pull mode
  Ring<EventRecord> queue;
  std::optional<EventRecord> resync;         // the marker it gets next, when it missed events
  std::function<void(const Event&)> waiter;  // pull mode: on_next()'s callback
  bool closed = false;                       // unsubscribed, or the manager destroyed
  bool listed = false;                       // in the Core's ready_ list
  bool delivering = false;                   // a thread is calling its callback
  std::thread::id deliverer;

  bool has_next() const noexcept { return resync || !queue.empty(); }
  /// Whether a delivering thread has something to hand it now.
  bool deliverable() const noexcept { return !closed && has_next() && (callback || waiter); }
  /// Queues `r`; when full, drops what waits and keeps a resync marker before `r`.
  void push(const EventRecord& r) {
    if (queue.full()) {
      EventRecord marker;
      marker.seq = r.seq - 1;
      marker.at = queue.back().at;
      marker.kind = EventKind::resync;
      resync = marker;
      queue.clear();
    }
    queue.push(r);
  }
  EventRecord pop() {
    if (resync) {
      EventRecord r = *resync;
      resync.reset();
      return r;
    }
    return queue.pop();
  }
};

}  // namespace mockcloud::detail
