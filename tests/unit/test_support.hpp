// Shared helpers of the unit suites: a virtual cloud fixture, field-path builders and printers so
// that failed CHECKs show wire names and timestamps instead of raw numbers.
#pragma once

#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mockcloud/mockcloud.hpp"

namespace mctest {

/// A fresh directory under the system's temporary one, removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("mockcloud-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

/// A store's records of one kind, the transactions that wrote them, and the most records in one
/// of them (store_contract.hpp).
struct CommitStats {
  std::int64_t records = 0, commits = 0, largest = 0;
};

using namespace std::chrono_literals;
using mockcloud::PathElement;

inline PathElement path_element(const char* s) {
  return std::string(s);
}
inline PathElement path_element(std::string s) {
  return s;
}
template <class I>
requires std::is_integral_v<I>
inline PathElement path_element(I i) {
  return static_cast<std::size_t>(i);
}

/// loc("rules", 0, "protocol") -> {"rules", size_t{0}, "protocol"}
template <class... A>
std::vector<PathElement> loc(A... a) {
  return {path_element(a)...};
}

inline std::string loc_string(const std::vector<PathElement>& l) {
  std::string out = "[";
  for (std::size_t i = 0; i < l.size(); ++i) {
    if (i) out += ",";
    if (auto* s = std::get_if<std::string>(&l[i]))
      out += "\"" + *s + "\"";
    else
      out += std::to_string(std::get<std::size_t>(l[i]));
  }
  return out + "]";
}

inline std::string describe(const mockcloud::Error& e) {
  std::string out =
      "kind=" + std::to_string(static_cast<int>(e.kind)) + " msg=\"" + e.message + "\" fields=";
  for (auto& f : e.fields)
    out += loc_string(f.loc) + "(" + f.type + ": " + f.msg + ") ";
  return out;
}

/// The field errors' locations, in the order reported.
inline std::vector<std::string> locs(const mockcloud::Error& e) {
  std::vector<std::string> out;
  for (auto& f : e.fields)
    out.push_back(loc_string(f.loc));
  return out;
}

inline const mockcloud::FieldError* find_field(const mockcloud::Error& e,
                                               const std::vector<PathElement>& l) {
  for (auto& f : e.fields)
    if (f.loc == l) return &f;
  return nullptr;
}

/// True when some field error's loc starts with `prefix`.
inline bool has_field_prefix(const mockcloud::Error& e, const std::vector<PathElement>& prefix) {
  for (auto& f : e.fields)
    if (f.loc.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), f.loc.begin()))
      return true;
  return false;
}

inline std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

inline bool contains_ci(std::string_view hay, std::string_view needle) {
  return lower(std::string(hay)).find(lower(std::string(needle))) != std::string::npos;
}

/// Canonical lower-case UUID with version nibble 4 and variant 10xx.
inline bool is_uuid_v4(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
      return false;
    }
  }
  return s[14] == '4' && (s[19] == '8' || s[19] == '9' || s[19] == 'a' || s[19] == 'b');
}

/// Settings with fixed durations and no failures unless asked: fast, predictable tests.
inline mockcloud::Settings fixed_settings(double failure_rate = 0.0, double create_s = 10.0,
                                          double delete_s = 2.0) {
  mockcloud::Settings s;
  s.worker_failure_rate = failure_rate;
  s.vm_creation_time_min = s.vm_creation_time_max = create_s;
  s.volume_creation_time_min = s.volume_creation_time_max = create_s;
  s.vm_deletion_time_min = s.vm_deletion_time_max = delete_s;
  s.volume_deletion_time_min = s.volume_deletion_time_max = delete_s;
  return s;
}

/// A manager on its own virtual clock; the clock is declared first so that it outlives the manager.
/// Fails the test case for each invariant the manager breaks (ResourceManager::check_invariants).
inline void check_invariants(const mockcloud::ResourceManager& cloud) {
  const auto violations = cloud.check_invariants();
  for (const auto& v : violations)
    FAIL_CHECK("invariant " << v.kind << ": " << v.message);
  CHECK(violations.empty());
}

struct VirtualCloud {
  mockcloud::VirtualClock clock;
  mockcloud::ResourceManager cloud;

  explicit VirtualCloud(mockcloud::ManagerOptions o = {.seed = 42, .settings = {}})
      : clock(), cloud(std::move(o), clock) {}
  explicit VirtualCloud(mockcloud::Settings s, std::uint64_t seed = 42)
      : clock(), cloud({.seed = seed, .settings = s}, clock) {}

