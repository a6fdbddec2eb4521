// Test fixtures for suites that use libmockcloud, with no test framework dependency (adapters:
// mockcloud/testing/gtest.hpp, mockcloud/testing/doctest.hpp).
//
//   mockcloud::testing::Cloud cloud;                 // seed 42, no random failures
//   auto vm = cloud.create_vm({.name = "web-1"});    // in a default environment
//   cloud.settle();                                  // every pending completion, in virtual time
//   assert(cloud.vm(vm.id).status == mockcloud::VmStatus::running);
//
// - Cloud owns a TestClock (a virtual clock that can tell when its next action is due) and a
//   ResourceManager on it; reset() empties both and rewinds the clock.
// - settle(), advance(d) and advance_until(pred, limit) move virtual time deadline by deadline.
// - fail_next(kind, n) makes the next n operations of that kind fail; clear_faults() undoes it.
// - The creators (create_environment, create_vm, create_volume, attach, ...) return values and
//   throw mockcloud::Exception with what was asked and why it failed.
// - operator<< and to_string print every described field of a resource (describe.hpp), enums by
//   their wire names, so that a failed assertion shows the resource.
//
// Needs the Boost headers (Boost.Describe, 1.81 or later), like mockcloud/describe.hpp.
#pragma once

#include <algorithm>
#include <atomic>
#include <boost/describe.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mockcloud/clock.hpp"
#include "mockcloud/describe.hpp"
#include "mockcloud/error.hpp"
#include "mockcloud/faults.hpp"
#include "mockcloud/manager.hpp"
#include "mockcloud/net.hpp"
#include "mockcloud/operation.hpp"
#include "mockcloud/resources.hpp"
#include "mockcloud/settings.hpp"
#include "mockcloud/time.hpp"

namespace mockcloud {

namespace testing::detail {

template <class T>
inline constexpr std::string_view type_name = {};
template <>
inline constexpr std::string_view type_name<Environment> = "Environment";
template <>
inline constexpr std::string_view type_name<SecurityRule> = "SecurityRule";
template <>
inline constexpr std::string_view type_name<SecurityGroup> = "SecurityGroup";
template <>
inline constexpr std::string_view type_name<Vm> = "Vm";
template <>
inline constexpr std::string_view type_name<Volume> = "Volume";
template <>
inline constexpr std::string_view type_name<Task> = "Task";
template <>
inline constexpr std::string_view type_name<Fault> = "Fault";

template <class>
inline constexpr bool dependent_false = false;

inline void print_quoted(std::ostream& os, std::string_view s) {
  os << '"';
  for (const char c : s) {
    if (c == '"' || c == '\\') {
      os << '\\' << c;
    } else if (c == '\n') {
      os << "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      const char* hex = "0123456789abcdef";
      os << "\\x" << hex[(c >> 4) & 0xf] << hex[c & 0xf];
    } else {
      os << c;
    }
  }
  os << '"';
}

/// One field's value: strings quoted, enums by their wire names, times in RFC 3339, addresses
/// and networks dotted, an empty optional as null, vectors in brackets, described structs as
/// Name{field=value, ...}.
template <class T>
void print_value(std::ostream& os, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    print_quoted(os, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    os << (v ? "true" : "false");
  } else if constexpr (std::is_enum_v<T>) {
    if constexpr (boost::describe::has_describe_enumerators<T>::value)
      os << wire::enum_name(v);
    else
      os << static_cast<long long>(v);
  } else if constexpr (std::is_arithmetic_v<T>) {
    os << +v;
  } else if constexpr (std::is_same_v<T, TimePoint>) {
    os << format_rfc3339(v);
  } else if constexpr (std::is_same_v<T, Ipv4Address> || std::is_same_v<T, Cidr>) {
    os << v.to_string();
  } else if constexpr (wire::is_optional<T>) {
    if (v)
      print_value(os, *v);
    else
      os << "null";
  } else if constexpr (wire::is_vector<T>) {
    os << '[';
    for (std::size_t i = 0; i < v.size(); ++i) {
      if (i) os << ", ";
      print_value(os, v[i]);
    }
    os << ']';
  } else if constexpr (boost::describe::has_describe_members<T>::value) {
    os << type_name<T> << '{';
    bool first = true;
    boost::mp11::mp_for_each<boost::describe::describe_members<T, boost::describe::mod_any_access>>(
        [&](auto member) {
          if (!first) os << ", ";
          first = false;
          os << member.name << '=';
          print_value(os, v.*member.pointer);
        });
    os << '}';
  } else {
    static_assert(dependent_false<T>, "no printer for this field type");
  }
}

inline std::string_view kind_name(ErrorKind k) noexcept {
  return wire::enum_name<ErrorKind, wire::Spelling::identity>(k);
}

inline void print_error(std::ostream& os, const Error& e) {
  os << "Error{kind=" << kind_name(e.kind) << ", message=";
  print_quoted(os, e.message);
  if (!e.fields.empty()) {
    os << ", fields=[";
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
      if (i) os << ", ";
      for (std::size_t j = 0; j < e.fields[i].loc.size(); ++j) {
        if (j) os << '.';
        if (const auto* s = std::get_if<std::string>(&e.fields[i].loc[j]))
          os << *s;
        else
          os << std::get<std::size_t>(e.fields[i].loc[j]);
      }
      os << ": " << e.fields[i].msg << " (" << e.fields[i].type << ')';
    }
    os << ']';
  }
  os << '}';
}

}  // namespace testing::detail

