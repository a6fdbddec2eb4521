// VirtualClock (deadline-by-deadline firing, cancel, run_until_idle, rewind) and SystemClock
// (actions fire on their own, with short real timings).
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "test_support.hpp"

using namespace std::chrono_literals;
using mockcloud::SystemClock;
using mockcloud::TimePoint;
using mockcloud::VirtualClock;

TEST_SUITE("clock") {
  TEST_CASE("ClockMode wire names") {
    CHECK(mockcloud::to_string(mockcloud::ClockMode::system) == "system");
    CHECK(mockcloud::to_string(mockcloud::ClockMode::virtual_) == "virtual");
  }

  TEST_CASE("VirtualClock starts at 2030-01-01 by default and stands still") {
    VirtualClock c;
    CHECK(VirtualClock::default_start() == mctest::at("2030-01-01T00:00:00.000Z"));
    CHECK(c.now() == VirtualClock::default_start());
    CHECK(c.start() == VirtualClock::default_start());
    CHECK(c.mode() == mockcloud::ClockMode::virtual_);
    std::this_thread::sleep_for(5ms);
    CHECK(c.now() == VirtualClock::default_start());

    auto t = mctest::at("2026-05-01T12:00:00.000Z");
    VirtualClock c2{t};
    CHECK(c2.now() == t);
    CHECK(c2.start() == t);
  }

  TEST_CASE("advance fires in (due time, scheduling order) order, each at its due time") {
    VirtualClock c;
    const auto t0 = c.now();
    std::vector<std::pair<std::string, TimePoint>> fired;
    auto record = [&](std::string name) {
      return [&fired, &c, name] { fired.emplace_back(name, c.now()); };
    };
    c.schedule_at(t0 + 3s, record("a"));
    c.schedule_at(t0 + 1s, record("b"));
    c.schedule_at(t0 + 1s, record("c"));
    c.schedule_at(t0 + 2s, record("d"));
    c.schedule_at(t0 + 1s, record("e"));
    c.schedule_at(t0 + 10s, record("late"));
    CHECK(c.pending() == 6u);

    CHECK(c.advance(5s) == 5u);
    CHECK(c.now() == t0 + 5s);
    REQUIRE(fired.size() == 5u);
    CHECK(fired[0] == std::pair<std::string, TimePoint>{"b", t0 + 1s});
    CHECK(fired[1] == std::pair<std::string, TimePoint>{"c", t0 + 1s});
    CHECK(fired[2] == std::pair<std::string, TimePoint>{"e", t0 + 1s});
    CHECK(fired[3] == std::pair<std::string, TimePoint>{"d", t0 + 2s});
    CHECK(fired[4] == std::pair<std::string, TimePoint>{"a", t0 + 3s});
    CHECK(c.pending() == 1u);

    CHECK(c.advance(4999ms) == 0u);
    CHECK(fired.size() == 5u);
    CHECK(c.advance(1ms) == 1u);  // due exactly at the new now
    CHECK(fired.back() == std::pair<std::string, TimePoint>{"late", t0 + 10s});
    CHECK(c.pending() == 0u);
  }

  TEST_CASE("an action scheduled by an action inside the window fires too, in order") {
    VirtualClock c;
    const auto t0 = c.now();
    std::vector<std::string> log;
    c.schedule_at(t0 + 1s, [&] {
      log.push_back("first@" + mockcloud::format_rfc3339(c.now()));
      c.schedule_at(c.now() + 1s, [&] {
        log.push_back("chained@" + mockcloud::format_rfc3339(c.now()));
        c.schedule_at(c.now() + 10s, [&] { log.push_back("outside"); });
      });
      c.schedule_at(c.now(),
                    [&] { log.push_back("same-time@" + mockcloud::format_rfc3339(c.now())); });
    });
    c.schedule_at(t0 + 1500ms,
                  [&] { log.push_back("middle@" + mockcloud::format_rfc3339(c.now())); });

    CHECK(c.advance(3s) == 4u);
    CHECK(log == std::vector<std::string>{
                     "first@2030-01-01T00:00:01.000Z", "same-time@2030-01-01T00:00:01.000Z",
                     "middle@2030-01-01T00:00:01.500Z", "chained@2030-01-01T00:00:02.000Z"});
    CHECK(c.now() == t0 + 3s);
    CHECK(c.pending() == 1u);
  }

  TEST_CASE("cancel: a cancelled action never runs; cancel reports whether it was pending") {
    VirtualClock c;
    const auto t0 = c.now();
    int ran_a = 0, ran_b = 0;
    auto a = c.schedule_at(t0 + 1s, [&] { ++ran_a; });
    auto b = c.schedule_at(t0 + 2s, [&] { ++ran_b; });
    CHECK(a != b);
    CHECK(c.cancel(a));
    CHECK_FALSE(c.cancel(a));
    CHECK(c.pending() == 1u);
    CHECK(c.advance(5s) == 1u);
    CHECK(ran_a == 0);
    CHECK(ran_b == 1);
    CHECK_FALSE(c.cancel(b));  // already ran
    CHECK_FALSE(c.cancel(123456789));
  }

  TEST_CASE("an action may cancel a later action of the same window") {
    VirtualClock c;
    const auto t0 = c.now();
    int ran = 0;
    mockcloud::Clock::TimerId victim = 0;
    bool cancelled = false;
    c.schedule_at(t0 + 1s, [&] { cancelled = c.cancel(victim); });
    victim = c.schedule_at(t0 + 2s, [&] { ++ran; });
    CHECK(c.advance(3s) == 1u);
    CHECK(cancelled);
    CHECK(ran == 0);
  }

  TEST_CASE("advance_to: forward only") {
    VirtualClock c;
    const auto t0 = c.now();
    int ran = 0;
    c.schedule_at(t0 + 2s, [&] { ++ran; });
    CHECK(c.advance_to(t0) == 0u);
    CHECK(c.advance_to(t0 - 1h) == 0u);
    CHECK(c.now() == t0);
    CHECK(c.advance_to(t0 + 2s) == 1u);
    CHECK(ran == 1);
    CHECK(c.now() == t0 + 2s);
    CHECK(c.advance(0s) == 0u);
    CHECK(c.now() == t0 + 2s);
  }

  TEST_CASE("an action due in the past runs once, without moving time back") {
    VirtualClock c;
    c.advance(10s);
    const auto now = c.now();
    int ran = 0;
    TimePoint seen{};
    c.schedule_at(now - 5s, [&] {
      ++ran;
      seen = c.now();
    });
    c.run_until_idle();
    CHECK(ran == 1);
    CHECK(seen >= now);
    CHECK(c.now() >= now);
    CHECK(c.pending() == 0u);
  }

  TEST_CASE("run_until_idle fires everything, however far, and chains") {
    VirtualClock c;
    const auto t0 = c.now();
    std::vector<TimePoint> when;
    c.schedule_at(t0 + 24h, [&] {
      when.push_back(c.now());
      c.schedule_at(c.now() + 48h, [&] { when.push_back(c.now()); });
    });
    c.schedule_at(t0 + 1s, [&] { when.push_back(c.now()); });
    CHECK(c.run_until_idle() == 3u);
    CHECK(when == std::vector<TimePoint>{t0 + 1s, t0 + 24h, t0 + 72h});
    CHECK(c.now() == t0 + 72h);
    CHECK(c.pending() == 0u);
    CHECK(c.run_until_idle() == 0u);
  }

  TEST_CASE("rewind goes back to the start and leaves pending actions to their owners") {
    VirtualClock c;
    const auto t0 = c.now();
    int ran = 0;
    c.schedule_at(t0 + 1s, [&] { ++ran; });
    c.advance(2s);
    auto later = c.schedule_at(c.now() + 1s, [&] { ++ran; });
    c.schedule_at(c.now() + 5s, [&] { ran += 10; });
    CHECK(c.pending() == 2u);
    c.rewind();
    CHECK(c.now() == t0);
    CHECK(c.pending() == 2u);  // a manager cancels its own timers on reset; the clock does not
    CHECK(c.cancel(later));
    CHECK(c.advance(6s) == 0u);  // the other is due at t0 + 7s now that time went back
    CHECK(ran == 1);
    CHECK(c.advance(1s) == 1u);
    CHECK(ran == 11);
  }

  TEST_CASE("concurrent advances and schedules are serialized; every action runs once") {
    VirtualClock c;
    const auto t0 = c.now();
    std::atomic<int> ran{0};
    std::atomic<std::size_t> fired{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 200; ++i) {
          c.schedule_at(c.now() + std::chrono::milliseconds(1 + (i * 7 + t) % 50),
                        [&] { ran.fetch_add(1); });
          fired += c.advance(1ms);
        }
      });
    }
    for (auto& th : threads)
      th.join();
    fired += c.run_until_idle();
    CHECK(ran.load() == 800);
    CHECK(fired.load() == 800u);
    CHECK(c.now() >= t0 + 800ms);
  }

  TEST_CASE("concurrent advances add up: each one moves time by its own duration") {
    VirtualClock c;
    const auto t0 = c.now();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&] {
        for (int i = 0; i < 25000; ++i)
          c.advance(1ms);
      });
    for (auto& th : threads)
      th.join();
    CHECK(c.now() == t0 + 100s);
  }

  TEST_CASE("SystemClock::barrier waits for the running action, not for pending ones") {
    SystemClock c;
    c.barrier();  // nothing running: returns at once
    std::atomic<bool> started{false}, finished{false}, inner_returned{false};
    c.schedule_at(c.now(), [&] {
      started = true;
      c.barrier();  // on the firing thread: must not wait for itself
      inner_returned = true;
      std::this_thread::sleep_for(80ms);
      finished = true;
    });
    c.schedule_at(c.now() + 1h, [] {});
    const auto deadline = std::chrono::steady_clock::now() + 3s;
    while (!started && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(1ms);
    REQUIRE(started.load());
    const auto t0 = std::chrono::steady_clock::now();
    c.barrier();
    CHECK(finished.load());
    CHECK(inner_returned.load());
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // not the pending hour
    CHECK(c.pending() == 1u);
  }

  TEST_CASE("VirtualClock::barrier waits for the action an advance runs on another thread") {
    VirtualClock c;
    c.barrier();  // nothing running: returns at once
    std::atomic<bool> started{false}, finished{false}, inner_returned{false};
    c.schedule_at(c.now() + 1s, [&] {
      started = true;
      c.barrier();  // on the advancing thread: must not wait for itself
      inner_returned = true;
      std::this_thread::sleep_for(80ms);  // the window in which the other thread calls barrier()
      finished = true;
    });
    c.schedule_at(c.now() + 1h, [] {});
    std::thread advancing([&] { c.advance(1s); });
    while (!started)
      std::this_thread::yield();
    c.barrier();
    CHECK(finished.load());
    CHECK(inner_returned.load());
    CHECK(c.pending() == 1u);  // not the pending hour
    advancing.join();
  }

  TEST_CASE("SystemClock reads the wall clock and never goes backwards") {
    SystemClock c;
    CHECK(c.mode() == mockcloud::ClockMode::system);
    auto sys = std::chrono::system_clock::now();
    auto n = c.now();
    CHECK(n >= sys - 1s);
    CHECK(n <= sys + 1s);
    auto prev = c.now();
    for (int i = 0; i < 10000; ++i) {
      auto cur = c.now();
      REQUIRE(cur >= prev);
      prev = cur;
    }
  }

  TEST_CASE("SystemClock fires actions on its own, in due order, and honours cancel") {
    SystemClock c;
    std::mutex m;
    std::condition_variable cv;
    std::vector<int> order;
    std::thread::id firing_thread;
    auto push = [&](int v) {
      return [&, v] {
        std::lock_guard lk(m);
        order.push_back(v);
        firing_thread = std::this_thread::get_id();
        cv.notify_all();
      };
    };
    const auto start = std::chrono::steady_clock::now();
    c.schedule_at(c.now() + 200ms, push(2));
    c.schedule_at(c.now() + 100ms, push(1));
    auto cancelled = c.schedule_at(c.now() + 150ms, push(99));
    c.schedule_at(c.now() - 1s, push(0));  // already due
    CHECK(c.cancel(cancelled));
    {
      std::unique_lock lk(m);
      REQUIRE(cv.wait_for(lk, 3s, [&] { return order.size() >= 3; }));
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    CHECK(elapsed >= 199ms);
    CHECK(elapsed < 2s);
    std::this_thread::sleep_for(30ms);
    std::lock_guard lk(m);
    CHECK(order == std::vector<int>{0, 1, 2});
    CHECK(firing_thread != std::this_thread::get_id());
    CHECK_FALSE(c.cancel(cancelled));
    CHECK(c.pending() == 0u);
  }

  TEST_CASE("SystemClock: an action may schedule another; destruction drops what is pending") {
    std::atomic<int> ran{0};
    std::atomic<bool> far_ran{false};
    {
      SystemClock c;
      c.schedule_at(c.now() + 5ms, [&] {
        ran.fetch_add(1);
        c.schedule_at(c.now() + 5ms, [&] { ran.fetch_add(1); });
      });
      c.schedule_at(c.now() + 1h, [&] { far_ran = true; });
      const auto deadline = std::chrono::steady_clock::now() + 3s;
      while (ran.load() < 2 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
      CHECK(ran.load() == 2);
      CHECK(c.pending() == 1u);
    }  // must not wait an hour
    CHECK_FALSE(far_ran.load());
  }
}
