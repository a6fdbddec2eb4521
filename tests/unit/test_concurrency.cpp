// Concurrency: a /28 filled from 8 threads, and a stress of creates, deletes, attaches and
// detaches from 4 threads on the system clock at millisecond timings, checking that every task
// settles exactly once and that the final state is consistent.
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "test_support.hpp"

using mockcloud::ErrorKind;
using mockcloud::TaskState;
using mockcloud::VmStatus;
using mockcloud::VolumeStatus;
using steady = std::chrono::steady_clock;

namespace {
/// A clock that forwards to a VirtualClock but keeps Clock's default barrier(), which waits for
/// nothing: what a ResourceManager's timer must survive on its own.
class NoBarrierClock final : public mockcloud::Clock {
 public:
  explicit NoBarrierClock(mockcloud::VirtualClock& v) : v_(v) {}
  mockcloud::TimePoint now() const override { return v_.now(); }
  mockcloud::ClockMode mode() const noexcept override { return v_.mode(); }
  TimerId schedule_at(mockcloud::TimePoint due, Action action) override {
    return v_.schedule_at(due, std::move(action));
  }
  bool cancel(TimerId id) override { return v_.cancel(id); }
  std::size_t pending() const override { return v_.pending(); }

 private:
  mockcloud::VirtualClock& v_;
};

/// Destroys a manager on this thread while another thread advances its clock: the advancing
/// thread runs a settled-callback that lets the destruction start and then lingers, so that the
/// manager goes away while its timer is still running. Then more advances, with nothing left.
void destroy_while_advancing(mockcloud::VirtualClock& virtual_clock, mockcloud::Clock& clock) {
  for (int round = 0; round < 20; ++round) {
    auto cloud = std::make_unique<mockcloud::ResourceManager>(
        mockcloud::ManagerOptions{.seed = 5, .settings = mctest::fixed_settings(0.0, 1, 1)}, clock);
    auto e = cloud->create_environment({.name = "dev"}).value();
    std::atomic<bool> in_callback{false}, destroying{false};
    for (int i = 0; i < 10; ++i) {
      auto op = cloud->create_vm({.name = "v" + std::to_string(i), .environment_id = e.id}).value();
      if (i == 0)
        op.on_settled([&](const mockcloud::Task&) {
          in_callback = true;
          while (!destroying)
            std::this_thread::yield();
          std::this_thread::sleep_for(std::chrono::milliseconds(round % 3));
        });
    }  // the Operations are gone: only `cloud` holds the manager
    std::thread advancing([&] {
      for (int i = 0; i < 50; ++i)
        virtual_clock.advance(100ms);
    });
    while (!in_callback)
      std::this_thread::yield();
    destroying = true;
    cloud.reset();
    advancing.join();
    CHECK(virtual_clock.pending() == 0u);
    CHECK(virtual_clock.run_until_idle() == 0u);
  }
}
}  // namespace

