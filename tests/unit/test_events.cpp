// Events (events.hpp): every transition in the order applied, with its cause; bounded queues
// that resync rather than hold the manager up; the history and resumption; Asio; replay.
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <tuple>

#include <unistd.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>

#include "mockcloud/asio.hpp"
#include "mockcloud/store.hpp"
#include "test_support.hpp"

using mockcloud::Event;
using mockcloud::EventCause;
using mockcloud::EventKind;
using mockcloud::SubscribeOptions;
using mockcloud::Subscription;
namespace asio = boost::asio;

namespace doctest {
template <>
struct StringMaker<Event> {
  static String convert(const Event& e) {
    std::string s = "#" + std::to_string(e.seq) + " " + std::string(to_string(e.kind)) + " " +
                    e.id + " " + e.from + "->" + e.to + " (" + std::string(to_string(e.cause)) +
                    ")";
    if (e.task_id) s += " task " + *e.task_id;
    if (e.vm_id) s += " vm " + *e.vm_id;
    return s.c_str();
  }
};
}  // namespace doctest

namespace {

/// A callback subscriber that keeps what it gets.
struct Recorder {
  std::vector<Event> events;
  Subscription sub;
  explicit Recorder(mockcloud::ResourceManager& cloud, SubscribeOptions o = {})
      : sub(cloud.subscribe([this](const Event& e) { events.push_back(e); }, o)) {}
  /// "kind id from->to cause", one per event, for compact checks.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& e : events)
      out.push_back(std::string(to_string(e.kind)) + " " + e.id + " " + e.from + "->" + e.to + " " +
                    std::string(to_string(e.cause)));
    return out;
  }
};

void check_seqs_increase(const std::vector<Event>& events) {
  for (std::size_t i = 1; i < events.size(); ++i)
    CHECK(events[i].seq > events[i - 1].seq);
}

mockcloud::FaultSpec fail_next(mockcloud::TaskKind op, std::int64_t n) {
  mockcloud::FaultSpec f;
  f.operation = op;
  f.fail_next = n;
  return f;
}

std::vector<std::uint64_t> seqs(const std::vector<Event>& events) {
  std::vector<std::uint64_t> out;
  for (const auto& e : events)
    out.push_back(e.seq);
  return out;
}

}  // namespace

TEST_CASE("a VM's life: every transition in order, seq strictly increasing, with its cause") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  Recorder r(vc.cloud);
  const auto start = vc.clock.now();
  auto env = vc.env("dev");
  auto op = vc.vm("web", env.id);
  vc.clock.advance(10s);
  auto del = vc.cloud.delete_vm(op.id()).value();
  vc.clock.advance(2s);

  const std::string vm = op.id();
  CHECK(r.lines() == std::vector<std::string>{
                         "environment " + env.id + " ->active request",
                         "vm " + vm + " ->creating request",
                         "vm " + vm + " creating->running timer",
                         "vm " + vm + " running->deleting request",
                         "vm " + vm + " deleting->gone timer",
                     });
  check_seqs_increase(r.events);
  CHECK(r.events.front().seq == 1);
  CHECK(r.events[0].environment_id == env.id);  // an environment's own
  CHECK_FALSE(r.events[0].task_id);
  for (std::size_t i = 1; i < r.events.size(); ++i)
    CHECK(r.events[i].environment_id == env.id);
  CHECK(r.events[1].task_id == op.task_id());
  CHECK(r.events[2].task_id == op.task_id());
  CHECK(r.events[3].task_id == del.task_id());
  CHECK(r.events[4].task_id == del.task_id());
  CHECK(r.events[1].at == start);
  CHECK(r.events[2].at == start + 10s);
  CHECK(r.events[4].at == start + 12s);
  for (const auto& e : r.events)
    CHECK_FALSE(e.vm_id);

  // The history holds the same events.
  auto kept = vc.cloud.events_since(0);
  CHECK_FALSE(kept.resync);
  CHECK(kept.latest == r.events.back().seq);
  CHECK(kept.events == r.events);
}

