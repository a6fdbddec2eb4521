// The PostgreSQL journal: the same table of records as SQLite's, shared by every process that
// opens the database (Store::shared()). One process at a time holds the journal's head (a
// session advisory lock) and writes group commits; the others wait for it in PostgreSQL, then
// apply what it wrote before writing. libpq, synchronous, on the store's own threads: a writer
// thread with its connection, and a reader connection for catching up before reads.
#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "journal_writer.hpp"
#include "mockcloud/store.hpp"
#include "postgres_db.hpp"

namespace mockcloud {

namespace {

using pg::Connection;

// Advisory lock keys: "MCLD" in the high half, the purpose in the low half (1 was the single
// writer of the first version; 4, the schema's, is postgres_db.cpp's).
constexpr long long kLockClass = 0x4d434c44LL;
constexpr long long kHeadLock = (kLockClass << 32) | 2;   // the process that writes now
constexpr long long kTimerLock = (kLockClass << 32) | 3;  // the process that fires timers
constexpr long long kWantLock = (kLockClass << 32) | 5;   // held shared by who wants a lease

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
// The head stays with the process that took it until another one waits for it: a lone server
// keeps it, and then reads without asking the database. Checked this often while writing, and
// less often once nothing was written for kQuiet.
constexpr auto kWaiterCheck = 5ms;
constexpr auto kQuietWaiterCheck = 20ms;
constexpr auto kQuiet = 100ms;
// How often a process without the timer duty asks for it, and how often a process applies what
// the others wrote when nothing it serves asks.
constexpr auto kDutyPoll = 500ms;
constexpr auto kFollowEvery = 100ms;
// How long a write waits for the head before answering that the database is busy.
constexpr auto kHeadWait = 10s;
// Read leases (the head held shared, by any number of processes, while none writes): a holder
// looks for a waiting writer this often, and trusts its lease for reads only while its last look
// is this recent. A process whose reads went to the database tries for a lease at most every
// kLeaseRetry, and says it wants one (kWantLock) until it has one or has not read for
// kLeaseWantFor. The head's holder gives way to a lease once quiet for kQuiet while one is wanted.
constexpr auto kLeaseCheck = 10ms;
constexpr auto kLeaseTrust = 100ms;
constexpr auto kLeaseRetry = 20ms;
constexpr auto kLeaseWantFor = 1s;
// Reconnecting: the first wait, doubled up to the last.
constexpr auto kFirstBackoff = 50ms;
constexpr auto kMaxBackoff = 2s;

/// "SELECT fn(key)".
std::string lock_sql(std::string_view fn, long long key) {
  return fmt::format("SELECT {}({})", fn, key);
}

class PostgresStore final : public GroupCommitStore {
 public:
  explicit PostgresStore(const std::string& url)
      : url_(url), db_(std::make_unique<Connection>(url)) {
    pg::create_or_check(*db_);
    reader_ = std::make_unique<Connection>(url);
    where_ = db_->where();
    start_writer(pg::head(*db_));
    follower_thread_ = std::thread([this] { follow_loop(); });
  }

  ~PostgresStore() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_follower_.notify_all();
    follower_thread_.join();
    stop_writer();  // the connections' end releases the locks
  }

  bool shared() const noexcept override { return true; }

  void replay(const std::function<void(const Record&)>& fn) override {
    // For a store used without a follower (the manager catches up instead).
    std::lock_guard reading(reader_mutex_);
    for (const auto& n : pg::read_after(*reader_, 0))
      fn(n.record);
  }

  void rewrite(std::vector<Record> records) override {
    // The journal format has been 2 since the first schema: nothing to migrate yet, but a
    // rewrite works as the SQLite store's does.
    replace_all([&] {
      const std::deque<Record> all(std::make_move_iterator(records.begin()),
                                   std::make_move_iterator(records.end()));
      pg::write_journal(*db_, all, 1, /*replace*/ true);
      return static_cast<std::uint64_t>(all.size());
    });
  }

