// Internal (not installed): the PostgreSQL journal store's class, PostgresStore, shared by
// postgres_store.cpp (the Store it is, the follower thread, reconnecting) and postgres_head.cpp
// (the writer thread: the head and the read leases), with the lock keys and timings they use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "journal_writer.hpp"
#include "mockcloud/store.hpp"
#include "postgres_db.hpp"

namespace mockcloud::pgstore {

using pg::Connection;

// Advisory lock keys: "MCLD" in the high half, the purpose in the low half (1 was the single
// writer of the first version; 4, the schema's, is postgres_db.cpp's).
inline constexpr long long kLockClass = 0x4d434c44LL;
inline constexpr long long kHeadLock = (kLockClass << 32) | 2;   // the process that writes now
inline constexpr long long kTimerLock = (kLockClass << 32) | 3;  // the process that fires timers
inline constexpr long long kWantLock = (kLockClass << 32) | 5;   // held shared by who wants a lease

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
// The head stays with the process that took it until another one waits for it: a lone server
// keeps it, and then reads without asking the database. Checked this often while writing, and
// less often once nothing was written for kQuiet.
inline constexpr auto kWaiterCheck = 5ms;
inline constexpr auto kQuietWaiterCheck = 20ms;
inline constexpr auto kQuiet = 100ms;
// How often a process without the timer duty asks for it, and how often a process applies what
// the others wrote when nothing it serves asks.
inline constexpr auto kDutyPoll = 500ms;
inline constexpr auto kFollowEvery = 100ms;
// How long a write waits for the head before answering that the database is busy.
inline constexpr auto kHeadWait = 10s;
// Read leases (the head held shared, by any number of processes, while none writes): a holder
// looks for a waiting writer this often, and trusts its lease for reads only while its last look
// is this recent (a bound for a session cut off without a word; a look that is only slow, on
// loaded cores, must not send every read to the database). A process whose reads went to the
// database tries for a lease at most every kLeaseRetry, and says it wants one (kWantLock) until it
// has one or has not read for kLeaseWantFor. The head's holder gives way to a lease once quiet for
// kQuiet while one is wanted.
inline constexpr auto kLeaseCheck = 10ms;
inline constexpr auto kLeaseTrust = 1s;
inline constexpr auto kLeaseRetry = 20ms;
inline constexpr auto kLeaseWantFor = 1s;
// Reconnecting: the first wait, doubled up to the last.
inline constexpr auto kFirstBackoff = 50ms;
inline constexpr auto kMaxBackoff = 2s;

/// "SELECT fn(key)".
inline std::string lock_sql(std::string_view fn, long long key) {
  return fmt::format("SELECT {}({})", fn, key);
}

class PostgresStore final : public GroupCommitStore {
 public:
  explicit PostgresStore(const std::string& url);
  ~PostgresStore() override;

  bool shared() const noexcept override { return true; }

  void replay(const std::function<void(const Record&)>& fn) override;
  void rewrite(std::vector<Record> records) override;
  void follow(JournalFollower* follower) override;
  std::uint64_t begin_write() override;
  bool holds(std::uint64_t turn) const override;
  void end_write() override;

  void catch_up() override { catch_up(/*for_read*/ true); }

  /// A read's catch-up (which asks for a lease too), or the follower thread's own.
  void catch_up(bool for_read);
  void wait_callbacks() override;
  bool needs_catch_up() const override;
  void catch_up_async(std::function<void()> done) override;
  bool needs_head() const override;
  void wait_head_async(std::function<void(std::string)> done) override;
  bool timer_duty() const override;
  std::string unavailable() const override;

 private:
  /// A call to the follower, which follow(nullptr) waits out. Takes only follow_mutex_, which
  /// nothing is taken under: it may be made or ended with any other lock held.
  class Following {
   public:
    explicit Following(PostgresStore& s) : s_(s) {
      std::lock_guard calls(s_.follow_mutex_);
      f_ = s_.follower_;
      if (f_) ++s_.follower_calls_;
    }
    ~Following() {
      if (!f_) return;
      std::lock_guard calls(s_.follow_mutex_);
      if (--s_.follower_calls_ == 0) s_.follower_idle_.notify_all();
    }
    Following(const Following&) = delete;
    Following& operator=(const Following&) = delete;
    explicit operator bool() const { return f_ != nullptr; }
    JournalFollower* operator->() const { return f_; }

   private:
    PostgresStore& s_;
    JournalFollower* f_ = nullptr;
  };

  void commit(const std::deque<Record>& batch, std::uint64_t first_seq) override;

  /// The database became unreachable: writes and reads fail with `why` until the writer
  /// thread reconnects. mark_lost() with mutex_ held, lost() without.
  void lost(const std::string& why);
  void mark_lost(const std::string& why);

  /// The follower thread: asks for the timer duty until it has it, and applies what the others
  /// write every kFollowEvery, so that the timer duty knows every operation in flight and a
  /// quiet server's event stream carries the others' changes.
  void follow_loop();