TEST_CASE("one advance delivers every transition in due order, before it returns") {
  mctest::VirtualCloud vc;  // default settings: 30-60 s, drawn per VM
  vc.cloud.update_settings({{{"worker_failure_rate", 0.3}}}).value();
  auto env = vc.env("dev");
  std::vector<mockcloud::Operation<mockcloud::Vm>> ops;
  for (int i = 0; i < 8; ++i)
    ops.push_back(vc.vm("vm-" + std::to_string(i), env.id));
  Recorder r(vc.cloud);
  vc.clock.advance(120s);  // one call
  REQUIRE(r.events.size() == ops.size());
  check_seqs_increase(r.events);

  // In due order: (due time, request order), as the tasks say.
  std::vector<std::pair<mockcloud::TimePoint, std::string>> due;
  for (std::size_t i = 0; i < ops.size(); ++i)
    due.emplace_back(vc.cloud.get_task(ops[i].task_id())->eta, ops[i].id());
  std::stable_sort(due.begin(), due.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < due.size(); ++i) {
    CHECK(r.events[i].id == due[i].second);
    CHECK(r.events[i].at == due[i].first);
    CHECK(r.events[i].from == "creating");
    CHECK((r.events[i].to == "running" || r.events[i].to == "error"));
    CHECK(r.events[i].to == to_string(vc.cloud.get_vm(r.events[i].id)->status));
    CHECK(r.events[i].cause == EventCause::timer);
  }
}

TEST_CASE("causes: a request, the clock, an injected fault, a reset") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  auto env = vc.env("dev");
  vc.cloud.add_fault(fail_next(mockcloud::TaskKind::vm_create, 1)).value();
  Recorder r(vc.cloud);
  auto failed = vc.vm("doomed", env.id);  // the fault takes this one
  auto ok = vc.vm("fine", env.id);
  vc.clock.advance(10s);
  vc.cloud.update_settings({{{"worker_failure_rate", 1.0}}}).value();
  auto unlucky = vc.vm("unlucky", env.id);  // a simulated worker failure: the clock's doing
  vc.clock.advance(10s);
  const std::uint64_t before_reset = r.events.back().seq;
  vc.cloud.reset();

  CHECK(r.lines() == std::vector<std::string>{
                         "vm " + failed.id() + " ->creating request",
                         "vm " + ok.id() + " ->creating request",
                         "vm " + failed.id() + " creating->error fault",
                         "vm " + ok.id() + " creating->running timer",
                         "vm " + unlucky.id() + " ->creating request",
                         "vm " + unlucky.id() + " creating->error timer",
                         "reset  -> reset",
                     });
  const Event& reset = r.events.back();
  CHECK(reset.kind == EventKind::reset);
  CHECK(reset.seq == before_reset + 1);  // seq goes on across a reset
  CHECK(reset.environment_id.empty());
  CHECK(reset.at == vc.clock.start());  // the clock rewound first

  // And on after it.
  auto env2 = vc.env("dev");
  CHECK(r.events.back().seq == reset.seq + 1);
  CHECK(r.events.back().id == env2.id);
}

TEST_CASE("volumes: attach, detach, detached by the VM's deletion, created attached") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  auto env = vc.env("dev");
  auto vm = vc.running_vm("web", env.id);
  auto vol = vc.available_volume("data", env.id);
  Recorder r(vc.cloud);
  vc.cloud.attach_volume(vol.id, vm.id).value();
  vc.cloud.detach_volume(vol.id).value();
  vc.cloud.attach_volume(vol.id, vm.id).value();
  auto attached =
      vc.cloud.create_volume({.name = "logs", .environment_id = env.id, .vm_id = vm.id}).value();
  vc.clock.advance(10s);
  auto del = vc.cloud.delete_vm(vm.id).value();
  vc.clock.advance(2s);

  CHECK(r.lines() == std::vector<std::string>{
                         "volume " + vol.id + " available->in-use request",
                         "volume " + vol.id + " in-use->available request",
                         "volume " + vol.id + " available->in-use request",
                         "volume " + attached.id() + " ->creating request",
                         "volume " + attached.id() + " creating->in-use timer",
                         "vm " + vm.id + " running->deleting request",
                         // the deletion detaches first, then the VM is gone
                         "volume " + vol.id + " in-use->available timer",
                         "volume " + attached.id() + " in-use->available timer",
                         "vm " + vm.id + " deleting->gone timer",
                     });
  for (std::size_t i : {0, 1, 2, 4, 6, 7})
    CHECK(r.events[i].vm_id == vm.id);
  CHECK_FALSE(r.events[0].task_id);
  CHECK(r.events[4].task_id == attached.task_id());
  CHECK(r.events[6].task_id == del.task_id());  // the VM's deletion detached it
  CHECK(r.events[7].task_id == del.task_id());
  CHECK_FALSE(r.events[5].vm_id);
}