// Printers, found by argument-dependent lookup (so by gtest, doctest, Catch2, fmt's ostream
// support, ...): every field, in describe.hpp's order.
inline std::ostream& operator<<(std::ostream& os, const Environment& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const SecurityRule& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const SecurityGroup& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const Vm& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const Volume& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const Task& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const Fault& v) {
  testing::detail::print_value(os, v);
  return os;
}
inline std::ostream& operator<<(std::ostream& os, const Error& e) {
  testing::detail::print_error(os, e);
  return os;
}
template <class T>
std::ostream& operator<<(std::ostream& os, const Operation<T>& op) {
  os << "Operation{task_id=";
  testing::detail::print_quoted(os, op.task_id());
  return os << ", resource=" << op.resource() << '}';
}
// The enums by their wire names ("in-use", "SUCCESS", "vm.create").
inline std::ostream& operator<<(std::ostream& os, VmStatus v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, VolumeStatus v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, TaskState v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, TaskKind v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, VolumeType v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, Direction v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, Protocol v) {
  return os << to_string(v);
}
inline std::ostream& operator<<(std::ostream& os, const Cidr& v) {
  return os << v.to_string();
}
inline std::ostream& operator<<(std::ostream& os, const Ipv4Address& v) {
  return os << v.to_string();
}

namespace testing {

/// `Vm{id="...", name="web-1", ..., status=running, ...}`: what operator<< prints.
template <class T>
std::string to_string(const T& value) {
  std::ostringstream os;
  os << value;
  return std::move(os).str();
}

/// Thrown when virtual time runs out: advance_until's limit passed, or settle() met an action
/// that keeps rescheduling itself.
class Timeout : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A virtual clock that also knows when its next action is due, so that tests can move time
/// deadline by deadline and stop as soon as a condition holds. A ResourceManager on it works as
/// on a VirtualClock, except that ResourceManager::reset() does not rewind it: call rewind()
/// (Cloud::reset() does both).
class TestClock final : public Clock {
 public:
  explicit TestClock(TimePoint start = VirtualClock::default_start()) : inner_(start) {}

  TimePoint now() const override { return inner_.now(); }
  ClockMode mode() const noexcept override { return ClockMode::virtual_; }

  TimerId schedule_at(TimePoint due, Action action) override {
    std::lock_guard lock(mutex_);  // the action's forget() waits until it is recorded
    const TimerId id = ++last_id_;
    const auto inner = inner_.schedule_at(due, [this, id, action = std::move(action)] {
      forget(id);
      action();
    });
    timers_.emplace(id, Timer{due, inner});
    dues_.insert(due);
    return id;
  }

  bool cancel(TimerId id) override {
    std::lock_guard lock(mutex_);
    const auto it = timers_.find(id);
    if (it == timers_.end() || !inner_.cancel(it->second.inner)) return false;
    dues_.erase(dues_.find(it->second.due));
    timers_.erase(it);
    return true;
  }

  std::size_t pending() const override { return inner_.pending(); }

