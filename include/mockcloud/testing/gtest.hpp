// GoogleTest and gMock adapter of mockcloud/testing.hpp: a fixture with a fresh Cloud per test,
// matchers that explain themselves with the resource, and PrintTo overloads so that gtest prints
// resources field by field instead of as bytes.
//
//   class VmTest : public mockcloud::testing::CloudTest {};
//
//   TEST_F(VmTest, ComesUpWithAnAddress) {
//     auto vm = cloud.create_vm({.name = "web-1"});
//     cloud.settle();
//     EXPECT_THAT(cloud.vm(vm.id), AllOf(IsRunning(), HasIpIn("10.0.0.0/16")));
//   }
//
// Link GTest::gmock (and GTest::gtest_main or your own main).
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "mockcloud/testing.hpp"

namespace mockcloud {

// gtest finds these by argument-dependent lookup: "Actual: Vm{id=..., status=error, ...}".
inline void PrintTo(const Environment& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const SecurityRule& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const SecurityGroup& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Vm& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Volume& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Task& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Fault& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Error& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(VmStatus v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(VolumeStatus v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(TaskState v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(TaskKind v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Cidr& v, std::ostream* os) {
  *os << v;
}
inline void PrintTo(const Ipv4Address& v, std::ostream* os) {
  *os << v;
}
template <class T>
void PrintTo(const Operation<T>& op, std::ostream* os) {
  *os << op;
}
template <class T>
void PrintTo(const Result<T>& r, std::ostream* os) {
  if (r)
    ::testing::internal::UniversalPrint(*r, os);
  else
    *os << r.error();
}

namespace testing {

/// A fresh Cloud for each test (gtest builds a fixture object per test). Options of your own:
///   class MyTest : public CloudTest { protected: MyTest() : CloudTest({.seed = 7}) {} };
class CloudTest : public ::testing::Test {
 protected:
  explicit CloudTest(CloudOptions options = {}) : cloud(std::move(options)) {}
  Cloud cloud;
};

namespace detail {

template <class T>
concept has_error_field = requires(const T& r) {
  r.error;
};

/// Explains a resource that has another status: "whose status is error (error: "...")".
template <class T>
void explain_status(const T& r, ::testing::MatchResultListener* l) {
  *l << "whose status is " << r.status;
  if constexpr (has_error_field<T>) {
    if (r.error) {
      std::ostringstream quoted;
      print_quoted(quoted, *r.error);
      *l << " (error: " << quoted.str() << ")";
    }
  }
}

template <class Status>
class StatusMatcher {
 public:
  StatusMatcher(Status s, std::string is, std::string is_not)
      : status_(s), is_(std::move(is)), is_not_(std::move(is_not)) {}

  template <class T>
  bool MatchAndExplain(const T& r, ::testing::MatchResultListener* l) const {
    static_assert(std::is_same_v<std::remove_cvref_t<decltype(r.status)>, Status>,
                  "this matcher does not apply to this resource (a VmStatus for a Vm, a "
                  "VolumeStatus for a Volume)");
    if (r.status == status_) return true;
    explain_status(r, l);
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << is_; }
  void DescribeNegationTo(std::ostream* os) const { *os << is_not_; }

 private:
  Status status_;
  std::string is_, is_not_;
};

class StateMatcher {
 public:
  explicit StateMatcher(TaskState s) : state_(s) {}
  bool MatchAndExplain(const Task& t, ::testing::MatchResultListener* l) const {
    if (t.state == state_) return true;
    *l << "whose state is " << t.state;
    if (t.error) *l << " (error: " << *t.error << ")";
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "is a task in state " << state_; }
  void DescribeNegationTo(std::ostream* os) const { *os << "is a task not in state " << state_; }

 private:
  TaskState state_;
};

class IpInMatcher {
 public:
  explicit IpInMatcher(Cidr cidr) : cidr_(cidr) {}
  bool MatchAndExplain(const Vm& vm, ::testing::MatchResultListener* l) const {
    if (!vm.ip_address) {
      *l << "which has no IP address (status " << vm.status << ")";
      return false;
    }
    if (cidr_.contains(*vm.ip_address)) {
      *l << "whose IP address " << *vm.ip_address << " is in " << cidr_;
      return true;
    }
    *l << "whose IP address " << *vm.ip_address << " is outside " << cidr_;
    return false;
  }
  void DescribeTo(std::ostream* os) const { *os << "has an IP address in " << cidr_; }
  void DescribeNegationTo(std::ostream* os) const { *os << "has no IP address in " << cidr_; }

 private:
  Cidr cidr_;
};

class ErrorMatcher {
 public:
  explicit ErrorMatcher(::testing::Matcher<const std::string&> inner) : inner_(std::move(inner)) {}
  template <class T>
  bool MatchAndExplain(const T& r, ::testing::MatchResultListener* l) const {
    if (!r.error) {
      *l << "which has no error";
      return false;
    }
    *l << "whose error is \"" << *r.error << '"';
    ::testing::StringMatchResultListener inner;
    const bool ok = inner_.MatchAndExplain(*r.error, &inner);
    if (!inner.str().empty()) *l << ", " << inner.str();
    return ok;
  }
  void DescribeTo(std::ostream* os) const {
    *os << "has an error that ";
    inner_.DescribeTo(os);
  }
  void DescribeNegationTo(std::ostream* os) const {
    *os << "has no error that ";
    inner_.DescribeTo(os);
  }

 private:
  ::testing::Matcher<const std::string&> inner_;
};

}  // namespace detail

/// A Vm with status `running`.
inline auto IsRunning() {
  return ::testing::MakePolymorphicMatcher(
      detail::StatusMatcher<VmStatus>(VmStatus::running, "is running", "is not running"));
}
/// A Volume with status `available`.
inline auto IsAvailable() {
  return ::testing::MakePolymorphicMatcher(detail::StatusMatcher<VolumeStatus>(
      VolumeStatus::available, "is available", "is not available"));
}
/// A Volume with status `in-use`.
inline auto IsInUse() {
  return ::testing::MakePolymorphicMatcher(
      detail::StatusMatcher<VolumeStatus>(VolumeStatus::in_use, "is in use", "is not in use"));
}
/// A Vm (given a VmStatus) or a Volume (given a VolumeStatus) with that status.
template <class Status>
requires std::is_same_v<Status, VmStatus> || std::is_same_v<Status, VolumeStatus>
auto HasStatus(Status s) {
  const std::string name(mockcloud::to_string(s));
  return ::testing::MakePolymorphicMatcher(
      detail::StatusMatcher<Status>(s, "has status " + name, "does not have status " + name));
}
/// A Task in that state; Succeeded() and Failed() for the usual two.
inline auto HasState(TaskState s) {
  return ::testing::MakePolymorphicMatcher(detail::StateMatcher(s));
}
inline auto Succeeded() {
  return HasState(TaskState::success);
}
inline auto Failed() {
  return HasState(TaskState::failure);
}
/// A Vm whose IP address is in `cidr` (a Cidr, or "10.0.0.0/16": std::invalid_argument if not
/// a network).
inline auto HasIpIn(Cidr cidr) {
  return ::testing::MakePolymorphicMatcher(detail::IpInMatcher(cidr));
}
inline auto HasIpIn(std::string_view cidr) {
  const auto parsed = Cidr::parse(cidr);
  if (!parsed) throw std::invalid_argument("HasIpIn: not a network: " + std::string(cidr));
  return HasIpIn(*parsed);
}
/// A Vm, Volume or Task with an error (that matches `m`, e.g. HasSubstr("injected")).
template <class M>
auto HasError(M m) {
  return ::testing::MakePolymorphicMatcher(
      detail::ErrorMatcher(::testing::SafeMatcherCast<const std::string&>(std::move(m))));
}
inline auto HasError() {
  return HasError(::testing::A<const std::string&>());
}

}  // namespace testing
}  // namespace mockcloud
