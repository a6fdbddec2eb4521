// The resources of the cloud as plain values (snapshots), their statuses, and creation specs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mockcloud/net.hpp"
#include "mockcloud/time.hpp"

namespace mockcloud {

// `pending` and `deleted` occur only under a CloudModel that asks for them (model.hpp): a
// creation waiting for a worker, and a deleted resource kept visible.
enum class VmStatus : std::uint8_t { creating, running, error, deleting, pending, deleted };
enum class VolumeStatus : std::uint8_t {
  creating,
  available,
  in_use,
  error,
  deleting,
  pending,
  deleted
};
enum class TaskState : std::uint8_t { pending, started, success, failure, revoked };
enum class TaskKind : std::uint8_t { vm_create, vm_delete, volume_create, volume_delete };
enum class Direction : std::uint8_t { ingress, egress };
enum class Protocol : std::uint8_t { tcp, udp, icmp, all };
enum class VolumeType : std::uint8_t { standard, ssd };

/// Every value, in declaration order: for filters, metrics and documents.
inline constexpr VmStatus all_vm_statuses[] = {VmStatus::creating, VmStatus::running,
                                               VmStatus::error,    VmStatus::deleting,
                                               VmStatus::pending,  VmStatus::deleted};
inline constexpr VolumeStatus all_volume_statuses[] = {
    VolumeStatus::creating, VolumeStatus::available, VolumeStatus::in_use, VolumeStatus::error,
    VolumeStatus::deleting, VolumeStatus::pending,   VolumeStatus::deleted};
inline constexpr TaskState all_task_states[] = {TaskState::pending, TaskState::started,
                                                TaskState::success, TaskState::failure,
                                                TaskState::revoked};

// Wire names ("in-use", "STARTED", "vm.create", ...) and their inverses (nullopt when unknown):
// the spelling rules of describe.hpp applied to the enumerators' identifiers.
std::string_view to_string(VmStatus) noexcept;
std::string_view to_string(VolumeStatus) noexcept;
std::string_view to_string(TaskState) noexcept;
std::string_view to_string(TaskKind) noexcept;
std::string_view to_string(Direction) noexcept;
std::string_view to_string(Protocol) noexcept;
std::string_view to_string(VolumeType) noexcept;
template <class Enum>
std::optional<Enum> from_string(std::string_view) noexcept;
template <>
std::optional<VmStatus> from_string(std::string_view) noexcept;
template <>
std::optional<VolumeStatus> from_string(std::string_view) noexcept;
template <>
std::optional<TaskState> from_string(std::string_view) noexcept;
template <>
std::optional<TaskKind> from_string(std::string_view) noexcept;
template <>
std::optional<Direction> from_string(std::string_view) noexcept;
template <>
std::optional<Protocol> from_string(std::string_view) noexcept;
template <>
std::optional<VolumeType> from_string(std::string_view) noexcept;

struct Environment {
  std::string id, name;
  Cidr cidr;
  std::string description;
  std::string status;  // always "active"
  TimePoint created_at, updated_at;
  friend bool operator==(const Environment&, const Environment&) = default;
};

struct SecurityRule {
  std::string id;
  Direction direction = Direction::ingress;
  Protocol protocol = Protocol::tcp;
  std::optional<int> port_range_min, port_range_max;  // tcp/udp only
  Cidr remote_cidr;
  friend bool operator==(const SecurityRule&, const SecurityRule&) = default;
};

struct SecurityGroup {
  std::string id, name, environment_id, description;
  std::vector<SecurityRule> rules;
  TimePoint created_at, updated_at;
  std::optional<std::string> rules_text;  // free-form rules, kept as given (see the spec)
  friend bool operator==(const SecurityGroup&, const SecurityGroup&) = default;
};

struct Vm {
  std::string id, name, environment_id;
  VmStatus status = VmStatus::creating;
  int progress = 0;  // 0..100
  int cpu = 1;
  int memory_mb = 1024;
  std::string image;
  std::vector<std::string> security_group_ids;
  std::optional<Ipv4Address> ip_address;  // set while running
  std::vector<std::string> volume_ids;    // in attachment order
  std::optional<std::string> error;       // why the creation failed
  std::string task_id;                    // the latest task (create, then delete)
  TimePoint created_at, updated_at;
  std::string instance_type;  // as given at creation; empty when none was
  friend bool operator==(const Vm&, const Vm&) = default;
};

struct Volume {
  std::string id, name, environment_id;
  int size_gb = 10;
  VolumeType volume_type = VolumeType::standard;
  VolumeStatus status = VolumeStatus::creating;
  int progress = 0;
  std::optional<std::string> vm_id;
  std::optional<std::string> error;
  std::string task_id;
  TimePoint created_at, updated_at;
  friend bool operator==(const Volume&, const Volume&) = default;
};

struct Task {
  std::string id;
  TaskKind kind = TaskKind::vm_create;
  std::string resource_id;
  TaskState state = TaskState::started;
  std::optional<std::string> error;
  TimePoint created_at;
  TimePoint eta;  // when it is (or was) due
  std::optional<TimePoint> finished_at;
  bool settled() const noexcept {
    return state == TaskState::success || state == TaskState::failure ||
           state == TaskState::revoked;
  }
  friend bool operator==(const Task&, const Task&) = default;
};

// ---- creation specs: omitted optional fields take the defaults shown ----

struct EnvironmentSpec {
  std::string name;
  std::string cidr = "10.0.0.0/16";
  std::string description;
};

struct SecurityRuleSpec {
  Direction direction = Direction::ingress;
  Protocol protocol = Protocol::tcp;
  std::optional<int> port_range_min, port_range_max;
  std::string remote_cidr = "0.0.0.0/0";
};

struct SecurityGroupSpec {
  std::string name;
  std::string environment_id;
  std::string description;
  std::vector<SecurityRuleSpec> rules;
  /// Rules as free text (a JSON document, say), kept and returned as given, never enforced: the
  /// original dialect's `rules`. At most 65536 characters.
  std::optional<std::string> rules_text;
};

struct VmSpec {
  std::string name;
  std::string environment_id;
  std::int64_t cpu = 1;           // 1..64
  std::int64_t memory_mb = 1024;  // 128..1048576
  std::string image = "ubuntu-22.04";
  std::vector<std::string> security_group_ids;
  std::string instance_type;  // a free-form size name ("t3.micro"), 0..50 characters
};

struct VolumeSpec {
  std::string name;
  std::string environment_id;
  std::int64_t size_gb = 10;  // 1..16384
  VolumeType volume_type = VolumeType::standard;
  /// A VM of the same environment to attach the volume to once it is created; the creation
  /// fails if that VM is not running then (or has 16 volumes already).
  std::optional<std::string> vm_id;
};

// ---- listing ----

struct Page {
  std::size_t skip = 0;
  std::size_t limit = 100;  // 1..1000
};

/// Filters of a list call; an empty optional does not filter.
struct VmFilter {
  std::optional<std::string> environment_id, name;
  std::optional<VmStatus> status;
};
struct VolumeFilter {
  std::optional<std::string> environment_id, name;
  std::optional<VolumeStatus> status;
};
struct SecurityGroupFilter {
  std::optional<std::string> environment_id, name;
};
struct EnvironmentFilter {
  std::optional<std::string> name;
};
struct TaskFilter {
  std::optional<std::string> resource_id;
  std::optional<TaskState> state;
};

/// One page of a list, in (created_at, id) order, and how many matched the filter in all.
template <class T>
struct Listing {
  std::vector<T> items;
  std::size_t total = 0;
};

/// Resource and task counts, for health reports.
struct Counts {
  std::size_t environments = 0, security_groups = 0, vms = 0, volumes = 0, tasks = 0;
};

}  // namespace mockcloud
