// A hash table split in 64 by the top bits of a 32-bit hash. Each part grows on its own, so a
// rehash moves 1/64 of the entries: growing a million-entry index costs a request ~1 ms now and
// then instead of ~50-100 ms at each power of two (the whole table moving at once).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace mockcloud::detail {

template <class Table>
class Sharded {
 public:
  static constexpr unsigned kBits = 6;

  /// Each part is built from the same arguments (hash and equality objects).
  template <class... Args>
  explicit Sharded(const Args&... args) {
    parts_.reserve(std::size_t{1} << kBits);
    for (std::size_t i = 0; i < (std::size_t{1} << kBits); ++i)
      parts_.emplace_back(args...);
  }
  Sharded(const Sharded&) = delete;
  Sharded& operator=(const Sharded&) = delete;

  /// The part that holds the entries of this hash.
  Table& part(std::uint32_t hash) noexcept { return parts_[hash >> (32 - kBits)]; }
  const Table& part(std::uint32_t hash) const noexcept { return parts_[hash >> (32 - kBits)]; }

  void clear() {
    for (auto& p : parts_)
      p.clear();
  }

 private:
  std::vector<Table> parts_;
};

}  // namespace mockcloud::detail
