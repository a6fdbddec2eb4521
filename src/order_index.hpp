// The creation order of one table, for lists: (created_at, id), then slot.
//
// Records arrive with a created_at that never goes back (the clock is monotonic and inserts happen
// under the manager's lock), so new entries are appended and sorted lazily, at the next list, only
// as far back as the first sorted entry they precede: usually a short tail. Under a virtual clock
// many records share one instant and sort by their random id, which is why this is not a tree: a
// million random inserts into a red-black tree cost seconds, one sort of the tail milliseconds.
//
// Entries carry the hot fields of a filter (environment and status) so a page walk reads one
// contiguous array, and live counts per status per block of 1,024 entries let a status filter
// skip whole blocks: a deep page costs microseconds, not a scan.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
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
    sorted_ = live_ = 0;
  }

  /// Sorts what arrived since the last call and drops removed entries when they dominate.
  /// Logically const: the order does not change, only its representation.
  void normalize() const {
    if (entries_.size() - live_ > std::max<std::size_t>(live_, kBlock)) return compact();
    if (sorted_ == entries_.size()) return;
    const auto begin = entries_.begin();
    std::sort(begin + static_cast<std::ptrdiff_t>(sorted_), entries_.end());
    const auto from =
        std::upper_bound(begin, begin + static_cast<std::ptrdiff_t>(sorted_), entries_[sorted_]);
    std::inplace_merge(from, begin + static_cast<std::ptrdiff_t>(sorted_), entries_.end());
    reindex(static_cast<std::size_t>(from - begin));
  }

  /// Calls fn(entry) for live entries in order, from the `skip`-th that matches, until fn
  /// returns false. A status-only filter skips whole blocks by their counts.
  /// Precondition: normalize() was called since the last change.
  template <class Match, class Fn>
  void walk(std::size_t skip, std::optional<std::uint8_t> status_only, Match&& match,
            Fn&& fn) const {
    std::size_t i = 0;
    if (status_only) {
      // Skip whole blocks while they hold no more matches than are left to skip.
      for (std::size_t b = 0; b < counts_.size(); ++b) {
        const std::size_t n = counts_[b][*status_only];
        if (n > skip) break;
        skip -= n;
        i = (b + 1) * kBlock;
      }
    }
    for (; i < entries_.size(); ++i) {
      const OrderEntry& e = entries_[i];
      if (!e.live || !match(e)) continue;
      if (skip) {
        --skip;
        continue;
      }
      if (!fn(e)) return;
    }
  }

 private:
  static constexpr std::uint32_t kNoPos = UINT32_MAX;

  void compact() const {
    entries_.erase_if([](const OrderEntry& e) { return !e.live; });
    sorted_ = 0;
    if (!entries_.empty()) std::sort(entries_.begin(), entries_.end());
    reindex(0);
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
    sorted_ = entries_.size();
  }

  mutable MappedArray<OrderEntry> entries_;
  mutable MappedArray<std::uint32_t> pos_;  // by slot: where its entry is
  mutable MappedArray<std::array<std::uint32_t, kStatuses>> counts_;
  mutable std::size_t sorted_ = 0;
  std::size_t live_ = 0;
};

}  // namespace mockcloud::detail
