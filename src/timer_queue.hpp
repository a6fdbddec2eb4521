// The pending actions of a clock: a min-heap on (due, sequence) with lazy cancellation.
// Not thread-safe; each clock guards it with its own mutex.
#pragma once

#include <algorithm>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "mockcloud/clock.hpp"

namespace mockcloud::detail {

class TimerQueue {
 public:
  struct Entry {
    TimePoint due;
    Clock::TimerId id;  // increasing: the scheduling order breaks ties
    Clock::Action action;
  };

  Clock::TimerId push(TimePoint due, Clock::Action action) {
    const Clock::TimerId id = ++last_id_;
    heap_.push_back({due, id, std::move(action)});
    std::push_heap(heap_.begin(), heap_.end(), later);
    live_.insert(id);
    return id;
  }

  bool cancel(Clock::TimerId id) { return live_.erase(id) > 0; }

  /// The earliest live entry, or nullptr; drops cancelled entries on the way.
  const Entry* top() {
    while (!heap_.empty() && !live_.contains(heap_.front().id))
      pop_front();
    return heap_.empty() ? nullptr : &heap_.front();
  }

  /// Precondition: top() != nullptr.
  Entry pop() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    Entry e = std::move(heap_.back());
    heap_.pop_back();
    live_.erase(e.id);
    return e;
  }

  std::size_t size() const noexcept { return live_.size(); }
  void clear() {
    heap_.clear();
    live_.clear();
  }

 private:
  static bool later(const Entry& a, const Entry& b) {
    return a.due != b.due ? a.due > b.due : a.id > b.id;
  }
  void pop_front() {
    std::pop_heap(heap_.begin(), heap_.end(), later);
    heap_.pop_back();
  }

  std::vector<Entry> heap_;
  boost::unordered_flat_set<Clock::TimerId> live_;
  Clock::TimerId last_id_ = 0;
};

}  // namespace mockcloud::detail
