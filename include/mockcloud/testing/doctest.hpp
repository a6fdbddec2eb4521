// doctest adapter of mockcloud/testing.hpp: a fixture for TEST_CASE_FIXTURE (a fresh Cloud per
// test case and per subcase run), and stringification of the resources and enums so that a
// failed CHECK shows them: CHECK(vm.status == VmStatus::running) reports "error == running",
// CHECK_EQ(vm, expected) both VMs field by field.
//
//   TEST_CASE_FIXTURE(mockcloud::testing::CloudFixture, "a VM comes up") {
//     auto vm = cloud.create_vm({.name = "web-1"});
//     cloud.settle();
//     CHECK(cloud.vm(vm.id).status == mockcloud::VmStatus::running);
//   }
//
// Include it after <doctest/doctest.h>; link doctest::doctest.
#pragma once

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "mockcloud/testing.hpp"

namespace mockcloud {

// doctest stringifies enums as their underlying integer (a uint8_t: a control character); these
// overloads, found by argument-dependent lookup, give the wire names instead.
inline doctest::String toString(VmStatus v) {
  return std::string(to_string(v)).c_str();
}
inline doctest::String toString(VolumeStatus v) {
  return std::string(to_string(v)).c_str();
}
inline doctest::String toString(TaskState v) {
  return std::string(to_string(v)).c_str();
}
inline doctest::String toString(TaskKind v) {
  return std::string(to_string(v)).c_str();
}
inline doctest::String toString(VolumeType v) {
  return std::string(to_string(v)).c_str();
}
inline doctest::String toString(Direction v) {
  return std::string(to_string(v)).c_str();
}
inline doctest::String toString(Protocol v) {
  return std::string(to_string(v)).c_str();
}

namespace testing {

/// For TEST_CASE_FIXTURE: the test case's body is a member of a class derived from it, so it
/// uses `cloud` directly. Options of your own:
///   struct Seeded : CloudFixture { Seeded() : CloudFixture({.seed = 7}) {} };
struct CloudFixture {
  explicit CloudFixture(CloudOptions options = {}) : cloud(std::move(options)) {}
  Cloud cloud;
};

namespace detail {
template <class T>
doctest::String to_doctest_string(const T& v) {
  return mockcloud::testing::to_string(v).c_str();
}
}  // namespace detail

}  // namespace testing
}  // namespace mockcloud

namespace doctest {
template <>
struct StringMaker<mockcloud::Environment> {
  static String convert(const mockcloud::Environment& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::SecurityRule> {
  static String convert(const mockcloud::SecurityRule& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::SecurityGroup> {
  static String convert(const mockcloud::SecurityGroup& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::Vm> {
  static String convert(const mockcloud::Vm& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::Volume> {
  static String convert(const mockcloud::Volume& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::Task> {
  static String convert(const mockcloud::Task& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::Fault> {
  static String convert(const mockcloud::Fault& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::Error> {
  static String convert(const mockcloud::Error& v) {
    return mockcloud::testing::detail::to_doctest_string(v);
  }
};
template <>
struct StringMaker<mockcloud::Cidr> {
  static String convert(const mockcloud::Cidr& v) { return v.to_string().c_str(); }
};
template <>
struct StringMaker<mockcloud::Ipv4Address> {
  static String convert(const mockcloud::Ipv4Address& v) { return v.to_string().c_str(); }
};
}  // namespace doctest
