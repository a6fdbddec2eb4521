// The creation order of one table, for lists: (created_at, id), then slot.
//
// Records arrive with a created_at that never goes back (the clock is monotonic and inserts happen
// under the manager's lock), so new entries are appended and sorted lazily, at the next list. Under
// a virtual clock many records share one instant and sort by their random id, which is why this is
// not a tree: a million random inserts into a red-black tree cost seconds, one sort milliseconds.
//
// The array holds two sorted runs: the main run, then a short tail run (at most ~8 sqrt(n)
// entries) into which the newcomers of each list are merged; a walk merges the two on the fly.
// The tail joins the main run only when it outgrows that bound. So a list after each of many
// creations at one virtual instant moves ~sqrt(n) entries, not half the table each time.
//
// Entries carry the hot fields of a filter (environment and status) so a page walk reads one
// contiguous array, and live counts per status per block of 1,024 entries let a status filter
// skip whole blocks: a deep page costs microseconds, not a scan.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

#include "huge_pages.hpp"

#include "mockcloud/random.hpp"
#include "mockcloud/time.hpp"

namespace mockcloud::detail {

using Slot = std::uint32_t;
inline constexpr Slot kNone = UINT32_MAX;

struct OrderEntry {
  TimePoint created_at;
  Uuid id;
  Slot slot = kNone;
  Slot env = kNone;
  std::uint8_t status = 0;
  bool live = false;

  bool operator<(const OrderEntry& o) const noexcept {
    return created_at != o.created_at ? created_at < o.created_at : id < o.id;
  }
};

class OrderIndex {
 public:
  static constexpr std::size_t kBlock = 1024;
  static constexpr std::size_t kStatuses = 8;

  void add(const OrderEntry& e) {
    if (e.slot >= pos_.size()) pos_.resize(e.slot + 1, kNoPos);
    pos_[e.slot] = static_cast<std::uint32_t>(entries_.size());
    entries_.push_back(e);
    entries_.back().live = true;
    if (counts_.size() * kBlock < entries_.size()) counts_.push_back({});
    ++counts_[(entries_.size() - 1) / kBlock][e.status];
    ++live_;
  }

  void remove(Slot slot) {
    OrderEntry& e = entries_[pos_[slot]];
    --counts_[pos_[slot] / kBlock][e.status];
    e.live = false;
    pos_[slot] = kNoPos;
    --live_;
  }

  void set_status(Slot slot, std::uint8_t status) {
    const std::size_t p = pos_[slot];
    OrderEntry& e = entries_[p];
    --counts_[p / kBlock][e.status];
    ++counts_[p / kBlock][status];
    e.status = status;
  }

  std::size_t size() const noexcept { return live_; }

  void clear() {
    entries_.clear();
    pos_.clear();
    counts_.clear();
    sorted_ = tail_end_ = live_ = 0;
  }

  /// Sorts what arrived since the last call into the tail run, merges the tail into the main run
  /// when it outgrows its bound, and drops removed entries when they dominate.
  /// Logically const: the order does not change, only its representation.
  void normalize() const {
    if (entries_.size() - live_ > std::max<std::size_t>(live_, kBlock)) return compact();
    OrderEntry* const begin = entries_.begin();
    OrderEntry* const end = entries_.end();
    if (tail_end_ < entries_.size()) {
      std::sort(begin + tail_end_, end);
      OrderEntry* from = std::upper_bound(begin + sorted_, begin + tail_end_, begin[tail_end_]);
      std::inplace_merge(from, begin + tail_end_, end);
      reindex(static_cast<std::size_t>(from - begin));
      tail_end_ = entries_.size();
    }
    const auto bound = std::max<std::size_t>(
        kBlock, 8 * static_cast<std::size_t>(std::sqrt(static_cast<double>(sorted_))));
    if (tail_end_ - sorted_ > bound) {
      OrderEntry* from = std::upper_bound(begin, begin + sorted_, begin[sorted_]);
      std::inplace_merge(from, begin + sorted_, end);
      reindex(static_cast<std::size_t>(from - begin));
      sorted_ = tail_end_;
    }
  }

  /// Calls fn(entry) for live entries in order, from the `skip`-th that matches, until fn
  /// returns false. A status-only filter skips whole blocks of the main run by their counts.
  /// Precondition: normalize() was called since the last change.
  template <class Match, class Fn>
  void walk(std::size_t skip, std::optional<std::uint8_t> status_only, Match&& match,
            Fn&& fn) const {
    const OrderEntry* const all = entries_.begin();
    std::size_t i = 0;        // next of the main run [0, sorted_)
    std::size_t j = sorted_;  // next of the tail run [sorted_, tail_end_)
    // Where tail entry j goes in the main run: after every main entry not greater than it.
    // Monotone in j, so each search starts where the last one ended.
    std::size_t at = 0, at_of = SIZE_MAX;
    auto place = [&](std::size_t k) {
      if (at_of != k) {
        at = static_cast<std::size_t>(std::upper_bound(all + at, all + sorted_, all[k]) - all);
        at_of = k;
      }
      return at;
    };
    if (status_only) {
      // Skip whole blocks of the main run (with the tail entries that go before their end)
      // while they hold no more matches than are left to skip.
      for (std::size_t b = 0; (b + 1) * kBlock <= sorted_; ++b) {
        const std::size_t block_end = (b + 1) * kBlock;
        std::size_t n = counts_[b][*status_only];
        std::size_t k = j;
        for (; k < tail_end_ && place(k) < block_end; ++k)
          n += all[k].live && all[k].status == *status_only;
        if (n > skip) {
          // Entries from j on go at or after this block's start: search again from there.
          at = i;
          at_of = SIZE_MAX;
          break;
        }
        skip -= n;
        i = block_end;
        j = k;
      }
    }
    for (;;) {
      const OrderEntry* e;
      if (j < tail_end_ && (i >= sorted_ || place(j) <= i))
        e = &all[j++];
      else if (i < sorted_)
        e = &all[i++];
      else
        return;
      if (!e->live || !match(*e)) continue;
      if (skip) {
        --skip;
        continue;
      }
      if (!fn(*e)) return;
    }
  }

 private:
  static constexpr std::uint32_t kNoPos = UINT32_MAX;

  void compact() const {
    entries_.erase_if([](const OrderEntry& e) { return !e.live; });
    if (!entries_.empty()) std::sort(entries_.begin(), entries_.end());
    reindex(0);
    sorted_ = tail_end_ = entries_.size();
  }

  // Positions and block counts of everything from `from` on, after entries moved.
  void reindex(std::size_t from) const {
    for (std::size_t i = from; i < entries_.size(); ++i)
      if (entries_[i].live) pos_[entries_[i].slot] = static_cast<std::uint32_t>(i);
    counts_.resize((entries_.size() + kBlock - 1) / kBlock);
    for (std::size_t b = from / kBlock; b < counts_.size(); ++b) {
      counts_[b] = {};
      const std::size_t end = std::min(entries_.size(), (b + 1) * kBlock);
      for (std::size_t i = b * kBlock; i < end; ++i)
        if (entries_[i].live) ++counts_[b][entries_[i].status];
    }
  }

  mutable MappedArray<OrderEntry> entries_;
  mutable MappedArray<std::uint32_t> pos_;  // by slot: where its entry is
  mutable MappedArray<std::array<std::uint32_t, kStatuses>> counts_;
  mutable std::size_t sorted_ = 0;    // end of the main run
  mutable std::size_t tail_end_ = 0;  // end of the tail run; newcomers after it
  std::size_t live_ = 0;
};

}  // namespace mockcloud::detail
