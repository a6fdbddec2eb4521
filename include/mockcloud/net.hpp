// IPv4 addresses and networks with strict parsing: dotted quads of 0..255 without leading zeros,
// nothing before or after, and a prefix 0..32 without leading zeros.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mockcloud {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(std::uint32_t v) : v_(v) {}

  /// "10.0.0.1"; nullopt for anything else ("10.0.0.01", " 10.0.0.1", "10.0.0", "1.2.3.256").
  static std::optional<Ipv4Address> parse(std::string_view s) noexcept;

  constexpr std::uint32_t to_uint() const noexcept { return v_; }
  std::string to_string() const;
  friend constexpr auto operator<=>(Ipv4Address, Ipv4Address) = default;

 private:
  std::uint32_t v_ = 0;
};

class Cidr {
 public:
  constexpr Cidr() = default;
  /// Precondition: the host bits of `network` are zero and prefix <= 32 (use parse() otherwise).
  constexpr Cidr(Ipv4Address network, int prefix) : net_(network), prefix_(prefix) {}

  /// "10.0.0.0/16". Rejects host bits set ("10.0.0.1/16"), a missing or bad prefix.
  static std::optional<Cidr> parse(std::string_view s) noexcept;

  constexpr Ipv4Address network() const noexcept { return net_; }
  constexpr int prefix() const noexcept { return prefix_; }
  constexpr std::uint32_t mask() const noexcept {
    return prefix_ == 0 ? 0u : ~std::uint32_t{0} << (32 - prefix_);
  }
  /// Number of addresses, network and broadcast included (2^(32-prefix)).
  constexpr std::uint64_t size() const noexcept { return std::uint64_t{1} << (32 - prefix_); }
  constexpr Ipv4Address broadcast() const noexcept { return Ipv4Address{net_.to_uint() | ~mask()}; }
  constexpr bool contains(Ipv4Address a) const noexcept {
    return (a.to_uint() & mask()) == net_.to_uint();
  }
  /// True when every address of `inner` is in this network.
  constexpr bool contains(const Cidr& inner) const noexcept {
    return inner.prefix_ >= prefix_ && contains(inner.net_);
  }
  std::string to_string() const;
  friend constexpr bool operator==(const Cidr&, const Cidr&) = default;

 private:
  Ipv4Address net_{};
  int prefix_ = 0;
};

}  // namespace mockcloud