  /// Cancels every pending action (the cloud's and any other); returns how many.
  std::size_t cancel_all() {
    std::lock_guard lock(mutex_);
    std::size_t cancelled = 0;
    for (auto it = timers_.begin(); it != timers_.end();) {
      if (inner_.cancel(it->second.inner)) {
        ++cancelled;
        dues_.erase(dues_.find(it->second.due));
        it = timers_.erase(it);
      } else {
        ++it;  // firing now: its forget() removes it
      }
    }
    return cancelled;
  }

  /// When the earliest pending action is due; nullopt when none is.
  std::optional<TimePoint> next_due() const {
    std::lock_guard lock(mutex_);
    if (dues_.empty()) return std::nullopt;
    return *dues_.begin();
  }

  // As VirtualClock's: each returns how many actions ran.
  std::size_t advance(Duration d) { return inner_.advance(d); }
  std::size_t advance_to(TimePoint t) { return inner_.advance_to(t); }
  std::size_t run_until_idle() { return inner_.run_until_idle(); }
  void rewind() { inner_.rewind(); }
  TimePoint start() const noexcept { return inner_.start(); }

 private:
  struct Timer {
    TimePoint due;
    TimerId inner;
  };
  void forget(TimerId id) {
    std::lock_guard lock(mutex_);
    if (const auto it = timers_.find(id); it != timers_.end()) {
      dues_.erase(dues_.find(it->second.due));
      timers_.erase(it);
    }
  }

  VirtualClock inner_;
  mutable std::mutex mutex_;  // guards what follows
  TimerId last_id_ = 0;
  std::map<TimerId, Timer> timers_;
  std::multiset<TimePoint> dues_;
};

struct CloudOptions {
  std::uint64_t seed = 42;
  /// The defaults of a test cloud: those of Settings, but no random worker failures, so that a
  /// creation fails only where a test says so (fail_next). Set worker_failure_rate to bring them
  /// back.
  Settings settings = [] {
    Settings s;
    s.worker_failure_rate = 0.0;
    return s;
  }();
  TimePoint start = VirtualClock::default_start();
  /// The default environment of create_vm/create_volume (created on first use).
  EnvironmentSpec environment{.name = "test", .cidr = "10.0.0.0/16", .description = {}};
  /// settle() and advance_until() give up (Timeout) after this many deadlines: only an action
  /// that keeps rescheduling itself gets there.
  std::size_t max_steps = 100'000;
};

/// A cloud for one test: a TestClock and a ResourceManager on it. Not copyable or movable (the
/// manager refers to the clock).
class Cloud {
 public:
  explicit Cloud(CloudOptions options = {})
      : options_(std::move(options)), clock_(options_.start), manager_(manager_options(), clock_) {}
  Cloud(const Cloud&) = delete;
  Cloud& operator=(const Cloud&) = delete;

  ResourceManager& manager() noexcept { return manager_; }
  const ResourceManager& manager() const noexcept { return manager_; }
  TestClock& clock() noexcept { return clock_; }
  TimePoint now() const { return clock_.now(); }
  const CloudOptions& options() const noexcept { return options_; }

  /// Everything gone (resources, tasks, faults, the default environment), the settings and seed
  /// back to the options', the clock back to its start with nothing pending (actions scheduled
  /// on it by code under test are cancelled too).
  void reset() {
    manager_.reset(options_.seed);  // cancels its own timers
    clock_.cancel_all();
    clock_.rewind();
    default_environment_.reset();
    names_.clear();
  }

  // ---- time ----

  /// Moves time to each pending deadline in turn until nothing is pending. Returns how many tasks
  /// settled on the way.
  std::size_t settle() {
    const std::size_t before = settled_;
    std::size_t steps = 0;
    while (const auto next = clock_.next_due()) {
      if (++steps > options_.max_steps)
        throw Timeout("settle(): still busy after " + std::to_string(options_.max_steps) +
                      " deadlines (an action keeps rescheduling itself?), now " +
                      format_rfc3339(now()));
      clock_.advance_to(std::max(*next, now()));
    }
    return settled_ - before;
  }

  /// Moves time forward by `d`, firing what falls due. Returns how many tasks settled.
  std::size_t advance(Duration d) {
    const std::size_t before = settled_;
    clock_.advance(d);
    return settled_ - before;
  }

