// Randomness keyed by identity, not by call order.
//
// Every draw for a resource comes from a generator seeded with a hash of (seed, kind, environment
// name, resource name, generation of that name, purpose). So "VM web-1 in dev" gets the same ID,
// durations, outcome and preferred IP under the same seed whatever other callers do meanwhile.
// The uniform helpers are the project's own, so results agree across standard libraries.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace mockcloud {

/// 64-bit FNV-1a, the building block for identity keys.
constexpr std::uint64_t fnv1a64(std::string_view s,
                                std::uint64_t h = 0xcbf29ce484222325ull) noexcept {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// xoshiro256** seeded through splitmix64.
class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) noexcept {
    for (auto& w : s_)
      w = splitmix64(seed);
  }
  constexpr std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, bound) without modulo bias (Lemire's method); bound > 0.
  std::uint64_t below(std::uint64_t bound) noexcept;
  /// Uniform in [0, 1) with 53 random bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi] for doubles (lo when lo == hi).
  double between(double lo, double hi) noexcept { return lo + (hi - lo) * unit(); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept {
    return (x << k) | (x >> (64 - k));
  }
  std::array<std::uint64_t, 4> s_{};
};

/// The identity a draw is keyed by.
struct DrawKey {
  std::string_view kind;         // "vm", "volume", "environment", "security_group", "fault", ...
  std::string_view environment;  // environment *name* ("" for environments themselves)
  std::string_view name;         // resource name
  std::uint64_t generation = 0;  // how many earlier resources had that name there
  std::string_view purpose;      // "id", "create", "delete", "ip", "task.create", ...
};

/// A generator for one identity under one seed.
Rng keyed_rng(std::uint64_t seed, const DrawKey& key) noexcept;

/// A 128-bit id with the UUID version-4 layout.
struct Uuid {
  std::uint64_t hi = 0, lo = 0;
  static Uuid from_rng(Rng& rng) noexcept;
  /// The id number `n` (>= 1) of a sequential id scheme (model.hpp): written as a decimal
  /// number. No random UUID has a zero upper half (its version nibble is 4).
  static constexpr Uuid sequential(std::uint64_t n) noexcept { return {0, n}; }
  constexpr bool is_sequential() const noexcept { return hi == 0 && lo != 0; }
  /// Lower-case canonical form, 36 characters; a sequential id as its decimal number.
  std::string to_string() const;
  void write(char (&out)[36]) const noexcept;
  /// Accepts the canonical form in either case; any other text gives nullopt-like false.
  /// The canonical form (any case), or a sequential id's decimal number (no sign, no leading
  /// zero, at most 19 digits).
  static bool parse(std::string_view s, Uuid& out) noexcept;
  friend constexpr bool operator==(const Uuid&, const Uuid&) = default;
  friend constexpr auto operator<=>(const Uuid&, const Uuid&) = default;
};

}  // namespace mockcloud
