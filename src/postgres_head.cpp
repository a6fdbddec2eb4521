// The head and the read-lease protocol, run by the writer thread (PostgresStore::write_loop()):
// its state machine holds the journal's head exclusively to write (acquire(), flush(), release()),
// keeps it shared as a read lease while none writes (try_lease(), drop_lease()), and looks at
// what the other processes ask of it (look_at_others()) to know when to give it up.
#include "postgres_store.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <string>

namespace mockcloud::pgstore {

void PostgresStore::write_loop() {
  std::unique_lock lock(mutex_);
  auto backoff = kFirstBackoff;
  for (;;) {
    if (answer_heads(lock)) continue;
    if (!problem_.empty() && !fatal_) {
      if (owner_ || last_ != durable_) drop_turn(lock, problem_);
      if (stop_) break;
      if (reconnect(lock)) {
        backoff = kFirstBackoff;
      } else {
        wake_.wait_for(lock, backoff, [&] { return stop_; });
        backoff = std::min(backoff * 2, std::chrono::duration_cast<decltype(backoff)>(kMaxBackoff));
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
          // Writes are coming: leases taken between two writers' turns would delay the second.
          lease_retry_at_ = now + kQuiet;
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
    // A process that writes does not try for a lease: its own next write would give it up, and
    // another's would wait for that.
    const auto next_try = std::max(lease_retry_at_, last_write_ + kQuiet);
    if (lease_wanted_ && now >= next_try) {
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
      auto until = lease_wanted_ ? next_try : last_want_ + kLeaseWantFor;
      if (wanting_) until = std::min(until, last_want_ + kLeaseWantFor);
      wake_.wait_until(lock, until, woken);
    }
  }
  if (owner_) release(lock);
  if (leased_ || wanting_) drop_lease(lock);
  answer_heads(lock);  // stopping: every one, to fail on its own
  deliver_rest(lock);
}

void PostgresStore::flush(std::unique_lock<std::mutex>& lock) {
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

void PostgresStore::drop_turn(std::unique_lock<std::mutex>& lock, const std::string& error) {
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

void PostgresStore::acquire(std::unique_lock<std::mutex>& lock) {
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

void PostgresStore::release(std::unique_lock<std::mutex>& lock, bool keep_lease) {
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

void PostgresStore::take_lease_state() {
  leased_ = true;
  lease_ok_ = last_waiter_check_ = Clock::now();
  lease_wanted_ = false;
  turn_cv_.notify_all();
}

void PostgresStore::drop_lease(std::unique_lock<std::mutex>& lock) {
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

void PostgresStore::try_lease(std::unique_lock<std::mutex>& lock) {
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
      if (wanting) {
        db_->exec(lock_sql("pg_advisory_unlock_shared", kWantLock).c_str());
        wants = false;
      }
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

bool PostgresStore::answer_heads(std::unique_lock<std::mutex>& lock) {
  if (heads_waiting_.empty()) return false;
  const bool all = !head_elsewhere();
  const auto now = Clock::now();
  std::vector<std::function<void(std::string)>> go, late;
  while (!heads_waiting_.empty() && (all || heads_waiting_.front().deadline <= now)) {
    (all ? go : late).push_back(std::move(heads_waiting_.front().done));
    heads_waiting_.pop_front();
    --demand_;
  }
  if (go.empty() && late.empty()) return false;
  const std::string why = late.empty() ? std::string() : head_kept();
  ++reads_running_;  // wait_callbacks() waits for these too
  lock.unlock();
  for (auto& done : go)
    done({});
  for (auto& done : late)
    done(why);
  go.clear();  // what they hold goes before wait_callbacks() returns
  late.clear();
  lock.lock();
  --reads_running_;
  reads_done_.notify_all();
  return true;
}

void PostgresStore::unlock_head() {
  try {
    db_->exec(fmt::format("SELECT pg_advisory_unlock({})", kHeadLock).c_str());
  } catch (const StoreError&) {
    // the connection is gone, and the lock with it
  }
}

PostgresStore::Others PostgresStore::look_at_others(std::unique_lock<std::mutex>& lock) {
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

}  // namespace mockcloud::pgstore