  /// Moves time deadline by deadline until `pred()` holds, at most `limit` ahead; checks `pred`
  /// before moving and after each deadline. Returns whether it holds; time is then where it
  /// first held, or `limit` ahead.
  template <class Pred>
  bool try_advance_until(Pred&& pred, Duration limit) {
    const TimePoint deadline = now() + limit;
    std::size_t steps = 0;
    while (!static_cast<bool>(pred())) {
      const auto next = clock_.next_due();
      if (!next || *next > deadline) {
        clock_.advance_to(deadline);
        return static_cast<bool>(pred());
      }
      if (++steps > options_.max_steps)
        throw Timeout("advance_until(): over " + std::to_string(options_.max_steps) +
                      " deadlines before the limit (an action keeps rescheduling itself?)");
      clock_.advance_to(std::max(*next, now()));
    }
    return true;
  }

  /// As try_advance_until, but throws Timeout when `limit` passes, saying what was awaited
  /// (`what`), from when to when, how many tasks settled meanwhile and what is due next.
  /// Returns how much virtual time it took.
  template <class Pred>
  Duration advance_until(Pred&& pred, Duration limit, std::string_view what = "the condition") {
    const TimePoint from = now();
    const std::size_t settled_before = settled_;
    if (try_advance_until(std::forward<Pred>(pred), limit)) return now() - from;
    std::ostringstream msg;
    msg << "advance_until(): " << what << " still false after "
        << std::chrono::duration_cast<std::chrono::milliseconds>(limit).count()
        << " ms of virtual time (" << format_rfc3339(from) << " to " << format_rfc3339(now())
        << "); " << (settled_ - settled_before) << " task(s) settled meanwhile; ";
    if (const auto next = clock_.next_due())
      msg << "next deadline " << format_rfc3339(*next);
    else
      msg << "nothing pending";
    throw Timeout(msg.str());
  }

  // ---- faults ----

  /// The next `n` operations of `kind` fail when they complete (vm.create: the VM goes to error
  /// with "injected fault: vm.create failed").
  Fault fail_next(TaskKind kind, std::int64_t n = 1) {
    FaultSpec spec;
    spec.operation = kind;
    spec.fail_next = n;
    return value(manager_.add_fault(spec), "fail_next(", to_string(kind), ")");
  }
  void clear_faults() { manager_.clear_faults(); }

  /// Applies settings by their wire names: cloud.set({{"vm_creation_time_max", 90}}).
  Settings set(std::vector<std::pair<std::string, double>> values) {
    return value(manager_.update_settings({std::move(values)}), "update_settings");
  }

  // ---- creators: values, or mockcloud::Exception saying what was asked and why it failed ----

  Environment create_environment(EnvironmentSpec spec) {
    return value(manager_.create_environment(spec), "create_environment(name=\"", spec.name, "\")");
  }
  /// The environment of create_vm/create_volume when their spec names none; created from
  /// options().environment on first use.
  const Environment& environment() {
    if (!default_environment_) default_environment_ = create_environment(options_.environment);
    return *default_environment_;
  }
  SecurityGroup create_security_group(SecurityGroupSpec spec) {
    if (spec.environment_id.empty()) spec.environment_id = environment().id;
    if (spec.name.empty()) spec.name = next_name("sg");
    return value(manager_.create_security_group(spec), "create_security_group(name=\"", spec.name,
                 "\")");
  }

  /// Starts a creation (in the default environment, named vm-N, unless the spec says). Returns
  /// the VM as accepted (creating); settle() or advance it.
  Vm create_vm(VmSpec spec = {}) { return start_vm(std::move(spec)).resource(); }
  Operation<Vm> start_vm(VmSpec spec = {}) {
    if (spec.environment_id.empty()) spec.environment_id = environment().id;
    if (spec.name.empty()) spec.name = next_name("vm");
    return value(manager_.create_vm(spec), "create_vm(name=\"", spec.name, "\")");
  }
  /// create_vm, then time until it is running; throws if it fails or takes longer than the
  /// longest creation time.
  Vm create_running_vm(VmSpec spec = {}) {
    const Vm vm = create_vm(std::move(spec));
    await_settled(vm.task_id, seconds_to_duration(manager_.settings().vm_creation_time_max),
                  "VM " + vm.name);
    Vm now = this->vm(vm.id);
    if (now.status != VmStatus::running)
      throw Exception(Error::conflict("create_running_vm: " + to_string(now)));
    return now;
  }