  /// Asks for the timer duty (on the reader's session); fires what is due once it has it.
  void take_duty();

  /// A newer server migrated the schema: this one stops writing (two versions never write the
  /// same database at once).
  void check_schema();

  /// Connects again, both connections; true once done.
  bool reconnect(std::unique_lock<std::mutex>& lock);

  // The head and the read leases (postgres_head.cpp): the writer thread's.
  void write_loop() override;

  /// Writes what is queued (as the owner of the head, or of a journal nobody follows).
  void flush(std::unique_lock<std::mutex>& lock);

  /// After a failure as the owner: the turn and what it queued are gone.
  void drop_turn(std::unique_lock<std::mutex>& lock, const std::string& error);

  /// Takes the head: waits for it in PostgreSQL (lock_timeout bounds each wait), then applies
  /// what the others wrote.
  void acquire(std::unique_lock<std::mutex>& lock);

  /// Gives the head back: no append after the manager's lock is taken here; what was queued
  /// before is written first. With `keep_lease`, keeps it shared (a read lease) if nobody waits
  /// for it: nobody wrote since this process did, so its state is the latest.
  void release(std::unique_lock<std::mutex>& lock, bool keep_lease = false);

  /// The state of a new lease (mutex_ held).
  void take_lease_state();

  /// Whether reads may trust the lease: held, and looked after recently (mutex_ held).
  bool lease_fresh() const { return leased_ && Clock::now() - lease_ok_ < kLeaseTrust; }

  /// Gives up the read lease, and the wish for one.
  void drop_lease(std::unique_lock<std::mutex>& lock);

  /// Tries for a read lease without waiting; applies what the others wrote once it has one.
  /// Failing, says that this process wants one, so that the head's holder gives way when quiet.
  void try_lease(std::unique_lock<std::mutex>& lock);

  void unlock_head();

  /// Answers wait_head_async()'s callers: all of them once this process holds the head or
  /// cannot take it, and those waiting past kHeadWait with why (mutex_ held; released to call).
  /// True when it answered some.
  bool answer_heads(std::unique_lock<std::mutex>& lock);
  /// Whether a write would have to wait for the head (another process holds it), rather than
  /// go on at once or fail on its own (mutex_ held).
  bool head_elsewhere() const {
    return !owner_ && problem_.empty() && !stop_ && follower_ != nullptr;
  }
  /// Why a write gave up waiting for the head.
  std::string head_kept() const;

  /// What the other processes ask of the head: whether one waits for it, and whether one wants
  /// a read lease.
  struct Others {
    bool waiting = false, want_lease = false;
  };
  Others look_at_others(std::unique_lock<std::mutex>& lock);

  const std::string url_;
  std::string where_;
  // The writer thread's connection (which holds the locks), replaced on reconnecting (under
  // mutex_, by the writer thread, which alone uses it).
  std::unique_ptr<Connection> db_;
  std::mutex reader_mutex_;  // before mutex_; guards reader_ and the catch-up counters
  std::unique_ptr<Connection> reader_;
  std::atomic<std::uint64_t> catch_ups_started_{0};
  std::uint64_t catch_ups_done_ = 0;
  std::mutex follow_mutex_;  // a leaf: guards the follower's calls count
  std::atomic<JournalFollower*> follower_{nullptr};
  int follower_calls_ = 0;
  std::condition_variable follower_idle_;
  // Under mutex_ (GroupCommitStore's).
  std::condition_variable turn_cv_;  // owner_ or problem_ changed
  bool owner_ = false;               // this process holds the head
  bool leased_ = false;              // ... holds it shared: reads, nobody writes (a read lease)
  bool wanting_ = false;             // ... holds kWantLock shared: wants a read lease
  bool lease_wanted_ = false;        // a read went to the database: try for a lease
  Clock::time_point lease_ok_{}, lease_retry_at_{}, last_want_{};
  bool duty_ = false;  // this process fires the real clock's timers
  std::uint64_t turn_ = 0;
  int demand_ = 0;  // callers between begin_write() and end_write()
  Clock::time_point last_write_{}, last_waiter_check_{}, pause_until_{};
  std::string problem_;  // why the store cannot be used now
  bool fatal_ = false;   // ... and will not be again (a newer schema, an unreadable record)
  std::condition_variable wake_follower_;
  std::vector<std::function<void()>> reads_waiting_;  // catch_up_async()'s, for the follower thread
  int reads_running_ = 0;  // batches of them (and of heads_waiting_) being run
  struct HeadWaiter {
    Clock::time_point deadline;
    std::function<void(std::string)> done;
  };
  std::deque<HeadWaiter> heads_waiting_;  // wait_head_async()'s, each counted in demand_
  std::condition_variable reads_done_;
  std::thread follower_thread_;
};

}  // namespace mockcloud::pgstore
