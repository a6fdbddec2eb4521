// A journal shared by several processes (Store::shared(), the PostgreSQL store): the journal's
// order is the cloud's. Each process holds the whole state in memory, applies what the others
// wrote before it reads, and changes the state only while it holds the journal's head, with
// their records applied first. A change is therefore decided against the cloud's latest state,
// names and IPs are unique by construction, and a completion that another process already
// applied finds its task settled and does nothing: each completes once.
#include <fmt/format.h>

#include "core.hpp"

namespace mockcloud::detail {

void Core::open_shared() {
  shared_ = true;
  events_on_ = false;  // loading emits nothing
  store_->follow(this);
  try {
    store_->catch_up();  // the journal so far
    {
      std::lock_guard lock(mutex_);
      std::lock_guard subs(subscribers_mutex_);
      events_changed();
    }
    // The head: anything written since is applied, and the first process writes the start.
    const auto lock = write_lock();
    if (applied_seq_ == 0) record(Reset{seed_, settings_, model_});
  } catch (...) {
    store_->follow(nullptr);  // a manager that does not open leaves no follower behind
    throw;
  }
  if (auto* v = dynamic_cast<VirtualClock*>(&clock_)) {
    sync_clock();  // where the cloud's virtual clock is
    clock_listener_ = v->add_listener([this](TimePoint now) { clock_moved(now); });
  }
  std::lock_guard lock(mutex_);
  arm();
}

Core::WriteLock Core::write_lock() {
  if (!shared_) return WriteLock(*this, Lock(mutex_), nullptr);
  for (;;) {
    const std::uint64_t turn = store_->begin_write();
    Lock lock(mutex_);
    if (store_->holds(turn)) return WriteLock(*this, std::move(lock), store_.get());
    // The turn ended between the two (another process asked for the head): again.
    lock.unlock();
    store_->end_write();
  }
}

void Core::refresh() const {
  if (!shared_ || InClockAction::depth > 0) return;
  if (CaughtUp::depth == 0) store_->catch_up();
  sync_clock();
}

void Core::sync_clock() const {
  auto* v = dynamic_cast<VirtualClock*>(&clock_);
  if (!v || InClockAction::depth > 0) return;
  TimePoint target;
  {
    std::lock_guard lock(mutex_);
    target = remote_at_;
  }
  // What comes due on the way was completed by the process that moved the clock (its records
  // are applied): the timers that fire here find their tasks settled.
  if (v->now() < target) v->advance_to(target);
}

std::size_t Core::advance_clock(VirtualClock& clock, Duration d) {
  if (!shared_) return clock.advance(d);
  refresh();
  // Hold the head through the advance: every completion on the way is decided here, with
  // every creation the others made applied.
  std::size_t fired;
  {
    store_->begin_write();
    struct EndWrite {
      Store& store;
      ~EndWrite() { store.end_write(); }
    } end{*store_};
    fired = clock.advance(d);
  }
  sync();  // what it completed is durable (and so seen by the others) before it returns
  return fired;
}

bool Core::fires_timers() const {
  return !shared_ || dynamic_cast<VirtualClock*>(&clock_) != nullptr || store_->timer_duty();
}

// ---- JournalFollower: the store's calls ----

std::uint64_t Core::applied_seq() {
  std::lock_guard lock(mutex_);
  return diverged_ ? 0 : applied_seq_;
}

std::function<void()> Core::apply_remote(const std::vector<Numbered>& records) {
  std::vector<std::pair<Slot, Callbacks>> settled;
  auto runs = std::make_shared<std::vector<std::pair<Task, Callbacks>>>();
  {
    std::lock_guard lock(mutex_);
    if (closing_ || records.empty()) return {};
    if (diverged_) {
      // Applied again from the start (which is a reset), or not at all: these were read for
      // the state before the divergence.
      if (records.front().record.kind != Reset::kind) return {};
      applied_seq_ = 0;
      diverged_ = false;
    }
    following_ = true;
    remote_settled_ = &settled;
    struct Restore {
      Core& core;
      ~Restore() {
        core.following_ = false;
        core.remote_settled_ = nullptr;
        core.replay_at_.reset();
      }
    } restore{*this};
    for (const Numbered& n : records) {
      if (n.seq <= applied_seq_) continue;  // applied already (ours, or read twice)
      const bool reset = n.record.kind == Reset::kind;
      if (n.seq != applied_seq_ + 1 && !reset)
        throw StoreError(fmt::format("the shared journal skips from record {} to {} ({})",
                                     applied_seq_, n.seq, n.record.kind));
      Callbacks none;  // the settled tasks' callbacks go to `settled`
      try {
        replay_locked(n.record, none);
      } catch (const Exception& e) {
        throw StoreError(fmt::format("applying journal record {} ({}) failed: {}", n.seq,
                                     n.record.kind, e.what()));
      }
      applied_seq_ = n.seq;
      const TimePoint at{Duration{n.record.at}};
      if (reset || at > remote_at_) remote_at_ = at;
    }
    // The virtual clock moves to remote_at_ next (sync_clock): nothing to journal for it.
    last_recorded_at_ = remote_at_;
    replay_at_.reset();
    arm();
    for (auto& [task, cbs] : settled)
      runs->emplace_back(snapshot(tasks_[task]), std::move(cbs));
  }
  settled_cv_.notify_all();
  // Run by the store while it still counts this call (follow(nullptr) waits for it).
  return [this, runs] {
    deliver_events();
    for (auto& [task, cbs] : *runs)
      run(cbs, task);
  };
}

void Core::locked(const std::function<void()>& fn) {
  std::lock_guard lock(mutex_);
  fn();
}

void Core::diverged() {
  std::lock_guard lock(mutex_);
  diverged_ = true;
}

void Core::wake_timers() {
  std::lock_guard lock(mutex_);
  if (!closing_) arm();
}

}  // namespace mockcloud::detail