  void follow(JournalFollower* follower) override {
    if (follower) {
      // A store handed from one manager to the next: the last one's head goes back first (the
      // writer gives it back once nobody follows), so that the new follower's first turn applies
      // the whole journal instead of trusting a state that is not its own.
      std::unique_lock lock(mutex_);
      turn_cv_.wait(lock, [&] { return (!owner_ && !leased_) || !problem_.empty(); });
    }
    {
      std::unique_lock calls(follow_mutex_);
      follower_ = follower;
      if (!follower) follower_idle_.wait(calls, [&] { return follower_calls_ == 0; });
    }
    std::lock_guard lock(mutex_);  // the writer's predicates read follower_ under it
    wake_.notify_all();
  }

  std::uint64_t begin_write() override {
    std::unique_lock lock(mutex_);
    if (!problem_.empty()) throw StoreError(problem_);
    ++demand_;
    wake_.notify_all();
    // Another server that holds the head and never gives it back (stopped, not dead: its
    // session lives on) must not hang this one's requests.
    const bool turned =
        turn_cv_.wait_for(lock, kHeadWait, [&] { return owner_ || !problem_.empty() || stop_; });
    if (!owner_) {
      --demand_;
      if (!turned)
        throw StoreError(fmt::format(
            "another server has held the journal's head of {} for over {} s; retry shortly", where_,
            std::chrono::duration_cast<std::chrono::seconds>(kHeadWait).count()));
      throw StoreError(problem_.empty() ? "the store is closing" : problem_);
    }
    return turn_;
  }

  bool holds(std::uint64_t turn) const override {
    std::lock_guard lock(mutex_);
    return owner_ && turn_ == turn;
  }

  void end_write() override {
    std::lock_guard lock(mutex_);
    --demand_;
    last_write_ = Clock::now();
    if (demand_ == 0) wake_.notify_all();
  }

  void catch_up() override { catch_up(/*for_read*/ true); }

  /// A read's catch-up (which asks for a lease too), or the follower thread's own.
  void catch_up(bool for_read) {
    const std::uint64_t arrival = catch_ups_started_.load();
    std::lock_guard reading(reader_mutex_);
    {
      std::lock_guard lock(mutex_);
      if (!problem_.empty()) throw StoreError(problem_);
      // Nobody else writes meanwhile: the state here is the latest.
      if (owner_ || lease_fresh()) return;
      if (for_read) {
        last_want_ = Clock::now();
        if (!lease_wanted_) {
          lease_wanted_ = true;
          wake_.notify_all();
        }
      }
    }
    // A catch-up that started after this call arrived has read what this one would.
    if (catch_ups_done_ > arrival) return;
    const std::uint64_t mine = ++catch_ups_started_;
    Following f(*this);
    if (!f) return;
    std::vector<JournalFollower::Numbered> records;
    try {
      records = pg::read_after(*reader_, f->applied_seq());
    } catch (const StoreError& e) {
      if (!reader_->broken()) throw;
      lost(e.what());
      throw StoreError(unavailable());
    }
    const auto notify = f->apply_remote(records);
    catch_ups_done_ = mine;
    if (notify) notify();
  }

  void wait_callbacks() override {
    {
      std::unique_lock lock(mutex_);
      reads_done_.wait(lock, [&] { return reads_waiting_.empty() && reads_running_ == 0; });
    }
    GroupCommitStore::wait_callbacks();
  }

  bool needs_catch_up() const override {
    std::lock_guard lock(mutex_);
    return !owner_ && !lease_fresh() && problem_.empty() && follower_ != nullptr;
  }

  void catch_up_async(std::function<void()> done) override {
    {
      std::lock_guard lock(mutex_);
      if (!stop_) {
        reads_waiting_.push_back(std::move(done));
        wake_follower_.notify_all();
        return;
      }
    }
    done();
  }

  bool timer_duty() const override {
    std::lock_guard lock(mutex_);
    return duty_;
  }

  std::string unavailable() const override {
    std::lock_guard lock(mutex_);
    return problem_;
  }

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

  void commit(const std::deque<Record>& batch, std::uint64_t first_seq) override {
    pg::write_journal(*db_, batch, first_seq, false);
  }