TEST_CASE(
    "the original model: pending, picked up, deleted and kept, forgotten with its environment") {
  mctest::VirtualCloud vc({.seed = 42,
                           .settings = mctest::fixed_settings(),
                           .model = mockcloud::CloudModel::original()});
  Recorder r(vc.cloud);
  auto env = vc.env("dev env");
  auto sg = vc.cloud.create_security_group({.name = "web"}).value();
  auto op = vc.vm("web-1", env.id);
  vc.clock.advance(1s);   // picked up
  vc.clock.advance(10s);  // running
  auto del = vc.cloud.delete_vm(op.id()).value();
  vc.clock.advance(2s);  // deleted, kept
  auto revoked = vc.vm("web-2", env.id);
  auto del2 = vc.cloud.delete_vm(revoked.id()).value();  // revokes its creation
  vc.clock.advance(2s);
  vc.cloud.delete_security_group(sg.id).value();
  vc.cloud.delete_environment(env.id).value();

  CHECK(op.id() == "1");
  CHECK(r.lines() == std::vector<std::string>{
                         "environment 1 ->active request",
                         "security_group 1 ->active request",
                         "vm 1 ->pending request",
                         "vm 1 pending->creating timer",
                         "vm 1 creating->running timer",
                         "vm 1 running->deleting request",
                         "vm 1 deleting->deleted timer",
                         "vm 2 ->pending request",
                         "vm 2 pending->deleting request",
                         "vm 2 deleting->deleted timer",
                         "security_group 1 active->gone request",
                         "vm 1 deleted->gone request",  // forgotten with the environment
                         "vm 2 deleted->gone request",
                         "environment 1 active->gone request",
                     });
  CHECK(r.events[1].environment_id.empty());  // a cloud-wide group
  CHECK(r.events[3].task_id == op.task_id());
  CHECK(r.events[6].task_id == del.task_id());
  CHECK(r.events[8].task_id == del2.task_id());
  check_seqs_increase(r.events);
}

TEST_CASE("a subscriber of capacity 2 that does not drain gets resync; the manager goes on") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  Recorder all(vc.cloud);
  auto slow = vc.cloud.subscribe({.capacity = 2});
  auto env = vc.env("dev");
  for (int i = 0; i < 5; ++i)
    vc.vm("vm-" + std::to_string(i), env.id);
  vc.clock.advance(10s);  // 5 more
  REQUIRE(all.events.size() == 11);

  // Events 1..11 into a queue of 2: each overflow dropped what waited and kept the newest;
  // the last one, at event 11, left a marker for 1..10 and event 11.
  auto first = slow.try_next();
  REQUIRE(first);
  CHECK(first->resync());
  CHECK(first->seq == 10);  // the last one it missed
  CHECK(first->at == all.events[9].at);
  CHECK(first->id.empty());
  auto e11 = slow.try_next();
  REQUIRE(e11);
  CHECK(*e11 == all.events[10]);
  CHECK_FALSE(slow.try_next());

  // It resumes from the history: exactly the missed ones.
  auto missed = vc.cloud.events_since(0, first->seq);
  CHECK_FALSE(missed.resync);
  CHECK(missed.latest == 11);
  CHECK(missed.events == std::vector<Event>(all.events.begin(), all.events.begin() + 10));

  // Then live again.
  vc.env("prod");
  auto next = slow.try_next();
  REQUIRE(next);
  CHECK(next->seq == 12);
  CHECK_FALSE(next->resync());
}

TEST_CASE("a slow callback on another thread holds up neither the manager nor the other callers") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  std::mutex m;
  std::vector<Event> got;
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  std::thread::id blocker;
  auto sub = vc.cloud.subscribe(
      [&](const Event& e) {
        std::thread::id me = std::this_thread::get_id();
        {
          std::lock_guard l(m);
          got.push_back(e);
        }
        if (me == blocker && e.seq == 1) {
          entered.set_value();
          released.wait();  // stuck until the main thread is done
        }
      },
      {.capacity = 2});
  std::string env_id;
  std::thread t([&] {
    {
      std::lock_guard l(m);
      blocker = std::this_thread::get_id();
    }
    env_id = vc.cloud.create_environment({.name = "dev"}).value().id;  // delivers event 1 here
  });
  // `blocker` is read by the callback on `t` only, after `t` wrote it.
  entered.get_future().wait();
  // The callback is stuck on `t`: the manager answers, its queue overflows.
  Recorder all(vc.cloud);
  auto env = vc.cloud.list_environments().items.at(0);
  for (int i = 0; i < 5; ++i)
    vc.vm("vm-" + std::to_string(i), env.id);  // events 2..6
  {
    std::lock_guard l(m);
    CHECK(got.size() == 1);  // none delivered on this thread while `t` delivers
  }
  release.set_value();
  t.join();  // `t` drains what waits: the marker, then the newest
  REQUIRE(got.size() == 3);
  CHECK(got[0].seq == 1);
  CHECK(got[1].resync());
  CHECK(got[1].seq == 5);
  CHECK(got[2].seq == 6);
  CHECK(got[2] == all.events.back());
  auto missed = vc.cloud.events_since(got[0].seq, got[1].seq - got[0].seq);
  CHECK(seqs(missed.events) == std::vector<std::uint64_t>{2, 3, 4, 5});
}

