// Clocks: where "now" comes from and how due actions fire.
//
// A SystemClock reads the wall clock and fires actions when they fall due, from a background
// Asio driver (one thread running an io_context with one timer; Asio stays out of this header).
// A VirtualClock stands still until told to move: advance()/advance_to() move time deadline by
// deadline and run every due action in (due time, scheduling order) order, so ties break the
// same way on every run and an action scheduled by another action inside the window fires too.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "mockcloud/time.hpp"

namespace mockcloud {

enum class ClockMode { system, virtual_ };
std::string_view to_string(ClockMode m) noexcept;  // "system" | "virtual"

class Clock {
 public:
  using Action = std::function<void()>;
  using TimerId = std::uint64_t;

  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual ClockMode mode() const noexcept = 0;
  /// Runs `action` once at `due` (at once, on the firing thread, if `due` has passed).
  /// Actions run without any lock of the clock held, so they may schedule and cancel.
  virtual TimerId schedule_at(TimePoint due, Action action) = 0;
  /// True when the timer was pending and will not run. Never waits for a running action.
  virtual bool cancel(TimerId id) = 0;
  /// Number of actions waiting.
  virtual std::size_t pending() const = 0;
  /// Returns once the action running at the time of the call (if any, on another thread) has
  /// returned: after cancelling its timers, an owner calls it before freeing what they use.
  virtual void barrier() {}
};

/// Time that moves only on request; for deterministic tests.
class VirtualClock final : public Clock {
 public:
  /// Starts at `start` (default 2030-01-01T00:00:00.000Z, so timestamps repeat run after run).
  explicit VirtualClock(TimePoint start = default_start());
  ~VirtualClock() override;
  VirtualClock(const VirtualClock&) = delete;
  VirtualClock& operator=(const VirtualClock&) = delete;

  static TimePoint default_start();

  TimePoint now() const override;
  ClockMode mode() const noexcept override { return ClockMode::virtual_; }
  TimerId schedule_at(TimePoint due, Action action) override;
  bool cancel(TimerId id) override;
  std::size_t pending() const override;
  /// Waits for the action an advance is running on another thread (if any) to return.
  void barrier() override;

  /// Moves time forward by `d` (d >= 0), firing due actions deadline by deadline.
  /// Returns how many actions ran. Concurrent advances are serialized.
  std::size_t advance(Duration d);
  /// Moves time to `t` (no-op and 0 if t <= now()).
  std::size_t advance_to(TimePoint t);
  /// Fires every pending action, however far ahead, including those they schedule.
  std::size_t run_until_idle();
  /// The time the clock started at.
  TimePoint start() const noexcept;
  /// Calls `fn(now)` after each advance, advance_to or run_until_idle that moved time, on the
  /// advancing thread, with no lock of the clock held but the listeners' own: remove_listener()
  /// returns only once the listener is not running. A ResourceManager with a store listens, to
  /// journal the time so that a restart resumes it there.
  using Listener = std::function<void(TimePoint)>;
  std::uint64_t add_listener(Listener fn);
  void remove_listener(std::uint64_t id);
  /// Moves time back to start(). Pending actions stay: their owners cancel what they no longer
  /// want (ResourceManager::reset does). An advance in progress on another thread stops: the
  /// action it is running returns, it fires no other and leaves time at start().
  void rewind();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// The wall clock, with a background Asio driver (one thread, one timer) firing due actions.
/// now() never goes backwards, even if the system time is stepped back.
class SystemClock final : public Clock {
 public:
  SystemClock();
  ~SystemClock() override;  // stops the thread; pending actions are dropped
  SystemClock(const SystemClock&) = delete;
  SystemClock& operator=(const SystemClock&) = delete;

  TimePoint now() const override;
  ClockMode mode() const noexcept override { return ClockMode::system; }
  TimerId schedule_at(TimePoint due, Action action) override;
  bool cancel(TimerId id) override;
  std::size_t pending() const override;
  void barrier() override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mockcloud