TEST_SUITE("concurrency") {
  TEST_CASE("a /28 filled from 8 threads: 14 distinct host IPs, clean exhaustion errors") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 1, 1)};
    auto e = vc.env("tiny", "10.3.7.32/28");
    std::mutex mu;
    std::vector<std::string> ids;
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < 3; ++i) {
          auto r = vc.cloud.create_vm(
              {.name = "t" + std::to_string(t) + "-" + std::to_string(i), .environment_id = e.id});
          if (!r) continue;
          {
            std::lock_guard lk(mu);
            ids.push_back(r->id());
          }
          if (t % 2 == 0) vc.clock.advance(300ms);  // completions race with creations
        }
      });
    }
    for (auto& th : threads)
      th.join();
    vc.clock.run_until_idle();
    REQUIRE(ids.size() == 24u);

    std::set<std::uint32_t> ips;
    int running = 0, failed = 0;
    for (auto& id : ids) {
      auto vm = vc.cloud.get_vm(id).value();
      CAPTURE(vm.name);
      if (vm.status == VmStatus::running) {
        ++running;
        REQUIRE(vm.ip_address.has_value());
        CHECK(e.cidr.contains(*vm.ip_address));
        CHECK(*vm.ip_address != e.cidr.network());
        CHECK(*vm.ip_address != e.cidr.broadcast());
        CHECK(ips.insert(vm.ip_address->to_uint()).second);
      } else {
        ++failed;
        CHECK(vm.status == VmStatus::error);
        CHECK_FALSE(vm.ip_address.has_value());
        REQUIRE(vm.error.has_value());
        CAPTURE(*vm.error);
        CHECK(mctest::contains_ci(*vm.error, "ip"));
        CHECK((mctest::contains_ci(*vm.error, "free") ||
               mctest::contains_ci(*vm.error, "exhaust") ||
               mctest::contains_ci(*vm.error, "available")));
        auto t = vc.cloud.get_task(vm.task_id).value();
        CHECK(t.state == TaskState::failure);
      }
    }
    CHECK(running == 14);
    CHECK(failed == 10);
    CHECK(ips.size() == 14u);
    mctest::check_invariants(vc.cloud);
  }

  TEST_CASE("concurrent readers and writers on a virtual clock") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.2, 2, 1)};
    auto e = vc.env("dev");
    std::atomic<bool> stop{false};
    std::atomic<int> reads{0};
    std::thread reader([&] {
      while (!stop) {
        auto l = vc.cloud.list_vms({.environment_id = e.id}, {.skip = 0, .limit = 1000});
        CHECK(l.items.size() <= l.total);
        (void)vc.cloud.counts();
        (void)vc.cloud.list_tasks({.state = TaskState::started});
        ++reads;
      }
    });
    std::thread ticker([&] {
      while (!stop) {
        vc.clock.advance(100ms);
        std::this_thread::yield();
      }
    });
    std::vector<std::thread> writers;
    for (int t = 0; t < 3; ++t) {
      writers.emplace_back([&, t] {
        for (int i = 0; i < 60; ++i) {
          auto r = vc.cloud.create_vm(
              {.name = "w" + std::to_string(t) + "-" + std::to_string(i), .environment_id = e.id});
          CHECK(r.has_value());  // no REQUIRE off the main thread: it would throw there
          if (r && i % 3 == 0) CHECK(vc.cloud.delete_vm(r->id()).has_value());
        }
      });
    }
    for (auto& w : writers)
      w.join();
    // The writers may finish before the reader is first scheduled: let it read at least once.
    while (reads.load() == 0)
      std::this_thread::yield();
    stop = true;
    reader.join();
    ticker.join();
    vc.clock.run_until_idle();
    CHECK(reads.load() > 0);
    CHECK(vc.cloud.list_tasks({.state = TaskState::started}).total == 0u);
    CHECK(vc.cloud.counts().vms == 120u);  // 60 of 180 deleted
    CHECK(vc.cloud.counts().tasks == 240u);
    mctest::check_invariants(vc.cloud);
  }

  TEST_CASE("stress on the system clock: every task settles once, state stays consistent") {
    const auto started_at = steady::now();
    mockcloud::SystemClock clock;
    mockcloud::Settings s;  // default durations, scaled to milliseconds
    s.time_scale = 0.001;
    s.worker_failure_rate = 0.1;
    mockcloud::ResourceManager cloud{{.seed = 77, .settings = s}, clock};
    std::vector<std::string> envs;
    for (int i = 0; i < 2; ++i)
      envs.push_back(cloud
                         .create_environment({.name = "s" + std::to_string(i),
                                              .cidr = "10.5." + std::to_string(i) + ".0/24"})
                         .value()
                         .id);

    struct Registration {
      std::string task_id;
      std::atomic<int> calls{0};
      std::optional<mockcloud::Task> last;
      std::mutex mu;
    };
    std::mutex mu;
    std::vector<std::shared_ptr<Registration>> regs;
    std::vector<mockcloud::OperationBase> ops;
    std::vector<std::string> shared_vms;  // VM ids other threads may try to attach to
    std::atomic<int> unexpected{0};
    std::atomic<int> attached{0}, detached{0}, vm_deleted{0}, vol_deleted{0}, cancelled{0};
    std::mutex unexpected_mu;
    std::vector<std::string> unexpected_msgs;

    auto track = [&](const mockcloud::OperationBase& op) {
      auto reg = std::make_shared<Registration>();
      reg->task_id = op.task_id();
      op.on_settled([reg](const mockcloud::Task& t) {
        std::lock_guard lk(reg->mu);
        reg->last = t;
        reg->calls.fetch_add(1);
      });
      std::lock_guard lk(mu);
      regs.push_back(reg);
      ops.push_back(op);
    };
    // Only conflict / not_found are acceptable refusals in this scenario.
    auto expect_refusal = [&](const mockcloud::Error& err, const char* what) {
      if (err.kind != ErrorKind::conflict && err.kind != ErrorKind::not_found) {
        ++unexpected;
        std::lock_guard lk(unexpected_mu);
        unexpected_msgs.push_back(std::string(what) + ": " + mctest::describe(err));
      }
    };

    auto worker = [&](int t) {
      std::mt19937 rng(1000 + t);
      const auto& env = envs[t % 2];
      for (int i = 0; i < 20; ++i) {
        const std::string tag = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto vm_r = cloud.create_vm({.name = "vm-" + tag, .environment_id = env});
        auto vol_r = cloud.create_volume({.name = "vol-" + tag, .environment_id = env});
        if (!vm_r || !vol_r) {
          ++unexpected;
          continue;
        }
        auto vm_op = std::move(vm_r).value();
        auto vol_op = std::move(vol_r).value();
        track(vm_op);
        track(vol_op);

        if (rng() % 5 == 0) {  // cancel a creation half-way
          std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 20));
          auto d = cloud.delete_vm(vm_op.id());
          if (d) {
            track(*d);
            ++cancelled;
            auto again = cloud.delete_vm(vm_op.id());  // second delete: same task
            if (again) {
              if (again->task_id() != d->task_id()) ++unexpected;
            } else {
              expect_refusal(again.error(), "second delete");  // may be gone already
            }
          } else {
            expect_refusal(d.error(), "delete while creating");
          }
          (void)vol_op.wait();
          continue;
        }
        auto vm_task = vm_op.wait();
        auto vol_task = vol_op.wait();
        if (vm_task.state == TaskState::success) {
          std::lock_guard lk(mu);
          shared_vms.push_back(vm_op.id());
        }
        // Attach to our VM, or now and then to a random VM of any thread (maybe gone, maybe in
        // another environment, maybe full).
        std::string target = vm_op.id();
        {
          std::lock_guard lk(mu);
          if (!shared_vms.empty() && rng() % 3 == 0) target = shared_vms[rng() % shared_vms.size()];
        }
        auto att = cloud.attach_volume(vol_op.id(), target);
        if (!att) {
          expect_refusal(att.error(), "attach");
        } else {
          ++attached;
          if (rng() % 2 == 0) {
            auto det = cloud.detach_volume(vol_op.id());
            if (!det)
              expect_refusal(det.error(), "detach");
            else
              ++detached;
          }
        }
        switch (rng() % 3) {
          case 0: {  // delete the VM (its volumes get detached)
            auto d = cloud.delete_vm(vm_op.id());
            if (d) {
              track(*d);
              ++vm_deleted;
            } else {
              expect_refusal(d.error(), "delete vm");
            }
            break;
          }
          case 1: {  // delete the volume (refused while in use)
            auto d = cloud.delete_volume(vol_op.id());
            if (d) {
              track(*d);
              ++vol_deleted;
            } else {
              expect_refusal(d.error(), "delete volume");
            }
            break;
          }
          default:
            break;
        }
        (void)vm_task;
        (void)vol_task;
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back(worker, t);
    for (auto& th : threads)
      th.join();

    // Let everything in flight settle (deletions take at most 10 ms here).
    {
      std::vector<mockcloud::OperationBase> copy;
      {
        std::lock_guard lk(mu);
        copy = ops;
      }
      for (auto& op : copy) {
        auto t = op.wait_for(std::chrono::milliseconds(3000));
        CHECK_MESSAGE(t.has_value(), "task " << op.task_id() << " never settled");
      }
    }
    std::this_thread::sleep_for(20ms);  // callbacks run after the state changes

    CHECK(unexpected.load() == 0);
    for (auto& m : unexpected_msgs)
      MESSAGE(m);

    // Every registration was called exactly once, with a settled task of its own id.
    std::set<std::string> task_ids;
    for (auto& reg : regs) {
      CAPTURE(reg->task_id);
      CHECK(reg->calls.load() == 1);
      std::lock_guard lk(reg->mu);
      REQUIRE(reg->last.has_value());
      CHECK(reg->last->id == reg->task_id);
      CHECK(reg->last->settled());
      task_ids.insert(reg->task_id);
    }
    // No task we did not ask for, none left in flight, every settled one with its times.
    auto tasks = cloud.list_tasks({}, {.skip = 0, .limit = 1000});
    CHECK(tasks.total == task_ids.size());
    for (auto& t : tasks.items) {
      CAPTURE(t.id);
      CHECK(task_ids.count(t.id) == 1u);
      CHECK(t.settled());
      REQUIRE(t.finished_at.has_value());
      CHECK(*t.finished_at >= t.created_at);
    }

    // Attachments agree on both sides; running VMs have unique IPs in their environment.
    auto vms = cloud.list_vms({}, {.skip = 0, .limit = 1000});
    auto vols = cloud.list_volumes({}, {.skip = 0, .limit = 1000});
    std::map<std::string, mockcloud::Vm> vm_by_id;
    std::map<std::string, mockcloud::Volume> vol_by_id;
    for (auto& v : vms.items)
      vm_by_id[v.id] = v;
    for (auto& v : vols.items)
      vol_by_id[v.id] = v;
    std::map<std::string, std::set<std::uint32_t>> ips_by_env;
    for (auto& [id, vm] : vm_by_id) {
      CAPTURE(vm.name);
      CHECK((vm.status == VmStatus::running || vm.status == VmStatus::error));
      if (vm.status == VmStatus::running) {
        REQUIRE(vm.ip_address.has_value());
        CHECK(ips_by_env[vm.environment_id].insert(vm.ip_address->to_uint()).second);
      } else {
        CHECK_FALSE(vm.ip_address.has_value());
        CHECK(vm.volume_ids.empty());
      }
      CHECK(vm.volume_ids.size() <= 16u);
      for (auto& vid : vm.volume_ids) {
        REQUIRE(vol_by_id.count(vid) == 1u);
        CHECK(vol_by_id[vid].status == VolumeStatus::in_use);
        CHECK(vol_by_id[vid].vm_id == vm.id);
      }
    }
    for (auto& [id, v] : vol_by_id) {
      CAPTURE(v.name);
      CHECK((v.status == VolumeStatus::available || v.status == VolumeStatus::in_use ||
             v.status == VolumeStatus::error));
      if (v.status == VolumeStatus::in_use) {
        REQUIRE(v.vm_id.has_value());
        REQUIRE(vm_by_id.count(*v.vm_id) == 1u);
        const auto& owner = vm_by_id[*v.vm_id];
        CHECK(owner.environment_id == v.environment_id);
        CHECK(std::count(owner.volume_ids.begin(), owner.volume_ids.end(), v.id) == 1);
      } else {
        CHECK_FALSE(v.vm_id.has_value());
      }
    }
    auto sc = cloud.status_counts();
    std::size_t vm_total = 0, vol_total = 0;
    for (auto n : sc.vms)
      vm_total += n;
    for (auto n : sc.volumes)
      vol_total += n;
    CHECK(vm_total == vms.total);
    CHECK(vol_total == vols.total);
    CHECK(sc.tasks[static_cast<int>(TaskState::started)] == 0u);
    CHECK(steady::now() - started_at < 10s);
    mctest::check_invariants(cloud);
  }
  TEST_CASE("races on one name, one volume, one VM's last slot, one delete") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 1, 1)};
    auto e = vc.env("dev");
    auto other = vc.env("other");
    auto run8 = [](auto fn) {
      std::vector<std::thread> ts;
      for (int t = 0; t < 8; ++t)
        ts.emplace_back(fn, t);
      for (auto& th : ts)
        th.join();
    };

    SUBCASE("8 threads create the same VM name: exactly one wins, the rest conflict") {
      std::atomic<int> ok{0}, conflict{0};
      run8([&](int) {
        auto r = vc.cloud.create_vm({.name = "same", .environment_id = e.id});
        if (r)
          ++ok;
        else if (r.error().kind == ErrorKind::conflict)
          ++conflict;
      });
      CHECK(ok.load() == 1);
      CHECK(conflict.load() == 7);
      CHECK(vc.cloud.list_vms({.name = "same"}).total == 1u);
    }
    SUBCASE("8 threads attach one volume to 8 VMs: exactly one wins") {
      std::vector<std::string> vms;
      for (int i = 0; i < 8; ++i)
        vms.push_back(vc.vm("vm" + std::to_string(i), e.id).id());
      auto vol = vc.volume("data", e.id);
      vc.clock.run_until_idle();
      std::atomic<int> ok{0}, conflict{0};
      run8([&](int t) {
        auto r = vc.cloud.attach_volume(vol.id(), vms[t]);
        if (r)
          ++ok;
        else if (r.error().kind == ErrorKind::conflict)
          ++conflict;
      });
      CHECK(ok.load() == 1);
      CHECK(conflict.load() == 7);
      auto v = vc.cloud.get_volume(vol.id()).value();
      REQUIRE(v.vm_id.has_value());
      int listed = 0;
      for (auto& id : vms)
        listed += static_cast<int>(vc.cloud.get_vm(id)->volume_ids.size());
      CHECK(listed == 1);
      CHECK(vc.cloud.get_vm(*v.vm_id)->volume_ids == std::vector<std::string>{vol.id()});
    }
    SUBCASE("24 volumes race for one VM's 16 slots") {
      auto vm = vc.vm("vm", e.id);
      std::vector<std::string> vols;
      for (int i = 0; i < 24; ++i)
        vols.push_back(vc.volume("d" + std::to_string(i), e.id).id());
      vc.clock.run_until_idle();
      std::atomic<int> ok{0}, conflict{0};
      run8([&](int t) {
        for (int i = t; i < 24; i += 8) {
          auto r = vc.cloud.attach_volume(vols[i], vm.id());
          if (r)
            ++ok;
          else if (r.error().kind == ErrorKind::conflict)
            ++conflict;
        }
      });
      CHECK(ok.load() == 16);
      CHECK(conflict.load() == 8);
      CHECK(vc.cloud.get_vm(vm.id())->volume_ids.size() == 16u);
      CHECK(vc.cloud.list_volumes({.status = VolumeStatus::in_use}).total == 16u);
    }
    SUBCASE("8 threads delete one VM: one task for all") {
      auto vm = vc.vm("vm", e.id);
      vc.clock.run_until_idle();
      std::mutex mu;
      std::set<std::string> tasks;
      std::atomic<int> failures{0};
      run8([&](int) {
        auto r = vc.cloud.delete_vm(vm.id());
        if (!r) {
          ++failures;
          return;
        }
        std::lock_guard lk(mu);
        tasks.insert(r->task_id());
      });
      CHECK(failures.load() == 0);
      CHECK(tasks.size() == 1u);
      CHECK(vc.cloud.list_tasks({.resource_id = vm.id()}).total == 2u);
    }
    SUBCASE("deleting an environment races with creations in it") {
      std::atomic<bool> deleted{false};
      std::atomic<int> created{0};
      std::vector<std::thread> ts;
      for (int t = 0; t < 3; ++t) {
        ts.emplace_back([&, t] {
          for (int i = 0; i < 50; ++i) {
            const auto n = std::to_string(t) + "-" + std::to_string(i);
            auto r =
                (i % 3 == 0) ? vc.cloud.create_volume({.name = "d" + n, .environment_id = other.id})
                                   .has_value()
                : (i % 3 == 1)
                    ? vc.cloud.create_vm({.name = "v" + n, .environment_id = other.id}).has_value()
                    : vc.cloud.create_security_group({.name = "g" + n, .environment_id = other.id})
                          .has_value();
            if (r) ++created;
          }
        });
      }
      ts.emplace_back([&] {
        for (int i = 0; i < 200 && !deleted; ++i)
          if (vc.cloud.delete_environment(other.id)) deleted = true;
      });
      for (auto& th : ts)
        th.join();
      vc.clock.run_until_idle();
      // Nothing may live in an environment that is gone.
      const bool env_exists = vc.cloud.get_environment(other.id).has_value();
      CHECK(env_exists != deleted.load());
      const auto in_env = vc.cloud.list_vms({.environment_id = other.id}).total +
                          vc.cloud.list_volumes({.environment_id = other.id}).total +
                          vc.cloud.list_security_groups({.environment_id = other.id}).total;
      if (deleted) {
        CHECK(in_env == 0u);
      } else {
        CHECK(in_env == static_cast<std::size_t>(created.load()));
      }
    }
    mctest::check_invariants(vc.cloud);
  }

  // Issue 10: a manager destroyed while another thread advances its clock. With a VirtualClock,
  // destruction waits for the running timer (VirtualClock::barrier); with a clock whose barrier
  // waits for nothing, the timer holds the manager's core alive while it runs and does nothing
  // once it is gone. TSan (.ci/sanitizers.sh) reports any access to freed memory.
  TEST_CASE("a manager destroyed while another thread advances its virtual clock") {
    mockcloud::VirtualClock clock;
    destroy_while_advancing(clock, clock);
  }

  TEST_CASE("a manager destroyed while another thread advances a clock without barrier") {
    mockcloud::VirtualClock clock;
    NoBarrierClock no_barrier(clock);
    destroy_while_advancing(clock, no_barrier);
  }

  // Issue 10: reset() during an advance on another thread (the server's /_mock/reset during
  // /_mock/clock/advance). The advance stops: time stays at the start, the old timers do not
  // fire, and neither do those of resources created after the reset.
  TEST_CASE("a reset concurrent with an advance leaves the clock at its start") {
    mctest::VirtualCloud vc{mctest::fixed_settings(0.0, 10, 2)};
    const auto start = vc.clock.start();
    auto e = vc.env("dev");
    std::atomic<bool> in_callback{false}, reset_done{false};
    int old_settled = 0;
    for (int i = 0; i < 5; ++i) {
      auto op = vc.vm("v" + std::to_string(i), e.id);
      op.on_settled([&](const mockcloud::Task&) {
        ++old_settled;
        in_callback = true;
        while (!reset_done)  // the reset happens while the advance is inside its first action
          std::this_thread::yield();
      });
    }
    std::thread advancing([&] { vc.clock.advance(1h); });
    while (!in_callback)
      std::this_thread::yield();
    vc.cloud.reset();
    auto e2 = vc.env("dev");
    auto fresh = vc.vm("fresh", e2.id);  // due at start + 10 s, on the new epoch
    reset_done = true;
    advancing.join();

    CHECK(old_settled == 1);  // the advance stopped after the action it was running
    CHECK(vc.clock.now() == start);
    CHECK(vc.clock.pending() == 1u);  // the new VM's timer only: none of the old epoch
    CHECK(vc.cloud.get_vm(fresh.resource().id)->status == VmStatus::creating);
    CHECK(vc.clock.advance(10s) == 1u);
    CHECK(fresh.get().status == VmStatus::running);
    CHECK(vc.clock.pending() == 0u);
  }
}
