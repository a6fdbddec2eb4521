#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include "mockcloud/clock.hpp"
#include "timer_queue.hpp"

namespace mockcloud {

// One background thread waits for the earliest due time on a condition variable. (A plain
// thread keeps Asio out of the library; the server runs its own io_context.)
struct SystemClock::Impl {
  mutable std::mutex mutex;
  std::condition_variable wake;      // new earliest timer, or stop
  std::condition_variable finished;  // the running action returned
  detail::TimerQueue queue;
  TimerId running = 0;
  bool stop = false;
  mutable std::atomic<TimePoint::rep> last{0};
  std::thread thread;

  TimePoint now() const {
    // Never backwards, even if the system time is stepped back.
    auto t = std::chrono::system_clock::now().time_since_epoch().count();
    auto prev = last.load(std::memory_order_relaxed);
    while (prev < t && !last.compare_exchange_weak(prev, t, std::memory_order_relaxed)) {
    }
    return TimePoint{Duration{std::max(prev, t)}};
  }

  void run() {
    std::unique_lock lock(mutex);
    while (!stop) {
      const auto* top = queue.top();
      if (!top) {
        wake.wait(lock);
        continue;
      }
      auto wait = top->due - now();
      if (wait > Duration::zero()) {
        wake.wait_for(lock, wait);
        continue;
      }
      auto entry = queue.pop();
      running = entry.id;
      lock.unlock();
      try {
        entry.action();
      } catch (const std::exception& e) {
        std::fprintf(stderr, "mockcloud: timer action threw: %s\n", e.what());
      } catch (...) {
        std::fprintf(stderr, "mockcloud: timer action threw\n");
      }
      lock.lock();
      running = 0;
      finished.notify_all();
    }
  }
};

SystemClock::SystemClock() : impl_(std::make_unique<Impl>()) {
  impl_->thread = std::thread([this] { impl_->run(); });
}

SystemClock::~SystemClock() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stop = true;
    impl_->queue.clear();
  }
  impl_->wake.notify_all();
  impl_->thread.join();
}

TimePoint SystemClock::now() const {
  return impl_->now();
}

Clock::TimerId SystemClock::schedule_at(TimePoint due, Action action) {
  TimerId id;
  bool earliest;
  {
    std::lock_guard lock(impl_->mutex);
    id = impl_->queue.push(due, std::move(action));
    earliest = impl_->queue.top()->id == id;
  }
  if (earliest) impl_->wake.notify_one();
  return id;
}

bool SystemClock::cancel(TimerId id) {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.cancel(id);
}

void SystemClock::barrier() {
  std::unique_lock lock(impl_->mutex);
  if (std::this_thread::get_id() == impl_->thread.get_id() || impl_->running == 0) return;
  const TimerId id = impl_->running;
  impl_->finished.wait(lock, [&] { return impl_->running != id; });
}

std::size_t SystemClock::pending() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->queue.size();
}

}  // namespace mockcloud
