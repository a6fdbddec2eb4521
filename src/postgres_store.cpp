// The PostgreSQL journal: the same table of records as SQLite's, shared by every process that
// opens the database (Store::shared()). One process at a time holds the journal's head (a
// session advisory lock) and writes group commits; the others wait for it in PostgreSQL, then
// apply what it wrote before writing. libpq, synchronous, on the store's own threads: a writer
// thread with its connection, and a reader connection for catching up before reads. The class is
// in postgres_store.hpp; what its writer thread does with the head, in postgres_head.cpp.
#include "postgres_store.hpp"

#include <fmt/format.h>

#include <deque>
#include <iterator>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace mockcloud {

namespace pgstore {

PostgresStore::PostgresStore(const std::string& url)
    : url_(url), db_(std::make_unique<Connection>(url)) {
  pg::create_or_check(*db_);
  reader_ = std::make_unique<Connection>(url);
  where_ = db_->where();
  start_writer(pg::head(*db_));
  follower_thread_ = std::thread([this] { follow_loop(); });
}

PostgresStore::~PostgresStore() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_follower_.notify_all();
  follower_thread_.join();
  stop_writer();  // the connections' end releases the locks
}

void PostgresStore::replay(const std::function<void(const Record&)>& fn) {
  // For a store used without a follower (the manager catches up instead).
  std::lock_guard reading(reader_mutex_);
  for (const auto& n : pg::read_after(*reader_, 0))
    fn(n.record);
}

void PostgresStore::rewrite(std::vector<Record> records) {
  // The journal format has been 2 since the first schema: nothing to migrate yet, but a
  // rewrite works as the SQLite store's does.
  replace_all([&] {
    const std::deque<Record> all(std::make_move_iterator(records.begin()),
                                 std::make_move_iterator(records.end()));
    pg::write_journal(*db_, all, 1, /*replace*/ true);
    return static_cast<std::uint64_t>(all.size());
  });
}

void PostgresStore::follow(JournalFollower* follower) {
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

std::uint64_t PostgresStore::begin_write() {
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
    if (!turned) throw StoreError(head_kept());
    throw StoreError(problem_.empty() ? "the store is closing" : problem_);
  }
  return turn_;
}

bool PostgresStore::holds(std::uint64_t turn) const {
  std::lock_guard lock(mutex_);
  return owner_ && turn_ == turn;
}

void PostgresStore::end_write() {
  std::lock_guard lock(mutex_);
  --demand_;
  last_write_ = Clock::now();
  if (demand_ == 0) wake_.notify_all();
}

void PostgresStore::catch_up(bool for_read) {
  const std::uint64_t arrival = catch_ups_started_.load();
  // Nobody else writes meanwhile: the state here is the latest. Asked before the reader's lock,
  // which the follower thread holds through its queries (a request would wait for them).
  const auto up_to_date = [&] {
    std::lock_guard lock(mutex_);
    if (!problem_.empty()) throw StoreError(problem_);
    return owner_ || lease_fresh();
  };
  if (up_to_date()) return;
  std::lock_guard reading(reader_mutex_);
  if (up_to_date()) return;
  {
    std::lock_guard lock(mutex_);
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

void PostgresStore::wait_callbacks() {
  {
    std::unique_lock lock(mutex_);
    reads_done_.wait(lock, [&] {
      return reads_waiting_.empty() && heads_waiting_.empty() && reads_running_ == 0;
    });
  }
  GroupCommitStore::wait_callbacks();
}

std::string PostgresStore::head_kept() const {
  return fmt::format(
      "another server has held the journal's head of {} for over {} s; retry shortly", where_,
      std::chrono::duration_cast<std::chrono::seconds>(kHeadWait).count());
}

bool PostgresStore::needs_head() const {
  std::lock_guard lock(mutex_);
  return head_elsewhere();
}

void PostgresStore::wait_head_async(std::function<void(std::string)> done) {
  {
    std::lock_guard lock(mutex_);
    if (head_elsewhere()) {
      ++demand_;  // the writer thread takes the head for it, and answers
      heads_waiting_.push_back({Clock::now() + kHeadWait, std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  done({});  // the write goes on: it has the head, or fails on its own
}

bool PostgresStore::needs_catch_up() const {
  std::lock_guard lock(mutex_);
  return !owner_ && !lease_fresh() && problem_.empty() && follower_ != nullptr;
}

void PostgresStore::catch_up_async(std::function<void()> done) {
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

bool PostgresStore::timer_duty() const {
  std::lock_guard lock(mutex_);
  return duty_;
}

std::string PostgresStore::unavailable() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void PostgresStore::commit(const std::deque<Record>& batch, std::uint64_t first_seq) {
  pg::write_journal(*db_, batch, first_seq, false);
}

void PostgresStore::lost(const std::string& why) {
  std::lock_guard lock(mutex_);
  mark_lost(why);
}

void PostgresStore::mark_lost(const std::string& why) {
  if (problem_.empty())
    problem_ = fmt::format("the database is unreachable ({}); retry shortly", why);
  turn_cv_.notify_all();
  wake_.notify_all();
}

void PostgresStore::follow_loop() {
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

void PostgresStore::take_duty() {
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

void PostgresStore::check_schema() {
  const auto text = pg::schema_version(*db_);
  if (text != std::to_string(kPostgresSchemaVersion))
    throw StoreError(fmt::format("{} now has schema version {}, and this server writes {}", where_,
                                 text.value_or("(none)"), kPostgresSchemaVersion));
}

bool PostgresStore::reconnect(std::unique_lock<std::mutex>& lock) {
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

}  // namespace pgstore

std::unique_ptr<Store> open_postgres_store(const std::string& url) {
  return std::make_unique<pgstore::PostgresStore>(url);
}

}  // namespace mockcloud
