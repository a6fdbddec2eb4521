#include <mutex>

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
  std::lock_guard advancing(impl_->advance_mutex);  // before reading now: advances add up
  return impl_->advance_to(impl_->read_now() + d);
}

std::size_t VirtualClock::advance_to(TimePoint t) {
  std::lock_guard advancing(impl_->advance_mutex);
  return impl_->advance_to(t);
}

std::size_t VirtualClock::run_until_idle() {
  std::lock_guard advancing(impl_->advance_mutex);
  std::size_t fired = 0;
  while (impl_->fire_one(TimePoint::max()))
    ++fired;
  return fired;
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