  mockcloud::Environment env(const std::string& name, const std::string& cidr = "10.0.0.0/16") {
    auto r = cloud.create_environment({.name = name, .cidr = cidr, .description = ""});
    REQUIRE_MESSAGE(r.has_value(), describe(r.error()));
    return r.value();
  }
  mockcloud::Operation<mockcloud::Vm> vm(const std::string& name, const std::string& env_id) {
    mockcloud::VmSpec spec;
    spec.name = name;
    spec.environment_id = env_id;
    auto r = cloud.create_vm(spec);
    REQUIRE_MESSAGE(r.has_value(), describe(r.error()));
    return std::move(r).value();
  }
  mockcloud::Operation<mockcloud::Volume> volume(const std::string& name,
                                                 const std::string& env_id) {
    mockcloud::VolumeSpec spec;
    spec.name = name;
    spec.environment_id = env_id;
    auto r = cloud.create_volume(spec);
    REQUIRE_MESSAGE(r.has_value(), describe(r.error()));
    return std::move(r).value();
  }
  /// A VM that is running (fails the test otherwise).
  mockcloud::Vm running_vm(const std::string& name, const std::string& env_id) {
    auto op = vm(name, env_id);
    clock.run_until_idle();
    auto v = op.get();
    REQUIRE(v.status == mockcloud::VmStatus::running);
    return v;
  }
  mockcloud::Volume available_volume(const std::string& name, const std::string& env_id) {
    auto op = volume(name, env_id);
    clock.run_until_idle();
    auto v = op.get();
    REQUIRE(v.status == mockcloud::VolumeStatus::available);
    return v;
  }
};

/// The kind of the mockcloud::Exception that `f` throws; nullopt when it throws none.
template <class F>
std::optional<mockcloud::ErrorKind> thrown_kind(F&& f) {
  try {
    f();
  } catch (const mockcloud::Exception& e) {
    return e.kind();
  }
  return std::nullopt;
}

inline mockcloud::TimePoint at(std::string_view rfc3339) {
  auto t = mockcloud::parse_rfc3339(rfc3339);
  REQUIRE(t.has_value());
  return *t;
}

}  // namespace mctest

using namespace std::chrono_literals;

namespace doctest {
template <>
struct StringMaker<mockcloud::ErrorKind> {
  static String convert(mockcloud::ErrorKind k) {
    switch (k) {
      case mockcloud::ErrorKind::not_found:
        return "not_found";
      case mockcloud::ErrorKind::conflict:
        return "conflict";
      case mockcloud::ErrorKind::invalid:
        return "invalid";
      case mockcloud::ErrorKind::not_settled:
        return "not_settled";
      case mockcloud::ErrorKind::cancelled:
        return "cancelled";
    }
    return "ErrorKind(?)";
  }
};
#define MCTEST_WIRE_NAME(T)                                                                     \
  template <>                                                                                   \
  struct StringMaker<T> {                                                                       \
    static String convert(T v) { return String(std::string(mockcloud::to_string(v)).c_str()); } \
  };
MCTEST_WIRE_NAME(mockcloud::VmStatus)
MCTEST_WIRE_NAME(mockcloud::VolumeStatus)
MCTEST_WIRE_NAME(mockcloud::TaskState)
MCTEST_WIRE_NAME(mockcloud::TaskKind)
MCTEST_WIRE_NAME(mockcloud::Direction)
MCTEST_WIRE_NAME(mockcloud::Protocol)
MCTEST_WIRE_NAME(mockcloud::VolumeType)
#undef MCTEST_WIRE_NAME
template <>
struct StringMaker<mockcloud::Ipv4Address> {
  static String convert(mockcloud::Ipv4Address a) { return a.to_string().c_str(); }
};
template <>
struct StringMaker<std::optional<mockcloud::Ipv4Address>> {
  static String convert(const std::optional<mockcloud::Ipv4Address>& a) {
    return a ? a->to_string().c_str() : "null";
  }
};
template <>
struct StringMaker<mockcloud::Cidr> {
  static String convert(const mockcloud::Cidr& c) { return c.to_string().c_str(); }
};
template <>
struct StringMaker<mockcloud::TimePoint> {
  static String convert(mockcloud::TimePoint t) { return mockcloud::format_rfc3339(t).c_str(); }
};
template <>
struct StringMaker<mockcloud::Duration> {
  static String convert(mockcloud::Duration d) {
    return (std::to_string(mockcloud::to_seconds(d)) + "s").c_str();
  }
};
}  // namespace doctest
