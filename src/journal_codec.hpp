// A compact binary encoding for journal records: varints, length-prefixed strings, doubles; and
// encode()/decode() of any described struct, member by member in declaration order.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>
#include <boost/describe/members.hpp>
#include <boost/mp11/algorithm.hpp>

#include "mockcloud/describe.hpp"
#include "mockcloud/random.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"
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
  std::size_t remaining() const noexcept { return in_.size(); }
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

// ---- described structs ----

template <class T>
void encode(Writer& w, const T& v);
template <class T>
void decode(Reader& r, T& v);

template <class T>
void encode(Writer& w, const T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    w.u64(v);
  } else if constexpr (std::is_enum_v<T>) {
    w.str(wire::enum_name(v));  // by wire name: a reordered enum keeps old journals readable
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    w.i64(v);
  } else if constexpr (std::is_integral_v<T>) {
    w.u64(v);
  } else if constexpr (std::is_same_v<T, double>) {
    w.f64(v);
  } else if constexpr (std::is_same_v<T, std::string>) {
    w.str(v);
  } else if constexpr (std::is_same_v<T, TimePoint>) {
    w.i64(v.time_since_epoch().count());
  } else if constexpr (std::is_same_v<T, Uuid>) {
    w.u64(v.hi).u64(v.lo);
  } else if constexpr (std::is_same_v<T, Settings>) {
    for (const auto& f : setting_fields())
      w.f64(v.*f.member);
  } else if constexpr (wire::is_optional<T>) {
    w.u64(v.has_value());
    if (v) encode(w, *v);
  } else if constexpr (wire::is_vector<T>) {
    w.u64(v.size());
    for (const auto& e : v)
      encode(w, e);
  } else {
    static_assert(wire::is_described<T>, "no journal encoding for this type");
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>([&](auto m) { encode(w, v.*m.pointer); });
  }
}

template <class T>
void decode(Reader& r, T& v) {
  if constexpr (std::is_same_v<T, bool>) {
    v = r.u64() != 0;
  } else if constexpr (std::is_enum_v<T>) {
    const auto name = r.str();
    const auto e = wire::enum_from_name<T>(name);
    if (!e) throw StoreError(fmt::format("journal record is corrupt (unknown value '{}')", name));
    v = *e;
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    v = static_cast<T>(r.i64());
  } else if constexpr (std::is_integral_v<T>) {
    v = static_cast<T>(r.u64());
  } else if constexpr (std::is_same_v<T, double>) {
    v = r.f64();
  } else if constexpr (std::is_same_v<T, std::string>) {
    v = r.str();
  } else if constexpr (std::is_same_v<T, TimePoint>) {
    v = TimePoint{Duration{r.i64()}};
  } else if constexpr (std::is_same_v<T, Uuid>) {
    v.hi = r.u64();
    v.lo = r.u64();
  } else if constexpr (std::is_same_v<T, Settings>) {
    for (const auto& f : setting_fields())
      v.*f.member = r.f64();
  } else if constexpr (wire::is_optional<T>) {
    if (r.u64())
      decode(r, v.emplace());
    else
      v.reset();
  } else if constexpr (wire::is_vector<T>) {
    const auto n = r.u64();
    if (n > r.remaining()) throw StoreError("journal record is corrupt (size)");  // >= 1 byte each
    v.assign(n, {});
    for (auto& e : v)
      decode(r, e);
  } else {
    static_assert(wire::is_described<T>, "no journal decoding for this type");
    // Members are only ever added last: a record written before one was added ends before it,
    // and the member keeps its default.
    using Members = boost::describe::describe_members<T, boost::describe::mod_public>;
    boost::mp11::mp_for_each<Members>([&](auto m) {
      if (r.remaining() != 0) decode(r, v.*m.pointer);
    });
  }
}

/// The body of a record.
template <class T>
std::string encode(const T& v) {
  Writer w;
  encode(w, v);
  return w.take();
}

}  // namespace mockcloud::detail
