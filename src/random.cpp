#include "mockcloud/random.hpp"

#include <array>

namespace mockcloud {

std::uint64_t Rng::below(std::uint64_t bound) noexcept {
  // Lemire's nearly divisionless method with rejection, so every value is equally likely.
  unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = -bound % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

Rng keyed_rng(std::uint64_t seed, const DrawKey& key) noexcept {
  // Each part is hashed with a separator byte so ("ab","c") and ("a","bc") differ.
  std::uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](std::string_view part) {
    h = fnv1a64(part, h);
    h = fnv1a64(std::string_view("\x1f", 1), h);
  };
  mix(key.kind);
  mix(key.environment);
  mix(key.name);
  mix(key.purpose);
  std::uint64_t state = seed ^ h;
  std::uint64_t a = splitmix64(state);
  state ^= key.generation * 0x9e3779b97f4a7c15ull;
  return Rng{a ^ splitmix64(state)};
}

Uuid Uuid::from_rng(Rng& rng) noexcept {
  Uuid u{rng.next(), rng.next()};
  u.hi = (u.hi & ~0xf000ull) | 0x4000ull;                         // version 4
  u.lo = (u.lo & 0x3fffffffffffffffull) | 0x8000000000000000ull;  // variant 10xx
  return u;
}

namespace {
// Two hex digits per byte value: one table lookup per byte instead of two shifts per nibble.
constexpr auto kHexPairs = [] {
  std::array<char, 512> t{};
  constexpr char hex[] = "0123456789abcdef";
  for (int i = 0; i < 256; ++i) {
    t[2 * i] = hex[i >> 4];
    t[2 * i + 1] = hex[i & 15];
  }
  return t;
}();
}  // namespace

void Uuid::write(char (&out)[36]) const noexcept {
  // 8-4-4-4-12: dashes after bytes 4, 6, 8 and 10.
  char* p = out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    const std::uint64_t word = i < 8 ? hi : lo;
    const unsigned byte = (word >> (56 - 8 * (i % 8))) & 0xff;
    *p++ = kHexPairs[2 * byte];
    *p++ = kHexPairs[2 * byte + 1];
  }
}

std::string Uuid::to_string() const {
  if (is_sequential()) return std::to_string(lo);
  char buf[36];
  write(buf);
  return std::string(buf, sizeof buf);
}

bool Uuid::parse(std::string_view s, Uuid& out) noexcept {
  if (!s.empty() && s.size() <= 19 && s[0] >= '1' && s[0] <= '9') {  // a sequential id
    std::uint64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    out = sequential(n);
    return true;
  }
  if (s.size() != 36) return false;
  std::uint64_t words[2] = {0, 0};
  int nibble = 0;
  for (std::size_t i = 0; i < 36; ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
      continue;
    }
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      return false;
    words[nibble / 16] = (words[nibble / 16] << 4) | static_cast<std::uint64_t>(v);
    ++nibble;
  }
  out = Uuid{words[0], words[1]};
  return true;
}

}  // namespace mockcloud
