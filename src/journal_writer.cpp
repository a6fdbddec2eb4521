#include "journal_writer.hpp"

#include <fmt/format.h>

#include <utility>
#include <vector>

namespace mockcloud {

std::uint64_t GroupCommitStore::append(Record r) {
  std::lock_guard lock(mutex_);
  queue_.push_back(std::move(r));
  const auto seq = ++last_;
  wake_.notify_one();
  return seq;
}

void GroupCommitStore::wait_callbacks() {
  std::unique_lock lock(mutex_);
  delivered_cv_.wait(lock, [&] { return waiters_.empty() && delivering_ == 0; });
}

void GroupCommitStore::wait_durable(std::uint64_t seq) {
  std::unique_lock lock(mutex_);
  durable_cv_.wait(lock, [&] { return durable_ >= seq || !failure_.empty(); });
  if (durable_ < seq) throw StoreError(failure_);
}

std::uint64_t GroupCommitStore::last_appended() const {
  std::lock_guard lock(mutex_);
  return last_;
}

void GroupCommitStore::after_durable(std::function<void(bool)> callback) {
  bool ok;
  {
    std::lock_guard lock(mutex_);
    if (durable_ < last_ && failure_.empty()) {
      waiters_.push_back({last_, std::move(callback)});  // in seq order: appended under lock
      return;
    }
    // After a failure, what is appended is not durable; unless a store that goes on after one
    // (PostgreSQL's, reconnecting) has dropped what failed: then all that is left is.
    ok = failure_.empty() || durable_ >= last_;
  }
  callback(ok);
}

void GroupCommitStore::start_writer(std::uint64_t durable) {
  last_ = durable_ = durable;
  writer_ = std::thread([this] { write_loop(); });
}

void GroupCommitStore::stop_writer() {
  if (!writer_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  writer_.join();
}

void GroupCommitStore::replace_all(const std::function<std::uint64_t()>& replace) {
  // On open, before any append: the writer thread is idle, so this thread may use the database.
  std::lock_guard lock(mutex_);
  if (!queue_.empty() || last_ != durable_) throw StoreError("rewrite() after append()");
  last_ = durable_ = replace();
}

void GroupCommitStore::deliver(std::unique_lock<std::mutex>& lock, std::deque<Waiter>& ready,
                               const std::function<bool(const Waiter&)>& ok) {
  ++delivering_;
  lock.unlock();
  for (auto& w : ready)
    w.callback(ok(w));
  ready.clear();  // what the callbacks hold goes before wait_callbacks() returns
  lock.lock();
  --delivering_;
  delivered_cv_.notify_all();
}

void GroupCommitStore::batch_done(std::unique_lock<std::mutex>& lock, std::uint64_t last,
                                  const std::string& error) {
  if (error.empty())
    durable_ = last;
  else
    failure_ = error;
  durable_cv_.notify_all();
  std::deque<Waiter> ready;
  while (!waiters_.empty() && (waiters_.front().seq <= durable_ || !failure_.empty())) {
    ready.push_back(std::move(waiters_.front()));
    waiters_.pop_front();
  }
  if (!ready.empty()) {
    const bool ok = failure_.empty();
    deliver(lock, ready, [ok](const Waiter&) { return ok; });
  }
}

void GroupCommitStore::deliver_rest(std::unique_lock<std::mutex>& lock) {
  std::deque<Waiter> left;  // only if the last batch failed
  left.swap(waiters_);
  const bool ok = failure_.empty();
  const auto durable = durable_;
  deliver(lock, left, [&](const Waiter& w) { return ok && w.seq <= durable; });
}

std::pair<std::uint64_t, std::string> GroupCommitStore::commit_queued(
    std::unique_lock<std::mutex>& lock) {
  std::deque<Record> batch;
  batch.swap(queue_);
  const std::uint64_t first = durable_ + 1;
  lock.unlock();
  std::string error;
  try {
    commit(batch, first);
  } catch (const StoreError& e) {
    error = fmt::format("writing the journal failed: {}", e.what());
  }
  lock.lock();
  return {first + batch.size() - 1, error};
}

void GroupCommitStore::write_loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) break;
    const auto [last, error] = commit_queued(lock);
    batch_done(lock, last, error);
  }
  deliver_rest(lock);
}

}  // namespace mockcloud