TEST_CASE("threads changing, subscribing and unsubscribing: each subscriber sees seq order") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  std::mutex m;
  std::vector<std::uint64_t> seen;  // the long-lived subscriber's
  auto all = vc.cloud.subscribe(
      [&](const Event& e) {
        std::lock_guard l(m);
        seen.push_back(e.seq);
      },
      {.capacity = 100000});
  std::atomic<bool> done{false};
  std::atomic<int> out_of_order{0};
  std::vector<std::thread> churn;
  for (int t = 0; t < 2; ++t)
    churn.emplace_back([&] {
      while (!done) {
        std::uint64_t last = 0;
        auto sub = vc.cloud.subscribe([&](const Event& e) {
          if (!e.resync() && e.seq <= last) ++out_of_order;
          last = e.seq;
        });
        auto pull = vc.cloud.subscribe({.capacity = 4});
        while (pull.try_next()) {
        }
      }
    });
  std::vector<std::thread> writers;
  for (int t = 0; t < 3; ++t)
    writers.emplace_back([&, t] {
      auto env = vc.cloud.create_environment({.name = "env-" + std::to_string(t)}).value();
      for (int i = 0; i < 30; ++i)
        vc.cloud.create_vm({.name = "vm-" + std::to_string(i), .environment_id = env.id}).value();
    });
  for (auto& w : writers)
    w.join();
  vc.clock.advance(10s);
  done = true;
  for (auto& c : churn)
    c.join();
  CHECK(out_of_order == 0);
  std::lock_guard l(m);
  const auto kept = vc.cloud.events_since(0);
  REQUIRE(seen.size() == 3 + 3 * 30 * 2);
  CHECK(seen == seqs(kept.events));  // every one, once, in order
}

TEST_CASE(
    "events_since: exactly the missed ones, `max`, and a seq the history no longer covers; "
    "recent_events") {
  mctest::VirtualCloud vc({.seed = 42, .settings = mctest::fixed_settings(), .event_history = 5});
  CHECK(vc.cloud.events_since(0).latest == 0);
  CHECK_FALSE(vc.cloud.events_since(0).resync);
  CHECK(vc.cloud.events_since(1).resync);  // ahead of the latest
  Recorder all(vc.cloud);
  auto env = vc.env("dev");
  for (int i = 0; i < 7; ++i)
    vc.vm("vm-" + std::to_string(i), env.id);  // events 1..8; 4..8 kept

  auto too_old = vc.cloud.events_since(2);
  CHECK(too_old.resync);
  CHECK(too_old.events.empty());
  CHECK(too_old.latest == 8);
  auto from3 = vc.cloud.events_since(3);
  CHECK_FALSE(from3.resync);
  CHECK(from3.events == std::vector<Event>(all.events.begin() + 3, all.events.end()));
  CHECK(seqs(vc.cloud.events_since(3, 2).events) == std::vector<std::uint64_t>{4, 5});
  CHECK(vc.cloud.events_since(8).events.empty());
  CHECK_FALSE(vc.cloud.events_since(8).resync);
  CHECK(vc.cloud.events_since(9).resync);
  // The newest kept ones, whatever was dropped before them.
  CHECK(seqs(vc.cloud.recent_events(2).events) == std::vector<std::uint64_t>{7, 8});
  CHECK(seqs(vc.cloud.recent_events().events) == std::vector<std::uint64_t>{4, 5, 6, 7, 8});
  CHECK_FALSE(vc.cloud.recent_events().resync);
  CHECK(vc.cloud.recent_events(0).events.empty());

  SUBCASE("subscribe since a kept seq: the kept ones after it, then live ones") {
    Recorder late(vc.cloud, {.since = 5});
    CHECK(seqs(late.events) == std::vector<std::uint64_t>{6, 7, 8});  // before subscribe returned
    vc.env("prod");
    CHECK(seqs(late.events) == std::vector<std::uint64_t>{6, 7, 8, 9});
  }
  SUBCASE("subscribe since a seq no longer kept: resync first, up to the latest") {
    Recorder late(vc.cloud, {.since = 1});
    REQUIRE(late.events.size() == 1);
    CHECK(late.events[0].resync());
    CHECK(late.events[0].seq == 8);
    vc.env("prod");
    CHECK(seqs(late.events) == std::vector<std::uint64_t>{8, 9});
  }
}

