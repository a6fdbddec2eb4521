// Names within a scope (an environment, or the global scope of environments): for each, how many
// resources had it there (the generation that keys their draws) and which one lives now.
//
// A million VMs means a million names, kept for good (a generation outlives its resource). So the
// names sit once in an arena of length-prefixed bytes and the hash table holds 24-byte entries
// (scope, arena offset, hash; generation, live slot) rather than a std::string each: 47 MB for a
// million instead of 110, and rehashing moves small entries without rehashing strings, one 64th of
// them at a time (sharded.hpp).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include <boost/container_hash/hash.hpp>
#include <boost/unordered/unordered_flat_map.hpp>

#include "huge_pages.hpp"
#include "order_index.hpp"
#include "sharded.hpp"

namespace mockcloud::detail {

/// Packed to 4-byte alignment: 12 bytes, so that a table entry is 24 and not 32.
struct [[gnu::packed, gnu::aligned(4)]] NameEntry {
  std::uint64_t generation = 0;  // resources that had the name so far
  Slot live = kNone;             // the one that lives now
};
static_assert(sizeof(NameEntry) == 12);

/// A name within its scope: 0 for environments, else the interned name of the environment
/// (by name, not identity, like the draws: a re-created "dev" continues the old one's counts).
struct NameKey {
  std::uint32_t scope = 0;
  std::string_view name;
};

class NameTable {
 public:
  /// Names longer than this are never stored (validation allows 63 bytes, or 100 characters of
  /// up to 4 bytes each under NameRule::free_text).
  static constexpr std::size_t kMaxName = 0xffff;

  NameTable() : map_(std::size_t{0}, Hash{}, Eq{&bytes_}) {}
  NameTable(const NameTable&) = delete;
  NameTable& operator=(const NameTable&) = delete;

  /// The entry of `key`, created (generation 0, nothing live) when the name is new there.
  /// Precondition: key.name.size() <= kMaxName.
  NameEntry& entry(NameKey key) {
    const Probe probe{key.scope, key.name, hash_of(key)};
    auto& part = map_.part(probe.hash);
    if (auto it = part.find(probe); it != part.end()) return it->second;
    const auto offset = static_cast<std::uint32_t>(bytes_.size());
    bytes_.push_back(static_cast<char>(static_cast<unsigned char>(key.name.size() & 0xff)));
    bytes_.push_back(static_cast<char>(static_cast<unsigned char>(key.name.size() >> 8)));
    bytes_.append(key.name.begin(), key.name.end());
    return part.emplace(Ref{key.scope, offset, probe.hash}, NameEntry{}).first->second;
  }

  /// The entry of `key`, or nullptr when the name was never used there.
  const NameEntry* find(NameKey key) const {
    if (key.name.size() > kMaxName) return nullptr;
    const Probe probe{key.scope, key.name, hash_of(key)};
    const auto& part = map_.part(probe.hash);
    auto it = part.find(probe);
    return it == part.end() ? nullptr : &it->second;
  }

  void clear() {
    map_.clear();
    bytes_.clear();
  }

 private:
  struct Ref {  // a stored name
    std::uint32_t scope, offset, hash;
  };
  struct Probe {  // a name looked up
    std::uint32_t scope;
    std::string_view name;
    std::uint32_t hash;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(const Ref& r) const noexcept { return r.hash; }
    std::size_t operator()(const Probe& p) const noexcept { return p.hash; }
  };
  struct Eq {
    using is_transparent = void;
    const MappedArray<char>* bytes;
    std::string_view name(const Ref& r) const noexcept {
      const char* at = bytes->data() + r.offset;
      const std::size_t size =
          static_cast<unsigned char>(at[0]) | std::size_t{static_cast<unsigned char>(at[1])} << 8;
      return {at + 2, size};
    }
    // Stored names are unique by (scope, offset): an insert never meets its equal.
    bool operator()(const Ref& a, const Ref& b) const noexcept {
      return a.scope == b.scope && a.offset == b.offset;
    }
    bool operator()(const Probe& p, const Ref& r) const noexcept {
      return p.hash == r.hash && p.scope == r.scope && p.name == name(r);
    }
    bool operator()(const Ref& r, const Probe& p) const noexcept { return (*this)(p, r); }
  };

  static std::uint32_t hash_of(NameKey k) noexcept {
    std::size_t h = boost::hash_range(k.name.begin(), k.name.end());
    boost::hash_combine(h, k.scope);
    return static_cast<std::uint32_t>(h ^ (h >> 32));
  }

  MappedArray<char> bytes_;  // [length: 2 bytes, little-endian][bytes] per stored name
  Sharded<boost::unordered_flat_map<Ref, NameEntry, Hash, Eq,
                                    HugePageAllocator<std::pair<const Ref, NameEntry>>>>
      map_;
};

}  // namespace mockcloud::detail
