// The wall clock. Due actions fire from a background Asio driver: one thread runs an
// io_context whose single steady_timer is armed at the earliest pending due time. Asio stays in
// this translation unit; the public header only knows Clock.
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "mockcloud/clock.hpp"
#include "timer_queue.hpp"

namespace mockcloud {

namespace asio = boost::asio;

struct SystemClock::Impl {
  // The queue and `running` are guarded by the mutex; the timer is touched only on the driver
  // thread (the io_context has that one thread, so its handlers never run concurrently).
  mutable std::mutex mutex;
  std::condition_variable finished;  // the running action returned
  detail::TimerQueue queue;
  TimerId running = 0;
  mutable std::atomic<TimePoint::rep> last{0};
  asio::io_context io{1};
  asio::executor_work_guard<asio::io_context::executor_type> work = asio::make_work_guard(io);
  asio::steady_timer timer{io};
  std::thread thread;

  TimePoint now() const {
    // Never backwards, even if the system time is stepped back.
    auto t = std::chrono::system_clock::now().time_since_epoch().count();
    auto prev = last.load(std::memory_order_relaxed);
    while (prev < t && !last.compare_exchange_weak(prev, t, std::memory_order_relaxed)) {
    }
    return TimePoint{Duration{std::max(prev, t)}};
  }

  /// On the driver thread: runs what is due, one action at a time and without the lock, then
  /// arms the timer at the earliest pending due time. The wall time is read again after each
  /// action, so a due time set by a step of the system clock cannot be skipped or run early.
  void fire() {
    std::unique_lock lock(mutex);
    for (;;) {
      const auto* top = queue.top();
      if (!top) return;
      const Duration wait = top->due - now();
      if (wait > Duration::zero()) {
        // Steady time, so that a step of the system time does not stretch the wait; the
        // handler checks the wall time again when it runs.
        timer.expires_after(std::chrono::ceil<std::chrono::steady_clock::duration>(wait));
        timer.async_wait([this](const boost::system::error_code& ec) {
          if (ec != asio::error::operation_aborted) fire();
        });
        return;
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
  impl_->thread = std::thread([impl = impl_.get()] { impl->io.run(); });
}

SystemClock::~SystemClock() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->queue.clear();
  }
  impl_->io.stop();  // pending actions are dropped; a running one finishes first
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
  // A new earliest: re-arm on the driver thread (cancelling the wait for a later one).
  if (earliest)
    asio::post(impl_->io, [impl = impl_.get()] {
      impl->timer.cancel();
      impl->fire();
    });
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