TEST_CASE("without a history: subscribers still get every event; only the latest seq resumes") {
  mctest::VirtualCloud vc({.seed = 42, .settings = mctest::fixed_settings(), .event_history = 0});
  auto quiet = vc.env("quiet");  // nobody listens: nothing recorded, seq stays
  CHECK(vc.cloud.events_since(0).latest == 0);
  Recorder r(vc.cloud);
  vc.vm("web", quiet.id);
  REQUIRE(r.events.size() == 1);
  CHECK(r.events[0].seq == 1);
  CHECK(vc.cloud.events_since(0).resync);
  CHECK_FALSE(vc.cloud.events_since(1).resync);
  CHECK(vc.cloud.events_since(1).events.empty());
}

TEST_CASE("unsubscribing stops delivery; a moved subscription goes on") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  int a = 0, b = 0, c = 0;
  auto sa = vc.cloud.subscribe([&](const Event&) { ++a; });
  Subscription sb = vc.cloud.subscribe([&](const Event&) { ++b; });
  Subscription moved;
  {
    auto sc = vc.cloud.subscribe([&](const Event&) { ++c; });
    CHECK(sc.active());
    moved = std::move(sc);
    CHECK_FALSE(sc.active());
  }  // the moved-from one's destructor unsubscribes nothing
  vc.env("one");
  CHECK(std::tuple(a, b, c) == std::tuple(1, 1, 1));
  sa.cancel();
  CHECK_FALSE(sa.active());
  sa.cancel();  // again: nothing
  { Subscription gone = std::move(sb); }
  vc.env("two");
  CHECK(std::tuple(a, b, c) == std::tuple(1, 1, 2));
  moved = Subscription();  // assigning over it unsubscribes
  vc.env("three");
  CHECK(c == 2);
}

TEST_CASE("a callback may cancel its own subscription") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  int calls = 0;
  Subscription sub;
  sub = vc.cloud.subscribe([&](const Event&) {
    ++calls;
    sub.cancel();  // on the delivering thread: does not wait for itself
  });
  vc.env("one");
  vc.env("two");
  CHECK(calls == 1);
}

TEST_CASE("a subscriber that throws breaks neither the manager nor the other subscribers") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  int thrown = 0;
  auto bad = vc.cloud.subscribe([&](const Event&) {
    ++thrown;
    throw std::runtime_error("subscriber bug");
  });
  Recorder good(vc.cloud);
  auto env = vc.env("dev");
  auto op = vc.vm("web", env.id);
  vc.clock.advance(10s);
  CHECK(op.get().status == mockcloud::VmStatus::running);
  CHECK(good.events.size() == 3);
  CHECK(thrown == 3);  // and it still gets every event
  CHECK(vc.cloud.check_invariants().empty());
}

TEST_CASE("pull subscriptions: misuse is an error, a callback subscription cannot be pulled") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  Recorder r(vc.cloud);
  CHECK_THROWS_AS(r.sub.try_next(), std::logic_error);
  CHECK_THROWS_AS(r.sub.on_next([](const Event&) {}), std::logic_error);
  CHECK_THROWS_AS(vc.cloud.subscribe(std::function<void(const Event&)>{}), std::invalid_argument);
  auto pull = vc.cloud.subscribe();
  pull.on_next([](const Event&) {});
  CHECK_THROWS_AS(pull.on_next([](const Event&) {}), std::logic_error);  // one at a time
  CHECK_FALSE(Subscription().try_next());

  auto tiny = vc.cloud.subscribe({.capacity = 0});  // taken as 1
  vc.env("a");
  vc.env("b");
  auto marker = tiny.try_next();
  REQUIRE(marker);
  CHECK(marker->resync());
  CHECK(tiny.try_next()->id == vc.cloud.list_environments({.name = "b"}).items.at(0).id);
}

