#include <condition_variable>
#include <mutex>
#include <thread>
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
  mutable std::mutex mutex;  // guards now, queue, rewinds and the running action
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

  // Bumped by rewind(): an advance that started before stops firing and leaves time alone.
  std::uint64_t rewinds = 0;
  // The action being run by an advance (0: none) and its thread, for barrier().
  TimerId running = 0;
  std::thread::id running_on;
  std::condition_variable finished;  // the running action returned

  std::uint64_t read_rewinds() {
    std::lock_guard lock(mutex);
    return rewinds;
  }

  TimePoint read_now() {
    std::lock_guard lock(mutex);
    return now;
  }

  // Precondition: advance_mutex held; `epoch` is the value of rewinds when the advance started.
  std::size_t advance_to(TimePoint t, std::uint64_t epoch) {
    std::size_t fired = 0;
    while (fire_one(t, epoch))
      ++fired;
    std::lock_guard lock(mutex);
    if (t > now && rewinds == epoch) now = t;
    return fired;
  }

  // Fires the earliest action due at or before `limit`, moving time to its due time; nothing once
  // the clock was rewound since `epoch`.
  bool fire_one(TimePoint limit, std::uint64_t epoch) {
    std::unique_lock lock(mutex);
    if (rewinds != epoch) return false;
    const auto* top = queue.top();
    if (!top || top->due > limit) return false;
    auto entry = queue.pop();
    if (entry.due > now) now = entry.due;
    running = entry.id;
    running_on = std::this_thread::get_id();
    lock.unlock();
    struct Done {
      Impl& impl;
      ~Done() {
        {
          std::lock_guard lock(impl.mutex);
          impl.running = 0;
        }
        impl.finished.notify_all();
      }
    } done{*this};  // declared first, so destroyed last: after the action and what it holds
    const Action action = std::move(entry.action);
    action();
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
    const std::uint64_t epoch = impl_->read_rewinds();
    before = impl_->read_now();
    fired = impl_->advance_to(before + d, epoch);
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
    fired = impl_->advance_to(t, impl_->read_rewinds());
  }
  impl_->moved(before);
  return fired;
}

std::size_t VirtualClock::run_until_idle() {
  std::size_t fired = 0;
  TimePoint before;
  {
    std::lock_guard advancing(impl_->advance_mutex);
    const std::uint64_t epoch = impl_->read_rewinds();
    before = impl_->read_now();
    while (impl_->fire_one(TimePoint::max(), epoch))
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

void VirtualClock::barrier() {
  std::unique_lock lock(impl_->mutex);
  if (impl_->running == 0 || impl_->running_on == std::this_thread::get_id()) return;
  const TimerId id = impl_->running;
  impl_->finished.wait(lock, [&] { return impl_->running != id; });
}

TimePoint VirtualClock::start() const noexcept {
  return impl_->start;
}

void VirtualClock::rewind() {
  // Not under advance_mutex: a manager rewinds from reset(), under its own lock, which an action
  // of a running advance may be waiting for. Instead the advance sees `rewinds` change and stops:
  // it fires nothing more and does not move time past the start again.
  std::lock_guard lock(impl_->mutex);
  impl_->now = impl_->start;
  ++impl_->rewinds;
}

}  // namespace mockcloud