  /// The database became unreachable: writes and reads fail with `why` until the writer
  /// thread reconnects. mark_lost() with mutex_ held, lost() without.
  void lost(const std::string& why) {
    std::lock_guard lock(mutex_);
    mark_lost(why);
  }
  void mark_lost(const std::string& why) {
    if (problem_.empty())
      problem_ = fmt::format("the database is unreachable ({}); retry shortly", why);
    turn_cv_.notify_all();
    wake_.notify_all();
  }

  void write_loop() override {
    std::unique_lock lock(mutex_);
    auto backoff = kFirstBackoff;
    for (;;) {
      if (!problem_.empty() && !fatal_) {
        if (owner_ || last_ != durable_) drop_turn(lock, problem_);
        if (stop_) break;
        if (reconnect(lock)) {
          backoff = kFirstBackoff;
        } else {
          wake_.wait_for(lock, backoff, [&] { return stop_; });
          backoff =
              std::min(backoff * 2, std::chrono::duration_cast<decltype(backoff)>(kMaxBackoff));
        }
        continue;
      }
      if (fatal_) {
        if (stop_) break;
        wake_.wait(lock, [&] { return stop_; });
        continue;
      }
      if (!follower_) {
        // Used as a plain journal (no manager follows it): commit what is queued.
        if (owner_) {
          release(lock);
          continue;
        }
        if (leased_ || wanting_) {
          drop_lease(lock);
          continue;
        }
        if (!queue_.empty()) {
          flush(lock);
          continue;
        }
        if (stop_) break;
        wake_.wait(lock, [&] { return stop_ || !queue_.empty() || follower_; });
        continue;
      }
      if (owner_) {
        const auto now = Clock::now();
        const bool quiet = now - last_write_ >= kQuiet;
        const auto every = quiet ? kQuietWaiterCheck : kWaiterCheck;
        Others others;
        if (!stop_ && now - last_waiter_check_ >= every) {
          last_waiter_check_ = now;
          others = look_at_others(lock);
          if (!problem_.empty()) continue;
        }
        if (stop_ || others.waiting) {
          release(lock);
          if (others.waiting) pause_until_ = Clock::now() + 1ms;  // the waiter goes first
          continue;
        }
        if (!queue_.empty()) {
          flush(lock);
          continue;
        }
        if (others.want_lease && quiet && demand_ == 0) {
          release(lock, /*keep_lease*/ true);  // the readers elsewhere read from memory too
          continue;
        }
        wake_.wait_for(lock, kWaiterCheck, [&] { return stop_ || !queue_.empty(); });
        continue;
      }
      if (leased_) {
        if (stop_ || demand_ > 0) {
          drop_lease(lock);
          continue;
        }
        const auto now = Clock::now();
        if (now - last_waiter_check_ >= kLeaseCheck) {
          last_waiter_check_ = now;
          const Others others = look_at_others(lock);
          if (!problem_.empty()) continue;
          if (others.waiting) {
            drop_lease(lock);
          } else {
            lease_ok_ = now;
          }
          continue;
        }
        wake_.wait_until(lock, last_waiter_check_ + kLeaseCheck,
                         [&] { return stop_ || demand_ > 0 || !problem_.empty() || !follower_; });
        continue;
      }
      if (stop_) break;
      if (demand_ > 0 && Clock::now() >= pause_until_) {
        acquire(lock);
        continue;
      }
      if (demand_ > 0) {
        wake_.wait_until(lock, pause_until_, [&] { return stop_ || !problem_.empty(); });
        continue;
      }
      const auto now = Clock::now();
      if (lease_wanted_ && now >= lease_retry_at_) {
        try_lease(lock);
        continue;
      }
      if (wanting_ && now - last_want_ >= kLeaseWantFor) {
        drop_lease(lock);  // the reads stopped: the head's holder need not give way
        continue;
      }
      const bool was_wanted = lease_wanted_;
      const auto woken = [&] {
        return stop_ || demand_ > 0 || !problem_.empty() || (lease_wanted_ && !was_wanted);
      };
      if (!lease_wanted_ && !wanting_) {
        wake_.wait(lock, woken);
      } else {
        auto until = lease_wanted_ ? lease_retry_at_ : last_want_ + kLeaseWantFor;
        if (wanting_) until = std::min(until, last_want_ + kLeaseWantFor);
        wake_.wait_until(lock, until, woken);
      }
    }
    if (owner_) release(lock);
    if (leased_ || wanting_) drop_lease(lock);
    deliver_rest(lock);
  }