TEST_CASE("async_next: a callback on an io_context, use_future, a coroutine, and aborts") {
  mctest::VirtualCloud vc(mctest::fixed_settings());
  asio::io_context io;

  SUBCASE("a callback bound to an io_context runs there once an event comes") {
    auto sub = vc.cloud.subscribe();
    std::optional<Event> got;
    mockcloud::async_next(sub, asio::bind_executor(io, [&](boost::system::error_code ec, Event e) {
                            CHECK_FALSE(ec);
                            got = e;
                          }));
    io.poll();
    CHECK_FALSE(got);
    auto env = vc.env("dev");
    io.restart();
    io.poll();
    REQUIRE(got);
    CHECK(got->id == env.id);
    CHECK(got->to == "active");
  }
  SUBCASE("use_future, an event already waiting") {
    auto sub = vc.cloud.subscribe();
    auto env = vc.env("dev");
    std::future<Event> f = mockcloud::async_next(sub, asio::use_future);
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK(f.get().id == env.id);
  }
  SUBCASE("a coroutine follows a VM to running") {
    auto env = vc.env("dev");
    auto sub = vc.cloud.subscribe();
    std::vector<std::string> seen;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          for (;;) {
            Event e = co_await mockcloud::async_next(sub, asio::use_awaitable);
            seen.push_back(e.from + "->" + e.to);
            if (e.to == "running") co_return;
          }
        },
        asio::detached);
    io.poll();
    auto op = vc.vm("web", env.id);
    io.restart();
    io.poll();
    vc.clock.advance(10s);
    io.restart();
    io.run_for(1s);
    CHECK(seen == std::vector<std::string>{"->creating", "creating->running"});
  }
  SUBCASE("operation_aborted when the subscription is cancelled first") {
    auto sub = vc.cloud.subscribe();
    boost::system::error_code got;
    mockcloud::async_next(
        sub, asio::bind_executor(io, [&](boost::system::error_code ec, Event) { got = ec; }));
    sub.cancel();
    io.poll();
    CHECK(got == asio::error::operation_aborted);
  }
}

TEST_CASE("async_next gets operation_aborted when the manager is destroyed first") {
  asio::io_context io;
  boost::system::error_code got;
  Subscription sub;
  {
    mctest::VirtualCloud vc(mctest::fixed_settings());
    sub = vc.cloud.subscribe();
    mockcloud::async_next(
        sub, asio::bind_executor(io, [&](boost::system::error_code ec, Event) { got = ec; }));
  }
  io.poll();
  CHECK(got == asio::error::operation_aborted);
  CHECK_FALSE(sub.active());
}

TEST_CASE("replaying a store emits nothing; the reopened manager numbers from 1") {
  namespace fs = std::filesystem;
  std::random_device rd;
  const fs::path dir =
      fs::temp_directory_path() /
      ("mockcloud-events-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  fs::create_directories(dir);
  std::string vm_id;
  {
    mockcloud::VirtualClock clock;
    mockcloud::ResourceManager cloud({.seed = 7,
                                      .settings = mctest::fixed_settings(),
                                      .store = mockcloud::open_sqlite_store(dir)},
                                     clock);
    auto env = cloud.create_environment({.name = "dev"}).value();
    vm_id = cloud.create_vm({.name = "web", .environment_id = env.id}).value().id();
    CHECK(cloud.events_since(0).latest == 2);
  }
  {
    mockcloud::VirtualClock clock;
    mockcloud::ResourceManager cloud({.seed = 7,
                                      .settings = mctest::fixed_settings(),
                                      .store = mockcloud::open_sqlite_store(dir)},
                                     clock);
    CHECK(cloud.events_since(0).latest == 0);
    CHECK(cloud.events_since(0).events.empty());
    Recorder r(cloud);
    clock.advance(10s);  // the creation in flight completes, live
    REQUIRE(r.events.size() == 1);
    CHECK(r.events[0].seq == 1);
    CHECK(r.events[0].id == vm_id);
    CHECK(r.events[0].to == "running");
    CHECK(r.events[0].cause == EventCause::timer);
  }
  fs::remove_all(dir);
}

TEST_CASE("names of kinds and causes") {
  CHECK(to_string(EventKind::security_group) == "security_group");
  CHECK(to_string(EventCause::fault) == "fault");
  CHECK(mockcloud::from_string<EventKind>("volume") == EventKind::volume);
  CHECK(mockcloud::from_string<EventCause>("timer") == EventCause::timer);
  CHECK_FALSE(mockcloud::from_string<EventKind>("vms"));
}
