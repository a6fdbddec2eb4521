#include <mutex>
#include <utility>
#include <vector>

#include "mockcloud/clock.hpp"
#include "timer_queue.hpp"

namespace mockcloud {

std::string_view to_string(ClockMode m) noexcept {
  return m == ClockMode::system ? "system" : "virtual";
}

struct VirtualClock::Impl {
  explicit Impl(TimePoint s) : start(s), now(s) {}
  const TimePoint start;
  mutable std::mutex mutex;  // guards now and queue
  std::mutex advance_mutex;  // one advance at a time, so firing order is total
  TimePoint now;
  detail::TimerQueue queue;
  // Listeners run after an advance, outside the other two mutexes; this one is held while they
  // run, so that remove_listener() returns only once its listener is not running.
  std::mutex listeners_mutex;
  std::vector<std::pair<std::uint64_t, Listener>> listeners;
  std::uint64_t listeners_added = 0;

  /// Tells the listeners where an advance left time, if it moved.
  void moved(TimePoint before) {
    const TimePoint t = read_now();
    if (t == before) return;
    std::lock_guard lock(listeners_mutex);
    for (auto& [id, fn] : listeners)
      fn(t);
  }

  TimePoint read_now() {
    std::lock_guard lock(mutex);
    return now;
  }

  // Precondition: advance_mutex held.
  std::size_t advance_to(TimePoint t) {
    std::size_t fired = 0;
    while (fire_one(t))
      ++fired;
    std::lock_guard lock(mutex);
    if (t > now) now = t;
    return fired;
  }

  // Fires the earliest action due at or before `limit`, moving time to its due time.
  bool fire_one(TimePoint limit) {
    std::unique_lock lock(mutex);
    const auto* top = queue.top();
    if (!top || top->due > limit) return false;
    auto entry = queue.pop();
    if (entry.due > now) now = entry.due;
    lock.unlock();
    entry.action();
    return true;
  }
};

VirtualClock::VirtualClock(TimePoint start) : impl_(std::make_unique<Impl>(start)) {}
VirtualClock::~VirtualClock() = default;

TimePoint VirtualClock::default_start() {
  using namespace std::chrono;
  return sys_days{year{2030} / January / 1};
}

TimePoint VirtualClock::now() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->now;
}

Clock::TimerId VirtualClock::schedule_at(TimePoint due, Action action) {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.push(due, std::move(action));
}

bool VirtualClock::cancel(TimerId id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.cancel(id);
}

std::size_t VirtualClock::pending() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.size();
}

std::size_t VirtualClock::advance(Duration d) {
  if (d < Duration::zero()) d = Duration::zero();
  std::size_t fired;
  TimePoint before;
  {
    std::lock_guard advancing(impl_->advance_mutex);  // before reading now: advances add up
    before = impl_->read_now();
    fired = impl_->advance_to(before + d);
  }
  impl_->moved(before);
  return fired;
}

std::size_t VirtualClock::advance_to(TimePoint t) {
  std::size_t fired;
  TimePoint before;
  {
    std::lock_guard advancing(impl_->advance_mutex);
    before = impl_->read_now();
    fired = impl_->advance_to(t);
  }
  impl_->moved(before);
  return fired;
}

std::size_t VirtualClock::run_until_idle() {
  std::size_t fired = 0;
  TimePoint before;
  {
    std::lock_guard advancing(impl_->advance_mutex);
    before = impl_->read_now();
    while (impl_->fire_one(TimePoint::max()))
      ++fired;
  }
  impl_->moved(before);
  return fired;
}

std::uint64_t VirtualClock::add_listener(Listener fn) {
  std::lock_guard lock(impl_->listeners_mutex);
  impl_->listeners.emplace_back(++impl_->listeners_added, std::move(fn));
  return impl_->listeners_added;
}

void VirtualClock::remove_listener(std::uint64_t id) {
  std::lock_guard lock(impl_->listeners_mutex);
  std::erase_if(impl_->listeners, [id](const auto& l) { return l.first == id; });
}

TimePoint VirtualClock::start() const noexcept {
  return impl_->start;
}

void VirtualClock::rewind() {
  // Not under advance_mutex: a manager rewinds from reset(), under its own lock, which an action
  // of a running advance may be waiting for.
  std::lock_guard lock(impl_->mutex);
  impl_->now = impl_->start;
}

}  // namespace mockcloud
