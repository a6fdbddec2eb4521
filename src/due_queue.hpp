// The pending completions of a manager, in (due time, task slot) order: a radix heap, with a
// 4-ary heap beside it for the rare entry due before its front.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "huge_pages.hpp"
#include "order_index.hpp"

namespace mockcloud::detail {

struct Due {
  TimePoint eta;
  Slot task;  // slots grow in request order, so they break ties the way docs/http-api.md says
  bool operator<(const Due& o) const noexcept { return eta != o.eta ? eta < o.eta : task < o.task; }
};

/// A 4-ary min-heap of Due entries: the queue's fallback for entries behind its radix front.
class DueHeap {
 public:
  bool empty() const noexcept { return heap_.empty(); }
  const Due& top() const { return heap_.front(); }
  std::size_t size() const noexcept { return heap_.size(); }
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
  MappedArray<Due> heap_;
};

/// The pending completions: a radix heap on the due time (Ahuja, Mehlhorn, Orlin and Tarjan).
/// Completions are taken in time order and new ones are due no earlier than the last one taken,
/// so an entry is filed in the bucket of the highest bit in which its time differs from that last
/// time and moves only towards bucket 0, in sequential sweeps. Taking one of a million pending
/// costs a few streamed moves instead of a heap's ten cache misses. Bucket 0 (due exactly at the
/// front time) is kept sorted by slot, so ties still break by slot. An entry due before the
/// front (the front moved past a stale head: a revoked creation) goes to a small heap beside.
class DueQueue {
 public:
  bool empty() const noexcept { return size_ == 0 && early_.empty(); }
  std::size_t size() const noexcept { return size_ + early_.size(); }
  void clear() {
    for (auto& b : buckets_)
      b.clear();
    early_.clear();
    size_ = 0;
    front_ = 0;
  }

  void push(Due d) {
    const std::uint64_t k = key(d.eta);
    if (k < front_) return early_.push(d);
    ++size_;
    auto& b = buckets_[bucket(k)];
    if (&b != &buckets_[0]) return b.push_back(d);
    // Due exactly at the front: in place, slots descending so that the back is the smallest.
    auto at = std::upper_bound(b.begin(), b.end(), d.task,
                               [](Slot t, const Due& e) { return t > e.task; });
    b.insert(at, d);
  }

  /// The earliest entry (ties: smallest slot). Precondition: !empty().
  const Due& top() {
    const Due* r = radix_top();
    if (early_.empty()) return *r;
    if (!r || early_.top() < *r) return early_.top();
    return *r;
  }

  void pop() {
    const Due* r = radix_top();
    if (!early_.empty() && (!r || early_.top() < *r)) return early_.pop();
    buckets_[0].pop_back();
    --size_;
  }

 private:
  static std::uint64_t key(TimePoint t) noexcept {
    // Order-preserving map of the signed tick count onto unsigned.
    return static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ (std::uint64_t{1} << 63);
  }
  std::size_t bucket(std::uint64_t k) const noexcept {
    return k == front_ ? 0 : 64 - static_cast<std::size_t>(std::countl_zero(k ^ front_));
  }

  /// The smallest radix entry (refilling bucket 0 if needed), or nullptr when there is none.
  const Due* radix_top() {
    if (size_ == 0) return nullptr;
    auto& zero = buckets_[0];
    if (zero.empty()) {
      std::size_t i = 1;
      while (buckets_[i].empty())
        ++i;
      auto& from = buckets_[i];
      std::uint64_t least = UINT64_MAX;
      for (const Due& d : from)
        least = std::min(least, key(d.eta));
      front_ = least;
      // Every entry of bucket i now differs from the front below bit i-1: it moves down.
      for (const Due& d : from)
        buckets_[bucket(key(d.eta))].push_back(d);
      from.clear();
      std::sort(zero.begin(), zero.end(),
                [](const Due& a, const Due& b) { return a.task > b.task; });
    }
    return &zero.back();
  }

  std::array<MappedArray<Due>, 65> buckets_;
  DueHeap early_;
  std::size_t size_ = 0;     // entries in the buckets
  std::uint64_t front_ = 0;  // key of the last front: no bucketed entry is due before it
};

}  // namespace mockcloud::detail