  Volume create_volume(VolumeSpec spec = {}) { return start_volume(std::move(spec)).resource(); }
  Operation<Volume> start_volume(VolumeSpec spec = {}) {
    if (spec.environment_id.empty()) spec.environment_id = environment().id;
    if (spec.name.empty()) spec.name = next_name("vol");
    return value(manager_.create_volume(spec), "create_volume(name=\"", spec.name, "\")");
  }
  Volume create_available_volume(VolumeSpec spec = {}) {
    const Volume vol = create_volume(std::move(spec));
    await_settled(vol.task_id, seconds_to_duration(manager_.settings().volume_creation_time_max),
                  "volume " + vol.name);
    Volume now = volume(vol.id);
    if (now.status != VolumeStatus::available)
      throw Exception(Error::conflict("create_available_volume: " + to_string(now)));
    return now;
  }

  Volume attach(std::string_view volume_id, std::string_view vm_id) {
    return value(manager_.attach_volume(volume_id, vm_id), "attach_volume(", volume_id, ", ", vm_id,
                 ")");
  }
  Volume detach(std::string_view volume_id) {
    return value(manager_.detach_volume(volume_id), "detach_volume(", volume_id, ")");
  }
  Operation<Vm> delete_vm(std::string_view id) {
    return value(manager_.delete_vm(id), "delete_vm(", id, ")");
  }
  Operation<Volume> delete_volume(std::string_view id) {
    return value(manager_.delete_volume(id), "delete_volume(", id, ")");
  }

  // ---- current snapshots (throw when gone) ----

  Vm vm(std::string_view id) const { return value(manager_.get_vm(id), "get_vm(", id, ")"); }
  Volume volume(std::string_view id) const {
    return value(manager_.get_volume(id), "get_volume(", id, ")");
  }
  Task task(std::string_view id) const {
    return value(manager_.get_task(id), "get_task(", id, ")");
  }
  Environment environment(std::string_view id) const {
    return value(manager_.get_environment(id), "get_environment(", id, ")");
  }
  SecurityGroup security_group(std::string_view id) const {
    return value(manager_.get_security_group(id), "get_security_group(", id, ")");
  }

 private:
  ManagerOptions manager_options() {
    ManagerOptions o;
    o.seed = options_.seed;
    o.settings = options_.settings;
    o.on_task_settled = [this](const Task&) { ++settled_; };
    return o;
  }

  /// vm-1, vm-2, ..., vol-1, ...
  std::string next_name(std::string_view prefix) {
    return std::string(prefix) + "-" + std::to_string(++names_[std::string(prefix)]);
  }

  void await_settled(const std::string& task_id, Duration limit, const std::string& what) {
    advance_until([&] { return task(task_id).settled(); }, limit, "the creation of " + what);
  }

  /// The value, or an Exception of the same kind whose message says what was asked first.
  template <class T, class... Context>
  static T value(Result<T> r, const Context&... context) {
    if (r) return std::move(r).value();
    Error e = std::move(r).error();
    std::ostringstream msg;
    (msg << ... << context);
    msg << ": ";
    if (e.fields.empty()) msg << e.message;
    for (std::size_t i = 0; i < e.fields.size(); ++i) {
      const FieldError& f = e.fields[i];
      if (i) msg << "; ";
      for (std::size_t j = 0; j < f.loc.size(); ++j) {
        if (j) msg << '.';
        if (const auto* s = std::get_if<std::string>(&f.loc[j]))
          msg << *s;
        else
          msg << std::get<std::size_t>(f.loc[j]);
      }
      msg << ": " << f.msg;
    }
    e.message = msg.str();
    throw Exception(std::move(e));
  }

  CloudOptions options_;
  TestClock clock_;  // before the manager, which must not outlive it
  std::atomic<std::size_t> settled_{0};
  ResourceManager manager_;
  std::optional<Environment> default_environment_;
  std::map<std::string, std::size_t, std::less<>> names_;
};

}  // namespace testing
}  // namespace mockcloud