  /// The follower thread: asks for the timer duty until it has it, and applies what the others
  /// write every kFollowEvery, so that the timer duty knows every operation in flight and a
  /// quiet server's event stream carries the others' changes.
  void follow_loop() {
    std::unique_lock lock(mutex_);
    auto next_duty = Clock::now();
    while (!stop_) {
      wake_follower_.wait_for(lock, kFollowEvery, [&] { return stop_ || !reads_waiting_.empty(); });
      if (!reads_waiting_.empty()) {
        // The reads that queued up meanwhile share one catch-up, which starts after they came.
        std::vector<std::function<void()>> reads;
        reads.swap(reads_waiting_);
        ++reads_running_;
        lock.unlock();
        try {
          catch_up();
        } catch (const StoreError&) {
          // each read calls catch_up() itself then, and answers 503
        }
        for (auto& done : reads)
          done();
        reads.clear();  // what they hold goes before wait_callbacks() returns
        lock.lock();
        --reads_running_;
        reads_done_.notify_all();
        continue;
      }
      if (stop_ || follower_ == nullptr || !problem_.empty()) continue;
      const bool ask = !duty_ && Clock::now() >= next_duty;
      lock.unlock();
      try {
        if (ask) {
          next_duty = Clock::now() + kDutyPoll;
          take_duty();
        }
        catch_up(/*for_read*/ false);
      } catch (const StoreError&) {
        // unreachable: the writer thread reconnects; a request gets the 503
      }
      lock.lock();
    }
    // Stopping: the reads still waiting go on (and fail on their own if they must).
    std::vector<std::function<void()>> reads;
    reads.swap(reads_waiting_);
    lock.unlock();
    for (auto& done : reads)
      done();
    reads.clear();
    lock.lock();
    reads_done_.notify_all();
  }

  /// Writes what is queued (as the owner of the head, or of a journal nobody follows).
  void flush(std::unique_lock<std::mutex>& lock) {
    const auto [last, error] = commit_queued(lock);
    if (error.empty()) return batch_done(lock, last, error);
    if (!follower_) {
      // A plain journal fails for good, as the SQLite store does.
      fatal_ = true;
      problem_ = error;
      return batch_done(lock, durable_, error);
    }
    // Nothing of this batch, nor of what queued behind it, is in the database, while the
    // manager applied all of it: it applies the journal again once reconnected.
    mark_lost(error);
    drop_turn(lock, error);
  }

  /// After a failure as the owner: the turn and what it queued are gone.
  void drop_turn(std::unique_lock<std::mutex>& lock, const std::string& error) {
    const bool had_turn = owner_ || last_ != durable_;
    owner_ = leased_ = wanting_ = false;  // the locks go with the connection
    duty_ = false;
    queue_.clear();
    batch_done(lock, durable_, error);  // every waiter: false
    last_ = durable_;
    if (!had_turn) return;
    lock.unlock();
    {
      Following f(*this);
      if (f) f->diverged();
    }
    lock.lock();
  }

