// A compact binary encoding for journal records: varints, length-prefixed strings, doubles.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "mockcloud/store.hpp"

namespace mockcloud::detail {

class Writer {
 public:
  Writer& u64(std::uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(static_cast<char>(v | 0x80));
      v >>= 7;
    }
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& i64(std::int64_t v) {
    return u64((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
  }
  Writer& f64(double v) {
    char b[8];
    std::memcpy(b, &v, 8);
    out_.append(b, 8);
    return *this;
  }
  Writer& str(std::string_view s) {
    u64(s.size());
    out_.append(s);
    return *this;
  }
  template <class T>
  Writer& opt(const std::optional<T>& v) {
    u64(v.has_value());
    if (v) put(*v);
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  void put(std::int64_t v) { i64(v); }
  void put(int v) { i64(v); }
  void put(double v) { f64(v); }
  void put(const std::string& v) { str(v); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      const auto b = static_cast<unsigned char>(in_[0]);
      in_.remove_prefix(1);
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
    throw StoreError("journal record is corrupt (bad varint)");
  }
  std::int64_t i64() {
    const auto u = u64();
    return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
  }
  double f64() {
    need(8);
    double v;
    std::memcpy(&v, in_.data(), 8);
    in_.remove_prefix(8);
    return v;
  }
  std::string str() {
    const auto n = u64();
    need(n);
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  template <class T>
  std::optional<T> opt() {
    if (!u64()) return std::nullopt;
    if constexpr (std::is_same_v<T, double>)
      return f64();
    else if constexpr (std::is_same_v<T, std::string>)
      return str();
    else
      return static_cast<T>(i64());
  }

 private:
  void need(std::uint64_t n) const {
    if (in_.size() < n) throw StoreError("journal record is corrupt (truncated)");
  }
  std::string_view in_;
};

}  // namespace mockcloud::detail

#include "mockcloud/faults.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"

namespace mockcloud::detail {

// The bodies of journal records (persistence.cpp).
std::string encode(const EnvironmentSpec& s);
std::string encode(const SecurityGroupSpec& s);
std::string encode(const VmSpec& s);
std::string encode(const VolumeSpec& s);
std::string encode(const FaultSpec& s);
std::string encode(const Settings& s);
std::string encode_reset(std::uint64_t seed, const Settings& s);

}  // namespace mockcloud::detail
