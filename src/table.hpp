// Flat record tables: records in chunks that never move, with a free list, an id index and the
// creation order. Not a public header.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/unordered/unordered_flat_set.hpp>

#include "huge_pages.hpp"
#include "mockcloud/random.hpp"
#include "order_index.hpp"
#include "sharded.hpp"

namespace mockcloud::detail {

/// Stable storage for records: chunks that never move, so growing the table neither copies
/// records nor needs twice their memory for a moment. Chunk 0 holds 64 records and chunk c >= 1
/// the 64 * 2^(c-1) from slot 64 * 2^(c-1) on: a small table takes a few KiB, a big one a few
/// big mappings whose pages are touched only as records arrive (no half-used 2 MiB page per
/// fixed-size chunk).
template <class Record>
class SlotStore {
 public:
  Record& operator[](Slot s) {
    const auto [c, i] = locate(s);
    return chunks_[c][i];
  }
  const Record& operator[](Slot s) const {
    const auto [c, i] = locate(s);
    return chunks_[c][i];
  }
  std::size_t size() const noexcept { return size_; }
  Slot push_back(Record r) {
    const auto [c, i] = locate(static_cast<Slot>(size_));
    if (c == chunks_.size()) {
      // Reserve only: records are built one by one, so no request pays for a chunk of them.
      chunks_.emplace_back();
      chunks_.back().reserve(c == 0 ? kFirst : kFirst << (c - 1));
    }
    chunks_[c].push_back(std::move(r));
    return static_cast<Slot>(size_++);
  }
  void clear() {
    chunks_.clear();
    size_ = 0;
  }

 private:
  static constexpr unsigned kFirstBits = 6;
  static constexpr std::size_t kFirst = std::size_t{1} << kFirstBits;
  /// (chunk, index in it) of a slot.
  static std::pair<std::size_t, std::size_t> locate(Slot s) noexcept {
    const auto c = static_cast<std::size_t>(std::bit_width(s >> kFirstBits));
    return {c, c == 0 ? s : s - (kFirst << (c - 1))};
  }

  std::vector<HugeVector<Record>> chunks_;
  std::size_t size_ = 0;
};

/// Records of one kind: a slot vector with a free list, an id index and the creation order.
/// A Record has `id`, `created_at` and `alive`; order_env()/order_status() give its filter keys.
template <class Record>
class Table {
 public:
  Table() = default;
  Table(const Table&) = delete;  // the index points at slots_
  Table& operator=(const Table&) = delete;

  Slot insert(Record&& r) {
    Slot s;
    if (!free_.empty()) {
      s = free_.back();
      free_.pop_back();
      slots_[s] = std::move(r);
    } else {
      s = slots_.push_back(std::move(r));
    }
    Record& rec = slots_[s];
    rec.alive = true;
    const std::uint32_t h = hash32(rec.id);
    index_.part(h).insert(IdRef{s, h});
    order_.add({rec.created_at, rec.id, s, order_env(rec), order_status(rec)});
    return s;
  }
  void erase(Slot s) {
    const std::uint32_t h = hash32(slots_[s].id);
    index_.part(h).erase(IdRef{s, h});
    order_.remove(s);
    slots_[s] = Record{};
    free_.push_back(s);
  }
  /// Keeps the status that lists filter on in step with the record's.
  void status_changed(Slot s) { order_.set_status(s, order_status(slots_[s])); }
  Slot find(std::string_view id) const {
    Uuid u;
    if (!Uuid::parse(id, u)) return kNone;
    return find(u);
  }
  Slot find(const Uuid& u) const {
    const auto& part = index_.part(hash32(u));
    auto it = part.find(u);
    return it == part.end() ? kNone : it->slot;
  }
  Record& operator[](Slot s) { return slots_[s]; }
  const Record& operator[](Slot s) const { return slots_[s]; }
  std::size_t size() const noexcept { return order_.size(); }
  std::size_t capacity() const noexcept { return slots_.size(); }
  /// The creation order, ready to walk.
  const OrderIndex& order() const {
    order_.normalize();
    return order_;
  }
  void clear() {
    slots_.clear();
    free_.clear();
    index_.clear();
    order_.clear();
  }

 private:
  // The id index holds 8-byte entries, a slot and 32 bits of the id's hash, and compares ids in
  // the records (sharded: see sharded.hpp): 16 MB for a million records instead of the 48 of (id,
  // slot) pairs, and a rehash moves entries without reading records.
  struct IdRef {
    Slot slot;
    std::uint32_t hash;
  };
  static std::uint32_t hash32(const Uuid& u) noexcept {
    const std::uint64_t h = u.hi ^ (u.lo * 0x9e3779b97f4a7c15ull);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }
  struct IdHash {
    using is_transparent = void;
    std::size_t operator()(const IdRef& r) const noexcept { return r.hash; }
    std::size_t operator()(const Uuid& u) const noexcept { return hash32(u); }
  };
  struct IdEq {
    using is_transparent = void;
    const SlotStore<Record>* slots;
    // Each record has one entry: an insert or an erase matches by slot.
    bool operator()(const IdRef& a, const IdRef& b) const noexcept { return a.slot == b.slot; }
    bool operator()(const Uuid& u, const IdRef& r) const noexcept {
      return (*slots)[r.slot].id == u;
    }
    bool operator()(const IdRef& r, const Uuid& u) const noexcept {
      return (*slots)[r.slot].id == u;
    }
  };

  SlotStore<Record> slots_;
  std::vector<Slot> free_;
  Sharded<boost::unordered_flat_set<IdRef, IdHash, IdEq, HugePageAllocator<IdRef>>> index_{
      std::size_t{0}, IdHash{}, IdEq{&slots_}};
  OrderIndex order_;
};

}  // namespace mockcloud::detail