  /// Takes the head: waits for it in PostgreSQL (lock_timeout bounds each wait), then applies
  /// what the others wrote.
  void acquire(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    std::string error;
    bool got = false;
    std::uint64_t last = 0;
    std::function<void()> notify;  // run once the turn is open: it may write
    Following f(*this);            // (the follower stays until notify() has run)
    try {
      db_->exec(fmt::format("SELECT pg_advisory_lock({})", kHeadLock).c_str());
      got = true;
      check_schema();
      if (f) notify = f->apply_remote(pg::read_after(*db_, f->applied_seq()));
      last = pg::head(*db_);
    } catch (const StoreError& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty()) {
      if (db_->broken()) return mark_lost(error);
      if (!got) return;  // lock_timeout: the loop asks again
      // A newer schema, or a record this version cannot apply: give the head back, for good.
      lock.unlock();
      unlock_head();
      lock.lock();
      problem_ = fmt::format("cannot follow the shared journal: {}", error);
      fatal_ = true;
      turn_cv_.notify_all();
      return;
    }
    owner_ = true;
    ++turn_;
    last_ = durable_ = last;
    last_write_ = last_waiter_check_ = Clock::now();
    turn_cv_.notify_all();
    if (notify) {
      lock.unlock();
      notify();
      lock.lock();
    }
  }

  /// Gives the head back: no append after the manager's lock is taken here; what was queued
  /// before is written first. With `keep_lease`, keeps it shared (a read lease) if nobody waits
  /// for it: nobody wrote since this process did, so its state is the latest.
  void release(std::unique_lock<std::mutex>& lock, bool keep_lease = false) {
    lock.unlock();
    {
      Following f(*this);
      auto close = [&] {
        std::lock_guard inner(mutex_);
        owner_ = false;
        turn_cv_.notify_all();
      };
      if (f)
        f->locked(close);
      else
        close();
    }
    lock.lock();
    if (!queue_.empty()) flush(lock);
    if (!problem_.empty()) return;
    lock.unlock();
    bool leased = false;
    if (keep_lease) {
      try {
        // The same session holds it exclusively: granted unless a writer already waits.
        leased = db_->scalar(lock_sql("pg_try_advisory_lock_shared", kHeadLock).c_str()) == "t";
      } catch (const StoreError&) {
        // the connection is gone: unlock_head() finds so too
      }
    }
    unlock_head();
    lock.lock();
    if (leased && problem_.empty()) take_lease_state();
  }

  /// The state of a new lease (mutex_ held).
  void take_lease_state() {
    leased_ = true;
    lease_ok_ = last_waiter_check_ = Clock::now();
    lease_wanted_ = false;
    turn_cv_.notify_all();
  }

  /// Whether reads may trust the lease: held, and looked after recently (mutex_ held).
  bool lease_fresh() const { return leased_ && Clock::now() - lease_ok_ < kLeaseTrust; }

  /// Gives up the read lease, and the wish for one.
  void drop_lease(std::unique_lock<std::mutex>& lock) {
    const bool leased = leased_, wanting = wanting_;
    leased_ = wanting_ = false;  // first: the reads from now on go to the database
    turn_cv_.notify_all();
    lock.unlock();
    std::string error;
    try {
      if (leased) db_->exec(lock_sql("pg_advisory_unlock_shared", kHeadLock).c_str());
      if (wanting) db_->exec(lock_sql("pg_advisory_unlock_shared", kWantLock).c_str());
    } catch (const StoreError& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty() && db_->broken()) mark_lost(error);
  }

  /// Tries for a read lease without waiting; applies what the others wrote once it has one.
  /// Failing, says that this process wants one, so that the head's holder gives way when quiet.
  void try_lease(std::unique_lock<std::mutex>& lock) {
    lease_wanted_ = false;
    lease_retry_at_ = Clock::now() + kLeaseRetry;
    const bool wanting = wanting_;
    lock.unlock();
    std::string error;
    bool got = false, wants = wanting;
    std::function<void()> notify;
    Following f(*this);
    try {
      got = db_->scalar(lock_sql("pg_try_advisory_lock_shared", kHeadLock).c_str()) == "t";
      if (got) {
        if (f) notify = f->apply_remote(pg::read_after(*db_, f->applied_seq()));
      } else if (!wanting) {
        db_->exec(lock_sql("pg_advisory_lock_shared", kWantLock).c_str());
        wants = true;
      }
    } catch (const StoreError& e) {
      error = e.what();
    }
    lock.lock();
    wanting_ = wants;
    if (!error.empty()) {
      if (db_->broken()) return mark_lost(error);
      if (got) {
        // A record this version cannot apply: as acquire() does, give up for good.
        lock.unlock();
        try {
          db_->exec(lock_sql("pg_advisory_unlock_shared", kHeadLock).c_str());
        } catch (const StoreError&) {
        }
        lock.lock();
        problem_ = fmt::format("cannot follow the shared journal: {}", error);
        fatal_ = true;
        turn_cv_.notify_all();
      }
      return;
    }
    if (!got) return;
    take_lease_state();
    if (notify) {
      lock.unlock();
      notify();
      lock.lock();
    }
  }

