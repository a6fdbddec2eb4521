#include "mockcloud/net.hpp"

#include <charconv>

namespace mockcloud {
namespace {

// A decimal number of at most `max_digits` digits, no sign, no leading zero (except "0").
bool parse_decimal(std::string_view s, unsigned max_value, unsigned& out) noexcept {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size() && out <= max_value;
}

}  // namespace

std::optional<Ipv4Address> Ipv4Address::parse(std::string_view s) noexcept {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    auto dot = s.find('.');
    if ((i < 3) != (dot != std::string_view::npos)) return std::nullopt;
    unsigned octet = 0;
    if (!parse_decimal(s.substr(0, dot), 255, octet)) return std::nullopt;
    v = (v << 8) | octet;
    s = i < 3 ? s.substr(dot + 1) : std::string_view{};
  }
  return Ipv4Address{v};
}

std::string Ipv4Address::to_string() const {
  std::string out;
  out.reserve(15);
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((v_ >> shift) & 0xff);
    if (shift) out += '.';
  }
  return out;
}

std::optional<Cidr> Cidr::parse(std::string_view s) noexcept {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto addr = Ipv4Address::parse(s.substr(0, slash));
  unsigned prefix = 0;
  if (!addr || !parse_decimal(s.substr(slash + 1), 32, prefix)) return std::nullopt;
  Cidr c{*addr, static_cast<int>(prefix)};
  if ((addr->to_uint() & c.mask()) != addr->to_uint()) return std::nullopt;
  return c;
}

std::string Cidr::to_string() const {
  return net_.to_string() + '/' + std::to_string(prefix_);
}

}  // namespace mockcloud
