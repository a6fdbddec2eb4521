// What every journal store on a database shares: append() queues, one writer thread commits what
// has queued up in one transaction (group commit), wait_durable() and after_durable() wait for it.
// A store derives from GroupCommitStore, implements commit(), calls start_writer() at the end of
// its constructor and stop_writer() at the start of its destructor.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "mockcloud/store.hpp"

namespace mockcloud {

class GroupCommitStore : public Store {
 public:
  std::uint64_t append(Record r) override;
  void wait_durable(std::uint64_t seq) override;
  std::uint64_t last_appended() const override;
  void after_durable(std::function<void(bool ok)> callback) override;
  void wait_callbacks() override;

 protected:
  /// Writes `batch` as the records `first_seq`, `first_seq + 1`, ... in one transaction, on the
  /// writer thread; throws StoreError (the transaction rolled back) if it cannot. A record that
  /// truncates drops every record before it.
  virtual void commit(const std::deque<Record>& batch, std::uint64_t first_seq) = 0;

  /// Starts the writer thread; `durable` is the last record already in the database.
  void start_writer(std::uint64_t durable);
  /// Writes what is queued, runs the callbacks left and joins the writer thread.
  void stop_writer();
  /// Runs `replace` (which returns the new last sequence number) while nothing is queued or
  /// being written: for rewrite(), on open. Throws StoreError after an append().
  void replace_all(const std::function<std::uint64_t()>& replace);

  /// The writer thread's loop: commits what queues up until stop_writer(). A store may replace
  /// it, keeping to what the members below mean.
  virtual void write_loop();
  /// Commits what is queued, the lock released meanwhile (held by `lock` on entry and on
  /// return); returns the batch's last seq and the error, empty once it is written.
  std::pair<std::uint64_t, std::string> commit_queued(std::unique_lock<std::mutex>& lock);
  /// After a batch (records `first`...`last`) was written, or failed with `error`: moves the
  /// durable mark and runs the callbacks it settles. `lock` is held on entry and on return.
  void batch_done(std::unique_lock<std::mutex>& lock, std::uint64_t last, const std::string& error);
  /// At the end of write_loop(): runs the callbacks left (false past the durable mark).
  void deliver_rest(std::unique_lock<std::mutex>& lock);

  struct Waiter {
    std::uint64_t seq;
    std::function<void(bool)> callback;
  };
  /// Runs `ready` outside the lock (held by `lock` on entry and on return).
  void deliver(std::unique_lock<std::mutex>& lock, std::deque<Waiter>& ready,
               const std::function<bool(const Waiter&)>& ok);

  mutable std::mutex mutex_;
  std::condition_variable wake_, durable_cv_, delivered_cv_;
  std::deque<Record> queue_;
  std::deque<Waiter> waiters_;
  int delivering_ = 0;  // batches of callbacks being run outside the lock
  std::uint64_t last_ = 0, durable_ = 0;
  std::string failure_;  // a failed write: every later one fails too (see batch_done)
  bool stop_ = false;
  std::thread writer_;
};

}  // namespace mockcloud