  void unlock_head() {
    try {
      db_->exec(fmt::format("SELECT pg_advisory_unlock({})", kHeadLock).c_str());
    } catch (const StoreError&) {
      // the connection is gone, and the lock with it
    }
  }

  /// What the other processes ask of the head: whether one waits for it, and whether one wants
  /// a read lease.
  struct Others {
    bool waiting = false, want_lease = false;
  };
  Others look_at_others(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    std::optional<std::string> seen;
    try {
      seen = db_->scalar(
          fmt::format(
              "SELECT bool_or(objid = {1} AND NOT granted)::int::text || "
              "bool_or(objid = {2} AND granted AND pid <> pg_backend_pid())::int::text FROM "
              "pg_locks WHERE locktype = 'advisory' AND classid = {0} AND objid IN ({1}, {2})",
              kLockClass, kHeadLock & 0xffffffffLL, kWantLock & 0xffffffffLL)
              .c_str());
    } catch (const StoreError& e) {
      lock.lock();
      mark_lost(e.what());
      drop_turn(lock, e.what());
      return {};
    }
    lock.lock();
    // NULL (no row) when no lock of the two is held or asked for at all.
    return {seen && seen->size() == 2 && (*seen)[0] == '1',
            seen && seen->size() == 2 && (*seen)[1] == '1'};
  }

  /// Asks for the timer duty (on the reader's session); fires what is due once it has it.
  void take_duty() {
    bool got = false;
    {
      std::lock_guard reading(reader_mutex_);
      try {
        got = reader_->scalar(fmt::format("SELECT pg_try_advisory_lock({})", kTimerLock).c_str()) ==
              "t";
      } catch (const StoreError& e) {
        if (reader_->broken()) lost(e.what());
        throw;
      }
    }
    if (!got) return;
    {
      std::lock_guard lock(mutex_);
      duty_ = true;
    }
    Following f(*this);
    if (f) f->wake_timers();
  }

  /// A newer server migrated the schema: this one stops writing (two versions never write the
  /// same database at once).
  void check_schema() {
    const auto text = pg::schema_version(*db_);
    if (text != std::to_string(kPostgresSchemaVersion))
      throw StoreError(fmt::format("{} now has schema version {}, and this server writes {}",
                                   where_, text.value_or("(none)"), kPostgresSchemaVersion));
  }

  /// Connects again, both connections; true once done.
  bool reconnect(std::unique_lock<std::mutex>& lock) {
    lock.unlock();
    std::unique_ptr<Connection> db, reader;
    try {
      db = std::make_unique<Connection>(url_);
      reader = std::make_unique<Connection>(url_);
    } catch (const StoreError&) {
      lock.lock();
      return false;
    }
    {
      std::lock_guard reading(reader_mutex_);
      reader_ = std::move(reader);
    }
    lock.lock();
    db_ = std::move(db);
    problem_.clear();
    failure_.clear();
    owner_ = duty_ = leased_ = wanting_ = false;
    queue_.clear();
    last_ = durable_;
    lock.unlock();
    {
      Following f(*this);
      if (f) f->wake_timers();  // a virtual clock's timers fire again; a real one's with the duty
    }
    lock.lock();
    return true;
  }

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
  int reads_running_ = 0;                             // batches of them being run
  std::condition_variable reads_done_;
  std::thread follower_thread_;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url) {
  return std::make_unique<PostgresStore>(url);
}

}  // namespace mockcloud
