// The host addresses of one environment's network: a bitmap, with the network and broadcast
// addresses marked taken. Finding a free address from a preferred one scans 64 addresses a step,
// so even a nearly full /16 (1,024 words) needs no retry loop of random draws.
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <vector>

#include "mockcloud/net.hpp"

namespace mockcloud::detail {

class IpPool {
 public:
  IpPool() = default;
  explicit IpPool(const Cidr& cidr)
      : cidr_(cidr), words_((cidr.size() + 63) / 64, 0), free_(cidr.size() - 2) {
    set(0);
    set(cidr.size() - 1);
    for (std::uint64_t i = cidr.size(); i < words_.size() * 64; ++i)
      set(i);  // past a small net
  }

  /// Number of host addresses (network and broadcast excluded).
  std::uint64_t hosts() const noexcept { return cidr_.size() - 2; }

  /// The host with offset `preferred` (1..size-2) or, if taken, the next free one after it
  /// (wrapping). nullopt when the network is full.
  std::optional<Ipv4Address> peek(std::uint64_t preferred) const {
    if (free_ == 0) return std::nullopt;
    const std::uint64_t size = cidr_.size();
    std::uint64_t word = preferred / 64;
    // First word: only bits at or above the preferred offset.
    std::uint64_t candidates = ~words_[word] & (~std::uint64_t{0} << (preferred % 64));
    for (std::size_t step = 0; step <= words_.size(); ++step) {
      if (candidates) {
        const std::uint64_t offset = word * 64 + std::countr_zero(candidates);
        if (offset < size)
          return Ipv4Address{cidr_.network().to_uint() + static_cast<std::uint32_t>(offset)};
      }
      word = (word + 1) % words_.size();
      candidates = ~words_[word];
    }
    return std::nullopt;
  }

  /// Takes what peek(preferred) gives.
  std::optional<Ipv4Address> take(std::uint64_t preferred) {
    auto a = peek(preferred);
    if (a) take_exact(*a);
    return a;
  }

  /// Takes `a`; false when it is not a free host address of the network.
  bool take_exact(Ipv4Address a) {
    const std::uint64_t offset = a.to_uint() - cidr_.network().to_uint();
    if (!cidr_.contains(a) || test(offset)) return false;
    set(offset);
    --free_;
    return true;
  }

  /// Whether `a` is a host address of the network that is taken.
  bool taken(Ipv4Address a) const {
    const std::uint64_t offset = a.to_uint() - cidr_.network().to_uint();
    return cidr_.contains(a) && offset != 0 && offset < cidr_.size() - 1 && test(offset);
  }
  /// How many host addresses are taken.
  std::uint64_t used() const noexcept { return hosts() - free_; }

  void release(Ipv4Address a) {
    const std::uint64_t offset = a.to_uint() - cidr_.network().to_uint();
    if (offset == 0 || offset >= cidr_.size() - 1 || !test(offset)) return;
    words_[offset / 64] &= ~(std::uint64_t{1} << (offset % 64));
    ++free_;
  }

 private:
  bool test(std::uint64_t i) const { return words_[i / 64] >> (i % 64) & 1; }
  void set(std::uint64_t i) { words_[i / 64] |= std::uint64_t{1} << (i % 64); }

  Cidr cidr_;
  std::vector<std::uint64_t> words_;
  std::uint64_t free_ = 0;
};

}  // namespace mockcloud::detail
