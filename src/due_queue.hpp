// The pending completions of a manager: a 4-ary min-heap on (due time, task slot).
// With 16-byte entries a node's four children share one cache line, and the tree is half as
// deep as a binary heap's: popping from a million pending tasks touches ~10 lines, not ~20.
#pragma once

#include <cstddef>
#include <utility>

#include "huge_pages.hpp"
#include "order_index.hpp"

namespace mockcloud::detail {

struct Due {
  TimePoint eta;
  Slot task;  // slots grow in request order, so they break ties the way API.md asks
  bool operator<(const Due& o) const noexcept { return eta != o.eta ? eta < o.eta : task < o.task; }
};

class DueQueue {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  const Due& top() const { return heap_.front(); }
  void clear() { heap_.clear(); }

  void push(Due d) {
    std::size_t i = heap_.size();
    heap_.push_back(d);
    while (i > 0) {
      const std::size_t parent = (i - 1) / 4;
      if (!(d < heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = d;
  }

  void pop() {
    const Due last = heap_.back();
    heap_.pop_back();
    const std::size_t n = heap_.size();
    if (n == 0) return;
    std::size_t i = 0;
    for (;;) {
      const std::size_t first = 4 * i + 1;
      if (first >= n) break;
      std::size_t best = first;
      const std::size_t end = std::min(first + 4, n);
      for (std::size_t c = first + 1; c < end; ++c)
        if (heap_[c] < heap_[best]) best = c;
      if (!(heap_[best] < last)) break;
      heap_[i] = heap_[best];
      i = best;
    }
    heap_[i] = last;
  }

 private:
  HugeVector<Due> heap_;
};

}  // namespace mockcloud::detail
